//! The simulated network: a resumable forward and backward pass with per-layer statistics.
//!
//! Forward (Config fields in parentheses): x^0 is batch x width with i.i.d. N(input_mean,
//! input_std^2) entries; for l = 1..depth, h^l = x^(l-1) W^l + b^l with W^l from the initializer
//! times the gain and b^l ~ N(0, bias_std^2) per unit; h^l is optionally normalized (BatchNorm:
//! each column over the batch; LayerNorm: each row over the width; population variance, eps
//! [`NORM_EPS`] inside the square root, no learned affine); x^l = phi(h^l).
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
//! by row about fixed pivots, see [`Moments`], so the rows per unit do not matter either.)
//!
//! [`Config::kernels`] picks the kernel path: the matmuls are bit-identical on both, the
//! activations and the order of the moment sums differ slightly (see [`kernels::KernelPath`]).

use crate::config::{Config, Normalization, NORM_EPS};
use crate::init::{WeightSampler, NORMAL_FLOPS};
use crate::kernels;
use crate::rng::{Rng, Stream};
use crate::stats::{backward_signal, forward_signal, Moments};
pub use crate::stats::{LayerStats, Signal};

/// Most floats the backward pass may keep (the normalized h^l of every layer, depth x batch x
/// width): 32 Mi floats, 128 MiB.
pub const MAX_STORED_FLOATS: usize = 32 * 1024 * 1024;
/// Most weights kept for the backward pass; beyond this W^l is regenerated from its stream.
pub const MAX_CACHED_WEIGHTS: usize = 32 * 1024 * 1024;
/// Most post-activation samples kept per layer for the histograms.
pub const MAX_SAMPLES: usize = 2048;
/// Target size of one work unit, in estimated flops.
const UNIT_FLOPS: f64 = 4e6;
/// Estimated flops of one activation or derivative evaluation (exp, erf, ... in f64).
const ACTIVATION_FLOPS: f64 = 20.0;
/// Number P of input pairs propagated for [`LayerStats::pair_corr`] (2 P extra rows per layer).
pub const CORR_PAIRS: usize = 16;

/// W^l of the current layer: cached, or the one just regenerated into `weights`. (A function of
/// the fields rather than a method, so that other fields can be borrowed mutably beside it.)
fn layer_weights<'a>(
    plan: &Plan,
    cache: &'a [Vec<f32>],
    weights: &'a [f32],
    layer: usize,
) -> &'a [f32] {
    if plan.cache_weights {
        &cache[layer - 1]
    } else {
        weights
    }
}

/// The samples of `layer` (1-based) in per-layer sample lists; empty for a layer not held.
pub(crate) fn layer_samples(samples: &[Vec<f32>], layer: usize) -> &[f32] {
    layer
        .checked_sub(1)
        .and_then(|i| samples.get(i))
        .map_or(&[], Vec::as_slice)
}

/// One kind of work unit. Row passes process a block of rows of the batch per unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    /// Drawing x^0.
    Input,
    /// Sampling W^l (forward).
    Weights,
    /// Drawing b^l.
    Bias,
    /// h^l = x^(l-1) W^l + b^l.
    Matmul,
    /// BatchNorm: column sums.
    BatchMean,
    /// BatchNorm: column sums of squared deviations.
    BatchVar,
    /// BatchNorm: standardize.
    BatchApply,
    /// LayerNorm: standardize each row.
    LayerNorm,
    /// x^l = phi(h^l), the one-pass moments of h^l and x^l ([`Moments`]) and the histogram
    /// samples, in one pass over the rows.
    Activate,
    /// Drawing the correlation pairs' inputs (one unit).
    PairInput,
    /// A block of the 2 P pair rows through layer l: matmul, bias, normalization, the cosine of
    /// each completed pair and phi.
    Pairs,
    /// Drawing g.
    Seed,
    /// Regenerating W^l for the backward pass.
    BackWeights,
    /// dL/dy = dL/dx^l phi'(y) and, without BatchNorm, delta^l.
    BackLocal,
    /// BatchNorm backward: delta^l from the column sums.
    BackBatchApply,
    /// dL/dx^(l-1) = delta^l (W^l)^T.
    BackMatmul,
    Done,
}

