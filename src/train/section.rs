//! The Train section: its settings (from the URL table), play, pause, one step and reset, a
//! status line, and the four training panels. The network is the lab's (activation, its
//! parameters, initializer, gain, bias std, depth, width, normalization, seed).

use super::depth_note;
use super::state::{Mode, TrainAction, TrainState};
use crate::components::sidebar::ParamControl;
use crate::components::Setter;
use crate::engine::train_runner::{TrainEvent, TrainRunner};
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

/// Least time between two redraws of the Train section while it trains, in ms.
const REDRAW_MS: i32 = 200;

#[function_component]
pub fn TrainSection(props: &TrainSectionProps) -> Html {
    let state = use_reducer(TrainState::default);
    // The workers' events are applied together at most every REDRAW_MS: four runs publish
    // about 40 updates a second, and redrawing every chart for each took about 40% of a core
    // on the page's thread, the thread the workers share the cores with.
    let runner = {
        let dispatcher = state.dispatcher();
        use_mut_ref(move || {
            let queue: Rc<RefCell<Vec<TrainEvent>>> = Rc::default();
            TrainRunner::new(Rc::new(move |e| {
                let first = {
                    let mut q = queue.borrow_mut();
                    q.push(e);
                    q.len() == 1
                };
                if first {
                    let (queue, dispatcher) = (queue.clone(), dispatcher.clone());
                    web::after_ms(REDRAW_MS, move || {
                        let events = std::mem::take(&mut *queue.borrow_mut());
                        dispatcher.dispatch(TrainAction::Events(events));
                    });
                }
            }))
        })
    };
    let digits: Rc<RefCell<Option<Rc<Vec<u8>>>>> = use_mut_ref(|| None);
    let loading = use_state(|| None::<String>);
    let rate = use_mut_ref(Rate::default);
    // The user's file (name, text) and its label column (None: the last), parsed on the page.
    let csv_file = use_state(|| None::<(String, Rc<String>)>);
    let label_column = use_state(|| None::<usize>);
    let csv_error = use_state(|| None::<String>);
    let parsed = use_memo(
        (
            (*csv_file)
                .as_ref()
                .map(|(n, t)| (n.clone(), Rc::as_ptr(t) as usize)),
            *label_column,
        ),
        {
            let file = (*csv_file).clone();
            let column = *label_column;
            move |_| {
                file.map(|(name, text)| {
                    lab_core::train::parse_csv(&text, column)
                        .map(Rc::new)
                        .map_err(|e| format!("{name}: {e}"))
                })
            }
        },
    );
    let labelled = super::runs(&props.params);
    let labels: Vec<String> = labelled.iter().map(|(l, _)| l.clone()).collect();
    let file_name = (*csv_file).as_ref().map(|(n, _)| n.clone());
    let runs: Vec<Settings> = labelled
        .into_iter()
        .map(|(_, mut s)| {
            if let (Task::Csv { .. }, Some(name)) = (&s.task, &file_name) {
                s.task = Task::Csv {
                    name: name.clone(),
                    label_column: *label_column,
                };
            }
            s
        })
        .collect();
    let csv_data: Option<Rc<lab_core::train::Dataset>> = match &*parsed {
        Some(Ok(d)) => Some(d.clone()),
        _ => None,
    };

    // Starts the runs of the current settings up to `target` (fetching the digits first when
    // needed), in `mode`.
    let start = {
        let (state, runner, digits, loading, runs, labels, csv_data) = (
            state.clone(),
            runner.clone(),
            digits.clone(),
            loading.clone(),
            runs.clone(),
            labels.clone(),
            csv_data.clone(),
        );
        Rc::new(move |target: usize, mode: Mode| {
            let launch = {
                let (state, runner, runs, labels, csv_data) = (
                    state.clone(),
                    runner.clone(),
                    runs.clone(),
                    labels.clone(),
                    csv_data.clone(),
                );
                move |data: Option<Rc<Vec<u8>>>| {
                    let gen = runner.borrow().start(
                        &runs,
                        data.as_deref().map(Vec::as_slice),
                        csv_data.as_deref(),
                        target,
                    );
                    state.dispatch(TrainAction::Start {
                        gen,
                        labels,
                        steps: runs.first().map_or(0, |s| s.steps),
                        mode,
                    });
                }
            };
            if runs.iter().any(|s| matches!(s.task, Task::Csv { .. })) && csv_data.is_none() {
                loading.set(Some(
                    "Choose a CSV file first (the task is \u{201c}Your own CSV file\u{201d})."
                        .into(),
                ));
                return;
            }
            loading.set(None);
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
            "noise" => lab_core::train::Shape2d::from_name(p.train.task).is_some(),
            "momentum" => p.train.opt == "sgd",
            "rate" => p.train.dropout != "none",
            _ => true,
        })
        .map(
            |f| html! { <ParamControl name={f.name} params={p.clone()} set={props.set.clone()} /> },
        );

    let status = status_text(&state, &runs, loading.as_ref(), rate.borrow().per_second);
    let csv_picker = (p.train.task == "csv").then(|| {
        let summary = match &*parsed {
            Some(Ok(d)) => Some(format!(
                "{} rows, {} features, {} classes ({}); features are standardized with the training split's mean and std.",
                d.n,
                d.d,
                d.classes,
                d.class_names.join(", ")
            )),
            _ => None,
        };
        let parse_error = match &*parsed {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        };
        html! {
            <CsvPicker file={csv_file.clone()} error={csv_error.clone()} column={label_column.clone()}
                {summary} {parse_error} />
        }
    });
    let playing = state.mode == Mode::Playing;
    let classes = match p.train.task {
        "digits" => 10,
        "csv" => csv_data.as_ref().map_or(2, |d| d.classes),
        _ => 2,
    };
    let panel_props = TrainPanelProps {
        state: (*state).clone(),
        params: p.clone(),
        resize: props.resize,
        classes,
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
            { for csv_picker }
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
        text.push_str(&format!(" — {}", super::rate_words(v)));
        // The slowest unfinished run sets the wait.
        let left = state
            .runs
            .iter()
            .zip(runs)
            .filter(|(r, _)| !r.done && r.error.is_none() && r.history.diverged_at.is_none())
            .map(|(r, s)| s.steps.saturating_sub(r.step))
            .max()
            .unwrap_or(0);
        if let Some(words) = super::time_left_words(left, v) {
            text.push_str(&format!(", {words}"));
        }
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

#[derive(Properties, PartialEq)]
pub struct CsvPickerProps {
    /// The chosen file's name and text.
    pub file: UseStateHandle<Option<(String, Rc<String>)>>,
    /// Why the last file was refused before it was read (too large, unreadable).
    pub error: UseStateHandle<Option<String>>,
    /// The label column, 0-based (None: the last).
    pub column: UseStateHandle<Option<usize>>,
    /// What the parsed file holds.
    pub summary: Option<String>,
    /// Why the file does not parse (with its line and column).
    pub parse_error: Option<String>,
}

/// "Your own CSV file": read in the page, never sent anywhere; a file over the size limit is
/// refused before it is read.
#[function_component]
pub fn CsvPicker(props: &CsvPickerProps) -> Html {
    use lab_core::train::{CSV_MAX_BYTES, CSV_MAX_CLASSES, CSV_MAX_FEATURES, CSV_MAX_ROWS};
    use wasm_bindgen::JsCast;
    const MB: usize = 1024 * 1024;
    let on_file = {
        let (file, error) = (props.file.clone(), props.error.clone());
        Callback::from(move |e: Event| {
            let Some(f) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|l| l.get(0))
            else {
                return;
            };
            let name = f.name();
            if f.size() > CSV_MAX_BYTES as f64 {
                error.set(Some(format!(
                    "{name}: {:.1} MB is more than the limit of {} MB; nothing was read.",
                    f.size() / MB as f64,
                    CSV_MAX_BYTES / MB
                )));
                return;
            }
            let (file, error) = (file.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(f.text()).await {
                    Ok(text) => {
                        error.set(None);
                        file.set(Some((name, Rc::new(text.as_string().unwrap_or_default()))));
                    }
                    Err(_) => error.set(Some(format!("{name}: the file could not be read."))),
                }
            });
        })
    };
    let on_column = {
        let column = props.column.clone();
        Callback::from(move |e: Event| {
            if let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                column.set(
                    i.value()
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|c| *c >= 1)
                        .map(|c| c - 1),
                );
            }
        })
    };
    let message = (*props.error).clone().or_else(|| props.parse_error.clone());
    html! {
        <div class="csv-picker">
            <div class="control">
                <label for="ctl-csv_file">{ "CSV file (read in this page, never sent anywhere)" }</label>
                <input type="file" id="ctl-csv_file" accept=".csv,text/csv,text/plain" onchange={on_file} />
            </div>
            <div class="control">
                <label for="ctl-csv_label">{ "Label column (1 = first; empty = the last)" }</label>
                <input type="number" id="ctl-csv_label" min="1" max={(CSV_MAX_FEATURES + 1).to_string()}
                    value={props.column.map(|c| (c + 1).to_string()).unwrap_or_default()} onchange={on_column} />
            </div>
            <p class="caption">{ format!(
                "A header row, numeric feature columns and a label column (integers or names). At most {} rows, {} features, {} classes and {} MB.",
                CSV_MAX_ROWS, CSV_MAX_FEATURES, CSV_MAX_CLASSES, CSV_MAX_BYTES / MB
            ) }</p>
            if let Some(m) = message {
                <p class="warning csv-error" role="alert">{ m }</p>
            } else if let Some(s) = &props.summary {
                <p class="csv-summary" role="status">{ s }</p>
            }
        </div>
    }
}
