// End-to-end tests of pin and compare (issue 15): "Pin this run" keeps the run as a labelled,
// dashed reference on the stats, grads, hist and corr panels, in the link (`pin=`) and in the
// CSVs (a `run` column); a shared pinned link recomputes the pins and shows the same
// comparison. The pinned rows must equal the CSV the same setting gives unpinned, byte for
// byte (the same seed gives the same numbers). Screenshots: e2e/artifacts/compare-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { useBrowser, browser, origin, artifacts, waitDone, downloadCsv, openDevice } from "./harness.mjs";

useBrowser();

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true };
const DESKTOP = { viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 };
const PINNED = ["stats", "grads", "hist", "corr"];
const SIZE = "depth=30&width=64&batch=64";

const open = openDevice;

/** Waits until the current run and every pinned run are complete. */
async function waitPins(page, count) {
  await waitDone(page);
  await page.waitForFunction(
    (n) => {
      const pins = [...document.querySelectorAll("li.pin")];
      return pins.length === n && pins.every((p) => p.dataset.done === "true");
    },
    count,
    { timeout: 60000 },
  );
  await page.waitForTimeout(300);
}

const overlap = (a, b) => a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];

/** The readable rules with pins shown: tick labels apart and on the canvas, legends on no data
 * and no label; and the pin's colour is drawn. */
async function pinnedChartProblems(page, label, pinColours) {
  const out = [];
  for (const name of PINNED) {
    const r = await page.$eval(`#panel-${name} canvas`, (c, colours) => {
      const ctx = c.getContext("2d");
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      const found = colours.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        colours.forEach(([r, g, b], k) => {
          if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) found[k]++;
        });
      }
      return { boxes: JSON.parse(c.getAttribute("data-label-boxes")), w: c.width, h: c.height, found };
    }, pinColours);
    r.found.forEach((n, k) => {
      if (n < 20) out.push(`${label} ${name}: pin ${k + 1}'s colour drawn on ${n} pixels`);
    });
    const { labels, legends } = r.boxes;
    if (legends.length === 0) out.push(`${label} ${name}: no legend for the pins`);
    labels.forEach((a, i) => {
      if (a[0] < 0 || a[1] < 0 || a[0] + a[2] > r.w || a[1] + a[3] > r.h) out.push(`${label} ${name}: label ${a} leaves the canvas`);
      for (let j = 0; j < i; j++) if (overlap(a, labels[j])) out.push(`${label} ${name}: labels ${a} and ${labels[j]} overlap`);
    });
    for (const l of legends) {
      if (l[4] > 0) out.push(`${label} ${name}: legend ${l.slice(0, 4)} covers ${l[4]} drawn pixels`);
      for (const a of labels) if (overlap(l, a)) out.push(`${label} ${name}: legend covers label ${a}`);
    }
  }
  return out;
}

const rowsOf = (csv) => csv.trim().split("\n").slice(1);

let seluStats; // the stats CSV of SELU at SIZE, unpinned
let seluCorr;

