//! The four panels. Each is a `<section id="panel-NAME">` with a heading, a canvas with a text
//! alternative, a plain-language caption and a "Download CSV" button.

use crate::charts::{self, activation::ActivationData, Style};
use crate::csv;
use crate::runner::SharedSim;
use crate::theory_view::Theory;
use crate::web;
use lab_core::{ActivationKind, LayerStats, Signal, SimView};
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
pub fn draw_on_screen(canvas: &NodeRef, renderer: &Renderer, draw: DrawFn) {
    if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
        let style = Style {
            dpr: web::device_pixel_ratio(),
            theme: web::theme(),
        };
        if charts::fit_canvas(&c, style.dpr) {
            if let Err(e) = draw(&c, &style) {
                web::log_error(&e);
            }
        }
    }
    *renderer.borrow_mut() = Some(draw);
}

/// Draws with `draw` into the canvas after every render whose `deps` changed; returns the
/// panel's [`Renderer`].
#[hook]
fn use_chart<D: PartialEq + 'static>(
    canvas: NodeRef,
    deps: D,
    draw: impl Fn(&HtmlCanvasElement, &Style) -> Result<(), String> + 'static,
) -> Renderer {
    let renderer: Renderer = use_mut_ref(|| None);
    {
        let renderer = renderer.clone();
        use_effect_with(deps, move |_| {
            draw_on_screen(&canvas, &renderer, Rc::new(draw));
        });
    }
    renderer
}

#[derive(Properties)]
pub struct PanelProps {
    pub name: &'static str,
    pub title: AttrValue,
    pub caption: Html,
    pub canvas: NodeRef,
    /// Text alternative of the canvas.
    pub summary: String,
    /// A warning shown as text under the plot (also drawn on the plot).
    #[prop_or_default]
    pub warning: Option<String>,
    pub on_download: Callback<MouseEvent>,
    /// Draws the chart again for the "PNG 2x" export.
    pub renderer: Renderer,
    #[prop_or_default]
    pub tools: Html,
    /// Extra content under the caption (numbers, tools).
    #[prop_or_default]
    pub extra: Html,
}

impl PartialEq for PanelProps {
    fn eq(&self, _: &Self) -> bool {
        false
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
                theme: web::theme(),
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
pub fn Panel(props: &PanelProps) -> Html {
    let title_id = format!("panel-{}-title", props.name);
    html! {
        <section id={format!("panel-{}", props.name)} class="panel" aria-labelledby={title_id.clone()}>
            <div class="panel-head">
                <h2 id={title_id}>{ &props.title }</h2>
                <div class="downloads">
                    <button type="button" class="download" onclick={props.on_download.clone()}
                        aria-label={format!("Download CSV of the {} panel", props.name)}>{ "Download CSV" }</button>
                    <button type="button" class="download-png" onclick={png_download(&props.canvas, props.name)}
                        aria-label={format!("Download PNG of the {} panel", props.name)}>{ "PNG" }</button>
                    <button type="button" class="download-png2x" onclick={png_download_2x(&props.canvas, &props.renderer, props.name)}
                        aria-label={format!("PNG 2x: download the {} panel at twice the size, for slides", props.name)}>{ "PNG 2x" }</button>
                </div>
            </div>
            { props.tools.clone() }
            <canvas ref={props.canvas.clone()} class={format!("plot plot-{}", props.name)}
                role="img" aria-label={props.summary.clone()}></canvas>
            if let Some(w) = &props.warning {
                <p class="warning" role="status">{ w }</p>
            }
            <p class="caption">{ props.caption.clone() }</p>
            { props.extra.clone() }
        </section>
    }
}

/// What every simulation panel needs: the shared simulation and a counter that changes when
/// it has new results.
#[derive(Properties, Clone)]
pub struct SimProps {
    pub sim: SharedSim,
    pub version: u64,
    pub resize: u64,
    #[prop_or_default]
    pub log_var: bool,
    #[prop_or_default]
    pub on_log_var: Callback<bool>,
    /// The mean-field theory to draw over the simulation (None: hidden).
    #[prop_or_default]
    pub theory: Option<Rc<Theory>>,
    #[prop_or_default]
    pub on_theory: Callback<bool>,
}

impl PartialEq for SimProps {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
            && self.resize == other.resize
            && self.log_var == other.log_var
            && match (&self.theory, &other.theory) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
    }
}

/// Plain-language description of a forward-signal failure.
pub fn forward_banner(sim: &SimView) -> Option<String> {
    match sim.forward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!(
            "exploded at layer {layer}: values overflow (beyond about 1e15 in size, variance above 1e30)"
        )),
        Signal::Vanished { layer } => Some(format!(
            "vanished at layer {layer}: the signal's second moment fell below 1e-30"
        )),
    }
}

