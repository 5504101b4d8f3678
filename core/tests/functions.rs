//! Special functions and activations against independent references: series and continued
//! fractions written here, published values, and the closed forms of docs/science.md.

use lab_core::activation::{Activation, ActivationKind, SELU_ALPHA, SELU_LAMBDA};
use lab_core::special::{erf, erfc, phi_cdf};
use std::f64::consts::{FRAC_1_SQRT_2, PI, SQRT_2};

// ---------- independent references ----------

/// erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)): every term has the sign
/// of x, so there is no cancellation (Abramowitz & Stegun 7.1.6). Used for |x| <= 3.
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term.abs() > 1e-18 * sum.abs() {
        n += 1.0;
        term *= 2.0 * x2 / (2.0 * n + 1.0);
        sum += term;
    }
    2.0 / PI.sqrt() * (-x2).exp() * sum
}

/// erfc(x) for x >= 2 by the continued fraction (A&S 7.1.14)
/// erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))),
/// evaluated backward from 400 levels.
fn erfc_cf(x: f64) -> f64 {
    let mut t = x;
    for k in (1..=400).rev() {
        t = x + (k as f64 / 2.0) / t;
    }
    (-x * x).exp() / (PI.sqrt() * t)
}

fn erfc_ref(x: f64) -> f64 {
    if x < 0.0 {
        2.0 - erfc_ref(-x)
    } else if x < 2.0 {
        1.0 - erf_series(x)
    } else {
        erfc_cf(x)
    }
}

fn erf_ref(x: f64) -> f64 {
    if x.abs() <= 3.0 {
        erf_series(x)
    } else {
        (1.0 - erfc_cf(x.abs())).copysign(x)
    }
}

fn phi_ref(x: f64) -> f64 {
    0.5 * erfc_ref(-x / SQRT_2)
}

/// e^x - 1 without std's exp_m1: Taylor series near 0.
fn expm1_ref(x: f64) -> f64 {
    if x.abs() < 0.1 {
        let (mut term, mut sum) = (x, x);
        for k in 2..30 {
            term *= x / k as f64;
            sum += term;
        }
        sum
    } else {
        x.exp() - 1.0
    }
}

/// ln(1 + t) for t in [0, 1], series below 1/4 (no cancellation of 1 + t).
fn ln1p_ref(t: f64) -> f64 {
    if t < 0.25 {
        let (mut power, mut sum) = (t, 0.0);
        for k in 1..80 {
            sum += if k % 2 == 1 {
                power / k as f64
            } else {
                -power / k as f64
            };
            power *= t;
        }
        sum
    } else {
        (1.0 + t).ln()
    }
}

/// 1/(1 + e^-x), which has no cancellation for either sign.
fn sigmoid_ref(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// sigmoid'(x) written with e^(-|x|) so that it does not overflow.
fn sigmoid_slope_ref(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

fn tanh_ref(x: f64) -> f64 {
    // tanh x = (1 - e^(-2|x|)) / (1 + e^(-2|x|)) with the sign of x; e^(-2|x|) - 1 via the series.
    let e = expm1_ref(-2.0 * x.abs());
    (-e / (2.0 + e)).copysign(x)
}

const C: f64 = 0.797_884_560_802_865_4; // sqrt(2/pi)

/// (1 + tanh u)/2 = e^(2u) / (1 + e^(2u)): used for u < 0 to avoid the cancellation of 1 + tanh u.
fn half_one_plus_tanh(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + tanh_ref(u))
    } else {
        let e = (2.0 * u).exp();
        e / (1.0 + e)
    }
}

