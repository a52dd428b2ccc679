//! Answering the hub's ResourceExports (adoption's member side): list the
//! live objects of the namespaces asked for, with this agent's own
//! credentials, and write them into the export's status in this member's hub
//! namespace; on request, let go of objects the fleet took (no fleet owner
//! reference, label or annotation left). `collect` and `release` are pure.

pub mod collect;
pub mod controller;
pub mod release;
