//! Query results: scalars, strings, instant vectors and range vectors (matrices).
//!
//! A sample or point is a float or a native histogram ([`FloatHistogram`], float counts,
//! as PromQL sees every histogram). Prometheus 2.42's HTTP API prints a vector sample
//! with a histogram under `"histogram"` instead of `"value"`, and a series' histogram
//! points under `"histograms"` after its float points under `"values"`; see
//! [`histogram_json`] for the histogram object.

use mnemos_tsdb::histogram::FloatHistogram;
use mnemos_tsdb::Labels;

/// One sample of an instant vector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// The series' labels (without `__name__` after most functions).
    pub labels: Labels,
    /// Evaluation time (ms).
    pub t: i64,
    /// The value; meaningless when `h` is set.
    pub v: f64,
    /// The histogram, for a histogram sample (printed as `"histogram"` instead of
    /// `"value"`).
    pub h: Option<Box<FloatHistogram>>,
}

impl Sample {
    /// A float sample.
    pub fn float(labels: Labels, t: i64, v: f64) -> Self {
        Sample {
            labels,
            t,
            v,
            h: None,
        }
    }
}

/// One series of a range vector or range query result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Labels.
    pub labels: Labels,
    /// Float points `(t ms, value)` in time order (the JSON's `"values"`).
    pub points: Vec<(i64, f64)>,
    /// Histogram points `(t ms, histogram)` in time order (the JSON's `"histograms"`,
    /// printed after `"values"`, each omitted when empty).
    pub histograms: Vec<(i64, FloatHistogram)>,
}

/// A query result.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number at a time.
    Scalar {
        /// Time (ms).
        t: i64,
        /// Value.
        v: f64,
    },
    /// A string at a time.
    String {
        /// Time (ms).
        t: i64,
        /// Value.
        v: String,
    },
    /// An instant vector.
    Vector(Vec<Sample>),
    /// A range vector (instant query of a matrix selector) or a range query result.
    Matrix(Vec<Series>),
}

/// The JSON object Prometheus 2.42's HTTP API prints for a histogram
/// (`marshalHistogram` in `web/api/v1/api.go`):
/// `{"count":"<count>","sum":"<sum>","buckets":[[<rule>,"<lower>","<upper>","<count>"],…]}`,
/// every number formatted as a sample value (Go's `'f'` format with `-1` precision, `'e'`
/// below 1e-6 and from 1e21, `NaN`, `+Inf`, `-Inf`: `format_value`), the buckets those
/// of Prometheus' `AllBucketIterator` ([`FloatHistogram::all_buckets`]) with a count
/// other than 0 (negative buckets from the lowest, the zero bucket, positive buckets),
/// `rule` their [boundary rule](mnemos_tsdb::histogram::Bucket::boundary_rule), and
/// `"buckets"` left out when none is printed.
pub fn histogram_json(h: &FloatHistogram, format_value: impl Fn(f64) -> String) -> String {
    let mut out = String::from("{\"count\":\"");
    out.push_str(&format_value(h.count));
    out.push_str("\",\"sum\":\"");
    out.push_str(&format_value(h.sum));
    out.push('"');
    let mut first = true;
    for b in h.all_buckets().into_iter().filter(|b| b.count != 0.0) {
        out.push_str(if first { ",\"buckets\":[" } else { "," });
        first = false;
        let rule = b.boundary_rule();
        out.push_str(&format!(
            "[{rule},\"{}\",\"{}\",\"{}\"]",
            format_value(b.lower),
            format_value(b.upper),
            format_value(b.count)
        ));
    }
    if !first {
        out.push(']');
    }
    out.push('}');
    out
}
