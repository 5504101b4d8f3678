//! The theory panels: `corr`, `selu_map`, `phase`, and the "derive SELU" tool.

use crate::charts::selu_map::MapData;
use crate::charts::{self, phase::Frame, phase::PhaseData};
use crate::panels::{draw_on_screen, fmt3, png_download_2x, Panel, Renderer};
use crate::runner::{SharedCorr, SharedSim};
use crate::theory_view::{self, MapFixedPoint, Theory};
use crate::web;
use lab_core::theory;
use std::rc::Rc;
use yew::prelude::*;

fn download(name: String, text: impl Fn() -> String + 'static) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        if let Err(e) = web::download_text(&name, "text/csv", &text()) {
            web::log_error(&e);
        }
    })
}

#[derive(Properties, Clone)]
pub struct CorrPanelProps {
    pub sim: SharedSim,
    pub corr: SharedCorr,
    pub version: u64,
    pub resize: u64,
    pub theory: Rc<Theory>,
}

impl PartialEq for CorrPanelProps {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version && self.resize == o.resize && Rc::ptr_eq(&self.theory, &o.theory)
    }
}

#[function_component]
pub fn CorrPanel(props: &CorrPanelProps) -> Html {
    let canvas = use_node_ref();
    let renderer: Renderer = use_mut_ref(|| None);
    {
        let (canvas, renderer, sim, th, corr) = (
            canvas.clone(),
            renderer.clone(),
            props.sim.clone(),
            props.theory.clone(),
            props.corr.clone(),
        );
        use_effect_with(
            (props.version, props.resize, props.theory.clone()),
            move |_| {
                let s = sim.borrow();
                let data =
                    theory_view::corr_data(&th, s.config().depth, s.stats(), &corr.borrow().values);
                draw_on_screen(
                    &canvas,
                    &renderer,
                    Rc::new(move |c, style| charts::corr::draw(c, &data, style)),
                );
            },
        );
    }
    let s = props.sim.borrow();
    let c0 = s.config().input_corr;
    let last = s
        .stats()
        .iter()
        .rev()
        .find(|x| x.pair_corr.is_finite())
        .map(|x| x.pair_corr);
    let summary = format!(
        "Line chart of the correlation between paired inputs' pre-activations, starting at c0 = {c0}; simulated value at the last computed layer {}; predicted fixed point c* = {}.",
        last.map(fmt3).unwrap_or_else(|| "not yet computed".into()),
        fmt3(props.theory.mean_field.c_star)
    );
    let on_download = {
        let (sim, th, corr) = (props.sim.clone(), props.theory.clone(), props.corr.clone());
        download("activation-lab-corr.csv".into(), move || {
            let s = sim.borrow();
            theory_view::corr_csv(&th, s.stats(), s.config().depth, &corr.borrow().values)
        })
    };
    html! {
        <Panel name="corr" title={CORR_TITLE}
            canvas={canvas} renderer={renderer} summary={summary} on_download={on_download}
            caption={html!{ <>
                { "Sixteen pairs of inputs start with correlation c0 (the c0 control) and pass through the same network. Blue: the cosine similarity of each pair's pre-activations h, averaged over the pairs; dashed: the mean-field correlation map (Poole et al. 2016). " }
                <strong>{ "Look for: " }</strong>
                { "in the ordered phase (χ₁ < 1) every pair becomes perfectly correlated (c → 1): the network can no longer tell inputs apart. In the chaotic phase (χ₁ > 1) they decorrelate toward c* < 1. At the edge of chaos the approach is slowest, so information survives deepest." }
            </> }} />
    }
}

#[derive(Properties, Clone)]
pub struct MapPanelProps {
    pub sim: SharedSim,
    pub version: u64,
    pub resize: u64,
    pub theory: Rc<Theory>,
    /// The map's arrows and fixed point for this theory (computed in the worker).
    pub map: Rc<(MapData, Option<MapFixedPoint>)>,
}

impl PartialEq for MapPanelProps {
    fn eq(&self, o: &Self) -> bool {
        self.version == o.version && self.resize == o.resize && Rc::ptr_eq(&self.map, &o.map)
    }
}

