//! MSB-first bit stream primitives shared by the chunk codecs.
//!
//! The writer keeps the whole chunk (header included) in one `Vec<u8>` so the
//! encoded bytes are valid after every write; the reader works on windows
//! loaded with unaligned big-endian loads instead of bit-by-bit.

use std::cell::RefCell;

/// Bytes of zeroed slack the writer keeps from the current byte on, so a
/// write of up to 64 bits is one unaligned 8-byte store plus one byte.
const WRITER_SLACK: usize = 9;

/// Append-only MSB-first bit writer.
///
/// Invariant: every bit at or after `bits` in `buf` is zero, and
/// `buf.len() >= bits / 8 + WRITER_SLACK`; so the bytes up to the current
/// bit are always a valid zero-padded stream.
#[derive(Clone, Debug)]
pub(crate) struct BitWriter {
    buf: Vec<u8>,
    bits: usize,
    /// Copy of the 8 bytes of `buf` starting at byte `bits / 8`, so that
    /// writes never read `buf` back (a load overlapping the previous,
    /// differently aligned store would stall on store forwarding).
    cur: u64,
    /// Whether the written bytes end with an extra zero byte (see
    /// [`BitWriter::set_go_pad`]).
    go_pad: bool,
}

impl BitWriter {
    /// A writer whose first `header_bytes` bytes are zero and reserved for
    /// the caller (see [`BitWriter::header_mut`]); the bit stream starts
    /// after them.
    pub(crate) fn with_header(header_bytes: usize, capacity: usize) -> Self {
        let len = (header_bytes + WRITER_SLACK).max(capacity);
        BitWriter {
            buf: vec![0; len],
            bits: header_bytes * 8,
            cur: 0,
            go_pad: false,
        }
    }

    /// The header bytes reserved at construction (and anything after them).
    #[inline]
    pub(crate) fn header_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Number of bytes of the stream as Go's `bstream` would hold them.
    #[inline(always)]
    fn byte_len(&self) -> usize {
        self.bits.div_ceil(8) + usize::from(self.go_pad)
    }

    /// Reproduces a quirk of Go's `bstream` (Prometheus before 3.0): its
    /// `writeByte` always appends a byte, so when a `writeBits` of a
    /// multiple of 8 bits leaves the stream byte-aligned, the stream ends
    /// with an extra, empty byte (which the next write fills). The caller
    /// says after each sample whether its last write was such a `writeBits`;
    /// the padding byte is included in the bytes only if the stream is
    /// byte-aligned.
    #[inline(always)]
    pub(crate) fn set_go_pad(&mut self, last_write_whole_bytes: bool) {
        self.go_pad = last_write_whole_bytes && self.bits & 7 == 0;
    }

    /// All bytes written so far, the final partial byte zero-padded.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        // The slack after the written bits is zero and at least 9 bytes.
        &self.buf[..self.byte_len()]
    }

    /// Consumes the writer, returning the bytes written so far.
    pub(crate) fn into_bytes(mut self) -> Vec<u8> {
        self.buf.truncate(self.byte_len());
        self.buf
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, min_len: usize) {
        let new_len = min_len.max(self.buf.len() * 2);
        self.buf.resize(new_len, 0);
    }

    /// Writes the low `n` bits of `v`, most significant first.
    ///
    /// Requires `1 <= n <= 64` and `v < 2^n` (no bits above `n`).
    #[inline(always)]
    pub(crate) fn write_bits(&mut self, v: u64, n: u32) {
        debug_assert!((1..=64).contains(&n));
        debug_assert!(n == 64 || v >> n == 0);
        let i = self.bits >> 3;
        let o = (self.bits & 7) as u32;
        if self.buf.len() < i + WRITER_SLACK {
            self.grow(i + WRITER_SLACK);
        }
        // The bytes from byte `i` after the write, as `hi` (8 bytes) and
        // `lo` (what spills past them, when o + n > 64): the current
        // partial byte (in `cur`), then `v` left-aligned after its `o` used
        // bits.
        let aligned = v << (64 - n);
        let hi = self.cur | (aligned >> o);
        let lo = (aligned << 1) << (63 - o);
        let word: &mut [u8; WRITER_SLACK] = (&mut self.buf[i..i + WRITER_SLACK])
            .try_into()
            .expect("slice of WRITER_SLACK bytes");
        let (head, spill) = word.split_at_mut(8);
        head.copy_from_slice(&hi.to_be_bytes());
        // Zero (as the slack already is) unless o + n > 64.
        spill[0] = (lo >> 56) as u8;
        // Advance, keeping `cur` in step: drop the completed bytes.
        self.cur = if o + n >= 64 {
            lo
        } else {
            hi << (8 * ((o + n) >> 3))
        };
        self.bits += n as usize;
    }

    /// Writes `a` (`an` bits) followed by `b` (`bn` bits), as one write when
    /// they fit in 64 bits. Requires `an >= 1` and `1 <= bn <= 64`.
    #[inline(always)]
    pub(crate) fn write_bits2(&mut self, a: u64, an: u32, b: u64, bn: u32) {
        if an + bn <= 64 {
            // bn < 64 here because an >= 1.
            self.write_bits((a << bn) | b, an + bn);
        } else {
            self.write_bits(a, an);
            self.write_bits(b, bn);
        }
    }
}

