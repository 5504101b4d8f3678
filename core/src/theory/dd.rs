//! Double-double arithmetic (a value hi + lo with |lo| <= ulp(hi)/2, about 32 significant
//! digits; Dekker 1971, Hida, Li & Bailey 2001), just enough to evaluate SELU's constants to far
//! beyond a double's precision and round them correctly: +, -, *, /, sqrt, exp and
//! e^(y^2) erfc(y).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// hi + lo, normalized so that hi = fl(hi + lo): [`Dd::to_f64`] is hi, the correctly rounded
/// double of the pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dd {
    pub hi: f64,
    pub lo: f64,
}

/// s + e = a + b exactly (Knuth's two-sum).
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// s + e = a + b exactly, for |a| >= |b|.
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// p + e = a b exactly (the fused multiply-add gives the rounding error).
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    pub const fn new(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }

    /// pi to about 32 digits.
    pub const PI: Dd = Dd {
        hi: std::f64::consts::PI,
        lo: 1.224_646_799_147_353_2e-16,
    };

    /// The double nearest to hi + lo (hi, since the pair is normalized).
    pub fn to_f64(self) -> f64 {
        self.hi
    }

    fn norm(hi: f64, lo: f64) -> Dd {
        let (hi, lo) = quick_two_sum(hi, lo);
        Dd { hi, lo }
    }

    #[cfg(test)]
    pub fn abs(self) -> Dd {
        if self.hi < 0.0 {
            -self
        } else {
            self
        }
    }

    pub fn sqrt(self) -> Dd {
        if self.hi <= 0.0 {
            return Dd::new(if self.hi == 0.0 { 0.0 } else { f64::NAN });
        }
        // One Newton step from the double square root doubles its precision.
        let x = self.hi.sqrt();
        let (p, e) = two_prod(x, x);
        let r = (self - Dd { hi: p, lo: e }).hi;
        Dd::norm(x, r / (2.0 * x))
    }

    /// e^a for 0 <= a <= 700: e^(a / 2^k) by its Taylor series (|a / 2^k| < 1/64, 20 terms),
    /// then squared k times (which loses k bits of the 106, at most 17 here).
    pub fn exp(a: Dd) -> Dd {
        let mut k = 0;
        let mut r = a;
        while r.hi.abs() > 1.0 / 64.0 {
            r = Dd {
                hi: r.hi * 0.5,
                lo: r.lo * 0.5,
            };
            k += 1;
        }
        let mut term = Dd::new(1.0);
        let mut sum = Dd::new(1.0);
        for n in 1..=20 {
            term = term * r / Dd::new(n as f64);
            sum = sum + term;
        }
        for _ in 0..k {
            sum = sum * sum;
        }
        sum
    }

    /// e^(y^2) erfc(y) for y = sqrt(y2) with 0 <= y2 <= 200, as
    /// e^(y^2) - (2/sqrt(pi)) y sum_n (2 y^2)^n / (1 3 5 ... (2n + 1)) (the series of
    /// e^(y^2) erf(y), all terms positive; Abramowitz & Stegun 7.1.6). The subtraction loses
    /// about log10(e^(y^2) / result) digits of the 32, four at y^2 = 8.
    pub fn exp_sq_erfc(y2: Dd) -> Dd {
        let y = y2.sqrt();
        let two_y2 = y2 + y2;
        let mut term = Dd::new(1.0);
        let mut sum = Dd::new(1.0);
        let mut n = 1.0;
        while n < 4000.0 {
            term = term * two_y2 / Dd::new(2.0 * n + 1.0);
            sum = sum + term;
            if term.hi < 1e-34 * sum.hi {
                break;
            }
            n += 1.0;
        }
        let two_over_sqrt_pi = Dd::new(2.0) / Dd::PI.sqrt();
        Dd::exp(y2) - two_over_sqrt_pi * y * sum
    }
}

impl Add for Dd {
    type Output = Dd;
    fn add(self, b: Dd) -> Dd {
        let (s, e) = two_sum(self.hi, b.hi);
        let (t, f) = two_sum(self.lo, b.lo);
        let (s, e) = quick_two_sum(s, e + t);
        Dd::norm(s, e + f)
    }
}

impl Neg for Dd {
    type Output = Dd;
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, b: Dd) -> Dd {
        self + (-b)
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, b: Dd) -> Dd {
        let (p, e) = two_prod(self.hi, b.hi);
        Dd::norm(p, e + (self.hi * b.lo + self.lo * b.hi))
    }
}

impl Div for Dd {
    type Output = Dd;
    fn div(self, b: Dd) -> Dd {
        // Long division: three double quotients, each from the remainder of the last.
        let q1 = self.hi / b.hi;
        let r = self - b * Dd::new(q1);
        let q2 = r.hi / b.hi;
        let r = r - b * Dd::new(q2);
        let q3 = r.hi / b.hi;
        let (hi, lo) = quick_two_sum(q1, q2);
        Dd { hi, lo } + Dd::new(q3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_to_thirty_digits() {
        // sqrt(2) = 1.41421356237309504880168872420969807856967...
        let r = Dd::new(2.0).sqrt();
        assert_eq!(r.hi, std::f64::consts::SQRT_2);
        assert!((r.lo - (-9.667_293_313_452_913e-17)).abs() < 1e-31, "{r:?}");
        // e = 2.71828182845904523536028747135266249775724709...
        let e = Dd::exp(Dd::new(1.0));
        assert_eq!(e.hi, std::f64::consts::E);
        assert!((e.lo - 1.445_646_891_729_250_2e-16).abs() < 1e-30, "{e:?}");
        // 1/3 * 3 = 1.
        let third = Dd::new(1.0) / Dd::new(3.0);
        let one = third * Dd::new(3.0) - Dd::new(1.0);
        assert!(one.hi.abs() < 1e-31, "{one:?}");
    }
}
