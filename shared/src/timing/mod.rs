//! Timing records (docs/contracts.md § Timing records) and the `TimingStore` port, with the local JSONL store (the
//! default), the DynamoDB store (`dynamodb://TABLE`, see [`dynamo`]) and an in-memory store for
//! tests.
//!
//! A record holds no personal data: no question text, no names, no emails, and no step ids
//! (a client may name a step after a person); steps are identified by their index in the plan.

pub mod dynamo;
pub mod replay;

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::error::ErrorCode;

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
    /// (`contacts.resolve*2>calendar.read@next_week`), never ids or params — so the report can
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
}

impl ErrorCode for TimingError {
    fn code(&self) -> &'static str {
        match self {
            TimingError::UnknownStore(_) => "invalid_config",
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
    records.sort_by_cached_key(|r| std::cmp::Reverse(dynamo::sort_key(r)));
    let truncated = records.len() > limit;
    if truncated {
        let cut = records[limit].request_id.clone();
        records.truncate(limit);
        records.retain(|r| r.request_id != cut);
    }
    records.reverse();
    (records, truncated)
}

/// Appends one JSON line per record to a local file (created with its folders on first write).
#[derive(Debug)]
pub struct JsonlStore {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl JsonlStore {
    /// A store writing to `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonlStore { path: path.into(), lock: tokio::sync::Mutex::new(()) }
    }

    fn io(&self, source: std::io::Error) -> TimingError {
        TimingError::Io { path: self.path.display().to_string(), source }
    }
}

#[async_trait]
impl TimingStore for JsonlStore {
    async fn write(&self, records: &[TimingRecord]) -> Result<(), TimingError> {
        let mut buf = Vec::with_capacity(records.len() * 256);
        for r in records {
            // A record is plain data; serialising it cannot fail.
            serde_json::to_writer(&mut buf, r).map_err(|e| self.io(e.into()))?;
            buf.push(b'\n');
        }
        let _guard = self.lock.lock().await;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await.map_err(|e| self.io(e))?;
        }
        let mut f =
            tokio::fs::OpenOptions::new().create(true).append(true).open(&self.path).await.map_err(|e| self.io(e))?;
        // One write call per request keeps a request's lines together.
        f.write_all(&buf).await.map_err(|e| self.io(e))?;
        f.flush().await.map_err(|e| self.io(e))
    }

    async fn query(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<TimingRecord>, TimingError> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let r: TimingRecord = serde_json::from_str(line).map_err(|source| TimingError::Corrupt {
                path: self.path.display().to_string(),
                line: i + 1,
                source,
            })?;
            if r.at >= since && r.at < until {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Keeps records in memory; for tests of the logic above the port.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<Vec<TimingRecord>>,
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

/// A fresh request id for requests that do not come with one (the CLI; Lambda has its own).
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Opens the store a `KENNY_TIMINGS` value names; the AWS configuration is loaded (once per
/// process) only for `dynamodb://`.
pub async fn open_store(spec: &str) -> Result<std::sync::Arc<dyn TimingStore>, TimingError> {
    if let Some(path) = spec.strip_prefix("file://").filter(|p| !p.is_empty()) {
        return Ok(std::sync::Arc::new(JsonlStore::new(path)));
    }
    if let Some(table) = spec.strip_prefix("dynamodb://").filter(|t| !t.is_empty() && !t.contains('/')) {
        let sdk = crate::aws::sdk_config().await;
        return Ok(std::sync::Arc::new(dynamo::DynamoStore::new(sdk, table)));
    }
    Err(TimingError::UnknownStore(spec.chars().take(200).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, at: &str) -> TimingRecord {
        TimingRecord {
            request_id: id.into(),
            kind: RecordKind::Request,
            capability: "coordinate".into(),
            step: None,
            at: at.parse().unwrap(),
            start_ms: 0.0,
            duration_ms: 1.5,
            status: "ok".into(),
            cold_start: true,
            total_ms: Some(1.5),
            critical_path_ms: Some(1.0),
            sum_of_steps_ms: Some(2.0),
            max_in_flight: Some(2),
            sequential: Some(false),
            ..TimingRecord::default()
        }
    }

    #[tokio::test]
    async fn jsonl_round_trip_and_window_query() {
        let dir = tempfile::tempdir().unwrap();
        let store = JsonlStore::new(dir.path().join("deep/t.jsonl"));
        store.write(&[record("a", "2026-01-01T00:00:00Z")]).await.unwrap();
        store.write(&[record("b", "2026-01-02T00:00:00Z")]).await.unwrap();
        let got = store
            .query("2026-01-01T12:00:00Z".parse().unwrap(), "2026-01-03T00:00:00Z".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(got, vec![record("b", "2026-01-02T00:00:00Z")]);
    }

    fn step_of(r: &TimingRecord, i: usize) -> TimingRecord {
        TimingRecord { kind: RecordKind::Step, step: Some(i), capability: "calendar.read".into(), ..r.clone() }
    }

    #[test]
    fn keep_newest_keeps_whole_requests_oldest_first() {
        let a = record("a", "2026-01-01T00:00:00Z");
        let b = record("b", "2026-01-02T00:00:00Z");
        let c = record("c", "2026-01-03T00:00:00Z");
        let all = vec![c.clone(), step_of(&c, 0), a.clone(), step_of(&a, 0), b.clone(), step_of(&b, 0), step_of(&b, 1)];
        let (kept, truncated) = keep_newest(all.clone(), 100);
        assert!(!truncated);
        assert_eq!(kept.iter().map(|r| r.request_id.as_str()).collect::<Vec<_>>(), ["a", "a", "b", "b", "b", "c", "c"]);
        // 4 newest records would split b (3 records): b is dropped whole.
        let (kept, truncated) = keep_newest(all.clone(), 4);
        assert!(truncated);
        assert_eq!(kept, vec![c.clone(), step_of(&c, 0)]);
        let (kept, truncated) = keep_newest(all.clone(), 5);
        assert!(truncated);
        assert_eq!(kept.iter().map(|r| r.request_id.as_str()).collect::<Vec<_>>(), ["b", "b", "b", "c", "c"]);
        assert_eq!(keep_newest(all, 0), (Vec::new(), true));
        assert_eq!(keep_newest(Vec::new(), 0), (Vec::new(), false));
    }

    #[tokio::test]
    async fn unknown_store_is_refused() {
        for spec in ["s3://x", "dynamodb://", "dynamodb://a/b", "file://"] {
            assert_eq!(open_store(spec).await.unwrap_err().code(), "invalid_config", "{spec}");
        }
    }
}