test("desktop: pin a run, change the activation, compare; the CSVs carry both runs", async () => {
  const { page, context, problems } = await open(DESKTOP, `?act=selu&${SIZE}`);
  await waitDone(page);
  seluStats = await downloadCsv(page, "stats");
  seluCorr = await downloadCsv(page, "corr");
  assert.match(seluStats.split("\n")[0], /^layer,pre_mean/, "no run column without pins");
  await page.click("button.pin-button");
  const pinParam = () => new URLSearchParams(location.search).get("pin");
  await page.waitForFunction(pinParam);
  const search = await page.evaluate(() => decodeURIComponent(location.search));
  assert.match(search, /pin=act:selu,depth:30,width:64,batch:64(&|$)/, search);
  assert.equal(await page.textContent("li.pin .pin-label"), "pin 1: SELU, LeCun normal");
  assert.ok(await page.isDisabled("button.pin-button"), "the pinned setting cannot be pinned twice");

  await page.selectOption("#ctl-act", "relu");
  await page.selectOption("#ctl-init", "he_normal");
  await waitPins(page, 1);
  const stats = await downloadCsv(page, "stats");
  const lines = stats.trim().split("\n");
  assert.equal(lines[0], "run,layer,pre_mean,pre_var,post_mean,post_var,grad_rms");
  assert.equal(lines.filter((l) => l.startsWith("current,")).length, 30);
  assert.deepEqual(
    lines.filter((l) => l.startsWith("pin1,")),
    rowsOf(seluStats).map((r) => `pin1,${r}`),
    "the pinned rows are the SELU run's, unchanged",
  );
  const grads = await downloadCsv(page, "grads");
  assert.equal(grads.split("\n")[0], "run,layer,pre_mean,pre_var,post_mean,post_var,grad_rms");
  const hist = await downloadCsv(page, "hist");
  assert.equal(hist.split("\n")[0], "run,layer,bin_low,bin_high,count,outside");
  assert.ok(hist.includes("\npin1,30,"), "the pin's heat map rows");
  const corr = await downloadCsv(page, "corr");
  assert.deepEqual(
    corr.trim().split("\n").filter((l) => l.startsWith("pin1,")),
    rowsOf(seluCorr).map((r) => `pin1,${r}`),
  );
  const found = await pinnedChartProblems(page, "desktop light", [[170, 110, 0]]);
  for (const name of PINNED) {
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `compare-desktop-${name}.png`) });
  }
  await page.locator(".pin-bar").screenshot({ path: path.join(artifacts, "compare-desktop-pinbar.png") });
  assert.deepEqual(found, []);

  // Removing the pin takes it out of the link and the CSV.
  await page.click("li.pin button.pin-remove");
  await page.waitForFunction(() => new URLSearchParams(location.search).get("pin") === "");
  await page.waitForTimeout(200);
  const after = await downloadCsv(page, "stats");
  assert.match(after.split("\n")[0], /^layer,/);
  assert.deepEqual(problems, []);
  await context.close();
});

for (const [size, device] of [["phone", PHONE], ["desktop", DESKTOP]]) {
  for (const theme of ["light", "dark"]) {
    test(`${size}, ${theme}: a shared link with three pins recomputes them and shows the comparison`, async () => {
      const pins = [`act:selu,${SIZE.replaceAll("=", ":").replaceAll("&", ",")}`, "act:tanh,gain:1.5,depth:30,width:64,batch:64", "act:relu,depth:40,width:64,batch:64"];
      const { page, context, problems } = await open(device, `?act=relu&init=he_normal&${SIZE}&theme=${theme}&pin=${pins.join(";")}`);
      await waitPins(page, 3);
      const labels = await page.$$eval("li.pin .pin-label", (ls) => ls.map((l) => l.textContent));
      assert.deepEqual(labels, [
        "pin 1: SELU, LeCun normal",
        "pin 2: tanh, LeCun normal, gain 1.5",
        "pin 3: ReLU, LeCun normal, depth 40",
      ]);
      assert.ok(await page.isDisabled("button.pin-button"), "three pins: no fourth");
      if (size === "desktop" && theme === "light" && seluStats) {
        const stats = await downloadCsv(page, "stats");
        assert.deepEqual(
          stats.trim().split("\n").filter((l) => l.startsWith("pin1,")),
          rowsOf(seluStats).map((r) => `pin1,${r}`),
          "the recomputed pin equals the run it was pinned from",
        );
        assert.equal(stats.trim().split("\n").filter((l) => l.startsWith("pin3,")).length, 40);
      }
      const colours = theme === "light" ? [[170, 110, 0], [30, 125, 185], [135, 125, 0]] : [[230, 159, 0], [86, 180, 233], [240, 228, 66]];
      const found = await pinnedChartProblems(page, `${size} ${theme}`, colours);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) found.push(`${size}: the page overflows by ${overflow} px`);
      // Charts never crowd: with three pins' legend entries, each plot keeps its least height
      // (the canvas grows instead).
      for (const name of PINNED) {
        const heights = await page.$eval(`#panel-${name} canvas`, (c) =>
          JSON.parse(c.getAttribute("data-label-boxes")).plots.map((p) => p[3] / (c.width / c.clientWidth)),
        );
        for (const h of heights) if (h < 119.5) found.push(`${size} ${theme} ${name}: a plot ${h.toFixed(0)} px tall`);
      }
      if (size === "phone") {
        // The bar of main controls: one compact row of three, each a 24 px target at least.
        const bar = await page.evaluate(() => {
          const rect = (e) => e.getBoundingClientRect();
          const controls = [...document.querySelectorAll(".quick-bar select, .quick-bar input")].map((e) => {
            const r = rect(e);
            return { id: e.id || e.className, top: r.top, w: r.width, h: r.height };
          });
          return { height: rect(document.querySelector(".quick-bar")).height, controls };
        });
        if (bar.height > 64) found.push(`phone: the bar of main controls is ${bar.height.toFixed(0)} px tall`);
        assert.equal(bar.controls.length, 4, "activation, initializer, depth slider and box");
        const tops = bar.controls.map((c) => c.top);
        if (Math.max(...tops) - Math.min(...tops) > 4) found.push(`phone: the bar's controls are not in one row (${tops})`);
        for (const c of bar.controls) if (c.w < 24 || c.h < 24) found.push(`phone: ${c.id} is ${c.w.toFixed(0)} x ${c.h.toFixed(0)} px`);
        if (theme === "light") {
          // The bar and the stats plots on one screen, as a student sees them.
          await page.evaluate(() => window.scrollTo(0, document.querySelector("#panel-stats").getBoundingClientRect().top + window.scrollY - 70));
          await page.screenshot({ path: path.join(artifacts, "compare-phone-bar-and-stats.png") });
        }
      }
      for (const name of PINNED) {
        await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `compare-${size}-${theme}-${name}.png`) });
      }
      await page.locator(".pin-bar").screenshot({ path: path.join(artifacts, `compare-${size}-${theme}-pinbar.png`) });
      assert.deepEqual(found, []);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}

