// trunk post_build hook: moves every inline <script> of the built index.html (trunk's module
// loader, the theme and the WebAssembly check) into a file of its own, named by a hash of its
// content, so that the page runs under a content security policy without 'unsafe-inline' or a
// per-build hash: script-src 'self' 'wasm-unsafe-eval'. Run by trunk (see Trunk.toml) with
// TRUNK_STAGING_DIR and TRUNK_PUBLIC_URL set.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
const publicUrl = process.env.TRUNK_PUBLIC_URL || "/";
if (!dir) throw new Error("TRUNK_STAGING_DIR is not set: run through trunk");
const html = path.join(dir, "index.html");
let page = fs.readFileSync(html, "utf8");
let moved = 0;
page = page.replace(/<script((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>([\s\S]*?)<\/script>/g, (tag, attrs, body) => {
  if (/\ssrc=/.test(attrs) || body.trim() === "") return tag;
  const text = body.trim() + "\n";
  const name = `inline-${crypto.createHash("sha256").update(text).digest("hex").slice(0, 16)}.js`;
  fs.writeFileSync(path.join(dir, name), text);
  const integrity = `sha384-${crypto.createHash("sha384").update(text).digest("base64")}`;
  moved += 1;
  return `<script${attrs} src="${publicUrl}${name}" integrity="${integrity}"></script>`;
});
if (/<script(?![^>]*\ssrc=)[^>]*>\s*\S/.test(page)) throw new Error("an inline script is left in index.html");
fs.writeFileSync(html, page);
console.log(`externalize_scripts: ${moved} inline scripts moved to files`);
