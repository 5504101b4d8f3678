//! One module per chart, each with one `draw(canvas, &data, &style)`. Charts take prepared data;
//! they do not run the simulation.

pub mod activation;
pub mod axes;
pub mod backend;
pub mod corr;
pub mod decision;
pub mod grads;
pub mod hist;
pub mod jacobian;
pub mod loss;
pub mod phase;
pub mod selu_map;
pub mod stats;
pub mod ticks;
pub mod train_common;
pub mod train_stats;
pub mod weights;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;
use web_sys::HtmlCanvasElement;

/// Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const SKY: RGBColor = RGBColor(86, 180, 233);
pub const GREY: RGBColor = RGBColor(120, 120, 120);
/// Dark lines drawn on the heat maps, whose colours do not change with the theme.
pub const INK: RGBColor = RGBColor(30, 30, 30);
pub const PAPER: RGBColor = RGBColor(255, 255, 255);
/// The dark theme's background and text (the page's `--paper` and `--ink` in dark mode). Every
/// Okabe-Ito series colour keeps at least 3:1 contrast against it (WCAG 1.4.11).
pub const PAPER_DARK: RGBColor = RGBColor(29, 32, 37);
pub const INK_DARK: RGBColor = RGBColor(232, 232, 232);

/// The page's colour theme (resolved: "auto" has already become one of these).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    /// The value of `<html data-theme>` and of the URL's `theme=`.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}
/// Pinned runs' colours, pin 1 to 3, on light paper: Okabe-Ito's orange, sky blue and yellow
/// darkened to at least 4:1 contrast against white (the bright originals fall below 3:1).
pub const PIN_LIGHT: [RGBColor; 3] = [
    RGBColor(170, 110, 0),
    RGBColor(30, 125, 185),
    RGBColor(135, 125, 0),
];
/// Pinned runs' colours on dark paper: the Okabe-Ito originals (each above 6:1 against it).
pub const PIN_DARK: [RGBColor; 3] = [ORANGE, SKY, RGBColor(240, 228, 66)];

/// The pin number the charts give the previous run (the one the current run replaced), drawn
/// like a pin while the current run computes, in grey: after the three pins' numbers.
pub const PREVIOUS: usize = 3;
/// The previous run's grey, faded toward the paper: on light paper lighter than the reference
/// lines' grey (3.2:1 against white, they 4.4:1), on dark paper darker (3.4:1, they 5.5:1);
/// with the pins' longer dashes, the two do not read alike.
pub const PREVIOUS_LIGHT: RGBColor = RGBColor(145, 145, 145);
pub const PREVIOUS_DARK: RGBColor = RGBColor(115, 115, 115);

/// A pinned run as the charts draw it: its number (0-based; it picks the colour), its legend
/// label and its per-layer statistics (layer l + 1 at index l).
#[derive(Clone, Debug, PartialEq)]
pub struct PinStats<'a> {
    pub index: usize,
    pub label: String,
    pub stats: &'a [lab_core::LayerStats],
    /// The pinned network's depth (the layer axis spans it while the run computes).
    pub depth: usize,
}

impl PinStats<'_> {
    /// (layer, pick(stats)) for the layers where the value is finite (and positive, on a log
    /// axis).
    pub fn points(&self, pick: fn(&lab_core::LayerStats) -> f64, log: bool) -> Vec<(f64, f64)> {
        self.stats
            .iter()
            .enumerate()
            .map(|(i, s)| ((i + 1) as f64, pick(s)))
            .filter(|p| p.1.is_finite() && (!log || p.1 > 0.0))
            .collect()
    }
}

/// The x range of a layer axis that shows `depth` layers and every pin's.
pub fn layer_range(depth: usize, pins: &[PinStats]) -> std::ops::Range<f64> {
    let depth = pins.iter().map(|p| p.depth).fold(depth, usize::max);
    0.5..(depth as f64 + 0.5)
}

