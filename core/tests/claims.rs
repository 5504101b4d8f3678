//! The classes of error of issue 14 that live in the core's theory, each tested at settings other
//! than the ones the issue quotes, against references computed here: a composite Simpson rule in
//! f64 written in this file, closed forms (leaky ReLU's Gaussian moments), and the structure of
//! the linear map.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::Config;
use lab_core::theory::{
    layer_fixed_point, mean_field_from, LengthFixedPoint, MapArrows, TheorySummary,
};
use std::f64::consts::PI;

/// E[f(sqrt(q) z)^2] by composite Simpson on z in [-14, 14] (8000 intervals), independent of the
/// crate's Gauss-Hermite rules.
fn second_moment(act: &Activation, q: f64) -> f64 {
    let (n, a, b) = (8000usize, -14.0f64, 14.0f64);
    let h = (b - a) / n as f64;
    let g = |z: f64| {
        let y = act.f64(q.sqrt() * z);
        y * y * (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
    };
    let mut sum = g(a) + g(b);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * g(a + i as f64 * h);
    }
    sum * h / 3.0
}

/// The unstable fixed point of V(q) = sigma_w^2 E[f(sqrt q z)^2] between `lo` and `hi` (where
/// V(q) - q changes sign), by bisection on the Simpson moments.
fn unstable_fixed_point(act: &Activation, sw: f64, lo: f64, hi: f64) -> f64 {
    let excess = |q: f64| sw * second_moment(act, q) - q;
    let (mut lo, mut hi) = (lo, hi);
    assert!(excess(lo) < 0.0 && excess(hi) > 0.0, "no bracket");
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if excess(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Class 1: the theory starts at the network's first layer. SiLU (and GELU) at sigma_w^2 = 3
/// without bias has an unstable fixed point q_u (SiLU ~ x/2 near 0, ~ ReLU far out): a first
/// layer above q_u diverges, one below collapses, whatever happens from q = 1.
#[test]
fn the_length_map_starts_at_the_real_first_layer() {
    for kind in [ActivationKind::Silu, ActivationKind::Gelu] {
        let act = Activation::new(kind);
        let sw = 3.0;
        let q_u = unstable_fixed_point(&act, sw, 1e-3, 1e3);
        let above = mean_field_from(&act, sw, 0.0, 1.5 * q_u);
        assert_eq!(
            above.length,
            LengthFixedPoint::Diverges,
            "{kind:?} q_u {q_u}"
        );
        assert!(above.chi1 > 1.0, "{kind:?}: chi_1 -> sigma_w^2 / 2 = 1.5");
        let below = mean_field_from(&act, sw, 0.0, q_u / 1.5);
        assert_eq!(below.length, LengthFixedPoint::Collapses, "{kind:?}");
        assert!(below.chi1 < 1.0, "{kind:?}");
        assert_eq!(above.q_first, 1.5 * q_u);
    }
    // Through the page's summary: in_std scales q^1 = sigma_w^2 in_std^2.
    let act = Activation::new(ActivationKind::Silu);
    let q_u = unstable_fixed_point(&act, 3.0, 1e-3, 1e3);
    let in_std = (2.0 * q_u / 3.0).sqrt();
    let config = Config {
        activation: act,
        gain: 3f32.sqrt(),
        input_std: in_std as f32,
        ..Config::default()
    };
    let th = TheorySummary::of(&config);
    assert!((th.mean_field.q_first - 2.0 * q_u).abs() < 1e-5 * q_u);
    assert_eq!(th.mean_field.length, LengthFixedPoint::Diverges);
}

/// Class 1 and 2: neutral length maps. Leaky ReLU with slope s at sigma_w^2 = 2 / (1 + s^2) has
/// V(q) = q for every q: q* is wherever the first layer puts it, the map's fixed point is
/// ((1 - s) sqrt(q/(2 pi)), q (1 + s^2)/2 - mean^2) and its eigenvalue is exactly 1, neither
/// attracting nor repelling.
#[test]
fn neutral_maps_are_reported_as_neutral_at_the_first_layer() {
    let s = 0.3f64;
    let act = Activation {
        slope: s as f32,
        ..Activation::new(ActivationKind::LeakyRelu)
    };
    let s = f64::from(act.slope);
    let sw = 2.0 / (1.0 + s * s);
    let q1 = 3.7;
    let mf = mean_field_from(&act, sw, 0.0, q1);
    assert_eq!(mf.length, LengthFixedPoint::Finite(q1));
    assert!(mf.neutral && mf.every_q_fixed, "{mf:?}");
    assert_eq!(mf.xi_q, f64::INFINITY);
    assert!(
        !mf.every_c_fixed,
        "leaky ReLU's correlation map is not the identity"
    );
    let f = layer_fixed_point(&act, sw, 0.0, &mf).expect("a fixed point");
    let mean = (1.0 - s) * (q1 / (2.0 * PI)).sqrt();
    let var = q1 * (1.0 + s * s) / 2.0 - mean * mean;
    assert!(
        (f.mean - mean).abs() < 1e-12 && (f.var - var).abs() < 1e-12,
        "{f:?}"
    );
    assert!(f.neutral && !f.stable);
    assert_eq!(f.eigenvalues, [(1.0, 0.0), (0.0, 0.0)]);

    // The linear map at sigma_w^2 = 1 without bias: every q and every c is fixed, so there is
    // no c* and no attracting point, at any input scale.
    let linear = Activation::new(ActivationKind::Linear);
    for q1 in [0.25, 4.0] {
        let mf = mean_field_from(&linear, 1.0, 0.0, q1);
        assert_eq!(mf.q_star, Some(q1));
        assert!(mf.neutral && mf.every_q_fixed && mf.every_c_fixed, "{mf:?}");
        assert!(mf.c_star.is_nan() && mf.xi_c.is_nan());
        let f = layer_fixed_point(&linear, 1.0, 0.0, &mf).unwrap();
        assert!(f.neutral && !f.stable);
        assert_eq!(f.eigenvalues[0], (1.0, 0.0));
    }
    // Off the neutral setting the linear map is not neutral (sigma_w^2 = 0.8: collapses).
    let mf = mean_field_from(&linear, 0.8, 0.0, 1.0);
    assert_eq!(mf.length, LengthFixedPoint::Collapses);
    assert!(!mf.neutral);
}

/// Class 3: eigenvalues from the closed-form Jacobian. For ReLU with bias the length map is
/// V(q) = sigma_w^2 q / 2 + sigma_b^2, so the nonzero eigenvalue (the map's slope) is exactly
/// sigma_w^2 / 2 and the other exactly 0, not round-off.
#[test]
fn eigenvalues_are_closed_form_not_round_off() {
    let act = Activation::new(ActivationKind::Relu);
    for (sw, sb) in [(1.5, 0.2), (0.7, 0.05), (1.9, 0.4)] {
        let mf = mean_field_from(&act, sw, sb, 1.3);
        let q_star = sb / (1.0 - sw / 2.0);
        assert!(
            (mf.q_star.unwrap() - q_star).abs() < 1e-12 * q_star,
            "{mf:?}"
        );
        let f = layer_fixed_point(&act, sw, sb, &mf).unwrap();
        assert_eq!(f.eigenvalues[1], (0.0, 0.0));
        assert_eq!(f.eigenvalues[0].1, 0.0);
        assert!((f.eigenvalues[0].0 - sw / 2.0).abs() < 1e-12, "{f:?}");
        assert!(f.stable && !f.neutral);
    }
}

/// The SNN map's caption claims convergence over the plotted region only when both ends of the
/// plotted range of s = sigma_w^2 (nu + mu^2) + sigma_b^2 reach the same q*. ELU at gain 1.3
/// (sigma_w^2 = 1.69) has a finite q* reached from everywhere; GELU at sigma_w^2 = 2.40 has an
/// unstable point inside the plotted range (found here by bisection), so it does not.
#[test]
fn the_map_reports_where_its_arrows_lead() {
    let elu = Config {
        activation: Activation::new(ActivationKind::Elu),
        gain: 1.3,
        ..Config::default()
    };
    let map = MapArrows::of(&TheorySummary::of(&elu), &elu.activation);
    assert!(
        map.all_converge(),
        "{:?} {:?}",
        map.from_lowest,
        map.from_highest
    );
    let gelu = Config {
        activation: Activation::new(ActivationKind::Gelu),
        gain: 1.55,
        ..Config::default()
    };
    let sw = f64::from(1.55f32).powi(2);
    let q_u = unstable_fixed_point(&gelu.activation, sw, 1e-3, 1e3);
    let (s_low, s_high) = (sw * 0.125, sw * (2.875 + 0.81));
    assert!(s_low < q_u && q_u < s_high, "q_u {q_u} inside the plot");
    let map = MapArrows::of(&TheorySummary::of(&gelu), &gelu.activation);
    assert!(!map.all_converge());
    assert_eq!(map.from_lowest, LengthFixedPoint::Collapses);
    assert_eq!(map.from_highest, LengthFixedPoint::Diverges);
}
