//! Postings lists (sorted series IDs) and the set operations matchers need.

use bytes::Bytes;

use crate::encoding::Decbuf;
use crate::error::{CorruptAt, Corruption};

/// Decodes a postings list from its section body (`#entries <4b>` then 4-byte IDs).
pub fn decode_postings(body: &Bytes, base: u64) -> Result<Vec<u32>, CorruptAt> {
    let mut d = Decbuf::new(body, base);
    let n = d.be32()? as usize;
    if Some(d.remaining()) != n.checked_mul(4) {
        return Err(d.error(Corruption::Invalid(format!(
            "postings list announces {n} entries but holds {} bytes",
            d.remaining()
        ))));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(d.be32()?);
    }
    if out.windows(2).any(|w| w[0] >= w[1]) {
        return Err(CorruptAt::new(
            base,
            Corruption::Invalid("postings list is not sorted".into()),
        ));
    }
    Ok(out)
}

/// Intersection of two sorted lists.
pub fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    // Galloping through the larger list when sizes differ a lot.
    if large.len() > small.len() * 16 {
        let mut rest = large;
        for &x in small {
            match rest.binary_search(&x) {
                Ok(i) => {
                    out.push(x);
                    rest = &rest[i + 1..];
                }
                Err(i) => rest = &rest[i..],
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while i < small.len() && j < large.len() {
        match small[i].cmp(&large[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(small[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Elements of `a` not in `b` (both sorted).
pub fn subtract(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if j >= b.len() || b[j] != x {
            out.push(x);
        }
    }
    out
}

/// Union of many sorted lists, sorted and deduplicated: merged pairwise, so
/// each level of the merge tree is linear.
pub fn union(lists: Vec<Vec<u32>>) -> Vec<u32> {
    let mut level: Vec<Vec<u32>> = lists.into_iter().filter(|l| !l.is_empty()).collect();
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            match it.next() {
                Some(b) => next.push(merge_two(&a, &b)),
                None => next.push(a),
            }
        }
        level = next;
    }
    level.pop().unwrap_or_default()
}

fn merge_two(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        let big: Vec<u32> = (0..1000).collect();
        assert_eq!(intersect(&[5, 999, 2000], &big), vec![5, 999]);
        assert_eq!(subtract(&[1, 2, 3, 4], &[2, 4, 9]), vec![1, 3]);
        assert_eq!(union(vec![vec![1, 5], vec![2, 5], vec![]]), vec![1, 2, 5]);
        assert_eq!(
            union(vec![vec![9], vec![1, 3], vec![3, 4], vec![0, 9]]),
            vec![0, 1, 3, 4, 9]
        );
        assert!(union(vec![]).is_empty());
    }

    #[test]
    fn unsorted_or_short_postings_are_corrupt() {
        let body = Bytes::from_static(&[0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 1]);
        assert!(decode_postings(&body, 0).is_err());
        let body = Bytes::from_static(&[0, 0, 0, 2, 0, 0, 0, 5]);
        assert!(decode_postings(&body, 0).is_err());
    }
}
