//! Go's `Exp`, as its amd64 assembly computes it.

use std::f64::consts::LOG2_E;

use super::BIAS;

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

#[cfg(test)]
mod tests {
    //! Prometheus' `exp`, measured as described in `gomath::oracle`.

    use super::*;
    use crate::gomath::oracle::check;

    /// `exp` gives Prometheus' bits.
    #[test]
    fn exponential() {
        check("exp", exp, EXP);
    }

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
}
