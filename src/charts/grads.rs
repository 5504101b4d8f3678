//! The `grads` panel: per-layer RMS of the backward signal delta^l = dL/dh^l, on a log axis.

use super::{draw_banner, err, log_range, HouseMesh, LegendEntry, Style, GREEN, PURPLE};
use lab_core::LayerStats;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

pub struct GradsData<'a> {
    pub stats: &'a [LayerStats],
    pub depth: usize,
    /// A message drawn over the plot (vanished, exploded, skipped, still computing).
    pub banner: Option<String>,
    /// Mean-field chi_1: the squared backward signal scales by chi_1 per layer, so its RMS by
    /// sqrt(chi_1). Drawn through the last layer's simulated value.
    pub chi1: Option<f64>,
}

pub fn draw(canvas: &HtmlCanvasElement, data: &GradsData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let points: Vec<(f64, f64)> = data
        .stats
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1) as f64, s.grad_rms))
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect();
    let (lo, hi) = log_range(points.iter().map(|p| p.1)).unwrap_or((0.1, 10.0));
    let x_range = 0.5..(data.depth as f64 + 0.5);
    let mut chart = ChartBuilder::on(&root)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(56.0))
        .build_cartesian_2d(x_range, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .house_grid(style, 0.12, 0.3)
        .x_desc("layer")
        .y_desc("RMS of dL/dh (log)")
        .x_label_formatter(&|v| super::layer_tick(*v))
        .y_label_formatter(&|v| super::tick(*v))
        .draw()
        .map_err(err)?;
    let line = style.line(PURPLE, 2.5);
    chart
        .draw_series(LineSeries::new(points.iter().copied(), line))
        .map_err(err)?;
    if let (Some(chi1), Some(&(last_l, last_g))) = (data.chi1, points.last()) {
        if chi1.is_finite() && chi1 > 0.0 && last_l as usize == data.depth {
            let per_layer = chi1.sqrt();
            let pred: Vec<(f64, f64)> = (1..=data.depth)
                .map(|l| {
                    (
                        l as f64,
                        last_g * per_layer.powf(data.depth as f64 - l as f64),
                    )
                })
                .filter(|p| p.1 >= lo && p.1 <= hi)
                .collect();
            let theory = style.line(GREEN, 2.0);
            chart
                .draw_series(DashedLineSeries::new(
                    pred,
                    style.px(2.0) as u32,
                    style.px(4.0) as u32,
                    theory,
                ))
                .map_err(err)?;
            let legend = [LegendEntry::line(
                format!("mean field: ×√χ₁ = {per_layer:.4} per layer toward the input"),
                theory,
            )
            .dashed(style.px(2.0) as u32, style.px(4.0) as u32)];
            super::draw_legend(&chart, style, SeriesLabelPosition::UpperRight, &legend)?;
        }
    }
    if points.len() <= 60 {
        let r = style.px(2.5) as u32;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, r, PURPLE.filled())))
            .map_err(err)?;
    }
    if let Some(text) = &data.banner {
        draw_banner(&root, text, style)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
