//! Applying Works to the member cluster. Pure pieces first (availability);
//! the applier itself arrives with the rest of the member-agent issue.

pub mod availability;
