//! Simulation invariants, the backward pass against finite differences, determinism, signal
//! detection and edge cases. Statistical bounds are derived from the sampling spread (explained
//! at each test) and checked for several seeds.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Arch, Config, NormAt, Normalization};
use lab_core::init::Initializer;
use lab_core::rng::{Rng, Stream};
use lab_core::sim::{LayerStats, RunPhase, Signal, Simulation};

fn config(
    kind: ActivationKind,
    init: Initializer,
    depth: usize,
    width: usize,
    batch: usize,
    seed: u64,
) -> Config {
    Config {
        activation: Activation::new(kind),
        init,
        depth,
        width,
        batch,
        seed,
        ..Config::default()
    }
}

fn bits(stats: &[LayerStats]) -> Vec<[u64; 6]> {
    stats
        .iter()
        .map(|s| {
            [
                s.pre_mean.to_bits(),
                s.pre_var.to_bits(),
                s.post_mean.to_bits(),
                s.post_var.to_bits(),
                s.grad_rms.to_bits(),
                s.pair_corr.to_bits(),
            ]
        })
        .collect()
}

// ---------- invariants ----------

/// SELU with LeCun normal weights keeps the post-activations at mean 0, variance 1 (Klambauer et
/// al. 2017, fixed point of the (mu, nu) map, Jacobian spectral norm 0.79).
///
/// Bounds, with batch B = 64 and width n = 512. Mean: the layer mean averages B n values; the
/// SELU correlation map has slope (E selu')^2 = 0.97 at c = 0, so rows decorrelate but only
/// slowly, and finite-width noise leaves small row correlations c that shrink the effective batch
/// (sd = sqrt((1 + (B - 1) c) / (B n)), 0.0055 for c = 0, about 0.01 for c = 0.02). Variance: the
/// per-layer relative noise of nu is about sqrt(2/(B n)) from the entries plus the same order from
/// the weight matrix, accumulated through the contraction (0.78 per layer on nu) with a gain of
/// 1/sqrt(1 - 0.78^2) = 1.6, so sd about 0.02. The bounds 0.05 and 0.1 are thus about 5 sd for
/// each of the 100 layers and 3 seeds (measured maxima over those 300 layers with the
/// `stats` example: |mean| 0.025, |var - 1| 0.05).
#[test]
fn selu_lecun_normal_self_normalizes() {
    for seed in [1, 2, 3] {
        let sim = Simulation::run(config(
            ActivationKind::Selu,
            Initializer::LecunNormal,
            100,
            512,
            64,
            seed,
        ))
        .unwrap();
        assert_eq!(sim.stats().len(), 100);
        for (i, s) in sim.stats().iter().enumerate() {
            assert!(
                s.post_mean.abs() < 0.05,
                "seed {seed}, layer {}: post mean {}",
                i + 1,
                s.post_mean
            );
            assert!(
                (s.post_var - 1.0).abs() < 0.1,
                "seed {seed}, layer {}: post var {}",
                i + 1,
                s.post_var
            );
        }
        assert_eq!(sim.forward_signal(), Signal::Healthy);
    }
}

/// Ratios q^(l+1)/q^l of the pre-activation second moment over layers l and several seeds.
fn second_moment_ratios(init: Initializer, seeds: &[u64]) -> Vec<f64> {
    let mut ratios = Vec::new();
    for &seed in seeds {
        let sim = Simulation::run(config(ActivationKind::Relu, init, 30, 256, 32, seed)).unwrap();
        let moments: Vec<f64> = sim
            .stats()
            .iter()
            .map(LayerStats::pre_second_moment)
            .collect();
        ratios.extend(moments.windows(2).map(|w| w[1] / w[0]));
    }
    ratios
}

