//! The coordinator's DAG execution against an in-memory `Sibling`: concurrency proven by
//! counting calls in flight (and by steps that can only finish if others run at the same time),
//! never by wall-clock assertions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use kenny::capabilities::coordinate::{CoordinateRequest, Coordinator, Limits};
use kenny::domain::contacts::{Candidate, Resolution};
use kenny::domain::error::ApiError;
use kenny::domain::slots::IntervalOut;
use kenny::domain::time::WindowOut;
use kenny::ports::contracts::{FreeBusyResponse, PersonBusyOut, ReadResponse, ResolveResponse};
use kenny::ports::sibling::{Call, Output, Sibling};
use kenny::ports::timing::{MemoryStore, RecordKind};
use serde_json::{Value, json};

/// A sibling whose behaviour each call's directive chooses: the `query` of a `contacts.resolve`
/// (the `calendars` of a `calendar.freebusy`, the `text` of a `calendar.read`), "TAG MODE ARG" as [`step`] writes it:
/// `barrier` waits until `barrier` calls are in flight together; `wait_for OTHER` waits until
/// the step tagged OTHER has been called; `fail` errors; `hang` never answers; `sleep MS`.
/// A `contacts.resolve` answers a contact named "TAG-output"; a `calendar.freebusy` of
/// `mine` answers the user busy 09:00–12:00 on 1 December; a `calendar.read` answers its window.
#[derive(Debug)]
struct Fake {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    calls: Mutex<Vec<String>>,
    barrier: tokio::sync::Barrier,
    called: tokio::sync::Notify,
}

