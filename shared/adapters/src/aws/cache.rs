//! The shared cache (L2) in DynamoDB: `KENNY_CACHE=dynamodb://TABLE`.
//!
//! Table design (also in docs/caching.md and template.yaml):
//! - `pk` (S) = lowercase hex SHA-256 of the caller's key (which names the source, the calendar
//!   and, for windowed sources, the window): fixed length, and no source URL — a feed's secret
//!   path included — ever reaches the table;
//! - `sk` (N) = chunk index. An entry is the gzip of its [`SharedEntry`] JSON, split into chunks
//!   of at most [`CHUNK_BYTES`], one item each, so no item comes near DynamoDB's 400 KB limit;
//! - `data` (B) = the chunk; `chunks` (N) = how many chunks the entry has;
//! - `gen` (S) = random per put. A reader takes the count and the gen of chunk 0 and accepts only
//!   chunks of that gen, so two writers racing on one key never produce a mixed entry: a mix (or
//!   a missing chunk) reads as a miss. Chunk 0 is written last, so a reader that sees a new
//!   chunk 0 finds its other chunks already there;
//! - `expires_at` (N, epoch seconds) is the table's TTL attribute. DynamoDB deletes expired items
//!   lazily, so readers also treat an expired chunk 0 as absent.
//!
//! A get is one Query on `pk` (paginated; it stops as soon as it has the chunks chunk 0
//! announces) — never a Scan, never a GetItem per chunk — and decompression is bounded by
//! [`MAX_DECODED_BYTES`]. A put is BatchWriteItem in groups of at most 25 items, UnprocessedItems
//! retried with full-jitter backoff. An entry of more than [`MAX_CHUNKS`] chunks, or whose JSON
//! is over [`MAX_DECODED_BYTES`] (it could never be read back), is not stored: logged, not an
//! error. A put over a longer earlier entry leaves that entry's extra chunks behind; readers
//! ignore them (their index is past chunk 0's count) and the TTL removes them.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ScalarAttributeType};
use sha2::{Digest as _, Sha256};
use tracing::{debug, instrument, warn};

use crate::aws;
use kenny_domain::retry::Backoff;
use kenny_ports::cache::{CacheError, SharedCache, SharedEntry};

/// Largest chunk, bytes: with the key and the other attributes an item stays well under
/// DynamoDB's 400 KB item limit.
pub const CHUNK_BYTES: usize = 350_000;
/// Most chunks one entry may have (≈ 11 MB compressed); a larger entry is not stored.
pub const MAX_CHUNKS: usize = 32;
/// Largest JSON an entry may decompress to; a stored entry beyond it is `Corrupt`, and an entry
/// beyond it is not stored.
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;
/// Items per BatchWriteItem call (DynamoDB's limit).
const BATCH: usize = 25;
/// Most keys one BatchGetItem may ask for.
const BATCH_GET: usize = 100;

/// One DynamoDB item.
type Item = HashMap<String, AttributeValue>;

/// The DynamoDB shared cache.
#[derive(Debug, Clone)]
pub struct DynamoCache {
    client: aws_sdk_dynamodb::Client,
    table: String,
    backoff: Backoff,
    /// The current time in epoch seconds (injected so tests can read as of another time).
    now: fn() -> i64,
}

/// Opens the shared cache a `KENNY_CACHE` value names (only `dynamodb://TABLE` exists); the AWS
/// configuration is loaded once per process.
pub async fn open_shared(url: &str) -> Result<Arc<dyn SharedCache>, CacheError> {
    let table = table_of(url).ok_or_else(|| CacheError::UnknownStore(url.chars().take(200).collect()))?;
    let sdk = crate::aws::sdk_config().await;
    Ok(Arc::new(DynamoCache::new(sdk, table)))
}

/// The table a `dynamodb://TABLE` value names.
pub fn table_of(url: &str) -> Option<&str> {
    url.trim().strip_prefix("dynamodb://").filter(|t| !t.is_empty() && !t.contains('/'))
}