test("a bad pin falls back with a notice naming it", async () => {
  const { page, context, problems } = await open(DESKTOP, `?${SIZE}&pin=act:swishy,depth:5000;act:relu,colour:red`);
  await page.waitForSelector('.notice[data-param="pin"]');
  const text = await page.textContent('.notice[data-param="pin"]');
  assert.match(text, /swishy/);
  assert.match(text, /colour/);
  await page.waitForFunction(() => decodeURIComponent(location.search).includes("pin=act:selu,depth:1000;act:relu"));
  assert.deepEqual(problems, []);
  await context.close();
});

test("dark mode: the slide export draws a title and the settings line on light paper, and names the settings", async () => {
  const { page, context, problems } = await open(DESKTOP, `?act=relu&init=he_normal&${SIZE}&theme=dark`);
  await waitDone(page);
  const css = await page.$eval("#panel-stats canvas", (c) => [c.clientWidth, c.clientHeight]);
  await page.click("#panel-stats details.export > summary");
  await page.fill("#export-title-stats", "ReLU with He weights, depth 30");
  await page.check("#export-settings-stats");
  await page.check("#export-light-stats");
  await page.locator("#panel-stats").screenshot({ path: path.join(artifacts, "compare-export-menu-dark.png") });
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#panel-stats button.download-png2x")]);
  assert.equal(download.suggestedFilename(), "activation-lab-relu-he_normal-d30-w64-b64-s1-stats@2x.png");
  const file = path.join(artifacts, "compare-slide-stats@2x.png");
  await download.saveAs(file);
  const png = (await import("node:fs")).readFileSync(file);
  assert.equal(png.readUInt32BE(16), css[0] * 2, "twice the CSS width");
  const height = png.readUInt32BE(20);
  assert.ok(height > css[1] * 2 + 2 * 40, `a header above the chart: ${height} px for a ${css[1] * 2} px chart`);
  // Read the image back in the page: light paper, and dark text in the header rows.
  const pixels = await page.evaluate(async (b64) => {
    // createImageBitmap reads the bytes without a fetch, so the page's img-src 'self' allows it.
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const c = document.createElement("canvas");
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, 120);
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] < 100 && data[i + 1] < 100 && data[i + 2] < 100) dark++;
    const corner = [...ctx.getImageData(2, 2, 1, 1).data.slice(0, 3)];
    const chartCorner = [...ctx.getImageData(c.width - 3, c.height - 3, 1, 1).data.slice(0, 3)];
    return { dark, corner, chartCorner };
  }, png.toString("base64"));
  assert.deepEqual(pixels.corner, [255, 255, 255], "white paper above");
  assert.deepEqual(pixels.chartCorner, [255, 255, 255], "the chart drawn on white paper too");
  assert.ok(pixels.dark > 500, `the title and settings drawn in dark ink (${pixels.dark} dark pixels)`);
  assert.deepEqual(problems, []);
  await context.close();
});

