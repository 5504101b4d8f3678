// `make bench` / `make bench-smoke`: builds the bench page (lab-bench to wasm + wasm-bindgen),
// the native twin (native-bench) and the app's release build (trunk), runs the page in headless
// Debian Chromium (playwright-core, no browser download) next to TensorFlow.js on its wasm
// backend, times cold loads of the app, then prints a table and writes target/bench/results.json.
//
// A benchmark prints figures; it never fails on time. It exits non-zero only when it cannot
// measure: a build or page error, tfjs not loading or not on wasm, or (with --smoke) the two
// losses disagreeing, which would mean the peer computes something else.
//
// Flags: --smoke (tiny shapes, one repetition, one cold load; reuses an existing dist/, which
// scripts/check.sh has just built), --no-app-build (reuse dist/ in a full run too).
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const smoke = process.argv.includes("--smoke");
const skipAppBuild = smoke || process.argv.includes("--no-app-build");
const mode = smoke ? "smoke" : "full";
const cargoTarget = path.resolve(root, process.env.CARGO_TARGET_DIR || "target");
const outDir = path.join(root, "target", "bench");
const pkgDir = path.join(outDir, "pkg");
const dist = path.join(root, "dist");
const env = {
  ...process.env,
  PATH: [path.join(root, ".tools/node_modules/binaryen/bin"), path.join(os.homedir(), ".cargo/bin"), process.env.PATH].join(":"),
};

function say(line) {
  console.log(`[bench] ${line}`);
}

function run(cmd, args, { capture = false } = {}) {
  say(`$ ${cmd} ${args.join(" ")}`);
  return execFileSync(cmd, args, { cwd: root, env, encoding: "utf8", stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit" });
}

// ---- builds
run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "lab-bench"]);
run("wasm-bindgen", ["--target", "web", "--out-dir", pkgDir, path.join(cargoTarget, "wasm32-unknown-unknown/release/lab_bench.wasm")]);
const native = JSON.parse(run("cargo", ["run", "--quiet", "--release", "-p", "lab-bench", "--bin", "native-bench", "--", ...(smoke ? ["--smoke"] : [])], { capture: true }));
// The relaxed-SIMD twin of the bench module, in the target dir of the app's relaxed build
// (scripts/build_relaxed.mjs), and the best native build: -C target-cpu=native (AVX2 and FMA where
// the CPU has them), in its own target dir.
const relaxedTarget = path.join(root, "target", "relaxed");
const pkgRelaxedDir = path.join(outDir, "pkg-relaxed");
run("env", [
  "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=-C target-feature=+simd128,+relaxed-simd",
  `CARGO_TARGET_DIR=${relaxedTarget}`,
  "cargo", "build", "--release", "--target", "wasm32-unknown-unknown", "-p", "lab-bench",
]);
run("wasm-bindgen", ["--target", "web", "--out-dir", pkgRelaxedDir, path.join(relaxedTarget, "wasm32-unknown-unknown/release/lab_bench.wasm")]);
const nativeBest = JSON.parse(run("env", [
  "RUSTFLAGS=-C target-cpu=native", `CARGO_TARGET_DIR=${path.join(root, "target", "native-cpu")}`,
  "cargo", "run", "--quiet", "--release", "-p", "lab-bench", "--bin", "native-bench", "--", ...(smoke ? ["--smoke"] : []),
], { capture: true }));
const cpuFlags = (() => {
  try {
    return (fs.readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m) || ["", ""])[1].trim().split(/\s+/);
  } catch {
    return [];
  }
})();
const cpuFma = cpuFlags.includes("fma");
if (!(skipAppBuild && fs.existsSync(path.join(dist, "index.html")))) run("trunk", ["build", "--release"]);

