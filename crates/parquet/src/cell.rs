//! The bytes of one chunk cell and of `s_col_indexes`, as parquet-common encodes them.
//!
//! A cell is a run of records `uvarint(encoding) | uvarint(min_time) | uvarint(max_time) |
//! uvarint(len) | len bytes of a Prometheus chunk` (timestamps as `u64` casts of the ms
//! values); `s_col_indexes` is a zigzag varint count followed by that many zigzag varint
//! column indexes. Every length read from a file is checked against what is left.

use bytes::Bytes;

use crate::error::{Error, Result};

/// One chunk in a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Prometheus chunk encoding (1 XOR, 2 histogram, 3 float histogram).
    pub encoding: u8,
    /// First sample's timestamp (ms).
    pub min_time: i64,
    /// Last sample's timestamp (ms).
    pub max_time: i64,
    /// The chunk bytes; empty for an absent aggregate part (a mnemos extension).
    pub data: Bytes,
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads an unsigned LEB128 value at `*at`, moving past it.
fn uvarint(buf: &[u8], at: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf
            .get(*at)
            .ok_or_else(|| Error::Cell(format!("varint runs past the end at byte {at}")))?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            if shift == 63 && b > 1 {
                break;
            }
            return Ok(v);
        }
    }
    Err(Error::Cell(format!(
        "varint overflows 64 bits before byte {at}"
    )))
}

fn varint(buf: &[u8], at: &mut usize) -> Result<i64> {
    let u = uvarint(buf, at)?;
    Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
}

/// Appends `records` to `out` in parquet-common's cell format.
pub fn encode_records(records: &[Record], out: &mut Vec<u8>) {
    for r in records {
        put_uvarint(out, u64::from(r.encoding));
        put_uvarint(out, r.min_time as u64);
        put_uvarint(out, r.max_time as u64);
        put_uvarint(out, r.data.len() as u64);
        out.extend_from_slice(&r.data);
    }
}

/// The records of a cell that may hold samples in `[mint, maxt]` (parquet-common's
/// `Decode`: records starting after `maxt` or ending before `mint` are skipped). The
/// records' data are slices of `cell`.
pub fn decode_records(cell: &Bytes, mint: i64, maxt: i64) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    decode_records_with(cell, |r| {
        if r.min_time <= maxt && r.max_time >= mint {
            out.push(r);
        }
    })?;
    Ok(out)
}

/// Every record of a cell, in order, whatever its time range.
pub fn decode_all_records(cell: &Bytes) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    decode_records_with(cell, |r| out.push(r))?;
    Ok(out)
}

fn decode_records_with(cell: &Bytes, mut each: impl FnMut(Record)) -> Result<()> {
    let mut at = 0usize;
    while at < cell.len() {
        let encoding = uvarint(cell, &mut at)?;
        let encoding = u8::try_from(encoding)
            .map_err(|_| Error::Cell(format!("chunk encoding {encoding} out of range")))?;
        let min_time = uvarint(cell, &mut at)? as i64;
        let max_time = uvarint(cell, &mut at)? as i64;
        let len = uvarint(cell, &mut at)?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(l))
            .filter(|e| *e <= cell.len())
            .ok_or_else(|| {
                Error::Cell(format!(
                    "chunk of {len} bytes at byte {at} runs past the cell's {} bytes",
                    cell.len()
                ))
            })?;
        each(Record {
            encoding,
            min_time,
            max_time,
            data: cell.slice(at..end),
        });
        at = end;
    }
    Ok(())
}

/// `s_col_indexes`: the sorted label-column indexes a row has values in.
pub fn encode_col_indexes(indexes: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(indexes.len() + 2);
    put_varint(&mut out, indexes.len() as i64);
    for &i in indexes {
        put_varint(&mut out, i as i64);
    }
    out
}

/// Reads `s_col_indexes`; a count larger than the bytes could hold is an error.
pub fn decode_col_indexes(buf: &[u8]) -> Result<Vec<usize>> {
    let mut at = 0;
    let n = varint(buf, &mut at)?;
    let n = usize::try_from(n)
        .ok()
        .filter(|n| *n <= buf.len())
        .ok_or_else(|| Error::Cell(format!("column index count {n} is impossible")))?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let i = varint(buf, &mut at)?;
        out.push(usize::try_from(i).map_err(|_| Error::Cell(format!("column index {i}")))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn col_indexes_match_parquet_common() {
        // parquet-common's EncodeIntSlice([0, 2, 5]).
        assert_eq!(encode_col_indexes(&[0, 2, 5]), vec![0x06, 0x00, 0x04, 0x0a]);
        assert_eq!(
            decode_col_indexes(&[0x06, 0x00, 0x04, 0x0a]).unwrap(),
            vec![0, 2, 5]
        );
        assert!(decode_col_indexes(&[0x7e]).is_err());
    }

    #[test]
    fn records_round_trip_and_filter_by_time() {
        let records = vec![
            Record {
                encoding: 1,
                min_time: 0,
                max_time: 99,
                data: Bytes::from_static(b"abc"),
            },
            Record {
                encoding: 3,
                min_time: 100,
                max_time: 1_700_000_000_000,
                data: Bytes::new(),
            },
        ];
        let mut buf = Vec::new();
        encode_records(&records, &mut buf);
        let cell = Bytes::from(buf);
        assert_eq!(decode_all_records(&cell).unwrap(), records);
        assert_eq!(decode_records(&cell, 150, 200).unwrap(), records[1..]);
        assert_eq!(decode_records(&cell, 0, 50).unwrap(), records[..1]);
    }

    #[test]
    fn truncated_cells_are_errors() {
        let mut buf = Vec::new();
        encode_records(
            &[Record {
                encoding: 1,
                min_time: 5,
                max_time: 6,
                data: Bytes::from_static(b"abcdef"),
            }],
            &mut buf,
        );
        for cut in 1..buf.len() {
            assert!(decode_all_records(&Bytes::copy_from_slice(&buf[..cut])).is_err());
        }
        assert!(decode_all_records(&Bytes::from_static(&[0xff; 11])).is_err());
    }
}
