// End-to-end tests of what a classroom needs: light and dark themes, the 2x PNG for slides,
// axe-core on the full page and on an embed in both themes, a keyboard-only walk over every
// control, a build served under a sub-path, and the embed builder.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { useBrowser, browser, artifacts, here, openPage, waitDone, assertDrawn, CSP, openExport } from "./harness.mjs";

useBrowser();

const AXE = path.join(here, "node_modules", "axe-core", "axe.min.js");
const SMALL = "depth=20&width=64&batch=32";
/** The charts' dark paper, src/charts/mod.rs PAPER_DARK. */
const PAPER_DARK = [29, 32, 37];

/** The colour of a canvas's top-left pixel (the plot's background). */
function cornerPixel(page, panel) {
  return page.$eval(`#panel-${panel} canvas`, (c) => Array.from(c.getContext("2d").getImageData(1, 1, 1, 1).data.slice(0, 3)));
}

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page; returns readable violations. */
async function axeViolations(page) {
  // Evaluated through the DevTools protocol: the page's CSP allows no inline script tag.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(fs.readFileSync(AXE, "utf8"));
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join("; ")})`);
}

test("dark theme: the toggle, theme= in the URL and the system preference all switch page and charts", async () => {
  // Light by default (headless Chromium prefers light): white chart paper.
  const { page, context, problems } = await openPage(`?${SMALL}`);
  await waitDone(page);
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
  assert.deepEqual(await cornerPixel(page, "stats"), [255, 255, 255]);
  // The toggle: dark page, dark charts, the choice in the URL, the button says it is on.
  await page.click(".theme-toggle");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  await page.waitForTimeout(200);
  assert.equal(new URL(page.url()).searchParams.get("theme"), "dark");
  assert.equal(await page.getAttribute(".theme-toggle", "aria-pressed"), "true");
  for (const panel of ["activation", "stats", "hist", "grads", "corr", "selu_map", "phase"]) {
    assert.deepEqual(await cornerPixel(page, panel), PAPER_DARK, `${panel} chart redrawn on dark paper`);
  }
  const bg = await page.$eval("body", (b) => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(bg, "rgb(18, 20, 23)", "page background follows the theme");
  await page.screenshot({ path: path.join(artifacts, "dark-page.png"), fullPage: true });
  for (const panel of ["stats", "grads", "phase"]) {
    await page.locator(`#panel-${panel}`).screenshot({ path: path.join(artifacts, `dark-${panel}.png`) });
  }
  await context.close();
  assert.deepEqual(problems, []);

  // The system preference, with no theme= in the URL.
  const dark = await browser.newContext({ viewport: { width: 1200, height: 900 }, colorScheme: "dark" });
  const p2 = await dark.newPage();
  await p2.goto(page.url().replace(/[?&]theme=dark/, ""));
  await waitDone(p2);
  assert.equal(await p2.getAttribute("html", "data-theme"), "dark");
  assert.deepEqual(await cornerPixel(p2, "grads"), PAPER_DARK);
  // An explicit theme=light wins over the system's dark preference.
  await p2.goto(`${new URL(page.url()).origin}/?${SMALL}&theme=light`);
  await waitDone(p2);
  assert.equal(await p2.getAttribute("html", "data-theme"), "light");
  assert.deepEqual(await cornerPixel(p2, "grads"), [255, 255, 255]);
  await dark.close();
});

