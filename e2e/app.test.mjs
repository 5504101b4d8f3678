// End-to-end tests: the app in Debian's Chromium, checked as a person would: plots drawn,
// keyboard control, URL state, CSV numbers, bad input, no console errors, no request to another
// origin. Screenshots of every panel go to e2e/artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import {
  useBrowser, origin, browser, artifacts, openPage, waitDone, canvasInfo, labPanels, assertDrawn, parseCsv, downloadCsv, openExport,
} from "./harness.mjs";

useBrowser();

test("default view: SELU + LeCun normal draws every panel and stays near (0, 1)", async () => {
  const { page, context, problems } = await openPage("");
  await waitDone(page);
  await assertDrawn(page, "default");
  assert.equal(await page.getAttribute(".status", "data-engine"), "worker", "the simulation runs in the Web Worker");
  await page.screenshot({ path: path.join(artifacts, "default-page.png"), fullPage: true });
  const url = new URL(page.url());
  for (const [k, v] of Object.entries({ act: "selu", init: "lecun_normal", depth: "50", width: "128", batch: "128", norm: "none" })) {
    assert.equal(url.searchParams.get(k), v, `URL shows ${k}`);
  }
  const { header, rows } = parseCsv(await downloadCsv(page, "stats"));
  assert.equal(header, "layer,pre_mean,pre_var,post_mean,post_var,grad_rms");
  assert.equal(rows.length, 50);
  rows.forEach((r, i) => assert.equal(r[0], i + 1));
  // The SNN paper's fixed point: mean 0, variance 1. At width 128 and batch 128 the per-layer
  // statistics fluctuate by a few percent; a drift would leave these bounds within 50 layers.
  for (const [layer, , , postMean, postVar, grad] of rows) {
    assert.ok(Math.abs(postMean) < 0.1, `layer ${layer} post mean ${postMean}`);
    assert.ok(Math.abs(postVar - 1) < 0.2, `layer ${layer} post var ${postVar}`);
    assert.ok(grad > 0 && Number.isFinite(grad), `layer ${layer} grad ${grad}`);
  }
  // chi_1 = 1.0716 at LeCun normal: the backward signal grows toward the input.
  assert.ok(rows[0][5] > rows[49][5], "SELU's backward signal grows toward layer 1");
  assert.deepEqual(problems, []);
  await context.close();
});

test("ReLU + LeCun: the variance halves per layer, visibly different from SELU", async () => {
  const { page, context, problems } = await openPage("?act=relu&init=lecun_normal&depth=30&width=256&batch=64&seed=3");
  await waitDone(page);
  await assertDrawn(page, "relu-lecun");
  await page.screenshot({ path: path.join(artifacts, "relu-lecun-page.png"), fullPage: true });
  const { rows } = parseCsv(await downloadCsv(page, "stats"));
  assert.equal(rows.length, 30);
  // q^l = sigma_w^2 E[relu(h)^2] = q^(l-1) / 2 for sigma_w^2 = 1: the pre-activation second
  // moment halves per layer. Fit the average ratio over 29 steps.
  const m2 = rows.map((r) => r[1] * r[1] + r[2]);
  const ratio = Math.pow(m2[29] / m2[0], 1 / 29);
  assert.ok(Math.abs(ratio - 0.5) < 0.03, `per-layer ratio ${ratio}`);
  assert.deepEqual(problems, []);
  await context.close();
});

test("keyboard: changing the activation updates the URL and the plots", async () => {
  const { page, context, problems } = await openPage("?depth=20&width=64&batch=32");
  await waitDone(page);
  const PANELS = await labPanels(page);
  const before = await Promise.all(PANELS.map((p) => canvasInfo(page, p)));
  await page.focus("#ctl-act");
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("act") !== "selu");
  await waitDone(page);
  const act = new URL(page.url()).searchParams.get("act");
  assert.equal(act, "relu", "the option after SELU");
  const after = await Promise.all(PANELS.map((p) => canvasInfo(page, p)));
  PANELS.forEach((p, i) => assert.notEqual(after[i].hash, before[i].hash, `${p} redrawn`));
  // Typing a number and committing it with Enter.
  await page.fill("#ctl-depth", "12");
  await page.press("#ctl-depth", "Enter");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("depth") === "12");
  await waitDone(page);
  const { rows } = parseCsv(await downloadCsv(page, "grads"));
  assert.equal(rows.length, 12);
  assert.deepEqual(problems, []);
  await context.close();
});

