//! Resource snapshots: the sanitized, ordered objects a placement selected,
//! hashed to notice change and split to stay under the object size limit.

pub mod order;
pub mod resources;