impl Style {
    /// Pin `index`'s colour in this theme.
    pub fn pin_color(&self, index: usize) -> RGBColor {
        if index == PREVIOUS {
            return match self.theme {
                Theme::Light => PREVIOUS_LIGHT,
                Theme::Dark => PREVIOUS_DARK,
            };
        }
        let colors = match self.theme {
            Theme::Light => PIN_LIGHT,
            Theme::Dark => PIN_DARK,
        };
        colors[index % colors.len()]
    }
    /// A pinned run's line: thinner than the current run's, long dashes (device pixels).
    pub fn pin_line(&self, index: usize) -> (ShapeStyle, (u32, u32)) {
        (
            self.line(self.pin_color(index), 1.5),
            (self.px(10.0) as u32, self.px(3.0) as u32),
        )
    }
}

/// Draws a pinned (or the previous) run's curve on `chart` in pin `index`'s dashed line, and
/// records it (the pin number and its points) for the tests.
pub fn draw_pin_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, plotters::coord::cartesian::Cartesian2d<X, Y>>,
    style: &Style,
    index: usize,
    points: Vec<(f64, f64)>,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let (line, d) = style.pin_line(index);
    let n = points.len();
    chart
        .draw_series(DashedLineSeries::new(points, d.0, d.1, line))
        .map_err(err)?;
    axes::record(|r| r.pins.push((index, n)));
    Ok(())
}

/// The legend entries of the pinned runs.
pub fn pin_legend(style: &Style, pins: &[PinStats]) -> Vec<LegendEntry> {
    pins.iter()
        .map(|p| pin_entry(style, p.index, &p.label))
        .collect()
}

/// The legend entry of pin `index`: its colour and dash, with its label.
pub fn pin_entry(style: &Style, index: usize, label: &str) -> LegendEntry {
    let (line, dash) = style.pin_line(index);
    LegendEntry::line(label.to_string(), line).dashed(dash.0, dash.1)
}

/// Series colours in order of use.
pub const SERIES: [RGBColor; 6] = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY];

/// Sizes for one canvas, scaled by the device pixel ratio so text stays crisp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    /// Device pixels per CSS pixel.
    pub dpr: f64,
    /// Background and text colours.
    pub theme: Theme,
}

impl Style {
    /// The plot's background.
    pub fn paper(&self) -> RGBColor {
        match self.theme {
            Theme::Light => PAPER,
            Theme::Dark => PAPER_DARK,
        }
    }
    /// Text, axes and the neutral lines drawn on the background.
    pub fn ink(&self) -> RGBColor {
        match self.theme {
            Theme::Light => INK,
            Theme::Dark => INK_DARK,
        }
    }
    /// Reference lines (mean 0, variance 1, the x axis): grey, lighter on dark paper.
    pub fn reference(&self) -> RGBColor {
        match self.theme {
            Theme::Light => GREY,
            Theme::Dark => RGBColor(150, 150, 150),
        }
    }
    /// A length in CSS pixels as device pixels.
    pub fn px(&self, css: f64) -> i32 {
        (css * self.dpr).round() as i32
    }
    pub fn font(&self, css: f64) -> TextStyle<'static> {
        ("sans-serif", css * self.dpr)
            .into_font()
            .color(&self.ink())
    }
    pub fn label_font(&self) -> TextStyle<'static> {
        self.font(12.0)
    }
    pub fn line(&self, color: RGBColor, css_width: f64) -> ShapeStyle {
        color.stroke_width(self.px(css_width).max(1) as u32)
    }
}

/// [`fit_canvas_to`] with the canvas's CSS box as laid out now (the tests' shortcut).
#[cfg(all(test, target_arch = "wasm32"))]
pub fn fit_canvas(canvas: &HtmlCanvasElement, dpr: f64) -> bool {
    fit_canvas_to(canvas, canvas.client_width(), canvas.client_height(), dpr)
}

/// Sizes the canvas's backing store to its CSS box (`w` x `h`, read before) times the device
/// pixel ratio. Returns false when the canvas is not laid out (hidden), in which case nothing
/// is drawn.
pub fn fit_canvas_to(canvas: &HtmlCanvasElement, w: i32, h: i32, dpr: f64) -> bool {
    if w <= 0 || h <= 0 {
        return false;
    }
    let (pw, ph) = (
        (w as f64 * dpr).round() as u32,
        (h as f64 * dpr).round() as u32,
    );
    if canvas.width() != pw {
        canvas.set_width(pw);
    }
    if canvas.height() != ph {
        canvas.set_height(ph);
    }
    true
}

