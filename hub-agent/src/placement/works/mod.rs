//! Work generation: a bound binding's resource snapshot group becomes one Work
//! per snapshot plus one per envelope, in the member's namespace; the Works'
//! conditions, reported by the member agent, become the binding's. Pure.

pub mod desired;
pub mod envelope;
pub mod plan;
pub mod status;
