//! The length map, per-layer predictions for the simulation, and the correlation map.

use super::quadrature::Quadrature;
use super::{second_moment, shape};
use crate::activation::Activation;
use crate::config::{Config, Normalization};

/// The length map (Poole et al. 2016): the pre-activation second moment of the next
/// layer, q^l = sigma_w^2 E[phi(sqrt(q^(l-1)) z)^2] + sigma_b^2, for pre-activations
/// N(0, q^(l-1)) in this layer. A negative or non-finite `q_prev` gives NaN.
pub fn length_map(act: &Activation, sigma_w2: f64, sigma_b2: f64, q_prev: f64) -> f64 {
    if q_prev.is_nan() || q_prev < 0.0 {
        return f64::NAN;
    }
    sigma_w2 * second_moment(act, Quadrature::Accurate, q_prev) + sigma_b2
}

/// Mean-field prediction for one layer l of a random network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    /// Second moment q^l = E[(h^l)^2] of the pre-activations; their mean is 0 (averaged over
    /// the weights), so this is also their variance across units.
    pub q: f64,
    /// Mean m^l = E[phi(h^l)] of the post-activations.
    pub post_mean: f64,
    /// Variance E[phi(h^l)^2] - (m^l)^2 of the post-activations.
    pub post_var: f64,
}

/// Per-layer predictions (layers 1..=depth) for inputs with i.i.d. N(in_mean, in_std^2)
/// entries, as in the simulation (`crate::sim`), without normalization.
///
/// h^1 ~ N(0, q^1) with q^1 = sigma_w^2 E[(x^0)^2] + sigma_b^2 = sigma_w^2 (in_mean^2 +
/// in_std^2) + sigma_b^2: each unit sums fan_in zero-mean weights, so the input mean only
/// enters through the second moment (averaged over the weights, h has mean 0; within one fixed
/// network unit j is offset by in_mean sum_i W_ij, which differs between units and is part of
/// the variance q^1 across units). Then m^l = E[phi(h^l)], E[phi(h^l)^2] and
/// q^(l+1) = sigma_w^2 E[phi(h^l)^2] + sigma_b^2 (Poole et al. 2016). The simulation's
/// pooled statistics `pre_second_moment`, `post_mean`, `post_var` fluctuate around these, with
/// finite-width corrections of relative order 1/sqrt(width).
pub fn predict_layers(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    in_mean: f64,
    in_std: f64,
    depth: usize,
) -> Vec<Prediction> {
    let scale = shape(act);
    let mut q = sigma_w2 * (in_mean * in_mean + in_std * in_std) + sigma_b2;
    let mut out = Vec::with_capacity(depth);
    for _ in 0..depth {
        let [mean, second] = Quadrature::Accurate.expect_array(scale, 0.0, q.sqrt(), |x| {
            let y = act.f64(x);
            [y, y * y]
        });
        out.push(Prediction {
            q,
            post_mean: mean,
            post_var: (second - mean * mean).max(0.0),
        });
        q = sigma_w2 * second + sigma_b2;
    }
    out
}

/// sigma_w^2 = gain^2 fan_in Var(W_ij) of a configuration (fan_in = fan_out = width): 1 for
/// LeCun (normal or uniform) with gain 1, 2 for He, 1 for Xavier and orthogonal on square
/// layers, and `width` for the standard normal N(0, 1). The mean-field theory only sees this
/// variance, so uniform and orthogonal weights get the Gaussian prediction.
pub fn sigma_w2_of(config: &Config) -> f64 {
    let gain = f64::from(config.gain);
    gain * gain * config.width as f64 * config.init.weight_variance(config.width, config.width)
}

/// sigma_b^2 = bias_std^2 of a configuration.
pub fn sigma_b2_of(config: &Config) -> f64 {
    let sb = f64::from(config.bias_std);
    sb * sb
}

/// Fewest units a per-example normalization may standardize together for [`config_prediction`]
/// to predict the layers: standardized over fewer, the values are far from Gaussian (two units
/// give +-1, one unit gives 0).
pub const MIN_NORM_UNITS: usize = 16;

