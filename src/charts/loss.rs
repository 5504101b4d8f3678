//! The Train lab's `loss` chart: loss against step (top) and accuracy at the evaluations
//! (bottom), for up to four runs overlaid, each in its own colour and dash pattern.
//!
//! Top: every minibatch loss as a faint point (thinned to about one per pixel column), the
//! minibatch losses smoothed by a bias-corrected exponential moving average (see [`ema`]), and
//! the evaluation losses on the whole training set (filled markers) and test set (hollow
//! markers) joined by thin lines; a dashed reference at ln(classes), the loss of a uniform guess.
//! Bottom: training (filled) and test (hollow) accuracy, with a dashed chance line at 1/classes.

use super::axes::{Axes, Axis};
use super::train_common::{
    draw_divergence, draw_line, draw_note, marker_legend, plot_columns, run_color, run_dash,
    run_legend, step_axis, thin_indices,
};
use super::{err, log_range, LegendEntry, Style};
use lab_core::train::History;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// The smoothing weight per step of [`ema`] (TensorBoard's slider at 0.98).
pub const EMA_WEIGHT: f64 = 0.98;

/// One run of the loss chart.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LossRun {
    pub label: String,
    /// The minibatch loss of step s at index s - 1 (a non-finite last value if it diverged).
    pub batch_loss: Vec<f64>,
    /// (step, train_loss, train_acc, test_loss, test_acc) per evaluation, in step order.
    pub evals: Vec<(usize, f64, f64, f64, f64)>,
    /// The step at which training stopped on a non-finite loss.
    pub diverged_at: Option<usize>,
}

impl LossRun {
    /// The run's losses from a trainer's history.
    pub fn from_history(label: impl Into<String>, history: &History) -> LossRun {
        LossRun {
            label: label.into(),
            batch_loss: history.batch_loss.clone(),
            evals: history
                .evals
                .iter()
                .map(|e| (e.step, e.train_loss, e.train_acc, e.test_loss, e.test_acc))
                .collect(),
            diverged_at: history.diverged_at,
        }
    }
}

/// Everything the loss chart draws.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LossData {
    /// Up to four runs (more are not drawn).
    pub runs: Vec<LossRun>,
    /// The end of the step axis (the planned number of steps).
    pub steps: usize,
    /// A logarithmic loss axis.
    pub log_y: bool,
    /// ln(classes), the loss of predicting the uniform distribution; the accuracy plot's chance
    /// line is at exp(-chance_loss) = 1/classes.
    pub chance_loss: Option<f64>,
}

/// Bias-corrected exponential moving average, as TensorBoard's scalar smoothing: with weight w,
/// m_0 = 0, m_k = w m_(k-1) + (1 - w) v_k and the smoothed value is m_k / (1 - w^k) (the
/// division undoes the pull towards the zero start, so the first value is v_1 itself). Covers
/// the leading finite values only: a diverged run's line ends at its last finite loss.
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    let (mut m, mut wk) = (0.0, 1.0);
    for &v in values {
        if !v.is_finite() {
            break;
        }
        m = weight * m + (1.0 - weight) * v;
        wk *= weight;
        out.push(if wk < 1.0 { m / (1.0 - wk) } else { v });
    }
    out
}

/// The q-quantile (0..=1) of the finite values, by sorting; None when there are none.
fn quantile(values: impl IntoIterator<Item = f64>, q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize;
    Some(v[i])
}

/// Thin polyline of (step, value) from values at steps 1..: thinned to `columns` points.
fn step_points(values: &[f64], columns: usize, keep: impl Fn(f64) -> bool) -> Vec<(f64, f64)> {
    thin_indices(values.len(), columns)
        .into_iter()
        .map(|i| ((i + 1) as f64, values[i]))
        .filter(|p| p.1.is_finite() && keep(p.1))
        .collect()
}

/// The y range of the loss plot: covers the evaluations and the chance line, and the raw
/// minibatch losses from their 2nd to 98th percentile. Rare spikes leave the plot rather than
/// flatten everything else; the smoothed line, an average of the raw losses, is clipped to the
/// range (after a huge spike it stays high for a few hundred steps).
fn loss_range(data: &LossData) -> (f64, f64) {
    let runs = &data.runs[..data.runs.len().min(super::train_common::MAX_RUNS)];
    let evals = runs
        .iter()
        .flat_map(|r| r.evals.iter().flat_map(|e| [e.1, e.3]));
    let main: Vec<f64> = evals
        .chain(data.chance_loss)
        .filter(|v| v.is_finite() && (!data.log_y || *v > 0.0))
        .collect();
    let raw = || {
        runs.iter()
            .flat_map(|r| r.batch_loss.iter().copied())
            .filter(|v| v.is_finite() && (!data.log_y || *v > 0.0))
    };
    let hi_raw = quantile(raw(), 0.98);
    let lo_raw = quantile(raw(), 0.02);
    if data.log_y {
        log_range(
            main.iter()
                .copied()
                .chain([hi_raw, lo_raw].into_iter().flatten()),
        )
        .unwrap_or((0.1, 10.0))
    } else {
        let hi = main
            .iter()
            .copied()
            .chain(hi_raw)
            .fold(f64::NEG_INFINITY, f64::max);
        if hi.is_finite() && hi > 0.0 {
            (0.0, hi * 1.05)
        } else {
            (0.0, 1.0)
        }
    }
}

