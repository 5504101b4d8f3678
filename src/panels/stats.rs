//! `stats`: mean and variance of the pre- and post-activations per layer, with the mean-field
//! prediction and its numbers.

use super::frame::{use_chart, Frame};
use super::text::fmt3;
use super::text::{
    forward_banner, layer_readout, layers_export, pins_at, range_text, short_forward_banner,
    shown_layers,
};
use super::PanelProps;
use crate::charts;
use crate::components::widgets::Toggle;
use crate::theory_view::Theory;
use lab_core::{Config, LayerStats, Simulation};
use yew::prelude::*;

#[function_component]
pub fn StatsPanel(props: &PanelProps) -> Html {
    let theory = props.theory();
    let log_var = props.params.log_var;
    let canvas = use_node_ref();
    let pins = props.pin_views();
    let config = *props.run.view.config();
    let input = *use_memo(config, input_moments);
    let renderer;
    {
        let view = props.run.view.clone();
        renderer = use_chart(
            canvas.clone(),
            (
                props.run.view.clone(),
                props.resize,
                log_var,
                theory.clone(),
                pins.clone(),
                input.map(|(m, v)| (m.to_bits(), v.to_bits())),
            ),
            {
                let theory = theory.clone();
                let pins = pins.clone();
                move |c, style| {
                    let pin_stats = pins.stats(true);
                    let s = &*view;
                    let shown = shown_layers(s);
                    let data = charts::stats::StatsData {
                        stats: &s.stats()[..shown],
                        depth: s.config().depth,
                        log_var,
                        banner: short_forward_banner(s),
                        predicted: theory
                            .as_ref()
                            .and_then(|t| t.layers.as_deref())
                            .map(|p| &p[..shown.min(p.len())]),
                        input,
                        pins: &pin_stats,
                    };
                    charts::stats::draw(c, &data, style)
                }
            },
        );
    }
    let s = &*props.run.view;
    let stats: &[LayerStats] = s.stats();
    let summary = format!(
        "Line chart over {} of {} layers: post-activation mean {}, variance {}.",
        stats.len(),
        s.config().depth,
        range_text(stats.iter().map(|x| x.post_mean)),
        range_text(stats.iter().map(|x| x.post_var)),
    );
    let readout = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        let mut x_range = charts::layer_range(s.config().depth, &pins.stats(true));
        if input.is_some() {
            x_range.start = -0.5;
        }
        let pick: fn(&LayerStats) -> Vec<(&'static str, f64)> =
            |s| vec![("x mean", s.post_mean), ("x variance", s.post_var)];
        layer_readout(
            x_range,
            if input.is_some() { 0 } else { 1 },
            shown_layers(s),
            move |l| match (l, input) {
                (0, Some((m, v))) => format!(
                    "Layer 0 (the input x⁰): mean {}, variance {}",
                    fmt3(m),
                    fmt3(v)
                ),
                _ => {
                    let st = &view.stats()[l - 1];
                    format!(
                        "Layer {l}: x mean {}, x variance {}; h mean {}, h variance {}{}",
                        fmt3(st.post_mean),
                        fmt3(st.post_var),
                        fmt3(st.pre_mean),
                        fmt3(st.pre_var),
                        pins_at(&pins, l, pick)
                    )
                }
            },
        )
    };
    let on_log = props.flag("log_var");
    let on_theory = props.flag("theory");
    let csv = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        Callback::from(move |()| layers_export(&view, "stats", &pins))
    };
    html! {
        <Frame name="stats" title="Layer statistics: mean and variance"
            canvas={canvas} renderer={renderer} summary={summary} warning={forward_banner(s)}
            csv={csv} readout={readout}
            tools={html!{ <div class="panel-tools">
                <Toggle name="log_var" label="Log variance axis" checked={log_var} onchange={on_log} />
                <Toggle name="theory" label="Mean-field theory (dotted green)" checked={theory.is_some()} onchange={on_theory} />
            </div> }}
            extra={html! { <>
                { input_note(s, input) }
                { theory.as_ref().map(|t| theory_numbers(t, s.config().activation.kind)).unwrap_or_default() }
            </> }}
            caption={html!{ <>
                { format!("Mean (top) and variance (bottom) {} at every layer, over all batch × width values; layer 0 is the input x⁰ (on the post-activation line). The grey dashed lines mark mean 0 and variance 1. ", crate::claims::stats_quantities(s.config())) }
                <strong>{ "Look for: " }</strong>
                { "SELU with LeCun normal weights stays on those lines with no normalization layer; it even pulls an off-centre input back. Without bias, ReLU with LeCun weights halves the variance every layer; He weights (twice the variance) keep it. BatchNorm, LayerNorm and GroupNorm pin what they normalize (h, or x when placed after the activation) to mean 0, variance 1 by force; RMSNorm pins only its mean square to 1 (no centring), so the mean stays what the layer gives it." }
            </> }} />
    }
}

