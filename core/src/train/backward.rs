//! The exact backward pass of the Train lab's classifier (through dropout, the activation,
//! BatchNorm or LayerNorm and the dense layers); the definitions are in the documentation of
//! [`crate::train::model`].

use crate::config::Normalization;
use crate::kernels::{matmul_grad_w_with, matmul_transposed_with};
use crate::train::dropout::{alpha_dropout_constants, DropoutKind};
use crate::train::forward::row_norm_shape;
use crate::train::model::{
    flush_subnormals, resize, Cache, Grads, Layer, Mode, Model, ModelSpec, PATH,
};

impl Model {
    /// The exact backward pass of a training-mode forward pass followed by [`Model::loss`]:
    /// writes every parameter's gradient into `grads` (overwritten) and dL/dh of every hidden
    /// layer into `cache.dh`. Dropout uses the forward pass's mask; BatchNorm and LayerNorm are
    /// differentiated through their batch/row statistics.
    pub fn backward(&self, cache: &mut Cache, grads: &mut Grads) {
        assert_eq!(
            cache.mode,
            Some(Mode::Train),
            "backward needs a training-mode forward pass"
        );
        let spec = &self.spec;
        let depth = spec.depth;
        let rows = cache.rows;
        let q = spec.dropout_rate;
        let (alpha_a, _) = alpha_dropout_constants(q);
        let drop_factor = match spec.dropout {
            DropoutKind::None => 1.0,
            DropoutKind::Standard => (1.0 / (1.0 - q)) as f32,
            DropoutKind::Alpha => alpha_a as f32,
        };
        cache.dh.resize(depth, Vec::new());
        // Readout.
        let readout = &self.layers[depth];
        let mut d = std::mem::take(&mut cache.dlogits);
        dense_backward(
            readout,
            &cache.input[depth],
            &d,
            rows,
            &mut grads.w[depth],
            &mut grads.b[depth],
            if depth > 0 { Some(&mut cache.dx) } else { None },
        );
        cache.dlogits = std::mem::take(&mut d);
        for l in (0..depth).rev() {
            if spec.is_residual_block(l) {
                self.residual_backward(l, drop_factor, cache, grads);
                continue;
            }
            let layer = &self.layers[l];
            let n_out = layer.fan_out;
            // dL/d(out) is in cache.dx; turn it into dL/dz in place.
            let mut dz = std::mem::take(&mut cache.dx);
            let keep = &cache.keep[l];
            if !keep.is_empty() {
                for (v, &k) in dz.iter_mut().zip(keep) {
                    *v = if k { *v * drop_factor } else { 0.0 };
                }
            }
            let mut dh = std::mem::take(&mut cache.dh[l]);
            resize(&mut dh, rows * n_out);
            let post = spec.norm_after(l);
            let (gamma_grad, beta_grad) = (&mut grads.gamma[l], &mut grads.beta[l]);
            let norm_grads = NormGrads {
                gamma: gamma_grad,
                beta: beta_grad,
            };
            let deriv = &mut cache.scratch;
            resize(deriv, rows * n_out);
            spec.activation
                .derivative_slice_with(PATH, &cache.z[l], deriv);
            // Before the activation: phi' first, then back through the normalization; after it
            // (x = norm(phi(h))): the normalization first, then phi'.
            if !post {
                for (v, &p) in dz.iter_mut().zip(deriv.iter()) {
                    *v *= p;
                }
            }
            norm_backward(
                spec,
                layer,
                rows,
                &cache.xhat[l],
                &cache.inv_std[l],
                &dz,
                &mut dh,
                norm_grads,
            );
            if post {
                for (v, &p) in dh.iter_mut().zip(deriv.iter()) {
                    *v *= p;
                }
            }
            flush_subnormals(&mut dh);
            cache.dx = dz;
            dense_backward(
                layer,
                &cache.input[l],
                &dh,
                rows,
                &mut grads.w[l],
                &mut grads.b[l],
                if l > 0 { Some(&mut cache.dx) } else { None },
            );
            cache.dh[l] = dh;
        }
    }
}

impl Model {
    /// Residual block `l` backward, dL/dx^l in `cache.dx`: dL/dh = s mask phi'(h) dL/dx^l
    /// (kept in `cache.dh[l]`), the dense layer's gradients with the normalized stream as its
    /// input, and dL/dx^(l-1) = dL/dx^l + norm'(dL/du) with dL/du = dL/dh W^T.
    fn residual_backward(&self, l: usize, drop_factor: f32, cache: &mut Cache, grads: &mut Grads) {
        let spec = &self.spec;
        let layer = &self.layers[l];
        let rows = cache.rows;
        let n_out = layer.fan_out;
        let dout = std::mem::take(&mut cache.dx);
        let mut dh = std::mem::take(&mut cache.dh[l]);
        resize(&mut dh, rows * n_out);
        let deriv = &mut cache.scratch;
        resize(deriv, rows * n_out);
        spec.activation
            .derivative_slice_with(PATH, &cache.z[l], deriv);
        let s = spec.res_scale as f32;
        let keep = &cache.keep[l];
        for (i, ((d, &g), &p)) in dh.iter_mut().zip(&dout).zip(deriv.iter()).enumerate() {
            let kept = keep
                .get(i)
                .map_or(1.0, |&k| if k { drop_factor } else { 0.0 });
            *d = g * s * kept * p;
        }
        flush_subnormals(&mut dh);
        let mut du = Vec::new();
        dense_backward(
            layer,
            &cache.branch_in[l],
            &dh,
            rows,
            &mut grads.w[l],
            &mut grads.b[l],
            Some(&mut du),
        );
        let mut dstream = vec![0.0f32; rows * layer.fan_in];
        norm_backward(
            spec,
            layer,
            rows,
            &cache.xhat[l],
            &cache.inv_std[l],
            &du,
            &mut dstream,
            NormGrads {
                gamma: &mut grads.gamma[l],
                beta: &mut grads.beta[l],
            },
        );
        for (d, &g) in dstream.iter_mut().zip(&dout) {
            *d += g;
        }
        flush_subnormals(&mut dstream);
        cache.dx = dstream;
        cache.dh[l] = dh;
    }
}

