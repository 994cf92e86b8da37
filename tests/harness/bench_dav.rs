//! `scripts/bench dav`: a complex question through the local Lambda path (prebuilt release
//! functions under `cargo lambda watch --only-lambda-apis`) with the calendars and contacts on a
//! local Radicale (CalDAV/CardDAV) against the same data as files:
//!
//! 1. 5 calendars × 2,000 generated events and 2,000 contacts;
//! 2. how it scales with the number of calendars: 1, 5 and 20 calendars of 200 events each.
//!
//! Prints markdown tables: client-observed latency, and the `calendar.read` and
//! `contacts.resolve` step durations, median and p95. Seeding Radicale (over HTTP, about 25 ms of
//! Radicale's time per event) is not measured.

use std::path::Path;
use std::time::Instant;

use kenny::sample::{SampleSpec, generate, write_vdir};
use kenny_tests::{DAV_PASSWORD, Radicale, invoke, radicale, run_function, watch_with, workspace};
use serde_json::{Value, json};

const QUESTION: &str = "what meetings do I have with Sarah and Tom next week?";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn vdir(spec: &SampleSpec) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    write_vdir(&generate(spec, &mut |_| {}), dir.path()).expect("writing the vdir");
    dir
}

fn file_env(root: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("KENNY_CALENDARS", format!("file://{}/calendars", root.display())),
        ("KENNY_CONTACTS", format!("file://{}/contacts", root.display())),
    ]
}

fn dav_env(server: &Radicale) -> Vec<(&'static str, String)> {
    vec![
        ("KENNY_CALENDARS", server.caldav_source()),
        ("KENNY_CONTACTS", server.carddav_source()),
        ("KENNY_DAV_PASSWORD", DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES", "1".into()),
        ("KENNY_SOURCE_TIMEOUT_MS", "120000".into()),
        ("KENNY_STEP_TIMEOUT_MS", "180000".into()),
    ]
}

struct Row {
    client: Vec<f64>,
    calendar: Vec<f64>,
    contacts: Vec<f64>,
    events: usize,
}

fn step_ms(timings: &Value, capability: &str) -> Vec<f64> {
    timings["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["capability"] == capability)
        .filter_map(|s| s["duration_ms"].as_f64())
        .collect()
}

/// Runs the question `runs` times (after 2 warm-up runs) with the functions configured by `env`.
fn measure(env: &[(&'static str, String)], runs: usize) -> Row {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut env = env.to_vec();
    env.push(("KENNY_TIMINGS", format!("file://{}/timings.jsonl", dir.path().display())));
    let w = watch_with(&env, 4, true);
    let release = workspace().join("target/release");
    let mut children: Vec<_> = ["coordinate", "calendar-read", "contacts-resolve", "contacts-resolve"]
        .iter()
        .map(|f| run_function(&w, &release.join(f), f, &env))
        .collect();
    let ask = json!({"question": QUESTION, "now": "2026-11-27T10:00:00-05:00", "timezone": "America/New_York"});
    let mut row = Row { client: Vec::new(), calendar: Vec::new(), contacts: Vec::new(), events: 0 };
    for i in 0..runs + 2 {
        let started = Instant::now();
        let (status, _, body) = invoke(&w, "coordinate", &ask);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        assert_eq!((status, &body["degraded"]), (200, &json!(false)), "{body}\n{}", w.output());
        if i >= 2 {
            row.client.push(ms);
            row.calendar.extend(step_ms(&body["timings"], "calendar.read"));
            row.contacts.extend(step_ms(&body["timings"], "contacts.resolve"));
            row.events = body["answer"]["events"].as_array().map_or(0, Vec::len);
        }
    }
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    for v in [&mut row.client, &mut row.calendar, &mut row.contacts] {
        v.sort_by(f64::total_cmp);
    }
    row
}

fn print_row(label: &str, calendars: usize, events: usize, row: &Row) {
    println!(
        "| {label} | {calendars} | {events} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
        row.events,
        percentile(&row.client, 50.0),
        percentile(&row.client, 95.0),
        percentile(&row.calendar, 50.0),
        percentile(&row.calendar, 95.0),
        percentile(&row.contacts, 50.0),
        percentile(&row.contacts, 95.0),
    );
}

fn compare(spec: &SampleSpec, runs: usize) {
    let data = vdir(spec);
    let server = radicale();
    let seeded = server.seed_vdir(data.path());
    eprintln!("seeded {} items into Radicale in {:.0?}", seeded.items(), seeded.elapsed);
    let files = measure(&file_env(data.path()), runs);
    let dav = measure(&dav_env(&server), runs);
    assert_eq!(files.events, dav.events, "both sources give the same answer");
    print_row("files", spec.calendars, spec.events, &files);
    print_row("CalDAV/CardDAV (Radicale)", spec.calendars, spec.events, &dav);
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    println!("Question: \"{QUESTION}\" ({runs} runs after 2 warm-up runs; ms)\n");
    println!(
        "| sources | calendars | generated events | answer events | client p50 | client p95 | calendar.read p50 | calendar.read p95 | contacts.resolve p50 | contacts.resolve p95 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    compare(&SampleSpec { events: 10_000, contacts: 2_000, calendars: 5, seed: 2026 }, runs);
    for n in [1, 5, 20] {
        compare(&SampleSpec { events: 200 * n, contacts: 200, calendars: n, seed: 2026 }, runs);
    }
}
