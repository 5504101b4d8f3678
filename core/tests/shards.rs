//! A simulation split into row shards ([`Simulation::into_shard`]) and combined
//! ([`combine_shards`]) gives bit for bit what one [`Simulation::run`] of the whole batch
//! gives, whatever the number of shards: every statistic of every layer (f64 bits, NaN
//! compared as NaN), the non-finite counts, the histogram samples, x^depth and BatchNorm's
//! statistics, for every normalization, placement, architecture and kernel path, with and
//! without the backward pass, on shapes whose batch does not divide into the shards.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::config::{Arch, Config, NormAt, Normalization};
use lab_core::init::Initializer;
use lab_core::sim::{
    combine_shards, run_shards, shard_rows, ShardedResults, Simulation, ROW_BLOCK,
};
use lab_core::stats::{first_finite, mean_var, Moments};
use lab_core::KernelPath;

/// Float limits of [`Simulation::with_memory_limits`]: backward with cached weights, backward
/// with the weights drawn again, no backward pass.
const ALL_KEPT: (usize, usize) = (usize::MAX, usize::MAX);
const WEIGHTS_REDRAWN: (usize, usize) = (usize::MAX, 0);
const NO_BACKWARD: (usize, usize) = (0, 0);

fn whole(config: Config, limits: (usize, usize)) -> Simulation {
    let mut sim = Simulation::with_memory_limits(config, limits.0, limits.1).unwrap();
    while !sim.step(f64::INFINITY) {}
    sim
}

