//! The classifier of the Train lab and its exact backward pass.
//!
//! **Architecture.** Input (d) -> `depth` hidden layers of `width` units -> linear readout to
//! `classes` logits. Hidden layer l (1-based) computes, for a batch of rows,
//!
//! ```text
//! h = x W + b                      (W is fan_in x fan_out, row-major, as in lab_core::kernels)
//! z = h                            (no normalization)
//!   | gamma * (h - mu) / sqrt(var + eps) + beta
//!        BatchNorm: mu, var over the batch per unit; LayerNorm: over the width per example
//! a = phi(z)
//! out = dropout(a)                 (training mode only; the identity in evaluation mode)
//! ```
//!
//! **BatchNorm** (PyTorch's semantics): in training mode, normalization uses the batch mean and
//! the *biased* batch variance, and the running statistics are updated with momentum 0.1 and
//! the *unbiased* batch variance: running_mean = 0.9 running_mean + 0.1 mean, running_var =
//! 0.9 running_var + 0.1 var * n/(n - 1) (start 0 and 1). In evaluation mode it uses the running
//! statistics. eps = 1e-5; gamma starts at 1 and beta at 0. LayerNorm has no running statistics.
//!
//! **Dropout** with drop rate q: each unit of each row is kept with probability 1 - q (drawn as
//! `rng.uniform() >= q`, in row-major order, layer by layer). Standard (inverted) dropout:
//! out = a / (1 - q) if kept, else 0. Alpha dropout (Klambauer et al. 2017, "New Dropout
//! Technique"): out = A a + B if kept, else A alpha' + B, with alpha' = -lambda alpha of SELU and
//! the constants of [`alpha_dropout_constants`].
//!
//! **Loss.** Softmax cross-entropy averaged over the rows, each row's log-sum-exp taken around
//! its largest logit; accumulated in f64.
//!
//! **Numbers.** Parameters and activations are f32. The matmuls are lab_core's kernels
//! ([`KernelPath::Simd`], bit-identical to the scalar definitions); the activation and its
//! derivative use [`Activation::apply_slice_with`] / [`Activation::derivative_slice_with`] on
//! the same path (polynomial approximations within 1e-6 relative of the f64 definitions).
//! Means, variances and the sums of the normalization backward pass are accumulated in f64.

use crate::activation::{Activation, SELU_ALPHA, SELU_LAMBDA};
use crate::config::{Normalization, NORM_EPS};
use crate::init::Initializer;
use crate::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
use crate::rng::Rng;
use crate::train::{stream_biases, stream_weights};

/// BatchNorm's running-statistics momentum (PyTorch's default).
pub const BN_MOMENTUM: f64 = 0.1;

const PATH: KernelPath = KernelPath::Simd;

/// Which dropout follows each hidden activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropoutKind {
    None,
    /// Inverted dropout: kept values scaled by 1/(1 - q), dropped ones 0.
    Standard,
    /// Alpha dropout of self-normalizing networks (keeps mean 0 and variance 1).
    Alpha,
}

impl DropoutKind {
    pub const ALL: [DropoutKind; 3] =
        [DropoutKind::None, DropoutKind::Standard, DropoutKind::Alpha];

