//! Timing records in DynamoDB (`KENNY_TIMINGS=dynamodb://TABLE`).
//!
//! Table design (also in docs/operations.md § Timing records):
//! - partition key `pk` = `YYYY-MM-DD#S`: the UTC day the request started and a shard `S` in
//!   `0..SHARDS` from a hash of the request id, so one day's traffic spreads over `SHARDS`
//!   partitions instead of one hot one;
//! - sort key `sk` = `<start, RFC 3339 UTC with ms>#<request id>#<req | sNNN>`: records sort by
//!   time, and a request's records sit together;
//! - `expires_at` (epoch seconds) is the TTL attribute: records expire after [`RETENTION_DAYS`];
//! - a time window is read with one Query per (day, shard) — `pk = :day#S AND sk BETWEEN` — never
//!   a Scan.
//!
//! Writes are BatchWriteItem Puts of whole items keyed by the request, so writing the same
//! records twice (a retry, a replay) leaves one copy. UnprocessedItems are retried with
//! full-jitter backoff; what still fails is returned so the caller logs it for replay.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType, WriteRequest};
use chrono::{DateTime, Days, Utc};
use futures::StreamExt;

use crate::aws;
use kenny_domain::retry::Backoff;
use kenny_ports::timing::{TimingError, TimingRecord, TimingStore, instant, keep_newest, sort_key};

/// Partitions one day's records are spread over.
pub const SHARDS: u32 = 4;
/// Days a record is kept before DynamoDB's TTL removes it.
pub const RETENTION_DAYS: i64 = 30;
/// Items per BatchWriteItem call (DynamoDB's limit).
const BATCH: usize = 25;
/// Queries in flight at once when reading a window.
const QUERY_CONCURRENCY: usize = 8;

/// The DynamoDB timing store.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    backoff: Backoff,
}

/// FNV-1a: a stable hash (the standard library's is randomised per process).
fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// The partition key of a record.
pub fn partition_key(r: &TimingRecord) -> String {
    format!("{}#{}", r.at.format("%Y-%m-%d"), fnv1a(&r.request_id) % SHARDS)
}

