//! What every panel shares: the frame (`<section id="panel-NAME">` with a heading, a canvas
//! with a text alternative, a plain-language caption and the CSV, PNG and PNG 2x buttons), and
//! the hook that draws a chart when its inputs change.

use crate::charts::{self, Style, Theme};
use crate::web;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// What the exports say about the run, from the page's settings (a context the page provides):
/// the settings line drawn into a slide PNG and the file names' settings part.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExportInfo {
    /// "SELU, LeCun normal, depth 50, width 128, batch 128, seed 1".
    pub settings: String,
    /// "activation-lab-selu-lecun_normal-d50-w128-b128-s1" (as the CSVs' file names).
    pub stem: String,
}

impl ExportInfo {
    /// The file name stem, "activation-lab" without a context (tests, previews).
    pub fn stem(&self) -> &str {
        if self.stem.is_empty() {
            "activation-lab"
        } else {
            &self.stem
        }
    }
}

/// The slide export's choices, made in the Export menu.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SlideOptions {
    /// Drawn above the chart when not empty.
    pub title: String,
    /// Draw the settings line above the chart.
    pub settings: bool,
    /// In dark mode: draw the export on the light theme's white paper.
    pub light: bool,
}

/// One way to draw a panel's chart into any canvas at any scale.
pub type DrawFn = Rc<dyn Fn(&HtmlCanvasElement, &Style) -> Result<(), String>>;
/// The panel's latest [`DrawFn`], kept so that "PNG 2x" can draw the same chart again at twice
/// its CSS size (crisp on slides), off screen.
pub type Renderer = Rc<RefCell<Option<DrawFn>>>;

/// A chart waiting for the next animation frame.
struct PendingDraw {
    canvas: NodeRef,
    theme: Theme,
    draw: DrawFn,
}

thread_local! {
    /// The charts to draw at the next animation frame, each once, in the order first asked.
    static PENDING: RefCell<Vec<PendingDraw>> = const { RefCell::new(Vec::new()) };
}

/// Milliseconds of chart drawing per animation frame; charts still waiting then draw at the
/// next frame, in the order they were first asked for.
const FRAME_DRAW_MS: f64 = 8.0;

/// Keeps `draw` in `renderer` for the 2x export, and draws it into the canvas on screen (sized
/// by the device pixel ratio) at the next animation frame. A chart asked to draw several times
/// before its turn (a storm of slider changes, a run's updates arriving faster than frames)
/// draws once, with its latest inputs; each frame draws for about [`FRAME_DRAW_MS`], the
/// charts that waited longest first, so that the page answers input between frames whatever
/// the number of charts; and the waiting charts' sizes are read before any of them draws, so
/// the page is laid out once per frame rather than once per chart. Where no frame can be
/// requested, it draws at once.
pub fn draw_on_screen(canvas: &NodeRef, renderer: &Renderer, theme: Theme, draw: DrawFn) {
    *renderer.borrow_mut() = Some(draw.clone());
    let first = PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        let first = pending.is_empty();
        match pending.iter_mut().find(|d| d.canvas == *canvas) {
            Some(d) => {
                d.theme = theme;
                d.draw = draw;
            }
            None => pending.push(PendingDraw {
                canvas: canvas.clone(),
                theme,
                draw,
            }),
        }
        first
    });
    if first && !web::in_this_frame(draw_pending) {
        draw_pending();
    }
}

