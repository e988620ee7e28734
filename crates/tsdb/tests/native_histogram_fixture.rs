//! Native histogram chunks written by Prometheus 2.42 (see
//! `testdata/native_histograms/README.md`): they decode to the values
//! Prometheus' HTTP API returned for the same samples, and encoding the
//! scraped histograms again the way Prometheus' head does gives the same
//! chunks, byte for byte.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mnemos_tsdb::chunkenc::{
    decode_float_histograms, decode_histograms, CounterResetHeader, Encoding,
    FloatHistogramEncoder, HistogramEncoder, Pushed,
};
use mnemos_tsdb::gofmt::{format_e, format_f, special_float};
use mnemos_tsdb::histogram::{CounterResetHint, FloatHistogram, Histogram};
use mnemos_tsdb::labels::MatchType;
use mnemos_tsdb::{Block, Matcher};

const BLOCKS: [&str; 3] = [
    "01M9729WJWCCTX77S1JZ6FE71E",
    "01M972AE5DK62CZSA6H2JHEZ67",
    "01M972B1PA8JN2GZHBK8HY74ZZ",
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/native_histograms")
}

/// A decoded sample.
#[derive(Clone, Debug)]
enum Sample {
    Int(Histogram),
    Float(FloatHistogram),
}

/// One chunk as stored: encoding, bytes, decoded samples.
struct Chunk {
    encoding: Encoding,
    bytes: Vec<u8>,
    samples: Vec<(i64, Sample)>,
}

/// All chunks of the fixture's `fx_*` series, by metric name, in time order.
fn fixture_chunks() -> BTreeMap<String, Vec<Chunk>> {
    let mut out: BTreeMap<String, Vec<Chunk>> = BTreeMap::new();
    for b in BLOCKS {
        let block = Block::open(&dir().join(b)).unwrap();
        let m = Matcher::new(MatchType::Regex, "__name__", "fx_.*").unwrap();
        for id in block.select(&[m]).unwrap() {
            let series = block.index().series(id).unwrap();
            let name = series.labels.get("__name__").unwrap().to_string();
            for meta in &series.chunks {
                let raw = block.chunks().chunk(meta.chunk_ref).unwrap();
                let bytes = raw.data.to_vec();
                let (encoding, samples): (_, Vec<(i64, Sample)>) = match raw.kind().unwrap() {
                    Encoding::Histogram => (
                        Encoding::Histogram,
                        decode_histograms(&bytes)
                            .unwrap()
                            .into_iter()
                            .map(|(t, h)| (t, Sample::Int(h)))
                            .collect(),
                    ),
                    Encoding::FloatHistogram => (
                        Encoding::FloatHistogram,
                        decode_float_histograms(&bytes)
                            .unwrap()
                            .into_iter()
                            .map(|(t, h)| (t, Sample::Float(h)))
                            .collect(),
                    ),
                    Encoding::Xor => panic!("{name}: XOR chunk"),
                };
                assert_eq!(samples.first().unwrap().0, meta.min_time, "{name}");
                assert_eq!(samples.last().unwrap().0, meta.max_time, "{name}");
                out.entry(name.clone()).or_default().push(Chunk {
                    encoding,
                    bytes,
                    samples,
                });
            }
        }
    }
    out
}

/// Prometheus' `jsonutil.MarshalValue` text of a float.
fn api_float(v: f64) -> String {
    if let Some(s) = special_float(v) {
        return s.to_string();
    }
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        format_e(v)
    } else {
        format_f(v)
    }
}

/// Prometheus' `jsonutil.MarshalTimestamp`.
fn api_ts(t: i64) -> String {
    let s = format!("{}", t / 1000);
    match t % 1000 {
        0 => s,
        f => format!("{s}.{f:03}"),
    }
}

/// The JSON the HTTP API gives for a sample (`[t, {count, sum, buckets}]`),
/// from its float histogram.
fn api_json(t: i64, h: &FloatHistogram) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert("count".into(), api_float(h.count).into());
    o.insert("sum".into(), api_float(h.sum).into());
    let buckets: Vec<serde_json::Value> = h
        .all_buckets()
        .into_iter()
        .filter(|b| b.count != 0.0)
        .map(|b| {
            serde_json::json!([
                b.boundary_rule(),
                api_float(b.lower),
                api_float(b.upper),
                api_float(b.count)
            ])
        })
        .collect();
    if !buckets.is_empty() {
        o.insert("buckets".into(), buckets.into());
    }
    serde_json::json!([api_ts(t), serde_json::Value::Object(o)])
}

