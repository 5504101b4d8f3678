//! Runs the Train section's runs in workers: one worker per compared run, started lazily, each
//! the page's own wasm (as the simulation's). Latest wins: a new start gets a new generation
//! and updates of older ones are dropped.

use crate::engine::runner::spawn_worker;
use crate::engine::train_job::TrainUpdate;
use crate::engine::train_wire::{self, Control, Start};
use crate::web;
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

/// One worker with the messages waiting for its "ready".
struct Slot {
    worker: Worker,
    ready: bool,
    pending: Vec<JsValue>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

struct Inner {
    sink: TrainSink,
    gen: usize,
    slots: Vec<Slot>,
}

pub struct TrainRunner {
    inner: Rc<RefCell<Inner>>,
}

impl TrainRunner {
    pub fn new(sink: TrainSink) -> TrainRunner {
        TrainRunner {
            inner: Rc::new(RefCell::new(Inner {
                sink,
                gen: 0,
                slots: Vec::new(),
            })),
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
        let gen = {
            let mut i = self.inner.borrow_mut();
            i.gen += 1;
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
            let slot = new_slot(&self.inner)?;
            self.inner.borrow_mut().slots.push(slot);
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

fn new_slot(inner: &Rc<RefCell<Inner>>) -> Result<Slot, String> {
    let worker = spawn_worker()?;
    let index = inner.borrow().slots.len();
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
            let (sink, gen) = {
                let i = inner.borrow();
                (i.sink.clone(), i.gen)
            };
            sink(TrainEvent::Error {
                gen,
                run: index,
                message: "the training worker stopped".into(),
            });
        })
    };
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Slot {
        worker,
        ready: false,
        pending: Vec::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn on_message(inner: &Rc<RefCell<Inner>>, index: usize, message: &JsValue) {
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
        "error" => TrainEvent::Error {
            gen: inner.borrow().gen,
            run: index,
            message: crate::engine::wire::read_error(message),
        },
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
