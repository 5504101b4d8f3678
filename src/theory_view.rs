//! Prepares the mean-field theory (lab_core::theory) for the panels: per-layer predictions, the
//! correlation prediction, the (mean, variance) map of one layer with its fixed point, and the
//! phase grid. Pure Rust, tested natively.

use crate::charts::{corr::CorrData, phase::PhaseData, selu_map::MapData};
use lab_core::theory::{self, MeanField, Prediction};
use lab_core::{Activation, Config, Initializer, LayerStats, Normalization};
use std::rc::Rc;

/// Range of the phase map's axes.
pub const PHASE_SW2: (f64, f64) = (0.5, 4.0);
pub const PHASE_SB2: (f64, f64) = (0.0, 0.5);
/// Grid of the phase map (columns x rows).
pub const PHASE_GRID: (usize, usize) = (36, 26);

/// Everything the theory adds to the page for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Theory {
    pub sigma_w2: f64,
    pub sigma_b2: f64,
    pub mean_field: MeanField,
    /// Per-layer predictions; None when a normalization layer is chosen.
    pub layers: Option<Vec<Prediction>>,
    /// Where and why the theory does not describe the simulation.
    pub caveat: Option<String>,
}

impl Theory {
    pub fn of(config: &Config) -> Theory {
        let act = config.activation;
        let sigma_w2 = theory::sigma_w2_of(config);
        let sigma_b2 = theory::sigma_b2_of(config);
        let mean_field = theory::mean_field(&act, sigma_w2, sigma_b2);
        let layers = theory::predict_config(config);
        let caveat = match (config.norm, config.init) {
            (Normalization::Batch | Normalization::Layer, _) => Some(format!(
                "The mean-field theory describes random networks without normalization; with {} every layer's pre-activations are reset to mean 0 and variance 1, so no prediction is drawn.",
                if config.norm == Normalization::Batch { "BatchNorm" } else { "LayerNorm" }
            )),
            (_, Initializer::Orthogonal) => Some(
                "Orthogonal weights have the same variance σ_w² as the Gaussian ones, so the mean-field prediction is the same; they change only the fluctuations around it (and the Jacobian's spectrum).".to_string(),
            ),
            _ => None,
        };
        Theory {
            sigma_w2,
            sigma_b2,
            mean_field,
            layers,
            caveat,
        }
    }

    /// The corr panel's data: simulated pair correlations and the prediction so far.
    pub fn corr_data(&self, depth: usize, stats: &[LayerStats], correlation: &[f64]) -> CorrData {
        CorrData {
            depth,
            simulated: stats
                .iter()
                .enumerate()
                .map(|(i, s)| ((i + 1) as f64, s.pair_corr))
                .filter(|p| p.1.is_finite())
                .collect(),
            predicted: correlation
                .iter()
                .enumerate()
                .map(|(i, &c)| ((i + 1) as f64, c))
                .filter(|p| p.1.is_finite())
                .collect(),
            c_star: Some(self.mean_field.c_star).filter(|c| c.is_finite() && self.layers.is_some()),
        }
    }
}

/// The mean-field correlation prediction for the input pairs, one layer per step, so that it
/// runs in the same short slices as the simulation (each layer is a 2D Gaussian integral).
/// The pairs have zero-mean inputs with std in_std and cosine c0 (see lab_core::sim).
#[derive(Clone, Debug)]
pub struct CorrJob {
    act: Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    q: f64,
    c: f64,
    depth: usize,
    /// c^1, c^2, ... computed so far.
    pub values: Vec<f64>,
}

