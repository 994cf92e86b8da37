//! The name matcher: [`ContactIndex`] turns a name as people say it into ranked contacts.
//!
//! # Scores
//! Every query is folded (case, accents, umlauts, punctuation, titles) and split into at most
//! [`MAX_QUERY_TOKENS`] tokens. A contact's score is the best of a whole-query match and a
//! token match:
//!
//! | match | score | `matched_on` |
//! |---|---|---|
//! | query is the full name, same word order | 1.00 | `name` |
//! | query is exactly one of the emails | 1.00 | `email` |
//! | query is the full name (or given + family) in any order | 0.97 | `name` |
//! | query is exactly one NICKNAME value | 0.95 | `nickname` |
//! | token = given name / family name / NICKNAME word | 0.90 | `given_name` / `family_name` / `nickname` |
//! | token = an email's local part ("jgarcia") | 0.90 | `email` |
//! | token = another word of the name (middle name) | 0.85 | `name` |
//! | token is a nickname of the given name, or vice versa (built-in table) | 0.75 | `nickname` |
//! | token is the start of a name word ("Chris", "Zo"), or an initial beside other words | 0.60–0.74 | `prefix` |
//! | token is inside an email's local part ("garcia" in "jgarcia") | 0.40–0.59 | `email` |
//! | token is a near-miss of a name word (Jaro-Winkler + edit distance) | 0.40–0.58 | `fuzzy` |
//!
//! With several tokens, each token is paired with a different word of the contact (best pairs
//! first) and the contact's token score is the mean over the query's tokens, an unmatched token
//! counting 0 — so "Alice Smith" scores 0.45 against Alice Jones. `matched_on` is then the kind
//! of the weakest paired token ("Bob Smith" → `nickname`), or `name` when all are exact name
//! words of different kinds ("Jean-Luc" stays `given_name`).
//! Contacts below [`MIN_CANDIDATE_SCORE`] are not candidates.
//!
//! # Resolution rule
//! `resolved` is the top candidate when it scores at least [`RESOLVE_MIN_SCORE`] and the
//! runner-up (if any) scores at least [`RESOLVE_MARGIN`] less. `ambiguous` is true when a
//! runner-up scores within [`RESOLVE_MARGIN`] of the top. So two Alices are ambiguous for
//! "Alice", while an exact given name (0.90) beats a table nickname (0.75) and an explicit
//! NICKNAME (0.95) beats both.
//!
//! # Bounded work
//! Exact words, nickname expansions, emails and whole names are hash lookups built once.
//! Prefixes walk a sorted word list (at most [`MAX_PREFIX_WORDS`] words per token); near-misses
//! scan only the distinct words within two letters of the token's length; email parts scan the
//! distinct local parts of each contact's first [`MAX_EMAILS_SEARCHED`] emails. Per query this is
//! linear in the index's vocabulary, never quadratic in contacts.
//!
//! # Layout
//! - this file: the constants, the index's types, and [`ContactIndex::resolve`] (ranking and the
//!   resolution rule).
//! - `index`: building the index — a contact's name words (slots), whole-name keys, postings,
//!   email parts, the sorted vocabulary.
//! - `score`: scoring one query — whole-query keys, then every token's exact, prefix,
//!   near-miss and email-part hits, combined per contact.

use std::collections::HashMap;

use super::{Candidate, Contact, ContactsError, Resolution, ResolveRequest};
use crate::contacts::fold::Folded;

mod index;
mod score;

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap: a panic is a failed test.
mod tests;

/// Most query tokens looked at; the rest of a long query is ignored.
pub const MAX_QUERY_TOKENS: usize = 8;
/// Most name words indexed per contact (name, N components, nicknames).
pub const MAX_NAME_SLOTS: usize = 32;
/// Emails per contact whose local parts are searched for substrings (all kept emails match exactly).
pub const MAX_EMAILS_SEARCHED: usize = 10;
/// Most vocabulary words one token's prefix search visits.
pub const MAX_PREFIX_WORDS: usize = 2_000;
/// A candidate must score at least this to be listed.
pub const MIN_CANDIDATE_SCORE: f64 = 0.25;
/// The top candidate must score at least this to be `resolved`.
pub const RESOLVE_MIN_SCORE: f64 = 0.5;
/// The lead the top candidate needs over the runner-up to be `resolved`; closer means `ambiguous`.
pub const RESOLVE_MARGIN: f64 = 0.15;

