//! Integration tests on one shared local fleet (hub + 2 members, with agents):
//! real control planes, isolated per test by namespaces and names.

mod foundation;
mod membership;
mod placement;
mod support;
