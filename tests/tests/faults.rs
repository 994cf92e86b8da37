//! Built-in fault injection (`KENNY_FAULTS`) on the real serverless path: the functions under
//! `cargo lambda watch`, coordinate invoking its siblings through the Invoke API. For every mode —
//! latency, error, timeout, malformed reply, throttling — on a sibling and on a source, the answer
//! arrives (the test's invoke has its own generous limit; a hang fails it), partial and
//! `degraded`, naming the failing step and the code of the failure.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use kenny_tests::{invoke, kenny, watch};
use serde_json::{Value, json};

const QUESTION: &str = "what meetings do I have with Sarah and Tom next week?";

fn ask() -> Value {
    json!({"question": QUESTION, "now": "2026-11-27T10:00:00-05:00", "timezone": "America/New_York"})
}

/// `(step, code)` of every error in a coordinate response.
fn errors(r: &Value) -> Vec<(String, String)> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["step"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect()
}

fn step<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["timings"]["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Coordinate under `faults` (sample data, steps cut off after `step_ms`), each function warmed
/// up first so that starting a process is not what the step timeout measures.
fn coordinate_under(faults: &str, step_ms: u64) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("KENNY_FAULTS", faults.to_string()),
        ("KENNY_STEP_TIMEOUT_MS", step_ms.to_string()),
        ("KENNY_TIMINGS", format!("file://{}/t.jsonl", dir.path().display())),
    ];
    let w = watch(&env, 4);
    kenny_tests::warm_up(&w);
    let (status, function_error, r) = invoke(&w, "coordinate", &ask());
    assert_eq!((status, function_error), (200, None), "{faults}: {r}\n{}", w.output());
    r
}

#[test]
fn sibling_faults_give_degraded_answers_naming_the_failing_steps() {
    // Errors and a sibling that never answers.
    let r = coordinate_under("contacts.resolve=error;calendar.read=timeout", 1500);
    assert_eq!(r["degraded"], true, "{r}");
    assert_eq!(
        errors(&r),
        pairs(&[("person_1", "sibling_failed"), ("person_2", "sibling_failed"), ("calendar", "timeout")]),
        "{r}"
    );
    assert!(r["errors"][2]["message"].as_str().unwrap().contains("did not answer within 1500 ms"), "{r}");

    // A reply that cannot be read, and throttling.
    let r = coordinate_under("contacts.resolve=malformed;calendar.read=throttle", 1500);
    assert_eq!(r["degraded"], true, "{r}");
    assert_eq!(
        errors(&r),
        pairs(&[("person_1", "sibling_bad_reply"), ("person_2", "sibling_bad_reply"), ("calendar", "throttled")]),
        "{r}"
    );

    // Latency alone: a slower answer, whole and not degraded (within a roomier step timeout).
    let r = coordinate_under("calendar.read=latency:400", 10_000);
    assert_eq!(r["degraded"], false, "{r}");
    assert!(errors(&r).is_empty(), "{r}");
    assert!(step(&r, "calendar")["duration_ms"].as_f64().unwrap() >= 400.0, "the latency was injected: {r}");
    assert!(!r["answer"]["events"].as_array().unwrap().is_empty(), "{r}");
}

#[test]
fn source_faults_leave_the_other_sources_answering() {
    let dir = tempfile::tempdir().unwrap();
    // Six copies of the sample as six calendar sources, five of them faulty; the contacts twice,
    // one copy stalled.
    let names = ["healthy", "faulty-slow", "faulty-broken", "faulty-stuck", "faulty-garbled", "faulty-busy"];
    for name in names {
        let out = kenny(dir.path(), &["sample", dir.path().join(name).to_str().unwrap()], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let root = dir.path().display();
    let calendars: Vec<String> = names.iter().map(|n| format!("file://{root}/{n}/calendars")).collect();
    let contacts = format!("file://{root}/healthy/contacts,file://{root}/faulty-stuck/contacts");
    let faults = "source:faulty-slow=latency:300;source:faulty-broken=error;source:faulty-stuck=timeout;\
                  source:faulty-garbled=malformed;source:faulty-busy=throttle";
    let env = vec![
        ("KENNY_FAULTS", faults.to_string()),
        ("KENNY_CALENDARS", calendars.join(",")),
        ("KENNY_CONTACTS", contacts),
        ("KENNY_SOURCE_TIMEOUT_MS", "1000".to_string()),
        ("KENNY_TIMINGS", format!("file://{root}/t.jsonl")),
    ];
    let w = watch(&env, 4);

    // calendar.read alone: each faulty source is named with its code; the others answer.
    let read = json!({"start": "2026-11-30T00:00:00-05:00", "end": "2026-12-07T00:00:00-05:00"});
    let (status, fe, r) = invoke(&w, "calendar-read", &read);
    assert_eq!((status, fe), (200, None), "{r}\n{}", w.output());
    let failed: Vec<(String, String)> = r["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("error").is_some())
        .map(|c| {
            let id = c["id"].as_str().unwrap();
            let name = names.iter().find(|n| id.contains(*n)).unwrap();
            (name.to_string(), c["error"]["code"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        failed,
        pairs(&[
            ("faulty-broken", "source_unreachable"),
            ("faulty-busy", "source_throttled"),
            ("faulty-garbled", "source_bad_reply"),
            ("faulty-stuck", "timeout"),
        ]),
        "{r}"
    );
    let answered = r["calendars"].as_array().unwrap().iter().filter(|c| c.get("error").is_none()).count();
    assert!(answered >= 2, "the healthy and the slow copies answer: {r}");
    assert!(!r["events"].as_array().unwrap().is_empty());

    // The question: partial and degraded, the calendar step named with each failure.
    let (status, fe, q) = invoke(&w, "coordinate", &ask());
    assert_eq!((status, fe), (200, None), "{q}\n{}", w.output());
    assert_eq!(q["degraded"], true, "{q}");
    let mut codes: Vec<(String, String)> = errors(&q);
    codes.sort();
    assert_eq!(
        codes,
        pairs(&[
            ("calendar", "source_bad_reply"),
            ("calendar", "source_throttled"),
            ("calendar", "source_unreachable"),
            ("calendar", "timeout"),
        ]),
        "{q}"
    );
    // People still resolve: the stalled contact copy was cut off, the healthy one answered.
    assert_eq!(q["answer"]["people"][0]["resolved"]["name"], "Sarah Chen", "{q}");
    assert!(!q["answer"]["events"].as_array().unwrap().is_empty(), "{q}");
}

#[test]
fn an_invalid_fault_spec_stops_the_function_at_start_with_invalid_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = kenny(dir.path(), &["ask", QUESTION, "--json"], &[("KENNY_FAULTS", "calendar.read=sometimes")]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("invalid_config") || out.stderr.contains("invalid_config"), "{}", out.stderr);
}
