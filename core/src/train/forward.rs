//! The forward pass of the Train lab's classifier (dense layers, BatchNorm or LayerNorm, the
//! activation, dropout), its loss and BatchNorm's running-statistics update; the definitions are
//! in the documentation of [`crate::train::model`].

use crate::config::{Normalization, NORM_EPS};
use crate::kernels::matmul_with;
use crate::rng::Rng;
use crate::train::dropout::{alpha_dropout_constants, DropoutKind, ALPHA_PRIME};
use crate::train::model::{
    cross_entropy, flush_subnormals, resize, Cache, Layer, Mode, Model, ModelSpec, BN_MOMENTUM,
    PATH,
};

/// The per-example normalizations' shape: (segments per row, centred). LayerNorm (1, true),
/// GroupNorm (groups, true), RMSNorm (1, false).
pub(super) fn row_norm_shape(spec: &crate::train::ModelSpec) -> (usize, bool) {
    match spec.norm {
        Normalization::Group => (spec.groups.max(1), true),
        Normalization::Rms => (1, false),
        _ => (1, true),
    }
}

impl Model {
    /// The forward pass of `rows` examples `x` (rows x inputs) into `cache` (logits in
    /// `cache.logits`). Training mode draws dropout masks from `dropout_rng` (not touched in
    /// evaluation mode or at rate 0) and records the BatchNorm batch statistics in the cache
    /// without updating the running statistics (see [`Model::update_running_stats`]).
    pub fn forward(
        &self,
        x: &[f32],
        rows: usize,
        mode: Mode,
        dropout_rng: &mut Rng,
        cache: &mut Cache,
    ) {
        let spec = &self.spec;
        let depth = spec.depth;
        assert_eq!(x.len(), rows * spec.inputs, "forward: x has the wrong size");
        assert!(
            !(mode == Mode::Train && spec.norm == Normalization::Batch && rows < 2),
            "BatchNorm in training mode needs at least 2 rows"
        );
        cache.rows = rows;
        cache.mode = Some(mode);
        cache.input.resize(depth + 1, Vec::new());
        for v in [
            &mut cache.h,
            &mut cache.xhat,
            &mut cache.inv_std,
            &mut cache.z,
            &mut cache.branch_in,
        ] {
            v.resize(depth, Vec::new());
        }
        cache.batch_mean.resize(depth, Vec::new());
        cache.batch_var_unbiased.resize(depth, Vec::new());
        cache.keep.resize(depth, Vec::new());
        cache.input[0].clear();
        cache.input[0].extend_from_slice(x);
        let dropout_on = dropout_on(spec, mode);
        for l in 0..depth {
            let layer = &self.layers[l];
            let (n_in, n_out) = (layer.fan_in, layer.fan_out);
            if spec.is_residual_block(l) {
                self.residual_forward(l, rows, mode, dropout_rng, cache);
                continue;
            }
            let (before, after) = cache.input.split_at_mut(l + 1);
            let input = &before[l];
            let h = &mut cache.h[l];
            resize(h, rows * n_out);
            matmul_with(PATH, input, &layer.w, n_in, n_out, h);
            for row in h.chunks_exact_mut(n_out) {
                for (v, &b) in row.iter_mut().zip(&layer.b) {
                    *v += b;
                }
            }
            let post = spec.norm_after(l);
            let stats = BatchStats {
                mean: &mut cache.batch_mean[l],
                var_unbiased: &mut cache.batch_var_unbiased[l],
            };
            let (z, xhat, inv_std) = (&mut cache.z[l], &mut cache.xhat[l], &mut cache.inv_std[l]);
            let out = &mut after[0];
            if post {
                // x = norm(phi(h)): the activation sees h itself.
                z.clear();
                z.extend_from_slice(h);
                let act = &mut cache.scratch;
                resize(act, rows * n_out);
                spec.activation.apply_slice_with(PATH, z, act);
                normalize(spec, layer, mode, act, rows, xhat, inv_std, out, stats);
            } else {
                normalize(spec, layer, mode, h, rows, xhat, inv_std, z, stats);
                resize(out, rows * n_out);
                spec.activation.apply_slice_with(PATH, z, out);
            }
            let keep = &mut cache.keep[l];
            keep.clear();
            if dropout_on {
                drop_out(spec, dropout_rng, out, keep);
            }
            flush_subnormals(out);
        }
        let readout = &self.layers[depth];
        resize(&mut cache.logits, rows * readout.fan_out);
        matmul_with(
            PATH,
            &cache.input[depth],
            &readout.w,
            readout.fan_in,
            readout.fan_out,
            &mut cache.logits,
        );
        for row in cache.logits.chunks_exact_mut(readout.fan_out) {
            for (v, &b) in row.iter_mut().zip(&readout.b) {
                *v += b;
            }
        }
    }

