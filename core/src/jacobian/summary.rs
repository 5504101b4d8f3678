//! What the Jacobian panel says about the singular values: percentiles, the condition number,
//! the mean squared singular value and its mean-field prediction.

use crate::config::{Arch, Config, Normalization};
use crate::theory::{chi1, predict_config, sigma_w2_of};

/// The summary of the singular values s_1 >= ... >= s_n of J (see [`JacobianSummary::new`]).
#[derive(Clone, Debug, PartialEq)]
pub struct JacobianSummary {
    /// n, the number of singular values (the width).
    pub count: usize,
    pub largest: f64,
    pub smallest: f64,
    /// The 50th, 5th and 95th percentiles: linear interpolation between the sorted values at
    /// position p (n - 1) from the smallest (numpy's default).
    pub median: f64,
    pub p5: f64,
    pub p95: f64,
    /// largest / smallest: infinite when the smallest is 0. When the smallest is below
    /// [`JacobianSummary::floor`] the true value is at least about largest / floor, and this
    /// ratio is not reliable beyond that.
    pub condition: f64,
    /// (1/n) sum s_i^2 = (1/n) |J|_F^2.
    pub mean_squared: f64,
    /// The mean-field prediction of `mean_squared` ([`predicted_mean_squared`]), or why there is
    /// none.
    pub prediction: Result<f64, String>,
    /// largest x depth x width x eps: below this, rounding in the f64 product of the layers can
    /// dominate a singular value (a rough bound: each layer's product adds errors of order eps
    /// times the largest singular value, summed over the width).
    pub floor: f64,
    /// How many singular values are below `floor`.
    pub below_floor: usize,
}

impl JacobianSummary {
    /// The summary of `singular_values` (sorted descending, as [`super::JacobianRun`] gives
    /// them) of the Jacobian of `config`'s network.
    pub fn new(singular_values: &[f64], config: &Config) -> Self {
        let count = singular_values.len();
        let largest = singular_values.first().copied().unwrap_or(f64::NAN);
        let smallest = singular_values.last().copied().unwrap_or(f64::NAN);
        let floor = largest * config.depth as f64 * config.width as f64 * f64::EPSILON;
        JacobianSummary {
            count,
            largest,
            smallest,
            median: percentile(singular_values, 50.0),
            p5: percentile(singular_values, 5.0),
            p95: percentile(singular_values, 95.0),
            condition: if smallest == 0.0 {
                f64::INFINITY
            } else {
                largest / smallest
            },
            mean_squared: singular_values.iter().map(|s| s * s).sum::<f64>() / count as f64,
            prediction: predicted_mean_squared(config),
            floor,
            below_floor: singular_values.iter().filter(|&&s| s < floor).count(),
        }
    }

    /// Whether every singular value is above [`JacobianSummary::floor`], so that the smallest
    /// and the condition number are resolved.
    pub fn resolved(&self) -> bool {
        self.below_floor == 0
    }
}

/// The p-th percentile (0..=100) of values sorted descending: linear interpolation between the
/// ascending order statistics at position p/100 (n - 1). NaN for no values.
pub fn percentile(descending: &[f64], p: f64) -> f64 {
    let n = descending.len();
    if n == 0 {
        return f64::NAN;
    }
    let position = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(n - 1);
    let fraction = position - below as f64;
    // The k-th smallest is descending[n - 1 - k].
    let low = descending[n - 1 - below];
    let high = descending[n - 1 - above];
    low + fraction * (high - low)
}

/// The mean-field prediction of the mean squared singular value (1/n) |J|_F^2 over random
/// networks of `config` (Pennington, Schoenholz & Ganguli 2017, section 2; Poole et al. 2016):
/// each layer multiplies it by chi_1(q^l) = sigma_w^2 E[phi'(h)^2], h ~ N(0, q^l), with q^l the
/// length map's prediction for layer l ([`predict_config`]), so the prediction is the product of
/// the per-layer factors, chi_1^depth when q^l sits at its fixed point. It only sees sigma_w^2,
/// so Gaussian and orthogonal weights get the same prediction (they differ in the spread of the
/// singular values, not in their mean square). Only for a plain stack without normalization;
/// otherwise the reason why there is none.
pub fn predicted_mean_squared(config: &Config) -> Result<f64, String> {
    if config.arch != Arch::Plain {
        return Err("no mean-field prediction for residual blocks here".to_string());
    }
    if config.norm != Normalization::None {
        return Err(format!(
            "no mean-field prediction with {} here",
            config.norm.label()
        ));
    }
    let layers = predict_config(config).ok_or("no mean-field prediction")?;
    let sigma_w2 = sigma_w2_of(config);
    Ok(layers
        .iter()
        .map(|layer| chi1(&config.activation, sigma_w2, layer.q))
        .product())
}
