//! What the theory panels show for one configuration, as plain data: the per-layer predictions
//! with the caveat that goes with them ([`TheorySummary`]), the correlation prediction computed
//! one layer per step ([`CorrJob`]), the (mean, variance) map of one random layer with its
//! fixed point and closed-form Jacobian ([`layer_map`], [`MapArrows`]), and chi_1 and q* over
//! the phase map's grid ([`PhaseGrid`]). The web app turns these into its chart structs and
//! CSV files; nothing here knows about either.
//!
//! Formulas: docs/science.md#mean-field-theory and #the-self-normalizing-map.

use super::criticality::{
    length_fixed_point, mean_field_from, phase_grid, LengthFixedPoint, MeanField, NEUTRAL_TOLERANCE,
};
use super::propagation::{
    config_prediction, correlation_map_with, input_correlation, sigma_b2_of, sigma_w2_of,
    NoPrediction, Prediction, MIN_NORM_UNITS,
};
use super::quadrature::Quadrature;
use super::snn::{map_and_jacobian, selu_map};
use crate::activation::Activation;
use crate::config::{Config, Normalization};
use crate::init::Initializer;

/// Range of sigma_w^2 on the phase map's horizontal axis.
pub const PHASE_SW2: (f64, f64) = (0.5, 4.0);
/// Range of sigma_b^2 on the phase map's vertical axis.
pub const PHASE_SB2: (f64, f64) = (0.0, 0.5);
/// Grid of the phase map (columns x rows).
pub const PHASE_GRID: (usize, usize) = (36, 26);

/// The mean-field theory of one configuration, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TheorySummary {
    pub sigma_w2: f64,
    pub sigma_b2: f64,
    pub mean_field: MeanField,
    /// Per-layer predictions ([`config_prediction`]); None where none exists (BatchNorm,
    /// per-example normalizations over few units).
    pub layers: Option<Vec<Prediction>>,
    /// Where and why the theory does not describe the simulation, or what it assumes.
    pub caveat: Option<String>,
    /// Whether the classic theory of random networks (q*, chi_1, phase, correlation map)
    /// describes this network: a plain stack without normalization.
    pub classic: bool,
}

impl TheorySummary {
    pub fn of(config: &Config) -> TheorySummary {
        let act = config.activation;
        let sigma_w2 = sigma_w2_of(config);
        let sigma_b2 = sigma_b2_of(config);
        // The network's first layer: q^1 = sigma_w^2 (in_mean^2 + in_std^2) + sigma_b^2, as in
        // the per-layer predictions.
        let (in_mean, in_std) = (f64::from(config.input_mean), f64::from(config.input_std));
        let q_first = sigma_w2 * (in_mean * in_mean + in_std * in_std) + sigma_b2;
        let mean_field = mean_field_from(&act, sigma_w2, sigma_b2, q_first);
        let prediction = config_prediction(config);
        let caveat = caveat(config, &prediction);
        let layers = prediction.ok();
        TheorySummary {
            sigma_w2,
            sigma_b2,
            mean_field,
            layers,
            caveat,
            classic: config.norm == Normalization::None && !config.is_residual(),
        }
    }

    /// The summary of `config` made from `self`, the summary of `previous`, when the two
    /// differ in depth only: the mean field (the costly part, a fixed-point search over Gaussian
    /// integrals) depends on the settings, not the depth, so only the per-layer predictions and
    /// the caveat are made anew. Equal to [`TheorySummary::of`]`(config)`; None when the
    /// settings differ in anything but depth.
    pub fn for_depth(&self, previous: &Config, config: &Config) -> Option<TheorySummary> {
        if !previous.same_but_depth(config) {
            return None;
        }
        let prediction = config_prediction(config);
        Some(TheorySummary {
            caveat: caveat(config, &prediction),
            layers: prediction.ok(),
            ..self.clone()
        })
    }
}

