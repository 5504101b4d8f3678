//! Messages of the Train section's workers (the page's own wasm, as for the simulation).
//!
//! Page -> worker: `{type: "train", gen, run, settings, data, target}` starts run `run` of
//! request `gen` with the training settings `settings` ([`SETTINGS_LEN`] numbers,
//! [`encode_settings`]), the digits file's bytes `data` (a Uint8Array, or null for the
//! generated tasks), trained up to step `target`; `{type: "train_control", gen, action}` with
//! action "play", "pause" or "step".
//! Worker -> page: `{type: "train_update", data}`, a [`TrainUpdate`] in codec.rs's encoding;
//! `{type: "train_error", gen, run, message}` when the run cannot start.
//! Decoding is strict: a malformed message is an `Err` saying why, never a panic.

use super::flat::{self, index_of, pick, single};
use super::wire::{get, get_f64_array as floats, get_number as number, set};
use crate::engine::codec;
use crate::engine::train_job::TrainUpdate;
use js_sys::{Float32Array, Float64Array, Object, Uint32Array, Uint8Array};
use lab_core::train::{Dataset, DropoutKind, OptimizerKind, Settings, Shape2d, Task};
use lab_core::{Activation, ActivationKind, Arch, Initializer, NormAt, Normalization};
use wasm_bindgen::{JsCast, JsValue};

pub type Decoded<T> = Result<T, String>;

/// Numbers in a [`Settings`] encoding.
pub const SETTINGS_LEN: usize = 27;

/// Task (0 digits, 1 two-dimensional), shape, noise, data seed, depth, width, activation,
/// slope, alpha, beta, initializer, gain, bias std, normalization, dropout, rate, optimizer,
/// lr, momentum, minibatch, steps, eval_every, seed, GroupNorm's groups, the normalization's
/// place, the architecture, the residual branch scale s (names as indices into the core's
/// lists).
/// A CSV task is not sent this way.
pub fn encode_settings(s: &Settings) -> Vec<f64> {
    let (tag, shape, noise, data_seed) = match &s.task {
        Task::TwoD {
            shape,
            noise,
            data_seed,
        } => (
            1.0,
            index_of(&Shape2d::ALL, shape),
            *noise,
            *data_seed as f64,
        ),
        Task::Csv { .. } => (2.0, 0.0, 0.0, 0.0),
        Task::Digits => (0.0, 0.0, 0.0, 0.0),
    };
    let a = &s.activation;
    vec![
        tag,
        shape,
        noise,
        data_seed,
        s.depth as f64,
        s.width as f64,
        index_of(&ActivationKind::ALL, &a.kind),
        f64::from(a.slope),
        f64::from(a.alpha),
        f64::from(a.beta),
        index_of(&Initializer::ALL, &s.init),
        s.gain,
        s.bias_std,
        index_of(&Normalization::ALL, &s.norm),
        index_of(&DropoutKind::ALL, &s.dropout),
        s.dropout_rate,
        index_of(&OptimizerKind::ALL, &s.optimizer),
        s.lr,
        s.momentum,
        s.tbatch as f64,
        s.steps as f64,
        s.eval_every as f64,
        s.seed as f64,
        s.groups as f64,
        index_of(&NormAt::ALL, &s.norm_at),
        index_of(&Arch::ALL, &s.arch),
        s.res_scale,
    ]
}

/// A whole number that fits a `usize` on every target.
fn whole(v: f64, what: &str) -> Decoded<usize> {
    flat::whole(v, u32::MAX as f64, what).map(|n| n as usize)
}

