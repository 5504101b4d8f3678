//! Mean-field theory against independent references: closed forms (ReLU's arc-cosine kernel,
//! Gaussian moments, SELU's closed forms), published constants (docs/science.md: Klambauer et al.
//! 2017; Poole et al. 2016; Schoenholz et al. 2017), and a composite 5-point Gauss-Legendre
//! quadrature with thousands of panels written here.

use lab_core::activation::{Activation, ActivationKind, SELU_ALPHA, SELU_LAMBDA};
use lab_core::config::{Config, Normalization};
use lab_core::init::Initializer;
use lab_core::sim::Simulation;
use lab_core::special::{erfc, phi_cdf};
use lab_core::theory::{
    chi1, correlation_fixed_point, correlation_map, correlation_slope, depth_scale, derive_selu,
    fixed_points_of_map, gauss_expect, gauss_expect_2d, input_correlation, length_fixed_point,
    length_map, length_map_slope, mean_field, phase_grid, predict_config, predict_correlation,
    predict_layers, selu_map, selu_map_closed_form, selu_map_jacobian, sigma_b2_of, sigma_w2_of,
    LengthFixedPoint, Phase, Quadrature,
};
use std::f64::consts::{E, PI};

// ---------- independent references ----------

fn act(kind: ActivationKind) -> Activation {
    Activation::new(kind)
}

/// Every activation, plus non-default parameters (ELU with alpha != 1 has a jump in phi').
fn all_activations() -> Vec<Activation> {
    let mut all: Vec<Activation> = ActivationKind::ALL.into_iter().map(act).collect();
    all.push(Activation {
        slope: 0.2,
        ..act(ActivationKind::LeakyRelu)
    });
    all.push(Activation {
        alpha: 0.5,
        ..act(ActivationKind::Elu)
    });
    all.push(Activation {
        beta: 4.0,
        ..act(ActivationKind::Silu)
    });
    for alpha in [0.0, 0.25] {
        all.push(Activation {
            alpha,
            ..act(ActivationKind::Celu)
        });
    }
    all
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * PI).sqrt()
}

/// 5-point Gauss-Legendre nodes and weights on [-1, 1] (A&S 25.4.30, closed forms).
fn gl5() -> ([f64; 5], [f64; 5]) {
    let a = (5.0 - 2.0 * (10.0f64 / 7.0).sqrt()).sqrt() / 3.0;
    let b = (5.0 + 2.0 * (10.0f64 / 7.0).sqrt()).sqrt() / 3.0;
    let wa = (322.0 + 13.0 * 70.0f64.sqrt()) / 900.0;
    let wb = (322.0 - 13.0 * 70.0f64.sqrt()) / 900.0;
    ([-b, -a, 0.0, a, b], [wb, wa, 128.0 / 225.0, wa, wb])
}

/// E[f(m + s z)] by composite 5-point Gauss-Legendre over |z| <= 16: 4000 panels uniform in z,
/// 4000 more uniform in x over [-40, 40] (where the activations' features are), and an edge at
/// the kink x = 0. About 40000 evaluations; independent of the library's panel design.
fn reference_expect(f: impl Fn(f64) -> f64, m: f64, s: f64) -> f64 {
    let n = 4000;
    let mut edges: Vec<f64> = (0..=n)
        .map(|i| -16.0 + 32.0 * i as f64 / n as f64)
        .collect();
    for i in 0..=n {
        let z = (-40.0 + 80.0 * i as f64 / n as f64 - m) / s;
        if z.abs() < 16.0 {
            edges.push(z);
        }
    }
    if (m / s).abs() < 16.0 {
        edges.push(-m / s);
    }
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let (nodes, weights) = gl5();
    let mut sum = CompensatedSum::default();
    for p in edges.windows(2) {
        let (half, mid) = (0.5 * (p[1] - p[0]), 0.5 * (p[1] + p[0]));
        for (t, w) in nodes.iter().zip(weights) {
            let z = mid + half * t;
            sum.add(half * w * normal_pdf(z) * f(m + s * z));
        }
    }
    sum.value()
}

/// Neumaier's compensated sum: the reference adds 40000 terms, whose rounding would otherwise
/// reach 1e-14.
#[derive(Default)]
struct CompensatedSum {
    sum: f64,
    correction: f64,
}

impl CompensatedSum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        self.correction += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn value(&self) -> f64 {
        self.sum + self.correction
    }
}

/// E[f(u_a) g(u_b)] by a tensor composite 5-point rule (400 x 400 panels over |z| <= 10), for
/// smooth f and g only.
fn reference_expect_2d(f: impl Fn(f64) -> f64, g: impl Fn(f64) -> f64, q: f64, c: f64) -> f64 {
    let n = 400;
    let (nodes, weights) = gl5();
    let mut points = Vec::with_capacity(5 * n);
    for i in 0..n {
        let (a, b) = (
            -10.0 + 20.0 * i as f64 / n as f64,
            -10.0 + 20.0 * (i + 1) as f64 / n as f64,
        );
        for (t, w) in nodes.iter().zip(weights) {
            let z = 0.5 * (a + b) + 0.5 * (b - a) * t;
            points.push((z, 0.5 * (b - a) * w * normal_pdf(z)));
        }
    }
    let s = q.sqrt();
    let cond = (1.0 - c * c).sqrt();
    let mut sum = 0.0;
    for &(z1, w1) in &points {
        let fa = f(s * z1);
        let inner: f64 = points
            .iter()
            .map(|&(z2, w2)| w2 * g(s * (c * z1 + cond * z2)))
            .sum();
        sum += w1 * fa * inner;
    }
    sum
}

fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual:e}, expected {expected:e} (difference {:e} > {tol:e})",
        (actual - expected).abs()
    );
}

fn relu_mean(m: f64, s: f64) -> f64 {
    m * phi_cdf(m / s) + s * normal_pdf(m / s)
}

fn relu_second_moment(m: f64, s: f64) -> f64 {
    (m * m + s * s) * phi_cdf(m / s) + m * s * normal_pdf(m / s)
}

/// ELU (alpha = 1) mean and second moment for pre-activations N(0, v), in closed form:
/// E[max(x, 0)] = sqrt(v / 2 pi), E[(e^x - 1); x <= 0] = e^(v/2) Phi(-sqrt v) - 1/2,
/// E[(e^x - 1)^2; x <= 0] = e^(2v) Phi(-2 sqrt v) - 2 e^(v/2) Phi(-sqrt v) + 1/2.
fn elu_moments(v: f64) -> (f64, f64) {
    let s = v.sqrt();
    let left = (0.5 * v).exp() * phi_cdf(-s);
    let mean = s * normal_pdf(0.0) + left - 0.5;
    let second = 0.5 * v + (2.0 * v).exp() * phi_cdf(-2.0 * s) - 2.0 * left + 0.5;
    (mean, second)
}

/// ReLU's normalized arc-cosine kernel (Cho & Saul 2009): the correlation of relu(u_a),
/// relu(u_b) second moments, E[relu(u_a) relu(u_b)] / (q/2) = (sqrt(1 - c^2) + (pi - acos c) c) / pi.
fn arccos_kernel(c: f64) -> f64 {
    ((1.0 - c * c).sqrt() + (PI - c.acos()) * c) / PI
}

// ---------- Gaussian expectations ----------

#[test]
fn gauss_expect_reproduces_gaussian_moments() {
    // E[z^k] = (k - 1)!! for even k, 0 for odd k.
    let mut double_factorial = 1.0;
    for k in 0..=12 {
        let expected = if k % 2 == 1 {
            0.0
        } else {
            if k >= 2 {
                double_factorial *= (k - 1) as f64;
            }
            double_factorial
        };
        let got = gauss_expect(|x| x.powi(k), 0.0, 1.0);
        // Relative to E[|z|^k] <= sqrt(E[z^(2k)]) <= the next even moment.
        let size = double_factorial * (k + 1) as f64;
        assert_close(got, expected, 1e-15 * size, &format!("E[z^{k}]"));
    }
    assert_close(gauss_expect(|x| x * x, 0.0, 1.0), 1.0, 1e-15, "E[z^2]");
    assert_close(
        gauss_expect(f64::exp, 0.0, 1.0),
        0.5f64.exp(),
        1e-15,
        "E[e^z]",
    );
    for (m, s) in [(0.3f64, 0.5f64), (-2.0, 1.7), (1.0, 3.0)] {
        let expected = (m + 0.5 * s * s).exp();
        assert_close(
            gauss_expect(f64::exp, m, s),
            expected,
            2e-15 * expected,
            "E[e^x]",
        );
        assert_close(
            gauss_expect(|x| x * x, m, s),
            m * m + s * s,
            1e-14,
            "E[x^2]",
        );
    }
    // A point mass.
    assert_eq!(gauss_expect(|x| x * x, 3.0, 0.0), 9.0);
    assert!(gauss_expect(|x| x, f64::NAN, 1.0).is_nan());
}

#[test]
fn gauss_expect_of_kinked_functions_with_the_kink_off_centre() {
    for m in [-3.0, -0.7, 0.0, 0.4, 2.5] {
        for s in [0.05, 0.3, 1.0, 3.0, 30.0] {
            let relu = |x: f64| x.max(0.0);
            let mean = relu_mean(m, s);
            let second = relu_second_moment(m, s);
            assert_close(
                gauss_expect(relu, m, s),
                mean,
                1e-15 * (mean + s),
                "E[relu]",
            );
            assert_close(
                gauss_expect(|x| relu(x).powi(2), m, s),
                second,
                1e-14 * (second + s * s),
                "E[relu^2]",
            );
            // E[(e^x - 1); x <= 0] = e^(m + s^2/2) Phi(-m/s - s) - Phi(-m/s).
            let left = |x: f64| if x > 0.0 { 0.0 } else { x.exp_m1() };
            let expected = (m + 0.5 * s * s).exp() * phi_cdf(-m / s - s) - phi_cdf(-m / s);
            assert_close(
                gauss_expect(left, m, s),
                expected,
                4e-15,
                "E[(e^x - 1); x <= 0]",
            );
        }
    }
}

#[test]
fn gauss_expect_matches_a_20000_panel_reference_for_every_activation() {
    let mut worst = [0.0f64; 2];
    for a in all_activations() {
        for m in [-2.0, -0.3, 0.0, 0.6, 4.0] {
            for s in [1e-3, 0.2, 1.0, 3.0, 30.0, 1000.0] {
                for (k, f) in [
                    Box::new(|x: f64| a.f64(x)) as Box<dyn Fn(f64) -> f64>,
                    Box::new(|x: f64| a.f64(x).powi(2)),
                    Box::new(|x: f64| a.df64(x).powi(2)),
                ]
                .iter()
                .enumerate()
                {
                    let reference = reference_expect(f, m, s);
                    let size = reference_expect(|x| f(x).abs(), m, s).max(1e-300);
                    for (i, quad) in [Quadrature::Accurate, Quadrature::Fast].iter().enumerate() {
                        let got = quad.expect(f, m, s);
                        let err = (got - reference).abs() / size;
                        let tol = match quad {
                            Quadrature::Accurate => 2e-14,
                            // The fast rule is for std up to about 30 (phase diagram).
                            Quadrature::Fast if s <= 30.0 => 1e-10,
                            Quadrature::Fast => 1e-6,
                        };
                        assert!(
                            err <= tol,
                            "{:?} (moment {k}) at mean {m}, std {s}, {quad:?}: got {got:e}, \
                             reference {reference:e}, relative error {err:e}",
                            a.kind
                        );
                        if s <= 30.0 {
                            worst[i] = worst[i].max(err);
                        }
                    }
                }
            }
        }
    }
    println!(
        "worst relative error for std <= 30: accurate {:e}, fast {:e}",
        worst[0], worst[1]
    );
}

