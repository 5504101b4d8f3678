//! The page's copy of the current run's results, held in a reducer: the runner's events are its
//! actions, each carrying the generation it belongs to, so results of a superseded run never
//! reach the panels. Props compare the results by `Rc` identity ([`Same`]).

use crate::engine::jacobian_wire::JacobianUpdate;
use crate::engine::runner::{RunEvent, Runner};
use crate::engine::CorrView;
use crate::engine::TheoryBundle;
use lab_core::{Config, SimView};
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
    /// The Jacobian's singular values (computed after the simulation), as far as known.
    pub jacobian: Same<JacobianUpdate>,
}

impl RunState {
    pub fn new(config: Config) -> RunState {
        RunState {
            gen: 0,
            view: Same(Rc::new(SimView::new(config))),
            corr: Same(Rc::new(CorrView::default())),
            theory: None,
            failed: None,
            jacobian: Same(Rc::new(JacobianUpdate::default())),
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
        match action {
            RunEvent::Start { gen, config } if gen > self.gen => Rc::new(RunState {
                gen,
                ..RunState::new(config)
            }),
            RunEvent::Update(update) if update.gen == self.gen => {
                let mut view = (*self.view).clone();
                view.apply(update.delta);
                Rc::new(RunState {
                    view: Same(Rc::new(view)),
                    corr: Same(Rc::new(CorrView {
                        values: update.corr,
                        done: update.corr_done,
                    })),
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
            _ => self,
        }
    }
}

/// What the page knows of the simulation of `config`.
pub struct Simulation {
    pub state: RunState,
    /// Where it runs: "worker" or "main-thread".
    pub engine: &'static str,
}

/// Runs `config` (again whenever it changes; the run in flight is superseded) and returns its
/// results as they arrive.
#[hook]
pub fn use_simulation(config: Config) -> Simulation {
    let state = use_reducer(|| RunState::new(config));
    let runner = {
        let dispatcher = state.dispatcher();
        use_mut_ref(move || Runner::new(Rc::new(move |event| dispatcher.dispatch(event))))
    };
    {
        let runner = runner.clone();
        use_effect_with(config, move |config| runner.borrow().run(*config));
    }
    let engine = runner.borrow().engine();
    Simulation {
        state: (*state).clone(),
        engine,
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
        })
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
