use aws_sdk_cloudformation::Client;

/// Deletes a non-production stack. The only place allowed to delete environments.
pub async fn delete_environment(client: &Client, name: &str) {
    let _ = client.delete_stack().stack_name(name).send().await;
}
