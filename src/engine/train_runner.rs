//! Runs the Train section's runs in workers: one worker per compared run, started lazily, each
//! the page's own wasm (as the simulation's). Latest wins: a new start gets a new generation
//! and updates of older ones are dropped.

use crate::engine::modules::spawn_worker;
use crate::engine::train_job::TrainUpdate;
use crate::engine::train_wire::{self, Control, Start};
use crate::engine::wire;
use crate::web::{self, now_ms};
use gloo_timers::callback::Interval;
use lab_core::train::{Dataset, Settings};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// What the training runs report to the page.
#[derive(Clone, Debug)]
pub enum TrainEvent {
    Update(TrainUpdate),
    Error {
        gen: usize,
        run: usize,
        message: String,
    },
}

pub type TrainSink = Rc<dyn Fn(TrainEvent)>;

/// At most this many training workers (the page compares at most four runs).
const MAX_WORKERS: usize = 4;

/// The page pings each training worker this often; any message from it answers.
const HEARTBEAT_MS: u32 = 1_000;

/// A worker that leaves a ping unanswered longer than this plus the longest unbroken
/// computation of its runs ([`busy_ms`]) is dead: closed, terminated or stuck.
const DEAD_MS: f64 = 5_000.0;

/// At least this many flops per millisecond (0.1 GFLOP/s, well below a slow phone's wasm).
const SLOW_FLOPS_PER_MS: f64 = 1.0e5;

/// The longest a worker may compute without answering, for these runs on `examples` examples:
/// one training step is never cut, and neither is an evaluation of every example (about 2
/// flops per weight per example forward, 6 with the backward pass; the probe batch adds 256
/// examples), at [`SLOW_FLOPS_PER_MS`].
fn busy_ms(runs: &[Settings], examples: usize) -> f64 {
    runs.iter()
        .map(|s| {
            let weights = (s.depth + 1) as f64 * (s.width * s.width) as f64;
            let step = 6.0 * weights * s.tbatch as f64;
            let evaluation = 2.0 * weights * (examples + 256) as f64;
            (step + evaluation) / SLOW_FLOPS_PER_MS
        })
        .fold(0.0, f64::max)
}

/// One worker with the messages waiting for its "ready".
struct Slot {
    worker: Worker,
    ready: bool,
    /// Given up (dead): the next start replaces it with a fresh worker.
    dead: bool,
    /// When the unanswered ping was sent, if one is.
    ping_sent: Option<f64>,
    pending: Vec<JsValue>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

struct Inner {
    sink: TrainSink,
    gen: usize,
    slots: Vec<Slot>,
    /// How long the current runs may keep a worker from answering ([`busy_ms`]).
    busy_ms: f64,
}

pub struct TrainRunner {
    inner: Rc<RefCell<Inner>>,
    _heartbeat: Interval,
}

impl TrainRunner {
    pub fn new(sink: TrainSink) -> TrainRunner {
        let inner = Rc::new(RefCell::new(Inner {
            sink,
            gen: 0,
            slots: Vec::new(),
            busy_ms: 0.0,
        }));
        let heartbeat = {
            let inner = inner.clone();
            Interval::new(HEARTBEAT_MS, move || heartbeat(&inner))
        };
        TrainRunner {
            inner,
            _heartbeat: heartbeat,
        }
    }

    /// Starts `runs` (one worker each) as a new request, trained up to step `target`; returns
    /// its generation.
    pub fn start(
        &self,
        runs: &[Settings],
        data: Option<&[u8]>,
        csv: Option<&Dataset>,
        target: usize,
    ) -> usize {
        let examples = csv.map_or(2_000, |d| d.n);
        let gen = {
            let mut i = self.inner.borrow_mut();
            i.gen += 1;
            i.busy_ms = busy_ms(runs, examples);
            i.gen
        };
        for (run, settings) in runs.iter().enumerate() {
            let message = train_wire::start(&Start {
                gen,
                run,
                settings: settings.clone(),
                data: data.map(<[u8]>::to_vec),
                csv: csv.cloned(),
                target,
            });
            wire::add_device_memory(&message, web::device_memory_gb());
            if let Err(e) = self.post(run, message) {
                let sink = self.inner.borrow().sink.clone();
                sink(TrainEvent::Error {
                    gen,
                    run,
                    message: format!("no worker to train in: {e}"),
                });
            }
        }
        gen
    }

    /// Play, pause or one step for every run of the current request.
    pub fn control(&self, runs: usize, action: Control) {
        let gen = self.inner.borrow().gen;
        let workers = web::hardware_concurrency().clamp(1, MAX_WORKERS);
        for run in 0..runs.min(workers) {
            if let Err(e) = self.post(run, train_wire::control(gen, action)) {
                web::log_error(&format!("Activation Lab: training run {run}: {e}"));
            }
        }
    }