/// Draws waiting charts for about [`FRAME_DRAW_MS`] (at least one), and asks for another frame
/// if some are left (see [`draw_on_screen`]).
fn draw_pending() {
    let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let dpr = web::device_pixel_ratio();
    // Every size first: reading a size after another chart has drawn would lay the page out
    // again.
    let sized: Vec<_> = pending
        .into_iter()
        .filter_map(|d| {
            let c = d.canvas.cast::<HtmlCanvasElement>()?;
            let size = (c.client_width(), c.client_height());
            Some((c, size, d))
        })
        .collect();
    let start = web::now_ms();
    let mut left = Vec::new();
    for (c, (w, h), d) in sized {
        if !left.is_empty() || (web::now_ms() - start >= FRAME_DRAW_MS && start > 0.0) {
            left.push(d);
            continue;
        }
        let style = Style {
            dpr,
            theme: d.theme,
        };
        // The stylesheet's height first; a chart whose plots get less than their minimum
        // height there (a long legend on a phone) is drawn again on a taller canvas.
        let (w, h) = if c
            .style()
            .get_property_value("height")
            .is_ok_and(|v| !v.is_empty())
        {
            let _ = c.style().remove_property("height");
            (c.client_width(), c.client_height())
        } else {
            (w, h)
        };
        let drawn = draw_recorded(&c, (w, h), &style, &d.draw).and_then(|record| {
            let extra = record.extra_height();
            if extra <= 0 {
                return Some(record);
            }
            let height = f64::from(h) + (f64::from(extra) / style.dpr).ceil();
            let _ = c.style().set_property("height", &format!("{height}px"));
            draw_recorded(&c, (c.client_width(), c.client_height()), &style, &d.draw)
        });
        if let Some(record) = drawn {
            // What the chart layer drew where (tick labels, plots, legends), for the tests.
            let _ = c.set_attribute("data-label-boxes", &record.to_json());
            // The plots' boxes (canvas pixels), where the readout maps the pointer.
            let plots = record
                .plots
                .iter()
                .map(|p| format!("{},{},{},{}", p[0], p[1], p[2], p[3]))
                .collect::<Vec<_>>()
                .join(";");
            let _ = c.set_attribute("data-plot", &plots);
        }
    }
    if left.is_empty() {
        return;
    }
    // The charts left go first next time; a chart asked for meanwhile keeps its place.
    PENDING.with(|p| {
        let mut pending = p.borrow_mut();
        let newer = std::mem::take(&mut *pending);
        *pending = left;
        for d in newer {
            match pending.iter_mut().find(|w| w.canvas == d.canvas) {
                Some(w) => *w = d,
                None => pending.push(d),
            }
        }
    });
    if !web::on_next_frame(draw_pending) {
        draw_pending();
    }
}

/// Draws the chart at the canvas's laid-out size and returns what the chart layer recorded;
/// None when the canvas is not laid out (hidden).
fn draw_recorded(
    c: &HtmlCanvasElement,
    (w, h): (i32, i32),
    style: &Style,
    draw: &DrawFn,
) -> Option<charts::axes::Record> {
    if !charts::fit_canvas_to(c, w, h, style.dpr) {
        return None;
    }
    charts::axes::start_record();
    if let Err(e) = draw(c, style) {
        web::log_error(&e);
    }
    Some(charts::axes::take_record())
}

/// The theme the charts draw with (the page provides it as a context).
#[hook]
pub fn use_chart_theme() -> Theme {
    use_context::<Theme>().unwrap_or_default()
}

/// Draws with `draw` into the canvas after every render whose `deps` (or the theme) changed;
/// returns the panel's [`Renderer`].
#[hook]
pub fn use_chart<D: PartialEq + 'static>(
    canvas: NodeRef,
    deps: D,
    draw: impl Fn(&HtmlCanvasElement, &Style) -> Result<(), String> + 'static,
) -> Renderer {
    let renderer: Renderer = use_mut_ref(|| None);
    let theme = use_chart_theme();
    {
        let renderer = renderer.clone();
        use_effect_with((deps, theme), move |(_, theme)| {
            draw_on_screen(&canvas, &renderer, *theme, Rc::new(draw));
        });
    }
    renderer
}

#[derive(Properties)]
pub struct FrameProps {
    pub name: &'static str,
    pub title: AttrValue,
    pub caption: Html,
    pub canvas: NodeRef,
    /// Text alternative of the canvas.
    pub summary: String,
    /// A warning shown as text under the plot (also drawn on the plot).
    #[prop_or_default]
    pub warning: Option<String>,
    /// The CSV export's file name and text, made when the button is pressed.
    pub csv: Callback<(), (String, String)>,
    /// Draws the chart again for the "PNG 2x" export.
    pub renderer: Renderer,
    #[prop_or_default]
    pub tools: Html,
    /// Extra content under the caption (numbers, tools).
    #[prop_or_default]
    pub extra: Html,
    /// Clicks on the chart (a readout), if the panel has one.
    #[prop_or_default]
    pub onclick: Option<Callback<MouseEvent>>,
    /// The values under the pointer or the keyboard cursor, if the chart has a readout.
    #[prop_or_default]
    pub readout: Option<Readout>,
    /// The chart still shows the previous setting's theory (the new one is being computed, or
    /// its run stopped): it is faded and says so with this note.
    #[prop_or_default]
    pub busy: Option<&'static str>,
    /// Told the readout's point whenever the cursor moves (a chart that draws its own cursor).
    #[prop_or_default]
    pub on_cursor: Option<Callback<usize>>,
}