fn reference(kind: ActivationKind, x: f64) -> (f64, f64) {
    let (slope, alpha) = (0.01f32 as f64, 1.0);
    match kind {
        ActivationKind::Relu => (
            if x > 0.0 { x } else { 0.0 },
            if x > 0.0 { 1.0 } else { 0.0 },
        ),
        ActivationKind::LeakyRelu => (
            if x > 0.0 { x } else { slope * x },
            if x > 0.0 { 1.0 } else { slope },
        ),
        ActivationKind::Elu => {
            if x > 0.0 {
                (x, 1.0)
            } else {
                (alpha * expm1_ref(x), alpha * x.exp())
            }
        }
        ActivationKind::Selu => {
            if x > 0.0 {
                (SELU_LAMBDA_REF * x, SELU_LAMBDA_REF)
            } else {
                (
                    SELU_LAMBDA_REF * SELU_ALPHA_REF * expm1_ref(x),
                    SELU_LAMBDA_REF * SELU_ALPHA_REF * x.exp(),
                )
            }
        }
        ActivationKind::Gelu => {
            let density = (-0.5 * x * x).exp() / (2.0 * PI).sqrt();
            (
                x * phi_ref(x),
                phi_ref(x) + if density == 0.0 { 0.0 } else { x * density },
            )
        }
        ActivationKind::GeluTanh => {
            let u = C * (x + 0.044715 * x * x * x);
            let du = C * (1.0 + 3.0 * 0.044715 * x * x);
            let sech2 = 4.0 / ((u.exp() + (-u).exp()).powi(2));
            let value = x * half_one_plus_tanh(u);
            let slope = half_one_plus_tanh(u)
                + if sech2 == 0.0 {
                    0.0
                } else {
                    0.5 * x * sech2 * du
                };
            (value, slope)
        }
        ActivationKind::Silu => (
            x * sigmoid_ref(x),
            sigmoid_ref(x)
                + if x.abs() > 700.0 {
                    0.0
                } else {
                    x * sigmoid_slope_ref(x)
                },
        ),
        ActivationKind::Tanh => (tanh_ref(x), 4.0 / (x.exp() + (-x).exp()).powi(2)),
        ActivationKind::Sigmoid => (sigmoid_ref(x), sigmoid_slope_ref(x)),
        ActivationKind::Softplus => (x.max(0.0) + ln1p_ref((-x.abs()).exp()), sigmoid_ref(x)),
        ActivationKind::Linear => (x, 1.0),
        ActivationKind::Mish => mish_ref(x),
        ActivationKind::Celu => celu_ref(alpha, x),
    }
}

/// softplus ln(1 + e^x), written as x + ln(1 + e^-x) for x > 0 (series for the small term).
fn softplus_ref(x: f64) -> f64 {
    if x > 0.0 {
        x + ln1p_ref((-x).exp())
    } else {
        ln1p_ref(x.exp())
    }
}

/// Mish straight from its definition x tanh(softplus(x)) (Misra 2019), tanh by the series-based
/// reference; the derivative tanh(sp) + x sech^2(sp) sigmoid(x), sech^2 y = 4 / (e^y + e^-y)^2.
fn mish_ref(x: f64) -> (f64, f64) {
    let sp = softplus_ref(x);
    let t = tanh_ref(sp);
    let sech2 = 4.0 / (sp.exp() + (-sp).exp()).powi(2);
    let tail = if sech2 == 0.0 || sigmoid_ref(x) == 0.0 {
        0.0
    } else {
        x * sech2 * sigmoid_ref(x)
    };
    (if t == 0.0 { 0.0 } else { x * t }, t + tail)
}

/// CELU as Barron (2017) and PyTorch's nn.CELU write it, max(0, x) + min(0, alpha (e^(x/alpha)
/// - 1)), e^t - 1 by the series-based reference; alpha = 0 is the limit ReLU.
fn celu_ref(alpha: f64, x: f64) -> (f64, f64) {
    if alpha == 0.0 {
        return (x.max(0.0), if x > 0.0 { 1.0 } else { 0.0 });
    }
    let value = x.max(0.0) + (alpha * expm1_ref(x / alpha)).min(0.0);
    let slope = if x > 0.0 { 1.0 } else { (x / alpha).exp() };
    (value, slope)
}