/// The partition key of a cache key: lowercase hex SHA-256.
pub fn partition_key(key: &str) -> String {
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(key.as_bytes()).iter() {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The TTL attribute's value: `now` plus `ttl` rounded up to whole seconds.
pub fn expires_at(now: i64, ttl: Duration) -> i64 {
    let secs = ttl.as_secs().saturating_add(u64::from(ttl.subsec_nanos() > 0));
    now.saturating_add(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// Size limits of an entry (the constants above; smaller in unit tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest chunk, bytes.
    pub chunk_bytes: usize,
    /// Most chunks.
    pub max_chunks: usize,
    /// Largest JSON, bytes.
    pub max_decoded: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { chunk_bytes: CHUNK_BYTES, max_chunks: MAX_CHUNKS, max_decoded: MAX_DECODED_BYTES }
    }
}

/// An entry ready to store, or why it will not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// The compressed JSON in chunks (at least one).
    Chunks(Vec<Vec<u8>>),
    /// Over a limit: the JSON's size, and the compressed size (0 when not compressed).
    TooLarge { json_bytes: usize, compressed_bytes: usize },
}

/// Serialises, compresses and splits `entry`.
pub fn encode(entry: &SharedEntry, limits: Limits) -> Result<Encoded, String> {
    let json = serde_json::to_vec(entry).map_err(|e| format!("encoding an entry: {e}"))?;
    if json.len() > limits.max_decoded {
        return Ok(Encoded::TooLarge { json_bytes: json.len(), compressed_bytes: 0 });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::default());
    gz.write_all(&json).map_err(|e| format!("compressing an entry: {e}"))?;
    let compressed = gz.finish().map_err(|e| format!("compressing an entry: {e}"))?;
    let chunk = limits.chunk_bytes.max(1);
    if compressed.len().div_ceil(chunk) > limits.max_chunks {
        return Ok(Encoded::TooLarge { json_bytes: json.len(), compressed_bytes: compressed.len() });
    }
    Ok(Encoded::Chunks(compressed.chunks(chunk).map(<[u8]>::to_vec).collect()))
}

/// The items of one put: chunk `i` at `sk = i`, each naming the count and the put's `gen`.
pub fn chunk_items(pk: &str, generation: &str, expires_at: i64, chunks: &[Vec<u8>]) -> Vec<Item> {
    chunks
        .iter()
        .enumerate()
        .map(|(i, data)| {
            HashMap::from([
                ("pk".to_string(), AttributeValue::S(pk.to_string())),
                ("sk".to_string(), AttributeValue::N(i.to_string())),
                ("data".to_string(), AttributeValue::B(Blob::new(data.clone()))),
                ("chunks".to_string(), AttributeValue::N(chunks.len().to_string())),
                ("gen".to_string(), AttributeValue::S(generation.to_string())),
                (aws::TTL_ATTRIBUTE.to_string(), AttributeValue::N(expires_at.to_string())),
            ])
        })
        .collect()
}

/// What a key's items amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// No chunk 0.
    Absent,
    /// Chunk 0 has expired (DynamoDB has not deleted it yet).
    Expired,
    /// A chunk chunk 0 announces is missing (a put in progress, or eventual consistency).
    Incomplete,
    /// A chunk belongs to another put than chunk 0 (writers raced).
    Mixed,
    /// The compressed entry, chunks joined in order.
    Whole(Vec<u8>),
}