/// The caveat that goes with the theory of `config` (see [`TheorySummary::caveat`]).
fn caveat(config: &Config, prediction: &Result<Vec<Prediction>, NoPrediction>) -> Option<String> {
    let norm = config.norm;
    let name = match norm {
        Normalization::None => "",
        Normalization::Batch => "BatchNorm",
        Normalization::Layer => "LayerNorm",
        Normalization::Group => "GroupNorm",
        Normalization::Rms => "RMSNorm",
    };
    let not_classic = "q*, χ₁, the phase and the correlation map describe plain networks without normalization, so they are not shown.";
    if config.is_residual() {
        let q_in = if norm == Normalization::None {
            "the stream's second moment (mean² + variance)".to_string()
        } else {
            format!("1 after {name}")
        };
        let head = format!(
            "Residual blocks: each adds s·φ(h) to the stream, uncorrelated with it at initialization, so the stream's mean grows by s·E[φ(h)] and its variance by s²·Var[φ(h)] per block, with h ~ N(0, σ_w²·q_in + σ_b²) and q_in = {q_in}. No fixed point holds the stream: its variance grows with depth."
        );
        return Some(match prediction {
            Err(NoPrediction::BatchCoupling) => format!(
                "{head} BatchNorm couples the examples of a batch, so no prediction is drawn; {not_classic}"
            ),
            Err(NoPrediction::SmallGroups(units)) => {
                format!("{head} {}; {not_classic}", small_groups(name, *units))
            }
            Ok(_) => format!("{head} The dotted green lines show this prediction; {not_classic}"),
        });
    }
    if norm == Normalization::None {
        return (config.init == Initializer::Orthogonal).then(|| {
            "Orthogonal weights have the same variance σ_w² as the Gaussian ones, so the mean-field prediction is the same; they change only the fluctuations around it (and the Jacobian's spectrum).".to_string()
        });
    }
    let post = config.norm_after_activation();
    let (what, target) = match (post, norm) {
        (false, Normalization::Rms) => ("pre-activations", "mean square 1"),
        (false, _) => ("pre-activations", "mean 0 and variance 1"),
        (true, Normalization::Rms) => ("outputs (after the activation)", "mean square 1"),
        (true, _) => ("outputs (after the activation)", "mean 0 and variance 1"),
    };
    let per = if norm == Normalization::Batch {
        "per unit over the batch"
    } else {
        "per example"
    };
    let head = format!("With {name} every layer's {what} are reset to {target} {per}");
    Some(match prediction {
        Err(NoPrediction::BatchCoupling) => format!(
            "{head}. The mean-field theory of random networks does not describe BatchNorm's coupling of the examples, so no q*, χ₁, phase or prediction is shown.{}",
            if post {
                ""
            } else {
                " BatchNorm has a mean-field theory of its own (Yang et al. 2019): at initialization its gradients explode toward the input, and tuning the weight variance or the nonlinearity cannot remove that (it weakens toward a linear network)."
            }
        ),
        Err(NoPrediction::SmallGroups(units)) => {
            format!("{head}. {}; {not_classic}", small_groups(name, *units))
        }
        Ok(_) if post => format!(
            "{head}, so from layer 2 on every layer's pre-activations have q = σ_w² + σ_b² = {}: the dotted green lines show that prediction; {not_classic}",
            fmt_q(sigma_w2_of(config) + sigma_b2_of(config))
        ),
        Ok(_) => format!(
            "{head}, so the prediction restarts from q = 1 at every layer: the dotted green lines show φ(z) with z ~ N(0, 1); {not_classic}"
        ),
    })
}

/// Why no prediction is drawn for a per-example normalization over `units` units.
fn small_groups(name: &str, units: usize) -> String {
    if units <= 1 {
        format!("{name} over one unit sets it to (h − h)/√ε = 0: the signal is erased, so no prediction is drawn")
    } else {
        format!("{name} standardizes groups of {units} units, fewer than {MIN_NORM_UNITS}: the normalized values are far from Gaussian (two units give ±1), so no prediction is drawn")
    }
}

/// q rounded to 3 decimals.
fn fmt_q(q: f64) -> String {
    format!("{}", (q * 1000.0).round() / 1000.0)
}

/// The mean-field correlation prediction for the input pairs, one layer per step, so that it
/// runs in the same short slices as the simulation (each layer is a 2D Gaussian integral).
/// The pairs have zero-mean inputs with std in_std and cosine c0 (see crate::sim).
#[derive(Clone, Debug)]
pub struct CorrJob {
    /// The configuration it was made for ([`CorrJob::extend`] compares all but the depth).
    settings: Config,
    /// The map reached its fixed point: every further layer has the value `c`.
    converged: bool,
    /// The last layer was pushed and (q, c) not advanced past it (a finished job).
    pending: bool,
    act: Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q: f64,
    c: f64,
    depth: usize,
    /// c^1, c^2, ... computed so far, up to the depth.
    pub values: Vec<f64>,
    /// The values computed beyond the depth (a shallower network continued by
    /// [`CorrJob::extend`]): they come back first when the network gets deeper again; (q, c)
    /// are those of the deepest layer computed.
    beyond: Vec<f64>,
}

