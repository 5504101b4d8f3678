//! Every control of the page, as one declarative table that drives URL parsing, typed-value
//! validation and URL serialization (the shape of TensorFlow Playground's `state.ts`).
//!
//! Pure Rust, no web imports: tested natively. Invalid values never fail: they fall back to the
//! nearest valid value (numbers) or to the default (names), and produce a [`Notice`] that names
//! the parameter.

use lab_core::activation::{ALPHA, BETA, SLOPE};
use lab_core::{
    ActivationKind, Config, Initializer, Normalization, BATCH_RANGE, DEPTH_RANGE, WIDTH_RANGE,
};

/// Lower and upper end of the activation plot's x range (the `xmax` parameter).
pub const XMAX_RANGE: (f64, f64) = (0.5, 50.0);

/// The page's whole state that lives in the URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The simulated network (activation, initializer, sizes, input, seed).
    pub config: Config,
    /// The activation plot spans x in [-xmax, xmax].
    pub xmax: f64,
    /// Other activations drawn over the chosen one in the activation panel.
    pub overlay: Vec<ActivationKind>,
    /// Show GELU exact minus GELU tanh on its own axis (when a GELU is chosen).
    pub gelu_diff: bool,
    /// Variance axis of the stats panel on a log scale.
    pub log_var: bool,
    /// Draw the mean-field predictions over the simulation.
    pub theory: bool,
    /// Embed mode: show only these panels, compact, without header and explanations.
    pub embed: Vec<&'static str>,
    /// Controls not shown (by URL name).
    pub hide: Vec<&'static str>,
    /// Controls shown read-only (by URL name).
    pub lock: Vec<&'static str>,
    /// Colour theme: "auto" follows the system's prefers-color-scheme.
    pub theme: &'static str,
    /// The Train section's settings (the network itself comes from `config`).
    pub train: TrainParams,
}

/// The Train section's settings as they live in the URL.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainParams {
    /// One of [`TASK_NAMES`].
    pub task: &'static str,
    /// Label noise of the two-dimensional tasks, 0 to 0.5.
    pub noise: f64,
    /// "sgd" or "adam".
    pub opt: &'static str,
    pub lr: f64,
    pub momentum: f64,
    /// Minibatch size.
    pub tbatch: usize,
    pub steps: usize,
    pub eval_every: usize,
    /// "none", "standard" or "alpha".
    pub dropout: &'static str,
    pub rate: f64,
    /// Start training when the page loads.
    pub play: bool,
    /// Compared runs: each a list of settings that differ from the page's (empty: one run
    /// with the page's settings).
    pub runs: Vec<RunSettings>,
}

/// One compared run: the settings it sets for itself, as (URL name, canonical value).
pub type RunSettings = Vec<(&'static str, String)>;

/// At most this many runs are compared.
pub const MAX_RUNS: usize = 4;
/// What a compared run may set for itself; everything else is shared.
pub const RUN_KEYS: &[&str] = &[
    "act", "slope", "alpha", "beta", "init", "gain", "sb", "norm", "dropout", "rate", "opt", "lr",
    "momentum",
];

/// The runs of a `runs=` value, each value validated and made canonical by the URL table,
/// and what was wrong (dropped).
pub fn parse_runs(raw: &str) -> (Vec<RunSettings>, Vec<String>) {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for (i, run) in raw
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .enumerate()
    {
        if i >= MAX_RUNS {
            problems.push(format!("runs after the {MAX_RUNS}th ignored"));
            break;
        }
        let mut scratch = Params::default();
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        for pair in run.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once(':').unwrap_or((pair, ""));
            let Some(key) = RUN_KEYS.iter().find(|k| **k == key.trim()) else {
                problems.push(format!("run {}: unknown key \"{}\"", i + 1, truncate(key)));
                continue;
            };
            if let Some(n) = scratch.set(key, value.trim()) {
                problems.push(format!("run {}: {}", i + 1, n.message));
            }
            pairs.retain(|(k, _)| k != key);
            pairs.push((key, scratch.get(key)));
        }
        runs.push(pairs);
    }
    (runs, problems)
}

/// The canonical text of `runs`.
pub fn runs_text(runs: &[RunSettings]) -> String {
    runs.iter()
        .map(|r| {
            r.iter()
                .map(|(k, v)| format!("{k}:{v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join(";")
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            task: "digits",
            noise: 0.1,
            opt: "sgd",
            lr: 0.01,
            momentum: 0.9,
            tbatch: 64,
            steps: 2000,
            eval_every: 50,
            dropout: "none",
            rate: 0.05,
            play: false,
            runs: Vec::new(),
        }
    }
}

/// Values of `task=`.
pub const TASK_NAMES: &[&str] = &["digits", "spiral", "circle", "xor", "gauss"];
/// Values of `opt=`.
pub const OPT_NAMES: &[&str] = &["sgd", "adam"];
/// Values of `dropout=`.
pub const DROPOUT_NAMES: &[&str] = &["none", "standard", "alpha"];

/// A name of `names` equal to `v`, as the static string.
fn static_name(names: &'static [&'static str], v: &str) -> Option<&'static str> {
    names.iter().find(|n| **n == v).copied()
}

