//! The forward pass of the batch: x^0, the weights and biases of each layer, h^l = x^(l-1) W^l
//! + b^l, its normalization, x^l = phi(h^l) with the layer's moments and histogram samples.

use super::norm::RowNorm;
use super::plan::{bias_flops, Task};
use super::shard::{combine_layer, draw_rows, ExchangeKind, LayerPart, ROW_BLOCK};
use super::{Simulation, CORR_PAIRS, MAX_SAMPLES};
use crate::config::Normalization;
use crate::init::WeightSampler;
use crate::kernels;
use crate::kernels::KernelPath;
use crate::rng::{Rng, Stream};
use crate::stats::{first_finite, Moments};
use std::ops::Range;

/// The batch's activations.
#[derive(Clone, Debug, Default)]
pub(super) struct Batch {
    /// x^0, batch x width.
    pub(super) input: Vec<f32>,
    pub(super) input_ready: bool,
    /// x^(l-1) during the forward pass, x^depth afterwards.
    pub(super) x: Vec<f32>,
    /// h^l of the current layer (normalized in place).
    pub(super) h: Vec<f32>,
    /// Residual blocks with a normalization: the normalized stream norm(x^(l-1)), the branch's
    /// matmul input.
    pub(super) u: Vec<f32>,
    /// Residual blocks: phi(h^l) of the rows of one work unit, before it is added to the stream.
    scratch: Vec<f32>,
}

/// W^l and b^l: the current layer's, or every layer's weights when they are cached.
#[derive(Clone, Debug, Default)]
pub(super) struct LayerWeights {
    /// Whether every W^l is kept ([`super::plan::Plan::cache_weights`]).
    cached: bool,
    /// The sampler filling `current`, while W^l is being drawn.
    sampler: Option<WeightSampler>,
    /// W^l of the current layer when weights are not cached (and while it is being drawn).
    current: Vec<f32>,
    /// W^1..W^depth when cached.
    cache: Vec<Vec<f32>>,
    /// b^l of the current layer.
    pub(super) bias: Vec<f32>,
}

impl LayerWeights {
    pub(super) fn new(cached: bool) -> Self {
        LayerWeights {
            cached,
            ..LayerWeights::default()
        }
    }

    /// W^l: cached, or the one just drawn into `current`.
    pub(super) fn of_layer(&self, layer: usize) -> &[f32] {
        if self.cached {
            &self.cache[layer - 1]
        } else {
            &self.current
        }
    }

    /// Starts drawing W^`layer` of `sim`'s config.
    fn start(&mut self, config: &crate::config::Config, layer: usize) {
        let n = config.width;
        self.current.resize(n * n, 0.0);
        let rng = Rng::stream(config.seed, Stream::Weights(layer));
        self.sampler = Some(WeightSampler::new(
            config.init,
            n,
            n,
            f64::from(config.gain),
            rng,
        ));
    }

    /// One unit of the sampler: (its flops, whether W^l is complete).
    fn step(&mut self) -> (f64, bool) {
        let current = &mut self.current;
        let flops = self.sampler.as_mut().map_or(0.0, |s| s.step(current));
        let done = self.sampler.as_ref().is_none_or(WeightSampler::is_done);
        if done {
            self.sampler = None;
        }
        (flops, done)
    }

    /// Keeps the W^l just drawn when weights are cached.
    fn keep(&mut self) {
        if self.cached {
            self.cache.push(std::mem::take(&mut self.current));
        }
    }
}

/// What the forward pass accumulates about the current layer.
#[derive(Clone, Debug, Default)]
pub(super) struct LayerAcc {
    /// One-pass moments of h^l and x^l, one per block of [`ROW_BLOCK`] rows, each about the
    /// block's first finite entry (see [`super::shard`]).
    part: LayerPart,
    /// Histogram samples of x^l.
    samples: Vec<f32>,
}

/// Pushes the moments of the blocks of `data` (rows of `n`, `total_rows` rows) that the rows
/// before `rows_done` complete and `blocks` does not have yet, each about its first finite
/// entry.
fn push_blocks(
    blocks: &mut Vec<Moments>,
    path: KernelPath,
    data: &[f32],
    n: usize,
    rows_done: usize,
    total_rows: usize,
) {
    loop {
        let start = blocks.len() * ROW_BLOCK;
        let end = (start + ROW_BLOCK).min(total_rows);
        if start >= total_rows || end > rows_done {
            return;
        }
        let values = &data[start * n..end * n];
        let mut moments = Moments::new(first_finite(values));
        // Row by row, so that the sums do not depend on the rows per unit.
        moments.push_rows(path, values, n);
        blocks.push(moments);
    }
}

