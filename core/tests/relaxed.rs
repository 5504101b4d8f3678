//! The `Relaxed` kernel path: natively its multiply-adds are `f32::mul_add`, so it must equal the
//! fused scalar references (`matmul_fused`, `matmul_transposed_fused`, `matmul_grad_w_fused`)
//! bit for bit on awkward shapes; the references themselves are checked against f64 sums and
//! against a closed-form case where fusing changes the result. The browser's relaxed build is
//! tested in src/wasm_kernel_tests.rs.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::kernels::{
    dot, dot_fused, matmul, matmul_fused, matmul_grad_w_fused, matmul_grad_w_with,
    matmul_transposed_fused, matmul_transposed_with, matmul_with, KernelPath,
};
use lab_core::stats::moments;

mod common;
use common::bits;

/// [`common::data`] from this file's stream.
fn data(len: usize, seed: u64) -> Vec<f32> {
    common::data(len, seed, 77)
}

/// Lengths around the blocking sizes: 0, below and above 4 and 8 (the vector widths), primes.
const SIZES: [usize; 10] = [0, 1, 3, 4, 5, 8, 13, 17, 33, 67];

/// |computed - exact| <= k eps sum |a_k b_k| (+ a subnormal floor), the bound of a length-k
/// recursive sum (Higham, Accuracy and Stability, 3.1); a fused sum satisfies it too.
fn check_bound(what: &str, got: f32, exact: f64, abs_sum: f64, k: usize) {
    let bound = (k.max(1) as f64) * f64::from(f32::EPSILON) * abs_sum + 1e-37;
    let err = (f64::from(got) - exact).abs();
    assert!(
        err <= bound,
        "{what}: got {got}, exact {exact}, err {err} > {bound}"
    );
}

/// 1 + 2^-12 squared is 1 + 2^-11 + 2^-24: unfused, the product rounds (to even) to 1 + 2^-11
/// and adding -(1 + 2^-11) gives 0; fused, the result is 2^-24 exactly.
const A: f32 = 1.0 + 1.0 / 4096.0;
const C: f32 = -(1.0 + 1.0 / 2048.0);
const FUSED: f32 = 1.0 / 16_777_216.0;

#[test]
fn the_distinguishing_case_is_what_the_references_say() {
    assert_eq!(A * A + C, 0.0, "unfused");
    assert_eq!(A.mul_add(A, C), FUSED, "fused");
    // A 1 x 2 times 2 x 1 product: C * 1 first, then + A * A.
    let (x, w) = ([C, A], [1.0, A]);
    let mut out = [f32::NAN];
    matmul(&x, &w, 2, 1, &mut out);
    assert_eq!(out[0], 0.0);
    matmul_fused(&x, &w, 2, 1, &mut out);
    assert_eq!(out[0], FUSED);
    for path in [KernelPath::Scalar, KernelPath::Simd] {
        matmul_with(path, &x, &w, 2, 1, &mut out);
        assert_eq!(out[0], 0.0, "{path:?}");
    }
    matmul_with(KernelPath::Relaxed, &x, &w, 2, 1, &mut out);
    assert_eq!(out[0], FUSED, "Relaxed");
    // The same case in every column of a 4- and 8-wide strip (the vector kernels' body).
    for n_out in [4, 8, 12] {
        let w: Vec<f32> = [vec![1.0; n_out], vec![A; n_out]].concat();
        let mut out = vec![f32::NAN; n_out];
        matmul_with(KernelPath::Relaxed, &x, &w, 2, n_out, &mut out);
        assert!(out.iter().all(|&v| v == FUSED), "{n_out}: {out:?}");
    }
    // The dot product: lane 0 takes C * 1 then A * A (elements 0 and 8).
    let mut a = vec![0.0f32; 16];
    let mut b = vec![0.0f32; 16];
    (a[0], b[0], a[8], b[8]) = (C, 1.0, A, A);
    assert_eq!(dot(&a, &b), 0.0);
    assert_eq!(dot_fused(&a, &b), FUSED);
}

