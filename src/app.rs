//! The page: controls, notices, progress and the four panels, wired to one reducer.

use crate::charts::activation::ActivationData;
use crate::charts::Theme;
use crate::controls::{Number, Scale, Select, Toggle};
use crate::panels::{ActivationPanel, GradsPanel, HistPanel, StatsPanel};
use crate::params::{Params, XMAX_RANGE};
use crate::runner::{self, CorrView, SharedCorr, SharedSim, SharedTheory};
use crate::state::{Action, State};
use crate::theory_panels::{
    CorrPanel, DeriveSelu, MapPanel, PendingPanel, PhasePanel, CORR_TITLE, MAP_TITLE, PHASE_TITLE,
};
use crate::theory_view::{self, TheoryBundle};
use crate::web;
use lab_core::{
    ActivationKind, Initializer, Normalization, SimView, BATCH_RANGE, DEPTH_RANGE, WIDTH_RANGE,
};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Named starting points for a lesson: each is a link with its URL parameters.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "SELU keeps (0, 1)",
        "?act=selu&init=lecun_normal&depth=100&width=256",
    ),
    (
        "SELU pulls an off-centre input back",
        "?act=selu&init=lecun_normal&in_mean=1&in_std=2",
    ),
    (
        "ReLU with LeCun init vanishes",
        "?act=relu&init=lecun_normal&depth=100&log_var=1",
    ),
    (
        "ReLU with He init holds",
        "?act=relu&init=he_normal&depth=100&log_var=1",
    ),
    (
        "ELU is not self-normalizing",
        "?act=elu&init=lecun_normal&depth=100&log_var=1",
    ),
    (
        "BatchNorm rescues ELU",
        "?act=elu&init=lecun_normal&depth=100&norm=batch",
    ),
    (
        "GELU exact vs tanh",
        "?act=gelu&gelu_diff=1&overlay=gelu_tanh,relu",
    ),
    (
        "tanh at the edge of chaos",
        "?act=tanh&init=lecun_normal&gain=1.327&sb=0.2236&depth=100",
    ),
    (
        "Linear with N(0, 1) weights explodes",
        "?act=linear&init=normal&depth=60",
    ),
];

/// A callback that sets URL parameter `name` and returns the canonical text used.
fn setter(state: &UseReducerHandle<State>, name: &'static str) -> Callback<String, String> {
    let state = state.clone();
    Callback::from(move |raw: String| {
        let mut probe: Params = state.params.clone();
        let _ = probe.set(name, &raw);
        let used = probe.get(name);
        state.dispatch(Action::Set { name, raw });
        used
    })
}

/// A callback for selects and toggles, which cannot produce invalid values.
fn chooser(state: &UseReducerHandle<State>, name: &'static str) -> Callback<String> {
    let set = setter(state, name);
    Callback::from(move |v: String| {
        set.emit(v);
    })
}

