//! Where the workers' code comes from: the page's JS module and wasm as trunk linked them, and
//! the module worker (`static/worker.js`) that loads them.

use crate::web;
use wasm_bindgen::JsCast;
use web_sys::Worker;

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
pub(crate) fn spawn_worker(name: &str) -> Result<Worker, String> {
    let (js, wasm) = module_urls()?;
    let url = web_sys::Url::new_with_base("worker.js", &js).map_err(|e| format!("{e:?}"))?;
    let query = web_sys::UrlSearchParams::new().map_err(|e| format!("{e:?}"))?;
    query.append("js", &js);
    query.append("wasm", &wasm);
    url.set_search(&String::from(query.to_string()));
    let worker_options = web_sys::WorkerOptions::new();
    worker_options.set_type(web_sys::WorkerType::Module);
    worker_options.set_name(name);
    Worker::new_with_options(&url.href(), &worker_options).map_err(|e| format!("{e:?}"))
}
