//! `scripts/bench dav`: a complex question through the local Lambda path (prebuilt release
//! functions under `cargo lambda watch --only-lambda-apis`) with the calendars and contacts on a
//! local Radicale (CalDAV/CardDAV) against the same data as files:
//!
//! 1. 5 calendars × 2,000 generated events and 2,000 contacts;
//! 2. how it scales with the number of calendars: 1, 5 and 20 calendars of 200 events each.
//!
//! 3. the cache tiers: the same question on the 5 × 2,000 data set cold (nothing cached), again at
//!    once (`l1`), after the grace period (`validated`), in a fresh `calendar-read` process over
//!    the shared DynamoDB cache in moto (`l2`), and after a change on the server (`miss` for the
//!    changed calendar).
//!
//! Parts 1 and 2 run with the caches off (`KENNY_CACHE_TTL_MS=0`, no L2), so they measure reading
//! the sources. Prints markdown tables: client-observed latency, and the `calendar.read` and
//! `contacts.resolve` step durations, median and p95. Seeding Radicale (over HTTP, about 25 ms of
//! Radicale's time per event) is not measured.

use std::path::Path;
use std::time::Instant;

use kenny::domain::sample::{SampleSpec, generate, write_vdir};
use kenny_tests::{DAV_PASSWORD, Functions, Radicale, invoke, moto, radicale, run_function, watch_with, workspace};
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

