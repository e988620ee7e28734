//! DELTA_BINARY_PACKED streams (parquet Encodings.md) read only as far as the guard needs:
//! the header's value count, and a whole stream's length without decoding its values.

use parquet::errors::ParquetError;

use super::bad;
use super::compact::Compact;

/// Reads the DELTA_BINARY_PACKED header at the start of `buf` and checks it: its value
/// count, which must be at most `max`.
pub(super) fn delta_count(buf: &[u8], max: u64) -> Result<u64, ParquetError> {
    let (_, _, count) = delta_header(&mut Compact::new(buf), max)?;
    Ok(count)
}

/// A checked DELTA_BINARY_PACKED header: values per miniblock, miniblocks per block, count.
fn delta_header(r: &mut Compact<'_>, max: u64) -> Result<(u64, u64, u64), ParquetError> {
    let block = r.varint()?;
    let minis = r.varint()?;
    let count = r.varint()?;
    r.varint()?; // first value, zigzag
    if block == 0 || block % 128 != 0 || minis == 0 || block % minis != 0 {
        return Err(bad(format!("delta block of {block} in {minis} miniblocks")));
    }
    let per_mini = block / minis;
    if per_mini % 32 != 0 {
        return Err(bad(format!("delta miniblock of {per_mini} values")));
    }
    if count > max {
        return Err(bad(format!(
            "delta header of {count} values in a page of {max}"
        )));
    }
    Ok((per_mini, minis, count))
}

/// Walks a whole DELTA_BINARY_PACKED stream without decoding it: its value count (at most
/// `max`) and its length in bytes.
pub(super) fn delta_stream(buf: &[u8], max: u64) -> Result<(u64, usize), ParquetError> {
    let mut r = Compact::new(buf);
    let (per_mini, minis, count) = delta_header(&mut r, max)?;
    let mut left = count.saturating_sub(1);
    while left > 0 {
        r.varint()?; // min delta, zigzag
        let widths_at = r.pos;
        let minis_len = usize::try_from(minis).map_err(|_| bad("miniblock count"))?;
        r.pos = widths_at
            .checked_add(minis_len)
            .filter(|p| *p <= buf.len())
            .ok_or_else(|| bad("delta bit widths beyond the page"))?;
        for &width in &buf[widths_at..r.pos] {
            if left == 0 {
                break;
            }
            if width > 64 {
                return Err(bad(format!("delta bit width {width}")));
            }
            let bytes = per_mini
                .checked_mul(u64::from(width))
                .and_then(|b| usize::try_from(b / 8).ok())
                .ok_or_else(|| bad("miniblock size"))?;
            r.pos = r
                .pos
                .checked_add(bytes)
                .ok_or_else(|| bad("miniblock beyond the page"))?;
            left = left.saturating_sub(per_mini);
        }
    }
    if r.pos > buf.len() {
        return Err(bad("delta miniblocks beyond the page"));
    }
    Ok((count, r.pos))
}
