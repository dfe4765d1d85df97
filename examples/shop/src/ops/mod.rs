//! Operational tooling, run by hand.

pub mod teardown;
