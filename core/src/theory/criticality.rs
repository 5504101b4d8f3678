//! Fixed points, chi_1, depth scales, phases and the phase diagram (Poole et al. 2016;
//! Schoenholz et al. 2017).

use super::propagation::correlation_map_with;
use super::quadrature::{brent, Quadrature};
use super::{second_moment, shape};
use crate::activation::Activation;
use std::ops::RangeInclusive;

/// |chi_1 - 1| below this counts as critical.
pub const CRITICAL_TOLERANCE: f64 = 1e-3;
/// A map slope within this of 1 counts as exactly 1 (neutral): the quadrature's relative error
/// is below 1e-13, so a computed 1 - 1e-11 is not evidence of attraction.
pub const NEUTRAL_TOLERANCE: f64 = 1e-9;
/// q beyond this counts as diverging, below [`Q_MIN`] as collapsing.
const Q_MAX: f64 = 1e15;
const Q_MIN: f64 = 1e-30;
/// Factor between the trial values that bracket the fixed point of the length map.
const BRACKET_FACTOR: f64 = 8.0;
/// Fixed points below this found by the fast rule are re-checked with the accurate rule.
const TINY_Q_STAR: f64 = 1e-6;
/// Rates this close to 1 count as 1 in [`depth_scale`].
const RATE_ROUNDING: f64 = 1e-12;

/// chi_1 = sigma_w^2 E[phi'(sqrt(q) z)^2] (Poole et al. 2016; Schoenholz et al. 2017): the
/// factor by which the mean squared gradient grows per layer backwards, and the slope of the
/// correlation map at c = 1. Evaluated at the fixed point q* it decides the phase: < 1
/// ordered, > 1 chaotic, = 1 critical.
///
/// `q = 0` gives the limit q -> 0+, sigma_w^2 (phi'(0+)^2 + phi'(0-)^2) / 2 (for a kink the
/// two one-sided slopes are each hit with probability 1/2); `q = inf` the limit
/// sigma_w^2 (phi'(+inf)^2 + phi'(-inf)^2) / 2. Negative or NaN q gives NaN.
pub fn chi1(act: &Activation, sigma_w2: f64, q: f64) -> f64 {
    chi1_with(Quadrature::Accurate, act, sigma_w2, q)
}

fn chi1_with(quad: Quadrature, act: &Activation, sigma_w2: f64, q: f64) -> f64 {
    let mean_of_squares = |a: f64, b: f64| 0.5 * (a * a + b * b);
    if q == 0.0 {
        let tiny = f64::MIN_POSITIVE;
        sigma_w2 * mean_of_squares(act.df64(tiny), act.df64(-tiny))
    } else if q == f64::INFINITY {
        sigma_w2 * mean_of_squares(act.df64(f64::INFINITY), act.df64(f64::NEG_INFINITY))
    } else if q > 0.0 {
        let slope2 = quad.expect_array(shape(act), 0.0, q.sqrt(), |x| {
            let d = act.df64(x);
            [d * d]
        });
        sigma_w2 * slope2[0]
    } else {
        f64::NAN
    }
}

/// dq^l / dq^(l-1), the slope of the length map at q: sigma_w^2 E[z phi(sqrt q z)
/// phi'(sqrt q z)] / sqrt(q), which by Stein's lemma equals chi_1 + sigma_w^2
/// E[phi''(sqrt q z) phi(sqrt q z)], the expression of Schoenholz et al. 2017 for xi_q. The
/// Stein form needs no phi'': for ReLU, leaky ReLU, ELU and SELU, phi'' holds a delta at the
/// kink, but it is multiplied by phi(0) = 0, so it contributes nothing, which is also what the
/// Stein form gives. At the fixed point, xi_q = -1 / ln(slope) ([`depth_scale`]).
///
/// `q = 0` gives the limit chi_1(0) when phi(0) = 0 (NaN otherwise, where the limit needs
/// phi''(0)); negative or NaN q gives NaN.
pub fn length_map_slope(act: &Activation, sigma_w2: f64, q: f64) -> f64 {
    length_map_slope_with(Quadrature::Accurate, act, sigma_w2, q)
}