/// Panel names for `embed=`: the panel registry's.
pub const PANEL_NAMES: &[&str] = crate::panels::registry::PanelId::NAMES;
/// Values of `theme=`.
pub const THEME_NAMES: &[&str] = &["auto", "light", "dark"];
/// Control names for `hide=` and `lock=` (their URL parameter names).
pub const CONTROL_NAMES: &[&str] = &[
    "act",
    "slope",
    "alpha",
    "beta",
    "init",
    "gain",
    "sb",
    "depth",
    "width",
    "batch",
    "norm",
    "in_mean",
    "in_std",
    "c0",
    "seed",
    "kernels",
    "task",
    "noise",
    "opt",
    "lr",
    "momentum",
    "tbatch",
    "steps",
    "eval_every",
    "dropout",
    "rate",
];
/// Values of `kernels=`: lab_core's kernel paths.
pub const KERNEL_NAMES: &[&str] = &lab_core::KernelPath::NAMES;

/// Keeps the names of `raw` (comma-separated) that are in `allowed`, as static strings.
fn names_in(allowed: &'static [&'static str], raw: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for part in raw.split(',') {
        if let Some(name) = allowed.iter().find(|n| **n == part) {
            if !out.contains(name) {
                out.push(name);
            }
        }
    }
    out
}

impl Params {
    /// Whether a panel is shown (all are, outside embed mode).
    pub fn shows_panel(&self, name: &str) -> bool {
        self.embed.is_empty() || self.embed.contains(&name)
    }
    pub fn hides(&self, control: &str) -> bool {
        self.hide.contains(&control)
    }
    pub fn locks(&self, control: &str) -> bool {
        self.lock.contains(&control)
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            config: Config::default(),
            xmax: 5.0,
            overlay: Vec::new(),
            gelu_diff: false,
            log_var: false,
            theory: true,
            embed: Vec::new(),
            hide: Vec::new(),
            lock: Vec::new(),
            theme: "auto",
            train: TrainParams::default(),
        }
    }
}

/// A message shown to the user when a value was replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The parameter's URL name, e.g. `depth`.
    pub param: String,
    /// What was wrong and what is used instead.
    pub message: String,
}

/// What kind of value a parameter holds, with its valid range.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// One of a fixed set of names.
    Choice(&'static [&'static str]),
    /// An integer in [min, max].
    Int { min: i64, max: i64 },
    /// A real number in [min, max].
    Real { min: f64, max: f64 },
    /// A comma-separated subset of names.
    Set(&'static [&'static str]),
    /// 0 or 1.
    Flag,
    /// Compared training runs: `;`-separated runs of `,`-separated `key:value` settings.
    Runs,
}

/// One row of the table: URL name, label, kind, how to read and write it, and how the page
/// shows it as a control (if it does).
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    get: fn(&Params) -> String,
    set: fn(&mut Params, &str),
    pub control: Option<Control>,
}

/// The sidebar's groups, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Activation,
    Weights,
    Network,
    Input,
    Randomness,
    Computation,
    /// The Train section's own controls (not in the sidebar).
    Train,
}

impl Group {
    /// The sidebar's groups, in order.
    pub const SIDEBAR: [Group; 6] = [
        Group::Activation,
        Group::Weights,
        Group::Network,
        Group::Input,
        Group::Randomness,
        Group::Computation,
    ];
    pub fn legend(self) -> &'static str {
        match self {
            Group::Activation => "Activation",
            Group::Weights => "Weights",
            Group::Network => "Network",
            Group::Input => "Input x⁰ ~ N(mean, std²)",
            Group::Randomness => "Randomness",
            Group::Computation => "Computation",
            Group::Train => "Training",
        }
    }
}

/// How a control edits its parameter.
#[derive(Clone, Copy, Debug)]
pub enum Widget {
    /// A slider plus a number box; the range comes from the field's [`Kind`].
    Number(Scale),
    /// A select of the field's [`Kind::Choice`] names, with these (name, label) pairs.
    Select(fn() -> Vec<(&'static str, &'static str)>),
}

/// A parameter as a control: one row gives its label, range, scale and unit.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    /// The sidebar group, or None for a control that a panel shows in its tools.
    pub group: Option<Group>,
    pub label: &'static str,
    /// Unit spoken after the value by screen readers ("" for none).
    pub unit: &'static str,
    pub widget: Widget,
    /// Shown only when this holds (an activation's own parameter); None: always.
    pub shown: Option<fn(&Params) -> bool>,
}

const fn number(group: Group, label: &'static str, step: f64) -> Option<Control> {
    Some(Control {
        group: Some(group),
        label,
        unit: "",
        widget: Widget::Number(Scale::Linear { step }),
        shown: None,
    })
}

