//! The sidecar's StoreAPI against a fake Prometheus (a bare HTTP/1.1 server on 127.0.0.1):
//! `Series` forwards frames as they come and stops reading when the client goes away,
//! `limit` is honoured, StoreAPI calls wait for a turn at the gate, and calls to a
//! Prometheus that does not answer end at the read timeout.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, StreamExt};
use mnemos_sidecar::{PrometheusClient, SidecarState, SidecarStore};
use mnemos_storeapi::prometheus as prom;
use mnemos_storeapi::thanos::label_matcher::Type;
use mnemos_storeapi::thanos::store_server::Store;
use mnemos_storeapi::thanos::{
    series_response, LabelMatcher, LabelNamesRequest, LabelValuesRequest, SeriesRequest,
};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How the fake Prometheus answers.
#[derive(Clone, Copy)]
enum Answer {
    /// Remote read: frames of one series each, until the connection breaks.
    Endless,
    /// Remote read: one frame, then silence with the connection open until the client
    /// closes it.
    OneThenSilence,
    /// Nothing, to any request, with the connection open.
    Silence,
    /// API answers announcing 1 GiB.
    Oversized,
}

/// A fake Prometheus; `closed` is notified when a remote read's connection is closed by
/// the client.
struct FakePrometheus {
    url: String,
    closed: Arc<Notify>,
}

async fn fake_prometheus(answer: Answer) -> FakePrometheus {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let closed = Arc::new(Notify::new());
    let notify = closed.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.expect("accept");
            tokio::spawn(serve(socket, answer, notify.clone()));
        }
    });
    FakePrometheus { url, closed }
}

