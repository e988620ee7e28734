//! Pins the wire format of the generated messages independently of our own codegen: the expected
//! bytes are built by hand from the field numbers of DESIGN.md section 3 / Thanos / Prometheus
//! (key = field << 3 | wire type), then compared with what the generated code encodes and decoded
//! back. A last test runs real tonic servers and clients over TCP on 127.0.0.1.

use std::fmt::Debug;
use std::pin::Pin;

use mnemos_storeapi::prometheus;
use mnemos_storeapi::thanos::info::info_client::InfoClient;
use mnemos_storeapi::thanos::info::info_server::{Info, InfoServer};
use mnemos_storeapi::thanos::info::{InfoRequest, InfoResponse, StoreInfo, TsdbInfo};
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::store_server::{Store, StoreServer};
use mnemos_storeapi::thanos::{
    self, label_matcher, series_response, Aggr, AggrChunk, Chunk, Label, LabelMatcher,
    LabelNamesRequest, LabelNamesResponse, LabelValuesRequest, LabelValuesResponse,
    PartialResponseStrategy, Series, SeriesRequest, SeriesResponse, ZLabelSet,
};
use prost::bytes::Bytes;
use prost::Message;

// ---------------------------------------------------------------------------------------------
// A tiny protobuf writer: just enough to spell messages out field by field.

