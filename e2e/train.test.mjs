// End-to-end tests of the Train section: play, pause, step and reset; the loss falls; compared
// runs; the CSV headers; Copy as PyTorch gives Python that parses. Screenshots in e2e/artifacts/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { useBrowser, artifacts, openPage, canvasInfo, parseCsv, downloadCsv } from "./harness.mjs";

useBrowser();

const TRAIN_PANELS = ["loss", "train_stats", "weights"];

/** Rows of a CSV whose first column may be quoted (run labels), numbers parsed; "" stays "". */
function parseRows(text) {
  const [header, ...lines] = text.trim().split("\n");
  const rows = lines.map((line) => {
    const cells = [];
    let i = 0;
    while (i <= line.length) {
      if (line[i] === '"') {
        let j = i + 1;
        let cell = "";
        while (j < line.length) {
          if (line[j] === '"' && line[j + 1] === '"') { cell += '"'; j += 2; } else if (line[j] === '"') { break; } else { cell += line[j++]; }
        }
        cells.push(cell);
        i = j + 2;
      } else {
        const end = line.indexOf(",", i) === -1 ? line.length : line.indexOf(",", i);
        const v = line.slice(i, end);
        cells.push(v === "" || Number.isNaN(Number(v)) ? v : Number(v));
        i = end + 1;
      }
    }
    return cells;
  });
  return { header, rows };
}

async function trainedTo(page, timeout = 120000) {
  await page.waitForSelector('.train-status[data-done="true"]', { timeout });
  await page.waitForTimeout(300);
}

async function step(page) {
  return Number(await page.getAttribute(".train-status", "data-step"));
}

async function assertTrainDrawn(page, label, panels) {
  for (const name of panels) {
    const info = await canvasInfo(page, name);
    assert.ok(info.width > 100 && info.height > 100, `${label}: ${name} sized`);
    assert.ok(info.ink > 0.02, `${label}: ${name} has drawing (ink ${info.ink})`);
    assert.ok(info.colours >= 4, `${label}: ${name} has several colours (${info.colours})`);
    await page.locator(`#panel-${name}`).screenshot({ path: path.join(artifacts, `${label}-${name}.png`) });
  }
}

test("train: a 2-D task trains to the end, the loss falls, every panel draws and exports", async () => {
  const q = "?task=circle&noise=0.1&act=selu&depth=4&width=16&opt=adam&lr=0.01&steps=300&eval_every=50&seed=2";
  const { page, context, problems } = await openPage(q);
  assert.match(await page.textContent(".train-status"), /Not started/);
  await page.click("#train-play");
  await trainedTo(page);
  assert.equal(await step(page), 300);
  await assertTrainDrawn(page, "train-circle", [...TRAIN_PANELS, "decision"]);
  await page.locator("#train").screenshot({ path: path.join(artifacts, "train-circle-section.png") });

  const loss = parseRows(await downloadCsv(page, "loss"));
  assert.equal(loss.header, "run,step,batch_loss,train_loss,train_acc,test_loss,test_acc");
  assert.equal(loss.rows.length, 301, "one row per step from 0 to 300");
  const evals = loss.rows.filter((r) => r[5] !== "");
  const first = loss.rows[0];
  const last = loss.rows[300];
  assert.ok(last[5] < 0.5 * first[5], `test loss falls: ${first[5]} -> ${last[5]}`);
  assert.ok(last[6] > 0.9, `the circle is learned: test accuracy ${last[6]}`);
  assert.ok(evals.length >= 7);

  const stats = parseRows(await downloadCsv(page, "train_stats"));
  assert.equal(stats.header, "run,step,layer,post_mean,post_var,grad_rms,omega,tau");
  assert.equal(stats.rows.length, 7 * 4, "7 evaluations x 4 layers");
  const weights = parseRows(await downloadCsv(page, "weights"));
  assert.equal(weights.header, "run,step,layer,omega_mean,omega_std,tau_mean,tau_std,inside_box");
  const decision = parseCsv(await downloadCsv(page, "decision"));
  assert.equal(decision.header, "x1,x2,p1");
  assert.ok(decision.rows.length >= 64 * 64);
  assert.deepEqual(problems, []);
  await context.close();
});

