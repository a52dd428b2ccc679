//! Snapshots: the sanitized, ordered objects a placement selected (hashed to
//! notice change, split to stay under the object size limit) and its
//! scheduling policy (a new one only when a new decision is needed).

pub mod order;
pub mod policy;
pub mod resources;
