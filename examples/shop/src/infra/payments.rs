pub async fn capture(order_id: u64, amount_cents: u64) -> Result<(), String> {
    let key = std::env::var("STRIPE_API_KEY").map_err(|e| e.to_string())?;
    let client = stripe::Client::new(key);
    let _ = (client, order_id, amount_cents);
    Ok(())
}