/// The `query_range` the fixture's expected values come from.
const RANGE_START_MS: i64 = 1_796_607_343_000;
const RANGE_END_MS: i64 = 1_796_607_399_000;
const RANGE_STEP_MS: i64 = 1_000;

#[test]
fn decodes_to_prometheus_api_values() {
    let expected: BTreeMap<String, Vec<serde_json::Value>> =
        serde_json::from_str(&std::fs::read_to_string(dir().join("api_query_range.json")).unwrap())
            .unwrap();
    let chunks = fixture_chunks();
    assert_eq!(
        chunks.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let mut compared = 0;
    for (name, want) in &expected {
        let samples: Vec<&(i64, Sample)> = chunks[name].iter().flat_map(|c| &c.samples).collect();
        // At each step the query sees the last sample at or before it, unless
        // that is a stale marker; int histograms as the chunk iterator's
        // float view.
        let mut got = Vec::new();
        let mut t = RANGE_START_MS;
        while t <= RANGE_END_MS {
            let last = samples.iter().rev().find(|(st, _)| *st <= t);
            match last {
                Some((_, Sample::Int(h))) if !h.is_stale() => {
                    got.push(api_json(t, &h.to_float_from_absolute()))
                }
                Some((_, Sample::Float(h))) if !h.is_stale() => got.push(api_json(t, h)),
                _ => {}
            }
            t += RANGE_STEP_MS;
        }
        // The API's timestamps are JSON numbers: compare their text.
        let want: Vec<serde_json::Value> = want
            .iter()
            .map(|v| serde_json::json!([v[0].to_string(), v[1]]))
            .collect();
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{name}");
            compared += 1;
        }
    }
    assert!(compared > 400, "{compared}");
}

#[test]
fn fixture_covers_the_interesting_cases() {
    let chunks = fixture_chunks();
    let headers = |name: &str| -> Vec<CounterResetHeader> {
        chunks[name]
            .iter()
            .map(|c| CounterResetHeader::from_byte(c.bytes[2]))
            .collect()
    };
    use CounterResetHeader as H;
    assert!(headers("fx_int").contains(&H::CounterReset));
    assert!(headers("fx_int").contains(&H::NotCounterReset));
    assert!(headers("fx_int").contains(&H::Unknown));
    assert!(headers("fx_float").contains(&H::CounterReset));
    assert!(headers("fx_gauge").iter().all(|&h| h == H::Gauge));
    assert!(headers("fx_float_gauge").iter().all(|&h| h == H::Gauge));
    let all = |name: &str| -> Vec<Sample> {
        chunks[name]
            .iter()
            .flat_map(|c| c.samples.iter().map(|(_, s)| s.clone()))
            .collect()
    };
    let stale = |s: &Sample| match s {
        Sample::Int(h) => h.is_stale(),
        Sample::Float(h) => h.is_stale(),
    };
    assert!(all("fx_stale").iter().any(stale));
    assert!(all("fx_float_stale").iter().any(stale));
    assert!(chunks["fx_float"]
        .iter()
        .all(|c| c.encoding == Encoding::FloatHistogram));
    assert!(chunks["fx_int"]
        .iter()
        .all(|c| c.encoding == Encoding::Histogram));
    // NaN sums that are not stale markers, empty histograms, schema changes.
    assert!(all("fx_int")
        .iter()
        .any(|s| matches!(s, Sample::Int(h) if h.sum.is_nan() && !h.is_stale())));
    assert!(all("fx_empty")
        .iter()
        .any(|s| matches!(s, Sample::Int(h) if h.count == 0 && h.positive_spans.is_empty())));
    let schemas: std::collections::BTreeSet<i32> = all("fx_int")
        .iter()
        .map(|s| match s {
            Sample::Int(h) => h.schema,
            Sample::Float(h) => h.schema,
        })
        .collect();
    assert!(schemas.len() > 1);
}

