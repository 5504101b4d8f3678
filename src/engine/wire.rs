//! Messages between the page and the simulation worker, as plain JS objects with typed arrays
//! (structured clone copies them; no serialization library needed).
//!
//! Page -> worker: `{type: "run", gen, config}`: simulate the configuration `config` (a
//! Float64Array in the strict layout of config_wire.rs, validated on arrival); `gen` numbers the
//! requests, and only the newest one's results are used.
//! Worker -> page: `{type: "ready"}` once the worker's wasm is running; `{type: "result", gen,
//! progress, phase, reached, skipped, stats, from, samples, corr, corr_done}` after slices of
//! work ([`Delta`] plus the correlation prediction); `{type: "theory", gen, data}` with the
//! [`TheoryBundle`] of the request, encoded by codec.rs into one Float64Array;
//! `{type: "error", message}` when it fails.
//!
//! Decoding is as strict as codec.rs: a message with a missing field, a field of the wrong JS
//! type, a count that is not a non-negative integer, or parts that do not fit together is an
//! `Err` saying what is wrong, never a panic or a silently clamped value. The checks run on
//! plain Rust values ([`ResultFields`], [`decode_result`], [`decode_run_request`],
//! [`decode_theory`]), so they are tested natively; the JS side only reads the fields.

use crate::engine::TheoryBundle;
use crate::engine::{codec, config_wire};
use js_sys::{Array, Float32Array, Float64Array, Object, Reflect};
use lab_core::sim::MemoryBudget;
use lab_core::RunPhase;
use lab_core::{Config, Delta, LayerStats, NonFinite, BATCH_RANGE, DEPTH_RANGE, WIDTH_RANGE};
use wasm_bindgen::{JsCast, JsValue};

/// Numbers per layer in `stats`: pre_mean, pre_var, post_mean, post_var, grad_rms, pair_corr.
const STATS_FIELDS: usize = 6;

/// A decoded message, or why it is malformed. (`Result` in this module is the result message.)
pub type Decoded<T> = std::result::Result<T, String>;

pub(super) fn set(o: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), value);
}

pub(super) fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(super) fn get_number(o: &JsValue, key: &str) -> Decoded<f64> {
    get(o, key)
        .as_f64()
        .ok_or_else(|| format!("`{key}` is not a number"))
}

pub(super) fn get_string(o: &JsValue, key: &str) -> Decoded<String> {
    get(o, key)
        .as_string()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

pub(super) fn get_bool(o: &JsValue, key: &str) -> Decoded<bool> {
    get(o, key)
        .as_bool()
        .ok_or_else(|| format!("`{key}` is not a boolean"))
}

pub(super) fn get_f64_array(o: &JsValue, key: &str) -> Decoded<Vec<f64>> {
    get(o, key)
        .dyn_into::<Float64Array>()
        .map(|a| a.to_vec())
        .map_err(|_| format!("`{key}` is not a Float64Array"))
}

/// The largest integer up to which every integer is an f64 (2^53).
const EXACT_INTEGERS: f64 = 9007199254740992.0;

/// A request number: a non-negative integer that f64 holds exactly.
pub(super) fn generation(v: f64) -> Decoded<u64> {
    if (0.0..=EXACT_INTEGERS).contains(&v) && v.fract() == 0.0 {
        Ok(v as u64)
    } else {
        Err(format!("`gen` {v} is not a request number"))
    }
}

/// A count (a layer index) no larger than `max`.
fn count(key: &str, v: f64, max: usize) -> Decoded<usize> {
    if (0.0..=max as f64).contains(&v) && v.fract() == 0.0 {
        Ok(v as usize)
    } else {
        Err(format!("`{key}` {v} is not a count in 0..={max}"))
    }
}

/// The `type` of a message ("" when it has none).
pub fn kind(message: &JsValue) -> String {
    get(message, "type").as_string().unwrap_or_default()
}

/// A run request (the page adds its device memory, [`add_device_memory`]).
pub fn run_request(gen: u64, config: &Config) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"run".into());
    set(&o, "gen", &(gen as f64).into());
    set(
        &o,
        "config",
        &Float64Array::from(config_wire::encode(config).as_slice()).into(),
    );
    o.into()
}

/// (gen, config) of a run request.
pub fn read_run_request(message: &JsValue) -> Decoded<(u64, Config)> {
    decode_run_request(
        get_number(message, "gen")?,
        &get_f64_array(message, "config")?,
    )
}

