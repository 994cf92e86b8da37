//! The Lambda edge in process: the API Gateway v2 fixtures and direct-invoke payloads of
//! `tests/fixtures` through `kenny::edges::lambda::handle`, with statuses, bodies, function errors and
//! metrics. (The same functions under `cargo lambda watch` are tested in the `tests` crate.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use kenny::adapters::in_process::InProcess;
use kenny::capabilities::coordinate::{Coordinator, Limits};
use kenny::edges::lambda::{FunctionKind, FunctionState, MAX_BODY_BYTES, handle};
use kenny::ports::metrics::Memory;
use kenny::ports::timing::MemoryStore;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn event(payload: Value) -> LambdaEvent<Value> {
    let mut ctx = Context::default();
    ctx.request_id = "edge-test".into();
    ctx.deadline = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 30_000;
    LambdaEvent::new(payload, ctx)
}

async fn caps(env: &[(&str, &str)]) -> Capabilities {
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let config = Config::from_parts(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()), None).unwrap();
    Capabilities::from_config(&config).await.unwrap()
}

async fn function(kind: FunctionKind) -> (FunctionState, Arc<Memory>) {
    let metrics = Arc::new(Memory::default());
    let caps = caps(&[]).await;
    let state = match kind {
        FunctionKind::Coordinate => {
            let c = Coordinator::new(
                Arc::new(InProcess::new(Arc::new(caps))),
                Arc::new(MemoryStore::default()),
                metrics.clone(),
                chrono_tz::UTC,
                Limits::default(),
            );
            FunctionState::coordinate(c, metrics.clone())
        }
        FunctionKind::CalendarRead => FunctionState::calendar(caps.calendar.unwrap(), metrics.clone()),
        FunctionKind::ContactsResolve => FunctionState::contacts(caps.contacts.unwrap(), metrics.clone()),
    };
    (state, metrics)
}