const fn log_int(label: &'static str, unit: &'static str) -> Option<Control> {
    Some(Control {
        group: Some(Group::Network),
        label,
        unit,
        widget: Widget::Number(Scale::LogInt),
        shown: None,
    })
}

const fn select(
    group: Group,
    label: &'static str,
    options: fn() -> Vec<(&'static str, &'static str)>,
) -> Option<Control> {
    Some(Control {
        group: Some(group),
        label,
        unit: "",
        widget: Widget::Select(options),
        shown: None,
    })
}

/// An activation parameter's control, shown while the chosen activation uses it.
const fn activation_param(
    label: &'static str,
    step: f64,
    shown: fn(&Params) -> bool,
) -> Option<Control> {
    Some(Control {
        group: Some(Group::Activation),
        label,
        unit: "",
        widget: Widget::Number(Scale::Linear { step }),
        shown: Some(shown),
    })
}

impl Field {
    /// The field's range, for a number control.
    pub fn range(&self) -> (f64, f64) {
        match self.kind {
            Kind::Int { min, max } => (min as f64, max as f64),
            Kind::Real { min, max } => (min, max),
            _ => (0.0, 1.0),
        }
    }
}

/// How a slider's position maps to the value.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Scale {
    /// Position is the value, in steps of `step`.
    Linear { step: f64 },
    /// Position 0..=1000 maps log-uniformly onto [min, max], rounded to an integer.
    LogInt,
    /// Position 0..=1000 maps log-uniformly onto [min, max], rounded to 3 significant digits
    /// (a learning rate).
    Log,
}

/// Positions of a log slider.
pub const LOG_STEPS: f64 = 1000.0;

impl Scale {
    pub fn position_of(self, value: f64, min: f64, max: f64) -> f64 {
        match self {
            Scale::Linear { .. } => value,
            Scale::LogInt | Scale::Log => {
                ((value.max(min).ln() - min.ln()) / (max.ln() - min.ln()) * LOG_STEPS).round()
            }
        }
    }
    /// The value one keyboard step away from `value` (`steps` = +-1 for an arrow key, +-10 for
    /// Page Up/Down), or None to keep the browser's default. A log slider's native step (0.1% of
    /// its range) often rounds back to the same integer, so an arrow press would do nothing:
    /// here it moves by 1% of the range in log terms, and always by at least one.
    pub fn key_step(self, value: f64, steps: f64, min: f64, max: f64) -> Option<f64> {
        match self {
            Scale::Linear { .. } | Scale::Log => None,
            Scale::LogInt => {
                let pos = self.position_of(value, min, max) + steps * LOG_STEPS / 100.0;
                let moved = self.value_at(pos.clamp(0.0, LOG_STEPS), min, max);
                let at_least = if steps > 0.0 {
                    moved.max(value + 1.0)
                } else {
                    moved.min(value - 1.0)
                };
                Some(at_least.clamp(min, max))
            }
        }
    }
    pub fn value_at(self, pos: f64, min: f64, max: f64) -> f64 {
        match self {
            Scale::Linear { .. } => pos,
            Scale::LogInt => (min.ln() + pos / LOG_STEPS * (max.ln() - min.ln()))
                .exp()
                .round(),
            Scale::Log => {
                let v = (min.ln() + pos / LOG_STEPS * (max.ln() - min.ln())).exp();
                let digits = 10f64.powi(2 - v.log10().floor() as i32);
                ((v * digits).round() / digits).clamp(min, max)
            }
        }
    }
}

const ACT_NAMES: &[&str] = &ActivationKind::NAMES;
const INIT_NAMES: &[&str] = &Initializer::NAMES;
const NORM_NAMES: &[&str] = &Normalization::NAMES;

/// The row of an activation parameter, from the activation table's [`ParamSpec`] (its range,
/// label and step), shown while the chosen activation uses it.
macro_rules! activation_param_field {
    ($spec:ident, $field:ident) => {
        Field {
            name: $spec.name,
            label: $spec.label,
            kind: Kind::Real {
                min: $spec.min,
                max: $spec.max,
            },
            get: |p| fmt_f32(p.config.activation.$field),
            set: |p, v| {
                p.config.activation.$field = v.parse().unwrap_or(p.config.activation.$field)
            },
            control: activation_param($spec.label, $spec.step, |p| {
                p.config.activation.kind.params().contains(&$spec)
            }),
        }
    };
}

/// Shortest decimal that reads back as the same f32.
pub fn fmt_f32(v: f32) -> String {
    format!("{v}")
}

/// A Train-section row whose value is one of `names`, with a select.
macro_rules! train_choice {
    ($field:ident, $names:ident, $label:literal, $control:literal, $options:expr) => {
        Field {
            name: stringify!($field),
            label: $label,
            kind: Kind::Choice($names),
            get: |p| p.train.$field.to_string(),
            set: |p, v| p.train.$field = static_name($names, v).unwrap_or(p.train.$field),
            control: Some(Control {
                group: Some(Group::Train),
                label: $control,
                unit: "",
                widget: Widget::Select($options),
                shown: None,
            }),
        }
    };
}

