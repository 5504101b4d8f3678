//! Every control of the page, as one declarative table that drives URL parsing, typed-value
//! validation and URL serialization (the shape of TensorFlow Playground's `state.ts`).
//!
//! Pure Rust, no web imports: tested natively. Invalid values never fail: they fall back to the
//! nearest valid value (numbers) or to the default (names), and produce a [`Notice`] that names
//! the parameter.

use lab_core::{
    ActivationKind, Config, Initializer, NormAt, Normalization, BATCH_RANGE, DEPTH_RANGE,
    WIDTH_RANGE,
};

mod control;
mod pins;
mod table;
#[cfg(test)]
mod tests;
mod validate;

pub use control::*;
pub use pins::*;
pub use table::*;
use validate::*;

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
    /// Pinned runs drawn as references (`pin=`), at most [`MAX_PINS`].
    pub pins: Vec<Config>,
    /// The workers a simulation may use (`workers=`): 0 for `auto` (one per processor but
    /// one, at least one), else 1 to 8, at most the processors.
    pub workers: usize,
}

/// Values of `workers=` (up to lab_core's most row shards).
pub const WORKER_NAMES: &[&str] = &["auto", "1", "2", "3", "4", "5", "6", "7", "8"];
const _: () = assert!(WORKER_NAMES.len() == lab_core::sim::MAX_SHARDS + 1);

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
    "act",
    "slope",
    "alpha",
    "beta",
    "init",
    "gain",
    "sb",
    "norm",
    "norm_at",
    "groups",
    "arch",
    "res_scale",
    "res_scale_rule",
    "dropout",
    "rate",
    "opt",
    "lr",
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
pub const TASK_NAMES: &[&str] = &["digits", "spiral", "circle", "xor", "gauss", "csv"];
/// Values of `opt=`.
pub const OPT_NAMES: &[&str] = &["sgd", "adam"];
/// Values of `dropout=`.
pub const DROPOUT_NAMES: &[&str] = &["none", "standard", "alpha"];

/// A name of `names` equal to `v`, as the static string.
pub(crate) fn static_name(names: &'static [&'static str], v: &str) -> Option<&'static str> {
    names.iter().find(|n| **n == v).copied()
}

/// Panel names for `embed=`: the panel registry's.
pub const PANEL_NAMES: &[&str] = crate::registry::PanelId::NAMES;
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
    "norm_at",
    "groups",
    "arch",
    "res_scale_rule",
    "res_scale",
    "in_mean",
    "in_std",
    "c0",
    "seed",
    "kernels",
    "workers",
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
pub(crate) fn names_in(allowed: &'static [&'static str], raw: &str) -> Vec<&'static str> {
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
            pins: Vec::new(),
            workers: 0,
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

/// The longest query string (link) the page reads, in bytes: every parameter with four
/// compared runs setting everything is about 1230 (a test checks under 1500). A longer one is not
/// read at all.
pub const MAX_QUERY_BYTES: usize = 8192;

/// The longest value of one parameter (typed or in a link), in bytes; `runs=` with four runs
/// setting everything is about 800 (a test checks under 1000). A longer value is refused and the
/// current one kept.
pub const MAX_VALUE_BYTES: usize = 2048;

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
        if raw.len() > MAX_VALUE_BYTES {
            return Some(Notice {
                param: field.name.to_string(),
                message: format!(
                    "{} ({}): the value is {} bytes, more than the {MAX_VALUE_BYTES} accepted; \
                     it was not read, and \"{}\" is kept.",
                    field.label,
                    field.name,
                    raw.len(),
                    truncate(&current)
                ),
            });
        }
        let (text, notice) = validate(field, raw, &current);
        if field.name == "kernels" && text == lab_core::KernelPath::Relaxed.name() {
            if let Some(why) = crate::engine::modules::relaxed_unavailable() {
                (field.set)(self, lab_core::KernelPath::Simd.name());
                return Some(Notice {
                    param: field.name.to_string(),
                    message: format!(
                        "Kernels (kernels): relaxed SIMD is not available ({why}); the \
                         simulation runs the SIMD (simd128) kernels instead."
                    ),
                });
            }
        }
        (field.set)(self, &text);
        notice
    }

    /// GroupNorm needs groups that divide the width: with GroupNorm chosen and groups that do
    /// not, groups fall back to the nearest divisor of the width (the smaller one on a tie) and
    /// the notice says so. Called after a query is read and after every single change.
    pub fn fit_groups(&mut self) -> Option<Notice> {
        let (width, groups) = (self.config.width, self.config.groups);
        if self.config.norm != Normalization::Group || (groups >= 1 && width % groups == 0) {
            return None;
        }
        let nearest = (1..=width)
            .filter(|d| width % d == 0)
            .min_by_key(|&d| (d.abs_diff(groups), d))
            .unwrap_or(1);
        self.config.groups = nearest;
        Some(Notice {
            param: "groups".to_string(),
            message: format!(
                "groups = {groups} does not divide the width {width}; using {nearest}, the nearest divisor."
            ),
        })
    }

    /// Reads a URL query string (with or without the leading `?`). Unknown parameters and
    /// invalid values produce notices; everything else keeps its default. A query longer than
    /// [`MAX_QUERY_BYTES`] is not read (one notice says so), before any parsing.
    pub fn from_query(query: &str) -> (Params, Vec<Notice>) {
        let mut params = Params::default();
        let mut notices = Vec::new();
        if query.len() > MAX_QUERY_BYTES {
            notices.push(Notice {
                param: "link".into(),
                message: format!(
                    "The link's settings are {} bytes, more than the {MAX_QUERY_BYTES} the lab \
                     reads; they were not read, and the defaults are used.",
                    query.len()
                ),
            });
            return (params, notices);
        }
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
        notices.extend(params.fit_groups());
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

    /// The query with only the parameters whose value differs from the default's (the embed
    /// builder's links: short, and they keep what a lesson set, nothing else).
    pub fn to_short_query(&self) -> String {
        let defaults = Params::default();
        FIELDS
            .iter()
            .filter(|f| (f.get)(self) != (f.get)(&defaults))
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
