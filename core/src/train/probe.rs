//! The evaluations of the Train lab's trainer: loss and accuracy of the whole training and test
//! sets, the probe statistics of every hidden layer (post-activation mean and variance, the RMS
//! of dL/dh, omega and tau of the incoming weights) and the decision map. When evaluations happen
//! and how the probe batch is drawn: see [`crate::train::trainer`]. Re-exported from there.

use crate::rng::Rng;
use crate::train::data::{Dataset, Standardizer};
use crate::train::model::{cross_entropy, Mode};
use crate::train::trainer::Trainer;
use crate::train::STREAM_PROBE_DROPOUT;

/// Grid points per side of the decision map.
pub const GRID: usize = 64;
/// The decision map covers the data's range extended by this fraction of it on each side.
pub const GRID_MARGIN: f64 = 0.1;
/// Rows per chunk when evaluating whole data sets.
const EVAL_CHUNK: usize = 512;

/// Probe statistics of one hidden layer at one evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerProbe {
    /// Mean over all probe x width entries of the layer's output after dropout.
    pub post_mean: f64,
    /// Population variance of the same entries.
    pub post_var: f64,
    /// RMS of dL/dh (h = x W + b, before normalization) for the probe batch's mean cross-entropy.
    pub grad_rms: f64,
    /// Per unit j: omega_j = sum_i W[i][j] (its incoming weights), tau_j = sum_i W[i][j]^2;
    /// their mean and population std over the units.
    pub omega_mean: f64,
    pub omega_std: f64,
    pub tau_mean: f64,
    pub tau_std: f64,
    /// Fraction of units with omega in [-0.1, 0.1] and tau in [0.95, 1.1] (the box of the SNN
    /// paper's Theorem 1).
    pub inside_box: f64,
}

/// One evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub step: usize,
    pub train_loss: f64,
    pub train_acc: f64,
    pub test_loss: f64,
    pub test_acc: f64,
    /// One entry per hidden layer, layer 1 first.
    pub layers: Vec<LayerProbe>,
}

/// p(class 1) on a GRID x GRID grid, in the data's original (unstandardized) coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionMap {
    /// The evaluation step it belongs to.
    pub step: usize,
    /// Grid coordinates of feature 1 and feature 2 (GRID values each, increasing).
    pub x1: Vec<f64>,
    pub x2: Vec<f64>,
    /// p1[i2 * GRID + i1] = p(class 1 | x1[i1], x2[i2]) in evaluation mode.
    pub p1: Vec<f32>,
}

impl Trainer {
    /// Mean loss and accuracy of a whole data set in evaluation mode.
    fn eval_set(&mut self, which: bool) -> (f64, f64) {
        let set = if which { &self.train } else { &self.test };
        let mut loss = 0.0;
        let mut correct = 0usize;
        let mut unused = Rng::from_state([1, 2, 3, 4]);
        let mut start = 0;
        while start < set.n {
            let rows = EVAL_CHUNK.min(set.n - start);
            let x = &set.x[start * set.d..(start + rows) * set.d];
            let y = &set.y[start..start + rows];
            self.model
                .forward(x, rows, Mode::Eval, &mut unused, &mut self.eval_cache);
            loss += cross_entropy(&self.eval_cache.logits, y, set.classes, None) * rows as f64;
            correct += self
                .model
                .predictions(&self.eval_cache)
                .iter()
                .zip(y)
                .filter(|(p, t)| p == t)
                .count();
            start += rows;
        }
        (loss / set.n as f64, correct as f64 / set.n as f64)
    }

