//! The tick chooser: which values an axis labels and how, from the axis's pixel length and the
//! label font, so that labels never crowd. Pure (no canvas), so it is tested natively; the
//! chart layer (`axes.rs`) measures the labels with the canvas and draws them.
//!
//! The rules, for every chart:
//! - linear axes label multiples of a "nice" step (1, 2 or 5 times a power of ten), the smallest
//!   step whose labels keep a gap between neighbours and stay inside the room the axis has
//!   (so the last label is never cut off);
//! - labels have exactly as many digits as the step needs, so neighbours always differ;
//! - when the values are tiny or huge (below 1e-3 or from 1e4), the labels are mantissas and
//!   the axis title carries the factor ("× 1e-4");
//! - layer axes label whole layers only;
//! - log axes label decades, or 1-2-5 within decades when fewer than four decades are labelled
//!   (so an axis from 0.1 to 1 still reads 0.2 and 0.5), at least two ticks whenever two fit.

/// How values map to positions along an axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Linear, with whole numbers only (layers, steps).
    Integer,
    /// log10; the range must be positive.
    Log,
}

/// The room an axis has, in device pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Room {
    /// Length of the axis.
    pub length: f64,
    /// True for a y axis: labels are stacked, their extent along the axis is `line`.
    pub vertical: bool,
    /// Height of a label's line (the font's size in device pixels).
    pub line: f64,
    /// How far a label may reach beyond the axis's start and end (margins).
    pub overhang: (f64, f64),
}

/// One labelled tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub value: f64,
    pub label: String,
}

/// The chosen ticks, and the power of ten the labels are divided by (shown in the axis title).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ticks {
    pub ticks: Vec<Tick>,
    pub exponent: Option<i32>,
}

impl Ticks {
    /// The axis title with the labels' factor, e.g. "mean (× 1e14)".
    pub fn title(&self, desc: &str) -> String {
        match self.exponent {
            Some(e) if desc.is_empty() => format!("× 1e{e}"),
            Some(e) => format!("{desc} (× 1e{e})"),
            None => desc.to_string(),
        }
    }
    #[cfg(test)]
    pub fn labels(&self) -> Vec<&str> {
        self.ticks.iter().map(|t| t.label.as_str()).collect()
    }
}

/// Position of `v` along an axis of `length` pixels from lo (0) to hi (length).
pub fn position(v: f64, lo: f64, hi: f64, scale: Scale, length: f64) -> f64 {
    let f = match scale {
        Scale::Log => (v.log10() - lo.log10()) / (hi.log10() - lo.log10()),
        _ => (v - lo) / (hi - lo),
    };
    f * length
}

/// The ticks for values lo..hi on an axis with `room`; `width` measures a label's width in
/// device pixels. Never panics: a non-finite or empty range (or a non-positive one on a log
/// axis) gets no ticks.
pub fn choose(lo: f64, hi: f64, scale: Scale, room: &Room, width: &dyn Fn(&str) -> f64) -> Ticks {
    let valid = lo.is_finite()
        && hi.is_finite()
        && hi > lo
        && room.length.is_finite()
        && room.length > 0.0
        && (scale != Scale::Log || lo > 0.0);
    if !valid {
        return Ticks::default();
    }
    let candidates = match scale {
        Scale::Log => log_candidates(lo, hi),
        _ => linear_candidates(lo, hi, scale == Scale::Integer),
    };
    let candidates: Vec<Ticks> = candidates
        .into_iter()
        .map(|t| trim(t, lo, hi, scale, room, width))
        .collect();
    let fits = |t: &Ticks| spaced(t, lo, hi, scale, room, width);
    // The first (densest) candidate with two or more ticks that fits; else the sparsest one
    // that fits (one tick on a tiny axis); else nothing.
    if let Some(t) = candidates.iter().find(|t| t.ticks.len() >= 2 && fits(t)) {
        return t.clone();
    }
    candidates
        .iter()
        .rev()
        .find(|t| !t.ticks.is_empty() && fits(t))
        .cloned()
        .unwrap_or_default()
}

/// A label's extent along the axis: (start, end) in pixels.
fn extent(
    tick: &Tick,
    lo: f64,
    hi: f64,
    scale: Scale,
    room: &Room,
    width: &dyn Fn(&str) -> f64,
) -> (f64, f64) {
    let p = position(tick.value, lo, hi, scale, room.length);
    let e = if room.vertical {
        room.line
    } else {
        width(&tick.label)
    };
    (p - e / 2.0, p + e / 2.0)
}