/// A Train-section row holding a real number in [min, max].
macro_rules! train_real {
    ($field:ident, $label:literal, $min:expr, $max:expr, $scale:expr) => {
        Field {
            name: stringify!($field),
            label: $label,
            kind: Kind::Real {
                min: $min,
                max: $max,
            },
            get: |p| fmt_real(p.train.$field),
            set: |p, v| p.train.$field = v.parse().unwrap_or(p.train.$field),
            control: Some(Control {
                group: Some(Group::Train),
                label: $label,
                unit: "",
                widget: Widget::Number($scale),
                shown: None,
            }),
        }
    };
}

/// A Train-section row holding a whole number in [min, max], on a log slider.
macro_rules! train_int {
    ($field:ident, $label:literal, $min:expr, $max:expr, $unit:literal) => {
        Field {
            name: stringify!($field),
            label: $label,
            kind: Kind::Int {
                min: $min,
                max: $max,
            },
            get: |p| p.train.$field.to_string(),
            set: |p, v| p.train.$field = v.parse().unwrap_or(p.train.$field),
            control: Some(Control {
                group: Some(Group::Train),
                label: $label,
                unit: $unit,
                widget: Widget::Number(Scale::LogInt),
                shown: None,
            }),
        }
    };
}

/// The table. Order is the order of the URL's query string.
pub static FIELDS: &[Field] = &[
    Field {
        name: "act",
        label: "Activation",
        kind: Kind::Choice(ACT_NAMES),
        get: |p| p.config.activation.kind.name().to_string(),
        control: select(Group::Activation, "Activation φ", || {
            ActivationKind::ALL
                .iter()
                .map(|k| (k.name(), k.label()))
                .collect()
        }),
        set: |p, v| {
            p.config.activation.kind =
                ActivationKind::from_name(v).unwrap_or(p.config.activation.kind)
        },
    },
    activation_param_field!(SLOPE, slope),
    activation_param_field!(ALPHA, alpha),
    activation_param_field!(BETA, beta),
    Field {
        name: "init",
        label: "Weight initializer",
        kind: Kind::Choice(INIT_NAMES),
        get: |p| p.config.init.name().to_string(),
        control: select(
            Group::Weights,
            "Initializer (fan_in = fan_out = width)",
            || {
                Initializer::ALL
                    .iter()
                    .map(|k| (k.name(), k.label()))
                    .collect()
            },
        ),
        set: |p, v| p.config.init = Initializer::from_name(v).unwrap_or(p.config.init),
    },
    Field {
        name: "gain",
        label: "Weight gain",
        kind: Kind::Real { min: 0.0, max: 5.0 },
        get: |p| fmt_f32(p.config.gain),
        control: number(Group::Weights, "Gain (multiplies weights)", 0.01),
        set: |p, v| p.config.gain = v.parse().unwrap_or(p.config.gain),
    },
    Field {
        name: "sb",
        label: "Bias std sb",
        kind: Kind::Real { min: 0.0, max: 2.0 },
        get: |p| fmt_f32(p.config.bias_std),
        control: number(Group::Weights, "Bias std sb", 0.01),
        set: |p, v| p.config.bias_std = v.parse().unwrap_or(p.config.bias_std),
    },
    Field {
        name: "depth",
        label: "Depth (layers)",
        kind: Kind::Int {
            min: *DEPTH_RANGE.start() as i64,
            max: *DEPTH_RANGE.end() as i64,
        },
        get: |p| p.config.depth.to_string(),
        control: log_int("Depth", "layers"),
        set: |p, v| p.config.depth = v.parse().unwrap_or(p.config.depth),
    },
    Field {
        name: "width",
        label: "Width (units per layer)",
        kind: Kind::Int {
            min: *WIDTH_RANGE.start() as i64,
            max: *WIDTH_RANGE.end() as i64,
        },
        get: |p| p.config.width.to_string(),
        control: log_int("Width", "units"),
        set: |p, v| p.config.width = v.parse().unwrap_or(p.config.width),
    },
    Field {
        name: "batch",
        label: "Batch (input rows)",
        kind: Kind::Int {
            min: *BATCH_RANGE.start() as i64,
            max: *BATCH_RANGE.end() as i64,
        },
        get: |p| p.config.batch.to_string(),
        control: log_int("Batch", "inputs"),
        set: |p, v| p.config.batch = v.parse().unwrap_or(p.config.batch),
    },
    Field {
        name: "in_mean",
        label: "Input mean",
        kind: Kind::Real {
            min: -10.0,
            max: 10.0,
        },
        get: |p| fmt_f32(p.config.input_mean),
        control: number(Group::Input, "Input mean", 0.05),
        set: |p, v| p.config.input_mean = v.parse().unwrap_or(p.config.input_mean),
    },
    Field {
        name: "in_std",
        label: "Input std",
        kind: Kind::Real {
            min: 0.0,
            max: 10.0,
        },
        get: |p| fmt_f32(p.config.input_std),
        control: number(Group::Input, "Input std", 0.05),
        set: |p, v| p.config.input_std = v.parse().unwrap_or(p.config.input_std),
    },
    Field {
        name: "norm",
        label: "Normalization",
        kind: Kind::Choice(NORM_NAMES),
        get: |p| p.config.norm.name().to_string(),
        control: select(Group::Network, "Normalization of h", || {
            Normalization::ALL
                .iter()
                .map(|k| (k.name(), k.label()))
                .collect()
        }),
        set: |p, v| p.config.norm = Normalization::from_name(v).unwrap_or(p.config.norm),
    },
    Field {
        name: "seed",
        label: "Seed",
        kind: Kind::Int {
            min: 0,
            max: u32::MAX as i64,
        },
        get: |p| p.config.seed.to_string(),
        control: number(Group::Randomness, "Seed", 1.0),
        set: |p, v| p.config.seed = v.parse().unwrap_or(p.config.seed),
    },
    Field {
        name: "kernels",
        label: "Kernels",
        kind: Kind::Choice(KERNEL_NAMES),
        get: |p| p.config.kernels.name().to_string(),
        control: select(
            Group::Computation,
            "Kernels (same maths; SIMD is about 8x faster)",
            || {
                vec![
                    ("simd", "SIMD (wasm simd128)"),
                    ("scalar", "Scalar (the reference definitions)"),
                ]
            },
        ),
        set: |p, v| {
            if let Some(k) = lab_core::KernelPath::from_name(v) {
                p.config.kernels = k;
            }
        },
    },
    Field {
        name: "c0",
        label: "Input pair correlation c0",
        kind: Kind::Real {
            min: -1.0,
            max: 1.0,
        },
        get: |p| fmt_f32(p.config.input_corr),
        control: number(Group::Input, "Correlation c0 of input pairs", 0.05),
        set: |p, v| p.config.input_corr = v.parse().unwrap_or(p.config.input_corr),
    },
    Field {
        name: "xmax",
        label: "Activation plot range ±x",
        kind: Kind::Real {
            min: XMAX_RANGE.0,
            max: XMAX_RANGE.1,
        },
        get: |p| format!("{}", p.xmax),
        control: Some(Control {
            group: None,
            label: "x range ±",
            unit: "",
            widget: Widget::Number(Scale::Linear { step: 0.5 }),
            shown: None,
        }),
        set: |p, v| p.xmax = v.parse().unwrap_or(p.xmax),
    },
    Field {
        name: "overlay",
        label: "Overlay activations",
        kind: Kind::Set(ACT_NAMES),
        get: |p| {
            p.overlay
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(",")
        },
        control: None,
        set: |p, v| {
            p.overlay = v.split(',').filter_map(ActivationKind::from_name).collect();
        },
    },
    Field {
        name: "gelu_diff",
        label: "Show GELU exact minus tanh",
        kind: Kind::Flag,
        get: |p| u8::from(p.gelu_diff).to_string(),
        control: None,
        set: |p, v| p.gelu_diff = v == "1",
    },
    Field {
        name: "log_var",
        label: "Log variance axis",
        kind: Kind::Flag,
        get: |p| u8::from(p.log_var).to_string(),
        control: None,
        set: |p, v| p.log_var = v == "1",
    },
    Field {
        name: "embed",
        label: "Embedded panels",
        kind: Kind::Set(PANEL_NAMES),
        get: |p| p.embed.join(","),
        control: None,
        set: |p, v| p.embed = names_in(PANEL_NAMES, v),
    },
    Field {
        name: "hide",
        label: "Hidden controls",
        kind: Kind::Set(CONTROL_NAMES),
        get: |p| p.hide.join(","),
        control: None,
        set: |p, v| p.hide = names_in(CONTROL_NAMES, v),
    },
    Field {
        name: "lock",
        label: "Locked controls",
        kind: Kind::Set(CONTROL_NAMES),
        get: |p| p.lock.join(","),
        control: None,
        set: |p, v| p.lock = names_in(CONTROL_NAMES, v),
    },
    train_choice!(task, TASK_NAMES, "Task", "Task (data set)", || vec![
        ("digits", "Handwritten digits (8x8, 10 classes)"),
        ("spiral", "Spiral (2-D, 2 classes)"),
        ("circle", "Circle (2-D, 2 classes)"),
        ("xor", "XOR (2-D, 2 classes)"),
        ("gauss", "Two Gaussians (2-D, 2 classes)"),
    ]),
    train_real!(
        noise,
        "Label noise (2-D tasks)",
        0.0,
        0.5,
        Scale::Linear { step: 0.01 }
    ),
    train_choice!(opt, OPT_NAMES, "Optimizer", "Optimizer", || vec![
        ("sgd", "SGD (with momentum)"),
        ("adam", "Adam"),
    ]),
    train_real!(lr, "Learning rate", 1e-5, 1.0, Scale::Log),
    train_real!(
        momentum,
        "Momentum (SGD)",
        0.0,
        0.99,
        Scale::Linear { step: 0.01 }
    ),
    train_int!(tbatch, "Minibatch size", 1, 1024, "examples"),
    train_int!(steps, "Steps", 1, 100_000, "updates"),
    train_int!(eval_every, "Evaluate every", 1, 100_000, "steps"),
    train_choice!(dropout, DROPOUT_NAMES, "Dropout", "Dropout", || vec![
        ("none", "None"),
        ("standard", "Standard (inverted)"),
        ("alpha", "Alpha dropout (SNN paper)"),
    ]),
    train_real!(rate, "Dropout rate", 0.0, 0.5, Scale::Linear { step: 0.01 }),
    Field {
        name: "runs",
        label: "Compared runs",
        kind: Kind::Runs,
        get: |p| runs_text(&p.train.runs),
        control: None,
        set: |p, v| p.train.runs = parse_runs(v).0,
    },
    Field {
        name: "play",
        label: "Start training on load",
        kind: Kind::Flag,
        get: |p| u8::from(p.train.play).to_string(),
        control: None,
        set: |p, v| p.train.play = v == "1",
    },
    Field {
        name: "theme",
        label: "Colour theme",
        kind: Kind::Choice(THEME_NAMES),
        get: |p| p.theme.to_string(),
        control: None,
        set: |p, v| {
            if let Some(name) = THEME_NAMES.iter().find(|n| **n == v) {
                p.theme = name;
            }
        },
    },
    Field {
        name: "theory",
        label: "Show mean-field theory",
        kind: Kind::Flag,
        get: |p| u8::from(p.theory).to_string(),
        control: None,
        set: |p, v| p.theory = v == "1",
    },
];