fn length_map_slope_with(quad: Quadrature, act: &Activation, sigma_w2: f64, q: f64) -> f64 {
    if q == 0.0 {
        return if act.f64(0.0) == 0.0 {
            chi1_with(quad, act, sigma_w2, 0.0)
        } else {
            f64::NAN
        };
    }
    if q.is_nan() || q < 0.0 {
        return f64::NAN;
    }
    let std = q.sqrt();
    let moment = quad.expect_array(shape(act), 0.0, std, |x| [x * act.f64(x) * act.df64(x)]);
    // E[z phi phi'] with z = x / std, divided by sqrt(q) = std.
    sigma_w2 * moment[0] / q
}

/// A depth scale xi = -1 / ln(rate) for a quantity that approaches its fixed point as
/// rate^l (Schoenholz et al. 2017, xi_q and xi_c): 0 for rate 0, infinite for |rate| >= 1
/// (no exponential approach: critical or unstable) and for rates within 1e-12 of 1 (the
/// quadrature's rounding, as for ReLU at sigma_w^2 = 2), NaN for NaN.
pub fn depth_scale(rate: f64) -> f64 {
    let rate = rate.abs();
    if rate >= 1.0 - RATE_ROUNDING {
        f64::INFINITY
    } else {
        -1.0 / rate.ln()
    }
}

/// Where the length map q^l = sigma_w^2 E[phi(sqrt(q^(l-1)) z)^2] + sigma_b^2 goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LengthFixedPoint {
    /// q^l converges to this q* > 0.
    Finite(f64),
    /// q^l -> 0 (only possible with sigma_b = 0 and phi(0) = 0): the signal vanishes.
    Collapses,
    /// q^l -> infinity: the signal explodes.
    Diverges,
}

impl LengthFixedPoint {
    /// q* if finite.
    pub fn q_star(self) -> Option<f64> {
        match self {
            LengthFixedPoint::Finite(q) => Some(q),
            _ => None,
        }
    }
}

/// The limit of the length map iterated from `q_start` (Poole et al. 2016).
///
/// Solved, not iterated (iteration converges slowly near the phase boundary, algebraically at
/// criticality): the length map V is increasing in q for every activation of this crate
/// (checked by the tests), so the iterates move monotonically towards the nearest fixed point
/// in the direction of V(q_start) - q_start. That fixed point is bracketed by trial values
/// q_start 8^(+-k) and found by Brent's method to about 1e-15 relative. A sign change of
/// V(q) - q only counts if |V(q) - q| exceeds the quadrature's relative noise (1e-12 q), so
/// that a tangency at q = 0 (tanh at sigma_w^2 = 1, sigma_b^2 = 0, where V(q) - q ~ -2 q^2)
/// does not produce a spurious q* of 1e-16. No sign change up to q = 1e15 is reported as
/// [`LengthFixedPoint::Diverges`], none down to 1e-30 as [`LengthFixedPoint::Collapses`]. If V(q_start) = q_start to rounding (ReLU at
/// sigma_w^2 = 2, sigma_b^2 = 0, where every q is a fixed point), q_start is returned.
/// Invalid arguments (negative variances, q_start <= 0, non-finite values) give Finite(NaN).
pub fn length_fixed_point(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q_start: f64,
) -> LengthFixedPoint {
    length_fixed_point_with(Quadrature::Accurate, act, sigma_w2, sigma_b2, q_start)
}

fn length_fixed_point_with(
    quad: Quadrature,
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q_start: f64,
) -> LengthFixedPoint {
    let valid = sigma_w2 >= 0.0 && sigma_b2 >= 0.0 && q_start > 0.0;
    if !(valid && sigma_w2.is_finite() && sigma_b2.is_finite() && q_start.is_finite()) {
        return LengthFixedPoint::Finite(f64::NAN);
    }
    let excess = |q: f64| sigma_w2 * second_moment(act, quad, q) + sigma_b2 - q;
    let start = excess(q_start);
    if start.abs() <= 64.0 * f64::EPSILON * q_start {
        return LengthFixedPoint::Finite(q_start);
    }
    let (mut near, mut far) = (q_start, q_start);
    loop {
        far = if start > 0.0 {
            far * BRACKET_FACTOR
        } else {
            far / BRACKET_FACTOR
        };
        if far > Q_MAX {
            return LengthFixedPoint::Diverges;
        }
        if far < Q_MIN {
            return LengthFixedPoint::Collapses;
        }
        let value = excess(far);
        if (value > 0.0) == (start > 0.0) {
            near = far;
        } else if value.abs() > quad.relative_noise() * far {
            break;
        }
        // An opposite sign within the quadrature's noise carries no information (near a
        // tangency at q = 0, V(q) - q ~ -q^2 drowns in it): keep searching.
    }
    let tol = 4.0 * f64::EPSILON * near.max(far);
    LengthFixedPoint::Finite(brent(excess, near.min(far), near.max(far), tol))
}

