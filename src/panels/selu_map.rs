//! `selu_map`: the (mean, variance) map of one random layer, its fixed point, and the simulated
//! layers on top.

use super::frame::{use_chart, Frame, PendingPanel, Readout};
use super::text::fmt3;
use super::{PanelId, PanelProps};
use crate::charts;
use crate::theory_view;
use yew::prelude::*;

#[function_component]
pub fn MapPanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let (theory, busy) = super::use_theory(props);
    let renderer = use_chart(
        canvas.clone(),
        (props.run.view.clone(), props.resize, theory.clone()),
        {
            let (view, theory) = (props.run.view.clone(), theory.clone());
            move |c, style| match &theory {
                Some(b) => {
                    let data = theory_view::map_data(&b.map, view.stats());
                    charts::selu_map::draw(c, &data, style)
                }
                None => Ok(()),
            }
        },
    );
    let Some(bundle) = theory else {
        return html! { <PendingPanel name="selu_map" title={PanelId::SeluMap.title()} /> };
    };
    let fixed_text = crate::claims::fixed_point_text(bundle.map.fixed_point.as_ref());
    let note = crate::claims::map_note(&props.params.config, &bundle.theory, &bundle.map);
    let csv = {
        let map = bundle.map.clone();
        Callback::from(move |()| {
            (
                "activation-lab-selu-map.csv".to_string(),
                theory_view::map_csv(&map),
            )
        })
    };
    let readout = map_readout(theory_view::map_data(&bundle.map, props.run.view.stats()));
    html! {
        <Frame name="selu_map" {busy} title={PanelId::SeluMap.title()}
            canvas={canvas} renderer={renderer} summary={fixed_text.clone()} csv={csv} readout={readout}
            caption={html!{ <>
                { "Each arrow points from a layer's output statistics (mean μ, variance ν) toward the next layer's, for one random layer of this activation and initialization (weights N(0, σ_w²/n): the next pre-activations are N(0, σ_w²(ν + μ²) + σ_b²); at μ = 0 this is the SNN paper's map g with ω = 0, τ = σ_w²). Dot: the fixed point reached from the first layer; blue line: the simulated network's layers. " }
                <strong>{ "Look for: " }</strong>
                { note }
            </> }}
            extra={html!{ <p class="theory-fixed">{ fixed_text }</p> }} />
    }
}

/// The map's readout, in the plane: the simulated layers in order, then the fixed points, then
/// the arrows of the map (where one layer sends its statistics).
fn map_readout(data: charts::selu_map::MapData) -> Option<Readout> {
    let (m0, m1, v0, v1) = data.view();
    let layers: Vec<(usize, (f64, f64))> = data
        .trajectory
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, p)| p.0.is_finite() && p.1.is_finite())
        .collect();
    let points: Vec<(f64, f64)> = layers
        .iter()
        .map(|(_, p)| *p)
        .chain(data.fixed_points.iter().map(|f| (f.0, f.1)))
        .chain(data.arrows.iter().map(|a| (a.0, a.1)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let (n_layers, n_fixed) = (layers.len(), data.fixed_points.len());
    Some(Readout::in_plane(
        (m0, m1),
        (v0, v1),
        points,
        None,
        move |i| {
            if i < n_layers {
                let (l, (m, v)) = layers[i];
                format!(
                    "Layer {} (simulated): mean {}, variance {}",
                    l + 1,
                    fmt3(m),
                    fmt3(v)
                )
            } else if i < n_layers + n_fixed {
                let (m, v, stable) = data.fixed_points[i - n_layers];
                format!(
                    "{} fixed point: mean {}, variance {}",
                    if stable { "Attracting" } else { "Unstable" },
                    fmt3(m),
                    fmt3(v)
                )
            } else {
                let (m, v, nm, nv) = data.arrows[i - n_layers - n_fixed];
                format!(
                    "The map: a layer with mean {}, variance {} gives the next mean {}, variance {}",
                    fmt3(m),
                    fmt3(v),
                    fmt3(nm),
                    fmt3(nv)
                )
            }
        },
    ))
}
