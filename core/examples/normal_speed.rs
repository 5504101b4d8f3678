//! Normals per second of the core's samplers, natively (a profiling aid for `Rng::normal`):
//! `cargo run --release -p lab-core --example normal_speed`. `make bench` has the wasm figure.
use lab_core::rng::{Rng, Stream};
use std::hint::black_box;
use std::time::Instant;

fn rate(mut next: impl FnMut() -> f64) -> f64 {
    let n = 4_000_000;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let mut s = 0.0;
        for _ in 0..n {
            s += next();
        }
        black_box(s);
        best = best.min(t.elapsed().as_secs_f64());
    }
    n as f64 / best
}

fn main() {
    let mut rng = Rng::stream(1, Stream::Weights(1));
    let zig = rate(|| rng.normal());
    let bm = rate(|| rng.normal_box_muller());
    let mut out = vec![0.0f32; 1 << 20];
    let t = Instant::now();
    for _ in 0..8 {
        rng.fill_normal_f32(black_box(&mut out), 0.0, 1.0);
    }
    let fill = 8.0 * out.len() as f64 / t.elapsed().as_secs_f64();
    println!("Rng::normal (ziggurat)          {:8.1} M/s", zig / 1e6);
    println!("Rng::normal_box_muller          {:8.1} M/s", bm / 1e6);
    println!("Rng::fill_normal_f32 (ziggurat) {:8.1} M/s", fill / 1e6);
    println!("ziggurat / Box-Muller           {:8.2}x", zig / bm);
}
