//! Mean-field theory of signal propagation in deep random networks: what the simulation should
//! show on average, drawn next to it.
//!
//! Conventions (Poole et al. 2016, "Exponential expressivity in deep neural networks through
//! transient chaos", arXiv 1606.05340; Schoenholz et al. 2017, "Deep information propagation",
//! arXiv 1611.01232): a layer computes h^l = x^(l-1) W^l + b^l, x^l = phi(h^l), with weights
//! W_ij ~ N(0, sigma_w^2 / fan_in) and biases b_j ~ N(0, sigma_b^2); z denotes a standard
//! normal. In the infinite-width limit every pre-activation h^l is N(0, q^l) over the random
//! weights and biases, and the statistics of one input (the length map), of a pair of inputs
//! (the correlation map) and of the gradients (chi_1) follow deterministic recursions.
//!
//! Modules: [`quadrature`] (Gaussian expectations), `propagation` (the length and correlation
//! maps and per-layer predictions), `criticality` (fixed points, chi_1, depth scales, phases,
//! phase diagram), `snn` (the self-normalizing map of Klambauer et al. 2017 and the derivation
//! of SELU's constants), `summary` (what the theory panels show: per-layer predictions, the
//! correlation job, the layer map with its fixed point and Jacobian, the phase grid).
//! Formulas and constants: docs/science.md#the-self-normalizing-map and #mean-field-theory.

mod criticality;
mod dd;
mod propagation;
pub mod quadrature;
mod snn;
mod summary;

pub use criticality::{
    chi1, correlation_fixed_point, correlation_slope, depth_scale, length_fixed_point,
    length_map_slope, mean_field, mean_field_from, phase_grid, LengthFixedPoint, MeanField, Phase,
    PhasePoint, CRITICAL_TOLERANCE, NEUTRAL_TOLERANCE,
};
pub use propagation::{
    config_prediction, correlation_map, correlation_map_with, input_correlation, length_map,
    predict_config, predict_correlation, predict_layers, sigma_b2_of, sigma_w2_of, NoPrediction,
    Prediction, MIN_NORM_UNITS,
};
pub use quadrature::{gauss_expect, gauss_expect_2d, Quadrature};
pub use snn::{
    derive_selu, fixed_points_of_map, selu_map, selu_map_closed_form, selu_map_jacobian,
    Eigenvalue, MapFixedPoint,
};
pub use summary::{
    gain_and_sb, layer_fixed_point, layer_map, layer_map_jacobian, point_on_grid, CorrJob,
    LayerFixedPoint, MapArrows, PhaseGrid, TheorySummary, MAP_GRID, PHASE_GRID, PHASE_SB2,
    PHASE_SW2,
};

use crate::activation::Activation;
use quadrature::Shape;

/// The quadrature's view of the activation, from its table row: the kink (0 for smooth
/// activations, whose features are centred there) and the length scale of its features.
fn shape(act: &Activation) -> Shape {
    Shape {
        scale: act.feature_scale(),
        kink: act.kind.kink().unwrap_or(0.0),
    }
}

/// E[phi(sqrt(q) z)^2], the post-activation second moment for pre-activations N(0, q).
fn second_moment(act: &Activation, quad: Quadrature, q: f64) -> f64 {
    quad.expect_array(shape(act), 0.0, q.sqrt(), |x| {
        let y = act.f64(x);
        [y * y]
    })[0]
}
