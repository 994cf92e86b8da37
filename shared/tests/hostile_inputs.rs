//! Hostile inputs, each at the edge that enforces its limit: every case must end in a clean,
//! named error or a capped result, finish (a 60 s hang guard — never a speed assertion), and keep
//! its **measured** peak allocation under a stated bound: `k × input bytes + constant`.
//!
//! Memory is measured by the global allocator: `peakmem-alloc` keeps the peak of bytes allocated
//! since the case started (all threads: the hang-guard thread, tokio's, the fake server's), and
//! `cap` puts a hard ceiling on the whole process (4 × the case's bound, at least 512 MiB), so a
//! regression fails by an allocation error instead of taking a shared machine's memory. Cases
//! share those counters, so one `#[test]` runs them one after another. Inputs are built before
//! a case starts; a case that consumes its input (a Lambda event) frees it only after the
//! refusal being measured, since freeing it earlier would hide later allocations.
//! `HOSTILE_CASE=name` runs only the cases whose name contains `name`.
//!
//! Case names are stable (SECURITY.md cites them); the table printed at the end gives each
//! case's input size, measured peak and bound.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::alloc::System;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use cap::Cap;
use chrono::TimeZone as _;
use kenny::adapters::in_process::InProcess;
use kenny::capabilities::coordinate::{CoordinateRequest, Coordinator, Limits};
use kenny::domain::plan::Capability;
use kenny::edges::lambda::{FunctionState, handle};
use kenny::ports::timing::MemoryStore;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use lambda_runtime::{Context, LambdaEvent};
use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait};
use serde_json::{Value, json};

#[path = "hostile/ical.rs"]
mod ical;

use ical::{ical_cases, recurrence_cases};

static PEAK: PeakMemAlloc<System> = PeakMemAlloc::new(System);
#[global_allocator]
static ALLOCATOR: Cap<&PeakMemAlloc<System>> = Cap::new(&PEAK, usize::MAX);

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// How long a case may run before it counts as a hang (debug builds on 2 shared cores).
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A case's memory bound: `per_byte × input + constant`.
#[derive(Clone, Copy)]
struct Bound {
    per_byte: usize,
    constant: usize,
}

const fn bound(per_byte: usize, constant: usize) -> Bound {
    Bound { per_byte, constant }
}

struct Row {
    name: &'static str,
    input: usize,
    peak: usize,
    limit: usize,
    outcome: String,
}

struct Runner {
    only: Option<String>,
    rows: Vec<Row>,
    failures: Vec<String>,
}

impl Runner {
    fn wants(&self, name: &str) -> bool {
        self.only.as_deref().is_none_or(|o| name.contains(o))
    }

    /// Runs `case` on its own thread under the hang guard and the memory ceiling; `case` returns
    /// a one-line description of what the user got, or panics if it was not what it must be.
    fn run(&mut self, name: &'static str, input: usize, b: Bound, case: impl FnOnce() -> String + Send + 'static) {
        let limit = b.per_byte.saturating_mul(input).saturating_add(b.constant);
        let ceiling = limit.saturating_mul(4).max(512 * MIB);
        ALLOCATOR.set_limit(ALLOCATOR.allocated().saturating_add(ceiling)).expect("set the allocation ceiling");
        let (tx, rx) = std::sync::mpsc::channel();
        PEAK.reset_peak_memory();
        let worker = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(case));
                let _ = tx.send(outcome.map_err(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                }));
            })
            .expect("spawn the case thread");
        let result = rx.recv_timeout(HANG_GUARD);
        let peak = PEAK.get_peak_memory();
        ALLOCATOR.set_limit(usize::MAX).expect("lift the ceiling");
        let outcome = match result {
            Ok(Ok(outcome)) => {
                let _ = worker.join();
                if peak > limit {
                    self.failures.push(format!("{name}: peak allocation {peak} B exceeds the bound {limit} B"));
                }
                outcome
            }
            Ok(Err(panic)) => {
                let _ = worker.join();
                self.failures.push(format!("{name}: {panic}"));
                "FAILED".into()
            }
            Err(_) => {
                self.failures.push(format!("{name}: did not finish within the {HANG_GUARD:?} hang guard"));
                "HUNG".into()
            }
        };
        self.rows.push(Row { name, input, peak, limit, outcome });
    }
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / MIB as f64)
}

