//! The SIMD kernels as the browser runs them (wasm simd128 `v128` code, which native tests never
//! execute): Simd against Scalar bit for bit for the three matmuls, the vectorized activations
//! against the f64 definitions, the Relaxed path against the fused references, and a timing
//! report (printed, never asserted).
//!
//! scripts/check.sh runs these tests twice: in the default build (simd128; `Relaxed` is then
//! `f32::mul_add` in software, always fused) and, those whose name contains `relaxed`, in a
//! build with relaxed SIMD (`relaxed_madd`, fused or not as the machine chooses).

use lab_core::kernels::{
    matmul_fused, matmul_grad_w_fused, matmul_grad_w_with, matmul_transposed_fused,
    matmul_transposed_with, matmul_with, KernelPath,
};
use lab_core::mlp::Mlp;
use lab_core::{Activation, ActivationKind, Config, Simulation};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// The native kernel tests' data and bits helpers, the same file.
#[path = "../core/tests/common/mod.rs"]
mod common;
use common::bits;

/// The kernel tests' data (see `common::data`) from this file's stream, id 5.
fn data(len: usize, seed: u64) -> Vec<f32> {
    common::data(len, seed, 5)
}

#[wasm_bindgen_test]
fn simd128_matmuls_are_bit_identical_to_scalar() {
    let sizes = [0usize, 1, 3, 5, 8, 17, 64, 67];
    for &n_in in &sizes {
        for &n_out in &sizes {
            for rows in [1usize, 2, 4, 5, 9] {
                let x = data(rows * n_in, 1 + n_in as u64);
                let w = data(n_in * n_out, 2 + n_out as u64);
                let d = data(rows * n_out, 3 + rows as u64);
                let mut a = vec![f32::NAN; rows * n_out];
                let mut b = vec![f32::NAN; rows * n_out];
                matmul_with(KernelPath::Scalar, &x, &w, n_in, n_out, &mut a);
                matmul_with(KernelPath::Simd, &x, &w, n_in, n_out, &mut b);
                assert_eq!(bits(&a), bits(&b), "matmul {rows}x{n_in}x{n_out}");
                let mut a = vec![f32::NAN; rows * n_in];
                let mut b = vec![f32::NAN; rows * n_in];
                matmul_transposed_with(KernelPath::Scalar, &d, &w, n_in, n_out, &mut a);
                matmul_transposed_with(KernelPath::Simd, &d, &w, n_in, n_out, &mut b);
                assert_eq!(bits(&a), bits(&b), "transposed {rows}x{n_out}x{n_in}");
                let mut a = vec![f32::NAN; n_in * n_out];
                let mut b = vec![f32::NAN; n_in * n_out];
                matmul_grad_w_with(KernelPath::Scalar, &x, &d, n_in, n_out, &mut a);
                matmul_grad_w_with(KernelPath::Simd, &x, &d, n_in, n_out, &mut b);
                assert_eq!(bits(&a), bits(&b), "grad_w {rows}x{n_in}x{n_out}");
            }
        }
    }
}

/// The bounds documented at `Activation::apply_slice_with` (see core/tests/kernels.rs for the
/// native run on the same grid, with the floors explained there).
#[wasm_bindgen_test]
fn simd128_activations_match_the_f64_definitions() {
    let mut xs: Vec<f32> = (-60_000..=60_000).map(|i| i as f32 * 5e-4).collect();
    for i in -400..=385 {
        let v = 10f64.powf(f64::from(i) * 0.1) as f32;
        xs.extend([v, -v]);
    }
    xs.extend([
        0.0,
        -0.0,
        1e-45,
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ]);
    let mut out = vec![0.0f32; xs.len()];
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        let floor = if kind == ActivationKind::GeluTanh {
            1e-2
        } else {
            1e-30
        };
        for (derivative, floor) in [(false, floor), (true, 0.1)] {
            if derivative {
                act.derivative_slice_with(KernelPath::Simd, &xs, &mut out);
            } else {
                act.apply_slice_with(KernelPath::Simd, &xs, &mut out);
            }
            let mut worst = 0.0f64;
            for (&x, &got) in xs.iter().zip(&out) {
                let r = if derivative {
                    act.df64(f64::from(x))
                } else {
                    act.f64(f64::from(x))
                };
                if r.is_nan() || got.is_nan() {
                    assert!(r.is_nan() && got.is_nan(), "{kind:?} at {x}: {got} vs {r}");
                } else if (r as f32).is_infinite() || got.is_infinite() {
                    assert_eq!(got, r as f32, "{kind:?} at {x}");
                } else {
                    worst = worst.max((f64::from(got) - r).abs() / r.abs().max(floor));
                }
            }
            assert!(worst <= 1e-6, "{kind:?} derivative {derivative}: {worst:e}");
        }
    }
}