/// A chart's readout: the values at the point nearest the pointer, or at a cursor that the
/// arrow keys move when the chart has the keyboard focus; told in a live text line.
///
/// Along x (a line chart over layers or steps) the cursor is a vertical line; with
/// [`Readout::plane`] the points lie in the plot's plane (a map, a heat map), the pointer picks
/// the nearest one in pixels and the cursor is a ring. Axes are linear in the units given (a
/// log axis: give log10 of the values and of the range).
#[derive(Clone)]
pub struct Readout {
    /// The plot's x axis as drawn (data units), left to right.
    pub x_range: (f64, f64),
    /// The x of every point that can be read, increasing (along x only).
    pub xs: Vec<f64>,
    /// The text for point i.
    pub text: Rc<dyn Fn(usize) -> String>,
    /// Points in the plane: the y axis and each point's y.
    pub plane: Option<Plane>,
}

/// A readout's second axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Plane {
    /// The plot's y axis as drawn (data units), bottom to top.
    pub y_range: (f64, f64),
    /// The y of every point.
    pub ys: Vec<f64>,
    /// Points on a grid: the arrows move along its rows and columns (else every arrow steps
    /// through the points in order).
    pub grid: Option<Grid>,
}

/// How a readout's points fill a grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grid {
    /// Row by row from the bottom, this many a row.
    Rows(usize),
    /// Column by column from the left, this many a column (from the bottom): a grid that
    /// grows to the right keeps its points' numbers.
    Columns(usize),
}

impl PartialEq for Readout {
    fn eq(&self, o: &Self) -> bool {
        self.x_range == o.x_range
            && self.xs == o.xs
            && self.plane == o.plane
            && Rc::ptr_eq(&self.text, &o.text)
    }
}

impl Readout {
    /// A readout along x: point i at `xs[i]`.
    pub fn along_x(
        x_range: (f64, f64),
        xs: Vec<f64>,
        text: impl Fn(usize) -> String + 'static,
    ) -> Readout {
        Readout {
            x_range,
            xs,
            text: Rc::new(text),
            plane: None,
        }
    }

    /// A readout of points in the plane: point i at (`xs[i]`, `ys[i]`).
    pub fn in_plane(
        x_range: (f64, f64),
        y_range: (f64, f64),
        points: Vec<(f64, f64)>,
        grid: Option<Grid>,
        text: impl Fn(usize) -> String + 'static,
    ) -> Readout {
        let (xs, ys) = points.into_iter().unzip();
        Readout {
            x_range,
            xs,
            text: Rc::new(text),
            plane: Some(Plane { y_range, ys, grid }),
        }
    }

    /// Where point i lies in a plot `w` x `h` pixels: (from the left, from the top), clamped
    /// to the plot.
    fn pixel(&self, i: usize, w: f64, h: f64) -> Option<(f64, f64)> {
        let fraction = |v: f64, (a, b): (f64, f64)| {
            if b > a {
                ((v - a) / (b - a)).clamp(0.0, 1.0)
            } else {
                0.5
            }
        };
        let x = fraction(*self.xs.get(i)?, self.x_range) * w;
        let y = match &self.plane {
            Some(p) => (1.0 - fraction(*p.ys.get(i)?, p.y_range)) * h,
            None => 0.0,
        };
        Some((x, y))
    }

