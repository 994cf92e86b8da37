//! The tokens no reading claimed: each becomes time, filler, punctuation or content, and the
//! content words join the topic, are ignored (a free-time question) or are unknown (a question
//! with no calendar reading).

use super::Role;
use super::token::{Kind, Token};
use super::words;

/// Gives every token without a role one: time, filler, punctuation, or content (returned, in
/// order; provisionally `Topic`).
pub(super) fn classify_rest(tokens: &[Token], timed: &[bool], roles: &mut [Option<Role>]) -> Vec<usize> {
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
pub(super) fn names_the_calendar(tokens: &[Token], roles: &[Option<Role>]) -> bool {
    tokens.iter().zip(roles).any(|(t, r)| {
        t.kind == Kind::Word
            && ((*r == Some(Role::Filler) && words::is_calendar_noun(&t.lower))
                || (*r == Some(Role::Topic) && words::is_event_word(&t.lower)))
    }) || has_plain_question(tokens, roles)
}

/// The content words no reading claimed, and what becomes of them.
pub(super) struct Rest<'a> {
    pub(super) tokens: &'a [Token],
    pub(super) content: &'a [usize],
    pub(super) roles: &'a mut [Option<Role>],
    pub(super) notes: &'a mut Vec<String>,
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
    pub(super) fn not_understood(&mut self) {
        self.mark(Role::Unknown);
        let what = if self.content.is_empty() { "this".to_string() } else { format!("\"{}\"", self.said()) };
        self.notes.push(format!("Kenny did not understand {what} as a question about your calendar."));
    }

    /// A free-time question: the words are not used, and a note says so.
    pub(super) fn ignored(&mut self) {
        if !self.content.is_empty() {
            self.mark(Role::Ignored);
            self.notes.push(format!("Free time is not narrowed by words; \"{}\" was not used.", self.said()));
        }
    }

    /// The words join the topic (made singular); a lone capitalised word inside the sentence may
    /// have been meant as a name, and a note says how it was read.
    pub(super) fn topic(&mut self, topic: Option<String>, lenient: bool) -> Option<String> {
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
