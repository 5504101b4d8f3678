//! Shapes the mean-field theory of lab_core::theory (module summary: per-layer predictions, the
//! correlation prediction, the (mean, variance) map of one layer with its fixed point, the
//! phase grid) into the panels' chart data and CSV files. Pure Rust, tested natively.

use crate::charts::{corr::CorrData, phase::PhaseData, selu_map::MapData};
use crate::engine::TheoryBundle;
use lab_core::theory::{MapArrows, PhaseGrid};
use lab_core::LayerStats;

// The maths lives in lab_core::theory (module summary); these names are the page's.
pub use lab_core::theory::{gain_and_sb, TheorySummary as Theory, PHASE_SB2, PHASE_SW2};

/// The corr panel's data: simulated pair correlations and the prediction so far.
pub fn corr_data(th: &Theory, depth: usize, stats: &[LayerStats], correlation: &[f64]) -> CorrData {
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
        c_star: Some(th.mean_field.c_star).filter(|c| c.is_finite() && th.classic),
        pins: Vec::new(),
    }
}

/// The map panel's data: the arrows, the fixed point, and the simulated trajectory of
/// (post_mean, post_var).
pub fn map_data(map: &MapArrows, stats: &[LayerStats]) -> MapData {
    MapData {
        arrows: map.arrows.clone(),
        fixed_points: map
            .fixed_point
            .iter()
            .map(|f| (f.mean, f.var, f.stable))
            .collect(),
        trajectory: stats.iter().map(|s| (s.post_mean, s.post_var)).collect(),
    }
}

/// The phase panel's data: chi_1 over the grid with the current setting marked.
pub fn phase_data(bundle: &TheoryBundle) -> PhaseData {
    let PhaseGrid {
        sw,
        sb,
        chi1,
        q_star,
    } = (*bundle.phase).clone();
    PhaseData {
        sw,
        sb,
        chi1,
        q_star,
        current: bundle.current,
    }
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
pub fn phase_csv(data: &PhaseGrid) -> String {
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

/// CSV of the map's arrows.
pub fn map_csv(data: &MapArrows) -> String {
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
    use crate::charts::phase::PhaseData;
    use lab_core::theory::{CorrJob, PHASE_GRID};
    use lab_core::{Activation, ActivationKind, Config};

    #[test]
    fn csv_headers_and_rows() {
        let config = Config {
            depth: 3,
            ..Config::default()
        };
        let th = Theory::of(&config);
        let mut job = CorrJob::new(&config);
        while !job.step() {}
        let csv = corr_csv(&th, &[], 3, &job.values);
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], "layer,q_pred,mean_pred,var_pred,c_pred,c_sim");
        assert_eq!(lines.len(), 4);
        assert!(
            lines[1].ends_with(",nan"),
            "no simulated value yet: {}",
            lines[1]
        );
        let phase = phase_csv(&PhaseGrid::of(&Activation::new(ActivationKind::Relu)));
        assert!(phase.starts_with("sigma_w2,sigma_b2,q_star,chi1\n"));
        assert_eq!(phase.lines().count(), 1 + PHASE_GRID.0 * PHASE_GRID.1);
    }

    #[test]
    fn the_page_shapes_keep_the_core_numbers() {
        let config = Config {
            gain: 1.2,
            ..Config::default()
        };
        let bundle = TheoryBundle::of(&config);
        let data = map_data(&bundle.map, &[]);
        let core = MapArrows::of(&bundle.theory, &config.activation);
        assert_eq!(data.arrows, core.arrows);
        assert_eq!(
            data.fixed_points.len(),
            usize::from(core.fixed_point.is_some())
        );
        let phase = phase_data(&bundle);
        // sigma_w^2 = 1.2^2 = 1.44 (in f32), sigma_b^2 = 0: inside the map.
        let (sw2, sb2) = phase.current.expect("on the map");
        assert!((sw2 - 1.44).abs() < 1e-6 && sb2 == 0.0, "{sw2} {sb2}");
        assert_eq!(phase.chi1, PhaseGrid::of(&config.activation).chi1);
    }

    /// Issue 14, item 4: on the real grids, GELU's and SiLU's chi_1 jumps across 1 at small
    /// sigma_b^2 (collapse vs divergence from q = 1: chi_1 -> sigma_w^2/4 on one side and
    /// sigma_w^2/2 on the other, the limits of x/2 near 0 and ReLU far out) and is dashed there;
    /// ReLU's and tanh's contours are continuous, and ReLU's is the vertical sigma_w^2 = 2.
    #[test]
    fn the_phase_contour_is_dashed_only_where_chi1_jumps() {
        for kind in [ActivationKind::Gelu, ActivationKind::Silu] {
            let grid = PhaseGrid::of(&Activation::new(kind));
            let data = PhaseData {
                sw: grid.sw.clone(),
                sb: grid.sb.clone(),
                chi1: grid.chi1.clone(),
                q_star: grid.q_star.clone(),
                current: None,
            };
            let (_, jumps) = data.contours();
            assert!(!jumps.is_empty(), "{kind:?}");
            // Independent: at sigma_b^2 = 0 the two sides of the jump are the limits
            // sigma_w^2 phi'(0)^2 = sigma_w^2 / 4 (collapse) and sigma_w^2 / 2 (divergence).
            let row0 = &grid.chi1[..grid.sw.len()];
            let k = row0.iter().position(|&c| c > 1.0).unwrap();
            assert!(
                (row0[k - 1] - grid.sw[k - 1] / 4.0).abs() < 1e-9,
                "{kind:?}"
            );
            assert!((row0[k] - grid.sw[k] / 2.0).abs() < 1e-9, "{kind:?}");
            assert!(jumps
                .iter()
                .flatten()
                .any(|p| p.1 == 0.0 && p.0 > grid.sw[k - 1] && p.0 < grid.sw[k]));
        }
        for kind in [ActivationKind::Relu, ActivationKind::Tanh] {
            let grid = PhaseGrid::of(&Activation::new(kind));
            let data = PhaseData {
                sw: grid.sw,
                sb: grid.sb,
                chi1: grid.chi1,
                q_star: grid.q_star,
                current: None,
            };
            let (smooth, jumps) = data.contours();
            assert!(jumps.is_empty() && !smooth.is_empty(), "{kind:?}");
            if kind == ActivationKind::Relu {
                assert!(
                    smooth.iter().flatten().all(|p| (p.0 - 2.0).abs() < 1e-6),
                    "vertical"
                );
            }
        }
    }
}
