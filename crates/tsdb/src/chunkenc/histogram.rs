//! Integer histogram chunk codec (encoding byte 2), bit-exact with
//! Prometheus 2.42.

use super::histogram_meta::{
    apply_inserts, check_spans, checked_bucket_count, counter_reset_in_any_bucket, expand_forward,
    same_buckets, AppendError, Appendable, BitReader, CounterResetHeader, Fault, GaugeInserts,
    HistWriter, Insert, Pushed, XorState, HEADER_LEN,
};
use super::histogram_push;
use super::ChunkError;
use crate::histogram::{CounterResetHint, Histogram, Span};

/// Builds an integer histogram chunk sample by sample, as Prometheus'
/// `HistogramAppender`.
///
/// The first sample fixes the chunk's layout (schema, zero threshold,
/// spans). Later samples must have the same buckets: check with
/// [`HistogramEncoder::appendable`] (counter histograms) or
/// [`HistogramEncoder::appendable_gauge`] and recode or cut a new chunk as
/// told, or let [`HistogramEncoder::push`] do all of it. The bytes
/// ([`HistogramEncoder::bytes`]) are a complete chunk after every append,
/// byte-identical to Prometheus' for the same samples.
#[derive(Clone, Debug)]
pub struct HistogramEncoder {
    w: HistWriter,
    num: u16,
    header: CounterResetHeader,
    schema: i32,
    zero_threshold: f64,
    pos_spans: Vec<Span>,
    neg_spans: Vec<Span>,
    first_t: i64,
    t: i64,
    count: u64,
    zero_count: u64,
    t_delta: i64,
    count_delta: i64,
    zero_count_delta: i64,
    pos: Vec<i64>,
    neg: Vec<i64>,
    pos_delta: Vec<i64>,
    neg_delta: Vec<i64>,
    sum: XorState,
}

impl Default for HistogramEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl HistogramEncoder {
    /// An empty chunk with an unknown counter reset header.
    pub fn new() -> Self {
        Self::with_header(CounterResetHeader::Unknown)
    }

