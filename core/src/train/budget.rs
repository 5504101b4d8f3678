//! The memory a training run needs: an upper bound of the bytes a [`Trainer`](super::Trainer)
//! allocates over a whole run, estimated from its settings and the data set's shape before it
//! starts, so that a run too large for the page's memory budget is refused with a message
//! instead of aborting the worker (issue 13).
//!
//! The parts: the parameters, two sets of gradients (the minibatch's and the probe batch's),
//! the optimizer's state (SGD: one momentum buffer; Adam: two moments), two forward caches (the
//! minibatch's, and the evaluations' whose largest pass is the probe batch, a 512-row chunk of a
//! data set or the 64 x 64 decision grid), each keeping every layer's input, pre-activation,
//! normalized values, output and gradient; the training and test sets; and the history at the
//! last step (a loss per step, per-layer probes per evaluation).

use super::model::ModelSpec;
use super::optim::OptimizerKind;
use super::probe::GRID;
use super::trainer::{Settings, PROBE_SIZE};
use crate::config::Normalization;
use std::mem::size_of;

/// Rows per chunk when evaluating whole data sets (as `probe::EVAL_CHUNK`).
const EVAL_CHUNK: u64 = 512;

/// An upper bound of the bytes a run of `settings` on a data set of `examples` rows,
/// `features` columns and `classes` classes allocates (saturating, never overflowing).
pub fn train_bytes(settings: &Settings, examples: usize, features: usize, classes: usize) -> u64 {
    let spec: ModelSpec = settings.model_spec(features, classes);
    let (depth, width) = (spec.depth as u64, spec.width as u64);
    let (d, k, n) = (features as u64, classes as u64, examples as u64);
    let f32b = size_of::<f32>() as u64;
    let f64b = size_of::<f64>() as u64;
    let header = size_of::<Vec<f32>>() as u64;
    // Weights, biases, scale and shift, running mean and variance of every layer.
    let weights = d
        .saturating_mul(width)
        .saturating_add(depth.saturating_sub(1).saturating_mul(width * width))
        .saturating_add(width * k);
    let per_unit = 6 * (depth * width + k);
    let params = weights.saturating_add(per_unit).saturating_mul(f32b) + 8 * (depth + 1) * header;
    let optimizer_copies = match settings.optimizer {
        OptimizerKind::Sgd => 1,
        OptimizerKind::Adam => 2,
    };
    // Model, two sets of gradients, the optimizer's state.
    let parameters = params.saturating_mul(3 + optimizer_copies);
    // A forward cache of `rows` rows: per layer its input, h, normalized values, output,
    // gradient and dropout mask, the normalization's statistics, the logits and their gradient,
    // scratch rows.
    let widest = width.max(d).max(k);
    let groups = match settings.norm {
        Normalization::Group => settings.groups as u64,
        _ => 1,
    };
    let cache = |rows: u64| {
        let per_layer = rows
            .saturating_mul(widest)
            .saturating_mul(5 * f32b + 1)
            .saturating_add(rows.saturating_mul(groups) * f32b)
            .saturating_add(widest * (2 * f64b + f32b))
            + 8 * header;
        per_layer
            .saturating_mul(depth + 2)
            .saturating_add(rows.saturating_mul(widest).saturating_mul(4 * f32b))
    };
    let train_rows = settings.tbatch.min(examples) as u64;
    let grid = if features == 2 && classes == 2 {
        (GRID * GRID) as u64
    } else {
        0
    };
    let eval_rows = (PROBE_SIZE as u64).max(EVAL_CHUNK).max(grid);
    let caches = cache(train_rows).saturating_add(cache(eval_rows));
    // The data set, the training and test sets (a copy of each row and label), the permutation, the probe
    // batch, the minibatch, the grid and its decision map, per-unit omega and tau.
    let data = n.saturating_mul((d + 1) * f32b * 3 + size_of::<usize>() as u64)
        + (PROBE_SIZE as u64 + train_rows) * (d + 1) * f32b
        + grid * (3 * f32b + f64b)
        + 4 * widest * f64b
        + (d + k) * 4 * f64b;
    // The history: a loss per step, and per evaluation its figures and a probe per layer; a Vec
    // grown by pushes holds at most twice its length.
    let steps = settings.steps as u64;
    let evals = steps / settings.eval_every.max(1) as u64 + 2;
    let eval_bytes = 64 + depth * 64 + header;
    let history = 2 * steps * f64b + 2 * evals.saturating_mul(eval_bytes);
    parameters
        .saturating_add(caches)
        .saturating_add(data)
        .saturating_add(history)
}
