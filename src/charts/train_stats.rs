//! The Train lab's `train_stats` chart: for one run, three heat maps stacked on a shared
//! evaluation axis, layer (y, layer 1 at the bottom) by evaluation (x, one column each):
//! the probe batch's post-activation mean (blue-white-red centred on 0), its variance
//! (blue-white-red on a log scale centred on 1) and the RMS of dL/dh (viridis on a log scale),
//! each with its colour bar. Grey cells are not finite.

use super::axes::{Axes, Axis};
use super::train_common::{draw_note, rdbu};
use super::{blit_rgba, err, log_range, viridis, Style, INK, PAPER, VERMILLION};
use lab_core::train::History;
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;

/// The colour of a cell whose value is not finite.
pub const NOT_FINITE: [u8; 3] = [200, 200, 200];

/// One run's probe statistics per (evaluation, layer).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TrainStatsData {
    pub label: String,
    /// The step of each evaluation.
    pub steps: Vec<usize>,
    /// Hidden layers.
    pub layers: usize,
    /// Values at index e * layers + l (evaluation e, layer l + 1).
    pub post_mean: Vec<f64>,
    pub post_var: Vec<f64>,
    pub grad_rms: Vec<f64>,
    /// An evaluation index drawn as a vertical line (the page's selected evaluation).
    pub cursor: Option<usize>,
    /// The step at which training stopped on a non-finite loss.
    pub diverged_at: Option<usize>,
}

impl TrainStatsData {
    pub fn from_history(label: impl Into<String>, history: &History) -> TrainStatsData {
        let layers = history.evals.first().map_or(0, |e| e.layers.len());
        let pick = |f| super::train_common::per_layer(history, layers, f);
        TrainStatsData {
            label: label.into(),
            steps: history.evals.iter().map(|e| e.step).collect(),
            layers,
            post_mean: pick(|p| p.post_mean),
            post_var: pick(|p| p.post_var),
            grad_rms: pick(|p| p.grad_rms),
            cursor: None,
            diverged_at: history.diverged_at,
        }
    }

    /// Evaluations with a full row of values.
    fn evals(&self) -> usize {
        if self.layers == 0 {
            return 0;
        }
        let n = self
            .post_mean
            .len()
            .min(self.post_var.len())
            .min(self.grad_rms.len());
        self.steps.len().min(n / self.layers)
    }
}

/// A rectangle in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rect {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

/// Where the last drawing put the three heat maps, for turning hovers and clicks into cells.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Frame {
    /// The plotting areas of the mean, variance and gradient maps, in CSS pixels.
    pub panels: Vec<Rect>,
    pub evals: usize,
    pub layers: usize,
}

impl Frame {
    /// The (evaluation index, layer index) under a point in CSS pixels, the layer index l being
    /// layer l + 1 (the data's index e * layers + l); None outside the maps.
    pub fn at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        if self.evals == 0 || self.layers == 0 {
            return None;
        }
        let r = self
            .panels
            .iter()
            .find(|r| x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1)?;
        let fx = ((x - r.x0) / (r.x1 - r.x0)).clamp(0.0, 1.0);
        let fy = ((y - r.y0) / (r.y1 - r.y0)).clamp(0.0, 1.0);
        let e = ((fx * self.evals as f64) as usize).min(self.evals - 1);
        let from_top = ((fy * self.layers as f64) as usize).min(self.layers - 1);
        Some((e, self.layers - 1 - from_top))
    }
}

/// A colour scale of one heat map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// Blue-white-red, linear, white at 0, the ends at -half and +half.
    Diverging { half: f64 },
    /// Blue-white-red on a log scale, white at 1, the ends at 1/factor and factor.
    LogDiverging { factor: f64 },
    /// Viridis on a log scale from lo to hi.
    LogSequential { lo: f64, hi: f64 },
}

