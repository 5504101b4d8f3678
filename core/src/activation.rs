//! Activation functions, each one value carrying its function and its analytic derivative.
//!
//! Formulas and constants: see `../shared/science.md` (SELU: Klambauer et al. 2017; GELU: Hendrycks &
//! Gimpel 2016; ELU: Clevert et al. 2015; Swish: Ramachandran et al. 2017).

// Constants are written with all the digits of their source.
#![allow(clippy::excessive_precision)]

use crate::kernels::KernelPath;

/// SELU's lambda (Klambauer et al. 2017, eq. 14 solved for the fixed point (0, 1)).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;
/// SELU's alpha (Klambauer et al. 2017).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;

/// Which activation; the URL name is [`ActivationKind::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActivationKind {
    Relu,
    LeakyRelu,
    Elu,
    Selu,
    /// GELU, exact: x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
    Gelu,
    /// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    GeluTanh,
    /// Swish x sigmoid(beta x); beta = 1 is SiLU.
    Silu,
    Tanh,
    Sigmoid,
    Softplus,
    Linear,
}

impl ActivationKind {
    pub const ALL: [ActivationKind; 11] = [
        ActivationKind::Selu,
        ActivationKind::Relu,
        ActivationKind::LeakyRelu,
        ActivationKind::Elu,
        ActivationKind::Gelu,
        ActivationKind::GeluTanh,
        ActivationKind::Silu,
        ActivationKind::Tanh,
        ActivationKind::Sigmoid,
        ActivationKind::Softplus,
        ActivationKind::Linear,
    ];

    /// Stable name used in the URL (`act=`) and in the registry.
    pub fn name(self) -> &'static str {
        match self {
            ActivationKind::Relu => "relu",
            ActivationKind::LeakyRelu => "leaky_relu",
            ActivationKind::Elu => "elu",
            ActivationKind::Selu => "selu",
            ActivationKind::Gelu => "gelu",
            ActivationKind::GeluTanh => "gelu_tanh",
            ActivationKind::Silu => "silu",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Softplus => "softplus",
            ActivationKind::Linear => "linear",
        }
    }

    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            ActivationKind::Relu => "ReLU",
            ActivationKind::LeakyRelu => "Leaky ReLU",
            ActivationKind::Elu => "ELU",
            ActivationKind::Selu => "SELU",
            ActivationKind::Gelu => "GELU (exact, erf)",
            ActivationKind::GeluTanh => "GELU (tanh approximation)",
            ActivationKind::Silu => "SiLU / Swish",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Softplus => "softplus",
            ActivationKind::Linear => "linear (identity)",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// An activation with its parameters. Parameters that a kind does not use are ignored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Activation {
    pub kind: ActivationKind,
    /// Leaky ReLU's negative slope s (default 0.01).
    pub slope: f32,
    /// ELU's alpha (default 1).
    pub alpha: f32,
    /// Swish's beta (default 1, which is SiLU).
    pub beta: f32,
}