/// No caching: parts 1 and 2 measure the sources themselves.
fn uncached(mut env: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    env.push(("KENNY_CACHE_TTL_MS", "0".into()));
    env.push(("KENNY_CACHE_GRACE_MS", "0".into()));
    env
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
    let mut env = env.to_vec();
    env.push(("KENNY_TIMINGS", kenny_tests::bench_timings()));
    let w = watch_with(&env, 4, true);
    let _functions = Functions::start(&w, &[("coordinate", 1), ("calendar-read", 1), ("contacts-resolve", 2)], &env);
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

fn compare(spec: &SampleSpec, runs: usize) -> (tempfile::TempDir, Radicale) {
    let data = vdir(spec);
    let server = radicale();
    let seeded = server.seed_vdir(data.path());
    eprintln!("seeded {} items into Radicale in {:.0?}", seeded.items(), seeded.elapsed);
    let files = measure(&uncached(file_env(data.path())), runs);
    let dav = measure(&uncached(dav_env(&server)), runs);
    assert_eq!(files.events, dav.events, "both sources give the same answer");
    print_row("files", spec.calendars, spec.events, &files);
    print_row("CalDAV/CardDAV (Radicale)", spec.calendars, spec.events, &dav);
    (data, server)
}

/// Part 3: one question through each cache tier, `runs` times (each run on another week, so
/// "cold" is cold for both caches).
fn tiers(server: &Radicale, runs: usize) {
    // Longer than a cold question on Radicale takes, so the immediate repeat is served from memory
    // (`l1`); the "validated" ask waits it out.
    let grace_ms = 15_000u64;
    let moto = moto();
    let table = "kenny-cache-bench";
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        let sdk = kenny_tests::aws_at(&moto.url()).await;
        kenny::adapters::aws::cache::create_table(&sdk, table).await.expect("the cache table");
    });
    let mut env = dav_env(server);
    env.push(("KENNY_CACHE", format!("dynamodb://{table}")));
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", moto.url()));
    env.push(("KENNY_CACHE_GRACE_MS", grace_ms.to_string()));
    env.push(("KENNY_TIMINGS", kenny_tests::bench_timings()));
    let w = watch_with(&env, 4, true);
    let release = workspace().join("target/release");
    let start = |f: &str| run_function(&w, &release.join(f), f, &env);
    let _functions = Functions::start(&w, &[("coordinate", 1), ("contacts-resolve", 2)], &env);
    let mut calendar = start("calendar-read");
    let labels = ["cold (miss)", "l1", "validated", "l2 (fresh process)", "after a change"];
    let mut rows: Vec<(Vec<f64>, Vec<f64>, std::collections::BTreeSet<String>)> =
        labels.iter().map(|_| (Vec::new(), Vec::new(), Default::default())).collect();
    let day0 = chrono::NaiveDate::from_ymd_opt(2026, 1, 8).expect("a date");
    for i in 0..runs {
        let now = format!("{}T10:00:00-05:00", day0 + chrono::Days::new(7 * i as u64));
        let ask = json!({"question": QUESTION, "now": now, "timezone": "America/New_York"});
        for (k, _) in labels.iter().enumerate() {
            match k {
                2 => std::thread::sleep(std::time::Duration::from_millis(grace_ms + 100)),
                3 => {
                    let _ = calendar.kill();
                    let _ = calendar.wait();
                    calendar = start("calendar-read");
                }
                4 => {
                    let uid = format!("bench-change-{i}");
                    let ics = format!(
                        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:bench\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T150000Z\r\nDURATION:PT1H\r\nSUMMARY:Change\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                    );
                    server.put_item("work", &format!("{uid}.ics"), &ics);
                    std::thread::sleep(std::time::Duration::from_millis(grace_ms + 100));
                }
                _ => {}
            }
            let started = Instant::now();
            let (status, _, body) = invoke(&w, "coordinate", &ask);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!((status, &body["degraded"]), (200, &json!(false)), "{body}\n{}", w.output());
            let step =
                body["timings"]["steps"].as_array().into_iter().flatten().find(|s| s["capability"] == "calendar.read");
            if let Some(step) = step {
                rows[k].1.push(step["duration_ms"].as_f64().unwrap_or(f64::NAN));
                rows[k].2.insert(step["cache"].as_str().unwrap_or("?").to_string());
            }
            if i > 0 {
                rows[k].0.push(ms); // the first round also starts processes and connections
            }
        }
    }
    let _ = calendar.kill();
    let _ = calendar.wait();
    println!("\n| tier | runs | client p50 | client p95 | calendar.read p50 | calendar.read p95 | tier reported |");
    println!("|---|---|---|---|---|---|---|");
    for (label, (client, cal, seen)) in labels.iter().zip(rows.iter_mut()) {
        client.sort_by(f64::total_cmp);
        cal.sort_by(f64::total_cmp);
        println!(
            "| {label} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            client.len(),
            percentile(client, 50.0),
            percentile(client, 95.0),
            percentile(cal, 50.0),
            percentile(cal, 95.0),
            seen.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    if std::env::args().nth(2).as_deref() == Some("tiers") {
        // The tiers alone, on 5 calendars × 400 events and 2,000 contacts (quick to seed).
        let data = vdir(&SampleSpec { events: 2_000, contacts: 2_000, calendars: 5, seed: 2026 });
        let server = radicale();
        let seeded = server.seed_vdir(data.path());
        eprintln!("seeded {} items into Radicale in {:.0?}", seeded.items(), seeded.elapsed);
        println!(
            "Cache tiers, 5 calendars × 400 events and 2,000 contacts on Radicale, L2 in moto ({runs} rounds; client figures skip the first):"
        );
        tiers(&server, runs);
        return;
    }
    println!("Question: \"{QUESTION}\" ({runs} runs after 2 warm-up runs; ms)\n");
    println!(
        "| sources | calendars | generated events | answer events | client p50 | client p95 | calendar.read p50 | calendar.read p95 | contacts.resolve p50 | contacts.resolve p95 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (_data, big) = compare(&SampleSpec { events: 10_000, contacts: 2_000, calendars: 5, seed: 2026 }, runs);
    for n in [1, 5, 20] {
        compare(&SampleSpec { events: 200 * n, contacts: 200, calendars: n, seed: 2026 }, runs);
    }
    println!(
        "\nCache tiers, 5 calendars × 2,000 events on Radicale, L2 in moto ({runs} rounds; client figures skip the first):"
    );
    tiers(&big, runs);
}
