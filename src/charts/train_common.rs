//! Pieces shared by the Train lab's charts (`loss`, `train_stats`, `weights`, `decision`): how
//! overlaid runs are told apart (colour AND dash pattern), a neutral "waiting" note, the
//! blue-white-red diverging scale and the thinning of long series to the canvas's resolution.

use super::{err, LegendEntry, Style, GREY, SERIES};
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// At most this many runs are overlaid on one chart (each has its own colour and dash pattern).
pub const MAX_RUNS: usize = 4;

/// The colour of run `i` (Okabe-Ito, in the house order).
pub fn run_color(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// The dash pattern of run `i` in device pixels: solid, dashed, dotted, long dashes, so runs
/// are told apart without colour.
pub fn run_dash(i: usize, style: &Style) -> Option<(u32, u32)> {
    let px = |v: f64| style.px(v).max(1) as u32;
    match i % MAX_RUNS {
        0 => None,
        1 => Some((px(7.0), px(4.0))),
        2 => Some((px(2.0), px(3.0))),
        _ => Some((px(14.0), px(5.0))),
    }
}

/// A legend entry showing run `i`'s colour and dash pattern.
pub fn run_legend(label: &str, i: usize, style: &Style, width: f64) -> LegendEntry {
    let entry = LegendEntry::line(label, style.line(run_color(i), width));
    match run_dash(i, style) {
        Some((d, g)) => entry.dashed(d, g),
        None => entry,
    }
}

/// Draws a polyline, solid or dashed.
pub fn draw_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    points: Vec<(f64, f64)>,
    line: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if points.len() < 2 {
        return Ok(());
    }
    match dash {
        None => chart
            .draw_series(LineSeries::new(points, line))
            .map(|_| ())
            .map_err(err),
        Some((d, g)) => chart
            .draw_series(DashedLineSeries::new(points, d, g, line))
            .map(|_| ())
            .map_err(err),
    }
}

/// Writes a quiet grey note in the middle of an area ("waiting for the first evaluation").
pub fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    style: &Style,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let grey = style.reference();
    let font = style.font(14.0).color(&grey);
    let (tw, _) = area.estimate_text_size(text, &font).map_err(err)?;
    let fit = (w as f64 * 0.9 / tw.max(1) as f64).min(1.0);
    let font = style.font(14.0 * fit).color(&grey);
    let (tw, th) = area.estimate_text_size(text, &font).map_err(err)?;
    let x = (w as i32 - tw as i32) / 2;
    let y = (h as i32 - th as i32) / 2;
    area.draw(&Text::new(text.to_string(), (x, y), font))
        .map_err(err)?;
    Ok(())
}

/// The blue-white-red diverging scale of the phase map (ColorBrewer RdBu ends): t in [-1, 1]
/// (clamped), blue at -1, near-white at 0, red at +1; grey for a non-finite t.
pub fn rdbu(t: f64) -> [u8; 3] {
    if !t.is_finite() {
        return [200, 200, 200];
    }
    let t = t.clamp(-1.0, 1.0);
    let lerp = |a: f64, b: f64, t: f64| (a + (b - a) * t).round() as u8;
    if t < 0.0 {
        let t = -t;
        [
            lerp(247.0, 33.0, t),
            lerp(247.0, 102.0, t),
            lerp(247.0, 172.0, t),
        ]
    } else {
        [
            lerp(247.0, 178.0, t),
            lerp(247.0, 24.0, t),
            lerp(247.0, 43.0, t),
        ]
    }
}

/// Indices of at most `columns` of `n` samples, evenly spread (the first sample of each of
/// `columns` equal slices of the index range): a series of 100 000 steps drawn on 600 pixel
/// columns keeps one sample per column.
pub fn thin_indices(n: usize, columns: usize) -> Vec<usize> {
    let columns = columns.max(1);
    if n <= columns {
        return (0..n).collect();
    }
    let mut out: Vec<usize> = (0..columns).map(|c| c * n / columns).collect();
    out.dedup();
    out
}

/// The x axis of a step plot: 0..steps (at least 0..1).
pub fn step_axis(steps: usize) -> std::ops::Range<f64> {
    0.0..(steps.max(1) as f64)
}

/// The plotting area's width in device pixels of a chart on a linear x axis.
pub fn plot_columns<DB: DrawingBackend, Y: Ranged>(
    chart: &ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
) -> usize {
    let (px, _) = chart.plotting_area().get_pixel_range();
    (px.end - px.start).max(1) as usize
}

/// A grey legend entry for a marker (filled or hollow dot).
pub fn marker_legend(label: &str, filled: bool, style: &Style) -> LegendEntry {
    let r = style.px(3.5).max(1) as u32;
    let s = if filled {
        GREY.filled()
    } else {
        GREY.stroke_width(style.px(1.5).max(1) as u32)
    };
    LegendEntry::dot(label, r, s)
}