/// Mean and standard error of the mean.
fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// ReLU: E[h_(l+1)^2] = sigma_w^2 E[relu(h_l)^2] = sigma_w^2 E[h_l^2] / 2 for symmetric h_l, so the
/// pre-activation second moment is multiplied by 1/2 per layer under LeCun (sigma_w^2 = 1) and
/// kept under He (sigma_w^2 = 2; Poole et al. 2016). Each layer's ratio is a fresh draw (new
/// independent weights), so the mean ratio is within 5 standard errors of its expectation, with
/// the standard error estimated from the observed ratios themselves. The spread is capped too
/// (finite-width fluctuations are of order sqrt(2/n) = 0.09 relative), so the test is not vacuous.
#[test]
fn relu_second_moment_halves_under_lecun_and_is_kept_under_he() {
    let seeds = [11, 12, 13, 14];
    for (init, expected) in [
        (Initializer::LecunNormal, 0.5),
        (Initializer::HeNormal, 1.0),
    ] {
        let ratios = second_moment_ratios(init, &seeds);
        let (mean, error) = mean_and_error(&ratios);
        assert!(
            (mean - expected).abs() < 5.0 * error,
            "{}: mean ratio {mean} +- {error}",
            init.name()
        );
        assert!(
            error * (ratios.len() as f64).sqrt() < 0.15 * expected,
            "{}: spread {error}",
            init.name()
        );
    }
}

/// A linear network with orthogonal weights (gain 1, no bias) is an orthogonal map: every input
/// row keeps its Euclidean norm, up to f32 rounding (about 1e-7 per layer).
#[test]
fn linear_orthogonal_preserves_row_norms() {
    for seed in [5, 6] {
        let (width, batch) = (64, 8);
        let sim = Simulation::run(config(
            ActivationKind::Linear,
            Initializer::Orthogonal,
            60,
            width,
            batch,
            seed,
        ))
        .unwrap();
        let norm = |row: &[f32]| {
            row.iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let output = sim.output().expect("forward pass done");
        for (x_in, x_out) in sim
            .input()
            .chunks_exact(width)
            .zip(output.chunks_exact(width))
        {
            let ratio = norm(x_out) / norm(x_in);
            assert!(
                (ratio - 1.0).abs() < 1e-4,
                "seed {seed}: norm ratio {ratio}"
            );
        }
    }
}

// ---------- backward pass against finite differences ----------

/// The forward pass recomputed in f64 from the same random streams, with an optional
/// perturbation of one entry of h^l (the matmul output, before normalization). Returns
/// (L = sum(g * x^depth), per-layer (pre_mean, pre_var, post_mean, post_var)).
fn forward_f64(
    config: &Config,
    input: &[f32],
    perturb: Option<(usize, usize, f64)>,
) -> (f64, Vec<[f64; 4]>) {
    let (n, b) = (config.width, config.batch);
    let act = config.activation;
    let mut x: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
    let mut stats = Vec::new();
    for layer in 1..=config.depth {
        let w = config.init.sample(
            n,
            n,
            f64::from(config.gain),
            Rng::stream(config.seed, Stream::Weights(layer)),
        );
        let mut bias = vec![0.0f32; n];
        Rng::stream(config.seed, Stream::Biases(layer)).fill_normal_f32(
            &mut bias,
            0.0,
            f64::from(config.bias_std),
        );
        // Index sets of the normalization groups: columns (BatchNorm), rows (LayerNorm,
        // RMSNorm) or runs of n / G consecutive units of a row (GroupNorm); RMSNorm does not
        // centre.
        let g = config.groups;
        let groups: Vec<Vec<usize>> = match config.norm {
            Normalization::None => Vec::new(),
            Normalization::Batch => (0..n)
                .map(|j| (0..b).map(|r| r * n + j).collect())
                .collect(),
            Normalization::Layer | Normalization::Rms => (0..b)
                .map(|r| (0..n).map(|j| r * n + j).collect())
                .collect(),
            Normalization::Group => (0..b * g)
                .map(|k| {
                    let (r, q) = (k / g, k % g);
                    (q * n / g..(q + 1) * n / g).map(|j| r * n + j).collect()
                })
                .collect(),
        };
        let centre = config.norm != Normalization::Rms;
        let normalize = |v: &mut Vec<f64>| {
            for group in &groups {
                let m = group.len() as f64;
                let mean = if centre {
                    group.iter().map(|&i| v[i]).sum::<f64>() / m
                } else {
                    0.0
                };
                let var = group.iter().map(|&i| (v[i] - mean).powi(2)).sum::<f64>() / m;
                for &i in group {
                    v[i] = (v[i] - mean) / (var + 1e-5).sqrt();
                }
            }
        };
        // A residual block normalizes (a copy of) the stream before its matmul.
        let residual = config.arch == Arch::Residual;
        let mut src = x.clone();
        if residual {
            normalize(&mut src);
        }
        let mut h = vec![0.0; b * n];
        for r in 0..b {
            for j in 0..n {
                h[r * n + j] = (0..n)
                    .map(|k| src[r * n + k] * f64::from(w[k * n + j]))
                    .sum::<f64>()
                    + f64::from(bias[j]);
            }
        }
        if let Some((l, index, eps)) = perturb {
            if l == layer {
                h[index] += eps;
            }
        }
        // Before the activation: x = phi(norm(h)); after: x = norm(phi(h)).
        if residual {
            // x^l = x^(l-1) + s phi(h^l).
            let s = f64::from(config.res_scale);
            for (x, &h) in x.iter_mut().zip(&h) {
                *x += s * act.f64(h);
            }
        } else {
            if config.norm_at == NormAt::Pre {
                normalize(&mut h);
            }
            x = h.iter().map(|&v| act.f64(v)).collect();
            if config.norm_at == NormAt::Post {
                normalize(&mut x);
            }
        }
        let mean_var = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            (
                mean,
                v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / v.len() as f64,
            )
        };
        let (pre_mean, pre_var) = mean_var(&h);
        let (post_mean, post_var) = mean_var(&x);
        stats.push([pre_mean, pre_var, post_mean, post_var]);
    }
    let mut g = vec![0.0f32; b * n];
    Rng::stream(config.seed, Stream::BackwardSeed).fill_normal_f32(&mut g, 0.0, 1.0);
    let loss = g.iter().zip(&x).map(|(&gi, xi)| f64::from(gi) * xi).sum();
    (loss, stats)
}

