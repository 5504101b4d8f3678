//! Thin wrappers around browser APIs (web-sys). Every call that can fail returns a value the
//! caller can ignore or show; none of them panics.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlAnchorElement, HtmlElement};

pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Milliseconds since page load (performance.now), or 0 when unavailable.
pub fn now_ms() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// The device pixel ratio, at least 1 and at most 4.
pub fn device_pixel_ratio() -> f64 {
    window()
        .map(|w| w.device_pixel_ratio())
        .filter(|r| r.is_finite())
        .unwrap_or(1.0)
        .clamp(1.0, 4.0)
}

/// Calls `f` once after about `ms` milliseconds (`setTimeout`); nothing where there is no window.
pub fn after_ms(ms: i32, f: impl FnOnce() + 'static) {
    let Some(w) = window() else { return };
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    w.set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms)
        .ok();
}

/// Calls `f` once before the browser's next repaint (`requestAnimationFrame`); false (and `f`
/// dropped) where no frame can be requested.
pub fn on_next_frame(f: impl FnOnce() + 'static) -> bool {
    let Some(w) = window() else { return false };
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    w.request_animation_frame(callback.unchecked_ref()).is_ok()
}

thread_local! {
    /// Inside a frame opened by [`on_next_frame_open`] or [`soon_open`], until its microtasks
    /// have run.
    static FRAME_OPEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Calls `f` once after the current task and the microtasks queued before it
/// (`queueMicrotask`), before the browser renders; false (and `f` dropped) where there is no
/// window.
fn after_microtasks(f: impl FnOnce() + 'static) -> bool {
    let Some(w) = window() else { return false };
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    w.queue_microtask(callback.unchecked_ref());
    true
}

/// Runs `f` with the frame open to [`in_this_frame`] until the microtasks it queues have run
/// (Yew renders the state `f` dispatches in one): a chart that the new state asks to draw
/// then draws before the next paint, in this task, not at the frame after.
fn open(f: impl FnOnce()) {
    FRAME_OPEN.with(|o| o.set(true));
    f();
    // Queued after `f`'s microtasks (Yew's render among them), so it runs after them.
    if !after_microtasks(|| FRAME_OPEN.with(|o| o.set(false))) {
        FRAME_OPEN.with(|o| o.set(false));
    }
}

/// Like [`on_next_frame`], `f` run [`open`].
pub fn on_next_frame_open(f: impl FnOnce() + 'static) -> bool {
    on_next_frame(move || open(f))
}

/// Calls `f` after the current task's microtasks, [`open`] (not from inside a render); false
/// (and `f` dropped) where there is no window.
pub fn soon_open(f: impl FnOnce() + 'static) -> bool {
    after_microtasks(move || open(f))
}

/// Calls `f` in this frame, after the current microtasks, when called from a frame opened by
/// [`on_next_frame_open`] or [`soon_open`]; else at the next frame ([`on_next_frame`]). False (and `f` dropped)
/// where no frame can be requested.
pub fn in_this_frame(f: impl FnOnce() + 'static) -> bool {
    if FRAME_OPEN.with(|o| o.get()) {
        after_microtasks(f)
    } else {
        on_next_frame(f)
    }
}

/// The current query string, e.g. `?act=relu`.
pub fn query_string() -> String {
    window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// The least time between two changes of the address bar, in ms ([`replace_query`]).
const QUERY_GAP_MS: i32 = 100;

thread_local! {
    /// Whether the address bar was changed less than [`QUERY_GAP_MS`] ago, and the newest
    /// query waiting for that gap to end.
    static QUERY: std::cell::RefCell<(bool, Option<String>)> =
        const { std::cell::RefCell::new((false, None)) };
}

/// Replaces the URL's query string without adding a history entry: at once, or, when the last
/// change was less than [`QUERY_GAP_MS`] ago, with the newest query at the end of that gap
/// (each `history.replaceState` costs about a millisecond, and Chromium ignores them beyond a
/// few hundred in ten seconds: a fast slider drag would leave a stale address).
pub fn replace_query(query: &str) {
    let now = QUERY.with(|q| {
        let mut q = q.borrow_mut();
        if q.0 {
            q.1 = Some(query.to_string());
            false
        } else {
            q.0 = true;
            true
        }
    });
    if now {
        set_query(query);
        after_ms(QUERY_GAP_MS, query_gap_over);
    }
}

/// The end of a gap: the waiting query, if any, goes to the address bar and starts a new gap.
fn query_gap_over() {
    let waiting = QUERY.with(|q| {
        let mut q = q.borrow_mut();
        let waiting = q.1.take();
        q.0 = waiting.is_some();
        waiting
    });
    if let Some(query) = waiting {
        set_query(&query);
        after_ms(QUERY_GAP_MS, query_gap_over);
    }
}

fn set_query(query: &str) {
    let Some(w) = window() else { return };
    let Ok(history) = w.history() else { return };
    let path = w.location().pathname().unwrap_or_default();
    let hash = w.location().hash().unwrap_or_default();
    let url = format!("{path}?{query}{hash}");
    if let Err(e) = history.replace_state_with_url(&JsValue::NULL, "", Some(&url)) {
        log_error(&format!("history.replaceState failed: {e:?}"));
    }
}

/// A fresh seed from the browser's cryptographic RNG (through getrandom), in [0, 2^32).
pub fn fresh_seed() -> u32 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => u32::from_le_bytes(bytes),
        // No entropy source: fall back to the clock, which is good enough for a seed.
        Err(_) => (now_ms() * 1000.0) as u32,
    }
}

pub fn log_error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(message));
}

