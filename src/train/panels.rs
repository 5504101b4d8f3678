//! The Train section's panels: `loss`, `train_stats`, `weights` and (two-dimensional tasks)
//! `decision`. Each is a `<section id="panel-NAME">` with its CSV (the core's exports), PNG
//! and PNG 2x buttons, a caption saying what to look for, and a text alternative.

use super::state::TrainState;
use crate::charts::decision::DecisionData;
use crate::charts::loss::{LossData, LossRun};
use crate::charts::train_common::MAX_RUNS;
use crate::charts::train_stats::TrainStatsData;
use crate::charts::weights::{WeightsData, WeightsRun};
use crate::charts::{self};
use crate::components::widgets::Toggle;
use crate::panels::frame::{use_chart, Frame, Grid, Readout};
use crate::panels::text::fmt3;
use crate::params::Params;
use lab_core::train::{self, History, Shape2d, Task};
use yew::prelude::*;

#[derive(Properties, PartialEq, Clone)]
pub struct TrainPanelProps {
    pub state: TrainState,
    pub params: Params,
    pub resize: u64,
    /// Classes of the task (the guessing lines).
    pub classes: usize,
}

fn histories(state: &TrainState) -> Vec<(&str, &History)> {
    state
        .runs
        .iter()
        .map(|r| (r.label.as_str(), &*r.history))
        .collect()
}

#[function_component]
pub fn LossPanel(props: &TrainPanelProps) -> Html {
    let canvas = use_node_ref();
    let log_y = use_state(|| false);
    let data = LossData {
        runs: props
            .state
            .runs
            .iter()
            .map(|r| LossRun::from_history(r.label.clone(), &r.history))
            .collect(),
        steps: props.state.steps.max(props.params.train.steps),
        log_y: *log_y,
        chance_loss: Some((props.classes.max(2) as f64).ln()),
    };
    let renderer = use_chart(canvas.clone(), (data.clone(), props.resize), {
        let data = data.clone();
        move |c, style| charts::loss::draw(c, &data, style)
    });
    let csv = {
        let state = props.state.clone();
        Callback::from(move |()| {
            (
                "activation-lab-train-loss.csv".to_string(),
                train::loss_csv(&histories(&state)),
            )
        })
    };
    let summary = loss_summary(&props.state);
    let readout = loss_readout(&data);
    let on_log = {
        let log_y = log_y.clone();
        Callback::from(move |v: bool| log_y.set(v))
    };
    html! {
        <Frame name="loss" title="Loss and accuracy while training"
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} readout={readout}
            tools={html!{ <div class="panel-tools">
                <Toggle name="loss_log" label="Log loss axis" checked={*log_y} onchange={on_log} />
            </div> }}
            caption={html!{ <>
                { "Top: the loss of every minibatch (faint points) and its smoothed line, and at each evaluation the loss on the whole training set (filled) and test set (hollow); grey: ln(classes), the loss of guessing. Bottom: accuracy at each evaluation, chance at 1/classes. " }
                <strong>{ "Look for: " }</strong>
                { "whether the loss leaves the guessing line at all (a network whose signal vanishes before the output cannot learn: the preset \u{201c}ReLU with LeCun weights cannot learn when deep\u{201d}), how fast each run falls, and the gap between training and test loss (overfitting)." }
            </> }} />
    }
}

