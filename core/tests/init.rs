//! PRNG test vectors and sample moments, initializer moments and orthogonality, and the matrix
//! kernels against naive f64 products. Statistical bounds are 5 standard errors computed from
//! the sample size, so a correct implementation fails with probability below about 1e-6 each.

use lab_core::init::{Initializer, WeightSampler};
use lab_core::kernels::{dot, matmul, matmul_transposed};
use lab_core::rng::{Rng, SplitMix64, Stream};

#[test]
fn xoshiro_and_splitmix_match_reference_vectors() {
    // Published test vectors (reference C code of prng.di.unimi.it, as used by rand_xoshiro).
    let mut rng = Rng::from_state([1, 2, 3, 4]);
    let expected = [
        41943041,
        58720359,
        3588806011781223,
        3591011842654386,
        9228616714210784205,
        9973669472204895162,
    ];
    for value in expected {
        assert_eq!(rng.next_u64(), value);
    }
    let mut sm = SplitMix64::new(1234567);
    for value in [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ] {
        assert_eq!(sm.next_u64(), value);
    }
}

#[test]
fn streams_are_distinct_and_reproducible() {
    let streams = [
        Stream::Input,
        Stream::BackwardSeed,
        Stream::Weights(1),
        Stream::Biases(1),
        Stream::Weights(2),
    ];
    let mut firsts = Vec::new();
    for seed in [0u64, 1, 2] {
        for stream in streams {
            let a: Vec<u64> = {
                let mut r = Rng::stream(seed, stream);
                (0..4).map(|_| r.next_u64()).collect()
            };
            let mut r = Rng::stream(seed, stream);
            assert!(a.iter().all(|&v| v == r.next_u64()));
            firsts.push(a[0]);
        }
    }
    let mut sorted = firsts.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        firsts.len(),
        "two streams start with the same output"
    );
    assert_eq!(Stream::Weights(3).id(), 6);
    assert_eq!(Stream::Biases(3).id(), 7);
}

/// Sample mean, variance (population), and fourth central moment.
fn moments(values: &[f64]) -> (f64, f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = values.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, var, m4)
}

#[test]
fn uniforms_and_normals_have_the_right_moments() {
    let n = 200_000;
    let mut rng = Rng::stream(42, Stream::Input);
    let u: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    let (mean, var, _) = moments(&u);
    // U(0,1): mean 1/2 (sd 1/sqrt(12 n)), variance 1/12 (sd sqrt((1/80 - 1/144) / n)).
    assert!((mean - 0.5).abs() < 5.0 * (1.0 / (12.0 * n as f64)).sqrt());
    assert!((var - 1.0 / 12.0).abs() < 5.0 * ((1.0 / 80.0 - 1.0 / 144.0) / n as f64).sqrt());
    let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let (mean, var, m4) = moments(&z);
    // N(0,1): sd of the mean 1/sqrt(n), of the variance sqrt(2/n), of the 4th moment sqrt(96/n).
    let nf = n as f64;
    assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "var {var}");
    assert!((m4 - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(), "m4 {m4}");
    // Consecutive values are uncorrelated: sd of the mean product 1/sqrt(n/2).
    let cross = z.chunks_exact(2).map(|p| p[0] * p[1]).sum::<f64>() / (nf / 2.0);
    assert!(
        cross.abs() < 5.0 / (nf / 2.0).sqrt(),
        "pair correlation {cross}"
    );
}

/// The standard normal CDF on a grid of step 1/1000 over [-9, 9], by the composite Simpson rule
/// over each step (4 subintervals; the error per step is far below 1e-12), accumulated from -9
/// where the mass below is 1.1e-19.
fn normal_cdf_grid() -> Vec<f64> {
    let pdf = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let h = 1e-3;
    let mut cdf = vec![0.0];
    let mut acc = 0.0;
    for k in 0..18_000 {
        let a = -9.0 + k as f64 * h;
        let q = h / 4.0;
        acc += q / 3.0
            * (pdf(a)
                + 4.0 * pdf(a + q)
                + 2.0 * pdf(a + 2.0 * q)
                + 4.0 * pdf(a + 3.0 * q)
                + pdf(a + h));
        cdf.push(acc);
    }
    cdf
}

/// Phi(x) by linear interpolation on the grid (interpolation error below h^2 max|phi'| / 8 = 3e-8).
fn normal_cdf(grid: &[f64], x: f64) -> f64 {
    let t = ((x + 9.0) * 1000.0).clamp(0.0, 17_999.999_999);
    let k = t.floor() as usize;
    grid[k] + (t - k as f64) * (grid[k + 1] - grid[k])
}

