//! The `corr` panel: per-layer correlation of input pairs, simulated and predicted by the
//! mean-field correlation map (Poole et al. 2016; Schoenholz et al. 2017).

use super::axes::{Axes, Axis};
use super::{err, padded_range, LegendEntry, Style, BLUE, VERMILLION};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CorrData {
    pub depth: usize,
    /// (layer, simulated correlation), finite values only.
    pub simulated: Vec<(f64, f64)>,
    /// (layer, predicted correlation); empty where the theory does not apply.
    pub predicted: Vec<(f64, f64)>,
    /// The correlation fixed point c*, if known.
    pub c_star: Option<f64>,
    /// Pinned runs' simulated correlation.
    pub pins: Vec<PinCurve>,
}

/// A pinned run's curve: (pin number, legend label, (layer, c) points).
pub type PinCurve = (usize, String, Vec<(f64, f64)>);

pub fn draw(canvas: &HtmlCanvasElement, data: &CorrData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    let (lo, hi) = padded_range(
        data.simulated
            .iter()
            .chain(&data.predicted)
            .chain(data.pins.iter().flat_map(|p| &p.2))
            .map(|p| p.1)
            .chain(data.c_star)
            .chain([1.0]),
        0.05,
    );
    let x_range = 0.5..(data.depth as f64 + 0.5);
    let hi = hi.min(1.05);
    let dash = (style.px(6.0) as u32, style.px(4.0) as u32);
    let reference = style.line(style.reference(), 1.5);
    let c_star = data.c_star.filter(|c| *c < 0.999);
    let faint = style.line(style.reference(), 1.0);
    let sim = style.line(BLUE, 2.5);
    let pred = style.line(VERMILLION, 2.0);
    // The legend above the plot: the curves end in the corners where a legend would sit.
    legend.push(LegendEntry::line("c = 1 (ordered)", reference).dashed(dash.0, dash.1));
    if let Some(c) = c_star {
        legend.push(
            LegendEntry::line(format!("c* = {c:.3} (chaotic)"), faint).dashed(dash.1, dash.1),
        );
    }
    legend.push(LegendEntry::line("simulated", sim));
    if !data.predicted.is_empty() {
        legend.push(LegendEntry::line("mean-field prediction", pred).dashed(dash.0, dash.1));
    }
    for (index, label, _) in &data.pins {
        legend.push(super::pin_entry(style, *index, label));
    }
    let (strip, root) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let mut axes = Axes::new(
        &root,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::integer(x_range.start, x_range.end, "layer"),
        Axis::linear(lo, hi, "correlation of h for input pairs"),
    );
    axes.min_height = Some(super::axes::MIN_PLOT_HEIGHT);
    let mut chart = axes
        .builder(&root)
        .build_cartesian_2d(x_range.clone(), lo..hi)
        .map_err(err)?;
    axes.draw(&chart, &root, style)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
    if let Some(c) = c_star {
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, c), (x_range.end, c)],
                dash.1,
                dash.1,
                faint,
            ))
            .map_err(err)?;
    }
    for (index, _, points) in &data.pins {
        super::draw_pin_line(&mut chart, style, *index, points.clone())?;
    }
    chart
        .draw_series(LineSeries::new(data.simulated.iter().copied(), sim))
        .map_err(err)?;
    if !data.predicted.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(
                data.predicted.iter().copied(),
                dash.0,
                dash.1,
                pred,
            ))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
