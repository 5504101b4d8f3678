//! The memory budget of a simulation: an upper bound on the bytes a run allocates, estimated
//! from its [`Config`] before anything is allocated, and what is given up when that bound is
//! above the budget.
//!
//! A run needs a forward working set it cannot do without (x^0, x^(l-1) and h^l of the batch,
//! the normalization's statistics, W^l with the orthogonal sampler's f64 scratch, the
//! correlation pairs, the per-layer results and histogram samples), plus two optional parts:
//! the stored h^l (and, with the normalization after the activation, the normalized x^l and the
//! inverse stds) of every layer with the backward pass's own buffers, and the cache of every W^l.
//! Above the budget the run degrades in this order, each step explicit:
//! 1. W^l is regenerated from its random stream in the backward pass instead of cached (the
//!    results are bit-identical, only slower);
//! 2. the backward pass is skipped, with a message saying why ([`MemoryChoice::skip_message`]).
//!
//! The forward working set at the largest settings (depth 1000, width 1024, batch 4096, GroupNorm
//! with 1024 groups, orthogonal weights) is about 120 MB, below the smallest budget
//! [`MIN_BUDGET_BYTES`], so the forward pass always runs and nothing else needs to give way
//! (the histogram samples take at most 8 KiB per layer, 8 MB at depth 1000).
//!
//! The budget itself ([`MemoryBudget::for_device`]): a quarter of the memory the browser reports
//! (`navigator.deviceMemory`, in GB, which browsers round to 0.25 ... 8), clamped to
//! [[`MIN_BUDGET_BYTES`], [`DEFAULT_BUDGET_BYTES`]]; 1 GiB when the browser reports nothing.

use super::{CORR_PAIRS, MAX_SAMPLES};
use crate::config::{Config, Normalization};
use crate::init::Initializer;
use crate::stats::{LayerStats, NonFinite};
use std::mem::size_of;

/// The budget when the device reports no memory size, and the most ever used: 1 GiB of wasm
/// memory (a quarter of the 4 GiB a 32-bit wasm module can address).
pub const DEFAULT_BUDGET_BYTES: u64 = 1 << 30;
/// The least budget: 256 MiB, more than the forward working set at the largest settings.
pub const MIN_BUDGET_BYTES: u64 = 256 << 20;
/// Allowance for everything in the same wasm memory that is not the simulation: the theory
/// tables, messages, the allocator's own slack.
pub const OVERHEAD_BYTES: u64 = 32 << 20;

/// How many bytes of memory a run may use, and where the figure came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryBudget {
    /// The budget in bytes.
    pub bytes: u64,
    /// The device memory the browser reported (GB), if any.
    pub device_memory_gb: Option<f64>,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget {
            bytes: DEFAULT_BUDGET_BYTES,
            device_memory_gb: None,
        }
    }
}

impl MemoryBudget {
    /// The budget on a device reporting `device_memory_gb` (`navigator.deviceMemory`): a
    /// quarter of it, clamped to [`MIN_BUDGET_BYTES`]..=[`DEFAULT_BUDGET_BYTES`]; the default when
    /// nothing (or nothing positive and finite) is reported.
    pub fn for_device(device_memory_gb: Option<f64>) -> Self {
        match device_memory_gb.filter(|gb| gb.is_finite() && *gb > 0.0) {
            None => MemoryBudget::default(),
            Some(gb) => {
                let quarter = gb * (1u64 << 30) as f64 / 4.0;
                MemoryBudget {
                    bytes: (quarter as u64).clamp(MIN_BUDGET_BYTES, DEFAULT_BUDGET_BYTES),
                    device_memory_gb: Some(gb),
                }
            }
        }
    }

    /// A fixed budget (tests, tools).
    pub fn bytes(bytes: u64) -> Self {
        MemoryBudget {
            bytes,
            device_memory_gb: None,
        }
    }

