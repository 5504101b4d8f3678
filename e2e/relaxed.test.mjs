// kernels=relaxed (issue 12): the page's workers load the relaxed-SIMD module (a second wasm
// that the default page never fetches), compute with fused multiply-adds and say so; where the
// browser does not validate relaxed SIMD (forced here by a WebAssembly.validate that refuses the
// relaxed opcode), the page falls back to simd128 with a notice and gives simd128's numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useBrowser, origin, browser, artifacts, waitDone, parseCsv, downloadCsv, assertDrawn } from "./harness.mjs";

useBrowser();

const QUERY = "?act=gelu&depth=12&width=96&batch=48&seed=5";
const RELAXED_FILE = /\/activation-lab-relaxed-[0-9a-f]{16}(_bg\.wasm|\.js)$/;

/** Makes WebAssembly.validate refuse any module holding f32x4.relaxed_madd (0xfd 0x85 0x02), as
 * a browser without relaxed SIMD would; other modules validate as before. */
const NO_RELAXED = () => {
  const validate = WebAssembly.validate.bind(WebAssembly);
  WebAssembly.validate = (bytes) => {
    const b = new Uint8Array(bytes instanceof ArrayBuffer ? bytes : bytes.buffer || bytes);
    for (let i = 0; i + 2 < b.length; i++) {
      if (b[i] === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02) return false;
    }
    return validate(bytes);
  };
};

/** Opens `query`, waits for the run, and returns the stats CSV, the status and the URLs of every
 * request the page and its workers made. */