    /// Residual block `l` (hidden, 0-based, l >= 1): u = norm(x) (the layer's scale and shift),
    /// h = u W + b, x' = x + s drop(phi(h)).
    fn residual_forward(
        &self,
        l: usize,
        rows: usize,
        mode: Mode,
        dropout_rng: &mut Rng,
        cache: &mut Cache,
    ) {
        let spec = &self.spec;
        let layer = &self.layers[l];
        let (n_in, n_out) = (layer.fan_in, layer.fan_out);
        let (before, after) = cache.input.split_at_mut(l + 1);
        let input = &before[l];
        let u = &mut cache.branch_in[l];
        let stats = BatchStats {
            mean: &mut cache.batch_mean[l],
            var_unbiased: &mut cache.batch_var_unbiased[l],
        };
        normalize(
            spec,
            layer,
            mode,
            input,
            rows,
            &mut cache.xhat[l],
            &mut cache.inv_std[l],
            u,
            stats,
        );
        let h = &mut cache.h[l];
        resize(h, rows * n_out);
        matmul_with(PATH, u, &layer.w, n_in, n_out, h);
        for row in h.chunks_exact_mut(n_out) {
            for (v, &b) in row.iter_mut().zip(&layer.b) {
                *v += b;
            }
        }
        let z = &mut cache.z[l];
        z.clear();
        z.extend_from_slice(h);
        let branch = &mut cache.scratch;
        resize(branch, rows * n_out);
        spec.activation.apply_slice_with(PATH, z, branch);
        let keep = &mut cache.keep[l];
        keep.clear();
        if dropout_on(spec, mode) {
            drop_out(spec, dropout_rng, branch, keep);
        }
        let out = &mut after[0];
        out.clear();
        out.extend_from_slice(input);
        let s = spec.res_scale;
        for (o, &b) in out.iter_mut().zip(branch.iter()) {
            *o = (f64::from(*o) + s * f64::from(b)) as f32;
        }
        flush_subnormals(out);
    }

    /// Mean cross-entropy of the cached logits against `labels`; also stores dL/dlogits in the
    /// cache for [`Model::backward`].
    pub fn loss(&self, cache: &mut Cache, labels: &[u32]) -> f64 {
        let mut d = std::mem::take(&mut cache.dlogits);
        resize(&mut d, cache.logits.len());
        let loss = cross_entropy(&cache.logits, labels, self.spec.classes, Some(&mut d));
        flush_subnormals(&mut d);
        cache.dlogits = d;
        loss
    }

    /// BatchNorm's running statistics updated from a training-mode forward pass's batch
    /// statistics (momentum 0.1, unbiased variance). Does nothing without BatchNorm.
    pub fn update_running_stats(&mut self, cache: &Cache) {
        if self.spec.norm != Normalization::Batch || cache.mode != Some(Mode::Train) {
            return;
        }
        let m = BN_MOMENTUM;
        for l in 0..self.spec.depth {
            let layer = &mut self.layers[l];
            for j in 0..layer.fan_out {
                let rm = f64::from(layer.running_mean[j]);
                let rv = f64::from(layer.running_var[j]);
                layer.running_mean[j] = ((1.0 - m) * rm + m * cache.batch_mean[l][j]) as f32;
                layer.running_var[j] = ((1.0 - m) * rv + m * cache.batch_var_unbiased[l][j]) as f32;
            }
        }
    }
}

/// Whether dropout acts in this pass: training mode, a dropout kind and a positive rate.
fn dropout_on(spec: &ModelSpec, mode: Mode) -> bool {
    mode == Mode::Train && spec.dropout != DropoutKind::None && spec.dropout_rate > 0.0
}

/// Dropout of `v` in place with masks drawn from `rng`, recorded in `keep`: standard dropout
/// scales the kept values by 1 / (1 - q), alpha dropout sets the dropped ones to alpha' and
/// applies the affine correction a x + b to all.
fn drop_out(spec: &ModelSpec, rng: &mut Rng, v: &mut [f32], keep: &mut Vec<bool>) {
    let q = spec.dropout_rate;
    let (alpha_a, alpha_b) = alpha_dropout_constants(q);
    keep.reserve(v.len());
    for v in v.iter_mut() {
        let kept = rng.uniform() >= q;
        keep.push(kept);
        *v = match (spec.dropout, kept) {
            (DropoutKind::Standard, true) => (f64::from(*v) / (1.0 - q)) as f32,
            (DropoutKind::Standard, false) => 0.0,
            (_, true) => (alpha_a * f64::from(*v) + alpha_b) as f32,
            (_, false) => (alpha_a * ALPHA_PRIME + alpha_b) as f32,
        };
    }
}

