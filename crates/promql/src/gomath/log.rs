//! Go's `Log`, `Log2`, `Log10` and `Log1p` (the last for the inverse hyperbolic functions).

use std::f64::consts::{LOG10_E, LOG2_E};

use super::{frexp, BIAS, EXP_FIELD, FRAC_MASK, SIGN_MASK};

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
pub(super) fn log1p(x: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    //! Prometheus' `ln`, `log2` and `log10`, measured as described in `gomath::oracle`.

    use super::*;
    use crate::gomath::oracle::check;

    /// `ln`, `log2` and `log10` give Prometheus' bits.
    #[test]
    fn logarithms() {
        check("ln", log, LN);
        check("log2", log2, LOG2);
        check("log10", log10, LOG10);
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
}
