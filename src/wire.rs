//! Messages between the page and the simulation worker, as plain JS objects with typed arrays
//! (structured clone copies them; no serialization library needed).
//!
//! Page -> worker: `{type: "run", gen, query}`: simulate the configuration of the URL query
//! `query`; `gen` numbers the requests, and only the newest one's results are used.
//! Worker -> page: `{type: "ready"}` once the worker's wasm is running; `{type: "result", gen,
//! progress, phase, reached, skipped, stats, from, samples, corr, corr_done}` after slices of
//! work ([`Delta`] plus the correlation prediction); `{type: "theory", gen, data}` with the
//! [`TheoryBundle`] of the request, encoded by codec.rs into one Float64Array;
//! `{type: "error", message}` when it fails.

use crate::codec;
use crate::theory_view::TheoryBundle;
use js_sys::{Array, Float32Array, Float64Array, Object, Reflect};
use lab_core::RunPhase;
use lab_core::{Delta, LayerStats};
use wasm_bindgen::{JsCast, JsValue};

/// Numbers per layer in `stats`: pre_mean, pre_var, post_mean, post_var, grad_rms, pair_corr.
const STATS_FIELDS: usize = 6;

fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The `type` of a message ("" when it has none).
pub fn kind(message: &JsValue) -> String {
    get(message, "type").as_string().unwrap_or_default()
}

pub fn run_request(gen: u64, query: &str) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"run".into());
    set(&o, "gen", &(gen as f64).into());
    set(&o, "query", &query.into());
    o.into()
}

/// (gen, query) of a run request.
pub fn read_run_request(message: &JsValue) -> Option<(u64, String)> {
    let gen = get(message, "gen").as_f64()?;
    let query = get(message, "query").as_string()?;
    Some((gen as u64, query))
}

pub fn ready() -> JsValue {
    let o = Object::new();
    set(&o, "type", &"ready".into());
    o.into()
}

pub fn error(message: &str) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"error".into());
    set(&o, "message", &message.into());
    o.into()
}

pub fn read_error(message: &JsValue) -> String {
    get(message, "message")
        .as_string()
        .unwrap_or_else(|| "unknown error".into())
}

/// The results of one slice of work.
#[derive(Clone, Debug, PartialEq)]
pub struct Result {
    pub gen: u64,
    pub delta: Delta,
    /// The correlation prediction c^1, c^2, ... so far.
    pub corr: Vec<f64>,
    pub corr_done: bool,
}

pub fn result(r: &Result) -> JsValue {
    let d = &r.delta;
    let o = Object::new();
    set(&o, "type", &"result".into());
    set(&o, "gen", &(r.gen as f64).into());
    set(&o, "progress", &d.progress.into());
    set(&o, "phase", &d.phase.name().into());
    set(&o, "reached", &(d.backward_reached as f64).into());
    set(
        &o,
        "skipped",
        &d.backward_skipped
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    let mut flat = Vec::with_capacity(d.stats.len() * STATS_FIELDS);
    for s in &d.stats {
        flat.extend([
            s.pre_mean,
            s.pre_var,
            s.post_mean,
            s.post_var,
            s.grad_rms,
            s.pair_corr,
        ]);
    }
    set(&o, "stats", &Float64Array::from(flat.as_slice()).into());
    set(&o, "from", &(d.samples_from as f64).into());
    let samples = Array::new();
    for layer in &d.samples {
        samples.push(&Float32Array::from(layer.as_slice()).into());
    }
    set(&o, "samples", &samples.into());
    set(&o, "corr", &Float64Array::from(r.corr.as_slice()).into());
    set(&o, "corr_done", &r.corr_done.into());
    o.into()
}

/// Reads a result message; None if any part is missing or malformed.
pub fn read_result(message: &JsValue) -> Option<Result> {
    let flat = get(message, "stats")
        .dyn_into::<Float64Array>()
        .ok()?
        .to_vec();
    if flat.len() % STATS_FIELDS != 0 {
        return None;
    }
    let stats = flat
        .chunks_exact(STATS_FIELDS)
        .map(|c| LayerStats {
            pre_mean: c[0],
            pre_var: c[1],
            post_mean: c[2],
            post_var: c[3],
            grad_rms: c[4],
            pair_corr: c[5],
        })
        .collect();
    let samples = get(message, "samples")
        .dyn_into::<Array>()
        .ok()?
        .iter()
        .map(|a| a.dyn_into::<Float32Array>().ok().map(|a| a.to_vec()))
        .collect::<Option<Vec<_>>>()?;
    let delta = Delta {
        progress: get(message, "progress").as_f64()?,
        phase: RunPhase::from_name(&get(message, "phase").as_string()?)?,
        backward_reached: get(message, "reached").as_f64()? as usize,
        backward_skipped: get(message, "skipped").as_string(),
        stats,
        samples_from: get(message, "from").as_f64()? as usize,
        samples,
    };
    Some(Result {
        gen: get(message, "gen").as_f64()? as u64,
        delta,
        corr: get(message, "corr")
            .dyn_into::<Float64Array>()
            .ok()?
            .to_vec(),
        corr_done: get(message, "corr_done").as_bool()?,
    })
}

pub fn theory(gen: u64, bundle: &TheoryBundle) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"theory".into());
    set(&o, "gen", &(gen as f64).into());
    set(
        &o,
        "data",
        &Float64Array::from(codec::encode(bundle).as_slice()).into(),
    );
    o.into()
}

/// (gen, bundle) of a theory message; None if malformed.
pub fn read_theory(message: &JsValue) -> Option<(u64, TheoryBundle)> {
    let gen = get(message, "gen").as_f64()? as u64;
    let data = get(message, "data")
        .dyn_into::<Float64Array>()
        .ok()?
        .to_vec();
    Some((gen, codec::decode(&data)?))
}