impl Task {
    /// Estimated flops per row of the batch, for the row passes.
    fn row_flops(self, width: usize) -> f64 {
        let n = width as f64;
        match self {
            Task::Input | Task::Seed => NORMAL_FLOPS * n,
            Task::Matmul => 2.0 * n * n + n,
            Task::BackMatmul => 2.0 * n * n,
            Task::BatchMean => n,
            Task::BatchVar | Task::BatchApply => 3.0 * n,
            Task::LayerNorm | Task::BackBatchApply => 8.0 * n,
            // phi, and the shifted sum and sum of squares of h and x.
            Task::Activate => (ACTIVATION_FLOPS + 8.0) * n,
            Task::BackLocal => (ACTIVATION_FLOPS + 8.0) * n,
            // Matmul and bias, normalization (at most 8 n), cosine terms (3 n), phi.
            Task::Pairs => 2.0 * n * n + n + 8.0 * n + 3.0 * n + ACTIVATION_FLOPS * n,
            Task::Weights | Task::Bias | Task::PairInput | Task::BackWeights | Task::Done => 0.0,
        }
    }

    /// Rows per unit so that a unit stays near [`UNIT_FLOPS`] (at least one row).
    fn rows_per_unit(self, width: usize) -> usize {
        let per_row = self.row_flops(width).max(1.0);
        ((UNIT_FLOPS / per_row) as usize).max(1)
    }
}

/// Memory decisions for a config, made up front.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Floats the backward pass must store: the normalized h^l of every layer.
    stored_floats: usize,
    /// The limit on stored floats ([`MAX_STORED_FLOATS`] unless changed for tests).
    max_stored_floats: usize,
    /// Whether the stored floats fit in the limit.
    backward: bool,
    /// Whether every W^l is kept (else regenerated in the backward pass).
    cache_weights: bool,
}

impl Plan {
    fn new(config: &Config, max_stored_floats: usize, max_cached_weights: usize) -> Self {
        // The normalization's inverse stds (width or batch floats per layer) are small next to
        // batch x width and are not counted.
        let stored_floats = config
            .depth
            .saturating_mul(config.batch.saturating_mul(config.width));
        let weights = config
            .depth
            .saturating_mul(config.width.saturating_mul(config.width));
        Plan {
            stored_floats,
            max_stored_floats,
            backward: stored_floats <= max_stored_floats,
            // Weights are only needed again by the backward pass.
            cache_weights: stored_floats <= max_stored_floats && weights <= max_cached_weights,
        }
    }

    fn skip_reason(&self, config: &Config) -> Option<String> {
        if self.backward {
            return None;
        }
        let mb = self.stored_floats as f64 * 4.0 / (1024.0 * 1024.0);
        Some(format!(
            "backward pass skipped: storing {} layers of {} x {} activations needs {:.0} MB, more than the {:.0} MB \
             limit; reduce depth, width or batch",
            config.depth,
            config.batch,
            config.width,
            mb,
            self.max_stored_floats as f64 * 4.0 / (1024.0 * 1024.0)
        ))
    }
}

/// A deep fully connected network simulated in bounded work units (see the module documentation).
#[derive(Clone, Debug)]
pub struct Simulation {
    config: Config,
    plan: Plan,
    backward_skipped: Option<String>,
    task: Task,
    /// Current layer (1-based) of the forward or backward pass.
    layer: usize,
    /// Next row of the current row pass.
    row: usize,
    /// Random stream of the current row pass that draws (input or g).
    stream: Rng,
    sampler: Option<WeightSampler>,
    /// x^0, batch x width.
    input: Vec<f32>,
    input_ready: bool,
    /// Inputs of the correlation pairs, 2 P x width (pair k in rows 2k, 2k + 1); empty until drawn.
    pair_input: Vec<f32>,
    /// Post-activations of the pair rows (x^(l-1), overwritten row by row with x^l).
    pair_x: Vec<f32>,
    /// Normalized pre-activations of the pair rows at the current layer.
    pair_h: Vec<f32>,
    /// Sum of the pair cosines of the current layer, in pair order.
    pair_cos_sum: f64,
    /// x^(l-1) during the forward pass, x^depth afterwards.
    x: Vec<f32>,
    /// h^l of the current layer (normalized in place).
    h: Vec<f32>,
    /// W^l of the current layer when weights are not cached.
    weights: Vec<f32>,
    /// W^1..W^depth when cached.
    weight_cache: Vec<Vec<f32>>,
    bias: Vec<f32>,
    /// Per-column (BatchNorm) means or per-layer accumulators of the current pass.
    col_sum: Vec<f64>,
    col_sum2: Vec<f64>,
    /// Inverse standard deviations of the current layer's normalization (per column or per row).
    inv_std: Vec<f64>,
    /// Normalized h^l of every layer, for the backward pass.
    pre_store: Vec<Vec<f32>>,
    /// The normalization's inverse standard deviations of every layer.
    inv_std_store: Vec<Vec<f32>>,
    /// dL/dx^l in the backward pass.
    grad: Vec<f32>,
    /// dL/dh^l in the backward pass.
    delta: Vec<f32>,
    sum2: f64,
    /// One-pass moments of h^l and x^l of the current layer.
    pre_moments: Moments,
    post_moments: Moments,
    pre_mean: f64,
    pre_var: f64,
    post_mean: f64,
    post_var: f64,
    stats: Vec<LayerStats>,
    samples: Vec<Vec<f32>>,
    layer_samples: Vec<f32>,
    forward_done: bool,
    /// Lowest layer whose grad_rms is known (depth + 1 before the backward pass).
    backward_reached: usize,
    flops_done: f64,
    flops_total: f64,
}