impl Simulation {
    /// Draws rows of x^0 (rows of the whole batch; a shard keeps its own).
    pub(super) fn input_rows(&mut self, rows: Range<usize>) {
        let n = self.config.width;
        self.batch.input.resize(self.rows.len() * n, 0.0);
        let (mean, std) = (
            f64::from(self.config.input_mean),
            f64::from(self.config.input_std),
        );
        draw_rows(
            &mut self.cursor.stream,
            &mut self.batch.input,
            &self.rows,
            rows,
            n,
            mean,
            std,
        );
    }

    /// One unit of drawing W^l (forward, or again for the backward pass); returns its flops.
    pub(super) fn weights_unit(&mut self) -> f64 {
        let (flops, done) = self.weights.step();
        if done {
            self.end_pass();
        }
        flops
    }

    /// Draws b^l; returns its flops.
    pub(super) fn bias_unit(&mut self) -> f64 {
        let n = self.config.width;
        self.weights.bias.resize(n, 0.0);
        let mut rng = Rng::stream(self.config.seed, Stream::Biases(self.cursor.layer));
        rng.fill_normal_f32(&mut self.weights.bias, 0.0, f64::from(self.config.bias_std));
        self.end_pass();
        bias_flops(n)
    }

    /// h = x^(l-1) W^l + b^l for a block of rows.
    pub(super) fn matmul_rows(&mut self, rows: Range<usize>) {
        let layer = self.cursor.layer;
        let residual = self.config.is_residual();
        let batch = &mut self.batch;
        let x_prev = match (residual, self.config.norm) {
            (true, Normalization::None) => &batch.x,
            (true, _) => &batch.u,
            (false, _) if layer == 1 => &batch.input,
            (false, _) => &batch.x,
        };
        affine_rows(
            self.config.kernels,
            &x_prev[rows.clone()],
            self.weights.of_layer(layer),
            &self.weights.bias,
            &mut batch.h[rows],
        );
    }

    /// Whether the normalization sits after the activation (x^l = norm(phi(h^l))).
    pub(super) fn post_norm(&self) -> bool {
        self.config.norm_after_activation()
    }

    /// The normalization passes over a block of rows (r0..r1 of the batch): on h^l, or on x^l
    /// when the normalization is after the activation.
    pub(super) fn norm_rows(&mut self, task: Task, r0: usize, r1: usize) {
        let n = self.config.width;
        let target = if self.config.is_residual() {
            &mut self.batch.u
        } else if self.post_norm() {
            &mut self.batch.x
        } else {
            &mut self.batch.h
        };
        let h = &mut target[r0 * n..r1 * n];
        match task {
            Task::BatchMean => self.norm.add_column_sums(h, n, r0),
            Task::BatchVar => self.norm.add_column_deviations(h, n, r0),
            Task::BatchApply => {
                for h_row in h.chunks_exact_mut(n) {
                    self.norm.batch_norm_row(h_row);
                }
            }
            Task::RowNorm => {
                let row_norm = RowNorm::of(&self.config).expect("a per-example normalization");
                let g = row_norm.groups;
                for (h_row, inv_std) in h
                    .chunks_exact_mut(n)
                    .zip(self.norm.inv_std[r0 * g..r1 * g].chunks_exact_mut(g))
                {
                    row_norm.forward_row(h_row, inv_std);
                }
            }
            _ => unreachable!("not a normalization pass: {task:?}"),
        }
    }

