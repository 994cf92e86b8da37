//! Plain-English calendar questions → the facts a plan needs: who, when, about what.
//!
//! [`parse`] reads a question such as "what meetings do I have with Bob Smith and Zoë next
//! week?" relative to a `now` and returns a [`Question`]: the people as said, the window
//! (half-open, in the zone of `now`) and the topic. It never fails on what a question *says*:
//! a question it cannot make sense of parses to no people, no window and no topic. Only an
//! empty (or all-whitespace) question, one longer than [`MAX_QUESTION_CHARS`] characters, and
//! control characters are errors; tab, line feed and carriage return count as whitespace
//! (multi-line questions pasted from a chat are accepted).
//!
//! # How
//! A hand tokenizer (`token`) makes tokens with byte spans; the time grammar (`when`)
//! marks every time phrase; then one left-to-right pass reads people (`who`) and the topic,
//! which both stop at time words. Every step is linear in the number of tokens (grammar
//! attempts look a bounded number of tokens ahead; no backtracking).
//!
//! # Time words (relative to `now`, in its zone)
//! Days run from local midnight to local midnight, so on DST days they are 23 or 25 hours.
//! - `today`, `tomorrow`, `yesterday`, `the day after tomorrow`, `the day before yesterday`.
//! - `tonight` 18:00–24:00; `this morning` 09:00–12:00, `this afternoon` 12:00–17:00,
//!   `this evening` 17:00–21:00, `last night` (yesterday 18:00–24:00); a part of the day
//!   after any one-day phrase narrows it ("tomorrow morning", "Friday afternoon",
//!   "tomorrow in the evening", "Monday at night").
//! - `this/next/last week`: whole ISO weeks, Monday first. `this weekend` is Saturday and
//!   Sunday of the current ISO week (so on a Sunday it is the weekend in progress);
//!   `next/last weekend` is the weekend of the next/previous ISO week; "the weekend" after a
//!   preposition ("over the weekend") is this weekend. `the week after next`.
//! - `this/next/last month`, `this/next/last year`: calendar months and years.
//!   `past week/month/year`: the rolling 7 days / month / 12 months before now.
//! - Weekday names: "Friday", "on Friday", "this Friday", "this coming Friday" = the next
//!   such day from today, **today included**. "next Tuesday" = the Tuesday of next ISO week.
//!   "last Monday" = the most recent Monday **before** today. "Friday next week", "next week
//!   on Friday", "Friday of this week". Abbreviations ("Fri") count only after a preposition or
//!   this/next/last ("on Fri"), so "sat"/"sun"/"wed" in running text are not days.
//! - Counts, digits or "one".."thirty" (also "a", "a couple of", "a few" = 1, 2, 3):
//!   "(in|over|for|during|within) the next N days", "next N days", "the coming N days",
//!   "within N days" = **from now** for N days (same local wall-clock time N days later;
//!   hours are exact); "past/last N days" = the N days up to now. Units: hours, days,
//!   weeks, fortnights, months. "in N days" = that whole day; "in N weeks" = the whole ISO
//!   week containing today + 7·N days; "in N months" = that whole calendar month;
//!   "N days/weeks ago", "N days from now" likewise. N must be 1..=10 000.
//! - Dates: ISO `2026-12-03`; "December 3", "Dec 3rd", "Dec. 3", "3 December", "3rd of
//!   December", "December the third", optionally with a year ("December 3, 2027"). Without a
//!   year: **the next such date, this year unless passed** (today is not passed; Feb 29 is the
//!   next leap day). "the 3rd" = the next 3rd of a month. A month alone needs "in"/"during"/
//!   "for"/… ("in December" = the next December, this month included) or a year ("May 2026").
//!   A bare month name is never a name ("with June" has no people) and never a window
//!   ("May I…"). Numeric dates like "12/3" are not read (day/month order is ambiguous).
//! - "the week of December 7": the ISO week holding that day.
//! - Ranges: "between A and B", "from A to/until/through B", "A to B", "A – B" cover both
//!   ends whole (inclusive of B's last day). B is looked up from A's start ("between
//!   Wednesday and Monday" = that Wednesday to the Monday after); reversed ranges cover both.
//! - "between now and X", "from now until X", "until/till/through/by/up to X" = from now to
//!   the end of X. "before X" = now to the start of X. "since X" = start of X to now ("since
//!   Monday" = the last Monday). "after X", clock times ("at 3pm", "15:00", "at noon", "from 2pm to 4pm") and "in N hours" are
//!   recognised, so they are not read as people or topic, but set no window.
//! - "rest of the day/week/month/year", "later today": now to its end. "end of the
//!   week/month" = its last day ("until the end of the week" = now to next Monday 00:00).
//! - When a question has several time phrases the **first one that sets a window wins**;
//!   the others are still consumed. [`QuestionWindow::phrase`] is that phrase as written,
//!   with its preposition ("on Friday", "in the next 3 days", "between … and …").
//!
//! # People
//! - After "with" (or "w/"): a list of names: "with Bob Smith, Zoë and Mary Ann O'Neil",
//!   "with José García & jgarcia@example.com". Names are multi-word, may be lower-case
//!   ("with sarah"), and are separated by ",", "and", "&", "or", "+", "/". The list stops at a
//!   time phrase, a topic word, punctuation, or any sentence or calendar word ("with Sarah
//!   on Friday" → "Sarah"). After a time phrase, a separator continues the list ("with Alice
//!   tomorrow and Bob" → Alice, Bob). See the `who` module for what makes a name word.
//! - "between me and Tom", "between Tom and me", "between Tom and Sarah" (when not a time
//!   range).
//! - Without "with": after "see/meet/visit/call/talk to/speak to/from/by" ("when do I see
//!   Tom next week?", "am I meeting Tom"); after an auxiliary when a presence word follows
//!   ("does Tom have…", "is Priya free…", "are Tom and Sarah busy…"); a possessive ("Sarah
//!   and Tom's meetings tomorrow", "Bob Smith's calendar"); a list next to the asker ("Tom and I", "me and
//!   Sarah"), and email addresses anywhere. In these forms names must be capitalised,
//!   unless the whole question is lower-case.
//! - Names are kept as said (words joined by single spaces), in order, deduplicated
//!   case- and accent-insensitively (the first spelling is kept).
//!
//! Deliberately not handled (documented oddities):
//! - Weekday and full month names are never names. "with Monday Smith" reads "Monday" as the
//!   time word (window: next Monday, today included) and the list stops there, so people is
//!   empty; likewise "with April Jones" has no people. Abbreviations ("Jan") can be names.
//! - First names that are also sentence words: "Will" counts only when capitalised and
//!   followed by a capitalised name ("with Will Smith", not "with Will"); "May", "June",
//!   "April", "August" never count (month names).
//! - People named without any cue ("Tom tomorrow?", "anything Tom has") and lower-case names
//!   outside "with"/"between" in a question that has capitals elsewhere.
//! - Several alternatives for the window ("Tuesday or Wednesday"): the first wins. Holidays
//!   ("Christmas"), bare parts of the day ("in the morning") and clock-time windows ("from 2pm
//!   to 4pm" is read but does not narrow the day).
//! - Groups ("with the design team", "with my manager") give no people.
//! - Relative phrases without a length ("my next meeting with Tom", "upcoming meetings")
//!   give no window.
//!
//! # Free time
//! A question asking for free time ("when are Alice and Bob free next week for 30 minutes?",
//! "find an hour with Zoë on Thursday afternoon", "first free slot tomorrow", "can I meet Tom
//! on Friday?") sets [`Question::availability`]: the meeting's length when said and whether only
//! the first slot is wanted (the cues and duration forms are listed in the `avail` module). Such
//! a question has no topic.
//!
//! # Topic
//! "about X", "regarding X", "re X", "re: X", "concerning X", "titled X", "entitled X",
//! "called X", "on the topic of X", "on the subject of X", "with the subject X", and any
//! quoted text ("called "Q3 planning"", ‘…’, «…»). The topic runs to the next time phrase,
//! "with"/"between", punctuation, an auxiliary ("do", "is", …), "please", or the end; leading
//! articles and possessive pronouns are dropped ("the budget" → "budget"); quoted text is
//! kept exactly. A topic made only of generic words ("about my day") is no topic. The first
//! topic in the question wins.