/// Why [`config_prediction`] has no per-layer prediction for a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoPrediction {
    /// BatchNorm couples the examples of a batch.
    BatchCoupling,
    /// A per-example normalization over this many units (fewer than [`MIN_NORM_UNITS`]).
    SmallGroups(usize),
}

/// [`config_prediction`] where one exists.
pub fn predict_config(config: &Config) -> Option<Vec<Prediction>> {
    config_prediction(config).ok()
}

/// Mean and second moment of phi(z), z ~ N(0, q).
fn phi_moments(act: &Activation, q: f64) -> (f64, f64) {
    let [mean, second] =
        Quadrature::Accurate.expect_array(shape(act), 0.0, q.max(0.0).sqrt(), |x| {
            let y = act.f64(x);
            [y, y * y]
        });
    (mean, second)
}

/// Per-layer predictions (layers 1..=depth) for a configuration, where a mean-field prediction
/// exists (docs/science.md#normalization-and-residual-blocks):
/// - plain, no normalization: [`predict_layers`];
/// - plain, a per-example normalization (LayerNorm, GroupNorm, RMSNorm) before phi: every
///   normalized pre-activation has second moment 1 per example, so each layer restarts from
///   q = 1: `q` is 1 and the post statistics those of phi(z), z ~ N(0, 1);
/// - after phi: every layer's output has second moment 1 per example (LayerNorm and GroupNorm
///   also mean 0 and variance 1), so q^l = sigma_w^2 + sigma_b^2 from layer 2 on; the post
///   statistics are (0, 1), or for RMSNorm (m / r, 1 - m^2 / r^2) with m = E[phi(h)],
///   r^2 = E[phi(h)^2] (a ratio of means: exact as the width grows);
/// - residual blocks x^l = x^(l-1) + s phi(h^l): at initialization the branch is uncorrelated
///   with the stream, so the stream's mean grows by s E[phi(h)] and its variance by
///   s^2 Var[phi(h)] per block, with h ~ N(0, sigma_w^2 q_in + sigma_b^2), q_in = 1 after a
///   per-example normalization and the stream's second moment (mean^2 + variance) without one.
///   `q` is the branch's pre-activation second moment, the post statistics the stream's.
///
/// None for BatchNorm (its batch coupling, strongest at small batch) and for per-example
/// normalizations over fewer than [`MIN_NORM_UNITS`] units.
pub fn config_prediction(config: &Config) -> Result<Vec<Prediction>, NoPrediction> {
    let act = &config.activation;
    let (sw, sb) = (sigma_w2_of(config), sigma_b2_of(config));
    let (in_mean, in_std) = (f64::from(config.input_mean), f64::from(config.input_std));
    let units = match config.norm {
        Normalization::None => usize::MAX,
        Normalization::Batch => return Err(NoPrediction::BatchCoupling),
        Normalization::Layer | Normalization::Rms => config.width,
        Normalization::Group => config.width / config.groups.max(1),
    };
    if units < MIN_NORM_UNITS {
        return Err(NoPrediction::SmallGroups(units));
    }
    let normalized = config.norm != Normalization::None;
    let depth = config.depth;
    if config.is_residual() {
        let s = f64::from(config.branch_scale());
        let (mut mean, mut var) = (in_mean, in_std * in_std);
        return Ok((0..depth)
            .map(|_| {
                let q_in = if normalized { 1.0 } else { var + mean * mean };
                let q = sw * q_in + sb;
                let (m, second) = phi_moments(act, q);
                mean += s * m;
                var += s * s * (second - m * m).max(0.0);
                Prediction {
                    q,
                    post_mean: mean,
                    post_var: var,
                }
            })
            .collect());
    }
    if !normalized {
        return Ok(predict_layers(act, sw, sb, in_mean, in_std, depth));
    }
    if !config.norm_after_activation() {
        let (m, second) = phi_moments(act, 1.0);
        return Ok(vec![
            Prediction {
                q: 1.0,
                post_mean: m,
                post_var: (second - m * m).max(0.0),
            };
            depth
        ]);
    }
    let mut q = sw * (in_mean * in_mean + in_std * in_std) + sb;
    Ok((0..depth)
        .map(|_| {
            let (post_mean, post_var) = if config.norm == Normalization::Rms {
                let (m, second) = phi_moments(act, q);
                let ratio = if second > 0.0 { m / second.sqrt() } else { 0.0 };
                (ratio, 1.0 - ratio * ratio)
            } else {
                (0.0, 1.0)
            };
            let p = Prediction {
                q,
                post_mean,
                post_var,
            };
            q = sw + sb;
            p
        })
        .collect())
}

