//! Where the simulation runs: the runner on the page, the worker loop, one slice loop shared by
//! both ([`job`]), the messages between them ([`wire`], [`config_wire`]) and the flat encoding
//! of the theory ([`codec`], [`bundle`]). Depends on the core only, never on charts, panels or
//! views.

pub mod bundle;
pub mod codec;
pub mod config_wire;
mod flat;
pub mod jacobian_wire;
pub mod job;
pub mod modules;
pub mod pool_wire;
pub mod runner;
pub mod train_job;
pub mod train_runner;
pub mod train_wire;
pub mod wire;
pub mod worker;

pub use bundle::TheoryBundle;
pub use job::CorrView;
