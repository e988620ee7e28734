//! Client of the Prometheus HTTP API the sidecar needs: configuration and flags, TSDB status,
//! label names and values, and remote read with streamed XOR chunks.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt;
use mnemos_storeapi::prometheus as prom;
use mnemos_tsdb::encoding::decode_uvarint;
use mnemos_tsdb::gofmt::quote;
use prost::Message;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Largest remote-read frame accepted (Prometheus cuts frames at 1 MiB by default). A frame
/// whose length prefix announces more ends the stream with an error before any of it is
/// buffered.
pub const MAX_FRAME: usize = 64 << 20;
/// Largest HTTP API answer read (label names and values, configuration, flags, status).
pub const MAX_API_ANSWER: usize = 64 << 20;
/// Bytes of an error answer kept for the error message.
const MAX_ERROR_BODY: usize = 4 << 10;
/// Default deadline of the configuration, flags and TSDB status calls (Thanos'
/// `--prometheus.get_config_timeout`).
pub const DEFAULT_CONFIG_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline of the calls answering StoreAPI requests, unless set otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Content type of a streamed remote-read answer.
const STREAMED_CONTENT_TYPE: &str =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// A Prometheus server.
#[derive(Clone, Debug)]
pub struct PrometheusClient {
    base: String,
    http: reqwest::Client,
    auth: crate::HttpClientConfig,
    read_timeout: Duration,
    config_timeout: Duration,
}

/// The TSDB flags that matter to the sidecar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsdbFlags {
    /// `--storage.tsdb.min-block-duration`.
    pub min_block_duration: String,
    /// `--storage.tsdb.max-block-duration`.
    pub max_block_duration: String,
}

#[derive(Deserialize)]
struct ApiAnswer {
    status: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    error: String,
}

/// Formats milliseconds as the seconds Prometheus' API takes.
fn api_time(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// Whether a request time bound is a real bound (Thanos queriers send ±2^63 for "none").
fn bounded(ms: i64) -> bool {
    ms.unsigned_abs() < 1 << 52
}

/// A matcher as PromQL text.
fn matcher_text(m: &prom::LabelMatcher) -> String {
    let op = match m.r#type() {
        prom::label_matcher::Type::Eq => "=",
        prom::label_matcher::Type::Neq => "!=",
        prom::label_matcher::Type::Re => "=~",
        prom::label_matcher::Type::Nre => "!~",
    };
    format!("{}{op}{}", m.name, quote(&m.value))
}

/// A selector `{a="b",…}` for `match[]`.
pub fn selector_text(matchers: &[prom::LabelMatcher]) -> String {
    let parts: Vec<String> = matchers.iter().map(matcher_text).collect();
    format!("{{{}}}", parts.join(","))
}