/// sigma_w^2 E[phi'(u_a) phi'(u_b)] for pre-activations with second moment q and
/// correlation c: the slope dc'/dc of the correlation map at c (by Price's theorem, with
/// q_aa = q_bb = q* fixed), chi_1 at c = 1 and chi_c at the fixed point c*, where
/// xi_c = -1 / ln(chi_c) (Schoenholz et al. 2017).
pub fn correlation_slope(act: &Activation, sigma_w2: f64, q: f64, c: f64) -> f64 {
    if c >= 1.0 {
        return chi1(act, sigma_w2, q);
    }
    let scale = shape(act);
    let slope = |x: f64| act.df64(x);
    let cross = Quadrature::Accurate.expect_2d(scale, scale, slope, slope, q, q, c * q);
    sigma_w2 * cross
}

/// The stable fixed point c* of the correlation map at q_aa = q_bb = q* (Poole et al. 2016;
/// Schoenholz et al. 2017).
///
/// c = 1 is always a fixed point, with slope chi_1(q*). If chi_1 <= 1 (ordered or exactly
/// critical) it is the stable one and c* = 1. If chi_1 > 1 it repels, and c* < 1 is the root of
/// C(c) - c, where C is the correlation map, bracketed between c = 1 - delta (delta = 1e-2
/// down to 1e-6, the first with C(c) < c) and c = 0 or, if C(0) < 0, c = -1 (C(-1) >= -1 by
/// Cauchy-Schwarz), found by Brent's method to 1e-13. If no delta shows C(c) < c (chi_1 barely
/// above 1, with c* within 1e-6 of 1), returns 1.
pub fn correlation_fixed_point(act: &Activation, sigma_w2: f64, sigma_b2: f64, q_star: f64) -> f64 {
    if !(q_star > 0.0 && q_star.is_finite()) {
        return f64::NAN;
    }
    if chi1(act, sigma_w2, q_star) <= 1.0 {
        return 1.0;
    }
    let excess = |c: f64| {
        let (_, _, next) = correlation_map_with(
            Quadrature::Accurate,
            act,
            sigma_w2,
            sigma_b2,
            q_star,
            q_star,
            c,
        );
        next - c
    };
    let Some(upper) = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
        .into_iter()
        .map(|delta| 1.0 - delta)
        .find(|&c| excess(c) < 0.0)
    else {
        return 1.0;
    };
    let at_zero = excess(0.0);
    if at_zero == 0.0 {
        return 0.0;
    }
    let lower = if at_zero > 0.0 { 0.0 } else { -1.0 };
    let upper = if at_zero > 0.0 { upper } else { 0.0 };
    brent(excess, lower, upper, 1e-13)
}

/// Ordered, critical or chaotic, by chi_1 (Poole et al. 2016; Schoenholz et al. 2017).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// chi_1 < 1: nearby inputs become perfectly correlated (c -> 1) and gradients vanish.
    Ordered,
    /// |chi_1 - 1| < [`CRITICAL_TOLERANCE`]: signals and gradients propagate deepest.
    Critical,
    /// chi_1 > 1: nearby inputs decorrelate (c -> c* < 1) and gradients explode.
    Chaotic,
}

impl Phase {
    /// The phase of chi_1 (NaN, from invalid arguments, counts as chaotic).
    pub fn of_chi1(chi1: f64) -> Phase {
        if (chi1 - 1.0).abs() < CRITICAL_TOLERANCE {
            Phase::Critical
        } else if chi1 < 1.0 {
            Phase::Ordered
        } else {
            Phase::Chaotic
        }
    }

    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Ordered => "ordered (gradients vanish)",
            Phase::Critical => "critical (edge of chaos)",
            Phase::Chaotic => "chaotic (gradients explode)",
        }
    }
}