/// dW = x^T d, db = column sums of d (f64), and optionally dx = d W^T.
fn dense_backward(
    layer: &Layer,
    x: &[f32],
    d: &[f32],
    rows: usize,
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut Vec<f32>>,
) {
    let (n_in, n_out) = (layer.fan_in, layer.fan_out);
    matmul_grad_w_with(PATH, x, d, n_in, n_out, dw);
    let mut sums = vec![0.0f64; n_out];
    for row in d.chunks_exact(n_out) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    for (b, s) in db.iter_mut().zip(&sums) {
        *b = *s as f32;
    }
    if let Some(dx) = dx {
        resize(dx, rows * n_in);
        matmul_transposed_with(PATH, d, &layer.w, n_in, n_out, dx);
    }
}

/// The normalization's scale and shift gradients of one layer (shift empty for RMSNorm).
struct NormGrads<'a> {
    gamma: &'a mut Vec<f32>,
    beta: &'a mut Vec<f32>,
}

/// dh = the gradient through out = gamma * norm(v) + beta given dz = dL/dout (both rows x
/// fan_out), with the forward pass's `xhat` and `inv_std`; writes dL/dgamma and dL/dbeta.
/// Without normalization, dh = dz.
#[allow(clippy::too_many_arguments)]
fn norm_backward(
    spec: &ModelSpec,
    layer: &Layer,
    rows: usize,
    xhat: &[f32],
    inv_std: &[f32],
    dz: &[f32],
    dh: &mut [f32],
    grads: NormGrads,
) {
    let n_out = layer.fan_out;
    match spec.norm {
        Normalization::None => dh.copy_from_slice(dz),
        Normalization::Batch | Normalization::Layer | Normalization::Group | Normalization::Rms => {
            let mut dgamma = vec![0.0f64; n_out];
            let mut dbeta = vec![0.0f64; n_out];
            for (dr, xr) in dz.chunks_exact(n_out).zip(xhat.chunks_exact(n_out)) {
                for j in 0..n_out {
                    dgamma[j] += f64::from(dr[j]) * f64::from(xr[j]);
                    dbeta[j] += f64::from(dr[j]);
                }
            }
            for (g, &d) in grads.gamma.iter_mut().zip(&dgamma) {
                *g = d as f32;
            }
            // RMSNorm has no shift.
            for (g, &d) in grads.beta.iter_mut().zip(&dbeta) {
                *g = d as f32;
            }
            // dxhat = dz * gamma, then dh = inv_std (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
            // with the means over the normalized axis (RMSNorm: without mean(dxhat)).
            if spec.norm == Normalization::Batch {
                let mut s1 = vec![0.0f64; n_out];
                let mut s2 = vec![0.0f64; n_out];
                for (dr, xr) in dz.chunks_exact(n_out).zip(xhat.chunks_exact(n_out)) {
                    for j in 0..n_out {
                        let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                        s1[j] += dxh;
                        s2[j] += dxh * f64::from(xr[j]);
                    }
                }
                let n = rows as f64;
                for ((hr, dr), xr) in dh
                    .chunks_exact_mut(n_out)
                    .zip(dz.chunks_exact(n_out))
                    .zip(xhat.chunks_exact(n_out))
                {
                    for j in 0..n_out {
                        let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                        hr[j] = (f64::from(inv_std[j])
                            * (dxh - s1[j] / n - f64::from(xr[j]) * s2[j] / n))
                            as f32;
                    }
                }
            } else {
                let (groups, centre) = row_norm_shape(spec);
                let m = n_out / groups;
                let n = m as f64;
                for (r, ((hr, dr), xr)) in dh
                    .chunks_exact_mut(n_out)
                    .zip(dz.chunks_exact(n_out))
                    .zip(xhat.chunks_exact(n_out))
                    .enumerate()
                {
                    for g in 0..groups {
                        let segment = g * m..(g + 1) * m;
                        let mut s1 = 0.0f64;
                        let mut s2 = 0.0f64;
                        for j in segment.clone() {
                            let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                            s1 += dxh;
                            s2 += dxh * f64::from(xr[j]);
                        }
                        let s1 = if centre { s1 } else { 0.0 };
                        let inv = f64::from(inv_std[r * groups + g]);
                        for j in segment {
                            let dxh = f64::from(dr[j]) * f64::from(layer.gamma[j]);
                            hr[j] = (inv * (dxh - s1 / n - f64::from(xr[j]) * s2 / n)) as f32;
                        }
                    }
                }
            }
        }
    }
}