test("readout by keyboard and pointer; layer 0 is the input, with the note on in_mean", async () => {
  const { page, context, problems } = await open(DESKTOP, `?act=selu&in_mean=1&${SIZE}`);
  await waitDone(page);
  // Tab order reaches the chart; the first arrow shows the first point: layer 0, the input.
  await page.focus("#panel-stats canvas");
  await page.keyboard.press("ArrowRight");
  let text = await page.textContent("#readout-stats");
  const m = text.match(/^Layer 0 \(the input x⁰\): mean ([-\d.e]+), variance ([-\d.e]+)/);
  assert.ok(m, text);
  // 64 x 64 draws of N(1, 1): the sample mean is within 4.5 standard errors (1/64) of 1, the
  // sample variance within 4.5 of sqrt(2/4096).
  assert.ok(Math.abs(Number(m[1]) - 1) < 0.07, `input mean ${m[1]}`);
  assert.ok(Math.abs(Number(m[2]) - 1) < 0.1, `input variance ${m[2]}`);
  await page.keyboard.press("ArrowRight");
  assert.match(await page.textContent("#readout-stats"), /^Layer 1: x mean/);
  await page.keyboard.press("End");
  assert.match(await page.textContent("#readout-stats"), /^Layer 30: x mean/);
  assert.equal(await page.getAttribute("#readout-stats", "aria-live"), "polite");
  assert.ok(await page.isVisible("#panel-stats .readout-cursor"), "the cursor line is shown");
  await page.locator("#panel-stats").screenshot({ path: path.join(artifacts, "compare-readout-stats.png") });
  const note = await page.textContent("#panel-stats .input-note");
  assert.match(note, /The input \(layer 0\) has mean/);
  assert.match(note, /moves into h¹'s variance/);
  // The pointer: the middle of the grads plot reads a middle layer; every chart has a readout.
  await page.locator("#panel-grads canvas").hover();
  text = await page.textContent("#readout-grads");
  const layer = Number(text.match(/^Layer (\d+): RMS of dL\/dh/)?.[1]);
  assert.ok(layer >= 10 && layer <= 20, text);
  for (const name of ["activation", "hist", "corr"]) {
    await page.focus(`#panel-${name} canvas`);
    await page.keyboard.press("Home");
    assert.ok((await page.textContent(`#readout-${name}`)).length > 10, `${name} reads out`);
  }
  // SELU(-5) = lambda alpha (e^-5 - 1) = 1.0507 * 1.6733 * (0.006738 - 1) = -1.746.
  assert.match(await page.textContent("#readout-activation"), /^x = -5\.000: f\(x\) = -1\.746,/);
  assert.deepEqual(problems, []);
  await context.close();
});

/** Each pinned panel's report: the pinned curves it drew ([pin, points]) and its axis ranges. */
async function reports(page) {
  return page.evaluate((names) => {
    const out = { done: document.querySelector(".status").dataset.done === "true", status: document.querySelector(".status").textContent };
    for (const name of names) {
      const c = document.querySelector(`#panel-${name} canvas`);
      out[name] = c ? JSON.parse(c.getAttribute("data-label-boxes") || "null") : null;
    }
    return out;
  }, PINNED);
}

/** The pin number the chart layer gives the previous run. */
const PREVIOUS = 3;
const previousCurves = (r) => (r?.pins ?? []).filter(([pin, n]) => pin === PREVIOUS && n > 0).length;

test("while a new run computes, the previous run stays faded on the plots and the axes hold", async () => {
  const { page, context, problems } = await open(DESKTOP, "?depth=50&width=512");
  await waitDone(page, 120000);
  // The depth-50 run's numbers, from its CSVs (to check the y ranges mid-run).
  const rows = (await downloadCsv(page, "stats")).trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const column = (k) => rows.map((r) => r[k]).filter(Number.isFinite);
  const [postMean, postVar, grad] = [column(3), column(4), column(5).filter((g) => g > 0)];
  assert.equal(rows.length, 50);
  await page.$eval("#panel-stats details.export", (d) => { d.open = false; });
  const before = await reports(page);
  assert.equal(PINNED.map((n) => previousCurves(before[n])).join(), "0,0,0,0", "no previous curves at rest");

  // Deeper: the new run computes for seconds (350 new layers at width 512).
  await page.fill("#ctl-depth", "400");
  await page.press("#ctl-depth", "Enter");
  const mid = await (
    await page.waitForFunction(
      (names) => {
        const status = document.querySelector(".status");
        if (status.dataset.done === "true" || status.dataset.previous !== "true") return null;
        const out = { status: status.textContent };
        for (const name of names) {
          const r = JSON.parse(document.querySelector(`#panel-${name} canvas`)?.getAttribute("data-label-boxes") || "null");
          // Each panel has drawn the previous run, and the new run has layers beyond it.
          if (!r || !r.pins.some(([pin, n]) => pin === 3 && n > 0)) return null;
          out[name] = r;
        }
        const grads = out.grads.ranges[0];
        return grads[1] >= 400 ? out : null;
      },
      PINNED,
      { timeout: 120000 },
    )
  ).jsonValue();
  for (const name of PINNED) {
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `compare-previous-${name}.png`) });
  }
  const after = await reports(page);
  assert.match(mid.status, /The grey dashed curves are the previous setting \(SELU, LeCun normal, depth 50\), shown until this run is done\./);
  // The stats panel draws the previous run on both plots, the hist as a band (two lines).
  assert.equal(previousCurves(mid.stats), 2);
  assert.equal(previousCurves(mid.hist), 2);
  // The axes: x spans the new depth; y covers the previous run's curves.
  for (const name of ["stats", "grads", "corr"]) assert.equal(mid[name].ranges[0][1], 400.5, `${name} x range`);
  const [mean, variance] = mid.stats.ranges;
  assert.ok(mean[2] <= Math.min(...postMean) && mean[3] >= Math.max(...postMean), `mean axis ${mean} holds the previous means`);
  assert.ok(variance[2] <= Math.min(...postVar) && variance[3] >= Math.max(...postVar), `variance axis ${variance}`);
  const g = mid.grads.ranges[0];
  assert.ok(g[2] <= Math.min(...grad) && g[3] >= Math.max(...grad), `gradient axis ${g} holds the previous RMS`);
  console.log(`mid-run: ${mid.stats.pins.length} pinned curves on stats; the screenshots were taken ${after.done ? "as the run ended" : "mid-run"}`);

  // Done: the previous curves go, and the status says nothing of them.
  await waitDone(page, 240000);
  await page.waitForTimeout(300);
  const done = await reports(page);
  assert.equal(PINNED.map((n) => previousCurves(done[n])).join(), "0,0,0,0", "the previous curves are gone");
  assert.equal(await page.getAttribute(".status", "data-previous"), "false");
  assert.doesNotMatch(done.status, /previous setting/);
  assert.equal(done.grads.ranges[0][1], 400.5);

  // Shallower: while depth 30 computes, the layer axis keeps the previous depth 400.
  await page.fill("#ctl-depth", "30");
  await page.press("#ctl-depth", "Enter");
  const shallow = await (
    await page.waitForFunction(() => {
      const status = document.querySelector(".status");
      if (status.dataset.done === "true" || status.dataset.previous !== "true") return null;
      const r = JSON.parse(document.querySelector("#panel-grads canvas").getAttribute("data-label-boxes"));
      return r.pins.some(([pin]) => pin === 3) ? r.ranges[0] : null;
    }, null, { timeout: 60000 })
  ).jsonValue();
  assert.equal(shallow[1], 400.5, "the layer axis spans the previous depth while the new run computes");
  await waitDone(page, 120000);
  await page.waitForTimeout(300);
  const end = await reports(page);
  assert.equal(end.grads.ranges[0][1], 30.5, "then its own");
  assert.equal(PINNED.map((n) => previousCurves(end[n])).join(), "0,0,0,0");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a pinned link: the current run's Jacobian is finished before the pins compute", async () => {
  // A pinned run's request used to supersede the current run's Jacobian in the worker, which
  // then stayed "computing" for good.
  const { page, context, problems } = await open(DESKTOP, "?act=tanh&init=orthogonal&depth=100&width=256&pin=act:relu,depth:100,width:256");
  await waitPins(page, 1);
  await page.waitForFunction(() => /^256 singular values of J/.test(document.querySelector("#panel-jacobian .jacobian-summary")?.textContent ?? ""), null, { timeout: 60000 });
  const legend = await page.$eval("#panel-jacobian canvas", (c) => c.getAttribute("aria-label"));
  assert.match(legend, /256 singular values/);
  assert.deepEqual(problems, []);
  await context.close();
});
