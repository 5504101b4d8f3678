//! The resumable trainer of the Train lab, its settings and its recorded history; the evaluations
//! (probe statistics, decision map) are in `probe.rs` and the CSV writers in `export.rs`, both
//! re-exported here.
//!
//! **Steps.** Step s = 1..steps is the s-th parameter update; its batch loss is the minibatch
//! loss computed *before* that update (in training mode). Minibatches are drawn without
//! replacement: each epoch is a fresh permutation of the training indices (the identity
//! shuffled by Fisher-Yates from stream [`crate::train::STREAM_BATCHES`]), cut into batches of
//! exactly min(tbatch, n_train) examples; a remainder smaller than that is skipped (PyTorch's
//! `drop_last=True`).
//!
//! **Evaluations** happen at step 0 (before any update), after every eval_every-th update and
//! after the last one: the whole training and test sets in evaluation mode (mean cross-entropy
//! and accuracy), then the probe statistics and, for two-feature two-class tasks, the decision
//! map. The probe batch is a fixed set of min(256, n_train) training examples (the first ones of
//! a permutation from stream [`crate::train::STREAM_PROBE`]) that goes through the network in
//! *training* mode (dropout masks drawn from their own stream, id
//! [`crate::train::STREAM_PROBE_DROPOUT`] + step, BatchNorm on the probe batch's own statistics,
//! the running statistics not updated), so probing never changes the training trajectory and the
//! statistics of step s do not depend on eval_every.
//!
//! **Divergence.** A non-finite batch loss at step s (or a non-finite training loss at an
//! evaluation of step s) stops training; [`History::diverged_at`] records s and no update s is
//! made.

use crate::activation::{Activation, ActivationKind};
use crate::config::{Arch, NormAt, Normalization};
use crate::init::Initializer;
use crate::rng::Rng;
use crate::train::data::{self, split, Dataset, Shape2d, Standardizer};
use crate::train::model::{Cache, DropoutKind, Grads, Mode, Model, ModelSpec};
use crate::train::optim::{Optimizer, OptimizerKind};
use crate::train::{STREAM_BATCHES, STREAM_DROPOUT, STREAM_PROBE};
use std::ops::RangeInclusive;

pub use crate::train::export::{decision_csv, loss_csv, train_stats_csv, weights_csv};
use crate::train::probe::decision_grid;
pub use crate::train::probe::{omega_tau, DecisionMap, Evaluation, LayerProbe, GRID, GRID_MARGIN};

/// The task a run trains on (the data itself is passed to [`Trainer::new`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Task {
    /// The 8x8 digits (from `static/digits.bin`).
    Digits,
    /// A two-dimensional task of [`data::generate_2d`].
    TwoD {
        shape: Shape2d,
        noise: f64,
        data_seed: u64,
    },
    /// A user CSV: `name` is the file name and `label_column` the argument given to
    /// [`data::parse_csv`] (both used by the PyTorch script).
    Csv {
        name: String,
        label_column: Option<usize>,
    },
}

impl Task {
    /// Builds the task's data set: digits from `digits_bin`, 2-D tasks from their generator.
    /// A CSV task's data comes from [`data::parse_csv`] instead (returns an error here).
    pub fn dataset(&self, digits_bin: Option<&[u8]>) -> Result<Dataset, String> {
        match self {
            Task::Digits => {
                let bytes = digits_bin.ok_or("the digits task needs digits.bin")?;
                Dataset::from_digits_bin(bytes).map_err(|e| e.to_string())
            }
            Task::TwoD {
                shape,
                noise,
                data_seed,
            } => Ok(data::generate_2d(*shape, *noise, *data_seed)),
            Task::Csv { .. } => Err("a CSV task's data comes from parse_csv".into()),
        }
    }
}

/// Settings of one training run. Ranges: see [`Settings::validated`].
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub task: Task,
    pub depth: usize,
    pub width: usize,
    pub activation: Activation,
    pub init: Initializer,
    pub gain: f64,
    pub bias_std: f64,
    pub norm: Normalization,
    /// GroupNorm's groups (used only with [`Normalization::Group`]).
    pub groups: usize,
    /// Where the normalization sits (ignored without one, and in residual blocks).
    pub norm_at: NormAt,
    /// Plain stack, or residual blocks after the first layer.
    pub arch: Arch,
    /// The residual branch scale s in use (see [`ModelSpec::res_scale`]).
    pub res_scale: f64,
    pub dropout: DropoutKind,
    pub dropout_rate: f64,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    pub momentum: f64,
    pub tbatch: usize,
    pub steps: usize,
    pub eval_every: usize,
    pub seed: u64,
}

