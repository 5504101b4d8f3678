//! The `stats` panel: per-layer mean (top) and variance (bottom) of pre- and post-activations.

use super::axes::{Axes, Axis};
use super::{err, log_range, padded_range, LegendEntry, Style, BLUE, GREEN, VERMILLION};
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
    /// The input x^0's mean and variance, drawn as layer 0 of the post-activation curve.
    pub input: Option<(f64, f64)>,
    /// Pinned runs, drawn as references (post-activation mean and variance).
    pub pins: &'a [super::PinStats<'a>],
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
    let root = super::banner_strip(root, data.banner.as_deref(), style)?;
    let mut x_range = super::layer_range(data.depth, data.pins);
    if data.input.is_some() {
        x_range.start = -0.5;
    }
    let pre = style.line(VERMILLION, 2.0);
    let post = style.line(BLUE, 2.5);
    let reference = style.line(style.reference(), 1.5);
    let dash = (style.px(6.0) as u32, style.px(4.0) as u32);
    let theory = style.line(GREEN, 2.0);
    let dots = (style.px(2.0) as u32, style.px(4.0) as u32);
    // One legend for both plots, above them: the lines run through every corner of the mean
    // plot at some settings, and a legend inside it would hide them.
    let mut legend = vec![
        LegendEntry::line("target 0 / 1", reference).dashed(dash.0, dash.1),
        LegendEntry::line("pre-activation h", pre).dashed(dash.0, dash.1),
        LegendEntry::line("post-activation x", post),
    ];
    if data.predicted.is_some() {
        legend.push(LegendEntry::line("mean-field prediction (x)", theory).dashed(dots.0, dots.1));
    }
    legend.extend(super::pin_legend(style, data.pins));
    let (strip, plots) = root.split_vertically(super::legend_strip_height(&root, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let (_, h) = plots.dim_in_pixel();
    let (top, bottom) = plots.split_vertically(h / 2);

    // Means, with the reference line at 0.
    let pre_mean = layer_points(data.stats, |s| s.pre_mean);
    // Layer 0 is the input x^0 (a "post-activation" of no layer): the curve starts there.
    let with_input = |pick: fn((f64, f64)) -> f64, mut points: Vec<(f64, f64)>| {
        if let Some(v) = data.input.map(pick).filter(|v| v.is_finite()) {
            points.insert(0, (0.0, v));
        }
        points
    };
    let post_mean = with_input(|m| m.0, layer_points(data.stats, |s| s.post_mean));
    let pin_mean: Vec<_> = data
        .pins
        .iter()
        .map(|p| (p.index, p.points(|s| s.post_mean, false)))
        .collect();
    let pin_var: Vec<_> = data
        .pins
        .iter()
        .map(|p| (p.index, p.points(|s| s.post_var, data.log_var)))
        .collect();
    let (lo, hi) = padded_range(
        pre_mean
            .iter()
            .chain(&post_mean)
            .chain(pin_mean.iter().flat_map(|p| &p.1))
            .map(|p| p.1)
            .chain([-0.1, 0.1]),
        0.08,
    );
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
    // Variances, with the reference line at 1, linear or log.
    let pre_var = layer_points(data.stats, |s| s.pre_var);
    let post_var = with_input(|m| m.1, layer_points(data.stats, |s| s.post_var));
    let pred_var = predicted(|p| p.post_var);
    let pred_q = predicted(|p| p.q);
    let faint = style.line(RGBColor(120, 190, 160), 1.5);
    let all_var = pre_var
        .iter()
        .chain(&post_var)
        .chain(&pred_var)
        .chain(&pred_q)
        .chain(pin_var.iter().flat_map(|p| &p.1))
        .map(|p| p.1)
        .chain([1.0]);
    let (vlo, vhi) = if data.log_var {
        log_range(all_var).unwrap_or((0.1, 10.0))
    } else {
        padded_range(all_var.chain([0.0]), 0.08)
    };
    let margin = Axes::uniform(style.px(10.0));
    let layers = || Axis::integer(x_range.start, x_range.end, "layer");
    let mut axes = Axes::new(
        &top,
        style,
        margin,
        Axis::integer(x_range.start, x_range.end, ""),
        Axis::linear(lo, hi, "mean"),
    );
    let mut bottom_axes = Axes::new(
        &bottom,
        style,
        margin,
        layers(),
        if data.log_var {
            Axis::log(vlo, vhi, "variance (log)")
        } else {
            Axis::linear(vlo, vhi, "variance")
        },
    );
    axes.min_height = Some(super::axes::MIN_PLOT_HEIGHT);
    bottom_axes.min_height = Some(super::axes::MIN_PLOT_HEIGHT);
    // The two plots share the layer axis: the same left edge and the same ticks.
    Axes::align(&mut [(&mut axes, &top), (&mut bottom_axes, &bottom)], style);
    let mut chart = axes
        .builder(&top)
        .build_cartesian_2d(x_range.clone(), lo..hi)
        .map_err(err)?;
    axes.draw(&chart, &top, style)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(x_range.start, 0.0), (x_range.end, 0.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
    for (index, points) in &pin_mean {
        super::draw_pin_line(&mut chart, style, *index, points.clone())?;
    }
    chart
        .draw_series(DashedLineSeries::new(pre_mean, dash.0, dash.1, pre))
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(post_mean, post))
        .map_err(err)?;
    if data.predicted.is_some() {
        chart
            .draw_series(DashedLineSeries::new(
                predicted(|p| p.post_mean),
                dots.0,
                dots.1,
                theory,
            ))
            .map_err(err)?;
    }

    if data.log_var {
        let axes = &bottom_axes;
        let mut c = axes
            .builder(&bottom)
            .build_cartesian_2d(x_range.clone(), (vlo..vhi).log_scale())
            .map_err(err)?;
        axes.draw(&c, &bottom, style)?;
        let positive = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.1 > 0.0).collect::<Vec<_>>();
        c.draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
        for (index, points) in &pin_var {
            super::draw_pin_line(&mut c, style, *index, points.clone())?;
        }
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
        let axes = &bottom_axes;
        let mut c = axes
            .builder(&bottom)
            .build_cartesian_2d(x_range.clone(), vlo..vhi)
            .map_err(err)?;
        axes.draw(&c, &bottom, style)?;
        c.draw_series(DashedLineSeries::new(
            [(x_range.start, 1.0), (x_range.end, 1.0)],
            dash.0,
            dash.1,
            reference,
        ))
        .map_err(err)?;
        for (index, points) in &pin_var {
            super::draw_pin_line(&mut c, style, *index, points.clone())?;
        }
        c.draw_series(DashedLineSeries::new(pre_var, dash.0, dash.1, pre))
            .map_err(err)?;
        c.draw_series(LineSeries::new(post_var, post))
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(pred_var, dots.0, dots.1, theory))
            .map_err(err)?;
        c.draw_series(DashedLineSeries::new(pred_q, dots.0, dots.1, faint))
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