/// `(status, parsed body)` of an HTTP response.
fn http(v: &Value) -> (i64, Value) {
    assert_eq!(v["headers"]["content-type"], "application/json", "{v}");
    (v["statusCode"].as_i64().unwrap(), serde_json::from_str(v["body"].as_str().unwrap()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_fixtures_get_the_right_status_and_body() {
    let (coordinate, _) = function(FunctionKind::Coordinate).await;
    let (calendar, _) = function(FunctionKind::CalendarRead).await;
    let (contacts, _) = function(FunctionKind::ContactsResolve).await;

    let (s, b) = http(&handle(&coordinate, event(fixture("apigw-v2-ask.json"))).await.unwrap());
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["answer"]["people"][1]["resolved"]["name"], "Thomas Baker");
    assert_eq!(b["timings"]["request_id"], "edge-test");
    // Both resolves and the window's fetch at once.
    assert_eq!(b["timings"]["max_in_flight"], 3);

    let (s, b) = http(&handle(&coordinate, event(fixture("apigw-v2-plan.json"))).await.unwrap());
    assert_eq!(s, 200, "{b}");
    assert!(b["answer"]["events"].as_array().unwrap().iter().any(|e| e["uid"] == "budget-review"));

    let (s, b) = http(&handle(&coordinate, event(fixture("apigw-v2-ask-with-a-plan.json"))).await.unwrap());
    assert_eq!(
        (s, b["error"]["code"].as_str(), b["error"]["field"].as_str()),
        (400, Some("invalid_request"), Some("question"))
    );

    let (s, b) = http(&handle(&calendar, event(fixture("apigw-v2-calendar-read.json"))).await.unwrap());
    assert_eq!(s, 200, "{b}");
    assert!(b["events"].as_array().unwrap().iter().any(|e| e["uid"] == "berlin-sync"));

    let (s, b) = http(&handle(&contacts, event(fixture("apigw-v2-contacts-resolve-base64.json"))).await.unwrap());
    assert_eq!((s, b["resolved"]["name"].as_str()), (200, Some("Robert Smith")));
    let (s, b) = http(&handle(&contacts, event(fixture("apigw-v2-default-route.json"))).await.unwrap());
    assert_eq!((s, b["resolved"]["name"].as_str()), (200, Some("José García")));

    let cases = [
        (&contacts, "apigw-v2-unknown-route.json", 404, "not_found", None),
        (&calendar, "apigw-v2-not-json.json", 400, "invalid_request", None),
        (&calendar, "apigw-v2-bad-window.json", 400, "invalid_request", Some("end")),
        (&contacts, "apigw-v2-unknown-field.json", 400, "invalid_request", Some("fuzzy")),
        // A route another function serves is not found here.
        (&contacts, "apigw-v2-calendar-read.json", 404, "not_found", None),
    ];
    for (state, name, status, code, field) in cases {
        let (s, b) = http(&handle(state, event(fixture(name))).await.unwrap());
        assert_eq!(
            (s, b["error"]["code"].as_str(), b["error"]["field"].as_str()),
            (status, Some(code), field),
            "{name}: {b}"
        );
        assert!(!b["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn oversized_bodies_are_413_and_never_parsed() {
    let (calendar, _) = function(FunctionKind::CalendarRead).await;
    let mut e = fixture("apigw-v2-calendar-read.json");
    e["body"] = Value::String(format!("{{\"text\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES)));
    let (s, b) = http(&handle(&calendar, event(e)).await.unwrap());
    assert_eq!((s, b["error"]["code"].as_str()), (413, Some("too_large")));
    let direct = json!({"start": "2026-11-30", "end": "2026-12-07", "text": "y".repeat(MAX_BODY_BYTES)});
    let out = handle(&calendar, event(direct)).await.unwrap();
    assert_eq!(out["error"]["code"], "too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_invokes_answer_the_contract_and_fail_as_function_errors_on_our_side() {
    let (calendar, metrics) = function(FunctionKind::CalendarRead).await;
    let out = handle(&calendar, event(fixture("direct-calendar-read.json"))).await.unwrap();
    assert!(out["events"].as_array().unwrap().iter().any(|e| e["uid"] == "berlin-sync"));
    // Bad input: the error body, as the CLI's --json prints it.
    let out = handle(&calendar, event(json!({"start": "x", "end": "2026-12-01"}))).await.unwrap();
    assert_eq!(out["error"]["field"], "start");
    // A source we cannot read: a function error carrying the same body.
    let broken = FunctionState::calendar(
        caps(&[("KENNY_CALENDARS", "file:///nonexistent/kenny")]).await.calendar.unwrap(),
        Arc::new(Memory::default()),
    );
    let err = handle(&broken, event(fixture("direct-calendar-read.json"))).await.unwrap_err();
    assert_eq!(err.error_type, "NonRetryable.source_not_found");
    let body: Value = serde_json::from_str(&err.error_message).unwrap();
    assert_eq!(body["error"]["code"], "source_not_found");

    let lines = metrics.lines();
    let requests: Vec<_> = lines.iter().filter(|l| l.get("Requests").is_some()).collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["Capability"], "calendar.read");
    assert_eq!(lines.iter().filter(|l| l.get("ColdStarts").is_some()).count(), 1);
    let errors: Vec<_> = lines.iter().filter(|l| l.get("Errors").is_some()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["ErrorCode"], "invalid_request");
    // The answer's cache tier: the first read fetched (miss); a second one within the grace
    // period is answered from memory (l1).
    handle(&calendar, event(fixture("direct-calendar-read.json"))).await.unwrap();
    let tiers: Vec<String> = metrics
        .lines()
        .iter()
        .filter(|l| l.get("CacheResults").is_some())
        .map(|l| format!("{}/{}", l["Capability"].as_str().unwrap(), l["Tier"].as_str().unwrap()))
        .collect();
    assert_eq!(tiers, ["calendar.read/miss", "calendar.read/l1"]);

    let (contacts, _) = function(FunctionKind::ContactsResolve).await;
    let out = handle(&contacts, event(fixture("direct-contacts-resolve.json"))).await.unwrap();
    assert_eq!(out["resolved"]["name"], "Zoë Müller");
    let (coordinate, _) = function(FunctionKind::Coordinate).await;
    let out = handle(&coordinate, event(fixture("direct-ask.json"))).await.unwrap();
    assert_eq!(out["answer"]["window"]["start"], "2026-11-30T00:00:00-05:00");
}

fn event_with_id(payload: Value, id: &str) -> LambdaEvent<Value> {
    let mut e = event(payload);
    e.context.request_id = id.into();
    e
}

fn report_event(query: Value) -> Value {
    let mut e = fixture("apigw-v2-report.json");
    e["queryStringParameters"] = query;
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_is_served_by_coordinate_over_http_and_direct_invoke() {
    let (coordinate, _) = function(FunctionKind::Coordinate).await;
    // The same question twice, once sequential: one A/B pair.
    let ask = fixture("apigw-v2-ask.json");
    let mut sequential = ask.clone();
    let mut body: Value = serde_json::from_str(ask["body"].as_str().unwrap()).unwrap();
    body["sequential"] = json!(true);
    sequential["body"] = Value::String(body.to_string());
    for (id, e) in [("r1", ask), ("r2", sequential)] {
        let (s, b) = http(&handle(&coordinate, event_with_id(e, id)).await.unwrap());
        assert_eq!(s, 200, "{b}");
    }

    let (s, r) = http(&handle(&coordinate, event(fixture("apigw-v2-report.json"))).await.unwrap());
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["requests"].as_u64(), r["records"].as_u64(), r["truncated"].as_bool()),
        (Some(2), Some(10), Some(false)),
        "two requests of a request record and four steps each (two resolves, the fetch, the read)"
    );
    let capabilities: Vec<&str> =
        r["capabilities"].as_array().unwrap().iter().map(|c| c["capability"].as_str().unwrap()).collect();
    assert_eq!(capabilities, ["coordinate", "calendar.read", "contacts.resolve"]);
    assert_eq!(r["capabilities"][2]["count"], 4);
    let pair = &r["ab"]["pairs"][0];
    assert_eq!(pair["plan_shape"], "calendar.read+contacts.resolve*2>calendar.read@next_week");
    assert_eq!((pair["sequential"]["count"].as_u64(), pair["concurrent"]["count"].as_u64()), (Some(1), Some(1)));
    assert_eq!(r["rules"]["trend_min_count"], kenny::capabilities::report::TREND_MIN_COUNT);

    // Direct invoke: {"report": {...}} alone; the default window is 24h.
    let direct = handle(&coordinate, event(json!({"report": {"since": "90m"}}))).await.unwrap();
    assert_eq!(direct["requests"], 2, "{direct}");
    let direct = handle(&coordinate, event(json!({"report": {}}))).await.unwrap();
    assert_eq!(direct["requests"], 2, "{direct}");

    let cases = [
        (json!({"since": "soon"}), 400, "invalid_request", Some("since")),
        (json!({"since": "32d"}), 400, "window_too_large", Some("since")),
        (json!({"since": "1h", "limit": "5"}), 400, "invalid_request", Some("limit")),
    ];
    for (query, status, code, field) in cases {
        let (s, b) = http(&handle(&coordinate, event(report_event(query.clone()))).await.unwrap());
        assert_eq!(
            (s, b["error"]["code"].as_str(), b["error"]["field"].as_str()),
            (status, Some(code), field),
            "{query}"
        );
    }
    let out = handle(&coordinate, event(json!({"report": {}, "question": "hi"}))).await.unwrap();
    assert_eq!(
        (out["error"]["code"].as_str(), out["error"]["field"].as_str()),
        (Some("invalid_request"), Some("question"))
    );
    let out = handle(&coordinate, event(json!({"report": {"since": "1y"}}))).await.unwrap();
    assert_eq!(out["error"]["field"], "since");

    // Only GET, and only on coordinate.
    let mut post = fixture("apigw-v2-report.json");
    post["routeKey"] = json!("POST /report");
    post["requestContext"]["http"]["method"] = json!("POST");
    let (s, _) = http(&handle(&coordinate, event(post)).await.unwrap());
    assert_eq!(s, 404);
    let (calendar, _) = function(FunctionKind::CalendarRead).await;
    let (s, b) = http(&handle(&calendar, event(fixture("apigw-v2-report.json"))).await.unwrap());
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_calendar_function_serves_freebusy_by_route_and_by_direct_invoke() {
    let (calendar, metrics) = function(FunctionKind::CalendarRead).await;
    let (s, b) = http(&handle(&calendar, event(fixture("apigw-v2-calendar-freebusy.json"))).await.unwrap());
    assert_eq!(s, 200, "{b}");
    let people: Vec<&str> = b["people"].as_array().unwrap().iter().map(|p| p["person"].as_str().unwrap()).collect();
    assert_eq!(people, ["me", "tom.baker@northwind.example"]);
    assert_eq!(b["unknown"], json!(["bob.smith@northwind.example"]));

    let out = handle(&calendar, event(fixture("direct-calendar-freebusy.json"))).await.unwrap();
    assert_eq!(out["unknown"], json!(["bob.smith@northwind.example"]), "{out}");
    assert_eq!(out["people"][1]["person"], "sarah.chen@northwind.example");
    // The wrapper takes nothing else; the request inside is strict like every request.
    let out = handle(&calendar, event(json!({"freebusy": {"start": "2026-11-30", "end": "2026-12-01"}, "x": 1})))
        .await
        .unwrap();
    assert_eq!((out["error"]["code"].as_str(), out["error"]["field"].as_str()), (Some("invalid_request"), Some("x")));
    let out = handle(&calendar, event(json!({"freebusy": {"start": "2026-11-30", "end": "2026-12-01", "who": []}})))
        .await
        .unwrap();
    assert_eq!(out["error"]["field"], "who");
    // The function reports its cache tier for free/busy as for reads.
    assert!(metrics.lines().iter().any(|l| l.to_string().contains("CacheResults")), "{:?}", metrics.lines());
    // Other functions do not serve the route.
    let (contacts, _) = function(FunctionKind::ContactsResolve).await;
    let (s, _) = http(&handle(&contacts, event(fixture("apigw-v2-calendar-freebusy.json"))).await.unwrap());
    assert_eq!(s, 404);
}