impl CorrJob {
    pub fn new(config: &Config) -> CorrJob {
        let sigma_w2 = sigma_w2_of(config);
        let sigma_b2 = sigma_b2_of(config);
        let in_q = f64::from(config.input_std).powi(2);
        let (q, c) = input_correlation(sigma_w2, sigma_b2, in_q, f64::from(config.input_corr));
        // With normalization the theory does not apply; without signal there is nothing to map.
        let applies =
            config.norm == Normalization::None && !config.is_residual() && q > 0.0 && q.is_finite();
        CorrJob {
            settings: *config,
            converged: false,
            pending: false,
            act: config.activation,
            sigma_w2,
            sigma_b2,
            q,
            c,
            depth: if applies { config.depth } else { 0 },
            values: Vec::new(),
            beyond: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.values.len() >= self.depth
    }

    /// This job continued to `config`, a network of the same settings and another depth: c^l
    /// depends on the settings and l only, so the layers computed so far are kept (those
    /// beyond a smaller depth held for a deeper one later) and the job goes on from where it
    /// stopped; its values end bit-identical to [`CorrJob::new`]'s for `config`. The seed,
    /// the batch, the kernels and the input mean do not enter the prediction (the pairs have
    /// zero mean), so they may differ too. Gives the job back (Err) when the settings differ
    /// otherwise.
    pub fn extend(mut self, config: &Config) -> Result<CorrJob, Box<CorrJob>> {
        let predicted = |c: &Config| Config {
            seed: 0,
            batch: 1,
            kernels: Default::default(),
            input_mean: 0.0,
            ..*c
        };
        if !predicted(&self.settings).same_but_depth(&predicted(config)) {
            return Err(Box::new(self));
        }
        self.settings = *config;
        let depth = CorrJob::new(config).depth;
        if depth < self.values.len() {
            let mut cut = self.values.split_off(depth);
            cut.append(&mut self.beyond);
            self.beyond = cut;
        } else {
            let back = (depth - self.values.len()).min(self.beyond.len());
            self.values.extend(self.beyond.drain(..back));
        }
        self.depth = depth;
        if self.converged {
            self.values.resize(depth, self.c);
        } else if self.beyond.is_empty() && self.pending && !self.is_done() {
            self.pending = false;
            self.advance();
        }
        Ok(self)
    }

    /// Computes the next layer; returns true when all layers are done.
    pub fn step(&mut self) -> bool {
        if self.is_done() {
            return true;
        }
        self.values.push(self.c);
        if self.is_done() {
            self.pending = true;
            return true;
        }
        self.advance();
        self.is_done()
    }

    /// (q, c) one layer on; at the fixed point, every remaining layer filled in.
    fn advance(&mut self) {
        let (q_next, _, c_next) = correlation_map_with(
            Quadrature::Fast,
            &self.act,
            self.sigma_w2,
            self.sigma_b2,
            self.q,
            self.q,
            self.c,
        );
        if (c_next - self.c).abs() < 1e-13 && (q_next - self.q).abs() < 1e-13 * self.q.abs() {
            // Converged: every further layer has the same value.
            self.values.resize(self.depth, c_next);
            self.converged = true;
        }
        self.q = q_next;
        self.c = c_next;
    }
}

/// Pre-activation variance s = sigma_w^2 (nu + mu^2) + sigma_b^2 of a random layer whose
/// inputs have mean mu and variance nu.
fn layer_variance(sigma_w2: f64, sigma_b2: f64, mu: f64, nu: f64) -> f64 {
    sigma_w2 * (nu + mu * mu) + sigma_b2
}

/// One layer's (mean, variance) map in the random-layer convention: a layer whose inputs have
/// mean mu and variance nu, with weights N(0, sigma_w^2/n) and biases N(0, sigma_b^2), has
/// pre-activations N(0, s), s = sigma_w^2 (nu + mu^2) + sigma_b^2, averaged over the weights;
/// the map returns the mean and variance of phi of those. At mu = 0 it is the SNN paper's map g
/// with omega = 0 and tau = sigma_w^2 (Klambauer et al. 2017, eq. 4-5).
pub fn layer_map(act: &Activation, sigma_w2: f64, sigma_b2: f64, mu: f64, nu: f64) -> (f64, f64) {
    selu_map(
        act,
        0.0,
        layer_variance(sigma_w2, sigma_b2, mu, nu),
        0.0,
        1.0,
    )
}

/// The Jacobian [[d mean'/d mu, d mean'/d nu], [d var'/d mu, d var'/d nu]] of [`layer_map`] in
/// closed form (up to quadrature error). The map depends on (mu, nu) only through s, so by the
/// chain rule, with G(s) = (mean, var) of phi(z), z ~ N(0, s), and ds/dmu = 2 mu sigma_w^2,
/// ds/dnu = sigma_w^2:
///
/// J = [[G_mean'(s) 2 mu sigma_w^2, G_mean'(s) sigma_w^2], [G_var'(s) 2 mu sigma_w^2, G_var'(s) sigma_w^2]],
///
/// where G'(s) is the nu-column of the SNN map's Jacobian at (0, s), omega = 0, tau = 1 (see
/// `selu_map_jacobian`). At mu = 0 the first column is exactly 0. s <= 0 gives NaN.
pub fn layer_map_jacobian(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    mu: f64,
    nu: f64,
) -> [[f64; 2]; 2] {
    let s = layer_variance(sigma_w2, sigma_b2, mu, nu);
    let (_, g) = map_and_jacobian(act, 0.0, s, 0.0, 1.0);
    let (dmean_ds, dvar_ds) = (g[0][1], g[1][1]);
    if !(dmean_ds.is_finite() && dvar_ds.is_finite()) {
        return [[f64::NAN; 2]; 2];
    }
    let ds_dmu = 2.0 * mu * sigma_w2;
    // 0 * (negative) would be -0.0; a structural zero is +0.0.
    let times_ds_dmu = |d: f64| if mu == 0.0 { 0.0 } else { d * ds_dmu };
    [
        [times_ds_dmu(dmean_ds), dmean_ds * sigma_w2],
        [times_ds_dmu(dvar_ds), dvar_ds * sigma_w2],
    ]
}

/// The fixed point of [`layer_map`] (the image of the length map's q*), its Jacobian's
/// eigenvalues, and whether it attracts (spectral radius < 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerFixedPoint {
    pub mean: f64,
    pub var: f64,
    /// Eigenvalues as (re, im): the Jacobian's trace first, then exactly 0 (see
    /// [`layer_fixed_point`]).
    pub eigenvalues: [(f64, f64); 2],
    /// Spectral radius < 1 (and not neutral).
    pub stable: bool,
    /// The nonzero eigenvalue is 1 (within [`NEUTRAL_TOLERANCE`]; it is the length map's slope
    /// at q*): the point neither attracts nor repels along the variance, as for ReLU at
    /// sigma_w^2 = 2 or the linear map at sigma_w^2 = 1 without bias. Printed as exactly 1.
    pub neutral: bool,
}

