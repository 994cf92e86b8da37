//! A second CalDAV/CardDAV server: Xandikos (git-backed, from PyPI), started on a free port and
//! seeded over HTTP with the sample data. The harness itself, then Kenny's DAV read and contact
//! resolve against it: the same questions answer exactly as over Radicale for the same data,
//! cached calendars are validated by the home listing and a change is read as a
//! `sync-collection` delta, and the contact index follows the address book's sync-token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeSet, HashMap};

use kenny::domain::plan::Capability;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use kenny_tests::CollectionKind::{AddressBook, Calendar};
use kenny_tests::{
    DAV_PASSWORD, DAV_USER, Xandikos, calendar_tiers, deltas, radicale, sample_dir, vdir_items, xandikos, xml_text,
    xml_texts,
};
use serde_json::{Value, json};

const NY: &str = "America/New_York";

fn dav_env(caldav: String, carddav: String) -> Vec<(String, String)> {
    vec![
        ("KENNY_CALENDARS".into(), caldav),
        ("KENNY_CONTACTS".into(), carddav),
        ("KENNY_DAV_PASSWORD".into(), DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES".into(), "1".into()),
    ]
}

fn xandikos_env(server: &Xandikos) -> Vec<(String, String)> {
    dav_env(server.caldav_source(), server.carddav_source())
}

fn config(env: &[(String, String)]) -> Config {
    let vars: HashMap<String, String> = env.iter().cloned().collect();
    Config::from_parts(|k| vars.get(k).cloned(), None).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn call(caps: &Capabilities, rt: &tokio::runtime::Runtime, cap: Capability, params: Value) -> Value {
    rt.block_on(caps.invoke_json(cap, params, None)).unwrap_or_else(|e| panic!("{cap:?}: {e:?}"))
}

fn read(caps: &Capabilities, rt: &tokio::runtime::Runtime, start: &str, end: &str) -> Value {
    call(caps, rt, Capability::CalendarRead, json!({"start": start, "end": end, "timezone": NY}))
}

fn summaries(read: &Value) -> Vec<String> {
    read["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap().to_string()).collect()
}

fn event(uid: &str, start: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn card(uid: &str, name: &str, email: &str) -> String {
    let (given, family) = name.split_once(' ').unwrap_or((name, ""));
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{family};{given};;;\r\nEMAIL:{email}\r\nEND:VCARD\r\n"
    )
}

const PROPS: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/><CS:getctag/><D:sync-token/><C:supported-calendar-component-set/></D:prop></D:propfind>"#;

/// The harness: every sample collection is created under the right home with its display name,
/// every item is listed back, discovery answers as the module documentation says, and the
/// tokens move on a PUT and a DELETE.
#[test]
fn the_harness_seeds_the_sample_into_xandikos_and_it_serves_it_back() {
    let dav = xandikos();
    let seeded = dav.seed_vdir(sample_dir());
    eprintln!("seeded {} items into Xandikos in {:?}", seeded.items(), seeded.elapsed);
    let ids: Vec<(&str, bool)> = seeded.collections.iter().map(|c| (c.id.as_str(), c.bundled)).collect();
    assert_eq!(
        ids,
        [("holidays", false), ("personal", false), ("team-berlin", false), ("work", false), ("people", false)]
    );
    assert_eq!(seeded.items(), 215 + 200);

    // Discovery: the well-known URL redirects to the root, the root names the principal, the
    // principal names two homes.
    let wk = dav.request("PROPFIND", "/.well-known/caldav", &[("Depth", "0")], "");
    assert_eq!((wk.status, wk.header("location")), (302, Some("/")), "{wk:?}");
    let root = dav.propfind(
        "/",
        "0",
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>"#,
    );
    assert_eq!(root.status, 207, "{}", root.body);
    assert_eq!(xml_text(&root.body, "href").as_deref(), Some("/"));
    assert_eq!(xml_texts(&root.body, "href").get(1).map(String::as_str), Some(&*format!("/{DAV_USER}/")));
    let principal = dav.propfind(
        &dav.principal_url(),
        "0",
        r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:R="urn:ietf:params:xml:ns:carddav"><D:prop><C:calendar-home-set/><R:addressbook-home-set/></D:prop></D:propfind>"#,
    );
    assert_eq!(
        xml_texts(&principal.body, "href"),
        [format!("/{DAV_USER}/"), format!("/{DAV_USER}/calendars/"), format!("/{DAV_USER}/contacts/")],
        "{}",
        principal.body
    );

    // The calendar home lists the four calendars with their display names and tokens.
    let home = dav.propfind(&dav.home_url(Calendar), "1", PROPS);
    assert_eq!(home.status, 207, "{}", home.body);
    for name in ["Work", "Team Berlin", "Personal", "Holidays"] {
        assert!(home.body.contains(&format!(">{name}</")), "{name}:\n{}", home.body);
    }
    assert_eq!(xml_texts(&home.body, "sync-token").len(), 5, "the home and its 4 calendars:\n{}", home.body);

    // Every item is listed back under its vdir file name.
    for (kind, sub, id, ext) in [
        (Calendar, "calendars", "work", ".ics"),
        (Calendar, "calendars", "holidays", ".ics"),
        (AddressBook, "contacts", "people", ".vcf"),
    ] {
        let url = dav.collection_url(kind, id);
        let listing = dav.propfind(&url, "1", PROPS);
        let prefix = url.trim_start_matches(&dav.base_url()).to_string();
        let listed: BTreeSet<String> = xml_texts(&listing.body, "href")
            .into_iter()
            .filter_map(|h| h.strip_prefix(&prefix).map(str::to_string))
            .filter(|h| !h.is_empty())
            .collect();
        assert_eq!(listed, vdir_items(&sample_dir().join(sub).join(id), ext), "{id}");
    }

    // The tokens move on a PUT and on a DELETE; ctag and sync-token are the same value here.
    let before = dav.sync_token(Calendar, "work");
    assert_eq!(before, dav.ctag(Calendar, "work"));
    let etag = dav.put_item(Calendar, "work", "harness-1.ics", &event("harness-1", "20261201T140000Z", "Harness"));
    assert!(etag.starts_with('"'), "{etag}");
    let after_put = dav.sync_token(Calendar, "work");
    assert_ne!(before, after_put);
    dav.delete_item(Calendar, "work", "harness-1.ics");
    assert_ne!(after_put, dav.sync_token(Calendar, "work"));
}

/// The differential test across servers: the same sample data seeded into Radicale and into
/// Xandikos, and every question, window read and contact lookup of the Radicale comparison
/// (`kenny_tests::differential`) gives identical answers through the CLI.
#[test]
fn xandikos_answers_exactly_like_radicale_for_the_same_data() {
    let (r, x) = (radicale(), xandikos());
    let (rs, xs) = std::thread::scope(|s| {
        let a = s.spawn(|| r.seed_vdir(sample_dir()));
        let b = s.spawn(|| x.seed_vdir(sample_dir()));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(rs.items(), xs.items());
    let dir = tempfile::tempdir().unwrap();
    kenny_tests::differential::assert_same_answers(
        dir.path(),
        ("Radicale", &dav_env(r.caldav_source(), r.carddav_source())),
        ("Xandikos", &xandikos_env(&x)),
    );
    // Kenny really read Xandikos: discovery, the listing and the window queries reached it.
    let log = x.server.output();
    for request in [
        "PROPFIND / ",
        "PROPFIND /kenny/calendars/ ",
        "REPORT /kenny/calendars/work/ ",
        "REPORT /kenny/contacts/people/ ",
    ] {
        assert!(log.contains(request), "{request:?} not in Xandikos' log:\n{log}");
    }
}

/// Cached calendars on Xandikos: validated by one home listing (its sync-tokens), and a changed
/// calendar — that one only — fetched again as a `sync-collection` delta from the cached token.
#[test]
fn xandikos_calendars_are_validated_and_a_change_is_read_as_a_delta() {
    let dav = xandikos();
    dav.make_calendar("work", "Work");
    dav.make_calendar("home", "Home");
    dav.put_item(Calendar, "work", "standup.ics", &event("standup", "20261201T140000Z", "Standup"));
    dav.put_item(Calendar, "home", "dinner.ics", &event("dinner", "20261201T230000Z", "Dinner"));
    let rt = runtime();
    let mut env = xandikos_env(&dav);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "0".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    let pair = |a: &str, b: &str| vec![("home".to_string(), a.to_string()), ("work".to_string(), b.to_string())];

    let first = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&first), pair("miss", "miss"), "{first}");
    assert_eq!(first["calendars"][1]["name"], "Work");
    let second = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&second), pair("validated", "validated"), "{second}");
    assert_eq!(first["events"], second["events"]);

    dav.put_item(Calendar, "work", "standup.ics", &event("standup", "20261201T140000Z", "Standup (room 4)"));
    dav.put_item(Calendar, "work", "review.ics", &event("review", "20261201T160000Z", "Review"));
    let third = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(calendar_tiers(&third), pair("validated", "miss"), "only the changed calendar is fetched: {third}");
    assert_eq!(deltas(&third), vec![("work".to_string(), json!({"changed": 2, "removed": 0}))], "{third}");
    assert_eq!(summaries(&third), vec!["Standup (room 4)", "Review", "Dinner"]);

    dav.delete_item(Calendar, "work", "review.ics");
    let fourth = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(deltas(&fourth), vec![("work".to_string(), json!({"changed": 0, "removed": 1}))], "{fourth}");
    assert_eq!(summaries(&fourth), vec!["Standup (room 4)", "Dinner"]);
    assert!(dav.server.output().contains("REPORT /kenny/calendars/work/"), "{}", dav.server.output());
}

/// Contacts on Xandikos: the index is validated by the address book's sync-token and rebuilt,
/// showing the change, when it moves.
#[test]
fn xandikos_contacts_follow_the_address_books_sync_token() {
    let dav = xandikos();
    dav.make_addressbook("people", "People");
    dav.put_item(AddressBook, "people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    let rt = runtime();
    let mut env = xandikos_env(&dav);
    env.push(("KENNY_CACHE_GRACE_MS".into(), "0".into()));
    // Every check before the answer (a TTL over the grace period moves it beside the request).
    env.push(("KENNY_CACHE_TTL_MS".into(), "0".into()));
    let caps = rt.block_on(Capabilities::from_config(&config(&env))).unwrap();
    let resolve = |q: &str| call(&caps, &rt, Capability::ContactsResolve, json!({"query": q}));

    let ann = resolve("Ann");
    assert_eq!(ann["resolved"]["name"], "Ann Example", "{ann}");
    assert_eq!(ann["cache"], "validated", "{ann}");
    assert!(resolve("Quentin")["resolved"].is_null());
    let before = dav.sync_token(AddressBook, "people");
    dav.put_item(AddressBook, "people", "quentin.vcf", &card("quentin", "Quentin Blake", "quentin@example.com"));
    dav.put_item(AddressBook, "people", "ann.vcf", &card("ann", "Ann Example-Renamed", "ann.new@example.com"));
    assert_ne!(before, dav.sync_token(AddressBook, "people"));
    let quentin = resolve("Quentin");
    assert_eq!(quentin["resolved"]["emails"], json!(["quentin@example.com"]), "{quentin}");
    assert_eq!(quentin["cache"], "miss");
    let ann = resolve("Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann.new@example.com"]), "{ann}");
    assert_eq!(ann["cache"], "validated");
}
