//! The Train section: its settings (from the URL table), play, pause, one step and reset, a
//! status line, and the four training panels. The network is the lab's (activation, its
//! parameters, initializer, gain, bias std, depth, width, normalization, seed).

use super::depth_note;
use super::state::{Mode, TrainAction, TrainState};
use crate::components::sidebar::ParamControl;
use crate::components::Setter;
use crate::engine::train_runner::TrainRunner;
use crate::engine::train_wire::Control;
use crate::params::{self, Group, Params};
use crate::train::panels::{
    DecisionPanel, LossPanel, RunPicker, TrainPanelProps, TrainStatsPanel, WeightsPanel,
};
use crate::web;
use lab_core::train::{Settings, Task};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Where the page finds the digits (copied next to index.html by trunk).
const DIGITS_URL: &str = "digits.bin";

#[derive(Properties, PartialEq)]
pub struct TrainSectionProps {
    pub params: Params,
    pub set: Setter,
    pub resize: u64,
}

/// Steps per second, measured between updates while playing.
#[derive(Default)]
struct Rate {
    since: Option<(f64, usize)>,
    per_second: Option<f64>,
}

#[function_component]
pub fn TrainSection(props: &TrainSectionProps) -> Html {
    let state = use_reducer(TrainState::default);
    let runner = {
        let dispatcher = state.dispatcher();
        use_mut_ref(move || {
            TrainRunner::new(Rc::new(move |e| dispatcher.dispatch(TrainAction::Event(e))))
        })
    };
    let digits: Rc<RefCell<Option<Rc<Vec<u8>>>>> = use_mut_ref(|| None);
    let loading = use_state(|| None::<String>);
    let rate = use_mut_ref(Rate::default);
    let labelled = super::runs(&props.params);
    let labels: Vec<String> = labelled.iter().map(|(l, _)| l.clone()).collect();
    let runs: Vec<Settings> = labelled.into_iter().map(|(_, s)| s).collect();

    // Starts the runs of the current settings up to `target` (fetching the digits first when
    // needed), in `mode`.
    let start = {
        let (state, runner, digits, loading, runs, labels) = (
            state.clone(),
            runner.clone(),
            digits.clone(),
            loading.clone(),
            runs.clone(),
            labels.clone(),
        );
        Rc::new(move |target: usize, mode: Mode| {
            let launch = {
                let (state, runner, runs, labels) =
                    (state.clone(), runner.clone(), runs.clone(), labels.clone());
                move |data: Option<Rc<Vec<u8>>>| {
                    let gen =
                        runner
                            .borrow()
                            .start(&runs, data.as_deref().map(Vec::as_slice), target);
                    state.dispatch(TrainAction::Start {
                        gen,
                        labels,
                        steps: runs.first().map_or(0, |s| s.steps),
                        mode,
                    });
                }
            };
            let needs_digits = runs.iter().any(|s| s.task == Task::Digits);
            let have = digits.borrow().clone();
            match (needs_digits, have) {
                (false, _) => launch(None),
                (true, Some(bytes)) => launch(Some(bytes)),
                (true, None) => {
                    loading.set(Some("Loading the digits…".into()));
                    let (digits, loading) = (digits.clone(), loading.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match web::fetch_bytes(DIGITS_URL).await {
                            Ok(bytes) => {
                                let bytes = Rc::new(bytes);
                                *digits.borrow_mut() = Some(bytes.clone());
                                loading.set(None);
                                launch(Some(bytes));
                            }
                            Err(e) => loading.set(Some(format!(
                                "The digits could not be loaded ({e}); choose a two-dimensional task."
                            ))),
                        }
                    });
                }
            }
        })
    };

    // New settings: what was trained belongs to the old ones. Keep playing if it was.
    {
        let (state, start, rate) = (state.clone(), start.clone(), rate.clone());
        let playing = state.mode == Mode::Playing;
        use_effect_with(runs.clone(), move |_| {
            *rate.borrow_mut() = Rate::default();
            if state.gen != 0 {
                if playing {
                    start(usize::MAX, Mode::Playing);
                } else {
                    state.dispatch(TrainAction::Clear);
                }
            }
        });
    }
    // play=1: start training when the page loads.
    {
        let start = start.clone();
        let play = props.params.train.play;
        use_effect_with((), move |_| {
            if play {
                start(usize::MAX, Mode::Playing);
            }
        });
    }

    // Steps per second from the updates.
    {
        let mut r = rate.borrow_mut();
        let step = state.runs.iter().map(|r| r.step).min().unwrap_or(0);
        let now = web::now_ms();
        match (state.mode, r.since) {
            (Mode::Playing, None) => r.since = Some((now, step)),
            (Mode::Playing, Some((t0, s0))) if step > s0 && now > t0 + 500.0 => {
                r.per_second = Some((step - s0) as f64 / ((now - t0) / 1000.0));
            }
            (Mode::Playing, _) => {}
            _ => r.since = None,
        }
    }

    let n = runs.len();
    let on_play = {
        let (state, runner, start) = (state.clone(), runner.clone(), start.clone());
        Callback::from(move |_: MouseEvent| {
            if state.gen == 0 {
                start(usize::MAX, Mode::Playing);
            } else {
                runner.borrow().control(n, Control::Play);
                state.dispatch(TrainAction::Mode(Mode::Playing));
            }
        })
    };
    let on_pause = {
        let (state, runner) = (state.clone(), runner.clone());
        Callback::from(move |_: MouseEvent| {
            runner.borrow().control(n, Control::Pause);
            state.dispatch(TrainAction::Mode(Mode::Paused));
        })
    };
    let on_step = {
        let (state, runner, start) = (state.clone(), runner.clone(), start.clone());
        Callback::from(move |_: MouseEvent| {
            if state.gen == 0 {
                start(1, Mode::Paused);
            } else {
                runner.borrow().control(n, Control::Step);
                state.dispatch(TrainAction::Mode(Mode::Paused));
            }
        })
    };
    let on_reset = {
        let start = start.clone();
        Callback::from(move |_: MouseEvent| start(0, Mode::Paused))
    };

    let p = &props.params;
    let controls = params::FIELDS
        .iter()
        .filter(|f| f.control.and_then(|c| c.group) == Some(Group::Train) && !p.hides(f.name))
        .filter(|f| match f.name {
            "noise" => p.train.task != "digits",
            "momentum" => p.train.opt == "sgd",
            "rate" => p.train.dropout != "none",
            _ => true,
        })
        .map(
            |f| html! { <ParamControl name={f.name} params={p.clone()} set={props.set.clone()} /> },
        );

    let status = status_text(&state, &runs, loading.as_ref(), rate.borrow().per_second);
    let playing = state.mode == Mode::Playing;
    let panel_props = TrainPanelProps {
        state: (*state).clone(),
        params: p.clone(),
        resize: props.resize,
    };
    let two_d = runs.iter().all(|s| matches!(s.task, Task::TwoD { .. }));
    let pytorch_runs: Vec<(String, Settings)> =
        labels.iter().cloned().zip(runs.iter().cloned()).collect();
    let presets = crate::presets::TRAIN_PRESETS
        .iter()
        .map(|(name, query)| html! { <a href={format!("{query}#train")}>{ *name }</a> });
    html! {
        <section id="train" class="train-section" aria-labelledby="train-title">
            <h2 id="train-title">{ "Train: does it stay normalized while it learns?" }</h2>
            <p class="caption">{ "The network above (its activation, initializer, gain, bias, width, normalization and seed; depth up to 64) learns a task here, in your browser. Watch the loss fall, and whether the layers keep mean 0 and variance 1 while the weights move." }</p>
            if let Some(note) = depth_note(&p.config) {
                <p class="caveat">{ note }</p>
            }
            if p.embed.is_empty() {
                <nav class="presets" aria-label="Training presets">
                    <span class="presets-title">{ "Compare: " }</span>
                    { for presets }
                </nav>
            }
            <div class="train-controls">{ for controls }</div>
            <div class="train-buttons" role="group" aria-label="Training">
                <button type="button" id="train-play" onclick={on_play} disabled={playing}>{ "Play" }</button>
                <button type="button" id="train-pause" onclick={on_pause} disabled={!playing}>{ "Pause" }</button>
                <button type="button" id="train-step" onclick={on_step} disabled={playing}>{ "Step" }</button>
                <button type="button" id="train-reset" onclick={on_reset}>{ "Reset" }</button>
            </div>
            <div class="train-status" role="status" aria-live="polite"
                data-step={state.runs.iter().map(|r| r.step).min().unwrap_or(0).to_string()}
                data-done={state.all_done().to_string()}>
                <span>{ status }</span>
            </div>
            <div class="panels train-panels">
                <LossPanel ..panel_props.clone() />
                <TrainStatsPanel ..panel_props.clone() />
                <WeightsPanel ..panel_props.clone() />
                if two_d {
                    <DecisionPanel ..panel_props />
                }
            </div>
            <PytorchExport runs={pytorch_runs} />
        </section>
    }
}

