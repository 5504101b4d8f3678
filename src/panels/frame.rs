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
    if first && !web::on_next_frame(draw_pending) {
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
        if !charts::fit_canvas_to(&c, w, h, dpr) {
            continue;
        }
        charts::axes::start_record();
        if let Err(e) = (d.draw)(&c, &style) {
            web::log_error(&e);
        }
        // What the chart layer drew where (tick labels, plots, legends), for the tests.
        let record = charts::axes::take_record();
        let _ = c.set_attribute("data-label-boxes", &record.to_json());
        // The first plot's box (canvas pixels), where the readout maps the pointer.
        if let Some(p) = record.plots.first() {
            let _ = c.set_attribute("data-plot", &format!("{},{},{},{}", p[0], p[1], p[2], p[3]));
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
    /// The chart still shows the previous setting's theory while the new one is computed: it
    /// is faded and says so.
    #[prop_or_default]
    pub busy: bool,
}

/// A chart's readout: the values at the point nearest the pointer, or at a cursor that the
/// arrow keys move when the chart has the keyboard focus; told in a live text line.
#[derive(Clone)]
pub struct Readout {
    /// The plot's x axis as drawn (data units), left to right.
    pub x_range: (f64, f64),
    /// The x of every point that can be read, increasing.
    pub xs: Vec<f64>,
    /// The text for point i.
    pub text: Rc<dyn Fn(usize) -> String>,
}

impl PartialEq for Readout {
    fn eq(&self, o: &Self) -> bool {
        self.x_range == o.x_range && self.xs == o.xs && Rc::ptr_eq(&self.text, &o.text)
    }
}

impl Readout {
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

/// The key's new cursor position among `n` points (None: not a readout key).
pub fn readout_key(key: &str, cursor: Option<usize>, n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let last = n - 1;
    let at = cursor.unwrap_or(0).min(last);
    let page = (n / 10).max(1);
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
    let onkeydown = props.readout.as_ref().map(|r| {
        let (cursor, n) = (cursor.clone(), r.xs.len());
        Callback::from(move |e: KeyboardEvent| {
            if let Some(next) = readout_key(&e.key(), *cursor, n) {
                e.prevent_default();
                cursor.set(Some(next));
            }
        })
    });
    let onmousemove = props.readout.as_ref().map(|r| {
        let (cursor, r, canvas) = (cursor.clone(), r.clone(), props.canvas.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(x) = pointer_x(&canvas, &r, e.offset_x()) {
                if let Some(i) = r.nearest(x) {
                    if *cursor != Some(i) {
                        cursor.set(Some(i));
                    }
                }
            }
        })
    });
    let title_id = format!("panel-{}-title", props.name);
    html! {
        <section id={format!("panel-{}", props.name)} class={classes!("panel", props.busy.then_some("busy"))}
            aria-labelledby={title_id.clone()} aria-busy={props.busy.then_some("true")}>
            <div class="panel-head">
                <h2 id={title_id}>{ &props.title }</h2>
                if props.busy {
                    <span class="busy-note">{ "updating for the new setting…" }</span>
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
                    <div ref={cursor_line} class="readout-cursor" hidden={at.is_none()} aria-hidden="true"></div>
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

/// The plot box (canvas pixels) the chart drew, from the canvas's `data-plot`.
fn plot_box(c: &HtmlCanvasElement) -> Option<[f64; 4]> {
    let text = c.get_attribute("data-plot")?;
    let v: Vec<f64> = text.split(',').filter_map(|t| t.parse().ok()).collect();
    (v.len() == 4 && v[2] > 0.0).then(|| [v[0], v[1], v[2], v[3]])
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

/// The data x under the pointer at `offset_x` CSS pixels from the canvas's left edge.
fn pointer_x(canvas: &NodeRef, r: &Readout, offset_x: i32) -> Option<f64> {
    let c = canvas.cast::<HtmlCanvasElement>()?;
    let b = plot_box(&c)?;
    let px = f64::from(offset_x) * canvas_scale(&c);
    let t = ((px - b[0]) / b[2]).clamp(0.0, 1.0);
    Some(r.x_range.0 + t * (r.x_range.1 - r.x_range.0))
}

/// Moves the cursor line to point `at` (CSS pixels within the wrapper).
fn place_cursor(canvas: &NodeRef, line: &NodeRef, r: Option<&Readout>, at: Option<usize>) {
    let (Some(c), Some(line), Some(r), Some(at)) = (
        canvas.cast::<HtmlCanvasElement>(),
        line.cast::<web_sys::HtmlElement>(),
        r,
        at,
    ) else {
        return;
    };
    let (Some(b), Some(&x)) = (plot_box(&c), r.xs.get(at)) else {
        return;
    };
    let k = canvas_scale(&c);
    let span = r.x_range.1 - r.x_range.0;
    if span <= 0.0 {
        return;
    }
    let left = (b[0] + (x - r.x_range.0) / span * b[2]) / k + f64::from(c.offset_left());
    let style = line.style();
    let _ = style.set_property("left", &format!("{left:.1}px"));
    let _ = style.set_property(
        "top",
        &format!("{:.1}px", b[1] / k + f64::from(c.offset_top())),
    );
    let _ = style.set_property("height", &format!("{:.1}px", b[3] / k));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readout_finds_the_nearest_point() {
        let r = Readout {
            x_range: (0.5, 4.5),
            xs: vec![1.0, 2.0, 3.0, 4.0],
            text: Rc::new(|i| i.to_string()),
        };
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
        assert_eq!(readout_key("ArrowRight", None, 50), Some(0));
        assert_eq!(readout_key("ArrowRight", Some(0), 50), Some(1));
        assert_eq!(readout_key("ArrowLeft", Some(0), 50), Some(0));
        assert_eq!(readout_key("ArrowRight", Some(49), 50), Some(49));
        assert_eq!(readout_key("PageUp", Some(3), 50), Some(8));
        assert_eq!(readout_key("PageDown", Some(3), 50), Some(0));
        assert_eq!(readout_key("End", None, 50), Some(49));
        assert_eq!(readout_key("Home", Some(20), 50), Some(0));
        assert_eq!(readout_key("a", Some(2), 50), None);
        assert_eq!(readout_key("ArrowRight", None, 0), None);
    }
}
