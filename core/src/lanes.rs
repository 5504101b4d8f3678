//! A small lane abstraction for the SIMD kernels: four f32 lanes ([`F32x4`]), four i32 lanes
//! ([`I32x4`]) and two f64 lanes ([`F64x2`]).
//!
//! On wasm32 with `target_feature = "simd128"` each type is one `v128` and every operation is one
//! `core::arch::wasm32` instruction; elsewhere it is a plain array and every operation is the same
//! IEEE operation applied lane by lane (which compilers usually vectorize). Only operations that
//! IEEE 754 defines exactly are offered (add, sub, mul, div, comparisons, selects, bit operations,
//! integer conversions; no approximate reciprocal), so the same sequence of operations gives
//! bit-identical lanes on both implementations.
//!
//! One exception, used only by the `Relaxed` kernel path ([`crate::kernels::KernelPath`]):
//! [`F32x4::mul_add`], a multiply-add with one rounding. With `target_feature = "relaxed-simd"`
//! it is wasm's `f32x4.relaxed_madd`, which the engine may compute fused (one rounding, on CPUs
//! with FMA) or as a multiply and an add (two roundings): the relaxed-SIMD proposal leaves the
//! choice to the machine. Everywhere else it is `f32::mul_add` lane by lane, always fused (in a
//! wasm build without relaxed-simd that is a software `fmaf`: exact but slow, see
//! `crate::kernels`).

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;
    use core::ops::{Add, Div, Mul, Sub};

    /// Four f32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4(v128);
    /// Four i32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct I32x4(v128);
    /// Per-lane booleans (all bits set for true), the result of a comparison.
    #[derive(Clone, Copy, Debug)]
    pub struct Mask(v128);
    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2(v128);

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4(f32x4_splat(v))
        }
        /// Lanes s[0..4]; panics if `s` is shorter.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            let s = &s[..4];
            // SAFETY: `s` holds 4 f32 = 16 bytes; v128_load has no alignment requirement.
            F32x4(unsafe { v128_load(s.as_ptr().cast::<v128>()) })
        }
        /// Writes the lanes to s[0..4]; panics if `s` is shorter.
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            let s = &mut s[..4];
            // SAFETY: `s` holds 16 writable bytes; v128_store has no alignment requirement.
            unsafe { v128_store(s.as_mut_ptr().cast::<v128>(), self.0) }
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }
        #[inline(always)]
        pub fn lt(self, o: Self) -> Mask {
            Mask(f32x4_lt(self.0, o.0))
        }
        #[inline(always)]
        pub fn gt(self, o: Self) -> Mask {
            Mask(f32x4_gt(self.0, o.0))
        }
        #[inline(always)]
        pub fn ge(self, o: Self) -> Mask {
            Mask(f32x4_ge(self.0, o.0))
        }
        /// True where the lane is NaN.
        #[inline(always)]
        pub fn is_nan(self) -> Mask {
            Mask(f32x4_ne(self.0, self.0))
        }
        /// `if o < self { o } else { self }` (wasm's pmin: NaN in `self` is kept).
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            F32x4(f32x4_pmin(self.0, o.0))
        }
        /// `if self < o { o } else { self }` (wasm's pmax).
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            F32x4(f32x4_pmax(self.0, o.0))
        }
        /// |x| (clears the sign bit).
        #[inline(always)]
        pub fn abs(self) -> Self {
            F32x4(f32x4_abs(self.0))
        }
        /// The sign bit of `self` (+0 or -0 per lane).
        #[inline(always)]
        pub fn sign_bit(self) -> Self {
            self.and_bits(0x8000_0000)
        }
        /// Bitwise xor of the representations (used to apply a sign bit).
        #[inline(always)]
        pub fn xor(self, o: Self) -> Self {
            F32x4(v128_xor(self.0, o.0))
        }
        /// Keeps the bits selected by `mask` (an integer bit pattern applied to every lane).
        #[inline(always)]
        pub fn and_bits(self, mask: u32) -> Self {
            F32x4(v128_and(self.0, u32x4_splat(mask)))
        }
        /// Truncation toward zero, saturating, NaN to 0 (Rust's `as i32`).
        #[inline(always)]
        pub fn to_i32(self) -> I32x4 {
            I32x4(i32x4_trunc_sat_f32x4(self.0))
        }
        #[inline(always)]
        pub fn from_bits(i: I32x4) -> Self {
            F32x4(i.0)
        }
        /// f64 of lanes 0 and 1.
        #[inline(always)]
        pub fn promote_low(self) -> F64x2 {
            F64x2(f64x2_promote_low_f32x4(self.0))
        }
        /// f64 of lanes 2 and 3.
        #[inline(always)]
        pub fn promote_high(self) -> F64x2 {
            F64x2(f64x2_promote_low_f32x4(i64x2_shuffle::<1, 1>(
                self.0, self.0,
            )))
        }
        /// self * b + c: `f32x4.relaxed_madd` (fused where the CPU has FMA, else a multiply and
        /// an add, as the engine chooses).
        #[cfg(target_feature = "relaxed-simd")]
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            F32x4(f32x4_relaxed_madd(self.0, b.0, c.0))
        }
        /// self * b + c with one rounding, lane by lane (`f32::mul_add`: a software `fmaf` in a
        /// build without relaxed-simd, since simd128 has no fused multiply-add).
        #[cfg(not(target_feature = "relaxed-simd"))]
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            let (a, b, c) = (self.to_array(), b.to_array(), c.to_array());
            F32x4(f32x4(
                a[0].mul_add(b[0], c[0]),
                a[1].mul_add(b[1], c[1]),
                a[2].mul_add(b[2], c[2]),
                a[3].mul_add(b[3], c[3]),
            ))
        }
    }

    /// a * b + c for one value, computed as the lanes of [`F32x4::mul_add`] are (so that a
    /// kernel's scalar tail rounds like its vector body on every machine).
    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    pub fn mul_add1(a: f32, b: f32, c: f32) -> f32 {
        f32x4_extract_lane::<0>(f32x4_relaxed_madd(
            f32x4_splat(a),
            f32x4_splat(b),
            f32x4_splat(c),
        ))
    }
    /// a * b + c with one rounding (`f32::mul_add`).
    #[cfg(not(target_feature = "relaxed-simd"))]
    #[inline(always)]
    pub fn mul_add1(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    impl Mask {
        /// `if mask { a } else { b }` per lane.
        #[inline(always)]
        pub fn select(self, a: F32x4, b: F32x4) -> F32x4 {
            F32x4(v128_bitselect(a.0, b.0, self.0))
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn splat(v: i32) -> Self {
            I32x4(i32x4_splat(v))
        }
        #[inline(always)]
        pub fn shl<const S: u32>(self) -> Self {
            I32x4(i32x4_shl(self.0, S))
        }
        /// Wrapping addition.
        #[inline(always)]
        pub fn wrapping_add(self, o: Self) -> Self {
            I32x4(i32x4_add(self.0, o.0))
        }
    }

    impl F64x2 {
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            F64x2(f64x2_splat(v))
        }
        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            [
                f64x2_extract_lane::<0>(self.0),
                f64x2_extract_lane::<1>(self.0),
            ]
        }
    }

    macro_rules! binop {
        ($t:ident, $tr:ident, $m:ident, $f:ident) => {
            impl $tr for $t {
                type Output = $t;
                #[inline(always)]
                fn $m(self, o: $t) -> $t {
                    $t($f(self.0, o.0))
                }
            }
        };
    }
    binop!(F32x4, Add, add, f32x4_add);
    binop!(F32x4, Sub, sub, f32x4_sub);
    binop!(F32x4, Mul, mul, f32x4_mul);
    binop!(F32x4, Div, div, f32x4_div);
    binop!(F64x2, Add, add, f64x2_add);
    binop!(F64x2, Sub, sub, f64x2_sub);
    binop!(F64x2, Mul, mul, f64x2_mul);
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use core::ops::{Add, Div, Mul, Sub};

    /// Four f32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F32x4([f32; 4]);
    /// Four i32 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct I32x4([i32; 4]);
    /// Per-lane booleans, the result of a comparison.
    #[derive(Clone, Copy, Debug)]
    pub struct Mask([bool; 4]);
    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub struct F64x2([f64; 2]);

    macro_rules! cmp {
        ($name:ident, $op:tt) => {
            #[inline(always)]
            pub fn $name(self, o: Self) -> Mask {
                Mask([0, 1, 2, 3].map(|l| self.0[l] $op o.0[l]))
            }
        };
    }

    impl F32x4 {
        #[inline(always)]
        pub fn splat(v: f32) -> Self {
            F32x4([v; 4])
        }
        /// Lanes s[0..4]; panics if `s` is shorter.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            F32x4([s[0], s[1], s[2], s[3]])
        }
        /// Writes the lanes to s[0..4]; panics if `s` is shorter.
        #[inline(always)]
        pub fn store(self, s: &mut [f32]) {
            s[..4].copy_from_slice(&self.0);
        }
        #[inline(always)]
        pub fn to_array(self) -> [f32; 4] {
            self.0
        }
        cmp!(lt, <);
        cmp!(gt, >);
        cmp!(ge, >=);
        /// True where the lane is NaN.
        #[inline(always)]
        pub fn is_nan(self) -> Mask {
            Mask(self.0.map(f32::is_nan))
        }
        /// `if o < self { o } else { self }` (wasm's pmin: NaN in `self` is kept).
        #[inline(always)]
        pub fn pmin(self, o: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|l| {
                if o.0[l] < self.0[l] {
                    o.0[l]
                } else {
                    self.0[l]
                }
            }))
        }
        /// `if self < o { o } else { self }` (wasm's pmax).
        #[inline(always)]
        pub fn pmax(self, o: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|l| {
                if self.0[l] < o.0[l] {
                    o.0[l]
                } else {
                    self.0[l]
                }
            }))
        }
        /// |x| (clears the sign bit).
        #[inline(always)]
        pub fn abs(self) -> Self {
            F32x4(self.0.map(f32::abs))
        }
        /// The sign bit of `self` (+0 or -0 per lane).
        #[inline(always)]
        pub fn sign_bit(self) -> Self {
            self.and_bits(0x8000_0000)
        }
        /// Bitwise xor of the representations (used to apply a sign bit).
        #[inline(always)]
        pub fn xor(self, o: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|l| f32::from_bits(self.0[l].to_bits() ^ o.0[l].to_bits())))
        }
        /// Keeps the bits selected by `mask` (an integer bit pattern applied to every lane).
        #[inline(always)]
        pub fn and_bits(self, mask: u32) -> Self {
            F32x4(self.0.map(|v| f32::from_bits(v.to_bits() & mask)))
        }
        /// Truncation toward zero, saturating, NaN to 0 (Rust's `as i32`).
        #[inline(always)]
        pub fn to_i32(self) -> I32x4 {
            I32x4(self.0.map(|v| v as i32))
        }
        #[inline(always)]
        pub fn from_bits(i: I32x4) -> Self {
            F32x4(i.0.map(|v| f32::from_bits(v as u32)))
        }
        /// f64 of lanes 0 and 1.
        #[inline(always)]
        pub fn promote_low(self) -> F64x2 {
            F64x2([f64::from(self.0[0]), f64::from(self.0[1])])
        }
        /// f64 of lanes 2 and 3.
        #[inline(always)]
        pub fn promote_high(self) -> F64x2 {
            F64x2([f64::from(self.0[2]), f64::from(self.0[3])])
        }
        /// self * b + c with one rounding per lane (`f32::mul_add`).
        #[inline(always)]
        pub fn mul_add(self, b: Self, c: Self) -> Self {
            F32x4([0, 1, 2, 3].map(|l| self.0[l].mul_add(b.0[l], c.0[l])))
        }
    }

    /// a * b + c with one rounding (`f32::mul_add`).
    #[inline(always)]
    pub fn mul_add1(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }

    impl Mask {
        /// `if mask { a } else { b }` per lane.
        #[inline(always)]
        pub fn select(self, a: F32x4, b: F32x4) -> F32x4 {
            F32x4([0, 1, 2, 3].map(|l| if self.0[l] { a.0[l] } else { b.0[l] }))
        }
    }

    impl I32x4 {
        #[inline(always)]
        pub fn splat(v: i32) -> Self {
            I32x4([v; 4])
        }
        #[inline(always)]
        pub fn shl<const S: u32>(self) -> Self {
            I32x4(self.0.map(|v| v.wrapping_shl(S)))
        }
        /// Wrapping addition.
        #[inline(always)]
        pub fn wrapping_add(self, o: Self) -> Self {
            I32x4([0, 1, 2, 3].map(|l| self.0[l].wrapping_add(o.0[l])))
        }
    }

    impl F64x2 {
        #[inline(always)]
        pub fn splat(v: f64) -> Self {
            F64x2([v; 2])
        }
        #[inline(always)]
        pub fn to_array(self) -> [f64; 2] {
            self.0
        }
    }

    macro_rules! binop {
        ($t:ident, $tr:ident, $m:ident, $op:tt, $n:expr) => {
            impl $tr for $t {
                type Output = $t;
                #[inline(always)]
                fn $m(self, o: $t) -> $t {
                    let mut r = self.0;
                    for l in 0..$n {
                        r[l] = self.0[l] $op o.0[l];
                    }
                    $t(r)
                }
            }
        };
    }
    binop!(F32x4, Add, add, +, 4);
    binop!(F32x4, Sub, sub, -, 4);
    binop!(F32x4, Mul, mul, *, 4);
    binop!(F32x4, Div, div, /, 4);
    binop!(F64x2, Add, add, +, 2);
    binop!(F64x2, Sub, sub, -, 2);
    binop!(F64x2, Mul, mul, *, 2);
}

pub use imp::{mul_add1, F32x4, F64x2, I32x4};