/// Drops the ticks at the ends whose labels would reach past the axis's room (a label cut off
/// at the canvas's edge).
fn trim(
    mut t: Ticks,
    lo: f64,
    hi: f64,
    scale: Scale,
    room: &Room,
    width: &dyn Fn(&str) -> f64,
) -> Ticks {
    t.ticks.retain(|tick| {
        let (start, end) = extent(tick, lo, hi, scale, room, width);
        start >= -room.overhang.0 - 0.5 && end <= room.length + room.overhang.1 + 0.5
    });
    t
}

/// Whether neighbouring labels keep a gap and a readable spacing.
fn spaced(
    t: &Ticks,
    lo: f64,
    hi: f64,
    scale: Scale,
    room: &Room,
    width: &dyn Fn(&str) -> f64,
) -> bool {
    let (gap, spacing) = if room.vertical {
        (0.5 * room.line, 2.2 * room.line)
    } else {
        (1.0 * room.line, 3.5 * room.line)
    };
    t.ticks.windows(2).all(|w| {
        let (a, b) = (
            extent(&w[0], lo, hi, scale, room, width),
            extent(&w[1], lo, hi, scale, room, width),
        );
        let (pa, pb) = ((a.0 + a.1) / 2.0, (b.0 + b.1) / 2.0);
        b.0 - a.1 >= gap && pb - pa >= spacing
    })
}

/// Multiples of 1, 2 and 5 times powers of ten, densest first.
fn linear_candidates(lo: f64, hi: f64, integer: bool) -> Vec<Ticks> {
    let span = hi - lo;
    let top = span.log10().floor() as i32;
    let mut out = Vec::new();
    for k in (top - 3)..=(top + 1) {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(k);
            if (integer && step < 1.0) || span / step > 60.0 {
                continue;
            }
            let first = (lo / step - 1e-9).ceil() as i64;
            let last = (hi / step + 1e-9).floor() as i64;
            let values: Vec<f64> = (first..=last)
                .map(|i| {
                    let v = i as f64 * step;
                    if v.abs() < step * 1e-6 {
                        0.0
                    } else {
                        v
                    }
                })
                .collect();
            out.push(linear_labels(&values, k));
        }
    }
    if integer {
        // Last resort of a short layer axis: its first and last whole numbers (layers 1 and 8
        // on a 90 px heat map, where steps of 2 crowd and a step of 5 labels only "5").
        let (first, last) = ((lo - 1e-9).ceil(), (hi + 1e-9).floor());
        if last > first {
            out.push(linear_labels(&[first, last], 0));
        }
    }
    out
}

/// Labels for multiples of a step m * 10^k: as many decimals as the step needs, divided by
/// 10^e when the largest magnitude is below 1e-3 or from 1e4.
fn linear_labels(values: &[f64], k: i32) -> Ticks {
    let largest = values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let exponent = if largest > 0.0 && !(1e-3..1e4).contains(&largest) {
        Some(largest.log10().floor() as i32)
    } else {
        None
    };
    let e = exponent.unwrap_or(0);
    let decimals = (e - k).max(0) as usize;
    let ticks = values
        .iter()
        .map(|&v| {
            let scaled = v / 10f64.powi(e);
            let label = if v == 0.0 {
                "0".to_string()
            } else {
                format!("{scaled:.decimals$}")
            };
            Tick { value: v, label }
        })
        .collect();
    Ticks { ticks, exponent }
}

/// Log-axis candidates. With fewer than four decades in range: 1-2-5 in every decade, then
/// 1-3, then decades. Otherwise decades, every 2nd, 3rd, 5th, 10th ... decade.
fn log_candidates(lo: f64, hi: f64) -> Vec<Ticks> {
    let (a, b) = (lo.log10(), hi.log10());
    let (first, last) = ((a - 1e-9).floor() as i32, (b + 1e-9).ceil() as i32);
    let pick = |mantissas: &[f64], stride: i32| -> Ticks {
        let mut ticks = Vec::new();
        for k in first..=last {
            if k.rem_euclid(stride) != 0 {
                continue;
            }
            for &m in mantissas {
                let v = m * 10f64.powi(k);
                let l = v.log10();
                if l >= a - 1e-9 && l <= b + 1e-9 {
                    ticks.push(Tick {
                        value: v,
                        label: log_label(m, k),
                    });
                }
            }
        }
        Ticks {
            ticks,
            exponent: None,
        }
    };
    let decades = pick(&[1.0], 1);
    let mut out = Vec::new();
    if decades.ticks.len() < 4 {
        out.push(pick(&[1.0, 2.0, 5.0], 1));
        out.push(pick(&[1.0, 3.0], 1));
    }
    out.push(decades);
    for stride in [2, 3, 5, 10, 20, 50, 100] {
        out.push(pick(&[1.0], stride));
    }
    out
}

