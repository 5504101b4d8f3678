//! The `selu_map` panel: the SNN paper's map g: (mean, variance) -> (mean, variance) of one
//! layer as an arrow field, its fixed points, and the simulated network's trajectory.

use super::axes::{Axes, Axis};
use super::{err, LegendEntry, Style, BLUE, GREEN, VERMILLION};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// Mean axis of the map.
pub const MEAN_RANGE: (f64, f64) = (-1.0, 1.0);
/// Variance axis of the map.
pub const VAR_RANGE: (f64, f64) = (0.0, 3.0);

#[derive(Clone, Debug, PartialEq, Default)]
pub struct MapData {
    /// (mean, var, next_mean, next_var) on a grid.
    pub arrows: Vec<(f64, f64, f64, f64)>,
    /// Fixed points (mean, var, stable).
    pub fixed_points: Vec<(f64, f64, bool)>,
    /// The simulation's per-layer (post_mean, post_var), in order.
    pub trajectory: Vec<(f64, f64)>,
}

impl MapData {
    /// The simulated layers with finite statistics.
    fn finite_trajectory(&self) -> Vec<(f64, f64)> {
        self.trajectory
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect()
    }

    /// The plot's view: (mean from, mean to, variance from, variance to). The map's grid
    /// covers MEAN_RANGE x VAR_RANGE; the view grows (to a limit) so that the trajectory's
    /// start, often off the grid, stays on the plot. Later layers may leave it (an explosion),
    /// which would only squash the map.
    pub fn view(&self) -> (f64, f64, f64, f64) {
        let (mut m0, mut m1, mut v1) = (MEAN_RANGE.0, MEAN_RANGE.1, VAR_RANGE.1);
        if let Some(&(m, v)) = self.finite_trajectory().first() {
            m0 = m0.min((m - 0.1).max(-4.0));
            m1 = m1.max((m + 0.1).min(4.0));
            v1 = v1.max((v * 1.08).min(12.0));
        }
        (m0, m1, VAR_RANGE.0, v1)
    }
}

pub fn draw(canvas: &HtmlCanvasElement, data: &MapData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let traj = data.finite_trajectory();
    let (m0, m1, _, v1) = data.view();
    let line = style.line(BLUE, 2.0);
    let dot = style.px(5.0) as u32;
    // The legend goes above the plot: the arrow field covers every corner.
    let legend = [
        LegendEntry::line("simulated layers (post-activation mean, variance)", line),
        LegendEntry::dot("attracting fixed point", dot, GREEN.filled()),
        LegendEntry::dot("unstable fixed point", dot, VERMILLION.filled()),
    ];
    let (strip, body) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let axes = Axes::new(
        &body,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::linear(m0, m1, "mean μ of the layer's outputs"),
        Axis::linear(VAR_RANGE.0, v1, "variance ν"),
    );
    let mut chart = axes
        .builder(&body)
        .build_cartesian_2d(m0..m1, VAR_RANGE.0..v1)
        .map_err(err)?;
    axes.draw(&chart, &body, style)?;
    // Arrows from (μ, ν) toward g(μ, ν), shortened to a fixed fraction of the grid spacing so the
    // field stays readable; the direction is exact.
    let max_len = 0.09;
    let arrow_style = style.line(style.reference(), 1.2);
    for &(m, v, nm, nv) in &data.arrows {
        let (dx, dy) = (nm - m, (nv - v) * (2.0 / 3.0));
        let len = (dx * dx + dy * dy).sqrt();
        if !len.is_finite() || len == 0.0 {
            continue;
        }
        let k = (max_len / len).min(1.0);
        let (ex, ey) = (m + dx * k, v + dy * k * 1.5);
        chart
            .draw_series(LineSeries::new([(m, v), (ex, ey)], arrow_style))
            .map_err(err)?;
        chart
            .draw_series([Circle::new(
                (ex, ey),
                style.px(1.6) as u32,
                style.reference().filled(),
            )])
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(traj.iter().copied(), line))
        .map_err(err)?;
    if let Some(&first) = traj.first() {
        chart
            .draw_series([Circle::new(first, style.px(4.0) as u32, BLUE.filled())])
            .map_err(err)?;
    }
    for &(m, v, stable) in &data.fixed_points {
        let color = if stable { GREEN } else { VERMILLION };
        let r = style.px(6.0) as u32;
        chart
            .draw_series([
                Circle::new((m, v), r, color.filled()),
                Circle::new(
                    (m, v),
                    r,
                    style.ink().stroke_width(style.px(1.0).max(1) as u32),
                ),
            ])
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
