//! Activation functions, each one value carrying its function and its analytic derivative.
//!
//! Every activation is declared once, as one row of the table in `table.rs`: its URL name, its
//! label, its parameters (with their ranges), phi and phi' in f64 (the reference definitions),
//! its kink for the quadrature, its length scale, and its vectorized lane versions. Everything
//! else (the lists of names, the dispatch of the scalar and the SIMD paths, the mean-field
//! quadrature's panels) is generated from that table by `activation_table!`.
//!
//! Formulas and constants: see docs/science.md (SELU: Klambauer et al. 2017; GELU: Hendrycks &
//! Gimpel 2016; ELU: Clevert et al. 2015; Swish: Ramachandran et al. 2017; Mish: Misra 2019;
//! CELU: Barron 2017).

use crate::kernels::KernelPath;

/// One parameter of an activation, as the URL, the controls and the docs show it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// URL name: "slope", "alpha", "beta".
    pub name: &'static str,
    /// Control label, e.g. "Negative slope s".
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub step: f64,
}

impl ParamSpec {
    /// Whether `v` is a finite value in [min, max].
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && v >= self.min && v <= self.max
    }
}

/// Leaky ReLU's negative slope s ([`Activation::slope`]).
pub const SLOPE: ParamSpec = ParamSpec {
    name: "slope",
    label: "Negative slope s",
    min: 0.0,
    max: 1.0,
    default: 0.01,
    step: 0.01,
};
/// ELU's and CELU's alpha ([`Activation::alpha`]).
pub const ALPHA: ParamSpec = ParamSpec {
    name: "alpha",
    label: "α (ELU and CELU)",
    min: 0.0,
    max: 5.0,
    default: 1.0,
    step: 0.05,
};
/// Swish's beta ([`Activation::beta`]).
pub const BETA: ParamSpec = ParamSpec {
    name: "beta",
    label: "Swish β (1 = SiLU)",
    min: 0.0,
    max: 10.0,
    default: 1.0,
    step: 0.05,
};

/// Every distinct activation parameter once (each is one field of [`Activation`]), in URL order.
pub const ACTIVATION_PARAMS: &[ParamSpec] = &[SLOPE, ALPHA, BETA];

/// Generates, from one row per activation, the enum [`ActivationKind`] with its lists and
/// accessors, and the dispatch of the f64 definitions and of the vectorized lane versions.
///
/// The SIMD dispatch matches on the kind once per slice; each arm runs its own loop over
/// [`crate::vecmath::map`] with the row's lane body inlined (no per-vector match).
macro_rules! activation_table {
    ($(
        $(#[$meta:meta])*
        $variant:ident {
            name: $name:literal,
            label: $label:literal,
            params: [$($param:expr),* $(,)?],
            kink: $kink:expr,
            scale: |$sa:pat_param| $scale:expr,
            f: |$fa:pat_param, $fx:ident| $f:expr,
            df: |$da:pat_param, $dx:ident| $df:expr,
            lanes: |$la:pat_param, $lx:ident| $l:expr,
            dlanes: |$dla:pat_param, $dlx:ident| $dl:expr $(,)?
        }
    ),* $(,)?) => {
        /// Which activation; the URL name is [`ActivationKind::name`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ActivationKind {
            $($(#[$meta])* $variant,)*
        }

        impl ActivationKind {
            /// Every activation, in the order of the page's list.
            pub const ALL: [ActivationKind; [$($name),*].len()] = [$(ActivationKind::$variant),*];
            /// Every URL name, in the order of [`ActivationKind::ALL`].
            pub const NAMES: [&'static str; [$($name),*].len()] = [$($name),*];

            /// Stable name used in the URL (`act=`) and in the registry.
            pub fn name(self) -> &'static str {
                match self {
                    $(ActivationKind::$variant => $name,)*
                }
            }

            /// Human-readable label.
            pub fn label(self) -> &'static str {
                match self {
                    $(ActivationKind::$variant => $label,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|k| k.name() == name)
            }

            /// The parameters this activation uses (the others are ignored).
            pub fn params(self) -> &'static [ParamSpec] {
                match self {
                    $(ActivationKind::$variant => &[$($param),*],)*
                }
            }

            /// Where phi or one of its first two derivatives jumps, for the quadrature's panel
            /// edges; None for smooth activations.
            pub fn kink(self) -> Option<f64> {
                match self {
                    $(ActivationKind::$variant => $kink,)*
                }
            }
        }

        impl Activation {
            /// Length scale (in x) of the features of phi around its kink (or 0), which the
            /// quadrature uses to grade its panels.
            pub(crate) fn feature_scale(&self) -> f64 {
                match self.kind {
                    $(ActivationKind::$variant => {
                        let $sa: &Activation = self;
                        $scale
                    })*
                }
            }

            pub(super) fn eval_f64(&self, x: f64) -> f64 {
                match self.kind {
                    $(ActivationKind::$variant => {
                        let $fa: &Activation = self;
                        let $fx: f64 = x;
                        $f
                    })*
                }
            }

            pub(super) fn eval_df64(&self, x: f64) -> f64 {
                match self.kind {
                    $(ActivationKind::$variant => {
                        let $da: &Activation = self;
                        let $dx: f64 = x;
                        $df
                    })*
                }
            }

            /// output = phi(input) by the lane versions, NaN propagating.
            pub(super) fn simd_apply(&self, input: &[f32], output: &mut [f32]) {
                match self.kind {
                    $(ActivationKind::$variant => crate::vecmath::map(input, output, |x| {
                        let $la: &Activation = self;
                        let $lx: crate::lanes::F32x4 = x;
                        let y: crate::lanes::F32x4 = $l;
                        x.is_nan().select(x, y)
                    }),)*
                }
            }

            /// output = phi'(input) by the lane versions, NaN propagating.
            pub(super) fn simd_derivative(&self, input: &[f32], output: &mut [f32]) {
                match self.kind {
                    $(ActivationKind::$variant => crate::vecmath::map(input, output, |x| {
                        let $dla: &Activation = self;
                        let $dlx: crate::lanes::F32x4 = x;
                        let y: crate::lanes::F32x4 = $dl;
                        x.is_nan().select(x, y)
                    }),)*
                }
            }
        }
    };
}

mod table;

pub use table::{ActivationKind, SELU_ALPHA, SELU_LAMBDA};

/// An activation with its parameters. Parameters that a kind does not use are ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Activation {
    pub kind: ActivationKind,
    /// Leaky ReLU's negative slope s (default 0.01), [`SLOPE`].
    pub slope: f32,
    /// ELU's and CELU's alpha (default 1), [`ALPHA`].
    pub alpha: f32,
    /// Swish's beta (default 1, which is SiLU), [`BETA`].
    pub beta: f32,
}

