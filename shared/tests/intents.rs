//! Every intent end to end in one process on the bundled sample data: the coordinator over the
//! real capabilities, each answer checked against a direct `calendar.read` / `calendar.freebusy`
//! of the same data (the ground truth), the search's reads counted, and the intent carried by
//! the timing record and the `Answers` metric.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use kenny::adapters::in_process::InProcess;
use kenny::capabilities::coordinate::{CoordinateRequest, CoordinateResponse, Coordinator, Limits};
use kenny::domain::error::ApiError;
use kenny::domain::plan::Capability;
use kenny::ports::contracts::EventOut;
use kenny::ports::sibling::{Call, Output, Sibling};
use kenny::ports::timing::{MemoryStore, RecordKind};
use serde_json::{Value, json};

const NOW: &str = "2026-11-27T10:00:00-05:00";
const TZ: &str = "America/New_York";

/// The in-process sibling, counting `calendar.read` calls; with `fail_fetch`, a question's window
/// fetch (a read without attendees, answering one event) fails.
#[derive(Debug)]
struct Counting {
    inner: InProcess,
    reads: AtomicUsize,
    fail_fetch: AtomicBool,
}

#[async_trait]
impl Sibling for Counting {
    async fn call(&self, call: Call) -> Result<Output, ApiError> {
        if call.capability() == Capability::CalendarRead {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        if let Call::Read(r) = &call
            && self.fail_fetch.load(Ordering::SeqCst)
            && r.attendees.is_empty()
            && r.limit == Some(1)
        {
            return Err(ApiError {
                code: "boom".into(),
                message: "failed on purpose".into(),
                field: None,
                status: 502,
            });
        }
        self.inner.call(call).await
    }
    fn transport(&self) -> &'static str {
        self.inner.transport()
    }
}

struct Setup {
    sibling: Arc<Counting>,
    coordinator: Coordinator,
    store: Arc<MemoryStore>,
    metrics: Arc<kenny::ports::metrics::Memory>,
}

async fn setup() -> Setup {
    let config = kenny::wiring::config::Config::from_parts(|_| None, None).unwrap();
    let caps = Arc::new(kenny::wiring::app::Capabilities::from_config(&config).await.unwrap());
    let sibling = Arc::new(Counting {
        inner: InProcess::new(caps),
        reads: AtomicUsize::new(0),
        fail_fetch: AtomicBool::new(false),
    });
    let store = Arc::new(MemoryStore::default());
    let metrics = Arc::new(kenny::ports::metrics::Memory::default());
    let coordinator =
        Coordinator::new(sibling.clone(), store.clone(), metrics.clone(), config.timezone, Limits::default());
    Setup { sibling, coordinator, store, metrics }
}

impl Setup {
    async fn ask(&self, question: &str) -> CoordinateResponse {
        self.sibling.reads.store(0, Ordering::SeqCst);
        let request: CoordinateRequest =
            serde_json::from_value(json!({"question": question, "now": NOW, "timezone": TZ})).unwrap();
        let id = kenny::ports::timing::new_request_id();
        self.coordinator.handle(request, &id, None).await.unwrap()
    }

    fn reads(&self) -> usize {
        self.sibling.reads.load(Ordering::SeqCst)
    }

    /// The ground truth: calendar.read itself.
    async fn read(&self, params: Value) -> Vec<EventOut> {
        let call = Call::from_params(Capability::CalendarRead, params).unwrap();
        match self.sibling.inner.call(call).await.unwrap() {
            Output::Read(reply) => reply.events,
            other => panic!("calendar.read answered {other:?}"),
        }
    }
}

fn intent(r: &CoordinateResponse) -> String {
    serde_json::to_value(r.answer.intent).unwrap().as_str().unwrap_or_default().to_string()
}

fn start(e: &EventOut) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(&e.start).unwrap()
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap()
}

#[tokio::test]
async fn next_is_the_first_match_from_now_however_far_and_the_search_stops_there() {
    let s = setup().await;
    let r = s.ask("when is my next budget review?").await;
    assert_eq!(intent(&r), "next");
    let truth = s
        .read(json!({"start": NOW, "end": "2027-11-28T10:00:00-05:00", "text": "budget review", "timezone": TZ}))
        .await;
    let first = truth.iter().filter(|e| start(e) >= now()).min_by_key(|e| start(e)).unwrap();
    assert_eq!(r.answer.events, vec![first.clone()], "{:?}", r.answer);
    // The search read window after window and stopped at the first that matched.
    let days = (start(first) - now()).num_days();
    let want_reads = kenny::capabilities::coordinate::SEARCH_DAYS.iter().position(|d| *d > days).unwrap() + 1;
    assert_eq!(s.reads(), want_reads);
    assert_eq!(r.plan.steps.len(), want_reads, "every read is a step of the plan");
    assert_eq!(r.timings.steps.len(), want_reads);
    assert_eq!(r.answer.searched.as_ref().unwrap().start, NOW);
    assert!(r.answer.understood.as_deref().unwrap().contains("\"budget review\""));
}

