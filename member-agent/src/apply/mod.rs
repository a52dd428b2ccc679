//! Applying Works to the member cluster. Pure pieces first (decoding, waves,
//! drift and diff, availability); the applier itself arrives with the rest
//! of the member-agent issue.

pub mod availability;
pub mod decode;
pub mod diff;
pub mod waves;