#[test]
fn gauss_expect_2d_matches_closed_forms() {
    let relu = |x: f64| x.max(0.0);
    let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
    for (q_aa, q_bb) in [(1.0f64, 1.0f64), (0.5, 3.0), (4.0, 0.01)] {
        for c in [-1.0, -0.95, -0.3, 0.0, 0.4, 0.9, 0.999, 0.999999, 1.0] {
            let q_ab = c * (q_aa * q_bb).sqrt();
            let scale = (q_aa * q_bb).sqrt();
            assert_close(
                gauss_expect_2d(|x| x, |x| x, q_aa, q_bb, q_ab),
                q_ab,
                1e-14 * scale,
                "E[u_a u_b]",
            );
            let expected = (0.5 * (q_aa + q_bb + 2.0 * q_ab)).exp();
            assert_close(
                gauss_expect_2d(f64::exp, f64::exp, q_aa, q_bb, q_ab),
                expected,
                1e-14 * expected,
                "E[e^(u_a + u_b)]",
            );
            // Cho & Saul 2009: E[relu(u_a) relu(u_b)] = sqrt(q_aa q_bb) / (2 pi) (sin t + (pi - t) cos t)
            // and E[step(u_a) step(u_b)] = (pi - t) / (2 pi), with t = acos c. The correlation
            // is recomputed from q_ab as the library does: near c = -1, (pi - t) ~ sqrt(1 + c)
            // turns a rounding of c into a visible difference.
            let t = (q_ab / (q_aa.sqrt() * q_bb.sqrt())).clamp(-1.0, 1.0).acos();
            let expected = scale / (2.0 * PI) * (t.sin() + (PI - t) * t.cos());
            assert_close(
                gauss_expect_2d(relu, relu, q_aa, q_bb, q_ab),
                expected,
                1e-14 * scale,
                "E[relu relu]",
            );
            let expected = (PI - t) / (2.0 * PI);
            assert_close(
                gauss_expect_2d(step, step, q_aa, q_bb, q_ab),
                expected,
                1e-13,
                "E[step step]",
            );
        }
    }
}

#[test]
fn gauss_expect_2d_matches_a_tensor_reference_for_smooth_activations() {
    for kind in [
        ActivationKind::Tanh,
        ActivationKind::Gelu,
        ActivationKind::Silu,
    ] {
        let a = act(kind);
        for (q, c) in [(0.7, 0.3), (2.5, -0.6), (1.3, 0.97)] {
            let phi = |x: f64| a.f64(x);
            let reference = reference_expect_2d(phi, phi, q, c);
            let got = gauss_expect_2d(phi, phi, q, q, c * q);
            assert_close(
                got,
                reference,
                1e-13,
                &format!("{kind:?} E[phi phi] at q {q}, c {c}"),
            );
        }
    }
    // c = 1 is the one-dimensional second moment, computed without the shortcut.
    for a in all_activations() {
        let both = gauss_expect_2d(|x| a.f64(x), |x| a.f64(x), 1.7, 1.7, 1.7);
        let single = gauss_expect(|x| a.f64(x).powi(2), 0.0, 1.7f64.sqrt());
        assert_close(
            both,
            single,
            1e-14 * single.max(1.0),
            &format!("{:?} at c = 1", a.kind),
        );
    }
}

// ---------- length map, chi_1, fixed points ----------

#[test]
fn relu_length_map_and_chi1_are_linear_in_sigma_w2() {
    let relu = act(ActivationKind::Relu);
    for sigma_w2 in [0.5, 1.0, 2.0, 3.3] {
        for q in [1e-6, 0.3, 1.0, 7.0, 1e6] {
            assert_close(
                chi1(&relu, sigma_w2, q),
                sigma_w2 / 2.0,
                1e-14,
                "ReLU chi_1 = sigma_w^2 / 2",
            );
            for sigma_b2 in [0.0, 0.1, 2.0] {
                let expected = sigma_w2 * q / 2.0 + sigma_b2;
                assert_close(
                    length_map(&relu, sigma_w2, sigma_b2, q),
                    expected,
                    1e-14 * expected,
                    "ReLU length map",
                );
            }
        }
    }
    // He initialization is critical: chi_1 = 1 exactly, every q is a fixed point.
    let he = mean_field(&relu, 2.0, 0.0);
    assert_close(he.chi1, 1.0, 1e-10, "ReLU chi_1 at sigma_w^2 = 2");
    assert_eq!(he.phase, Phase::Critical);
    assert_eq!(he.q_star, Some(1.0));
    assert_eq!(he.c_star, 1.0);
    assert_eq!(he.xi_c, f64::INFINITY);
    // Ordered with a bias: q* = sigma_b^2 / (1 - sigma_w^2 / 2), slope sigma_w^2 / 2 = chi_1.
    let ordered = mean_field(&relu, 1.5, 0.5);
    assert_close(ordered.q_star.unwrap(), 2.0, 1e-13, "ReLU q*");
    assert_close(ordered.xi_q, -1.0 / 0.75f64.ln(), 1e-12, "ReLU xi_q");
    assert_close(ordered.xi_c, -1.0 / 0.75f64.ln(), 1e-12, "ReLU xi_c");
    assert_eq!(ordered.phase, Phase::Ordered);
    // Beyond He the signal explodes; below (without bias) it vanishes.
    assert_eq!(
        length_fixed_point(&relu, 2.5, 0.0, 1.0),
        LengthFixedPoint::Diverges
    );
    assert_eq!(
        length_fixed_point(&relu, 2.0, 0.1, 1.0),
        LengthFixedPoint::Diverges
    );
    assert_eq!(
        length_fixed_point(&relu, 1.9, 0.0, 1.0),
        LengthFixedPoint::Collapses
    );
    assert_close(
        mean_field(&relu, 2.5, 0.0).chi1,
        1.25,
        1e-15,
        "ReLU chi_1 limit",
    );
}