/// The short form drawn on the canvases; the text under the plot gives the details.
fn short_forward_banner(sim: &SimView) -> Option<String> {
    match sim.forward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!("exploded at layer {layer}")),
        Signal::Vanished { layer } => Some(format!("vanished at layer {layer}")),
    }
}

/// Layers drawn by the forward panels: up to the one before an explosion, whose overflowing
/// values would flatten every other layer's line (the CSV still has all of them).
fn shown_layers(sim: &SimView) -> usize {
    match sim.forward_signal() {
        Signal::Exploded { layer } => layer.saturating_sub(1).min(sim.stats().len()),
        _ => sim.stats().len(),
    }
}

fn backward_banner(sim: &SimView) -> Option<String> {
    if let Some(reason) = sim.backward_skipped() {
        return Some(reason.to_string());
    }
    if !sim.is_done() {
        return None;
    }
    match sim.backward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!("gradient exploded at layer {layer}")),
        Signal::Vanished { layer } => Some(format!("gradient vanished at layer {layer}")),
    }
}

fn range_text(values: impl Iterator<Item = f64>) -> String {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo.is_finite() {
        format!("between {} and {}", fmt3(lo), fmt3(hi))
    } else {
        "not finite".to_string()
    }
}

pub fn fmt3(v: f64) -> String {
    if v.is_nan() {
        return "undefined".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "−∞" }.to_string();
    }
    // Round-off around an exact zero (3e-16 for a mean that is 0) reads as 0.
    let v = if v.abs() < 1e-12 { 0.0 } else { v };
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e4) {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}

fn file_stem(sim: &SimView) -> String {
    let c = sim.config();
    format!(
        "activation-lab-{}-{}-d{}-w{}-b{}-s{}",
        c.activation.kind.name(),
        c.init.name(),
        c.depth,
        c.width,
        c.batch,
        c.seed
    )
}

fn download_layers(sim: &SharedSim, panel: &'static str) -> Callback<MouseEvent> {
    let sim = sim.clone();
    Callback::from(move |_| {
        let s = sim.borrow();
        let name = format!("{}-{panel}.csv", file_stem(&s));
        if let Err(e) = web::download_text(&name, "text/csv", &csv::layers_csv(s.stats())) {
            web::log_error(&e);
        }
    })
}

#[function_component]
pub fn StatsPanel(props: &SimProps) -> Html {
    let canvas = use_node_ref();
    let renderer;
    {
        let sim = props.sim.clone();
        renderer = use_chart(
            canvas.clone(),
            (
                props.version,
                props.resize,
                props.log_var,
                props.theory.clone(),
            ),
            {
                let log_var = props.log_var;
                let theory = props.theory.clone();
                move |c, style| {
                    let s = sim.borrow();
                    let shown = shown_layers(&s);
                    let data = charts::stats::StatsData {
                        stats: &s.stats()[..shown],
                        depth: s.config().depth,
                        log_var,
                        banner: short_forward_banner(&s),
                        predicted: theory
                            .as_ref()
                            .and_then(|t| t.layers.as_deref())
                            .map(|p| &p[..shown.min(p.len())]),
                    };
                    charts::stats::draw(c, &data, style)
                }
            },
        );
    }
    let s = props.sim.borrow();
    let stats: &[LayerStats] = s.stats();
    let summary = format!(
        "Line chart over {} of {} layers: post-activation mean {}, variance {}.",
        stats.len(),
        s.config().depth,
        range_text(stats.iter().map(|x| x.post_mean)),
        range_text(stats.iter().map(|x| x.post_var)),
    );
    let on_log = {
        let cb = props.on_log_var.clone();
        Callback::from(move |v: bool| cb.emit(v))
    };
    html! {
        <Panel name="stats" title="Layer statistics: mean and variance"
            canvas={canvas} renderer={renderer} summary={summary} warning={forward_banner(&s)}
            on_download={download_layers(&props.sim, "stats")}
            tools={html!{ <div class="panel-tools">
                <crate::controls::Toggle name="log_var" label="Log variance axis" checked={props.log_var} onchange={on_log} />
                <crate::controls::Toggle name="theory" label="Mean-field theory (dotted green)" checked={props.theory.is_some()} onchange={props.on_theory.clone()} />
            </div> }}
            extra={props.theory.as_ref().map(|t| theory_numbers(t)).unwrap_or_default()}
            caption={html!{ <>
                { "Mean (top) and variance (bottom) of the pre-activations h (dashed, after normalization if one is chosen) and of the post-activations x (solid) at every layer, over all batch × width values. The grey dashed lines mark mean 0 and variance 1. " }
                <strong>{ "Look for: " }</strong>
                { "SELU with LeCun normal weights stays on those lines with no normalization layer; it even pulls an off-centre input back. ReLU with LeCun weights halves the variance every layer; He weights (twice the variance) keep it. BatchNorm or LayerNorm pin h to mean 0, variance 1 by force." }
            </> }} />
    }
}