#[tokio::test]
async fn next_with_nothing_to_find_searches_a_year_and_says_so() {
    let s = setup().await;
    let r = s.ask("when is my next haircut?").await;
    assert_eq!(intent(&r), "next");
    assert!(r.answer.events.is_empty());
    assert_eq!(s.reads(), kenny::capabilities::coordinate::SEARCH_DAYS.len(), "it searched every window");
    assert!(
        r.answer.notes.iter().any(|n| n == "No event about \"haircut\" in the next 12 months."),
        "{:?}",
        r.answer.notes
    );
    let searched = r.answer.searched.unwrap();
    assert_eq!((searched.start.as_str(), searched.end.as_str()), (NOW, "2027-11-28T10:00:00-05:00"));
    assert!(!r.degraded);
}

#[tokio::test]
async fn last_is_the_most_recent_match_before_now() {
    let s = setup().await;
    let r = s.ask("when did I last meet Sarah?").await;
    assert_eq!(intent(&r), "last");
    let truth = s
        .read(json!({"start": "2026-11-20T10:00:00-05:00", "end": NOW, "attendees": ["sarah.chen@northwind.example"], "timezone": TZ}))
        .await;
    let last = truth.iter().filter(|e| start(e) < now()).max_by_key(|e| start(e)).unwrap();
    assert_eq!(r.answer.events, vec![last.clone()]);
    // Found in the first week back: that week fetched beside the resolve, then read filtered.
    assert_eq!(s.reads(), 2, "found in the first week back");
    assert_eq!(r.plan.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["person_1", "fetch", "calendar"]);
    assert_eq!(r.answer.people[0].resolution.resolved.as_ref().unwrap().name, "Sarah Chen");
}

#[tokio::test]
async fn first_and_last_in_a_window_and_count() {
    let s = setup().await;
    let monday = s.read(json!({"start": "2026-11-30", "end": "2026-12-01", "timezone": TZ})).await;
    assert!(monday.len() >= 2);
    let r = s.ask("what's my first meeting on Monday?").await;
    assert_eq!(intent(&r), "first");
    assert_eq!(r.answer.events, vec![monday.iter().min_by_key(|e| start(e)).unwrap().clone()]);
    let r = s.ask("what's my last meeting on Monday?").await;
    assert_eq!(intent(&r), "last_in_window");
    assert_eq!(r.answer.events, vec![monday.iter().max_by_key(|e| start(e)).unwrap().clone()]);

    let week = s.read(json!({"start": "2026-11-30", "end": "2026-12-07", "timezone": TZ})).await;
    let r = s.ask("How many meetings do I have next week?").await;
    assert_eq!(intent(&r), "count");
    let count = r.answer.count.clone().unwrap();
    assert_eq!(count.events, week.len());
    // The union of the timed events, computed here from the read.
    let mut spans: Vec<(i64, i64)> = week
        .iter()
        .filter(|e| !e.all_day)
        .map(|e| {
            let end = chrono::DateTime::parse_from_rfc3339(&e.end).unwrap();
            (start(e).timestamp() / 60, end.timestamp() / 60)
        })
        .collect();
    spans.sort();
    let mut total = 0;
    let mut reach = i64::MIN;
    for (a, b) in spans {
        let a = a.max(reach);
        if b > a {
            total += b - a;
        }
        reach = reach.max(b);
    }
    assert_eq!(count.minutes, total);
    assert!(r.answer.understood.unwrap().starts_with("How many events"));
}

#[tokio::test]
async fn free_at_is_a_yes_or_no_per_person_with_what_is_in_the_way() {
    let s = setup().await;
    // Friday 15:00–16:00 is the sprint retro.
    let r = s.ask("am I free at 3pm?").await;
    assert_eq!(intent(&r), "free_at");
    let f = r.answer.free_at.clone().unwrap();
    assert_eq!((f.start.as_str(), f.end.as_str()), ("2026-11-27T15:00:00-05:00", "2026-11-27T15:30:00-05:00"));
    assert!(!f.all_free);
    assert_eq!(f.people[0].person, "me");
    assert_eq!(f.people[0].free, Some(false));
    assert!(f.people[0].events.iter().any(|e| e.summary == "Sprint retro"), "{f:?}");
    assert!(r.answer.notes.iter().any(|n| n.contains("read as today")), "{:?}", r.answer.notes);

    // Saturday afternoon is free; Sarah's calendar is readable, Bob's is not (unknown, never free).
    let r = s.ask("are Sarah and Bob free tomorrow at 3pm for an hour?").await;
    let f = r.answer.free_at.unwrap();
    assert_eq!(f.end, "2026-11-28T16:00:00-05:00");
    let by: Vec<(&str, Option<bool>)> = f.people.iter().map(|p| (p.person.as_str(), p.free)).collect();
    assert_eq!(by, [("me", Some(true)), ("Sarah", Some(true)), ("Bob", None)]);
    assert!(!f.all_free, "someone unknown is not free");
    assert_eq!(f.people[1].name.as_deref(), Some("Sarah Chen"));
}