/// Turns any drawing error into a message.
pub fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing failed: {e:?}")
}

/// A padded [lo, hi] covering the finite values, never empty.
pub fn padded_range(values: impl IntoIterator<Item = f64>, pad_fraction: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        span * pad_fraction
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// A [lo, hi] for a log axis covering the finite positive values (at least one decade).
pub fn log_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    let (llo, lhi) = (lo.log10().floor(), hi.log10().ceil());
    let lhi = if lhi <= llo { llo + 1.0 } else { lhi };
    Some((10f64.powf(llo), 10f64.powf(lhi)))
}

/// Writes a message over an area (used for "exploded at layer k" and friends), at the height
/// where the least is drawn (the middle when that is empty), so it does not hide the lines.
pub fn draw_banner<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    text: &str,
    style: &Style,
) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let font = style.font(15.0).color(&VERMILLION);
    let (tw, _) = area.estimate_text_size(text, &font).map_err(err)?;
    // Shrink long messages to fit the plot's width (small canvases on phones).
    let fit = (w as f64 * 0.9 / tw.max(1) as f64).min(1.0);
    let font = style.font(15.0 * fit).color(&VERMILLION);
    let (tw, th) = area.estimate_text_size(text, &font).map_err(err)?;
    let pad = style.px(6.0);
    let x = (w as i32 - tw as i32) / 2;
    let (bw, bh) = (tw as i32 + 2 * pad, th as i32 + 2 * pad);
    let bh_free = (h as i32 - bh).max(0);
    // Candidate rows: the middle first, then toward the top and the bottom.
    let rows = [0.5, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95];
    let boxes = rows.iter().map(|f| {
        let y = (bh_free as f64 * f) as i32 + pad;
        [x - pad, y - pad, bw, bh]
    });
    let (rect, covered) = emptiest(area, style, boxes);
    let y = rect[1] + pad;
    area.draw(&Rectangle::new(
        [(rect[0], rect[1]), (rect[0] + rect[2], rect[1] + rect[3])],
        style.paper().mix(0.9).filled(),
    ))
    .map_err(err)?;
    area.draw(&Text::new(text.to_string(), (x, y), font))
        .map_err(err)?;
    let (bx, by) = area.get_base_pixel();
    axes::record(|r| {
        r.legends
            .push(([bx + rect[0], by + rect[1], rect[2], rect[3]], covered))
    });
    Ok(())
}

/// A status message ("exploded at layer k") in a strip above the plots, where it hides no
/// data; returns the rest of `area`. Without a message, `area` itself.
pub fn banner_strip<DB: DrawingBackend>(
    area: DrawingArea<DB, plotters::coord::Shift>,
    text: Option<&str>,
    style: &Style,
) -> Result<DrawingArea<DB, plotters::coord::Shift>, String> {
    let Some(text) = text else {
        return Ok(area);
    };
    let h = (style.px(30.0) as u32).min(area.dim_in_pixel().1);
    let (strip, rest) = area.split_vertically(h);
    draw_banner(&strip, text, style)?;
    Ok(rest)
}

/// Of the candidate boxes [x, y, w, h] (in the area's pixels), the first one covering the
/// fewest drawn pixels, and that number.
pub(crate) fn emptiest<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    boxes: impl IntoIterator<Item = [i32; 4]>,
) -> ([i32; 4], u32) {
    let (bx, by) = area.get_base_pixel();
    let mut best: Option<([i32; 4], u32)> = None;
    // A few pixels around the box count too (the faint edges of text and lines).
    let p = style.px(3.0);
    for b in boxes {
        let n = backend::ink_pixels(
            bx + b[0] - p,
            by + b[1] - p,
            b[2] + 2 * p,
            b[3] + 2 * p,
            style.paper(),
        );
        if best.is_none_or(|(_, m)| n < m) {
            best = Some((b, n));
        }
        if n == 0 {
            break;
        }
    }
    best.unwrap_or(([0, 0, 0, 0], 0))
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug)]
pub enum Glyph {
    /// A short line, dashed when `dash` is (dash length, gap) in device pixels.
    Line {
        style: ShapeStyle,
        dash: Option<(u32, u32)>,
    },
    /// A circle of this radius.
    Dot { radius: u32, style: ShapeStyle },
}

