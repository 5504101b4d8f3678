//! One run's work, the simulation, the correlation prediction and then the Jacobian's singular
//! values, cut into time slices. The worker and the main-thread fallback both run this loop;
//! they differ only in their [`Timing`] and in how they deliver the updates.

use crate::engine::jacobian_wire::JacobianUpdate;
use crate::engine::wire;
use lab_core::sim::{MemoryBudget, ShardReport, ShardSet};
use lab_core::theory::CorrJob;
use lab_core::{Config, ConfigError, JacobianRun, Simulation};

/// Most estimated flops of a Jacobian computed with every run: depth 100 at width 512 (with
/// orthogonal weights, whose QR is drawn again) is about 70 Gflop.
pub const JACOBIAN_MAX_FLOPS: f64 = 8e10;

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

/// In the worker: the page stays responsive anyway, but a new request waits for the slice in
/// progress to end (the Jacobian of the run before, during a depth drag): 8 ms of waiting at
/// most, for a yield (a MessageChannel message) that costs a few microseconds.
pub const WORKER: Timing = Timing {
    slice_ms: 8.0,
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
    /// The simulation, in one piece or as row 0's shard of several (the others run in the
    /// pool's other workers and report to this job).
    sim: ShardSet,
    /// Whole-batch sums to send to the other shards (each lets them go on past an exchange).
    resumes: Vec<Vec<f64>>,
    /// The shards went out of step (a bug), not yet reported.
    failure: Option<String>,
    /// Layers of this network kept from the previous run (all of them for a shallower one).
    reused: usize,
    /// Forward layers the simulation object had computed before this run continued it.
    forwarded_before: usize,
    corr: CorrJob,
    /// Layers whose samples were already sent.
    samples_sent: usize,
    last_publish: f64,
    published: bool,
    /// The update with the whole forward pass (every layer's statistics but the gradients) has
    /// gone out: it goes out as soon as the forward pass is done, since the forward panels can
    /// draw the new setting while the backward pass computes (a depth drag redraws them then).
    forward_sent: bool,
    /// The simulation's last update (done, with the correlation) has gone out.
    final_sent: bool,
    jacobian: JacobianPart,
}

/// The Jacobian of the run, computed after the simulation and the correlation prediction.
struct JacobianPart {
    run: Option<JacobianRun>,
    update: JacobianUpdate,
    /// `update` has changed since it was last taken.
    fresh: bool,
    /// A publication is due (set by the slice that decides it, like the simulation's).
    due: bool,
    /// BatchNorm: the configuration whose Jacobian starts once the simulation has the batch's
    /// statistics of every layer.
    waiting: Option<Config>,
}

impl JacobianPart {
    /// The Jacobian of `config`; with BatchNorm it waits for the simulation's statistics
    /// ([`JacobianPart::start_batch_norm`]).
    fn new(gen: u64, config: Config) -> JacobianPart {
        if config.norm == lab_core::Normalization::Batch {
            return JacobianPart {
                run: None,
                update: JacobianUpdate {
                    gen,
                    progress: 0.0,
                    done: false,
                    reason: String::new(),
                    values: Vec::new(),
                },
                fresh: false,
                due: false,
                waiting: Some(config),
            };
        }
        Self::with_stats(gen, config, None)
    }

    /// BatchNorm: starts the Jacobian with the batch's statistics of every layer, held fixed.
    fn start_batch_norm(&mut self, stats: &[lab_core::jacobian::BatchStats]) {
        if let Some(config) = self.waiting.take() {
            *self = Self::with_stats(self.update.gen, config, Some(stats));
        }
    }

    fn with_stats(
        gen: u64,
        config: Config,
        stats: Option<&[lab_core::jacobian::BatchStats]>,
    ) -> JacobianPart {
        let run = JacobianRun::new(config, stats).and_then(|run| {
            let flops = JacobianRun::estimated_flops(&config);
            if flops > JACOBIAN_MAX_FLOPS {
                Err(format!(
                    "not computed with every run: depth {} at width {} would take about {:.0} \
                     Gflop (the limit is {:.0}, depth 100 at width 512)",
                    config.depth,
                    config.width,
                    flops / 1e9,
                    JACOBIAN_MAX_FLOPS / 1e9
                ))
            } else {
                Ok(run)
            }
        });
        let (run, reason) = match run {
            Ok(run) => (Some(run), String::new()),
            Err(reason) => (None, reason),
        };
        JacobianPart {
            update: JacobianUpdate {
                gen,
                progress: if run.is_some() { 0.0 } else { 1.0 },
                done: run.is_none(),
                reason,
                values: Vec::new(),
            },
            run,
            fresh: true,
            due: false,
            waiting: None,
        }
    }