    /// Stable name ("none", "standard", "alpha").
    pub fn name(self) -> &'static str {
        match self {
            DropoutKind::None => "none",
            DropoutKind::Standard => "standard",
            DropoutKind::Alpha => "alpha",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// alpha' = -lambda alpha of SELU, the value a dropped unit takes in alpha dropout (SELU's
/// limit for x -> -infinity).
pub const ALPHA_PRIME: f64 = -SELU_LAMBDA * SELU_ALPHA;

/// Alpha dropout's affine correction (A, B) for drop rate q:
/// A = ((1 - q)(1 + q alpha'^2))^(-1/2), B = -A q alpha'.
///
/// Derivation: with keep indicator d ~ Bernoulli(1 - q) and an input of mean 0 and variance 1,
/// y = d x + (1 - d) alpha' has mean q alpha' and variance (1 - q) + q(1 - q) alpha'^2 =
/// (1 - q)(1 + q alpha'^2); A y + B has mean 0 and variance 1 exactly for these A and B. (The
/// SNN paper writes the keep probability as q: a = (q + alpha'^2 q (1 - q))^(-1/2),
/// b = -a (1 - q) alpha', the same formulas.)
pub fn alpha_dropout_constants(q: f64) -> (f64, f64) {
    let a = ((1.0 - q) * (1.0 + q * ALPHA_PRIME * ALPHA_PRIME)).powf(-0.5);
    (a, -a * q * ALPHA_PRIME)
}

/// The shape and initialization of a network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelSpec {
    /// Input features d.
    pub inputs: usize,
    pub classes: usize,
    /// Hidden layers (0 gives a linear softmax classifier).
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub init: Initializer,
    /// Multiplies every initial weight (of every layer, the readout included).
    pub gain: f64,
    /// Biases start N(0, bias_std^2).
    pub bias_std: f64,
    pub norm: Normalization,
    pub dropout: DropoutKind,
    /// Drop rate q of the dropout.
    pub dropout_rate: f64,
}

impl ModelSpec {
    /// (fan_in, fan_out) of layer index i (0-based; index depth is the readout).
    pub fn fans(&self, i: usize) -> (usize, usize) {
        let fan_in = if i == 0 { self.inputs } else { self.width };
        let fan_out = if i == self.depth {
            self.classes
        } else {
            self.width
        };
        (fan_in, fan_out)
    }

    /// Multiply-adds of one example through the network (sum of fan_in fan_out).
    pub fn macs_per_example(&self) -> f64 {
        (0..=self.depth)
            .map(|i| {
                let (a, b) = self.fans(i);
                (a * b) as f64
            })
            .sum()
    }
}

/// One layer's parameters. `gamma`, `beta` (normalization) are empty for the readout and without
/// normalization; `running_mean`, `running_var` are non-empty only with BatchNorm.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub fan_in: usize,
    pub fan_out: usize,
    /// fan_in x fan_out, row-major: W[i][j] at `w[i * fan_out + j]`.
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
    pub running_mean: Vec<f32>,
    pub running_var: Vec<f32>,
}

/// The network: `layers[0..depth]` hidden, `layers[depth]` the readout.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub spec: ModelSpec,
    pub layers: Vec<Layer>,
}

/// Gradients with the layout of [`Model::layers`].
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    pub w: Vec<Vec<f32>>,
    pub b: Vec<Vec<f32>>,
    pub gamma: Vec<Vec<f32>>,
    pub beta: Vec<Vec<f32>>,
}

impl Grads {
    /// All gradients in the order of [`Model::params_mut`].
    pub fn slices(&self) -> Vec<&[f32]> {
        let mut out = Vec::new();
        for i in 0..self.w.len() {
            out.push(self.w[i].as_slice());
            out.push(self.b[i].as_slice());
            if !self.gamma[i].is_empty() {
                out.push(self.gamma[i].as_slice());
                out.push(self.beta[i].as_slice());
            }
        }
        out
    }
}