    /// An empty chunk with the given counter reset header.
    pub fn with_header(header: CounterResetHeader) -> Self {
        let mut e = HistogramEncoder {
            w: HistWriter::new(128),
            num: 0,
            header: CounterResetHeader::Unknown,
            schema: 0,
            zero_threshold: 0.0,
            pos_spans: Vec::new(),
            neg_spans: Vec::new(),
            first_t: 0,
            t: 0,
            count: 0,
            zero_count: 0,
            t_delta: 0,
            count_delta: 0,
            zero_count_delta: 0,
            pos: Vec::new(),
            neg: Vec::new(),
            pos_delta: Vec::new(),
            neg_delta: Vec::new(),
            sum: XorState::new(0),
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
    /// 2.42 would hold them (possibly with Go's trailing empty byte, see
    /// the [module docs](super)).
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

    /// Prometheus' `Appendable` for a counter histogram `h` (not for gauge
    /// histograms): whether `h` can be appended, needs the chunk recoded
    /// to its (wider) layout first, or needs a new chunk. A stale marker is
    /// always appendable. Also meaningful on an empty chunk only for the
    /// header of a chunk cut before `h` ([`Appendable::new_chunk_header`]).
    pub fn appendable(&self, h: &Histogram) -> Appendable {
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
        if h.count < self.count {
            return no(true);
        }
        if h.schema != self.schema || h.zero_threshold != self.zero_threshold {
            return no(false);
        }
        if h.zero_count < self.zero_count {
            return no(true);
        }
        let (Some(positive), Some(negative)) = (
            expand_forward(&self.pos_spans, &h.positive_spans),
            expand_forward(&self.neg_spans, &h.negative_spans),
        ) else {
            return no(true);
        };
        fn abs(d: &[i64]) -> impl Iterator<Item = i64> + '_ {
            d.iter().scan(0i64, |c, &x| {
                *c = c.wrapping_add(x);
                Some(*c)
            })
        }
        // Against the buckets as held (which a caller may give shorter than
        // the spans): compare what there is.
        if counter_reset_in_any_bucket(
            &self.pos_spans,
            abs(&self.pos),
            &h.positive_spans,
            abs(&h.positive_buckets),
        ) || counter_reset_in_any_bucket(
            &self.neg_spans,
            abs(&self.neg),
            &h.negative_spans,
            abs(&h.negative_buckets),
        ) {
            return no(true);
        }
        if positive.is_empty() && negative.is_empty() {
            Appendable::Yes
        } else {
            Appendable::Recode { positive, negative }
        }
    }

    /// Prometheus' `AppendableGauge` for a gauge histogram `h`: `None` if it
    /// needs a new chunk (the chunk is not a gauge chunk, the schema or zero
    /// threshold changed, or the last sample was a stale marker), else the
    /// inserts that make chunk and sample share the union of their layouts.
    pub fn appendable_gauge(&self, h: &Histogram) -> Option<GaugeInserts> {
        histogram_push::appendable_gauge(self, h)
    }

    /// The counter reset header Prometheus gives a new chunk cut before `h`
    /// (for whatever reason) when this chunk is the series' previous one.
    pub fn new_chunk_header(&self, h: &Histogram) -> CounterResetHeader {
        histogram_push::new_chunk_header(self, h)
    }

    /// Appends `h` the way Prometheus' head does when it does not cut the
    /// chunk for size or time: by the sample's hint, checks appendability
    /// (gauge or counter), recodes the chunk (and, for gauges, the sample)
    /// to wider layouts as needed and appends; or, when Prometheus would
    /// start a new chunk, appends nothing and says with which header
    /// (start it with [`HistogramEncoder::with_header`] and append `h`
    /// there).
    pub fn push(&mut self, t: i64, h: &Histogram) -> Result<Pushed, AppendError> {
        histogram_push::push(self, t, h)
    }

    /// Appends `h` at `t` (Prometheus' `AppendHistogram`). The first sample
    /// sets the layout; later ones must have the chunk's buckets (see
    /// [`HistogramEncoder::appendable`]), except stale markers, which are
    /// written without buckets. Timestamps should increase; other values
    /// still round-trip (arithmetic wraps). Never panics.
    pub fn append(&mut self, t: i64, h: &Histogram) -> Result<(), AppendError> {
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
        let empty = Histogram::stale();
        let h = if stale { &empty } else { h };
        let (mut t_delta, mut count_delta, mut zero_count_delta) = (0, 0, 0);
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
            self.pos = h.positive_buckets.clone();
            self.neg = h.negative_buckets.clone();
            self.pos_delta = vec![0; h.positive_buckets.len()];
            self.neg_delta = vec![0; h.negative_buckets.len()];
            self.w.varbit_int(t);
            self.w.varbit_uint(h.count);
            self.w.varbit_uint(h.zero_count);
            self.w.bits(h.sum.to_bits(), 64);
            self.sum = XorState::new(h.sum.to_bits());
            for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                self.w.varbit_int(b);
            }
            self.first_t = t;
        } else {
            t_delta = t.wrapping_sub(self.t);
            count_delta = (h.count as i64).wrapping_sub(self.count as i64);
            zero_count_delta = (h.zero_count as i64).wrapping_sub(self.zero_count as i64);
            self.w.varbit_int(t_delta.wrapping_sub(self.t_delta));
            if stale {
                self.w.varbit_int(0);
                self.w.varbit_int(0);
            } else {
                self.w
                    .varbit_int(count_delta.wrapping_sub(self.count_delta));
                self.w
                    .varbit_int(zero_count_delta.wrapping_sub(self.zero_count_delta));
            }
            self.w.xor(h.sum.to_bits(), &mut self.sum);
            for (bs, (prev, prev_delta)) in [
                (&h.positive_buckets, (&mut self.pos, &mut self.pos_delta)),
                (&h.negative_buckets, (&mut self.neg, &mut self.neg_delta)),
            ] {
                for ((&b, p), pd) in bs.iter().zip(prev.iter_mut()).zip(prev_delta.iter_mut()) {
                    let delta = b.wrapping_sub(*p);
                    self.w.varbit_int(delta.wrapping_sub(*pd));
                    *pd = delta;
                    *p = b;
                }
            }
        }
        self.num += 1;
        self.w.w.header_mut()[..2].copy_from_slice(&self.num.to_be_bytes());
        self.t = t;
        self.count = h.count;
        self.zero_count = h.zero_count;
        self.t_delta = t_delta;
        self.count_delta = count_delta;
        self.zero_count_delta = zero_count_delta;
        Ok(())
    }

    /// Rewrites the chunk to a wider layout (Prometheus' `Recode`): every
    /// sample gets empty buckets at the `inserts`, and the chunk the spans
    /// `positive_spans` / `negative_spans` (typically those of the sample
    /// that needs them, with the inserts from
    /// [`HistogramEncoder::appendable`]). The header is kept.
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

