//! The panels, one module each (its component and its CSV export), registered in one list:
//! [`PanelId`] drives the page's order, the `embed=` names and [`render`].
//!
//! A new panel: its chart in `charts/`, its module here, its row in `src/registry.rs` and its
//! arm in [`render`]; the end-to-end tests read the registry from the page.

pub mod activation;
pub mod corr;
pub mod derive;
pub mod frame;
pub mod grads;
pub mod hist;
pub mod jacobian;
pub mod phase;
pub mod selu_map;
pub mod stats;
pub mod text;

use crate::components::Setter;
use crate::engine::TheoryBundle;
use crate::hooks::{PinnedRun, RunState, Same};
use crate::params::Params;
use crate::theory_view::Theory;
use std::rc::Rc;
use yew::prelude::*;

pub use crate::registry::PanelId;

/// What every panel receives: the run's results, the settings, a way to change them, and a
/// counter that changes when the canvases must be redrawn at a new size.
#[derive(Properties, PartialEq, Clone)]
pub struct PanelProps {
    pub run: RunState,
    pub params: Params,
    pub set: Setter,
    pub resize: u64,
    /// The pinned runs, drawn as references on the stats, grads, hist and corr panels.
    #[prop_or_default]
    pub pins: Vec<PinnedRun>,
    /// The run the current one replaced, drawn like a pin on the same panels while the
    /// current one computes.
    #[prop_or_default]
    pub previous: Option<PinnedRun>,
}

/// The pinned runs that have results, for a chart's closure: (pin number, legend label, the
/// run's view). A run still computing says so in its label and shows its layers so far. The
/// previous run, while the current one computes, is among them as pin number
/// [`charts::PREVIOUS`](crate::charts::PREVIOUS), last.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PinViews(pub Vec<(usize, String, RunState)>);

impl PinViews {
    pub fn of(pins: &[PinnedRun], previous: Option<&PinnedRun>) -> PinViews {
        let mut views: Vec<_> = pins
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let state = p.state.as_ref()?;
                let label = if let Some(why) = &state.failed {
                    format!("{} (failed: {why})", p.label)
                } else if state.view.is_done() {
                    p.label.clone()
                } else {
                    format!("{} (computing…)", p.label)
                };
                Some((i, label, state.clone()))
            })
            .collect();
        if let Some((p, state)) = previous.and_then(|p| Some((p, p.state.as_ref()?))) {
            let label = if state.view.is_done() {
                p.label.clone()
            } else {
                format!("{} (as far as it got)", p.label)
            };
            views.push((crate::charts::PREVIOUS, label, state.clone()));
        }
        PinViews(views)
    }

    /// The pinned runs only (not the previous run).
    fn pinned(&self) -> impl Iterator<Item = &(usize, String, RunState)> {
        self.0
            .iter()
            .filter(|(i, _, _)| *i != crate::charts::PREVIOUS)
    }

    /// "pin 2", or "previous" for the previous run.
    pub fn name(index: usize) -> String {
        if index == crate::charts::PREVIOUS {
            "previous".to_string()
        } else {
            format!("pin {}", index + 1)
        }
    }

    /// As the charts take them; `forward`: only the layers before an explosion (as the
    /// forward panels show the current run).
    pub fn stats(&self, forward: bool) -> Vec<crate::charts::PinStats<'_>> {
        self.0
            .iter()
            .map(|(index, label, run)| crate::charts::PinStats {
                index: *index,
                label: label.clone(),
                stats: if forward {
                    &run.view.stats()[..text::shown_layers(&run.view)]
                } else {
                    run.view.stats()
                },
                depth: run.view.config().depth,
            })
            .collect()
    }

    /// (run name, results) of each pin (not the previous run) for the CSVs: "pin1", "pin2", ...
    pub fn named(&self) -> Vec<(String, RunState)> {
        self.pinned()
            .map(|(i, _, r)| (format!("pin{}", i + 1), r.clone()))
            .collect()
    }

    /// One CSV of the current run (`current`) and the pins: `current` alone (unchanged, no
    /// `run` column) without pins.
    pub fn csv(&self, current: String, of: impl Fn(&RunState) -> String) -> String {
        if self.pinned().next().is_none() {
            return current;
        }
        let mut runs = vec![("current".to_string(), current)];
        runs.extend(self.named().into_iter().map(|(n, r)| (n, of(&r))));
        crate::csv::runs_csv(&runs)
    }
}

impl PanelProps {
    /// The theory to draw over the simulation, when the overlay is on and it has arrived.
    pub fn theory(&self) -> Option<Rc<Theory>> {
        self.run
            .theory
            .as_ref()
            .filter(|_| self.params.theory)
            .map(|b| b.theory.clone())
    }

    /// The pinned runs with results, and the previous run while this one computes.
    pub fn pin_views(&self) -> PinViews {
        PinViews::of(&self.pins, self.previous.as_ref())
    }

    /// The theory bundle of the current run, once computed.
    pub fn theory_bundle(&self) -> Option<Same<TheoryBundle>> {
        self.run.theory.clone()
    }

    /// A check box's callback that sets the 0/1 parameter `name`.
    pub fn flag(&self, name: &'static str) -> Callback<bool> {
        let set = self.set.clone();
        Callback::from(move |on: bool| {
            set.emit((name, if on { "1" } else { "0" }.to_string()));
        })
    }
}

/// The theory a theory panel draws, and the note it shows when that theory is stale: the
/// current run's once computed (no note); before that (a fraction of a second after a change)
/// the last one this panel drew, which the panel shows faded ([`frame::Frame`]'s `busy`) with
/// a note saying it is being updated, or, when the run stopped (its worker died), that it is
/// the previous setting's. The panel stays in place rather than being replaced by a
/// placeholder and rebuilt at every step of a drag.
#[hook]
pub fn use_theory(props: &PanelProps) -> (Option<Same<TheoryBundle>>, Option<&'static str>) {
    let last = use_mut_ref(|| None::<Same<TheoryBundle>>);
    match props.theory_bundle() {
        Some(t) => {
            *last.borrow_mut() = Some(t.clone());
            (Some(t), None)
        }
        None => {
            let last = last.borrow().clone();
            let note = match (&last, &props.run.failed) {
                (None, _) => None,
                (Some(_), None) => Some("updating for the new setting…"),
                (Some(_), Some(_)) => Some("the previous setting's theory: this run stopped"),
            };
            (last, note)
        }
    }
}

/// The panel `id`.
pub fn render(id: PanelId, props: PanelProps) -> Html {
    match id {
        PanelId::Activation => html! { <activation::ActivationPanel ..props /> },
        PanelId::Stats => html! { <stats::StatsPanel ..props /> },
        PanelId::Hist => html! { <hist::HistPanel ..props /> },
        PanelId::Grads => html! { <grads::GradsPanel ..props /> },
        PanelId::Corr => html! { <corr::CorrPanel ..props /> },
        PanelId::Jacobian => html! { <jacobian::JacobianPanel ..props /> },
        PanelId::SeluMap => html! { <selu_map::MapPanel ..props /> },
        PanelId::Phase => html! { <phase::PhasePanel ..props /> },
        PanelId::Derive => html! { <derive::DeriveSelu /> },
        // The Train section is its own component, which the App renders (it builds on the
        // panels, so the panels do not import it).
        PanelId::Train => html! {},
    }
}
