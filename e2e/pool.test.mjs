// The worker pool: a run split into row shards over 1, 2 and 3 workers gives the same CSVs,
// byte for byte, for every normalization; the status says how many workers computed it. The
// machine's processor count is set for the page (4 logical processors: 3 workers by default,
// up to 4 when asked), so that the test means the same on any machine.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useBrowser, artifacts, openPage, waitDone, downloadCsv } from "./harness.mjs";

useBrowser();

const FOUR_PROCESSORS = () => {
  Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => 4 });
};

/** The CSVs of every panel that shows simulated numbers, and the workers the status names. */
async function results(query) {
  const { page, context, problems } = await openPage(query, { initScript: FOUR_PROCESSORS });
  await waitDone(page);
  const workers = Number(await page.getAttribute(".status", "data-workers"));
  const status = await page.textContent(".status");
  const csv = {};
  for (const panel of ["stats", "grads", "hist", "corr"]) csv[panel] = await downloadCsv(page, panel);
  assert.deepEqual(problems, [], query);
  return { page, context, workers, status, csv };
}

for (const norm of ["none", "batch", "layer", "group", "rms"]) {
  test(`1, 2 and 3 workers give the same numbers (${norm})`, async () => {
    // 100 rows: blocks of 32, 32, 32 and 4 rows, so 3 workers get unequal shares. (Width 96:
    // a network with fewer than 1e6 flops per layer is not split.)
    const query = `?depth=12&width=96&batch=100&groups=4&norm=${norm}`;
    const one = await results(`${query}&workers=1`);
    assert.equal(one.workers, 1);
    assert.doesNotMatch(one.status, /workers, each/);
    await one.context.close();
    for (const workers of [2, 3]) {
      const many = await results(`${query}&workers=${workers}`);
      assert.equal(many.workers, workers, `the run used ${workers} workers`);
      assert.match(many.status, new RegExp(`${workers} workers, each with a share of the batch's rows`));
      for (const panel of Object.keys(one.csv)) {
        assert.ok(one.csv[panel].split("\n").length > 10, `${panel} CSV has rows`);
        assert.equal(many.csv[panel], one.csv[panel], `${panel} CSV with ${workers} workers (${norm})`);
      }
      if (norm === "batch" && workers === 3) {
        await many.page.screenshot({ path: path.join(artifacts, "pool-batch-3-workers.png"), fullPage: true });
      }
      await many.context.close();
    }
  });
}

test("auto uses one worker per processor but one; a small batch or network is not split; more than the processors is the processors", async () => {
  for (const [query, expected] of [
    ["?batch=128", 3],
    ["?batch=128&workers=auto", 3],
    ["?batch=32", 1],
    ["?depth=20&width=16&batch=1024&norm=batch", 1],
    ["?batch=128&workers=4", 4],
    ["?batch=128&workers=8", 4],
  ]) {
    const r = await results(query);
    assert.equal(r.workers, expected, query);
    await r.context.close();
  }
});

test("live depth on two workers: each continues its rows, and the numbers are a fresh run's", async () => {
  const query = "?depth=12&width=96&batch=100&norm=batch";
  const { page, context, problems } = await openPage(`${query}&workers=2`, { initScript: FOUR_PROCESSORS });
  await waitDone(page);
  const before = await page.textContent(".status");
  await page.fill("#ctl-depth", "15");
  await page.press("#ctl-depth", "Enter");
  await page.waitForFunction((b) => {
    const s = document.querySelector(".status");
    return s.textContent !== b && s.dataset.done === "true" && /Done: 15 layers/.test(s.textContent);
  }, before, { timeout: 60000 });
  assert.equal(await page.getAttribute(".status", "data-reused"), "12", "the 12 layers were kept");
  assert.equal(await page.getAttribute(".status", "data-workers"), "2");
  const continued = {};
  for (const panel of ["stats", "grads", "hist"]) continued[panel] = await downloadCsv(page, panel);
  const fresh = await results(query.replace("depth=12", "depth=15") + "&workers=1");
  for (const panel of Object.keys(continued)) assert.equal(continued[panel], fresh.csv[panel], panel);
  assert.deepEqual(problems, []);
  await fresh.context.close();
  await context.close();
});
