//! Native training speed of the Train lab's engine: 64 -> 8 x 256 -> 10 (the digits' 64 inputs,
//! 8 hidden layers of 256 SELU units, 10 classes) at minibatch 128, plain SGD.
//!
//! `cargo run --release -p lab-core --example train_speed` prints steps per second (updates
//! only: forward, backward and the optimizer step, without evaluations) for each normalization
//! and dropout, and the time of one evaluation (whole training and test sets, probe batch).
//! SGD has momentum 0.9 and learning rate 0.01. Adam runs at 0.001 and at 0.01; at 0.01 many
//! SELU units saturate (pre-activations below -80) and the steps get slower.

use lab_core::train::{Dataset, DropoutKind, OptimizerKind, Settings, Trainer};
use lab_core::{Activation, ActivationKind, Normalization};
use std::time::Instant;

const DIGITS: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/digits.bin"));

fn main() {
    let data = Dataset::from_digits_bin(DIGITS).expect("digits.bin");
    let steps = 300;
    println!("64 -> 8 x 256 -> 10, minibatch 128, {steps} timed steps each");
    for (norm, dropout, optimizer, lr) in [
        (
            Normalization::None,
            DropoutKind::None,
            OptimizerKind::Sgd,
            0.01,
        ),
        (
            Normalization::None,
            DropoutKind::None,
            OptimizerKind::Adam,
            0.001,
        ),
        (
            Normalization::None,
            DropoutKind::None,
            OptimizerKind::Adam,
            0.01,
        ),
        (
            Normalization::Batch,
            DropoutKind::None,
            OptimizerKind::Sgd,
            0.01,
        ),
        (
            Normalization::Layer,
            DropoutKind::None,
            OptimizerKind::Sgd,
            0.01,
        ),
        (
            Normalization::None,
            DropoutKind::Alpha,
            OptimizerKind::Sgd,
            0.01,
        ),
    ] {
        let settings = Settings {
            depth: 8,
            width: 256,
            activation: Activation::new(ActivationKind::Selu),
            norm,
            dropout,
            dropout_rate: 0.05,
            optimizer,
            lr,
            momentum: 0.9,
            tbatch: 128,
            steps: 100_000,
            eval_every: 100_000,
            ..Settings::default()
        };
        let mut t = Trainer::new(settings, &data).expect("valid settings");
        let start = Instant::now();
        t.step_n(0); // the step-0 evaluation only
        let eval = start.elapsed().as_secs_f64();
        t.step_n(20); // warm-up
        let start = Instant::now();
        t.step_n(steps);
        let secs = start.elapsed().as_secs_f64();
        let gflops = t.step_flops() * steps as f64 / secs / 1e9;
        println!(
            "norm {:5} dropout {:5} {:4} lr {lr:5}: {:7.1} steps/s ({:.2} ms/step, ~{gflops:.1} GFLOP/s); one evaluation {:.1} ms",
            norm.name(),
            dropout.name(),
            optimizer.name(),
            steps as f64 / secs,
            1e3 * secs / steps as f64,
            1e3 * eval
        );
    }
}
