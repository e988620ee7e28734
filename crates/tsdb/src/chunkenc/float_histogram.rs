//! Float histogram chunk codec (encoding byte 3), bit-exact with
//! Prometheus 2.42.

use super::histogram_meta::{
    apply_inserts, check_spans, checked_bucket_count, counter_reset_in_any_bucket, expand_forward,
    same_buckets, AppendError, Appendable, BitReader, CounterResetHeader, Fault, GaugeInserts,
    HistWriter, Insert, Pushed, XorState, HEADER_LEN,
};
use super::histogram_push;
use super::ChunkError;
use crate::histogram::{CounterResetHint, FloatHistogram, Span};

/// Builds a float histogram chunk sample by sample, as Prometheus'
/// `FloatHistogramAppender`; the counterpart of
/// [`HistogramEncoder`](super::HistogramEncoder), with the same contract.
#[derive(Clone, Debug)]
pub struct FloatHistogramEncoder {
    w: HistWriter,
    num: u16,
    header: CounterResetHeader,
    schema: i32,
    zero_threshold: f64,
    pos_spans: Vec<Span>,
    neg_spans: Vec<Span>,
    first_t: i64,
    t: i64,
    t_delta: i64,
    count: XorState,
    zero_count: XorState,
    sum: XorState,
    pos: Vec<XorState>,
    neg: Vec<XorState>,
}

impl Default for FloatHistogramEncoder {
    fn default() -> Self {
        Self::new()
    }
}

fn val(x: &XorState) -> f64 {
    f64::from_bits(x.bits)
}

impl FloatHistogramEncoder {
    /// An empty chunk with an unknown counter reset header.
    pub fn new() -> Self {
        Self::with_header(CounterResetHeader::Unknown)
    }

    /// An empty chunk with the given counter reset header.
    pub fn with_header(header: CounterResetHeader) -> Self {
        let mut e = FloatHistogramEncoder {
            w: HistWriter::new(128),
            num: 0,
            header: CounterResetHeader::Unknown,
            schema: 0,
            zero_threshold: 0.0,
            pos_spans: Vec::new(),
            neg_spans: Vec::new(),
            first_t: 0,
            t: 0,
            t_delta: 0,
            count: XorState::new(0),
            zero_count: XorState::new(0),
            sum: XorState::new(0),
            pos: Vec::new(),
            neg: Vec::new(),
        };
        e.set_counter_reset_header(header);
        e
    }

    /// Sets the counter reset header (the top bits of the third byte).
    pub fn set_counter_reset_header(&mut self, header: CounterResetHeader) {
        self.header = header;
        let b = &mut self.w.w.header_mut()[2];
        *b = (*b & 0b0011_1111) | header.as_byte();
    }

