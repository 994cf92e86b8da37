//! The shared cache (L2) port: what one calendar read stores for other containers, and how the
//! store fails. DynamoDB implements it (`adapters::aws::cache`), memory in tests; the rules that
//! use it (L1, grace, validation) live with `calendar.read` (`capabilities::calendar::cache`).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::sources::SkippedItem;
use kenny_domain::error::ErrorCode;

/// What the shared cache (L2) holds for one calendar read: the item texts as fetched (re-parsed
/// on a hit), what was skipped, and the source's version of the calendar then. No credentials:
/// keys are hashes, and item texts are calendar data the reading functions may see anyway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedEntry {
    /// The source's version when fetched (`None`: the source has none).
    pub version: Option<String>,
    /// When it was stored (milliseconds since the epoch).
    pub stored_at_ms: i64,
    /// Every item's label (file name or href) and iCalendar text.
    pub items: Vec<(String, String)>,
    /// Items that could not be read.
    pub skipped: Vec<SkippedItem>,
}

/// Why the shared cache failed; a failing L2 is logged and skipped, never an answer's error.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The store refused or failed the request (after retries).
    #[error("shared cache {table}: {message}")]
    Store { table: String, message: String },
    /// A stored entry could not be decoded (treated as a miss).
    #[error("shared cache {table}: a stored entry is unreadable: {message}")]
    Corrupt { table: String, message: String },
    /// `KENNY_CACHE` names no store Kenny knows.
    #[error("KENNY_CACHE={0:?}: expected dynamodb://TABLE")]
    UnknownStore(String),
    /// `KENNY_CACHE` was set for a build without AWS support.
    #[error("KENNY_CACHE is set, but this build has no DynamoDB client (build with the `dynamodb` or `aws` feature)")]
    WithoutAws,
}

impl ErrorCode for CacheError {
    fn code(&self) -> &'static str {
        match self {
            CacheError::UnknownStore(_) | CacheError::WithoutAws => "invalid_config",
            _ => "cache_failed",
        }
    }
    fn status(&self) -> u16 {
        500
    }
}

/// The shared cache (L2) port: DynamoDB in production ([`dynamo::DynamoCache`]), memory in tests.
#[async_trait]
pub trait SharedCache: Send + Sync + std::fmt::Debug {
    /// The entry under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<SharedEntry>, CacheError>;
    /// Stores `entry` under `key` for `ttl`. An entry too large to store is skipped (logged),
    /// never an error.
    async fn put(&self, key: &str, entry: &SharedEntry, ttl: Duration) -> Result<(), CacheError>;
    /// Which of `keys` hold an entry that has not expired, in order, without reading the
    /// entries (one a put is still writing counts as held). By default a get each; a store that
    /// can ask for them all at once overrides it.
    async fn holds(&self, keys: &[String]) -> Result<Vec<bool>, CacheError> {
        let mut held = Vec::with_capacity(keys.len());
        for key in keys {
            held.push(self.get(key).await?.is_some());
        }
        Ok(held)
    }
}

/// An in-memory [`SharedCache`] for tests (expiry is not modelled).
#[derive(Debug, Default)]
pub struct MemoryShared {
    entries: std::sync::Mutex<std::collections::HashMap<String, SharedEntry>>,
}

#[async_trait]
impl SharedCache for MemoryShared {
    async fn get(&self, key: &str) -> Result<Option<SharedEntry>, CacheError> {
        Ok(self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned())
    }
    async fn put(&self, key: &str, entry: &SharedEntry, _ttl: Duration) -> Result<(), CacheError> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.to_string(), entry.clone());
        Ok(())
    }
}
