//! Simulation core of Activation Lab.
//!
//! Pure Rust, no web dependencies: activations and their analytic derivatives, weight
//! initializers, a documented seeded PRNG, the forward and backward pass of a deep fully
//! connected network, and per-layer statistics. The web app (Yew, plotters, URL handling)
//! lives around this crate and only calls its public API.

#[macro_use]
mod named;

pub mod activation;
pub mod config;
pub mod init;
pub mod jacobian;
pub mod kernels;
pub(crate) mod lanes;
pub mod mlp;
pub mod rng;
pub mod sim;
pub mod special;
pub mod stats;
pub mod theory;
pub mod train;
pub(crate) mod vecmath;
pub mod view;
mod ziggurat;

pub use activation::{
    Activation, ActivationKind, ParamSpec, ACTIVATION_PARAMS, SELU_ALPHA, SELU_LAMBDA,
};
pub use config::{
    Arch, Config, ConfigError, NormAt, Normalization, ResScaleRule, BATCH_RANGE, DEPTH_RANGE,
    WIDTH_RANGE,
};
pub use init::{Initializer, WeightSampler};
pub use jacobian::{JacobianRun, JacobianSummary, MAX_JACOBIAN_WIDTH};
pub use kernels::KernelPath;
pub use rng::{Rng, Stream};
pub use sim::{LayerStats, NonFinite, RunPhase, Signal, Simulation};
pub use theory::{
    derive_selu, fixed_points_of_map, gauss_expect, gauss_expect_2d, length_map, mean_field,
    phase_grid, predict_correlation, predict_layers, selu_map, LengthFixedPoint, MeanField, Phase,
    PhasePoint, Prediction,
};
pub use view::{Delta, SimView};
