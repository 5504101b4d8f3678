//! The simulation worker: the same wasm as the page, started in a module Web Worker (see
//! runner.rs), runs the simulation and the correlation prediction off the main thread.
//!
//! Latest wins: a run request replaces the job in flight at once; the work is cut into slices
//! ([`job::WORKER`]) and the worker yields to its event loop between them (through a
//! MessageChannel, which has no timer clamping), so a newer request is seen within one slice.
//! Results go out after the first slice, then at most every `publish_ms`, and at the end.
//! Each request first gets its mean-field theory ([`TheoryBundle`]), computed at once.
//!
//! The worker pool (`pool_wire.rs`): the simulation worker is the coordinator. A run asking for
//! several workers is split into row shards; the coordinator computes row 0's (with the
//! correlation prediction and the Jacobian) and sends each other shard to one of the pool's
//! other workers, through the MessagePorts the page gave it. Those workers run the same code
//! in the shard role: they compute their rows, report, wait at each whole-batch sum for the
//! coordinator's `shard_resume`, and drop their work for a newer run's.

use crate::engine::bundle::TheoryCache;
use crate::engine::job::{self, Job};
use crate::engine::train_job::TrainJob;
use crate::engine::train_wire::{self, Control};
use crate::engine::{jacobian_wire, pool_wire, wire, TheoryBundle};
use lab_core::sim::{RemoteShard, Simulation};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent, MessagePort};

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

