//! Runs the simulation for the page: in a Web Worker (worker.rs) so that the page stays
//! responsive whatever the network's size, or, where no worker can be started, in short slices
//! on the main thread.
//!
//! The worker is the page's own wasm, loaded a second time by a small module script
//! (`static/worker.js`, copied next to the page) that imports the JS and wasm files trunk
//! built, found through the page's preload links (engine/modules.rs; in a page opened with kernels=relaxed, its
//! relaxed-SIMD build). Latest wins: every configuration gets a new
//! generation number, and results of older generations are dropped on arrival.
//!
//! The pool: a run may be split into row shards over several workers ([`workers_for`]: one
//! per processor but one by default, `workers=` asks for another number). The other workers
//! of the pool run the same wasm in the shard role and are started with the first run that can
//! use them (more when a run asks for more); the page gives the
//! simulation worker (the coordinator) a MessagePort to each, and the workers talk directly
//! (see worker.rs and pool_wire.rs). The page holds a run back until the pool's workers are
//! ready (at most [`POOL_WAIT_MS`]), so a run's number of workers does not depend on when the
//! workers happened to start. A pool worker that fails is dropped; the run in flight starts
//! again without it.

use crate::engine::jacobian_wire::{self, JacobianUpdate};
use crate::engine::job::{self, Job};
use crate::engine::modules::spawn_worker;
use crate::engine::wire;
use crate::engine::{pool_wire, TheoryBundle};
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

/// The names of the pool's other workers: this, then the shard number (1, 2, ...).
const SHARD_WORKER: &str = "activation-lab-shard-";

/// A run waits at most this long for the pool's workers to start; it goes on with those
/// ready by then.
const POOL_WAIT_MS: u32 = 3_000;

/// The workers a simulation uses by default (`workers=auto`): one per logical processor but one,
/// which stays for the page (it draws while they compute), at least 1, at most
/// [`lab_core::sim::MAX_SHARDS`].
pub fn pool_size() -> usize {
    workers_for(0)
}

/// The workers a run uses when `asked` for (0: auto, [`pool_size`]): at most one per logical
/// processor (`workers=2` on a 2-processor machine uses both, the page then sharing one).
pub fn workers_for(asked: usize) -> usize {
    let processors = web::hardware_concurrency().max(1);
    let most = lab_core::sim::MAX_SHARDS;
    match asked {
        0 => (processors - 1).clamp(1, most),
        n => n.clamp(1, processors.min(most)),
    }
}

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
    /// The workers the runs ask for ([`workers_for`]).
    workers: usize,
    /// The pool's other workers (shard 1, 2, ...), once started.
    helpers: Vec<Helper>,
    /// No worker of the pool is starting (those started are ready, or were given up).
    pool_settled: bool,
    /// The coordinator has ports to the pool's ready workers.
    pool_wired: bool,
    _pool_wait: Option<Timeout>,
}

/// One of the pool's other workers.
struct Helper {
    worker: Worker,
    ready: bool,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
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
            workers: pool_size(),
            helpers: Vec::new(),
            pool_settled: true,
            pool_wired: false,
            _pool_wait: None,
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

    /// The number of the newest request (main or pinned).
    pub fn gen(&self) -> u64 {
        self.inner.borrow().gen
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

    /// The workers the next runs ask for: `asked` as `workers=` gives it (0: auto), see
    /// [`workers_for`].
    pub fn set_workers(&self, asked: usize) {
        self.inner.borrow_mut().workers = workers_for(asked);
    }

    /// Starts computing a pinned run of `config`, without its Jacobian (the page shows only
    /// a pin's statistics); the run in flight is superseded.
    pub fn run_pinned(&self, config: Config) {
        self.start(config, false);
    }

    fn start(&self, config: Config, jacobian: bool) {
        start_run(&self.inner, config, jacobian);
    }
}

fn start_run(inner: &Rc<RefCell<Inner>>, config: Config, jacobian: bool) {
    let (gen, sink) = {
        let mut inner = inner.borrow_mut();
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
    if inner.borrow().local {
        start_local(inner);
        return;
    }
    // After a dead worker, a fresh one for the new request.
    if inner.borrow().slot.is_none() {
        if let Err(e) = start_worker(inner) {
            fall_back(inner, &format!("no fresh worker: {e}"));
            return;
        }
    }
    start_pool(inner, &config);
    post_current(inner);
}

impl Drop for Runner {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(slot) = inner.slot.take() {
            slot.worker.terminate();
        }
        for helper in inner.helpers.drain(..) {
            helper.worker.terminate();
        }
        if let Some(alive) = inner.local_alive.take() {
            alive.set(false);
        }
    }
}

/// Starts the pool's other workers that `config`'s run can use (a network large enough to
/// split, see `pool_rows`, on more workers than are started) and that are not started yet.
fn start_pool(inner: &Rc<RefCell<Inner>>, config: &Config) {
    let (from, to) = {
        let i = inner.borrow();
        let wanted = lab_core::sim::pool_rows(config, i.workers).len();
        if i.local || !i.pool_settled || i.helpers.len() + 1 >= wanted {
            return;
        }
        (i.helpers.len() + 1, wanted - 1)
    };
    inner.borrow_mut().pool_settled = false;
    for k in from..=to {
        match start_helper(inner, k) {
            Ok(helper) => inner.borrow_mut().helpers.push(helper),
            Err(e) => {
                web::log_error(&format!(
                    "Activation Lab: worker {k} of the pool did not start ({e}); the pool has {k}"
                ));
                break;
            }
        }
    }
    let wait = {
        let inner = inner.clone();
        Timeout::new(POOL_WAIT_MS, move || settle_pool(&inner))
    };
    inner.borrow_mut()._pool_wait = Some(wait);
    if inner.borrow().helpers.iter().all(|h| h.ready) {
        settle_pool(inner);
    }
}

fn start_helper(inner: &Rc<RefCell<Inner>>, k: usize) -> Result<Helper, String> {
    let worker = spawn_worker(&format!("{SHARD_WORKER}{k}"))?;
    let on_message = {
        let inner = inner.clone();
        let worker = worker.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            match wire::kind(&e.data()).as_str() {
                "ready" => {
                    if let Some(h) = helper_of(&mut inner.borrow_mut(), &worker) {
                        h.ready = true;
                    }
                    let all = inner.borrow().helpers.iter().all(|h| h.ready);
                    if all {
                        settle_pool(&inner);
                    }
                }
                // A panic in the worker (its hook posts it).
                "error" => drop_helper(&inner, &worker, &wire::read_error(&e.data())),
                _ => {}
            }
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_error = {
        let inner = inner.clone();
        let worker = worker.clone();
        Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            drop_helper(&inner, &worker, "it raised an error");
        })
    };
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Helper {
        worker,
        ready: false,
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn helper_of<'a>(inner: &'a mut Inner, worker: &Worker) -> Option<&'a mut Helper> {
    inner
        .helpers
        .iter_mut()
        .find(|h| JsValue::from(&h.worker) == JsValue::from(worker))
}

