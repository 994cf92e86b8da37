//! Benchmarks of the hot paths (`cargo bench -p kenny-shared`, or `scripts/bench`):
//! parsing and expanding a 5,000-event calendar (10 % recurring) over a year, resolving names
//! against 10,000 contacts, and a whole question answered in process on the sample data.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kenny::contacts::{ContactIndex, ResolveRequest, parse_vcards};
use kenny::coordinate::{CoordinateRequest, Coordinator, Limits};
use kenny::ical::ExpandOptions;
use kenny::sample::{SampleSpec, generate, single_file};
use kenny::time::Window;

fn calendar(c: &mut Criterion) {
    let set = generate(&SampleSpec { events: 5_000, contacts: 50, calendars: 1, seed: 7 }, &mut |_| {});
    let text = single_file(&set.calendars[0]);
    let tz = chrono_tz::America::New_York;
    let window = Window::parse("2026-01-01", "2027-01-01", tz).expect("window");
    let opts = ExpandOptions { window, floating_tz: tz, max_per_event: 10_000 };
    let mut g = c.benchmark_group("calendar");
    g.sample_size(20);
    g.bench_function("parse 5000 events", |b| b.iter(|| kenny::ical::parse(black_box(&text))));
    let parsed = kenny::ical::parse(&text);
    g.bench_function("expand 5000 events over a year", |b| b.iter(|| parsed.expand(black_box(&opts))));
    g.bench_function("parse + expand 5000 events over a year", |b| {
        b.iter(|| kenny::ical::parse(black_box(&text)).expand(black_box(&opts)))
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
    let config = kenny::config::Config::from_parts(|_| None, None).expect("config");
    let app = rt.block_on(kenny::app::App::from_config(config)).expect("app");
    let store = Arc::new(kenny::timing::MemoryStore::default());
    let coordinator = Coordinator::new(
        Arc::new(kenny::sibling::InProcess::new(app.caps.clone())),
        store,
        Arc::new(kenny::metrics::Discard),
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

criterion_group!(benches, calendar, contacts, question);
criterion_main!(benches);