/// Training mode (batch statistics, dropout) or evaluation mode (running statistics, no dropout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// Everything the forward pass stores for the backward pass, and the backward pass's dL/dh.
/// Hidden layer l (0-based) has `h[l]`, `z[l]`, ...; `input[l]` is the input of layer l, so
/// `input[l + 1]` is hidden layer l's output after dropout and `input[depth]` feeds the readout.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    pub rows: usize,
    pub mode: Option<Mode>,
    pub input: Vec<Vec<f32>>,
    /// x W + b.
    pub h: Vec<Vec<f32>>,
    /// The normalized h before scale and shift (empty without normalization).
    pub xhat: Vec<Vec<f32>>,
    /// 1 / sqrt(var + eps): per unit (BatchNorm) or per row (LayerNorm).
    pub inv_std: Vec<Vec<f32>>,
    /// BatchNorm in training mode: the batch mean and the unbiased batch variance per unit.
    pub batch_mean: Vec<Vec<f64>>,
    pub batch_var_unbiased: Vec<Vec<f64>>,
    /// The activation's argument.
    pub z: Vec<Vec<f32>>,
    /// Dropout keep mask (training mode with a positive rate; else empty).
    pub keep: Vec<Vec<bool>>,
    pub logits: Vec<f32>,
    /// dL/dlogits of the last [`Model::loss`] call.
    pub dlogits: Vec<f32>,
    /// dL/dh per hidden layer after [`Model::backward`].
    pub dh: Vec<Vec<f32>>,
    scratch: Vec<f32>,
    dx: Vec<f32>,
}

fn resize(v: &mut Vec<f32>, n: usize) {
    v.clear();
    v.resize(n, 0.0);
}

/// Mean softmax cross-entropy of `logits` (rows x classes) against `labels`, with each row's
/// log-sum-exp taken around its largest logit (f64). With `dlogits`, writes dL/dlogits =
/// (softmax - onehot) / rows.
pub fn cross_entropy(
    logits: &[f32],
    labels: &[u32],
    classes: usize,
    mut dlogits: Option<&mut [f32]>,
) -> f64 {
    let rows = labels.len();
    assert_eq!(logits.len(), rows * classes, "cross_entropy: shapes");
    let mut total = 0.0;
    let mut p = vec![0.0f64; classes];
    for (r, &label) in labels.iter().enumerate() {
        let row = &logits[r * classes..(r + 1) * classes];
        let m = row
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let mut s = 0.0;
        for (pk, &v) in p.iter_mut().zip(row) {
            *pk = (f64::from(v) - m).exp();
            s += *pk;
        }
        total += m + s.ln() - f64::from(row[label as usize]);
        if let Some(d) = dlogits.as_deref_mut() {
            for (k, pk) in p.iter().enumerate() {
                let onehot = if k == label as usize { 1.0 } else { 0.0 };
                d[r * classes + k] = ((pk / s - onehot) / rows as f64) as f32;
            }
        }
    }
    total / rows.max(1) as f64
}

impl Model {
    /// A freshly initialized model: layer index i (0-based) draws its weights with
    /// `spec.init.sample(fan_in, fan_out, gain, ...)` from stream `stream_weights(i + 1)` and its
    /// biases N(0, bias_std^2) from `stream_biases(i + 1)`, both of `seed`.
    pub fn new(spec: ModelSpec, seed: u64) -> Model {
        let layers = (0..=spec.depth)
            .map(|i| {
                let (fan_in, fan_out) = spec.fans(i);
                let w = spec.init.sample(
                    fan_in,
                    fan_out,
                    spec.gain,
                    Rng::from_seed_and_id(seed, stream_weights(i + 1)),
                );
                let mut b = vec![0.0f32; fan_out];
                if spec.bias_std > 0.0 {
                    Rng::from_seed_and_id(seed, stream_biases(i + 1)).fill_normal_f32(
                        &mut b,
                        0.0,
                        spec.bias_std,
                    );
                }
                let hidden = i < spec.depth;
                let normed = hidden && spec.norm != Normalization::None;
                let bn = hidden && spec.norm == Normalization::Batch;
                Layer {
                    fan_in,
                    fan_out,
                    w,
                    b,
                    gamma: if normed { vec![1.0; fan_out] } else { vec![] },
                    beta: if normed { vec![0.0; fan_out] } else { vec![] },
                    running_mean: if bn { vec![0.0; fan_out] } else { vec![] },
                    running_var: if bn { vec![1.0; fan_out] } else { vec![] },
                }
            })
            .collect();
        Model { spec, layers }
    }

