//! Every control of the page, as one declarative table that drives URL parsing, typed-value
//! validation and URL serialization (the shape of TensorFlow Playground's `state.ts`).
//!
//! Pure Rust, no web imports: tested natively. Invalid values never fail: they fall back to the
//! nearest valid value (numbers) or to the default (names), and produce a [`Notice`] that names
//! the parameter.

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
}

/// Panel names for `embed=`.
pub const PANEL_NAMES: &[&str] = &[
    "activation",
    "stats",
    "hist",
    "grads",
    "corr",
    "selu_map",
    "phase",
    "derive",
];
/// Values of `theme=`.
pub const THEME_NAMES: &[&str] = &["auto", "light", "dark"];
/// Control names for `hide=` and `lock=` (their URL parameter names).
pub const CONTROL_NAMES: &[&str] = &[
    "act", "slope", "alpha", "beta", "init", "gain", "sb", "depth", "width", "batch", "norm",
    "in_mean", "in_std", "c0", "seed", "kernels",
];
/// Values of `kernels=`: lab_core's kernel paths.
pub const KERNEL_NAMES: &[&str] = &["simd", "scalar"];

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
}

/// One row of the table: URL name, label, kind, how to read and write it.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    get: fn(&Params) -> String,
    set: fn(&mut Params, &str),
}

const ACT_NAMES: &[&str] = &ActivationKind::NAMES;
const INIT_NAMES: &[&str] = &[
    "lecun_normal",
    "lecun_uniform",
    "he_normal",
    "he_uniform",
    "xavier_normal",
    "xavier_uniform",
    "orthogonal",
    "normal",
];
const NORM_NAMES: &[&str] = &["none", "batch", "layer"];

/// Shortest decimal that reads back as the same f32.
pub fn fmt_f32(v: f32) -> String {
    format!("{v}")
}

/// The table. Order is the order of the URL's query string.
pub static FIELDS: &[Field] = &[
    Field {
        name: "act",
        label: "Activation",
        kind: Kind::Choice(ACT_NAMES),
        get: |p| p.config.activation.kind.name().to_string(),
        set: |p, v| {
            p.config.activation.kind =
                ActivationKind::from_name(v).unwrap_or(p.config.activation.kind)
        },
    },
    Field {
        name: "slope",
        label: "Leaky ReLU slope",
        kind: Kind::Real { min: 0.0, max: 1.0 },
        get: |p| fmt_f32(p.config.activation.slope),
        set: |p, v| p.config.activation.slope = v.parse().unwrap_or(p.config.activation.slope),
    },
    Field {
        name: "alpha",
        label: "ELU alpha",
        kind: Kind::Real { min: 0.0, max: 5.0 },
        get: |p| fmt_f32(p.config.activation.alpha),
        set: |p, v| p.config.activation.alpha = v.parse().unwrap_or(p.config.activation.alpha),
    },
    Field {
        name: "beta",
        label: "Swish beta",
        kind: Kind::Real {
            min: 0.0,
            max: 10.0,
        },
        get: |p| fmt_f32(p.config.activation.beta),
        set: |p, v| p.config.activation.beta = v.parse().unwrap_or(p.config.activation.beta),
    },
    Field {
        name: "init",
        label: "Weight initializer",
        kind: Kind::Choice(INIT_NAMES),
        get: |p| p.config.init.name().to_string(),
        set: |p, v| p.config.init = Initializer::from_name(v).unwrap_or(p.config.init),
    },
    Field {
        name: "gain",
        label: "Weight gain",
        kind: Kind::Real { min: 0.0, max: 5.0 },
        get: |p| fmt_f32(p.config.gain),
        set: |p, v| p.config.gain = v.parse().unwrap_or(p.config.gain),
    },
    Field {
        name: "sb",
        label: "Bias std sb",
        kind: Kind::Real { min: 0.0, max: 2.0 },
        get: |p| fmt_f32(p.config.bias_std),
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
        set: |p, v| p.config.input_std = v.parse().unwrap_or(p.config.input_std),
    },
    Field {
        name: "norm",
        label: "Normalization",
        kind: Kind::Choice(NORM_NAMES),
        get: |p| p.config.norm.name().to_string(),
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
        set: |p, v| p.config.seed = v.parse().unwrap_or(p.config.seed),
    },
    Field {
        name: "kernels",
        label: "Kernels",
        kind: Kind::Choice(KERNEL_NAMES),
        get: |p| p.config.kernels.name().to_string(),
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
        set: |p, v| {
            p.overlay = v.split(',').filter_map(ActivationKind::from_name).collect();
        },
    },
    Field {
        name: "gelu_diff",
        label: "Show GELU exact minus tanh",
        kind: Kind::Flag,
        get: |p| u8::from(p.gelu_diff).to_string(),
        set: |p, v| p.gelu_diff = v == "1",
    },
    Field {
        name: "log_var",
        label: "Log variance axis",
        kind: Kind::Flag,
        get: |p| u8::from(p.log_var).to_string(),
        set: |p, v| p.log_var = v == "1",
    },
    Field {
        name: "embed",
        label: "Embedded panels",
        kind: Kind::Set(PANEL_NAMES),
        get: |p| p.embed.join(","),
        set: |p, v| p.embed = names_in(PANEL_NAMES, v),
    },
    Field {
        name: "hide",
        label: "Hidden controls",
        kind: Kind::Set(CONTROL_NAMES),
        get: |p| p.hide.join(","),
        set: |p, v| p.hide = names_in(CONTROL_NAMES, v),
    },
    Field {
        name: "lock",
        label: "Locked controls",
        kind: Kind::Set(CONTROL_NAMES),
        get: |p| p.lock.join(","),
        set: |p, v| p.lock = names_in(CONTROL_NAMES, v),
    },
    Field {
        name: "theme",
        label: "Colour theme",
        kind: Kind::Choice(THEME_NAMES),
        get: |p| p.theme.to_string(),
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
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                out.push(b as char)
            }
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
}