impl DynamoStore {
    /// A store writing to `table` with a client built from the process's SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        DynamoStore {
            client: aws_sdk_dynamodb::Client::new(sdk),
            table: table.to_string(),
            backoff: Backoff {
                max_attempts: 6,
                base: std::time::Duration::from_millis(50),
                cap: std::time::Duration::from_secs(2),
            },
        }
    }

    /// Creates the table as template.yaml defines it (keys, on-demand billing, TTL) — for local
    /// DynamoDB-compatible servers; in AWS the stack creates it. An existing table is left as is.
    pub async fn create_table(&self) -> Result<bool, TimingError> {
        let err = |e: aws::TableError| self.err(e.to_string(), 0);
        if !aws::create_table(&self.client, &self.table, ScalarAttributeType::S).await.map_err(err)? {
            return Ok(false);
        }
        aws::enable_ttl(&self.client, &self.table).await.map_err(err)?;
        Ok(true)
    }

    fn err(&self, message: String, unwritten: usize) -> TimingError {
        TimingError::Dynamo { table: self.table.clone(), message, unwritten }
    }

    fn item(&self, r: &TimingRecord) -> Result<HashMap<String, AttributeValue>, TimingError> {
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(r).map_err(|e| self.err(format!("encoding a record: {e}"), 1))?;
        item.insert("pk".into(), AttributeValue::S(partition_key(r)));
        item.insert("sk".into(), AttributeValue::S(sort_key(r)));
        let expires = r.at.timestamp() + RETENTION_DAYS * 86_400;
        item.insert(aws::TTL_ATTRIBUTE.into(), AttributeValue::N(expires.to_string()));
        Ok(item)
    }

    async fn write_batch(&self, requests: Vec<WriteRequest>) -> Result<(), TimingError> {
        super::batch_write(&self.client, &self.table, requests, &self.backoff)
            .await
            .map_err(|f| self.err(f.message, f.unwritten))
    }

    async fn query_partition(&self, pk: String, from: &str, to: &str) -> Result<Vec<TimingRecord>, TimingError> {
        self.query_partition_ordered(pk, from, to, None).await
    }

    /// One partition's records in `[from, to]`: all of them in sort-key order, or, with `newest`,
    /// newest first and about that many (pages stop once they hold enough; the last page may
    /// hold more).
    async fn query_partition_ordered(
        &self,
        pk: String,
        from: &str,
        to: &str,
        newest: Option<usize>,
    ) -> Result<Vec<TimingRecord>, TimingError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page_limit = newest.map(|n| i32::try_from(n.saturating_sub(out.len()).clamp(1, 1000)).unwrap_or(1000));
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":from", AttributeValue::S(from.to_string()))
                .expression_attribute_values(":to", AttributeValue::S(to.to_string()))
                .set_scan_index_forward(newest.map(|_| false))
                .set_limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.err(format!("Query: {}", aws_sdk_dynamodb::error::DisplayErrorContext(&e)), 0))?;
            for item in page.items.unwrap_or_default() {
                let r: TimingRecord =
                    serde_dynamo::from_item(item).map_err(|e| self.err(format!("decoding a record: {e}"), 0))?;
                out.push(r);
            }
            if newest.is_some_and(|n| out.len() >= n) {
                return Ok(out);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl TimingStore for DynamoStore {
    async fn write(&self, records: &[TimingRecord]) -> Result<(), TimingError> {
        let items = records.iter().map(|r| self.item(r)).collect::<Result<Vec<_>, _>>()?;
        let requests: Vec<WriteRequest> = aws::put_requests(items).map_err(|e| self.err(e.to_string(), 1))?;
        let results = futures::future::join_all(requests.chunks(BATCH).map(|c| self.write_batch(c.to_vec()))).await;
        let unwritten: usize = results
            .iter()
            .map(|r| match r {
                Err(TimingError::Dynamo { unwritten, .. }) => *unwritten,
                Err(_) => BATCH,
                Ok(()) => 0,
            })
            .sum();
        match results.into_iter().find_map(Result::err) {
            Some(TimingError::Dynamo { message, .. }) => Err(self.err(message, unwritten)),
            Some(other) => Err(other),
            None => Ok(()),
        }
    }

    async fn query(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<TimingRecord>, TimingError> {
        if until <= since {
            return Ok(Vec::new());
        }
        let (from, to) = (instant(since), instant(until));
        let mut partitions = Vec::new();
        let mut day = since.date_naive();
        let last = until.date_naive();
        while day <= last && partitions.len() < 400 * SHARDS as usize {
            for shard in 0..SHARDS {
                partitions.push(format!("{}#{shard}", day.format("%Y-%m-%d")));
            }
            match day.checked_add_days(Days::new(1)) {
                Some(d) => day = d,
                None => break,
            }
        }
        let pages: Vec<_> =
            futures::stream::iter(partitions.into_iter().map(|pk| self.query_partition(pk, &from, &to)))
                .buffer_unordered(QUERY_CONCURRENCY)
                .collect()
                .await;
        let mut out = Vec::new();
        for p in pages {
            out.extend(p?.into_iter().filter(|r| r.at >= since && r.at < until));
        }
        out.sort_by(|a, b| (a.at, &a.request_id, a.step).cmp(&(b.at, &b.request_id, b.step)));
        Ok(out)
    }

    /// Newest first, one UTC day at a time: each day's shards are queried concurrently in
    /// descending sort-key order for at most the records still wanted (plus one, to know whether
    /// older ones exist), and the walk stops as soon as enough are held. Every shard's newest `n`
    /// include the day's newest `n`, and days do not overlap in time, so what is kept is exactly
    /// the window's newest records. Still one Query per (day, shard) and never a Scan.
    async fn query_recent(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<TimingRecord>, bool), TimingError> {
        if until <= since {
            return Ok((Vec::new(), false));
        }
        let (from, to) = (instant(since), instant(until));
        let first = since.date_naive();
        let mut day = until.date_naive();
        let mut out = Vec::new();
        let mut days = 0;
        while day >= first && out.len() <= limit && days < 400 {
            let want = limit + 1 - out.len();
            let name = day.format("%Y-%m-%d").to_string();
            let shards = (0..SHARDS)
                .map(|shard| self.query_partition_ordered(format!("{name}#{shard}"), &from, &to, Some(want)));
            for records in futures::future::join_all(shards).await {
                out.extend(records?.into_iter().filter(|r| r.at >= since && r.at < until));
            }
            days += 1;
            match day.pred_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        Ok(keep_newest(out, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_ports::timing::RecordKind;

    fn rec(id: &str, step: Option<usize>) -> TimingRecord {
        TimingRecord {
            request_id: id.into(),
            kind: if step.is_some() { RecordKind::Step } else { RecordKind::Request },
            capability: "coordinate".into(),
            step,
            at: "2026-11-27T10:00:00.123Z".parse().unwrap(),
            start_ms: 0.0,
            duration_ms: 1.0,
            status: "ok".into(),
            ..TimingRecord::default()
        }
    }

    #[test]
    fn keys_sort_by_time_and_spread_over_shards() {
        assert_eq!(sort_key(&rec("r1", None)), "2026-11-27T10:00:00.123Z#r1#req");
        assert_eq!(sort_key(&rec("r1", Some(7))), "2026-11-27T10:00:00.123Z#r1#s007");
        assert!(partition_key(&rec("r1", None)).starts_with("2026-11-27#"));
        assert_eq!(
            partition_key(&rec("r1", None)),
            partition_key(&rec("r1", Some(3))),
            "a request's records share a partition"
        );
        let shards: std::collections::HashSet<_> =
            (0..100).map(|i| partition_key(&rec(&format!("req-{i}"), None))).collect();
        assert_eq!(shards.len(), SHARDS as usize);
    }
}
