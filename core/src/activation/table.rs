//! The activation table: one row per activation (see `activation_table!` in the parent
//! module). Adding an activation means adding a row here, its reference test in
//! tests/functions.rs, and its line in the README.
//!
//! Each row gives:
//! - `name`, `label`, `params`: the URL name, the page's label, the parameters it uses;
//! - `kink`: where phi or phi' jumps (the quadrature puts a panel edge there), None if smooth;
//! - `scale`: the length (in x) of phi's features, which grades the quadrature's panels;
//! - `f`, `df`: phi and phi' in f64, the reference definitions (NaN is handled before);
//! - `lanes`, `dlanes`: the same in f32 over four lanes (the `Simd` path), built only from
//!   exactly rounded operations and the vectorized functions of `crate::vecmath` (NaN lanes are
//!   restored afterwards).

// Constants are written with all the digits of their source.
#![allow(clippy::excessive_precision)]

use super::{
    ramp_limit, ramp_slope_limit, sigmoid, sigmoid_slope, Activation, ParamSpec, ALPHA, BETA,
    SATURATED, SLOPE,
};
use crate::lanes::F32x4;
use crate::vecmath::{self as vm, ramp};

/// SELU's lambda (Klambauer et al. 2017, eq. 14 solved for the fixed point (0, 1)).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;
/// SELU's alpha (Klambauer et al. 2017).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;

/// sqrt(2/pi), the scale inside GELU's tanh approximation.
const GELU_TANH_C: f64 = 0.797_884_560_802_865_355_88;
/// The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel 2016).
const GELU_TANH_CUBIC: f64 = 0.044_715;
/// The same two constants rounded to f32, for the lane versions.
const GELU_TANH_C32: f32 = 0.797_884_560_802_865_4;
const GELU_TANH_CUBIC32: f32 = 0.044_715;

/// u = sqrt(2/pi) (x + 0.044715 x^3).
fn gelu_tanh_arg(x: f64) -> f64 {
    GELU_TANH_C * (x + GELU_TANH_CUBIC * x * x * x)
}

#[inline(always)]
fn s(v: f32) -> F32x4 {
    F32x4::splat(v)
}

/// Mish's gate tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2); for x > 0 written with
/// u = e^-x as (1 + 2u) / (1 + 2u + 2u^2), so that nothing overflows and nothing cancels.
fn mish_gate(x: f64) -> f64 {
    if x > 0.0 {
        let u = (-x).exp();
        (1.0 + 2.0 * u) / (1.0 + 2.0 * u + 2.0 * u * u)
    } else {
        let e = x.exp();
        let n = e * (e + 2.0);
        n / (n + 2.0)
    }
}

/// x sech^2(softplus(x)) sigmoid(x), the second term of Mish': 4 x e (1 + e) / (n + 2)^2 with
/// e = e^x, n = e (e + 2); for x > 0, 4 x (1 + u) u^2 / (1 + 2u + 2u^2)^2 with u = e^-x.
fn mish_slope_term(x: f64) -> f64 {
    if x > 0.0 {
        let u = (-x).exp();
        let d = 1.0 + 2.0 * u + 2.0 * u * u;
        4.0 * x * (1.0 + u) * u * u / (d * d)
    } else {
        let e = x.exp();
        let d = e * (e + 2.0) + 2.0;
        4.0 * x * e * (1.0 + e) / (d * d)
    }
}

/// Mish's gate and its slope term over lanes, with u = e^-|x| shared by both signs:
/// (gate, x sech^2(softplus x) sigmoid x), the formulas of [`mish_gate`] and [`mish_slope_term`].
#[inline(always)]
fn mish_lanes(x: F32x4) -> (F32x4, F32x4) {
    let one = s(1.0);
    let two = s(2.0);
    let u = vm::exp_neg_abs(x);
    let pos = x.gt(s(0.0));
    // x > 0: gate (1 + 2u) / d_pos, d_pos = 1 + 2u + 2u^2.
    let num_pos = one + two * u;
    let d_pos = num_pos + two * (u * u);
    // x <= 0 (u = e^x): n = u (u + 2), gate n / (n + 2).
    let n = u * (u + two);
    let d_neg = n + two;
    let gate = pos.select(num_pos / d_pos, n / d_neg);
    let term_pos = (s(4.0) * x * (one + u) * (u * u)) / (d_pos * d_pos);
    let term_neg = (s(4.0) * x * u * (one + u)) / (d_neg * d_neg);
    (gate, pos.select(term_pos, term_neg))
}

