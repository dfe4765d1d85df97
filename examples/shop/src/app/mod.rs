//! Use cases: orchestrates the domain and the infrastructure.

pub mod orders;
