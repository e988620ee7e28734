//! The frontend's per-answer hot path: a range query answer split into 7 daily parts (300
//! series, 288 points a day at a 5m step) read from the querier's JSON, merged and written
//! back; and a cached extent read and written. Next to each, the peer: reading the same
//! bytes as a generic `serde_json::Value` (the least any JSON-handling proxy does).
//! Throughput in answer bytes per second.
//!
//! `cargo bench -p mnemos-frontend --bench merge`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_frontend::extents::{self, Extent};
use mnemos_frontend::matrix;

/// The querier's answer for day `day` (ms from 0): `series` series of 288 points.
fn day_answer(day: i64, series: usize) -> String {
    let mut out = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for s in 0..series {
        if s > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"metric":{{"__name__":"http_requests_total","instance":"10.0.{}.{}:9100","job":"api"}},"values":["#,
            s / 256,
            s % 256
        ));
        for i in 0..288i64 {
            if i > 0 {
                out.push(',');
            }
            let t = 1_700_000_000 + day * 86_400 + i * 300;
            out.push_str(&format!(r#"[{t},"{}.{}"]"#, s as i64 * 1000 + i, i % 7));
        }
        out.push_str("]}");
    }
    out.push_str("]}}");
    out
}

fn bench(c: &mut Criterion) {
    let parts: Vec<String> = (0..7).map(|d| day_answer(d, 300)).collect();
    let bytes: usize = parts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("frontend_answer");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_merge_write_7_parts", |b| {
        b.iter(|| {
            let answers: Vec<_> = parts
                .iter()
                .map(|p| matrix::parse_answer(p.as_bytes()).expect("parses").series)
                .collect();
            matrix::data_json(&matrix::merge(answers)).len()
        })
    });
    group.bench_function("peer_serde_json_value_7_parts", |b| {
        b.iter(|| {
            let values: Vec<serde_json::Value> = parts
                .iter()
                .map(|p| serde_json::from_str(p).expect("json"))
                .collect();
            values.len()
        })
    });
    let series = matrix::parse_answer(parts[0].as_bytes())
        .expect("parses")
        .series;
    let stored = extents::encode(
        "key",
        &[Extent {
            start: 0,
            end: 86_400_000,
            series,
        }],
    );
    group.throughput(Throughput::Bytes(stored.len() as u64));
    group.bench_function("extent_decode_encode", |b| {
        b.iter(|| {
            let e = extents::decode("key", &stored);
            extents::encode("key", &e).len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
