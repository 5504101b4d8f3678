//! Optimizer updates, alpha dropout, BatchNorm running statistics: each against numbers computed
//! by hand (or by a separate evaluation of the published formulas) in this file.

use lab_core::train::model::{alpha_dropout_constants, ALPHA_PRIME};
use lab_core::train::{DropoutKind, Mode, Model, ModelSpec, Optimizer, OptimizerKind};
use lab_core::{Activation, ActivationKind, Initializer, Normalization, Rng};

const P0: [f32; 3] = [1.0, -2.0, 0.5];
const G1: [f32; 3] = [0.1, -0.2, 0.3];
const G2: [f32; 3] = [-0.05, 0.4, 0.0];

fn two_steps(kind: OptimizerKind, lr: f64, momentum: f64) -> (Vec<f32>, Vec<f32>) {
    let mut opt = Optimizer::new(kind, lr, momentum);
    let mut p = P0.to_vec();
    opt.step(&mut [&mut p[..]], &[&G1[..]]);
    let after1 = p.clone();
    opt.step(&mut [&mut p[..]], &[&G2[..]]);
    (after1, p)
}

fn close(a: f32, b: f64, tol: f64) -> bool {
    (f64::from(a) - b).abs() <= tol
}

#[test]
fn sgd_momentum_two_steps_by_hand() {
    // lr 0.1, momentum 0.9. Step 1: buf = g1, p = p0 - 0.1 g1.
    //   1 - 0.01 = 0.99; -2 + 0.02 = -1.98; 0.5 - 0.03 = 0.47.
    // Step 2: buf = 0.9 g1 + g2 = (0.04, 0.22, 0.27); p -= 0.1 buf.
    //   0.99 - 0.004 = 0.986; -1.98 - 0.022 = -2.002; 0.47 - 0.027 = 0.443.
    let (p1, p2) = two_steps(OptimizerKind::Sgd, 0.1, 0.9);
    for (a, b) in p1.iter().zip([0.99, -1.98, 0.47]) {
        assert!(close(*a, b, 1e-6), "step 1: {a} vs {b}");
    }
    for (a, b) in p2.iter().zip([0.986, -2.002, 0.443]) {
        assert!(close(*a, b, 1e-6), "step 2: {a} vs {b}");
    }
    // Momentum 0 is plain SGD: p2 = p0 - 0.1 (g1 + g2) = (0.995, -2.02, 0.47).
    let (_, p2) = two_steps(OptimizerKind::Sgd, 0.1, 0.0);
    for (a, b) in p2.iter().zip([0.995, -2.02, 0.47]) {
        assert!(close(*a, b, 1e-6), "plain SGD: {a} vs {b}");
    }
}

#[test]
fn adam_two_steps_by_hand() {
    let lr = 0.01;
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let (p1, p2) = two_steps(OptimizerKind::Adam, lr, 0.0);
    for k in 0..3 {
        let (p0, g1, g2) = (f64::from(P0[k]), f64::from(G1[k]), f64::from(G2[k]));
        // Step 1: m = 0.1 g1, v = 0.001 g1^2, m_hat = g1, v_hat = g1^2.
        let m1 = (1.0 - b1) * g1;
        let v1 = (1.0 - b2) * g1 * g1;
        let e1 = p0 - lr * (m1 / (1.0 - b1)) / ((v1 / (1.0 - b2)).sqrt() + eps);
        // Which is p0 - lr g1 / (|g1| + eps), i.e. a step of almost exactly lr against the sign.
        assert!((e1 - (p0 - lr * g1.signum())).abs() < 1e-8);
        // Step 2 with bias corrections 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999.
        let m2 = b1 * m1 + (1.0 - b1) * g2;
        let v2 = b2 * v1 + (1.0 - b2) * g2 * g2;
        let e2 = e1 - lr * (m2 / 0.19) / ((v2 / 0.001_999).sqrt() + eps);
        assert!(
            close(p1[k], e1, 2e-7),
            "Adam step 1, {k}: {} vs {e1}",
            p1[k]
        );
        assert!(
            close(p2[k], e2, 2e-7),
            "Adam step 2, {k}: {} vs {e2}",
            p2[k]
        );
    }
    // First parameter written out: m2 = 0.009 - 0.005 = 0.004, v2 = 9.99e-6 + 2.5e-6 = 1.249e-5,
    // m_hat = 0.004 / 0.19 = 0.0210526, v_hat = 1.249e-5 / 0.001999 = 0.00624812,
    // step = 0.01 * 0.0210526 / 0.0790451 = 0.00266337; p2 = 0.99 - 0.00266337 = 0.98733663.
    assert!(close(p2[0], 0.987_336_63, 1e-6), "{}", p2[0]);
}