#[test]
fn backward_pass_matches_finite_differences() {
    // Plain stacks in both placements, and residual blocks (pre-norm).
    for (norm, norm_at, arch) in Normalization::ALL
        .into_iter()
        .flat_map(|n| NormAt::ALL.into_iter().map(move |a| (n, a, Arch::Plain)))
        .filter(|&(n, a, _)| n != Normalization::None || a == NormAt::Pre)
        .chain(
            Normalization::ALL
                .into_iter()
                .map(|n| (n, NormAt::Pre, Arch::Residual)),
        )
    {
        for kind in [
            ActivationKind::Tanh,
            ActivationKind::Selu,
            ActivationKind::Gelu,
        ] {
            let config = Config {
                norm_at,
                arch,
                res_scale: 0.7,
                gain: 1.3,
                bias_std: 0.4,
                input_mean: 0.3,
                norm,
                // GroupNorm: 2 groups of 3 units (groups of 2 leave h only its sign: y = +-1
                // up to eps, and a gradient too small for finite differences).
                groups: 2,
                ..config(
                    kind,
                    Initializer::LecunNormal,
                    3,
                    if norm == Normalization::Group { 6 } else { 4 },
                    3,
                    21,
                )
            };
            let sim = Simulation::run(config).unwrap();
            let (_, reference_stats) = forward_f64(&config, sim.input(), None);
            for (s, r) in sim.stats().iter().zip(&reference_stats) {
                let got = [s.pre_mean, s.pre_var, s.post_mean, s.post_var];
                for (a, b) in got.iter().zip(r) {
                    assert!(
                        (a - b).abs() < 1e-5 * (1.0 + b.abs()),
                        "{norm:?} {norm_at:?} {arch:?} {kind:?}: forward stat {a} vs {b}"
                    );
                }
            }
            let eps = 1e-6;
            for layer in 1..=config.depth {
                let entries = config.batch * config.width;
                let mut sum_sq = 0.0;
                for index in 0..entries {
                    let (plus, _) = forward_f64(&config, sim.input(), Some((layer, index, eps)));
                    let (minus, _) = forward_f64(&config, sim.input(), Some((layer, index, -eps)));
                    sum_sq += ((plus - minus) / (2.0 * eps)).powi(2);
                }
                let fd_rms = (sum_sq / entries as f64).sqrt();
                let grad_rms = sim.stats()[layer - 1].grad_rms;
                assert!(
                    fd_rms > 1e-3,
                    "{norm:?} {norm_at:?} {arch:?} {kind:?} layer {layer}: degenerate test ({fd_rms})"
                );
                assert!(
                    (grad_rms - fd_rms).abs() < 1e-4 * fd_rms,
                    "{norm:?} {norm_at:?} {arch:?} {kind:?} layer {layer}: backward {grad_rms} vs finite differences {fd_rms}"
                );
            }
        }
    }
}

// ---------- determinism ----------

