//! Unit tests of the question parser as a whole (`shared/tests/questions.rs` holds the table of
//! questions and their readings).

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Tz> {
    chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
}

fn p(q: &str) -> Question {
    parse(q, now()).unwrap()
}

#[test]
fn errors_are_invalid_request_on_question() {
    let e = parse("   ", now()).unwrap_err();
    assert!(matches!(e, QuestionError::Empty));
    assert_eq!((e.code(), e.field()), ("invalid_request", Some("question")));
    let long = "a".repeat(MAX_QUESTION_CHARS + 1);
    assert!(matches!(parse(&long, now()), Err(QuestionError::TooLong { chars: 2001 })));
    // Exactly the limit is fine, counted in characters, not bytes.
    assert!(parse(&"é".repeat(MAX_QUESTION_CHARS), now()).is_ok());
    assert!(matches!(parse("with Tom\u{0}", now()), Err(QuestionError::ControlCharacter { position: 8, code: 0 })));
    assert!(matches!(parse("x\u{7f}", now()), Err(QuestionError::ControlCharacter { position: 1, code: 0x7f })));
    assert_eq!(p("with Tom\ntomorrow").people, vec!["Tom"]);
}

#[test]
fn topics() {
    assert_eq!(p("anything about the budget?").topic.as_deref(), Some("budget"));
    assert_eq!(p("re: Q3 planning with Tom").topic.as_deref(), Some("Q3 planning"));
    assert_eq!(p("meetings on the topic of hiring tomorrow").topic.as_deref(), Some("hiring"));
    assert_eq!(p(r#"the meeting called "Q3 planning""#).topic.as_deref(), Some("Q3 planning"));
    assert_eq!(p("about budget - tomorrow").topic.as_deref(), Some("budget"));
    assert_eq!(p("what about tomorrow?").topic, None);
    assert_eq!(p("about R&D and hiring please").topic.as_deref(), Some("R&D and hiring"));
    assert_eq!(p("tell me about my day").topic, None);
    assert_eq!(p("about my day off").topic.as_deref(), Some("day off"));
}

#[test]
fn people_dedup_keeps_first_spelling() {
    assert_eq!(p("with Zoë, zoe and ZOË SMITH and Zoë Smith").people, vec!["Zoë", "ZOË SMITH"]);
}

#[test]
fn parsed_questions_are_owned_and_shareable() {
    fn cacheable<T: Send + Sync + 'static>(_: &T) {}
    cacheable(&p("with Tom tomorrow"));
    cacheable(&parse("", now()).unwrap_err());
}

#[test]
fn serializes_with_offsets() {
    let q = p("with Tom tomorrow about budget");
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "people": ["Tom"],
            "window": {
                "start": "2026-11-28T00:00:00+01:00",
                "end": "2026-11-29T00:00:00+01:00",
                "phrase": "tomorrow"
            },
            "topic": "budget"
        })
    );
}
