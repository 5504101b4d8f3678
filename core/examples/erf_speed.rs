//! Times `erf`, `erfc` and `phi_cdf` against `f64::exp` on the same inputs:
//! `cargo run --release -p lab-core --example erf_speed`. With `values`, prints
//! `x erf(x) erfc(x)` as bit patterns on a grid instead (for comparing with
//! `core/tools/gen_erf.py`'s double-precision model). A figure printer, not a test.

use lab_core::special::{erf, erfc, phi_cdf};
use std::hint::black_box;
use std::time::Instant;

/// Nanoseconds per call of `f` over `xs`, best of a few rounds.
fn time(xs: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let start = Instant::now();
        let mut sum = 0.0;
        for &x in xs {
            sum += f(black_box(x));
        }
        black_box(sum);
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / xs.len() as f64);
    }
    best
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("values") {
        for i in -3000..=3000 {
            let x = i as f64 / 100.0 + 0.003;
            println!(
                "{:016x} {:016x} {:016x}",
                x.to_bits(),
                erf(x).to_bits(),
                erfc(x).to_bits()
            );
        }
        return;
    }
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let ranges = [
        (-0.9, 0.9),
        (1.0, 4.0),
        (4.0, 6.0),
        (-6.0, 6.0),
        (-27.0, 27.0),
    ];
    println!("range           exp ns  erf ns (x exp)  erfc ns (x exp)  phi_cdf ns (x exp)");
    for (a, b) in ranges {
        let xs: Vec<f64> = (0..1 << 20).map(|_| a + (b - a) * uniform()).collect();
        let t_exp = time(&xs, |x| (-x * x).exp());
        let t_erf = time(&xs, erf);
        let t_erfc = time(&xs, erfc);
        let t_phi = time(&xs, phi_cdf);
        println!(
            "[{a:5.1}, {b:5.1}]  {t_exp:6.2}  {t_erf:6.2} ({:4.2})  {t_erfc:7.2} ({:4.2})  {t_phi:7.2} ({:4.2})",
            t_erf / t_exp,
            t_erfc / t_exp,
            t_phi / t_exp
        );
    }
}
