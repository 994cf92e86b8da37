//! Unit tests of the module as a whole (the corpus test in `tests/ical_corpus.rs` covers the
//! recurrence behaviours case by case).

use std::fmt::Write as _;

use super::*;
use crate::time::Window;

fn window(start: &str, end: &str) -> Window {
    Window::parse(start, end, chrono_tz::UTC).expect("window")
}

fn opts(start: &str, end: &str) -> ExpandOptions {
    ExpandOptions { window: window(start, end), floating_tz: chrono_tz::UTC, max_per_event: 10_000 }
}

fn cal(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}END:VCALENDAR\r\n")
}

#[test]
fn ten_thousand_exdates_and_rdates() {
    // Daily for 20,000 days from 2000; every day but one of March 2026 excluded, plus 10,000
    // RDATEs at 18:00 of which one (Mar 15 2026) is in the window.
    let mut ev =
        String::from("BEGIN:VEVENT\r\nUID:many\r\nDTSTART:20000101T090000Z\r\nRRULE:FREQ=DAILY;COUNT=20000\r\n");
    let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    for i in 0..10_000i64 {
        let d = start + chrono::TimeDelta::days(i);
        if d.day() == 15 && d.month() == 3 && d.year() == 2026 {
            continue;
        }
        let _ = write!(ev, "EXDATE:{}T090000Z\r\n", d.format("%Y%m%d"));
    }
    let rstart = chrono::NaiveDate::from_ymd_opt(2026, 3, 15).expect("date") - chrono::TimeDelta::days(5_000);
    for i in 0..10_000i64 {
        let d = rstart + chrono::TimeDelta::days(i);
        let _ = write!(ev, "RDATE:{}T180000Z\r\n", d.format("%Y%m%d"));
    }
    ev.push_str("END:VEVENT\r\n");
    let parsed = parse(&cal(&ev));
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    let exp = parsed.expand(&opts("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
    let starts: Vec<String> = exp.occurrences.iter().map(|o| format!("{:?}", o.start)).collect();
    // Mar 15 09:00 survives the EXDATEs; RDATEs give every day of March at 18:00.
    assert_eq!(exp.occurrences.len(), 1 + 31, "{starts:?}");
    assert!(!exp.truncated);
}

use chrono::Datelike;

#[test]
fn cap_per_series_sets_truncated() {
    let text = cal("BEGIN:VEVENT\r\nUID:m\r\nDTSTART:20260301T000000Z\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260301T120000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n");
    let parsed = parse(&text);
    let mut o = opts("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z");
    o.max_per_event = 100;
    let exp = parsed.expand(&o);
    assert!(exp.truncated);
    assert_eq!(exp.occurrences.iter().filter(|o| &*o.uid == "m").count(), 100);
    // The cap is per series: the daily one is complete.
    assert_eq!(exp.occurrences.iter().filter(|o| &*o.uid == "d").count(), 7);
    // Sorted by start, then UID.
    let keys: Vec<_> = exp.occurrences.iter().map(|o| (o.start.to_utc(chrono_tz::UTC), o.uid.clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn custom_vtimezone_resolves_to_a_canonical_zone() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus/ical/custom_vtimezone.ics"))
            .expect("corpus file");
    let icals = calcard::icalendar::ICalendar::parse(&text).expect("parses");
    let mut names = Vec::new();
    for comp in &icals.components {
        if comp.component_type == calcard::icalendar::ICalendarComponentType::VTimezone
            && let Some(vtz) = tz::read_vtimezone(comp, &icals.components)
        {
            names.push((vtz.tzid.clone(), tz::match_vtimezone(&vtz)));
        }
    }
    let fixed = |s: i32| Some(tz::Zone::Fixed(chrono::FixedOffset::east_opt(s).expect("offset")));
    assert_eq!(
        names,
        vec![
            ("My Office Time".to_string(), Some(tz::Zone::Iana(chrono_tz::America::New_York))),
            ("India Custom".to_string(), fixed(5 * 3600 + 1800)),
            ("Weird DST".to_string(), fixed(3 * 3600)),
            // Matching alone would say Etc/UTC-like +00:00; the resolver uses X-LIC-LOCATION first.
            ("Berlin-ish".to_string(), fixed(0)),
        ]
    );
}

#[test]
fn outlook_vtimezone_matches_by_rules() {
    // The Outlook VTIMEZONE for Central European time, under a made-up TZID: matched to
    // Europe/Berlin by its rules (a name hint in the TZID would pick Paris or Amsterdam).
    let text = cal("BEGIN:VTIMEZONE\r\nTZID:Mitteleuropaeische Zeit\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Mitteleuropaeische Zeit:20260330T100000\r\nEND:VEVENT\r\n");
    let parsed = parse(&text);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let exp = parsed.expand(&opts("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
    assert_eq!(exp.occurrences.len(), 1);
    assert_eq!(exp.occurrences[0].start, When::DateTime("2026-03-30T08:00:00Z".parse().expect("instant")));
}

#[test]
fn attendees_and_properties() {
    let text = cal("BEGIN:VEVENT\r\nUID:p\r\nDTSTART:20260310T100000Z\r\nDTEND:20260310T110000Z\r\n\
SUMMARY:Board\\, quarterly\r\nDESCRIPTION:Line one\\nline two\r\nLOCATION:Room 1\r\n\
ORGANIZER;CN=\"Boss, The\":MAILTO:Boss@Example.COM\r\n\
ATTENDEE;CN=Ann;PARTSTAT=accepted:mailto:ann@example.com\r\n\
ATTENDEE;PARTSTAT=DECLINED:bob@example.com\r\nSTATUS:confirmed\r\nTRANSP:TRANSPARENT\r\nSEQUENCE:4\r\nEND:VEVENT\r\n");
    let exp = parse(&text).expand(&opts("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
    let o = &exp.occurrences[0];
    assert_eq!(o.summary.as_deref(), Some("Board, quarterly"));
    assert_eq!(o.description.as_deref(), Some("Line one\nline two"));
    assert_eq!(o.location.as_deref(), Some("Room 1"));
    assert_eq!(
        o.organizer.as_deref(),
        Some(&Attendee { email: "boss@example.com".into(), name: Some("Boss, The".into()), partstat: None })
    );
    assert_eq!(
        &o.attendees[..],
        [
            Attendee { email: "ann@example.com".into(), name: Some("Ann".into()), partstat: Some("ACCEPTED".into()) },
            Attendee { email: "bob@example.com".into(), name: None, partstat: Some("DECLINED".into()) },
        ]
    );
    assert_eq!(o.status.as_deref(), Some("CONFIRMED"));
    assert!(o.transparent);
    assert_eq!(o.sequence, 4);
    assert_eq!(o.recurrence_id, None);
}

#[test]
fn too_large_text_is_refused() {
    let limits = Limits { max_bytes: 100, ..Limits::default() };
    let text = cal("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260310T100000Z\r\nEND:VEVENT\r\n");
    let parsed = parse_with_limits(&text, &limits);
    assert_eq!(parsed.event_count(), 0);
    assert_eq!(parsed.skipped[0].code, "too_large");
}

#[test]
fn too_many_events_are_reported_once() {
    let limits = Limits { max_events: 2, ..Limits::default() };
    let events: String =
        (0..5).map(|i| format!("BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:20260310T10000{i}Z\r\nEND:VEVENT\r\n")).collect();
    let parsed = parse_with_limits(&cal(&events), &limits);
    assert_eq!(parsed.event_count(), 2);
    assert_eq!(parsed.skipped.iter().map(|s| s.code).collect::<Vec<_>>(), vec!["too_large"]);
}

#[test]
fn step_budget_bounds_unforwardable_rules() {
    // COUNT with BYxxx cannot be fast-forwarded: iterating from 1990 would take millions of steps.
    let text = cal(
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTART:19900101T000000Z\r\nRRULE:FREQ=MINUTELY;BYSECOND=0,20,40;COUNT=2000000000\r\nEND:VEVENT\r\n",
    );
    let limits = Limits { max_rule_steps: 10_000, ..Limits::default() };
    let exp = parse_with_limits(&text, &limits).expand(&opts("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"));
    assert!(exp.truncated);
    assert!(exp.occurrences.is_empty());
}

#[test]
fn skipped_serializes() {
    let s = Skipped { uid: Some("u".into()), code: "malformed_item", message: "m".into() };
    assert_eq!(
        serde_json::to_value(&s).expect("json"),
        serde_json::json!({"uid": "u", "code": "malformed_item", "message": "m"})
    );
    assert_eq!(ErrorCode::code(&IcalError::NotICalendar), "not_icalendar");
}

/// A tiny deterministic generator (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

/// Random combinations of hostile and malformed values: never a panic, always terminating.
#[test]
fn garbage_never_panics() {
    let freqs = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "BOGUS", ""];
    let parts = [
        "",
        ";COUNT=1000000000",
        ";COUNT=0",
        ";UNTIL=99991231",
        ";UNTIL=19000101T000000Z",
        ";INTERVAL=0",
        ";INTERVAL=65535",
        ";BYMONTH=2;BYMONTHDAY=30",
        ";BYMONTHDAY=-31",
        ";BYSETPOS=-1;BYDAY=MO,FR",
        ";BYSETPOS=400;BYDAY=MO",
        ";BYWEEKNO=53;BYDAY=SU",
        ";BYYEARDAY=-366",
        ";BYDAY=5FR",
        ";BYDAY=-53MO",
        ";BYHOUR=25",
        ";BYSECOND=60",
        ";BYMONTH=13",
        ";WKST=XX",
        ";BYDAY=1MO,2TU,3WE;BYMONTH=1,2,3;BYSETPOS=2",
        ";RSCALE=HEBREW",
        ";BYMONTH=5L",
    ];
    let starts = [
        "DTSTART:20260310T100000Z",
        "DTSTART;VALUE=DATE:20260310",
        "DTSTART:00010101T000000",
        "DTSTART:99991231T235959Z",
        "DTSTART;TZID=Nowhere:20260310T100000",
        "DTSTART:2026",
        "DTSTART;TZID=Europe/Berlin:20260329T023000",
        "DTSTART:19000229T120000Z",
        "",
    ];
    let ends = [
        "",
        "DTEND:20260310T090000Z",
        "DURATION:P9999W",
        "DURATION:-PT1H",
        "DTEND;VALUE=DATE:00010101",
        "DURATION:garbage",
    ];
    let extras = [
        "",
        "EXDATE:20260310T100000Z",
        "RDATE;VALUE=PERIOD:20260310T100000Z/P9999W",
        "RECURRENCE-ID:20260310T100000Z",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20260301T100000Z",
        "RDATE:99991231T235959Z",
        "EXDATE;VALUE=DATE:20260311",
        "SEQUENCE:-99999999999999999999",
        "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM",
        "END:VEVENT\r\nBEGIN:VEVENT",
    ];
    let mut rng = Lcg(42);
    let mut text = String::new();
    for i in 0..300 {
        let _ = write!(
            text,
            "BEGIN:VEVENT\r\nUID:u{}\r\n{}\r\n{}\r\nRRULE:FREQ={}{}{}\r\n{}\r\n{}\r\nEND:VEVENT\r\n",
            i % 40,
            rng.pick(&starts),
            rng.pick(&ends),
            rng.pick(&freqs),
            rng.pick(&parts),
            rng.pick(&parts),
            rng.pick(&extras),
            rng.pick(&extras),
        );
    }
    let parsed = parse(&cal(&text));
    assert!(parsed.event_count() >= 30, "{}", parsed.event_count());
    let mut total = 0;
    for w in [
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-12-31T00:00:00Z"),
        ("9999-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
    ] {
        let exp = parsed.expand(&ExpandOptions {
            window: window(w.0, w.1),
            floating_tz: chrono_tz::Pacific::Kiritimati,
            max_per_event: 50,
        });
        assert!(exp.occurrences.len() <= 50 * 40);
        total += exp.occurrences.len();
    }
    assert!(total > 0);
    // Truncated and mangled texts.
    let whole = cal(&text);
    for cut in [0, 1, 17, 100, whole.len() / 3, whole.len() / 2, whole.len() - 5] {
        let mut end = cut.min(whole.len());
        while !whole.is_char_boundary(end) {
            end -= 1;
        }
        let _ = parse(&whole[..end]).expand(&opts("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"));
    }
    let _ = parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nBEGIN:VEVENT\r\nBEGIN:VEVENT\r\n");
    let _ = parse("\u{feff}BEGIN:VCALENDAR\nEND:VCALENDAR");
    let _ = parse("");
}

#[test]
fn out_of_range_interval_is_refused_not_wrapped() {
    // calcard reads INTERVAL into a u16: 90061 would iterate as 24525, 65536 and 0 as 1.
    for (interval, shown) in [("90061", "INTERVAL=90061"), ("65536", "INTERVAL=65536"), ("0", "INTERVAL=0")] {
        let text = cal(&format!(
            "BEGIN:VEVENT\r\nUID:s\r\nDTSTART:19970902T090000Z\r\nRRULE:FREQ=SECONDLY;INTERVAL={interval};COUNT=3\r\nEND:VEVENT\r\n"
        ));
        let parsed = parse(&text);
        assert_eq!(parsed.skipped.len(), 1, "{:?}", parsed.skipped);
        let s = &parsed.skipped[0];
        assert_eq!((s.uid.as_deref(), s.code), (Some("s"), "malformed_rule"));
        assert!(s.message.contains(&format!("{shown} is out of range")), "{}", s.message);
        let exp = parsed.expand(&opts("1997-09-01T00:00:00Z", "1997-09-10T00:00:00Z"));
        let starts: Vec<_> = exp.occurrences.iter().map(|o| o.start).collect();
        let dtstart = When::DateTime("1997-09-02T09:00:00Z".parse().expect("instant"));
        assert_eq!(starts, [dtstart], "{interval}");
    }
    // The largest interval calcard and the rrule crate hold is iterated exactly.
    let text = cal(
        "BEGIN:VEVENT\r\nUID:s\r\nDTSTART:19970902T090000Z\r\nRRULE:FREQ=SECONDLY;INTERVAL=65535;COUNT=3\r\nEND:VEVENT\r\n",
    );
    let parsed = parse(&text);
    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    let exp = parsed.expand(&opts("1997-09-01T00:00:00Z", "1997-09-10T00:00:00Z"));
    let starts: Vec<String> = exp.occurrences.iter().map(|o| format!("{}", o.start.to_utc(chrono_tz::UTC))).collect();
    assert_eq!(starts, ["1997-09-02 09:00:00 UTC", "1997-09-03 03:12:15 UTC", "1997-09-03 21:24:30 UTC"]);
}

#[test]
fn byday_ordinal_with_weekly_is_refused() {
    let text = cal(
        "BEGIN:VEVENT\r\nUID:w\r\nDTSTART:19970902T090000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3;BYDAY=1TU,-1TH\r\nEND:VEVENT\r\n",
    );
    let parsed = parse(&text);
    assert_eq!(parsed.skipped.len(), 1, "{:?}", parsed.skipped);
    assert_eq!(parsed.skipped[0].code, "malformed_rule");
    assert!(parsed.skipped[0].message.contains("BYDAY=1TU has an ordinal"), "{}", parsed.skipped[0].message);
    let exp = parsed.expand(&opts("1997-09-01T00:00:00Z", "1997-10-01T00:00:00Z"));
    assert_eq!(exp.occurrences.len(), 1, "{:?}", exp.occurrences);
}
