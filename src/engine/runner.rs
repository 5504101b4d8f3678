//! Runs the simulation for the page: in a Web Worker (worker.rs) so that the page stays
//! responsive whatever the network's size, or, where no worker can be started, in short slices
//! on the main thread.
//!
//! The worker is the page's own wasm, loaded a second time by a small module script
//! (`static/worker.js`, copied next to the page) that imports the JS and wasm files trunk
//! built, found through the page's preload links; no second binary. Latest wins: every configuration gets a new
//! generation number, and results of older generations are dropped on arrival.

use crate::engine::jacobian_wire::{self, JacobianUpdate};
use crate::engine::job::{self, Job};
use crate::engine::modules::spawn_worker;
use crate::engine::wire;
use crate::engine::TheoryBundle;
use crate::web::{self, now_ms};
use gloo_timers::callback::{Interval, Timeout};
use lab_core::sim::MemoryBudget;
use lab_core::Config;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// What a run reports to the page, in order: `Start` before anything of its generation.
#[derive(Clone, Debug)]
pub enum RunEvent {
    Start {
        gen: u64,
        config: Config,
    },
    Update(wire::Result),
    Theory {
        gen: u64,
        bundle: TheoryBundle,
    },
    /// The Jacobian's progress or result (after the simulation's last update).
    Jacobian(JacobianUpdate),
    /// The worker died while computing this run; it is not run again (not on the main thread
    /// either: it may be what killed the worker).
    Failed {
        gen: u64,
        why: String,
    },
}

/// Receives the runner's events (the page's run-state reducer).
pub type Sink = Rc<dyn Fn(RunEvent)>;

/// A worker that has not said "ready" by then is given up (its script or wasm failed to load
/// in a way that raised no error event).
const READY_TIMEOUT_MS: u32 = 15_000;

/// The simulation worker's name.
const SIMULATION_WORKER: &str = "activation-lab-simulation";

/// The page pings the worker this often; any message from the worker answers.
const HEARTBEAT_MS: u32 = 1_000;

/// A worker that has left a ping unanswered this long is dead (closed, terminated, or stuck:
/// messages to a closed worker vanish without an error event). A live worker answers between
/// two 25 ms slices; its longest unbroken computation, a new activation's theory, takes well
/// under a second.
const DEAD_MS: f64 = 5_000.0;

/// The simulation worker and its handlers.
struct Slot {
    worker: Worker,
    ready: bool,
    /// When the unanswered ping was sent, if one is.
    ping_sent: Option<f64>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
    _ready_timeout: Timeout,
}

struct Inner {
    sink: Sink,
    gen: u64,
    /// The configuration of the newest request.
    current: Option<Config>,
    /// The newest request needs the Jacobian (not a pinned run).
    jacobian: bool,
    /// The worker (None: on the main thread, or between a dead worker and the next request).
    slot: Option<Slot>,
    /// No worker could start: the runs go on the main thread for good.
    local: bool,
    /// The newest run was handed to the worker and has not finished.
    in_flight: bool,
    /// The worker has answered the newest run (its theory or a result arrived).
    acked: bool,
    /// A run that went unanswered by a worker that died and was tried once more in a fresh one.
    retried: Option<u64>,
    /// Stops the main-thread fallback's loop.
    local_alive: Option<Rc<Cell<bool>>>,
}

/// Starts runs and reports their results to the sink.
pub struct Runner {
    inner: Rc<RefCell<Inner>>,
    _heartbeat: Option<Interval>,
}

impl Runner {
    /// A runner reporting to `sink`.
    pub fn new(sink: Sink) -> Runner {
        let inner = Rc::new(RefCell::new(Inner {
            sink,
            gen: 0,
            current: None,
            jacobian: true,
            slot: None,
            local: false,
            in_flight: false,
            acked: false,
            retried: None,
            local_alive: None,
        }));
        if let Err(e) = start_worker(&inner) {
            web::log_error(&format!(
                "Activation Lab: no worker ({e}); computing on the main thread"
            ));
            inner.borrow_mut().local = true;
            return Runner {
                inner,
                _heartbeat: None,
            };
        }
        let heartbeat = {
            let inner = inner.clone();
            Interval::new(HEARTBEAT_MS, move || heartbeat(&inner))
        };
        Runner {
            inner,
            _heartbeat: Some(heartbeat),
        }
    }

