//! Question benchmarks: parsing stays linear in the question's tokens, and `next`/`last`
//! searches answer in milliseconds warm — on the bundled sample data, and over a whole year of
//! 5 calendars × 2,000 events (the longest search, nothing found). Figures are in
//! `docs/benchmarks.md`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use chrono::TimeZone;
use criterion::{Criterion, criterion_group, criterion_main};
use kenny::capabilities::coordinate::{CoordinateRequest, Coordinator, Limits};
use kenny::domain::sample::{SampleSpec, generate, write_vdir};

const NOW: &str = "2026-11-27T10:00:00-05:00";

fn parse(c: &mut Criterion) {
    let now = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
    let unit = "what meetings do I have with Sarah and Tom about the budget review next week at 3pm? ";
    let mut g = c.benchmark_group("question parse");
    // 18, 180 and 1,800 tokens (up to the 2,000-character limit): time should grow 10× per step.
    for repeat in [1, 10, 22] {
        let q = unit.repeat(repeat);
        let q = &q[..q.len().min(kenny::domain::question::MAX_QUESTION_CHARS)];
        g.bench_function(format!("parse {} chars", q.len()), |b| {
            b.iter(|| kenny::domain::question::parse(black_box(q), now))
        });
    }
    g.finish();
}

fn coordinator(rt: &tokio::runtime::Runtime, calendars: Option<String>) -> Coordinator {
    let config = kenny::wiring::config::Config::from_parts(
        |k| if k == "KENNY_CALENDARS" { calendars.clone() } else { None },
        None,
    )
    .expect("config");
    let app = rt.block_on(kenny::wiring::app::App::from_config(config)).expect("app");
    Coordinator::new(
        Arc::new(kenny::adapters::in_process::InProcess::new(app.caps.clone())),
        Arc::new(kenny::ports::timing::MemoryStore::default()),
        Arc::new(kenny::ports::metrics::Discard),
        chrono_tz::America::New_York,
        Limits::default(),
    )
}

fn ask(q: &str) -> CoordinateRequest {
    serde_json::from_value(serde_json::json!({"question": q, "now": NOW, "timezone": "America/New_York"})).unwrap()
}

fn search(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sample = coordinator(&rt, None);
    let mut g = c.benchmark_group("question search");
    g.sample_size(30);
    for (name, q) in [
        ("next, sample data (found in the 2nd window)", "when is my next budget review?"),
        ("last, sample data (found in the 1st window)", "when did I last meet Sarah?"),
        ("next, sample data (nothing: 366 days, 4 reads)", "when is my next haircut?"),
        ("list, sample data (the same question as a week's listing)", "budget review next week"),
    ] {
        let req = ask(q);
        g.bench_function(name, |b| b.iter(|| rt.block_on(sample.handle(req.clone(), "bench", None))));
    }
    // 5 calendars × 2,000 events as files: a whole year searched, nothing found.
    let dir = tempfile::tempdir().expect("temporary folder");
    let set = generate(&SampleSpec { events: 10_000, contacts: 200, calendars: 5, seed: 7 }, &mut |_| {});
    write_vdir(&set, dir.path()).expect("write the calendars");
    let big = coordinator(&rt, Some(format!("file://{}", dir.path().join("calendars").display())));
    let req = ask("when is my next haircut?");
    let first = rt.block_on(big.handle(req.clone(), "check", None)).expect("the big search");
    assert_eq!(first.timings.steps.len(), 4, "the search reads all four windows");
    assert!(first.timings.steps.iter().all(|s| s.cache.is_some()), "every read reached the calendars");
    g.bench_function("next, 5 calendars x 2000 events (nothing: 366 days, 4 reads)", |b| {
        b.iter(|| rt.block_on(big.handle(req.clone(), "bench", None)))
    });
    g.finish();
}

criterion_group!(benches, parse, search);
criterion_main!(benches);