    /// The point nearest the pointer at (`px`, `py`) pixels from the top left of a plot `w` x
    /// `h` pixels: along x only, or in the plane.
    pub fn pick(&self, px: f64, py: f64, w: f64, h: f64) -> Option<usize> {
        if self.plane.is_none() {
            let t = if w > 0.0 {
                (px / w).clamp(0.0, 1.0)
            } else {
                0.0
            };
            return self.nearest(self.x_range.0 + t * (self.x_range.1 - self.x_range.0));
        }
        (0..self.xs.len())
            .filter_map(|i| {
                let (x, y) = self.pixel(i, w, h)?;
                let d = (x - px).powi(2) + (y - py).powi(2);
                d.is_finite().then_some((i, d))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// The index of the point nearest to x.
    pub fn nearest(&self, x: f64) -> Option<usize> {
        let i = self.xs.partition_point(|&v| v < x);
        let candidates = [i.checked_sub(1), (i < self.xs.len()).then_some(i)];
        candidates
            .into_iter()
            .flatten()
            .min_by(|&a, &b| (self.xs[a] - x).abs().total_cmp(&(self.xs[b] - x).abs()))
    }
}

/// The key's new cursor position among `n` points (None: not a readout key); on a grid the
/// arrows move along its rows and columns, and stop at its edges.
pub fn readout_key(
    key: &str,
    cursor: Option<usize>,
    n: usize,
    grid: Option<Grid>,
) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let last = n - 1;
    let at = cursor.unwrap_or(0).min(last);
    let page = (n / 10).max(1);
    if let (Some(grid), Some(_)) = (grid, cursor) {
        // Points a line, and the steps (in points) right and up.
        let (line, right, up) = match grid {
            Grid::Rows(k) => (k.max(1), 1, k.max(1)),
            Grid::Columns(k) => (k.max(1), k.max(1), 1),
        };
        // Within a line (a step of one point) a move stops at the line's ends; across lines
        // at the grid's.
        let step = |delta: usize, within: bool, forward: bool| -> usize {
            let next = if forward {
                at.checked_add(delta).filter(|&v| v <= last)
            } else {
                at.checked_sub(delta)
            };
            match next {
                Some(v) if !within || v / line == at / line => v,
                _ => at,
            }
        };
        let rows = matches!(grid, Grid::Rows(_));
        match key {
            "ArrowRight" => return Some(step(right, rows, true)),
            "ArrowLeft" => return Some(step(right, rows, false)),
            "ArrowUp" => return Some(step(up, !rows, true)),
            "ArrowDown" => return Some(step(up, !rows, false)),
            _ => {}
        }
    }
    Some(match key {
        "ArrowRight" | "ArrowUp" if cursor.is_some() => (at + 1).min(last),
        "ArrowLeft" | "ArrowDown" if cursor.is_some() => at.saturating_sub(1),
        "ArrowRight" | "ArrowUp" | "ArrowLeft" | "ArrowDown" => at,
        "PageUp" => (at + page).min(last),
        "PageDown" => at.saturating_sub(page),
        "Home" => 0,
        "End" => last,
        _ => return None,
    })
}

impl PartialEq for FrameProps {
    /// By value, the renderer by identity (its draw function cannot be compared).
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.title == o.title
            && self.caption == o.caption
            && self.canvas == o.canvas
            && self.summary == o.summary
            && self.warning == o.warning
            && self.csv == o.csv
            && Rc::ptr_eq(&self.renderer, &o.renderer)
            && self.tools == o.tools
            && self.extra == o.extra
            && self.onclick == o.onclick
            && self.readout == o.readout
            && self.busy == o.busy
            && self.on_cursor == o.on_cursor
    }
}

/// Saves the panel's canvas as drawn (at the device pixel ratio).
pub fn png_download(canvas: &NodeRef, name: &'static str, stem: String) -> Callback<MouseEvent> {
    let canvas = canvas.clone();
    Callback::from(move |_| {
        if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
            if let Err(e) = web::download_canvas_png(&c, &format!("{stem}-{name}.png")) {
                web::log_error(&e);
            }
        }
    })
}

/// Resolution of the slide export: twice the CSS size, whatever the screen.
pub const SLIDE_SCALE: f64 = 2.0;

/// Draws the chart again off screen at [`SLIDE_SCALE`] times its CSS size and saves it, with
/// the slide options: a title and the settings line above the chart, light paper in dark mode.
pub fn png_download_2x(
    canvas: &NodeRef,
    renderer: &Renderer,
    name: &'static str,
    theme: Theme,
    info: ExportInfo,
    options: SlideOptions,
) -> Callback<MouseEvent> {
    let (canvas, renderer) = (canvas.clone(), renderer.clone());
    Callback::from(move |_| {
        let result = (|| {
            let on_screen = canvas
                .cast::<HtmlCanvasElement>()
                .ok_or("the panel has no canvas")?;
            let draw = renderer
                .borrow()
                .clone()
                .ok_or("the chart is not drawn yet")?;
            let (w, h) = (on_screen.client_width(), on_screen.client_height());
            let chart = web::offscreen_canvas(w, h, SLIDE_SCALE)?;
            let theme = if options.light { Theme::Light } else { theme };
            let style = Style {
                dpr: SLIDE_SCALE,
                theme,
            };
            draw(&chart, &style)?;
            let mut lines: Vec<(String, f64, bool)> = Vec::new();
            if !options.title.trim().is_empty() {
                lines.push((options.title.trim().to_string(), 20.0, true));
            }
            if options.settings && !info.settings.is_empty() {
                lines.push((info.settings.clone(), 13.0, false));
            }
            let out = if lines.is_empty() {
                chart
            } else {
                with_header(&chart, w, h, &lines, &style)?
            };
            web::download_canvas_png(&out, &format!("{}-{name}@2x.png", info.stem()))
        })();
        if let Err(e) = result {
            web::log_error(&e);
        }
    })
}

/// CSS pixels around and between the header's lines.
const HEADER_PAD: f64 = 10.0;

