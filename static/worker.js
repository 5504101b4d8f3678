// The workers' entry (simulation and training): loads the page's own JS and wasm, or in a page
// opened with kernels=relaxed the relaxed-SIMD build of them (src/engine/modules.rs), whose hashed
// names the page passes in the query (?js=...&wasm=...), so the app needs no Blob URL and runs
// under a content security policy with worker-src 'self'. Only files of this origin are loaded.
const params = new URL(self.location.href).searchParams;
const js = new URL(params.get("js") || "", self.location.href);
const wasm = new URL(params.get("wasm") || "", self.location.href);
if (js.origin !== self.location.origin || wasm.origin !== self.location.origin) {
  throw new Error("worker.js loads only files of its own origin");
}
const { default: init } = await import(js.href);
await init({ module_or_path: wasm.href });
