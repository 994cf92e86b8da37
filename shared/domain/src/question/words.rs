//! Closed word lists the grammar consults: numbers, weekdays, months, parts of the day and the
//! words that can never be (part of) a person's name. All comparisons are on lower-case text
//! with `’` already folded to `'`.

use chrono::Weekday;

/// A cardinal number word, "one" to "thirty" (also "twenty-one" style).
pub(super) fn number_word(w: &str) -> Option<u32> {
    let n = match w {
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        _ => {
            let (tens, unit) = w.split_once('-')?;
            if tens != "twenty" {
                return None;
            }
            let u = number_word(unit).filter(|u| *u < 10)?;
            return Some(20 + u);
        }
    };
    Some(n)
}

/// An ordinal word, "first" to "thirty-first", for dates such as "December third".
pub(super) fn ordinal_word(w: &str) -> Option<u32> {
    let n = match w {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        "eleventh" => 11,
        "twelfth" => 12,
        "thirteenth" => 13,
        "fourteenth" => 14,
        "fifteenth" => 15,
        "sixteenth" => 16,
        "seventeenth" => 17,
        "eighteenth" => 18,
        "nineteenth" => 19,
        "twentieth" => 20,
        "thirtieth" => 30,
        "thirty-first" => 31,
        _ => {
            let unit = w.strip_prefix("twenty-")?;
            let u = ordinal_word(unit).filter(|u| *u < 10)?;
            return Some(20 + u);
        }
    };
    Some(n)
}

/// A weekday name; the flag is true for abbreviations ("fri"), which need a leading
/// preposition or modifier before they count as time words.
pub(super) fn weekday(w: &str) -> Option<(Weekday, bool)> {
    let d = match w {
        "monday" | "mondays" => (Weekday::Mon, false),
        "tuesday" | "tuesdays" => (Weekday::Tue, false),
        "wednesday" | "wednesdays" => (Weekday::Wed, false),
        "thursday" | "thursdays" => (Weekday::Thu, false),
        "friday" | "fridays" => (Weekday::Fri, false),
        "saturday" | "saturdays" => (Weekday::Sat, false),
        "sunday" | "sundays" => (Weekday::Sun, false),
        "mon" => (Weekday::Mon, true),
        "tue" | "tues" => (Weekday::Tue, true),
        "wed" => (Weekday::Wed, true),
        "thu" | "thur" | "thurs" => (Weekday::Thu, true),
        "fri" => (Weekday::Fri, true),
        "sat" => (Weekday::Sat, true),
        "sun" => (Weekday::Sun, true),
        _ => return None,
    };
    Some(d)
}

/// A month name (1–12); the flag is true for abbreviations ("dec"), which are names too
/// ("Jan") unless a day number or year makes them a date.
pub(super) fn month(w: &str) -> Option<(u32, bool)> {
    let m = match w {
        "january" => (1, false),
        "february" => (2, false),
        "march" => (3, false),
        "april" => (4, false),
        "may" => (5, false),
        "june" => (6, false),
        "july" => (7, false),
        "august" => (8, false),
        "september" => (9, false),
        "october" => (10, false),
        "november" => (11, false),
        "december" => (12, false),
        "jan" => (1, true),
        "feb" => (2, true),
        "mar" => (3, true),
        "apr" => (4, true),
        "jun" => (6, true),
        "jul" => (7, true),
        "aug" => (8, true),
        "sep" | "sept" => (9, true),
        "oct" => (10, true),
        "nov" => (11, true),
        "dec" => (12, true),
        _ => return None,
    };
    Some(m)
}

/// A part of the day and its local hours `[from, to)`; 24 means the next midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// 09:00–12:00.
    Morning,
    /// 12:00–17:00.
    Afternoon,
    /// 17:00–21:00.
    Evening,
    /// 18:00–24:00 ("tonight", "tomorrow night").
    Night,
}

impl Part {
    /// The word for a part of the day.
    pub(super) fn from_word(w: &str) -> Option<Part> {
        match w {
            "morning" => Some(Part::Morning),
            "afternoon" => Some(Part::Afternoon),
            "evening" => Some(Part::Evening),
            "night" => Some(Part::Night),
            _ => None,
        }
    }