/// Published SELU constants (Klambauer et al. 2017), typed independently of activation.rs.
const SELU_ALPHA_REF: f64 = 1.6732632423543772848170429916717;
const SELU_LAMBDA_REF: f64 = 1.0507009873554804934193349852946;

fn close(actual: f64, expected: f64, rel: f64, abs: f64) -> bool {
    (actual - expected).abs() <= rel * expected.abs() + abs
        || (actual.is_nan() && expected.is_nan())
}

fn grid() -> Vec<f64> {
    let mut xs = vec![
        -800.0, -100.0, -40.0, -30.0, -20.0, -12.0, -10.0, -7.5, -5.0, -1e-3, -1e-8, -0.0, 0.0,
        1e-8, 1e-3, 7.5, 10.0, 12.0, 20.0, 30.0, 40.0, 100.0, 800.0, 1e30,
    ];
    xs.extend((-256..=256).map(|i| i as f64 / 32.0 + 0.001));
    xs
}

// ---------- special functions ----------

#[test]
fn erf_matches_published_values() {
    // Abramowitz & Stegun table 7.1 / standard high-precision values.
    let table = [
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (-1.0, -0.842_700_792_949_714_9),
    ];
    for (x, value) in table {
        assert!(
            close(erf(x), value, 2e-16, 0.0),
            "erf({x}) = {} vs {value}",
            erf(x)
        );
    }
    let tails = [
        (3.0, 2.209_049_699_858_544e-5),
        (5.0, 1.537_459_794_428_035e-12),
        (10.0, 2.088_487_583_762_545e-45),
    ];
    for (x, value) in tails {
        assert!(
            close(erfc(x), value, 1e-14, 0.0),
            "erfc({x}) = {:e} vs {value:e}",
            erfc(x)
        );
    }
    assert_eq!(erf(0.0), 0.0);
    assert_eq!(erfc(0.0), 1.0);
    assert_eq!(erf(f64::INFINITY), 1.0);
    assert_eq!(erf(f64::NEG_INFINITY), -1.0);
    assert_eq!(erfc(f64::INFINITY), 0.0);
    assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
    assert!(erf(f64::NAN).is_nan() && erfc(f64::NAN).is_nan());
}

#[test]
fn continued_fraction_reference_agrees_with_series() {
    // The two references overlap on [2, 3], where 1 - erf_series loses about 1e-12 relative.
    for i in 0..=20 {
        let x = 2.0 + i as f64 * 0.05;
        assert!(
            close(erfc_cf(x), 1.0 - erf_series(x), 2e-11, 0.0),
            "x = {x}"
        );
    }
}

#[test]
fn erf_and_erfc_match_series_and_continued_fraction() {
    for i in -1200..=1200 {
        let x = i as f64 / 200.0 + 1e-4; // [-6, 6], off the interval boundaries of special.rs
        assert!(
            close(erf(x), erf_ref(x), 1e-14, 1e-300),
            "erf({x}) = {} vs {}",
            erf(x),
            erf_ref(x)
        );
        assert!(
            close(erfc(x), erfc_ref(x), 2e-13, 1e-300),
            "erfc({x}) = {:e} vs {:e}",
            erfc(x),
            erfc_ref(x)
        );
    }
    // The tail up to erfc's underflow: relative accuracy limited by rounding x^2 in the reference.
    for i in 0..=200 {
        let x = 6.0 + i as f64 * 0.105;
        let tol = 4.0 * x * x * f64::EPSILON + 1e-14;
        assert!(
            close(erfc(x), erfc_cf(x), tol, 1e-300),
            "erfc({x}) = {:e} vs {:e}",
            erfc(x),
            erfc_cf(x)
        );
    }
    for &x in &[1e-10, 1e-20, -3e-9] {
        assert!(close(erf(x), 2.0 / PI.sqrt() * x, 1e-15, 0.0));
    }
}

