//! `corr`: how the correlation of input pairs evolves with depth, against the mean-field map.

use super::frame::{use_chart, Frame, PendingPanel};
use super::text::fmt3;
use super::{PanelId, PanelProps};
use crate::charts;
use crate::theory_view;
use yew::prelude::*;

#[function_component]
pub fn CorrPanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let (theory, busy) = super::use_theory(props);
    let pins = props.pin_views();
    let renderer = use_chart(
        canvas.clone(),
        (
            props.run.view.clone(),
            props.run.corr.clone(),
            props.resize,
            theory.clone(),
            pins.clone(),
        ),
        {
            let (view, corr, theory, pins) = (
                props.run.view.clone(),
                props.run.corr.clone(),
                theory.clone(),
                pins.clone(),
            );
            move |c, style| {
                let pin_stats = pins.stats(false);
                let depth = charts::layer_range(view.config().depth, &pin_stats).end as usize;
                let mut data = match &theory {
                    Some(b) => theory_view::corr_data(&b.theory, depth, view.stats(), &corr.values),
                    // The theory of a new run is on its way; the previous run's curve stays.
                    None if !pin_stats.is_empty() => charts::corr::CorrData {
                        depth,
                        ..Default::default()
                    },
                    None => return Ok(()),
                };
                data.pins = pin_stats
                    .iter()
                    .map(|p| (p.index, p.label.clone(), p.points(|s| s.pair_corr, false)))
                    .collect();
                charts::corr::draw(c, &data, style)
            }
        },
    );
    let Some(bundle) = theory else {
        if props.previous.is_none() {
            return html! { <PendingPanel name="corr" title={PanelId::Corr.title()} /> };
        }
        // The previous run's curve stays while the new run's theory is computed.
        return html! {
            <Frame name="corr" title={PanelId::Corr.title()} canvas={canvas} renderer={renderer}
                summary={"Line chart of the previous setting's pair correlation; this setting's mean-field theory is being computed.".to_string()}
                csv={Callback::from(|()| ("activation-lab-corr.csv".to_string(), String::new()))}
                caption={html! { "Computing the mean-field theory of this setting; the grey dashed curve is the previous setting's." }} />
        };
    };
    let s = &*props.run.view;
    let th = &bundle.theory;
    let c0 = s.config().input_corr;
    let last = s
        .stats()
        .iter()
        .rev()
        .find(|x| x.pair_corr.is_finite())
        .map(|x| x.pair_corr);
    let summary = format!(
        "Line chart of the correlation between paired inputs' pre-activations, starting at c0 = {c0}; simulated value at the last computed layer {}; predicted fixed point c* = {}.",
        last.map(fmt3).unwrap_or_else(|| "not yet computed".into()),
        fmt3(th.mean_field.c_star)
    );
    let csv = {
        let (view, th, corr) = (props.run.view.clone(), th.clone(), props.run.corr.clone());
        let pins = pins.clone();
        Callback::from(move |()| {
            let text = theory_view::corr_csv(&th, view.stats(), view.config().depth, &corr.values);
            let text = pins.csv(text, |r| match &r.theory {
                Some(b) => theory_view::corr_csv(
                    &b.theory,
                    r.view.stats(),
                    r.view.config().depth,
                    &r.corr.values,
                ),
                None => String::new(),
            });
            ("activation-lab-corr.csv".to_string(), text)
        })
    };
    let readout = {
        let (view, pins, corr) = (props.run.view.clone(), pins.clone(), props.run.corr.clone());
        let pick: fn(&lab_core::LayerStats) -> Vec<(&'static str, f64)> =
            |s| vec![("c", s.pair_corr)];
        super::text::layer_readout(
            charts::layer_range(s.config().depth, &pins.stats(false)),
            1,
            s.stats().len(),
            move |l| {
                let predicted = corr
                    .values
                    .get(l - 1)
                    .filter(|c| c.is_finite())
                    .map(|c| format!(", mean-field prediction {}", fmt3(*c)))
                    .unwrap_or_default();
                format!(
                    "Layer {l}: simulated correlation {}{predicted}{}",
                    fmt3(view.stats()[l - 1].pair_corr),
                    super::text::pins_at(&pins, l, pick)
                )
            },
        )
    };
    html! {
        <Frame name="corr" {busy} title={PanelId::Corr.title()}
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} readout={readout}
            caption={html!{ <>
                { "Sixteen pairs of inputs start with correlation c0 (the c0 control) and pass through the same network. " }
                { crate::claims::corr_quantity(props.run.view.config()) }
                { " Dashed: the mean-field correlation map (Poole et al. 2016). " }
                <strong>{ "Look for: " }</strong>
                { "with a finite q*, in the ordered phase (χ₁ < 1) every pair becomes perfectly correlated (c → 1) and in the chaotic phase (χ₁ > 1) they decorrelate toward c* < 1. " }
                { crate::claims::corr_note(th, &props.run.corr.values) }
            </> }} />
    }
}