/// Draws one run's layers of the loss plot.
fn draw_loss_run<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    i: usize,
    run: &LossRun,
    smoothed: &[f64],
    (lo, hi): (f64, f64),
    style: &Style,
) -> Result<(), String> {
    let colour = run_color(i);
    let dash = run_dash(i, style);
    let columns = plot_columns(chart);
    let inside = |v: f64| v >= lo && v <= hi;
    // Raw minibatch losses: faint dots, about one per pixel column.
    let r = style.px(1.2).max(1) as u32;
    let raw = step_points(&run.batch_loss, columns, inside);
    // Fainter on white than on the dark paper, where the same opacity all but vanishes.
    let faint = match style.theme {
        super::Theme::Light => 0.22,
        super::Theme::Dark => 0.4,
    };
    chart
        .draw_series(
            raw.iter()
                .map(|&p| Circle::new(p, r, colour.mix(faint).filled())),
        )
        .map_err(err)?;
    // The smoothed line, clipped to the plot's range.
    let line: Vec<(f64, f64)> = step_points(smoothed, columns * 2, |_| true)
        .into_iter()
        .map(|(x, y)| (x, y.clamp(lo, hi)))
        .collect();
    draw_line(chart, line, style.line(colour, 2.0), dash)?;
    // Evaluations: train (filled) and test (hollow), joined by thin lines.
    let pick = |f: fn(&(usize, f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
        run.evals
            .iter()
            .map(|e| (e.0 as f64, f(e)))
            .filter(|p| p.1.is_finite() && inside(p.1))
            .collect()
    };
    draw_evals(chart, pick(|e| e.1), pick(|e| e.3), colour, dash, style)
}

/// Train (filled) and test (hollow) markers joined by thin lines in the run's dash pattern;
/// markers thinned to about 60 per run.
fn draw_evals<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    train: Vec<(f64, f64)>,
    test: Vec<(f64, f64)>,
    colour: RGBColor,
    dash: Option<(u32, u32)>,
    style: &Style,
) -> Result<(), String> {
    let thin = style.line(colour, 1.2);
    draw_line(chart, train.clone(), thin, dash)?;
    draw_line(chart, test.clone(), thin, dash)?;
    let r = style.px(3.5).max(1) as u32;
    let paper = style.paper();
    let ring = colour.stroke_width(style.px(1.5).max(1) as u32);
    chart
        .draw_series(thin_indices(test.len(), 60).into_iter().flat_map(|k| {
            [
                Circle::new(test[k], r, paper.filled()),
                Circle::new(test[k], r, ring),
            ]
        }))
        .map_err(err)?;
    chart
        .draw_series(
            thin_indices(train.len(), 60)
                .into_iter()
                .map(|k| Circle::new(train[k], r, colour.filled())),
        )
        .map_err(err)?;
    Ok(())
}