/// The loss chart's readout, at each evaluation step: every run's losses and accuracy there,
/// and its smoothed minibatch loss.
fn loss_readout(data: &LossData) -> Option<Readout> {
    let runs: Vec<LossRun> = data.runs.iter().take(MAX_RUNS).cloned().collect();
    let mut steps: Vec<usize> = runs
        .iter()
        .flat_map(|r| r.evals.iter().map(|e| e.0))
        .collect();
    steps.sort_unstable();
    steps.dedup();
    if steps.is_empty() {
        return None;
    }
    let x = charts::train_common::step_axis(data.steps);
    let smoothed: Vec<Vec<f64>> = runs
        .iter()
        .map(|r| charts::loss::ema(&r.batch_loss, charts::loss::EMA_WEIGHT))
        .collect();
    let xs = steps.iter().map(|&s| s as f64).collect();
    Some(Readout::along_x((x.start, x.end), xs, move |i| {
        let step = steps[i];
        let parts: Vec<String> = runs
            .iter()
            .zip(&smoothed)
            .filter_map(|(r, smooth)| {
                let e = r.evals.iter().find(|e| e.0 == step)?;
                let batch = step
                    .checked_sub(1)
                    .and_then(|k| smooth.get(k))
                    .map(|v| format!(", smoothed minibatch loss {}", fmt3(*v)))
                    .unwrap_or_default();
                Some(format!(
                    "{}training loss {}, test loss {}, test accuracy {}{batch}",
                    run_name(&r.label),
                    fmt3(e.1),
                    fmt3(e.3),
                    fmt3(e.4)
                ))
            })
            .collect();
        format!("Step {step}: {}", parts.join("; "))
    }))
}

/// "label: " before a run's values (nothing for a run without a label: a single run).
fn run_name(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("{label}: ")
    }
}

fn loss_summary(state: &TrainState) -> String {
    if state.runs.is_empty() {
        return "Loss chart: not trained yet.".into();
    }
    state
        .runs
        .iter()
        .map(|r| match r.history.evals.last() {
            Some(e) => format!(
                "{}: at step {}, training loss {}, test loss {}, test accuracy {}",
                r.label,
                e.step,
                fmt3(e.train_loss),
                fmt3(e.test_loss),
                fmt3(e.test_acc)
            ),
            None => format!("{}: no evaluation yet", r.label),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[function_component]
pub fn TrainStatsPanel(props: &TrainPanelProps) -> Html {
    let canvas = use_node_ref();
    let chosen = use_state(|| 0usize);
    let run = props.state.runs.get(*chosen).or(props.state.runs.first());
    // The evaluation and layer whose values are read out (clicked; else the latest).
    let picked = use_state(|| None::<(usize, usize)>);
    let frame = use_mut_ref(charts::train_stats::Frame::default);
    let data = run.map(|r| {
        let mut d = TrainStatsData::from_history(r.label.clone(), &r.history);
        d.cursor = picked.map(|p| p.0).or(d.steps.len().checked_sub(1));
        d
    });
    let renderer = use_chart(canvas.clone(), (data.clone(), props.resize), {
        let (data, frame) = (data.clone().unwrap_or_default(), frame.clone());
        move |c, style| {
            *frame.borrow_mut() = charts::train_stats::draw(c, &data, style)?;
            Ok(())
        }
    });
    let onclick = {
        let (frame, picked) = (frame.clone(), picked.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(at) = frame.borrow().at(e.offset_x() as f64, e.offset_y() as f64) {
                picked.set(Some(at));
            }
        })
    };
    // The readout: one point per cell, column by column (evaluation e, layer l at
    // e * layers + l, as the data), the same cell in each of the three maps.
    let readout = data.clone().and_then(|d| {
        let (evals, layers) = (d.steps.len(), d.layers);
        let n = (evals * layers)
            .min(d.post_mean.len())
            .min(d.post_var.len())
            .min(d.grad_rms.len());
        let evals = n.checked_div(layers).unwrap_or(0);
        if evals == 0 {
            return None;
        }
        let points = (0..evals * layers)
            .map(|k| ((k / layers) as f64 + 0.5, (k % layers) as f64 + 0.5))
            .collect();
        Some(Readout::in_plane(
            (0.0, evals as f64),
            (0.0, layers as f64),
            points,
            Some(Grid::Columns(layers)),
            move |k| {
                format!(
                    "Step {}, layer {}: post-activation mean {}, variance {}, gradient RMS {}",
                    d.steps[k / layers],
                    k % layers + 1,
                    fmt3(d.post_mean[k]),
                    fmt3(d.post_var[k]),
                    fmt3(d.grad_rms[k])
                )
            },
        ))
    });
    let on_cursor = {
        let (picked, layers) = (picked.clone(), data.as_ref().map_or(0, |d| d.layers));
        Callback::from(move |k: usize| {
            if let (Some(e), Some(l)) = (k.checked_div(layers), k.checked_rem(layers)) {
                picked.set(Some((e, l)));
            }
        })
    };
    let csv = {
        let state = props.state.clone();
        Callback::from(move |()| {
            (
                "activation-lab-train-stats.csv".to_string(),
                train::train_stats_csv(&histories(&state)),
            )
        })
    };
    let summary = match run.and_then(|r| r.history.evals.last().map(|e| (r, e))) {
        Some((r, e)) => {
            let (lo, hi) = e
                .layers
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                    (a.min(p.post_var), b.max(p.post_var))
                });
            format!(
                "Heat maps of layer by step for {}: at step {}, the layers' post-activation variance is between {} and {}.",
                r.label,
                e.step,
                fmt3(lo),
                fmt3(hi)
            )
        }
        None => "Heat maps of the layers' statistics through training: not trained yet.".into(),
    };
    let picker = html! {
        <RunPicker id="train_stats_run" labels={props.state.runs.iter().map(|r| r.label.clone()).collect::<Vec<_>>()}
            chosen={*chosen} onchange={Callback::from(move |i| chosen.set(i))} />
    };
    html! {
        <Frame name="train_stats" title="Layer statistics through training"
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} onclick={Some(onclick)}
            readout={readout} on_cursor={Some(on_cursor)}
            tools={html!{ <div class="panel-tools">{ picker }</div> }}
            caption={html!{ <>
                { "Each column is one evaluation step, each row one hidden layer, measured on a fixed probe batch of up to 256 training examples in training mode: the post-activation mean (white at 0), variance (white at 1, log scale) and the backward signal's RMS (log scale). " }
                <strong>{ "Look for: " }</strong>
                { "whether the (0, 1) of initialization holds while the network learns. Pale cells: mean near 0 and variance near 1; red: above; blue: below. Self-normalization is a property of random weights; as training moves the weights away from them (the panel below), the layers' variance may drift, and the maps show by how much at this setting." }
            </> }} />
    }
}

