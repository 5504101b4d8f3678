//! Pinned runs (`pin=`): up to [`MAX_PINS`] settings whose curves stay on the stats, grads,
//! hist and corr panels as faded, labelled references. A pin holds the whole network setting,
//! written compactly: the activation always, then only what differs from the defaults, so a
//! shared link recomputes the same runs.
//!
//! `pin=act:relu,init:he_normal;act:tanh,gain:1.5,depth:100`: pins separated by `;`,
//! settings by `,`, each `key:value`, each value validated like the URL parameter of the same
//! name (what is invalid falls back like that parameter, with a notice).

use super::*;

/// At most this many pins.
pub const MAX_PINS: usize = 3;

/// What a pin records: every setting of the simulated network but the kernels (the same maths;
/// a pinned run uses the page's kernels).
pub const PIN_KEYS: &[&str] = &[
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
    "in_mean",
    "in_std",
    "norm",
    "norm_at",
    "groups",
    "arch",
    "res_scale",
    "res_scale_rule",
    "c0",
    "seed",
];

/// The pins of a `pin=` value (each a whole configuration, validated by the URL table) and
/// what was wrong with it.
pub fn parse_pins(raw: &str) -> (Vec<Config>, Vec<String>) {
    let mut pins: Vec<Config> = Vec::new();
    let mut problems = Vec::new();
    for (i, pin) in raw
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .enumerate()
    {
        if pins.len() >= MAX_PINS {
            problems.push(format!("at most {MAX_PINS} pins; the rest ignored"));
            break;
        }
        let mut scratch = Params::default();
        for pair in pin.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once(':').unwrap_or((pair, ""));
            let Some(key) = PIN_KEYS.iter().find(|k| **k == key.trim()) else {
                problems.push(format!("pin {}: unknown key \"{}\"", i + 1, truncate(key)));
                continue;
            };
            if let Some(n) = scratch.set(key, value.trim()) {
                problems.push(format!("pin {}: {}", i + 1, n.message));
            }
        }
        if let Some(n) = scratch.fit_groups() {
            problems.push(format!("pin {}: {}", i + 1, n.message));
        }
        let config = scratch.config;
        if pins.iter().any(|p| same_run(p, &config)) {
            problems.push(format!(
                "pin {}: the same setting as an earlier pin, dropped",
                i + 1
            ));
            continue;
        }
        pins.push(config);
    }
    (pins, problems)
}

/// The canonical text of one pin: `act` always, then every other pinned setting that differs
/// from the default, in [`PIN_KEYS`] order.
pub fn pin_text(config: &Config) -> String {
    let pinned = Params {
        config: *config,
        ..Params::default()
    };
    let defaults = Params::default();
    PIN_KEYS
        .iter()
        .filter(|k| **k == "act" || pinned.get(k) != defaults.get(k))
        .map(|k| format!("{k}:{}", pinned.get(k)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The canonical text of `pins`.
pub fn pins_text(pins: &[Config]) -> String {
    pins.iter().map(pin_text).collect::<Vec<_>>().join(";")
}

/// Whether two configurations give the same run (the kernels aside, which a pin does not keep).
pub fn same_run(a: &Config, b: &Config) -> bool {
    Config {
        kernels: b.kernels,
        ..*a
    } == *b
}

/// What a pin is, in a few words for its legend entry: "pin 1: ReLU, He normal", then the
/// settings that differ from the current run's, e.g. ", depth 100, BatchNorm".
pub fn pin_label(index: usize, pin: &Config, current: &Config) -> String {
    format!("pin {}: {}", index + 1, describe(pin, current))
}

/// The legend entry of the run a new one replaced while the new one computes: "previous:
/// SELU, LeCun normal, depth 50" (what differs from the current run, as for a pin).
pub fn previous_label(previous: &Config, current: &Config) -> String {
    format!("previous: {}", describe(previous, current))
}

/// "ReLU, He normal", then the settings of `pin` that differ from `current`'s.
fn describe(pin: &Config, current: &Config) -> String {
    let mut parts = vec![act_short(pin), short(pin.init.label()).to_string()];
    let (p, c) = (
        Params {
            config: *pin,
            ..Params::default()
        },
        Params {
            config: *current,
            ..Params::default()
        },
    );
    for key in PIN_KEYS {
        if matches!(*key, "act" | "init") || p.get(key) == c.get(key) {
            continue;
        }
        // Activation parameters only for the activation that uses them.
        let used = match *key {
            "slope" | "alpha" | "beta" => pin
                .activation
                .kind
                .params()
                .iter()
                .any(|spec| spec.name == *key),
            "norm_at" | "groups" => pin.norm != Normalization::None,
            _ => true,
        };
        if !used {
            continue;
        }
        parts.push(match *key {
            "norm" if pin.norm == Normalization::None => "no normalization".to_string(),
            "norm" => short(pin.norm.label()).to_string(),
            _ => format!("{key} {}", p.get(key)),
        });
    }
    parts.join(", ")
}

/// A label without its formula or explanation: "He normal N(0, 2/fan_in)" is "He normal",
/// "BatchNorm (per unit, over the batch)" is "BatchNorm".
pub fn short(label: &str) -> &str {
    [" N(", " U(", " ("]
        .iter()
        .filter_map(|cut| label.find(cut))
        .min()
        .map_or(label, |i| &label[..i])
}

/// The activation's label, short, telling the two GELUs apart.
fn act_short(config: &Config) -> String {
    match config.activation.kind {
        ActivationKind::Gelu => "GELU exact".to_string(),
        ActivationKind::GeluTanh => "GELU tanh".to_string(),
        kind => short(kind.label()).to_string(),
    }
}

/// The settings of a run in one line, for a slide: "SELU, LeCun normal, depth 50, width 128,
/// batch 128", then every other setting that differs from the defaults, then the seed.
pub fn settings_line(config: &Config) -> String {
    let p = Params {
        config: *config,
        ..Params::default()
    };
    let defaults = Params::default();
    let mut parts = vec![act_short(config), short(config.init.label()).to_string()];
    for key in ["depth", "width", "batch"] {
        parts.push(format!("{key} {}", p.get(key)));
    }
    for key in PIN_KEYS {
        if matches!(*key, "act" | "init" | "depth" | "width" | "batch" | "seed")
            || p.get(key) == defaults.get(key)
        {
            continue;
        }
        let used = match *key {
            "slope" | "alpha" | "beta" => config
                .activation
                .kind
                .params()
                .iter()
                .any(|spec| spec.name == *key),
            "norm_at" | "groups" => config.norm != Normalization::None,
            _ => true,
        };
        if used {
            parts.push(match *key {
                "norm" => short(config.norm.label()).to_string(),
                _ => format!("{key} {}", p.get(key)),
            });
        }
    }
    parts.push(format!("seed {}", config.seed));
    parts.join(", ")
}
