//! Replaying timing records that could not be written. When a store write fails, the
//! coordinator logs one line — the message [`NOT_WRITTEN`] with the records as a JSON array in
//! the field `records` — so nothing accepted is lost. `kenny timings replay FILE` reads such
//! lines back (from a CloudWatch Logs export or a local log, in the text or the JSON log
//! format, with or without colours or a line prefix) and writes the records that are not in
//! the store yet: replaying twice, or replaying records that were partly written, duplicates
//! nothing.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use kenny_ports::timing::{NOT_WRITTEN, RecordKind, TimingError, TimingRecord, TimingStore};

/// Largest log file replay reads.
pub const MAX_LOG_BYTES: u64 = 512 * 1024 * 1024;
/// Most records one replay writes.
pub const MAX_RECORDS: usize = 1_000_000;

/// What was found in a log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// Every record found, once each.
    pub records: Vec<TimingRecord>,
    /// Lines with the message whose records could not be read.
    pub unreadable_lines: usize,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records found in the log (each once).
    pub found: usize,
    /// Of those, already in the store.
    pub already_stored: usize,
    /// Written now.
    pub written: usize,
    /// Lines with the message whose records could not be read.
    pub unreadable_lines: usize,
}

type Key = (String, RecordKind, Option<usize>);

fn key(r: &TimingRecord) -> Key {
    (r.request_id.clone(), r.kind, r.step)
}

/// The records of every failed-write line in `log`.
pub fn records_in_log(log: &str) -> Found {
    let mut found = Found::default();
    let mut seen = HashSet::new();
    for line in log.lines().filter(|l| l.contains(NOT_WRITTEN)) {
        let Some(records) = records_in_line(line) else {
            found.unreadable_lines += 1;
            continue;
        };
        for r in records {
            if found.records.len() < MAX_RECORDS && seen.insert(key(&r)) {
                found.records.push(r);
            }
        }
    }
    found
}

fn records_in_line(line: &str) -> Option<Vec<TimingRecord>> {
    let line = strip_ansi(line);
    // Text format: `… records=[{…}, …]`.
    if let Some(at) = line.find("records=[") {
        return first_value::<Vec<TimingRecord>>(&line[at + "records=".len()..]);
    }
    // JSON format (possibly after a prefix): the event object, `records` a string field in
    // `fields` or at the top level.
    let event: Value = first_value(&line[line.find('{')?..])?;
    let records = event.get("fields").and_then(|f| f.get("records")).or_else(|| event.get("records"))?;
    match records {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => serde_json::from_value(other.clone()).ok(),
    }
}

/// The first JSON value at the start of `text` (anything after it is ignored).
fn first_value<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::Deserializer::from_str(text).into_iter::<T>().next()?.ok()
}

/// `text` without terminal colour sequences (`ESC [ … letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `found`'s records that `store` does not hold yet, one request at a time.
pub async fn replay(store: &dyn TimingStore, found: Found) -> Result<Summary, TimingError> {
    let mut summary =
        Summary { found: found.records.len(), unreadable_lines: found.unreadable_lines, ..Summary::default() };
    let (Some(first), Some(last)) =
        (found.records.iter().map(|r| r.at).min(), found.records.iter().map(|r| r.at).max())
    else {
        return Ok(summary);
    };
    let stored: HashSet<Key> =
        store.query(first, last + chrono::Duration::milliseconds(1)).await?.iter().map(key).collect();
    let mut by_request: std::collections::BTreeMap<String, Vec<TimingRecord>> = std::collections::BTreeMap::new();
    for r in found.records {
        if stored.contains(&key(&r)) {
            summary.already_stored += 1;
        } else {
            by_request.entry(r.request_id.clone()).or_default().push(r);
        }
    }
    for records in by_request.into_values() {
        store.write(&records).await?;
        summary.written += records.len();
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_ports::timing::MemoryStore;

    fn record(id: &str, step: Option<usize>) -> TimingRecord {
        TimingRecord {
            request_id: id.into(),
            kind: if step.is_some() { RecordKind::Step } else { RecordKind::Request },
            capability: "coordinate".into(),
            step,
            at: "2026-11-27T10:00:00Z".parse().unwrap(),
            status: "ok".into(),
            ..TimingRecord::default()
        }
    }

    #[tokio::test]
    async fn both_log_formats_are_read_and_replaying_twice_writes_once() {
        let a = vec![record("a", None), record("a", Some(0))];
        let b = vec![record("b", None)];
        let text_line = format!(
            "2026-11-27T10:00:01Z \u{1b}[33m WARN\u{1b}[0m kenny::coordinate: {NOT_WRITTEN} \u{1b}[3mcode\u{1b}[0m=\"timing_store_failed\" \u{1b}[3mrecords\u{1b}[0m\u{1b}[2m=\u{1b}[0m{}",
            serde_json::to_string(&a).unwrap()
        );
        let json_line = format!(
            "2026-11-27T10:00:02.000Z\treq-1\t{}",
            serde_json::json!({"level": "WARN", "fields": {"message": NOT_WRITTEN, "records": serde_json::to_string(&b).unwrap()}})
        );
        let log = format!("unrelated line\n{text_line}\n{json_line}\n{text_line}\n{NOT_WRITTEN} records=[{{broken\n");
        let found = records_in_log(&log);
        assert_eq!(found.records.len(), 3, "each record once: {found:?}");
        assert_eq!(found.unreadable_lines, 1);

        let store = MemoryStore::default();
        store.write(&[record("a", None)]).await.unwrap(); // partly written before the failure
        let first = replay(&store, found.clone()).await.unwrap();
        assert_eq!((first.found, first.already_stored, first.written), (3, 1, 2));
        let second = replay(&store, found).await.unwrap();
        assert_eq!((second.already_stored, second.written), (3, 0));
        assert_eq!(store.records().len(), 3);
    }
}
