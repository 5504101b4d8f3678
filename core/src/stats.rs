//! Per-layer statistics and the exploded/vanished classification.

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