async function run(query, { initScript = null, label, blockRelaxed = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  // A relaxed module that cannot load (as after a partial deployment): its wasm answers 404.
  if (blockRelaxed) await context.route(/activation-lab-relaxed-[0-9a-f]{16}_bg\.wasm$/, (route) => route.fulfill({ status: 404, body: "not found" }));
  // Every request of the page and of its workers, recorded from the start.
  const requests = [];
  const problems = [];
  context.on("request", (r) => {
    requests.push(r.url());
    if (!r.url().startsWith(origin) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });
  const page = await context.newPage();
  if (initScript) await page.addInitScript(initScript);
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${origin}/${query}`);
  await waitDone(page);
  // The top of the page: the notices and the status line.
  if (label) await page.screenshot({ path: path.join(artifacts, `${label}-top.png`) });
  const status = await page.locator(".status").evaluate((el) => ({ kernels: el.dataset.kernels, engine: el.dataset.engine, text: el.textContent }));
  const notices = await page.locator('.notice[data-param="kernels"]').allTextContents();
  const csv = await downloadCsv(page, "stats");
  const workers = page.workers().map((w) => w.url());
  if (label) {
    await assertDrawn(page, label);
  }
  return { page, context, problems, requests, status, notices, csv, workers };
}

test("kernels=relaxed: the workers run the relaxed-SIMD module, close to simd128, and the status says so", async () => {
  const simd = await run(QUERY);
  assert.deepEqual(simd.problems, []);
  assert.ok(!simd.workers.some((u) => u.includes("activation-lab-relaxed-")), "the default page's workers load the default module");
  assert.ok(!simd.requests.some((u) => RELAXED_FILE.test(new URL(u).pathname)), `the default page fetches no relaxed file: ${simd.requests}`);
  assert.equal(simd.status.kernels, "simd");
  await simd.context.close();

  const relaxed = await run(`${QUERY}&kernels=relaxed`, { label: "relaxed" });
  assert.deepEqual(relaxed.problems, [], "no error, no request to another origin");
  assert.deepEqual(relaxed.notices, []);
  assert.equal(relaxed.status.engine, "worker");
  assert.equal(relaxed.status.kernels, "relaxed");
  assert.match(relaxed.status.text, /Kernels: relaxed SIMD \(fused multiply-add\), in the relaxed-SIMD module\./);
  assert.equal(new URL(relaxed.page.url()).searchParams.get("kernels"), "relaxed");
  const worker = relaxed.workers.find((u) => u.includes("worker.js"));
  assert.ok(worker, `a worker runs: ${relaxed.workers}`);
  const query = new URL(worker).searchParams;
  assert.match(new URL(query.get("wasm")).pathname, /^\/activation-lab-relaxed-[0-9a-f]{16}_bg\.wasm$/, "the worker was given the relaxed wasm");
  assert.equal(new URL(query.get("wasm")).origin, origin);
  assert.equal(new URL(query.get("js")).origin, origin);
  const fetched = relaxed.requests.filter((u) => RELAXED_FILE.test(new URL(u).pathname));
  assert.ok(fetched.some((u) => u.endsWith("_bg.wasm")), `the relaxed wasm was requested: ${relaxed.requests}`);
  assert.ok(fetched.every((u) => u.startsWith(origin)));
  // The select offers the relaxed kernels in this page, and shows them chosen.
  assert.equal(await relaxed.page.locator("#ctl-kernels").inputValue(), "relaxed");

  // Fused multiply-adds change the last bits of the matmuls; 12 layers amplify them little.
  const a = parseCsv(simd.csv).rows;
  const b = parseCsv(relaxed.csv).rows;
  assert.equal(a.length, 12);
  assert.equal(b.length, 12);
  let differ = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v !== b[i][j]) differ++;
      assert.ok(Math.abs(v - b[i][j]) <= 1e-4 * Math.max(1, Math.abs(v)), `layer ${i + 1} column ${j}: ${v} vs ${b[i][j]}`);
    }),
  );
  console.log(`relaxed vs simd128 stats CSV: ${differ} of ${a.length * a[0].length} cells differ (0 where relaxed_madd is not fused)`);
  await relaxed.context.close();
});

test("kernels=relaxed where relaxed SIMD does not validate: a notice, simd128 in the status, simd128's numbers", async () => {
  const simd = await run(QUERY);
  await simd.context.close();
  const fallback = await run(`${QUERY}&kernels=relaxed`, { initScript: NO_RELAXED, label: "relaxed-fallback" });
  assert.deepEqual(fallback.problems, []);
  assert.equal(fallback.notices.length, 1, `one notice about the kernels: ${fallback.notices}`);
  assert.match(fallback.notices[0], /relaxed SIMD is not available \(this browser does not support WebAssembly relaxed SIMD\); the simulation runs the SIMD \(simd128\) kernels instead\./);
  assert.equal(fallback.status.kernels, "simd");
  assert.match(fallback.status.text, /Kernels: SIMD \(simd128\); relaxed SIMD is not available here\./);
  assert.ok(!fallback.requests.some((u) => RELAXED_FILE.test(new URL(u).pathname)), "no relaxed file fetched");
  assert.ok(!fallback.workers.some((u) => u.includes("activation-lab-relaxed-")));
  assert.equal(await fallback.page.locator("#ctl-kernels").inputValue(), "simd");
  assert.equal(fallback.csv, simd.csv, "byte for byte the simd128 page's CSV");
  await fallback.context.close();
});

test("kernels=relaxed whose module cannot load: the main thread computes the same fused results, and the status says how", async () => {
  const relaxed = await run(`${QUERY}&kernels=relaxed`);
  assert.deepEqual(relaxed.problems, []);
  await relaxed.context.close();
  const blocked = await run(`${QUERY}&kernels=relaxed`, { blockRelaxed: true, label: "relaxed-unloadable" });
  // The runner logs the worker's failure; nothing else may go wrong.
  assert.deepEqual(blocked.problems.filter((p) => !/simulation worker failed|404/.test(p)), []);
  assert.equal(blocked.status.engine, "main-thread");
  assert.equal(blocked.status.kernels, "relaxed");
  assert.match(blocked.status.text, /Kernels: relaxed SIMD, computed on the main thread in the default module \(f32::mul_add in software: fused but slow\)\./);
  // f32::mul_add is always fused; relaxed_madd is fused on a CPU with FMA (then the two CSVs are
  // the same bytes), else it is simd128's arithmetic (then within the relaxed tolerance).
  const a = parseCsv(relaxed.csv).rows;
  const b = parseCsv(blocked.csv).rows;
  const same = relaxed.csv === blocked.csv;
  console.log(`relaxed worker vs main-thread fallback: ${same ? "byte-identical" : "different"} stats CSV`);
  a.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) <= 1e-4 * Math.max(1, Math.abs(v)), `layer ${i + 1} column ${j}`)));
  await blocked.context.close();
});
