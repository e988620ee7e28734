//! XOR ("Gorilla") float chunk codec, bit-exact with Prometheus 2.42.

use super::bstream::{BitWriter, Bits, Padded, Source};
use super::ChunkError;
use std::mem::MaybeUninit;

/// Largest number of samples an XOR chunk can hold (its count is a `u16`).
///
/// Prometheus itself cuts chunks at 120 samples; the codec accepts any count
/// up to this limit.
pub const MAX_SAMPLES_PER_CHUNK: u16 = u16::MAX;

/// Bytes of the sample-count header.
const HEADER_LEN: usize = 2;

/// Go's `binary.MaxVarintLen64`.
const MAX_VARINT_LEN: usize = 10;

// ---------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------

/// Builds an XOR chunk sample by sample.
///
/// The encoded bytes ([`XorEncoder::bytes`]) are a complete, valid chunk after
/// every [`XorEncoder::append`], exactly as Prometheus would have written them
/// for the same samples.
#[derive(Clone, Debug)]
pub struct XorEncoder {
    w: BitWriter,
    num: u16,
    first_t: i64,
    t: i64,
    t_delta: u64,
    v_bits: u64,
    /// Leading zeros of the current XOR window; `0xff` while unset.
    leading: u8,
    /// Trailing zeros of the current XOR window.
    trailing: u8,
}

impl Default for XorEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl XorEncoder {
    /// An empty chunk (its bytes are `[0, 0]`).
    pub fn new() -> Self {
        Self::with_capacity(128)
    }

    /// An empty chunk whose buffer is pre-sized for about `bytes` bytes of
    /// encoded data (a 120-sample gauge chunk typically takes 150-1000 bytes).
    pub fn with_capacity(bytes: usize) -> Self {
        XorEncoder {
            w: BitWriter::with_header(HEADER_LEN, bytes),
            num: 0,
            first_t: 0,
            t: 0,
            t_delta: 0,
            v_bits: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// Appends a sample.
    ///
    /// Timestamps must be strictly increasing; this is the caller's
    /// responsibility and is not checked (other inputs still encode and
    /// decode to the same values since all timestamp arithmetic wraps, but
    /// Prometheus never writes such chunks and its queries expect sorted
    /// samples). Never panics.
    ///
    /// A chunk holds at most [`MAX_SAMPLES_PER_CHUNK`] samples: once
    /// [`XorEncoder::is_full`] is true, further samples are ignored, so
    /// callers that may exceed the limit must check it and cut a new chunk.
    #[inline]
    pub fn append(&mut self, t: i64, v: f64) {
        let v_bits = v.to_bits();
        match self.num {
            0 => {
                let mut buf = [0u8; MAX_VARINT_LEN];
                let n = put_varint(&mut buf, t);
                for &b in &buf[..n] {
                    self.w.write_bits(u64::from(b), 8);
                }
                self.w.write_bits(v_bits, 64);
                self.w.set_go_pad(true);
                self.first_t = t;
            }
            1 => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let mut buf = [0u8; MAX_VARINT_LEN];
                let n = put_uvarint(&mut buf, t_delta);
                for &b in &buf[..n] {
                    self.w.write_bits(u64::from(b), 8);
                }
                let whole_bytes = self.write_value(v_bits, 0);
                self.w.set_go_pad(whole_bytes);
                self.t_delta = t_delta;
            }
            MAX_SAMPLES_PER_CHUNK => return,
            _ => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                let whole_bytes = if dod == 0 {
                    // The `0` of the timestamp is merged into the value write.
                    self.write_value(v_bits, 1)
                } else {
                    self.write_dod(dod);
                    self.write_value(v_bits, 0)
                };
                self.w.set_go_pad(whole_bytes);
                self.t_delta = t_delta;
            }
        }
        self.t = t;
        self.v_bits = v_bits;
        self.num += 1;
        self.w.header_mut()[..HEADER_LEN].copy_from_slice(&self.num.to_be_bytes());
    }

    /// Writes a non-zero delta-of-delta of the timestamp.
    #[inline]
    fn write_dod(&mut self, dod: i64) {
        let u = dod as u64;
        if (-(1 << 13) + 1..=1 << 13).contains(&dod) {
            self.w.write_bits((0b10 << 14) | (u & 0x3fff), 16);
        } else if (-(1 << 16) + 1..=1 << 16).contains(&dod) {
            self.w.write_bits((0b110 << 17) | (u & 0x1_ffff), 20);
        } else if (-(1 << 19) + 1..=1 << 19).contains(&dod) {
            self.w.write_bits((0b1110 << 20) | (u & 0xf_ffff), 24);
        } else {
            self.w.write_bits2(0b1111, 4, u, 64);
        }
    }