pub const TRAIN_DEPTH_RANGE: RangeInclusive<usize> = 1..=64;
pub const TRAIN_WIDTH_RANGE: RangeInclusive<usize> = 2..=1024;
pub const GAIN_RANGE: RangeInclusive<f64> = 0.0..=10.0;
pub const BIAS_STD_RANGE: RangeInclusive<f64> = 0.0..=2.0;
pub const DROPOUT_RATE_RANGE: RangeInclusive<f64> = 0.0..=0.5;
pub const LR_RANGE: RangeInclusive<f64> = 1e-5..=1.0;
pub const MOMENTUM_RANGE: RangeInclusive<f64> = 0.0..=0.99;
pub const TBATCH_RANGE: RangeInclusive<usize> = 1..=1024;
pub const STEPS_RANGE: RangeInclusive<usize> = 1..=100_000;
pub const EVAL_EVERY_RANGE: RangeInclusive<usize> = 1..=100_000;
/// Examples in the probe batch (fewer if the training set is smaller).
pub const PROBE_SIZE: usize = 256;

impl Default for Settings {
    /// Digits, depth 16, width 64, SELU, LeCun normal, gain 1, bias std 0, no normalization,
    /// no dropout (rate 0.05 when switched on), SGD with lr 0.01 and momentum 0.9, minibatch 64,
    /// 2000 steps, evaluation every 50, seed 1.
    fn default() -> Self {
        Settings {
            task: Task::Digits,
            depth: 16,
            width: 64,
            activation: Activation::new(ActivationKind::Selu),
            init: Initializer::LecunNormal,
            gain: 1.0,
            bias_std: 0.0,
            norm: Normalization::None,
            groups: 8,
            norm_at: NormAt::Pre,
            arch: Arch::Plain,
            res_scale: 1.0,
            dropout: DropoutKind::None,
            dropout_rate: 0.05,
            optimizer: OptimizerKind::Sgd,
            lr: 0.01,
            momentum: 0.9,
            tbatch: 64,
            steps: 2000,
            eval_every: 50,
            seed: 1,
        }
    }
}

fn check_f(name: &str, v: f64, range: RangeInclusive<f64>) -> Result<(), String> {
    if v.is_finite() && range.contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "{name} = {v} is outside [{}, {}]",
            range.start(),
            range.end()
        ))
    }
}

fn check_u(name: &str, v: usize, range: RangeInclusive<usize>) -> Result<(), String> {
    if range.contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "{name} = {v} is outside [{}, {}]",
            range.start(),
            range.end()
        ))
    }
}

impl Settings {
    /// The settings if every value is in range, else a message naming the first one that is not:
    /// depth 1..=64, width 2..=1024, gain [0, 10], bias_std [0, 2] (the lab's range), dropout_rate [0, 0.5],
    /// res_scale [0, 4],
    /// lr [1e-5, 1], momentum [0, 0.99], tbatch 1..=1024 (at least 2 with BatchNorm), steps
    /// 1..=100000, eval_every 1..=100000, 2-D noise [0, 0.5].
    pub fn validated(self) -> Result<Settings, String> {
        check_u("depth", self.depth, TRAIN_DEPTH_RANGE)?;
        check_u("width", self.width, TRAIN_WIDTH_RANGE)?;
        check_f("gain", self.gain, GAIN_RANGE)?;
        check_f("bias std", self.bias_std, BIAS_STD_RANGE)?;
        check_f("dropout rate", self.dropout_rate, DROPOUT_RATE_RANGE)?;
        let (lo, hi) = crate::config::RES_SCALE_RANGE.into_inner();
        check_f(
            "residual branch scale",
            self.res_scale,
            f64::from(lo)..=f64::from(hi),
        )?;
        check_f("learning rate", self.lr, LR_RANGE)?;
        check_f("momentum", self.momentum, MOMENTUM_RANGE)?;
        check_u("minibatch size", self.tbatch, TBATCH_RANGE)?;
        check_u("steps", self.steps, STEPS_RANGE)?;
        check_u("eval_every", self.eval_every, EVAL_EVERY_RANGE)?;
        if self.norm == Normalization::Group
            && !(self.groups >= 1 && self.width.is_multiple_of(self.groups))
        {
            return Err(format!(
                "GroupNorm's {} groups do not divide the width {}",
                self.groups, self.width
            ));
        }
        if self.norm == Normalization::Batch && self.tbatch < 2 {
            return Err("BatchNorm needs a minibatch of at least 2".into());
        }
        if let Task::TwoD { noise, .. } = self.task {
            check_f("noise", noise, 0.0..=data::MAX_NOISE)?;
        }
        let a = self.activation;
        if !(a.slope.is_finite() && a.alpha.is_finite() && a.beta.is_finite()) {
            return Err("activation parameters must be finite".into());
        }
        Ok(self)
    }

