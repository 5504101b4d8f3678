//! `jacobian`: the singular values of the input-output Jacobian of one input, as a histogram on a
//! log axis with its summary, and a one-click comparison of orthogonal with Gaussian weights.

use super::frame::{use_chart, Frame, Readout};
use super::{PanelId, PanelProps};
use crate::charts;
use crate::charts::jacobian::{value_range, Histogram, JacobianData, Series, BINS};
use crate::csv;
use crate::engine::jacobian_wire::JacobianUpdate;
use lab_core::theory::sigma_w2_of;
use lab_core::{Config, Initializer, JacobianSummary};
use std::rc::Rc;
use yew::prelude::*;

/// The gain control's largest value (the URL table's range for `gain`).
const MAX_GAIN: f64 = 5.0;

/// A finished Jacobian of a run.
#[derive(Clone, Debug)]
struct Finished {
    gen: u64,
    config: Config,
    values: Rc<Vec<f64>>,
}

/// The last finished Jacobian, and the one before it when they differ only in their weights
/// (the comparison).
#[derive(Debug, Default)]
struct History {
    last: Option<Finished>,
    compare: Option<Finished>,
}

impl History {
    fn record(&mut self, update: &JacobianUpdate, config: Config) {
        let new = update.done && !update.values.is_empty();
        if !new || self.last.as_ref().is_some_and(|l| l.gen == update.gen) {
            return;
        }
        match self.last.take() {
            Some(prev) if only_weights_differ(&prev.config, &config) => self.compare = Some(prev),
            Some(prev) if prev.config == config => {}
            _ => self.compare = None,
        }
        self.last = Some(Finished {
            gen: update.gen,
            config,
            values: Rc::new(update.values.clone()),
        });
    }
}

/// Whether `a` and `b` differ in their initializer (and perhaps the gain) and nothing else.
fn only_weights_differ(a: &Config, b: &Config) -> bool {
    a.init != b.init
        && Config {
            init: b.init,
            gain: b.gain,
            ..*a
        } == *b
}

/// What the comparison button switches to: (init, gain, its label). Orthogonal weights go to
/// LeCun normal with the same gain (the same sigma_w^2); any other initializer to orthogonal
/// with the gain that keeps its sigma_w^2, or None when that gain is beyond the control's range.
fn other_weights(config: &Config) -> Option<(Initializer, f64, &'static str)> {
    if config.init == Initializer::Orthogonal {
        return Some((
            Initializer::LecunNormal,
            f64::from(config.gain),
            "Compare with Gaussian weights",
        ));
    }
    let gain = sigma_w2_of(config).sqrt();
    (gain <= MAX_GAIN).then_some((
        Initializer::Orthogonal,
        gain,
        "Compare with orthogonal weights",
    ))
}

