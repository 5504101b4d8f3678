//! The page's view of a simulation, built from deltas as the worker sends them, holds exactly
//! the simulation's results.

use lab_core::{Activation, ActivationKind, Config, Delta, RunPhase, SimView, Simulation};

fn config() -> Config {
    Config {
        depth: 12,
        width: 24,
        batch: 40,
        activation: Activation::new(ActivationKind::Elu),
        ..Config::default()
    }
}

#[test]
fn deltas_streamed_during_a_run_rebuild_the_simulation_exactly() {
    let mut sim = Simulation::new(config()).unwrap();
    let mut view = SimView::new(config());
    let mut deltas = 0;
    while !sim.step(3.0e4) {
        view.apply(Delta::since(&sim, view.samples_len()));
        deltas += 1;
    }
    view.apply(Delta::since(&sim, view.samples_len()));
    assert!(deltas > 10, "the run was seen in many pieces ({deltas})");
    assert!(view.is_done());
    assert_eq!(view.phase(), RunPhase::Done);
    assert_eq!(view.progress(), 1.0);
    assert_eq!(view.stats(), sim.stats());
    for layer in 0..=13 {
        assert_eq!(view.samples(layer), sim.samples(layer), "layer {layer}");
    }
    assert!(!view.samples(12).is_empty());
    assert_eq!(view.forward_signal(), sim.forward_signal());
    assert_eq!(view.backward_signal(), sim.backward_signal());
    assert_eq!(view, SimView::of(&sim));
}

#[test]
fn a_delta_that_does_not_continue_the_samples_is_not_misplaced() {
    let sim = Simulation::run(config()).unwrap();
    let mut view = SimView::new(config());
    // A delta holding layers 5.. arriving at a view holding none (a lost message): its samples
    // are dropped, its statistics (complete by construction) are taken.
    view.apply(Delta::since(&sim, 4));
    assert_eq!(view.samples_len(), 0);
    assert!(view.samples(5).is_empty());
    assert_eq!(view.stats(), sim.stats());
}

#[test]
fn an_empty_view_is_healthy_and_not_done() {
    let view = SimView::new(config());
    assert!(!view.is_done());
    assert_eq!(view.phase(), RunPhase::Forward);
    assert!(view.stats().is_empty() && view.samples(1).is_empty());
    assert_eq!(view.forward_signal(), lab_core::Signal::Healthy);
    assert_eq!(view.backward_signal(), lab_core::Signal::Healthy);
}
