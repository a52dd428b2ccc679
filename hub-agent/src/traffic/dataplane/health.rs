//! An endpoint's health from its active checks, as Traffic Manager counts
//! them: it is taken out after more than `toleratedNumberOfFailures`
//! consecutive failed checks and back in at the first success. Pure.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    consecutive_failures: u32,
}

impl Health {
    /// Records a check's result; returns whether the endpoint is healthy now.
    pub fn record(&mut self, ok: bool, tolerated: u32) -> bool {
        self.consecutive_failures = if ok { 0 } else { self.consecutive_failures.saturating_add(1) };
        self.healthy(tolerated)
    }

    pub fn healthy(&self, tolerated: u32) -> bool {
        self.consecutive_failures <= tolerated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_after_more_than_the_tolerated_failures_and_back_at_the_first_success() {
        let mut h = Health::default();
        assert!(h.record(false, 2));
        assert!(h.record(false, 2));
        assert!(!h.record(false, 2), "the third failure is one too many");
        assert!(!h.record(false, 2));
        assert!(h.record(true, 2), "one success brings it back");
        let mut strict = Health::default();
        assert!(!strict.record(false, 0), "tolerating none: out at the first failure");
    }
}
