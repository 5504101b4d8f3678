//! The table: one row per URL parameter (declarative).

use super::*;
use lab_core::activation::{ALPHA, BETA, SLOPE};
use lab_core::config::{ResScaleRule, GROUPS_RANGE, RES_SCALE_RANGE};
use lab_core::Arch;

pub(crate) const ACT_NAMES: &[&str] = &ActivationKind::NAMES;
pub(crate) const INIT_NAMES: &[&str] = &Initializer::NAMES;
pub(crate) const NORM_NAMES: &[&str] = &Normalization::NAMES;
pub(crate) const NORM_AT_NAMES: &[&str] = &NormAt::NAMES;
pub(crate) const ARCH_NAMES: &[&str] = &Arch::NAMES;
pub(crate) const RES_RULE_NAMES: &[&str] = &ResScaleRule::NAMES;

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
        name: "norm_at",
        label: "Normalization placement",
        kind: Kind::Choice(NORM_AT_NAMES),
        get: |p| p.config.norm_at.name().to_string(),
        control: Some(Control {
            group: Some(Group::Network),
            label: "Normalization placement",
            unit: "",
            widget: Widget::Select(|| NormAt::ALL.iter().map(|k| (k.name(), k.label())).collect()),
            // A residual block normalizes its input stream (pre-norm) whatever this says.
            shown: Some(|p| p.config.norm != Normalization::None && !p.config.is_residual()),
        }),
        set: |p, v| p.config.norm_at = NormAt::from_name(v).unwrap_or(p.config.norm_at),
    },
    Field {
        name: "groups",
        label: "GroupNorm groups",
        kind: Kind::Int {
            min: *GROUPS_RANGE.start() as i64,
            max: *GROUPS_RANGE.end() as i64,
        },
        get: |p| p.config.groups.to_string(),
        control: Some(Control {
            group: Some(Group::Network),
            label: "Groups (GroupNorm; divides the width)",
            unit: "groups",
            widget: Widget::Number(Scale::Linear { step: 1.0 }),
            shown: Some(|p| p.config.norm == Normalization::Group),
        }),
        set: |p, v| p.config.groups = v.parse().unwrap_or(p.config.groups),
    },
    Field {
        name: "arch",
        label: "Architecture",
        kind: Kind::Choice(ARCH_NAMES),
        get: |p| p.config.arch.name().to_string(),
        control: select(Group::Network, "Architecture", || {
            Arch::ALL.iter().map(|k| (k.name(), k.label())).collect()
        }),
        set: |p, v| p.config.arch = Arch::from_name(v).unwrap_or(p.config.arch),
    },
    Field {
        name: "res_scale_rule",
        label: "Residual branch scale rule",
        kind: Kind::Choice(RES_RULE_NAMES),
        get: |p| p.config.res_scale_rule.name().to_string(),
        control: Some(Control {
            group: Some(Group::Network),
            label: "Branch scale s",
            unit: "",
            widget: Widget::Select(|| {
                ResScaleRule::ALL
                    .iter()
                    .map(|k| (k.name(), k.label()))
                    .collect()
            }),
            shown: Some(|p| p.config.is_residual()),
        }),
        set: |p, v| {
            p.config.res_scale_rule = ResScaleRule::from_name(v).unwrap_or(p.config.res_scale_rule)
        },
    },
    Field {
        name: "res_scale",
        label: "Residual branch scale s",
        kind: Kind::Real {
            min: *RES_SCALE_RANGE.start() as f64,
            max: *RES_SCALE_RANGE.end() as f64,
        },
        get: |p| fmt_f32(p.config.res_scale),
        control: Some(Control {
            group: Some(Group::Network),
            label: "s (x = x + s·φ(h))",
            unit: "",
            widget: Widget::Number(Scale::Linear { step: 0.05 }),
            shown: Some(|p| {
                p.config.is_residual() && p.config.res_scale_rule == ResScaleRule::Fixed
            }),
        }),
        set: |p, v| p.config.res_scale = v.parse().unwrap_or(p.config.res_scale),
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
                let mut options = vec![
                    ("simd", "SIMD (wasm simd128)"),
                    ("scalar", "Scalar (the reference definitions)"),
                ];
                // Offered only where the workers run the relaxed module (the page was opened
                // with kernels=relaxed): elsewhere choosing it could only fall back.
                if crate::engine::modules::relaxed_workers() {
                    options.push((
                        "relaxed",
                        "Relaxed SIMD (fused multiply-add; last digits vary by machine)",
                    ));
                }
                options
            },
        ),
        set: |p, v| {
            if let Some(k) = lab_core::KernelPath::from_name(v) {
                p.config.kernels = k;
            }
        },
    },
    Field {
        name: "workers",
        label: "Workers",
        kind: Kind::Choice(WORKER_NAMES),
        get: |p| match p.workers {
            0 => "auto".to_string(),
            n => n.to_string(),
        },
        control: select(
            Group::Computation,
            "Workers (the batch's rows split among them; the same numbers)",
            || {
                vec![
                    ("auto", "Auto (one per processor but one)"),
                    ("1", "1"),
                    ("2", "2"),
                    ("3", "3"),
                    ("4", "4"),
                    ("5", "5"),
                    ("6", "6"),
                    ("7", "7"),
                    ("8", "8"),
                ]
            },
        ),
        set: |p, v| p.workers = v.parse().unwrap_or(0),
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
        ("csv", "Your own CSV file"),
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
        name: "pin",
        label: "Pinned runs",
        kind: Kind::Pins,
        get: |p| pins_text(&p.pins),
        control: None,
        set: |p, v| p.pins = parse_pins(v).0,
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
