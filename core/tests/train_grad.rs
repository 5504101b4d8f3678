//! The backward pass of the Train lab's classifier against central finite differences of an
//! independent f64 re-implementation of the whole training loss (hidden layers, BatchNorm,
//! LayerNorm or GroupNorm with scale and shift, RMSNorm with scale, before or after the
//! activation or on a residual block's input stream, dropout with a fixed mask, readout, softmax
//! cross-entropy).
//!
//! The reference below is written from the definitions in docs/training.md, in f64, sharing
//! nothing with `lab_core::train::model` but the activation functions' f64 definitions
//! (`Activation::f64`). Finite differences use step 1e-6 in f64 (truncation ~1e-12, rounding
//! ~1e-10). The model computes in f32, so the tolerance is |analytic - fd| <= 2e-5 + 2e-3 |fd|.

use lab_core::train::{DropoutKind, Mode, Model, ModelSpec};
use lab_core::{Activation, ActivationKind, Arch, Initializer, NormAt, Normalization, Rng};

const EPS: f64 = 1e-5;
const ALPHA_PRIME: f64 = -1.050_700_987_355_480_5 * 1.673_263_242_354_377_3;

#[derive(Clone)]
struct RefLayer {
    fan_in: usize,
    fan_out: usize,
    w: Vec<f64>,
    b: Vec<f64>,
    gamma: Vec<f64>,
    beta: Vec<f64>,
}

struct Setup {
    spec: ModelSpec,
    rows: usize,
    x: Vec<f64>,
    labels: Vec<u32>,
    keep: Vec<Vec<bool>>,
}

/// gamma * norm(v) + beta of one hidden layer's rows x fan_out values `v`, as `s.spec` says.
fn normalize(s: &Setup, layer: &RefLayer, v: &[f64]) -> Vec<f64> {
    let (rows, n_out) = (s.rows, layer.fan_out);
    let h = v;
    let mut z = h.to_vec();
    match s.spec.norm {
        Normalization::None => {}
        Normalization::Batch => {
            for j in 0..n_out {
                let col: Vec<f64> = (0..rows).map(|r| h[r * n_out + j]).collect();
                let mean = col.iter().sum::<f64>() / rows as f64;
                let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / rows as f64;
                for r in 0..rows {
                    z[r * n_out + j] = layer.gamma[j] * (h[r * n_out + j] - mean)
                        / (var + EPS).sqrt()
                        + layer.beta[j];
                }
            }
        }
        Normalization::Layer | Normalization::Group | Normalization::Rms => {
            // Per row, in G runs of consecutive units (G = 1 but for GroupNorm); RMSNorm
            // neither centres nor shifts.
            let g = if s.spec.norm == Normalization::Group {
                s.spec.groups
            } else {
                1
            };
            let centre = s.spec.norm != Normalization::Rms;
            let m = n_out / g;
            for r in 0..rows {
                for q in 0..g {
                    let seg = &h[r * n_out + q * m..r * n_out + (q + 1) * m];
                    let mean = if centre {
                        seg.iter().sum::<f64>() / m as f64
                    } else {
                        0.0
                    };
                    let var = seg.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m as f64;
                    for j in q * m..(q + 1) * m {
                        let shift = if centre { layer.beta[j] } else { 0.0 };
                        z[r * n_out + j] =
                            layer.gamma[j] * (h[r * n_out + j] - mean) / (var + EPS).sqrt() + shift;
                    }
                }
            }
        }
    }
    z
}

fn ref_loss(s: &Setup, layers: &[RefLayer]) -> f64 {
    let rows = s.rows;
    let mut a = s.x.clone();
    let q = s.spec.dropout_rate;
    for (l, layer) in layers.iter().enumerate() {
        let (n_in, n_out) = (layer.fan_in, layer.fan_out);
        // A residual block (every hidden layer but the first): a + s drop(phi(norm(a) W + b)).
        let residual = s.spec.arch == Arch::Residual && l > 0 && l + 1 < layers.len();
        let src = if residual {
            normalize(s, layer, &a)
        } else {
            a.clone()
        };
        let mut h = vec![0.0; rows * n_out];
        for r in 0..rows {
            for j in 0..n_out {
                let mut acc = layer.b[j];
                for i in 0..n_in {
                    acc += src[r * n_in + i] * layer.w[i * n_out + j];
                }
                h[r * n_out + j] = acc;
            }
        }
        if l == layers.len() - 1 {
            // Readout: softmax cross-entropy, mean over rows.
            let mut total = 0.0;
            for r in 0..rows {
                let row = &h[r * n_out..(r + 1) * n_out];
                let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                total += lse - row[s.labels[r] as usize];
            }
            return total / rows as f64;
        }
        // Before the activation: a = phi(norm(h)); after: a = norm(phi(h)).
        let post = s.spec.norm_at == NormAt::Post && !residual;
        let z = if post || residual {
            h.clone()
        } else {
            normalize(s, layer, &h)
        };
        let act = s.spec.activation;
        let stream = std::mem::replace(&mut a, z.iter().map(|&v| act.f64(v)).collect());
        if post {
            a = normalize(s, layer, &a);
        }
        let keep = &s.keep[l];
        if !keep.is_empty() {
            // Paper's closed form with keep probability p = 1 - q.
            let p = 1.0 - q;
            let big_a = (p + ALPHA_PRIME * ALPHA_PRIME * p * (1.0 - p)).powf(-0.5);
            let big_b = -big_a * (1.0 - p) * ALPHA_PRIME;
            for (v, &k) in a.iter_mut().zip(keep) {
                *v = match (s.spec.dropout, k) {
                    (DropoutKind::Standard, true) => *v / p,
                    (DropoutKind::Standard, false) => 0.0,
                    (_, true) => big_a * *v + big_b,
                    (_, false) => big_a * ALPHA_PRIME + big_b,
                };
            }
        }
        if residual {
            a = stream
                .iter()
                .zip(&a)
                .map(|(x, b)| x + s.spec.res_scale * b)
                .collect();
        }
    }
    unreachable!()
}

