//! The CSV writers of the Train lab (losses, probe statistics, weight statistics, decision map).
//! Re-exported from [`crate::train::trainer`].

use crate::train::probe::{DecisionMap, LayerProbe};
use crate::train::trainer::History;
use std::fmt::Write;

// ---------------------------------------------------------------------------------------------
// CSVs. Numbers are written with Rust's shortest round-trip formatting ("NaN", "inf" for
// non-finite values); a run name containing a comma, quote or line break is quoted.

fn csv_name(run: &str) -> String {
    if run.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", run.replace('"', "\"\""))
    } else {
        run.to_string()
    }
}

/// `run,step,batch_loss,train_loss,train_acc,test_loss,test_acc`: one row per step from 0 (empty
/// batch_loss) to the last step done; the evaluation columns are empty between evaluations.
pub fn loss_csv(runs: &[(&str, &History)]) -> String {
    let mut out = String::from("run,step,batch_loss,train_loss,train_acc,test_loss,test_acc\n");
    for (run, h) in runs {
        let name = csv_name(run);
        let mut evals = h.evals.iter().peekable();
        for s in 0..=h.last_step() {
            let batch = if s == 0 {
                String::new()
            } else {
                h.batch_loss[s - 1].to_string()
            };
            while evals.peek().is_some_and(|e| e.step < s) {
                evals.next();
            }
            let _ = match evals.peek().filter(|e| e.step == s) {
                Some(e) => writeln!(
                    out,
                    "{name},{s},{batch},{},{},{},{}",
                    e.train_loss, e.train_acc, e.test_loss, e.test_acc
                ),
                None => writeln!(out, "{name},{s},{batch},,,,"),
            };
        }
    }
    out
}

/// One row per run, evaluation and hidden layer (1-based): `run,step,layer` and the five
/// values `row` takes from the layer's probe.
fn per_layer_csv(
    header: &str,
    runs: &[(&str, &History)],
    row: fn(&LayerProbe) -> [f64; 5],
) -> String {
    let mut out = format!("{header}\n");
    for (run, h) in runs {
        let name = csv_name(run);
        for e in &h.evals {
            for (l, p) in e.layers.iter().enumerate() {
                let [a, b, c, d, f] = row(p);
                let _ = writeln!(out, "{name},{},{},{a},{b},{c},{d},{f}", e.step, l + 1);
            }
        }
    }
    out
}

/// `run,step,layer,post_mean,post_var,grad_rms,omega,tau`: one row per evaluation and hidden
/// layer (1-based); omega and tau are the means over the layer's units.
pub fn train_stats_csv(runs: &[(&str, &History)]) -> String {
    per_layer_csv(
        "run,step,layer,post_mean,post_var,grad_rms,omega,tau",
        runs,
        |p| {
            [
                p.post_mean,
                p.post_var,
                p.grad_rms,
                p.omega_mean,
                p.tau_mean,
            ]
        },
    )
}

/// `run,step,layer,omega_mean,omega_std,tau_mean,tau_std,inside_box`: one row per evaluation and
/// hidden layer (1-based).
pub fn weights_csv(runs: &[(&str, &History)]) -> String {
    per_layer_csv(
        "run,step,layer,omega_mean,omega_std,tau_mean,tau_std,inside_box",
        runs,
        |p| {
            [
                p.omega_mean,
                p.omega_std,
                p.tau_mean,
                p.tau_std,
                p.inside_box,
            ]
        },
    )
}

/// `x1,x2,p1`: the decision map, x1 fastest.
pub fn decision_csv(map: &DecisionMap) -> String {
    let mut out = String::from("x1,x2,p1\n");
    for (i2, b) in map.x2.iter().enumerate() {
        for (i1, a) in map.x1.iter().enumerate() {
            let _ = writeln!(out, "{a},{b},{}", map.p1[i2 * map.x1.len() + i1]);
        }
    }
    out
}
