//! Availability questions: whether a question asks for free time rather than for events, how
//! long the meeting is, and whether only the first slot is wanted.
//!
//! A question asks for free time when, outside quotes and time phrases and before any topic
//! marker ("about …"), it says "free", "available", "availability", "slot(s)", "opening(s)",
//! "find … time/an hour/N minutes", "can/could … meet/talk/chat" ("can I meet Zoë on Friday?", "when
//! can we meet?"), "what/when/which day … works" ("what works for Tom and Sarah?"), "have/need time"
//! or "have/need" + a length ("does Tom have time on Friday?", "I need two hours with Alice"), or
//! "gap(s)". The
//! duration is the first of: N minutes/mins/min/m, N
//! hours/hrs/hr/h (digits or "one".."thirty"), "1.5 hours", single words such as "30min", "2h",
//! "1h30", "half an hour", "a half hour", "a quarter of an hour", "an hour", "an hour and a
//! half", "a couple of hours". "first", "earliest", or "next" before "free/available/slot/opening"
//! ask for the first slot only.

use super::token::{Kind, Token, word};
use super::words::number_word;

/// What an availability question asks for beyond people and window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Availability {
    /// The meeting's length, when said.
    pub duration_minutes: Option<u32>,
    /// Only the first slot is wanted ("first free slot tomorrow").
    pub first: bool,
}

/// Longest duration read from a question (a day).
const MAX_MINUTES: u32 = 24 * 60;

fn unit(w: &str) -> Option<u32> {
    match w {
        "minute" | "minutes" | "mins" | "min" | "m" => Some(1),
        "hour" | "hours" | "hrs" | "hr" | "h" => Some(60),
        _ => None,
    }
}

/// A count at `i`: digits, a number word, or a decimal ("1.5"); in tenths, and the next index.
fn count(t: &[Token], i: usize) -> Option<(u32, usize)> {
    match t.get(i).map(|t| &t.kind) {
        Some(Kind::Number(n)) => Some((n.checked_mul(10)?, i + 1)),
        Some(Kind::Word) => {
            let w = word(t, i);
            if let Some(n) = number_word(w) {
                return Some((n * 10, i + 1));
            }
            let (a, b) = w.split_once('.')?;
            let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
            (b < 10).then_some((a.checked_mul(10)?.checked_add(b)?, i + 1))
        }
        _ => None,
    }
}

/// One word such as "30min", "2h", "1h30", "90m".
fn compact(w: &str) -> Option<u32> {
    let digits = w.find(|c: char| !c.is_ascii_digit()).filter(|&k| k > 0)?;
    let n: u32 = w[..digits].parse().ok()?;
    let rest = &w[digits..];
    if let Some(u) = unit(rest) {
        return n.checked_mul(u);
    }
    let (_, m) = rest.split_once('h').filter(|(h, _)| h.is_empty())?;
    let m: u32 = m.strip_suffix('m').unwrap_or(m).parse().ok().filter(|m| *m < 60)?;
    n.checked_mul(60)?.checked_add(m)
}

/// The duration said at token `i`, if one starts there: its minutes and the token after it.
pub(super) fn duration_at(t: &[Token], i: usize) -> Option<(u32, usize)> {
    let w = word(t, i);
    let w1 = word(t, i + 1);
    let w2 = word(t, i + 2);
    if let Some(m) = compact(w) {
        return Some((m, i + 1));
    }
    if let Some((tenths, k)) = count(t, i)
        && let Some(u) = unit(word(t, k))
    {
        return Some((tenths.checked_mul(u)? / 10, k + 1));
    }
    let hour = |w: &str| matches!(w, "hour" | "hours");
    match (w, w1, w2) {
        ("half", "an", h) if hour(h) => Some((30, i + 3)),
        ("half", h, _) if hour(h) || h == "half-hour" => Some((30, i + 2)),
        ("half-hour", _, _) => Some((30, i + 1)),
        ("a", "half", h) if hour(h) => Some((30, i + 3)),
        ("a", "half-hour", _) => Some((30, i + 2)),
        ("a" | "one", "quarter", _) | ("quarter", _, _) => {
            let k = if w == "quarter" { i + 1 } else { i + 2 };
            match (word(t, k), word(t, k + 1), word(t, k + 2)) {
                ("of", "an", "hour") => Some((15, k + 3)),
                ("hour", _, _) => Some((15, k + 1)),
                ("of", "hour", _) => Some((15, k + 2)),
                _ => None,
            }
        }
        ("a", "couple", "of") if hour(word(t, i + 3)) => Some((120, i + 4)),
        ("an" | "a", h, _) | ("an" | "a", "free" | "spare" | "full", h) if hour(h) => {
            // "an hour and a half", "a free hour and a half"
            let k = if hour(w1) { i + 2 } else { i + 3 };
            let half = word(t, k) == "and" && word(t, k + 1) == "a" && word(t, k + 2) == "half";
            Some(if half { (90, k + 3) } else { (60, k) })
        }
        _ => None,
    }
}