#[test]
fn alpha_dropout_constants_match_the_paper() {
    // alpha' = -lambda alpha with the SNN paper's constants.
    assert!((ALPHA_PRIME + 1.758_099_340_847_376_6).abs() < 1e-15);
    for q in [0.0, 0.05, 0.1, 0.2, 0.5] {
        // The paper's form, with its q = keep probability p = 1 - drop rate.
        let p: f64 = 1.0 - q;
        let a = (p + ALPHA_PRIME * ALPHA_PRIME * p * (1.0 - p)).powf(-0.5);
        let b = -a * (1.0 - p) * ALPHA_PRIME;
        let (ca, cb) = alpha_dropout_constants(q);
        assert!((ca - a).abs() < 1e-14 && (cb - b).abs() < 1e-14, "q {q}");
    }
    // The same numbers as PyTorch's ATen form 1/sqrt((alpha^2 q + 1)(1 - q)), alpha a q,
    // evaluated separately in Python.
    for (q, a, b) in [
        (0.05, 0.954_844_476_005_031, 0.083_935_572_193_810_19),
        (0.1, 0.921_284_516_149_711_5, 0.161_970_970_057_570_22),
        (0.2, 0.878_903_583_443_532_8, 0.309_039_962_144_094_46),
    ] {
        let (ca, cb) = alpha_dropout_constants(q);
        assert!((ca - a).abs() < 1e-14 && (cb - b).abs() < 1e-14, "q {q}");
    }
}

/// One hidden layer with identity weights, zero bias and a linear activation: its output is
/// dropout(x).
fn dropout_model(width: usize, kind: DropoutKind, q: f64) -> Model {
    let spec = ModelSpec {
        inputs: width,
        classes: 2,
        depth: 1,
        width,
        activation: Activation::new(ActivationKind::Linear),
        init: Initializer::LecunNormal,
        gain: 1.0,
        bias_std: 0.0,
        norm: Normalization::None,
        groups: 8,
        norm_at: lab_core::NormAt::Pre,
        arch: lab_core::Arch::Plain,
        res_scale: 1.0,
        dropout: kind,
        dropout_rate: q,
    };
    let mut model = Model::new(spec, 1);
    let w = &mut model.layers[0].w;
    w.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..width {
        w[i * width + i] = 1.0;
    }
    model
}

fn moments(v: &[f32]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let m4 = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(4))
        .sum::<f64>()
        / n;
    (mean, var, m4)
}

