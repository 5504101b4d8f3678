//! The simulation worker: the same wasm as the page, started in a module Web Worker (see
//! runner.rs), runs the simulation and the correlation prediction off the main thread.
//!
//! Latest wins: a run request replaces the job in flight at once; the work is cut into slices of
//! about [`SLICE_MS`] and the worker yields to its event loop between them (through a
//! MessageChannel, which has no timer clamping), so a newer request is seen within one slice.
//! Results go out after the first slice, then at most every [`PUBLISH_MS`], and at the end.
//! Each request first gets its mean-field theory ([`TheoryBundle`]), computed at once.

use crate::charts::phase::PhaseData;
use crate::params::Params;
use crate::theory_view::{self, CorrJob, TheoryBundle};
use crate::wire;
use lab_core::{Activation, Delta, Simulation};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

/// Milliseconds of computation per slice before looking at new requests.
const SLICE_MS: f64 = 25.0;
/// Flops requested per stepper call (the stepper bounds each unit of work).
const STEP_FLOPS: f64 = 4.0e6;
/// Least time between two published results (each makes the page redraw).
const PUBLISH_MS: f64 = 100.0;

/// Whether this code runs in a dedicated worker (and not in a page).
pub fn in_worker() -> bool {
    js_sys::global()
        .dyn_into::<DedicatedWorkerGlobalScope>()
        .is_ok()
}

fn now_ms() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

struct Job {
    gen: u64,
    sim: Simulation,
    corr: CorrJob,
    /// Layers whose samples were already sent.
    samples_sent: usize,
    last_publish: f64,
    published: bool,
}

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    job: RefCell<Option<Job>>,
    /// The phase grid of the last activation (it depends on nothing else).
    phase_grid: RefCell<Option<(Activation, PhaseData)>>,
    /// port2 -> port1 wakes the next slice.
    tick: MessageChannel,
    scheduled: Cell<bool>,
}

impl Worker {
    fn post(&self, message: &JsValue) {
        if let Err(e) = self.scope.post_message(message) {
            web_sys::console::error_1(&e);
        }
    }

    fn schedule(&self) {
        if !self.scheduled.replace(true) {
            self.tick.port2().post_message(&JsValue::NULL).ok();
        }
    }

    fn on_request(&self, message: &JsValue) {
        if wire::kind(message) != "run" {
            return;
        }
        let Some((gen, query)) = wire::read_run_request(message) else {
            self.post(&wire::error("malformed run request"));
            return;
        };
        let (params, _) = Params::from_query(&query);
        let config = params.config;
        // The URL table keeps every value in range, so this only guards against a core change.
        let sim = match Simulation::new(config) {
            Ok(sim) => sim,
            Err(e) => {
                self.post(&wire::error(&e.to_string()));
                return;
            }
        };
        // The theory first: it is small and the page draws it over the simulation.
        let bundle = {
            let mut cache = self.phase_grid.borrow_mut();
            if cache
                .as_ref()
                .is_none_or(|(act, _)| *act != config.activation)
            {
                let grid = theory_view::phase_data(&config.activation, (f64::NAN, f64::NAN));
                *cache = Some((config.activation, grid));
            }
            let grid = &cache.as_ref().expect("just filled").1;
            TheoryBundle::of(&config, grid)
        };
        self.post(&wire::theory(gen, &bundle));
        *self.job.borrow_mut() = Some(Job {
            gen,
            sim,
            corr: CorrJob::new(&config),
            samples_sent: 0,
            last_publish: now_ms(),
            published: false,
        });
        self.schedule();
    }

    fn slice(&self) {
        self.scheduled.set(false);
        let mut slot = self.job.borrow_mut();
        let Some(job) = slot.as_mut() else {
            return;
        };
        let start = now_ms();
        let mut done = job.sim.is_done() && job.corr.is_done();
        while !done && now_ms() - start < SLICE_MS {
            done = if job.sim.is_done() {
                job.corr.step()
            } else {
                job.sim.step(STEP_FLOPS) && job.corr.is_done()
            };
        }
        let now = now_ms();
        if done || !job.published || now - job.last_publish >= PUBLISH_MS {
            let delta = Delta::since(&job.sim, job.samples_sent);
            job.samples_sent = job.sim.stats().len();
            job.last_publish = now;
            job.published = true;
            self.post(&wire::result(&wire::Result {
                gen: job.gen,
                delta,
                corr: job.corr.values.clone(),
                corr_done: job.corr.is_done(),
            }));
        }
        if done {
            *slot = None;
        } else {
            drop(slot);
            self.schedule();
        }
    }
}

/// Runs the worker: installs the handlers and says it is ready.
pub fn run() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    {
        let scope = scope.clone();
        std::panic::set_hook(Box::new(move |info| {
            let message = format!("the simulation worker stopped: {info}");
            web_sys::console::error_1(&JsValue::from_str(&message));
            scope.post_message(&wire::error(&message)).ok();
        }));
    }
    let tick = match MessageChannel::new() {
        Ok(t) => t,
        Err(_) => {
            scope
                .post_message(&wire::error("no MessageChannel in this worker"))
                .ok();
            return;
        }
    };
    let worker = Rc::new(Worker {
        scope: scope.clone(),
        job: RefCell::new(None),
        phase_grid: RefCell::new(None),
        tick,
        scheduled: Cell::new(false),
    });
    let on_tick = {
        let worker = worker.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| worker.slice())
    };
    worker
        .tick
        .port1()
        .set_onmessage(Some(on_tick.as_ref().unchecked_ref()));
    let on_message = {
        let worker = worker.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| worker.on_request(&e.data()))
    };
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // Both handlers live as long as the worker.
    on_tick.forget();
    on_message.forget();
    worker.post(&wire::ready());
}