/// Looks a field up by its URL name.
pub fn field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// Formats a real number for a notice or the URL without noise digits.
fn fmt_real(v: f64) -> String {
    format!("{}", v as f32)
}

/// Validates `raw` for `field`: returns the canonical text to store and, if it had to be
/// replaced, a notice. `current` is the value in use, the fallback for unreadable input.
fn validate(field: &Field, raw: &str, current: &str) -> (String, Option<Notice>) {
    let raw = raw.trim();
    let notice = |message: String| {
        Some(Notice {
            param: field.name.to_string(),
            message,
        })
    };
    match field.kind {
        Kind::Choice(names) => {
            if names.contains(&raw) {
                (raw.to_string(), None)
            } else {
                let msg = format!(
                    "{} ({}): unknown value \"{}\"; using \"{}\". Valid: {}.",
                    field.label,
                    field.name,
                    truncate(raw),
                    current,
                    names.join(", ")
                );
                (current.to_string(), notice(msg))
            }
        }
        Kind::Int { min, max } => match parse_number(raw) {
            Some(v) => {
                let rounded = v.round();
                let clamped = rounded.clamp(min as f64, max as f64) as i64;
                if clamped as f64 != v {
                    let msg = format!(
                        "{} ({}): {} is not an integer in [{min}, {max}]; using {clamped}.",
                        field.label,
                        field.name,
                        truncate(raw)
                    );
                    (clamped.to_string(), notice(msg))
                } else {
                    (clamped.to_string(), None)
                }
            }
            None => {
                let msg = format!(
                    "{} ({}): \"{}\" is not a number; using {current}.",
                    field.label,
                    field.name,
                    truncate(raw)
                );
                (current.to_string(), notice(msg))
            }
        },
        Kind::Real { min, max } => match parse_number(raw) {
            Some(v) => {
                let clamped = v.clamp(min, max);
                if clamped != v {
                    let msg = format!(
                        "{} ({}): {} is outside [{}, {}]; using {}.",
                        field.label,
                        field.name,
                        truncate(raw),
                        fmt_real(min),
                        fmt_real(max),
                        fmt_real(clamped)
                    );
                    (fmt_real(clamped), notice(msg))
                } else {
                    (fmt_real(v), None)
                }
            }
            None => {
                let msg = format!(
                    "{} ({}): \"{}\" is not a finite number; using {current}.",
                    field.label,
                    field.name,
                    truncate(raw)
                );
                (current.to_string(), notice(msg))
            }
        },
        Kind::Runs => {
            let (runs, problems) = parse_runs(raw);
            let text = runs_text(&runs);
            if problems.is_empty() {
                (text, None)
            } else {
                let msg = format!(
                    "{} ({}): {}. Each run is key:value pairs separated by commas, runs by semicolons, at most {MAX_RUNS} runs; keys: {}.",
                    field.label,
                    field.name,
                    truncate(&problems.join("; ")),
                    RUN_KEYS.join(", ")
                );
                (text, notice(msg))
            }
        }
        Kind::Set(names) => {
            let mut kept: Vec<&str> = Vec::new();
            let mut unknown: Vec<&str> = Vec::new();
            for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if names.contains(&part) {
                    if !kept.contains(&part) {
                        kept.push(part);
                    }
                } else {
                    unknown.push(part);
                }
            }
            let text = kept.join(",");
            if unknown.is_empty() {
                (text, None)
            } else {
                let msg = format!(
                    "{} ({}): ignored unknown name(s) {}. Valid: {}.",
                    field.label,
                    field.name,
                    truncate(&unknown.join(", ")),
                    names.join(", ")
                );
                (text, notice(msg))
            }
        }
        Kind::Flag => match raw {
            "1" | "true" | "on" => ("1".to_string(), None),
            "0" | "false" | "off" | "" => ("0".to_string(), None),
            _ => {
                let msg = format!(
                    "{} ({}): \"{}\" is not 0 or 1; using {current}.",
                    field.label,
                    field.name,
                    truncate(raw)
                );
                (current.to_string(), notice(msg))
            }
        },
    }
}