/// The fixed point of [`layer_map`] for the mean-field theory `mf` of (act, sigma_w2, sigma_b2),
/// None without a finite q*. At q* the pre-activations are N(0, q*), and the fixed point is the
/// (mean, variance) of phi of them.
///
/// The Jacobian ([`layer_map_jacobian`]) is an outer product (dG/ds) (ds/dmu, ds/dnu) of rank
/// one, so its eigenvalues are its trace and 0, both real; computing them as such keeps the
/// zero exact instead of the round-off a general 2 x 2 formula leaves.
pub fn layer_fixed_point(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    mf: &MeanField,
) -> Option<LayerFixedPoint> {
    let q = mf.q_star?;
    let (mean, var) = selu_map(act, 0.0, q, 0.0, 1.0);
    let j = layer_map_jacobian(act, sigma_w2, sigma_b2, mean, var);
    let trace = j[0][0] + j[1][1];
    let neutral = mf.neutral || (trace - 1.0).abs() < NEUTRAL_TOLERANCE;
    let trace = if neutral { 1.0 } else { trace };
    Some(LayerFixedPoint {
        mean,
        var,
        eigenvalues: [(trace, 0.0), (0.0, 0.0)],
        stable: !neutral && trace.abs() < 1.0,
        neutral,
    })
}

/// Cells of the map's arrow grid: means -0.9, -0.75, ..., 0.9 and variances 0.125, 0.375, ...,
/// 2.875.
pub const MAP_GRID: (usize, usize) = (13, 12);