fn number(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// Joins a key's items (any order; extra chunks of earlier puts allowed) as of `now` (epoch
/// seconds). An item without the attributes a chunk must have is an error.
pub fn assemble(items: &[Item], now: i64, max_chunks: usize) -> Result<Assembled, String> {
    let mut by_index = BTreeMap::new();
    for item in items {
        let index = number(item, "sk").ok_or("an item has no numeric sk")?;
        by_index.insert(index, item);
    }
    let Some(first) = by_index.get(&0) else {
        return Ok(Assembled::Absent);
    };
    let limit = i64::try_from(max_chunks).unwrap_or(i64::MAX);
    let count = number(first, "chunks").filter(|n| (1..=limit).contains(n)).ok_or("chunk 0 has no valid count")?;
    let generation = first.get("gen").and_then(|g| g.as_s().ok()).ok_or("chunk 0 has no gen")?;
    let expires = number(first, aws::TTL_ATTRIBUTE).ok_or("chunk 0 has no expires_at")?;
    if expires <= now {
        return Ok(Assembled::Expired);
    }
    let mut data = Vec::new();
    for i in 0..count {
        let Some(item) = by_index.get(&i) else {
            return Ok(Assembled::Incomplete);
        };
        if item.get("gen").and_then(|g| g.as_s().ok()) != Some(generation) {
            return Ok(Assembled::Mixed);
        }
        let chunk = item.get("data").and_then(|d| d.as_b().ok()).ok_or_else(|| format!("chunk {i} has no data"))?;
        data.extend_from_slice(chunk.as_ref());
    }
    Ok(Assembled::Whole(data))
}

/// Decompresses (at most `max_decoded` bytes) and decodes an entry.
pub fn decode(compressed: &[u8], max_decoded: usize) -> Result<SharedEntry, String> {
    let mut json = Vec::new();
    let cap = u64::try_from(max_decoded).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::GzDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut json)
        .map_err(|e| format!("decompressing: {e}"))?;
    if json.len() > max_decoded {
        return Err(format!("decompresses to more than {max_decoded} bytes"));
    }
    serde_json::from_slice(&json).map_err(|e| format!("decoding: {e}"))
}

/// Whether a Query on one key has read every chunk it needs: chunk 0 is missing (items come in
/// `sk` order, so it would have come first) or every chunk up to its count has been seen.
fn read_enough(items: &[Item]) -> bool {
    let Some(first) = items.first() else {
        return false;
    };
    if number(first, "sk") != Some(0) {
        return true;
    }
    let count = number(first, "chunks").unwrap_or(1);
    items.last().and_then(|i| number(i, "sk")).is_some_and(|last| last >= count - 1)
}

fn epoch_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What `create_table` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableCreated {
    /// Created; `ttl`: whether the server accepted the TTL setting.
    Created { ttl: bool },
    /// A table of that name already existed (left as it is).
    Existed,
}

/// Creates the cache table as template.yaml defines it (`pk` S + `sk` N, on-demand billing, TTL
/// on `expires_at` when the server supports UpdateTimeToLive) — for local DynamoDB-compatible
/// servers and tests; in AWS the stack creates it. An existing table is left as it is.
pub async fn create_table(sdk: &aws_config::SdkConfig, table: &str) -> Result<TableCreated, CacheError> {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let err = |e: aws::TableError| CacheError::Store { table: table.to_string(), message: e.to_string() };
    if !aws::create_table(&client, table, ScalarAttributeType::N).await.map_err(err)? {
        return Ok(TableCreated::Existed);
    }
    match aws::enable_ttl(&client, table).await {
        Ok(()) => Ok(TableCreated::Created { ttl: true }),
        Err(e) => {
            // Readers ignore expired entries either way; only the deletion is missing.
            warn!(table, error = %e, "the server did not enable TTL on expires_at");
            Ok(TableCreated::Created { ttl: false })
        }
    }
}

impl DynamoCache {
    /// A cache in `table` with a client built from `sdk` (clients are cheap, the config is not).
    pub fn new(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        DynamoCache {
            client: aws_sdk_dynamodb::Client::new(sdk),
            table: table.to_string(),
            backoff: Backoff { max_attempts: 4, base: Duration::from_millis(25), cap: Duration::from_millis(500) },
            now: epoch_seconds,
        }
    }

    /// The same cache with another clock (epoch seconds): for tests of expiry.
    pub fn with_clock(self, now: fn() -> i64) -> Self {
        DynamoCache { now, ..self }
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn store_err(&self, message: String) -> CacheError {
        CacheError::Store { table: self.table.clone(), message }
    }

    /// Every item under `pk` that a read needs, in `sk` order (one Query, paginated).
    async fn query(&self, pk: &str) -> Result<Vec<Item>, CacheError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.store_err(format!("Query: {}", DisplayErrorContext(&e))))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() && !read_enough(&items) => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `items` (at most [`BATCH`]) with BatchWriteItem, retrying UnprocessedItems and
    /// throttling with full-jitter backoff, a bounded number of times.
    async fn write_batch(&self, items: Vec<Item>) -> Result<(), CacheError> {
        let requests = aws::put_requests(items).map_err(|e| self.store_err(e.to_string()))?;
        super::batch_write(&self.client, &self.table, requests, &self.backoff)
            .await
            .map_err(|f| self.store_err(format!("{} ({} chunks unwritten)", f.message, f.unwritten)))
    }
}

