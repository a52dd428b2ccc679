//! `metav1.LabelSelector` semantics: `matchLabels` and every `matchExpressions`
//! requirement must hold (In, NotIn, Exists, DoesNotExist). Pure.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Whether `labels` satisfy `selector`; an empty selector selects everything.
/// A malformed requirement is an error naming it, never a silent match.
pub fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> Result<bool, String> {
    for (k, v) in selector.match_labels.iter().flatten() {
        if labels.get(k) != Some(v) {
            return Ok(false);
        }
    }
    for r in selector.match_expressions.iter().flatten() {
        if !requirement(r, labels)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What is wrong with `selector` (keys, values, operators), as the API
/// server's `LabelSelectorAsSelector` would refuse it.
pub fn errors(selector: &LabelSelector) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in selector.match_labels.iter().flatten() {
        out.extend(apis::labels::key_error(k).map(|e| format!("invalid label key {e}")));
        out.extend(apis::labels::value_error(v).map(|e| format!("invalid label value {e}")));
    }
    for r in selector.match_expressions.iter().flatten() {
        out.extend(apis::labels::key_error(&r.key).map(|e| format!("invalid label key {e}")));
        if let Err(e) = requirement(r, &BTreeMap::new()) {
            out.push(e);
        }
        for v in r.values.iter().flatten() {
            out.extend(apis::labels::value_error(v).map(|e| format!("invalid label value {e}")));
        }
    }
    out
}

fn requirement(r: &LabelSelectorRequirement, labels: &BTreeMap<String, String>) -> Result<bool, String> {
    let values = r.values.as_deref().unwrap_or_default();
    let value = labels.get(&r.key);
    match r.operator.as_str() {
        "In" | "NotIn" if values.is_empty() => Err(format!("operator {} on key {:?} needs values", r.operator, r.key)),
        "In" => Ok(value.is_some_and(|v| values.contains(v))),
        "NotIn" => Ok(!value.is_some_and(|v| values.contains(v))),
        "Exists" | "DoesNotExist" if !values.is_empty() => {
            Err(format!("operator {} on key {:?} takes no values", r.operator, r.key))
        }
        "Exists" => Ok(value.is_some()),
        "DoesNotExist" => Ok(value.is_none()),
        other => Err(format!("unknown label selector operator {other:?} on key {:?}", r.key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn sel(ml: &[(&str, &str)], me: Vec<LabelSelectorRequirement>) -> LabelSelector {
        LabelSelector {
            match_labels: (!ml.is_empty()).then(|| labels(ml)),
            match_expressions: (!me.is_empty()).then_some(me),
        }
    }

    #[test]
    fn match_labels_and_expressions_must_all_hold() {
        let l = labels(&[("env", "prod"), ("region", "eu")]);
        assert_eq!(matches(&LabelSelector::default(), &l), Ok(true), "empty selects all");
        assert_eq!(matches(&sel(&[("env", "prod")], vec![]), &l), Ok(true));
        assert_eq!(matches(&sel(&[("env", "dev")], vec![]), &l), Ok(false));
        assert_eq!(matches(&sel(&[("env", "prod")], vec![expr("region", "In", &["us"])]), &l), Ok(false));
        assert_eq!(matches(&sel(&[], vec![expr("region", "In", &["us", "eu"])]), &l), Ok(true));
    }

    #[test]
    fn operators() {
        let l = labels(&[("env", "prod")]);
        assert_eq!(matches(&sel(&[], vec![expr("env", "NotIn", &["dev"])]), &l), Ok(true));
        assert_eq!(
            matches(&sel(&[], vec![expr("tier", "NotIn", &["a"])]), &l),
            Ok(true),
            "NotIn holds for an absent key"
        );
        assert_eq!(matches(&sel(&[], vec![expr("env", "NotIn", &["prod"])]), &l), Ok(false));
        assert_eq!(matches(&sel(&[], vec![expr("env", "Exists", &[])]), &l), Ok(true));
        assert_eq!(matches(&sel(&[], vec![expr("tier", "Exists", &[])]), &l), Ok(false));
        assert_eq!(matches(&sel(&[], vec![expr("tier", "DoesNotExist", &[])]), &l), Ok(true));
        assert_eq!(matches(&sel(&[], vec![expr("env", "DoesNotExist", &[])]), &l), Ok(false));
    }

    #[test]
    fn malformed_requirements_are_errors() {
        let l = labels(&[]);
        assert!(matches(&sel(&[], vec![expr("env", "In", &[])]), &l).unwrap_err().contains("needs values"));
        assert!(matches(&sel(&[], vec![expr("env", "Exists", &["x"])]), &l).unwrap_err().contains("no values"));
        assert!(matches(&sel(&[], vec![expr("env", "Near", &["x"])]), &l).unwrap_err().contains("unknown"));
    }
}
