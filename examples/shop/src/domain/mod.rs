//! Pure business rules. No I/O.

pub mod model;
pub mod pricing;

pub use model::{Order, OrderLine};
pub use pricing::total;
