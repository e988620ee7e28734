//! Go's `Sin`, `Cos` and `Tan`, with its reduction of the argument by π/4 (Cody-Waite, or
//! Payne-Hanek for large arguments).

use std::f64::consts::FRAC_PI_4;

use super::{BIAS, EXP_FIELD, FRAC_MASK};

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

/// Shift left that yields 0 from 64 bits on, as Go's `<<` does.
fn shl(v: u64, n: u32) -> u64 {
    v.checked_shl(n).unwrap_or(0)
}

/// Shift right that yields 0 from 64 bits on, as Go's `>>` on unsigned values does.
fn shr(v: u64, n: u32) -> u64 {
    v.checked_shr(n).unwrap_or(0)
}

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

#[cfg(test)]
mod tests {
    //! Prometheus' `sin`, `cos` and `tan`, measured as described in `gomath::oracle`.

    use super::*;
    use crate::gomath::oracle::check;

    /// `sin`, `cos` and `tan` give Prometheus' bits.
    #[test]
    fn trigonometric() {
        check("sin", sin, SIN);
        check("cos", cos, COS);
        check("tan", tan, TAN);
    }

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
}
