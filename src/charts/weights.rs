//! The Train lab's `weights` chart: how the incoming weights of each unit move during training,
//! against the box of the SNN paper's Theorem 1 (Klambauer et al. 2017), for up to four runs.
//!
//! Per unit j of a layer, omega_j = sum_i W[i][j] and tau_j = sum_i W[i][j]^2 (the trainer's
//! [`lab_core::train::LayerProbe`]). Top: the layer mean of omega against step; middle: the
//! layer mean of tau; both with the box omega in [-0.1, 0.1], tau in [0.95, 1.1] shaded, in
//! which SELU's mapping keeps (mean, variance) near (0, 1). Every layer is a thin faint line,
//! layer 1 a thick line and the last layer a line with hollow markers, in the run's colour and
//! dash pattern. Bottom: the fraction of units inside the box, averaged over the layers.

use super::axes::{Axes, Axis};
use super::train_common::{
    draw_divergence, draw_line, draw_note, run_color, run_dash, run_legend, step_axis,
    thin_indices, MAX_RUNS,
};
use super::{err, padded_range, LegendEntry, Style, GREEN, GREY};
use lab_core::train::History;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// Theorem 1's range of omega (the sum of a unit's incoming weights).
pub const OMEGA_BOX: (f64, f64) = (-0.1, 0.1);
/// Theorem 1's range of tau (the sum of their squares).
pub const TAU_BOX: (f64, f64) = (0.95, 1.1);

/// One run's weight statistics per (evaluation, layer).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct WeightsRun {
    pub label: String,
    /// The step of each evaluation.
    pub steps: Vec<usize>,
    /// Hidden layers.
    pub layers: usize,
    /// Values at index e * layers + l (evaluation e, layer l + 1).
    pub omega_mean: Vec<f64>,
    pub tau_mean: Vec<f64>,
    /// The fraction of the layer's units inside the box.
    pub inside_box: Vec<f64>,
    /// The step at which training stopped on a non-finite loss.
    pub diverged_at: Option<usize>,
}

/// Everything the weights chart draws.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct WeightsData {
    /// Up to four runs (more are not drawn).
    pub runs: Vec<WeightsRun>,
    /// The end of the step axis (the planned number of steps); 0 uses the last evaluated step.
    pub steps: usize,
}

impl WeightsRun {
    pub fn from_history(label: impl Into<String>, history: &History) -> WeightsRun {
        let layers = history.evals.first().map_or(0, |e| e.layers.len());
        let pick = |f| super::train_common::per_layer(history, layers, f);
        WeightsRun {
            label: label.into(),
            steps: history.evals.iter().map(|e| e.step).collect(),
            layers,
            omega_mean: pick(|p| p.omega_mean),
            tau_mean: pick(|p| p.tau_mean),
            inside_box: pick(|p| p.inside_box),
            diverged_at: history.diverged_at,
        }
    }

    /// Evaluations with a full row of values.
    pub fn evals(&self) -> usize {
        if self.layers == 0 {
            return 0;
        }
        let n = self
            .omega_mean
            .len()
            .min(self.tau_mean.len())
            .min(self.inside_box.len());
        self.steps.len().min(n / self.layers)
    }

    /// (step, value) of layer l (0-based) through training, finite values only.
    pub fn layer_series(&self, values: &[f64], l: usize) -> Vec<(f64, f64)> {
        (0..self.evals())
            .map(|e| (self.steps[e] as f64, values[e * self.layers + l]))
            .filter(|p| p.1.is_finite())
            .collect()
    }

    /// (step, mean over the layers of the fraction inside the box), over the finite values.
    pub fn mean_inside(&self) -> Vec<(f64, f64)> {
        (0..self.evals())
            .filter_map(|e| {
                let row = &self.inside_box[e * self.layers..(e + 1) * self.layers];
                let finite: Vec<f64> = row.iter().copied().filter(|v| v.is_finite()).collect();
                (!finite.is_empty()).then(|| {
                    (
                        self.steps[e] as f64,
                        finite.iter().sum::<f64>() / finite.len() as f64,
                    )
                })
            })
            .collect()
    }
}