/// The ziggurat's normals against the normal distribution: the Kolmogorov-Smirnov distance of
/// 200,000 values from each of three streams, and the frequencies beyond 2, 3, 3.6541 (where the
/// ziggurat's tail algorithm takes over) and 4 of 2,000,000 values against the published normal
/// tail probabilities, each within 5 binomial standard errors.
#[test]
fn normals_follow_the_normal_distribution() {
    let grid = normal_cdf_grid();
    assert!((normal_cdf(&grid, 0.0) - 0.5).abs() < 1e-9);
    // Phi(1.959963984540054) = 0.975 (the two-sided 5% point).
    assert!((normal_cdf(&grid, 1.959_963_984_540_054) - 0.975).abs() < 1e-7);
    let n = 200_000;
    for (seed, stream) in [
        (1, Stream::Input),
        (2, Stream::Weights(7)),
        (3, Stream::Biases(2)),
    ] {
        let mut rng = Rng::stream(seed, stream);
        let mut z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        z.sort_by(f64::total_cmp);
        let d = z
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = normal_cdf(&grid, x);
                (f - i as f64 / n as f64)
                    .abs()
                    .max(((i + 1) as f64 / n as f64 - f).abs())
            })
            .fold(0.0, f64::max);
        // The KS critical value at level 1e-4 is sqrt(-ln(1e-4 / 2) / 2) / sqrt(n) = 2.30 / sqrt(n).
        assert!(d < 2.30 / (n as f64).sqrt(), "seed {seed}: KS distance {d}");
    }
    let n = 2_000_000;
    let mut rng = Rng::stream(4, Stream::Weights(1));
    let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    // 2 (1 - Phi(t)) = erfc(t / sqrt 2): published values for t = 2, 3, 4, and for t = R the
    // grid's own tail.
    let r = 3.654_152_885_361_009;
    for (t, p) in [
        (2.0, 0.045_500_263_896_358_4),
        (3.0, 0.002_699_796_063_260_2),
        (r, 2.0 * (1.0 - normal_cdf(&grid, r))),
        (4.0, 6.334_248_366_623_99e-5),
    ] {
        let count = z.iter().filter(|v| v.abs() > t).count() as f64;
        let expected = p * n as f64;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (count - expected).abs() < 5.0 * sd,
            "|z| > {t}: {count} vs {expected} +- {sd}"
        );
    }
    // Both signs equally often beyond R (the tail algorithm keeps the sign).
    let (pos, neg) = (
        z.iter().filter(|&&v| v > r).count() as f64,
        z.iter().filter(|&&v| v < -r).count() as f64,
    );
    assert!(
        (pos - neg).abs() < 5.0 * (pos + neg).sqrt(),
        "{pos} vs {neg}"
    );
}

/// The Box-Muller sampler kept for the benchmark: moments within 5 standard errors.
#[test]
fn box_muller_normals_have_the_right_moments() {
    let n = 200_000;
    let mut rng = Rng::stream(5, Stream::Input);
    let z: Vec<f64> = (0..n).map(|_| rng.normal_box_muller()).collect();
    let (mean, var, m4) = moments(&z);
    let nf = n as f64;
    assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "var {var}");
    assert!((m4 - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(), "m4 {m4}");
}

#[test]
fn names_round_trip_and_variances_follow_the_formulas() {
    for init in Initializer::ALL {
        assert_eq!(Initializer::from_name(init.name()), Some(init));
        assert!(!init.label().is_empty());
    }
    assert_eq!(Initializer::from_name("glorot"), None);
    let (fi, fo) = (300, 100);
    assert_eq!(
        Initializer::LecunNormal.weight_variance(fi, fo),
        1.0 / 300.0
    );
    assert_eq!(
        Initializer::LecunUniform.weight_variance(fi, fo),
        1.0 / 300.0
    );
    assert_eq!(Initializer::HeNormal.weight_variance(fi, fo), 2.0 / 300.0);
    assert_eq!(Initializer::HeUniform.weight_variance(fi, fo), 2.0 / 300.0);
    assert_eq!(
        Initializer::XavierNormal.weight_variance(fi, fo),
        2.0 / 400.0
    );
    assert_eq!(
        Initializer::XavierUniform.weight_variance(fi, fo),
        2.0 / 400.0
    );
    assert_eq!(Initializer::Orthogonal.weight_variance(64, 64), 1.0 / 64.0);
    assert_eq!(Initializer::Normal.weight_variance(fi, fo), 1.0);
}

