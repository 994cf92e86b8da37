//! CalDAV and CardDAV against a real server: Radicale, started on a free port with htpasswd
//! authentication and seeded over HTTP with the sample data (`kenny sample`). Discovery, window
//! reads, contacts, changes on the server, auth failures, Secrets Manager credentials (moto), no
//! secret in any log, and the differential test: the same questions through the DAV sources and
//! through the file sources give identical answers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::OnceLock;

use kenny::domain::plan::Capability;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use kenny_tests::{
    DAV_PASSWORD, DAV_USER, LOCAL_AWS, Radicale, calendar_tiers, invoke, kenny, moto, radicale, sample_dir, watch,
};
use serde_json::{Value, json};

const NOW: &str = "2026-11-27T10:00:00-05:00";
const NY: &str = "America/New_York";

fn file_env() -> Vec<(String, String)> {
    let root = sample_dir();
    vec![
        ("KENNY_CALENDARS".into(), format!("file://{}/calendars", root.display())),
        ("KENNY_CONTACTS".into(), format!("file://{}/contacts", root.display())),
    ]
}

fn dav_env(server: &Radicale) -> Vec<(String, String)> {
    vec![
        ("KENNY_CALENDARS".into(), server.caldav_source()),
        ("KENNY_CONTACTS".into(), server.carddav_source()),
        ("KENNY_DAV_PASSWORD".into(), DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES".into(), "1".into()),
    ]
}

fn config(env: &[(String, String)]) -> Config {
    let vars: HashMap<String, String> = env.iter().cloned().collect();
    Config::from_parts(|k| vars.get(k).cloned(), None).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

/// Runs one capability in process with the given configuration.
fn call(caps: &Capabilities, rt: &tokio::runtime::Runtime, cap: Capability, params: Value) -> Result<Value, Value> {
    rt.block_on(caps.invoke_json(cap, params, None)).map_err(|e| json!({"error": e}))
}

fn read(caps: &Capabilities, rt: &tokio::runtime::Runtime, start: &str, end: &str) -> Value {
    call(caps, rt, Capability::CalendarRead, json!({"start": start, "end": end, "timezone": NY})).unwrap()
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A seeded Radicale shared by the read-only tests of this process.
fn seeded() -> &'static Radicale {
    static SERVER: OnceLock<Radicale> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = radicale();
        let seeded = server.seed_vdir(sample_dir());
        assert!(seeded.items() > 100, "{seeded:?}");
        server
    })
}

/// The same questions and reads through the CLI on both sources: identical answers.
#[test]
fn dav_sources_answer_exactly_like_the_file_sources() {
    let server = seeded();
    let dir = tempfile::tempdir().unwrap();
    kenny_tests::differential::assert_same_answers(dir.path(), ("files", &file_env()), ("Radicale", &dav_env(server)));
}

/// Discovery from the server root finds every calendar with its display name, a calendar
/// created between two reads of one process appears in the second, and an event changed on the
/// server is read changed.
#[test]
fn discovery_finds_new_calendars_and_reads_follow_changes() {
    let server = radicale();
    server.make_calendar("work", "Work");
    let standup = event("standup-1", "20261201T140000Z", "Standup", "");
    server.put_item("work", "standup-1.ics", &standup);
    let rt = runtime();
    // No grace period: every read asks the server (tier `validated` or `miss`).
    let mut env = dav_env(&server);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "0".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();

    let first = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(ids(&first["calendars"]), vec!["work"]);
    assert_eq!(first["calendars"][0]["name"], "Work");
    assert_eq!(summaries(&first), vec!["Standup"]);

    server.make_calendar("family", "Family");
    server.put_item("family", "dinner.ics", &event("dinner-1", "20261201T230000Z", "Dinner", ""));
    server.put_item("work", "standup-1.ics", &event("standup-1", "20261201T140000Z", "Standup (moved room)", ""));
    let second = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(ids(&second["calendars"]), vec!["family", "work"]);
    assert_eq!(summaries(&second), vec!["Standup (moved room)", "Dinner"]);

    // A deleted item is gone; a calendar holding only to-dos is not listed.
    server.delete_item("family", "dinner.ics");
    let tasks = server.request(
        "MKCALENDAR",
        &format!("{}/kenny/tasks/", server.base_url()),
        &[("Content-Type", "application/xml")],
        r#"<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>Tasks</d:displayname><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"#,
    );
    assert_eq!(tasks.status, 201, "{tasks:?}");
    let third = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(summaries(&third), vec!["Standup (moved room)"]);
    assert_eq!(ids(&third["calendars"]), vec!["family", "work"]);
}

