//! `bench-floor radicale|xandikos [RUNS] [SIZES]` (`scripts/bench floor`, also run by `scripts/bench
//! dav`): Kenny against the server's floor and the plain client, in one run, for each data size
//! (SIZES: events per calendar, comma-separated, default `200,1000`; each size on a server of its
//! own, seeded over HTTP with the reference data set at that size, `kenny_tests::reference`).
//!
//! `calendar.read`, for RUNS windows (the reference question's "next week", then each week after
//! it, so every window is new to every cache):
//!
//! - **floor**: the window's `calendar-query` REPORTs alone (Kenny's body and range), all at once
//!   over a plain HTTP client;
//! - **uncached, account listed before**: a serving process that read the account before (its
//!   listing kept), nothing of the window cached;
//! - **uncached, fresh serving process**: a process that never read the account and will serve
//!   more (a Lambda container, `kenny mcp`): discovery, then the REPORTs at once (its settling
//!   after the answer — the token listing and the window again — is timed as a row of its own,
//!   not on the answer's path);
//! - **uncached, fresh serving process, the listing in L2**: the same with a shared cache holding
//!   the account's listing (another process's), not the window: the REPORTs at once;
//! - **uncached, one-shot process** (`kenny ask`, no shared cache): no token asked;
//! - **validated**: the same window again after the grace period (the token listing, then memory);
//! - **l2**: a fresh serving process whose shared cache (DynamoDB, in moto) holds the window;
//! - **l1**: the same window again within the grace period;
//! - **contacts, cold**: the contact index built in a fresh process.
//!
//! The whole reference question ("what meetings do I have with Quentin Blackwood, Yasmin Oyelaran
//! and Ottilie Brandt next week?"), RUNS times, each run in turn: its floor (the window REPORTs
//! and one `addressbook-query` for the names, alone, at once) and the plain asyncio + httpx client
//! (PROPFIND resourcetype, then the `addressbook-query` and the REPORTs), both by
//! `scripts/bench-dav-plain.py` (one timed run after one untimed), then `kenny ask` (release) as a
//! fresh process, timed from outside.
//!
//! Floor and uncached alternate which goes first. Prints medians and min–max in ms, and each
//! figure's ratio to its floor's median.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kenny::adapters::aws::cache::DynamoCache;
use kenny::adapters::secrets::Credentials;
use kenny::adapters::sources::{Network, calendar_source};
use kenny::capabilities::calendar::CalendarService;
use kenny::capabilities::calendar::cache::CachePolicy;
use kenny::domain::plan::Capability;
use kenny::domain::sample::write_vdir;
use kenny::ports::cache::SharedCache;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use kenny_tests::CollectionKind::Calendar;
use kenny_tests::{DAV_PASSWORD, DAV_USER, radicale, xandikos};
use serde_json::{Value, json};

/// Kenny widens a queried range by this much on each side (`dav::RANGE_SLACK_HOURS`).
const SLACK_HOURS: i64 = 26;

struct Target {
    caldav: String,
    carddav: String,
    calendars: Vec<String>,
    auth: bool,
}

fn env_vars(target: &Target, grace_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("KENNY_CALENDARS", target.caldav.clone()),
        ("KENNY_CONTACTS", target.carddav.clone()),
        ("KENNY_DAV_PASSWORD", DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES", "1".into()),
        ("KENNY_SOURCE_TIMEOUT_MS", "120000".into()),
        ("KENNY_CACHE_GRACE_MS", grace_ms.to_string()),
        ("KENNY_CACHE_TTL_MS", "3600000".into()),
    ]
}

fn env(target: &Target, grace_ms: u64) -> Config {
    let vars: HashMap<String, String> =
        env_vars(target, grace_ms).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Config::from_parts(|k| vars.get(k).cloned(), None).expect("the bench configuration")
}

/// Week `k` after the reference "next week" (Monday 30 November 2026, New York, EST).
fn week(k: i64) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date") + chrono::Duration::days(7 * k);
    let start = monday.and_hms_opt(5, 0, 0).expect("a time").and_utc();
    (start, start + chrono::Duration::days(7))
}

