//! The real serverless path, locally: the three functions under `cargo lambda watch` (its
//! runtime and Invoke API), `coordinate` invoking its siblings through that Invoke API, and
//! timing records in a DynamoDB-compatible server (moto), read back by the report. Every server is started on a free
//! loopback port and stopped by the test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use kenny::ports::timing::TimingStore as _;
use kenny_tests::{LOCAL_AWS, Server, invoke, kenny, moto, watch};
use serde_json::{Value, json};

const QUESTION: &str = "what meetings do I have with Sarah and Tom next week?";
const NOW: &str = "2026-11-27T10:00:00-05:00";
const TZ: &str = "America/New_York";

fn fixture(name: &str) -> Value {
    let path = kenny_tests::workspace().join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ask() -> Value {
    json!({"question": QUESTION, "now": NOW, "timezone": TZ})
}

/// The two contact steps ran at the same time, and beside them the window's fetch, each through
/// the Invoke API.
fn assert_concurrent_lambda_steps(t: &Value) {
    assert_eq!(t["max_in_flight"], 3, "{t}");
    let steps = t["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["transport"] == "lambda"), "{t}");
    let span = |s: &Value| {
        let start = s["start_ms"].as_f64().unwrap();
        (start, start + s["duration_ms"].as_f64().unwrap())
    };
    let ((a0, a1), (b0, b1), (f0, _)) = (span(&steps[0]), span(&steps[1]), span(&steps[2]));
    assert!(a0 < b1 && b0 < a1, "contact steps overlap: {t}");
    assert!(f0 < a1 && f0 < b1, "the fetch starts while the people are resolved: {t}");
}

async fn store(moto: &Server, table: &str) -> kenny::adapters::aws::timing::DynamoStore {
    kenny::adapters::aws::timing::DynamoStore::new(&kenny_tests::aws_at(&moto.url()).await, table)
}

async fn records(moto: &Server, table: &str, request_id: &str) -> Vec<kenny::ports::timing::TimingRecord> {
    let store = store(moto, table).await;
    let now = chrono::Utc::now();
    let all = store.query(now - chrono::Duration::minutes(30), now + chrono::Duration::minutes(5)).await.unwrap();
    all.into_iter().filter(|r| r.request_id == request_id).collect()
}

#[test]
fn questions_through_the_local_lambda_path_match_the_cli_and_are_recorded_in_dynamodb() {
    let moto = moto();
    let table = "kenny-timings-it";
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(&str, String)> = LOCAL_AWS.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", moto.url()));
    env.push(("KENNY_TIMINGS", format!("dynamodb://{table}")));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = kenny(dir.path(), &["timings", "create-table"], &env_ref);
    assert_eq!(created.code, 0, "{}{}", created.stdout, created.stderr);
    let again = kenny(dir.path(), &["timings", "create-table"], &env_ref);
    assert!(again.stdout.contains("already exists"), "{}", again.stdout);

    let w = watch(&env, 4);
    kenny_tests::warm_up(&w);
    let (status, function_error, lambda) = invoke(&w, "coordinate", &ask());
    assert_eq!((status, function_error), (200, None), "{lambda}\n{}", w.output());
    let cli = kenny(dir.path(), &["ask", QUESTION, "--now", NOW, "--tz", TZ, "--json"], &[]).json();
    assert_eq!(lambda["answer"], cli["answer"], "the Lambda path answers exactly as the CLI");
    assert!(!lambda["answer"]["events"].as_array().unwrap().is_empty());
    assert_eq!(lambda["degraded"], false);
    assert_concurrent_lambda_steps(&lambda["timings"]);

    // The records are in the table, read back by the window Query, and hold no personal data.
    let id = lambda["timings"]["request_id"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let recs = rt.block_on(records(&moto, table, &id));
    assert_eq!(recs.len(), 5, "one request record and four step records: {recs:?}");
    assert_eq!(recs[0].kind, kenny::ports::timing::RecordKind::Request);
    assert_eq!(recs[0].max_in_flight, Some(3));
    assert!(recs[1..].iter().all(|r| r.transport.as_deref() == Some("lambda")));
    // Writing the same records again (a retry, a replay) leaves one copy of each.
    rt.block_on(async { store(&moto, table).await.write(&recs).await }).unwrap();
    assert_eq!(rt.block_on(records(&moto, table, &id)), recs);

    // The same records through the CLI, as a person checks the local table.
    let shown = kenny(dir.path(), &["timings", "show", "--since", "30m", "--json"], &env_ref);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let listed = shown.json();
    assert_eq!(listed.as_array().unwrap().iter().filter(|r| r["request_id"] == id.as_str()).count(), 5);
    let text = serde_json::to_string(&recs).unwrap();
    for word in ["Sarah", "Tom", "northwind", "meetings"] {
        assert!(!text.contains(word), "no personal data in timing records ({word})");
    }

    // A sequential run of the same request: one step at a time, same answer.
    let mut seq = ask();
    seq["sequential"] = json!(true);
    let (_, _, s) = invoke(&w, "coordinate", &seq);
    assert_eq!(s["timings"]["max_in_flight"], 1);
    assert_eq!(s["answer"], lambda["answer"]);

    // API Gateway v2 events get the right status and body.
    let cases = [
        ("coordinate", "apigw-v2-ask.json", 200),
        ("coordinate", "apigw-v2-plan.json", 200),
        ("calendar-read", "apigw-v2-calendar-read.json", 200),
        ("contacts-resolve", "apigw-v2-contacts-resolve-base64.json", 200),
        ("contacts-resolve", "apigw-v2-unknown-route.json", 404),
        ("calendar-read", "apigw-v2-bad-window.json", 400),
        ("calendar-read", "apigw-v2-not-json.json", 400),
    ];
    for (function, name, want) in cases {
        let (status, _, out) = invoke(&w, function, &fixture(name));
        assert_eq!(status, 200, "the invoke itself succeeds: {out}");
        assert_eq!(out["statusCode"], want, "{name}: {out}");
        let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
        if want == 200 {
            assert!(body.get("error").is_none(), "{name}: {body}");
        } else {
            assert!(body["error"]["code"].is_string(), "{name}: {body}");
        }
    }
    let (_, _, out) = invoke(&w, "coordinate", &fixture("apigw-v2-ask.json"));
    let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["answer"], cli["answer"]);

    // The report: API Gateway's GET /report event, answered by coordinate from Queries on the
    // table. Five coordinate requests reached Lambda: the question three times concurrently
    // (invoke, two HTTP events), once sequentially, and one explicit plan.
    let (status, fe, out) = invoke(&w, "coordinate", &fixture("apigw-v2-report.json"));
    assert_eq!((status, fe, out["statusCode"].as_i64()), (200, None, Some(200)), "{out}\n{}", w.output());
    let report: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!((report["requests"].as_u64(), report["truncated"].as_bool()), (Some(5), Some(false)), "{report}");
    assert!(report["step_kinds"].as_array().unwrap().iter().all(|k| k["transport"] == "lambda"), "{report}");
    let pairs = report["ab"]["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{}", report["ab"]);
    assert_eq!(pairs[0]["plan_shape"], "calendar.read+contacts.resolve*2>calendar.read@next_week");
    assert_eq!(
        (pairs[0]["sequential"]["count"].as_u64(), pairs[0]["concurrent"]["count"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(report["ab"]["unpaired_requests"], 1, "the plan has a shape of its own");
    // The same by direct invoke, and bad input as the contract's error body.
    let (status, _, direct) = invoke(&w, "coordinate", &json!({"report": {"since": "1h"}}));
    assert_eq!((status, direct["requests"].as_u64()), (200, Some(5)), "{direct}");
    let (_, _, bad) = invoke(&w, "coordinate", &json!({"report": {"since": "60d"}}));
    assert_eq!(bad["error"]["code"], "window_too_large", "{bad}");

    // Direct invoke with bad input: the contract's error body, not a crash.
    let (status, fe, out) = invoke(&w, "calendar-read", &json!({"start": "2026-12-07", "end": "2026-11-30"}));
    assert_eq!((status, fe, out["error"]["code"].as_str()), (200, None, Some("invalid_request")));
}

#[test]
fn a_failing_sibling_gives_a_degraded_answer_naming_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("KENNY_CALENDARS", "file:///nonexistent/kenny-calendars".to_string()),
        ("KENNY_TIMINGS", format!("file://{}/t.jsonl", dir.path().display())),
    ];
    let w = watch(&env, 4);
    kenny_tests::warm_up(&w);
    // The sibling's own failure comes back from watch as a function error.
    let (status, _, direct) = invoke(&w, "calendar-read", &fixture("direct-calendar-read.json"));
    assert_ne!(status, 200, "{direct}");
    assert_eq!(direct["errorType"], "NonRetryable.source_not_found", "{direct}");
    let (status, _, r) = invoke(&w, "coordinate", &ask());
    assert_eq!(status, 200, "{r}\n{}", w.output());
    assert_eq!(r["degraded"], true);
    assert_eq!(
        r["errors"],
        json!([{"step": "calendar", "code": "source_not_found", "message": r["errors"][0]["message"]}])
    );
    // The people were still resolved, concurrently.
    assert_eq!(r["answer"]["people"][0]["resolved"]["name"], "Sarah Chen");
    assert_concurrent_lambda_steps(&r["timings"]);
}

#[test]
fn a_stalled_sibling_is_cut_off_and_the_answer_arrives_degraded() {
    // A "Lambda endpoint" that accepts connections and never answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in hole.incoming().flatten() {
            keep.lock().unwrap().push(s);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("AWS_ENDPOINT_URL_LAMBDA", format!("http://127.0.0.1:{port}")),
        ("KENNY_STEP_TIMEOUT_MS", "1500".to_string()),
        ("KENNY_TIMINGS", format!("file://{}/t.jsonl", dir.path().display())),
    ];
    let w = watch(&env, 2);
    let (status, fe, r) = invoke(&w, "coordinate", &ask());
    assert_eq!((status, fe), (200, None), "{r}\n{}", w.output());
    assert_eq!(r["degraded"], true);
    let codes: Vec<(&str, &str)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["step"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    // The contact steps time out; the calendar step still runs on the names as said, and times out too.
    assert_eq!(codes, [("person_1", "timeout"), ("person_2", "timeout"), ("calendar", "timeout")]);
    for e in r["errors"].as_array().unwrap() {
        assert!(
            e["message"].as_str().unwrap().ends_with("did not answer within 1500 ms"),
            "cut off by the step timeout: {e}"
        );
    }
    assert!(held.lock().unwrap().len() >= 3, "the stalled endpoint was really called");
}

#[test]
fn the_report_reads_the_newest_whole_requests_from_dynamodb_with_queries() {
    use kenny::ports::timing::{RecordKind, TimingRecord, keep_newest};
    let moto = moto();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = store(&moto, "kenny-timings-recent").await;
        assert!(store.create_table().await.unwrap());
        let now = chrono::Utc::now();
        // 12 requests of 3 records, one every 3 hours: over two or three UTC days and all shards.
        let mut all = Vec::new();
        for i in 0..12 {
            let request = TimingRecord {
                request_id: format!("req-{i:02}"),
                kind: RecordKind::Request,
                capability: "coordinate".into(),
                at: now - chrono::Duration::hours(3 * i + 1),
                duration_ms: 1.0,
                status: "ok".into(),
                ..TimingRecord::default()
            };
            let steps = (0..2).map(|s| TimingRecord {
                kind: RecordKind::Step,
                step: Some(s),
                capability: "calendar.read".into(),
                ..request.clone()
            });
            let records: Vec<TimingRecord> = std::iter::once(request.clone()).chain(steps).collect();
            store.write(&records).await.unwrap();
            all.extend(records);
        }
        let since = now - chrono::Duration::days(3);
        let (got, truncated) = store.query_recent(since, now, 1000).await.unwrap();
        assert!(!truncated);
        assert_eq!(got, keep_newest(all.clone(), 1000).0, "everything, oldest first");
        assert_eq!(got.len(), 36);
        // Room for 8 records: the two newest requests; the third would be cut in two.
        let (got, truncated) = store.query_recent(since, now, 8).await.unwrap();
        assert!(truncated);
        let ids: Vec<&str> = got.iter().map(|r| r.request_id.as_str()).collect();
        assert_eq!(ids, ["req-01", "req-01", "req-01", "req-00", "req-00", "req-00"]);
        assert_eq!(got, keep_newest(all, 8).0);
    });
}

/// Overlap of two RFC 3339 intervals.
fn overlaps(a: &Value, b: &Value) -> bool {
    let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    t(&a["start"]) < t(&b["end"]) && t(&b["start"]) < t(&a["end"])
}

#[test]
fn free_time_questions_and_plans_through_the_local_lambda_path() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("KENNY_TIMINGS", format!("file://{}/t.jsonl", dir.path().display()))];
    let w = watch(&env, 4);
    kenny_tests::warm_up(&w);
    let questions = [
        ("when are Sarah and Bob free next week for 30 minutes?", NOW),
        ("find an hour with Zoë on Thursday afternoon", NOW),
        ("first free slot tomorrow", "2026-11-30T10:00:00-05:00"),
    ];
    let mut answers = Vec::new();
    for (q, now) in questions {
        let (status, fe, lambda) = invoke(&w, "coordinate", &json!({"question": q, "now": now, "timezone": TZ}));
        assert_eq!((status, fe), (200, None), "{lambda}\n{}", w.output());
        let cli = kenny(dir.path(), &["ask", q, "--now", now, "--tz", TZ, "--json"], &[]).json();
        assert_eq!(lambda["answer"], cli["answer"], "{q}: the Lambda path answers exactly as the CLI");
        assert_eq!(lambda["degraded"], false, "{q}: {lambda}");
        let steps = lambda["timings"]["steps"].as_array().unwrap();
        for s in steps {
            let want = if s["capability"] == "slots.find" { "local" } else { "lambda" };
            assert_eq!(s["transport"], want, "{s}");
        }
        answers.push(lambda);
    }
    // 1: Sarah known (her calendar is readable), Bob unknown; the user's busy time was read while
    // the two people were resolved.
    let slots = &answers[0]["answer"]["slots"];
    assert_eq!(slots["participants"], json!(["me", "sarah.chen@northwind.example"]));
    assert_eq!(slots["unknown"], json!(["bob.smith@northwind.example"]));
    assert_eq!(slots["slots"].as_array().unwrap().len(), 10);
    assert_eq!(answers[0]["timings"]["max_in_flight"], 3, "{}", answers[0]["timings"]);
    // No slot overlaps the busy times calendar-read reports (its free/busy mode, by direct invoke).
    let (status, _, fb) = invoke(
        &w,
        "calendar-read",
        &json!({"freebusy": {"start": "2026-11-30", "end": "2026-12-07", "timezone": TZ,
                              "attendees": ["sarah.chen@northwind.example", "bob.smith@northwind.example"]}}),
    );
    assert_eq!(status, 200, "{fb}");
    assert_eq!(fb["unknown"], json!(["bob.smith@northwind.example"]));
    let busy: Vec<&Value> =
        fb["people"].as_array().unwrap().iter().flat_map(|p| p["busy"].as_array().unwrap()).collect();
    for s in slots["slots"].as_array().unwrap() {
        assert!(busy.iter().all(|b| !overlaps(s, b)), "{s} overlaps a busy interval");
    }
    // 2: Zoë is busy 13:00–14:00 New York time.
    let starts: Vec<&str> = answers[1]["answer"]["slots"]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["2026-12-03T12:00:00-05:00", "2026-12-03T14:00:00-05:00"]);
    // 3: one slot.
    assert_eq!(answers[2]["answer"]["slots"]["slots"].as_array().unwrap().len(), 1);

    // The explicit plan through the plan API: free/busy, then the slots, by `$ref`.
    let plan = json!({"plan": {"steps": [
        {"id": "busy", "capability": "calendar.freebusy", "params": {
            "start": "2026-12-01", "end": "2026-12-03", "timezone": TZ,
            "attendees": ["tom.baker@northwind.example", "alice.johnson@northwind.example"]}},
        {"id": "free", "capability": "slots.find", "params": {
            "start": "2026-12-01", "end": "2026-12-03", "timezone": TZ, "duration_minutes": 60,
            "buffer_minutes": 15, "busy": [{"$ref": "busy"}]}}
    ]}});
    let (status, fe, r) = invoke(&w, "coordinate", &plan);
    assert_eq!((status, fe), (200, None), "{r}");
    let f = dir.path().join("plan.json");
    std::fs::write(&f, plan.to_string()).unwrap();
    let cli = kenny(dir.path(), &["plan", "run", f.to_str().unwrap(), "--json"], &[]).json();
    assert_eq!(r["answer"], cli["answer"]);
    assert_eq!(
        r["answer"]["slots"]["participants"],
        json!(["me", "tom.baker@northwind.example", "alice.johnson@northwind.example"])
    );
    assert_eq!(r["answer"]["slots"]["buffer_minutes"], 15);
    assert!(!r["answer"]["slots"]["slots"].as_array().unwrap().is_empty(), "{r}");

    // API Gateway: POST /calendar/freebusy on the calendar function.
    let (status, _, out) = invoke(&w, "calendar-read", &fixture("apigw-v2-calendar-freebusy.json"));
    assert_eq!((status, out["statusCode"].as_i64()), (200, Some(200)), "{out}");
    let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["unknown"], json!(["bob.smith@northwind.example"]));
}

