//! `bench-floor radicale|xandikos [RUNS]` (`scripts/bench floor`): Kenny's `calendar.read` in
//! process against the server's floor, in one run. The server is seeded over HTTP with the
//! reference data set (`kenny_tests::reference`); then, for RUNS windows (the reference question's
//! "next week", then each week after it, so every window is new to every cache):
//!
//! - **floor**: the window's `calendar-query` REPORTs alone (Kenny's body and range), all at once
//!   over a plain HTTP client;
//! - **uncached**: `calendar.read` of the window in a process that read the account before (its
//!   listing kept), nothing of the window cached;
//! - **uncached, fresh process**: the same in a process that never read the account (discovery and
//!   the token listing first);
//! - **validated**: the same window again after the grace period (the token listing, then
//!   memory);
//! - **l1**: the same window again within the grace period;
//! - **contacts, cold**: the contact index built in a fresh process.
//!
//! Floor and uncached alternate which goes first. Prints medians and min–max in ms, and each
//! Kenny figure's ratio to the floor's median. L2 (DynamoDB) is measured by `scripts/bench
//! tiers`, the plain Python client by `scripts/bench plain`.

use std::collections::HashMap;
use std::time::Instant;

use kenny::domain::plan::Capability;
use kenny::domain::sample::write_vdir;
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

fn env(target: &Target, grace_ms: u64) -> Config {
    let vars: HashMap<String, String> = [
        ("KENNY_CALENDARS", target.caldav.clone()),
        ("KENNY_CONTACTS", target.carddav.clone()),
        ("KENNY_DAV_PASSWORD", DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES", "1".into()),
        ("KENNY_SOURCE_TIMEOUT_MS", "120000".into()),
        ("KENNY_CACHE_GRACE_MS", grace_ms.to_string()),
        ("KENNY_CACHE_TTL_MS", "3600000".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Config::from_parts(|k| vars.get(k).cloned(), None).expect("the bench configuration")
}

/// Week `k` after the reference "next week" (Monday 30 November 2026, New York, EST).
fn week(k: i64) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date") + chrono::Duration::days(7 * k);
    let start = monday.and_hms_opt(5, 0, 0).expect("a time").and_utc();
    (start, start + chrono::Duration::days(7))
}

async fn read(caps: &Capabilities, k: i64) -> (f64, Vec<String>) {
    let (start, end) = week(k);
    let params = json!({
        "start": start.to_rfc3339(), "end": end.to_rfc3339(), "timezone": "America/New_York"
    });
    let began = Instant::now();
    let body: Value = caps.invoke_json(Capability::CalendarRead, params, None).await.expect("calendar.read");
    let ms = began.elapsed().as_secs_f64() * 1e3;
    let tiers = body["calendars"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["cache"].as_str().unwrap_or("?").to_string())
        .collect();
    (ms, tiers)
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

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let runs: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let set = kenny_tests::reference::reference_set();
    let dir = tempfile::tempdir().expect("temporary folder");
    write_vdir(&set, dir.path()).expect("writing the vdir");
    let ids: Vec<String> = set.calendars.iter().map(|c| c.id.clone()).collect();
    let seeding = Instant::now();
    let (target, _r, _x) = match which.as_str() {
        "radicale" => {
            let r = radicale();
            r.seed_vdir(dir.path());
            let t = Target {
                caldav: r.caldav_source(),
                carddav: r.carddav_source(),
                calendars: ids.iter().map(|id| r.collection_url(id)).collect(),
                auth: true,
            };
            (t, Some(r), None)
        }
        "xandikos" => {
            let x = xandikos();
            x.seed_vdir(dir.path());
            let t = Target {
                caldav: x.caldav_source(),
                carddav: x.carddav_source(),
                calendars: ids.iter().map(|id| x.collection_url(Calendar, id)).collect(),
                auth: false,
            };
            (t, None, Some(x))
        }
        _ => {
            eprintln!("usage: bench-floor radicale|xandikos [RUNS]");
            std::process::exit(2);
        }
    };
    eprintln!("seeded {which} in {:.0?}", seeding.elapsed());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        let client = reqwest::Client::builder().build().expect("an HTTP client");
        let calendars = [Capability::CalendarRead];
        let warm = caps(&target, 0, &calendars).await;
        let l1 = caps(&target, 3_600_000, &calendars).await;
        // Warm-up: the server's caches, Kenny's discovery and a kept listing.
        floor(&client, &target, 0).await;
        read(&warm, 0).await;
        let (mut f, mut unc, mut fresh, mut val, mut mem, mut cards) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut seen = std::collections::BTreeSet::new();
        for k in 1..=runs {
            if k % 2 == 0 {
                f.push(floor(&client, &target, k).await);
                let (ms, tiers) = read(&warm, k).await;
                unc.push(ms);
                seen.extend(tiers.into_iter().map(|t| format!("uncached: {t}")));
            } else {
                let (ms, tiers) = read(&warm, k).await;
                unc.push(ms);
                seen.extend(tiers.into_iter().map(|t| format!("uncached: {t}")));
                f.push(floor(&client, &target, k).await);
            }
            let (ms, tiers) = read(&warm, k).await;
            val.push(ms);
            seen.extend(tiers.into_iter().map(|t| format!("validated: {t}")));
            read(&l1, k).await;
            let (ms, tiers) = read(&l1, k).await;
            mem.push(ms);
            seen.extend(tiers.into_iter().map(|t| format!("l1: {t}")));
            let cold = caps(&target, 0, &calendars).await;
            let (ms, tiers) = read(&cold, k).await;
            fresh.push(ms);
            seen.extend(tiers.into_iter().map(|t| format!("fresh: {t}")));
            let began = Instant::now();
            let _contacts = caps(&target, 0, &[Capability::ContactsResolve]).await;
            cards.push(began.elapsed().as_secs_f64() * 1e3);
        }
        let (fm, _, _) = stats(&mut f.clone());
        println!(
            "\n{which}: 5 calendars × 1,000 events, 2,003 cards; {runs} windows; ms, median (min–max); ratio = median / floor median\n"
        );
        println!("| | ms | ratio to the floor |");
        println!("|---|---|---|");
        for (label, v) in [
            ("floor: the 5 window REPORTs alone, at once", &mut f),
            ("Kenny uncached (account listed before)", &mut unc),
            ("Kenny uncached, fresh process", &mut fresh),
            ("Kenny validated", &mut val),
            ("Kenny l1", &mut mem),
            ("contact index, fresh process (load)", &mut cards),
        ] {
            let (m, lo, hi) = stats(v);
            println!("| {label} | {m:.1} ({lo:.1}–{hi:.1}) | {:.2} |", m / fm);
        }
        println!("\ntiers seen: {}", seen.into_iter().collect::<Vec<_>>().join(", "));
    });
}
