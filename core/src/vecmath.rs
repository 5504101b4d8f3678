//! Vectorized f32 elementary functions, from which the activation table (`crate::activation`)
//! builds the lane versions of its activations: the `Simd` path of
//! [`crate::Activation::apply_slice_with`] and [`crate::Activation::derivative_slice_with`].
//! This module knows no activation (the table depends on it, not the reverse).
//!
//! Everything is written once over [`F32x4`], so the same operation sequence runs as wasm
//! simd128 instructions in the browser and as plain f32 code elsewhere, with bit-identical
//! results. Only exactly rounded IEEE operations are used (no FMA), branches are selects.
//!
//! - e^x: Cody-Waite range reduction x = k ln 2 + r (ln 2 split in two constants so that k C1 is
//!   exact), the Cephes `expf` minimax polynomial on |r| <= ln2/2, and 2^k put in the exponent
//!   bits. Arguments below -87.33 give 0 (true results there are below 1.2e-38); above 88 give
//!   +inf (no activation uses e^x for positive arguments above about 1.3; CELU's
//!   derivative computes e^(x/alpha) on every lane and selects it only for x <= 0).
//! - e^x - 1: the degree-8 Taylor polynomial on |x| < ln2/2 (truncation below 1e-9 relative), else
//!   e^x - 1 (no cancellation there), so ELU, SELU and tanh keep their relative accuracy near 0.
//! - ln(1 + y), 0 <= y <= 1 (softplus): u = 1 + y, the Cephes `logf` polynomial for ln u
//!   (u reduced to [sqrt(1/2), sqrt 2)), plus the rounding correction (y - (u - 1)) / u.
//! - The normal CDF (exact GELU): Phi(-a) = erfc(a / sqrt 2) / 2 with the Numerical Recipes
//!   Chebyshev fit erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), fractional error below 1.2e-7
//!   (Press et al., Numerical Recipes, 2nd ed., section 6.2, `erfcc`). e^(-a^2/2) is taken from
//!   the exact square a^2 = hi + lo (Dekker's product), so the tail keeps its relative accuracy.
//!
//! Measured maximum errors against the f64 definitions are in tests/kernels.rs and in the
//! documentation of [`crate::Activation::apply_slice_with`].

// Constants are written with all the digits of their source.
#![allow(clippy::excessive_precision)]

use crate::lanes::{F32x4, I32x4};

type V = F32x4;

#[inline(always)]
fn s(v: f32) -> V {
    V::splat(v)
}

/// Horner evaluation of c[0] x^(n-1) + ... + c[n-1].
#[inline(always)]
fn horner(x: V, c: &[f32]) -> V {
    let mut p = s(c[0]);
    for &ci in &c[1..] {
        p = p * x + s(ci);
    }
    p
}

/// Below this, e^x is returned as 0 (2^-126 is the smallest normal f32).
const EXP_LO: f32 = -87.33;
/// Above this, e^x is returned as +inf.
const EXP_HI: f32 = 88.0;
/// 1.5 * 2^23: (t + R) - R rounds t to the nearest integer (ties to even) for |t| < 2^22.
const ROUND: f32 = 12_582_912.0;

/// e^x (see the module documentation). NaN gives NaN.
#[inline(always)]
pub fn exp(x: V) -> V {
    const C1: f32 = 0.693_359_375;
    const C2: f32 = -2.121_944_4e-4;
    const P: [f32; 6] = [
        1.987_569_15e-4,
        1.398_199_950_7e-3,
        8.333_451_907_3e-3,
        4.166_579_589_4e-2,
        1.666_666_545_9e-1,
        5.000_000_120_1e-1,
    ];
    let xc = x.pmax(s(EXP_LO)).pmin(s(EXP_HI));
    let k = (xc * s(core::f32::consts::LOG2_E) + s(ROUND)) - s(ROUND);
    let r = (xc - k * s(C1)) - k * s(C2);
    let p = horner(r, &P) * (r * r) + r + s(1.0);
    let two_k = V::from_bits(k.to_i32().wrapping_add(I32x4::splat(127)).shl::<23>());
    let y = p * two_k;
    let y = x.lt(s(EXP_LO)).select(s(0.0), y);
    x.gt(s(EXP_HI)).select(s(f32::INFINITY), y)
}

