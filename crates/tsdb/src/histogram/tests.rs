//! Tests of the histogram data model.
