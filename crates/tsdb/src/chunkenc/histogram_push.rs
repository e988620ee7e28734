//! What the two histogram chunk encoders (integer, float) do alike, written once: the gauge
//! appendability check, the header of a chunk cut before a sample, and Prometheus' head
//! append (`push`): check, recode, append, or say that a new chunk is needed.

use super::histogram_meta::{
    expand_both_ways, AppendError, Appendable, CounterResetHeader, GaugeInserts, Insert, Pushed,
};
use super::ChunkError;
use crate::histogram::{CounterResetHint, Span};

/// A histogram sample as the encoders' shared logic sees it.
pub(crate) trait LayoutSample: Clone {
    /// Whether it is a stale marker.
    fn stale(&self) -> bool;
    /// Schema and zero threshold.
    fn layout_key(&self) -> (i32, f64);
    /// Positive and negative spans.
    fn spans(&self) -> (&[Span], &[Span]);
    /// The counter reset hint.
    fn hint(&self) -> CounterResetHint;
    /// Takes `positive`/`negative` as spans and inserts empty buckets where they say.
    fn widen(
        &mut self,
        positive: Vec<Span>,
        negative: Vec<Span>,
        pos: &[Insert],
        neg: &[Insert],
    ) -> Result<(), AppendError>;
}

/// The chunk state the shared logic reads.
pub(crate) struct Layout<'a> {
    pub num: u16,
    pub header: CounterResetHeader,
    pub last_stale: bool,
    pub schema: i32,
    pub zero_threshold: f64,
    pub pos_spans: &'a [Span],
    pub neg_spans: &'a [Span],
}

/// A histogram chunk encoder as the shared logic drives it.
pub(crate) trait LayoutEncoder: Sized {
    type Sample: LayoutSample;
    fn layout_state(&self) -> Layout<'_>;
    fn counter_appendable(&self, h: &Self::Sample) -> Appendable;
    fn append_sample(&mut self, t: i64, h: &Self::Sample) -> Result<(), AppendError>;
    /// An empty chunk with `header`.
    fn empty(header: CounterResetHeader) -> Self;
    /// The chunk's bytes.
    fn chunk_bytes(&self) -> &[u8];
    /// The samples of chunk bytes.
    fn decode(bytes: &[u8]) -> Result<Vec<(i64, Self::Sample)>, ChunkError>;
}

/// Implements [`LayoutSample`] and [`LayoutEncoder`] for an encoder (fields `num`, `header`,
/// `schema`, `zero_threshold`, `pos_spans`, `neg_spans`; methods `last_stale`,
/// `appendable`, `append`, `bytes`, `with_header`), its sample type (Prometheus' field
/// names) and its decoder; `recode_sample` must be in scope where it is used.
macro_rules! layout_impls {
    ($encoder:ty, $sample:ty, $decode:path) => {
        impl $crate::chunkenc::histogram_push::LayoutSample for $sample {
            fn stale(&self) -> bool {
                self.is_stale()
            }
            fn layout_key(&self) -> (i32, f64) {
                (self.schema, self.zero_threshold)
            }
            fn spans(&self) -> (&[Span], &[Span]) {
                (&self.positive_spans, &self.negative_spans)
            }
            fn hint(&self) -> CounterResetHint {
                self.counter_reset_hint
            }
            fn widen(
                &mut self,
                positive: Vec<Span>,
                negative: Vec<Span>,
                pos: &[Insert],
                neg: &[Insert],
            ) -> Result<(), AppendError> {
                self.positive_spans = positive;
                self.negative_spans = negative;
                recode_sample(self, pos, neg)
            }
        }

        impl $crate::chunkenc::histogram_push::LayoutEncoder for $encoder {
            type Sample = $sample;
            fn layout_state(&self) -> $crate::chunkenc::histogram_push::Layout<'_> {
                $crate::chunkenc::histogram_push::Layout {
                    num: self.num,
                    header: self.header,
                    last_stale: self.last_stale(),
                    schema: self.schema,
                    zero_threshold: self.zero_threshold,
                    pos_spans: &self.pos_spans,
                    neg_spans: &self.neg_spans,
                }
            }
            fn counter_appendable(&self, h: &$sample) -> Appendable {
                self.appendable(h)
            }
            fn append_sample(&mut self, t: i64, h: &$sample) -> Result<(), AppendError> {
                self.append(t, h)
            }
            fn empty(header: CounterResetHeader) -> Self {
                <$encoder>::with_header(header)
            }
            fn chunk_bytes(&self) -> &[u8] {
                self.bytes()
            }
            fn decode(bytes: &[u8]) -> Result<Vec<(i64, $sample)>, ChunkError> {
                $decode(bytes)
            }
        }
    };
}
pub(crate) use layout_impls;

