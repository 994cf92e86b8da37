//! Timing records (docs/contracts.md § Timing records) and the `TimingStore` port. The stores —
//! the local JSONL file (the default), DynamoDB (`dynamodb://TABLE`) and memory for tests — are
//! adapters (`adapters::timing`).
//!
//! A record holds no personal data: no question text, no names, no emails, and no step ids
//! (a client may name a step after a person); steps are identified by their index in the plan.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kenny_domain::error::ErrorCode;

/// One timing record: either the whole coordinate request or one of its steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimingRecord {
    /// The coordinate request's id (the Lambda request id, or a UUID in process).
    pub request_id: String,
    /// `request` for the whole request, `step` for one step.
    pub kind: RecordKind,
    /// `coordinate` for the request; the step's capability for a step.
    pub capability: String,
    /// The step's index in the plan (steps only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// Wall-clock time the request started.
    pub at: DateTime<Utc>,
    /// Offset of the step's start from the request's start, ms (0 for the request).
    pub start_ms: f64,
    /// Duration, ms.
    pub duration_ms: f64,
    /// `ok`, `error`, `skipped` (a dependency failed), or `degraded` (request with failed steps).
    pub status: String,
    /// Error code when the step failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Which cache tier answered (`miss`, `l1`, `l2`, `validated`), when the step reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
    /// How the step was called: `in_process` or `lambda`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Whether this was the first request the process served.
    pub cold_start: bool,
    /// Request only: the whole request, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<f64>,
    /// Request only: the longest dependency chain of step durations, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_path_ms: Option<f64>,
    /// Request only: all step durations added up, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum_of_steps_ms: Option<f64>,
    /// Request only: most steps running at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    /// Request only: whether the plan was run one step at a time (the A/B baseline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    /// Request only: the kind of window a question asked for (`next_week`, `tomorrow`, …), never its text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_kind: Option<String>,
    /// Request only: the plan's shape — capabilities per dependency level and the window kind
    /// (`calendar.read+contacts.resolve*2>calendar.read@next_week`), never ids or params — so the report can
    /// pair sequential and concurrent runs of the same kind of request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_shape: Option<String>,
    /// Request only: a question's intent (`list`, `next`, `not_understood`, …), never its words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The edge the request came in through when it is not one of the HTTP routes or a direct
    /// invoke: `mcp` for a tool call over MCP (stdio or `POST /mcp`). Absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge: Option<String>,
}

/// Whether a record describes a request or a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// The whole coordinate request.
    #[default]
    Request,
    /// One step of it.
    Step,
}

/// Why timing records could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TimingError {
    /// The store's file could not be opened or written.
    #[error("timing store {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// A stored line is not a record.
    #[error("timing store {path}, line {line}: {source}")]
    Corrupt { path: String, line: usize, source: serde_json::Error },
    /// The `KENNY_TIMINGS` value names no store Kenny knows.
    #[error("KENNY_TIMINGS={0:?}: expected file:///path.jsonl or dynamodb://TABLE")]
    UnknownStore(String),
    /// DynamoDB refused or failed the request (after retries).
    #[error("timings table {table}: {message}")]
    Dynamo { table: String, message: String, unwritten: usize },
    /// `dynamodb://` was asked of a build without AWS support (the local profile's CLI).
    #[error(
        "KENNY_TIMINGS=dynamodb://…: this build has no DynamoDB client (build with the `dynamodb` or `aws` feature)"
    )]
    WithoutAws,
}

impl ErrorCode for TimingError {
    fn code(&self) -> &'static str {
        match self {
            TimingError::UnknownStore(_) | TimingError::WithoutAws => "invalid_config",
            _ => "timing_store_failed",
        }
    }
    fn status(&self) -> u16 {
        500
    }
}

/// Where timing records go. Writes must be idempotent per request id where the store allows.
#[async_trait]
pub trait TimingStore: Send + Sync + std::fmt::Debug {
    /// Stores one request's records.
    async fn write(&self, records: &[TimingRecord]) -> Result<(), TimingError>;
    /// Records whose request started in `[since, until)`.
    async fn query(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<TimingRecord>, TimingError>;

    /// The newest records of `[since, until)`, at most `limit` of them and only whole requests,
    /// oldest first, and whether older ones were left out — so a report's work is bounded. A
    /// store that can read newest-first without reading everything should override this.
    async fn query_recent(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<TimingRecord>, bool), TimingError> {
        Ok(keep_newest(self.query(since, until).await?, limit))
    }
}

/// Keeps the newest `limit` records (by the DynamoDB sort key: start, request id, step), drops
/// a request cut in two by that limit, and returns them oldest first with whether any were
/// dropped.
pub fn keep_newest(mut records: Vec<TimingRecord>, limit: usize) -> (Vec<TimingRecord>, bool) {
    records.sort_by_cached_key(|r| std::cmp::Reverse(sort_key(r)));
    let truncated = records.len() > limit;
    if truncated {
        let cut = records[limit].request_id.clone();
        records.truncate(limit);
        records.retain(|r| r.request_id != cut);
    }
    records.reverse();
    (records, truncated)
}

/// A fresh request id for requests that do not come with one (the CLI; Lambda has its own).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A time as records store it: RFC 3339 in UTC with milliseconds (sortable as text).
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The sort key of a record.
pub fn sort_key(r: &TimingRecord) -> String {
    let which = match r.step {
        None => "req".to_string(),
        Some(i) => format!("s{i:03}"),
    };
    format!("{}#{}#{which}", instant(r.at), r.request_id)
}

/// The log message of a failed write; the records follow in the field `records`.
pub const NOT_WRITTEN: &str = "timing records not written";

/// Keeps records in memory; for tests of the logic above the port.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: std::sync::Mutex<Vec<TimingRecord>>,
}

impl MemoryStore {
    /// Everything written so far.
    pub fn records(&self) -> Vec<TimingRecord> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl TimingStore for MemoryStore {
    async fn write(&self, records: &[TimingRecord]) -> Result<(), TimingError> {
        if let Ok(mut r) = self.records.lock() {
            // Idempotent per record (request id, kind, step), as the DynamoDB store's Puts are.
            let same =
                |a: &TimingRecord, b: &TimingRecord| (&a.request_id, a.kind, a.step) == (&b.request_id, b.kind, b.step);
            r.retain(|x| !records.iter().any(|n| same(x, n)));
            r.extend_from_slice(records);
        }
        Ok(())
    }

    async fn query(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<TimingRecord>, TimingError> {
        Ok(self.records().into_iter().filter(|r| r.at >= since && r.at < until).collect())
    }
}