    /// Where the simulation runs: "worker" or "main-thread" (the fallback).
    pub fn engine(&self) -> &'static str {
        if self.inner.borrow().local {
            "main-thread"
        } else {
            "worker"
        }
    }

    /// Starts computing `config`; the run in flight is superseded.
    pub fn run(&self, config: Config) {
        self.start(config, true);
    }

    /// Starts computing a pinned run of `config`, without its Jacobian (the page shows only
    /// a pin's statistics); the run in flight is superseded.
    pub fn run_pinned(&self, config: Config) {
        self.start(config, false);
    }

    fn start(&self, config: Config, jacobian: bool) {
        let (gen, sink) = {
            let mut inner = self.inner.borrow_mut();
            inner.gen += 1;
            inner.current = Some(config);
            inner.jacobian = jacobian;
            inner.in_flight = false;
            inner.acked = false;
            if let Some(alive) = inner.local_alive.take() {
                alive.set(false);
            }
            (inner.gen, inner.sink.clone())
        };
        sink(RunEvent::Start { gen, config });
        if self.inner.borrow().local {
            start_local(&self.inner);
            return;
        }
        // After a dead worker, a fresh one for the new request.
        if self.inner.borrow().slot.is_none() {
            if let Err(e) = start_worker(&self.inner) {
                fall_back(&self.inner, &format!("no fresh worker: {e}"));
                return;
            }
        }
        post_current(&self.inner);
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(slot) = inner.slot.take() {
            slot.worker.terminate();
        }
        if let Some(alive) = inner.local_alive.take() {
            alive.set(false);
        }
    }
}

/// Starts a worker into the runner's slot (it gets the current request once ready).
fn start_worker(inner: &Rc<RefCell<Inner>>) -> Result<(), String> {
    let worker = spawn_worker(SIMULATION_WORKER)?;
    let on_message = {
        let inner = inner.clone();
        let worker = worker.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            if is_current(&inner, &worker) {
                on_message(&inner, &e.data())
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // A worker whose module fails to load or evaluate reports it here, not by message; so
    // does an uncaught error (a trap) while it runs.
    let on_error = {
        let inner = inner.clone();
        let worker = worker.clone();
        Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            if is_current(&inner, &worker) {
                failed(&inner, "it raised an error", "it could not start");
            }
        })
    };
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let ready_timeout = {
        let inner = inner.clone();
        let worker = worker.clone();
        Timeout::new(READY_TIMEOUT_MS, move || {
            let never_ready = is_current(&inner, &worker)
                && inner.borrow().slot.as_ref().is_some_and(|s| !s.ready);
            if never_ready {
                fall_back(&inner, "it did not start in time");
            }
        })
    };
    inner.borrow_mut().slot = Some(Slot {
        worker,
        ready: false,
        ping_sent: None,
        _on_message: on_message,
        _on_error: on_error,
        _ready_timeout: ready_timeout,
    });
    Ok(())
}

/// Whether `worker` is the runner's worker (and not one given up).
fn is_current(inner: &Rc<RefCell<Inner>>, worker: &Worker) -> bool {
    inner
        .borrow()
        .slot
        .as_ref()
        .is_some_and(|s| JsValue::from(&s.worker) == JsValue::from(worker))
}

/// Hands the newest request to the worker if it is ready (else "ready" does it).
fn post_current(inner: &Rc<RefCell<Inner>>) {
    let mut i = inner.borrow_mut();
    let (gen, config) = match i.current {
        Some(config) => (i.gen, config),
        None => return,
    };
    let Some(slot) = i.slot.as_ref().filter(|s| s.ready) else {
        return;
    };
    let request = wire::run_request(gen, &config);
    if !i.jacobian {
        wire::without_jacobian(&request);
    }
    // The worker's memory budget follows the page's device memory.
    wire::add_device_memory(&request, web::device_memory_gb());
    let posted = slot.worker.post_message(&request).is_ok();
    if posted {
        i.in_flight = true;
    } else {
        drop(i);
        fall_back(inner, "the worker did not accept the request");
    }
}

/// Pings the worker, or gives it up when it left the last ping unanswered for too long.
fn heartbeat(inner: &Rc<RefCell<Inner>>) {
    let now = now_ms();
    let dead = {
        let mut i = inner.borrow_mut();
        let Some(slot) = i.slot.as_mut().filter(|s| s.ready) else {
            return;
        };
        match slot.ping_sent {
            Some(sent) => now - sent > DEAD_MS,
            None => {
                if slot.worker.post_message(&wire::ping()).is_ok() {
                    slot.ping_sent = Some(now);
                }
                false
            }
        }
    };
    if dead {
        failed(inner, "it stopped responding", "it did not start");
    }
}

