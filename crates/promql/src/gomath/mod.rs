//! Go 1.19's `math` package as the reference Prometheus 2.42 (linux/amd64) evaluates PromQL's
//! math functions and the `^` and `atan2` operators, so results match it bit for bit.
//!
//! Go does not call libm: it computes these functions with its own formulas (Cephes and
//! FreeBSD msun ports, amd64 assembly for `Log` and `Exp`), which are not correctly rounded
//! and in some regions differ from Rust's std (glibc) by far more than an ulp: `log2` just
//! above 1, `acos`, `acosh` and `atanh` near 1, `pow` with large exponents or subnormal
//! bases, `ln` of subnormals, `exp` (and so `sinh`, `cosh`) overflowing from 709.44 on, the
//! trigonometric functions for large arguments, the sign of `atan2` when `y/x` underflows.
//! Elsewhere they differ by an ulp in a few to a few tens of percent of inputs.
//!
//! `exp` follows the assembly's FMA path, which Go takes on CPUs with AVX2 and FMA; on older
//! CPUs Prometheus' `exp` differs from it by an ulp for some inputs.
//!
//! Not here, because Rust's std already gives Go's result bit for bit: `Sqrt`, `Floor`,
//! `Ceil`, `Abs` (exact or correctly rounded in both) and `Mod` (Go's loop of exact
//! subtractions is exactly `fmod`, Rust's `%`, with the same special cases).
//!
//! One file per family: `log` (`ln`, `log2`, `log10` and the `log1p` behind the inverse
//! hyperbolic functions), `exp`, `trig` (`sin`, `cos`, `tan` and their argument reduction),
//! `inverse_trig` (`asin`, `acos`, `atan`, `atan2`), `hyperbolic`, `pow` and `angles`
//! (`deg`, `rad`). This module holds what they share: the `f64` layout and Go's `Frexp` and
//! `Ldexp`.

#![allow(clippy::excessive_precision)] // Constants as published (Cephes, Hart & Cheney, SLEEF).

mod angles;
mod exp;
mod hyperbolic;
mod inverse_trig;
mod log;
mod pow;
mod trig;

pub(crate) use self::angles::{deg, rad};
pub(crate) use self::exp::exp;
pub(crate) use self::hyperbolic::{acosh, asinh, atanh, cosh, sinh, tanh};
pub(crate) use self::inverse_trig::{acos, asin, atan, atan2};
pub(crate) use self::log::{log, log10, log2};
pub(crate) use self::pow::pow;
pub(crate) use self::trig::{cos, sin, tan};

/// The sign bit of an `f64`.
const SIGN_MASK: u64 = 1 << 63;
/// The 52 fraction bits of an `f64`.
const FRAC_MASK: u64 = (1 << 52) - 1;
/// The biased exponent field of an `f64`, unshifted.
const EXP_FIELD: u64 = 0x7ff;
/// The exponent bias of an `f64`.
const BIAS: i64 = 1023;

/// Go's `Frexp`: `x = frac * 2^exp` with |frac| in [0.5, 1); subnormals are normalised first;
/// ±0, ±Inf and NaN come back unchanged with exponent 0.
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, mut exp) = if x.abs() < f64::MIN_POSITIVE {
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    exp += ((bits >> 52) & EXP_FIELD) as i64 - BIAS + 1;
    let frac = f64::from_bits((bits & !(EXP_FIELD << 52)) | (((BIAS - 1) as u64) << 52));
    (frac, exp)
}

/// Go's `Ldexp`: `frac * 2^exp`, rounded once (to a subnormal when it must), ±0 below the
/// subnormal range and ±Inf above the normal one.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = if frac.abs() < f64::MIN_POSITIVE {
        (frac * (1u64 << 52) as f64, -52)
    } else {
        (frac, 0)
    };
    let bits = frac.to_bits();
    let exp = exp + e + ((bits >> 52) & EXP_FIELD) as i64 - BIAS;
    if exp < -1075 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1023 {
        return f64::INFINITY.copysign(frac);
    }
    // Below the normal range: build the value 2^53 higher and let one multiplication round it.
    let (exp, scale) = if exp < -1022 {
        (exp + 53, 1.0 / (1u64 << 53) as f64)
    } else {
        (exp, 1.0)
    };
    let bits = (bits & !(EXP_FIELD << 52)) | (((exp + BIAS) as u64) << 52);
    scale * f64::from_bits(bits)
}

#[cfg(test)]
mod oracle {
    //! Fixed vectors measured against the reference: Debian's Prometheus 2.42 (Go 1.19.8,
    //! linux/amd64, on a CPU with FMA), queried as e.g. `log2(vector(X))` or
    //! `vector(X) ^ (Y)`. Each row is the input's bits and the bits Prometheus returned: special
    //! values, then for each region (near 0, subnormal, near 1, near 0.5 and 2, large, huge)
    //! the inputs where Rust's std differs most, a typical 1-ulp difference, and one where they
    //! agree.