/// The chart under a header of text lines (text, CSS font size, bold), each shrunk to fit the
/// width, on the chart's paper.
fn with_header(
    chart: &HtmlCanvasElement,
    w: i32,
    h: i32,
    lines: &[(String, f64, bool)],
    style: &Style,
) -> Result<HtmlCanvasElement, String> {
    use wasm_bindgen::JsCast;
    let line_h = |size: f64| size * 1.35;
    let header: f64 = 2.0 * HEADER_PAD + lines.iter().map(|l| line_h(l.1)).sum::<f64>();
    let out = web::offscreen_canvas(w, h + header.ceil() as i32, SLIDE_SCALE)?;
    let ctx: web_sys::CanvasRenderingContext2d = out
        .get_context("2d")
        .map_err(|e| format!("{e:?}"))?
        .ok_or("no 2d context")?
        .dyn_into()
        .map_err(|_| "not a 2d context")?;
    let k = SLIDE_SCALE;
    let paper = style.paper();
    ctx.set_fill_style_str(&format!("rgb({}, {}, {})", paper.0, paper.1, paper.2));
    ctx.fill_rect(0.0, 0.0, f64::from(out.width()), f64::from(out.height()));
    let ink = style.ink();
    ctx.set_fill_style_str(&format!("rgb({}, {}, {})", ink.0, ink.1, ink.2));
    ctx.set_text_baseline("top");
    let max_w = (f64::from(w) - 2.0 * HEADER_PAD) * k;
    let mut y = HEADER_PAD;
    for (text, size, bold) in lines {
        let font = |px: f64| {
            format!(
                "{}{}px sans-serif",
                if *bold { "bold " } else { "" },
                px * k
            )
        };
        ctx.set_font(&font(*size));
        let measured = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        let fitted = if measured > max_w {
            size * max_w / measured
        } else {
            *size
        };
        ctx.set_font(&font(fitted));
        ctx.fill_text(text, HEADER_PAD * k, y * k)
            .map_err(|e| format!("{e:?}"))?;
        y += line_h(*size);
    }
    ctx.draw_image_with_html_canvas_element(chart, 0.0, header.ceil() * k)
        .map_err(|e| format!("{e:?}"))?;
    Ok(out)
}

#[function_component]
pub fn Frame(props: &FrameProps) -> Html {
    let theme = use_chart_theme();
    let info = use_context::<ExportInfo>().unwrap_or_default();
    let options = use_state(SlideOptions::default);
    let cursor = use_state(|| None::<usize>);
    let cursor_line = use_node_ref();
    {
        // The cursor line over the plot, placed through the CSS object model (the content
        // security policy refuses style attributes).
        let (canvas, line, readout) = (
            props.canvas.clone(),
            cursor_line.clone(),
            props.readout.clone(),
        );
        use_effect_with(
            (
                *cursor,
                props.readout.as_ref().map(|r| (r.x_range, r.xs.len())),
            ),
            move |(at, _)| {
                place_cursor(&canvas, &line, readout.as_ref(), *at);
            },
        );
    }
    let n_points = props.readout.as_ref().map_or(0, |r| r.xs.len());
    let at = (*cursor).filter(|&i| i < n_points);
    let readout_text = match (&props.readout, at) {
        (Some(r), Some(i)) => (r.text)(i),
        (Some(_), None) => {
            "Point at the chart, or focus it and use the arrow keys, to read the values."
                .to_string()
        }
        _ => String::new(),
    };
    {
        let on_cursor = props.on_cursor.clone();
        use_effect_with(at, move |at| {
            if let (Some(cb), Some(i)) = (on_cursor, at) {
                cb.emit(*i);
            }
        });
    }
    let onkeydown = props.readout.as_ref().map(|r| {
        let (cursor, n) = (cursor.clone(), r.xs.len());
        let grid = r.plane.as_ref().and_then(|p| p.grid);
        Callback::from(move |e: KeyboardEvent| {
            if let Some(next) = readout_key(&e.key(), *cursor, n, grid) {
                e.prevent_default();
                cursor.set(Some(next));
            }
        })
    });
    let onmousemove = props.readout.as_ref().map(|r| {
        let (cursor, r, canvas) = (cursor.clone(), r.clone(), props.canvas.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(i) = pointed(&canvas, &r, e.offset_x(), e.offset_y()) {
                if *cursor != Some(i) {
                    cursor.set(Some(i));
                }
            }
        })
    });
    let title_id = format!("panel-{}-title", props.name);
    html! {
        <section id={format!("panel-{}", props.name)} class={classes!("panel", props.busy.map(|_| "busy"))}
            aria-labelledby={title_id.clone()} aria-busy={props.busy.map(|_| "true")}>
            <div class="panel-head">
                <h2 id={title_id}>{ &props.title }</h2>
                if let Some(note) = props.busy {
                    <span class="busy-note">{ note }</span>
                }
                { export_menu(
                    props.name,
                    csv_download(&props.csv),
                    png_download(&props.canvas, props.name, info.stem().to_string()),
                    png_download_2x(&props.canvas, &props.renderer, props.name, theme, info.clone(), (*options).clone()),
                    slide_options(props.name, theme, &options),
                ) }
            </div>
            { props.tools.clone() }
            <div class="plot-wrap">
                <canvas ref={props.canvas.clone()} class={classes!("plot", format!("plot-{}", props.name), props.onclick.is_some().then_some("clickable"))}
                    role="img" aria-label={props.summary.clone()} onclick={props.onclick.clone()}
                    tabindex={props.readout.is_some().then_some("0")}
                    aria-describedby={props.readout.is_some().then(|| format!("readout-{}", props.name))}
                    {onkeydown} {onmousemove}></canvas>
                if props.readout.is_some() {
                    <div ref={cursor_line} class={classes!("readout-cursor", props.readout.as_ref().is_some_and(|r| r.plane.is_some()).then_some("ring"))}
                        hidden={at.is_none()} aria-hidden="true"></div>
                }
            </div>
            if props.readout.is_some() {
                <p class="readout" id={format!("readout-{}", props.name)} aria-live="polite">{ readout_text }</p>
            }
            if let Some(w) = &props.warning {
                <p class="warning" role="status">{ w }</p>
            }
            <p class="caption">{ props.caption.clone() }</p>
            { props.extra.clone() }
        </section>
    }
}