    /// Where the budget comes from, in words: "1024 MB (a quarter of the 4 GB this device
    /// reports, at most 1024 MB)".
    fn describe(&self) -> String {
        let mb = mib(self.bytes);
        match self.device_memory_gb {
            Some(gb) => format!(
                "{mb:.0} MB (a quarter of the {gb} GB of memory this device reports, between {:.0} and {:.0} MB)",
                mib(MIN_BUDGET_BYTES),
                mib(DEFAULT_BUDGET_BYTES)
            ),
            None if self.bytes == DEFAULT_BUDGET_BYTES => {
                format!("{mb:.0} MB (the default when the browser does not report its memory)")
            }
            None => format!("{mb:.0} MB"),
        }
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Upper bounds on the bytes a simulation of a config allocates, by part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// What every run needs: the forward working set, the results and the samples.
    pub forward: u64,
    /// What the backward pass adds: the stored activations of every layer and its buffers.
    pub backward: u64,
    /// The cache of every W^l (else regenerated in the backward pass).
    pub weights: u64,
    /// The stored activations alone (part of `backward`), for the message.
    pub stored: u64,
}

impl MemoryEstimate {
    /// The estimate for `config` (meant for a validated one; saturating, never overflowing).
    pub fn of(config: &Config) -> Self {
        let (d, n, b) = (
            config.depth as u64,
            config.width as u64,
            config.batch as u64,
        );
        let f32b = size_of::<f32>() as u64;
        let f64b = size_of::<f64>() as u64;
        let bn = b.saturating_mul(n);
        let nn = n.saturating_mul(n);
        let header = size_of::<Vec<f32>>() as u64;
        // A Vec grown by pushes holds at most twice its length.
        let pushed = |count: u64, each: u64| 2 * count.saturating_mul(each);
        let groups = match config.norm {
            Normalization::Group => config.groups as u64,
            _ => 1,
        };
        // Inverse stds per layer: per column for BatchNorm, per row (and group) otherwise.
        let inv_stds = match config.norm {
            Normalization::None => 0,
            Normalization::Batch => n,
            Normalization::Layer | Normalization::Rms | Normalization::Group => {
                b.saturating_mul(groups)
            }
        };
        // BatchNorm's column sums and sums of squares, and the inverse stds in f64.
        let norm = 2 * n * f64b + inv_stds.saturating_mul(f64b);
        // W^l and b^l, and the orthogonal sampler's f64 Gaussian matrix, Q and small vectors.
        let sampler = if config.init == Initializer::Orthogonal {
            2 * nn.saturating_mul(f64b) + 4 * n * f64b
        } else {
            0
        };
        let weights_now = nn.saturating_mul(f32b) + n * f32b + sampler;
        // x^0, x^(l-1), h^l; residual blocks add the normalized stream and phi(h) of a block of
        // rows (at most the batch).
        let residual = config.is_residual();
        let batch = if residual { 5 } else { 3 } * bn.saturating_mul(f32b);
        // The pairs' input, x, h and (residual) u, a row of phi, and a row of f64 while drawing
        // or normalizing them.
        let pairs = 4 * (2 * CORR_PAIRS as u64) * n * f32b + n * f32b + (n + groups) * f64b;
        // Per layer: its samples (allocated at full capacity), statistics, non-finite counts.
        let per_layer = (MAX_SAMPLES * size_of::<f32>()) as u64;
        // BatchNorm's column means and inverse stds of every layer (for the Jacobian).
        let batch_norm = if config.norm == Normalization::Batch {
            d.saturating_mul(2 * n * f64b) + pushed(d, 2 * header)
        } else {
            0
        };
        let results = batch_norm
            + d.saturating_mul(per_layer)
            + pushed(d, header)
            + pushed(d, size_of::<LayerStats>() as u64)
            + pushed(d, size_of::<NonFinite>() as u64)
            + per_layer;
        let forward = batch
            .saturating_add(norm)
            .saturating_add(weights_now)
            .saturating_add(pairs)
            .saturating_add(results);

        // After the activation, the backward pass needs h^l (for phi') and the normalized x^l;
        // a residual block with a normalization, h^l and the normalized stream.
        let copies =
            if config.norm_after_activation() || (residual && config.norm != Normalization::None) {
                2
            } else {
                1
            };
        let stored = d.saturating_mul(
            bn.saturating_mul(copies * f32b)
                .saturating_add(inv_stds.saturating_mul(f32b)),
        ) + 3 * pushed(d, header);
        // dL/dx^l, delta^l and phi'(h^l) of a block of rows (and a residual branch's gradient).
        let buffers = if residual { 4 } else { 3 };
        let backward = stored.saturating_add(buffers * bn.saturating_mul(f32b));
        let weights = d.saturating_mul(nn.saturating_mul(f32b)) + pushed(d, header);
        MemoryEstimate {
            forward,
            backward,
            weights,
            stored,
        }
    }

