//! Residual blocks x^l = x^(l-1) + s phi(norm(x^(l-1)) W^l + b^l) and the mean-field
//! predictions of issue 11 (normalization before or after the activation, residual streams):
//! the predictions against independent integrals computed here (closed forms for ReLU, a
//! composite Simpson rule in f64 otherwise), and the simulation against the predictions within
//! the spread over seeds.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Arch, Config, NormAt, Normalization, ResScaleRule};
use lab_core::init::Initializer;
use lab_core::sim::Simulation;
use lab_core::theory::{config_prediction, NoPrediction};

/// E[f(z)], z ~ N(0, q), by composite Simpson on [-12 sqrt(q), 12 sqrt(q)] with 24000 panels
/// (independent of the core's Gauss-Hermite rules).
fn simpson(f: impl Fn(f64) -> f64, q: f64) -> f64 {
    let sd = q.sqrt();
    let (a, b, n) = (-12.0 * sd, 12.0 * sd, 24_000);
    let h = (b - a) / n as f64;
    let density = |x: f64| (-x * x / (2.0 * q)).exp() / (2.0 * std::f64::consts::PI * q).sqrt();
    let g = |x: f64| f(x) * density(x);
    let mut sum = g(a) + g(b);
    for i in 1..n {
        let x = a + i as f64 * h;
        sum += g(x) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

fn config(kind: ActivationKind, init: Initializer, norm: Normalization) -> Config {
    Config {
        activation: Activation::new(kind),
        init,
        norm,
        depth: 12,
        width: 256,
        batch: 128,
        ..Config::default()
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// Residual ReLU + He, no normalization: h ~ N(0, 2 q) with q the stream's second moment, so
/// E[relu(h)] = sqrt(q / pi), E[relu(h)^2] = q (closed forms); the mean grows by s sqrt(q / pi),
/// the variance by s^2 (q - q / pi). Input N(0.5, 1).
#[test]
fn residual_relu_prediction_is_the_closed_form() {
    for s in [1.0f32, 0.5] {
        let c = Config {
            arch: Arch::Residual,
            res_scale: s,
            input_mean: 0.5,
            ..config(
                ActivationKind::Relu,
                Initializer::HeNormal,
                Normalization::None,
            )
        };
        let p = config_prediction(&c).unwrap();
        let (mut mean, mut var) = (0.5f64, 1.0f64);
        let s = f64::from(s);
        for (l, p) in p.iter().enumerate() {
            let q = var + mean * mean;
            let m = (q / std::f64::consts::PI).sqrt();
            assert!(
                close(p.q, 2.0 * q, 1e-12),
                "layer {l}: q {} vs {}",
                p.q,
                2.0 * q
            );
            mean += s * m;
            var += s * s * (q - m * m);
            assert!(
                close(p.post_mean, mean, 1e-9),
                "layer {l}: mean {} vs {mean}",
                p.post_mean
            );
            assert!(
                close(p.post_var, var, 1e-9),
                "layer {l}: var {} vs {var}",
                p.post_var
            );
        }
        // The mean builds up, so the second moment grows faster than the variance.
        let last = p.last().unwrap();
        assert!(last.post_mean > 1.0 && last.post_var > 1.0);
    }
}

/// The normalized cases against Simpson: before the activation every layer sees N(0, 1); after
/// it, q = sigma_w^2 + sigma_b^2 from layer 2 on and RMSNorm's output mean m / r; residual
/// blocks with LayerNorm see q = sigma_w^2 + sigma_b^2 in every block, with s = 1/sqrt(depth).
#[test]
fn normalized_and_residual_predictions_match_independent_integrals() {
    let gelu = Activation::new(ActivationKind::Gelu);
    let selu = Activation::new(ActivationKind::Selu);
    // Before the activation.
    let c = config(
        ActivationKind::Gelu,
        Initializer::HeNormal,
        Normalization::Layer,
    );
    let m = simpson(|x| gelu.f64(x), 1.0);
    let m2 = simpson(|x| gelu.f64(x).powi(2), 1.0);
    for p in config_prediction(&c).unwrap() {
        assert!(close(p.q, 1.0, 1e-15));
        assert!(close(p.post_mean, m, 1e-9), "{} vs {m}", p.post_mean);
        assert!(close(p.post_var, m2 - m * m, 1e-9));
    }
    // After the activation, RMSNorm, with a bias.
    let c = Config {
        norm_at: NormAt::Post,
        bias_std: 0.5,
        input_std: 1.5,
        ..config(
            ActivationKind::Selu,
            Initializer::LecunNormal,
            Normalization::Rms,
        )
    };
    let p = config_prediction(&c).unwrap();
    for (l, p) in p.iter().enumerate() {
        let q = if l == 0 { 1.5 * 1.5 + 0.25 } else { 1.0 + 0.25 };
        assert!(close(p.q, q, 1e-12), "layer {l}: {} vs {q}", p.q);
        let m = simpson(|x| selu.f64(x), q);
        let r = simpson(|x| selu.f64(x).powi(2), q).sqrt();
        assert!(close(p.post_mean, m / r, 1e-9), "layer {l}");
        assert!(close(p.post_var, 1.0 - (m / r).powi(2), 1e-9), "layer {l}");
    }
    // Residual with LayerNorm, s = 1/sqrt(depth).
    let c = Config {
        arch: Arch::Residual,
        res_scale_rule: ResScaleRule::InvSqrtDepth,
        ..config(
            ActivationKind::Gelu,
            Initializer::HeNormal,
            Normalization::Layer,
        )
    };
    // The f32 scale the network uses.
    let s = f64::from((1.0 / (c.depth as f64).sqrt()) as f32);
    let (mut mean, mut var) = (0.0, 1.0);
    let m = simpson(|x| gelu.f64(x), 2.0);
    let v = simpson(|x| gelu.f64(x).powi(2), 2.0) - m * m;
    for p in config_prediction(&c).unwrap() {
        mean += s * m;
        var += s * s * v;
        assert!(close(p.q, 2.0, 1e-12));
        assert!(close(p.post_mean, mean, 1e-9) && close(p.post_var, var, 1e-9));
    }
    // Where no prediction exists.
    let c = config(
        ActivationKind::Gelu,
        Initializer::HeNormal,
        Normalization::Batch,
    );
    assert_eq!(config_prediction(&c), Err(NoPrediction::BatchCoupling));
    let c = Config {
        groups: 32,
        ..config(
            ActivationKind::Gelu,
            Initializer::HeNormal,
            Normalization::Group,
        )
    };
    assert_eq!(config_prediction(&c), Err(NoPrediction::SmallGroups(8)));
}

/// Mean over seeds and its standard error.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The simulation follows the predictions: per layer, the ratio simulated / predicted of the
/// stream's mean and variance, over 8 seeds, is 1 within 4 standard errors of the mean over
/// seeds plus 3% (finite-width corrections of order 1/width accumulate over the blocks).
fn follows(c: Config, label: &str) {
    let p = config_prediction(&c).unwrap();
    let runs: Vec<Simulation> = (1..=8)
        .map(|seed| Simulation::run(Config { seed, ..c }).unwrap())
        .collect();
    for l in [0, c.depth / 2, c.depth - 1] {
        for (what, pick, pred) in [
            (
                "mean",
                (|s: &lab_core::sim::LayerStats| s.post_mean) as fn(&_) -> f64,
                p[l].post_mean,
            ),
            (
                "var",
                |s: &lab_core::sim::LayerStats| s.post_var,
                p[l].post_var,
            ),
        ] {
            if pred.abs() < 0.05 {
                continue;
            }
            let ratios: Vec<f64> = runs.iter().map(|r| pick(&r.stats()[l]) / pred).collect();
            let (m, se) = mean_se(&ratios);
            assert!(
                (m - 1.0).abs() < 4.0 * se + 0.03,
                "{label} layer {}: {what} ratio {m} ± {se} ({ratios:?})",
                l + 1
            );
        }
    }
}

#[test]
fn residual_relu_he_grows_as_predicted() {
    follows(
        Config {
            arch: Arch::Residual,
            input_mean: 0.5,
            ..config(
                ActivationKind::Relu,
                Initializer::HeNormal,
                Normalization::None,
            )
        },
        "residual relu",
    );
}

#[test]
fn normalized_networks_follow_the_restarted_prediction() {
    for (c, label) in [
        (
            config(
                ActivationKind::Gelu,
                Initializer::HeNormal,
                Normalization::Layer,
            ),
            "layer pre",
        ),
        (
            Config {
                norm_at: NormAt::Post,
                ..config(
                    ActivationKind::Selu,
                    Initializer::LecunNormal,
                    Normalization::Rms,
                )
            },
            "rms post",
        ),
        (
            Config {
                arch: Arch::Residual,
                res_scale_rule: ResScaleRule::InvSqrtDepth,
                ..config(
                    ActivationKind::Gelu,
                    Initializer::HeNormal,
                    Normalization::Layer,
                )
            },
            "residual gelu layer",
        ),
    ] {
        follows(c, label);
    }
}
