//! The Jacobian's message from the worker to the page: `{type: "jacobian", gen, progress,
//! values, reason, done}` with `values` a Float64Array of the singular values (sorted
//! descending, empty until done) and `reason` why there are none (empty otherwise). Decoded as
//! strictly as wire.rs: anything that does not fit is an `Err` saying what, never a panic.

use super::wire::{self, get_bool, get_f64_array, get_number, get_string, set, Decoded};
use js_sys::{Float64Array, Object};
use lab_core::MAX_JACOBIAN_WIDTH;
use wasm_bindgen::JsValue;

/// What the page knows of the Jacobian of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JacobianUpdate {
    pub gen: u64,
    /// Fraction of the estimated work done, in [0, 1].
    pub progress: f64,
    /// The singular values, sorted descending, once done (empty before, and when refused).
    pub values: Vec<f64>,
    /// Why there are no singular values (refused or failed), in plain words; empty otherwise.
    pub reason: String,
    pub done: bool,
}

pub fn jacobian(u: &JacobianUpdate) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"jacobian".into());
    set(&o, "gen", &(u.gen as f64).into());
    set(&o, "progress", &u.progress.into());
    set(
        &o,
        "values",
        &Float64Array::from(u.values.as_slice()).into(),
    );
    set(&o, "reason", &u.reason.as_str().into());
    set(&o, "done", &u.done.into());
    o.into()
}

pub fn read_jacobian(message: &JsValue) -> Decoded<JacobianUpdate> {
    decode_jacobian(JacobianUpdateFields {
        gen: get_number(message, "gen")?,
        progress: get_number(message, "progress")?,
        values: get_f64_array(message, "values")?,
        reason: get_string(message, "reason")?,
        done: get_bool(message, "done")?,
    })
}

/// A Jacobian message's fields as JS carries them.
#[derive(Clone, Debug)]
pub struct JacobianUpdateFields {
    pub gen: f64,
    pub progress: f64,
    pub values: Vec<f64>,
    pub reason: String,
    pub done: bool,
}

/// Checks that the fields fit together: a request number, progress in [0, 1], at most
/// [`MAX_JACOBIAN_WIDTH`] finite non-negative values sorted descending, values only when done,
/// and a finished update with either values or a reason, not both.
pub fn decode_jacobian(f: JacobianUpdateFields) -> Decoded<JacobianUpdate> {
    let gen = wire::generation(f.gen)?;
    if !(0.0..=1.0).contains(&f.progress) {
        return Err(format!("`progress` {} is not in [0, 1]", f.progress));
    }
    if f.values.len() > MAX_JACOBIAN_WIDTH {
        return Err(format!("`values` has {} entries", f.values.len()));
    }
    if !f.values.iter().all(|v| v.is_finite() && *v >= 0.0) {
        return Err("`values` are not all finite and >= 0".into());
    }
    if f.values.windows(2).any(|w| w[0] < w[1]) {
        return Err("`values` are not sorted descending".into());
    }
    let (has_values, has_reason) = (!f.values.is_empty(), !f.reason.is_empty());
    if has_values && (has_reason || !f.done) || f.done && !(has_values || has_reason) {
        return Err("`values`, `reason` and `done` do not fit together".into());
    }
    Ok(JacobianUpdate {
        gen,
        progress: f.progress,
        values: f.values,
        reason: f.reason,
        done: f.done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_updates_say_why() {
        let good = JacobianUpdateFields {
            gen: 4.0,
            progress: 1.0,
            values: vec![3.0, 2.0, 0.0],
            reason: String::new(),
            done: true,
        };
        assert!(decode_jacobian(good.clone()).is_ok());
        let bad = |f: fn(&mut JacobianUpdateFields)| {
            let mut fields = good.clone();
            f(&mut fields);
            decode_jacobian(fields).expect_err("malformed")
        };
        assert!(bad(|f| f.gen = 0.5).contains("gen"));
        assert!(bad(|f| f.progress = f64::NAN).contains("progress"));
        assert!(bad(|f| f.values[1] = 4.0).contains("sorted"));
        assert!(bad(|f| f.values[2] = -1.0).contains("finite"));
        assert!(bad(|f| f.values = vec![1.0; 513]).contains("entries"));
        assert!(bad(|f| f.done = false).contains("fit"));
        assert!(bad(|f| f.reason = "why".into()).contains("fit"));
        assert!(bad(|f| f.values.clear()).contains("fit"));
        let refused = JacobianUpdateFields {
            values: vec![],
            reason: "too wide".into(),
            ..good.clone()
        };
        assert!(decode_jacobian(refused).is_ok());
        let running = JacobianUpdateFields {
            values: vec![],
            progress: 0.3,
            done: false,
            ..good
        };
        assert!(decode_jacobian(running).is_ok());
    }
}
