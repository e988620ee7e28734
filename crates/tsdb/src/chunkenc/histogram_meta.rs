//! Pieces shared by the histogram and float histogram chunk codecs: the
//! chunk header, the varbit integer encoding, the layout (schema, zero
//! threshold, spans) at the start of the first sample, the XOR encoding of
//! floats, and the bucket layout arithmetic behind appendability and
//! recoding. All bit-exact with Prometheus 2.42.

use super::bstream::{BitWriter, Source};
use super::ChunkError;
use crate::histogram::{count_buckets, Span, SpanIndices};

/// Bytes before the bit stream: the 2-byte sample count and the byte whose
/// top two bits are the [`CounterResetHeader`].
pub(crate) const HEADER_LEN: usize = 3;

/// The counter reset header: the top two bits of a histogram chunk's third
/// byte (Prometheus' `chunkenc.CounterResetHeader`). It tells why the chunk
/// was cut and, for its first sample, whether the counts were reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CounterResetHeader {
    /// Unknown whether a counter reset caused the chunk (`0b00`).
    #[default]
    Unknown,
    /// The chunk was cut because of a counter reset (`0b10`).
    CounterReset,
    /// The chunk was cut without a counter reset (`0b01`).
    NotCounterReset,
    /// The chunk holds gauge histograms (`0b11`).
    Gauge,
}

impl CounterResetHeader {
    /// The header in a chunk's third byte (its low six bits are ignored).
    pub const fn from_byte(b: u8) -> Self {
        match b >> 6 {
            0b10 => CounterResetHeader::CounterReset,
            0b01 => CounterResetHeader::NotCounterReset,
            0b11 => CounterResetHeader::Gauge,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The header's bits, in place in the third byte (`0b1100_0000` etc.).
    pub const fn as_byte(self) -> u8 {
        match self {
            CounterResetHeader::Unknown => 0,
            CounterResetHeader::CounterReset => 0b1000_0000,
            CounterResetHeader::NotCounterReset => 0b0100_0000,
            CounterResetHeader::Gauge => 0b1100_0000,
        }
    }

    /// The header Prometheus gives the first chunk of a series (there is no
    /// previous chunk to compare with), from the first sample's hint.
    pub const fn for_first_chunk(hint: crate::histogram::CounterResetHint) -> Self {
        use crate::histogram::CounterResetHint as H;
        match hint {
            H::Gauge => CounterResetHeader::Gauge,
            H::CounterReset => CounterResetHeader::CounterReset,
            _ => CounterResetHeader::Unknown,
        }
    }

    /// The hint of the `n`-th sample (0-based) of a chunk with this header,
    /// as Prometheus' iterators give it: gauge chunks say gauge; later
    /// samples say no counter reset; the first says counter reset if the
    /// header does, unknown otherwise (the previous chunk may be gone).
    pub const fn hint_for_sample(self, n: usize) -> crate::histogram::CounterResetHint {
        use crate::histogram::CounterResetHint as H;
        match self {
            CounterResetHeader::Gauge => H::Gauge,
            _ if n > 0 => H::NotCounterReset,
            CounterResetHeader::CounterReset => H::CounterReset,
            _ => H::Unknown,
        }
    }
}

/// New buckets to insert into a layout: `num` buckets before the bucket at
/// position `pos` of the old bucket list (or at its end when `pos` is its
/// length). Prometheus' `chunkenc.Insert`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Insert {
    /// Position in the old bucket list.
    pub pos: usize,
    /// Number of buckets to insert there.
    pub num: usize,
}

/// What the chunk says about appending a counter histogram (Prometheus'
/// `Appendable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appendable {
    /// Append as is.
    Yes,
    /// New buckets appeared: recode the chunk to the sample's spans with
    /// these inserts, then append.
    Recode {
        /// Inserts into the positive buckets.
        positive: Vec<Insert>,
        /// Inserts into the negative buckets.
        negative: Vec<Insert>,
    },
    /// Cut a new chunk: the schema or zero threshold changed, a stale marker
    /// was followed by a sample, or (`counter_reset`) a count went down or a
    /// bucket disappeared.
    No {
        /// Whether the reason is a counter reset.
        counter_reset: bool,
    },
}

