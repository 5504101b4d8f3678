//! The page: `App` composes the header, the notices, the controls, the status line and the
//! panels, and the hooks that hold the URL state, the theme, the window size and the run.

use crate::charts::Theme;
use crate::components::header::{Footer, Header};
use crate::components::notices::Notices;
use crate::components::pins::PinBar;
use crate::components::sidebar::{all_hidden, QuickBar, Sidebar};
use crate::components::status::Status;
use crate::components::Setter;
use crate::hooks::{use_resize, use_simulation, use_theme};
use crate::panels::{self, PanelId, PanelProps};
use crate::state::{Action, State};
use crate::train::section::TrainSection;
use crate::web;
use yew::prelude::*;

/// The setter every control uses: validates through the URL table and returns the text used.
fn setter(state: &UseReducerHandle<State>) -> Setter {
    let state = state.clone();
    Callback::from(move |(name, raw): (&'static str, String)| {
        let mut probe = state.params.clone();
        let _ = probe.set(name, &raw);
        let used = probe.get(name);
        state.dispatch(Action::Set { name, raw });
        used
    })
}

#[function_component]
pub fn App() -> Html {
    let state = use_reducer(|| State::from_query(&web::query_string()));
    let params = &state.params;

    // Keep the address bar equal to the state in use (invalid values already replaced).
    use_effect_with(params.clone(), |p| web::replace_query(&p.to_query()));
    // Inside an iframe, tell the host page our height so it can size the frame.
    use_effect(web::post_height_to_parent);

    let sim = use_simulation(params.config, params.pins.clone(), params.workers);
    let resize = use_resize();
    let theme = use_theme(params.theme);
    let set = setter(&state);

    let on_toggle_theme = {
        let set = set.clone();
        Callback::from(move |()| {
            set.emit((
                "theme",
                if theme == Theme::Dark {
                    "light"
                } else {
                    "dark"
                }
                .into(),
            ));
        })
    };
    let on_dismiss = {
        let state = state.clone();
        Callback::from(move |i| state.dispatch(Action::Dismiss(i)))
    };
    let on_dismiss_all = {
        let state = state.clone();
        Callback::from(move |()| state.dispatch(Action::DismissAll))
    };

    let embed = !params.embed.is_empty();
    // The panels that draw pinned runs and the previous run's curves.
    let curves_shown = ["stats", "grads", "hist", "corr"]
        .iter()
        .any(|p| params.shows_panel(p));
    let no_controls = all_hidden(params);
    let panel_props = PanelProps {
        run: sim.state.clone(),
        params: params.clone(),
        set: set.clone(),
        resize,
        pins: sim.pins.clone(),
        previous: sim.previous.clone(),
    };
    let shown = PanelId::ALL
        .iter()
        .filter(|id| params.shows_panel(id.name()))
        .map(|&id| match id {
            PanelId::Train => html! {
                <TrainSection params={params.clone()} set={set.clone()} {resize} />
            },
            _ => panels::render(id, panel_props.clone()),
        });

    let export_info = panels::frame::ExportInfo {
        settings: crate::params::settings_line(&params.config),
        stem: panels::text::config_stem(&params.config),
    };

    html! {
        <ContextProvider<Theme> context={theme}>
        <ContextProvider<panels::frame::ExportInfo> context={export_info}>
        if embed {
            <h1 class="visually-hidden">{ "Activation Lab" }</h1>
        } else {
            <Header params={params.clone()} {theme} {on_toggle_theme} />
        }
        <Notices notices={state.notices.clone()} {on_dismiss} {on_dismiss_all} />
        <div class={classes!("layout", embed.then_some("embed"), no_controls.then_some("no-controls"))}>
            if !no_controls {
                <Sidebar params={params.clone()} set={set.clone()} />
            }
            // The registry's panel names, which the end-to-end tests read.
            <main class="panels" data-panels={PanelId::NAMES.join(",")}>
                if !no_controls {
                    <QuickBar params={params.clone()} set={set.clone()} />
                }
                // The status names the previous run's curves only where a panel draws them.
                <Status run={sim.state.clone()} engine={sim.engine} pending={sim.pending}
                    previous={sim.previous.as_ref().filter(|_| curves_shown).map(|p| p.label.clone())} />
                if curves_shown {
                    <PinBar pins={sim.pins.clone()} current={params.config} done={sim.state.is_done()}
                        set={set.clone()} />
                }
                { for shown }
            </main>
        </div>
        if !embed {
            <Footer />
        }
        </ContextProvider<panels::frame::ExportInfo>>
        </ContextProvider<Theme>>
    }
}