#[test]
fn selu_chi1_at_lecun_normal_is_the_closed_form() {
    let selu = act(ActivationKind::Selu);
    let field = mean_field(&selu, 1.0, 0.0);
    assert_close(field.q_star.unwrap(), 1.0, 1e-13, "SELU q* under LeCun");
    // chi_1 = lambda^2 (1/2 + alpha^2 e^2 Phi(-2)), Phi(-2) = erfc(sqrt 2) / 2.
    let expected =
        SELU_LAMBDA.powi(2) * (0.5 + SELU_ALPHA.powi(2) * E * E * 0.5 * erfc(2f64.sqrt()));
    assert_close(field.chi1, expected, 1e-13, "SELU chi_1");
    assert_close(expected, 1.0716, 5e-5, "published 1.0716");
    assert_eq!(field.phase, Phase::Chaotic);
    // Backward squared norm over 50 layers: about 32x (docs/science.md).
    assert!((30.0..34.0).contains(&field.chi1.powi(50)));
}

#[test]
fn tanh_critical_line_matches_poole_et_al() {
    let tanh = act(ActivationKind::Tanh);
    for (sigma_b2, sigma_w2) in [(0.0, 1.0), (0.05, 1.761), (0.3, 2.505)] {
        let field = mean_field(&tanh, sigma_w2, sigma_b2);
        assert!(
            (field.chi1 - 1.0).abs() < 2e-3,
            "tanh at sigma_b^2 {sigma_b2}, sigma_w^2 {sigma_w2}: chi_1 = {}",
            field.chi1
        );
    }
    // At (0, 1) the length map is tangent to the identity at q = 0 (V(q) - q ~ -2 q^2): a
    // collapse, not a spurious q* at the rounding level. Just above, tanh^2 = x^2 - 2x^4/3 +
    // 17x^6/45 - ... gives V(q) - q = eps q - 2 (1 + eps) q^2 + 17/3 (1 + eps) q^3 - ...
    assert_eq!(
        length_fixed_point(&tanh, 1.0, 0.0, 1.0),
        LengthFixedPoint::Collapses
    );
    let eps = 1e-6;
    let q_star = length_fixed_point(&tanh, 1.0 + eps, 0.0, 1.0)
        .q_star()
        .unwrap();
    let first = eps / (2.0 * (1.0 + eps));
    let expected = first + 17.0 / 6.0 * first * first;
    assert_close(
        q_star,
        expected,
        1e-9 * expected,
        "tanh q* just above sigma_w^2 = 1",
    );
    assert_eq!(mean_field(&tanh, 1.5, 0.05).phase, Phase::Ordered);
    assert_eq!(mean_field(&tanh, 2.0, 0.05).phase, Phase::Chaotic);
}

#[test]
fn elu_variance_decays_under_lecun() {
    let elu = act(ActivationKind::Elu);
    // docs/science.md#elu: the sequence 1 -> 0.62 -> 0.41 ... -> 0.055 is the variance map of the
    // SNN paper with omega = 0, tau = 1 (nu' = Var[elu(z)], z ~ N(0, nu)).
    let mut nu = 1.0;
    let mut expected_nu = 1.0;
    for layer in 1..=10 {
        let (mean, second) = elu_moments(expected_nu);
        expected_nu = second - mean * mean;
        nu = selu_map(&elu, 0.0, nu, 0.0, 1.0).1;
        assert_close(nu, expected_nu, 1e-14, "ELU variance map");
        match layer {
            1 => assert_close(nu, 0.62, 0.01, "layer 1"),
            2 => assert_close(nu, 0.41, 0.01, "layer 2"),
            10 => assert_close(nu, 0.055, 0.002, "layer 10"),
            _ => {}
        }
    }
    // The length map q' = E[elu(sqrt(q) z)^2] keeps the mean's square: 0.645, 0.437, ... 0.059.
    let mut q = 1.0;
    let mut expected_q = 1.0;
    for layer in 1..=10 {
        expected_q = elu_moments(expected_q).1;
        q = length_map(&elu, 1.0, 0.0, q);
        assert_close(q, expected_q, 1e-14, "ELU length map");
        if layer == 10 {
            assert_close(q, 0.0594, 1e-4, "ELU q after 10 layers");
        }
    }
    assert_eq!(
        length_fixed_point(&elu, 1.0, 0.0, 1.0),
        LengthFixedPoint::Collapses
    );
}