/// Default parameters (the `default` of [`SLOPE`], [`ALPHA`], [`BETA`]).
pub const DEFAULT_SLOPE: f32 = SLOPE.default as f32;
pub const DEFAULT_ELU_ALPHA: f32 = ALPHA.default as f32;
pub const DEFAULT_BETA: f32 = BETA.default as f32;

impl Activation {
    /// The activation `kind` with the default parameters (slope 0.01, alpha 1, beta 1).
    pub fn new(kind: ActivationKind) -> Self {
        Activation {
            kind,
            slope: DEFAULT_SLOPE,
            alpha: DEFAULT_ELU_ALPHA,
            beta: DEFAULT_BETA,
        }
    }

    /// The value of the parameter named `name` (a [`ParamSpec::name`]), whether or not this
    /// kind uses it.
    pub fn param(&self, name: &str) -> Option<f32> {
        match name {
            "slope" => Some(self.slope),
            "alpha" => Some(self.alpha),
            "beta" => Some(self.beta),
            _ => None,
        }
    }

    /// Sets the parameter named `name`; false (and no change) for an unknown name.
    pub fn set_param(&mut self, name: &str, value: f32) -> bool {
        let field = match name {
            "slope" => &mut self.slope,
            "alpha" => &mut self.alpha,
            "beta" => &mut self.beta,
            _ => return false,
        };
        *field = value;
        true
    }

    /// phi(x) in f32. Evaluated in f64 and rounded, so it agrees with [`Activation::f64`] to
    /// within one f32 rounding.
    pub fn f(&self, x: f32) -> f32 {
        self.f64(f64::from(x)) as f32
    }

    /// phi'(x) in f32 (analytic), evaluated in f64 and rounded.
    pub fn df(&self, x: f32) -> f32 {
        self.df64(f64::from(x)) as f32
    }

    /// phi(x) in f64: the reference definition. NaN propagates; +-infinity gives the limit.
    ///
    /// Kinked activations take the x > 0 branch only for x > 0 (0 belongs to the left side).
    pub fn f64(&self, x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        self.eval_f64(x)
    }

    /// phi'(x) in f64, analytic. NaN propagates; +-infinity gives the limit.
    ///
    /// ReLU and leaky ReLU use the left derivative at exactly 0. ELU's and SELU's left branch is
    /// written alpha e^x (= f(x) + alpha, without cancellation for very negative x).
    pub fn df64(&self, x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        self.eval_df64(x)
    }

    /// Writes phi(x) for every x of `input` into `output` (same length).
    pub fn apply_slice(&self, input: &[f32], output: &mut [f32]) {
        assert_eq!(input.len(), output.len(), "apply_slice: lengths differ");
        for (out, &x) in output.iter_mut().zip(input) {
            *out = self.f(x);
        }
    }