    /// x^l = phi(h^l) for a block of rows, with the moments and the histogram samples.
    pub(super) fn activate_rows(&mut self, rows: Range<usize>) {
        let n = self.config.width;
        let (local, entries) = (self.rows.len(), self.config.batch * n);
        let offset = self.rows.start * n;
        let path = self.config.kernels;
        let post_later = self.post_norm();
        let (batch, acc) = (&mut self.batch, &mut self.acc);
        if self.config.is_residual() {
            // x^l = x^(l-1) + s phi(h^l), in place: `x` holds the stream.
            batch.scratch.resize(rows.len(), 0.0);
            self.config.activation.apply_slice_with(
                path,
                &batch.h[rows.clone()],
                &mut batch.scratch,
            );
            add_branch(
                &mut batch.x[rows.clone()],
                &batch.scratch,
                self.config.branch_scale(),
            );
        } else {
            self.config.activation.apply_slice_with(
                path,
                &batch.h[rows.clone()],
                &mut batch.x[rows.clone()],
            );
        }
        if rows.start == 0 {
            acc.part = LayerPart::default();
            acc.samples = Vec::with_capacity(MAX_SAMPLES);
        }
        // The moments by blocks of rows, each once all of its rows are done.
        let rows_done = rows.end / n;
        push_blocks(&mut acc.part.pre, path, &batch.h, n, rows_done, local);
        if post_later {
            // x^l is normalized next; its moments and samples come after ([`Task::PostMoments`]).
            return;
        }
        push_blocks(&mut acc.part.post, path, &batch.x, n, rows_done, local);
        Self::take_samples(acc, &batch.x, rows, offset, entries);
    }

    /// The moments of the normalized x^l and its histogram samples for a block of rows (the
    /// normalization after the activation).
    pub(super) fn post_moments_rows(&mut self, rows: Range<usize>) {
        let n = self.config.width;
        let (local, entries) = (self.rows.len(), self.config.batch * n);
        let offset = self.rows.start * n;
        let (batch, acc) = (&mut self.batch, &mut self.acc);
        if rows.start == 0 {
            acc.part.post.clear();
        }
        let rows_done = rows.end / n;
        push_blocks(
            &mut acc.part.post,
            self.config.kernels,
            &batch.x,
            n,
            rows_done,
            local,
        );
        Self::take_samples(acc, &batch.x, rows, offset, entries);
    }

    /// Every k-th entry of x^l (of the whole batch's `entries`, k from their number) in `rows`
    /// of this simulation's x, whose first entry is entry `offset` of the whole batch.
    fn take_samples(
        acc: &mut LayerAcc,
        x: &[f32],
        rows: Range<usize>,
        offset: usize,
        entries: usize,
    ) {
        let stride = sample_stride(entries);
        let first = (offset + rows.start).div_ceil(stride) * stride - offset;
        acc.samples
            .extend(x[first.min(rows.end)..rows.end].iter().step_by(stride));
    }

    /// The pass that has just finished is a forward one: finalizes it and picks the next task.
    pub(super) fn end_forward_pass(&mut self) {
        let (n, b) = (self.config.width, self.rows.len());
        match self.cursor.task {
            Task::Input => {
                self.batch.input_ready = true;
                if self.runs_pairs() {
                    self.cursor.task = Task::PairInput;
                } else {
                    self.begin_forward_layer(1);
                }
            }
            Task::PairInput => {
                self.pairs.allocate(n);
                self.begin_forward_layer(1);
            }
            Task::Weights => {
                self.weights.keep();
                self.cursor.task = Task::Bias;
            }
            Task::Bias => {
                self.batch.h.resize(b * n, 0.0);
                self.batch.x.resize(b * n, 0.0);
                self.cursor.task = Task::Matmul;
                if self.config.is_residual() {
                    // The stream is updated in place: it starts as x^0.
                    if self.cursor.layer == 1 {
                        self.batch.x.copy_from_slice(&self.batch.input);
                    }
                    if self.config.norm != Normalization::None {
                        // Pre-norm: the branch normalizes a copy of the stream.
                        self.batch.u.clear();
                        self.batch.u.extend_from_slice(&self.batch.x);
                        self.cursor.task = self.begin_norm();
                    }
                }
            }
            Task::Matmul => {
                self.cursor.task = if self.post_norm() || self.config.is_residual() {
                    Task::Activate
                } else {
                    self.begin_norm()
                };
            }
            Task::BatchMean => self.gather(ExchangeKind::ColumnSums, Task::BatchVar),
            Task::BatchVar => self.gather(ExchangeKind::ColumnDeviations, Task::BatchApply),
            Task::BatchApply | Task::RowNorm => {
                self.cursor.task = if self.config.is_residual() {
                    Task::Matmul
                } else if self.post_norm() {
                    Task::PostMoments
                } else {
                    Task::Activate
                }
            }
            Task::Activate if self.post_norm() => self.cursor.task = self.begin_norm(),
            Task::Activate | Task::PostMoments => {
                self.pairs.cos_sum = 0.0;
                if self.runs_pairs() {
                    self.cursor.task = Task::Pairs;
                } else {
                    self.end_forward_layer();
                }
            }
            Task::Pairs => self.end_forward_layer(),
            task => unreachable!("not a forward pass: {task:?}"),
        }
    }

