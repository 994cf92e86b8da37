//! `kenny timings create-table` and `kenny cache create-table`: Kenny's two DynamoDB tables, for
//! a local DynamoDB-compatible server (in AWS the stack creates them).

use std::process::ExitCode;

#[cfg(feature = "aws")]
use kenny::domain::error::ApiError;
#[cfg(feature = "aws")]
use kenny::wiring::config::Config;

#[cfg(feature = "aws")]
use crate::report;

#[cfg(feature = "aws")]
pub(crate) async fn create_table() -> ExitCode {
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => return report(ApiError::from_error(&e), false),
    };
    let Some(table) = config.timings.strip_prefix("dynamodb://") else {
        eprintln!("error: KENNY_TIMINGS must be dynamodb://TABLE (it is {})", config.timings);
        return ExitCode::from(2);
    };
    let store = kenny::adapters::aws::timing::DynamoStore::new(kenny::adapters::aws::sdk_config().await, table);
    match store.create_table().await {
        Ok(true) => {
            println!("created table {table} (keys pk/sk, on-demand, TTL on expires_at)");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("table {table} already exists");
            ExitCode::SUCCESS
        }
        Err(e) => report(ApiError::from_error(&e), false),
    }
}

#[cfg(feature = "aws")]
pub(crate) async fn create_cache_table() -> ExitCode {
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => return report(ApiError::from_error(&e), false),
    };
    let Some(table) = config.cache.as_deref().and_then(kenny::adapters::aws::cache::table_of) else {
        let now = config.cache.map_or_else(|| "unset".to_string(), |c| format!("{c:?}"));
        eprintln!("error: KENNY_CACHE must be dynamodb://TABLE (it is {now})");
        return ExitCode::from(2);
    };
    match kenny::adapters::aws::cache::create_table(kenny::adapters::aws::sdk_config().await, table).await {
        Ok(kenny::adapters::aws::cache::TableCreated::Created { ttl }) => {
            let ttl = if ttl { "TTL on expires_at" } else { "TTL not supported by this server" };
            println!("created table {table} (keys pk S / sk N, on-demand, {ttl})");
            ExitCode::SUCCESS
        }
        Ok(kenny::adapters::aws::cache::TableCreated::Existed) => {
            println!("table {table} already exists");
            ExitCode::SUCCESS
        }
        Err(e) => report(ApiError::from_error(&e), false),
    }
}

/// Without the `aws` feature there are no DynamoDB tables to create.
#[cfg(not(feature = "aws"))]
pub(crate) async fn create_table() -> ExitCode {
    without_aws()
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn create_cache_table() -> ExitCode {
    without_aws()
}

#[cfg(not(feature = "aws"))]
fn without_aws() -> ExitCode {
    eprintln!("error: this kenny was built without AWS support; build it with the default features");
    ExitCode::from(2)
}