test("train: pause holds the step, Step adds one, Reset goes back to step 0", async () => {
  const { page, context, problems } = await openPage("?task=xor&depth=6&width=32&steps=100000&eval_every=100");
  await page.click("#train-play");
  await page.waitForFunction(() => Number(document.querySelector(".train-status").dataset.step) > 20);
  await page.click("#train-pause");
  await page.waitForTimeout(400);
  const paused = await step(page);
  await page.waitForTimeout(600);
  assert.equal(await step(page), paused, "no training while paused");
  await page.click("#train-step");
  await page.waitForFunction((s) => Number(document.querySelector(".train-status").dataset.step) === s + 1, paused);
  await page.click("#train-reset");
  await page.waitForFunction(() => /step 0 of/.test(document.querySelector(".train-status").textContent));
  assert.equal(await step(page), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test("train: the SNN vs BatchNorm preset trains both runs on the digits", async () => {
  const { page, context, problems } = await openPage("");
  const href = await page.getAttribute('nav[aria-label="Training presets"] a:has-text("depth 8")', "href");
  await page.goto(new URL(href, page.url()).href);
  await page.click("#train-play");
  await trainedTo(page, 240000);
  await assertTrainDrawn(page, "train-snn-vs-bn", TRAIN_PANELS);
  await page.locator("#train").screenshot({ path: path.join(artifacts, "train-snn-vs-bn-section.png") });
  const loss = parseRows(await downloadCsv(page, "loss"));
  const runs = new Set(loss.rows.map((r) => r[0]));
  assert.equal(runs.size, 2, `two runs in the CSV: ${[...runs]}`);
  // Both runs were evaluated after their last step, with accuracies in [0, 1].
  for (const run of runs) {
    const last = loss.rows.filter((r) => r[0] === run).at(-1);
    assert.equal(last[1], 600, `${run} trained 600 steps`);
    assert.ok(last[6] >= 0 && last[6] <= 1, `${run} test accuracy ${last[6]}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("train: Copy as PyTorch gives a script that Python parses", async () => {
  const { page, context, problems } = await openPage("?task=spiral&act=gelu_tanh&norm=layer&dropout=alpha&rate=0.1&opt=adam");
  await page.click("details.pytorch summary");
  const script = await page.inputValue("#pytorch-script");
  assert.match(script, /import torch/);
  assert.match(script, /nn\.GELU\(approximate="tanh"\)/);
  assert.match(script, /nn\.AlphaDropout/);
  execFileSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: script });
  assert.deepEqual(problems, []);
  await context.close();
});

test("train: your own CSV file: a malformed one names its line, a good one trains", async () => {
  const { page, context, problems } = await openPage("?task=csv&depth=3&width=16&opt=adam&lr=0.01&steps=200&eval_every=50");
  const bad = "x1,x2,label\n0.1,0.2,a\n0.3,oops,b\n";
  await page.setInputFiles("#ctl-csv_file", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.waitForSelector(".csv-error");
  assert.match(await page.textContent(".csv-error"), /bad\.csv: line 3, column 2/);
  // A good file: two Gaussian clouds with string labels.
  let rows = "a,b,class\n";
  for (let i = 0; i < 200; i++) {
    const c = i % 2;
    const s = c ? 1 : -1;
    rows += `${(s * 2 + Math.sin(i) * 0.8).toFixed(3)},${(s * 2 + Math.cos(i * 1.7) * 0.8).toFixed(3)},${c ? "yes" : "no"}\n`;
  }
  await page.setInputFiles("#ctl-csv_file", { name: "clouds.csv", mimeType: "text/csv", buffer: Buffer.from(rows) });
  await page.waitForSelector(".csv-summary");
  assert.match(await page.textContent(".csv-summary"), /200 rows, 2 features, 2 classes \(no, yes\)/);
  await page.click("#train-play");
  await trainedTo(page);
  const loss = parseRows(await downloadCsv(page, "loss"));
  assert.equal(loss.rows.length, 201);
  assert.ok(loss.rows[200][6] > 0.95, `separable clouds learned: ${loss.rows[200][6]}`);
  assert.deepEqual(problems, []);
  await context.close();
});