fn check(
    act: ActivationKind,
    norm: Normalization,
    (norm_at, arch): (NormAt, Arch),
    dropout: DropoutKind,
    seed: u64,
) -> f64 {
    let spec = ModelSpec {
        inputs: 3,
        classes: 3,
        depth: 2,
        width: 6,
        activation: Activation::new(act),
        init: Initializer::LecunNormal,
        gain: 1.0,
        bias_std: 0.1,
        norm,
        groups: 2,
        norm_at,
        arch,
        res_scale: 0.7,
        dropout,
        dropout_rate: 0.3,
    };
    let mut model = Model::new(spec, seed);
    // Move scale and shift away from 1 and 0 so that their gradients and their effect show.
    let mut rng = Rng::from_seed_and_id(seed, 99);
    for layer in &mut model.layers {
        for g in &mut layer.gamma {
            *g = (1.0 + 0.3 * rng.normal()) as f32;
        }
        for b in &mut layer.beta {
            *b = (0.2 * rng.normal()) as f32;
        }
    }
    let rows = 6;
    let mut x = vec![0.0f32; rows * spec.inputs];
    rng.fill_normal_f32(&mut x, 0.0, 1.0);
    let labels: Vec<u32> = (0..rows as u32).map(|r| r % 3).collect();
    let mut cache = Default::default();
    let mut drop_rng = Rng::from_seed_and_id(seed, 7);
    model.forward(&x, rows, Mode::Train, &mut drop_rng, &mut cache);
    let loss = model.loss(&mut cache, &labels);
    let mut grads = model.zero_grads();
    model.backward(&mut cache, &mut grads);
    let setup = Setup {
        spec,
        rows,
        x: x.iter().map(|&v| f64::from(v)).collect(),
        labels,
        keep: cache.keep.clone(),
    };
    if dropout != DropoutKind::None {
        assert!(
            setup.keep.iter().all(|k| k.len() == rows * 6),
            "dropout masks recorded"
        );
        assert!(
            setup.keep.iter().flatten().any(|&k| !k),
            "some unit dropped"
        );
    }
    let conv = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let layers: Vec<RefLayer> = model
        .layers
        .iter()
        .map(|l| RefLayer {
            fan_in: l.fan_in,
            fan_out: l.fan_out,
            w: conv(&l.w),
            b: conv(&l.b),
            gamma: conv(&l.gamma),
            beta: conv(&l.beta),
        })
        .collect();
    let ref0 = ref_loss(&setup, &layers);
    assert!(
        (ref0 - loss).abs() <= 1e-5 * (1.0 + ref0.abs()),
        "forward: model {loss} vs reference {ref0}"
    );
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    let mut checked = 0;
    for li in 0..layers.len() {
        for which in 0..4 {
            let n = match which {
                0 => layers[li].w.len(),
                1 => layers[li].b.len(),
                2 => layers[li].gamma.len(),
                _ => layers[li].beta.len(),
            };
            for k in 0..n {
                let eval = |delta: f64| {
                    let mut p = layers.clone();
                    let t = match which {
                        0 => &mut p[li].w,
                        1 => &mut p[li].b,
                        2 => &mut p[li].gamma,
                        _ => &mut p[li].beta,
                    };
                    t[k] += delta;
                    ref_loss(&setup, &p)
                };
                let fd = (eval(h) - eval(-h)) / (2.0 * h);
                let analytic = f64::from(match which {
                    0 => grads.w[li][k],
                    1 => grads.b[li][k],
                    2 => grads.gamma[li][k],
                    _ => grads.beta[li][k],
                });
                let err = (analytic - fd).abs();
                assert!(
                    err <= 2e-5 + 2e-3 * fd.abs(),
                    "{act:?} {norm:?} {norm_at:?} {arch:?} {dropout:?}: layer {li} tensor {which} index {k}: analytic {analytic} vs fd {fd}"
                );
                worst = worst.max(err / (1e-2 + fd.abs()));
                checked += 1;
            }
        }
    }
    // w (3x6 + 6x6 + 6x3) and b (6 + 6 + 3), plus gamma and beta (2 x 2 x 6) with normalization
    // (RMSNorm: gamma only, 2 x 6).
    let expected = 72
        + 15
        + match norm {
            Normalization::None => 0,
            Normalization::Rms => 12,
            _ => 24,
        };
    assert_eq!(checked, expected);
    worst
}

#[test]
fn gradients_match_finite_differences() {
    for act in [
        ActivationKind::Selu,
        ActivationKind::Tanh,
        ActivationKind::GeluTanh,
    ] {
        for norm in Normalization::ALL {
            // Plain in both placements; residual blocks normalize their input (pre).
            for place in [
                (NormAt::Pre, Arch::Plain),
                (NormAt::Post, Arch::Plain),
                (NormAt::Pre, Arch::Residual),
            ] {
                if norm == Normalization::None && place.0 == NormAt::Post {
                    continue;
                }
                for dropout in DropoutKind::ALL {
                    for seed in [1, 2] {
                        let worst = check(act, norm, place, dropout, seed);
                        println!(
                            "{act:?} {norm:?} {place:?} {dropout:?} seed {seed}: max |err| / (0.01 + |fd|) = {worst:.2e}"
                        );
                    }
                }
            }
        }
    }
}
