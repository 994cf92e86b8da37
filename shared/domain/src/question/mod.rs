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
mod token;
mod when;
mod who;
mod words;

use std::collections::HashSet;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::error::ErrorCode;
pub use avail::Availability;
pub use intent::Intent;
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
    let mut reader = Reader {
        q: question,
        t: &tokens,
        names: Names { t: &tokens, timed: &names_timed },
        lenient: !question.chars().any(char::is_uppercase),
        people: Vec::new(),
        seen: HashSet::new(),
        topic: None,
        roles: vec![None; tokens.len()],
        notes: Vec::new(),
    };
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

/// The time a question names: which tokens are time words, its clock time, and its window.
struct Times {
    timed: Vec<bool>,
    clock: Option<clock::Clock>,
    window: Option<QuestionWindow>,
}

/// Finds the time phrases, then a clock time among the tokens no window-setting phrase holds.
/// "my week", "my day" stand for the current one only when no other phrase names a time
/// ("what's my day like tomorrow" is tomorrow); otherwise the first window-setting phrase wins.
fn find_times(question: &str, tokens: &[Token], now: DateTime<Tz>) -> Times {
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

/// Gives every token without a role one: time, filler, punctuation, or content (returned, in
/// order; provisionally `Topic`).
fn classify_rest(tokens: &[Token], timed: &[bool], roles: &mut [Option<Role>]) -> Vec<usize> {
    let mut content = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if roles[i].is_some() {
            continue;
        }
        roles[i] = Some(if timed[i] {
            Role::Time
        } else {
            match t.kind {
                Kind::Word if words::is_filler(&t.lower) || words::is_person_verb(&t.lower) => Role::Filler,
                Kind::Word => {
                    content.push(i);
                    Role::Topic
                }
                _ => Role::Punct,
            }
        });
    }
    content
}

/// A calendar noun ("meetings", "my calendar"), an event word ("yoga class", "dentist"), or a
/// plain calendar question ("what do I have", "what's on").
fn names_the_calendar(tokens: &[Token], roles: &[Option<Role>]) -> bool {
    tokens.iter().zip(roles).any(|(t, r)| {
        t.kind == Kind::Word
            && ((*r == Some(Role::Filler) && words::is_calendar_noun(&t.lower))
                || (*r == Some(Role::Topic) && words::is_event_word(&t.lower)))
    }) || has_plain_question(tokens, roles)
}

/// The content words no reading claimed, and what becomes of them.
struct Rest<'a> {
    tokens: &'a [Token],
    content: &'a [usize],
    roles: &'a mut [Option<Role>],
    notes: &'a mut Vec<String>,
}

impl Rest<'_> {
    fn said(&self) -> String {
        self.content.iter().filter_map(|&i| self.tokens.get(i)).map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    fn mark(&mut self, role: Role) {
        for &i in self.content {
            self.roles[i] = Some(role);
        }
    }

    /// No calendar reading at all: the words are unknown, and a note names them.
    fn not_understood(&mut self) {
        self.mark(Role::Unknown);
        let what = if self.content.is_empty() { "this".to_string() } else { format!("\"{}\"", self.said()) };
        self.notes.push(format!("Kenny did not understand {what} as a question about your calendar."));
    }

    /// A free-time question: the words are not used, and a note says so.
    fn ignored(&mut self) {
        if !self.content.is_empty() {
            self.mark(Role::Ignored);
            self.notes.push(format!("Free time is not narrowed by words; \"{}\" was not used.", self.said()));
        }
    }

    /// The words join the topic (made singular); a lone capitalised word inside the sentence may
    /// have been meant as a name, and a note says how it was read.
    fn topic(&mut self, topic: Option<String>, lenient: bool) -> Option<String> {
        if self.content.is_empty() {
            return topic;
        }
        let words: Vec<String> =
            self.content.iter().filter_map(|&i| self.tokens.get(i)).map(|t| stem(&t.text)).collect();
        let joined = words.join(" ");
        if let [i] = self.content[..]
            && !lenient
            && i > 0
            && let Some(t) = self.tokens.get(i)
            && t.capitalized
            && !t.text.chars().any(|c| c.is_ascii_digit())
            && !words::is_event_word(&t.lower)
        {
            self.notes.push(format!(
                "\"{}\" was searched for in the events' titles; to ask about a person, say \"with {}\".",
                t.text, t.text
            ));
        }
        Some(match topic {
            Some(t) => format!("{t} {joined}"),
            None => joined,
        })
    }
}

/// The question's text from token `first` to the end of token `end - 1`.
fn text_of(q: &str, tokens: &[Token], first: usize, end: usize) -> Option<String> {
    let start = tokens.get(first)?.start;
    let stop = tokens.get(end.checked_sub(1)?)?.end;
    Some(q.get(start..stop)?.to_string())
}

/// "what do I have", "what's on", "anything on": a calendar question without a calendar noun.
fn has_plain_question(tokens: &[Token], roles: &[Option<Role>]) -> bool {
    let filler = |i: usize, w: &str| {
        tokens.get(i).is_some_and(|t| t.kind == Kind::Word && t.lower == w) && roles.get(i) == Some(&Some(Role::Filler))
    };
    (0..tokens.len()).any(|i| {
        (matches!(tokens[i].lower.as_str(), "have" | "got") && (filler(i + 1, "anything") || filler(i + 1, "on")))
            || (filler(i, "what's") && filler(i + 1, "on"))
            || ((filler(i, "what") || filler(i, "anything")) && (filler(i + 1, "on") || filler(i + 2, "have")))
    })
}