/// The pool has started: the workers not ready by now are given up, the others wired to the
/// coordinator, and the held run goes out.
fn settle_pool(inner: &Rc<RefCell<Inner>>) {
    {
        let mut i = inner.borrow_mut();
        if i.pool_settled {
            return;
        }
        i.pool_settled = true;
        let (ready, late): (Vec<Helper>, Vec<Helper>) = i.helpers.drain(..).partition(|h| h.ready);
        for helper in late {
            web::log_error("Activation Lab: a worker of the pool did not start in time");
            helper.worker.terminate();
        }
        i.helpers = ready;
        i._pool_wait = None;
    }
    wire_pool(inner);
    post_current(inner);
}

/// Gives the coordinator (once ready) a MessagePort to each of the pool's ready workers, and
/// each of them the other end.
fn wire_pool(inner: &Rc<RefCell<Inner>>) {
    let mut i = inner.borrow_mut();
    if !i.pool_settled || !i.slot.as_ref().is_some_and(|s| s.ready) {
        return;
    }
    let mut ports = Vec::new();
    for helper in &i.helpers {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            break;
        };
        let (message, transfer) = pool_wire::shard_port(&channel.port2());
        if helper
            .worker
            .post_message_with_transfer(&message, &transfer)
            .is_err()
        {
            break;
        }
        ports.push(channel.port1());
    }
    let (message, transfer) = pool_wire::pool(&ports);
    if let Some(slot) = i.slot.as_ref() {
        i.pool_wired = slot
            .worker
            .post_message_with_transfer(&message, &transfer)
            .is_ok();
    }
}

/// A worker of the pool failed: it is dropped, the rest wired again, and the run in flight
/// (which may have waited for it) starts again without it.
fn drop_helper(inner: &Rc<RefCell<Inner>>, worker: &Worker, why: &str) {
    let (config, jacobian) = {
        let mut i = inner.borrow_mut();
        let before = i.helpers.len();
        i.helpers
            .retain(|h| JsValue::from(&h.worker) != JsValue::from(worker));
        if i.helpers.len() == before {
            return;
        }
        worker.terminate();
        web::log_error(&format!(
            "Activation Lab: a worker of the pool stopped ({why}); the pool goes on with {}",
            i.helpers.len() + 1
        ));
        let pending = i.in_flight || !i.pool_settled;
        (i.current.filter(|_| pending), i.jacobian)
    };
    let all_ready = inner.borrow().helpers.iter().all(|h| h.ready);
    if all_ready {
        settle_pool(inner);
    }
    wire_pool(inner);
    if let Some(config) = config {
        start_run(inner, config, jacobian);
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
    let starting = !i.helpers.is_empty() && !i.pool_settled;
    if starting {
        return; // the pool's ready, or its wait over, sends it
    }
    let request = wire::run_request(gen, &config);
    let pool = if i.pool_wired { i.helpers.len() + 1 } else { 1 };
    wire::with_workers(&request, i.workers.min(pool));
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
            // (A fresh coordinator after a dead one gets fresh ports to the pool.)
            wire_pool(inner);
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
        i.pool_wired = false;
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
        // The main thread computes alone.
        for helper in i.helpers.drain(..) {
            helper.worker.terminate();
        }
        i.pool_wired = false;
        i.pool_settled = true;
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
