//! Property tests (proptest, modest case counts for 2-core CI): recurrence expansion against an
//! independent oracle of the window rule — half-open `[start, end)`, an event is in the window
//! when it overlaps it, a zero-length one when it lies inside — and bounded by `max_per_event`;
//! and generated inputs for every `kenny::edges::fuzzing` target (the fuzz targets' own bodies):
//! nothing panics, every invariant those functions check holds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use chrono::{DateTime, Duration, TimeZone, Utc};
use kenny::domain::time::Window;
use kenny::edges::fuzzing;
use proptest::prelude::*;
use proptest::sample::select;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn calendar(vevent: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny//prop//EN\r\n{vevent}END:VCALENDAR\r\n")
}

/// The window rule, written independently of `Window::overlaps`.
fn in_window(start: DateTime<Utc>, end: DateTime<Utc>, w: &Window) -> bool {
    if end == start { w.start <= start && start < w.end } else { start < w.end && w.start < end }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A single event is returned exactly when it overlaps the window.
    #[test]
    fn a_single_event_is_in_the_window_exactly_when_it_overlaps_it(
        start_min in 0i64..60 * 1440,
        len_min in prop_oneof![Just(0i64), 0i64..3 * 1440],
        window_start_min in 0i64..60 * 1440,
        window_len_min in 1i64..30 * 1440,
    ) {
        let start = base() + Duration::minutes(start_min);
        let end = start + Duration::minutes(len_min);
        let ws = base() + Duration::minutes(window_start_min);
        let window = Window::new(ws, ws + Duration::minutes(window_len_min)).unwrap();
        let text = calendar(&format!(
            "BEGIN:VEVENT\r\nUID:one\r\nDTSTART:{}\r\nDTEND:{}\r\nEND:VEVENT\r\n", stamp(start), stamp(end)
        ));
        let cal = kenny::domain::ical::parse(&text);
        let e = fuzzing::check_expansion(&cal, window, chrono_tz::UTC, 10);
        prop_assert_eq!(e.occurrences.len(), usize::from(in_window(start, end, &window)));
    }

    /// A fixed-period series (UTC, so no DST) returns exactly the instances that overlap the
    /// window, at most `max` of them, `truncated` exactly when more existed.
    #[test]
    fn a_series_returns_exactly_its_overlapping_instances_up_to_the_cap(
        freq in select(vec![("MINUTELY", 60i64), ("HOURLY", 3600), ("DAILY", 86_400), ("WEEKLY", 604_800)]),
        interval in 1i64..5,
        end_rule in prop_oneof![Just(None), (1u32..400).prop_map(|c| Some(("COUNT", c)))],
        start_min in 0i64..20 * 1440,
        len_min in prop_oneof![Just(0i64), 1i64..600],
        window_start_min in 0i64..40 * 1440,
        window_len_min in 1i64..20 * 1440,
        max in 1usize..60,
    ) {
        let (name, secs) = freq;
        let period = secs * interval;
        let start = base() + Duration::minutes(start_min);
        let len = Duration::minutes(len_min);
        let ws = base() + Duration::minutes(window_start_min);
        let window = Window::new(ws, ws + Duration::minutes(window_len_min)).unwrap();
        let count = end_rule.map(|(_, c)| i64::from(c));
        let rule = match end_rule {
            Some((part, c)) => format!("FREQ={name};INTERVAL={interval};{part}={c}"),
            None => format!("FREQ={name};INTERVAL={interval}"),
        };
        let text = calendar(&format!(
            "BEGIN:VEVENT\r\nUID:s\r\nDTSTART:{}\r\nDURATION:PT{}M\r\nRRULE:{rule}\r\nEND:VEVENT\r\n",
            stamp(start), len_min
        ));
        // The oracle: instances k = 0, 1, … (up to COUNT) that overlap the window.
        let mut expected = 0usize;
        let mut k = 0i64;
        loop {
            if count.is_some_and(|c| k >= c) {
                break;
            }
            let s = start + Duration::seconds(k * period);
            if s >= window.end {
                break;
            }
            if in_window(s, s + len, &window) {
                expected += 1;
            }
            k += 1;
        }
        let cal = kenny::domain::ical::parse(&text);
        prop_assert!(cal.skipped.is_empty(), "{:?}", cal.skipped);
        let e = fuzzing::check_expansion(&cal, window, chrono_tz::UTC, max);
        prop_assert_eq!(e.occurrences.len(), expected.min(max));
        prop_assert_eq!(e.truncated, expected > max);
    }
}

