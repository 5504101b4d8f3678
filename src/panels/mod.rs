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
use crate::hooks::{RunState, Same};
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
