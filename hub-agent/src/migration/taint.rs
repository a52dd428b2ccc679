//! The migration taint (`flotilla.dev/migrating-away`, NoSchedule): it keeps
//! away only the placement its value names, so a migration can retire a
//! cluster for one placement without closing it to the others. Pure.

use apis::{
    cluster::{Taint, TaintEffect},
    labels,
};

use crate::adoption::names;

/// The taint value naming a placement (`namespace.name` for a ResourcePlacement),
/// fitted to a label value's 63 characters.
pub fn value(namespace: Option<&str>, name: &str) -> String {
    let full = match namespace {
        Some(ns) => format!("{ns}.{name}"),
        None => name.to_string(),
    };
    names::fit(&full, 63)
}

/// Whether `taint` concerns the placement whose taint value is `placement`:
/// every other taint does; a migration taint only if it names it.
pub fn concerns(taint: &Taint, placement: &str) -> bool {
    taint.key != labels::MIGRATION_TAINT || taint.value.as_deref() == Some(placement)
}

/// A cluster's taints with this placement's migration taint present or not;
/// None when they already are so.
pub fn with(taints: &[Taint], placement: &str, present: bool) -> Option<Vec<Taint>> {
    let mine = |t: &Taint| t.key == labels::MIGRATION_TAINT && t.value.as_deref() == Some(placement);
    if taints.iter().any(mine) == present {
        return None;
    }
    let mut out: Vec<Taint> = taints.iter().filter(|t| !mine(t)).cloned().collect();
    if present {
        out.push(Taint {
            key: labels::MIGRATION_TAINT.into(),
            value: Some(placement.into()),
            effect: TaintEffect::NoSchedule,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taint_is_added_and_removed_once_and_concerns_only_its_placement() {
        let other = Taint { key: "dedicated".into(), value: Some("gpu".into()), effect: TaintEffect::NoSchedule };
        let added = with(std::slice::from_ref(&other), "web", true).unwrap();
        assert_eq!(added.len(), 2);
        assert!(with(&added, "web", true).is_none(), "already there");
        assert!(concerns(&added[1], "web"));
        assert!(!concerns(&added[1], "db"), "another placement may still land there");
        assert!(concerns(&other, "db"), "other taints concern everyone");
        assert_eq!(with(&added, "web", false).unwrap(), vec![other]);
        assert!(value(Some("ns"), &"x".repeat(100)).len() <= 63);
        assert_eq!(value(Some("ns"), "web"), "ns.web");
    }
}
