//! Words and numbers shared by the panels: banners for failed signals, ranges, file names.

pub use crate::claims::fmt3;
use crate::csv;
use lab_core::{Signal, SimView};

/// Plain-language description of a forward-signal failure.
pub fn forward_banner(sim: &SimView) -> Option<String> {
    match sim.forward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!(
            "exploded at layer {layer}: values overflow (beyond about 1e15 in size, variance above 1e30)"
        )),
        Signal::Vanished { layer } => Some(format!(
            "vanished at layer {layer}: the signal's second moment fell below 1e-30"
        )),
    }
}

/// The short form drawn on the canvases; the text under the plot gives the details.
pub fn short_forward_banner(sim: &SimView) -> Option<String> {
    match sim.forward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!("exploded at layer {layer}")),
        Signal::Vanished { layer } => Some(format!("vanished at layer {layer}")),
    }
}

/// Layers drawn by the forward panels: up to the one before an explosion, whose overflowing
/// values would flatten every other layer's line (the CSV still has all of them).
pub fn shown_layers(sim: &SimView) -> usize {
    match sim.forward_signal() {
        Signal::Exploded { layer } => layer.saturating_sub(1).min(sim.stats().len()),
        _ => sim.stats().len(),
    }
}

pub fn backward_banner(sim: &SimView) -> Option<String> {
    if let Some(reason) = sim.backward_skipped() {
        return Some(reason.to_string());
    }
    if !sim.is_done() {
        return None;
    }
    match sim.backward_signal() {
        Signal::Healthy => None,
        Signal::Exploded { layer } => Some(format!("gradient exploded at layer {layer}")),
        Signal::Vanished { layer } => Some(format!("gradient vanished at layer {layer}")),
    }
}

pub fn range_text(values: impl Iterator<Item = f64>) -> String {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo.is_finite() {
        format!("between {} and {}", fmt3(lo), fmt3(hi))
    } else {
        "not finite".to_string()
    }
}

pub fn file_stem(sim: &SimView) -> String {
    config_stem(sim.config())
}

/// "activation-lab-selu-lecun_normal-d50-w128-b128-s1": the file names' settings part.
pub fn config_stem(c: &lab_core::Config) -> String {
    format!(
        "activation-lab-{}-{}-d{}-w{}-b{}-s{}",
        c.activation.kind.name(),
        c.init.name(),
        c.depth,
        c.width,
        c.batch,
        c.seed
    )
}

/// The `stats` and `grads` export: file name and text (with the pinned runs' rows under a
/// `run` column when there are pins).
pub fn layers_export(sim: &SimView, panel: &str, pins: &super::PinViews) -> (String, String) {
    (
        format!("{}-{panel}.csv", file_stem(sim)),
        pins.csv(csv::layers_csv(sim.stats()), |r| {
            csv::layers_csv(r.view.stats())
        }),
    )
}

/// A readout over layers `first..=last` of an axis drawn over `x_range`: the text of layer l is
/// `text(l)`.
pub fn layer_readout(
    x_range: std::ops::Range<f64>,
    first: usize,
    last: usize,
    text: impl Fn(usize) -> String + 'static,
) -> Option<super::frame::Readout> {
    if last < first {
        return None;
    }
    Some(super::frame::Readout::along_x(
        (x_range.start, x_range.end),
        (first..=last).map(|l| l as f64).collect(),
        move |i| text(first + i),
    ))
}

/// "; pin 1: name a, name b" ("; previous: ...") for each pin that has layer l, from `pick` (name, value) pairs.
pub fn pins_at(
    pins: &super::PinViews,
    layer: usize,
    pick: fn(&lab_core::LayerStats) -> Vec<(&'static str, f64)>,
) -> String {
    pins.0
        .iter()
        .filter_map(|(i, _, run)| {
            let s = run.view.stats().get(layer.checked_sub(1)?)?;
            let values = pick(s)
                .into_iter()
                .map(|(name, v)| format!("{name} {}", fmt3(v)))
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!("; {}: {values}", super::PinViews::name(*i)))
        })
        .collect()
}