/// Per diverged run, a vertical dashed line at the divergence step in the run's colour with
/// "diverged at step k" (the run's label first when several runs are shown), one text row per
/// run half-way down the plot. Drawn after the legend so the text stays on top. `runs` holds (label, diverged_at) in run order; `x_end` is the end of the step axis and
/// (lo, hi) the plot's y range.
pub fn draw_divergence<'a, DB: DrawingBackend + 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    runs: &[(&str, Option<usize>)],
    x_end: f64,
    (lo, hi): (f64, f64),
    style: &Style,
) -> Result<(), String> {
    let shown = runs.len().min(MAX_RUNS);
    for (i, &(label, diverged)) in runs[..shown].iter().enumerate() {
        let Some(k) = diverged else { continue };
        let x = (k as f64).min(x_end);
        let colour = run_color(i);
        let (d, g) = (style.px(4.0) as u32, style.px(3.0) as u32);
        chart
            .draw_series(DashedLineSeries::new(
                [(x, lo), (x, hi)],
                d,
                g,
                style.line(colour, 1.5),
            ))
            .map_err(err)?;
        let text = if shown > 1 && !label.is_empty() {
            format!("{label}: diverged at step {k}")
        } else {
            format!("diverged at step {k}")
        };
        // The text half-way down the plot (below the legends in the upper corners), on a
        // backing box, to the left of the line when the line is on the right.
        let area = chart.plotting_area().strip_coord_spec();
        let (px, py) = chart.plotting_area().get_pixel_range();
        let line_x = chart.backend_coord(&(x, hi)).0 - px.start;
        let font = style.font(12.0).color(&colour);
        let (tw, th) = area.estimate_text_size(&text, &font).map_err(err)?;
        let (tw, th, pad) = (tw as i32, th as i32, style.px(3.0));
        let x0 = if x > 0.6 * x_end {
            line_x - 2 * pad - tw
        } else {
            line_x + 2 * pad
        };
        // The row (from the middle outward) where the least is drawn, so the text does not
        // hide a curve.
        let free = (py.end - py.start - th - 2 * pad).max(0);
        let rows = [0.45, 0.3, 0.6, 0.15, 0.75, 0.05, 0.9];
        let (rect, covered) = super::emptiest(
            &area,
            style,
            rows.iter().map(|f| {
                let y = (free as f64 * f) as i32 + pad + (th + 2 * pad) * i as i32;
                [x0 - pad, y - pad, tw + 2 * pad, th + 2 * pad]
            }),
        );
        let y0 = rect[1] + pad;
        let (bx, by) = area.get_base_pixel();
        super::axes::record(|r| {
            r.legends
                .push(([bx + rect[0], by + rect[1], rect[2], rect[3]], covered))
        });
        area.draw(&Rectangle::new(
            [(x0 - pad, y0 - pad), (x0 + tw + pad, y0 + th + pad)],
            style.paper().mix(0.85).filled(),
        ))
        .map_err(err)?;
        area.draw(&Text::new(text, (x0, y0), font)).map_err(err)?;
    }
    Ok(())
}

/// One probe value per evaluation and layer of `history` (index e * layers + l), NaN where an
/// evaluation lacks the layer.
pub fn per_layer(
    history: &lab_core::train::History,
    layers: usize,
    f: fn(&lab_core::train::LayerProbe) -> f64,
) -> Vec<f64> {
    history
        .evals
        .iter()
        .flat_map(|e| (0..layers).map(move |l| e.layers.get(l).map_or(f64::NAN, f)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_at_most_one_sample_per_column() {
        assert_eq!(thin_indices(5, 10), vec![0, 1, 2, 3, 4]);
        let t = thin_indices(100_000, 600);
        assert_eq!(t.len(), 600);
        assert_eq!(t[0], 0);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        assert!(*t.last().unwrap() >= 100_000 - 100_000 / 600 - 1);
        assert_eq!(thin_indices(0, 10), Vec::<usize>::new());
        assert_eq!(thin_indices(3, 0), vec![0]);
    }

    #[test]
    fn diverging_scale_ends_and_centre() {
        assert_eq!(rdbu(0.0), [247, 247, 247]);
        assert_eq!(rdbu(-1.0), [33, 102, 172]);
        assert_eq!(rdbu(1.0), [178, 24, 43]);
        assert_eq!(rdbu(5.0), rdbu(1.0));
        assert_eq!(rdbu(f64::NAN), [200, 200, 200]);
    }

    #[test]
    fn runs_differ_in_dash_pattern() {
        let style = Style {
            dpr: 1.0,
            theme: Default::default(),
        };
        let dashes: Vec<_> = (0..MAX_RUNS).map(|i| run_dash(i, &style)).collect();
        for i in 0..MAX_RUNS {
            for j in 0..i {
                assert_ne!(dashes[i], dashes[j]);
                assert_ne!(run_color(i), run_color(j));
            }
        }
    }
}
