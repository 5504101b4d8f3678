//! `selu_map`: the (mean, variance) map of one random layer, its fixed point, and the simulated
//! layers on top.

use super::frame::{use_chart, Frame, PendingPanel};
use super::text::fmt3;
use super::{PanelId, PanelProps};
use crate::charts;
use crate::theory_view;
use yew::prelude::*;

#[function_component]
pub fn MapPanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let theory = props.theory_bundle();
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
    let fixed = bundle.map.fixed_point;
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
        <Frame name="selu_map" title={PanelId::SeluMap.title()}
            canvas={canvas} renderer={renderer} summary={fixed_text.clone()} csv={csv}
            caption={html!{ <>
                { "Each arrow points from a layer's output statistics (mean μ, variance ν) toward the next layer's, for one random layer of this activation and initialization (weights N(0, σ_w²/n): the next pre-activations are N(0, σ_w²(ν + μ²) + σ_b²); at μ = 0 this is the SNN paper's map g with ω = 0, τ = σ_w²). Green dot: attracting fixed point; blue line: the simulated network's layers. " }
                <strong>{ "Look for: " }</strong>
                { "for SELU with LeCun normal weights the arrows converge on (0, 1) from everywhere on this map (Klambauer et al. 2017, Theorem 1): self-normalization. ELU, GELU and SiLU have no such point: their arrows drain the variance toward 0." }
            </> }}
            extra={html!{ <p class="theory-fixed">{ fixed_text }</p> }} />
    }
}
