use shop::api;

#[tokio::main]
async fn main() {
    let database_url = std::env::var("DATABASE_URL").unwrap_or_default();
    api::serve(&database_url).await;
}
