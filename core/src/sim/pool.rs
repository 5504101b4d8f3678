//! A simulation whose shards run in different places (the page's workers), talking by
//! messages: the shard of row 0 is the coordinator ([`ShardSet`]); each other shard runs in a
//! [`RemoteShard`] and sends [`ShardReport`]s; at each whole-batch sum (BatchNorm) the
//! coordinator folds every shard's blocks in row order and hands the sums back. The combined
//! results are those of one [`Simulation`] of the whole batch, bit for bit (`shard.rs`), and
//! do not depend on when the reports arrive.

use super::{combine_layer, fold_blocks, shard_rows, Exchange, LayerPart, Simulation};
use crate::config::Config;
use crate::stats::{LayerStats, NonFinite};
use crate::view::Delta;
use crate::RunPhase;
use std::ops::Range;

/// Least flops of a layer's forward matmul over the whole batch (2 batch width^2) for a run
/// to be split: below it, a layer is a few tens of microseconds of work, less than the
/// messages between the workers cost (a BatchNorm layer waits for three exchanges).
pub const MIN_SPLIT_FLOPS: f64 = 1e6;

/// The rows of each shard of `config`'s run on at most `workers` workers: [`shard_rows`], or
/// the whole batch in one when the network is too small to gain from splitting
/// ([`MIN_SPLIT_FLOPS`]).
pub fn pool_rows(config: &Config, workers: usize) -> Vec<Range<usize>> {
    let layer_flops = 2.0 * config.batch as f64 * (config.width as f64).powi(2);
    let workers = if layer_flops < MIN_SPLIT_FLOPS {
        1
    } else {
        workers
    };
    shard_rows(config.batch, workers)
}

/// What a shard has new since its last report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShardReport {
    /// Fraction of the shard's work done, in [0, 1].
    pub progress: f64,
    pub forward_done: bool,
    pub done: bool,
    /// Lowest layer whose gradient sums the shard has (depth + 1 before its backward pass).
    pub backward_reached: usize,
    /// Index (0-based layer) of the first entry of `parts` and of `samples`.
    pub parts_from: usize,
    /// The shard's partials of the layers forwarded since the last report, `parts_from`,
    /// `parts_from` + 1, ...
    pub parts: Vec<LayerPart>,
    /// The shard's histogram samples of the same layers.
    pub samples: Vec<Vec<f32>>,
    /// Index (0-based layer) of the first entry of `grads`.
    pub grads_from: usize,
    /// The sums of delta^2 (per block) of the layers the backward pass reached since the last
    /// report, `grads_from`, `grads_from` + 1, ... (each layer's sums are sent once: a deep
    /// network's backward pass must not resend the layers above).
    pub grads: Vec<Vec<f64>>,
    /// The whole-batch sums the shard waits for, sent once.
    pub exchange: Option<Exchange>,
}

/// A shard (not row 0's) that reports to a coordinator.
pub struct RemoteShard {
    sim: Simulation,
    /// Layers whose partials went out, and the lowest layer whose gradient sums did.
    parts_sent: usize,
    reached_sent: usize,
    exchange_sent: bool,
}

impl RemoteShard {
    /// The shard of `rows` of a simulation (not started; see [`Simulation::into_shard`]).
    pub fn new(sim: Simulation, rows: Range<usize>) -> RemoteShard {
        let reached = sim.config().depth + 1;
        RemoteShard {
            sim: sim.into_shard(rows),
            parts_sent: 0,
            reached_sent: reached,
            exchange_sent: false,
        }
    }

    /// Works until about `flops` are spent, the shard waits for sums, or it is done; true
    /// when it waits or is done (it has nothing to do until [`RemoteShard::resume`]).
    pub fn step(&mut self, flops: f64) -> bool {
        if self.sim.exchange().is_none() {
            self.sim.step(flops);
        }
        self.sim.exchange().is_some() || self.sim.is_done()
    }

    /// Continues after the whole batch's sums of the exchange the shard waits at.
    pub fn resume(&mut self, sums: &[f64]) {
        self.sim.resume(sums);
        self.exchange_sent = false;
    }

    pub fn is_done(&self) -> bool {
        self.sim.is_done()
    }

    /// The shard has forwarded every layer.
    pub fn forward_done(&self) -> bool {
        self.sim.phase() != RunPhase::Forward
    }

    /// This finished shard continued to `config`, a deeper network of the same settings (see
    /// [`Simulation::extend`]; the coordinator continues its [`ShardSet`] the same way): its
    /// layers' partials were reported, the new layers' and every layer's new gradient sums
    /// will be. Given back unchanged (Err) when it is not done or cannot continue.
    pub fn extend(self, config: Config) -> Result<RemoteShard, Box<RemoteShard>> {
        if !self.sim.is_done() {
            return Err(Box::new(self));
        }
        let RemoteShard {
            sim, parts_sent, ..
        } = self;
        match sim.extend(config) {
            Ok(sim) => Ok(RemoteShard {
                reached_sent: sim.config().depth + 1,
                sim,
                parts_sent,
                exchange_sent: false,
            }),
            Err(sim) => Err(Box::new(RemoteShard {
                reached_sent: sim.config().depth + 1,
                sim: *sim,
                parts_sent,
                exchange_sent: false,
            })),
        }
    }