#[test]
fn normal_cdf() {
    assert_eq!(phi_cdf(0.0), 0.5);
    // Published: Phi(1.96) = 0.9750021048517795, Phi(-1) = 0.15865525393145707.
    assert!(close(phi_cdf(1.96), 0.975_002_104_851_779_5, 1e-15, 0.0));
    assert!(close(phi_cdf(-1.0), 0.158_655_253_931_457_07, 1e-14, 0.0));
    for i in -400..=400 {
        let x = i as f64 / 20.0;
        assert!(close(phi_cdf(x), phi_ref(x), 1e-12, 1e-300), "Phi({x})");
    }
}

#[test]
fn selu_constants_match_closed_forms() {
    let e_half = 0.5f64.exp();
    let erfc1 = erfc(FRAC_1_SQRT_2);
    let erfc2 = erfc(SQRT_2);
    let alpha = -(2.0 / PI).sqrt() / (erfc1 * e_half - 1.0);
    let e = 1.0f64.exp();
    let lambda = (1.0 - erfc1 * e_half)
        * (2.0 * PI).sqrt()
        * (2.0 * erfc2 * e * e + PI * erfc1 * erfc1 * e - 2.0 * (2.0 + PI) * erfc1 * e_half
            + PI
            + 2.0)
            .powf(-0.5);
    assert!(
        close(alpha, SELU_ALPHA, 1e-14, 0.0),
        "alpha {alpha} vs {SELU_ALPHA}"
    );
    assert!(
        close(lambda, SELU_LAMBDA, 1e-14, 0.0),
        "lambda {lambda} vs {SELU_LAMBDA}"
    );
    assert!(
        close(SELU_ALPHA, SELU_ALPHA_REF, 1e-16, 0.0)
            && close(SELU_LAMBDA, SELU_LAMBDA_REF, 1e-16, 0.0)
    );
}

// ---------- activations ----------

#[test]
fn activations_match_references_in_f64_and_f32() {
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        for x in grid() {
            let (value, slope) = reference(kind, x);
            let (f, df) = (act.f64(x), act.df64(x));
            assert!(
                close(f, value, 1e-12, 1e-300),
                "{} f64({x}) = {f:e}, reference {value:e}",
                kind.name()
            );
            assert!(
                close(df, slope, 1e-12, 1e-300),
                "{} df64({x}) = {df:e}, reference {slope:e}",
                kind.name()
            );
            // f32 path: the reference at the f32 input, to f32 precision (abs floor: subnormals).
            let x32 = x as f32;
            let (value, slope) = reference(kind, f64::from(x32));
            let (f, df) = (f64::from(act.f(x32)), f64::from(act.df(x32)));
            if value.abs() < f64::from(f32::MAX) {
                assert!(
                    close(f, value, 1e-6, 1e-44),
                    "{} f({x32}) = {f:e}, reference {value:e}",
                    kind.name()
                );
            }
            assert!(
                close(df, slope, 1e-6, 1e-44),
                "{} df({x32}) = {df:e}, reference {slope:e}",
                kind.name()
            );
        }
    }
}

#[test]
fn activations_handle_non_finite_inputs() {
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        assert!(
            act.f64(f64::NAN).is_nan() && act.df64(f64::NAN).is_nan(),
            "{}",
            kind.name()
        );
        assert!(
            act.f(f32::NAN).is_nan() && act.df(f32::NAN).is_nan(),
            "{}",
            kind.name()
        );
        for x in [f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300] {
            assert!(
                !act.f64(x).is_nan() && !act.df64(x).is_nan(),
                "{} at {x}",
                kind.name()
            );
        }
    }
    let gelu = Activation::new(ActivationKind::Gelu);
    assert_eq!(gelu.f64(f64::INFINITY), f64::INFINITY);
    assert_eq!(gelu.f64(f64::NEG_INFINITY), 0.0);
    assert_eq!(
        Activation::new(ActivationKind::Elu).f64(f64::NEG_INFINITY),
        -1.0
    );
    assert_eq!(
        Activation::new(ActivationKind::Softplus).f64(f64::INFINITY),
        f64::INFINITY
    );
}