/// Adds the page's `navigator.deviceMemory` to a request (a run or a training start), from
/// which the worker takes its memory budget ([`read_budget`]).
pub fn add_device_memory(message: &JsValue, device_memory_gb: Option<f64>) {
    if let Some(gb) = device_memory_gb {
        let _ = Reflect::set(message, &JsValue::from_str("deviceMemory"), &gb.into());
    }
}

/// Marks a run request as not needing the Jacobian (a pinned run: the page shows only its
/// statistics).
pub fn without_jacobian(message: &JsValue) {
    let _ = Reflect::set(message, &JsValue::from_str("jacobian"), &false.into());
}

/// Asks for a run computed by up to `workers` workers of the pool (row shards).
pub fn with_workers(message: &JsValue, workers: usize) {
    let _ = Reflect::set(
        message,
        &JsValue::from_str("workers"),
        &(workers as f64).into(),
    );
}

/// The workers a run request asks for: 1 to [`lab_core::sim::MAX_SHARDS`] (1 when it says
/// nothing or something else).
pub fn read_workers(message: &JsValue) -> usize {
    get(message, "workers")
        .as_f64()
        .filter(|w| w.fract() == 0.0 && (1.0..=lab_core::sim::MAX_SHARDS as f64).contains(w))
        .map_or(1, |w| w as usize)
}

/// Whether a run request needs the Jacobian: unless it says `jacobian: false`.
pub fn wants_jacobian(message: &JsValue) -> bool {
    get(message, "jacobian").as_bool() != Some(false)
}

/// The memory budget of a run request: from the page's device memory when it sent one (a
/// missing, non-finite or non-positive value gives the default budget).
pub fn read_budget(message: &JsValue) -> MemoryBudget {
    MemoryBudget::for_device(get(message, "deviceMemory").as_f64())
}

/// (gen, config) of a run request from its fields.
pub fn decode_run_request(gen: f64, config: &[f64]) -> Decoded<(u64, Config)> {
    Ok((generation(gen)?, config_wire::decode(config)?))
}

pub fn ready() -> JsValue {
    let o = Object::new();
    set(&o, "type", &"ready".into());
    o.into()
}

/// The page asks whether the worker is alive.
pub fn ping() -> JsValue {
    let o = Object::new();
    set(&o, "type", &"ping".into());
    o.into()
}

/// The worker's answer to a ping.
pub fn pong() -> JsValue {
    let o = Object::new();
    set(&o, "type", &"pong".into());
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
    /// Layers kept from the previous run (a deeper network of the same settings continues the
    /// shallower one: `Simulation::extend`); 0 for a fresh run.
    pub reused: usize,
    /// The row shards (workers) the simulation was computed in.
    pub shards: usize,
}

/// A result message's fields as JS carries them (numbers as f64, stats flattened), before
/// their meaning is checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultFields {
    pub gen: f64,
    pub progress: f64,
    pub phase: String,
    pub reached: f64,
    pub skipped: Option<String>,
    /// STATS_FIELDS numbers per layer.
    pub stats: Vec<f64>,
    /// Two counts per layer: the non-finite pre- and post-activations.
    pub nonfinite: Vec<f64>,
    pub from: f64,
    pub samples: Vec<Vec<f32>>,
    pub corr: Vec<f64>,
    pub corr_done: bool,
    pub reused: f64,
    pub shards: f64,
}

impl ResultFields {
    /// The fields that encode `r`.
    pub fn of(r: &Result) -> ResultFields {
        let d = &r.delta;
        let mut stats = Vec::with_capacity(d.stats.len() * STATS_FIELDS);
        for s in &d.stats {
            stats.extend([
                s.pre_mean,
                s.pre_var,
                s.post_mean,
                s.post_var,
                s.grad_rms,
                s.pair_corr,
            ]);
        }
        let nonfinite = d
            .nonfinite
            .iter()
            .flat_map(|n| [n.pre as f64, n.post as f64])
            .collect();
        ResultFields {
            gen: r.gen as f64,
            progress: d.progress,
            phase: d.phase.name().to_string(),
            reached: d.backward_reached as f64,
            skipped: d.backward_skipped.clone(),
            stats,
            nonfinite,
            from: d.samples_from as f64,
            samples: d.samples.clone(),
            corr: r.corr.clone(),
            corr_done: r.corr_done,
            reused: r.reused as f64,
            shards: r.shards as f64,
        }
    }
}

