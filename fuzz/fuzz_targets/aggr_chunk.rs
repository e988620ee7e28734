//! Downsampled aggregate chunk (AggrChunk, encoding 0xff) decoding over arbitrary bytes:
//! the part splitter of `mnemos_tsdb::chunkenc::aggr`, each part's XOR data, the reader's
//! counter-reset rules, the store gateway's conversion to StoreAPI chunks, the compactor's
//! part decoder and window count, and native histogram aggregates (decoded, downsampled). The input is the chunk data (what follows the encoding byte).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mnemos_compact::aggr::{decode_part, AggrType};
use mnemos_tsdb::chunkenc::aggr::{
    apply_counter_resets, decode_aggr, is_histogram_aggr, AGGR_ENCODING,
};
use mnemos_tsdb::chunkenc::{decode_xor_into, Encoding};
use mnemos_tsdb::chunks::RawChunk;

const TYPES: [AggrType; 5] = [
    AggrType::Count,
    AggrType::Sum,
    AggrType::Min,
    AggrType::Max,
    AggrType::Counter,
];

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    let split = decode_aggr(data);
    // The store gateway's conversion to a StoreAPI chunk (all five aggregates) agrees with
    // the splitter: it fails exactly when the splitter fails, and carries each part as is.
    let store = mnemos_store::aggr::to_aggr_chunk(0, 1, AGGR_ENCODING, bytes.clone(), &[]);
    match (&split, &store) {
        (Ok(parts), Ok(Some(chunk))) => {
            let carried = [
                &chunk.count,
                &chunk.sum,
                &chunk.min,
                &chunk.max,
                &chunk.counter,
            ];
            for (p, c) in parts.iter().zip(carried) {
                assert_eq!(
                    p.map(|p| p.data),
                    c.as_ref().map(|c| c.data.as_ref()),
                    "the store gateway changes a part"
                );
                assert_eq!(
                    p.map(|p| p.encoding.as_byte()),
                    c.as_ref().map(|c| c.r#type as u8 + 1),
                    "the store gateway changes a part's encoding"
                );
            }
        }
        (Ok(_), other) => panic!("store gateway fails on a chunk tsdb splits: {other:?}"),
        (Err(_), Ok(_)) => panic!("store gateway accepts a chunk tsdb rejects"),
        (Err(_), Err(_)) => {}
    }
    let windows = mnemos_compact::merge::aggr_windows(&RawChunk {
        encoding: AGGR_ENCODING,
        data: bytes.clone(),
    });
    let Ok(parts) = split else {
        return;
    };
    for (part, kind) in parts.iter().zip(TYPES) {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        // The compactor's part decoder reads XOR parts only (histogram parts are read
        // whole by the histogram downsampler below).
        let direct = part.map(|p| match p.encoding {
            Encoding::Xor => decode_xor_into(p.data, &mut ts, &mut vs).map_err(|_| ()),
            _ => Err(()),
        });
        let mut via_compactor = Vec::new();
        let compactor = decode_part(data, kind, &mut via_compactor);
        match direct {
            None => assert!(compactor.is_ok() && via_compactor.is_empty()),
            Some(Ok(())) => {
                let direct: Vec<(i64, f64)> = ts.into_iter().zip(vs).collect();
                assert!(compactor.is_ok(), "compactor rejects a part that decodes");
                assert_eq!(
                    direct
                        .iter()
                        .map(|(t, v)| (*t, v.to_bits()))
                        .collect::<Vec<_>>(),
                    via_compactor
                        .iter()
                        .map(|(t, v)| (*t, v.to_bits()))
                        .collect::<Vec<_>>()
                );
            }
            Some(Err(_)) => assert!(compactor.is_err(), "compactor accepts a bad part"),
        }
    }
    if let Some(header) = parts[0].and_then(|p| p.data.get(..2)) {
        assert_eq!(
            windows,
            u64::from(u16::from_be_bytes([header[0], header[1]]))
        );
    }
    // The counter part, alone and as two consecutive chunks.
    if let Some(counter) = parts[4].filter(|p| p.encoding == Encoding::Xor) {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        if decode_xor_into(counter.data, &mut ts, &mut vs).is_ok() {
            let samples: Vec<(i64, f64)> = ts.into_iter().zip(vs).collect();
            let (out, _last) = apply_counter_resets(std::slice::from_ref(&samples));
            assert!(out.len() <= samples.len());
            let _ = apply_counter_resets(&[samples.clone(), samples]);
        }
    }
    // A native histogram series' aggregates (count XOR, sum and counter float histogram
    // chunks): decoded, and downsampled again when they decode, without a panic.
    let mut windows = Vec::new();
    if is_histogram_aggr(&parts)
        && mnemos_compact::downsample_histograms::decode_histogram_aggr(data, &mut windows).is_ok()
    {
        let _ = mnemos_compact::downsample_histograms::downsample_histogram_aggregates(
            &windows, 3_600_000,
        );
    }
});