impl DynamoCache {
    /// Which of `pks` have a chunk 0 that has not expired: BatchGetItem of chunk 0 alone, its
    /// `pk` and `expires_at` only, in groups of [`BATCH_GET`]; UnprocessedKeys asked again with
    /// full-jitter backoff a bounded number of times, then counted as not held.
    async fn live(&self, pks: &[String]) -> Result<std::collections::HashSet<String>, CacheError> {
        let now = (self.now)();
        let mut live = std::collections::HashSet::new();
        for group in pks.chunks(BATCH_GET) {
            let mut wanted: Vec<Item> = group
                .iter()
                .map(|pk| {
                    HashMap::from([
                        ("pk".to_string(), AttributeValue::S(pk.clone())),
                        ("sk".to_string(), AttributeValue::N("0".into())),
                    ])
                })
                .collect();
            let mut attempt = 0;
            while !wanted.is_empty() {
                let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(wanted))
                    .projection_expression("#p, #e")
                    .expression_attribute_names("#p", "pk")
                    .expression_attribute_names("#e", aws::TTL_ATTRIBUTE)
                    .build()
                    .map_err(|e| self.store_err(format!("BatchGetItem: {e}")))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(|e| self.store_err(format!("BatchGetItem: {}", DisplayErrorContext(&e))))?;
                let found = out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default();
                for item in found {
                    if number(&item, aws::TTL_ATTRIBUTE).is_some_and(|e| e > now)
                        && let Some(AttributeValue::S(pk)) = item.get("pk")
                    {
                        live.insert(pk.clone());
                    }
                }
                wanted =
                    out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
                attempt += 1;
                if !wanted.is_empty() {
                    if attempt >= self.backoff.max_attempts {
                        debug!(
                            unprocessed = wanted.len(),
                            "shared cache check: keys left unprocessed count as not held"
                        );
                        break;
                    }
                    tokio::time::sleep(self.backoff.delay(attempt - 1)).await;
                }
            }
        }
        Ok(live)
    }
}

#[async_trait]
impl SharedCache for DynamoCache {
    // The keys may hold a feed's secret path; only their count is logged.
    #[instrument(skip_all, fields(table = %self.table, keys = keys.len()))]
    async fn holds(&self, keys: &[String]) -> Result<Vec<bool>, CacheError> {
        let pks: Vec<String> = keys.iter().map(|k| partition_key(k)).collect();
        let live = self.live(&pks).await?;
        Ok(pks.iter().map(|pk| live.contains(pk)).collect())
    }

    // `skip_all`: the key may hold a feed's secret path; only its hash is logged.
    #[instrument(skip_all, fields(table = %self.table))]
    async fn get(&self, key: &str) -> Result<Option<SharedEntry>, CacheError> {
        let pk = partition_key(key);
        let items = self.query(&pk).await?;
        let corrupt = |message: String| CacheError::Corrupt { table: self.table.clone(), message };
        match assemble(&items, (self.now)(), MAX_CHUNKS).map_err(corrupt)? {
            Assembled::Whole(data) => decode(&data, MAX_DECODED_BYTES).map(Some).map_err(corrupt),
            other => {
                debug!(pk, outcome = ?other, "shared cache miss");
                Ok(None)
            }
        }
    }