/// Contacts: the index is rebuilt only when an address book's sync-token moves, and then shows
/// the change.
#[test]
fn contacts_follow_the_address_books_sync_token() {
    let server = radicale();
    server.make_addressbook("people", "People");
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    let rt = runtime();
    let mut env = dav_env(&server);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "0".into()));
    // Every check before the answer (a TTL over the grace period moves it beside the request).
    env.push(("KENNY_CACHE_TTL_MS".into(), "0".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    let resolve = |q: &str| call(&caps, &rt, Capability::ContactsResolve, json!({"query": q})).unwrap();

    let ann = resolve("Ann");
    assert_eq!(ann["resolved"]["name"], "Ann Example");
    assert_eq!(ann["cache"], "validated", "the book's token was checked and had not moved");
    assert!(resolve("Quentin")["resolved"].is_null());
    let before = server.sync_token("people");
    server.put_item("people", "quentin.vcf", &card("quentin", "Quentin Blake", "quentin@example.com"));
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example-Renamed", "ann.new@example.com"));
    assert_ne!(before, server.sync_token("people"), "the server's sync-token moves on a change");
    let quentin = resolve("Quentin");
    assert_eq!(quentin["resolved"]["emails"], json!(["quentin@example.com"]));
    assert_eq!(quentin["cache"], "miss", "the token moved: the book was read again");
    let ann = resolve("Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann.new@example.com"]));
    assert_eq!(ann["cache"], "validated");
}

/// A cached calendar is served from memory within the grace period, validated by the account's
/// listing (its sync-token) after it, and fetched again — that calendar only — when the server
/// says it changed: the answer before the change came from the cache, the one after shows it.
#[test]
fn cached_calendars_are_validated_and_only_changed_ones_fetched_again() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup", ""));
    server.put_item("home", "dinner.ics", &event("dinner", "20261201T230000Z", "Dinner", ""));
    let rt = runtime();
    let mut env = dav_env(&server);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "0".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    let pair = |a: &str, b: &str| vec![("home".to_string(), a.to_string()), ("work".to_string(), b.to_string())];

    let first = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&first), pair("miss", "miss"));
    let second = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&second), pair("validated", "validated"));
    assert_eq!(first["events"], second["events"]);
    assert_eq!(summaries(&second), vec!["Standup", "Dinner"]);

    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup (room 4)", ""));
    let third = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&third), pair("validated", "miss"), "only the changed calendar is fetched");
    assert_eq!(summaries(&third), vec!["Standup (room 4)", "Dinner"]);
    // Another window is another cache entry.
    assert_eq!(calendar_tiers(&read(&caps, &rt, "2026-12-02", "2026-12-03")), pair("miss", "miss"));

    // Within the grace period nothing is asked of the server.
    let mut env = dav_env(&server);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "600000".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    assert_eq!(calendar_tiers(&read(&caps, &rt, "2026-12-01", "2026-12-02")), pair("miss", "miss"));
    assert_eq!(calendar_tiers(&read(&caps, &rt, "2026-12-01", "2026-12-02")), pair("l1", "l1"));
}

