//! Plain-English calendar questions → the facts a plan needs: what is asked (the intent),
//! who, when, about what.
//!
//! [`parse`] reads a question such as "what meetings do I have with Bob Smith and Zoë next
//! week?" relative to a `now` and returns a [`Question`]: the [`Intent`], the people as said,
//! the window (half-open, in the zone of `now`), a clock time, and the topic. It never fails on
//! what a question *says*: a question it cannot make sense of parses to intent
//! `not_understood`. Only an empty (or all-whitespace) question, one longer than
//! [`MAX_QUESTION_CHARS`] characters, and control characters are errors; tab, line feed and
//! carriage return count as whitespace (multi-line questions pasted from a chat are accepted).
//!
//! # Every word is accounted for
//! Each token gets one [`Role`] ([`Question::words`]): time (time phrases, clock times, meeting
//! lengths), person, topic, filler (question words, pronouns, auxiliaries, prepositions,
//! politeness, generic calendar nouns such as "meetings" or "calendar"), intent ("next", "how
//! many", "free", "cancel") or punctuation. A content word no other reading claims is part of
//! the **topic**, so "yoga class", "coffee with Priya", "design critique meetings" and "the
//! board meeting" filter by topic without a cue word; plural words are searched in the singular
//! ("standups" → "standup"; matching is by word prefix, so the singular finds both). Words that
//! cannot be used (a second topic, words of a free-time question) are `ignored` and named in
//! [`Question::notes`]; so is a capitalised topic word that may have been meant as a name.
//! A question with no calendar reading at all — no time, person, topic cue, intent word,
//! calendar noun or event word ("class", "dentist", "flight", …) — is `not_understood`, its
//! words `unknown` and named in a note ("qwerty", "what's the capital of France?").
//! Common misspellings and short forms of the grammar's own words are read as the words
//! ("tmrw", "tomorow", "nxt wk", "mtgs", "wensday", "w/", "w").
//!
//! # Intents
//! See the `intent` module for the rules; in short: `list` (default), `next` ("when is my next
//! …", "when's the …", "my next meeting with Tom", "upcoming dentist appointment", "what time is
//! my flight"), `last` ("when did I last …", "my last meeting with Tom", "most recent"),
//! `first` / `last_in_window` ("first meeting tomorrow", "last one on Friday"), `count` ("how
//! many …", "how much time do I spend in meetings …"), `free` (free-time questions, below),
//! `free_at` (a free-time question or "busy" with a clock time: "am I free at 3pm tomorrow?",
//! "is Tom free on Friday at 10 for an hour?"), `unsupported` (a request to change the
//! calendar: "cancel", "move", "delete", "schedule", "book", "invite", "accept", … — the rest of
//! the question is still read) and `not_understood`. How each intent is answered (how far `next`
//! and `last` search, what `count` counts) is the coordinator's: see `coordinate::plans`.
//!
//! # Clock times
//! "at 3pm", "at 15:00", "at noon", "3:30 pm", "from 2 to 4pm", "between 1 and 3", "2-4pm", "at
//! 10 for an hour" (the `clock` module) are placed on the day of a one-day window ("tomorrow at
//! 3pm"); without a day, today if the time is still ahead, else tomorrow, and a note says which.
//! Beside a window of several days a clock time is not applied, and a note says so.
//!
//! # How
//! A hand tokenizer (`token`) makes tokens with byte spans; the time grammar (`when`)
//! marks every time phrase and `times` picks the window and places a clock time (`clock`);
//! then one left-to-right pass (`reader`) reads people (`who`) and the topic, which both stop
//! at time words; `avail` and `intent` read what is asked, and `rest` gives the words left a
//! role. The word lists are in `words`. Every step is linear in the number of tokens (grammar
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
//!   Monday" = the last Monday). "after X" and "in N hours" are recognised, so they are not read
//!   as people or topic, but set no window; clock times are read as described under "Clock times".
//! - "rest of the day/week/month/year", "later today": now to its end. "end of the
//!   week/month" = its last day ("until the end of the week" = now to next Monday 00:00).
//! - When a question has several time phrases the **first one that sets a window wins**;
//!   the others are still consumed ("my week"/"my day" count only when no other phrase names a
//!   time: "what's my day like tomorrow" is tomorrow). [`QuestionWindow::phrase`] is that phrase
//!   as written, with its preposition ("on Friday", "in the next 3 days", "between … and …").
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
//!   ("Christmas") and bare parts of the day ("in the morning").
//! - Groups ("with the design team", "with my manager") give no people; their words are the
//!   topic.
//! - "next"/"last" without a length ("my next meeting with Tom") give no window: they are the
//!   `next`/`last` intents.
//!
//! # Free time
//! A question asking for free time ("when are Alice and Bob free next week for 30 minutes?",
//! "find an hour with Zoë on Thursday afternoon", "first free slot tomorrow", "can I meet Tom
//! on Friday?") sets [`Question::availability`]: the meeting's length when said and whether only
//! the first slot is wanted (the cues and duration forms are listed in the `avail` module:
//! "what works for X and Y", "when works", "I need two hours with X", "find time with X", "does
//! X have time on Friday", "when can we meet", "any gaps on Friday"). "for" after "works" or
//! "good" introduces people ("what works for Sarah and Bob"). Such a question has no topic
//! (leftover words are noted as not used).
//!
//! # Topic
//! "about X", "regarding X", "re X", "re: X", "concerning X", "titled X", "entitled X",
//! "called X", "on the topic of X", "on the subject of X", "with the subject X", and any
//! quoted text ("called "Q3 planning"", ‘…’, «…»). The topic runs to the next time phrase,
//! "with"/"between", punctuation, an auxiliary ("do", "is", …), "please", or the end; leading
//! articles and possessive pronouns are dropped ("the budget" → "budget"); quoted text is
//! kept exactly. A topic made only of generic words ("about my day") is no topic. The first
//! topic in the question wins (a later one is noted as not used); content words without a cue
//! are added to it (see above).