#[test]
fn gelu_and_silu_collapse_under_lecun_with_chi1_one_quarter() {
    for kind in [
        ActivationKind::Gelu,
        ActivationKind::GeluTanh,
        ActivationKind::Silu,
    ] {
        let a = act(kind);
        let field = mean_field(&a, 1.0, 0.0);
        assert_eq!(field.length, LengthFixedPoint::Collapses, "{kind:?}");
        assert_eq!(field.q_star, None);
        // phi'(0) = 1/2.
        assert_close(field.chi1, 0.25, 1e-15, "chi_1 at q -> 0");
        assert_close(chi1(&a, 1.0, 1e-10), 0.25, 1e-9, "chi_1 at small q");
        assert_close(field.xi_q, 1.0 / 4f64.ln(), 1e-12, "collapse rate");
        assert_eq!(field.phase, Phase::Ordered);
    }
}

#[test]
fn length_map_is_increasing_and_its_slope_matches_finite_differences() {
    // The fixed-point solver relies on the length map being increasing in q.
    for a in all_activations() {
        let mut previous = length_map(&a, 1.3, 0.1, 0.0);
        for i in 1..=60 {
            let q = 1e-4 * 1.3f64.powi(i);
            let next = length_map(&a, 1.3, 0.1, q);
            assert!(
                next >= previous,
                "{:?}: length map decreases at q = {q}",
                a.kind
            );
            previous = next;
        }
        for q in [0.05, 0.5, 1.0, 4.0, 20.0] {
            let h = 1e-4 * q;
            let difference =
                (length_map(&a, 1.3, 0.1, q + h) - length_map(&a, 1.3, 0.1, q - h)) / (2.0 * h);
            let slope = length_map_slope(&a, 1.3, q);
            assert_close(
                slope,
                difference,
                1e-7 * slope.abs().max(1.0),
                &format!("{:?} slope", a.kind),
            );
        }
    }
}

#[test]
fn length_map_slope_is_chi1_plus_the_second_derivative_term() {
    // Schoenholz et al. 2017, eq. 5: dq'/dq = chi_1 + sigma_w^2 E[phi''(u) phi(u)], u ~ N(0, q),
    // with phi' and phi'' written out here.
    let sigma_w2 = 1.3;
    let tanh = act(ActivationKind::Tanh);
    for q in [0.3f64, 1.0, 4.0] {
        let s = q.sqrt();
        let sech2 = |x: f64| 1.0 / x.cosh().powi(2);
        let chi = sigma_w2 * gauss_expect(|x| sech2(x).powi(2), 0.0, s);
        let curvature = gauss_expect(|x| -2.0 * x.tanh() * sech2(x) * x.tanh(), 0.0, s);
        let expected = chi + sigma_w2 * curvature;
        assert_close(
            length_map_slope(&tanh, sigma_w2, q),
            expected,
            1e-13,
            "tanh slope",
        );
    }
    // ELU with alpha = 1/2: phi'' = alpha e^x (x < 0), 0 (x > 0), plus (1 - alpha) delta(x) from
    // the jump of phi', which meets phi(0) = 0 and contributes nothing.
    let alpha = 0.5;
    let elu = Activation {
        alpha: alpha as f32,
        ..act(ActivationKind::Elu)
    };
    for q in [0.3f64, 1.0, 4.0] {
        let s = q.sqrt();
        let slope = |x: f64| if x > 0.0 { 1.0 } else { alpha * x.exp() };
        let chi = sigma_w2 * gauss_expect(|x| slope(x).powi(2), 0.0, s);
        let curvature = gauss_expect(
            |x| {
                if x > 0.0 {
                    0.0
                } else {
                    alpha * x.exp() * alpha * x.exp_m1()
                }
            },
            0.0,
            s,
        );
        let expected = chi + sigma_w2 * curvature;
        assert_close(
            length_map_slope(&elu, sigma_w2, q),
            expected,
            1e-13,
            "ELU slope",
        );
    }
}

#[test]
fn fixed_points_are_fixed() {
    for a in all_activations() {
        for (sigma_w2, sigma_b2) in [(0.8, 0.2), (1.5, 0.05), (2.5, 0.5)] {
            if let LengthFixedPoint::Finite(q) = length_fixed_point(&a, sigma_w2, sigma_b2, 1.0) {
                assert_close(
                    length_map(&a, sigma_w2, sigma_b2, q),
                    q,
                    1e-13 * q,
                    "q* is fixed",
                );
                assert!(
                    length_map_slope(&a, sigma_w2, q) < 1.0,
                    "{:?}: q* not stable",
                    a.kind
                );
            }
        }
    }
}

// ---------- correlations ----------

#[test]
fn relu_correlation_map_is_the_arccos_kernel() {
    let relu = act(ActivationKind::Relu);
    for (q_aa, q_bb) in [(1.0, 1.0), (0.5, 3.0)] {
        for c in [-0.9, -0.5, 0.0, 0.3, 0.7, 0.95, 0.999, 1.0 - 1e-9] {
            let (next_aa, next_bb, next_c) = correlation_map(&relu, 2.0, 0.0, q_aa, q_bb, c);
            assert_close(next_aa, q_aa, 1e-14, "q_aa");
            assert_close(next_bb, q_bb, 1e-14 * q_bb, "q_bb");
            assert_close(next_c, arccos_kernel(c), 1e-13, &format!("c' at c = {c}"));
            // Slope: sigma_w^2 E[step step] = (pi - acos c) / pi.
            if q_aa == q_bb {
                let slope = correlation_slope(&relu, 2.0, q_aa, c);
                assert_close(slope, (PI - c.acos()) / PI, 1e-13, "ReLU chi_c");
            }
        }
    }
    let path = predict_correlation(&relu, 2.0, 0.0, 1.0, 0.2, 30);
    assert_eq!(path.len(), 30);
    let mut c = 0.2;
    for (layer, &got) in path.iter().enumerate() {
        assert_close(got, c, 1e-12, &format!("c^{}", layer + 1));
        c = arccos_kernel(c);
    }
}