/// Where the first duration of the question stands, `[first, end)` (outside time phrases).
pub(super) fn duration_span(t: &[Token], timed: &[bool]) -> Option<(usize, usize)> {
    (0..t.len()).filter(|&i| !timed.get(i).copied().unwrap_or(true)).find_map(|i| {
        let (minutes, end) = duration_at(t, i)?;
        (1..=MAX_MINUTES).contains(&minutes).then_some((i, end))
    })
}

/// Reads the availability facts of a question, or `None` when it asks for events. Words inside
/// time phrases (`timed`) are not cues ("December first" does not ask for the first slot).
pub(super) fn read(t: &[Token], timed: &[bool]) -> Option<Availability> {
    // Cues count before a topic ("meetings about the free trial" asks for events).
    let topic = (0..t.len()).find(|&i| super::words::is_topic_marker_word(word(t, i))).unwrap_or(t.len());
    let words: Vec<&str> =
        (0..topic).map(|i| if timed.get(i).copied().unwrap_or(false) { "" } else { word(t, i) }).collect();
    let has = |w: &str| words.contains(&w);
    let duration_minutes =
        (0..t.len()).find_map(|i| duration_at(t, i)).map(|(m, _)| m).filter(|m| (1..=MAX_MINUTES).contains(m));
    let cue = words.iter().any(|w| {
        matches!(*w, "free" | "available" | "availability" | "slot" | "slots" | "opening" | "openings" | "free-time")
    });
    let find = has("find") && (duration_minutes.is_some() || has("time"));
    let meet = (has("can") || has("could"))
        && words.iter().any(|w| matches!(*w, "meet" | "meeting" | "talk" | "chat" | "sync" | "get-together"));
    // "what works for Tom and Sarah", "when works", "which day works best", "does that work for Zoë".
    let works = words.windows(2).any(|p| {
        matches!(p[1], "works" | "work")
            && matches!(p[0], "what" | "when" | "time" | "that" | "which" | "day" | "slot" | "it" | "this" | "")
    });
    // "does Tom have time on Friday", "do you have an hour", "I need two hours with X and Y".
    let has_time = (0..topic).any(|i| {
        matches!(words[i], "have" | "has" | "got" | "need" | "needs" | "want")
            && (words.get(i + 1) == Some(&"time")
                || (matches!(words.get(i + 1), Some(&"some" | &"any")) && words.get(i + 2) == Some(&"time"))
                || duration_at(&t[..topic], i + 1).is_some())
    });
    let gaps = words.iter().any(|w| matches!(*w, "gap" | "gaps"));
    // "can Bob and Alice do 30 mins on Wednesday?"
    let can_do = (has("can") || has("could")) && duration_minutes.is_some();
    if !(cue || find || meet || works || has_time || gaps || can_do) {
        return None;
    }
    let next_free = words
        .windows(2)
        .any(|p| p[0] == "next" && matches!(p[1], "free" | "available" | "slot" | "opening" | "open" | "time"));
    let first = has("first") || has("earliest") || next_free;
    Some(Availability { duration_minutes, first })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::question::token::tokenize;

    fn minutes(q: &str) -> Option<u32> {
        let t = tokenize(q);
        read(&t, &vec![false; t.len()]).and_then(|a| a.duration_minutes)
    }

    #[test]
    fn durations() {
        for (q, want) in [
            ("free for 30 minutes", 30),
            ("free for thirty minutes", 30),
            ("free for half an hour", 30),
            ("a free half hour", 30),
            ("find an hour", 60),
            ("find a free hour and a half", 90),
            ("free for 90 min", 90),
            ("free for 2 hours", 120),
            ("free for two hours", 120),
            ("free for 1.5 hours", 90),
            ("free for 45mins", 45),
            ("free for 2h", 120),
            ("free for 1h30", 90),
            ("a quarter of an hour free", 15),
            ("a couple of hours free", 120),
        ] {
            assert_eq!(minutes(q), Some(want), "{q}");
        }
        assert_eq!(minutes("free tomorrow"), None);
        assert_eq!(minutes("free for 0 minutes"), None);
        assert_eq!(minutes("free for 100000 hours"), None);
    }

    #[test]
    fn cues() {
        let a = |q: &str| {
            let t = tokenize(q);
            read(&t, &vec![false; t.len()])
        };
        assert!(a("what meetings do I have with Sarah?").is_none());
        assert!(a("when do I see Tom?").is_none());
        assert!(a("when are Alice and Bob free next week?").is_some());
        assert!(a("can I meet Zoë on Friday?").is_some());
        assert!(a("find an hour with Zoë on Thursday afternoon").is_some());
        assert!(a("find time with Tom").is_some());
        assert!(a("what's my availability tomorrow").is_some());
        assert!(a("first free slot tomorrow").unwrap().first);
        assert!(a("next available slot with Tom").unwrap().first);
        assert!(!a("free slots next week").unwrap().first);
        assert!(a("meetings about the free trial").is_none());
        assert!(a("find time with Tom about the budget").is_some());
    }
}
