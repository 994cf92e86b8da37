//! Every cache tier against the real parts: calendars on Radicale, the shared cache (L2) in a
//! DynamoDB-compatible server (moto). Two calendar services stand for two Lambda containers: the
//! second starts with an empty L1 and answers from L2; a change on the server is fetched again,
//! only for the changed calendar and as a `sync-collection` delta; the warmer, fed a recorded pattern, fills L2 for the window
//! people ask for before anyone asks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kenny::adapters::aws::cache::DynamoCache;
use kenny::adapters::secrets::Credentials;
use kenny::adapters::sources::{Network, calendar_source};
use kenny::capabilities::calendar::CalendarService;
use kenny::capabilities::calendar::cache::CachePolicy;
use kenny::capabilities::calendar::cache::CalendarCache;
use kenny::domain::plan::Capability;
use kenny::edges::warm::Warmer;
use kenny::ports::cache::SharedCache;
use kenny::ports::sources::{Delta, Earlier, Fetched};
use kenny::ports::timing::TimingStore as _;
use kenny::ports::timing::{MemoryStore, RecordKind, TimingRecord};
use kenny::wiring::app::Capabilities;
use kenny_tests::{DAV_PASSWORD, DAV_USER, Radicale, Seen, calendar_tiers, deltas, moto, radicale};
use serde_json::{Value, json};

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn event(uid: &str, start: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// One "container": a calendar service on the Radicale account with its own L1 over `shared`.
fn container(server: &Radicale, shared: Arc<dyn SharedCache>, grace: Duration) -> Arc<Capabilities> {
    Arc::new(Capabilities { calendar: Some(service(server, shared, grace)), contacts: None })
}

fn service(server: &Radicale, shared: Arc<dyn SharedCache>, grace: Duration) -> CalendarService {
    service_at(&server.caldav_source(), shared, grace)
}

/// A calendar service on the CalDAV account at `url`.
fn service_at(url: &str, shared: Arc<dyn SharedCache>, grace: Duration) -> CalendarService {
    let source = calendar_source(url, &network()).unwrap();
    let policy = CachePolicy { grace, ..CachePolicy::default() };
    CalendarService::new(vec![source], NY, Duration::from_secs(20), policy, Some(shared))
}

fn network() -> Network {
    let secret = format!("{{\"hosts\": {{\"127.0.0.1\": {{\"password\": \"{DAV_PASSWORD}\"}}}}}}");
    Network::new(
        kenny::adapters::http::Http::shared(kenny::adapters::http::HttpOptions {
            allow_private: true,
            ..Default::default()
        })
        .unwrap(),
        Arc::new(Credentials::from_secret_string(&secret).unwrap()),
        Duration::ZERO,
    )
}

async fn read(caps: &Capabilities, start: &str, end: &str) -> Value {
    let params = json!({"start": start, "end": end, "timezone": "America/New_York"});
    caps.invoke_json(Capability::CalendarRead, params, None).await.unwrap()
}

fn pair(home: &str, work: &str) -> Vec<(String, String)> {
    vec![("home".into(), home.into()), ("work".into(), work.into())]
}

fn summaries(read: &Value) -> Vec<String> {
    read["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap().to_string()).collect()
}

#[test]
fn each_tier_validation_and_warming_against_radicale_and_dynamodb() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    server.put_item("work", "review.ics", &event("review", "20261201T150000Z", "Budget review"));
    server.put_item("home", "dentist.ics", &event("dentist", "20261202T180000Z", "Dentist"));
    let moto = moto();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let sdk = kenny_tests::aws_at(&moto.url()).await;
        kenny::adapters::aws::cache::create_table(&sdk, "kenny-cache-it").await.unwrap();
        let shared: Arc<dyn SharedCache> = Arc::new(DynamoCache::new(&sdk, "kenny-cache-it"));
        let (start, end) = ("2026-11-30T00:00:00-05:00", "2026-12-07T00:00:00-05:00");

        // Container A, no grace period: miss, then validated by the account's listing.
        let a = container(&server, shared.clone(), Duration::ZERO);
        assert_eq!(calendar_tiers(&read(&a, start, end).await), pair("miss", "miss"));
        let validated = read(&a, start, end).await;
        assert_eq!(calendar_tiers(&validated), pair("validated", "validated"));
        // Container B, empty L1: the shared cache answers.
        let b = container(&server, shared.clone(), Duration::ZERO);
        let from_l2 = read(&b, start, end).await;
        assert_eq!(calendar_tiers(&from_l2), pair("l2", "l2"));
        assert_eq!(from_l2["events"], validated["events"]);
        // Within a grace period, memory answers without asking the server.
        let c = container(&server, shared.clone(), Duration::from_secs(600));
        assert_eq!(calendar_tiers(&read(&c, start, end).await), pair("l2", "l2"));
        assert_eq!(calendar_tiers(&read(&c, start, end).await), pair("l1", "l1"));
        // A change on the server: the answer before came from cache, the next one shows it and
        // only the changed calendar was fetched again.
        server.put_item("work", "review.ics", &event("review", "20261201T150000Z", "Budget review (moved)"));
        let after = read(&b, start, end).await;
        assert_eq!(calendar_tiers(&after), pair("validated", "miss"));
        assert_eq!(summaries(&after), vec!["Budget review (moved)", "Dentist"]);
        // … and as a delta: the server's sync-collection report named the one changed item.
        assert_eq!(deltas(&after), vec![("work".to_string(), json!({"changed": 1, "removed": 0}))]);
        // And a third container sees the new version through L2.
        let d = container(&server, shared.clone(), Duration::ZERO);
        let d_read = read(&d, start, end).await;
        assert_eq!(calendar_tiers(&d_read), pair("l2", "l2"));
        assert_eq!(summaries(&d_read), vec!["Budget review (moved)", "Dentist"]);

        // Warming: evenings ask about tomorrow; at 19:55 the warmer reads tomorrow into L2.
        let timings = Arc::new(MemoryStore::default());
        for day in 21..=26 {
            let at = DateTime::parse_from_rfc3339(&format!("2026-11-{day}T20:10:00-05:00")).unwrap();
            let r = TimingRecord {
                request_id: format!("r{day}"),
                kind: RecordKind::Request,
                capability: "coordinate".into(),
                at: at.with_timezone(&Utc),
                status: "ok".into(),
                window_kind: Some("tomorrow".into()),
                ..TimingRecord::default()
            };
            timings.write(&[r]).await.unwrap();
        }
        let warmer = Warmer::new(service(&server, shared.clone(), Duration::ZERO), timings, NY);
        let now = DateTime::parse_from_rfc3339("2026-11-30T19:55:00-05:00").unwrap().with_timezone(&Utc);
        let report = serde_json::to_value(warmer.run(now).await.unwrap()).unwrap();
        assert_eq!(report["picked"][0]["kind"], "tomorrow", "{report}");
        assert_eq!(report["reads"][0]["window"]["start"], "2026-12-01T00:00:00-05:00", "{report}");
        // A fresh container asking about tomorrow at 20:10 is answered from what was warmed.
        let e = container(&server, shared.clone(), Duration::ZERO);
        let tomorrow = read(&e, "2026-12-01T00:00:00-05:00", "2026-12-02T00:00:00-05:00").await;
        assert_eq!(calendar_tiers(&tomorrow), pair("l2", "l2"));
        assert_eq!(summaries(&tomorrow), vec!["Budget review (moved)"]);

        // A new item and a removed one reach container B as one delta.
        server.put_item("work", "standup.ics", &event("standup", "20261203T140000Z", "Standup"));
        server.delete_item("work", "review.ics");
        let after = read(&b, start, end).await;
        assert_eq!(summaries(&after), vec!["Dentist", "Standup"]);
        assert_eq!(deltas(&after), vec![("work".to_string(), json!({"changed": 1, "removed": 1}))]);
    });
}

