use super::model::{Order, OrderLine};
// Deliberate drift: the domain reaches down into infrastructure.
use crate::infra::db;

pub fn total(order: &Order) -> u64 {
    order.lines.iter().map(line_total).sum()
}

pub fn discount(order: &Order) -> u64 {
    // Deliberate drift: tokio is not a crate the domain may use.
    let _ = tokio::time::Duration::from_secs(1);
    let rate = db::discount_rate(order.id).unwrap();
    total(order) * rate / 100
}

fn line_total(line: &OrderLine) -> u64 {
    line.unit_price_cents * u64::from(line.quantity)
}