activation_table! {
    Selu {
        name: "selu",
        label: "SELU",
        params: [],
        kink: Some(0.0),
        scale: |_| 1.0,
        // exp_m1 keeps full relative accuracy near 0, where e^x - 1 would cancel.
        f: |_, x| if x > 0.0 { SELU_LAMBDA * x } else { SELU_LAMBDA * SELU_ALPHA * x.exp_m1() },
        df: |_, x| if x > 0.0 { SELU_LAMBDA } else { SELU_LAMBDA * SELU_ALPHA * x.exp() },
        lanes: |_, x| x.gt(s(0.0)).select(
            s(SELU_LAMBDA as f32) * x,
            s((SELU_LAMBDA * SELU_ALPHA) as f32) * vm::expm1(x),
        ),
        dlanes: |_, x| x.gt(s(0.0)).select(
            s(SELU_LAMBDA as f32),
            s((SELU_LAMBDA * SELU_ALPHA) as f32) * vm::exp(x),
        ),
    },
    Relu {
        name: "relu",
        label: "ReLU",
        params: [],
        kink: Some(0.0),
        scale: |_| 1.0,
        f: |_, x| if x > 0.0 { x } else { 0.0 },
        df: |_, x| if x > 0.0 { 1.0 } else { 0.0 },
        lanes: |_, x| x.gt(s(0.0)).select(x, s(0.0)),
        dlanes: |_, x| x.gt(s(0.0)).select(s(1.0), s(0.0)),
    },
    LeakyRelu {
        name: "leaky_relu",
        label: "Leaky ReLU",
        params: [SLOPE],
        kink: Some(0.0),
        scale: |_| 1.0,
        f: |a, x| if x > 0.0 { x } else { f64::from(a.slope) * x },
        df: |a, x| if x > 0.0 { 1.0 } else { f64::from(a.slope) },
        lanes: |a, x| x.gt(s(0.0)).select(x, s(a.slope) * x),
        dlanes: |a, x| x.gt(s(0.0)).select(s(1.0), s(a.slope)),
    },
    Elu {
        name: "elu",
        label: "ELU",
        params: [ALPHA],
        kink: Some(0.0),
        scale: |_| 1.0,
        f: |a, x| if x > 0.0 { x } else { f64::from(a.alpha) * x.exp_m1() },
        df: |a, x| if x > 0.0 { 1.0 } else { f64::from(a.alpha) * x.exp() },
        lanes: |a, x| x.gt(s(0.0)).select(x, s(a.alpha) * vm::expm1(x)),
        dlanes: |a, x| x.gt(s(0.0)).select(s(1.0), s(a.alpha) * vm::exp(x)),
    },
    /// GELU, exact: x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
    Gelu {
        name: "gelu",
        label: "GELU (exact, erf)",
        params: [],
        kink: None,
        scale: |_| 1.0,
        // x Phi(x) with Phi from erfc: no cancellation in the left tail.
        f: |_, x| ramp_limit(x).unwrap_or_else(|| x * crate::special::phi_cdf(x)),
        // d/dx x Phi(x) = Phi(x) + x phi(x).
        df: |_, x| ramp_slope_limit(x)
            .unwrap_or_else(|| crate::special::phi_cdf(x) + x * crate::special::phi_pdf(x)),
        lanes: |_, x| ramp(x, x * vm::normal_cdf_pdf(x).0, x),
        dlanes: |_, x| {
            let (cdf, pdf) = vm::normal_cdf_pdf(x);
            ramp(x, cdf + x * pdf, s(1.0))
        },
    },
    /// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    GeluTanh {
        name: "gelu_tanh",
        label: "GELU (tanh approximation)",
        params: [],
        kink: None,
        scale: |_| 1.0,
        // 0.5 (1 + tanh(u)) = sigmoid(2u): the same function without cancellation for u << 0.
        f: |_, x| ramp_limit(x).unwrap_or_else(|| x * sigmoid(2.0 * gelu_tanh_arg(x))),
        // d/dx x s(2u) = s(2u) + 2 x u' s(2u)(1 - s(2u)).
        df: |_, x| ramp_slope_limit(x).unwrap_or_else(|| {
            let two_u = 2.0 * gelu_tanh_arg(x);
            let du = GELU_TANH_C * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x);
            sigmoid(two_u) + 2.0 * x * du * sigmoid_slope(two_u)
        }),
        lanes: |_, x| {
            let u = s(GELU_TANH_C32) * (x + s(GELU_TANH_CUBIC32) * (x * x * x));
            ramp(x, x * vm::sigmoid(s(2.0) * u), x)
        },
        dlanes: |_, x| {
            let two_u = s(2.0 * GELU_TANH_C32) * (x + s(GELU_TANH_CUBIC32) * (x * x * x));
            let du = s(GELU_TANH_C32) * (s(1.0) + s(3.0 * GELU_TANH_CUBIC32) * (x * x));
            let v = vm::sigmoid(two_u) + (s(2.0) * x * du) * vm::sigmoid_slope(two_u);
            ramp(x, v, s(1.0))
        },
    },
    /// Swish x sigmoid(beta x); beta = 1 is SiLU.
    Silu {
        name: "silu",
        label: "SiLU / Swish",
        params: [BETA],
        kink: None,
        // Features scale with 1/|beta|.
        scale: |a| {
            let beta = f64::from(a.beta).abs();
            if beta > 0.0 {
                (1.0 / beta).clamp(1e-3, 1e3)
            } else {
                1.0
            }
        },
        f: |a, x| {
            let beta = f64::from(a.beta);
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
        },
        // d/dx x s(beta x) = s(beta x) + beta x s(beta x)(1 - s(beta x)).
        df: |a, x| {
            let beta = f64::from(a.beta);
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
        },
        lanes: |a, x| {
            if a.beta == 0.0 {
                s(0.5) * x
            } else {
                let bx = s(a.beta) * x;
                ramp(bx, x * vm::sigmoid(bx), x)
            }
        },
        dlanes: |a, x| {
            if a.beta == 0.0 {
                s(0.5)
            } else {
                let bx = s(a.beta) * x;
                ramp(bx, vm::sigmoid(bx) + bx * vm::sigmoid_slope(bx), s(1.0))
            }
        },
    },
    Tanh {
        name: "tanh",
        label: "tanh",
        params: [],
        kink: None,
        scale: |_| 1.0,
        f: |_, x| x.tanh(),
        // sech^2 x = 1 / cosh^2 x, accurate where 1 - tanh^2 x would cancel.
        df: |_, x| {
            let c = x.cosh();
            1.0 / (c * c)
        },
        lanes: |_, x| vm::tanh(x),
        dlanes: |_, x| vm::tanh_slope(x),
    },
    Sigmoid {
        name: "sigmoid",
        label: "sigmoid",
        params: [],
        kink: None,
        scale: |_| 1.0,
        f: |_, x| sigmoid(x),
        df: |_, x| sigmoid_slope(x),
        lanes: |_, x| vm::sigmoid(x),
        dlanes: |_, x| vm::sigmoid_slope(x),
    },
    Softplus {
        name: "softplus",
        label: "softplus",
        params: [],
        kink: None,
        scale: |_| 1.0,
        f: |_, x| x.max(0.0) + (-x.abs()).exp().ln_1p(),
        df: |_, x| sigmoid(x),
        lanes: |_, x| x.pmax(s(0.0)) + vm::log1p_unit(vm::exp_neg_abs(x)),
        dlanes: |_, x| vm::sigmoid(x),
    },
    Linear {
        name: "linear",
        label: "linear (identity)",
        params: [],
        kink: None,
        scale: |_| 1.0,
        f: |_, x| x,
        df: |_, _x| 1.0,
        lanes: |_, x| x,
        dlanes: |_, _x| s(1.0),
    },
    /// Mish x tanh(softplus(x)) (Misra 2019).
    Mish {
        name: "mish",
        label: "Mish",
        params: [],
        kink: None,
        scale: |_| 1.0,
        f: |_, x| ramp_limit(x).unwrap_or_else(|| x * mish_gate(x)),
        // d/dx x tanh(sp(x)) = tanh(sp(x)) + x sech^2(sp(x)) sigmoid(x).
        df: |_, x| ramp_slope_limit(x).unwrap_or_else(|| mish_gate(x) + mish_slope_term(x)),
        lanes: |_, x| ramp(x, x * mish_lanes(x).0, x),
        dlanes: |_, x| {
            let (gate, term) = mish_lanes(x);
            ramp(x, gate + term, s(1.0))
        },
    },
    /// CELU max(0, x) + min(0, alpha (e^(x/alpha) - 1)) (Barron 2017); alpha = 0 is the limit,
    /// ReLU.
    Celu {
        name: "celu",
        label: "CELU",
        params: [ALPHA],
        kink: Some(0.0),
        // Features scale with alpha.
        scale: |a| {
            let alpha = f64::from(a.alpha).abs();
            if alpha > 0.0 {
                alpha.clamp(1e-3, 1e3)
            } else {
                1.0
            }
        },
        f: |a, x| {
            let alpha = f64::from(a.alpha);
            if x > 0.0 {
                x
            } else if alpha == 0.0 {
                0.0
            } else {
                alpha * (x / alpha).exp_m1()
            }
        },
        df: |a, x| {
            let alpha = f64::from(a.alpha);
            if x > 0.0 {
                1.0
            } else if alpha == 0.0 {
                0.0
            } else {
                (x / alpha).exp()
            }
        },
        lanes: |a, x| {
            if a.alpha == 0.0 {
                x.gt(s(0.0)).select(x, s(0.0))
            } else {
                x.gt(s(0.0)).select(x, s(a.alpha) * vm::expm1(x / s(a.alpha)))
            }
        },
        dlanes: |a, x| {
            if a.alpha == 0.0 {
                x.gt(s(0.0)).select(s(1.0), s(0.0))
            } else {
                x.gt(s(0.0)).select(s(1.0), vm::exp(x / s(a.alpha)))
            }
        },
    },
}
