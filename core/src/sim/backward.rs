//! The backward pass: L = sum(g * x^depth) for a fixed g ~ N(0, 1), delta^l = dL/dh^l through
//! phi and the normalization (see [`super::norm`]), dL/dx^(l-1) = delta^l (W^l)^T, and the
//! per-layer gradient RMS.

use super::norm::RowNorm;
use super::plan::Task;
use super::shard::{combine_layer, draw_rows, ExchangeKind, ROW_BLOCK};
use super::Simulation;
use crate::config::Normalization;
use crate::kernels;
use std::ops::Range;

/// What the backward pass keeps and works on.
#[derive(Clone, Debug, Default)]
pub(super) struct Backward {
    /// h^l of every layer as the activation saw it (normalized when the normalization is
    /// before the activation), stored by the forward pass.
    pre_store: Vec<Vec<f32>>,
    /// The normalized x^l of every layer when the normalization is after the activation (else
    /// empty).
    post_store: Vec<Vec<f32>>,
    /// The normalization's inverse standard deviations of every layer.
    inv_std_store: Vec<Vec<f32>>,
    /// dL/dx^l.
    grad: Vec<f32>,
    /// dL/dh^l.
    delta: Vec<f32>,
    /// Residual blocks: the branch's contribution to dL/dx^(l-1) (delta^l (W^l)^T, then back
    /// through the normalization of the stream).
    branch: Vec<f32>,
    /// Sums of delta^2 over the current layer, one per block of [`ROW_BLOCK`] rows.
    sum2: Vec<f64>,
}

impl Backward {
    /// Keeps a layer's h^l (the activation's input), its normalized x^l (empty unless the
    /// normalization is after the activation) and inverse stds (rounded to f32) for the backward
    /// pass.
    pub(super) fn store_layer(&mut self, h: Vec<f32>, normalized_x: Vec<f32>, inv_std: Vec<f64>) {
        self.pre_store.push(h);
        self.post_store.push(normalized_x);
        self.inv_std_store
            .push(inv_std.into_iter().map(|s| s as f32).collect());
    }

    /// Frees the working gradients and restarts the sums; the stored layers stay (for a
    /// deeper network, see `Simulation::extend`).
    pub(super) fn restart(&mut self) {
        self.grad = Vec::new();
        self.delta = Vec::new();
        self.branch = Vec::new();
        self.sum2 = Vec::new();
    }
}

impl Simulation {
    /// Draws rows of g, the seed of dL/dx^depth (rows of the whole batch; a shard keeps its
    /// own).
    pub(super) fn seed_rows(&mut self, rows: Range<usize>) {
        let n = self.config.width;
        self.back.grad.resize(self.rows.len() * n, 0.0);
        draw_rows(
            &mut self.cursor.stream,
            &mut self.back.grad,
            &self.rows,
            rows,
            n,
            0.0,
            1.0,
        );
    }

    /// Backward through phi (and LayerNorm) for rows r0..r1: dL/dy = dL/dx^l phi'(y) with y the
    /// stored normalized h^l; without normalization that is delta^l; LayerNorm finishes each row
    /// here; BatchNorm accumulates the column sums of dL/dy and dL/dy * y.
    pub(super) fn back_local(&mut self, r0: usize, r1: usize) {
        if self.config.is_residual() {
            return self.back_local_residual(r0, r1);
        }
        if self.post_norm() {
            return self.back_local_post(r0, r1);
        }
        let n = self.config.width;
        let rows = r0 * n..r1 * n;
        let layer = self.cursor.layer;
        let back = &mut self.back;
        let y = &back.pre_store[layer - 1];
        self.config.activation.derivative_slice_with(
            self.config.kernels,
            &y[rows.clone()],
            &mut back.delta[rows.clone()],
        );
        // One rounding of the exact product, as (g phi'(y)) in f64 rounded to f32 would give.
        for (d, &g) in back.delta[rows.clone()]
            .iter_mut()
            .zip(&back.grad[rows.clone()])
        {
            *d *= g;
        }
        match self.config.norm {
            Normalization::None => {
                for (i, d_row) in back.delta[rows].chunks_exact(n).enumerate() {
                    let sum2 = &mut back.sum2[(r0 + i) / ROW_BLOCK];
                    for &d in d_row {
                        *sum2 += f64::from(d).powi(2);
                    }
                }
            }
            Normalization::Batch => {
                self.norm
                    .add_backward_sums(&back.delta[rows.clone()], &y[rows], n, r0)
            }
            Normalization::Layer | Normalization::Group | Normalization::Rms => {
                let row_norm = RowNorm::of(&self.config).expect("a per-example normalization");
                let g = row_norm.groups;
                let s = &back.inv_std_store[layer - 1];
                for (i, ((d_row, y_row), inv_std)) in back.delta[rows.clone()]
                    .chunks_exact_mut(n)
                    .zip(y[rows].chunks_exact(n))
                    .zip(s[r0 * g..r1 * g].chunks_exact(g))
                    .enumerate()
                {
                    let sum2 = &mut back.sum2[(r0 + i) / ROW_BLOCK];
                    row_norm.backward_row(d_row, y_row, inv_std, sum2);
                }
            }
        }
    }

