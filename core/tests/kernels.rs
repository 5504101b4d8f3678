//! The kernel paths: Simd against Scalar bit for bit, both against f64 references; the
//! vectorized activations against the f64 definitions; the fused statistics against the two-pass
//! mean and variance; the MLP's gradients against finite differences.

use lab_core::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};

mod common;
use common::bits;

/// [`common::data`] from this file's stream.
fn data(len: usize, seed: u64) -> Vec<f32> {
    common::data(len, seed, 99)
}

const SIZES: [usize; 9] = [0, 1, 3, 5, 8, 17, 64, 67, 33];

/// |computed - exact| <= k eps sum |a_k b_k| (+ a subnormal-scale floor): the standard bound of a
/// length-k recursive sum in f32 (Higham, Accuracy and Stability, 3.1), with k the number of terms.
fn check_bound(what: &str, got: f32, exact: f64, abs_sum: f64, k: usize) {
    let bound = (k.max(1) as f64) * f64::from(f32::EPSILON) * abs_sum + 1e-37;
    let err = (f64::from(got) - exact).abs();
    assert!(
        err <= bound,
        "{what}: got {got}, exact {exact}, err {err} > {bound}"
    );
}

#[test]
fn matmul_paths_are_bit_identical_and_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 1..=9 {
                let x = data(rows * n_in, 1 + t as u64);
                let w = data(n_in * n_out, 100 + n_out as u64);
                let mut out = [vec![f32::NAN; rows * n_out], vec![f32::NAN; rows * n_out]];
                for (o, path) in out.iter_mut().zip(KernelPath::ALL) {
                    matmul_with(path, &x, &w, n_in, n_out, o);
                }
                assert_eq!(bits(&out[0]), bits(&out[1]), "matmul {rows}x{n_in}x{n_out}");
                for r in 0..rows {
                    for j in 0..n_out {
                        let terms = (0..n_in)
                            .map(|k| f64::from(x[r * n_in + k]) * f64::from(w[k * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound("matmul", out[0][r * n_out + j], exact, abs_sum, n_in);
                    }
                }
            }
        }
    }
}

#[test]
fn matmul_transposed_paths_are_bit_identical_and_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 1..=9 {
                let d = data(rows * n_out, 7 + t as u64);
                let w = data(n_in * n_out, 300 + n_out as u64);
                let mut out = [vec![f32::NAN; rows * n_in], vec![f32::NAN; rows * n_in]];
                for (o, path) in out.iter_mut().zip(KernelPath::ALL) {
                    matmul_transposed_with(path, &d, &w, n_in, n_out, o);
                }
                assert_eq!(
                    bits(&out[0]),
                    bits(&out[1]),
                    "transposed {rows}x{n_out}x{n_in}"
                );
                for r in 0..rows {
                    for i in 0..n_in {
                        let terms = (0..n_out)
                            .map(|j| f64::from(d[r * n_out + j]) * f64::from(w[i * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound("transposed", out[0][r * n_in + i], exact, abs_sum, n_out);
                    }
                }
            }
        }
    }
}

#[test]
fn grad_w_paths_are_bit_identical_and_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 0..=9 {
                let x = data(rows * n_in, 17 + t as u64);
                let d = data(rows * n_out, 500 + n_out as u64);
                let mut dw = [vec![f32::NAN; n_in * n_out], vec![f32::NAN; n_in * n_out]];
                for (o, path) in dw.iter_mut().zip(KernelPath::ALL) {
                    matmul_grad_w_with(path, &x, &d, n_in, n_out, o);
                }
                assert_eq!(bits(&dw[0]), bits(&dw[1]), "grad_w {rows}x{n_in}x{n_out}");
                for i in 0..n_in {
                    for j in 0..n_out {
                        let terms = (0..rows)
                            .map(|r| f64::from(x[r * n_in + i]) * f64::from(d[r * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound("grad_w", dw[0][i * n_out + j], exact, abs_sum, rows);
                    }
                }
            }
        }
    }
}

