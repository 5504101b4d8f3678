//! Native figures of the kernel paths: `cargo bench -p lab-core`. Prints a table; never fails on
//! time. Each figure is the best of several repetitions after a warm-up run.

use lab_core::activation::{Activation, ActivationKind};
use lab_core::kernels::{matmul_grad_w_with, matmul_transposed_with, matmul_with, KernelPath};
use lab_core::mlp::Mlp;
use lab_core::rng::Rng;
use std::hint::black_box;
use std::time::Instant;

/// Best wall time in seconds of `reps` runs of `f` after one warm-up run.
fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn normals(len: usize, id: u64) -> Vec<f32> {
    let mut rng = Rng::from_seed_and_id(1, id);
    (0..len).map(|_| rng.normal() as f32).collect()
}

fn main() {
    println!("kernel                         path      figure");
    for n in [256usize, 512] {
        let x = normals(n * n, 1);
        let w = normals(n * n, 2);
        let mut out = vec![0.0f32; n * n];
        let flops = 2.0 * (n as f64).powi(3);
        let reps = if n == 256 { 20 } else { 5 };
        for path in KernelPath::ALL {
            let t = best_of(reps, || {
                matmul_with(path, black_box(&x), &w, n, n, &mut out)
            });
            println!(
                "matmul {n}^3                   {:<8}  {:6.2} GFLOP/s",
                path.name(),
                flops / t * 1e-9
            );
            let t = best_of(reps, || {
                matmul_transposed_with(path, black_box(&x), &w, n, n, &mut out)
            });
            println!(
                "matmul_transposed {n}^3        {:<8}  {:6.2} GFLOP/s",
                path.name(),
                flops / t * 1e-9
            );
            let t = best_of(reps, || {
                matmul_grad_w_with(path, black_box(&x), &w, n, n, &mut out)
            });
            println!(
                "matmul_grad_w {n}^3            {:<8}  {:6.2} GFLOP/s",
                path.name(),
                flops / t * 1e-9
            );
        }
    }

    let len = 1 << 16;
    let xs: Vec<f32> = normals(len, 3).iter().map(|v| 3.0 * v).collect();
    let mut out = vec![0.0f32; len];
    for kind in ActivationKind::ALL {
        let act = Activation::new(kind);
        for path in KernelPath::ALL {
            let t = best_of(20, || act.apply_slice_with(path, black_box(&xs), &mut out));
            let td = best_of(20, || {
                act.derivative_slice_with(path, black_box(&xs), &mut out)
            });
            println!(
                "{:<30} {:<8}  phi {:5.2} ns/elem, phi' {:5.2} ns/elem",
                kind.name(),
                path.name(),
                t / len as f64 * 1e9,
                td / len as f64 * 1e9
            );
        }
    }
    for (depth, batch, width) in [(10, 256, 256), (100, 64, 128), (1000, 256, 16)] {
        let mut mlp = Mlp::new(depth, batch, width, ActivationKind::Selu, 1);
        for path in KernelPath::ALL {
            let t = best_of(5, || {
                black_box(mlp.grad_step(path));
            });
            println!(
                "mlp grad_step {depth}x{batch}x{width} (selu)  {:<8}  {:7.2} ms  {:6.2} GFLOP/s",
                path.name(),
                t * 1e3,
                mlp.flops_grad_step() / t * 1e-9
            );
        }
    }
}
