//! Per-layer statistics, the one-pass fused moments and the exploded/vanished classification.

use crate::kernels::KernelPath;
use crate::lanes::{F32x4, F64x2};

/// Statistics of one layer l, over all batch x width entries (f64 accumulation, two-pass
/// variance; population variance, dividing by the number of entries).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerStats {
    /// Mean of the pre-activations h^l, after the normalization if any.
    pub pre_mean: f64,
    /// Population variance of the pre-activations h^l, after the normalization if any.
    pub pre_var: f64,
    /// Mean of the post-activations x^l = phi(h^l).
    pub post_mean: f64,
    /// Population variance of the post-activations x^l.
    pub post_var: f64,
    /// Root mean square of delta^l = dL/dh^l (h^l before normalization) for L = sum(g * x^depth)
    /// with a fixed standard normal g; NaN until the backward pass reaches layer l, or when the
    /// backward pass is skipped.
    pub grad_rms: f64,
    /// Correlation of the input pairs at layer l (Poole et al. 2016, the empirical c^l): the
    /// cosine h_a.h_b / (|h_a| |h_b|) (uncentered, f64 accumulation) of the two pre-activations
    /// of each pair, same convention as `pre_mean` (after the normalization if any), averaged over
    /// the [`crate::sim::CORR_PAIRS`] pairs. NaN when a pair has non-finite values or an all-zero
    /// row (its cosine is undefined).
    pub pair_corr: f64,
}

/// Non-finite entries (inf, -inf, NaN) of one layer, out of its batch x width entries each:
/// of the pre-activations h^l (after the normalization if any) and of the post-activations x^l.
/// The layer's statistics leave them out ([`Moments`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NonFinite {
    pub pre: u64,
    pub post: u64,
}

impl NonFinite {
    pub fn any(&self) -> bool {
        self.pre > 0 || self.post > 0
    }
}

/// The first layer (1-based) with non-finite entries, and its counts. `counts[0]` is layer 1.
pub fn first_nonfinite(counts: &[NonFinite]) -> Option<(usize, NonFinite)> {
    counts
        .iter()
        .position(NonFinite::any)
        .map(|i| (i + 1, counts[i]))
}

impl LayerStats {
    /// Second moment mean^2 + var of the post-activations.
    pub fn post_second_moment(&self) -> f64 {
        self.post_mean * self.post_mean + self.post_var
    }

    /// Second moment mean^2 + var of the pre-activations.
    pub fn pre_second_moment(&self) -> f64 {
        self.pre_mean * self.pre_mean + self.pre_var
    }
}

/// Whether a signal (forward activations or backward gradients) stayed in a usable range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Signal {
    Healthy,
    /// First layer (1-based) where the second moment is non-finite or above [`EXPLODED_ABOVE`].
    Exploded {
        layer: usize,
    },
    /// First layer (1-based) where the second moment is below [`VANISHED_BELOW`] (including 0).
    Vanished {
        layer: usize,
    },
}

/// A second moment above this counts as exploded (f32 overflows near 3.4e38).
pub const EXPLODED_ABOVE: f64 = 1e30;
/// A second moment below this counts as vanished.
pub const VANISHED_BELOW: f64 = 1e-30;

/// Classifies one second moment: Some(exploded?) when out of range, None when healthy.
fn out_of_range(second_moment: f64) -> Option<bool> {
    if !(second_moment.is_finite() && second_moment <= EXPLODED_ABOVE) {
        Some(true)
    } else if second_moment < VANISHED_BELOW {
        Some(false)
    } else {
        None
    }
}

/// The first (layer, second moment) pair, in the order given, that is out of range.
pub fn classify(moments: impl IntoIterator<Item = (usize, f64)>) -> Signal {
    for (layer, moment) in moments {
        match out_of_range(moment) {
            Some(true) => return Signal::Exploded { layer },
            Some(false) => return Signal::Vanished { layer },
            None => {}
        }
    }
    Signal::Healthy
}

/// Exploded or vanished forward signal: the first layer whose post-activation second moment
/// mean^2 + var is non-finite or above [`EXPLODED_ABOVE`] (exploded) or below
/// [`VANISHED_BELOW`] (vanished). `stats[0]` is layer 1.
pub fn forward_signal(stats: &[LayerStats]) -> Signal {
    classify(
        stats
            .iter()
            .enumerate()
            .map(|(i, s)| (i + 1, s.post_second_moment())),
    )
}

/// Exploded or vanished backward signal, from the last layer toward layer 1: the first layer
/// going backward whose grad_rms^2 is non-finite or above [`EXPLODED_ABOVE`], or below
/// [`VANISHED_BELOW`]. Only layers from `reached` (the lowest layer the backward pass has
/// reached) to `depth` count: healthy while no gradient is known.
pub fn backward_signal(stats: &[LayerStats], depth: usize, reached: usize) -> Signal {
    let depth = stats.len().min(depth);
    classify(
        (reached.max(1)..=depth)
            .rev()
            .map(|l| (l, stats[l - 1].grad_rms.powi(2))),
    )
}