    /// Local start and end hours.
    pub(super) fn hours(self) -> (u32, u32) {
        match self {
            Part::Morning => (9, 12),
            Part::Afternoon => (12, 17),
            Part::Evening => (17, 21),
            Part::Night => (18, 24),
        }
    }
}

/// Words that end a topic ("about the budget do I have…", "re Q3 with Tom").
pub(super) fn ends_topic(w: &str) -> bool {
    matches!(
        w,
        "with"
            | "w/"
            | "between"
            | "please"
            | "pls"
            | "plz"
            | "thanks"
            | "do"
            | "does"
            | "did"
            | "is"
            | "are"
            | "was"
            | "were"
            | "am"
            | "will"
            | "would"
            | "can"
            | "could"
            | "should"
            | "have"
            | "has"
            | "had"
            | "that"
            | "which"
            | "who"
            | "where"
            | "when"
            | "i"
            | "i'm"
            | "i've"
    ) || is_topic_marker_word(w)
}

/// Single words that introduce a topic.
pub(super) fn is_topic_marker_word(w: &str) -> bool {
    matches!(w, "about" | "regarding" | "re" | "concerning" | "titled" | "entitled" | "called")
}

/// Words too generic to be a topic on their own ("tell me about my day").
pub(super) fn is_generic_topic(w: &str) -> bool {
    matches!(
        w,
        "day"
            | "days"
            | "week"
            | "weeks"
            | "month"
            | "schedule"
            | "calendar"
            | "agenda"
            | "meeting"
            | "meetings"
            | "events"
            | "event"
            | "plans"
            | "things"
            | "stuff"
            | "everything"
            | "anything"
            | "it"
            | "that"
            | "this"
            | "them"
            | "me"
            | "time"
            | "plate"
    )
}

/// Leading words dropped from a topic ("the budget" → "budget").
pub(super) fn is_article(w: &str) -> bool {
    matches!(w, "the" | "a" | "an" | "my" | "our" | "your" | "their" | "his" | "her" | "its")
}

/// Name particles that may stay lower-case inside a capitalised name ("Ludwig van Beethoven").
pub(super) fn is_particle(w: &str) -> bool {
    matches!(
        w,
        "van"
            | "von"
            | "de"
            | "der"
            | "den"
            | "del"
            | "della"
            | "da"
            | "di"
            | "du"
            | "la"
            | "le"
            | "ten"
            | "ter"
            | "bin"
            | "ibn"
            | "al"
            | "el"
            | "dos"
            | "das"
            | "y"
    )
}

/// Titles that may precede a name ("Dr. Smith").
pub(super) fn is_title(w: &str) -> bool {
    matches!(w, "dr" | "mr" | "mrs" | "ms" | "mx" | "prof")
}

/// Separators inside a list of people.
pub(super) fn is_list_word(w: &str) -> bool {
    matches!(w, "and" | "or" | "and/or" | "plus")
}

/// Words that refer to the asker ("between me and Tom", "Tom and I").
pub(super) fn is_self(w: &str) -> bool {
    matches!(w, "me" | "i" | "myself" | "us")
}

