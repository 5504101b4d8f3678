// Robustness: the page survives its simulation worker dying. The test keeps a reference to
// every worker the page starts (by wrapping window.Worker before the page's scripts run) and
// terminates the simulation's from outside: like a worker that calls close() or is killed by
// the browser, it then drops every message without an error event.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useBrowser, openPage, waitDone, parseCsv, downloadCsv, CSP, canvasInfo, labPanels, artifacts, origin } from "./harness.mjs";

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

/** Types a depth and commits it, then waits until the status line has left the previous
 * run's text (so that the previous run's done is not taken for the new run's). */
async function setDepth(page, depth) {
  const before = await page.textContent(".status");
  await page.fill("#ctl-depth", String(depth));
  await page.press("#ctl-depth", "Enter");
  await page.waitForFunction((b) => document.querySelector(".status")?.textContent !== b, before, { timeout: 30000 });
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

// ---------- memory budget, corners, stress, leaks ----------

const MiB = 1024 * 1024;
/** The default memory budget (README, "Limits"): 1 GiB of wasm memory per simulation. */
const BUDGET = 1024 * MiB;

/** Wasm memory of the page and of its simulation workers (the largest of one worker, and the
 * sum over the pool: the simulation worker and the shard workers), and the page's JS heap after
 * a garbage collection (CDP Runtime.getHeapUsage). The wasm-bindgen module's init returns the
 * running instance's exports when called again, in the page and in the worker alike. */
async function memory(page) {
  const js = await page.$eval("link[rel=modulepreload][href$='.js']", (l) => l.href);
  const pageWasm = await page.evaluate(async (url) => (await (await import(url)).default()).memory.buffer.byteLength, js);
  let workerWasm = 0;
  let poolWasm = 0;
  for (const w of page.workers()) {
    const r = await w
      .evaluate(async (url) => ({ name: self.name, bytes: (await (await import(url)).default()).memory.buffer.byteLength }), js)
      .catch(() => null);
    if (r && SIMULATION_WORKERS.test(r.name)) {
      workerWasm = Math.max(workerWasm, r.bytes);
      poolWasm += r.bytes;
    }
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  await cdp.detach();
  return { pageWasm, workerWasm, poolWasm, jsHeap: usedSize, workerJsHeap: await workerJsHeap(page) };
}

/** The simulation's workers: the coordinator and the pool's shard workers. */
const SIMULATION_WORKERS = /^activation-lab-(simulation|shard-\d+)$/;

/** The largest JS heap of a simulation worker after a garbage collection: the page's CDP
 * session attaches to its workers (Target.setAutoAttach) and talks to each through
 * Target.sendMessageToTarget, since Playwright opens CDP sessions on pages only. */
async function workerJsHeap(page) {
  const cdp = await page.context().newCDPSession(page);
  const attached = [];
  const replies = new Map();
  cdp.on("Target.attachedToTarget", (e) => attached.push(e));
  cdp.on("Target.receivedMessageFromTarget", (e) => {
    const m = JSON.parse(e.message);
    replies.get(`${e.sessionId}:${m.id}`)?.(m);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  let id = 0;
  const call = (sessionId, method) =>
    new Promise((resolve) => {
      id += 1;
      replies.set(`${sessionId}:${id}`, resolve);
      cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method }) });
    });
  let bytes = 0;
  for (const t of attached.filter((t) => SIMULATION_WORKERS.test(t.targetInfo.title))) {
    await call(t.sessionId, "HeapProfiler.collectGarbage");
    const reply = await call(t.sessionId, "Runtime.getHeapUsage");
    bytes = Math.max(bytes, reply.result?.usedSize ?? 0);
  }
  await cdp.detach();
  return bytes;
}

const mb = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;