/// A panel's one "Export" menu (a `<details>` that opens under its summary) with the CSV, PNG
/// and PNG 2x buttons, instead of a row of buttons that overflows a phone's width.
pub fn export_menu(
    name: &str,
    csv: Callback<MouseEvent>,
    png: Callback<MouseEvent>,
    png2x: Callback<MouseEvent>,
    slide: Html,
) -> Html {
    html! {
        <details class="downloads export">
            <summary aria-label={format!("Export the {name} panel")}>{ "Export" }</summary>
            <div class="export-menu">
                <button type="button" class="download" onclick={csv}
                    aria-label={format!("Download CSV of the {name} panel")}>{ "Download CSV" }</button>
                <button type="button" class="download-png" onclick={png}
                    aria-label={format!("Download PNG of the {name} panel")}>{ "PNG" }</button>
                <button type="button" class="download-png2x" onclick={png2x}
                    aria-label={format!("PNG 2x: download the {name} panel at twice the size, for slides")}>{ "PNG 2x" }</button>
                { slide }
            </div>
        </details>
    }
}

/// Saves the CSV that `csv` makes (file name, text).
pub fn csv_download(csv: &Callback<(), (String, String)>) -> Callback<MouseEvent> {
    let csv = csv.clone();
    Callback::from(move |_| {
        let (name, text) = csv.emit(());
        if let Err(e) = web::download_text(&name, "text/csv", &text) {
            web::log_error(&e);
        }
    })
}

#[derive(Properties, PartialEq)]
pub struct PendingProps {
    pub name: &'static str,
    pub title: &'static str,
}

/// A theory panel's place while its numbers are computed in the worker (a fraction of a
/// second after a change), at the panel's size so the page does not jump.
#[function_component]
pub fn PendingPanel(props: &PendingProps) -> Html {
    html! {
        <section id={format!("panel-{}", props.name)} class="panel" aria-busy="true">
            <div class="panel-head"><h2>{ props.title }</h2></div>
            <div class={format!("plot plot-{} pending", props.name)}>{ "Computing the mean-field theory…" }</div>
        </section>
    }
}