    /// What is new since the last report.
    pub fn report(&mut self) -> ShardReport {
        let parts = self.sim.layer_parts();
        let reached = self.sim.backward_reached();
        let from = self.parts_sent.min(parts.len());
        // Layers reached by the backward pass since the last report have new gradient sums.
        let grads = (reached - 1).min(parts.len())..(self.reached_sent - 1).min(parts.len());
        let report = ShardReport {
            progress: self.sim.progress(),
            forward_done: self.forward_done(),
            done: self.sim.is_done(),
            backward_reached: reached,
            parts_from: from,
            parts: parts[from..].to_vec(),
            samples: (from + 1..=parts.len())
                .map(|l| self.sim.samples(l).to_vec())
                .collect(),
            grads_from: grads.start,
            grads: parts[grads].iter().map(|p| p.grad_sum2.clone()).collect(),
            exchange: match self.sim.exchange() {
                Some(e) if !self.exchange_sent => Some(e.clone()),
                _ => None,
            },
        };
        self.parts_sent = parts.len();
        self.reached_sent = reached;
        self.exchange_sent |= report.exchange.is_some();
        report
    }
}

/// What the coordinator knows of another shard: its reports so far.
#[derive(Clone, Debug, Default)]
struct Known {
    progress: f64,
    forward_done: bool,
    done: bool,
    backward_reached: usize,
    parts: Vec<LayerPart>,
    samples: Vec<Vec<f32>>,
    exchange: Option<Exchange>,
}

/// One simulation of the whole batch, computed as `1 + others` shards: row 0's here, the
/// others' (their rows in [`ShardSet::remote_rows`]) elsewhere, reporting by
/// [`ShardSet::apply`]. With no others it is a plain simulation.
pub struct ShardSet {
    own: Simulation,
    others: Vec<Known>,
    rows: Vec<Range<usize>>,
}

impl ShardSet {
    /// `sim` (not started) split into at most `shards` shards ([`shard_rows`]: fewer when the
    /// batch has fewer blocks of rows); this one computes the first. (The page asks
    /// [`pool_rows`] how many are worth it.)
    pub fn new(sim: Simulation, shards: usize) -> ShardSet {
        let rows = shard_rows(sim.config().batch, shards);
        let reached = sim.config().depth + 1;
        let own = if rows.len() > 1 {
            sim.into_shard(rows[0].clone())
        } else {
            sim
        };
        ShardSet {
            own,
            others: vec![
                Known {
                    backward_reached: reached,
                    ..Known::default()
                };
                rows.len() - 1
            ],
            rows,
        }
    }

    /// The number of shards.
    pub fn shards(&self) -> usize {
        self.rows.len()
    }

    /// The rows of the other shards, in order (shard 1, 2, ...).
    pub fn remote_rows(&self) -> &[Range<usize>] {
        &self.rows[1..]
    }

    pub fn config(&self) -> &Config {
        self.own.config()
    }

    /// The simulation of row 0's shard (the whole batch's when there is one shard). Its
    /// BatchNorm statistics are the whole batch's, and its pair correlations too.
    pub fn own(&self) -> &Simulation {
        &self.own
    }

    /// This simulation continued to `config`, the same settings at another depth, in `shards`
    /// shards ([`Simulation::extend`]; each other shard continues with [`RemoteShard::extend`]).
    /// Given back unchanged (Err) when `config`'s shards are not these, when the shards are not
    /// all done (a simulation of one shard continues in any phase), or when the simulation
    /// cannot continue (a shallower network continues only in one shard).
    pub fn extend(self, config: Config, shards: usize) -> Result<ShardSet, Box<ShardSet>> {
        let ShardSet {
            own,
            mut others,
            rows,
        } = self;
        let done = own.is_done() && others.iter().all(|k| k.done);
        if shard_rows(config.batch, shards) != rows || (rows.len() > 1 && !done) {
            return Err(Box::new(ShardSet { own, others, rows }));
        }
        match own.extend(config) {
            Ok(own) => {
                let reached = own.config().depth + 1;
                for k in &mut others {
                    *k = Known {
                        backward_reached: reached,
                        parts: std::mem::take(&mut k.parts),
                        samples: std::mem::take(&mut k.samples),
                        ..Known::default()
                    };
                    for part in &mut k.parts {
                        part.grad_sum2 = Vec::new();
                    }
                }
                Ok(ShardSet { own, others, rows })
            }
            Err(own) => Err(Box::new(ShardSet {
                own: *own,
                others,
                rows,
            })),
        }
    }

