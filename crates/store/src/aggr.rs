//! Downsampled chunks (Thanos' `AggrChunk`, encoding byte 0xff) turned into StoreAPI
//! chunks with the requested aggregates (the parts are split by
//! [`mnemos_tsdb::chunkenc::aggr::decode_aggr`]); and the choice of blocks by resolution.

use bytes::Bytes;
use mnemos_storeapi::thanos::{self, Aggr, AggrChunk};
use mnemos_tsdb::chunkenc::aggr::{decode_aggr, is_histogram_aggr};
use mnemos_tsdb::chunkenc::Encoding;

pub use mnemos_tsdb::chunkenc::aggr::AGGR_ENCODING;

/// Encoding byte of an XOR chunk in a segment file.
pub const XOR_ENCODING: u8 = Encoding::Xor.as_byte();

/// The five parts of an aggregate chunk, in storage order.
pub const PARTS: [Aggr; 5] = [Aggr::Count, Aggr::Sum, Aggr::Min, Aggr::Max, Aggr::Counter];

fn raw_chunk(encoding: thanos::chunk::Encoding, data: Bytes) -> thanos::Chunk {
    thanos::Chunk {
        r#type: encoding as i32,
        hash: xxhash_rust::xxh64::xxh64(&data, 0),
        data,
    }
}

/// The StoreAPI encoding of a chunk encoding.
fn store_encoding(encoding: Encoding) -> thanos::chunk::Encoding {
    match encoding {
        Encoding::Xor => thanos::chunk::Encoding::Xor,
        Encoding::Histogram => thanos::chunk::Encoding::Histogram,
        Encoding::FloatHistogram => thanos::chunk::Encoding::FloatHistogram,
    }
}

/// The StoreAPI encoding of a raw chunk's encoding byte (native histograms pass through as
/// stored), or `None` for bytes the StoreAPI has no value for.
fn raw_encoding(encoding: u8) -> Option<thanos::chunk::Encoding> {
    Encoding::from_byte(encoding).map(store_encoding)
}

/// A StoreAPI chunk from a stored chunk: raw chunks (XOR, native histograms) go in `raw`;
/// aggregate chunks fill the requested aggregates (all five when none are requested), and a
/// native histogram series' chunk asked only for what it lacks (min, max) is skipped;
/// encodings the StoreAPI has no value for are skipped (`None`).
pub fn to_aggr_chunk(
    min_time: i64,
    max_time: i64,
    encoding: u8,
    data: Bytes,
    requested: &[Aggr],
) -> Result<Option<AggrChunk>, String> {
    let mut out = AggrChunk {
        min_time,
        max_time,
        ..AggrChunk::default()
    };
    match encoding {
        AGGR_ENCODING => {
            let parts = decode_aggr(&data).map_err(|e| e.to_string())?;
            let histogram = is_histogram_aggr(&parts);
            for (aggr, part) in PARTS.iter().zip(parts) {
                if !requested.is_empty() && !requested.contains(aggr) {
                    continue;
                }
                let Some(part) = part else { continue };
                let c = Some(raw_chunk(
                    store_encoding(part.encoding),
                    data.slice_ref(part.data),
                ));
                match aggr {
                    Aggr::Count => out.count = c,
                    Aggr::Sum => out.sum = c,
                    Aggr::Min => out.min = c,
                    Aggr::Max => out.max = c,
                    Aggr::Counter => out.counter = c,
                    Aggr::Raw => {}
                }
            }
            let empty = [&out.count, &out.sum, &out.min, &out.max, &out.counter]
                .iter()
                .all(|p| p.is_none());
            if histogram && empty {
                // A native histogram series has no min or max (Thanos #8110): nothing to
                // send for them.
                return Ok(None);
            }
        }
        other => match raw_encoding(other) {
            Some(e) => out.raw = Some(raw_chunk(e, data)),
            None => return Ok(None),
        },
    }
    Ok(Some(out))
}

/// A block's time range and resolution, for [`choose_by_resolution`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First timestamp (ms, inclusive).
    pub min_time: i64,
    /// End (ms, exclusive).
    pub max_time: i64,
    /// Resolution (ms).
    pub resolution: i64,
}

