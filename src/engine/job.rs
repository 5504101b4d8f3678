//! One run's work, the simulation and the correlation prediction, cut into time slices. The
//! worker and the main-thread fallback both run this loop; they differ only in their
//! [`Timing`] and in how they deliver the updates.

use crate::engine::wire;
use lab_core::sim::MemoryBudget;
use lab_core::theory::CorrJob;
use lab_core::{Config, ConfigError, Delta, Simulation};

/// The correlation prediction c^1, c^2, ... received so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CorrView {
    pub values: Vec<f64>,
    pub done: bool,
}

/// How long a slice lasts and how often results go out.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Milliseconds of computation per slice before looking at new requests.
    pub slice_ms: f64,
    /// Flops requested per stepper call (the stepper bounds each unit of work).
    pub step_flops: f64,
    /// Least time between two published results (each makes the page redraw).
    pub publish_ms: f64,
}

/// In the worker: long slices, since the page stays responsive anyway.
pub const WORKER: Timing = Timing {
    slice_ms: 25.0,
    step_flops: 4.0e6,
    publish_ms: 100.0,
};

/// On the main thread (the fallback): short slices, so input is handled between them.
pub const MAIN_THREAD: Timing = Timing {
    slice_ms: 12.0,
    step_flops: 2.0e6,
    publish_ms: 120.0,
};

pub struct Job {
    gen: u64,
    sim: Simulation,
    /// Layers kept from the previous run.
    reused: usize,
    corr: CorrJob,
    /// Layers whose samples were already sent.
    samples_sent: usize,
    last_publish: f64,
    published: bool,
}

impl Job {
    /// The run numbered `gen` of `config` within the memory `budget`, started at time `now`
    /// (ms); an error for an invalid configuration.
    pub fn new(
        gen: u64,
        config: Config,
        budget: MemoryBudget,
        now: f64,
    ) -> Result<Job, ConfigError> {
        Ok(Job::of(
            gen,
            Simulation::with_budget(config, budget)?,
            0,
            now,
        ))
    }

    /// The run numbered `gen` of `config` after `previous`: when `config` is a deeper network
    /// of the same settings with the same memory decisions (within the previous run's budget),
    /// the previous simulation continues (its layers are kept, see `Simulation::extend`, the results are the
    /// same as a fresh run's); otherwise a fresh run.
    pub fn after(
        previous: Option<Job>,
        gen: u64,
        config: Config,
        budget: MemoryBudget,
        now: f64,
    ) -> Result<Job, ConfigError> {
        let Some(previous) = previous else {
            return Job::new(gen, config, budget, now);
        };
        match previous.sim.extend(config) {
            Ok(sim) => {
                let reused = sim.stats().len();
                Ok(Job::of(gen, sim, reused, now))
            }
            Err(_) => Job::new(gen, config, budget, now),
        }
    }

    fn of(gen: u64, sim: Simulation, reused: usize, now: f64) -> Job {
        Job {
            gen,
            corr: CorrJob::new(sim.config()),
            sim,
            reused,
            samples_sent: 0,
            last_publish: now,
            published: false,
        }
    }

    /// Forward layers this run computed itself (not kept from the previous run).
    #[cfg(test)]
    pub fn layers_computed(&self) -> usize {
        self.sim.layers_forwarded() - self.reused
    }

    pub fn is_done(&self) -> bool {
        self.sim.is_done() && self.corr.is_done()
    }

    /// Works for about `timing.slice_ms` (by the clock `now`), then returns whether the run is
    /// done and, when one is due (the first slice, every `publish_ms`, the last), the update.
    pub fn slice(
        &mut self,
        timing: &Timing,
        now: &dyn Fn() -> f64,
    ) -> (bool, Option<wire::Result>) {
        let start = now();
        let mut done = self.is_done();
        while !done && now() - start < timing.slice_ms {
            done = if self.sim.is_done() {
                self.corr.step()
            } else {
                self.sim.step(timing.step_flops) && self.corr.is_done()
            };
        }
        let t = now();
        let due = done || !self.published || t - self.last_publish >= timing.publish_ms;
        if !due {
            return (done, None);
        }
        self.last_publish = t;
        self.published = true;
        let delta = Delta::since(&self.sim, self.samples_sent);
        self.samples_sent = self.sim.stats().len();
        let update = wire::Result {
            gen: self.gen,
            delta,
            corr: self.corr.values.clone(),
            corr_done: self.corr.is_done(),
            reused: self.reused,
        };
        (done, Some(update))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_core::SimView;
    use std::cell::Cell;

    /// A clock that advances 1 ms each time it is read.
    fn ticking() -> impl Fn() -> f64 {
        let t = Cell::new(0.0);
        move || {
            t.set(t.get() + 1.0);
            t.get()
        }
    }

    #[test]
    fn slices_rebuild_the_whole_run_exactly() {
        let config = Config {
            depth: 12,
            width: 32,
            batch: 16,
            ..Config::default()
        };
        let now = ticking();
        let mut job = Job::new(7, config, MemoryBudget::default(), now()).unwrap();
        let mut view = SimView::new(config);
        let mut corr = CorrView::default();
        let mut updates = 0;
        loop {
            let (done, update) = job.slice(&MAIN_THREAD, &now);
            if let Some(u) = update {
                assert_eq!(u.gen, 7);
                view.apply(u.delta);
                corr = CorrView {
                    values: u.corr,
                    done: u.corr_done,
                };
                updates += 1;
            }
            if done {
                break;
            }
        }
        assert!(updates >= 2, "a first update and a last one");
        assert!(corr.done && corr.values.len() == config.depth);
        let whole = SimView::of(&Simulation::run(config).unwrap());
        assert_eq!(view, whole);
    }

    /// Depth 50 then 60: the second run keeps the first's 50 layers and computes 10, with the
    /// results of a fresh run at depth 60; another activation starts afresh.
    #[test]
    fn a_deeper_network_continues_the_previous_run() {
        let now = ticking();
        // Every update of a run applied to a fresh view of its configuration.
        let run_to_end = |job: &mut Job, view: &mut SimView| {
            let mut reused = None;
            loop {
                let (done, update) = job.slice(&MAIN_THREAD, &now);
                if let Some(u) = update {
                    reused = Some(u.reused);
                    view.apply(u.delta);
                }
                if done {
                    return reused.unwrap();
                }
            }
        };
        let config = Config {
            depth: 50,
            width: 32,
            batch: 16,
            ..Config::default()
        };
        let mut first = Job::new(1, config, MemoryBudget::default(), now()).unwrap();
        assert_eq!(run_to_end(&mut first, &mut SimView::new(config)), 0);
        assert_eq!(first.layers_computed(), 50);
        let deeper = Config {
            depth: 60,
            ..config
        };
        let mut second =
            Job::after(Some(first), 2, deeper, MemoryBudget::default(), now()).unwrap();
        let mut view = SimView::new(deeper);
        assert_eq!(run_to_end(&mut second, &mut view), 50);
        assert_eq!(second.layers_computed(), 10);
        assert_eq!(view, SimView::of(&Simulation::run(deeper).unwrap()));
        let other = Config {
            activation: lab_core::Activation::new(lab_core::ActivationKind::Tanh),
            ..deeper
        };
        let third = Job::after(Some(second), 3, other, MemoryBudget::default(), now()).unwrap();
        assert_eq!(third.layers_computed(), 0);
        assert_eq!(third.reused, 0);
    }
}
