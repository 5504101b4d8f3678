//! Activation Lab: the web app (Yew). The simulation itself lives in the `lab-core` crate.

mod app;
mod charts;
mod claims;
mod components;
mod csv;
mod engine;
mod hooks;
mod panels;
mod params;
mod presets;
mod registry;
mod state;
mod theory_view;
mod train;
mod web;

fn main() {
    // The same wasm runs the simulation worker (see engine/runner.rs).
    if engine::worker::in_worker() {
        engine::worker::run();
        return;
    }
    web::install_panic_hook();
    let root = web::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<app::App>::with_root(root).render();
        }
        None => web::log_error("Activation Lab: no element with id \"app\" to mount into"),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod golden_tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_kernel_tests;
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests;
