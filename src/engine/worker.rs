//! The simulation worker: the same wasm as the page, started in a module Web Worker (see
//! runner.rs), runs the simulation and the correlation prediction off the main thread.
//!
//! Latest wins: a run request replaces the job in flight at once; the work is cut into slices
//! ([`job::WORKER`]) and the worker yields to its event loop between them (through a
//! MessageChannel, which has no timer clamping), so a newer request is seen within one slice.
//! Results go out after the first slice, then at most every `publish_ms`, and at the end.
//! Each request first gets its mean-field theory ([`TheoryBundle`]), computed at once.

use crate::engine::bundle::TheoryCache;
use crate::engine::job::{self, Job};
use crate::engine::train_job::TrainJob;
use crate::engine::train_wire::{self, Control};
use crate::engine::{jacobian_wire, wire, TheoryBundle};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent};

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

struct Worker {
    scope: DedicatedWorkerGlobalScope,
    job: RefCell<Option<Job>>,
    /// The last finished run, kept so that a deeper network of the same settings continues it.
    finished: RefCell<Option<Job>>,
    /// A training run (in the Train section's workers; the simulation's worker has none).
    train: RefCell<Vec<TrainJob>>,
    /// What the last run's theory leaves for the next (its phase grid and summary).
    theory_cache: RefCell<TheoryCache>,
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
        match wire::kind(message).as_str() {
            "run" => {}
            "ping" => return self.post(&wire::pong()),
            "train" => return self.on_train(message),
            "train_control" => return self.on_train_control(message),
            _ => return,
        }
        let (gen, config) = match wire::read_run_request(message) {
            Ok(request) => request,
            Err(e) => {
                self.post(&wire::error(&format!("malformed run request: {e}")));
                return;
            }
        };
        // The theory first: it is small and the page draws it over the simulation.
        let bundle = TheoryBundle::cached(&mut self.theory_cache.borrow_mut(), &config);
        self.post(&wire::theory(gen, &bundle));
        // A deeper network of the same settings continues the previous run's simulation.
        let previous = self
            .job
            .borrow_mut()
            .take()
            .or_else(|| self.finished.borrow_mut().take());
        match Job::after(previous, gen, config, wire::read_budget(message), now_ms()) {
            Ok(mut job) => {
                if !wire::wants_jacobian(message) {
                    job.skip_jacobian();
                }
                *self.job.borrow_mut() = Some(job);
                self.schedule();
            }
            Err(e) => self.post(&wire::error(&format!("invalid configuration: {e}"))),
        }
    }

    fn on_train(&self, message: &JsValue) {
        let start = match train_wire::read_start(message) {
            Ok(s) => s,
            Err(e) => {
                self.post(&wire::error(&format!("malformed training request: {e}")));
                return;
            }
        };
        let data = match start.csv {
            Some(d) => Ok(d),
            None => start.settings.task.dataset(start.data.as_deref()),
        };
        let job = data.and_then(|data| {
            TrainJob::new(
                start.gen,
                start.run,
                start.settings,
                &data,
                start.target,
                wire::read_budget(message),
            )
        });
        let mut jobs = self.train.borrow_mut();
        // A newer request replaces every run of older ones; the same request adds its runs.
        jobs.retain(|j| j.gen() == start.gen && j.run() != start.run);
        match job {
            Ok(job) => {
                jobs.push(job);
                drop(jobs);
                self.schedule();
            }
            Err(e) => self.post(&train_wire::error(start.gen, start.run, &e)),
        }
    }

    fn on_train_control(&self, message: &JsValue) {
        let Ok((gen, action)) = train_wire::read_control(message) else {
            return;
        };
        for job in self
            .train
            .borrow_mut()
            .iter_mut()
            .filter(|j| j.gen() == gen)
        {
            let target = match action {
                Control::Play => usize::MAX,
                Control::Pause => job.step(),
                Control::Step => job.step() + 1,
            };
            job.set_target(target);
        }
        self.schedule();
    }

    /// Advances the run that is furthest behind (so this worker's runs keep step), and
    /// publishes what every run has new.
    fn train_slice(&self) {
        let mut jobs = self.train.borrow_mut();
        let behind = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| !j.is_idle())
            .min_by_key(|(_, j)| j.step())
            .map(|(i, _)| i);
        let mut busy = false;
        for (i, job) in jobs.iter_mut().enumerate() {
            let timing = if Some(i) == behind {
                job::WORKER
            } else {
                // Only publish.
                job::Timing {
                    slice_ms: 0.0,
                    ..job::WORKER
                }
            };
            let (idle, update) = job.slice(&timing, &now_ms);
            if let Some(update) = update {
                self.post(&train_wire::update(&update));
            }
            busy |= !idle;
        }
        drop(jobs);
        if busy {
            self.schedule();
        }
    }

    fn slice(&self) {
        self.scheduled.set(false);
        self.train_slice();
        let mut slot = self.job.borrow_mut();
        let Some(job) = slot.as_mut() else {
            return;
        };
        let (done, update) = job.slice(&job::WORKER, &now_ms);
        if let Some(update) = update {
            self.post(&wire::result(&update));
        }
        if let Some(jacobian) = job.take_jacobian() {
            self.post(&jacobian_wire::jacobian(&jacobian));
        }
        if done {
            *self.finished.borrow_mut() = slot.take();
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
        finished: RefCell::new(None),
        train: RefCell::new(Vec::new()),
        theory_cache: RefCell::default(),
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