impl Simulation {
    /// A simulation of `config`, not started (cheap: nothing large is allocated until
    /// [`Simulation::step`]). The caller validates the ranges of config.rs.
    pub fn new(config: Config) -> Self {
        Self::with_memory_limits(config, MAX_STORED_FLOATS, MAX_CACHED_WEIGHTS)
    }

    /// Like [`Simulation::new`] with other limits than [`MAX_STORED_FLOATS`] (beyond which the
    /// backward pass is skipped) and [`MAX_CACHED_WEIGHTS`] (beyond which weights are regenerated
    /// in the backward pass). The results never depend on the weight limit. Meant for tests.
    pub fn with_memory_limits(
        config: Config,
        max_stored_floats: usize,
        max_cached_weights: usize,
    ) -> Self {
        let plan = Plan::new(&config, max_stored_floats, max_cached_weights);
        Simulation {
            backward_skipped: plan.skip_reason(&config),
            plan,
            task: Task::Input,
            layer: 0,
            row: 0,
            stream: Rng::stream(config.seed, Stream::Input),
            sampler: None,
            input: Vec::new(),
            input_ready: false,
            pair_input: Vec::new(),
            pair_x: Vec::new(),
            pair_h: Vec::new(),
            pair_cos_sum: 0.0,
            x: Vec::new(),
            h: Vec::new(),
            weights: Vec::new(),
            weight_cache: Vec::new(),
            bias: Vec::new(),
            col_sum: Vec::new(),
            col_sum2: Vec::new(),
            inv_std: Vec::new(),
            pre_store: Vec::new(),
            inv_std_store: Vec::new(),
            grad: Vec::new(),
            delta: Vec::new(),
            sum2: 0.0,
            pre_moments: Moments::new(0.0),
            post_moments: Moments::new(0.0),
            pre_mean: 0.0,
            pre_var: 0.0,
            post_mean: 0.0,
            post_var: 0.0,
            stats: Vec::new(),
            samples: Vec::new(),
            layer_samples: Vec::new(),
            forward_done: false,
            backward_reached: config.depth + 1,
            flops_done: 0.0,
            flops_total: estimate(&config, &plan),
            config,
        }
    }

    /// Runs `config` to completion.
    pub fn run(config: Config) -> Self {
        let mut sim = Simulation::new(config);
        while !sim.step(f64::INFINITY) {}
        sim
    }

    /// Does whole work units until their estimated flops reach `flop_budget` (at least one unit);
    /// returns true when everything is finished. The results do not depend on the budgets.
    pub fn step(&mut self, flop_budget: f64) -> bool {
        let mut spent = 0.0;
        while !self.is_done() {
            let flops = self.unit();
            spent += flops;
            self.flops_done += flops;
            if spent >= flop_budget || flop_budget.is_nan() {
                break;
            }
        }
        self.is_done()
    }

    /// Estimated flops of the whole simulation (forward, and backward unless skipped).
    pub fn estimated_flops(config: &Config) -> f64 {
        estimate(
            config,
            &Plan::new(config, MAX_STORED_FLOATS, MAX_CACHED_WEIGHTS),
        )
    }

