//! Tests of the histogram chunk codecs.