/// The heat map exactly as drawn: shared value range, then counts per layer and bin.
pub(crate) fn heatmap_of(s: &SimView) -> charts::hist::Heatmap {
    let shown = shown_layers(s);
    let samples: Vec<&[f32]> = (1..=shown).map(|l| s.samples(l)).collect();
    let (lo, hi) = charts::hist::value_range(&s.stats()[..shown], &samples);
    charts::hist::Heatmap::build(&samples, lo, hi)
}

fn download_hist(sim: &SharedSim) -> Callback<MouseEvent> {
    let sim = sim.clone();
    Callback::from(move |_| {
        let s = sim.borrow();
        let name = format!("{}-hist.csv", file_stem(&s));
        if let Err(e) = web::download_text(&name, "text/csv", &csv::hist_csv(&heatmap_of(&s))) {
            web::log_error(&e);
        }
    })
}

#[function_component]
pub fn HistPanel(props: &SimProps) -> Html {
    let canvas = use_node_ref();
    let renderer;
    {
        let sim = props.sim.clone();
        renderer = use_chart(
            canvas.clone(),
            (props.version, props.resize),
            move |c, style| {
                let s = sim.borrow();
                let map = heatmap_of(&s);
                charts::hist::draw(
                    c,
                    &map,
                    s.config().depth,
                    short_forward_banner(&s).as_deref(),
                    style,
                )
            },
        );
    }
    let s = props.sim.borrow();
    let summary = format!(
        "Heat map of post-activation values for {} of {} layers; values span {}.",
        s.stats().len(),
        s.config().depth,
        range_text(s.stats().iter().flat_map(|x| [
            x.post_mean - 2.0 * x.post_var.sqrt(),
            x.post_mean + 2.0 * x.post_var.sqrt()
        ])),
    );
    html! {
        <Panel name="hist" title="Distribution of post-activations per layer"
            canvas={canvas} renderer={renderer} summary={summary} warning={forward_banner(&s)}
            on_download={download_hist(&props.sim)}
            caption={html!{ <>
                { "Each column is one layer; colour shows how densely that layer's values x fall at each height (yellow = most, each column scaled to its own peak, square-root scale; grey = none). Values come from a fixed subsample of at most 2048 per layer. The CSV holds the counts per layer and bin. " }
                <strong>{ "Look for: " }</strong>
                { "a band that keeps its width (stable), one that narrows to a line (the signal collapses), or one that fans out (it explodes). ReLU piles half of every layer's values at exactly 0." }
            </> }} />
    }
}

