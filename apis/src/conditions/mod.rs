//! Condition types and reasons, each defined once, one module per API group
//! (the same word, e.g. `Valid`, means different things in different groups).

pub mod cluster;
pub mod networking;
pub mod placement;
