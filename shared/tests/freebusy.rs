//! `calendar.freebusy` over files (hand-made calendars: transparent, cancelled, declined,
//! tentative and all-day events; people found through a directory and through an `EMAIL=URL`
//! entry; unknown people) and over the bundled sample, then `slots.find` and a free-time question
//! on the same data, in process.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use kenny::capabilities::coordinate::CoordinateRequest;
use kenny::domain::plan::Capability;
use kenny::wiring::app::{App, Capabilities};
use kenny::wiring::config::Config;
use serde_json::{Value, json};

fn event(uid: &str, start: &str, end: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
         DTSTART{start}\r\nDTEND{end}\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn put(dir: &Path, folder: &str, items: &[String]) {
    let d = dir.join(folder);
    std::fs::create_dir_all(&d).unwrap();
    for (k, text) in items.iter().enumerate() {
        std::fs::write(d.join(format!("{k}.ics")), text).unwrap();
    }
}

const NY: &str = ";TZID=America/New_York:";

/// The user's calendar, a people directory with Alice's, and Bob's calendar as its own folder,
/// week of Tuesday 1 December 2026.
fn data(dir: &Path) {
    let me = "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@x.org\r\n";
    put(
        dir,
        "mine/work",
        &[
            event("opaque", &format!("{NY}20261201T090000"), &format!("{NY}20261201T100000"), me),
            event("back-to-back", &format!("{NY}20261201T100000"), &format!("{NY}20261201T110000"), ""),
            event(
                "transparent",
                &format!("{NY}20261201T120000"),
                &format!("{NY}20261201T130000"),
                "TRANSP:TRANSPARENT\r\n",
            ),
            event(
                "cancelled",
                &format!("{NY}20261201T130000"),
                &format!("{NY}20261201T140000"),
                "STATUS:CANCELLED\r\n",
            ),
            event(
                "declined-by-me",
                &format!("{NY}20261201T140000"),
                &format!("{NY}20261201T150000"),
                "ATTENDEE;PARTSTAT=DECLINED:mailto:ME@x.org\r\n",
            ),
            event(
                "declined-by-someone-else",
                &format!("{NY}20261201T150000"),
                &format!("{NY}20261201T160000"),
                "ATTENDEE;PARTSTAT=DECLINED:mailto:carol@x.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:me@x.org\r\n",
            ),
            event(
                "tentative",
                &format!("{NY}20261201T160000"),
                &format!("{NY}20261201T163000"),
                "STATUS:TENTATIVE\r\n",
            ),
            event("offsite", ";VALUE=DATE:20261202", ";VALUE=DATE:20261203", ""),
            event("holiday", ";VALUE=DATE:20261203", ";VALUE=DATE:20261204", "TRANSP:TRANSPARENT\r\n"),
        ],
    );
    put(
        dir,
        "people/alice@x.org",
        &[
            event("alice-busy", &format!("{NY}20261201T110000"), &format!("{NY}20261201T120000"), ""),
            event(
                "alice-declined",
                &format!("{NY}20261201T130000"),
                &format!("{NY}20261201T140000"),
                "ATTENDEE;PARTSTAT=DECLINED:mailto:alice@x.org\r\n",
            ),
        ],
    );
    // Floating: read in the request's zone.
    put(dir, "bob", &[event("bob-busy", ":20261201T103000", ":20261201T113000", "")]);
    let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:carol\r\nFN:Carol Example\r\nEMAIL:carol@x.org\r\nEND:VCARD\r\n";
    std::fs::write(dir.join("contacts.vcf"), card).unwrap();
}

fn config(dir: &Path) -> Config {
    let d = dir.display().to_string();
    let env = move |k: &str| {
        Some(match k {
            "KENNY_CALENDARS" => format!("file://{d}/mine"),
            "KENNY_CONTACTS" => format!("file://{d}/contacts.vcf"),
            "KENNY_PEOPLE_CALENDARS" => format!("file://{d}/people, bob@x.org=file://{d}/bob"),
            "KENNY_SELF_EMAILS" => "me@x.org".into(),
            "KENNY_TIMEZONE" => "America/New_York".into(),
            "KENNY_TIMINGS" => format!("file://{d}/timings.jsonl"),
            _ => return None,
        })
    };
    Config::from_parts(env, None).unwrap()
}

fn busy_of<'a>(resp: &'a Value, person: &str) -> Vec<(&'a str, &'a str)> {
    resp["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["person"] == person)
        .unwrap_or_else(|| panic!("{person} in {resp}"))["busy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["start"].as_str().unwrap(), i["end"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn busy_rules_people_and_unknowns_over_files() {
    let dir = tempfile::tempdir().unwrap();
    data(dir.path());
    let caps = Capabilities::from_config(&config(dir.path())).await.unwrap();
    let req = json!({
        "start": "2026-12-01", "end": "2026-12-04",
        "attendees": ["alice@x.org", ["robert@x.org", "bob@x.org"], "carol@x.org", "Zed", "ME@x.org", "Alice@X.org"]
    });
    let resp = caps.invoke_json(Capability::CalendarFreeBusy, req, None).await.unwrap();
    let people: Vec<&str> = resp["people"].as_array().unwrap().iter().map(|p| p["person"].as_str().unwrap()).collect();
    assert_eq!(people, ["me", "alice@x.org", "robert@x.org"], "the user once, duplicates dropped: {resp}");
    assert_eq!(resp["unknown"], json!(["carol@x.org", "Zed"]), "no calendar: unknown, not free");
    let codes: Vec<&str> = resp["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["no_calendar", "no_calendar"]);
    // Transparent, cancelled and declined-by-me are free; back-to-back and touching merge; the
    // opaque all-day event is local midnight to midnight; the transparent holiday is free.
    assert_eq!(
        busy_of(&resp, "me"),
        [
            ("2026-12-01T09:00:00-05:00", "2026-12-01T11:00:00-05:00"),
            ("2026-12-01T15:00:00-05:00", "2026-12-01T16:30:00-05:00"),
            ("2026-12-02T00:00:00-05:00", "2026-12-03T00:00:00-05:00"),
        ]
    );
    assert_eq!(busy_of(&resp, "alice@x.org"), [("2026-12-01T11:00:00-05:00", "2026-12-01T12:00:00-05:00")]);
    assert_eq!(busy_of(&resp, "robert@x.org"), [("2026-12-01T10:30:00-05:00", "2026-12-01T11:30:00-05:00")]);
    for p in resp["people"].as_array().unwrap() {
        assert_eq!((p["source"].as_str(), p["complete"].as_bool()), (Some("events"), Some(true)), "{p}");
    }
    let ids: Vec<&str> = resp["calendars"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["work", "alice@x.org", "robert@x.org/bob"]);

    // The slots of all three on Tuesday to Thursday.
    let slots = kenny::domain::slots::invoke(
        json!({"start": "2026-12-01", "end": "2026-12-04", "timezone": "America/New_York", "duration_minutes": 30, "busy": [resp]}),
        &Default::default(),
        chrono_tz::UTC,
    )
    .unwrap();
    let got: Vec<(&str, &str)> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["start"].as_str().unwrap(), s["free_until"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-12-01T12:00:00-05:00", "2026-12-01T15:00:00-05:00"),
            ("2026-12-01T16:30:00-05:00", "2026-12-01T17:00:00-05:00"),
            ("2026-12-03T09:00:00-05:00", "2026-12-03T17:00:00-05:00"),
        ]
    );
    assert_eq!(slots["unknown"], json!(["carol@x.org", "Zed"]));

    // Only me, without the user: refused fields and bounds.
    let none = caps
        .invoke_json(
            Capability::CalendarFreeBusy,
            json!({"start": "2026-12-01", "end": "2026-12-02", "include_self": false}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(none["people"], json!([]));
    let bad = caps.invoke_json(
        Capability::CalendarFreeBusy,
        json!({"start": "2026-12-01", "end": "2026-12-02", "x": 1}),
        None,
    );
    assert_eq!(bad.await.unwrap_err().code, "invalid_request");
    let long =
        caps.invoke_json(Capability::CalendarFreeBusy, json!({"start": "2026-01-01", "end": "2028-01-01"}), None);
    assert_eq!(long.await.unwrap_err().code, "window_too_large");
}

#[tokio::test]
async fn a_free_time_question_over_files_in_process() {
    let dir = tempfile::tempdir().unwrap();
    data(dir.path());
    let app = App::from_config(config(dir.path())).await.unwrap();
    let ask = |q: &str| -> CoordinateRequest {
        serde_json::from_value(json!({"question": q, "now": "2026-11-30T08:00:00-05:00"})).unwrap()
    };
    // The addresses are not contacts: they are kept as said, and still find the calendars.
    let r = app
        .coordinator
        .handle(ask("when are alice@x.org and bob@x.org free on Tuesday for 30 minutes?"), "t1", None)
        .await
        .unwrap();
    let slots = r.answer.slots.as_ref().unwrap();
    let starts: Vec<&str> = slots.slots.iter().map(|s| s.start.as_str()).collect();
    assert_eq!(starts, ["2026-12-01T12:00:00-05:00", "2026-12-01T16:30:00-05:00"], "{:?}", r.answer);
    assert_eq!(slots.participants, ["me", "alice@x.org", "bob@x.org"]);
    assert!(slots.unknown.is_empty());
    assert!(!r.degraded, "{:?}", r.errors);
    let caps: Vec<&str> = r.timings.steps.iter().map(|s| s.capability.as_str()).collect();
    assert_eq!(
        caps,
        [
            "calendar.freebusy",
            "contacts.resolve",
            "calendar.freebusy",
            "contacts.resolve",
            "calendar.freebusy",
            "slots.find"
        ]
    );
    assert_eq!(r.timings.steps.last().unwrap().transport, "local");
    // "first free slot": one slot; Wednesday is taken whole, so Thursday's morning.
    let r = app.coordinator.handle(ask("first free slot between Wednesday and Thursday"), "t2", None).await.unwrap();
    let s = r.answer.slots.unwrap();
    assert_eq!(s.slots.len(), 1);
    assert_eq!(s.slots[0].start, "2026-12-03T09:00:00-05:00");
    assert!(r.answer.notes.iter().any(|n| n.contains("30 minutes were assumed")), "{:?}", r.answer.notes);
    // A part of the day narrows working hours; an evening (outside them) is searched as asked,
    // and a weekend day asked for by name gets the working hours.
    let r = app.coordinator.handle(ask("when am I free on Thursday morning for an hour?"), "t4", None).await.unwrap();
    let s = r.answer.slots.unwrap();
    assert_eq!((s.hours.as_str(), s.slots.len()), ("09:00-17:00", 1));
    assert_eq!(s.slots[0].free_until, "2026-12-03T12:00:00-05:00");
    let r = app.coordinator.handle(ask("first free slot on Tuesday evening"), "t5", None).await.unwrap();
    let s = r.answer.slots.unwrap();
    assert_eq!((s.hours.as_str(), s.slots[0].start.as_str()), ("00:00-24:00", "2026-12-01T17:00:00-05:00"));
    let r = app.coordinator.handle(ask("am I free on Saturday?"), "t6", None).await.unwrap();
    let s = r.answer.slots.unwrap();
    assert_eq!(
        (s.days.as_str(), s.slots[0].start.as_str()),
        ("mon,tue,wed,thu,fri,sat,sun", "2026-12-05T09:00:00-05:00")
    );
    // Carol is a contact without a calendar: unknown, and said so.
    let r = app.coordinator.handle(ask("find an hour with Carol on Tuesday"), "t3", None).await.unwrap();
    assert_eq!(serde_json::to_value(&r.answer.people[0]).unwrap()["resolved"]["emails"], json!(["carol@x.org"]));
    let s = r.answer.slots.unwrap();
    assert_eq!(s.unknown, ["carol@x.org"]);
    assert!(r.answer.notes.iter().any(|n| n.contains("carol@x.org could not be read")), "{:?}", r.answer.notes);
}

#[tokio::test]
async fn the_sample_people_calendars() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let env = move |k: &str| match k {
        "KENNY_TIMINGS" => Some(format!("file://{d}/timings.jsonl")),
        "KENNY_TIMEZONE" => Some("America/New_York".into()),
        _ => None,
    };
    let caps = Capabilities::from_config(&Config::from_parts(env, None).unwrap()).await.unwrap();
    let req = json!({
        "start": "2026-11-30", "end": "2026-12-05", "include_self": false,
        "attendees": ["sarah.chen@northwind.example", "tom.baker@northwind.example", "bob.smith@northwind.example"]
    });
    let resp = caps.invoke_json(Capability::CalendarFreeBusy, req, None).await.unwrap();
    assert_eq!(resp["unknown"], json!(["bob.smith@northwind.example"]));
    let sarah = busy_of(&resp, "sarah.chen@northwind.example");
    // Monday: standup only — the design critique she declined is not busy.
    assert_eq!(&sarah[..1], [("2026-11-30T09:30:00-05:00", "2026-11-30T09:45:00-05:00")]);
    // Tuesday: customer calls 13–15 and the 1:1 at 14:00 inside them are one interval.
    assert!(sarah.contains(&("2026-12-01T13:00:00-05:00", "2026-12-01T15:00:00-05:00")), "{sarah:?}");
    // Wednesday's transparent focus time and Friday's cancelled vendor sync are free.
    assert!(!sarah.iter().any(|(s, _)| s.starts_with("2026-12-02T10") || s.starts_with("2026-12-04T11")), "{sarah:?}");
    // Tom's two-day conference (all-day, opaque) is busy from Thursday to Saturday midnight.
    let tom = busy_of(&resp, "tom.baker@northwind.example");
    assert!(tom.contains(&("2026-12-03T00:00:00-05:00", "2026-12-05T00:00:00-05:00")), "{tom:?}");
}
