//! The input-output Jacobian J = d x^depth / d x^0 of the simulated network for one input, and
//! its singular values (dynamical isometry: Saxe, McClelland & Ganguli 2014, arXiv 1312.6120;
//! Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep learning through
//! dynamical isometry", arXiv 1711.04735).
//!
//! **Which network.** The network of [`crate::sim`] for the same [`Config`]: the input is row 0
//! of the batch (the first `width` normals of [`Stream::Input`]), W^l and b^l are regenerated
//! from their streams exactly as the simulation draws them. The forward pass of that one row and
//! the Jacobian are computed in f64 (from the same f32 inputs, weights and biases), so x^depth
//! agrees with the simulation's f32 row 0 to f32 rounding.
//!
//! **Convention.** Rows are vectors: x^l = f_l(x^(l-1)) with the local Jacobian A^l_ij =
//! d x^l_j / d x^(l-1)_i, and J^l = J^(l-1) A^l, J^1 = A^1. Per layer (D = diag(phi'(.)), N' the
//! normalization's Jacobian at the layer's point):
//! - plain, normalization before phi (or none): h = x W + b, y = N(h), x' = phi(y):
//!   A = W N'(h) D(y);
//! - plain, normalization after phi: a = phi(h), x' = N(a): A = W D(h) N'(a);
//! - residual (pre-norm; `norm_at` does not apply): y = N(x), h = y W + b, x' = x + s phi(h):
//!   A = I + s N'(x) W D(h).
//!
//! The per-example normalizations (LayerNorm, GroupNorm per group of consecutive units, RMSNorm)
//! contribute their exact Jacobian, N'_ij = inv_std (delta_ij - 1/m - y_i y_j / m) within a group
//! of m units (RMSNorm without the 1/m term), zero across groups; it is symmetric. **BatchNorm**
//! couples the examples of the batch; here its statistics are held fixed, as at inference:
//! y_j = (h_j - mean_j) inv_std_j with the batch's column means and inverse standard deviations
//! of each layer (of the normalized quantity: h^l, phi(h^l) after the activation, or the stream
//! x^(l-1) in a residual block) given to [`JacobianRun::new`], so N' = diag(inv_std). Without
//! them the run is refused with a reason.
//!
//! **Work.** Bounded units as in [`crate::sim`]: drawing W^l (the initializer's own units), the
//! forward pass of the row with A^l (about 10 n^2 flops), a block of rows of J^(l-1) A^l (2 n^2
//! flops per row, about 4 Mflop per unit), then the SVD ([`svd`], a block of rotations per
//! unit). 100 layers of width 512 cost about 27 Gflop for the products and 3 to 5 Gflop for the
//! SVD. Widths above [`MAX_JACOBIAN_WIDTH`] are refused.
//!
//! **Accuracy.** The SVD is accurate to a few ulps of the largest singular value (and better for
//! the larger ones). The product of many layers is not: rounding in f64 adds errors of order
//! eps times the largest singular value at every layer, so singular values below
//! s_max depth width eps ([`JacobianSummary::floor`]) are not resolved, and the summary says so.

mod summary;
pub mod svd;

pub use summary::{predicted_mean_squared, JacobianSummary};
pub use svd::{singular_values, JacobiSvd};

use crate::config::{Arch, Config, Normalization, NORM_EPS};
use crate::init::WeightSampler;
use crate::rng::{Rng, Stream};

/// Widest network whose Jacobian is computed (its n x n product costs 2 n^3 flops per layer).
pub const MAX_JACOBIAN_WIDTH: usize = 512;
/// Target size of one work unit, in estimated flops.
const UNIT_FLOPS: f64 = 4e6;
/// Estimated flops of one activation or derivative evaluation in f64.
const ACTIVATION_FLOPS: f64 = 20.0;
/// Sweeps of the Jacobi SVD assumed by the progress estimate.
const ESTIMATED_SWEEPS: f64 = 8.0;

/// One layer's BatchNorm statistics: the column means and the column inverse standard
/// deviations 1 / sqrt(var + eps), width entries each.
pub type BatchStats = (Vec<f64>, Vec<f64>);

