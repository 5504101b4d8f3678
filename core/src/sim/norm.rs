//! The explicit normalizations of h^l, written once for the batch and the correlation pairs,
//! forward and backward.
//!
//! Forward: y = (h - mean) inv_std rounded to f32, with inv_std = 1 / sqrt(var + [`NORM_EPS`])
//! (population variance); BatchNorm takes mean and inv_std per column over the batch, LayerNorm
//! per row over the width, GroupNorm per row over each group of consecutive units. RMSNorm: y =
//! h inv_std with inv_std = 1 / sqrt(mean(h^2) + eps) per row, no centring. Backward: delta = s
//! (dy - mean(dy) - y mean(dy y)) with s the inverse std and the means over the normalization
//! group; RMSNorm drops the mean(dy) term (its y does not depend on the mean of h).

use super::shard::ROW_BLOCK;
use crate::config::{Config, Normalization, NORM_EPS};

/// The current layer's normalization statistics: BatchNorm's column means and sums of squared
/// deviations (reused as the column sums of dL/dy and dL/dy y in the backward pass), and the
/// inverse standard deviations (per column for BatchNorm, per row for LayerNorm).
#[derive(Clone, Debug, Default)]
pub(super) struct NormStats {
    /// Column sums, then column means (BatchNorm forward); column sums of dL/dy (backward).
    pub(super) col_sum: Vec<f64>,
    /// Column sums of squared deviations (forward); column sums of dL/dy y (backward).
    pub(super) col_sum2: Vec<f64>,
    /// Inverse standard deviations of the current layer (per column or per row).
    pub(super) inv_std: Vec<f64>,
    /// BatchNorm: the column sums being accumulated, one partial per block of
    /// [`ROW_BLOCK`] rows (see [`super::shard`]): width values (forward), or those of dL/dy
    /// then of dL/dy y (backward, 2 width values).
    pub(super) partials: Vec<Vec<f64>>,
}

impl NormStats {
    /// Fresh partial column sums of `len` values for `blocks` blocks of rows (BatchNorm).
    pub(super) fn reset_partials(&mut self, blocks: usize, len: usize) {
        self.partials = vec![vec![0.0; len]; blocks];
    }

    /// Adds the rows of `h` (rows of `width`; the first is row `r0`) to their blocks' column
    /// sums.
    pub(super) fn add_column_sums(&mut self, h: &[f32], width: usize, r0: usize) {
        for (i, h_row) in h.chunks_exact(width).enumerate() {
            let partial = &mut self.partials[(r0 + i) / ROW_BLOCK];
            for (s, &h) in partial.iter_mut().zip(h_row) {
                *s += f64::from(h);
            }
        }
    }

    /// Turns the column sums into means over `count` rows.
    pub(super) fn finish_means(&mut self, count: usize) {
        for s in &mut self.col_sum {
            *s /= count as f64;
        }
    }

    /// Adds the squared deviations of the rows of `h` (the first is row `r0`) from the column
    /// means to their blocks' sums.
    pub(super) fn add_column_deviations(&mut self, h: &[f32], width: usize, r0: usize) {
        for (i, h_row) in h.chunks_exact(width).enumerate() {
            let partial = &mut self.partials[(r0 + i) / ROW_BLOCK];
            for ((s2, &mean), &h) in partial.iter_mut().zip(&self.col_sum).zip(h_row) {
                *s2 += (f64::from(h) - mean).powi(2);
            }
        }
    }

    /// The column inverse stds from the sums of squared deviations over `count` rows.
    pub(super) fn finish_inv_stds(&mut self, count: usize) {
        self.inv_std = self
            .col_sum2
            .iter()
            .map(|&s2| 1.0 / (s2 / count as f64 + NORM_EPS).sqrt())
            .collect();
    }

    /// BatchNorm of one row with the column means and inverse stds held.
    pub(super) fn batch_norm_row(&self, h_row: &mut [f32]) {
        for ((h, &mean), &inv_std) in h_row.iter_mut().zip(&self.col_sum).zip(&self.inv_std) {
            *h = standardize(*h, mean, inv_std);
        }
    }
}

/// (h - mean) inv_std in f64, rounded to f32.
#[inline(always)]
fn standardize(h: f32, mean: f64, inv_std: f64) -> f32 {
    ((f64::from(h) - mean) * inv_std) as f32
}

/// LayerNorm of one row over its entries; returns the row's inverse std.
pub(super) fn layer_norm_row(h_row: &mut [f32]) -> f64 {
    let (mean, var) = crate::stats::mean_var(h_row);
    let inv_std = 1.0 / (var + NORM_EPS).sqrt();
    for h in h_row.iter_mut() {
        *h = standardize(*h, mean, inv_std);
    }
    inv_std
}

/// RMSNorm of one row over its entries; returns the row's inverse root mean square.
pub(super) fn rms_norm_row(h_row: &mut [f32]) -> f64 {
    let ms = h_row.iter().map(|&h| f64::from(h).powi(2)).sum::<f64>() / h_row.len() as f64;
    let inv_rms = 1.0 / (ms + NORM_EPS).sqrt();
    for h in h_row.iter_mut() {
        *h = standardize(*h, 0.0, inv_rms);
    }
    inv_rms
}

/// RMSNorm backward of one row: delta = s (dy - y mean(dy y)); adds each delta^2 to `sum2`.
fn rms_norm_backward_row(d_row: &mut [f32], y_row: &[f32], inv_rms: f32, sum2: &mut f64) {
    let count = d_row.len() as f64;
    let mean_dy_y = d_row
        .iter()
        .zip(y_row)
        .map(|(&d, &yv)| f64::from(d) * f64::from(yv))
        .sum::<f64>()
        / count;
    for (d, &yv) in d_row.iter_mut().zip(y_row) {
        *d = backward_entry(inv_rms, *d, yv, 0.0, mean_dy_y);
        *sum2 += f64::from(*d).powi(2);
    }
}