#[test]
fn correlation_one_is_fixed_and_attracts_in_the_ordered_phase() {
    for a in all_activations() {
        let (q_aa, _, c) = correlation_map(&a, 1.2, 0.3, 0.8, 0.8, 1.0);
        assert_eq!(c, 1.0);
        // Just below 1, c' - 1 = chi_1 (c - 1) to first order.
        let delta = 1e-6;
        let (_, _, c_next) = correlation_map(&a, 1.2, 0.3, 0.8, 0.8, 1.0 - delta);
        let chi = chi1(&a, 1.2, 0.8) * 0.8 / q_aa;
        assert_close(
            (1.0 - c_next) / delta,
            chi,
            2e-3 * chi.max(0.1),
            &format!("{:?} slope at c = 1", a.kind),
        );
    }
    let tanh = act(ActivationKind::Tanh);
    let field = mean_field(&tanh, 1.2, 0.3);
    assert_eq!(field.phase, Phase::Ordered);
    assert_eq!(field.c_star, 1.0);
    let path = predict_correlation(&tanh, 1.2, 0.3, 1.0, 0.0, 200);
    assert!(
        (path[199] - 1.0).abs() < 1e-6,
        "tanh correlations converge to 1: {}",
        path[199]
    );
}

#[test]
fn chaotic_correlation_fixed_point_and_xi_c() {
    let tanh = act(ActivationKind::Tanh);
    let (sigma_w2, sigma_b2) = (2.5, 0.1);
    let field = mean_field(&tanh, sigma_w2, sigma_b2);
    assert_eq!(field.phase, Phase::Chaotic);
    let q = field.q_star.unwrap();
    let c_star = field.c_star;
    assert!(c_star > 0.0 && c_star < 0.9, "c* = {c_star}");
    // Fixed point of the map, checked with the independent tensor quadrature.
    let cross = reference_expect_2d(f64::tanh, f64::tanh, q, c_star);
    assert_close(
        (sigma_w2 * cross + sigma_b2) / q,
        c_star,
        1e-12,
        "c* is fixed",
    );
    // chi_c is the slope of the map at c*.
    let h = 1e-5;
    let map = |c: f64| correlation_map(&tanh, sigma_w2, sigma_b2, q, q, c).2;
    let difference = (map(c_star + h) - map(c_star - h)) / (2.0 * h);
    let chi_c = correlation_slope(&tanh, sigma_w2, q, c_star);
    assert_close(chi_c, difference, 1e-8, "chi_c");
    assert_close(field.xi_c, -1.0 / chi_c.ln(), 1e-12, "xi_c");
    // The iterated map converges to c* from both sides.
    for c0 in [0.0, 0.9] {
        let path = predict_correlation(&tanh, sigma_w2, sigma_b2, q, c0, 400);
        assert_close(path[399], c_star, 1e-10, "iterated correlation");
    }
    // Odd activation without bias: c* = 0.
    let c0 = correlation_fixed_point(
        &tanh,
        2.5,
        0.0,
        length_fixed_point(&tanh, 2.5, 0.0, 1.0).q_star().unwrap(),
    );
    assert!(c0.abs() < 1e-10, "tanh c* without bias: {c0}");
}

#[test]
fn input_correlation_of_inputs_with_a_mean() {
    // i.i.d. N(m, s^2) inputs: input_c = m^2 / (m^2 + s^2).
    let (q1, c1) = input_correlation(1.0, 0.0, 0.25 + 1.0, 0.25 / 1.25);
    assert_close(q1, 1.25, 1e-15, "q^1");
    assert_close(c1, 0.2, 1e-15, "c^1");
    let (q1, c1) = input_correlation(2.0, 0.5, 1.0, 0.0);
    assert_close(q1, 2.5, 1e-15, "q^1 with bias");
    assert_close(c1, 0.2, 1e-15, "bias correlates");
}

// ---------- predictions for the simulation ----------

#[test]
fn relu_layer_predictions_are_closed_form() {
    let relu = act(ActivationKind::Relu);
    let (sigma_w2, sigma_b2, in_mean, in_std) = (1.7, 0.2, 0.5, 2.0);
    let predictions = predict_layers(&relu, sigma_w2, sigma_b2, in_mean, in_std, 12);
    assert_eq!(predictions.len(), 12);
    let mut q = sigma_w2 * (in_mean * in_mean + in_std * in_std) + sigma_b2;
    for p in &predictions {
        assert_close(p.q, q, 1e-13 * q, "q^l");
        let mean = (q / (2.0 * PI)).sqrt();
        assert_close(p.post_mean, mean, 1e-14 * mean, "post mean");
        assert_close(p.post_var, q / 2.0 - mean * mean, 1e-13 * q, "post var");
        q = sigma_w2 * q / 2.0 + sigma_b2;
    }
    assert!(predict_layers(&relu, 1.0, 0.0, 0.0, 1.0, 0).is_empty());
}

#[test]
fn sigma_w2_of_configurations() {
    let base = Config::default();
    assert_close(sigma_w2_of(&base), 1.0, 1e-15, "LeCun");
    let cases = [
        (Initializer::LecunUniform, 1.0, 1.0),
        (Initializer::HeNormal, 1.0, 2.0),
        (Initializer::HeUniform, 1.0, 2.0),
        (Initializer::XavierNormal, 1.0, 1.0),
        (Initializer::XavierUniform, 1.0, 1.0),
        (Initializer::Orthogonal, 1.0, 1.0),
        (Initializer::Normal, 1.0, base.width as f64),
        (Initializer::LecunNormal, 1.5, 2.25),
    ];
    for (init, gain, expected) in cases {
        let config = Config { init, gain, ..base };
        assert_close(
            sigma_w2_of(&config),
            expected,
            1e-12 * expected,
            init.name(),
        );
    }
    assert_eq!(
        sigma_b2_of(&Config {
            bias_std: 0.5,
            ..base
        }),
        0.25
    );
    assert!(predict_config(&Config {
        norm: Normalization::Batch,
        ..base
    })
    .is_none());
}

