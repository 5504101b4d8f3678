//! Where the simulation runs: the runner on the page, the worker loop, one slice loop shared by
//! both ([`job`]), the messages between them ([`wire`], [`config_wire`]) and the flat encoding
//! of the theory ([`codec`]). Depends on the core and on `theory_view` only, never on charts or
//! panels.

pub mod codec;
pub mod config_wire;
pub mod job;
pub mod runner;
pub mod wire;
pub mod worker;

pub use job::CorrView;