#[test]
fn relaxed_matmul_equals_the_fused_reference_and_is_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 1..=9 {
                let x = data(rows * n_in, 1 + t as u64);
                let w = data(n_in * n_out, 100 + n_out as u64);
                let mut reference = vec![f32::NAN; rows * n_out];
                let mut relaxed = vec![f32::NAN; rows * n_out];
                matmul_fused(&x, &w, n_in, n_out, &mut reference);
                matmul_with(KernelPath::Relaxed, &x, &w, n_in, n_out, &mut relaxed);
                assert_eq!(bits(&reference), bits(&relaxed), "{rows}x{n_in}x{n_out}");
                for r in 0..rows {
                    for j in 0..n_out {
                        let terms = (0..n_in)
                            .map(|k| f64::from(x[r * n_in + k]) * f64::from(w[k * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound(
                            "matmul_fused",
                            reference[r * n_out + j],
                            exact,
                            abs_sum,
                            n_in,
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn relaxed_matmul_transposed_equals_the_fused_reference_and_is_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 1..=9 {
                let d = data(rows * n_out, 7 + t as u64);
                let w = data(n_in * n_out, 300 + n_out as u64);
                let mut reference = vec![f32::NAN; rows * n_in];
                let mut relaxed = vec![f32::NAN; rows * n_in];
                matmul_transposed_fused(&d, &w, n_in, n_out, &mut reference);
                matmul_transposed_with(KernelPath::Relaxed, &d, &w, n_in, n_out, &mut relaxed);
                assert_eq!(bits(&reference), bits(&relaxed), "{rows}x{n_out}x{n_in}");
                for r in 0..rows {
                    for i in 0..n_in {
                        let terms = (0..n_out)
                            .map(|j| f64::from(d[r * n_out + j]) * f64::from(w[i * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound(
                            "transposed_fused",
                            reference[r * n_in + i],
                            exact,
                            abs_sum,
                            n_out,
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn relaxed_grad_w_equals_the_fused_reference_and_is_accurate() {
    for (t, &n_in) in SIZES.iter().enumerate() {
        for &n_out in &SIZES {
            for rows in 0..=9 {
                let x = data(rows * n_in, 17 + t as u64);
                let d = data(rows * n_out, 500 + n_out as u64);
                let mut reference = vec![f32::NAN; n_in * n_out];
                let mut relaxed = vec![f32::NAN; n_in * n_out];
                matmul_grad_w_fused(&x, &d, n_in, n_out, &mut reference);
                matmul_grad_w_with(KernelPath::Relaxed, &x, &d, n_in, n_out, &mut relaxed);
                assert_eq!(bits(&reference), bits(&relaxed), "{rows}x{n_in}x{n_out}");
                for i in 0..n_in {
                    for j in 0..n_out {
                        let terms = (0..rows)
                            .map(|r| f64::from(x[r * n_in + i]) * f64::from(d[r * n_out + j]));
                        let exact: f64 = terms.clone().sum();
                        let abs_sum: f64 = terms.map(f64::abs).sum();
                        check_bound(
                            "grad_w_fused",
                            reference[i * n_out + j],
                            exact,
                            abs_sum,
                            rows,
                        );
                    }
                }
            }
        }
    }
}

/// Fusing changes results (the path is not the Simd path under another name): on random data
/// most outputs of a long sum differ from the unfused ones in the last bits.
#[test]
fn relaxed_results_differ_from_the_simd_path() {
    let (rows, n_in, n_out) = (8, 256, 64);
    let x = data(rows * n_in, 5);
    let w = data(n_in * n_out, 6);
    let mut simd = vec![0.0; rows * n_out];
    let mut relaxed = vec![0.0; rows * n_out];
    matmul_with(KernelPath::Simd, &x, &w, n_in, n_out, &mut simd);
    matmul_with(KernelPath::Relaxed, &x, &w, n_in, n_out, &mut relaxed);
    let differ = simd.iter().zip(&relaxed).filter(|(a, b)| a != b).count();
    assert!(
        differ > rows * n_out / 4,
        "only {differ} of {} differ",
        rows * n_out
    );
}

/// Non-finite inputs: the Relaxed path gives the fused reference's infinities and NaNs.
#[test]
fn relaxed_agrees_with_the_reference_on_non_finite_values() {
    let (rows, n_in, n_out) = (5, 13, 11);
    let mut x = data(rows * n_in, 3);
    x[4] = f32::INFINITY;
    x[20] = f32::NAN;
    let w = data(n_in * n_out, 4);
    let mut reference = vec![0.0; rows * n_out];
    let mut relaxed = vec![0.0; rows * n_out];
    matmul_fused(&x, &w, n_in, n_out, &mut reference);
    matmul_with(KernelPath::Relaxed, &x, &w, n_in, n_out, &mut relaxed);
    for (a, b) in reference.iter().zip(&relaxed) {
        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    }
}

/// The activations and the statistics have no multiply-add to fuse on this path: they are the
/// Simd path's, bit for bit.
#[test]
fn relaxed_activations_and_moments_are_the_simd_paths() {
    let xs: Vec<f32> = (-3000..=3000).map(|i| i as f32 * 0.01).collect();
    let (mut a, mut b) = (vec![0.0f32; xs.len()], vec![0.0f32; xs.len()]);
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        act.apply_slice_with(KernelPath::Simd, &xs, &mut a);
        act.apply_slice_with(KernelPath::Relaxed, &xs, &mut b);
        assert_eq!(bits(&a), bits(&b), "{kind:?}");
        act.derivative_slice_with(KernelPath::Simd, &xs, &mut a);
        act.derivative_slice_with(KernelPath::Relaxed, &xs, &mut b);
        assert_eq!(bits(&a), bits(&b), "{kind:?}'");
    }
    let values = data(1003, 9);
    assert_eq!(
        moments(KernelPath::Simd, &values),
        moments(KernelPath::Relaxed, &values)
    );
}

#[test]
fn the_relaxed_path_is_named_relaxed_and_is_not_the_default() {
    assert_eq!(KernelPath::from_name("relaxed"), Some(KernelPath::Relaxed));
    assert_eq!(KernelPath::Relaxed.name(), "relaxed");
    assert_eq!(KernelPath::default(), KernelPath::Simd);
}
