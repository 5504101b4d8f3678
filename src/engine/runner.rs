//! Runs the simulation for the page: in a Web Worker (worker.rs) so that the page stays
//! responsive whatever the network's size, or, where no worker can be started, in short slices
//! on the main thread.
//!
//! The worker is the page's own wasm, loaded a second time by a small module script (a Blob
//! URL) that imports the JS and wasm files trunk built, found through the page's preload links;
//! no extra download and no second binary. Latest wins: every configuration gets a new
//! generation number, and results of older generations are dropped on arrival.

use crate::engine::job::{self, Job};
use crate::engine::wire;
use crate::engine::TheoryBundle;
use crate::web::{self, now_ms};
use gloo_timers::callback::Timeout;
use lab_core::Config;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// What a run reports to the page, in order: `Start` before anything of its generation.
#[derive(Clone, Debug)]
pub enum RunEvent {
    Start { gen: u64, config: Config },
    Update(wire::Result),
    Theory { gen: u64, bundle: TheoryBundle },
}

/// Receives the runner's events (the page's run-state reducer).
pub type Sink = Rc<dyn Fn(RunEvent)>;

/// A worker that has not said "ready" by then is given up (its script or wasm failed to load
/// in a way that raised no error event).
const READY_TIMEOUT_MS: u32 = 15_000;

struct Inner {
    sink: Sink,
    gen: u64,
    /// The configuration of the newest request.
    current: Option<Config>,
    worker: Option<Worker>,
    ready: bool,
    /// Stops the main-thread fallback's loop.
    local_alive: Option<Rc<Cell<bool>>>,
}

/// Starts runs and reports their results to the sink.
pub struct Runner {
    inner: Rc<RefCell<Inner>>,
    _on_message: Option<Closure<dyn Fn(MessageEvent)>>,
    _on_error: Option<Closure<dyn Fn(web_sys::Event)>>,
    _ready_timeout: Option<Timeout>,
}

impl Runner {
    /// A runner reporting to `sink`.
    pub fn new(sink: Sink) -> Runner {
        let inner = Rc::new(RefCell::new(Inner {
            sink,
            gen: 0,
            current: None,
            worker: None,
            ready: false,
            local_alive: None,
        }));
        let worker = match spawn_worker() {
            Ok(w) => w,
            Err(e) => {
                web::log_error(&format!(
                    "Activation Lab: no worker ({e}); computing on the main thread"
                ));
                return Runner {
                    inner,
                    _on_message: None,
                    _on_error: None,
                    _ready_timeout: None,
                };
            }
        };
        let on_message = {
            let inner = inner.clone();
            Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
                on_message(&inner, &e.data())
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A worker whose module fails to load or evaluate reports it here, not by message.
        let on_error = {
            let inner = inner.clone();
            Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
                e.prevent_default();
                fall_back(&inner, "it could not start");
            })
        };
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let ready_timeout = {
            let inner = inner.clone();
            Timeout::new(READY_TIMEOUT_MS, move || {
                let never_ready = {
                    let i = inner.borrow();
                    i.worker.is_some() && !i.ready
                };
                if never_ready {
                    fall_back(&inner, "it did not start in time");
                }
            })
        };
        inner.borrow_mut().worker = Some(worker);
        Runner {
            inner,
            _on_message: Some(on_message),
            _on_error: Some(on_error),
            _ready_timeout: Some(ready_timeout),
        }
    }

    /// Where the simulation runs: "worker" or "main-thread" (the fallback).
    pub fn engine(&self) -> &'static str {
        if self.inner.borrow().worker.is_some() {
            "worker"
        } else {
            "main-thread"
        }
    }

    /// Starts computing `config`; the run in flight is superseded.
    pub fn run(&self, config: Config) {
        let (gen, sink) = {
            let mut inner = self.inner.borrow_mut();
            inner.gen += 1;
            inner.current = Some(config);
            if let Some(alive) = inner.local_alive.take() {
                alive.set(false);
            }
            (inner.gen, inner.sink.clone())
        };
        sink(RunEvent::Start { gen, config });
        let inner = self.inner.borrow_mut();
        match (&inner.worker, inner.ready) {
            (Some(w), true) => {
                if w.post_message(&wire::run_request(gen, &config)).is_err() {
                    drop(inner);
                    fall_back(&self.inner, "the worker did not accept the request");
                }
            }
            // The request goes out when the worker says it is ready.
            (Some(_), false) => {}
            (None, _) => {
                drop(inner);
                start_local(&self.inner);
            }
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(w) = inner.worker.take() {
            w.terminate();
        }
        if let Some(alive) = inner.local_alive.take() {
            alive.set(false);
        }
    }
}

