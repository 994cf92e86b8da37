//! What a question asks for: a list (the default), the next or most recent occurrence, the first
//! or last one in a window, a count, free time, whether people are free at a time — or a change
//! Kenny cannot make.
//!
//! Intent words are read only outside time phrases, names and topics, so "next week" is a window
//! and "about the last quarter" a topic. The rules, first match wins:
//! 1. **unsupported**: a request to change the calendar. "cancel", "delete", "reschedule",
//!    "postpone", "decline", "remove", "rsvp" anywhere; "move", "schedule", "book", "invite",
//!    "accept", "add", "create", "set up", "put", "send", "change", "update", "push", "arrange",
//!    "organise", "plan", "remind", "block", "clear" … only where a command starts (first word, or
//!    after "please", "can you", "I want to", "let's", …), and "book"/"plan"/"schedule"/… only
//!    when an object follows ("book a room", not "book club").
//! 2. **free_at**: a free-time question (see the `avail` module), "busy", or "ok"/"good"/"work"
//!    ("is 2pm ok for Tom?"), with a clock time.
//! 3. **free**: a free-time question.
//! 4. **count**: "how many", "how much", "how often", "how busy", "number of", "count", "total".
//! 5. **next**: "next" (not "next week"), "soonest", "upcoming" before a singular noun ("my
//!    upcoming dentist appointment", not "upcoming meetings"); or a "when …" / "what time …" /
//!    "what's the date of …" question without a window.
//! 6. **last**: "last" (not "last week"), "latest", "most recent", "previous"; or "when did/was …"
//!    without a window. With a window, "last" is **last_in_window** unless the question is in the
//!    past tense ("when did I last see Tom this month"), which searches the window up to now.
//! 7. **first**: "first", "earliest".
//! 8. otherwise **list**. Whether a question has any calendar reading at all (else
//!    **not_understood**) is decided by the caller.

use super::token::{Kind, Token, word};

/// What the question asks for; `answer.intent` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// The matching events of the window.
    List,
    /// The first matching occurrence from now on.
    Next,
    /// The most recent matching occurrence before now.
    Last,
    /// The first matching event of the window.
    First,
    /// The last matching event of the window.
    LastInWindow,
    /// How many matching events, and the time they take.
    Count,
    /// Free slots for everyone asked about.
    Free,
    /// Whether each person is free at a given time, with what is in the way.
    FreeAt,
    /// No calendar reading: the answer says what Kenny can answer.
    NotUnderstood,
    /// A request to change the calendar, which Kenny does not do.
    Unsupported,
}

impl Intent {
    /// Every intent, for metrics and reports.
    pub const ALL: [Intent; 10] = [
        Intent::List,
        Intent::Next,
        Intent::Last,
        Intent::First,
        Intent::LastInWindow,
        Intent::Count,
        Intent::Free,
        Intent::FreeAt,
        Intent::NotUnderstood,
        Intent::Unsupported,
    ];

    /// The wire name ("last_in_window").
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::List => "list",
            Intent::Next => "next",
            Intent::Last => "last",
            Intent::First => "first",
            Intent::LastInWindow => "last_in_window",
            Intent::Count => "count",
            Intent::Free => "free",
            Intent::FreeAt => "free_at",
            Intent::NotUnderstood => "not_understood",
            Intent::Unsupported => "unsupported",
        }
    }

    /// True for intents that pick one event (`next`, `last`, `first`, `last_in_window`).
    pub fn picks_one(self) -> bool {
        matches!(self, Intent::Next | Intent::Last | Intent::First | Intent::LastInWindow)
    }
}

/// The intent and the tokens that said it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Reading {
    pub intent: Intent,
    /// Tokens read as intent words (and the action verb).
    pub words: Vec<usize>,
    /// The change asked for ("cancel"), for `unsupported`.
    pub action: Option<String>,
    /// The question is about the past ("when did I…"): a `last` search stops at now.
    pub past: bool,
}

/// What the rest of the question gave, for choosing the intent.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context {
    /// A free-time question (the `avail` module said so).
    pub free: bool,
    /// A clock time was said.
    pub clock: bool,
    /// A window was said.
    pub window: bool,
}

/// Verbs that change a calendar wherever they stand.
fn always_action(w: &str) -> bool {
    matches!(
        w,
        "cancel" | "delete" | "reschedule" | "postpone" | "decline" | "remove" | "rsvp" | "erase" | "unschedule"
    )
}

/// Verbs that change a calendar where a command starts; `true` when an object must follow.
fn command_action(w: &str) -> Option<bool> {
    match w {
        "book" | "plan" | "schedule" | "set" | "make" | "put" | "block" | "clear" | "drop" | "push" | "change"
        | "text" | "email" | "pencil" => Some(true),
        "move" | "invite" | "accept" | "add" | "create" | "send" | "update" | "shift" | "arrange" | "organise"
        | "organize" | "remind" | "notify" | "rename" | "edit" | "bump" | "reserve" => Some(false),
        _ => None,
    }
}

