//! A scrape target serving native (sparse, exponential-bucket) histograms in the protobuf
//! exposition format, the only one Prometheus 2.42 ingests them from (with
//! `--enable-feature=native-histograms`).
//!
//! The body is varint-length-delimited `io.prometheus.client.MetricFamily` messages, written
//! by hand here (a few fields of a public format; field numbers as in client_model's
//! `metrics.proto`). The histograms change as a test needs them to: buckets appear, a counter
//! resets, the schema changes, one histogram stays empty, one has negative and zero buckets,
//! and one series vanishes (Prometheus writes a stale marker for it).

use std::collections::BTreeMap;

use crate::prometheus::TestTarget;

/// A series' labels (without the metric name).
pub type Labels = Vec<(String, String)>;

/// The content type of the protobuf exposition format.
pub const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// One native histogram's state: absolute bucket counts by bucket index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NativeHistogram {
    /// Bucket schema (−4..8): bucket boundaries are powers of 2^(2^−schema).
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// Sum of observations.
    pub sum: f64,
    /// Positive buckets: index → count.
    pub positive: BTreeMap<i32, u64>,
    /// Negative buckets: index → count.
    pub negative: BTreeMap<i32, u64>,
}

impl NativeHistogram {
    /// Total observations.
    pub fn count(&self) -> u64 {
        self.zero_count + self.positive.values().sum::<u64>() + self.negative.values().sum::<u64>()
    }
}