impl CorrJob {
    pub fn new(config: &Config) -> CorrJob {
        let sigma_w2 = theory::sigma_w2_of(config);
        let sigma_b2 = theory::sigma_b2_of(config);
        let in_q = f64::from(config.input_std).powi(2);
        let (q, c) =
            theory::input_correlation(sigma_w2, sigma_b2, in_q, f64::from(config.input_corr));
        // With normalization the theory does not apply; without signal there is nothing to map.
        let applies = config.norm == Normalization::None && q > 0.0 && q.is_finite();
        CorrJob {
            act: config.activation,
            sigma_w2,
            sigma_b2,
            q,
            c,
            depth: if applies { config.depth } else { 0 },
            values: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.values.len() >= self.depth
    }

    /// Computes the next layer; returns true when all layers are done.
    pub fn step(&mut self) -> bool {
        if self.is_done() {
            return true;
        }
        self.values.push(self.c);
        if self.is_done() {
            return true;
        }
        let (q_next, _, c_next) = theory::correlation_map_with(
            theory::Quadrature::Fast,
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
        }
        self.q = q_next;
        self.c = c_next;
        self.is_done()
    }
}

/// One layer's (mean, variance) map in the random-layer convention: a layer whose inputs have
/// mean mu and variance nu, with weights N(0, sigma_w^2/n) and biases N(0, sigma_b^2), has
/// pre-activations N(0, sigma_w^2 (nu + mu^2) + sigma_b^2) averaged over the weights; the map
/// returns the mean and variance of phi of those. At mu = 0 it is the SNN paper's map g with
/// omega = 0 and tau = sigma_w^2 (Klambauer et al. 2017, eq. 4-5).
pub fn layer_map(act: &Activation, sigma_w2: f64, sigma_b2: f64, mu: f64, nu: f64) -> (f64, f64) {
    let s = sigma_w2 * (nu + mu * mu) + sigma_b2;
    theory::selu_map(act, 0.0, s, 0.0, 1.0)
}

/// The fixed point of [`layer_map`] (from the length map's q*), its Jacobian's eigenvalues by
/// central differences, and whether it attracts (spectral radius < 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapFixedPoint {
    pub mean: f64,
    pub var: f64,
    /// Eigenvalues as (re, im).
    pub eigenvalues: [(f64, f64); 2],
    pub stable: bool,
}

pub fn map_fixed_point(
    act: &Activation,
    sigma_w2: f64,
    sigma_b2: f64,
    mf: &MeanField,
) -> Option<MapFixedPoint> {
    let q = mf.q_star?;
    // At q*, the pre-activations are N(0, q*): the map's fixed point is their image.
    let (mean, var) = theory::selu_map(act, 0.0, q, 0.0, 1.0);
    let h = 1e-5;
    let d_mu = {
        let (a, b) = layer_map(act, sigma_w2, sigma_b2, mean + h, var);
        let (c, d) = layer_map(act, sigma_w2, sigma_b2, mean - h, var);
        ((a - c) / (2.0 * h), (b - d) / (2.0 * h))
    };
    let d_nu = {
        let (a, b) = layer_map(act, sigma_w2, sigma_b2, mean, var + h);
        let (c, d) = layer_map(act, sigma_w2, sigma_b2, mean, (var - h).max(0.0));
        let step = var + h - (var - h).max(0.0);
        ((a - c) / step, (b - d) / step)
    };
    // J = [[dmu'/dmu, dmu'/dnu], [dnu'/dmu, dnu'/dnu]].
    let (a, b, c, d) = (d_mu.0, d_nu.0, d_mu.1, d_nu.1);
    let tr = a + d;
    let det = a * d - b * c;
    let disc = tr * tr / 4.0 - det;
    let eigenvalues = if disc >= 0.0 {
        let r = disc.sqrt();
        [(tr / 2.0 + r, 0.0), (tr / 2.0 - r, 0.0)]
    } else {
        let r = (-disc).sqrt();
        [(tr / 2.0, r), (tr / 2.0, -r)]
    };
    let radius = eigenvalues
        .iter()
        .map(|(re, im)| (re * re + im * im).sqrt())
        .fold(0.0, f64::max);
    Some(MapFixedPoint {
        mean,
        var,
        eigenvalues,
        stable: radius < 1.0,
    })
}

/// Arrows of the map on a grid over the panel's axes, the fixed point, and the simulated
/// trajectory of (post_mean, post_var).
pub fn map_data(
    th: &Theory,
    act: &Activation,
    stats: &[LayerStats],
) -> (MapData, Option<MapFixedPoint>) {
    let (nm, nv) = (13, 12);
    let mut arrows = Vec::with_capacity(nm * nv);
    for j in 0..nv {
        let var = 0.125 + j as f64 * 0.25;
        for i in 0..nm {
            let mean = -0.9 + i as f64 * 0.15;
            let (m2, v2) = layer_map(act, th.sigma_w2, th.sigma_b2, mean, var);
            arrows.push((mean, var, m2, v2));
        }
    }
    let fixed = map_fixed_point(act, th.sigma_w2, th.sigma_b2, &th.mean_field);
    let data = MapData {
        arrows,
        fixed_points: fixed.iter().map(|f| (f.mean, f.var, f.stable)).collect(),
        trajectory: stats.iter().map(|s| (s.post_mean, s.post_var)).collect(),
    };
    (data, fixed)
}

