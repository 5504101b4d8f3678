//! `phase`: chi_1 over the weight and bias variances, with the edge of chaos; a click moves
//! the network there.

use super::frame::{use_chart, Frame, Grid, PendingPanel, Readout};
use super::text::fmt3;
use super::{PanelId, PanelProps};
use crate::charts::{self, phase::PhaseData};
use crate::hooks::Same;
use crate::theory_view;
use yew::prelude::*;

#[function_component]
pub fn PhasePanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let frame = use_mut_ref(charts::phase::Frame::default);
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
    let readout = (*drawn).clone().and_then(phase_readout);
    html! {
        <Frame name="phase" {busy} title={PanelId::Phase.title()}
            canvas={canvas} renderer={renderer} summary={summary} csv={csv}
            onclick={Some(onclick)} readout={readout}
            caption={html!{ <>
                { "χ₁ = σ_w² E[φ′(√q* z)²] for every weight variance σ_w² and bias variance σ_b² (Schoenholz et al. 2017): blue where χ₁ < 1 (ordered, gradients vanish), red where χ₁ > 1 (chaotic, gradients explode), the solid black line is the edge of chaos χ₁ = 1 and the ring marks the current setting. " }
                <strong>{ "Click the map" }</strong>
                { " to move there: it sets the gain and the bias std. " }
                { crate::claims::phase_note(&bundle.theory, jumps) }
            </> }} />
    }
}

/// The phase map's readout: one point per grid cell, row by row from the smallest σ_b² (the
/// up and down arrows change σ_b², left and right σ_w²).
fn phase_readout(data: PhaseData) -> Option<Readout> {
    let (n, m) = (data.sw.len(), data.sb.len());
    if n == 0 || m == 0 || data.chi1.len() < n * m {
        return None;
    }
    let points = (0..m)
        .flat_map(|j| (0..n).map(move |i| (i, j)))
        .map(|(i, j)| (data.sw[i], data.sb[j]))
        .collect();
    Some(Readout::in_plane(
        PhaseData::cell_edges(&data.sw),
        PhaseData::cell_edges(&data.sb),
        points,
        Some(Grid::Rows(n)),
        move |k| {
            let (i, j) = (k % n, k / n);
            let chi1 = data.chi1[k];
            let phase = if !chi1.is_finite() {
                "not defined here"
            } else if chi1 < 1.0 {
                "ordered"
            } else if chi1 > 1.0 {
                "chaotic"
            } else {
                "critical"
            };
            let q = data
                .q_star
                .get(k)
                .filter(|q| q.is_finite())
                .map(|q| format!(", q* = {}", fmt3(*q)))
                .unwrap_or_default();
            format!(
                "σ_w² = {}, σ_b² = {}: χ₁ = {} ({phase}){q}",
                fmt3(data.sw[i]),
                fmt3(data.sb[j]),
                fmt3(chi1)
            )
        },
    ))
}
