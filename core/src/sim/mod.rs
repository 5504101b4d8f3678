//! The simulated network: a resumable forward and backward pass with per-layer statistics.
//!
//! Forward (Config fields in parentheses): x^0 is batch x width with i.i.d. N(input_mean,
//! input_std^2) entries; for l = 1..depth, h^l = x^(l-1) W^l + b^l with W^l from the initializer
//! times the gain and b^l ~ N(0, bias_std^2) per unit; h^l is optionally normalized (BatchNorm:
//! each column over the batch; LayerNorm: each row over the width; population variance, eps
//! [`NORM_EPS`](crate::config::NORM_EPS) inside the square root, no learned affine); x^l = phi(h^l).
//!
//! Residual blocks ([`Config::arch`]): x^l = x^(l-1) + s phi(norm(x^(l-1)) W^l + b^l) with s =
//! [`Config::branch_scale`]; the normalization acts on a copy of the stream (pre-norm), the
//! stream is updated in place, and the backward pass adds the branch's share, back through that
//! normalization, to dL/dx^l. [`Simulation::extend`] continues a run to a larger depth.
//!
//! Backward: L = sum(g * x^depth) for a fixed g ~ N(0, 1) (its own random stream), and
//! delta^l = dL/dh^l where h^l is the matmul output before normalization; the normalization is
//! differentiated exactly (including the dependence of its mean and variance on h^l):
//! delta = s (dy - mean(dy) - y mean(dy y)) with y the normalized values, s the inverse std and
//! the means over the normalization group.
//!
//! Correlation pairs (the correlation panel, Poole et al. 2016): [`CORR_PAIRS`] pairs of inputs
//! with correlation c0 = `input_corr` go through the same W^l, b^l as the batch, on their own
//! [`CORR_PAIRS`] x 2 rows after the batch's statistics of layer l: h = x W^l + b^l, the same
//! normalization (LayerNorm per row; BatchNorm with the batch's column means and inverse stds of
//! layer l, inference-style, because statistics over the 2 P strongly correlated pair rows alone
//! would be distorted), then phi. [`LayerStats::pair_corr`] is the mean over pairs of the
//! cosine of the two normalized pre-activations. Pair k draws u then v, each N(0, I_width), from
//! the stream [`Stream::PairInput`] and takes x_a = s u, x_b = s (c0 u + sqrt(1 - c0^2) v) with s
//! = `input_std`: zero mean on purpose (`input_mean` is ignored), since a mean m would add
//! m^2 / (m^2 + s^2) of correlation to every pair. The pairs never touch the batch's numbers, and
//! the backward pass ignores them.
//!
//! The work is cut into bounded units (at most about 4 Mflop where possible: a block of rows of a
//! matmul, one Householder reflector, a block of rows of an elementwise or statistics pass), run
//! by [`Simulation::step`] until a flop budget is spent, so that a browser stays responsive.
//! Every sum runs in a fixed order that does not depend on how the work was sliced: the same
//! [`Config`] gives bit-identical results whatever the budgets. (The layer moments are summed row
//! by row about fixed pivots, see [`Moments`](crate::stats::Moments), so the rows per unit do not matter either.)
//!
//! Every sum over the batch's rows is also cut at fixed blocks of [`ROW_BLOCK`] rows and the
//! blocks' partials combined in block order (the moments about each block's own pivot, by the
//! parallel formula of Chan et al.), so that the batch can be split into row shards
//! ([`Simulation::into_shard`], `shard.rs`) whose combined results are bit-identical to one
//! simulation's, whatever the number of shards.
//!
//! [`Config::kernels`] picks the kernel path: the matmuls are bit-identical on both, the
//! activations and the order of the moment sums differ slightly (see [`crate::kernels::KernelPath`]).

//! Files: `plan.rs` (the work units and the up-front memory plan), `forward.rs` (the batch's
//! forward pass), `norm.rs` (BatchNorm and LayerNorm, forward and backward, for the batch and
//! the pairs), `pairs.rs` (the correlation pairs), `backward.rs` (the backward pass), `shard.rs`
//! (row shards and the combination of their partials), `pool.rs` (shards that run apart and
//! report by messages).

mod backward;
mod budget;
mod forward;
mod norm;
mod pairs;
mod plan;
mod pool;
mod shard;

