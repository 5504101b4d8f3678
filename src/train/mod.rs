//! The Train section on the page side: what to train (the lab's network with the Train
//! section's settings), the page's copy of each run's history, and the section's component.
//! The training itself is `lab_core::train`, run in workers (engine/train_job.rs).

pub mod panels;
pub mod section;
pub mod state;

use crate::params::{Params, TrainParams};
use lab_core::train::{DropoutKind, OptimizerKind, Settings, Shape2d, Task};
use lab_core::Config;
use std::ops::RangeInclusive;

/// Depths the Train section trains (the lab simulates up to 1000 layers; training that deep
/// in a browser tab would take hours).
pub const TRAIN_DEPTH: RangeInclusive<usize> = lab_core::train::trainer::TRAIN_DEPTH_RANGE;

/// The training settings of the lab's network `config` with the Train section's `t`.
pub fn settings(config: &Config, t: &TrainParams) -> Settings {
    let task = match (Shape2d::from_name(t.task), t.task) {
        (Some(shape), _) => Task::TwoD {
            shape,
            noise: t.noise,
            data_seed: config.seed,
        },
        // The file's name and label column come from the upload (the Train section sets them).
        (None, "csv") => Task::Csv {
            name: "data.csv".into(),
            label_column: None,
        },
        _ => Task::Digits,
    };
    Settings {
        task,
        depth: config.depth.clamp(*TRAIN_DEPTH.start(), *TRAIN_DEPTH.end()),
        width: config.width,
        activation: config.activation,
        init: config.init,
        gain: f64::from(config.gain),
        bias_std: f64::from(config.bias_std),
        norm: config.norm,
        groups: config.groups,
        norm_at: config.norm_at,
        arch: config.arch,
        // The scale the page's rule gives at the training depth.
        res_scale: f64::from(
            lab_core::Config {
                depth: config.depth.clamp(*TRAIN_DEPTH.start(), *TRAIN_DEPTH.end()),
                ..*config
            }
            .branch_scale(),
        ),
        dropout: DropoutKind::from_name(t.dropout).unwrap_or(DropoutKind::None),
        dropout_rate: t.rate,
        optimizer: OptimizerKind::from_name(t.opt).unwrap_or(OptimizerKind::Sgd),
        lr: t.lr,
        momentum: t.momentum,
        tbatch: t.tbatch,
        steps: t.steps,
        eval_every: t.eval_every,
        seed: config.seed,
    }
}

/// The runs to train: one per `runs=` entry (its settings over the page's), or one with the
/// page's settings; each with its label.
pub fn runs(params: &Params) -> Vec<(String, Settings)> {
    if params.train.runs.is_empty() {
        let s = settings(&params.config, &params.train);
        return vec![(label(&s, &[]), s)];
    }
    params
        .train
        .runs
        .iter()
        .map(|pairs| {
            let mut p = params.clone();
            for (key, value) in pairs {
                let _ = p.set(key, value);
            }
            // A run's GroupNorm groups must divide the shared width too.
            let _ = p.fit_groups();
            let s = settings(&p.config, &p.train);
            (label(&s, pairs), s)
        })
        .collect()
}

/// A branch scale to 3 decimals ("1", "0.177").
fn fmt_scale(s: f64) -> String {
    format!("{}", (s * 1000.0).round() / 1000.0)
}