#[test]
fn alpha_dropout_keeps_mean_zero_and_variance_one() {
    let (width, rows) = (500, 400);
    let n = (width * rows) as f64;
    for q in [0.05, 0.1, 0.2, 0.5] {
        let model = dropout_model(width, DropoutKind::Alpha, q);
        let mut x = vec![0.0f32; width * rows];
        Rng::from_seed_and_id(5, 1).fill_normal_f32(&mut x, 0.0, 1.0);
        let mut cache = Default::default();
        let mut rng = Rng::from_seed_and_id(5, 2);
        model.forward(&x, rows, Mode::Train, &mut rng, &mut cache);
        let out = &cache.input[1];
        let (mean, var, m4) = moments(out);
        let dropped = cache.keep[0].iter().filter(|&&k| !k).count() as f64 / n;
        // Sampling bounds, 5 sigma: the mean's std is sqrt(var / n); the sample variance's is
        // sqrt((m4 - var^2) / n); the drop fraction's is sqrt(q (1 - q) / n).
        let (sd_mean, sd_var) = ((var / n).sqrt(), ((m4 - var * var) / n).sqrt());
        println!(
            "q {q}: mean {mean:.5} (5 sd {:.5}), var {var:.5} (5 sd {:.5}), dropped {dropped:.4}",
            5.0 * sd_mean,
            5.0 * sd_var
        );
        assert!(mean.abs() <= 5.0 * sd_mean, "q {q}: mean {mean}");
        assert!((var - 1.0).abs() <= 5.0 * sd_var, "q {q}: var {var}");
        assert!((dropped - q).abs() <= 5.0 * (q * (1.0 - q) / n).sqrt());
        // Evaluation mode: the identity.
        model.forward(&x, rows, Mode::Eval, &mut rng, &mut cache);
        assert_eq!(cache.input[1], x);
    }
}

#[test]
fn standard_dropout_keeps_the_mean() {
    let (width, rows, q) = (500, 400, 0.3);
    let model = dropout_model(width, DropoutKind::Standard, q);
    let x = vec![1.0f32; width * rows];
    let mut cache = Default::default();
    model.forward(
        &x,
        rows,
        Mode::Train,
        &mut Rng::from_seed_and_id(3, 3),
        &mut cache,
    );
    let out = &cache.input[1];
    // Every output is 0 or 1/(1 - q); the mean's sampling std is sqrt(q/(1-q) / n).
    let scaled = (1.0 / (1.0 - q)) as f32;
    assert!(out.iter().all(|&v| v == 0.0 || v == scaled));
    let (mean, _, _) = moments(out);
    let n = out.len() as f64;
    assert!(
        (mean - 1.0).abs() <= 5.0 * (q / (1.0 - q) / n).sqrt(),
        "mean {mean}"
    );
}