/// A protobuf message under construction.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    fn uint(&mut self, field: u32, v: u64) {
        self.key(field, 0);
        self.varint(v);
    }

    fn sint(&mut self, field: u32, v: i64) {
        self.key(field, 0);
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn double(&mut self, field: u32, v: f64) {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn message(&mut self, field: u32, m: Message) {
        self.bytes(field, &m.0);
    }
}

/// Spans and deltas of one side's buckets, as the exposition format wants them: each span
/// an (offset from the previous span's end, or the first index; length), each count a
/// delta to the previous bucket's.
fn spans_and_deltas(buckets: &BTreeMap<i32, u64>) -> (Vec<(i32, u32)>, Vec<i64>) {
    let mut spans: Vec<(i32, u32)> = Vec::new();
    let mut deltas = Vec::new();
    let mut next: Option<i32> = None;
    let mut prev_count = 0i64;
    for (&index, &count) in buckets {
        match (next, spans.last_mut()) {
            (Some(n), Some(span)) if n == index => span.1 += 1,
            (Some(n), _) => spans.push((index - n, 1)),
            (None, _) => spans.push((index, 1)),
        }
        next = Some(index + 1);
        deltas.push(count as i64 - prev_count);
        prev_count = count as i64;
    }
    (spans, deltas)
}

fn histogram_message(h: &NativeHistogram) -> Message {
    let mut m = Message::default();
    m.uint(1, h.count());
    m.double(2, h.sum);
    m.sint(5, i64::from(h.schema));
    m.double(6, h.zero_threshold);
    m.uint(7, h.zero_count);
    let (neg_spans, neg_deltas) = spans_and_deltas(&h.negative);
    for (offset, length) in &neg_spans {
        let mut span = Message::default();
        span.sint(1, i64::from(*offset));
        span.uint(2, u64::from(*length));
        m.message(9, span);
    }
    for d in neg_deltas {
        m.sint(10, d);
    }
    let (mut pos_spans, pos_deltas) = spans_and_deltas(&h.positive);
    if pos_spans.is_empty() && neg_spans.is_empty() && h.zero_threshold == 0.0 {
        // A no-op span marks a histogram without observations as native.
        pos_spans.push((0, 0));
    }
    for (offset, length) in &pos_spans {
        let mut span = Message::default();
        span.sint(1, i64::from(*offset));
        span.uint(2, u64::from(*length));
        m.message(12, span);
    }
    for d in pos_deltas {
        m.sint(13, d);
    }
    m
}

/// One histogram metric family (`type` HISTOGRAM) with one series per `(labels, histogram)`,
/// as a length-delimited message.
pub fn family(name: &str, series: &[(Labels, NativeHistogram)]) -> Vec<u8> {
    let mut f = Message::default();
    f.bytes(1, name.as_bytes());
    f.bytes(2, b"A native histogram.");
    f.uint(3, 4);
    for (labels, h) in series {
        let mut metric = Message::default();
        for (k, v) in labels {
            let mut pair = Message::default();
            pair.bytes(1, k.as_bytes());
            pair.bytes(2, v.as_bytes());
            metric.message(1, pair);
        }
        metric.message(7, histogram_message(h));
        f.message(4, metric);
    }
    let mut out = Message::default();
    out.varint(f.0.len() as u64);
    out.0.extend_from_slice(&f.0);
    out.0
}

/// The histograms at the `n`-th scrape:
/// - `nh_request_seconds{path="/a"}`: schema 3, a bucket more every few scrapes, a counter
///   reset every 40 scrapes;
/// - `nh_request_seconds{path="/b"}`: schema 3 until scrape 25, then schema 1;
/// - `nh_empty_seconds`: never observes anything;
/// - `nh_signed_values`: negative, zero (threshold 0.001) and positive buckets;
/// - `nh_short_lived_seconds`: served until scrape 50, then gone (a stale marker).
pub fn scenario(n: u64) -> Vec<(String, Vec<(Labels, NativeHistogram)>)> {
    let grow = |h: &mut NativeHistogram, scrapes: u64, width: i32, first: i32| {
        for k in 0..scrapes {
            let index = first + (k as i32 * 7 % width);
            *h.positive.entry(index).or_default() += 1 + k % 3;
            h.sum += 0.001 * f64::from(index + 5);
        }
    };
    let label = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let mut a = NativeHistogram {
        schema: 3,
        ..Default::default()
    };
    grow(&mut a, n % 40 + 1, 2 + (n % 40) as i32 / 4, -12);
    let mut b = NativeHistogram {
        schema: if n < 25 { 3 } else { 1 },
        ..Default::default()
    };
    grow(&mut b, n + 1, 6, if n < 25 { -8 } else { -2 });
    // Prometheus 2.42 takes a histogram without buckets for a native one only when its zero
    // threshold is above 0 (client_golang's default is 2^-128).
    let empty = NativeHistogram {
        zero_threshold: 2f64.powi(-128),
        ..Default::default()
    };
    let mut signed = NativeHistogram {
        schema: 0,
        zero_threshold: 0.001,
        zero_count: n,
        ..Default::default()
    };
    for k in 0..=n {
        *signed.negative.entry((k % 4) as i32).or_default() += 1;
        *signed.positive.entry((k % 5) as i32 - 1).or_default() += 2;
        signed.sum += if k % 2 == 0 { -1.5 } else { 2.25 };
    }
    let mut out = vec![
        (
            "nh_request_seconds".to_string(),
            vec![(label("path", "/a"), a), (label("path", "/b"), b)],
        ),
        ("nh_empty_seconds".to_string(), vec![(Vec::new(), empty)]),
        ("nh_signed_values".to_string(), vec![(Vec::new(), signed)]),
    ];
    if n < 50 {
        let mut short = NativeHistogram {
            schema: 2,
            ..Default::default()
        };
        grow(&mut short, n + 1, 3, 0);
        out.push((
            "nh_short_lived_seconds".to_string(),
            vec![(Vec::new(), short)],
        ));
    }
    out
}

/// The exposition body of [`scenario`]`(n)`.
pub fn exposition(n: u64) -> Vec<u8> {
    scenario(n)
        .iter()
        .flat_map(|(name, series)| family(name, series))
        .collect()
}

/// A target serving [`exposition`] (the n-th scrape gets `exposition(n)`).
pub fn target() -> TestTarget {
    TestTarget::serving_as(PROTOBUF_CONTENT_TYPE, exposition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_deltas_follow_the_exposition_format() {
        let buckets: BTreeMap<i32, u64> = [(-2, 3), (-1, 1), (2, 4), (3, 0), (7, 2)].into();
        let (spans, deltas) = spans_and_deltas(&buckets);
        assert_eq!(spans, vec![(-2, 2), (2, 2), (3, 1)]);
        assert_eq!(deltas, vec![3, -2, 3, -4, 2]);
        assert_eq!(spans_and_deltas(&BTreeMap::new()), (vec![], vec![]));
    }

    #[test]
    fn varints_and_zigzag() {
        let mut m = Message::default();
        m.sint(5, -1);
        m.uint(1, 300);
        assert_eq!(m.0, vec![5 << 3, 1, 1 << 3, 0xac, 0x02]);
    }
}