    /// The model shape of these settings for `inputs` features and `classes` classes.
    pub fn model_spec(&self, inputs: usize, classes: usize) -> ModelSpec {
        ModelSpec {
            inputs,
            classes,
            depth: self.depth,
            width: self.width,
            activation: self.activation,
            init: self.init,
            gain: self.gain,
            bias_std: self.bias_std,
            norm: self.norm,
            groups: self.groups,
            norm_at: self.norm_at,
            arch: self.arch,
            res_scale: self.res_scale,
            dropout: self.dropout,
            dropout_rate: self.dropout_rate,
        }
    }
}
/// Everything a run records.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct History {
    /// The planned number of steps.
    pub steps: usize,
    /// batch_loss[s - 1] is step s's minibatch loss (before update s).
    pub batch_loss: Vec<f64>,
    /// Evaluations in step order (step 0 first).
    pub evals: Vec<Evaluation>,
    /// The step at which a non-finite loss stopped training.
    pub diverged_at: Option<usize>,
    /// The latest decision map (two-feature two-class tasks only).
    pub decision: Option<DecisionMap>,
}

impl History {
    /// The last step with a row in the loss CSV (updates done, or the divergence step).
    pub fn last_step(&self) -> usize {
        self.batch_loss.len()
    }
}

/// The trainer: owns the data, the model, the optimizer and the history; [`Trainer::step_n`]
/// and [`Trainer::run_for`] advance it in slices.
#[derive(Clone, Debug)]
pub struct Trainer {
    pub settings: Settings,
    /// Standardized training and test sets.
    pub train: Dataset,
    pub test: Dataset,
    pub standardizer: Standardizer,
    pub model: Model,
    pub history: History,
    pub(super) optimizer: Optimizer,
    pub(super) batch: usize,
    pub(super) cache: Cache,
    pub(super) grads: Grads,
    pub(super) eval_cache: Cache,
    pub(super) probe_grads: Grads,
    pub(super) batch_rng: Rng,
    pub(super) dropout_rng: Rng,
    pub(super) perm: Vec<usize>,
    pub(super) perm_pos: usize,
    pub(super) probe_x: Vec<f32>,
    pub(super) probe_y: Vec<u32>,
    /// Standardized grid inputs (GRID^2 x 2) and the grid's raw coordinates.
    pub(super) grid: Option<(Vec<f32>, Vec<f64>, Vec<f64>)>,
    pub(super) batch_x: Vec<f32>,
    pub(super) batch_y: Vec<u32>,
    /// Updates done.
    pub(super) step: usize,
    pub(super) started: bool,
    pub(super) done: bool,
}

impl Trainer {
    /// Validates the settings, splits `data` (stratified, seeded by `settings.seed`),
    /// standardizes both parts with the training part's statistics and initializes the model.
    /// Cheap apart from the weight sampling: the step-0 evaluation runs at the first
    /// [`Trainer::step_n`] / [`Trainer::run_for`].
    pub fn new(settings: Settings, data: &Dataset) -> Result<Trainer, String> {
        let settings = settings.validated()?;
        if data.d == 0 || data.classes < 2 || data.n == 0 {
            return Err("the data set needs features and at least two classes".into());
        }
        let seed = settings.seed;
        let (mut train, mut test) = split(data, seed);
        if train.n == 0 || test.n == 0 {
            return Err("the data set is too small for a train/test split".into());
        }
        let standardizer = data::standardize(&mut train, &mut test);
        let batch = settings.tbatch.min(train.n);
        if settings.norm == Normalization::Batch && batch < 2 {
            return Err("BatchNorm needs at least 2 training examples per minibatch".into());
        }
        let model = Model::new(settings.model_spec(data.d, data.classes), seed);
        let grads = model.zero_grads();
        let mut probe_rng = Rng::from_seed_and_id(seed, STREAM_PROBE);
        let mut order: Vec<usize> = (0..train.n).collect();
        data::shuffle(&mut probe_rng, &mut order);
        order.truncate(PROBE_SIZE.min(train.n));
        let probe = train.subset(&order);
        let grid = (data.d == 2 && data.classes == 2).then(|| decision_grid(data, &standardizer));
        let optimizer = Optimizer::new(settings.optimizer, settings.lr, settings.momentum);
        Ok(Trainer {
            history: History {
                steps: settings.steps,
                ..History::default()
            },
            optimizer,
            batch,
            cache: Cache::default(),
            probe_grads: grads.clone(),
            grads,
            eval_cache: Cache::default(),
            batch_rng: Rng::from_seed_and_id(seed, STREAM_BATCHES),
            dropout_rng: Rng::from_seed_and_id(seed, STREAM_DROPOUT),
            perm: Vec::new(),
            perm_pos: 0,
            probe_x: probe.x,
            probe_y: probe.y,
            grid,
            batch_x: Vec::new(),
            batch_y: Vec::new(),
            step: 0,
            started: false,
            done: false,
            settings,
            train,
            test,
            standardizer,
            model,
        })
    }

