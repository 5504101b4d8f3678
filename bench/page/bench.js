// The bench page: times lab-core (wasm, via target/bench/pkg) and TensorFlow.js on its wasm
// backend in the same page run, and returns the figures to bench/run.mjs (page.evaluate).
// Every timing is the best of `reps` repetitions after a warm-up; a repetition repeats the
// work until it lasts at least `minMs`, so the 0.1 ms timer resolution is negligible.
import init, * as lab from "/pkg/lab_bench.js";

const logEl = document.getElementById("log");
function log(line) {
  logEl.textContent += line + "\n";
  console.log(`[bench] ${line}`);
}

/** Same loop as lab-bench's best_ms. */
function bestMs({ reps, minMs }, work) {
  work();
  let best = Infinity;
  for (let r = 0; r < Math.max(1, reps); r++) {
    const start = performance.now();
    let calls = 0;
    for (;;) {
      work();
      calls++;
      const elapsed = performance.now() - start;
      if (elapsed >= minMs) {
        best = Math.min(best, elapsed / calls);
        break;
      }
    }
  }
  return best;
}

/** TensorFlow.js on the wasm backend, files from /tfjs-wasm/; throws unless it really is wasm. */
async function setupTfjs() {
  if (typeof tf === "undefined" || !tf.wasm) throw new Error("tfjs or tfjs-backend-wasm did not load");
  tf.wasm.setWasmPaths(new URL("/tfjs-wasm/", location.href).href);
  const ok = await tf.setBackend("wasm");
  await tf.ready();
  const backend = tf.getBackend();
  if (!ok || backend !== "wasm") throw new Error(`tfjs backend is ${backend}, not wasm`);
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  const wasmFiles = performance
    .getEntriesByType("resource")
    .map((e) => e.name)
    .filter((n) => n.includes("/tfjs-wasm/") && n.endsWith(".wasm"))
    .map((n) => n.split("/").pop());
  return { version: tf.version.tfjs, backend, simd, threads, wasmFiles };
}

/** The same network in tfjs: variables W^l from ours, input and g from ours. */
function tfjsMlp(m, depth, batch, width) {
  const Ws = [];
  for (let l = 0; l < depth; l++) {
    const initial = tf.tensor2d(m.weight(l), [width, width]);
    Ws.push(tf.variable(initial));
    initial.dispose();
  }
  const x = tf.tensor2d(m.input(), [batch, width]);
  const g = tf.tensor2d(m.g(), [batch, width]);
  const loss = () => {
    let a = x;
    for (const W of Ws) a = tf.selu(tf.matMul(a, W));
    return tf.sum(tf.mul(g, a));
  };
  return {
    loss() {
      let value;
      tf.tidy(() => {
        value = loss().dataSync()[0];
      });
      return value;
    },
    forward() {
      tf.tidy(() => {
        loss().dataSync();
      });
    },
    gradStep() {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, Ws);
        value.dataSync();
        // dL/dW^1 is the last gradient the backward pass computes.
        grads[Ws[0].name].dataSync();
      });
    },
    dispose() {
      for (const W of Ws) W.dispose();
      x.dispose();
      g.dispose();
    },
  };
}

/**
 * The Train lab's classifier in tfjs, with our initial weights and biases, minibatch and labels:
 * selu(x W + b) per hidden layer, a linear readout, tf.losses.softmaxCrossEntropy (mean over
 * the minibatch) and tf.train.adam with the same lr, beta1 0.9, beta2 0.999, eps 1e-8.
 */
