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