histogram_push::layout_impls!(HistogramEncoder, Histogram, decode_histograms);

/// Inserts empty buckets into a sample's delta-encoded buckets.
fn recode_sample(h: &mut Histogram, pos: &[Insert], neg: &[Insert]) -> Result<(), AppendError> {
    for (b, ins) in [
        (&mut h.positive_buckets, pos),
        (&mut h.negative_buckets, neg),
    ] {
        if ins.is_empty() {
            continue;
        }
        let mut cur = 0i64;
        let abs: Vec<i64> = b
            .iter()
            .map(|&d| {
                cur = cur.wrapping_add(d);
                cur
            })
            .collect();
        let abs = apply_inserts(&abs, ins, 0).ok_or(AppendError::BadInserts)?;
        let mut prev = 0i64;
        *b = abs
            .iter()
            .map(|&c| {
                let d = c.wrapping_sub(prev);
                prev = c;
                d
            })
            .collect();
    }
    Ok(())
}

/// Streaming decoder of an integer histogram chunk (Prometheus'
/// `histogramIterator`).
///
/// Samples are `(t, Histogram)` with the chunk's layout, the counter reset
/// hint of their position ([`CounterResetHeader::hint_for_sample`]), and
/// for stale markers just the stale sum (as Prometheus returns them). Use
/// [`HistogramIter::next_sample`], iterate it, or for speed
/// [`HistogramIter::advance`] and read the current sample in place.
pub struct HistogramIter<'a> {
    r: BitReader<'a>,
    len: usize,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    cur: Histogram,
    t: i64,
    t_delta: i64,
    count_delta: i64,
    zero_count_delta: i64,
    pos_delta: Vec<i64>,
    neg_delta: Vec<i64>,
    /// Buckets as of the last non-stale sample (a stale one clears `cur`).
    pos: Vec<i64>,
    neg: Vec<i64>,
    sum: XorState,
    count: u64,
    zero_count: u64,
    schema: i32,
    zero_threshold: f64,
    pos_spans: Vec<Span>,
    neg_spans: Vec<Span>,
    err: Option<ChunkError>,
}