// Scores in thousandths, so comparisons are exact.
const S_FULL_NAME: u32 = 1000;
const S_EMAIL: u32 = 1000;
const S_ANY_ORDER: u32 = 970;
const S_NICKNAME_WHOLE: u32 = 950;
const S_TOKEN: u32 = 900;
const S_OTHER_TOKEN: u32 = 850;
const S_TABLE: u32 = 750;
const S_PREFIX: u32 = 600;
const S_PREFIX_SPAN: u32 = 140;
const S_EMAIL_PART: u32 = 400;
const S_EMAIL_PART_SPAN: u32 = 190;
const S_FUZZY: u32 = 400;
const S_FUZZY_SPAN: f64 = 180.0;
const MIN_CANDIDATE: u32 = 250;
const RESOLVE_MIN: u32 = 500;
const MARGIN: u32 = 150;

/// Jaro-Winkler similarity a near-miss needs.
const FUZZY_MIN_JW: f64 = 0.8;
/// Shortest token tried for near-misses and email parts.
const MIN_FUZZY_LEN: usize = 3;
/// Email slots are numbered from here so they never collide with name slots.
const EMAIL_SLOT_BASE: u16 = 1024;

/// What a name word of a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotKind {
    Given,
    Family,
    Nickname,
    Other,
}

impl SlotKind {
    /// Which kind wins when one word is both (e.g. in FN and in N).
    fn rank(self) -> u8 {
        match self {
            SlotKind::Given | SlotKind::Family => 3,
            SlotKind::Nickname => 2,
            SlotKind::Other => 1,
        }
    }
}

/// Why a contact matched, reported as `matched_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchKind {
    Name,
    GivenName,
    FamilyName,
    Nickname,
    Email,
    Prefix,
    Fuzzy,
}

impl MatchKind {
    /// The stable label used in responses.
    fn label(self) -> &'static str {
        match self {
            MatchKind::Name => "name",
            MatchKind::GivenName => "given_name",
            MatchKind::FamilyName => "family_name",
            MatchKind::Nickname => "nickname",
            MatchKind::Email => "email",
            MatchKind::Prefix => "prefix",
            MatchKind::Fuzzy => "fuzzy",
        }
    }

    /// Among equal scores, name words explain a match better than emails ("Alice" is
    /// Alice's given name even when her address is alice@…).
    fn tie_rank(self) -> u8 {
        match self {
            MatchKind::Name | MatchKind::GivenName | MatchKind::FamilyName => 0,
            MatchKind::Nickname => 1,
            MatchKind::Prefix | MatchKind::Fuzzy => 2,
            MatchKind::Email => 3,
        }
    }

    /// True for exact matches on words of the name.
    fn is_exact_name_word(self) -> bool {
        matches!(self, MatchKind::Name | MatchKind::GivenName | MatchKind::FamilyName)
    }
}

/// How a vocabulary word leads to a contact's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The word is the slot's own spelling.
    Word(SlotKind),
    /// The word is related to the slot by the nickname table.
    Table,
}

/// One vocabulary word's occurrence in one contact.
#[derive(Debug, Clone, Copy)]
struct Posting {
    contact: u32,
    slot: u16,
    via: Via,
}

/// One indexed word of a contact.
#[derive(Debug, Clone)]
struct Slot {
    word: Folded,
    kind: SlotKind,
}

/// A contact with what matching it needs.
#[derive(Debug)]
struct Entry {
    contact: Contact,
    /// Folded display name, for stable ordering of equal scores.
    sort_name: String,
    slots: Vec<Slot>,
}

