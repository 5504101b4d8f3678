//! The Train section's panels: `loss`, `train_stats`, `weights` and (two-dimensional tasks)
//! `decision`. Each is a `<section id="panel-NAME">` with its CSV (the core's exports), PNG
//! and PNG 2x buttons, a caption saying what to look for, and a text alternative.

use super::state::TrainState;
use crate::charts::decision::DecisionData;
use crate::charts::loss::{LossData, LossRun};
use crate::charts::train_stats::TrainStatsData;
use crate::charts::weights::{WeightsData, WeightsRun};
use crate::charts::{self};
use crate::components::widgets::Toggle;
use crate::panels::frame::{use_chart, Frame};
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
    let on_log = {
        let log_y = log_y.clone();
        Callback::from(move |v: bool| log_y.set(v))
    };
    html! {
        <Frame name="loss" title="Loss and accuracy while training"
            canvas={canvas} renderer={renderer} summary={summary} csv={csv}
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
    let readout = run.and_then(|r| {
        let h = &*r.history;
        let (e, l) = match *picked {
            Some(p) => p,
            None => (h.evals.len().checked_sub(1)?, 0),
        };
        let eval = h.evals.get(e)?;
        let p = eval.layers.get(l)?;
        Some(format!(
            "Step {}, layer {}: post-activation mean {}, variance {}, gradient RMS {} (click a cell to read another).",
            eval.step,
            l + 1,
            fmt3(p.post_mean),
            fmt3(p.post_var),
            fmt3(p.grad_rms)
        ))
    });
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
            tools={html!{ <div class="panel-tools">{ picker }</div> }}
            extra={html!{ if let Some(r) = readout { <p class="theory-fixed train-readout" aria-live="polite">{ r }</p> } }}
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
    html! {
        <Frame name="weights" title="Weights against the SNN paper's box"
            canvas={canvas} renderer={renderer} summary={if summary.is_empty() { "Weights chart: not trained yet.".to_string() } else { summary }} csv={csv}
            caption={html!{ <>
                { "For each hidden layer, ω (the sum of a unit's incoming weights) and τ (the sum of their squares), averaged over the units, through training; shaded: the box ω ∈ [−0.1, 0.1], τ ∈ [0.95, 1.1] of Theorem 1 of the SNN paper (Klambauer et al. 2017), and below, the fraction of units inside it. " }
                <strong>{ "Look for: " }</strong>
                { "LeCun normal weights start with mean τ ≈ 1 (the width times the weight variance) and mean ω ≈ 0; single units scatter around those values (τ by about √(2/fan_in), ω by about 1), so at initialization already few of them are inside the box. The theorem's guarantee is about weights in the box; compare how far training moves the weights with how far the layers' statistics drift (the panel above)." }
            </> }} />
    }
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
    html! {
        <Frame name="decision" title="Decision map"
            canvas={canvas} renderer={renderer} summary={summary} csv={csv}
            caption={html!{ <>
                { "The first run's predicted probability of class 1 at every point of the plane (orange where it predicts class 0, blue where it predicts class 1, white where it is undecided), with the training points (filled) and the test points (outlined), as TensorFlow Playground draws it. " }
                <strong>{ "Look for: " }</strong>
                { "the boundary bending around the data as the loss falls; a network whose signal vanished with depth draws one flat colour." }
            </> }} />
    }
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
