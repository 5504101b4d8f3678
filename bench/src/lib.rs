//! Benchmarks of Activation Lab's core, run the same way in the browser (wasm, `web` module)
//! and natively (`native-bench` binary): each figure is the best of several repetitions after a
//! warm-up, each repetition looping the work until it lasts at least `min_ms`, so that the
//! browser's coarse timer (0.1 ms) is negligible. `make bench` drives it (see BENCHMARKS.md).

#[cfg(target_arch = "wasm32")]
mod web;

pub use lab_core::kernels::{matmul_with, KernelPath};
pub use lab_core::mlp::Mlp;

use lab_core::{Config, Simulation};
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
    let (x, w) = square_operands(n);
    let mut out = vec![0.0; n * n];
    best_ms(budget, || {
        matmul_with(path, black_box(&x), black_box(&w), n, n, &mut out);
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
}
