//! Label and annotation keys, each defined once (placement and networking keys in their own files, re-exported here).

/// The prefix of every KubeFleet label and annotation.
pub const FLEET_PREFIX: &str = "kubernetes-fleet.io/";

/// On a reserved member namespace (`fleet-member-<name>`) and other objects the fleet itself owns.
pub const IS_FLEET_RESOURCE: &str = "kubernetes-fleet.io/is-fleet-resource";
/// The member cluster a hub object belongs to; also set on every MemberCluster
/// so overrides and affinities can select a cluster by name.
pub const MEMBER_NAME: &str = "kubernetes-fleet.io/member-name";

/// Why `value` cannot be a label value (at most 63 characters, alphanumeric
/// at both ends, `-`, `_` and `.` inside), if it cannot. Names the fleet
/// carries in labels (a placement's, an override's) must pass.
pub fn value_error(value: &str) -> Option<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ends = |c: Option<char>| c.is_none_or(|c| c.is_ascii_alphanumeric());
    if value.len() > 63 {
        Some(format!("{value:?} is {} characters long; a label value has at most 63", value.len()))
    } else if !value.chars().all(ok_char) || !ends(value.chars().next()) || !ends(value.chars().last()) {
        Some(format!("{value:?} is not a valid label value"))
    } else {
        None
    }
}

/// Why `key` is not a qualified name (a label key, a taint key): an
/// optional DNS-subdomain prefix and `/`, then a name of at most 63
/// characters, alphanumeric at both ends with `-`, `_` and `.` inside.
pub fn key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let dns_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || !p.split('.').all(dns_label))
    {
        return Some(format!("{key:?}: the prefix must be a DNS subdomain (lower-case, at most 253 characters)"));
    }
    if name.is_empty() {
        return Some(format!("{key:?}: the name part must not be empty"));
    }
    value_error(name).map(|_| {
        format!(
            "{key:?}: the name part must be at most 63 characters, alphanumeric, '-', '_' or '.', and start and end with an alphanumeric character"
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_qualified_names() {
        for ok in ["app", "kubernetes-fleet.io/node-count", "a.b-c/x_y.z"] {
            assert_eq!(super::key_error(ok), None, "{ok}");
        }
        for bad in ["key@1234:", "", "/x", "Example.com/x", "a/", &"x".repeat(64)] {
            assert!(super::key_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn label_values_are_63_characters_at_most_and_alphanumeric_at_the_ends() {
        assert_eq!(super::value_error(&"a".repeat(63)), None);
        assert!(super::value_error(&"a".repeat(64)).unwrap().contains("64 characters"));
        assert!(super::value_error("-a").is_some() && super::value_error("a b").is_some());
        assert_eq!(super::value_error("my-crp.v1_2"), None);
    }
}

mod networking;
mod placement;
pub use networking::*;
pub use placement::*;