mod avail;
mod clock;
mod intent;
mod reader;
mod rest;
mod times;
mod token;
mod when;
mod who;
mod words;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::error::ErrorCode;
pub use avail::Availability;
pub use intent::Intent;
use reader::Reader;
use rest::{Rest, classify_rest, names_the_calendar};
use times::{Times, find_times, place_clock};
use token::Token;

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
    /// What the question asks for (see the `intent` module); `list` unless said otherwise.
    #[serde(skip_serializing_if = "is_list")]
    pub intent: Intent,
    /// The clock time said ("at 3pm", "from 2 to 4pm"), placed on its day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockWindow>,
    /// The change asked for when the intent is `unsupported` ("cancel").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// How the question was read where it could be read more than one way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Every token of the question with what it was read as.
    #[serde(skip)]
    pub words: Vec<Word>,
}

fn is_list(i: &Intent) -> bool {
    *i == Intent::List
}

/// A clock time placed on a day: `[start, end)` when a range was said, else a point with an
/// optional stated length ("at 10 for an hour").
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClockWindow {
    /// The instant said.
    pub start: DateTime<Tz>,
    /// The end of a range ("from 2 to 4pm").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Tz>>,
    /// A length said after it ("for an hour").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_minutes: Option<u32>,
    /// The words, as written ("at 3pm").
    pub phrase: String,
}

/// One token of the question and how it was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Word {
    /// The token as written.
    pub text: String,
    /// What it was read as.
    pub role: Role,
}

/// What a token was read as. Every token gets exactly one role; `Ignored` and `Unknown` words
/// are always named in [`Question::notes`], so no word is dropped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Part of a time phrase or clock time.
    Time,
    /// Part of a person's name or a list of people.
    Person,
    /// Searched for in the events' texts.
    Topic,
    /// A question word, pronoun, preposition, politeness, or a generic calendar noun.
    Filler,
    /// Said what is asked for ("next", "how many", "free", "cancel").
    Intent,
    /// Punctuation and numbers outside time phrases.
    Punct,
    /// Content read but not used (a second topic, words of a free-time question); noted.
    Ignored,
    /// Content in a question with no calendar reading; noted.
    Unknown,
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
    let Times { mut timed, clock, window } = find_times(question, &tokens, now);
    let names_timed = timed.clone();
    let mut reader = Reader::new(question, &tokens, &names_timed);
    reader.read();
    let Reader { people, topic, mut roles, mut notes, lenient, .. } = reader;
    let availability = avail::read(&tokens, &timed);
    // A meeting length ("two hours", "for 30 minutes") belongs to the time of the question.
    if let Some((first, end)) = avail::duration_span(&tokens, &timed) {
        let lead = first.checked_sub(1).filter(|&p| tokens[p].lower == "for" && roles[p].is_none());
        for k in lead.unwrap_or(first)..end.min(tokens.len()) {
            if roles[k].is_none() {
                timed[k] = true;
            }
        }
    }
    let claimed: Vec<bool> = (0..tokens.len()).map(|i| timed[i] || roles[i].is_some()).collect();
    let context = intent::Context { free: availability.is_some(), clock: clock.is_some(), window: window.is_some() };
    let reading = intent::read(&tokens, &claimed, context);
    for &i in &reading.words {
        if let Some(r) = roles.get_mut(i).filter(|r| r.is_none() && !timed[i]) {
            *r = Some(Role::Intent);
        }
    }
    let content = classify_rest(&tokens, &timed, &mut roles);
    let anchored = window.is_some()
        || clock.is_some()
        || !people.is_empty()
        || topic.is_some()
        || reading.intent != Intent::List
        || names_the_calendar(&tokens, &roles);
    let mut rest = Rest { tokens: &tokens, content: &content, roles: &mut roles, notes: &mut notes };
    let (mut intent, topic) = if !anchored {
        rest.not_understood();
        (Intent::NotUnderstood, topic)
    } else if availability.is_some() && reading.intent != Intent::Unsupported {
        // A free-time question has no topic ("find time about…" is not a filter on free time).
        rest.ignored();
        (reading.intent, None)
    } else {
        (reading.intent, rest.topic(topic, lenient))
    };
    let clock = clock.and_then(|c| {
        let (placed, note) = place_clock(&c, window.as_ref(), now, text_of(question, &tokens, c.first, c.end)?);
        notes.extend(note);
        placed
    });
    // A clock time that could not be placed (beside a window of several days) asks for free
    // time in the window.
    if intent == Intent::FreeAt && clock.is_none() {
        intent = Intent::Free;
    }
    let words =
        tokens.iter().zip(roles).map(|(t, r)| Word { text: t.text.clone(), role: r.unwrap_or(Role::Punct) }).collect();
    Ok(Question { people, window, topic, availability, intent, clock, action: reading.action, notes, words })
}

/// The question's text from token `first` to the end of token `end - 1`.
fn text_of(q: &str, tokens: &[Token], first: usize, end: usize) -> Option<String> {
    let start = tokens.get(first)?.start;
    let stop = tokens.get(end.checked_sub(1)?)?.end;
    Some(q.get(start..stop)?.to_string())
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
