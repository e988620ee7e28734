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

#![allow(clippy::excessive_precision)] // Constants as published (Cephes, Hart & Cheney, SLEEF).

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, LN_2, LOG10_E, LOG2_E, PI};

/// The sign bit of an `f64`.
const SIGN_MASK: u64 = 1 << 63;
/// The 52 fraction bits of an `f64`.
const FRAC_MASK: u64 = (1 << 52) - 1;
/// The biased exponent field of an `f64`, unshifted.
const EXP_FIELD: u64 = 0x7ff;
/// The exponent bias of an `f64`.
const BIAS: i64 = 1023;

/// `ln(2)` split so that `k * LN2_HI` is exact for |k| < 2000 (FreeBSD's `ln2_hi`).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// The rest of `ln(2)` (FreeBSD's `ln2_lo`).
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// Coefficients of the polynomial behind `log` and `log1p` (FreeBSD's `Lg1`..`Lg7`).
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// Shift left that yields 0 from 64 bits on, as Go's `<<` does.
fn shl(v: u64, n: u32) -> u64 {
    v.checked_shl(n).unwrap_or(0)
}

/// Shift right that yields 0 from 64 bits on, as Go's `>>` on unsigned values does.
fn shr(v: u64, n: u32) -> u64 {
    v.checked_shr(n).unwrap_or(0)
}

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

/// Go's `Log` on amd64 (`log_amd64.s`): FreeBSD's `log` algorithm, except that the input is
/// split into exponent and fraction straight from its bits, without normalising subnormals:
/// a subnormal `x` is taken as `2^-1022 * f` with `f` in [0.5, 1) built from its fraction
/// bits, so e.g. `log(5e-324)` is -709.0896 rather than -744.44.
pub(crate) fn log(x: f64) -> f64 {
    /// `sqrt(2)/2`: fractions at or below it are doubled (the exponent lowered).
    const HALF_SQRT2: f64 = f64::from_bits(0x3fe6_a09e_667f_3bcd);
    let bits = x.to_bits();
    if bits & !SIGN_MASK == 0 {
        return f64::NEG_INFINITY;
    }
    if bits & SIGN_MASK != 0 {
        return f64::NAN;
    }
    if x.is_infinite() || x.is_nan() {
        return x;
    }
    let mut f1 = f64::from_bits((bits & FRAC_MASK) | 0.5f64.to_bits());
    let mut k = ((bits >> 52) & EXP_FIELD) as f64 - 1022.0;
    // The assembly doubles the fraction at sqrt(2)/2 too (`CMPSD $5`, not-less-than), where
    // Go's portable code keeps it; both give the same result there.
    if f1 <= HALF_SQRT2 {
        k -= 1.0;
        f1 *= 2.0;
    }
    let f = f1 - 1.0;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (LG[0] + s4 * (LG[2] + s4 * (LG[4] + s4 * LG[6])));
    let t2 = s4 * (LG[1] + s4 * (LG[3] + s4 * LG[5]));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `Exp` on amd64 (`exp_amd64.s`, after Shibata's SLEEF): `x = k*ln2 + r` with `k`
/// rounded to nearest, `e^(r/16)` by a degree-8 Taylor series, squared four times, scaled by
/// `2^k`. This is the path Go takes on CPUs with AVX2 and FMA (every amd64 CPU of the last
/// decade), which fuses the reduction, the series' Horner steps and the last squaring.
///
/// Its range differs from the true one: it returns +Inf once `k` reaches 1024 (from
/// x ≈ 709.436 on, although e^x only overflows above 709.78), and 0 once `k` is below -1075
/// (x below ≈ -745.5).
pub(crate) fn exp(x: f64) -> f64 {
    /// Above this Go returns +Inf without further ado.
    const OVERFLOW: f64 = 7.09782712893384e+02;
    /// `ln(2)`, upper part (exact in products with small integers).
    const LN2_UPPER: f64 = f64::from_bits(0x3fe6_2e42_fefa_3000);
    /// `ln(2)`, lower part.
    const LN2_LOWER: f64 = f64::from_bits(0x3d53_de6a_f278_ece6);
    /// Taylor coefficients 1/8! .. 1/3!, then 1/2 and 1 (Horner order).
    const TAYLOR: [f64; 8] = [
        2.4801587301587301587e-5,
        1.9841269841269841270e-4,
        1.3888888888888888889e-3,
        8.3333333333333333333e-3,
        4.1666666666666666667e-2,
        1.6666666666666666667e-1,
        0.5,
        1.0,
    ];
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x == f64::NEG_INFINITY {
        return 0.0;
    }
    if x > OVERFLOW {
        return f64::INFINITY;
    }
    // CVTSD2SL: round to nearest even; out of range (only very negative x here) gives i32::MIN,
    // which Rust's saturating cast also gives.
    let k = (x * LOG2_E).round_ties_even() as i32;
    let kf = f64::from(k);
    let r = (-LN2_LOWER).mul_add(kf, (-LN2_UPPER).mul_add(kf, x)) * 0.0625;
    let p = TAYLOR[1..]
        .iter()
        .fold(TAYLOR[0], |acc, &c| acc.mul_add(r, c));
    // y = e^(r/16) - 1, then (1+y)^2 - 1 = y*(y+2), three times, and the last squaring fused
    // with the final +1.
    let mut y = r * p;
    for _ in 0..3 {
        y *= y + 2.0;
    }
    let e = (y + 2.0).mul_add(y, 1.0);
    let biased = i64::from(k) + BIAS;
    if biased >= 0x7ff {
        return f64::INFINITY;
    }
    if biased > 0 {
        return e * f64::from_bits((biased as u64) << 52);
    }
    if biased < -52 {
        return 0.0;
    }
    // A subnormal result: scale by 2^(k+1022) (exact), then round once by 2^-1022.
    e * f64::from_bits(((biased + BIAS - 1) as u64) << 52) * f64::MIN_POSITIVE
}

/// Go's `Log2`: `log(frac) / ln 2 + exp` from `frexp` (exact for powers of two). Cancels for x
/// just above 1, so results there are off by up to ~2^-53 absolute, not relative.
pub(crate) fn log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return (exp - 1) as f64;
    }
    log(frac) * LOG2_E + exp as f64
}

/// Go's `Log10`: `log(x) * (1/ln 10)`.
pub(crate) fn log10(x: f64) -> f64 {
    log(x) * LOG10_E
}

/// Go's `Log1p` (FreeBSD's `s_log1p.c`), used by the inverse hyperbolic functions.
fn log1p(x: f64) -> f64 {
    /// sqrt(2) - 1, as Go writes it in decimal (2 ulp below FreeBSD's hex value).
    const SQRT2_M1: f64 = 4.142135623730950488017e-01;
    /// sqrt(2)/2 - 1, likewise (1 ulp off FreeBSD's hex value).
    const HALF_SQRT2_M1: f64 = -2.928932188134524755992e-01;
    /// 2^-29.
    const SMALL: f64 = 1.0 / (1u64 << 29) as f64;
    /// 2^-54.
    const TINY: f64 = 1.0 / (1u64 << 54) as f64;
    /// 2^53.
    const TWO53: f64 = (1u64 << 53) as f64;
    if x < -1.0 || x.is_nan() {
        return f64::NAN;
    }
    if x == -1.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    let absx = x.abs();
    let mut f = 0.0;
    let mut iu = 0u64;
    let mut k = 1i64;
    if absx < SQRT2_M1 {
        if absx < SMALL {
            if absx < TINY {
                return x;
            }
            return x - x * x * 0.5;
        }
        if x > HALF_SQRT2_M1 {
            k = 0;
            f = x;
            iu = 1;
        }
    }
    let mut c = 0.0;
    if k != 0 {
        let mut u;
        if absx < TWO53 {
            u = 1.0 + x;
            iu = u.to_bits();
            k = (iu >> 52) as i64 - BIAS;
            // Correction term for the rounding of 1 + x.
            c = if k > 0 { 1.0 - (u - x) } else { x - (u - 1.0) };
            c /= u;
        } else {
            u = x;
            iu = u.to_bits();
            k = (iu >> 52) as i64 - BIAS;
        }
        iu &= FRAC_MASK;
        if iu < 0x0006_a09e_667f_3bcd {
            // Normalise u into [1, sqrt 2).
            u = f64::from_bits(iu | 0x3ff0_0000_0000_0000);
        } else {
            // Normalise u/2 into [sqrt(2)/2, 1).
            k += 1;
            u = f64::from_bits(iu | 0x3fe0_0000_0000_0000);
            iu = (0x0010_0000_0000_0000 - iu) >> 2;
        }
        f = u - 1.0;
    }
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    if iu == 0 {
        // |f| < 2^-20.
        if f == 0.0 {
            if k == 0 {
                return 0.0;
            }
            c += kf * LN2_LO;
            return kf * LN2_HI + c;
        }
        let r = hfsq * (1.0 - 0.66666666666666666 * f);
        if k == 0 {
            return f - r;
        }
        return kf * LN2_HI - ((r - (kf * LN2_LO + c)) - f);
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let r = z
        * (LG[0] + z * (LG[1] + z * (LG[2] + z * (LG[3] + z * (LG[4] + z * (LG[5] + z * LG[6]))))));
    if k == 0 {
        return f - (hfsq - s * (hfsq + r));
    }
    kf * LN2_HI - ((hfsq - (s * (hfsq + r) + (kf * LN2_LO + c))) - f)
}

/// From here on Go reduces trigonometric arguments with Payne-Hanek instead of Cody-Waite.
const REDUCE_THRESHOLD: f64 = (1u64 << 29) as f64;
/// 4/π, rounded.
const FOUR_OVER_PI: f64 = f64::from_bits(0x3ff4_5f30_6dc9_c883);
/// π/4 in three parts for Cody-Waite reduction (the first two have trailing zero bits).
const PI4: [f64; 3] = [
    f64::from_bits(0x3fe9_21fb_4000_0000),
    f64::from_bits(0x3e64_442d_0000_0000),
    f64::from_bits(0x3ce8_4698_98cc_5170),
];
/// Binary digits of 4/π, 64 at a time: 4/π = Σ `M_PI4[i]` × 2^(-64 i).
const M_PI4: [u64; 20] = [
    0x0000_0000_0000_0001,
    0x45f3_06dc_9c88_2a53,
    0xf84e_afa3_ea69_bb81,
    0xb6c5_2b32_7887_2083,
    0xfca2_c757_bd77_8ac3,
    0x6e48_dc74_849b_a5c0,
    0x0c92_5dd4_13a3_2439,
    0xfc3b_d639_6253_4e7d,
    0xd104_6bea_5d76_8909,
    0xd338_e04d_68be_fc82,
    0x7323_ac73_06a6_73e9,
    0x3908_bf17_7bf2_5076,
    0x3ff1_2fff_bc0b_301f,
    0xde5e_2316_b414_da3e,
    0xda6c_fd9e_4f96_136e,
    0x9e8c_7ecd_3cbf_d45a,
    0xea4f_758f_d7cb_e2f6,
    0x7a0e_73ef_14a5_25d4,
    0xd7f6_bf62_3f1a_ba10,
    0xac06_608d_f8f6_d757,
];

/// Reduces a finite `x >= 0` by π/4: the octant `j` (even, mod 8; odd quotients are rounded
/// up) and the remainder `z` in [-π/4, π/4]. Cody-Waite with π/4 in three parts below
/// 2^29; above, Payne-Hanek (K. C. Ng, "Argument reduction for huge arguments") with 4/π to
/// 1217 bits in 64-bit integer arithmetic, exactly as Go does.
fn reduce_octant(x: f64) -> (u64, f64) {
    if x < REDUCE_THRESHOLD {
        let mut j = (x * FOUR_OVER_PI) as u64;
        let mut y = j as f64;
        if j & 1 == 1 {
            j += 1;
            y += 1.0;
        }
        let z = ((x - y * PI4[0]) - y * PI4[1]) - y * PI4[2];
        return (j & 7, z);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & EXP_FIELD) as i64 - BIAS - 52;
    let ix = (bits & FRAC_MASK) | (1 << 52);
    // The three 64-bit digits of 4/π whose product with ix has its leading digit at 2^-61.
    let digit = ((exp + 61) / 64) as usize;
    let bitshift = ((exp + 61) % 64) as u32;
    let window = |i: usize| shl(M_PI4[i], bitshift) | shr(M_PI4[i + 1], 64 - bitshift);
    let (z0, z1, z2) = (window(digit), window(digit + 1), window(digit + 2));
    let z2hi = ((u128::from(z2) * u128::from(ix)) >> 64) as u64;
    let z1prod = u128::from(z1) * u128::from(ix);
    let (z1hi, z1lo) = ((z1prod >> 64) as u64, z1prod as u64);
    let z0lo = z0.wrapping_mul(ix);
    let (lo, carry) = z1lo.overflowing_add(z2hi);
    let hi = z0lo.wrapping_add(z1hi).wrapping_add(u64::from(carry));
    // The top 3 bits are the octant, the rest the fraction.
    let mut j = hi >> 61;
    let hi = (hi << 3) | (lo >> 61);
    let lz = hi.leading_zeros();
    let e = (BIAS as u64).wrapping_sub(u64::from(lz) + 1);
    let mantissa = (shl(hi, lz + 1) | shr(lo, 64 - (lz + 1))) >> 12;
    let mut z = f64::from_bits(mantissa | (e << 52));
    if j & 1 == 1 {
        j = (j + 1) & 7;
        z -= 1.0;
    }
    (j, z * FRAC_PI_4)
}

/// Cephes' sine polynomial on [-π/4, π/4]: `z + z³ P(z²)`.
fn sin_poly(z: f64) -> f64 {
    const S: [f64; 6] = [
        f64::from_bits(0x3de5_d8fd_1fd1_9ccd),
        f64::from_bits(0xbe5a_e5e5_a929_1f5d),
        f64::from_bits(0x3ec7_1de3_567d_48a1),
        f64::from_bits(0xbf2a_01a0_19bf_df03),
        f64::from_bits(0x3f81_1111_1110_f7d0),
        f64::from_bits(0xbfc5_5555_5555_5548),
    ];
    let zz = z * z;
    z + z * zz * (((((S[0] * zz + S[1]) * zz + S[2]) * zz + S[3]) * zz + S[4]) * zz + S[5])
}

/// Cephes' cosine polynomial on [-π/4, π/4]: `1 - z²/2 + z⁴ Q(z²)`.
fn cos_poly(z: f64) -> f64 {
    const C: [f64; 6] = [
        f64::from_bits(0xbda8_fa49_a086_1a9b),
        f64::from_bits(0x3e21_ee9d_7b4e_3f05),
        f64::from_bits(0xbe92_7e4f_7eac_4bc6),
        f64::from_bits(0x3efa_01a0_19c8_44f5),
        f64::from_bits(0xbf56_c16c_16c1_4f91),
        f64::from_bits(0x3fa5_5555_5555_554b),
    ];
    let zz = z * z;
    1.0 - 0.5 * zz
        + zz * zz * (((((C[0] * zz + C[1]) * zz + C[2]) * zz + C[3]) * zz + C[4]) * zz + C[5])
}

/// Go's `Sin` (Cephes `sin.c` with Go's range reduction).
pub(crate) fn sin(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return f64::NAN;
    }
    let (j, z) = reduce_octant(x.abs());
    let (negate, j) = if j > 3 {
        (x > 0.0, j - 4)
    } else {
        (x < 0.0, j)
    };
    let y = if j == 1 || j == 2 {
        cos_poly(z)
    } else {
        sin_poly(z)
    };
    if negate {
        -y
    } else {
        y
    }
}

/// Go's `Cos` (Cephes `sin.c` with Go's range reduction).
pub(crate) fn cos(x: f64) -> f64 {
    if !x.is_finite() {
        return f64::NAN;
    }
    let (mut j, z) = reduce_octant(x.abs());
    let mut negate = false;
    if j > 3 {
        j -= 4;
        negate = true;
    }
    if j > 1 {
        negate = !negate;
    }
    let y = if j == 1 || j == 2 {
        sin_poly(z)
    } else {
        cos_poly(z)
    };
    if negate {
        -y
    } else {
        y
    }
}

/// Go's `Tan` (Cephes `tan.c` with Go's range reduction).
pub(crate) fn tan(x: f64) -> f64 {
    const P: [f64; 3] = [
        f64::from_bits(0xc0c9_92d8_d24f_3f38),
        f64::from_bits(0x4131_99ec_a5fc_9ddd),
        f64::from_bits(0xc171_1fea_d329_9176),
    ];
    const Q: [f64; 4] = [
        f64::from_bits(0x40ca_b8a5_eeb3_6572),
        f64::from_bits(0xc134_27bc_582a_bc96),
        f64::from_bits(0x4177_d98f_c2ea_d8ef),
        f64::from_bits(0xc189_afe0_3cbe_5a31),
    ];
    if x == 0.0 || x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return f64::NAN;
    }
    let (j, z) = reduce_octant(x.abs());
    let zz = z * z;
    let mut y = if zz > 1e-14 {
        z + z
            * (zz * ((P[0] * zz + P[1]) * zz + P[2])
                / ((((zz + Q[0]) * zz + Q[1]) * zz + Q[2]) * zz + Q[3]))
    } else {
        z
    };
    if j & 2 == 2 {
        y = -1.0 / y;
    }
    if x < 0.0 {
        -y
    } else {
        y
    }
}

/// Cephes' arctangent series, valid on [0, 0.66]: `x + x³ P(x²)/Q(x²)`.
fn atan_series(x: f64) -> f64 {
    const P: [f64; 5] = [
        -8.750608600031904122785e-01,
        -1.615753718733365076637e+01,
        -7.500855792314704667340e+01,
        -1.228866684490136173410e+02,
        -6.485021904942025371773e+01,
    ];
    const Q: [f64; 5] = [
        2.485846490142306297962e+01,
        1.650270098316988542046e+02,
        4.328810604912902668951e+02,
        4.853903996359136964868e+02,
        1.945506571482613964425e+02,
    ];
    let z = x * x;
    let z = z * ((((P[0] * z + P[1]) * z + P[2]) * z + P[3]) * z + P[4])
        / (((((z + Q[0]) * z + Q[1]) * z + Q[2]) * z + Q[3]) * z + Q[4]);
    x * z + x
}