    /// Writes the XOR encoding of `v_bits` against the previous value,
    /// preceded by `zeros` (0 or 1) zero bits. Returns whether Prometheus'
    /// last write for it is a `writeBits` of a multiple of 8 bits (see
    /// `BitWriter::set_go_pad`).
    #[inline(always)]
    fn write_value(&mut self, v_bits: u64, zeros: u32) -> bool {
        let delta = v_bits ^ self.v_bits;
        if delta == 0 {
            self.w.write_bits(0, zeros + 1);
            return false;
        }
        // Clamp so the count fits the 5-bit field.
        let leading = delta.leading_zeros().min(31) as u8;
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            // Fits the current window: `10` + the window's bits.
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            self.w
                .write_bits2(0b10, zeros + 2, delta >> self.trailing, sig);
            sig % 8 == 0
        } else {
            // New window: `11`, 5 bits leading, 6 bits significant (64 -> 0).
            self.leading = leading;
            self.trailing = trailing;
            let sig = 64 - u32::from(leading) - u32::from(trailing);
            let head = (0b11 << 11) | (u64::from(leading) << 6) | u64::from(sig & 63);
            self.w.write_bits2(head, zeros + 13, delta >> trailing, sig);
            sig % 8 == 0
        }
    }

    /// Number of samples appended.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Whether the chunk holds [`MAX_SAMPLES_PER_CHUNK`] samples and ignores
    /// further appends.
    #[inline]
    pub fn is_full(&self) -> bool {
        self.num == MAX_SAMPLES_PER_CHUNK
    }

    /// Timestamp of the first sample, `None` while empty.
    #[inline]
    pub fn min_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.first_t)
    }

    /// Timestamp of the last sample, `None` while empty.
    #[inline]
    pub fn max_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.t)
    }

    /// The complete chunk bytes (2-byte count header included, last byte
    /// zero-padded), exactly as Prometheus 2.42 would have them, possibly
    /// with its trailing empty byte (see the [module docs](super)). Valid
    /// at any time.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Consumes the encoder, returning the chunk bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }
}

/// Encodes `samples` (timestamps strictly increasing) as one XOR chunk.
///
/// Only the first [`MAX_SAMPLES_PER_CHUNK`] samples are encoded; split longer
/// inputs into several chunks.
pub fn encode_xor(samples: &[(i64, f64)]) -> Vec<u8> {
    // Rough size guess: ~2 bytes/sample covers counters and most gauges.
    let mut enc = XorEncoder::with_capacity(16 + samples.len() * 2);
    for &(t, v) in samples.iter().take(usize::from(MAX_SAMPLES_PER_CHUNK)) {
        enc.append(t, v);
    }
    enc.into_bytes()
}

/// Go `binary.PutUvarint`.
fn put_uvarint(buf: &mut [u8; MAX_VARINT_LEN], mut x: u64) -> usize {
    let mut i = 0;
    while x >= 0x80 {
        buf[i] = (x as u8) | 0x80;
        x >>= 7;
        i += 1;
    }
    buf[i] = x as u8;
    i + 1
}

/// Go `binary.PutVarint` (zig-zag).
fn put_varint(buf: &mut [u8; MAX_VARINT_LEN], x: i64) -> usize {
    put_uvarint(buf, ((x as u64) << 1) ^ ((x >> 63) as u64))
}

// ---------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------

/// Decoder state carried from sample to sample.
#[derive(Clone, Copy, Debug)]
struct State {
    t: i64,
    t_delta: u64,
    v_bits: u64,
    /// Trailing zeros of the current XOR window.
    trailing: u32,
    /// Width of the current XOR window (64 - leading - trailing), 1..=64.
    mbits: u32,
}

/// Why decoding a sample failed, before sample/offset context is added.
enum Fault {
    Truncated,
    Overflow,
    Window { leading: u8, significant: u8 },
}

impl Fault {
    #[cold]
    fn into_error(self, sample: u16, bit_offset: usize, len: usize) -> ChunkError {
        match self {
            Fault::Truncated => ChunkError::Truncated {
                sample,
                bit_offset: bit_offset as u64,
                len,
            },
            Fault::Overflow => ChunkError::VarintOverflow { sample },
            Fault::Window {
                leading,
                significant,
            } => ChunkError::BadXorWindow {
                sample,
                leading,
                significant,
            },
        }
    }
}

/// Go `binary.ReadUvarint` over the bytes at `*at`, advancing it.
#[inline]
fn read_uvarint(data: &[u8], at: &mut usize) -> Result<u64, Fault> {
    let mut x = 0u64;
    let mut shift = 0u32;
    for i in 0..MAX_VARINT_LEN {
        let b = *data.get(*at).ok_or(Fault::Truncated)?;
        *at += 1;
        if b < 0x80 {
            if i == MAX_VARINT_LEN - 1 && b > 1 {
                return Err(Fault::Overflow);
            }
            return Ok(x | (u64::from(b) << shift));
        }
        x |= u64::from(b & 0x7f) << shift;
        shift += 7;
    }
    Err(Fault::Overflow)
}