#[test]
fn direct_initializers_have_the_right_moments() {
    let (fan_in, fan_out, gain) = (512, 256, 1.7);
    for (index, init) in Initializer::ALL
        .into_iter()
        .filter(|&i| i != Initializer::Orthogonal)
        .enumerate()
    {
        let w = init.sample(
            fan_in,
            fan_out,
            gain,
            Rng::stream(7, Stream::Weights(index + 1)),
        );
        let values: Vec<f64> = w.iter().map(|&v| f64::from(v)).collect();
        let n = values.len() as f64;
        let var = init.weight_variance(fan_in, fan_out) * gain * gain;
        let (mean, sample_var, m4) = moments(&values);
        assert!(
            mean.abs() < 5.0 * (var / n).sqrt(),
            "{}: mean {mean}",
            init.name()
        );
        if init.is_uniform() {
            // U(-a, a): variance a^2/3 = var; 4th moment 9 var^2 / 5, so sd of the variance sqrt(0.8/n) var.
            assert!(
                (sample_var - var).abs() < 5.0 * var * (0.8 / n).sqrt(),
                "{}: var {sample_var} vs {var}",
                init.name()
            );
            let bound = (3.0 * var).sqrt();
            let max = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(
                max <= bound * (1.0 + 1e-7),
                "{}: |w| {max} above {bound}",
                init.name()
            );
            // P(max |w| < a (1 - 20/n)) = (1 - 20/n)^n ~ e^-20.
            assert!(
                max > bound * (1.0 - 20.0 / n),
                "{}: max {max} far below {bound}",
                init.name()
            );
        } else {
            assert!(
                (sample_var - var).abs() < 5.0 * var * (2.0 / n).sqrt(),
                "{}: var {sample_var} vs {var}",
                init.name()
            );
            assert!(
                (m4 - 3.0 * var * var).abs() < 5.0 * var * var * (96.0 / n).sqrt(),
                "{}: not normal",
                init.name()
            );
        }
    }
}

/// Max |(W^T W)_ij / gain^2 - delta_ij| (columns) or of W W^T (rows), computed in f64.
fn orthogonality_error(w: &[f32], fan_in: usize, fan_out: usize, gain: f64, columns: bool) -> f64 {
    let (outer, inner) = if columns {
        (fan_out, fan_in)
    } else {
        (fan_in, fan_out)
    };
    let at = |a: usize, k: usize| {
        let (i, j) = if columns { (k, a) } else { (a, k) };
        f64::from(w[i * fan_out + j]) / gain
    };
    let mut worst = 0.0f64;
    for a in 0..outer {
        for b in 0..outer {
            let dot: f64 = (0..inner).map(|k| at(a, k) * at(b, k)).sum();
            worst = worst.max((dot - if a == b { 1.0 } else { 0.0 }).abs());
        }
    }
    worst
}

#[test]
fn orthogonal_weights_are_orthogonal() {
    for (n, gain) in [(64usize, 1.0), (200, 2.5), (2, 1.0), (1, 1.0)] {
        let w = Initializer::Orthogonal.sample(n, n, gain, Rng::stream(3, Stream::Weights(1)));
        assert!(
            orthogonality_error(&w, n, n, gain, true) < 1e-5,
            "n = {n}: Q^T Q != I"
        );
        assert!(
            orthogonality_error(&w, n, n, gain, false) < 1e-5,
            "n = {n}: Q Q^T != I"
        );
    }
    // Rectangular: orthonormal columns when fan_in > fan_out, orthonormal rows otherwise.
    let w = Initializer::Orthogonal.sample(90, 30, 1.0, Rng::stream(4, Stream::Weights(1)));
    assert!(orthogonality_error(&w, 90, 30, 1.0, true) < 1e-5);
    let w = Initializer::Orthogonal.sample(30, 90, 1.0, Rng::stream(4, Stream::Weights(1)));
    assert!(orthogonality_error(&w, 30, 90, 1.0, false) < 1e-5);
}

#[test]
fn orthogonal_weights_are_haar_distributed() {
    // Under the Haar measure every entry has mean 0 and variance 1/n. Without the sign fix,
    // Householder QR gives diagonal entries of one sign (mean about -0.3 for n = 8).
    let (n, trials) = (8usize, 400usize);
    let (mut diag, mut all) = (Vec::new(), Vec::new());
    for seed in 0..trials {
        let w =
            Initializer::Orthogonal.sample(n, n, 1.0, Rng::stream(seed as u64, Stream::Weights(1)));
        diag.push(f64::from(w[0]));
        all.extend(w.iter().map(|&v| f64::from(v)));
    }
    let (mean, var, _) = moments(&diag);
    assert!(
        mean.abs() < 5.0 * (1.0 / (n * trials) as f64).sqrt(),
        "mean of W[0][0] {mean}"
    );
    assert!(
        (var - 1.0 / n as f64).abs() < 0.25 / n as f64,
        "var of W[0][0] {var}"
    );
    let (mean, _, _) = moments(&all);
    assert!(
        mean.abs() < 5.0 * (1.0 / (n * trials) as f64).sqrt(),
        "mean {mean}"
    );
    // Rows have unit norm, so the entries' mean square is exactly 1/n (up to f32 rounding).
    let mean_square = all.iter().map(|v| v * v).sum::<f64>() / all.len() as f64;
    assert!(
        (mean_square - 1.0 / n as f64).abs() < 1e-6,
        "mean square {mean_square}"
    );
}