#[function_component]
pub fn WeightsPanel(props: &TrainPanelProps) -> Html {
    let canvas = use_node_ref();
    let data = WeightsData {
        runs: props
            .state
            .runs
            .iter()
            .map(|r| WeightsRun::from_history(r.label.clone(), &r.history))
            .collect(),
        steps: props.state.steps.max(props.params.train.steps),
    };
    let renderer = use_chart(canvas.clone(), (data.clone(), props.resize), {
        let data = data.clone();
        move |c, style| charts::weights::draw(c, &data, style)
    });
    let csv = {
        let state = props.state.clone();
        Callback::from(move |()| {
            (
                "activation-lab-train-weights.csv".to_string(),
                train::weights_csv(&histories(&state)),
            )
        })
    };
    let summary = props
        .state
        .runs
        .iter()
        .filter_map(|r| {
            r.history.evals.last().map(|e| {
                let inside = e.layers.iter().map(|p| p.inside_box).sum::<f64>()
                    / e.layers.len().max(1) as f64;
                format!(
                    "{}: at step {}, {:.0}% of the units inside the box",
                    r.label,
                    e.step,
                    100.0 * inside
                )
            })
        })
        .collect::<Vec<_>>()
        .join("; ");
    let readout = weights_readout(&data);
    html! {
        <Frame name="weights" title="Weights against the SNN paper's box"
            canvas={canvas} renderer={renderer} summary={if summary.is_empty() { "Weights chart: not trained yet.".to_string() } else { summary }} csv={csv}
            readout={readout}
            caption={html!{ <>
                { "For each hidden layer, ω (the sum of a unit's incoming weights) and τ (the sum of their squares), averaged over the units, through training; shaded: the box ω ∈ [−0.1, 0.1], τ ∈ [0.95, 1.1] of Theorem 1 of the SNN paper (Klambauer et al. 2017), and below, the fraction of units inside it. " }
                <strong>{ "Look for: " }</strong>
                { "LeCun normal weights start with mean τ ≈ 1 (the width times the weight variance) and mean ω ≈ 0; single units scatter around those values (τ by about √(2/fan_in), ω by about 1), so at initialization already few of them are inside the box. The theorem's guarantee is about weights in the box; compare how far training moves the weights with how far the layers' statistics drift (the panel above)." }
            </> }} />
    }
}