impl Appendable {
    /// The header Prometheus gives a new chunk cut before this sample
    /// (whether it cuts because of this answer or for another reason, e.g.
    /// the chunk's size or time range): a counter reset; no counter reset
    /// if the sample was appendable; unknown otherwise.
    pub fn new_chunk_header(&self) -> CounterResetHeader {
        match self {
            Appendable::No {
                counter_reset: true,
            } => CounterResetHeader::CounterReset,
            Appendable::No { .. } => CounterResetHeader::Unknown,
            _ => CounterResetHeader::NotCounterReset,
        }
    }
}

/// How a gauge histogram fits a gauge chunk (Prometheus'
/// `AppendableGauge`): the chunk needs the forward inserts (buckets only the
/// sample has), the sample the backward ones (buckets only the chunk has),
/// and both then have the merged layout.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GaugeInserts {
    /// Inserts into the chunk's positive buckets.
    pub positive_forward: Vec<Insert>,
    /// Inserts into the chunk's negative buckets.
    pub negative_forward: Vec<Insert>,
    /// Inserts into the sample's positive buckets.
    pub positive_backward: Vec<Insert>,
    /// Inserts into the sample's negative buckets.
    pub negative_backward: Vec<Insert>,
    /// The union of the positive layouts.
    pub positive_spans: Vec<Span>,
    /// The union of the negative layouts.
    pub negative_spans: Vec<Span>,
}

/// What happened to a sample given to a `push` method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Appended to the chunk.
    Appended,
    /// The chunk was recoded to a wider layout, then the sample appended.
    Recoded,
    /// Not appended: the sample needs a new chunk, with this header.
    NewChunk(CounterResetHeader),
}

/// Errors appending to a histogram chunk: the sample does not fit the
/// chunk's layout (use the appendability check and recode first) or is
/// malformed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AppendError {
    /// The spans describe a different number of buckets than the sample has.
    #[error("histogram has {buckets} {sign} bucket(s) but its spans describe {described}")]
    SpansBucketsMismatch {
        /// `positive` or `negative`.
        sign: &'static str,
        /// Number of buckets.
        buckets: usize,
        /// Number of buckets the spans describe (saturated).
        described: usize,
    },
    /// The sample's buckets are not those of the chunk's layout.
    #[error("histogram's {sign} bucket layout differs from the chunk's; recode the chunk first")]
    LayoutMismatch {
        /// `positive` or `negative`.
        sign: &'static str,
    },
    /// The chunk already holds 65535 samples.
    #[error("chunk is full")]
    Full,
    /// An insert does not fit the layout it applies to.
    #[error("inserts do not fit the layout")]
    BadInserts,
}

/// Checks that the spans describe as many buckets as there are.
pub(crate) fn check_spans(
    sign: &'static str,
    spans: &[Span],
    buckets: usize,
) -> Result<(), AppendError> {
    let described = count_buckets(spans).unwrap_or(usize::MAX);
    if described != buckets {
        return Err(AppendError::SpansBucketsMismatch {
            sign,
            buckets,
            described,
        });
    }
    Ok(())
}

/// Whether two layouts have the same bucket indices.
pub(crate) fn same_buckets(a: &[Span], b: &[Span]) -> bool {
    SpanIndices::new(a).eq(SpanIndices::new(b))
}

// ---------------------------------------------------------------------------
// Bucket layout arithmetic
// ---------------------------------------------------------------------------

/// The inserts that turn layout `a` into layout `b`, or `None` if `b` lacks
/// a bucket of `a` (Prometheus' `expandSpansForward`).
pub(crate) fn expand_forward(a: &[Span], b: &[Span]) -> Option<Vec<Insert>> {
    let mut ai = SpanIndices::new(a).peekable();
    let mut bi = SpanIndices::new(b).peekable();
    let mut inserts = Vec::new();
    let mut pos = 0usize;
    let mut num = 0usize;
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (Some(av), Some(bv)) if av == bv => {
                if num > 0 {
                    inserts.push(Insert { pos, num });
                    num = 0;
                }
                ai.next();
                bi.next();
                pos += 1;
            }
            (Some(av), Some(bv)) if av > bv => {
                num += 1;
                bi.next();
            }
            (Some(_), _) => return None,
            (None, Some(_)) => {
                num += 1;
                bi.next();
            }
            (None, None) => {
                if num > 0 {
                    inserts.push(Insert { pos, num });
                }
                return Some(inserts);
            }
        }
    }
}