#[function_component]
pub fn GradsPanel(props: &SimProps) -> Html {
    let canvas = use_node_ref();
    let renderer;
    {
        let sim = props.sim.clone();
        renderer = use_chart(
            canvas.clone(),
            (props.version, props.resize, props.theory.clone()),
            {
                let chi1 = props
                    .theory
                    .as_ref()
                    .filter(|t| t.layers.is_some())
                    .map(|t| t.mean_field.chi1);
                move |c, style| {
                    let s = sim.borrow();
                    let data = charts::grads::GradsData {
                        stats: s.stats(),
                        depth: s.config().depth,
                        banner: if s.backward_skipped().is_some() {
                            Some("backward pass skipped: network too large".to_string())
                        } else {
                            backward_banner(&s)
                        },
                        chi1,
                    };
                    charts::grads::draw(c, &data, style)
                }
            },
        );
    }
    let s = props.sim.borrow();
    let computed = s.stats().iter().filter(|x| !x.grad_rms.is_nan()).count();
    let summary = format!(
        "Log-scale line chart of the backward signal's RMS for {} of {} layers, {}.",
        computed,
        s.config().depth,
        range_text(s.stats().iter().map(|x| x.grad_rms)),
    );
    html! {
        <Panel name="grads" title="Backward signal (gradient) per layer"
            canvas={canvas} renderer={renderer} summary={summary} warning={backward_banner(&s)}
            on_download={download_layers(&props.sim, "grads")}
            caption={html!{ <>
                { "RMS of δ" }<sup>{"l"}</sup>{ " = ∂L/∂h" }<sup>{"l"}</sup>{ " for the loss L = Σ g·x at the last layer, with g a fixed random N(0, 1) pattern; this is what training sends back to layer l. On this log axis a straight line is geometric growth or decay per layer. " }
                <strong>{ "Look for: " }</strong>
                { "a line falling toward layer 1 (vanishing gradients: early layers barely learn) or rising (exploding). SELU's forward statistics are stable, yet its backward signal still grows slowly toward the input, about 3.5% per layer in RMS at LeCun normal (mean-field χ₁ ≈ 1.07)." }
            </> }} />
    }
}

/// What to look for in the activation panel, for each activation (facts from science.md).
fn activation_note(kind: ActivationKind) -> &'static str {
    match kind {
        ActivationKind::Selu => "SELU's slope λ ≈ 1.0507 above 0 and its floor at −λα ≈ −1.758 below: stretching small values and squashing large negative ones is what pulls the mean back to 0 and the variance back to 1 under LeCun normal weights.",
        ActivationKind::Relu => "f′ is 1 for positive inputs and 0 otherwise: half of a zero-mean input is cut away, so each layer keeps only half of the second moment. LeCun weights (variance 1/fan_in) therefore halve it every layer; He weights (2/fan_in) make up for exactly that.",
        ActivationKind::LeakyRelu => "Like ReLU, but negative inputs keep a small slope s, so no unit is ever completely dead. The matching He gain is sqrt(2 / (1 + s²)).",
        ActivationKind::Elu => "ELU has SELU's shape (α(eˣ − 1) below 0) but not its scale: with α = 1 it never stretches, so under LeCun weights the variance decays layer after layer. ELU is not self-normalizing; only SELU's tuned λ and α are.",
        ActivationKind::Gelu => "GELU = x·Φ(x): the input weighted by the chance that a standard normal is below it. It is deterministic (the expectation of a random 0/1 mask, not a random function) and dips to −0.170 at x ≈ −0.752. PyTorch's GELU is this exact form unless approximate='tanh'.",
        ActivationKind::GeluTanh => "The tanh approximation of GELU differs from the exact erf form by at most about 4.7e-4 (near |x| = 2.7): tick the difference toggle to see it. jax.nn.gelu uses this approximation by default; PyTorch and TensorFlow default to the exact form.",
        ActivationKind::Silu => "SiLU/Swish = x·sigmoid(βx) dips to −0.278 at x ≈ −1.278 (β = 1). Like GELU it is smooth and not monotonic, and it is not self-normalizing: under LeCun weights the signal shrinks toward 0.",
        ActivationKind::Tanh => "tanh is odd with f′(0) = 1: small signals pass unchanged, large ones saturate. With weight variance σ_w² = 1 it sits at the edge of chaos; larger gains push it into the chaotic phase.",
        ActivationKind::Sigmoid => "The sigmoid's slope is at most 1/4 and its outputs are all positive, so the mean drifts away from 0 and gradients shrink by at least 4× per layer.",
        ActivationKind::Softplus => "softplus ln(1 + eˣ) is a smooth ReLU whose outputs are all positive; its derivative is the sigmoid.",
        ActivationKind::Mish => "Mish = x·tanh(softplus(x)) is smooth and not monotonic like SiLU, and dips to −0.309 at x ≈ −1.192. It is not self-normalizing: under LeCun weights the signal shrinks toward 0.",
        ActivationKind::Celu => "CELU = max(0, x) + min(0, α(e^(x/α) − 1)) rescales ELU's negative branch so that its slope is 1 on both sides of 0 for every α: continuously differentiable. α = 1 is ELU; α → 0 is ReLU.",
        ActivationKind::Linear => "With no nonlinearity the network is one matrix product: the variance is multiplied by σ_w² each layer, so anything but σ_w² = 1 vanishes or explodes, and orthogonal weights preserve every input's length exactly.",
    }
}