/// The source alone: a delta read gives the same items as reading the window whole, and a token
/// the server refuses falls back to the whole read.
#[test]
fn a_sync_collection_delta_equals_a_whole_read_and_a_refused_token_falls_back() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.put_item("work", "a.ics", &event("a", "20261201T150000Z", "A"));
    server.put_item("work", "b.ics", &event("b", "20261202T150000Z", "B"));
    server.put_item("work", "far.ics", &event("far", "20270601T150000Z", "Far away"));
    let source = calendar_source(&server.caldav_source(), &network()).unwrap();
    let window = kenny::domain::time::Window::parse("2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z", NY).unwrap();
    let sorted = |f: &Fetched| {
        let mut t = f.texts.clone();
        t.sort();
        t
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let info = source.calendars().await.unwrap().remove(0);
        assert!(info.version.as_deref().unwrap().starts_with("sync "), "{info:?}");
        let first = source.fetch(&info, &window).await.unwrap();
        assert_eq!(first.texts.len(), 2, "the far event is outside the window");
        let earlier = |f: &Fetched, version: Option<String>| Earlier {
            version,
            fetched: Fetched { texts: Vec::new(), ..f.clone() },
            texts: Arc::new(f.texts.clone()),
        };
        let at_first = earlier(&first, info.version.clone());

        server.put_item("work", "a.ics", &event("a", "20261201T160000Z", "A moved"));
        server.put_item("work", "c.ics", &event("c", "20261203T150000Z", "C"));
        server.delete_item("work", "b.ics");
        let now = source.calendars().await.unwrap().remove(0);
        assert_ne!(now.version, info.version);
        let delta = source.refetch(&now, &window, &at_first).await.unwrap();
        assert_eq!(delta.delta, Some(Delta { changed: 2, removed: 1 }));
        let whole = source.fetch(&now, &window).await.unwrap();
        assert_eq!(sorted(&delta), sorted(&whole));
        assert_eq!(delta.items.len(), delta.texts.len());

        // Nothing changed since: an empty delta keeps everything.
        let again = source.refetch(&now, &window, &earlier(&delta, now.version.clone())).await.unwrap();
        assert_eq!(again.delta, Some(Delta { changed: 0, removed: 0 }));
        assert_eq!(sorted(&again), sorted(&whole));

        // A token this server never issued: the whole window is read instead.
        let bogus = earlier(&first, Some("sync http://radicale.org/ns/sync/0000".into()));
        let fallback = source.refetch(&now, &window, &bogus).await.unwrap();
        assert_eq!(fallback.delta, None);
        assert_eq!(sorted(&fallback), sorted(&whole));
        // A ctag cannot ask for a delta at all.
        let ctag = earlier(&first, Some("ctag \"1\"".into()));
        assert_eq!(source.refetch(&now, &window, &ctag).await.unwrap().delta, None);
    });
}