fn flag(state: &UseReducerHandle<State>, name: &'static str) -> Callback<bool> {
    let set = setter(state, name);
    Callback::from(move |v: bool| {
        set.emit(if v { "1".into() } else { "0".into() });
    })
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State::from_query(&web::query_string()));
    let params = &state.params;
    let config = params.config;
    let act = config.activation;

    // Keep the address bar equal to the state in use (invalid values already replaced).
    use_effect_with(params.clone(), |p| web::replace_query(&p.to_query()));

    // The simulation, recomputed in slices whenever the configuration changes.
    let sim: SharedSim = use_mut_ref(|| SimView::new(config));
    let corr: SharedCorr = use_mut_ref(CorrView::default);
    let theory_slot: SharedTheory = use_mut_ref(|| None);
    let version = use_mut_ref(|| 0u64);
    let redraw = use_force_update();
    // One runner (and worker) for the page's lifetime; each new configuration supersedes the
    // run in flight.
    let runner = {
        let (sim, corr, theory, version) = (
            sim.clone(),
            corr.clone(),
            theory_slot.clone(),
            version.clone(),
        );
        use_mut_ref(move || {
            let publish: Rc<dyn Fn()> = Rc::new(move || {
                *version.borrow_mut() += 1;
                redraw.force_update();
            });
            runner::Runner::new(sim, corr, theory, publish)
        })
    };
    {
        let runner = runner.clone();
        let query = params.to_query();
        use_effect_with(config, move |config| {
            runner.borrow().run(*config, query);
        });
    }

    // Redraw the canvases at the new size when the window is resized or zoomed.
    let resize = use_state(|| 0u64);
    {
        let resize = resize.clone();
        use_effect_with((), move |_| {
            let counter = Rc::new(RefCell::new(0u64));
            let listener = Closure::<dyn Fn()>::new(move || {
                *counter.borrow_mut() += 1;
                resize.set(*counter.borrow());
            });
            let window = web::window();
            if let Some(w) = &window {
                w.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref())
                    .ok();
            }
            move || {
                if let Some(w) = window {
                    w.remove_event_listener_with_callback(
                        "resize",
                        listener.as_ref().unchecked_ref(),
                    )
                    .ok();
                }
            }
        });
    }

    // Colour theme: the URL's choice, or for "auto" the system's preference, followed live.
    let system_dark = use_state(|| web::dark_query().is_some_and(|q| q.matches()));
    {
        let system_dark = system_dark.clone();
        use_effect_with((), move |_| {
            let query = web::dark_query();
            let listener = {
                let query = query.clone();
                Closure::<dyn Fn()>::new(move || {
                    system_dark.set(query.as_ref().is_some_and(|q| q.matches()));
                })
            };
            if let Some(q) = &query {
                q.add_event_listener_with_callback("change", listener.as_ref().unchecked_ref())
                    .ok();
            }
            move || {
                if let Some(q) = query {
                    q.remove_event_listener_with_callback(
                        "change",
                        listener.as_ref().unchecked_ref(),
                    )
                    .ok();
                }
            }
        });
    }
    let theme = match params.theme {
        "dark" => Theme::Dark,
        "light" => Theme::Light,
        _ if *system_dark => Theme::Dark,
        _ => Theme::Light,
    };
    // Applied while rendering, before the panels' effects draw with it.
    if web::theme() != theme {
        web::apply_theme(theme);
    }
    let on_theme = {
        let set = chooser(&state, "theme");
        Callback::from(move |_: MouseEvent| {
            set.emit(
                if theme == Theme::Dark {
                    "light"
                } else {
                    "dark"
                }
                .to_string(),
            )
        })
    };
    // Changes whenever every canvas must be redrawn: a new size or a new theme.
    let canvas_key: u64 = (*resize << 1) | u64::from(theme == Theme::Dark);

    // Mean-field theory of this configuration (computed in the worker; None until it arrives).
    let bundle: Option<Rc<TheoryBundle>> = theory_slot.borrow().clone();
    let on_pick = {
        let set_gain = setter(&state, "gain");
        let set_sb = setter(&state, "sb");
        Callback::from(move |(sw2, sb2): (f64, f64)| {
            let (gain, sb) = theory_view::gain_and_sb(&config, sw2, sb2);
            set_gain.emit(format!("{:.3}", gain));
            set_sb.emit(format!("{:.3}", sb));
        })
    };
    let phase_csv = {
        let bundle = bundle.clone();
        Callback::from(move |()| {
            bundle
                .as_ref()
                .map(|b| theory_view::phase_csv(&b.phase))
                .unwrap_or_default()
        })
    };

    let embed = !params.embed.is_empty();
    let all_hidden = crate::params::CONTROL_NAMES.iter().all(|c| params.hides(c));
    // Inside an iframe, tell the host page our height so it can size the frame.
    use_effect(web::post_height_to_parent);

    let version_now = *version.borrow();
    let (progress, phase, layers_done, done, backward_skipped) = {
        let s = sim.borrow();
        (
            s.progress(),
            s.phase().name(),
            s.stats().len(),
            s.is_done() && corr.borrow().done && bundle.is_some(),
            s.backward_skipped().is_some(),
        )
    };

    let activation_data =
        ActivationData::prepare(act, params.xmax, &params.overlay, params.gelu_diff);
    let is_gelu = matches!(act.kind, ActivationKind::Gelu | ActivationKind::GeluTanh);

    let activation_tools = {
        let overlay_toggles = ActivationKind::ALL.iter().filter(|k| **k != act.kind).map(|&k| {
            let checked = params.overlay.contains(&k);
            let current: Vec<ActivationKind> = params.overlay.clone();
            let set = setter(&state, "overlay");
            let onchange = Callback::from(move |on: bool| {
                let mut next: Vec<ActivationKind> = current.iter().copied().filter(|x| *x != k).collect();
                if on {
                    next.push(k);
                }
                set.emit(next.iter().map(|x| x.name()).collect::<Vec<_>>().join(","));
            });
            html! { <Toggle name={format!("overlay-{}", k.name())} label={k.label()} checked={checked} onchange={onchange} /> }
        });
        html! {
            <div class="panel-tools">
                <Number name="xmax" label="x range ±" value={params.get("xmax")} min={XMAX_RANGE.0} max={XMAX_RANGE.1}
                    scale={Scale::Linear { step: 0.5 }} onchange={setter(&state, "xmax")} />
                if is_gelu {
                    <Toggle name="gelu_diff" label="Show GELU exact − tanh approximation" checked={params.gelu_diff} onchange={flag(&state, "gelu_diff")} />
                }
                <details class="overlay">
                    <summary>{ "Overlay other activations" }</summary>
                    <div class="overlay-list">{ for overlay_toggles }</div>
                </details>
            </div>
        }
    };

    let notices = state.notices.iter().enumerate().map(|(i, n)| {
        let dismiss = {
            let state = state.clone();
            Callback::from(move |_| state.dispatch(Action::Dismiss(i)))
        };
        html! {
            <li class="notice" data-param={n.param.clone()}>
                <span>{ &n.message }</span>
                <button type="button" class="dismiss" onclick={dismiss} aria-label={format!("Dismiss notice about {}", n.param)}>{ "×" }</button>
            </li>
        }
    });
    let dismiss_all = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::DismissAll))
    };
    let new_seed = {
        let set = setter(&state, "seed");
        Callback::from(move |_| {
            set.emit(web::fresh_seed().to_string());
        })
    };

    let act_options = ActivationKind::ALL
        .iter()
        .map(|k| (AttrValue::from(k.name()), AttrValue::from(k.label())))
        .collect::<Vec<_>>();
    let init_options = Initializer::ALL
        .iter()
        .map(|k| (AttrValue::from(k.name()), AttrValue::from(k.label())))
        .collect::<Vec<_>>();
    let norm_options = Normalization::ALL
        .iter()
        .map(|k| (AttrValue::from(k.name()), AttrValue::from(k.label())))
        .collect::<Vec<_>>();
    let status_text = if done && backward_skipped {
        format!(
            "Done: {} layers, forward pass only (the backward pass is skipped, see below).",
            config.depth
        )
    } else if done {
        format!("Done: {} layers, forward and backward.", config.depth)
    } else if phase == "forward" {
        format!(
            "Computing the forward pass: layer {layers_done} of {} ({:.0}% of all work).",
            config.depth,
            progress * 100.0
        )
    } else {
        format!(
            "Computing the {phase} pass ({:.0}% of all work).",
            progress * 100.0
        )
    };

    html! {
        <>
        if embed {
            <h1 class="visually-hidden">{ "Activation Lab" }</h1>
        } else {
        <header class="site-header">
            <h1>{ "Activation Lab" }</h1>
            <p class="tagline">{ "How activations and weight initialization shape the signal in a deep network. Pick an activation and an initializer: the network below is simulated in your browser and every plot updates as you move a control. The address bar always holds the current settings: copy it to share exactly these plots." }</p>
            <div class="header-tools">
                <crate::share::Share params={params.clone()} />
                <button type="button" class="theme-toggle" aria-pressed={(theme == Theme::Dark).to_string()}
                    onclick={on_theme}>{ "Dark theme" }</button>
            </div>
            <nav class="presets" aria-label="Presets">
                <span class="presets-title">{ "Start from: " }</span>
                { for PRESETS.iter().map(|(name, query)| html! { <a href={*query}>{ *name }</a> }) }
            </nav>
        </header>
        }
        if !state.notices.is_empty() {
            <section class="notices" aria-label="Notices" role="alert">
                <ul>{ for notices }</ul>
                if state.notices.len() > 1 {
                    <button type="button" class="dismiss-all" onclick={dismiss_all}>{ "Dismiss all" }</button>
                }
            </section>
        }
        <div class={classes!("layout", embed.then_some("embed"), all_hidden.then_some("no-controls"))}>
            if !all_hidden {
            <aside class="controls" aria-label="Controls">
                <fieldset>
                    <legend>{ "Activation" }</legend>
                    if !params.hides("act") {
                        <Select name="act" disabled={params.locks("act")} label="Activation φ" value={act.kind.name()} options={act_options} onchange={chooser(&state, "act")} />
                    }
                    if act.kind == ActivationKind::LeakyRelu {
                        if !params.hides("slope") {
                            <Number name="slope" disabled={params.locks("slope")} label="Negative slope s" value={params.get("slope")} min={0.0} max={1.0} scale={Scale::Linear { step: 0.01 }} onchange={setter(&state, "slope")} />
                        }
                    }
                    if act.kind == ActivationKind::Elu {
                        if !params.hides("alpha") {
                            <Number name="alpha" disabled={params.locks("alpha")} label="ELU α" value={params.get("alpha")} min={0.0} max={5.0} scale={Scale::Linear { step: 0.05 }} onchange={setter(&state, "alpha")} />
                        }
                    }
                    if act.kind == ActivationKind::Silu {
                        if !params.hides("beta") {
                            <Number name="beta" disabled={params.locks("beta")} label="Swish β (1 = SiLU)" value={params.get("beta")} min={0.0} max={10.0} scale={Scale::Linear { step: 0.05 }} onchange={setter(&state, "beta")} />
                        }
                    }
                </fieldset>
                <fieldset>
                    <legend>{ "Weights" }</legend>
                    if !params.hides("init") {
                        <Select name="init" disabled={params.locks("init")} label="Initializer (fan_in = fan_out = width)" value={config.init.name()} options={init_options} onchange={chooser(&state, "init")} />
                    }
                    if !params.hides("gain") {
                        <Number name="gain" disabled={params.locks("gain")} label="Gain (multiplies weights)" value={params.get("gain")} min={0.0} max={5.0} scale={Scale::Linear { step: 0.01 }} onchange={setter(&state, "gain")} />
                    }
                    if !params.hides("sb") {
                        <Number name="sb" disabled={params.locks("sb")} label="Bias std sb" value={params.get("sb")} min={0.0} max={2.0} scale={Scale::Linear { step: 0.01 }} onchange={setter(&state, "sb")} />
                    }
                </fieldset>
                <fieldset>
                    <legend>{ "Network" }</legend>
                    if !params.hides("depth") {
                        <Number name="depth" disabled={params.locks("depth")} label="Depth" unit="layers" value={params.get("depth")} min={*DEPTH_RANGE.start() as f64} max={*DEPTH_RANGE.end() as f64} scale={Scale::LogInt} onchange={setter(&state, "depth")} />
                    }
                    if !params.hides("width") {
                        <Number name="width" disabled={params.locks("width")} label="Width" unit="units" value={params.get("width")} min={*WIDTH_RANGE.start() as f64} max={*WIDTH_RANGE.end() as f64} scale={Scale::LogInt} onchange={setter(&state, "width")} />
                    }
                    if !params.hides("batch") {
                        <Number name="batch" disabled={params.locks("batch")} label="Batch" unit="inputs" value={params.get("batch")} min={*BATCH_RANGE.start() as f64} max={*BATCH_RANGE.end() as f64} scale={Scale::LogInt} onchange={setter(&state, "batch")} />
                    }
                    if !params.hides("norm") {
                        <Select name="norm" disabled={params.locks("norm")} label="Normalization of h" value={config.norm.name()} options={norm_options} onchange={chooser(&state, "norm")} />
                    }
                </fieldset>
                <fieldset>
                    <legend>{ "Input x⁰ ~ N(mean, std²)" }</legend>
                    if !params.hides("in_mean") {
                        <Number name="in_mean" disabled={params.locks("in_mean")} label="Input mean" value={params.get("in_mean")} min={-10.0} max={10.0} scale={Scale::Linear { step: 0.05 }} onchange={setter(&state, "in_mean")} />
                    }
                    if !params.hides("in_std") {
                        <Number name="in_std" disabled={params.locks("in_std")} label="Input std" value={params.get("in_std")} min={0.0} max={10.0} scale={Scale::Linear { step: 0.05 }} onchange={setter(&state, "in_std")} />
                    }
                    if !params.hides("c0") {
                        <Number name="c0" disabled={params.locks("c0")} label="Correlation c0 of input pairs" value={params.get("c0")} min={-1.0} max={1.0} scale={Scale::Linear { step: 0.05 }} onchange={setter(&state, "c0")} />
                    }
                </fieldset>
                <fieldset>
                    <legend>{ "Randomness" }</legend>
                    <div class="seed-row">
                        if !params.hides("seed") {
                            <Number name="seed" disabled={params.locks("seed")} label="Seed" value={params.get("seed")} min={0.0} max={u32::MAX as f64} scale={Scale::Linear { step: 1.0 }} onchange={setter(&state, "seed")} />
                        }
                        if !params.hides("seed") {
                            <button type="button" id="new-seed" onclick={new_seed} disabled={params.locks("seed")}>{ "New seed" }</button>
                        }
                    </div>
                </fieldset>
                if !params.hides("kernels") {
                <fieldset>
                    <legend>{ "Computation" }</legend>
                    <Select name="kernels" disabled={params.locks("kernels")} label="Kernels (same maths; SIMD is about 8x faster)" value={config.kernels.name()}
                        options={vec![("simd".into(), "SIMD (wasm simd128)".into()), ("scalar".into(), "Scalar (the reference definitions)".into())]}
                        onchange={chooser(&state, "kernels")} />
                </fieldset>
                }
            </aside>
            }
            <main class="panels">
                <div class="status" role="status" aria-live="polite" data-done={done.to_string()} data-engine={runner.borrow().engine()}>
                    <progress max="1" value={progress.to_string()} aria-label="Simulation progress"></progress>
                    <span>{ status_text }</span>
                </div>
                if params.shows_panel("activation") {
                    <ActivationPanel data={activation_data} resize={canvas_key} tools={activation_tools} />
                }
                if params.shows_panel("stats") {
                    <StatsPanel sim={sim.clone()} version={version_now} resize={canvas_key} log_var={params.log_var} on_log_var={flag(&state, "log_var")}
                    theory={bundle.as_ref().filter(|_| params.theory).map(|b| b.theory.clone())} on_theory={flag(&state, "theory")} />
                }
                if params.shows_panel("hist") {
                    <HistPanel sim={sim.clone()} version={version_now} resize={canvas_key} />
                }
                if params.shows_panel("grads") {
                    <GradsPanel sim={sim.clone()} version={version_now} resize={canvas_key} theory={bundle.as_ref().filter(|_| params.theory).map(|b| b.theory.clone())} />
                }
                if params.shows_panel("corr") {
                    if let Some(b) = &bundle {
                        <CorrPanel sim={sim.clone()} corr={corr.clone()} version={version_now} resize={canvas_key} theory={b.theory.clone()} />
                    } else {
                        <PendingPanel name="corr" title={CORR_TITLE} />
                    }
                }
                if params.shows_panel("selu_map") {
                    if let Some(b) = &bundle {
                        <MapPanel sim={sim.clone()} version={version_now} resize={canvas_key} theory={b.theory.clone()} map={b.map.clone()} />
                    } else {
                        <PendingPanel name="selu_map" title={MAP_TITLE} />
                    }
                }
                if params.shows_panel("phase") {
                    if let Some(b) = &bundle {
                        <PhasePanel data={b.phase.clone()} resize={canvas_key} on_pick={on_pick} act_label={act.kind.label()} csv={phase_csv} />
                    } else {
                        <PendingPanel name="phase" title={PHASE_TITLE} />
                    }
                }
                if params.shows_panel("derive") {
                    <DeriveSelu />
                }
            </main>
        </div>
        if !embed {
        <footer class="site-footer">
            <p>{ "SELU: Klambauer et al. 2017, Self-Normalizing Neural Networks. GELU: Hendrycks & Gimpel 2016. Signal propagation: Poole et al. 2016, Schoenholz et al. 2017. Everything is computed in this page; nothing is sent anywhere." }</p>
        </footer>
        }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::PRESETS;
    use crate::params::Params;
    use crate::theory_view::Theory;
    use lab_core::theory::Phase;

    #[test]
    fn presets_are_valid_links() {
        for (name, query) in PRESETS {
            let (_, notices) = Params::from_query(query);
            assert!(notices.is_empty(), "{name}: {notices:?}");
        }
    }

    #[test]
    fn the_edge_of_chaos_preset_is_critical() {
        // science.md: tanh's critical line passes through (sigma_b^2, sigma_w^2) = (0.05, 1.761).
        let (_, query) = PRESETS
            .iter()
            .find(|p| p.0.contains("edge of chaos"))
            .unwrap();
        let (params, _) = Params::from_query(query);
        let theory = Theory::of(&params.config);
        assert!((theory.sigma_w2 - 1.761).abs() < 2e-3 && (theory.sigma_b2 - 0.05).abs() < 1e-4);
        assert_eq!(
            theory.mean_field.phase,
            Phase::Critical,
            "chi_1 = {}",
            theory.mean_field.chi1
        );
    }
}
