use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::adapters::in_process::InProcess;
use crate::capabilities::coordinate::Limits;
use crate::ports::timing::MemoryStore;
use crate::wiring::config::Config;

const TZ: &str = "America/New_York";

async fn coordinator() -> (Coordinator, Arc<MemoryStore>) {
    let config = Config::from_parts(|_| None, None).expect("the default configuration");
    let caps = Arc::new(crate::wiring::app::Capabilities::from_config(&config).await.expect("the sample data"));
    let store = Arc::new(MemoryStore::default());
    let c = Coordinator::new(
        Arc::new(InProcess::new(caps)),
        store.clone(),
        Arc::new(crate::ports::metrics::Discard),
        config.timezone,
        Limits::default(),
    )
    .with_slots(config.slots);
    (c, store)
}

fn args(v: Value) -> Option<JsonObject> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn schema_of(name: &str) -> Value {
    let tool = tools().into_iter().find(|t| t.name == name).expect("the tool");
    Value::Object((*tool.input_schema).clone())
}

fn property_names(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["properties"].as_object().expect("properties").keys().cloned().collect();
    names.sort();
    names
}

#[test]
fn every_tool_is_listed_once_with_a_closed_object_schema_and_a_description() {
    let listed = tools();
    let names: Vec<&str> = listed.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, TOOL_NAMES);
    for t in &listed {
        let schema = Value::Object((*t.input_schema).clone());
        assert_eq!(schema["type"], "object", "{}", t.name);
        assert_eq!(schema["additionalProperties"], false, "{}: unknown fields are refused", t.name);
        assert!(t.description.as_ref().is_some_and(|d| d.len() > 80), "{}", t.name);
        // Every $ref points at a definition the schema carries.
        let text = schema.to_string();
        for name in text.split("\"#/$defs/").skip(1).map(|r| r.split('"').next().unwrap_or("")) {
            assert!(schema["$defs"].get(name).is_some(), "{}: $defs/{name} missing", t.name);
        }
    }
}

#[test]
fn schemas_follow_the_request_types() {
    assert_eq!(
        property_names(&schema_of(READ_CALENDAR)),
        ["attendees", "calendars", "end", "limit", "start", "text", "timezone"]
    );
    assert_eq!(schema_of(READ_CALENDAR)["required"], json!(["start", "end"]));
    assert_eq!(property_names(&schema_of(RESOLVE_CONTACT)), ["limit", "query"]);
    assert_eq!(
        property_names(&schema_of(FREE_BUSY)),
        ["attendees", "calendars", "end", "include_self", "start", "timezone"]
    );
    let ask = schema_of(ASK);
    assert_eq!(property_names(&ask), ["now", "question", "sequential", "timezone"]);
    assert_eq!(ask["required"], json!(["question"]));
    assert!(ask.get("$defs").is_none(), "the plan's definitions are pruned: {ask}");
    let plan = schema_of(RUN_PLAN);
    assert_eq!(property_names(&plan), ["now", "plan", "sequential", "timezone"]);
    assert_eq!(plan["required"], json!(["plan"]));
    assert!(plan["$defs"]["Step"]["properties"]["capability"].is_object(), "{plan}");
    let slots = schema_of(FIND_SLOTS);
    let names = property_names(&slots);
    assert!(!names.contains(&"busy".to_string()), "{names:?}");
    for n in ["attendees", "include_self", "calendars", "duration_minutes", "hours", "days", "max_results"] {
        assert!(names.contains(&n.to_string()), "{n} in {names:?}");
    }
    assert_eq!(slots["required"], json!(["start", "end", "duration_minutes"]));
    // Doc comments become descriptions.
    assert!(slots["properties"]["duration_minutes"]["description"].as_str().is_some_and(|d| d.contains("length")));
}

#[test]
fn find_slots_splits_its_arguments_between_the_two_steps() {
    let plan = slots_plan(json!({"start": "2026-12-01", "end": "2026-12-03", "timezone": TZ,
        "attendees": ["tom.baker@northwind.example"], "include_self": false, "duration_minutes": 60, "hours": "10:00-16:00"}))
    .expect("valid");
    assert_eq!(plan.steps[0].capability, "calendar.freebusy");
    assert_eq!(
        plan.steps[0].params,
        json!({"start": "2026-12-01", "end": "2026-12-03", "timezone": TZ,
            "attendees": ["tom.baker@northwind.example"], "include_self": false})
    );
    assert_eq!(
        plan.steps[1].params,
        json!({"start": "2026-12-01", "end": "2026-12-03", "timezone": TZ, "duration_minutes": 60,
            "hours": "10:00-16:00", "busy": [{"$ref": "freebusy"}]})
    );
    let e = slots_plan(json!({"start": "2026-12-01", "end": "2026-12-03", "duration_minutes": 30, "busy": []}))
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("busy"));
    let e = slots_plan(json!({"start": "2026-12-01", "end": "2026-12-03", "duration_minutes": 30, "colour": 1}))
        .unwrap_err();
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid_request", Some("colour")));
    let e = slots_plan(json!({"start": "2026-12-01", "end": "2026-12-03"})).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("duration_minutes"));
}