mod avail;
mod token;
mod when;
mod who;
mod words;

use std::collections::HashSet;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::error::ErrorCode;
pub use avail::Availability;
use token::{Kind, Token};
use who::Names;

/// Longest question accepted (longer → [`QuestionError::TooLong`], code `invalid_request`,
/// field `question`); keeps parsing cheap and bounded.
pub const MAX_QUESTION_CHARS: usize = 2_000;

/// What a question asks about, ready for the plan builder.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Question {
    /// Names (or email addresses) as said, in order, deduplicated, trimmed ("Bob Smith", "Zoë").
    pub people: Vec<String>,
    /// The time the question names; `None` when it names none.
    pub window: Option<QuestionWindow>,
    /// What the meetings are about ("budget" for "about the budget"); `None` when not said.
    pub topic: Option<String>,
    /// Set when the question asks for free time ("when are Alice and Bob free…", "find an
    /// hour with Zoë…", "first free slot tomorrow") rather than for events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Availability>,
}

/// The window a question names: half-open `[start, end)` in the zone of `now`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuestionWindow {
    /// Inclusive start.
    pub start: DateTime<Tz>,
    /// Exclusive end.
    pub end: DateTime<Tz>,
    /// The words that set it, as written ("next week", "on Friday", "in the next 3 days").
    pub phrase: String,
}

