//! A simulation split into row shards: shard k owns a contiguous range of the batch's rows and
//! runs the whole network on them, and the shards' partial results combine into exactly (bit
//! for bit) what one [`Simulation`] of the whole batch gives, whatever the number of shards.
//!
//! How: every sum over the batch's rows is cut at fixed blocks of [`ROW_BLOCK`] rows. A block's
//! partial sums (a layer's moments about the block's own pivot, BatchNorm's column sums, the
//! gradient's sum of squares) are computed by the one shard that owns the block, and the partials
//! are combined in block order: element-wise sums from 0.0 ([`fold_blocks`]), the moments by
//! the parallel formula of Chan, Golub & LeVeque (1979) ([`Moments::combine`]). Shards own
//! whole blocks ([`shard_rows`]), so neither the blocks nor their order depend on the number of
//! shards; one simulation of the whole batch is the one-shard case, combining its own blocks.
//!
//! Every shard draws the same W^l and b^l from the seeded streams; x^0 and g are drawn in
//! row-major order from one stream each, so a shard draws the rows before its own and drops
//! them. BatchNorm needs the whole batch's column sums: a shard stops there
//! ([`Simulation::exchange`]) with its blocks' partials, and continues ([`Simulation::resume`])
//! with the sums folded over every shard's blocks in block order. The correlation pairs run in
//! the shard that owns row 0 (they need only the weights and the combined BatchNorm statistics).

use super::Simulation;
use crate::config::Config;
use crate::rng::Rng;
use crate::stats::{LayerStats, Moments, NonFinite};
use std::ops::Range;

/// Rows per block of the per-block partial sums (a shard owns whole blocks).
pub const ROW_BLOCK: usize = 32;
/// Most shards a simulation is split into.
pub const MAX_SHARDS: usize = 8;

/// The rows of each shard when the batch is split into at most `shards` (at least 1): whole
/// blocks of [`ROW_BLOCK`] rows, as evenly as they go, in order; fewer shards than asked when
/// the batch has fewer blocks (no shard is empty).
pub fn shard_rows(batch: usize, shards: usize) -> Vec<Range<usize>> {
    let blocks = batch.div_ceil(ROW_BLOCK).max(1);
    let count = shards.clamp(1, MAX_SHARDS).min(blocks);
    (0..count)
        .map(|k| {
            let start = (k * blocks / count * ROW_BLOCK).min(batch);
            let end = ((k + 1) * blocks / count * ROW_BLOCK).min(batch);
            start..end
        })
        .collect()
}

/// Which whole-batch sums a shard waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeKind {
    /// BatchNorm forward: the column sums (width values).
    ColumnSums,
    /// BatchNorm forward: the column sums of squared deviations from the means (width values).
    ColumnDeviations,
    /// BatchNorm backward (also a residual block's): the column sums of dL/dy, then of dL/dy y
    /// (2 width values).
    BackwardSums,
}

/// What a shard stops at: its blocks' partial sums of `kind` at `layer`, in block order.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub layer: usize,
    pub kind: ExchangeKind,
    pub blocks: Vec<Vec<f64>>,
}

/// A layer's per-block partials, in block order: the moments of h^l and x^l ([`Moments`], each
/// block about its first finite entry) and, once the backward pass has reached the layer, the
/// sums of delta^2.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerPart {
    pub pre: Vec<Moments>,
    pub post: Vec<Moments>,
    pub grad_sum2: Vec<f64>,
}

/// The element-wise sums of equally long partials, added in the order given, from 0.0.
pub fn fold_blocks<'a>(blocks: impl IntoIterator<Item = &'a [f64]>) -> Vec<f64> {
    let mut total: Vec<f64> = Vec::new();
    for block in blocks {
        if total.is_empty() {
            total = vec![0.0; block.len()];
        }
        for (t, &b) in total.iter_mut().zip(block) {
            *t += b;
        }
    }
    total
}

/// A layer's statistics and non-finite counts from its parts over the whole batch (the parts
/// of each shard, in shard order), over `entries` = batch x width values; `pair_corr` from the
/// shard that ran the pairs. grad_rms is NaN while some part has no gradient sums.
pub fn combine_layer(
    parts: &[&LayerPart],
    entries: usize,
    pair_corr: f64,
) -> (LayerStats, NonFinite) {
    let pre = Moments::combine(parts.iter().flat_map(|p| p.pre.iter()));
    let post = Moments::combine(parts.iter().flat_map(|p| p.post.iter()));
    let grad_rms = if parts.iter().all(|p| !p.grad_sum2.is_empty()) {
        let sum2 = fold_blocks(
            parts
                .iter()
                .flat_map(|p| p.grad_sum2.iter().map(std::slice::from_ref)),
        );
        (sum2.first().copied().unwrap_or(0.0) / entries as f64).sqrt()
    } else {
        f64::NAN
    };
    (
        LayerStats {
            pre_mean: pre.mean,
            pre_var: pre.var,
            post_mean: post.mean,
            post_var: post.var,
            grad_rms,
            pair_corr,
        },
        NonFinite {
            pre: pre.nonfinite,
            post: post.nonfinite,
        },
    )
}