/// Words that can never be a name or part of one: sentence words, time words, calendar nouns.
/// Full month and weekday names are here (the brief: they are not names); abbreviations are
/// not ("Jan" is a name).
pub(super) fn is_name_stop(w: &str) -> bool {
    weekday(w).is_some_and(|(_, abbr)| !abbr)
        || month(w).is_some_and(|(_, abbr)| !abbr)
        || Part::from_word(w).is_some()
        || ends_topic(w)
        || matches!(
            w,
            // pronouns and determiners
            "me" | "my" | "mine" | "myself" | "we" | "us" | "our" | "ours" | "you" | "your" | "yours" | "he"
                | "him" | "his" | "she" | "her" | "hers" | "it" | "its" | "they" | "them" | "their" | "theirs"
                | "everyone" | "everybody" | "anyone" | "anybody" | "someone" | "somebody" | "nobody" | "noone"
                | "none" | "all" | "both" | "each" | "every" | "either" | "neither" | "other" | "others"
                | "people" | "team" | "the" | "a" | "an" | "this" | "these" | "those" | "some" | "any"
                | "no" | "not" | "another" | "such" | "what" | "whose" | "whom" | "whatever" | "anything"
                | "something" | "nothing" | "everything" | "one" | "ones"
                // prepositions and conjunctions
                | "on" | "in" | "at" | "for" | "to" | "from" | "of" | "by" | "during" | "over" | "under"
                | "until" | "till" | "til" | "through" | "thru" | "before" | "after" | "since" | "within"
                | "without" | "around" | "across" | "into" | "onto" | "via" | "per" | "than" | "like"
                | "near" | "towards" | "toward" | "against" | "among" | "except" | "and" | "or" | "and/or"
                | "plus" | "but" | "so" | "if" | "then" | "because" | "while" | "why" | "how" | "whether"
                | "as" | "nor" | "vs" | "versus"
                // verbs and auxiliaries
                | "be" | "been" | "being" | "having" | "done" | "doing" | "shall" | "may" | "might"
                | "must" | "show" | "list" | "tell" | "find" | "give" | "get" | "got" | "check" | "look"
                | "see" | "seeing" | "saw" | "seen" | "meet" | "meets" | "met" | "meeting" | "know" | "want"
                | "need" | "let" | "book" | "booked" | "schedule" | "scheduled" | "planned" | "set" | "arrange"
                | "arranged" | "organise" | "organised" | "organize" | "organized" | "cancel" | "cancelled"
                | "canceled" | "move" | "moved" | "going" | "coming" | "happening" | "left" | "remaining"
                | "upcoming" | "attend" | "attending" | "invited" | "talk" | "talking" | "speak" | "speaking"
                | "visit" | "visiting" | "call" | "calling" | "pull" | "display" | "fetch" | "search" | "go"
                // adverbs and fillers
                | "recently" | "soon" | "later" | "earlier" | "again" | "ever" | "yet" | "already" | "still"
                | "also" | "too" | "just" | "only" | "really" | "maybe" | "kindly" | "now" | "there" | "here"
                | "ok" | "okay" | "hey" | "hi" | "hello" | "thank" | "next" | "last" | "past" | "previous"
                | "following" | "rest" | "end" | "same" | "usual" | "regular" | "free" | "busy" | "available"
                | "availability" | "else" | "more" | "most" | "much" | "many" | "few" | "couple" | "several"
                // contractions
                | "what's" | "that's" | "it's" | "there's" | "here's" | "who's" | "where's" | "when's"
                | "how's" | "let's" | "he's" | "she's" | "we're" | "we've" | "we'll" | "you're" | "they're"
                | "i'll" | "i'd" | "don't" | "doesn't" | "didn't" | "isn't" | "aren't" | "wasn't" | "weren't"
                | "won't" | "can't" | "couldn't" | "shouldn't" | "wouldn't" | "haven't" | "hasn't" | "hadn't"
                // calendar nouns
                | "meetings" | "calls" | "event" | "events" | "appointment" | "appointments" | "appt"
                | "appts" | "calendar" | "calendars" | "schedules" | "agenda" | "agendas" | "sync" | "syncs"
                | "standup" | "standups" | "stand-up" | "stand-ups" | "one-on-one" | "one-on-ones" | "1:1"
                | "1:1s" | "lunch" | "lunches" | "dinner" | "dinners" | "breakfast" | "coffee" | "chat"
                | "chats" | "catchup" | "catch-up" | "session" | "sessions" | "review" | "reviews"
                | "interview" | "interviews" | "invite" | "invites" | "invitation" | "invitations"
                | "conference" | "workshop" | "demo" | "presentation" | "things" | "thing" | "stuff"
                | "plans" | "plan" | "time" | "times" | "day" | "days" | "week" | "weeks" | "weekend"
                | "weekends" | "month" | "months" | "year" | "years" | "hour" | "hours" | "minute"
                | "minutes" | "fortnight" | "tonight" | "today" | "tomorrow" | "tmrw" | "tmr"
                | "yesterday" | "noon" | "midnight" | "pm" | "p.m" | "a.m" | "o'clock" | "topic"
                | "subject" | "slot" | "slots" | "room" | "office" | "call-in" | "zoom" | "teams"
        )
}

