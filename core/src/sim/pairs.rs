//! The correlation pairs (see the module documentation of [`super`]): their inputs, and their
//! rows through each layer with the batch's weights, biases and normalization.

use super::forward::{affine_rows, LayerWeights};
use super::norm::{NormStats, RowNorm};

/// Groups whose inverse stds a pair row keeps on the stack (more use a heap buffer).
const MAX_GROUPS_ON_STACK: usize = 64;
use super::CORR_PAIRS;
use crate::config::{Config, NormAt, Normalization};
use crate::rng::{Rng, Stream};

/// The 2 P pair rows.
#[derive(Clone, Debug, Default)]
pub(super) struct Pairs {
    /// Inputs, 2 P x width (pair k in rows 2k, 2k + 1); empty until drawn.
    pub(super) input: Vec<f32>,
    /// Post-activations (x^(l-1), overwritten row by row with x^l).
    x: Vec<f32>,
    /// Normalized pre-activations at the current layer.
    h: Vec<f32>,
    /// Residual blocks: the normalized stream rows (the branch's matmul input), and phi(h) of
    /// one row.
    u: Vec<f32>,
    phi: Vec<f32>,
    /// Sum of the pair cosines of the current layer, in pair order.
    pub(super) cos_sum: f64,
}

impl Pairs {
    /// Draws the pair inputs: per pair, u then v from the stream [`Stream::PairInput`], and
    /// allocates the working rows.
    pub(super) fn draw_input(&mut self, config: &Config) {
        let n = config.width;
        let mut rng = Rng::stream(config.seed, Stream::PairInput);
        // Config::validated keeps c0 in [-1, 1]; clamping keeps sqrt(1 - c0^2) real regardless.
        let c0 = f64::from(config.input_corr).clamp(-1.0, 1.0);
        let orthogonal = (1.0 - c0 * c0).sqrt();
        let std = f64::from(config.input_std);
        let mut u = vec![0.0f64; n];
        self.input = vec![0.0; 2 * CORR_PAIRS * n];
        for pair in self.input.chunks_exact_mut(2 * n) {
            let (x_a, x_b) = pair.split_at_mut(n);
            for (x, u) in x_a.iter_mut().zip(&mut u) {
                *u = rng.normal();
                *x = (std * *u) as f32;
            }
            for (x, &u) in x_b.iter_mut().zip(&u) {
                *x = (std * (c0 * u + orthogonal * rng.normal())) as f32;
            }
        }
    }

    /// Allocates the pair rows' working memory (after the inputs are drawn).
    pub(super) fn allocate(&mut self, width: usize) {
        self.x = vec![0.0; 2 * CORR_PAIRS * width];
        self.h = vec![0.0; 2 * CORR_PAIRS * width];
        self.u = vec![0.0; 2 * CORR_PAIRS * width];
        self.phi = vec![0.0; width];
    }

    /// Pair rows r0..r1 through `layer`: h = x W^l + b^l, normalized like the batch (BatchNorm
    /// with the batch's column means and inverse stds in `norm`) when the normalization is
    /// before the activation, the cosine of each pair whose second row is in the block (in pair
    /// order), then x = phi(h) in place of x^(l-1), normalized when it is after. Residual
    /// blocks: [`Pairs::residual_rows`].
    pub(super) fn rows(
        &mut self,
        config: &Config,
        layer: usize,
        weights: &LayerWeights,
        norm: &NormStats,
        r0: usize,
        r1: usize,
    ) {
        if config.is_residual() {
            return self.residual_rows(config, layer, weights, norm, r0, r1);
        }
        let (w, bias) = (weights.of_layer(layer), &weights.bias[..]);
        let n = config.width;
        let rows = r0 * n..r1 * n;
        let x_prev = if layer == 1 { &self.input } else { &self.x };
        affine_rows(
            config.kernels,
            &x_prev[rows.clone()],
            w,
            bias,
            &mut self.h[rows],
        );
        for r in r0..r1 {
            let h_row = &mut self.h[r * n..(r + 1) * n];
            let post = config.norm_at == NormAt::Post;
            if !post {
                normalize_row(config, norm, h_row);
            }
            if r % 2 == 1 {
                let (h_a, h_b) = self.h[(r - 1) * n..(r + 1) * n].split_at(n);
                self.cos_sum += cosine(h_a, h_b);
            }
            let x_row = &mut self.x[r * n..(r + 1) * n];
            config
                .activation
                .apply_slice_with(config.kernels, &self.h[r * n..(r + 1) * n], x_row);
            if post {
                normalize_row(config, norm, x_row);
            }
        }
    }
}

impl Pairs {
    /// Pair rows r0..r1 through residual block `layer`: the stream x^(l-1) normalized like the
    /// batch's (BatchNorm with the batch's column statistics of the stream), h = u W^l + b^l,
    /// x^l = x^(l-1) + s phi(h), and the cosine of each pair's streams x^l whose second row is
    /// in the block (in pair order).
    fn residual_rows(
        &mut self,
        config: &Config,
        layer: usize,
        weights: &LayerWeights,
        norm: &NormStats,
        r0: usize,
        r1: usize,
    ) {
        let (w, bias) = (weights.of_layer(layer), &weights.bias[..]);
        let n = config.width;
        let rows = r0 * n..r1 * n;
        if layer == 1 {
            self.x[rows.clone()].copy_from_slice(&self.input[rows.clone()]);
        }
        let source = if config.norm == Normalization::None {
            &self.x
        } else {
            self.u[rows.clone()].copy_from_slice(&self.x[rows.clone()]);
            for u_row in self.u[rows.clone()].chunks_exact_mut(n) {
                normalize_row(config, norm, u_row);
            }
            &self.u
        };
        affine_rows(
            config.kernels,
            &source[rows.clone()],
            w,
            bias,
            &mut self.h[rows],
        );
        for r in r0..r1 {
            let h_row = &mut self.h[r * n..(r + 1) * n];
            config
                .activation
                .apply_slice_with(config.kernels, h_row, &mut self.phi);
            super::forward::add_branch(
                &mut self.x[r * n..(r + 1) * n],
                &self.phi,
                config.branch_scale(),
            );
            if r % 2 == 1 {
                let (x_a, x_b) = self.x[(r - 1) * n..(r + 1) * n].split_at(n);
                self.cos_sum += cosine(x_a, x_b);
            }
        }
    }
}

/// One pair row normalized like the batch: BatchNorm with the batch's column means and inverse
/// stds in `norm`, the per-example normalizations on the row itself.
fn normalize_row(config: &Config, norm: &NormStats, row: &mut [f32]) {
    match config.norm {
        Normalization::None => {}
        Normalization::Batch => norm.batch_norm_row(row),
        Normalization::Layer | Normalization::Group | Normalization::Rms => {
            if let Some(row_norm) = RowNorm::of(config) {
                let mut inv_std = [0.0; MAX_GROUPS_ON_STACK];
                if row_norm.groups <= MAX_GROUPS_ON_STACK {
                    row_norm.forward_row(row, &mut inv_std[..row_norm.groups]);
                } else {
                    row_norm.forward_row(row, &mut vec![0.0; row_norm.groups]);
                }
            }
        }
    }
}

/// Uncentered cosine a.b / (|a| |b|) accumulated in f64; NaN if a value is non-finite or a vector
/// is all zero.
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    // sqrt each factor so that the product cannot overflow.
    ab / (aa.sqrt() * bb.sqrt())
}