function tfjsTrainStep(t, classes) {
  const layers = t.layers();
  const vars = [];
  const Ws = [];
  const bs = [];
  for (let l = 0; l < layers; l++) {
    const w0 = tf.tensor2d(t.weight(l), [t.fan_in(l), t.fan_out(l)]);
    const b0 = tf.tensor1d(t.bias(l));
    const w = tf.variable(w0);
    const b = tf.variable(b0);
    w0.dispose();
    b0.dispose();
    Ws.push(w);
    bs.push(b);
    vars.push(w, b);
  }
  const labels = Int32Array.from(t.labels());
  const x = tf.tensor2d(t.x(), [labels.length, t.fan_in(0)]);
  const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), classes));
  const optimizer = tf.train.adam(lab.TrainStepBench.lr(), 0.9, 0.999, 1e-8);
  const loss = () => {
    let a = x;
    for (let l = 0; l < layers - 1; l++) a = tf.selu(tf.add(tf.matMul(a, Ws[l]), bs[l]));
    const logits = tf.add(tf.matMul(a, Ws[layers - 1]), bs[layers - 1]);
    return tf.losses.softmaxCrossEntropy(onehot, logits);
  };
  return {
    /** One update; the loss before it (as TrainStepBench.step). */
    step() {
      const cost = optimizer.minimize(loss, true, vars);
      const value = cost.dataSync()[0];
      cost.dispose();
      return value;
    },
    dispose() {
      for (const v of vars) v.dispose();
      x.dispose();
      onehot.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * Loose agreement of the two losses: the difference is within `relTol` of the larger of the
 * losses and sqrt(batch * width), the typical size of sum(g * x) for unit-variance terms.
 */
function lossesAgree(ours, theirs, batch, width, relTol) {
  const scale = Math.max(Math.abs(ours), Math.abs(theirs), Math.sqrt(batch * width));
  return Number.isFinite(ours) && Number.isFinite(theirs) && Math.abs(ours - theirs) <= relTol * scale;
}

export async function runBench(plan) {
  const budget = { reps: plan.reps, minMs: plan.minMs };
  const out = { env: {}, matmul: [], mlp: [], sim: [], warnings: [] };
  out.env.userAgent = navigator.userAgent;
  out.env.simd128Compiled = lab.simd128_compiled();
  out.env.tfjs = await setupTfjs();
  log(`tfjs ${out.env.tfjs.version} backend ${out.env.tfjs.backend}, simd ${out.env.tfjs.simd}, ` +
    `threads ${out.env.tfjs.threads}, wasm files ${out.env.tfjs.wasmFiles.join(" ")}`);
  if (!out.env.tfjs.simd) out.warnings.push("tfjs-backend-wasm runs without SIMD in this browser");

  for (const n of plan.matmul) {
    const scalarMs = lab.bench_matmul(n, "scalar", budget.reps, budget.minMs);
    const simdMs = lab.bench_matmul(n, "simd", budget.reps, budget.minMs);
    // The backward pass's two products on the simd path, to compare with the forward's speed.
    const transposedMs = lab.bench_product("transposed", n, "simd", budget.reps, budget.minMs);
    const gradWMs = lab.bench_product("grad_w", n, "simd", budget.reps, budget.minMs);
    out.matmul.push({ n, scalarMs, simdMs, transposedMs, gradWMs });
    log(`matmul ${n}^3: scalar ${scalarMs.toFixed(3)} ms, simd ${simdMs.toFixed(3)} ms, ` +
      `transposed ${transposedMs.toFixed(3)} ms, grad_w ${gradWMs.toFixed(3)} ms`);
  }

  // The relaxed-SIMD twin of the bench module (built by bench/run.mjs into /pkg-relaxed/): the
  // matmul on its simd128 and its relaxed path, where this browser validates it.
  out.relaxed = null;
  try {
    const relaxed = await import("/pkg-relaxed/lab_bench.js");
    await relaxed.default();
    const n = plan.matmul[plan.matmul.length - 1];
    const simdMs = relaxed.bench_matmul(n, "simd", budget.reps, budget.minMs);
    const relaxedMs = relaxed.bench_matmul(n, "relaxed", budget.reps, budget.minMs);
    out.relaxed = { n, simdMs, relaxedMs, compiled: relaxed.relaxed_simd_compiled(), fuses: relaxed.relaxed_fuses() };
    log(`relaxed build, matmul ${n}^3: simd ${simdMs.toFixed(3)} ms, relaxed ${relaxedMs.toFixed(3)} ms, fused ${out.relaxed.fuses}`);
  } catch (e) {
    out.warnings.push(`the relaxed-SIMD module did not run: ${e}`);
  }

  {
    const count = lab.normals_per_call();
    const zigguratMs = lab.bench_normals(true, budget.reps, budget.minMs);
    const boxMullerMs = lab.bench_normals(false, budget.reps, budget.minMs);
    out.normals = { count, zigguratMs, boxMullerMs };
    log(`${count} normals: ziggurat ${zigguratMs.toFixed(3)} ms, Box-Muller ${boxMullerMs.toFixed(3)} ms`);
  }

  for (const { depth, batch, width, forward } of plan.mlp) {
    const tensorsBefore = tf.memory().numTensors;
    const m = new lab.MlpBench(depth, batch, width, 1n);
    const peer = tfjsMlp(m, depth, batch, width);
    // The agreement is checked on our scalar path (activations evaluated in f64 and rounded):
    // a 1000-layer network amplifies rounding differences, and the SIMD path's polynomial
    // activations (errors up to about 1e-6, documented per function) can move its loss by a
    // few percent at that depth where tfjs and our scalar path still agree to 1e-4.
    const simdLoss = m.grad_step("simd");
    const oursLoss = m.forward("scalar");
    const tfjsLoss = peer.loss();
    const agree = lossesAgree(oursLoss, tfjsLoss, batch, width, plan.lossRelTol);
    const shape = `${depth}x${batch}x${width}`;
    if (!agree) out.warnings.push(`MLP ${shape}: losses disagree, ours ${oursLoss} vs tfjs ${tfjsLoss}`);
    const row = { depth, batch, width, loss: { ours: oursLoss, oursSimd: simdLoss, tfjs: tfjsLoss, agree } };
    row.grad = {
      oursMs: m.grad_step_best_ms("simd", budget.reps, budget.minMs),
      tfjsMs: bestMs(budget, () => peer.gradStep()),
    };
    if (forward) {
      row.forward = {
        oursMs: m.forward_best_ms("simd", budget.reps, budget.minMs),
        tfjsMs: bestMs(budget, () => peer.forward()),
      };
    }
    peer.dispose();
    m.free();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) out.warnings.push(`MLP ${shape}: ${leaked} tfjs tensors leaked`);
    out.mlp.push(row);
    log(`MLP ${shape}: loss ours ${oursLoss.toPrecision(7)} (simd ${simdLoss.toPrecision(7)}) tfjs ${tfjsLoss.toPrecision(7)}` +
      `${agree ? "" : " DISAGREE"}; grad step ours ${row.grad.oursMs.toFixed(3)} ms, tfjs ${row.grad.tfjsMs.toFixed(3)} ms` +
      (row.forward ? `; forward ours ${row.forward.oursMs.toFixed(3)} ms, tfjs ${row.forward.tfjsMs.toFixed(3)} ms` : ""));
  }

  // One training step of the Train lab. Before timing, both take `plan.trainCheckSteps` steps
  // from the same parameters on the same minibatch: the losses before each (the first at the
  // initial parameters, the later ones after Adam updates) must agree, or the peer computes
  // something else.
  out.train = [];
  for (const { inputs, depth, width, classes, rows } of plan.train) {
    const tensorsBefore = tf.memory().numTensors;
    const t = new lab.TrainStepBench(inputs, depth, width, classes, rows, 1n);
    const peer = tfjsTrainStep(t, classes);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < plan.trainCheckSteps; i++) {
      ours.push(t.step());
      theirs.push(peer.step());
    }
    const agree = ours.every((v, i) => Number.isFinite(v) && Math.abs(v - theirs[i]) <= plan.trainLossTol * Math.max(1, Math.abs(v)));
    const shape = `${inputs}->${depth}x${width}->${classes} minibatch ${rows}`;
    if (!agree) out.warnings.push(`training step ${shape}: losses disagree, ours ${ours.join(" ")} vs tfjs ${theirs.join(" ")}`);
    const row = {
      inputs, depth, width, classes, rows,
      loss: { ours, tfjs: theirs, agree },
      oursMs: t.step_best_ms(budget.reps, budget.minMs),
      tfjsMs: bestMs(budget, () => peer.step()),
    };
    peer.dispose();
    t.free();
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) out.warnings.push(`training step ${shape}: ${leaked} tfjs tensors leaked`);
    out.train.push(row);
    log(`training step ${shape}: losses ours ${ours.map((v) => v.toFixed(5)).join(" ")} tfjs ${theirs.map((v) => v.toFixed(5)).join(" ")}` +
      `${agree ? "" : " DISAGREE"}; ours ${row.oursMs.toFixed(3)} ms, tfjs ${row.tfjsMs.toFixed(3)} ms`);
  }

  for (const { depth, width, batch } of plan.sim) {
    const ms = lab.sim_run_best_ms(depth, width, batch, budget.reps, budget.minMs);
    out.sim.push({ depth, width, batch, ms });
    log(`Simulation::run depth ${depth} width ${width} batch ${batch}: ${ms.toFixed(2)} ms`);
  }
  for (const w of out.warnings) log(`WARNING: ${w}`);
  return out;
}