    /// The counter reset header.
    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// Number of samples appended.
    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Timestamp of the first sample, `None` while empty.
    pub fn min_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.first_t)
    }

    /// Timestamp of the last sample, `None` while empty.
    pub fn max_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.t)
    }

    /// The chunk's positive and negative spans (empty while the chunk is).
    pub fn layout(&self) -> (&[Span], &[Span]) {
        (&self.pos_spans, &self.neg_spans)
    }

    /// The complete chunk bytes (header included), exactly as Prometheus
    /// 2.42 would hold them.
    pub fn bytes(&self) -> &[u8] {
        self.w.w.bytes()
    }

    /// Consumes the encoder, returning the chunk bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.w.into_bytes()
    }

    fn last_stale(&self) -> bool {
        self.num > 0 && self.sum.bits == super::STALE_NAN_BITS
    }

    /// Prometheus' `Appendable` for a counter float histogram; see
    /// [`HistogramEncoder::appendable`](super::HistogramEncoder::appendable).
    pub fn appendable(&self, h: &FloatHistogram) -> Appendable {
        let no = |counter_reset| Appendable::No { counter_reset };
        if self.num > 0 && self.header == CounterResetHeader::Gauge {
            return no(false);
        }
        if h.is_stale() {
            return Appendable::Yes;
        }
        if self.last_stale() {
            return no(false);
        }
        if h.count < val(&self.count) {
            return no(true);
        }
        if h.schema != self.schema || h.zero_threshold != self.zero_threshold {
            return no(false);
        }
        if h.zero_count < val(&self.zero_count) {
            return no(true);
        }
        let (Some(positive), Some(negative)) = (
            expand_forward(&self.pos_spans, &h.positive_spans),
            expand_forward(&self.neg_spans, &h.negative_spans),
        ) else {
            return no(true);
        };
        if counter_reset_in_any_bucket(
            &self.pos_spans,
            self.pos.iter().map(val),
            &h.positive_spans,
            h.positive_buckets.iter().copied(),
        ) || counter_reset_in_any_bucket(
            &self.neg_spans,
            self.neg.iter().map(val),
            &h.negative_spans,
            h.negative_buckets.iter().copied(),
        ) {
            return no(true);
        }
        if positive.is_empty() && negative.is_empty() {
            Appendable::Yes
        } else {
            Appendable::Recode { positive, negative }
        }
    }

    /// Prometheus' `AppendableGauge` for a gauge float histogram; see
    /// [`HistogramEncoder::appendable_gauge`](super::HistogramEncoder::appendable_gauge).
    pub fn appendable_gauge(&self, h: &FloatHistogram) -> Option<GaugeInserts> {
        histogram_push::appendable_gauge(self, h)
    }

    /// The counter reset header Prometheus gives a new chunk cut before `h`
    /// when this chunk is the series' previous one.
    pub fn new_chunk_header(&self, h: &FloatHistogram) -> CounterResetHeader {
        histogram_push::new_chunk_header(self, h)
    }

    /// Appends `h` as Prometheus' head does when it does not cut the chunk
    /// for size or time; see
    /// [`HistogramEncoder::push`](super::HistogramEncoder::push).
    pub fn push(&mut self, t: i64, h: &FloatHistogram) -> Result<Pushed, AppendError> {
        histogram_push::push(self, t, h)
    }

    /// Appends `h` at `t` (Prometheus' `AppendFloatHistogram`); see
    /// [`HistogramEncoder::append`](super::HistogramEncoder::append).
    pub fn append(&mut self, t: i64, h: &FloatHistogram) -> Result<(), AppendError> {
        if self.num == u16::MAX {
            return Err(AppendError::Full);
        }
        let stale = h.is_stale();
        if !stale {
            check_spans("positive", &h.positive_spans, h.positive_buckets.len())?;
            check_spans("negative", &h.negative_spans, h.negative_buckets.len())?;
            if self.num > 0 {
                if !same_buckets(&self.pos_spans, &h.positive_spans) {
                    return Err(AppendError::LayoutMismatch { sign: "positive" });
                }
                if !same_buckets(&self.neg_spans, &h.negative_spans) {
                    return Err(AppendError::LayoutMismatch { sign: "negative" });
                }
            }
        }
        let empty = FloatHistogram::stale();
        let h = if stale { &empty } else { h };
        let mut t_delta = 0;
        if self.num == 0 {
            self.w.layout(
                h.schema,
                h.zero_threshold,
                &h.positive_spans,
                &h.negative_spans,
            );
            self.schema = h.schema;
            self.zero_threshold = h.zero_threshold;
            self.pos_spans = h.positive_spans.clone();
            self.neg_spans = h.negative_spans.clone();
            self.w.varbit_int(t);
            for v in [h.count, h.zero_count, h.sum] {
                self.w.bits(v.to_bits(), 64);
            }
            self.count = XorState::new(h.count.to_bits());
            self.zero_count = XorState::new(h.zero_count.to_bits());
            self.sum = XorState::new(h.sum.to_bits());
            for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                self.w.bits(b.to_bits(), 64);
            }
            self.pos = h
                .positive_buckets
                .iter()
                .map(|b| XorState::new(b.to_bits()))
                .collect();
            self.neg = h
                .negative_buckets
                .iter()
                .map(|b| XorState::new(b.to_bits()))
                .collect();
            self.first_t = t;
        } else {
            t_delta = t.wrapping_sub(self.t);
            self.w.varbit_int(t_delta.wrapping_sub(self.t_delta));
            self.w.xor(h.count.to_bits(), &mut self.count);
            self.w.xor(h.zero_count.to_bits(), &mut self.zero_count);
            self.w.xor(h.sum.to_bits(), &mut self.sum);
            for (bs, xs) in [
                (&h.positive_buckets, &mut self.pos),
                (&h.negative_buckets, &mut self.neg),
            ] {
                for (&b, x) in bs.iter().zip(xs.iter_mut()) {
                    self.w.xor(b.to_bits(), x);
                }
            }
        }
        self.num += 1;
        self.w.w.header_mut()[..2].copy_from_slice(&self.num.to_be_bytes());
        self.t = t;
        self.t_delta = t_delta;
        Ok(())
    }

    /// Rewrites the chunk to a wider layout (Prometheus' `Recode`); see
    /// [`HistogramEncoder::recode`](super::HistogramEncoder::recode).
    pub fn recode(
        &mut self,
        positive_inserts: &[Insert],
        negative_inserts: &[Insert],
        positive_spans: &[Span],
        negative_spans: &[Span],
    ) -> Result<(), AppendError> {
        histogram_push::recode(
            self,
            positive_inserts,
            negative_inserts,
            positive_spans,
            negative_spans,
        )
    }
}

