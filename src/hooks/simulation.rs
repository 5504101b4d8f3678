//! The page's copy of the current run's results, held in a reducer: the runner's events are its
//! actions, each carrying the generation it belongs to, so results of a superseded run never
//! reach the panels. Props compare the results by `Rc` identity ([`Same`]).

use crate::engine::jacobian_wire::JacobianUpdate;
use crate::engine::runner::{RunEvent, Runner};
use crate::engine::CorrView;
use crate::engine::TheoryBundle;
use crate::params::{pin_label, previous_label, same_run};
use crate::web;
use lab_core::{Config, SimView};
use std::cell::{Cell, RefCell};
use std::ops::Deref;
use std::rc::Rc;
use yew::prelude::*;

/// An `Rc` whose equality is identity: cheap prop comparison for large results.
#[derive(Debug)]
pub struct Same<T>(pub Rc<T>);

impl<T> Clone for Same<T> {
    fn clone(&self) -> Self {
        Same(self.0.clone())
    }
}

impl<T> PartialEq for Same<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Same<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// One run's results as far as they have arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct RunState {
    /// Generation of the run these results belong to (0: none started).
    pub gen: u64,
    pub view: Same<SimView>,
    pub corr: Same<CorrView>,
    /// The mean-field theory of the run's configuration, once computed.
    pub theory: Option<Same<TheoryBundle>>,
    /// Why the run stopped before its end (its worker died), if it did.
    pub failed: Option<String>,
    /// Layers kept from the previous run (a deeper network of the same settings).
    pub reused: usize,
    /// The workers (row shards) computing the simulation (1 until its first result).
    pub shards: usize,
    /// The Jacobian's singular values (computed after the simulation), as far as known.
    pub jacobian: Same<JacobianUpdate>,
    /// The run this one replaced, kept while this one computes so that its curves stay on the
    /// plots (faded) and the axes do not jump; None once this run is done or failed. The last
    /// complete run when there was one (fast changes skip the runs they superseded), else the
    /// replaced run as far as it got.
    pub previous: Option<Same<RunState>>,
}

impl RunState {
    pub fn new(config: Config) -> RunState {
        RunState {
            gen: 0,
            view: Same(Rc::new(SimView::new(config))),
            corr: Same(Rc::new(CorrView::default())),
            theory: None,
            failed: None,
            reused: 0,
            shards: 1,
            jacobian: Same(Rc::new(JacobianUpdate::default())),
            previous: None,
        }
    }

    /// What a new run keeps of this one as its [`RunState::previous`].
    fn as_previous(&self) -> Option<Same<RunState>> {
        if self.is_done() {
            Some(Same(Rc::new(RunState {
                previous: None,
                ..self.clone()
            })))
        } else if self.previous.is_some() {
            self.previous.clone()
        } else if self.failed.is_none() && !self.view.stats().is_empty() {
            Some(Same(Rc::new(self.clone())))
        } else {
            None
        }
    }

    /// The simulation, the correlation prediction and the theory are all complete.
    pub fn is_done(&self) -> bool {
        self.failed.is_none() && self.view.is_done() && self.corr.done && self.theory.is_some()
    }
}

impl Reducible for RunState {
    type Action = RunEvent;

    fn reduce(self: Rc<Self>, action: RunEvent) -> Rc<Self> {
        let next = match action {
            RunEvent::Start { gen, config } if gen > self.gen => {
                return Rc::new(RunState {
                    gen,
                    previous: self.as_previous(),
                    ..RunState::new(config)
                })
            }
            RunEvent::Update(update) if update.gen == self.gen => {
                let mut view = (*self.view).clone();
                view.apply(update.delta);
                Rc::new(RunState {
                    view: Same(Rc::new(view)),
                    corr: Same(Rc::new(CorrView {
                        values: update.corr,
                        done: update.corr_done,
                    })),
                    reused: update.reused,
                    shards: update.shards,
                    ..(*self).clone()
                })
            }
            RunEvent::Theory { gen, bundle } if gen == self.gen => Rc::new(RunState {
                theory: Some(Same(Rc::new(bundle))),
                ..(*self).clone()
            }),
            RunEvent::Jacobian(update) if update.gen == self.gen => Rc::new(RunState {
                jacobian: Same(Rc::new(update)),
                ..(*self).clone()
            }),
            RunEvent::Failed { gen, why } if gen == self.gen => Rc::new(RunState {
                failed: Some(why),
                ..(*self).clone()
            }),
            // Anything of another generation is stale.
            _ => return self,
        };
        // Done or failed: the previous run's curves go.
        if next.previous.is_some() && (next.is_done() || next.failed.is_some()) {
            Rc::new(RunState {
                previous: None,
                ..(*next).clone()
            })
        } else {
            next
        }
    }
}