/// Non-finite inputs propagate identically through both paths (NaN payloads aside, the bits of
/// infinities and NaN-ness agree).
#[test]
fn matmul_paths_agree_on_non_finite_values() {
    let (rows, n_in, n_out) = (5, 13, 11);
    let mut x = data(rows * n_in, 3);
    x[4] = f32::INFINITY;
    x[20] = f32::NAN;
    let w = data(n_in * n_out, 4);
    let mut out = [vec![0.0; rows * n_out], vec![0.0; rows * n_out]];
    for (o, path) in out.iter_mut().zip(KernelPath::ALL) {
        matmul_with(path, &x, &w, n_in, n_out, o);
    }
    for (a, b) in out[0].iter().zip(&out[1]) {
        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    }
}

#[test]
fn kernel_path_names_round_trip() {
    for p in KernelPath::ALL {
        assert_eq!(KernelPath::from_name(p.name()), Some(p));
    }
    assert_eq!(KernelPath::default(), KernelPath::Simd);
    assert_eq!(KernelPath::from_name("fast"), None);
}

// ---------- activations ----------

use lab_core::activation::{Activation, ActivationKind};

/// Inputs: a dense grid of [-30, 30], +-10^e for e from -40 to 38 in steps of 0.01, 0, -0,
/// subnormals, the extremes and infinities.
fn grid() -> Vec<f32> {
    let mut xs: Vec<f32> = (-300_000..=300_000).map(|i| i as f32 * 1e-4).collect();
    for i in -4000..=3850 {
        let v = 10f64.powf(f64::from(i) * 0.01) as f32;
        xs.push(v);
        xs.push(-v);
    }
    xs.extend([
        0.0,
        -0.0,
        1e-45,
        -1e-45,
        1e-40,
        -3e-39,
        f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ]);
    xs
}

fn activations() -> Vec<Activation> {
    let mut list: Vec<Activation> = ActivationKind::ALL
        .into_iter()
        .map(Activation::new)
        .collect();
    for beta in [0.0, 2.0, 0.5, -1.0, 1.702] {
        list.push(Activation {
            beta,
            ..Activation::new(ActivationKind::Silu)
        });
    }
    list.push(Activation {
        alpha: 0.5,
        ..Activation::new(ActivationKind::Elu)
    });
    for alpha in [0.0, 0.7, 2.5] {
        list.push(Activation {
            alpha,
            ..Activation::new(ActivationKind::Celu)
        });
    }
    list.push(Activation {
        slope: 0.2,
        ..Activation::new(ActivationKind::LeakyRelu)
    });
    list
}

/// max over the grid of |got - ref| / max(|ref|, floor), with the worst x; NaN where ref is NaN
/// must be NaN (and vice versa), infinities must match exactly.
fn worst(xs: &[f32], got: &[f32], reference: impl Fn(f64) -> f64, floor: f64) -> (f64, f32) {
    let mut worst = (0.0f64, 0.0f32);
    for (&x, &g) in xs.iter().zip(got) {
        let r = reference(f64::from(x));
        if r.is_nan() || g.is_nan() {
            assert!(r.is_nan() && g.is_nan(), "x = {x}: got {g}, reference {r}");
            continue;
        }
        // Results beyond the f32 range must overflow like the rounded reference.
        if (r as f32).is_infinite() || g.is_infinite() {
            assert_eq!(g, r as f32, "x = {x}");
            continue;
        }
        let e = (f64::from(g) - r).abs() / r.abs().max(floor);
        if e > worst.0 {
            worst = (e, x);
        }
    }
    worst
}

/// Below this |phi| the error is judged in absolute terms (see `Activation::apply_slice_with`):
/// where the argument of e^x is itself a rounded f32 product (beta x for Swish with a beta that
/// is not a power of two, 2u = 2 sqrt(2/pi) (x + 0.044715 x^3) for GELU-tanh), the relative error
/// of the tail grows like |argument| 1e-7.
fn phi_floor(act: &Activation) -> f64 {
    match act.kind {
        ActivationKind::GeluTanh => 1e-2,
        ActivationKind::Silu if act.beta.abs().log2().fract() != 0.0 => 1e-2,
        _ => 1e-30,
    }
}