#[test]
fn results_are_bit_identical_whatever_the_step_budget() {
    for norm in Normalization::ALL {
        let config = Config {
            norm,
            bias_std: 0.1,
            ..config(ActivationKind::Gelu, Initializer::Orthogonal, 6, 48, 20, 8)
        };
        let reference = Simulation::run(config).unwrap();
        assert!(reference.stats().iter().all(|s| s.grad_rms.is_finite()));
        let mut runs = vec![Simulation::run(config).unwrap()];
        for budget in [0.0, 1e4, 3e5] {
            let mut sim = Simulation::new(config).unwrap();
            let mut last_progress = 0.0;
            while !sim.step(budget) {
                assert!(sim.progress() >= last_progress && sim.progress() <= 1.0);
                last_progress = sim.progress();
            }
            runs.push(sim);
        }
        // Regenerating the weights in the backward pass instead of caching them changes nothing.
        runs.push({
            let mut sim = Simulation::with_memory_limits(config, usize::MAX, 0).unwrap();
            while !sim.step(2e4) {}
            sim
        });
        for sim in &runs {
            assert_eq!(bits(sim.stats()), bits(reference.stats()), "{norm:?}");
            assert_eq!(sim.output(), reference.output());
            for layer in 1..=config.depth {
                let a: Vec<u32> = sim.samples(layer).iter().map(|v| v.to_bits()).collect();
                let b: Vec<u32> = reference
                    .samples(layer)
                    .iter()
                    .map(|v| v.to_bits())
                    .collect();
                assert_eq!(a, b);
            }
        }
    }
}

#[test]
fn a_different_seed_gives_different_numbers() {
    let a = Simulation::run(config(
        ActivationKind::Selu,
        Initializer::LecunNormal,
        3,
        16,
        8,
        1,
    ))
    .unwrap();
    let b = Simulation::run(config(
        ActivationKind::Selu,
        Initializer::LecunNormal,
        3,
        16,
        8,
        2,
    ))
    .unwrap();
    assert_ne!(a.input(), b.input());
    for (sa, sb) in a.stats().iter().zip(b.stats()) {
        assert_ne!(sa.post_var, sb.post_var);
        assert_ne!(sa.grad_rms, sb.grad_rms);
    }
}

#[test]
fn layer_weights_do_not_depend_on_depth_or_batch() {
    // Same seed, different depth: the common layers see the same weights and the same input rows
    // (the first rows of a larger batch are the same stream values when the width is the same).
    let short = Simulation::run(config(
        ActivationKind::Tanh,
        Initializer::HeNormal,
        3,
        16,
        4,
        9,
    ))
    .unwrap();
    let long = Simulation::run(config(
        ActivationKind::Tanh,
        Initializer::HeNormal,
        7,
        16,
        4,
        9,
    ))
    .unwrap();
    assert_eq!(
        bits(&short.stats()[..3])
            .iter()
            .map(|b| b[..4].to_vec())
            .collect::<Vec<_>>(),
        bits(&long.stats()[..3])
            .iter()
            .map(|b| b[..4].to_vec())
            .collect::<Vec<_>>()
    );
    let wide_batch = Simulation::run(config(
        ActivationKind::Tanh,
        Initializer::HeNormal,
        3,
        16,
        8,
        9,
    ))
    .unwrap();
    assert_eq!(wide_batch.input()[..64], short.input()[..]);
}

// ---------- signals ----------

#[test]
fn relu_lecun_vanishes_and_large_normal_weights_explode() {
    // The post second moment halves per layer from about 1/2: below 1e-30 near layer 100.
    let sim = Simulation::run(config(
        ActivationKind::Relu,
        Initializer::LecunNormal,
        150,
        64,
        8,
        3,
    ))
    .unwrap();
    match sim.forward_signal() {
        Signal::Vanished { layer } => assert!((85..=115).contains(&layer), "vanished at {layer}"),
        other => panic!("expected a vanished forward signal, got {other:?}"),
    }
    assert!(
        matches!(sim.backward_signal(), Signal::Vanished { .. }),
        "{:?}",
        sim.backward_signal()
    );

    // N(0, 1) weights at width 1024 and gain 10 multiply the second moment by about
    // 1024 * 100 / 2 = 5e4 per ReLU layer: above 1e30 at layer 7, inf/NaN soon after.
    let sim = Simulation::run(Config {
        gain: 10.0,
        ..config(ActivationKind::Relu, Initializer::Normal, 20, 1024, 2, 4)
    })
    .unwrap();
    match sim.forward_signal() {
        Signal::Exploded { layer } => assert!((5..=8).contains(&layer), "exploded at {layer}"),
        other => panic!("expected an exploded forward signal, got {other:?}"),
    }
    assert!(
        matches!(sim.backward_signal(), Signal::Exploded { .. }),
        "{:?}",
        sim.backward_signal()
    );
    assert!(
        sim.stats().last().is_some_and(|s| !s.post_var.is_finite()),
        "f32 overflow reaches the stats"
    );
    assert!(sim.samples(20).iter().any(|v| !v.is_finite()));
}