/// Why a question was refused; every variant is `invalid_request` on field `question`.
#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    /// Empty or only whitespace.
    #[error("the question is empty")]
    Empty,
    /// More than [`MAX_QUESTION_CHARS`] characters.
    #[error("the question is {chars} characters long; at most {MAX_QUESTION_CHARS} are accepted")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// A control character other than tab, line feed or carriage return.
    #[error("the question contains the control character U+{code:04X} at character {position}")]
    ControlCharacter {
        /// Zero-based character index.
        position: usize,
        /// The character's code point.
        code: u32,
    },
}

impl ErrorCode for QuestionError {
    fn code(&self) -> &'static str {
        "invalid_request"
    }
    fn field(&self) -> Option<&str> {
        Some("question")
    }
}

/// Understands one question relative to `now` (in the zone of `now`); see the module docs
/// for the grammar and its rules.
pub fn parse(question: &str, now: DateTime<Tz>) -> Result<Question, QuestionError> {
    check(question)?;
    let tokens = token::tokenize(question);
    let phrases = when::find(&tokens, now);
    let mut timed = vec![false; tokens.len()];
    for p in &phrases {
        for flag in timed.iter_mut().take(p.end).skip(p.first) {
            *flag = true;
        }
    }
    let window = phrases.iter().find_map(|p| {
        let span = p.span?;
        let start = tokens.get(p.first)?.start;
        let end = tokens.get(p.end.checked_sub(1)?)?.end;
        Some(QuestionWindow { start: span.start, end: span.end, phrase: question.get(start..end)?.to_string() })
    });
    let mut reader = Reader {
        q: question,
        t: &tokens,
        names: Names { t: &tokens, timed: &timed },
        lenient: !question.chars().any(char::is_uppercase),
        people: Vec::new(),
        seen: HashSet::new(),
        topic: None,
    };
    reader.read();
    let availability = avail::read(&tokens, &timed);
    // A free-time question has no topic ("find time about…" is not a filter on free time).
    let topic = if availability.is_some() { None } else { reader.topic };
    Ok(Question { people: reader.people, window, topic, availability })
}

