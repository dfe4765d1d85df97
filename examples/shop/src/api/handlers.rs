use crate::app::orders;
use crate::domain::{Order, OrderLine};

/// A request to create an order.
pub struct CreateOrder {
    pub lines: Vec<OrderLine>,
}

/// Creates an order and captures its payment.
#[tracing::instrument(skip(req))]
pub async fn create_order(req: CreateOrder) -> Result<Order, String> {
    let order = Order { id: 1, lines: req.lines };
    // Deliberate drift: pricing is private to the domain; only its interface may be reached.
    let _preview = crate::domain::pricing::discount(&order);
    orders::place_order(order.clone()).await?;
    Ok(order)
}