#[test]
fn predictions_match_the_simulation() {
    // SELU under LeCun with shifted inputs, width 256: the pooled per-layer statistics of one
    // network fluctuate around the mean-field values by a few percent (finite width).
    let config = Config {
        depth: 8,
        width: 256,
        batch: 256,
        input_mean: 0.5,
        input_std: 1.2,
        bias_std: 0.3,
        ..Config::default()
    };
    let predictions = predict_config(&config).unwrap();
    for seed in [1, 2, 3] {
        let sim = Simulation::run(Config { seed, ..config }).unwrap();
        for (layer, (stats, p)) in sim.stats().iter().zip(&predictions).enumerate() {
            let q = stats.pre_second_moment();
            assert!(
                (q / p.q - 1.0).abs() < 0.2,
                "seed {seed} layer {}: q {q} vs {}",
                layer + 1,
                p.q
            );
            let second = stats.post_second_moment();
            let expected = p.post_var + p.post_mean * p.post_mean;
            assert!(
                (second / expected - 1.0).abs() < 0.2,
                "post second moment {second} vs {expected}"
            );
        }
    }
}

// ---------- the self-normalizing map ----------

#[test]
fn selu_map_fixes_zero_one_with_the_published_jacobian() {
    let selu = act(ActivationKind::Selu);
    let (mu, nu) = selu_map(&selu, 0.0, 1.0, 0.0, 1.0);
    assert_close(mu, 0.0, 1e-14, "mu~(0, 1)");
    assert_close(nu, 1.0, 1e-14, "nu~(0, 1)");
    let (mu, nu) = selu_map_closed_form(0.0, 1.0, 0.0, 1.0);
    assert_close(mu, 0.0, 1e-14, "closed-form mu~(0, 1)");
    assert_close(nu, 1.0, 1e-14, "closed-form nu~(0, 1)");
    let j = selu_map_jacobian(&selu, 0.0, 1.0, 0.0, 1.0);
    assert_eq!(j[0][0], 0.0);
    assert_eq!(j[1][0], 0.0);
    assert_close(j[0][1], 0.088835, 1e-6, "d mu~ / d nu");
    assert_close(j[1][1], 0.782648, 1e-6, "d nu~ / d nu");
}

#[test]
fn selu_closed_form_agrees_with_quadrature() {
    let selu = act(ActivationKind::Selu);
    for (mu, nu, omega, tau) in [
        (0.0, 1.0, 0.0, 1.0),
        (0.5, 1.5, 0.1, 1.1),
        (-0.8, 0.3, 1.0, 1.0),
        (1.0, 3.0, 1.0, 1.0),
        (-1.0, 2.5, 0.9, 0.95),
        (0.2, 0.05, 2.0, 1.0),
        (3.0, 0.5, 1.0, 1.0),
        (-3.0, 0.5, 1.0, 1.0),
    ] {
        let closed = selu_map_closed_form(mu, nu, omega, tau);
        let quadrature = selu_map(&selu, mu, nu, omega, tau);
        let what = format!("g({mu}, {nu}) at omega {omega}, tau {tau}");
        assert_close(
            quadrature.0,
            closed.0,
            2e-14 * (1.0 + closed.0.abs()),
            &what,
        );
        assert_close(quadrature.1, closed.1, 2e-14 * (1.0 + closed.1), &what);
    }
}

#[test]
fn selu_jacobian_matches_central_differences_of_the_closed_form() {
    let selu = act(ActivationKind::Selu);
    for (mu, nu, omega, tau) in [
        (0.3, 1.2, 0.5, 1.1),
        (-0.7, 0.4, 1.0, 1.0),
        (0.9, 2.7, -0.3, 0.95),
    ] {
        let j = selu_map_jacobian(&selu, mu, nu, omega, tau);
        let h = 1e-5;
        let d_mu = {
            let (p, m) = (
                selu_map_closed_form(mu + h, nu, omega, tau),
                selu_map_closed_form(mu - h, nu, omega, tau),
            );
            [(p.0 - m.0) / (2.0 * h), (p.1 - m.1) / (2.0 * h)]
        };
        let d_nu = {
            let (p, m) = (
                selu_map_closed_form(mu, nu + h, omega, tau),
                selu_map_closed_form(mu, nu - h, omega, tau),
            );
            [(p.0 - m.0) / (2.0 * h), (p.1 - m.1) / (2.0 * h)]
        };
        for (row, expected) in [[d_mu[0], d_nu[0]], [d_mu[1], d_nu[1]]].iter().enumerate() {
            for col in 0..2 {
                assert_close(
                    j[row][col],
                    expected[col],
                    1e-8,
                    &format!("J[{row}][{col}]"),
                );
            }
        }
    }
}