/// A wrong password is `source_auth_failed` naming the source, never showing the password.
#[test]
fn a_wrong_password_is_an_auth_failure_without_the_secret() {
    let server = seeded();
    let dir = tempfile::tempdir().unwrap();
    let wrong = "Wr0ng-Passw0rd-xyz";
    let mut env = dav_env(server);
    env.retain(|(k, _)| k != "KENNY_DAV_PASSWORD");
    env.push(("KENNY_DAV_PASSWORD".into(), wrong.into()));
    let run = kenny(
        dir.path(),
        &["calendar", "read", "--start", "2026-12-01", "--end", "2026-12-02", "--json"],
        &env_refs(&env),
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let e = run.json();
    assert_eq!(e["error"]["code"], "source_auth_failed", "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("127.0.0.1:{}", server.server.port)), "{message}");
    assert!(!run.stdout.contains(wrong) && !run.stderr.contains(wrong));
    let r = kenny(dir.path(), &["contacts", "resolve", "Bob", "--json"], &env_refs(&env));
    assert_eq!(r.json()["error"]["code"], "source_auth_failed", "{}", r.stdout);
}

/// Credentials never appear in logs (at trace level), errors, or timing records, on success or
/// failure, through the CLI.
#[test]
fn credentials_never_reach_logs_errors_or_timings() {
    let server = seeded();
    let dir = tempfile::tempdir().unwrap();
    let basic = kenny_tests::basic_auth(DAV_USER, DAV_PASSWORD);
    let mut env = dav_env(server);
    env.push(("RUST_LOG".into(), "trace".into()));
    let ok =
        kenny(dir.path(), &["ask", "meetings with Sarah and Tom next week", "--now", NOW, "--json"], &env_refs(&env));
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stderr.len() > 1000, "trace logging was on: {}", ok.stderr.len());
    env.retain(|(k, _)| k != "KENNY_DAV_PASSWORD");
    env.push(("KENNY_DAV_PASSWORD".into(), format!("{DAV_PASSWORD}-but-wrong")));
    let bad = kenny(dir.path(), &["ask", "meetings with Sarah next week", "--now", NOW, "--json"], &env_refs(&env));
    let timings = std::fs::read_to_string(dir.path().join("timings.jsonl")).unwrap();
    for (what, text) in [
        ("stdout", &ok.stdout),
        ("stderr", &ok.stderr),
        ("stdout", &bad.stdout),
        ("stderr", &bad.stderr),
        ("timings", &timings),
    ] {
        assert!(!text.contains(DAV_PASSWORD), "the password is in {what}");
        assert!(!text.contains(&basic), "the Authorization value is in {what}");
    }
}

/// In Lambda the credentials come from a Secrets Manager secret (here moto's), fetched once per
/// container; the functions under `cargo lambda watch` read Radicale with it, the answer equals
/// the file sources', and the functions' logs hold no secret.
#[test]
fn the_local_lambda_path_reads_dav_with_a_secrets_manager_secret() {
    let server = seeded();
    let moto = moto();
    let secret = json!({"hosts": {"127.0.0.1": {"password": DAV_PASSWORD}}}).to_string();
    let arn = kenny_tests::create_secret(&moto, "kenny/dav", &secret);
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("KENNY_CALENDARS", server.caldav_source()),
        ("KENNY_CONTACTS", server.carddav_source()),
        ("KENNY_DAV_SECRET_ARN", arn.clone()),
        ("KENNY_ALLOW_PRIVATE_SOURCES", "1".into()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto.url()),
        ("KENNY_TIMINGS", format!("file://{}/timings.jsonl", dir.path().display())),
        ("RUST_LOG", "debug".into()),
    ];
    let watch = watch(&env, 2);
    kenny_tests::warm_up(&watch);
    let question =
        json!({"question": "what meetings do I have with Sarah and Tom next week?", "now": NOW, "timezone": NY});
    let (status, function_error, body) = invoke(&watch, "coordinate", &question);
    assert_eq!((status, function_error.as_deref()), (200, None), "{body}\n{}", watch.output());
    assert_eq!(body["degraded"], false, "{body}");
    let files = kenny(
        dir.path(),
        &["ask", "what meetings do I have with Sarah and Tom next week?", "--now", NOW, "--tz", NY, "--json"],
        &env_refs(&file_env()),
    )
    .json();
    assert_eq!(body["answer"], files["answer"]);
    let logs = watch.output();
    assert!(!logs.contains(DAV_PASSWORD), "the password is in the functions' logs");
    assert!(!logs.contains(&kenny_tests::basic_auth(DAV_USER, DAV_PASSWORD)));
    let _ = LOCAL_AWS;
}