impl Fake {
    fn new(barrier: usize) -> Arc<Self> {
        Arc::new(Fake {
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            calls: Mutex::new(Vec::new()),
            barrier: tokio::sync::Barrier::new(barrier),
            called: tokio::sync::Notify::new(),
        })
    }
    fn max(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
    /// Each call's directive, in call order.
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    /// Each call's tag, in call order.
    fn tags(&self) -> Vec<String> {
        self.calls().iter().map(|c| c.split(' ').next().unwrap_or_default().to_string()).collect()
    }
    fn was_called(&self, tag: &str) -> bool {
        self.tags().iter().any(|t| t == tag)
    }
}

/// The user's busy morning, as a `calendar.freebusy` answer.
fn mine() -> FreeBusyResponse {
    let busy = IntervalOut { start: "2026-12-01T09:00:00Z".into(), end: "2026-12-01T12:00:00Z".into() };
    FreeBusyResponse {
        window: WindowOut { start: "2026-12-01T00:00:00Z".into(), end: "2026-12-02T00:00:00Z".into() },
        people: vec![PersonBusyOut {
            person: "me".into(),
            emails: Vec::new(),
            busy: vec![busy],
            source: "events".into(),
            complete: true,
        }],
        unknown: Vec::new(),
        errors: Vec::new(),
        calendars: Vec::new(),
        skipped: Vec::new(),
        truncated: false,
    }
}

#[async_trait]
impl Sibling for Fake {
    async fn call(&self, call: Call) -> Result<Output, ApiError> {
        let directive = match &call {
            Call::Resolve(r) => r.query.clone(),
            Call::FreeBusy(r) => r.calendars.clone().unwrap_or_default().join(" "),
            Call::Read(r) => r.text.clone().unwrap_or_default(),
        };
        let words: Vec<&str> = directive.split(' ').collect();
        let (tag, mode, arg) = (words[0], words.get(1).copied().unwrap_or(""), words.get(2).copied().unwrap_or(""));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        self.calls.lock().unwrap().push(directive.clone());
        self.called.notify_waiters();
        let fail = |msg: &str| ApiError { code: "boom".into(), message: msg.into(), field: None, status: 502 };
        let result = match mode {
            "barrier" => match tokio::time::timeout(Duration::from_secs(10), self.barrier.wait()).await {
                Ok(_) => Ok(()),
                Err(_) => Err(fail("barrier never filled: the steps did not run at the same time")),
            },
            "wait_for" => {
                let waited = tokio::time::timeout(Duration::from_secs(10), async {
                    loop {
                        let notified = self.called.notified();
                        if self.was_called(arg) {
                            break;
                        }
                        notified.await;
                    }
                })
                .await;
                waited.map_err(|_| fail("the other step never started while this one ran"))
            }
            "fail" => Err(fail("failed on purpose")),
            "hang" => std::future::pending().await,
            "sleep" => {
                tokio::time::sleep(Duration::from_millis(arg.parse().unwrap_or(0))).await;
                Ok(())
            }
            _ => Ok(()),
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result?;
        Ok(match call {
            Call::FreeBusy(_) => Output::FreeBusy(mine()),
            Call::Read(r) => Output::Read(ReadResponse {
                events: Vec::new(),
                calendars: Vec::new(),
                truncated: false,
                window: WindowOut { start: r.start, end: r.end },
                skipped: Vec::new(),
            }),
            _ => {
                let contact = Candidate {
                    uid: tag.into(),
                    name: format!("{tag}-output"),
                    emails: vec![format!("{tag}@x.org")],
                    phones: Vec::new(),
                    organization: None,
                    score: 1.0,
                    matched_on: "name".into(),
                };
                let resolution = Resolution {
                    query: directive.clone(),
                    resolved: Some(contact),
                    ambiguous: false,
                    candidates: Vec::new(),
                };
                Output::Resolve(ResolveResponse { resolution, cache: kenny::ports::sources::CacheTier::Miss })
            }
        })
    }
    fn transport(&self) -> &'static str {
        "fake"
    }
}

fn coordinator(fake: Arc<Fake>, store: Arc<MemoryStore>, limits: Limits) -> Coordinator {
    Coordinator::new(fake, store, Arc::new(kenny::ports::metrics::Discard), chrono_tz::UTC, limits)
}

fn request(plan: Value, sequential: bool) -> CoordinateRequest {
    serde_json::from_value(json!({"plan": plan, "sequential": sequential})).unwrap()
}

/// A `contacts.resolve` step whose query is the fake's directive: `params` are
/// `{"tag"?, "mode"?, "ms"?, "other"?}`, or `{"ref": {"$ref": …}}` for a query taken from an
/// earlier step's output.
fn step(id: &str, params: Value, deps: &[&str]) -> Value {
    let query = match params.get("ref") {
        Some(r) => r.clone(),
        None => {
            let word = |k: &str, none: &str| match &params[k] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => none.to_string(),
            };
            let arg = if params.get("ms").is_some() { word("ms", "") } else { word("other", "") };
            json!(format!("{} {} {arg}", word("tag", "-"), word("mode", "ok")).trim_end())
        }
    };
    json!({"id": id, "capability": "contacts.resolve", "params": {"query": query}, "depends_on": deps})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_steps_run_at_the_same_time() {
    let fake = Fake::new(3);
    let store = Arc::new(MemoryStore::default());
    let c = coordinator(fake.clone(), store.clone(), Limits::default());
    let plan = json!({"steps": [
        step("a", json!({"mode": "barrier"}), &[]),
        step("b", json!({"mode": "barrier"}), &[]),
        step("c", json!({"mode": "barrier"}), &[]),
    ]});
    let r = c.handle(request(plan, false), "req-1", None).await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(!r.degraded);
    assert_eq!(fake.max(), 3);
    assert_eq!(r.timings.max_in_flight, 3);
    // Each step's span overlaps the others'.
    let s = &r.timings.steps;
    for x in s {
        for y in s {
            assert!(x.start_ms < y.start_ms + y.duration_ms, "{x:?} vs {y:?}");
        }
    }
    assert_eq!(r.timings.steps.iter().map(|s| s.transport.as_str()).collect::<Vec<_>>(), ["fake"; 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_runs_one_step_at_a_time_in_dependency_order() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [
        step("late", json!({"tag": "late"}), &["a", "b"]),
        step("a", json!({"tag": "a"}), &[]),
        step("b", json!({"tag": "b"}), &[]),
    ]});
    let r = c.handle(request(plan, true), "req-2", None).await.unwrap();
    assert_eq!(fake.max(), 1);
    assert_eq!(r.timings.max_in_flight, 1);
    assert!(r.timings.sequential);
    assert_eq!(fake.tags(), ["a", "b", "late"]);
    let s = &r.timings.steps;
    assert!(s[1].start_ms + s[1].duration_ms <= s[2].start_ms + 1e-9);
    assert!(s[2].start_ms + s[2].duration_ms <= s[0].start_ms + 1e-9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dependent_step_starts_when_its_own_dependencies_finish_not_in_waves() {
    // `slow` can only finish once `after_fast` has been called; in lock-step waves
    // `after_fast` would wait for `slow` and `slow` would give up.
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [
        step("slow", json!({"tag": "slow", "mode": "wait_for", "other": "after_fast"}), &[]),
        step("fast", json!({"tag": "fast"}), &[]),
        step("after_fast", json!({"tag": "after_fast"}), &["fast"]),
    ]});
    let r = c.handle(request(plan, false), "req-3", None).await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(fake.max(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_step_fails_only_its_dependents() {
    let fake = Fake::new(1);
    let store = Arc::new(MemoryStore::default());
    let c = coordinator(fake.clone(), store.clone(), Limits::default());
    let plan = json!({"steps": [
        step("a", json!({"mode": "fail"}), &[]),
        step("b", json!({"tag": "b"}), &["a"]),
        step("b2", json!({"tag": "b2"}), &["b"]),
        step("c", json!({"tag": "c"}), &[]),
        step("d", json!({"ref": {"$ref": "c/resolved/name"}}), &[]),
    ]});
    let r = c.handle(request(plan, false), "req-4", None).await.unwrap();
    assert!(r.degraded);
    let errs: Vec<_> = r.errors.iter().map(|e| (e.step.as_str(), e.code.as_str())).collect();
    assert_eq!(errs, [("a", "boom"), ("b", "dependency_failed"), ("b2", "dependency_failed")]);
    let status: Vec<_> = r.timings.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(status, ["error", "skipped", "skipped", "ok", "ok"]);
    assert!(!fake.was_called("b") && !fake.was_called("b2"));
    // `$ref` passed c's output into d.
    assert!(fake.was_called("c-output"), "{:?}", fake.calls());
    // Records: one for the request, one per step; failed and skipped steps included.
    let recs = store.records();
    assert_eq!(recs.len(), 6);
    assert_eq!(recs[0].kind, RecordKind::Request);
    assert_eq!(recs[0].status, "degraded");
    assert_eq!(recs[2].error_code.as_deref(), Some("dependency_failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dependent_whose_refs_have_defaults_runs_on_the_defaults() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [
        step("person", json!({"mode": "fail"}), &[]),
        step("read", json!({"ref": {"$ref": "person/resolved/name", "default": "Sarah"}}), &["person"]),
        step("strict", json!({"ref": {"$ref": "person/resolved/name"}}), &[]),
    ]});
    let r = c.handle(request(plan, false), "req-d", None).await.unwrap();
    assert!(r.degraded);
    assert!(fake.was_called("Sarah"), "read ran on the default: {:?}", fake.calls());
    assert_eq!(fake.calls().len(), 2, "strict was not called: {:?}", fake.calls());
    let errs: Vec<_> = r.errors.iter().map(|e| (e.step.as_str(), e.code.as_str())).collect();
    assert_eq!(errs, [("person", "boom"), ("strict", "dependency_failed")]);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_step_times_out_and_the_rest_answers() {
    let fake = Fake::new(1);
    let limits = Limits { step_timeout: Duration::from_millis(200), ..Limits::default() };
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), limits);
    let plan = json!({"steps": [
        step("stuck", json!({"mode": "hang"}), &[]),
        step("ok", json!({"tag": "ok"}), &[]),
    ]});
    let r = c.handle(request(plan, false), "req-5", None).await.unwrap();
    assert!(r.degraded);
    assert_eq!(r.errors[0].step, "stuck");
    assert_eq!(r.errors[0].code, "timeout");
    assert_eq!(r.timings.steps[1].status, "ok");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_bounds_every_step() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [step("stuck", json!({"mode": "hang"}), &[])]});
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    let r = tokio::time::timeout(Duration::from_secs(5), c.handle(request(plan, false), "req-6", Some(deadline)))
        .await
        .expect("the coordinator must answer before its own deadline")
        .unwrap();
    assert_eq!(r.errors[0].code, "timeout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded() {
    let fake = Fake::new(1);
    let limits = Limits { max_concurrency: 3, ..Limits::default() };
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), limits);
    let steps: Vec<Value> = (0..12).map(|i| step(&format!("s{i}"), json!({"mode": "sleep", "ms": 20}), &[])).collect();
    let r = c.handle(request(json!({"steps": steps}), false), "req-7", None).await.unwrap();
    assert!(r.errors.is_empty());
    assert_eq!(r.timings.max_in_flight, 3);
    assert!(fake.max() <= 3);
}