#[tokio::test]
async fn not_understood_and_unsupported_are_answers_and_are_counted() {
    let s = setup().await;
    let r = s.ask("qwerty").await;
    assert_eq!(intent(&r), "not_understood");
    assert!(r.plan.steps.is_empty() && r.answer.events.is_empty());
    assert_eq!(s.reads(), 0, "nothing is read for a question that was not understood");
    assert!(r.answer.notes.iter().any(|n| n.contains("\"qwerty\"")));
    assert!(r.answer.notes.iter().any(|n| n.contains("Try \"")), "two example questions");

    let r = s.ask("cancel my 3pm tomorrow").await;
    assert_eq!(intent(&r), "unsupported");
    assert!(r.answer.notes.iter().any(|n| n.contains("does not change them") && n.contains("cancel")));
    let w = r.answer.window.as_ref().unwrap();
    assert_eq!(w.start, "2026-11-28T15:00:00-05:00", "what is at 3pm tomorrow was read");

    let r = s.ask("schedule a meeting with Sarah next week").await;
    assert_eq!(intent(&r), "unsupported");
    assert!(r.answer.slots.is_some(), "a booking request is answered with free time");

    // Records carry the intent (never the words); the metric counts answers per intent.
    let requests: Vec<_> = s.store.records().into_iter().filter(|r| r.kind == RecordKind::Request).collect();
    let intents: Vec<Option<String>> = requests.iter().map(|r| r.intent.clone()).collect();
    assert_eq!(
        intents,
        [Some("not_understood".to_string()), Some("unsupported".to_string()), Some("unsupported".to_string())]
    );
    assert!(!serde_json::to_string(&requests).unwrap().contains("qwerty"));
    let answers: Vec<String> = s
        .metrics
        .lines()
        .iter()
        .filter(|l| l["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == "Answers")
        .map(|l| l["Intent"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(answers, ["not_understood", "unsupported", "unsupported"]);
    let report = kenny::capabilities::report::build(
        &s.store.records(),
        chrono::Utc::now() - chrono::Duration::hours(1),
        chrono::Utc::now() + chrono::Duration::minutes(1),
    );
    let counted: Vec<(String, usize)> = report.intents.iter().map(|i| (i.intent.clone(), i.requests)).collect();
    assert_eq!(counted, [("unsupported".to_string(), 2), ("not_understood".to_string(), 1)]);
}

#[tokio::test]
async fn topics_without_a_cue_filter_and_say_what_was_searched() {
    let s = setup().await;
    for (q, text) in [("design critique next week", "design critique"), ("standup meetings next week", "standup")] {
        let r = s.ask(q).await;
        let truth = s.read(json!({"start": "2026-11-30", "end": "2026-12-07", "text": text, "timezone": TZ})).await;
        assert!(!truth.is_empty());
        assert_eq!(r.answer.events, truth, "{q}");
        assert!(r.answer.understood.as_deref().unwrap().contains(&format!("\"{text}\"")), "{q}");
    }
}

/// A question's `fetch` is only a head start: when it fails, the filtered read still runs (its
/// window `$ref`s to the fetch fall back to the same window), and the answer is whole.
#[tokio::test]
async fn a_failed_fetch_only_loses_the_head_start() {
    let s = setup().await;
    let question = "what meetings do I have with Sarah and Tom next week?";
    let whole = s.ask(question).await;
    assert!(!whole.answer.events.is_empty());
    s.sibling.fail_fetch.store(true, Ordering::SeqCst);
    let r = s.ask(question).await;
    assert!(r.errors.is_empty() && !r.degraded, "{:?}", r.errors);
    let status: Vec<_> = r.timings.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(status, ["ok", "ok", "error", "ok"]);
    assert_eq!(r.answer.events, whole.answer.events);
    assert_eq!(r.answer.window, whole.answer.window);
    let id = &r.timings.request_id;
    let fetch = s.store.records().into_iter().find(|x| &x.request_id == id && x.step == Some(2)).unwrap();
    assert_eq!(fetch.error_code.as_deref(), Some("boom"), "the record still says the fetch failed");
}