/// A pinned run: its setting, what its legend says, and its results as far as they have
/// arrived (None before it starts; it is computed after the current run, in the same worker).
#[derive(Clone, Debug, PartialEq)]
pub struct PinnedRun {
    pub config: Config,
    /// "pin 1: ReLU, He normal" (see [`crate::params::pin_label`]).
    pub label: String,
    pub state: Option<RunState>,
}

/// The pinned runs' results, one [`RunState`] per setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PinCache {
    pub runs: Vec<RunState>,
}

/// What changes the pinned runs' results.
pub enum PinAction {
    /// An event of a pinned run's generation.
    Event(RunEvent),
    /// A run already computed (the current one, just pinned).
    Insert(RunState),
    /// Forget the runs of settings no longer pinned.
    Keep(Vec<Config>),
}

impl PinCache {
    /// The results of `config`'s run, if any arrived.
    pub fn of(&self, config: &Config) -> Option<&RunState> {
        self.runs.iter().find(|r| same_run(r.view.config(), config))
    }
}

impl Reducible for PinCache {
    type Action = PinAction;

    fn reduce(self: Rc<Self>, action: PinAction) -> Rc<Self> {
        let mut runs = self.runs.clone();
        match action {
            PinAction::Event(RunEvent::Start { gen, config }) => {
                runs.retain(|r| !same_run(r.view.config(), &config));
                runs.push(RunState {
                    gen,
                    ..RunState::new(config)
                });
            }
            PinAction::Event(event) => {
                let gen = event_gen(&event);
                let Some(i) = runs.iter().position(|r| r.gen == gen) else {
                    return self;
                };
                runs[i] = (*Rc::new(runs[i].clone()).reduce(event)).clone();
            }
            PinAction::Insert(state) => {
                runs.retain(|r| !same_run(r.view.config(), state.view.config()));
                runs.push(state);
            }
            PinAction::Keep(pins) => {
                let before = runs.len();
                runs.retain(|r| pins.iter().any(|p| same_run(p, r.view.config())));
                if runs.len() == before {
                    return self;
                }
            }
        }
        Rc::new(PinCache { runs })
    }
}

/// The generation an event belongs to.
fn event_gen(event: &RunEvent) -> u64 {
    match event {
        RunEvent::Update(r) => r.gen,
        RunEvent::Jacobian(j) => j.gen,
        RunEvent::Start { gen, .. }
        | RunEvent::Theory { gen, .. }
        | RunEvent::Failed { gen, .. } => *gen,
    }
}

/// A runner's event and the reducer it goes to (decided when it arrives, see [`Route`]).
enum Routed {
    Main(RunEvent),
    Pin(RunEvent),
}

/// A run's start alone waits at most this long for the run's first results, so that a fast
/// run (a depth drag's next layer) renders once, with its results, rather than first emptied
/// (the previous run faded) and a frame later filled.
const START_HOLD_MS: f64 = 40.0;

/// The runner's events waiting for the next animation frame, and where they go.
struct Pump {
    queue: RefCell<Vec<Routed>>,
    /// When the first event of the queue arrived.
    first_at: Cell<f64>,
    /// When the queue was last applied.
    applied_at: Cell<f64>,
    /// An application is queued for after the current task ([`Pump::arrived`]).
    soon: Cell<bool>,
    main: UseReducerDispatcher<RunState>,
    pinned: UseReducerDispatcher<PinCache>,
}

/// A frame, in ms: the least time between two applications of the queue.
const FRAME_MS: f64 = 16.0;