/// Offers `text` as a file download named `filename`.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let document = window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not an anchor")?;
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.set_attribute("hidden", "").ok();
    let body = document.body().ok_or("no body")?;
    body.append_child(&anchor).map_err(|e| format!("{e:?}"))?;
    anchor.click();
    body.remove_child(&anchor).ok();
    web_sys::Url::revoke_object_url(&url).ok();
    Ok(())
}

/// Saves a canvas as a PNG file at its backing-store resolution (the device pixel ratio).
pub fn download_canvas_png(
    canvas: &web_sys::HtmlCanvasElement,
    filename: &str,
) -> Result<(), String> {
    let url = canvas.to_data_url().map_err(|e| format!("{e:?}"))?;
    let document = window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not an anchor")?;
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    Ok(())
}

/// Message posted to the parent window when the page runs inside an iframe:
/// `{ "type": "activation-lab:height", "height": <CSS pixels> }`, after every render that
/// changed the document's height. The host page sizes the iframe with it.
pub fn post_height_to_parent() {
    thread_local! {
        static LAST: std::cell::Cell<i32> = const { std::cell::Cell::new(-1) };
    }
    let Some(w) = window() else { return };
    let Ok(Some(parent)) = w.parent() else { return };
    if js_sys::Object::is(&parent, &w) {
        return; // not in a frame
    }
    let Some(height) = w
        .document()
        .and_then(|d| d.document_element())
        .map(|e| e.scroll_height())
    else {
        return;
    };
    if LAST.with(|l| l.replace(height)) == height {
        return;
    }
    let message = js_sys::Object::new();
    js_sys::Reflect::set(&message, &"type".into(), &"activation-lab:height".into()).ok();
    js_sys::Reflect::set(&message, &"height".into(), &JsValue::from(height)).ok();
    // Any origin may host the embed; the message carries nothing but the height.
    parent.post_message(&message, "*").ok();
}

/// The page's URL without query or fragment (origin and path).
pub fn page_url_without_query() -> String {
    window()
        .map(|w| {
            let l = w.location();
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// Writes `text` to the clipboard (navigator.clipboard.writeText) and reports success to
/// `done`. Where the API is missing or refused (insecure context, sandboxed frame), `done`
/// gets false and the caller offers the text for manual copying.
pub fn copy_to_clipboard(text: &str, done: Box<dyn Fn(bool)>) {
    use wasm_bindgen::closure::Closure;
    let call = || -> Option<js_sys::Promise> {
        let window: JsValue = window()?.into();
        let navigator = js_sys::Reflect::get(&window, &"navigator".into()).ok()?;
        let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).ok()?;
        let write: js_sys::Function = js_sys::Reflect::get(&clipboard, &"writeText".into())
            .ok()?
            .dyn_into()
            .ok()?;
        write
            .call1(&clipboard, &JsValue::from_str(text))
            .ok()?
            .dyn_into()
            .ok()
    };
    match call() {
        Some(promise) => {
            let done = std::rc::Rc::new(done);
            let ok = {
                let done = done.clone();
                Closure::once(move |_: JsValue| done(true))
            };
            let failed = Closure::once(move |_: JsValue| done(false));
            let _ = promise.then2(&ok, &failed);
            ok.forget();
            failed.forget();
        }
        None => done(false),
    }
}

/// Shows a panic on the page (never a blank page) and logs it to the console.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("Activation Lab stopped with an internal error: {info}");
        log_error(&message);
        let Some(document) = window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(el) = document.get_element_by_id("fatal-error") {
            if let Ok(el) = el.dyn_into::<HtmlElement>() {
                el.set_inner_text(&format!(
                    "{message}\n\nReload the page to start again. If this keeps happening, please report the URL above."
                ));
                el.remove_attribute("hidden").ok();
            }
        }
    }));
}

/// The media query of the system's dark preference (None where matchMedia is missing).
pub fn dark_query() -> Option<web_sys::MediaQueryList> {
    window()?
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
}

/// Applies a theme to the page: `<html data-theme>` drives the CSS variables and
/// `color-scheme` (native controls, scroll bars). index.html sets it before the wasm loads.
pub fn apply_theme(name: &str) {
    let Some(root) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    root.set_attribute("data-theme", name).ok();
}

/// A canvas outside the page, `scale` times the CSS size `css_w` x `css_h` (for exports).
pub fn offscreen_canvas(
    css_w: i32,
    css_h: i32,
    scale: f64,
) -> Result<web_sys::HtmlCanvasElement, String> {
    if css_w <= 0 || css_h <= 0 {
        return Err("the chart is not laid out (hidden)".into());
    }
    let canvas: web_sys::HtmlCanvasElement = window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    canvas.set_width((f64::from(css_w) * scale).round() as u32);
    canvas.set_height((f64::from(css_h) * scale).round() as u32);
    Ok(canvas)
}

/// The bytes at `url` (relative to the page), fetched from the page's own origin.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = window().ok_or("no window")?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let buffer = response.array_buffer().map_err(|e| format!("{e:?}"))?;
    let buffer = wasm_bindgen_futures::JsFuture::from(buffer)
        .await
        .map_err(|e| format!("{url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The memory the browser reports (`navigator.deviceMemory`, in GB, rounded by the browser to
/// 0.25 ... 8); None where it is not reported (Firefox, Safari).
pub fn device_memory_gb() -> Option<f64> {
    let window = window()?;
    let navigator = js_sys::Reflect::get(&window, &"navigator".into()).ok()?;
    js_sys::Reflect::get(&navigator, &"deviceMemory".into())
        .ok()?
        .as_f64()
}

/// Logical processors the browser reports (`navigator.hardwareConcurrency`), 1 if unknown.
pub fn hardware_concurrency() -> usize {
    window()
        .map(|w| w.navigator().hardware_concurrency())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map_or(1, |n| n as usize)
}
