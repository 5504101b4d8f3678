//! The functions the bench page (bench/page/bench.js) calls. Errors become JS exceptions.

use crate::{Budget, KernelPath, Mlp};
use lab_core::ActivationKind;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    pub(crate) fn performance_now() -> f64;
}

fn path(name: &str) -> Result<KernelPath, JsError> {
    KernelPath::from_name(name)
        .ok_or_else(|| JsError::new(&format!("unknown kernel path {name:?}")))
}

fn budget(reps: u32, min_ms: f64) -> Budget {
    Budget { reps, min_ms }
}

/// Whether this module was compiled with wasm simd128 (the repo's .cargo/config.toml sets it).
#[wasm_bindgen]
pub fn simd128_compiled() -> bool {
    cfg!(target_feature = "simd128")
}

/// Whether this module was compiled with relaxed SIMD (the relaxed twin that bench/run.mjs
/// builds into target/relaxed).
#[wasm_bindgen]
pub fn relaxed_simd_compiled() -> bool {
    cfg!(target_feature = "relaxed-simd")
}

/// Whether the Relaxed path's multiply-add is fused on this machine: (1 + 2^-12)^2 - (1 + 2^-11)
/// is 2^-24 fused and 0 when the product is rounded first.
#[wasm_bindgen]
pub fn relaxed_fuses() -> bool {
    let a = 1.0f32 + 1.0 / 4096.0;
    let x = [-(1.0f32 + 1.0 / 2048.0), a];
    let w = [1.0, 1.0, 1.0, 1.0, a, a, a, a];
    let mut out = [0.0f32; 4];
    crate::matmul_with(KernelPath::Relaxed, &x, &w, 2, 4, &mut out);
    out[0] != 0.0
}

/// Best ms of one n x n x n matmul on the kernel path `path_name` ("scalar", "simd" or
/// "relaxed").
#[wasm_bindgen]
pub fn bench_matmul(n: usize, path_name: &str, reps: u32, min_ms: f64) -> Result<f64, JsError> {
    Ok(crate::matmul_best_ms(
        n,
        path(path_name)?,
        budget(reps, min_ms),
    ))
}

/// Best ms of one n x n x n product `product` ("forward", "transposed" or "grad_w") on the
/// kernel path `path_name`.
#[wasm_bindgen]
pub fn bench_product(
    product: &str,
    n: usize,
    path_name: &str,
    reps: u32,
    min_ms: f64,
) -> Result<f64, JsError> {
    let product = crate::Product::from_name(product)
        .ok_or_else(|| JsError::new(&format!("unknown product {product:?}")))?;
    Ok(crate::product_best_ms(
        product,
        n,
        path(path_name)?,
        budget(reps, min_ms),
    ))
}

/// Best ms of [`crate::NORMALS`] normals by the ziggurat (`ziggurat` true) or Box-Muller.
#[wasm_bindgen]
pub fn bench_normals(ziggurat: bool, reps: u32, min_ms: f64) -> f64 {
    crate::normals_best_ms(ziggurat, budget(reps, min_ms))
}

/// How many normals one [`bench_normals`] call draws.
#[wasm_bindgen]
pub fn normals_per_call() -> usize {
    crate::NORMALS
}

/// Best ms of the app's full recomputation `Simulation::run` at this shape, rest default.
#[wasm_bindgen]
pub fn sim_run_best_ms(depth: usize, width: usize, batch: usize, reps: u32, min_ms: f64) -> f64 {
    crate::sim_run_best_ms(depth, width, batch, budget(reps, min_ms))
}

/// A bias-free SELU MLP with LeCun-normal weights (`Mlp`), with copies of its arrays for tfjs.
#[wasm_bindgen]
pub struct MlpBench {
    mlp: Mlp,
}

#[wasm_bindgen]
impl MlpBench {
    #[wasm_bindgen(constructor)]
    pub fn new(depth: usize, batch: usize, width: usize, seed: u64) -> MlpBench {
        MlpBench {
            mlp: Mlp::new(depth, batch, width, ActivationKind::Selu, seed),
        }
    }

    /// Loss sum(g * x^depth) of a forward pass.
    pub fn forward(&mut self, path_name: &str) -> Result<f64, JsError> {
        Ok(self.mlp.forward(path(path_name)?))
    }