/// The settings of [`encode_settings`], validated (`Settings::validated`).
pub fn decode_settings(d: &[f64]) -> Decoded<Settings> {
    if d.len() != SETTINGS_LEN {
        return Err(format!(
            "training settings have {SETTINGS_LEN} numbers, these {}",
            d.len()
        ));
    }
    let task = match d[0] {
        0.0 if d[0].is_sign_positive() => Task::Digits,
        1.0 => Task::TwoD {
            shape: pick(&Shape2d::ALL, d[1], "shape")?,
            noise: d[2],
            data_seed: whole(d[3], "data seed")? as u64,
        },
        // The data travels beside the settings (`Start::data` for digits, `Start::csv`).
        2.0 => Task::Csv {
            name: "data.csv".into(),
            label_column: None,
        },
        v => return Err(format!("task: {v} is no task")),
    };
    let settings = Settings {
        task,
        depth: whole(d[4], "depth")?,
        width: whole(d[5], "width")?,
        activation: Activation {
            kind: pick(&ActivationKind::ALL, d[6], "activation")?,
            slope: single(d[7], "slope")?,
            alpha: single(d[8], "alpha")?,
            beta: single(d[9], "beta")?,
        },
        init: pick(&Initializer::ALL, d[10], "initializer")?,
        gain: d[11],
        bias_std: d[12],
        norm: pick(&Normalization::ALL, d[13], "normalization")?,
        dropout: pick(&DropoutKind::ALL, d[14], "dropout")?,
        dropout_rate: d[15],
        optimizer: pick(&OptimizerKind::ALL, d[16], "optimizer")?,
        lr: d[17],
        momentum: d[18],
        tbatch: whole(d[19], "minibatch")?,
        steps: whole(d[20], "steps")?,
        eval_every: whole(d[21], "eval_every")?,
        seed: whole(d[22], "seed")? as u64,
        groups: whole(d[23], "groups")?,
        norm_at: pick(&NormAt::ALL, d[24], "norm_at")?,
        arch: pick(&Arch::ALL, d[25], "arch")?,
        res_scale: d[26],
    };
    settings.validated()
}

/// A request to start run `run` of request `gen`.
pub struct Start {
    pub gen: usize,
    pub run: usize,
    pub settings: Settings,
    pub data: Option<Vec<u8>>,
    /// The user's own data set (task `Csv`), parsed on the page.
    pub csv: Option<Dataset>,
    pub target: usize,
}

pub fn start(s: &Start) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"train".into());
    set(&o, "gen", &(s.gen as f64).into());
    set(&o, "run", &(s.run as f64).into());
    let settings = Float64Array::from(encode_settings(&s.settings).as_slice());
    set(&o, "settings", &settings.into());
    let data = s
        .data
        .as_ref()
        .map_or(JsValue::NULL, |d| Uint8Array::from(d.as_slice()).into());
    set(&o, "data", &data);
    let csv = s.csv.as_ref().map_or(JsValue::NULL, |d| {
        let c = Object::new();
        set(&c, "x", &Float32Array::from(d.x.as_slice()).into());
        set(&c, "y", &Uint32Array::from(d.y.as_slice()).into());
        set(&c, "d", &(d.d as f64).into());
        set(&c, "classes", &(d.classes as f64).into());
        c.into()
    });
    set(&o, "csv", &csv);
    set(&o, "target", &(s.target as f64).into());
    o.into()
}

pub fn read_start(m: &JsValue) -> Decoded<Start> {
    let data = get(m, "data");
    let data = if data.is_null() {
        None
    } else {
        Some(
            data.dyn_into::<Uint8Array>()
                .map_err(|_| "`data` is neither null nor a Uint8Array".to_string())?
                .to_vec(),
        )
    };
    let csv = get(m, "csv");
    let csv = if csv.is_null() {
        None
    } else {
        let x = get(&csv, "x")
            .dyn_into::<Float32Array>()
            .map_err(|_| "`csv.x` is not a Float32Array".to_string())?
            .to_vec();
        let y = get(&csv, "y")
            .dyn_into::<Uint32Array>()
            .map_err(|_| "`csv.y` is not a Uint32Array".to_string())?
            .to_vec();
        Some(dataset(x, y, number(&csv, "d")?, number(&csv, "classes")?)?)
    };
    Ok(Start {
        csv,
        gen: whole(number(m, "gen")?, "gen")?,
        run: whole(number(m, "run")?, "run")?,
        settings: decode_settings(&floats(m, "settings")?)?,
        data,
        target: whole(number(m, "target")?, "target")?,
    })
}

