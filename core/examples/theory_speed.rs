//! Times the mean-field theory (`lab_core::theory`) at the sizes the app uses:
//! `cargo run --release -p lab-core --example theory_speed`. A figure printer, not a test.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::theory::{
    fixed_points_of_map, mean_field, phase_grid, predict_correlation, predict_layers,
};
use std::hint::black_box;
use std::time::Instant;

/// Milliseconds of the best of three runs of `f`.
fn millis<T>(mut f: impl FnMut() -> T) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    println!(
        "{:<12} {:>14} {:>11} {:>16} {:>17} {:>15}",
        "activation",
        "grid 40x30 ms",
        "mean_field",
        "corr depth 50",
        "layers depth 1000",
        "map fixed pts"
    );
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        let grid = millis(|| phase_grid(&act, 0.5..=4.0, 0.0..=0.5, 40, 30));
        let field = millis(|| mean_field(&act, 1.5, 0.1));
        let corr = millis(|| predict_correlation(&act, 1.5, 0.1, 1.0, 0.5, 50));
        let layers = millis(|| predict_layers(&act, 1.0, 0.0, 0.0, 1.0, 1000));
        let fixed = millis(|| fixed_points_of_map(&act, 0.0, 1.0));
        println!(
            "{:<12} {grid:>14.1} {field:>11.2} {corr:>16.1} {layers:>17.1} {fixed:>15.1}",
            kind.name()
        );
    }
}