/// The normalization of one layer, as the Jacobian needs it.
#[derive(Clone, Copy, Debug)]
enum Norm<'a> {
    None,
    /// BatchNorm with fixed statistics.
    Batch(&'a BatchStats),
    /// A per-example normalization in `groups` segments, centred (LayerNorm, GroupNorm) or not
    /// (RMSNorm).
    Row {
        groups: usize,
        centre: bool,
    },
}

impl<'a> Norm<'a> {
    fn of(config: &Config, stats: Option<&'a BatchStats>) -> Norm<'a> {
        match config.norm {
            Normalization::None => Norm::None,
            Normalization::Batch => stats.map_or(Norm::None, Norm::Batch),
            Normalization::Layer => Norm::Row {
                groups: 1,
                centre: true,
            },
            Normalization::Group => Norm::Row {
                groups: config.groups.max(1),
                centre: true,
            },
            Normalization::Rms => Norm::Row {
                groups: 1,
                centre: false,
            },
        }
    }

    /// y = N(v) in f64 and the inverse std of each group (or column).
    fn forward(self, v: &[f64]) -> (Vec<f64>, Vec<f64>) {
        match self {
            Norm::None => (v.to_vec(), Vec::new()),
            Norm::Batch((mean, inv)) => (
                v.iter()
                    .zip(mean)
                    .zip(inv)
                    .map(|((v, m), s)| (v - m) * s)
                    .collect(),
                inv.clone(),
            ),
            Norm::Row { groups, centre } => {
                let m = v.len() / groups;
                let mut y = Vec::with_capacity(v.len());
                let mut inv = Vec::with_capacity(groups);
                for seg in v.chunks_exact(m) {
                    let mean = if centre {
                        seg.iter().sum::<f64>() / m as f64
                    } else {
                        0.0
                    };
                    let second = seg.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / m as f64;
                    let s = 1.0 / (second + NORM_EPS).sqrt();
                    y.extend(seg.iter().map(|x| (x - mean) * s));
                    inv.push(s);
                }
                (y, inv)
            }
        }
    }

    /// u <- u N' (equally N' u: N' is symmetric) at the point with normalized values `y` and
    /// inverse stds `inv`.
    fn apply(self, y: &[f64], inv: &[f64], u: &mut [f64]) {
        match self {
            Norm::None => {}
            Norm::Batch(_) => u.iter_mut().zip(inv).for_each(|(u, s)| *u *= s),
            Norm::Row { groups, centre } => {
                let m = u.len() / groups;
                for ((seg, ys), &s) in u.chunks_exact_mut(m).zip(y.chunks_exact(m)).zip(inv) {
                    let mean = if centre {
                        seg.iter().sum::<f64>() / m as f64
                    } else {
                        0.0
                    };
                    let mean_uy = seg.iter().zip(ys).map(|(u, y)| u * y).sum::<f64>() / m as f64;
                    for (u, y) in seg.iter_mut().zip(ys) {
                        *u = s * (*u - mean - y * mean_uy);
                    }
                }
            }
        }
    }

    /// N' W for a width x width `w` (row-major), in place: row i of the result is
    /// sum_k N'_ik W_k.
    fn apply_to_rows(self, y: &[f64], inv: &[f64], w: &mut [f64], n: usize) {
        match self {
            Norm::None => {}
            Norm::Batch(_) => {
                for (row, s) in w.chunks_exact_mut(n).zip(inv) {
                    row.iter_mut().for_each(|v| *v *= s);
                }
            }
            Norm::Row { groups, centre } => {
                let m = n / groups;
                for (g, &s) in inv.iter().enumerate() {
                    let block = &mut w[g * m * n..(g + 1) * m * n];
                    let ys = &y[g * m..(g + 1) * m];
                    let mut mean = vec![0.0; n];
                    let mut mean_y = vec![0.0; n];
                    for (row, &yk) in block.chunks_exact(n).zip(ys) {
                        for ((a, b), &v) in mean.iter_mut().zip(mean_y.iter_mut()).zip(row) {
                            *a += v;
                            *b += yk * v;
                        }
                    }
                    let inv_m = 1.0 / m as f64;
                    for (row, &yi) in block.chunks_exact_mut(n).zip(ys) {
                        for ((v, a), b) in row.iter_mut().zip(&mean).zip(&mean_y) {
                            let centred = if centre { a * inv_m } else { 0.0 };
                            *v = s * (*v - centred - yi * b * inv_m);
                        }
                    }
                }
            }
        }
    }
}

/// x^l from x^(l-1) for one row, in f64, and optionally the local Jacobian A^l (width x width,
/// row-major) into `local` (see the module documentation).
fn layer_forward(
    config: &Config,
    w: &[f32],
    bias: &[f64],
    stats: Option<&BatchStats>,
    x: &[f64],
    local: Option<&mut [f64]>,
) -> Vec<f64> {
    let n = config.width;
    let act = &config.activation;
    let norm = Norm::of(config, stats);
    let matmul = |v: &[f64]| -> Vec<f64> {
        let mut h = bias.to_vec();
        for (&vk, w_row) in v.iter().zip(w.chunks_exact(n)) {
            if vk != 0.0 {
                for (h, &wkj) in h.iter_mut().zip(w_row) {
                    *h += vk * f64::from(wkj);
                }
            }
        }
        h
    };
    let weights_f64 = |local: &mut [f64]| {
        for (a, &v) in local.iter_mut().zip(w) {
            *a = f64::from(v);
        }
    };
    match config.arch {
        Arch::Residual => {
            let (y, inv) = norm.forward(x);
            let h = matmul(&y);
            let branch_scale = f64::from(config.res_scale);
            if let Some(local) = local {
                weights_f64(local);
                norm.apply_to_rows(&y, &inv, local, n);
                let slopes: Vec<f64> = h.iter().map(|&v| branch_scale * act.df64(v)).collect();
                for (i, row) in local.chunks_exact_mut(n).enumerate() {
                    row.iter_mut().zip(&slopes).for_each(|(a, d)| *a *= d);
                    row[i] += 1.0;
                }
            }
            x.iter()
                .zip(&h)
                .map(|(x, &h)| x + branch_scale * act.f64(h))
                .collect()
        }
        Arch::Plain if config.norm_at.is_after(config.norm) => {
            let h = matmul(x);
            let a: Vec<f64> = h.iter().map(|&v| act.f64(v)).collect();
            let (y, inv) = norm.forward(&a);
            if let Some(local) = local {
                weights_f64(local);
                let slopes: Vec<f64> = h.iter().map(|&v| act.df64(v)).collect();
                for row in local.chunks_exact_mut(n) {
                    row.iter_mut().zip(&slopes).for_each(|(a, d)| *a *= d);
                    norm.apply(&y, &inv, row);
                }
            }
            y
        }
        Arch::Plain => {
            let h = matmul(x);
            let (y, inv) = norm.forward(&h);
            if let Some(local) = local {
                weights_f64(local);
                let slopes: Vec<f64> = y.iter().map(|&v| act.df64(v)).collect();
                for row in local.chunks_exact_mut(n) {
                    norm.apply(&y, &inv, row);
                    row.iter_mut().zip(&slopes).for_each(|(a, d)| *a *= d);
                }
            }
            y.iter().map(|&v| act.f64(v)).collect()
        }
    }
}

/// Why the Jacobian of `config` cannot be computed with these BatchNorm statistics, if it
/// cannot.
fn refusal(config: &Config, batch_stats: Option<&[BatchStats]>) -> Option<String> {
    if let Err(e) = config.validated() {
        return Some(e.to_string());
    }
    let n = config.width;
    if n > MAX_JACOBIAN_WIDTH {
        return Some(format!(
            "the Jacobian is computed up to width {MAX_JACOBIAN_WIDTH} (its {n} x {n} product would \
             cost {:.0} Gflop per layer)",
            2.0 * (n as f64).powi(3) / 1e9
        ));
    }
    if config.norm == Normalization::Batch {
        let Some(stats) = batch_stats else {
            return Some(
                "BatchNorm couples the examples of the batch: the Jacobian of one input needs the \
                 batch's statistics of every layer, which were not given"
                    .to_string(),
            );
        };
        let fits = |(mean, inv): &BatchStats| {
            mean.len() == n && inv.len() == n && mean.iter().chain(inv).all(|v| v.is_finite())
        };
        if stats.len() != config.depth || !stats.iter().all(fits) {
            return Some(format!(
                "the BatchNorm statistics do not fit: {} layers given for depth {}, each needs \
                 {n} finite means and inverse stds",
                stats.len(),
                config.depth
            ));
        }
    }
    None
}

/// Row 0 of the simulation's input x^0, in f64 (the first `width` normals of its input stream).
pub fn input_row(config: &Config) -> Vec<f64> {
    let mut row = vec![0.0f32; config.width];
    Rng::stream(config.seed, Stream::Input).fill_normal_f32(
        &mut row,
        f64::from(config.input_mean),
        f64::from(config.input_std),
    );
    row.into_iter().map(f64::from).collect()
}

fn layer_bias(config: &Config, layer: usize) -> Vec<f64> {
    let mut bias = vec![0.0f32; config.width];
    Rng::stream(config.seed, Stream::Biases(layer)).fill_normal_f32(
        &mut bias,
        0.0,
        f64::from(config.bias_std),
    );
    bias.into_iter().map(f64::from).collect()
}

fn weight_sampler(config: &Config, layer: usize) -> WeightSampler {
    let n = config.width;
    WeightSampler::new(
        config.init,
        n,
        n,
        f64::from(config.gain),
        Rng::stream(config.seed, Stream::Weights(layer)),
    )
}

/// x^depth for the input row `x0` through the network of `config` (weights and biases drawn as
/// the simulation draws them), in f64: the function whose Jacobian [`JacobianRun`] computes.
/// Refused like [`JacobianRun::new`].
pub fn forward_row(
    config: &Config,
    batch_stats: Option<&[BatchStats]>,
    x0: &[f64],
) -> Result<Vec<f64>, String> {
    if let Some(reason) = refusal(config, batch_stats) {
        return Err(reason);
    }
    let n = config.width;
    if x0.len() != n {
        return Err(format!("the input has {} entries, not {n}", x0.len()));
    }
    let mut x = x0.to_vec();
    let mut w = vec![0.0f32; n * n];
    for layer in 1..=config.depth {
        let mut sampler = weight_sampler(config, layer);
        while !sampler.is_done() {
            sampler.step(&mut w);
        }
        let stats = batch_stats.map(|s| &s[layer - 1]);
        x = layer_forward(config, &w, &layer_bias(config, layer), stats, &x, None);
    }
    Ok(x)
}

/// The local Jacobians A^1, ..., A^depth (width x width each, row-major) at the points the input
/// row `x0` passes through, so that J = A^1 A^2 ... A^depth: for tests that form the product
/// another way (it keeps every layer's matrix, depth width^2 floats). Refused like
/// [`JacobianRun::new`].
pub fn local_jacobians(
    config: &Config,
    batch_stats: Option<&[BatchStats]>,
    x0: &[f64],
) -> Result<Vec<Vec<f64>>, String> {
    if let Some(reason) = refusal(config, batch_stats) {
        return Err(reason);
    }
    let n = config.width;
    let mut x = x0.to_vec();
    let mut w = vec![0.0f32; n * n];
    let mut out = Vec::with_capacity(config.depth);
    for layer in 1..=config.depth {
        let mut sampler = weight_sampler(config, layer);
        while !sampler.is_done() {
            sampler.step(&mut w);
        }
        let stats = batch_stats.map(|s| &s[layer - 1]);
        let mut local = vec![0.0; n * n];
        x = layer_forward(
            config,
            &w,
            &layer_bias(config, layer),
            stats,
            &x,
            Some(&mut local),
        );
        out.push(local);
    }
    Ok(out)
}

/// Where a [`JacobianRun`] is.
#[derive(Clone, Debug)]
enum Stage {
    /// Drawing W^layer.
    Weights(WeightSampler),
    /// The forward pass of the row through the layer, with A^layer.
    Layer,
    /// J^layer = J^(layer-1) A^layer, from row `row` on.
    Product {
        row: usize,
    },
    Svd(JacobiSvd),
    Done,
}

/// The Jacobian of one input and its singular values, computed in bounded work units (see the
/// module documentation).
#[derive(Clone, Debug)]
pub struct JacobianRun {
    config: Config,
    batch_stats: Vec<BatchStats>,
    stage: Stage,
    /// The current layer (1-based).
    layer: usize,
    /// x^(layer-1) of the row; x^depth once the forward pass is done.
    x: Vec<f64>,
    weights: Vec<f32>,
    /// A^layer.
    local: Vec<f64>,
    /// J^(layer-1), then J^depth.
    jac: Vec<f64>,
    /// J^layer while it is being computed.
    next: Vec<f64>,
    singular_values: Vec<f64>,
    svd_converged: bool,
    sweeps: usize,
    failure: Option<String>,
    flops_done: f64,
    flops_total: f64,
}

impl JacobianRun {
    /// A run for `config` (cheap: nothing large is allocated until [`JacobianRun::step`]).
    /// Refused, with the reason in plain words, for an invalid config, a width above
    /// [`MAX_JACOBIAN_WIDTH`], or BatchNorm without fitting `batch_stats` (one [`BatchStats`]
    /// per layer).
    pub fn new(config: Config, batch_stats: Option<&[BatchStats]>) -> Result<Self, String> {
        if let Some(reason) = refusal(&config, batch_stats) {
            return Err(reason);
        }
        let batch_stats = match config.norm {
            Normalization::Batch => batch_stats.map(<[BatchStats]>::to_vec).unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(JacobianRun {
            flops_total: Self::estimated_flops(&config),
            stage: Stage::Weights(weight_sampler(&config, 1)),
            layer: 1,
            x: input_row(&config),
            weights: vec![0.0; config.width * config.width],
            local: Vec::new(),
            jac: Vec::new(),
            next: Vec::new(),
            singular_values: Vec::new(),
            svd_converged: false,
            sweeps: 0,
            failure: None,
            flops_done: 0.0,
            batch_stats,
            config,
        })
    }

    /// Runs to the end (refused like [`JacobianRun::new`]).
    pub fn run(config: Config, batch_stats: Option<&[BatchStats]>) -> Result<Self, String> {
        let mut run = JacobianRun::new(config, batch_stats)?;
        while !run.step(f64::INFINITY) {}
        Ok(run)
    }

    /// Estimated flops of a whole run: the weights, the forward pass with the local Jacobians,
    /// the products and [`ESTIMATED_SWEEPS`] sweeps of the SVD.
    pub fn estimated_flops(config: &Config) -> f64 {
        let n = config.width;
        let nf = n as f64;
        let depth = config.depth as f64;
        let weights = WeightSampler::estimated_flops(config.init, n, n);
        let layer = 12.0 * nf * nf + 2.0 * ACTIVATION_FLOPS * nf;
        let products = (depth - 1.0).max(0.0) * 2.0 * nf * nf * nf;
        depth * (weights + layer) + products + ESTIMATED_SWEEPS * JacobiSvd::sweep_flops(n, n)
    }

    /// Does whole work units until their estimated flops reach `flop_budget` (at least one);
    /// returns true when finished. The results do not depend on the budgets.
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

    pub fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Fraction of the estimated work done, in [0, 1] (the SVD's sweeps are estimated, so the
    /// fraction stays below 1 until the run is done).
    pub fn progress(&self) -> f64 {
        if self.is_done() {
            1.0
        } else {
            (self.flops_done / self.flops_total).clamp(0.0, 0.99)
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The singular values of J, sorted descending (width of them), once done; None while
    /// running or after a failure.
    pub fn singular_values(&self) -> Option<&[f64]> {
        (self.is_done() && self.failure.is_none()).then_some(self.singular_values.as_slice())
    }

    /// Why the run ended without singular values (the signal overflowed f64), in plain words.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// x^depth of the row (f64) once the forward pass is done.
    pub fn output(&self) -> Option<&[f64]> {
        (self.layer > self.config.depth).then_some(self.x.as_slice())
    }

    /// J = d x^depth / d x^0 (width x width, row-major, J_ij = d x^depth_j / d x^0_i) once the
    /// products are done.
    pub fn jacobian(&self) -> Option<&[f64]> {
        (self.layer > self.config.depth && self.failure.is_none()).then_some(self.jac.as_slice())
    }

    /// Whether the SVD converged (it stops after [`svd::MAX_SWEEPS`] sweeps otherwise), and
    /// its number of sweeps.
    pub fn svd_converged(&self) -> (bool, usize) {
        (self.svd_converged, self.sweeps)
    }

    /// The summary of the singular values with the mean-field prediction, once done.
    pub fn summary(&self) -> Option<JacobianSummary> {
        self.singular_values()
            .map(|sv| JacobianSummary::new(sv, &self.config))
    }

    /// Does one work unit and returns its estimated flops.
    fn unit(&mut self) -> f64 {
        let n = self.config.width;
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => 0.0,
            Stage::Weights(mut sampler) => {
                let flops = sampler.step(&mut self.weights);
                self.stage = if sampler.is_done() {
                    Stage::Layer
                } else {
                    Stage::Weights(sampler)
                };
                flops
            }
            Stage::Layer => {
                let layer = self.layer;
                self.local.resize(n * n, 0.0);
                let stats = self.batch_stats.get(layer - 1);
                self.x = layer_forward(
                    &self.config,
                    &self.weights,
                    &layer_bias(&self.config, layer),
                    stats,
                    &self.x,
                    Some(&mut self.local),
                );
                let finite = self.x.iter().chain(&self.local).all(|v| v.is_finite());
                if !finite {
                    self.fail(format!(
                        "the signal overflowed f64 in layer {layer}: no Jacobian"
                    ));
                } else if layer == 1 {
                    std::mem::swap(&mut self.jac, &mut self.local);
                    self.next_layer();
                } else {
                    self.next.resize(n * n, 0.0);
                    self.stage = Stage::Product { row: 0 };
                }
                12.0 * (n * n) as f64 + 2.0 * ACTIVATION_FLOPS * n as f64
            }
            Stage::Product { row } => {
                let rows = ((UNIT_FLOPS / (2.0 * (n * n) as f64)) as usize).max(1);
                let end = (row + rows).min(n);
                // Each row of A^l is read once per block of rows (it stays in cache while the
                // block's rows use it); every entry still sums over k in increasing order, so
                // the result does not depend on the block size.
                let out = &mut self.next[row * n..end * n];
                out.fill(0.0);
                for (k, local_row) in self.local.chunks_exact(n).enumerate() {
                    for (r, out_row) in (row..end).zip(out.chunks_exact_mut(n)) {
                        let jk = self.jac[r * n + k];
                        // ReLU's zero slopes leave whole columns of J zero: skip them.
                        if jk != 0.0 {
                            for (o, &a) in out_row.iter_mut().zip(local_row) {
                                *o += jk * a;
                            }
                        }
                    }
                }
                if end < n {
                    self.stage = Stage::Product { row: end };
                } else {
                    std::mem::swap(&mut self.jac, &mut self.next);
                    self.next_layer();
                }
                2.0 * ((end - row) * n * n) as f64
            }
            Stage::Svd(mut svd) => {
                let flops = svd.work(UNIT_FLOPS);
                if let Some(values) = svd.singular_values() {
                    self.singular_values = values;
                    self.svd_converged = svd.converged();
                    self.sweeps = svd.sweeps();
                } else {
                    self.stage = Stage::Svd(svd);
                }
                flops
            }
        }
    }

    /// After layer `self.layer`: the next layer's weights, or (after the last) the SVD.
    fn next_layer(&mut self) {
        self.layer += 1;
        if self.layer <= self.config.depth {
            self.stage = Stage::Weights(weight_sampler(&self.config, self.layer));
            return;
        }
        self.weights = Vec::new();
        self.local = Vec::new();
        self.next = Vec::new();
        if self.jac.iter().all(|v| v.is_finite()) {
            let n = self.config.width;
            self.stage = Stage::Svd(JacobiSvd::new(&self.jac, n, n));
        } else {
            self.fail(format!(
                "the Jacobian overflowed f64 (entries beyond {:.0e}): no singular values",
                f64::MAX
            ));
        }
    }

    fn fail(&mut self, reason: String) {
        self.failure = Some(reason);
        self.layer = self.config.depth + 1;
        self.stage = Stage::Done;
    }
}
