//! Network sources against servers that fail, lie, stall or flood (the harness's misbehaving
//! server): every case ends in a clear, named error or a capped result, never a hang, and one
//! failing calendar degrades the answer instead of failing it. Also: ICS feeds (conditional GET,
//! gzip), the multiget follow-up, the 507 split, retries with `Retry-After`, and the SSRF guard.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::io::Write as _;

use kenny::domain::plan::Capability;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use kenny_tests::{Hostile, Mode, Reply, hostile};
use serde_json::{Value, json};

const WINDOW: (&str, &str) = ("2026-12-01", "2026-12-08");

fn caps(calendars: &str, extra: &[(&str, &str)]) -> (tokio::runtime::Runtime, Capabilities) {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("KENNY_CALENDARS".into(), calendars.into()),
        ("KENNY_CONTACTS".into(), "sample:contacts".into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES".into(), "1".into()),
        ("KENNY_SOURCE_TIMEOUT_MS".into(), "1500".into()),
        ("KENNY_DAV_PASSWORD".into(), "pw-for-hostile".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_parts(|k| vars.get(k).cloned(), None).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let caps = rt.block_on(Capabilities::from_config(&config)).unwrap();
    (rt, caps)
}

/// `calendar.read` of the test window: the response, or the error object.
fn read(calendars: &str, extra: &[(&str, &str)]) -> Result<Value, Value> {
    let (rt, caps) = caps(calendars, extra);
    let params = json!({"start": WINDOW.0, "end": WINDOW.1, "timezone": "UTC"});
    // A hang guard far above every timeout in play, not a speed expectation.
    let guarded = async {
        tokio::time::timeout(
            std::time::Duration::from_secs(60),
            caps.invoke_json(Capability::CalendarRead, params, None),
        )
        .await
    };
    match rt.block_on(guarded).expect("the read did not finish within the hang guard") {
        Ok(reply) => Ok(reply),
        Err(e) => Err(serde_json::to_value(e).unwrap()),
    }
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

fn caldav(server: &Hostile) -> String {
    format!("caldav+http://kenny@127.0.0.1:{}/cal/work/", server.port())
}

fn feed(server: &Hostile) -> String {
    format!("http://127.0.0.1:{}/feeds/team.ics", server.port())
}

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261202T150000Z\r\nDURATION:PT1H\r\nSUMMARY:Feed event\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn every_misbehaviour_is_a_named_error_never_a_hang() {
    let xml = "application/xml; charset=utf-8";
    let body = |b: String| Mode::Body { status: 207, content_type: xml.into(), body: b.into_bytes(), headers: vec![] };
    let cases: Vec<(&str, Mode, &str)> = vec![
        ("malformed XML", body(kenny_tests::malformed_multistatus()), "source_bad_reply"),
        ("billion laughs", body(kenny_tests::billion_laughs_multistatus()), "source_bad_reply"),
        ("XXE", body(kenny_tests::xxe_multistatus()), "source_bad_reply"),
        ("deep nesting", body(kenny_tests::deeply_nested_xml(100_000)), "source_bad_reply"),
        ("a 20 MB body", Mode::Huge { content_type: xml.into(), bytes: 20 * 1024 * 1024 }, "source_bad_reply"),
        ("a stall", Mode::Stall, "timeout"),
        ("a slow drip", Mode::SlowDrip, "timeout"),
        ("HTTP 500", Mode::Status(500), "source_unreachable"),
        ("HTTP 401", Mode::Status(401), "source_auth_failed"),
        ("HTTP 403", Mode::Status(403), "source_auth_failed"),
        ("HTTP 404", Mode::Status(404), "source_not_found"),
        ("HTTP 503 forever", Mode::Status(503), "source_unreachable"),
    ];
    for (what, mode, want) in cases {
        let server = hostile(mode);
        // Alone, the failing source fails the read with its code…
        let err = read(&caldav(&server), &[]).expect_err(what);
        assert_eq!(code(&err), want, "{what}: {err}");
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(&format!("127.0.0.1:{}", server.port())), "{what}: the source is named: {message}");
        assert!(!message.contains("pw-for-hostile"), "{what}: {message}");
        // …beside a good one it degrades the answer, reported on its own entry.
        let both = read(&format!("sample:calendars,{}", caldav(&server)), &[]).expect(what);
        assert!(!both["events"].as_array().unwrap().is_empty(), "{what}");
        let failed: Vec<&Value> =
            both["calendars"].as_array().unwrap().iter().filter(|c| c.get("error").is_some()).collect();
        assert_eq!(failed.len(), 1, "{what}: {both}");
    }
}

#[test]
fn retries_honour_retry_after_and_then_succeed() {
    let server = hostile(Mode::StatusThenOk {
        status: 503,
        times: 1,
        retry_after: Some(1),
        body: ICS.into(),
        content_type: "text/calendar".into(),
    });
    let r = read(&feed(&server), &[]).unwrap();
    assert_eq!(r["events"][0]["summary"], "Feed event");
    assert_eq!(server.requests(), 2);
    let throttled = hostile(Mode::StatusThenOk {
        status: 429,
        times: 2,
        retry_after: None,
        body: ICS.into(),
        content_type: "text/calendar".into(),
    });
    assert_eq!(read(&feed(&throttled), &[]).unwrap()["events"].as_array().unwrap().len(), 1);
    assert_eq!(throttled.requests(), 3, "two backoffs, then the answer");
    // A Retry-After longer than the time left is not waited for.
    let far = hostile(Mode::StatusThenOk {
        status: 429,
        times: 1,
        retry_after: Some(3600),
        body: ICS.into(),
        content_type: "text/calendar".into(),
    });
    assert_eq!(code(&read(&feed(&far), &[]).unwrap_err()), "source_unreachable");
    assert_eq!(far.requests(), 1);
}

#[test]
fn feeds_use_conditional_get_and_accept_gzip() {
    let server = hostile(Mode::Script(vec![
        Reply::new(200, "text/calendar", ICS)
            .header("ETag", "\"v1\"")
            .header("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
        Reply::new(304, "", ""),
    ]));
    // No grace period: the second read asks the feed again (a conditional GET).
    let (rt, caps) = caps(&feed(&server), &[("KENNY_CACHE_GRACE_MS", "0")]);
    let params = json!({"start": WINDOW.0, "end": WINDOW.1});
    let first = rt.block_on(caps.invoke_json(Capability::CalendarRead, params.clone(), None)).unwrap();
    let second = rt.block_on(caps.invoke_json(Capability::CalendarRead, params, None)).unwrap();
    assert_eq!(first["calendars"][0]["cache"], "miss");
    assert_eq!(second["calendars"][0]["cache"], "validated");
    assert_eq!(first["events"], second["events"]);
    assert_eq!(first["calendars"][0]["id"], "team");
    assert_eq!(server.header(1, "if-none-match").as_deref(), Some("\"v1\""));
    assert_eq!(server.header(1, "if-modified-since").as_deref(), Some("Tue, 01 Dec 2026 10:00:00 GMT"));
    assert!(server.header(0, "accept-encoding").unwrap_or_default().contains("gzip"));

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(ICS.as_bytes()).unwrap();
    let zipped = hostile(Mode::Body {
        status: 200,
        content_type: "text/calendar".into(),
        body: gz.finish().unwrap(),
        headers: vec![("Content-Encoding".into(), "gzip".into())],
    });
    assert_eq!(read(&feed(&zipped), &[]).unwrap()["events"][0]["summary"], "Feed event");

    // A gzip bomb counts its decompressed size against the cap.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![b'A'; 40 * 1024 * 1024]).unwrap();
    let bomb = hostile(Mode::Body {
        status: 200,
        content_type: "text/calendar".into(),
        body: bomb.finish().unwrap(),
        headers: vec![("Content-Encoding".into(), "gzip".into())],
    });
    assert_eq!(code(&read(&feed(&bomb), &[]).unwrap_err()), "source_bad_reply");
}

fn multistatus(responses: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">{responses}</d:multistatus>"#
    )
}

fn collection_response() -> String {
    r#"<d:response><d:href>/cal/work/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"#.into()
}

fn item_response(href: &str, data: Option<&str>) -> String {
    let data = data
        .map(|d| format!("<c:calendar-data>{}</c:calendar-data>", d.replace('&', "&amp;").replace('<', "&lt;")))
        .unwrap_or_default();
    format!(
        r#"<d:response><d:href>{href}</d:href><d:propstat><d:prop><d:getetag>"e"</d:getetag>{data}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"#
    )
}

fn ms(body: String) -> Reply {
    Reply::new(207, "application/xml; charset=utf-8", body)
}

/// A server that lists items without their data gets a calendar-multiget for them; a server
/// that answers 507 (its result limit) gets the range split in halves.
#[test]
fn missing_calendar_data_is_multigot_and_507_splits_the_range() {
    let ev = |uid: &str, day: u32| {
        ICS.replace("UID:f1", &format!("UID:{uid}")).replace("20261202T150000Z", &format!("202612{day:02}T150000Z"))
    };
    let server = hostile(Mode::Script(vec![
        ms(multistatus(&collection_response())), // discovery: the URL is a calendar
        ms(multistatus(&collection_response())), // listing
        ms(multistatus(&format!(
            "{}{}",
            item_response("/cal/work/a.ics", None),
            item_response("/cal/work/b.ics", None)
        ))),
        ms(multistatus(&format!(
            "{}{}",
            item_response("/cal/work/a.ics", Some(&ev("a", 2))),
            item_response("/cal/work/b.ics", Some(&ev("b", 3)))
        ))),
    ]));
    let r = read(&caldav(&server), &[]).unwrap();
    let uids: Vec<&str> = r["events"].as_array().unwrap().iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, vec!["a", "b"]);
    let bodies = server.bodies();
    assert!(String::from_utf8_lossy(&bodies[3]).contains("calendar-multiget"));
    assert!(String::from_utf8_lossy(&bodies[3]).contains("/cal/work/b.ics"));

    let split = hostile(Mode::Script(vec![
        ms(multistatus(&collection_response())),
        ms(multistatus(&collection_response())),
        Reply::new(507, "text/plain", "too many results"),
        ms(multistatus(&item_response("/cal/work/a.ics", Some(&ev("a", 2))))),
        ms(multistatus(&item_response("/cal/work/b.ics", Some(&ev("b", 3))))),
    ]));
    let r = read(&caldav(&split), &[]).unwrap();
    assert_eq!(r["events"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(split.requests(), 5, "one query, then its two halves");
}

/// Without `KENNY_ALLOW_PRIVATE_SOURCES`, loopback, private and link-local destinations are
/// refused before any request is sent — also when a public-looking server redirects there.
#[test]
fn private_destinations_are_refused_unless_allowed() {
    let server = hostile(Mode::Script(vec![Reply::new(200, "text/calendar", ICS)]));
    let strict = [("KENNY_ALLOW_PRIVATE_SOURCES", "0")];
    for url in [
        feed(&server),
        format!("http://localhost:{}/feeds/team.ics", server.port()),
        format!("caldav+http://kenny@[::ffff:127.0.0.1]:{}/cal/", server.port()),
        "http://169.254.169.254/latest/meta-data/".into(),
        "webcal://10.0.0.8/cal.ics".into(),
        "http://[::1]/cal.ics".into(),
    ] {
        let err = read(&url, &strict).expect_err(&url);
        assert_eq!(code(&err), "source_refused", "{url}: {err}");
    }
    assert_eq!(server.requests(), 0, "nothing was sent");
    // Allowed, the same server answers.
    assert_eq!(read(&feed(&server), &[]).unwrap()["events"].as_array().unwrap().len(), 1);
    // A redirect to a private address or another scheme is refused at the redirect.
    let redirect = hostile(Mode::Redirect { status: 302, location: "file:///etc/passwd".into() });
    assert_eq!(code(&read(&feed(&redirect), &[]).unwrap_err()), "source_refused");
}

/// A CalDAV server without `free-busy-query` (501) has the person's events read instead; one
/// answering with something that is not a VFREEBUSY is a named bad reply, and the person is
/// unknown rather than free.
#[test]
fn free_busy_falls_back_to_events_when_the_server_has_no_free_busy_query() {
    let people = |server: &Hostile| format!("pat@x.org=caldav+http://kenny@127.0.0.1:{}/cal/work/", server.port());
    let ask = |server: &Hostile| {
        let (rt, caps) = caps("sample:calendars", &[("KENNY_PEOPLE_CALENDARS", &people(server))]);
        let params = json!({"start": WINDOW.0, "end": WINDOW.1, "timezone": "UTC", "attendees": ["pat@x.org"], "include_self": false});
        rt.block_on(caps.invoke_json(Capability::CalendarFreeBusy, params, None)).unwrap()
    };
    let no_report = hostile(Mode::Script(vec![
        ms(multistatus(&collection_response())), // discovery: the URL is a calendar
        ms(multistatus(&collection_response())), // listing
        Reply::new(501, "text/plain", "not implemented"), // free-busy-query
        ms(multistatus(&item_response("/cal/work/a.ics", Some(ICS)))), // calendar-query
    ]));
    let r = ask(&no_report);
    assert_eq!(r["people"][0]["source"], "events", "{r}");
    assert_eq!(
        r["people"][0]["busy"],
        json!([{"start": "2026-12-02T15:00:00+00:00", "end": "2026-12-02T16:00:00+00:00"}])
    );
    let bodies = no_report.bodies();
    assert!(String::from_utf8_lossy(&bodies[2]).contains("free-busy-query"));
    assert!(String::from_utf8_lossy(&bodies[3]).contains("calendar-query"));

    let lying = hostile(Mode::Script(vec![
        ms(multistatus(&collection_response())),
        ms(multistatus(&collection_response())),
        Reply::new(200, "text/calendar", ICS),
    ]));
    let r = ask(&lying);
    assert_eq!(r["unknown"], json!(["pat@x.org"]), "{r}");
    assert_eq!(r["errors"][0]["code"], "source_bad_reply", "{r}");
}