impl PrometheusClient {
    /// A client for the Prometheus at `base` (e.g. `http://localhost:9090`).
    pub fn new(base: &str) -> Result<Self> {
        // rustls (for https Prometheus URLs) needs its process-wide crypto provider.
        mnemos_objstore::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http,
            auth: crate::HttpClientConfig::default(),
            read_timeout: DEFAULT_READ_TIMEOUT,
            config_timeout: DEFAULT_CONFIG_TIMEOUT,
        })
    }

    /// Uses `config` (`--prometheus.http-client`): credentials on every request, and its
    /// TLS settings for an `https://` Prometheus.
    pub fn with_http_config(mut self, config: crate::HttpClientConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(5));
        if let Some(spec) = &config.tls {
            let tls = mnemos_tls::ClientTls::new(spec.clone())
                .map_err(|e| Error::Config(format!("--prometheus.http-client tls_config: {e}")))?;
            builder = builder.use_preconfigured_tls((*tls.config()).clone());
        }
        self.http = builder
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        self.auth = config;
        Ok(self)
    }

    /// Sets the deadline of the calls answering StoreAPI requests: a label call must be
    /// answered within it; a remote read must start answering within it, and never wait
    /// longer than it for the next piece of its answer.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets the deadline of the calls that read Prometheus' configuration, flags and TSDB
    /// status.
    pub fn with_config_timeout(mut self, timeout: Duration) -> Self {
        self.config_timeout = timeout;
        self
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn error(&self, path: &str, message: impl ToString) -> Error {
        Error::Prometheus {
            url: format!("{}{path}", self.base),
            message: message.to_string(),
        }
    }

    /// `fut` (a call to `path`), failing once `timeout` has passed.
    async fn within<T>(
        &self,
        path: &str,
        timeout: Duration,
        fut: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| self.error(path, format!("no answer within {timeout:?}")))?
    }

    async fn api(&self, path: &str, query: &[(&str, String)], timeout: Duration) -> Result<Value> {
        self.within(path, timeout, async {
            let response = self
                .auth
                .authorize(self.http.get(format!("{}{path}", self.base)))?
                .query(query)
                .send()
                .await
                .map_err(|e| self.error(path, e))?;
            let status = response.status();
            let body = read_limited(
                response.content_length(),
                response.bytes_stream(),
                MAX_API_ANSWER,
            )
            .await
            .map_err(|e| self.error(path, e))?;
            let answer: ApiAnswer = serde_json::from_slice(&body).map_err(|e| {
                self.error(
                    path,
                    format!("HTTP {status}: not an API answer ({e}): {}", excerpt(&body)),
                )
            })?;
            if answer.status != "success" {
                return Err(self.error(path, format!("HTTP {status}: {}", answer.error)));
            }
            Ok(answer.data)
        })
        .await
    }

    /// External labels from `global.external_labels` of the loaded configuration.
    pub async fn external_labels(&self) -> Result<BTreeMap<String, String>> {
        let path = "/api/v1/status/config";
        let data = self.api(path, &[], self.config_timeout).await?;
        let yaml = data["yaml"]
            .as_str()
            .ok_or_else(|| self.error(path, "answer has no data.yaml"))?;
        #[derive(Deserialize, Default)]
        struct Global {
            #[serde(default)]
            external_labels: BTreeMap<String, String>,
        }
        #[derive(Deserialize)]
        struct Config {
            #[serde(default)]
            global: Option<Global>,
        }
        let config: Config = serde_yaml_ng::from_str(yaml)
            .map_err(|e| self.error(path, format!("parsing the configuration: {e}")))?;
        Ok(config.global.unwrap_or_default().external_labels)
    }

    /// The block-duration flags.
    pub async fn tsdb_flags(&self) -> Result<TsdbFlags> {
        let path = "/api/v1/status/flags";
        let data = self.api(path, &[], self.config_timeout).await?;
        let flag = |name: &str| data[name].as_str().unwrap_or_default().to_string();
        Ok(TsdbFlags {
            min_block_duration: flag("storage.tsdb.min-block-duration"),
            max_block_duration: flag("storage.tsdb.max-block-duration"),
        })
    }

    /// Oldest timestamp of the head block (ms), if the head has data.
    pub async fn head_min_time(&self) -> Result<Option<i64>> {
        let data = self
            .api("/api/v1/status/tsdb", &[], self.config_timeout)
            .await?;
        let min = data["headStats"]["minTime"].as_i64();
        let max = data["headStats"]["maxTime"].as_i64();
        Ok(match (min, max) {
            (Some(min), Some(max)) if min <= max => Some(min),
            _ => None,
        })
    }

    fn range_params(
        start: i64,
        end: i64,
        matchers: &[prom::LabelMatcher],
    ) -> Vec<(&'static str, String)> {
        let mut query = Vec::new();
        if bounded(start) {
            query.push(("start", api_time(start)));
        }
        if bounded(end) {
            query.push(("end", api_time(end)));
        }
        if !matchers.is_empty() {
            query.push(("match[]", selector_text(matchers)));
        }
        query
    }

    /// `/api/v1/labels`.
    pub async fn label_names(
        &self,
        start: i64,
        end: i64,
        matchers: &[prom::LabelMatcher],
    ) -> Result<Vec<String>> {
        let params = Self::range_params(start, end, matchers);
        let data = self
            .api("/api/v1/labels", &params, self.read_timeout)
            .await?;
        Ok(strings(&data))
    }

    /// `/api/v1/label/<name>/values` (the name percent-encoded: a request's label name can
    /// never change the path Prometheus is asked).
    pub async fn label_values(
        &self,
        name: &str,
        start: i64,
        end: i64,
        matchers: &[prom::LabelMatcher],
    ) -> Result<Vec<String>> {
        let path = label_values_path(name);
        let params = Self::range_params(start, end, matchers);
        let data = self.api(&path, &params, self.read_timeout).await?;
        Ok(strings(&data))
    }

    /// `/api/v1/metadata`: metric metadata by metric name, of `metric` only when it is not
    /// empty, at most `limit` metrics when `limit` is not negative.
    pub async fn metadata(&self, metric: &str, limit: i32) -> Result<Value> {
        let mut params = vec![("limit", limit.to_string())];
        if !metric.is_empty() {
            params.push(("metric", metric.to_string()));
        }
        self.api("/api/v1/metadata", &params, self.read_timeout)
            .await
    }

    /// `/api/v1/targets`: the active and dropped scrape targets (`state`: `active`,
    /// `dropped`, or empty for both).
    pub async fn targets(&self, state: &str) -> Result<Value> {
        let params: Vec<(&str, String)> = match state {
            "" => Vec::new(),
            s => vec![("state", s.to_string())],
        };
        self.api("/api/v1/targets", &params, self.read_timeout)
            .await
    }

    /// `/api/v1/rules`: the rule groups with their rules' state (`rule_type`: `alert`,
    /// `record`, or empty for both).
    pub async fn rules(&self, rule_type: &str) -> Result<Value> {
        let params: Vec<(&str, String)> = match rule_type {
            "" => Vec::new(),
            t => vec![("type", t.to_string())],
        };
        self.api("/api/v1/rules", &params, self.read_timeout).await
    }

    /// `/api/v1/query_exemplars`: the exemplars of the series `query` selects between
    /// `start` and `end` (ms; a bound at the edge of time is left to Prometheus' default).
    pub async fn exemplars(&self, query: &str, start: i64, end: i64) -> Result<Value> {
        let mut params = vec![("query", query.to_string())];
        if bounded(start) {
            params.push(("start", api_time(start)));
        }
        if bounded(end) {
            params.push(("end", api_time(end)));
        }
        self.api("/api/v1/query_exemplars", &params, self.read_timeout)
            .await
    }

    /// `/api/v1/status/tsdb`: head cardinality statistics, at most `limit` entries per list
    /// when `limit` is positive (Prometheus 2.42 ignores it and answers its top 10).
    pub async fn tsdb_status(&self, limit: i32) -> Result<Value> {
        let params: Vec<(&str, String)> = if limit > 0 {
            vec![("limit", limit.to_string())]
        } else {
            Vec::new()
        };
        self.api("/api/v1/status/tsdb", &params, self.read_timeout)
            .await
    }

    /// Starts a remote read of one query with `STREAMED_XOR_CHUNKS`; the frames are read
    /// with [`RemoteReadStream::next_series_batch`].
    pub async fn remote_read(&self, query: prom::Query) -> Result<RemoteReadStream> {
        let path = "/api/v1/read";
        let request = prom::ReadRequest {
            queries: vec![query],
            accepted_response_types: vec![
                prom::read_request::ResponseType::StreamedXorChunks as i32,
            ],
        };
        let body = snap::raw::Encoder::new()
            .compress_vec(&request.encode_to_vec())
            .map_err(|e| self.error(path, format!("snappy: {e}")))?;
        let send = self
            .auth
            .authorize(self.http.post(format!("{}{path}", self.base)))?
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Read-Version", "0.1.0")
            .body(body)
            .send();
        let response = self
            .within(path, self.read_timeout, async {
                let response = send.await.map_err(|e| self.error(path, e))?;
                let status = response.status();
                if !status.is_success() {
                    let text = read_prefix(response.bytes_stream(), MAX_ERROR_BODY).await;
                    return Err(self.error(path, format!("HTTP {status}: {}", text.trim())));
                }
                Ok(response)
            })
            .await?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if content_type != STREAMED_CONTENT_TYPE {
            return Err(self.error(
                path,
                format!("expected streamed chunks, got content type {content_type:?}"),
            ));
        }
        Ok(RemoteReadStream {
            body: Box::pin(response.bytes_stream()),
            buf: BytesMut::new(),
            done: false,
            idle_timeout: Some(self.read_timeout),
        })
    }
}