/// The mean-field summary of an activation at (sigma_w^2, sigma_b^2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanField {
    /// Fixed point q* of the length map reached from `q_first`; None when q collapses to 0 or
    /// diverges (see `length`, which says which).
    pub q_star: Option<f64>,
    /// Where the length map goes from `q_first`.
    pub length: LengthFixedPoint,
    /// chi_1 at q*; when q collapses or diverges, its limit at q -> 0 or q -> infinity
    /// (see [`chi1`]).
    pub chi1: f64,
    /// Depth scale of the approach of q^l to q*: -1 / ln(dq^l/dq^(l-1) at q*). When q
    /// collapses, the rate of the collapse (the slope at q -> 0, which is chi_1(0)); NaN when
    /// q diverges.
    pub xi_q: f64,
    /// Depth scale of the approach of c^l to c*: -1 / ln(chi_c) with chi_c the slope of the
    /// correlation map at c*; infinite at criticality; NaN without a finite q*.
    pub xi_c: f64,
    /// Stable fixed point of the correlation map (1 in the ordered phase); NaN without a
    /// finite q*.
    pub c_star: f64,
    /// Phase by chi_1.
    pub phase: Phase,
    /// q^1, where the length map starts: the network's first layer, sigma_w^2 E[(x^0)^2] +
    /// sigma_b^2 (1 for [`mean_field`]).
    pub q_first: f64,
    /// The length map has slope 1 at q* (within [`NEUTRAL_TOLERANCE`]): q* neither attracts nor
    /// repels, and q stays where the first layer puts it. With V(q) = q on both sides (ReLU at
    /// sigma_w^2 = 2 and the linear map at sigma_w^2 = 1, both without bias) every q is a
    /// fixed point; `every_q_fixed` says so.
    pub neutral: bool,
    /// V(q) = q also at q*/2 and 2 q*: a continuum of fixed points, not one.
    pub every_q_fixed: bool,
    /// The correlation map at q* is the identity (the linear activation without bias): every c
    /// is a fixed point, none attracts, and `c_star` is NaN.
    pub every_c_fixed: bool,
}

/// [`mean_field_from`] with the length map started at q = 1.
pub fn mean_field(act: &Activation, sigma_w2: f64, sigma_b2: f64) -> MeanField {
    mean_field_from(act, sigma_w2, sigma_b2, 1.0)
}

/// q*, chi_1, xi_q, xi_c, c* and the phase of an activation at (sigma_w^2, sigma_b^2), with
/// the length map started at `q_first`, the network's first layer
/// q^1 = sigma_w^2 E[(x^0)^2] + sigma_b^2: where the map has an unstable fixed point between 1 and q^1 (GELU and SiLU at
/// large gains) the start decides between collapse and divergence. `q_first` = 0 (no signal)
/// collapses when phi(0) = 0 and sigma_b^2 = 0 and starts just above 0 otherwise. Schoenholz
/// et al. 2017 find that networks train only when the depth is below about 6 xi_c.
///
/// A neutral length map (slope 1 at q*, see [`MeanField::neutral`]) has xi_q infinite; a
/// correlation map that is the identity ([`MeanField::every_c_fixed`]) has c* and xi_c NaN.
pub fn mean_field_from(act: &Activation, sigma_w2: f64, sigma_b2: f64, q_first: f64) -> MeanField {
    let length = if q_first == 0.0 && sigma_b2 == 0.0 && act.f64(0.0) == 0.0 {
        LengthFixedPoint::Collapses
    } else {
        length_fixed_point(act, sigma_w2, sigma_b2, q_first.max(f64::MIN_POSITIVE))
    };
    let (mut neutral, mut every_q_fixed, mut every_c_fixed) = (false, false, false);
    let (chi1_value, xi_q, xi_c, c_star) = match length {
        LengthFixedPoint::Finite(q) => {
            let chi = chi1(act, sigma_w2, q);
            let slope = length_map_slope(act, sigma_w2, q);
            neutral = (slope - 1.0).abs() < NEUTRAL_TOLERANCE;
            let xi_q = if neutral {
                f64::INFINITY
            } else {
                depth_scale(slope)
            };
            if neutral {
                let off = |x: f64| {
                    let v = sigma_w2 * second_moment(act, Quadrature::Accurate, x) + sigma_b2;
                    (v - x).abs() <= 1e-12 * x
                };
                every_q_fixed = off(0.5 * q) && off(2.0 * q);
            }
            // The identity correlation map: C(c) = c at c = 0 and c = 1/2 with slope 1 at c = 1.
            if (chi - 1.0).abs() < NEUTRAL_TOLERANCE {
                let moved = |c: f64| {
                    let (_, _, next) = correlation_map_with(
                        Quadrature::Accurate,
                        act,
                        sigma_w2,
                        sigma_b2,
                        q,
                        q,
                        c,
                    );
                    (next - c).abs()
                };
                every_c_fixed = moved(0.0) < 1e-12 && moved(0.5) < 1e-12;
            }
            if every_c_fixed {
                (chi, xi_q, f64::NAN, f64::NAN)
            } else {
                let c_star = correlation_fixed_point(act, sigma_w2, sigma_b2, q);
                let chi_c = correlation_slope(act, sigma_w2, q, c_star);
                (chi, xi_q, depth_scale(chi_c), c_star)
            }
        }
        LengthFixedPoint::Collapses => (
            chi1(act, sigma_w2, 0.0),
            depth_scale(length_map_slope(act, sigma_w2, 0.0)),
            f64::NAN,
            f64::NAN,
        ),
        LengthFixedPoint::Diverges => (
            chi1(act, sigma_w2, f64::INFINITY),
            f64::NAN,
            f64::NAN,
            f64::NAN,
        ),
    };
    MeanField {
        q_star: length.q_star(),
        length,
        chi1: chi1_value,
        xi_q,
        xi_c,
        c_star,
        phase: Phase::of_chi1(chi1_value),
        q_first,
        neutral,
        every_q_fixed,
        every_c_fixed,
    }
}

