//! Conversions between the StoreAPI's wire types and mnemos' label and matcher types
//! ([`mnemos_tsdb::Labels`], [`mnemos_tsdb::Matcher`]), so every component converts the same
//! way.

use mnemos_tsdb::{Label, Labels, MatchType, Matcher};

use crate::thanos::{self, label_matcher};

/// The matcher type of a StoreAPI matcher.
pub fn match_type(t: label_matcher::Type) -> MatchType {
    match t {
        label_matcher::Type::Eq => MatchType::Equal,
        label_matcher::Type::Neq => MatchType::NotEqual,
        label_matcher::Type::Re => MatchType::Regex,
        label_matcher::Type::Nre => MatchType::NotRegex,
    }
}

/// The StoreAPI matcher type of a matcher type.
pub fn wire_match_type(t: MatchType) -> label_matcher::Type {
    match t {
        MatchType::Equal => label_matcher::Type::Eq,
        MatchType::NotEqual => label_matcher::Type::Neq,
        MatchType::Regex => label_matcher::Type::Re,
        MatchType::NotRegex => label_matcher::Type::Nre,
    }
}

/// The request's matchers; a bad regular expression is `InvalidArgument` naming the label.
pub fn matchers(wire: &[thanos::LabelMatcher]) -> Result<Vec<Matcher>, tonic::Status> {
    wire.iter()
        .map(|m| {
            Matcher::new(match_type(m.r#type()), m.name.clone(), m.value.clone())
                .map_err(|e| tonic::Status::invalid_argument(format!("matcher {}: {e}", m.name)))
        })
        .collect()
}

/// A matcher as the StoreAPI sends it.
pub fn wire_matcher(m: &Matcher) -> thanos::LabelMatcher {
    thanos::LabelMatcher::new(wire_match_type(m.kind), m.name.clone(), m.value.clone())
}

/// Labels received over the StoreAPI (sorted on the way in).
pub fn labels(wire: Vec<thanos::Label>) -> Labels {
    Labels::from_labels(
        wire.into_iter()
            .map(|l| Label::new(l.name, l.value))
            .collect(),
    )
}

/// Labels as the StoreAPI sends them.
pub fn wire_labels(labels: Labels) -> Vec<thanos::Label> {
    labels
        .into_vec()
        .into_iter()
        .map(|l| thanos::Label::new(l.name, l.value))
        .collect()
}

/// A label set as the Info API sends it.
pub fn wire_label_set(labels: &Labels) -> thanos::ZLabelSet {
    wire_labels(labels.clone()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_round_trip() {
        for kind in [
            MatchType::Equal,
            MatchType::NotEqual,
            MatchType::Regex,
            MatchType::NotRegex,
        ] {
            let m = Matcher::new(kind, "job", "a|b").expect("matcher");
            let back = matchers(&[wire_matcher(&m)]).expect("valid");
            assert_eq!(back[0].kind, kind);
            assert_eq!(
                (back[0].name.as_str(), back[0].value.as_str()),
                ("job", "a|b")
            );
        }
        let bad = thanos::LabelMatcher::new(label_matcher::Type::Re, "job", "(");
        let err = matchers(&[bad]).unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().contains("matcher job"), "{}", err.message());
    }

    #[test]
    fn labels_are_sorted_on_the_way_in() {
        let l = labels(vec![
            thanos::Label::new("b", "2"),
            thanos::Label::new("a", "1"),
        ]);
        assert_eq!(l, Labels::from_pairs([("a", "1"), ("b", "2")]));
        let w = wire_labels(l);
        assert_eq!(w[0].name, "a");
    }
}