impl Scale {
    /// For means: symmetric about 0, covering the finite values, at least +-0.5.
    pub fn for_mean(values: &[f64]) -> Scale {
        let m = values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.5f64, |m, v| m.max(v.abs()));
        Scale::Diverging { half: m }
    }
    /// For variances: symmetric about 1 on a log scale, covering the finite positive values,
    /// at least [0.5, 2].
    pub fn for_variance(values: &[f64]) -> Scale {
        let f = values
            .iter()
            .filter(|v| v.is_finite() && **v > 0.0)
            .fold(2.0f64, |f, &v| f.max(v).max(1.0 / v));
        Scale::LogDiverging { factor: f }
    }
    /// For RMS values: whole decades covering the finite positive values.
    pub fn for_rms(values: &[f64]) -> Scale {
        let (lo, hi) = log_range(values.iter().copied()).unwrap_or((0.1, 10.0));
        Scale::LogSequential { lo, hi }
    }

    /// The value range of the colour bar.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Scale::Diverging { half } => (-half, half),
            Scale::LogDiverging { factor } => (1.0 / factor, factor),
            Scale::LogSequential { lo, hi } => (lo, hi),
        }
    }

    pub fn is_log(&self) -> bool {
        !matches!(self, Scale::Diverging { .. })
    }

    /// The colour of a value (clamped to the ends; zero on a log scale takes the low end).
    pub fn colour(&self, v: f64) -> [u8; 3] {
        if !v.is_finite() {
            return NOT_FINITE;
        }
        match *self {
            Scale::Diverging { half } => rdbu(v / half),
            Scale::LogDiverging { factor } => {
                if v <= 0.0 {
                    rdbu(-1.0)
                } else {
                    rdbu(v.ln() / factor.ln())
                }
            }
            Scale::LogSequential { lo, hi } => {
                if v <= 0.0 {
                    viridis(0.0)
                } else {
                    viridis((v.ln() - lo.ln()) / (hi.ln() - lo.ln()))
                }
            }
        }
    }

    /// Where a value sits on the colour bar, 0 at the bottom and 1 at the top (unclamped).
    pub fn fraction(&self, v: f64) -> f64 {
        let (lo, hi) = self.range();
        if self.is_log() {
            (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    }

    /// The value at fraction t (0 bottom, 1 top) of the colour bar.
    fn at_fraction(&self, t: f64) -> f64 {
        let (lo, hi) = self.range();
        if self.is_log() {
            (lo.ln() + t * (hi.ln() - lo.ln())).exp()
        } else {
            lo + t * (hi - lo)
        }
    }
}

/// Rows of the colour bar's image.
const BAR_ROWS: usize = 128;

/// One heat map in `area`, leaving room on the right for its colour bar; returns the map's
/// plotting area in device pixels.
#[allow(clippy::too_many_arguments)]
fn panel(
    canvas: &HtmlCanvasElement,
    area: &DrawingArea<super::backend::Canvas, plotters::coord::Shift>,
    data: &TrainStatsData,
    evals: usize,
    values: &[f64],
    scale: Scale,
    title: &str,
    bottom: bool,
    style: &Style,
) -> Result<(std::ops::Range<i32>, std::ops::Range<i32>), String> {
    let (w, _) = area.dim_in_pixel();
    let title_h = style.px(18.0);
    let (head, body) = area.split_vertically(title_h);
    let bar_w = style.px(84.0) as u32;
    let (map_area, _bar_area) = body.split_horizontally(w.saturating_sub(bar_w));
    let layers = data.layers.max(1);
    let x_range = -0.5..(evals.max(1) as f64 - 0.5);
    let names: Vec<String> = data.steps[..evals.min(data.steps.len())]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let x_desc = if bottom {
        "step (one column per evaluation)"
    } else {
        ""
    };
    let mut axes = Axes::new(
        &map_area,
        style,
        (style.px(2.0), style.px(4.0), style.px(4.0), style.px(10.0)),
        Axis::named(x_range.start, x_range.end, x_desc, names),
        Axis::integer(0.5, layers as f64 + 0.5, "layer"),
    );
    axes.grid = false;
    let chart = axes
        .builder(&map_area)
        .build_cartesian_2d(x_range, 0.5..(layers as f64 + 0.5))
        .map_err(err)?;
    axes.draw(&chart, &map_area, style)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    head.draw(&Text::new(
        title.to_string(),
        (px.start, style.px(3.0)),
        style.font(13.0),
    ))
    .map_err(err)?;

    area.present().map_err(err)?;

    // The images: the map (one pixel per cell, layer 1 in the bottom row) and the bar.
    if evals > 0 && data.layers > 0 {
        let mut rgba = vec![255u8; evals * layers * 4];
        for e in 0..evals {
            for l in 0..layers {
                let row = layers - 1 - l;
                let k = (row * evals + e) * 4;
                rgba[k..k + 3].copy_from_slice(&scale.colour(values[e * layers + l]));
            }
        }
        blit_rgba(
            canvas,
            &rgba,
            evals as u32,
            layers as u32,
            px.clone(),
            py.clone(),
        )?;
    }
    Ok((px, py))
}

/// The colour bar of a map whose plotting area ends at `map_right`, spanning the rows `py`:
/// a gradient strip, its outline, and ticks labelled with [`Scale::ticks`].
fn colour_bar(
    canvas: &HtmlCanvasElement,
    map_right: i32,
    py: std::ops::Range<i32>,
    scale: &Scale,
    style: &Style,
) -> Result<(), String> {
    let x0 = map_right + style.px(14.0);
    let x1 = x0 + style.px(12.0);
    let mut rgba = vec![255u8; BAR_ROWS * 4];
    for r in 0..BAR_ROWS {
        let t = 1.0 - (r as f64 + 0.5) / BAR_ROWS as f64;
        rgba[r * 4..r * 4 + 3].copy_from_slice(&scale.colour(scale.at_fraction(t)));
    }
    blit_rgba(canvas, &rgba, 1, BAR_ROWS as u32, x0..x1, py.clone())?;
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    let ink = style.line(style.ink(), 1.0);
    root.draw(&Rectangle::new([(x0, py.start), (x1, py.end)], ink))
        .map_err(err)?;
    let (lo, hi) = scale.range();
    let font = style
        .label_font()
        .pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
    // The bar's labels come from the same tick chooser as every axis.
    let measure = |s: &str| {
        root.estimate_text_size(s, &font)
            .map(|(w, _)| w as f64)
            .unwrap_or(0.0)
    };
    let room = super::ticks::Room {
        length: (py.end - py.start) as f64,
        vertical: true,
        line: style.px(12.0) as f64,
        // The labels at the bar's ends may reach half a line past them, into the free space.
        overhang: (style.px(6.0) as f64, style.px(6.0) as f64),
    };
    let kind = if scale.is_log() {
        super::ticks::Scale::Log
    } else {
        super::ticks::Scale::Linear
    };
    let ticks = super::ticks::choose(lo, hi, kind, &room, &measure);
    for tick in &ticks.ticks {
        let t = scale.fraction(tick.value).clamp(0.0, 1.0);
        let y = py.end - (t * (py.end - py.start) as f64).round() as i32;
        root.draw(&PathElement::new([(x1, y), (x1 + style.px(4.0), y)], ink))
            .map_err(err)?;
        let label = match ticks.exponent {
            Some(e) => format!("{}e{e}", tick.label),
            None => tick.label.clone(),
        };
        let (w, h) = root.estimate_text_size(&label, &font).map_err(err)?;
        let x = x1 + style.px(6.0);
        root.draw(&Text::new(label, (x, y), font.clone()))
            .map_err(err)?;
        super::axes::record(|r| r.labels.push([x, y - h as i32 / 2, w as i32, h as i32]));
    }
    root.present().map_err(err)?;
    Ok(())
}

pub fn draw(
    canvas: &HtmlCanvasElement,
    data: &TrainStatsData,
    style: &Style,
) -> Result<Frame, String> {
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    root.fill(&style.paper()).map_err(err)?;
    root.present().map_err(err)?;
    let evals = data.evals();
    let layers = data.layers;
    let n = evals * layers;
    let (_, h) = root.dim_in_pixel();
    let caption_h = style.px(18.0) as u32;
    let (_, body) = root.split_vertically(caption_h);
    let third = (h.saturating_sub(caption_h)) / 3;
    let (a, rest) = body.split_vertically(third);
    let (b, c) = rest.split_vertically(third);
    let mean = &data.post_mean[..n];
    let var = &data.post_var[..n];
    let rms = &data.grad_rms[..n];
    let panels = [
        (
            &a,
            mean,
            Scale::for_mean(mean),
            "post-activation mean",
            false,
        ),
        (
            &b,
            var,
            Scale::for_variance(var),
            "post-activation variance (log colour)",
            false,
        ),
        (
            &c,
            rms,
            Scale::for_rms(rms),
            "RMS of dL/dh (log colour)",
            true,
        ),
    ];
    let mut rects = Vec::new();
    for (area, values, scale, title, bottom) in panels {
        rects.push(panel(
            canvas, area, data, evals, values, scale, title, bottom, style,
        )?);
        colour_bar(
            canvas,
            rects[rects.len() - 1].0.end,
            rects[rects.len() - 1].1.clone(),
            &scale,
            style,
        )?;
    }

    // Overlays: the caption, the cursor, the note.
    let backend = super::backend::Canvas::new(canvas)?;
    let root = backend.into_drawing_area();
    let (caption, body) = root.split_vertically(caption_h);
    let x_text = rects.first().map_or(0, |r| r.0.start);
    if !data.label.is_empty() {
        caption
            .draw(&Text::new(
                data.label.clone(),
                (x_text, style.px(2.0)),
                style.font(13.0),
            ))
            .map_err(err)?;
    }
    if let Some(k) = data.diverged_at {
        let (w, _) = caption.dim_in_pixel();
        let font = style
            .font(13.0)
            .color(&VERMILLION)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Right,
                plotters::style::text_anchor::VPos::Top,
            ));
        caption
            .draw(&Text::new(
                format!("diverged at step {k}"),
                (w as i32 - style.px(8.0), style.px(2.0)),
                font,
            ))
            .map_err(err)?;
    }
    if let Some(e) = data.cursor.filter(|&e| e < evals) {
        for (px, py) in &rects {
            let x = px.start
                + ((e as f64 + 0.5) / evals as f64 * (px.end - px.start) as f64).round() as i32;
            let halo = PAPER.mix(0.8).stroke_width(style.px(4.0).max(1) as u32);
            let line = INK.stroke_width(style.px(1.5).max(1) as u32);
            for s in [halo, line] {
                root.draw(&PathElement::new([(x, py.start), (x, py.end)], s))
                    .map_err(err)?;
            }
        }
    }
    if evals == 0 {
        draw_note(&body, "waiting for the first evaluation", style)?;
    }
    root.present().map_err(err)?;
    let css = |r: &std::ops::Range<i32>| (r.start as f64 / style.dpr, r.end as f64 / style.dpr);
    Ok(Frame {
        panels: rects
            .iter()
            .map(|(px, py)| {
                let ((x0, x1), (y0, y1)) = (css(px), css(py));
                Rect { x0, x1, y0, y1 }
            })
            .collect(),
        evals,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_maps_points_to_cells_with_layer_one_at_the_bottom() {
        let f = Frame {
            panels: vec![
                Rect {
                    x0: 100.0,
                    x1: 300.0,
                    y0: 10.0,
                    y1: 50.0,
                },
                Rect {
                    x0: 100.0,
                    x1: 300.0,
                    y0: 80.0,
                    y1: 120.0,
                },
            ],
            evals: 10,
            layers: 4,
        };
        assert_eq!(
            f.at(100.0, 49.0),
            Some((0, 0)),
            "bottom-left: first evaluation, layer 1"
        );
        assert_eq!(
            f.at(300.0, 10.0),
            Some((9, 3)),
            "top-right: last evaluation, layer 4"
        );
        assert_eq!(f.at(125.0, 25.0), Some((1, 2)));
        assert_eq!(
            f.at(125.0, 95.0),
            Some((1, 2)),
            "the second panel maps the same way"
        );
        assert_eq!(f.at(99.0, 25.0), None);
        assert_eq!(f.at(200.0, 65.0), None, "between the panels");
        assert_eq!(Frame::default().at(0.0, 0.0), None);
    }

    #[test]
    fn colour_scales_at_the_ends_and_the_centre() {
        let mean = Scale::for_mean(&[0.1, -0.2, f64::NAN]);
        assert_eq!(mean, Scale::Diverging { half: 0.5 }, "at least +-0.5");
        assert_eq!(mean.colour(0.0), [247, 247, 247]);
        assert_eq!(mean.colour(-0.5), [33, 102, 172]);
        assert_eq!(mean.colour(0.5), [178, 24, 43]);
        assert_eq!(
            Scale::for_mean(&[-3.0, 1.0]),
            Scale::Diverging { half: 3.0 }
        );

        let var = Scale::for_variance(&[1.2, 0.9]);
        assert_eq!(
            var,
            Scale::LogDiverging { factor: 2.0 },
            "at least [0.5, 2]"
        );
        assert_eq!(var.colour(1.0), [247, 247, 247]);
        assert_eq!(var.colour(0.5), [33, 102, 172]);
        assert_eq!(var.colour(2.0), [178, 24, 43]);
        assert_eq!(
            var.colour(0.0),
            [33, 102, 172],
            "a dead layer takes the low end"
        );
        assert_eq!(
            Scale::for_variance(&[0.01, 3.0]),
            Scale::LogDiverging { factor: 100.0 }
        );
        let (lo, hi) = Scale::for_variance(&[0.01]).range();
        assert!((lo - 0.01).abs() < 1e-12 && (hi - 100.0).abs() < 1e-9);

        let rms = Scale::for_rms(&[0.02, 3.0]);
        assert_eq!(rms, Scale::LogSequential { lo: 0.01, hi: 10.0 });
        assert_eq!(rms.colour(0.01), viridis(0.0));
        assert_eq!(rms.colour(10.0), viridis(1.0));
        assert_eq!(rms.colour(0.316227766), viridis(0.5));
        assert_eq!(rms.colour(f64::INFINITY), NOT_FINITE);
        // The colour bar runs from the low end (bottom) to the high end (top).
        assert!((var.at_fraction(0.5) - 1.0).abs() < 1e-12);
        assert!((rms.at_fraction(1.0) - 10.0).abs() < 1e-9);
        assert!((var.fraction(2.0) - 1.0).abs() < 1e-12 && var.fraction(1.0) == 0.5);
    }

    #[test]
    fn from_history_lays_out_evaluation_major() {
        use lab_core::train::{Evaluation, LayerProbe};
        let probe = |v: f64| LayerProbe {
            post_mean: v,
            post_var: v,
            grad_rms: v,
            omega_mean: v,
            omega_std: 0.0,
            tau_mean: v,
            tau_std: 0.0,
            inside_box: v,
        };
        let eval = |step: usize| Evaluation {
            step,
            train_loss: 1.0,
            train_acc: 0.5,
            test_loss: 1.0,
            test_acc: 0.5,
            layers: vec![probe(step as f64), probe(step as f64 + 0.5)],
        };
        let h = History {
            steps: 20,
            evals: vec![eval(0), eval(10)],
            ..History::default()
        };
        let d = TrainStatsData::from_history("a", &h);
        assert_eq!((d.layers, d.evals()), (2, 2));
        assert_eq!(d.post_mean, vec![0.0, 0.5, 10.0, 10.5]);
        assert_eq!(d.steps, vec![0, 10]);
    }
}
