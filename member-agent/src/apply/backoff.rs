//! When to look at a Work again. Changes arrive by watch (the Work on the
//! hub, the placed objects on the member), so a settled Work is only
//! re-checked now and then; one that failed is retried, doubling the wait
//! each time up to a cap, so a broken manifest never makes a hot loop. Pure.

use std::time::Duration;

/// A settled Work is re-checked this often in case a watch missed something.
pub const RESYNC: Duration = Duration::from_secs(300);

const FIRST: Duration = Duration::from_millis(500);
const CAP: Duration = Duration::from_secs(300);

/// The wait before retry number `failures` (1 for the first).
pub fn retry_after(failures: u32) -> Duration {
    FIRST.saturating_mul(1 << failures.saturating_sub(1).min(16)).min(CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap() {
        assert_eq!(retry_after(1), Duration::from_millis(500));
        assert_eq!(retry_after(2), Duration::from_secs(1));
        assert_eq!(retry_after(4), Duration::from_secs(4));
        assert_eq!(retry_after(20), CAP);
        assert_eq!(retry_after(u32::MAX), CAP);
    }
}