    /// A residual block, rows r0..r1: delta^l = dL/dx^l s phi'(h^l) (rounded after each
    /// product), with its sum of squares.
    fn back_local_residual(&mut self, r0: usize, r1: usize) {
        let n = self.config.width;
        let rows = r0 * n..r1 * n;
        let layer = self.cursor.layer;
        let s = self.config.branch_scale();
        let back = &mut self.back;
        self.config.activation.derivative_slice_with(
            self.config.kernels,
            &back.pre_store[layer - 1][rows.clone()],
            &mut back.delta[rows.clone()],
        );
        for (i, (d_row, g_row)) in back.delta[rows.clone()]
            .chunks_exact_mut(n)
            .zip(back.grad[rows].chunks_exact(n))
            .enumerate()
        {
            let sum2 = &mut back.sum2[(r0 + i) / ROW_BLOCK];
            for (d, &g) in d_row.iter_mut().zip(g_row) {
                *d = *d * g * s;
                *sum2 += f64::from(*d).powi(2);
            }
        }
    }

    /// A residual block with BatchNorm, rows r0..r1: the column sums of the branch's gradient
    /// and of its product with the stored normalized stream.
    pub(super) fn residual_batch_sums(&mut self, rows: Range<usize>) {
        let layer = self.cursor.layer;
        let r0 = rows.start / self.config.width;
        self.norm.add_backward_sums(
            &self.back.branch[rows.clone()],
            &self.back.post_store[layer - 1][rows],
            self.config.width,
            r0,
        );
    }

    /// A residual block, rows r0..r1: the branch's gradient back through the normalization of
    /// the stream (if any), added to dL/dx^l: dL/dx^(l-1) = dL/dx^l + branch.
    pub(super) fn residual_add(&mut self, r0: usize, r1: usize) {
        let n = self.config.width;
        let rows = r0 * n..r1 * n;
        let layer = self.cursor.layer;
        let back = &mut self.back;
        // The sums of squares of these gradients are not reported.
        let mut unused = 0.0;
        match (self.config.norm, RowNorm::of(&self.config)) {
            (Normalization::None, _) => {}
            (Normalization::Batch, _) => self.norm.batch_norm_backward_rows(
                &mut back.branch[rows.clone()],
                &back.post_store[layer - 1][rows.clone()],
                &back.inv_std_store[layer - 1],
                self.config.batch,
                r0,
                &mut [],
            ),
            (_, Some(row_norm)) => {
                let g = row_norm.groups;
                let s = &back.inv_std_store[layer - 1];
                for ((d_row, y_row), inv_std) in back.branch[rows.clone()]
                    .chunks_exact_mut(n)
                    .zip(back.post_store[layer - 1][rows.clone()].chunks_exact(n))
                    .zip(s[r0 * g..r1 * g].chunks_exact(g))
                {
                    row_norm.backward_row(d_row, y_row, inv_std, &mut unused);
                }
            }
            (_, None) => unreachable!("a per-example normalization without its RowNorm"),
        }
        super::forward::add_branch(&mut back.grad[rows.clone()], &back.branch[rows], 1.0);
    }

    /// The normalization after the activation, rows r0..r1: dL/dx^l goes back through the
    /// normalization first (the per-example ones here, row by row, then through phi';
    /// BatchNorm accumulates its column sums of dL/dx^l and dL/dx^l * y with y the stored
    /// normalized x^l, and [`Simulation::back_batch_rows`] finishes).
    fn back_local_post(&mut self, r0: usize, r1: usize) {
        let n = self.config.width;
        let rows = r0 * n..r1 * n;
        let layer = self.cursor.layer;
        let back = &mut self.back;
        let y = &back.post_store[layer - 1];
        match RowNorm::of(&self.config) {
            None => {
                self.norm
                    .add_backward_sums(&back.grad[rows.clone()], &y[rows], n, r0);
            }
            Some(row_norm) => {
                let g = row_norm.groups;
                let s = &back.inv_std_store[layer - 1];
                back.delta[rows.clone()].copy_from_slice(&back.grad[rows.clone()]);
                // The sum of squares here would be dL/d(phi(h))'s; delta^l's is taken below.
                let mut unused = 0.0;
                for ((d_row, y_row), inv_std) in back.delta[rows.clone()]
                    .chunks_exact_mut(n)
                    .zip(y[rows.clone()].chunks_exact(n))
                    .zip(s[r0 * g..r1 * g].chunks_exact(g))
                {
                    row_norm.backward_row(d_row, y_row, inv_std, &mut unused);
                }
                self.through_phi(rows);
            }
        }
    }

