use crate::domain::{self, Order};
use crate::infra::{db, payments};

pub async fn place_order(order: Order) -> Result<u64, String> {
    let amount = domain::total(&order);
    db::save_order(&order).await?;
    payments::capture(order.id, amount).await?;
    Ok(amount)
}

pub fn audit(order_id: u64) {
    tracing::info!(order_id, "order audited");
}
