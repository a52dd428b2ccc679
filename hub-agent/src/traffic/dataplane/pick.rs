//! Which endpoint takes the next request (or connection): one of the
//! healthy endpoints with weight, with probability proportional to its
//! weight. If none is healthy, traffic still flows by weight over all of
//! them (the status says so): refusing everything would only turn a health
//! check's false alarm into an outage. Endpoints already tried for this
//! request are skipped, so a failed connect is retried elsewhere. Pure: the
//! caller passes the random number.

/// One endpoint as the picker sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Candidate {
    pub weight: u32,
    pub healthy: bool,
}

/// The index of the endpoint to use, given a uniformly random `r`; None when
/// no endpoint with weight is left untried.
pub fn pick(candidates: &[Candidate], tried: &[usize], r: u64) -> Option<usize> {
    let open = |i: usize, c: &Candidate| c.weight > 0 && !tried.contains(&i);
    let any_healthy = candidates.iter().enumerate().any(|(i, c)| open(i, c) && c.healthy);
    let eligible = |i: usize, c: &Candidate| open(i, c) && (c.healthy || !any_healthy);
    let total: u64 = candidates.iter().enumerate().filter(|(i, c)| eligible(*i, c)).map(|(_, c)| c.weight as u64).sum();
    if total == 0 {
        return None;
    }
    let mut point = r % total;
    for (i, c) in candidates.iter().enumerate() {
        if !eligible(i, c) {
            continue;
        }
        if point < c.weight as u64 {
            return Some(i);
        }
        point -= c.weight as u64;
    }
    unreachable!("point < total")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(weight: u32, healthy: bool) -> Candidate {
        Candidate { weight, healthy }
    }

    /// How often each endpoint is picked over every r in 0..n (exact shares).
    fn shares(cs: &[Candidate], tried: &[usize], n: u64) -> Vec<u64> {
        let mut out = vec![0; cs.len()];
        for r in 0..n {
            if let Some(i) = pick(cs, tried, r) {
                out[i] += 1;
            }
        }
        out
    }

    #[test]
    fn picks_in_proportion_to_the_weights() {
        assert_eq!(shares(&[c(90, true), c(10, true)], &[], 1000), [900, 100]);
        assert_eq!(shares(&[c(1, true), c(0, true), c(3, true)], &[], 400), [100, 0, 300], "weight 0 gets nothing");
    }

    #[test]
    fn unhealthy_endpoints_get_nothing_while_another_is_healthy() {
        assert_eq!(shares(&[c(50, false), c(50, true)], &[], 100), [0, 100]);
        assert_eq!(shares(&[c(50, false), c(50, false)], &[], 100), [50, 50], "all down: keep serving by weight");
    }

    #[test]
    fn a_failed_endpoint_is_not_tried_twice() {
        assert_eq!(pick(&[c(100, true), c(1, true)], &[0], 0), Some(1));
        assert_eq!(pick(&[c(100, true), c(1, false)], &[0], 0), Some(1), "an unhealthy one before giving up");
        assert_eq!(pick(&[c(100, true)], &[0], 0), None);
        assert_eq!(pick(&[], &[], 7), None);
    }
}