    /// Takes in shard `shard`'s (1-based among the others) report.
    pub fn apply(&mut self, shard: usize, report: ShardReport) -> Result<(), String> {
        let known = shard
            .checked_sub(1)
            .and_then(|i| self.others.get_mut(i))
            .ok_or_else(|| format!("a report from shard {shard}, which this run does not have"))?;
        let layers = report.parts_from + report.parts.len();
        if report.parts_from > known.parts.len()
            || report.samples.len() != report.parts.len()
            || report.grads_from + report.grads.len() > layers
        {
            return Err(format!("shard {shard}'s report does not continue its last"));
        }
        known.progress = report.progress;
        known.forward_done = report.forward_done;
        known.done = report.done;
        known.backward_reached = report.backward_reached;
        known.parts.truncate(report.parts_from);
        known.parts.extend(report.parts);
        known.samples.truncate(report.parts_from);
        known.samples.extend(report.samples);
        for (part, grad) in known.parts[report.grads_from..]
            .iter_mut()
            .zip(report.grads)
        {
            part.grad_sum2 = grad;
        }
        if report.exchange.is_some() {
            known.exchange = report.exchange;
        }
        Ok(())
    }

    /// Works on row 0's shard for about `flops` (nothing while it waits for the others' sums);
    /// true when every shard is done.
    pub fn step(&mut self, flops: f64) -> bool {
        if self.own.exchange().is_none() && !self.own.is_done() {
            self.own.step(flops);
        }
        self.is_done()
    }

    /// Whether row 0's shard has nothing to do until the others report (it waits at an
    /// exchange, or it is done and they are not).
    pub fn waits(&self) -> bool {
        self.own.exchange().is_some() || (self.own.is_done() && !self.is_done())
    }

    /// When every shard waits at the same exchange: the whole batch's sums (every shard's
    /// blocks folded in row order), with which row 0's shard has resumed and which the others
    /// are to be sent. An error when the shards wait at different exchanges (a bug).
    pub fn exchange(&mut self) -> Result<Option<Vec<f64>>, String> {
        let Some(own) = self.own.exchange() else {
            return Ok(None);
        };
        if self.others.iter().any(|k| k.exchange.is_none()) {
            return Ok(None);
        }
        let theirs: Vec<&Exchange> = self.others.iter().flat_map(|k| &k.exchange).collect();
        if let Some(e) = theirs
            .iter()
            .find(|e| e.layer != own.layer || e.kind != own.kind)
        {
            return Err(format!(
                "shards out of step: row 0's waits at layer {} ({:?}), another at layer {} ({:?})",
                own.layer, own.kind, e.layer, e.kind
            ));
        }
        let sums = fold_blocks(
            std::iter::once(own)
                .chain(theirs)
                .flat_map(|e| e.blocks.iter().map(Vec::as_slice)),
        );
        for k in &mut self.others {
            k.exchange = None;
        }
        self.own.resume(&sums);
        Ok(Some(sums))
    }

    pub fn is_done(&self) -> bool {
        self.own.is_done() && self.others.iter().all(|k| k.done)
    }

    /// Every shard has forwarded every layer (the forward statistics are complete).
    pub fn forward_done(&self) -> bool {
        self.own.phase() != RunPhase::Forward && self.others.iter().all(|k| k.forward_done)
    }

    /// Fraction of the work done, in [0, 1] (the shards' mean: they have nearly equal rows).
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            return 1.0;
        }
        let sum: f64 = self.others.iter().map(|k| k.progress).sum();
        (self.own.progress() + sum) / self.rows.len() as f64
    }

    /// Layers forwarded by every shard.
    fn forwarded(&self) -> usize {
        self.others
            .iter()
            .map(|k| k.parts.len())
            .fold(self.own.stats().len(), usize::min)
    }

    /// The whole batch's statistics and non-finite counts of the layers every shard has
    /// forwarded; grad_rms where every shard's backward pass has reached the layer.
    fn combined(&self) -> (Vec<LayerStats>, Vec<NonFinite>) {
        let entries = self.config().batch * self.config().width;
        (0..self.forwarded())
            .map(|l| {
                let parts: Vec<&LayerPart> = std::iter::once(&self.own.layer_parts()[l])
                    .chain(self.others.iter().map(|k| &k.parts[l]))
                    .collect();
                combine_layer(&parts, entries, self.own.stats()[l].pair_corr)
            })
            .unzip()
    }

    /// The results that a view holding `samples_seen` layers of samples lacks (as
    /// [`Delta::since`] gives for one simulation).
    pub fn delta_since(&self, samples_seen: usize) -> Delta {
        if self.others.is_empty() {
            return Delta::since(&self.own, samples_seen);
        }
        let (stats, nonfinite) = self.combined();
        let forwarded = stats.len();
        let from = samples_seen.min(forwarded);
        let backward_reached = self
            .others
            .iter()
            .map(|k| k.backward_reached)
            .fold(self.own.backward_reached(), usize::max);
        let phase = if self.is_done() {
            RunPhase::Done
        } else if self.forward_done() {
            RunPhase::Backward
        } else {
            RunPhase::Forward
        };
        Delta {
            progress: self.progress(),
            phase,
            backward_reached,
            backward_skipped: self.own.backward_skipped().map(str::to_string),
            stats,
            nonfinite,
            samples_from: from,
            samples: (from..forwarded)
                .map(|l| {
                    std::iter::once(self.own.samples(l + 1))
                        .chain(self.others.iter().map(|k| k.samples[l].as_slice()))
                        .flatten()
                        .copied()
                        .collect()
                })
                .collect(),
        }
    }
}
