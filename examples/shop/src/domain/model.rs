use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub quantity: u32,
    pub unit_price_cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("an order needs at least one line")]
    Empty,
}
