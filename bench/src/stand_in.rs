//! Stand-in for `lab_core::mlp::Mlp`, which branch `kernels` is still writing (its module is a
//! placeholder so far), with the announced signatures so the benchmark runs before it lands. It
//! is built on lab-core's real kernel paths (`*_with`), so the simd/scalar rows already measure
//! the real kernels; the merge that brings `Mlp` replaces this module.

use lab_core::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
use lab_core::{Activation, ActivationKind, Rng};

/// A bias-free MLP h^l = x^(l-1) W^l, x^l = phi(h^l), loss = sum(g * x^depth).
pub struct Mlp {
    activation: Activation,
    batch: usize,
    width: usize,
    weights: Vec<Vec<f32>>,
    weight_grads: Vec<Vec<f32>>,
    input: Vec<f32>,
    g: Vec<f32>,
    /// h^1..h^depth of the last pass.
    pre: Vec<Vec<f32>>,
    /// x^0..x^depth of the last pass.
    post: Vec<Vec<f32>>,
}

impl Mlp {
    /// LeCun-normal weights N(0, 1/width), input and g N(0, 1).
    pub fn new(
        depth: usize,
        batch: usize,
        width: usize,
        activation: ActivationKind,
        seed: u64,
    ) -> Self {
        let mut rng = Rng::from_seed_and_id(seed, 0x6d6c70);
        let std = (1.0 / width as f64).sqrt();
        let weights = (0..depth)
            .map(|_| {
                let mut w = vec![0.0; width * width];
                rng.fill_normal_f32(&mut w, 0.0, std);
                w
            })
            .collect();
        let mut input = vec![0.0; batch * width];
        rng.fill_normal_f32(&mut input, 0.0, 1.0);
        let mut g = vec![0.0; batch * width];
        rng.fill_normal_f32(&mut g, 0.0, 1.0);
        Mlp {
            activation: Activation::new(activation),
            batch,
            width,
            weights,
            weight_grads: vec![vec![0.0; width * width]; depth],
            input,
            g,
            pre: vec![vec![0.0; batch * width]; depth],
            post: vec![vec![0.0; batch * width]; depth + 1],
        }
    }

    /// The forward pass; returns the loss sum(g * x^depth) (accumulated in f64).
    pub fn forward(&mut self, path: KernelPath) -> f64 {
        let n = self.width;
        self.post[0].copy_from_slice(&self.input);
        for l in 0..self.weights.len() {
            matmul_with(
                path,
                &self.post[l],
                &self.weights[l],
                n,
                n,
                &mut self.pre[l],
            );
            self.activation
                .apply_slice_with(path, &self.pre[l], &mut self.post[l + 1]);
        }
        let last = self.post.last().expect("x^0 always exists");
        last.iter()
            .zip(&self.g)
            .map(|(&x, &g)| x as f64 * g as f64)
            .sum()
    }

    /// Forward, backward and every dL/dW^l; returns the loss.
    pub fn grad_step(&mut self, path: KernelPath) -> f64 {
        let loss = self.forward(path);
        let n = self.width;
        let mut dx = self.g.clone();
        let mut delta = vec![0.0f32; self.batch * n];
        for l in (0..self.weights.len()).rev() {
            self.activation
                .derivative_slice_with(path, &self.pre[l], &mut delta);
            for (d, &gx) in delta.iter_mut().zip(&dx) {
                *d *= gx;
            }
            // dW^l = x^(l-1)^T delta^l.
            matmul_grad_w_with(path, &self.post[l], &delta, n, n, &mut self.weight_grads[l]);
            if l > 0 {
                matmul_transposed_with(path, &delta, &self.weights[l], n, n, &mut dx);
            }
        }
        loss
    }

    pub fn weight_grads(&self) -> &[Vec<f32>] {
        &self.weight_grads
    }

    pub fn weights(&self) -> &[Vec<f32>] {
        &self.weights
    }

    pub fn input(&self) -> &[f32] {
        &self.input
    }

    pub fn g(&self) -> &[f32] {
        &self.g
    }
}