test("bad input: notices name the parameter, values fall back, the URL shows what is used", async () => {
  const { page, context, problems } = await openPage("?act=bogus&depth=99999&width=8&batch=8&gain=abc");
  await waitDone(page);
  const notices = await page.$$eval(".notice", (els) => els.map((e) => e.dataset.param));
  assert.deepEqual(notices.sort(), ["act", "depth", "gain"]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("act"), "selu");
  assert.equal(url.searchParams.get("depth"), "1000");
  assert.equal(url.searchParams.get("gain"), "1");
  await page.click('.notice[data-param="depth"] button.dismiss');
  assert.equal(await page.locator(".notice").count(), 2);
  // A typed out-of-range value is clamped and shown.
  await page.fill("#ctl-width", "5000");
  await page.press("#ctl-width", "Enter");
  await page.waitForSelector('.notice[data-param="width"]');
  assert.equal(await page.inputValue("#ctl-width"), "1024");
  assert.deepEqual(problems, []);
  await context.close();
});

test("normalizations: GroupNorm's groups are refitted to the width with a notice, RMSNorm and BatchNorm after the activation run, and the stats caption says which line is which", async () => {
  const { page, context, problems } = await openPage("?norm=group&groups=3&width=64&depth=12&batch=32");
  await waitDone(page);
  // 2 and 4 divide 64 and are both 1 away from 3: the smaller one is used.
  const notice = await page.textContent('.notice[data-param="groups"]');
  assert.match(notice, /groups = 3 does not divide the width 64; using 2/);
  assert.equal(new URL(page.url()).searchParams.get("groups"), "2");
  assert.ok(await page.locator("#ctl-groups").isVisible(), "the groups control shows with GroupNorm");
  // Typing 3 again is refitted again.
  await page.fill("#ctl-groups", "3");
  await page.press("#ctl-groups", "Enter");
  await waitDone(page);
  assert.equal(await page.inputValue("#ctl-groups"), "2", "3 does not divide 64");
  await page.selectOption("#ctl-norm", "rms");
  await waitDone(page);
  assert.equal(await page.locator("#ctl-groups").count(), 0, "no groups control without GroupNorm");
  await page.selectOption("#ctl-norm_at", "post");
  await page.selectOption("#ctl-norm", "batch");
  await waitDone(page);
  const caption = await page.textContent("#panel-stats .caption");
  assert.match(caption, /raw pre-activations h \(dashed; the BatchNorm comes after the activation\)/);
  const { rows } = parseCsv(await downloadCsv(page, "stats"));
  // After the activation BatchNorm pins x: mean 0 and variance 1 (up to eps) at every layer.
  for (const [layer, , , postMean, postVar] of rows) {
    assert.ok(Math.abs(postMean) < 1e-4 && Math.abs(postVar - 1) < 1e-3, `layer ${layer}: ${postMean}, ${postVar}`);
  }
  await assertDrawn(page, "batchnorm-after-activation");
  assert.deepEqual(problems, []);
  await context.close();
});

