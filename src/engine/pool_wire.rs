//! Messages of the simulation's worker pool. The page gives the simulation worker (the
//! coordinator, which computes row 0's shard) one MessagePort to each other worker of the
//! pool (`pool`, and `shard_port` to the other end); over these ports the coordinator sends
//! each other worker its shard of a run (`shard_run`, or `shard_extend` to continue its finished
//! shard to a deeper network), the whole-batch sums it waits for
//! (`shard_resume`) or an end to its work (`shard_stop`), and the worker answers with what it
//! has new (`shard_report`, the [`ShardReport`] flat-encoded) or why it cannot (`shard_error`).

use crate::engine::codec;
use crate::engine::wire::{
    add_device_memory, get, get_f64_array, get_number, read_budget, read_run_request, run_request,
    set, Decoded,
};
use js_sys::{Array, Float64Array, Object};
use lab_core::sim::{MemoryBudget, ShardReport};
use lab_core::{Config, BATCH_RANGE};
use std::ops::Range;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessagePort;

fn message(kind: &str, gen: u64) -> Object {
    let o = Object::new();
    set(&o, "type", &kind.into());
    set(&o, "gen", &(gen as f64).into());
    o
}

/// The page to the coordinator: its ports to the pool's other workers (transferred).
pub fn pool(ports: &[MessagePort]) -> (JsValue, Array) {
    let o = Object::new();
    set(&o, "type", &"pool".into());
    let list: Array = ports.iter().collect();
    set(&o, "ports", &list);
    (o.into(), list)
}

/// The coordinator's ports in a `pool` message.
pub fn read_pool(message: &JsValue) -> Vec<MessagePort> {
    get(message, "ports")
        .dyn_into::<Array>()
        .map(|a| a.iter().filter_map(|p| p.dyn_into().ok()).collect())
        .unwrap_or_default()
}

/// The page to another worker of the pool: its port to the coordinator (transferred).
pub fn shard_port(port: &MessagePort) -> (JsValue, Array) {
    let o = Object::new();
    set(&o, "type", &"shard_port".into());
    set(&o, "port", port);
    (o.into(), Array::of1(port))
}

pub fn read_shard_port(message: &JsValue) -> Option<MessagePort> {
    get(message, "port").dyn_into().ok()
}

/// The coordinator to a worker: compute the `rows` of run `gen` of `config`.
pub fn shard_run(
    gen: u64,
    config: &Config,
    rows: &Range<usize>,
    device_memory_gb: Option<f64>,
) -> JsValue {
    let o = retyped(run_request(gen, config), "shard_run");
    set(&o, "from", &(rows.start as f64).into());
    set(&o, "to", &(rows.end as f64).into());
    let o: JsValue = o.into();
    add_device_memory(&o, device_memory_gb);
    o
}

/// The coordinator to a worker: continue the finished shard of the previous run to run `gen`
/// of `config`, a deeper network of the same settings.
pub fn shard_extend(gen: u64, config: &Config) -> JsValue {
    retyped(run_request(gen, config), "shard_extend").into()
}

/// A run request's message as another kind of message (the same `gen` and `config`, read by
/// `wire::read_run_request`).
fn retyped(request: JsValue, kind: &str) -> Object {
    let o: Object = request.unchecked_into();
    set(&o, "type", &kind.into());
    o
}

/// A shard's work: its run's number, configuration, rows and memory budget.
pub struct ShardRun {
    pub gen: u64,
    pub config: Config,
    pub rows: Range<usize>,
    pub budget: MemoryBudget,
}

pub fn read_shard_run(message: &JsValue) -> Decoded<ShardRun> {
    let (gen, config) = read_run_request(message)?;
    let row = |key: &str| -> Decoded<usize> {
        let v = get_number(message, key)?;
        if (0.0..=*BATCH_RANGE.end() as f64).contains(&v) && v.fract() == 0.0 {
            Ok(v as usize)
        } else {
            Err(format!("`{key}` {v} is not a row of a batch"))
        }
    };
    let rows = row("from")?..row("to")?;
    if rows.is_empty() || rows.end > config.batch {
        return Err(format!(
            "rows {rows:?} are not a shard of a batch of {}",
            config.batch
        ));
    }
    Ok(ShardRun {
        gen,
        config,
        rows,
        budget: read_budget(message),
    })
}

/// The coordinator to a worker: the whole batch's sums its shard of run `gen` waits for.
pub fn shard_resume(gen: u64, sums: &[f64]) -> JsValue {
    let o = message("shard_resume", gen);
    set(&o, "sums", &Float64Array::from(sums).into());
    o.into()
}

pub fn read_shard_resume(message: &JsValue) -> Decoded<(u64, Vec<f64>)> {
    Ok((
        crate::engine::wire::generation(get_number(message, "gen")?)?,
        get_f64_array(message, "sums")?,
    ))
}

/// The coordinator to a worker it has no shard for in the newest run: drop the old one.
pub fn shard_stop() -> JsValue {
    message("shard_stop", 0).into()
}

/// A worker to the coordinator: what its shard of run `gen` has new.
pub fn shard_report(gen: u64, report: &ShardReport) -> JsValue {
    let o = message("shard_report", gen);
    set(
        &o,
        "data",
        &Float64Array::from(codec::encode(report).as_slice()).into(),
    );
    o.into()
}

pub fn read_shard_report(message: &JsValue) -> Decoded<(u64, ShardReport)> {
    let gen = crate::engine::wire::generation(get_number(message, "gen")?)?;
    let report = codec::decode(&get_f64_array(message, "data")?)
        .ok_or("a shard report that does not decode")?;
    Ok((gen, report))
}

/// A worker to the coordinator: its shard of run `gen` cannot be computed.
pub fn shard_error(gen: u64, why: &str) -> JsValue {
    let o = message("shard_error", gen);
    set(&o, "message", &why.into());
    o.into()
}