/// Sentence words that are also first names: a name only when capitalised and followed by a
/// capitalised name word ("with Will Smith").
pub(super) fn is_soft_stop(w: &str) -> bool {
    matches!(w, "will")
}

/// Words after "does/is/will … NAME" that make NAME a person ("does Tom have", "is Tom free").
pub(super) fn is_presence_word(w: &str) -> bool {
    matches!(
        w,
        "have"
            | "has"
            | "got"
            | "attend"
            | "attending"
            | "meet"
            | "meeting"
            | "see"
            | "seeing"
            | "free"
            | "busy"
            | "available"
            | "join"
            | "joining"
            | "host"
            | "hosting"
            | "lead"
            | "leading"
            | "doing"
            | "in"
            | "off"
            | "out"
            | "away"
            | "around"
            | "need"
            | "want"
            | "do"
            | "make"
    )
}

/// Auxiliaries that can start a question about someone ("does Tom have…", "is Tom free…").
pub(super) fn is_auxiliary(w: &str) -> bool {
    matches!(
        w,
        "does" | "did" | "do" | "will" | "is" | "was" | "are" | "were" | "can" | "could" | "has" | "would" | "should"
    )
}

/// The words that, when a word can be a name only after them, make it one ("when do I see Tom").
pub(super) fn is_person_verb(w: &str) -> bool {
    matches!(
        w,
        "see"
            | "seeing"
            | "saw"
            | "seen"
            | "meet"
            | "meets"
            | "met"
            | "visit"
            | "visiting"
            | "visited"
            | "invite"
            | "inviting"
            | "call"
            | "calling"
            | "from"
            | "by"
    )
}

/// Words that carry no calendar content of their own: question words, pronouns, auxiliaries,
/// determiners, prepositions, politeness, and generic calendar nouns ("meetings", "calendar").
/// A word that is none of these, nor a time, a name or an intent word, is part of the topic.
pub(super) fn is_filler(w: &str) -> bool {
    is_calendar_noun(w)
        || is_article(w)
        || is_self(w)
        || is_auxiliary(w)
        || is_list_word(w)
        || matches!(
            w,
            // question words and contractions
            "what" | "what's" | "whats" | "which" | "who" | "who's" | "whom" | "whose" | "where" | "where's"
                | "how" | "how's" | "why" | "that's" | "it's" | "there's" | "here's" | "let's" | "lets"
                | "i'm" | "im" | "i've" | "ive" | "i'll" | "i'd" | "we're" | "we've" | "we'll" | "you're"
                | "they're" | "don't" | "dont" | "doesn't" | "didn't" | "isn't" | "aren't" | "wasn't"
                | "weren't" | "won't" | "can't" | "cant" | "couldn't" | "shouldn't" | "wouldn't"
                | "haven't" | "hasn't" | "hadn't" | "gonna" | "gotta" | "wanna"
                // pronouns and determiners
                | "mine" | "we" | "our" | "ours" | "you" | "your" | "yours" | "it" | "its" | "they" | "them"
                | "their" | "he" | "him" | "his" | "she" | "her" | "any" | "anything" | "anyone" | "anybody"
                | "some" | "something" | "someone" | "all" | "every" | "everything" | "each" | "this" | "that"
                | "these" | "those" | "there" | "here" | "other" | "else" | "another" | "one" | "ones" | "no"
                | "not" | "nothing" | "both" | "such" | "own"
                // auxiliaries and light verbs
                | "be" | "been" | "being" | "have" | "having" | "had" | "got" | "get" | "getting" | "am"
                | "shall" | "may" | "might" | "must" | "show" | "list" | "tell" | "give" | "find" | "check"
                | "look" | "looking" | "know" | "want" | "need" | "needs" | "like" | "see" | "going" | "go"
                | "happening" | "happen" | "planned" | "scheduled" | "booked" | "coming" | "come" | "left"
                | "remaining" | "upcoming" | "pull" | "display" | "fetch" | "search" | "lookup" | "spend"
                | "spent" | "spending" | "take" | "takes" | "took" | "taking" | "fill" | "filled"
                // prepositions and conjunctions
                | "on" | "in" | "at" | "for" | "to" | "of" | "from" | "by" | "with" | "w/" | "up" | "out"
                | "off" | "over" | "into" | "onto" | "about" | "around" | "so" | "but" | "if" | "then"
                | "than" | "as" | "or" | "per" | "via"
                // politeness and discourse
                | "please" | "pls" | "plz" | "kindly" | "thanks" | "thank" | "thx" | "kenny" | "hey" | "hi"
                | "hello" | "ok" | "okay" | "yes" | "yeah" | "just" | "also" | "again" | "still" | "yet"
                | "currently" | "actually" | "really" | "quick" | "quickly" | "um" | "uh" | "hmm" | "oh"
                | "well" | "now" | "ever" | "even" | "too" | "more" | "much" | "many" | "often" | "long"
                | "times" | "overall" | "whole" | "entire" | "full" | "rest" | "exactly" | "roughly"
                // count and free-time words the intent reader claims
                | "number" | "count" | "total" | "tally" | "free" | "available" | "availability" | "busy"
                | "slot" | "slots" | "opening" | "openings" | "gap" | "gaps" | "works" | "work" | "time"
                | "next" | "last" | "first" | "earliest" | "latest" | "soonest" | "previous" | "previously"
                | "lately" | "recent" | "recently" | "most" | "when" | "when's" | "whens" | "did" | "was"
                | "were" | "met" | "saw"
                // verbs and adjectives around times and events
                | "doing" | "end" | "ends" | "start" | "starts" | "begin" | "begins" | "finish" | "finishes"
                | "hour" | "hours" | "minute" | "minutes" | "mins" | "together" | "best" | "good" | "fine"
                | "convenient" | "day" | "week" | "happens" | "double" | "overbooked" | "conflicts"
                | "conflict" | "clash" | "clashes" | "overlapping" | "overlap" | "longest" | "shortest" | "date"
                // cues of names and titles
                | "between" | "talk" | "talking" | "speak" | "speaking" | "join" | "joining" | "attend"
                | "attending" | "dr" | "mr" | "mrs" | "ms" | "mx" | "prof"
        )
}