/// Mean and population variance of `values` in f64, two-pass (mean first, then the mean squared
/// deviation) to avoid the cancellation of E[x^2] - E[x]^2. Empty input gives (NaN, NaN).
pub fn mean_var(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var)
}

/// One-pass mean and variance of f32 values, accumulated in f64 about a fixed pivot K:
/// S1 = sum (v - K), S2 = sum (v - K)^2, mean = K + S1 / n, var = (S2 - S1^2 / n) / n. Shifting by a
/// value K of the data (the first one) keeps the cancellation of S2 - S1^2/n to a factor
/// 1 + (K - mean)^2 / var of the f64 rounding, instead of 1 + mean^2 / var without the shift
/// (Chan, Golub & LeVeque 1983, "Algorithms for computing the sample variance", section 3).
///
/// Values arrive by rows ([`Moments::push_row`]): each row is summed in a fixed order that
/// depends only on its length and the [`KernelPath`], and the row totals are added to the running
/// sums in row order, so the result does not depend on how rows are grouped into calls.
///
/// Non-finite values (inf, -inf, NaN) are counted ([`Moments::nonfinite`]) and left out: the
/// mean and variance are those of the finite values, so one overflowed entry does not turn its
/// layer into NaN. A row with none is summed as above; a row with some is summed again, in
/// increasing index, over its finite values. When every value is non-finite, the mean is their
/// sum over the count (inf, -inf or NaN) and the variance NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pivot: f64,
    /// Finite values added.
    count: u64,
    sum: f64,
    sum2: f64,
    /// Non-finite values added, and their sum.
    nonfinite: u64,
    nonfinite_sum: f64,
}

impl Moments {
    /// Empty sums about `pivot`; a non-finite pivot is replaced by 0.
    pub fn new(pivot: f32) -> Self {
        let pivot = if pivot.is_finite() {
            f64::from(pivot)
        } else {
            0.0
        };
        Moments {
            pivot,
            count: 0,
            sum: 0.0,
            sum2: 0.0,
            nonfinite: 0,
            nonfinite_sum: 0.0,
        }
    }

    /// Adds one row. Scalar: v in increasing index. Simd (and Relaxed, the same): two f64x2 accumulators for each of S1
    /// and S2 take v[4m], v[4m + 1] and v[4m + 2], v[4m + 3], are combined as
    /// ((a0 + a1) + (b0 + b1)), then the last len mod 4 values follow in increasing index.
    /// A row with a non-finite value (then S2 is not finite: finite f32 values cannot overflow
    /// it) is summed again over its finite values only, in increasing index.
    pub fn push_row(&mut self, path: KernelPath, values: &[f32]) {
        let k = self.pivot;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        let whole = match path {
            KernelPath::Scalar => 0,
            KernelPath::Simd | KernelPath::Relaxed => {
                let kv = F64x2::splat(k);
                let zero = F64x2::splat(0.0);
                let (mut lo1, mut hi1, mut lo2, mut hi2) = (zero, zero, zero, zero);
                let whole = values.len() / 4 * 4;
                for c in values[..whole].chunks_exact(4) {
                    let v = F32x4::load(c);
                    let lo = v.promote_low() - kv;
                    let hi = v.promote_high() - kv;
                    lo1 = lo1 + lo;
                    hi1 = hi1 + hi;
                    lo2 = lo2 + lo * lo;
                    hi2 = hi2 + hi * hi;
                }
                let (a1, b1, a2, b2) = (
                    lo1.to_array(),
                    hi1.to_array(),
                    lo2.to_array(),
                    hi2.to_array(),
                );
                s1 = (a1[0] + a1[1]) + (b1[0] + b1[1]);
                s2 = (a2[0] + a2[1]) + (b2[0] + b2[1]);
                whole
            }
        };
        for &v in &values[whole..] {
            let d = f64::from(v) - k;
            s1 += d;
            s2 += d * d;
        }
        if s2.is_finite() {
            self.sum += s1;
            self.sum2 += s2;
            self.count += values.len() as u64;
            return;
        }
        let (mut s1, mut s2, mut finite) = (0.0f64, 0.0f64, 0u64);
        for &v in values {
            if v.is_finite() {
                let d = f64::from(v) - k;
                s1 += d;
                s2 += d * d;
                finite += 1;
            } else {
                self.nonfinite += 1;
                self.nonfinite_sum += f64::from(v);
            }
        }
        self.sum += s1;
        self.sum2 += s2;
        self.count += finite;
    }