#[test]
fn healthy_signals_are_healthy() {
    let sim = Simulation::run(config(
        ActivationKind::Tanh,
        Initializer::XavierNormal,
        10,
        32,
        16,
        1,
    ))
    .unwrap();
    assert_eq!(sim.forward_signal(), Signal::Healthy);
    assert_eq!(sim.backward_signal(), Signal::Healthy);
}

// ---------- memory limits and edge cases ----------

#[test]
fn huge_config_skips_the_backward_pass_without_running() {
    let config = config(
        ActivationKind::Selu,
        Initializer::LecunNormal,
        1000,
        1024,
        4096,
        1,
    );
    let sim = Simulation::new(config).unwrap();
    let reason = sim
        .backward_skipped()
        .expect("backward pass must be skipped");
    // 1000 layers of 4096 x 1024 floats: 16000 MiB, above the default budget of 1 GiB.
    assert!(
        reason.contains("about 16") && reason.contains("memory budget of 1024 MB"),
        "{reason}"
    );
    assert_eq!(sim.progress(), 0.0);
    assert_eq!(sim.phase(), RunPhase::Forward);
    assert!(sim.stats().is_empty() && sim.input().is_empty() && sim.output().is_none());
    let flops = Simulation::estimated_flops(&config);
    // Forward matmuls alone: 2 * 4096 * 1024^2 * 1000 = 8.6e12.
    assert!(flops > 8.5e12 && flops < 1e13, "{flops:e}");
}

#[test]
fn skipped_backward_still_runs_the_forward_pass() {
    let config = config(ActivationKind::Selu, Initializer::LecunNormal, 4, 8, 4, 1);
    let sim = {
        let mut sim = Simulation::with_memory_limits(config, 100, usize::MAX).unwrap();
        while !sim.step(1e4) {}
        sim
    };
    assert!(sim.backward_skipped().is_some());
    assert_eq!(sim.phase(), RunPhase::Done);
    assert_eq!(sim.stats().len(), 4);
    assert!(sim
        .stats()
        .iter()
        .all(|s| s.grad_rms.is_nan() && s.post_var.is_finite()));
    assert_eq!(sim.backward_signal(), Signal::Healthy);
    let full = Simulation::run(config).unwrap();
    assert_eq!(
        bits(sim.stats())
            .iter()
            .map(|b| b[..4].to_vec())
            .collect::<Vec<_>>(),
        bits(full.stats())
            .iter()
            .map(|b| b[..4].to_vec())
            .collect::<Vec<_>>()
    );
}

#[test]
fn small_edge_sizes_run() {
    for norm in Normalization::ALL {
        for kind in ActivationKind::ALL {
            for (depth, width, batch) in [(1, 2, 1), (2, 2, 1), (1, 3, 2)] {
                let sim = Simulation::run(Config {
                    norm,
                    // GroupNorm at its extreme: one unit per group (every h becomes 0).
                    groups: width,
                    ..config(kind, Initializer::Orthogonal, depth, width, batch, 1)
                })
                .unwrap();
                assert_eq!(sim.stats().len(), depth);
                assert_eq!(sim.phase(), RunPhase::Done);
                assert!(sim.output().is_some_and(|o| o.len() == width * batch));
                assert!(
                    sim.stats()
                        .iter()
                        .all(|s| s.post_var.is_finite() && !s.grad_rms.is_nan()),
                    "{norm:?} {kind:?}"
                );
            }
        }
    }
    // BatchNorm over a batch of one: every normalized value is 0.
    let sim = Simulation::run(Config {
        norm: Normalization::Batch,
        ..config(ActivationKind::Selu, Initializer::HeNormal, 2, 8, 1, 1)
    })
    .unwrap();
    assert!(sim
        .stats()
        .iter()
        .all(|s| s.pre_mean == 0.0 && s.pre_var == 0.0 && s.grad_rms == 0.0));
    assert_eq!(sim.forward_signal(), Signal::Vanished { layer: 1 });
}

