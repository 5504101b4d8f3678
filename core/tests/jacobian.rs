//! The input-output Jacobian and its singular values: the Jacobi SVD against matrices with
//! known singular values, the Jacobian against finite differences of the forward pass, the
//! forward pass against the simulation, isometry of linear orthogonal networks, and the mean
//! squared singular value against the mean-field prediction.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Arch, Config, NormAt, Normalization};
use lab_core::init::Initializer;
use lab_core::jacobian::svd::JacobiSvd;
use lab_core::jacobian::{
    forward_row, input_row, predicted_mean_squared, singular_values, BatchStats, JacobianRun,
    JacobianSummary, MAX_JACOBIAN_WIDTH,
};
use lab_core::rng::Rng;
use lab_core::sim::Simulation;

// ---------- the SVD ----------

/// A random orthogonal n x n matrix: the product of n Householder reflections I - 2 v v^T / v^T v
/// with Gaussian v, each orthogonal to rounding, applied to the identity (row-major).
fn random_orthogonal(n: usize, rng: &mut Rng) -> Vec<f64> {
    let mut q = vec![0.0; n * n];
    for i in 0..n {
        q[i * n + i] = 1.0;
    }
    for _ in 0..n {
        let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let vv: f64 = v.iter().map(|x| x * x).sum();
        // Q <- Q H: each row r of Q becomes r - 2 (r . v / v . v) v.
        for row in q.chunks_exact_mut(n) {
            let rv: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
            for (a, b) in row.iter_mut().zip(&v) {
                *a -= 2.0 * rv / vv * b;
            }
        }
    }
    q
}

/// U diag(s) V^T for an m x n matrix with random orthogonal U (m x m) and V (n x n), s of length
/// min(m, n).
fn with_singular_values(m: usize, n: usize, s: &[f64], seed: u64) -> Vec<f64> {
    let mut rng = Rng::from_seed_and_id(seed, 7);
    let u = random_orthogonal(m, &mut rng);
    let v = random_orthogonal(n, &mut rng);
    let mut a = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            a[i * n + j] = s
                .iter()
                .enumerate()
                .map(|(k, sk)| u[i * m + k] * sk * v[j * n + k])
                .sum();
        }
    }
    a
}

