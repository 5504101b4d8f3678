//! The page's copy of the training runs' histories, held in a reducer: the workers' updates
//! are its actions, each carrying the generation it belongs to.

use crate::engine::train_job::TrainUpdate;
use crate::engine::train_runner::TrainEvent;
use crate::hooks::Same;
use lab_core::train::History;
use std::rc::Rc;
use yew::Reducible;

/// One run as far as its updates have arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub label: String,
    pub history: Same<History>,
    /// Updates done.
    pub step: usize,
    /// Examples in the training split (0 until the first update).
    pub train_size: usize,
    pub done: bool,
    /// Why the run could not start.
    pub error: Option<String>,
}

/// Whether the runs are meant to be training now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Not started for the current settings.
    Idle,
    Paused,
    Playing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainState {
    /// Generation of the request the runs belong to (0: none).
    pub gen: usize,
    pub runs: Vec<RunRecord>,
    pub mode: Mode,
    /// Planned steps per run.
    pub steps: usize,
}

impl Default for TrainState {
    fn default() -> Self {
        TrainState {
            gen: 0,
            runs: Vec::new(),
            mode: Mode::Idle,
            steps: 0,
        }
    }
}

pub enum TrainAction {
    /// New runs (labels) of request `gen`, planned for `steps` steps, in `mode`.
    Start {
        gen: usize,
        labels: Vec<String>,
        steps: usize,
        mode: Mode,
    },
    /// Back to nothing (the settings changed).
    Clear,
    Mode(Mode),
    Event(TrainEvent),
    /// Several events in their order, applied in one go (one redraw for all of them).
    Events(Vec<TrainEvent>),
}

impl TrainState {
    /// Every run has trained all its steps (or stopped).
    pub fn all_done(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(|r| r.done || r.error.is_some())
    }
}

fn apply(run: &mut RunRecord, u: TrainUpdate) {
    let mut h = (*run.history).clone();
    if u.loss_from != h.batch_loss.len() || u.evals_from != h.evals.len() {
        // Not a continuation of what is held (cannot happen in order; never misplace).
        return;
    }
    h.batch_loss.extend(u.batch_loss);
    h.evals.extend(u.evals);
    h.diverged_at = u.diverged_at;
    if u.decision.is_some() {
        h.decision = u.decision;
    }
    run.history = Same(Rc::new(h));
    run.step = u.step;
    run.train_size = u.train_size;
    run.done = u.done;
}

impl Reducible for TrainState {
    type Action = TrainAction;

    fn reduce(self: Rc<Self>, action: TrainAction) -> Rc<Self> {
        let events = match action {
            TrainAction::Events(events) => events,
            action => return self.reduce_one(action),
        };
        events
            .into_iter()
            .fold(self, |s, e| s.reduce_one(TrainAction::Event(e)))
    }
}

impl TrainState {
    /// One action that is not [`TrainAction::Events`].
    fn reduce_one(self: Rc<Self>, action: TrainAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            TrainAction::Start {
                gen,
                labels,
                steps,
                mode,
            } => {
                next = TrainState {
                    gen,
                    runs: labels
                        .into_iter()
                        .map(|label| RunRecord {
                            label,
                            history: Same(Rc::new(History {
                                steps,
                                ..History::default()
                            })),
                            step: 0,
                            train_size: 0,
                            done: false,
                            error: None,
                        })
                        .collect(),
                    mode,
                    steps,
                }
            }
            TrainAction::Clear => next = TrainState::default(),
            TrainAction::Mode(mode) => next.mode = mode,
            TrainAction::Event(TrainEvent::Update(u)) => {
                if u.gen != self.gen {
                    return self;
                }
                match next.runs.get_mut(u.run) {
                    Some(run) => apply(run, u),
                    None => return self,
                }
            }
            TrainAction::Event(TrainEvent::Error { gen, run, message }) => {
                if gen != self.gen {
                    return self;
                }
                match next.runs.get_mut(run) {
                    Some(r) => r.error = Some(message),
                    None => return self,
                }
            }
            // Split by `reduce`; an empty batch changes nothing.
            TrainAction::Events(_) => return self,
        }
        if next.all_done() && next.mode == Mode::Playing {
            next.mode = Mode::Paused;
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(gen: usize, run: usize, from: usize, losses: &[f64], done: bool) -> TrainAction {
        TrainAction::Event(TrainEvent::Update(TrainUpdate {
            gen,
            run,
            step: from + losses.len(),
            train_size: 400,
            done,
            diverged_at: None,
            loss_from: from,
            batch_loss: losses.to_vec(),
            evals_from: 0,
            evals: Vec::new(),
            decision: None,
        }))
    }

    #[test]
    fn updates_append_in_order_and_stale_ones_are_dropped() {
        let s = Rc::new(TrainState::default()).reduce(TrainAction::Start {
            gen: 2,
            labels: vec!["a".into(), "b".into()],
            steps: 4,
            mode: Mode::Playing,
        });
        let s = s.reduce(update(1, 0, 0, &[9.0], false));
        assert!(s.runs[0].history.batch_loss.is_empty(), "older request");
        let s = s.reduce(update(2, 0, 0, &[2.0, 1.5], false));
        let s = s.reduce(update(2, 0, 5, &[7.0], false));
        assert_eq!(
            s.runs[0].history.batch_loss,
            vec![2.0, 1.5],
            "a gap is not misplaced"
        );
        let s = s.reduce(update(2, 0, 2, &[1.0, 0.5], true));
        assert_eq!(s.runs[0].history.batch_loss, vec![2.0, 1.5, 1.0, 0.5]);
        assert_eq!(s.mode, Mode::Playing, "run b is still training");
        let s = s.reduce(TrainAction::Event(TrainEvent::Error {
            gen: 2,
            run: 1,
            message: "no".into(),
        }));
        assert!(s.all_done());
        assert_eq!(s.mode, Mode::Paused, "nothing left to play");
    }
}