#[tokio::test(start_paused = true)]
async fn critical_path_and_sum_of_steps() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [
        step("a", json!({"mode": "sleep", "ms": 100}), &[]),
        step("b", json!({"mode": "sleep", "ms": 50}), &[]),
        step("c", json!({"mode": "sleep", "ms": 30}), &["a"]),
    ]});
    let r = c.handle(request(plan, false), "req-8", None).await.unwrap();
    let t = &r.timings;
    assert!((t.critical_path_ms - 130.0).abs() < 5.0, "{t:?}");
    assert!((t.sum_of_steps_ms - 180.0).abs() < 5.0, "{t:?}");
    assert!(t.total_ms >= t.critical_path_ms - 1.0);
    assert_eq!(t.max_in_flight, 2);
}

#[tokio::test]
async fn invalid_plans_are_refused_before_anything_runs() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [step("a", json!({}), &["b"]), step("b", json!({}), &["a"])]});
    let err = c.handle(request(plan, false), "req-9", None).await.unwrap_err();
    let api = ApiError::from_error(&err);
    assert_eq!(api.code, "invalid_request");
    assert!(api.message.contains("cycle"), "{api:?}");
    assert!(fake.calls().is_empty());
    let both: Result<CoordinateRequest, _> = serde_json::from_value(json!({"question": "x", "plan": {"steps": []}}));
    let err = c.handle(both.unwrap(), "req-10", None).await.unwrap_err();
    assert_eq!(ApiError::from_error(&err).field.as_deref(), Some("question"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cover_latency_steps_speedup_errors_and_cold_starts() {
    let fake = Fake::new(1);
    let sink = Arc::new(kenny::ports::metrics::Memory::default());
    let c = Coordinator::new(fake, Arc::new(MemoryStore::default()), sink.clone(), chrono_tz::UTC, Limits::default());
    let plan = json!({"steps": [step("a", json!({"mode": "fail"}), &[]), step("b", json!({}), &[])]});
    c.handle(request(plan.clone(), false), "m-1", None).await.unwrap();
    c.handle(request(plan, false), "m-2", None).await.unwrap();
    let lines = sink.lines();
    let with = |name: &str| lines.iter().filter(|l| l.get(name).is_some()).cloned().collect::<Vec<_>>();
    assert_eq!(with("Latency").len(), 2);
    assert_eq!(with("ColdStarts").len(), 1, "only the first request is a cold start");
    assert_eq!(with("StepLatency").len(), 4);
    assert_eq!(with("DegradedAnswers")[0]["DegradedAnswers"], 1.0);
    let errors = with("StepErrors");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["ErrorCode"], "boom");
    assert_eq!(errors[0]["Capability"], "contacts.resolve");
    assert!(with("ParallelSpeedup")[0]["ParallelSpeedup"].as_f64().unwrap() > 0.0);
    for l in &lines {
        for m in l["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(kenny::ports::metrics::CATALOGUE.iter().any(|d| d.name == name), "{name} is not in the catalogue");
        }
    }
}

/// A store that always fails, as DynamoDB does when it is unreachable.
#[derive(Debug)]
struct Down;

#[async_trait]
impl kenny::ports::timing::TimingStore for Down {
    async fn write(&self, _: &[kenny::ports::timing::TimingRecord]) -> Result<(), kenny::ports::timing::TimingError> {
        Err(kenny::ports::timing::TimingError::Dynamo {
            table: "t".into(),
            message: "unreachable".into(),
            unwritten: 3,
        })
    }
    async fn query(
        &self,
        _: chrono::DateTime<chrono::Utc>,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<kenny::ports::timing::TimingRecord>, kenny::ports::timing::TimingError> {
        Ok(Vec::new())
    }
}

/// Captured log output.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failed_timing_write_keeps_the_answer_logs_the_records_for_replay_and_counts_it() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sink = Arc::new(kenny::ports::metrics::Memory::default());
    let c = Coordinator::new(Fake::new(1), Arc::new(Down), sink.clone(), chrono_tz::UTC, Limits::default());
    let plan = json!({"steps": [step("a", json!({}), &[]), step("b", json!({}), &["a"])]});
    let r = c.handle(request(plan, false), "lost-1", None).await.unwrap();
    assert!(!r.degraded && r.errors.is_empty(), "the user's answer does not depend on the record");
    let failures: Vec<_> = sink.lines().into_iter().filter(|l| l.get("TimingWriteFailures").is_some()).collect();
    assert_eq!(failures[0]["TimingWriteFailures"], 1.0);
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["fields"]["message"] == "timing records not written")
        .expect("one structured line");
    let records: Vec<kenny::ports::timing::TimingRecord> =
        serde_json::from_str(line["fields"]["records"].as_str().unwrap()).unwrap();
    assert_eq!(records.len(), 3, "the request and both steps, ready to replay");
    assert!(records.iter().all(|r| r.request_id == "lost-1"));
    assert_eq!(line["fields"]["code"], "timing_store_failed");
}