    #[instrument(skip_all, fields(table = %self.table))]
    async fn put(&self, key: &str, entry: &SharedEntry, ttl: Duration) -> Result<(), CacheError> {
        let pk = partition_key(key);
        let chunks = match encode(entry, Limits::default()).map_err(|m| self.store_err(m))? {
            Encoded::Chunks(chunks) => chunks,
            Encoded::TooLarge { json_bytes, compressed_bytes } => {
                warn!(
                    pk,
                    json_bytes,
                    compressed_bytes,
                    max_chunks = MAX_CHUNKS,
                    chunk_bytes = CHUNK_BYTES,
                    "entry too large for the shared cache; not stored"
                );
                return Ok(());
            }
        };
        let generation = uuid::Uuid::new_v4().simple().to_string();
        let mut items = chunk_items(&pk, &generation, expires_at((self.now)(), ttl), &chunks);
        // The other chunks first, concurrently; chunk 0, which announces them, last.
        let first = items.remove(0);
        let rest = futures::future::join_all(items.chunks(BATCH).map(|group| self.write_batch(group.to_vec()))).await;
        rest.into_iter().collect::<Result<(), _>>()?;
        self.write_batch(vec![first]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_domain::sample::noise;
    use kenny_ports::sources::SkippedItem;

    fn entry(items: Vec<(String, String)>) -> SharedEntry {
        SharedEntry {
            version: Some("v1".into()),
            stored_at_ms: 1_790_000_000_000,
            items,
            skipped: vec![SkippedItem {
                collection: "work".into(),
                item: "bad.ics".into(),
                code: "malformed_item".into(),
                message: "no VEVENT".into(),
            }],
        }
    }

    fn small() -> Limits {
        Limits { chunk_bytes: 1_000, max_chunks: 4, max_decoded: 100_000 }
    }

    fn chunks_of(e: &SharedEntry, limits: Limits) -> Vec<Vec<u8>> {
        match encode(e, limits).unwrap() {
            Encoded::Chunks(c) => c,
            other => panic!("expected chunks, got {other:?}"),
        }
    }

    #[test]
    fn keys_are_hex_sha256() {
        assert_eq!(partition_key("hello world"), "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
        let pk = partition_key("https://example.com/secret/feed.ics\n/feed\n2026-12-01/2026-12-08");
        assert_eq!(pk.len(), 64);
        assert!(pk.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(partition_key("a\nb"), partition_key("a\nc"));
    }

    #[test]
    fn expiry_rounds_the_ttl_up_to_whole_seconds() {
        assert_eq!(expires_at(1_000, Duration::from_secs(300)), 1_300);
        assert_eq!(expires_at(1_000, Duration::from_millis(1_001)), 1_002);
        assert_eq!(expires_at(1_000, Duration::ZERO), 1_000);
        assert_eq!(expires_at(i64::MAX - 1, Duration::from_secs(u64::MAX)), i64::MAX);
    }

    #[test]
    fn a_small_entry_is_one_chunk_and_round_trips() {
        let e = entry(vec![("a.ics".into(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into())]);
        let chunks = chunks_of(&e, Limits::default());
        assert_eq!(chunks.len(), 1);
        let items = chunk_items("pk", "g1", 2_000, &chunks);
        let Assembled::Whole(data) = assemble(&items, 1_000, MAX_CHUNKS).unwrap() else { panic!("not whole") };
        assert_eq!(decode(&data, MAX_DECODED_BYTES).unwrap(), e);
    }

    #[test]
    fn a_large_entry_splits_into_bounded_chunks_and_joins_in_any_order() {
        let e = entry(vec![("n.ics".into(), noise(2_500, 7))]);
        let chunks = chunks_of(&e, small());
        assert!(chunks.len() > 1 && chunks.len() <= 4, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= 1_000));
        let mut items = chunk_items("pk", "g1", 2_000, &chunks);
        items.reverse();
        let Assembled::Whole(data) = assemble(&items, 1_000, 4).unwrap() else { panic!("not whole") };
        assert_eq!(decode(&data, 100_000).unwrap(), e);
    }

    #[test]
    fn entries_over_the_limits_are_not_stored() {
        let too_many_chunks = entry(vec![("n.ics".into(), noise(20_000, 9))]);
        assert!(matches!(
            encode(&too_many_chunks, small()).unwrap(),
            Encoded::TooLarge { compressed_bytes, .. } if compressed_bytes > 4_000
        ));
        // Compresses to almost nothing, but could not be read back under the decoded cap.
        let too_long = entry(vec![("z.ics".into(), "z".repeat(200_000))]);
        assert!(matches!(encode(&too_long, small()).unwrap(), Encoded::TooLarge { compressed_bytes: 0, .. }));
    }

    #[test]
    fn only_chunks_of_chunk_zeros_generation_are_accepted() {
        let e = entry(vec![("n.ics".into(), noise(2_500, 11))]);
        let chunks = chunks_of(&e, small());
        let mut items = chunk_items("pk", "g1", 2_000, &chunks);
        let other = chunk_items("pk", "g2", 2_000, &chunks);
        items[1] = other[1].clone();
        assert_eq!(assemble(&items, 1_000, 4).unwrap(), Assembled::Mixed);
        items.remove(1);
        assert_eq!(assemble(&items, 1_000, 4).unwrap(), Assembled::Incomplete);
        items.remove(0);
        assert_eq!(assemble(&items, 1_000, 4).unwrap(), Assembled::Absent);
        assert_eq!(assemble(&[], 1_000, 4).unwrap(), Assembled::Absent);
    }

    #[test]
    fn extra_chunks_of_a_longer_earlier_put_are_ignored() {
        let long = chunks_of(&entry(vec![("n.ics".into(), noise(2_500, 13))]), small());
        let short_entry = entry(vec![("a.ics".into(), "short".into())]);
        let short = chunks_of(&short_entry, small());
        assert!(long.len() > short.len());
        let mut items = chunk_items("pk", "old", 2_000, &long);
        for (i, item) in chunk_items("pk", "new", 2_000, &short).into_iter().enumerate() {
            items[i] = item;
        }
        let Assembled::Whole(data) = assemble(&items, 1_000, 4).unwrap() else { panic!("not whole") };
        assert_eq!(decode(&data, 100_000).unwrap(), short_entry);
    }

    #[test]
    fn expired_entries_read_as_absent() {
        let chunks = chunks_of(&entry(Vec::new()), Limits::default());
        let items = chunk_items("pk", "g", 2_000, &chunks);
        assert!(matches!(assemble(&items, 1_999, MAX_CHUNKS).unwrap(), Assembled::Whole(_)));
        assert_eq!(assemble(&items, 2_000, MAX_CHUNKS).unwrap(), Assembled::Expired);
        assert_eq!(assemble(&items, 9_999, MAX_CHUNKS).unwrap(), Assembled::Expired);
    }

    #[test]
    fn malformed_items_and_oversized_decompression_are_errors() {
        let chunks = chunks_of(&entry(Vec::new()), Limits::default());
        let mut items = chunk_items("pk", "g", 2_000, &chunks);
        items[0].insert("chunks".into(), AttributeValue::N("33".into()));
        assert!(assemble(&items, 1_000, MAX_CHUNKS).is_err(), "a count over the limit");
        items[0].remove("chunks");
        assert!(assemble(&items, 1_000, MAX_CHUNKS).is_err(), "no count");
        items[0].remove("sk");
        assert!(assemble(&items, 1_000, MAX_CHUNKS).is_err(), "no sk");

        let bomb = {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&vec![b' '; 100_001]).unwrap();
            gz.finish().unwrap()
        };
        assert!(decode(&bomb, 100_000).unwrap_err().contains("more than"));
        assert!(decode(b"not gzip", 100_000).is_err());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"not\": \"an entry\"}").unwrap();
        assert!(decode(&gz.finish().unwrap(), 100_000).unwrap_err().starts_with("decoding"));
    }

    #[test]
    fn a_read_stops_once_it_has_every_announced_chunk() {
        let chunks = chunks_of(&entry(vec![("n.ics".into(), noise(2_500, 17))]), small());
        let items = chunk_items("pk", "g", 2_000, &chunks);
        let n = items.len();
        assert!(!read_enough(&[]));
        assert!(!read_enough(&items[..n - 1]));
        assert!(read_enough(&items));
        assert!(read_enough(&items[1..]), "no chunk 0: nothing more to read");
    }

    #[test]
    fn only_dynamodb_urls_name_a_table() {
        assert_eq!(table_of("dynamodb://kenny-cache"), Some("kenny-cache"));
        for bad in ["", "dynamodb://", "dynamodb://a/b", "redis://x", "file:///tmp/x"] {
            assert_eq!(table_of(bad), None, "{bad}");
        }
    }
}