#[tokio::test]
async fn a_tool_answers_its_capability_json_and_marks_its_records_mcp() {
    let (c, store) = coordinator().await;
    let r = call_tool(
        &c,
        READ_CALENDAR,
        args(json!({"start": "2026-11-30", "end": "2026-12-07", "timezone": TZ, "attendees": ["Sarah", "Tom"]})),
        "req-1",
        None,
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{r:?}");
    let body = r.structured_content.expect("structured");
    assert_eq!(body["events"].as_array().map(Vec::len), Some(4), "{body}");
    assert!(body["calendars"].is_array() && body["window"].is_object(), "the calendar.read response: {body}");
    let text = match &r.content[0] {
        ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(text.starts_with("4 events in 2026-11-30T00:00:00-05:00"), "{text}");
    assert!(text.contains("Team standup"), "{text}");
    let records = store.records();
    assert_eq!(records.len(), 2, "a request and its one step");
    assert!(records.iter().all(|r| r.edge.as_deref() == Some("mcp") && r.request_id == "req-1"), "{records:?}");
    assert_eq!(records[1].transport.as_deref(), Some("in_process"));
}

#[tokio::test]
async fn failures_are_tool_errors_with_kennys_code() {
    let (c, store) = coordinator().await;
    let error = |r: CallToolResult| {
        assert_eq!(r.is_error, Some(true), "{r:?}");
        r.structured_content.expect("structured")["error"].clone()
    };
    let e = error(call_tool(&c, "delete_everything", None, "x", None).await);
    assert_eq!(e["code"], "not_found");
    assert!(e["message"].as_str().is_some_and(|m| m.contains("ask, read_calendar")), "{e}");
    let e = error(call_tool(&c, READ_CALENDAR, args(json!({"start": "2026-11-30"})), "x", None).await);
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("invalid_request"), Some("end")));
    let e = error(call_tool(&c, RESOLVE_CONTACT, args(json!({"query": 7})), "x", None).await);
    assert_eq!(e["code"], "invalid_request");
    let e =
        error(call_tool(&c, READ_CALENDAR, args(json!({"start": "2026-01-01", "end": "2028-01-01"})), "x", None).await);
    assert_eq!(e["code"], "window_too_large", "a step's own error: {e}");
    let e = error(call_tool(&c, ASK, args(json!({"plan": {"steps": []}})), "x", None).await);
    assert_eq!(e["field"], "question");
    let e = error(call_tool(&c, RUN_PLAN, args(json!({"plan": {"steps": []}})), "x", None).await);
    assert_eq!(e["code"], "invalid_request");
    let big = "x".repeat(MAX_ARGUMENTS_BYTES);
    let e = error(call_tool(&c, ASK, args(json!({"question": big})), "x", None).await);
    assert_eq!(e["code"], "too_large");
    // Refused before anything ran, except the window that a step itself refused.
    assert_eq!(store.records().iter().filter(|r| r.kind == crate::ports::timing::RecordKind::Request).count(), 1);
}

#[tokio::test]
async fn find_slots_reads_busy_time_then_finds_slots() {
    let (c, _) = coordinator().await;
    let r = call_tool(
        &c,
        FIND_SLOTS,
        args(json!({"start": "2026-12-01", "end": "2026-12-03", "timezone": TZ, "duration_minutes": 60,
            "attendees": ["tom.baker@northwind.example"]})),
        "s",
        None,
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{r:?}");
    let body = r.structured_content.expect("structured");
    assert_eq!(body["duration_minutes"], 60);
    assert_eq!(body["participants"], json!(["me", "tom.baker@northwind.example"]), "{body}");
    assert!(!body["slots"].as_array().expect("slots").is_empty(), "{body}");
}

#[tokio::test]
async fn ask_answers_the_coordinate_response() {
    let (c, _) = coordinator().await;
    let r = call_tool(
        &c,
        ASK,
        args(json!({"question": "what meetings do I have with Sarah and Tom next week?",
            "now": "2026-11-27T10:00:00-05:00", "timezone": TZ})),
        "a",
        None,
    )
    .await;
    let body = r.structured_content.expect("structured");
    assert_eq!(body["answer"]["events"].as_array().map(Vec::len), Some(4), "{body}");
    assert_eq!(body["answer"]["intent"], "list");
    let text = match &r.content[0] {
        ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(text.starts_with("Understood: Events with Sarah Chen and Thomas Baker"), "{text}");
}

#[tokio::test]
async fn admission_holds_a_bounded_number_of_calls() {
    let admission = Admission::new(1, 2);
    let first = admission.admit().await.expect("a place");
    // The second waits for the first; a third is refused at once.
    let waiting = {
        let a = &admission;
        async move { a.admit().await }
    };
    tokio::pin!(waiting);
    assert!(futures::poll!(waiting.as_mut()).is_pending());
    let third = admission.admit().await.expect_err("refused");
    assert_eq!(third.code, "throttled");
    drop(first);
    let second = waiting.await.expect("runs once the first is done");
    drop(second);
    let again = admission.admit().await;
    assert!(again.is_ok(), "places come back");
}

#[test]
fn limits_agree_with_the_lambda_edge() {
    assert_eq!(MAX_ARGUMENTS_BYTES, crate::edges::lambda::MAX_BODY_BYTES);
}
