//! The page's parts, one per file; `App` only composes them.

pub mod header;
pub mod notices;
pub mod pins;
pub mod share;
pub mod sidebar;
pub mod status;
pub mod widgets;

/// Sets one URL parameter from text and returns the canonical text actually used.
pub type Setter = yew::Callback<(&'static str, String), String>;