/// m * 10^k as "0.002", "20", "5000" between 1e-3 and 1e4, else "2e-5", "1e12".
fn log_label(m: f64, k: i32) -> String {
    if (-3..4).contains(&k) {
        let decimals = (-k).max(0) as usize;
        format!("{:.decimals$}", m * 10f64.powi(k))
    } else {
        format!("{}e{k}", m as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A font whose characters are each 0.6 of the line high, like digits in a sans-serif.
    fn mono(s: &str) -> f64 {
        s.chars().count() as f64 * 7.2
    }
    /// A y axis may reach half a line past its ends (the chart's margin); an x axis not at all.
    fn room(length: f64, vertical: bool) -> Room {
        Room {
            length,
            vertical,
            line: 12.0,
            overhang: if vertical { (6.0, 6.0) } else { (0.0, 0.0) },
        }
    }
    /// The checks every result must pass: distinct labels, no two label boxes overlapping,
    /// every label inside the axis.
    fn assert_readable(t: &Ticks, lo: f64, hi: f64, scale: Scale, r: &Room) {
        let labels = t.labels();
        for i in 0..labels.len() {
            for j in 0..i {
                assert_ne!(labels[i], labels[j], "repeated label in {labels:?}");
            }
        }
        let boxes: Vec<(f64, f64)> = t
            .ticks
            .iter()
            .map(|k| {
                let p = position(k.value, lo, hi, scale, r.length);
                let e = if r.vertical { r.line } else { mono(&k.label) };
                (p - e / 2.0, p + e / 2.0)
            })
            .collect();
        for w in boxes.windows(2) {
            assert!(w[0].1 <= w[1].0, "labels overlap: {labels:?} at {boxes:?}");
        }
        for b in &boxes {
            assert!(b.0 >= -r.overhang.0 - 0.5 && b.1 <= r.length + r.overhang.1 + 0.5);
        }
    }

    #[test]
    fn gelu_difference_on_a_short_axis_gets_few_labels_and_a_factor() {
        // The case: values from -5e-4 to 3e-4 on a 90 px tall axis printed nine labels
        // over one another. 12 px labels need at least 2.2 lines (26 px) each: at most four.
        let r = room(90.0, true);
        let t = choose(-5.2e-4, 3.1e-4, Scale::Linear, &r, &mono);
        assert_readable(&t, -5.2e-4, 3.1e-4, Scale::Linear, &r);
        assert!(t.ticks.len() >= 2 && t.ticks.len() <= 4, "{:?}", t.labels());
        // Steps of 1e-4 would give 9 ticks and 2e-4 four (too dense at 90 px: 90/8.3e-4*2e-4
        // = 21.7 px apart); 5e-4 gives -5e-4 and 0: labels "-5" and "0" with the factor 1e-4.
        assert_eq!(t.exponent, Some(-4));
        assert_eq!(t.labels(), vec!["-5", "0"]);
        assert_eq!(t.title("difference"), "difference (× 1e-4)");
        // At 140 px, the step 2e-4 fits (35 px apart): -4, -2, 0, 2.
        let r = room(140.0, true);
        let t = choose(-5.2e-4, 3.1e-4, Scale::Linear, &r, &mono);
        assert_eq!(t.labels(), vec!["-4", "-2", "0", "2"]);
    }

    #[test]
    fn huge_values_get_digits_that_tell_neighbours_apart() {
        // The mean axis printed "2e14, 2e14, 2e14, 1e14". From 1.15e14 to 2.3e14 on 200 px:
        // steps of 2e13 give 1.2, 1.4, ..., 2.2 (six ticks 34.8 px apart >= 26.4).
        let r = room(200.0, true);
        let t = choose(1.15e14, 2.3e14, Scale::Linear, &r, &mono);
        assert_readable(&t, 1.15e14, 2.3e14, Scale::Linear, &r);
        assert_eq!(t.exponent, Some(14));
        assert_eq!(t.labels(), vec!["1.2", "1.4", "1.6", "1.8", "2.0", "2.2"]);
    }

    #[test]
    fn ordinary_ranges_have_plain_labels() {
        let r = room(400.0, false);
        let t = choose(-5.0, 5.0, Scale::Linear, &r, &mono);
        assert_readable(&t, -5.0, 5.0, Scale::Linear, &r);
        // Steps of 1 are 40 px apart (>= 3.5 lines = 42 px fails); steps of 2 are 80 px apart.
        assert_eq!(t.labels(), vec!["-4", "-2", "0", "2", "4"]);
        assert_eq!(t.exponent, None);
        // -0.11 to 0.11: steps of 0.02 are 36.4 px apart (< 42), steps of 0.05 90.9 px; the
        // labels carry the two decimals the step needs, zero is "0".
        let t = choose(-0.11, 0.11, Scale::Linear, &r, &mono);
        assert_readable(&t, -0.11, 0.11, Scale::Linear, &r);
        assert_eq!(t.labels(), vec!["-0.10", "-0.05", "0", "0.05", "0.10"]);
    }

    #[test]
    fn the_last_label_stays_inside_the_axis() {
        // Layers 0.5 .. 1000.5 on 300 px with no room past the ends: "1000" (28.8 px wide) centred
        // at 299.85 px would reach past 300, so it is dropped. Labels need 42 px: steps of 100
        // are 30 px apart, steps of 200 60 px: 200, 400, 600, 800.
        let r = room(300.0, false);
        let t = choose(0.5, 1000.5, Scale::Integer, &r, &mono);
        assert_readable(&t, 0.5, 1000.5, Scale::Integer, &r);
        assert_eq!(t.labels(), vec!["200", "400", "600", "800"]);
        // With 20 px of margin past the end it fits.
        let r = Room {
            overhang: (0.0, 20.0),
            ..r
        };
        let t = choose(0.5, 1000.5, Scale::Integer, &r, &mono);
        assert_eq!(t.ticks.last().unwrap().label, "1000");
    }

    #[test]
    fn layer_axes_label_whole_layers() {
        let r = room(500.0, false);
        let t = choose(0.5, 3.5, Scale::Integer, &r, &mono);
        assert_eq!(t.labels(), vec!["1", "2", "3"]);
        let t = choose(0.5, 200.5, Scale::Integer, &r, &mono);
        assert_readable(&t, 0.5, 200.5, Scale::Integer, &r);
        assert!(t.ticks.iter().all(|k| k.value.fract() == 0.0));
        // 8 layers on a 90 px y axis: 11.25 px a layer, so steps of 1 and 2 (22.5 px) are closer
        // than 2.2 lines (26.4 px) and a step of 5 labels only "5": the first and last layer,
        // 78.75 px apart, are labelled instead.
        let r = room(90.0, true);
        let t = choose(0.5, 8.5, Scale::Integer, &r, &mono);
        assert_readable(&t, 0.5, 8.5, Scale::Integer, &r);
        assert_eq!(t.labels(), vec!["1", "8"]);
    }

    #[test]
    fn log_axes_have_at_least_two_labels() {
        // One decade, 0.1 to 1: the issue saw a lone "1". 1-2-5 gives 0.1, 0.2, 0.5, 1
        // (positions 0, 30.1%, 69.9%, 100% of 150 px: 45 and 59.7 and 45 px apart).
        let r = room(150.0, true);
        let t = choose(0.1, 1.0, Scale::Log, &r, &mono);
        assert_readable(&t, 0.1, 1.0, Scale::Log, &r);
        assert_eq!(t.labels(), vec!["0.1", "0.2", "0.5", "1"]);
        // On 40 px even the two decades 0.1 and 1 are only 40 px apart (>= 26.4): two labels.
        let r = room(40.0, true);
        let t = choose(0.1, 1.0, Scale::Log, &r, &mono);
        assert_eq!(t.labels(), vec!["0.1", "1"]);
    }

    #[test]
    fn many_decades_thin_out() {
        // 1e-300 to 1e10 on 200 px: 311 decades; a label needs 26.4 px, so at most 8: every
        // 50th decade (7 labels, 32 px apart).
        let r = room(200.0, true);
        let t = choose(1e-300, 1e10, Scale::Log, &r, &mono);
        assert_readable(&t, 1e-300, 1e10, Scale::Log, &r);
        assert_eq!(
            t.labels(),
            vec!["1e-300", "1e-250", "1e-200", "1e-150", "1e-100", "1e-50", "1"]
        );
    }

    #[test]
    fn degenerate_inputs_give_no_ticks_without_panicking() {
        let r = room(100.0, false);
        for (lo, hi, s) in [
            (f64::NAN, 1.0, Scale::Linear),
            (0.0, f64::INFINITY, Scale::Linear),
            (1.0, 1.0, Scale::Linear),
            (2.0, 1.0, Scale::Linear),
            (0.0, 1.0, Scale::Log),
            (-1.0, 1.0, Scale::Log),
        ] {
            assert_eq!(choose(lo, hi, s, &r, &mono), Ticks::default());
        }
        assert_eq!(
            choose(0.0, 1.0, Scale::Linear, &room(0.0, true), &mono),
            Ticks::default()
        );
        // A tiny axis: one label at most, never two that overlap.
        let t = choose(0.0, 1.0, Scale::Linear, &room(20.0, false), &mono);
        assert!(t.ticks.len() <= 1);
    }
}