/// The weights chart's readout, at each evaluation step: every run's mean ω and τ of layer 1
/// and of the last layer (the thick and the marked lines), and its units inside the box.
fn weights_readout(data: &WeightsData) -> Option<Readout> {
    let runs: Vec<WeightsRun> = data.runs.iter().take(MAX_RUNS).cloned().collect();
    let mut steps: Vec<usize> = runs
        .iter()
        .flat_map(|r| r.steps[..r.evals()].iter().copied())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    let last = *steps.last()?;
    let x = charts::train_common::step_axis(if data.steps > 0 { data.steps } else { last });
    let xs = steps.iter().map(|&s| s as f64).collect();
    Some(Readout::along_x((x.start, x.end), xs, move |i| {
        let step = steps[i];
        let parts: Vec<String> = runs
            .iter()
            .filter_map(|r| {
                let e = r.steps[..r.evals()].iter().position(|&s| s == step)?;
                let at = |v: &[f64], l: usize| fmt3(v[e * r.layers + l]);
                let top = r.layers - 1;
                let inside = r.inside_box[e * r.layers..(e + 1) * r.layers]
                    .iter()
                    .sum::<f64>()
                    / r.layers as f64;
                Some(format!(
                    "{}mean ω layer 1 {}, layer {} {}; mean τ layer 1 {}, layer {} {}; {:.0}% of the units inside the box",
                    run_name(&r.label),
                    at(&r.omega_mean, 0),
                    top + 1,
                    at(&r.omega_mean, top),
                    at(&r.tau_mean, 0),
                    top + 1,
                    at(&r.tau_mean, top),
                    100.0 * inside
                ))
            })
            .collect();
        format!("Step {step}: {}", parts.join("; "))
    }))
}

/// The 2-D task's training and test points in the data's coordinates (as the worker splits
/// them: the same generator, noise, data seed and split seed).
/// A point of a 2-D task: (x1, x2, class).
type Point = (f64, f64, u32);

fn points(params: &Params) -> (Vec<Point>, Vec<Point>) {
    let s = crate::train::settings(&params.config, &params.train);
    let Task::TwoD {
        shape,
        noise,
        data_seed,
    } = s.task
    else {
        return (Vec::new(), Vec::new());
    };
    let data = train::generate_2d(shape, noise, data_seed);
    let (tr, te) = train::split(&data, s.seed);
    let pts = |d: &train::Dataset| {
        (0..d.n)
            .map(|i| (f64::from(d.x[2 * i]), f64::from(d.x[2 * i + 1]), d.y[i]))
            .collect::<Vec<_>>()
    };
    (pts(&tr), pts(&te))
}