/// Chooses one quantity of a run.
type Pick = fn(&WeightsRun) -> &[f64];

/// Draws one quantity (omega or tau) for every run: all layers thin, layer 1 thick, the last
/// layer with hollow markers; the box shaded first.
fn draw_quantity<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    runs: &[WeightsRun],
    pick: Pick,
    band: (f64, f64),
    x_end: f64,
    style: &Style,
) -> Result<(), String> {
    chart
        .draw_series([Rectangle::new(
            [(0.0, band.0), (x_end, band.1)],
            GREEN.mix(0.18).filled(),
        )])
        .map_err(err)?;
    for (i, run) in runs.iter().enumerate() {
        let values = pick(run);
        let (colour, dash) = (run_color(i), run_dash(i, style));
        if run.layers > 2 {
            for l in 1..run.layers - 1 {
                let faint = style.line(colour, 1.0);
                let faint = ShapeStyle {
                    color: colour.mix(0.3),
                    ..faint
                };
                draw_line(chart, run.layer_series(values, l), faint, None)?;
            }
        }
        if run.layers > 1 {
            let last = run.layer_series(values, run.layers - 1);
            draw_line(chart, last.clone(), style.line(colour, 1.5), dash)?;
            let r = style.px(3.0).max(1) as u32;
            let paper = style.paper();
            let ring = colour.stroke_width(style.px(1.5).max(1) as u32);
            chart
                .draw_series(thin_indices(last.len(), 30).into_iter().flat_map(|k| {
                    [
                        Circle::new(last[k], r, paper.filled()),
                        Circle::new(last[k], r, ring),
                    ]
                }))
                .map_err(err)?;
        }
        if run.layers > 0 {
            let first = run.layer_series(values, 0);
            draw_line(chart, first.clone(), style.line(colour, 3.0), dash)?;
            if first.len() == 1 {
                // A single evaluation: a dot rather than nothing.
                let r = style.px(3.0).max(1) as u32;
                chart
                    .draw_series([Circle::new(first[0], r, colour.filled())])
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

pub fn draw(canvas: &HtmlCanvasElement, data: &WeightsData, style: &Style) -> Result<(), String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    let runs = &data.runs[..data.runs.len().min(MAX_RUNS)];
    let last_step = runs
        .iter()
        .flat_map(|r| r.steps[..r.evals()].iter().copied())
        .max()
        .unwrap_or(0);
    let x_range = step_axis(if data.steps > 0 {
        data.steps
    } else {
        last_step
    });
    let x_end = x_range.end;
    let (_, h) = root.dim_in_pixel();
    let (top, rest) = root.split_vertically((h as f64 * 0.39).round() as u32);
    let (middle, bottom) = rest.split_vertically((h as f64 * 0.36).round() as u32);
    let marks: Vec<(&str, Option<usize>)> = runs
        .iter()
        .map(|r| (r.label.as_str(), r.diverged_at))
        .collect();
    let has_evals = runs.iter().any(|r| r.evals() > 0);

    let all = |pick: Pick, band: (f64, f64)| {
        let values: Vec<f64> = runs
            .iter()
            .flat_map(|r| pick(r)[..r.evals() * r.layers].iter().copied())
            .chain([band.0, band.1])
            .collect();
        padded_range(values, 0.08)
    };
    let quantities: [(_, Pick, (f64, f64), &str); 2] = [
        (&top, |r| &r.omega_mean, OMEGA_BOX, "mean ω = Σᵢ wᵢⱼ"),
        (&middle, |r| &r.tau_mean, TAU_BOX, "mean τ = Σᵢ wᵢⱼ²"),
    ];
    for (k, (area, pick, band, desc)) in quantities.into_iter().enumerate() {
        let legend: Vec<LegendEntry> = if k == 0 {
            let mut l = vec![LegendEntry::dot(
                "Theorem 1 box (Klambauer et al. 2017)",
                style.px(5.0) as u32,
                GREEN.mix(0.35).filled(),
            )];
            l.extend(
                runs.iter()
                    .enumerate()
                    .filter(|(_, r)| !r.label.is_empty())
                    .map(|(i, r)| run_legend(&r.label, i, style, 2.5)),
            );
            l
        } else {
            let ring = GREY.stroke_width(style.px(1.5).max(1) as u32);
            vec![
                LegendEntry::line("layer 1", style.line(GREY, 3.0)),
                LegendEntry::dot("last layer", style.px(3.0) as u32, ring),
                LegendEntry::line(
                    "other layers",
                    ShapeStyle {
                        color: GREY.mix(0.4),
                        ..style.line(GREY, 1.0)
                    },
                ),
            ]
        };
        // The legend above its plot, where it cannot hide a line.
        let legend = if has_evals { legend } else { Vec::new() };
        let (strip, area) = area.split_vertically(super::legend_strip_height(area, style, &legend));
        super::draw_legend_strip(&strip, style, &legend)?;
        let area = &area;
        let (lo, hi) = all(pick, band);
        let axes = Axes::new(
            area,
            style,
            Axes::uniform(style.px(10.0)),
            Axis::integer(x_range.start, x_range.end, ""),
            Axis::linear(lo, hi, desc),
        );
        let mut chart = axes
            .builder(area)
            .build_cartesian_2d(x_range.clone(), lo..hi)
            .map_err(err)?;
        axes.draw(&chart, area, style)?;
        draw_quantity(&mut chart, runs, pick, band, x_end, style)?;
        draw_divergence(&mut chart, &marks, x_end, (lo, hi), style)?;
    }

    // The fraction of units inside the box.
    let axes = Axes::new(
        &bottom,
        style,
        Axes::uniform(style.px(10.0)),
        Axis::integer(x_range.start, x_range.end, "step"),
        Axis::linear(-0.02, 1.02, "inside box"),
    );
    let mut chart = axes
        .builder(&bottom)
        .build_cartesian_2d(x_range.clone(), -0.02..1.02)
        .map_err(err)?;
    axes.draw(&chart, &bottom, style)?;
    for (i, run) in runs.iter().enumerate() {
        let points = run.mean_inside();
        if points.len() == 1 {
            let r = style.px(3.0).max(1) as u32;
            chart
                .draw_series([Circle::new(points[0], r, run_color(i).filled())])
                .map_err(err)?;
        }
        draw_line(
            &mut chart,
            points,
            style.line(run_color(i), 2.0),
            run_dash(i, style),
        )?;
    }
    if !has_evals {
        draw_note(&root, "waiting for the first evaluation", style)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> WeightsRun {
        WeightsRun {
            label: "a".into(),
            steps: vec![0, 50, 100],
            layers: 2,
            omega_mean: vec![0.0, 0.1, 0.2, 0.3, f64::NAN, 0.5],
            tau_mean: vec![1.0; 6],
            inside_box: vec![1.0, 0.5, 0.25, 0.25, f64::NAN, 0.0],
            diverged_at: None,
        }
    }

    #[test]
    fn layer_series_and_the_mean_over_layers() {
        let r = run();
        assert_eq!(
            r.layer_series(&r.omega_mean, 1),
            vec![(0.0, 0.1), (50.0, 0.3), (100.0, 0.5)]
        );
        assert_eq!(r.layer_series(&r.omega_mean, 0).len(), 2, "NaN skipped");
        assert_eq!(
            r.mean_inside(),
            vec![(0.0, 0.75), (50.0, 0.25), (100.0, 0.0)]
        );
        let partial = WeightsRun {
            inside_box: vec![1.0, 0.5, 0.25],
            ..run()
        };
        assert_eq!(partial.mean_inside().len(), 1, "only complete evaluations");
        assert!(WeightsRun::default().mean_inside().is_empty());
    }
}