fn sharded(config: Config, limits: (usize, usize), shards: usize) -> ShardedResults {
    let mut sims: Vec<Simulation> = shard_rows(config.batch, shards)
        .into_iter()
        .map(|rows| {
            Simulation::with_memory_limits(config, limits.0, limits.1)
                .unwrap()
                .into_shard(rows)
        })
        .collect();
    run_shards(&mut sims);
    combine_shards(&sims)
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn same_f32s(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// Asserts that the shards' combined results are the whole run's, bit for bit.
fn assert_same(sim: &Simulation, split: &ShardedResults, what: &str) {
    assert_eq!(sim.stats().len(), split.stats.len(), "{what}: layers");
    for (l, (a, b)) in sim.stats().iter().zip(&split.stats).enumerate() {
        let fields = [
            ("pre_mean", a.pre_mean, b.pre_mean),
            ("pre_var", a.pre_var, b.pre_var),
            ("post_mean", a.post_mean, b.post_mean),
            ("post_var", a.post_var, b.post_var),
            ("grad_rms", a.grad_rms, b.grad_rms),
            ("pair_corr", a.pair_corr, b.pair_corr),
        ];
        for (name, x, y) in fields {
            assert!(
                same_f64(x, y),
                "{what}: layer {} {name}: whole {x:e} vs shards {y:e}",
                l + 1
            );
        }
    }
    assert_eq!(sim.nonfinite(), &split.nonfinite[..], "{what}: non-finite");
    for l in 1..=sim.stats().len() {
        assert!(
            same_f32s(sim.samples(l), &split.samples[l - 1]),
            "{what}: samples of layer {l}"
        );
    }
    assert!(
        same_f32s(sim.output().unwrap(), &split.output),
        "{what}: x^depth"
    );
    assert_eq!(
        sim.batch_norm_stats().len(),
        split.batch_norm.len(),
        "{what}: BatchNorm layers"
    );
    for (l, ((m1, s1), (m2, s2))) in sim
        .batch_norm_stats()
        .iter()
        .zip(&split.batch_norm)
        .enumerate()
    {
        assert!(
            m1.iter().zip(m2).all(|(&a, &b)| same_f64(a, b))
                && s1.iter().zip(s2).all(|(&a, &b)| same_f64(a, b)),
            "{what}: BatchNorm statistics of layer {}",
            l + 1
        );
    }
    assert_eq!(
        sim.backward_skipped(),
        split.backward_skipped.as_deref(),
        "{what}: backward skipped"
    );
}

fn config(width: usize, batch: usize, norm: Normalization, norm_at: NormAt, arch: Arch) -> Config {
    Config {
        activation: Activation::new(ActivationKind::Gelu),
        init: Initializer::HeNormal,
        bias_std: 0.1,
        depth: 4,
        width,
        batch,
        norm,
        norm_at,
        arch,
        res_scale: 0.7,
        groups: if width.is_multiple_of(3) { 3 } else { 1 },
        input_mean: 0.3,
        seed: 7,
        ..Config::default()
    }
}

/// Every normalization x placement x architecture x kernel path, on awkward shapes (width 2,
/// the smallest allowed), split in
/// 1, 2, 3 and 5 shards, against one run of the whole batch.
#[test]
fn shards_give_the_whole_batch_results_bit_for_bit() {
    // (35, 130): 4550 entries, every third one sampled, and shards starting at entries that are
    // not multiples of 3.
    let shapes = [
        (2, 1),
        (3, 7),
        (33, 1),
        (2, 70),
        (3, 100),
        (33, 97),
        (35, 130),
    ];
    let mut split_some = false;
    for &(width, batch) in &shapes {
        for norm in Normalization::ALL {
            for norm_at in [NormAt::Pre, NormAt::Post] {
                if norm == Normalization::None && norm_at == NormAt::Post {
                    continue;
                }
                for arch in [Arch::Plain, Arch::Residual] {
                    for kernels in [KernelPath::Simd, KernelPath::Scalar] {
                        let config = Config {
                            kernels,
                            ..config(width, batch, norm, norm_at, arch)
                        };
                        let sim = whole(config, ALL_KEPT);
                        for shards in [1, 2, 3, 5] {
                            let split = sharded(config, ALL_KEPT, shards);
                            split_some |= split.rows.len() > 2;
                            let what = format!(
                                "{width}x{batch} {norm:?} {norm_at:?} {arch:?} {kernels:?}, \
                                 {shards} shards {:?}",
                                split.rows
                            );
                            assert_same(&sim, &split, &what);
                        }
                    }
                }
            }
        }
    }
    assert!(split_some, "no case was split in more than two shards");
}

/// The backward pass with the weights drawn again, and skipped (its statistics stay NaN).
#[test]
fn shards_agree_with_the_weights_redrawn_and_without_the_backward_pass() {
    for norm in Normalization::ALL {
        for arch in [Arch::Plain, Arch::Residual] {
            let config = config(5, 90, norm, NormAt::Pre, arch);
            for limits in [WEIGHTS_REDRAWN, NO_BACKWARD] {
                let sim = whole(config, limits);
                assert_eq!(sim.backward_skipped().is_some(), limits == NO_BACKWARD);
                for shards in [2, 3] {
                    let split = sharded(config, limits, shards);
                    assert_eq!(split.rows.len(), shards);
                    assert_same(
                        &sim,
                        &split,
                        &format!("{norm:?} {arch:?} {limits:?} {shards}"),
                    );
                }
            }
        }
    }
}

/// An exploding network: entries overflow to inf and NaN in some layers, which the moments
/// leave out and count; the shards must count and leave out the same.
#[test]
fn shards_agree_on_an_exploding_network() {
    for norm in [
        Normalization::None,
        Normalization::Batch,
        Normalization::Layer,
    ] {
        let config = Config {
            activation: Activation::new(ActivationKind::Relu),
            init: Initializer::Normal,
            gain: 3.0,
            depth: 40,
            width: 24,
            batch: 75,
            norm,
            norm_at: NormAt::Post,
            ..Config::default()
        };
        let sim = whole(config, ALL_KEPT);
        if norm == Normalization::None {
            assert!(
                sim.nonfinite().iter().any(|c| c.any()),
                "the network was meant to overflow"
            );
        }
        for shards in [2, 3, 8] {
            let split = sharded(config, ALL_KEPT, shards);
            assert_same(
                &sim,
                &split,
                &format!("exploding {norm:?}, {shards} shards"),
            );
        }
    }
}

/// The rows: whole blocks, in order, covering the batch, never empty, at most the blocks.
#[test]
fn shard_rows_are_whole_blocks_covering_the_batch() {
    for batch in [1, 7, 31, 32, 33, 64, 65, 100, 1024, 1000] {
        for shards in 1..=8 {
            let rows = shard_rows(batch, shards);
            assert_eq!(rows.len(), shards.min(batch.div_ceil(ROW_BLOCK)));
            assert_eq!(rows[0].start, 0);
            assert_eq!(rows.last().unwrap().end, batch);
            for pair in rows.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            for r in &rows {
                assert!(!r.is_empty() && r.start.is_multiple_of(ROW_BLOCK));
            }
        }
    }
}

/// The combination of block moments (Chan, Golub & LeVeque) against the two-pass f64 mean and
/// variance of all the values, on data far from zero (mean 1000, spread 1, where a naive
/// E[x^2] - E[x]^2 loses about 6 digits), in blocks of uneven sizes, with a non-finite value.
#[test]
fn block_moments_combine_to_the_two_pass_mean_and_variance() {
    let values: Vec<f32> = (0..1000)
        .map(|i| 1000.0 + ((i * 7919 % 1000) as f32 / 1000.0 - 0.5) * 3.0)
        .collect();
    let (mean, var) = mean_var(&values);
    for sizes in [
        vec![1000],
        vec![1, 999],
        vec![32, 32, 500, 436],
        vec![7; 143],
    ] {
        let mut at = 0;
        let mut blocks = Vec::new();
        for size in sizes.iter().copied().chain(std::iter::once(1000)) {
            let block = &values[at..(at + size).min(values.len())];
            at += block.len();
            if block.is_empty() {
                break;
            }
            let mut m = Moments::new(first_finite(block));
            m.push_rows(KernelPath::Scalar, block, 5);
            blocks.push(m);
        }
        // A block with only a non-finite value: counted, left out of the moments.
        let mut inf = Moments::new(0.0);
        inf.push_row(KernelPath::Scalar, &[f32::INFINITY]);
        blocks.insert(1, inf);
        let c = Moments::combine(&blocks);
        assert_eq!((c.count, c.nonfinite), (1000, 1), "{sizes:?}");
        assert!(
            (c.mean - mean).abs() <= 1e-13 * mean,
            "{sizes:?}: {} vs {mean}",
            c.mean
        );
        assert!(
            (c.var - var).abs() <= 1e-11 * var,
            "{sizes:?}: {} vs {var}",
            c.var
        );
    }
}

/// The raw form of the moments (for messages between workers) gives them back exactly, and a
/// shard's parts rebuilt from it combine to the same statistics.
#[test]
fn moments_survive_their_raw_form() {
    let config = config(7, 80, Normalization::None, NormAt::Pre, Arch::Plain);
    let sim = whole(config, ALL_KEPT);
    for part in sim.layer_parts() {
        for m in part.pre.iter().chain(&part.post) {
            let back = Moments::from_raw(m.to_raw());
            assert_eq!(back, *m);
        }
    }
    let mut m = Moments::new(1.5);
    m.push_row(KernelPath::Scalar, &[f32::NAN, 2.0, f32::NEG_INFINITY]);
    let back = Moments::from_raw(m.to_raw());
    assert_eq!((back.count(), back.nonfinite()), (1, 2));
    assert!(back.mean().to_bits() == m.mean().to_bits());
}