/// The status line: step, epoch, speed; divergence and errors by run.
fn status_text(
    state: &TrainState,
    runs: &[Settings],
    loading: Option<&String>,
    per_second: Option<f64>,
) -> String {
    if let Some(l) = loading {
        return l.clone();
    }
    if state.gen == 0 {
        return "Not started: press Play, or Step for one update at a time.".into();
    }
    let mut parts = Vec::new();
    for (r, s) in state.runs.iter().zip(runs) {
        let name = if state.runs.len() > 1 {
            format!("{}: ", r.label)
        } else {
            String::new()
        };
        if let Some(e) = &r.error {
            parts.push(format!("{name}cannot train: {e}"));
        } else if let Some(k) = r.history.diverged_at {
            parts.push(format!(
                "{name}diverged at step {k}: the loss is no longer a finite number (try a smaller learning rate)"
            ));
        } else {
            let epoch = (r.step * s.tbatch) as f64 / (r.train_size as f64).max(1.0);
            parts.push(format!(
                "{name}step {} of {} (epoch {:.1}){}",
                r.step,
                s.steps,
                epoch,
                if r.done { ", done" } else { "" }
            ));
        }
    }
    let mut text = parts.join("; ");
    if let (Mode::Playing, Some(v)) = (state.mode, per_second) {
        text.push_str(&format!(" — {v:.0} steps per second"));
    }
    text.push('.');
    text
}