    /// All trainable parameters in a fixed order: per layer w, b, then gamma, beta if present.
    pub fn params_mut(&mut self) -> Vec<&mut [f32]> {
        let mut out: Vec<&mut [f32]> = Vec::new();
        for layer in &mut self.layers {
            out.push(&mut layer.w);
            out.push(&mut layer.b);
            if !layer.gamma.is_empty() {
                out.push(&mut layer.gamma);
                out.push(&mut layer.beta);
            }
        }
        out
    }

    /// Zeroed gradients of this model's shape.
    pub fn zero_grads(&self) -> Grads {
        Grads {
            w: self.layers.iter().map(|l| vec![0.0; l.w.len()]).collect(),
            b: self.layers.iter().map(|l| vec![0.0; l.b.len()]).collect(),
            gamma: self
                .layers
                .iter()
                .map(|l| vec![0.0; l.gamma.len()])
                .collect(),
            beta: self
                .layers
                .iter()
                .map(|l| vec![0.0; l.beta.len()])
                .collect(),
        }
    }

    /// The forward pass of `rows` examples `x` (rows x inputs) into `cache` (logits in
    /// `cache.logits`). Training mode draws dropout masks from `dropout_rng` (not touched in
    /// evaluation mode or at rate 0) and records the BatchNorm batch statistics in the cache
    /// without updating the running statistics (see [`Model::update_running_stats`]).
    pub fn forward(
        &self,
        x: &[f32],
        rows: usize,
        mode: Mode,
        dropout_rng: &mut Rng,
        cache: &mut Cache,
    ) {
        let spec = &self.spec;
        let depth = spec.depth;
        assert_eq!(x.len(), rows * spec.inputs, "forward: x has the wrong size");
        assert!(
            !(mode == Mode::Train && spec.norm == Normalization::Batch && rows < 2),
            "BatchNorm in training mode needs at least 2 rows"
        );
        cache.rows = rows;
        cache.mode = Some(mode);
        cache.input.resize(depth + 1, Vec::new());
        for v in [
            &mut cache.h,
            &mut cache.xhat,
            &mut cache.inv_std,
            &mut cache.z,
        ] {
            v.resize(depth, Vec::new());
        }
        cache.batch_mean.resize(depth, Vec::new());
        cache.batch_var_unbiased.resize(depth, Vec::new());
        cache.keep.resize(depth, Vec::new());
        cache.input[0].clear();
        cache.input[0].extend_from_slice(x);
        let eps = NORM_EPS;
        let dropout_on =
            mode == Mode::Train && spec.dropout != DropoutKind::None && spec.dropout_rate > 0.0;
        let q = spec.dropout_rate;
        let (alpha_a, alpha_b) = alpha_dropout_constants(q);
        for l in 0..depth {
            let layer = &self.layers[l];
            let (n_in, n_out) = (layer.fan_in, layer.fan_out);
            let (before, after) = cache.input.split_at_mut(l + 1);
            let input = &before[l];
            let h = &mut cache.h[l];
            resize(h, rows * n_out);
            matmul_with(PATH, input, &layer.w, n_in, n_out, h);
            for row in h.chunks_exact_mut(n_out) {
                for (v, &b) in row.iter_mut().zip(&layer.b) {
                    *v += b;
                }
            }
            let z = &mut cache.z[l];
            let xhat = &mut cache.xhat[l];
            let inv_std = &mut cache.inv_std[l];
            match spec.norm {
                Normalization::None => {
                    z.clear();
                    z.extend_from_slice(h);
                    xhat.clear();
                    inv_std.clear();
                }
                Normalization::Batch => {
                    resize(xhat, rows * n_out);
                    resize(z, rows * n_out);
                    resize(inv_std, n_out);
                    let (mean, var): (Vec<f64>, Vec<f64>) = if mode == Mode::Train {
                        let mut mean = vec![0.0f64; n_out];
                        for row in h.chunks_exact(n_out) {
                            for (m, &v) in mean.iter_mut().zip(row) {
                                *m += f64::from(v);
                            }
                        }
                        mean.iter_mut().for_each(|m| *m /= rows as f64);
                        let mut ss = vec![0.0f64; n_out];
                        for row in h.chunks_exact(n_out) {
                            for ((s, &v), m) in ss.iter_mut().zip(row).zip(&mean) {
                                *s += (f64::from(v) - m).powi(2);
                            }
                        }
                        let biased = ss.iter().map(|s| s / rows as f64).collect();
                        cache.batch_var_unbiased[l] =
                            ss.iter().map(|s| s / (rows - 1) as f64).collect();
                        cache.batch_mean[l] = mean.clone();
                        (mean, biased)
                    } else {
                        (
                            layer.running_mean.iter().map(|&v| f64::from(v)).collect(),
                            layer.running_var.iter().map(|&v| f64::from(v)).collect(),
                        )
                    };
                    let inv: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
                    for (s, &v) in inv_std.iter_mut().zip(&inv) {
                        *s = v as f32;
                    }
                    for ((hr, xr), zr) in h
                        .chunks_exact(n_out)
                        .zip(xhat.chunks_exact_mut(n_out))
                        .zip(z.chunks_exact_mut(n_out))
                    {
                        for j in 0..n_out {
                            let xh = ((f64::from(hr[j]) - mean[j]) * inv[j]) as f32;
                            xr[j] = xh;
                            zr[j] = layer.gamma[j] * xh + layer.beta[j];
                        }
                    }
                }
                Normalization::Layer => {
                    resize(xhat, rows * n_out);
                    resize(z, rows * n_out);
                    resize(inv_std, rows);
                    for (r, ((hr, xr), zr)) in h
                        .chunks_exact(n_out)
                        .zip(xhat.chunks_exact_mut(n_out))
                        .zip(z.chunks_exact_mut(n_out))
                        .enumerate()
                    {
                        let mean = hr.iter().map(|&v| f64::from(v)).sum::<f64>() / n_out as f64;
                        let var = hr
                            .iter()
                            .map(|&v| (f64::from(v) - mean).powi(2))
                            .sum::<f64>()
                            / n_out as f64;
                        let inv = 1.0 / (var + eps).sqrt();
                        inv_std[r] = inv as f32;
                        for j in 0..n_out {
                            let xh = ((f64::from(hr[j]) - mean) * inv) as f32;
                            xr[j] = xh;
                            zr[j] = layer.gamma[j] * xh + layer.beta[j];
                        }
                    }
                }
            }
            let out = &mut after[0];
            resize(out, rows * n_out);
            spec.activation.apply_slice_with(PATH, z, out);
            let keep = &mut cache.keep[l];
            keep.clear();
            if dropout_on {
                keep.reserve(rows * n_out);
                for v in out.iter_mut() {
                    let kept = dropout_rng.uniform() >= q;
                    keep.push(kept);
                    *v = match (spec.dropout, kept) {
                        (DropoutKind::Standard, true) => (f64::from(*v) / (1.0 - q)) as f32,
                        (DropoutKind::Standard, false) => 0.0,
                        (_, true) => (alpha_a * f64::from(*v) + alpha_b) as f32,
                        (_, false) => (alpha_a * ALPHA_PRIME + alpha_b) as f32,
                    };
                }
            }
        }
        let readout = &self.layers[depth];
        resize(&mut cache.logits, rows * readout.fan_out);
        matmul_with(
            PATH,
            &cache.input[depth],
            &readout.w,
            readout.fan_in,
            readout.fan_out,
            &mut cache.logits,
        );
        for row in cache.logits.chunks_exact_mut(readout.fan_out) {
            for (v, &b) in row.iter_mut().zip(&readout.b) {
                *v += b;
            }
        }
    }

