//! Where the workers' code comes from: the page's JS module and wasm as trunk linked them, and
//! the module worker (`static/worker.js`) that loads them.
//!
//! `kernels=relaxed` (issue 12): the build ships a second module compiled with relaxed SIMD
//! (`scripts/build_relaxed.mjs`, named by `<meta name="relaxed-module">`), which only workers
//! load, and only in a page that asked for the relaxed kernels before its first worker started,
//! in a browser that validates a relaxed-SIMD instruction ([`relaxed_simd_validates`]). The
//! main thread always runs the default module. Which module the workers run is decided once, at
//! the first [`spawn_worker`]: a page whose workers run the default module never sends them
//! `Relaxed` ([`relaxed_unavailable`] makes the parameter fall back to `simd` with a notice), and
//! a relaxed-build worker computes `Scalar` and `Simd` exactly as the default build does (the
//! relaxed instructions appear only where `Relaxed` asks for them). Were the relaxed module to
//! fail to load, the runner's fallback computes on the main thread, in the default module, where
//! `Relaxed` is `f32::mul_add` lane by lane: the fused results, slowly (a software `fmaf`).

use crate::web;
use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::Worker;

/// The module the page's workers run, fixed when the first worker starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WorkerModule {
    /// The page's own module (simd128).
    Default,
    /// The relaxed-SIMD build.
    Relaxed,
}

thread_local! {
    /// Whether the page has asked for the relaxed kernels (and could have them).
    static RELAXED_ASKED: Cell<bool> = const { Cell::new(false) };
    /// Whether the page asked for the relaxed kernels and could not have them.
    static RELAXED_REFUSED: Cell<bool> = const { Cell::new(false) };
    /// The workers' module, once the first worker has started.
    static WORKER_MODULE: Cell<Option<WorkerModule>> = const { Cell::new(None) };
}

/// A minimal wasm module whose one function runs `f32x4.relaxed_madd` (opcode 0xfd 0x105) on
/// three splatted vectors: it validates only where relaxed SIMD is supported.
pub const RELAXED_PROBE: &[u8] = &[
    0, 97, 115, 109, 1, 0, 0, 0, // magic, version
    1, 5, 1, 96, 0, 1, 123, // type section: () -> v128
    3, 2, 1, 0, // function section: one function of type 0
    10, 19, 1, 17, 0, // code section: one body of 17 bytes, no locals
    65, 0, 253, 15, // i32.const 0, i8x16.splat
    65, 0, 253, 15, // i32.const 0, i8x16.splat
    65, 0, 253, 15, // i32.const 0, i8x16.splat
    253, 133, 2,  // f32x4.relaxed_madd
    11, // end
];

/// Whether this browser validates a module using relaxed SIMD (Chromium 114 and later).
pub fn relaxed_simd_validates() -> bool {
    js_sys::WebAssembly::validate(&js_sys::Uint8Array::from(RELAXED_PROBE).into()).unwrap_or(false)
}

/// Why the page cannot run `kernels=relaxed`, or None if it can (then its workers load the
/// relaxed module). Natively (tests) the relaxed path is `f32::mul_add` and always available.
pub fn relaxed_unavailable() -> Option<String> {
    if cfg!(not(target_arch = "wasm32")) {
        return None;
    }
    let why = if WORKER_MODULE.with(Cell::get) == Some(WorkerModule::Default) {
        Some(
            "the page's workers already run the default module; open the page with \
             kernels=relaxed in its link to load the relaxed one",
        )
    } else if !relaxed_simd_validates() {
        Some("this browser does not support WebAssembly relaxed SIMD")
    } else if relaxed_urls().is_err() {
        Some("this build of the app has no relaxed-SIMD module")
    } else {
        None
    };
    match why {
        Some(_) => RELAXED_REFUSED.with(|r| r.set(true)),
        None => RELAXED_ASKED.with(|a| a.set(true)),
    }
    why.map(String::from)
}

/// Whether the page asked for the relaxed kernels and fell back to simd128.
pub fn relaxed_refused() -> bool {
    RELAXED_REFUSED.with(Cell::get)
}

/// Whether the page's workers run (or will run) the relaxed module.
pub fn relaxed_workers() -> bool {
    match WORKER_MODULE.with(Cell::get) {
        Some(m) => m == WorkerModule::Relaxed,
        None => RELAXED_ASKED.with(Cell::get),
    }
}

/// The relaxed module's JS and wasm (absolute URLs), from the build's `<meta name="relaxed-module">`.
fn relaxed_urls() -> Result<(String, String), String> {
    let document = web::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let meta = document
        .query_selector("meta[name=relaxed-module]")
        .ok()
        .flatten()
        .ok_or("no relaxed module in the page")?;
    let base = document.base_uri().ok().flatten().unwrap_or_default();
    let url = |attr: &str| -> Result<String, String> {
        let v = meta
            .get_attribute(attr)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("no {attr} on the relaxed module's meta"))?;
        web_sys::Url::new_with_base(&v, &base)
            .map(|u| u.href())
            .map_err(|e| format!("{e:?}"))
    };
    Ok((url("data-js")?, url("data-wasm")?))
}

/// The page's JS module and wasm as trunk linked them (absolute URLs).
fn module_urls() -> Result<(String, String), String> {
    let document = web::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let href = |selector: &str| -> Result<String, String> {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlLinkElement>().ok())
            .map(|l| l.href())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("no {selector} in the page"))
    };
    Ok((
        href("link[rel=modulepreload][href$='.js']")?,
        href("link[rel=preload][href$='_bg.wasm']")?,
    ))
}

/// A module worker running the page's own wasm (it says "ready" once running): `worker.js`,
/// next to the page's JS, told the JS and wasm files to load in its query. A worker from a file
/// of the page's origin, not a Blob URL, so that a content security policy with worker-src
/// 'self' allows it.
/// `name` tells the workers apart in the browser's tools (and the end-to-end tests).
/// The workers run the relaxed module when the page asked for it (see the module documentation).
pub(crate) fn spawn_worker(name: &str) -> Result<Worker, String> {
    let (default_js, default_wasm) = module_urls()?;
    let module = WORKER_MODULE.with(|m| {
        let chosen = m.get().unwrap_or(if RELAXED_ASKED.with(Cell::get) {
            WorkerModule::Relaxed
        } else {
            WorkerModule::Default
        });
        m.set(Some(chosen));
        chosen
    });
    let (js, wasm) = match module {
        WorkerModule::Relaxed => relaxed_urls()?,
        WorkerModule::Default => (default_js.clone(), default_wasm),
    };
    let url =
        web_sys::Url::new_with_base("worker.js", &default_js).map_err(|e| format!("{e:?}"))?;
    let query = web_sys::UrlSearchParams::new().map_err(|e| format!("{e:?}"))?;
    query.append("js", &js);
    query.append("wasm", &wasm);
    url.set_search(&String::from(query.to_string()));
    let worker_options = web_sys::WorkerOptions::new();
    worker_options.set_type(web_sys::WorkerType::Module);
    worker_options.set_name(name);
    Worker::new_with_options(&url.href(), &worker_options).map_err(|e| format!("{e:?}"))
}