test("PNG 2x: the slide export is twice the CSS size on a 1x screen, and drawn", async () => {
  const { page, context, problems } = await openPage(`?${SMALL}`, { scale: 1 });
  await waitDone(page);
  for (const panel of ["stats", "phase"]) {
    const css = await page.$eval(`#panel-${panel} canvas`, (c) => [c.clientWidth, c.clientHeight, c.width]);
    assert.equal(css[2], css[0], "on screen: 1 device pixel per CSS pixel");
    await openExport(page, panel);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click(`#panel-${panel} button.download-png2x`)]);
    // The settings in the file name (SMALL's depth, width and batch; the default seed).
    assert.match(download.suggestedFilename(), new RegExp(`^activation-lab-[a-z_]+-[a-z_]+-d\\d+-w\\d+-b\\d+-s\\d+-${panel}@2x\\.png$`));
    const file = path.join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
    assert.equal(png.readUInt32BE(16), css[0] * 2, "PNG width is twice the CSS width");
    assert.equal(png.readUInt32BE(20), css[1] * 2, "PNG height is twice the CSS height");
    // A drawn chart compresses far less than a blank canvas of that size (~1-2 KB).
    assert.ok(png.length > 20000, `${panel} export has content (${png.length} bytes)`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("accessibility: axe-core finds no WCAG 2.1 AA violation on the page or an embed, light or dark", async () => {
  const cases = [
    ["full page, light", `?${SMALL}`],
    ["full page, dark", `?${SMALL}&theme=dark`],
    ["embed, light", `?${SMALL}&embed=stats,grads,phase&lock=act&hide=init`],
    ["embed, dark", `?${SMALL}&embed=activation,hist,corr,selu_map,derive&theme=dark`],
  ];
  for (const [label, query] of cases) {
    const { page, context, problems } = await openPage(query);
    await waitDone(page);
    // Open the share panel and the overlay list so their controls are checked too.
    await page.$$eval("details", (ds) => ds.forEach((d) => (d.open = true)));
    await page.waitForTimeout(100);
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${label}: ${violations.join("\n")}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
});

test("keyboard only: Tab reaches every control with a visible focus ring, and each kind works from the keyboard", async () => {
  const { page, context, problems } = await openPage(`?${SMALL}`);
  await waitDone(page);
  await page.$$eval("details", (ds) => ds.forEach((d) => (d.open = true)));
  // The charts with a readout take the focus too (their arrow keys move the readout's cursor).
  const expected = await page.$$eval("a[href], button, input, select, textarea, summary, canvas[tabindex]", (els) =>
    els
      .filter((e) => !e.disabled && e.offsetParent !== null && e.tabIndex >= 0)
      .map((e) => e.id || e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40)),
  );
  assert.ok(expected.length > 40, `many controls (${expected.length})`);
  const reached = new Set();
  const noRing = [];
  for (let i = 0; i < expected.length + 5; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const e = document.activeElement;
      if (!e || e === document.body) return null;
      const s = getComputedStyle(e);
      return {
        key: e.id || e.getAttribute("aria-label") || e.textContent.trim().slice(0, 40),
        ring: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
        labelled: Boolean(e.labels?.length || e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || e.textContent.trim()),
      };
    });
    if (!info) continue;
    reached.add(info.key);
    if (!info.ring) noRing.push(info.key);
    assert.ok(info.labelled, `${info.key} has an accessible name`);
  }
  const missed = expected.filter((k) => !reached.has(k));
  assert.deepEqual(missed, [], "every control is reachable with Tab");
  assert.deepEqual(noRing, [], "every focused control shows a focus ring");

  // Each kind of control, operated from the keyboard alone.
  const urlParam = (k) => new URL(page.url()).searchParams.get(k);
  await page.focus("#ctl-init");
  await page.keyboard.press("ArrowDown");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("init") !== "lecun_normal");
  await page.focus("#ctl-depth-slider");
  await page.keyboard.press("ArrowRight");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("depth") !== "20");
  assert.ok(Number(urlParam("depth")) > 20, `slider moved depth to ${urlParam("depth")}`);
  await page.focus("#ctl-log_var");
  await page.keyboard.press("Space");
  await page.waitForFunction(() => new URL(location.href).searchParams.get("log_var") === "1");
  await page.focus(".theme-toggle");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  await waitDone(page);
  assert.deepEqual(problems, []);
  await context.close();
});

test("sub-path: a build with --public-url /any/sub/path/ loads and draws there", async () => {
  const dir = path.resolve(here, "..", process.env.SUBPATH_DIST || "target/dist-subpath");
  assert.ok(fs.existsSync(path.join(dir, "index.html")), `no sub-path build at ${dir}: scripts/check.sh makes it with trunk build --release --public-url /any/sub/path/`);
  const prefix = "/any/sub/path/";
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css", ".svg": "image/svg+xml" };
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    requests.push(url.pathname);
    if (!url.pathname.startsWith(prefix)) return res.writeHead(404).end("outside the sub-path");
    let file = path.normalize(path.join(dir, decodeURIComponent(url.pathname.slice(prefix.length))));
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) return res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream", "content-security-policy": CSP });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}${prefix}?${SMALL}&act=gelu`);
    await waitDone(page);
    await assertDrawn(page, "subpath");
    assert.equal(await page.getAttribute(".status", "data-engine"), "worker", "the worker starts under the sub-path too");
    assert.equal(new URL(page.url()).pathname, prefix, "the URL state stays on the sub-path");
    assert.deepEqual(requests.filter((p) => !p.startsWith(prefix)), [], "every asset is fetched under the sub-path");
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    server.close();
  }
});