#[test]
fn samples_are_every_kth_output_entry() {
    let (width, batch) = (100, 50); // 5000 entries: k = 3, 1667 samples
    let sim = Simulation::run(config(
        ActivationKind::Elu,
        Initializer::LecunUniform,
        2,
        width,
        batch,
        1,
    ))
    .unwrap();
    let expected: Vec<f32> = sim.output().unwrap().iter().step_by(3).copied().collect();
    assert_eq!(sim.samples(2), &expected[..]);
    assert_eq!(sim.samples(2).len(), 1667);
    assert!(sim.samples(0).is_empty() && sim.samples(3).is_empty());
    let small = Simulation::run(config(
        ActivationKind::Elu,
        Initializer::LecunUniform,
        1,
        10,
        10,
        1,
    ))
    .unwrap();
    assert_eq!(small.samples(1), small.output().unwrap());
}

#[test]
fn work_units_stay_bounded_at_full_width() {
    let config = config(
        ActivationKind::Selu,
        Initializer::LecunNormal,
        1,
        1024,
        8,
        1,
    );
    let total = Simulation::estimated_flops(&config);
    let mut sim = Simulation::new(config).unwrap();
    let mut phases = vec![sim.phase()];
    let mut before = 0.0;
    while !sim.step(0.0) {
        let spent = (sim.progress() - before) * total;
        assert!(spent <= 4.3e6, "one unit did {spent:e} flops");
        before = sim.progress();
        if phases.last() != Some(&sim.phase()) {
            phases.push(sim.phase());
        }
    }
    phases.push(sim.phase());
    assert_eq!(
        phases,
        [RunPhase::Forward, RunPhase::Backward, RunPhase::Done]
    );
}

#[test]
fn invalid_configs_are_refused_with_a_message() {
    let bad = |f: fn(&mut Config)| {
        let mut config = Config::default();
        f(&mut config);
        config
    };
    let cases: [(Config, &str, &str); 9] = [
        (bad(|c| c.depth = 0), "depth", "0 is outside 1..=1000"),
        (bad(|c| c.width = 1025), "width", "1025 is outside 2..=1024"),
        (bad(|c| c.batch = 0), "batch", "0 is outside 1..=4096"),
        (
            bad(|c| c.gain = f32::NAN),
            "gain",
            "NaN is not a finite number >= 0",
        ),
        (
            bad(|c| c.bias_std = -0.5),
            "sb",
            "-0.5 is not a finite number >= 0",
        ),
        (
            bad(|c| c.input_std = f32::INFINITY),
            "in_std",
            "inf is not a finite number >= 0",
        ),
        (
            bad(|c| c.input_mean = f32::NEG_INFINITY),
            "in_mean",
            "-inf is not a finite number",
        ),
        (bad(|c| c.input_corr = 1.5), "c0", "1.5 is outside [-1, 1]"),
        (
            bad(|c| {
                c.activation = Activation {
                    alpha: 6.0,
                    ..Activation::new(ActivationKind::Celu)
                }
            }),
            "alpha",
            "6 is outside [0, 5] for CELU",
        ),
    ];
    for (config, field, problem) in cases {
        let err = Simulation::new(config).expect_err(field);
        assert_eq!((err.field, err.problem.as_str()), (field, problem));
        assert_eq!(
            err.to_string(),
            format!("invalid configuration: {field} {problem}")
        );
        assert_eq!(config.validated(), Err(err));
    }
    // A parameter the activation does not use is not checked (SELU ignores alpha).
    let config = bad(|c| c.activation.alpha = 6.0);
    assert_eq!(config.validated(), Ok(config));
    assert!(Simulation::new(Config::default()).is_ok());
}

/// GroupNorm with one group is LayerNorm, to the bit (the same code path per segment).
#[test]
fn group_norm_with_one_group_is_layer_norm() {
    for kind in [ActivationKind::Selu, ActivationKind::Gelu] {
        let base = config(kind, Initializer::LecunNormal, 6, 24, 10, 3);
        let layer = Simulation::run(Config {
            norm: Normalization::Layer,
            ..base
        })
        .unwrap();
        let group = Simulation::run(Config {
            norm: Normalization::Group,
            groups: 1,
            ..base
        })
        .unwrap();
        assert_eq!(bits(layer.stats()), bits(group.stats()), "{kind:?}");
    }
}