    /// delta^l = dL/d(phi(h^l)) phi'(h^l) in place (the normalization after the activation),
    /// with its sum of squares.
    fn through_phi(&mut self, rows: Range<usize>) {
        let layer = self.cursor.layer;
        let n = self.config.width;
        let r0 = rows.start / n;
        let back = &mut self.back;
        let mut deriv = vec![0.0f32; rows.len()];
        self.config.activation.derivative_slice_with(
            self.config.kernels,
            &back.pre_store[layer - 1][rows.clone()],
            &mut deriv,
        );
        for (i, (d_row, p_row)) in back.delta[rows]
            .chunks_exact_mut(n)
            .zip(deriv.chunks_exact(n))
            .enumerate()
        {
            let sum2 = &mut back.sum2[(r0 + i) / ROW_BLOCK];
            for (d, &p) in d_row.iter_mut().zip(p_row) {
                *d *= p;
                *sum2 += f64::from(*d).powi(2);
            }
        }
    }

    /// BatchNorm backward for a block of rows: delta^l from the column sums (after the
    /// activation: dL/d(phi(h^l)) from the column sums of dL/dx^l, then through phi').
    pub(super) fn back_batch_rows(&mut self, rows: Range<usize>) {
        let layer = self.cursor.layer;
        let post = self.post_norm();
        let r0 = rows.start / self.config.width;
        let back = &mut self.back;
        if post {
            back.delta[rows.clone()].copy_from_slice(&back.grad[rows.clone()]);
            self.norm.batch_norm_backward_rows(
                &mut back.delta[rows.clone()],
                &back.post_store[layer - 1][rows.clone()],
                &back.inv_std_store[layer - 1],
                self.config.batch,
                r0,
                &mut [],
            );
            self.through_phi(rows);
        } else {
            self.norm.batch_norm_backward_rows(
                &mut back.delta[rows.clone()],
                &back.pre_store[layer - 1][rows],
                &back.inv_std_store[layer - 1],
                self.config.batch,
                r0,
                &mut back.sum2,
            );
        }
    }

    /// dL/dx^(l-1) = delta^l (W^l)^T for a block of rows.
    /// (In a residual block, into the branch's gradient.)
    pub(super) fn back_matmul_rows(&mut self, rows: Range<usize>) {
        let n = self.config.width;
        let back = &mut self.back;
        let out = if self.config.is_residual() {
            &mut back.branch
        } else {
            &mut back.grad
        };
        kernels::matmul_transposed_with(
            self.config.kernels,
            &back.delta[rows.clone()],
            self.weights.of_layer(self.cursor.layer),
            n,
            n,
            &mut out[rows],
        );
    }

    /// The pass that has just finished is a backward one: finalizes it and picks the next task.
    pub(super) fn end_backward_pass(&mut self) {
        let entries = self.config.batch * self.config.width;
        match self.cursor.task {
            Task::Seed => self.begin_backward_layer(self.config.depth),
            Task::BackWeights => self.cursor.task = Task::BackLocal,
            Task::BackLocal
                if self.config.norm == Normalization::Batch && !self.config.is_residual() =>
            {
                self.gather(ExchangeKind::BackwardSums, Task::BackBatchApply)
            }
            Task::BackLocal | Task::BackBatchApply => {
                let layer = self.cursor.layer;
                let part = &mut self.results.parts[layer - 1];
                part.grad_sum2 = std::mem::take(&mut self.back.sum2);
                self.results.stats[layer - 1].grad_rms =
                    combine_layer(&[part], entries, f64::NAN).0.grad_rms;
                self.cursor.backward_reached = layer;
                if layer > 1 {
                    self.cursor.task = Task::BackMatmul;
                } else {
                    self.finish();
                }
            }
            Task::BackMatmul if self.config.is_residual() => {
                self.cursor.task = if self.config.norm == Normalization::Batch {
                    Task::ResBackSums
                } else {
                    Task::ResBackAdd
                }
            }
            Task::ResBackSums => self.gather(ExchangeKind::BackwardSums, Task::ResBackAdd),
            Task::BackMatmul | Task::ResBackAdd => self.begin_backward_layer(self.cursor.layer - 1),
            task => unreachable!("not a backward pass: {task:?}"),
        }
    }

    fn begin_backward_layer(&mut self, layer: usize) {
        let (n, b) = (self.config.width, self.rows.len());
        let blocks = b.div_ceil(ROW_BLOCK);
        self.cursor.layer = layer;
        self.back.delta.resize(b * n, 0.0);
        self.back.sum2 = vec![0.0; blocks];
        if self.config.is_residual() {
            self.back.branch.resize(b * n, 0.0);
        }
        if self.config.norm == Normalization::Batch {
            self.norm.reset_partials(blocks, 2 * n);
        }
        // Without the cache, W^depth is still in memory from the forward pass and W^1 is not needed.
        if !self.plan.cache_weights && layer > 1 && layer < self.config.depth {
            self.start_weights(layer);
            self.cursor.task = Task::BackWeights;
        } else {
            self.cursor.task = Task::BackLocal;
        }
    }
}
