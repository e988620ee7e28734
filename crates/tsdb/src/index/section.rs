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
    let len = d.be32()?;
    let total = section_len_at(len);
    if (buf.len() as u64) < total {
        return Err(CorruptAt::new(
            offset,
            Corruption::Truncated {
                needed: total,
                available: buf.len() as u64,
            },
        ));
    }
    // `total` fits in `buf`, so the body's end does too.
    let end = 4 + len as usize;
    verify_crc_after(buf, 4, end, offset)?;
    Ok(buf.slice(4..end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_field_past_the_data_is_truncation() {
        let buf = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
        let err = decode_section(&buf, 40).unwrap_err();
        assert_eq!(err.offset, 40);
        assert_eq!(
            err.kind,
            Corruption::Truncated {
                needed: 8 + u64::from(u32::MAX),
                available: 7
            }
        );
        assert!(decode_section(&Bytes::from_static(&[0, 0]), 0).is_err());
    }
}
