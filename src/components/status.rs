use crate::hooks::RunState;
use lab_core::RunPhase;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub run: RunState,
    /// "worker" or "main-thread".
    pub engine: &'static str,
}

/// The status line's text for a run's state.
pub fn status_text(run: &RunState) -> String {
    let s = &run.view;
    let depth = s.config().depth;
    let progress = s.progress() * 100.0;
    if let Some(why) = &run.failed {
        format!(
            "Stopped: the simulation worker died while computing this setting ({why}). It is not \
             run again; change a setting to compute in a fresh worker."
        )
    } else if run.is_done() {
        if s.backward_skipped().is_some() {
            format!("Done: {depth} layers, forward pass only (the backward pass is skipped, see below).")
        } else {
            format!("Done: {depth} layers, forward and backward.")
        }
    } else {
        match s.phase() {
            RunPhase::Forward => format!(
                "Computing the forward pass: layer {} of {depth} ({progress:.0}% of all work).",
                s.stats().len()
            ),
            RunPhase::Backward => {
                format!("Computing the backward pass ({progress:.0}% of all work).")
            }
            // The simulation is done; the correlation prediction or the theory is not.
            RunPhase::Done => "Computing the mean-field theory.".to_string(),
        }
    }
}

/// Progress and what is being computed; `data-done` is what tests and the benchmark wait for.
#[function_component]
pub fn Status(props: &StatusProps) -> Html {
    let run = &props.run;
    html! {
        <div class="status" role="status" aria-live="polite" data-done={run.is_done().to_string()} data-failed={run.failed.is_some().to_string()} data-engine={props.engine}>
            <progress max="1" value={run.view.progress().to_string()} aria-label="Simulation progress"></progress>
            <span>{ status_text(run) }</span>
        </div>
    }
}
