//! The DynamoDB table shape both of Kenny's tables share (`pk` S + `sk`, on-demand billing, TTL
//! on `expires_at`), created for local DynamoDB-compatible servers and tests — in AWS the stack
//! creates the tables — and the retried batch write both stores use.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest, ScalarAttributeType,
    TimeToLiveSpecification, WriteRequest,
};

/// The TTL attribute (epoch seconds) of both tables.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// How long [`create_table`] waits for a new table to become usable.
const TABLE_WAIT: Duration = Duration::from_secs(120);

/// Why a table could not be created or given its TTL; each store wraps it in its own error.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The SDK refused the key schema or the TTL specification (a bug, not a server answer).
    #[error("building the table definition failed")]
    Definition,
    /// CreateTable failed (other than "already exists").
    #[error("CreateTable: {0}")]
    Create(String),
    /// The table did not become usable in time.
    #[error("waiting for the table: {0}")]
    Wait(String),
    /// UpdateTimeToLive failed.
    #[error("UpdateTimeToLive: {0}")]
    Ttl(String),
}

/// Creates `table` with partition key `pk` (S) and sort key `sk` of type `sort_key`, on-demand
/// billing, and waits until it exists (DynamoDB creates tables asynchronously, and TTL can be set
/// only on an existing table). `Ok(false)`: a table of that name already existed and is left as
/// it is.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    sort_key: ScalarAttributeType,
) -> Result<bool, TableError> {
    let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    let attr = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder().attribute_name(name).attribute_type(kind).build()
    };
    let built =
        (key("pk", KeyType::Hash), key("sk", KeyType::Range), attr("pk", ScalarAttributeType::S), attr("sk", sort_key));
    let (Ok(hk), Ok(rk), Ok(pa), Ok(sa)) = built else {
        return Err(TableError::Definition);
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(hk)
        .key_schema(rk)
        .attribute_definitions(pa)
        .attribute_definitions(sa)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => return Ok(false),
        Err(e) => return Err(TableError::Create(DisplayErrorContext(&e).to_string())),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(TABLE_WAIT)
        .await
        .map_err(|e| TableError::Wait(DisplayErrorContext(&e).to_string()))?;
    Ok(true)
}

/// Turns on TTL on [`TTL_ATTRIBUTE`] for `table`.
pub async fn enable_ttl(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), TableError> {
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(|_| TableError::Definition)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| TableError::Ttl(DisplayErrorContext(&e).to_string()))?;
    Ok(())
}

/// `items` as BatchWriteItem put requests, for the stores' retried batch writes.
pub fn put_requests(items: Vec<HashMap<String, AttributeValue>>) -> Result<Vec<WriteRequest>, BuildError> {
    items
        .into_iter()
        .map(|item| {
            PutRequest::builder().set_item(Some(item)).build().map(|p| WriteRequest::builder().put_request(p).build())
        })
        .collect()
}

/// Why a DynamoDB `BatchWriteItem` gave up: what went wrong, and how many requests were left
/// unwritten.
#[derive(Debug)]
pub(crate) struct BatchWriteFailure {
    pub message: String,
    pub unwritten: usize,
}

/// Sends one `BatchWriteItem` (at most 25 requests) to `table`, retrying its UnprocessedItems and
/// throttling or server errors with full-jitter `backoff`, at most `backoff.max_attempts` times.
/// Both DynamoDB stores (timings and the shared cache) write through it.
pub(crate) async fn batch_write(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    mut requests: Vec<aws_sdk_dynamodb::types::WriteRequest>,
    backoff: &kenny_domain::retry::Backoff,
) -> Result<(), BatchWriteFailure> {
    let mut attempt = 0;
    loop {
        let sent = client.batch_write_item().request_items(table, requests.clone()).send().await;
        let last = attempt + 1 >= backoff.max_attempts;
        match sent {
            Ok(out) => {
                requests = out.unprocessed_items.and_then(|mut u| u.remove(table)).unwrap_or_default();
                if requests.is_empty() {
                    return Ok(());
                }
                if last {
                    return Err(BatchWriteFailure {
                        message: format!("{} items still unprocessed after {} attempts", requests.len(), attempt + 1),
                        unwritten: requests.len(),
                    });
                }
            }
            Err(e) => {
                let retryable = e.as_service_error().is_none_or(|s| {
                    s.is_provisioned_throughput_exceeded_exception()
                        || s.is_request_limit_exceeded()
                        || s.is_internal_server_error()
                        || s.is_throttling_exception()
                });
                if !retryable || last {
                    return Err(BatchWriteFailure {
                        message: format!("BatchWriteItem: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)),
                        unwritten: requests.len(),
                    });
                }
            }
        }
        tokio::time::sleep(backoff.delay(attempt)).await;
        attempt += 1;
    }
}