impl<'a> HistogramIter<'a> {
    /// Starts decoding `chunk` (all its bytes, header included). Fails only
    /// if it is shorter than the 3-byte header.
    pub fn new(chunk: &'a [u8]) -> Result<Self, ChunkError> {
        if chunk.len() < HEADER_LEN {
            return Err(ChunkError::HistogramTooShort { len: chunk.len() });
        }
        Ok(HistogramIter {
            r: BitReader::new(chunk, HEADER_LEN * 8),
            len: chunk.len(),
            total: u16::from_be_bytes([chunk[0], chunk[1]]),
            read: 0,
            header: CounterResetHeader::from_byte(chunk[2]),
            cur: Histogram::default(),
            t: 0,
            t_delta: 0,
            count_delta: 0,
            zero_count_delta: 0,
            pos_delta: Vec::new(),
            neg_delta: Vec::new(),
            pos: Vec::new(),
            neg: Vec::new(),
            sum: XorState {
                bits: 0,
                leading: 0,
                trailing: 0,
            },
            count: 0,
            zero_count: 0,
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
    /// call). Read it with [`HistogramIter::at`]. Never panics.
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

    /// The current sample (after a successful [`HistogramIter::advance`]).
    pub fn at(&self) -> (i64, &Histogram) {
        (self.t, &self.cur)
    }

    /// Decodes and returns the next sample: `Ok(None)` after the last one.
    pub fn next_sample(&mut self) -> Result<Option<(i64, Histogram)>, ChunkError> {
        Ok(self.advance()?.then(|| (self.t, self.cur.clone())))
    }

    fn read_first(&mut self) -> Result<(), Fault> {
        let r = &mut self.r;
        let (schema, zt, ps, ns) = r.layout()?;
        let np = checked_bucket_count(&ps, r, 1)?;
        let nn = checked_bucket_count(&ns, r, 1)?;
        let n = np.checked_add(nn).ok_or(Fault::Truncated)?;
        if n > r.remaining() {
            return Err(Fault::Truncated);
        }
        self.t = r.varbit_int()?;
        self.count = r.varbit_uint()?;
        self.zero_count = r.varbit_uint()?;
        self.sum.bits = r.bits(64)?;
        self.pos = Vec::with_capacity(np);
        for _ in 0..np {
            self.pos.push(r.varbit_int()?);
        }
        self.neg = Vec::with_capacity(nn);
        for _ in 0..nn {
            self.neg.push(r.varbit_int()?);
        }
        self.pos_delta = vec![0; np];
        self.neg_delta = vec![0; nn];
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
        let count_dod = r.varbit_int()?;
        let zero_count_dod = r.varbit_int()?;
        r.xor(&mut self.sum)?;
        self.t_delta = self.t_delta.wrapping_add(t_dod);
        self.t = self.t.wrapping_add(self.t_delta);
        self.count_delta = self.count_delta.wrapping_add(count_dod);
        self.count = (self.count as i64).wrapping_add(self.count_delta) as u64;
        self.zero_count_delta = self.zero_count_delta.wrapping_add(zero_count_dod);
        self.zero_count = (self.zero_count as i64).wrapping_add(self.zero_count_delta) as u64;
        if self.sum.bits == super::STALE_NAN_BITS {
            self.cur = Histogram::stale();
            return Ok(());
        }
        for (b, d) in self.pos.iter_mut().zip(self.pos_delta.iter_mut()) {
            let dod = r.varbit_int()?;
            *d = d.wrapping_add(dod);
            *b = b.wrapping_add(*d);
        }
        for (b, d) in self.neg.iter_mut().zip(self.neg_delta.iter_mut()) {
            let dod = r.varbit_int()?;
            *d = d.wrapping_add(dod);
            *b = b.wrapping_add(*d);
        }
        self.fill_current();
        Ok(())
    }

    /// Sets `cur` from the state, reusing its allocations.
    fn fill_current(&mut self) {
        let sum = f64::from_bits(self.sum.bits);
        let c = &mut self.cur;
        if self.read == 0 || c.is_stale() {
            c.schema = self.schema;
            c.zero_threshold = self.zero_threshold;
            c.positive_spans.clone_from(&self.pos_spans);
            c.negative_spans.clone_from(&self.neg_spans);
        }
        c.counter_reset_hint = self.header.hint_for_sample(usize::from(self.read));
        c.count = self.count;
        c.zero_count = self.zero_count;
        c.sum = sum;
        c.positive_buckets.clone_from(&self.pos);
        c.negative_buckets.clone_from(&self.neg);
        if sum.to_bits() == super::STALE_NAN_BITS {
            *c = Histogram::stale();
        }
    }
}

impl Iterator for HistogramIter<'_> {
    type Item = Result<(i64, Histogram), ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.err.is_some() {
            return None;
        }
        self.next_sample().transpose()
    }
}

/// Decodes a whole integer histogram chunk.
pub fn decode_histograms(chunk: &[u8]) -> Result<Vec<(i64, Histogram)>, ChunkError> {
    HistogramIter::new(chunk)?.collect()
}
