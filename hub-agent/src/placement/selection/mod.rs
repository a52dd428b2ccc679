//! What a placement selects, and what of each object goes into a snapshot.

pub mod resolve;
pub mod sanitize;