#[test]
fn a_question_becomes_concurrent_resolves_and_a_fetch_then_a_filtered_read() {
    let tz = chrono_tz::America::New_York;
    let now = chrono::TimeZone::with_ymd_and_hms(&tz, 2026, 11, 27, 10, 0, 0).unwrap();
    let q = kenny::domain::question::parse("meetings with Bob Smith and Zoë next week about the budget", now).unwrap();
    let plan = kenny::capabilities::coordinate::question_plan(&q, now, tz);
    assert_eq!(
        serde_json::to_value(&plan).unwrap(),
        json!({"steps": [
            {"id": "person_1", "capability": "contacts.resolve", "params": {"query": "Bob Smith"}},
            {"id": "person_2", "capability": "contacts.resolve", "params": {"query": "Zoë"}},
            // The window's calendar I/O starts at once, beside the resolves.
            {"id": "fetch", "capability": "calendar.read", "params": {
                "start": "2026-11-30T00:00:00-05:00", "end": "2026-12-07T00:00:00-05:00", "timezone": "America/New_York",
                "text": "budget", "limit": 1}},
            {"id": "calendar", "capability": "calendar.read", "depends_on": ["person_1", "person_2", "fetch"], "params": {
                "start": {"$ref": "fetch/window/start", "default": "2026-11-30T00:00:00-05:00"},
                "end": {"$ref": "fetch/window/end", "default": "2026-12-07T00:00:00-05:00"},
                "timezone": "America/New_York",
                "attendees": [{"$ref": "person_1/resolved/emails", "default": "Bob Smith"},
                              {"$ref": "person_2/resolved/emails", "default": "Zoë"}],
                "text": "budget"}}
        ]})
    );
    let valid = plan.validate().unwrap();
    assert_eq!(valid.steps[2].deps, Vec::<usize>::new());
    assert_eq!(valid.steps[3].deps, vec![0, 1, 2]);
    // No people, no time: one read of the next seven days from the start of today.
    let q = kenny::domain::question::parse("what's on my calendar?", now).unwrap();
    let plan = serde_json::to_value(kenny::capabilities::coordinate::question_plan(&q, now, tz)).unwrap();
    assert_eq!(plan["steps"].as_array().unwrap().len(), 1);
    assert_eq!(plan["steps"][0]["params"]["start"], "2026-11-27T00:00:00-05:00");
    assert_eq!(plan["steps"][0]["params"]["end"], "2026-12-04T00:00:00-05:00");
}