    /// Sends run `run`'s message to its worker: runs share the workers round robin, as many
    /// workers as the machine has cores (`navigator.hardwareConcurrency`), at least one.
    fn post(&self, run: usize, message: JsValue) -> Result<(), String> {
        let workers = web::hardware_concurrency().clamp(1, MAX_WORKERS);
        let run = run % workers;
        while self.inner.borrow().slots.len() <= run {
            let slot = new_slot(&self.inner, self.inner.borrow().slots.len())?;
            self.inner.borrow_mut().slots.push(slot);
        }
        // A dead worker is replaced by a fresh one for a new request's runs.
        if self.inner.borrow().slots[run].dead {
            let slot = new_slot(&self.inner, run)?;
            self.inner.borrow_mut().slots[run] = slot;
        }
        let mut i = self.inner.borrow_mut();
        let slot = &mut i.slots[run];
        if slot.ready {
            slot.worker
                .post_message(&message)
                .map_err(|e| format!("{e:?}"))
        } else {
            slot.pending.push(message);
            Ok(())
        }
    }
}

impl Drop for TrainRunner {
    fn drop(&mut self) {
        for slot in &self.inner.borrow().slots {
            slot.worker.terminate();
        }
    }
}

fn new_slot(inner: &Rc<RefCell<Inner>>, index: usize) -> Result<Slot, String> {
    let worker = spawn_worker("activation-lab-training")?;
    let on_message = {
        let inner = inner.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            on_message(&inner, index, &e.data())
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_error = {
        let inner = inner.clone();
        Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            died(&inner, index, "the training worker stopped (an error)");
        })
    };
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Slot {
        worker,
        ready: false,
        dead: false,
        ping_sent: None,
        pending: Vec::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// Worker `index` is given up: terminated, and every run it was training says so (the reducer
/// ignores runs that do not exist); the next start gives its runs a fresh worker.
fn died(inner: &Rc<RefCell<Inner>>, index: usize, message: &str) {
    let (sink, gen) = {
        let mut i = inner.borrow_mut();
        let Some(slot) = i.slots.get_mut(index).filter(|s| !s.dead) else {
            return;
        };
        slot.dead = true;
        slot.worker.terminate();
        (i.sink.clone(), i.gen)
    };
    web::log_error(&format!("Activation Lab: {message}"));
    let workers = web::hardware_concurrency().clamp(1, MAX_WORKERS);
    for run in (index..MAX_WORKERS).step_by(workers) {
        sink(TrainEvent::Error {
            gen,
            run,
            message: format!("{message}; Reset starts a fresh worker"),
        });
    }
}

/// Pings every live worker, or gives up one that left its ping unanswered too long.
fn heartbeat(inner: &Rc<RefCell<Inner>>) {
    let now = now_ms();
    let mut dead = Vec::new();
    {
        let mut i = inner.borrow_mut();
        let limit = DEAD_MS + i.busy_ms;
        for (index, slot) in i.slots.iter_mut().enumerate() {
            if !slot.ready || slot.dead {
                continue;
            }
            match slot.ping_sent {
                Some(sent) if now - sent > limit => dead.push(index),
                Some(_) => {}
                None => {
                    if slot
                        .worker
                        .post_message(&crate::engine::wire::ping())
                        .is_ok()
                    {
                        slot.ping_sent = Some(now);
                    }
                }
            }
        }
    }
    for index in dead {
        died(inner, index, "the training worker stopped responding");
    }
}

fn on_message(inner: &Rc<RefCell<Inner>>, index: usize, message: &JsValue) {
    if let Some(slot) = inner.borrow_mut().slots.get_mut(index) {
        slot.ping_sent = None; // any message shows the worker alive
    }
    let kind = crate::engine::wire::kind(message);
    let event = match kind.as_str() {
        "ready" => {
            let mut i = inner.borrow_mut();
            if let Some(slot) = i.slots.get_mut(index) {
                slot.ready = true;
                for m in slot.pending.drain(..) {
                    slot.worker.post_message(&m).ok();
                }
            }
            return;
        }
        "train_update" => match train_wire::read_update(message) {
            Ok(u) => TrainEvent::Update(u),
            Err(e) => {
                web::log_error(&format!("Activation Lab: training update: {e}"));
                return;
            }
        },
        "train_error" => match train_wire::read_error(message) {
            Ok((gen, run, message)) => TrainEvent::Error { gen, run, message },
            Err(e) => {
                web::log_error(&format!("Activation Lab: training error message: {e}"));
                return;
            }
        },
        // The worker's panic hook: its wasm cannot go on.
        "error" => {
            died(inner, index, &crate::engine::wire::read_error(message));
            return;
        }
        _ => return,
    };
    let (sink, gen) = {
        let i = inner.borrow();
        (i.sink.clone(), i.gen)
    };
    let event_gen = match &event {
        TrainEvent::Update(u) => u.gen,
        TrainEvent::Error { gen, .. } => *gen,
    };
    if event_gen == gen {
        sink(event);
    }
}