/// A fresh container that finds the account's listing another one stored in L2 sends a new
/// window's REPORTs at once — no token asked on their path — and keeps its reads under that
/// listing's versions, answered before the REPORTs were sent: a change made while a REPORT is
/// held is in the answer, and the next check reads that calendar again. A window L2 holds is
/// still served from L2, at the version listed now.
#[test]
fn a_fresh_container_reads_a_new_window_at_once_under_the_listing_l2_holds() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    server.put_item("work", "review.ics", &event("review", "20261201T150000Z", "Budget review"));
    server.put_item("home", "dentist.ics", &event("dentist", "20261202T180000Z", "Dentist"));
    server.put_item("work", "planning.ics", &event("planning", "20261208T150000Z", "Planning"));
    server.put_item("home", "gym.ics", &event("gym", "20261209T120000Z", "Gym"));
    let proxy = kenny_tests::proxy(&server.base_url());
    let url = format!("caldav+http://{DAV_USER}@127.0.0.1:{}/", proxy.port());
    let moto = moto();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let shared: Arc<dyn SharedCache> = rt.block_on(async {
        let sdk = kenny_tests::aws_at(&moto.url()).await;
        kenny::adapters::aws::cache::create_table(&sdk, "kenny-cache-listing").await.unwrap();
        Arc::new(DynamoCache::new(&sdk, "kenny-cache-listing"))
    });
    let container =
        |grace| Arc::new(Capabilities { calendar: Some(service_at(&url, shared.clone(), grace)), contacts: None });
    let this_week = ("2026-11-30T00:00:00-05:00", "2026-12-07T00:00:00-05:00");
    let next_week = ("2026-12-07T00:00:00-05:00", "2026-12-14T00:00:00-05:00");

    // Container A's first read settles after its answer: it lists the tokens, and the listing goes
    // to L2 (on a task of its own).
    let a = container(Duration::ZERO);
    assert_eq!(calendar_tiers(&rt.block_on(read(&a, this_week.0, this_week.1))), pair("miss", "miss"));
    rt.block_on(a.calendar.as_ref().unwrap().settled());
    assert!(proxy.seen().iter().any(Seen::asks_tokens));
    let probe = CalendarCache::with_shared(CachePolicy::default(), Some(shared.clone()));
    let identity = calendar_source(&url, &network()).unwrap().identity();
    let stored = (0..200).any(|_| {
        let found = rt.block_on(probe.shared_versions(&identity)).is_some_and(|v| v.len() == 2);
        if !found {
            std::thread::sleep(Duration::from_millis(50));
        }
        found
    });
    assert!(stored, "the listing is in L2");

    // Container B, fresh, a window no cache holds: both REPORTs out at once, no token asked.
    proxy.clear();
    proxy.hold(|s| kenny_tests::proxy::root_element(&s.body) == "calendar-query");
    let b = container(Duration::ZERO);
    let first = std::thread::scope(|scope| {
        let reading = scope.spawn(|| rt.block_on(read(&b, next_week.0, next_week.1)));
        proxy.wait_held(2);
        let seen = proxy.seen();
        assert!(!seen.iter().any(Seen::asks_tokens), "no token on the data's path: {seen:#?}");
        // Changed after the listing B's reads are kept under, before the data is read.
        server.put_item("work", "planning.ics", &event("planning", "20261208T160000Z", "Planning (moved)"));
        proxy.release();
        reading.join().unwrap()
    });
    assert_eq!(calendar_tiers(&first), pair("miss", "miss"), "{first}");
    assert_eq!(summaries(&first), vec!["Planning (moved)", "Gym"]);

    // B's next check: home is unchanged; work's token is newer than the one its read was kept
    // under, so it is read again — never served as cached.
    let again = rt.block_on(read(&b, next_week.0, next_week.1));
    assert_eq!(calendar_tiers(&again), pair("validated", "miss"), "{again}");
    assert_eq!(summaries(&again), vec!["Planning (moved)", "Gym"]);

    // Container C, fresh, a window L2 holds: the tokens are listed and L2 answers at the version
    // listed now — home's; work changed since A stored this week, so it is read again.
    proxy.clear();
    let c = container(Duration::ZERO);
    let from_l2 = rt.block_on(read(&c, this_week.0, this_week.1));
    assert_eq!(calendar_tiers(&from_l2), pair("l2", "miss"), "{from_l2}");
    assert_eq!(summaries(&from_l2), vec!["Budget review", "Dentist"]);
    assert!(proxy.seen().iter().any(Seen::asks_tokens));
}
