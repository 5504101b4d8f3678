//! One training run in a worker: a `lab_core::train::Trainer` advanced in time slices up to a
//! target step (play: the last step; one step; pause: where it is), and the history it has
//! recorded sent to the page as deltas ([`TrainUpdate`], encoded by codec.rs).

use crate::engine::job::Timing;
use lab_core::sim::MemoryBudget;
use lab_core::train::{train_bytes, Dataset, DecisionMap, Evaluation, Settings, Trainer};

/// What a run has recorded since the last update.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainUpdate {
    /// The request this run belongs to.
    pub gen: usize,
    /// The run's index among the compared runs.
    pub run: usize,
    /// Updates done.
    pub step: usize,
    /// Examples in the training split (for the epoch count).
    pub train_size: usize,
    /// All planned steps are done, or training diverged.
    pub done: bool,
    pub diverged_at: Option<usize>,
    /// Index of `batch_loss[0]` in the run's whole list (step - 1 of its first entry).
    pub loss_from: usize,
    pub batch_loss: Vec<f64>,
    /// Index of `evals[0]` in the run's list of evaluations.
    pub evals_from: usize,
    pub evals: Vec<Evaluation>,
    /// The latest decision map, when it changed.
    pub decision: Option<DecisionMap>,
}

pub struct TrainJob {
    gen: usize,
    run: usize,
    trainer: Trainer,
    /// Train up to this step, then idle.
    target: usize,
    loss_sent: usize,
    evals_sent: usize,
    decision_sent: Option<usize>,
    last_publish: f64,
    dirty: bool,
}

/// Compared runs share a worker (as many workers as cores, at most four runs), so a run may use
/// a quarter of the memory budget.
pub const RUNS_PER_BUDGET: u64 = 4;

/// Refuses a run whose estimated memory ([`train_bytes`]) is above its share of `budget`, with
/// what it needs and what to reduce, instead of letting the worker abort out of memory.
pub fn run_memory_check(
    settings: &Settings,
    data: &Dataset,
    budget: MemoryBudget,
) -> Result<(), String> {
    let needed = train_bytes(settings, data.n, data.d, data.classes);
    let share = budget.bytes / RUNS_PER_BUDGET;
    if needed <= share {
        return Ok(());
    }
    let mb = |b: u64| (b as f64 / (1024.0 * 1024.0)).round();
    Err(format!(
        "this network needs about {} MB of memory (its parameters, gradients and optimizer state, \
         the activations of every layer for a minibatch and for the evaluations, the history), \
         more than the {} MB a run may use (a quarter of this page's memory budget of {} MB, since \
         up to four compared runs share a worker); reduce the depth, the width or the minibatch size",
        mb(needed),
        mb(share),
        mb(budget.bytes)
    ))
}

impl TrainJob {
    /// A run of `settings` on `data`, evaluated at step 0 at once; an error names what is wrong,
    /// including a run whose memory estimate is above its share of `budget`
    /// ([`run_memory_check`]).
    pub fn new(
        gen: usize,
        run: usize,
        settings: Settings,
        data: &Dataset,
        target: usize,
        budget: MemoryBudget,
    ) -> Result<TrainJob, String> {
        run_memory_check(&settings, data, budget)?;
        let mut trainer = Trainer::new(settings, data)?;
        trainer.step_n(0);
        Ok(TrainJob {
            gen,
            run,
            trainer,
            target,
            loss_sent: 0,
            evals_sent: 0,
            decision_sent: None,
            last_publish: f64::NEG_INFINITY,
            dirty: true,
        })
    }

    pub fn gen(&self) -> usize {
        self.gen
    }

    pub fn run(&self) -> usize {
        self.run
    }

    /// Trains up to `target` (clamped to the planned steps) from now on.
    pub fn set_target(&mut self, target: usize) {
        self.target = target.max(self.trainer.step());
        self.dirty = true;
    }

    pub fn step(&self) -> usize {
        self.trainer.step()
    }

    /// Nothing to do until the target changes.
    pub fn is_idle(&self) -> bool {
        self.trainer.is_done() || self.trainer.step() >= self.target
    }

    /// Trains for about `timing.slice_ms` (by the clock `now`) or until the target; returns
    /// whether it is idle now and, when one is due, the update.
    pub fn slice(&mut self, timing: &Timing, now: &dyn Fn() -> f64) -> (bool, Option<TrainUpdate>) {
        let start = now();
        while !self.is_idle() && now() - start < timing.slice_ms {
            self.trainer.step_n(1);
            self.dirty = true;
        }
        let idle = self.is_idle();
        let t = now();
        if !self.dirty || !(idle || t - self.last_publish >= timing.publish_ms) {
            return (idle, None);
        }
        self.last_publish = t;
        self.dirty = false;
        (idle, Some(self.update()))
    }

    fn update(&mut self) -> TrainUpdate {
        let h = &self.trainer.history;
        let decision = h
            .decision
            .as_ref()
            .filter(|d| Some(d.step) != self.decision_sent)
            .cloned();
        let update = TrainUpdate {
            gen: self.gen,
            run: self.run,
            step: self.trainer.step(),
            train_size: self.trainer.train.n,
            done: self.trainer.is_done(),
            diverged_at: h.diverged_at,
            loss_from: self.loss_sent,
            batch_loss: h.batch_loss[self.loss_sent..].to_vec(),
            evals_from: self.evals_sent,
            evals: h.evals[self.evals_sent..].to_vec(),
            decision,
        };
        self.loss_sent = h.batch_loss.len();
        self.evals_sent = h.evals.len();
        if let Some(d) = &update.decision {
            self.decision_sent = Some(d.step);
        }
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::WORKER;
    use lab_core::train::{generate_2d, History, Shape2d, Task};
    use std::cell::Cell;

    #[test]
    fn updates_rebuild_the_whole_history() {
        let settings = Settings {
            task: Task::TwoD {
                shape: Shape2d::Circle,
                noise: 0.1,
                data_seed: 3,
            },
            depth: 3,
            width: 8,
            steps: 40,
            eval_every: 7,
            ..Settings::default()
        };
        let data = generate_2d(Shape2d::Circle, 0.1, 3);
        let clock = Cell::new(0.0);
        let now = || {
            clock.set(clock.get() + 1.0);
            clock.get()
        };
        let mut job =
            TrainJob::new(1, 0, settings.clone(), &data, 10, MemoryBudget::default()).unwrap();
        let mut history = History::default();
        // Slices until the job idles, applying its updates as the page does; the last step.
        let run = |job: &mut TrainJob, h: &mut History| -> usize {
            let mut step = 0;
            loop {
                let (idle, u) = job.slice(&WORKER, &now);
                if let Some(u) = u {
                    assert_eq!(
                        (u.loss_from, u.evals_from),
                        (h.batch_loss.len(), h.evals.len())
                    );
                    h.batch_loss.extend(u.batch_loss);
                    h.evals.extend(u.evals);
                    h.diverged_at = u.diverged_at;
                    if u.decision.is_some() {
                        h.decision = u.decision;
                    }
                    step = u.step;
                }
                if idle {
                    return step;
                }
            }
        };
        // Up to step 10, a pause, then the rest.
        assert_eq!(run(&mut job, &mut history), 10);
        assert!(
            job.slice(&WORKER, &now).1.is_none(),
            "nothing new while paused"
        );
        job.set_target(40);
        assert_eq!(run(&mut job, &mut history), 40);
        // The same run in one go has the same history, bit for bit.
        let mut whole = Trainer::new(settings, &data).unwrap();
        whole.step_n(40);
        history.steps = whole.history.steps;
        assert_eq!(history, whole.history);
    }
}