    /// Bit-identical, except that any NaN equals any NaN (Prometheus prints every NaN alike).
    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
    }

    /// Checks `f` (PromQL's `name`) against rows of (input bits, Prometheus' result bits).
    pub(super) fn check(name: &str, f: fn(f64) -> f64, cases: &[(u64, u64)]) {
        for &(x, want) in cases {
            let (x, want) = (f64::from_bits(x), f64::from_bits(want));
            let got = f(x);
            assert!(
                same(got, want),
                "{name}({x:?}) = {got:?}, Prometheus gives {want:?}"
            );
        }
    }

    /// Checks the two-argument `f` (PromQL's `name`) against rows of (first input bits,
    /// second input bits, Prometheus' result bits).
    pub(super) fn check2(name: &str, f: fn(f64, f64) -> f64, cases: &[(u64, u64, u64)]) {
        for &(x, y, want) in cases {
            let (x, y, want) = (f64::from_bits(x), f64::from_bits(y), f64::from_bits(want));
            let got = f(x, y);
            assert!(
                same(got, want),
                "{name}({x:?}, {y:?}) = {got:?}, Prometheus gives {want:?}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    //! Go's `Frexp` and `Ldexp`, and Rust's `%` against Prometheus' `%` (measured as described
    //! in `oracle`).

    use super::oracle::check2;
    use super::*;

    /// Go's `Mod` is exact, so Rust's `%` (fmod) is used as is; this pins that down.
    #[test]
    fn modulo_is_rusts_remainder() {
        check2("mod", |x, y| x % y, MOD);
    }

    /// `ldexp` undoes `frexp`, and rounds once into the subnormal range.
    #[test]
    fn frexp_ldexp_round_trip() {
        for x in [
            5e-324,
            -3.5e-310,
            f64::MIN_POSITIVE,
            1.0,
            -0.75,
            1e300,
            f64::MAX,
        ] {
            let (frac, exp) = frexp(x);
            assert!((0.5..1.0).contains(&frac.abs()), "{x:?}: {frac:?}");
            assert_eq!(ldexp(frac, exp).to_bits(), x.to_bits());
        }
        // One rounding into the subnormal range, to even on the tie.
        assert_eq!(ldexp(0.75, -1073), 5e-324 * 2.0);
        assert_eq!(ldexp(0.5, -1074), 0.0);
        assert_eq!(ldexp(0.5000000000000001, -1074), 5e-324);
        assert_eq!(ldexp(-0.5, 1025), f64::NEG_INFINITY);
    }

    /// `mod`
    const MOD: &[(u64, u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000, 0x7ff8000000000000), // (0.0, 0.0) -> NaN
        (0x0000000000000000, 0x8000000000000000, 0x7ff8000000000000), // (0.0, -0.0) -> NaN
        (0x0000000000000000, 0x7ff0000000000000, 0x0000000000000000), // (0.0, inf) -> 0.0
        (0x0000000000000000, 0xfff0000000000000, 0x0000000000000000), // (0.0, -inf) -> 0.0
        (0x0000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (0.0, NaN) -> NaN
        (0x0000000000000000, 0x3ff0000000000000, 0x0000000000000000), // (0.0, 1.0) -> 0.0
        (0x0000000000000000, 0xbff0000000000000, 0x0000000000000000), // (0.0, -1.0) -> 0.0
        (0x8000000000000000, 0x0000000000000000, 0x7ff8000000000000), // (-0.0, 0.0) -> NaN
        (0x8000000000000000, 0x8000000000000000, 0x7ff8000000000000), // (-0.0, -0.0) -> NaN
        (0x8000000000000000, 0x7ff0000000000000, 0x8000000000000000), // (-0.0, inf) -> -0.0
        (0x8000000000000000, 0xfff0000000000000, 0x8000000000000000), // (-0.0, -inf) -> -0.0
        (0x8000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-0.0, NaN) -> NaN
        (0x8000000000000000, 0x3ff0000000000000, 0x8000000000000000), // (-0.0, 1.0) -> -0.0
        (0x8000000000000000, 0xbff0000000000000, 0x8000000000000000), // (-0.0, -1.0) -> -0.0
        (0x7ff0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (inf, 0.0) -> NaN
        (0x7ff0000000000000, 0x8000000000000000, 0x7ff8000000000000), // (inf, -0.0) -> NaN
        (0x7ff0000000000000, 0x7ff0000000000000, 0x7ff8000000000000), // (inf, inf) -> NaN
        (0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000), // (inf, -inf) -> NaN
        (0x7ff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (inf, NaN) -> NaN
        (0x7ff0000000000000, 0x3ff0000000000000, 0x7ff8000000000000), // (inf, 1.0) -> NaN
        (0x7ff0000000000000, 0xbff0000000000000, 0x7ff8000000000000), // (inf, -1.0) -> NaN
        (0xfff0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (-inf, 0.0) -> NaN
        (0xfff0000000000000, 0x8000000000000000, 0x7ff8000000000000), // (-inf, -0.0) -> NaN
        (0xfff0000000000000, 0x7ff0000000000000, 0x7ff8000000000000), // (-inf, inf) -> NaN
        (0xfff0000000000000, 0xfff0000000000000, 0x7ff8000000000000), // (-inf, -inf) -> NaN
        (0xfff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-inf, NaN) -> NaN
        (0xfff0000000000000, 0x3ff0000000000000, 0x7ff8000000000000), // (-inf, 1.0) -> NaN
        (0xfff0000000000000, 0xbff0000000000000, 0x7ff8000000000000), // (-inf, -1.0) -> NaN
        (0x7ff8000000000000, 0x0000000000000000, 0x7ff8000000000000), // (NaN, 0.0) -> NaN
        (0x7ff8000000000000, 0x8000000000000000, 0x7ff8000000000000), // (NaN, -0.0) -> NaN
        (0x7ff8000000000000, 0x7ff0000000000000, 0x7ff8000000000000), // (NaN, inf) -> NaN
        (0x7ff8000000000000, 0xfff0000000000000, 0x7ff8000000000000), // (NaN, -inf) -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (NaN, NaN) -> NaN
        (0x7ff8000000000000, 0x3ff0000000000000, 0x7ff8000000000000), // (NaN, 1.0) -> NaN
        (0x7ff8000000000000, 0xbff0000000000000, 0x7ff8000000000000), // (NaN, -1.0) -> NaN
        (0x3ff0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (1.0, 0.0) -> NaN
        (0x3ff0000000000000, 0x8000000000000000, 0x7ff8000000000000), // (1.0, -0.0) -> NaN
        (0x3ff0000000000000, 0x7ff0000000000000, 0x3ff0000000000000), // (1.0, inf) -> 1.0
        (0x3ff0000000000000, 0xfff0000000000000, 0x3ff0000000000000), // (1.0, -inf) -> 1.0
        (0x3ff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (1.0, NaN) -> NaN
        (0x3ff0000000000000, 0x3ff0000000000000, 0x0000000000000000), // (1.0, 1.0) -> 0.0
        (0x3ff0000000000000, 0xbff0000000000000, 0x0000000000000000), // (1.0, -1.0) -> 0.0
        (0xbff0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (-1.0, 0.0) -> NaN
        (0xbff0000000000000, 0x8000000000000000, 0x7ff8000000000000), // (-1.0, -0.0) -> NaN
        (0xbff0000000000000, 0x7ff0000000000000, 0xbff0000000000000), // (-1.0, inf) -> -1.0
        (0xbff0000000000000, 0xfff0000000000000, 0xbff0000000000000), // (-1.0, -inf) -> -1.0
        (0xbff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-1.0, NaN) -> NaN
        (0xc018000000000000, 0x4008000000000000, 0x8000000000000000), // (-6.0, 3.0) -> -0.0
        (0x4016000000000000, 0xc000000000000000, 0x3ff8000000000000), // (5.5, -2.0) -> 1.5
        (0xc016000000000000, 0x4000000000000000, 0xbff8000000000000), // (-5.5, 2.0) -> -1.5
        (0x7e37e43c8800759c, 0x4008000000000000, 0x0000000000000000), // (1e300, 3.0) -> 0.0
        (0x4008000000000000, 0x0000000000000000, 0x7ff8000000000000), // (3.0, 0.0) -> NaN
        (0x7fe1ccf385ebc8a0, 0x0000000000000000, 0x7ff8000000000000), // (1e308, 0.0) -> NaN
        (0x3fd0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (0.25, 0.0) -> NaN
        (0x3fe0000000000000, 0x0000000000000000, 0x7ff8000000000000), // (0.5, 0.0) -> NaN
        (0x3ff0000000000000, 0x3fe0000000000000, 0x0000000000000000), // (1.0, 0.5) -> 0.0
        (0x0000000000000000, 0x3fe0000000000000, 0x0000000000000000), // (0.0, 0.5) -> 0.0
        (0x0000000000000001, 0x0000000000000000, 0x7ff8000000000000), // (5e-324, 0.0) -> NaN
        (0x1de3a6c3d11ad463, 0x7698e3e5a57f9abf, 0x1de3a6c3d11ad463), // (1.0664154738475381e-164, 1.9594086147483818e263) -> 1.0664154738475381e-164
    ];
}