#[wasm_bindgen_test]
fn the_simulation_runs_on_both_paths_in_the_browser() {
    for kernels in KernelPath::ALL {
        let sim = Simulation::run(Config {
            depth: 8,
            width: 33,
            batch: 10,
            kernels,
            ..Config::default()
        })
        .unwrap();
        assert_eq!(sim.stats().len(), 8);
        assert!(sim.stats().iter().all(|s| s.grad_rms.is_finite()));
    }
}

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

/// Best time in ms of `reps` runs after a warm-up.
fn best_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = now_ms();
            f();
            now_ms() - t
        })
        .fold(f64::INFINITY, f64::min)
}

/// Figures of the wasm build (printed in the test output; a benchmark never fails on time).
#[wasm_bindgen_test]
fn report_simd128_speed() {
    for n in [256usize, 512] {
        let x = data(n * n, 11);
        let w = data(n * n, 12);
        let mut out = vec![0.0f32; n * n];
        let flops = 2.0 * (n as f64).powi(3);
        let reps = if n == 256 { 10 } else { 3 };
        for path in report_paths() {
            let mm = best_ms(reps, || matmul_with(path, &x, &w, n, n, &mut out));
            let tr = best_ms(reps, || {
                matmul_transposed_with(path, &x, &w, n, n, &mut out)
            });
            let gw = best_ms(reps, || matmul_grad_w_with(path, &x, &w, n, n, &mut out));
            console_log!(
                "wasm {n}^3 {}: matmul {:.2} GFLOP/s, transposed {:.2}, grad_w {:.2}",
                path.name(),
                flops / mm * 1e-6,
                flops / tr * 1e-6,
                flops / gw * 1e-6
            );
        }
    }
    let xs: Vec<f32> = data(1 << 16, 13);
    let mut out = vec![0.0f32; xs.len()];
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        for path in report_paths() {
            let t = best_ms(10, || act.apply_slice_with(path, &xs, &mut out));
            let td = best_ms(10, || act.derivative_slice_with(path, &xs, &mut out));
            console_log!(
                "wasm {} {}: phi {:.2} ns/elem, phi' {:.2} ns/elem",
                kind.name(),
                path.name(),
                t * 1e6 / xs.len() as f64,
                td * 1e6 / xs.len() as f64
            );
        }
    }
    for (depth, batch, width) in [(10, 256, 256), (100, 64, 128), (1000, 256, 16)] {
        let mut mlp = Mlp::new(depth, batch, width, ActivationKind::Selu, 1);
        for path in report_paths() {
            let t = best_ms(3, || {
                mlp.grad_step(path);
            });
            console_log!(
                "wasm mlp grad_step {depth}x{batch}x{width} selu {}: {:.1} ms, {:.2} GFLOP/s",
                path.name(),
                t,
                mlp.flops_grad_step() / t * 1e-6
            );
        }
    }
}

/// The paths worth timing in this build: `Relaxed` only where it is `relaxed_madd` (in the
/// default build it is a software `fmaf`, about a hundred times slower).
fn report_paths() -> Vec<KernelPath> {
    KernelPath::ALL
        .into_iter()
        .filter(|&p| p != KernelPath::Relaxed || cfg!(target_feature = "relaxed-simd"))
        .collect()
}

/// Whether this build's `Relaxed` multiply-add is fused on this machine: 1 + 2^-12 squared is
/// 1 + 2^-11 + 2^-24, so C = -(1 + 2^-11) plus it gives 2^-24 fused and 0 unfused (the product
/// rounds to 1 + 2^-11). Four columns: the vector body, not the scalar tail.
fn relaxed_fuses() -> bool {
    let a = 1.0f32 + 1.0 / 4096.0;
    let c = -(1.0f32 + 1.0 / 2048.0);
    let x = [c, a];
    let w = [1.0, 1.0, 1.0, 1.0, a, a, a, a];
    let mut out = [f32::NAN; 4];
    matmul_with(KernelPath::Relaxed, &x, &w, 2, 4, &mut out);
    let fused = 1.0 / 16_777_216.0;
    assert!(
        out.iter().all(|&v| v == fused) || out.iter().all(|&v| v == 0.0),
        "relaxed_madd neither fused nor unfused in every lane: {out:?}"
    );
    out[0] == fused
}

/// |got - exact| <= k eps sum |a_k b_k|, the bound of a length-k sum (Higham 3.1), fused or not:
/// the documented tolerance of the Relaxed path (so it is within 2 k eps sum |a_k b_k| of the
/// Simd path's result).
fn within_bound(got: f32, terms: impl Iterator<Item = f64> + Clone, k: usize) -> bool {
    let exact: f64 = terms.clone().sum();
    let abs_sum: f64 = terms.map(f64::abs).sum();
    (f64::from(got) - exact).abs() <= (k.max(1) as f64) * f64::from(f32::EPSILON) * abs_sum + 1e-37
}