// ---------------------------------------------------------------------------------------------
// Shared set-up, built before a case is measured.

fn config(vars: &[(&str, &str)]) -> Config {
    let mut all: Vec<(String, String)> = vec![
        ("KENNY_CONTACTS".into(), "sample:contacts".into()),
        ("KENNY_CALENDARS".into(), "sample:calendars".into()),
        ("KENNY_CACHE_TTL_MS".into(), "0".into()),
        ("KENNY_TIMEZONE".into(), "UTC".into()),
    ];
    for (k, v) in vars {
        all.retain(|(n, _)| n != k);
        all.push((k.to_string(), v.to_string()));
    }
    Config::from_parts(|k| all.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()), None).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn capabilities(vars: &[(&str, &str)]) -> Arc<Capabilities> {
    Arc::new(runtime().block_on(Capabilities::from_config(&config(vars))).unwrap())
}

fn calendar_function() -> FunctionState {
    let caps = runtime().block_on(Capabilities::from_config(&config(&[]))).unwrap();
    FunctionState::calendar(caps.calendar.unwrap(), Arc::new(kenny::ports::metrics::Discard))
}

fn coordinator() -> Coordinator {
    Coordinator::new(
        Arc::new(InProcess::new(capabilities(&[]))),
        Arc::new(MemoryStore::default()),
        Arc::new(kenny::ports::metrics::Discard),
        chrono_tz::UTC,
        Limits::default(),
    )
}

fn coordinate_function() -> FunctionState {
    FunctionState::coordinate(coordinator(), Arc::new(kenny::ports::metrics::Discard))
}

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An API Gateway v2 event of `fixture` (for its route) with `body`.
fn http_event(fixture_name: &str, body: String) -> Value {
    let mut e = fixture(fixture_name);
    e["body"] = Value::String(body);
    e["isBase64Encoded"] = json!(false);
    e
}

fn invoke(state: &FunctionState, payload: Value) -> Value {
    let mut ctx = Context::default();
    ctx.request_id = "hostile".into();
    ctx.deadline = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 50_000;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(handle(state, LambdaEvent::new(payload, ctx))).expect("bad input is never a function error")
}

/// `(status, code, field)` of an HTTP response.
fn http_error(v: &Value) -> (i64, String, Option<String>) {
    let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    let e = &body["error"];
    (v["statusCode"].as_i64().unwrap(), e["code"].as_str().unwrap_or("").into(), e["field"].as_str().map(Into::into))
}

/// A folder holding one iCalendar item, read as a `file://` calendar.
struct IcsDir(tempfile::TempDir);

impl IcsDir {
    fn new(ics: &[u8]) -> (IcsDir, usize) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("item.ics"), ics).unwrap();
        (IcsDir(dir), ics.len())
    }

    /// `calendar.read` of 2026 (UTC) with `limit`, through the file source: the response body,
    /// or the error.
    fn read(&self, limit: usize) -> Result<Value, kenny::domain::error::ApiError> {
        let url = format!("file://{}", self.0.path().display());
        let caps = capabilities(&[("KENNY_CALENDARS", url.as_str())]);
        let params = json!({"start": "2026-01-01", "end": "2027-01-01", "timezone": "UTC", "limit": limit});
        runtime().block_on(caps.invoke_json(Capability::CalendarRead, params, None))
    }
}

fn ics(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny//hostile//EN\r\n{events}END:VCALENDAR\r\n")
}

fn events_of(body: &Value) -> &Vec<Value> {
    body["events"].as_array().unwrap()
}

