//! Property tests of the XOR chunk codec: bit-exact round trips of arbitrary
//! samples, and no panics on truncated or corrupted chunks.

use mnemos_tsdb::chunkenc::{decode_xor_into, encode_xor, ChunkError, XorEncoder, XorIter};
use proptest::prelude::*;

/// Timestamp gaps: tiny, scrape-like with jitter, large, and huge.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => 1u64..=10,
        4 => (15_000u64 - 2_000)..=(15_000 + 2_000),
        2 => Just(15_000u64),
        1 => 1u64..=(1 << 20),
        1 => 1u64..=(1 << 40),
        1 => 1u64..=u64::MAX,
    ]
}

/// How the next value relates to the previous one.
#[derive(Clone, Debug)]
enum Step {
    Same,
    Any(u64),
    Flip(u64),
    Decimal(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Same),
        2 => any::<u64>().prop_map(Step::Any),
        2 => (any::<u64>(), 0u32..64).prop_map(|(x, s)| Step::Flip(x >> s)),
        2 => any::<u32>().prop_map(Step::Decimal),
    ]
}

/// Strictly increasing timestamps (from any start; the list ends early only
/// if it reaches `i64::MAX`) with arbitrary value bit patterns.
fn samples(len: impl Into<proptest::sample::SizeRange>) -> impl Strategy<Value = Vec<(i64, u64)>> {
    (
        any::<i64>(),
        prop_oneof![Just(0u32), 0u32..64],
        any::<u64>(),
        prop::collection::vec((gap(), step()), len),
    )
        .prop_map(|(start, shift, v0, steps)| {
            // Often start near zero or negative; sometimes anywhere.
            let mut t = start >> shift;
            let mut v = v0;
            let mut out = Vec::with_capacity(steps.len());
            for (g, s) in steps {
                out.push((t, v));
                // A gap that would overflow becomes 1; stop only at i64::MAX.
                let next = i64::try_from(g).ok().and_then(|g| t.checked_add(g));
                let Some(next) = next.or_else(|| t.checked_add(1)) else {
                    break;
                };
                t = next;
                v = match s {
                    Step::Same => v,
                    Step::Any(x) => x,
                    Step::Flip(x) => v ^ x,
                    Step::Decimal(x) => (f64::from(x % 100_000) / 100.0).to_bits(),
                };
            }
            out
        })
}

/// Counter-like series, the shape the decoder's run loop handles: integer
/// values unchanged for runs of any length (some past the 16 samples the
/// decoder writes at once), growing by small or large steps, at a 15 s
/// interval with occasional jitter.
fn counters() -> impl Strategy<Value = Vec<(i64, u64)>> {
    (
        -(1i64 << 40)..(1i64 << 40),
        0u64..(1 << 40),
        prop::collection::vec(
            (
                prop_oneof![3 => 0usize..4, 2 => 4usize..20, 1 => 20usize..40],
                prop_oneof![4 => 1u64..100, 1 => 1u64..(1 << 30)],
                prop_oneof![8 => Just(0i64), 1 => -500i64..500],
            ),
            1..60,
        ),
    )
        .prop_map(|(mut t, mut c, units)| {
            let mut out = Vec::new();
            for (run, inc, jitter) in units {
                for _ in 0..run {
                    out.push((t, (c as f64).to_bits()));
                    t += 15_000;
                }
                c += inc;
                out.push((t, (c as f64).to_bits()));
                t += 15_000 + jitter;
            }
            out
        })
}

fn encode(samples: &[(i64, u64)]) -> Vec<u8> {
    let mut enc = XorEncoder::new();
    for &(t, v) in samples {
        enc.append(t, f64::from_bits(v));
    }
    enc.into_bytes()
}

fn decode_into(chunk: &[u8]) -> Result<Vec<(i64, u64)>, ChunkError> {
    // Pre-filled vectors: decoding appends, and restores them on error.
    let (mut ts, mut vs) = (vec![-7i64], vec![0.5f64]);
    let res = decode_xor_into(chunk, &mut ts, &mut vs);
    assert_eq!(ts.len(), vs.len());
    assert_eq!((ts[0], vs[0].to_bits()), (-7, 0.5f64.to_bits()));
    match res {
        Ok(()) => Ok(ts[1..]
            .iter()
            .zip(&vs[1..])
            .map(|(&t, v)| (t, v.to_bits()))
            .collect()),
        Err(e) => {
            assert_eq!(ts.len(), 1, "outputs not restored on error");
            Err(e)
        }
    }
}