    /// Everything, with the backward pass and the weight cache.
    pub fn total(&self) -> u64 {
        self.forward
            .saturating_add(self.backward)
            .saturating_add(self.weights)
    }

    /// What fits in `budget` (less [`OVERHEAD_BYTES`]): the whole run, the run with the
    /// weights regenerated, or the forward pass only.
    pub fn choose(&self, budget: MemoryBudget) -> MemoryChoice {
        let room = budget.bytes.saturating_sub(OVERHEAD_BYTES);
        let with_backward = self.forward.saturating_add(self.backward);
        let (backward, cache_weights, bytes) = if self.total() <= room {
            (true, true, self.total())
        } else if with_backward <= room {
            (true, false, with_backward)
        } else {
            (false, false, self.forward)
        };
        MemoryChoice {
            backward,
            cache_weights,
            bytes,
            estimate: *self,
            budget,
        }
    }
}

/// What a run keeps within its budget.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryChoice {
    /// Whether the backward pass runs.
    pub backward: bool,
    /// Whether every W^l is cached (else regenerated in the backward pass).
    pub cache_weights: bool,
    /// The estimated bytes of the run as chosen (an upper bound).
    pub bytes: u64,
    pub estimate: MemoryEstimate,
    pub budget: MemoryBudget,
}

impl MemoryChoice {
    /// Why the backward pass is skipped, in plain words (None when it runs).
    pub fn skip_message(&self, config: &Config) -> Option<String> {
        if self.backward {
            return None;
        }
        let post = if config.norm_at.is_after(config.norm) {
            " (twice: before and after the normalization)"
        } else {
            ""
        };
        Some(format!(
            "backward pass skipped: it must keep the activations of all {} layers ({} x {} each{post}), \
             about {:.0} MB with the forward pass, more than this page's memory budget of {}; \
             the forward statistics are complete. Reduce depth, width or batch for the gradients",
            config.depth,
            config.batch,
            config.width,
            mib(self.estimate.forward.saturating_add(self.estimate.backward)),
            self.budget.describe(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_a_quarter_of_device_memory_within_bounds() {
        let gib = 1u64 << 30;
        assert_eq!(MemoryBudget::for_device(None).bytes, gib);
        assert_eq!(MemoryBudget::for_device(Some(8.0)).bytes, gib);
        assert_eq!(MemoryBudget::for_device(Some(4.0)).bytes, gib);
        assert_eq!(MemoryBudget::for_device(Some(2.0)).bytes, gib / 2);
        assert_eq!(MemoryBudget::for_device(Some(1.0)).bytes, gib / 4);
        assert_eq!(MemoryBudget::for_device(Some(0.25)).bytes, gib / 4);
        assert_eq!(MemoryBudget::for_device(Some(f64::NAN)).bytes, gib);
        assert_eq!(MemoryBudget::for_device(Some(-1.0)).bytes, gib);
    }
}
