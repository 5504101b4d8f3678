//! Every chart's axes, drawn by the chart layer itself: ticks chosen by [`super::ticks`] from
//! the plot's pixel size and the measured label font, grid lines at the ticks, the axis titles
//! (with the labels' factor), and a record of what was drawn where, which the page writes on
//! the canvas as `data-label-boxes` for the end-to-end tests.
//!
//! A chart asks [`Axes::new`] for its label areas before it builds its plotters chart (the y
//! label area is as wide as its widest label), then calls [`Axes::draw`] instead of plotters'
//! mesh.

use super::ticks::{self, Room, Scale, Ticks};
use super::{err, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::cell::RefCell;

/// What one draw put where, in canvas (device) pixels: [x, y, width, height].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Every tick label.
    pub labels: Vec<[i32; 4]>,
    /// Every plotting area.
    pub plots: Vec<[i32; 4]>,
    /// Every legend and status label placed over a plot, with the number of drawn (non-paper)
    /// pixels it covers.
    pub legends: Vec<([i32; 4], u32)>,
    /// Every plotting area's axis ranges, in the order of `plots`: x from, x to, y from, y to
    /// (data units).
    pub ranges: Vec<[f64; 4]>,
    /// The most device pixels a plot lacks of its minimum height ([`Axes::min_height`]), and
    /// how many plots have one: the canvas needs about their product more height.
    pub shortfall: (i32, i32),
    /// Every pinned run's curve drawn: its pin number ([`super::PREVIOUS`] for the previous
    /// run) and its number of points.
    pub pins: Vec<(usize, usize)>,
}

impl Record {
    /// Device pixels the canvas should grow so that every plot with a minimum height gets it
    /// (stacked plots share the canvas's height, each about the same part of the growth).
    pub fn extra_height(&self) -> i32 {
        let (lack, plots) = self.shortfall;
        lack.max(0) * plots
    }

    /// `{"labels":[[x,y,w,h],...],"plots":[...],"legends":[[x,y,w,h,covered],...],
    /// "pins":[[pin,points],...],"ranges":[[x0,x1,y0,y1],...]}`.
    pub fn to_json(&self) -> String {
        let boxes = |b: &[[i32; 4]]| {
            b.iter()
                .map(|r| format!("[{},{},{},{}]", r[0], r[1], r[2], r[3]))
                .collect::<Vec<_>>()
                .join(",")
        };
        let legends = self
            .legends
            .iter()
            .map(|(r, c)| format!("[{},{},{},{},{c}]", r[0], r[1], r[2], r[3]))
            .collect::<Vec<_>>()
            .join(",");
        let pins = self
            .pins
            .iter()
            .map(|(pin, n)| format!("[{pin},{n}]"))
            .collect::<Vec<_>>()
            .join(",");
        let number = |v: f64| {
            if v.is_finite() {
                format!("{v}")
            } else {
                "null".to_string()
            }
        };
        let ranges = self
            .ranges
            .iter()
            .map(|r| format!("[{}]", r.map(number).join(",")))
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "{{\"labels\":[{}],\"plots\":[{}],\"legends\":[{legends}],\"pins\":[{pins}],\"ranges\":[{ranges}]}}",
            boxes(&self.labels),
            boxes(&self.plots)
        )
    }
}

thread_local! {
    static RECORD: RefCell<Record> = RefCell::new(Record::default());
}

/// Starts a new record (before a chart draws).
pub fn start_record() {
    RECORD.with(|r| *r.borrow_mut() = Record::default());
}

/// The record of the draws since [`start_record`].
pub fn take_record() -> Record {
    RECORD.with(|r| std::mem::take(&mut *r.borrow_mut()))
}

pub(crate) fn record(f: impl FnOnce(&mut Record)) {
    RECORD.with(|r| f(&mut r.borrow_mut()));
}

/// One axis: its range, scale and title.
#[derive(Clone, Debug)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub scale: Scale,
    pub desc: String,
    /// Labels of the whole values 0, 1, 2 ... when they are not the numbers themselves (the
    /// heat maps' evaluation columns are labelled with their steps).
    pub names: Option<Vec<String>>,
}

