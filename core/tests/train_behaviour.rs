//! Behaviour of whole training runs on the digits, with bounds that hold over several seeds
//! (the per-seed figures are printed: `cargo test -p lab-core --test train_behaviour -- --nocapture`).
//!
//! Common settings: width 64, minibatch 64, plain SGD (momentum 0) with learning rate 0.05,
//! 600 steps (about 27 epochs of the 1437 training digits), LeCun normal, no biases, no
//! normalization, no dropout, evaluation every 100 steps.
//! - SELU at depth 16 reaches at least 90% test accuracy at step 600 for seeds 1..=3.
//! - ReLU at depth 32 does not learn: the signal shrinks by about 2 per layer (2^-16 after 32
//!   layers), the logits stay near 0 and the loss near ln 10 (within 0.05, train and test, at
//!   every evaluation), the accuracy near chance.

use lab_core::train::trainer::{loss_csv, train_stats_csv, weights_csv};
use lab_core::train::{Dataset, History, OptimizerKind, Settings, Shape2d, Task, Trainer};
use lab_core::{Activation, ActivationKind, Initializer, Normalization};

const DIGITS: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../static/digits.bin"));

fn settings(act: ActivationKind, depth: usize, seed: u64) -> Settings {
    Settings {
        task: Task::Digits,
        depth,
        width: 64,
        activation: Activation::new(act),
        init: Initializer::LecunNormal,
        norm: Normalization::None,
        optimizer: OptimizerKind::Sgd,
        lr: 0.05,
        momentum: 0.0,
        tbatch: 64,
        steps: 600,
        eval_every: 100,
        seed,
        ..Settings::default()
    }
}

fn run(s: Settings) -> History {
    let data = Dataset::from_digits_bin(DIGITS).unwrap();
    let mut t = Trainer::new(s, &data).unwrap();
    t.step_n(usize::MAX);
    t.history
}

#[test]
fn selu_depth_16_learns_the_digits() {
    for seed in 1..=3 {
        let h = run(settings(ActivationKind::Selu, 16, seed));
        assert_eq!(h.diverged_at, None);
        let last = h.evals.last().unwrap();
        assert_eq!(last.step, 600);
        println!(
            "SELU depth 16, seed {seed}: test acc {:.4}, test loss {:.4}, train loss {:.4} at step 600 (step 100: test acc {:.4})",
            last.test_acc, last.test_loss, last.train_loss, h.evals[1].test_acc
        );
        assert!(last.test_acc >= 0.90, "seed {seed}: {}", last.test_acc);
    }
}

#[test]
fn relu_depth_32_stays_at_ln_10() {
    let ln10 = 10f64.ln();
    for seed in 1..=3 {
        let h = run(settings(ActivationKind::Relu, 32, seed));
        let worst = h
            .evals
            .iter()
            .map(|e| (e.train_loss - ln10).abs().max((e.test_loss - ln10).abs()))
            .fold(0.0, f64::max);
        let last = h.evals.last().unwrap();
        println!(
            "ReLU depth 32, seed {seed}: max |loss - ln 10| over evaluations {worst:.5}, test acc {:.4} at step 600",
            last.test_acc
        );
        assert!(worst <= 0.05, "seed {seed}: {worst}");
    }
}