    /// Updates done so far.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Whether training has finished (all steps done, or diverged).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The effective minibatch size, min(tbatch, n_train).
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// Estimated flops of one update (forward and backward, 6 per multiply-add and example).
    pub fn step_flops(&self) -> f64 {
        6.0 * self.batch as f64 * self.model.spec.macs_per_example()
    }

    /// Estimated flops of one evaluation.
    pub fn eval_flops(&self) -> f64 {
        let grid = if self.grid.is_some() { GRID * GRID } else { 0 };
        let rows = (self.train.n + self.test.n + grid) as f64;
        self.model.spec.macs_per_example() * (2.0 * rows + 6.0 * self.probe_y.len() as f64)
    }

    /// Does up to `k` more steps (the first call also does the step-0 evaluation); returns
    /// whether training has finished.
    pub fn step_n(&mut self, k: usize) -> bool {
        self.start();
        for _ in 0..k {
            if self.done {
                break;
            }
            self.one_step();
        }
        self.done
    }

    /// Does steps until about `flops` estimated flops are spent (at least one step, or only the
    /// step-0 evaluation at the first call when it alone exceeds the budget); returns whether
    /// training has finished.
    pub fn run_for(&mut self, flops: f64) -> bool {
        let mut spent = 0.0;
        if !self.started {
            self.start();
            spent += self.eval_flops();
            if spent >= flops {
                return self.done;
            }
        }
        while !self.done {
            let next = self.step + 1;
            let evaluates =
                next.is_multiple_of(self.settings.eval_every) || next == self.settings.steps;
            spent += self.step_flops() + if evaluates { self.eval_flops() } else { 0.0 };
            self.one_step();
            if spent >= flops {
                break;
            }
        }
        self.done
    }

    fn start(&mut self) {
        if !self.started {
            self.started = true;
            self.evaluate(0);
        }
    }

    fn next_batch(&mut self) {
        let n = self.train.n;
        if self.perm.is_empty() || self.perm_pos + self.batch > n {
            self.perm.clear();
            self.perm.extend(0..n);
            data::shuffle(&mut self.batch_rng, &mut self.perm);
            self.perm_pos = 0;
        }
        let d = self.train.d;
        self.batch_x.clear();
        self.batch_y.clear();
        for &i in &self.perm[self.perm_pos..self.perm_pos + self.batch] {
            self.batch_x
                .extend_from_slice(&self.train.x[i * d..(i + 1) * d]);
            self.batch_y.push(self.train.y[i]);
        }
        self.perm_pos += self.batch;
    }

    fn one_step(&mut self) {
        let s = self.step + 1;
        self.next_batch();
        self.model.forward(
            &self.batch_x,
            self.batch,
            Mode::Train,
            &mut self.dropout_rng,
            &mut self.cache,
        );
        let loss = self.model.loss(&mut self.cache, &self.batch_y);
        self.history.batch_loss.push(loss);
        if !loss.is_finite() {
            self.history.diverged_at = Some(s);
            self.done = true;
            return;
        }
        self.model.backward(&mut self.cache, &mut self.grads);
        self.model.update_running_stats(&self.cache);
        let grads = self.grads.slices();
        self.optimizer.step(&mut self.model.params_mut(), &grads);
        self.step = s;
        if s.is_multiple_of(self.settings.eval_every) || s == self.settings.steps {
            self.evaluate(s);
        }
        if s == self.settings.steps {
            self.done = true;
        }
    }
}
