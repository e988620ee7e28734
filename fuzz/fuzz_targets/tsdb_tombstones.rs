//! Tombstones file decoder over arbitrary bytes; what decodes must encode back to a file
//! that decodes to the same tombstones.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemos_tsdb::tombstones::Tombstones;

fuzz_target!(|data: &[u8]| {
    let Ok(tombstones) = Tombstones::decode(data) else {
        return;
    };
    let _ = tombstones.num_intervals();
    for series_ref in [0u64, 1, 2, u64::MAX] {
        if let Some(intervals) = tombstones.get(series_ref) {
            for iv in intervals.as_slice() {
                let _ = intervals.contains(iv.min_time);
                let _ = intervals.covers(iv.min_time, iv.max_time);
            }
        }
    }
    let encoded = tombstones.encode();
    let again = Tombstones::decode(&encoded).expect("re-encoded tombstones decode");
    assert_eq!(
        again, tombstones,
        "tombstones change through encode and decode"
    );
});
