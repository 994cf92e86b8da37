//! Timing records under DynamoDB faults: the real store (the AWS SDK's DynamoDB client and our
//! BatchWriteItem loop) against a server that throttles, returns UnprocessedItems, or is not
//! there. Every record ends up in the table or in the replayable log line, and
//! `kenny timings replay` writes logged records back without duplicating any.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use kenny::adapters::aws::timing::DynamoStore;
use kenny::ports::timing::TimingStore as _;
use kenny::ports::timing::{RecordKind, TimingRecord};
use kenny_tests::{LOCAL_AWS, Mode, Reply, Responder, hostile, kenny, moto};
use serde_json::{Value, json};

const TABLE: &str = "kenny-timings-faults";
const JSON: &str = "application/x-amz-json-1.0";

fn records(id: &str) -> Vec<TimingRecord> {
    let at = "2026-11-27T15:00:00Z".parse().unwrap();
    let request = TimingRecord {
        request_id: id.into(),
        kind: RecordKind::Request,
        capability: "coordinate".into(),
        at,
        status: "ok".into(),
        ..TimingRecord::default()
    };
    let step = |i| TimingRecord {
        kind: RecordKind::Step,
        step: Some(i),
        capability: "calendar.read".into(),
        ..request.clone()
    };
    vec![request.clone(), step(0), step(1)]
}

async fn store_at(url: &str) -> DynamoStore {
    DynamoStore::new(&kenny_tests::aws_at(url).await, TABLE)
}

/// The WriteRequests of a BatchWriteItem body.
fn write_requests(body: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["RequestItems"][TABLE].as_array().cloned().unwrap_or_default()
}

/// The `sk` of each WriteRequest (what identifies a record in the table).
fn sort_keys(requests: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> =
        requests.iter().map(|r| r["PutRequest"]["Item"]["sk"]["S"].as_str().unwrap().to_string()).collect();
    keys.sort();
    keys
}

fn throttled() -> Reply {
    Reply::new(
        400,
        JSON,
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate exceeded"}"#,
    )
}

fn unprocessed(requests: &[Value]) -> Reply {
    Reply::new(200, JSON, json!({"UnprocessedItems": {TABLE: requests}}).to_string())
}

#[test]
fn throttling_and_unprocessed_items_are_retried_until_every_record_is_written() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Throttled twice, then accepted.
        let server =
            hostile(Mode::Respond(Responder(Arc::new(
                |n, _, _| {
                    if n < 2 { throttled() } else { Reply::new(200, JSON, "{}") }
                },
            ))));
        store_at(&server.url()).await.write(&records("t")).await.unwrap();
        let bodies = server.bodies();
        assert_eq!(bodies.len(), 3, "two throttled attempts, one accepted");
        assert_eq!(sort_keys(&write_requests(&bodies[2])).len(), 3);

        // The first answer leaves the last item unprocessed; the retry sends exactly that one.
        let server = hostile(Mode::Respond(Responder(Arc::new(|n, _, body| {
            let requests = write_requests(body);
            if n == 0 { unprocessed(&requests[requests.len() - 1..]) } else { Reply::new(200, JSON, "{}") }
        }))));
        store_at(&server.url()).await.write(&records("u")).await.unwrap();
        let bodies = server.bodies();
        assert_eq!(bodies.len(), 2);
        let first = write_requests(&bodies[0]);
        assert_eq!(write_requests(&bodies[1]), first[2..].to_vec(), "only the unprocessed item is sent again");

        // Never processed: the write fails, saying how many records were left unwritten.
        let server = hostile(Mode::Respond(Responder(Arc::new(|_, _, body| unprocessed(&write_requests(body))))));
        let err = store_at(&server.url()).await.write(&records("never")).await.unwrap_err();
        assert!(matches!(err, kenny::ports::timing::TimingError::Dynamo { unwritten: 3, .. }), "{err:?}");
        assert!(server.requests() > 1, "retried before giving up");
    });
}

/// `kenny ask` with the timings table behind `endpoint`: the answer, and the log on stderr.
fn ask_with_timings_at(dir: &std::path::Path, endpoint: &str) -> (Value, String) {
    let mut env: Vec<(&str, &str)> = LOCAL_AWS.to_vec();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", endpoint));
    let timings = format!("dynamodb://{TABLE}");
    env.push(("KENNY_TIMINGS", &timings));
    let question = "what meetings do I have with Sarah and Tom next week?";
    let out = kenny(dir, &["ask", question, "--now", "2026-11-27T10:00:00-05:00", "--json"], &env);
    assert_eq!(out.code, 0, "the answer does not depend on the record: {}{}", out.stdout, out.stderr);
    (out.json(), out.stderr)
}

#[test]
fn records_a_throttled_or_unreachable_table_refused_are_logged_and_replayed_once() {
    let dir = tempfile::tempdir().unwrap();
    // A table that always throttles, and one that is not there at all.
    let throttling = hostile(Mode::Respond(Responder(Arc::new(|_, _, _| throttled()))));
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (a, log_a) = ask_with_timings_at(dir.path(), &throttling.url());
    let (b, log_b) = ask_with_timings_at(dir.path(), &closed);
    assert!(throttling.requests() > 1, "the throttled write was retried");
    for (answer, log) in [(&a, &log_a), (&b, &log_b)] {
        assert_eq!(answer["degraded"], false, "{answer}");
        assert!(log.contains(kenny::ports::timing::NOT_WRITTEN), "{log}");
    }
    let log_file = dir.path().join("coordinate.log");
    std::fs::write(&log_file, format!("{log_a}{log_b}")).unwrap();

    // Replay into a real table (moto): every record of both requests, once.
    let moto = moto();
    let mut env: Vec<(&str, &str)> = LOCAL_AWS.to_vec();
    let endpoint = moto.url();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", &endpoint));
    let timings = format!("dynamodb://{TABLE}");
    env.push(("KENNY_TIMINGS", &timings));
    assert_eq!(kenny(dir.path(), &["timings", "create-table"], &env).code, 0);
    let file = log_file.to_str().unwrap();
    let first = kenny(dir.path(), &["timings", "replay", file, "--json"], &env);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let steps = |r: &Value| r["timings"]["steps"].as_array().unwrap().len();
    let expected = 2 + steps(&a) + steps(&b);
    let summary = first.json();
    assert_eq!(
        (summary["found"].as_u64(), summary["written"].as_u64()),
        (Some(expected as u64), Some(expected as u64))
    );
    let again = kenny(dir.path(), &["timings", "replay", file, "--json"], &env).json();
    assert_eq!((again["already_stored"].as_u64(), again["written"].as_u64()), (Some(expected as u64), Some(0)));

    let rt = tokio::runtime::Runtime::new().unwrap();
    let stored = rt.block_on(async {
        let since = chrono::Utc::now() - chrono::Duration::hours(1);
        store_at(&moto.url()).await.query(since, chrono::Utc::now()).await.unwrap()
    });
    let mut ids: Vec<&str> = stored.iter().map(|r| r.request_id.as_str()).collect();
    ids.dedup();
    assert_eq!(stored.len(), expected, "no duplicates: {stored:?}");
    for answer in [&a, &b] {
        assert!(ids.contains(&answer["timings"]["request_id"].as_str().unwrap()));
    }
}