/// BatchNorm's batch statistics of one layer in training mode (for the running statistics).
struct BatchStats<'a> {
    mean: &'a mut Vec<f64>,
    var_unbiased: &'a mut Vec<f64>,
}

/// out = gamma * norm(v) + beta for `rows` rows of `v` (rows x fan_out) with the layer's scale
/// and shift (RMSNorm: scale only), recording the normalized values in `xhat` and the inverse
/// stds in `inv_std` (per unit for BatchNorm, per example and group otherwise); BatchNorm in
/// training mode uses and records the batch's statistics, in evaluation mode the running ones.
/// Without normalization, out = v.
#[allow(clippy::too_many_arguments)]
fn normalize(
    spec: &ModelSpec,
    layer: &Layer,
    mode: Mode,
    v: &[f32],
    rows: usize,
    xhat: &mut Vec<f32>,
    inv_std: &mut Vec<f32>,
    out: &mut Vec<f32>,
    stats: BatchStats,
) {
    let n_out = layer.fan_out;
    let eps = NORM_EPS;
    let BatchStats {
        mean: batch_mean,
        var_unbiased: batch_var_unbiased,
    } = stats;
    match spec.norm {
        Normalization::None => {
            out.clear();
            out.extend_from_slice(v);
            xhat.clear();
            inv_std.clear();
        }
        Normalization::Batch => {
            resize(xhat, rows * n_out);
            resize(out, rows * n_out);
            resize(inv_std, n_out);
            let (mean, var): (Vec<f64>, Vec<f64>) = if mode == Mode::Train {
                let mut mean = vec![0.0f64; n_out];
                for row in v.chunks_exact(n_out) {
                    for (m, &v) in mean.iter_mut().zip(row) {
                        *m += f64::from(v);
                    }
                }
                mean.iter_mut().for_each(|m| *m /= rows as f64);
                let mut ss = vec![0.0f64; n_out];
                for row in v.chunks_exact(n_out) {
                    for ((s, &v), m) in ss.iter_mut().zip(row).zip(&mean) {
                        *s += (f64::from(v) - m).powi(2);
                    }
                }
                let biased = ss.iter().map(|s| s / rows as f64).collect();
                *batch_var_unbiased = ss.iter().map(|s| s / (rows - 1) as f64).collect();
                *batch_mean = mean.clone();
                (mean, biased)
            } else {
                (
                    layer.running_mean.iter().map(|&v| f64::from(v)).collect(),
                    layer.running_var.iter().map(|&v| f64::from(v)).collect(),
                )
            };
            let inv: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
            for (s, &v) in inv_std.iter_mut().zip(&inv) {
                *s = v as f32;
            }
            for ((hr, xr), zr) in v
                .chunks_exact(n_out)
                .zip(xhat.chunks_exact_mut(n_out))
                .zip(out.chunks_exact_mut(n_out))
            {
                for j in 0..n_out {
                    let xh = ((f64::from(hr[j]) - mean[j]) * inv[j]) as f32;
                    xr[j] = xh;
                    zr[j] = layer.gamma[j] * xh + layer.beta[j];
                }
            }
        }
        Normalization::Layer | Normalization::Group | Normalization::Rms => {
            // Per example, in `groups` segments of consecutive units (one for LayerNorm
            // and RMSNorm); RMSNorm does not centre and has no shift.
            let (groups, centre) = row_norm_shape(spec);
            let m = n_out / groups;
            resize(xhat, rows * n_out);
            resize(out, rows * n_out);
            resize(inv_std, rows * groups);
            for (r, ((hr, xr), zr)) in v
                .chunks_exact(n_out)
                .zip(xhat.chunks_exact_mut(n_out))
                .zip(out.chunks_exact_mut(n_out))
                .enumerate()
            {
                for g in 0..groups {
                    let seg = &hr[g * m..(g + 1) * m];
                    let mean = if centre {
                        seg.iter().map(|&v| f64::from(v)).sum::<f64>() / m as f64
                    } else {
                        0.0
                    };
                    let var = seg
                        .iter()
                        .map(|&v| (f64::from(v) - mean).powi(2))
                        .sum::<f64>()
                        / m as f64;
                    let inv = 1.0 / (var + eps).sqrt();
                    inv_std[r * groups + g] = inv as f32;
                    for j in g * m..(g + 1) * m {
                        let xh = ((f64::from(hr[j]) - mean) * inv) as f32;
                        xr[j] = xh;
                        let shift = if centre { layer.beta[j] } else { 0.0 };
                        zr[j] = layer.gamma[j] * xh + shift;
                    }
                }
            }
        }
    }
}