/// Indices of the blocks (of one stream) to read for `[mint, maxt]`: the coarsest
/// resolution not above `max_resolution`, with the gaps it leaves filled recursively by finer
/// resolutions (Thanos' rule). `blocks` need not be sorted.
pub fn choose_by_resolution(
    blocks: &[Span],
    mint: i64,
    maxt: i64,
    max_resolution: i64,
) -> Vec<usize> {
    let mut resolutions: Vec<i64> = blocks.iter().map(|b| b.resolution).collect();
    resolutions.sort_unstable_by(|a, b| b.cmp(a));
    resolutions.dedup();
    let allowed: Vec<i64> = resolutions
        .into_iter()
        .filter(|r| *r <= max_resolution)
        .collect();
    let mut out = Vec::new();
    fill(blocks, &allowed, mint, maxt, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

fn fill(blocks: &[Span], resolutions: &[i64], mint: i64, maxt: i64, out: &mut Vec<usize>) {
    let Some((&res, finer)) = resolutions.split_first() else {
        return;
    };
    if mint > maxt {
        return;
    }
    let mut at_res: Vec<usize> = (0..blocks.len())
        .filter(|&i| {
            blocks[i].resolution == res && blocks[i].max_time > mint && blocks[i].min_time <= maxt
        })
        .collect();
    at_res.sort_by_key(|&i| (blocks[i].min_time, blocks[i].max_time));
    let mut start = mint;
    for i in at_res {
        if blocks[i].min_time > start {
            fill(blocks, finer, start, blocks[i].min_time - 1, out);
        }
        out.push(i);
        start = start.max(blocks[i].max_time);
    }
    fill(blocks, finer, start, maxt, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(min: i64, max: i64, res: i64) -> Span {
        Span {
            min_time: min,
            max_time: max,
            resolution: res,
        }
    }

    #[test]
    fn coarse_blocks_first_gaps_filled_with_finer_ones() {
        let blocks = [
            span(0, 100, 0),
            span(100, 200, 0),
            span(200, 300, 0),
            span(0, 200, 300_000),
        ];
        // Raw only.
        assert_eq!(choose_by_resolution(&blocks, 0, 299, 0), vec![0, 1, 2]);
        // 5m covers [0, 200); raw fills [200, 300).
        assert_eq!(choose_by_resolution(&blocks, 0, 299, 300_000), vec![2, 3]);
        // Gap before the coarse block.
        let blocks = [span(0, 100, 0), span(100, 300, 300_000)];
        assert_eq!(choose_by_resolution(&blocks, 0, 299, 3_600_000), vec![0, 1]);
        assert_eq!(choose_by_resolution(&blocks, 150, 299, 3_600_000), vec![1]);
    }

    #[test]
    fn aggregate_chunks_give_the_requested_parts() {
        use mnemos_tsdb::chunkenc::aggr::{encode_aggr, AggrPart};
        let x = |d| Some(AggrPart::xor(d));
        // count present, sum absent, min, max, counter present.
        let data = Bytes::from(encode_aggr([x(b"cc"), None, x(b"mi"), x(b"ma"), x(b"co")]));
        let c = to_aggr_chunk(
            0,
            10,
            AGGR_ENCODING,
            data.clone(),
            &[Aggr::Count, Aggr::Counter],
        )
        .expect("ok")
        .expect("known");
        assert_eq!(c.count.as_ref().map(|p| &p.data[..]), Some(&b"cc"[..]));
        assert!(c.count.is_some() && c.counter.is_some());
        assert!(c.sum.is_none() && c.min.is_none() && c.max.is_none() && c.raw.is_none());
        let all = to_aggr_chunk(0, 10, AGGR_ENCODING, data.clone(), &[])
            .expect("ok")
            .expect("known");
        assert!(all.sum.is_none() && all.min.is_some() && all.max.is_some());
        assert!(to_aggr_chunk(0, 10, AGGR_ENCODING, data.slice(..4), &[]).is_err());
        // A native histogram series' aggregates: count XOR, sum and counter float
        // histogram chunks (Thanos #8110), served with their own encodings.
        let fh = |d| {
            Some(AggrPart {
                encoding: Encoding::FloatHistogram,
                data: d,
            })
        };
        let data = Bytes::from(encode_aggr([x(b"cc"), fh(b"su"), None, None, fh(b"co")]));
        let c = to_aggr_chunk(0, 10, AGGR_ENCODING, data, &[])
            .expect("ok")
            .expect("known");
        let kind = |p: &Option<thanos::Chunk>| p.as_ref().map(|p| p.r#type);
        assert_eq!(kind(&c.count), Some(thanos::chunk::Encoding::Xor as i32));
        let float_histogram = Some(thanos::chunk::Encoding::FloatHistogram as i32);
        assert_eq!(kind(&c.sum), float_histogram);
        assert_eq!(kind(&c.counter), float_histogram);
        assert!(c.min.is_none() && c.max.is_none());
        let data = Bytes::from(encode_aggr([x(b"cc"), fh(b"su"), None, None, fh(b"co")]));
        assert_eq!(
            to_aggr_chunk(0, 10, AGGR_ENCODING, data, &[Aggr::Min]),
            Ok(None)
        );
    }

    #[test]
    fn a_huge_aggregate_part_length_is_an_error() {
        // Part 0 announces 2^64 - 1 bytes: an error, not an overflow.
        let mut data = vec![0xff; 9];
        data.extend_from_slice(&[0x01, XOR_ENCODING, 1, 2]);
        let err = to_aggr_chunk(0, 1, AGGR_ENCODING, Bytes::from(data), &[]).unwrap_err();
        assert!(err.contains("runs past the end"), "{err}");
    }
}
