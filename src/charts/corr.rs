//! The `corr` panel: per-layer correlation of input pairs, simulated and predicted by the
//! mean-field correlation map (Poole et al. 2016; Schoenholz et al. 2017).

use super::{err, padded_range, HouseMesh, LegendEntry, Style, BLUE, VERMILLION};
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
}

pub fn draw(canvas: &HtmlCanvasElement, data: &CorrData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    let (lo, hi) = padded_range(
        data.simulated
            .iter()
            .chain(&data.predicted)
            .map(|p| p.1)
            .chain(data.c_star)
            .chain([1.0]),
        0.05,
    );
    let x_range = 0.5..(data.depth as f64 + 0.5);
    let mut chart = ChartBuilder::on(&root)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(34.0))
        .y_label_area_size(style.px(56.0))
        .build_cartesian_2d(x_range.clone(), lo..hi.min(1.05))
        .map_err(err)?;
    chart
        .configure_mesh()
        .house_grid(style, 0.12, 0.3)
        .x_desc("layer")
        .y_desc("correlation of h for input pairs")
        .x_label_formatter(&|v| super::layer_tick(*v))
        .y_label_formatter(&|v| super::tick_linear(*v, hi - lo))
        .draw()
        .map_err(err)?;
    let dash = (style.px(6.0) as u32, style.px(4.0) as u32);
    let reference = style.line(style.reference(), 1.5);
    chart
        .draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
    legend.push(LegendEntry::line("c = 1 (ordered)", reference).dashed(dash.0, dash.1));
    if let Some(c) = data.c_star.filter(|c| *c < 0.999) {
        let s = style.line(style.reference(), 1.0);
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, c), (x_range.end, c)],
                dash.1,
                dash.1,
                s,
            ))
            .map_err(err)?;
        legend.push(LegendEntry::line(format!("c* = {c:.3} (chaotic)"), s).dashed(dash.1, dash.1));
    }
    let sim = style.line(BLUE, 2.5);
    chart
        .draw_series(LineSeries::new(data.simulated.iter().copied(), sim))
        .map_err(err)?;
    legend.push(LegendEntry::line("simulated", sim));
    if !data.predicted.is_empty() {
        let pred = style.line(VERMILLION, 2.0);
        chart
            .draw_series(DashedLineSeries::new(
                data.predicted.iter().copied(),
                dash.0,
                dash.1,
                pred,
            ))
            .map_err(err)?;
        legend.push(LegendEntry::line("mean-field prediction", pred).dashed(dash.0, dash.1));
    }
    super::draw_legend(&chart, style, SeriesLabelPosition::LowerRight, &legend)?;
    root.present().map_err(err)?;
    Ok(())
}
