//! The settings of one simulated network.

use crate::activation::Activation;
use crate::init::Initializer;
use crate::kernels::KernelPath;
use std::ops::RangeInclusive;

/// Allowed number of layers.
pub const DEPTH_RANGE: RangeInclusive<usize> = 1..=1000;
/// Allowed layer width (fan_in = fan_out = width).
pub const WIDTH_RANGE: RangeInclusive<usize> = 2..=1024;
/// Allowed number of input rows propagated together.
pub const BATCH_RANGE: RangeInclusive<usize> = 1..=4096;
/// Allowed correlation c0 of the input pairs ([`Config::input_corr`]): a cosine, so [-1, 1].
pub const INPUT_CORR_RANGE: RangeInclusive<f32> = -1.0..=1.0;

named_enum! {
    /// Explicit normalization applied to the pre-activations h^l, without learned scale or shift.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Normalization {
        /// No normalization: the self-normalization experiment.
        None = ("none", "None"),
        /// BatchNorm: each unit (column) standardized over the batch.
        Batch = ("batch", "BatchNorm (per unit, over the batch)"),
        /// LayerNorm: each example (row) standardized over the width.
        Layer = ("layer", "LayerNorm (per example, over the width)"),
        /// GroupNorm: each example's units in [`Config::groups`] groups of consecutive units,
        /// each group standardized on its own (one group is LayerNorm).
        Group = ("group", "GroupNorm (per example, over groups of units)"),
        /// RMSNorm: each example divided by its root mean square over the width, no centring.
        Rms = ("rms", "RMSNorm (per example, root mean square, no centring)"),
    }
}

impl Normalization {
    /// Whether the statistics are per example (a row of the batch): LayerNorm, GroupNorm and
    /// RMSNorm. BatchNorm's are per unit, over the batch.
    pub fn is_per_example(self) -> bool {
        matches!(
            self,
            Normalization::Layer | Normalization::Group | Normalization::Rms
        )
    }
}

named_enum! {
    /// Where the normalization sits in a layer: on h before the activation, or on the
    /// activation's output (the SNN paper's ReLU + BatchNorm baseline puts it there).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub enum NormAt {
        /// x = phi(norm(h)).
        #[default]
        Pre = ("pre", "Before the activation: x = φ(norm(h))"),
        /// x = norm(phi(h)).
        Post = ("post", "After the activation: x = norm(φ(h))"),
    }
}

impl NormAt {
    /// Whether a normalization `norm` sits after the activation (x = norm(phi(h))): placed
    /// there and not [`Normalization::None`].
    pub fn is_after(self, norm: Normalization) -> bool {
        norm != Normalization::None && self == NormAt::Post
    }
}

named_enum! {
    /// The network's architecture: a plain stack of layers, or pre-norm residual blocks.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub enum Arch {
        /// x^l = phi(norm(x^(l-1) W^l + b^l)) (or with the normalization after phi).
        #[default]
        Plain = ("plain", "Plain stack: x = φ(h)"),
        /// x^l = x^(l-1) + s phi(norm(x^(l-1)) W^l + b^l), s = [`Config::res_scale`]: the
        /// pre-norm residual block of transformers (with LayerNorm) and ResNets v2.
        Residual = ("residual", "Residual blocks: x = x + s·φ(h)"),
    }
}

impl Config {
    /// Whether `other` is this network at another depth (every other setting equal): what
    /// continues a run, its correlation prediction or its theory summary at a new depth.
    pub fn same_but_depth(&self, other: &Config) -> bool {
        Config {
            depth: self.depth,
            ..*other
        } == *self
    }

    /// Whether the normalization sits after the activation, x^l = norm(phi(h^l)): placed there,
    /// present, and in a plain stack (a residual block normalizes the stream before its matmul
    /// whatever `norm_at` says).
    pub fn norm_after_activation(&self) -> bool {
        self.arch == Arch::Plain && self.norm_at.is_after(self.norm)
    }

    /// The residual branch scale s in use: [`Config::res_scale`], or 1 / sqrt(depth) under
    /// [`ResScaleRule::InvSqrtDepth`].
    pub fn branch_scale(&self) -> f32 {
        match self.res_scale_rule {
            ResScaleRule::Fixed => self.res_scale,
            ResScaleRule::InvSqrtDepth => (1.0 / (self.depth.max(1) as f64).sqrt()) as f32,
        }
    }

    /// Whether the network is made of residual blocks.
    pub fn is_residual(&self) -> bool {
        self.arch == Arch::Residual
    }
}

named_enum! {
    /// How a residual block's branch scale s is chosen.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub enum ResScaleRule {
        /// s = [`Config::res_scale`].
        #[default]
        Fixed = ("fixed", "s as set"),
        /// s = 1 / sqrt(depth): the stream's variance then grows by a bounded total.
        InvSqrtDepth = ("inv_sqrt_depth", "s = 1/√depth"),
    }
}

/// Allowed branch scale s of a residual block ([`Config::res_scale`]).
pub const RES_SCALE_RANGE: RangeInclusive<f32> = 0.0..=4.0;

/// Allowed number of GroupNorm groups (it must also divide the width).
pub const GROUPS_RANGE: RangeInclusive<usize> = 1..=1024;

/// Variance epsilon of BatchNorm and LayerNorm (PyTorch's default).
pub const NORM_EPS: f64 = 1e-5;

