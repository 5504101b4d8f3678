//! Times Simulation::run for the benchmark's shapes natively (profiling aid).
use lab_core::{Config, Simulation};
use std::time::Instant;
fn main() {
    for (depth, width, batch) in [(10, 256, 64), (50, 128, 128), (1000, 16, 256)] {
        let config = Config {
            depth,
            width,
            batch,
            ..Config::default()
        };
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = Instant::now();
            let sim = Simulation::run(config);
            std::hint::black_box(sim.stats().len());
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
        }
        println!("{depth}x{width}x{batch}: {best:.1} ms");
    }
}