#[function_component]
pub fn MapPanel(props: &MapPanelProps) -> Html {
    let canvas = use_node_ref();
    let renderer: Renderer = use_mut_ref(|| None);
    let arrows = props.map.clone();
    {
        let (canvas, renderer, sim, arrows) = (
            canvas.clone(),
            renderer.clone(),
            props.sim.clone(),
            arrows.clone(),
        );
        use_effect_with(
            (props.version, props.resize, props.map.clone()),
            move |_| {
                let s = sim.borrow();
                let mut data = arrows.0.clone();
                data.trajectory = s
                    .stats()
                    .iter()
                    .map(|x| (x.post_mean, x.post_var))
                    .collect();
                draw_on_screen(
                    &canvas,
                    &renderer,
                    Rc::new(move |c, style| charts::selu_map::draw(c, &data, style)),
                );
            },
        );
    }
    let fixed = arrows.1;
    let fixed_text = match fixed {
        Some(f) => {
            let ev: Vec<String> = f
                .eigenvalues
                .iter()
                .map(|(re, im)| if *im == 0.0 { fmt3(*re) } else { format!("{} ± {}i", fmt3(*re), fmt3(im.abs())) })
                .collect();
            format!(
                "Fixed point (mean, variance) = ({}, {}); Jacobian eigenvalues {} and {}: {}.",
                fmt3(f.mean),
                fmt3(f.var),
                ev[0],
                ev[1],
                if f.stable { "attracting (both inside the unit circle)" } else { "not attracting" }
            )
        }
        None => "No fixed point with positive variance: the variance collapses to 0 or grows without bound.".to_string(),
    };
    let on_download = {
        let arrows = arrows.clone();
        download("activation-lab-selu-map.csv".into(), move || {
            theory_view::map_csv(&arrows.0)
        })
    };
    html! {
        <Panel name="selu_map" title={MAP_TITLE}
            canvas={canvas} renderer={renderer} summary={fixed_text.clone()} on_download={on_download}
            caption={html!{ <>
                { "Each arrow points from a layer's output statistics (mean μ, variance ν) toward the next layer's, for one random layer of this activation and initialization (weights N(0, σ_w²/n): the next pre-activations are N(0, σ_w²(ν + μ²) + σ_b²); at μ = 0 this is the SNN paper's map g with ω = 0, τ = σ_w²). Green dot: attracting fixed point; blue line: the simulated network's layers. " }
                <strong>{ "Look for: " }</strong>
                { "for SELU with LeCun normal weights the arrows converge on (0, 1) from everywhere on this map (Klambauer et al. 2017, Theorem 1): self-normalization. ELU, GELU and SiLU have no such point: their arrows drain the variance toward 0." }
            </> }}
            extra={html!{ <p class="theory-fixed">{ fixed_text }</p> }} />
    }
}

#[derive(Properties)]
pub struct PhasePanelProps {
    pub data: Rc<PhaseData>,
    pub resize: u64,
    /// Receives the clicked (sigma_w^2, sigma_b^2).
    pub on_pick: Callback<(f64, f64)>,
    pub act_label: AttrValue,
    pub csv: Callback<(), String>,
}

impl PartialEq for PhasePanelProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.data, &o.data) && self.resize == o.resize && self.act_label == o.act_label
    }
}

