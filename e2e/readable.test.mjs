// End-to-end tests of issue 15, "Readable at every size": on a phone (390 x 844, 3x, touch) and
// on a desktop (1400 x 1000), no page overflows sideways, no two tick labels of any chart
// overlap, no legend or status label covers plotted data, and the tap targets are at least
// 24 px. The chart layer reports what it drew where in each canvas's `data-label-boxes`
// (canvas pixels): {"labels":[[x,y,w,h]...],"plots":[[x,y,w,h]...],"legends":[[x,y,w,h,covered]...]},
// `covered` being the drawn pixels under the legend's box before it was drawn.
// Screenshots of every panel at both sizes land in e2e/artifacts/readable-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useBrowser, browser, origin, artifacts, waitDone, labPanels, openDevice } from "./harness.mjs";

useBrowser();

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true };
const DESKTOP = { viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 };
/** The extremes beside the gallery: an explosion, a collapse, the GELU difference. */
const EXTREMES = [
  "?act=relu&init=he_normal&gain=2&depth=200",
  "?act=tanh&gain=0.5&depth=200",
  "?act=gelu&gelu_diff=1&overlay=gelu_tanh,relu",
  "?act=linear&init=normal&depth=1000&width=16&batch=16",
];
const TRAIN = "?task=spiral&noise=0.1&act=selu&depth=6&width=16&opt=adam&lr=0.01&steps=200&eval_every=20&seed=3&play=1&runs=norm:none;norm:layer";
const TRAIN_PANELS = ["loss", "train_stats", "weights", "decision"];

const open = openDevice;

const overlap = (a, b) => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

/** Every problem the canvases' reports show: overlapping tick labels, labels off the canvas,
 * legends over drawn data, charts that report nothing. */
async function chartProblems(page, panels, label) {
  const out = [];
  let labels = 0;
  for (const name of panels) {
    const report = await page.$eval(`#panel-${name} canvas`, (c) => ({
      boxes: c.getAttribute("data-label-boxes"),
      w: c.width,
      h: c.height,
    }));
    assert.ok(report.boxes, `${label}: ${name} reports its label boxes`);
    const r = JSON.parse(report.boxes);
    if (r.labels.length < 2) out.push(`${label} ${name}: only ${r.labels.length} tick labels`);
    labels += r.labels.length;
    for (let i = 0; i < r.labels.length; i++) {
      const a = r.labels[i];
      if (a[0] < 0 || a[1] < 0 || a[0] + a[2] > report.w || a[1] + a[3] > report.h) {
        out.push(`${label} ${name}: label ${JSON.stringify(a)} leaves the ${report.w}x${report.h} canvas`);
      }
      for (let j = 0; j < i; j++) {
        if (overlap(a, r.labels[j])) out.push(`${label} ${name}: labels ${JSON.stringify(a)} and ${JSON.stringify(r.labels[j])} overlap`);
      }
    }
    for (const l of r.legends) {
      if (l[4] > 0) out.push(`${label} ${name}: legend ${JSON.stringify(l.slice(0, 4))} covers ${l[4]} drawn pixels`);
      for (const a of r.labels) {
        if (overlap(l, a)) out.push(`${label} ${name}: legend ${JSON.stringify(l.slice(0, 4))} covers label ${JSON.stringify(a)}`);
      }
    }
  }
  return { problems: out, labels };
}

/** Page-level layout problems: sideways overflow, tap targets under 24 px. */
async function layoutProblems(page, label) {
  return page.evaluate((label) => {
    const out = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth) out.push(`${label}: page is ${doc.scrollWidth} px wide in a ${window.innerWidth} px viewport`);
    const targets = document.querySelectorAll("button, select, input[type=checkbox], input[type=radio], summary");
    for (const t of targets) {
      const r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // not shown (closed menu, hidden control)
      if (r.width < 24 || r.height < 24) out.push(`${label}: ${t.tagName.toLowerCase()}.${t.className || t.id || t.textContent.trim().slice(0, 20)} is ${r.width.toFixed(0)} x ${r.height.toFixed(0)} px`);
    }
    return out;
  }, label);
}

async function shoot(page, panels, label) {
  for (const name of panels) {
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `readable-${label}-${name}.png`) });
  }
}