/// A data set from its parts, checked: whole rows of `d` features, labels below `classes`.
pub fn dataset(x: Vec<f32>, y: Vec<u32>, d: f64, classes: f64) -> Decoded<Dataset> {
    let d = whole(d, "csv.d")?;
    let classes = whole(classes, "csv.classes")?;
    if d == 0 || x.len() != y.len() * d {
        return Err(format!(
            "{} values are not {} rows of {d}",
            x.len(),
            y.len()
        ));
    }
    if classes < 2 || y.iter().any(|&c| c as usize >= classes) {
        return Err(format!("labels must be classes 0..{classes}, at least two"));
    }
    Ok(Dataset {
        n: y.len(),
        d,
        classes,
        class_names: (0..classes).map(|c| c.to_string()).collect(),
        x,
        y,
    })
}

/// What the page asks of a running training.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Play,
    Pause,
    Step,
}

impl Control {
    fn name(self) -> &'static str {
        match self {
            Control::Play => "play",
            Control::Pause => "pause",
            Control::Step => "step",
        }
    }
}

pub fn control(gen: usize, action: Control) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"train_control".into());
    set(&o, "gen", &(gen as f64).into());
    set(&o, "action", &action.name().into());
    o.into()
}

pub fn read_control(m: &JsValue) -> Decoded<(usize, Control)> {
    let gen = whole(number(m, "gen")?, "gen")?;
    let action = match get(m, "action").as_string().as_deref() {
        Some("play") => Control::Play,
        Some("pause") => Control::Pause,
        Some("step") => Control::Step,
        other => return Err(format!("unknown training action {other:?}")),
    };
    Ok((gen, action))
}

pub fn update(u: &TrainUpdate) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"train_update".into());
    let data = Float64Array::from(codec::encode(u).as_slice());
    set(&o, "data", &data.into());
    o.into()
}

pub fn read_update(m: &JsValue) -> Decoded<TrainUpdate> {
    codec::decode(&floats(m, "data")?).ok_or_else(|| "malformed training update".to_string())
}

pub fn error(gen: usize, run: usize, message: &str) -> JsValue {
    let o = Object::new();
    set(&o, "type", &"train_error".into());
    set(&o, "gen", &(gen as f64).into());
    set(&o, "run", &(run as f64).into());
    set(&o, "message", &message.into());
    o.into()
}

pub fn read_error(m: &JsValue) -> Decoded<(usize, usize, String)> {
    Ok((
        whole(number(m, "gen")?, "gen")?,
        whole(number(m, "run")?, "run")?,
        get(m, "message")
            .as_string()
            .ok_or("no `message`".to_string())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn settings_round_trip_and_garbage_is_refused() {
        for q in [
            "",
            "task=gauss&noise=0.37&opt=adam&lr=0.000123&momentum=0&tbatch=7&steps=99999&eval_every=3&dropout=alpha&rate=0.5",
            "task=spiral&act=leaky_relu&slope=0.3&init=orthogonal&gain=2.5&sb=1.5&norm=layer&depth=3&width=5&seed=4294967295",
            // The file's name stays on the page (the data travels beside the settings).
            "task=csv&act=mish",
        ] {
            let (p, _) = Params::from_query(q);
            let s = crate::train::settings(&p.config, &p.train);
            assert_eq!(decode_settings(&encode_settings(&s)), Ok(s), "{q}");
        }
        let good = encode_settings(&Settings::default());
        assert!(decode_settings(&good[..22]).is_err());
        for (i, bad) in [
            (0, 3.0),
            (0, -0.0),
            (4, 0.0),
            (4, 65.0),
            (6, 0.5),
            (7, f64::NAN),
            (11, -1.0),
            (17, 2.0),
            (19, 1.5),
            (22, -3.0),
        ] {
            let mut d = good.clone();
            d[i] = bad;
            assert!(decode_settings(&d).is_err(), "field {i} = {bad}");
        }
        // A data set from its parts is checked too.
        assert!(dataset(vec![0.0; 6], vec![0, 1, 1], 2.0, 2.0).is_ok());
        assert!(
            dataset(vec![0.0; 5], vec![0, 1, 1], 2.0, 2.0).is_err(),
            "ragged"
        );
        assert!(
            dataset(vec![0.0; 6], vec![0, 2, 1], 2.0, 2.0).is_err(),
            "label 2 of 2 classes"
        );
        assert!(
            dataset(vec![0.0; 6], vec![0, 0, 0], 2.0, 1.0).is_err(),
            "one class"
        );
    }
}