fn skipped_codes(body: &Value) -> Vec<String> {
    body["skipped"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap().to_string()).collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn hostile_inputs_end_cleanly_in_bounded_memory() {
    let mut r = Runner { only: std::env::var("HOSTILE_CASE").ok(), rows: Vec::new(), failures: Vec::new() };

    multistatus_cases(&mut r);
    body_cases(&mut r);
    ical_cases(&mut r);
    recurrence_cases(&mut r);
    vcard_cases(&mut r);
    json_cases(&mut r);
    question_and_plan_cases(&mut r);

    let mut table = String::from("case                              input        peak         bound        outcome\n");
    for row in &r.rows {
        let _ = writeln!(
            table,
            "{:<33} {:>12} {:>12} {:>12}  {}",
            row.name,
            mib(row.input),
            mib(row.peak),
            mib(row.limit),
            row.outcome
        );
    }
    println!("{table}");
    assert!(!r.rows.is_empty(), "HOSTILE_CASE matched no case");
    assert!(r.failures.is_empty(), "{}\n{table}", r.failures.join("\n"));
}

/// Billion laughs, XXE and deep nesting straight into the multistatus parser (the network
/// path of the same replies is `tests/tests/dav_hostile.rs`).
fn multistatus_cases(r: &mut Runner) {
    use kenny::adapters::dav::xml::{XmlError, multistatus};
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">\n");
    for i in 1..=9 {
        let _ = writeln!(dtd, "<!ENTITY lol{i} \"{}\">", format!("&lol{};", i - 1).repeat(10));
    }
    let body = |inner: &str| {
        format!(
            "<multistatus xmlns=\"DAV:\"><response><href>/c/a.ics</href><propstat><prop>\
             <displayname>{inner}</displayname></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
        )
    };
    let laughs = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE multistatus [\n{dtd}]>\n{}", body("&lol9;"));
    let xxe = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE multistatus [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n{}",
        body("&xxe;")
    );
    let deep = format!("<multistatus xmlns=\"DAV:\">{}{}</multistatus>", "<x>".repeat(100_000), "</x>".repeat(100_000));
    for (name, text) in
        [("multistatus_billion_laughs", laughs), ("multistatus_xxe", xxe), ("multistatus_nested_100k", deep)]
    {
        if !r.wants(name) {
            continue;
        }
        r.run(name, text.len(), bound(4, 256 * KIB), move || match multistatus(&text) {
            Err(e @ (XmlError::Entity(_) | XmlError::TooBig(_))) => format!("refused: {e}"),
            other => panic!("expected a refusal, got {other:?}"),
        });
    }
}

/// 100 MB bodies where they arrive: the Lambda edge (HTTP and direct invoke) and the outbound
/// HTTP client's streaming body cap.
fn body_cases(r: &mut Runner) {
    const SIZE: usize = 100 * 1000 * 1000;
    if r.wants("lambda_http_body_100mb") {
        let state = calendar_function();
        let event = http_event("apigw-v2-calendar-read.json", format!("{{\"text\": \"{}\"}}", "x".repeat(SIZE)));
        r.run("lambda_http_body_100mb", SIZE, bound(0, 4 * MIB), move || {
            let out = invoke(&state, event);
            let (status, code, _) = http_error(&out);
            assert_eq!((status, code.as_str()), (413, "too_large"));
            "HTTP 413 too_large".into()
        });
    }
    if r.wants("lambda_direct_body_100mb") {
        let state = calendar_function();
        let payload = json!({"start": "2026-11-30", "end": "2026-12-07", "text": "y".repeat(SIZE)});
        r.run("lambda_direct_body_100mb", SIZE, bound(0, 4 * MIB), move || {
            let out = invoke(&state, payload);
            assert_eq!(out["error"]["code"], "too_large", "{}", out["error"]);
            "error too_large (direct invoke)".into()
        });
    }
    if r.wants("http_client_body_100mb") {
        // A server that answers 100 MB without Content-Length (so the cap is met while streaming).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut head = [0u8; 4096];
                let _ = s.read(&mut head);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nConnection: close\r\n\r\n");
                let chunk = vec![b'A'; 64 * KIB];
                let mut sent = 0;
                while sent < SIZE && s.write_all(&chunk).is_ok() {
                    sent += chunk.len();
                }
            }
        });
        let cap = kenny::adapters::http::MAX_BODY_BYTES;
        r.run("http_client_body_100mb", SIZE, bound(0, 2 * cap + 8 * MIB), move || {
            let http = kenny::adapters::http::Http::new(kenny::adapters::http::HttpOptions {
                allow_private: true,
                timeout: Duration::from_secs(30),
                ..Default::default()
            })
            .unwrap();
            let url = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/feed.ics")).unwrap();
            let req = kenny::adapters::http::Request::new(reqwest::Method::GET, url, "hostile feed");
            match runtime().block_on(http.send(&req)) {
                Err(e @ kenny::adapters::http::HttpError::TooLarge { .. }) => {
                    assert_eq!(e.code(), "source_bad_reply");
                    format!("source_bad_reply after {} MiB", cap / MIB)
                }
                other => panic!("expected TooLarge, got {other:?}"),
            }
        });
    }
}