/// The documented accuracy of the vectorized activations (see `Activation::apply_slice_with`):
/// phi within 1e-6 relative down to |phi| = 1e-30, phi' within 1e-6 max(|phi'|, 0.1). The Scalar
/// path must be within one f32 rounding of the f64 definition.
#[test]
fn activations_match_the_f64_definitions_on_both_paths() {
    let mut xs = grid();
    xs.push(f32::NAN);
    let mut out = vec![0.0f32; xs.len()];
    let verbose = std::env::var("SHOW_ERRORS").is_ok();
    for act in activations() {
        for path in KernelPath::ALL {
            let (tol_f, tol_df) = match path {
                KernelPath::Scalar => (6e-8, 6e-8),
                KernelPath::Simd | KernelPath::Relaxed => (1e-6, 1e-6),
            };
            act.apply_slice_with(path, &xs, &mut out);
            let (ef, xf) = worst(&xs, &out, |x| act.f64(x), phi_floor(&act));
            act.derivative_slice_with(path, &xs, &mut out);
            let (ed, xd) = worst(&xs, &out, |x| act.df64(x), 0.1);
            if verbose {
                println!(
                    "{:<12} {:?} {:<6} f {ef:9.2e} at {xf:<12e} df {ed:9.2e} at {xd:e}",
                    act.kind.name(),
                    (act.beta, act.alpha, act.slope),
                    path.name()
                );
            }
            assert!(
                ef <= tol_f,
                "{act:?} {path:?}: phi error {ef:e} at x = {xf:e}"
            );
            assert!(
                ed <= tol_df,
                "{act:?} {path:?}: phi' error {ed:e} at x = {xd:e}"
            );
        }
    }
}

// ---------- fused statistics ----------

use lab_core::stats::{first_finite, mean_var, moments, Moments};

#[test]
fn one_pass_moments_match_the_two_pass_mean_and_variance() {
    for len in [1usize, 2, 3, 5, 8, 67, 1000, 4099] {
        for offset in [0.0f32, 3.0, -1e4, 1e6] {
            let values: Vec<f32> = data(len, len as u64).iter().map(|&v| v + offset).collect();
            let (mean, var) = mean_var(&values);
            for path in KernelPath::ALL {
                let (m, v) = moments(path, &values);
                // The mean relative to its magnitude plus the spread.
                let scale = mean.abs() + var.sqrt();
                assert!(
                    (m - mean).abs() <= 1e-12 * scale,
                    "{len} {offset} {path:?}: mean {m} vs {mean}"
                );
                assert!(
                    (v - var).abs() <= 1e-12 * var + 1e-300,
                    "{len} {offset} {path:?}: var {v} vs {var}"
                );
                // Row grouping does not change a bit.
                for row_len in [1, 4, 7] {
                    let mut once = Moments::new(values[0]);
                    once.push_rows(path, &values, row_len);
                    let mut split = Moments::new(values[0]);
                    for part in values.chunks(row_len * 3) {
                        split.push_rows(path, part, row_len);
                    }
                    assert_eq!(once, split);
                    assert_eq!(once.count(), len as u64);
                }
            }
        }
    }
    assert!(moments(KernelPath::Simd, &[]).1.is_nan());
    // Non-finite values are left out and counted: 1, 2, 3, 4 have mean 2.5 and variance
    // (1.5^2 + 0.5^2 + 0.5^2 + 1.5^2) / 4 = 1.25.
    for path in KernelPath::ALL {
        let (m, v) = moments(path, &[1.0, f32::NAN, 2.0, 3.0, 4.0]);
        assert_eq!((m, v), (2.5, 1.25), "{path:?}");
        let (m, v) = moments(
            path,
            &[f32::INFINITY, 1.0, 2.0, f32::NEG_INFINITY, 3.0, 4.0],
        );
        assert_eq!(
            (m, v),
            (2.5, 1.25),
            "{path:?}: a non-finite first value is no pivot"
        );
    }
}