histogram_push::layout_impls!(
    FloatHistogramEncoder,
    FloatHistogram,
    decode_float_histograms
);

/// Inserts empty buckets into a sample's buckets.
fn recode_sample(
    h: &mut FloatHistogram,
    pos: &[Insert],
    neg: &[Insert],
) -> Result<(), AppendError> {
    for (b, ins) in [
        (&mut h.positive_buckets, pos),
        (&mut h.negative_buckets, neg),
    ] {
        if !ins.is_empty() {
            *b = apply_inserts(b, ins, 0.0).ok_or(AppendError::BadInserts)?;
        }
    }
    Ok(())
}

/// Streaming decoder of a float histogram chunk (Prometheus'
/// `floatHistogramIterator`); as [`HistogramIter`](super::HistogramIter).
pub struct FloatHistogramIter<'a> {
    r: BitReader<'a>,
    len: usize,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    cur: FloatHistogram,
    t: i64,
    t_delta: i64,
    count: XorState,
    zero_count: XorState,
    sum: XorState,
    pos: Vec<XorState>,
    neg: Vec<XorState>,
    schema: i32,
    zero_threshold: f64,
    pos_spans: Vec<Span>,
    neg_spans: Vec<Span>,
    err: Option<ChunkError>,
}

const XOR_ZERO: XorState = XorState {
    bits: 0,
    leading: 0,
    trailing: 0,
};

impl<'a> FloatHistogramIter<'a> {
    /// Starts decoding `chunk` (all its bytes, header included). Fails only
    /// if it is shorter than the 3-byte header.
    pub fn new(chunk: &'a [u8]) -> Result<Self, ChunkError> {
        if chunk.len() < HEADER_LEN {
            return Err(ChunkError::HistogramTooShort { len: chunk.len() });
        }
        Ok(FloatHistogramIter {
            r: BitReader::new(chunk, HEADER_LEN * 8),
            len: chunk.len(),
            total: u16::from_be_bytes([chunk[0], chunk[1]]),
            read: 0,
            header: CounterResetHeader::from_byte(chunk[2]),
            cur: FloatHistogram::default(),
            t: 0,
            t_delta: 0,
            count: XOR_ZERO,
            zero_count: XOR_ZERO,
            sum: XOR_ZERO,
            pos: Vec::new(),
            neg: Vec::new(),
            schema: 0,
            zero_threshold: 0.0,
            pos_spans: Vec::new(),
            neg_spans: Vec::new(),
            err: None,
        })
    }

    /// Number of samples the header announces.
    pub fn num_samples(&self) -> u16 {
        self.total
    }