/// Random access to the bits of a chunk, big-endian, for the decoders.
pub(crate) trait Bits {
    /// 64 bits starting at byte `byte`.
    fn load8(&self, byte: usize) -> u64;
    /// A window of at least 121 valid bits starting at bit `pos`,
    /// left-aligned (the bit at `pos` is bit 127).
    fn window(&self, pos: usize) -> u128;
}

/// Capacity of [`Padded`]: chunks up to this many bytes are decoded from a
/// padded copy.
pub(crate) const PADDED_CAP: usize = 2048;

/// A copy of a small chunk in a fixed-size buffer. Loads mask their index
/// into the buffer, so they need no bounds checks: positions past the
/// capacity wrap around.
///
/// The buffer is reused between chunks (one per thread) and only the 16
/// bytes after the copied chunk are cleared, so bytes further on may hold
/// data of earlier chunks. Decoders must therefore only trust bits they
/// consume before the end of the chunk, and reject the chunk if their final
/// position is past it; reading a few stale bits to speculate (and then
/// discarding the result) is fine.
pub(crate) struct Padded {
    buf: [u8; PADDED_CAP + 16],
}

thread_local! {
    static PADDED: RefCell<Padded> = const {
        RefCell::new(Padded {
            buf: [0; PADDED_CAP + 16],
        })
    };
}

impl Padded {
    /// Runs `f` on a copy of `data` in this thread's buffer; `None` if
    /// `data` is longer than [`PADDED_CAP`] or the buffer is unavailable
    /// (in use further up the stack, or the thread is exiting).
    #[inline]
    pub(crate) fn with<R>(data: &[u8], f: impl FnOnce(&Padded) -> R) -> Option<R> {
        if data.len() > PADDED_CAP {
            return None;
        }
        PADDED
            .try_with(|cell| {
                let mut p = cell.try_borrow_mut().ok()?;
                p.buf[..data.len()].copy_from_slice(data);
                p.buf[data.len()..data.len() + 16].fill(0);
                Some(f(&p))
            })
            .ok()
            .flatten()
    }
}

impl Bits for Padded {
    #[inline(always)]
    fn load8(&self, byte: usize) -> u64 {
        let i = byte & (PADDED_CAP - 1);
        u64::from_be_bytes(self.buf[i..i + 8].try_into().expect("8 bytes"))
    }

    #[inline(always)]
    fn window(&self, pos: usize) -> u128 {
        let i = (pos >> 3) & (PADDED_CAP - 1);
        u128::from_be_bytes(self.buf[i..i + 16].try_into().expect("16 bytes")) << (pos & 7)
    }
}

impl Bits for Source<'_> {
    #[inline(always)]
    fn load8(&self, byte: usize) -> u64 {
        Source::load8(self, byte)
    }

    #[inline(always)]
    fn window(&self, pos: usize) -> u128 {
        Source::window(self, pos)
    }
}

/// Read side of a bit stream: the chunk bytes plus a zero-padded copy of
/// their last 16 bytes, so that 16-byte windows can be loaded at any byte
/// position without a per-byte slow path near the end.
///
/// Bits past the end of the data read as zero; decoders must compare their
/// position against [`Source::bit_len`] to detect truncation.
pub(crate) struct Source<'a> {
    data: &'a [u8],
    tail: [u8; 32],
    tail_start: usize,
}

impl<'a> Source<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        let tail_start = data.len().saturating_sub(16);
        let mut tail = [0u8; 32];
        tail[..data.len() - tail_start].copy_from_slice(&data[tail_start..]);
        Source {
            data,
            tail,
            tail_start,
        }
    }

    /// Number of bits in the data.
    #[inline(always)]
    pub(crate) fn bit_len(&self) -> usize {
        self.data.len().saturating_mul(8)
    }

    /// The underlying bytes.
    #[inline(always)]
    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// 64 bits starting at byte `byte`, big-endian (zero past the end).
    #[inline(always)]
    pub(crate) fn load8(&self, byte: usize) -> u64 {
        match self.data.get(byte..byte + 8) {
            Some(s) => u64::from_be_bytes(s.try_into().expect("8 bytes")),
            None => {
                // As in `load16_tail`: byte >= tail_start here.
                let j = byte.wrapping_sub(self.tail_start);
                match self.tail.get(j..j + 8) {
                    Some(s) => u64::from_be_bytes(s.try_into().expect("8 bytes")),
                    None => 0,
                }
            }
        }
    }

    /// 128 bits starting at byte `byte`, big-endian (zero past the end).
    #[inline(always)]
    fn load16(&self, byte: usize) -> u128 {
        match self.data.get(byte..byte + 16) {
            Some(s) => u128::from_be_bytes(s.try_into().expect("16 bytes")),
            None => self.load16_tail(byte),
        }
    }

    #[inline(always)]
    fn load16_tail(&self, byte: usize) -> u128 {
        // byte + 16 > len, so byte > tail_start unless len < 16 (then
        // tail_start == 0 <= byte); either way byte >= tail_start.
        let j = byte.wrapping_sub(self.tail_start);
        match self.tail.get(j..j + 16) {
            Some(s) => u128::from_be_bytes(s.try_into().expect("16 bytes")),
            None => 0,
        }
    }

    /// A window of at least 121 valid bits starting at bit `pos`,
    /// left-aligned (the bit at `pos` is bit 127).
    #[inline(always)]
    pub(crate) fn window(&self, pos: usize) -> u128 {
        self.load16(pos >> 3) << (pos & 7)
    }
}
