//! shop: takes storefront orders and captures payments.

pub mod api;
pub mod app;
pub mod domain;
pub mod ffi;
pub mod infra;
pub mod ops;