/// Default parameters, as named in the issue and in science.md.
pub const DEFAULT_SLOPE: f32 = 0.01;
pub const DEFAULT_ELU_ALPHA: f32 = 1.0;
pub const DEFAULT_BETA: f32 = 1.0;

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
        let slope = f64::from(self.slope);
        let alpha = f64::from(self.alpha);
        let beta = f64::from(self.beta);
        match self.kind {
            ActivationKind::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            ActivationKind::LeakyRelu => {
                if x > 0.0 {
                    x
                } else {
                    slope * x
                }
            }
            // exp_m1 keeps full relative accuracy near 0, where e^x - 1 would cancel.
            ActivationKind::Elu => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            ActivationKind::Selu => {
                if x > 0.0 {
                    SELU_LAMBDA * x
                } else {
                    SELU_LAMBDA * SELU_ALPHA * x.exp_m1()
                }
            }
            // x Phi(x) with Phi from erfc: no cancellation in the left tail.
            ActivationKind::Gelu => ramp_limit(x).unwrap_or_else(|| x * crate::special::phi_cdf(x)),
            // 0.5 (1 + tanh(u)) = sigmoid(2u): the same function without cancellation for u << 0.
            ActivationKind::GeluTanh => {
                ramp_limit(x).unwrap_or_else(|| x * sigmoid(2.0 * gelu_tanh_arg(x)))
            }
            ActivationKind::Silu => {
                let bx = beta * x;
                if beta == 0.0 {
                    0.5 * x
                } else if bx.abs() > SATURATED {
                    // sigmoid(beta x) is exactly 0 or 1 in f64 here (and inf * 0 must not occur).
                    if bx > 0.0 {
                        x
                    } else {
                        0.0
                    }
                } else {
                    x * sigmoid(bx)
                }
            }
            ActivationKind::Tanh => x.tanh(),
            ActivationKind::Sigmoid => sigmoid(x),
            ActivationKind::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            ActivationKind::Linear => x,
        }
    }

    /// phi'(x) in f64, analytic. NaN propagates; +-infinity gives the limit.
    ///
    /// ReLU and leaky ReLU use the left derivative at exactly 0. ELU's and SELU's left branch is
    /// written alpha e^x (= f(x) + alpha, without cancellation for very negative x).
    pub fn df64(&self, x: f64) -> f64 {
        if x.is_nan() {
            return x;
        }
        let slope = f64::from(self.slope);
        let alpha = f64::from(self.alpha);
        let beta = f64::from(self.beta);
        match self.kind {
            ActivationKind::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            ActivationKind::LeakyRelu => {
                if x > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            ActivationKind::Elu => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * x.exp()
                }
            }
            ActivationKind::Selu => {
                if x > 0.0 {
                    SELU_LAMBDA
                } else {
                    SELU_LAMBDA * SELU_ALPHA * x.exp()
                }
            }
            // d/dx x Phi(x) = Phi(x) + x phi(x).
            ActivationKind::Gelu => ramp_slope_limit(x)
                .unwrap_or_else(|| crate::special::phi_cdf(x) + x * crate::special::phi_pdf(x)),
            // d/dx x s(2u) = s(2u) + 2 x u' s(2u)(1 - s(2u)).
            ActivationKind::GeluTanh => ramp_slope_limit(x).unwrap_or_else(|| {
                let two_u = 2.0 * gelu_tanh_arg(x);
                let du = GELU_TANH_C * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x);
                sigmoid(two_u) + 2.0 * x * du * sigmoid_slope(two_u)
            }),
            // d/dx x s(beta x) = s(beta x) + beta x s(beta x)(1 - s(beta x)).
            ActivationKind::Silu => {
                let bx = beta * x;
                if beta == 0.0 {
                    0.5
                } else if bx.abs() > SATURATED {
                    if bx > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    sigmoid(bx) + bx * sigmoid_slope(bx)
                }
            }
            // sech^2 x = 1 / cosh^2 x, accurate where 1 - tanh^2 x would cancel.
            ActivationKind::Tanh => {
                let c = x.cosh();
                1.0 / (c * c)
            }
            ActivationKind::Sigmoid => sigmoid_slope(x),
            ActivationKind::Softplus => sigmoid(x),
            ActivationKind::Linear => 1.0,
        }
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
}

impl Activation {
    /// Writes phi(x) for every x of `input` into `output` (same length) by the chosen path.
    ///
    /// `Scalar` is [`Activation::apply_slice`] (f64 libm, one rounding). `Simd` evaluates the
    /// vectorized polynomial approximations of [`crate::vecmath`] in f32 (four lanes at a time,
    /// wasm simd128 in the browser; bit-identical plain f32 code elsewhere).
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
    /// 1.7e-7, softplus 1.7e-7, leaky ReLU 5.9e-8 (one rounding), ReLU and linear exact.
    pub fn apply_slice_with(&self, path: KernelPath, input: &[f32], output: &mut [f32]) {
        match path {
            KernelPath::Scalar => self.apply_slice(input, output),
            KernelPath::Simd => crate::vecmath::apply(self, input, output),
        }
    }

    /// Writes phi'(x) for every x of `input` into `output` (same length) by the chosen path
    /// (see [`Activation::apply_slice_with`]). The `Simd` accuracy against [`Activation::df64`]:
    /// |err| <= 1e-6 max(|phi'(x)|, 0.1): relative where the derivative is not small, absolute
    /// 1e-7 near the zeros of GELU's and SiLU's derivatives, where phi' is a difference of O(1)
    /// terms. Measured maxima of err / max(|phi'|, 0.1): SELU 1.3e-7, ELU 6.5e-8, GELU 9.8e-7
    /// (at x = -0.62, near the zero of GELU' at -0.75), GELU-tanh 6.8e-7, SiLU 4.2e-7, tanh
    /// 2.4e-7, sigmoid 2.2e-7, softplus 1.5e-7, ReLU, leaky ReLU and linear exact.
    pub fn derivative_slice_with(&self, path: KernelPath, input: &[f32], output: &mut [f32]) {
        match path {
            KernelPath::Scalar => self.derivative_slice(input, output),
            KernelPath::Simd => crate::vecmath::derivative(self, input, output),
        }
    }
}

/// sqrt(2/pi), the scale inside GELU's tanh approximation.
const GELU_TANH_C: f64 = 0.797_884_560_802_865_355_88;
/// The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel 2016).
const GELU_TANH_CUBIC: f64 = 0.044_715;

/// u = sqrt(2/pi) (x + 0.044715 x^3).
fn gelu_tanh_arg(x: f64) -> f64 {
    GELU_TANH_C * (x + GELU_TANH_CUBIC * x * x * x)
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
