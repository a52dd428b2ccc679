//! Migrations (ClusterResourcePlacementMigration, ResourcePlacementMigration).
//! Pure so far: `clusters` (which members are sources and targets, or why
//! the migration cannot start), `weights` (the export weights of a traffic
//! step), `gates` (whether a step may go on).

pub mod clusters;
pub mod gates;
pub mod weights;
