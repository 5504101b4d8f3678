//! Runs the simulation for the page: in a Web Worker (worker.rs) so that the page stays
//! responsive whatever the network's size, or, where no worker can be started, in short slices
//! on the main thread.
//!
//! The worker is the page's own wasm, loaded a second time by a small module script (a Blob
//! URL) that imports the JS and wasm files trunk built, found through the page's preload links;
//! no extra download and no second binary. Latest wins: every configuration gets a new
//! generation number, and results of older generations are dropped on arrival.

use crate::theory_view::{self, CorrJob, TheoryBundle};
use crate::web::{self, now_ms};
use crate::wire;
use gloo_timers::callback::Timeout;
use lab_core::{Config, Delta, SimView, Simulation};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// The page's view of the current simulation.
pub type SharedSim = Rc<RefCell<SimView>>;
/// The correlation prediction c^1, c^2, ... received so far.
pub type SharedCorr = Rc<RefCell<CorrView>>;

/// The mean-field theory of the current configuration, once computed.
pub type SharedTheory = Rc<RefCell<Option<Rc<TheoryBundle>>>>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CorrView {
    pub values: Vec<f64>,
    pub done: bool,
}

/// Milliseconds of computation per slice on the main thread (fallback only).
const SLICE_MS: f64 = 12.0;
const STEP_FLOPS: f64 = 2.0e6;
/// Least time between two published partial results on the main thread.
const PUBLISH_MS: f64 = 120.0;
/// A worker that has not said "ready" by then is given up (its script or wasm failed to load
/// in a way that raised no error event).
const READY_TIMEOUT_MS: u32 = 15_000;

struct Inner {
    view: SharedSim,
    corr: SharedCorr,
    theory: SharedTheory,
    publish: Rc<dyn Fn()>,
    gen: u64,
    /// The configuration and query of the newest request.
    current: Option<(Config, String)>,
    worker: Option<Worker>,
    ready: bool,
    /// Stops the main-thread fallback's loop.
    local_alive: Option<Rc<Cell<bool>>>,
}

/// Starts runs and routes their results into the shared view.
pub struct Runner {
    inner: Rc<RefCell<Inner>>,
    _on_message: Option<Closure<dyn Fn(MessageEvent)>>,
    _on_error: Option<Closure<dyn Fn(web_sys::Event)>>,
    _ready_timeout: Option<Timeout>,
}

