//! When a binding counts as serving: Available at its current generation, or,
//! when availability cannot be tracked, once it has been applied for
//! `unavailablePeriodSeconds`. Pure.

use std::time::Duration;

use apis::conditions::{self, placement as p};
use k8s_openapi::{apimachinery::pkg::apis::meta::v1::Condition, jiff::Timestamp};

/// A binding's conditions, read at its generation.
pub struct View<'a> {
    pub conditions: &'a [Condition],
    pub generation: i64,
}

impl View<'_> {
    fn current(&self, type_: &str) -> Option<&Condition> {
        conditions::find(self.conditions, type_).filter(|c| c.observed_generation == Some(self.generation))
    }

    /// `Ok` if ready now; otherwise how long until it may be (`None`: not on a clock).
    pub fn ready(&self, now: Timestamp, unavailable_period: Duration) -> Result<(), Option<Duration>> {
        if self.current(p::DIFF_REPORTED).is_some_and(|c| c.status == "True") {
            return Ok(());
        }
        let Some(available) = self.current(p::AVAILABLE).filter(|c| c.status == "True") else {
            return Err(None);
        };
        let untrackable = [p::REASON_NOT_ALL_WORK_AVAILABILITY_TRACKABLE, p::REASON_WORK_NOT_TRACKABLE]
            .contains(&available.reason.as_str());
        if !untrackable {
            return Ok(());
        }
        let since = Duration::try_from(now - available.last_transition_time.0).unwrap_or_default();
        if since > unavailable_period { Ok(()) } else { Err(Some(unavailable_period - since)) }
    }

    /// Failed: a stage said False for a reason other than "still pending";
    /// such a binding is out of service anyway, so it may always be updated.
    pub fn failed(&self) -> bool {
        const PENDING: &[&str] = &[
            p::REASON_OVERRIDDEN_PENDING,
            p::REASON_WORK_NOT_SYNCHRONIZED_YET,
            p::REASON_APPLY_PENDING,
            p::REASON_NOT_AVAILABLE_YET,
        ];
        [p::OVERRIDDEN, p::WORK_SYNCHRONIZED, p::APPLIED, p::AVAILABLE]
            .iter()
            .filter_map(|t| self.current(t))
            .any(|c| c.status == "False" && !PENDING.contains(&c.reason.as_str()))
    }

    /// Reporting differences (ReportDiff) at this generation, whatever it found.
    pub fn diff_reported(&self) -> bool {
        self.current(p::DIFF_REPORTED).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn cond(type_: &str, status: bool, reason: &str, generation: i64, at: i64) -> Condition {
        let mut c = conditions::new(type_, status, reason, "", Some(generation));
        c.last_transition_time = Time(Timestamp::from_second(at).unwrap());
        c
    }

    const PERIOD: Duration = Duration::from_secs(60);

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn available_at_the_current_generation_is_ready() {
        let cs = [cond(p::AVAILABLE, true, p::REASON_AVAILABLE, 2, 100)];
        assert_eq!(View { conditions: &cs, generation: 2 }.ready(at(100), PERIOD), Ok(()));
        assert_eq!(View { conditions: &cs, generation: 3 }.ready(at(100), PERIOD), Err(None), "stale generation");
        let not = [cond(p::AVAILABLE, false, p::REASON_NOT_AVAILABLE_YET, 2, 100)];
        assert_eq!(View { conditions: &not, generation: 2 }.ready(at(100), PERIOD), Err(None));
    }

    #[test]
    fn untrackable_availability_waits_out_the_unavailable_period() {
        let cs = [cond(p::AVAILABLE, true, p::REASON_WORK_NOT_TRACKABLE, 1, 100)];
        let v = View { conditions: &cs, generation: 1 };
        assert_eq!(v.ready(at(130), PERIOD), Err(Some(Duration::from_secs(30))));
        assert_eq!(v.ready(at(161), PERIOD), Ok(()));
    }

    #[test]
    fn failed_means_false_for_a_reason_other_than_pending() {
        let applying = [cond(p::APPLIED, false, p::REASON_APPLY_PENDING, 1, 0)];
        assert!(!View { conditions: &applying, generation: 1 }.failed());
        let broken = [cond(p::APPLIED, false, p::REASON_NOT_ALL_WORK_APPLIED, 1, 0)];
        assert!(View { conditions: &broken, generation: 1 }.failed());
        assert!(!View { conditions: &broken, generation: 2 }.failed(), "only at the current generation");
    }
}
