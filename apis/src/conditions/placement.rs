//! `placement.kubernetes-fleet.io` condition types and reasons.