    pub(super) fn evaluate(&mut self, step: usize) {
        let (train_loss, train_acc) = self.eval_set(true);
        let (test_loss, test_acc) = self.eval_set(false);
        // The probe batch in training mode.
        let rows = self.probe_y.len();
        let mut probe_rng =
            Rng::from_seed_and_id(self.settings.seed, STREAM_PROBE_DROPOUT + step as u64);
        self.model.forward(
            &self.probe_x,
            rows,
            Mode::Train,
            &mut probe_rng,
            &mut self.eval_cache,
        );
        self.model.loss(&mut self.eval_cache, &self.probe_y);
        self.model
            .backward(&mut self.eval_cache, &mut self.probe_grads);
        let layers = (0..self.model.spec.depth)
            .map(|l| {
                let (post_mean, post_var) = mean_var(&self.eval_cache.input[l + 1]);
                let dh = &self.eval_cache.dh[l];
                let grad_rms = (dh.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>()
                    / dh.len().max(1) as f64)
                    .sqrt();
                let layer = &self.model.layers[l];
                let (omega, tau) = omega_tau(&layer.w, layer.fan_in, layer.fan_out);
                let (omega_mean, omega_var) = mean_var_f64(&omega);
                let (tau_mean, tau_var) = mean_var_f64(&tau);
                let inside = omega
                    .iter()
                    .zip(&tau)
                    .filter(|(&o, &t)| (-0.1..=0.1).contains(&o) && (0.95..=1.1).contains(&t))
                    .count();
                LayerProbe {
                    post_mean,
                    post_var,
                    grad_rms,
                    omega_mean,
                    omega_std: omega_var.sqrt(),
                    tau_mean,
                    tau_std: tau_var.sqrt(),
                    inside_box: inside as f64 / omega.len().max(1) as f64,
                }
            })
            .collect();
        self.history.evals.push(Evaluation {
            step,
            train_loss,
            train_acc,
            test_loss,
            test_acc,
            layers,
        });
        if let Some((inputs, x1, x2)) = &self.grid {
            let mut unused = Rng::from_state([1, 2, 3, 4]);
            self.model.forward(
                inputs,
                GRID * GRID,
                Mode::Eval,
                &mut unused,
                &mut self.eval_cache,
            );
            let p1 = self
                .eval_cache
                .logits
                .chunks_exact(2)
                .map(|l| {
                    // p1 = sigmoid(l1 - l0), written without overflow.
                    let t = f64::from(l[1]) - f64::from(l[0]);
                    (if t >= 0.0 {
                        1.0 / (1.0 + (-t).exp())
                    } else {
                        t.exp() / (1.0 + t.exp())
                    }) as f32
                })
                .collect();
            self.history.decision = Some(DecisionMap {
                step,
                x1: x1.clone(),
                x2: x2.clone(),
                p1,
            });
        }
        if !train_loss.is_finite() && self.history.diverged_at.is_none() {
            self.history.diverged_at = Some(step);
            self.done = true;
        }
    }
}

fn mean_var(v: &[f32]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var)
}

fn mean_var_f64(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

/// Per unit j (column of W): omega_j = sum_i W[i][j], tau_j = sum_i W[i][j]^2 (f64).
pub fn omega_tau(w: &[f32], fan_in: usize, fan_out: usize) -> (Vec<f64>, Vec<f64>) {
    let mut omega = vec![0.0; fan_out];
    let mut tau = vec![0.0; fan_out];
    for row in w.chunks_exact(fan_out).take(fan_in) {
        for ((o, t), &v) in omega.iter_mut().zip(tau.iter_mut()).zip(row) {
            *o += f64::from(v);
            *t += f64::from(v) * f64::from(v);
        }
    }
    (omega, tau)
}

/// The decision grid of a two-feature data set: GRID values per feature spanning its range
/// extended by GRID_MARGIN of the range on each side; returns the standardized inputs
/// (x1 fastest) and the raw coordinates.
pub(super) fn decision_grid(data: &Dataset, s: &Standardizer) -> (Vec<f32>, Vec<f64>, Vec<f64>) {
    let axis = |j: usize| {
        let (lo, hi) = (0..data.n).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
            let v = f64::from(data.x[i * 2 + j]);
            (lo.min(v), hi.max(v))
        });
        let span = (hi - lo).max(1e-9);
        let (lo, hi) = (lo - GRID_MARGIN * span, hi + GRID_MARGIN * span);
        (0..GRID)
            .map(|k| lo + (hi - lo) * k as f64 / (GRID - 1) as f64)
            .collect::<Vec<f64>>()
    };
    let (x1, x2) = (axis(0), axis(1));
    let mut inputs = Vec::with_capacity(GRID * GRID * 2);
    for &b in &x2 {
        for &a in &x1 {
            inputs.push(s.transform_value(0, a));
            inputs.push(s.transform_value(1, b));
        }
    }
    (inputs, x1, x2)
}
