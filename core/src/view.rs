//! What the page shows of a simulation: its results so far, without its working memory.
//!
//! The simulation runs in a Web Worker; the page holds a [`SimView`] and applies the
//! [`Delta`]s the worker posts (every layer's statistics, the histogram samples of the layers
//! forwarded since the last delta, progress). The view has the same read accessors as
//! [`Simulation`], and `SimView::apply(Delta::since(sim, view.samples_len()))` reproduces the
//! simulation's results exactly, which the tests check.

use crate::config::Config;
use crate::sim::{RunPhase, Simulation};
use crate::stats::{
    backward_signal, first_nonfinite, forward_signal, LayerStats, NonFinite, Signal,
};

/// The change of a simulation's visible results since a view last saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delta {
    /// Fraction of the work done, in [0, 1].
    pub progress: f64,
    pub phase: RunPhase,
    /// Lowest layer whose grad_rms is known (depth + 1 before the backward pass).
    pub backward_reached: usize,
    pub backward_skipped: Option<String>,
    /// Every layer's statistics so far (small: six numbers per layer; grad_rms changes in the
    /// backward pass, so they are all sent each time).
    pub stats: Vec<LayerStats>,
    /// Every forwarded layer's count of non-finite entries (as `stats`, all of them each time).
    pub nonfinite: Vec<NonFinite>,
    /// Index (0-based layer) of the first entry of `samples`.
    pub samples_from: usize,
    /// Histogram samples of layers samples_from + 1, samples_from + 2, ... (only new layers:
    /// up to 2048 floats per layer, never changed once forwarded).
    pub samples: Vec<Vec<f32>>,
}

impl Delta {
    /// The results of `sim` that a view holding `samples_seen` layers of samples lacks.
    pub fn since(sim: &Simulation, samples_seen: usize) -> Delta {
        let forwarded = sim.stats().len();
        let from = samples_seen.min(forwarded);
        Delta {
            progress: sim.progress(),
            phase: sim.phase(),
            backward_reached: sim.backward_reached(),
            backward_skipped: sim.backward_skipped().map(str::to_string),
            stats: sim.stats().to_vec(),
            nonfinite: sim.nonfinite().to_vec(),
            samples_from: from,
            samples: (from + 1..=forwarded)
                .map(|l| sim.samples(l).to_vec())
                .collect(),
        }
    }
}

/// A simulation's results as the page knows them.
#[derive(Clone, Debug, PartialEq)]
pub struct SimView {
    config: Config,
    progress: f64,
    phase: RunPhase,
    backward_reached: usize,
    backward_skipped: Option<String>,
    stats: Vec<LayerStats>,
    nonfinite: Vec<NonFinite>,
    samples: Vec<Vec<f32>>,
}

impl SimView {
    /// Nothing computed yet for `config`.
    pub fn new(config: Config) -> SimView {
        SimView {
            config,
            progress: 0.0,
            phase: RunPhase::Forward,
            backward_reached: config.depth + 1,
            backward_skipped: None,
            stats: Vec::new(),
            nonfinite: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// Everything `sim` has computed.
    pub fn of(sim: &Simulation) -> SimView {
        let mut view = SimView::new(*sim.config());
        view.apply(Delta::since(sim, 0));
        view
    }

    /// Takes in a delta. Samples that do not continue the ones held (a delta from another run,
    /// or one lost on the way) are ignored rather than misplaced.
    pub fn apply(&mut self, delta: Delta) {
        self.progress = delta.progress;
        self.phase = delta.phase;
        self.backward_reached = delta.backward_reached;
        self.backward_skipped = delta.backward_skipped;
        self.stats = delta.stats;
        self.nonfinite = delta.nonfinite;
        if delta.samples_from == self.samples.len() {
            self.samples.extend(delta.samples);
        }
    }

    /// Layers whose histogram samples are held.
    pub fn samples_len(&self) -> usize {
        self.samples.len()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn progress(&self) -> f64 {
        self.progress
    }
    pub fn is_done(&self) -> bool {
        self.phase == RunPhase::Done
    }
    /// As [`Simulation::phase`].
    pub fn phase(&self) -> RunPhase {
        self.phase
    }
    /// As [`Simulation::stats`].
    pub fn stats(&self) -> &[LayerStats] {
        &self.stats
    }
    /// As [`Simulation::nonfinite`].
    pub fn nonfinite(&self) -> &[NonFinite] {
        &self.nonfinite
    }
    /// The first layer (1-based) with non-finite entries, and its counts.
    pub fn first_nonfinite(&self) -> Option<(usize, NonFinite)> {
        first_nonfinite(&self.nonfinite)
    }
    /// As [`Simulation::samples`]: layer is 1-based; empty for a layer not received yet.
    pub fn samples(&self, layer: usize) -> &[f32] {
        crate::sim::layer_samples(&self.samples, layer)
    }
    /// As [`Simulation::forward_signal`].
    pub fn forward_signal(&self) -> Signal {
        forward_signal(&self.stats)
    }
    /// As [`Simulation::backward_signal`].
    pub fn backward_signal(&self) -> Signal {
        backward_signal(&self.stats, self.config.depth, self.backward_reached)
    }
    /// As [`Simulation::backward_skipped`].
    pub fn backward_skipped(&self) -> Option<&str> {
        self.backward_skipped.as_deref()
    }
}
