//! ServiceImports on the hub: for every namespace/name some member exports,
//! a ServiceImport listing the clusters whose exports agree on the ports, and
//! each InternalServiceExport's Conflict condition. `decide` is the pure
//! decision; `controller` watches the exports and writes what differs.

pub mod controller;
pub mod decide;