/// The first characters of an answer, for error messages.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .chars()
        .take(200)
        .collect()
}

/// A whole answer body from its `pieces`, refused when it is larger than `limit` bytes:
/// checked against the `announced` length first, then as it arrives.
async fn read_limited<E: std::fmt::Display>(
    announced: Option<u64>,
    pieces: impl futures::Stream<Item = std::result::Result<Bytes, E>>,
    limit: usize,
) -> std::result::Result<Bytes, String> {
    let too_large = |n: u64| format!("answer of {n} bytes or more exceeds the {limit}-byte limit");
    if let Some(len) = announced.filter(|l| *l > limit as u64) {
        return Err(too_large(len));
    }
    let mut pieces = std::pin::pin!(pieces);
    let mut body = BytesMut::new();
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|e| e.to_string())?;
        let len = body.len().saturating_add(piece.len());
        if len > limit {
            return Err(too_large(len as u64));
        }
        body.extend_from_slice(&piece);
    }
    Ok(body.freeze())
}

/// At most the first `limit` bytes of an answer body from its `pieces`, as text (for error
/// messages); a failing body just ends it.
async fn read_prefix<E>(
    pieces: impl futures::Stream<Item = std::result::Result<Bytes, E>>,
    limit: usize,
) -> String {
    let mut pieces = std::pin::pin!(pieces);
    let mut body = Vec::new();
    while let Some(Ok(piece)) = pieces.next().await {
        let room = limit - body.len();
        body.extend_from_slice(&piece[..piece.len().min(room)]);
        if body.len() == limit {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn strings(data: &Value) -> Vec<String> {
    data.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

type BodyStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// The frames of a streamed remote-read answer.
pub struct RemoteReadStream {
    body: BodyStream,
    buf: BytesMut,
    done: bool,
    /// Longest wait for the next piece of the answer.
    idle_timeout: Option<Duration>,
}

impl RemoteReadStream {
    /// A stream over a complete answer already in memory (a captured answer replayed in
    /// benchmarks and tests).
    pub fn from_bytes(data: bytes::Bytes) -> Self {
        Self {
            body: Box::pin(futures::stream::empty()),
            buf: BytesMut::from(&data[..]),
            done: true,
            idle_timeout: None,
        }
    }

    /// The next frame's series, or `None` at the end of the stream. Frames are checked
    /// (length cap, CRC32C, protobuf) before anything of them is used.
    pub async fn next_series_batch(&mut self) -> Result<Option<Vec<prom::ChunkedSeries>>> {
        loop {
            if let Some(frame) = self.take_frame()? {
                let response = prom::ChunkedReadResponse::decode(frame)
                    .map_err(|e| Error::RemoteRead(format!("decoding a frame: {e}")))?;
                return Ok(Some(response.chunked_series));
            }
            if self.done {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Err(Error::RemoteRead(format!(
                    "stream ended inside a frame ({} bytes left)",
                    self.buf.len()
                )));
            }
            let next = match self.idle_timeout {
                Some(t) => tokio::time::timeout(t, self.body.next())
                    .await
                    .map_err(|_| Error::RemoteRead(format!("no data from Prometheus for {t:?}")))?,
                None => self.body.next().await,
            };
            match next {
                Some(Ok(piece)) => self.buf.extend_from_slice(&piece),
                Some(Err(e)) => return Err(Error::RemoteRead(format!("reading the answer: {e}"))),
                None => self.done = true,
            }
        }
    }

    /// Splits one complete frame (`uvarint length | CRC32C | message`) off the buffer,
    /// checking its length against [`MAX_FRAME`] as soon as the prefix is there, and its CRC.
    fn take_frame(&mut self) -> Result<Option<bytes::Bytes>> {
        let Some((len, used)) = decode_uvarint(&self.buf) else {
            if self.buf.len() >= 10 {
                return Err(Error::RemoteRead("bad frame length".to_string()));
            }
            return Ok(None);
        };
        let len = usize::try_from(len)
            .ok()
            .filter(|l| *l <= MAX_FRAME)
            .ok_or_else(|| {
                Error::RemoteRead(format!(
                    "frame of {len} bytes is larger than the {MAX_FRAME}-byte limit"
                ))
            })?;
        if self.buf.len() < used + 4 + len {
            return Ok(None);
        }
        self.buf.advance(used);
        let crc = self.buf.get_u32();
        let frame = self.buf.split_to(len).freeze();
        let actual = crc32c::crc32c(&frame);
        if actual != crc {
            return Err(Error::RemoteRead(format!(
                "frame checksum mismatch: expected {crc:#010x}, computed {actual:#010x}"
            )));
        }
        Ok(Some(frame))
    }
}

/// The path of Prometheus' label values API for `name`, percent-encoded as one segment.
fn label_values_path(name: &str) -> String {
    let name = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("/api/v1/label/{name}/values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_escaped_in_paths() {
        assert_eq!(label_values_path("job"), "/api/v1/label/job/values");
        assert_eq!(
            label_values_path("../../admin/tsdb/x?a=b#c"),
            "/api/v1/label/%2E%2E%2F%2E%2E%2Fadmin%2Ftsdb%2Fx%3Fa%3Db%23c/values"
        );
        assert_eq!(
            label_values_path("__name__"),
            "/api/v1/label/%5F%5Fname%5F%5F/values"
        );
    }

    #[test]
    fn selector_quotes_like_promql() {
        let m = |t: prom::label_matcher::Type, n: &str, v: &str| prom::LabelMatcher {
            r#type: t as i32,
            name: n.into(),
            value: v.into(),
        };
        use prom::label_matcher::Type;
        let s = selector_text(&[
            m(Type::Eq, "__name__", "up"),
            m(Type::Re, "job", "a|\"b\"\\n"),
            m(Type::Nre, "x", ""),
            m(Type::Neq, "y", "z"),
        ]);
        assert_eq!(s, r#"{__name__="up",job=~"a|\"b\"\\n",x!~"",y!="z"}"#);
    }

    #[test]
    fn api_times_are_seconds_with_millis() {
        assert_eq!(api_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(api_time(-1), "-1.999");
        assert!(!bounded(i64::MIN) && !bounded(i64::MAX) && bounded(0));
    }

    /// A frame as Prometheus sends it: uvarint length, CRC32C, message.
    fn frame(msg: &[u8]) -> Vec<u8> {
        let mut wire = Vec::new();
        prost::encoding::encode_varint(msg.len() as u64, &mut wire);
        wire.extend_from_slice(&crc32c::crc32c(msg).to_be_bytes());
        wire.extend_from_slice(msg);
        wire
    }

    fn one_series() -> Vec<u8> {
        prom::ChunkedReadResponse {
            chunked_series: vec![prom::ChunkedSeries {
                labels: vec![prom::Label::new("a", "b")],
                chunks: vec![],
            }],
            query_index: 0,
        }
        .encode_to_vec()
    }

    /// The error ending a stream over `wire`.
    async fn stream_error(wire: Vec<u8>) -> String {
        let mut stream = RemoteReadStream::from_bytes(wire.into());
        loop {
            match stream.next_series_batch().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error"),
                Err(e) => return e.to_string(),
            }
        }
    }

    #[tokio::test]
    async fn frames_are_split_and_checked() {
        let msg = one_series();
        let mut wire = frame(&msg);
        let mut good = RemoteReadStream::from_bytes(wire.clone().into());
        let frame = good.take_frame().expect("valid").expect("complete");
        assert_eq!(frame.as_ref(), &msg[..]);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let err = stream_error(wire).await;
        assert!(err.contains("checksum mismatch"), "{err}");
    }

    #[tokio::test]
    async fn malformed_answers_are_errors_not_panics() {
        // A length prefix of 2^63: refused from the prefix alone.
        let mut huge = Vec::new();
        prost::encoding::encode_varint(1 << 63, &mut huge);
        let err = stream_error(huge).await;
        assert!(err.contains("larger than the 67108864-byte limit"), "{err}");
        // One byte over the cap.
        let mut over = Vec::new();
        prost::encoding::encode_varint(MAX_FRAME as u64 + 1, &mut over);
        assert!(stream_error(over).await.contains("limit"));
        // A length prefix longer than 64 bits.
        assert!(stream_error(vec![0xff; 11])
            .await
            .contains("bad frame length"));
        // The stream ends inside a frame.
        let mut cut = frame(&one_series());
        cut.pop();
        assert!(stream_error(cut)
            .await
            .contains("stream ended inside a frame"));
        // A checksum-valid frame that is not a ChunkedReadResponse.
        let err = stream_error(frame(&[0xff, 0xff, 0xff])).await;
        assert!(err.contains("decoding a frame"), "{err}");
    }

    #[tokio::test]
    async fn an_oversized_frame_is_refused_before_it_is_read() {
        // The prefix arrives, then an endless answer: only the prefix is read.
        let mut prefix = Vec::new();
        prost::encoding::encode_varint(MAX_FRAME as u64 + 1, &mut prefix);
        let pieces = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = pieces.clone();
        let endless = futures::stream::once(async move { Ok(Bytes::from(prefix)) }).chain(
            futures::stream::repeat_with(move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(Bytes::from(vec![0u8; 1 << 20]))
            }),
        );
        let mut stream = RemoteReadStream {
            body: Box::pin(endless),
            buf: BytesMut::new(),
            done: false,
            idle_timeout: None,
        };
        let err = stream.next_series_batch().await.expect_err("too large");
        assert!(err.to_string().contains("limit"), "{err}");
        assert_eq!(pieces.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn api_answers_are_read_up_to_a_limit() {
        let pieces = |n: usize| {
            futures::stream::iter(
                (0..n)
                    .map(|_| Ok::<_, std::convert::Infallible>(Bytes::from_static(b"0123456789"))),
            )
        };
        assert_eq!(
            read_limited(Some(30), pieces(3), 30)
                .await
                .expect("fits")
                .len(),
            30
        );
        // Announced too large: refused before reading.
        let err = read_limited(Some(1 << 40), pieces(0), 30)
            .await
            .expect_err("announced");
        assert!(
            err.contains("1099511627776 bytes or more exceeds the 30-byte limit"),
            "{err}"
        );
        // Not announced, and larger than it may be: refused as it arrives.
        let err = read_limited(None, pieces(4), 30)
            .await
            .expect_err("too large");
        assert!(err.contains("40 bytes or more"), "{err}");
        // Error bodies are cut, not refused.
        assert_eq!(read_prefix(pieces(4), 15).await, "012345678901234");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_answer_ends_after_the_read_timeout() {
        let mut stream = RemoteReadStream {
            body: Box::pin(futures::stream::pending()),
            buf: BytesMut::new(),
            done: false,
            idle_timeout: Some(Duration::from_secs(120)),
        };
        let err = stream.next_series_batch().await.expect_err("stalled");
        assert!(
            err.to_string().contains("no data from Prometheus for 120s"),
            "{err}"
        );
    }
}
