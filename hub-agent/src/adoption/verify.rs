//! Whether the takeover disturbed the workloads: every adopted workload must
//! run the same Pods (UIDs), on the same template revision, with no more
//! restarts than allowed in all. Pure.

use std::collections::BTreeMap;

use apis::placement::{PodFact, WorkloadPods};

/// `Err` names the first workload disturbed and how.
pub fn undisturbed(workloads: &[WorkloadPods], max_restarts: i32) -> Result<(), String> {
    let mut restarts = 0;
    for w in workloads {
        let Some(after) = &w.after else {
            return Err(format!("{} {}/{} was not observed", w.kind, w.namespace, w.name));
        };
        let before: BTreeMap<&str, &PodFact> = w.before.iter().map(|p| (p.uid.as_str(), p)).collect();
        let now: BTreeMap<&str, &PodFact> = after.iter().map(|p| (p.uid.as_str(), p)).collect();
        let what = format!("{} {}/{}", w.kind, w.namespace, w.name);
        if let Some(gone) = w.before.iter().find(|p| !now.contains_key(p.uid.as_str())) {
            return Err(format!("{what}: Pod {} (uid {}) was replaced", gone.name, gone.uid));
        }
        if let Some(new) = after.iter().find(|p| !before.contains_key(p.uid.as_str())) {
            return Err(format!("{what}: Pod {} is new", new.name));
        }
        for p in after {
            let was = before[p.uid.as_str()];
            if p.template_hash != was.template_hash {
                return Err(format!(
                    "{what}: Pod {} moved from template {} to {}",
                    p.name, was.template_hash, p.template_hash
                ));
            }
            restarts += (p.restarts - was.restarts).max(0);
        }
    }
    if restarts > max_restarts {
        return Err(format!("{restarts} container restart(s) during the takeover, at most {max_restarts} allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, uid: &str, restarts: i32, hash: &str) -> PodFact {
        PodFact { name: name.into(), uid: uid.into(), restarts, template_hash: hash.into() }
    }

    fn workload(before: Vec<PodFact>, after: Vec<PodFact>) -> WorkloadPods {
        WorkloadPods {
            kind: "Deployment".into(),
            namespace: "app".into(),
            name: "web".into(),
            before,
            after: Some(after),
        }
    }

    #[test]
    fn the_same_pods_on_the_same_template_without_restarts_pass() {
        let pods = vec![pod("a", "1", 2, "h"), pod("b", "2", 0, "h")];
        assert_eq!(undisturbed(&[workload(pods.clone(), pods)], 0), Ok(()));
        assert_eq!(undisturbed(&[], 0), Ok(()), "nothing to disturb");
    }

    #[test]
    fn a_replaced_new_or_re_templated_pod_or_too_many_restarts_fail() {
        let before = vec![pod("a", "1", 0, "h")];
        let replaced = undisturbed(&[workload(before.clone(), vec![pod("a", "9", 0, "h")])], 0).unwrap_err();
        assert!(replaced.contains("Pod a (uid 1) was replaced"), "{replaced}");
        let added = undisturbed(&[workload(before.clone(), vec![pod("a", "1", 0, "h"), pod("b", "2", 0, "h")])], 0);
        assert!(added.unwrap_err().contains("Pod b is new"));
        let moved = undisturbed(&[workload(before.clone(), vec![pod("a", "1", 0, "h2")])], 0).unwrap_err();
        assert!(moved.contains("from template h to h2"), "{moved}");
        let restarted = workload(before.clone(), vec![pod("a", "1", 2, "h")]);
        assert!(undisturbed(std::slice::from_ref(&restarted), 1).unwrap_err().contains("2 container restart(s)"));
        assert_eq!(undisturbed(&[restarted], 2), Ok(()), "within the allowance");
        let unseen = WorkloadPods { after: None, ..workload(before, vec![]) };
        assert!(undisturbed(&[unseen], 0).is_err(), "not observed is not undisturbed");
    }
}