/// chi_1 over the phase map's grid for one activation.
pub fn phase_data(act: &Activation, current: (f64, f64)) -> PhaseData {
    let (n_w, n_b) = PHASE_GRID;
    let points = theory::phase_grid(
        act,
        PHASE_SW2.0..=PHASE_SW2.1,
        PHASE_SB2.0..=PHASE_SB2.1,
        n_w,
        n_b,
    );
    let step_w = (PHASE_SW2.1 - PHASE_SW2.0) / (n_w - 1) as f64;
    let step_b = (PHASE_SB2.1 - PHASE_SB2.0) / (n_b - 1) as f64;
    let mut data = PhaseData {
        sw: (0..n_w).map(|i| PHASE_SW2.0 + i as f64 * step_w).collect(),
        sb: (0..n_b).map(|j| PHASE_SB2.0 + j as f64 * step_b).collect(),
        chi1: points.iter().map(|p| p.chi1).collect(),
        q_star: points.iter().map(|p| p.q_star).collect(),
        current: None,
    };
    data.current = phase_data_current(&data, current);
    data
}

/// Where the current (sigma_w^2, sigma_b^2) sits on a phase grid, if inside it.
pub fn phase_data_current(data: &PhaseData, current: (f64, f64)) -> Option<(f64, f64)> {
    let (sw, sb) = (&data.sw, &data.sb);
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

/// Gain and sb that give (sigma_w^2, sigma_b^2) for this initializer and width.
pub fn gain_and_sb(config: &Config, sigma_w2: f64, sigma_b2: f64) -> (f64, f64) {
    let per_unit = config.width as f64 * config.init.weight_variance(config.width, config.width);
    ((sigma_w2 / per_unit).sqrt(), sigma_b2.max(0.0).sqrt())
}

/// CSV of the corr panel and the stats overlay: one row per layer.
pub fn corr_csv(th: &Theory, stats: &[LayerStats], depth: usize, correlation: &[f64]) -> String {
    use crate::csv::number;
    let mut out = String::from("layer,q_pred,mean_pred,var_pred,c_pred,c_sim\n");
    for l in 0..depth {
        let p = th.layers.as_ref().and_then(|v| v.get(l));
        let row = [
            p.map_or(f64::NAN, |p| p.q),
            p.map_or(f64::NAN, |p| p.post_mean),
            p.map_or(f64::NAN, |p| p.post_var),
            correlation.get(l).copied().unwrap_or(f64::NAN),
            stats.get(l).map_or(f64::NAN, |s| s.pair_corr),
        ];
        out.push_str(&(l + 1).to_string());
        for v in row {
            out.push(',');
            out.push_str(&number(v));
        }
        out.push('\n');
    }
    out
}

/// CSV of the phase map, exactly the numbers drawn.
pub fn phase_csv(data: &PhaseData) -> String {
    use crate::csv::number;
    let mut out = String::from("sigma_w2,sigma_b2,q_star,chi1\n");
    let n = data.sw.len();
    for (j, &sb) in data.sb.iter().enumerate() {
        for (i, &sw) in data.sw.iter().enumerate() {
            let k = j * n + i;
            out.push_str(&format!(
                "{},{},{},{}\n",
                number(sw),
                number(sb),
                number(data.q_star.get(k).copied().unwrap_or(f64::NAN)),
                number(data.chi1.get(k).copied().unwrap_or(f64::NAN))
            ));
        }
    }
    out
}

/// Everything the theory adds to the page for one configuration: computed in the worker
/// (100-400 ms for the phase grid and the chaotic-phase correlation fixed point) and posted to
/// the page in one message.
#[derive(Clone, Debug, PartialEq)]
pub struct TheoryBundle {
    pub theory: Rc<Theory>,
    /// chi_1 over the phase map for this activation, with the current point marked.
    pub phase: Rc<PhaseData>,
    /// The (mean, variance) map's arrows and fixed point (no trajectory: the page adds it).
    pub map: Rc<(MapData, Option<MapFixedPoint>)>,
}

impl TheoryBundle {
    /// The bundle for `config`, reusing `phase_grid` (from [`phase_data`] for the same
    /// activation; it depends on nothing else).
    pub fn of(config: &Config, phase_grid: &PhaseData) -> TheoryBundle {
        let theory = Theory::of(config);
        let mut phase = phase_grid.clone();
        phase.current = phase_data_current(&phase, (theory.sigma_w2, theory.sigma_b2));
        let map = map_data(&theory, &config.activation, &[]);
        TheoryBundle {
            theory: Rc::new(theory),
            phase: Rc::new(phase),
            map: Rc::new(map),
        }
    }
}

/// CSV of the map's arrows.
pub fn map_csv(data: &MapData) -> String {
    use crate::csv::number;
    let mut out = String::from("mean,var,next_mean,next_var\n");
    for &(m, v, nm, nv) in &data.arrows {
        out.push_str(&format!(
            "{},{},{},{}\n",
            number(m),
            number(v),
            number(nm),
            number(nv)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_core::{ActivationKind, SELU_ALPHA, SELU_LAMBDA};

    #[test]
    fn selu_at_lecun_has_the_attracting_fixed_point_0_1() {
        let config = Config::default();
        let th = Theory::of(&config);
        assert!((th.sigma_w2 - 1.0).abs() < 1e-12);
        let act = config.activation;
        let (data, fixed) = map_data(&th, &act, &[]);
        let f = fixed.expect("SELU has a fixed point");
        assert!(f.mean.abs() < 1e-9 && (f.var - 1.0).abs() < 1e-9, "{f:?}");
        assert!(f.stable);
        // science.md: Jacobian [[0, 0.088835], [0, 0.782648]] -> eigenvalues 0 and 0.782648.
        let mut re: Vec<f64> = f.eigenvalues.iter().map(|e| e.0).collect();
        re.sort_by(f64::total_cmp);
        assert!(
            re[0].abs() < 1e-6 && (re[1] - 0.782648).abs() < 1e-5,
            "{re:?}"
        );
        assert_eq!(data.arrows.len(), 13 * 12);
    }

    #[test]
    fn the_map_at_mean_zero_is_the_snn_closed_form() {
        // Klambauer et al. 2017, eq. (4)-(5) with omega = 0, tau = 1 (science.md).
        let act = Activation::new(ActivationKind::Selu);
        for nu in [0.5, 1.0, 2.0] {
            let (m, v) = layer_map(&act, 1.0, 0.0, 0.0, nu);
            // With m = 0 the closed form reduces to these Gaussian integrals of SELU:
            let (l, a) = (SELU_LAMBDA, SELU_ALPHA);
            let s = nu.sqrt();
            let erfc = |x: f64| 1.0 - lab_core::special::erf(x);
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
        let th = Theory::of(&config);
        assert!(th.layers.is_none());
        let mut job = CorrJob::new(&config);
        assert!(
            job.is_done() && job.step(),
            "nothing to predict with BatchNorm"
        );
        assert!(th.caveat.unwrap().contains("BatchNorm"));
    }

    #[test]
    fn csv_headers_and_rows() {
        let config = Config {
            depth: 3,
            ..Config::default()
        };
        let th = Theory::of(&config);
        let mut job = CorrJob::new(&config);
        while !job.step() {}
        assert_eq!(job.values.len(), 3);
        assert_eq!(
            job.values[0], 0.5,
            "layer 1 of zero-mean pairs without bias keeps c0"
        );
        let csv = corr_csv(&th, &[], 3, &job.values);
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], "layer,q_pred,mean_pred,var_pred,c_pred,c_sim");
        assert_eq!(lines.len(), 4);
        assert!(
            lines[1].ends_with(",nan"),
            "no simulated value yet: {}",
            lines[1]
        );
        let phase = phase_csv(&phase_data(
            &Activation::new(ActivationKind::Relu),
            (2.0, 0.0),
        ));
        assert!(phase.starts_with("sigma_w2,sigma_b2,q_star,chi1\n"));
        assert_eq!(phase.lines().count(), 1 + PHASE_GRID.0 * PHASE_GRID.1);
    }
}
