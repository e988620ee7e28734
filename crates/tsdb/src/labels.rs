//! Label sets and label matchers with Prometheus semantics.

use std::cmp::Ordering;
use std::fmt;

use crate::error::{Error, Result};

/// Name of the label that holds the metric name.
pub const METRIC_NAME: &str = "__name__";

/// One label: a name and a value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    /// Label name.
    pub name: String,
    /// Label value.
    pub value: String,
}

/// Whether `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, Prometheus
/// 2.42's rule).
pub fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Label {
    /// A label from anything string-like.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A label set sorted by name, without duplicate names: the identity of a series.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    /// An empty label set.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds a set from labels in any order; a later duplicate name wins.
    /// Labels with empty values are dropped, as Prometheus does.
    pub fn from_labels(mut labels: Vec<Label>) -> Self {
        labels.retain(|l| !l.value.is_empty());
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        labels.dedup_by(|later, earlier| {
            if later.name == earlier.name {
                std::mem::swap(later, earlier);
                true
            } else {
                false
            }
        });
        Self(labels)
    }

    /// Builds a set from pairs in any order.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Self::from_labels(pairs.into_iter().map(|(n, v)| Label::new(n, v)).collect())
    }

    /// Wraps labels already sorted by name with unique names (as stored in an index).
    pub fn from_sorted(labels: Vec<Label>) -> Self {
        debug_assert!(labels.windows(2).all(|w| w[0].name < w[1].name));
        Self(labels)
    }

    /// The labels, sorted by name.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates the labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    /// Sets `name` to `value` (removing it when `value` is empty).
    pub fn set(&mut self, name: &str, value: &str) {
        match self.0.binary_search_by(|l| l.name.as_str().cmp(name)) {
            Ok(i) if value.is_empty() => {
                self.0.remove(i);
            }
            Ok(i) => self.0[i].value = value.to_string(),
            Err(_) if value.is_empty() => {}
            Err(i) => self.0.insert(i, Label::new(name, value)),
        }
    }

    /// Removes the labels whose names are in `names`.
    pub fn without(&self, names: &[impl AsRef<str>]) -> Labels {
        Labels(
            self.0
                .iter()
                .filter(|l| !names.iter().any(|n| n.as_ref() == l.name))
                .cloned()
                .collect(),
        )
    }

    /// Takes the labels out.
    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }
}

impl Ord for Labels {
    /// Prometheus' `labels.Compare`: label by label, name then value, shorter first.
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            match a.name.cmp(&b.name).then_with(|| a.value.cmp(&b.value)) {
                Ordering::Equal => {}
                ord => return ord,
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Labels {
    /// Prometheus' `labels.Labels.String()`: `{a="1", b="2"}` with Go string quoting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&l.name)?;
            f.write_str("=")?;
            f.write_str(&crate::gofmt::quote(&l.value))?;
        }
        f.write_str("}")
    }
}

/// How a matcher compares a label value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchType {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regex => "=~",
            MatchType::NotRegex => "!~",
        })
    }
}

/// A label matcher. A series without the label matches as if its value were "".
#[derive(Clone, Debug)]
pub struct Matcher {
    /// Comparison.
    pub kind: MatchType,
    /// Label name.
    pub name: String,
    /// Value or regular expression as written.
    pub value: String,
    regex: Option<regex::Regex>,
    fast: Option<FastRegex>,
}

/// Regexes answered without the regex engine.
#[derive(Clone, Debug)]
enum FastRegex {
    /// `a|b|c` of plain literals: set membership (sorted).
    Set(Vec<String>),
    /// `literal.*`: a prefix test.
    Prefix(String),
    /// `.*`: everything.
    Any,
    /// `.+`: everything but "".
    NonEmpty,
}

/// Whether `s` has no regex syntax at all.
fn is_plain_literal(s: &str) -> bool {
    !s.chars().any(|c| "\\.+*?()|[]{}^$".contains(c))
}

impl FastRegex {
    fn of(pattern: &str) -> Option<Self> {
        match pattern {
            ".*" => return Some(FastRegex::Any),
            ".+" => return Some(FastRegex::NonEmpty),
            _ => {}
        }
        if let Some(prefix) = pattern.strip_suffix(".*") {
            if is_plain_literal(prefix) {
                return Some(FastRegex::Prefix(prefix.to_string()));
            }
        }
        let parts: Vec<&str> = pattern.split('|').collect();
        if parts.iter().all(|p| is_plain_literal(p)) {
            let mut set: Vec<String> = parts.into_iter().map(str::to_string).collect();
            set.sort();
            set.dedup();
            return Some(FastRegex::Set(set));
        }
        None
    }