/// Reads one request; returns its path.
async fn read_request(socket: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if socket.read(&mut byte).await.expect("read") == 0 {
            return String::new();
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.expect("body");
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    target.split('?').next().unwrap_or_default().to_string()
}

/// One remote-read frame holding series `up{i="<n>"}`, as an HTTP chunk.
fn frame_chunk(n: usize) -> Vec<u8> {
    let msg = prom::ChunkedReadResponse {
        chunked_series: vec![prom::ChunkedSeries {
            labels: vec![
                prom::Label::new("__name__", "up"),
                prom::Label::new("i", n.to_string()),
            ],
            chunks: vec![],
        }],
        query_index: 0,
    }
    .encode_to_vec();
    let mut frame = Vec::new();
    prost::encoding::encode_varint(msg.len() as u64, &mut frame);
    frame.extend_from_slice(&crc32c::crc32c(&msg).to_be_bytes());
    frame.extend_from_slice(&msg);
    let mut chunk = format!("{:x}\r\n", frame.len()).into_bytes();
    chunk.extend_from_slice(&frame);
    chunk.extend_from_slice(b"\r\n");
    chunk
}

async fn serve(mut socket: TcpStream, answer: Answer, closed: Arc<Notify>) {
    let path = read_request(&mut socket).await;
    match (answer, path.as_str()) {
        (Answer::Silence, _) => std::future::pending::<()>().await,
        (Answer::Oversized, _) => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{";
            let _ = socket.write_all(head.as_bytes()).await;
            std::future::pending::<()>().await
        }
        (_, "/api/v1/read") => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse\r\nTransfer-Encoding: chunked\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return closed.notify_one();
            }
            for n in 0.. {
                if socket.write_all(&frame_chunk(n)).await.is_err() {
                    return closed.notify_one();
                }
                if matches!(answer, Answer::OneThenSilence) {
                    // Silence until the client closes the connection.
                    let mut rest = Vec::new();
                    let _ = socket.read_to_end(&mut rest).await;
                    return closed.notify_one();
                }
            }
        }
        _ => {
            let body = r#"{"status":"success","data":["__name__","i"]}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    }
}

fn sidecar(url: &str, max_concurrency: usize, read_timeout: Duration) -> SidecarStore {
    let state = Arc::new(SidecarState::default());
    state.set_external_labels(BTreeMap::from([("cluster".to_string(), "c".to_string())]));
    let client = PrometheusClient::new(url)
        .expect("client")
        .with_read_timeout(read_timeout);
    SidecarStore::new(client, state, max_concurrency)
}

fn up(limit: i64) -> SeriesRequest {
    SeriesRequest {
        min_time: 0,
        max_time: 1_000,
        matchers: vec![LabelMatcher::new(Type::Eq, "__name__", "up")],
        limit,
        ..Default::default()
    }
}

fn cluster_values() -> tonic::Request<LabelValuesRequest> {
    tonic::Request::new(LabelValuesRequest {
        label: "cluster".into(),
        ..Default::default()
    })
}

/// The labels of the series in a frame, as `name=value` pairs.
fn labels_of(frame: Result<mnemos_storeapi::thanos::SeriesResponse, tonic::Status>) -> Vec<String> {
    match frame.expect("frame").result {
        Some(series_response::Result::Series(s)) => s
            .labels
            .iter()
            .map(|l| format!("{}={}", l.name, l.value))
            .collect(),
        other => panic!("not a series: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_stops_reading_when_the_client_goes_away() {
    let prometheus = fake_prometheus(Answer::Endless).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_secs(120));
    let mut stream = store
        .series(tonic::Request::new(up(0)))
        .await
        .expect("Series")
        .into_inner();
    let first = labels_of(stream.next().await.expect("a frame"));
    assert_eq!(first, vec!["__name__=up", "cluster=c", "i=0"]);
    drop(stream);
    // The endless answer's connection breaks: the sidecar stopped reading it.
    prometheus.closed.notified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_stops_after_the_request_limit() {
    let prometheus = fake_prometheus(Answer::Endless).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_secs(120));
    let stream = store
        .series(tonic::Request::new(up(3)))
        .await
        .expect("Series")
        .into_inner();
    let frames: Vec<Vec<String>> = stream.map(labels_of).collect().await;
    let numbers: Vec<&str> = frames.iter().map(|l| l[2].as_str()).collect();
    assert_eq!(numbers, vec!["i=0", "i=1", "i=2"]);
    prometheus.closed.notified().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storeapi_calls_wait_for_a_turn() {
    let prometheus = fake_prometheus(Answer::OneThenSilence).await;
    let store = sidecar(&prometheus.url, 1, Duration::from_secs(120));
    let mut stream = store
        .series(tonic::Request::new(up(0)))
        .await
        .expect("Series")
        .into_inner();
    labels_of(stream.next().await.expect("a frame"));
    // The Series call holds the only turn while its answer is open: a label call that
    // needs no Prometheus still waits.
    assert!(store
        .label_values(cluster_values())
        .now_or_never()
        .is_none());
    drop(stream);
    // Prometheus is silent, yet the read stops: its connection is closed.
    prometheus.closed.notified().await;
    let values = store
        .label_values(cluster_values())
        .await
        .expect("LabelValues")
        .into_inner()
        .values;
    assert_eq!(values, vec!["c".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_to_a_silent_prometheus_end_at_the_read_timeout() {
    let prometheus = fake_prometheus(Answer::Silence).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_millis(200));
    let err = store
        .label_names(tonic::Request::new(LabelNamesRequest {
            matchers: vec![LabelMatcher::new(Type::Eq, "__name__", "up")],
            ..Default::default()
        }))
        .await
        .expect_err("no answer");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(err.message().contains("no answer within 200ms"), "{err}");
    let err = store
        .series(tonic::Request::new(up(0)))
        .await
        .err()
        .expect("no answer");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(err.message().contains("no answer within 200ms"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_api_answer_is_refused() {
    let prometheus = fake_prometheus(Answer::Oversized).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_secs(120));
    let err = store
        .label_names(tonic::Request::new(LabelNamesRequest {
            matchers: vec![LabelMatcher::new(Type::Eq, "__name__", "up")],
            ..Default::default()
        }))
        .await
        .expect_err("too large");
    assert_eq!(err.code(), tonic::Code::Unavailable, "{err}");
    assert!(
        err.message()
            .contains("answer of 1073741824 bytes or more exceeds the 67108864-byte limit"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_label_name_has_no_values_and_prometheus_is_not_asked() {
    // A silent Prometheus: any call to it would fail at the read timeout.
    let prometheus = fake_prometheus(Answer::Silence).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_secs(60));
    for label in ["../../admin/tsdb/snapshot", "a/b?c=d", "2x", "é"] {
        let values = store
            .label_values(tonic::Request::new(LabelValuesRequest {
                label: label.to_string(),
                start: 0,
                end: 1_000,
                ..Default::default()
            }))
            .now_or_never()
            .unwrap_or_else(|| panic!("{label}: waited for Prometheus"))
            .expect("LabelValues")
            .into_inner()
            .values;
        assert!(values.is_empty(), "{label}: {values:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_gives_up_at_the_ready_timeout() {
    // Nothing listens on port 1.
    let client = PrometheusClient::new("http://127.0.0.1:1").expect("client");
    let err = mnemos_sidecar::Sidecar::connect(
        client,
        std::path::PathBuf::from("/nonexistent"),
        Duration::from_secs(2),
    )
    .await
    .err()
    .expect("no Prometheus: connect fails");
    assert!(
        err.to_string().contains("--prometheus.ready_timeout"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_before_min_time_is_served_and_prometheus_is_not_asked() {
    use mnemos_storeapi::thanos::info::info_server::Info;
    use mnemos_storeapi::thanos::info::InfoRequest;
    use mnemos_tsdb::time::TimeBound;
    // A silent Prometheus: any call to it would hang until the read timeout.
    let prometheus = fake_prometheus(Answer::Silence).await;
    let store = sidecar(&prometheus.url, 4, Duration::from_secs(60))
        .with_min_time(TimeBound::Absolute(5_000));
    // `up(0)` asks for [0, 1000]: entirely before --min-time.
    let mut stream = store
        .series(tonic::Request::new(up(0)))
        .now_or_never()
        .expect("answered without Prometheus")
        .expect("Series")
        .into_inner();
    assert!(stream.next().await.is_none(), "no series before --min-time");
    let names = store
        .label_names(tonic::Request::new(LabelNamesRequest {
            start: 0,
            end: 1_000,
            ..Default::default()
        }))
        .now_or_never()
        .expect("answered without Prometheus")
        .expect("LabelNames")
        .into_inner()
        .names;
    assert!(names.is_empty(), "{names:?}");
    let info = store
        .info(tonic::Request::new(InfoRequest::default()))
        .await
        .expect("Info")
        .into_inner();
    assert_eq!(info.store.map(|s| s.min_time), Some(5_000));
}
