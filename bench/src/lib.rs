//! Benchmarks of Activation Lab's core, run the same way in the browser (wasm, `web` module)
//! and natively (`native-bench` binary): each figure is the best of several repetitions after a
//! warm-up, each repetition looping the work until it lasts at least `min_ms`, so that the
//! browser's coarse timer (0.1 ms) is negligible. `make bench` drives it (see BENCHMARKS.md).

#[cfg(target_arch = "wasm32")]
mod web;

pub use lab_core::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
pub use lab_core::mlp::Mlp;

use lab_core::config::Normalization;
use lab_core::train::{
    Cache, DropoutKind, Grads, Mode, Model, ModelSpec, Optimizer, OptimizerKind,
};
use lab_core::{Activation, ActivationKind, Config, Initializer, Simulation};
use std::hint::black_box;

/// How long to measure: `reps` timed repetitions, each at least `min_ms` long.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub reps: u32,
    pub min_ms: f64,
}

/// Milliseconds since an arbitrary origin: `performance.now()` in the browser.
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    web::performance_now()
}

/// Milliseconds since the first call.
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e3
}

/// Best time of one call of `work` in ms: one warm-up call, then `budget.reps` repetitions, each
/// calling `work` until at least `budget.min_ms` have passed and dividing by the calls.
pub fn best_ms(budget: Budget, mut work: impl FnMut()) -> f64 {
    work();
    let mut best = f64::INFINITY;
    for _ in 0..budget.reps.max(1) {
        let start = now_ms();
        let mut calls = 0u32;
        loop {
            work();
            calls += 1;
            let elapsed = now_ms() - start;
            if elapsed >= budget.min_ms {
                best = best.min(elapsed / f64::from(calls));
                break;
            }
        }
    }
    best
}

/// Square matrices x (n x n) and W (n x n) with fixed pseudo-random entries.
fn square_operands(n: usize) -> (Vec<f32>, Vec<f32>) {
    let mut rng = lab_core::Rng::from_seed_and_id(7, 0x6d6d);
    let mut x = vec![0.0; n * n];
    let mut w = vec![0.0; n * n];
    rng.fill_normal_f32(&mut x, 0.0, 1.0);
    rng.fill_normal_f32(&mut w, 0.0, (1.0 / n as f64).sqrt());
    (x, w)
}

/// Best ms of one n x n x n product out = x W on `path`.
pub fn matmul_best_ms(n: usize, path: KernelPath, budget: Budget) -> f64 {
    product_best_ms(Product::Forward, n, path, budget)
}

/// The three products of a dense layer's forward and backward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Product {
    /// out = x W ([`matmul_with`]).
    Forward,
    /// out = d W^T, the backward signal ([`matmul_transposed_with`]).
    Transposed,
    /// dW = x^T d, the weight gradient ([`matmul_grad_w_with`]).
    GradW,
}

impl Product {
    pub fn from_name(name: &str) -> Option<Product> {
        match name {
            "forward" => Some(Product::Forward),
            "transposed" => Some(Product::Transposed),
            "grad_w" => Some(Product::GradW),
            _ => None,
        }
    }
}

/// Best ms of one n x n x n `product` on `path` (each is 2 n^3 flops).
pub fn product_best_ms(product: Product, n: usize, path: KernelPath, budget: Budget) -> f64 {
    let (x, w) = square_operands(n);
    let mut out = vec![0.0; n * n];
    best_ms(budget, || {
        let (x, w) = (black_box(&x), black_box(&w));
        match product {
            Product::Forward => matmul_with(path, x, w, n, n, &mut out),
            Product::Transposed => matmul_transposed_with(path, x, w, n, n, &mut out),
            Product::GradW => matmul_grad_w_with(path, x, w, n, n, &mut out),
        }
        black_box(&out);
    })
}

/// GFLOP/s of an n x n x n product that takes `ms` (2 n^3 flops).
pub fn matmul_gflops(n: usize, ms: f64) -> f64 {
    2.0 * (n as f64).powi(3) / (ms * 1e6)
}

/// Best ms of one [`Mlp::grad_step`] (forward, backward, all dL/dW).
pub fn grad_step_best_ms(mlp: &mut Mlp, path: KernelPath, budget: Budget) -> f64 {
    best_ms(budget, || {
        black_box(mlp.grad_step(path));
    })
}

/// Best ms of one [`Mlp::forward`].
pub fn forward_best_ms(mlp: &mut Mlp, path: KernelPath, budget: Budget) -> f64 {
    best_ms(budget, || {
        black_box(mlp.forward(path));
    })
}

/// The app's configuration with depth, width and batch set and everything else default (which
/// includes `kernels: KernelPath::Simd`).
pub fn sim_config(depth: usize, width: usize, batch: usize) -> Config {
    Config {
        depth,
        width,
        batch,
        ..Config::default()
    }
}

/// Best ms of the app's whole recomputation, [`Simulation::run`] (forward, backward,
/// statistics, histogram samples, correlation pairs).
pub fn sim_run_best_ms(depth: usize, width: usize, batch: usize, budget: Budget) -> f64 {
    let config = sim_config(depth, width, batch);
    best_ms(budget, || {
        black_box(Simulation::run(black_box(config)).expect("benchmark shapes are valid configs"));
    })
}