/// Generic words for calendar entries and the calendar itself: they make a question a calendar
/// question but say nothing about which events ("meetings", "my schedule", "on my plate").
pub(super) fn is_calendar_noun(w: &str) -> bool {
    matches!(
        w,
        "meeting"
            | "meetings"
            | "mtg"
            | "mtgs"
            | "event"
            | "events"
            | "appointment"
            | "appointments"
            | "appt"
            | "appts"
            | "calendar"
            | "calendars"
            | "cal"
            | "schedule"
            | "schedules"
            | "agenda"
            | "diary"
            | "plans"
            | "plan"
            | "plate"
            | "commitments"
            | "engagements"
            | "things"
            | "thing"
            | "stuff"
            | "call"
            | "calls"
            | "booked"
            | "scheduled"
            | "busy"
            | "free"
            | "available"
    )
}

/// Kinds of events people ask about by name ("yoga class", "dentist", "flight"): topic words,
/// and enough on their own to make a question a calendar question ("yoga class?"), where other
/// unknown words ("qwerty") are not.
pub(super) fn is_event_word(w: &str) -> bool {
    let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(w);
    matches!(
        w,
        "class"
            | "classe"
            | "lesson"
            | "session"
            | "lunch"
            | "lunche"
            | "dinner"
            | "breakfast"
            | "brunch"
            | "coffee"
            | "review"
            | "sync"
            | "standup"
            | "stand-up"
            | "interview"
            | "workshop"
            | "retro"
            | "demo"
            | "haircut"
            | "dentist"
            | "doctor"
            | "gym"
            | "yoga"
            | "practice"
            | "training"
            | "game"
            | "match"
            | "concert"
            | "flight"
            | "trip"
            | "conference"
            | "webinar"
            | "seminar"
            | "lecture"
            | "exam"
            | "birthday"
            | "anniversary"
            | "wedding"
            | "checkup"
            | "check-up"
            | "therapy"
            | "massage"
            | "workout"
            | "1:1"
            | "one-on-one"
            | "offsite"
            | "huddle"
            | "kickoff"
            | "kick-off"
            | "planning"
            | "presentation"
            | "meetup"
            | "hangout"
            | "drink"
            | "visit"
            | "vacation"
            | "holiday"
            | "pto"
            | "deadline"
            | "course"
            | "tutoring"
            | "recital"
            | "rehearsal"
            | "party"
            | "dance"
            | "swim"
            | "run"
            | "hike"
            | "appointment"
            | "catchup"
            | "catch-up"
            | "all-hands"
            | "town"
            | "postmortem"
            | "standupe"
            | "chat"
            | "briefing"
            | "debrief"
            | "onboarding"
            | "call"
            | "screening"
            | "ceremony"
            | "service"
            | "pickup"
            | "dropoff"
            | "school"
            | "daycare"
            | "vet"
            | "physio"
            | "physiotherapy"
            | "appt"
    )
}

