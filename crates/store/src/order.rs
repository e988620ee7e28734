//! The order series leave a block in. Inside a block, series are in index order: sorted by
//! their own labels. The gateway sends them with the block's external labels set (they win
//! over a series' own label of the same name) and the request's `without_replica_labels`
//! removed, sorted by the labels it sends. [`LabelTransform`] computes those labels;
//! [`BlockOrder`] turns a block's series, taken in index order, into the order of the labels
//! sent.
//!
//! When no series of the block carries a label the transform sets or removes, adding the
//! external labels keeps the index order except in one case: a series `s` that is a proper
//! prefix of a later series `t` (same labels, then more) sorts after `t` once the labels are
//! added if an added label's name is greater than the name of `t`'s first extra label (for
//! `{a="1"}` and `{a="1", b="2"}` with external label `c`, `{a="1", c=…}` comes after
//! `{a="1", b="2", c=…}`). Such a series is held back until the series that sort before it
//! have passed: a stack of at most as many series as a series has labels. Otherwise (a
//! series of the block carries such a label: rare, since external labels are not stored in
//! blocks) the block's series entries are sorted as a whole.

use std::collections::VecDeque;
use std::sync::Arc;

use mnemos_tsdb::index::SeriesEntry;
use mnemos_tsdb::{Label, Labels};

/// Something with the labels it has in its block.
pub trait Labelled {
    /// The labels as stored in the block.
    fn labels(&self) -> &Labels;
}

impl Labelled for Labels {
    fn labels(&self) -> &Labels {
        self
    }
}

impl Labelled for SeriesEntry {
    fn labels(&self) -> &Labels {
        &self.labels
    }
}

/// The labels a block's series are sent with: the block's external labels set (they win
/// over a series' own label of the same name), the dropped labels removed, sorted.
#[derive(Clone, Debug, Default)]
pub struct LabelTransform {
    /// All external labels of the block.
    external: Labels,
    /// Names removed from every series (`without_replica_labels`).
    drop: Vec<String>,
}

impl LabelTransform {
    /// The transform for a block with `external` labels and a request dropping `drop`.
    pub fn new(external: &Labels, drop: &[String]) -> Self {
        Self {
            external: external.clone(),
            drop: drop.to_vec(),
        }
    }

    /// The labels a series with `series` labels is sent with.
    pub fn apply(&self, series: &Labels) -> Labels {
        let mut labels: Vec<Label> = series
            .iter()
            .filter(|l| self.external.get(&l.name).is_none())
            .cloned()
            .chain(self.external.iter().cloned())
            .filter(|l| !self.drop.contains(&l.name))
            .collect();
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        Labels::from_sorted(labels)
    }

    /// Whether a label named `name` in a series would be replaced or removed.
    fn touches(&self, name: &str) -> bool {
        self.external.get(name).is_some() || self.drop.iter().any(|d| d == name)
    }

    /// The greatest name among the labels added to every series, if any.
    fn greatest_added(&self) -> Option<&str> {
        self.external
            .iter()
            .rev()
            .map(|l| l.name.as_str())
            .find(|n| !self.drop.iter().any(|d| d == n))
    }
}

/// Whether `held` must stay behind `next` (both in index order, no label touched by the
/// transform): `held` is a proper prefix of `next` and an added label sorts after `next`'s
/// first extra label, so `next` sorts first once the labels are added.
fn stays_behind(held: &Labels, next: &Labels, greatest_added: &str) -> bool {
    let (h, n) = (held.as_slice(), next.as_slice());
    h.len() < n.len() && n[..h.len()] == *h && n[h.len()].name.as_str() < greatest_added
}

enum Mode<T> {
    /// Index order, prefix series held back while the series sorting before them pass.
    Prefix {
        greatest_added: Option<String>,
        held: Vec<T>,
    },
    /// Everything collected, sorted at the end.
    Sort { all: Vec<(Labels, T)> },
}

/// Puts a block's series, pushed in index order, into the order of the labels they are sent
/// with. Output items carry those labels.
pub struct BlockOrder<T> {
    transform: Arc<LabelTransform>,
    mode: Mode<T>,
}