    /// Fraction of the estimated work done, in [0, 1].
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            1.0
        } else if self.flops_total > 0.0 {
            (self.flops_done / self.flops_total).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    pub fn is_done(&self) -> bool {
        self.task == Task::Done
    }

    /// "forward", "backward" or "done".
    pub fn phase(&self) -> &'static str {
        if self.is_done() {
            "done"
        } else if self.forward_done {
            "backward"
        } else {
            "forward"
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// One entry per layer forwarded so far (index 0 is layer 1).
    pub fn stats(&self) -> &[LayerStats] {
        &self.stats
    }

    /// Post-activation samples of layer `layer` (1-based): every k-th entry of x^l in row-major
    /// order, k = ceil(batch * width / 2048), non-finite values included. Empty for a layer not
    /// forwarded yet.
    pub fn samples(&self, layer: usize) -> &[f32] {
        layer_samples(&self.samples, layer)
    }

    /// Exploded or vanished forward signal: the first layer whose post-activation second moment
    /// mean^2 + var is non-finite or above 1e30 (exploded) or below 1e-30 (vanished).
    pub fn forward_signal(&self) -> Signal {
        forward_signal(&self.stats)
    }

    /// Exploded or vanished backward signal, from the last layer toward layer 1: the first layer
    /// going backward whose grad_rms^2 is non-finite or above 1e30, or below 1e-30. Healthy while
    /// no gradient is known (and when the backward pass is skipped).
    pub fn backward_signal(&self) -> Signal {
        backward_signal(&self.stats, self.config.depth, self.backward_reached)
    }

    /// Lowest layer whose grad_rms is known (depth + 1 before the backward pass reaches the
    /// last layer).
    pub fn backward_reached(&self) -> usize {
        self.backward_reached
    }

    /// Why the backward pass is skipped, in plain language (None when it runs).
    pub fn backward_skipped(&self) -> Option<&str> {
        self.backward_skipped.as_deref()
    }

    /// x^0 (batch x width, row-major); empty until it has been drawn by the first work units.
    pub fn input(&self) -> &[f32] {
        if self.input_ready {
            &self.input
        } else {
            &[]
        }
    }

    /// Inputs of the [`CORR_PAIRS`] correlation pairs (2 P x width, row-major; pair k is rows 2k and
    /// 2k + 1); empty until drawn by the first work units.
    pub fn pair_input(&self) -> &[f32] {
        &self.pair_input
    }

    /// x^depth (batch x width, row-major) once the forward pass is done.
    pub fn output(&self) -> Option<&[f32]> {
        match (self.forward_done, self.config.depth) {
            (false, _) => None,
            (true, 0) => Some(&self.input),
            (true, _) => Some(&self.x),
        }
    }

    /// Rows of the current row pass: the batch, or the 2 P pair rows.
    fn pass_rows(&self) -> usize {
        match self.task {
            Task::Pairs => 2 * CORR_PAIRS,
            _ => self.config.batch,
        }
    }

    /// Rows [start, end) of the current row pass's next unit.
    fn row_block(&self) -> (usize, usize) {
        let rows = self.task.rows_per_unit(self.config.width);
        (self.row, (self.row + rows).min(self.pass_rows()))
    }

    /// Does one work unit and returns its estimated flops.
    fn unit(&mut self) -> f64 {
        let (n, b) = (self.config.width, self.config.batch);
        let task = self.task;
        let pass_rows = self.pass_rows();
        let (r0, r1) = self.row_block();
        let rows = r0 * n..r1 * n;
        let act = self.config.activation;
        match task {
            Task::Done => return 0.0,
            Task::Input => {
                self.input.resize(b * n, 0.0);
                let (mean, std) = (
                    f64::from(self.config.input_mean),
                    f64::from(self.config.input_std),
                );
                self.stream
                    .fill_normal_f32(&mut self.input[rows], mean, std);
            }
            Task::Weights | Task::BackWeights => {
                let weights = &mut self.weights;
                let flops = self.sampler.as_mut().map_or(0.0, |s| s.step(weights));
                if self.sampler.as_ref().is_none_or(WeightSampler::is_done) {
                    self.sampler = None;
                    self.end_pass();
                }
                return flops;
            }
            Task::Bias => {
                self.bias.resize(n, 0.0);
                let mut rng = Rng::stream(self.config.seed, Stream::Biases(self.layer));
                rng.fill_normal_f32(&mut self.bias, 0.0, f64::from(self.config.bias_std));
                self.end_pass();
                return bias_flops(n);
            }
            Task::Matmul => {
                let x_prev = if self.layer == 1 {
                    &self.input
                } else {
                    &self.x
                };
                let w = layer_weights(&self.plan, &self.weight_cache, &self.weights, self.layer);
                kernels::matmul_with(
                    self.config.kernels,
                    &x_prev[rows.clone()],
                    w,
                    n,
                    n,
                    &mut self.h[rows.clone()],
                );
                for h_row in self.h[rows].chunks_exact_mut(n) {
                    for (h, &bias) in h_row.iter_mut().zip(&self.bias) {
                        *h += bias;
                    }
                }
            }
            Task::BatchMean => {
                for h_row in self.h[rows].chunks_exact(n) {
                    for (s, &h) in self.col_sum.iter_mut().zip(h_row) {
                        *s += f64::from(h);
                    }
                }
            }
            Task::BatchVar => {
                for h_row in self.h[rows].chunks_exact(n) {
                    for ((s2, &mean), &h) in self.col_sum2.iter_mut().zip(&self.col_sum).zip(h_row)
                    {
                        *s2 += (f64::from(h) - mean).powi(2);
                    }
                }
            }
            Task::BatchApply => {
                for h_row in self.h[rows].chunks_exact_mut(n) {
                    for ((h, &mean), &inv_std) in
                        h_row.iter_mut().zip(&self.col_sum).zip(&self.inv_std)
                    {
                        *h = ((f64::from(*h) - mean) * inv_std) as f32;
                    }
                }
            }
            Task::LayerNorm => {
                for (h_row, inv_std) in self.h[rows]
                    .chunks_exact_mut(n)
                    .zip(&mut self.inv_std[r0..r1])
                {
                    let (mean, var) = crate::stats::mean_var(h_row);
                    *inv_std = 1.0 / (var + NORM_EPS).sqrt();
                    for h in h_row {
                        *h = ((f64::from(*h) - mean) * *inv_std) as f32;
                    }
                }
            }
            Task::Activate => {
                let path = self.config.kernels;
                act.apply_slice_with(path, &self.h[rows.clone()], &mut self.x[rows.clone()]);
                if r0 == 0 {
                    // Pivots: the first entries of h^l and x^l (see `Moments`).
                    self.pre_moments = Moments::new(self.h[0]);
                    self.post_moments = Moments::new(self.x[0]);
                    self.layer_samples = Vec::with_capacity(MAX_SAMPLES);
                }
                // Row by row, so that the sums do not depend on the rows per unit.
                self.pre_moments.push_rows(path, &self.h[rows.clone()], n);
                self.post_moments.push_rows(path, &self.x[rows.clone()], n);
                let stride = sample_stride(b * n);
                let first = rows.start.div_ceil(stride) * stride;
                self.layer_samples
                    .extend(self.x[first.min(rows.end)..rows.end].iter().step_by(stride));
            }
            Task::PairInput => {
                self.draw_pair_input();
                self.end_pass();
                return pair_input_flops(n);
            }
            Task::Pairs => self.pair_rows(r0, r1),
            Task::Seed => {
                self.grad.resize(b * n, 0.0);
                self.stream.fill_normal_f32(&mut self.grad[rows], 0.0, 1.0);
            }
            Task::BackLocal => self.back_local(r0, r1),
            Task::BackBatchApply => {
                let y = &self.pre_store[self.layer - 1];
                let s = &self.inv_std_store[self.layer - 1];
                let count = b as f64;
                for (d_row, y_row) in self.delta[rows.clone()]
                    .chunks_exact_mut(n)
                    .zip(y[rows].chunks_exact(n))
                {
                    for j in 0..n {
                        let mean_dy = self.col_sum[j] / count;
                        let mean_dy_y = self.col_sum2[j] / count;
                        let d = f64::from(s[j])
                            * (f64::from(d_row[j]) - mean_dy - f64::from(y_row[j]) * mean_dy_y);
                        d_row[j] = d as f32;
                        self.sum2 += f64::from(d_row[j]).powi(2);
                    }
                }
            }
            Task::BackMatmul => {
                let w = layer_weights(&self.plan, &self.weight_cache, &self.weights, self.layer);
                kernels::matmul_transposed_with(
                    self.config.kernels,
                    &self.delta[rows.clone()],
                    w,
                    n,
                    n,
                    &mut self.grad[rows],
                );
            }
        }
        let flops = (r1 - r0) as f64 * task.row_flops(n);
        if r1 >= pass_rows {
            self.row = 0;
            self.end_pass();
        } else {
            self.row = r1;
        }
        flops
    }

    /// Draws the pair inputs (see the module documentation): per pair, u then v from the stream.
    fn draw_pair_input(&mut self) {
        let n = self.config.width;
        let mut rng = Rng::stream(self.config.seed, Stream::PairInput);
        // The caller validates the range; clamping keeps sqrt(1 - c0^2) real regardless.
        let c0 = f64::from(self.config.input_corr).clamp(-1.0, 1.0);
        let orthogonal = (1.0 - c0 * c0).sqrt();
        let std = f64::from(self.config.input_std);
        let mut u = vec![0.0f64; n];
        self.pair_input = vec![0.0; 2 * CORR_PAIRS * n];
        for pair in self.pair_input.chunks_exact_mut(2 * n) {
            let (x_a, x_b) = pair.split_at_mut(n);
            for (x, u) in x_a.iter_mut().zip(&mut u) {
                *u = rng.normal();
                *x = (std * *u) as f32;
            }
            for (x, &u) in x_b.iter_mut().zip(&u) {
                *x = (std * (c0 * u + orthogonal * rng.normal())) as f32;
            }
        }
    }

    /// Pair rows r0..r1 through the current layer: h = x W^l + b^l, normalized like the batch
    /// (BatchNorm with the batch's column means and inverse stds), the cosine of each pair whose
    /// second row is in the block (in pair order), then x = phi(h) in place of x^(l-1).
    fn pair_rows(&mut self, r0: usize, r1: usize) {
        let n = self.config.width;
        let rows = r0 * n..r1 * n;
        let x_prev = if self.layer == 1 {
            &self.pair_input
        } else {
            &self.pair_x
        };
        let w = layer_weights(&self.plan, &self.weight_cache, &self.weights, self.layer);
        kernels::matmul_with(
            self.config.kernels,
            &x_prev[rows.clone()],
            w,
            n,
            n,
            &mut self.pair_h[rows],
        );
        for r in r0..r1 {
            let h_row = &mut self.pair_h[r * n..(r + 1) * n];
            for (h, &bias) in h_row.iter_mut().zip(&self.bias) {
                *h += bias;
            }
            match self.config.norm {
                Normalization::None => {}
                Normalization::Batch => {
                    for ((h, &mean), &inv_std) in
                        h_row.iter_mut().zip(&self.col_sum).zip(&self.inv_std)
                    {
                        *h = ((f64::from(*h) - mean) * inv_std) as f32;
                    }
                }
                Normalization::Layer => {
                    let (mean, var) = crate::stats::mean_var(h_row);
                    let inv_std = 1.0 / (var + NORM_EPS).sqrt();
                    for h in h_row.iter_mut() {
                        *h = ((f64::from(*h) - mean) * inv_std) as f32;
                    }
                }
            }
            if r % 2 == 1 {
                let (h_a, h_b) = self.pair_h[(r - 1) * n..(r + 1) * n].split_at(n);
                self.pair_cos_sum += cosine(h_a, h_b);
            }
            self.config.activation.apply_slice_with(
                self.config.kernels,
                &self.pair_h[r * n..(r + 1) * n],
                &mut self.pair_x[r * n..(r + 1) * n],
            );
        }
    }

    /// Backward through phi (and LayerNorm) for rows r0..r1: dL/dy = dL/dx^l phi'(y) with y the
    /// stored normalized h^l; without normalization that is delta^l; LayerNorm finishes each row
    /// here; BatchNorm accumulates the column sums of dL/dy and dL/dy * y.
    fn back_local(&mut self, r0: usize, r1: usize) {
        let n = self.config.width;
        let act = self.config.activation;
        let rows = r0 * n..r1 * n;
        let y = &self.pre_store[self.layer - 1];
        act.derivative_slice_with(
            self.config.kernels,
            &y[rows.clone()],
            &mut self.delta[rows.clone()],
        );
        // One rounding of the exact product, as (g phi'(y)) in f64 rounded to f32 would give.
        for (d, &g) in self.delta[rows.clone()]
            .iter_mut()
            .zip(&self.grad[rows.clone()])
        {
            *d *= g;
        }
        match self.config.norm {
            Normalization::None => {
                for &d in &self.delta[rows] {
                    self.sum2 += f64::from(d).powi(2);
                }
            }
            Normalization::Batch => {
                for (d_row, y_row) in self.delta[rows.clone()]
                    .chunks_exact(n)
                    .zip(y[rows].chunks_exact(n))
                {
                    for j in 0..n {
                        self.col_sum[j] += f64::from(d_row[j]);
                        self.col_sum2[j] += f64::from(d_row[j]) * f64::from(y_row[j]);
                    }
                }
            }
            Normalization::Layer => {
                let s = &self.inv_std_store[self.layer - 1];
                let count = n as f64;
                for ((d_row, y_row), &inv_std) in self.delta[rows.clone()]
                    .chunks_exact_mut(n)
                    .zip(y[rows].chunks_exact(n))
                    .zip(&s[r0..r1])
                {
                    let mean_dy = d_row.iter().map(|&d| f64::from(d)).sum::<f64>() / count;
                    let mean_dy_y = d_row
                        .iter()
                        .zip(y_row)
                        .map(|(&d, &yv)| f64::from(d) * f64::from(yv))
                        .sum::<f64>()
                        / count;
                    for (d, &yv) in d_row.iter_mut().zip(y_row) {
                        let delta = f64::from(inv_std)
                            * (f64::from(*d) - mean_dy - f64::from(yv) * mean_dy_y);
                        *d = delta as f32;
                        self.sum2 += f64::from(*d).powi(2);
                    }
                }
            }
        }
    }

    /// Called when the current pass (task) has finished: finalizes it and picks the next task.
    fn end_pass(&mut self) {
        let (n, b) = (self.config.width, self.config.batch);
        let count = (b * n) as f64;
        match self.task {
            Task::Done => {}
            Task::Input => {
                self.input_ready = true;
                self.task = Task::PairInput;
            }
            Task::PairInput => {
                self.pair_x = vec![0.0; 2 * CORR_PAIRS * n];
                self.pair_h = vec![0.0; 2 * CORR_PAIRS * n];
                self.begin_forward_layer(1);
            }
            Task::Weights => {
                if self.plan.cache_weights {
                    self.weight_cache.push(std::mem::take(&mut self.weights));
                }
                self.task = Task::Bias;
            }
            Task::Bias => {
                self.h.resize(b * n, 0.0);
                self.x.resize(b * n, 0.0);
                self.task = Task::Matmul;
            }
            Task::Matmul => {
                self.task = match self.config.norm {
                    Normalization::None => Task::Activate,
                    Normalization::Batch => {
                        self.col_sum = vec![0.0; n];
                        self.col_sum2 = vec![0.0; n];
                        Task::BatchMean
                    }
                    Normalization::Layer => {
                        self.inv_std = vec![0.0; b];
                        Task::LayerNorm
                    }
                };
            }
            Task::BatchMean => {
                for s in &mut self.col_sum {
                    *s /= b as f64;
                }
                self.task = Task::BatchVar;
            }
            Task::BatchVar => {
                self.inv_std = self
                    .col_sum2
                    .iter()
                    .map(|&s2| 1.0 / (s2 / b as f64 + NORM_EPS).sqrt())
                    .collect();
                self.task = Task::BatchApply;
            }
            Task::BatchApply | Task::LayerNorm => self.task = Task::Activate,
            Task::Activate => {
                self.pre_mean = self.pre_moments.mean();
                self.pre_var = self.pre_moments.var();
                self.post_mean = self.post_moments.mean();
                self.post_var = self.post_moments.var();
                self.pair_cos_sum = 0.0;
                self.task = Task::Pairs;
            }
            Task::Pairs => self.end_forward_layer(),
            Task::Seed => self.begin_backward_layer(self.config.depth),
            Task::BackWeights => self.task = Task::BackLocal,
            Task::BackLocal if self.config.norm == Normalization::Batch => {
                self.task = Task::BackBatchApply
            }
            Task::BackLocal | Task::BackBatchApply => {
                let layer = self.layer;
                self.stats[layer - 1].grad_rms = (self.sum2 / count).sqrt();
                self.sum2 = 0.0;
                self.backward_reached = layer;
                if layer > 1 {
                    self.task = Task::BackMatmul;
                } else {
                    self.finish();
                }
            }
            Task::BackMatmul => self.begin_backward_layer(self.layer - 1),
        }
    }

    fn begin_forward_layer(&mut self, layer: usize) {
        if layer > self.config.depth {
            self.forward_done = true;
            if self.backward_skipped.is_some() || self.config.depth == 0 {
                self.finish();
            } else {
                self.stream = Rng::stream(self.config.seed, Stream::BackwardSeed);
                self.task = Task::Seed;
            }
            return;
        }
        self.layer = layer;
        self.start_sampler(layer);
        self.task = Task::Weights;
    }

    fn start_sampler(&mut self, layer: usize) {
        let n = self.config.width;
        self.weights.resize(n * n, 0.0);
        let rng = Rng::stream(self.config.seed, Stream::Weights(layer));
        self.sampler = Some(WeightSampler::new(
            self.config.init,
            n,
            n,
            f64::from(self.config.gain),
            rng,
        ));
    }

    fn end_forward_layer(&mut self) {
        self.stats.push(LayerStats {
            pre_mean: self.pre_mean,
            pre_var: self.pre_var,
            post_mean: self.post_mean,
            post_var: self.post_var,
            grad_rms: f64::NAN,
            pair_corr: self.pair_cos_sum / CORR_PAIRS as f64,
        });
        self.samples.push(std::mem::take(&mut self.layer_samples));
        if self.plan.backward {
            self.pre_store.push(std::mem::take(&mut self.h));
            let inv_std = std::mem::take(&mut self.inv_std);
            self.inv_std_store
                .push(inv_std.into_iter().map(|s| s as f32).collect());
        }
        self.begin_forward_layer(self.layer + 1);
    }

    fn begin_backward_layer(&mut self, layer: usize) {
        let n = self.config.width;
        self.layer = layer;
        self.delta.resize(self.config.batch * n, 0.0);
        if self.config.norm == Normalization::Batch {
            self.col_sum = vec![0.0; n];
            self.col_sum2 = vec![0.0; n];
        }
        // Without the cache, W^depth is still in memory from the forward pass and W^1 is not needed.
        if !self.plan.cache_weights && layer > 1 && layer < self.config.depth {
            self.start_sampler(layer);
            self.task = Task::BackWeights;
        } else {
            self.task = Task::BackLocal;
        }
    }

    /// Marks the simulation finished and frees everything the results do not need.
    fn finish(&mut self) {
        self.task = Task::Done;
        self.sampler = None;
        for buffer in [
            &mut self.h,
            &mut self.weights,
            &mut self.bias,
            &mut self.grad,
            &mut self.delta,
            &mut self.pair_x,
            &mut self.pair_h,
        ] {
            *buffer = Vec::new();
        }
        self.weight_cache = Vec::new();
        self.pre_store = Vec::new();
        self.inv_std_store = Vec::new();
        self.col_sum = Vec::new();
        self.col_sum2 = Vec::new();
        self.inv_std = Vec::new();
    }
}

/// Estimated flops of the simulation under `plan` (the sum of what the work units report).
fn estimate(config: &Config, plan: &Plan) -> f64 {
    let (n, b) = (config.width, config.batch as f64);
    let depth = config.depth as f64;
    let weights = WeightSampler::estimated_flops(config.init, n, n);
    let norm_rows = match config.norm {
        Normalization::None => 0.0,
        Normalization::Batch => {
            Task::BatchMean.row_flops(n)
                + Task::BatchVar.row_flops(n)
                + Task::BatchApply.row_flops(n)
        }
        Normalization::Layer => Task::LayerNorm.row_flops(n),
    };
    let forward_rows = Task::Matmul.row_flops(n) + norm_rows + Task::Activate.row_flops(n);
    let pair_rows = (2 * CORR_PAIRS) as f64 * Task::Pairs.row_flops(n);
    let mut total = b * Task::Input.row_flops(n)
        + pair_input_flops(n)
        + depth * (weights + bias_flops(n) + b * forward_rows + pair_rows);
    if plan.backward && config.depth > 0 {
        let local = Task::BackLocal.row_flops(n)
            + if config.norm == Normalization::Batch {
                Task::BackBatchApply.row_flops(n)
            } else {
                0.0
            };
        total += b * Task::Seed.row_flops(n) + depth * b * local;
        total += (depth - 1.0) * b * Task::BackMatmul.row_flops(n);
        if !plan.cache_weights {
            // W^depth is still in memory after the forward pass; W^1 is not needed.
            total += (depth - 2.0).max(0.0) * weights;
        }
    }
    total
}

/// Estimated flops of drawing one layer's biases.
fn bias_flops(width: usize) -> f64 {
    NORMAL_FLOPS * width as f64
}

/// Estimated flops of drawing the pair inputs: 2 P x width normals and the mixing.
fn pair_input_flops(width: usize) -> f64 {
    (2 * CORR_PAIRS * width) as f64 * (NORMAL_FLOPS + 3.0)
}

/// Uncentered cosine a.b / (|a| |b|) accumulated in f64; NaN if a value is non-finite or a vector
/// is all zero.
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    // sqrt each factor so that the product cannot overflow.
    ab / (aa.sqrt() * bb.sqrt())
}

