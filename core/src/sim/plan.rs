//! The plan of a simulation: the kinds of work units ([`Task`]), their estimated flops and rows
//! per unit, the memory decisions made up front ([`Plan`]) and the total estimate.

use super::{ACTIVATION_FLOPS, CORR_PAIRS, UNIT_FLOPS};
use crate::config::{Config, Normalization};
use crate::init::{WeightSampler, NORMAL_FLOPS};

/// One kind of work unit. Row passes process a block of rows of the batch per unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Task {
    /// Drawing x^0.
    Input,
    /// Sampling W^l (forward).
    Weights,
    /// Drawing b^l.
    Bias,
    /// h^l = x^(l-1) W^l + b^l.
    Matmul,
    /// BatchNorm: column sums.
    BatchMean,
    /// BatchNorm: column sums of squared deviations.
    BatchVar,
    /// BatchNorm: standardize.
    BatchApply,
    /// LayerNorm, GroupNorm, RMSNorm: normalize each row (per group of units).
    RowNorm,
    /// x^l = phi(h^l), the one-pass moments of h^l and x^l ([`crate::stats::Moments`]) and the
    /// histogram samples, in one pass over the rows (with the normalization after the
    /// activation: phi and the moments of h^l only).
    Activate,
    /// With the normalization after the activation: the moments of the normalized x^l and the
    /// histogram samples.
    PostMoments,
    /// Drawing the correlation pairs' inputs (one unit).
    PairInput,
    /// A block of the 2 P pair rows through layer l: matmul, bias, normalization, the cosine of
    /// each completed pair and phi.
    Pairs,
    /// Drawing g.
    Seed,
    /// Regenerating W^l for the backward pass.
    BackWeights,
    /// dL/dy = dL/dx^l phi'(y) and, without BatchNorm, delta^l.
    BackLocal,
    /// BatchNorm backward: delta^l from the column sums.
    BackBatchApply,
    /// dL/dx^(l-1) = delta^l (W^l)^T (a residual block: the branch's part of it).
    BackMatmul,
    /// A residual block with BatchNorm: the column sums of the branch's gradient.
    ResBackSums,
    /// A residual block: the branch's gradient back through the stream's normalization, added
    /// to dL/dx^l.
    ResBackAdd,
    /// A shard waiting for whole-batch sums ([`super::Simulation::exchange`]).
    Wait,
    Done,
}

impl Task {
    /// Estimated flops per row of the batch, for the row passes.
    pub(super) fn row_flops(self, width: usize) -> f64 {
        let n = width as f64;
        match self {
            Task::Input | Task::Seed => NORMAL_FLOPS * n,
            Task::Matmul => 2.0 * n * n + n,
            Task::BackMatmul => 2.0 * n * n,
            Task::BatchMean => n,
            Task::BatchVar | Task::BatchApply => 3.0 * n,
            Task::RowNorm | Task::BackBatchApply => 8.0 * n,
            Task::ResBackSums => 4.0 * n,
            Task::ResBackAdd => 9.0 * n,
            // phi, and the shifted sum and sum of squares of h and x.
            Task::Activate => (ACTIVATION_FLOPS + 8.0) * n,
            Task::PostMoments => 4.0 * n,
            Task::BackLocal => (ACTIVATION_FLOPS + 8.0) * n,
            // Matmul and bias, normalization (at most 8 n), cosine terms (3 n), phi.
            Task::Pairs => 2.0 * n * n + n + 8.0 * n + 3.0 * n + ACTIVATION_FLOPS * n,
            Task::Weights
            | Task::Bias
            | Task::PairInput
            | Task::BackWeights
            | Task::Wait
            | Task::Done => 0.0,
        }
    }

    /// Rows per unit so that a unit stays near [`UNIT_FLOPS`] (at least one row).
    pub(super) fn rows_per_unit(self, width: usize) -> usize {
        let per_row = self.row_flops(width).max(1.0);
        ((UNIT_FLOPS / per_row) as usize).max(1)
    }
}

/// Memory decisions for a config, made up front.
#[derive(Clone, Copy, Debug)]
pub(super) struct Plan {
    /// Floats the backward pass must store: the normalized h^l of every layer and the
    /// normalization's inverse stds.
    stored_floats: usize,
    /// The limit on stored floats (from the memory budget, see `budget.rs`, or set by tests).
    max_stored_floats: usize,
    /// Whether the stored floats fit in the limit.
    pub(super) backward: bool,
    /// Whether every W^l is kept (else regenerated in the backward pass).
    pub(super) cache_weights: bool,
}

