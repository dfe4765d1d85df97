//! The fact graph: what the code says, independent of the spec.

pub mod model;
pub mod rust;
