//! `grads`: the backward signal's RMS per layer, with the mean-field slope.

use super::frame::{use_chart, Frame};
use super::text::{backward_banner, fmt3, layer_readout, layers_export, pins_at, range_text};
use super::PanelProps;
use crate::charts;
use yew::prelude::*;

#[function_component]
pub fn GradsPanel(props: &PanelProps) -> Html {
    let theory = props.theory();
    let canvas = use_node_ref();
    let pins = props.pin_views();
    let renderer;
    {
        let view = props.run.view.clone();
        renderer = use_chart(
            canvas.clone(),
            (
                props.run.view.clone(),
                props.resize,
                theory.clone(),
                pins.clone(),
            ),
            {
                let pins = pins.clone();
                let chi1 = theory
                    .as_ref()
                    .filter(|t| t.classic)
                    .map(|t| t.mean_field.chi1);
                move |c, style| {
                    let s = &*view;
                    let pin_stats = pins.stats(false);
                    let data = charts::grads::GradsData {
                        stats: s.stats(),
                        depth: s.config().depth,
                        banner: if s.backward_skipped().is_some() {
                            Some("backward pass skipped: network too large".to_string())
                        } else {
                            backward_banner(s)
                        },
                        chi1,
                        pins: &pin_stats,
                    };
                    charts::grads::draw(c, &data, style)
                }
            },
        );
    }
    let s = &*props.run.view;
    let csv = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        Callback::from(move |()| layers_export(&view, "grads", &pins))
    };
    let computed = s.stats().iter().filter(|x| !x.grad_rms.is_nan()).count();
    let summary = format!(
        "Log-scale line chart of the backward signal's RMS for {} of {} layers, {}.",
        computed,
        s.config().depth,
        range_text(s.stats().iter().map(|x| x.grad_rms)),
    );
    let grad_rms: Vec<f64> = s.stats().iter().map(|x| x.grad_rms).collect();
    let readout = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        let pick: fn(&lab_core::LayerStats) -> Vec<(&'static str, f64)> =
            |s| vec![("RMS", s.grad_rms)];
        layer_readout(
            charts::layer_range(s.config().depth, &pins.stats(false)),
            1,
            s.stats().len(),
            move |l| {
                format!(
                    "Layer {l}: RMS of dL/dh {}{}",
                    fmt3(view.stats()[l - 1].grad_rms),
                    pins_at(&pins, l, pick)
                )
            },
        )
    };
    let chi1 = theory
        .as_ref()
        .filter(|t| t.classic)
        .map(|t| t.mean_field.chi1);
    let (slope, note) = if s.is_done() {
        (
            crate::claims::grads_slope_note(s.config(), chi1, &grad_rms),
            crate::claims::grads_note(s.config(), &grad_rms),
        )
    } else {
        (None, None)
    };
    html! {
        <Frame name="grads" title="Backward signal (gradient) per layer"
            canvas={canvas} renderer={renderer} summary={summary} warning={backward_banner(s)}
            csv={csv} readout={readout}
            caption={html!{ <>
                { "RMS of δ" }<sup>{"l"}</sup>{ " = ∂L/∂h" }<sup>{"l"}</sup>{ " for the loss L = Σ g·x at the last layer, with g a fixed random N(0, 1) pattern; this is what training sends back to layer l. On this log axis a straight line is geometric growth or decay per layer. " }
                <strong>{ "Look for: " }</strong>
                { "a line falling toward layer 1 (vanishing gradients: early layers barely learn) or rising (exploding). " }
                if s.config().activation.kind == lab_core::ActivationKind::Selu {
                    { "Stable forward statistics do not imply a flat line: SELU with LeCun normal weights keeps mean 0 and variance 1, yet its backward signal grows slowly toward the input. " }
                }
                { slope.map(|t| format!("{t} ")).unwrap_or_default() }
                { note.unwrap_or_default() }
            </> }} />
    }
}
