//! Which member clusters a migration moves from and to, or why it cannot
//! start: a source or target missing or empty, the two overlapping, a
//! target not joined, fewer targets than asked for. Pure.

use std::collections::BTreeMap;

use apis::placement::{SourceClusters, TargetClusters};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::scheduler::label_selector;

/// A member as the migration sees it.
pub struct Member<'a> {
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub joined: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Resolved {
    pub from: Vec<String>,
    pub to: Vec<String>,
}

fn selected(selector: &LabelSelector, members: &[Member]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for m in members {
        if label_selector::matches(selector, m.labels)? {
            out.push(m.name.to_string());
        }
    }
    Ok(out)
}

/// The sources and targets, sorted; `Err` says why not, naming the field.
pub fn resolve(from: &SourceClusters, to: &TargetClusters, members: &[Member]) -> Result<Resolved, String> {
    let known = |n: &String| members.iter().any(|m| m.name == n);
    let mut sources = match (&from.cluster_names, &from.cluster_selector) {
        (Some(names), _) => {
            if let Some(missing) = names.iter().find(|n| !known(n)) {
                return Err(format!("from: cluster {missing} is not a member of the fleet"));
            }
            names.clone()
        }
        (None, Some(s)) => selected(s, members).map_err(|e| format!("from.clusterSelector: {e}"))?,
        (None, None) => Vec::new(),
    };
    if sources.is_empty() {
        return Err("from: no cluster selected".into());
    }
    let mut targets = match (&to.cluster_names, &to.cluster_selector) {
        (Some(names), _) => {
            if let Some(missing) = names.iter().find(|n| !known(n)) {
                return Err(format!("to: cluster {missing} is not a member of the fleet"));
            }
            names.clone()
        }
        (None, Some(s)) => {
            // Selected targets exclude the sources; the first by name, as many as asked.
            let mut t: Vec<String> = selected(s, members)
                .map_err(|e| format!("to.clusterSelector: {e}"))?
                .into_iter()
                .filter(|n| !sources.contains(n) && members.iter().any(|m| m.name == n && m.joined))
                .collect();
            t.sort();
            if let Some(n) = to.number_of_clusters {
                if (t.len() as i32) < n {
                    return Err(format!("to: {n} cluster(s) asked for, {} joined cluster(s) selected", t.len()));
                }
                t.truncate(n as usize);
            }
            t
        }
        (None, None) => Vec::new(),
    };
    if targets.is_empty() {
        return Err("to: no cluster selected".into());
    }
    if let Some(both) = targets.iter().find(|t| sources.contains(t)) {
        return Err(format!("from and to overlap: cluster {both} is in both"));
    }
    if let Some(t) = targets.iter().find(|t| members.iter().any(|m| m.name == t.as_str() && !m.joined)) {
        return Err(format!("to: cluster {t} is not joined"));
    }
    sources.sort();
    sources.dedup();
    targets.sort();
    targets.dedup();
    Ok(Resolved { from: sources, to: targets })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn names(n: &[&str]) -> Option<Vec<String>> {
        Some(n.iter().map(|s| s.to_string()).collect())
    }

    fn selector(v: serde_json::Value) -> Option<LabelSelector> {
        Some(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn names_and_selectors_resolve_and_bad_input_says_which_field() {
        let (east, west, none) = (labels(&[("region", "east")]), labels(&[("region", "west")]), labels(&[]));
        let members = [
            Member { name: "m1", labels: &east, joined: true },
            Member { name: "m2", labels: &west, joined: true },
            Member { name: "m3", labels: &west, joined: true },
            Member { name: "m4", labels: &none, joined: false },
        ];
        let from = SourceClusters { cluster_names: names(&["m1"]), cluster_selector: None };
        let to = TargetClusters { cluster_names: names(&["m2"]), ..Default::default() };
        assert_eq!(resolve(&from, &to, &members), Ok(Resolved { from: vec!["m1".into()], to: vec!["m2".into()] }));

        let west_one = TargetClusters {
            cluster_selector: selector(json!({"matchLabels": {"region": "west"}})),
            number_of_clusters: Some(1),
            ..Default::default()
        };
        assert_eq!(resolve(&from, &west_one, &members).unwrap().to, ["m2"], "the first by name");
        let west_three = TargetClusters { number_of_clusters: Some(3), ..west_one.clone() };
        assert!(resolve(&from, &west_three, &members).unwrap_err().contains("3 cluster(s) asked for, 2 joined"));

        let overlap = TargetClusters { cluster_names: names(&["m1", "m2"]), ..Default::default() };
        assert_eq!(resolve(&from, &overlap, &members).unwrap_err(), "from and to overlap: cluster m1 is in both");
        let unjoined = TargetClusters { cluster_names: names(&["m4"]), ..Default::default() };
        assert_eq!(resolve(&from, &unjoined, &members).unwrap_err(), "to: cluster m4 is not joined");
        let unknown = SourceClusters { cluster_names: names(&["m9"]), cluster_selector: None };
        assert!(resolve(&unknown, &to, &members).unwrap_err().starts_with("from: cluster m9 is not a member"));
        let nothing = SourceClusters {
            cluster_names: None,
            cluster_selector: selector(json!({"matchLabels": {"region": "north"}})),
        };
        assert_eq!(resolve(&nothing, &to, &members).unwrap_err(), "from: no cluster selected");
    }
}