/// A MessagePort of the pool and its message handler.
type Port = (MessagePort, Closure<dyn Fn(MessageEvent)>);

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
    /// The coordinator's ports to the pool's other workers (shard k's is `pool[k - 1]`), with
    /// their handlers.
    pool: RefCell<Vec<Port>>,
    /// The pool's ports that got a shard of the current run.
    pool_used: Cell<usize>,
    /// In the shard role: the port to the coordinator (with its handler), and the shard.
    coordinator: RefCell<Option<Port>>,
    shard: RefCell<Option<(u64, RemoteShard)>>,
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

    fn on_request(self: &Rc<Self>, message: &JsValue) {
        match wire::kind(message).as_str() {
            "run" => {}
            "ping" => return self.post(&wire::pong()),
            "pool" => return self.on_pool(message),
            "shard_port" => return self.on_shard_port(message),
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
        let workers = wire::read_workers(message).min(self.pool.borrow().len() + 1);
        let budget = wire::read_budget(message);
        match Job::after(previous, gen, config, budget, now_ms(), workers) {
            Ok(mut job) => {
                if !wire::wants_jacobian(message) {
                    job.skip_jacobian();
                }
                self.hand_out_shards(gen, &config, &job, message);
                *self.job.borrow_mut() = Some(job);
                self.schedule();
            }
            Err(e) => self.post(&wire::error(&format!("invalid configuration: {e}"))),
        }
    }

    /// The coordinator: sends each other shard of run `gen` to a worker of the pool (to
    /// continue, when the job continues the previous run's shards), and tells the workers
    /// without one to drop their old work.
    fn hand_out_shards(&self, gen: u64, config: &lab_core::Config, job: &Job, request: &JsValue) {
        let device_memory = wire::get(request, "deviceMemory").as_f64();
        let rows = job.remote_rows();
        let pool = self.pool.borrow();
        for (i, (port, _)) in pool.iter().enumerate() {
            let message = match rows.get(i) {
                Some(_) if job.continues_shards() => pool_wire::shard_extend(gen, config),
                Some(rows) => pool_wire::shard_run(gen, config, rows, device_memory),
                None if i < self.pool_used.get() => pool_wire::shard_stop(),
                None => continue,
            };
            port.post_message(&message).ok();
        }
        self.pool_used.set(rows.len());
    }

    /// The coordinator: the page's ports to the pool's other workers (replacing any before).
    fn on_pool(self: &Rc<Self>, message: &JsValue) {
        let ports = pool_wire::read_pool(message);
        let mut pool = self.pool.borrow_mut();
        for (port, _) in pool.drain(..) {
            port.close();
        }
        for (i, port) in ports.into_iter().enumerate() {
            let worker = Rc::downgrade(self);
            let handler = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(worker) = worker.upgrade() {
                    worker.on_shard_message(i + 1, &e.data());
                }
            });
            port.set_onmessage(Some(handler.as_ref().unchecked_ref()));
            pool.push((port, handler));
        }
        self.pool_used.set(0);
    }

    /// The coordinator: a message from shard `shard`'s worker.
    fn on_shard_message(&self, shard: usize, message: &JsValue) {
        let mut slot = self.job.borrow_mut();
        let Some(job) = slot.as_mut() else {
            return;
        };
        let outcome = match wire::kind(message).as_str() {
            "shard_report" => match pool_wire::read_shard_report(message) {
                Ok((gen, report)) if gen == job.gen() => job.apply(shard, report),
                Ok(_) => return, // an older run's
                Err(e) => Err(format!("malformed shard report: {e}")),
            },
            "shard_error" => {
                if wire::get(message, "gen").as_f64() != Some(job.gen() as f64) {
                    return;
                }
                Err(wire::read_error(message))
            }
            _ => return,
        };
        drop(slot);
        match outcome {
            Ok(()) => {
                self.send_resumes();
                self.schedule();
            }
            Err(e) => self.fail_job(&format!("a worker of the pool failed: {e}")),
        }
    }

    /// The coordinator: sends the other shards the whole-batch sums they wait for.
    fn send_resumes(&self) {
        let (gen, resumes) = match self.job.borrow_mut().as_mut() {
            Some(job) => (job.gen(), job.take_resumes()),
            None => return,
        };
        let pool = self.pool.borrow();
        for sums in resumes {
            let message = pool_wire::shard_resume(gen, &sums);
            for (port, _) in pool.iter().take(self.pool_used.get()) {
                port.post_message(&message).ok();
            }
        }
    }

    /// The current run cannot go on: the page is told (as for a panic) and the job dropped.
    fn fail_job(&self, why: &str) {
        self.job.borrow_mut().take();
        for (port, _) in self.pool.borrow().iter() {
            port.post_message(&pool_wire::shard_stop()).ok();
        }
        self.post(&wire::error(why));
    }

    /// The shard role: the page's port to the coordinator.
    fn on_shard_port(self: &Rc<Self>, message: &JsValue) {
        let Some(port) = pool_wire::read_shard_port(message) else {
            return;
        };
        let worker = Rc::downgrade(self);
        let handler = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(worker) = worker.upgrade() {
                worker.on_shard_request(&e.data());
            }
        });
        port.set_onmessage(Some(handler.as_ref().unchecked_ref()));
        if let Some((old, _)) = self.coordinator.replace(Some((port, handler))) {
            old.close();
        }
        self.shard.borrow_mut().take();
    }

    /// The shard role: a request from the coordinator.
    fn on_shard_request(&self, message: &JsValue) {
        match wire::kind(message).as_str() {
            "shard_run" => {
                let run = match pool_wire::read_shard_run(message) {
                    Ok(run) => run,
                    Err(e) => {
                        let gen = wire::get(message, "gen").as_f64().unwrap_or(0.0) as u64;
                        return self.to_coordinator(&pool_wire::shard_error(
                            gen,
                            &format!("malformed shard request: {e}"),
                        ));
                    }
                };
                match Simulation::with_budget(run.config, run.budget) {
                    Ok(sim) => {
                        *self.shard.borrow_mut() = Some((run.gen, RemoteShard::new(sim, run.rows)));
                        self.schedule();
                    }
                    Err(e) => self.to_coordinator(&pool_wire::shard_error(
                        run.gen,
                        &format!("invalid configuration: {e}"),
                    )),
                }
            }
            "shard_extend" => {
                let (gen, config) = match wire::read_run_request(message) {
                    Ok(request) => request,
                    Err(e) => {
                        let gen = wire::get(message, "gen").as_f64().unwrap_or(0.0) as u64;
                        return self.to_coordinator(&pool_wire::shard_error(
                            gen,
                            &format!("malformed shard request: {e}"),
                        ));
                    }
                };
                let held = self.shard.borrow_mut().take();
                match held.map(|(_, shard)| shard.extend(config)) {
                    Some(Ok(shard)) => {
                        *self.shard.borrow_mut() = Some((gen, shard));
                        self.schedule();
                    }
                    // The coordinator continues only what every shard finished: a bug.
                    _ => self.to_coordinator(&pool_wire::shard_error(
                        gen,
                        "this worker has no finished shard to continue",
                    )),
                }
            }
            "shard_resume" => {
                let Ok((gen, sums)) = pool_wire::read_shard_resume(message) else {
                    return;
                };
                if let Some((g, shard)) = self.shard.borrow_mut().as_mut() {
                    if *g == gen {
                        shard.resume(&sums);
                    }
                }
                self.schedule();
            }
            "shard_stop" => {
                self.shard.borrow_mut().take();
            }
            _ => {}
        }
    }

    fn to_coordinator(&self, message: &JsValue) {
        if let Some((port, _)) = self.coordinator.borrow().as_ref() {
            port.post_message(message).ok();
        }
    }

    /// The shard role: works on the shard for a slice, then reports; it goes on unless it
    /// waits for sums or is done.
    fn shard_slice(&self) {
        let mut slot = self.shard.borrow_mut();
        let Some((gen, shard)) = slot.as_mut().filter(|(_, shard)| !shard.is_done()) else {
            // (A finished shard stays, for a deeper network to continue it.)
            return;
        };
        let start = now_ms();
        let mut waits = false;
        let forward_done = shard.forward_done();
        while now_ms() - start < job::WORKER.slice_ms {
            waits = shard.step(job::WORKER.step_flops);
            // A finished forward pass is reported at once (the page draws it meanwhile).
            if waits || shard.forward_done() != forward_done {
                break;
            }
        }
        let report = pool_wire::shard_report(*gen, &shard.report());
        let done = shard.is_done();
        drop(slot);
        self.to_coordinator(&report);
        if !waits && !done {
            self.schedule();
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
        self.shard_slice();
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
        let failure = job.take_failure();
        let waits = job.waits();
        if done {
            *self.finished.borrow_mut() = slot.take();
            return;
        }
        drop(slot);
        self.send_resumes();
        if let Some(why) = failure {
            self.fail_job(&format!("the shards went out of step: {why}"));
        } else if !waits {
            // (While it waits, the other shards' reports schedule the next slice.)
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
        pool: RefCell::default(),
        pool_used: Cell::new(0),
        coordinator: RefCell::new(None),
        shard: RefCell::new(None),
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