/// Decodes sample 0, which starts at byte 2: returns the state after it and
/// the bit position of sample 1.
#[inline]
fn read_first(data: &[u8]) -> Result<(State, usize), Fault> {
    let mut at = HEADER_LEN;
    let ux = read_uvarint(data, &mut at)?;
    let t = ((ux >> 1) as i64) ^ -((ux & 1) as i64);
    let v = data.get(at..at + 8).ok_or(Fault::Truncated)?;
    let v_bits = u64::from_be_bytes(v.try_into().expect("8 bytes"));
    let st = State {
        t,
        t_delta: 0,
        v_bits,
        trailing: 0,
        mbits: 64,
    };
    Ok((st, (at + 8) * 8))
}

/// Decodes sample 1 starting at bit `pos` (always byte-aligned), returning
/// the bit position after it. Bounds are checked by the caller.
#[inline]
fn read_second<B: Bits>(data: &[u8], src: &B, st: &mut State, pos: usize) -> Result<usize, Fault> {
    let mut at = pos / 8;
    let t_delta = read_uvarint(data, &mut at)?;
    st.t_delta = t_delta;
    st.t = st.t.wrapping_add(t_delta as i64);
    let mut p = at * 8;
    read_value(src.window(p), &mut p, st)?;
    Ok(p)
}

/// The 64 bits at offset `k` of the window `x`.
#[inline(always)]
fn bits64_at(x: u128, k: u32) -> u64 {
    ((x << k) >> 64) as u64
}

/// Applies a value change whose `1` control bit is the first bit of the
/// window `x` (at bit position `q`): `10` reuses the current XOR window, `11`
/// sets a new one. Returns the bit position after the value.
#[inline(always)]
fn apply_change(x: u128, q: usize, st: &mut State) -> Result<usize, Fault> {
    let h = (x >> 64) as u64;
    if (h >> 62) & 1 == 0 {
        // `10`: reuse the window. 1 <= mbits <= 64, so the shift is < 64.
        let bits = bits64_at(x, 2) >> (64 - st.mbits);
        st.v_bits ^= bits << st.trailing;
        Ok(q + 2 + st.mbits as usize)
    } else {
        // `11`: 5 bits leading zeros, 6 bits significant bits (0 means 64).
        let leading = ((h >> 57) & 31) as u32;
        let sig = ((h >> 51).wrapping_sub(1) & 63) as u32 + 1;
        if leading + sig > 64 {
            return Err(Fault::Window {
                leading: leading as u8,
                significant: sig as u8,
            });
        }
        st.trailing = 64 - leading - sig;
        st.mbits = sig;
        let bits = bits64_at(x, 13) >> (64 - sig);
        st.v_bits ^= bits << st.trailing;
        Ok(q + 13 + sig as usize)
    }
}

/// Decodes an XOR-encoded value from the window `x` (left-aligned at `*p`,
/// at least 77 valid bits), advancing `*p`.
#[inline(always)]
fn read_value(x: u128, p: &mut usize, st: &mut State) -> Result<(), Fault> {
    if (x >> 127) == 0 {
        // `0`: value unchanged.
        *p += 1;
    } else {
        *p = apply_change(x, *p, st)?;
    }
    Ok(())
}

/// Decodes a non-zero delta-of-delta from the window `x` (whose first bit is
/// `1`), returning it and the number of bits it took.
#[inline]
fn read_dod(x: u128) -> (i64, usize) {
    let hi = (x >> 64) as u64;
    let (sz, len) = match hi.leading_ones() {
        1 => (14u32, 16usize),
        2 => (17, 20),
        3 => (20, 24),
        _ => return (bits64_at(x, 4) as i64, 68),
    };
    let mut bits = (hi >> (64 - len)) & ((1u64 << sz) - 1);
    if bits > 1 << (sz - 1) {
        bits = bits.wrapping_sub(1 << sz);
    }
    (bits as i64, len)
}

/// Decodes sample `n >= 2` starting at bit `*p`, advancing `*p`.
/// Bounds are checked by the caller.
#[inline(always)]
fn read_next(src: &Source<'_>, p: &mut usize, st: &mut State) -> Result<(), Fault> {
    let mut x = src.window(*p);
    if (x >> 127) == 0 {
        *p += 1;
        x <<= 1;
    } else {
        let (dod, len) = read_dod(x);
        st.t_delta = st.t_delta.wrapping_add(dod as u64);
        *p += len;
        x = src.window(*p);
    }
    st.t = st.t.wrapping_add(st.t_delta as i64);
    read_value(x, p, st)
}

/// Reads the sample count of a chunk.
#[inline]
fn read_count(chunk: &[u8]) -> Result<u16, ChunkError> {
    match chunk {
        [a, b, ..] => Ok(u16::from_be_bytes([*a, *b])),
        _ => Err(ChunkError::TooShort { len: chunk.len() }),
    }
}

