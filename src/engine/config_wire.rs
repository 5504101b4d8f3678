//! A [`Config`] as a flat list of numbers, for the run request the page posts to the worker:
//! the worker receives the typed, validated configuration, never a query string to parse again.
//! Strict: anything that is not exactly what [`encode`] writes is an error, never a panic.
//!
//! Layout (21 numbers): activation (index into `ActivationKind::ALL`), slope, alpha, beta,
//! initializer (index into `Initializer::ALL`), gain, bias_std, depth, width, batch,
//! input_mean, input_std, normalization (index into `Normalization::ALL`), input_corr, seed,
//! kernels (index into `KernelPath::ALL`), GroupNorm's groups, the normalization's place (index
//! into `NormAt::ALL`), the architecture (index into `Arch::ALL`), the residual branch scale, its rule (index into `ResScaleRule::ALL`).

use super::flat::{index_of, pick, single as real, whole};
use lab_core::{
    Activation, ActivationKind, Arch, Config, Initializer, KernelPath, NormAt, Normalization,
    ResScaleRule,
};

pub const LEN: usize = 21;

pub fn encode(c: &Config) -> Vec<f64> {
    let a = &c.activation;
    vec![
        index_of(ActivationKind::ALL.as_ref(), &a.kind),
        f64::from(a.slope),
        f64::from(a.alpha),
        f64::from(a.beta),
        index_of(Initializer::ALL.as_ref(), &c.init),
        f64::from(c.gain),
        f64::from(c.bias_std),
        c.depth as f64,
        c.width as f64,
        c.batch as f64,
        f64::from(c.input_mean),
        f64::from(c.input_std),
        index_of(Normalization::ALL.as_ref(), &c.norm),
        f64::from(c.input_corr),
        c.seed as f64,
        index_of(KernelPath::ALL.as_ref(), &c.kernels),
        c.groups as f64,
        index_of(NormAt::ALL.as_ref(), &c.norm_at),
        index_of(Arch::ALL.as_ref(), &c.arch),
        f64::from(c.res_scale),
        index_of(ResScaleRule::ALL.as_ref(), &c.res_scale_rule),
    ]
}

pub fn decode(data: &[f64]) -> Result<Config, String> {
    if data.len() != LEN {
        return Err(format!(
            "a configuration has {LEN} numbers, this one {}",
            data.len()
        ));
    }
    let size = |v: f64, r: &std::ops::RangeInclusive<usize>, what: &str| -> Result<usize, String> {
        let n = whole(v, *r.end() as f64, what)? as usize;
        if r.contains(&n) {
            Ok(n)
        } else {
            Err(format!(
                "{what}: {n} is outside [{}, {}]",
                r.start(),
                r.end()
            ))
        }
    };
    let config = Config {
        activation: Activation {
            kind: pick(ActivationKind::ALL.as_ref(), data[0], "activation")?,
            slope: real(data[1], "slope")?,
            alpha: real(data[2], "alpha")?,
            beta: real(data[3], "beta")?,
        },
        init: pick(Initializer::ALL.as_ref(), data[4], "initializer")?,
        gain: real(data[5], "gain")?,
        bias_std: real(data[6], "bias_std")?,
        depth: size(data[7], &lab_core::DEPTH_RANGE, "depth")?,
        width: size(data[8], &lab_core::WIDTH_RANGE, "width")?,
        batch: size(data[9], &lab_core::BATCH_RANGE, "batch")?,
        input_mean: real(data[10], "input_mean")?,
        input_std: real(data[11], "input_std")?,
        norm: pick(Normalization::ALL.as_ref(), data[12], "normalization")?,
        input_corr: real(data[13], "input_corr")?,
        seed: whole(data[14], 9_007_199_254_740_992.0, "seed")?,
        kernels: pick(KernelPath::ALL.as_ref(), data[15], "kernels")?,
        groups: size(data[16], &lab_core::config::GROUPS_RANGE, "groups")?,
        norm_at: pick(NormAt::ALL.as_ref(), data[17], "norm_at")?,
        arch: pick(Arch::ALL.as_ref(), data[18], "arch")?,
        res_scale: real(data[19], "res_scale")?,
        res_scale_rule: pick(ResScaleRule::ALL.as_ref(), data[20], "res_scale_rule")?,
    };
    config.validated().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn every_preset_and_edge_round_trips() {
        for q in [
            "",
            "act=leaky_relu&slope=0.2&init=orthogonal&depth=1000&width=2&batch=4096",
            "act=silu&beta=7.5&norm=layer&in_mean=-3.25&c0=-1&seed=4294967295&kernels=scalar",
            "act=gelu&kernels=relaxed",
        ] {
            let (p, _) = Params::from_query(q);
            let back = decode(&encode(&p.config)).unwrap();
            assert_eq!(back, p.config, "{q}");
        }
    }

    #[test]
    fn malformed_requests_are_errors() {
        let good = encode(&Config::default());
        assert!(decode(&good[..15]).is_err());
        for (i, bad) in [
            (0, 99.0),
            (0, 0.5),
            (1, f64::NAN),
            (5, 0.1),
            (7, 0.0),
            (8, 1e9),
            (9, -1.0),
            (14, 1e300),
            (15, KernelPath::ALL.len() as f64),
        ] {
            let mut d = good.clone();
            d[i] = bad;
            assert!(decode(&d).is_err(), "field {i} = {bad}");
        }
    }
}
