//! The shared cache (L2) against a DynamoDB-compatible server (moto, on a free loopback port,
//! one per test): round trips, entries split into chunks, entries over the chunk limit skipped,
//! expiry read as a miss before DynamoDB deletes anything, racing writers (a mixed entry) read
//! as a miss, keys that never collide and a table that holds neither keys nor item texts in
//! clear, and `kenny cache create-table`. The SDK configuration is built for the server here;
//! the process environment is never touched.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use kenny::adapters::aws::cache::{CHUNK_BYTES, DynamoCache, MAX_CHUNKS, TableCreated, create_table, partition_key};
use kenny::domain::sample::noise;
use kenny::ports::cache::SharedCache as _;
use kenny::ports::cache::SharedEntry;
use kenny::ports::sources::SkippedItem;
use kenny_tests::{LOCAL_AWS, Server, kenny, moto};

const TTL: Duration = Duration::from_secs(300);

async fn sdk(moto: &Server) -> aws_config::SdkConfig {
    kenny_tests::aws_at(&moto.url()).await
}

/// A cache on a fresh table of its own, and a raw client for looking at the table.
async fn cache(moto: &Server, table: &str) -> (DynamoCache, aws_sdk_dynamodb::Client) {
    let sdk = sdk(moto).await;
    assert_eq!(create_table(&sdk, table).await.unwrap(), TableCreated::Created { ttl: true });
    (DynamoCache::new(&sdk, table), aws_sdk_dynamodb::Client::new(&sdk))
}

fn entry(version: &str, items: Vec<(String, String)>) -> SharedEntry {
    SharedEntry {
        version: Some(version.into()),
        stored_at_ms: 1_795_000_000_000,
        items,
        skipped: vec![SkippedItem {
            collection: "work".into(),
            item: "broken.ics".into(),
            code: "malformed_item".into(),
            message: "no VEVENT".into(),
        }],
    }
}

/// An entry of `items` events whose descriptions are `bytes_each` of noise.
fn noisy_entry(items: usize, bytes_each: usize, seed: u64) -> SharedEntry {
    let items = (0..items)
        .map(|i| {
            let text = format!(
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:n{i}\r\nDESCRIPTION:{}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                noise(bytes_each, seed + i as u64)
            );
            (format!("n{i}.ics"), text)
        })
        .collect();
    entry("noisy", items)
}

/// Every item stored under `key`, in chunk order (a Query, as the cache itself reads).
async fn items_of(client: &aws_sdk_dynamodb::Client, table: &str, key: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition_key(key)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        out.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return out,
        }
    }
}

/// The whole table (a Scan: in this test only, to look at everything stored).
async fn scan(client: &aws_sdk_dynamodb::Client, table: &str) -> Vec<HashMap<String, AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client.scan().table_name(table).set_exclusive_start_key(start).send().await.unwrap();
        out.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return out,
        }
    }
}

fn n(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item[name].as_n().unwrap().parse().unwrap()
}

fn s<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    item[name].as_s().unwrap()
}