/// q¹, q*, chi_1, the depth scales, c* and the phase, each explained in one line, as
/// selectable text (crate::claims::theory_rows; none with a normalization layer).
pub fn theory_numbers(t: &Theory, kind: lab_core::ActivationKind) -> Html {
    let rows = crate::claims::theory_rows(t, kind);
    html! {
        <div class="theory-numbers">
            <h3>{ "Mean-field theory at this setting" }</h3>
            if !rows.is_empty() {
                <dl>
                    { for rows.into_iter().map(|r| html! { <>
                        <dt>{ r.name }</dt>
                        <dd>{ r.value }<span class="meaning">{ format!(" — {}", r.meaning) }</span></dd>
                    </> }) }
                </dl>
            }
            if let Some(c) = &t.caveat {
                <p class="caveat">{ c }</p>
            }
        </div>
    }
}

/// The mean and variance of the input x^0 the run uses (the same seeded draw: the simulation's
/// first work units), computed in the page; None if the setting is refused.
pub fn input_moments(config: &Config) -> Option<(f64, f64)> {
    let mut sim = Simulation::new(*config).ok()?;
    while sim.input().is_empty() {
        if sim.step(1.0) {
            break;
        }
    }
    let x = sim.input();
    (!x.is_empty()).then(|| lab_core::stats::mean_var(x))
}

/// With a non-zero input mean: what the first layer does with it, from the simulated numbers.
fn input_note(s: &lab_core::SimView, input: Option<(f64, f64)>) -> Html {
    let c = s.config();
    let (Some((mean0, var0)), Some(first)) = (input, s.stats().first()) else {
        return html! {};
    };
    if c.input_mean == 0.0 {
        return html! {};
    }
    // The stats panel's h^1 is the raw matmul output only without a normalization before
    // the activation.
    let raw_h = c.norm == lab_core::Normalization::None || c.norm_at.is_after(c.norm);
    let text = if c.is_residual() {
        format!(
            "The input (layer 0) has mean {} and variance {}. The skip connection carries it on: the stream after block 1 \
             has mean {}, while the branch's pre-activations h¹ have mean {} (its weights, of zero mean and random sign, \
             average the input mean away from the branch).",
            fmt3(mean0), fmt3(var0), fmt3(first.post_mean), fmt3(first.pre_mean)
        )
    } else if raw_h {
        format!(
            "The input (layer 0) has mean {} and variance {}, but layer 1's pre-activations h¹ = x⁰W¹ + b¹ have mean {}: \
             each unit adds the inputs with weights of random sign (zero mean), so the input mean m contributes m times the \
             unit's weight sum, a random number of mean zero, and over the units these average toward 0 (the more \
             units, the closer). It is not lost: it moves into h¹'s variance \
             ({} here), which grows with m² + in_std² rather than in_std² alone.",
            fmt3(mean0), fmt3(var0), fmt3(first.pre_mean), fmt3(first.pre_var)
        )
    } else {
        format!(
            "The input (layer 0) has mean {} and variance {}; layer 1's weights (zero mean, random signs) average the \
             input mean away from h¹ = x⁰W¹ + b¹, and the {} then rescales h¹ whatever the input (after it: mean {}, variance {}).",
            fmt3(mean0), fmt3(var0), match c.norm {
                lab_core::Normalization::Batch => "BatchNorm",
                lab_core::Normalization::Layer => "LayerNorm",
                lab_core::Normalization::Group => "GroupNorm",
                _ => "RMSNorm",
            }, fmt3(first.pre_mean), fmt3(first.pre_var)
        )
    };
    html! {
        <p class="input-note">{ text }</p>
    }
}
