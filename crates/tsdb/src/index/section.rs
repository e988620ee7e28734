//! The common section frame: `len <4b> | len bytes | CRC32C <4b>`.

use bytes::Bytes;

use crate::encoding::{verify_crc_after, Decbuf};
use crate::error::{CorruptAt, Corruption};

/// Total on-disk size of a section whose 4-byte length field is `len_field`.
pub fn section_len_at(len_field: u32) -> u64 {
    4 + u64::from(len_field) + 4
}

/// Given a whole framed section starting at file offset `offset`, checks its CRC
/// and returns the `len` bytes between the length field and the checksum.
pub fn decode_section(buf: &Bytes, offset: u64) -> Result<Bytes, CorruptAt> {
    let mut d = Decbuf::new(buf, offset);
    let len = d.be32()? as usize;
    if d.remaining() < len + 4 {
        return Err(CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: (len + 8) as u64,
                available: buf.len() as u64,
            },
        ));
    }
    verify_crc_after(buf, 4, 4 + len, offset)?;
    Ok(buf.slice(4..4 + len))
}
