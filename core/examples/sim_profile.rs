//! Times Simulation::run natively for the benchmark's shapes (a profiling aid:
//! `cargo run --release -p lab-core --example sim_profile [depth width batch]`).
use lab_core::{Config, Simulation};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let shapes = match args[..] {
        [depth, width, batch] => vec![(depth, width, batch)],
        _ => vec![(10, 256, 64), (50, 128, 128), (1000, 16, 256)],
    };
    for (depth, width, batch) in shapes {
        let config = Config {
            depth,
            width,
            batch,
            ..Config::default()
        };
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            let sim = Simulation::run(config).unwrap();
            std::hint::black_box(sim.stats().len());
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!("depth {depth} x width {width} x batch {batch}: best of 5 {best:.1} ms");
    }
}