/// One timed `calendar.read` of week `k`: ms and each calendar's tier. A first read with no
/// listing known settles after its answer (the tokens listed, the window read again): waited for
/// here, untimed, so it never overlaps the next measurement (see [`read_settling`]).
async fn read(caps: &Capabilities, k: i64) -> (f64, Vec<String>) {
    let (ms, tiers, _) = read_settling(caps, k).await;
    (ms, tiers)
}

/// [`read`], and how long its settling took after the answer (ms).
async fn read_settling(caps: &Capabilities, k: i64) -> (f64, Vec<String>, f64) {
    let (start, end) = week(k);
    let params = json!({
        "start": start.to_rfc3339(), "end": end.to_rfc3339(), "timezone": "America/New_York"
    });
    let began = Instant::now();
    let body: Value = caps.invoke_json(Capability::CalendarRead, params, None).await.expect("calendar.read");
    let ms = began.elapsed().as_secs_f64() * 1e3;
    let settling = Instant::now();
    if let Some(calendar) = &caps.calendar {
        calendar.settled().await;
    }
    let settle_ms = settling.elapsed().as_secs_f64() * 1e3;
    let tiers = body["calendars"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["cache"].as_str().unwrap_or("?").to_string())
        .collect();
    (ms, tiers, settle_ms)
}

async fn floor(client: &reqwest::Client, target: &Target, k: i64) -> f64 {
    let (start, end) = week(k);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let slack = chrono::Duration::hours(SLACK_HOURS);
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{}" end="{}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
        fmt(start - slack),
        fmt(end + slack)
    );
    let began = Instant::now();
    let sends: Vec<_> = target
        .calendars
        .iter()
        .map(|url| {
            let mut req = client
                .request(reqwest::Method::from_bytes(b"REPORT").expect("a method"), url)
                .header("Depth", "1")
                .header("Content-Type", "application/xml; charset=utf-8")
                .body(body.clone());
            if target.auth {
                req = req.basic_auth(DAV_USER, Some(DAV_PASSWORD));
            }
            // Spawned together: every REPORT in flight at once.
            tokio::spawn(async move {
                let resp = req.send().await.expect("a REPORT");
                assert_eq!(resp.status().as_u16(), 207);
                resp.text().await.expect("its body").len()
            })
        })
        .collect();
    for send in sends {
        assert!(send.await.expect("a REPORT task") > 0);
    }
    began.elapsed().as_secs_f64() * 1e3
}

async fn caps(target: &Target, grace_ms: u64, which: &[Capability]) -> Capabilities {
    Capabilities::load(&env(target, grace_ms), which).await.expect("the capabilities")
}

fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// A serving process on `target` whose calendar reads go through `shared` (L2).
fn with_l2(target: &Target, shared: Arc<dyn SharedCache>) -> Capabilities {
    let secret = format!("{{\"hosts\": {{\"127.0.0.1\": {{\"password\": \"{DAV_PASSWORD}\"}}}}}}");
    let http = kenny::adapters::http::Http::shared(kenny::adapters::http::HttpOptions {
        allow_private: true,
        timeout: Duration::from_secs(120),
        ..Default::default()
    })
    .expect("an HTTP client");
    let net =
        Network::new(http, Arc::new(Credentials::from_secret_string(&secret).expect("credentials")), Duration::ZERO);
    let source = calendar_source(&target.caldav, &net).expect("the CalDAV source");
    let policy = CachePolicy { grace: Duration::ZERO, ..CachePolicy::default() };
    let service =
        CalendarService::new(vec![source], env(target, 0).timezone, Duration::from_secs(120), policy, Some(shared));
    Capabilities { calendar: Some(service), contacts: None }
}

/// The seeded server of one size, kept in scope while it is measured (dropped: stopped).
type Seeded = Box<dyn std::any::Any>;