#[test]
fn kinked_derivatives_use_the_left_side_at_zero() {
    assert_eq!(Activation::new(ActivationKind::Relu).df(0.0), 0.0);
    assert_eq!(Activation::new(ActivationKind::LeakyRelu).df(0.0), 0.01);
    assert_eq!(Activation::new(ActivationKind::Elu).df64(0.0), 1.0);
    assert!(close(
        Activation::new(ActivationKind::Selu).df64(0.0),
        SELU_LAMBDA_REF * SELU_ALPHA_REF,
        1e-15,
        0.0
    ));
}

#[test]
fn derivatives_match_central_differences() {
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        for i in -400..=400 {
            let x = i as f64 / 40.0 + 0.0123; // [-10, 10], never within 1e-2 of the kinks at 0
            let h = 1e-5 * x.abs().max(1.0);
            let fd = (act.f64(x + h) - act.f64(x - h)) / (2.0 * h);
            let scale = act.df64(x).abs().max(act.f64(x).abs()).max(1.0);
            assert!(
                (fd - act.df64(x)).abs() <= 1e-8 * scale,
                "{} at {x}: fd {fd} vs {}",
                kind.name(),
                act.df64(x)
            );
        }
    }
}

#[test]
fn parameters_change_the_functions() {
    let mut leaky = Activation::new(ActivationKind::LeakyRelu);
    leaky.slope = 0.2;
    assert!(close(f64::from(leaky.f(-2.0)), -0.4, 1e-7, 0.0));
    let mut elu = Activation::new(ActivationKind::Elu);
    elu.alpha = 2.0;
    assert!(close(elu.f64(-1.0), 2.0 * expm1_ref(-1.0), 1e-15, 0.0));
    assert!(close(elu.df64(-1.0), elu.f64(-1.0) + 2.0, 1e-15, 0.0));
    let mut swish = Activation::new(ActivationKind::Silu);
    swish.beta = 0.0;
    assert_eq!(swish.f64(3.0), 1.5);
    swish.beta = 2.0;
    assert!(close(swish.f64(1.5), 1.5 * sigmoid_ref(3.0), 1e-15, 0.0));
    let h = 1e-6;
    let fd = (swish.f64(1.5 + h) - swish.f64(1.5 - h)) / (2.0 * h);
    assert!((fd - swish.df64(1.5)).abs() < 1e-8);
}