impl Plan {
    pub(super) fn new(
        config: &Config,
        max_stored_floats: usize,
        max_cached_weights: usize,
    ) -> Self {
        // Per layer: h (batch x width) and the normalization's inverse stds: width for
        // BatchNorm, batch x groups for the per-example ones (as much as h itself for GroupNorm
        // with one unit per group).
        let norm_floats = match config.norm {
            Normalization::None => 0,
            Normalization::Batch => config.width,
            Normalization::Layer | Normalization::Rms => config.batch,
            Normalization::Group => config.batch.saturating_mul(config.groups),
        };
        // After the activation, the backward pass needs h^l (for phi') and the normalized x^l.
        // A residual block with a normalization keeps h^l and the normalized stream.
        let copies = if config.norm_after_activation()
            || (config.is_residual() && config.norm != Normalization::None)
        {
            2
        } else {
            1
        };
        let stored_floats = config.depth.saturating_mul(
            config
                .batch
                .saturating_mul(config.width)
                .saturating_mul(copies)
                .saturating_add(norm_floats),
        );
        let weights = config
            .depth
            .saturating_mul(config.width.saturating_mul(config.width));
        Plan {
            stored_floats,
            max_stored_floats,
            backward: stored_floats <= max_stored_floats,
            // Weights are only needed again by the backward pass.
            cache_weights: stored_floats <= max_stored_floats && weights <= max_cached_weights,
        }
    }

    pub(super) fn skip_reason(&self, config: &Config) -> Option<String> {
        if self.backward {
            return None;
        }
        let mb = self.stored_floats as f64 * 4.0 / (1024.0 * 1024.0);
        Some(format!(
            "backward pass skipped: storing {} layers of {} x {} activations needs {:.0} MB, more than the {:.0} MB \
             limit; reduce depth, width or batch",
            config.depth,
            config.batch,
            config.width,
            mb,
            self.max_stored_floats as f64 * 4.0 / (1024.0 * 1024.0)
        ))
    }
}

/// Estimated flops of the simulation under `plan` (the sum of what the work units report).
pub(super) fn estimate(config: &Config, plan: &Plan) -> f64 {
    let (n, b) = (config.width, config.batch as f64);
    let depth = config.depth as f64;
    let weights = WeightSampler::estimated_flops(config.init, n, n);
    let norm_rows = match config.norm {
        Normalization::None => 0.0,
        Normalization::Batch => {
            Task::BatchMean.row_flops(n)
                + Task::BatchVar.row_flops(n)
                + Task::BatchApply.row_flops(n)
        }
        Normalization::Layer | Normalization::Group | Normalization::Rms => {
            Task::RowNorm.row_flops(n)
        }
    };
    let post_rows = if config.norm_after_activation() {
        Task::PostMoments.row_flops(n)
    } else {
        0.0
    };
    let forward_rows =
        Task::Matmul.row_flops(n) + norm_rows + Task::Activate.row_flops(n) + post_rows;
    let pair_rows = (2 * CORR_PAIRS) as f64 * Task::Pairs.row_flops(n);
    let mut total = b * Task::Input.row_flops(n)
        + pair_input_flops(n)
        + depth * (weights + bias_flops(n) + b * forward_rows + pair_rows);
    if plan.backward && config.depth > 0 {
        let batch_norm = config.norm == Normalization::Batch;
        let local = Task::BackLocal.row_flops(n)
            + if batch_norm && !config.is_residual() {
                Task::BackBatchApply.row_flops(n)
            } else {
                0.0
            };
        let below = Task::BackMatmul.row_flops(n)
            + match (config.is_residual(), batch_norm) {
                (false, _) => 0.0,
                (true, false) => Task::ResBackAdd.row_flops(n),
                (true, true) => Task::ResBackSums.row_flops(n) + Task::ResBackAdd.row_flops(n),
            };
        total += b * Task::Seed.row_flops(n) + depth * b * local;
        total += (depth - 1.0) * b * below;
        if !plan.cache_weights {
            // W^depth is still in memory after the forward pass; W^1 is not needed.
            total += (depth - 2.0).max(0.0) * weights;
        }
    }
    total
}

/// Estimated flops of the forward pass alone (what [`estimate`] counts before the backward
/// pass).
pub(super) fn estimate_forward(config: &Config) -> f64 {
    let no_backward = Plan {
        stored_floats: 0,
        max_stored_floats: 0,
        backward: false,
        cache_weights: false,
    };
    estimate(config, &no_backward)
}

/// Estimated flops of drawing one layer's biases.
pub(super) fn bias_flops(width: usize) -> f64 {
    NORMAL_FLOPS * width as f64
}

/// Estimated flops of drawing the pair inputs: 2 P x width normals and the mixing.
pub(super) fn pair_input_flops(width: usize) -> f64 {
    (2 * CORR_PAIRS * width) as f64 * (NORMAL_FLOPS + 3.0)
}