    /// Mean cross-entropy of the cached logits against `labels`; also stores dL/dlogits in the
    /// cache for [`Model::backward`].
    pub fn loss(&self, cache: &mut Cache, labels: &[u32]) -> f64 {
        let mut d = std::mem::take(&mut cache.dlogits);
        resize(&mut d, cache.logits.len());
        let loss = cross_entropy(&cache.logits, labels, self.spec.classes, Some(&mut d));
        cache.dlogits = d;
        loss
    }

    /// BatchNorm's running statistics updated from a training-mode forward pass's batch
    /// statistics (momentum 0.1, unbiased variance). Does nothing without BatchNorm.
    pub fn update_running_stats(&mut self, cache: &Cache) {
        if self.spec.norm != Normalization::Batch || cache.mode != Some(Mode::Train) {
            return;
        }
        let m = BN_MOMENTUM;
        for l in 0..self.spec.depth {
            let layer = &mut self.layers[l];
            for j in 0..layer.fan_out {
                let rm = f64::from(layer.running_mean[j]);
                let rv = f64::from(layer.running_var[j]);
                layer.running_mean[j] = ((1.0 - m) * rm + m * cache.batch_mean[l][j]) as f32;
                layer.running_var[j] = ((1.0 - m) * rv + m * cache.batch_var_unbiased[l][j]) as f32;
            }
        }
    }

