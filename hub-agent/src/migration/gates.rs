//! Whether a step may go on: every health gate is checked at every step.
//! A gate passes, waits (not enough data yet, an approval pending) or fails
//! (the data says no). At a 0 % step the targets are no endpoints (an export
//! of weight 0 is withdrawn), so the gates that read the data plane (Probe,
//! ErrorRatio) have nothing to judge and pass; PlacementAvailable and
//! Approval still hold the step. Pure.

use apis::placement::{HealthGate, HealthGateType};

/// What the controller observed for the gates.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Observed {
    /// The placement is Available on every target at its generation.
    pub targets_available: bool,
    /// Probes of the targets in the gate's window: (succeeded, sent); None
    /// until a whole window has been probed.
    pub probes: Option<(u64, u64)>,
    /// The data plane's counts for the targets' endpoints since the step began: (failed, total).
    pub target_requests: Option<(u64, u64)>,
    /// The step's approval request: None if none yet, Some(approved).
    pub approved: Option<bool>,
}

#[derive(Debug, PartialEq)]
pub enum Verdict {
    Pass,
    /// Not yet: why.
    Wait(String),
    /// No: why (rolls back when automatic).
    Fail(String),
}

fn ratio(s: &str) -> f64 {
    s.parse().unwrap_or(1.0)
}

/// The first gate that does not pass decides; all passing is Pass. `percent`
/// is the targets' share of the traffic at this step.
pub fn verdict(gates: &[HealthGate], o: &Observed, percent: i32) -> Verdict {
    for g in gates {
        let v = match g.type_ {
            HealthGateType::Probe | HealthGateType::ErrorRatio if percent == 0 => Verdict::Pass,
            HealthGateType::PlacementAvailable if o.targets_available => Verdict::Pass,
            HealthGateType::PlacementAvailable => {
                Verdict::Wait("the placement is not yet Available on every target".into())
            }
            HealthGateType::Probe => {
                let want = g.probe.as_ref().map(|p| ratio(&p.min_success_ratio)).unwrap_or(1.0);
                match o.probes {
                    Some((_, 0)) | None => Verdict::Wait("probing the targets (the window is not complete yet)".into()),
                    Some((ok, sent)) if (ok as f64) / (sent as f64) >= want => Verdict::Pass,
                    Some((ok, sent)) => Verdict::Fail(format!("probes succeeded {ok} of {sent}, below {want}")),
                }
            }
            HealthGateType::ErrorRatio => {
                let max = g.error_ratio.as_ref().map(|e| ratio(&e.max)).unwrap_or(0.0);
                match o.target_requests {
                    Some((_, 0)) | None => Verdict::Wait("no request reached the targets yet".into()),
                    Some((failed, total)) if (failed as f64) / (total as f64) <= max => Verdict::Pass,
                    Some((failed, total)) => {
                        Verdict::Fail(format!("{failed} of {total} requests to the targets failed, above {max}"))
                    }
                }
            }
            HealthGateType::Approval => match o.approved {
                Some(true) => Verdict::Pass,
                _ => Verdict::Wait("waiting for approval".into()),
            },
        };
        if v != Verdict::Pass {
            return v;
        }
    }
    Verdict::Pass
}

#[cfg(test)]
mod tests {
    use apis::placement::{ErrorRatioGate, ProbeGate};

    use super::*;

    fn gate(type_: HealthGateType) -> HealthGate {
        HealthGate { type_, ..Default::default() }
    }

    #[test]
    fn every_gate_must_pass_and_the_first_that_does_not_says_why() {
        let probe = HealthGate {
            type_: HealthGateType::Probe,
            probe: Some(ProbeGate { url: "/".into(), min_success_ratio: "0.99".into(), window_seconds: 30 }),
            ..Default::default()
        };
        let errors = HealthGate {
            type_: HealthGateType::ErrorRatio,
            error_ratio: Some(ErrorRatioGate { max: "0.01".into() }),
            ..Default::default()
        };
        let gates = [gate(HealthGateType::PlacementAvailable), probe, errors, gate(HealthGateType::Approval)];
        let good = Observed {
            targets_available: true,
            probes: Some((100, 100)),
            target_requests: Some((0, 500)),
            approved: Some(true),
        };
        assert_eq!(verdict(&gates, &good, 50), Verdict::Pass);
        assert!(matches!(
            verdict(&gates, &Observed { targets_available: false, ..good.clone() }, 50),
            Verdict::Wait(_)
        ));
        assert!(matches!(verdict(&gates, &Observed { probes: None, ..good.clone() }, 50), Verdict::Wait(_)));
        let failing = verdict(&gates, &Observed { probes: Some((90, 100)), ..good.clone() }, 50);
        assert_eq!(failing, Verdict::Fail("probes succeeded 90 of 100, below 0.99".into()));
        let erring = verdict(&gates, &Observed { target_requests: Some((10, 500)), ..good.clone() }, 50);
        assert!(matches!(erring, Verdict::Fail(m) if m.starts_with("10 of 500 requests")));
        assert!(
            matches!(verdict(&gates, &Observed { approved: None, ..good.clone() }, 50), Verdict::Wait(m) if m.contains("approval"))
        );
        assert_eq!(verdict(&[], &Observed::default(), 50), Verdict::Pass, "no gates, nothing to wait for");
        let none = Observed { targets_available: true, approved: Some(true), ..Default::default() };
        assert_eq!(verdict(&gates, &none, 0), Verdict::Pass, "at 0 % nothing is routed to the targets to judge");
        assert!(matches!(verdict(&gates, &none, 10), Verdict::Wait(_)));
    }
}
