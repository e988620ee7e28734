//! Hand-written conveniences on the generated types: constructors for the messages servers build
//! most often, Thanos' component type names and the chunk encoding mapping between Prometheus'
//! remote read and the StoreAPI.

use prost::bytes::Bytes;

use crate::{prometheus, thanos};

/// Values of `InfoResponse.ComponentType` as Thanos sends and expects them
/// (Thanos' `pkg/component` names).
pub mod component_type {
    /// A sidecar next to one Prometheus.
    pub const SIDECAR: &str = "sidecar";
    /// A store gateway over a bucket.
    pub const STORE: &str = "store";
    /// A querier (itself a StoreAPI for other queriers).
    pub const QUERY: &str = "query";
    /// A ruler.
    pub const RULE: &str = "rule";
    /// A receiver.
    pub const RECEIVE: &str = "receive";
}

impl thanos::Label {
    /// A label pair.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl thanos::LabelMatcher {
    /// A matcher of the given type (`=`, `!=`, `=~`, `!~`).
    pub fn new(
        r#type: thanos::label_matcher::Type,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self {
            r#type: r#type as i32,
            name: name.into(),
            value: value.into(),
        }
    }
}

impl From<Vec<thanos::Label>> for thanos::ZLabelSet {
    fn from(labels: Vec<thanos::Label>) -> Self {
        Self { labels }
    }
}

impl From<Vec<thanos::Label>> for thanos::LabelSet {
    fn from(labels: Vec<thanos::Label>) -> Self {
        Self { labels }
    }
}

impl thanos::Chunk {
    /// An XOR-encoded (float) chunk without hash.
    pub fn xor(data: impl Into<Bytes>) -> Self {
        Self {
            r#type: thanos::chunk::Encoding::Xor as i32,
            data: data.into(),
            hash: 0,
        }
    }
}

impl thanos::AggrChunk {
    /// A raw (not downsampled) chunk covering `[min_time, max_time]` (milliseconds).
    pub fn raw(min_time: i64, max_time: i64, chunk: thanos::Chunk) -> Self {
        Self {
            min_time,
            max_time,
            raw: Some(chunk),
            ..Self::default()
        }
    }
}

impl thanos::SeriesResponse {
    /// A frame carrying one series.
    pub fn series(series: thanos::Series) -> Self {
        Self {
            result: Some(thanos::series_response::Result::Series(series)),
        }
    }

    /// A frame carrying a warning (e.g. a partial response).
    pub fn warning(warning: impl Into<String>) -> Self {
        Self {
            result: Some(thanos::series_response::Result::Warning(warning.into())),
        }
    }

    /// A frame carrying several series (`SeriesRequest.response_batch_size` > 1).
    pub fn batch(series: Vec<thanos::Series>) -> Self {
        Self {
            result: Some(thanos::series_response::Result::Batch(
                thanos::SeriesBatch { series },
            )),
        }
    }
}

/// A request's `limit` field as a count: 0 or negative means no limit (`usize::MAX`).
pub fn limit_count(limit: i64) -> usize {
    usize::try_from(limit)
        .ok()
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX)
}

impl thanos::LabelValuesRequest {
    /// Checks the request as Thanos' stores do: an empty label name is `InvalidArgument`.
    /// Otherwise says whether the label can have values at all: not when it is one of the
    /// replica labels the caller asks to leave out.
    pub fn wants_values(&self) -> Result<bool, tonic::Status> {
        if self.label.is_empty() {
            return Err(tonic::Status::invalid_argument(
                "label name parameter cannot be empty",
            ));
        }
        Ok(!self.without_replica_labels.contains(&self.label))
    }
}

impl prometheus::Label {
    /// A label pair.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl thanos::chunk::Encoding {
    /// The StoreAPI encoding of a remote-read chunk encoding (Prometheus numbers them one
    /// higher), or `None` for encodings the StoreAPI has no value for (UNKNOWN and newer ones
    /// such as XOR2).
    pub fn from_prometheus(encoding: prometheus::chunk::Encoding) -> Option<Self> {
        use prometheus::chunk::Encoding as P;
        match encoding {
            P::Xor => Some(Self::Xor),
            P::Histogram => Some(Self::Histogram),
            P::FloatHistogram => Some(Self::FloatHistogram),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_mapping() {
        use prometheus::chunk::Encoding as P;
        use thanos::chunk::Encoding as T;
        assert_eq!(T::from_prometheus(P::Xor), Some(T::Xor));
        assert_eq!(T::from_prometheus(P::Histogram), Some(T::Histogram));
        assert_eq!(
            T::from_prometheus(P::FloatHistogram),
            Some(T::FloatHistogram)
        );
        assert_eq!(T::from_prometheus(P::Unknown), None);
        assert_eq!(T::from_prometheus(P::Xor2), None);
    }

    #[test]
    fn constructors() {
        let m = thanos::LabelMatcher::new(thanos::label_matcher::Type::Re, "job", "a|b");
        assert_eq!(m.r#type(), thanos::label_matcher::Type::Re);
        let c = thanos::AggrChunk::raw(1, 2, thanos::Chunk::xor(vec![0u8, 1]));
        assert_eq!(c.raw.unwrap().r#type(), thanos::chunk::Encoding::Xor);
        assert!(c.count.is_none());
        assert!(matches!(
            thanos::SeriesResponse::warning("w").result,
            Some(thanos::series_response::Result::Warning(ref w)) if w == "w"
        ));
    }
}
