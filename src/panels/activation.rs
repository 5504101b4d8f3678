//! `activation`: the chosen activation and its derivative, overlays of others, and for a GELU
//! the difference between its exact and tanh forms.

use super::frame::{use_chart, Frame};
use super::text::{fmt3, range_text};
use super::PanelProps;
use crate::charts::{self, activation::ActivationData};
use crate::components::sidebar::ParamControl;
use crate::components::widgets::Toggle;
use crate::csv;
use lab_core::ActivationKind;
use yew::prelude::*;

/// What to look for in the activation panel, for each activation (docs/science.md#activations).
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

/// The `activation` export: file name and text.
pub fn activation_export(data: &ActivationData) -> (String, String) {
    let name = format!(
        "activation-lab-{}-curve.csv",
        data.label
            .to_lowercase()
            .replace([' ', '(', ')', ',', '/'], "-")
    );
    (name, csv::activation_csv(&data.points))
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
            (data.clone(), props.resize),
            move |c, style| charts::activation::draw(c, &data, style),
        );
    }
    let d = &*data;
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
    html! {
        <Frame name="activation" title={format!("Activation: {}", d.label)}
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} tools={tools(props)}
            caption={html!{ <>
                { "The activation f (solid) and its derivative f′ (dashed). Every layer multiplies a small change flowing backward by f′, so where |f′| < 1 signals shrink and where |f′| > 1 they grow. " }
                <strong>{ "Look for: " }</strong>
                { activation_note(d.kind) }
            </> }} />
    }
}