// ---------- a deeper network continues the shallower one ----------

/// A fresh simulation of `config` within the float limits, run to the end.
fn fresh_run(config: Config, stored: usize, cached: usize) -> Simulation {
    let mut sim = Simulation::with_memory_limits(config, stored, cached).unwrap();
    while !sim.step(f64::INFINITY) {}
    sim
}

/// The live-depth tests' network at `depth`: GELU, orthogonal weights, biases, width 24, batch
/// 7, with `norm` (after the activation for plain RMSNorm, so that both placements are covered)
/// and `arch`.
fn live_depth_config(norm: Normalization, arch: Arch, depth: usize) -> Config {
    Config {
        norm,
        arch,
        norm_at: if arch == Arch::Plain && norm == Normalization::Rms {
            NormAt::Post
        } else {
            NormAt::Pre
        },
        bias_std: 0.2,
        ..config(
            ActivationKind::Gelu,
            Initializer::Orthogonal,
            depth,
            24,
            7,
            3,
        )
    }
}

/// Extending a simulation to a larger depth keeps its layers and forwards only the new ones,
/// and gives exactly (bit for bit) the results of a fresh run at the larger depth: for every
/// normalization, plain and residual, with cached and regenerated weights and with the backward
/// pass skipped, whether the shallower run was mid-forward, mid-backward or done.
#[test]
fn a_deeper_network_reuses_the_computed_layers_exactly() {
    for norm in Normalization::ALL {
        for arch in [Arch::Plain, Arch::Residual] {
            for (stored, cached) in [(usize::MAX, usize::MAX), (usize::MAX, 0), (0, 0)] {
                for stop in ["forward", "backward", "done"] {
                    let base = live_depth_config(norm, arch, 6);
                    let deeper = Config { depth: 9, ..base };
                    let label = format!("{norm:?} {arch:?} {stored} {cached} {stop}");
                    let mut sim = Simulation::with_memory_limits(base, stored, cached).unwrap();
                    match stop {
                        "forward" => {
                            while sim.stats().len() < 3 {
                                sim.step(0.0);
                            }
                        }
                        "backward" => {
                            while sim.phase() != RunPhase::Backward || sim.backward_reached() > 4 {
                                if sim.step(0.0) {
                                    break;
                                }
                            }
                        }
                        _ => while !sim.step(f64::INFINITY) {},
                    }
                    let forwarded_before = sim.layers_forwarded();
                    let mut ext = sim.extend(deeper).unwrap_or_else(|_| panic!("{label}"));
                    while !ext.step(1e5) {}
                    let fresh = fresh_run(deeper, stored, cached);
                    assert_eq!(bits(ext.stats()), bits(fresh.stats()), "{label}");
                    assert_eq!(ext.nonfinite(), fresh.nonfinite(), "{label}");
                    for l in 1..=9 {
                        assert_eq!(ext.samples(l), fresh.samples(l), "{label} layer {l}");
                    }
                    assert_eq!(ext.backward_skipped(), fresh.backward_skipped(), "{label}");
                    assert_eq!(ext.progress(), 1.0);
                    // Only the layers not forwarded before were computed.
                    assert_eq!(
                        ext.layers_forwarded(),
                        9,
                        "{label}: forwarded {forwarded_before} before"
                    );
                }
            }
        }
    }
}

