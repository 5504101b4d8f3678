//! The explicit normalizations of h^l, written once for the batch and the correlation pairs,
//! forward and backward.
//!
//! Forward: y = (h - mean) inv_std rounded to f32, with inv_std = 1 / sqrt(var + [`NORM_EPS`])
//! (population variance); BatchNorm takes mean and inv_std per column over the batch, LayerNorm
//! per row over the width. Backward: delta = s (dy - mean(dy) - y mean(dy y)) with s the inverse
//! std and the means over the normalization group.

use crate::config::NORM_EPS;

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
}

impl NormStats {
    /// Fresh column accumulators for a layer of `width` columns (BatchNorm).
    pub(super) fn reset_columns(&mut self, width: usize) {
        self.col_sum = vec![0.0; width];
        self.col_sum2 = vec![0.0; width];
    }

    /// Adds the rows of `h` (rows of `width`) to the column sums.
    pub(super) fn add_column_sums(&mut self, h: &[f32], width: usize) {
        for h_row in h.chunks_exact(width) {
            for (s, &h) in self.col_sum.iter_mut().zip(h_row) {
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

    /// Adds the squared deviations of the rows of `h` from the column means.
    pub(super) fn add_column_deviations(&mut self, h: &[f32], width: usize) {
        for h_row in h.chunks_exact(width) {
            for ((s2, &mean), &h) in self.col_sum2.iter_mut().zip(&self.col_sum).zip(h_row) {
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

/// One entry of the normalization's backward pass: s (dy - mean(dy) - y mean(dy y)), rounded
/// to f32.
#[inline(always)]
pub(super) fn backward_entry(inv_std: f32, dy: f32, y: f32, mean_dy: f64, mean_dy_y: f64) -> f32 {
    (f64::from(inv_std) * (f64::from(dy) - mean_dy - f64::from(y) * mean_dy_y)) as f32
}

/// LayerNorm backward of one row (dy in `d_row`, overwritten by delta) with its stored
/// normalized values `y_row` and inverse std; adds each delta^2 to `sum2`.
pub(super) fn layer_norm_backward_row(
    d_row: &mut [f32],
    y_row: &[f32],
    inv_std: f32,
    sum2: &mut f64,
) {
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
    /// of `d` (dL/dy) and `y` (the stored normalized values).
    pub(super) fn add_backward_sums(&mut self, d: &[f32], y: &[f32], width: usize) {
        for (d_row, y_row) in d.chunks_exact(width).zip(y.chunks_exact(width)) {
            for j in 0..width {
                self.col_sum[j] += f64::from(d_row[j]);
                self.col_sum2[j] += f64::from(d_row[j]) * f64::from(y_row[j]);
            }
        }
    }

    /// BatchNorm backward, second pass: overwrites dL/dy in the rows of `d` by delta, with the
    /// column sums over `count` rows and the stored column inverse stds `inv_std`; adds each
    /// delta^2 to `sum2`.
    pub(super) fn batch_norm_backward_rows(
        &self,
        d: &mut [f32],
        y: &[f32],
        inv_std: &[f32],
        count: usize,
        sum2: &mut f64,
    ) {
        let width = inv_std.len();
        let count = count as f64;
        for (d_row, y_row) in d.chunks_exact_mut(width).zip(y.chunks_exact(width)) {
            for j in 0..width {
                let mean_dy = self.col_sum[j] / count;
                let mean_dy_y = self.col_sum2[j] / count;
                d_row[j] = backward_entry(inv_std[j], d_row[j], y_row[j], mean_dy, mean_dy_y);
                *sum2 += f64::from(d_row[j]).powi(2);
            }
        }
    }
}