/// Cephes' arctangent of `x >= 0`, reduced to [0, 0.66] for [`atan_series`].
fn atan_positive(x: f64) -> f64 {
    /// π/2 - `FRAC_PI_2`.
    const MOREBITS: f64 = 6.123233995736765886130e-17;
    /// tan(3π/8).
    const TAN_3PI_8: f64 = f64::from_bits(0x4003_504f_333f_9de6);
    if x <= 0.66 {
        atan_series(x)
    } else if x > TAN_3PI_8 {
        FRAC_PI_2 - atan_series(1.0 / x) + MOREBITS
    } else {
        FRAC_PI_4 + atan_series((x - 1.0) / (x + 1.0)) + 0.5 * MOREBITS
    }
}

/// Go's `Atan` (Cephes `atan.c`).
pub(crate) fn atan(x: f64) -> f64 {
    if x == 0.0 {
        x
    } else if x > 0.0 {
        atan_positive(x)
    } else {
        -atan_positive(-x)
    }
}

/// Go's `Asin`: `atan(x / sqrt(1 - x²))`, or `π/2 - atan(sqrt(1 - x²) / x)` above 0.7 (which
/// loses accuracy as x nears 1, where `1 - x*x` cancels).
pub(crate) fn asin(x: f64) -> f64 {
    if x == 0.0 {
        return x;
    }
    let a = x.abs();
    if a > 1.0 {
        return f64::NAN;
    }
    let root = (1.0 - a * a).sqrt();
    let y = if a > 0.7 {
        FRAC_PI_2 - atan_positive(root / a)
    } else {
        atan_positive(a / root)
    };
    if x < 0.0 {
        -y
    } else {
        y
    }
}

/// Go's `Acos`: `π/2 - asin(x)`, which cancels as x nears 1.
pub(crate) fn acos(x: f64) -> f64 {
    FRAC_PI_2 - asin(x)
}

/// Go's `Atan2`: `atan(y/x)` moved to the quadrant, with C99's special cases.
pub(crate) fn atan2(y: f64, x: f64) -> f64 {
    if y.is_nan() || x.is_nan() {
        return f64::NAN;
    }
    if y == 0.0 {
        return if x >= 0.0 && x.is_sign_positive() {
            0.0f64.copysign(y)
        } else {
            PI.copysign(y)
        };
    }
    if x == 0.0 {
        return FRAC_PI_2.copysign(y);
    }
    if x.is_infinite() {
        return match (x > 0.0, y.is_infinite()) {
            (true, true) => FRAC_PI_4.copysign(y),
            (true, false) => 0.0f64.copysign(y),
            (false, true) => (3.0 * FRAC_PI_4).copysign(y),
            (false, false) => PI.copysign(y),
        };
    }
    if y.is_infinite() {
        return FRAC_PI_2.copysign(y);
    }
    let q = atan(y / x);
    if x < 0.0 {
        if q <= 0.0 {
            q + PI
        } else {
            q - PI
        }
    } else {
        q
    }
}

/// Go's `Sinh`: Hart & Cheney's rational approximation up to 0.5, `(e - 1/e)/2` with
/// `e = exp(|x|)` above (Go's [`exp`]), `e/2` above 21.
pub(crate) fn sinh(x: f64) -> f64 {
    const P: [f64; 4] = [
        -0.6307673640497716991184787251e+6,
        -0.8991272022039509355398013511e+5,
        -0.2894211355989563807284660366e+4,
        -0.2630563213397497062819489e+2,
    ];
    const Q: [f64; 3] = [
        -0.6307673640497716991212077277e+6,
        0.1521517378790019070696485176e+5,
        -0.173678953558233699533450911e+3,
    ];
    // Go negates only for x < 0, so -0 comes back as -0.
    let (a, negative) = if x < 0.0 { (-x, true) } else { (x, false) };
    let y = if a > 21.0 {
        exp(a) * 0.5
    } else if a > 0.5 {
        let e = exp(a);
        (e - 1.0 / e) * 0.5
    } else {
        let sq = a * a;
        let num = (((P[3] * sq + P[2]) * sq + P[1]) * sq + P[0]) * a;
        num / (((sq + Q[2]) * sq + Q[1]) * sq + Q[0])
    };
    if negative {
        -y
    } else {
        y
    }
}

/// Go's `Cosh`: `(e + 1/e)/2` with `e = exp(|x|)` (Go's [`exp`]), `e/2` above 21.
pub(crate) fn cosh(x: f64) -> f64 {
    let e = exp(x.abs());
    if x.abs() > 21.0 {
        e * 0.5
    } else {
        (e + 1.0 / e) * 0.5
    }
}

/// Go's `Tanh` (Cephes `tanh.c`): `x + x³ P(x²)/Q(x²)` below 0.625, `1 - 2/(e^2x + 1)`
/// above (with Go's [`exp`]), ±1 beyond ln(2^127)/2.
pub(crate) fn tanh(x: f64) -> f64 {
    const P: [f64; 3] = [
        -9.64399179425052238628e-1,
        -9.92877231001918586564e1,
        -1.61468768441708447952e3,
    ];
    const Q: [f64; 3] = [
        1.12811678491632931402e2,
        2.23548839060100448583e3,
        4.84406305325125486048e3,
    ];
    /// ln(2^127).
    const MAXLOG: f64 = 8.8029691931113054295988e+01;
    let z = x.abs();
    if z > 0.5 * MAXLOG {
        return if x < 0.0 { -1.0 } else { 1.0 };
    }
    if z >= 0.625 {
        let s = exp(2.0 * z);
        let t = 1.0 - 2.0 / (s + 1.0);
        return if x < 0.0 { -t } else { t };
    }
    if x == 0.0 {
        return x;
    }
    let s = x * x;
    x + x * s * ((P[0] * s + P[1]) * s + P[2]) / (((s + Q[0]) * s + Q[1]) * s + Q[2])
}

/// Go's `Asinh` (FreeBSD's `s_asinh.c` with Go's [`log`] and [`log1p`]).
pub(crate) fn asinh(x: f64) -> f64 {
    /// 2^-28.
    const NEAR_ZERO: f64 = 1.0 / (1u64 << 28) as f64;
    /// 2^28.
    const LARGE: f64 = (1u64 << 28) as f64;
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    // Go negates only for x < 0, so -0 comes back as -0.
    let (a, negative) = if x < 0.0 { (-x, true) } else { (x, false) };
    let y = if a > LARGE {
        log(a) + LN_2
    } else if a > 2.0 {
        log(2.0 * a + 1.0 / ((a * a + 1.0).sqrt() + a))
    } else if a < NEAR_ZERO {
        a
    } else {
        log1p(a + a * a / (1.0 + (1.0 + a * a).sqrt()))
    };
    if negative {
        -y
    } else {
        y
    }
}

/// Go's `Acosh` (FreeBSD's `e_acosh.c` with Go's [`log`] and [`log1p`]).
pub(crate) fn acosh(x: f64) -> f64 {
    /// 2^28.
    const LARGE: f64 = (1u64 << 28) as f64;
    if x < 1.0 || x.is_nan() {
        f64::NAN
    } else if x == 1.0 {
        0.0
    } else if x >= LARGE {
        log(x) + LN_2
    } else if x > 2.0 {
        log(2.0 * x - 1.0 / (x + (x * x - 1.0).sqrt()))
    } else {
        let t = x - 1.0;
        log1p(t + (2.0 * t + t * t).sqrt())
    }
}