/// e^x - 1 with full relative accuracy near 0.
#[inline(always)]
pub fn expm1(x: V) -> V {
    const T: [f32; 7] = [
        1.0 / 40320.0,
        1.0 / 5040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let taylor = x + (x * x) * horner(x, &T);
    let large = exp(x) - s(1.0);
    x.abs().lt(s(0.346_573_6)).select(taylor, large)
}

/// ln(1 + y) for y in [0, 1].
#[inline(always)]
pub fn log1p_unit(y: V) -> V {
    const Q: [f32; 9] = [
        7.037_683_629_2e-2,
        -1.151_461_031_0e-1,
        1.167_699_874_0e-1,
        -1.242_014_084_6e-1,
        1.424_932_278_7e-1,
        -1.666_805_766_5e-1,
        2.000_071_476_5e-1,
        -2.499_999_399_3e-1,
        3.333_333_117_4e-1,
    ];
    let u = s(1.0) + y;
    let big = u.ge(s(core::f32::consts::SQRT_2));
    let m = big.select(u * s(0.5), u);
    let e = big.select(s(1.0), s(0.0));
    let t = m - s(1.0);
    let z = t * t;
    let mut q = horner(t, &Q) * t * z;
    q = q + e * s(-2.121_944_4e-4);
    q = q - s(0.5) * z;
    let ln_u = (t + q) + e * s(0.693_359_375);
    ln_u + (y - (u - s(1.0))) / u
}

/// (e, 1 + e, ...) helper: e = e^-|x|.
#[inline(always)]
pub fn exp_neg_abs(x: V) -> V {
    exp(s(0.0) - x.abs())
}

/// Logistic sigmoid, 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below.
#[inline(always)]
pub fn sigmoid(x: V) -> V {
    let e = exp_neg_abs(x);
    let d = s(1.0) + e;
    x.ge(s(0.0)).select(s(1.0) / d, e / d)
}

/// sigmoid'(x) = e^-|x| / (1 + e^-|x|)^2.
#[inline(always)]
pub fn sigmoid_slope(x: V) -> V {
    let e = exp_neg_abs(x);
    let d = s(1.0) + e;
    e / (d * d)
}

/// tanh x = -expm1(-2|x|) / (2 + expm1(-2|x|)) with the sign of x.
#[inline(always)]
pub fn tanh(x: V) -> V {
    let em = expm1(s(-2.0) * x.abs());
    let t = (s(0.0) - em) / (s(2.0) + em);
    t.xor(x.sign_bit())
}

/// tanh'(x) = 1 / cosh^2 x = 4 e / (1 + e)^2 with e = e^(-2|x|).
#[inline(always)]
pub fn tanh_slope(x: V) -> V {
    let e = exp(s(-2.0) * x.abs());
    let d = s(1.0) + e;
    (s(4.0) * e) / (d * d)
}

/// Clamp of |x| for the normal CDF: Phi(-20) underflows f32 (and so does the density).
const PHI_CLAMP: f32 = 20.0;

/// (Phi(x), phi(x)): the standard normal CDF and density.
#[inline(always)]
pub fn normal_cdf_pdf(x: V) -> (V, V) {
    const P: [f32; 9] = [
        0.170_872_77,
        -0.822_152_23,
        1.488_515_87,
        -1.135_203_98,
        0.278_868_07,
        -0.186_288_06,
        0.096_784_18,
        0.374_091_96,
        1.000_023_68,
    ];
    let a = x.abs().pmin(s(PHI_CLAMP));
    // Dekker: a^2 = hi + lo exactly (a <= 20, no overflow in the split).
    let c = s(4097.0) * a;
    let ah = c - (c - a);
    let al = a - ah;
    let hi = a * a;
    let lo = ((ah * ah - hi) + s(2.0) * ah * al) + al * al;
    let g = exp(s(-0.5) * hi);
    let z = a * s(core::f32::consts::FRAC_1_SQRT_2);
    let t = s(1.0) / (s(1.0) + s(0.5) * z);
    let fit = t * horner(t, &P) - s(1.265_512_23);
    // erfc(z) = t e^(-z^2) e^(fit) with z^2 = a^2 / 2 = (hi + lo) / 2.
    let erfc = t * g * exp(fit - s(0.5) * lo);
    let half = s(0.5) * erfc;
    let cdf = x.lt(s(0.0)).select(half, s(1.0) - half);
    let pdf = (g * (s(1.0) - s(0.5) * lo)) * s(0.398_942_280_401_432_7);
    (cdf, pdf)
}

/// Beyond this |argument| ramps x w(x) take their limits, as in [`crate::Activation::f64`].
const SATURATED: f32 = 1e3;

/// For ramps: `limit` (x or 0, by the sign of `arg`) where |arg| > 1000, else `value`.
#[inline(always)]
pub fn ramp(arg: V, value: V, if_pos: V) -> V {
    let sat = arg.abs().gt(s(SATURATED));
    sat.select(arg.gt(s(0.0)).select(if_pos, s(0.0)), value)
}

/// out[i] = f(input[i]) four lanes at a time; the last len mod 4 values go through a zero-padded
/// vector (lanes are independent, so padding does not change them).
#[inline(always)]
pub fn map(input: &[f32], output: &mut [f32], f: impl Fn(V) -> V) {
    assert_eq!(input.len(), output.len(), "map: lengths differ");
    let whole = input.len() / 4 * 4;
    for (i, o) in input[..whole]
        .chunks_exact(4)
        .zip(output[..whole].chunks_exact_mut(4))
    {
        f(V::load(i)).store(o);
    }
    if whole < input.len() {
        let mut buf = [0.0f32; 4];
        let rest = input.len() - whole;
        buf[..rest].copy_from_slice(&input[whole..]);
        let y = f(V::load(&buf)).to_array();
        output[whole..].copy_from_slice(&y[..rest]);
    }
}
