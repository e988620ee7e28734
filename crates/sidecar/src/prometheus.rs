//! Client of the Prometheus HTTP API the sidecar needs: configuration and flags, TSDB status,
//! label names and values, and remote read with streamed XOR chunks.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures::StreamExt;
use mnemos_storeapi::prometheus as prom;
use mnemos_tsdb::gofmt::quote;
use prost::Message;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Largest remote-read frame accepted (Prometheus' own default limit is 1 MiB per frame).
const MAX_FRAME: usize = 64 << 20;
/// Content type of a streamed remote-read answer.
const STREAMED_CONTENT_TYPE: &str =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// A Prometheus server.
#[derive(Clone, Debug)]
pub struct PrometheusClient {
    base: String,
    http: reqwest::Client,
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
        })
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

    async fn api(&self, path: &str, query: &[(&str, String)]) -> Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| self.error(path, e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.error(path, e))?;
        let answer: ApiAnswer = serde_json::from_slice(&body).map_err(|e| {
            self.error(
                path,
                format!(
                    "HTTP {status}: not an API answer ({e}): {}",
                    String::from_utf8_lossy(&body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                ),
            )
        })?;
        if answer.status != "success" {
            return Err(self.error(path, format!("HTTP {status}: {}", answer.error)));
        }
        Ok(answer.data)
    }

    /// External labels from `global.external_labels` of the loaded configuration.
    pub async fn external_labels(&self) -> Result<BTreeMap<String, String>> {
        let path = "/api/v1/status/config";
        let data = self.api(path, &[]).await?;
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
        let data = self.api(path, &[]).await?;
        let flag = |name: &str| data[name].as_str().unwrap_or_default().to_string();
        Ok(TsdbFlags {
            min_block_duration: flag("storage.tsdb.min-block-duration"),
            max_block_duration: flag("storage.tsdb.max-block-duration"),
        })
    }

    /// Oldest timestamp of the head block (ms), if the head has data.
    pub async fn head_min_time(&self) -> Result<Option<i64>> {
        let data = self.api("/api/v1/status/tsdb", &[]).await?;
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
        let data = self
            .api("/api/v1/labels", &Self::range_params(start, end, matchers))
            .await?;
        Ok(strings(&data))
    }

    /// `/api/v1/label/<name>/values`.
    pub async fn label_values(
        &self,
        name: &str,
        start: i64,
        end: i64,
        matchers: &[prom::LabelMatcher],
    ) -> Result<Vec<String>> {
        let path = format!("/api/v1/label/{name}/values");
        let data = self
            .api(&path, &Self::range_params(start, end, matchers))
            .await?;
        Ok(strings(&data))
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
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Read-Version", "0.1.0")
            .body(body)
            .send()
            .await
            .map_err(|e| self.error(path, e))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(self.error(path, format!("HTTP {status}: {}", text.trim())));
        }
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
        })
    }
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
}

/// Decodes a uvarint at the start of `buf`: (value, bytes used), or `None` if incomplete.
fn uvarint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

impl RemoteReadStream {
    /// A stream over a complete answer already in memory (a captured answer replayed in
    /// benchmarks and tests).
    pub fn from_bytes(data: bytes::Bytes) -> Self {
        Self {
            body: Box::pin(futures::stream::empty()),
            buf: BytesMut::from(&data[..]),
            done: true,
        }
    }

    /// The next frame's series, or `None` at the end of the stream.
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
            match self.body.next().await {
                Some(Ok(piece)) => self.buf.extend_from_slice(&piece),
                Some(Err(e)) => return Err(Error::RemoteRead(format!("reading the answer: {e}"))),
                None => self.done = true,
            }
        }
    }

    /// Splits one complete frame off the buffer, checking its CRC.
    fn take_frame(&mut self) -> Result<Option<bytes::Bytes>> {
        let Some((len, used)) = uvarint(&self.buf) else {
            if self.buf.len() >= 10 {
                return Err(Error::RemoteRead("bad frame length".to_string()));
            }
            return Ok(None);
        };
        let len = len as usize;
        if len > MAX_FRAME {
            return Err(Error::RemoteRead(format!(
                "frame of {len} bytes is too large"
            )));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn frames_are_split_and_checked() {
        let response = prom::ChunkedReadResponse {
            chunked_series: vec![prom::ChunkedSeries {
                labels: vec![prom::Label::new("a", "b")],
                chunks: vec![],
            }],
            query_index: 0,
        };
        let msg = response.encode_to_vec();
        let mut wire = Vec::new();
        prost::encoding::encode_varint(msg.len() as u64, &mut wire);
        wire.extend_from_slice(&crc32c::crc32c(&msg).to_be_bytes());
        wire.extend_from_slice(&msg);
        let mut good = RemoteReadStream {
            body: Box::pin(futures::stream::empty()),
            buf: BytesMut::from(&wire[..]),
            done: true,
        };
        let frame = good.take_frame().expect("valid").expect("complete");
        assert_eq!(frame.as_ref(), &msg[..]);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let mut bad = RemoteReadStream {
            body: Box::pin(futures::stream::empty()),
            buf: BytesMut::from(&wire[..]),
            done: true,
        };
        let err = bad.take_frame().expect_err("corrupt").to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
    }
}