/// A run's name: what it sets for itself (or, alone, its activation and initializer).
fn label(s: &Settings, pairs: &[(&'static str, String)]) -> String {
    let shown: Vec<&str> = if pairs.is_empty() {
        vec!["act", "init"]
    } else {
        pairs.iter().map(|(k, _)| *k).collect()
    };
    let parts: Vec<String> = shown
        .iter()
        .filter_map(|key| match *key {
            "act" => Some(s.activation.kind.label().to_string()),
            "init" => Some(short_init(s.init)),
            "norm" => Some(
                match s.norm {
                    lab_core::Normalization::None => "no norm".to_string(),
                    lab_core::Normalization::Batch => "BatchNorm".to_string(),
                    lab_core::Normalization::Layer => "LayerNorm".to_string(),
                    lab_core::Normalization::Group => format!("GroupNorm {}", s.groups),
                    lab_core::Normalization::Rms => "RMSNorm".to_string(),
                } + if s.norm != lab_core::Normalization::None
                    && s.norm_at == lab_core::NormAt::Post
                    && s.arch == lab_core::Arch::Plain
                {
                    " after the activation"
                } else {
                    ""
                },
            ),
            "dropout" => Some(match s.dropout {
                DropoutKind::None => "no dropout".to_string(),
                DropoutKind::Standard => format!("dropout {}", s.dropout_rate),
                DropoutKind::Alpha => format!("alpha dropout {}", s.dropout_rate),
            }),
            // The rate is in the dropout's label when both are set, the placement in the
            // normalization's.
            "rate" if shown.contains(&"dropout") => None,
            "norm_at" | "groups" if shown.contains(&"norm") => None,
            // The groups in use (a value that does not divide the width was refitted).
            "groups" => Some(format!("{} groups", s.groups)),
            "norm_at" => Some(
                if s.norm_at == lab_core::NormAt::Post {
                    "norm after the activation"
                } else {
                    "norm before the activation"
                }
                .to_string(),
            ),
            "opt" => Some(s.optimizer.name().to_uppercase().replace("ADAM", "Adam")),
            "arch" => Some(match s.arch {
                lab_core::Arch::Plain => "plain".to_string(),
                lab_core::Arch::Residual => format!("residual, s = {}", fmt_scale(s.res_scale)),
            }),
            "res_scale" | "res_scale_rule" if shown.contains(&"arch") => None,
            "res_scale" | "res_scale_rule" => Some(format!("s = {}", fmt_scale(s.res_scale))),
            other => pairs
                .iter()
                .find(|(k, _)| k == &other)
                .map(|(k, v)| format!("{k} {v}")),
        })
        .collect();
    parts.join(" + ")
}

/// An initializer's label without its formula ("LeCun normal").
fn short_init(init: lab_core::Initializer) -> String {
    let label = init.label();
    let cut = [" N(", " U(", " ("]
        .iter()
        .filter_map(|p| label.find(p))
        .min()
        .unwrap_or(label.len());
    label[..cut].to_string()
}

/// Why the trained network differs from the simulated one, if it does.
pub fn depth_note(config: &Config) -> Option<String> {
    (config.depth > *TRAIN_DEPTH.end()).then(|| {
        format!(
            "The lab simulates {} layers; training uses {} (the Train section's deepest network), with the same width, activation, initializer and normalization.",
            config.depth,
            TRAIN_DEPTH.end()
        )
    })
}

/// A training speed in words: "120 steps per second", "2.5 steps per second", or for slow
/// networks "one step every 4.0 s".
pub fn rate_words(per_second: f64) -> String {
    if !(per_second.is_finite() && per_second > 0.0) {
        String::new()
    } else if per_second >= 10.0 {
        format!("{per_second:.0} steps per second")
    } else if per_second >= 1.0 {
        format!("{per_second:.1} steps per second")
    } else {
        format!("one step every {:.1} s", 1.0 / per_second)
    }
}

/// The time left for `steps_left` steps at `per_second`, in words, when it is at least 10 s
/// (shorter waits need no word): "about 40 s left", "about 3 min left", "about 2.5 h left".
pub fn time_left_words(steps_left: usize, per_second: f64) -> Option<String> {
    if !(per_second.is_finite() && per_second > 0.0) {
        return None;
    }
    crate::claims::duration_words(steps_left as f64 / per_second).map(|d| format!("{d} left"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    /// A run may place its normalization after the activation and choose GroupNorm's groups;
    /// groups that do not divide the shared width are refitted (6 at width 64: 4 and 8 are
    /// both 2 away, the smaller wins).
    #[test]
    fn runs_set_the_normalization_placement_and_groups() {
        let (params, notices) = Params::from_query(
            "width=64&runs=act:relu,norm:batch,norm_at:post;norm:group,groups:6",
        );
        assert!(notices.is_empty(), "{notices:?}");
        let r = runs(&params);
        assert_eq!(r[0].1.norm_at, lab_core::NormAt::Post);
        assert_eq!(r[0].0, "ReLU + BatchNorm after the activation");
        assert_eq!(r[1].1.groups, 4);
        assert!(r[1].1.clone().validated().is_ok());
        assert_eq!(r[1].0, "GroupNorm 4");
    }

    #[test]
    fn speeds_and_waits_read_as_words() {
        assert_eq!(rate_words(123.4), "123 steps per second");
        assert_eq!(rate_words(2.46), "2.5 steps per second");
        assert_eq!(rate_words(0.25), "one step every 4.0 s");
        assert_eq!(rate_words(f64::NAN), "");
        // 100 steps at 20 per second: 5 s, no word; 1000 steps: 50 s; 6000 steps: 300 s = 5 min;
        // 200000 steps at 20 per second: 10000 s = 2.78 h.
        assert_eq!(time_left_words(100, 20.0), None);
        assert_eq!(
            time_left_words(1000, 20.0).as_deref(),
            Some("about 50 s left")
        );
        assert_eq!(
            time_left_words(6000, 20.0).as_deref(),
            Some("about 5 min left")
        );
        assert_eq!(
            time_left_words(200_000, 20.0).as_deref(),
            Some("about 2.8 h left")
        );
        assert_eq!(time_left_words(10, 0.0), None);
    }

    #[test]
    fn every_url_setting_gives_valid_settings() {
        for q in [
            "",
            "task=spiral&noise=0.5&opt=adam&lr=1e-5&tbatch=1&steps=1&eval_every=1",
            "depth=1000&width=1024&norm=batch&tbatch=1024&dropout=alpha&rate=0.5",
            "task=xor&act=celu&alpha=0&init=orthogonal&gain=5&sb=2",
        ] {
            let (p, notices) = Params::from_query(q);
            assert!(notices.is_empty(), "{q}: {notices:?}");
            let s = settings(&p.config, &p.train);
            // BatchNorm needs two examples per minibatch; every other URL value is valid.
            assert!(s.clone().validated().is_ok(), "{q}: {:?}", s.validated());
        }
    }

    #[test]
    fn the_trained_depth_is_capped_and_said() {
        let (p, _) = Params::from_query("depth=200&task=circle&noise=0.2&seed=9");
        let s = settings(&p.config, &p.train);
        assert_eq!(s.depth, 64);
        assert!(depth_note(&p.config).unwrap().contains("200"));
        assert_eq!(
            s.task,
            Task::TwoD {
                shape: Shape2d::Circle,
                noise: 0.2,
                data_seed: 9
            }
        );
        assert!(depth_note(&Params::default().config).is_none());
    }

    /// Trains every Train preset to its last step and prints what each run reaches, to check
    /// that each preset shows what its name says (minutes: run it by hand, `cargo test -p
    /// activation-lab train_presets -- --ignored --nocapture`).
    #[test]
    #[ignore = "trains every preset to the end; run by hand"]
    fn train_presets() {
        let digits =
            std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/digits.bin")).unwrap();
        for (name, query) in crate::presets::TRAIN_PRESETS {
            let (p, _) = Params::from_query(query);
            println!("== {name}");
            for (label, s) in runs(&p) {
                let data = s.task.dataset(Some(&digits)).unwrap();
                let mut t = lab_core::train::Trainer::new(s.clone(), &data).unwrap();
                t.step_n(s.steps);
                let first = &t.history.evals[0];
                let last = t.history.evals.last().unwrap();
                let var = |e: &lab_core::train::Evaluation| {
                    let v: Vec<f64> = e.layers.iter().map(|l| l.post_var).collect();
                    (
                        v.iter().cloned().fold(f64::INFINITY, f64::min),
                        v.iter().cloned().fold(0.0, f64::max),
                    )
                };
                println!(
                    "  {label}: test loss {:.3} -> {:.3}, test acc {:.3} -> {:.3}, post_var range {:?} -> {:?}, diverged {:?}",
                    first.test_loss, last.test_loss, first.test_acc, last.test_acc, var(first), var(last), t.history.diverged_at
                );
            }
        }
    }
}