fn ids(calendars: &Value) -> Vec<String> {
    calendars.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

fn summaries(read: &Value) -> Vec<String> {
    read["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap().to_string()).collect()
}

fn event(uid: &str, start: &str, summary: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn card(uid: &str, name: &str, email: &str) -> String {
    let (given, family) = name.split_once(' ').unwrap_or((name, ""));
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{family};{given};;;\r\nEMAIL:{email}\r\nEND:VCARD\r\n"
    )
}

/// Busy intervals of `person` in a `calendar.freebusy` response, and how they were learnt.
fn busy(resp: &Value, person: &str) -> (Vec<(String, String)>, String) {
    let p =
        resp["people"].as_array().unwrap().iter().find(|p| p["person"] == person).unwrap_or_else(|| panic!("{resp}"));
    let list = p["busy"].as_array().unwrap();
    let pairs = list.iter().map(|i| (i["start"].as_str().unwrap().into(), i["end"].as_str().unwrap().into())).collect();
    (pairs, p["source"].as_str().unwrap().to_string())
}

/// Radicale 3.9 answers CalDAV `free-busy-query` (RFC 4791 §7.10): another person's calendar is
/// asked with it, and the answer agrees with Kenny's own reading of the same events, except
/// where the server's rules differ (documented: Radicale ignores PARTSTAT, so a meeting the
/// owner declined stays busy).
#[test]
fn other_peoples_busy_time_comes_from_free_busy_query() {
    let server = radicale();
    server.make_calendar("alice-shared", "Alice (shared)");
    let items = [
        ("weekly", event("weekly", "20261103T150000Z", "Weekly sync", "RRULE:FREQ=WEEKLY;BYDAY=TU\r\n")),
        ("opaque", event("opaque", "20261201T190000Z", "Opaque", "")),
        ("transparent", event("transparent", "20261201T200000Z", "Transparent", "TRANSP:TRANSPARENT\r\n")),
        ("cancelled", event("cancelled", "20261201T210000Z", "Cancelled", "STATUS:CANCELLED\r\n")),
        ("tentative", event("tentative", "20261201T170000Z", "Tentative", "STATUS:TENTATIVE\r\n")),
        (
            "declined",
            event("declined", "20261202T140000Z", "Declined", "ATTENDEE;PARTSTAT=DECLINED:mailto:alice@x.org\r\n"),
        ),
    ];
    for (name, text) in &items {
        server.put_item("alice-shared", &format!("{name}.ics"), text);
    }
    let all_day = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:offsite\r\n\
        DTSTAMP:20261101T000000Z\r\nDTSTART;VALUE=DATE:20261203\r\nDTEND;VALUE=DATE:20261204\r\nSUMMARY:Offsite\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";
    server.put_item("alice-shared", "offsite.ics", all_day);
    let calendar = format!("caldav+http://{DAV_USER}@127.0.0.1:{}/{DAV_USER}/alice-shared/", server.server.port);
    // The same calendar twice: as the user's own (read as events, Alice's address as the
    // user's, so her declines count) and as Alice's, for whom the server is asked.
    let env: Vec<(String, String)> = vec![
        ("KENNY_CALENDARS".into(), calendar.clone()),
        ("KENNY_CONTACTS".into(), "sample:contacts".into()),
        ("KENNY_PEOPLE_CALENDARS".into(), format!("alice.fb@x.org={calendar}")),
        ("KENNY_SELF_EMAILS".into(), "alice@x.org".into()),
        ("KENNY_DAV_PASSWORD".into(), DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES".into(), "1".into()),
    ];
    let rt = runtime();
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    let ask = |start: &str, end: &str| {
        let req = json!({"start": start, "end": end, "timezone": NY, "attendees": ["alice.fb@x.org", "nobody@x.org"]});
        call(&caps, &rt, Capability::CalendarFreeBusy, req).unwrap()
    };
    // Tuesday 1 December: both readings agree — the weekly series expanded by the server, the
    // tentative meeting busy, the transparent and the cancelled ones free.
    let tuesday = ask("2026-12-01", "2026-12-02");
    let (theirs, how) = busy(&tuesday, "alice.fb@x.org");
    assert_eq!(how, "free_busy_query", "{tuesday}");
    let (ours, how) = busy(&tuesday, "me");
    assert_eq!(how, "events");
    assert_eq!(theirs, ours, "{tuesday}");
    let want: Vec<(String, String)> = [
        ("2026-12-01T10:00:00-05:00", "2026-12-01T11:00:00-05:00"),
        ("2026-12-01T12:00:00-05:00", "2026-12-01T13:00:00-05:00"),
        ("2026-12-01T14:00:00-05:00", "2026-12-01T15:00:00-05:00"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(theirs, want);
    assert_eq!(tuesday["unknown"], json!(["nobody@x.org"]));
    // Wednesday: the server keeps the declined meeting busy; Kenny's reading of the events does
    // not. (Thursday's all-day event starts at 19:00 here: see below.)
    let wednesday = ask("2026-12-02", "2026-12-03");
    assert_eq!(
        busy(&wednesday, "alice.fb@x.org").0,
        [
            ("2026-12-02T09:00:00-05:00".into(), "2026-12-02T10:00:00-05:00".into()),
            ("2026-12-02T19:00:00-05:00".into(), "2026-12-03T00:00:00-05:00".into())
        ]
    );
    assert!(busy(&wednesday, "me").0.is_empty(), "{wednesday}");
    // The weekly series a week later, from the server.
    let next = ask("2026-12-08", "2026-12-09");
    assert_eq!(
        busy(&next, "alice.fb@x.org").0,
        [("2026-12-08T10:00:00-05:00".into(), "2026-12-08T11:00:00-05:00".into())]
    );
    // An all-day event: Kenny reads it in the request's zone (local midnight to midnight);
    // Radicale's free-busy-query reads dates as UTC days (documented in docs/contracts.md § Free/busy).
    let thursday = ask("2026-12-03", "2026-12-04");
    assert_eq!(busy(&thursday, "me").0, [("2026-12-03T00:00:00-05:00".into(), "2026-12-04T00:00:00-05:00".into())]);
    assert_eq!(
        busy(&thursday, "alice.fb@x.org").0,
        [("2026-12-03T00:00:00-05:00".into(), "2026-12-03T19:00:00-05:00".into())]
    );
    // The REPORT really reached the server.
    assert!(server.server.output().contains("REPORT"), "{}", server.server.output());
}