fn decode_iter(chunk: &[u8]) -> Result<Vec<(i64, u64)>, ChunkError> {
    let mut it = XorIter::new(chunk)?;
    let mut out = Vec::new();
    while let Some((t, v)) = it.next_sample()? {
        out.push((t, v.to_bits()));
    }
    Ok(out)
}

fn check_roundtrip(s: &[(i64, u64)]) -> Result<(), TestCaseError> {
    let chunk = encode(s);
    let floats: Vec<(i64, f64)> = s.iter().map(|&(t, v)| (t, f64::from_bits(v))).collect();
    prop_assert_eq!(&encode_xor(&floats), &chunk);
    prop_assert_eq!(u16::from_be_bytes([chunk[0], chunk[1]]) as usize, s.len());
    prop_assert_eq!(&decode_into(&chunk).unwrap(), s);
    prop_assert_eq!(&decode_iter(&chunk).unwrap(), s);
    Ok(())
}

/// Cuts the chunk of `s` at several lengths (one of them `cut`): never
/// panics, both decoders agree, and a cut that keeps every data byte
/// decodes everything.
fn check_truncations(s: &[(i64, u64)], cut: prop::sample::Index) -> Result<(), TestCaseError> {
    let chunk = encode(s);
    let full = decode_into(&chunk).unwrap();
    for len in [
        cut.index(chunk.len() + 1),
        chunk.len() - 1,
        chunk.len() / 2,
        1,
        0,
    ] {
        let part = &chunk[..len];
        let a = decode_into(part);
        let b = decode_iter(part);
        prop_assert_eq!(&a, &b, "len {}", len);
        if let Ok(got) = a {
            // Only the possible trailing empty byte may be cut cleanly.
            prop_assert!(
                len + 1 >= chunk.len(),
                "len {} of {} decoded",
                len,
                chunk.len()
            );
            prop_assert_eq!(&got, &full);
        }
    }
    Ok(())
}

/// Flips the bits `flips` of the chunk of `s`: never panics and both
/// decoders agree on the result, also truncated after the flips.
fn check_flips(s: &[(i64, u64)], flips: &[prop::sample::Index]) -> Result<(), TestCaseError> {
    let mut chunk = encode(s);
    let nbits = chunk.len() * 8;
    for f in flips {
        let bit = f.index(nbits);
        chunk[bit / 8] ^= 0x80 >> (bit % 8);
    }
    let a = decode_into(&chunk);
    let b = decode_iter(&chunk);
    prop_assert_eq!(&a, &b);
    let cut = flips[0].index(chunk.len() + 1);
    prop_assert_eq!(decode_into(&chunk[..cut]), decode_iter(&chunk[..cut]));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn roundtrip_up_to_300(s in samples(0..=300usize)) {
        check_roundtrip(&s)?;
    }

    #[test]
    fn roundtrip_120(s in samples(120usize)) {
        prop_assume!(s.len() == 120);
        check_roundtrip(&s)?;
    }

    #[test]
    fn regular_scrapes_roundtrip(
        start in -(1i64 << 50)..(1i64 << 50),
        values in prop::collection::vec(any::<u64>(), 1..=240usize),
    ) {
        let s: Vec<(i64, u64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (start + i as i64 * 15_000, v))
            .collect();
        check_roundtrip(&s)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Cutting a chunk anywhere never panics; both decoders agree; a cut
    /// that keeps every data byte decodes everything.
    #[test]
    fn truncation_never_panics(s in samples(1..=200usize), cut in any::<prop::sample::Index>()) {
        check_truncations(&s, cut)?;
    }

    /// Flipping any bit never panics and both decoders agree on the result.
    #[test]
    fn bit_flips_never_panic(
        s in samples(1..=200usize),
        flips in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        check_flips(&s, &flips)?;
    }

    /// The same for counters.
    #[test]
    fn counters_roundtrip_truncations_and_flips(
        s in counters(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        check_roundtrip(&s)?;
        check_truncations(&s, cut)?;
        check_flips(&s, &flips)?;
    }

    /// Arbitrary bytes never panic either.
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        prop_assert_eq!(decode_into(&bytes), decode_iter(&bytes));
    }
}
