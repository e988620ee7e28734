//! The chain merge (Thanos' `--deduplication.func=chain`): every replica's samples by
//! timestamp, one sample per timestamp.

/// Merges replicas' samples (each in time order) by timestamp; at a timestamp several
/// replicas share, the earliest replica in `replicas` gives the value.
pub fn merge_chain<V: Clone>(replicas: &[&[(i64, V)]]) -> Vec<(i64, V)> {
    match replicas {
        [] => return Vec::new(),
        [one] => return one.to_vec(),
        _ => {}
    }
    let total = replicas.iter().map(|r| r.len()).sum();
    let mut out: Vec<(i64, V)> = Vec::with_capacity(total);
    let mut next = vec![0usize; replicas.len()];
    loop {
        let mut best: Option<(i64, usize)> = None;
        for (i, r) in replicas.iter().enumerate() {
            if let Some(&(t, _)) = r.get(next[i]) {
                if best.is_none_or(|(bt, _)| t < bt) {
                    best = Some((t, i));
                }
            }
        }
        let Some((t, i)) = best else { break };
        out.push(replicas[i][next[i]].clone());
        for (n, r) in next.iter_mut().zip(replicas) {
            while r.get(*n).is_some_and(|s| s.0 <= t) {
                *n += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timestamp_once_first_replica_wins() {
        let a = [(0, 1.0), (10, 2.0), (30, 4.0)];
        let b = [(5, 9.0), (10, 9.0), (20, 9.0)];
        assert_eq!(
            merge_chain(&[&a, &b]),
            vec![(0, 1.0), (5, 9.0), (10, 2.0), (20, 9.0), (30, 4.0)]
        );
        assert_eq!(merge_chain(&[&b, &a])[2], (10, 9.0));
        assert!(merge_chain::<f64>(&[]).is_empty());
        assert_eq!(merge_chain(&[&a]), a.to_vec());
    }
}
