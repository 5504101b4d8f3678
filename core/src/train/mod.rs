//! The training engine of the Train lab ("Does it stay normalized while it learns?").
//!
//! Pure Rust and deterministic: a data set ([`data`]), a fully connected classifier with
//! optional BatchNorm/LayerNorm and dropout ([`model`]), SGD with momentum and Adam
//! ([`optim`]), a resumable trainer that records losses and per-layer statistics ([`trainer`])
//! and a "Copy as PyTorch" script writer ([`pytorch`]). See `docs/training.md`. Private sibling
//! files hold parts of these modules and are re-exported from them: `gen2d.rs` and `csv.rs`
//! (from [`data`]), `dropout.rs`, `forward.rs` and `backward.rs` ([`model`]), `probe.rs` and
//! `export.rs` ([`trainer`]).
//!
//! **Random streams.** Every random quantity comes from lab_core's [`crate::Rng`] with its own
//! `(seed, stream id)` through [`crate::Rng::from_seed_and_id`]. The ids below start at
//! `0x7472_6169_6e00_0000` ("train" in ASCII followed by zeros), far from the simulation's ids
//! (0, 1, 2l, 2l + 1 for layers and u64::MAX), so no simulation stream is reused:
//! data generation [`STREAM_DATA`] (with the task's own data seed), the split [`STREAM_SPLIT`],
//! the minibatch order [`STREAM_BATCHES`], the training dropout masks [`STREAM_DROPOUT`], the
//! probe batch's choice [`STREAM_PROBE`] and its dropout masks [`STREAM_PROBE_DROPOUT`] (plus the
//! step), and the
//! weights and biases of layer l (1-based, the readout is layer depth + 1) [`stream_weights`]
//! and [`stream_biases`]. All but the data stream use the run's seed.

mod backward;
mod budget;
mod csv;
pub mod data;
mod dropout;
mod export;
mod forward;
mod gen2d;
pub mod model;
pub mod optim;
mod probe;
pub mod pytorch;
pub mod trainer;

pub use budget::train_bytes;
pub use data::{
    generate_2d, parse_csv, split, standardize, CsvError, CsvErrorKind, DataError, Dataset,
    Shape2d, Standardizer, CSV_MAX_BYTES, CSV_MAX_CLASSES, CSV_MAX_FEATURES, CSV_MAX_ROWS,
};
pub use model::{
    alpha_dropout_constants, Cache, DropoutKind, Grads, Layer, Mode, Model, ModelSpec,
};
pub use optim::{Optimizer, OptimizerKind};
pub use pytorch::pytorch_script;
pub use trainer::{
    decision_csv, loss_csv, train_stats_csv, weights_csv, DecisionMap, Evaluation, History,
    LayerProbe, Settings, Task, Trainer,
};

/// First stream id of the Train lab.
pub const STREAM_BASE: u64 = 0x7472_6169_6e00_0000;
/// Two-dimensional data generation (with the task's data seed).
pub const STREAM_DATA: u64 = STREAM_BASE;
/// The stratified train/test split.
pub const STREAM_SPLIT: u64 = STREAM_BASE + 1;
/// The minibatch order (one permutation per epoch).
pub const STREAM_BATCHES: u64 = STREAM_BASE + 2;
/// Dropout masks of the training steps.
pub const STREAM_DROPOUT: u64 = STREAM_BASE + 3;
/// The choice of the probe batch.
pub const STREAM_PROBE: u64 = STREAM_BASE + 4;
/// Dropout masks of the probe batch: the evaluation at step s uses stream id
/// `STREAM_PROBE_DROPOUT + s` (a range of 2^32 ids of its own), so the probe statistics of step
/// s do not depend on how many evaluations came before.
pub const STREAM_PROBE_DROPOUT: u64 = STREAM_BASE + (1 << 32);

/// Weights of layer l (1-based; the readout is layer depth + 1).
pub fn stream_weights(layer: usize) -> u64 {
    STREAM_BASE + 0x1_0000 + 2 * layer as u64
}

/// Biases of layer l (1-based; the readout is layer depth + 1).
pub fn stream_biases(layer: usize) -> u64 {
    STREAM_BASE + 0x1_0000 + 2 * layer as u64 + 1
}