impl Pump {
    /// An event was queued (the first of the queue when `first`). Results that arrive after a
    /// frame without any are applied at once, after the current task, and their charts drawn
    /// in the same task: the next paint shows them, rather than the paint after the next
    /// animation frame (a depth drag's next layer, 8 to 16 ms sooner). Anything else waits
    /// for the next animation frame, which applies all that arrived meanwhile together.
    fn arrived(self: &Rc<Self>, first: bool) {
        let now = web::now_ms();
        if first {
            self.first_at.set(now);
        }
        if self.soon.get() {
            return;
        }
        if now - self.applied_at.get() >= FRAME_MS && !self.waits_for_results() {
            self.soon.set(true);
            let pump = self.clone();
            if !web::soon_open(move || {
                pump.soon.set(false);
                pump.apply();
            }) {
                self.soon.set(false);
                self.apply();
            }
        } else if first {
            self.schedule();
        }
    }

    fn schedule(self: &Rc<Self>) {
        let pump = self.clone();
        // An open frame: the charts the events change draw in it.
        if !web::on_next_frame_open(move || pump.on_frame()) {
            self.apply();
        }
    }

    /// At an animation frame: the queue is applied, unless the newest run's start has no
    /// results yet and is younger than [`START_HOLD_MS`] (it waits another frame for them;
    /// the theory the worker sends first does not end the wait).
    fn on_frame(self: &Rc<Self>) {
        if self.waits_for_results() && web::now_ms() - self.first_at.get() < START_HOLD_MS {
            self.schedule();
        } else {
            self.apply();
        }
    }

    /// Whether the queue holds the current run's start and nothing after it that shows a
    /// result or the end of that run.
    fn waits_for_results(&self) -> bool {
        let queue = self.queue.borrow();
        let Some(start) = queue
            .iter()
            .rposition(|e| matches!(e, Routed::Main(RunEvent::Start { .. })))
        else {
            return false;
        };
        !queue[start..].iter().any(|e| {
            matches!(
                e,
                Routed::Main(RunEvent::Update(_) | RunEvent::Failed { .. })
            )
        })
    }

    fn apply(&self) {
        let events = std::mem::take(&mut *self.queue.borrow_mut());
        if !events.is_empty() {
            self.applied_at.set(web::now_ms());
        }
        for event in events {
            match event {
                Routed::Main(e) => self.main.dispatch(e),
                Routed::Pin(e) => self.pinned.dispatch(PinAction::Event(e)),
            }
        }
    }
}

/// Which reducer the runner's events go to: the newest request is a pinned run's, and the
/// generation it got.
#[derive(Default)]
struct Route {
    pin_request: bool,
    pin_gen: Option<u64>,
}

/// What the page knows of the simulation of `config` and of the pinned runs.
pub struct Simulation {
    pub state: RunState,
    /// Where it runs: "worker" or "main-thread".
    pub engine: &'static str,
    /// The pinned runs, in the order of `pin=`.
    pub pins: Vec<PinnedRun>,
    /// The run the current one replaced, shown faded while the current one computes (None
    /// when it is pinned, or the same setting).
    pub previous: Option<PinnedRun>,
    /// A newer setting's run was requested and has not reached the page yet (its start waits
    /// up to 40 ms for its first results, see [`Pump`]): `state` is still the run before, so
    /// it is not this setting's, done or not.
    pub pending: bool,
}

