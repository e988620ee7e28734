//! A converted block's Parquet files over arbitrary bytes, as the store gateway reads them:
//! the input is `u16 big-endian length | labels file | chunks file` (the seed is a real
//! converted block). Opening the shard (footers, page indexes, schema checks), selecting
//! rows with their labels, a label's values and every row's chunks must return results or
//! errors, never panic or allocate without bound. mnemos-parquet checks offset indexes
//! before use and turns a panic of the Parquet library on malformed data into an error;
//! libFuzzer's abort-on-panic hook is lifted around those calls only, so a panic that
//! escapes them still crashes the target. The chunk-cell and `s_col_indexes` decoders also
//! run over the whole input, under the abort hook.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mnemos_parquet::cell::{decode_all_records, decode_col_indexes};
use mnemos_parquet::{ParquetShard, ShardFiles};
use mnemos_tsdb::{MatchType, Matcher};

#[path = "../../crates/parquet/tests/common/mod.rs"]
mod common;

use common::MemFile;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = decode_all_records(&Bytes::copy_from_slice(data)) {
        let total: usize = records.iter().map(|r| r.data.len()).sum();
        assert!(total <= data.len(), "records hold more bytes than the cell");
    }
    if let Ok(indexes) = decode_col_indexes(data) {
        assert!(indexes.len() <= data.len());
    }
    let Some((head, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let n = usize::from(u16::from_be_bytes(*head));
    if n > rest.len() {
        return;
    }
    let mut files = ShardFiles {
        labels: MemFile(Bytes::copy_from_slice(&rest[..n])),
        chunks: MemFile(Bytes::copy_from_slice(&rest[n..])),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let abort_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let Ok(shard) = ParquetShard::open(&mut files).await else {
                return;
            };
            let matchers = [
                Matcher::equal("__name__", "up"),
                Matcher::new(MatchType::Regex, "job", "j.*").expect("regex"),
            ];
            if let Ok(rows) = shard.select_labels(&files, &matchers).await {
                let ids: Vec<u64> = rows.iter().map(|(r, _)| *r).collect();
                let _ = shard.chunks(&files, &ids, i64::MIN, i64::MAX, &[]).await;
            }
            let _ = shard.label_values(&files, "job").await;
            let all: Vec<u64> = (0..shard.num_rows().min(4096)).collect();
            let _ = shard.labels(&files, &all).await;
            let _ = shard.chunks(&files, &all, 0, 1_700_000_100_000, &[]).await;
        })
    }));
    std::panic::set_hook(abort_hook);
    if let Err(p) = result {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        panic!("a panic escaped mnemos-parquet's reader: {what}");
    }
});
