//! A table of English questions, each with a fixed `now`, and exactly what `question::parse`
//! must make of them: people, window (phrase, start, end as RFC 3339) and topic.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use kenny::domain::error::{ApiError, ErrorCode};
use kenny::domain::question::{Intent, MAX_QUESTION_CHARS, QuestionError, Role, parse};

/// Friday 2026-11-27, 10:00 in Berlin: the default `now`.
const FRI: &str = "2026-11-27T10:00 Europe/Berlin";
/// Saturday before the spring-forward Sunday in Berlin (2026-03-29, 23 hours).
const BERLIN_SPRING: &str = "2026-03-28T10:00 Europe/Berlin";
/// Saturday before the fall-back Sunday in Berlin (2026-10-25, 25 hours).
const BERLIN_AUTUMN: &str = "2026-10-24T10:00 Europe/Berlin";
/// Saturday before the US spring-forward Sunday (2026-03-08).
const NY_SPRING: &str = "2026-03-07T09:00 America/New_York";
/// Friday before the US fall-back Sunday (2026-11-01).
const NY_AUTUMN: &str = "2026-10-30T17:00 America/New_York";
/// Late evening in New York: already the next day in UTC.
const NY_LATE: &str = "2026-11-27T23:30 America/New_York";

struct Case {
    q: &'static str,
    now: &'static str,
    people: &'static [&'static str],
    /// (phrase, start, end)
    window: Option<(&'static str, &'static str, &'static str)>,
    topic: Option<&'static str>,
}

const fn case(
    q: &'static str,
    now: &'static str,
    people: &'static [&'static str],
    window: Option<(&'static str, &'static str, &'static str)>,
    topic: Option<&'static str>,
) -> Case {
    Case { q, now, people, window, topic }
}

fn at(spec: &str) -> DateTime<Tz> {
    let (local, zone) = spec.split_once(' ').unwrap();
    let tz: Tz = zone.parse().unwrap();
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
    tz.from_local_datetime(&naive).single().unwrap()
}

const TOMORROW: Option<(&str, &str, &str)> =
    Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00"));
const NEXT_WEEK: Option<(&str, &str, &str)> =
    Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00"));