/// Where the machine fuses, `Relaxed` equals the fused references bit for bit; where it does not
/// (relaxed_madd as a multiply and an add), it equals the Simd path bit for bit. Either way every
/// output is within the sum's error bound. `Simd` stays bit-identical to `Scalar` in this build.
#[wasm_bindgen_test]
fn relaxed_matmuls_equal_the_fused_reference_where_the_machine_fuses() {
    let fuses = relaxed_fuses();
    console_log!(
        "relaxed-simd build: {}, relaxed multiply-add fused here: {fuses}",
        cfg!(target_feature = "relaxed-simd")
    );
    if !cfg!(target_feature = "relaxed-simd") {
        assert!(fuses, "f32::mul_add is always fused");
    }
    let sizes = [0usize, 1, 3, 4, 5, 8, 13, 17, 64, 67];
    for &n_in in &sizes {
        for &n_out in &sizes {
            for rows in [1usize, 2, 4, 5, 9] {
                let x = data(rows * n_in, 21 + n_in as u64);
                let w = data(n_in * n_out, 22 + n_out as u64);
                let d = data(rows * n_out, 23 + rows as u64);
                let reference = |fused: &[f32], separate: &[f32]| {
                    if fuses {
                        bits(fused)
                    } else {
                        bits(separate)
                    }
                };
                let mut fused = vec![f32::NAN; rows * n_out];
                let mut simd = vec![f32::NAN; rows * n_out];
                let mut scalar = vec![f32::NAN; rows * n_out];
                let mut relaxed = vec![f32::NAN; rows * n_out];
                matmul_fused(&x, &w, n_in, n_out, &mut fused);
                matmul_with(KernelPath::Simd, &x, &w, n_in, n_out, &mut simd);
                matmul_with(KernelPath::Scalar, &x, &w, n_in, n_out, &mut scalar);
                matmul_with(KernelPath::Relaxed, &x, &w, n_in, n_out, &mut relaxed);
                assert_eq!(
                    bits(&scalar),
                    bits(&simd),
                    "simd matmul {rows}x{n_in}x{n_out}"
                );
                assert_eq!(
                    reference(&fused, &simd),
                    bits(&relaxed),
                    "relaxed matmul {rows}x{n_in}x{n_out}"
                );
                for r in 0..rows {
                    for j in 0..n_out {
                        let terms = (0..n_in)
                            .map(|k| f64::from(x[r * n_in + k]) * f64::from(w[k * n_out + j]));
                        assert!(within_bound(relaxed[r * n_out + j], terms, n_in));
                    }
                }
                let mut fused = vec![f32::NAN; rows * n_in];
                let mut simd = vec![f32::NAN; rows * n_in];
                let mut relaxed = vec![f32::NAN; rows * n_in];
                matmul_transposed_fused(&d, &w, n_in, n_out, &mut fused);
                matmul_transposed_with(KernelPath::Simd, &d, &w, n_in, n_out, &mut simd);
                matmul_transposed_with(KernelPath::Relaxed, &d, &w, n_in, n_out, &mut relaxed);
                assert_eq!(
                    reference(&fused, &simd),
                    bits(&relaxed),
                    "relaxed transposed {rows}x{n_out}x{n_in}"
                );
                let mut fused = vec![f32::NAN; n_in * n_out];
                let mut simd = vec![f32::NAN; n_in * n_out];
                let mut relaxed = vec![f32::NAN; n_in * n_out];
                matmul_grad_w_fused(&x, &d, n_in, n_out, &mut fused);
                matmul_grad_w_with(KernelPath::Simd, &x, &d, n_in, n_out, &mut simd);
                matmul_grad_w_with(KernelPath::Relaxed, &x, &d, n_in, n_out, &mut relaxed);
                assert_eq!(
                    reference(&fused, &simd),
                    bits(&relaxed),
                    "relaxed grad_w {rows}x{n_in}x{n_out}"
                );
            }
        }
    }
}

/// The relaxed build's speed on matmul 512^3 against simd128 in the same build (printed, never
/// asserted; `make bench` has the figures against the default build and native code).
#[wasm_bindgen_test]
fn report_relaxed_speed() {
    if !cfg!(target_feature = "relaxed-simd") {
        return;
    }
    let n = 512;
    let x = data(n * n, 11);
    let w = data(n * n, 12);
    let mut out = vec![0.0f32; n * n];
    let flops = 2.0 * (n as f64).powi(3);
    let simd = best_ms(3, || matmul_with(KernelPath::Simd, &x, &w, n, n, &mut out));
    let relaxed = best_ms(3, || {
        matmul_with(KernelPath::Relaxed, &x, &w, n, n, &mut out)
    });
    console_log!(
        "wasm relaxed build, matmul 512^3: simd {:.2} GFLOP/s, relaxed {:.2} GFLOP/s ({:.2}x; fused here: {})",
        flops / simd * 1e-6,
        flops / relaxed * 1e-6,
        simd / relaxed,
        relaxed_fuses()
    );
}