#[test]
fn same_seed_same_history_bit_for_bit() {
    let mut s = settings(ActivationKind::Selu, 4, 9);
    s.steps = 120;
    s.eval_every = 25;
    s.norm = Normalization::Batch;
    s.dropout = lab_core::train::DropoutKind::Alpha;
    s.dropout_rate = 0.1;
    s.optimizer = OptimizerKind::Adam;
    s.lr = 1e-3;
    let a = run(s.clone());
    let b = run(s.clone());
    assert_eq!(a, b);
    let bits = |h: &History| -> Vec<u64> { h.batch_loss.iter().map(|v| v.to_bits()).collect() };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(loss_csv(&[("a", &a)]), loss_csv(&[("a", &b)]));
    // Sliced work gives the same history as one call.
    let data = Dataset::from_digits_bin(DIGITS).unwrap();
    let mut t = Trainer::new(s.clone(), &data).unwrap();
    let mut slices = 0;
    while !t.run_for(2e6) {
        slices += 1;
    }
    assert!(slices > 5);
    assert_eq!(t.history, a);
    // How often one evaluates (and so probes) does not change the training run.
    let mut often = s.clone();
    often.eval_every = 7;
    let c = run(often);
    assert_eq!(c.batch_loss, a.batch_loss);
    assert_eq!(c.evals.last(), a.evals.last());
    // Another seed gives another history.
    s.seed = 10;
    assert_ne!(run(s).batch_loss, a.batch_loss);
    // The evaluations: step 0, every 25th step and the last (120).
    let steps: Vec<usize> = a.evals.iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![0, 25, 50, 75, 100, 120]);
    assert_eq!(a.batch_loss.len(), 120);
    assert_eq!(a.evals[0].layers.len(), 4);
}

#[test]
fn csv_shapes() {
    let mut s = settings(ActivationKind::Selu, 3, 2);
    s.steps = 10;
    s.eval_every = 4;
    let h = run(s);
    let loss = loss_csv(&[("r1", &h), ("r,2", &h)]);
    let lines: Vec<&str> = loss.lines().collect();
    assert_eq!(
        lines[0],
        "run,step,batch_loss,train_loss,train_acc,test_loss,test_acc"
    );
    assert_eq!(lines.len(), 1 + 2 * 11);
    assert!(lines[1].starts_with("r1,0,,"), "{}", lines[1]);
    assert_eq!(lines[1].split(',').count(), 7);
    assert!(lines[2].starts_with("r1,1,") && lines[2].ends_with(",,,,"));
    assert!(
        !lines[5].ends_with(",,,,"),
        "step 4 has an evaluation: {}",
        lines[5]
    );
    assert!(lines[12].starts_with("\"r,2\",0,"));
    let stats = train_stats_csv(&[("r1", &h)]);
    // Evaluations at 0, 4, 8, 10, three hidden layers each.
    assert_eq!(stats.lines().count(), 1 + 4 * 3);
    assert!(stats.starts_with("run,step,layer,post_mean,post_var,grad_rms,omega,tau\nr1,0,1,"));
    let w = weights_csv(&[("r1", &h)]);
    assert!(w.starts_with("run,step,layer,omega_mean,omega_std,tau_mean,tau_std,inside_box\n"));
    assert_eq!(w.lines().count(), 13);
    // At step 0 with LeCun normal, tau (sum of squares of a unit's 64 incoming weights) is near 1.
    let p = &h.evals[0].layers[1];
    assert!((p.tau_mean - 1.0).abs() < 0.1, "{}", p.tau_mean);
    assert!((0.0..=1.0).contains(&p.inside_box));
}

#[test]
fn two_d_task_has_a_decision_map() {
    let task = Task::TwoD {
        shape: Shape2d::Gauss,
        noise: 0.1,
        data_seed: 3,
    };
    let data = task.dataset(None).unwrap();
    let s = Settings {
        task,
        depth: 2,
        width: 16,
        steps: 200,
        eval_every: 100,
        lr: 0.05,
        momentum: 0.0,
        ..Settings::default()
    };
    let mut t = Trainer::new(s, &data).unwrap();
    t.step_n(usize::MAX);
    let map = t.history.decision.as_ref().unwrap();
    assert_eq!(map.step, 200);
    assert_eq!(map.p1.len(), 64 * 64);
    assert!(map.p1.iter().all(|p| (0.0..=1.0).contains(p)));
    // The blobs sit at (2, 2) (class 1) and (-2, -2) (class 0).
    let at = |x: f64, y: f64| {
        let i1 = map.x1.iter().position(|&v| v >= x).unwrap();
        let i2 = map.x2.iter().position(|&v| v >= y).unwrap();
        map.p1[i2 * 64 + i1]
    };
    assert!(at(2.0, 2.0) > 0.9 && at(-2.0, -2.0) < 0.1);
    let last = t.history.evals.last().unwrap();
    println!("gauss: test acc {:.3}", last.test_acc);
    assert!(last.test_acc > 0.9);
    let csv = lab_core::train::trainer::decision_csv(map);
    assert_eq!(csv.lines().count(), 1 + 4096);
}

