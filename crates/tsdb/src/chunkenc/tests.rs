//! Unit tests of the XOR chunk codec.

use super::*;
use crate::testdata::Rng;

fn decode_all(chunk: &[u8]) -> Result<Vec<(i64, u64)>, ChunkError> {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    decode_xor_into(chunk, &mut ts, &mut vs)?;
    assert_eq!(ts.len(), vs.len());
    Ok(ts.into_iter().zip(vs.iter().map(|v| v.to_bits())).collect())
}

fn iter_all(chunk: &[u8]) -> Result<Vec<(i64, u64)>, ChunkError> {
    let mut it = XorIter::new(chunk)?;
    let mut out = Vec::new();
    while let Some((t, v)) = it.next_sample()? {
        out.push((t, v.to_bits()));
    }
    assert_eq!(out.len(), usize::from(it.num_samples()));
    // Stays at the end.
    assert_eq!(it.next_sample(), Ok(None));
    Ok(out)
}

/// Encodes with both entry points, checks the header and that both decoders
/// give back exactly the input bits.
fn roundtrip_bits(samples: &[(i64, u64)]) -> Vec<u8> {
    let mut enc = XorEncoder::new();
    for (i, &(t, v)) in samples.iter().enumerate() {
        enc.append(t, f64::from_bits(v));
        assert_eq!(usize::from(enc.num_samples()), i + 1);
    }
    let floats: Vec<(i64, f64)> = samples
        .iter()
        .map(|&(t, v)| (t, f64::from_bits(v)))
        .collect();
    let bytes = enc.bytes().to_vec();
    assert_eq!(encode_xor(&floats), bytes);
    assert_eq!(enc.into_bytes(), bytes);
    assert_eq!(
        u16::from_be_bytes([bytes[0], bytes[1]]),
        samples.len() as u16
    );
    assert_eq!(decode_all(&bytes).unwrap(), samples);
    assert_eq!(iter_all(&bytes).unwrap(), samples);
    bytes
}

fn roundtrip(samples: &[(i64, f64)]) -> Vec<u8> {
    let bits: Vec<(i64, u64)> = samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
    roundtrip_bits(&bits)
}

/// Reads `n` bits MSB-first at bit offset `pos`.
fn bits_at(data: &[u8], pos: usize, n: usize) -> u64 {
    (pos..pos + n).fold(0, |acc, i| {
        (acc << 1) | u64::from((data[i / 8] >> (7 - i % 8)) & 1)
    })
}

#[test]
fn encoding_bytes() {
    for e in [Encoding::Xor, Encoding::Histogram, Encoding::FloatHistogram] {
        assert_eq!(Encoding::from_byte(e.as_byte()), Some(e));
    }
    assert_eq!(Encoding::Xor.as_byte(), 1);
    assert_eq!(Encoding::Histogram.as_byte(), 2);
    assert_eq!(Encoding::FloatHistogram.as_byte(), 3);
    assert_eq!(Encoding::from_byte(0), None);
    assert_eq!(Encoding::from_byte(4), None);
    assert_eq!(Encoding::from_byte(255), None);
}

#[test]
fn prometheus_prefix_vector() {
    // Verified against a chunk written by Prometheus 2.42.
    let mut enc = XorEncoder::new();
    enc.append(1_700_000_000_000, 1.0);
    enc.append(1_700_000_015_500, 2.5);
    let b = enc.bytes();
    assert_eq!(
        &b[..18],
        &[
            0x00, 0x02, 0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x8c, 0x79
        ]
    );
    // Rest derived by hand from the format: 1.0 ^ 2.5 = 0x7ff4 << 48, so
    // `11`, leading 1 (`00001`), 13 significant bits (`001101`), then
    // 0x7ff4 >> 2 = 0x1ffd (`1111111111101`), zero-padded.
    assert_eq!(&b[18..], &[0xc2, 0x6f, 0xff, 0x40]);
    assert_eq!(
        decode_all(b).unwrap(),
        vec![
            (1_700_000_000_000, 1.0f64.to_bits()),
            (1_700_000_015_500, 2.5f64.to_bits())
        ]
    );
}