    /// Loss of a full gradient step (forward, backward, all dL/dW).
    pub fn grad_step(&mut self, path_name: &str) -> Result<f64, JsError> {
        Ok(self.mlp.grad_step(path(path_name)?))
    }

    pub fn forward_best_ms(
        &mut self,
        path_name: &str,
        reps: u32,
        min_ms: f64,
    ) -> Result<f64, JsError> {
        Ok(crate::forward_best_ms(
            &mut self.mlp,
            path(path_name)?,
            budget(reps, min_ms),
        ))
    }

    pub fn grad_step_best_ms(
        &mut self,
        path_name: &str,
        reps: u32,
        min_ms: f64,
    ) -> Result<f64, JsError> {
        Ok(crate::grad_step_best_ms(
            &mut self.mlp,
            path(path_name)?,
            budget(reps, min_ms),
        ))
    }

    pub fn depth(&self) -> usize {
        self.mlp.weights().len()
    }

    /// W^(layer+1), width x width row-major (h = x W), as a Float32Array copy.
    pub fn weight(&self, layer: usize) -> Result<Vec<f32>, JsError> {
        self.mlp
            .weights()
            .get(layer)
            .cloned()
            .ok_or_else(|| JsError::new("layer out of range"))
    }

    /// dL/dW^(layer+1) of the last grad_step, as a Float32Array copy.
    pub fn weight_grad(&self, layer: usize) -> Result<Vec<f32>, JsError> {
        self.mlp
            .weight_grads()
            .get(layer)
            .cloned()
            .ok_or_else(|| JsError::new("layer out of range"))
    }

    /// x^0, batch x width row-major.
    pub fn input(&self) -> Vec<f32> {
        self.mlp.input().to_vec()
    }

    /// The loss weights g, batch x width row-major.
    pub fn g(&self) -> Vec<f32> {
        self.mlp.g().to_vec()
    }
}

/// [`crate::TrainStep`] for the bench page, with copies of its arrays for tfjs.
#[wasm_bindgen]
pub struct TrainStepBench {
    t: crate::TrainStep,
}

#[wasm_bindgen]
impl TrainStepBench {
    #[wasm_bindgen(constructor)]
    pub fn new(
        inputs: usize,
        depth: usize,
        width: usize,
        classes: usize,
        rows: usize,
        seed: u64,
    ) -> TrainStepBench {
        TrainStepBench {
            t: crate::TrainStep::new(inputs, depth, width, classes, rows, seed),
        }
    }

    /// Adam's learning rate of the step.
    pub fn lr() -> f64 {
        crate::TRAIN_STEP_LR
    }

    /// The minibatch loss at the current parameters.
    pub fn loss(&mut self) -> f64 {
        self.t.loss()
    }

    /// One update; the loss before it.
    pub fn step(&mut self) -> f64 {
        self.t.step()
    }

    pub fn step_best_ms(&mut self, reps: u32, min_ms: f64) -> f64 {
        crate::train_step_best_ms(&mut self.t, budget(reps, min_ms))
    }

    /// Dense layers including the readout.
    pub fn layers(&self) -> usize {
        self.t.model.layers.len()
    }

    pub fn fan_in(&self, layer: usize) -> Result<usize, JsError> {
        Ok(self.layer(layer)?.fan_in)
    }

    pub fn fan_out(&self, layer: usize) -> Result<usize, JsError> {
        Ok(self.layer(layer)?.fan_out)
    }

    /// W of `layer` (fan_in x fan_out row-major, h = x W + b) as a Float32Array copy.
    pub fn weight(&self, layer: usize) -> Result<Vec<f32>, JsError> {
        Ok(self.layer(layer)?.w.clone())
    }

    pub fn bias(&self, layer: usize) -> Result<Vec<f32>, JsError> {
        Ok(self.layer(layer)?.b.clone())
    }

    /// The minibatch, rows x inputs row-major.
    pub fn x(&self) -> Vec<f32> {
        self.t.x.clone()
    }

    pub fn labels(&self) -> Vec<u32> {
        self.t.labels.clone()
    }
}

impl TrainStepBench {
    fn layer(&self, layer: usize) -> Result<&lab_core::train::Layer, JsError> {
        self.t
            .model
            .layers
            .get(layer)
            .ok_or_else(|| JsError::new("layer out of range"))
    }
}
