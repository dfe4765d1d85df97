//! The HTTP surface the storefront depends on.

mod handlers;

pub use handlers::{create_order, CreateOrder};

/// Serves the API until the process is stopped.
pub async fn serve(database_url: &str) {
    let _ = database_url;
}