/// The slide export's choices in the Export menu: a title, the settings line and, in dark mode,
/// light paper (they apply to "PNG 2x").
pub fn slide_options(name: &str, theme: Theme, options: &UseStateHandle<SlideOptions>) -> Html {
    use wasm_bindgen::JsCast;
    let id = |what: &str| format!("export-{what}-{name}");
    let on_title = {
        let options = options.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                options.set(SlideOptions {
                    title: input.value(),
                    ..(*options).clone()
                });
            }
        })
    };
    let check = |set: fn(&mut SlideOptions, bool)| {
        let options = options.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let mut next = (*options).clone();
                set(&mut next, input.checked());
                options.set(next);
            }
        })
    };
    html! {
        <fieldset class="export-slide">
            <legend>{ "For PNG 2x (slides)" }</legend>
            <label for={id("title")}>{ "Title (optional)" }</label>
            <input type="text" id={id("title")} class="export-title" maxlength="120"
                value={options.title.clone()} oninput={on_title} />
            <span class="toggle">
                <input type="checkbox" id={id("settings")} class="export-settings"
                    checked={options.settings} onchange={check(|o, v| o.settings = v)} />
                <label for={id("settings")}>{ "Settings line" }</label>
            </span>
            if theme == Theme::Dark {
                <span class="toggle">
                    <input type="checkbox" id={id("light")} class="export-light"
                        checked={options.light} onchange={check(|o, v| o.light = v)} />
                    <label for={id("light")}>{ "Light background" }</label>
                </span>
            }
        </fieldset>
    }
}

/// The plot boxes (canvas pixels) the chart drew, from the canvas's `data-plot`.
fn plot_boxes(c: &HtmlCanvasElement) -> Vec<[f64; 4]> {
    let text = c.get_attribute("data-plot").unwrap_or_default();
    text.split(';')
        .filter_map(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|t| t.parse().ok()).collect();
            (v.len() == 4 && v[2] > 0.0 && v[3] > 0.0).then(|| [v[0], v[1], v[2], v[3]])
        })
        .collect()
}

/// Device pixels per CSS pixel of the canvas as laid out.
fn canvas_scale(c: &HtmlCanvasElement) -> f64 {
    let w = f64::from(c.client_width());
    if w > 0.0 {
        f64::from(c.width()) / w
    } else {
        1.0
    }
}

/// The plot box under a point (canvas pixels), else the first: charts of several plots that
/// share their axes (the Train section's three heat maps) read in each.
fn box_at(boxes: &[[f64; 4]], x: f64, y: f64) -> Option<[f64; 4]> {
    boxes
        .iter()
        .find(|b| x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3])
        .or(boxes.first())
        .copied()
}

/// The readout's point under the pointer at (`offset_x`, `offset_y`) CSS pixels from the
/// canvas's top left.
fn pointed(canvas: &NodeRef, r: &Readout, offset_x: i32, offset_y: i32) -> Option<usize> {
    let c = canvas.cast::<HtmlCanvasElement>()?;
    let k = canvas_scale(&c);
    let (x, y) = (f64::from(offset_x) * k, f64::from(offset_y) * k);
    let b = box_at(&plot_boxes(&c), x, y)?;
    r.pick(x - b[0], y - b[1], b[2], b[3])
}