#[tokio::test]
async fn entries_round_trip_whole_or_in_chunks_and_overwrite() {
    let moto = moto();
    let table = "kenny-cache-round-trip";
    let (cache, client) = cache(&moto, table).await;

    assert_eq!(cache.get("never stored").await.unwrap(), None);
    let small = entry("v1", vec![("a.ics".into(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into())]);
    cache.put("source\n/cal/work/", &small, TTL).await.unwrap();
    assert_eq!(cache.get("source\n/cal/work/").await.unwrap(), Some(small.clone()));
    assert_eq!(items_of(&client, table, "source\n/cal/work/").await.len(), 1, "a small entry is one item");

    // About 2 MB of text that compresses poorly: several chunks, each within the limit.
    let big = noisy_entry(200, 10_000, 1);
    cache.put("source\n/cal/big/", &big, TTL).await.unwrap();
    let items = items_of(&client, table, "source\n/cal/big/").await;
    assert!(items.len() > 3 && items.len() <= MAX_CHUNKS, "{} chunks", items.len());
    let generation = s(&items[0], "gen");
    for (i, item) in items.iter().enumerate() {
        assert_eq!(n(item, "sk"), i as i64);
        assert_eq!(n(item, "chunks"), items.len() as i64);
        assert_eq!(s(item, "gen"), generation, "one put, one generation");
        assert!(item["data"].as_b().unwrap().as_ref().len() <= CHUNK_BYTES);
    }
    assert_eq!(cache.get("source\n/cal/big/").await.unwrap(), Some(big));

    // A smaller entry over a larger one: the earlier put's extra chunks stay until the TTL
    // removes them, and are ignored.
    let replaced = entry("v2", vec![("b.ics".into(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into())]);
    cache.put("source\n/cal/big/", &replaced, TTL).await.unwrap();
    assert!(items_of(&client, table, "source\n/cal/big/").await.len() > 1);
    assert_eq!(cache.get("source\n/cal/big/").await.unwrap(), Some(replaced));
}

#[tokio::test]
async fn oversized_expired_and_mixed_entries_read_as_misses() {
    let moto = moto();
    let table = "kenny-cache-misses";
    let (cache, client) = cache(&moto, table).await;

    // Over 32 chunks of 350,000 bytes once compressed (~14.5 MB of noise): not stored, no error.
    let huge = noisy_entry(29, 500_000, 2);
    cache.put("huge", &huge, TTL).await.unwrap();
    assert_eq!(cache.get("huge").await.unwrap(), None);
    assert!(items_of(&client, table, "huge").await.is_empty(), "nothing was written");

    // Stored as of an hour ago for a minute: expired, though DynamoDB has not deleted it.
    fn an_hour_ago() -> i64 {
        chrono::Utc::now().timestamp() - 3_600
    }
    let past = cache.clone().with_clock(an_hour_ago);
    let old = entry("v1", vec![("a.ics".into(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into())]);
    past.put("old", &old, Duration::from_secs(60)).await.unwrap();
    assert_eq!(items_of(&client, table, "old").await.len(), 1, "the items are still there");
    assert_eq!(past.get("old").await.unwrap(), Some(old), "as of then, a hit");
    assert_eq!(cache.get("old").await.unwrap(), None, "as of now, a miss");

    // Two writers raced: chunk 1 comes from another put than chunk 0.
    let raced = noisy_entry(100, 10_000, 3);
    cache.put("raced", &raced, TTL).await.unwrap();
    assert_eq!(cache.get("raced").await.unwrap(), Some(raced));
    let mut chunk = items_of(&client, table, "raced").await.remove(1);
    chunk.insert("gen".into(), AttributeValue::S("another-writer".into()));
    client.put_item().table_name(table).set_item(Some(chunk)).send().await.unwrap();
    assert_eq!(cache.get("raced").await.unwrap(), None, "a mixed entry is a miss");

    // A chunk 0 that is not a cache item is corrupt (the caller treats it as a miss).
    let forged = HashMap::from([
        ("pk".to_string(), AttributeValue::S(partition_key("forged"))),
        ("sk".to_string(), AttributeValue::N("0".into())),
        ("data".to_string(), AttributeValue::B(b"not gzip".to_vec().into())),
        ("chunks".to_string(), AttributeValue::N("1".into())),
        ("gen".to_string(), AttributeValue::S("g".into())),
        ("expires_at".to_string(), AttributeValue::N((chrono::Utc::now().timestamp() + 600).to_string())),
    ]);
    client.put_item().table_name(table).set_item(Some(forged)).send().await.unwrap();
    let err = cache.get("forged").await.unwrap_err();
    assert!(matches!(err, kenny::ports::cache::CacheError::Corrupt { .. }), "{err}");

    // Which keys hold an entry, asked at once without reading them: an expired one does not, a
    // mixed or unreadable one does (its read is then a miss), an absent one does not; 150 keys
    // take two BatchGetItem groups.
    let mut keys: Vec<String> = ["old", "raced", "forged", "never"].map(String::from).to_vec();
    assert_eq!(cache.holds(&keys).await.unwrap(), vec![false, true, true, false]);
    assert_eq!(past.holds(&keys).await.unwrap(), vec![true, true, true, false], "as of an hour ago");
    keys.extend((0..146).map(|i| format!("absent-{i}")));
    let held = cache.holds(&keys).await.unwrap();
    assert_eq!(held.len(), 150);
    assert_eq!(held.iter().filter(|h| **h).count(), 2);
}

#[tokio::test]
async fn keys_never_collide_and_the_table_holds_no_key_or_item_text() {
    let moto = moto();
    let table = "kenny-cache-privacy";
    let (cache, client) = cache(&moto, table).await;
    let secret = "private-7f3c9a5e01";
    let source = format!("https://calendar.example.org/{secret}/basic.ics");
    // Keys as the calendar cache makes them: source, calendar, and windows a day apart.
    let keys: Vec<String> = (1..=28)
        .map(|d| format!("{source}\n/work/\n2026-02-{d:02}T00:00:00+00:00/2026-02-{:02}T00:00:00+00:00", d + 1))
        .chain(["a\nb".to_string(), "a\nb\n".to_string(), "a\n\nb".to_string(), String::new()])
        .collect();
    let text = |i: usize| {
        format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:{i}@example.org\r\nSUMMARY:Board meeting number {i} with \
             Sarah Connor\r\nLOCATION:Room {i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    for (i, key) in keys.iter().enumerate() {
        cache.put(key, &entry(&format!("v{i}"), vec![(format!("{i}.ics"), text(i))]), TTL).await.unwrap();
    }
    for (i, key) in keys.iter().enumerate() {
        let got = cache.get(key).await.unwrap().unwrap_or_else(|| panic!("key {i} missed"));
        assert_eq!(got.items, vec![(format!("{i}.ics"), text(i))], "key {i} reads its own entry");
    }

    let items = scan(&client, table).await;
    let pks: std::collections::BTreeSet<&str> = items.iter().map(|i| s(i, "pk")).collect();
    assert_eq!(pks.len(), keys.len(), "one partition per key");
    for pk in &pks {
        assert!(pk.len() == 64 && pk.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{pk}");
    }
    let mut needles: Vec<String> =
        vec![secret.into(), "calendar.example".into(), "Sarah".into(), "Board meeting".into(), "/work/".into()];
    needles.extend(keys.iter().filter(|k| k.len() > 4).cloned());
    for item in &items {
        for (name, value) in item {
            let bytes: &[u8] = match value {
                AttributeValue::S(v) | AttributeValue::N(v) => v.as_bytes(),
                AttributeValue::B(b) => b.as_ref(),
                other => panic!("unexpected attribute {name}: {other:?}"),
            };
            for needle in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "attribute {name} holds {needle:?} in clear"
                );
            }
        }
    }
}

#[tokio::test]
async fn kenny_cache_create_table_creates_the_table_the_cache_uses() {
    let moto = moto();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = moto.url();
    let mut env: Vec<(&str, &str)> = LOCAL_AWS.to_vec();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", &endpoint));
    env.push(("KENNY_CACHE", "dynamodb://kenny-cache-cli"));

    let run = kenny(dir.path(), &["cache", "create-table"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("created table kenny-cache-cli"), "{run:?}");
    let again = kenny(dir.path(), &["cache", "create-table"], &env);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("already exists"), "{again:?}");

    let client = aws_sdk_dynamodb::Client::new(&sdk(&moto).await);
    let described = client.describe_table().table_name("kenny-cache-cli").send().await.unwrap();
    let t = described.table.unwrap();
    let keys: Vec<(String, String)> =
        t.key_schema().iter().map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string())).collect();
    assert_eq!(keys, [("pk".to_string(), "HASH".to_string()), ("sk".to_string(), "RANGE".to_string())]);
    let mut types: Vec<(String, String)> = t
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name().to_string(), a.attribute_type().as_str().to_string()))
        .collect();
    types.sort();
    assert_eq!(types, [("pk".to_string(), "S".to_string()), ("sk".to_string(), "N".to_string())]);
    let ttl = client.describe_time_to_live().table_name("kenny-cache-cli").send().await.unwrap();
    let ttl = ttl.time_to_live_description.unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    // The cache works on the table the command made.
    let cache = DynamoCache::new(&sdk(&moto).await, "kenny-cache-cli");
    let e = entry("v1", Vec::new());
    cache.put("k", &e, TTL).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(e));

    // Anything but dynamodb://TABLE is bad input.
    let mut wrong = env.clone();
    wrong.retain(|(k, _)| *k != "KENNY_CACHE");
    wrong.push(("KENNY_CACHE", "redis://cache"));
    let bad = kenny(dir.path(), &["cache", "create-table"], &wrong);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("dynamodb://TABLE"), "{bad:?}");
}