/** The plans bench/run.mjs passes; also used when the page is opened by hand with ?auto. */
export const PLANS = {
  full: {
    reps: 7,
    minMs: 50,
    lossRelTol: 1e-2,
    matmul: [256, 512],
    mlp: [
      { depth: 10, batch: 256, width: 256, forward: true },
      { depth: 100, batch: 64, width: 128, forward: false },
      { depth: 1000, batch: 256, width: 16, forward: true },
    ],
    trainCheckSteps: 3,
    trainLossTol: 1e-3,
    train: [
      { inputs: 64, depth: 8, width: 256, classes: 10, rows: 128 },
      { inputs: 64, depth: 32, width: 128, classes: 10, rows: 64 },
    ],
    sim: [
      { depth: 10, width: 256, batch: 64 },
      { depth: 50, width: 128, batch: 128 },
      { depth: 1000, width: 16, batch: 256 },
    ],
  },
  smoke: {
    reps: 1,
    minMs: 1,
    lossRelTol: 1e-2,
    matmul: [16, 32],
    mlp: [
      { depth: 2, batch: 8, width: 16, forward: true },
      { depth: 3, batch: 8, width: 16, forward: false },
      { depth: 4, batch: 16, width: 8, forward: true },
    ],
    trainCheckSteps: 3,
    trainLossTol: 1e-3,
    train: [
      { inputs: 8, depth: 2, width: 16, classes: 3, rows: 8 },
      { inputs: 8, depth: 4, width: 8, classes: 3, rows: 6 },
    ],
    sim: [
      { depth: 2, width: 16, batch: 8 },
      { depth: 3, width: 8, batch: 8 },
      { depth: 4, width: 8, batch: 16 },
    ],
  },
};

try {
  await init();
  window.runBench = runBench;
  window.benchPlans = PLANS;
  window.benchReady = true;
  log("ready");
  const query = new URLSearchParams(location.search);
  if (query.has("auto")) {
    const result = await runBench(query.has("smoke") ? PLANS.smoke : PLANS.full);
    log(JSON.stringify(result, null, 2));
  }
} catch (e) {
  window.benchError = String(e && e.stack ? e.stack : e);
  log(`ERROR: ${window.benchError}`);
  throw e;
}
