//! The classifier of the Train lab and its exact backward pass. This file holds the network's
//! types, its initialization, the cross-entropy and the predictions; the forward pass (with the
//! loss and BatchNorm's running statistics) is in `forward.rs`, the backward pass in
//! `backward.rs` and the dropout kinds in `dropout.rs` (re-exported here).
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
//!
//! **Subnormals.** Hidden outputs, dL/dlogits and every dL/dh whose magnitude is below
//! f32::MIN_POSITIVE (1.2e-38, the subnormal range) are set to 0, as hardware in flush-to-zero
//! mode would do (PyTorch on CPU: `torch.set_flush_denormal(True)`). The change is below
//! 1.2e-38 per value, and it matters for speed: when SELU or a softmax saturates, subnormal
//! gradients appear (e^z of a very negative z), and every multiply-add with a subnormal operand
//! takes a slow microcode path on x86 (measured with examples/train_speed.rs on a loaded 2-core
//! machine: Adam at lr 0.01 on 64 -> 8 x 256 -> 10 ran at 5 steps/s without the flush and at 18
//! with it; at lr 0.001, where few units saturate, at 30).

use crate::activation::Activation;
use crate::config::{Arch, NormAt, Normalization};
use crate::init::Initializer;
use crate::kernels::KernelPath;
use crate::rng::Rng;
use crate::train::{stream_biases, stream_weights};

pub use crate::train::dropout::{alpha_dropout_constants, DropoutKind, ALPHA_PRIME};

/// BatchNorm's running-statistics momentum (PyTorch's default).
pub const BN_MOMENTUM: f64 = 0.1;

pub(super) const PATH: KernelPath = KernelPath::Simd;

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
    /// GroupNorm's groups (used only with [`Normalization::Group`]; divides the width).
    pub groups: usize,
    /// Where the normalization sits: on h before the activation, or on its output (plain
    /// layers only: a residual block normalizes its input stream).
    pub norm_at: NormAt,
    /// Plain stack, or residual blocks: hidden layers 2..=depth are x = x + s
    /// drop(phi(norm(x) W + b)) (the first maps the inputs to the width and stays plain).
    pub arch: Arch,
    /// The residual branch scale s.
    pub res_scale: f64,
    pub dropout: DropoutKind,
    /// Drop rate q of the dropout.
    pub dropout_rate: f64,
}

impl ModelSpec {
    /// Whether hidden layer `l` (0-based) is a residual block: every hidden layer but the
    /// first in a residual network.
    pub fn is_residual_block(&self, l: usize) -> bool {
        self.arch == Arch::Residual && l > 0 && l < self.depth
    }

    /// Whether hidden layer `l`'s normalization sits after its activation.
    pub fn norm_after(&self, l: usize) -> bool {
        !self.is_residual_block(l) && self.norm_at.is_after(self.norm)
    }

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
            }
            if !self.beta[i].is_empty() {
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
    /// Residual blocks: the normalized stream, the branch's matmul input (empty elsewhere).
    pub branch_in: Vec<Vec<f32>>,
    /// Dropout keep mask (training mode with a positive rate; else empty).
    pub keep: Vec<Vec<bool>>,
    pub logits: Vec<f32>,
    /// dL/dlogits of the last [`Model::loss`] call.
    pub dlogits: Vec<f32>,
    /// dL/dh per hidden layer after [`Model::backward`].
    pub dh: Vec<Vec<f32>>,
    pub(super) scratch: Vec<f32>,
    pub(super) dx: Vec<f32>,
}

/// Sets the subnormal values of `v` to 0 (see the module documentation).
pub fn flush_subnormals(v: &mut [f32]) {
    for x in v {
        if x.is_subnormal() {
            *x = 0.0;
        }
    }
}

pub(super) fn resize(v: &mut Vec<f32>, n: usize) {
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
                    // RMSNorm has a scale and no shift (as PyTorch's nn.RMSNorm).
                    beta: if normed && spec.norm != Normalization::Rms {
                        vec![0.0; fan_out]
                    } else {
                        vec![]
                    },
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
            }
            if !layer.beta.is_empty() {
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