/// Everything that determines a simulation. The same `Config` gives bit-identical results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Activation phi with its parameters.
    pub activation: Activation,
    /// Weight initializer; fan_in = fan_out = width.
    pub init: Initializer,
    /// Multiplies every weight after sampling.
    pub gain: f32,
    /// Standard deviation sb of the biases, b ~ N(0, sb^2).
    pub bias_std: f32,
    /// Number of layers.
    pub depth: usize,
    /// Units per layer.
    pub width: usize,
    /// Input rows propagated together.
    pub batch: usize,
    /// Mean of the i.i.d. normal input entries.
    pub input_mean: f32,
    /// Standard deviation of the i.i.d. normal input entries.
    pub input_std: f32,
    /// Optional explicit normalization of h^l.
    pub norm: Normalization,
    /// GroupNorm's number of groups (used only with [`Normalization::Group`]; must divide the
    /// width).
    pub groups: usize,
    /// Where the normalization sits (ignored without one).
    pub norm_at: NormAt,
    /// Plain stack or residual blocks.
    pub arch: Arch,
    /// Residual branch scale s (used only with [`Arch::Residual`]; 1 / sqrt(depth) keeps the
    /// stream's variance bounded).
    pub res_scale: f32,
    /// Whether s is `res_scale` or 1 / sqrt(depth) ([`Config::branch_scale`]).
    pub res_scale_rule: ResScaleRule,
    /// Correlation c0 of the input pairs propagated for the correlation panel, in [-1, 1]
    /// ([`INPUT_CORR_RANGE`]; see [`crate::sim::CORR_PAIRS`]). It does not affect the main batch.
    pub input_corr: f32,
    /// Seed of the core's PRNG (see [`crate::rng`]).
    pub seed: u64,
    /// Kernel implementation: the SIMD kernels (default) or the scalar definitions. Matmuls are
    /// bit-identical either way; activations differ within the bounds documented at
    /// [`crate::Activation::apply_slice_with`].
    pub kernels: KernelPath,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            activation: Activation::new(crate::activation::ActivationKind::Selu),
            init: Initializer::LecunNormal,
            gain: 1.0,
            bias_std: 0.0,
            depth: 50,
            width: 128,
            batch: 128,
            input_mean: 0.0,
            input_std: 1.0,
            norm: Normalization::None,
            input_corr: 0.5,
            seed: 1,
            kernels: KernelPath::Simd,
            groups: 8,
            norm_at: NormAt::Pre,
            arch: Arch::Plain,
            res_scale: 1.0,
            res_scale_rule: ResScaleRule::Fixed,
        }
    }
}

/// Why a [`Config`] was refused by [`Config::validated`]: the field (its URL name where it has
/// one) and what is wrong with its value.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError {
    /// The field, e.g. "depth", "gain", "alpha".
    pub field: &'static str,
    /// What is wrong, e.g. "0 is outside 1..=1000".
    pub problem: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {} {}", self.field, self.problem)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The config itself if every field is in its range, else the first field that is not:
    /// depth, width and batch within [`DEPTH_RANGE`], [`WIDTH_RANGE`], [`BATCH_RANGE`]; gain,
    /// bias_std and input_std finite and >= 0; input_mean finite; input_corr in
    /// [`INPUT_CORR_RANGE`]; with GroupNorm, groups dividing the width; the parameters the
    /// activation uses within their
    /// [`crate::ParamSpec`] ranges.
    pub fn validated(self) -> Result<Config, ConfigError> {
        fn error(field: &'static str, problem: String) -> Result<Config, ConfigError> {
            Err(ConfigError { field, problem })
        }
        for (field, value, range) in [
            ("depth", self.depth, DEPTH_RANGE),
            ("width", self.width, WIDTH_RANGE),
            ("batch", self.batch, BATCH_RANGE),
        ] {
            if !range.contains(&value) {
                return error(
                    field,
                    format!("{value} is outside {}..={}", range.start(), range.end()),
                );
            }
        }
        for (field, value) in [
            ("gain", self.gain),
            ("sb", self.bias_std),
            ("in_std", self.input_std),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return error(field, format!("{value} is not a finite number >= 0"));
            }
        }
        if !self.input_mean.is_finite() {
            return error(
                "in_mean",
                format!("{} is not a finite number", self.input_mean),
            );
        }
        if self.norm == Normalization::Group
            && !(GROUPS_RANGE.contains(&self.groups) && self.width.is_multiple_of(self.groups))
        {
            return error(
                "groups",
                format!("{} does not divide the width {}", self.groups, self.width),
            );
        }
        if !RES_SCALE_RANGE.contains(&self.res_scale) {
            return error(
                "res_scale",
                format!(
                    "{} is outside [{}, {}]",
                    self.res_scale,
                    RES_SCALE_RANGE.start(),
                    RES_SCALE_RANGE.end()
                ),
            );
        }
        if !INPUT_CORR_RANGE.contains(&self.input_corr) {
            return error("c0", format!("{} is outside [-1, 1]", self.input_corr));
        }
        for spec in self.activation.kind.params() {
            let value = self.activation.param(spec.name).map(f64::from);
            if !value.is_some_and(|v| spec.contains(v)) {
                return error(
                    spec.name,
                    format!(
                        "{} is outside [{}, {}] for {}",
                        value.unwrap_or(f64::NAN),
                        spec.min,
                        spec.max,
                        self.activation.kind.label()
                    ),
                );
            }
        }
        Ok(self)
    }
}
