//! Condition types and reasons, each defined once, one module per API group
//! (the same word, e.g. `Valid`, means different things in different groups).

pub mod cluster;
pub mod networking;
pub mod placement;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The condition of `type_` in `conditions`, if any.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of `type_` is present with status "True".
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == "True")
}

/// Sets `new` in `conditions` by type, as `meta.SetStatusCondition` does: the
/// transition time is kept unless the status changes. Returns whether
/// anything changed, so callers write status only when it did.
pub fn set(conditions: &mut Vec<Condition>, mut new: Condition) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        Some(old) => {
            if old.status == new.status {
                new.last_transition_time = old.last_transition_time.clone();
            }
            if *old == new {
                return false;
            }
            *old = new;
            true
        }
        None => {
            conditions.push(new);
            true
        }
    }
}

/// A condition's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    True,
    False,
    Unknown,
}

impl From<bool> for Status {
    fn from(b: bool) -> Self {
        if b { Status::True } else { Status::False }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::True => "True",
            Status::False => "False",
            Status::Unknown => "Unknown",
        }
    }
}

/// A condition observed now.
pub fn new(
    type_: &str,
    status: impl Into<Status>,
    reason: &str,
    message: impl Into<String>,
    observed_generation: Option<i64>,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: status.into().as_str().to_string(),
        reason: reason.to_string(),
        message: message.into(),
        observed_generation,
        last_transition_time: Time(k8s_openapi::jiff::Timestamp::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(c: Condition, secs: i64) -> Condition {
        Condition { last_transition_time: Time(k8s_openapi::jiff::Timestamp::from_second(secs).unwrap()), ..c }
    }

    #[test]
    fn set_keeps_the_transition_time_while_the_status_holds() {
        let mut cs = vec![at(new("Joined", true, "A", "m", Some(1)), 100)];
        assert!(!set(&mut cs, at(new("Joined", true, "A", "m", Some(1)), 200)), "nothing changed");
        assert_eq!(cs[0].last_transition_time.0.as_second(), 100);
        assert!(set(&mut cs, at(new("Joined", true, "B", "m2", Some(2)), 300)), "reason and generation changed");
        assert_eq!(cs[0].last_transition_time.0.as_second(), 100, "same status keeps its transition time");
        assert!(set(&mut cs, at(new("Joined", false, "C", "left", Some(2)), 400)));
        assert_eq!(cs[0].last_transition_time.0.as_second(), 400);
        assert!(set(&mut cs, new("Healthy", true, "H", "", None)));
        assert_eq!(cs.len(), 2);
        assert!(is_true(&cs, "Healthy") && !is_true(&cs, "Joined") && !is_true(&cs, "Missing"));
    }
}
