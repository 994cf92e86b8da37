//! The timing stores: the local JSONL file (the default), DynamoDB (`dynamodb://TABLE`, in
//! `adapters::aws::timing`) and memory for tests, and [`open_store`], which picks one from
//! configuration. Replaying records that could not be written is [`replay`].

pub mod replay;

use std::path::PathBuf;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::io::AsyncWriteExt;

use kenny_ports::timing::{TimingError, TimingRecord, TimingStore};

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

/// Opens the store a `KENNY_TIMINGS` value names; the AWS configuration is loaded (once per
/// process) only for `dynamodb://`.
pub async fn open_store(spec: &str) -> Result<std::sync::Arc<dyn TimingStore>, TimingError> {
    if let Some(path) = spec.strip_prefix("file://").filter(|p| !p.is_empty()) {
        return Ok(std::sync::Arc::new(JsonlStore::new(path)));
    }
    if let Some(table) = spec.strip_prefix("dynamodb://").filter(|t| !t.is_empty() && !t.contains('/')) {
        #[cfg(feature = "dynamodb")]
        {
            let sdk = crate::aws::sdk_config().await;
            return Ok(std::sync::Arc::new(crate::aws::timing::DynamoStore::new(sdk, table)));
        }
        #[cfg(not(feature = "dynamodb"))]
        {
            let _ = table;
            return Err(TimingError::WithoutAws);
        }
    }
    Err(TimingError::UnknownStore(spec.chars().take(200).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_domain::error::ErrorCode as _;
    use kenny_ports::timing::{RecordKind, keep_newest};

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