/// What the scrape gave Prometheus: the decoded sample without the empty
/// buckets recoding added (the scrape compacts empty buckets away), with
/// the hint the scrape sets.
fn scraped_int(h: &Histogram, gauge: bool) -> Histogram {
    let mut h = h.clone();
    if !h.is_stale() {
        h.compact(0);
        h.counter_reset_hint = if gauge {
            CounterResetHint::Gauge
        } else {
            CounterResetHint::Unknown
        };
    }
    h
}

fn scraped_float(h: &FloatHistogram, gauge: bool) -> FloatHistogram {
    let mut h = h.clone();
    if !h.is_stale() {
        h.compact(0);
        h.counter_reset_hint = if gauge {
            CounterResetHint::Gauge
        } else {
            CounterResetHint::Unknown
        };
    }
    h
}

/// An encoder of either kind.
enum Enc {
    Int(HistogramEncoder),
    Float(FloatHistogramEncoder),
}

impl Enc {
    fn bytes(&self) -> &[u8] {
        match self {
            Enc::Int(e) => e.bytes(),
            Enc::Float(e) => e.bytes(),
        }
    }
}

#[test]
fn reencoding_scraped_samples_gives_prometheus_chunks() {
    let mut recoded = 0;
    let mut cuts = 0;
    for (name, chunks) in fixture_chunks() {
        let gauge = name.contains("gauge");
        let mut prev: Option<Enc> = None;
        for (ci, c) in chunks.iter().enumerate() {
            let want_header = CounterResetHeader::from_byte(c.bytes[2]);
            let mut enc: Option<Enc> = None;
            for (i, (t, s)) in c.samples.iter().enumerate() {
                match (s, &mut enc) {
                    (Sample::Int(h), None) => {
                        let h = scraped_int(h, gauge);
                        // Prometheus cut a chunk here: the header it chose
                        // from the previous chunk (if it was of this kind).
                        let header = match &prev {
                            Some(Enc::Int(p)) => p.new_chunk_header(&h),
                            _ => CounterResetHeader::for_first_chunk(h.counter_reset_hint),
                        };
                        assert_eq!(header, want_header, "{name} chunk {ci}");
                        let mut e = HistogramEncoder::with_header(header);
                        assert_eq!(e.push(*t, &h), Ok(Pushed::Appended));
                        enc = Some(Enc::Int(e));
                    }
                    (Sample::Float(h), None) => {
                        let h = scraped_float(h, gauge);
                        let header = match &prev {
                            Some(Enc::Float(p)) => p.new_chunk_header(&h),
                            _ => CounterResetHeader::for_first_chunk(h.counter_reset_hint),
                        };
                        assert_eq!(header, want_header, "{name} chunk {ci}");
                        let mut e = FloatHistogramEncoder::with_header(header);
                        assert_eq!(e.push(*t, &h), Ok(Pushed::Appended));
                        enc = Some(Enc::Float(e));
                    }
                    (Sample::Int(h), Some(Enc::Int(e))) => {
                        match e.push(*t, &scraped_int(h, gauge)).unwrap() {
                            Pushed::Appended => {}
                            Pushed::Recoded => recoded += 1,
                            p => panic!("{name} chunk {ci} sample {i}: {p:?}"),
                        }
                    }
                    (Sample::Float(h), Some(Enc::Float(e))) => {
                        match e.push(*t, &scraped_float(h, gauge)).unwrap() {
                            Pushed::Appended => {}
                            Pushed::Recoded => recoded += 1,
                            p => panic!("{name} chunk {ci} sample {i}: {p:?}"),
                        }
                    }
                    _ => panic!("{name}: mixed chunk"),
                }
            }
            let enc = enc.unwrap();
            assert_eq!(enc.bytes(), &c.bytes[..], "{name} chunk {ci}");
            // Where the next chunk starts with a sample that fits this one,
            // Prometheus cut for time; otherwise `push` must say so too.
            if let (Some(next), Enc::Int(e)) = (chunks.get(ci + 1), &enc) {
                if let Some((_, Sample::Int(h))) = next.samples.first() {
                    if let Pushed::NewChunk(hd) = e.clone().push(0, &scraped_int(h, gauge)).unwrap()
                    {
                        assert_eq!(hd, CounterResetHeader::from_byte(next.bytes[2]));
                        cuts += 1;
                    }
                }
            }
            prev = Some(enc);
        }
    }
    assert!(recoded > 3, "{recoded}");
    assert!(cuts > 2, "{cuts}");
}