/// A singular value as text: 3 significant digits, in scientific notation when small or large
/// (never rounded to 0: these values span hundreds of orders of magnitude).
fn fmt_sv(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if !v.is_finite() {
        crate::claims::fmt3(v)
    } else if (1e-3..1e4).contains(&v.abs()) {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// A value, or that it is below the rounding floor.
fn fmt_resolved(v: f64, floor: f64) -> String {
    if v < floor {
        format!("below the floor ({})", fmt_sv(floor))
    } else {
        fmt_sv(v)
    }
}

/// "He normal weights", "Orthogonal weights": the initializer as the controls and the pins'
/// legends name it.
fn weights_label(config: &Config) -> String {
    format!("{} weights", crate::params::short(config.init.label()))
}

/// The histograms of this run's and the compared run's singular values over one range, as
/// drawn.
fn histograms(
    current: Option<&Finished>,
    compare: Option<&Finished>,
) -> (Option<Histogram>, Option<Histogram>) {
    let floor = |f: &Finished| JacobianSummary::new(&f.values, &f.config).floor;
    let sets: Vec<(&[f64], f64)> = current
        .iter()
        .chain(compare.iter())
        .map(|f| (f.values.as_slice(), floor(f)))
        .collect();
    let (lo, hi) = value_range(&sets);
    let hist = |f: &Finished| Histogram::build(&f.values, lo, hi, floor(f));
    (current.map(hist), compare.map(hist))
}

/// The histogram's readout, bin by bin along the log axis (in log10 units): its range and
/// counts, this run's and the compared run's.
fn bins_readout(current: Option<&Finished>, compare: Option<&Finished>) -> Option<Readout> {
    let (Some(hist), other) = histograms(current, compare) else {
        return None;
    };
    let (llo, lhi) = (hist.lo.log10(), hist.hi.log10());
    let xs = (0..BINS)
        .map(|b| llo + (b as f64 + 0.5) * (lhi - llo) / BINS as f64)
        .collect();
    let other_label = compare.map(|c| weights_label(&c.config));
    Some(Readout::along_x((llo, lhi), xs, move |b| {
        let (a, z) = hist.edges(b);
        let mut text = format!(
            "Singular values from {} to {}: {} of this run",
            fmt_sv(a),
            fmt_sv(z),
            hist.counts[b]
        );
        if let (Some(o), Some(label)) = (&other, &other_label) {
            text += &format!(", {} of the previous run ({label})", o.counts[b]);
        }
        if b == 0 && hist.below > 0 {
            text += &format!(
                "; and {} below the f64 floor, piled at this edge",
                hist.below
            );
        }
        text
    }))
}

/// The numbers under the plot, in plain words.
fn summary_text(s: &JacobianSummary, config: &Config) -> String {
    if s.largest == 0.0 {
        return "Every singular value is 0: J = 0, no input direction reaches the output."
            .to_string();
    }
    let mut text = format!(
        "{} singular values of J = ∂x^{}/∂x^0 for input 1: median {}, 5th to 95th percentile {} to {}, largest {}, smallest {}. ",
        s.count,
        config.depth,
        fmt_resolved(s.median, s.floor),
        fmt_resolved(s.p5, s.floor),
        fmt_resolved(s.p95, s.floor),
        fmt_sv(s.largest),
        fmt_resolved(s.smallest, s.floor),
    );
    if s.resolved() {
        text += &format!(
            "Condition number (largest / smallest) {}. ",
            fmt_sv(s.condition)
        );
    } else {
        text += &format!(
            "{} of {} values are below the f64 floor {} (largest × depth × width × 2⁻⁵²), where rounding in the product of the layers can dominate them: their exact values are lost (the histogram piles them at its left edge), and the condition number is only known to exceed about {}{}. ",
            s.below_floor,
            s.count,
            fmt_sv(s.floor),
            fmt_sv(s.largest / (2.0 * s.floor)),
            if s.smallest == 0.0 { " (the computed smallest is 0)" } else { "" },
        );
    }
    text += &format!(
        "Mean squared singular value (1/n) Σ s² = {}; ",
        fmt_sv(s.mean_squared)
    );
    match &s.prediction {
        Ok(p) => {
            text += &format!(
                "mean field predicts {} (the product over layers of χ₁ = σ_w² E[φ′(h)²]; χ₁^depth at the fixed point).",
                fmt_sv(*p)
            )
        }
        Err(reason) => text += &format!("{reason}."),
    }
    text
}

#[function_component]
pub fn JacobianPanel(props: &PanelProps) -> Html {
    let canvas = use_node_ref();
    let update = props.run.jacobian.clone();
    let config = *props.run.view.config();
    let history = use_mut_ref(History::default);
    history.borrow_mut().record(&update, config);
    let (current, compare) = {
        let h = history.borrow();
        let current = h
            .last
            .clone()
            .filter(|l| l.gen == update.gen && update.done);
        let compare = h
            .compare
            .clone()
            .filter(|c| current.is_some() && only_weights_differ(&c.config, &config));
        (current, compare)
    };
    let summary = current
        .as_ref()
        .map(|c| JacobianSummary::new(&c.values, &c.config));
    let sim_done = props.run.view.is_done() && props.run.corr.done;
    let banner = if !update.reason.is_empty() {
        Some("not computed (see below)".to_string())
    } else if update.done {
        None
    } else if !sim_done || update.gen != props.run.gen {
        Some("waiting for the simulation".to_string())
    } else {
        Some(format!(
            "computing the Jacobian: {:.0}%",
            100.0 * update.progress
        ))
    };
    let renderer = use_chart(
        canvas.clone(),
        (
            update.clone(),
            props.resize,
            compare.as_ref().map(|c| c.gen),
            banner.clone(),
        ),
        {
            let (current, compare, summary, banner) = (
                current.clone(),
                compare.clone(),
                summary.clone(),
                banner.clone(),
            );
            move |c, style| {
                let (current_hist, compare_hist) = histograms(current.as_ref(), compare.as_ref());
                let data = JacobianData {
                    current: current
                        .as_ref()
                        .zip(current_hist.as_ref())
                        .map(|(f, h)| Series {
                            hist: h,
                            label: format!("{} (this run)", weights_label(&f.config)),
                        }),
                    compare: compare
                        .as_ref()
                        .zip(compare_hist.as_ref())
                        .map(|(f, h)| Series {
                            hist: h,
                            label: format!("{} (previous run)", weights_label(&f.config)),
                        }),
                    percentiles: summary.as_ref().map(|s| [s.p5, s.median, s.p95]),
                    banner: banner.clone(),
                };
                charts::jacobian::draw(c, &data, style)
            }
        },
    );
    let csv = {
        let values = current.as_ref().map(|c| c.values.clone());
        Callback::from(move |()| {
            let values = values.as_deref().map_or(&[][..], Vec::as_slice);
            (
                "activation-lab-jacobian.csv".to_string(),
                csv::jacobian_csv(values),
            )
        })
    };
    // A reason is shown as the frame's warning; the text under it then has nothing to add.
    let text = match (&summary, update.reason.is_empty()) {
        (Some(s), _) => summary_text(s, &config),
        (None, false) => String::new(),
        (None, true) => banner.clone().unwrap_or_default(),
    };
    let aria = match &summary {
        Some(s) => format!(
            "Histogram of the {} singular values of the input-output Jacobian on a log axis; median {}, largest {}.",
            s.count,
            fmt_resolved(s.median, s.floor),
            fmt_sv(s.largest)
        ),
        None if !update.reason.is_empty() => {
            format!("The Jacobian is not computed: {}.", update.reason)
        }
        None => format!("Histogram of the Jacobian's singular values: {text}"),
    };
    let tools = match other_weights(&config) {
        Some((init, gain, label)) => {
            let set = props.set.clone();
            let current_gain = config.gain;
            let onclick = Callback::from(move |_: MouseEvent| {
                set.emit(("init", init.name().to_string()));
                if (gain - f64::from(current_gain)).abs() > 1e-6 {
                    set.emit(("gain", format!("{gain:.4}")));
                }
            });
            html! { <div class="panel-tools">
                <button type="button" class="jacobian-compare" onclick={onclick}>{ label }</button>
            </div> }
        }
        None => html! { <div class="panel-tools"><p class="note">{
            "No orthogonal comparison: the same σ_w² would need a gain above 5."
        }</p></div> },
    };
    html! {
        <Frame name="jacobian" title={PanelId::Jacobian.title()}
            canvas={canvas} renderer={renderer} summary={aria}
            warning={(!update.reason.is_empty()).then(|| update.reason.clone())}
            csv={csv} tools={tools} readout={bins_readout(current.as_ref(), compare.as_ref())}
            extra={html!{ <p class="jacobian-summary">{ text }</p> }}
            caption={html!{ <>
                { "How the whole network stretches small changes of one input: the singular values of its input-output Jacobian J = ∂x" }<sup>{"L"}</sup>{ "/∂x" }<sup>{"0"}</sup>
                { " for the first input of the batch (same weights as the simulation; computed after it, in f64, for widths up to 512). Mean and variance per layer can look perfect while some directions shrink to nothing; gradients travel back through Jᵀ, so they see the same spread. A value of 1 means that direction passes unchanged; all of them near 1 is dynamical isometry (Saxe et al. 2014; Pennington, Schoenholz and Ganguli 2017). " }
                <strong>{ "Look for: " }</strong>
                { "in the \"Dynamical isometry\" preset, tanh at the edge of chaos with orthogonal weights keeps most values within a decade of 1 at depth 100; the button swaps in Gaussian weights of the same variance, whose values spread over many orders of magnitude although the predicted mean square is the same. ReLU's zero slopes leave about half the units inactive at every layer, so no initialization makes it isometric. BatchNorm couples the examples of the batch: here its Jacobian for one input holds the batch's statistics of every layer fixed, as at inference." }
            </> }} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_keeps_sigma_w2() {
        let he = Config {
            init: Initializer::HeNormal,
            gain: 1.0,
            ..Config::default()
        };
        let (init, gain, _) = other_weights(&he).unwrap();
        assert_eq!(init, Initializer::Orthogonal);
        assert!((gain - 2f64.sqrt()).abs() < 1e-12);
        let ortho = Config {
            init: Initializer::Orthogonal,
            gain: 1.5,
            ..Config::default()
        };
        assert_eq!(
            other_weights(&ortho).map(|o| (o.0, o.1)),
            Some((Initializer::LecunNormal, 1.5))
        );
        // N(0, 1) weights have sigma_w^2 = width: beyond the gain's range at width 128.
        let normal = Config {
            init: Initializer::Normal,
            ..Config::default()
        };
        assert!(other_weights(&normal).is_none());
    }

    #[test]
    fn history_keeps_the_previous_run_only_when_just_the_weights_changed() {
        let a = Config {
            init: Initializer::Orthogonal,
            ..Config::default()
        };
        let b = Config {
            init: Initializer::LecunNormal,
            ..a
        };
        let done = |gen| JacobianUpdate {
            gen,
            progress: 1.0,
            values: vec![1.0],
            reason: String::new(),
            done: true,
        };
        let mut h = History::default();
        h.record(&done(1), a);
        h.record(&done(2), b);
        assert_eq!(h.compare.as_ref().map(|c| c.gen), Some(1));
        // The same result again changes nothing.
        h.record(&done(2), b);
        assert_eq!(h.compare.as_ref().map(|c| c.gen), Some(1));
        let deeper = Config { depth: 80, ..b };
        h.record(&done(3), deeper);
        assert!(h.compare.is_none());
    }

    /// The legend names the weights as the initializer control does, proper names capitalized.
    #[test]
    fn the_legend_names_the_weights_as_the_controls_do() {
        let label = |init| {
            weights_label(&Config {
                init,
                ..Config::default()
            })
        };
        assert_eq!(label(Initializer::HeNormal), "He normal weights");
        assert_eq!(label(Initializer::LecunUniform), "LeCun uniform weights");
        assert_eq!(label(Initializer::Orthogonal), "Orthogonal weights");
        assert_eq!(label(Initializer::Normal), "Standard normal weights");
    }

    #[test]
    fn small_values_are_never_shown_as_zero() {
        assert_eq!(fmt_sv(3e-150), "3.00e-150");
        assert_eq!(fmt_sv(0.5), "0.500");
        assert_eq!(fmt_resolved(1e-20, 1e-11), "below the floor (1.00e-11)");
    }
}
