//! The page's custom hooks: window size, colour theme, and the simulation run.

mod listener;
mod resize;
mod simulation;
mod theme;

pub use resize::use_resize;
pub use simulation::{use_simulation, PinnedRun, RunState, Same};
pub use theme::use_theme;
