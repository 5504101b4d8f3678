//! A flat f64 encoding of the theory's results, so the worker can post them as one
//! Float64Array. Pure Rust, tested natively: decoding what was encoded gives back the same bits.
//!
//! Layout: numbers as themselves; usize and bool as f64; Option as 0 or 1 then the value;
//! Vec and String as a length then the items (a String's items are its chars as code points);
//! enums as a tag then their fields; structs as their fields in declaration order.

use crate::engine::train_job::TrainUpdate;
use crate::engine::TheoryBundle;
use lab_core::sim::{Exchange, ExchangeKind, LayerPart, ShardReport};
use lab_core::stats::Moments;
use lab_core::theory::{LayerFixedPoint, MapArrows, PhaseGrid, TheorySummary};
use lab_core::theory::{LengthFixedPoint, MeanField, Phase, Prediction};
use lab_core::train::{DecisionMap, Evaluation, LayerProbe};
use std::rc::Rc;

pub struct Reader<'a> {
    data: &'a [f64],
    pos: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Option<f64> {
        let v = self.data.get(self.pos).copied();
        self.pos += 1;
        v
    }
    /// A tag (bool, enum variant): a small whole number written as itself; -0.0 is not 0 here,
    /// since the encoder never writes it (a decoded value must re-encode to the same bits).
    fn tag(&mut self) -> Option<f64> {
        self.next().filter(|v| v.is_sign_positive())
    }
    /// A count or index: a non-negative integer no larger than what is left to read (a
    /// corrupted length must not make the decoder allocate without bound).
    fn len(&mut self) -> Option<usize> {
        let v = self.next()?;
        let left = self.data.len().saturating_sub(self.pos);
        (v.is_sign_positive() && v.fract() == 0.0 && v <= left as f64).then_some(v as usize)
    }
}

pub trait Flat: Sized {
    fn put(&self, out: &mut Vec<f64>);
    fn take(r: &mut Reader) -> Option<Self>;
}

pub fn encode<T: Flat>(value: &T) -> Vec<f64> {
    let mut out = Vec::new();
    value.put(&mut out);
    out
}

/// The value encoded in `data`; None unless `data` holds exactly one well-formed value.
pub fn decode<T: Flat>(data: &[f64]) -> Option<T> {
    let mut r = Reader { data, pos: 0 };
    let v = T::take(&mut r)?;
    (r.pos == data.len()).then_some(v)
}

impl Flat for f64 {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        r.next()
    }
}

impl Flat for f32 {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(f64::from(*self));
    }
    fn take(r: &mut Reader) -> Option<Self> {
        // Only what an f32 can be: the decoded value must re-encode to the same bits.
        r.next()
            .filter(|v| f64::from(*v as f32).to_bits() == v.to_bits())
            .map(|v| v as f32)
    }
}

impl Flat for usize {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(*self as f64);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        r.next()
            .filter(|v| v.is_sign_positive() && v.fract() == 0.0 && *v <= u32::MAX as f64)
            .map(|v| v as usize)
    }
}

impl Flat for bool {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(if *self { 1.0 } else { 0.0 });
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.tag()? {
            0.0 => Some(false),
            1.0 => Some(true),
            _ => None,
        }
    }
}

impl<T: Flat> Flat for Option<T> {
    fn put(&self, out: &mut Vec<f64>) {
        self.is_some().put(out);
        if let Some(v) = self {
            v.put(out);
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        if bool::take(r)? {
            Some(Some(T::take(r)?))
        } else {
            Some(None)
        }
    }
}

impl<T: Flat> Flat for Vec<T> {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(self.len() as f64);
        for v in self {
            v.put(out);
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.len()?;
        (0..n).map(|_| T::take(r)).collect()
    }
}

impl<T: Flat> Flat for Rc<T> {
    fn put(&self, out: &mut Vec<f64>) {
        (**self).put(out);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        T::take(r).map(Rc::new)
    }
}

impl Flat for String {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(self.chars().count() as f64);
        out.extend(self.chars().map(|c| f64::from(u32::from(c))));
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.len()?;
        (0..n)
            .map(|_| char::from_u32(r.len_free()? as u32))
            .collect()
    }
}

impl Reader<'_> {
    /// A non-negative integer below 2^32 (a code point).
    fn len_free(&mut self) -> Option<f64> {
        self.next()
            .filter(|v| v.is_sign_positive() && v.fract() == 0.0 && *v < 4294967296.0)
    }
}

macro_rules! flat_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Flat),+> Flat for ($($t,)+) {
            fn put(&self, out: &mut Vec<f64>) {
                $(self.$i.put(out);)+
            }
            fn take(r: &mut Reader) -> Option<Self> {
                Some(($($t::take(r)?,)+))
            }
        }
    };
}
flat_tuple!(A 0, B 1);
flat_tuple!(A 0, B 1, C 2);
flat_tuple!(A 0, B 1, C 2, D 3);