const CASES: &[Case] = &[
    // --- the examples from the brief ---------------------------------------------------------
    case("what meetings do I have with Sarah and Tom next week?", FRI, &["Sarah", "Tom"], NEXT_WEEK, None),
    case("what's on my calendar tomorrow about the budget?", FRI, &[], TOMORROW, Some("budget")),
    case("meetings with Bob Smith and Zoë next week", FRI, &["Bob Smith", "Zoë"], NEXT_WEEK, None),
    case("what meetings do I have with Bob Smith and Zoë next week?", FRI, &["Bob Smith", "Zoë"], NEXT_WEEK, None),
    case(
        "with Alice, Bob and Carol on Thursday",
        FRI,
        &["Alice", "Bob", "Carol"],
        Some(("on Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
    ),
    case(
        "anything with jgarcia@example.com in the next 3 days",
        FRI,
        &["jgarcia@example.com"],
        Some(("in the next 3 days", "2026-11-27T10:00:00+01:00", "2026-11-30T10:00:00+01:00")),
        None,
    ),
    // Today is Friday: "on Friday" is today.
    case(
        "with Sarah on Friday",
        FRI,
        &["Sarah"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case("meetings with sarah", FRI, &["sarah"], None, None),
    case("my meeting with Tom about the budget", FRI, &["Tom"], None, Some("budget")),
    case("when do I see Tom next week?", FRI, &["Tom"], NEXT_WEEK, None),
    case("Sarah and Tom's meetings tomorrow", FRI, &["Sarah", "Tom"], TOMORROW, None),
    case(
        "lunch with Mary Ann O'Neil and José García on Dec 3rd",
        FRI,
        &["Mary Ann O'Neil", "José García"],
        Some(("on Dec 3rd", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        // Content words without a cue are the topic.
        Some("lunch"),
    ),
    // --- people ----------------------------------------------------------------------------
    // Documented oddity: a weekday name is always a time word; the list stops there, and the
    // rest is searched for (a note says how it was read).
    case(
        "with Monday Smith",
        FRI,
        &[],
        Some(("Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some("Smith"),
    ),
    // Month names are not names either.
    case("is there anything with April Jones?", FRI, &[], None, None),
    case(
        "what's on Sarah's calendar next Monday?",
        FRI,
        &["Sarah"],
        Some(("next Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
    ),
    case(
        "meetings with Sarah on Fri",
        FRI,
        &["Sarah"],
        Some(("on Fri", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "between me and Tom next month",
        FRI,
        &["Tom"],
        Some(("next month", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")),
        None,
    ),
    case("Tom and I tomorrow", FRI, &["Tom"], TOMORROW, None),
    case("with sarah and tom or harry", FRI, &["sarah", "tom", "harry"], None, None),
    case("when do i see tom next week", FRI, &["tom"], NEXT_WEEK, None),
    case(
        "WITH SARAH TOMORROW",
        FRI,
        &["SARAH"],
        Some(("TOMORROW", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
    ),
    case("with Tom and Tom, and tom", FRI, &["Tom"], None, None),
    case("with Sarah, please", FRI, &["Sarah"], None, None),
    case("Any meetings w/ Tom tomorrow", FRI, &["Tom"], TOMORROW, None),
    case("meetings with Ludwig van Beethoven", FRI, &["Ludwig van Beethoven"], None, None),
    case("Do I have anything with Will Smith tomorrow?", FRI, &["Will Smith"], TOMORROW, None),
    case("Does Tom have anything tomorrow?", FRI, &["Tom"], TOMORROW, None),
    case("is Priya free tomorrow", FRI, &["Priya"], TOMORROW, None),
    case("meetings with Alice tomorrow and Bob on Friday", FRI, &["Alice", "Bob"], TOMORROW, None),
    case("When am I seeing Dr. Who?", FRI, &[], None, None),
    // A group is no person; its words are the topic.
    case("meetings with the design team", FRI, &[], None, Some("design team")),
    case("Anything with him tomorrow?", FRI, &[], TOMORROW, None),
    case("who am I meeting with tomorrow", FRI, &[], TOMORROW, None),
    // After a time phrase, a separator continues the list.
    case(
        "with Sarah on Friday and Tom",
        FRI,
        &["Sarah", "Tom"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "when am I meeting Sarah Connor on Friday afternoon",
        FRI,
        &["Sarah Connor"],
        Some(("on Friday afternoon", "2026-11-27T12:00:00+01:00", "2026-11-27T17:00:00+01:00")),
        None,
    ),
    case(
        "1:1 with Zoë Friday afternoon",
        FRI,
        &["Zoë"],
        Some(("Friday afternoon", "2026-11-27T12:00:00+01:00", "2026-11-27T17:00:00+01:00")),
        Some("1:1"),
    ),
    case(
        "Please list any meetings with Dr. Jane Doe, bob@example.org & Li on the topic of the merger in the coming 3 days",
        FRI,
        &["Dr. Jane Doe", "bob@example.org", "Li"],
        Some(("in the coming 3 days", "2026-11-27T10:00:00+01:00", "2026-11-30T10:00:00+01:00")),
        Some("merger"),
    ),
    case(
        "anything with Tom between Monday and Friday",
        FRI,
        &["Tom"],
        Some(("between Monday and Friday", "2026-11-30T00:00:00+01:00", "2026-12-05T00:00:00+01:00")),
        None,
    ),
    // --- time words ------------------------------------------------------------------------
    case(
        "what's on my calendar today?",
        FRI,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "anything tonight?",
        FRI,
        &[],
        Some(("tonight", "2026-11-27T18:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "show me yesterday's meetings",
        FRI,
        &[],
        Some(("yesterday's", "2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00")),
        None,
    ),
    case(
        "list meetings this week",
        FRI,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
    ),
    case(
        "any meetings last week with Tom",
        FRI,
        &["Tom"],
        Some(("last week", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00")),
        None,
    ),
    case(
        "what do I have this weekend",
        FRI,
        &[],
        Some(("this weekend", "2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
    ),
    case(
        "next weekend",
        FRI,
        &[],
        Some(("next weekend", "2026-12-05T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
    ),
    case(
        "meetings this month about hiring",
        FRI,
        &[],
        Some(("this month", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some("hiring"),
    ),
    case(
        "last month with Zoë",
        FRI,
        &["Zoë"],
        Some(("last month", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00")),
        None,
    ),
    // "next Tuesday" is the Tuesday of next week.
    case(
        "what do I have next Tuesday?",
        FRI,
        &[],
        Some(("next Tuesday", "2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00")),
        None,
    ),
    // "last Monday" is the most recent Monday before today.
    case(
        "what did I have last Monday",
        FRI,
        &[],
        Some(("last Monday", "2026-11-23T00:00:00+01:00", "2026-11-24T00:00:00+01:00")),
        None,
    ),
    case(
        "this morning",
        FRI,
        &[],
        Some(("this morning", "2026-11-27T09:00:00+01:00", "2026-11-27T12:00:00+01:00")),
        None,
    ),
    case(
        "this afternoon with Bob",
        FRI,
        &["Bob"],
        Some(("this afternoon", "2026-11-27T12:00:00+01:00", "2026-11-27T17:00:00+01:00")),
        None,
    ),
    case(
        "this evening",
        FRI,
        &[],
        Some(("this evening", "2026-11-27T17:00:00+01:00", "2026-11-27T21:00:00+01:00")),
        None,
    ),
    case(
        "tomorrow morning with Sarah regarding the offsite",
        FRI,
        &["Sarah"],
        Some(("tomorrow morning", "2026-11-28T09:00:00+01:00", "2026-11-28T12:00:00+01:00")),
        Some("offsite"),
    ),
    case(
        "the coming five days",
        FRI,
        &[],
        Some(("the coming five days", "2026-11-27T10:00:00+01:00", "2026-12-02T10:00:00+01:00")),
        None,
    ),
    case(
        "over the next two weeks",
        FRI,
        &[],
        Some(("over the next two weeks", "2026-11-27T10:00:00+01:00", "2026-12-11T10:00:00+01:00")),
        None,
    ),
    // "in N weeks": the whole ISO week that holds today + 7N days.
    case("in 2 weeks", FRI, &[], Some(("in 2 weeks", "2026-12-07T00:00:00+01:00", "2026-12-14T00:00:00+01:00")), None),
    case(
        "the past 2 weeks with Tom",
        FRI,
        &["Tom"],
        Some(("the past 2 weeks", "2026-11-13T10:00:00+01:00", "2026-11-27T10:00:00+01:00")),
        None,
    ),
    case(
        "what did I have 3 days ago",
        FRI,
        &[],
        Some(("3 days ago", "2026-11-24T00:00:00+01:00", "2026-11-25T00:00:00+01:00")),
        None,
    ),
    case(
        "the day after tomorrow",
        FRI,
        &[],
        Some(("the day after tomorrow", "2026-11-29T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
    ),
    // --- dates and ranges ------------------------------------------------------------------
    case(
        "meetings on 2026-12-03",
        FRI,
        &[],
        Some(("on 2026-12-03", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
    ),
    case("December 3", FRI, &[], Some(("December 3", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")), None),
    case(
        "anything on 3 December?",
        FRI,
        &[],
        Some(("on 3 December", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
    ),
    // Passed this year → next year.
    case(
        "what's happening on March 3?",
        FRI,
        &[],
        Some(("on March 3", "2027-03-03T00:00:00+01:00", "2027-03-04T00:00:00+01:00")),
        None,
    ),
    case(
        "Thursday, December 10 with Kim",
        FRI,
        &["Kim"],
        Some(("Thursday, December 10", "2026-12-10T00:00:00+01:00", "2026-12-11T00:00:00+01:00")),
        None,
    ),
    case(
        "what's on my calendar in December",
        FRI,
        &[],
        Some(("in December", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")),
        None,
    ),
    case(
        "between Dec 3 and Dec 5",
        FRI,
        &[],
        Some(("between Dec 3 and Dec 5", "2026-12-03T00:00:00+01:00", "2026-12-06T00:00:00+01:00")),
        None,
    ),
    case(
        "from Monday to Wednesday with Alice",
        FRI,
        &["Alice"],
        Some(("from Monday to Wednesday", "2026-11-30T00:00:00+01:00", "2026-12-03T00:00:00+01:00")),
        None,
    ),
    case(
        "until Friday",
        FRI,
        &[],
        Some(("until Friday", "2026-11-27T10:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "meetings until next Friday concerning the launch",
        FRI,
        &[],
        Some(("until next Friday", "2026-11-27T10:00:00+01:00", "2026-12-05T00:00:00+01:00")),
        Some("launch"),
    ),
    case(
        "what do I have until the end of the week",
        FRI,
        &[],
        Some(("until the end of the week", "2026-11-27T10:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
    ),
    case(
        "what is on my calendar between now and Friday with Ana",
        FRI,
        &["Ana"],
        Some(("between now and Friday", "2026-11-27T10:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
    ),
    case(
        "Schedule with Bob for the week of December 9",
        FRI,
        &["Bob"],
        Some(("for the week of December 9", "2026-12-07T00:00:00+01:00", "2026-12-14T00:00:00+01:00")),
        None,
    ),
    case(
        "what meetings did I have with Bob since Monday",
        FRI,
        &["Bob"],
        Some(("since Monday", "2026-11-23T00:00:00+01:00", "2026-11-27T10:00:00+01:00")),
        None,
    ),
    // A clock time is read (not a name, not topic) but does not narrow the day.
    case(
        "what's on my calendar on Monday at 3pm",
        FRI,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
    ),
    // --- topics ----------------------------------------------------------------------------
    case("meetings titled \"Q3 planning\" tomorrow", FRI, &[], TOMORROW, Some("Q3 planning")),
    case("anything called “Design review” with Bob Smith", FRI, &["Bob Smith"], None, Some("Design review")),
    case("re: quarterly numbers", FRI, &[], None, Some("quarterly numbers")),
    case("regarding Q4 budget with Zoë", FRI, &["Zoë"], None, Some("Q4 budget")),
    case("meetings about the budget with Tom and Sarah tomorrow", FRI, &["Tom", "Sarah"], TOMORROW, Some("budget")),
    // --- nothing to find -------------------------------------------------------------------
    case("show me my calendar", FRI, &[], None, None),
    case("hello?", FRI, &[], None, None),
    case("what meetings do I have?", FRI, &[], None, None),
    case("??? !!! ,,,", FRI, &[], None, None),
    // --- other zones and DST days ----------------------------------------------------------
    // The 23-hour day: still local midnight to local midnight.
    case(
        "tomorrow",
        BERLIN_SPRING,
        &[],
        Some(("tomorrow", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00")),
        None,
    ),
    // The 25-hour day.
    case(
        "what's on tomorrow with Sarah?",
        BERLIN_AUTUMN,
        &["Sarah"],
        Some(("on tomorrow", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00")),
        None,
    ),
    case(
        "this weekend",
        BERLIN_AUTUMN,
        &[],
        Some(("this weekend", "2026-10-24T00:00:00+02:00", "2026-10-26T00:00:00+01:00")),
        None,
    ),
    // "N days from now" keeps the wall-clock time across the switch.
    case(
        "in the next 3 days",
        BERLIN_AUTUMN,
        &[],
        Some(("in the next 3 days", "2026-10-24T10:00:00+02:00", "2026-10-27T10:00:00+01:00")),
        None,
    ),
    case(
        "what's on tomorrow with Bob",
        NY_SPRING,
        &["Bob"],
        Some(("on tomorrow", "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00")),
        None,
    ),
    case(
        "this week",
        NY_AUTUMN,
        &[],
        Some(("this week", "2026-10-26T00:00:00-04:00", "2026-11-02T00:00:00-05:00")),
        None,
    ),
    case(
        "next week with Ana",
        NY_AUTUMN,
        &["Ana"],
        Some(("next week", "2026-11-02T00:00:00-05:00", "2026-11-09T00:00:00-05:00")),
        None,
    ),
    // "today" is the local date of `now`, not the UTC date.
    case("today", NY_LATE, &[], Some(("today", "2026-11-27T00:00:00-05:00", "2026-11-28T00:00:00-05:00")), None),
    case("tonight", NY_LATE, &[], Some(("tonight", "2026-11-27T18:00:00-05:00", "2026-11-28T00:00:00-05:00")), None),
];

#[test]
fn the_table() {
    assert!(CASES.len() >= 50, "the table must hold at least 50 questions");
    let mut failures = Vec::new();
    for c in CASES {
        let got = match parse(c.q, at(c.now)) {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!("{:?}: error {e}", c.q));
                continue;
            }
        };
        let people: Vec<&str> = got.people.iter().map(String::as_str).collect();
        let window = got.window.as_ref().map(|w| (w.phrase.clone(), w.start.to_rfc3339(), w.end.to_rfc3339()));
        let want_window = c.window.map(|(p, s, e)| (p.to_string(), s.to_string(), e.to_string()));
        if people != c.people || window != want_window || got.topic.as_deref() != c.topic {
            failures.push(format!(
                "{:?} (now {}):\n   got  people {:?} window {:?} topic {:?}\n   want people {:?} window {:?} topic {:?}",
                c.q, c.now, people, window, got.topic, c.people, want_window, c.topic
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} questions differ:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn windows_are_in_the_zone_of_now() {
    let q = parse("tomorrow", at(NY_SPRING)).unwrap();
    let w = q.window.unwrap();
    assert_eq!(w.start.timezone(), chrono_tz::America::New_York);
    assert_eq!((w.end - w.start).num_hours(), 23);
    let q = parse("tomorrow", at(BERLIN_AUTUMN)).unwrap();
    let w = q.window.unwrap();
    assert_eq!((w.end - w.start).num_hours(), 25);
}

#[test]
fn errors() {
    let now = at(FRI);
    for empty in ["", "   ", "\n\t "] {
        let e = parse(empty, now).unwrap_err();
        assert!(matches!(e, QuestionError::Empty), "{empty:?} gave {e:?}");
    }
    let long = "with Tom ".repeat(MAX_QUESTION_CHARS / 9 + 1);
    let e = parse(&long, now).unwrap_err();
    assert!(matches!(e, QuestionError::TooLong { chars } if chars == long.chars().count()), "{e:?}");
    let e = parse("meetings with Tom\u{1b}[31m tomorrow", now).unwrap_err();
    assert!(matches!(e, QuestionError::ControlCharacter { position: 17, code: 0x1b }), "{e:?}");
    let e = parse("tomorrow\u{85}", now).unwrap_err();
    assert!(matches!(e, QuestionError::ControlCharacter { position: 8, code: 0x85 }), "{e:?}");

    let api = ApiError::from_error(&e);
    assert_eq!(api.code, "invalid_request");
    assert_eq!(api.field.as_deref(), Some("question"));
    assert_eq!(api.status, 400);
    let e = parse("", now).unwrap_err();
    assert_eq!((e.code(), e.field()), ("invalid_request", Some("question")));
    assert_eq!(e.to_string(), "the question is empty");

    // Exactly the limit is accepted (speed is cargo bench's business, not a test's).
    let base = "with Bob Smith and Zoë next week about the budget. ".repeat(39);
    let max = format!("{base:<width$}", width = MAX_QUESTION_CHARS);
    assert_eq!(max.chars().count(), MAX_QUESTION_CHARS);
    let q = parse(&max, now).unwrap();
    assert_eq!(q.people, vec!["Bob Smith", "Zoë"]);
    assert_eq!(q.topic.as_deref(), Some("budget"));
}

#[test]
fn adversarial_inputs_parse_without_panicking() {
    let now = at(FRI);
    let inputs = [
        "with ".repeat(400),
        "and ".repeat(500),
        "the ".repeat(500),
        "'".repeat(2000),
        "\"".repeat(1999),
        "next ".repeat(400),
        "between ".repeat(250),
        "Tom's ".repeat(300),
        "with A. B. C. D. E. ".repeat(90),
        "in the next 4294967295 days".to_string(),
        "December 31, 9999 until 31 December 99999".to_string(),
        "@@@ a@b a@b.c .@.. ".repeat(90),
        "the week of ".repeat(150),
        "Dr. ".repeat(500),
        "van de la ".repeat(200),
    ];
    for q in &inputs {
        assert!(parse(q, now).is_ok(), "{q:.40}");
    }
    assert_eq!(parse(&"Tom's ".repeat(300), now).unwrap().people, vec!["Tom"]);
}

#[test]
fn random_questions_never_panic_and_windows_are_never_empty() {
    const VOCAB: &[&str] = &[
        "with",
        "and",
        "or",
        ",",
        "&",
        "Tom",
        "sarah",
        "Bob Smith",
        "Zoë",
        "me",
        "I",
        "between",
        "from",
        "to",
        "until",
        "since",
        "before",
        "after",
        "next",
        "last",
        "this",
        "the",
        "a",
        "few",
        "3",
        "21",
        "99999",
        "days",
        "weeks",
        "months",
        "hours",
        "week",
        "weekend",
        "month",
        "year",
        "Monday",
        "fri",
        "on",
        "in",
        "over",
        "tomorrow",
        "today",
        "tonight",
        "yesterday",
        "morning",
        "night",
        "December",
        "Dec",
        ".",
        "3rd",
        "the 31st",
        "of",
        "2026-02-28",
        "2024-02-29",
        "Feb 29",
        "about",
        "re:",
        "\"Q3",
        "plan\"",
        "'x'",
        "Tom's",
        "jgarcia@example.com",
        "at",
        "3pm",
        "15:00",
        "noon",
        "?",
        "please",
        "end",
        "rest",
        "now",
        "ago",
        "Dr.",
        "van",
        "Will",
        "does",
        "have",
        "free",
        "–",
        "coming",
        "past",
        "day",
        "after",
        "O'Neil",
    ];
    let nows = [FRI, BERLIN_SPRING, BERLIN_AUTUMN, NY_SPRING, NY_AUTUMN, NY_LATE];
    // A fixed linear congruential generator: the same 3000 questions every run.
    let mut state: u64 = 0x5eed;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        usize::try_from(state >> 33).unwrap() % n
    };
    let (mut windows, mut with_people) = (0, 0);
    for _ in 0..3000 {
        let len = 1 + next(14);
        let words: Vec<&str> = (0..len).map(|_| VOCAB[next(VOCAB.len())]).collect();
        let q = words.join(" ");
        let now = at(nows[next(nows.len())]);
        let parsed = parse(&q, now).unwrap();
        windows += usize::from(parsed.window.is_some());
        with_people += usize::from(!parsed.people.is_empty());
        if let Some(w) = &parsed.window {
            assert!(w.start < w.end, "{q:?} gave an empty window {w:?}");
            assert_eq!(w.start.timezone(), now.timezone());
            assert!(q.contains(&w.phrase), "{q:?}: phrase {:?}", w.phrase);
        }
        assert!(parsed.people.iter().all(|p| !p.is_empty() && p.trim() == p), "{q:?}");
        assert!(parsed.topic.iter().all(|t| !t.is_empty()), "{q:?}");
    }
    // The generator really exercises the grammar.
    assert!(windows > 1000 && with_people > 300, "windows {windows}, people {with_people}");
}

/// Free-time questions: people, window, meeting length and "first only" (none of them has a
/// topic, and none of the event questions above asks for free time).
#[test]
fn free_time_questions() {
    // (question, people, window phrase and span, minutes, first)
    let thu_pm = ("on Thursday afternoon", "2026-12-03T12:00:00+01:00", "2026-12-03T17:00:00+01:00");
    let next_week = ("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00");
    let tomorrow = ("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00");
    type Case =
        (&'static str, &'static [&'static str], Option<(&'static str, &'static str, &'static str)>, Option<u32>, bool);
    let cases: &[Case] = &[
        ("when are Alice and Bob free next week for 30 minutes?", &["Alice", "Bob"], Some(next_week), Some(30), false),
        ("find an hour with Zoë on Thursday afternoon", &["Zoë"], Some(thu_pm), Some(60), false),
        ("first free slot tomorrow", &[], Some(tomorrow), None, true),
        ("can I meet Sarah Chen next week for half an hour?", &["Sarah Chen"], Some(next_week), Some(30), false),
        ("free time with Tom and Priya next week", &["Tom", "Priya"], Some(next_week), None, false),
        ("when can Alice, Bob and I meet next week for 90 min?", &["Alice", "Bob"], Some(next_week), Some(90), false),
        ("when is Tom free for 2 hours next week", &["Tom"], Some(next_week), Some(120), false),
        ("earliest slot with Sarah tomorrow for an hour", &["Sarah"], Some(tomorrow), Some(60), true),
        (
            "find 45 minutes with sarah.chen@northwind.example next week",
            &["sarah.chen@northwind.example"],
            Some(next_week),
            Some(45),
            false,
        ),
        ("when am I free tomorrow?", &[], Some(tomorrow), None, false),
    ];
    let mut failures = Vec::new();
    for (q, people, window, minutes, first) in cases {
        let got = parse(q, at(FRI)).unwrap();
        let w = got.window.as_ref().map(|w| (w.phrase.clone(), w.start.to_rfc3339(), w.end.to_rfc3339()));
        let want_w = window.map(|(p, s, e)| (p.to_string(), s.to_string(), e.to_string()));
        let a = got.availability;
        let ok = got.people.iter().map(String::as_str).collect::<Vec<_>>() == *people
            && w == want_w
            && got.topic.is_none()
            && a.map(|a| (a.duration_minutes, a.first)) == Some((*minutes, *first));
        if !ok {
            failures.push(format!(
                "{q:?}: got people {:?} window {w:?} topic {:?} availability {a:?}",
                got.people, got.topic
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Of the event table, only "is Priya free tomorrow" asks for free time.
    for c in CASES {
        let free = parse(c.q, at(c.now)).unwrap().availability.is_some();
        assert_eq!(free, c.q.contains(" free "), "{:?}", c.q);
    }
}

/// One question as people type it, and what Kenny must read from it (now: [`FRI`], Berlin).
struct Asked {
    q: &'static str,
    intent: Intent,
    people: &'static [&'static str],
    /// (phrase, start, end)
    window: Option<(&'static str, &'static str, &'static str)>,
    /// (start, end of a range)
    clock: Option<(&'static str, Option<&'static str>)>,
    topic: Option<&'static str>,
}

const fn ask(
    q: &'static str,
    intent: Intent,
    people: &'static [&'static str],
    window: Option<(&'static str, &'static str, &'static str)>,
    clock: Option<(&'static str, Option<&'static str>)>,
    topic: Option<&'static str>,
) -> Asked {
    Asked { q, intent, people, window, clock, topic }
}

use Intent::{Count, First, Free, FreeAt, Last, LastInWindow, List, Next, NotUnderstood, Unsupported};

/// Questions the way people ask them: word order, case, punctuation, contractions, typos,
/// "me"/"I", Oxford commas, no cue words; each with its intent, people, window, clock and topic.
const ASKED: &[Asked] = &[
    // --- lists: windows and people, in every order and case ------------------------------------------
    ask(
        "what meetings do I have with Sarah and Tom next week?",
        List,
        &["Sarah", "Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What meetings do I have next week with Sarah and Tom",
        List,
        &["Sarah", "Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "next week, any meetings with sarah & tom?",
        List,
        &["sarah", "tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings w/ Sarah, Tom, and Bob tomorrow",
        List,
        &["Sarah", "Tom", "Bob"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Do I have anything with Priya on Monday?",
        List,
        &["Priya"],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's on my calendar today",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "whats on my calendar today?",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What's on for tomorrow?",
        List,
        &[],
        Some(("for tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "show me tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "anything on friday afternoon",
        List,
        &[],
        Some(("on friday afternoon", "2026-11-27T12:00:00+01:00", "2026-11-27T17:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "any meetings this afternoon?",
        List,
        &[],
        Some(("this afternoon", "2026-11-27T12:00:00+01:00", "2026-11-27T17:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "my schedule for next week",
        List,
        &[],
        Some(("for next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what does my week look like",
        List,
        &[],
        Some(("my week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what does next week look like?",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "calendar for the weekend",
        List,
        &[],
        Some(("for the weekend", "2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "am I doing anything this weekend?",
        List,
        &[],
        Some(("this weekend", "2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what do I have on Dec 3rd",
        List,
        &[],
        Some(("on Dec 3rd", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What do I have on December 3?",
        List,
        &[],
        Some(("on December 3", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings between Monday and Wednesday",
        List,
        &[],
        Some(("between Monday and Wednesday", "2026-11-30T00:00:00+01:00", "2026-12-03T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's happening in the next 3 days",
        List,
        &[],
        Some(("in the next 3 days", "2026-11-27T10:00:00+01:00", "2026-11-30T10:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What's going on tonight",
        List,
        &[],
        Some(("on tonight", "2026-11-27T18:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "events this month",
        List,
        &[],
        Some(("this month", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "anything next month with Zoë?",
        List,
        &["Zoë"],
        Some(("next month", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Do I have any meetings with Alice, Bob, and Carol this week?",
        List,
        &["Alice", "Bob", "Carol"],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings with Tom and me tomorrow",
        List,
        &["Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Tom and I tomorrow — anything?",
        List,
        &["Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what have I got with José García on Thursday",
        List,
        &["José García"],
        Some(("on Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "is there anything with bob.smith@northwind.example next week",
        List,
        &["bob.smith@northwind.example"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what meetings does Sarah have tomorrow?",
        List,
        &["Sarah"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Sarah's meetings on Friday",
        List,
        &["Sarah"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "tmrw meetings",
        List,
        &[],
        Some(("tmrw", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetigns tomorow",
        List,
        &[],
        Some(("tomorow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "wat do i have nxt wk",
        List,
        &[],
        Some(("nxt wk", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's on wensday",
        List,
        &[],
        Some(("on wensday", "2026-12-02T00:00:00+01:00", "2026-12-03T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "anything on thursday w/ sarah",
        List,
        &["sarah"],
        Some(("on thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "WHAT MEETINGS DO I HAVE TOMORROW",
        List,
        &[],
        Some(("TOMORROW", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    // --- topics without a cue word, and with one -----------------------------------------------------
    ask(
        "standup meetings next week",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("standup"),
    ),
    ask(
        "any standups tomorrow?",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("standup"),
    ),
    ask(
        "any design critique on Monday?",
        List,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        Some("design critique"),
    ),
    ask(
        "design critique next week",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("design critique"),
    ),
    ask("yoga class", List, &[], None, None, Some("yoga class")),
    ask(
        "yoga class on Saturday",
        List,
        &[],
        Some(("on Saturday", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("yoga class"),
    ),
    ask("coffee with Priya", List, &["Priya"], None, None, Some("coffee")),
    ask(
        "coffee with Priya next week",
        List,
        &["Priya"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("coffee"),
    ),
    ask("design critique meetings", List, &[], None, None, Some("design critique")),
    ask(
        "the board meeting next week",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("board"),
    ),
    ask(
        "is there a retro this week?",
        List,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        Some("retro"),
    ),
    ask(
        "Budget review next week?",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("Budget review"),
    ),
    ask(
        "lunch with Zoë on Thursday",
        List,
        &["Zoë"],
        Some(("on Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        Some("lunch"),
    ),
    ask(
        "any 1:1s with Sarah next week",
        List,
        &["Sarah"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("1:1"),
    ),
    ask(
        "1:1 with Tom tomorrow",
        List,
        &["Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("1:1"),
    ),
    ask("dentist appointment", List, &[], None, None, Some("dentist")),
    ask(
        "my dentist appointment next month",
        List,
        &[],
        Some(("next month", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")),
        None,
        Some("dentist"),
    ),
    ask(
        "hiring sync this week",
        List,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        Some("hiring sync"),
    ),
    ask(
        "customer calls on Tuesday",
        List,
        &[],
        Some(("on Tuesday", "2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00")),
        None,
        Some("customer"),
    ),
    ask(
        "meetings about the budget tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("budget"),
    ),
    ask(
        "anything regarding hiring next week",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        Some("hiring"),
    ),
    ask("meetings titled \"Q3 planning\"", List, &[], None, None, Some("Q3 planning")),
    ask(
        "what's on tomorrow about the budget",
        List,
        &[],
        Some(("on tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("budget"),
    ),
    // --- next: the first upcoming match, searched from now -------------------------------------------
    ask("when is my next budget review?", Next, &[], None, None, Some("budget review")),
    ask("When's my next budget review", Next, &[], None, None, Some("budget review")),
    ask("when is the next budget review", Next, &[], None, None, Some("budget review")),
    ask("next budget review", Next, &[], None, None, Some("budget review")),
    ask("when's the board meeting?", Next, &[], None, None, Some("board")),
    ask("When is the board meeting?", Next, &[], None, None, Some("board")),
    ask("my next meeting with Tom", Next, &["Tom"], None, None, None),
    ask("what's my next meeting?", Next, &[], None, None, None),
    ask("next 1:1 with sarah", Next, &["sarah"], None, None, Some("1:1")),
    ask("when do I next see Priya?", Next, &["Priya"], None, None, None),
    ask("When do I see Tom?", Next, &["Tom"], None, None, None),
    ask("when's my next haircut", Next, &[], None, None, Some("haircut")),
    ask("when is my next dentist appointment?", Next, &[], None, None, Some("dentist")),
    ask("when is the next all hands", Next, &[], None, None, Some("hand")),
    ask("what time is my flight?", Next, &[], None, None, Some("flight")),
    ask("when am I meeting Sarah next", Next, &["Sarah"], None, None, None),
    ask("upcoming meeting with Bob?", Next, &["Bob"], None, None, None),
    ask("when is my next meeting with Sarah and Tom", Next, &["Sarah", "Tom"], None, None, None),
    ask("next standup", Next, &[], None, None, Some("standup")),
    ask("whens the next standup", Next, &[], None, None, Some("standup")),
    ask("when did I last meet Sarah?", Last, &["Sarah"], None, None, None),
    ask("when did i last see bob", Last, &["bob"], None, None, None),
    ask("When was my last 1:1 with Sarah?", Last, &["Sarah"], None, None, Some("1:1")),
    ask("last time I met with Alice", Last, &["Alice"], None, None, None),
    ask("my last meeting with Tom", Last, &["Tom"], None, None, None),
    // --- last: the most recent match before now ------------------------------------------------------
    ask("when was the last budget review?", Last, &[], None, None, Some("budget review")),
    ask("most recent meeting with Priya", Last, &["Priya"], None, None, None),
    ask("previous design critique", Last, &[], None, None, Some("design critique")),
    ask("When did I last have lunch with Zoë?", Last, &["Zoë"], None, None, Some("lunch")),
    ask("when was my last haircut", Last, &[], None, None, Some("haircut")),
    ask(
        "what was my last meeting yesterday?",
        Last,
        &[],
        Some(("yesterday", "2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "when did I last see Tom this month",
        Last,
        &["Tom"],
        Some(("this month", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's my first meeting tomorrow?",
        First,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "first meeting on Monday",
        First,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "first thing on monday",
        First,
        &[],
        Some(("on monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's the first meeting next week?",
        First,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "earliest meeting tomorrow",
        First,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What's my last meeting on Friday?",
        LastInWindow,
        &[],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    // --- first and last in a window ------------------------------------------------------------------
    ask(
        "last meeting on friday",
        LastInWindow,
        &[],
        Some(("on friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's my last meeting today",
        LastInWindow,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "last one on Thursday",
        LastInWindow,
        &[],
        Some(("on Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "What time does my last meeting end tomorrow?",
        LastInWindow,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "How many meetings do I have next week?",
        Count,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how many meetings this week",
        Count,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how much time do I spend in meetings this week?",
        Count,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "How many 1:1s with Sarah next month?",
        Count,
        &["Sarah"],
        Some(("next month", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")),
        None,
        Some("1:1"),
    ),
    ask(
        "number of meetings tomorrow",
        Count,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    // --- count: how many, how much time --------------------------------------------------------------
    ask(
        "how many times do I meet Tom next week?",
        Count,
        &["Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how many standups this week",
        Count,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        Some("standup"),
    ),
    ask(
        "how often do I meet Sarah this month",
        Count,
        &["Sarah"],
        Some(("this month", "2026-11-01T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how much of my week is in meetings",
        Count,
        &[],
        Some(("of my week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "count my meetings on Monday",
        Count,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "total time in meetings next week",
        Count,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how many hours of meetings do I have tomorrow",
        Count,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "am I free at 3pm tomorrow?",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "Am I free tomorrow at 3pm?",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "am i free at 3 tomorrow",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "am I free tomorrow at 15:00",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask("Am I busy at 2?", FreeAt, &[], None, Some(("2026-11-27T14:00:00+01:00", None)), None),
    // --- free_at: a yes/no at a clock time -----------------------------------------------------------
    ask(
        "am I free at noon on Friday?",
        FreeAt,
        &[],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        Some(("2026-11-27T12:00:00+01:00", None)),
        None,
    ),
    ask(
        "is Tom free on Friday at 10 for an hour?",
        FreeAt,
        &["Tom"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        Some(("2026-11-27T10:00:00+01:00", None)),
        None,
    ),
    ask(
        "is Sarah free tomorrow at 2pm",
        FreeAt,
        &["Sarah"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T14:00:00+01:00", None)),
        None,
    ),
    ask(
        "are Alice and Bob free thursday at 11am?",
        FreeAt,
        &["Alice", "Bob"],
        Some(("thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        Some(("2026-12-03T11:00:00+01:00", None)),
        None,
    ),
    ask(
        "Are Tom and Sarah available Monday at 9:30am?",
        FreeAt,
        &["Tom", "Sarah"],
        Some(("Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some(("2026-11-30T09:30:00+01:00", None)),
        None,
    ),
    ask("is Priya available at 4pm?", FreeAt, &["Priya"], None, Some(("2026-11-27T16:00:00+01:00", None)), None),
    ask(
        "am I free from 2 to 4pm tomorrow?",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T14:00:00+01:00", Some("2026-11-28T16:00:00+01:00"))),
        None,
    ),
    ask(
        "is Bob busy at 3pm on Monday",
        FreeAt,
        &["Bob"],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some(("2026-11-30T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "am I free on Monday between 1 and 3?",
        FreeAt,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some(("2026-11-30T13:00:00+01:00", Some("2026-11-30T15:00:00+01:00"))),
        None,
    ),
    ask(
        "can I meet Tom tomorrow at 11?",
        FreeAt,
        &["Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T11:00:00+01:00", None)),
        None,
    ),
    ask(
        "am I free at 3pm for 45 minutes tomorrow",
        FreeAt,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "when are Alice and Bob free next week for 30 minutes?",
        Free,
        &["Alice", "Bob"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "when are Alice and Bob free for an hour on Thursday?",
        Free,
        &["Alice", "Bob"],
        Some(("on Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "When is Sarah free next week?",
        Free,
        &["Sarah"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask("find time with Priya", Free, &["Priya"], None, None, None),
    ask(
        "find an hour with Zoë on Thursday afternoon",
        Free,
        &["Zoë"],
        Some(("on Thursday afternoon", "2026-12-03T12:00:00+01:00", "2026-12-03T17:00:00+01:00")),
        None,
        None,
    ),
    ask("I need two hours with Sarah and Tom — what works?", Free, &["Sarah", "Tom"], None, None, None),
    // --- free: slots for everyone asked about --------------------------------------------------------
    ask(
        "what works for Sarah and Bob next week",
        Free,
        &["Sarah", "Bob"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask("when works for Tom?", Free, &["Tom"], None, None, None),
    ask(
        "does Sarah have time on Friday?",
        Free,
        &["Sarah"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask("when can we meet, Tom and I?", Free, &["Tom"], None, None, None),
    ask(
        "when can Tom and I meet next week?",
        Free,
        &["Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "first free slot tomorrow",
        Free,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask("next available slot with Tom", Free, &["Tom"], None, None, None),
    ask(
        "free slots next week",
        Free,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's my availability tomorrow",
        Free,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "when am I free this week?",
        Free,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Am I free tomorrow?",
        Free,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "find 30 minutes with Alice and Bob this week",
        Free,
        &["Alice", "Bob"],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "do Sarah and Tom have any time together next week?",
        Free,
        &["Sarah", "Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "any gaps on Friday?",
        Free,
        &[],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "when could I meet Priya for coffee next week",
        Free,
        &["Priya"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "is there a free hour tomorrow",
        Free,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "find a slot for Tom, Sarah and me on Monday",
        Free,
        &["Tom", "Sarah"],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what time works best for Zoë next week",
        Free,
        &["Zoë"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask("cancel my 3pm", Unsupported, &[], None, Some(("2026-11-27T15:00:00+01:00", None)), None),
    ask(
        "cancel my 3pm tomorrow",
        Unsupported,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T15:00:00+01:00", None)),
        None,
    ),
    ask(
        "delete my meetings tomorrow",
        Unsupported,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "move my 2pm to 4pm",
        Unsupported,
        &[],
        None,
        Some(("2026-11-27T14:00:00+01:00", Some("2026-11-27T16:00:00+01:00"))),
        None,
    ),
    ask("reschedule the budget review", Unsupported, &[], None, None, Some("budget review")),
    // --- unsupported: changes Kenny does not make ----------------------------------------------------
    ask(
        "schedule a meeting with Tom next week",
        Unsupported,
        &["Tom"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "book a room for tomorrow",
        Unsupported,
        &[],
        Some(("for tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("room"),
    ),
    ask(
        "Can you book lunch with Sarah on Friday?",
        Unsupported,
        &["Sarah"],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        Some("lunch"),
    ),
    ask("accept the invite from Sarah", Unsupported, &["Sarah"], None, None, None),
    ask("please decline the board meeting", Unsupported, &[], None, None, Some("board")),
    ask("invite Bob to the design critique", Unsupported, &["Bob"], None, None, Some("design critique")),
    ask(
        "set up a call with Priya next week",
        Unsupported,
        &["Priya"],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "add dentist appointment on Monday at 9am",
        Unsupported,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some(("2026-11-30T09:00:00+01:00", None)),
        Some("dentist"),
    ),
    ask("postpone my meeting with Tom", Unsupported, &["Tom"], None, None, None),
    ask("remind me about the standup", Unsupported, &[], None, None, Some("standup")),
    ask(
        "Kenny, cancel everything tomorrow",
        Unsupported,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask("qwerty", NotUnderstood, &[], None, None, None),
    ask("hmm", NotUnderstood, &[], None, None, None),
    ask("hello", NotUnderstood, &[], None, None, None),
    ask("thanks!", NotUnderstood, &[], None, None, None),
    ask("what's the capital of France", NotUnderstood, &[], None, None, None),
    // --- not understood: no calendar reading at all --------------------------------------------------
    ask("tell me a joke", NotUnderstood, &[], None, None, None),
    ask("what's the weather like", NotUnderstood, &[], None, None, None),
    ask("asdf jkl", NotUnderstood, &[], None, None, None),
    ask("how are you?", NotUnderstood, &[], None, None, None),
    ask("?", NotUnderstood, &[], None, None, None),
    ask("lol", NotUnderstood, &[], None, None, None),
    ask("ok", NotUnderstood, &[], None, None, None),
    ask(
        "book club tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("book club"),
    ),
    ask(
        "what's my schedule like next week",
        List,
        &[],
        Some(("next week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Whats on my plate this week",
        List,
        &[],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask("do I have anything at 3pm?", List, &[], None, Some(("2026-11-27T15:00:00+01:00", None)), None),
    ask(
        "what's happening from 2 to 4pm tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T14:00:00+01:00", Some("2026-11-28T16:00:00+01:00"))),
        None,
    ),
    // --- clock times, the past, dates, short forms and typos -----------------------------------------
    ask(
        "anything at noon tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T12:00:00+01:00", None)),
        None,
    ),
    ask(
        "What do I have at 9:30 on Monday?",
        List,
        &[],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        Some(("2026-11-30T09:30:00+01:00", None)),
        None,
    ),
    ask(
        "what's on at 10 tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T10:00:00+01:00", None)),
        None,
    ),
    ask(
        "meetings tomorrow between 1 and 3pm",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        Some(("2026-11-28T13:00:00+01:00", Some("2026-11-28T15:00:00+01:00"))),
        None,
    ),
    ask(
        "what's at 4pm on Friday",
        List,
        &[],
        Some(("on Friday", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        Some(("2026-11-27T16:00:00+01:00", None)),
        None,
    ),
    ask(
        "who am I meeting at 2pm today?",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        Some(("2026-11-27T14:00:00+01:00", None)),
        None,
    ),
    ask(
        "what do I have today",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Do I have meetings today?",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Any meetings today??",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's left today",
        List,
        &[],
        Some(("today", "2026-11-27T00:00:00+01:00", "2026-11-28T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "rest of the week",
        List,
        &[],
        Some(("rest of the week", "2026-11-27T10:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's on the rest of this week",
        List,
        &[],
        Some(("on the rest of this week", "2026-11-27T10:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask("meetings with Sarah", List, &["Sarah"], None, None, None),
    ask("anything with Tom", List, &["Tom"], None, None, None),
    ask("When am I seeing Dr. Smith?", Next, &["Dr. Smith"], None, None, None),
    ask(
        "what's up with Bob this week",
        List,
        &["Bob"],
        Some(("this week", "2026-11-23T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Is Tom in the office tomorrow?",
        List,
        &["Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        Some("office"),
    ),
    ask(
        "plans for the weekend?",
        List,
        &[],
        Some(("for the weekend", "2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Whats happening this weekend with Zoë",
        List,
        &["Zoë"],
        Some(("this weekend", "2026-11-28T00:00:00+01:00", "2026-11-30T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what meetings did I have last week",
        List,
        &[],
        Some(("last week", "2026-11-16T00:00:00+01:00", "2026-11-23T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what did I have yesterday",
        List,
        &[],
        Some(("yesterday", "2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Meetings last Monday",
        List,
        &[],
        Some(("last Monday", "2026-11-23T00:00:00+01:00", "2026-11-24T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what did I do this morning",
        List,
        &[],
        Some(("this morning", "2026-11-27T09:00:00+01:00", "2026-11-27T12:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Did I meet Sarah yesterday?",
        List,
        &["Sarah"],
        Some(("yesterday", "2026-11-26T00:00:00+01:00", "2026-11-27T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "schedule for Dec 7",
        List,
        &[],
        Some(("for Dec 7", "2026-12-07T00:00:00+01:00", "2026-12-08T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "the week of December 7",
        List,
        &[],
        Some(("the week of December 7", "2026-12-07T00:00:00+01:00", "2026-12-14T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings on 2026-12-03",
        List,
        &[],
        Some(("on 2026-12-03", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's on Friday next week",
        List,
        &[],
        Some(("on Friday next week", "2026-12-04T00:00:00+01:00", "2026-12-05T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "next Tuesday's meetings",
        List,
        &[],
        Some(("next Tuesday's", "2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "how's my Thursday looking",
        List,
        &[],
        Some(("Thursday", "2026-12-03T00:00:00+01:00", "2026-12-04T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "what's my day like tomorrow",
        List,
        &[],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "my calendar in 2 weeks",
        List,
        &[],
        Some(("in 2 weeks", "2026-12-07T00:00:00+01:00", "2026-12-14T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "any meetings in the next two weeks with Tom?",
        List,
        &["Tom"],
        Some(("in the next two weeks", "2026-11-27T10:00:00+01:00", "2026-12-11T10:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "over the next 5 days, anything with Sarah?",
        List,
        &["Sarah"],
        Some(("over the next 5 days", "2026-11-27T10:00:00+01:00", "2026-12-02T10:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings with Sarah or Tom tomorrow",
        List,
        &["Sarah", "Tom"],
        Some(("tomorrow", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "meetings with Sarah, Tom & Bob on Monday",
        List,
        &["Sarah", "Tom", "Bob"],
        Some(("on Monday", "2026-11-30T00:00:00+01:00", "2026-12-01T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "do i have meetings w/ sarah tmrw",
        List,
        &["sarah"],
        Some(("tmrw", "2026-11-28T00:00:00+01:00", "2026-11-29T00:00:00+01:00")),
        None,
        None,
    ),
    ask(
        "Mtgs w Tom nxt week",
        List,
        &["Tom"],
        Some(("nxt week", "2026-11-30T00:00:00+01:00", "2026-12-07T00:00:00+01:00")),
        None,
        None,
    ),
];

#[test]
fn every_question_has_its_intent_people_window_and_topic() {
    assert!(ASKED.len() >= 200, "the intent table must hold at least 200 questions");
    let mut failures = Vec::new();
    for c in ASKED {
        let got = match parse(c.q, at(FRI)) {
            Ok(q) => q,
            Err(e) => {
                failures.push(format!("{:?}: error {e}", c.q));
                continue;
            }
        };
        let people: Vec<&str> = got.people.iter().map(String::as_str).collect();
        let window = got.window.as_ref().map(|w| (w.phrase.clone(), w.start.to_rfc3339(), w.end.to_rfc3339()));
        let want_window = c.window.map(|(p, s, e)| (p.to_string(), s.to_string(), e.to_string()));
        let clock = got.clock.as_ref().map(|k| (k.start.to_rfc3339(), k.end.map(|e| e.to_rfc3339())));
        let want_clock = c.clock.map(|(s, e)| (s.to_string(), e.map(str::to_string)));
        if got.intent != c.intent
            || people != c.people
            || window != want_window
            || clock != want_clock
            || got.topic.as_deref() != c.topic
        {
            failures.push(format!(
                "{:?}:\n   got  {:?} people {:?} window {:?} clock {:?} topic {:?}\n   want {:?} people {:?} window {:?} clock {:?} topic {:?}",
                c.q, got.intent, people, window, clock, got.topic, c.intent, c.people, want_window, want_clock, c.topic
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} questions differ:\n{}", failures.len(), ASKED.len(), failures.join("\n"));
}

/// Every word is accounted for: a word that is neither time, person, topic, filler nor intent
/// is named in a note, and a not-understood question says so.
#[test]
fn no_word_is_dropped_silently() {
    for c in ASKED {
        let got = parse(c.q, at(FRI)).unwrap();
        for w in got.words.iter().filter(|w| matches!(w.role, Role::Ignored | Role::Unknown)) {
            assert!(
                got.notes.iter().any(|n| n.contains(&w.text)),
                "{:?}: {:?} is {:?} but no note names it",
                c.q,
                w.text,
                w.role
            );
        }
        if got.intent == Intent::NotUnderstood {
            assert!(!got.notes.is_empty(), "{:?}: not understood without a note", c.q);
        }
        if let Some(topic) = &got.topic {
            let searched: Vec<&str> =
                got.words.iter().filter(|w| w.role == Role::Topic).map(|w| w.text.as_str()).collect();
            assert!(!searched.is_empty(), "{:?}: topic {topic:?} from no word", c.q);
        }
    }
}