fn unhex(h: &str) -> Vec<u8> {
    let h: String = h.split_whitespace().collect();
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

/// Chunks written by promtool 2.42 (`tsdb create-blocks-from openmetrics`),
/// with the samples of its input.
const PROMTOOL_CHUNKS: &[(&str, &[(i64, u64)])] = &[
    // 15 samples at 15 s whose values differ in byte-aligned bit runs.
    (
        "000ff08cb582fa6231947a3d4bdb97969875c6440b3e10000000000029000200000001000002040000\
         201000000000274a20000000005fe140000000b7d1000000000280080010001fa080000001738200\
         0000059188000017f64010002de8400080",
        &[
            (1700004275000, 0x31947a3d4bdb9796),
            (1700004290000, 0x21b47a3d4bdb9796),
            (1700004305000, 0x20b47a3d4bdb9596),
            (1700004320000, 0x20347b3d4bdb9596),
            (1700004335000, 0x20347b355bdb9596),
            (1700004350000, 0x20367b355bdb9196),
            (1700004365000, 0x203673355bdb9186),
            (1700004380000, 0x20367335dbdb9187),
            (1700004395000, 0x20377335dbdb9387),
            (1700004410000, 0x20377375db5b9387),
            (1700004425000, 0x20377377db5b9383),
            (1700004440000, 0x20376377db5bb383),
            (1700004455000, 0x28376367db5bb383),
            (1700004470000, 0x28376367dbdbb283),
            (1700004485000, 0x28366365dbdbb283),
        ],
    ),
    // 15 random finite values with jittered timestamps. Its last byte is
    // the empty byte Go's bstream leaves after a byte-aligned write.
    (
        "000fc48cb582fa62b8801b298fe2c3f48e75c3ece3fd5335f6ef03e01270fd70faf7562bab934dfd\
         261ffd8cc83bc767335ec0074ba6844268df710ea00f6e6b36edd6abaeccb7f774bff4d94e282e1a\
         0bff8879ece43bd6d23a240195f37fb0d47a952d3effcf07de95dc017d712782c000e1ff7bf70768\
         11dee69c00c6003869dbd36b5de47defeca89cc6a14cc3511808028b81ee4aebc8ce8bfe007edd45\
         25046cb6aa7000",
        &[
            (1700004274978, 0xb8801b298fe2c3f4),
            (1700004289968, 0xf6bfce1ad08c33c8),
            (1700004305031, 0xaa8173cf5a66d71a),
            (1700004320002, 0xd198e3b8d4a8b1a7),
            (1700004334987, 0xff02f2b177d5759d),
            (1700004350033, 0x8c5b45dfc28803f8),
            (1700004365010, 0xc7a4084b200ae258),
            (1700004379979, 0xc89994cc5ad0a51c),
            (1700004394998, 0xb44678f94475ee53),
            (1700004410004, 0x40e898f2affcd247),
            (1700004425011, 0x2f96781fadc70e94),
            (1700004440042, 0xce31175200b09f63),
            (1700004454995, 0x47fd7d46cc858ee3),
            (1700004469988, 0xa786effc3eb62c1c),
            (1700004485012, 0x7ac3caf85200866c),
        ],
    ),
];

#[test]
fn promtool_chunks() {
    for (i, &(hex, samples)) in PROMTOOL_CHUNKS.iter().enumerate() {
        let chunk = unhex(hex);
        assert_eq!(decode_all(&chunk).unwrap(), samples, "chunk {i}");
        assert_eq!(iter_all(&chunk).unwrap(), samples, "chunk {i}");
        assert_eq!(roundtrip_bits(samples), chunk, "chunk {i}");
    }
    // The second one really ends with the empty byte.
    let chunk = unhex(PROMTOOL_CHUNKS[1].0);
    assert_eq!(chunk.last(), Some(&0));
    assert_eq!(
        decode_all(&chunk[..chunk.len() - 1]).unwrap(),
        PROMTOOL_CHUNKS[1].1
    );
}

#[test]
fn empty_chunk() {
    let enc = XorEncoder::default();
    assert_eq!(enc.bytes(), &[0, 0]);
    assert_eq!(enc.num_samples(), 0);
    assert_eq!(enc.min_time(), None);
    assert_eq!(enc.max_time(), None);
    assert!(!enc.is_full());
    assert_eq!(enc.into_bytes(), vec![0, 0]);
    assert_eq!(encode_xor(&[]), vec![0, 0]);
    assert_eq!(decode_all(&[0, 0]).unwrap(), vec![]);
    assert_eq!(iter_all(&[0, 0]).unwrap(), vec![]);
    // Trailing garbage after the last sample is ignored, as in Prometheus.
    assert_eq!(decode_all(&[0, 0, 0xff]).unwrap(), vec![]);
}

#[test]
fn too_short() {
    for c in [&[][..], &[0][..]] {
        assert_eq!(
            XorIter::new(c).err(),
            Some(ChunkError::TooShort { len: c.len() })
        );
        let (mut ts, mut vs) = (vec![1], vec![1.0]);
        assert_eq!(
            decode_xor_into(c, &mut ts, &mut vs),
            Err(ChunkError::TooShort { len: c.len() })
        );
        assert_eq!((ts, vs), (vec![1], vec![1.0]));
    }
}

#[test]
fn one_sample() {
    // count, 6 varint bytes, 8 value bytes, and the empty byte Prometheus'
    // bstream leaves after a byte-aligned multiple-of-8 write.
    let b = roundtrip(&[(1_700_000_000_000, 42.5)]);
    assert_eq!(b.len(), 2 + 6 + 8 + 1);
    let b = roundtrip(&[(0, 0.0)]);
    assert_eq!(b, vec![0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = roundtrip(&[(-1, -0.0)]);
    assert_eq!(b, vec![0, 1, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]);
    roundtrip(&[(i64::MIN, f64::NAN)]);
    roundtrip(&[(i64::MAX, f64::INFINITY)]);
}

#[test]
fn min_max_time() {
    let mut enc = XorEncoder::new();
    enc.append(-30, 1.0);
    assert_eq!((enc.min_time(), enc.max_time()), (Some(-30), Some(-30)));
    enc.append(-15, 1.0);
    enc.append(7, 1.0);
    assert_eq!((enc.min_time(), enc.max_time()), (Some(-30), Some(7)));
}

#[test]
fn bytes_valid_after_every_append() {
    let mut rng = Rng(7);
    let mut enc = XorEncoder::new();
    let mut samples = Vec::new();
    let mut t = 1_000i64;
    for _ in 0..300 {
        t += 1 + rng.below(40_000) as i64;
        let v = match rng.below(4) {
            0 => samples.last().map_or(0, |&(_, v)| v),
            1 => rng.next_u64(),
            2 => (rng.below(1000) as f64 / 100.0).to_bits(),
            _ => rng.next_u64() & 0xffff_0000_0000_0000,
        };
        enc.append(t, f64::from_bits(v));
        samples.push((t, v));
        assert_eq!(decode_all(enc.bytes()).unwrap(), samples);
    }
    roundtrip_bits(&samples);
}

#[test]
fn negative_timestamps() {
    roundtrip(&[
        (-100_000, 1.0),
        (-85_000, 2.0),
        (-70_000, 3.0),
        (-1, 4.0),
        (0, 5.0),
    ]);
    let s: Vec<(i64, f64)> = (0..200)
        .map(|i| (-1_000_000 + i * 15_000, i as f64))
        .collect();
    roundtrip(&s);
}

/// Bit offset of sample 2 in a chunk whose first timestamp is 0 (1 varint
/// byte), second delta is < 128 (1 varint byte) and constant value.
const SAMPLE2_BIT: usize = 16 + 8 + 64 + 8 + 1;

/// A delta-of-delta bucket: (prefix, prefix length, payload bits).
type DodBucket = (u64, usize, usize);

/// The buckets of non-zero dods, narrowest first.
const DOD_BUCKETS: [DodBucket; 4] = [
    (0b10, 2, 14),
    (0b110, 3, 17),
    (0b1110, 4, 20),
    (0b1111, 4, 64),
];

/// The dods on both sides of the bounds of each bucket with a payload of
/// `p < 64` bits, whose range is `-(2^(p - 1) - 1)..=2^(p - 1)` (Prometheus'
/// `bitRange`), with the buckets they belong to.
fn dod_bucket_edges() -> Vec<(i64, DodBucket)> {
    DOD_BUCKETS
        .windows(2)
        .flat_map(|w| {
            let (this, next) = (w[0], w[1]);
            let m = 1i64 << (this.2 - 1);
            [
                (m - 1, this),
                (m, this),
                (m + 1, next),
                (-(m - 1), this),
                (-m, next),
                (-(m + 1), next),
            ]
        })
        .collect()
}

#[test]
fn dod_buckets() {
    let (narrowest, widest) = (DOD_BUCKETS[0], DOD_BUCKETS[3]);
    let mut cases = vec![
        (0, (0b0, 1, 0)),
        (1, narrowest),
        (-1, narrowest),
        (1 << 40, widest),
        (-(1 << 40), widest),
    ];
    cases.extend(dod_bucket_edges());
    assert_eq!(cases.len(), 23);
    for (dod, (prefix, plen, payload)) in cases {
        // Delta 100 keeps sample 1's varint to one byte. Dods below -100
        // make timestamps go backwards (invalid input, but the wrapping
        // arithmetic still round-trips it); `dod_buckets_increasing` covers
        // the same boundaries with valid input.
        let d1: i64 = 100;
        let samples = [
            (0i64, 1.5),
            (d1, 1.5),
            (2 * d1 + dod, 1.5),
            (3 * d1 + 2 * dod, 1.5),
        ];
        let b = roundtrip(&samples);
        assert_eq!(bits_at(&b, SAMPLE2_BIT, plen), prefix, "dod {dod}");
        if payload > 0 {
            let raw = bits_at(&b, SAMPLE2_BIT + plen, payload);
            let mask = if payload == 64 {
                u64::MAX
            } else {
                (1 << payload) - 1
            };
            assert_eq!(raw, dod as u64 & mask, "dod {dod}");
        }
        // The value bit after it is `0` (unchanged), then sample 3 has dod 0.
        assert_eq!(bits_at(&b, SAMPLE2_BIT + plen + payload, 3), 0, "dod {dod}");
        assert_eq!(b.len(), (SAMPLE2_BIT + plen + payload + 1 + 2).div_ceil(8));
    }
}

#[test]
fn dod_buckets_increasing() {
    // Same boundaries with strictly increasing timestamps and a 15 s base
    // interval, as a scrape loop would produce.
    let mut dods = vec![0i64];
    dods.extend(dod_bucket_edges().into_iter().map(|(dod, _)| dod));
    dods.extend([1 << 30, 1 << 45, -14_999, 1]);
    let mut t = 1_700_000_000_000i64;
    let mut delta = 15_000_000i64;
    let mut s = vec![(t, 0.0)];
    for (i, &dod) in dods.iter().enumerate() {
        delta += dod;
        t += delta;
        s.push((t, i as f64));
    }
    roundtrip(&s);
}

#[test]
fn extreme_timestamps() {
    roundtrip(&[
        (i64::MIN, 1.0),
        (i64::MIN + 1, 1.0),
        (0, 2.0),
        (i64::MAX - 1, 3.0),
        (i64::MAX, 4.0),
    ]);
    roundtrip(&[(i64::MIN, 1.0), (i64::MAX, 1.0)]);
    roundtrip(&[
        (i64::MIN, 1.0),
        (-1, 1.0),
        (i64::MAX - 1, 1.0),
        (i64::MAX, 1.0),
    ]);
    roundtrip(&[(-5, 1.0), (i64::MAX, 1.0)]);
    // Non-increasing input is the caller's error, but must not panic and
    // still round-trips since the arithmetic wraps.
    roundtrip(&[
        (10, 1.0),
        (10, 2.0),
        (5, 3.0),
        (i64::MIN, 4.0),
        (i64::MAX, 5.0),
        (0, 6.0),
    ]);
}

#[test]
fn xor_value_windows() {
    // Leading zeros >= 32 are clamped to 31: delta 1 -> leading 31,
    // trailing 0, 33 significant bits.
    let b = roundtrip_bits(&[(0, 0x4000_0000_0000_0000), (10, 0x4000_0000_0000_0001)]);
    let p = 16 + 8 + 64 + 8;
    assert_eq!(bits_at(&b, p, 2), 0b11);
    assert_eq!(bits_at(&b, p + 2, 5), 31);
    assert_eq!(bits_at(&b, p + 7, 6), 33);
    assert_eq!(bits_at(&b, p + 13, 33), 1);
    assert_eq!(b.len(), (p + 13 + 33).div_ceil(8));

    // 64 significant bits are written as 0.
    let b = roundtrip_bits(&[(0, 0), (10, 0x8000_0000_0000_0001)]);
    assert_eq!(bits_at(&b, p, 2), 0b11);
    assert_eq!(bits_at(&b, p + 2, 5), 0);
    assert_eq!(bits_at(&b, p + 7, 6), 0);
    assert_eq!(bits_at(&b, p + 13, 64), 0x8000_0000_0000_0001);

    // Reuse of the window (`10`) after it was set, including a 64-bit one.
    let b = roundtrip_bits(&[
        (0, 0),
        (10, 0x8000_0000_0000_0001),
        (20, 0x0000_0000_0000_0000),
        (30, 0x7fff_ffff_ffff_ffff),
    ]);
    let p2 = p + 13 + 64;
    assert_eq!(bits_at(&b, p2, 3), 0b010); // dod 0, `10`
    assert_eq!(bits_at(&b, p2 + 3, 64), 0x8000_0000_0000_0001);
    let p3 = p2 + 3 + 64;
    assert_eq!(bits_at(&b, p3, 3), 0b010);
    assert_eq!(bits_at(&b, p3 + 3, 64), 0x7fff_ffff_ffff_ffff);

    // Narrower deltas inside a wider window reuse it; wider ones reset it.
    roundtrip_bits(&[
        (0, 0x1234_5678_9abc_def0),
        (1, 0x1234_5678_9abc_de00),
        (2, 0x1234_5678_9abc_df00),
        (3, 0x1234_5678_8abc_df00),
        (4, 0x1234_5678_8abc_df01),
        (5, 0x9234_5678_8abc_df01),
        (6, 0x9234_5678_8abc_df01),
        (7, 0x1234_5678_8abc_df01),
    ]);
}

#[test]
fn special_floats() {
    let specials: Vec<u64> = vec![
        STALE_NAN_BITS,
        f64::NAN.to_bits(),
        0x7ff8_0000_0000_0001,
        0xfff8_0000_0000_0000,
        0x7ff0_0000_0000_0001,
        0xffff_ffff_ffff_ffff,
        0.0f64.to_bits(),
        (-0.0f64).to_bits(),
        f64::INFINITY.to_bits(),
        f64::NEG_INFINITY.to_bits(),
        1,
        0x000f_ffff_ffff_ffff,
        0x8000_0000_0000_0001,
        f64::MIN_POSITIVE.to_bits(),
        f64::MAX.to_bits(),
        f64::MIN.to_bits(),
        f64::EPSILON.to_bits(),
    ];
    let mut s = Vec::new();
    let mut t = 0;
    for &a in &specials {
        for &b in &specials {
            s.push((t, a));
            s.push((t + 1, b));
            t += 2;
        }
    }
    roundtrip_bits(&s);
    // Stale marker after a normal value and back.
    roundtrip(&[
        (0, 1.0),
        (15, f64::from_bits(STALE_NAN_BITS)),
        (30, f64::from_bits(STALE_NAN_BITS)),
        (45, 1.0),
    ]);
}

#[test]
fn regular_scrapes() {
    // Gauge, counter, constant, random: all at 15 s.
    let mut rng = Rng(1);
    let mut gauge = 50.0f64;
    let mut counter = 0.0f64;
    let mut g = Vec::new();
    let mut c = Vec::new();
    let mut k = Vec::new();
    let mut r = Vec::new();
    for i in 0..120 {
        let t = 1_700_000_000_000 + i * 15_000;
        gauge += (rng.below(201) as f64 - 100.0) / 100.0;
        if rng.below(3) == 0 {
            counter += rng.below(50) as f64;
        }
        g.push((t, gauge));
        c.push((t, counter));
        k.push((t, 3.0));
        r.push((t, rng.next_u64()));
    }
    roundtrip(&g);
    roundtrip(&c);
    let b = roundtrip(&k);
    // 118 samples of 2 bits after the first two.
    assert_eq!(b.len(), (16 + 48 + 64 + 16 + 1 + 118 * 2usize).div_ceil(8));
    roundtrip_bits(&r);
}

#[test]
fn random_roundtrips() {
    let mut rng = Rng(99);
    for round in 0..300 {
        let n = rng.below(400) as usize;
        let mut t = (rng.next_u64() as i64) >> rng.below(64);
        let mut s = Vec::with_capacity(n);
        let mut v = rng.next_u64();
        for _ in 0..n {
            s.push((t, v));
            let step = match rng.below(5) {
                0 => 1,
                1 => 15_000,
                2 => 15_000 + rng.below(2000) as i64 - 1000,
                3 => (rng.next_u64() >> (1 + rng.below(63))) as i64 | 1,
                _ => 1 + rng.below(1_000_000) as i64,
            };
            t = t.wrapping_add(step);
            v = match rng.below(4) {
                0 => v,
                1 => rng.next_u64(),
                2 => v ^ (rng.next_u64() >> rng.below(64)),
                _ => v ^ (rng.next_u64() << rng.below(64)),
            };
        }
        let _ = round;
        roundtrip_bits(&s);
    }
}

#[test]
fn full_chunk() {
    let mut enc = XorEncoder::new();
    let mut rng = Rng(3);
    let mut s = Vec::new();
    for i in 0..usize::from(MAX_SAMPLES_PER_CHUNK) {
        let t = i as i64 * 15_000 + rng.below(3) as i64;
        let v = if i % 7 == 0 {
            rng.next_u64()
        } else {
            (i / 10) as u64
        };
        enc.append(t, f64::from_bits(v));
        s.push((t, v));
    }
    assert!(enc.is_full());
    let before = enc.bytes().to_vec();
    enc.append(i64::MAX, 1.0);
    assert_eq!(enc.num_samples(), MAX_SAMPLES_PER_CHUNK);
    assert_eq!(enc.bytes(), &before[..]);
    assert_eq!(&before[..2], &[0xff, 0xff]);
    assert_eq!(decode_all(&before).unwrap(), s);
    assert_eq!(iter_all(&before).unwrap(), s);
}

#[test]
fn truncated_prefixes_error() {
    let mut rng = Rng(5);
    let mut s = Vec::new();
    for i in 0..130i64 {
        let v = if i % 3 == 0 {
            rng.next_u64()
        } else {
            (i / 4) as u64
        };
        s.push((i * 15_000 + (i % 5) * 3, v));
    }
    s.push((i64::MAX, 0));
    let b = roundtrip_bits(&s);
    // Without Prometheus' possible extra empty byte at the end.
    let data_len = go_model(&s).data_len;
    assert!(data_len == b.len() || (data_len + 1 == b.len() && b[data_len] == 0));
    for cut in 2..data_len {
        let err = decode_all(&b[..cut]).unwrap_err();
        assert!(
            matches!(err, ChunkError::Truncated { len, .. } if len == cut),
            "{err}"
        );
        assert_eq!(iter_all(&b[..cut]).unwrap_err(), err);
    }
    assert_eq!(decode_all(&b[..data_len]).unwrap(), s);
    // Samples before the truncation are still produced by the iterator.
    let mut it = XorIter::new(&b[..b.len() / 2]).unwrap();
    let mut good = 0;
    loop {
        match it.next_sample() {
            Ok(Some((t, v))) => {
                assert_eq!((t, v.to_bits()), s[good]);
                good += 1;
            }
            Ok(None) => panic!("truncated chunk ended cleanly"),
            Err(e) => {
                // Sticky.
                assert_eq!(it.next_sample(), Err(e));
                break;
            }
        }
    }
    assert!(good > 10);
    // As an Iterator: the good samples, one error, then None.
    let items: Vec<_> = XorIter::new(&b[..b.len() / 2]).unwrap().collect();
    assert_eq!(items.len(), good + 1);
    assert!(items.last().unwrap().is_err());
}

#[test]
fn error_truncates_outputs() {
    let b = encode_xor(&[(0, 1.0), (15, 2.0), (30, 3.0), (45, 4.5)]);
    let (mut ts, mut vs) = (vec![7], vec![7.0]);
    assert!(decode_xor_into(&b[..b.len() - 1], &mut ts, &mut vs).is_err());
    assert_eq!((ts.as_slice(), vs.as_slice()), (&[7][..], &[7.0][..]));
    decode_xor_into(&b, &mut ts, &mut vs).unwrap();
    assert_eq!(ts, vec![7, 0, 15, 30, 45]);
    assert_eq!(vs, vec![7.0, 1.0, 2.0, 3.0, 4.5]);
}

#[test]
fn corrupt_varints() {
    // A 1-sample chunk whose timestamp varint is `continued` continuation
    // bytes (0xff) then `last` (if any), followed by a zero value.
    let chunk = |continued: usize, last: &[u8]| {
        [&[0, 1][..], &vec![0xff; continued], last, &[0; 8]].concat()
    };
    // Ten continuation bytes.
    assert_eq!(
        decode_all(&chunk(10, &[])),
        Err(ChunkError::VarintOverflow { sample: 0 })
    );
    // Tenth byte > 1.
    assert_eq!(
        decode_all(&chunk(9, &[2])),
        Err(ChunkError::VarintOverflow { sample: 0 })
    );
    // Tenth byte == 1 is the largest valid varint: zig-zag u64::MAX = i64::MIN.
    assert_eq!(decode_all(&chunk(9, &[1])), Ok(vec![(i64::MIN, 0)]));
    // Sample 1 overflow.
    let mut c = vec![0, 2, 0];
    c.extend([0; 8]);
    c.extend([0x80; 10]);
    assert_eq!(
        decode_all(&c),
        Err(ChunkError::VarintOverflow { sample: 1 })
    );
    assert_eq!(iter_all(&c), Err(ChunkError::VarintOverflow { sample: 1 }));
    // Missing varint bytes.
    assert!(matches!(
        decode_all(&[0, 1, 0x80]),
        Err(ChunkError::Truncated {
            sample: 0,
            bit_offset: 16,
            len: 3
        })
    ));
}

#[test]
fn corrupt_window() {
    // Sample 1 value header `11` + leading 31 + significant 63.
    let mut c = vec![0, 2, 0];
    c.extend([0; 8]);
    c.push(1);
    c.extend([0xff, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0]);
    let e = decode_all(&c).unwrap_err();
    assert_eq!(
        e,
        ChunkError::BadXorWindow {
            sample: 1,
            leading: 31,
            significant: 63
        }
    );
    assert!(e.to_string().contains("31 leading"));
    assert_eq!(iter_all(&c), Err(e));
}

#[test]
fn bit_flips_never_panic() {
    let mut rng = Rng(11);
    let mut s = Vec::new();
    let mut t = -50_000i64;
    for i in 0..40 {
        t += [15_000, 14_999, 1, 1 << 20, 1 << 40][i % 5];
        s.push((
            t,
            if i % 2 == 0 {
                rng.next_u64()
            } else {
                (i as f64).to_bits()
            },
        ));
    }
    let b = roundtrip_bits(&s);
    for bit in 0..b.len() * 8 {
        let mut c = b.clone();
        c[bit / 8] ^= 0x80 >> (bit % 8);
        let a = decode_all(&c);
        let i = iter_all(&c);
        assert_eq!(a, i, "bit {bit}");
        for cut in [c.len() / 3, c.len() - 1] {
            let _ = decode_all(&c[..cut]);
            let _ = iter_all(&c[..cut]);
        }
    }
    for _ in 0..2000 {
        let n = rng.below(64) as usize;
        let c: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
        assert_eq!(decode_all(&c), iter_all(&c));
    }
}

#[test]
fn error_messages() {
    assert_eq!(
        ChunkError::TooShort { len: 1 }.to_string(),
        "chunk too short: 1 byte(s), need at least 2 for the sample count"
    );
    let e = ChunkError::Truncated {
        sample: 5,
        bit_offset: 300,
        len: 40,
    };
    assert_eq!(
        e.to_string(),
        "chunk truncated: sample 5 (starting at bit 300) runs past the end of the 40-byte chunk"
    );
    assert_eq!(
        ChunkError::UnsupportedEncoding(9).to_string(),
        "unsupported chunk encoding 9"
    );
}

/// Literal model of Prometheus 2.42's `bstream` writer and
/// `xorAppender.Append`, bit by bit, including `writeByte` always appending
/// a byte. Independent of the word-at-a-time writer under test.
struct GoModel {
    stream: Vec<u8>,
    /// Free bits in the last byte.
    count: u8,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
    num: u16,
    /// Bytes holding data bits (the stream without a trailing empty byte).
    data_len: usize,
    /// Bits written.
    bits: usize,
}

impl GoModel {
    fn new() -> Self {
        GoModel {
            stream: vec![0, 0],
            count: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0xff,
            trailing: 0,
            num: 0,
            data_len: 2,
            bits: 16,
        }
    }

    fn write_bit(&mut self, bit: bool) {
        if self.count == 0 {
            self.stream.push(0);
            self.count = 8;
        }
        let i = self.stream.len() - 1;
        if bit {
            self.stream[i] |= 1 << (self.count - 1);
        }
        self.count -= 1;
        self.bits += 1;
    }

    fn write_byte(&mut self, byt: u8) {
        if self.count == 0 {
            self.stream.push(0);
            self.count = 8;
        }
        let i = self.stream.len() - 1;
        self.stream[i] |= byt >> (8 - self.count);
        self.stream.push((u16::from(byt) << self.count) as u8);
        self.bits += 8;
    }

    fn write_bits(&mut self, u: u64, nbits: u32) {
        let mut u = u << (64 - nbits);
        let mut n = nbits;
        while n >= 8 {
            self.write_byte((u >> 56) as u8);
            u <<= 8;
            n -= 8;
        }
        while n > 0 {
            self.write_bit(u >> 63 == 1);
            u <<= 1;
            n -= 1;
        }
    }

    fn write_v_delta(&mut self, v: u64) {
        let delta = v ^ self.v;
        if delta == 0 {
            self.write_bit(false);
            return;
        }
        self.write_bit(true);
        let mut leading = delta.leading_zeros() as u8;
        let trailing = delta.trailing_zeros() as u8;
        if leading >= 32 {
            leading = 31;
        }
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.write_bit(false);
            let n = 64 - u32::from(self.leading) - u32::from(self.trailing);
            self.write_bits(delta >> self.trailing, n);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        self.write_bit(true);
        self.write_bits(u64::from(leading), 5);
        let sigbits = 64 - u32::from(leading) - u32::from(trailing);
        self.write_bits(u64::from(sigbits), 6);
        self.write_bits(delta >> trailing, sigbits);
    }

    fn append(&mut self, t: i64, v: u64) {
        let mut t_delta = 0u64;
        match self.num {
            0 => {
                let mut ux = (t as u64) << 1;
                if t < 0 {
                    ux = !ux;
                }
                while ux >= 0x80 {
                    self.write_byte(ux as u8 | 0x80);
                    ux >>= 7;
                }
                self.write_byte(ux as u8);
                self.write_bits(v, 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let mut ux = t_delta;
                while ux >= 0x80 {
                    self.write_byte(ux as u8 | 0x80);
                    ux >>= 7;
                }
                self.write_byte(ux as u8);
                self.write_v_delta(v);
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                let bit_range = |x: i64, n: u32| -((1i64 << (n - 1)) - 1) <= x && x <= 1 << (n - 1);
                if dod == 0 {
                    self.write_bit(false);
                } else if bit_range(dod, 14) {
                    self.write_bits(0b10, 2);
                    self.write_bits(dod as u64 & 0x3fff, 14);
                } else if bit_range(dod, 17) {
                    self.write_bits(0b110, 3);
                    self.write_bits(dod as u64 & 0x1_ffff, 17);
                } else if bit_range(dod, 20) {
                    self.write_bits(0b1110, 4);
                    self.write_bits(dod as u64 & 0xf_ffff, 20);
                } else {
                    self.write_bits(0b1111, 4);
                    self.write_bits(dod as u64, 64);
                }
                self.write_v_delta(v);
            }
        }
        self.t = t;
        self.v = v;
        self.num += 1;
        self.stream[..2].copy_from_slice(&self.num.to_be_bytes());
        self.t_delta = t_delta;
        self.data_len = self.bits.div_ceil(8);
    }
}

fn go_model(samples: &[(i64, u64)]) -> GoModel {
    let mut m = GoModel::new();
    for &(t, v) in samples {
        m.append(t, v);
    }
    m
}

#[test]
fn byte_exact_with_go_model() {
    let mut rng = Rng(2024);
    let mut padded = 0;
    for round in 0..400 {
        let n = rng.below(150) as usize;
        let mut t = (rng.next_u64() as i64) >> rng.below(64);
        let mut v = rng.next_u64();
        let mut m = GoModel::new();
        let mut enc = XorEncoder::new();
        for _ in 0..n {
            m.append(t, v);
            enc.append(t, f64::from_bits(v));
            assert_eq!(enc.bytes(), &m.stream[..], "round {round}");
            if m.stream.len() > m.data_len {
                padded += 1;
            }
            t = t.wrapping_add(match rng.below(4) {
                0 => 15_000,
                1 => 15_000 + rng.below(100) as i64 - 50,
                2 => (rng.next_u64() >> (1 + rng.below(63))) as i64 | 1,
                _ => 1 + rng.below(1_000_000) as i64,
            });
            v = match rng.below(6) {
                0 => v,
                1 => rng.next_u64(),
                // Windows whose width is a multiple of 8 bits.
                2 => v ^ (((1 << 7) | 1) << rng.below(57)),
                3 => v ^ (((1 << 15) | 1) << rng.below(49)),
                4 => v ^ (rng.next_u64() >> rng.below(64)),
                _ => (rng.below(10_000) as f64 / 100.0).to_bits(),
            };
        }
        assert_eq!(enc.into_bytes(), m.stream);
    }
    // The extra byte case was exercised.
    assert!(padded > 100, "{padded}");
}