#[test]
fn sampler_work_units_are_bounded_and_sum_to_the_estimate() {
    for init in [
        Initializer::Orthogonal,
        Initializer::HeUniform,
        Initializer::LecunNormal,
    ] {
        let n = 1024;
        let mut out = vec![0.0; n * n];
        let mut sampler = WeightSampler::new(init, n, n, 1.0, Rng::stream(1, Stream::Weights(1)));
        let (mut total, mut largest) = (0.0, 0.0f64);
        let mut units = 0;
        while !sampler.is_done() {
            let flops = sampler.step(&mut out);
            total += flops;
            largest = largest.max(flops);
            units += 1;
            if init == Initializer::Orthogonal && units > 20 {
                break; // the first reflectors are the largest units; no need to finish 1024^3 work here
            }
        }
        assert!(largest <= 4.3e6, "{}: unit of {largest} flops", init.name());
        if sampler.is_done() {
            let estimate = WeightSampler::estimated_flops(init, n, n);
            assert!(
                (total - estimate).abs() <= 1e-9 * estimate,
                "{}",
                init.name()
            );
        }
    }
    let estimate = WeightSampler::estimated_flops(Initializer::Orthogonal, 50, 50);
    let mut out = vec![0.0; 2500];
    let mut sampler = WeightSampler::new(
        Initializer::Orthogonal,
        50,
        50,
        1.0,
        Rng::stream(1, Stream::Weights(1)),
    );
    let mut total = 0.0;
    while !sampler.is_done() {
        total += sampler.step(&mut out);
    }
    assert!((total - estimate).abs() <= 1e-9 * estimate);
}

fn naive_product(x: &[f32], w: &[f32], rows: usize, n_in: usize, n_out: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * n_out];
    for r in 0..rows {
        for j in 0..n_out {
            out[r * n_out + j] = (0..n_in)
                .map(|k| f64::from(x[r * n_in + k]) * f64::from(w[k * n_out + j]))
                .sum();
        }
    }
    out
}

#[test]
fn kernels_match_naive_products_and_do_not_depend_on_row_blocks() {
    let (rows, n_in, n_out) = (7, 37, 19);
    let mut rng = Rng::stream(9, Stream::Input);
    let mut x = vec![0.0f32; rows * n_in];
    let mut w = vec![0.0f32; n_in * n_out];
    let mut d = vec![0.0f32; rows * n_out];
    rng.fill_normal_f32(&mut x, 0.0, 1.0);
    rng.fill_normal_f32(&mut w, 0.0, 1.0);
    rng.fill_normal_f32(&mut d, 0.0, 1.0);
    // f32 accumulation of n terms: error below n * eps * sum |x_k w_kj|.
    let bound = |terms: f64| terms * 6e-8 * 4.0 * 10.0;
    let mut h = vec![0.0f32; rows * n_out];
    matmul(&x, &w, n_in, n_out, &mut h);
    let reference = naive_product(&x, &w, rows, n_in, n_out);
    for (a, b) in h.iter().zip(&reference) {
        assert!((f64::from(*a) - b).abs() < bound(n_in as f64), "{a} vs {b}");
    }
    // d W^T: transpose W explicitly and use the naive product.
    let mut wt = vec![0.0f32; n_out * n_in];
    for i in 0..n_in {
        for j in 0..n_out {
            wt[j * n_in + i] = w[i * n_out + j];
        }
    }
    let mut g = vec![0.0f32; rows * n_in];
    matmul_transposed(&d, &w, n_in, n_out, &mut g);
    let reference = naive_product(&d, &wt, rows, n_out, n_in);
    for (a, b) in g.iter().zip(&reference) {
        assert!(
            (f64::from(*a) - b).abs() < bound(n_out as f64),
            "{a} vs {b}"
        );
    }
    // Row by row gives bit-identical results.
    for r in 0..rows {
        let mut h_row = vec![0.0f32; n_out];
        matmul(&x[r * n_in..(r + 1) * n_in], &w, n_in, n_out, &mut h_row);
        assert_eq!(h_row, h[r * n_out..(r + 1) * n_out]);
        let mut g_row = vec![0.0f32; n_in];
        matmul_transposed(&d[r * n_out..(r + 1) * n_out], &w, n_in, n_out, &mut g_row);
        assert_eq!(g_row, g[r * n_in..(r + 1) * n_in]);
    }
    assert_eq!(dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
}