/// Runs `config` (again whenever it changes; the run in flight is superseded) and returns its
/// results as they arrive. Once it is done, the pinned settings not computed yet run one after
/// another through the same runner (a pin of the current setting takes its results as they
/// are); a change of `config` supersedes a pinned run, which starts again afterwards.
#[hook]
pub fn use_simulation(config: Config, pins: Vec<Config>, workers: usize) -> Simulation {
    let state = use_reducer(|| RunState::new(config));
    let cache = use_reducer(PinCache::default);
    let route = use_mut_ref(Route::default);
    let runner = {
        let (main, pinned) = (state.dispatcher(), cache.dispatcher());
        let route = route.clone();
        // The events are applied together ([`Pump`]): at once when results arrive after a
        // quiet frame, else at the next animation frame, one render of the page for all that
        // came meanwhile (a small network's run sends its start, results, theory and Jacobian
        // within a few milliseconds; a storm of changes sends many runs').
        let pump = Rc::new(Pump {
            queue: RefCell::default(),
            first_at: Cell::new(0.0),
            applied_at: Cell::new(f64::NEG_INFINITY),
            soon: Cell::new(false),
            main,
            pinned,
        });
        use_mut_ref(move || {
            Runner::new(Rc::new(move |event: RunEvent| {
                let to_pin = {
                    let mut r = route.borrow_mut();
                    match &event {
                        RunEvent::Start { gen, .. } => {
                            r.pin_gen = r.pin_request.then_some(*gen);
                            r.pin_request
                        }
                        other => r.pin_gen == Some(event_gen(other)),
                    }
                };
                let first = {
                    let mut q = pump.queue.borrow_mut();
                    q.push(if to_pin {
                        Routed::Pin(event)
                    } else {
                        Routed::Main(event)
                    });
                    q.len() == 1
                };
                pump.arrived(first);
            }))
        })
    };
    let last_main = use_mut_ref(|| None::<(Config, usize)>);
    // The number of the newest main run requested.
    let requested = use_mut_ref(|| 0u64);
    // A new setting (or another number of workers, to compare the time: the same numbers)
    // is sent to the worker here, while the page renders, rather than in an effect after the
    // whole page has rendered: the worker computes while the page renders the new controls
    // (a depth drag's next layer is back about 8 ms sooner). Once per change: `last_main`.
    let started_now = *last_main.borrow() != Some((config, workers));
    if started_now {
        *last_main.borrow_mut() = Some((config, workers));
        route.borrow_mut().pin_request = false;
        runner.borrow().set_workers(workers);
        runner.borrow().run(config);
        *requested.borrow_mut() = runner.borrow().gen();
    }
    {
        let runner = runner.clone();
        let (main, cache) = ((*state).clone(), cache.clone());
        let progress: Vec<(u64, bool, bool)> = cache
            .runs
            .iter()
            .map(|r| (r.gen, r.is_done(), r.failed.is_some()))
            .collect();
        // Pinned runs start after the current run's Jacobian: a pinned run's request would
        // supersede it in the worker.
        let jacobian_done = main.jacobian.gen == main.gen && main.jacobian.done;
        use_effect_with(
            (
                config,
                workers,
                pins.clone(),
                main.is_done(),
                jacobian_done,
                main.gen,
                progress,
            ),
            move |(config, _, pins, main_done, jacobian_done, _, _)| {
                let config = *config;
                if started_now {
                    return;
                }
                if cache.runs.len() > pins.len()
                    || cache
                        .runs
                        .iter()
                        .any(|r| !pins.iter().any(|p| same_run(p, r.view.config())))
                {
                    cache.dispatch(PinAction::Keep(pins.clone()));
                }
                if !*main_done {
                    return;
                }
                for pin in pins {
                    let pin = Config {
                        kernels: config.kernels,
                        ..*pin
                    };
                    match cache.of(&pin) {
                        Some(r) if r.is_done() || r.failed.is_some() => continue,
                        Some(r) => {
                            let in_flight = {
                                let route = route.borrow();
                                route.pin_request && route.pin_gen == Some(r.gen)
                            };
                            if !in_flight && *jacobian_done {
                                route.borrow_mut().pin_request = true;
                                runner.borrow().run_pinned(pin);
                            }
                            return;
                        }
                        None if same_run(&pin, &config) => {
                            cache.dispatch(PinAction::Insert(main.clone()));
                            return;
                        }
                        None => {
                            if *jacobian_done {
                                route.borrow_mut().pin_request = true;
                                runner.borrow().run_pinned(pin);
                            }
                            return;
                        }
                    }
                }
            },
        );
    }
    let engine = runner.borrow().engine();
    let previous = state
        .previous
        .as_ref()
        .map(|p| p.view.config())
        .filter(|p| !same_run(p, &config) && !pins.iter().any(|pin| same_run(pin, p)))
        .map(|p| PinnedRun {
            config: *p,
            label: previous_label(p, &config),
            state: state.previous.as_ref().map(|s| (**s).clone()),
        });
    let pins = pins
        .iter()
        .enumerate()
        .map(|(i, pin)| PinnedRun {
            config: *pin,
            label: pin_label(i, pin, &config),
            state: cache.of(pin).cloned(),
        })
        .collect();
    let pending = state.gen < *requested.borrow();
    Simulation {
        pending,
        state: (*state).clone(),
        engine,
        pins,
        previous,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::wire;
    use lab_core::{Delta, Simulation as Sim};

    fn update(gen: u64, sim: &Sim) -> RunEvent {
        RunEvent::Update(wire::Result {
            gen,
            delta: Delta::since(sim, 0),
            corr: vec![0.5],
            corr_done: true,
            reused: 0,
            shards: 1,
        })
    }

    /// A new run keeps the run it replaced as its previous one (the last complete run when
    /// changes come faster than runs finish) until it is done or fails.
    #[test]
    fn the_previous_run_stays_until_the_new_one_is_done() {
        let config = Config {
            depth: 3,
            width: 8,
            batch: 4,
            ..Config::default()
        };
        let deeper = Config { depth: 5, ..config };
        let sim = Sim::run(config).unwrap();
        let s = Rc::new(RunState::new(config));
        let s = s.reduce(RunEvent::Start { gen: 1, config });
        assert!(s.previous.is_none(), "nothing before the first run");
        let s = s.reduce(update(1, &sim));
        let s = s.reduce(RunEvent::Theory {
            gen: 1,
            bundle: TheoryBundle::of(&config),
        });
        assert!(s.is_done());
        let first = s.clone();
        let s = s.reduce(RunEvent::Start {
            gen: 2,
            config: deeper,
        });
        let previous = s.previous.clone().expect("the first run stays");
        assert_eq!(*previous.view.0, *first.view.0);
        assert!(previous.previous.is_none());
        // Superseded before it had anything: the complete first run stays the previous one.
        let s = s.reduce(RunEvent::Start { gen: 3, config });
        assert_eq!(*s.previous.as_ref().unwrap().view.0, *first.view.0);
        let s = s.reduce(update(3, &sim));
        assert!(
            s.previous.is_some(),
            "still computing: the theory is missing"
        );
        let s = s.reduce(RunEvent::Theory {
            gen: 3,
            bundle: TheoryBundle::of(&config),
        });
        assert!(s.is_done() && s.previous.is_none(), "done: it goes");
        // A run superseded part-way is the previous one when no complete run precedes it.
        let s = s.reduce(RunEvent::Start {
            gen: 4,
            config: deeper,
        });
        let partial = s.reduce(update(4, &Sim::run(deeper).unwrap()));
        let s = partial.clone().reduce(RunEvent::Start { gen: 5, config });
        assert_eq!(
            *s.previous.as_ref().unwrap().view.0,
            *first.view.0,
            "gen 3's run"
        );
        let s = s.reduce(RunEvent::Failed {
            gen: 5,
            why: "stopped".into(),
        });
        assert!(s.previous.is_none(), "a failed run shows no previous one");
        let fresh = Rc::new(RunState::new(config)).reduce(RunEvent::Start { gen: 1, config });
        let s = fresh.reduce(update(1, &sim)).reduce(RunEvent::Start {
            gen: 2,
            config: deeper,
        });
        assert_eq!(
            s.previous.as_ref().unwrap().view.stats().len(),
            3,
            "an incomplete run with results"
        );
    }

    #[test]
    fn results_of_other_generations_are_dropped() {
        let config = Config {
            depth: 3,
            width: 8,
            batch: 4,
            ..Config::default()
        };
        let sim = Sim::run(config).unwrap();
        let s = Rc::new(RunState::new(config));
        let s = s.reduce(RunEvent::Start { gen: 2, config });
        let before = s.clone();
        let s = s.reduce(update(1, &sim));
        assert!(
            Rc::ptr_eq(&s, &before),
            "an older run's update changes nothing"
        );
        let s = s.reduce(RunEvent::Start { gen: 1, config });
        assert_eq!(s.gen, 2, "an older start does not reset a newer run");
        let s = s.reduce(update(2, &sim));
        assert_eq!(s.view.stats(), sim.stats());
        assert!(s.corr.done && !s.is_done(), "no theory yet");
        let s = s.reduce(RunEvent::Failed {
            gen: 1,
            why: "old".into(),
        });
        assert!(s.failed.is_none(), "an older run's failure changes nothing");
        let s = s.reduce(RunEvent::Failed {
            gen: 2,
            why: "it stopped responding".into(),
        });
        assert_eq!(s.failed.as_deref(), Some("it stopped responding"));
        assert!(!s.is_done());
        let s = s.reduce(RunEvent::Start { gen: 3, config });
        assert!(s.view.stats().is_empty() && s.theory.is_none() && s.failed.is_none());
    }
}