/// The only refusals: too long, control characters, empty.
fn check(question: &str) -> Result<(), QuestionError> {
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(QuestionError::TooLong { chars });
    }
    if let Some((position, c)) =
        question.chars().enumerate().find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(QuestionError::ControlCharacter { position, code: u32::from(c) });
    }
    if question.trim().is_empty() {
        return Err(QuestionError::Empty);
    }
    Ok(())
}

/// The left-to-right pass that collects people and the topic.
struct Reader<'a> {
    q: &'a str,
    t: &'a [Token],
    names: Names<'a>,
    /// The question has no capitals, so capitalisation cannot tell names apart.
    lenient: bool,
    people: Vec<String>,
    seen: HashSet<String>,
    topic: Option<String>,
}

impl<'a> Reader<'a> {
    fn read(&mut self) {
        let mut i = 0;
        // Every step moves forward by at least one token.
        while i < self.t.len() {
            i = self.step(i).max(i + 1);
        }
    }

    fn timed(&self, i: usize) -> bool {
        self.names.timed.get(i).copied().unwrap_or(true)
    }

    /// The lower-case word at `i` outside time phrases, or "".
    fn w(&self, i: usize) -> &'a str {
        let t = self.t;
        match t.get(i) {
            Some(t) if t.kind == Kind::Word && !self.timed(i) => &t.lower,
            _ => "",
        }
    }

    fn add_person(&mut self, name: &str) {
        let name = name.trim();
        let key = deunicode::deunicode(name).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        if !name.is_empty() && self.seen.insert(key) {
            self.people.push(name.to_string());
        }
    }

    fn set_topic(&mut self, text: &str) {
        let text = text.trim();
        if self.topic.is_none() && !text.is_empty() {
            self.topic = Some(text.to_string());
        }
    }

    /// Adds a list's names and returns where it ended.
    fn take(&mut self, list: who::List) -> usize {
        for name in &list.names {
            self.add_person(name);
        }
        list.end
    }

    /// Reads whatever starts at token `i`; returns the next token to look at.
    fn step(&mut self, i: usize) -> usize {
        let all = self.t;
        let Some(tok) = all.get(i) else { return i + 1 };
        if self.timed(i) {
            return i + 1;
        }
        match tok.kind {
            Kind::Quote => {
                self.set_topic(&tok.text);
                return i + 1;
            }
            Kind::Email => {
                self.add_person(&tok.text);
                return i + 1;
            }
            Kind::Word => {}
            _ => return i + 1,
        }
        if let Some(k) = self.topic_marker(i) {
            return self.read_topic(k);
        }
        let caps = !self.lenient;
        let w = self.w(i);
        match w {
            "with" | "w/" => {
                let list = self.names.list(i + 1, false);
                let mut end = self.take(list);
                // "with Alice tomorrow and Bob on Friday": the list goes on after a time phrase
                // when a separator follows it. Each round takes at least one name.
                loop {
                    let mut k = end;
                    while k < self.t.len() && self.timed(k) {
                        k += 1;
                    }
                    if k == end || !self.names.is_sep(k) {
                        return end;
                    }
                    let more = self.names.list(self.names.skip_seps(k), false);
                    if more.names.is_empty() {
                        return end;
                    }
                    end = self.take(more);
                }
            }
            "between" => {
                if words::is_self(self.w(i + 1)) && self.names.is_sep(i + 2) {
                    let list = self.names.list(self.names.skip_seps(i + 2), false);
                    return self.take(list);
                }
                let list = self.names.list(i + 1, false);
                let end = self.take(list);
                return self.names.followed_by_self(end).unwrap_or(end);
            }
            "talk" | "talking" | "speak" | "speaking" if self.w(i + 1) == "to" => {
                let list = self.names.list(i + 2, caps);
                return self.take(list);
            }
            "meeting"
                if matches!(
                    i.checked_sub(1).map_or("", |p| self.w(p)),
                    "i" | "we" | "i'm" | "we're" | "am" | "are" | "is"
                ) =>
            {
                let list = self.names.list(i + 1, caps);
                return self.take(list);
            }
            _ if words::is_auxiliary(w) => {
                // "does Tom have…", "is Tom free…", "is Tom's meeting…", "can Alice, Bob and I meet…"
                let list = self.names.list(i + 1, caps);
                let after = self.names.followed_by_self(list.end).unwrap_or(list.end);
                if list.possessive || words::is_presence_word(self.w(after)) {
                    return self.take(list).max(after);
                }
                return list.end;
            }
            _ if words::is_person_verb(w) => {
                let list = self.names.list(i + 1, caps);
                return self.take(list);
            }
            _ if words::is_self(w) && self.names.is_sep(i + 1) => {
                let list = self.names.list(self.names.skip_seps(i + 1), caps);
                return self.take(list);
            }
            _ => {}
        }
        // A name without a cue counts when it is possessive or next to the asker.
        let list = self.names.list(i, caps);
        if list.names.is_empty() {
            return i + 1;
        }
        if list.possessive || self.names.followed_by_self(list.end).is_some() {
            return self.take(list);
        }
        list.end
    }

    /// A topic marker at `i`: returns the token after it.
    fn topic_marker(&self, i: usize) -> Option<usize> {
        let w = self.w(i);
        let colon = |k: usize| {
            if self.t.get(k).is_some_and(|t| t.kind == Kind::Punct(':')) { k + 1 } else { k }
        };
        if words::is_topic_marker_word(w) {
            return Some(colon(i + 1));
        }
        if matches!(w, "on" | "with") {
            let k = if self.w(i + 1) == "the" { i + 2 } else { i + 1 };
            if matches!(self.w(k), "topic" | "subject") {
                let k = if self.w(k + 1) == "of" { k + 2 } else { k + 1 };
                return Some(colon(k));
            }
        }
        if matches!(w, "topic" | "subject") && self.t.get(i + 1).is_some_and(|t| t.kind == Kind::Punct(':')) {
            return Some(i + 2);
        }
        None
    }

    /// Reads the topic after a marker; returns the token after it.
    fn read_topic(&mut self, k: usize) -> usize {
        let mut j = k;
        while words::is_article(self.w(j)) {
            j += 1;
        }
        if let Some(t) = self.t.get(j).filter(|t| t.kind == Kind::Quote && !self.timed(j)) {
            let text = t.text.clone();
            self.set_topic(&text);
            return j + 1;
        }
        let start = j;
        while self.topic_token(j) {
            j += 1;
        }
        // Do not end on punctuation ("budget -").
        let mut last = j;
        while last > start && self.t.get(last - 1).is_some_and(|t| matches!(t.kind, Kind::Punct(_))) {
            last -= 1;
        }
        let generic = (start..last)
            .all(|k| self.t.get(k).is_some_and(|t| t.kind == Kind::Word && words::is_generic_topic(&t.lower)));
        if last > start
            && !generic
            && let (Some(a), Some(b)) = (self.t.get(start), self.t.get(last - 1))
            && let Some(text) = self.q.get(a.start..b.end)
        {
            self.set_topic(text);
        }
        j.max(k)
    }

    /// A token that can be part of a topic.
    fn topic_token(&self, j: usize) -> bool {
        if self.timed(j) {
            return false;
        }
        let Some(t) = self.t.get(j) else { return false };
        match t.kind {
            Kind::Word => !words::ends_topic(&t.lower),
            Kind::Number(_) | Kind::Ordinal(_) | Kind::Email => true,
            Kind::Punct(c) => matches!(c, '&' | '/' | '-' | '+' | '#'),
            Kind::Clock | Kind::Date(_) | Kind::Quote => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
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
}