/// The (mean, variance) map on the panel's grid, and its fixed point.
#[derive(Clone, Debug, PartialEq)]
pub struct MapArrows {
    /// (mean, var, next mean, next var), means varying fastest.
    pub arrows: Vec<(f64, f64, f64, f64)>,
    pub fixed_point: Option<LayerFixedPoint>,
    /// Where the length map goes from the smallest and the largest pre-activation variance
    /// s = sigma_w^2 (nu + mu^2) + sigma_b^2 on the plotted grid. The map depends on (mu, nu)
    /// only through s, and the length map is increasing, so if both ends reach the same q*
    /// every arrow's path on the plot leads to the fixed point.
    pub from_lowest: LengthFixedPoint,
    pub from_highest: LengthFixedPoint,
}

impl MapArrows {
    /// Every start on the plotted grid leads to the same finite fixed point.
    pub fn all_converge(&self) -> bool {
        match (self.from_lowest, self.from_highest) {
            (LengthFixedPoint::Finite(a), LengthFixedPoint::Finite(b)) => {
                (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
            }
            _ => false,
        }
    }
}

impl MapArrows {
    pub fn of(summary: &TheorySummary, act: &Activation) -> MapArrows {
        let (sw, sb) = (summary.sigma_w2, summary.sigma_b2);
        let (nm, nv) = MAP_GRID;
        let mut arrows = Vec::with_capacity(nm * nv);
        for j in 0..nv {
            let var = 0.125 + j as f64 * 0.25;
            for i in 0..nm {
                let mean = -0.9 + i as f64 * 0.15;
                let (m2, v2) = layer_map(act, sw, sb, mean, var);
                arrows.push((mean, var, m2, v2));
            }
        }
        let s_of = |mean: f64, var: f64| layer_variance(sw, sb, mean, var);
        let (s_low, s_high) = (s_of(0.0, 0.125), s_of(0.9, 0.125 + (nv - 1) as f64 * 0.25));
        let reach = |s: f64| {
            if s > 0.0 {
                length_fixed_point(act, sw, sb, s)
            } else {
                LengthFixedPoint::Finite(f64::NAN)
            }
        };
        MapArrows {
            arrows,
            fixed_point: layer_fixed_point(act, sw, sb, &summary.mean_field),
            from_lowest: reach(s_low),
            from_highest: reach(s_high),
        }
    }
}

/// chi_1 and q* over the phase map's grid ([`PHASE_SW2`] x [`PHASE_SB2`], [`PHASE_GRID`]
/// points) for one activation.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseGrid {
    /// sigma_w^2 of the columns.
    pub sw: Vec<f64>,
    /// sigma_b^2 of the rows.
    pub sb: Vec<f64>,
    /// chi_1 row by row (sw varying fastest).
    pub chi1: Vec<f64>,
    /// q* in the same order (NaN where there is none).
    pub q_star: Vec<f64>,
}

impl PhaseGrid {
    pub fn of(act: &Activation) -> PhaseGrid {
        let (n_w, n_b) = PHASE_GRID;
        let points = phase_grid(
            act,
            PHASE_SW2.0..=PHASE_SW2.1,
            PHASE_SB2.0..=PHASE_SB2.1,
            n_w,
            n_b,
        );
        let step_w = (PHASE_SW2.1 - PHASE_SW2.0) / (n_w - 1) as f64;
        let step_b = (PHASE_SB2.1 - PHASE_SB2.0) / (n_b - 1) as f64;
        PhaseGrid {
            sw: (0..n_w).map(|i| PHASE_SW2.0 + i as f64 * step_w).collect(),
            sb: (0..n_b).map(|j| PHASE_SB2.0 + j as f64 * step_b).collect(),
            chi1: points.iter().map(|p| p.chi1).collect(),
            q_star: points.iter().map(|p| p.q_star).collect(),
        }
    }
}

/// `current` = (sigma_w^2, sigma_b^2) if it lies on the grid with columns `sw` and rows `sb`
/// (within half a cell of its edges); None outside, for non-finite values, or for a grid with
/// fewer than two columns or rows.
pub fn point_on_grid(sw: &[f64], sb: &[f64], current: (f64, f64)) -> Option<(f64, f64)> {
    if sw.len() < 2 || sb.len() < 2 || !(current.0.is_finite() && current.1.is_finite()) {
        return None;
    }
    let (hw, hb) = ((sw[1] - sw[0]) / 2.0, (sb[1] - sb[0]) / 2.0);
    let inside = current.0 >= sw[0] - hw
        && current.0 <= sw[sw.len() - 1] + hw
        && current.1 >= sb[0] - hb
        && current.1 <= sb[sb.len() - 1] + hb;
    inside.then_some(current)
}