/// One query token matched to one slot of one contact.
#[derive(Debug, Clone, Copy)]
struct Hit {
    token: u8,
    slot: u16,
    score: u32,
    kind: MatchKind,
}

/// Built once per process from all contacts; cheap to query many times (precompute folded names,
/// tokens, nickname expansions, email local parts).
#[derive(Debug)]
pub struct ContactIndex {
    entries: Vec<Entry>,
    /// Word → where it occurs (own spellings and nickname-table expansions).
    vocab: HashMap<String, Vec<Posting>>,
    /// Distinct own spellings, sorted, for prefix search.
    words: Vec<String>,
    /// Indexes into `words` by byte length, for near-miss search.
    words_by_len: Vec<Vec<u32>>,
    /// Full email → (contact, slot).
    emails: HashMap<String, Vec<(u32, u16)>>,
    /// Email local part → (contact, slot).
    locals: HashMap<String, Vec<(u32, u16)>>,
    /// Distinct local parts searched for substrings.
    searchable_locals: Vec<String>,
    /// Folded full name, in order → contacts.
    full_names: HashMap<String, Vec<u32>>,
    /// Folded full name (or given + family), words sorted → contacts.
    any_order_names: HashMap<String, Vec<u32>>,
    /// Folded NICKNAME value → contacts.
    whole_nicknames: HashMap<String, Vec<u32>>,
}

impl ContactIndex {
    /// Number of indexed contacts (after removing repeated UIDs).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is nobody to resolve to.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The indexed contacts, in input order, for listings and diagnostics.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.entries.iter().map(|e| &e.contact)
    }

    /// Ranks contacts for the request's query (scores in the module docs). `resolved` is the top
    /// candidate when it scores at least 0.50 and leads the runner-up by at least 0.15;
    /// `ambiguous` is true when a runner-up is within 0.15 of the top. No match is not an error:
    /// it is `resolved: None, ambiguous: false, candidates: []`.
    pub fn resolve(&self, request: &ResolveRequest) -> Result<Resolution, ContactsError> {
        let limit = request.validate()?;
        let mut ranked = self.rank(&request.query);
        ranked.sort_by(|a, b| {
            b.1.cmp(&a.1).then_with(|| {
                let (ea, eb) = (self.entry(a.0), self.entry(b.0));
                match (ea, eb) {
                    (Some(ea), Some(eb)) => {
                        ea.sort_name.cmp(&eb.sort_name).then_with(|| ea.contact.uid.cmp(&eb.contact.uid))
                    }
                    _ => a.0.cmp(&b.0),
                }
            })
        });

        let top = ranked.first().map(|r| r.1);
        let second = ranked.get(1).map(|r| r.1);
        let ambiguous = match (top, second) {
            (Some(top), Some(second)) => top.saturating_sub(second) < MARGIN,
            _ => false,
        };

        let candidates: Vec<Candidate> = ranked
            .iter()
            .take(limit)
            .filter_map(|&(id, score, kind)| {
                let entry = self.entry(id)?;
                Some(candidate(&entry.contact, score, kind))
            })
            .collect();
        let resolved = match top {
            Some(top) if !ambiguous && top >= RESOLVE_MIN => candidates.first().cloned(),
            _ => None,
        };
        Ok(Resolution { query: request.query.clone(), resolved, ambiguous, candidates })
    }

    /// The entry for an internal id.
    fn entry(&self, id: u32) -> Option<&Entry> {
        self.entries.get(id as usize)
    }
}

/// The response form of a scored contact.
fn candidate(contact: &Contact, score: u32, kind: MatchKind) -> Candidate {
    Candidate {
        uid: contact.uid.clone(),
        name: contact.name.clone(),
        emails: contact.emails.clone(),
        phones: contact.phones.clone(),
        organization: contact.organization.clone(),
        score: f64::from(score) / 1000.0,
        matched_on: kind.label().to_string(),
    }
}