pub fn result(r: &Result) -> JsValue {
    let f = ResultFields::of(r);
    let o = Object::new();
    set(&o, "type", &"result".into());
    set(&o, "gen", &f.gen.into());
    set(&o, "progress", &f.progress.into());
    set(&o, "phase", &f.phase.as_str().into());
    set(&o, "reached", &f.reached.into());
    set(
        &o,
        "skipped",
        &f.skipped
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&o, "stats", &Float64Array::from(f.stats.as_slice()).into());
    set(
        &o,
        "nonfinite",
        &Float64Array::from(f.nonfinite.as_slice()).into(),
    );
    set(&o, "from", &f.from.into());
    let samples = Array::new();
    for layer in &f.samples {
        samples.push(&Float32Array::from(layer.as_slice()).into());
    }
    set(&o, "samples", &samples.into());
    set(&o, "corr", &Float64Array::from(f.corr.as_slice()).into());
    set(&o, "corr_done", &f.corr_done.into());
    set(&o, "reused", &f.reused.into());
    set(&o, "shards", &f.shards.into());
    o.into()
}

/// Reads a result message; Err if any part is missing or malformed.
pub fn read_result(message: &JsValue) -> Decoded<Result> {
    let skipped = get(message, "skipped");
    let skipped = if skipped.is_null() || skipped.is_undefined() {
        None
    } else {
        Some(
            skipped
                .as_string()
                .ok_or("`skipped` is neither null nor a string")?,
        )
    };
    let samples = get(message, "samples")
        .dyn_into::<Array>()
        .map_err(|_| "`samples` is not an Array")?
        .iter()
        .map(|a| {
            a.dyn_into::<Float32Array>()
                .map(|a| a.to_vec())
                .map_err(|_| "an entry of `samples` is not a Float32Array".to_string())
        })
        .collect::<Decoded<Vec<_>>>()?;
    decode_result(ResultFields {
        gen: get_number(message, "gen")?,
        progress: get_number(message, "progress")?,
        phase: get_string(message, "phase")?,
        reached: get_number(message, "reached")?,
        skipped,
        stats: get_f64_array(message, "stats")?,
        nonfinite: get_f64_array(message, "nonfinite")?,
        from: get_number(message, "from")?,
        samples,
        corr: get_f64_array(message, "corr")?,
        corr_done: get_bool(message, "corr_done")?,
        reused: get_number(message, "reused")?,
        shards: get_number(message, "shards")?,
    })
}

