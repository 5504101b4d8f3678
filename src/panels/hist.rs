//! `hist`: a heat map of every layer's post-activation values.

use super::frame::{use_chart, Frame};
use super::text::{
    file_stem, fmt3, forward_banner, layer_readout, pins_at, range_text, short_forward_banner,
    shown_layers,
};
use super::PanelProps;
use crate::{charts, csv};
use lab_core::SimView;
use yew::prelude::*;

/// The heat map as drawn once the run is done: shared value range, then counts per layer and
/// bin.
pub fn heatmap_of(s: &SimView) -> charts::hist::Heatmap {
    heatmap_within(s, None)
}

/// The value range the heat map of `s` spans on its own.
fn value_range_of(s: &SimView) -> (f64, f64) {
    let shown = shown_layers(s);
    let samples: Vec<&[f32]> = (1..=shown).map(|l| s.samples(l)).collect();
    charts::hist::value_range(&s.stats()[..shown], &samples)
}

/// The heat map of `s` over its value range widened to `also` (the previous run's, while this
/// one computes, so that the value axis does not jump).
fn heatmap_within(s: &SimView, also: Option<(f64, f64)>) -> charts::hist::Heatmap {
    let shown = shown_layers(s);
    let samples: Vec<&[f32]> = (1..=shown).map(|l| s.samples(l)).collect();
    let (mut lo, mut hi) = charts::hist::value_range(&s.stats()[..shown], &samples);
    if let Some((a, b)) = also {
        // A run with no layers yet spans a made-up unit window: the previous run's alone.
        if shown == 0 {
            (lo, hi) = (a, b);
        } else {
            (lo, hi) = (lo.min(a), hi.max(b));
        }
    }
    charts::hist::Heatmap::build(&samples, lo, hi)
}

/// The `hist` export: file name and text.
pub fn hist_export(s: &SimView) -> (String, String) {
    (
        format!("{}-hist.csv", file_stem(s)),
        csv::hist_csv(&heatmap_of(s)),
    )
}

#[function_component]
pub fn HistPanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let pins = props.pin_views();
    let renderer;
    {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        renderer = use_chart(
            canvas.clone(),
            (props.run.view.clone(), props.resize, pins.clone()),
            move |c, style| {
                let s = &*view;
                let previous = pins
                    .0
                    .iter()
                    .find(|p| p.0 == charts::PREVIOUS)
                    .map(|p| value_range_of(&p.2.view));
                let map = heatmap_within(s, previous);
                charts::hist::draw(
                    c,
                    &map,
                    s.config().depth,
                    short_forward_banner(s).as_deref(),
                    &pins.stats(true),
                    style,
                )
            },
        );
    }
    let s = &*props.run.view;
    let csv = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        Callback::from(move |()| {
            let (name, text) = hist_export(&view);
            (
                name,
                pins.csv(text, |r| csv::hist_csv(&heatmap_of(&r.view))),
            )
        })
    };
    let readout = {
        let (view, pins) = (props.run.view.clone(), pins.clone());
        let pick: fn(&lab_core::LayerStats) -> Vec<(&'static str, f64)> =
            |s| vec![("mean", s.post_mean), ("std", s.post_var.max(0.0).sqrt())];
        let x_range = charts::layer_range(s.config().depth, &pins.stats(true));
        layer_readout(x_range, 1, shown_layers(s), move |l| {
            let st = &view.stats()[l - 1];
            format!(
                "Layer {l}: x mean {}, std {}{}",
                fmt3(st.post_mean),
                fmt3(st.post_var.max(0.0).sqrt()),
                pins_at(&pins, l, pick)
            )
        })
    };
    let summary = format!(
        "Heat map of post-activation values for {} of {} layers; values span {}.",
        s.stats().len(),
        s.config().depth,
        range_text(s.stats().iter().flat_map(|x| [
            x.post_mean - 2.0 * x.post_var.sqrt(),
            x.post_mean + 2.0 * x.post_var.sqrt()
        ])),
    );
    html! {
        <Frame name="hist" title="Distribution of post-activations per layer"
            canvas={canvas} renderer={renderer} summary={summary} warning={forward_banner(s)}
            csv={csv} readout={readout}
            caption={html!{ <>
                { "Each column is one layer; colour shows how densely that layer's values x fall at each height (yellow = most, each column scaled to its own peak, square-root scale; grey = none). Values come from a fixed subsample of at most 2048 per layer. The CSV holds the counts per layer and bin. A pinned run shows as two dashed lines, its layers' mean ± one standard deviation (the CSV then adds its own heat map's rows under a run column). " }
                <strong>{ "Look for: " }</strong>
                { "a band that keeps its width (stable), one that narrows to a line (the signal collapses), or one that fans out (it explodes). " }
                { crate::claims::hist_relu_note(props.run.view.config()) }
            </> }} />
    }
}
