//! Databases, payment provider, cloud.

pub mod db;
pub mod payments;