/// One labelled series of a chart.
#[derive(Clone, Debug)]
pub struct LegendEntry {
    pub label: String,
    pub glyph: Glyph,
}

impl LegendEntry {
    pub fn line(label: impl Into<String>, style: ShapeStyle) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            glyph: Glyph::Line { style, dash: None },
        }
    }
    pub fn dot(label: impl Into<String>, radius: u32, style: ShapeStyle) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            glyph: Glyph::Dot { radius, style },
        }
    }
    /// Draws the line glyph dashed like its series.
    pub fn dashed(mut self, dash: u32, gap: u32) -> LegendEntry {
        if let Glyph::Line { dash: d, .. } = &mut self.glyph {
            *d = Some((dash.max(1), gap));
        }
        self
    }
}

/// One legend entry: its glyph from `gx` and its label after it, centred on the row at `y`.
fn draw_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    e: &LegendEntry,
    gx: i32,
    y: i32,
) -> Result<(), String> {
    let (glyph_w, gap) = (style.px(22.0), style.px(6.0));
    match e.glyph {
        Glyph::Line {
            style: s,
            dash: None,
        } => {
            area.draw(&PathElement::new([(gx, y), (gx + glyph_w, y)], s))
                .map_err(err)?;
        }
        Glyph::Line {
            style: s,
            dash: Some((dash, space)),
        } => {
            let mut x = gx;
            while x < gx + glyph_w {
                let end = (x + dash as i32).min(gx + glyph_w);
                area.draw(&PathElement::new([(x, y), (end, y)], s))
                    .map_err(err)?;
                x = end + space as i32;
            }
        }
        Glyph::Dot { radius, style: s } => {
            area.draw(&Circle::new((gx + glyph_w / 2, y), radius, s))
                .map_err(err)?;
        }
    }
    let text = Text::new(
        e.label.clone(),
        (gx + glyph_w + gap, y),
        style.font(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
    );
    area.draw(&text).map_err(err)?;
    Ok(())
}

/// Where each entry of a legend laid out in rows across `width` goes: (x, row), and the number
/// of rows. Used for legends outside the plot, above it (for plots with no empty corner: heat
/// maps and vector fields).
fn strip_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    entries: &[LegendEntry],
) -> (Vec<(i32, i32)>, i32) {
    let (width, _) = area.dim_in_pixel();
    let (glyph_w, gap, spacing, margin) = (
        style.px(22.0),
        style.px(6.0),
        style.px(16.0),
        style.px(10.0),
    );
    let font = style.font(12.0);
    let (mut x, mut row) = (margin, 0);
    let mut out = Vec::new();
    for e in entries {
        let tw = area
            .estimate_text_size(&e.label, &font)
            .map(|s| s.0 as i32)
            .unwrap_or(0);
        let w = glyph_w + gap + tw;
        if x > margin && x + w > width as i32 - margin {
            x = margin;
            row += 1;
        }
        out.push((x, row));
        x += w + spacing;
    }
    (out, if entries.is_empty() { 0 } else { row + 1 })
}

/// The height a legend strip above the plot needs on `area` (0 without entries).
pub fn legend_strip_height<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    entries: &[LegendEntry],
) -> u32 {
    let (_, rows) = strip_layout(area, style, entries);
    if rows == 0 {
        0
    } else {
        // Never more than the area (a split past its end would leave a negative height).
        ((rows * style.px(18.0) + style.px(8.0)) as u32).min(area.dim_in_pixel().1)
    }
}