/// Common misspellings and short forms of the grammar's own words, as people type them
/// ("tmrw", "tomorow", "nxt wk", "mtgs", "wensday").
pub(super) fn spelling(w: &str) -> Option<&'static str> {
    let fixed = match w {
        "tmrw" | "tmr" | "tmw" | "tmrow" | "2morrow" | "2moro" | "2mrw" | "tomoz" | "tomo" | "tommorow"
        | "tommorrow" | "tomorow" | "tomorro" | "tomrrow" | "tomorrw" | "tomrow" | "tommrow" => "tomorrow",
        "tonite" | "2nite" | "tonigth" => "tonight",
        "yday" | "yest" | "yesterady" | "yesteday" | "yesturday" => "yesterday",
        "nxt" => "next",
        "wk" | "wek" | "weeek" => "week",
        "wks" => "weeks",
        "wknd" | "weeknd" => "weekend",
        "mnth" | "mth" => "month",
        "mtng" | "meting" | "meeeting" | "meetign" | "metting" => "meeting",
        "mtngs" | "metings" | "meetigns" | "meetngs" | "meetins" | "mettings" | "meetinsg" => "meetings",
        "calender" | "calandar" | "calander" | "calnder" => "calendar",
        "shedule" | "schedual" | "scedule" | "schdule" => "schedule",
        "availble" | "avaliable" | "avail" | "availabe" | "avalable" => "available",
        "freee" => "free",
        "afternon" | "aftenoon" | "arvo" => "afternoon",
        "mornin" | "morining" | "moring" => "morning",
        "evenin" | "eveing" => "evening",
        "monady" => "monday",
        "tuseday" | "tusday" | "teusday" => "tuesday",
        "wensday" | "wendsday" | "wednesay" | "wednsday" | "wedensday" => "wednesday",
        "thrusday" | "thursay" | "thurday" => "thursday",
        "firday" | "fridy" | "frday" => "friday",
        "saturady" | "satruday" => "saturday",
        "sundy" => "sunday",
        "teh" => "the",
        "w" => "with",
        "wht" | "wat" => "what",
        "whens" => "when's",
        "whats" => "what's",
        "hw" => "how",
        _ => return None,
    };
    Some(fixed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ordinals() {
        assert_eq!(number_word("three"), Some(3));
        assert_eq!(number_word("twenty-one"), Some(21));
        assert_eq!(number_word("twenty-nine"), Some(29));
        assert_eq!(number_word("thirty"), Some(30));
        assert_eq!(number_word("thirty-one"), None);
        assert_eq!(number_word("twenty-twenty"), None);
        assert_eq!(ordinal_word("third"), Some(3));
        assert_eq!(ordinal_word("twenty-second"), Some(22));
        assert_eq!(ordinal_word("thirty-first"), Some(31));
        assert_eq!(ordinal_word("twenty-tenth"), None);
    }

    #[test]
    fn calendar_words() {
        assert_eq!(weekday("friday"), Some((Weekday::Fri, false)));
        assert_eq!(weekday("thurs"), Some((Weekday::Thu, true)));
        assert_eq!(weekday("fry"), None);
        assert_eq!(month("may"), Some((5, false)));
        assert_eq!(month("sept"), Some((9, true)));
        assert_eq!(Part::from_word("evening").map(Part::hours), Some((17, 21)));
        assert!(is_name_stop("monday"));
        assert!(is_name_stop("december"));
        assert!(!is_name_stop("jan"));
        assert!(!is_name_stop("sarah"));
        assert!(is_name_stop("about"));
    }
}