const VARINT: u64 = 0;
const I64: u64 = 1;
const LEN: u64 = 2;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Builds the bytes of one message, fields in the order they are added (writers, Go's and
/// prost alike, emit fields in field-number order).
#[derive(Default)]
struct W(Vec<u8>);

impl W {
    fn new() -> Self {
        Self::default()
    }

    fn key(&mut self, field: u64, wire_type: u64) {
        put_varint(&mut self.0, (field << 3) | wire_type);
    }

    fn varint(mut self, field: u64, v: u64) -> Self {
        self.key(field, VARINT);
        put_varint(&mut self.0, v);
        self
    }

    fn int64(self, field: u64, v: i64) -> Self {
        self.varint(field, v as u64)
    }

    fn bool(self, field: u64) -> Self {
        self.varint(field, 1)
    }

    fn double(mut self, field: u64, v: f64) -> Self {
        self.key(field, I64);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn bytes(mut self, field: u64, b: &[u8]) -> Self {
        self.key(field, LEN);
        put_varint(&mut self.0, b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }

    fn str(self, field: u64, s: &str) -> Self {
        self.bytes(field, s.as_bytes())
    }

    fn msg(self, field: u64, m: W) -> Self {
        self.bytes(field, &m.0)
    }

    /// A packed repeated varint field (proto3's default for repeated scalars and enums).
    fn packed(self, field: u64, vals: &[u64]) -> Self {
        let mut body = Vec::new();
        for &v in vals {
            put_varint(&mut body, v);
        }
        self.bytes(field, &body)
    }

    fn label(self, field: u64, name: &str, value: &str) -> Self {
        self.msg(field, W::new().str(1, name).str(2, value))
    }
}

/// Our encoding equals the hand-built bytes, and the bytes decode to the same message.
fn assert_wire<M: Message + Default + PartialEq + Debug>(msg: &M, expected: W) {
    let expected = expected.0;
    assert_eq!(
        hex(&msg.encode_to_vec()),
        hex(&expected),
        "encoding of {msg:?}"
    );
    assert_eq!(&M::decode(expected.as_slice()).expect("decode"), msg);
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

// A real XOR chunk: one sample (t=1000, v=1.0), as Prometheus' chunkenc writes it.
const XOR_DATA: &[u8] = &[0x00, 0x01, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];

// ---------------------------------------------------------------------------------------------
// thanos.Store messages

#[test]
fn label_literal_bytes() {
    // 0x0a = field 1, length-delimited; 0x12 = field 2, length-delimited.
    let l = Label::new("a", "bc");
    assert_eq!(
        l.encode_to_vec(),
        [0x0a, 0x01, b'a', 0x12, 0x02, b'b', b'c']
    );
    let c = Chunk {
        r#type: thanos::chunk::Encoding::Histogram as i32,
        data: Bytes::from_static(&[0xff]),
        hash: 1,
    };
    // 0x08 = field 1 varint (type), 0x12 = field 2 bytes (data), 0x18 = field 3 varint (hash).
    assert_eq!(
        c.encode_to_vec(),
        [0x08, 0x01, 0x12, 0x01, 0xff, 0x18, 0x01]
    );
}

#[test]
fn series_request() {
    let req = SeriesRequest {
        min_time: 1_700_000_000_000,
        max_time: 1_700_000_360_000,
        matchers: vec![LabelMatcher::new(label_matcher::Type::Re, "job", "prom.*")],
        max_resolution_window: 300_000,
        aggregates: vec![Aggr::Count as i32, Aggr::Sum as i32],
        partial_response_strategy: PartialResponseStrategy::Abort as i32,
        skip_chunks: true,
        without_replica_labels: vec!["replica".into(), "prometheus_replica".into()],
        limit: 1000,
        response_batch_size: 64,
        ..Default::default()
    };
    let expected = W::new()
        .int64(1, 1_700_000_000_000)
        .int64(2, 1_700_000_360_000)
        .msg(3, W::new().varint(1, 2).str(2, "job").str(3, "prom.*"))
        .int64(4, 300_000)
        .packed(5, &[1, 2])
        .varint(7, 1)
        .bool(8)
        .str(14, "replica")
        .str(14, "prometheus_replica")
        .int64(15, 1000)
        .int64(16, 64);
    assert_wire(&req, expected);
}

#[test]
fn series_request_hints_and_shards() {
    let req = SeriesRequest {
        min_time: -5,
        hints: Some(prost_types::Any {
            type_url: "type.googleapis.com/hintspb.SeriesRequestHints".into(),
            value: vec![0x0a, 0x00],
        }),
        step: 30_000,
        range: 300_000,
        query_hints: Some(thanos::QueryHints {
            step_millis: 30_000,
            func: Some(thanos::Func {
                name: "rate".into(),
            }),
            grouping: Some(thanos::Grouping {
                by: true,
                labels: vec!["job".into()],
            }),
            range: Some(thanos::Range { millis: 300_000 }),
            projection_labels: vec!["job".into()],
            projection_include: true,
            series_hash_label_name: "__series_hash__".into(),
        }),
        shard_info: Some(thanos::ShardInfo {
            shard_index: 1,
            total_shards: 4,
            by: true,
            labels: vec!["pod".into()],
        }),
        ..Default::default()
    };
    let expected = W::new()
        .int64(1, -5) // negative int64: ten-byte varint
        .msg(
            9,
            W::new()
                .str(1, "type.googleapis.com/hintspb.SeriesRequestHints")
                .bytes(2, &[0x0a, 0x00]),
        )
        .int64(10, 30_000)
        .int64(11, 300_000)
        .msg(
            12,
            W::new()
                .int64(1, 30_000)
                .msg(2, W::new().str(1, "rate"))
                .msg(4, W::new().bool(1).str(3, "job"))
                .msg(5, W::new().int64(1, 300_000))
                .str(6, "job")
                .bool(7)
                .str(8, "__series_hash__"),
        )
        .msg(13, W::new().int64(1, 1).int64(2, 4).bool(3).str(4, "pod"));
    assert_eq!(
        expected.0[1..11],
        [0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    );
    assert_wire(&req, expected);
}

#[test]
fn series_response_series() {
    let resp = SeriesResponse::series(Series {
        labels: vec![
            Label::new("__name__", "up"),
            Label::new("job", "prometheus"),
        ],
        chunks: vec![AggrChunk::raw(
            1000,
            1000,
            Chunk {
                hash: 0x1234_5678_9abc_def0,
                ..Chunk::xor(Bytes::from_static(XOR_DATA))
            },
        )],
    });
    // Chunk.type XOR is 0, the proto3 default, so it is not on the wire.
    let chunk = W::new().bytes(2, XOR_DATA).varint(3, 0x1234_5678_9abc_def0);
    let series = W::new()
        .label(1, "__name__", "up")
        .label(1, "job", "prometheus")
        .msg(2, W::new().int64(1, 1000).int64(2, 1000).msg(3, chunk));
    assert_wire(&resp, W::new().msg(1, series));
}

#[test]
fn series_response_downsampled_chunks() {
    let agg = |d: &'static [u8]| Some(Chunk::xor(Bytes::from_static(d)));
    let resp = SeriesResponse::series(Series {
        labels: vec![Label::new("a", "1")],
        chunks: vec![AggrChunk {
            min_time: 0,
            max_time: 3_600_000,
            raw: None,
            count: agg(&[4]),
            sum: agg(&[5]),
            min: agg(&[6]),
            max: agg(&[7]),
            counter: agg(&[8]),
        }],
    });
    let mut chunk = W::new().int64(2, 3_600_000);
    for (field, byte) in [(4u64, 4u8), (5, 5), (6, 6), (7, 7), (8, 8)] {
        chunk = chunk.msg(field, W::new().bytes(2, &[byte]));
    }
    let series = W::new().label(1, "a", "1").msg(2, chunk);
    assert_wire(&resp, W::new().msg(1, series));
}

#[test]
fn series_response_warning_hints_batch() {
    assert_wire(
        &SeriesResponse::warning("store 10.0.0.1:10901 unavailable"),
        W::new().str(2, "store 10.0.0.1:10901 unavailable"),
    );

    let hints = SeriesResponse {
        result: Some(series_response::Result::Hints(prost_types::Any {
            type_url: "t".into(),
            value: vec![1],
        })),
    };
    assert_wire(&hints, W::new().msg(3, W::new().str(1, "t").bytes(2, &[1])));

    let batch = SeriesResponse::batch(vec![
        Series {
            labels: vec![Label::new("a", "1")],
            chunks: vec![],
        },
        Series {
            labels: vec![Label::new("a", "2")],
            chunks: vec![],
        },
    ]);
    let expected = W::new().msg(
        4,
        W::new()
            .msg(1, W::new().label(1, "a", "1"))
            .msg(1, W::new().label(1, "a", "2")),
    );
    assert_wire(&batch, expected);
}

#[test]
fn label_names_and_values() {
    let names = LabelNamesRequest {
        partial_response_disabled: true,
        partial_response_strategy: PartialResponseStrategy::Abort as i32,
        start: 10,
        end: 20,
        hints: None,
        matchers: vec![LabelMatcher::new(label_matcher::Type::Eq, "job", "x")],
        without_replica_labels: vec!["replica".into()],
        limit: 5,
    };
    let expected = W::new()
        .bool(1)
        .varint(2, 1)
        .int64(3, 10)
        .int64(4, 20)
        .msg(6, W::new().str(2, "job").str(3, "x"))
        .str(7, "replica")
        .int64(8, 5);
    assert_wire(&names, expected);

    let values = LabelValuesRequest {
        label: "job".into(),
        partial_response_disabled: false,
        partial_response_strategy: PartialResponseStrategy::Warn as i32,
        start: 10,
        end: 20,
        hints: None,
        matchers: vec![LabelMatcher::new(label_matcher::Type::Nre, "env", "dev")],
        without_replica_labels: vec!["replica".into()],
        limit: 7,
    };
    let expected = W::new()
        .str(1, "job")
        .int64(4, 10)
        .int64(5, 20)
        .msg(7, W::new().varint(1, 3).str(2, "env").str(3, "dev"))
        .str(8, "replica")
        .int64(9, 7);
    assert_wire(&values, expected);

    let resp = LabelValuesResponse {
        values: vec!["a".into(), "b".into()],
        warnings: vec!["w".into()],
        hints: Some(prost_types::Any::default()),
    };
    let expected = W::new()
        .str(1, "a")
        .str(1, "b")
        .str(2, "w")
        .msg(3, W::new());
    assert_wire(&resp, expected);
}

// ---------------------------------------------------------------------------------------------
// thanos.info.Info messages

#[test]
fn info_response() {
    let ext = vec![Label::new("cluster", "eu1"), Label::new("replica", "a")];
    let resp = InfoResponse {
        label_sets: vec![ZLabelSet::from(ext.clone())],
        component_type: mnemos_storeapi::helpers::component_type::STORE.into(),
        store: Some(StoreInfo {
            min_time: 1_600_000_000_000,
            max_time: i64::MAX,
            supports_sharding: true,
            supports_without_replica_labels: true,
            tsdb_infos: vec![TsdbInfo {
                labels: Some(ZLabelSet::from(ext)),
                min_time: 1_600_000_000_000,
                max_time: 1_700_000_000_000,
            }],
            supports_projections: false,
        }),
        exemplars: Some(thanos::info::ExemplarsInfo {
            min_time: 1,
            max_time: 2,
        }),
        status: Some(thanos::info::StatusInfo {}),
        ..Default::default()
    };
    let set = || W::new().label(1, "cluster", "eu1").label(1, "replica", "a");
    let store = W::new()
        .int64(1, 1_600_000_000_000)
        .int64(2, i64::MAX)
        .bool(3)
        .bool(5)
        .msg(
            6,
            W::new()
                .msg(1, set())
                .int64(2, 1_600_000_000_000)
                .int64(3, 1_700_000_000_000),
        );
    let expected = W::new()
        .msg(1, set())
        .str(2, "store")
        .msg(3, store)
        .msg(7, W::new().int64(1, 1).int64(2, 2))
        .msg(9, W::new()); // a served API with nothing to say is an empty, present message
    assert_wire(&resp, expected);
}

#[test]
fn store_info_skips_reserved_field_4() {
    // Old Thanos versions sent `sends_sorted_series = 4`: it must decode (and be ignored).
    let bytes = W::new().int64(1, 7).bool(4).bool(5).0;
    let info = StoreInfo::decode(bytes.as_slice()).unwrap();
    assert_eq!(info.min_time, 7);
    assert!(info.supports_without_replica_labels);
}

// ---------------------------------------------------------------------------------------------
// thanos.Rules, thanos.Exemplars, thanos.Status

#[test]
fn rules_request_and_group() {
    use thanos::{rule, rules_request, rules_response, Alert, AlertInstance, AlertState};
    let req = thanos::RulesRequest {
        r#type: rules_request::Type::Record as i32,
        partial_response_strategy: PartialResponseStrategy::Abort as i32,
        matcher_string: vec!["{job=\"a\"}".into()],
        rule_name: vec!["r".into()],
        rule_group: vec!["g".into()],
        file: vec!["f".into()],
    };
    let expected = W::new()
        .varint(1, 2)
        .varint(2, 1)
        .str(3, "{job=\"a\"}")
        .str(4, "r")
        .str(5, "g")
        .str(6, "f");
    assert_wire(&req, expected);

    let at = mnemos_storeapi::prost_types::Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    };
    let resp = thanos::RulesResponse {
        result: Some(rules_response::Result::Group(thanos::RuleGroup {
            name: "g".into(),
            file: "f".into(),
            rules: vec![thanos::Rule {
                result: Some(rule::Result::Alert(Alert {
                    // Thanos v0.41+ numbers: UNKNOWN 0, INACTIVE 1, PENDING 2, FIRING 3.
                    state: AlertState::Firing as i32,
                    name: "A".into(),
                    duration_seconds: 1.5,
                    alerts: vec![AlertInstance {
                        state: AlertState::Pending as i32,
                        active_at: Some(at),
                        value: "1e+00".into(),
                        ..Default::default()
                    }],
                    keep_firing_for_seconds: 2.0,
                    ..Default::default()
                })),
            }],
            interval: 1.0,
            last_evaluation: Some(at),
            partial_response_strategy: PartialResponseStrategy::Abort as i32,
            limit: 3,
            ..Default::default()
        })),
    };
    let ts = || W::new().int64(1, 1_700_000_000).int64(2, 5);
    let alert = W::new()
        .varint(1, 3)
        .str(2, "A")
        .double(4, 1.5)
        .msg(7, W::new().varint(3, 2).msg(4, ts()).str(5, "1e+00"))
        .double(12, 2.0);
    let group = W::new()
        .str(1, "g")
        .str(2, "f")
        .msg(3, W::new().msg(2, alert))
        .double(4, 1.0)
        .msg(6, ts())
        .varint(8, 1)
        .int64(9, 3);
    assert_wire(&resp, W::new().msg(1, group));
}

#[test]
fn exemplars_and_tsdb_statistics() {
    use thanos::{exemplars_response, tsdb_statistics_response};
    let req = thanos::ExemplarsRequest {
        query: "up".into(),
        start: 10,
        end: 20,
        partial_response_strategy: PartialResponseStrategy::Abort as i32,
    };
    assert_wire(
        &req,
        W::new().str(1, "up").int64(2, 10).int64(3, 20).varint(4, 1),
    );
    let resp = thanos::ExemplarsResponse {
        result: Some(exemplars_response::Result::Data(thanos::ExemplarData {
            series_labels: Some(vec![Label::new("job", "a")].into()),
            exemplars: vec![thanos::Exemplar {
                labels: Some(vec![Label::new("trace_id", "t")].into()),
                value: 0.5,
                ts: 30,
            }],
        })),
    };
    let data = W::new().msg(1, W::new().label(1, "job", "a")).msg(
        2,
        W::new()
            .msg(1, W::new().label(1, "trace_id", "t"))
            .double(2, 0.5)
            .int64(3, 30),
    );
    assert_wire(&resp, W::new().msg(1, data));

    let req = thanos::TsdbStatisticsRequest {
        tenant: "t".into(),
        limit: 10,
        partial_response_strategy: PartialResponseStrategy::Abort as i32,
        matchers: vec![LabelMatcher::new(label_matcher::Type::Eq, "region", "eu")],
    };
    let expected = W::new()
        .str(1, "t")
        .varint(2, 10)
        .varint(3, 1)
        .msg(4, W::new().str(2, "region").str(3, "eu"));
    assert_wire(&req, expected);
    let entry = thanos::TsdbStatisticsEntry {
        head_statistics: Some(thanos::HeadStatistics {
            num_series: 4,
            num_label_pairs: 5,
            chunk_count: 6,
            min_time: 7,
            max_time: 8,
        }),
        series_count_by_metric_name: vec![thanos::Statistic {
            name: "up".into(),
            value: 4,
        }],
        ..Default::default()
    };
    let resp = thanos::TsdbStatisticsResponse {
        result: Some(tsdb_statistics_response::Result::Statistics(
            thanos::TsdbStatistics {
                statistics: [(String::new(), entry)].into_iter().collect(),
            },
        )),
    };
    let head = W::new()
        .varint(1, 4)
        .varint(2, 5)
        .varint(3, 6)
        .varint(4, 7)
        .varint(5, 8);
    let entry = W::new()
        .msg(1, head)
        .msg(2, W::new().str(1, "up").varint(2, 4));
    // A map entry: key 1 (the empty key is left out), value 2.
    let statistics = W::new().msg(1, W::new().msg(2, entry));
    assert_wire(&resp, W::new().msg(1, statistics));
}

// ---------------------------------------------------------------------------------------------
// Prometheus remote read

#[test]
fn remote_read_request() {
    use prometheus::read_request::ResponseType;
    let req = prometheus::ReadRequest {
        queries: vec![prometheus::Query {
            start_timestamp_ms: 1000,
            end_timestamp_ms: 2000,
            matchers: vec![prometheus::LabelMatcher {
                r#type: prometheus::label_matcher::Type::Eq as i32,
                name: "__name__".into(),
                value: "up".into(),
            }],
            hints: Some(prometheus::ReadHints {
                step_ms: 15_000,
                func: "rate".into(),
                start_ms: 1000,
                end_ms: 2000,
                grouping: vec!["job".into()],
                by: true,
                range_ms: 60_000,
            }),
        }],
        accepted_response_types: vec![ResponseType::StreamedXorChunks as i32],
    };
    let query = W::new()
        .int64(1, 1000)
        .int64(2, 2000)
        .msg(3, W::new().str(2, "__name__").str(3, "up"))
        .msg(
            4,
            W::new()
                .int64(1, 15_000)
                .str(2, "rate")
                .int64(3, 1000)
                .int64(4, 2000)
                .str(5, "job")
                .bool(6)
                .int64(7, 60_000),
        );
    // accepted_response_types is packed: key 0x12, length 1, value 1.
    let expected = W::new().msg(1, query).packed(2, &[1]);
    assert_eq!(expected.0[expected.0.len() - 3..], [0x12, 0x01, 0x01]);
    assert_wire(&req, expected);

    // Unpacked encoding of the same repeated enum (allowed on the wire) decodes too.
    let unpacked = W::new().varint(2, 1).varint(2, 0).0;
    let dec = prometheus::ReadRequest::decode(unpacked.as_slice()).unwrap();
    assert_eq!(
        dec.accepted_response_types,
        [
            ResponseType::StreamedXorChunks as i32,
            ResponseType::Samples as i32
        ]
    );
}

#[test]
fn chunked_read_response() {
    let resp = prometheus::ChunkedReadResponse {
        chunked_series: vec![prometheus::ChunkedSeries {
            labels: vec![
                prometheus::Label::new("__name__", "up"),
                prometheus::Label::new("job", "prometheus"),
            ],
            chunks: vec![prometheus::Chunk {
                min_time_ms: 1000,
                max_time_ms: 1000,
                r#type: prometheus::chunk::Encoding::Xor as i32,
                data: Bytes::from_static(XOR_DATA),
            }],
        }],
        query_index: 1,
    };
    let series = W::new()
        .label(1, "__name__", "up")
        .label(1, "job", "prometheus")
        .msg(
            2,
            W::new()
                .int64(1, 1000)
                .int64(2, 1000)
                .varint(3, 1) // prometheus XOR = 1 (thanos XOR = 0)
                .bytes(4, XOR_DATA),
        );
    assert_wire(&resp, W::new().msg(1, series).int64(2, 1));
}

#[test]
fn remote_read_samples_response() {
    let resp = prometheus::ReadResponse {
        results: vec![prometheus::QueryResult {
            timeseries: vec![prometheus::TimeSeries {
                labels: vec![prometheus::Label::new("a", "b")],
                samples: vec![prometheus::Sample {
                    value: 1.5,
                    timestamp: 1000,
                }],
            }],
        }],
    };
    let ts = W::new()
        .label(1, "a", "b")
        .msg(2, W::new().double(1, 1.5).int64(2, 1000));
    assert_wire(&resp, W::new().msg(1, W::new().msg(1, ts)));

    // Exemplars (3) and histograms (4) are reserved here: a Prometheus response carrying them
    // still decodes, the fields are skipped.
    let with_extras = W::new()
        .label(1, "a", "b")
        .msg(3, W::new().double(2, 2.0))
        .msg(4, W::new().varint(1, 3));
    let dec = prometheus::TimeSeries::decode(with_extras.0.as_slice()).unwrap();
    assert_eq!(dec.labels, [prometheus::Label::new("a", "b")]);
}

// ---------------------------------------------------------------------------------------------
// Real gRPC over TCP

struct TestStore;

type SeriesStream = Pin<
    Box<
        dyn tonic::codegen::tokio_stream::Stream<Item = Result<SeriesResponse, tonic::Status>>
            + Send,
    >,
>;

#[tonic::async_trait]
impl Store for TestStore {
    type SeriesStream = SeriesStream;

    async fn series(
        &self,
        request: tonic::Request<SeriesRequest>,
    ) -> Result<tonic::Response<SeriesStream>, tonic::Status> {
        let req = request.into_inner();
        // Echo the matchers back as the labels of one series, then a warning.
        let series = Series {
            labels: req
                .matchers
                .iter()
                .map(|m| Label::new(&m.name, &m.value))
                .collect(),
            chunks: vec![AggrChunk::raw(
                req.min_time,
                req.max_time,
                Chunk::xor(Bytes::from_static(XOR_DATA)),
            )],
        };
        let frames = vec![
            Ok(SeriesResponse::series(series)),
            Ok(SeriesResponse::warning("partial")),
        ];
        Ok(tonic::Response::new(Box::pin(
            tonic::codegen::tokio_stream::iter(frames),
        )))
    }

    async fn label_names(
        &self,
        _request: tonic::Request<LabelNamesRequest>,
    ) -> Result<tonic::Response<LabelNamesResponse>, tonic::Status> {
        Ok(tonic::Response::new(LabelNamesResponse {
            names: vec!["__name__".into(), "job".into()],
            ..Default::default()
        }))
    }

    async fn label_values(
        &self,
        request: tonic::Request<LabelValuesRequest>,
    ) -> Result<tonic::Response<LabelValuesResponse>, tonic::Status> {
        if request.get_ref().label != "job" {
            return Err(tonic::Status::invalid_argument("only job"));
        }
        Ok(tonic::Response::new(LabelValuesResponse {
            values: vec!["prometheus".into()],
            ..Default::default()
        }))
    }
}

struct TestInfo;

#[tonic::async_trait]
impl Info for TestInfo {
    async fn info(
        &self,
        _request: tonic::Request<InfoRequest>,
    ) -> Result<tonic::Response<InfoResponse>, tonic::Status> {
        Ok(tonic::Response::new(InfoResponse {
            label_sets: vec![vec![Label::new("cluster", "eu1")].into()],
            component_type: mnemos_storeapi::helpers::component_type::SIDECAR.into(),
            store: Some(StoreInfo {
                min_time: 1,
                max_time: 2,
                supports_without_replica_labels: true,
                ..Default::default()
            }),
            ..Default::default()
        }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn grpc_store_and_info_over_tcp() {
    use tonic::codegen::http::uri::PathAndQuery;

    assert_eq!(thanos::store_server::SERVICE_NAME, "thanos.Store");
    assert_eq!(thanos::info::info_server::SERVICE_NAME, "thanos.info.Info");

    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(InfoServer::new(TestInfo))
            .add_service(StoreServer::new(TestStore))
            .serve_with_incoming(incoming),
    );

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();

    // Generated clients.
    let info = InfoClient::new(channel.clone())
        .info(InfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.component_type, "sidecar");
    assert_eq!(info.label_sets[0].labels, [Label::new("cluster", "eu1")]);
    assert!(info.store.unwrap().supports_without_replica_labels);

    let mut store = StoreClient::new(channel.clone());
    let mut stream = store
        .series(SeriesRequest {
            min_time: 10,
            max_time: 20,
            matchers: vec![LabelMatcher::new(
                label_matcher::Type::Eq,
                "job",
                "prometheus",
            )],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().unwrap();
    let Some(series_response::Result::Series(s)) = first.result else {
        panic!("want a series, got {first:?}");
    };
    assert_eq!(s.labels, [Label::new("job", "prometheus")]);
    assert_eq!(s.chunks[0].min_time, 10);
    assert_eq!(s.chunks[0].raw.as_ref().unwrap().data, XOR_DATA);
    let second = stream.message().await.unwrap().unwrap();
    assert_eq!(second, SeriesResponse::warning("partial"));
    assert!(stream.message().await.unwrap().is_none());

    let names = store
        .label_names(LabelNamesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names.names, ["__name__", "job"]);
    let values = store
        .label_values(LabelValuesRequest {
            label: "job".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(values.values, ["prometheus"]);
    let err = store
        .label_values(LabelValuesRequest {
            label: "env".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);

    // The method paths Thanos uses, spelled out by hand rather than taken from our codegen.
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let info: InfoResponse = grpc
        .unary(
            tonic::Request::new(InfoRequest {}),
            PathAndQuery::from_static("/thanos.info.Info/Info"),
            tonic_prost::ProstCodec::<InfoRequest, InfoResponse>::default(),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.component_type, "sidecar");
    grpc.ready().await.unwrap();
    let mut stream = grpc
        .server_streaming(
            tonic::Request::new(SeriesRequest::default()),
            PathAndQuery::from_static("/thanos.Store/Series"),
            tonic_prost::ProstCodec::<SeriesRequest, SeriesResponse>::default(),
        )
        .await
        .unwrap()
        .into_inner();
    let mut frames = 0;
    while stream.message().await.unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, 2);
    grpc.ready().await.unwrap();
    let status = grpc
        .unary(
            tonic::Request::new(InfoRequest {}),
            PathAndQuery::from_static("/thanos.Store/Info"),
            tonic_prost::ProstCodec::<InfoRequest, InfoResponse>::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    assert!(!server.is_finished(), "server stopped early: {server:?}");
    server.abort();
}
