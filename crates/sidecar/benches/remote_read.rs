//! The sidecar's hot path: a streamed remote-read answer (frames with CRC32C, protobuf
//! `ChunkedReadResponse`) turned into StoreAPI series with external labels attached.
//! Input: 10,000 series of 5 labels with one 120-sample XOR chunk each, in frames of ~1 MiB
//! as Prometheus sends them.

use std::collections::BTreeMap;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mnemos_sidecar::prometheus::RemoteReadStream;
use mnemos_sidecar::store::store_series;
use mnemos_storeapi::prometheus as prom;
use mnemos_tsdb::chunkenc::encode_xor;
use prost::Message;

const SERIES: usize = 10_000;

fn answer() -> Bytes {
    let samples: Vec<(i64, f64)> = (0..120)
        .map(|i| (1_700_000_000_000 + i * 15_000, (i % 17) as f64))
        .collect();
    let chunk = Bytes::from(encode_xor(&samples));
    let mut out = Vec::new();
    let mut frame = prom::ChunkedReadResponse::default();
    let flush = |frame: &mut prom::ChunkedReadResponse, out: &mut Vec<u8>| {
        let msg = frame.encode_to_vec();
        prost::encoding::encode_varint(msg.len() as u64, out);
        out.extend_from_slice(&crc32c::crc32c(&msg).to_be_bytes());
        out.extend_from_slice(&msg);
        frame.chunked_series.clear();
    };
    for s in 0..SERIES {
        frame.chunked_series.push(prom::ChunkedSeries {
            labels: vec![
                prom::Label::new("__name__", "http_requests_total"),
                prom::Label::new("instance", format!("host-{}:9100", s % 500)),
                prom::Label::new("job", format!("job-{}", s % 7)),
                prom::Label::new("path", format!("/api/v{}/{}", s % 3, s)),
                prom::Label::new("status", ["200", "404", "500"][s % 3]),
            ],
            chunks: vec![prom::Chunk {
                min_time_ms: samples[0].0,
                max_time_ms: samples[119].0,
                r#type: prom::chunk::Encoding::Xor as i32,
                data: chunk.clone(),
            }],
        });
        if frame.encoded_len() > 1 << 20 {
            flush(&mut frame, &mut out);
        }
    }
    flush(&mut frame, &mut out);
    Bytes::from(out)
}

fn bench(c: &mut Criterion) {
    let data = answer();
    let external = BTreeMap::from([
        ("cluster".to_string(), "eu1".to_string()),
        ("replica".to_string(), "a".to_string()),
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("remote_read_to_storeapi");
    group.throughput(Throughput::Elements(SERIES as u64));
    group.bench_function("10k_series", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut stream = RemoteReadStream::from_bytes(data.clone());
                let mut n = 0;
                while let Some(batch) = stream.next_series_batch().await.expect("valid frames") {
                    for s in batch {
                        let series = store_series(s, &external, &[], false);
                        n += series.chunks.len();
                    }
                }
                assert_eq!(n, SERIES);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