// ---- shipped size: gzip -9 of every .wasm and .js trunk put into dist/
const shipped = fs
  .readdirSync(dist)
  .filter((f) => f.endsWith(".wasm") || f.endsWith(".js"))
  .map((f) => {
    const bytes = fs.readFileSync(path.join(dist, f));
    return { file: f, bytes: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
  });

// ---- loopback servers: the bench page (with tfjs and the pkg) and the app's dist/
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json" };
function serve(routes) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const [prefix, dir] = routes.find(([p]) => url.pathname.startsWith(p)) || [];
    if (!dir) return res.writeHead(404).end("not found");
    let file = path.normalize(path.join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) return res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream", "cache-control": "no-store" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}
const benchSite = await serve([
  ["/tfjs-wasm/", path.join(here, "node_modules/@tensorflow/tfjs-backend-wasm/dist")],
  ["/tfjs/", path.join(here, "node_modules/@tensorflow/tfjs/dist")],
  ["/pkg-relaxed/", pkgRelaxedDir],
  ["/pkg/", pkgDir],
  ["/", path.join(here, "page")],
]);
const appSite = await serve([["/", dist]]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const failures = [];
let page;
let result;
let coldMs = [];
let longTasks = null;
let depthDrag = null;
let depthDragDown = null;
const poolRuns = [];
const fourRuns = [];
// Four runs of the Train section on digits (depth 16, width 64, Adam, 1000 steps, evaluations
// every 100), each with another activation/initializer/normalization; and a tiny twin for --smoke.
const FOUR_RUN_LIST = "runs=act:selu,init:lecun_normal;act:relu,init:he_normal,norm:batch;act:gelu,norm:layer;act:elu,init:lecun_normal";
const FOUR_RUNS = `?task=digits&depth=16&width=64&opt=adam&lr=0.001&steps=1000&eval_every=100&${FOUR_RUN_LIST}`;
const FOUR_RUNS_SMOKE = `?task=xor&depth=2&width=8&opt=adam&lr=0.01&steps=20&eval_every=10&${FOUR_RUN_LIST}`;
try {
  // ---- the bench page
  const context = await browser.newContext();
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") failures.push(`bench page console error: ${m.text()}`);
    else if (m.text().startsWith("[bench]")) console.log(m.text());
  });
  page.on("pageerror", (e) => failures.push(`bench page error: ${e.message}`));
  await page.goto(`${benchSite.origin}/`);
  await page.waitForFunction(() => window.benchReady || window.benchError, null, { timeout: 60000 });
  const loadError = await page.evaluate(() => window.benchError);
  if (loadError) throw new Error(`bench page failed to start: ${loadError}`);
  result = await page.evaluate((m) => window.runBench(window.benchPlans[m]), mode);
  await context.close();

  // ---- cold loads of the app: fresh context (empty cache) each, navigation to the e2e tests'
  // done signal (.status[data-done="true"]), timed in the page from navigation start.
  for (let i = 0; i < (smoke ? 1 : 3); i++) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => failures.push(`app page error: ${e.message}`));
    await p.addInitScript(() => {
      const check = () => {
        if (window.__doneAt === undefined && document.querySelector('.status[data-done="true"]')) window.__doneAt = performance.now();
      };
      new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-done"] });
    });
    await p.goto(`${appSite.origin}/`);
    await p.waitForFunction(() => window.__doneAt !== undefined, null, { timeout: 60000 });
    coldMs.push(await p.evaluate(() => window.__doneAt));
    await ctx.close();
  }

  // ---- responsiveness: the main thread's long tasks while a large network recomputes in the
  // worker. Load depth 1000 x width 1024 x batch 256, let it run, change the activation
  // (the theory is recomputed too) and record every main-thread task over 50 ms for a window.
  {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => failures.push(`app page error: ${e.message}`));
    await p.addInitScript(() => {
      window.__long = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push(e.duration);
      }).observe({ type: "longtask", buffered: true });
    });
    await p.goto(`${appSite.origin}/?depth=1000&width=1024&batch=256`);
    await p.waitForSelector('.status[data-engine="worker"]', { timeout: 60000 });
    await p.waitForTimeout(smoke ? 500 : 3000);
    await p.evaluate(() => window.__long.splice(0));
    await p.focus("#ctl-act");
    await p.keyboard.press("ArrowDown");
    await p.waitForTimeout(smoke ? 1000 : 8000);
    const during = await p.evaluate(() => window.__long.splice(0));
    longTasks = { count: during.length, longest: during.length ? Math.max(...during) : 0 };
    await ctx.close();
  }

  // ---- dragging depth at the default view (50 x 128 x 128): a step of one layer at a time,
  // up from 50 and then down again, each typed into the depth box and committed, timed in the
  // page from the change to the stats chart drawn with the finished run (live depth: one new
  // layer forwarded going up, none going down; the backward pass redone). The frames' 16.7 ms
  // is the unit of "a frame or two". The next value is read from the box, not the address bar,
  // which follows at most ten times a second.
  {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => failures.push(`app page error: ${e.message}`));
    await p.goto(`${appSite.origin}/`);
    await p.waitForSelector('.status[data-done="true"]', { timeout: 60000 });
    await p.waitForTimeout(300);
    const drag = (steps, step) => p.evaluate(async ([steps, step]) => {
      const box = document.getElementById("ctl-depth");
      const canvas = document.querySelector("#panel-stats canvas");
      const times = [];
      const forwardTimes = [];
      for (let i = 0; i < steps; i++) {
        const before = document.querySelector(".status").textContent;
        const t0 = performance.now();
        // One layer deeper (or shallower), committed as Enter commits a typed number.
        box.value = String(Number(box.value) + step);
        box.dispatchEvent(new Event("input", { bubbles: true }));
        box.dispatchEvent(new Event("change", { bubbles: true }));
        let forwardMs = null;
        await new Promise((resolve) => {
          // The new depth's forward pass in the status line (the backward pass computing, or
          // done), then the stats chart drawn after that: the forward statistics on screen.
          // Done with a new status line, then the stats chart drawn after that: the whole run.
          let forward = false;
          let done = false;
          const observer = new MutationObserver(() => {
            const status = document.querySelector(".status");
            if (status.textContent === before) return;
            if (!forward && /Computing the backward pass|Done:/.test(status.textContent)) forward = true;
            if (!done && status.dataset.done === "true") done = true;
          });
          const drawn = new MutationObserver(() => {
            if (forward && forwardMs === null) forwardMs = performance.now() - t0;
            if (done) {
              observer.disconnect();
              drawn.disconnect();
              resolve();
            }
          });
          observer.observe(document.body, { subtree: true, attributes: true, childList: true, characterData: true });
          drawn.observe(canvas, { attributes: true, attributeFilter: ["data-label-boxes"] });
          // A step that never draws is counted as 10 s (a worst step that says so), not a hang.
          setTimeout(() => {
            observer.disconnect();
            drawn.disconnect();
            resolve();
          }, 10000);
        });
        times.push(performance.now() - t0);
        forwardTimes.push(forwardMs ?? times[times.length - 1]);
        await new Promise((r) => setTimeout(r, 50));
      }
      const depth = Number(box.value);
      times.sort((a, b) => a - b);
      forwardTimes.sort((a, b) => a - b);
      const workers = Number(document.querySelector(".status").dataset.workers);
      return { depth, steps, workers, median: times[steps >> 1], worst: times[steps - 1], forwardMedian: forwardTimes[steps >> 1], forwardWorst: forwardTimes[steps - 1] };
    }, [steps, step]);
    depthDrag = await drag(smoke ? 2 : 20, 1);
    depthDragDown = await drag(smoke ? 2 : 20, -1);
    say(`depth drag at the default view: up ${JSON.stringify(depthDrag)}, down ${JSON.stringify(depthDragDown)}`);
    await ctx.close();
  }

  // ---- the worker pool: a recomputation of depth 100, width 512, batch 1024 (without
  // normalization and with BatchNorm) with 2 workers against 1 (workers=), timed in the page
  // from a new seed committed in the seed box to the status's done (the simulation and the
  // correlation prediction; the Jacobian follows after). Median of 3 (1 in smoke mode).
  for (const norm of ["none", "batch"]) {
    for (const workers of [1, 2]) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const p = await ctx.newPage();
      p.on("pageerror", (e) => failures.push(`app page error: ${e.message}`));
      const query = smoke ? `?depth=10&width=64&batch=256&norm=${norm}&workers=${workers}` : `?depth=100&width=512&batch=1024&norm=${norm}&workers=${workers}`;
      await p.goto(`${appSite.origin}/${query}`);
      await p.waitForSelector('.status[data-done="true"]', { timeout: 180000 });
      const used = Number(await p.getAttribute(".status", "data-workers"));
      const times = await p.evaluate(async (repeats) => {
        const box = document.getElementById("ctl-seed");
        const out = [];
        for (let i = 0; i < repeats; i++) {
          const gen = document.querySelector(".status").dataset.gen;
          const t0 = performance.now();
          box.value = String(100 + i);
          box.dispatchEvent(new Event("input", { bubbles: true }));
          box.dispatchEvent(new Event("change", { bubbles: true }));
          await new Promise((resolve) => {
            // The new run (another data-gen) done; a fast run's start and end may render in
            // one frame, so done is never seen false.
            const check = () => {
              const s = document.querySelector(".status").dataset;
              if (s.gen !== gen && s.done === "true") resolve();
              else setTimeout(check, 2);
            };
            check();
          });
          out.push(performance.now() - t0);
        }
        return out.sort((a, b) => a - b);
      }, smoke ? 1 : 3);
      poolRuns.push({ norm, workers, used, median: times[times.length >> 1], times });
      say(`pool ${query}: ${workers} asked, ${used} used, ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
      await ctx.close();
    }
  }

  // ---- four compared runs in the app's Train section: the same URL with the page's
  // navigator.hardwareConcurrency forced to 1 (one training worker: the four runs take turns,
  // as if run one after another) and as the machine reports it (one worker per run up to the
  // cores). Timed in the page from the Play click to .train-status[data-done=true]; the
  // main thread's long tasks are recorded during the parallel run.
  for (const cores of [1, null]) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const p = await ctx.newPage();
    p.on("pageerror", (e) => failures.push(`app page error: ${e.message}`));
    await p.addInitScript((c) => {
      if (c) Object.defineProperty(Navigator.prototype, "hardwareConcurrency", { get: () => c, configurable: true });
      window.__long = [];
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) window.__long.push(e.duration);
      }).observe({ type: "longtask", buffered: true });
    }, cores);
    await p.goto(`${appSite.origin}/${smoke ? FOUR_RUNS_SMOKE : FOUR_RUNS}`);
    await p.waitForSelector('.status[data-done="true"]', { timeout: 60000 });
    await p.waitForSelector("#train-play");
    await p.waitForTimeout(300);
    const ms = await p.evaluate(async () => {
      window.__long.splice(0);
      const t0 = performance.now();
      document.querySelector("#train-play").click();
      await new Promise((resolve) => {
        const check = () => (document.querySelector('.train-status[data-done="true"]') ? resolve() : setTimeout(check, 20));
        check();
      });
      return performance.now() - t0;
    });
    const long = await p.evaluate(() => window.__long.splice(0));
    const workers = await p.evaluate(() => navigator.hardwareConcurrency);
    fourRuns.push({ hardwareConcurrency: workers, ms, longTasks: long.length, longest: long.length ? Math.max(...long) : 0 });
    say(`four compared runs, hardwareConcurrency ${workers}: ${ms.toFixed(0)} ms, ${long.length} main-thread tasks over 50 ms`);
    await ctx.close();
  }
} catch (e) {
  failures.push(String(e && e.message ? e.message : e));
}
const chromiumVersion = browser.version();
await browser.close();
benchSite.server.close();
appSite.server.close();

if (!result) {
  for (const f of failures) console.error(`[bench] FAILED: ${f}`);
  process.exit(1);
}

// ---- rows
const rows = [];
const fmt = (v) => (v === null || v === undefined ? "-" : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
function row(name, ours, peer, unit, ratio, goal, met, meaning) {
  rows.push({ name, ours, peer, unit, ratio, goal, met, meaning });
}
const gflops = (n, ms) => (2 * n ** 3) / (ms * 1e6);
for (const { n, scalarMs, simdMs, transposedMs, gradWMs } of result.matmul) {
  row(`matmul ${n}x${n}x${n} simd vs scalar`, gflops(n, simdMs), gflops(n, scalarMs), "GFLOP/s", scalarMs / simdMs, ">= 3.5x", scalarMs / simdMs >= 3.5,
    "ours = simd path, peer = our scalar path; ratio = simd speed / scalar speed");
  for (const [name, ms] of [["d W^T (backward signal)", transposedMs], ["x^T d (weight gradient)", gradWMs]]) {
    row(`${name} ${n}^3 simd vs forward`, gflops(n, ms), gflops(n, simdMs), "GFLOP/s", simdMs / ms, ">= 0.8x", simdMs / ms >= 0.8,
      "ours = the backward product on the simd path, peer = the forward x W on the simd path; ratio = its speed / the forward's");
  }
}
{
  const { count, zigguratMs, boxMullerMs } = result.normals;
  row("normal sampler, ziggurat vs Box-Muller", count / zigguratMs / 1e3, count / boxMullerMs / 1e3, "M/s", boxMullerMs / zigguratMs, ">= 5x", boxMullerMs / zigguratMs >= 5,
    "ours = Rng::fill_normal_f32 (ziggurat), peer = the f64 Box-Muller it replaced (Rng::normal_box_muller); ratio = speed / peer speed");
}
const gradGoal = 5;
const forwardGoals = { "10x256x256": 1.0, "1000x256x16": 2.0 };
const shapeKey = (depth, batch, width) => `${depth}x${batch}x${width}`;
const mlpByShape = {};
for (const r of result.mlp) {
  const key = shapeKey(r.depth, r.batch, r.width);
  mlpByShape[key] = r;
  const ratio = r.grad.tfjsMs / r.grad.oursMs;
  row(`MLP grad step ${key} (depth x batch x width)`, r.grad.oursMs, r.grad.tfjsMs, "ms", ratio, `>= ${gradGoal}x`, ratio >= gradGoal,
    "ours = Mlp::grad_step, peer = tfjs variableGrads; ratio = tfjs ms / ours ms");
  if (r.forward) {
    const goal = forwardGoals[key];
    const fr = r.forward.tfjsMs / r.forward.oursMs;
    row(`MLP forward ${key}`, r.forward.oursMs, r.forward.tfjsMs, "ms", fr, goal === undefined ? "-" : `>= ${goal}x`, goal === undefined ? null : fr >= goal,
      "ours = Mlp::forward, peer = tfjs matMul+selu chain and sum(g*x); ratio = tfjs ms / ours ms");
  }
}
{
  const wasm = result.matmul.find((m) => m.n === native.matmul.n);
  if (wasm) {
    const ratio = wasm.simdMs / native.matmul.ms;
    row(`wasm vs native matmul ${native.matmul.n}^3 simd`, wasm.simdMs, native.matmul.ms, "ms", ratio, "<= 4.5x", ratio <= 4.5,
      "ours = wasm in Chromium, peer = the same code native; ratio = wasm ms / native ms (smaller is better)");
  }
  const r = result.relaxed;
  if (r) {
    const ratio = r.simdMs / r.relaxedMs;
    row(`matmul ${r.n}^3 relaxed vs simd128 (CPU FMA: ${cpuFma ? "yes" : "no"}; relaxed_madd fused here: ${r.fuses ? "yes" : "no"})`,
      gflops(r.n, r.relaxedMs), gflops(r.n, r.simdMs), "GFLOP/s", ratio, ">= 1.6x", cpuFma ? ratio >= 1.6 : null,
      "ours = the relaxed-SIMD build's relaxed path (f32x4.relaxed_madd), peer = the same build's simd128 path; ratio = relaxed speed / simd128 speed; the goal applies where the CPU has FMA");
  }
  const best = nativeBest.matmul;
  if (wasm && best.n === native.matmul.n) {
    const ratio = wasm.simdMs / best.ms;
    row(`wasm simd128 vs native -C target-cpu=native matmul ${best.n}^3`, wasm.simdMs, best.ms, "ms", ratio, "-", null,
      "ours = the simd path, wasm in Chromium; peer = the simd path compiled natively for this CPU; ratio = wasm ms / native ms");
  }
  if (r && best.n === r.n && best.relaxed_ms !== null) {
    const ratio = r.relaxedMs / best.relaxed_ms;
    row(`wasm relaxed vs native -C target-cpu=native matmul ${best.n}^3`, r.relaxedMs, best.relaxed_ms, "ms", ratio, "<= 2x", ratio <= 2,
      "ours = the relaxed path, wasm in Chromium; peer = the relaxed path compiled natively for this CPU (f32::mul_add as FMA); ratio = wasm ms / native ms");
  }
  const g = native.grad_step;
  const wasmGrad = mlpByShape[shapeKey(g.depth, g.batch, g.width)];
  if (wasmGrad) {
    const ratio = wasmGrad.grad.oursMs / g.ms;
    row(`wasm vs native MLP grad step ${shapeKey(g.depth, g.batch, g.width)}`, wasmGrad.grad.oursMs, g.ms, "ms", ratio, "<= 4.5x", ratio <= 4.5,
      "ours = wasm in Chromium, peer = the same code native; ratio = wasm ms / native ms (smaller is better)");
  }
}
for (const t of result.train) {
  const ratio = t.tfjsMs / t.oursMs;
  row(`training step ${t.inputs}->${t.depth}x${t.width}->${t.classes}, minibatch ${t.rows}`, t.oursMs, t.tfjsMs, "ms", ratio, ">= 5x", ratio >= 5,
    "ours = Train lab step (forward, softmax cross-entropy, backward, Adam), peer = tfjs optimizer.minimize; ratio = tfjs ms / ours ms");
}
const simGoals = smoke ? [16, 33, 33] : { "10x256x64": 16, "50x128x128": 33, "1000x16x256": 33 };
result.sim.forEach((s, i) => {
  const goal = smoke ? simGoals[i] : simGoals[`${s.depth}x${s.width}x${s.batch}`];
  row(`Simulation::run depth ${s.depth} width ${s.width} batch ${s.batch}`, s.ms, null, "ms", null, `<= ${goal} ms`, s.ms <= goal,
    "the app's full recomputation (forward, backward, statistics, histograms, correlation pairs)");
});
// The relaxed-SIMD module is fetched only by pages asking for kernels=relaxed: not the default's.
const isRelaxed = (f) => f.file.startsWith("activation-lab-relaxed-");
const defaultFiles = shipped.filter((f) => !isRelaxed(f));
const gzipTotal = defaultFiles.reduce((a, f) => a + f.gzip, 0) / 1024;
row("release wasm + js, gzip -9", gzipTotal, null, "KiB", null, "<= 350 KB", gzipTotal <= 350,
  `trunk build --release output the default page loads (${defaultFiles.map((f) => f.file).join(", ")}), each file gzipped at level 9, summed`);
const relaxedFiles = shipped.filter(isRelaxed);
if (relaxedFiles.length) {
  const relaxedGzip = relaxedFiles.reduce((a, f) => a + f.gzip, 0) / 1024;
  row("relaxed-SIMD module (kernels=relaxed only), gzip -9", relaxedGzip, null, "KiB", null, "-", null,
    `loaded by the workers of a page asking for kernels=relaxed, besides the default files (${relaxedFiles.map((f) => f.file).join(", ")})`);
}
const coldBest = Math.min(...coldMs);
row(`cold load to default plots drawn (best of ${coldMs.length})`, coldBest, null, "ms", null, "<= 1500 ms", coldBest <= 1500,
  "fresh browser context, navigation start to .status[data-done=true] on loopback");
if (longTasks) {
  row("longest main-thread task while 1000x1024x256 recomputes", longTasks.longest, null, "ms", null, "<= 50 ms",
    longTasks.longest <= 50,
    `PerformanceObserver longtask entries (tasks over 50 ms; 0 = none) in the ${smoke ? 1 : 8} s after an activation change, simulation and theory in the worker (${longTasks.count} long tasks)`);
}

for (const [d, dir, what] of [[depthDrag, "up", "depth + 1 (one layer forwarded)"], [depthDragDown, "down", "depth - 1 (no layer forwarded: cut from the layers held)"]]) {
  if (!d) continue;
  row(`depth drag ${dir} at the default view: forward statistics drawn (median)`, d.forwardMedian, null, "ms", null, "<= 33 ms (two frames)", d.forwardMedian <= 33.4,
    `${what} committed in the depth box to the stats chart drawn with the new depth's forward statistics (the backward pass still computing), ${d.steps} steps from ${d.depth - (dir === "up" ? d.steps : -d.steps)} on ${d.workers} workers; worst step ${d.forwardWorst.toFixed(0)} ms`);
  row(`depth drag ${dir} at the default view: whole run drawn (median)`, d.median, null, "ms", null, "<= 33 ms (two frames)", d.median <= 33.4,
    `${what} committed in the depth box to the stats chart drawn with the finished run (the backward pass redone), ${d.steps} steps (ended at ${d.depth}) on ${d.workers} workers; worst step ${d.worst.toFixed(0)} ms`);
}

for (const [norm, goal] of [["none", 1.7], ["batch", 1.6]]) {
  const one = poolRuns.find((r) => r.norm === norm && r.workers === 1);
  const two = poolRuns.find((r) => r.norm === norm && r.workers === 2);
  if (one && two) {
    const speedup = one.median / two.median;
    row(`recomputation ${smoke ? "10x256x64" : "100x1024x512"} ${norm === "none" ? "without normalization" : "BatchNorm"}, 2 workers vs 1`, two.median, one.median, "ms", speedup, `>= ${goal}x`, speedup >= goal,
      `a new seed committed to the status's done (simulation and correlation prediction), median of ${two.times.length}; ours = workers=2 (${two.used} used), peer = workers=1; ratio = peer / ours (larger is better)`);
  }
}

if (fourRuns.length === 2) {
  const [one, all] = fourRuns;
  const ratio = all.ms / one.ms;
  row(`four compared runs in the app, ${all.hardwareConcurrency} workers vs 1`, all.ms, one.ms, "ms", ratio, "<= 0.6x", ratio <= 0.6,
    `Train section, ${smoke ? FOUR_RUNS_SMOKE : FOUR_RUNS}: Play to done; ours = workers as the machine reports cores, peer = hardwareConcurrency forced to 1 (the runs take turns in one worker); ratio = ours / peer (smaller is better)`);
  row("longest main-thread task while four runs train", all.longest, null, "ms", null, "<= 50 ms", all.longest <= 50,
    `PerformanceObserver longtask entries (tasks over 50 ms; 0 = none) from Play to done in the parallel run (${all.longTasks} long tasks)`);
}

// ---- machine
const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
const cpuModel = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || "unknown cpu";
const rustc = execFileSync("rustc", ["--version"], { env, encoding: "utf8" }).trim();
const machine = `${cpuModel}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, Chromium ${chromiumVersion} (headless), ${rustc}, node ${process.version}`;

// ---- table and JSON
console.log(`\nActivation Lab benchmark (${mode})\nmachine: ${machine}`);
console.log(`tfjs ${result.env.tfjs.version} on ${result.env.tfjs.backend}, SIMD ${result.env.tfjs.simd}, threads ${result.env.tfjs.threads}, loaded ${result.env.tfjs.wasmFiles.join(", ")}; our wasm simd128 ${result.env.simd128Compiled}\n`);
const table = [["benchmark", "ours", "peer", "unit", "ratio", "goal", "met"]].concat(
  rows.map((r) => [r.name, fmt(r.ours), fmt(r.peer), r.unit, r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`, r.goal, r.met === null ? "-" : r.met ? "yes" : "NO"]),
);
const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
for (const [i, r] of table.entries()) {
  console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
for (const w of result.warnings) console.log(`WARNING: ${w}`);
if (smoke) console.log("(smoke mode: tiny shapes, one repetition; the figures mean nothing)");

fs.mkdirSync(outDir, { recursive: true });
const json = {
  machine,
  mode,
  tfjs: result.env.tfjs,
  rows: rows.map(({ name, ours, peer, unit, ratio, goal, met, meaning }) => ({ name, ours, peer, unit, ratio, goal, met, meaning })),
  cold_load_ms: coldMs,
  shipped,
  native,
  nativeBest,
  cpuFma,
  losses: result.mlp.map((r) => ({ shape: shapeKey(r.depth, r.batch, r.width), ...r.loss })),
  train: result.train,
  four_runs: fourRuns,
  pool_runs: poolRuns,
  warnings: result.warnings,
};
fs.writeFileSync(path.join(outDir, "results.json"), JSON.stringify(json, null, 2) + "\n");
// The same table in Markdown, for BENCHMARKS.md.
const md = [`Machine: ${machine}.`, "", "| Benchmark | Ours | Peer | Unit | Ratio | Goal | Met |", "| --- | ---: | ---: | --- | ---: | --- | --- |"]
  .concat(table.slice(1).map((r) => `| ${r.join(" | ")} |`))
  .join("\n");
fs.writeFileSync(path.join(outDir, "results.md"), md + "\n");
say(`wrote ${path.relative(root, path.join(outDir, "results.json"))} and results.md`);

if (smoke) {
  for (const t of result.train) if (!t.loss.agree) failures.push(`training losses disagree at ${t.depth}x${t.width}: ours ${t.loss.ours}, tfjs ${t.loss.tfjs}`);
  for (const r of result.mlp) if (!r.loss.agree) failures.push(`losses disagree at ${shapeKey(r.depth, r.batch, r.width)}: ours ${r.loss.ours}, tfjs ${r.loss.tfjs}`);
}
if (!result.env.tfjs.wasmFiles.length) failures.push("no tfjs .wasm file was loaded");
for (const f of failures) console.error(`[bench] FAILED: ${f}`);
process.exit(failures.length ? 1 : 0);
