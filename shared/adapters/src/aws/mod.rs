//! AWS plumbing below every adapter that talks to AWS: the SDK configuration, loaded once per
//! process, and ([`table`], with the `dynamodb` feature) the DynamoDB table shape both of Kenny's
//! tables share. Each client is behind its own feature — `dynamodb` (the shared cache and the
//! timing store), `lambda` (the Invoke sibling), `secrets` (Secrets Manager) — so a function
//! links only the clients it uses.

#[cfg(feature = "dynamodb")]
pub mod cache;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "dynamodb")]
pub mod table;
#[cfg(feature = "dynamodb")]
pub mod timing;

#[cfg(feature = "dynamodb")]
pub use table::*;

/// The AWS SDK configuration, loaded once per process on first use ("SDK config is expensive,
/// clients from it are cheap"). It honours `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`,
/// `AWS_ENDPOINT_URL_LAMBDA`, so one binary talks to AWS, `cargo lambda watch` or a local
/// DynamoDB-compatible server.
pub async fn sdk_config() -> &'static aws_config::SdkConfig {
    static SDK: tokio::sync::OnceCell<aws_config::SdkConfig> = tokio::sync::OnceCell::const_new();
    SDK.get_or_init(aws_config::load_from_env).await
}