pub fn draw(canvas: &HtmlCanvasElement, data: &LossData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let runs = &data.runs[..data.runs.len().min(super::train_common::MAX_RUNS)];
    let smoothed: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| ema(&r.batch_loss, EMA_WEIGHT))
        .collect();
    let (lo, hi) = loss_range(data);
    let x_range = step_axis(data.steps);
    let (_, h) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically((h as f64 * 0.6).round() as u32);
    let reference = style.line(style.reference(), 1.5);
    let dash = (style.px(6.0) as u32, style.px(4.0) as u32);
    let has_evals = runs.iter().any(|r| !r.evals.is_empty());
    let has_losses = runs.iter().any(|r| !r.batch_loss.is_empty());

    // Loss against step.
    let mut top_legend = vec![
        LegendEntry::line(
            format!("minibatch loss (dots), smoothed (EMA {EMA_WEIGHT})"),
            style.line(style.reference(), 2.0),
        ),
        marker_legend("training set (evaluations)", true, style),
        marker_legend("test set (evaluations)", false, style),
    ];
    let chance_loss = data.chance_loss.filter(|c| *c >= lo && *c <= hi);
    if let Some(c) = chance_loss {
        top_legend.push(
            LegendEntry::line(format!("chance: ln C = {c:.3}"), reference).dashed(dash.0, dash.1),
        );
    }
    // The legends go above their plots, where they cannot hide a curve.
    if !(has_losses || has_evals) {
        top_legend.clear();
    }
    let (top_strip, top) =
        top.split_vertically(super::legend_strip_height(&top, style, &top_legend));
    super::draw_legend_strip(&top_strip, style, &top_legend)?;
    let margin = Axes::uniform(style.px(10.0));
    let steps = || Axis::integer(x_range.start, x_range.end, "step");
    let top_axes = Axes::new(
        &top,
        style,
        margin,
        Axis::integer(x_range.start, x_range.end, ""),
        if data.log_y {
            Axis::log(lo, hi, "loss (log)")
        } else {
            Axis::linear(lo, hi, "cross-entropy loss")
        },
    );
    macro_rules! loss_plot {
        ($chart:ident) => {{
            top_axes.draw(&$chart, &top, style)?;
            if let Some(c) = chance_loss {
                $chart
                    .draw_series(DashedLineSeries::new(
                        [(x_range.start, c), (x_range.end, c)],
                        dash.0,
                        dash.1,
                        reference,
                    ))
                    .map_err(err)?;
            }
            for (i, run) in runs.iter().enumerate() {
                draw_loss_run(&mut $chart, i, run, &smoothed[i], (lo, hi), style)?;
            }
            let marks: Vec<(&str, Option<usize>)> = runs
                .iter()
                .map(|r| (r.label.as_str(), r.diverged_at))
                .collect();
            draw_divergence(&mut $chart, &marks, x_range.end, (lo, hi), style)?;
        }};
    }
    if data.log_y {
        let mut chart = top_axes
            .builder(&top)
            .build_cartesian_2d(x_range.clone(), (lo..hi).log_scale())
            .map_err(err)?;
        loss_plot!(chart);
    } else {
        let mut chart = top_axes
            .builder(&top)
            .build_cartesian_2d(x_range.clone(), lo..hi)
            .map_err(err)?;
        loss_plot!(chart);
    }

    // Accuracy at the evaluations.
    let mut legend: Vec<LegendEntry> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.label.is_empty())
        .map(|(i, r)| run_legend(&r.label, i, style, 2.0))
        .collect();
    let chance_acc = data
        .chance_loss
        .filter(|c| c.is_finite() && *c >= 0.0)
        .map(|c| (-c).exp());
    if let Some(acc) = chance_acc {
        legend.push(
            LegendEntry::line(format!("chance: 1/C = {}", super::tick(acc)), reference)
                .dashed(dash.0, dash.1),
        );
    }
    let (strip, bottom) =
        bottom.split_vertically(super::legend_strip_height(&bottom, style, &legend));
    super::draw_legend_strip(&strip, style, &legend)?;
    let axes = Axes::new(
        &bottom,
        style,
        margin,
        steps(),
        Axis::linear(-0.02, 1.02, "accuracy"),
    );
    let mut chart = axes
        .builder(&bottom)
        .build_cartesian_2d(x_range.clone(), -0.02..1.02)
        .map_err(err)?;
    axes.draw(&chart, &bottom, style)?;
    if let Some(acc) = chance_acc {
        chart
            .draw_series(DashedLineSeries::new(
                [(x_range.start, acc), (x_range.end, acc)],
                dash.0,
                dash.1,
                reference,
            ))
            .map_err(err)?;
    }
    for (i, run) in runs.iter().enumerate() {
        let pick = |f: fn(&(usize, f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            run.evals
                .iter()
                .map(|e| (e.0 as f64, f(e)))
                .filter(|p| p.1.is_finite())
                .collect()
        };
        draw_evals(
            &mut chart,
            pick(|e| e.2),
            pick(|e| e.4),
            run_color(i),
            run_dash(i, style),
            style,
        )?;
    }
    if !has_evals {
        let text = "waiting for the first evaluation";
        if has_losses {
            draw_note(&bottom, text, style)?;
        } else {
            draw_note(&top, text, style)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_matches_a_hand_computation() {
        // w = 0.5: m = 0.5, 1.25, 2.125; debiased by 0.5, 0.75, 0.875.
        let s = ema(&[1.0, 2.0, 3.0], 0.5);
        let want = [1.0, 1.25 / 0.75, 2.125 / 0.875];
        assert_eq!(s.len(), 3);
        for (a, b) in s.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
        // A constant series stays constant (the bias correction), with the house weight too.
        assert!(ema(&[2.0; 500], EMA_WEIGHT)
            .iter()
            .all(|v| (v - 2.0).abs() < 1e-9));
        // The line ends at the last finite value.
        assert_eq!(ema(&[1.0, 1.0, f64::NAN, 1.0], 0.9).len(), 2);
        assert!(ema(&[], 0.9).is_empty());
    }

    #[test]
    fn loss_range_ignores_rare_spikes_and_covers_chance() {
        let mut batch = vec![1.0; 1000];
        batch[10] = 1e6;
        let data = LossData {
            runs: vec![LossRun {
                batch_loss: batch,
                evals: vec![(0, 2.3, 0.1, 2.3, 0.1)],
                ..Default::default()
            }],
            steps: 1000,
            log_y: false,
            chance_loss: Some(10f64.ln()),
        };
        let (lo, hi) = loss_range(&data);
        assert_eq!(lo, 0.0);
        assert!(hi > 2.3 && hi < 3.0, "{hi}");
        let empty = LossData::default();
        assert_eq!(loss_range(&empty), (0.0, 1.0));
    }
}