fn sorted_descending(s: &[f64]) -> Vec<f64> {
    let mut s = s.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

#[test]
fn svd_recovers_constructed_singular_values_to_1e_10() {
    let mut worst: f64 = 0.0;
    for (m, n, seed) in [
        (3, 3, 1),
        (8, 8, 2),
        (16, 16, 3),
        (40, 40, 4),
        (12, 5, 5),
        (5, 12, 6),
        (33, 20, 7),
    ] {
        let p = m.min(n);
        // Spread over three orders of magnitude, in a scrambled order.
        let s: Vec<f64> = (0..p)
            .map(|k| 10f64.powf(-3.0 * ((k * 7) % p) as f64 / p.max(2) as f64 - 0.5))
            .collect();
        let a = with_singular_values(m, n, &s, seed);
        let got = singular_values(&a, m, n);
        let want = sorted_descending(&s);
        assert_eq!(got.len(), p);
        for (g, w) in got.iter().zip(&want) {
            let relative = (g - w).abs() / w;
            worst = worst.max(relative);
            assert!(relative < 1e-10, "{m}x{n}: {g} vs {w} ({relative:e})");
        }
    }
    println!("worst relative error: {worst:e}");
}

/// A spread over 14 orders of magnitude: every value to a few ulps of the largest (the best any
/// backward-stable method promises), the large ones to 1e-10 relative.
#[test]
fn svd_of_an_ill_conditioned_matrix_is_accurate_relative_to_the_largest() {
    let n = 24;
    let s: Vec<f64> = (0..n)
        .map(|k| 10f64.powf(-14.0 * k as f64 / 23.0))
        .collect();
    let a = with_singular_values(n, n, &s, 11);
    let got = singular_values(&a, n, n);
    for (g, w) in got.iter().zip(&s) {
        assert!((g - w).abs() < 1e-14, "{g} vs {w}");
        if *w > 1e-4 {
            assert!((g - w).abs() / w < 1e-10, "{g} vs {w}");
        }
    }
}

#[test]
fn svd_of_rank_deficient_matrices() {
    for (m, n, rank, seed) in [
        (10, 10, 4, 21),
        (9, 14, 1, 22),
        (14, 9, 6, 23),
        (6, 6, 0, 24),
    ] {
        let p = m.min(n);
        let s: Vec<f64> = (0..p)
            .map(|k| if k < rank { 2.0 + k as f64 } else { 0.0 })
            .collect();
        let a = with_singular_values(m, n, &s, seed);
        let got = singular_values(&a, m, n);
        let want = sorted_descending(&s);
        for (g, w) in got.iter().zip(&want) {
            if *w > 0.0 {
                assert!((g - w).abs() / w < 1e-10, "{m}x{n} rank {rank}: {g} vs {w}");
            } else {
                // Rounding in the construction leaves values of order eps times the largest.
                assert!(*g < 1e-13 * want[0].max(1.0), "{m}x{n} rank {rank}: {g}");
            }
        }
    }
    assert_eq!(singular_values(&[0.0; 12], 3, 4), vec![0.0; 3]);
}

#[test]
fn svd_of_tiny_matrices_against_closed_forms() {
    assert_eq!(singular_values(&[-3.0], 1, 1), vec![3.0]);
    assert_eq!(singular_values(&[0.0], 1, 1), vec![0.0]);
    // A row or a column: its length.
    let row = [3.0, -4.0, 12.0];
    for (m, n) in [(1, 3), (3, 1)] {
        let got = singular_values(&row, m, n);
        assert!((got[0] - 13.0).abs() < 1e-14, "{got:?}");
    }
    // 2 x 2: s1 s2 = |det A| and s1^2 + s2^2 = |A|_F^2, so s1,2 = (sqrt(F + 2D) +- sqrt(F - 2D)) / 2.
    let mut rng = Rng::from_seed_and_id(5, 5);
    for _ in 0..50 {
        let a: Vec<f64> = (0..4).map(|_| rng.normal()).collect();
        let f = a.iter().map(|x| x * x).sum::<f64>();
        let d = (a[0] * a[3] - a[1] * a[2]).abs();
        let (sum, diff) = ((f + 2.0 * d).sqrt(), (f - 2.0 * d).max(0.0).sqrt());
        let want = [(sum + diff) / 2.0, (sum - diff) / 2.0];
        let got = singular_values(&a, 2, 2);
        // The closed form's own cancellation in s2 costs up to about eps s1^2 / s2.
        assert!((got[0] - want[0]).abs() < 1e-14 * want[0], "{a:?}");
        assert!((got[1] - want[1]).abs() < 1e-13 * want[0], "{a:?}");
    }
    // Already diagonal, in the wrong order, with a sign.
    assert_eq!(
        singular_values(&[1.0, 0.0, 0.0, -5.0], 2, 2),
        vec![5.0, 1.0]
    );
}

#[test]
fn svd_result_does_not_depend_on_the_work_units() {
    let n = 30;
    let s: Vec<f64> = (0..n).map(|k| 1.0 / (1.0 + k as f64)).collect();
    let a = with_singular_values(n, n, &s, 31);
    let whole = singular_values(&a, n, n);
    let mut svd = JacobiSvd::new(&a, n, n);
    let mut units = 0;
    while !svd.step(1.0) {
        units += 1;
    }
    assert!(units > n * (n - 1) / 2, "one pair per unit: {units}");
    assert!(svd.converged());
    assert_eq!(svd.singular_values().unwrap(), whole);
}

// ---------- the Jacobian ----------

fn net(kind: ActivationKind, init: Initializer, depth: usize, width: usize, seed: u64) -> Config {
    Config {
        activation: Activation::new(kind),
        init,
        depth,
        width,
        batch: 4,
        seed,
        ..Config::default()
    }
}

#[test]
fn forward_row_is_the_simulations_row_0() {
    for (kind, init, gain, bias_std, seed) in [
        (ActivationKind::Tanh, Initializer::Orthogonal, 1.2, 0.1, 1),
        (ActivationKind::Selu, Initializer::LecunNormal, 1.0, 0.0, 2),
        (ActivationKind::Relu, Initializer::HeNormal, 1.0, 0.3, 3),
        (
            ActivationKind::Gelu,
            Initializer::XavierUniform,
            1.5,
            0.05,
            4,
        ),
    ] {
        let config = Config {
            gain,
            bias_std,
            input_mean: 0.2,
            input_std: 1.3,
            ..net(kind, init, 6, 32, seed)
        };
        let sim = Simulation::run(config).unwrap();
        let sim_row = &sim.output().unwrap()[..32];
        assert_eq!(
            input_row(&config),
            sim.input()[..32]
                .iter()
                .map(|&v| f64::from(v))
                .collect::<Vec<_>>()
        );
        let run = JacobianRun::run(config, None).unwrap();
        let ours = run.output().unwrap();
        assert_eq!(
            ours,
            forward_row(&config, None, &input_row(&config)).unwrap()
        );
        // The simulation rounds to f32 (relative 6e-8) in every matmul term and activation;
        // over 6 layers of 32 terms that stays far below 1e-5 of the row's scale.
        let scale = (ours.iter().map(|v| v * v).sum::<f64>() / 32.0).sqrt();
        for (a, &b) in ours.iter().zip(sim_row) {
            assert!(
                (a - f64::from(b)).abs() < 1e-5 * scale,
                "{kind:?}: {a} vs {b}"
            );
        }
    }
}

/// One layer of a linear network without bias or normalization: J = W exactly, the
/// simulation's weights (checked through the simulation's output for the unit inputs).
#[test]
fn one_linear_layer_has_the_weight_matrix_as_jacobian() {
    let config = Config {
        bias_std: 0.0,
        ..net(ActivationKind::Linear, Initializer::LecunNormal, 1, 6, 9)
    };
    let run = JacobianRun::run(config, None).unwrap();
    let jac = run.jacobian().unwrap();
    // x W for x = e_i is row i of W; the forward pass is linear, so J_ij = forward(e_i)_j.
    for i in 0..6 {
        let mut e = vec![0.0; 6];
        e[i] = 1.0;
        let row = forward_row(&config, None, &e).unwrap();
        assert_eq!(&jac[i * 6..(i + 1) * 6], row.as_slice());
    }
}

fn random_batch_stats(depth: usize, width: usize, seed: u64) -> Vec<BatchStats> {
    let mut rng = Rng::from_seed_and_id(seed, 3);
    (0..depth)
        .map(|_| {
            let means = (0..width).map(|_| 0.3 * rng.normal()).collect();
            let inv = (0..width).map(|_| 0.5 + rng.uniform()).collect();
            (means, inv)
        })
        .collect()
}

/// Every normalization in both placements and both architectures against central finite
/// differences of `forward_row`: step 1e-5 leaves a truncation error of order 1e-10 (smooth
/// activations, third derivatives O(1)) and rounding of order 1e-16 / 1e-5 = 1e-11.
#[test]
fn jacobian_matches_finite_differences() {
    let (depth, width) = (3, 8);
    let stats = random_batch_stats(depth, width, 4);
    let mut cases = 0;
    for arch in [Arch::Plain, Arch::Residual] {
        for norm in [
            Normalization::None,
            Normalization::Batch,
            Normalization::Layer,
            Normalization::Group,
            Normalization::Rms,
        ] {
            for norm_at in [NormAt::Pre, NormAt::Post] {
                for (kind, groups) in [(ActivationKind::Tanh, 2), (ActivationKind::Gelu, 4)] {
                    let config = Config {
                        arch,
                        norm,
                        norm_at,
                        groups,
                        res_scale: 0.7,
                        bias_std: 0.2,
                        gain: 1.3,
                        input_mean: 0.1,
                        ..net(kind, Initializer::LecunNormal, depth, width, 5)
                    };
                    let bn = (norm == Normalization::Batch).then_some(stats.as_slice());
                    let run = JacobianRun::run(config, bn).unwrap();
                    let jac = run.jacobian().unwrap();
                    let x0 = input_row(&config);
                    let scale = jac.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    for i in 0..width {
                        let h = 1e-5;
                        let (mut up, mut down) = (x0.clone(), x0.clone());
                        up[i] += h;
                        down[i] -= h;
                        let f_up = forward_row(&config, bn, &up).unwrap();
                        let f_down = forward_row(&config, bn, &down).unwrap();
                        for j in 0..width {
                            let fd = (f_up[j] - f_down[j]) / (2.0 * h);
                            let exact = jac[i * width + j];
                            assert!(
                                (fd - exact).abs() < 1e-7 * scale.max(1.0),
                                "{arch:?} {norm:?} {norm_at:?} {kind:?} J[{i}][{j}]: {exact} vs {fd}"
                            );
                        }
                    }
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 40);
}

/// A linear network with orthogonal weights is an orthogonal map: every singular value 1 (the
/// weights are orthogonal to f32 rounding, about 1e-7 per layer).
#[test]
fn linear_orthogonal_network_is_an_isometry() {
    for (depth, width, seed) in [(20, 64, 1), (50, 16, 2)] {
        let config = Config {
            bias_std: 0.5,
            ..net(
                ActivationKind::Linear,
                Initializer::Orthogonal,
                depth,
                width,
                seed,
            )
        };
        let run = JacobianRun::run(config, None).unwrap();
        let sv = run.singular_values().unwrap();
        assert_eq!(sv.len(), width);
        for s in sv {
            assert!((s - 1.0).abs() < 1e-4, "depth {depth}: {s}");
        }
        let summary = run.summary().unwrap();
        assert!(summary.resolved());
        assert!((summary.condition - 1.0).abs() < 2e-4);
        assert!((summary.mean_squared - 1.0).abs() < 2e-4);
        // Linear, orthogonal with gain 1: chi_1 = 1 in every layer.
        assert!((summary.prediction.unwrap() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn refusals_say_why() {
    let wide = net(
        ActivationKind::Tanh,
        Initializer::Orthogonal,
        2,
        MAX_JACOBIAN_WIDTH + 1,
        1,
    );
    let reason = JacobianRun::new(wide, None).unwrap_err();
    assert!(reason.contains("up to width 512"), "{reason}");
    let bn = Config {
        norm: Normalization::Batch,
        ..net(ActivationKind::Tanh, Initializer::Orthogonal, 3, 8, 1)
    };
    let reason = JacobianRun::new(bn, None).unwrap_err();
    assert!(reason.contains("BatchNorm"), "{reason}");
    let short = random_batch_stats(2, 8, 1);
    let reason = JacobianRun::new(bn, Some(&short)).unwrap_err();
    assert!(reason.contains("2 layers given for depth 3"), "{reason}");
    assert!(JacobianRun::new(bn, Some(&random_batch_stats(3, 8, 1))).is_ok());
    let invalid = Config {
        depth: 0,
        ..net(ActivationKind::Tanh, Initializer::Orthogonal, 3, 8, 1)
    };
    assert!(JacobianRun::new(invalid, None)
        .unwrap_err()
        .contains("depth"));
}

#[test]
fn overflow_is_reported_not_panicked() {
    // ReLU with N(0, 1e20) weights at width 8 multiplies the scale by about 2e10 per layer,
    // past f64's 1.8e308 within 40 layers.
    let config = Config {
        gain: 1e10,
        ..net(ActivationKind::Relu, Initializer::Normal, 40, 8, 1)
    };
    let run = JacobianRun::run(config, None).unwrap();
    assert!(run.singular_values().is_none());
    assert!(
        run.failure().unwrap().contains("overflowed"),
        "{:?}",
        run.failure()
    );
}

#[test]
fn results_do_not_depend_on_the_work_units() {
    let config = Config {
        norm: Normalization::Layer,
        ..net(ActivationKind::Tanh, Initializer::Orthogonal, 4, 24, 3)
    };
    let whole = JacobianRun::run(config, None).unwrap();
    let mut sliced = JacobianRun::new(config, None).unwrap();
    let mut last = 0.0;
    while !sliced.step(1.0) {
        let p = sliced.progress();
        assert!((last..1.0).contains(&p), "{last} {p}");
        last = p;
    }
    assert_eq!(sliced.progress(), 1.0);
    assert_eq!(sliced.singular_values(), whole.singular_values());
}

// ---------- the summary and the mean-field prediction ----------

#[test]
fn summary_percentiles_and_condition() {
    let config = net(ActivationKind::Tanh, Initializer::Orthogonal, 1, 101, 1);
    // 101 values 101, 100, ..., 1: the p-th percentile is 1 + p.
    let values: Vec<f64> = (1..=101).rev().map(f64::from).collect();
    let s = JacobianSummary::new(&values, &config);
    assert_eq!((s.median, s.p5, s.p95), (51.0, 6.0, 96.0));
    assert_eq!(s.condition, 101.0);
    let mean_squared = (1..=101).map(|k| f64::from(k * k)).sum::<f64>() / 101.0;
    assert!((s.mean_squared - mean_squared).abs() < 1e-9);
    // Interpolated: 4 values 4, 3, 2, 1 have their median halfway between 2 and 3.
    let four = JacobianSummary::new(&[4.0, 3.0, 2.0, 1.0], &config);
    assert_eq!(four.median, 2.5);
    let singular = JacobianSummary::new(&[2.0, 1.0, 0.0], &config);
    assert_eq!(singular.condition, f64::INFINITY);
    assert_eq!(singular.below_floor, 1);
    assert!(!singular.resolved());
}

/// E[g(sqrt(q) z)] by the trapezoid rule on [-12, 12] with 24001 points (a quadrature written
/// here, independent of the core's).
fn expect(q: f64, g: impl Fn(f64) -> f64) -> f64 {
    let (steps, half_width) = (24000, 12.0);
    let dz = 2.0 * half_width / steps as f64;
    (0..=steps)
        .map(|k| {
            let z = -half_width + k as f64 * dz;
            let w = if k == 0 || k == steps { 0.5 } else { 1.0 };
            w * g(q.sqrt() * z) * (-0.5 * z * z).exp()
        })
        .sum::<f64>()
        * dz
        / (2.0 * std::f64::consts::PI).sqrt()
}

/// The product over layers of sigma_w^2 E[phi'(h^l)^2], with q^l from the length map, computed
/// here for tanh.
fn tanh_prediction(sigma_w2: f64, sigma_b2: f64, input_q: f64, depth: usize) -> f64 {
    let mut q = sigma_w2 * input_q + sigma_b2;
    let mut product = 1.0;
    for _ in 0..depth {
        product *= sigma_w2 * expect(q, |x| (1.0 - x.tanh().powi(2)).powi(2));
        q = sigma_w2 * expect(q, |x| x.tanh().powi(2)) + sigma_b2;
    }
    product
}

#[test]
fn prediction_against_independent_quadrature() {
    let config = Config {
        gain: 1.5,
        bias_std: 0.3,
        input_mean: 0.5,
        input_std: 0.8,
        ..net(ActivationKind::Tanh, Initializer::LecunNormal, 12, 64, 1)
    };
    // The config's f32 values, exactly.
    let (sb, std) = (f64::from(0.3f32), f64::from(0.8f32));
    let want = tanh_prediction(2.25, sb * sb, 0.25 + std * std, 12);
    let got = predicted_mean_squared(&config).unwrap();
    assert!((got / want - 1.0).abs() < 1e-9, "{got} vs {want}");
    // ReLU: E[relu'(h)^2] = 1/2 for every q > 0, so the prediction is (sigma_w^2 / 2)^depth.
    let relu = Config {
        gain: 1.1,
        ..net(ActivationKind::Relu, Initializer::HeNormal, 7, 64, 1)
    };
    let got = predicted_mean_squared(&relu).unwrap();
    let sigma_w2 = 2.0 * f64::from(1.1f32).powi(2);
    assert!((got / (sigma_w2 / 2.0).powi(7) - 1.0).abs() < 1e-9, "{got}");
    let residual = Config {
        arch: Arch::Residual,
        ..relu
    };
    assert!(predicted_mean_squared(&residual).is_err());
}

/// The mean squared singular value (1/n) |J|_F^2 of single networks scatters around the
/// prediction: each layer multiplies it by a factor whose relative variance is of order a few
/// times 1/width (which units are active or saturated, the random directions of Gaussian
/// weights), so at depth 4 and width 256 one network's ratio to the prediction has a relative
/// spread of about sqrt(4 * 3 / 256) = 0.2 (measured: 0.11 to 0.17). The mean over 16 seeds is
/// checked to 4 of its measured standard errors (about 0.12) plus depth / width for the
/// finite-width bias (a layer's weights enter both its pre-activations and the product); a
/// prediction off by one layer's chi_1 (1.2 to 1.6 here) would miss that.
#[test]
fn mean_squared_singular_value_follows_the_prediction() {
    for (kind, init, gain, bias_std) in [
        (ActivationKind::Tanh, Initializer::LecunNormal, 1.6, 0.2),
        (ActivationKind::Tanh, Initializer::Orthogonal, 1.6, 0.2),
        (ActivationKind::Relu, Initializer::HeNormal, 1.1, 0.0),
        (ActivationKind::Relu, Initializer::Orthogonal, 1.3, 0.1),
    ] {
        let (depth, width) = (4, 256);
        let ratios: Vec<f64> = (0..16)
            .map(|seed| {
                let config = Config {
                    gain,
                    bias_std,
                    ..net(kind, init, depth, width, 100 + seed)
                };
                // The mean square needs J only, not its SVD: (1/n) |J|_F^2.
                let mut run = JacobianRun::new(config, None).unwrap();
                while run.jacobian().is_none() {
                    run.step(1e8);
                }
                let jac = run.jacobian().unwrap();
                let mean_squared = jac.iter().map(|v| v * v).sum::<f64>() / width as f64;
                mean_squared / predicted_mean_squared(&config).unwrap()
            })
            .collect();
        let k = ratios.len() as f64;
        let mean = ratios.iter().sum::<f64>() / k;
        let sd = (ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        println!("{kind:?} {init:?}: mean ratio {mean:.4}, sd {sd:.4}");
        assert!(sd < 0.4, "{kind:?} {init:?}: spread {sd}");
        assert!(
            (mean - 1.0).abs() < 4.0 * sd / k.sqrt() + depth as f64 / width as f64,
            "{kind:?} {init:?}: {ratios:?}"
        );
    }
}

/// The cost of the page's largest case, measured once with `cargo test --release -p lab-core
/// --test jacobian -- --ignored --nocapture` (no assertion on time): tanh at the edge of chaos
/// with orthogonal weights, depth 100, width 512.
#[test]
#[ignore]
fn depth_100_width_512() {
    let config = Config {
        bias_std: 0.05,
        ..net(ActivationKind::Tanh, Initializer::Orthogonal, 100, 512, 1)
    };
    let start = std::time::Instant::now();
    let mut run = JacobianRun::new(config, None).unwrap();
    let mut product_done = None;
    while !run.step(4e7) {
        if product_done.is_none() && run.jacobian().is_some() {
            product_done = Some(start.elapsed());
        }
    }
    let s = run.summary().unwrap();
    println!(
        "products {:?}, total {:?}, sweeps {:?}; median {:.3e} p5 {:.3e} p95 {:.3e} cond {:.3e} \
         msv {:.4} predicted {:?} below floor {}",
        product_done,
        start.elapsed(),
        run.svd_converged(),
        s.median,
        s.p5,
        s.p95,
        s.condition,
        s.mean_squared,
        s.prediction,
        s.below_floor
    );
}

/// a + b exactly as hi + lo (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let v = s - a;
    (s, (a - (s - v)) + (b - v))
}

/// J = A^1 ... A^depth in double-double arithmetic (about 32 digits; the rounding error of each
/// product exactly from `f64::mul_add`), rounded to f64 at the end.
fn product_double_double(locals: &[Vec<f64>], n: usize) -> Vec<f64> {
    let mut hi = locals[0].clone();
    let mut lo = vec![0.0; n * n];
    for a in &locals[1..] {
        let (mut next_hi, mut next_lo) = (vec![0.0; n * n], vec![0.0; n * n]);
        for i in 0..n {
            for j in 0..n {
                let (mut s, mut e) = (0.0f64, 0.0f64);
                for k in 0..n {
                    let b = a[k * n + j];
                    let p = hi[i * n + k] * b;
                    let p_err = hi[i * n + k].mul_add(b, -p) + lo[i * n + k] * b;
                    let (t, t_err) = two_sum(s, p);
                    s = t;
                    e += t_err + p_err;
                }
                let (h, l) = two_sum(s, e);
                next_hi[i * n + j] = h;
                next_lo[i * n + j] = l;
            }
        }
        hi = next_hi;
        lo = next_lo;
    }
    hi.iter().zip(&lo).map(|(h, l)| h + l).collect()
}

/// The summary's rounding floor (largest x depth x width x eps) bounds what rounding in the f64
/// product does to the singular values: against the same product in double-double arithmetic,
/// every singular value moves by less than the floor, for networks whose values spread far
/// below it (Gaussian tanh and ReLU) and for one that stays near 1 (orthogonal tanh).
#[test]
fn rounding_floor_bounds_the_products_error() {
    for (kind, init, gain, depth) in [
        (ActivationKind::Tanh, Initializer::LecunNormal, 1.0, 40),
        (ActivationKind::Relu, Initializer::HeNormal, 1.0, 40),
        (ActivationKind::Tanh, Initializer::Orthogonal, 1.05, 40),
        (ActivationKind::Gelu, Initializer::Normal, 0.3, 20),
    ] {
        let width = 24;
        let config = Config {
            gain,
            bias_std: 0.05,
            ..net(kind, init, depth, width, 3)
        };
        let run = JacobianRun::run(config, None).unwrap();
        let summary = run.summary().unwrap();
        let locals =
            lab_core::jacobian::local_jacobians(&config, None, &input_row(&config)).unwrap();
        let accurate = singular_values(&product_double_double(&locals, width), width, width);
        let worst = run
            .singular_values()
            .unwrap()
            .iter()
            .zip(&accurate)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!(
            "{kind:?} {init:?}: worst {:.2e} of the largest, floor {:.2e}, {} below",
            worst / summary.largest,
            summary.floor / summary.largest,
            summary.below_floor
        );
        assert!(
            worst < summary.floor,
            "{kind:?}: {worst} vs {}",
            summary.floor
        );
    }
}
