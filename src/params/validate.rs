//! Validation of typed or URL text against a row's kind: the canonical text and a notice.

use super::*;

/// Formats a real number for a notice or the URL without noise digits.
pub(crate) fn fmt_real(v: f64) -> String {
    format!("{}", v as f32)
}

/// Validates `raw` for `field`: returns the canonical text to store and, if it had to be
/// replaced, a notice. `current` is the value in use, the fallback for unreadable input.
pub(crate) fn validate(field: &Field, raw: &str, current: &str) -> (String, Option<Notice>) {
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
        Kind::Pins => {
            let (pins, problems) = parse_pins(raw);
            let text = pins_text(&pins);
            if problems.is_empty() {
                (text, None)
            } else {
                let msg = format!(
                    "{} ({}): {}{}. Each pin is key:value pairs separated by commas, pins by semicolons, at most {MAX_PINS} pins; keys: {}.",
                    field.label,
                    field.name,
                    // Each problem names its (truncated) value; at most four are listed.
                    problems[..problems.len().min(4)].join("; "),
                    if problems.len() > 4 {
                        format!("; and {} more", problems.len() - 4)
                    } else {
                        String::new()
                    },
                    PIN_KEYS.join(", ")
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
pub(crate) fn parse_number(raw: &str) -> Option<f64> {
    raw.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Keeps notices short even when someone pastes a novel into the URL.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}
