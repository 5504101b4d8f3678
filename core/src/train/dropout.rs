//! The dropout kinds of the Train lab's classifier and alpha dropout's constants (the masks
//! themselves are drawn in the forward pass, see [`crate::train::model`]). Re-exported from
//! [`crate::train::model`].

use crate::activation::{SELU_ALPHA, SELU_LAMBDA};

/// Which dropout follows each hidden activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropoutKind {
    None,
    /// Inverted dropout: kept values scaled by 1/(1 - q), dropped ones 0.
    Standard,
    /// Alpha dropout of self-normalizing networks (keeps mean 0 and variance 1).
    Alpha,
}

impl DropoutKind {
    pub const ALL: [DropoutKind; 3] =
        [DropoutKind::None, DropoutKind::Standard, DropoutKind::Alpha];

    /// Stable name ("none", "standard", "alpha").
    pub fn name(self) -> &'static str {
        match self {
            DropoutKind::None => "none",
            DropoutKind::Standard => "standard",
            DropoutKind::Alpha => "alpha",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// alpha' = -lambda alpha of SELU, the value a dropped unit takes in alpha dropout (SELU's
/// limit for x -> -infinity).
pub const ALPHA_PRIME: f64 = -SELU_LAMBDA * SELU_ALPHA;

/// Alpha dropout's affine correction (A, B) for drop rate q:
/// A = ((1 - q)(1 + q alpha'^2))^(-1/2), B = -A q alpha'.
///
/// Derivation: with keep indicator d ~ Bernoulli(1 - q) and an input of mean 0 and variance 1,
/// y = d x + (1 - d) alpha' has mean q alpha' and variance (1 - q) + q(1 - q) alpha'^2 =
/// (1 - q)(1 + q alpha'^2); A y + B has mean 0 and variance 1 exactly for these A and B. (The
/// SNN paper writes the keep probability as q: a = (q + alpha'^2 q (1 - q))^(-1/2),
/// b = -a (1 - q) alpha', the same formulas.)
pub fn alpha_dropout_constants(q: f64) -> (f64, f64) {
    let a = ((1.0 - q) * (1.0 + q * ALPHA_PRIME * ALPHA_PRIME)).powf(-0.5);
    (a, -a * q * ALPHA_PRIME)
}