/// The per-example normalizations (LayerNorm, GroupNorm, RMSNorm) as one shape: each row in
/// `groups` segments of consecutive units, each standardized (centred) or divided by its root
/// mean square on its own, with one inverse std per segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RowNorm {
    pub(super) groups: usize,
    pub(super) centre: bool,
}

impl RowNorm {
    /// The per-example normalization of `config`, if it has one.
    pub(super) fn of(config: &Config) -> Option<RowNorm> {
        match config.norm {
            Normalization::None | Normalization::Batch => None,
            Normalization::Layer => Some(RowNorm {
                groups: 1,
                centre: true,
            }),
            Normalization::Group => Some(RowNorm {
                groups: config.groups,
                centre: true,
            }),
            Normalization::Rms => Some(RowNorm {
                groups: 1,
                centre: false,
            }),
        }
    }

    /// Normalizes one row in place and writes each segment's inverse std to `inv_std`
    /// (`groups` entries).
    pub(super) fn forward_row(self, h_row: &mut [f32], inv_std: &mut [f64]) {
        let size = h_row.len() / self.groups;
        for (segment, s) in h_row.chunks_exact_mut(size).zip(inv_std) {
            *s = if self.centre {
                layer_norm_row(segment)
            } else {
                rms_norm_row(segment)
            };
        }
    }

    /// The backward pass of one row (dy in `d_row`, overwritten by delta) with the stored
    /// normalized values `y_row` and the segments' inverse stds; adds each delta^2 to `sum2`.
    pub(super) fn backward_row(
        self,
        d_row: &mut [f32],
        y_row: &[f32],
        inv_std: &[f32],
        sum2: &mut f64,
    ) {
        let size = d_row.len() / self.groups;
        for ((d, y), &s) in d_row
            .chunks_exact_mut(size)
            .zip(y_row.chunks_exact(size))
            .zip(inv_std)
        {
            if self.centre {
                layer_norm_backward_row(d, y, s, sum2);
            } else {
                rms_norm_backward_row(d, y, s, sum2);
            }
        }
    }
}

/// One entry of the normalization's backward pass: s (dy - mean(dy) - y mean(dy y)), rounded
/// to f32.
#[inline(always)]
pub(super) fn backward_entry(inv_std: f32, dy: f32, y: f32, mean_dy: f64, mean_dy_y: f64) -> f32 {
    (f64::from(inv_std) * (f64::from(dy) - mean_dy - f64::from(y) * mean_dy_y)) as f32
}

/// LayerNorm backward of one row (dy in `d_row`, overwritten by delta) with its stored
/// normalized values `y_row` and inverse std; adds each delta^2 to `sum2`.
fn layer_norm_backward_row(d_row: &mut [f32], y_row: &[f32], inv_std: f32, sum2: &mut f64) {
    let count = d_row.len() as f64;
    let mean_dy = d_row.iter().map(|&d| f64::from(d)).sum::<f64>() / count;
    let mean_dy_y = d_row
        .iter()
        .zip(y_row)
        .map(|(&d, &yv)| f64::from(d) * f64::from(yv))
        .sum::<f64>()
        / count;
    for (d, &yv) in d_row.iter_mut().zip(y_row) {
        *d = backward_entry(inv_std, *d, yv, mean_dy, mean_dy_y);
        *sum2 += f64::from(*d).powi(2);
    }
}

impl NormStats {
    /// BatchNorm backward, first pass: adds the column sums of dL/dy and dL/dy y over the rows
    /// of `d` (dL/dy) and `y` (the stored normalized values), the first being row `r0`, to
    /// their blocks' partials.
    pub(super) fn add_backward_sums(&mut self, d: &[f32], y: &[f32], width: usize, r0: usize) {
        for (i, (d_row, y_row)) in d.chunks_exact(width).zip(y.chunks_exact(width)).enumerate() {
            let (sum, sum_y) = self.partials[(r0 + i) / ROW_BLOCK].split_at_mut(width);
            for j in 0..width {
                sum[j] += f64::from(d_row[j]);
                sum_y[j] += f64::from(d_row[j]) * f64::from(y_row[j]);
            }
        }
    }

    /// BatchNorm backward, second pass: overwrites dL/dy in the rows of `d` by delta, with the
    /// column sums over `count` rows and the stored column inverse stds `inv_std`; adds each
    /// delta^2 to the sum of its block in `sum2` (the first row is row `r0`; an empty `sum2`
    /// keeps no sums).
    pub(super) fn batch_norm_backward_rows(
        &self,
        d: &mut [f32],
        y: &[f32],
        inv_std: &[f32],
        count: usize,
        r0: usize,
        sum2: &mut [f64],
    ) {
        let width = inv_std.len();
        let count = count as f64;
        for (i, (d_row, y_row)) in d
            .chunks_exact_mut(width)
            .zip(y.chunks_exact(width))
            .enumerate()
        {
            let mut block_sum = sum2.get_mut((r0 + i) / ROW_BLOCK);
            for j in 0..width {
                let mean_dy = self.col_sum[j] / count;
                let mean_dy_y = self.col_sum2[j] / count;
                d_row[j] = backward_entry(inv_std[j], d_row[j], y_row[j], mean_dy, mean_dy_y);
                if let Some(s) = block_sum.as_deref_mut() {
                    *s += f64::from(d_row[j]).powi(2);
                }
            }
        }
    }
}