/// `slots.find` runs in the coordinator (transport `local`) on its free/busy steps' outputs; a
/// failed free/busy step with a default makes its person unknown, never free — without a
/// default the slots are skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_run_locally_and_a_failed_free_busy_step_leaves_its_person_unknown() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = |default: Option<Value>| {
        let mut bob = json!({"$ref": "fb_bob"});
        if let Some(d) = default {
            bob["default"] = d;
        }
        json!({"steps": [
            {"id": "fb_me", "capability": "calendar.freebusy", "params": {"start": "2026-12-01", "end": "2026-12-02", "calendars": ["mine"]}},
            {"id": "fb_bob", "capability": "calendar.freebusy", "params": {"start": "2026-12-01", "end": "2026-12-02", "calendars": ["bob", "fail"]}},
            {"id": "slots", "capability": "slots.find", "params": {
                "start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z", "timezone": "UTC",
                "duration_minutes": 60, "busy": [{"$ref": "fb_me"}, bob]}}
        ]})
    };
    let r =
        c.handle(request(plan(Some(json!({"people": [], "unknown": ["bob@x.org"]}))), false), "r", None).await.unwrap();
    assert!(r.degraded);
    assert_eq!(r.errors.iter().map(|e| e.step.as_str()).collect::<Vec<_>>(), ["fb_bob"]);
    let slots = r.answer.slots.expect("slots");
    assert_eq!(slots.slots[0].start, "2026-12-01T12:00:00+00:00");
    assert_eq!(slots.unknown, ["bob@x.org"]);
    assert_eq!(slots.participants, ["me"]);
    let s = &r.timings.steps[2];
    assert_eq!((s.capability.as_str(), s.status.as_str(), s.transport.as_str()), ("slots.find", "ok", "local"));
    assert_eq!(fake.calls().len(), 2, "slots.find never goes to a sibling");
    // No default: the slots are not computed at all.
    let r = c.handle(request(plan(None), false), "r2", None).await.unwrap();
    assert!(r.answer.slots.is_none());
    assert_eq!(r.errors.last().map(|e| e.code.as_str()), Some("dependency_failed"));
}