impl Runner {
    /// A runner writing into `view`, `corr` and `theory`, calling `publish` after each update.
    pub fn new(
        view: SharedSim,
        corr: SharedCorr,
        theory: SharedTheory,
        publish: Rc<dyn Fn()>,
    ) -> Runner {
        let inner = Rc::new(RefCell::new(Inner {
            view,
            corr,
            theory,
            publish,
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

    /// Starts computing `config` (`query` is its URL query); the run in flight is superseded.
    pub fn run(&self, config: Config, query: String) {
        let mut inner = self.inner.borrow_mut();
        inner.gen += 1;
        *inner.view.borrow_mut() = SimView::new(config);
        *inner.corr.borrow_mut() = CorrView::default();
        *inner.theory.borrow_mut() = None;
        inner.current = Some((config, query.clone()));
        if let Some(alive) = inner.local_alive.take() {
            alive.set(false);
        }
        match (&inner.worker, inner.ready) {
            (Some(w), true) => {
                if w.post_message(&wire::run_request(inner.gen, &query))
                    .is_err()
                {
                    drop(inner);
                    fall_back(&self.inner, "the worker did not accept the request");
                }
            }
            // The request goes out when the worker says it is ready.
            (Some(_), false) => {}
            (None, _) => start_local(&mut inner, config),
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
    match wire::kind(message).as_str() {
        "ready" => {
            let mut i = inner.borrow_mut();
            i.ready = true;
            if let (Some(w), Some((_, query))) = (&i.worker, &i.current) {
                w.post_message(&wire::run_request(i.gen, query)).ok();
            }
        }
        "result" => {
            let Some(result) = wire::read_result(message) else {
                web::log_error("Activation Lab: malformed result from the worker");
                return;
            };
            let publish = {
                let i = inner.borrow();
                if result.gen != i.gen {
                    return; // superseded
                }
                i.view.borrow_mut().apply(result.delta);
                *i.corr.borrow_mut() = CorrView {
                    values: result.corr,
                    done: result.corr_done,
                };
                i.publish.clone()
            };
            publish();
        }
        "theory" => {
            let Some((gen, bundle)) = wire::read_theory(message) else {
                web::log_error("Activation Lab: malformed theory from the worker");
                return;
            };
            let publish = {
                let i = inner.borrow();
                if gen != i.gen {
                    return; // superseded
                }
                *i.theory.borrow_mut() = Some(Rc::new(bundle));
                i.publish.clone()
            };
            publish();
        }
        "error" => fall_back(inner, &wire::read_error(message)),
        _ => {}
    }
}

/// The worker failed: go on without it, on the main thread, from the current configuration.
fn fall_back(inner: &Rc<RefCell<Inner>>, why: &str) {
    web::log_error(&format!(
        "Activation Lab: the simulation worker failed ({why}); computing on the main thread"
    ));
    let mut i = inner.borrow_mut();
    let Some(w) = i.worker.take() else {
        return; // already on the main thread
    };
    w.terminate();
    if let Some((config, _)) = i.current {
        let gen = i.gen + 1;
        i.gen = gen;
        *i.view.borrow_mut() = SimView::new(config);
        *i.corr.borrow_mut() = CorrView::default();
        *i.theory.borrow_mut() = None;
        start_local(&mut i, config);
    }
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

fn spawn_worker() -> Result<Worker, String> {
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
/// short slices on the main thread, publishing partial results as they come.
fn start_local(inner: &mut Inner, config: Config) {
    // The URL table keeps every value in range, so this only guards against a core change.
    let sim = match Simulation::new(config) {
        Ok(sim) => sim,
        Err(e) => {
            web_sys::console::error_1(&JsValue::from_str(&e.to_string()));
            return;
        }
    };
    let grid = theory_view::phase_data(&config.activation, (f64::NAN, f64::NAN));
    *inner.theory.borrow_mut() = Some(Rc::new(TheoryBundle::of(&config, &grid)));
    let alive = Rc::new(Cell::new(true));
    inner.local_alive = Some(alive.clone());
    let job = Rc::new(RefCell::new((sim, CorrJob::new(&config))));
    let last_publish = Rc::new(Cell::new(now_ms()));
    slice(
        job,
        inner.view.clone(),
        inner.corr.clone(),
        alive,
        inner.publish.clone(),
        last_publish,
        true,
    );
}

fn slice(
    job: Rc<RefCell<(Simulation, CorrJob)>>,
    view: SharedSim,
    corr: SharedCorr,
    alive: Rc<Cell<bool>>,
    publish: Rc<dyn Fn()>,
    last_publish: Rc<Cell<f64>>,
    first: bool,
) {
    if !alive.get() {
        return;
    }
    let start = now_ms();
    let done = {
        let mut j = job.borrow_mut();
        let (s, c) = &mut *j;
        let mut done = s.is_done() && c.is_done();
        while !done && now_ms() - start < SLICE_MS {
            done = if s.is_done() {
                c.step()
            } else {
                s.step(STEP_FLOPS) && c.is_done()
            };
        }
        done
    };
    let now = now_ms();
    if done || first || now - last_publish.get() >= PUBLISH_MS {
        last_publish.set(now);
        {
            let j = job.borrow();
            let mut v = view.borrow_mut();
            let seen = v.samples_len();
            v.apply(Delta::since(&j.0, seen));
            *corr.borrow_mut() = CorrView {
                values: j.1.values.clone(),
                done: j.1.is_done(),
            };
        }
        publish();
    }
    if !done {
        Timeout::new(0, move || {
            slice(job, view, corr, alive, publish, last_publish, false)
        })
        .forget();
    }
}
