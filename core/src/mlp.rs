//! A plain multilayer perceptron for benchmarks (e.g. against TensorFlow.js): square layers, no
//! biases, no normalization.
//!
//! h^l = x^(l-1) W^l and x^l = phi(h^l) for l = 1..depth, with x^0 the batch x width input of
//! i.i.d. N(0, 1) entries and W^l ~ LeCun normal N(0, 1/width) (untruncated). The loss is
//! L = sum(g * x^depth) for a fixed g of i.i.d. N(0, 1) entries, so dL/dx^depth = g, and the
//! backward pass is delta^l = dL/dx^l * phi'(h^l), dL/dW^l = (x^(l-1))^T delta^l and
//! dL/dx^(l-1) = delta^l (W^l)^T.
//!
//! Random streams (see [`crate::rng`]): W^l from [`Stream::Weights`]`(l)`, x^0 from
//! [`Stream::Input`], g from [`Stream::BackwardSeed`], all of the given seed.

use crate::activation::{Activation, ActivationKind};
use crate::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
use crate::rng::{Rng, Stream};

/// A depth x (width x width) network on a batch of inputs, with its stored activations and
/// weight gradients.
#[derive(Clone, Debug)]
pub struct Mlp {
    depth: usize,
    batch: usize,
    width: usize,
    activation: Activation,
    /// W^1..W^depth, each width x width row-major.
    weights: Vec<Vec<f32>>,
    /// x^0, batch x width.
    input: Vec<f32>,
    /// dL/dx^depth, batch x width.
    g: Vec<f32>,
    /// h^1..h^depth.
    pre: Vec<Vec<f32>>,
    /// x^1..x^depth.
    post: Vec<Vec<f32>>,
    /// dL/dW^1..dL/dW^depth after [`Mlp::grad_step`].
    grads: Vec<Vec<f32>>,
    /// dL/dx of the current layer and delta of the backward pass (scratch).
    dx: Vec<f32>,
    delta: Vec<f32>,
}

impl Mlp {
    /// A network with the default parameters of `activation`; weights, input and g drawn from
    /// `seed`.
    pub fn new(
        depth: usize,
        batch: usize,
        width: usize,
        activation: ActivationKind,
        seed: u64,
    ) -> Self {
        let std = 1.0 / (width.max(1) as f64).sqrt();
        let weights = (1..=depth)
            .map(|l| {
                let mut w = vec![0.0f32; width * width];
                Rng::stream(seed, Stream::Weights(l)).fill_normal_f32(&mut w, 0.0, std);
                w
            })
            .collect();
        let mut input = vec![0.0f32; batch * width];
        Rng::stream(seed, Stream::Input).fill_normal_f32(&mut input, 0.0, 1.0);
        let mut g = vec![0.0f32; batch * width];
        Rng::stream(seed, Stream::BackwardSeed).fill_normal_f32(&mut g, 0.0, 1.0);
        let layer = || vec![vec![0.0f32; batch * width]; depth];
        Mlp {
            depth,
            batch,
            width,
            activation: Activation::new(activation),
            weights,
            input,
            g,
            pre: layer(),
            post: layer(),
            grads: vec![vec![0.0f32; width * width]; depth],
            dx: vec![0.0f32; batch * width],
            delta: vec![0.0f32; batch * width],
        }
    }

    /// Forward only; returns the loss L = sum(g * x^depth) in f64.
    pub fn forward(&mut self, path: KernelPath) -> f64 {
        let n = self.width;
        for l in 0..self.depth {
            let x_prev = if l == 0 {
                &self.input
            } else {
                &self.post[l - 1]
            };
            matmul_with(path, x_prev, &self.weights[l], n, n, &mut self.pre[l]);
            self.activation
                .apply_slice_with(path, &self.pre[l], &mut self.post[l]);
        }
        let out = self.post.last().unwrap_or(&self.input);
        out.iter()
            .zip(&self.g)
            .map(|(&x, &g)| f64::from(x) * f64::from(g))
            .sum()
    }

    /// Forward, backward and the gradients of all weights dL/dW^l; returns the loss.
    pub fn grad_step(&mut self, path: KernelPath) -> f64 {
        let loss = self.forward(path);
        let n = self.width;
        self.dx.copy_from_slice(&self.g);
        for l in (0..self.depth).rev() {
            self.activation
                .derivative_slice_with(path, &self.pre[l], &mut self.delta);
            for (d, &dx) in self.delta.iter_mut().zip(&self.dx) {
                *d *= dx;
            }
            let x_prev = if l == 0 {
                &self.input
            } else {
                &self.post[l - 1]
            };
            matmul_grad_w_with(path, x_prev, &self.delta, n, n, &mut self.grads[l]);
            if l > 0 {
                matmul_transposed_with(path, &self.delta, &self.weights[l], n, n, &mut self.dx);
            }
        }
        loss
    }

    /// dL/dW^1..dL/dW^depth from the last [`Mlp::grad_step`] (zeros before).
    pub fn weight_grads(&self) -> &[Vec<f32>] {
        &self.grads
    }

    /// W^1..W^depth, each width x width row-major (W[i][j] at i * width + j).
    pub fn weights(&self) -> &[Vec<f32>] {
        &self.weights
    }

    /// x^0, batch x width row-major.
    pub fn input(&self) -> &[f32] {
        &self.input
    }

    /// g = dL/dx^depth, batch x width row-major.
    pub fn g(&self) -> &[f32] {
        &self.g
    }

    /// x^depth after [`Mlp::forward`] (the input when depth is 0).
    pub fn output(&self) -> &[f32] {
        self.post.last().unwrap_or(&self.input)
    }

    /// Flops of the forward matmuls, 2 batch width^2 per layer (the usual convention: the
    /// activations are not counted).
    pub fn flops_forward(&self) -> f64 {
        2.0 * self.batch as f64 * (self.width as f64).powi(2) * self.depth as f64
    }

    /// Flops of the matmuls of [`Mlp::grad_step`]: the forward pass, the weight gradients of
    /// every layer and dL/dx of every layer but the first.
    pub fn flops_grad_step(&self) -> f64 {
        let per = 2.0 * self.batch as f64 * (self.width as f64).powi(2);
        self.flops_forward() + per * (2 * self.depth).saturating_sub(1) as f64
    }
}