/// One point of the phase diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhasePoint {
    pub sigma_w2: f64,
    pub sigma_b2: f64,
    /// Fixed point of the length map from q = 1; NaN when q collapses or diverges.
    pub q_star: f64,
    /// chi_1 at q* (or its limit, as in [`MeanField::chi1`]).
    pub chi1: f64,
}

impl PhasePoint {
    pub fn phase(&self) -> Phase {
        Phase::of_chi1(self.chi1)
    }
}

/// chi_1 and q* on an n_w x n_b grid of evenly spaced sigma_w^2 (columns) and sigma_b^2
/// (rows) over the inclusive ranges, for a heat map with the critical line chi_1 = 1.
/// Row-major: point (i_b, i_w) is at index i_b n_w + i_w; a range with one point uses its
/// start.
///
/// Uses the 12-node [`Quadrature::Fast`] rule (relative error below 1e-10 instead of 1e-14,
/// invisible in a heat map) at 3/4 of the cost, except where it finds q* < 1e-6: there the
/// accurate rule decides between a tiny q* and a collapse (with sigma_b = 0 and
/// sigma_w^2 phi'(0)^2 near 1, V(q) - q is of order q^2, below the fast rule's error).
/// `cargo run --release -p lab-core --example theory_speed` prints the time.
pub fn phase_grid(
    act: &Activation,
    sigma_w2_range: RangeInclusive<f64>,
    sigma_b2_range: RangeInclusive<f64>,
    n_w: usize,
    n_b: usize,
) -> Vec<PhasePoint> {
    let mut out = Vec::with_capacity(n_w * n_b);
    for i_b in 0..n_b {
        let sigma_b2 = lerp(&sigma_b2_range, i_b, n_b);
        for i_w in 0..n_w {
            let sigma_w2 = lerp(&sigma_w2_range, i_w, n_w);
            let mut quad = Quadrature::Fast;
            let mut length = length_fixed_point_with(quad, act, sigma_w2, sigma_b2, 1.0);
            if matches!(length, LengthFixedPoint::Finite(q) if q < TINY_Q_STAR) {
                // Near a tangency of the length map at q = 0 the fast rule's error can fake a
                // tiny fixed point where q really collapses; decide with the accurate rule.
                quad = Quadrature::Accurate;
                length = length_fixed_point_with(quad, act, sigma_w2, sigma_b2, 1.0);
            }
            let q_eval = match length {
                LengthFixedPoint::Finite(q) => q,
                LengthFixedPoint::Collapses => 0.0,
                LengthFixedPoint::Diverges => f64::INFINITY,
            };
            out.push(PhasePoint {
                sigma_w2,
                sigma_b2,
                q_star: length.q_star().unwrap_or(f64::NAN),
                chi1: chi1_with(quad, act, sigma_w2, q_eval),
            });
        }
    }
    out
}

/// Point i of n evenly spaced points over the range (the start if n = 1).
fn lerp(range: &RangeInclusive<f64>, i: usize, n: usize) -> f64 {
    let (start, end) = (*range.start(), *range.end());
    if n <= 1 {
        start
    } else {
        start + (end - start) * i as f64 / (n - 1) as f64
    }
}