/// The result that `f` encodes: `gen` a request number, `progress` in [0, 1], `phase` a
/// phase's name, `reached` a layer index up to the largest depth + 1, `stats` whole layers,
/// and `from` + the number of sample layers = the number of stats layers (samples arrive for
/// every forwarded layer, the new ones only).
pub fn decode_result(f: ResultFields) -> Decoded<Result> {
    let gen = generation(f.gen)?;
    if !(0.0..=1.0).contains(&f.progress) {
        return Err(format!("`progress` {} is not in [0, 1]", f.progress));
    }
    let phase = RunPhase::from_name(&f.phase).ok_or_else(|| format!("no phase `{}`", f.phase))?;
    let backward_reached = count("reached", f.reached, *DEPTH_RANGE.end() + 1)?;
    if !f.stats.len().is_multiple_of(STATS_FIELDS) {
        return Err(format!(
            "`stats` has {} numbers, not {STATS_FIELDS} per layer",
            f.stats.len()
        ));
    }
    let stats: Vec<LayerStats> = f
        .stats
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
    if f.nonfinite.len() != 2 * stats.len() {
        return Err(format!(
            "`nonfinite` has {} numbers, not 2 for each of the {} layers",
            f.nonfinite.len(),
            stats.len()
        ));
    }
    let entries = BATCH_RANGE.end() * WIDTH_RANGE.end();
    let nonfinite = f
        .nonfinite
        .chunks_exact(2)
        .map(|c| {
            Ok(NonFinite {
                pre: count("nonfinite", c[0], entries)? as u64,
                post: count("nonfinite", c[1], entries)? as u64,
            })
        })
        .collect::<Decoded<Vec<_>>>()?;
    let samples_from = count("from", f.from, stats.len())?;
    let stats_len = stats.len();
    if samples_from + f.samples.len() != stats.len() {
        return Err(format!(
            "samples of layers {}..{} do not match the {} layers of stats",
            samples_from + 1,
            samples_from + f.samples.len(),
            stats.len()
        ));
    }
    Ok(Result {
        gen,
        delta: Delta {
            progress: f.progress,
            phase,
            backward_reached,
            backward_skipped: f.skipped,
            stats,
            nonfinite,
            samples_from,
            samples: f.samples,
        },
        corr: f.corr,
        corr_done: f.corr_done,
        reused: count("reused", f.reused, stats_len)?,
        shards: match count("shards", f.shards, lab_core::sim::MAX_SHARDS)? {
            0 => return Err("`shards` is 0".to_string()),
            n => n,
        },
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

/// (gen, bundle) of a theory message; Err if malformed.
pub fn read_theory(message: &JsValue) -> Decoded<(u64, TheoryBundle)> {
    decode_theory(
        get_number(message, "gen")?,
        &get_f64_array(message, "data")?,
    )
}

/// (gen, bundle) of a theory message from its fields.
pub fn decode_theory(gen: f64, data: &[f64]) -> Decoded<(u64, TheoryBundle)> {
    let gen = generation(gen)?;
    let bundle = codec::decode(data).ok_or("`data` is not exactly one theory bundle")?;
    Ok((gen, bundle))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            ..ProptestConfig::default()
        }
    }

    fn any_phase() -> impl Strategy<Value = RunPhase> {
        prop_oneof![
            Just(RunPhase::Forward),
            Just(RunPhase::Backward),
            Just(RunPhase::Done)
        ]
    }

    /// A well-formed result with arbitrary statistics (every f64 bit pattern).
    fn any_result() -> impl Strategy<Value = Result> {
        (
            0..=1u64 << 53,
            0.0..=1.0f64,
            any_phase(),
            0..=*DEPTH_RANGE.end() + 1,
            proptest::option::of(".{0,12}"),
            proptest::collection::vec(proptest::num::f64::ANY, 0..6 * STATS_FIELDS),
            proptest::collection::vec(proptest::num::f64::ANY, 0..5),
            any::<bool>(),
        )
            .prop_flat_map(
                |(gen, progress, phase, reached, skipped, flat, corr, done)| {
                    let layers = flat.len() / STATS_FIELDS;
                    (0..=layers).prop_flat_map(move |from| {
                        let (flat, corr, skipped) = (flat.clone(), corr.clone(), skipped.clone());
                        proptest::collection::vec(
                            proptest::collection::vec(any::<f32>(), 0..4),
                            layers - from,
                        )
                        .prop_map(move |samples| Result {
                            gen,
                            delta: Delta {
                                progress,
                                phase,
                                backward_reached: reached,
                                backward_skipped: skipped.clone(),
                                stats: flat
                                    .chunks_exact(STATS_FIELDS)
                                    .map(|c| LayerStats {
                                        pre_mean: c[0],
                                        pre_var: c[1],
                                        post_mean: c[2],
                                        post_var: c[3],
                                        grad_rms: c[4],
                                        pair_corr: c[5],
                                    })
                                    .collect(),
                                nonfinite: (0..layers)
                                    .map(|l| NonFinite {
                                        pre: l as u64,
                                        post: (layers - l) as u64 * 1000,
                                    })
                                    .collect(),
                                samples_from: from,
                                samples,
                            },
                            corr: corr.clone(),
                            corr_done: done,
                            reused: from,
                            shards: 1 + from % lab_core::sim::MAX_SHARDS,
                        })
                    })
                },
            )
    }

    fn same_bits(a: &ResultFields, b: &ResultFields) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let sample_bits = |v: &[Vec<f32>]| {
            v.iter()
                .map(|l| l.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        a.gen == b.gen
            && a.progress == b.progress
            && a.phase == b.phase
            && a.reached == b.reached
            && a.skipped == b.skipped
            && bits(&a.stats) == bits(&b.stats)
            && bits(&a.nonfinite) == bits(&b.nonfinite)
            && a.from == b.from
            && sample_bits(&a.samples) == sample_bits(&b.samples)
            && bits(&a.corr) == bits(&b.corr)
            && a.corr_done == b.corr_done
            && a.reused.to_bits() == b.reused.to_bits()
            && a.shards.to_bits() == b.shards.to_bits()
    }

    /// Any f64, with the special values and small integers (the fields' valid values) common.
    fn any_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            proptest::num::f64::ANY,
            (-3i32..2000).prop_map(f64::from),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-0.0),
            Just(1e300),
            Just(9007199254740993.0),
        ]
    }

    fn any_fields() -> impl Strategy<Value = ResultFields> {
        (
            (any_number(), any_number(), any_number(), any_number()),
            prop_oneof![
                Just("forward".to_string()),
                Just("done".to_string()),
                ".{0,10}"
            ],
            proptest::option::of(".{0,10}"),
            proptest::collection::vec(any_number(), 0..40),
            proptest::collection::vec(any_number(), 0..14),
            proptest::collection::vec(proptest::collection::vec(any::<f32>(), 0..3), 0..8),
            proptest::collection::vec(any_number(), 0..4),
            any::<bool>(),
        )
            .prop_map(
                |(
                    (gen, progress, reached, from),
                    phase,
                    skipped,
                    stats,
                    nonfinite,
                    samples,
                    corr,
                    done,
                )| {
                    ResultFields {
                        gen,
                        progress,
                        phase,
                        reached,
                        skipped,
                        stats,
                        nonfinite,
                        from,
                        samples,
                        corr,
                        corr_done: done,
                        reused: from,
                        shards: 1.0 + (from % 8.0),
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn results_survive_encoding_bit_for_bit(r in any_result()) {
            let fields = ResultFields::of(&r);
            let back = decode_result(fields.clone()).map_err(TestCaseError::fail)?;
            prop_assert!(same_bits(&ResultFields::of(&back), &fields));
        }

        #[test]
        fn arbitrary_result_fields_decode_or_fail_without_panicking(f in any_fields()) {
            if let Ok(r) = decode_result(f.clone()) {
                // Whatever is accepted is exactly what the fields say.
                prop_assert!(same_bits(&ResultFields::of(&r), &f));
                prop_assert_eq!(r.delta.samples_from + r.delta.samples.len(), r.delta.stats.len());
            }
        }

        #[test]
        fn run_requests_need_a_request_number(gen in any_number()) {
            let config = config_wire::encode(&Config::default());
            match decode_run_request(gen, &config) {
                Ok((g, c)) => prop_assert!(g as f64 == gen && c == Config::default()),
                Err(_) => prop_assert!(!((0.0..=EXACT_INTEGERS).contains(&gen) && gen.fract() == 0.0)),
            }
        }

        #[test]
        fn arbitrary_configurations_decode_or_fail_without_panicking(
            data in proptest::collection::vec(any_number(), 0..20)
        ) {
            if let Ok((_, c)) = decode_run_request(1.0, &data) {
                prop_assert_eq!(config_wire::encode(&c), data);
            }
        }

        #[test]
        fn arbitrary_bytes_are_no_theory(gen in any_number(), bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let data: Vec<f64> = bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            // Random data is (practically) never a bundle; the point is that it does not panic.
            let _ = decode_theory(gen, &data);
        }
    }

    #[test]
    fn malformed_results_say_why() {
        let good = ResultFields {
            gen: 3.0,
            progress: 0.5,
            phase: "forward".into(),
            reached: 11.0,
            skipped: None,
            stats: vec![0.0; 2 * STATS_FIELDS],
            nonfinite: vec![0.0, 0.0, 3.0, 7.0],
            from: 1.0,
            samples: vec![vec![1.0]],
            corr: vec![],
            corr_done: false,
            reused: 1.0,
            shards: 2.0,
        };
        assert!(decode_result(good.clone()).is_ok());
        let bad = |f: fn(&mut ResultFields)| {
            let mut fields = good.clone();
            f(&mut fields);
            decode_result(fields).expect_err("malformed")
        };
        assert!(bad(|f| f.gen = -1.0).contains("gen"));
        assert!(bad(|f| f.shards = 0.0).contains("shards"));
        assert!(bad(|f| f.shards = 9.0).contains("shards"));
        assert!(bad(|f| f.gen = 0.5).contains("gen"));
        assert!(bad(|f| f.progress = f64::NAN).contains("progress"));
        assert!(bad(|f| f.phase = "sideways".into()).contains("phase"));
        assert!(bad(|f| f.reached = 1e300).contains("reached"));
        assert!(bad(|f| f.stats.push(0.0)).contains("stats"));
        assert!(bad(|f| f.from = 3.0).contains("from"));
        assert!(bad(|f| f.nonfinite.pop().map_or((), drop)).contains("nonfinite"));
        assert!(bad(|f| f.nonfinite[1] = -1.0).contains("nonfinite"));
        assert!(bad(|f| f.nonfinite[2] = 0.5).contains("nonfinite"));
        assert!(bad(|f| f.samples.clear()).contains("samples"));
    }
}
