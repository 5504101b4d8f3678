//! Prints per-layer statistics and timing of one simulation:
//! `cargo run --release -p lab-core --example stats -- [activation] [init] [depth] [width] [batch] [seed]`
//! (defaults: selu lecun_normal 100 512 64 1). A figure printer, not a test.

use lab_core::{Activation, ActivationKind, Config, Initializer, Simulation};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let number = |i: usize, default: usize| arg(i, &default.to_string()).parse().unwrap_or(default);
    let kind = ActivationKind::from_name(&arg(0, "selu")).unwrap_or(ActivationKind::Selu);
    let init = Initializer::from_name(&arg(1, "lecun_normal")).unwrap_or(Initializer::LecunNormal);
    let config = Config {
        activation: Activation::new(kind),
        init,
        depth: number(2, 100),
        width: number(3, 512),
        batch: number(4, 64),
        seed: number(5, 1) as u64,
        ..Config::default()
    };
    let start = Instant::now();
    let sim = Simulation::run(config).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    println!("layer  pre_mean   pre_var    post_mean  post_var   grad_rms");
    for (i, s) in sim.stats().iter().enumerate() {
        println!(
            "{:5}  {:+.6}  {:.6e}  {:+.6}  {:.6e}  {:.6e}",
            i + 1,
            s.pre_mean,
            s.pre_var,
            s.post_mean,
            s.post_var,
            s.grad_rms
        );
    }
    let worst_mean = sim
        .stats()
        .iter()
        .map(|s| s.post_mean.abs())
        .fold(0.0, f64::max);
    let worst_var = sim
        .stats()
        .iter()
        .map(|s| (s.post_var - 1.0).abs())
        .fold(0.0, f64::max);
    println!("max |post_mean| {worst_mean:.4}, max |post_var - 1| {worst_var:.4}");
    println!(
        "forward {:?}, backward {:?}, skipped {:?}",
        sim.forward_signal(),
        sim.backward_signal(),
        sim.backward_skipped()
    );
    let flops = Simulation::estimated_flops(&config);
    println!(
        "{:.3} s, {:.2} Gflop estimated, {:.2} Gflop/s",
        seconds,
        flops / 1e9,
        flops / 1e9 / seconds
    );
}