fn vcard_cases(r: &mut Runner) {
    if !r.wants("vcard_10k_emails") {
        return;
    }
    let mut card = String::from("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:many\r\nFN:Manuela Many\r\n");
    for i in 0..10_000 {
        let _ = write!(card, "EMAIL:manuela{i}@example.com\r\n");
    }
    card.push_str("END:VCARD\r\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.vcf");
    std::fs::write(&path, &card).unwrap();
    let url = format!("file://{}", path.display());
    r.run("vcard_10k_emails", card.len(), bound(64, 16 * MIB), move || {
        let _keep = dir;
        let caps = capabilities(&[("KENNY_CONTACTS", url.as_str())]);
        let body = runtime()
            .block_on(caps.invoke_json(Capability::ContactsResolve, json!({"query": "Manuela"}), None))
            .expect("an answer");
        let emails = body["resolved"]["emails"].as_array().unwrap().len();
        assert_eq!(emails, kenny::domain::contacts::vcard::MAX_EMAILS);
        format!("resolved with {emails} of 10,000 emails")
    });
}

/// Oversized and deeply nested JSON requests.
fn json_cases(r: &mut Runner) {
    if r.wants("json_nested_100k") {
        let state = calendar_function();
        let body = format!("{{\"text\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let size = body.len();
        let event = http_event("apigw-v2-calendar-read.json", body);
        r.run("json_nested_100k", size, bound(8, 4 * MIB), move || {
            let (status, code, _) = http_error(&invoke(&state, event));
            assert_eq!((status, code.as_str()), (400, "invalid_request"));
            "HTTP 400 invalid_request (nesting past serde_json's limit of 128)".into()
        });
    }
    if r.wants("json_plan_params_nested_120") {
        let state = coordinate_function();
        let plan = json!({"steps": [{"id": "a", "capability": "calendar.read",
            "params": {"x": serde_json::from_str::<Value>(&format!("{}1{}", "[".repeat(120), "]".repeat(120))).unwrap()}}]});
        let body = json!({"plan": plan}).to_string();
        let size = body.len();
        let event = http_event("apigw-v2-plan.json", body);
        r.run("json_plan_params_nested_120", size, bound(64, 4 * MIB), move || {
            let (status, code, field) = http_error(&invoke(&state, event));
            assert_eq!((status, code.as_str(), field.as_deref()), (400, "invalid_request", Some("plan")));
            "HTTP 400 invalid_request on plan (params nested past 32)".into()
        });
    }
}

fn question_and_plan_cases(r: &mut Runner) {
    if r.wants("question_1mb") {
        let state = coordinate_function();
        let question = "with Tom next week ".repeat(1024 * 1024 / 19 + 1);
        let size = question.len();
        let event = http_event("apigw-v2-ask.json", json!({"question": question.clone()}).to_string());
        r.run("question_1mb", size, bound(2, 4 * MIB), move || {
            let (status, code, _) = http_error(&invoke(&state, event));
            assert_eq!((status, code.as_str()), (413, "too_large"));
            // Without the body cap (the CLI, in-process callers) the parser's own limit answers.
            let now = chrono_tz::UTC.timestamp_opt(1_795_773_600, 0).unwrap();
            let e = kenny::domain::question::parse(&question, now).unwrap_err();
            assert!(matches!(e, kenny::domain::question::QuestionError::TooLong { .. }), "{e:?}");
            "HTTP 413 too_large; parse: invalid_request (over 2,000 characters)".into()
        });
    }
    if r.wants("plan_10k_steps") {
        let state = coordinate_function();
        let c = coordinator();
        let steps: Vec<Value> =
            (0..10_000).map(|i| json!({"id": format!("s{i}"), "capability": "contacts.resolve"})).collect();
        let request = json!({"plan": {"steps": steps}});
        let body = request.to_string();
        let size = body.len();
        let event = http_event("apigw-v2-plan.json", body);
        r.run("plan_10k_steps", size, bound(16, 8 * MIB), move || {
            let (status, code, _) = http_error(&invoke(&state, event));
            assert_eq!((status, code.as_str()), (413, "too_large"));
            // In process (the CLI's `plan run`): the plan's own step limit.
            let req: CoordinateRequest = serde_json::from_value(request).unwrap();
            let e = runtime().block_on(c.handle(req, "hostile", None)).unwrap_err();
            let e = kenny::domain::error::ApiError::from_error(&e);
            assert_eq!((e.code.as_str(), e.field.as_deref()), ("invalid_request", Some("plan")), "{e}");
            "HTTP 413 too_large; in process: invalid_request (more than 64 steps)".into()
        });
    }
    for (name, n) in [("plan_ref_chain_64", 64), ("plan_ref_chain_65", 65)] {
        if !r.wants(name) {
            continue;
        }
        let c = coordinator();
        let mut steps = vec![json!({"id": "s0", "capability": "contacts.resolve", "params": {"query": "Sarah"}})];
        for i in 1..n {
            steps.push(json!({"id": format!("s{i}"), "capability": "contacts.resolve",
                "params": {"query": {"$ref": format!("s{}/query", i - 1)}}}));
        }
        let request = json!({"plan": {"steps": steps}});
        let size = request.to_string().len();
        r.run(name, size, bound(256, 16 * MIB), move || {
            let req: CoordinateRequest = serde_json::from_value(request).unwrap();
            match runtime().block_on(c.handle(req, "hostile", None)) {
                Ok(resp) if n <= kenny::domain::plan::MAX_STEPS => {
                    assert!(resp.errors.is_empty() && !resp.degraded, "{:?}", resp.errors);
                    assert_eq!(resp.answer.people.len(), n);
                    assert!(resp.answer.people.iter().all(|p| p.resolution.query == "Sarah"));
                    format!("answered: {n} chained steps, each resolving \"Sarah\"")
                }
                Err(e) if n > kenny::domain::plan::MAX_STEPS => {
                    let e = kenny::domain::error::ApiError::from_error(&e);
                    assert_eq!(e.code, "invalid_request");
                    "invalid_request (more than 64 steps)".into()
                }
                other => panic!("unexpected: {:?}", other.map(|r| r.errors)),
            }
        });
    }
    if r.wants("plan_ref_pointer_10k_deep") {
        let c = coordinator();
        let pointer = "x/".repeat(10_000);
        let request = json!({"plan": {"steps": [
            {"id": "a", "capability": "contacts.resolve", "params": {"query": "Tom"}},
            {"id": "b", "capability": "contacts.resolve", "params": {"query": {"$ref": format!("a/{pointer}")}}},
        ]}});
        let size = request.to_string().len();
        r.run("plan_ref_pointer_10k_deep", size, bound(64, 16 * MIB), move || {
            let req: CoordinateRequest = serde_json::from_value(request).unwrap();
            let resp = runtime().block_on(c.handle(req, "hostile", None)).expect("a degraded answer");
            assert!(resp.degraded);
            assert_eq!(resp.errors.len(), 1);
            assert_eq!((resp.errors[0].step.as_str(), resp.errors[0].code.as_str()), ("b", "ref_unresolved"));
            "degraded: step b ref_unresolved".into()
        });
    }
}