/// Each intent through `cargo lambda watch`: the same answer as the CLI, a `not_understood`
/// question a 200 with its answer behind API Gateway too, and the search's reads made through
/// the Invoke API.
#[test]
fn every_intent_through_the_local_lambda_path_answers_as_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("KENNY_TIMINGS", format!("file://{}/t.jsonl", dir.path().display()))];
    let w = watch(&env, 4);
    kenny_tests::warm_up(&w);
    for (q, intent) in [
        ("when is my next budget review?", "next"),
        ("when did I last meet Sarah?", "last"),
        ("how many meetings do I have next week?", "count"),
        ("what's my first meeting on Monday?", "first"),
        ("what's my last meeting on Friday?", "last_in_window"),
        ("is Sarah free tomorrow at 3pm for an hour?", "free_at"),
        ("qwerty", "not_understood"),
        ("cancel my 3pm tomorrow", "unsupported"),
    ] {
        let (status, fe, lambda) = invoke(&w, "coordinate", &json!({"question": q, "now": NOW, "timezone": TZ}));
        assert_eq!((status, fe), (200, None), "{q}: {lambda}\n{}", w.output());
        assert_eq!(lambda["answer"]["intent"], intent, "{q}: {lambda}");
        let cli = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", TZ, "--json"], &[]).json();
        assert_eq!(lambda["answer"], cli["answer"], "{q}: the Lambda path answers exactly as the CLI");
        for s in lambda["timings"]["steps"].as_array().unwrap() {
            assert_eq!(s["transport"], "lambda", "{q}: {s}");
        }
    }
    // Behind API Gateway a question Kenny does not understand is a 200 with its answer.
    let mut event = fixture("apigw-v2-ask.json");
    event["body"] = json!(json!({"question": "hmm", "now": NOW, "timezone": TZ}).to_string());
    event["isBase64Encoded"] = json!(false);
    let (status, _, out) = invoke(&w, "coordinate", &event);
    assert_eq!((status, out["statusCode"].as_i64()), (200, Some(200)), "{out}");
    let body: Value = serde_json::from_str(out["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["answer"]["intent"], "not_understood", "{body}");
}