#[test]
fn fixed_points_of_the_selu_map() {
    let selu = act(ActivationKind::Selu);
    let points = fixed_points_of_map(&selu, 0.0, 1.0);
    assert_eq!(points.len(), 1, "{points:?}");
    let p = points[0];
    assert_close(p.mu, 0.0, 1e-12, "mu*");
    assert_close(p.nu, 1.0, 1e-12, "nu*");
    assert!(p.stable);
    assert_close(p.spectral_radius, 0.782648, 1e-6, "spectral radius");
    assert_close(p.eigenvalues[0].re, 0.782648, 1e-6, "eigenvalue");
    assert_close(p.eigenvalues[1].re, 0.0, 1e-12, "eigenvalue");
    // Theorem 1 (Klambauer et al. 2017): for omega in [-0.1, 0.1], tau in [0.95, 1.1] the
    // attracting fixed point stays in mu in [-0.03106, 0.06773], nu in [0.80009, 1.48617].
    for (omega, tau) in [(0.1, 1.1), (-0.1, 0.95), (0.1, 0.95), (-0.1, 1.1)] {
        let points = fixed_points_of_map(&selu, omega, tau);
        assert_eq!(points.len(), 1, "{points:?}");
        let p = points[0];
        assert!(p.stable, "{p:?}");
        assert!((-0.03106..=0.06773).contains(&p.mu), "{p:?}");
        assert!((0.80009..=1.48617).contains(&p.nu), "{p:?}");
        let (mu, nu) = selu_map_closed_form(p.mu, p.nu, omega, tau);
        assert_close(mu, p.mu, 1e-12, "fixed mu");
        assert_close(nu, p.nu, 1e-12, "fixed nu");
    }
    // ELU and ReLU have no fixed point with nu > 0 at omega = 0, tau = 1: their variance decays.
    assert!(fixed_points_of_map(&act(ActivationKind::Elu), 0.0, 1.0).is_empty());
    assert!(fixed_points_of_map(&act(ActivationKind::Relu), 0.0, 1.0).is_empty());
}

#[test]
fn derive_selu_reproduces_the_published_constants() {
    let (lambda, alpha) = derive_selu(1.0);
    assert_close(lambda, 1.0507009873554805, 1e-14, "lambda");
    assert_close(alpha, 1.6732632423543772, 1e-14, "alpha");
    // docs/science.md#selu: the closed forms.
    let e1 = erfc(1.0 / 2f64.sqrt());
    let alpha_closed = -(2.0 / PI).sqrt() / (e1 * 0.5f64.exp() - 1.0);
    let lambda_closed = (1.0 - e1 * E.sqrt())
        * (2.0 * PI).sqrt()
        * (2.0 * erfc(2f64.sqrt()) * E * E + PI * e1 * e1 * E - 2.0 * (2.0 + PI) * e1 * E.sqrt()
            + PI
            + 2.0)
            .powf(-0.5);
    assert_close(alpha, alpha_closed, 1e-14, "alpha closed form");
    assert_close(lambda, lambda_closed, 1e-14, "lambda closed form");
    let (lambda, alpha) = derive_selu(2.0);
    assert_close(lambda, 1.06071, 5e-6, "lambda for nu* = 2");
    assert_close(alpha, 1.97126, 5e-6, "alpha for nu* = 2");
    // The conditions themselves, by quadrature: E[selu(z)] = 0, Var = nu* for z ~ N(0, nu*).
    for nu_star in [0.3, 2.0, 5.0] {
        let (lambda, alpha) = derive_selu(nu_star);
        let selu = |x: f64| {
            if x > 0.0 {
                lambda * x
            } else {
                lambda * alpha * x.exp_m1()
            }
        };
        let s = nu_star.sqrt();
        assert_close(gauss_expect(selu, 0.0, s), 0.0, 1e-14, "mean condition");
        assert_close(
            gauss_expect(|x| selu(x).powi(2), 0.0, s),
            nu_star,
            1e-13 * nu_star,
            "variance condition",
        );
    }
    assert!(derive_selu(0.0).0.is_nan());
}

// ---------- phases ----------

#[test]
fn phases_and_depth_scales() {
    assert_eq!(Phase::of_chi1(0.5), Phase::Ordered);
    assert_eq!(Phase::of_chi1(1.0005), Phase::Critical);
    assert_eq!(Phase::of_chi1(0.9995), Phase::Critical);
    assert_eq!(Phase::of_chi1(1.5), Phase::Chaotic);
    assert_eq!(depth_scale(1.0), f64::INFINITY);
    assert_eq!(depth_scale(0.0), 0.0);
    assert_close(depth_scale(0.5), 1.0 / 2f64.ln(), 1e-15, "xi");
}

#[test]
fn phase_grid_layout_and_agreement_with_the_accurate_rule() {
    let relu = act(ActivationKind::Relu);
    let grid = phase_grid(&relu, 1.0..=3.0, 0.0..=0.3, 5, 4);
    assert_eq!(grid.len(), 20);
    for (i, p) in grid.iter().enumerate() {
        assert_close(
            p.sigma_w2,
            1.0 + 0.5 * (i % 5) as f64,
            1e-15,
            "sigma_w^2 column",
        );
        assert_close(p.sigma_b2, 0.1 * (i / 5) as f64, 1e-15, "sigma_b^2 row");
        assert_close(p.chi1, p.sigma_w2 / 2.0, 1e-13, "ReLU chi_1");
    }
    for kind in [
        ActivationKind::Tanh,
        ActivationKind::Selu,
        ActivationKind::Gelu,
    ] {
        let a = act(kind);
        for p in phase_grid(&a, 0.5..=4.0, 0.0..=0.5, 8, 6) {
            let field = mean_field(&a, p.sigma_w2, p.sigma_b2);
            assert_close(
                p.chi1,
                field.chi1,
                1e-9 * field.chi1.max(1.0),
                &format!("{kind:?} chi_1 at {p:?}"),
            );
            match field.q_star {
                Some(q) => assert_close(p.q_star, q, 1e-9 * q, &format!("{kind:?} q* at {p:?}")),
                None => assert!(p.q_star.is_nan()),
            }
            assert_eq!(p.phase(), field.phase);
        }
    }
}