/// Moves the cursor to point `at`: a line across the first plot at its x, or a ring at the
/// point (CSS pixels within the wrapper).
fn place_cursor(canvas: &NodeRef, line: &NodeRef, r: Option<&Readout>, at: Option<usize>) {
    let (Some(c), Some(line), Some(r), Some(at)) = (
        canvas.cast::<HtmlCanvasElement>(),
        line.cast::<web_sys::HtmlElement>(),
        r,
        at,
    ) else {
        return;
    };
    let Some(b) = plot_boxes(&c).first().copied() else {
        return;
    };
    let Some((x, y)) = r.pixel(at, b[2], b[3]) else {
        return;
    };
    let k = canvas_scale(&c);
    let (left, top) = (
        (b[0] + x) / k + f64::from(c.offset_left()),
        b[1] / k + f64::from(c.offset_top()),
    );
    let style = line.style();
    if r.plane.is_some() {
        // The ring's centre on the point (its size is the stylesheet's).
        let _ = style.set_property("left", &format!("{left:.1}px"));
        let _ = style.set_property("top", &format!("{:.1}px", top + y / k));
    } else {
        let _ = style.set_property("left", &format!("{left:.1}px"));
        let _ = style.set_property("top", &format!("{top:.1}px"));
        let _ = style.set_property("height", &format!("{:.1}px", b[3] / k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readout_finds_the_nearest_point() {
        let r = Readout::along_x((0.5, 4.5), vec![1.0, 2.0, 3.0, 4.0], |i| i.to_string());
        assert_eq!(r.nearest(0.5), Some(0));
        assert_eq!(r.nearest(2.49), Some(1));
        assert_eq!(r.nearest(2.51), Some(2));
        assert_eq!(r.nearest(9.0), Some(3));
        let empty = Readout {
            xs: vec![],
            ..r.clone()
        };
        assert_eq!(empty.nearest(1.0), None);
    }

    #[test]
    fn arrow_keys_move_the_cursor_within_the_points() {
        // The first arrow shows the first point; then one point per press, clamped at the ends.
        let key = |k, at, n| readout_key(k, at, n, None);
        assert_eq!(key("ArrowRight", None, 50), Some(0));
        assert_eq!(key("ArrowRight", Some(0), 50), Some(1));
        assert_eq!(key("ArrowUp", Some(0), 50), Some(1));
        assert_eq!(key("ArrowLeft", Some(0), 50), Some(0));
        assert_eq!(key("ArrowRight", Some(49), 50), Some(49));
        assert_eq!(key("PageUp", Some(3), 50), Some(8));
        assert_eq!(key("PageDown", Some(3), 50), Some(0));
        assert_eq!(key("End", None, 50), Some(49));
        assert_eq!(key("Home", Some(20), 50), Some(0));
        assert_eq!(key("a", Some(2), 50), None);
        assert_eq!(key("ArrowRight", None, 0), None);
    }

    /// On a grid of 4 columns and 3 rows, up and down move a row and left and right a column,
    /// stopping at the edges; filled row by row (point = row * 4 + column) or column by column
    /// (point = column * 3 + row).
    #[test]
    fn on_a_grid_the_arrows_move_along_rows_and_columns() {
        let rows = |k, at| readout_key(k, at, 12, Some(Grid::Rows(4)));
        assert_eq!(
            rows("ArrowUp", None),
            Some(0),
            "the first press shows the first point"
        );
        assert_eq!(rows("ArrowUp", Some(1)), Some(5));
        assert_eq!(rows("ArrowUp", Some(9)), Some(9), "the top row stays");
        assert_eq!(rows("ArrowDown", Some(9)), Some(5));
        assert_eq!(rows("ArrowDown", Some(2)), Some(2), "the bottom row stays");
        assert_eq!(rows("ArrowRight", Some(2)), Some(3));
        assert_eq!(rows("ArrowRight", Some(3)), Some(3), "the right edge stays");
        assert_eq!(rows("ArrowLeft", Some(4)), Some(4), "the left edge stays");
        let columns = |k, at| readout_key(k, at, 12, Some(Grid::Columns(3)));
        assert_eq!(columns("ArrowUp", Some(0)), Some(1));
        assert_eq!(
            columns("ArrowUp", Some(2)),
            Some(2),
            "the top of a column stays"
        );
        assert_eq!(columns("ArrowDown", Some(3)), Some(3), "the bottom stays");
        assert_eq!(columns("ArrowRight", Some(1)), Some(4));
        assert_eq!(
            columns("ArrowRight", Some(10)),
            Some(10),
            "the right edge stays"
        );
        assert_eq!(columns("ArrowLeft", Some(10)), Some(7));
        assert_eq!(
            columns("ArrowLeft", Some(1)),
            Some(1),
            "the left edge stays"
        );
        assert_eq!(columns("End", Some(1)), Some(11));
        // A grid one point wide or high.
        let one = |k, at| readout_key(k, at, 3, Some(Grid::Rows(1)));
        assert_eq!(one("ArrowUp", Some(0)), Some(1));
        assert_eq!(one("ArrowRight", Some(0)), Some(0));
    }

    /// In the plane the pointer picks the nearest point in pixels (not in data units: the
    /// axes' scales differ); along x, only x counts.
    #[test]
    fn in_the_plane_the_nearest_point_is_nearest_on_screen() {
        // x from 0 to 10 over 100 px, y from 0 to 1 over 100 px (up).
        let r = Readout::in_plane(
            (0.0, 10.0),
            (0.0, 1.0),
            vec![(1.0, 0.9), (2.0, 0.1), (9.0, 0.5)],
            None,
            |i| i.to_string(),
        );
        // The points lie at (10, 10), (20, 90) and (90, 50) px from the top left.
        assert_eq!(r.pick(15.0, 85.0, 100.0, 100.0), Some(1));
        assert_eq!(r.pick(12.0, 15.0, 100.0, 100.0), Some(0));
        assert_eq!(r.pick(95.0, 50.0, 100.0, 100.0), Some(2));
        assert_eq!(r.pixel(2, 100.0, 100.0), Some((90.0, 50.0)));
        let line = Readout::along_x((0.0, 10.0), vec![1.0, 2.0, 9.0], |i| i.to_string());
        assert_eq!(line.pick(17.0, 99.0, 100.0, 100.0), Some(1));
        assert_eq!(line.pick(100.0, 0.0, 100.0, 100.0), Some(2));
    }
}
