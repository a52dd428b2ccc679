//! Integration tests on one shared local fleet (hub + 3 members, with agents):
//! real control planes, isolated per test by namespaces and names.

mod admission;
mod adoption;
mod apply;
mod envelopes;
mod foundation;
mod membership;
mod migration;
mod overrides;
mod placement;
mod support;
mod traffic;