/// Forward inserts (into `a`), backward inserts (into `b`) and the merged
/// layout of two layouts (Prometheus' `expandSpansBothWays`).
pub(crate) fn expand_both_ways(a: &[Span], b: &[Span]) -> (Vec<Insert>, Vec<Insert>, Vec<Span>) {
    let mut ai = SpanIndices::new(a).peekable();
    let mut bi = SpanIndices::new(b).peekable();
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    let (mut f, mut bk) = (Insert { pos: 0, num: 0 }, Insert { pos: 0, num: 0 });
    let mut merged: Vec<Span> = Vec::new();
    let mut last = 0i64;
    let mut add = |idx: i32, merged: &mut Vec<Span>| {
        let mut offset = i64::from(idx) - last - 1;
        match merged.last_mut() {
            Some(s) if offset == 0 => s.length = s.length.wrapping_add(1),
            _ => {
                if merged.is_empty() {
                    offset += 1;
                }
                merged.push(Span::new(offset as i32, 1));
            }
        }
        last = i64::from(idx);
    };
    fn flush(i: &mut Insert, out: &mut Vec<Insert>) {
        if i.num > 0 {
            out.push(*i);
            i.num = 0;
        }
    }
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (Some(av), Some(bv)) if av == bv => {
                flush(&mut f, &mut fwd);
                flush(&mut bk, &mut bwd);
                add(av, &mut merged);
                ai.next();
                bi.next();
                f.pos += 1;
                bk.pos += 1;
            }
            (Some(av), Some(bv)) if av < bv => {
                bk.num += 1;
                flush(&mut f, &mut fwd);
                add(av, &mut merged);
                f.pos += 1;
                ai.next();
            }
            (Some(_), Some(bv)) => {
                f.num += 1;
                flush(&mut bk, &mut bwd);
                add(bv, &mut merged);
                bk.pos += 1;
                bi.next();
            }
            (Some(av), None) => {
                bk.num += 1;
                add(av, &mut merged);
                ai.next();
            }
            (None, Some(bv)) => {
                f.num += 1;
                add(bv, &mut merged);
                bi.next();
            }
            (None, None) => {
                flush(&mut f, &mut fwd);
                flush(&mut bk, &mut bwd);
                return (fwd, bwd, merged);
            }
        }
    }
}

/// `values` with `inserts` applied: each insert adds `num` copies of `fill`
/// before position `pos` (an insert at `values.len()` appends). Inserts
/// must be in increasing `pos` order; `None` for ones that do not fit.
pub(crate) fn apply_inserts<T: Copy>(values: &[T], inserts: &[Insert], fill: T) -> Option<Vec<T>> {
    let extra = inserts
        .iter()
        .try_fold(0usize, |n, i| n.checked_add(i.num))?;
    let mut out = Vec::with_capacity(values.len().checked_add(extra)?);
    let mut ins = inserts.iter().peekable();
    for (i, &v) in values.iter().enumerate() {
        while let Some(x) = ins.next_if(|x| x.pos == i) {
            out.extend(std::iter::repeat_n(fill, x.num));
        }
        out.push(v);
    }
    while let Some(x) = ins.next_if(|x| x.pos == values.len()) {
        out.extend(std::iter::repeat_n(fill, x.num));
    }
    ins.next().is_none().then_some(out)
}

