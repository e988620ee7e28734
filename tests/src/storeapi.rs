//! A StoreAPI client for tests: the generated tonic client over a real TCP connection,
//! with helpers that collect a `Series` stream and decode its chunks.

use mnemos_storeapi::thanos::info::info_client::InfoClient;
use mnemos_storeapi::thanos::info::{InfoRequest, InfoResponse};
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_storeapi::thanos::{
    self, series_response, LabelNamesRequest, LabelValuesRequest, SeriesRequest,
};
use mnemos_tsdb::chunkenc::decode_xor_into;
use tonic::transport::Channel;

/// One series as the test compares it: labels as `name=value` pairs and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSamples {
    /// Sorted labels.
    pub labels: Vec<(String, String)>,
    /// `(timestamp ms, value)` within the requested range, in time order.
    pub samples: Vec<(i64, f64)>,
}

async fn store_client(port: u16) -> StoreClient<Channel> {
    StoreClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect to StoreAPI")
}

/// A `Series` call; returns the series (samples trimmed to the request range) and the
/// warnings, or the gRPC status on error.
pub fn series(
    port: u16,
    request: SeriesRequest,
) -> Result<(Vec<SeriesSamples>, Vec<String>), tonic::Status> {
    let (min, max) = (request.min_time, request.max_time);
    let (series, warnings) = series_chunks(port, request)?;
    let out = series.into_iter().map(|s| decode(s, min, max)).collect();
    Ok((out, warnings))
}

/// A `Series` call; returns the series as sent (chunks undecoded) and the warnings, or the
/// gRPC status on error.
pub fn series_chunks(
    port: u16,
    request: SeriesRequest,
) -> Result<(Vec<thanos::Series>, Vec<String>), tonic::Status> {
    crate::runtime().block_on(async {
        let mut client = store_client(port).await;
        let mut stream = client.series(request).await?.into_inner();
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        while let Some(frame) = stream.message().await? {
            match frame.result {
                Some(series_response::Result::Series(s)) => out.push(s),
                Some(series_response::Result::Warning(w)) => warnings.push(w),
                Some(series_response::Result::Batch(b)) => out.extend(b.series),
                _ => {}
            }
        }
        Ok((out, warnings))
    })
}

fn decode(series: thanos::Series, min: i64, max: i64) -> SeriesSamples {
    let labels = series
        .labels
        .into_iter()
        .map(|l| (l.name, l.value))
        .collect();
    let mut samples = Vec::new();
    for chunk in series.chunks {
        let raw = chunk.raw.expect("raw chunk");
        assert_eq!(
            raw.hash,
            xxhash(&raw.data),
            "chunk hash is xxhash64 of the data"
        );
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_into(&raw.data, &mut ts, &mut vs).expect("valid XOR chunk");
        samples.extend(
            ts.into_iter()
                .zip(vs)
                .filter(|(t, _)| *t >= min && *t <= max),
        );
    }
    SeriesSamples { labels, samples }
}

/// xxhash64 (seed 0), computed independently of the server.
fn xxhash(data: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = twox_hash::XxHash64::with_seed(0);
    h.write(data);
    h.finish()
}

/// `LabelNames` over `[start, end]`.
pub fn label_names(port: u16, request: LabelNamesRequest) -> Result<Vec<String>, tonic::Status> {
    crate::runtime().block_on(async {
        let mut client = store_client(port).await;
        Ok(client.label_names(request).await?.into_inner().names)
    })
}

/// `LabelValues`.
pub fn label_values(port: u16, request: LabelValuesRequest) -> Result<Vec<String>, tonic::Status> {
    crate::runtime().block_on(async {
        let mut client = store_client(port).await;
        Ok(client.label_values(request).await?.into_inner().values)
    })
}

/// `Info`.
pub fn info(port: u16) -> InfoResponse {
    crate::runtime().block_on(async {
        let mut client = InfoClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect to Info API");
        client
            .info(InfoRequest {})
            .await
            .expect("Info call")
            .into_inner()
    })
}