    /// The exact backward pass of a training-mode forward pass followed by [`Model::loss`]:
    /// writes every parameter's gradient into `grads` (overwritten) and dL/dh of every hidden
    /// layer into `cache.dh`. Dropout uses the forward pass's mask; BatchNorm and LayerNorm are
    /// differentiated through their batch/row statistics.
    pub fn backward(&self, cache: &mut Cache, grads: &mut Grads) {
        assert_eq!(
            cache.mode,
            Some(Mode::Train),
            "backward needs a training-mode forward pass"
        );
        let spec = &self.spec;
        let depth = spec.depth;
        let rows = cache.rows;
        let q = spec.dropout_rate;
        let (alpha_a, _) = alpha_dropout_constants(q);
        let drop_factor = match spec.dropout {
            DropoutKind::None => 1.0,
            DropoutKind::Standard => (1.0 / (1.0 - q)) as f32,
            DropoutKind::Alpha => alpha_a as f32,
        };
        cache.dh.resize(depth, Vec::new());
        // Readout.
        let readout = &self.layers[depth];
        let mut d = std::mem::take(&mut cache.dlogits);
        dense_backward(
            readout,
            &cache.input[depth],
            &d,
            rows,
            &mut grads.w[depth],
            &mut grads.b[depth],
            if depth > 0 { Some(&mut cache.dx) } else { None },
        );
        cache.dlogits = std::mem::take(&mut d);
        for l in (0..depth).rev() {
            let layer = &self.layers[l];
            let n_out = layer.fan_out;
            // dL/d(out) is in cache.dx; turn it into dL/dz in place.
            let mut dz = std::mem::take(&mut cache.dx);
            let keep = &cache.keep[l];
            if !keep.is_empty() {
                for (v, &k) in dz.iter_mut().zip(keep) {
                    *v = if k { *v * drop_factor } else { 0.0 };
                }
            }
            let deriv = &mut cache.scratch;
            resize(deriv, rows * n_out);
            spec.activation
                .derivative_slice_with(PATH, &cache.z[l], deriv);
            for (v, &p) in dz.iter_mut().zip(deriv.iter()) {
                *v *= p;
            }
            let mut dh = std::mem::take(&mut cache.dh[l]);
            resize(&mut dh, rows * n_out);
            match spec.norm {
                Normalization::None => dh.copy_from_slice(&dz),
                Normalization::Batch | Normalization::Layer => {
                    let xhat = &cache.xhat[l];
                    let inv_std = &cache.inv_std[l];
                    let mut dgamma = vec![0.0f64; n_out];
                    let mut dbeta = vec![0.0f64; n_out];
                    for (dr, xr) in dz.chunks_exact(n_out).zip(xhat.chunks_exact(n_out)) {
                        for j in 0..n_out {
                            dgamma[j] += f64::from(dr[j]) * f64::from(xr[j]);
                            dbeta[j] += f64::from(dr[j]);
                        }
                    }
                    for j in 0..n_out {
                        grads.gamma[l][j] = dgamma[j] as f32;
                        grads.beta[l][j] = dbeta[j] as f32;
                    }
                    // dxhat = dz * gamma, then dh = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
                    // with the means over the normalized axis.
                    if spec.norm == Normalization::Batch {
                        let mut s1 = vec![0.0f64; n_out];
                        let mut s2 = vec![0.0f64; n_out];
                        for (dr, xr) in dz.chunks_exact(n_out).zip(xhat.chunks_exact(n_out)) {
                            for j in 0..n_out {
                                let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                                s1[j] += dxh;
                                s2[j] += dxh * f64::from(xr[j]);
                            }
                        }
                        let n = rows as f64;
                        for ((hr, dr), xr) in dh
                            .chunks_exact_mut(n_out)
                            .zip(dz.chunks_exact(n_out))
                            .zip(xhat.chunks_exact(n_out))
                        {
                            for j in 0..n_out {
                                let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                                hr[j] = (f64::from(inv_std[j])
                                    * (dxh - s1[j] / n - f64::from(xr[j]) * s2[j] / n))
                                    as f32;
                            }
                        }
                    } else {
                        let n = n_out as f64;
                        for (r, ((hr, dr), xr)) in dh
                            .chunks_exact_mut(n_out)
                            .zip(dz.chunks_exact(n_out))
                            .zip(xhat.chunks_exact(n_out))
                            .enumerate()
                        {
                            let mut s1 = 0.0f64;
                            let mut s2 = 0.0f64;
                            for j in 0..n_out {
                                let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                                s1 += dxh;
                                s2 += dxh * f64::from(xr[j]);
                            }
                            let inv = f64::from(inv_std[r]);
                            for j in 0..n_out {
                                let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                                hr[j] = (inv * (dxh - s1 / n - f64::from(xr[j]) * s2 / n)) as f32;
                            }
                        }
                    }
                }
            }
            cache.dx = dz;
            dense_backward(
                layer,
                &cache.input[l],
                &dh,
                rows,
                &mut grads.w[l],
                &mut grads.b[l],
                if l > 0 { Some(&mut cache.dx) } else { None },
            );
            cache.dh[l] = dh;
        }
    }

    /// Class predictions (argmax of the logits, the first on ties) of a forward pass.
    pub fn predictions(&self, cache: &Cache) -> Vec<u32> {
        cache
            .logits
            .chunks_exact(self.spec.classes)
            .map(|row| {
                let mut best = 0;
                for (k, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = k;
                    }
                }
                best as u32
            })
            .collect()
    }
}

/// dW = x^T d, db = column sums of d (f64), and optionally dx = d W^T.
fn dense_backward(
    layer: &Layer,
    x: &[f32],
    d: &[f32],
    rows: usize,
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut Vec<f32>>,
) {
    let (n_in, n_out) = (layer.fan_in, layer.fan_out);
    matmul_grad_w_with(PATH, x, d, n_in, n_out, dw);
    let mut sums = vec![0.0f64; n_out];
    for row in d.chunks_exact(n_out) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    for (b, s) in db.iter_mut().zip(&sums) {
        *b = *s as f32;
    }
    if let Some(dx) = dx {
        resize(dx, rows * n_in);
        matmul_transposed_with(PATH, d, &layer.w, n_in, n_out, dx);
    }
}