#[derive(Properties, PartialEq)]
pub struct ActivationPanelProps {
    pub data: ActivationData,
    pub resize: u64,
    pub tools: Html,
}

#[function_component]
pub fn ActivationPanel(props: &ActivationPanelProps) -> Html {
    let canvas = use_node_ref();
    let renderer;
    {
        let data = props.data.clone();
        renderer = use_chart(
            canvas.clone(),
            (props.data.clone(), props.resize),
            move |c, style| charts::activation::draw(c, &data, style),
        );
    }
    let d = &props.data;
    let on_download = {
        let data = d.clone();
        Callback::from(move |_| {
            let name = format!(
                "activation-lab-{}-curve.csv",
                data.label
                    .to_lowercase()
                    .replace([' ', '(', ')', ',', '/'], "-")
            );
            if let Err(e) =
                web::download_text(&name, "text/csv", &csv::activation_csv(&data.points))
            {
                web::log_error(&e);
            }
        })
    };
    let summary = format!(
        "Plot of {} and its derivative for x from {} to {}: f ranges {}, f' ranges {}.",
        d.label,
        fmt3(d.points.first().map(|p| p.0).unwrap_or(0.0)),
        fmt3(d.points.last().map(|p| p.0).unwrap_or(0.0)),
        range_text(d.points.iter().map(|p| p.1)),
        range_text(d.points.iter().map(|p| p.2)),
    );
    html! {
        <Panel name="activation" title={format!("Activation: {}", d.label)}
            canvas={canvas} renderer={renderer} summary={summary} on_download={on_download} tools={props.tools.clone()}
            caption={html!{ <>
                { "The activation f (solid) and its derivative f′ (dashed). Every layer multiplies a small change flowing backward by f′, so where |f′| < 1 signals shrink and where |f′| > 1 they grow. " }
                <strong>{ "Look for: " }</strong>
                { activation_note(d.kind) }
            </> }} />
    }
}

/// q*, chi_1, the depth scales and the phase, as selectable text.
pub fn theory_numbers(t: &Theory) -> Html {
    let mf = &t.mean_field;
    let q_star = match mf.q_star {
        Some(q) => fmt3(q),
        None => format!(
            "none ({})",
            match mf.length {
                lab_core::theory::LengthFixedPoint::Collapses => "q collapses to 0",
                lab_core::theory::LengthFixedPoint::Diverges => "q diverges",
                _ => "",
            }
        ),
    };
    html! {
        <div class="theory-numbers">
            <h3>{ "Mean-field theory at this setting" }</h3>
            <dl>
                <dt>{ "σ_w², σ_b²" }</dt><dd>{ format!("{}, {}", fmt3(t.sigma_w2), fmt3(t.sigma_b2)) }</dd>
                <dt>{ "fixed point q*" }</dt><dd>{ q_star }</dd>
                <dt>{ "χ₁ = σ_w² E[φ′(√q* z)²]" }</dt><dd>{ fmt3(mf.chi1) }</dd>
                <dt>{ "depth scale ξ_q" }</dt><dd>{ fmt3(mf.xi_q) }</dd>
                <dt>{ "depth scale ξ_c" }</dt><dd>{ fmt3(mf.xi_c) }</dd>
                <dt>{ "correlation fixed point c*" }</dt><dd>{ fmt3(mf.c_star) }</dd>
                <dt>{ "phase" }</dt><dd>{ mf.phase.label() }</dd>
            </dl>
            if let Some(c) = &t.caveat {
                <p class="caveat">{ c }</p>
            }
        </div>
    }
}
