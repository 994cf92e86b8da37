//! The time of a question: which tokens are time words, the window it names, and its clock
//! time placed on a day.

use chrono::DateTime;
use chrono_tz::Tz;

use super::token::Token;
use super::{ClockWindow, QuestionWindow, clock, text_of, when};

/// The time a question names: which tokens are time words, its clock time, and its window.
pub(super) struct Times {
    pub(super) timed: Vec<bool>,
    pub(super) clock: Option<clock::Clock>,
    pub(super) window: Option<QuestionWindow>,
}

/// Finds the time phrases, then a clock time among the tokens no window-setting phrase holds.
/// "my week", "my day" stand for the current one only when no other phrase names a time
/// ("what's my day like tomorrow" is tomorrow); otherwise the first window-setting phrase wins.
pub(super) fn find_times(question: &str, tokens: &[Token], now: DateTime<Tz>) -> Times {
    let phrases = when::find(tokens, now);
    let mut timed = vec![false; tokens.len()];
    let mut blocked = vec![false; tokens.len()];
    for p in &phrases {
        for k in p.first..p.end.min(tokens.len()) {
            timed[k] = true;
            blocked[k] |= p.span.is_some();
        }
    }
    let clock = clock::find(tokens, &blocked);
    if let Some(c) = &clock {
        for flag in timed.iter_mut().take(c.end).skip(c.first) {
            *flag = true;
        }
    }
    let weak = |p: &&when::Phrase| {
        (p.first..p.end).any(|k| tokens.get(k).is_some_and(|t| matches!(t.lower.as_str(), "my" | "our")))
    };
    let window = phrases
        .iter()
        .filter(|p| p.span.is_some())
        .find(|p| !weak(p))
        .or_else(|| phrases.iter().find(|p| p.span.is_some()))
        .and_then(|p| {
            let span = p.span?;
            Some(QuestionWindow {
                start: span.start,
                end: span.end,
                phrase: text_of(question, tokens, p.first, p.end)?,
            })
        });
    Times { timed, clock, window }
}

/// Places a clock time on the day it belongs to: the window's day when the window is one day;
/// without a window, today if the time is still ahead, else tomorrow (and a note says which).
/// A clock time beside a window of several days is not applied (a note says so).
pub(super) fn place_clock(
    c: &clock::Clock,
    window: Option<&QuestionWindow>,
    now: DateTime<Tz>,
    phrase: String,
) -> (Option<ClockWindow>, Option<String>) {
    let tz = now.timezone();
    let at = |day: chrono::NaiveDate, minutes: u32| {
        let base = day.and_time(chrono::NaiveTime::MIN);
        crate::time::local_to_utc(base + chrono::TimeDelta::minutes(i64::from(minutes)), tz).with_timezone(&tz)
    };
    let (day, note) = match window {
        Some(w) => {
            let last = w.end - chrono::TimeDelta::seconds(1);
            if w.start.date_naive() != last.date_naive() {
                let note = format!("\"{phrase}\" was not applied: {} spans several days.", w.phrase);
                return (None, Some(note));
            }
            (w.start.date_naive(), None)
        }
        None => {
            let today = now.date_naive();
            let ahead = at(today, c.end_minutes.unwrap_or(c.start_minutes)) > now;
            match (ahead, today.succ_opt()) {
                (true, _) | (false, None) => (today, Some(format!("\"{phrase}\" names no day; read as today."))),
                (false, Some(tomorrow)) => {
                    (tomorrow, Some(format!("\"{phrase}\" names no day and has passed today; read as tomorrow.")))
                }
            }
        }
    };
    let start = at(day, c.start_minutes);
    let end = c.end_minutes.map(|m| at(day, m)).filter(|e| *e > start);
    (Some(ClockWindow { start, end, duration_minutes: c.duration_minutes, phrase }), note)
}
