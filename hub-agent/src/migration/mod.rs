//! Migrations (ClusterResourcePlacementMigration): move a placement's
//! application between clusters. Pure: `clusters` (which members are sources
//! and targets, or why the migration cannot start), `weights` (the export
//! weights of a traffic step), `gates` (whether a step may go on), `step`
//! (one pass: phase, status and what to make true), `taint` (the taint that
//! keeps only its placement away), `override_` (the weight override).
//! `controller` observes, calls `step` and carries out its actions;
//! `probe` probes the targets for the Probe gate. Kurator's Migrate:
//! `kurator` (pure translation and status) and `migrate` (its controller).
//! `namespaced`: ResourcePlacementMigration, refused with a condition until built.

pub mod clusters;
pub mod controller;
pub mod gates;
pub mod kurator;
pub mod migrate;
pub mod namespaced;
pub mod override_;
pub mod probe;
pub mod step;
pub mod taint;
pub mod weights;