/// A step named `fetch` in an explicit plan is a step like any other: only a question's own
/// window fetch is a head start, so here its failure is the answer's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_plans_fetch_step_is_an_ordinary_step() {
    let fake = Fake::new(1);
    let c = coordinator(fake.clone(), Arc::new(MemoryStore::default()), Limits::default());
    let plan = json!({"steps": [
        {"id": "fetch", "capability": "calendar.read",
         "params": {"start": "2026-12-01", "end": "2026-12-02", "text": "fetch fail"}},
        {"id": "other", "capability": "calendar.read", "params": {"start": "2026-12-03", "end": "2026-12-04"}}
    ]});
    let r = c.handle(request(plan, false), "req-f", None).await.unwrap();
    assert!(r.degraded);
    let errs: Vec<_> = r.errors.iter().map(|e| (e.step.as_str(), e.code.as_str())).collect();
    assert_eq!(errs, [("fetch", "boom")]);
    let plan = json!({"steps": [
        {"id": "fetch", "capability": "calendar.read", "params": {"start": "2026-12-01", "end": "2026-12-02"}}
    ]});
    let r = c.handle(request(plan, false), "req-g", None).await.unwrap();
    assert_eq!(r.answer.window.unwrap().start, "2026-12-01", "its window is the answer's");
}