    fn is_match(&self, value: &str) -> bool {
        match self {
            FastRegex::Set(set) => set.binary_search_by(|v| v.as_str().cmp(value)).is_ok(),
            FastRegex::Prefix(p) => value.starts_with(p.as_str()),
            FastRegex::Any => true,
            FastRegex::NonEmpty => !value.is_empty(),
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.value == other.value
    }
}

impl Matcher {
    /// A matcher; regular expressions are anchored at both ends as in Prometheus.
    pub fn new(kind: MatchType, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        let regex = match kind {
            MatchType::Regex | MatchType::NotRegex => {
                let anchored = format!("^(?s:{value})$");
                Some(regex::Regex::new(&anchored).map_err(|source| Error::Regex {
                    pattern: value.clone(),
                    source,
                })?)
            }
            _ => None,
        };
        let fast = match kind {
            MatchType::Regex | MatchType::NotRegex => FastRegex::of(&value),
            _ => None,
        };
        Ok(Self {
            kind,
            name: name.into(),
            value,
            regex,
            fast,
        })
    }

    /// For `=~"a|b|c"` of plain literals: the values, sorted (callers can look them up
    /// instead of testing every value of the label).
    pub fn literal_set(&self) -> Option<&[String]> {
        match (&self.kind, &self.fast) {
            (MatchType::Regex, Some(FastRegex::Set(set))) => Some(set),
            _ => None,
        }
    }

    fn regex_match(&self, value: &str) -> bool {
        match &self.fast {
            Some(fast) => fast.is_match(value),
            None => self.regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }

    /// `name = value`.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            kind: MatchType::Equal,
            name: name.into(),
            value: value.into(),
            regex: None,
            fast: None,
        }
    }

    /// Whether `value` (the label's value, or "" when absent) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self.kind {
            MatchType::Equal => self.value == value,
            MatchType::NotEqual => self.value != value,
            MatchType::Regex => self.regex_match(value),
            MatchType::NotRegex => !self.regex_match(value),
        }
    }

    /// Whether a whole label set satisfies the matcher.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get(&self.name).unwrap_or(""))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.name,
            self.kind,
            crate::gofmt::quote(&self.value)
        )
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn regex_fast_paths_agree_with_the_regex_engine() {
        let patterns = [
            "a|b|c",
            "job1|job2",
            "foo.*",
            ".*",
            ".+",
            "",
            "a|",
            "x",
            "a.c",
            "(a|b)",
            "a|b.*",
        ];
        let values = [
            "", "a", "b", "c", "d", "job1", "job2", "job12", "foo", "foobar", "fo", "x", "abc",
            "a.c",
        ];
        for p in patterns {
            let plain = regex::Regex::new(&format!("^(?s:{p})$")).expect("regex");
            for kind in [MatchType::Regex, MatchType::NotRegex] {
                let m = Matcher::new(kind, "l", p).expect("matcher");
                for v in values {
                    let want = plain.is_match(v) == (kind == MatchType::Regex);
                    assert_eq!(m.matches(v), want, "{p:?} {kind} {v:?}");
                }
            }
        }
        let set = Matcher::new(MatchType::Regex, "l", "b|a|b").expect("matcher");
        assert_eq!(
            set.literal_set(),
            Some(&["a".to_string(), "b".to_string()][..])
        );
        assert!(Matcher::new(MatchType::Regex, "l", "a.*")
            .expect("m")
            .literal_set()
            .is_none());
    }

    use super::*;

    #[test]
    fn label_name_validity() {
        for ok in ["a", "_", "__name__", "job_2", "Z9"] {
            assert!(is_valid_label_name(ok), "{ok}");
        }
        for bad in ["", "2a", "a-b", "a/b", "../x", "é", "a b"] {
            assert!(!is_valid_label_name(bad), "{bad}");
        }
    }

    #[test]
    fn ordering_is_prometheus_compare() {
        let a = Labels::from_pairs([("a", "1")]);
        let ab = Labels::from_pairs([("a", "1"), ("b", "1")]);
        let b = Labels::from_pairs([("b", "0")]);
        assert!(a < ab);
        assert!(ab < b);
        assert_eq!(a.to_string(), r#"{a="1"}"#);
    }

    #[test]
    fn regex_matchers_are_anchored_and_match_absent_as_empty() {
        let m = Matcher::new(MatchType::Regex, "job", "a|b").unwrap();
        assert!(m.matches("a"));
        assert!(!m.matches("ab"));
        let m = Matcher::new(MatchType::Regex, "job", ".*").unwrap();
        assert!(m.matches_labels(&Labels::new()));
        let m = Matcher::new(MatchType::NotEqual, "job", "x").unwrap();
        assert!(m.matches_labels(&Labels::new()));
        assert!(Matcher::new(MatchType::Regex, "job", "(").is_err());
    }
}
