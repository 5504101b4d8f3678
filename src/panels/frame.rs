//! What every panel shares: the frame (`<section id="panel-NAME">` with a heading, a canvas
//! with a text alternative, a plain-language caption and the CSV, PNG and PNG 2x buttons), and
//! the hook that draws a chart when its inputs change.

use crate::charts::{self, Style, Theme};
use crate::web;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// One way to draw a panel's chart into any canvas at any scale.
pub type DrawFn = Rc<dyn Fn(&HtmlCanvasElement, &Style) -> Result<(), String>>;
/// The panel's latest [`DrawFn`], kept so that "PNG 2x" can draw the same chart again at twice
/// its CSS size (crisp on slides), off screen.
pub type Renderer = Rc<RefCell<Option<DrawFn>>>;

/// Draws into the canvas on screen (sized by the device pixel ratio) and keeps `draw` in
/// `renderer` for the 2x export.
pub fn draw_on_screen(canvas: &NodeRef, renderer: &Renderer, theme: Theme, draw: DrawFn) {
    if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
        let style = Style {
            dpr: web::device_pixel_ratio(),
            theme,
        };
        if charts::fit_canvas(&c, style.dpr) {
            charts::axes::start_record();
            if let Err(e) = draw(&c, &style) {
                web::log_error(&e);
            }
            // What the chart layer drew where (tick labels, plots, legends), for the tests.
            let boxes = charts::axes::take_record().to_json();
            let _ = c.set_attribute("data-label-boxes", &boxes);
        }
    }
    *renderer.borrow_mut() = Some(draw);
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
    }
}

/// Saves the panel's canvas as drawn (at the device pixel ratio).
pub fn png_download(canvas: &NodeRef, name: &'static str) -> Callback<MouseEvent> {
    let canvas = canvas.clone();
    Callback::from(move |_| {
        if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
            if let Err(e) = web::download_canvas_png(&c, &format!("activation-lab-{name}.png")) {
                web::log_error(&e);
            }
        }
    })
}

/// Resolution of the slide export: twice the CSS size, whatever the screen.
pub const SLIDE_SCALE: f64 = 2.0;

/// Draws the chart again off screen at [`SLIDE_SCALE`] times its CSS size and saves it.
pub fn png_download_2x(
    canvas: &NodeRef,
    renderer: &Renderer,
    name: &'static str,
    theme: Theme,
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
            let off = web::offscreen_canvas(
                on_screen.client_width(),
                on_screen.client_height(),
                SLIDE_SCALE,
            )?;
            let style = Style {
                dpr: SLIDE_SCALE,
                theme,
            };
            draw(&off, &style)?;
            web::download_canvas_png(&off, &format!("activation-lab-{name}@2x.png"))
        })();
        if let Err(e) = result {
            web::log_error(&e);
        }
    })
}

#[function_component]
pub fn Frame(props: &FrameProps) -> Html {
    let theme = use_chart_theme();
    let title_id = format!("panel-{}-title", props.name);
    html! {
        <section id={format!("panel-{}", props.name)} class="panel" aria-labelledby={title_id.clone()}>
            <div class="panel-head">
                <h2 id={title_id}>{ &props.title }</h2>
                { export_menu(
                    props.name,
                    csv_download(&props.csv),
                    png_download(&props.canvas, props.name),
                    png_download_2x(&props.canvas, &props.renderer, props.name, theme),
                ) }
            </div>
            { props.tools.clone() }
            <canvas ref={props.canvas.clone()} class={classes!("plot", format!("plot-{}", props.name), props.onclick.is_some().then_some("clickable"))}
                role="img" aria-label={props.summary.clone()} onclick={props.onclick.clone()}></canvas>
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