use crate::config::{Config, ConfigError};
use crate::rng::{Rng, Stream};
use crate::stats::{backward_signal, forward_signal};
pub use crate::stats::{first_nonfinite, LayerStats, NonFinite, Signal};
use backward::Backward;
pub use budget::{
    MemoryBudget, MemoryChoice, MemoryEstimate, DEFAULT_BUDGET_BYTES, MIN_BUDGET_BYTES,
    OVERHEAD_BYTES,
};
use forward::{Batch, LayerAcc, LayerWeights};
use norm::NormStats;
use pairs::Pairs;
use plan::{estimate, estimate_forward, pair_input_flops, Plan, Task};
pub use pool::{pool_rows, RemoteShard, ShardReport, ShardSet, MIN_SPLIT_FLOPS};
pub use shard::{
    combine_layer, combine_shards, fold_blocks, run_shards, shard_rows, Exchange, ExchangeKind,
    LayerPart, ShardedResults, MAX_SHARDS, ROW_BLOCK,
};
use std::ops::Range;

/// Most post-activation samples kept per layer for the histograms.
pub const MAX_SAMPLES: usize = 2048;
/// Target size of one work unit, in estimated flops.
const UNIT_FLOPS: f64 = 4e6;
/// Estimated flops of one activation or derivative evaluation (exp, erf, ... in f64).
const ACTIVATION_FLOPS: f64 = 20.0;
/// Number P of input pairs propagated for [`LayerStats::pair_corr`] (2 P extra rows per layer).
pub const CORR_PAIRS: usize = 16;

named_enum! {
    /// Where a simulation is ([`Simulation::phase`]); the name is the wire format's.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum RunPhase {
        Forward = ("forward", "forward pass"),
        Backward = ("backward", "backward pass"),
        Done = ("done", "done"),
    }
}

/// The samples of `layer` (1-based) in per-layer sample lists; empty for a layer not held.
pub(crate) fn layer_samples(samples: &[Vec<f32>], layer: usize) -> &[f32] {
    layer
        .checked_sub(1)
        .and_then(|i| samples.get(i))
        .map_or(&[], Vec::as_slice)
}

/// Where the work is: the current task, layer and row, the drawing stream, progress.
#[derive(Clone, Debug)]
struct Cursor {
    task: Task,
    /// Current layer (1-based) of the forward or backward pass.
    layer: usize,
    /// Next row of the current row pass.
    row: usize,
    /// Random stream of the current row pass that draws (input or g).
    stream: Rng,
    forward_done: bool,
    /// Lowest layer whose grad_rms is known (depth + 1 before the backward pass).
    backward_reached: usize,
    flops_done: f64,
    flops_total: f64,
}

/// What the simulation has produced: one entry per forwarded layer.
#[derive(Clone, Debug, Default)]
struct Results {
    stats: Vec<LayerStats>,
    /// Non-finite entries of each forwarded layer.
    nonfinite: Vec<NonFinite>,
    samples: Vec<Vec<f32>>,
    /// Forward layers computed by this object ([`Simulation::layers_forwarded`]).
    forwarded: usize,
    /// BatchNorm: each layer's column means and inverse stds ([`Simulation::batch_norm_stats`]).
    batch_norm: Vec<(Vec<f64>, Vec<f64>)>,
    /// Each forwarded layer's per-block partials ([`Simulation::layer_parts`]).
    parts: Vec<LayerPart>,
}

/// The rule of a simulation's memory decisions: a byte budget, or float limits (tests).
#[derive(Clone, Copy, Debug)]
enum Memory {
    Budget(MemoryBudget),
    Limits(usize, usize),
}

/// A deep fully connected network simulated in bounded work units (see the module documentation).
#[derive(Clone, Debug)]
pub struct Simulation {
    config: Config,
    /// How the memory decisions were made (a deeper network continued by
    /// [`Simulation::extend`] is planned the same way).
    memory: Memory,
    plan: Plan,
    backward_skipped: Option<String>,
    cursor: Cursor,
    weights: LayerWeights,
    batch: Batch,
    /// The current layer's normalization statistics (forward, then backward).
    norm: NormStats,
    /// The current layer's moments and samples.
    acc: LayerAcc,
    pairs: Pairs,
    back: Backward,
    results: Results,
    /// The rows of the batch this simulation computes: all of them, or a shard's
    /// ([`Simulation::into_shard`]).
    rows: Range<usize>,
    /// A shard waiting for whole-batch sums: what it sent, and the task after them.
    waiting: Option<(Exchange, Task)>,
}