    fn is_done(&self) -> bool {
        self.update.done
    }

    fn step(&mut self, flops: f64) -> bool {
        let Some(run) = self.run.as_mut() else {
            return true;
        };
        let done = run.step(flops);
        self.update.progress = run.progress();
        if done {
            self.update.done = true;
            match run.singular_values() {
                Some(values) => self.update.values = values.to_vec(),
                None => self.update.reason = run.failure().unwrap_or("no result").to_string(),
            }
            self.run = None;
        }
        self.fresh = true;
        done
    }
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
        Job::sharded(gen, config, budget, now, 1)
    }

    /// Like [`Job::new`], the simulation split into at most `shards` row shards (fewer when
    /// the batch has fewer blocks of rows): this job computes the first and combines the
    /// others' reports ([`Job::remote_rows`] says which rows they are to compute;
    /// [`Job::apply`] takes their reports and [`Job::take_resumes`] gives what to send them).
    /// Every shard plans its memory by the whole batch's estimate within `budget`, so each
    /// uses at most what one simulation of the whole batch would.
    pub fn sharded(
        gen: u64,
        config: Config,
        budget: MemoryBudget,
        now: f64,
        shards: usize,
    ) -> Result<Job, ConfigError> {
        let sim = ShardSet::new(Simulation::with_budget(config, budget)?, shards);
        Ok(Job::of(gen, sim, 0, now))
    }

    /// The run numbered `gen` of `config` after `previous`: when `config` is the same settings
    /// at another depth with the same memory decisions (within the previous run's budget), the
    /// previous simulation continues (its layers are kept, a shallower network's cut from
    /// them, see `Simulation::extend`; the results are the same as a fresh run's); otherwise a
    /// fresh run, in at most `shards` row shards (fewer for a small network, `pool_rows`). A
    /// simulation in several shards continues only to a deeper network, once all are done, in
    /// the same shards ([`ShardSet::extend`]; the other workers are then to continue theirs,
    /// [`Job::continues_shards`]).
    pub fn after(
        previous: Option<Job>,
        gen: u64,
        config: Config,
        budget: MemoryBudget,
        now: f64,
        shards: usize,
    ) -> Result<Job, ConfigError> {
        // As many as are worth it for this network.
        let shards = lab_core::sim::pool_rows(&config, shards).len();
        let Some(previous) = previous else {
            return Job::sharded(gen, config, budget, now, shards);
        };
        // The correlation prediction of the same settings continues too (its layers depend on
        // the settings and the layer only), even when the simulation cannot.
        let corr = previous.corr.extend(&config).ok();
        let forwarded_before = previous.sim.own().layers_forwarded();
        let mut job = match previous.sim.extend(config, shards) {
            Ok(sim) => {
                let reused = sim.own().stats().len();
                let mut job = Job::of(gen, sim, reused, now);
                job.forwarded_before = forwarded_before;
                job
            }
            Err(_) => Job::sharded(gen, config, budget, now, shards)?,
        };
        if let Some(corr) = corr {
            job.corr = corr;
        }
        Ok(job)
    }

    fn of(gen: u64, sim: ShardSet, reused: usize, now: f64) -> Job {
        let config = *sim.config();
        Job {
            gen,
            corr: CorrJob::new(sim.config()),
            sim,
            resumes: Vec::new(),
            failure: None,
            reused,
            forwarded_before: 0,
            samples_sent: 0,
            last_publish: now,
            published: false,
            forward_sent: false,
            final_sent: false,
            jacobian: JacobianPart::new(gen, config),
        }
    }

    /// Leaves the Jacobian out (a pinned run, whose Jacobian the page never shows): the run is
    /// done with its simulation and correlation prediction, and sends no Jacobian.
    pub fn skip_jacobian(&mut self) {
        let part = &mut self.jacobian;
        part.run = None;
        part.waiting = None;
        part.fresh = false;
        part.update.done = true;
        part.update.progress = 1.0;
        part.update.reason = "not computed for a pinned run".to_string();
    }

    /// The run's number.
    pub fn gen(&self) -> u64 {
        self.gen
    }

    /// Whether this run continues the previous run's shards (the other workers are to continue
    /// theirs rather than start afresh).
    pub fn continues_shards(&self) -> bool {
        self.reused > 0 && self.sim.shards() > 1
    }

    /// The rows of the other shards (shard 1, 2, ...), for the pool's other workers.
    pub fn remote_rows(&self) -> &[std::ops::Range<usize>] {
        self.sim.remote_rows()
    }

    /// Takes in shard `shard`'s report (1-based among the others); an error for a report
    /// that does not fit (a bug).
    pub fn apply(&mut self, shard: usize, report: ShardReport) -> Result<(), String> {
        self.sim.apply(shard, report)?;
        self.exchange();
        Ok(())
    }

    /// When every shard waits at a whole-batch sum: row 0's shard goes on, the sums wait in
    /// [`Job::take_resumes`] for the others.
    fn exchange(&mut self) {
        match self.sim.exchange() {
            Ok(Some(sums)) => self.resumes.push(sums),
            Ok(None) => {}
            Err(e) => self.failure = Some(e),
        }
    }

    /// The whole-batch sums to send to the other shards, in order.
    pub fn take_resumes(&mut self) -> Vec<Vec<f64>> {
        std::mem::take(&mut self.resumes)
    }

    /// Whether this job waits for the other shards (nothing to do until a report arrives).
    pub fn waits(&self) -> bool {
        self.sim.waits() && (self.sim.own().exchange().is_some() || self.corr.is_done())
    }

    /// Why the shards cannot go on (they wait at different sums: a bug), once.
    pub fn take_failure(&mut self) -> Option<String> {
        self.failure.take()
    }

    /// Forward layers this run computed itself (not kept from the previous run).
    #[cfg(test)]
    pub fn layers_computed(&self) -> usize {
        self.sim.own().layers_forwarded() - self.forwarded_before
    }

    pub fn is_done(&self) -> bool {
        self.results_done() && self.jacobian.is_done()
    }

    /// The simulation and the correlation prediction are done: the page's results are complete
    /// (the Jacobian may still be computing).
    fn results_done(&self) -> bool {
        self.sim.is_done() && self.corr.is_done()
    }

    /// The forward pass is done and its update has not gone out.
    fn forward_due(&self) -> bool {
        !self.forward_sent && self.sim.forward_done()
    }

    /// The Jacobian's state, when it changed since the last call and one is due (published
    /// with the simulation's updates, at the same pace).
    pub fn take_jacobian(&mut self) -> Option<JacobianUpdate> {
        let part = &mut self.jacobian;
        if part.due && part.fresh && (part.is_done() || self.final_sent) {
            part.due = false;
            part.fresh = false;
            Some(part.update.clone())
        } else {
            None
        }
    }

    /// Works for about `timing.slice_ms` (by the clock `now`), then returns whether the run is
    /// done and, when one is due (the first slice, every `publish_ms`, the simulation's and
    /// the correlation prediction's last), the update. The slice ends as soon as the
    /// simulation and the prediction are done, so their last update goes out at once rather
    /// than after the Jacobian's share of the slice and the publishing interval.
    pub fn slice(
        &mut self,
        timing: &Timing,
        now: &dyn Fn() -> f64,
    ) -> (bool, Option<wire::Result>) {
        let start = now();
        let mut done = self.is_done();
        let final_sent = self.final_sent;
        while !done && now() - start < timing.slice_ms {
            if !self.sim.waits() && !self.sim.is_done() {
                self.sim.step(timing.step_flops);
                self.exchange();
                if !self.resumes.is_empty() {
                    // The other shards wait for these sums: they go out now.
                    break;
                }
            } else if self.sim.own().exchange().is_some() {
                // Waits for the other shards' sums (a report starts a new slice).
                break;
            } else if !self.corr.is_done() {
                self.corr.step();
            } else if self.sim.is_done() {
                self.jacobian
                    .start_batch_norm(self.sim.own().batch_norm_stats());
                self.jacobian.step(timing.step_flops);
            } else {
                // Row 0's shard is done; the others' last reports are to come.
                break;
            }
            done = self.is_done();
            if !final_sent && (self.results_done() || self.forward_due()) {
                break;
            }
        }
        let t = now();
        let finished = !final_sent && self.results_done();
        let due = done
            || finished
            || self.forward_due()
            || !self.published
            || t - self.last_publish >= timing.publish_ms;
        if !due {
            return (done, None);
        }
        self.last_publish = t;
        self.published = true;
        self.jacobian.due = true;
        if final_sent {
            // Only the Jacobian is still being computed: its update goes out alone.
            return (done, None);
        }
        self.final_sent = self.results_done();
        self.forward_sent |= self.sim.forward_done();
        let delta = self.sim.delta_since(self.samples_sent);
        self.samples_sent = delta.stats.len();
        let update = wire::Result {
            gen: self.gen,
            delta,
            corr: self.corr.values.clone(),
            corr_done: self.corr.is_done(),
            reused: self.reused,
            shards: self.sim.shards(),
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

    /// The simulation's last update goes out in the slice that finishes it, though the
    /// Jacobian is still to come and the publishing interval has not passed.
    #[test]
    fn the_last_simulation_update_is_not_held_back() {
        let config = Config {
            depth: 20,
            width: 64,
            batch: 64,
            ..Config::default()
        };
        // A clock that barely moves: only the first update would be due by the interval.
        let t = Cell::new(0.0);
        let now = move || {
            t.set(t.get() + 1e-3);
            t.get()
        };
        let mut job = Job::new(1, config, MemoryBudget::default(), now()).unwrap();
        let mut finals = 0;
        loop {
            let sim_was_done = job.sim.is_done() && job.corr.is_done();
            let (done, update) = job.slice(&WORKER, &now);
            let finished_now = !sim_was_done && job.sim.is_done() && job.corr.is_done();
            if finished_now {
                let u = update.expect("the slice that finishes the simulation publishes it");
                assert_eq!(u.delta.phase, lab_core::RunPhase::Done);
                assert!(u.corr_done);
                assert!(!job.jacobian.is_done(), "the Jacobian is still to come");
                finals += 1;
            }
            if done {
                break;
            }
        }
        assert_eq!(finals, 1);
    }

    /// The update with the whole forward pass goes out in the slice that finishes it, before
    /// the backward pass (the forward panels draw the new setting meanwhile).
    #[test]
    fn the_forward_pass_goes_out_when_it_is_done() {
        let config = Config {
            depth: 20,
            width: 64,
            batch: 64,
            ..Config::default()
        };
        // A clock that barely moves: only the first update would be due by the interval.
        let t = Cell::new(0.0);
        let now = move || {
            t.set(t.get() + 1e-3);
            t.get()
        };
        let mut job = Job::new(1, config, MemoryBudget::default(), now()).unwrap();
        let mut forward_updates = 0;
        loop {
            let before = job.sim.forward_done();
            let (done, update) = job.slice(&WORKER, &now);
            if !before && job.sim.forward_done() {
                let u = update.expect("the slice that finishes the forward pass publishes it");
                assert_eq!(u.delta.phase, lab_core::RunPhase::Backward);
                assert_eq!(u.delta.stats.len(), 20);
                // Before the backward pass reached the first layer.
                assert!(u.delta.stats[0].grad_rms.is_nan());
                assert!(u.delta.backward_reached > 1);
                forward_updates += 1;
            }
            if done {
                break;
            }
        }
        assert_eq!(forward_updates, 1);
    }

    /// Depth 50 then 60: the second run keeps the first's 50 layers and computes 10, with the
    /// results of a fresh run at depth 60; then 40, 55 and 65 compute only the 5 layers beyond
    /// 60; another activation starts afresh.
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
        // The correlation prediction a fresh job of `config` makes.
        let fresh_corr = |config: &Config| {
            let mut corr = CorrJob::new(config);
            while !corr.step() {}
            corr.values
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
            Job::after(Some(first), 2, deeper, MemoryBudget::default(), now(), 1).unwrap();
        let mut view = SimView::new(deeper);
        assert_eq!(run_to_end(&mut second, &mut view), 50);
        assert_eq!(second.layers_computed(), 10);
        assert_eq!(view, SimView::of(&Simulation::run(deeper).unwrap()));
        assert_eq!(second.corr.values, fresh_corr(&deeper));
        // Shallower, then deeper again: no layer is forwarded again up to the 60 computed,
        // only the backward pass is redone; the results and the prediction are a fresh run's.
        let mut back = Some(second);
        for (gen, depth, reused, computed) in [(3, 40, 40, 0), (4, 55, 55, 0), (5, 65, 60, 5)] {
            let at = Config { depth, ..config };
            let mut job =
                Job::after(back.take(), gen, at, MemoryBudget::default(), now(), 1).unwrap();
            let mut view = SimView::new(at);
            assert_eq!(run_to_end(&mut job, &mut view), reused, "depth {depth}");
            assert_eq!(job.layers_computed(), computed, "depth {depth}");
            assert_eq!(view, SimView::of(&Simulation::run(at).unwrap()), "{depth}");
            assert_eq!(job.corr.values, fresh_corr(&at), "depth {depth}");
            back = Some(job);
        }
        let back = back.unwrap();
        let second = back;
        let other = Config {
            activation: lab_core::Activation::new(lab_core::ActivationKind::Tanh),
            ..deeper
        };
        let third = Job::after(Some(second), 3, other, MemoryBudget::default(), now(), 1).unwrap();
        assert_eq!(third.layers_computed(), 0);
        assert_eq!(third.reused, 0);
    }

    /// With BatchNorm the Jacobian waits for the simulation and holds its batch statistics of
    /// every layer fixed: the singular values are those of a run given the same statistics.
    #[test]
    fn a_batch_norm_jacobian_uses_the_simulated_batch_statistics() {
        let config = Config {
            depth: 5,
            width: 16,
            batch: 8,
            norm: lab_core::Normalization::Batch,
            ..Config::default()
        };
        let now = ticking();
        let mut job = Job::new(4, config, MemoryBudget::default(), now()).unwrap();
        let mut last = None;
        loop {
            let (done, _) = job.slice(&MAIN_THREAD, &now);
            if let Some(j) = job.take_jacobian() {
                last = Some(j);
            }
            if done {
                break;
            }
        }
        let last = last.unwrap();
        assert!(last.done && last.reason.is_empty(), "{}", last.reason);
        let sim = Simulation::run(config).unwrap();
        assert_eq!(sim.batch_norm_stats().len(), 5);
        let whole = JacobianRun::run(config, Some(sim.batch_norm_stats())).unwrap();
        assert_eq!(last.values, whole.singular_values().unwrap());
        assert_eq!(last.values.len(), 16);
    }

    /// A pinned run's job leaves the Jacobian out: it is done with the slice that sends the
    /// simulation's last update, sends no Jacobian, and its results are a whole run's.
    #[test]
    fn a_pinned_run_computes_no_jacobian() {
        for norm in [
            lab_core::Normalization::None,
            lab_core::Normalization::Batch,
        ] {
            let config = Config {
                depth: 6,
                width: 24,
                batch: 4,
                norm,
                ..Config::default()
            };
            let now = ticking();
            let mut job = Job::new(5, config, MemoryBudget::default(), now()).unwrap();
            job.skip_jacobian();
            let mut view = SimView::new(config);
            loop {
                let (done, update) = job.slice(&MAIN_THREAD, &now);
                assert!(job.take_jacobian().is_none(), "no Jacobian goes out");
                let last = update
                    .as_ref()
                    .is_some_and(|u| u.delta.phase == lab_core::RunPhase::Done && u.corr_done);
                if let Some(u) = update {
                    view.apply(u.delta);
                }
                assert_eq!(done, last, "done exactly with the simulation's last update");
                if done {
                    break;
                }
            }
            assert_eq!(view, SimView::of(&Simulation::run(config).unwrap()));
        }
    }

    /// The Jacobian goes out after the simulation's last update: its progress, then its
    /// singular values (those of a run in one piece), or at once the reason it is not computed.
    #[test]
    fn the_jacobian_follows_the_simulation() {
        for (width, computed) in [(24, true), (600, false)] {
            let config = Config {
                depth: 6,
                width,
                batch: 4,
                ..Config::default()
            };
            let now = ticking();
            let mut job = Job::new(3, config, MemoryBudget::default(), now()).unwrap();
            let mut sim_done_at = None;
            let mut jacobians = Vec::new();
            for slice in 0.. {
                let (done, update) = job.slice(&MAIN_THREAD, &now);
                if let Some(u) = update {
                    assert!(sim_done_at.is_none(), "no simulation update after its last");
                    if u.delta.phase == lab_core::RunPhase::Done && u.corr_done {
                        sim_done_at = Some(slice);
                    }
                }
                if let Some(j) = job.take_jacobian() {
                    assert_eq!(j.gen, 3);
                    jacobians.push(j);
                }
                if done {
                    break;
                }
            }
            let last = jacobians.last().unwrap();
            assert!(last.done);
            assert_eq!(jacobians.iter().filter(|j| j.done).count(), 1);
            if computed {
                assert!(sim_done_at.is_some());
                let whole = JacobianRun::run(config, None).unwrap();
                assert_eq!(last.values, whole.singular_values().unwrap());
                assert!(last.reason.is_empty());
            } else {
                assert!(last.values.is_empty());
                assert!(last.reason.contains("up to width 512"), "{}", last.reason);
            }
        }
    }
}