impl Axis {
    pub fn linear(lo: f64, hi: f64, desc: &str) -> Axis {
        Axis {
            lo,
            hi,
            scale: Scale::Linear,
            desc: desc.into(),
            names: None,
        }
    }
    /// Whole numbers only (layers, steps).
    pub fn integer(lo: f64, hi: f64, desc: &str) -> Axis {
        Axis {
            scale: Scale::Integer,
            ..Axis::linear(lo, hi, desc)
        }
    }
    /// Whole values 0, 1, 2 ... labelled `names[i]`.
    pub fn named(lo: f64, hi: f64, desc: &str, names: Vec<String>) -> Axis {
        Axis {
            names: Some(names),
            ..Axis::integer(lo, hi, desc)
        }
    }
    pub fn log(lo: f64, hi: f64, desc: &str) -> Axis {
        Axis {
            scale: Scale::Log,
            ..Axis::linear(lo, hi, desc)
        }
    }
}

/// Both axes of one chart with their ticks and the label areas they need (device pixels).
#[derive(Clone, Debug)]
pub struct Axes {
    pub x: Axis,
    pub y: Axis,
    pub x_ticks: Ticks,
    pub y_ticks: Ticks,
    pub x_area: i32,
    pub y_area: i32,
    /// Margins around the chart: top, right, bottom, left.
    pub margin: (i32, i32, i32, i32),
    /// Grid lines at the ticks (off for heat maps, which cover them).
    pub grid: bool,
    /// False when the plot has no room left (a tiny canvas): no labels then.
    room: bool,
    /// The plot's least height in CSS pixels, if it has one: a canvas where it gets less (a
    /// long legend on a phone) is made taller by the page (panels/frame.rs).
    pub min_height: Option<f64>,
}

/// The least height of the plots that pinned runs crowd with their legend entries (stats,
/// grads, hist, corr), in CSS pixels; the GELU difference plot gets as much from its
/// stylesheet height.
pub const MIN_PLOT_HEIGHT: f64 = 120.0;

/// Distance from the axis to its labels, in CSS pixels (the tick mark and a gap).
const TICK: f64 = 4.0;
const LABEL_GAP: f64 = 3.0;