fn on_message(inner: &Rc<RefCell<Inner>>, message: &JsValue) {
    if let Some(slot) = inner.borrow_mut().slot.as_mut() {
        slot.ping_sent = None; // any message shows the worker alive
    }
    let event = match wire::kind(message).as_str() {
        "ready" => {
            if let Some(slot) = inner.borrow_mut().slot.as_mut() {
                slot.ready = true;
            }
            post_current(inner);
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
        "jacobian" => match jacobian_wire::read_jacobian(message) {
            Ok(update) => RunEvent::Jacobian(update),
            Err(e) => {
                web::log_error(&format!(
                    "Activation Lab: malformed Jacobian from the worker: {e}"
                ));
                return;
            }
        },
        "error" => {
            let why = wire::read_error(message);
            failed(inner, &why, &why);
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
        RunEvent::Jacobian(j) => j.gen,
        RunEvent::Theory { gen, .. } => *gen,
        RunEvent::Start { gen, .. } | RunEvent::Failed { gen, .. } => *gen,
    };
    // Results of a superseded request are dropped here (and again by the reducer).
    if gen != current {
        return;
    }
    {
        let mut i = inner.borrow_mut();
        i.acked = true;
        if let RunEvent::Update(r) = &event {
            if r.delta.phase == lab_core::RunPhase::Done && r.corr_done {
                i.in_flight = false;
            }
        }
    }
    sink(event);
}

/// The worker failed. Before it was ready (it could not start; `before_ready` says why): go
/// on without workers, on the main thread. Once running (`why`): it is given up, and
/// - the run it was computing, if it had answered it, is reported as failed and not run again
///   (the next request gets a fresh worker);
/// - a run it had not answered yet (it died before seeing it) goes to a fresh worker, once;
/// - with no run in flight, the next request gets a fresh worker.
fn failed(inner: &Rc<RefCell<Inner>>, why: &str, before_ready: &str) {
    let ready = match inner.borrow().slot.as_ref() {
        Some(slot) => slot.ready,
        None => return,
    };
    if !ready {
        fall_back(inner, before_ready);
        return;
    }
    let (gen, sink, retry) = {
        let mut i = inner.borrow_mut();
        if let Some(slot) = i.slot.take() {
            slot.worker.terminate();
        }
        let retry = i.in_flight && !i.acked && i.retried != Some(i.gen);
        let report = i.in_flight && !retry;
        i.in_flight = false;
        if retry {
            i.retried = Some(i.gen);
        }
        (report.then_some(i.gen), i.sink.clone(), retry)
    };
    web::log_error(&format!(
        "Activation Lab: the simulation worker stopped ({why}); {}",
        if retry {
            "the request goes to a fresh worker"
        } else if gen.is_some() {
            "the run it was computing is not run again"
        } else {
            "the next request starts a fresh worker"
        }
    ));
    if let Some(gen) = gen {
        sink(RunEvent::Failed {
            gen,
            why: why.to_string(),
        });
    }
    if retry {
        match start_worker(inner) {
            Ok(()) => {} // the request goes out on "ready"
            Err(e) => {
                let gen = inner.borrow().gen;
                sink(RunEvent::Failed {
                    gen,
                    why: format!("no fresh worker: {e}"),
                });
            }
        }
    }
}

/// No worker could start: go on without one, on the main thread, from the current
/// configuration.
fn fall_back(inner: &Rc<RefCell<Inner>>, why: &str) {
    web::log_error(&format!(
        "Activation Lab: the simulation worker failed ({why}); computing on the main thread"
    ));
    let (gen, config, sink) = {
        let mut i = inner.borrow_mut();
        if let Some(slot) = i.slot.take() {
            slot.worker.terminate();
        }
        if i.local {
            return; // already on the main thread
        }
        i.local = true;
        i.in_flight = false;
        let Some(config) = i.current else {
            return;
        };
        // A request that a worker died on is not run again here.
        if i.retried == Some(i.gen) {
            let (gen, sink) = (i.gen, i.sink.clone());
            drop(i);
            sink(RunEvent::Failed {
                gen,
                why: format!("a worker stopped on it and a fresh one failed: {why}"),
            });
            return;
        }
        i.gen += 1;
        (i.gen, config, i.sink.clone())
    };
    sink(RunEvent::Start { gen, config });
    start_local(inner);
}

/// The fallback: the theory at once, then the simulation and the correlation prediction in
/// short slices on the main thread ([`job::MAIN_THREAD`]), the same loop as the worker's.
fn start_local(inner: &Rc<RefCell<Inner>>) {
    let (gen, config, jacobian, sink, alive) = {
        let mut i = inner.borrow_mut();
        let Some(config) = i.current else {
            return;
        };
        let alive = Rc::new(Cell::new(true));
        i.local_alive = Some(alive.clone());
        (i.gen, config, i.jacobian, i.sink.clone(), alive)
    };
    let bundle = TheoryBundle::of(&config);
    sink(RunEvent::Theory { gen, bundle });
    let budget = MemoryBudget::for_device(web::device_memory_gb());
    match Job::new(gen, config, budget, now_ms()) {
        Ok(mut job) => {
            if !jacobian {
                job.skip_jacobian();
            }
            slice(Rc::new(RefCell::new(job)), sink, alive)
        }
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
    if let Some(jacobian) = job.borrow_mut().take_jacobian() {
        sink(RunEvent::Jacobian(jacobian));
    }
    if !done {
        Timeout::new(0, move || slice(job, sink, alive)).forget();
    }
}