#[derive(Properties, PartialEq)]
pub struct PytorchProps {
    /// (label, settings) of each run.
    pub runs: Vec<(String, Settings)>,
}

/// "Copy as PyTorch": the script that trains the same model the same way, for each run.
#[function_component]
pub fn PytorchExport(props: &PytorchProps) -> Html {
    let chosen = use_state(|| 0usize);
    let status = use_state(String::new);
    let i = (*chosen).min(props.runs.len().saturating_sub(1));
    let Some((label, settings)) = props.runs.get(i) else {
        return html! {};
    };
    let script = lab_core::train::pytorch_script(settings);
    let on_copy = {
        let (script, status) = (script.clone(), status.clone());
        Callback::from(move |_: MouseEvent| {
            let status = status.clone();
            web::copy_to_clipboard(
                &script,
                Box::new(move |ok| {
                    status.set(if ok {
                        "Script copied.".into()
                    } else {
                        "Could not use the clipboard here: select the script below and copy it."
                            .into()
                    })
                }),
            );
        })
    };
    let on_download = {
        let script = script.clone();
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = web::download_text("activation-lab-train.py", "text/x-python", &script)
            {
                web::log_error(&e);
            }
        })
    };
    let picker = html! {
        <RunPicker id="pytorch_run" labels={props.runs.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>()}
            chosen={i} onchange={Callback::from(move |k| chosen.set(k))} />
    };
    html! {
        <details class="pytorch">
            <summary>{ "Copy as PyTorch" }</summary>
            <p class="caption">{ format!("A self-contained Python script that builds, initializes and trains the same network ({label}) with PyTorch, on the same task and settings (its random numbers differ from this page's).") }</p>
            { picker }
            <div class="train-buttons">
                <button type="button" id="pytorch-copy" onclick={on_copy}>{ "Copy script" }</button>
                <button type="button" id="pytorch-download" onclick={on_download}>{ "Download .py" }</button>
                <span class="copy-status" role="status">{ (*status).clone() }</span>
            </div>
            <textarea id="pytorch-script" readonly=true rows="16" aria-label="PyTorch script" value={script} />
        </details>
    }
}