fn seed(which: &str, per_calendar: usize) -> (Target, Seeded, String) {
    let set = kenny_tests::reference::reference_set_of(per_calendar);
    let dir = tempfile::tempdir().expect("temporary folder");
    write_vdir(&set, dir.path()).expect("writing the vdir");
    let ids: Vec<String> = set.calendars.iter().map(|c| c.id.clone()).collect();
    let seeding = Instant::now();
    let seeded = match which {
        "radicale" => {
            let r = radicale();
            r.seed_vdir(dir.path());
            let t = Target {
                caldav: r.caldav_source(),
                carddav: r.carddav_source(),
                calendars: ids.iter().map(|id| r.collection_url(id)).collect(),
                auth: true,
            };
            let url = r.base_url();
            (t, Box::new(r) as Seeded, url)
        }
        _ => {
            let x = xandikos();
            x.seed_vdir(dir.path());
            let t = Target {
                caldav: x.caldav_source(),
                carddav: x.carddav_source(),
                calendars: ids.iter().map(|id| x.collection_url(Calendar, id)).collect(),
                auth: false,
            };
            let url = x.base_url();
            (t, Box::new(x) as Seeded, url)
        }
    };
    eprintln!("seeded {which} with 5 x {per_calendar} events in {:.0?}", seeding.elapsed());
    seeded
}