/// Draws the rows r0..r1 (of the whole batch, row-major, `n` per row) of a stream and keeps
/// those in `own` in `out` (the owned rows, from `own.start`); the rows before are drawn and
/// dropped, so that the stream is where it would be for one simulation of the whole batch.
pub(super) fn draw_rows(
    stream: &mut Rng,
    out: &mut [f32],
    own: &Range<usize>,
    rows: Range<usize>,
    n: usize,
    mean: f64,
    std: f64,
) {
    let dropped = rows.start..rows.end.min(own.start);
    if !dropped.is_empty() {
        let mut scratch = vec![0.0f32; dropped.len() * n];
        stream.fill_normal_f32(&mut scratch, mean, std);
    }
    let kept = rows.start.max(own.start)..rows.end.min(own.end);
    if !kept.is_empty() {
        let local = (kept.start - own.start) * n..(kept.end - own.start) * n;
        stream.fill_normal_f32(&mut out[local], mean, std);
    }
}

/// What the shards of one simulation give together, as one [`Simulation`] of the whole batch
/// would: [`run_shards`].
#[derive(Clone, Debug)]
pub struct ShardedResults {
    pub stats: Vec<LayerStats>,
    pub nonfinite: Vec<NonFinite>,
    pub samples: Vec<Vec<f32>>,
    /// x^depth, batch x width.
    pub output: Vec<f32>,
    pub batch_norm: Vec<(Vec<f64>, Vec<f64>)>,
    pub backward_skipped: Option<String>,
    /// The rows of each shard.
    pub rows: Vec<Range<usize>>,
}

/// Combines finished shards (in row order) into the whole batch's results.
pub fn combine_shards(shards: &[Simulation]) -> ShardedResults {
    let config: &Config = shards[0].config();
    let entries = config.batch * config.width;
    let layers = shards[0].layer_parts().len();
    let mut stats = Vec::with_capacity(layers);
    let mut nonfinite = Vec::with_capacity(layers);
    for l in 0..layers {
        let parts: Vec<&LayerPart> = shards.iter().map(|s| &s.layer_parts()[l]).collect();
        let pair_corr = shards[0].stats()[l].pair_corr;
        let (s, nf) = combine_layer(&parts, entries, pair_corr);
        stats.push(s);
        nonfinite.push(nf);
    }
    let samples = (0..layers)
        .map(|l| {
            shards
                .iter()
                .flat_map(|s| s.samples(l + 1).iter().copied())
                .collect()
        })
        .collect();
    let output = shards
        .iter()
        .flat_map(|s| s.output().unwrap_or(&[]).iter().copied())
        .collect();
    ShardedResults {
        stats,
        nonfinite,
        samples,
        output,
        batch_norm: shards[0].batch_norm_stats().to_vec(),
        backward_skipped: shards[0].backward_skipped().map(str::to_string),
        rows: shards.iter().map(|s| s.rows()).collect(),
    }
}

/// Runs the shards to the end, one after another, the way a pool of workers would: each runs
/// until it waits for an exchange or is done; when all wait, their partials are folded in
/// shard (row) order and every shard resumes with the sums.
pub fn run_shards(shards: &mut [Simulation]) {
    loop {
        for shard in shards.iter_mut() {
            while shard.exchange().is_none() && !shard.step(f64::INFINITY) {}
        }
        if shards.iter().all(Simulation::is_done) {
            return;
        }
        let exchanges: Vec<&Exchange> = shards
            .iter()
            .map(|s| {
                s.exchange()
                    .expect("every unfinished shard waits at an exchange")
            })
            .collect();
        let first = exchanges[0];
        assert!(
            exchanges
                .iter()
                .all(|e| e.layer == first.layer && e.kind == first.kind),
            "shards out of step"
        );
        let folded = fold_blocks(
            exchanges
                .iter()
                .flat_map(|e| e.blocks.iter().map(Vec::as_slice)),
        );
        for shard in shards.iter_mut() {
            shard.resume(&folded);
        }
    }
}