/// Go's `Atanh` (FreeBSD's `e_atanh.c` with Go's [`log1p`]).
pub(crate) fn atanh(x: f64) -> f64 {
    /// 2^-28.
    const NEAR_ZERO: f64 = 1.0 / (1u64 << 28) as f64;
    if !(-1.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 1.0 || x == -1.0 {
        return f64::INFINITY.copysign(x);
    }
    // Go negates only for x < 0, so -0 comes back as -0.
    let (a, negative) = if x < 0.0 { (-x, true) } else { (x, false) };
    let y = if a < NEAR_ZERO {
        a
    } else if a < 0.5 {
        let twice = a + a;
        0.5 * log1p(twice + twice * a / (1.0 - a))
    } else {
        0.5 * log1p((a + a) / (1.0 - a))
    };
    if negative {
        -y
    } else {
        y
    }
}

/// Whether `x` is an odd integer (Go's `isOddInt` on amd64, where integers of 2^63 and more
/// convert to an even value).
fn is_odd_int(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() < 9.223_372_036_854_775_808e18 && (x as i64) & 1 == 1
}

/// Go's `Pow` (PromQL's `^`): C99's special cases, `sqrt` for ±0.5, otherwise the fraction
/// of `y` (folded into [-0.5, 0.5]) through `exp(yf * log(x))` and the integer part by
/// repeated squaring of `x`'s `frexp` fraction, whose rounding errors grow with the exponent.
pub(crate) fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        return match (y < 0.0, is_odd_int(y)) {
            (true, true) => f64::INFINITY.copysign(x),
            (true, false) => f64::INFINITY,
            (false, true) => x,
            (false, false) => 0.0,
        };
    }
    if y.is_infinite() {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            // Pow(-0, -y).
            return pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let mut yi = y.abs().trunc();
    let mut yf = y.abs() - yi;
    if yf != 0.0 && x < 0.0 {
        return f64::NAN;
    }
    if yi >= 9.223_372_036_854_775_808e18 {
        // A huge even integer: overflow or underflow for every x but -1.
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    // The result is a1 * 2^ae.
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = exp(yf * log(x));
    }
    let (mut x1, mut xe) = frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            // The exponent is past any float64's: the final ldexp under- or overflows.
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// PromQL's `deg`: `v * 180 / math.Pi`, rounded twice (not one multiplication by 180/π).
pub(crate) fn deg(v: f64) -> f64 {
    v * 180.0 / PI
}

/// PromQL's `rad`: `v * math.Pi / 180`, rounded twice (not one multiplication by π/180).
pub(crate) fn rad(v: f64) -> f64 {
    v * PI / 180.0
}

#[cfg(test)]
mod tests {
    //! Fixed vectors measured against the reference: Debian's Prometheus 2.42 (Go 1.19.8,
    //! linux/amd64, on a CPU with FMA), queried as e.g. `log2(vector(X))` or
    //! `vector(X) ^ (Y)`. Each row is the input's bits and the bits Prometheus returned: special
    //! values, then for each region (near 0, subnormal, near 1, near 0.5 and 2, large, huge)
    //! the inputs where Rust's std differs most, a typical 1-ulp difference, and one where they
    //! agree.

    use super::*;

    /// Bit-identical, except that any NaN equals any NaN (Prometheus prints every NaN alike).
    fn same(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
    }

    fn check(name: &str, f: fn(f64) -> f64, cases: &[(u64, u64)]) {
        for &(x, want) in cases {
            let (x, want) = (f64::from_bits(x), f64::from_bits(want));
            let got = f(x);
            assert!(
                same(got, want),
                "{name}({x:?}) = {got:?}, Prometheus gives {want:?}"
            );
        }
    }

    fn check2(name: &str, f: fn(f64, f64) -> f64, cases: &[(u64, u64, u64)]) {
        for &(x, y, want) in cases {
            let (x, y, want) = (f64::from_bits(x), f64::from_bits(y), f64::from_bits(want));
            let got = f(x, y);
            assert!(
                same(got, want),
                "{name}({x:?}, {y:?}) = {got:?}, Prometheus gives {want:?}"
            );
        }
    }

    #[test]
    fn logarithms() {
        check("ln", log, LN);
        check("log2", log2, LOG2);
        check("log10", log10, LOG10);
    }

    #[test]
    fn exponential() {
        check("exp", exp, EXP);
    }

    #[test]
    fn trigonometric() {
        check("sin", sin, SIN);
        check("cos", cos, COS);
        check("tan", tan, TAN);
    }

    #[test]
    fn inverse_trigonometric() {
        check("asin", asin, ASIN);
        check("acos", acos, ACOS);
        check("atan", atan, ATAN);
        check2("atan2", atan2, ATAN2);
    }

    #[test]
    fn hyperbolic() {
        check("sinh", sinh, SINH);
        check("cosh", cosh, COSH);
        check("tanh", tanh, TANH);
        check("asinh", asinh, ASINH);
        check("acosh", acosh, ACOSH);
        check("atanh", atanh, ATANH);
    }

    #[test]
    fn angles() {
        check("deg", deg, DEG);
        check("rad", rad, RAD);
    }

    #[test]
    fn power() {
        check2("pow", pow, POW);
    }

    /// Go's `Mod` is exact, so Rust's `%` (fmod) is used as is; this pins that down.
    #[test]
    fn modulo_is_rusts_remainder() {
        check2("mod", |x, y| x % y, MOD);
    }

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

    /// `ln`
    const LN: &[(u64, u64)] = &[
        (0x0000000000000000, 0xfff0000000000000), // 0.0 -> -inf
        (0x8000000000000000, 0xfff0000000000000), // -0.0 -> -inf
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0xc08628b76e3a7b61), // 5e-324 -> -709.0895657128241
        (0x8000000000000001, 0x7ff8000000000000), // -5e-324 -> NaN
        (0x0010000000000000, 0xc086232bdd7abcd2), // 2.2250738585072014e-308 -> -708.3964185322641
        (0x7fefffffffffffff, 0x40862e42fefa39ef), // 1.7976931348623157e308 -> 709.782712893384
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x0000000000000000), // 1.0 -> 0.0
        (0xbff0000000000000, 0x7ff8000000000000), // -1.0 -> NaN
        (0x3fe0000000000000, 0xbfe62e42fefa39ef), // 0.5 -> -0.6931471805599453
        (0x4000000000000000, 0x3fe62e42fefa39ef), // 2.0 -> 0.6931471805599453
        (0x3ff000000006df38, 0x3ddb7cdffffa18d8), // 1.0000000001 -> 1.000000082690371e-10
        (0x0000000000002710, 0xc08628b76e3a7b4d), // 4.9407e-320 -> -709.0895657128218
        (0x401db1ce3f5ad04c, 0x400009900bf4e610), // 7.423638334195925 -> 2.0046692785370013
        (0x4005d988449d9314, 0x3ff01371e13bbf7e), // 2.7312169418895653 -> 1.0047472761325191
        (0x4084c84533744f08, 0x4019ffd57e587dd4), // 665.0337895475977 -> 6.499837850714773
        (0x4024000000000000, 0x40026bb1bbb55516), // 10.0 -> 2.302585092994046
        (0xcd613e30d8f16adf, 0x7ff8000000000000), // -5.674664918136216e64 -> NaN
        (0x3fe282ef265efff0, 0xbfe183db5ea63ba0), // 0.5784831761775404 -> -0.5473458145732941
        (0x3fd514fdc93cdfa0, 0xbff1c4757ce189c4), // 0.3294062104428068 -> -1.1104636076130285
        (0x3fea65f1ca573d79, 0xbfc8a1d9cbee073e), // 0.8249443962067026 -> -0.19243929345616978
        (0x3fb999999999999a, 0xc0026bb1bbb55515), // 0.1 -> -2.3025850929940455
        (0x3fdffffffbb1ea99, 0xbfe62e4303484f56), // 0.4999999959906432 -> -0.6931471885786589
        (0xbfe0000000000000, 0x7ff8000000000000), // -0.5 -> NaN
        (0x3ff00345be253c35, 0x3f4a2b442a0b7044), // 1.000798933749832 -> 0.0007986147721470512
        (0x3feffffffd2fcb39, 0xbe3681a638fd451d), // 0.9999999947598105 -> -5.2401895182704305e-9
        (0x0000000000000005, 0xc08628b76e3a7b61), // 2.5e-323 -> -709.0895657128241
        (0x0000000000000009, 0xc08628b76e3a7b61), // 4.4e-323 -> -709.0895657128241
        (0x00076fbbbc85e5de, 0xc08625a9b3544d68), // 1.0341668213820315e-308 -> -708.7078615747569
        (0x800ad61180c6bcbd, 0x7ff8000000000000), // -1.506959720340515e-308 -> NaN
        (0x3cd228ce03ddca1e, 0xc04143efefad6824), // 1.008048841122389e-15 -> -34.53075977294091
        (0x3915ab9707ce3b13, 0xc052fc5771a87cf6), // 1.043385705922097e-33 -> -75.94283715680999
        (0x133e6153296259c8, 0xc07efa6f5405ae80), // 5.5079932067900084e-216 -> -495.65217973918334
        (0x8010000000000000, 0x7ff8000000000000), // -2.2250738585072014e-308 -> NaN
    ];
    /// `log2`
    const LOG2: &[(u64, u64)] = &[
        (0x0000000000000000, 0xfff0000000000000), // 0.0 -> -inf
        (0x8000000000000000, 0xfff0000000000000), // -0.0 -> -inf
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0xc090c80000000000), // 5e-324 -> -1074.0
        (0x8000000000000001, 0x7ff8000000000000), // -5e-324 -> NaN
        (0x0010000000000000, 0xc08ff00000000000), // 2.2250738585072014e-308 -> -1022.0
        (0x7fefffffffffffff, 0x4090000000000000), // 1.7976931348623157e308 -> 1024.0
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x0000000000000000), // 1.0 -> 0.0
        (0xbff0000000000000, 0x7ff8000000000000), // -1.0 -> NaN
        (0x3fe0000000000000, 0xbff0000000000000), // 0.5 -> -1.0
        (0x4000000000000000, 0x3ff0000000000000), // 2.0 -> 1.0
        (0x3ff000000006df38, 0x3de3d40900000000), // 1.0000000001 -> 1.442695962694529e-10
        (0x4090000000000000, 0x4024000000000000), // 1024.0 -> 10.0
        (0x3fe8000000000000, 0xbfda8ff971810a5d), // 0.75 -> -0.41503749927884376
        (0x3ff004a5ed9c7ad2, 0x3f5aceebaacace00), // 1.001134803933088 -> 0.0016362477719383817
        (0x3ff004dbec405d71, 0x3f5c06269e3be600), // 1.0011862972804375 -> 0.0017104508523843043
        (0x4000d070684c5721, 0x3ff125500af7372a), // 2.1017769001290536 -> 1.0716095379206743
        (0x4024000000000000, 0x400a934f0979a371), // 10.0 -> 3.321928094887362
        (0x61a4b10d1d104715, 0x4080daf7c1152df6), // 2.3272438305974334e162 -> 539.370973744836
        (0x54d0955e27cbcf10, 0x4074e0d3a7f05716), // 3.627220228912934e100 -> 334.0516738308228
        (0x6ee928066e3d99a4, 0x40877d3909bc4c46), // 1.862320213226552e226 -> 751.6528506003167
        (0xe80dfab7c4497c24, 0x7ff8000000000000), // -1.7097384959360931e193 -> NaN
        (0x3feae21d56e99576, 0xbfd016582ee67992), // 0.8401018807896168 -> -0.2513637979517621
        (0x3fed4eb5f66d85ba, 0xbfc03b1b1a0e24da), // 0.9158582509082216 -> -0.12680376789311404
        (0x3fefb53159ae1382, 0xbf8b1ade03b59250), // 0.9908682586252413 -> -0.013234838951299427
        (0x3fb999999999999a, 0xc00a934f0979a371), // 0.1 -> -3.321928094887362
        (0x4000000000000001, 0x3ff0000000000002), // 2.0000000000000004 -> 1.0000000000000004
        (0x4000000000000005, 0x3ff0000000000008), // 2.000000000000002 -> 1.0000000000000018
        (0x3fe00011330fb844, 0xbfefffce5f8df2b2), // 0.5000082013409686 -> -0.9999763361261869
        (0xbfe0000000000000, 0x7ff8000000000000), // -0.5 -> NaN
        (0x3ff0000000000008, 0x3ce8000000000000), // 1.0000000000000018 -> 2.6645352591003757e-15
        (0x3ff0000000000007, 0x3ce5000000000000), // 1.0000000000000016 -> 2.3314683517128287e-15
        (0x3ff00000030e7b02, 0x3e51a385de000000), // 1.00000001138659 -> 1.642737668117178e-8
        (0x3fefffffffeab67a, 0xbdeeb6001cc6d8bf), // 0.9999999998451152 -> -2.2345149202176e-10
        (0x000014d13847f2e7, 0xc090167b2da8dc4e), // 1.1308582086271e-310 -> -1029.6202913650955
        (0x0002225c9bb5dbee, 0xc09003a009c89b63), // 2.968005979813012e-309 -> -1024.9062873215523
        (0x3cb4efdfd3ecbdee, 0xc049ce568eda2054), // 2.9055936950436397e-16 -> -51.61201654101083
        (0x3e12bc788ca959e6, 0xc03dc5b1adc102dc), // 1.0905912168538145e-9 -> -29.772242412206523
        (0x8010000000000000, 0x7ff8000000000000), // -2.2250738585072014e-308 -> NaN
    ];
    /// `log10`
    const LOG10: &[(u64, u64)] = &[
        (0x0000000000000000, 0xfff0000000000000), // 0.0 -> -inf
        (0x8000000000000000, 0xfff0000000000000), // -0.0 -> -inf
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0xc0733f424bcb5221), // 5e-324 -> -307.9536855642528
        (0x8000000000000001, 0x7ff8000000000000), // -5e-324 -> NaN
        (0x0010000000000000, 0xc0733a7146f72a42), // 2.2250738585072014e-308 -> -307.6526555685888
        (0x7fefffffffffffff, 0x40734413509f79ff), // 1.7976931348623157e308 -> 308.25471555991675
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x0000000000000000), // 1.0 -> 0.0
        (0xbff0000000000000, 0x7ff8000000000000), // -1.0 -> NaN
        (0x3fe0000000000000, 0xbfd34413509f79ff), // 0.5 -> -0.3010299956639812
        (0x4000000000000000, 0x3fd34413509f79ff), // 2.0 -> 0.3010299956639812
        (0x408f400000000000, 0x4008000000000000), // 1000.0 -> 3.0
        (0x01a56e1fc2f8f359, 0xc072c00000000000), // 1e-300 -> -300.0
        (0x3ff000000006df38, 0x3dc7e026e7233b79), // 1.0000000001 -> 4.342945178152237e-11
        (0x3ff493e3239ea2e6, 0x3fbbf98bd9477fe4), // 1.286105288638447 -> 0.10927652411146443
        (0x3ffae0d7bfd1e0e4, 0x3fccd607c16151cf), // 1.6798932545626082 -> 0.22528168623342856
        (0x40846e3a32dd303a, 0x4006860077b77c6f), // 653.7784173279135 -> 2.8154305794592385
        (0x4024000000000000, 0x3ff0000000000000), // 10.0 -> 1.0
        (0x6f52ad6a6abd3bb6, 0x406c87ef11bf950d), // 1.769836990217042e228 -> 228.2479332677689
        (0x75237ab8d0cd0b9d, 0x40700431138743aa), // 1.8280224050519183e256 -> 256.26198151433584
        (0x4a5266249b224720, 0x4049040d382a8a0b), // 1.0756065148590357e50 -> 50.03165342404471
        (0xfb274a14034cf2b1, 0x7ff8000000000000), // -1.7315841907091585e285 -> NaN
        (0x3fec319a356755d0, 0xbfac2890c9f77e76), // 0.8810549777069188 -> -0.05499699082770075
        (0x3fef006a39b95aea, 0xbf8c3120885cc6f0), // 0.9688006522581791 -> -0.013765577470255391
        (0x3fa2d36c5b60a2e6, 0xbff6f3c5d9884b59), // 0.03676928153465102 -> -1.4345148560866703
        (0x3fe921fb54442d18, 0xbfbadb63b88d410d), // 0.7853981633974483 -> -0.10491011863382856
        (0x3fdfffffffffffff, 0xbfd34413509f79ff), // 0.49999999999999994 -> -0.3010299956639812
        (0x3fdffffffffffffe, 0xbfd34413509f7a00), // 0.4999999999999999 -> -0.30102999566398125
        (0x3fdfffffffcd3389, 0xbfd3441350cb9987), // 0.49999999981519544 -> -0.30102999582450035
        (0xbfe0000000000000, 0x7ff8000000000000), // -0.5 -> NaN
        (0x3feffffffff72892, 0xbdbeb7f5cedffb96), // 0.9999999999356695 -> -2.7938398929133824e-11
        (0x0000000000000002, 0xc0733f424bcb5221), // 1e-323 -> -307.9536855642528
        (0x0000000000000003, 0xc0733f424bcb5221), // 1.5e-323 -> -307.9536855642528
        (0x0007381d197979c0, 0xc0733cabdc93ef65), // 1.0039524937935367e-308 -> -307.79195840632593
        (0x800f4f7a01f1e932, 0x7ff8000000000000), // -2.1291808848353813e-308 -> NaN
        (0x10c3de10be92561b, 0xc06c65e040fa0544), // 6.552020788827139e-228 -> -227.18362473327772
        (0x0c5cea7bd3b107eb, 0xc06f0c99ac475bb0), // 4.038695339900809e-249 -> -248.39375890671863
        (0x2bf25f3838ea03d5, 0xc0581140866f3e70), // 5.375720722309e-97 -> -96.26956330169355
        (0x8010000000000000, 0x7ff8000000000000), // -2.2250738585072014e-308 -> NaN
    ];
    /// `exp`
    const EXP: &[(u64, u64)] = &[
        (0x0000000000000000, 0x3ff0000000000000), // 0.0 -> 1.0
        (0x8000000000000000, 0x3ff0000000000000), // -0.0 -> 1.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x0000000000000000), // -inf -> 0.0
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x3ff0000000000000), // 5e-324 -> 1.0
        (0x8000000000000001, 0x3ff0000000000000), // -5e-324 -> 1.0
        (0x0010000000000000, 0x3ff0000000000000), // 2.2250738585072014e-308 -> 1.0
        (0x7fefffffffffffff, 0x7ff0000000000000), // 1.7976931348623157e308 -> inf
        (0xffefffffffffffff, 0x0000000000000000), // -1.7976931348623157e308 -> 0.0
        (0x3ff0000000000000, 0x4005bf0a8b145769), // 1.0 -> 2.718281828459045
        (0xbff0000000000000, 0x3fd78b56362cef38), // -1.0 -> 0.36787944117144233
        (0x3fe0000000000000, 0x3ffa61298e1e069c), // 0.5 -> 1.6487212707001282
        (0x4000000000000000, 0x401d8e64b8d4ddae), // 2.0 -> 7.38905609893065
        (0x40862b70a3d70a3d, 0x7fe67d2a40c95257), // 709.43 -> 1.2633808701860083e308
        (0x40862b7ced916873, 0x7fe69fcfd73b0c55), // 709.436 -> 1.270983941812912e308
        (0x40862b7ef9db22d1, 0x7ff0000000000000), // 709.437 -> inf
        (0x40862e3d70a3d70a, 0x7ff0000000000000), // 709.78 -> inf
        (0x40862e42fefa39f0, 0x7ff0000000000000), // 709.7827128933841 -> inf
        (0x40862e51eb851eb8, 0x7ff0000000000000), // 709.79 -> inf
        (0xc086231eb851eb85, 0x00101a5ff6ed496b), // -708.39 -> 2.2394014988804677e-308
        (0xc086233333333333, 0x000ff15b469edf89), // -708.4 -> 2.217119081664265e-308
        (0xc08628cccccccccd, 0x0007eabddec4fd38), // -709.1 -> 1.10098875270993e-308
        (0xc087200000000000, 0x0000000000000055), // -740.0 -> 4.2e-322
        (0xc08748cccccccccd, 0x0000000000000001), // -745.1 -> 5e-324
        (0xc087490a3d70a3d7, 0x0000000000000001), // -745.13 -> 5e-324
        (0xc087491eb851eb85, 0x0000000000000000), // -745.14 -> 0.0
        (0xc087500000000000, 0x0000000000000000), // -746.0 -> 0.0
        (0x01a56e1fc2f8f359, 0x3ff0000000000000), // 1e-300 -> 1.0
        (0x81a56e1fc2f8f359, 0x3ff0000000000000), // -1e-300 -> 1.0
        (0x7e37e43c8800759c, 0x7ff0000000000000), // 1e300 -> inf
        (0xfe37e43c8800759c, 0x0000000000000000), // -1e300 -> 0.0
        (0x40562ccccccccccd, 0x47ef4705bbffae5c), // 88.7 -> 3.325986980250579e38
        (0x3fe62e42fefa39ef, 0x4000000000000000), // 0.6931471805599453 -> 2.0
        (0x40862c93160aadce, 0x7ff0000000000000), // 709.5718193849841 -> inf
        (0x40862d19655f26b7, 0x7ff0000000000000), // 709.6374003823938 -> inf
        (0x402f1f8bc9f20af8, 0x4155dddee6b679cc), // 15.56161337928414 -> 5732219.604887437
        (0x4008000000000000, 0x403415e5bf6fb106), // 3.0 -> 20.085536923187668
        (0x4445844ffc9009d1, 0x7ff0000000000000), // 7.938314843592748e20 -> inf
        (0x3faa20effa8a3740, 0x3ff0d6747082da04), // 0.051032542546734394 -> 1.0523571391073583
        (0xbfe4468e95385ef0, 0x3fe0fb41e348e232), // -0.633612910695744 -> 0.5306710662035299
        (0xbfd6e22f15c2bd5c, 0x3fe6615aca09a554), // -0.3575551712519507 -> 0.699384111981241
        (0x3fb999999999999a, 0x3ff1aec7b35a00d4), // 0.1 -> 1.1051709180756477
        (0xc00001e2d3293b0f, 0x3fc14e95a10c83cb), // -2.000920915313493 -> 0.13521070827212464
        (0xc00001aa2a0aa269, 0x3fc14f1036b44e7b), // -2.0008128437514654 -> 0.13522532149419306
        (0x3fdffe4877daa914, 0x3ffa607465f532ab), // 0.4998952074480638 -> 1.6485485060431226
        (0xbfe0000000000000, 0x3fe368b2fc6f960a), // -0.5 -> 0.6065306597126334
        (0x3feff876825efd36, 0x4005b9ebebe02d92), // 0.9990799471196741 -> 2.71578201558959
        (0x3feff89c1205e90a, 0x4005ba056c7018b5), // 0.9990978576672955 -> 2.7158306571683064
        (0x3ff0000d05b10170, 0x4005bf1c3e1062ea), // 1.0000124189683355 -> 2.7183155869246223
        (0x3ff000000004861f, 0x4005bf0a8b1a7d76), // 1.0000000000658316 -> 2.718281828637994
        (0x000686b7189c868b, 0x3ff0000000000000), // 9.0758416978848e-309 -> 1.0
        (0x8010000000000000, 0x3ff0000000000000), // -2.2250738585072014e-308 -> 1.0
    ];
    /// `sin`
    const SIN: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x3f7452fc98b34eb0), // 1.7976931348623157e308 -> 0.004961954789184084
        (0xffefffffffffffff, 0xbf7452fc98b34eb0), // -1.7976931348623157e308 -> -0.004961954789184084
        (0x3ff0000000000000, 0x3feaed548f090cee), // 1.0 -> 0.8414709848078965
        (0xbff0000000000000, 0xbfeaed548f090cee), // -1.0 -> -0.8414709848078965
        (0x3fe0000000000000, 0x3fdeaee8744b05f0), // 0.5 -> 0.479425538604203
        (0x4000000000000000, 0x3fed18f6ead1b445), // 2.0 -> 0.9092974268256816
        (0x41bfffffffc00000, 0x3fe19bb0d17ce539), // 536870911.75 -> 0.5502552119789136
        (0x41c0000000000000, 0x3fd4e67c0e2622df), // 536870912.0 -> 0.3265676630185634
        (0x41c0000000800000, 0xbfe3cdf4af50b48c), // 536870913.0 -> -0.6188910888792107
        (0x4480f0cf064dd592, 0xbfeb453ab76bf398), // 1e22 -> -0.8522008497671889
        (0x01a56e1fc2f8f359, 0x01a56e1fc2f8f359), // 1e-300 -> 1e-300
        (0x4002d97c7f3321d2, 0x3fe6a09e667f3bcd), // 2.356194490192345 -> 0.7071067811865476
        (0x4120000100000000, 0x3fe3d4ebb04eb632), // 524288.5 -> 0.619741291380427
        (0x41c6277f9ca2235f, 0xbdf0ccfd9cbcebad), // 743374649.2667044 -> -2.4448301433503954e-10
        (0x41c0bbe49ce2df01, 0xbe15eb64821e4778), // 561498425.7724305 -> -1.2758829621924082e-9
        (0xc1825cc672ccdba6, 0x3fc79736045cb359), // -38508750.35002832 -> 0.18430209362977726
        (0x4008000000000000, 0x3fc210386db6d55b), // 3.0 -> 0.1411200080598672
        (0x5fcd43d52f063382, 0xbf2df113cdeb0d0d), // 3.065461869474256e153 -> -0.00022843710663354063
        (0x432a54e8cba4dc80, 0xbf60925d7fe5079b), // 3705854110101056.0 -> -0.0020229173816525676
        (0xd51d82bb15acf0ad, 0x3fe78a88da7aaffd), // -1.0327556510456716e102 -> 0.7356609599278269
        (0x7ad80c31da15bcd6, 0x3fefe6a02975cc59), // 5.587381385060367e283 -> 0.9969025430458586
        (0xbfe166795bf24938, 0xbfe08e2f3f135dda), // -0.5437590404347139 -> -0.5173565132089906
        (0xbfe237cb090643b0, 0xbfe13fe91afeb62d), // -0.5693106819400011 -> -0.5390515830274062
        (0xbfef3f6be87cca8b, 0xbfea83627807ba5d), // -0.9764918843050777 -> -0.8285381645526503
        (0x3fb999999999999a, 0x3fb98eaecb8bcb2c), // 0.1 -> 0.09983341664682815
        (0x400001f80e18dc13, 0x3fed15aefe0e8792), // 2.0009614087425773 -> 0.9088969194456118
        (0xc00001e511b4f074, 0xbfed15cea945f1bb), // -2.00092519601281 -> -0.9089120203130315
        (0xbfffffffffffd162, 0xbfed18f6ead1db13), // -1.9999999999973501 -> -0.9092974268267845
        (0xbfe0000000000000, 0xbfdeaee8744b05f0), // -0.5 -> -0.479425538604203
        (0x3feff8162f8844c7, 0x3feae90d2ef40bcb), // 0.9990340164532875 -> 0.8409486691529023
        (0xbfeff83ab6fec196, 0xbfeae920f319c7a2), // -0.9990514349101882 -> -0.8409580944119066
        (0xbfeffffffffffffa, 0xbfeaed548f090cea), // -0.9999999999999993 -> -0.8414709848078961
        (0x3feffffffff99c10, 0x3feaed548f059907), // 0.9999999999535039 -> 0.8414709847827745
        (0x0008cfecefa9afaf, 0x0008cfecefa9afaf), // 1.2254885077913943e-308 -> 1.2254885077913943e-308
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `cos`
    const COS: &[(u64, u64)] = &[
        (0x0000000000000000, 0x3ff0000000000000), // 0.0 -> 1.0
        (0x8000000000000000, 0x3ff0000000000000), // -0.0 -> 1.0
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x3ff0000000000000), // 5e-324 -> 1.0
        (0x8000000000000001, 0x3ff0000000000000), // -5e-324 -> 1.0
        (0x0010000000000000, 0x3ff0000000000000), // 2.2250738585072014e-308 -> 1.0
        (0x7fefffffffffffff, 0xbfefffe62ecfab75), // 1.7976931348623157e308 -> -0.9999876894265599
        (0xffefffffffffffff, 0xbfefffe62ecfab75), // -1.7976931348623157e308 -> -0.9999876894265599
        (0x3ff0000000000000, 0x3fe14a280fb5068c), // 1.0 -> 0.5403023058681398
        (0xbff0000000000000, 0x3fe14a280fb5068c), // -1.0 -> 0.5403023058681398
        (0x3fe0000000000000, 0x3fec1528065b7d50), // 0.5 -> 0.8775825618903728
        (0x4000000000000000, 0xbfdaa22657537205), // 2.0 -> -0.4161468365471424
        (0x41bfffffffc00000, 0xbfeab84aa37a52ea), // 536870911.75 -> -0.8349965279508897
        (0x41c0000000000000, 0xbfee3edd2dfeef90), // 536870912.0 -> -0.9451738260608966
        (0x41c0000000800000, 0xbfe922a043b37f85), // 536870913.0 -> -0.7854768106735582
        (0x4480f0cf064dd592, 0x3fe0be2cef01c8f3), // 1e22 -> 0.5232147853951389
        (0x01a56e1fc2f8f359, 0x3ff0000000000000), // 1e-300 -> 1.0
        (0x411d8dc3da6da038, 0xbd4ec9bd9af54000), // 484208.96330881445 -> -2.1876224847510047e-13
        (0x41c693e0bcd9d827, 0x3f233cfb28625c39), // 757580153.701909 -> 0.0001467758740474072
        (0xc003b38a0a2e6886, 0xbfe8e76627a714f8), // -2.4626656337177932 -> -0.7782469534364784
        (0x4008000000000000, 0xbfefae04be85e5d2), // 3.0 -> -0.9899924966004454
        (0x75cfaf0b591bd304, 0x3f445f84ae8467ea), // 3.0446900897474672e259 -> 0.0006217382297422057
        (0x778b8943a82f8f77, 0x3f67c87ee29a374a), // 7.103133717208661e267 -> 0.0029032209611789305
        (0xd22de9949a61d2a9, 0x3f982e687b53bb9f), // -7.438071694770084e87 -> 0.02361453297356386
        (0xfa2be0647b53cb31, 0xbfeff4d0d3530074), // -3.16260347461216e280 -> -0.9986347320009501
        (0xbfeff65bc1aec346, 0x3fe152443b37746a), // -0.9988230498184769 -> 0.541292300851308
        (0xbfeff4b38fe27de5, 0x3fe153a8e2aea3db), // -0.9986207781075193 -> 0.5414623668085555
        (0x3fe0ffb2f99a3f44, 0x3feb9715f4997ea4), // 0.5312132716225979 -> 0.8621930863700595
        (0x3fe921fb54442d18, 0x3fe6a09e667f3bcd), // 0.7853981633974483 -> 0.7071067811865476
        (0xbffffc270fb1eb78, 0xbfda942729aaff09), // -1.9990606892667682 -> -0.4152925402558912
        (0x3ffffc3cd27752ab, 0xbfda947658397e0a), // 1.999081442006324 -> -0.41531141868287647
        (0x3fe00000000a28d7, 0x3fec152806569e66), // 0.5000000000739203 -> 0.8775825618549333
        (0xbfe0000000000000, 0x3fec1528065b7d50), // -0.5 -> 0.8775825618903728
        (0xbff003a8282b3cbb, 0x3fe144001cbb40f5), // -1.0008927888009527 -> 0.5395508347665144
        (0xbff0035fb7d88ee8, 0x3fe1447a16f0179e), // -1.0008237058145202 -> 0.5396089981083951
        (0xbff000000000000c, 0x3fe14a280fb50678), // -1.0000000000000027 -> 0.5403023058681375
        (0x3ff0000000000003, 0x3fe14a280fb50687), // 1.0000000000000007 -> 0.5403023058681392
        (0x0008031c47f63d8a, 0x3ff0000000000000), // 1.114226634398518e-308 -> 1.0
        (0x8010000000000000, 0x3ff0000000000000), // -2.2250738585072014e-308 -> 1.0
    ];
    /// `tan`
    const TAN: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0xbf74530cfe72949d), // 1.7976931348623157e308 -> -0.004962015874444917
        (0xffefffffffffffff, 0x3f74530cfe72949d), // -1.7976931348623157e308 -> 0.004962015874444917
        (0x3ff0000000000000, 0x3ff8eb245cbee3a5), // 1.0 -> 1.557407724654902
        (0xbff0000000000000, 0xbff8eb245cbee3a5), // -1.0 -> -1.557407724654902
        (0x3fe0000000000000, 0x3fe17b4f5bf3474a), // 0.5 -> 0.5463024898437905
        (0x4000000000000000, 0xc0017af62e0950f8), // 2.0 -> -2.185039863261519
        (0x41bfffffffc00000, 0xbfe5167454d50dc2), // 536870911.75 -> -0.6589910179977141
        (0x41c0000000000000, 0xbfd61cd8e0ffa035), // 536870912.0 -> -0.3455106923343039
        (0x4480f0cf064dd592, 0xbffa0f79c1b6b259), // 1e22 -> -1.6287782256068992
        (0x3ff921fb54442d16, 0x431c1f559a01adce), // 1.5707963267948961 -> 1978937966095219.5
        (0x3e45798ee2308c3a, 0x3e45798ee2308c3a), // 1e-8 -> 1e-8
        (0x01a56e1fc2f8f359, 0x01a56e1fc2f8f359), // 1e-300 -> 1e-300
        (0x4200d6d68a7b5a21, 0xbe255f665929adfe), // 9040482639.419008 -> -2.488104563788751e-9
        (0x41c3354a0d5132a3, 0xbe30fc0b9b853698), // 644518938.6343578 -> -3.954524201437774e-9
        (0x401b67486b4cb4dc, 0x3fe468012f2ebd70), // 6.850862194592278 -> 0.6376958772215584
        (0x4008000000000000, 0xbfc23ef71254b86f), // 3.0 -> -0.1425465430742778
        (0x4b7a721e1d4550e0, 0xbf13bf11bd3be690), // 4.0528027677545334e55 -> -7.532640239196254e-5
        (0xfcffbee8ad1719b6, 0x3f3540e13b8ec87a), // -1.26718846538032e294 -> 0.00032430170864040204
        (0x7491eadfa027d1b7, 0x40233fdeec337605), // 3.2840757631876816e253 -> 9.624747639924871
        (0x7af61ccc5e2cb859, 0x3fe77b3e3462d013), // 2.0551032239780634e284 -> 0.733794309917814
        (0xbe73321af1a7f8cc, 0xbe73321af1a7f8cc), // -7.150964301952724e-8 -> -7.150964301952724e-8
        (0xbe7343b81530e1e8, 0xbe7343b81530e1e8), // -7.17659578854828e-8 -> -7.17659578854828e-8
        (0x3fef2aa2c84b7be4, 0x3ff78bdeb559019b), // 0.9739545738228768 -> 1.471647938145998
        (0x3fb999999999999a, 0x3fb9af8877430b80), // 0.1 -> 0.10033467208545055
        (0x400001c4e9cd6dd3, 0xc00170c3cde7b8f8), // 2.000863863546081 -> -2.180060967096434
        (0xc00001b646068912, 0x4001711806ed08c4), // -2.0008359404320197 -> 2.1802216092192754
        (0xbffffffffffede82, 0x40017af62e0c94ca), // -1.9999999999835443 -> 2.1850398633565407
        (0xbfe0000000000000, 0xbfe17b4f5bf3474a), // -0.5 -> -0.5463024898437905
        (0x3feff9c37932a717, 0x3ff8e0792252a344), // 0.9992387168069595 -> 1.554803022454693
        (0x3feffa3811f85c32, 0x3ff8e1406183d3e0), // 0.9992943144778847 -> 1.5549930390527535
        (0xbfefffffffffff99, 0xbff8eb245cbee2f4), // -0.9999999999999886 -> -1.5574077246548628
        (0x3ff000000ba40a3c, 0x3ff8eb24849f12ae), // 1.0000000433652891 -> 1.5574078732035264
        (0x000980d9d199eec8, 0x000980d9d199eec8), // 1.321599813970118e-308 -> 1.321599813970118e-308
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `asin`
    const ASIN: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x7ff8000000000000), // 1.7976931348623157e308 -> NaN
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x3ff921fb54442d18), // 1.0 -> 1.5707963267948966
        (0xbff0000000000000, 0xbff921fb54442d18), // -1.0 -> -1.5707963267948966
        (0x3fe0000000000000, 0x3fe0c152382d7366), // 0.5 -> 0.5235987755982989
        (0x4000000000000000, 0x7ff8000000000000), // 2.0 -> NaN
        (0x3fe6666666666666, 0x3fe8d00e692afd95), // 0.7 -> 0.775397496610753
        (0x3fe6666666666667, 0x3fe8d00e692afd96), // 0.7000000000000001 -> 0.7753974966107531
        (0x01a56e1fc2f8f359, 0x01a56e1fc2f8f359), // 1e-300 -> 1e-300
        (0x4008000000000000, 0x7ff8000000000000), // 3.0 -> NaN
        (0xe5239c188fe6ca3d, 0x7ff8000000000000), // -1.5892766024948033e179 -> NaN
        (0xbfeff334f6054b44, 0xbff83d0a45dfb3d8), // -0.9984383397189522 -> -1.5149023751684947
        (0xbfeff38bffdeffc1, 0xbff8401a861da91a), // -0.9984798428995348 -> -1.5156502951527444
        (0x3fb7c2cd70100540, 0x3fb7cb91fc81f762), // 0.09281620012190661 -> 0.09294998564470583
        (0x3fb999999999999a, 0x3fb9a49276037884), // 0.1 -> 0.1001674211615598
        (0xbfdff2176b777683, 0xbfe0b94b193a3d36), // -0.49915109152593845 -> -0.5226188175892392
        (0x3fdff482624b7e78, 0x3fe0bab045f6e9bb), // 0.49929866408454116 -> 0.5227891317838876
        (0xbfdfffffffffff74, 0xbfe0c152382d7314), // -0.49999999999999223 -> -0.5235987755982898
        (0xbfe0000000000000, 0xbfe0c152382d7366), // -0.5 -> -0.5235987755982989
        (0x3feffffffbfe8d11, 0x3ff9217b3d1758d5), // 0.9999999925388768 -> 1.5706741701483697
        (0x3feffffffc03a412, 0x3ff9217b8e928f69), // 0.9999999925759104 -> 1.570674473689872
        (0x3fefffc2320bd449, 0x3ff902890c0fe21f), // 0.9999705293145179 -> 1.5631189795659635
        (0x3ff000000157cdaf, 0x7ff8000000000000), // 1.0000000050029987 -> NaN
        (0x000bcce21feffbbc, 0x000bcce21feffbbc), // 1.6410372216906985e-308 -> 1.6410372216906985e-308
        (0x3e412845ea129ff1, 0x3e412845ea129ff2), // 7.989498231685072e-9 -> 7.989498231685074e-9
        (0x3e42ef9021b4ae58, 0x3e42ef9021b4ae59), // 8.817665756049733e-9 -> 8.817665756049734e-9
        (0xbe4397f1ec4dbc89, 0xbe4397f1ec4dbc8a), // -9.123950825519702e-9 -> -9.123950825519703e-9
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `acos`
    const ACOS: &[(u64, u64)] = &[
        (0x0000000000000000, 0x3ff921fb54442d18), // 0.0 -> 1.5707963267948966
        (0x8000000000000000, 0x3ff921fb54442d18), // -0.0 -> 1.5707963267948966
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x3ff921fb54442d18), // 5e-324 -> 1.5707963267948966
        (0x8000000000000001, 0x3ff921fb54442d18), // -5e-324 -> 1.5707963267948966
        (0x0010000000000000, 0x3ff921fb54442d18), // 2.2250738585072014e-308 -> 1.5707963267948966
        (0x7fefffffffffffff, 0x7ff8000000000000), // 1.7976931348623157e308 -> NaN
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x0000000000000000), // 1.0 -> 0.0
        (0xbff0000000000000, 0x400921fb54442d18), // -1.0 -> 3.141592653589793
        (0x3fe0000000000000, 0x3ff0c152382d7365), // 0.5 -> 1.0471975511965976
        (0x4000000000000000, 0x7ff8000000000000), // 2.0 -> NaN
        (0x3fe6666666666666, 0x3fe973e83f5d5c9b), // 0.7 -> 0.7953988301841436
        (0x3fe6666666666667, 0x3fe973e83f5d5c9a), // 0.7000000000000001 -> 0.7953988301841435
        (0x4008000000000000, 0x7ff8000000000000), // 3.0 -> NaN
        (0x7c88bca990375e2a, 0x7ff8000000000000), // 7.7142228994178e291 -> NaN
        (0x3feff79faa967f45, 0x3fa727cb78174fa0), // 0.9989775020403405 -> 0.0452254852386027
        (0x3feff7ce6f79a15d, 0x3fa6e6c88634d1e0), // 0.9989998032806785 -> 0.04472948683033784
        (0x3fcddcc458787f38, 0x3ff55d7f6d7495af), // 0.2332997734056279 -> 1.3353266025163568
        (0x3fb999999999999a, 0x3ff787b22ce3f590), // 0.1 -> 1.4706289056333368
        (0x3fe007a43573cb60, 0x3ff0bce8733da0a2), // 0.5009327930441536 -> 1.0461201192465883
        (0x3fe0078e829df5c7, 0x3ff0bcf4fc50391a), // 0.500922446357145 -> 1.0461320739737574
        (0x3fdffffffffffff9, 0x3ff0c152382d7367), // 0.4999999999999996 -> 1.047197551196598
        (0xbfe0000000000000, 0x4000c152382d7366), // -0.5 -> 2.0943951023931957
        (0x3feffffffffffffe, 0x3e56a09e68000000), // 0.9999999999999998 -> 2.107342433887993e-8
        (0x3feffffffffffff6, 0x3e694c583a000000), // 0.9999999999999989 -> 4.7121609059175285e-8
        (0x3fefff858a36cb80, 0x3f8621e7fdca6480), // 0.9999416064732571 -> 0.01080685847527918
        (0x3ff0000000000003, 0x7ff8000000000000), // 1.0000000000000007 -> NaN
        (0x80021429f55cd401, 0x3ff921fb54442d18), // -2.890878864125466e-309 -> 1.5707963267948966
        (0x3ddf2816ce1f1347, 0x3ff921fb543c6312), // 1.1334704314922958e-10 -> 1.5707963266815494
        (0x3dddc756cb766e3c, 0x3ff921fb543cbb42), // 1.0833416357191359e-10 -> 1.5707963266865623
        (0xbd2ece31af8538b7, 0x3ff921fb54442e0e), // -5.472146405781856e-14 -> 1.5707963267949512
        (0x8010000000000000, 0x3ff921fb54442d18), // -2.2250738585072014e-308 -> 1.5707963267948966
    ];
    /// `atan`
    const ATAN: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x3ff921fb54442d18), // inf -> 1.5707963267948966
        (0xfff0000000000000, 0xbff921fb54442d18), // -inf -> -1.5707963267948966
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x3ff921fb54442d18), // 1.7976931348623157e308 -> 1.5707963267948966
        (0xffefffffffffffff, 0xbff921fb54442d18), // -1.7976931348623157e308 -> -1.5707963267948966
        (0x3ff0000000000000, 0x3fe921fb54442d18), // 1.0 -> 0.7853981633974483
        (0xbff0000000000000, 0xbfe921fb54442d18), // -1.0 -> -0.7853981633974483
        (0x3fe0000000000000, 0x3fddac670561bb4f), // 0.5 -> 0.4636476090008061
        (0x4000000000000000, 0x3ff1b6e192ebbe44), // 2.0 -> 1.1071487177940904
        (0x3fe51eb851eb851f, 0x3fe2aafdde4d0c9f), // 0.66 -> 0.583373006993856
        (0x4003504f333f9de6, 0x3ff2d97c7f3321d2), // 2.414213562373095 -> 1.1780972450961724
        (0x4003504f333f9de7, 0x3ff2d97c7f3321d2), // 2.4142135623730954 -> 1.1780972450961724
        (0x7e37e43c8800759c, 0x3ff921fb54442d18), // 1e300 -> 1.5707963267948966
        (0x81a56e1fc2f8f359, 0x81a56e1fc2f8f359), // -1e-300 -> -1e-300
        (0x3ff8f6b55996b560, 0x3ff0035f485167a2), // 1.5602315425452034 -> 1.000823290340556
        (0x3ff9775f00536b80, 0x3ff0284ed083be9f), // 1.5916433346489782 -> 1.0098407883741982
        (0xc05cc6c35064aec8, 0xbff8fe65e079b827), // -115.10567102272319 -> -1.5621088760922335
        (0x4008000000000000, 0x3ff3fc176b7a8560), // 3.0 -> 1.2490457723982544
        (0x4310ff785111391f, 0x3ff921fb54442d14), // 1196122962153031.8 -> 1.5707963267948957
        (0x4319611a4a16b54a, 0x3ff921fb54442d15), // 1785909989453138.5 -> 1.570796326794896
        (0xc33dd6cd0c09d037, 0xbff921fb54442d17), // -8398950483218487.0 -> -1.5707963267948963
        (0x5c99e1f7e92ac0e3, 0x3ff921fb54442d18), // 1.204002605059788e138 -> 1.5707963267948966
        (0x3fe20e455bd6d217, 0x3fe07053c46d6bc2), // 0.5642420572026506 -> 0.5137118183587221
        (0x3fe3b373f48a9440, 0x3fe1a8c4eb7babfa), // 0.6156558777044054 -> 0.5518517112044485
        (0x3fef6cc7f408f5a8, 0x3fe8d7b4f7d17c42), // 0.9820289388950885 -> 0.7763314094735352
        (0x3fb999999999999a, 0x3fb983e282e2cc4d), // 0.1 -> 0.09966865249116204
        (0x3ffffc7f543804a9, 0x3ff1b62e2da7fdce), // 1.9991448678777408 -> 1.106977632851215
        (0xbffffcf591e23fee, 0xbff1b645d77599d0), // -1.9992576311669796 -> -1.1070001999265635
        (0xc000003323cde34e, 0xbff1b6f6077031ce), // -2.000097541542721 -> -1.1071682253415136
        (0xbfe0000000000000, 0xbfddac670561bb4f), // -0.5 -> -0.4636476090008061
        (0xbfeff87734a29713, 0xbfe91e367d041ff1), // -0.9990802791623729 -> -0.7849380914421983
        (0xbfeff8cf961b8a2f, 0xbfe91e62b7ec4fcb), // -0.9991224223888987 -> -0.7849591819999601
        (0x3fefffffffff9ae7, 0x3fe921fb5443fa8b), // 0.9999999999971266 -> 0.7853981633960115
        (0x3feffa463e08ffa1, 0x3fe91f1e31b408b6), // 0.9993010722755465 -> 0.7850485773817784
        (0x0004aecc7e0fb34b, 0x0004aecc7e0fb34b), // 6.51224577209081e-309 -> 6.51224577209081e-309
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `sinh`
    const SINH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0xfff0000000000000), // -inf -> -inf
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x7ff0000000000000), // 1.7976931348623157e308 -> inf
        (0xffefffffffffffff, 0xfff0000000000000), // -1.7976931348623157e308 -> -inf
        (0x3ff0000000000000, 0x3ff2cd9fc44eb982), // 1.0 -> 1.1752011936438014
        (0xbff0000000000000, 0xbff2cd9fc44eb982), // -1.0 -> -1.1752011936438014
        (0x3fe0000000000000, 0x3fe0acd00fe63b97), // 0.5 -> 0.5210953054937474
        (0x4000000000000000, 0x400d03cf63b6e1a0), // 2.0 -> 3.626860407847019
        (0x4035000000000000, 0x41c3a6e1fd9eecfd), // 21.0 -> 659407867.2416073
        (0x4035000000000001, 0x41c3a6e1fd9eed11), // 21.000000000000004 -> 659407867.2416097
        (0x4086300000000000, 0x7ff0000000000000), // 710.0 -> inf
        (0x01a56e1fc2f8f359, 0x01a56e1fc2f8f359), // 1e-300 -> 1e-300
        (0x40862d43e1938888, 0x7ff0000000000000), // 709.6581450964013 -> inf
        (0x40862bdddecc8908, 0x7ff0000000000000), // 709.4833351115531 -> inf
        (0xc00886a77333d32c, 0xc025676652a3a324), // -3.065749073046751 -> -10.701952536082509
        (0x4008000000000000, 0x40240926e70949ae), // 3.0 -> 10.017874927409903
        (0x7fa0aa5b6a211568, 0x7ff0000000000000), // 5.851441076846975e306 -> inf
        (0xbfdf85b2263d0d18, 0xbfe067f972314625), // -0.4925351499006907 -> -0.5126921873399551
        (0x3fe01f3862c051fd, 0x3fe0d00c71187e30), // 0.5038110665068981 -> 0.5253965577030097
        (0x3fe38a04b90fc918, 0x3fe4c6ae6445f03c), // 0.6105979551778402 -> 0.6492530783139112
        (0x3fe921fb54442d18, 0x3febcc270b522736), // 0.7853981633974483 -> 0.8686709614860095
        (0xbfdffffc9c033eda, 0xbfe0acce268454b0), // -0.49999919162381234 -> -0.5210943939479389
        (0x3fdfffffffffe068, 0x3fe0acd00fe629c8), // 0.499999999999551 -> 0.5210953054932412
        (0x3fe0000000001c07, 0x3fe0acd00fe65b30), // 0.5000000000007966 -> 0.5210953054946454
        (0xbfe0000000000000, 0xbfe0acd00fe63b97), // -0.5 -> -0.5210953054937474
        (0xbfefff00cc5808fb, 0xbff2ccdae0a2ef8a), // -0.99987831030765 -> -1.17501342533703
        (0x3fefff761835a9dc, 0x3ff2cd355eb12248), // 0.999934241566105 -> 1.1750997256186952
        (0x3fefffffffffff9e, 0x3ff2cd9fc44eb936), // 0.9999999999999891 -> 1.1752011936437845
        (0x3ff000000b0ef7b2, 0x3ff2cd9fd55f22cd), // 1.000000041196 -> 1.1752012572125523
        (0x000740dc0f88aeb0, 0x000740dc0f88aeb0), // 1.008703559971429e-308 -> 1.008703559971429e-308
        (0x245a9ab6f359d3c9, 0x245a9ab6f359d3c8), // 1.4641131912851991e-133 -> 1.464113191285199e-133
        (0x9c2a9f20b0b64bb4, 0x9c2a9f20b0b64bb5), // -5.3817873592475494e-173 -> -5.38178735924755e-173
        (0x117d409987742d7b, 0x117d409987742d7a), // 1.9757131731977614e-224 -> 1.975713173197761e-224
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `cosh`
    const COSH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x3ff0000000000000), // 0.0 -> 1.0
        (0x8000000000000000, 0x3ff0000000000000), // -0.0 -> 1.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x7ff0000000000000), // -inf -> inf
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x3ff0000000000000), // 5e-324 -> 1.0
        (0x8000000000000001, 0x3ff0000000000000), // -5e-324 -> 1.0
        (0x0010000000000000, 0x3ff0000000000000), // 2.2250738585072014e-308 -> 1.0
        (0x7fefffffffffffff, 0x7ff0000000000000), // 1.7976931348623157e308 -> inf
        (0xffefffffffffffff, 0x7ff0000000000000), // -1.7976931348623157e308 -> inf
        (0x3ff0000000000000, 0x3ff8b07551d9f550), // 1.0 -> 1.5430806348152437
        (0xbff0000000000000, 0x3ff8b07551d9f550), // -1.0 -> 1.5430806348152437
        (0x3fe0000000000000, 0x3ff20ac1862ae8d0), // 0.5 -> 1.1276259652063807
        (0x4000000000000000, 0x400e18fa0df2d9bc), // 2.0 -> 3.7621956910836314
        (0x4035000000000000, 0x41c3a6e1fd9eecfd), // 21.0 -> 659407867.2416073
        (0x4035000000000001, 0x41c3a6e1fd9eed11), // 21.000000000000004 -> 659407867.2416097
        (0x4086300000000000, 0x7ff0000000000000), // 710.0 -> inf
        (0x01a56e1fc2f8f359, 0x3ff0000000000000), // 1e-300 -> 1.0
        (0x40862fd8e09ef8f6, 0x7ff0000000000000), // 709.9808971805312 -> inf
        (0x40862bcef184dfa6, 0x7ff0000000000000), // 709.4760465985062 -> inf
        (0x403512c1e1d4a3a2, 0x41c525572dc8c982), // 21.073270906843057 -> 709537371.5686495
        (0x4008000000000000, 0x402422a497d6185e), // 3.0 -> 10.067661995777765
        (0xc3f300939194a31a, 0x7ff0000000000000), // -2.190810464310222e19 -> inf
        (0xbe9b09377c257316, 0x3ff000000000016e), // -4.028678369983106e-7 -> 1.0000000000000813
        (0x3ea3c7eb2cbb831b, 0x3ff000000000030e), // 5.89517719498057e-7 -> 1.0000000000001736
        (0x3fd36e8f89049300, 0x3ff0be40f901c9b6), // 0.30362308865214516 -> 1.0464486815295522
        (0x3fb999999999999a, 0x3ff0147f40224b38), // 0.1 -> 1.0050041680558035
        (0xbfdff6ce6bf5e5af, 0x3ff2098f19bfbfbc), // -0.4994388632108792 -> 1.1273337369748182
        (0xbfdffe5da91ef85a, 0x3ff20a8b08037681), // -0.4999002601215402 -> 1.1275739968326948
        (0x3ffffcf202f8329c, 0x400e1370857f96e2), // 1.9992542377469027 -> 3.7594919614374342
        (0xbfe0000000000000, 0x3ff20ac1862ae8d0), // -0.5 -> 1.1276259652063807
        (0x3feff8e899cc0c00, 0x3ff8ac4b3237e6b8), // 0.9991343501900474 -> 1.5420639001517156
        (0xbfeff97002070f5a, 0x3ff8ac9aaca8e3ae), // -0.9991989173508771 -> 1.5421396965523217
        (0x3feffffffffffffa, 0x3ff8b07551d9f54d), // 0.9999999999999993 -> 1.543080634815243
        (0x3fefffffff1c874c, 0x3ff8b07551544bbe), // 0.999999998344927 -> 1.5430806328702
        (0x000fd3d0765a4394, 0x3ff0000000000000), // 2.201070823149902e-308 -> 1.0
        (0x8010000000000000, 0x3ff0000000000000), // -2.2250738585072014e-308 -> 1.0
    ];
    /// `tanh`
    const TANH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x3ff0000000000000), // inf -> 1.0
        (0xfff0000000000000, 0xbff0000000000000), // -inf -> -1.0
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x3ff0000000000000), // 1.7976931348623157e308 -> 1.0
        (0xffefffffffffffff, 0xbff0000000000000), // -1.7976931348623157e308 -> -1.0
        (0x3ff0000000000000, 0x3fe85efab514f394), // 1.0 -> 0.7615941559557649
        (0xbff0000000000000, 0xbfe85efab514f394), // -1.0 -> -0.7615941559557649
        (0x3fe0000000000000, 0x3fdd9353d7568af3), // 0.5 -> 0.46211715726000974
        (0x4000000000000000, 0x3feed9505e1bc3d4), // 2.0 -> 0.9640275800758169
        (0x3fe4000000000000, 0x3fe1bf47eabb8f96), // 0.625 -> 0.5545997223493824
        (0x3fe3ffffffffffff, 0x3fe1bf47eabb8f94), // 0.6249999999999999 -> 0.5545997223493822
        (0x404601e678fc457b, 0x3ff0000000000000), // 44.014845965556525 -> 1.0
        (0x404601e678fc457c, 0x3ff0000000000000), // 44.01484596555653 -> 1.0
        (0x01a56e1fc2f8f359, 0x01a56e1fc2f8f359), // 1e-300 -> 1e-300
        (0xbff0062d2db92719, 0xbfe864294aafc09d), // -1.0015079294266285 -> -0.7622267206879944
        (0xbff03124e78925c2, 0xbfe887e1d65743ac), // -1.0119980854382082 -> -0.7665871797890893
        (0xbff31c239fa32ba8, 0xbfea9f2a105fa6a1), // -1.1943699107966754 -> -0.8319292373464188
        (0x4008000000000000, 0x3fefd77d111a0b00), // 3.0 -> 0.9950547536867305
        (0xc8a40a2252b2b874, 0xbff0000000000000), // -8.728470827247481e41 -> -1.0
        (0xbfe4504801e5ce5f, 0xbfe1f69124cb4bea), // -0.6347999608100955 -> -0.5613485067973418
        (0xbfe458bbe374ab8c, 0xbfe1fc5a4d19b420), // -0.6358317797179196 -> -0.5620547777049332
        (0xbfeefcca2e1b580d, 0xbfe7ef77b81f2086), // -0.9683581257365873 -> -0.7479818912625127
        (0x3fb999999999999a, 0x3fb983d7795f413a), // 0.1 -> 0.09966799462495582
        (0xbfdff0026ba92387, 0xbfdd86bf00d4d345), // -0.499024014603997 -> -0.4613492496603622
        (0xbfdffcb3fef22eed, 0xbfdd90bc03aa7028), // -0.49979877373765086 -> -0.46195888860688905
        (0x3fdfffffffffff8c, 0x3fdd9353d7568a98), // 0.49999999999999356 -> 0.4621171572600047
        (0xbfe0000000000000, 0xbfdd9353d7568af3), // -0.5 -> -0.46211715726000974
        (0xbfeffa6f381a6c12, 0xbfe85ca406ba0d70), // -0.9993206115499353 -> -0.7613086825735262
        (0x3feffd6fe2807d88, 0x3fe85de7171298ba), // 0.9996871398797547 -> 0.7614627314221913
        (0x3fefffffff9d9dbb, 0x3fe85efab4eba1fe), // 0.9999999992841632 -> 0.7615941556551318
        (0x3ff000610f007fe2, 0x3fe85f4c39d134ed), // 1.0000925622953152 -> 0.7616330270044763
        (0x0002830974a1622d, 0x0002830974a1622d), // 3.49317547876123e-309 -> 3.49317547876123e-309
        (0x3d70d24f88c6f929, 0x3d70d24f88c6f929), // 9.561930538037987e-13 -> 9.561930538037987e-13
        (0x3d11d37f6365ab5f, 0x3d11d37f6365ab5f), // 1.5832812874754266e-14 -> 1.5832812874754266e-14
        (0xbcf623fc258f14f8, 0xbcf623fc258f14f8), // -4.916193275479199e-15 -> -4.916193275479199e-15
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `asinh`
    const ASINH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0xfff0000000000000), // -inf -> -inf
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x408633ce8fb9f87d), // 1.7976931348623157e308 -> 710.4758600739439
        (0xffefffffffffffff, 0xc08633ce8fb9f87d), // -1.7976931348623157e308 -> -710.4758600739439
        (0x3ff0000000000000, 0x3fec34366179d427), // 1.0 -> 0.881373587019543
        (0xbff0000000000000, 0xbfec34366179d427), // -1.0 -> -0.881373587019543
        (0x3fe0000000000000, 0x3fdecc2caec5160a), // 0.5 -> 0.48121182505960347
        (0x4000000000000000, 0x3ff719218313d087), // 2.0 -> 1.4436354751788103
        (0x41b0000000000000, 0x403419ecb712c481), // 268435456.0 -> 20.101268236238415
        (0x41b0000000000001, 0x403419ecb712c480), // 268435456.00000006 -> 20.10126823623841
        (0x3e2ffffffffdb73d, 0x3e2ffffffffdb73d), // 3.7252902984e-9 -> 3.7252902984e-9
        (0x3e3000000000b3db, 0x3e3000000000b3db), // 3.7252902985e-9 -> 3.7252902985e-9
        (0x3ff008469db1ad38, 0x3fec3fe90b1753fc), // 1.0020204696582606 -> 0.882801553404192
        (0x3ff017a688356fff, 0x3fec559c6f21c222), // 1.0057740517286218 -> 0.8854505701584154
        (0xc058a0bc99c3da28, 0xc01522258b84e290), // -98.51151126981915 -> -5.28334634779516
        (0x4008000000000000, 0x3ffd185b507edc0e), // 3.0 -> 1.8184464592320668
        (0xffe9478e8a9c4def, 0xc08631ebc35ae15c), // -1.420150541476874e308 -> -710.2401187038445
        (0xffe0cb9cb6edec61, 0xc0862ea65a40a0ad), // -9.435282316764829e307 -> -709.8312268303904
        (0x787071568c31e6e5, 0x40839a9a9c0943a1), // 1.389856428515184e272 -> 627.3254929279102
        (0x665c15cdf3261df1, 0x407aad9219ccdb11), // 1.193368226972268e185 -> 426.84816913625497
        (0x3fef89f7c496ffc0, 0x3febe07321ea41f2), // 0.9855917777676879 -> 0.8711486494449316
        (0x3fef9b1718efe5f5, 0x3febeca3648c0e20), // 0.9876819121411119 -> 0.8726365054903376
        (0xbfee24b08b116d6a, 0xbfeadf322ec6e566), // -0.9419787136243205 -> -0.8397456086742465
        (0x3fb999999999999a, 0x3fb98eb9e7e5fc3f), // 0.1 -> 0.09983407889920758
        (0x3fdff0cd8d775e46, 0x3fdebe9450bd71e8), // 0.499072445059458 -> 0.4803820408322097
        (0x3fdfffe10ba1ed3e, 0x3fdecc10fefd5abc), // 0.4999926198576822 -> 0.48120522404989763
        (0xc00000000054a517, 0xbff71921835f85f4), // -2.0000000024634903 -> -1.4436354762805168
        (0xbfe0000000000000, 0xbfdecc2caec5160a), // -0.5 -> -0.48121182505960347
        (0x3feffcec7e5bf861, 0x3fec32097a3481b6), // 0.9996244876817962 -> 0.8811080347841684
        (0x3feffd0a4943f7ac, 0x3fec321e8c3c596a), // 0.9996386939017063 -> 0.8811180819491657
        (0x3fefffffffffffe5, 0x3fec34366179d413), // 0.999999999999997 -> 0.8813735870195408
        (0x3ff0000003487365, 0x3fec3436661e67d4), // 1.0000000122301682 -> 0.8813735956675779
        (0x800615a64614b272, 0x800615a64614b272), // -8.46163378517106e-309 -> -8.46163378517106e-309
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `acosh`
    const ACOSH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x7ff8000000000000), // 0.0 -> NaN
        (0x8000000000000000, 0x7ff8000000000000), // -0.0 -> NaN
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x7ff8000000000000), // 5e-324 -> NaN
        (0x8000000000000001, 0x7ff8000000000000), // -5e-324 -> NaN
        (0x0010000000000000, 0x7ff8000000000000), // 2.2250738585072014e-308 -> NaN
        (0x7fefffffffffffff, 0x408633ce8fb9f87d), // 1.7976931348623157e308 -> 710.4758600739439
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x0000000000000000), // 1.0 -> 0.0
        (0xbff0000000000000, 0x7ff8000000000000), // -1.0 -> NaN
        (0x3fe0000000000000, 0x7ff8000000000000), // 0.5 -> NaN
        (0x4000000000000000, 0x3ff5124271980434), // 2.0 -> 1.3169578969248166
        (0x41b0000000000000, 0x403419ecb712c480), // 268435456.0 -> 20.10126823623841
        (0x41afffffffffffff, 0x403419ecb712c481), // 268435455.99999997 -> 20.101268236238415
        (0x3ff004b26cb7a5bd, 0x3fa8846d10b37c92), // 1.0011467215320942 -> 0.047885330475531465
        (0x3ff00579aec3cd02, 0x3faa787010c5170d), // 1.001336748767074 -> 0.051700117156128746
        (0x41b9797f5d479f5f, 0x403490fd0f2ed019), // 427392861.27977556 -> 20.566361378601957
        (0x4024000000000000, 0x4007f21ed1ce05d4), // 10.0 -> 2.993222846126381
        (0x7fe24962f033854d, 0x40862f54932b4470), // 1.0273066812210768e308 -> 709.9162963276158
        (0x7fe204af2a403412, 0x40862f364be6b3ac), // 1.012230320891347e308 -> 709.9015119575101
        (0x78b8756c4e731b75, 0x4083b3f622e2f59c), // 3.3078755660888286e273 -> 630.4951837283329
        (0x4ddf74074606a14d, 0x406367ed70b8823f), // 1.3249649448054353e67 -> 155.2477344134986
        (0x3fb999999999999a, 0x7ff8000000000000), // 0.1 -> NaN
        (0x3ffffe2fa79c9b1a, 0x3ff5113650749b28), // 1.9995571658452662 -> 1.3167021887581516
        (0x3fffff55a2fadd63, 0x3ff511e0143dbc86), // 1.999837528839486 -> 1.3168640890760641
        (0x400000000002b444, 0x3ff51242719b2390), // 2.0000000000787015 -> 1.316957896970255
        (0xbfe0000000000000, 0x7ff8000000000000), // -0.5 -> NaN
        (0x3ff0000000000001, 0x3e56a09e667f3bcd), // 1.0000000000000002 -> 2.1073424255447017e-8
        (0x3ff0000000000005, 0x3e694c583ada5b51), // 1.000000000000001 -> 4.712160915387241e-8
        (0x3ff0000000275e0d, 0x3f01bf1c258a69fe), // 1.0000000005728709 -> 3.3848806826958914e-5
        (0x3feffffff6c62574, 0x7ff8000000000000), // 0.9999999828152526 -> NaN
        (0x00010805fca18156, 0x7ff8000000000000), // 1.4342566758455e-309 -> NaN
        (0x8010000000000000, 0x7ff8000000000000), // -2.2250738585072014e-308 -> NaN
    ];
    /// `atanh`
    const ATANH: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff8000000000000), // inf -> NaN
        (0xfff0000000000000, 0x7ff8000000000000), // -inf -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000001), // 5e-324 -> 5e-324
        (0x8000000000000001, 0x8000000000000001), // -5e-324 -> -5e-324
        (0x0010000000000000, 0x0010000000000000), // 2.2250738585072014e-308 -> 2.2250738585072014e-308
        (0x7fefffffffffffff, 0x7ff8000000000000), // 1.7976931348623157e308 -> NaN
        (0xffefffffffffffff, 0x7ff8000000000000), // -1.7976931348623157e308 -> NaN
        (0x3ff0000000000000, 0x7ff0000000000000), // 1.0 -> inf
        (0xbff0000000000000, 0xfff0000000000000), // -1.0 -> -inf
        (0x3fe0000000000000, 0x3fe193ea7aad030a), // 0.5 -> 0.5493061443340548
        (0x4000000000000000, 0x7ff8000000000000), // 2.0 -> NaN
        (0x3e2ffffffffdb73d, 0x3e2ffffffffdb73d), // 3.7252902984e-9 -> 3.7252902984e-9
        (0x4008000000000000, 0x7ff8000000000000), // 3.0 -> NaN
        (0xf86cdbc8c85c5758, 0x7ff8000000000000), // -1.2196643896050892e272 -> NaN
        (0xbfeff5aec65c2785, 0xc00d7a7b041b3dfc), // -0.9987405657022782 -> -3.6848049469770086
        (0xbfeff71479eb6479, 0xc00e0f95668bccbb), // -0.9989111310234328 -> -3.7576091777242175
        (0xbfd35177bb6bb264, 0xbfd3f07362988178), // -0.30184739401628335 -> -0.31155094746102163
        (0x3fb999999999999a, 0x3fb9af93cd234412), // 0.1 -> 0.10033534773107558
        (0xbfdffd4aea7e59a2, 0xbfe1921c795d97ae), // -0.49983475589524506 -> -0.5490858431264678
        (0xbfdffe1a183a2a8f, 0xbfe192a6913b1af0), // -0.499884151133906 -> -0.5491516911068555
        (0xbfdfffffffffe7fb, 0xbfe193ea7aacf307), // -0.49999999999965866 -> -0.5493061443335997
        (0xbfe0000000000000, 0xbfe193ea7aad030a), // -0.5 -> -0.5493061443340548
        (0xbfefffffffffffff, 0xc032b708872320e2), // -0.9999999999999999 -> -18.714973875118524
        (0xbfeffffffffffffd, 0xc0322a69334db8c9), // -0.9999999999999997 -> -18.165667730784467
        (0xbfeffffb7ae2f841, 0xc01b7b410ab87134), // -0.9999978447083394 -> -6.870365302569827
        (0x3fefffffffffffcb, 0x4030bad600a0fd17), // 0.9999999999999941 -> 16.729827918342462
        (0x000cf7a25e7b2d30, 0x000cf7a25e7b2d30), // 1.803327978211526e-308 -> 1.803327978211526e-308
        (0x3e3066cfbb161df5, 0x3e3066cfbb161df5), // 3.8187967661195505e-9 -> 3.8187967661195505e-9
        (0xbe406fe45a5f018c, 0xbe406fe45a5f018d), // -7.654110966457332e-9 -> -7.654110966457334e-9
        (0xbd17cda4f4d47050, 0xbd17cda4f4d47050), // -2.114157585389071e-14 -> -2.114157585389071e-14
        (0x8010000000000000, 0x8010000000000000), // -2.2250738585072014e-308 -> -2.2250738585072014e-308
    ];
    /// `deg`
    const DEG: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0xfff0000000000000), // -inf -> -inf
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000039), // 5e-324 -> 2.8e-322
        (0x8000000000000001, 0x8000000000000039), // -5e-324 -> -2.8e-322
        (0x0010000000000000, 0x006ca5dc1a63c1f8), // 2.2250738585072014e-308 -> 1.2748734119735194e-306
        (0x7fefffffffffffff, 0x7ff0000000000000), // 1.7976931348623157e308 -> inf
        (0xffefffffffffffff, 0xfff0000000000000), // -1.7976931348623157e308 -> -inf
        (0x3ff0000000000000, 0x404ca5dc1a63c1f8), // 1.0 -> 57.29577951308232
        (0xbff0000000000000, 0xc04ca5dc1a63c1f8), // -1.0 -> -57.29577951308232
        (0x3fe0000000000000, 0x403ca5dc1a63c1f8), // 0.5 -> 28.64788975654116
        (0x4000000000000000, 0x405ca5dc1a63c1f8), // 2.0 -> 114.59155902616465
        (0x7fe1ccf385ebc8a0, 0x7ff0000000000000), // 1e308 -> inf
        (0x00000000000007e8, 0x000000000001c4ff), // 1e-320 -> 5.72953e-319
        (0xc021e4474374c144, 0xc080047a7aa52b7a), // -8.945856197359383 -> -512.5598042396443
        (0x3ff1e5bc9edbbf9a, 0x405005c8b9c69d5f), // 1.1185880856901123 -> 64.09037632366152
        (0x401bcaab8bc216a4, 0x4078e16247192444), // 6.947920020791262 -> 398.08649358578646
        (0x4008000000000000, 0x40657c6513cad17a), // 3.0 -> 171.88733853924697
        (0x7f8f0b891f276e34, 0x7ff0000000000000), // 2.725072907265047e306 -> inf
        (0xff8122f64eecd6d2, 0xfff0000000000000), // -1.5042136621892555e306 -> -inf
        (0xdcbaa38642d18cd9, 0xdd17d927e0f2d794), // -4.956694456679626e138 -> -2.839976727036333e140
        (0x67346ab964c9a25c, 0x67924734f2b10f39), // 1.4213692403129347e189 -> 8.143845859964723e190
        (0x3fe1f48796243b90, 0x40401306fe70aead), // 0.5610998089267571 -> 32.14865093710009
        (0x3f625e1ccc9d4e3f, 0x3fc0718ccdb46832), // 0.002242141960701521 -> 0.12846527141738445
        (0xbfdf6f8bbff02420, 0xc03c2489a9553699), // -0.49118322128248515 -> -28.14272554712679
        (0x3fe921fb54442d18, 0x4046800000000000), // 0.7853981633974483 -> 45.0
        (0xbfdff189432da896, 0xc03c98e93d71d931), // -0.4991171985663042 -> -28.59730896024229
        (0x3fdff2f68d27f696, 0x403c9a304382d9eb), // 0.4992042902448274 -> 28.60229894585238
        (0xbfffffffffffffc4, 0xc05ca5dc1a63c1c3), // -1.9999999999999867 -> -114.59155902616389
        (0xbfe0000000000000, 0xc03ca5dc1a63c1f8), // -0.5 -> -28.64788975654116
        (0xbfeffa2c2e557b02, 0xc04ca0a48ea866a2), // -0.9992886452635903 -> -57.2550218889494
        (0x3feffae0fbc9d03a, 0x404ca1466b8d2aa6), // 0.9993748586407556 -> 57.25996155159855
        (0x3ff0000000000011, 0x404ca5dc1a63c217), // 1.0000000000000038 -> 57.29577951308254
        (0x3ff0000000000005, 0x404ca5dc1a63c201), // 1.000000000000001 -> 57.29577951308239
        (0x80003904d1fe946d, 0x800cc2f0326cfb86), // -3.0974391218616e-310 -> -1.774701889813789e-308
        (0x800482051834080b, 0x8050248784342dbe), // -6.268992951509146e-309 -> -3.5918683791873526e-307
        (0x800ddfa718c7fc1a, 0x8068d735b0a90bd7), // -1.9293675844612473e-308 -> -1.1054461971897988e-306
        (0x0001a740f7de0754, 0x0037aea9f1c0b95b), // 2.299245425261296e-309 -> 1.3173705893223443e-307
        (0x2c51e70ac4e16ea1, 0x2cb006f3def9fcca), // 3.352549949381134e-95 -> 1.920869627063367e-93
        (0xad51eca3bb123e28, 0xadb00bf6b99a5859), // -2.1998105999564853e-90 -> -1.260398631056481e-88
        (0xb24b251544c30530, 0xb2a84d24872a2b66), // -2.0137173206034204e-66 -> -1.153775036029685e-64
        (0x8010000000000000, 0x806ca5dc1a63c1f8), // -2.2250738585072014e-308 -> -1.2748734119735194e-306
    ];
    /// `rad`
    const RAD: &[(u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000), // 0.0 -> 0.0
        (0x8000000000000000, 0x8000000000000000), // -0.0 -> -0.0
        (0x7ff0000000000000, 0x7ff0000000000000), // inf -> inf
        (0xfff0000000000000, 0xfff0000000000000), // -inf -> -inf
        (0x7ff8000000000000, 0x7ff8000000000000), // NaN -> NaN
        (0x0000000000000001, 0x0000000000000000), // 5e-324 -> 0.0
        (0x8000000000000001, 0x8000000000000000), // -5e-324 -> -0.0
        (0x0010000000000000, 0x0000477d1a894a75), // 2.2250738585072014e-308 -> 3.8834864931005e-310
        (0x7fefffffffffffff, 0x7ff0000000000000), // 1.7976931348623157e308 -> inf
        (0xffefffffffffffff, 0xfff0000000000000), // -1.7976931348623157e308 -> -inf
        (0x3ff0000000000000, 0x3f91df46a2529d39), // 1.0 -> 0.017453292519943295
        (0xbff0000000000000, 0xbf91df46a2529d39), // -1.0 -> -0.017453292519943295
        (0x3fe0000000000000, 0x3f81df46a2529d39), // 0.5 -> 0.008726646259971648
        (0x4000000000000000, 0x3fa1df46a2529d39), // 2.0 -> 0.03490658503988659
        (0x4066800000000000, 0x400921fb54442d18), // 180.0 -> 3.141592653589793
        (0x7fe1ccf385ebc8a0, 0x7ff0000000000000), // 1e308 -> inf
        (0x00000000000007e8, 0x0000000000000023), // 1e-320 -> 1.73e-322
        (0x401ca9caa0d463e8, 0x3fc0023226526eb5), // 7.165812027896187 -> 0.1250670134658002
        (0xc04cadcba7e69880, 0xbff0046ea213f086), // -57.35777758369022 -> -1.0010820704619916
        (0x40154d81a4f98b74, 0x3fb7cba0096a6b29), // 5.325689866763117 -> 0.0929508231151145
        (0x4024000000000000, 0x3fc657184ae74487), // 10.0 -> 0.17453292519943295
        (0x7fd5ba1b93765ff5, 0x7ff0000000000000), // 6.102882605918685e307 -> inf
        (0xffd47846f7480402, 0xfff0000000000000), // -5.749762186569131e307 -> -inf
        (0x52c6515c9f4841e2, 0x5268ede2ea890407), // 5.682775167737223e90 -> 9.918313732758757e88
        (0x442d0638cf0d7e6c, 0x43d035d19ab8c444), // 2.6770195697868145e20 -> 4.672280563310203e18
        (0xbfdca7bb18a7e6e0, 0xbf80010b8531686e), // -0.4477374783306072 -> -0.00781449318144586
        (0xbe8cace392a2cbce, 0xbe3003ed03737386), // -2.1364798758401907e-7 -> -3.7288608236010975e-9
        (0x3f036240121d287d, 0x3ea5a6e302ba9f61), // 3.697164562639717e-5 -> 6.452769460611919e-7
        (0x3fb999999999999a, 0x3f5c987103b761f5), // 0.1 -> 0.0017453292519943296
        (0x3fdff091382fe8c9, 0x3f81d6a81a1b00ff), // 0.499058060522327 -> 0.008710206314731737
        (0x3fdff1635f8857fc, 0x3f81d71d79540c70), // 0.4991081650672411 -> 0.008711080804010701
        (0xbffffffffffffff1, 0xbfa1df46a2529d30), // -1.9999999999999967 -> -0.03490658503988653
        (0xbfe0000000000000, 0xbf81df46a2529d39), // -0.5 -> -0.008726646259971648
        (0x3feff85f0b97d770, 0x3f91db03e5fd48a6), // 0.9990687586239186 -> 0.01743703929179987
        (0xbfeff861653c2f4b, 0xbf91db053602789a), // -0.9990698792694074 -> -0.017437058850753397
        (0xbfeffffffffffffa, 0xbf91df46a2529d35), // -0.9999999999999993 -> -0.01745329251994328
        (0x3ff000000011fd0a, 0x3f91df46a266b51a), // 1.0000000002617662 -> 0.017453292524511978
        (0x800033bc18335157, 0x800000e7272eae5c), // -2.8103912854271e-310 -> -4.905058120003e-312
        (0x8000bfb7ed996565, 0x800003589b3940e6), // -1.04147400895525e-309 -> -1.8177150530217e-311
        (0x000359c773d8edf7, 0x00000ef89806f01e), // 4.659721379981324e-309 -> 8.1327480306245e-311
        (0x000fe618d2e58eef, 0x000047095e281ed3), // 2.211002530554081e-308 -> 3.8589273928095e-310
        (0x051ca66fd6538712, 0x04c0005282a3281c), // 4.8167145640859e-284 -> 8.406752827206235e-286
        (0x1eeca816af85fa52, 0x1e90013eac64e8f7), // 1.0191471973568158e-159 -> 1.7787474156348885e-161
        (0x37c61c7aac8454cd, 0x3768b2d0e1fc4689), // 5.076493314019157e-40 -> 8.860152278511271e-42
        (0x8010000000000000, 0x8000477d1a894a75), // -2.2250738585072014e-308 -> -3.8834864931005e-310
    ];
    /// `pow`
    const POW: &[(u64, u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000, 0x3ff0000000000000), // (0.0, 0.0) -> 1.0
        (0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000), // (0.0, -0.0) -> 1.0
        (0x0000000000000000, 0x7ff0000000000000, 0x0000000000000000), // (0.0, inf) -> 0.0
        (0x0000000000000000, 0xfff0000000000000, 0x7ff0000000000000), // (0.0, -inf) -> inf
        (0x0000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (0.0, NaN) -> NaN
        (0x0000000000000000, 0x3ff0000000000000, 0x0000000000000000), // (0.0, 1.0) -> 0.0
        (0x0000000000000000, 0xbff0000000000000, 0x7ff0000000000000), // (0.0, -1.0) -> inf
        (0x0000000000000000, 0x3fe0000000000000, 0x0000000000000000), // (0.0, 0.5) -> 0.0
        (0x0000000000000000, 0xbfe0000000000000, 0x7ff0000000000000), // (0.0, -0.5) -> inf
        (0x0000000000000000, 0x4000000000000000, 0x0000000000000000), // (0.0, 2.0) -> 0.0
        (0x0000000000000000, 0x4008000000000000, 0x0000000000000000), // (0.0, 3.0) -> 0.0
        (0x0000000000000000, 0xc008000000000000, 0x7ff0000000000000), // (0.0, -3.0) -> inf
        (0x0000000000000000, 0x3ff8000000000000, 0x0000000000000000), // (0.0, 1.5) -> 0.0
        (0x8000000000000000, 0x0000000000000000, 0x3ff0000000000000), // (-0.0, 0.0) -> 1.0
        (0x8000000000000000, 0x8000000000000000, 0x3ff0000000000000), // (-0.0, -0.0) -> 1.0
        (0x8000000000000000, 0x7ff0000000000000, 0x0000000000000000), // (-0.0, inf) -> 0.0
        (0x8000000000000000, 0xfff0000000000000, 0x7ff0000000000000), // (-0.0, -inf) -> inf
        (0x8000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-0.0, NaN) -> NaN
        (0x8000000000000000, 0x3ff0000000000000, 0x8000000000000000), // (-0.0, 1.0) -> -0.0
        (0x8000000000000000, 0xbff0000000000000, 0xfff0000000000000), // (-0.0, -1.0) -> -inf
        (0x8000000000000000, 0x3fe0000000000000, 0x0000000000000000), // (-0.0, 0.5) -> 0.0
        (0x8000000000000000, 0xbfe0000000000000, 0x7ff0000000000000), // (-0.0, -0.5) -> inf
        (0x8000000000000000, 0x4000000000000000, 0x0000000000000000), // (-0.0, 2.0) -> 0.0
        (0x8000000000000000, 0x4008000000000000, 0x8000000000000000), // (-0.0, 3.0) -> -0.0
        (0x8000000000000000, 0xc008000000000000, 0xfff0000000000000), // (-0.0, -3.0) -> -inf
        (0x8000000000000000, 0x3ff8000000000000, 0x0000000000000000), // (-0.0, 1.5) -> 0.0
        (0x7ff0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (inf, 0.0) -> 1.0
        (0x7ff0000000000000, 0x8000000000000000, 0x3ff0000000000000), // (inf, -0.0) -> 1.0
        (0x7ff0000000000000, 0x7ff0000000000000, 0x7ff0000000000000), // (inf, inf) -> inf
        (0x7ff0000000000000, 0xfff0000000000000, 0x0000000000000000), // (inf, -inf) -> 0.0
        (0x7ff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (inf, NaN) -> NaN
        (0x7ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000000), // (inf, 1.0) -> inf
        (0x7ff0000000000000, 0xbff0000000000000, 0x0000000000000000), // (inf, -1.0) -> 0.0
        (0x7ff0000000000000, 0x3fe0000000000000, 0x7ff0000000000000), // (inf, 0.5) -> inf
        (0x7ff0000000000000, 0xbfe0000000000000, 0x0000000000000000), // (inf, -0.5) -> 0.0
        (0x7ff0000000000000, 0x4000000000000000, 0x7ff0000000000000), // (inf, 2.0) -> inf
        (0x7ff0000000000000, 0x4008000000000000, 0x7ff0000000000000), // (inf, 3.0) -> inf
        (0x7ff0000000000000, 0xc008000000000000, 0x0000000000000000), // (inf, -3.0) -> 0.0
        (0x7ff0000000000000, 0x3ff8000000000000, 0x7ff0000000000000), // (inf, 1.5) -> inf
        (0xfff0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (-inf, 0.0) -> 1.0
        (0xfff0000000000000, 0x8000000000000000, 0x3ff0000000000000), // (-inf, -0.0) -> 1.0
        (0xfff0000000000000, 0x7ff0000000000000, 0x7ff0000000000000), // (-inf, inf) -> inf
        (0xfff0000000000000, 0xfff0000000000000, 0x0000000000000000), // (-inf, -inf) -> 0.0
        (0xfff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-inf, NaN) -> NaN
        (0xfff0000000000000, 0x3ff0000000000000, 0xfff0000000000000), // (-inf, 1.0) -> -inf
        (0xfff0000000000000, 0xbff0000000000000, 0x8000000000000000), // (-inf, -1.0) -> -0.0
        (0xfff0000000000000, 0x3fe0000000000000, 0x7ff0000000000000), // (-inf, 0.5) -> inf
        (0xfff0000000000000, 0xbfe0000000000000, 0x0000000000000000), // (-inf, -0.5) -> 0.0
        (0xfff0000000000000, 0x4000000000000000, 0x7ff0000000000000), // (-inf, 2.0) -> inf
        (0xfff0000000000000, 0x4008000000000000, 0xfff0000000000000), // (-inf, 3.0) -> -inf
        (0xfff0000000000000, 0xc008000000000000, 0x8000000000000000), // (-inf, -3.0) -> -0.0
        (0xfff0000000000000, 0x3ff8000000000000, 0x7ff0000000000000), // (-inf, 1.5) -> inf
        (0x7ff8000000000000, 0x0000000000000000, 0x3ff0000000000000), // (NaN, 0.0) -> 1.0
        (0x7ff8000000000000, 0x8000000000000000, 0x3ff0000000000000), // (NaN, -0.0) -> 1.0
        (0x7ff8000000000000, 0x7ff0000000000000, 0x7ff8000000000000), // (NaN, inf) -> NaN
        (0x7ff8000000000000, 0xfff0000000000000, 0x7ff8000000000000), // (NaN, -inf) -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (NaN, NaN) -> NaN
        (0x7ff8000000000000, 0x3ff0000000000000, 0x7ff8000000000000), // (NaN, 1.0) -> NaN
        (0x7ff8000000000000, 0xbff0000000000000, 0x7ff8000000000000), // (NaN, -1.0) -> NaN
        (0x7ff8000000000000, 0x3fe0000000000000, 0x7ff8000000000000), // (NaN, 0.5) -> NaN
        (0x7ff8000000000000, 0xbfe0000000000000, 0x7ff8000000000000), // (NaN, -0.5) -> NaN
        (0x7ff8000000000000, 0x4000000000000000, 0x7ff8000000000000), // (NaN, 2.0) -> NaN
        (0x7ff8000000000000, 0x4008000000000000, 0x7ff8000000000000), // (NaN, 3.0) -> NaN
        (0x7ff8000000000000, 0xc008000000000000, 0x7ff8000000000000), // (NaN, -3.0) -> NaN
        (0x7ff8000000000000, 0x3ff8000000000000, 0x7ff8000000000000), // (NaN, 1.5) -> NaN
        (0x3ff0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (1.0, 0.0) -> 1.0
        (0x3ff0000000000000, 0x8000000000000000, 0x3ff0000000000000), // (1.0, -0.0) -> 1.0
        (0x3ff0000000000000, 0x7ff0000000000000, 0x3ff0000000000000), // (1.0, inf) -> 1.0
        (0x3ff0000000000000, 0xfff0000000000000, 0x3ff0000000000000), // (1.0, -inf) -> 1.0
        (0x3ff0000000000000, 0x7ff8000000000000, 0x3ff0000000000000), // (1.0, NaN) -> 1.0
        (0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000), // (1.0, 1.0) -> 1.0
        (0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000000000000), // (1.0, -1.0) -> 1.0
        (0x3ff0000000000000, 0x3fe0000000000000, 0x3ff0000000000000), // (1.0, 0.5) -> 1.0
        (0x3ff0000000000000, 0xbfe0000000000000, 0x3ff0000000000000), // (1.0, -0.5) -> 1.0
        (0x3ff0000000000000, 0x4000000000000000, 0x3ff0000000000000), // (1.0, 2.0) -> 1.0
        (0x3ff0000000000000, 0x4008000000000000, 0x3ff0000000000000), // (1.0, 3.0) -> 1.0
        (0x3ff0000000000000, 0xc008000000000000, 0x3ff0000000000000), // (1.0, -3.0) -> 1.0
        (0x3ff0000000000000, 0x3ff8000000000000, 0x3ff0000000000000), // (1.0, 1.5) -> 1.0
        (0xbff0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (-1.0, 0.0) -> 1.0
        (0xbff0000000000000, 0x8000000000000000, 0x3ff0000000000000), // (-1.0, -0.0) -> 1.0
        (0xbff0000000000000, 0x7ff0000000000000, 0x3ff0000000000000), // (-1.0, inf) -> 1.0
        (0xbff0000000000000, 0xfff0000000000000, 0x3ff0000000000000), // (-1.0, -inf) -> 1.0
        (0xbff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-1.0, NaN) -> NaN
        (0xbff0000000000000, 0x3ff0000000000000, 0xbff0000000000000), // (-1.0, 1.0) -> -1.0
        (0xbff0000000000000, 0xbff0000000000000, 0xbff0000000000000), // (-1.0, -1.0) -> -1.0
        (0xbff0000000000000, 0x3fe0000000000000, 0x7ff8000000000000), // (-1.0, 0.5) -> NaN
        (0xbff0000000000000, 0xbfe0000000000000, 0x7ff8000000000000), // (-1.0, -0.5) -> NaN
        (0xbff0000000000000, 0x4000000000000000, 0x3ff0000000000000), // (-1.0, 2.0) -> 1.0
        (0xbff0000000000000, 0x4008000000000000, 0xbff0000000000000), // (-1.0, 3.0) -> -1.0
        (0xbff0000000000000, 0xc008000000000000, 0xbff0000000000000), // (-1.0, -3.0) -> -1.0
        (0xbff0000000000000, 0x3ff8000000000000, 0x7ff8000000000000), // (-1.0, 1.5) -> NaN
        (0x3fe0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (0.5, 0.0) -> 1.0
        (0x3fe0000000000000, 0x8000000000000000, 0x3ff0000000000000), // (0.5, -0.0) -> 1.0
        (0x3fe0000000000000, 0x7ff0000000000000, 0x0000000000000000), // (0.5, inf) -> 0.0
        (0x3fe0000000000000, 0xfff0000000000000, 0x7ff0000000000000), // (0.5, -inf) -> inf
        (0x3fe0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (0.5, NaN) -> NaN
        (0x3fe0000000000000, 0x3ff0000000000000, 0x3fe0000000000000), // (0.5, 1.0) -> 0.5
        (0x3fe0000000000000, 0xbff0000000000000, 0x4000000000000000), // (0.5, -1.0) -> 2.0
        (0x3fe0000000000000, 0x3fe0000000000000, 0x3fe6a09e667f3bcd), // (0.5, 0.5) -> 0.7071067811865476
        (0x3fe0000000000000, 0xbfe0000000000000, 0x3ff6a09e667f3bcc), // (0.5, -0.5) -> 1.414213562373095
        (0x3fe0000000000000, 0x4000000000000000, 0x3fd0000000000000), // (0.5, 2.0) -> 0.25
        (0x3fe0000000000000, 0x4008000000000000, 0x3fc0000000000000), // (0.5, 3.0) -> 0.125
        (0x3fe0000000000000, 0xc008000000000000, 0x4020000000000000), // (0.5, -3.0) -> 8.0
        (0x3fe0000000000000, 0x3ff8000000000000, 0x3fd6a09e667f3bcd), // (0.5, 1.5) -> 0.3535533905932738
        (0x4000000000000000, 0x0000000000000000, 0x3ff0000000000000), // (2.0, 0.0) -> 1.0
        (0x4000000000000000, 0x8000000000000000, 0x3ff0000000000000), // (2.0, -0.0) -> 1.0
        (0x4000000000000000, 0x7ff0000000000000, 0x7ff0000000000000), // (2.0, inf) -> inf
        (0x4000000000000000, 0xfff0000000000000, 0x0000000000000000), // (2.0, -inf) -> 0.0
        (0x4000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (2.0, NaN) -> NaN
        (0x4000000000000000, 0x3ff0000000000000, 0x4000000000000000), // (2.0, 1.0) -> 2.0
        (0x4000000000000000, 0xbff0000000000000, 0x3fe0000000000000), // (2.0, -1.0) -> 0.5
        (0x4000000000000000, 0x3fe0000000000000, 0x3ff6a09e667f3bcd), // (2.0, 0.5) -> 1.4142135623730951
        (0x4000000000000000, 0xbfe0000000000000, 0x3fe6a09e667f3bcc), // (2.0, -0.5) -> 0.7071067811865475
        (0x4000000000000000, 0x4000000000000000, 0x4010000000000000), // (2.0, 2.0) -> 4.0
        (0x4000000000000000, 0x4008000000000000, 0x4020000000000000), // (2.0, 3.0) -> 8.0
        (0x4000000000000000, 0xc008000000000000, 0x3fc0000000000000), // (2.0, -3.0) -> 0.125
        (0x4000000000000000, 0x3ff8000000000000, 0x4006a09e667f3bcc), // (2.0, 1.5) -> 2.82842712474619
        (0xc000000000000000, 0x0000000000000000, 0x3ff0000000000000), // (-2.0, 0.0) -> 1.0
        (0xc000000000000000, 0x8000000000000000, 0x3ff0000000000000), // (-2.0, -0.0) -> 1.0
        (0xc000000000000000, 0x7ff0000000000000, 0x7ff0000000000000), // (-2.0, inf) -> inf
        (0xc000000000000000, 0xfff0000000000000, 0x0000000000000000), // (-2.0, -inf) -> 0.0
        (0xc000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-2.0, NaN) -> NaN
        (0xc000000000000000, 0x3ff0000000000000, 0xc000000000000000), // (-2.0, 1.0) -> -2.0
        (0xc000000000000000, 0xbff0000000000000, 0xbfe0000000000000), // (-2.0, -1.0) -> -0.5
        (0xc000000000000000, 0x3fe0000000000000, 0x7ff8000000000000), // (-2.0, 0.5) -> NaN
        (0xc000000000000000, 0xbfe0000000000000, 0x7ff8000000000000), // (-2.0, -0.5) -> NaN
        (0xc000000000000000, 0x4000000000000000, 0x4010000000000000), // (-2.0, 2.0) -> 4.0
        (0xc000000000000000, 0x4008000000000000, 0xc020000000000000), // (-2.0, 3.0) -> -8.0
        (0xc000000000000000, 0xc008000000000000, 0xbfc0000000000000), // (-2.0, -3.0) -> -0.125
        (0xc000000000000000, 0x3ff8000000000000, 0x7ff8000000000000), // (-2.0, 1.5) -> NaN
        (0x3fe0000000000000, 0x43f0000000000000, 0x0000000000000000), // (0.5, 1.8446744073709552e19) -> 0.0
        (0x4000000000000000, 0x43f0000000000000, 0x7ff0000000000000), // (2.0, 1.8446744073709552e19) -> inf
        (0xbff0000000000000, 0x43f0000000000000, 0x3ff0000000000000), // (-1.0, 1.8446744073709552e19) -> 1.0
        (0x3fe0000000000000, 0xc3e0000000000000, 0x7ff0000000000000), // (0.5, -9.223372036854776e18) -> inf
        (0x4000000000000000, 0x4415af1d78b58c40, 0x7ff0000000000000), // (2.0, 1e20) -> inf
        (0x3ff000001ad7f29b, 0x426d1a94a2000000, 0x7ff0000000000000), // (1.0000001, 1000000000000.0) -> inf
        (0x3ff000000006df38, 0xc2374876e8000000, 0x3f07cd7879835263), // (1.0000000001, -100000000000.0) -> 4.539989385113766e-5
        (0x3ff199999999999a, 0x401c000000000000, 0x3fff2df1fb5a7ed7), // (1.1, 7.0) -> 1.9487171000000012
        (0x4024000000000000, 0x4073400000000000, 0x7fe1ccf385ebc8a3), // (10.0, 308.0) -> 1.0000000000000006e308
        (0x4024000000000000, 0x4073500000000000, 0x7ff0000000000000), // (10.0, 309.0) -> inf
        (0x4024000000000000, 0xc074300000000000, 0x0000000000000002), // (10.0, -323.0) -> 1e-323
        (0x4024000000000000, 0xc074400000000000, 0x0000000000000000), // (10.0, -324.0) -> 0.0
        (0x4000000000000000, 0xc090c80000000000, 0x0000000000000001), // (2.0, -1074.0) -> 5e-324
        (0x4000000000000000, 0xc090cc0000000000, 0x0000000000000000), // (2.0, -1075.0) -> 0.0
        (0x1eb67e9c127b6e74, 0x4000000000000000, 0x00000000000007e8), // (1e-160, 2.0) -> 1e-320
        (0x4008000000000000, 0x3fe0000000000001, 0x3ffbb67ae8584cac), // (3.0, 0.5000000000000001) -> 1.7320508075688776
        (0x4008000000000000, 0x4003ffffffffffff, 0x402f2d4a4563563b), // (3.0, 2.4999999999999996) -> 15.588457268119887
        (0x3ff8000000000000, 0x408f440000000000, 0x648317d7955a28cc), // (1.5, 1000.5) -> 1.511139943175573e176
        (0xbff8000000000000, 0x408f400000000000, 0x647f2dd011353698), // (-1.5, 1000.0) -> 1.2338405969061734e176
        (0xbff8000000000000, 0x408f480000000000, 0xe487625c0ce7e8f2), // (-1.5, 1001.0) -> -1.85076089535926e176
        (0xc020000000000000, 0x3fd5555555555555, 0x7ff8000000000000), // (-8.0, 0.3333333333333333) -> NaN
        (0x3ff03a12d6e5d32e, 0x409d780000000000, 0x4253ca1793340fd4), // (1.014178122944212, 1886.0) -> 339979685072.2473
        (0x3ff06be9ec11b194, 0xc09ed00000000000, 0x3b502d04e02ae3cf), // (1.0263461324167098, -1972.0) -> 5.352141672923871e-23
        (0x3ff0edae7a074b1d, 0x409efc0000000000, 0x4a04b2c4dcc18280), // (1.0580277220476042, 1983.0) -> 3.78132791005431e48
        (0x4006e708693a732e, 0xc041037f6c4757b2, 0x3cb49e549af9438d), // (2.8628090115511418, -34.027326140246615) -> 2.861388692020463e-16
        (0x4008000000000000, 0x0000000000000000, 0x3ff0000000000000), // (3.0, 0.0) -> 1.0
        (0x796def6a7325036b, 0x3fde5a572db206f0, 0x5b3363af201a68e3), // (8.291411286513482e276, 0.4742639490360565) -> 2.1504150671566435e131
        (0x79cd5656e002bade, 0x3fe0a308efa00cb8, 0x5e0496e43ecb50b6), // (5.2005060064746674e278, 0.519901721971471) -> 8.034374100885394e144
        (0x7dfa304458bb4aa3, 0x3fd5db5de85e0f20, 0x552046dcdfd65566), // (6.850890896611733e298, 0.3415140885556287) -> 1.1392467073200251e102
        (0x56432fd121ab7990, 0xbfe23a23b24f75a0, 0x3336b30719712827), // (3.520389158762888e107, -0.5695970995545174) -> 5.5179007501356875e-62
        (0x7fe1ccf385ebc8a0, 0x0000000000000000, 0x3ff0000000000000), // (1e308, 0.0) -> 1.0
        (0x3fedde86eccb2249, 0x409e000000000000, 0x340184892caf47b7), // (0.9334139466164483, 1920.0) -> 3.488416879314247e-58
        (0x3fed8e5f9ddbf666, 0x409eb80000000000, 0x31d972701efd86b9), // (0.9236295779407555, 1966.0) -> 1.4748164915319642e-68
        (0x3feda7b0338076e8, 0x409d900000000000, 0x32f343ef66ab75b9), // (0.9267197614569485, 1892.0) -> 2.9269702770595503e-63
        (0x3fefe8213a651b7f, 0x4076200000000000, 0x3fd6c7a502d5ab0f), // (0.9970861568952926, 354.0) -> 0.3559353377992673
        (0x3fd0000000000000, 0x0000000000000000, 0x3ff0000000000000), // (0.25, 0.0) -> 1.0
        (0x3fdff52bf809edde, 0xc03b1fa090b8fa5e, 0x41a2113485941f69), // (0.499339096284272, -27.123543782387394) -> 151558722.78930214
        (0x3fffff03722f18c2, 0xc048c513d8d7fa49, 0x3cd6253d253714cc), // (1.9997591457663906, -49.53966818376336) -> 1.2293202153084864e-15
        (0x3fe0078692e79270, 0xc043e1384b6ba2f1, 0x42692e371dbad2ea), // (0.5009186619977992, -39.75953047519386) -> 865196371414.5911
        (0x400000b427d621d0, 0xc042106b59e5786e, 0x3dad18aec4093e3f), // (2.0003436195586133, -36.12827609734164) -> 1.3231518420961647e-11
        (0x3fe0000000000000, 0xc000000000000000, 0x4010000000000000), // (0.5, -2.0) -> 4.0
        (0x3ff0000000551015, 0x4260739b2ef28000, 0x7f061d737baaac91), // (1.000000001237827, 565272213396.0) -> 7.582866986224558e303
        (0x3ff00000002ceac3, 0x426c6ded6e4ce000, 0x798192978c36bedf), // (1.000000000653629, 976826888807.0) -> 1.946895599663775e277
        (0x3ff000000040d84c, 0x426507d6f0d08000, 0x7d6a66447d295861), // (1.0000000009436176, 722606720644.0) -> 1.3488422768599627e296
        (0x3feffffffffffb3d, 0x426901c6b5cd2000, 0x3fec7cb1707a303f), // (0.9999999999998647, 859231858281.0) -> 0.8902213284322967
        (0x3ff0000000000000, 0xc000000000000000, 0x3ff0000000000000), // (1.0, -2.0) -> 1.0
        (0x0000000000000000, 0xc000000000000000, 0x7ff0000000000000), // (0.0, -2.0) -> inf
        (0x0000000000000005, 0xbfd5a63afa798900, 0x559093c3250d6b35), // (2.5e-323, -0.33827089748787387) -> 1.4851475410814805e104
        (0x0000000000125450, 0xbfdc590a422d1900, 0x5c4169a83a87802e), // (5.934875e-318, -0.44293457472339526) -> 2.531248305646875e136
        (0x00001382387b1f88, 0xbfdbffdf4a4f0640, 0x5be7733aa2636a67), // (1.05977151532755e-310, -0.4374922013922493) -> 5.326390792653739e134
        (0x00000006ff6389fa, 0xbfe71c74b75f7dd0, 0x6f205000796f9b0f), // (1.48489044716e-313, -0.7222236234192057) -> 1.9321794599922078e227
        (0x0000000000000001, 0x0000000000000000, 0x3ff0000000000000), // (5e-324, 0.0) -> 1.0
        (0x0734547a60692d6f, 0x3fdbcdc5bc06bbb0, 0x2749b3525679e776), // (5.871934047243689e-274, 0.4344343506044721) -> 1.99054904354385e-119
        (0x0065fc7479d8e578, 0xbfe0e30f7be44cb8, 0x6175ce0204c9d2e3), // (9.78416253845339e-307, -0.5277173442613252) -> 3.065548373732463e161
        (0x08d9a41b7f75749a, 0xbfe2773a0048fa70, 0x5fb7bc873d800f09), // (4.970036240584478e-266, -0.5770540242736626) -> 1.2431781629667108e153
        (0x2ff0482f8ee3ad3e, 0x3ffa8fb3f1973294, 0x2560af267a7980eb), // (8.788367898877823e-78, 1.6600837170728129) -> 1.203474104356392e-128
        (0xa1dae0530ed1df8d, 0x36ff88980c7a49c5, 0x7ff8000000000000), // (-1.3452130137181875e-145, 8.8375886654629e-44) -> NaN
    ];
    /// `atan2`
    const ATAN2: &[(u64, u64, u64)] = &[
        (0x0000000000000000, 0x0000000000000000, 0x0000000000000000), // (0.0, 0.0) -> 0.0
        (0x0000000000000000, 0x8000000000000000, 0x400921fb54442d18), // (0.0, -0.0) -> 3.141592653589793
        (0x0000000000000000, 0x7ff0000000000000, 0x0000000000000000), // (0.0, inf) -> 0.0
        (0x0000000000000000, 0xfff0000000000000, 0x400921fb54442d18), // (0.0, -inf) -> 3.141592653589793
        (0x0000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (0.0, NaN) -> NaN
        (0x0000000000000000, 0x3ff0000000000000, 0x0000000000000000), // (0.0, 1.0) -> 0.0
        (0x0000000000000000, 0xbff0000000000000, 0x400921fb54442d18), // (0.0, -1.0) -> 3.141592653589793
        (0x8000000000000000, 0x0000000000000000, 0x8000000000000000), // (-0.0, 0.0) -> -0.0
        (0x8000000000000000, 0x8000000000000000, 0xc00921fb54442d18), // (-0.0, -0.0) -> -3.141592653589793
        (0x8000000000000000, 0x7ff0000000000000, 0x8000000000000000), // (-0.0, inf) -> -0.0
        (0x8000000000000000, 0xfff0000000000000, 0xc00921fb54442d18), // (-0.0, -inf) -> -3.141592653589793
        (0x8000000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-0.0, NaN) -> NaN
        (0x8000000000000000, 0x3ff0000000000000, 0x8000000000000000), // (-0.0, 1.0) -> -0.0
        (0x8000000000000000, 0xbff0000000000000, 0xc00921fb54442d18), // (-0.0, -1.0) -> -3.141592653589793
        (0x7ff0000000000000, 0x0000000000000000, 0x3ff921fb54442d18), // (inf, 0.0) -> 1.5707963267948966
        (0x7ff0000000000000, 0x8000000000000000, 0x3ff921fb54442d18), // (inf, -0.0) -> 1.5707963267948966
        (0x7ff0000000000000, 0x7ff0000000000000, 0x3fe921fb54442d18), // (inf, inf) -> 0.7853981633974483
        (0x7ff0000000000000, 0xfff0000000000000, 0x4002d97c7f3321d2), // (inf, -inf) -> 2.356194490192345
        (0x7ff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (inf, NaN) -> NaN
        (0x7ff0000000000000, 0x3ff0000000000000, 0x3ff921fb54442d18), // (inf, 1.0) -> 1.5707963267948966
        (0x7ff0000000000000, 0xbff0000000000000, 0x3ff921fb54442d18), // (inf, -1.0) -> 1.5707963267948966
        (0xfff0000000000000, 0x0000000000000000, 0xbff921fb54442d18), // (-inf, 0.0) -> -1.5707963267948966
        (0xfff0000000000000, 0x8000000000000000, 0xbff921fb54442d18), // (-inf, -0.0) -> -1.5707963267948966
        (0xfff0000000000000, 0x7ff0000000000000, 0xbfe921fb54442d18), // (-inf, inf) -> -0.7853981633974483
        (0xfff0000000000000, 0xfff0000000000000, 0xc002d97c7f3321d2), // (-inf, -inf) -> -2.356194490192345
        (0xfff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-inf, NaN) -> NaN
        (0xfff0000000000000, 0x3ff0000000000000, 0xbff921fb54442d18), // (-inf, 1.0) -> -1.5707963267948966
        (0xfff0000000000000, 0xbff0000000000000, 0xbff921fb54442d18), // (-inf, -1.0) -> -1.5707963267948966
        (0x7ff8000000000000, 0x0000000000000000, 0x7ff8000000000000), // (NaN, 0.0) -> NaN
        (0x7ff8000000000000, 0x8000000000000000, 0x7ff8000000000000), // (NaN, -0.0) -> NaN
        (0x7ff8000000000000, 0x7ff0000000000000, 0x7ff8000000000000), // (NaN, inf) -> NaN
        (0x7ff8000000000000, 0xfff0000000000000, 0x7ff8000000000000), // (NaN, -inf) -> NaN
        (0x7ff8000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (NaN, NaN) -> NaN
        (0x7ff8000000000000, 0x3ff0000000000000, 0x7ff8000000000000), // (NaN, 1.0) -> NaN
        (0x7ff8000000000000, 0xbff0000000000000, 0x7ff8000000000000), // (NaN, -1.0) -> NaN
        (0x3ff0000000000000, 0x0000000000000000, 0x3ff921fb54442d18), // (1.0, 0.0) -> 1.5707963267948966
        (0x3ff0000000000000, 0x8000000000000000, 0x3ff921fb54442d18), // (1.0, -0.0) -> 1.5707963267948966
        (0x3ff0000000000000, 0x7ff0000000000000, 0x0000000000000000), // (1.0, inf) -> 0.0
        (0x3ff0000000000000, 0xfff0000000000000, 0x400921fb54442d18), // (1.0, -inf) -> 3.141592653589793
        (0x3ff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (1.0, NaN) -> NaN
        (0x3ff0000000000000, 0x3ff0000000000000, 0x3fe921fb54442d18), // (1.0, 1.0) -> 0.7853981633974483
        (0x3ff0000000000000, 0xbff0000000000000, 0x4002d97c7f3321d2), // (1.0, -1.0) -> 2.356194490192345
        (0xbff0000000000000, 0x0000000000000000, 0xbff921fb54442d18), // (-1.0, 0.0) -> -1.5707963267948966
        (0xbff0000000000000, 0x8000000000000000, 0xbff921fb54442d18), // (-1.0, -0.0) -> -1.5707963267948966
        (0xbff0000000000000, 0x7ff0000000000000, 0x8000000000000000), // (-1.0, inf) -> -0.0
        (0xbff0000000000000, 0xfff0000000000000, 0xc00921fb54442d18), // (-1.0, -inf) -> -3.141592653589793
        (0xbff0000000000000, 0x7ff8000000000000, 0x7ff8000000000000), // (-1.0, NaN) -> NaN
        (0x81a56e1fc2f8f359, 0xfe37e43c8800759c, 0x400921fb54442d18), // (-1e-300, -1e300) -> 3.141592653589793
        (0x01a56e1fc2f8f359, 0xfe37e43c8800759c, 0x400921fb54442d18), // (1e-300, -1e300) -> 3.141592653589793
        (0x3ff0000000000000, 0x81a56e1fc2f8f359, 0x3ff921fb54442d18), // (1.0, -1e-300) -> 1.5707963267948966
        (0x8000000000000000, 0xc014000000000000, 0xc00921fb54442d18), // (-0.0, -5.0) -> -3.141592653589793
        (0x7e37e43c8800759c, 0x01a56e1fc2f8f359, 0x3ff921fb54442d18), // (1e300, 1e-300) -> 1.5707963267948966
        (0xc011bede0b8bfae0, 0x4051b14eba642a14, 0xbfb006e4d4ca407f), // (-4.436393909853649, 70.77043018132855) -> -0.06260519213742731
        (0x4130848da7f75631, 0x413e29831da75f9b, 0x3fe008636a83ef31), // (1082509.6561178083, 1976707.1158351663) -> 0.5010239677789966
        (0xc051b55be622fab4, 0xc040726fe87c416a, 0xc0000b5c5b23faac), // (-70.83373406806896, -32.89404016558804) -> -2.0055472488741852
        (0xc05781d6c5e450e9, 0x402338092d0f8530, 0xbff780d4dd3f7e12), // (-94.02873370453348, 9.609445007462085) -> -1.468953003168171
        (0x4008000000000000, 0x0000000000000000, 0x3ff921fb54442d18), // (3.0, 0.0) -> 1.5707963267948966
        (0x43b91de2f8e54c05, 0x43e6bda8174af509, 0x3fc18f85156624b1), // (1.8098521838995387e18, 1.3109205259424123e19) -> 0.13719237847206991
        (0x799e6843567f617f, 0x7a5a4f02b9e6eb6e, 0x3f327e1e69f1ec20), // (6.7377292774817855e277, 2.3877798829195265e281) -> 0.0002821754696424334
        (0xcf53fc60887df886, 0x50c13079a61c957c, 0xbe829a5e1be1b881), // (-1.4124774735741447e74, 1.0190804319855232e81) -> -1.3860313957968342e-7
        (0x6ab4b471a0982085, 0x676a680baa7077ac, 0x3ff921fb54442d17), // (1.0386502379512043e206, 1.4706757775795583e190) -> 1.5707963267948963
        (0x7fe1ccf385ebc8a0, 0x0000000000000000, 0x3ff921fb54442d18), // (1e308, 0.0) -> 1.5707963267948966
        (0x3ed489706f17a4ab, 0x3ee2c62c6158e530, 0x3fe0040fd73b10b8), // (4.896371807097301e-6, 8.952195496114175e-6) -> 0.5004958347058368
        (0x3f1f19b3ead65600, 0x3ffeeea7687cee90, 0x3f10164476922002), // (0.00011863861683133331, 1.933265121609029) -> 6.136696687708557e-5
        (0xbf376b52ff301564, 0x3ff745965d4cf7c6, 0xbf3019f1ebbcc56f), // (-0.0003573491696332225, 1.4544891018444885) -> -0.0002456870677064104
        (0xbf41a21dfae89c36, 0xbff9619014d5e486, 0xc009214979c8c255), // (-0.0005381246936097042, -1.5863190473449165) -> -3.1412534250633066
        (0x3fd0000000000000, 0x0000000000000000, 0x3ff921fb54442d18), // (0.25, 0.0) -> 1.5707963267948966
        (0x4000000000000000, 0x3fe0000000000000, 0x3ff5368c951e9cfc), // (2.0, 0.5) -> 1.3258176636680323
        (0xc000000000000000, 0x3fe0000000000000, 0xbff5368c951e9cfc), // (-2.0, 0.5) -> -1.3258176636680323
        (0x3fe0000000000000, 0x0000000000000000, 0x3ff921fb54442d18), // (0.5, 0.0) -> 1.5707963267948966
        (0x3ff0000000000000, 0x3fd0000000000000, 0x3ff5368c951e9cfc), // (1.0, 0.25) -> 1.3258176636680323
        (0xbff0000000000000, 0x3fd0000000000000, 0xbff5368c951e9cfc), // (-1.0, 0.25) -> -1.3258176636680323
        (0x3ff0000000000000, 0x3fe0000000000000, 0x3ff1b6e192ebbe44), // (1.0, 0.5) -> 1.1071487177940904
        (0x0000000000000000, 0x3fe0000000000000, 0x0000000000000000), // (0.0, 0.5) -> 0.0
        (0x80023f3239f9bd68, 0xe7525c9d088eeb2f, 0x400921fb54442d18), // (-3.124643607816104e-309, -5.113189115026851e189) -> 3.141592653589793
        (0x800133c36ade3664, 0x812301ec83bda80f, 0xc00921fb137fe8d5), // (-1.671865682166996e-309, -3.4646528110262927e-303) -> -3.1415921710405237
        (0x0000000000000001, 0x0000000000000000, 0x3ff921fb54442d18), // (5e-324, 0.0) -> 1.5707963267948966
        (0x85e5ed14bae90491, 0xdea1fccd5d4bc5f6, 0x400921fb54442d18), // (-3.0197805795064765e-280, -7.187517303715935e147) -> 3.141592653589793
        (0x924b9a518e119921, 0xde45c12caab47e9f, 0x400921fb54442d18), // (-1.5272369916915013e-220, -1.3582470592675044e146) -> 3.141592653589793
        (0x86884c98d396f571, 0xf69fc4ec2327faa9, 0x400921fb54442d18), // (-3.426936853117275e-277, -2.500937804646519e263) -> 3.141592653589793
        (0xbc35edb80261fd3a, 0x3d9e5b02b7b29e45, 0xbe871dd69b3b2a15), // (-1.1887511921664524e-18, 6.9020439279520176e-12) -> -1.7223176273222712e-7
        (0x2065ad78e92cf1e1, 0x88cc4d1caa6b17d7, 0x3ff921fb54442d18), // (1.293432979726587e-152, -2.7428305796778556e-266) -> 1.5707963267948966
    ];
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