test("embed builder: panels and controls chosen in Share give a snippet that, on a course page on another port, shows just those, locks and hides as chosen and sizes its frame; the live preview too", async () => {
  const { page, context, problems } = await openPage("?act=relu&init=he_normal&width=64&batch=32&depth=12");
  await waitDone(page);
  await page.click(".share > summary");
  await page.click("#embed-hist");
  await page.click(".embed-controls > summary");
  await page.selectOption("#embed-access-act", "locked");
  await page.selectOption("#embed-access-init", "locked");
  for (const name of ["in_mean", "in_std", "c0", "seed", "kernels"]) await page.selectOption(`#embed-access-${name}`, "hidden");
  const snippet = await page.inputValue("#embed-code");
  const src = snippet.split(' src="')[1].split('"')[0].replaceAll("&amp;", "&");
  const query = new URL(src).searchParams;
  // Only what differs from the defaults: no batch=128, norm=none, seed=1 ...
  assert.deepEqual([...query.keys()], ["act", "init", "depth", "width", "batch", "embed", "hide", "lock"], src);
  assert.equal(query.get("embed"), "stats,hist,grads");
  assert.equal(query.get("lock"), "act,init");
  assert.equal(query.get("hide"), "in_mean,in_std,c0,seed,kernels");
  assert.match(snippet, /<script>[\s\S]*activation-lab:height[\s\S]*<\/script>$/);

  const host = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><title>Lesson</title></head><body><h1>Lesson 4</h1>${snippet}</body></html>`);
  });
  await new Promise((r) => host.listen(0, "127.0.0.1", r));
  try {
    const course = await context.newPage();
    course.on("pageerror", (e) => problems.push(`course page error: ${e.message}`));
    await course.goto(`http://127.0.0.1:${host.address().port}/`);
    const frame = course.frameLocator("iframe");
    await frame.locator('.status[data-done="true"]').waitFor({ timeout: 60000 });
    const ids = await frame.locator("section.panel").evaluateAll((els) => els.map((e) => e.id));
    assert.deepEqual(ids, ["panel-stats", "panel-hist", "panel-grads"]);
    assert.ok(await frame.locator("#ctl-act").isDisabled(), "act locked");
    assert.ok(await frame.locator("#ctl-init").isDisabled(), "init locked");
    assert.ok(await frame.locator("#ctl-depth").isEnabled(), "depth free");
    for (const name of ["in_mean", "in_std", "c0", "seed", "kernels"]) assert.equal(await frame.locator(`#ctl-${name}`).count(), 0, `${name} hidden`);
    const legends = await frame.locator("aside.controls legend").allTextContents();
    assert.ok(!legends.some((l) => l.startsWith("Input")), `no empty Input heading: ${legends}`);
    // The snippet's script sizes the frame to the embed's content (the estimate was different).
    const initial = Number(snippet.match(/height="(\d+)"/)[1]);
    await course.waitForFunction(() => {
      const f = document.querySelector("iframe");
      return f.style.height !== "" && Math.abs(f.getBoundingClientRect().height - parseFloat(f.style.height)) < 1;
    });
    const sized = await course.evaluate(() => parseFloat(document.querySelector("iframe").style.height));
    const content = await frame.locator("html").evaluate((e) => e.scrollHeight);
    assert.ok(Math.abs(sized - content) <= 2, `frame ${sized} px, content ${content} px`);
    assert.notEqual(sized, initial);
    await course.locator("iframe").screenshot({ path: path.join(artifacts, "embed-builder-course-page.png") });

    // The live preview in the page shows the same embed, sized the same way.
    await page.click("#embed-preview-toggle");
    const preview = page.frameLocator("#embed-preview");
    await preview.locator('.status[data-done="true"]').waitFor({ timeout: 60000 });
    const previewIds = await preview.locator("section.panel").evaluateAll((els) => els.map((e) => e.id));
    assert.deepEqual(previewIds, ids);
    await page.waitForFunction(() => Math.abs(document.querySelector("#embed-preview").getBoundingClientRect().height - 600) > 1);
    await page.locator(".share").screenshot({ path: path.join(artifacts, "embed-builder.png") });
  } finally {
    host.close();
  }
  assert.deepEqual(problems, []);
  await context.close();
});