/// A finite number, or None. Accepts what a person types ("1e-2", " 3 ").
fn parse_number(raw: &str) -> Option<f64> {
    raw.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Keeps notices short even when someone pastes a novel into the URL.
fn truncate(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

impl Params {
    /// Sets one parameter from text (typed or from the URL). Invalid text falls back to the
    /// nearest valid value, which is applied, and the notice says so.
    pub fn set(&mut self, name: &str, raw: &str) -> Option<Notice> {
        let Some(field) = field(name) else {
            return Some(Notice {
                param: truncate(name),
                message: format!("Unknown parameter \"{}\" ignored.", truncate(name)),
            });
        };
        let current = (field.get)(self);
        let (text, notice) = validate(field, raw, &current);
        (field.set)(self, &text);
        notice
    }

    /// Reads a URL query string (with or without the leading `?`). Unknown parameters and
    /// invalid values produce notices; everything else keeps its default.
    pub fn from_query(query: &str) -> (Params, Vec<Notice>) {
        let mut params = Params::default();
        let mut notices = Vec::new();
        for pair in query
            .trim_start_matches('?')
            .split('&')
            .filter(|s| !s.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_decode(key);
            let value = percent_decode(value);
            if let Some(n) = params.set(&key, &value) {
                notices.push(n);
            }
        }
        (params, notices)
    }

    /// The canonical query string (without `?`) of the state in use: every parameter, in table
    /// order, so that a copied link reproduces the same plots.
    pub fn to_query(&self) -> String {
        FIELDS
            .iter()
            .map(|f| format!("{}={}", f.name, percent_encode(&(f.get)(self))))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Current text of one parameter, as it would appear in the URL.
    pub fn get(&self, name: &str) -> String {
        field(name).map(|f| (f.get)(self)).unwrap_or_default()
    }
}

/// Decodes `%XX` escapes and `+` (application/x-www-form-urlencoded); invalid escapes stay.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters and the comma (kept readable in `overlay`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            // RFC 3986 allows ':' and ';' in a query; `runs=` reads better with them as they are.
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b','
            | b':'
            | b';' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_round_trips_through_the_url() {
        let p = Params::default();
        let (back, notices) = Params::from_query(&p.to_query());
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(back, p);
    }

    #[test]
    fn every_field_round_trips() {
        let q = "act=gelu_tanh&slope=0.2&alpha=1.5&beta=2&init=orthogonal&gain=1.25&sb=0.1&depth=7\
                 &width=33&batch=5&in_mean=-1.5&in_std=2&norm=layer&seed=4294967295&c0=-0.25&xmax=8\
                 &overlay=relu,tanh&gelu_diff=1&log_var=1&theory=0";
        let (p, notices) = Params::from_query(q);
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(p.config.activation.kind, ActivationKind::GeluTanh);
        assert_eq!(p.config.activation.slope, 0.2);
        assert_eq!(p.config.init, Initializer::Orthogonal);
        assert_eq!(p.config.depth, 7);
        assert_eq!(p.config.seed, u32::MAX as u64);
        assert_eq!(p.config.norm, Normalization::Layer);
        assert_eq!(p.overlay, vec![ActivationKind::Relu, ActivationKind::Tanh]);
        assert!(p.gelu_diff && p.log_var && !p.theory);
        assert_eq!(p.config.input_corr, -0.25);
        let (again, n2) = Params::from_query(&p.to_query());
        assert!(n2.is_empty());
        assert_eq!(again, p);
    }

    #[test]
    fn out_of_range_numbers_clamp_to_the_nearest_valid_value_with_a_notice() {
        let (p, notices) = Params::from_query("depth=5000&width=1&batch=-3&gain=99&in_std=-1");
        assert_eq!(p.config.depth, 1000);
        assert_eq!(p.config.width, 2);
        assert_eq!(p.config.batch, 1);
        assert_eq!(p.config.gain, 5.0);
        assert_eq!(p.config.input_std, 0.0);
        let names: Vec<_> = notices.iter().map(|n| n.param.as_str()).collect();
        assert_eq!(names, ["depth", "width", "batch", "gain", "in_std"]);
        assert!(notices[0].message.contains("1000"));
    }

    #[test]
    fn garbage_falls_back_to_the_default_with_a_notice() {
        let (p, notices) = Params::from_query(
            "act=swishy&init=&depth=abc&gain=NaN&seed=1.5&norm=group&bogus=1&sb=inf",
        );
        let d = Params::default();
        assert_eq!(p.config.activation.kind, d.config.activation.kind);
        assert_eq!(p.config.init, d.config.init);
        assert_eq!(p.config.depth, d.config.depth);
        assert_eq!(p.config.gain, d.config.gain);
        assert_eq!(p.config.seed, 2, "1.5 rounds to the nearest integer");
        assert_eq!(p.config.norm, Normalization::None);
        assert_eq!(p.config.bias_std, 0.0);
        assert_eq!(notices.len(), 8, "{notices:?}");
        assert!(notices.iter().any(|n| n.param == "bogus"));
    }

    #[test]
    fn embed_hide_and_lock_keep_known_names() {
        let (p, n) = Params::from_query("embed=stats,grads,nope&hide=init&lock=act,depth");
        assert_eq!(p.embed, ["stats", "grads"]);
        assert_eq!(p.hide, ["init"]);
        assert_eq!(p.lock, ["act", "depth"]);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(p.shows_panel("stats") && !p.shows_panel("hist"));
        assert!(Params::default().shows_panel("hist"));
        let (again, n2) = Params::from_query(&p.to_query());
        assert!(n2.is_empty());
        assert_eq!(again, p);
    }

    #[test]
    fn non_integer_depth_rounds() {
        let (p, n) = Params::from_query("depth=12.4");
        assert_eq!(p.config.depth, 12);
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn percent_coding_round_trips_and_tolerates_bad_escapes() {
        assert_eq!(percent_decode("a%2Cb+c"), "a,b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_encode("relu,tanh"), "relu,tanh");
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn overlay_drops_unknown_names_and_duplicates() {
        let (p, n) = Params::from_query("overlay=relu,nope,relu,%20tanh");
        assert_eq!(p.overlay, vec![ActivationKind::Relu, ActivationKind::Tanh]);
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn the_table_lists_every_url_name_of_the_core() {
        for k in ActivationKind::ALL {
            assert!(ACT_NAMES.contains(&k.name()), "{}", k.name());
        }
        for i in Initializer::ALL {
            assert!(INIT_NAMES.contains(&i.name()), "{}", i.name());
        }
        for n in Normalization::ALL {
            assert!(NORM_NAMES.contains(&n.name()));
        }
        assert_eq!(ACT_NAMES.len(), ActivationKind::ALL.len());
        assert_eq!(INIT_NAMES.len(), Initializer::ALL.len());
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A value as people and programs put them in URLs: names from the tables, numbers
        /// small and huge, percent escapes (valid or not), arbitrary unicode.
        fn value() -> impl Strategy<Value = String> {
            let names: Vec<&'static str> = ACT_NAMES
                .iter()
                .chain(INIT_NAMES)
                .chain(NORM_NAMES)
                .chain(PANEL_NAMES)
                .copied()
                .collect();
            prop_oneof![
                proptest::sample::select(names).prop_map(str::to_string),
                any::<f64>().prop_map(|v| v.to_string()),
                any::<i64>().prop_map(|v| v.to_string()),
                Just("1e400".to_string()),
                Just("-1e-400".to_string()),
                Just("99999999999999999999999999".to_string()),
                Just("NaN".to_string()),
                Just("inf".to_string()),
                "(%[0-9A-Fa-fgG]{0,2}|[a-z0-9,+.=&-]){0,12}",
                "\\PC{0,12}",
            ]
        }

        /// A query string: known keys (some repeated), unknown keys, stray separators.
        fn query() -> impl Strategy<Value = String> {
            let keys: Vec<&'static str> = FIELDS.iter().map(|f| f.name).collect();
            let key = prop_oneof![
                4 => proptest::sample::select(keys).prop_map(str::to_string),
                1 => "\\PC{0,6}",
            ];
            let pair = prop_oneof![
                8 => (key, value()).prop_map(|(k, v)| format!("{k}={v}")),
                1 => "\\PC{0,8}",
            ];
            (any::<bool>(), proptest::collection::vec(pair, 0..12))
                .prop_map(|(q, pairs)| format!("{}{}", if q { "?" } else { "" }, pairs.join("&")))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn any_query_parses_and_round_trips_through_its_canonical_url(q in query()) {
                let (p, _) = Params::from_query(&q);
                let canonical = p.to_query();
                let (back, notices) = Params::from_query(&canonical);
                prop_assert!(notices.is_empty(), "{canonical}: {notices:?}");
                prop_assert_eq!(&back, &p);
                prop_assert_eq!(back.to_query(), canonical);
            }

            #[test]
            fn arbitrary_text_never_panics(q in "\\PC{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
                let _ = Params::from_query(&q);
                let _ = Params::from_query(&String::from_utf8_lossy(&bytes));
                let _ = percent_decode(&q);
            }
        }
    }
}