/// A layer with some non-finite entries: its moments are those of its finite entries (the
/// two-pass reference over the finite subset), the others are counted, whatever the path and
/// the grouping of rows; with no finite entry, the mean is the non-finite values' own (inf,
/// -inf, or NaN when they disagree) and the variance NaN.
#[test]
fn non_finite_values_are_counted_and_left_out() {
    for len in [1usize, 5, 8, 67, 1000] {
        let mut values: Vec<f32> = data(len, 40 + len as u64)
            .iter()
            .map(|&v| v * 1e3 + 7.0)
            .collect();
        let bad = [f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        let mut k = 0;
        for i in (0..len).step_by(7) {
            values[i] = bad[k % 3];
            k += 1;
        }
        let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let (mean, var) = mean_var(&finite);
        for path in KernelPath::ALL {
            for row_len in [1, 4, 7, 64] {
                let mut once = Moments::new(first_finite(&values));
                once.push_rows(path, &values, row_len);
                let mut split = Moments::new(first_finite(&values));
                for part in values.chunks(row_len * 3) {
                    split.push_rows(path, part, row_len);
                }
                assert_eq!(
                    format!("{once:?}"),
                    format!("{split:?}"),
                    "{len} {path:?} {row_len}"
                );
                assert_eq!(once.nonfinite(), k as u64);
                assert_eq!(once.count(), finite.len() as u64);
                if finite.is_empty() {
                    assert!(
                        once.mean() == f64::INFINITY && once.var().is_nan(),
                        "{len}: one inf"
                    );
                    continue;
                }
                let scale = mean.abs() + var.sqrt();
                assert!(
                    (once.mean() - mean).abs() <= 1e-12 * scale,
                    "{len} {path:?}: mean {} vs {mean}",
                    once.mean()
                );
                assert!(
                    (once.var() - var).abs() <= 1e-12 * var + 1e-300,
                    "{len} {path:?}: var {} vs {var}",
                    once.var()
                );
            }
        }
    }
    for path in KernelPath::ALL {
        let all_inf = moments(path, &[f32::INFINITY; 5]);
        assert!(all_inf.0 == f64::INFINITY && all_inf.1.is_nan());
        let mixed = moments(path, &[f32::INFINITY, f32::NEG_INFINITY]);
        assert!(mixed.0.is_nan() && mixed.1.is_nan());
    }
}

// ---------- the simulation on both paths ----------

use lab_core::{Config, Simulation};

/// Both paths give the same statistics up to the activation approximation (1e-6 relative per
/// value, so far below the statistical spread), and each is bit-identical whatever the budgets.
#[test]
fn the_simulation_agrees_across_paths_and_budgets() {
    for kind in [
        ActivationKind::Selu,
        ActivationKind::Gelu,
        ActivationKind::Tanh,
    ] {
        let base = Config {
            activation: Activation::new(kind),
            depth: 6,
            width: 37,
            batch: 9,
            ..Config::default()
        };
        let scalar = Simulation::run(Config {
            kernels: KernelPath::Scalar,
            ..base
        })
        .unwrap();
        let simd = Simulation::run(Config {
            kernels: KernelPath::Simd,
            ..base
        })
        .unwrap();
        for (a, b) in scalar.stats().iter().zip(simd.stats()) {
            for (x, y) in [
                (a.pre_var, b.pre_var),
                (a.post_var, b.post_var),
                (a.grad_rms, b.grad_rms),
                (
                    a.post_mean.abs() + a.post_var.sqrt(),
                    b.post_mean.abs() + b.post_var.sqrt(),
                ),
            ] {
                assert!((x - y).abs() <= 1e-4 * x.abs(), "{kind:?}: {x} vs {y}");
            }
        }
        for path in KernelPath::ALL {
            let full = Simulation::run(Config {
                kernels: path,
                ..base
            })
            .unwrap();
            let mut sliced = Simulation::new(Config {
                kernels: path,
                ..base
            })
            .unwrap();
            while !sliced.step(1234.0) {}
            assert_eq!(
                format!("{:?}", full.stats()),
                format!("{:?}", sliced.stats())
            );
            assert_eq!(full.samples(3), sliced.samples(3));
        }
    }
}

// ---------- the benchmark MLP ----------

use lab_core::mlp::Mlp;

/// Loss and weight gradients recomputed in f64 from the MLP's f32 weights, input and g, with the
/// f64 activation definitions (an independent implementation of the same chain rule).
fn mlp_f64(
    act: Activation,
    weights: &[Vec<f64>],
    input: &[f32],
    g: &[f32],
    n: usize,
) -> (f64, Vec<Vec<f64>>) {
    let b = input.len() / n;
    let mut xs = vec![input.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>()];
    let mut hs = Vec::new();
    for w in weights {
        let x = xs.last().unwrap();
        let h: Vec<f64> = (0..b * n)
            .map(|e| (0..n).map(|k| x[e / n * n + k] * w[k * n + e % n]).sum())
            .collect();
        xs.push(h.iter().map(|&v| act.f64(v)).collect());
        hs.push(h);
    }
    let loss = xs
        .last()
        .unwrap()
        .iter()
        .zip(g)
        .map(|(x, &g)| x * f64::from(g))
        .sum();
    let mut dx: Vec<f64> = g.iter().map(|&v| f64::from(v)).collect();
    let mut grads = vec![Vec::new(); weights.len()];
    for l in (0..weights.len()).rev() {
        let delta: Vec<f64> = dx
            .iter()
            .zip(&hs[l])
            .map(|(d, &h)| d * act.df64(h))
            .collect();
        grads[l] = (0..n * n)
            .map(|e| {
                (0..b)
                    .map(|r| xs[l][r * n + e / n] * delta[r * n + e % n])
                    .sum()
            })
            .collect();
        dx = (0..b * n)
            .map(|e| {
                (0..n)
                    .map(|j| delta[e / n * n + j] * weights[l][e % n * n + j])
                    .sum()
            })
            .collect();
    }
    (loss, grads)
}

#[test]
fn mlp_gradients_match_f64_and_finite_differences() {
    let (depth, batch, width) = (3, 4, 5);
    for kind in [
        ActivationKind::Selu,
        ActivationKind::Gelu,
        ActivationKind::Tanh,
    ] {
        let act = Activation::new(kind);
        for path in KernelPath::ALL {
            let mut mlp = Mlp::new(depth, batch, width, kind, 7);
            let loss = mlp.grad_step(path);
            let w64: Vec<Vec<f64>> = mlp
                .weights()
                .iter()
                .map(|w| w.iter().map(|&v| f64::from(v)).collect())
                .collect();
            let (loss64, grads64) = mlp_f64(act, &w64, mlp.input(), mlp.g(), width);
            assert!(
                (loss - loss64).abs() <= 1e-5 * (1.0 + loss64.abs()),
                "{kind:?} {path:?}"
            );
            let norm: f64 = grads64.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
            for (got, want) in mlp
                .weight_grads()
                .iter()
                .flatten()
                .zip(grads64.iter().flatten())
            {
                assert!(
                    (f64::from(*got) - want).abs() <= 1e-5 * norm,
                    "{kind:?} {path:?}: {got} vs {want}"
                );
            }
            // Central differences of the f64 loss check the f64 chain rule itself.
            for (l, e) in [(0, 3), (1, 12), (2, 24)] {
                let h = 1e-6;
                let loss_at = |delta: f64| {
                    let mut w = w64.clone();
                    w[l][e] += delta;
                    mlp_f64(act, &w, mlp.input(), mlp.g(), width).0
                };
                let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
                assert!(
                    (fd - grads64[l][e]).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "{kind:?}: {fd} vs {}",
                    grads64[l][e]
                );
            }
        }
    }
    let mlp = Mlp::new(10, 64, 128, ActivationKind::Relu, 1);
    assert_eq!(mlp.flops_forward(), 2.0 * 64.0 * 128.0 * 128.0 * 10.0);
    assert_eq!(mlp.flops_grad_step(), 2.0 * 64.0 * 128.0 * 128.0 * 29.0);
}
