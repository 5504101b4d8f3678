//! The `stats` panel: per-layer mean (top) and variance (bottom) of pre- and post-activations.

use super::{
    draw_banner, err, log_range, padded_range, HouseMesh, LegendEntry, Style, BLUE, GREEN,
    VERMILLION,
};
use lab_core::LayerStats;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

pub struct StatsData<'a> {
    /// One entry per layer computed so far.
    pub stats: &'a [LayerStats],
    /// Total number of layers (the x axis spans all of them while the rest computes).
    pub depth: usize,
    pub log_var: bool,
    /// "exploded at layer k" or similar, drawn over the plot.
    pub banner: Option<String>,
    /// Mean-field predictions per layer, drawn dotted (None: not shown).
    pub predicted: Option<&'a [lab_core::theory::Prediction]>,
}

fn layer_points(stats: &[LayerStats], pick: fn(&LayerStats) -> f64) -> Vec<(f64, f64)> {
    stats
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1) as f64, pick(s)))
        .filter(|p| p.1.is_finite())
        .collect()
}

pub fn draw(canvas: &HtmlCanvasElement, data: &StatsData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let mut legend = Vec::new();
    let (_, h) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically(h / 2);
    let x_range = 0.5..(data.depth as f64 + 0.5);
    let pre = style.line(VERMILLION, 2.0);
    let post = style.line(BLUE, 2.5);
    let reference = style.line(style.reference(), 1.5);
    let dash = (style.px(6.0) as u32, style.px(4.0) as u32);

    // Means, with the reference line at 0.
    let pre_mean = layer_points(data.stats, |s| s.pre_mean);
    let post_mean = layer_points(data.stats, |s| s.post_mean);
    let (lo, hi) = padded_range(
        pre_mean
            .iter()
            .chain(&post_mean)
            .map(|p| p.1)
            .chain([-0.1, 0.1]),
        0.08,
    );
    let mut chart = ChartBuilder::on(&top)
        .margin(style.px(10.0))
        .x_label_area_size(style.px(28.0))
        .y_label_area_size(style.px(56.0))
        .build_cartesian_2d(x_range.clone(), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .house_grid(style, 0.12, 0.3)
        .y_desc("mean")
        .x_label_formatter(&|v| super::layer_tick(*v))
        .y_label_formatter(&|v| super::tick_linear(*v, hi - lo))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(x_range.start, 0.0), (x_range.end, 0.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
    legend.push(LegendEntry::line("target 0 / 1", reference).dashed(dash.0, dash.1));
    chart
        .draw_series(DashedLineSeries::new(pre_mean, dash.0, dash.1, pre))
        .map_err(err)?;
    legend.push(LegendEntry::line("pre-activation h", pre).dashed(dash.0, dash.1));
    chart
        .draw_series(LineSeries::new(post_mean, post))
        .map_err(err)?;
    legend.push(LegendEntry::line("post-activation x", post));
    let theory = style.line(GREEN, 2.0);
    let dots = (style.px(2.0) as u32, style.px(4.0) as u32);
    let predicted = |pick: fn(&lab_core::theory::Prediction) -> f64| -> Vec<(f64, f64)> {
        data.predicted
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(i, p)| ((i + 1) as f64, pick(p)))
            // Beyond 1e30 the simulation reports an explosion; the theory's huge values would
            // only flatten the plot.
            .filter(|p| p.1.is_finite() && p.1.abs() < 1e30)
            .collect()
    };
    if data.predicted.is_some() {
        chart
            .draw_series(DashedLineSeries::new(
                predicted(|p| p.post_mean),
                dots.0,
                dots.1,
                theory,
            ))
            .map_err(err)?;
        legend.push(LegendEntry::line("mean-field prediction (x)", theory).dashed(dots.0, dots.1));
    }
    super::draw_legend(&chart, style, SeriesLabelPosition::UpperRight, &legend)?;

    // Variances, with the reference line at 1, linear or log.
    let pre_var = layer_points(data.stats, |s| s.pre_var);
    let post_var = layer_points(data.stats, |s| s.post_var);
    let pred_var = predicted(|p| p.post_var);
    let pred_q = predicted(|p| p.q);
    let faint = style.line(RGBColor(120, 190, 160), 1.5);
    let all_var = pre_var
        .iter()
        .chain(&post_var)
        .chain(&pred_var)
        .chain(&pred_q)
        .map(|p| p.1)
        .chain([1.0]);
    if data.log_var {
        let (vlo, vhi) = log_range(all_var).unwrap_or((0.1, 10.0));
        let mut c = ChartBuilder::on(&bottom)
            .margin(style.px(10.0))
            .x_label_area_size(style.px(34.0))
            .y_label_area_size(style.px(56.0))
            .build_cartesian_2d(x_range.clone(), (vlo..vhi).log_scale())
            .map_err(err)?;
        c.configure_mesh()
            .house_grid(style, 0.12, 0.3)
            .x_desc("layer")
            .y_desc("variance (log)")
            .x_label_formatter(&|v| super::layer_tick(*v))
            .y_label_formatter(&|v| super::tick(*v))
            .draw()
            .map_err(err)?;
        let positive = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.1 > 0.0).collect::<Vec<_>>();
        c.draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
        c.draw_series(DashedLineSeries::new(
            positive(pre_var),
            dash.0,
            dash.1,
            pre,
        ))
        .map_err(err)?;
        c.draw_series(LineSeries::new(positive(post_var), post))
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(
            positive(pred_var),
            dots.0,
            dots.1,
            theory,
        ))
        .map_err(err)?;
        c.draw_series(DashedLineSeries::new(
            positive(pred_q),
            dots.0,
            dots.1,
            faint,
        ))
        .map_err(err)?;
    } else {
        let (vlo, vhi) = padded_range(all_var.chain([0.0]), 0.08);
        let mut c = ChartBuilder::on(&bottom)
            .margin(style.px(10.0))
            .x_label_area_size(style.px(34.0))
            .y_label_area_size(style.px(56.0))
            .build_cartesian_2d(x_range.clone(), vlo..vhi)
            .map_err(err)?;
        c.configure_mesh()
            .house_grid(style, 0.12, 0.3)
            .x_desc("layer")
            .y_desc("variance")
            .x_label_formatter(&|v| super::layer_tick(*v))
            .y_label_formatter(&|v| super::tick_linear(*v, vhi - vlo))
            .draw()
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
        c.draw_series(DashedLineSeries::new(pre_var, dash.0, dash.1, pre))
            .map_err(err)?;
        c.draw_series(LineSeries::new(post_var, post))
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(pred_var, dots.0, dots.1, theory))
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(pred_q, dots.0, dots.1, faint))
            .map_err(err)?;
    }
    if let Some(text) = &data.banner {
        draw_banner(&root, text, style)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
