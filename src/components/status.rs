use crate::hooks::RunState;
use lab_core::RunPhase;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub run: RunState,
    /// "worker" or "main-thread".
    pub engine: &'static str,
    /// The legend label of the previous run, while its curves stay on the plots.
    #[prop_or_default]
    pub previous: Option<String>,
    /// A newer setting's run is requested and not shown yet: `run` is not done for it.
    #[prop_or_default]
    pub pending: bool,
}

/// " The grey dashed curves are the previous setting (...) until this run is done." while the
/// previous run's curves are shown.
pub fn previous_text(run: &RunState, previous: Option<&str>) -> String {
    match previous {
        Some(label) if !run.is_done() && run.failed.is_none() => format!(
            " The grey dashed curves are the previous setting ({}), shown until this run is done.",
            label.strip_prefix("previous: ").unwrap_or(label)
        ),
        _ => String::new(),
    }
}

/// Which kernels compute, where that is not the default's plain SIMD: the relaxed kernels, or
/// simd128 after a request for them could not be met (the notice says why).
pub fn kernels_text(kernels: lab_core::KernelPath, engine: &str) -> String {
    match kernels {
        lab_core::KernelPath::Relaxed if engine == "main-thread" => " Kernels: relaxed SIMD, \
            computed on the main thread in the default module (f32::mul_add in software: fused \
            but slow)."
            .to_string(),
        lab_core::KernelPath::Relaxed => {
            " Kernels: relaxed SIMD (fused multiply-add), in the relaxed-SIMD module.".to_string()
        }
        lab_core::KernelPath::Simd if crate::engine::modules::relaxed_refused() => {
            " Kernels: SIMD (simd128); relaxed SIMD is not available here.".to_string()
        }
        _ => String::new(),
    }
}

/// The status line's text for a run's state: what is being computed, then where non-finite
/// values first appeared, if they did.
pub fn status_text(run: &RunState) -> String {
    let progress = progress_text(run);
    match nonfinite_text(run) {
        Some(nonfinite) => format!("{progress} {nonfinite}"),
        None => progress,
    }
}

/// Where the run's first non-finite values are (over the layers received so far).
pub fn nonfinite_text(run: &RunState) -> Option<String> {
    let (layer, counts) = run.view.first_nonfinite()?;
    let config = run.view.config();
    let entries = config.batch * config.width;
    let plural = |n: u64| if n == 1 { "value" } else { "values" };
    let total = counts.pre + counts.post;
    Some(format!(
        "{total} non-finite {} first at layer {layer} ({} of its {entries} pre-activations, {} of \
         its {entries} post-activations); a layer's statistics leave its non-finite values out while it has finite ones.",
        plural(total),
        counts.pre,
        counts.post
    ))
}

/// " The first 50 layers are the previous run's." when a deeper network continued it; " Every
/// layer's forward pass was computed before, ..." when the network is no deeper than one
/// computed before (see `Simulation::extend`).
fn kept_text(run: &RunState) -> String {
    let depth = run.view.config().depth;
    match run.reused {
        0 => String::new(),
        n if n >= depth && run.view.backward_skipped().is_some() => " Every layer was \
            computed before, by an earlier and deeper run: nothing was computed again."
            .to_string(),
        n if n >= depth => " Every layer's forward pass was computed before, by an earlier and \
            deeper run: only the backward pass is new."
            .to_string(),
        1 => " The first layer is the previous run's, not computed again.".to_string(),
        n => format!(" The first {n} layers are the previous run's, not computed again."),
    }
}

/// " 2 workers, each with a share of the batch's rows." when the rows are split among several.
fn workers_text(run: &RunState) -> String {
    match run.shards {
        0 | 1 => String::new(),
        n => format!(" {n} workers, each with a share of the batch's rows."),
    }
}

fn progress_text(run: &RunState) -> String {
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
            format!(
                "Done: {depth} layers, forward pass only (the backward pass is skipped, see below).{}{}",
                kept_text(run),
                workers_text(run)
            )
        } else {
            format!(
                "Done: {depth} layers, forward and backward.{}{}",
                kept_text(run),
                workers_text(run)
            )
        }
    } else {
        match s.phase() {
            RunPhase::Forward => format!(
                "Computing the forward pass: layer {} of {depth} ({progress:.0}% of all work).{}{}",
                s.stats().len(),
                kept_text(run),
                workers_text(run)
            ),
            RunPhase::Backward => format!(
                "Computing the backward pass ({progress:.0}% of all work).{}",
                workers_text(run)
            ),
            // The simulation is done; the correlation prediction or the theory is not.
            RunPhase::Done => "Computing the mean-field theory.".to_string(),
        }
    }
}

