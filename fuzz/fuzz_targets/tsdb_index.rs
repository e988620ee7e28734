//! Index v2 reader over arbitrary bytes: open (TOC, symbols, postings offset table), then
//! symbol lookups, label names and values, postings, matchers and series entries. Work per
//! input is bounded so one input never runs long.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mnemos_tsdb::index::IndexReader;
use mnemos_tsdb::{BytesFile, MatchType, Matcher};

/// Upper bound on lookups of each kind per input.
const MAX: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Ok(index) = IndexReader::open(BytesFile::new(data.to_vec(), "index")) else {
        return;
    };
    let symbols = index.symbols();
    for r in (0..symbols.len().min(MAX) as u32).chain([u32::MAX, symbols.len() as u32]) {
        let _ = symbols.lookup(r);
    }
    let _ = symbols.iter().take(MAX).count();
    let names: Vec<String> = index
        .label_names()
        .into_iter()
        .take(MAX)
        .map(str::to_string)
        .collect();
    let mut series_ids = Vec::new();
    for name in &names {
        let values: Vec<String> = index
            .label_values(name)
            .into_iter()
            .take(MAX)
            .map(str::to_string)
            .collect();
        for value in &values {
            if let Ok(ids) = index.postings(name, value) {
                series_ids.extend(ids.into_iter().take(MAX));
            }
        }
        let _ = index.postings(name, "value that is not there");
        for (kind, value) in [
            (MatchType::Equal, values.first().map_or("", String::as_str)),
            (MatchType::NotEqual, ""),
            (MatchType::Regex, ".+"),
            (MatchType::NotRegex, "a.*"),
        ] {
            if let Ok(m) = Matcher::new(kind, name.clone(), value) {
                let _ = index.postings_for_matchers(&[m]);
            }
        }
    }
    if let Ok(all) = index.all_postings() {
        series_ids.extend(all.into_iter().take(MAX));
    }
    // Arbitrary references too: out of range, unaligned, past the end.
    series_ids.extend([0, 1, u32::MAX, (data.len() / 16) as u32]);
    series_ids.sort_unstable();
    series_ids.dedup();
    for id in series_ids.into_iter().take(4 * MAX) {
        if let Ok(entry) = index.series(id) {
            let _ = entry.labels.len();
            for c in &entry.chunks {
                let _ = c.overlaps(c.min_time, c.max_time);
            }
        }
    }
    let _ = index.postings_for_matchers(&[]);
});