/// One labelled series of milliseconds.
type Row = (&'static str, Vec<f64>);

fn print_rows(rows: &mut [Row]) {
    let (floor, _, _) = stats(&mut rows[0].1.clone());
    println!("| | ms | ratio to the floor |");
    println!("|---|---|---|");
    for (label, v) in rows.iter_mut() {
        if v.is_empty() {
            continue;
        }
        let (m, lo, hi) = stats(v);
        println!("| {label} | {m:.1} ({lo:.1}–{hi:.1}) | {:.2} |", m / floor);
    }
}

/// The `calendar.read` rows of one size.
async fn calendar_rows(target: &Target, runs: i64, shared: Arc<dyn SharedCache>) -> (Vec<Row>, Vec<String>) {
    let client = reqwest::Client::builder().build().expect("an HTTP client");
    let calendars = [Capability::CalendarRead];
    let warm = caps(target, 0, &calendars).await;
    let l1 = caps(target, 3_600_000, &calendars).await;
    let l2_writer = with_l2(target, shared.clone());
    // Warm-up: the server's caches, Kenny's discovery and a kept listing.
    floor(&client, target, 0).await;
    read(&warm, 0).await;
    let labels = [
        "floor: the 5 window REPORTs alone, at once",
        "Kenny uncached, account listed before",
        "Kenny uncached, fresh serving process",
        "Kenny uncached, fresh serving process, the listing in L2",
        "Kenny uncached, one-shot process",
        "Kenny validated",
        "Kenny l2, fresh serving process",
        "Kenny l1",
        "contact index, fresh process (load)",
        "fresh serving process: its settling after the answer (tokens, the window again)",
    ];
    let mut rows: Vec<Row> = labels.iter().map(|l| (*l, Vec::new())).collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut note = |what: &str, tiers: Vec<String>| seen.extend(tiers.into_iter().map(|t| format!("{what}: {t}")));
    for k in 1..=runs {
        let uncached = || async {
            let (ms, tiers) = read(&warm, k).await;
            (ms, tiers)
        };
        let (f, (ms, tiers)) = if k % 2 == 0 {
            let f = floor(&client, target, k).await;
            (f, uncached().await)
        } else {
            let u = uncached().await;
            (floor(&client, target, k).await, u)
        };
        rows[0].1.push(f);
        rows[1].1.push(ms);
        note("uncached", tiers);
        let (ms, tiers) = read(&warm, k).await;
        rows[5].1.push(ms);
        note("validated", tiers);
        read(&l1, k).await;
        let (ms, tiers) = read(&l1, k).await;
        rows[7].1.push(ms);
        note("l1", tiers);
        // Fresh processes on the next window (`k + runs`, new to every cache): serving, then
        // one-shot; then the L2 writer stores window k and a fresh serving process reads it.
        let fresh = caps(target, 0, &calendars).await;
        let (ms, tiers, settle_ms) = read_settling(&fresh, k + runs).await;
        rows[2].1.push(ms);
        rows[9].1.push(settle_ms);
        note("fresh serving", tiers);
        let mut once = caps(target, 0, &calendars).await;
        once.calendar = once.calendar.map(CalendarService::one_shot);
        let (ms, tiers) = read(&once, k + 2 * runs).await;
        rows[4].1.push(ms);
        note("one-shot", tiers);
        read(&l2_writer, k).await;
        let (ms, tiers) = read(&with_l2(target, shared.clone()), k).await;
        rows[6].1.push(ms);
        note("l2", tiers);
        // A fresh serving process with L2, on a window L2 does not hold: the listing the writer
        // stored there (written on a task of its own: given a moment), the REPORTs at once.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (ms, tiers) = read(&with_l2(target, shared.clone()), k + 3 * runs).await;
        rows[3].1.push(ms);
        note("fresh serving, listing in L2", tiers);
        let began = Instant::now();
        let _contacts = caps(target, 0, &[Capability::ContactsResolve]).await;
        rows[8].1.push(began.elapsed().as_secs_f64() * 1e3);
    }
    (rows, seen.into_iter().collect())
}

/// The whole reference question's rows: its floor and the plain client (`bench-dav-plain.py`)
/// and `kenny ask` in a fresh process, each run in turn.
fn question_rows(target: &Target, url: &str, runs: i64) -> Vec<Row> {
    let kenny = kenny_tests::workspace().join("target/release/kenny");
    assert!(kenny.exists(), "build it first: cargo build --release -p kenny-cli");
    let script = kenny_tests::workspace().join("scripts/bench-dav-plain.py");
    let labels = [
        "floor: the window REPORTs and one addressbook-query, alone, at once",
        "plain client (PROPFIND, then addressbook-query and the REPORTs)",
        "Kenny: kenny ask, fresh one-shot process",
    ];
    let mut rows: Vec<Row> = labels.iter().map(|l| (*l, Vec::new())).collect();
    for _ in 0..runs {
        let mut py = std::process::Command::new("python3");
        py.arg(&script).arg(url).args(["--runs", "1", "--only", "floor,plain"]);
        if target.auth {
            py.args(["--user", DAV_USER, "--password", DAV_PASSWORD]);
        }
        let out = py.output().expect("running bench-dav-plain.py");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("its JSON");
        rows[0].1.push(v["floor"]["median_ms"].as_f64().expect("the floor"));
        rows[1].1.push(v["plain"]["median_ms"].as_f64().expect("the plain client"));
        let mut ask = std::process::Command::new(&kenny);
        ask.args([
            "ask",
            "what meetings do I have with Quentin Blackwood, Yasmin Oyelaran and Ottilie Brandt next week?",
            "--now",
            "2026-11-27T10:00:00-05:00",
            "--tz",
            "America/New_York",
            "--json",
        ]);
        for (k, v) in env_vars(target, 2_000) {
            ask.env(k, v);
        }
        ask.env("KENNY_TIMINGS", kenny_tests::bench_timings());
        let began = Instant::now();
        let out = ask.output().expect("running kenny ask");
        let ms = began.elapsed().as_secs_f64() * 1e3;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let answer: Value = serde_json::from_slice(&out.stdout).expect("the answer's JSON");
        assert_eq!(answer["answer"]["events"].as_array().map(Vec::len), Some(1), "{answer}");
        rows[2].1.push(ms);
    }
    rows
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    if which != "radicale" && which != "xandikos" {
        eprintln!("usage: bench-floor radicale|xandikos [RUNS] [SIZES]");
        std::process::exit(2);
    }
    let runs: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let sizes: Vec<usize> =
        args.next().unwrap_or_else(|| "200,1000".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let moto = kenny_tests::moto();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    for per_calendar in sizes {
        let (target, _server, url) = seed(&which, per_calendar);
        let table = format!("kenny-cache-floor-{per_calendar}");
        let (mut rows, seen) = rt.block_on(async {
            let sdk = kenny_tests::aws_at(&moto.url()).await;
            kenny::adapters::aws::cache::create_table(&sdk, &table).await.expect("the cache table");
            let shared: Arc<dyn SharedCache> = Arc::new(DynamoCache::new(&sdk, &table));
            calendar_rows(&target, runs, shared).await
        });
        println!(
            "\n{which}: 5 calendars × {per_calendar} events, 2,003 cards; calendar.read of {runs} windows; ms, median (min–max); ratio = median / floor median\n"
        );
        print_rows(&mut rows);
        println!("\ntiers seen: {}", seen.join(", "));
        println!("\nthe whole question, {runs} runs:\n");
        print_rows(&mut question_rows(&target, &url, runs));
    }
}