impl<T: Labelled> BlockOrder<T> {
    /// The order for a block whose series use the label names `block_names`.
    pub fn new<'a>(
        transform: Arc<LabelTransform>,
        mut block_names: impl Iterator<Item = &'a str>,
    ) -> Self {
        let mode = if block_names.any(|n| transform.touches(n)) {
            Mode::Sort { all: Vec::new() }
        } else {
            Mode::Prefix {
                greatest_added: transform.greatest_added().map(str::to_string),
                held: Vec::new(),
            }
        };
        Self { transform, mode }
    }

    /// Whether the whole block is collected before anything comes out.
    pub fn collects_all(&self) -> bool {
        matches!(self.mode, Mode::Sort { .. })
    }

    /// Takes the next series in index order; moves those whose place is now known to `out`.
    pub fn push(&mut self, item: T, out: &mut VecDeque<(Labels, T)>) {
        match &mut self.mode {
            Mode::Sort { all } => all.push((self.transform.apply(item.labels()), item)),
            Mode::Prefix {
                greatest_added: None,
                ..
            } => out.push_back((self.transform.apply(item.labels()), item)),
            Mode::Prefix {
                greatest_added: Some(greatest),
                held,
            } => {
                while let Some(top) = held.last() {
                    if stays_behind(top.labels(), item.labels(), greatest) {
                        break;
                    }
                    if let Some(top) = held.pop() {
                        out.push_back((self.transform.apply(top.labels()), top));
                    }
                }
                held.push(item);
            }
        }
    }

    /// The block has no more series: moves the rest to `out`.
    pub fn finish(&mut self, out: &mut VecDeque<(Labels, T)>) {
        match &mut self.mode {
            Mode::Sort { all } => {
                all.sort_by(|a, b| a.0.cmp(&b.0));
                out.extend(all.drain(..));
            }
            Mode::Prefix { held, .. } => {
                while let Some(top) = held.pop() {
                    out.push_back((self.transform.apply(top.labels()), top));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every label set over names `a`, `c`, `e` with values `1`, `2` (or absent).
    fn all_series(names: &[&str]) -> Vec<Labels> {
        let mut out = Vec::new();
        let n = names.len() as u32;
        for code in 1..3u32.pow(n) {
            let mut pairs = Vec::new();
            let mut c = code;
            for name in names {
                match c % 3 {
                    1 => pairs.push((*name, "1")),
                    2 => pairs.push((*name, "2")),
                    _ => {}
                }
                c /= 3;
            }
            if !pairs.is_empty() {
                out.push(Labels::from_pairs(pairs));
            }
        }
        out.sort();
        out
    }

    fn run(series: &[Labels], transform: LabelTransform) -> (Vec<Labels>, bool) {
        let names: Vec<String> = {
            let mut n: Vec<String> = series
                .iter()
                .flat_map(|s| s.iter().map(|l| l.name.clone()))
                .collect();
            n.sort();
            n.dedup();
            n
        };
        let mut order = BlockOrder::new(Arc::new(transform), names.iter().map(String::as_str));
        let mut out = VecDeque::new();
        for s in series {
            order.push(s.clone(), &mut out);
        }
        order.finish(&mut out);
        let collected = order.collects_all();
        (out.into_iter().map(|(l, _)| l).collect(), collected)
    }

    fn expected(series: &[Labels], transform: &LabelTransform) -> Vec<Labels> {
        let mut want: Vec<Labels> = series.iter().map(|s| transform.apply(s)).collect();
        want.sort();
        want
    }

    #[test]
    fn added_labels_give_sorted_output_without_collecting_the_block() {
        let series = all_series(&["a", "c", "e"]);
        for external in [
            vec![],
            vec![("0", "x")],
            vec![("b", "x")],
            vec![("d", "x")],
            vec![("f", "x")],
            vec![("b", "x"), ("f", "y")],
            vec![("b", "x"), ("d", "y")],
            vec![("replica", "r"), ("cluster", "c")],
        ] {
            for drop in [vec![], vec!["f".to_string()], vec!["d".to_string()]] {
                let t = LabelTransform::new(&Labels::from_pairs(external.clone()), &drop);
                let (got, collected) = run(&series, t.clone());
                assert!(!collected, "{external:?} {drop:?}");
                assert_eq!(got, expected(&series, &t), "{external:?} drop {drop:?}");
            }
        }
    }

    #[test]
    fn prefix_series_wait_for_the_longer_series_that_sort_first() {
        let series = vec![
            Labels::from_pairs([("a", "1")]),
            Labels::from_pairs([("a", "1"), ("b", "2")]),
            Labels::from_pairs([("a", "1"), ("d", "2")]),
        ];
        let t = LabelTransform::new(&Labels::from_pairs([("c", "x")]), &[]);
        let (got, _) = run(&series, t);
        let text: Vec<String> = got.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            vec![
                r#"{a="1", b="2", c="x"}"#,
                r#"{a="1", c="x"}"#,
                r#"{a="1", c="x", d="2"}"#
            ]
        );
    }

    #[test]
    fn labels_the_transform_touches_make_the_block_collected_and_sorted() {
        let series = all_series(&["a", "c", "e"]);
        for (external, drop) in [
            (vec![("c", "x")], vec![]),
            (vec![("b", "x")], vec!["a".to_string()]),
            (vec![], vec!["e".to_string()]),
        ] {
            let t = LabelTransform::new(&Labels::from_pairs(external.clone()), &drop);
            let (got, collected) = run(&series, t.clone());
            assert!(collected, "{external:?} {drop:?}");
            assert_eq!(got, expected(&series, &t));
        }
    }

    #[test]
    fn external_labels_win_and_dropped_labels_go() {
        let t = LabelTransform::new(
            &Labels::from_pairs([("cluster", "c"), ("replica", "r")]),
            &["replica".to_string()],
        );
        let got = t.apply(&Labels::from_pairs([("cluster", "own"), ("z", "1")]));
        assert_eq!(got.to_string(), r#"{cluster="c", z="1"}"#);
    }
}
