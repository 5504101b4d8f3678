//! How a parameter is shown as a control: its kind and range, group, widget and scale.

use super::*;

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
    /// Pinned runs: `;`-separated pins of `,`-separated `key:value` settings.
    Pins,
}

/// One row of the table: URL name, label, kind, how to read and write it, and how the page
/// shows it as a control (if it does).
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub(crate) get: fn(&Params) -> String,
    pub(crate) set: fn(&mut Params, &str),
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

pub(crate) const fn number(group: Group, label: &'static str, step: f64) -> Option<Control> {
    Some(Control {
        group: Some(group),
        label,
        unit: "",
        widget: Widget::Number(Scale::Linear { step }),
        shown: None,
    })
}

pub(crate) const fn log_int(label: &'static str, unit: &'static str) -> Option<Control> {
    Some(Control {
        group: Some(Group::Network),
        label,
        unit,
        widget: Widget::Number(Scale::LogInt),
        shown: None,
    })
}

pub(crate) const fn select(
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
pub(crate) const fn activation_param(
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