    /// Prepares the normalization of the current layer and returns its first pass.
    fn begin_norm(&mut self) -> Task {
        let (n, b) = (self.config.width, self.rows.len());
        match self.config.norm {
            Normalization::None => Task::Activate,
            Normalization::Batch => {
                self.norm.reset_partials(b.div_ceil(ROW_BLOCK), n);
                Task::BatchMean
            }
            Normalization::Layer | Normalization::Group | Normalization::Rms => {
                let groups = RowNorm::of(&self.config).map_or(1, |r| r.groups);
                self.norm.inv_std = vec![0.0; b * groups];
                Task::RowNorm
            }
        }
    }

    pub(super) fn begin_forward_layer(&mut self, layer: usize) {
        if layer > self.config.depth {
            self.cursor.forward_done = true;
            if self.backward_skipped.is_some() || self.config.depth == 0 {
                self.finish();
            } else {
                self.cursor.stream = Rng::stream(self.config.seed, Stream::BackwardSeed);
                self.cursor.task = Task::Seed;
            }
            return;
        }
        self.cursor.layer = layer;
        self.start_weights(layer);
        self.cursor.task = Task::Weights;
    }

    /// Starts drawing W^`layer`.
    pub(super) fn start_weights(&mut self, layer: usize) {
        self.weights.start(&self.config, layer);
    }

    fn end_forward_layer(&mut self) {
        self.results.forwarded += 1;
        if self.config.norm == Normalization::Batch {
            self.results
                .batch_norm
                .push((self.norm.col_sum.clone(), self.norm.inv_std.clone()));
        }
        let pair_corr = if self.runs_pairs() {
            self.pairs.cos_sum / CORR_PAIRS as f64
        } else {
            f64::NAN
        };
        let acc = &mut self.acc;
        let part = std::mem::take(&mut acc.part);
        let (stats, nonfinite) =
            combine_layer(&[&part], self.config.batch * self.config.width, pair_corr);
        self.results.stats.push(stats);
        self.results.nonfinite.push(nonfinite);
        self.results.parts.push(part);
        self.results.samples.push(std::mem::take(&mut acc.samples));
        if self.plan.backward {
            // After the activation, the normalized x^l is kept too (x^l itself goes on as the
            // next layer's input); in a residual block, the normalized stream norm(x^(l-1)).
            let normalized_x = if self.post_norm() {
                self.batch.x.clone()
            } else if self.config.is_residual() {
                std::mem::take(&mut self.batch.u)
            } else {
                Vec::new()
            };
            self.back.store_layer(
                std::mem::take(&mut self.batch.h),
                normalized_x,
                std::mem::take(&mut self.norm.inv_std),
            );
        }
        self.begin_forward_layer(self.cursor.layer + 1);
    }
}

/// out = x W + b for the rows of `x` (width = the bias's length): the matmul, then the bias
/// added to each row (the batch's and the pairs' layers).
pub(super) fn affine_rows(
    path: crate::kernels::KernelPath,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: &mut [f32],
) {
    let n = bias.len();
    kernels::matmul_with(path, x, w, n, n, out);
    for row in out.chunks_exact_mut(n) {
        for (h, &b) in row.iter_mut().zip(bias) {
            *h += b;
        }
    }
}

/// x += s p entry by entry (x + (s p) in f32): a residual block's stream update.
pub(super) fn add_branch(x: &mut [f32], p: &[f32], s: f32) {
    for (x, &p) in x.iter_mut().zip(p) {
        *x += s * p;
    }
}

/// k = ceil(entries / 2048): keeping every k-th entry leaves at most 2048 samples.
fn sample_stride(entries: usize) -> usize {
    entries.div_ceil(MAX_SAMPLES).max(1)
}