/// Progress and what is being computed; `data-done` is what tests and the benchmark wait for.
#[function_component]
pub fn Status(props: &StatusProps) -> Html {
    let run = &props.run;
    // When the current run started (by its generation), for the honest wait.
    let started = use_mut_ref(|| (u64::MAX, 0.0f64));
    let now = crate::web::now_ms();
    {
        let mut s = started.borrow_mut();
        if s.0 != run.gen {
            *s = (run.gen, now);
        }
    }
    let wait = (!run.is_done() && run.failed.is_none())
        .then(|| {
            crate::claims::waiting_text(
                run.view.config(),
                run.view.progress(),
                now - started.borrow().1,
            )
        })
        .flatten();
    let text = match wait {
        Some(w) => format!("{} {w}", status_text(run)),
        None => status_text(run),
    } + &previous_text(run, props.previous.as_deref())
        + &kernels_text(run.view.config().kernels, props.engine);
    html! {
        <div class="status" role="status" aria-live="polite" data-done={(run.is_done() && !props.pending).to_string()} data-failed={run.failed.is_some().to_string()} data-engine={props.engine} data-kernels={run.view.config().kernels.name()} data-reused={run.reused.to_string()} data-workers={run.shards.to_string()} data-gen={run.gen.to_string()}
            data-previous={props.previous.is_some().to_string()}>
            <progress max="1" value={run.view.progress().to_string()} aria-label="Simulation progress"></progress>
            <span>{ text }</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_core::{Config, Delta, LayerStats, NonFinite, RunPhase};
    use std::rc::Rc;

    fn run_with(nonfinite: Vec<NonFinite>) -> RunState {
        let config = Config {
            depth: 3,
            width: 4,
            batch: 5,
            ..Config::default()
        };
        let layers = nonfinite.len();
        let stats = LayerStats {
            pre_mean: 0.0,
            pre_var: 1.0,
            post_mean: 0.0,
            post_var: 1.0,
            grad_rms: f64::NAN,
            pair_corr: 0.5,
        };
        let mut view = lab_core::SimView::new(config);
        view.apply(Delta {
            progress: 0.5,
            phase: RunPhase::Forward,
            backward_reached: 4,
            backward_skipped: None,
            stats: vec![stats; layers],
            nonfinite,
            samples_from: 0,
            samples: vec![vec![]; layers],
        });
        RunState {
            gen: 1,
            view: crate::hooks::Same(Rc::new(view)),
            ..RunState::new(config)
        }
    }

    #[test]
    fn a_new_run_starts_its_status_from_nothing() {
        use yew::Reducible;
        let old = run_with(vec![NonFinite::default(); 3]);
        assert!(status_text(&old).contains("layer 3 of 3"));
        let config = Config {
            depth: 12,
            ..Config::default()
        };
        let new = Rc::new(old).reduce(crate::engine::runner::RunEvent::Start { gen: 2, config });
        assert_eq!(
            status_text(&new),
            "Computing the forward pass: layer 0 of 12 (0% of all work)."
        );
    }

    /// What a continued run says it kept, for a network of depth 3.
    #[test]
    fn the_layers_kept_from_earlier_runs_are_named() {
        let with = |reused| RunState {
            reused,
            ..run_with(vec![NonFinite::default()])
        };
        assert_eq!(kept_text(&with(0)), "");
        assert_eq!(
            kept_text(&with(1)),
            " The first layer is the previous run's, not computed again."
        );
        assert_eq!(
            kept_text(&with(2)),
            " The first 2 layers are the previous run's, not computed again."
        );
        assert_eq!(
            kept_text(&with(3)),
            " Every layer's forward pass was computed before, by an earlier and deeper run: \
             only the backward pass is new."
        );
        let mut skipped = with(3);
        let mut view = (*skipped.view.0).clone();
        view.apply(Delta {
            progress: 1.0,
            phase: RunPhase::Done,
            backward_reached: 4,
            backward_skipped: Some("too large".into()),
            stats: view.stats().to_vec(),
            nonfinite: vec![NonFinite::default(); view.stats().len()],
            samples_from: view.stats().len(),
            samples: vec![],
        });
        skipped.view = crate::hooks::Same(Rc::new(view));
        assert_eq!(
            kept_text(&skipped),
            " Every layer was computed before, by an earlier and deeper run: nothing was \
             computed again."
        );
    }

    #[test]
    fn the_previous_setting_is_named_while_the_run_computes() {
        let run = run_with(vec![NonFinite::default()]);
        assert_eq!(
            previous_text(&run, Some("previous: SELU, LeCun normal, depth 50")),
            " The grey dashed curves are the previous setting (SELU, LeCun normal, depth 50), \
             shown until this run is done."
        );
        assert_eq!(previous_text(&run, None), "");
        let failed = RunState {
            failed: Some("gone".into()),
            ..run
        };
        assert_eq!(previous_text(&failed, Some("previous: ReLU")), "");
    }

    #[test]
    fn the_first_layer_with_non_finite_values_is_named_with_its_counts() {
        let none = NonFinite::default();
        let run = run_with(vec![
            none,
            NonFinite { pre: 3, post: 5 },
            NonFinite { pre: 20, post: 20 },
        ]);
        let text = status_text(&run);
        assert!(
            text.starts_with("Computing the forward pass: layer 3 of 3"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "8 non-finite values first at layer 2 (3 of its 20 pre-activations, 5 of its 20 \
                 post-activations); a layer's statistics leave its non-finite values out while \
                 it has finite ones."
            ),
            "{text}"
        );
        let one = run_with(vec![NonFinite { pre: 0, post: 1 }]);
        assert!(status_text(&one).contains("1 non-finite value first at layer 1 ("));
        assert!(nonfinite_text(&run_with(vec![none, none])).is_none());
    }
}