#[test]
fn divergence_stops_training() {
    // Standard-normal weights (variance 1 instead of 1/64) with a huge learning rate blow up.
    let mut s = settings(ActivationKind::Relu, 8, 1);
    s.init = Initializer::Normal;
    s.gain = 10.0;
    s.lr = 1.0;
    s.steps = 50;
    let h = run(s);
    let at = h.diverged_at.expect("diverges");
    assert_eq!(h.last_step(), at);
    assert!(
        !h.batch_loss.last().unwrap().is_finite()
            || !h.evals.last().unwrap().train_loss.is_finite()
    );
    println!("diverged at step {at}");
}

#[test]
fn settings_are_validated() {
    let ok = Settings::default();
    assert!(ok.clone().validated().is_ok());
    let bad = [
        Settings {
            depth: 0,
            ..ok.clone()
        },
        Settings {
            width: 2000,
            ..ok.clone()
        },
        Settings {
            lr: 2.0,
            ..ok.clone()
        },
        Settings {
            lr: f64::NAN,
            ..ok.clone()
        },
        Settings {
            momentum: 0.995,
            ..ok.clone()
        },
        Settings {
            dropout_rate: 0.6,
            ..ok.clone()
        },
        Settings {
            tbatch: 0,
            ..ok.clone()
        },
        Settings {
            tbatch: 1025,
            ..ok.clone()
        },
        Settings {
            steps: 100_001,
            ..ok.clone()
        },
        Settings {
            eval_every: 0,
            ..ok.clone()
        },
        Settings {
            tbatch: 1,
            norm: Normalization::Batch,
            ..ok.clone()
        },
        Settings {
            task: Task::TwoD {
                shape: Shape2d::Xor,
                noise: 0.7,
                data_seed: 1,
            },
            ..ok.clone()
        },
    ];
    for s in bad {
        let e = s.clone().validated().unwrap_err();
        assert!(!e.is_empty());
    }
    assert!(Settings::default().dropout_rate == 0.05 && Settings::default().tbatch == 64);
    assert!(Settings::default().steps == 2000 && Settings::default().eval_every == 50);
}

/// The same ReLU + LeCun network of depth 32 that cannot learn as a plain stack learns as
/// residual blocks with LayerNorm on the stream and s = 1/sqrt(32): the skip connections carry
/// the signal and the gradient past every block. Over seeds 1..=3 it reaches at least 90% test
/// accuracy at step 600 (measured 95.8-97.5%; the figures are printed).
#[test]
fn relu_depth_32_learns_with_residual_blocks() {
    for seed in 1..=3 {
        let h = run(Settings {
            arch: lab_core::Arch::Residual,
            res_scale: 1.0 / 32f64.sqrt(),
            norm: Normalization::Layer,
            ..settings(ActivationKind::Relu, 32, seed)
        });
        assert_eq!(h.diverged_at, None);
        let last = h.evals.last().unwrap();
        println!(
            "residual ReLU depth 32, seed {seed}: test acc {:.4}, test loss {:.4} at step 600 (step 100: test acc {:.4})",
            last.test_acc, last.test_loss, h.evals[1].test_acc
        );
        assert!(last.test_acc >= 0.90, "seed {seed}: {}", last.test_acc);
    }
}
