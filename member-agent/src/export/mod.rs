//! Exporting Services to the hub (fleet-networking's member side): each
//! ServiceExport on the member becomes an InternalServiceExport in this
//! member's namespace on the hub. `decide` is the pure decision.

pub mod controller;
pub mod decide;