test("the memory budget follows navigator.deviceMemory: a network that fits 1 GiB runs its backward pass, on a device reporting 1 GB it is skipped and says why", async () => {
  // 1000 layers of 4096 x 16 stored floats: 250 MiB, above a 1 GB device's 256 MiB budget
  // (less 32 MiB for the rest of the module), well within the default 1 GiB.
  const q = "?depth=1000&width=16&batch=4096&seed=4";
  {
    const { page, context, problems } = await openPage(q);
    await waitDone(page, 120000);
    assert.match(await page.textContent(".status"), /Done: 1000 layers, forward and backward/);
    const m = await memory(page);
    console.log(`budget test, default budget: page wasm ${mb(m.pageWasm)}, largest worker wasm ${mb(m.workerWasm)}, the pool's ${mb(m.poolWasm)}, JS heap ${mb(m.jsHeap)}`);
    // Each worker of the pool stores its share of the batch's rows.
    assert.ok(m.poolWasm > 250 * MiB, `the stored activations are in the workers (${mb(m.poolWasm)})`);
    assert.ok(m.workerWasm <= BUDGET && m.pageWasm <= BUDGET, JSON.stringify(m));
    assert.deepEqual(problems, []);
    await context.close();
  }
  {
    const oneGigabyte = () => Object.defineProperty(Navigator.prototype, "deviceMemory", { get: () => 1 });
    const { page, context, problems } = await openPage(q, { initScript: oneGigabyte });
    await waitDone(page, 120000);
    assert.match(await page.textContent(".status"), /Done: 1000 layers, forward pass only/);
    const warning = await page.textContent("#panel-grads .warning");
    assert.match(warning, /backward pass skipped/);
    const text = await page.textContent("main");
    assert.match(text, /backward pass skipped: it must keep the activations of all 1000 layers \(4096 x 16 each\), about \d+ MB with the forward pass, more than this page's memory budget of 256 MB \(a quarter of the 1 GB of memory this device reports/);
    const m = await memory(page);
    assert.ok(m.workerWasm <= 256 * MiB, `within the 256 MiB budget: ${mb(m.workerWasm)}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test("the corners: every combination of the least and largest depth, width and batch, with BatchNorm and without, plots or says how long within 60 s, within the memory budget", async () => {
  const started = Date.now();
  const { page, context, problems } = await openPage("?depth=2");
  const peak = { pageWasm: 0, workerWasm: 0, jsHeap: 0, workerJsHeap: 0 };
  const outcomes = [];
  for (const norm of ["none", "batch"]) {
    for (const depth of [1, 1000]) {
      for (const width of [2, 1024]) {
        for (const batch of [1, 4096]) {
          const label = `corner-${norm}-${depth}x${width}x${batch}`;
          await page.goto(`${origin}/?depth=${depth}&width=${width}&batch=${batch}&norm=${norm}&seed=1`);
          // Done, or (an hour-long run) the honest-waiting text: how long, and what is live.
          await page.waitForFunction(
            () => {
              const s = document.querySelector(".status");
              return s && (s.dataset.done === "true" || / left at this computer's measured speed; /.test(s.textContent));
            },
            null,
            { timeout: 60000 },
          );
          await page.waitForTimeout(200);
          const status = await page.textContent(".status");
          const done = (await page.getAttribute(".status", "data-done")) === "true";
          assert.doesNotMatch(status, /Stopped|died/, `${label}: ${status}`);
          if (done) {
            assert.match(status, new RegExp(`Done: ${depth} layers?`), `${label}: ${status}`);
            for (const name of await labPanels(page)) {
              const info = await canvasInfo(page, name);
              assert.ok(info.ink > 0.002 && info.colours >= 2, `${label}: ${name} drawn (${JSON.stringify(info)})`);
            }
          }
          const m = await memory(page);
          for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
          assert.ok(m.workerWasm <= BUDGET && m.pageWasm <= BUDGET, `${label}: ${JSON.stringify(m)}`);
          assert.ok(m.jsHeap < 64 * MiB, `${label}: JS heap ${mb(m.jsHeap)}`);
          assert.ok(m.workerJsHeap < 64 * MiB, `${label}: worker JS heap ${mb(m.workerJsHeap)}`);
          await page.screenshot({ path: path.join(artifacts, `${label}.png`) });
          outcomes.push(`${label}: ${done ? "done" : "waiting"} (worker wasm ${mb(m.workerWasm)})`);
        }
      }
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`corners in ${seconds.toFixed(0)} s; peak page wasm ${mb(peak.pageWasm)}, worker wasm ${mb(peak.workerWasm)}, JS heap ${mb(peak.jsHeap)}, worker JS heap ${mb(peak.workerJsHeap)}\n  ${outcomes.join("\n  ")}`);
  assert.deepEqual(problems, []);
  await context.close();
});

/** Fires `count` changes from inside the page, on a fixed schedule of one every `gapMs` (a change
 * that falls due while the page is still busy with the last one follows it at once, as queued
 * input does), chosen by a deterministic
 * generator from `seed`: slider drags (input events at several positions, the sizes' lower
 * half), arrow and page keys on a slider, typed values committed with a change event, and
 * activation choices. Runs in the page so that the changes come as fast as a person's hand
 * (Playwright's round trips take longer than the 20 ms between them). */
async function storm(page, seed, count, gapMs) {
  return page.evaluate(
    async ({ seed, count, gapMs }) => {
      let s = seed >>> 0;
      const random = () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
      const pick = (list) => list[Math.floor(random() * list.length)];
      const sliders = ["depth", "width", "batch", "gain"];
      const fire = (el, type) => el.dispatchEvent(new Event(type, { bubbles: true }));
      let changes = 0;
      const start = performance.now();
      while (changes < count) {
        const due = start + changes * gapMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const r = random();
        if (r < 0.35) {
          const name = pick(sliders);
          const el = document.getElementById(`ctl-${name}-slider`);
          // Gain 0.5 to 2.5 (a linear slider), sizes in the lower half of their log sliders.
          el.value = name === "gain" ? (0.5 + 2 * random()).toFixed(2) : String(Math.floor(random() * 450));
          fire(el, "input");
        } else if (r < 0.65) {
          const el = document.getElementById(`ctl-${pick(sliders)}-slider`);
          const key = pick(["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "PageUp", "PageDown"]);
          el.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
        } else if (r < 0.85) {
          const [name, max] = pick([["depth", 40], ["width", 96], ["batch", 64]]);
          const el = document.getElementById(`ctl-${name}`);
          el.value = String(1 + Math.floor(random() * max));
          fire(el, "input");
          fire(el, "change");
        } else {
          const el = document.getElementById("ctl-act");
          el.value = pick(["relu", "tanh", "selu", "gelu", "linear"]);
          fire(el, "change");
        }
        changes++;
        // Let the page's tasks in (the worker's messages, timers, frames), as between a
        // person's input events.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      return changes;
    },
    { seed, count, gapMs },
  );
}

test("stress: 500 changes in 10 s, one every 20 ms (slider drags, keys, typed values, back and forward), then the CSVs equal a fresh load's of the final URL", async () => {
  const { page, context, problems } = await openPage("?depth=8&width=32&batch=16&seed=9");
  await waitDone(page);
  // A second page load, so that back and forward have somewhere to go.
  await page.goto(`${origin}/?act=tanh&depth=12&width=24&batch=8&seed=5`);
  await page.waitForSelector("#ctl-depth-slider");
  const started = Date.now();
  let changes = 0;
  let storming = 0;
  for (let round = 0; round < 4; round++) {
    const t = Date.now();
    changes += await storm(page, 100 + round, 125, 20);
    storming += Date.now() - t;
    if (round < 3) {
      // Back to the other page load and forward again, in the middle of its run.
      await (round % 2 === 0 ? page.goBack() : page.goForward());
      await page.waitForSelector("#ctl-depth-slider");
      changes++;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`stress: ${changes} changes (3 of them back or forward) in ${seconds.toFixed(1)} s, the 500 fired in the page in ${(storming / 1000).toFixed(1)} s (due in 10 s)`);
  await waitDone(page, 120000);
  const url = page.url();
  const fresh = await openPage(url.slice(origin.length + 1));
  await waitDone(fresh.page, 120000);
  assert.equal(fresh.page.url(), url, "the final URL is canonical");
  assert.equal(await page.textContent(".status"), await fresh.page.textContent(".status"));
  let compared = 0;
  for (const name of await labPanels(page)) {
    if (!(await page.$(`#panel-${name} button.download`))) continue;
    const [after, loaded] = [await downloadCsv(page, name), await downloadCsv(fresh.page, name)];
    assert.equal(after, loaded, `${name}: the CSV after the changes is the fresh load's (${url})`);
    compared++;
  }
  assert.ok(compared >= 3, `CSVs compared: ${compared}`);
  console.log(`stress: final ${url}, ${compared} CSVs equal`);
  await page.screenshot({ path: path.join(artifacts, "stress-final.png") });
  assert.deepEqual(problems, []);
  assert.deepEqual(fresh.problems, []);
  await fresh.context.close();
  await context.close();
});

test("leaks: 20 cycles between a large and a small network keep the JS heap and the wasm memory of page and worker within bounds", async () => {
  const { page, context, problems } = await openPage("?depth=4&width=32&batch=1024&seed=2");
  await waitDone(page);
  const setDepthAndWait = async (depth) => {
    await setDepth(page, depth);
    await waitDone(page, 120000);
  };
  // Large: 160 layers of 1024 x 32 stored floats (20 MiB) and their weights; small: 4 layers.
  const series = [];
  for (let i = 0; i < 20; i++) {
    await setDepthAndWait(160);
    assert.match(await page.textContent(".status"), /Done: 160 layers, forward and backward/);
    await setDepthAndWait(4);
    series.push(await memory(page));
  }
  const show = (key) => series.map((m) => (m[key] / MiB).toFixed(1)).join(" ");
  console.log(`leaks, after each cycle (MiB):\n  JS heap ${show("jsHeap")}\n  worker JS heap ${show("workerJsHeap")}\n  page wasm ${show("pageWasm")}\n  worker wasm ${show("workerWasm")}\n  the pool's wasm ${show("poolWasm")}`);
  const [first, middle, last] = [series[0], series[9], series[19]];
  const grew = (key, a, b) => b[key] - a[key];
  // A leaked large run would keep its 20 MiB of stored activations (and 1.3 MiB of samples on
  // the page); the bounds allow the allocators' slack while the heaps reach their high-water
  // mark, and no steady growth over the last ten cycles.
  assert.ok(grew("jsHeap", first, last) < 4 * MiB, `JS heap grew ${mb(grew("jsHeap", first, last))}`);
  assert.ok(series.every((m) => m.workerJsHeap > 0), "the simulation worker's JS heap was read");
  assert.ok(grew("workerJsHeap", first, last) < 2 * MiB, `worker JS heap grew ${mb(grew("workerJsHeap", first, last))}`);
  assert.ok(grew("workerWasm", first, last) <= 16 * MiB, `worker wasm grew ${mb(grew("workerWasm", first, last))}`);
  assert.ok(grew("poolWasm", first, last) <= 32 * MiB, `the pool's wasm grew ${mb(grew("poolWasm", first, last))}`);
  assert.ok(grew("pageWasm", first, last) <= 16 * MiB, `page wasm grew ${mb(grew("pageWasm", first, last))}`);
  assert.ok(grew("pageWasm", middle, last) <= 4 * MiB, `page wasm grew ${mb(grew("pageWasm", middle, last))} over the last ten cycles`);
  assert.ok(grew("workerWasm", middle, last) <= 4 * MiB, `worker wasm grew ${mb(grew("workerWasm", middle, last))} over the last ten cycles`);
  assert.ok(last.workerWasm <= BUDGET);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a training run above its share of the memory budget is refused with what it needs, not left to abort its worker", async () => {
  // Depth 64, width 1024 on a 2-D task with Adam: the parameters alone, four copies of 63 x
  // 1024^2 floats, are about 1 GB, and the decision grid's 4096 rows through 64 layers more.
  const q = "?task=circle&noise=0.1&act=selu&depth=64&width=1024&batch=2&opt=adam&lr=0.01&steps=10&eval_every=5&seed=2";
  const { page, context, problems } = await openPage(q, { initScript: keepWorkers });
  await page.click("#train-play");
  await page.waitForFunction(() => /cannot train: this network needs about \d+ MB of memory/.test(document.querySelector(".train-status")?.textContent || ""), null, { timeout: 60000 });
  const status = await page.textContent(".train-status");
  assert.match(status, /more than the 256 MB a run may use \(a quarter of this page's memory budget of 1024 MB/);
  assert.doesNotMatch(status, /stopped responding/);
  const needed = Number(status.match(/needs about (\d+) MB/)[1]);
  assert.ok(needed > 1000, `${needed} MB`);
  await page.locator("#train").screenshot({ path: path.join(artifacts, "train-refused.png") });
  assert.deepEqual(problems, []);
  await context.close();
});
