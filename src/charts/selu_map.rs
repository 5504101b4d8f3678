//! The `selu_map` panel: the SNN paper's map g: (mean, variance) -> (mean, variance) of one
//! layer as an arrow field, its fixed points, and the simulated network's trajectory.

use super::{err, HouseMesh, LegendEntry, Style, BLUE, GREEN, VERMILLION};
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

pub fn draw(canvas: &HtmlCanvasElement, data: &MapData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    let mut chart = ChartBuilder::on(&root)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(48.0))
        .build_cartesian_2d(MEAN_RANGE.0..MEAN_RANGE.1, VAR_RANGE.0..VAR_RANGE.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .house_grid(style, 0.1, 0.25)
        .x_desc("mean μ of the layer's outputs")
        .y_desc("variance ν")
        .x_label_formatter(&|v| super::tick_linear(*v, 2.0))
        .y_label_formatter(&|v| super::tick_linear(*v, 3.0))
        .draw()
        .map_err(err)?;
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
    let traj: Vec<(f64, f64)> = data
        .trajectory
        .iter()
        .copied()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .collect();
    let line = style.line(BLUE, 2.0);
    chart
        .draw_series(LineSeries::new(traj.iter().copied(), line))
        .map_err(err)?;
    legend.push(LegendEntry::line(
        "simulated layers (post-activation mean, variance)",
        line,
    ));
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
    let dot = style.px(5.0) as u32;
    legend.push(LegendEntry::dot(
        "attracting fixed point",
        dot,
        GREEN.filled(),
    ));
    legend.push(LegendEntry::dot(
        "unstable fixed point",
        dot,
        VERMILLION.filled(),
    ));
    super::draw_legend(&chart, style, SeriesLabelPosition::UpperLeft, &legend)?;
    root.present().map_err(err)?;
    Ok(())
}
