// Robustness: the page survives its simulation worker dying. The test keeps a reference to
// every worker the page starts (by wrapping window.Worker before the page's scripts run) and
// terminates the simulation's from outside: like a worker that calls close() or is killed by
// the browser, it then drops every message without an error event.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useBrowser, openPage, waitDone, parseCsv, downloadCsv, CSP } from "./harness.mjs";

useBrowser();

function keepWorkers() {
  window.__labWorkers = [];
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(url, options) {
      super(url, options);
      window.__labWorkers.push({ worker: this, name: options && options.name });
    }
  };
}

/** Terminates the newest simulation worker; returns how many the page has started. */
async function killSimulationWorker(page) {
  return page.evaluate(() => {
    const sims = window.__labWorkers.filter((w) => w.name === "activation-lab-simulation");
    sims[sims.length - 1].worker.terminate();
    return sims.length;
  });
}

async function simulationWorkers(page) {
  return page.evaluate(() => window.__labWorkers.filter((w) => w.name === "activation-lab-simulation").length);
}

/** The page logs what happened to the worker; anything else is a problem. */
function unexpected(problems) {
  return problems.filter((p) => !/the simulation worker stopped/.test(p));
}

async function setDepth(page, depth) {
  await page.fill("#ctl-depth", String(depth));
  await page.press("#ctl-depth", "Enter");
}

test("a worker killed mid-run: the status says so and the next change works", async () => {
  const { page, context, problems } = await openPage("?act=selu&depth=400&width=512&batch=256&seed=3", { initScript: keepWorkers });
  // Mid-run: some layers forwarded, far from the end.
  await page.waitForFunction(() => /layer ([1-9]\d*) of 400/.test(document.querySelector(".status")?.textContent || ""), null, { timeout: 60000 });
  assert.equal(await killSimulationWorker(page), 1);
  await page.waitForSelector('.status[data-failed="true"]', { timeout: 20000 });
  const status = await page.textContent(".status");
  assert.match(status, /simulation worker died while computing this setting \(it stopped responding\)/);
  assert.match(status, /not run again/);
  assert.doesNotMatch(status, /Computing|layer \d+ of/);
  assert.equal(await page.getAttribute(".status", "data-done"), "false");
  // It is not rerun on the main thread: nothing changes while the setting stays.
  await page.waitForTimeout(1500);
  assert.equal(await page.getAttribute(".status", "data-failed"), "true");
  assert.equal(await page.getAttribute(".status", "data-engine"), "worker");
  // The next change runs in a fresh worker, and the status is the new run's alone.
  await setDepth(page, 12);
  await waitDone(page, 60000);
  assert.equal(await simulationWorkers(page), 2, "a fresh worker");
  assert.equal(await page.getAttribute(".status", "data-failed"), "false");
  assert.match(await page.textContent(".status"), /Done: 12 layers, forward and backward/);
  assert.equal(await page.getAttribute(".status", "data-engine"), "worker");
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test("a worker that died while idle: the next change goes to a fresh worker and completes", async () => {
  const { page, context, problems } = await openPage("?depth=10&width=32&batch=16", { initScript: keepWorkers });
  await waitDone(page);
  await killSimulationWorker(page);
  // At once, before the heartbeat can notice: the request goes to the dead worker, vanishes,
  // and is sent again to a fresh one when the death is noticed (it never reached the old one).
  await setDepth(page, 7);
  await waitDone(page, 30000);
  assert.match(await page.textContent(".status"), /Done: 7 layers/);
  assert.equal(await page.getAttribute(".status", "data-failed"), "false");
  assert.equal(await simulationWorkers(page), 2);
  assert.deepEqual(unexpected(problems), []);
  await context.close();
});

test("a layer with some non-finite entries: the status names the first such layer and the statistics stay finite there", async () => {
  // N(0, 1) weights at width 128 multiply the second moment by about 128 per layer: f32
  // overflows (3.4e38, a second moment near 1e77) some entries a few layers before all.
  const { page, context, problems } = await openPage("?act=linear&init=normal&depth=60");
  await waitDone(page);
  const status = await page.textContent(".status");
  const m = status.match(/(\d+) non-finite values? first at layer (\d+) \((\d+) of its 16384 pre-activations, (\d+) of its 16384 post-activations\)/);
  assert.ok(m, status);
  const [total, layer, pre, post] = m.slice(1).map(Number);
  assert.equal(total, pre + post);
  const { rows } = parseCsv(await downloadCsv(page, "stats"));
  const firstNonFiniteRow = rows.findIndex((r) => r.slice(1, 5).some((v) => !Number.isFinite(v))) + 1;
  // The stats export turns non-finite only where every entry is: at or after the named layer,
  // and the named layer itself, with some finite entries, has finite statistics.
  assert.ok(firstNonFiniteRow > 0 && layer <= firstNonFiniteRow, `layer ${layer}, first non-finite row ${firstNonFiniteRow}`);
  if (pre < 16384 && post < 16384) {
    assert.ok(rows[layer - 1].slice(1, 5).every(Number.isFinite), `layer ${layer}: ${rows[layer - 1]}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("the content security policy is in force and the app runs under it without a violation", async () => {
  const watch = () => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  };
  const { page, context, problems } = await openPage("?depth=20&width=64&batch=32", { initScript: watch });
  const response = await page.goto(page.url());
  assert.equal(response.headers()["content-security-policy"], CSP);
  await waitDone(page);
  assert.equal(await page.getAttribute(".status", "data-engine"), "worker", "the worker starts under worker-src 'self'");
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  // The policy is enforced: an inline script is refused.
  const ran = await page.evaluate(async () => {
    const s = document.createElement("script");
    s.textContent = "window.__inlineRan = true;";
    document.head.append(s);
    await new Promise((r) => setTimeout(r, 100));
    return Boolean(window.__inlineRan);
  });
  assert.equal(ran, false);
  assert.deepEqual(await page.evaluate(() => window.__violations), ["script-src-elem inline"]);
  assert.deepEqual(problems.filter((p) => !/inline script/.test(p)), []);
  await context.close();
});

test("a training worker killed mid-run: its run says so, and Reset then Play trains in a fresh worker", async () => {
  const q = "?task=circle&noise=0.1&act=selu&depth=4&width=16&opt=adam&lr=0.01&steps=100000&eval_every=50&seed=2&theory=0";
  const { page, context, problems } = await openPage(q, { initScript: keepWorkers });
  await waitDone(page);
  await page.click("#train-play");
  await page.waitForFunction(() => Number(document.querySelector(".train-status")?.dataset.step) > 20, null, { timeout: 60000 });
  const killed = await page.evaluate(() => {
    const training = window.__labWorkers.filter((w) => w.name === "activation-lab-training");
    training.forEach((w) => w.worker.terminate());
    return training.length;
  });
  assert.ok(killed >= 1);
  await page.waitForFunction(() => /cannot train: the training worker stopped responding/.test(document.querySelector(".train-status")?.textContent || ""), null, { timeout: 20000 });
  await page.click("#train-reset");
  await page.click("#train-play");
  await page.waitForFunction(() => Number(document.querySelector(".train-status")?.dataset.step) > 20, null, { timeout: 60000 });
  assert.doesNotMatch(await page.textContent(".train-status"), /cannot train/);
  const started = await page.evaluate(() => window.__labWorkers.filter((w) => w.name === "activation-lab-training").length);
  assert.ok(started > killed, `fresh training workers (${started} started, ${killed} killed)`);
  assert.deepEqual(problems.filter((p) => !/training worker stopped/.test(p)), []);
  await context.close();
});
