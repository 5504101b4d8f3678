//! `selu_map`: the (mean, variance) map of one random layer, its fixed point, and the simulated
//! layers on top.

use super::frame::{use_chart, Frame, PendingPanel};
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
    html! {
        <Frame name="selu_map" {busy} title={PanelId::SeluMap.title()}
            canvas={canvas} renderer={renderer} summary={fixed_text.clone()} csv={csv}
            caption={html!{ <>
                { "Each arrow points from a layer's output statistics (mean μ, variance ν) toward the next layer's, for one random layer of this activation and initialization (weights N(0, σ_w²/n): the next pre-activations are N(0, σ_w²(ν + μ²) + σ_b²); at μ = 0 this is the SNN paper's map g with ω = 0, τ = σ_w²). Dot: the fixed point reached from the first layer; blue line: the simulated network's layers. " }
                <strong>{ "Look for: " }</strong>
                { note }
            </> }}
            extra={html!{ <p class="theory-fixed">{ fixed_text }</p> }} />
    }
}
