//! Property test: over random valid small configurations (every activation, initializer and
//! normalization, gains, biases and inputs up to their URL limits), the simulation never panics,
//! and every statistic is finite or the layer is reported: a layer's moments are non-finite
//! only when every one of its entries is, the non-finite entries are counted exactly, the
//! first layer with any is the one the samples show, and the exploded/vanished layer is the
//! first whose finite entries' second moment leaves [1e-30, 1e30].
//!
//! The configurations have at most 2048 entries per layer, so the histogram samples hold every
//! post-activation entry (stride 1): they are the independent reference, reduced here with
//! the two-pass f64 mean and variance.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Config, NormAt, Normalization};
use lab_core::init::Initializer;
use lab_core::sim::{first_nonfinite, Signal, Simulation};
use lab_core::stats::{mean_var, EXPLODED_ABOVE, VANISHED_BELOW};
use lab_core::KernelPath;
use proptest::prelude::*;

fn any_config() -> impl Strategy<Value = Config> {
    (
        (
            proptest::sample::select(ActivationKind::ALL.to_vec()),
            proptest::sample::select(Initializer::ALL.to_vec()),
            proptest::sample::select(Normalization::ALL.to_vec()),
            proptest::sample::select(KernelPath::ALL.to_vec()),
        ),
        prop_oneof![
            (1usize..=30, 2usize..=32, 1usize..=16, Just(false)),
            // Deep, wide enough and with large weights to overflow f32 (about half the cases).
            (20usize..=80, 8usize..=32, 1usize..=16, Just(true)),
        ],
        (
            prop_oneof![0.0f32..=5.0, Just(5.0f32), Just(0.0f32)],
            prop_oneof![0.0f32..=2.0, Just(2.0f32)],
            -10.0f32..=10.0,
            prop_oneof![0.0f32..=10.0, Just(10.0f32)],
        ),
        (0.0f32..=1.0, 0.0f32..=5.0, 0.0f32..=10.0, any::<u64>()),
    )
        .prop_map(
            |(
                (kind, init, norm, kernels),
                (depth, width, batch, large),
                (gain, sb, mean, std),
                (slope, alpha, beta, seed),
            )| {
                let (init, gain) = if large {
                    (Initializer::Normal, 1.0 + gain * 0.8)
                } else {
                    (init, gain)
                };
                Config {
                    activation: Activation {
                        kind,
                        slope,
                        alpha,
                        beta,
                    },
                    init,
                    gain,
                    bias_std: sb,
                    depth,
                    width,
                    batch,
                    input_mean: mean,
                    input_std: std,
                    norm,
                    input_corr: 0.5,
                    seed: seed % (1 << 32),
                    kernels,
                    groups: if width % 2 == 0 { 2 } else { 1 },
                    norm_at: if seed & 1 == 0 {
                        NormAt::Pre
                    } else {
                        NormAt::Post
                    },
                    ..Config::default()
                }
            },
        )
}

/// The first layer whose finite post-activations' second moment is out of range, or that has
/// none: the reference for the forward signal.
fn reference_signal(layers: &[Vec<f32>]) -> Signal {
    for (i, x) in layers.iter().enumerate() {
        let finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return Signal::Exploded { layer: i + 1 };
        }
        let (m, v) = mean_var(&finite);
        let second = m * m + v;
        if !second.is_finite() || second > EXPLODED_ABOVE {
            return Signal::Exploded { layer: i + 1 };
        }
        if second < VANISHED_BELOW {
            return Signal::Vanished { layer: i + 1 };
        }
    }
    Signal::Healthy
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn statistics_are_finite_or_the_layer_is_reported(config in any_config()) {
        let config = match config.validated() {
            Ok(c) => c,
            Err(_) => return Ok(()),
        };
        let sim = Simulation::run(config).expect("a valid configuration runs");
        let entries = (config.batch * config.width) as u64;
        prop_assert_eq!(sim.stats().len(), config.depth);
        prop_assert_eq!(sim.nonfinite().len(), config.depth);
        let mut layers = Vec::new();
        for (i, (s, n)) in sim.stats().iter().zip(sim.nonfinite()).enumerate() {
            let layer = i + 1;
            let x = sim.samples(layer).to_vec();
            prop_assert_eq!(x.len() as u64, entries, "stride 1: every entry sampled");
            let bad = x.iter().filter(|v| !v.is_finite()).count() as u64;
            prop_assert_eq!(n.post, bad, "layer {}: post-activations counted", layer);
            prop_assert!(n.pre <= entries);
            // Pre-activation moments: finite unless every entry is non-finite.
            let pre_finite = s.pre_mean.is_finite() && s.pre_var.is_finite();
            prop_assert_eq!(pre_finite, n.pre < entries, "layer {}: {:?} {:?}", layer, s, n);
            // Post-activation moments: those of the finite entries.
            let finite: Vec<f32> = x.iter().copied().filter(|v| v.is_finite()).collect();
            if finite.is_empty() {
                prop_assert!(s.post_var.is_nan() && !s.post_mean.is_finite());
            } else {
                let (m, v) = mean_var(&finite);
                // One pass about a pivot K from the data loses a factor 1 + (K - mean)^2 / var
                // of the f64 rounding (see `Moments`); (max - min)^2 bounds (K - mean)^2.
                let (lo, hi) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                    (lo.min(f64::from(x)), hi.max(f64::from(x)))
                });
                let spread = (hi - lo) * (hi - lo);
                let scale = m.abs() + v.sqrt();
                prop_assert!((s.post_mean - m).abs() <= 1e-9 * scale + 1e-300, "layer {}: mean {} vs {}", layer, s.post_mean, m);
                prop_assert!((s.post_var - v).abs() <= 1e-9 * (v + spread) + 1e-300, "layer {}: var {} vs {}", layer, s.post_var, v);
            }
            layers.push(x);
        }
        // The first layer with non-finite entries is reported.
        let first = first_nonfinite(sim.nonfinite()).map(|(l, _)| l);
        let first_seen = layers.iter().position(|x| x.iter().any(|v| !v.is_finite())).map(|i| i + 1);
        if let Some(seen) = first_seen {
            prop_assert!(first.is_some_and(|l| l <= seen), "{:?} {:?}", first, first_seen);
        }
        prop_assert_eq!(sim.forward_signal(), reference_signal(&layers));
        // Gradients: a non-finite one is reported by the backward signal.
        if sim.stats().iter().any(|s| !s.grad_rms.is_finite()) && sim.backward_skipped().is_none() {
            prop_assert!(!matches!(sim.backward_signal(), Signal::Healthy));
        }
    }
}