    /// The chunk's counter reset header.
    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// Decodes the next sample into the iterator: `Ok(false)` after the
    /// last one, `Err` on truncated or corrupt data (again on every later
    /// call). Never panics.
    pub fn advance(&mut self) -> Result<bool, ChunkError> {
        if self.read == self.total {
            return Ok(false);
        }
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        let start = self.r.pos;
        let res = if self.read == 0 {
            self.read_first()
        } else {
            self.read_next()
        };
        match res {
            Ok(()) => {
                self.read += 1;
                Ok(true)
            }
            Err(f) => {
                let e = f.into_error(self.read, start, self.len);
                self.err = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The current sample (after a successful advance).
    pub fn at(&self) -> (i64, &FloatHistogram) {
        (self.t, &self.cur)
    }

    /// Decodes and returns the next sample: `Ok(None)` after the last one.
    pub fn next_sample(&mut self) -> Result<Option<(i64, FloatHistogram)>, ChunkError> {
        Ok(self.advance()?.then(|| (self.t, self.cur.clone())))
    }

    fn read_first(&mut self) -> Result<(), Fault> {
        let r = &mut self.r;
        let (schema, zt, ps, ns) = r.layout()?;
        let np = checked_bucket_count(&ps, r, 64)?;
        let nn = checked_bucket_count(&ns, r, 64)?;
        if np.saturating_add(nn).saturating_mul(64) > r.remaining() {
            return Err(Fault::Truncated);
        }
        self.t = r.varbit_int()?;
        self.count.bits = r.bits(64)?;
        self.zero_count.bits = r.bits(64)?;
        self.sum.bits = r.bits(64)?;
        self.pos = Vec::with_capacity(np);
        for _ in 0..np {
            self.pos.push(XorState {
                bits: r.bits(64)?,
                ..XOR_ZERO
            });
        }
        self.neg = Vec::with_capacity(nn);
        for _ in 0..nn {
            self.neg.push(XorState {
                bits: r.bits(64)?,
                ..XOR_ZERO
            });
        }
        self.schema = schema;
        self.zero_threshold = zt;
        self.pos_spans = ps;
        self.neg_spans = ns;
        self.fill_current();
        Ok(())
    }

    fn read_next(&mut self) -> Result<(), Fault> {
        let r = &mut self.r;
        let t_dod = r.varbit_int()?;
        self.t_delta = self.t_delta.wrapping_add(t_dod);
        self.t = self.t.wrapping_add(self.t_delta);
        r.xor(&mut self.count)?;
        r.xor(&mut self.zero_count)?;
        r.xor(&mut self.sum)?;
        if self.sum.bits == super::STALE_NAN_BITS {
            self.cur = FloatHistogram::stale();
            return Ok(());
        }
        for x in self.pos.iter_mut().chain(self.neg.iter_mut()) {
            r.xor(x)?;
        }
        self.fill_current();
        Ok(())
    }

    fn fill_current(&mut self) {
        let c = &mut self.cur;
        if self.read == 0 || c.is_stale() {
            c.schema = self.schema;
            c.zero_threshold = self.zero_threshold;
            c.positive_spans.clone_from(&self.pos_spans);
            c.negative_spans.clone_from(&self.neg_spans);
        }
        c.counter_reset_hint = self.header.hint_for_sample(usize::from(self.read));
        c.count = val(&self.count);
        c.zero_count = val(&self.zero_count);
        c.sum = val(&self.sum);
        c.positive_buckets.clear();
        c.positive_buckets.extend(self.pos.iter().map(val));
        c.negative_buckets.clear();
        c.negative_buckets.extend(self.neg.iter().map(val));
        if self.sum.bits == super::STALE_NAN_BITS {
            *c = FloatHistogram::stale();
        }
    }
}

impl Iterator for FloatHistogramIter<'_> {
    type Item = Result<(i64, FloatHistogram), ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.err.is_some() {
            return None;
        }
        self.next_sample().transpose()
    }
}

/// Decodes a whole float histogram chunk.
pub fn decode_float_histograms(chunk: &[u8]) -> Result<Vec<(i64, FloatHistogram)>, ChunkError> {
    FloatHistogramIter::new(chunk)?.collect()
}
