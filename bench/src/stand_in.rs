//! Stand-in for the kernel API that branch `kernels` adds to lab-core
//! (`lab_core::kernels::{KernelPath, matmul_with}` and `lab_core::mlp::Mlp`), with the same
//! signatures, so the benchmark runs before that branch lands. Both paths use lab-core's
//! scalar kernels here, so the simd/scalar rows read about 1.0x until the merge replaces this
//! module with the real one.

use lab_core::kernels::{matmul, matmul_transposed};
use lab_core::{Activation, ActivationKind, Rng};

/// Which implementation of the dense kernels runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KernelPath {
    Scalar,
    #[default]
    Simd,
}

impl KernelPath {
    pub fn name(self) -> &'static str {
        match self {
            KernelPath::Scalar => "scalar",
            KernelPath::Simd => "simd",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        [KernelPath::Scalar, KernelPath::Simd]
            .into_iter()
            .find(|p| p.name() == s)
    }
}

/// out = x W (see `lab_core::kernels::matmul`).
pub fn matmul_with(
    _path: KernelPath,
    x: &[f32],
    w: &[f32],
    n_in: usize,
    n_out: usize,
    out: &mut [f32],
) {
    matmul(x, w, n_in, n_out, out);
}

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
                .apply_slice(&self.pre[l], &mut self.post[l + 1]);
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
            self.activation.derivative_slice(&self.pre[l], &mut delta);
            for (d, &gx) in delta.iter_mut().zip(&dx) {
                *d *= gx;
            }
            // dW^l = x^(l-1)^T delta^l.
            let dw = &mut self.weight_grads[l];
            dw.fill(0.0);
            for (x_row, d_row) in self.post[l].chunks_exact(n).zip(delta.chunks_exact(n)) {
                for (&a, dw_row) in x_row.iter().zip(dw.chunks_exact_mut(n)) {
                    for (o, &d) in dw_row.iter_mut().zip(d_row) {
                        *o += a * d;
                    }
                }
            }
            if l > 0 {
                matmul_transposed(&delta, &self.weights[l], n, n, &mut dx);
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