/// k = ceil(entries / 2048): keeping every k-th entry leaves at most 2048 samples.
fn sample_stride(entries: usize) -> usize {
    entries.div_ceil(MAX_SAMPLES).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Activation, ActivationKind};
    use crate::init::Initializer;

    /// The estimate is the exact sum of what the work units report, so progress ends at 1.
    #[test]
    fn work_units_add_up_to_the_estimate() {
        for norm in Normalization::ALL {
            for init in [Initializer::Orthogonal, Initializer::HeUniform] {
                for (stored, cached) in [
                    (MAX_STORED_FLOATS, MAX_CACHED_WEIGHTS),
                    (MAX_STORED_FLOATS, 0),
                    (0, 0),
                ] {
                    let config = Config {
                        activation: Activation::new(ActivationKind::Gelu),
                        init,
                        depth: 5,
                        width: 24,
                        batch: 7,
                        norm,
                        ..Config::default()
                    };
                    let mut sim = Simulation::with_memory_limits(config, stored, cached);
                    let mut largest = 0.0f64;
                    while !sim.is_done() {
                        let before = sim.flops_done;
                        sim.step(0.0);
                        largest = largest.max(sim.flops_done - before);
                    }
                    let relative = (sim.flops_done - sim.flops_total).abs() / sim.flops_total;
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