impl Simulation {
    /// A simulation of `config` within the default memory budget ([`MemoryBudget::default`]),
    /// not started (cheap: nothing large is allocated until [`Simulation::step`]); refused if
    /// the config is not valid ([`Config::validated`]).
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::with_budget(config, MemoryBudget::default())
    }

    /// Like [`Simulation::new`] within `budget`: weights are regenerated instead of cached, then
    /// the backward pass is skipped with a message, when the estimate ([`MemoryEstimate`]) is
    /// above it (see the `budget` module).
    pub fn with_budget(config: Config, budget: MemoryBudget) -> Result<Self, ConfigError> {
        let config = config.validated()?;
        let choice = MemoryEstimate::of(&config).choose(budget);
        let (stored, cached) = limits(&choice);
        let mut sim = Self::with_memory_limits(config, stored, cached)?;
        sim.backward_skipped = choice.skip_message(&config);
        sim.memory = Memory::Budget(budget);
        Ok(sim)
    }

    /// Like [`Simulation::new`] with limits on the floats the backward pass stores (beyond
    /// which it is skipped) and on the cached weights (beyond which they are regenerated in the
    /// backward pass) instead of a byte budget. The results never depend on the weight limit.
    /// Meant for tests.
    pub fn with_memory_limits(
        config: Config,
        max_stored_floats: usize,
        max_cached_weights: usize,
    ) -> Result<Self, ConfigError> {
        let config = config.validated()?;
        let plan = Plan::new(&config, max_stored_floats, max_cached_weights);
        Ok(Simulation {
            memory: Memory::Limits(max_stored_floats, max_cached_weights),
            backward_skipped: plan.skip_reason(&config),
            cursor: Cursor {
                task: Task::Input,
                layer: 0,
                row: 0,
                stream: Rng::stream(config.seed, Stream::Input),
                forward_done: false,
                backward_reached: config.depth + 1,
                flops_done: 0.0,
                flops_total: estimate(&config, &plan),
            },
            weights: LayerWeights::new(plan.cache_weights),
            batch: Batch::default(),
            norm: NormStats::default(),
            acc: LayerAcc::default(),
            pairs: Pairs::default(),
            back: Backward::default(),
            results: Results::default(),
            rows: 0..config.batch,
            waiting: None,
            plan,
            config,
        })
    }

    /// This simulation (not started) as the shard of the batch's `rows` ([`shard_rows`] gives
    /// them; they must be whole blocks of [`ROW_BLOCK`] rows, the last possibly cut by the
    /// batch's end): it computes the network on those rows only, and its per-layer results
    /// ([`Simulation::layer_parts`], [`Simulation::samples`], [`Simulation::output`]) are its
    /// rows' share, which [`combine_shards`] combines into bit for bit the whole batch's. With
    /// BatchNorm it stops at each whole-batch sum ([`Simulation::exchange`] and
    /// [`Simulation::resume`]). Its own [`Simulation::stats`] are those of its rows only (with
    /// the whole batch's counts), and only the shard of row 0 computes the correlation pairs.
    /// Memory decisions are the whole batch's, so that every shard makes the same. Panics
    /// (a caller's bug) on rows that are not whole blocks, or on a started simulation.
    pub fn into_shard(mut self, rows: Range<usize>) -> Self {
        let batch = self.config.batch;
        assert!(
            rows.start < rows.end
                && rows.end <= batch
                && rows.start.is_multiple_of(ROW_BLOCK)
                && (rows.end.is_multiple_of(ROW_BLOCK) || rows.end == batch),
            "shard rows {rows:?} are not whole blocks of a batch of {batch}"
        );
        assert!(
            self.cursor.task == Task::Input && self.cursor.row == 0,
            "a shard is made before the simulation starts"
        );
        let local = Config {
            batch: rows.len(),
            ..self.config
        };
        // Its rows, and the rows of x^0 and g it draws and drops.
        self.cursor.flops_total = estimate(&local, &self.plan)
            + rows.start as f64
                * plan::Task::Input.row_flops(self.config.width)
                * if self.plan.backward { 2.0 } else { 1.0 };
        self.rows = rows;
        self
    }

    /// The rows of the batch this simulation computes (all of them unless it is a shard).
    pub fn rows(&self) -> Range<usize> {
        self.rows.clone()
    }

    /// Each forwarded layer's per-block partials over this simulation's rows: the moments
    /// of h^l and x^l and the sums of delta^2 ([`combine_layer`] turns them into the layer's
    /// statistics).
    pub fn layer_parts(&self) -> &[LayerPart] {
        &self.results.parts[..self.shown()]
    }

    /// Layers of the network forwarded so far: those computed, but at most the depth (a
    /// shallower network continued by [`Simulation::extend`] holds more).
    fn shown(&self) -> usize {
        self.results.stats.len().min(self.config.depth)
    }

    /// What a shard waits for: its blocks' partial sums ([`fold_blocks`] over every shard's, in
    /// row order, gives the whole batch's sums for [`Simulation::resume`]); None when it is
    /// not waiting (a simulation of the whole batch never waits).
    pub fn exchange(&self) -> Option<&Exchange> {
        self.waiting.as_ref().map(|(e, _)| e)
    }

    /// Continues a shard waiting at [`Simulation::exchange`] with the whole batch's sums (the
    /// folded blocks of every shard); does nothing when it is not waiting.
    pub fn resume(&mut self, sums: &[f64]) {
        if let Some((exchange, next)) = self.waiting.take() {
            self.absorb(exchange.kind, sums, next);
        }
    }

    /// Whether this simulation computes the correlation pairs (the shard of row 0).
    fn runs_pairs(&self) -> bool {
        self.rows.start == 0
    }

    /// At the end of a pass that needs whole-batch sums (BatchNorm): the whole batch's are
    /// folded here and the simulation goes on to `next`; a shard waits with its partials.
    fn gather(&mut self, kind: ExchangeKind, next: Task) {
        let blocks = std::mem::take(&mut self.norm.partials);
        if self.rows == (0..self.config.batch) {
            let sums = fold_blocks(blocks.iter().map(Vec::as_slice));
            self.absorb(kind, &sums, next);
        } else {
            let exchange = Exchange {
                layer: self.cursor.layer,
                kind,
                blocks,
            };
            self.waiting = Some((exchange, next));
            self.cursor.task = Task::Wait;
        }
    }

    /// Takes the whole batch's sums of `kind` and goes on to `next`.
    fn absorb(&mut self, kind: ExchangeKind, sums: &[f64], next: Task) {
        let (n, b) = (self.config.width, self.config.batch);
        match kind {
            ExchangeKind::ColumnSums => {
                self.norm.col_sum = sums.to_vec();
                self.norm.finish_means(b);
                self.norm.col_sum2 = Vec::new();
                self.norm
                    .reset_partials(self.rows.len().div_ceil(ROW_BLOCK), n);
            }
            ExchangeKind::ColumnDeviations => {
                self.norm.col_sum2 = sums.to_vec();
                self.norm.finish_inv_stds(b);
            }
            ExchangeKind::BackwardSums => {
                let (sum, sum_y) = sums.split_at(n.min(sums.len()));
                self.norm.col_sum = sum.to_vec();
                self.norm.col_sum2 = sum_y.to_vec();
            }
        }
        self.cursor.task = next;
    }

    /// This simulation continued to `config`, a network of the same settings at another depth:
    /// the layers already forwarded are kept (each layer draws from its own seeded streams, so
    /// the first layers of a deeper network are the same), only the new layers are forwarded,
    /// and the backward pass is redone from the new last layer. The results are bit-identical
    /// to [`Simulation::run`] of `config`.
    ///
    /// A deeper network continues in any phase (forward, backward, done). A shallower one (or
    /// one no deeper than the layers forwarded so far) needs no forward pass at all: its
    /// layers are the first of those kept, which stay held (with x of the deepest, so that a
    /// deeper network continues again later), and only [`Simulation::stats`] and the other
    /// results are cut at the depth. That needs the last forward pass finished, the weights
    /// cached (the backward pass starts at a layer whose weights are no longer in memory
    /// otherwise, unless it is skipped) and the whole batch (shards are not cut; their
    /// partners keep the deeper results).
    ///
    /// Gives the simulation back unchanged (Err) when `config` differs in anything but the
    /// depth, when its branch scale or its memory decisions (weights cached, backward pass
    /// run; by the budget or limits this simulation was made with) would differ, or when a
    /// shallower network cannot be cut as above (the caller then starts afresh). A shard
    /// continues to a deeper network too, on its rows; every shard of the simulation must (they
    /// make the same decision), and only once they are all done, since a waiting shard's
    /// partners would be in another run ([`ShardSet::extend`]).
    pub fn extend(mut self, config: Config) -> Result<Self, Box<Self>> {
        let old = self.config;
        if self.waiting.is_some() {
            return Err(Box::new(self));
        }
        let same_rest = old.same_but_depth(&config);
        let config = match config.validated() {
            Ok(c)
                if same_rest && c.depth != old.depth && c.branch_scale() == old.branch_scale() =>
            {
                c
            }
            _ => return Err(Box::new(self)),
        };
        // The deeper network's memory decisions, by the rule this one was made with, must be
        // this one's.
        let (plan, skipped) = match self.memory {
            Memory::Budget(budget) => {
                let choice = MemoryEstimate::of(&config).choose(budget);
                let (stored, cached) = limits(&choice);
                (
                    Plan::new(&config, stored, cached),
                    choice.skip_message(&config),
                )
            }
            Memory::Limits(stored, cached) => {
                let plan = Plan::new(&config, stored, cached);
                (plan, plan.skip_reason(&config))
            }
        };
        if plan.backward != self.plan.backward || plan.cache_weights != self.plan.cache_weights {
            return Err(Box::new(self));
        }
        let forwarded = self.results.stats.len();
        let cut = config.depth <= forwarded
            && !(self.cursor.forward_done
                && (plan.cache_weights || !plan.backward)
                && self.rows == (0..old.batch));
        if cut {
            return Err(Box::new(self));
        }
        self.config = config;
        self.plan = plan;
        self.backward_skipped = skipped;
        self.cursor.flops_total = estimate(&config, &plan);
        if self.cursor.forward_done {
            // Back into the forward pass after the last layer done (straight to the backward
            // pass when no layer is new); the backward pass restarts.
            for s in &mut self.results.stats {
                s.grad_rms = f64::NAN;
            }
            for part in &mut self.results.parts {
                part.grad_sum2 = Vec::new();
            }
            self.cursor.forward_done = false;
            self.cursor.backward_reached = config.depth + 1;
            self.cursor.row = 0;
            self.cursor.flops_done = estimate_forward(&Config {
                depth: forwarded.min(config.depth),
                ..config
            });
            self.back.restart();
            self.norm = NormStats::default();
            self.begin_forward_layer(forwarded + 1);
        } else {
            self.cursor.backward_reached = config.depth + 1;
        }
        Ok(self)
    }

    /// BatchNorm's statistics of each forwarded layer: (column means, column inverse stds)
    /// over the batch, of h^l (or of phi(h^l) after the activation, of the stream in a residual
    /// block); empty without BatchNorm. The Jacobian of one input holds them fixed.
    pub fn batch_norm_stats(&self) -> &[(Vec<f64>, Vec<f64>)] {
        let n = self.results.batch_norm.len().min(self.config.depth);
        &self.results.batch_norm[..n]
    }

    /// Forward layers computed by this simulation object (layers kept by
    /// [`Simulation::extend`] are not computed again).
    pub fn layers_forwarded(&self) -> usize {
        self.results.forwarded
    }

    /// Runs `config` to completion (refused like [`Simulation::new`]).
    pub fn run(config: Config) -> Result<Self, ConfigError> {
        let mut sim = Simulation::new(config)?;
        while !sim.step(f64::INFINITY) {}
        Ok(sim)
    }

    /// Does whole work units until their estimated flops reach `flop_budget` (at least one unit);
    /// returns true when everything is finished. The results do not depend on the budgets.
    pub fn step(&mut self, flop_budget: f64) -> bool {
        let mut spent = 0.0;
        while !self.is_done() && self.waiting.is_none() {
            let flops = self.unit();
            spent += flops;
            self.cursor.flops_done += flops;
            if spent >= flop_budget || flop_budget.is_nan() {
                break;
            }
        }
        self.is_done()
    }

    /// Estimated flops of the whole simulation (forward, and backward unless skipped).
    /// (Within the default memory budget.)
    pub fn estimated_flops(config: &Config) -> f64 {
        let (stored, cached) = limits(&MemoryEstimate::of(config).choose(MemoryBudget::default()));
        estimate(config, &Plan::new(config, stored, cached))
    }

    /// Fraction of the estimated work done, in [0, 1].
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            1.0
        } else if self.cursor.flops_total > 0.0 {
            (self.cursor.flops_done / self.cursor.flops_total).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    pub fn is_done(&self) -> bool {
        self.cursor.task == Task::Done
    }

    /// Where the simulation is: the forward pass, the backward pass, or done.
    pub fn phase(&self) -> RunPhase {
        if self.is_done() {
            RunPhase::Done
        } else if self.cursor.forward_done {
            RunPhase::Backward
        } else {
            RunPhase::Forward
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// One entry per layer forwarded so far (index 0 is layer 1).
    pub fn stats(&self) -> &[LayerStats] {
        &self.results.stats[..self.shown()]
    }

    /// Non-finite entries of each layer forwarded so far (index 0 is layer 1); the layer's
    /// statistics are those of its finite entries.
    pub fn nonfinite(&self) -> &[NonFinite] {
        &self.results.nonfinite[..self.shown()]
    }

    /// Post-activation samples of layer `layer` (1-based): every k-th entry of x^l in row-major
    /// order, k = ceil(batch * width / 2048), non-finite values included. Empty for a layer not
    /// forwarded yet.
    pub fn samples(&self, layer: usize) -> &[f32] {
        layer_samples(&self.results.samples[..self.shown()], layer)
    }

    /// Exploded or vanished forward signal: the first layer whose post-activation second moment
    /// mean^2 + var is non-finite or above 1e30 (exploded) or below 1e-30 (vanished).
    pub fn forward_signal(&self) -> Signal {
        forward_signal(self.stats())
    }

    /// Exploded or vanished backward signal, from the last layer toward layer 1: the first layer
    /// going backward whose grad_rms^2 is non-finite or above 1e30, or below 1e-30. Healthy while
    /// no gradient is known (and when the backward pass is skipped).
    pub fn backward_signal(&self) -> Signal {
        backward_signal(
            self.stats(),
            self.config.depth,
            self.cursor.backward_reached,
        )
    }

    /// Lowest layer whose grad_rms is known (depth + 1 before the backward pass reaches the
    /// last layer).
    pub fn backward_reached(&self) -> usize {
        self.cursor.backward_reached
    }

    /// Why the backward pass is skipped, in plain language (None when it runs).
    pub fn backward_skipped(&self) -> Option<&str> {
        self.backward_skipped.as_deref()
    }

    /// x^0 (batch x width, row-major); empty until it has been drawn by the first work units.
    pub fn input(&self) -> &[f32] {
        if self.batch.input_ready {
            &self.batch.input
        } else {
            &[]
        }
    }

    /// Inputs of the [`CORR_PAIRS`] correlation pairs (2 P x width, row-major; pair k is rows 2k and
    /// 2k + 1); empty until drawn by the first work units.
    pub fn pair_input(&self) -> &[f32] {
        &self.pairs.input
    }

    /// x^depth (batch x width, row-major) once the forward pass is done; None too for a
    /// shallower network continued by [`Simulation::extend`], which holds x of the deepest.
    pub fn output(&self) -> Option<&[f32]> {
        match (self.cursor.forward_done, self.config.depth) {
            (false, _) => None,
            (true, 0) => Some(&self.batch.input),
            (true, d) if d < self.results.stats.len() => None,
            (true, _) => Some(&self.batch.x),
        }
    }

    /// Rows of the current row pass: this simulation's rows of the batch, the 2 P pair rows,
    /// or (drawing x^0 and g, whose streams run through the whole batch) the rows up to the end
    /// of this simulation's.
    fn pass_rows(&self) -> usize {
        match self.cursor.task {
            Task::Pairs => 2 * CORR_PAIRS,
            Task::Input | Task::Seed => self.rows.end,
            _ => self.rows.len(),
        }
    }

    /// Does one work unit and returns its estimated flops.
    fn unit(&mut self) -> f64 {
        let n = self.config.width;
        let task = self.cursor.task;
        let pass_rows = self.pass_rows();
        let r0 = self.cursor.row;
        let r1 = (r0 + task.rows_per_unit(n)).min(pass_rows);
        let rows = r0 * n..r1 * n;
        match task {
            Task::Done | Task::Wait => return 0.0,
            Task::Weights | Task::BackWeights => return self.weights_unit(),
            Task::Bias => return self.bias_unit(),
            Task::PairInput => {
                self.pairs.draw_input(&self.config);
                self.end_pass();
                return pair_input_flops(n);
            }
            Task::Input => self.input_rows(r0..r1),
            Task::Matmul => self.matmul_rows(rows),
            Task::BatchMean | Task::BatchVar | Task::BatchApply | Task::RowNorm => {
                self.norm_rows(task, r0, r1)
            }
            Task::Activate => self.activate_rows(rows),
            Task::PostMoments => self.post_moments_rows(rows),
            Task::Pairs => {
                let layer = self.cursor.layer;
                self.pairs
                    .rows(&self.config, layer, &self.weights, &self.norm, r0, r1)
            }
            Task::Seed => self.seed_rows(r0..r1),
            Task::BackLocal => self.back_local(r0, r1),
            Task::BackBatchApply => self.back_batch_rows(rows),
            Task::BackMatmul => self.back_matmul_rows(rows),
            Task::ResBackSums => self.residual_batch_sums(rows),
            Task::ResBackAdd => self.residual_add(r0, r1),
        }
        let flops = (r1 - r0) as f64 * task.row_flops(n);
        if r1 >= pass_rows {
            self.cursor.row = 0;
            self.end_pass();
        } else {
            self.cursor.row = r1;
        }
        flops
    }

    /// Called when the current pass (task) has finished: finalizes it and picks the next task.
    fn end_pass(&mut self) {
        match self.cursor.task {
            Task::Done | Task::Wait => {}
            Task::Seed
            | Task::BackWeights
            | Task::BackLocal
            | Task::BackBatchApply
            | Task::BackMatmul
            | Task::ResBackSums
            | Task::ResBackAdd => self.end_backward_pass(),
            _ => self.end_forward_pass(),
        }
    }

    /// Marks the simulation finished and frees the working memory. What a deeper network of
    /// the same settings would reuse ([`Simulation::extend`]) stays: x^depth of the batch and of
    /// the pairs, the cached weights and what the backward pass stored (the wasm heap held all
    /// of it at its peak anyway).
    fn finish(&mut self) {
        self.cursor.task = Task::Done;
        self.batch.h = Vec::new();
        self.batch.u = Vec::new();
        self.back.restart();
        self.norm = NormStats::default();
    }
}

/// The float limits of [`Plan::new`] that make the decisions of `choice`.
fn limits(choice: &MemoryChoice) -> (usize, usize) {
    match (choice.backward, choice.cache_weights) {
        (true, true) => (usize::MAX, usize::MAX),
        (true, false) => (usize::MAX, 0),
        (false, _) => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Activation, ActivationKind};
    use crate::config::Normalization;
    use crate::init::Initializer;

    /// The estimate is the exact sum of what the work units report, so progress ends at 1.
    #[test]
    fn work_units_add_up_to_the_estimate() {
        for (norm, arch) in Normalization::ALL.iter().flat_map(|&n| {
            [
                (n, crate::config::Arch::Plain),
                (n, crate::config::Arch::Residual),
            ]
        }) {
            for init in [Initializer::Orthogonal, Initializer::HeUniform] {
                for (stored, cached) in [(usize::MAX, usize::MAX), (usize::MAX, 0), (0, 0)] {
                    let config = Config {
                        activation: Activation::new(ActivationKind::Gelu),
                        init,
                        depth: 5,
                        width: 24,
                        batch: 7,
                        norm,
                        arch,
                        ..Config::default()
                    };
                    let mut sim = Simulation::with_memory_limits(config, stored, cached).unwrap();
                    let mut largest = 0.0f64;
                    while !sim.is_done() {
                        let before = sim.cursor.flops_done;
                        sim.step(0.0);
                        largest = largest.max(sim.cursor.flops_done - before);
                    }
                    let relative = (sim.cursor.flops_done - sim.cursor.flops_total).abs()
                        / sim.cursor.flops_total;
                    assert!(
                        relative < 1e-12,
                        "{norm:?} {init:?} {stored} {cached}: {relative}"
                    );
                    assert!(largest <= UNIT_FLOPS * 1.1);
                }
            }
        }
    }
}