#[test]
fn batchnorm_running_statistics_by_hand() {
    let spec = ModelSpec {
        inputs: 2,
        classes: 2,
        depth: 1,
        width: 2,
        activation: Activation::new(ActivationKind::Linear),
        init: Initializer::LecunNormal,
        gain: 1.0,
        bias_std: 0.0,
        norm: Normalization::Batch,
        groups: 8,
        norm_at: lab_core::NormAt::Pre,
        arch: lab_core::Arch::Plain,
        res_scale: 1.0,
        dropout: DropoutKind::None,
        dropout_rate: 0.0,
    };
    let mut model = Model::new(spec, 1);
    model.layers[0].w = vec![1.0, 0.0, 0.0, 1.0];
    assert_eq!(model.layers[0].running_mean, vec![0.0, 0.0]);
    assert_eq!(model.layers[0].running_var, vec![1.0, 1.0]);
    let mut rng = Rng::from_seed_and_id(1, 1);
    let mut cache = Default::default();
    // Batch 1: unit 0 takes 1, 2, 3 (mean 2, unbiased var 1, biased 2/3); unit 1 takes 0, 0, 6
    // (mean 2, unbiased var 12, biased 8).
    let x1 = [1.0, 0.0, 2.0, 0.0, 3.0, 6.0];
    model.forward(&x1, 3, Mode::Train, &mut rng, &mut cache);
    // Training mode normalizes with the biased variance: (3 - 2) / sqrt(2/3 + 1e-5).
    let z = f64::from(cache.input[1][4]);
    assert!((z - 1.0 / (2.0f64 / 3.0 + 1e-5).sqrt()).abs() < 1e-6, "{z}");
    model.update_running_stats(&cache);
    // running_mean = 0.1 * 2 = 0.2; running_var = 0.9 * 1 + 0.1 * 1 = 1.0 and 0.9 + 1.2 = 2.1.
    let l = &model.layers[0];
    assert!(close(l.running_mean[0], 0.2, 1e-7) && close(l.running_mean[1], 0.2, 1e-7));
    assert!(close(l.running_var[0], 1.0, 1e-6) && close(l.running_var[1], 2.1, 1e-6));
    // Batch 2: unit 0 takes 2, 4, 6, 8 (mean 5, unbiased var 20/3); unit 1 takes -1, -1, 1, 1
    // (mean 0, unbiased var 4/3).
    let x2 = [2.0, -1.0, 4.0, -1.0, 6.0, 1.0, 8.0, 1.0];
    model.forward(&x2, 4, Mode::Train, &mut rng, &mut cache);
    model.update_running_stats(&cache);
    // running_mean = 0.9 * 0.2 + 0.1 * 5 = 0.68 and 0.9 * 0.2 + 0 = 0.18;
    // running_var = 0.9 * 1.0 + 0.1 * 20/3 = 1.566667 and 0.9 * 2.1 + 0.1 * 4/3 = 2.023333.
    let l = &model.layers[0];
    assert!(close(l.running_mean[0], 0.68, 1e-6) && close(l.running_mean[1], 0.18, 1e-6));
    assert!(close(l.running_var[0], 1.566_666_7, 1e-6));
    assert!(close(l.running_var[1], 2.023_333_3, 1e-6));
    // Evaluation mode uses them: x = (3, 3) -> ((3 - 0.68)/sqrt(1.566667 + 1e-5), (3 - 0.18)/sqrt(2.023333 + 1e-5)).
    model.forward(&[3.0, 3.0], 1, Mode::Eval, &mut rng, &mut cache);
    let e0 = (3.0 - 0.68) / (1.566_666_7f64 + 1e-5).sqrt();
    let e1 = (3.0 - 0.18) / (2.023_333_3f64 + 1e-5).sqrt();
    assert!(close(cache.input[1][0], e0, 1e-5) && close(cache.input[1][1], e1, 1e-5));
}

#[test]
fn rectangular_orthogonal_layers_are_orthonormal() {
    // lab_core's initializers take fan_in != fan_out; orthogonal gives orthonormal columns when
    // fan_in >= fan_out (W^T W = I) and orthonormal rows otherwise (W W^T = I).
    for (inputs, width, classes) in [(64, 16, 10), (2, 16, 2), (5, 5, 7)] {
        let spec = ModelSpec {
            inputs,
            classes,
            depth: 2,
            width,
            activation: Activation::new(ActivationKind::Selu),
            init: Initializer::Orthogonal,
            gain: 1.0,
            bias_std: 0.0,
            norm: Normalization::None,
            groups: 8,
            norm_at: lab_core::NormAt::Pre,
            arch: lab_core::Arch::Plain,
            res_scale: 1.0,
            dropout: DropoutKind::None,
            dropout_rate: 0.0,
        };
        let model = Model::new(spec, 3);
        for layer in &model.layers {
            let (m, n) = (layer.fan_in, layer.fan_out);
            let w = |i: usize, j: usize| f64::from(layer.w[i * n + j]);
            if m >= n {
                for a in 0..n {
                    for b in 0..n {
                        let dot: f64 = (0..m).map(|i| w(i, a) * w(i, b)).sum();
                        let expected = if a == b { 1.0 } else { 0.0 };
                        assert!(
                            (dot - expected).abs() < 1e-5,
                            "{m}x{n}: columns {a},{b}: {dot}"
                        );
                    }
                }
            } else {
                for a in 0..m {
                    for b in 0..m {
                        let dot: f64 = (0..n).map(|j| w(a, j) * w(b, j)).sum();
                        let expected = if a == b { 1.0 } else { 0.0 };
                        assert!(
                            (dot - expected).abs() < 1e-5,
                            "{m}x{n}: rows {a},{b}: {dot}"
                        );
                    }
                }
            }
        }
    }
}
