// trunk post_build hook: builds the app a second time with relaxed SIMD enabled
// (`+simd128,+relaxed-simd`) and puts that module next to the default one, for `kernels=relaxed`
// (issue 12). Only the workers of a page that asks for `kernels=relaxed`, in a browser that
// validates relaxed SIMD, load it (src/engine/modules.rs); the default page never fetches it, so
// the shipped default size is unchanged.
//
// Steps: `cargo build` of the app's binary for wasm32 with the relaxed rustflags in its own
// target dir (target/relaxed, so that it never invalidates trunk's build), `wasm-bindgen --target
// web`, in a release build `wasm-opt` with the flags of index.html plus relaxed SIMD, then the
// two files, named by a hash of their content, into trunk's staging dir, and a
// <meta name="relaxed-module"> in index.html that names them (relative to the public URL).
//
// Run by trunk with TRUNK_STAGING_DIR, TRUNK_SOURCE_DIR, TRUNK_PROFILE and TRUNK_PUBLIC_URL set.
// ACTIVATION_LAB_NO_RELAXED=1 skips it (a quicker `trunk serve`; a page asking for
// kernels=relaxed then falls back to simd128 with a notice).
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
const source = process.env.TRUNK_SOURCE_DIR || process.cwd();
const publicUrl = process.env.TRUNK_PUBLIC_URL || "/";
const release = process.env.TRUNK_PROFILE === "release";
if (!staging) throw new Error("TRUNK_STAGING_DIR is not set: run through trunk");
if (process.env.ACTIVATION_LAB_NO_RELAXED === "1") {
  console.log("build_relaxed: skipped (ACTIVATION_LAB_NO_RELAXED=1)");
  process.exit(0);
}

const started = Date.now();
const targetDir = path.join(source, "target", "relaxed");
const profile = release ? "release" : "debug";
const run = (cmd, args, env = {}) =>
  execFileSync(cmd, args, { cwd: source, stdio: "inherit", env: { ...process.env, ...env } });

run(
  "cargo",
  ["build", "--bin", "activation-lab", "--target", "wasm32-unknown-unknown", ...(release ? ["--release"] : [])],
  {
    // Replaces .cargo/config.toml's target rustflags (+simd128) for this build only.
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: "-C target-feature=+simd128,+relaxed-simd",
    CARGO_TARGET_DIR: targetDir,
  },
);
const wasmIn = path.join(targetDir, "wasm32-unknown-unknown", profile, "activation-lab.wasm");
const outDir = path.join(targetDir, "bindgen");
fs.rmSync(outDir, { recursive: true, force: true });
run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", outDir, "--out-name", "activation-lab-relaxed", wasmIn]);
const bg = path.join(outDir, "activation-lab-relaxed_bg.wasm");
if (release) {
  // The level and the feature flags index.html gives trunk's wasm-opt for the default module
  // (data-wasm-opt, data-wasm-opt-params), and relaxed SIMD.
  const indexSource = fs.readFileSync(process.env.TRUNK_HTML_FILE || path.join(source, "index.html"), "utf8");
  const rustLink = indexSource.match(/<link data-trunk rel="rust"[^>]*>/);
  if (!rustLink) throw new Error("build_relaxed: no rust link in index.html");
  const level = (rustLink[0].match(/data-wasm-opt="([^"]*)"/) || [])[1] || "3";
  const params = ((rustLink[0].match(/data-wasm-opt-params="([^"]*)"/) || [])[1] || "").split(/\s+/).filter(Boolean);
  run("wasm-opt", [`-O${level}`, ...params, "--enable-relaxed-simd", bg, "-o", bg]);
}

const js = fs.readFileSync(path.join(outDir, "activation-lab-relaxed.js"));
const wasm = fs.readFileSync(bg);
const hash = crypto.createHash("sha256").update(js).update(wasm).digest("hex").slice(0, 16);
const jsName = `activation-lab-relaxed-${hash}.js`;
const wasmName = `activation-lab-relaxed-${hash}_bg.wasm`;
fs.writeFileSync(path.join(staging, jsName), js);
fs.writeFileSync(path.join(staging, wasmName), wasm);

const html = path.join(staging, "index.html");
let page = fs.readFileSync(html, "utf8");
page = page.replace(/\s*<meta name="relaxed-module"[^>]*>/g, "");
const meta = `<meta name="relaxed-module" data-js="${publicUrl}${jsName}" data-wasm="${publicUrl}${wasmName}">`;
if (!page.includes("</head>")) throw new Error("build_relaxed: no </head> in index.html");
page = page.replace("</head>", `${meta}</head>`);
fs.writeFileSync(html, page);
console.log(
  `build_relaxed: ${wasmName} (${(wasm.length / 1024).toFixed(0)} KiB) and ${jsName} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