fn on_message(inner: &Rc<RefCell<Inner>>, message: &JsValue) {
    let event = match wire::kind(message).as_str() {
        "ready" => {
            let mut i = inner.borrow_mut();
            i.ready = true;
            if let (Some(w), Some(config)) = (&i.worker, &i.current) {
                w.post_message(&wire::run_request(i.gen, config)).ok();
            }
            return;
        }
        "result" => match wire::read_result(message) {
            Ok(result) => RunEvent::Update(result),
            Err(e) => {
                web::log_error(&format!(
                    "Activation Lab: malformed result from the worker: {e}"
                ));
                return;
            }
        },
        "theory" => match wire::read_theory(message) {
            Ok((gen, bundle)) => RunEvent::Theory { gen, bundle },
            Err(e) => {
                web::log_error(&format!(
                    "Activation Lab: malformed theory from the worker: {e}"
                ));
                return;
            }
        },
        "error" => {
            fall_back(inner, &wire::read_error(message));
            return;
        }
        _ => return,
    };
    let (sink, current) = {
        let i = inner.borrow();
        (i.sink.clone(), i.gen)
    };
    let gen = match &event {
        RunEvent::Update(r) => r.gen,
        RunEvent::Theory { gen, .. } => *gen,
        RunEvent::Start { gen, .. } => *gen,
    };
    // Results of a superseded request are dropped here (and again by the reducer).
    if gen == current {
        sink(event);
    }
}

/// The worker failed: go on without it, on the main thread, from the current configuration.
fn fall_back(inner: &Rc<RefCell<Inner>>, why: &str) {
    web::log_error(&format!(
        "Activation Lab: the simulation worker failed ({why}); computing on the main thread"
    ));
    let (gen, config, sink) = {
        let mut i = inner.borrow_mut();
        let Some(w) = i.worker.take() else {
            return; // already on the main thread
        };
        w.terminate();
        let Some(config) = i.current else {
            return;
        };
        i.gen += 1;
        (i.gen, config, i.sink.clone())
    };
    sink(RunEvent::Start { gen, config });
    start_local(inner);
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

/// A module worker running the page's own wasm (it says "ready" once running).
pub(crate) fn spawn_worker() -> Result<Worker, String> {
    let (js, wasm) = module_urls()?;
    // JSON string literals: the URLs are quoted and escaped whatever they contain.
    let quote = |s: &str| {
        js_sys::JSON::stringify(&JsValue::from_str(s))
            .ok()
            .and_then(|j| j.as_string())
            .unwrap_or_default()
    };
    let source = format!(
        "import init from {};\nawait init({{ module_or_path: {} }});\n",
        quote(&js),
        quote(&wasm)
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&source));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let worker_options = web_sys::WorkerOptions::new();
    worker_options.set_type(web_sys::WorkerType::Module);
    worker_options.set_name("activation-lab-simulation");
    let worker = Worker::new_with_options(&url, &worker_options).map_err(|e| format!("{e:?}"));
    web_sys::Url::revoke_object_url(&url).ok();
    worker
}

/// The fallback: the theory at once, then the simulation and the correlation prediction in
/// short slices on the main thread ([`job::MAIN_THREAD`]), the same loop as the worker's.
fn start_local(inner: &Rc<RefCell<Inner>>) {
    let (gen, config, sink, alive) = {
        let mut i = inner.borrow_mut();
        let Some(config) = i.current else {
            return;
        };
        let alive = Rc::new(Cell::new(true));
        i.local_alive = Some(alive.clone());
        (i.gen, config, i.sink.clone(), alive)
    };
    let bundle = TheoryBundle::cached(&mut None, &config);
    sink(RunEvent::Theory { gen, bundle });
    match Job::new(gen, config, now_ms()) {
        Ok(job) => slice(Rc::new(RefCell::new(job)), sink, alive),
        // The URL table keeps every value in range, so this only guards against a core change.
        Err(e) => web::log_error(&format!("Activation Lab: invalid configuration: {e}")),
    }
}

fn slice(job: Rc<RefCell<Job>>, sink: Sink, alive: Rc<Cell<bool>>) {
    if !alive.get() {
        return;
    }
    let (done, update) = job.borrow_mut().slice(&job::MAIN_THREAD, &now_ms);
    if let Some(update) = update {
        sink(RunEvent::Update(update));
    }
    if !done {
        Timeout::new(0, move || slice(job, sink, alive)).forget();
    }
}