/// Decodes a whole XOR chunk, appending its timestamps to `ts` and its values
/// to `vs` (the fast path used by queries).
///
/// On error both vectors are truncated back to their lengths on entry, so no
/// partial chunk is left behind. Never panics, whatever the input.
pub fn decode_xor_into(
    chunk: &[u8],
    ts: &mut Vec<i64>,
    vs: &mut Vec<f64>,
) -> Result<(), ChunkError> {
    let (ts_len, vs_len) = (ts.len(), vs.len());
    let res = decode_inner(chunk, ts, vs);
    if res.is_err() {
        ts.truncate(ts_len);
        vs.truncate(vs_len);
    }
    res
}

fn decode_inner(chunk: &[u8], ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<(), ChunkError> {
    let n = usize::from(read_count(chunk)?);
    if n == 0 {
        return Ok(());
    }
    let len = chunk.len();
    let (st, p) = read_first(chunk).map_err(|f| f.into_error(0, HEADER_LEN * 8, len))?;
    let (t0, v0) = (st.t, f64::from_bits(st.v_bits));
    if n == 1 {
        ts.push(t0);
        vs.push(v0);
        return Ok(());
    }

    // Decode straight into the vectors' spare capacity (uninitialised:
    // zeroing it first costs about as much as a tenth of the decoding).
    ts.reserve(n + RUN);
    vs.reserve(n + RUN);
    let (bt, bv) = (ts.len(), vs.len());
    let out_t = &mut ts.spare_capacity_mut()[..n + RUN];
    let out_v = &mut vs.spare_capacity_mut()[..n + RUN];
    out_t[0].write(t0);
    out_v[0].write(v0);
    // Small chunks (all of Prometheus') are decoded from a padded copy,
    // which spares the hot loop bounds checks.
    let res = match Padded::with(chunk, |pad| decode_rest(chunk, pad, p, st, n, out_t, out_v)) {
        Some(res) => res,
        None => decode_rest(chunk, &Source::new(chunk), p, st, n, out_t, out_v),
    };
    match res {
        Some(p) if p <= len.saturating_mul(8) => {
            // SAFETY: `decode_rest` returns `Some` only once it has written
            // every slot `1..n` of `out_t` and `out_v` (it advances its
            // sample index past a slot only after writing it, and stops at
            // `n`), and slot 0 is written above; `out_t` / `out_v` are the
            // spare capacity starting at `bt` / `bv`, so elements
            // `bt..bt + n` / `bv..bv + n` are initialised (and within
            // capacity, which `reserve` made at least `n + RUN` more).
            unsafe {
                ts.set_len(bt + n);
                vs.set_len(bv + n);
            }
            Ok(())
        }
        // Whatever went wrong (including in sample 1, whose bits past the
        // end of the chunk may be stale ones in `Padded`), `XorIter` gives
        // the precise error.
        _ => Err(locate_error(chunk)),
    }
}

/// XOR window of the hot loop, with values derived from it once per window
/// change rather than once per sample.
#[derive(Clone, Copy)]
struct Window {
    /// Mask of the window bits: `mbits` ones shifted left by `trailing`.
    mask: u64,
    /// Left rotation that moves a `10` payload, read from an unshifted
    /// 64-bit load of the sample's first byte, onto the window (to which
    /// the bit offset of the sample in that byte is added).
    rot: u32,
    /// Bits taken by a sample with a zero dod and a `10` value: 3 + mbits.
    adv: usize,
    /// The 3 leading bits that select the fast path: `010` if the window's
    /// `10` payload fits in one load (`mbits <= FAST_MBITS`), else an
    /// impossible value.
    fast: u64,
}

impl Window {
    #[inline(always)]
    fn new(trailing: u32, mbits: u32) -> Window {
        let leading = 64 - mbits - trailing;
        Window {
            mask: (u64::MAX >> (64 - mbits)) << trailing,
            // The payload's top bit is bit 60 - o of the load (after the
            // dod bit and the two control bits); it must land on bit
            // 63 - leading.
            rot: 3u32.wrapping_sub(leading) & 63,
            adv: 3 + mbits as usize,
            fast: if mbits <= FAST_MBITS { 0b010 } else { 8 },
        }
    }

    /// Trailing zeros of the window.
    #[inline(always)]
    fn trailing(&self) -> u32 {
        self.mask.trailing_zeros()
    }

    /// Significant bits of the window, 1..=64.
    #[inline(always)]
    fn mbits(&self) -> u32 {
        (self.adv - 3) as u32
    }
}

/// Largest window whose `10` payload always fits in one 64-bit load taken
/// at the sample's first byte: 64 - 7 (bit offset) - 3 (control bits).
const FAST_MBITS: u32 = 54;

/// Defines `$plain` and, on x86-64, `$x86v3`: out-of-line copies of the
/// `#[inline(always)]` function `$body` (which gets `X86V3` true in the
/// latter), `$x86v3` compiled with the BMI2 (flag-less variable shifts),
/// LZCNT and MOVBE instructions, so only to be called on CPUs that have
/// them; with `$dispatch =>`, also `$dispatch`, which calls the variant the
/// CPU can run.
macro_rules! cpu_variants {
    (
        $(#[$attr:meta])*
        $dispatch:ident => $plain:ident, $x86v3:ident =
            $body:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
    ) => {
        $(#[$attr])*
        #[inline(never)]
        fn $dispatch<B: Bits>($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("bmi2")
                && std::is_x86_feature_detected!("lzcnt")
                && std::is_x86_feature_detected!("movbe")
            {
                // SAFETY: the CPU has the features `$x86v3` is compiled
                // for, as just checked.
                return unsafe { $x86v3($($arg),*) };
            }
            $plain($($arg),*)
        }

        cpu_variants!($plain, $x86v3 = $body($($arg: $ty),*) -> $ret);
    };
    (
        $(#[$attr:meta])*
        $plain:ident, $x86v3:ident = $body:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
    ) => {
        $(#[$attr])*
        #[inline(never)]
        fn $plain<B: Bits>($($arg: $ty),*) -> $ret {
            $body::<B, false>($($arg),*)
        }

        $(#[$attr])*
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "bmi1,bmi2,lzcnt,movbe")]
        #[inline(never)]
        fn $x86v3<B: Bits>($($arg: $ty),*) -> $ret {
            $body::<B, true>($($arg),*)
        }
    };
}

cpu_variants!(
    /// The hot loop: decodes samples `1..n` (`n >= 2`) of `chunk`, whose
    /// bits `src` reads, starting at bit `pos` (sample 1, byte-aligned)
    /// with the state `st` after sample 0, into `out_t` / `out_v` (both at
    /// least `n + RUN` long).
    ///
    /// Returns the bit position after the last sample, or `None` on a
    /// corrupt varint or XOR window. Bits past the end of the chunk are
    /// garbage (zeros from [`Source`], possibly stale bytes from
    /// [`Padded`]) that the loop may read but only ever consumes for
    /// truncated chunks, so the caller detects truncation by checking that
    /// position against the chunk length.
    decode_rest => decode_rest_plain, decode_rest_x86v3 = decode_rest_body(
        chunk: &[u8],
        src: &B,
        pos: usize,
        st: State,
        n: usize,
        out_t: &mut [MaybeUninit<i64>],
        out_v: &mut [MaybeUninit<f64>],
    ) -> Option<usize>
);

cpu_variants!(
    /// [`decode_units_body`] for [`decode_rest_body`]. Cold, although hot
    /// for counters: the main loop then keeps its registers across the call
    /// (spilling around it) instead of giving them up to the values the
    /// call needs kept, which costs gauges and random values several
    /// percent.
    #[cold]
    decode_units, decode_units_x86v3 = decode_units_body(
        src: &B,
        n: usize,
        cur: &mut Cursor,
        out_t: &mut [MaybeUninit<i64>],
        out_v: &mut [MaybeUninit<f64>],
    ) -> Option<()>
);

/// Position and decoder state of the hot loop, passed between
/// [`decode_rest_body`] and [`decode_units_body`].
#[derive(Clone, Copy)]
struct Cursor {
    /// Bit position of sample `i`.
    pos: usize,
    /// Index of the next sample to decode.
    i: usize,
    t: i64,
    t_delta: u64,
    v_bits: u64,
    win: Window,
}

/// Widest XOR window (significant bits) with which [`decode_rest_body`]
/// hands runs of unchanged samples to [`decode_units_body`]: counters'
/// windows are narrow, gauges' wide (and their runs rare and short).
const UNITS_MAX_MBITS: u32 = 40;

/// Writes the samples `i..i + k` of a run of `k <= RUN` unchanged samples
/// (value `v`) after the sample at time `t`: RUN / 2 unconditionally (the
/// slack of the output absorbs the excess, later samples overwrite it), the
/// other half only when needed (most runs are short). `None` if the output
/// is shorter than `i + RUN` (never for the hot loop's callers).
#[inline(always)]
fn write_run(
    out_t: &mut [MaybeUninit<i64>],
    out_v: &mut [MaybeUninit<f64>],
    i: usize,
    k: usize,
    t: i64,
    t_delta: u64,
    v: f64,
) -> Option<()> {
    let (Some(dt), Some(dv)) = (out_t.get_mut(i..i + RUN), out_v.get_mut(i..i + RUN)) else {
        return None;
    };
    let (dt, dt2) = dt.split_at_mut(RUN / 2);
    let (dv, dv2) = dv.split_at_mut(RUN / 2);
    let mut tt = t;
    for (dt, dv) in dt.iter_mut().zip(dv.iter_mut()) {
        tt = tt.wrapping_add(t_delta as i64);
        dt.write(tt);
        dv.write(v);
    }
    if k > RUN / 2 {
        for (dt, dv) in dt2.iter_mut().zip(dv2.iter_mut()) {
            tt = tt.wrapping_add(t_delta as i64);
            dt.write(tt);
            dv.write(v);
        }
    }
    Some(())
}

/// The body of [`decode_rest`], inlined into each of its variants.
#[inline(always)]
fn decode_rest_body<B: Bits, const X86V3: bool>(
    chunk: &[u8],
    src: &B,
    pos: usize,
    st: State,
    n: usize,
    out_t: &mut [MaybeUninit<i64>],
    out_v: &mut [MaybeUninit<f64>],
) -> Option<usize> {
    let out_t = out_t.get_mut(..n + RUN)?;
    let out_v = out_v.get_mut(..n + RUN)?;
    // Sample 1: varint timestamp delta, byte-aligned.
    let mut st = st;
    let mut pos = read_second(chunk, src, &mut st, pos).ok()?;
    out_t.get_mut(1)?.write(st.t);
    out_v.get_mut(1)?.write(f64::from_bits(st.v_bits));
    // Locals, so that the state lives in registers.
    let State {
        mut t,
        mut t_delta,
        mut v_bits,
        trailing,
        mbits,
    } = st;
    let mut win = Window::new(trailing, mbits);
    let mut i = 2;
    while i < n {
        let o = (pos & 7) as u32;
        let raw = src.load8(pos >> 3);
        let c = raw << o;
        let ctrl = c >> 61;
        if ctrl == win.fast {
            // dod 0, `10`: the value changes within the current window,
            // which is narrow enough for the payload to be in `raw`. The
            // most common case of gauges. Up to 4 such samples before going
            // back to the dispatch: fewer taken branches per sample (the
            // loop is front-end bound).
            let (mut raw, mut o) = (raw, o);
            let mut left = 4;
            loop {
                t = t.wrapping_add(t_delta as i64);
                v_bits ^= raw.rotate_left(win.rot + o) & win.mask;
                pos += win.adv;
                // SAFETY: `i < n` (by the loop condition for the first
                // sample, checked below for the others, `i` unchanged
                // since) and both slices are `n + RUN` long (sliced above).
                unsafe {
                    out_t.get_unchecked_mut(i).write(t);
                    out_v.get_unchecked_mut(i).write(f64::from_bits(v_bits));
                }
                i += 1;
                left -= 1;
                if left == 0 || i >= n {
                    break;
                }
                o = (pos & 7) as u32;
                raw = src.load8(pos >> 3);
                if (raw << o) >> 61 != win.fast {
                    break;
                }
            }
            continue;
        } else if ctrl == 0b011 {
            // dod 0, `11`: new window.
            t = t.wrapping_add(t_delta as i64);
            let leading = ((c >> 56) & 31) as u32;
            let sig = ((c >> 50).wrapping_sub(1) & 63) as u32 + 1;
            if leading + sig > 64 {
                return None;
            }
            win = Window::new(64 - leading - sig, sig);
            let q = pos + 14;
            let bits = if sig <= 57 {
                (src.load8(q >> 3) << (q & 7)) >> (64 - sig)
            } else {
                bits64_at(src.window(q), 0) >> (64 - sig)
            };
            v_bits ^= bits << (64 - leading - sig);
            pos = q + sig as usize;
        } else if ctrl < 0b010 {
            // dod 0, value unchanged: a run of `00` pairs. Count them (at
            // most RUN, which only looks at the 57 valid bits of the load).
            let k = ((c.leading_zeros() >> 1) as usize).min(RUN).min(n - i);
            if k >= 2 && win.mbits() <= UNITS_MAX_MBITS {
                // Counters: their own loop, out of line.
                let mut cur = Cursor {
                    pos,
                    i,
                    t,
                    t_delta,
                    v_bits,
                    win,
                };
                #[cfg(target_arch = "x86_64")]
                if X86V3 {
                    // SAFETY: `X86V3` is true only in `decode_rest_x86v3`,
                    // which runs only on CPUs with the features
                    // `decode_units_x86v3` is compiled for.
                    unsafe { decode_units_x86v3(src, n, &mut cur, out_t, out_v)? };
                } else {
                    decode_units(src, n, &mut cur, out_t, out_v)?;
                }
                #[cfg(not(target_arch = "x86_64"))]
                decode_units(src, n, &mut cur, out_t, out_v)?;
                Cursor {
                    pos,
                    i,
                    t,
                    v_bits,
                    win,
                    ..
                } = cur;
                continue;
            }
            write_run(out_t, out_v, i, k, t, t_delta, f64::from_bits(v_bits))?;
            t = t.wrapping_add(t_delta.wrapping_mul(k as u64) as i64);
            pos += 2 * k;
            i += k;
            // The run is usually followed by a `010` whose payload is
            // still in `raw`; decode it right away.
            let skip = o + 2 * k as u32;
            if i < n && ((raw << skip) >> 61) == 0b010 && skip + win.adv as u32 <= 64 {
                t = t.wrapping_add(t_delta as i64);
                v_bits ^= raw.rotate_left(win.rot + skip) & win.mask;
                pos += win.adv;
                out_t[i].write(t);
                out_v[i].write(f64::from_bits(v_bits));
                i += 1;
            }
            continue;
        } else if ctrl == 0b010 {
            // dod 0, `10` with a wide window.
            t = t.wrapping_add(t_delta as i64);
            let bits = bits64_at(src.window(pos), 3) >> (64 - win.mbits());
            v_bits ^= bits << win.trailing();
            pos += win.adv;
        } else {
            // Non-zero dod, then any value encoding.
            let (dod, l) = read_dod(src.window(pos));
            t_delta = t_delta.wrapping_add(dod as u64);
            t = t.wrapping_add(t_delta as i64);
            pos += l;
            let mut s = State {
                t,
                t_delta,
                v_bits,
                trailing: win.trailing(),
                mbits: win.mbits(),
            };
            read_value(src.window(pos), &mut pos, &mut s).ok()?;
            v_bits = s.v_bits;
            if (s.trailing, s.mbits) != (win.trailing(), win.mbits()) {
                win = Window::new(s.trailing, s.mbits);
            }
        }
        out_t[i].write(t);
        out_v[i].write(f64::from_bits(v_bits));
        i += 1;
    }
    Some(pos)
}

/// The loop for counters: decodes units of a run of unchanged samples
/// (`00` pairs, possibly none) and the `01` value change that ends it, from
/// `cur` on (`cur.i < n`, a sample with dod 0 and an unchanged value) into
/// `out_t` / `out_v` (at least `n + RUN` long), until the end of the chunk
/// or a sample it leaves to [`decode_rest_body`]; `None` on a corrupt XOR
/// window.
///
/// Each unit's length depends on its bits, so with a load at the current
/// position per unit (as in [`decode_rest_body`]) the load latency is on
/// the dependency chain through the position, unit after unit. This loop
/// reads a bit buffer instead: `buf` holds the stream from the current
/// position on, left-aligned; its top `cnt` bits are valid and end at byte
/// `ptr`, the bits below are zero or the stream's next bits (so refills can
/// OR bytes over them). A refill loads from `ptr`, which the previous
/// refill set, so the load can start a unit ahead.
#[inline(always)]
fn decode_units_body<B: Bits, const X86V3: bool>(
    src: &B,
    n: usize,
    cur: &mut Cursor,
    out_t: &mut [MaybeUninit<i64>],
    out_v: &mut [MaybeUninit<f64>],
) -> Option<()> {
    let out_t = out_t.get_mut(..n + RUN)?;
    let out_v = out_v.get_mut(..n + RUN)?;
    let Cursor {
        pos,
        mut i,
        mut t,
        t_delta,
        mut v_bits,
        mut win,
    } = *cur;
    let o = (pos & 7) as u32;
    let mut buf = src.load8(pos >> 3) << o;
    let mut ptr = (pos >> 3) + 7;
    let mut cnt = 56 - o;
    // Changes in a row without a run between them.
    let mut empty = 0u32;
    loop {
        // cnt >= 49 (entry or refill): the 32 bits a run can take are
        // valid. Count the `00` pairs, at most RUN.
        let k = (((buf | 1 << 31).leading_zeros() >> 1) as usize).min(n - i);
        write_run(out_t, out_v, i, k, t, t_delta, f64::from_bits(v_bits))?;
        t = t.wrapping_add(t_delta.wrapping_mul(k as u64) as i64);
        i += k;
        let used = 2 * k as u32;
        let h = buf << used;
        // Unless the chunk ends, the run of RUN samples goes on or a
        // timestamp change follows, the run ends with a `01` value change
        // (whose 14 bits of control and window are valid: cnt - used >=
        // 17).
        if i >= n || h >> 62 != 0b01 {
            if i < n && h >> 62 == 0 {
                buf = h;
                cnt -= used;
            } else {
                cur.pos = 8 * ptr - cnt as usize + used as usize;
                break;
            }
        } else {
            t = t.wrapping_add(t_delta as i64);
            let (need, bits) = if h & (1 << 61) == 0 {
                // `10`: reuse the window.
                (used + win.adv as u32, h.rotate_left(win.rot) & win.mask)
            } else {
                // `11`: new window.
                let leading = ((h >> 56) & 31) as u32;
                let sig = ((h >> 50).wrapping_sub(1) & 63) as u32 + 1;
                if leading + sig > 64 {
                    return None;
                }
                let trailing = 64 - leading - sig;
                win = Window::new(trailing, sig);
                (used + 14 + sig, ((h << 14) >> (64 - sig)) << trailing)
            };
            if need <= cnt {
                v_bits ^= bits;
                // need - used <= cnt - used <= 56.
                buf = h << (need - used);
                cnt -= need;
            } else {
                // A wide window: the payload (the window's last bits
                // before position `q`) is past the buffer.
                let q = 8 * ptr - cnt as usize + need as usize;
                let mbits = win.mbits();
                v_bits ^= (bits64_at(src.window(q - mbits as usize), 0) >> (64 - mbits))
                    << win.trailing();
                let o = (q & 7) as u32;
                buf = src.load8(q >> 3) << o;
                ptr = (q >> 3) + 7;
                cnt = 56 - o;
            }
            // SAFETY: `i < n` (checked above) and both slices are
            // `n + RUN` long (sliced above).
            unsafe {
                out_t.get_unchecked_mut(i).write(t);
                out_v.get_unchecked_mut(i).write(f64::from_bits(v_bits));
            }
            i += 1;
            // Back to the main loop after 4 changes in a row without a
            // run between them (the main loop is faster for those) and on
            // a wide window.
            empty = (empty + 1) * u32::from(k == 0);
            if i >= n || empty >= 4 || win.mbits() > UNITS_MAX_MBITS {
                cur.pos = 8 * ptr - cnt as usize;
                break;
            }
        }
        // Refill to cnt >= 56 (cnt <= 56 here).
        buf |= src.load8(ptr) >> cnt;
        ptr += ((63 - cnt) >> 3) as usize;
        cnt |= 56;
        // Back to the main loop on a timestamp change.
        if buf >> 63 != 0 {
            cur.pos = 8 * ptr - cnt as usize;
            break;
        }
    }
    cur.i = i;
    cur.t = t;
    cur.v_bits = v_bits;
    cur.win = win;
    Some(())
}

/// Samples written at once for a run of unchanged samples; the slack the
/// output vectors get past the chunk's samples while decoding.
const RUN: usize = 16;

/// Finds the precise error of a chunk the fast decoder rejected, by decoding
/// it again sample by sample.
#[cold]
#[inline(never)]
fn locate_error(chunk: &[u8]) -> ChunkError {
    match XorIter::new(chunk) {
        Ok(mut it) => loop {
            match it.next_sample() {
                Ok(Some(_)) => {}
                Err(e) => break e,
                // Unreachable: both decoders read the same bits the same way.
                Ok(None) => {
                    break ChunkError::Truncated {
                        sample: it.num_samples(),
                        bit_offset: it.pos as u64,
                        len: chunk.len(),
                    }
                }
            }
        },
        Err(e) => e,
    }
}

/// Streaming decoder of an XOR chunk.
///
/// Use [`XorIter::next_sample`], or iterate it as an [`Iterator`] of
/// `Result<(i64, f64), ChunkError>` (which stops after the first error).
pub struct XorIter<'a> {
    src: Source<'a>,
    total: u16,
    read: u16,
    pos: usize,
    st: State,
    err: Option<ChunkError>,
}

impl<'a> XorIter<'a> {
    /// Starts decoding `chunk` (the full chunk bytes, count header included).
    ///
    /// Fails only if the chunk is shorter than its 2-byte header; corruption
    /// further on is reported by [`XorIter::next_sample`].
    pub fn new(chunk: &'a [u8]) -> Result<Self, ChunkError> {
        let total = read_count(chunk)?;
        Ok(XorIter {
            src: Source::new(chunk),
            total,
            read: 0,
            pos: HEADER_LEN * 8,
            st: State {
                t: 0,
                t_delta: 0,
                v_bits: 0,
                trailing: 0,
                mbits: 64,
            },
            err: None,
        })
    }

    /// Number of samples the chunk header announces.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.total
    }

    /// Decodes the next sample: `Ok(None)` after the last one, `Err` on
    /// truncated or corrupt data (and the same error again on every later
    /// call). Never panics, whatever the input.
    #[inline]
    pub fn next_sample(&mut self) -> Result<Option<(i64, f64)>, ChunkError> {
        if self.read == self.total {
            return Ok(None);
        }
        if let Some(e) = &self.err {
            return Err(e.clone());
        }
        let start = self.pos;
        let res = match self.read {
            0 => read_first(self.src.data()).map(|(st, p)| {
                self.st = st;
                self.pos = p;
            }),
            1 => read_second(self.src.data(), &self.src, &mut self.st, start).and_then(|p| {
                self.pos = p;
                if p > self.src.bit_len() {
                    Err(Fault::Truncated)
                } else {
                    Ok(())
                }
            }),
            _ => read_next(&self.src, &mut self.pos, &mut self.st).and_then(|()| {
                if self.pos > self.src.bit_len() {
                    Err(Fault::Truncated)
                } else {
                    Ok(())
                }
            }),
        };
        match res {
            Ok(()) => {
                self.read += 1;
                Ok(Some((self.st.t, f64::from_bits(self.st.v_bits))))
            }
            Err(f) => {
                let e = f.into_error(self.read, start, self.src.data().len());
                self.err = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl Iterator for XorIter<'_> {
    type Item = Result<(i64, f64), ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.err.is_some() {
            return None;
        }
        self.next_sample().transpose()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.err.is_some() {
            (0, Some(0))
        } else {
            (0, Some(usize::from(self.total - self.read)))
        }
    }
}