/// A topic word as searched: plurals made singular, so "standups" finds "Team standup"
/// (matching is by word prefix, so the singular also finds the plural).
fn stem(word: &str) -> String {
    let lower = word.to_lowercase();
    let cut = if lower.len() <= 3 || !word.is_ascii() {
        0
    } else if lower.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    } else if ["sses", "shes", "ches", "xes"].iter().any(|s| lower.ends_with(s)) {
        2
    } else if lower.ends_with('s') && !["ss", "us", "is", "'s"].iter().any(|s| lower.ends_with(s)) {
        1
    } else {
        0
    };
    word[..word.len() - cut].to_string()
}

/// Places a clock time on the day it belongs to: the window's day when the window is one day;
/// without a window, today if the time is still ahead, else tomorrow (and a note says which).
/// A clock time beside a window of several days is not applied (a note says so).
fn place_clock(
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
    /// What each token was read as, where the pass decided it.
    roles: Vec<Option<Role>>,
    notes: Vec<String>,
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

    /// Sets the topic from tokens `[from, to)`; the first topic wins, a later one is noted.
    fn topic_at(&mut self, from: usize, to: usize, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if self.topic.is_none() {
            self.topic = Some(text.to_string());
            self.claim(from, to, Role::Topic);
        } else {
            self.notes.push(format!("Only the first topic is searched for; \"{text}\" was not used."));
            self.claim(from, to, Role::Ignored);
        }
    }

    /// Marks tokens `[from, to)` outside time phrases as `role`, where no role is set yet.
    fn claim(&mut self, from: usize, to: usize, role: Role) {
        for k in from..to.min(self.t.len()) {
            if !self.timed(k) && self.roles[k].is_none() {
                self.roles[k] = Some(role);
            }
        }
    }

    /// Adds a list's names (read from token `from`) and returns where it ended.
    fn take(&mut self, from: usize, list: who::List) -> usize {
        for name in &list.names {
            self.add_person(name);
        }
        if !list.names.is_empty() {
            self.claim(from, list.end, Role::Person);
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
                self.topic_at(i, i + 1, &tok.text);
                return i + 1;
            }
            Kind::Email => {
                self.add_person(&tok.text);
                self.claim(i, i + 1, Role::Person);
                return i + 1;
            }
            Kind::Word => {}
            _ => return i + 1,
        }
        if let Some(k) = self.topic_marker(i) {
            self.claim(i, k, Role::Filler);
            return self.read_topic(k);
        }
        let caps = !self.lenient;
        let w = self.w(i);
        match w {
            "with" | "w/" => {
                let list = self.names.list(i + 1, false);
                let mut end = self.take(i + 1, list);
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
                    end = self.take(k, more);
                }
            }
            "between" => {
                if words::is_self(self.w(i + 1)) && self.names.is_sep(i + 2) {
                    let list = self.names.list(self.names.skip_seps(i + 2), false);
                    return self.take(i + 1, list);
                }
                let list = self.names.list(i + 1, false);
                let end = self.take(i + 1, list);
                let after = self.names.followed_by_self(end).unwrap_or(end);
                if end > i + 1 {
                    self.claim(end, after, Role::Person);
                }
                return after;
            }
            // "what works for Sarah and Bob", "is 3pm good for Tom".
            "for"
                if matches!(
                    i.checked_sub(1).map_or("", |p| self.w(p)),
                    "works" | "work" | "good" | "best" | "ok" | "okay" | "fine" | "convenient" | "suits" | "suit"
                ) =>
            {
                let list = self.names.list(i + 1, caps);
                return self.take(i + 1, list);
            }
            "talk" | "talking" | "speak" | "speaking" if self.w(i + 1) == "to" => {
                let list = self.names.list(i + 2, caps);
                return self.take(i + 2, list);
            }
            "meeting"
                if matches!(
                    i.checked_sub(1).map_or("", |p| self.w(p)),
                    "i" | "we" | "i'm" | "we're" | "am" | "are" | "is"
                ) =>
            {
                let list = self.names.list(i + 1, caps);
                return self.take(i + 1, list);
            }
            _ if words::is_auxiliary(w) => {
                // "does Tom have…", "is Tom free…", "is Tom's meeting…", "can Alice, Bob and I meet…"
                let list = self.names.list(i + 1, caps);
                let mut after = self.names.followed_by_self(list.end).unwrap_or(list.end);
                // "can Sarah, Tom and I all meet…"
                if matches!(self.w(after), "all" | "both") {
                    after += 1;
                }
                if list.possessive || words::is_presence_word(self.w(after)) {
                    let end = self.take(i + 1, list);
                    self.claim(end, after, Role::Person);
                    return end.max(after);
                }
                return list.end;
            }
            _ if words::is_person_verb(w) => {
                let list = self.names.list(i + 1, caps);
                return self.take(i + 1, list);
            }
            _ if words::is_self(w) && self.names.is_sep(i + 1) => {
                let list = self.names.list(self.names.skip_seps(i + 1), caps);
                return self.take(i, list);
            }
            _ => {}
        }
        // A name without a cue counts when it is possessive or next to the asker.
        let list = self.names.list(i, caps);
        if list.names.is_empty() {
            return i + 1;
        }
        if list.possessive || self.names.followed_by_self(list.end).is_some() {
            let end = list.end;
            let after = self.names.followed_by_self(end).unwrap_or(end);
            self.take(i, list);
            self.claim(end, after, Role::Person);
            return end;
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
            self.claim(k, j, Role::Filler);
            self.topic_at(j, j + 1, &text);
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
        self.claim(k, start, Role::Filler);
        if last > start
            && !generic
            && let (Some(a), Some(b)) = (self.t.get(start), self.t.get(last - 1))
            && let Some(text) = self.q.get(a.start..b.end)
        {
            self.topic_at(start, last, text);
        }
        // Generic words ("about my day") and trailing punctuation are filler.
        self.claim(start, j, Role::Filler);
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