    /// Writes phi'(x) for every x of `input` into `output` (same length).
    pub fn derivative_slice(&self, input: &[f32], output: &mut [f32]) {
        assert_eq!(
            input.len(),
            output.len(),
            "derivative_slice: lengths differ"
        );
        for (out, &x) in output.iter_mut().zip(input) {
            *out = self.df(x);
        }
    }

    /// Writes phi(x) for every x of `input` into `output` (same length) by the chosen path.
    ///
    /// `Scalar` is [`Activation::apply_slice`] (f64 libm, one rounding). `Simd` evaluates the
    /// table's lane versions, built on the vectorized polynomial approximations of
    /// `crate::vecmath`, in f32 (four lanes at a time, wasm simd128 in the browser;
    /// bit-identical plain f32 code elsewhere).
    ///
    /// Accuracy of `Simd` against [`Activation::f64`], checked by tests/kernels.rs on a grid of
    /// [-30, 30] in steps of 1e-4, +-10^e for e in [-40, 38.5] in steps of 0.01, 0, subnormals,
    /// +-f32::MAX and the infinities (NaN gives NaN): |err| <= 1e-6 max(|phi(x)|, F) with F =
    /// 1e-30 (relative accuracy down to results of 1e-30; below, e^x flushed to 0 under 2^-126
    /// costs less than 1e-36 absolute), except F = 1e-2 for GELU-tanh and for Swish with a beta
    /// that is not a power of two: their e^x argument is itself a rounded f32 product, so the
    /// relative error of the far left tail grows like 1e-7 |argument| (1.3e-5 at x = -9.2 where
    /// GELU-tanh is 6e-30). Measured maxima of err / max(|phi|, F): SELU 1.8e-7, ELU 1.4e-7,
    /// GELU 4.6e-7, GELU-tanh 6.8e-7, SiLU 2.1e-7 (beta 0.5: 4.3e-7), tanh 1.8e-7, sigmoid
    /// 1.7e-7, softplus 1.7e-7, Mish 2.6e-7, CELU 1.4e-7 (alpha 0.7: 1.7e-7), leaky ReLU 5.9e-8 (one rounding), ReLU and
    /// linear exact.
    pub fn apply_slice_with(&self, path: KernelPath, input: &[f32], output: &mut [f32]) {
        match path {
            KernelPath::Scalar => self.apply_slice(input, output),
            KernelPath::Simd | KernelPath::Relaxed => self.simd_apply(input, output),
        }
    }

    /// Writes phi'(x) for every x of `input` into `output` (same length) by the chosen path
    /// (see [`Activation::apply_slice_with`]). The `Simd` accuracy against [`Activation::df64`]:
    /// |err| <= 1e-6 max(|phi'(x)|, 0.1): relative where the derivative is not small, absolute
    /// 1e-7 near the zeros of GELU's, SiLU's and Mish's derivatives, where phi' is a difference
    /// of O(1) terms. Measured maxima of err / max(|phi'|, 0.1): SELU 1.3e-7, ELU 6.5e-8, GELU
    /// 9.8e-7 (at x = -0.62, near the zero of GELU' at -0.75), GELU-tanh 6.8e-7, SiLU 4.2e-7,
    /// tanh 2.4e-7, sigmoid 2.2e-7, softplus 1.5e-7, Mish 7.9e-7 (at x = -1.62, near the zero
    /// of Mish' at -1.19), CELU 6.5e-8 (alpha 0.7: 1.6e-7), ReLU, leaky ReLU and
    /// linear exact.
    pub fn derivative_slice_with(&self, path: KernelPath, input: &[f32], output: &mut [f32]) {
        match path {
            KernelPath::Scalar => self.derivative_slice(input, output),
            KernelPath::Simd | KernelPath::Relaxed => self.simd_derivative(input, output),
        }
    }
}

/// Logistic sigmoid 1 / (1 + e^-x), evaluated without overflow for either sign.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// sigmoid'(x) = s (1 - s) = e^-|x| / (1 + e^-|x|)^2, without cancellation for large |x|.
fn sigmoid_slope(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// Beyond this |argument| the sigmoid and the normal CDF are exactly 0 or 1 in f64 (e^-1000
/// underflows), so GELU-like ramps x w(x) equal their limits; using them avoids inf * 0 = NaN
/// for huge or infinite x.
const SATURATED: f64 = 1e3;

/// For ramps x w(x) with w(-inf) = 0, w(inf) = 1: the value where w has saturated.
fn ramp_limit(x: f64) -> Option<f64> {
    (x.abs() > SATURATED).then_some(if x > 0.0 { x } else { 0.0 })
}

/// The slope of such a ramp where w has saturated.
fn ramp_slope_limit(x: f64) -> Option<f64> {
    (x.abs() > SATURATED).then_some(if x > 0.0 { 1.0 } else { 0.0 })
}