/// The correlation map (Poole et al. 2016): for two inputs a, b whose pre-activations
/// in this layer are jointly N(0, [[q_aa, q_ab], [q_ab, q_bb]]) with q_ab = c sqrt(q_aa q_bb),
/// returns the next layer's (q_aa', q_bb', c') with q_aa' = sigma_w^2 E[phi(u_a)^2] +
/// sigma_b^2 (likewise q_bb'), q_ab' = sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2 and
/// c' = q_ab' / sqrt(q_aa' q_bb'). c is clamped to [-1, 1]; c = 1 is always a fixed point.
pub fn correlation_map(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q_aa: f64,
    q_bb: f64,
    c: f64,
) -> (f64, f64, f64) {
    correlation_map_with(Quadrature::Accurate, act, sigma_w2, sigma_b2, q_aa, q_bb, c)
}

/// [`correlation_map`] with a chosen quadrature rule (`Quadrature::Fast` is about twice as fast,
/// with relative error about 1e-12, ample for plotting).
pub fn correlation_map_with(
    quad: Quadrature,
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q_aa: f64,
    q_bb: f64,
    c: f64,
) -> (f64, f64, f64) {
    if !(q_aa >= 0.0 && q_bb >= 0.0) || c.is_nan() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let c = c.clamp(-1.0, 1.0);
    let next_aa = sigma_w2 * second_moment(act, quad, q_aa) + sigma_b2;
    let next_bb = if q_bb == q_aa {
        next_aa
    } else {
        sigma_w2 * second_moment(act, quad, q_bb) + sigma_b2
    };
    let c_next = if c == 1.0 && q_aa == q_bb {
        // u_a = u_b: the map fixes c = 1 exactly.
        1.0
    } else {
        let scale = shape(act);
        let phi = |x: f64| act.f64(x);
        let cross = quad.expect_2d(scale, scale, phi, phi, q_aa, q_bb, c * (q_aa * q_bb).sqrt());
        ((sigma_w2 * cross + sigma_b2) / (next_aa * next_bb).sqrt()).clamp(-1.0, 1.0)
    };
    (next_aa, next_bb, c_next)
}

/// Correlations c^1, ..., c^depth of the pre-activations of two inputs in layers 1..=depth,
/// starting from layer 1 where both have second moment q^1 = `q0` and correlation c^1 = `c0`
/// (so the first element is c0); each further layer applies [`correlation_map`] with
/// q_aa = q_bb following the length map. To start from the inputs instead, convert with
/// [`input_correlation`].
pub fn predict_correlation(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q0: f64,
    c0: f64,
    depth: usize,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(depth);
    let (mut q, mut c) = (q0, c0.clamp(-1.0, 1.0));
    for _ in 0..depth {
        out.push(c);
        let (q_next, _, c_next) = correlation_map(act, sigma_w2, sigma_b2, q, q, c);
        q = q_next;
        c = c_next;
    }
    out
}

/// Layer-1 pre-activation statistics (q^1, c^1) of two inputs x_a, x_b with the same mean
/// square `input_q` = |x|^2 / n and cosine similarity `input_c` = x_a.x_b / |x_a||x_b|:
/// q^1 = sigma_w^2 input_q + sigma_b^2, c^1 = (sigma_w^2 input_c input_q + sigma_b^2) / q^1.
///
/// Two independent inputs with i.i.d. N(m, s^2) entries have input_q = m^2 + s^2 and, for a
/// large width, input_c = m^2 / (m^2 + s^2): a nonzero input mean makes inputs correlated.
pub fn input_correlation(sigma_w2: f64, sigma_b2: f64, input_q: f64, input_c: f64) -> (f64, f64) {
    let q1 = sigma_w2 * input_q + sigma_b2;
    (q1, (sigma_w2 * input_c * input_q + sigma_b2) / q1)
}
