//! Query results: scalars, strings, instant vectors and range vectors (matrices).

use mnemos_tsdb::Labels;

/// One sample of an instant vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The series' labels (without `__name__` after most functions).
    pub labels: Labels,
    /// Evaluation time (ms).
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// One series of a range vector or range query result.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Labels.
    pub labels: Labels,
    /// `(t ms, value)` in time order.
    pub points: Vec<(i64, f64)>,
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