/// Normals per timing call of [`normals_best_ms`].
pub const NORMALS: usize = 1 << 16;

/// Best ms of drawing [`NORMALS`] standard normals with the core's sampler (the ziggurat,
/// `ziggurat` true) or with the Box-Muller transform it replaced, each rounded to f32 as the
/// weight samplers do.
pub fn normals_best_ms(ziggurat: bool, budget: Budget) -> f64 {
    let mut rng = lab_core::Rng::from_seed_and_id(7, 0x6e6f);
    let mut out = vec![0.0f32; NORMALS];
    best_ms(budget, || {
        if ziggurat {
            rng.fill_normal_f32(&mut out, 0.0, 1.0);
        } else {
            for v in out.iter_mut() {
                *v = rng.normal_box_muller() as f32;
            }
        }
        black_box(&out);
    })
}

/// One training step of the Train lab's classifier, as `make bench` times it against tfjs: a
/// SELU network with LeCun-normal weights and zero biases (inputs -> depth x width -> classes, no
/// normalization, no dropout), a fixed minibatch `x` (rows x inputs, N(0, 1)) with fixed labels,
/// softmax cross-entropy, Adam (lr 1e-3, PyTorch's defaults otherwise). A step is
/// [`Model::forward`] in training mode, [`Model::loss`], [`Model::backward`] and
/// [`Optimizer::step`]: exactly what `Trainer` does per update, minus drawing the minibatch.
pub struct TrainStep {
    pub model: Model,
    pub x: Vec<f32>,
    pub labels: Vec<u32>,
    optimizer: Optimizer,
    cache: Cache,
    grads: Grads,
    dropout_rng: lab_core::Rng,
}

/// Adam's learning rate in [`TrainStep`].
pub const TRAIN_STEP_LR: f64 = 1e-3;

impl TrainStep {
    pub fn new(
        inputs: usize,
        depth: usize,
        width: usize,
        classes: usize,
        rows: usize,
        seed: u64,
    ) -> TrainStep {
        let spec = ModelSpec {
            inputs,
            classes,
            depth,
            width,
            activation: Activation::new(ActivationKind::Selu),
            init: Initializer::LecunNormal,
            gain: 1.0,
            bias_std: 0.0,
            norm: Normalization::None,
            groups: 8,
            norm_at: lab_core::NormAt::Pre,
            arch: lab_core::Arch::Plain,
            res_scale: 1.0,
            dropout: DropoutKind::None,
            dropout_rate: 0.0,
        };
        let model = Model::new(spec, seed);
        let mut rng = lab_core::Rng::from_seed_and_id(seed, 0x7462);
        let mut x = vec![0.0; rows * inputs];
        rng.fill_normal_f32(&mut x, 0.0, 1.0);
        let labels = (0..rows).map(|r| (r % classes) as u32).collect();
        let grads = model.zero_grads();
        TrainStep {
            model,
            x,
            labels,
            optimizer: Optimizer::new(OptimizerKind::Adam, TRAIN_STEP_LR, 0.0),
            cache: Cache::default(),
            grads,
            dropout_rng: lab_core::Rng::from_seed_and_id(seed, 0x7463),
        }
    }

    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The minibatch loss at the current parameters, without an update.
    pub fn loss(&mut self) -> f64 {
        let rows = self.rows();
        self.model.forward(
            &self.x,
            rows,
            Mode::Train,
            &mut self.dropout_rng,
            &mut self.cache,
        );
        self.model.loss(&mut self.cache, &self.labels)
    }

    /// One update; returns the minibatch loss before it.
    pub fn step(&mut self) -> f64 {
        let loss = self.loss();
        self.model.backward(&mut self.cache, &mut self.grads);
        let grads = self.grads.slices();
        self.optimizer.step(&mut self.model.params_mut(), &grads);
        loss
    }
}

/// Best ms of one [`TrainStep::step`].
pub fn train_step_best_ms(t: &mut TrainStep, budget: Budget) -> f64 {
    best_ms(budget, || {
        black_box(t.step());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_ms_is_positive_and_finite() {
        let ms = matmul_best_ms(
            16,
            KernelPath::Simd,
            Budget {
                reps: 2,
                min_ms: 0.5,
            },
        );
        assert!(ms > 0.0 && ms.is_finite(), "{ms}");
    }

    #[test]
    fn mlp_grad_step_gives_the_forward_loss() {
        let mut mlp = Mlp::new(3, 4, 8, lab_core::ActivationKind::Selu, 1);
        let forward = mlp.forward(KernelPath::Scalar);
        let step = mlp.grad_step(KernelPath::Simd);
        assert!((forward - step).abs() <= 1e-4 * forward.abs().max(1.0));
    }

    #[test]
    fn train_step_starts_near_ln_classes_and_learns() {
        // Zero biases and LeCun weights give logits of variance about 1 at the start: the
        // mean cross-entropy of 10 balanced classes is then near ln 10 (a little above, since
        // random logits are not uniform); Adam on one fixed minibatch must lower it.
        let mut t = TrainStep::new(16, 3, 32, 10, 40, 1);
        let first = t.step();
        assert!((first - 10f64.ln()).abs() < 1.0, "{first}");
        for _ in 0..50 {
            t.step();
        }
        let later = t.loss();
        assert!(later < first - 0.5, "{first} -> {later}");
    }
}