/// Prometheus' `Recode`: the chunk rewritten with every sample (but stale markers) in the
/// wider layout `positive_spans`/`negative_spans`, empty buckets inserted as the inserts
/// say; the header is kept.
pub(crate) fn recode<E: LayoutEncoder>(
    e: &mut E,
    positive_inserts: &[Insert],
    negative_inserts: &[Insert],
    positive_spans: &[Span],
    negative_spans: &[Span],
) -> Result<(), AppendError> {
    let samples = E::decode(e.chunk_bytes()).map_err(|_| AppendError::BadInserts)?;
    let mut out = E::empty(e.layout_state().header);
    for (t, mut h) in samples {
        if !h.stale() {
            h.widen(
                positive_spans.to_vec(),
                negative_spans.to_vec(),
                positive_inserts,
                negative_inserts,
            )?;
        }
        out.append_sample(t, &h)?;
    }
    *e = out;
    Ok(())
}

/// Prometheus' `AppendableGauge`.
pub(crate) fn appendable_gauge<E: LayoutEncoder>(e: &E, h: &E::Sample) -> Option<GaugeInserts> {
    let c = e.layout_state();
    if c.num > 0 && c.header != CounterResetHeader::Gauge {
        return None;
    }
    if h.stale() {
        return Some(GaugeInserts::default());
    }
    if c.last_stale || h.layout_key() != (c.schema, c.zero_threshold) {
        return None;
    }
    let (positive, negative) = h.spans();
    let (pf, pb, ps) = expand_both_ways(c.pos_spans, positive);
    let (nf, nb, ns) = expand_both_ways(c.neg_spans, negative);
    Some(GaugeInserts {
        positive_forward: pf,
        negative_forward: nf,
        positive_backward: pb,
        negative_backward: nb,
        positive_spans: ps,
        negative_spans: ns,
    })
}

/// The header Prometheus gives a new chunk cut before `h` after `e`.
pub(crate) fn new_chunk_header<E: LayoutEncoder>(e: &E, h: &E::Sample) -> CounterResetHeader {
    match h.hint() {
        CounterResetHint::Gauge => CounterResetHeader::Gauge,
        CounterResetHint::CounterReset => CounterResetHeader::CounterReset,
        _ => e.counter_appendable(h).new_chunk_header(),
    }
}

/// Prometheus' head append of `h` when it does not cut for size or time.
pub(crate) fn push<E: LayoutEncoder>(
    e: &mut E,
    t: i64,
    h: &E::Sample,
) -> Result<Pushed, AppendError> {
    if e.layout_state().num == 0 {
        e.append_sample(t, h)?;
        return Ok(Pushed::Appended);
    }
    match h.hint() {
        CounterResetHint::Gauge => {
            let Some(g) = appendable_gauge(e, h) else {
                return Ok(Pushed::NewChunk(CounterResetHeader::Gauge));
            };
            let widened;
            let mut h = h;
            if !g.positive_backward.is_empty() || !g.negative_backward.is_empty() {
                let mut w = h.clone();
                w.widen(
                    g.positive_spans.clone(),
                    g.negative_spans.clone(),
                    &g.positive_backward,
                    &g.negative_backward,
                )?;
                widened = w;
                h = &widened;
            }
            let recoded = !g.positive_forward.is_empty() || !g.negative_forward.is_empty();
            if recoded {
                let (ps, ns) = h.spans();
                recode(e, &g.positive_forward, &g.negative_forward, ps, ns)?;
            }
            e.append_sample(t, h)?;
            Ok(if recoded {
                Pushed::Recoded
            } else {
                Pushed::Appended
            })
        }
        CounterResetHint::CounterReset => Ok(Pushed::NewChunk(CounterResetHeader::CounterReset)),
        _ => match e.counter_appendable(h) {
            Appendable::Yes => {
                e.append_sample(t, h)?;
                Ok(Pushed::Appended)
            }
            Appendable::Recode { positive, negative } => {
                let (ps, ns) = h.spans();
                recode(e, &positive, &negative, ps, ns)?;
                e.append_sample(t, h)?;
                Ok(Pushed::Recoded)
            }
            a @ Appendable::No { .. } => Ok(Pushed::NewChunk(a.new_chunk_header())),
        },
    }
}