/// Words after which a command verb starts a command ("please move…", "can you book…").
fn command_lead(w: &str) -> bool {
    matches!(
        w,
        "" | "please"
            | "pls"
            | "plz"
            | "kindly"
            | "you"
            | "to"
            | "me"
            | "let's"
            | "lets"
            | "and"
            | "then"
            | "kenny"
            | "hey"
            | "hi"
            | "ok"
            | "okay"
            | "now"
            | "just"
            | "also"
            | "go"
    )
}

/// Objects that make "book/plan/schedule …" a command ("book a room", "schedule time with Tom").
fn command_object(w: &str) -> bool {
    matches!(
        w,
        "a" | "an"
            | "the"
            | "my"
            | "our"
            | "me"
            | "us"
            | "him"
            | "her"
            | "them"
            | "it"
            | "this"
            | "that"
            | "some"
            | "time"
            | "up"
            | "out"
            | "off"
            | "in"
            | "lunch"
            | "coffee"
            | "dinner"
            | "meeting"
            | "meetings"
            | "call"
            | "room"
            | "slot"
            | "everything"
            | "all"
    )
}

fn past_word(w: &str) -> bool {
    matches!(w, "did" | "was" | "were" | "had" | "met" | "saw" | "went" | "attended" | "happened" | "spoke" | "talked")
}

/// Reads the intent; `claimed[i]` is true for tokens of time phrases, names and topics.
pub(super) fn read(t: &[Token], claimed: &[bool], cx: Context) -> Reading {
    let open = |i: usize| !claimed.get(i).copied().unwrap_or(true);
    let word = |i: usize| word(t, i);
    // The word before `i`, skipping punctuation ("Kenny, cancel…").
    let before =
        |i: usize| (0..i).rev().find(|&k| t.get(k).is_some_and(|x| x.kind != Kind::Punct(','))).map_or("", word);
    let free_words: Vec<usize> = (0..t.len()).filter(|&i| open(i) && t[i].kind == Kind::Word).collect();
    let has = |f: &dyn Fn(&str) -> bool| free_words.iter().copied().filter(|&i| f(word(i))).collect::<Vec<_>>();
    let past = free_words.iter().any(|&i| past_word(word(i)));

    let action = free_words.iter().copied().find(|&i| {
        let w = word(i);
        always_action(w)
            || command_action(w)
                .is_some_and(|needs_object| command_lead(before(i)) && (!needs_object || command_object(word(i + 1))))
    });
    let reading = |intent: Intent, words: Vec<usize>| Reading { intent, words, action: None, past };
    if let Some(i) = action {
        let mut words = vec![i];
        if word(i) == "set" && word(i + 1) == "up" {
            words.push(i + 1);
        }
        return Reading { action: Some(word(i).to_string()), ..reading(Intent::Unsupported, words) };
    }
    // "am I busy at 2?", "is 2pm ok for Tom?", "does 3pm work?"
    let busy = has(&|w| matches!(w, "busy" | "ok" | "okay" | "good" | "fine" | "convenient" | "work" | "works"));
    if cx.free || (cx.clock && !busy.is_empty()) {
        let words = has(&|w| matches!(w, "free" | "available" | "availability" | "busy" | "slot" | "slots"));
        return reading(if cx.clock { Intent::FreeAt } else { Intent::Free }, words);
    }
    let how: Vec<usize> = free_words
        .iter()
        .copied()
        .filter(|&i| word(i) == "how" && matches!(word(i + 1), "many" | "much" | "often" | "busy"))
        .flat_map(|i| [i, i + 1])
        .chain(has(&|w| matches!(w, "count" | "total" | "number" | "tally")))
        .collect();
    if !how.is_empty() {
        return reading(Intent::Count, how);
    }
    let mut next = has(&|w| matches!(w, "next" | "soonest"));
    // "my upcoming dentist appointment", "upcoming meeting with Bob" (not "upcoming meetings").
    next.extend(free_words.iter().copied().filter(|&i| {
        word(i) == "upcoming"
            && !(i + 1..t.len()).take(3).map(word).take_while(|w| !w.is_empty()).any(|w| w.ends_with('s'))
    }));
    if !next.is_empty() {
        return reading(Intent::Next, next);
    }
    let mut last = has(&|w| matches!(w, "last" | "latest" | "previous" | "previously" | "lately"));
    for &i in &free_words {
        if word(i) == "most" && matches!(word(i + 1), "recent" | "recently") {
            last.extend([i, i + 1]);
        }
    }
    if !last.is_empty() {
        let intent = if cx.window && !past { Intent::LastInWindow } else { Intent::Last };
        return reading(intent, last);
    }
    let first = has(&|w| matches!(w, "first" | "earliest"));
    if !first.is_empty() {
        return reading(Intent::First, first);
    }
    let mut when = has(&|w| matches!(w, "when" | "when's" | "whens"));
    // "what time is my flight", "what day is the offsite".
    when.extend(free_words.iter().copied().filter(|&i| {
        let k = if word(i + 1) == "the" { i + 2 } else { i + 1 };
        matches!(word(i), "what" | "what's") && matches!(word(k), "time" | "day" | "date")
    }));
    if !when.is_empty() && !cx.window {
        return reading(if past { Intent::Last } else { Intent::Next }, when);
    }
    reading(Intent::List, Vec::new())
}