const ICAL_LINES: &[&str] = &[
    "BEGIN:VCALENDAR",
    "END:VCALENDAR",
    "BEGIN:VEVENT",
    "END:VEVENT",
    "UID:a",
    "UID:b",
    "DTSTART:20260301T100000Z",
    "DTSTART;TZID=Europe/Berlin:20260329T023000",
    "DTSTART;VALUE=DATE:20260301",
    "DTSTART:20260301T100000",
    "DTEND:20260301T090000Z",
    "DTEND;VALUE=DATE:20260305",
    "DURATION:PT1H",
    "DURATION:-P1D",
    "RRULE:FREQ=DAILY",
    "RRULE:FREQ=SECONDLY",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=31",
    "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "RRULE:FREQ=MINUTELY;COUNT=1000000000",
    "RRULE:FREQ=DAILY;UNTIL=99991231",
    "RRULE:FREQ=MONTHLY;BYDAY=-1FR;BYSETPOS=-1",
    "RRULE:FREQ=HOURLY;INTERVAL=0",
    "RRULE:FREQ=",
    "EXDATE:20260302T100000Z",
    "EXDATE;VALUE=DATE:20260303",
    "RDATE:20260310T100000Z",
    "RDATE;VALUE=PERIOD:20260311T100000Z/PT2H",
    "RECURRENCE-ID:20260302T100000Z",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20260304T100000Z",
    "SEQUENCE:2",
    "STATUS:CANCELLED",
    "SUMMARY:x",
    "X-WR-TIMEZONE:America/New_York",
    "BEGIN:VTIMEZONE",
    "TZID:Custom",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "DTSTART:19701025T030000",
    "END:STANDARD",
    "END:VTIMEZONE",
    " folded continuation",
    "garbage without colon",
];

const VCARD_LINES: &[&str] = &[
    "BEGIN:VCARD",
    "END:VCARD",
    "VERSION:4.0",
    "FN:Ann Lee",
    "N:Lee;Ann;;;",
    "NICKNAME:Annie,A",
    "EMAIL;PREF=1:ann@example.com",
    "EMAIL:mailto:ANN@work.example",
    "TEL:+1 555 0100",
    "ORG:Acme\\, Inc.;Sales",
    "UID:u1",
    "N;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;",
    " continued",
    "",
    "junk",
];

const QUESTION_WORDS: &[&str] = &[
    "what",
    "meetings",
    "do",
    "I",
    "have",
    "with",
    "Sarah",
    "Tom",
    "and",
    "me",
    "between",
    "next",
    "this",
    "last",
    "week",
    "month",
    "year",
    "tomorrow",
    "today",
    "yesterday",
    "Friday",
    "on",
    "the",
    "3rd",
    "December",
    "2026-12-03",
    "in",
    "3",
    "days",
    "hours",
    "ago",
    "from",
    "to",
    "until",
    "before",
    "after",
    "since",
    "about",
    "budget",
    "\"Q3\"",
    "morning",
    "tonight",
    ",",
    "?",
    "'s",
    "at",
    "3pm",
    "noon",
    "rest",
    "of",
    "end",
    "weekend",
    "Zoë",
    "jo@x.org",
    "30",
    "February",
    "10000",
    "fortnights",
    "a",
    "couple",
    "few",
    "now",
    "past",
    "coming",
    "–",
    // intents, clock times, content words, changes
    "when",
    "is",
    "my",
    "how",
    "many",
    "much",
    "free",
    "busy",
    "available",
    "first",
    "earliest",
    "did",
    "was",
    "works",
    "find",
    "time",
    "an",
    "hour",
    "for",
    "2",
    "4pm",
    "15:00",
    "cancel",
    "schedule",
    "book",
    "please",
    "yoga",
    "class",
    "qwerty",
    "standups",
    "design",
    "critique",
    "tmrw",
    "nxt",
    "wk",
    "w",
];

fn joined(words: Vec<&'static str>, sep: &str) -> Vec<u8> {
    words.join(sep).into_bytes()
}

/// A plan of `n` steps whose dependencies and `$ref`s point anywhere (cycles included).
fn plan_json(n: usize, links: Vec<(usize, usize, bool, bool)>) -> Vec<u8> {
    let mut steps: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"id": format!("s{i}"), "capability": "contacts.resolve", "params": {"query": "x"}}))
        .collect();
    for (from, to, as_ref, with_default) in links {
        let (from, to) = (from % n, to % n);
        let target = format!("s{to}");
        if as_ref {
            let mut r = serde_json::json!({"$ref": format!("{target}/query")});
            if with_default {
                r["default"] = serde_json::json!("d");
            }
            steps[from]["params"][format!("r{to}")] = r;
        } else {
            steps[from]["depends_on"] = serde_json::json!([target]);
        }
    }
    serde_json::to_vec(&serde_json::json!({"steps": steps})).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_calendars_keep_the_ical_invariants(lines in proptest::collection::vec(select(ICAL_LINES), 0..40)) {
        fuzzing::ical(&joined(lines, "\r\n"));
    }

    #[test]
    fn generated_cards_keep_the_vcard_invariants(lines in proptest::collection::vec(select(VCARD_LINES), 0..30)) {
        fuzzing::vcard(&joined(lines, "\n"));
    }

    #[test]
    fn generated_questions_keep_the_question_invariants(words in proptest::collection::vec(select(QUESTION_WORDS), 1..16)) {
        fuzzing::question(&joined(words, " "));
    }

    #[test]
    fn generated_plans_keep_the_plan_invariants(
        n in 1usize..12,
        links in proptest::collection::vec((0usize..12, 0usize..12, any::<bool>(), any::<bool>()), 0..16),
    ) {
        fuzzing::plan(&plan_json(n, links));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_keep_every_targets_invariants(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (_, run) in fuzzing::TARGETS {
            run(&data);
        }
    }
}
