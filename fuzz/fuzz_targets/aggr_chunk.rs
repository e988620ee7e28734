//! Downsampled aggregate chunk (AggrChunk, encoding 0xff) decoding over arbitrary bytes:
//! the part splitter of `mnemos_tsdb::chunkenc::aggr`, each part's XOR data, the reader's
//! counter-reset rules, the store gateway's splitter and the compactor's part decoder and
//! window count. The input is the chunk data (what follows the encoding byte).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mnemos_compact::aggr::{decode_part, AggrType};
use mnemos_tsdb::chunkenc::aggr::{apply_counter_resets, decode_aggr, AGGR_ENCODING};
use mnemos_tsdb::chunkenc::decode_xor_into;
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
    let store_split = mnemos_store::aggr::split_aggr(&bytes);
    // The store gateway's splitter accepts any part encoding, the tsdb one XOR only;
    // otherwise they agree.
    match (&split, &store_split) {
        (Ok(parts), Ok(store_parts)) => {
            for (p, s) in parts.iter().zip(store_parts) {
                let s = s.as_ref().map(|(enc, d)| (*enc, d.as_ref()));
                assert_eq!(p.map(|d| (1u8, d)), s, "the splitters disagree on a part");
            }
        }
        (Ok(_), Err(e)) => panic!("store gateway rejects a chunk tsdb splits: {e}"),
        (Err(e), Ok(store_parts)) => assert!(
            store_parts.iter().flatten().any(|(enc, _)| *enc != 1),
            "tsdb rejects a chunk of XOR parts the store gateway splits: {e}"
        ),
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
        let direct = part.map(|p| decode_xor_into(p, &mut ts, &mut vs));
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
    if let Some(header) = parts[0].and_then(|p| p.get(..2)) {
        assert_eq!(
            windows,
            u64::from(u16::from_be_bytes([header[0], header[1]]))
        );
    }
    // The counter part, alone and as two consecutive chunks.
    if let Some(counter) = parts[4] {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        if decode_xor_into(counter, &mut ts, &mut vs).is_ok() {
            let samples: Vec<(i64, f64)> = ts.into_iter().zip(vs).collect();
            let (out, _last) = apply_counter_resets(std::slice::from_ref(&samples));
            assert!(out.len() <= samples.len());
            let _ = apply_counter_resets(&[samples.clone(), samples]);
        }
    }
});
