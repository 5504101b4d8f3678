//! The ziggurat method for standard normal values (Marsaglia & Tsang, "The ziggurat method for
//! generating random variables", Journal of Statistical Software 5(8), 2000), with 256 layers,
//! f64 arithmetic and 64-bit draws, as [`crate::rng::Rng::normal`] uses it.
//!
//! The area under f(x) = exp(-x^2 / 2) for x >= 0 is covered by 255 horizontal rectangles and a
//! base strip (the rectangle [0, R] x [0, f(R)] plus the tail beyond R), all of area V. Layer i
//! has the right edge x_i and the height f(x_i) at its top: x_1 = R, x_0 = V / f(R) (the base
//! strip's width were it a rectangle), x_(i+1) = f^-1(V / x_i + f(x_i)), x_256 = 0.
//! R = 3.6541528853610088 (3.654_152_885_361_009 as the nearest f64) and V = 0.00492867323399 are Marsaglia & Tsang's constants for 256
//! layers (V is the area per layer of f itself, not of the normal density).
//!
//! One draw: a 64-bit output gives the layer i (its low 8 bits) and a signed uniform u in
//! (-1, 1) (its top 53 bits: 52 for the magnitude and one for the sign); x = u x_i. If
//! |x| < x_(i+1), x lies inside the part of the layer under the curve and is returned (about
//! 99% of draws: one generator output, one multiply, one compare). Otherwise layer 0 samples
//! the tail beyond R by Marsaglia's method (-ln(u1) / R against -2 ln(u2)), and the other layers
//! accept x when a uniform height in [f(x_i), f(x_(i+1))] falls under f(x), or start over. The
//! result is exactly N(0, 1) up to f64 rounding; `core/tests/init.rs` checks moments, tail
//! frequencies and a Kolmogorov-Smirnov distance against the normal CDF.

use crate::rng::Rng;
use std::sync::OnceLock;

/// Layers.
const N: usize = 256;
/// The right edge of the base strip's rectangle, where the tail starts.
pub(crate) const R: f64 = 3.654_152_885_361_009;
/// The area of each layer under exp(-x^2 / 2).
const V: f64 = 0.004_928_673_233_99;

/// The layer edges x_0..x_256 and f(x_i).
pub(crate) struct Tables {
    pub(crate) x: [f64; N + 1],
    pub(crate) f: [f64; N + 1],
}

fn f(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

/// The tables, computed once.
pub(crate) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; N + 1];
        x[0] = V / f(R);
        x[1] = R;
        for i in 1..N - 1 {
            x[i + 1] = (-2.0 * (V / x[i] + f(x[i])).ln()).sqrt();
        }
        x[N] = 0.0;
        let mut fx = [0.0; N + 1];
        for (fi, &xi) in fx.iter_mut().zip(&x) {
            *fi = f(xi);
        }
        Tables { x, f: fx }
    })
}

/// A signed uniform in (-1, 1) from the top 53 bits of `bits`: bit 63 the sign, bits 11..63 a
/// magnitude in [0, 1) (52 bits).
#[inline(always)]
fn signed_uniform(bits: u64) -> f64 {
    let magnitude = ((bits >> 11) & ((1 << 52) - 1)) as f64 * (1.0 / (1u64 << 52) as f64);
    f64::from_bits(magnitude.to_bits() | (bits & (1 << 63)))
}

/// One N(0, 1) value from `rng` with the tables `t`.
#[inline(always)]
pub(crate) fn normal(t: &Tables, rng: &mut Rng) -> f64 {
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xff) as usize;
        let x = signed_uniform(bits) * t.x[i];
        if x.abs() < t.x[i + 1] {
            return x;
        }
        if i == 0 {
            // The tail beyond R (Marsaglia 1964): x = -ln(u1) / R until -2 ln(u2) > x^2.
            loop {
                let tx = -rng.uniform_open0().ln() / R;
                let ty = -rng.uniform_open0().ln();
                if 2.0 * ty > tx * tx {
                    return if x < 0.0 { -(R + tx) } else { R + tx };
                }
            }
        }
        // The wedge between the rectangle of layer i + 1 and the curve.
        let height = t.f[i] + rng.uniform_open0() * (t.f[i + 1] - t.f[i]);
        if height < f(x) {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every layer has the area V: the base strip R f(R) plus the tail integral beyond R (by
    /// Simpson on [R, R + 20]), and each layer i >= 1 x_i (f(x_(i+1)) - f(x_i)); the last layer
    /// ends at x = 0 with the height 1.
    #[test]
    fn the_layers_have_equal_areas() {
        let t = tables();
        let n = 20_000;
        let h = 20.0 / n as f64;
        let inner: f64 = (1..n)
            .map(|k| f(R + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        let tail = (f(R) + f(R + 20.0) + inner) * h / 3.0;
        let base = R * f(R) + tail;
        assert!((base - V).abs() < 1e-9, "base {base} vs {V}");
        for i in 1..N - 1 {
            let area = t.x[i] * (t.f[i + 1] - t.f[i]);
            assert!((area - V).abs() < 1e-9, "layer {i}: {area}");
        }
        // The last layer: x_255 (1 - f(x_255)) is V up to the accumulated rounding.
        let last = t.x[N - 1] * (1.0 - t.f[N - 1]);
        assert!((last - V).abs() < 1e-6, "last layer {last}");
        assert_eq!(t.x[N], 0.0);
        assert!(t.x.windows(2).skip(1).all(|w| w[0] > w[1]));
    }
}
