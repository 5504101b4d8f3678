//! `activation`: the chosen activation and its derivative, overlays of others, and for a GELU
//! the difference between its exact and tanh forms.

use super::frame::{use_chart, Frame};
use super::text::{fmt3, range_text};
use super::PanelProps;
use crate::charts::{self, activation::ActivationData};
use crate::claims;
use crate::components::sidebar::ParamControl;
use crate::components::widgets::Toggle;
use crate::csv;
use lab_core::ActivationKind;
use yew::prelude::*;

/// The `activation` export: file name and text.
pub fn activation_export(data: &ActivationData) -> (String, String) {
    let name = format!(
        "activation-lab-{}-curve.csv",
        data.label
            .to_lowercase()
            .replace([' ', '(', ')', ',', '/'], "-")
    );
    (
        name,
        csv::activation_csv(&data.points, data.gelu_diff.as_deref()),
    )
}

/// The x range, the GELU difference toggle and the overlay choices.
fn tools(props: &PanelProps) -> Html {
    let params = &props.params;
    let act = params.config.activation.kind;
    let is_gelu = matches!(act, ActivationKind::Gelu | ActivationKind::GeluTanh);
    let overlay_toggles = ActivationKind::ALL.iter().filter(|k| **k != act).map(|&k| {
        let checked = params.overlay.contains(&k);
        let current = params.overlay.clone();
        let set = props.set.clone();
        let onchange = Callback::from(move |on: bool| {
            let mut next: Vec<ActivationKind> = current.iter().copied().filter(|x| *x != k).collect();
            if on {
                next.push(k);
            }
            set.emit(("overlay", next.iter().map(|x| x.name()).collect::<Vec<_>>().join(",")));
        });
        html! { <Toggle name={format!("overlay-{}", k.name())} label={k.label()} {checked} {onchange} /> }
    });
    html! {
        <div class="panel-tools">
            <ParamControl name="xmax" params={params.clone()} set={props.set.clone()} />
            if is_gelu {
                <Toggle name="gelu_diff" label="Show GELU exact − tanh approximation" checked={params.gelu_diff} onchange={props.flag("gelu_diff")} />
            }
            <details class="overlay">
                <summary>{ "Overlay other activations" }</summary>
                <div class="overlay-list">{ for overlay_toggles }</div>
            </details>
        </div>
    }
}

#[function_component]
pub fn ActivationPanel(props: &PanelProps) -> Html {
    let p = &props.params;
    let data = use_memo(
        (
            p.config.activation,
            p.xmax.to_bits(),
            p.overlay.clone(),
            p.gelu_diff,
        ),
        |(act, xmax, overlay, diff)| {
            ActivationData::prepare(*act, f64::from_bits(*xmax), overlay, *diff)
        },
    );
    let canvas = use_node_ref();
    let renderer;
    {
        let data = data.clone();
        renderer = use_chart(
            canvas.clone(),
            // By identity: the memo makes the data anew only when its inputs change.
            (crate::hooks::Same(data.clone()), props.resize),
            move |c, style| charts::activation::draw(c, &data, style),
        );
    }
    let d = &*data;
    let bundle = props.theory_bundle();
    let theory = bundle.as_ref().map(|b| b.theory.clone());
    let note = claims::activation_note(&p.config, theory.as_deref());
    let gelu_diff_shown = p.gelu_diff
        && matches!(
            p.config.activation.kind,
            ActivationKind::Gelu | ActivationKind::GeluTanh
        );
    let csv = {
        let data = data.clone();
        Callback::from(move |()| activation_export(&data))
    };
    let summary = format!(
        "Plot of {} and its derivative for x from {} to {}: f ranges {}, f' ranges {}.",
        d.label,
        fmt3(d.points.first().map(|p| p.0).unwrap_or(0.0)),
        fmt3(d.points.last().map(|p| p.0).unwrap_or(0.0)),
        range_text(d.points.iter().map(|p| p.1)),
        range_text(d.points.iter().map(|p| p.2)),
    );
    let readout = (!d.points.is_empty()).then(|| {
        let data = data.clone();
        super::frame::Readout::along_x(
            (d.points[0].0, d.points[d.points.len() - 1].0),
            d.points.iter().map(|p| p.0).collect(),
            move |i| {
                let (x, f, df) = data.points[i];
                format!("x = {}: f(x) = {}, f′(x) = {}", fmt3(x), fmt3(f), fmt3(df))
            },
        )
    });
    html! {
        <Frame name="activation" title={format!("Activation: {}", d.label)}
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} tools={tools(props)} readout={readout}
            caption={html!{ <>
                { "The activation f (solid) and its derivative f′ (dashed). " }
                { claims::activation_caption(&p.config, theory.as_deref()) }
                { " " }
                if !note.is_empty() {
                    <strong>{ "Look for: " }</strong>
                    { note }
                }
                if gelu_diff_shown {
                    <p class="gelu-extrema">{ format!("Exact − tanh: {}.", claims::gelu_difference_text()) }</p>
                }
            </> }} />
    }
}
