//! Chunk segment reader and XOR chunk decoding over arbitrary bytes.
//!
//! The input is read twice: as a chunk segment file (header, then every chunk in turn by
//! reference, plus a reference taken from the input), and as one XOR chunk. Every XOR
//! chunk is decoded by both decoders, the fast `decode_xor_into` and the sample-at-a-time
//! `XorIter`, which must agree: the same samples bit for bit, or both an error.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mnemos_tsdb::chunkenc::{decode_xor_into, Encoding, XorIter};
use mnemos_tsdb::chunks::{decode_chunk, ChunkReader};
use mnemos_tsdb::BytesFile;

/// Size of a segment file's header (magic, version, padding).
const SEGMENT_HEADER: u64 = 8;
/// Upper bound on chunks read per input.
const MAX_CHUNKS: usize = 256;

/// Decodes `chunk` with both XOR decoders and checks they agree.
fn check_xor(chunk: &[u8]) {
    let (mut ts, mut vs) = (vec![7i64], vec![7.0f64]);
    let fast = decode_xor_into(chunk, &mut ts, &mut vs);
    let mut slow = Vec::new();
    let slow_ok = match XorIter::new(chunk) {
        Ok(mut it) => loop {
            match it.next_sample() {
                Ok(Some(s)) => slow.push(s),
                Ok(None) => break true,
                Err(_) => break false,
            }
        },
        Err(_) => false,
    };
    match fast {
        Ok(()) => {
            assert!(slow_ok, "decode_xor_into accepted a chunk XorIter rejects");
            // What was there before the call is kept.
            assert_eq!((ts[0], vs[0].to_bits()), (7, 7.0f64.to_bits()));
            let fast: Vec<(i64, u64)> = ts[1..]
                .iter()
                .zip(&vs[1..])
                .map(|(t, v)| (*t, v.to_bits()))
                .collect();
            let slow: Vec<(i64, u64)> = slow.iter().map(|(t, v)| (*t, v.to_bits())).collect();
            assert_eq!(fast, slow, "the two XOR decoders disagree");
        }
        Err(_) => {
            assert!(!slow_ok, "XorIter accepted a chunk decode_xor_into rejects");
            // On error nothing is appended.
            assert_eq!((ts.len(), vs.len()), (1, 1));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    check_xor(data);

    let bytes = Bytes::copy_from_slice(data);
    let Ok(reader) = ChunkReader::new(vec![BytesFile::new(bytes.clone(), "000001")]) else {
        return;
    };
    // A reference from the input itself (segment 0 or beyond, any offset).
    if let Some(head) = data.get(..8) {
        let mut r = [0u8; 8];
        r.copy_from_slice(head);
        let _ = reader.chunk(u64::from_le_bytes(r));
    }
    // Walk the segment chunk by chunk, as a block's series would reference them.
    let mut offset = SEGMENT_HEADER;
    for _ in 0..MAX_CHUNKS {
        if offset >= data.len() as u64 {
            break;
        }
        let by_ref = reader.chunk(offset);
        let direct = decode_chunk(&bytes.slice(offset as usize..), offset);
        match (by_ref, direct) {
            (Ok(chunk), Ok((same, len))) => {
                assert_eq!(chunk, same, "reader and decode_chunk disagree at {offset}");
                if chunk.kind() == Some(Encoding::Xor) {
                    check_xor(&chunk.data);
                }
                if len == 0 {
                    break;
                }
                offset += len as u64;
            }
            _ => break,
        }
    }
});
