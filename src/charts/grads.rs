//! The `grads` panel: per-layer RMS of the backward signal delta^l = dL/dh^l, on a log axis.

use super::axes::{Axes, Axis};
use super::{err, log_range, LegendEntry, Style, GREEN, PURPLE};
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
    /// Pinned runs, drawn as references.
    pub pins: &'a [super::PinStats<'a>],
}

pub fn draw(canvas: &HtmlCanvasElement, data: &GradsData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let root = super::banner_strip(root, data.banner.as_deref(), style)?;
    let points: Vec<(f64, f64)> = data
        .stats
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1) as f64, s.grad_rms))
        .filter(|p| p.1.is_finite() && p.1 > 0.0)
        .collect();
    let pins: Vec<_> = data
        .pins
        .iter()
        .map(|p| (p.index, p.points(|s| s.grad_rms, true)))
        .collect();
    let (lo, hi) = log_range(
        points
            .iter()
            .chain(pins.iter().flat_map(|p| &p.1))
            .map(|p| p.1),
    )
    .unwrap_or((0.1, 10.0));
    let x_range = super::layer_range(data.depth, data.pins);
    // The mean-field slope, once the whole network is computed; its legend goes above the plot.
    let per_layer = match (data.chi1, points.last()) {
        (Some(chi1), Some(&(last_l, _)))
            if chi1.is_finite() && chi1 > 0.0 && last_l as usize == data.depth =>
        {
            Some(chi1.sqrt())
        }
        _ => None,
    };
    let theory = style.line(GREEN, 2.0);
    let mut legend: Vec<LegendEntry> = per_layer
        .map(|p| {
            LegendEntry::line(
                format!("mean field: ×√χ₁ = {p:.4} per layer toward the input"),
                theory,
            )
            .dashed(style.px(2.0) as u32, style.px(4.0) as u32)
        })
        .into_iter()
        .collect();
    legend.extend(super::pin_legend(style, data.pins));
    let (strip, root) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let mut axes = Axes::new(
        &root,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::integer(x_range.start, x_range.end, "layer"),
        Axis::log(lo, hi, "RMS of dL/dh (log)"),
    );
    axes.min_height = Some(super::axes::MIN_PLOT_HEIGHT);
    let mut chart = axes
        .builder(&root)
        .build_cartesian_2d(x_range, (lo..hi).log_scale())
        .map_err(err)?;
    axes.draw(&chart, &root, style)?;
    for (index, points) in &pins {
        super::draw_pin_line(&mut chart, style, *index, points.clone())?;
    }
    let line = style.line(PURPLE, 2.5);
    chart
        .draw_series(LineSeries::new(points.iter().copied(), line))
        .map_err(err)?;
    if points.len() <= 60 {
        let r = style.px(2.5) as u32;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, r, PURPLE.filled())))
            .map_err(err)?;
    }
    if let (Some(per_layer), Some(&(_, last_g))) = (per_layer, points.last()) {
        {
            let pred: Vec<(f64, f64)> = (1..=data.depth)
                .map(|l| {
                    (
                        l as f64,
                        last_g * per_layer.powf(data.depth as f64 - l as f64),
                    )
                })
                .filter(|p| p.1 >= lo && p.1 <= hi)
                .collect();
            chart
                .draw_series(DashedLineSeries::new(
                    pred,
                    style.px(2.0) as u32,
                    style.px(4.0) as u32,
                    theory,
                ))
                .map_err(err)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}