for (const [size, device] of [["phone", PHONE], ["desktop", DESKTOP]]) {
  test(`${size}: no overflow, no crowded tick labels, no legend on the data, across the gallery and the extremes`, async () => {
    const { page, context, problems } = await open(device, "?");
    await waitDone(page);
    const gallery = await page.$$eval(".presets a", (as) => as.map((a) => new URL(a.href).search));
    assert.ok(gallery.length >= 5, `the preset gallery: ${gallery}`);
    const found = [];
    let labels = 0;
    for (const query of [...gallery, ...EXTREMES]) {
      await page.goto(`${origin}/${query}`);
      await waitDone(page);
      const panels = await labPanels(page);
      const c = await chartProblems(page, panels, `${size} ${query}`);
      found.push(...c.problems, ...(await layoutProblems(page, `${size} ${query}`)));
      labels += c.labels;
    }
    // Screenshots at the default settings and at the GELU difference, whose plot keeps at
    // least 120 CSS pixels of height.
    await page.goto(`${origin}/?act=gelu&gelu_diff=1&overlay=gelu_tanh,relu`);
    await waitDone(page);
    const plots = JSON.parse(await page.getAttribute("#panel-activation canvas", "data-label-boxes")).plots;
    assert.equal(plots.length, 2, "the activation and the GELU difference");
    assert.ok(plots[1][3] >= 120 * device.deviceScaleFactor, `GELU difference plot ${plots[1][3]} px tall`);
    await shoot(page, await labPanels(page), `${size}-gelu`);
    await page.goto(`${origin}/?act=relu&init=he_normal&gain=2&depth=200`);
    await waitDone(page);
    await shoot(page, await labPanels(page), `${size}-explosion`);
    console.log(`${size}: ${labels} tick labels checked over ${gallery.length + EXTREMES.length} settings`);
    assert.deepEqual(found, []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`${size}: the Train section's charts follow the same rules`, async () => {
    const { page, context, problems } = await open(device, TRAIN);
    await page.waitForSelector('.train-status[data-done="true"]', { timeout: 90000 });
    await page.waitForTimeout(300);
    const c = await chartProblems(page, TRAIN_PANELS, `${size} train`);
    const found = [...c.problems, ...(await layoutProblems(page, `${size} train`))];
    await shoot(page, TRAIN_PANELS, `${size}-train`);
    assert.deepEqual(found, []);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test("phone: the export menu opens and its buttons stay inside the viewport", async () => {
  const { page, context, problems } = await open(PHONE, "?depth=20&width=64&batch=32");
  await waitDone(page);
  const menu = page.locator("#panel-stats details.export");
  await menu.locator("summary").click();
  for (const cls of ["download", "download-png", "download-png2x"]) {
    const box = await menu.locator(`button.${cls}`).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${cls} inside the viewport: ${JSON.stringify(box)}`);
    assert.ok(box.height >= 24 && box.width >= 24, `${cls} is a 24 px target`);
  }
  const [download] = await Promise.all([page.waitForEvent("download"), menu.locator("button.download").click()]);
  assert.match(download.suggestedFilename(), /stats.*\.csv$/);
  assert.deepEqual(await layoutProblems(page, "phone menu open"), []);
  assert.deepEqual(problems, []);
  await context.close();
});

/** Focuses a chart, presses keys, and returns its readout line's text after each. */
async function readOut(page, name, keys) {
  await page.focus(`#panel-${name} canvas`);
  const out = [];
  for (const key of keys) {
    await page.keyboard.press(key);
    out.push(await page.textContent(`#readout-${name}`));
  }
  return out;
}

const num = (text, re) => {
  const m = text.match(re);
  assert.ok(m, `${re} in "${text}"`);
  return m.slice(1).map(Number);
};
const near = (a, b, rel, what) => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12), `${what}: ${a} vs ${b}`);

test("every chart has a readout: the SELU map, the phase map, the Jacobian and the Train charts, by keyboard and pointer", async () => {
  // ReLU with LeCun normal weights (sigma_w^2 = 1, sigma_b^2 = 0): closed forms to read against.
  const { page, context, problems } = await open(DESKTOP, `${TRAIN.replace("act=selu", "act=relu")}&width=64&batch=32`);
  await waitDone(page);
  await page.waitForSelector('.train-status[data-done="true"]', { timeout: 90000 });
  await page.waitForTimeout(300);
  // Every chart that draws takes the focus and has a readout line.
  const charts = await page.$$eval("section.panel canvas.plot", (cs) => cs.map((c) => [c.closest("section").id.slice(6), c.tabIndex, Boolean(document.getElementById(`readout-${c.closest("section").id.slice(6)}`))]));
  const missing = charts.filter(([, tab, line]) => tab < 0 || !line).map(([n]) => n);
  assert.deepEqual(missing, [], `charts without a keyboard readout (of ${charts.map((c) => c[0])})`);
  for (const name of ["selu_map", "phase", "jacobian", "loss", "train_stats", "weights", "decision"]) {
    assert.ok(charts.some(([n]) => n === name), `${name} is on the page`);
  }

  // The map: layer 1 first; then, past the layers and the fixed point, the arrows of
  // ReLU's map: q = mean^2 + var, next mean sqrt(q / 2 pi), next variance q (1/2 - 1/(2 pi)).
  const [layer1] = await readOut(page, "selu_map", ["Home"]);
  assert.match(layer1, /^Layer 1 \(simulated\): mean [-\d.e]+, variance [-\d.e]+$/);
  const [arrow] = await readOut(page, "selu_map", ["End"]);
  const [m, v, nm, nv] = num(arrow, /^The map: a layer with mean ([-\d.e]+), variance ([-\d.e]+) gives the next mean ([-\d.e]+), variance ([-\d.e]+)$/);
  const q = m * m + v;
  near(nm, Math.sqrt(q / (2 * Math.PI)), 0.01, "ReLU map mean");
  near(nv, q * (0.5 - 1 / (2 * Math.PI)), 0.01, "ReLU map variance");
  await page.locator("#panel-selu_map").screenshot({ path: path.join(artifacts, "readable-readout-selu_map.png") });

  // The phase map: ReLU's chi_1 is sigma_w^2 / 2 whatever sigma_b^2; up moves along sigma_b^2.
  const phase = await readOut(page, "phase", ["Home", "ArrowRight", "ArrowUp"]);
  const cells = phase.map((t) => num(t, /^σ_w² = ([-\d.e]+), σ_b² = ([-\d.e]+): χ₁ = ([-\d.e]+) \((ordered|chaotic|critical)\)/));
  for (const [sw, , chi1] of cells) near(chi1, sw / 2, 0.01, "ReLU chi_1");
  assert.ok(cells[1][0] > cells[0][0] && cells[1][1] === cells[0][1], "right: the next sigma_w^2");
  assert.ok(cells[2][1] > cells[1][1] && cells[2][0] === cells[1][0], "up: the next sigma_b^2");
  // The pointer: the cell under it, read back through the plot's recorded axes.
  const box = await page.$eval("#panel-phase canvas", (c) => {
    const r = JSON.parse(c.getAttribute("data-label-boxes"));
    const k = c.width / c.clientWidth;
    return { plot: r.plots[0].map((v) => v / k), range: r.ranges[0] };
  });
  const [fx, fy] = [0.7, 0.25];
  await page.locator("#panel-phase canvas").hover({ position: { x: box.plot[0] + fx * box.plot[2], y: box.plot[1] + (1 - fy) * box.plot[3] } });
  const [sw, sb] = num(await page.textContent("#readout-phase"), /^σ_w² = ([-\d.e]+), σ_b² = ([-\d.e]+)/);
  const [w0, w1, b0, b1] = box.range;
  assert.ok(Math.abs(sw - (w0 + fx * (w1 - w0))) <= (w1 - w0) / 20, `pointer sigma_w^2 ${sw} near ${w0 + fx * (w1 - w0)}`);
  assert.ok(Math.abs(sb - (b0 + fy * (b1 - b0))) <= (b1 - b0) / 10, `pointer sigma_b^2 ${sb} near ${b0 + fy * (b1 - b0)}`);
  assert.ok(await page.isVisible("#panel-phase .readout-cursor.ring"), "a ring marks the cell");
  await page.locator("#panel-phase").screenshot({ path: path.join(artifacts, "readable-readout-phase.png") });

  // The Jacobian: the bins' counts (and the values below the floor) add up to the width.
  const bins = await readOut(page, "jacobian", ["Home", ...Array(39).fill("ArrowRight")]);
  let total = 0;
  for (const t of bins) {
    const [count] = num(t, /^Singular values from [-\d.e]+ to [-\d.e]+: (\d+) of this run/);
    total += count + (Number(t.match(/and (\d+) below the f64 floor/)?.[1]) || 0);
  }
  assert.equal(total, 64, "every singular value of the 64 x 64 Jacobian is in one bin");

  // The Train charts: steps 0 to 200, evaluated every 20, two runs.
  const [first, lastStep] = await readOut(page, "loss", ["Home", "End"]);
  assert.match(lastStep, /^Step 200: no norm: training loss [-\d.e]+, test loss [-\d.e]+, test accuracy ([\d.]+), smoothed minibatch loss [-\d.e]+; LayerNorm: training loss /);
  assert.match(first, /^Step (0|20): /);
  for (const [acc] of [...lastStep.matchAll(/test accuracy ([\d.]+)/g)].map((x) => [Number(x[1])])) assert.ok(acc >= 0 && acc <= 1, `accuracy ${acc}`);
  const stats = await readOut(page, "train_stats", ["Home", "ArrowUp", "ArrowRight"]);
  assert.deepEqual(stats.map((t) => num(t, /^Step (\d+), layer (\d+): post-activation mean [-\d.e]+, variance [-\d.e]+, gradient RMS [-\d.e]+$/)), [[first.match(/\d+/)[0], 1].map(Number), [Number(first.match(/\d+/)[0]), 2], [Number(first.match(/\d+/)[0]) + 20, 2]]);
  const [weights] = await readOut(page, "weights", ["End"]);
  assert.match(weights, /^Step 200: no norm: mean ω layer 1 [-\d.e]+, layer 6 [-\d.e]+; mean τ layer 1 [-\d.e]+, layer 6 [-\d.e]+; \d+% of the units inside the box; LayerNorm: mean ω /);
  const decision = await readOut(page, "decision", ["Home", "ArrowUp"]);
  for (const t of decision) {
    const [, , p] = num(t, /^x₁ = ([-\d.e]+), x₂ = ([-\d.e]+): p\(class 1\) = ([-\d.e]+) \((predicts class [01]|undecided)\)$/);
    assert.ok(p >= 0 && p <= 1);
    assert.ok(t.includes(p > 0.5 ? "predicts class 1" : p < 0.5 ? "predicts class 0" : "undecided"), t);
  }
  for (const name of ["jacobian", "train_stats", "decision"]) {
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `readable-readout-${name}.png`) });
  }
  assert.deepEqual(problems, []);
  await context.close();
});
