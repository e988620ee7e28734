//! The common section frame: `len <4b> | len bytes | CRC32C <4b>`.

use bytes::Bytes;

use crate::encoding::{verify_crc, Decbuf};
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
    let body = buf.slice(4..4 + len);
    let stored = u32::from_be_bytes([buf[4 + len], buf[5 + len], buf[6 + len], buf[7 + len]]);
    verify_crc(&body, stored, offset + 4 + len as u64)?;
    Ok(body)
}