/// Gain and bias std that give (sigma_w^2, sigma_b^2) for this configuration's initializer and
/// width (the inverse of `sigma_w2_of` and `sigma_b2_of`).
pub fn gain_and_sb(config: &Config, sigma_w2: f64, sigma_b2: f64) -> (f64, f64) {
    let per_unit = config.width as f64 * config.init.weight_variance(config.width, config.width);
    ((sigma_w2 / per_unit).sqrt(), sigma_b2.max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{ActivationKind, SELU_ALPHA, SELU_LAMBDA};

    /// Central differences of [`layer_map`] in f64, step h.
    fn numeric_jacobian(act: &Activation, sw: f64, sb: f64, mu: f64, nu: f64) -> [[f64; 2]; 2] {
        let h = 1e-5;
        let d = |dm: f64, dn: f64| {
            let (a, b) = layer_map(act, sw, sb, mu + dm, nu + dn);
            let (c, e) = layer_map(act, sw, sb, mu - dm, nu - dn);
            ((a - c) / (2.0 * h), (b - e) / (2.0 * h))
        };
        let (d_mu, d_nu) = (d(h, 0.0), d(0.0, h));
        [[d_mu.0, d_nu.0], [d_mu.1, d_nu.1]]
    }

    #[test]
    fn selu_at_lecun_has_the_attracting_fixed_point_0_1_with_the_published_eigenvalues() {
        let config = Config::default();
        let th = TheorySummary::of(&config);
        assert!((th.sigma_w2 - 1.0).abs() < 1e-12);
        let map = MapArrows::of(&th, &config.activation);
        let f = map.fixed_point.expect("SELU has a fixed point");
        assert!(f.mean.abs() < 1e-9 && (f.var - 1.0).abs() < 1e-9, "{f:?}");
        assert!(f.stable);
        // Klambauer et al. 2017: at (0, 1), J = [[0, 0.088835], [0, 0.782648]], so the
        // eigenvalues are 0 and 0.782648.
        assert_eq!(f.eigenvalues[1], (0.0, 0.0), "exactly 0, not round-off");
        assert_eq!(f.eigenvalues[0].1, 0.0);
        assert!((f.eigenvalues[0].0 - 0.782648).abs() < 1e-6, "{f:?}");
        let j = layer_map_jacobian(&config.activation, 1.0, 0.0, 0.0, 1.0);
        assert_eq!(j[0][0].to_bits(), 0.0f64.to_bits(), "+0.0 by structure");
        assert_eq!(j[1][0].to_bits(), 0.0f64.to_bits(), "+0.0 by structure");
        assert!((j[0][1] - 0.088835).abs() < 1e-6, "{j:?}");
        assert!((j[1][1] - 0.782648).abs() < 1e-6, "{j:?}");
        assert_eq!(map.arrows.len(), MAP_GRID.0 * MAP_GRID.1);
    }

    #[test]
    fn the_closed_form_jacobian_matches_central_differences() {
        for kind in [
            ActivationKind::Selu,
            ActivationKind::Relu,
            ActivationKind::Tanh,
            ActivationKind::Gelu,
            ActivationKind::Elu,
            ActivationKind::Sigmoid,
        ] {
            let act = Activation::new(kind);
            for (sw, sb) in [(1.0, 0.0), (2.0, 0.1), (1.5, 0.3)] {
                for (mu, nu) in [(0.0, 1.0), (0.3, 0.5), (-0.6, 2.0), (0.9, 0.2)] {
                    let exact = layer_map_jacobian(&act, sw, sb, mu, nu);
                    let numeric = numeric_jacobian(&act, sw, sb, mu, nu);
                    for r in 0..2 {
                        for c in 0..2 {
                            let (e, n) = (exact[r][c], numeric[r][c]);
                            assert!(
                                (e - n).abs() < 1e-6 * (1.0 + n.abs()),
                                "{kind:?} sw {sw} sb {sb} at ({mu}, {nu}) [{r}][{c}]: {e} vs {n}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_eigenvalues_are_those_of_the_jacobian() {
        // Rank one: trace and 0 are the roots of x^2 - tr x + det with det = 0.
        for kind in [
            ActivationKind::Relu,
            ActivationKind::Tanh,
            ActivationKind::Elu,
        ] {
            let act = Activation::new(kind);
            let (sw, sb) = (1.7, 0.2);
            let mf = crate::theory::mean_field(&act, sw, sb);
            let f = layer_fixed_point(&act, sw, sb, &mf).expect("a finite q*");
            let j = layer_map_jacobian(&act, sw, sb, f.mean, f.var);
            let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
            assert!(det.abs() < 1e-12, "{kind:?}: det {det}");
            assert_eq!(f.eigenvalues[0].0, j[0][0] + j[1][1]);
            assert_eq!(f.stable, f.eigenvalues[0].0.abs() < 1.0);
        }
    }

    #[test]
    fn the_map_at_mean_zero_is_the_snn_closed_form() {
        // Klambauer et al. 2017, eq. (4)-(5) with omega = 0, tau = 1.
        let act = Activation::new(ActivationKind::Selu);
        for nu in [0.5, 1.0, 2.0] {
            let (m, v) = layer_map(&act, 1.0, 0.0, 0.0, nu);
            // With m = 0 the closed form reduces to these Gaussian integrals of SELU:
            let (l, a) = (SELU_LAMBDA, SELU_ALPHA);
            let s = nu.sqrt();
            let erfc = |x: f64| 1.0 - crate::special::erf(x);
            let mean = 0.5
                * l
                * (s * (2.0 / std::f64::consts::PI).sqrt() - a * erfc(0.0)
                    + a * (nu / 2.0).exp() * erfc(nu / (2.0 * nu).sqrt()));
            let xi = 0.5
                * l
                * l
                * (nu + a * a * erfc(0.0)
                    - 2.0 * a * a * (nu / 2.0).exp() * erfc(nu / (2.0 * nu).sqrt())
                    + a * a * (2.0 * nu).exp() * erfc(2.0 * nu / (2.0 * nu).sqrt()));
            assert!((m - mean).abs() < 1e-10, "{nu}: {m} vs {mean}");
            assert!((v - (xi - mean * mean)).abs() < 1e-10, "{nu}: {v}");
        }
    }

    #[test]
    fn gain_and_sb_invert_sigma_w2() {
        let config = Config {
            init: Initializer::HeNormal,
            width: 64,
            ..Config::default()
        };
        let (g, sb) = gain_and_sb(&config, 2.0, 0.04);
        assert!((g - 1.0).abs() < 1e-12 && (sb - 0.2).abs() < 1e-12);
    }

    #[test]
    fn normalization_switches_the_predictions_off_with_a_reason() {
        let config = Config {
            norm: Normalization::Batch,
            ..Config::default()
        };
        let th = TheorySummary::of(&config);
        assert!(th.layers.is_none());
        let mut job = CorrJob::new(&config);
        assert!(
            job.is_done() && job.step(),
            "nothing to predict with BatchNorm"
        );
        assert!(th.caveat.unwrap().contains("BatchNorm"));
    }

    #[test]
    fn the_correlation_job_runs_one_layer_per_step() {
        let config = Config {
            depth: 3,
            ..Config::default()
        };
        let mut job = CorrJob::new(&config);
        while !job.step() {}
        assert_eq!(job.values.len(), 3);
        assert_eq!(
            job.values[0], 0.5,
            "layer 1 of zero-mean pairs without bias keeps c0"
        );
    }

    /// A summary made for another depth equals a fresh one, for plain, normalized and residual
    /// networks, deeper and shallower; other settings are refused.
    #[test]
    fn a_summary_for_another_depth_equals_a_fresh_one() {
        for (kind, norm, arch) in [
            (
                ActivationKind::Selu,
                Normalization::None,
                crate::config::Arch::Plain,
            ),
            (
                ActivationKind::Tanh,
                Normalization::Layer,
                crate::config::Arch::Plain,
            ),
            (
                ActivationKind::Relu,
                Normalization::None,
                crate::config::Arch::Residual,
            ),
            (
                ActivationKind::Gelu,
                Normalization::Batch,
                crate::config::Arch::Plain,
            ),
        ] {
            let config = |depth| Config {
                activation: Activation::new(kind),
                norm,
                arch,
                depth,
                ..Config::default()
            };
            let at_50 = TheorySummary::of(&config(50));
            for depth in [1, 49, 53, 1000] {
                // By their printed values: NaN (an undefined depth scale) is not equal to
                // itself.
                assert_eq!(
                    format!("{:?}", at_50.for_depth(&config(50), &config(depth))),
                    format!("{:?}", Some(TheorySummary::of(&config(depth)))),
                    "{kind:?} {norm:?} {arch:?} 50 -> {depth}"
                );
            }
            let other = Config {
                gain: 1.5,
                ..config(50)
            };
            assert_eq!(at_50.for_depth(&config(50), &other), None);
        }
    }

    /// A job continued to a deeper or a shallower network of the same settings ends with
    /// exactly a fresh job's values, whether the map converged before the old depth (ReLU at
    /// the edge of chaos settles slowly; tanh with a large gain quickly) or not; other settings
    /// are refused.
    #[test]
    fn a_continued_correlation_job_equals_a_fresh_one() {
        let run = |mut job: CorrJob| {
            while !job.step() {}
            job
        };
        for (kind, gain, old, new) in [
            (ActivationKind::Relu, 1.0, 20, 35),
            (ActivationKind::Tanh, 2.0, 300, 400),
            (ActivationKind::Selu, 1.0, 3, 4),
            (ActivationKind::Gelu, 1.3, 1, 60),
        ] {
            let config = |depth| Config {
                activation: Activation::new(kind),
                gain,
                depth,
                ..Config::default()
            };
            let fresh = run(CorrJob::new(&config(new)));
            let old_job = run(CorrJob::new(&config(old)));
            let continued = run(old_job.clone().extend(&config(new)).unwrap());
            assert_eq!(continued.values.len(), new);
            for (a, b) in continued.values.iter().zip(&fresh.values) {
                assert_eq!(a.to_bits(), b.to_bits(), "{kind:?} {old} -> {new}");
            }
            // A shallower network, then the deeper one again and deeper still: the values
            // computed are cut and come back, and the job goes on past them.
            let cut = run(continued.clone().extend(&config(old)).unwrap());
            assert_eq!(cut.values[..], fresh.values[..old], "{kind:?} cut to {old}");
            let deepest = run(CorrJob::new(&config(new + 7)));
            let regrown = run(cut.extend(&config(new + 7)).unwrap());
            assert_eq!(regrown.values.len(), new + 7);
            for (a, b) in regrown.values.iter().zip(&deepest.values) {
                assert_eq!(a.to_bits(), b.to_bits(), "{kind:?} {old} -> {}", new + 7);
            }
            // A job stopped part way continues to a depth between.
            let mut partial = CorrJob::new(&config(new));
            partial.step();
            partial.step();
            let between = run(partial.extend(&config(old.max(2))).unwrap());
            assert_eq!(between.values[..], fresh.values[..old.max(2)]);
            // Another seed, batch, kernel path or input mean: the same prediction, continued.
            let resampled = Config {
                seed: 2,
                batch: 7,
                kernels: crate::KernelPath::Scalar,
                input_mean: 0.4,
                ..config(new)
            };
            let again = run(old_job.clone().extend(&resampled).unwrap());
            assert!(again
                .values
                .iter()
                .zip(&fresh.values)
                .all(|(a, b)| a.to_bits() == b.to_bits()));
            assert_eq!(run(CorrJob::new(&resampled)).values.len(), new);
            assert!(
                run(CorrJob::new(&resampled))
                    .values
                    .iter()
                    .zip(&fresh.values)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "a fresh job ignores them too"
            );
            let other = Config {
                gain: gain + 0.1,
                ..config(new)
            };
            assert!(old_job.clone().extend(&other).is_err(), "another gain");
        }
        let tanh_fast = run(CorrJob::new(&Config {
            activation: Activation::new(ActivationKind::Tanh),
            gain: 2.0,
            depth: 300,
            ..Config::default()
        }));
        assert!(tanh_fast.converged, "the converged branch is exercised");
    }

    #[test]
    fn the_phase_grid_spans_its_ranges_and_marks_points_inside_only() {
        let grid = PhaseGrid::of(&Activation::new(ActivationKind::Relu));
        assert_eq!(grid.sw.len(), PHASE_GRID.0);
        assert_eq!(grid.sb.len(), PHASE_GRID.1);
        assert_eq!(grid.chi1.len(), PHASE_GRID.0 * PHASE_GRID.1);
        assert_eq!(grid.q_star.len(), grid.chi1.len());
        assert_eq!((grid.sw[0], grid.sb[0]), (PHASE_SW2.0, PHASE_SB2.0));
        assert!((grid.sw[PHASE_GRID.0 - 1] - PHASE_SW2.1).abs() < 1e-12);
        assert_eq!(
            point_on_grid(&grid.sw, &grid.sb, (2.0, 0.0)),
            Some((2.0, 0.0))
        );
        assert_eq!(point_on_grid(&grid.sw, &grid.sb, (9.0, 0.0)), None);
        assert_eq!(point_on_grid(&grid.sw, &grid.sb, (f64::NAN, 0.0)), None);
        assert_eq!(point_on_grid(&[1.0], &grid.sb, (1.0, 0.0)), None);
    }
}