#[function_component]
pub fn DecisionPanel(props: &TrainPanelProps) -> Html {
    let canvas = use_node_ref();
    let key = (
        props.params.train.task,
        props.params.train.noise.to_bits(),
        props.params.config.seed,
    );
    let pts = {
        let params = props.params.clone();
        use_memo(key, move |_| points(&params))
    };
    let map = props
        .state
        .runs
        .first()
        .and_then(|r| r.history.decision.clone());
    let data = DecisionData {
        x1: map.as_ref().map(|m| m.x1.clone()).unwrap_or_default(),
        x2: map.as_ref().map(|m| m.x2.clone()).unwrap_or_default(),
        p1: map.as_ref().map(|m| m.p1.clone()).unwrap_or_default(),
        train: pts.0.clone(),
        test: pts.1.clone(),
    };
    let renderer = use_chart(canvas.clone(), (data.clone(), props.resize), {
        let data = data.clone();
        move |c, style| charts::decision::draw(c, &data, style)
    });
    let csv = {
        let map = map.clone();
        Callback::from(move |()| {
            (
                "activation-lab-train-decision.csv".to_string(),
                map.as_ref()
                    .map(train::decision_csv)
                    .unwrap_or_else(|| "x1,x2,p1\n".to_string()),
            )
        })
    };
    let shape = Shape2d::from_name(props.params.train.task).map_or("", |s| s.name());
    let summary = match &map {
        Some(m) => format!(
            "Predicted probability of class 1 over the plane for the {shape} task at step {}, with {} training and {} test points.",
            m.step,
            pts.0.len(),
            pts.1.len()
        ),
        None => format!(
            "The {shape} task's {} training and {} test points; no prediction yet.",
            pts.0.len(),
            pts.1.len()
        ),
    };
    let readout = decision_readout(data);
    html! {
        <Frame name="decision" title="Decision map"
            canvas={canvas} renderer={renderer} summary={summary} csv={csv} readout={readout}
            caption={html!{ <>
                { "The first run's predicted probability of class 1 at every point of the plane (orange where it predicts class 0, blue where it predicts class 1, white where it is undecided), with the training points (filled) and the test points (outlined), as TensorFlow Playground draws it. " }
                <strong>{ "Look for: " }</strong>
                { "the boundary bending around the data as the loss falls; a network whose signal vanished with depth draws one flat colour." }
            </> }} />
    }
}

/// The decision map's readout: each cell of the map, row by row (p(class 1) at i2 * n + i1,
/// as the data), or before the first map, each data point.
fn decision_readout(data: DecisionData) -> Option<Readout> {
    let ((a0, a1), (b0, b1)) = data.ranges();
    if data.has_map() {
        let n = data.x1.len();
        let points = (0..data.p1.len())
            .map(|k| (data.x1[k % n], data.x2[k / n]))
            .collect();
        return Some(Readout::in_plane(
            (a0, a1),
            (b0, b1),
            points,
            Some(Grid::Rows(n)),
            move |k| {
                let p = f64::from(data.p1[k]);
                let class = if !p.is_finite() {
                    "no prediction".to_string()
                } else if p > 0.5 {
                    "predicts class 1".to_string()
                } else if p < 0.5 {
                    "predicts class 0".to_string()
                } else {
                    "undecided".to_string()
                };
                format!(
                    "x₁ = {}, x₂ = {}: p(class 1) = {} ({class})",
                    fmt3(data.x1[k % n]),
                    fmt3(data.x2[k / n]),
                    fmt3(p)
                )
            },
        ));
    }
    let n_train = data.train.len();
    let all: Vec<(f64, f64, u32)> = data.train.iter().chain(&data.test).copied().collect();
    if all.is_empty() {
        return None;
    }
    let points = all.iter().map(|p| (p.0, p.1)).collect();
    Some(Readout::in_plane(
        (a0, a1),
        (b0, b1),
        points,
        None,
        move |k| {
            let (x1, x2, class) = all[k];
            format!(
                "{} point x₁ = {}, x₂ = {}: class {class}",
                if k < n_train { "Training" } else { "Test" },
                fmt3(x1),
                fmt3(x2)
            )
        },
    ))
}

#[derive(Properties, PartialEq)]
pub struct RunPickerProps {
    /// The select's id (prefixed with `ctl-`).
    pub id: AttrValue,
    pub labels: Vec<String>,
    pub chosen: usize,
    pub onchange: Callback<usize>,
}

/// A select of the compared runs (nothing when there is only one).
#[function_component]
pub fn RunPicker(props: &RunPickerProps) -> Html {
    if props.labels.len() < 2 {
        return html! {};
    }
    let id = format!("ctl-{}", props.id);
    let options = props.labels.iter().enumerate().map(|(i, l)| {
        html! { <option value={i.to_string()} selected={i == props.chosen}>{ l }</option> }
    });
    let cb = props.onchange.clone();
    let onchange = Callback::from(move |e: Event| {
        use wasm_bindgen::JsCast;
        if let Some(s) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        {
            cb.emit(s.value().parse().unwrap_or(0));
        }
    });
    html! {
        <div class="control">
            <label for={id.clone()}>{ "Run" }</label>
            <select {id} {onchange}>{ for options }</select>
        </div>
    }
}