impl Axes {
    /// The ticks and label areas for a chart built on `area` with these margins. The x label
    /// area holds a line of labels and, if `x.desc` is not empty, the title; the y label area
    /// is as wide as the widest y label plus the title.
    pub fn new<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        style: &Style,
        margin: (i32, i32, i32, i32),
        x: Axis,
        y: Axis,
    ) -> Axes {
        let (_, h) = area.dim_in_pixel();
        let line = style.px(12.0) as f64;
        let measure = text_width(area, style);
        let title_h = style.px(16.0);
        let dist = style.px(TICK + LABEL_GAP);
        let x_area = dist + style.px(15.0) + if x.desc.is_empty() { 0 } else { title_h };
        let y_len = (h as i32 - margin.0 - margin.2 - x_area).max(0) as f64;
        let y_ticks = ticks::choose(
            y.lo,
            y.hi,
            y.scale,
            &Room {
                length: y_len,
                vertical: true,
                line,
                // Half a label below the x axis is free: the x labels start further down and
                // further right.
                overhang: (line / 2.0, margin.0 as f64),
            },
            &measure,
        );
        let widest = y_ticks
            .ticks
            .iter()
            .map(|t| measure(&t.label).ceil() as i32)
            .max()
            .unwrap_or(0);
        let has_title = !y.desc.is_empty() || y_ticks.exponent.is_some();
        let y_area = (dist + widest + style.px(4.0) + if has_title { title_h } else { 0 })
            .max(style.px(24.0));
        let mut x_ticks = x_ticks(area, style, margin, &x, y_area);
        // A plot with no room left (a tiny canvas) gets no labels at all.
        let x_len = area.dim_in_pixel().0 as i32 - margin.1 - margin.3 - y_area;
        let mut y_ticks = y_ticks;
        let room = y_len > 0.0 && x_len > 0;
        if !room {
            x_ticks = Ticks::default();
            y_ticks = Ticks::default();
        }
        Axes {
            x,
            y,
            x_ticks,
            y_ticks,
            x_area,
            y_area,
            margin,
            grid: true,
            room,
            min_height: None,
        }
    }

    /// Gives charts stacked over one x axis (the stats panel's mean and variance) the widest
    /// y label area of them all, so that their plots and x ticks line up.
    pub fn align<DB: DrawingBackend>(
        charts: &mut [(&mut Axes, &DrawingArea<DB, Shift>)],
        style: &Style,
    ) {
        let widest = charts.iter().map(|(a, _)| a.y_area).max().unwrap_or(0);
        for (axes, area) in charts.iter_mut() {
            axes.y_area = widest;
            let x_len = area.dim_in_pixel().0 as i32 - axes.margin.1 - axes.margin.3 - widest;
            axes.room = axes.room && x_len > 0;
            axes.x_ticks = if axes.room {
                x_ticks(area, style, axes.margin, &axes.x, widest)
            } else {
                Ticks::default()
            };
            if !axes.room {
                axes.y_ticks = Ticks::default();
            }
        }
    }

    /// The same margin on every side.
    pub fn uniform(m: i32) -> (i32, i32, i32, i32) {
        (m, m, m, m)
    }

    /// A [`ChartBuilder`] on `area` with this layout's margins and label areas.
    pub fn builder<'a, 'b, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> ChartBuilder<'a, 'b, DB> {
        let mut b = ChartBuilder::on(area);
        b.margin_top(self.margin.0)
            .margin_right(self.margin.1)
            .margin_bottom(self.margin.2)
            .margin_left(self.margin.3)
            .x_label_area_size(self.x_area)
            .y_label_area_size(self.y_area);
        b
    }

    /// Grid lines, axis lines, tick marks, labels and titles of a chart built with
    /// [`Axes::builder`] on `area`; records the labels' boxes and the plotting area.
    pub fn draw<DB: DrawingBackend, CT: CoordTranslate>(
        &self,
        chart: &ChartContext<'_, DB, CT>,
        area: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), String> {
        let (base_x, base_y) = area.get_base_pixel();
        let (px, py) = chart.plotting_area().get_pixel_range();
        // In the area's own pixels.
        let (l, r, t, b) = (
            px.start - base_x,
            px.end - base_x,
            py.start - base_y,
            py.end - base_y,
        );
        let (pw, ph) = ((r - l) as f64, (b - t) as f64);
        let lack = self.min_height.map(|m| style.px(m) - (b - t));
        record(|rec| {
            rec.plots.push([px.start, py.start, r - l, b - t]);
            rec.ranges
                .push([self.x.lo, self.x.hi, self.y.lo, self.y.hi]);
            if let Some(lack) = lack {
                rec.shortfall = (rec.shortfall.0.max(lack), rec.shortfall.1 + 1);
            }
        });
        let grid = style.reference().mix(0.15);
        let axis = style.ink();
        let thin = style.px(1.0).max(1) as u32;
        let x_at =
            |v: f64| l + ticks::position(v, self.x.lo, self.x.hi, self.x.scale, pw).round() as i32;
        let y_at =
            |v: f64| b - ticks::position(v, self.y.lo, self.y.hi, self.y.scale, ph).round() as i32;
        for tick in self.x_ticks.ticks.iter().filter(|_| self.grid) {
            let x = x_at(tick.value);
            area.draw(&PathElement::new([(x, t), (x, b)], grid.stroke_width(thin)))
                .map_err(err)?;
        }
        for tick in self.y_ticks.ticks.iter().filter(|_| self.grid) {
            let y = y_at(tick.value);
            area.draw(&PathElement::new([(l, y), (r, y)], grid.stroke_width(thin)))
                .map_err(err)?;
        }
        area.draw(&PathElement::new(
            [(l, t), (l, b), (r, b)],
            axis.stroke_width(thin),
        ))
        .map_err(err)?;
        let font = style.label_font();
        let (tick_len, dist) = (style.px(TICK), style.px(TICK + LABEL_GAP));
        for tick in &self.x_ticks.ticks {
            let x = x_at(tick.value);
            area.draw(&PathElement::new(
                [(x, b), (x, b + tick_len)],
                axis.stroke_width(thin),
            ))
            .map_err(err)?;
            let (w, h) = area.estimate_text_size(&tick.label, &font).map_err(err)?;
            let top = b + dist;
            area.draw(&Text::new(
                tick.label.clone(),
                (x, top),
                font.clone().pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
            record(|rec| {
                rec.labels
                    .push([base_x + x - w as i32 / 2, base_y + top, w as i32, h as i32])
            });
        }
        for tick in &self.y_ticks.ticks {
            let y = y_at(tick.value);
            area.draw(&PathElement::new(
                [(l - tick_len, y), (l, y)],
                axis.stroke_width(thin),
            ))
            .map_err(err)?;
            let (w, h) = area.estimate_text_size(&tick.label, &font).map_err(err)?;
            let right = l - dist;
            area.draw(&Text::new(
                tick.label.clone(),
                (right, y),
                font.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
            record(|rec| {
                rec.labels.push([
                    base_x + right - w as i32,
                    base_y + y - h as i32 / 2,
                    w as i32,
                    h as i32,
                ])
            });
        }
        // Titles shrink to fit along their plot (a long one on a phone), never below 9 px.
        let fitted = |text: &str, room: i32| -> Result<TextStyle<'static>, String> {
            let (w, _) = area
                .estimate_text_size(text, &style.font(13.0))
                .map_err(err)?;
            let scale = (room as f64 / w.max(1) as f64).clamp(9.0 / 13.0, 1.0);
            Ok(style.font(13.0 * scale))
        };
        let x_title = self.x_ticks.title(&self.x.desc);
        if !x_title.is_empty() {
            let font = fitted(&x_title, r - l + self.y_area / 2)?;
            area.draw(&Text::new(
                x_title,
                ((l + r) / 2, b + self.x_area),
                font.pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))
            .map_err(err)?;
        }
        let y_title = self.y_ticks.title(&self.y.desc);
        if !y_title.is_empty() {
            let font = fitted(&y_title, b - t + self.x_area / 2)?;
            area.draw(&Text::new(
                y_title,
                (l - self.y_area, (t + b) / 2),
                font.transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(err)?;
        }
        Ok(())
    }
}

/// The x axis's ticks on `area` when the y label area is `y_area` wide.
/// The width in pixels of a tick label in the label font (about 0.6 of the line height per
/// character where the backend cannot measure).
fn text_width<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    style: &Style,
) -> impl Fn(&str) -> f64 + 'a {
    let font = style.label_font();
    let line = style.px(12.0) as f64;
    move |s: &str| {
        area.estimate_text_size(s, &font)
            .map(|(w, _)| w as f64)
            .unwrap_or(0.6 * line * s.chars().count() as f64)
    }
}

fn x_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    style: &Style,
    margin: (i32, i32, i32, i32),
    x: &Axis,
    y_area: i32,
) -> Ticks {
    let (w, _) = area.dim_in_pixel();
    let line = style.px(12.0) as f64;
    let measure = text_width(area, style);
    let x_len = (w as i32 - margin.1 - margin.3 - y_area).max(0) as f64;
    // With names, a tick's label "i" stands for names[i] (measured as such).
    let name = |s: &str| -> Option<String> {
        let names = x.names.as_ref()?;
        s.parse::<usize>().ok().and_then(|i| names.get(i).cloned())
    };
    let measure_x = |s: &str| match &x.names {
        Some(_) => measure(&name(s).unwrap_or_default()),
        None => measure(s),
    };
    let mut x_ticks = ticks::choose(
        x.lo,
        x.hi,
        x.scale,
        &Room {
            length: x_len,
            vertical: false,
            line,
            overhang: (0.0, (margin.1 - style.px(2.0)).max(0) as f64),
        },
        &measure_x,
    );
    if x.names.is_some() {
        x_ticks.ticks = x_ticks
            .ticks
            .iter()
            .filter_map(|t| {
                name(&t.label).map(|label| ticks::Tick {
                    value: t.value,
                    label,
                })
            })
            .collect();
        x_ticks.exponent = None;
    }
    x_ticks
}