test("residual blocks: the architecture and branch-scale controls change the URL, the plots and the captions", async () => {
  const { page, context, problems } = await openPage("?act=relu&init=he_normal&depth=20&width=64&batch=32");
  await waitDone(page);
  const plain = parseCsv(await downloadCsv(page, "stats")).rows;
  assert.equal(await page.locator("#ctl-res_scale").count(), 0, "no branch scale in a plain stack");
  await page.selectOption("#ctl-arch", "residual");
  await waitDone(page);
  assert.equal(new URL(page.url()).searchParams.get("arch"), "residual");
  const residual = parseCsv(await downloadCsv(page, "stats")).rows;
  // The stream keeps growing: with He weights and s = 1 its variance multiplies by about 2.7
  // per block (mean-field), where the plain stack keeps it.
  const last = (rows) => rows[rows.length - 1][4];
  assert.ok(last(residual) > 1e6 * last(plain), `variance at layer 20: residual ${last(residual)} vs plain ${last(plain)}`);
  assert.match(await page.textContent("#panel-stats .caption"), /residual stream x ← x \+ s·φ\(h\) after each block \(solid; branch scale s = 1\.000\)/);
  assert.match(await page.textContent("#panel-stats .theory-numbers"), /Residual blocks: each adds s·φ\(h\) to the stream/);
  assert.match(await page.textContent("#panel-grads .caption"), /does not vanish toward the input/);
  // s = 1/sqrt(depth): the number field goes, the URL says so, the growth is tamer.
  await page.selectOption("#ctl-res_scale_rule", "inv_sqrt_depth");
  await waitDone(page);
  assert.equal(new URL(page.url()).searchParams.get("res_scale_rule"), "inv_sqrt_depth");
  assert.equal(await page.locator("#ctl-res_scale").count(), 0, "no number field under the 1/sqrt(depth) rule");
  const tame = parseCsv(await downloadCsv(page, "stats")).rows;
  assert.ok(last(tame) < 1e-3 * last(residual), `s = 1/sqrt(20): ${last(tame)}`);
  assert.match(await page.textContent("#panel-stats .caption"), /s = 0\.224/);
  // A typed scale, with LayerNorm on the stream.
  await page.selectOption("#ctl-res_scale_rule", "fixed");
  await page.fill("#ctl-res_scale", "0.5");
  await page.press("#ctl-res_scale", "Enter");
  await page.selectOption("#ctl-norm", "layer");
  await waitDone(page);
  assert.equal(new URL(page.url()).searchParams.get("res_scale"), "0.5");
  assert.equal(await page.locator("#ctl-norm_at").count(), 0, "a residual block normalizes its input: no placement control");
  assert.match(await page.textContent("#panel-stats .caption"), /h = LayerNorm\(x\)·W \+ b/);
  await assertDrawn(page, "residual-layernorm");
  assert.deepEqual(problems, []);
  await context.close();
});

