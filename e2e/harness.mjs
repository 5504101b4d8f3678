// The end-to-end harness shared by the test files: serves the release build (dist/) on
// loopback, drives Debian's Chromium with playwright-core, and records console errors, page
// errors and requests to other origins. Screenshots go to e2e/artifacts/.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.resolve(here, "..", process.env.DIST_DIR || "dist");
export const artifacts = path.join(here, "artifacts");
fs.mkdirSync(artifacts, { recursive: true });

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** The content security policy every response is served with: the strictest the app runs
 * under (README, "Embedding in a course page"). No inline script (the build moves trunk's
 * loader into a file), no 'unsafe-eval', workers and frames (the embed builder's preview) from
 * the page's own origin. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "frame-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "style-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

let server;
export let origin;
export let browser;

/** Starts the server and the browser before the file's tests and stops them after. */
export function useBrowser() {
before(async () => {
  assert.ok(fs.existsSync(path.join(dist, "index.html")), `no build at ${dist}: run trunk build --release first`);
  server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    let file = path.normalize(path.join(dist, decodeURIComponent(url.pathname)));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] || "application/octet-stream",
      "content-security-policy": CSP,
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});
}

/** A page that records console errors, page errors and requests to other origins. */
export async function openPage(query, { width = 1400, height = 1000, scale = 1, initScript = null } = {}) {
  return openDevice({ viewport: { width, height }, deviceScaleFactor: scale }, query, { initScript });
}

/** Like openPage, with playwright context options (a device: viewport, scale, touch). */
export async function openDevice(device, query, { initScript = null } = {}) {
  const context = await browser.newContext({ ...device, acceptDownloads: true });
  const page = await context.newPage();
  if (initScript) await page.addInitScript(initScript);
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) {
      problems.push(`request to another origin: ${r.url()}`);
    }
  });
  await page.goto(`${origin}/${query}`);
  return { page, context, problems };
}

export async function waitDone(page, timeout = 60000) {
  await page.waitForSelector('.status[data-done="true"]', { timeout });
  // Let the last publish's effects draw.
  await page.waitForTimeout(150);
}

/** Fraction of a canvas's pixels that are not background, and a hash of its pixels. */
export async function canvasInfo(page, panel) {
  return page.$eval(`#panel-${panel} canvas`, (c) => {
    const ctx = c.getContext("2d");
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let ink = 0;
    let hash = 0;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (!(r > 240 && g > 240 && b > 240)) ink++;
      if (i % 64 === 0) colours.add((r << 16) | (g << 8) | b);
      hash = (hash * 31 + r * 7 + g * 13 + b) | 0;
    }
    return { width: c.width, height: c.height, ink: ink / (data.length / 4), colours: colours.size, hash };
  });
}

/** The lab's chart panels as the page's panel registry lists them (`main[data-panels]`), those
 * drawn on a canvas outside the Train section: a new panel is tested without editing a list. */
export async function labPanels(page) {
  const names = (await page.getAttribute("main.panels", "data-panels")).split(",");
  const drawn = [];
  for (const name of names) {
    if (await page.$(`main.panels > #panel-${name} canvas`)) drawn.push(name);
  }
  assert.ok(drawn.length >= 7, `the registry's chart panels: ${drawn}`);
  return drawn;
}

export async function assertDrawn(page, label) {
  for (const name of await labPanels(page)) {
    const info = await canvasInfo(page, name);
    assert.ok(info.width > 100 && info.height > 100, `${label}: ${name} canvas sized (${info.width}x${info.height})`);
    assert.ok(info.ink > 0.01, `${label}: ${name} canvas has drawing (ink ${info.ink})`);
    assert.ok(info.colours >= 4, `${label}: ${name} canvas has several colours (${info.colours})`);
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `${label}-${name}.png`) });
  }
}

export function parseCsv(text) {
  const [header, ...rows] = text.trim().split("\n");
  return { header, rows: rows.map((r) => r.split(",").map((v) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v)))) };
}

/** Opens a panel's Export menu (the CSV, PNG and PNG 2x buttons live in it). */
export async function openExport(page, panel) {
  await page.$eval(`#panel-${panel} details.export`, (d) => { d.open = true; });
}

export async function downloadCsv(page, panel) {
  await openExport(page, panel);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`#panel-${panel} button.download`),
  ]);
  const file = path.join(artifacts, download.suggestedFilename());
  await download.saveAs(file);
  return fs.readFileSync(file, "utf8");
}