/// Whether any bucket present in both layouts has a lower count in the new
/// one (Prometheus' `counterResetInAnyBucket`; the new layout must cover
/// the old one).
pub(crate) fn counter_reset_in_any_bucket<T: PartialOrd + Copy>(
    old_spans: &[Span],
    old: impl Iterator<Item = T>,
    new_spans: &[Span],
    new: impl Iterator<Item = T>,
) -> bool {
    let mut o = SpanIndices::new(old_spans).zip(old).peekable();
    let mut n = SpanIndices::new(new_spans).zip(new).peekable();
    while let (Some(&(oi, ov)), Some(&(ni, nv))) = (o.peek(), n.peek()) {
        if oi == ni {
            if nv < ov {
                return true;
            }
            o.next();
            n.next();
        } else if oi < ni {
            o.next();
        } else {
            n.next();
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Bit writer that follows Go's `bstream` call by call, so that the
/// trailing empty byte Go leaves after a whole-byte write on a byte
/// boundary is reproduced (see `BitWriter::set_go_pad`).
#[derive(Clone, Debug)]
pub(crate) struct HistWriter {
    pub(crate) w: BitWriter,
}

impl HistWriter {
    pub(crate) fn new(capacity: usize) -> Self {
        HistWriter {
            w: BitWriter::with_header(HEADER_LEN, capacity),
        }
    }

    /// Go's `writeBits(v, n)`: the low `n` bits of `v` (1 <= n <= 64).
    #[inline]
    pub(crate) fn bits(&mut self, v: u64, n: u32) {
        let v = if n == 64 { v } else { v & ((1u64 << n) - 1) };
        self.w.write_bits(v, n);
        self.w.set_go_pad(n.is_multiple_of(8));
    }

    /// Go's `writeBits(a, an)` then `writeBits(b, bn)`, as one write where
    /// possible.
    #[inline]
    fn bits2(&mut self, a: u64, an: u32, b: u64, bn: u32) {
        let b = if bn == 64 { b } else { b & ((1u64 << bn) - 1) };
        self.w.write_bits2(a, an, b, bn);
        self.w.set_go_pad(bn.is_multiple_of(8));
    }

    /// Go's `writeBit`.
    #[inline]
    pub(crate) fn bit(&mut self, b: bool) {
        self.w.write_bits(u64::from(b), 1);
        self.w.set_go_pad(false);
    }

    /// `putVarbitInt`: `0`, or a prefix of 2..=8 ones-then-zero (all ones
    /// for the last) followed by 3, 6, 9, 12, 18, 25, 56 or 64 bits.
    #[inline]
    pub(crate) fn varbit_int(&mut self, v: i64) {
        if v == 0 {
            return self.bit(false);
        }
        let (prefix, plen, sz) = varbit_class(|n| in_range(v, n));
        self.bits2(prefix, plen, v as u64, sz);
    }

    /// `putVarbitUint`: as [`HistWriter::varbit_int`] for unsigned values.
    #[inline]
    pub(crate) fn varbit_uint(&mut self, v: u64) {
        if v == 0 {
            return self.bit(false);
        }
        let (prefix, plen, sz) = varbit_class(|n| v.leading_zeros() >= 64 - n);
        self.bits2(prefix, plen, v, sz);
    }

    /// `putZeroThreshold`: one byte for 0 and powers of two from 2^-243 to
    /// 2^10, else 255 and the 64 bits.
    pub(crate) fn zero_threshold(&mut self, zt: f64) {
        if zt == 0.0 {
            return self.bits(0, 8);
        }
        match frexp_power_of_two(zt) {
            Some(exp) if (-242..=11).contains(&exp) => self.bits((exp + 243) as u64, 8),
            _ => {
                self.bits(255, 8);
                self.bits(zt.to_bits(), 64);
            }
        }
    }

    /// The layout at the start of the first sample.
    pub(crate) fn layout(&mut self, schema: i32, zt: f64, pos: &[Span], neg: &[Span]) {
        self.zero_threshold(zt);
        self.varbit_int(i64::from(schema));
        for spans in [pos, neg] {
            self.varbit_uint(spans.len() as u64);
            for s in spans {
                self.varbit_uint(u64::from(s.length));
                self.varbit_int(i64::from(s.offset));
            }
        }
    }

    /// XOR-encodes `v` against `x` (Gorilla, as the XOR chunk's values).
    #[inline]
    pub(crate) fn xor(&mut self, v: u64, x: &mut XorState) {
        let delta = v ^ x.bits;
        x.bits = v;
        if delta == 0 {
            return self.bit(false);
        }
        let leading = delta.leading_zeros().min(31) as u8;
        let trailing = delta.trailing_zeros() as u8;
        if x.leading != 0xff && leading >= x.leading && trailing >= x.trailing {
            let sig = 64 - u32::from(x.leading) - u32::from(x.trailing);
            self.bits2(0b10, 2, delta >> x.trailing, sig);
        } else {
            x.leading = leading;
            x.trailing = trailing;
            let sig = 64 - u32::from(leading) - u32::from(trailing);
            let head = (0b11 << 11) | (u64::from(leading) << 6) | u64::from(sig & 63);
            self.bits2(head, 13, delta >> trailing, sig);
        }
    }
}

/// An XOR-encoded float's state: its bits and the current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct XorState {
    pub(crate) bits: u64,
    /// Leading zeros of the window; `0xff` while unset.
    pub(crate) leading: u8,
    pub(crate) trailing: u8,
}

impl XorState {
    /// State after a raw 64-bit write of `bits` (no window yet).
    pub(crate) fn new(bits: u64) -> Self {
        XorState {
            bits,
            leading: 0xff,
            trailing: 0,
        }
    }
}

/// Go's `bitRange(v, n)`: `-(2^(n-1) - 1) <= v <= 2^(n-1)`.
#[inline]
fn in_range(v: i64, n: u32) -> bool {
    let half = 1i64 << (n - 1);
    -(half - 1) <= v && v <= half
}

/// Prefix, prefix length and value width of the smallest varbit class
/// whose width `fits`.
#[inline]
fn varbit_class(fits: impl Fn(u32) -> bool) -> (u64, u32, u32) {
    const CLASSES: [(u64, u32, u32); 7] = [
        (0b10, 2, 3),
        (0b110, 3, 6),
        (0b1110, 4, 9),
        (0b11110, 5, 12),
        (0b111110, 6, 18),
        (0b1111110, 7, 25),
        (0b11111110, 8, 56),
    ];
    for c in CLASSES {
        if fits(c.2) {
            return c;
        }
    }
    (0xff, 8, 64)
}

/// The exponent `e` with `v == 0.5 * 2^e` if `v` is a positive power of
/// two (normal or subnormal), as Go's `math.Frexp` gives `frac == 0.5`.
fn frexp_power_of_two(v: f64) -> Option<i32> {
    if v <= 0.0 || !v.is_finite() {
        return None;
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        // Subnormal: a single mantissa bit.
        (mant.count_ones() == 1).then(|| mant.trailing_zeros() as i32 - 1074 + 1)
    } else {
        (mant == 0).then_some(exp - 1023 + 1)
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Why reading failed, before sample context is added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    Truncated,
    Window { leading: u8, significant: u8 },
    Layout(&'static str),
}

impl Fault {
    #[cold]
    pub(crate) fn into_error(self, sample: u16, bit_offset: usize, len: usize) -> ChunkError {
        match self {
            Fault::Truncated => ChunkError::Truncated {
                sample,
                bit_offset: bit_offset as u64,
                len,
            },
            Fault::Window {
                leading,
                significant,
            } => ChunkError::BadXorWindow {
                sample,
                leading,
                significant,
            },
            Fault::Layout(what) => ChunkError::BadLayout(what),
        }
    }
}

/// MSB-first reader over a chunk (header included), position in bits.
pub(crate) struct BitReader<'a> {
    src: Source<'a>,
    pub(crate) pos: usize,
    len_bits: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(chunk: &'a [u8], pos: usize) -> Self {
        let src = Source::new(chunk);
        let len_bits = src.bit_len();
        BitReader { src, pos, len_bits }
    }

    /// Bits left.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.len_bits.saturating_sub(self.pos)
    }

    /// Reads `n` bits (1 <= n <= 64).
    #[inline]
    pub(crate) fn bits(&mut self, n: u32) -> Result<u64, Fault> {
        let end = self.pos + n as usize;
        if end > self.len_bits {
            return Err(Fault::Truncated);
        }
        let w = self.src.window(self.pos);
        self.pos = end;
        Ok((w >> (128 - n)) as u64)
    }

    /// Reads a varbit value's raw bits: its width (0 for the value 0,
    /// else 3, 6, ..., 64) and the bits, from one window (prefix and value
    /// take at most 72 of its 121 valid bits).
    #[inline(always)]
    fn varbit_raw(&mut self) -> Result<(u32, u64), Fault> {
        // (prefix length, value width) by the number of leading ones.
        const CLASSES: [(u32, u32); 9] = [
            (1, 0),
            (2, 3),
            (3, 6),
            (4, 9),
            (5, 12),
            (6, 18),
            (7, 25),
            (8, 56),
            (8, 64),
        ];
        let w = self.src.window(self.pos);
        let ones = ((w >> 120) as u8).leading_ones();
        let (plen, sz) = CLASSES[ones as usize];
        let end = self.pos + (plen + sz) as usize;
        if end > self.len_bits {
            return Err(Fault::Truncated);
        }
        self.pos = end;
        if sz == 0 {
            return Ok((0, 0));
        }
        Ok((sz, ((w << plen) >> (128 - sz)) as u64))
    }

    /// `readVarbitInt`.
    #[inline]
    pub(crate) fn varbit_int(&mut self) -> Result<i64, Fault> {
        let (sz, b) = self.varbit_raw()?;
        if sz == 0 || sz == 64 || b <= 1 << (sz - 1) {
            Ok(b as i64)
        } else {
            Ok(b.wrapping_sub(1 << sz) as i64)
        }
    }

    /// `readVarbitUint`.
    #[inline]
    pub(crate) fn varbit_uint(&mut self) -> Result<u64, Fault> {
        Ok(self.varbit_raw()?.1)
    }

    /// `readZeroThreshold`.
    fn zero_threshold(&mut self) -> Result<f64, Fault> {
        match self.bits(8)? {
            0 => Ok(0.0),
            255 => Ok(f64::from_bits(self.bits(64)?)),
            b => Ok(crate::histogram::ldexp(0.5, b as i64 - 243)),
        }
    }

    /// The layout of the first sample: schema, zero threshold, positive and
    /// negative spans. Lengths, offsets and the schema are truncated to 32
    /// bits as Prometheus does.
    pub(crate) fn layout(&mut self) -> Result<(i32, f64, Vec<Span>, Vec<Span>), Fault> {
        let zt = self.zero_threshold()?;
        let schema = self.varbit_int()? as i32;
        let pos = self.spans()?;
        let neg = self.spans()?;
        Ok((schema, zt, pos, neg))
    }

    fn spans(&mut self) -> Result<Vec<Span>, Fault> {
        let n = self.varbit_uint()?;
        // Each span takes at least 2 bits: a cap on the allocation.
        let cap = usize::try_from(n)
            .unwrap_or(usize::MAX)
            .min(self.remaining() / 2);
        let mut spans = Vec::with_capacity(cap);
        for _ in 0..n {
            let length = self.varbit_uint()? as u32;
            let offset = self.varbit_int()? as i32;
            spans.push(Span { offset, length });
        }
        Ok(spans)
    }

    /// Reads an XOR-encoded float into `x` (control bits, window and
    /// payload take at most 77 bits: one window).
    #[inline]
    pub(crate) fn xor(&mut self, x: &mut XorState) -> Result<(), Fault> {
        if self.pos >= self.len_bits {
            return Err(Fault::Truncated);
        }
        let w = self.src.window(self.pos);
        if w >> 127 == 0 {
            self.pos += 1;
            return Ok(());
        }
        let (head, trailing, sig) = if (w >> 126) & 1 == 0 {
            // `10`: the current window.
            let sig = 64u32
                .checked_sub(u32::from(x.leading) + u32::from(x.trailing))
                .filter(|&s| s > 0)
                .ok_or(Fault::Window {
                    leading: x.leading,
                    significant: 0,
                })?;
            (2, u32::from(x.trailing), sig)
        } else {
            // `11`: 5 bits leading zeros, 6 bits significant bits (0 = 64).
            let h = (w >> 115) as u32 & 0x7ff;
            let leading = h >> 6;
            let sig = match h & 63 {
                0 => 64,
                s => s,
            };
            if leading + sig > 64 {
                return Err(Fault::Window {
                    leading: leading as u8,
                    significant: sig as u8,
                });
            }
            (13, 64 - leading - sig, sig)
        };
        let end = self.pos + (head + sig) as usize;
        if end > self.len_bits {
            return Err(Fault::Truncated);
        }
        if head == 13 {
            x.leading = (64 - trailing - sig) as u8;
            x.trailing = trailing as u8;
        }
        self.pos = end;
        let v = ((w << head) >> (128 - sig)) as u64;
        x.bits ^= v << trailing;
        Ok(())
    }
}

/// Number of buckets in a layout read from a chunk, checked against the bits
/// left (each bucket of a sample takes at least `min_bits` bits), so that
/// bucket vectors are never larger than the chunk can fill.
pub(crate) fn checked_bucket_count(
    spans: &[Span],
    r: &BitReader<'_>,
    min_bits: usize,
) -> Result<usize, Fault> {
    let n = spans
        .iter()
        .try_fold(0usize, |n, s| n.checked_add(s.length as usize))
        .ok_or(Fault::Layout("bucket count overflows"))?;
    if n.saturating_mul(min_bits) > r.remaining() {
        return Err(Fault::Truncated);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp() {
        assert_eq!(frexp_power_of_two(1.0), Some(1));
        assert_eq!(frexp_power_of_two(0.5), Some(0));
        assert_eq!(frexp_power_of_two(2f64.powi(-128)), Some(-127));
        assert_eq!(frexp_power_of_two(1024.0), Some(11));
        assert_eq!(frexp_power_of_two(f64::from_bits(1)), Some(-1073));
        assert_eq!(frexp_power_of_two(0.001), None);
        assert_eq!(frexp_power_of_two(-1.0), None);
        assert_eq!(frexp_power_of_two(f64::INFINITY), None);
        assert_eq!(frexp_power_of_two(f64::NAN), None);
    }

    #[test]
    fn varbit_roundtrip() {
        let ints = [
            0i64,
            1,
            -1,
            4,
            -3,
            5,
            -4,
            32,
            -31,
            33,
            256,
            -255,
            257,
            2048,
            -2047,
            2049,
            131072,
            -131071,
            131073,
            16777216,
            -16777215,
            16777217,
            1 << 55,
            -(1 << 55) + 1,
            (1 << 55) + 1,
            i64::MAX,
            i64::MIN,
        ];
        let uints = [
            0u64,
            1,
            7,
            8,
            63,
            64,
            511,
            512,
            4095,
            4096,
            (1 << 56) - 1,
            1 << 56,
            u64::MAX,
        ];
        let mut w = HistWriter::new(16);
        for &v in &ints {
            w.varbit_int(v);
        }
        for &v in &uints {
            w.varbit_uint(v);
        }
        let bytes = w.w.into_bytes();
        let mut r = BitReader::new(&bytes, HEADER_LEN * 8);
        for &v in &ints {
            assert_eq!(r.varbit_int().unwrap(), v);
        }
        for &v in &uints {
            assert_eq!(r.varbit_uint().unwrap(), v);
        }
    }

    #[test]
    fn inserts() {
        let a = [Span::new(0, 2), Span::new(2, 1)]; // 0 1 4
        let b = [Span::new(-1, 3), Span::new(1, 3)]; // -1 0 1 3 4 5
        let f = expand_forward(&a, &b).unwrap();
        assert_eq!(
            f,
            vec![
                Insert { pos: 0, num: 1 },
                Insert { pos: 2, num: 1 },
                Insert { pos: 3, num: 1 }
            ]
        );
        assert_eq!(expand_forward(&b, &a), None);
        assert_eq!(
            apply_inserts(&[1, 2, 3], &f, 0),
            Some(vec![0, 1, 2, 0, 3, 0])
        );
        assert_eq!(apply_inserts(&[1], &[Insert { pos: 3, num: 1 }], 0), None);
        let (fw, bw, m) = expand_both_ways(&a, &[Span::new(1, 2)]);
        assert_eq!(fw, vec![Insert { pos: 2, num: 1 }]);
        assert_eq!(
            bw,
            vec![Insert { pos: 0, num: 1 }, Insert { pos: 2, num: 1 }]
        );
        assert_eq!(m, vec![Span::new(0, 3), Span::new(1, 1)]);
    }
}