#[function_component]
pub fn PhasePanel(props: &PhasePanelProps) -> Html {
    let canvas = use_node_ref();
    let frame = use_mut_ref(Frame::default);
    let renderer: Renderer = use_mut_ref(|| None);
    {
        let (canvas, renderer, data, frame) = (
            canvas.clone(),
            renderer.clone(),
            props.data.clone(),
            frame.clone(),
        );
        use_effect_with((props.data.clone(), props.resize), move |_| {
            draw_on_screen(
                &canvas,
                &renderer,
                Rc::new(move |c, style| {
                    *frame.borrow_mut() = charts::phase::draw(c, &data, style)?;
                    Ok(())
                }),
            );
        });
    }
    let onclick = {
        let (data, frame, pick) = (props.data.clone(), frame.clone(), props.on_pick.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(p) = data.at(&frame.borrow(), e.offset_x() as f64, e.offset_y() as f64) {
                pick.emit(p);
            }
        })
    };
    let on_download = {
        let csv = props.csv.clone();
        download("activation-lab-phase.csv".into(), move || csv.emit(()))
    };
    let summary = format!(
        "Heat map of χ₁ for {} over σ_w² from {} to {} and σ_b² from {} to {}: blue ordered, red chaotic, black line χ₁ = 1. Click to set the gain and bias.",
        props.act_label,
        theory_view::PHASE_SW2.0,
        theory_view::PHASE_SW2.1,
        theory_view::PHASE_SB2.0,
        theory_view::PHASE_SB2.1
    );
    html! {
        <section id="panel-phase" class="panel" aria-labelledby="panel-phase-title">
            <div class="panel-head">
                <h2 id="panel-phase-title">{ PHASE_TITLE }</h2>
                <div class="downloads">
                    <button type="button" class="download" onclick={on_download} aria-label="Download CSV of the phase panel">{ "Download CSV" }</button>
                    <button type="button" class="download-png" onclick={crate::panels::png_download(&canvas, "phase")} aria-label="Download PNG of the phase panel">{ "PNG" }</button>
                    <button type="button" class="download-png2x" onclick={png_download_2x(&canvas, &renderer, "phase")} aria-label="PNG 2x: download the phase panel at twice the size, for slides">{ "PNG 2x" }</button>
                </div>
            </div>
            <canvas ref={canvas} class="plot plot-phase clickable" role="img" aria-label={summary} {onclick}></canvas>
            <p class="caption">
                { "χ₁ = σ_w² E[φ′(√q* z)²] for every weight variance σ_w² and bias variance σ_b² (Schoenholz et al. 2017): blue where χ₁ < 1 (ordered, gradients vanish), red where χ₁ > 1 (chaotic, gradients explode), the black line is the edge of chaos χ₁ = 1 and the ring marks the current setting. " }
                <strong>{ "Click the map" }</strong>
                { " to move there: it sets the gain and the bias std. For ReLU the line is σ_w² = 2 at σ_b² = 0, He initialization; for tanh it bends from (1, 0) up to the right." }
            </p>
        </section>
    }
}

/// Solves SELU's fixed-point conditions for a chosen target variance.
#[function_component]
pub fn DeriveSelu() -> Html {
    let nu = use_state(|| 1.0f64);
    let result = use_memo(nu.to_bits(), {
        let nu = *nu;
        move |_| theory::derive_selu(nu)
    });
    let on_change = {
        let nu = nu.clone();
        Callback::from(move |v: String| -> String {
            let parsed = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .unwrap_or(1.0)
                .clamp(0.1, 4.0);
            nu.set(parsed);
            format!("{parsed}")
        })
    };
    let (lambda, alpha) = *result;
    html! {
        <section id="derive-selu" class="panel derive" aria-labelledby="derive-selu-title">
            <h2 id="derive-selu-title">{ "Derive SELU's constants" }</h2>
            <p class="caption">{ "SELU's λ and α are not arbitrary: they are the unique values for which (mean 0, variance ν*) is a fixed point of the map above (Klambauer et al. 2017). Choose the target variance and the two conditions E[selu(z)] = 0 and Var[selu(z)] = ν*, z ~ N(0, ν*), are solved by Newton's method." }</p>
            <crate::controls::Number name="nu_star" label="Target variance ν*" value={format!("{}", *nu)} min={0.1} max={4.0}
                scale={crate::controls::Scale::Linear { step: 0.05 }} onchange={on_change} />
            <p class="derived" aria-live="polite">
                { format!("λ = {lambda:.16}, α = {alpha:.16}") }
            </p>
        </section>
    }
}

/// Panel titles, shared by the panels and their placeholders.
pub const CORR_TITLE: &str = "Correlation of input pairs: order or chaos";
pub const MAP_TITLE: &str = "The self-normalization map (mean, variance) → next layer";
pub const PHASE_TITLE: &str = "Phase diagram: order to chaos";

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
