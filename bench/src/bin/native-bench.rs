//! The wasm-vs-native rows of `make bench`: the same lab-core kernels, compiled for this machine,
//! on the shapes the page measures. Prints one JSON object on stdout. `--smoke`: tiny shapes.

use lab_bench::{grad_step_best_ms, matmul_best_ms, Budget, KernelPath, Mlp};
use lab_core::ActivationKind;

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (budget, n, [depth, batch, width]) = if smoke {
        (
            Budget {
                reps: 1,
                min_ms: 1.0,
            },
            32,
            [3, 8, 16],
        )
    } else {
        (
            Budget {
                reps: 7,
                min_ms: 50.0,
            },
            512,
            [100, 64, 128],
        )
    };
    let matmul_ms = matmul_best_ms(n, KernelPath::Simd, budget);
    // The Relaxed path is f32::mul_add: one instruction where the build targets FMA (bench/run.mjs
    // builds this binary a second time with -C target-cpu=native), a libm call otherwise, which
    // is not worth timing.
    let relaxed_ms = if cfg!(target_feature = "fma") || cfg!(target_arch = "aarch64") {
        matmul_best_ms(n, KernelPath::Relaxed, budget).to_string()
    } else {
        "null".to_string()
    };
    let mut mlp = Mlp::new(depth, batch, width, ActivationKind::Selu, 1);
    let grad_ms = grad_step_best_ms(&mut mlp, KernelPath::Simd, budget);
    println!(
        "{{\"target\": \"{}\", \"matmul\": {{\"n\": {n}, \"path\": \"simd\", \"ms\": {matmul_ms}, \"relaxed_ms\": {relaxed_ms}}}, \
         \"grad_step\": {{\"depth\": {depth}, \"batch\": {batch}, \"width\": {width}, \"path\": \"simd\", \"ms\": {grad_ms}}}}}",
        std::env::consts::ARCH
    );
}