    /// Adds consecutive rows of `row_len` values (a trailing partial row counts as a row).
    pub fn push_rows(&mut self, path: KernelPath, values: &[f32], row_len: usize) {
        for row in values.chunks(row_len.max(1)) {
            self.push_row(path, row);
        }
    }

    /// The mean, variance and non-finite count of the values of several `Moments` (each about
    /// its own pivot), combined in the order given by the parallel formula of Chan, Golub &
    /// LeVeque (1979): with delta = mean_b - mean_a and n = n_a + n_b, mean = mean_a + delta n_b
    /// / n and M2 = M2_a + M2_b + delta^2 n_a n_b / n, where a block's M2 = S2 - S1^2 / n_b.
    /// One block gives exactly [`Moments::mean`] and [`Moments::var`]; blocks without finite
    /// values add only their non-finite count.
    pub fn combine<'a>(blocks: impl IntoIterator<Item = &'a Moments>) -> Combined {
        let (mut count, mut mean, mut m2) = (0u64, f64::NAN, f64::NAN);
        let (mut nonfinite, mut nonfinite_sum) = (0u64, 0.0f64);
        for b in blocks {
            nonfinite += b.nonfinite;
            nonfinite_sum += b.nonfinite_sum;
            if b.count == 0 {
                continue;
            }
            let n_b = b.count as f64;
            let mean_b = b.pivot + b.sum / n_b;
            let m2_b = b.sum2 - b.sum * b.sum / n_b;
            if count == 0 {
                (count, mean, m2) = (b.count, mean_b, m2_b);
                continue;
            }
            let n_a = count as f64;
            let n = n_a + n_b;
            let delta = mean_b - mean;
            mean += delta * (n_b / n);
            m2 += m2_b + delta * delta * (n_a * n_b / n);
            count += b.count;
        }
        if count == 0 && nonfinite > 0 {
            mean = nonfinite_sum / nonfinite as f64;
        }
        let var = m2 / count as f64;
        Combined {
            mean,
            // Not f64::max, which would turn NaN into 0.
            var: if var < 0.0 { 0.0 } else { var },
            count,
            nonfinite,
        }
    }

    /// The sums as six numbers (pivot, count, S1, S2, non-finite count, their sum), e.g. for a
    /// message between workers; [`Moments::from_raw`] gives them back exactly (counts below
    /// 2^53).
    pub fn to_raw(&self) -> [f64; 6] {
        [
            self.pivot,
            self.count as f64,
            self.sum,
            self.sum2,
            self.nonfinite as f64,
            self.nonfinite_sum,
        ]
    }

    /// The sums written by [`Moments::to_raw`].
    pub fn from_raw(raw: [f64; 6]) -> Self {
        Moments {
            pivot: raw[0],
            count: raw[1] as u64,
            sum: raw[2],
            sum2: raw[3],
            nonfinite: raw[4] as u64,
            nonfinite_sum: raw[5],
        }
    }

    /// Number of finite values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of non-finite values added (left out of the mean and the variance).
    pub fn nonfinite(&self) -> u64 {
        self.nonfinite
    }

    /// Mean of the finite values (NaN when empty; see the type for all non-finite).
    pub fn mean(&self) -> f64 {
        if self.count == 0 && self.nonfinite > 0 {
            return self.nonfinite_sum / self.nonfinite as f64;
        }
        self.pivot + self.sum / self.count as f64
    }

    /// Population variance of the finite values (NaN when there are none; rounding never
    /// makes it negative).
    pub fn var(&self) -> f64 {
        let n = self.count as f64;
        let var = (self.sum2 - self.sum * self.sum / n) / n;
        // Not f64::max, which would turn NaN into 0.
        if var < 0.0 {
            0.0
        } else {
            var
        }
    }
}

/// The combination of several [`Moments`] ([`Moments::combine`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Combined {
    /// Mean of the finite values (see [`Moments::mean`] when there are none).
    pub mean: f64,
    /// Population variance of the finite values (NaN when there are none).
    pub var: f64,
    /// Finite values.
    pub count: u64,
    /// Non-finite values.
    pub nonfinite: u64,
}

/// The first finite value (0 when there is none): the pivot for [`Moments`].
pub fn first_finite(values: &[f32]) -> f32 {
    values
        .iter()
        .copied()
        .find(|v| v.is_finite())
        .unwrap_or(0.0)
}

/// Mean and population variance of `values` in one pass ([`Moments`] with the first finite
/// value as pivot, one row). Empty input gives (NaN, NaN).
pub fn moments(path: KernelPath, values: &[f32]) -> (f64, f64) {
    let mut m = Moments::new(first_finite(values));
    m.push_row(path, values);
    if m.count() + m.nonfinite() == 0 {
        return (f64::NAN, f64::NAN);
    }
    (m.mean(), m.var())
}
