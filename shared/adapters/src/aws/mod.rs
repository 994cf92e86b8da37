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
///
/// Its HTTP client is the SDK's default one (hyper 1, rustls with the system's roots, per-client
/// timeouts, proxies from the environment) on ring instead of aws-lc: the crypto provider reqwest
/// uses too (see [`crate::http`]), so a binary links one TLS crypto library.
pub async fn sdk_config() -> &'static aws_config::SdkConfig {
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig, tls};
    static SDK: tokio::sync::OnceCell<aws_config::SdkConfig> = tokio::sync::OnceCell::const_new();
    SDK.get_or_init(|| {
        let https = Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector =
                ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring));
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build()
        });
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https).load()
    })
    .await
}
