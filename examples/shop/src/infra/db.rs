use crate::domain::Order;

pub async fn save_order(order: &Order) -> Result<(), String> {
    let _pool = sqlx::PgPool::connect_lazy(&std::env::var("DATABASE_URL").map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    // Deliberate drift: infrastructure calls up into the application layer.
    crate::app::orders::audit(order.id);
    Ok(())
}

pub fn discount_rate(_order_id: u64) -> Option<u64> {
    Some(5)
}
