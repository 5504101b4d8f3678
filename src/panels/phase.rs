//! `phase`: chi_1 over the weight and bias variances, with the edge of chaos; a click moves
//! the network there.

use super::frame::{
    csv_download, export_menu, png_download, png_download_2x, slide_options, use_chart,
    use_chart_theme, ExportInfo, PendingPanel, SlideOptions,
};
use super::{PanelId, PanelProps};
use crate::charts::{self, phase::Frame};
use crate::hooks::Same;
use crate::theory_view;
use yew::prelude::*;

#[function_component]
pub fn PhasePanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let frame = use_mut_ref(Frame::default);
    let theme = use_chart_theme();
    let info = use_context::<ExportInfo>().unwrap_or_default();
    let options = use_state(SlideOptions::default);
    let (theory, busy) = super::use_theory(props);
    let drawn = use_memo(theory.clone(), |t| {
        t.as_ref().map(|b| theory_view::phase_data(b))
    });
    // The data by identity: the memo makes it anew only for a new theory, and comparing its
    // values would see a change at every render (the grid holds NaN where chi_1 is undefined).
    let renderer = use_chart(canvas.clone(), (Same(drawn.clone()), props.resize), {
        let (drawn, frame) = (drawn.clone(), frame.clone());
        move |c, style| match &*drawn {
            Some(data) => {
                *frame.borrow_mut() = charts::phase::draw(c, data, style)?;
                Ok(())
            }
            None => Ok(()),
        }
    });
    let Some(bundle) = theory else {
        return html! { <PendingPanel name="phase" title={PanelId::Phase.title()} /> };
    };
    let onclick = {
        let (data, frame, set, config) = (
            drawn.clone(),
            frame.clone(),
            props.set.clone(),
            props.params.config,
        );
        Callback::from(move |e: MouseEvent| {
            if let Some((sw2, sb2)) = (*data)
                .as_ref()
                .and_then(|d| d.at(&frame.borrow(), e.offset_x() as f64, e.offset_y() as f64))
            {
                let (gain, sb) = theory_view::gain_and_sb(&config, sw2, sb2);
                set.emit(("gain", format!("{gain:.3}")));
                set.emit(("sb", format!("{sb:.3}")));
            }
        })
    };
    let csv = {
        let data = bundle.phase.clone();
        Callback::from(move |()| {
            (
                "activation-lab-phase.csv".to_string(),
                theory_view::phase_csv(&data),
            )
        })
    };
    let jumps = (*drawn)
        .as_ref()
        .is_some_and(|d| !d.contours().1.is_empty());
    let summary = format!(
        "Heat map of χ₁ for {} over σ_w² from {} to {} and σ_b² from {} to {}: blue ordered, red chaotic, black line χ₁ = 1. Click to set the gain and bias.",
        props.params.config.activation.kind.label(),
        theory_view::PHASE_SW2.0,
        theory_view::PHASE_SW2.1,
        theory_view::PHASE_SB2.0,
        theory_view::PHASE_SB2.1
    );
    html! {
        <section id="panel-phase" class={classes!("panel", busy.then_some("busy"))}
            aria-labelledby="panel-phase-title" aria-busy={busy.then_some("true")}>
            <div class="panel-head">
                <h2 id="panel-phase-title">{ PanelId::Phase.title() }</h2>
                if busy {
                    <span class="busy-note">{ "updating for the new setting…" }</span>
                }
                { export_menu(
                    "phase",
                    csv_download(&csv),
                    png_download(&canvas, "phase", info.stem().to_string()),
                    png_download_2x(&canvas, &renderer, "phase", theme, info.clone(), (*options).clone()),
                    slide_options("phase", theme, &options),
                ) }
            </div>
            <canvas ref={canvas} class="plot plot-phase clickable" role="img" aria-label={summary} {onclick}></canvas>
            <p class="caption">
                { "χ₁ = σ_w² E[φ′(√q* z)²] for every weight variance σ_w² and bias variance σ_b² (Schoenholz et al. 2017): blue where χ₁ < 1 (ordered, gradients vanish), red where χ₁ > 1 (chaotic, gradients explode), the solid black line is the edge of chaos χ₁ = 1 and the ring marks the current setting. " }
                <strong>{ "Click the map" }</strong>
                { " to move there: it sets the gain and the bias std. " }
                { crate::claims::phase_note(&bundle.theory, jumps) }
            </p>
        </section>
    }
}