test("live depth: going from 50 to 60 layers keeps the first 50 and computes 10, back to 40 computes none, with a fresh load's numbers", async () => {
  const { page, context, problems } = await openPage("?depth=50&width=128&batch=128");
  await waitDone(page);
  assert.equal(await page.getAttribute(".status", "data-reused"), "0");
  await page.fill("#ctl-depth", "60");
  await page.press("#ctl-depth", "Enter");
  await page.waitForFunction(() => {
    const s = document.querySelector(".status");
    return s && s.dataset.done === "true" && new URL(location.href).searchParams.get("depth") === "60";
  }, null, { timeout: 60000 });
  // The worker continued the 50-layer network: 50 layers kept, so 10 forwarded.
  assert.equal(await page.getAttribute(".status", "data-reused"), "50");
  assert.match(await page.textContent(".status"), /Done: 60 layers, forward and backward\. The first 50 layers are the previous run's, not computed again\./);
  const continued = await downloadCsv(page, "stats");
  // A fresh load of the same URL computes all 60 and gives the same bytes.
  const fresh = await openPage("?depth=60&width=128&batch=128");
  await waitDone(fresh.page);
  assert.equal(await fresh.page.getAttribute(".status", "data-reused"), "0");
  assert.equal(await downloadCsv(fresh.page, "stats"), continued);
  // Back to 40 layers: cut from the 60 held, nothing forwarded, the backward pass redone; the
  // same bytes as a fresh load of depth 40, panel by panel.
  await page.fill("#ctl-depth", "40");
  await page.press("#ctl-depth", "Enter");
  await page.waitForFunction(() => {
    const s = document.querySelector(".status");
    return s && s.dataset.done === "true" && s.dataset.reused === "40";
  }, null, { timeout: 60000 });
  assert.match(await page.textContent(".status"), /Done: 40 layers, forward and backward\. Every layer's forward pass was computed before, by an earlier and deeper run: only the backward pass is new\./);
  await fresh.page.goto(fresh.page.url().replace("depth=60", "depth=40"));
  await waitDone(fresh.page);
  assert.equal(await fresh.page.getAttribute(".status", "data-reused"), "0");
  for (const panel of ["stats", "grads", "hist", "corr"]) {
    assert.equal(await downloadCsv(page, panel), await downloadCsv(fresh.page, panel), `${panel} at depth 40`);
  }
  // Another setting starts afresh.
  await page.selectOption("#ctl-act", "tanh");
  await waitDone(page);
  assert.equal(await page.getAttribute(".status", "data-reused"), "0");
  assert.deepEqual(problems, []);
  assert.deepEqual(fresh.problems, []);
  await fresh.context.close();
  await context.close();
});

test("issue 11's presets load without a notice or a console error, draw, and make their point", async () => {
  const { page, context, problems } = await openPage("?");
  await waitDone(page);
  const presets = await page.$$eval(".presets a", (as) => as.map((a) => [a.textContent.trim(), new URL(a.href).search]));
  const wanted = [
    "GroupNorm between LayerNorm and per-unit normalization",
    "RMSNorm does not centre",
    "BatchNorm after ReLU (the SNN paper's baseline)",
    "Residual GELU with LayerNorm: the transformer's block",
    "Residual without normalization explodes",
  ];
  for (const name of wanted) {
    const found = presets.find(([label]) => label === name);
    assert.ok(found, `preset ${name} in ${presets.map((p) => p[0])}`);
    await page.goto(`${origin}/${found[1]}`);
    await waitDone(page);
    assert.equal(await page.locator(".notice").count(), 0, `${name}: no notice`);
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/-$/, "");
    await assertDrawn(page, `preset-${slug}`);
    const { rows } = parseCsv(await downloadCsv(page, "stats"));
    const [, , , mean1, var1] = rows[0];
    const [, , , meanL, varL] = rows[rows.length - 1];
    if (name.startsWith("Residual without")) {
      // The stream's variance grows geometrically: from about 1.7 to beyond 1e15 at depth 50.
      assert.ok(varL > 1e15 && var1 < 10, `${name}: variance ${var1} -> ${varL}`);
    } else if (name.startsWith("Residual GELU")) {
      // With LayerNorm on the branch input, linear growth: about 1 + 0.35 per block.
      assert.ok(varL > 10 && varL < 40 && meanL > 5, `${name}: ${meanL}, ${varL}`);
    } else if (name.startsWith("RMSNorm")) {
      // No centring: ReLU's positive mean stays in every layer.
      assert.ok(meanL > 0.25, `${name}: mean ${meanL}`);
    } else if (name.startsWith("BatchNorm after")) {
      assert.ok(Math.abs(meanL) < 1e-4 && Math.abs(varL - 1) < 1e-3, `${name}: ${meanL}, ${varL}`);
    }
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("an exploding network says so instead of drawing garbage", async () => {
  const { page, context, problems } = await openPage("?act=linear&init=normal&depth=60&width=256&batch=16");
  await waitDone(page);
  const warning = await page.textContent("#panel-stats .warning");
  assert.match(warning, /exploded at layer \d+/);
  await assertDrawn(page, "exploding");
  const { rows } = parseCsv(await downloadCsv(page, "stats"));
  assert.ok(rows.some((r) => !Number.isFinite(r[4])), "non-finite variances exported as inf/nan");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the largest network keeps the page responsive and explains what it skips", async () => {
  const { page, context, problems } = await openPage("?depth=1000&width=1024&batch=4096");
  await page.waitForSelector("#panel-stats canvas");
  await page.waitForTimeout(1500);
  // The main thread answers quickly while the network computes.
  const t0 = Date.now();
  await page.evaluate(() => 1 + 1);
  assert.ok(Date.now() - t0 < 1000, "page responsive");
  const status = await page.textContent(".status");
  assert.match(status, /Computing the forward pass/);
  // Most of an hour of work: the status says roughly how long, and what would be live.
  await page.waitForFunction(() => / left at this computer's measured speed; one layer takes about [\d.]+ s at batch 4096 and width 1024/.test(document.querySelector(".status").textContent), null, { timeout: 20000 });
  const warning = await page.textContent("#panel-grads .warning");
  assert.match(warning, /backward pass skipped/);
  // Moving a control supersedes the computation in flight.
  await page.fill("#ctl-depth", "5");
  await page.press("#ctl-depth", "Enter");
  await page.fill("#ctl-batch", "8");
  await page.press("#ctl-batch", "Enter");
  await waitDone(page, 60000);
  assert.equal(await page.locator("#panel-grads .warning").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("phone width: panels stack and still draw, and the bar of main controls stays on screen above the plots", async () => {
  const { page, context, problems } = await openPage("?depth=10&width=32&batch=16", { width: 380, height: 800 });
  await waitDone(page);
  await assertDrawn(page, "phone");
  // Scrolled to the gradient panel, the bar is still at the top of the screen.
  await page.locator("#panel-grads").scrollIntoViewIfNeeded();
  const bar = await page.locator(".quick-bar").boundingBox();
  assert.ok(bar && bar.y >= 0 && bar.y < 5 && bar.y + bar.height < 250, `bar at ${JSON.stringify(bar)}`);
  const grads = await page.locator("#panel-grads").boundingBox();
  assert.ok(grads.y < 800, "the panel is on screen with the bar");
  // Its activation control changes the setting (and the sidebar's copy follows).
  await page.selectOption("#quick-act", "relu");
  await waitDone(page);
  assert.equal(new URL(page.url()).searchParams.get("act"), "relu");
  assert.equal(await page.inputValue("#ctl-act"), "relu");
  await page.screenshot({ path: `${artifacts}/phone-quick-bar.png` });
  // Wide screens do not show it: the sidebar stays in view there.
  await page.setViewportSize({ width: 1400, height: 1000 });
  assert.equal(await page.locator(".quick-bar").isVisible(), false);
  assert.deepEqual(problems, []);
  await context.close();
});

test("typed numbers apply as you type (after a pause), and say why when they cannot", async () => {
  const { page, context, problems } = await openPage("?depth=10&width=32&batch=16");
  await waitDone(page);
  await page.click("#ctl-depth");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("24", { delay: 50 });
  // No Enter, no blur: the value applies about 0.4 s after the last key.
  await page.waitForFunction(() => new URL(location.href).searchParams.get("depth") === "24", null, { timeout: 5000 });
  await waitDone(page);
  assert.equal((await page.$$eval("#panel-stats", () => 1)), 1);
  await page.keyboard.press("Control+A");
  await page.keyboard.type("5000", { delay: 20 });
  const hint = page.locator("#ctl-depth-hint");
  await hint.waitFor();
  assert.equal(await hint.textContent(), "5000 is outside 1 to 1000; Enter uses 1000.");
  await page.waitForTimeout(800);
  assert.equal(new URL(page.url()).searchParams.get("depth"), "24", "an out-of-range value waits for Enter");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("depth") === "1000", null, { timeout: 5000 });
  assert.equal(await hint.count(), 0, "the hint goes once the value is applied");
  assert.deepEqual(problems, []);
  await context.close();
});

test("theory: the mean-field overlay lies on the simulation for SELU and tanh at width 512", async () => {
  for (const [label, query] of [
    ["selu", "?act=selu&init=lecun_normal&depth=30&width=512&batch=64&seed=5"],
    ["tanh", "?act=tanh&init=lecun_normal&sb=0.3&gain=1.5&depth=30&width=512&batch=64&seed=5"],
  ]) {
    const { page, context, problems } = await openPage(query);
    await waitDone(page);
    await assertDrawn(page, `theory-${label}`);
    const stats = parseCsv(await downloadCsv(page, "stats"));
    const corr = parseCsv(await downloadCsv(page, "corr"));
    assert.equal(corr.header, "layer,q_pred,mean_pred,var_pred,c_pred,c_sim");
    assert.equal(corr.rows.length, 30);
    for (let l = 0; l < 30; l++) {
      const [, preMean, preVar, postMean, postVar] = stats.rows[l];
      const [, qPred, meanPred, varPred, cPred, cSim] = corr.rows[l];
      // Finite width 512 and 64 x 512 samples per layer: the layer statistics fluctuate by a
      // few percent around the infinite-width prediction (more where the weights of one
      // layer happen to be larger); these bounds are several of those spreads wide.
      assert.ok(Math.abs(preMean * preMean + preVar - qPred) < 0.12 * qPred, `${label} layer ${l + 1}: q ${preVar} vs ${qPred}`);
      assert.ok(Math.abs(postMean - meanPred) < 0.06, `${label} layer ${l + 1}: mean ${postMean} vs ${meanPred}`);
      assert.ok(Math.abs(postVar - varPred) < 0.12 * varPred + 0.01, `${label} layer ${l + 1}: var ${postVar} vs ${varPred}`);
      assert.ok(Math.abs(cSim - cPred) < 0.15, `${label} layer ${l + 1}: corr ${cSim} vs ${cPred}`);
    }
    const numbers = await page.textContent("#panel-stats .theory-numbers");
    assert.match(numbers, /χ₁/);
    if (label === "selu") {
      // chi_1 = lambda^2 (1/2 + alpha^2 e^2 Phi(-2)) = 1.0716 at LeCun normal (docs/science.md).
      assert.match(numbers, /1\.07[12]/);
      assert.match(await page.textContent("#panel-selu_map .theory-fixed"), /\(0, 1\.000\).*attracting/);
    }
    const phase = parseCsv(await downloadCsv(page, "phase"));
    assert.equal(phase.header, "sigma_w2,sigma_b2,q_star,chi1");
    assert.equal(phase.rows.length, 36 * 26);
    const map = parseCsv(await downloadCsv(page, "selu_map"));
    assert.equal(map.header, "mean,var,next_mean,next_var");
    assert.ok(map.rows.length >= 100);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test("theory: clicking the phase map sets the gain and the bias; derive SELU solves for lambda, alpha", async () => {
  const { page, context, problems } = await openPage("?act=relu&init=he_normal&depth=10&width=64&batch=16");
  await waitDone(page);
  const canvas = page.locator("#panel-phase canvas");
  const box = await canvas.boundingBox();
  await canvas.click({ position: { x: box.width * 0.55, y: box.height * 0.35 } });
  await page.waitForFunction(() => new URL(location.href).searchParams.get("sb") !== "0");
  const url = new URL(page.url());
  assert.notEqual(url.searchParams.get("gain"), "1");
  assert.ok(Number(url.searchParams.get("sb")) > 0);
  await waitDone(page);
  assert.match(await page.textContent("#derive-selu .derived"), /λ = 1\.0507009873554805, α = 1\.6732632423543772/);
  await page.fill("#ctl-nu_star", "2");
  await page.press("#ctl-nu_star", "Enter");
  // docs/science.md: the target (0, 2) gives alpha = 1.97126, lambda = 1.06071.
  await page.waitForFunction(() => /λ = 1\.0607/.test(document.querySelector("#derive-selu .derived").textContent));
  assert.match(await page.textContent("#derive-selu .derived"), /α = 1\.9712/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("HiDPI: canvases and PNG downloads are at the device pixel ratio", async () => {
  const { page, context, problems } = await openPage("?depth=20&width=64&batch=32", { width: 1200, height: 900, scale: 2 });
  await waitDone(page);
  const css = await page.$eval("#panel-stats canvas", (c) => [c.clientWidth, c.clientHeight, c.width, c.height]);
  assert.equal(css[2], css[0] * 2, "backing store twice the CSS width");
  assert.equal(css[3], css[1] * 2, "backing store twice the CSS height");
  await openExport(page, "stats");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#panel-stats button.download-png")]);
  const file = path.join(artifacts, "hidpi-" + download.suggestedFilename());
  await download.saveAs(file);
  const png = fs.readFileSync(file);
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG", "a PNG file");
  assert.equal(png.readUInt32BE(16), css[2], "PNG width");
  assert.equal(png.readUInt32BE(20), css[3], "PNG height");
  assert.deepEqual(problems, []);
  await context.close();
});

test("embed: an iframe on another origin shows only the chosen panels, hides and locks controls, reports its height", async () => {
  const embedUrl = `${origin}/?embed=stats,grads&hide=init,gain&lock=act&depth=10&width=32&batch=16`;
  const host = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Course page</title></head><body>
      <h1>Lesson 3</h1>
      <script>window.__heights = []; addEventListener("message", (e) => {
        if (e.data && e.data.type === "activation-lab:height") {
          window.__heights.push(e.data.height);
          document.querySelector("iframe").style.height = e.data.height + "px";
        }
      });</script>
      <iframe src="${embedUrl}" title="Activation Lab" width="900" height="400" loading="lazy"></iframe>
      </body></html>`);
  });
  await new Promise((r) => host.listen(0, "127.0.0.1", r));
  const hostOrigin = `http://127.0.0.1:${host.address().port}`;
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(hostOrigin);
  const frame = page.frameLocator("iframe");
  await frame.locator('.status[data-done="true"]').waitFor({ timeout: 60000 });
  await page.waitForFunction(() => window.__heights.length > 0 && window.__heights.at(-1) > 300);
  const ids = await frame.locator("section.panel").evaluateAll((els) => els.map((e) => e.id));
  assert.deepEqual(ids, ["panel-stats", "panel-grads"]);
  assert.equal(await frame.locator("#ctl-init").count(), 0, "hidden control");
  assert.equal(await frame.locator("#ctl-gain").count(), 0, "hidden control");
  assert.ok(await frame.locator("#ctl-act").isDisabled(), "locked control");
  assert.ok(await frame.locator("#ctl-depth").isEnabled(), "free control");
  assert.equal(await frame.locator(".site-header").count(), 0, "no header in embed mode");
  // A student changes the depth: the embed recomputes and reports its height again.
  await frame.locator("#ctl-depth").fill("5");
  await frame.locator("#ctl-depth").press("Enter");
  await frame.locator('.status[data-done="true"]').waitFor();
  await page.locator("iframe").screenshot({ path: path.join(artifacts, "embed-iframe.png") });
  assert.deepEqual(problems, []);
  await context.close();
  host.close();
});

test("share: Copy link and Copy embed code give links that reproduce the state", async () => {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(`${origin}/?act=gelu&init=xavier_normal&depth=15&width=48&batch=16&seed=9`);
  await waitDone(page);
  await page.click(".share summary");
  await page.click("#copy-link");
  await page.waitForSelector(".share-status:has-text('Link copied')");
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  await page.click("#copy-embed");
  await page.waitForSelector(".share-status:has-text('Embed code copied')");
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(snippet, /^<iframe id="activation-lab-[0-9a-f]{8}" src="[^"]+" title="Activation Lab: GELU \(exact, erf\) with Xavier[^"]*" width="100%" height="\d+" loading="lazy"/);
  const src = snippet.split(' src="')[1].split('"')[0].replaceAll("&amp;", "&");
  const embed = await context.newPage();
  await embed.goto(src);
  await waitDone(embed);
  const a = new URL(page.url()).searchParams;
  const b = new URL(embed.url()).searchParams;
  for (const [k, v] of a) if (k !== "embed") assert.equal(b.get(k), v, `embed keeps ${k}`);
  assert.equal(b.get("embed"), "stats,grads");
  const ids = await embed.locator("section.panel").evaluateAll((els) => els.map((e) => e.id));
  assert.deepEqual(ids, ["panel-stats", "panel-grads"]);
  // Same state, same numbers: the embed's stats CSV equals the page's.
  assert.equal(await downloadCsv(embed, "stats"), await downloadCsv(page, "stats"));
  assert.deepEqual(problems, []);
  await context.close();
});

test("kernels: the scalar reference path, chosen in the URL, gives the SIMD path's numbers", async () => {
  const query = "?act=gelu&depth=12&width=96&batch=48&seed=5";
  const csvOf = async (q) => {
    const { page, context, problems } = await openPage(q);
    await waitDone(page);
    assert.equal(new URL(page.url()).searchParams.get("kernels"), q.includes("scalar") ? "scalar" : "simd");
    const csv = parseCsv(await downloadCsv(page, "stats"));
    assert.deepEqual(problems, []);
    await context.close();
    return csv.rows;
  };
  const simd = await csvOf(query);
  const scalar = await csvOf(`${query}&kernels=scalar`);
  assert.equal(simd.length, 12);
  // The matmuls are bit-identical; the activations differ by at most ~1e-6 relative (polynomial
  // exp and erf against libm), which 12 layers amplify little.
  simd.forEach((row, i) =>
    row.forEach((v, j) => assert.ok(Math.abs(v - scalar[i][j]) <= 1e-4 * Math.max(1, Math.abs(v)), `layer ${i + 1} column ${j}: ${v} vs ${scalar[i][j]}`)),
  );
});

test("no worker allowed (CSP worker-src 'none'): the page computes on the main thread and still draws", async () => {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.route((url) => url.pathname === "/", async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": "worker-src 'none'" } });
  });
  await page.goto(`${origin}/?depth=15&width=48&batch=32&act=tanh`);
  await waitDone(page);
  assert.equal(await page.getAttribute(".status", "data-engine"), "main-thread");
  await assertDrawn(page, "no-worker");
  const { rows } = parseCsv(await downloadCsv(page, "stats"));
  assert.equal(rows.length, 15);
  assert.deepEqual(errors, [], "no uncaught error, only the logged fallback");
  await context.close();
});

test("jacobian: the Dynamical isometry preset draws and exports; one click compares with Gaussian weights", async () => {
  const { page: home, context: homeContext } = await openPage("?depth=5&width=16&batch=8");
  const href = await home.getAttribute('.presets a:has-text("Dynamical isometry")', "href");
  await homeContext.close();
  const { page, context, problems } = await openPage(new URL(href, origin).search);
  await waitDone(page, 120000);
  const summary = page.locator("#panel-jacobian .jacobian-summary");
  await page.waitForFunction(
    () => /singular values of J/.test(document.querySelector("#panel-jacobian .jacobian-summary")?.textContent ?? ""),
    null,
    { timeout: 180000 },
  );
  await page.waitForTimeout(200);
  const drawn = await canvasInfo(page, "jacobian");
  assert.ok(drawn.ink > 0.03 && drawn.colours >= 4, `the histogram is drawn (ink ${drawn.ink})`);
  await page.locator("#panel-jacobian").screenshot({ path: path.join(artifacts, "jacobian-orthogonal.png") });
  const { header, rows } = parseCsv(await downloadCsv(page, "jacobian"));
  assert.equal(header, "index,singular_value");
  assert.equal(rows.length, 256);
  rows.forEach((r, i) => {
    assert.equal(r[0], i + 1);
    if (i > 0) assert.ok(r[1] <= rows[i - 1][1], "sorted descending");
  });
  // Orthogonal tanh at the edge of chaos, near its linear part: most values within a decade of 1
  // (the caption says so); Gaussian weights spread them far below.
  const withinDecade = (rs) => rs.filter((r) => r[1] >= 0.1 && r[1] <= 10).length / rs.length;
  const orthogonal = withinDecade(rows);
  assert.ok(orthogonal > 0.8, `orthogonal: ${orthogonal} of the values within a decade of 1`);
  const text = await summary.textContent();
  assert.match(text, /mean field predicts (0\.99|1\.0)/);
  // One click: Gaussian weights of the same variance, and the orthogonal run stays as an outline.
  await page.click("#panel-jacobian button.jacobian-compare");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("init") === "lecun_normal");
  await page.waitForFunction(
    (before) => {
      const t = document.querySelector("#panel-jacobian .jacobian-summary")?.textContent ?? "";
      return /singular values of J/.test(t) && t !== before;
    },
    text,
    { timeout: 180000 },
  );
  await page.waitForTimeout(200);
  await page.locator("#panel-jacobian").screenshot({ path: path.join(artifacts, "jacobian-compare.png") });
  assert.match(await page.textContent("#panel-jacobian button.jacobian-compare"), /orthogonal/);
  const gaussian = withinDecade(parseCsv(await downloadCsv(page, "jacobian")).rows);
  assert.ok(gaussian < 0.5, `Gaussian: ${gaussian} of the values within a decade of 1`);
  assert.match(await summary.textContent(), /below the f64 floor/);
  assert.deepEqual(problems, []);
  await context.close();
});