/// Minimizer of phi on [lo, hi] by bisection on phi' (phi' increasing through its root there).
fn argmin(act: &Activation, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if act.df64(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn gelu_and_silu_minima_match_published_values() {
    // docs/science.md#activations: GELU minimum -0.169971 at x = -0.751792; SiLU minimum
    // -0.278465 at -1.278465.
    let gelu = Activation::new(ActivationKind::Gelu);
    let x = argmin(&gelu, -2.0, 0.0);
    assert!(
        (x + 0.751_792).abs() < 1e-6 && (gelu.f64(x) + 0.169_971).abs() < 1e-6,
        "GELU min {} at {x}",
        gelu.f64(x)
    );
    let silu = Activation::new(ActivationKind::Silu);
    let x = argmin(&silu, -3.0, 0.0);
    assert!(
        (x + 1.278_465).abs() < 1e-6 && (silu.f64(x) + 0.278_465).abs() < 1e-6,
        "SiLU min {} at {x}",
        silu.f64(x)
    );
}

#[test]
fn mish_minimum_matches_an_independent_computation() {
    // Root of Mish' and Mish there, by mpmath at 30 digits (findroot on the derivative of
    // x tanh(log(1 + exp(x)))): -0.308843413 at x = -1.192431215 (Misra 2019: about -0.31).
    let mish = Activation::new(ActivationKind::Mish);
    let x = argmin(&mish, -3.0, 0.0);
    assert!(
        (x + 1.192_431_215).abs() < 1e-6 && (mish.f64(x) + 0.308_843_413).abs() < 1e-8,
        "Mish min {} at {x}",
        mish.f64(x)
    );
}

#[test]
fn celu_matches_its_definition_for_every_alpha() {
    for alpha in [0.0f32, 0.05, 0.25, 0.7, 1.0, 2.5, 5.0] {
        let act = Activation {
            alpha,
            ..Activation::new(ActivationKind::Celu)
        };
        for x in grid() {
            let (value, slope) = celu_ref(f64::from(alpha), x);
            assert!(
                close(act.f64(x), value, 1e-12, 1e-300),
                "CELU alpha {alpha} at {x}: {} vs {value}",
                act.f64(x)
            );
            assert!(
                close(act.df64(x), slope, 1e-12, 1e-300),
                "CELU' alpha {alpha} at {x}: {} vs {slope}",
                act.df64(x)
            );
            assert!(!act.f(x as f32).is_nan() && !act.df(x as f32).is_nan());
        }
        // Central differences away from the kink at 0 (C1 but not C2 there).
        for i in -400..=400 {
            let x = i as f64 / 40.0 + 0.0123;
            let h = 1e-6 * x.abs().max(1.0);
            let fd = (act.f64(x + h) - act.f64(x - h)) / (2.0 * h);
            assert!(
                (fd - act.df64(x)).abs() <= 1e-7 * act.df64(x).abs().max(1.0),
                "CELU alpha {alpha} at {x}: fd {fd} vs {}",
                act.df64(x)
            );
        }
        // Continuously differentiable: both one-sided slopes at 0 are 1 (for alpha > 0).
        if alpha > 0.0 {
            assert_eq!(act.df64(0.0), 1.0);
        }
    }
    // alpha = 0 is ReLU, bit for bit.
    let relu = Activation::new(ActivationKind::Relu);
    let celu0 = Activation {
        alpha: 0.0,
        ..Activation::new(ActivationKind::Celu)
    };
    for x in grid() {
        assert_eq!(celu0.f64(x), relu.f64(x), "{x}");
        assert_eq!(celu0.df64(x), relu.df64(x), "{x}");
    }
}

#[test]
fn gelu_tanh_approximation_error_matches_published_value() {
    // docs/science.md#gelu-exact-and-approximate: max |GELU - GELU tanh| about 4.73e-4 near
    // |x| = 2.70.
    let exact = Activation::new(ActivationKind::Gelu);
    let approx = Activation::new(ActivationKind::GeluTanh);
    let (mut worst, mut at) = (0.0f64, 0.0f64);
    for i in -80_000..=80_000 {
        let x = i as f64 * 1e-4;
        let err = (exact.f64(x) - approx.f64(x)).abs();
        if err > worst {
            (worst, at) = (err, x);
        }
    }
    assert!((worst - 4.73e-4).abs() < 5e-7, "max error {worst:e}");
    assert!((at.abs() - 2.70).abs() < 5e-3, "at {at}");
}

#[test]
fn slice_helpers_match_scalar_calls() {
    let act = Activation::new(ActivationKind::Gelu);
    let xs: Vec<f32> = (-20..20).map(|i| i as f32 * 0.37).collect();
    let mut ys = vec![0.0; xs.len()];
    let mut ds = vec![0.0; xs.len()];
    act.apply_slice(&xs, &mut ys);
    act.derivative_slice(&xs, &mut ds);
    for ((&x, &y), &d) in xs.iter().zip(&ys).zip(&ds) {
        assert_eq!(y.to_bits(), act.f(x).to_bits());
        assert_eq!(d.to_bits(), act.df(x).to_bits());
    }
}

#[test]
fn readme_lists_every_activation() {
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `act` |"))
        .expect("README has the act row");
    let listed: Vec<&str> = row
        .split('|')
        .nth(2)
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort_unstable();
    let mut names = ActivationKind::NAMES.to_vec();
    names.sort_unstable();
    assert_eq!(listed_sorted, names, "README's act row: {listed:?}");
}