/// Draws a legend in rows across `strip` (the area split off above a plot with
/// [`legend_strip_height`]), outside the plot.
pub fn draw_legend_strip<DB: DrawingBackend>(
    strip: &DrawingArea<DB, plotters::coord::Shift>,
    style: &Style,
    entries: &[LegendEntry],
) -> Result<(), String> {
    let (places, rows) = strip_layout(strip, style, entries);
    let row_h = style.px(18.0);
    for (e, (x, row)) in entries.iter().zip(places) {
        draw_entry(strip, style, e, x, style.px(4.0) + row * row_h + row_h / 2)?;
    }
    if rows > 0 {
        let (bx, by) = strip.get_base_pixel();
        let (w, h) = strip.dim_in_pixel();
        axes::record(|r| r.legends.push(([bx, by, w as i32, h as i32], 0)));
    }
    Ok(())
}

/// Formats a number for axis labels compactly (1e-12, 0.5, 120, 3.2e8).
pub fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.0e}")
    }
}

/// Viridis, sampled at 9 points and interpolated linearly (perceptually uniform, colour-blind safe).
pub fn viridis(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 9] = [
        [68.0, 1.0, 84.0],
        [71.0, 44.0, 122.0],
        [59.0, 81.0, 139.0],
        [44.0, 113.0, 142.0],
        [33.0, 144.0, 141.0],
        [39.0, 173.0, 129.0],
        [92.0, 200.0, 99.0],
        [170.0, 220.0, 50.0],
        [253.0, 231.0, 37.0],
    ];
    let t = t.clamp(0.0, 1.0) * 8.0;
    let i = (t.floor() as usize).min(7);
    let f = t - i as f64;
    let mut out = [0u8; 3];
    for c in 0..3 {
        out[c] = (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f).round() as u8;
    }
    out
}

/// Paints `rgba` (w x h pixels, row 0 on top) scaled into the pixel rectangle px x py of the
/// canvas without smoothing. plotters' canvas backend would draw each cell as its own rectangle,
/// which is far slower for thousands of cells.
pub fn blit_rgba(
    canvas: &HtmlCanvasElement,
    rgba: &[u8],
    w: u32,
    h: u32,
    px: std::ops::Range<i32>,
    py: std::ops::Range<i32>,
) -> Result<(), String> {
    use wasm_bindgen::{Clamped, JsCast};
    use web_sys::{CanvasRenderingContext2d, ImageData};
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let image_canvas: HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(err)?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    image_canvas.set_width(w);
    image_canvas.set_height(h);
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), w, h).map_err(err)?;
    let context = |c: &HtmlCanvasElement| -> Result<CanvasRenderingContext2d, String> {
        c.get_context("2d")
            .map_err(err)?
            .ok_or("no 2d context")?
            .dyn_into()
            .map_err(|_| "not a 2d context".to_string())
    };
    context(&image_canvas)?
        .put_image_data(&image, 0.0, 0.0)
        .map_err(err)?;
    let ctx = context(canvas)?;
    ctx.set_image_smoothing_enabled(false);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        &image_canvas,
        px.start as f64,
        py.start as f64,
        (px.end - px.start) as f64,
        (py.end - py.start) as f64,
    )
    .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_ignore_non_finite_values() {
        assert_eq!(
            padded_range([1.0, f64::NAN, 3.0, f64::INFINITY], 0.0),
            (1.0, 3.0)
        );
        assert_eq!(padded_range([f64::NAN], 0.1), (-1.0, 1.0));
        let (lo, hi) = padded_range([2.0, 2.0], 0.1);
        assert!(lo < 2.0 && hi > 2.0);
    }

    #[test]
    fn log_range_spans_whole_decades() {
        assert_eq!(log_range([0.03, 5.0, -1.0, 0.0]), Some((0.01, 10.0)));
        assert_eq!(log_range([1.0]), Some((1.0, 10.0)));
        assert_eq!(log_range([0.0, f64::NAN]), None);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(120.0), "120");
        assert_eq!(tick(1e-12), "1e-12");
        assert_eq!(tick(0.0), "0");
    }
}
