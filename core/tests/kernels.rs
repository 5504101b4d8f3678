//! The kernel paths: Simd against Scalar bit for bit, both against f64 references; the
//! vectorized activations against the f64 definitions; the fused statistics against the two-pass
//! mean and variance; the MLP's gradients against finite differences.

use lab_core::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
use lab_core::rng::Rng;

/// Entries of mixed magnitude and sign, some exactly zero, some negative zero.
fn data(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::from_seed_and_id(seed, 99);
    (0..len)
        .map(|i| match i % 11 {
            3 => 0.0,
            7 => -0.0,
            _ => (rng.normal() * 10f64.powf(rng.uniform() * 4.0 - 2.0)) as f32,
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
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