/// A shallower network, and then a deeper one again, continue a finished run without any
/// forward pass where its layers are held (only the layers beyond the deepest run so far are
/// forwarded), bit for bit as fresh runs: for every normalization, plain and residual, with the
/// backward pass run or skipped. With regenerated weights, or before the forward pass is done,
/// a shallower network is refused (the caller starts afresh).
#[test]
fn a_shallower_network_is_cut_from_the_computed_layers_exactly() {
    for norm in Normalization::ALL {
        for arch in [Arch::Plain, Arch::Residual] {
            for (stored, cached) in [(usize::MAX, usize::MAX), (usize::MAX, 0), (0, 0)] {
                let base = live_depth_config(norm, arch, 9);
                let label = format!("{norm:?} {arch:?} {stored} {cached}");
                let backward = stored > 0;
                let sim = fresh_run(base, stored, cached);
                let cut = sim.extend(Config { depth: 5, ..base });
                if backward && cached == 0 {
                    let sim = *cut.expect_err(&label);
                    assert_eq!(sim.config().depth, 9, "{label}: given back unchanged");
                    continue;
                }
                let mut sim = cut.unwrap_or_else(|_| panic!("{label}"));
                // Cut in the middle of the backward pass too.
                let mut mid = Simulation::with_memory_limits(base, stored, cached).unwrap();
                while mid.phase() != RunPhase::Backward || mid.backward_reached() > 6 {
                    if mid.step(0.0) {
                        break;
                    }
                }
                let mut mid = mid
                    .extend(Config { depth: 5, ..base })
                    .unwrap_or_else(|_| panic!("{label} mid-backward"));
                while !mid.step(1e5) {}
                let fresh = fresh_run(Config { depth: 5, ..base }, stored, cached);
                assert_eq!(
                    bits(mid.stats()),
                    bits(fresh.stats()),
                    "{label} mid-backward"
                );
                // (depth, layers forwarded by this object in all): 5 and 8 need no forward
                // pass; 11 forwards layers 10 and 11 only.
                for (depth, forwarded) in [(5, 9), (8, 9), (11, 11), (2, 11)] {
                    if depth != sim.config().depth {
                        sim = sim
                            .extend(Config { depth, ..base })
                            .unwrap_or_else(|_| panic!("{label} to {depth}"));
                    }
                    while !sim.step(1e5) {}
                    let fresh = fresh_run(Config { depth, ..base }, stored, cached);
                    let at = format!("{label} at depth {depth}");
                    assert_eq!(bits(sim.stats()), bits(fresh.stats()), "{at}");
                    assert_eq!(sim.stats().len(), depth, "{at}");
                    assert_eq!(sim.nonfinite(), fresh.nonfinite(), "{at}");
                    assert_eq!(sim.layer_parts(), fresh.layer_parts(), "{at}");
                    for l in 1..=12 {
                        assert_eq!(sim.samples(l), fresh.samples(l), "{at} layer {l}");
                    }
                    assert_eq!(sim.forward_signal(), fresh.forward_signal(), "{at}");
                    assert_eq!(sim.backward_signal(), fresh.backward_signal(), "{at}");
                    assert_eq!(sim.backward_skipped(), fresh.backward_skipped(), "{at}");
                    assert_eq!(sim.progress(), 1.0, "{at}");
                    assert_eq!(sim.layers_forwarded(), forwarded, "{at}");
                    // x of the deepest is held, not x^depth.
                    assert_eq!(sim.output().is_some(), depth == forwarded, "{at}");
                }
            }
        }
    }
}

/// A shallower network is refused before the forward pass is done (its last layer would be
/// cut in the middle), and continued once it is.
#[test]
fn a_shallower_network_waits_for_the_forward_pass() {
    let base = config(ActivationKind::Tanh, Initializer::LecunNormal, 8, 16, 4, 1);
    let mut sim = Simulation::new(base).unwrap();
    while sim.stats().len() < 6 {
        sim.step(0.0);
    }
    let mut sim = *sim.extend(Config { depth: 4, ..base }).unwrap_err();
    assert_eq!(sim.config().depth, 8);
    while !sim.step(f64::INFINITY) {}
    let mut cut = sim.extend(Config { depth: 4, ..base }).unwrap();
    while !cut.step(f64::INFINITY) {}
    let fresh = Simulation::run(Config { depth: 4, ..base }).unwrap();
    assert_eq!(bits(cut.stats()), bits(fresh.stats()));
}

/// What cannot be continued is given back unchanged: another activation, the same depth, a
/// residual scale that follows the depth.
#[test]
fn only_another_depth_of_the_same_settings_is_continued() {
    let base = config(ActivationKind::Tanh, Initializer::LecunNormal, 5, 16, 4, 1);
    let sim = Simulation::run(base).unwrap();
    let sim = *sim
        .extend(Config {
            activation: Activation::new(ActivationKind::Relu),
            depth: 8,
            ..base
        })
        .unwrap_err();
    let sim = *sim.extend(Config { depth: 5, ..base }).unwrap_err();
    assert_eq!(sim.config().depth, 5);
    let scaled = Config {
        arch: Arch::Residual,
        res_scale_rule: lab_core::config::ResScaleRule::InvSqrtDepth,
        ..base
    };
    let sim = Simulation::run(scaled).unwrap();
    assert!(sim.extend(Config { depth: 8, ..scaled }).is_err());
}
