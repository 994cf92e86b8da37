//! Benchmarks of the hot paths (`cargo bench -p kenny-shared`, or `scripts/bench`):
//! parsing and expanding a 5,000-event calendar (10 % recurring) over a year (and calcard's parse
//! of it alone, for comparison), resolving names
//! against 10,000 contacts, a whole question answered in process on the sample data, and slot
//! finding for 10 people with 1,000 busy events each over a month.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kenny::capabilities::coordinate::{CoordinateRequest, Coordinator, Limits};
use kenny::domain::contacts::{ContactIndex, ResolveRequest, parse_vcards};
use kenny::domain::ical::ExpandOptions;
use kenny::domain::sample::{SampleSpec, generate, single_file};
use kenny::domain::time::Window;

fn calendar(c: &mut Criterion) {
    let set = generate(&SampleSpec { events: 5_000, contacts: 50, calendars: 1, seed: 7 }, &mut |_| {});
    let text = single_file(&set.calendars[0]);
    let tz = chrono_tz::America::New_York;
    let window = Window::parse("2026-01-01", "2027-01-01", tz).expect("window");
    let opts = ExpandOptions { window, floating_tz: tz, max_per_event: 10_000 };
    let mut g = c.benchmark_group("calendar");
    g.sample_size(20);
    g.bench_function("parse 5000 events", |b| b.iter(|| kenny::domain::ical::parse(black_box(&text))));
    // What calcard's own parse of the same text costs (Kenny's reader no longer runs it on texts
    // of the usual shape): the floor a reading through calcard could not go below.
    g.bench_function("calcard's parse alone, 5000 events", |b| {
        b.iter(|| {
            let mut parser = calcard::Parser::new(black_box(&text));
            let mut components = 0;
            while let calcard::Entry::ICalendar(cal) = parser.entry() {
                components += cal.components.len();
            }
            components
        })
    });
    let parsed = kenny::domain::ical::parse(&text);
    g.bench_function("expand 5000 events over a year", |b| b.iter(|| parsed.expand(black_box(&opts))));
    g.bench_function("parse + expand 5000 events over a year", |b| {
        b.iter(|| kenny::domain::ical::parse(black_box(&text)).expand(black_box(&opts)))
    });
    g.finish();
}

fn contacts(c: &mut Criterion) {
    let set = generate(&SampleSpec { events: 0, contacts: 10_000, calendars: 1, seed: 7 }, &mut |_| {});
    let all: Vec<_> = set.contacts.iter().flat_map(|(_, t)| parse_vcards(t).0).collect();
    let mut g = c.benchmark_group("contacts");
    g.sample_size(20);
    g.bench_function("build index of 10000", |b| b.iter(|| ContactIndex::new(black_box(all.clone()))));
    let index = ContactIndex::new(all);
    for q in ["Bob", "jgarcia", "Wiliam Tuner", "zoe muller", "Alice"] {
        let req = ResolveRequest { query: q.into(), limit: None };
        g.bench_function(format!("resolve {q:?} among 10000"), |b| b.iter(|| index.resolve(black_box(&req))));
    }
    g.finish();
}

fn question(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let config = kenny::wiring::config::Config::from_parts(|_| None, None).expect("config");
    let app = rt.block_on(kenny::wiring::app::App::from_config(config)).expect("app");
    let store = Arc::new(kenny::ports::timing::MemoryStore::default());
    let coordinator = Coordinator::new(
        Arc::new(kenny::adapters::in_process::InProcess::new(app.caps.clone())),
        store,
        Arc::new(kenny::ports::metrics::Discard),
        chrono_tz::America::New_York,
        Limits::default(),
    );
    let mut g = c.benchmark_group("question");
    g.sample_size(30);
    for sequential in [false, true] {
        let req: CoordinateRequest = serde_json::from_value(serde_json::json!({
            "question": "what meetings do I have with Sarah and Tom next week?",
            "now": "2026-11-27T10:00:00-05:00",
            "sequential": sequential,
        }))
        .expect("request");
        let name = if sequential { "sample question, sequential" } else { "sample question, concurrent" };
        g.bench_function(name, |b| b.iter(|| rt.block_on(coordinator.handle(req.clone(), "bench", None))));
    }
    g.finish();
}

/// 10 people × 1,000 events each over the 31 days of December 2026 (New York), starting on the
/// quarter hour between 07:00 and 18:45 local time, 15 minutes to 2 hours long: as the
/// `slots.find` step receives them after `calendar.freebusy`.
fn slots(c: &mut Criterion) {
    use kenny::domain::slots::{Interval, Query, WorkHours, find};
    let tz = chrono_tz::America::New_York;
    let start = kenny::domain::time::TimeArg::parse("2026-12-01", "start").expect("start").to_utc(tz);
    let window = Interval::new(start, start + chrono::Duration::days(31)).expect("window");
    let mut rng = fastrand::Rng::with_seed(7);
    let people: Vec<Vec<Interval>> = (0..10)
        .map(|_| {
            (0..1_000)
                .filter_map(|_| {
                    let day = i64::from(rng.u32(0..31));
                    let minute = i64::from(rng.u32(28..76)) * 15;
                    let local = (start + chrono::Duration::days(day)).with_timezone(&tz).date_naive();
                    let at = kenny::domain::time::local_to_utc(local.and_hms_opt(0, 0, 0)?, tz)
                        + chrono::Duration::minutes(minute);
                    Interval::new(at, at + chrono::Duration::minutes(i64::from(rng.u32(1..9)) * 15))
                })
                .collect()
        })
        .collect();
    let all: Vec<Interval> = people.iter().flatten().copied().collect();
    let q =
        Query { window, tz, duration: 30, hours: WorkHours::default(), buffer: 0, granularity: 15, max_results: 10 };
    let mut g = c.benchmark_group("slots");
    g.sample_size(50);
    g.bench_function("find slots: 10 people x 1000 events over a month", |b| {
        b.iter(|| find(black_box(&q), black_box(&all)))
    });
    // The whole step as coordinate runs it: JSON busy lists (RFC 3339 strings) parsed, then found.
    let busy: Vec<serde_json::Value> = people
        .iter()
        .enumerate()
        .map(|(k, list)| {
            let intervals: Vec<serde_json::Value> = list
                .iter()
                .map(|i| {
                    serde_json::json!({"start": kenny::domain::time::format_instant(i.start, tz), "end": kenny::domain::time::format_instant(i.end, tz)})
                })
                .collect();
            serde_json::json!({"person": format!("person{k}@example.org"), "busy": intervals})
        })
        .collect();
    let params = serde_json::json!({
        "start": "2026-12-01", "end": "2027-01-01", "timezone": "America/New_York", "duration_minutes": 30, "busy": busy
    });
    let defaults = kenny::domain::slots::SlotDefaults::default();
    g.bench_function("slots.find step (JSON in and out): 10 people x 1000 events over a month", |b| {
        b.iter_batched(|| params.clone(), |p| kenny::domain::slots::invoke(p, &defaults, tz), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, calendar, contacts, question, slots);
criterion_main!(benches);
