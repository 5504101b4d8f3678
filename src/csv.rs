//! CSV exports of exactly the numbers the panels plot. Pure Rust, tested natively.

use lab_core::LayerStats;

/// Header of the `stats` and `grads` exports.
pub const LAYERS_HEADER: &str = "layer,pre_mean,pre_var,post_mean,post_var,grad_rms";
/// Header of the `activation` export.
pub const ACTIVATION_HEADER: &str = "x,f,df";

/// A number as CSV text: shortest round-trip decimal; non-finite as `inf`, `-inf` or `nan`.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v == f64::INFINITY {
        "inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-inf".to_string()
    } else {
        format!("{v:e}")
    }
}

/// One row per layer 1..=n, in the order of `stats`.
pub fn layers_csv(stats: &[LayerStats]) -> String {
    let mut out = String::with_capacity(64 * (stats.len() + 1));
    out.push_str(LAYERS_HEADER);
    out.push('\n');
    for (i, s) in stats.iter().enumerate() {
        let row = [s.pre_mean, s.pre_var, s.post_mean, s.post_var, s.grad_rms];
        out.push_str(&(i + 1).to_string());
        for v in row {
            out.push(',');
            out.push_str(&number(v));
        }
        out.push('\n');
    }
    out
}

/// Rows `x,f,df` of the activation curve; with the GELU difference shown (`diff`, GELU exact
/// minus its tanh form at the same x), a fourth column `diff`.
pub fn activation_csv(points: &[(f64, f64, f64)], diff: Option<&[(f64, f64)]>) -> String {
    let diff = diff.filter(|d| d.len() == points.len());
    let mut out = String::with_capacity(64 * (points.len() + 1));
    out.push_str(ACTIVATION_HEADER);
    out.push_str(if diff.is_some() { ",diff\n" } else { "\n" });
    for (i, &(x, f, df)) in points.iter().enumerate() {
        out.push_str(&format!("{},{},{}", number(x), number(f), number(df)));
        if let Some(d) = diff {
            out.push(',');
            out.push_str(&number(d[i].1));
        }
        out.push('\n');
    }
    out
}

/// Header of the `jacobian` export.
pub const JACOBIAN_HEADER: &str = "index,singular_value";

/// One row per singular value, 1-based index, in the order given (sorted descending).
pub fn jacobian_csv(values: &[f64]) -> String {
    let mut out = String::with_capacity(28 * (values.len() + 1));
    out.push_str(JACOBIAN_HEADER);
    out.push('\n');
    for (i, &v) in values.iter().enumerate() {
        out.push_str(&format!("{},{}\n", i + 1, number(v)));
    }
    out
}

/// Header of the `hist` export.
pub const HIST_HEADER: &str = "layer,bin_low,bin_high,count,outside";

/// One row per layer and bin of the heat map; `outside` counts that layer's finite sampled
/// values beyond the plotted range (repeated on each of its rows).
pub fn hist_csv(map: &crate::charts::hist::Heatmap) -> String {
    use crate::charts::hist::BINS;
    let mut out = String::new();
    out.push_str(HIST_HEADER);
    out.push('\n');
    let width = (map.hi - map.lo) / BINS as f64;
    for l in 0..map.layers {
        for b in 0..BINS {
            let lo = map.lo + b as f64 * width;
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                l + 1,
                number(lo),
                number(lo + width),
                map.counts[l * BINS + b],
                map.outside[l]
            ));
        }
    }
    out
}

/// Several runs' exports (each with the same header) as one table: a `run` column first (the
/// run's name: "current", "pin1", ...), then every run's rows in order under one header.
pub fn runs_csv(runs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (name, text)) in runs.iter().enumerate() {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if i == 0 {
            out.push_str("run,");
            out.push_str(header);
            out.push('\n');
        }
        for line in lines {
            out.push_str(name);
            out.push(',');
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_are_written_as_words() {
        assert_eq!(number(f64::INFINITY), "inf");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(number(f64::NAN), "nan");
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [0.0, -0.0, 1.0, 1.0 / 3.0, 1e-300, -2.5e30, f32::MAX as f64] {
            let back: f64 = number(v).parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v}");
        }
    }

    #[test]
    fn layers_csv_has_header_and_one_row_per_layer() {
        let s = LayerStats {
            pre_mean: 0.5,
            pre_var: 2.0,
            post_mean: f64::NAN,
            post_var: f64::INFINITY,
            grad_rms: 1e-3,
            pair_corr: 0.5,
        };
        let csv = layers_csv(&[s, s]);
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines[0], LAYERS_HEADER);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2], "2,5e-1,2e0,nan,inf,1e-3");
    }

    /// With pins, every row says which run it belongs to and the rows keep their values.
    #[test]
    fn runs_csv_adds_a_run_column() {
        let s = LayerStats {
            pre_mean: 0.5,
            pre_var: 2.0,
            post_mean: 0.25,
            post_var: 1.0,
            grad_rms: 1e-3,
            pair_corr: 0.5,
        };
        let pin = LayerStats {
            post_mean: -1.0,
            ..s
        };
        let text = runs_csv(&[
            ("current".into(), layers_csv(&[s, s])),
            ("pin1".into(), layers_csv(&[pin])),
        ]);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], format!("run,{LAYERS_HEADER}"));
        assert_eq!(lines[1], "current,1,5e-1,2e0,2.5e-1,1e0,1e-3");
        assert_eq!(lines[2], "current,2,5e-1,2e0,2.5e-1,1e0,1e-3");
        assert_eq!(lines[3], "pin1,1,5e-1,2e0,-1e0,1e0,1e-3");
    }

    /// With the GELU difference shown, the activation CSV gets a `diff` column, row by row.
    #[test]
    fn activation_csv_carries_the_gelu_difference_when_shown() {
        let points = [(-1.0, 0.5, 0.25), (0.0, 0.0, 0.5)];
        assert_eq!(
            activation_csv(&points, None),
            "x,f,df\n-1e0,5e-1,2.5e-1\n0e0,0e0,5e-1\n"
        );
        assert_eq!(
            activation_csv(&points, Some(&[(-1.0, -4.7e-4), (0.0, 0.0)])),
            "x,f,df,diff\n-1e0,5e-1,2.5e-1,-4.7e-4\n0e0,0e0,5e-1,0e0\n"
        );
    }

    #[test]
    fn jacobian_csv_numbers_the_values_from_1() {
        let csv = jacobian_csv(&[2.0, 1e-200, 0.0]);
        assert_eq!(csv, "index,singular_value\n1,2e0\n2,1e-200\n3,0e0\n");
        assert_eq!(jacobian_csv(&[]), "index,singular_value\n");
    }
}