/// Structs: fields in order.
macro_rules! flat_struct {
    ($name:ident { $($field:ident),+ }) => {
        impl Flat for $name {
            fn put(&self, out: &mut Vec<f64>) {
                $(self.$field.put(out);)+
            }
            fn take(r: &mut Reader) -> Option<Self> {
                Some($name { $($field: Flat::take(r)?),+ })
            }
        }
    };
}

impl Flat for LengthFixedPoint {
    fn put(&self, out: &mut Vec<f64>) {
        match self {
            LengthFixedPoint::Finite(q) => out.extend([0.0, *q]),
            LengthFixedPoint::Collapses => out.push(1.0),
            LengthFixedPoint::Diverges => out.push(2.0),
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.tag()? {
            0.0 => Some(LengthFixedPoint::Finite(r.next()?)),
            1.0 => Some(LengthFixedPoint::Collapses),
            2.0 => Some(LengthFixedPoint::Diverges),
            _ => None,
        }
    }
}

impl Flat for Phase {
    fn put(&self, out: &mut Vec<f64>) {
        out.push(match self {
            Phase::Ordered => 0.0,
            Phase::Critical => 1.0,
            Phase::Chaotic => 2.0,
        });
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.tag()? {
            0.0 => Some(Phase::Ordered),
            1.0 => Some(Phase::Critical),
            2.0 => Some(Phase::Chaotic),
            _ => None,
        }
    }
}

impl Flat for [(f64, f64); 2] {
    fn put(&self, out: &mut Vec<f64>) {
        self[0].put(out);
        self[1].put(out);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some([Flat::take(r)?, Flat::take(r)?])
    }
}

flat_struct!(MeanField {
    q_star,
    length,
    chi1,
    xi_q,
    xi_c,
    c_star,
    phase,
    q_first,
    neutral,
    every_q_fixed,
    every_c_fixed
});
flat_struct!(Prediction {
    q,
    post_mean,
    post_var
});
flat_struct!(TheorySummary {
    sigma_w2,
    sigma_b2,
    mean_field,
    layers,
    caveat,
    classic
});
flat_struct!(PhaseGrid {
    sw,
    sb,
    chi1,
    q_star
});
flat_struct!(MapArrows {
    arrows,
    fixed_point,
    from_lowest,
    from_highest
});
flat_struct!(LayerFixedPoint {
    mean,
    var,
    eigenvalues,
    stable,
    neutral
});
flat_struct!(TheoryBundle {
    theory,
    phase,
    current,
    map
});

flat_struct!(LayerProbe {
    post_mean,
    post_var,
    grad_rms,
    omega_mean,
    omega_std,
    tau_mean,
    tau_std,
    inside_box
});
flat_struct!(Evaluation {
    step,
    train_loss,
    train_acc,
    test_loss,
    test_acc,
    layers
});
flat_struct!(DecisionMap { step, x1, x2, p1 });
flat_struct!(TrainUpdate {
    gen,
    run,
    step,
    train_size,
    done,
    diverged_at,
    loss_from,
    batch_loss,
    evals_from,
    evals,
    decision
});

/// The raw sums ([`Moments::to_raw`]), exactly.
impl Flat for Moments {
    fn put(&self, out: &mut Vec<f64>) {
        out.extend(self.to_raw());
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let mut raw = [0.0; 6];
        for v in &mut raw {
            *v = r.next()?;
        }
        Some(Moments::from_raw(raw))
    }
}

impl Flat for ExchangeKind {
    fn put(&self, out: &mut Vec<f64>) {
        let all = [
            ExchangeKind::ColumnSums,
            ExchangeKind::ColumnDeviations,
            ExchangeKind::BackwardSums,
        ];
        out.push(all.iter().position(|k| k == self).unwrap_or(0) as f64);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.tag()? {
            0.0 => Some(ExchangeKind::ColumnSums),
            1.0 => Some(ExchangeKind::ColumnDeviations),
            2.0 => Some(ExchangeKind::BackwardSums),
            _ => None,
        }
    }
}

flat_struct!(Exchange {
    layer,
    kind,
    blocks
});
flat_struct!(LayerPart {
    pre,
    post,
    grad_sum2
});
flat_struct!(ShardReport {
    progress,
    forward_done,
    done,
    backward_reached,
    parts_from,
    parts,
    samples,
    grads_from,
    grads,
    exchange
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    /// A shard's reports (partials, samples, an exchange, NaN and infinite values of an
    /// exploding network) survive the trip bit for bit; a cut encoding is no report.
    #[test]
    fn shard_reports_survive_the_trip_bit_for_bit() {
        use lab_core::sim::{RemoteShard, Simulation};
        for query in [
            "norm=batch&depth=3&width=5&batch=70",
            "gain=40&depth=30&width=8&batch=80",
        ] {
            let (params, _) = Params::from_query(query);
            let config = params.config;
            let mut shard = RemoteShard::new(Simulation::new(config).unwrap(), 32..64);
            let mut exchanges = 0;
            loop {
                let waits = shard.step(5e3);
                let report = shard.report();
                exchanges += usize::from(report.exchange.is_some());
                let flat = encode(&report);
                let back: ShardReport = decode(&flat).expect(query);
                let again = encode(&back);
                assert!(
                    flat.len() == again.len()
                        && flat
                            .iter()
                            .zip(&again)
                            .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{query}"
                );
                assert!(decode::<ShardReport>(&flat[..flat.len() - 1]).is_none());
                if let Some(e) = &report.exchange {
                    let sums = lab_core::sim::fold_blocks(e.blocks.iter().map(Vec::as_slice));
                    shard.resume(&sums);
                } else if waits && shard.is_done() {
                    break;
                }
            }
            assert_eq!(
                exchanges > 0,
                config.norm == lab_core::Normalization::Batch,
                "{query}"
            );
        }
    }

    #[test]
    fn every_bundle_survives_the_trip_bit_for_bit() {
        for query in [
            "",
            "act=relu&init=he_normal",
            "act=tanh&gain=2&sb=0.3",
            "act=elu&norm=batch",
            "act=gelu&init=orthogonal&depth=7",
            "act=linear&gain=1.5",
            "act=sigmoid&depth=1",
        ] {
            let (params, _) = Params::from_query(query);
            let config = params.config;
            let bundle = TheoryBundle::of(&config);
            let flat = encode(&bundle);
            let back: TheoryBundle = decode(&flat).expect(query);
            // NaN != NaN, so compare the encodings (every f64 bit pattern is kept).
            let again = encode(&back);
            assert_eq!(flat.len(), again.len(), "{query}");
            assert!(
                flat.iter()
                    .zip(&again)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{query}"
            );
            assert_eq!(back.theory.caveat, bundle.theory.caveat);
        }
    }

    #[test]
    fn truncated_or_corrupted_data_is_rejected() {
        let (params, _) = Params::from_query("act=selu");
        let flat = encode(&TheoryBundle::of(&params.config));
        assert!(decode::<TheoryBundle>(&flat[..flat.len() - 1]).is_none());
        let mut longer = flat.clone();
        longer.push(0.0);
        assert!(decode::<TheoryBundle>(&longer).is_none());
        // A length far beyond the data must not allocate or panic.
        assert!(decode::<Vec<f64>>(&[1e300]).is_none());
        assert!(decode::<Vec<f64>>(&[-1.0]).is_none());
        assert!(
            decode::<String>(&[1.0, 55296.0]).is_none(),
            "a lone surrogate is no char"
        );
        assert_eq!(
            decode::<String>(&[2.0, 955.0, 8320.0]).as_deref(),
            Some("λ₀")
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;
        use std::sync::OnceLock;

        /// One well-formed bundle's encoding (computed once: the phase grid takes a while).
        fn valid() -> &'static [f64] {
            static FLAT: OnceLock<Vec<f64>> = OnceLock::new();
            FLAT.get_or_init(|| {
                let (params, _) = Params::from_query("act=tanh&norm=batch&depth=4");
                encode(&TheoryBundle::of(&params.config))
            })
        }

        /// Any f64, with the values that steer the decoder (tags, flags, small lengths) common.
        fn any_number() -> impl Strategy<Value = f64> {
            prop_oneof![
                proptest::num::f64::ANY,
                (-2i32..40).prop_map(f64::from),
                Just(f64::NAN),
                Just(1e300),
                Just(0.5),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_numbers_decode_or_fail_without_panicking(
                data in proptest::collection::vec(any_number(), 0..64)
            ) {
                let _ = decode::<TheoryBundle>(&data);
                let _ = decode::<Vec<Option<String>>>(&data);
                let _ = decode::<(MeanField, Vec<Prediction>)>(&data);
                if let Some(v) = decode::<Vec<(f64, bool)>>(&data) {
                    prop_assert_eq!(encode(&v).len(), data.len());
                }
            }

            #[test]
            fn arbitrary_bytes_decode_or_fail_without_panicking(
                bytes in proptest::collection::vec(any::<u8>(), 0..512)
            ) {
                let data: Vec<f64> = bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect();
                let _ = decode::<TheoryBundle>(&data);
                let _ = decode::<String>(&data);
            }

            #[test]
            fn a_corrupted_bundle_decodes_to_what_it_says_or_fails(
                at in any::<proptest::sample::Index>(),
                value in any_number(),
                cut in any::<proptest::sample::Index>(),
            ) {
                let mut data = valid().to_vec();
                let i = at.index(data.len());
                data[i] = value;
                if let Some(back) = decode::<TheoryBundle>(&data) {
                    // Accepted only if it re-encodes to exactly the data.
                    let again = encode(&back);
                    prop_assert!(again.len() == data.len()
                        && again.iter().zip(&data).all(|(a, b)| a.to_bits() == b.to_bits()));
                }
                let whole = valid();
                let cut = &whole[..cut.index(whole.len())];
                prop_assert!(decode::<TheoryBundle>(cut).is_none(), "a cut bundle is no bundle");
            }
        }
    }
}
