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

use std::collections::{HashMap, HashSet};

use super::fold::{self, Folded};
use super::nicknames::NicknameTable;
use super::{Candidate, Contact, ContactsError, Resolution, ResolveRequest};

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
    /// Indexes `contacts`; a UID seen twice keeps its first contact (the same card synced into two
    /// address books would otherwise always look ambiguous).
    pub fn new(contacts: Vec<Contact>) -> Self {
        let table = NicknameTable::builtin();
        let mut index = ContactIndex {
            entries: Vec::with_capacity(contacts.len()),
            vocab: HashMap::new(),
            words: Vec::new(),
            words_by_len: Vec::new(),
            emails: HashMap::new(),
            locals: HashMap::new(),
            searchable_locals: Vec::new(),
            full_names: HashMap::new(),
            any_order_names: HashMap::new(),
            whole_nicknames: HashMap::new(),
        };
        let mut seen_uids: HashSet<String> = HashSet::new();
        let mut searchable: HashSet<String> = HashSet::new();

        for contact in contacts {
            if index.entries.len() >= u32::MAX as usize || !seen_uids.insert(contact.uid.clone()) {
                continue;
            }
            let id = index.entries.len() as u32;
            let name_tokens = fold::tokens(&contact.name, MAX_NAME_SLOTS);
            let slots = build_slots(&contact, &name_tokens);

            // Whole-name keys.
            push_key(&mut index.full_names, fold::join_primary(&name_tokens), id);
            if let Some(alt) = fold::join_alt(&name_tokens) {
                push_key(&mut index.full_names, alt, id);
            }
            for key in any_order_keys(&name_tokens, &slots) {
                push_key(&mut index.any_order_names, key, id);
            }
            for nick in &contact.nicknames {
                let tokens = fold::tokens(nick, MAX_QUERY_TOKENS);
                push_key(&mut index.whole_nicknames, fold::join_primary(&tokens), id);
                if let Some(alt) = fold::join_alt(&tokens) {
                    push_key(&mut index.whole_nicknames, alt, id);
                }
            }

            // Words and nickname expansions.
            for (slot_no, slot) in slots.iter().enumerate() {
                let slot_no = slot_no as u16;
                for word in slot.word.variants() {
                    push_posting(&mut index.vocab, word, id, slot_no, Via::Word(slot.kind));
                }
                if matches!(slot.kind, SlotKind::Given | SlotKind::Nickname) {
                    for related in table.related(&slot.word.primary) {
                        push_posting(&mut index.vocab, related, id, slot_no, Via::Table);
                    }
                }
            }

            // Emails.
            for (i, email) in contact.emails.iter().enumerate() {
                let Ok(i) = u16::try_from(i) else { break };
                let slot = EMAIL_SLOT_BASE.saturating_add(i);
                let folded = fold::fold_email(email);
                let local = folded.split('@').next().unwrap_or("").to_string();
                push_pair(&mut index.emails, folded.clone(), id, slot);
                if !local.is_empty() {
                    if usize::from(i) < MAX_EMAILS_SEARCHED && searchable.insert(local.clone()) {
                        index.searchable_locals.push(local.clone());
                    }
                    push_pair(&mut index.locals, local, id, slot);
                }
            }

            let sort_name = fold::join_primary(&name_tokens);
            index.entries.push(Entry { contact, sort_name, slots });
        }

        // Sorted own spellings for prefix search, bucketed by length for near-misses.
        let mut words: Vec<String> = index
            .vocab
            .iter()
            .filter(|(_, postings)| postings.iter().any(|p| matches!(p.via, Via::Word(_))))
            .map(|(w, _)| w.clone())
            .collect();
        words.sort_unstable();
        let mut by_len: Vec<Vec<u32>> = vec![Vec::new(); fold::MAX_TOKEN_CHARS + 1];
        for (i, w) in words.iter().enumerate() {
            if let Some(bucket) = by_len.get_mut(w.len()) {
                bucket.push(i as u32);
            }
        }
        index.words = words;
        index.words_by_len = by_len;
        index
    }

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

    /// Every contact scoring at least [`MIN_CANDIDATE_SCORE`], unsorted.
    fn rank(&self, query: &str) -> Vec<(u32, u32, MatchKind)> {
        let mut whole: HashMap<u32, (u32, MatchKind)> = HashMap::new();
        let raw = query.trim();
        let lower = fold::fold_email(raw);
        let single_word = !raw.chars().any(char::is_whitespace);

        if single_word && lower.contains('@') {
            // An address: exact, or the same mailbox at another domain.
            for &(id, _) in self.emails.get(&lower).into_iter().flatten() {
                better(&mut whole, id, S_EMAIL, MatchKind::Email);
            }
            if whole.is_empty() {
                let local = lower.split('@').next().unwrap_or("");
                for &(id, _) in self.locals.get(local).into_iter().flatten() {
                    better(&mut whole, id, S_TOKEN, MatchKind::Email);
                }
            }
            return whole.into_iter().map(|(id, (score, kind))| (id, score, kind)).collect();
        }
        if single_word && lower.contains(|c: char| !c.is_alphanumeric()) {
            // A local part with punctuation ("j.garcia") that tokenising would split; plain words
            // reach local parts through the token path, where name words win ties.
            for &(id, _) in self.locals.get(&lower).into_iter().flatten() {
                better(&mut whole, id, S_TOKEN, MatchKind::Email);
            }
        }

        let tokens = fold::tokens(raw, MAX_QUERY_TOKENS);
        if !tokens.is_empty() {
            let mut keys = vec![fold::join_primary(&tokens)];
            keys.extend(fold::join_alt(&tokens));
            for key in &keys {
                for &id in self.full_names.get(key).into_iter().flatten() {
                    better(&mut whole, id, S_FULL_NAME, MatchKind::Name);
                }
                for &id in self.whole_nicknames.get(key).into_iter().flatten() {
                    better(&mut whole, id, S_NICKNAME_WHOLE, MatchKind::Nickname);
                }
            }
            if tokens.len() > 1 {
                let mut sorted = vec![fold::sorted_key(tokens.iter().map(|t| t.primary.as_str()))];
                if tokens.iter().any(|t| t.alt.is_some()) {
                    sorted.push(fold::sorted_key(tokens.iter().map(|t| t.alt.as_deref().unwrap_or(&t.primary))));
                }
                for key in &sorted {
                    for &id in self.any_order_names.get(key).into_iter().flatten() {
                        better(&mut whole, id, S_ANY_ORDER, MatchKind::Name);
                    }
                }
            }
        }

        let hits = self.token_hits(&tokens);

        let mut ids: Vec<u32> = whole.keys().copied().collect();
        ids.extend(hits.keys().copied().filter(|id| !whole.contains_key(id)));
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(entry) = self.entry(id) else {
                continue;
            };
            let by_tokens = hits.get(&id).and_then(|h| combine(h, &tokens, &entry.slots));
            let best = match (whole.get(&id).copied(), by_tokens) {
                (Some(w), Some(t)) if t.0 > w.0 => Some(t),
                (Some(w), _) => Some(w),
                (None, t) => t,
            };
            if let Some((score, kind)) = best
                && score >= MIN_CANDIDATE
            {
                out.push((id, score.min(1000), kind));
            }
        }
        out
    }

    /// Per contact, every way each query token matches one of its words or emails.
    fn token_hits(&self, tokens: &[Folded]) -> HashMap<u32, Vec<Hit>> {
        let mut hits: HashMap<u32, Vec<Hit>> = HashMap::new();
        for (t, token) in tokens.iter().enumerate() {
            let t = t as u8;
            for variant in token.variants() {
                self.exact_hits(t, variant, &mut hits);
                let len = variant.len();
                if len >= 2 {
                    self.prefix_hits(t, variant, &mut hits);
                }
                if len >= MIN_FUZZY_LEN {
                    self.fuzzy_hits(t, variant, &mut hits);
                    self.email_part_hits(t, variant, &mut hits);
                }
            }
        }
        hits
    }

    /// Exact words (own spellings and nickname-table relations) and exact local parts.
    fn exact_hits(&self, t: u8, word: &str, hits: &mut HashMap<u32, Vec<Hit>>) {
        for p in self.vocab.get(word).into_iter().flatten() {
            let (score, kind) = match p.via {
                Via::Word(SlotKind::Given) => (S_TOKEN, MatchKind::GivenName),
                Via::Word(SlotKind::Family) => (S_TOKEN, MatchKind::FamilyName),
                Via::Word(SlotKind::Nickname) => (S_TOKEN, MatchKind::Nickname),
                Via::Word(SlotKind::Other) => (S_OTHER_TOKEN, MatchKind::Name),
                Via::Table => (S_TABLE, MatchKind::Nickname),
            };
            push_hit(hits, p.contact, Hit { token: t, slot: p.slot, score, kind });
        }
        for &(id, slot) in self.locals.get(word).into_iter().flatten() {
            push_hit(hits, id, Hit { token: t, slot, score: S_TOKEN, kind: MatchKind::Email });
        }
    }

    /// Words that start with the token ("chris" → christopher).
    fn prefix_hits(&self, t: u8, prefix: &str, hits: &mut HashMap<u32, Vec<Hit>>) {
        let start = self.words.partition_point(|w| w.as_str() < prefix);
        let words = self.words.get(start..).unwrap_or(&[]);
        for word in words.iter().take_while(|w| w.starts_with(prefix)).take(MAX_PREFIX_WORDS) {
            if word.len() == prefix.len() {
                continue;
            }
            let score = S_PREFIX + S_PREFIX_SPAN * prefix.len() as u32 / word.len() as u32;
            self.own_word_hits(t, word, score, MatchKind::Prefix, hits);
        }
    }

    /// Words within a small edit distance and high Jaro-Winkler similarity ("tuner" → turner).
    fn fuzzy_hits(&self, t: u8, token: &str, hits: &mut HashMap<u32, Vec<Hit>>) {
        let len = token.len();
        let max_edits = if len <= 4 { 1 } else { 2 };
        let lens = len.saturating_sub(max_edits)..=len + max_edits;
        for bucket in lens.filter_map(|l| self.words_by_len.get(l)) {
            for &i in bucket {
                let Some(word) = self.words.get(i as usize) else {
                    continue;
                };
                if word == token || strsim::osa_distance(token, word) > max_edits {
                    continue;
                }
                let jw = strsim::jaro_winkler(token, word);
                if jw < FUZZY_MIN_JW {
                    continue;
                }
                let scaled = ((jw - FUZZY_MIN_JW) / (1.0 - FUZZY_MIN_JW)).clamp(0.0, 1.0);
                let score = S_FUZZY + (S_FUZZY_SPAN * scaled).round() as u32;
                self.own_word_hits(t, word, score, MatchKind::Fuzzy, hits);
            }
        }
    }

    /// Local parts containing the token ("garcia" in "jgarcia").
    fn email_part_hits(&self, t: u8, token: &str, hits: &mut HashMap<u32, Vec<Hit>>) {
        for local in &self.searchable_locals {
            if local.len() <= token.len() || !local.contains(token) {
                continue;
            }
            let score = S_EMAIL_PART + S_EMAIL_PART_SPAN * token.len() as u32 / local.len() as u32;
            for &(id, slot) in self.locals.get(local).into_iter().flatten() {
                if usize::from(slot.saturating_sub(EMAIL_SLOT_BASE)) < MAX_EMAILS_SEARCHED {
                    push_hit(hits, id, Hit { token: t, slot, score, kind: MatchKind::Email });
                }
            }
        }
    }

    /// Hits for the contacts whose own spelling is `word` (nickname-table expansions excluded,
    /// so "bo" is not a prefix match for Robert via "bob").
    fn own_word_hits(&self, t: u8, word: &str, score: u32, kind: MatchKind, hits: &mut HashMap<u32, Vec<Hit>>) {
        for p in self.vocab.get(word).into_iter().flatten() {
            if matches!(p.via, Via::Word(_)) {
                push_hit(hits, p.contact, Hit { token: t, slot: p.slot, score, kind });
            }
        }
    }
}

/// The token score of one contact: each query token paired with a different slot, best pairs
/// first; single-letter tokens may then pair with a word's initial; mean over all tokens.
fn combine(hits: &[Hit], tokens: &[Folded], slots: &[Slot]) -> Option<(u32, MatchKind)> {
    if tokens.is_empty() {
        return None;
    }
    let mut sorted: Vec<Hit> = hits.to_vec();
    sorted.sort_by(|a, b| {
        b.score.cmp(&a.score).then(a.kind.tie_rank().cmp(&b.kind.tie_rank())).then(a.token.cmp(&b.token))
    });
    let mut token_used = vec![false; tokens.len()];
    let mut slots_used: HashSet<u16> = HashSet::new();
    let mut paired: Vec<Hit> = Vec::new();
    for hit in sorted {
        let Some(used) = token_used.get_mut(usize::from(hit.token)) else {
            continue;
        };
        if *used || slots_used.contains(&hit.slot) {
            continue;
        }
        *used = true;
        slots_used.insert(hit.slot);
        paired.push(hit);
    }
    if paired.is_empty() {
        return None;
    }
    if tokens.len() > 1 {
        for (t, token) in tokens.iter().enumerate() {
            let is_initial = token.primary.len() == 1;
            if !is_initial || token_used.get(t).copied().unwrap_or(true) {
                continue;
            }
            let free = slots.iter().enumerate().find(|(s, slot)| {
                slot.kind != SlotKind::Nickname
                    && !slots_used.contains(&(*s as u16))
                    && slot.word.primary.starts_with(token.primary.as_str())
                    && slot.word.primary.len() > 1
            });
            if let Some((s, _)) = free {
                slots_used.insert(s as u16);
                paired.push(Hit { token: t as u8, slot: s as u16, score: S_PREFIX, kind: MatchKind::Prefix });
            }
        }
    }
    let total: u32 = paired.iter().map(|h| h.score).sum();
    let score = total / tokens.len() as u32;
    // On equal scores the less name-like kind is the one worth reporting.
    let weakest = paired.iter().min_by_key(|h| (h.score, std::cmp::Reverse(h.kind.tie_rank())))?;
    let all_exact = paired.iter().all(|h| h.kind.is_exact_name_word());
    let one_kind = paired.iter().all(|h| h.kind == weakest.kind);
    let kind = if paired.len() > 1 && all_exact && !one_kind {
        // "William J" style mixes of given, middle and family words.
        MatchKind::Name
    } else {
        weakest.kind
    };
    Some((score, kind))
}

/// The contact's name words: N's given and family words, the rest of the display name, then
/// NICKNAME words; without N the display name's first word counts as given and its last as family.
fn build_slots(contact: &Contact, name_tokens: &[Folded]) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::new();
    let add = |word: Folded, kind: SlotKind, slots: &mut Vec<Slot>| {
        if let Some(existing) = slots.iter_mut().find(|s| s.word.primary == word.primary) {
            if kind.rank() > existing.kind.rank() {
                existing.kind = kind;
            }
        } else if slots.len() < MAX_NAME_SLOTS {
            slots.push(Slot { word, kind });
        }
    };
    let given = contact.given.as_deref().map(|g| fold::tokens(g, MAX_NAME_SLOTS)).unwrap_or_default();
    let family = contact.family.as_deref().map(|f| fold::tokens(f, MAX_NAME_SLOTS)).unwrap_or_default();
    let has_n = !given.is_empty() || !family.is_empty();
    for w in given {
        add(w, SlotKind::Given, &mut slots);
    }
    for w in family {
        add(w, SlotKind::Family, &mut slots);
    }
    let last = name_tokens.len().saturating_sub(1);
    for (i, w) in name_tokens.iter().enumerate() {
        let kind = if has_n {
            SlotKind::Other
        } else if i == 0 {
            SlotKind::Given
        } else if i == last {
            SlotKind::Family
        } else {
            SlotKind::Other
        };
        add(w.clone(), kind, &mut slots);
    }
    for nick in &contact.nicknames {
        for w in fold::tokens(nick, MAX_NAME_SLOTS) {
            add(w, SlotKind::Nickname, &mut slots);
        }
    }
    slots
}

/// Keys for "same words in any order": the display name's words, and given + family words.
fn any_order_keys(name_tokens: &[Folded], slots: &[Slot]) -> Vec<String> {
    let mut keys = Vec::new();
    if name_tokens.len() > 1 {
        keys.push(fold::sorted_key(name_tokens.iter().map(|t| t.primary.as_str())));
        if name_tokens.iter().any(|t| t.alt.is_some()) {
            keys.push(fold::sorted_key(name_tokens.iter().map(|t| t.alt.as_deref().unwrap_or(&t.primary))));
        }
    }
    let core: Vec<&Slot> = slots.iter().filter(|s| matches!(s.kind, SlotKind::Given | SlotKind::Family)).collect();
    let has_both = core.iter().any(|s| s.kind == SlotKind::Given) && core.iter().any(|s| s.kind == SlotKind::Family);
    if has_both {
        keys.push(fold::sorted_key(core.iter().map(|s| s.word.primary.as_str())));
        if core.iter().any(|s| s.word.alt.is_some()) {
            keys.push(fold::sorted_key(core.iter().map(|s| s.word.alt.as_deref().unwrap_or(&s.word.primary))));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Adds `id` under `key` once; empty keys are not indexed.
fn push_key(map: &mut HashMap<String, Vec<u32>>, key: String, id: u32) {
    if key.is_empty() {
        return;
    }
    // Contacts are indexed in id order, so a repeat can only be the last element.
    let list = map.entry(key).or_default();
    if list.last() != Some(&id) {
        list.push(id);
    }
}

/// Adds a (contact, slot) pair under `key`.
fn push_pair(map: &mut HashMap<String, Vec<(u32, u16)>>, key: String, id: u32, slot: u16) {
    // Contacts are indexed in id order, so a repeat can only be among the last elements.
    let list = map.entry(key).or_default();
    let repeat = list.iter().rev().take_while(|(c, _)| *c == id).any(|(_, s)| *s == slot);
    if !repeat {
        list.push((id, slot));
    }
}

/// Adds a posting under `word`, once per (contact, slot, via).
fn push_posting(map: &mut HashMap<String, Vec<Posting>>, word: &str, id: u32, slot: u16, via: Via) {
    if word.is_empty() {
        return;
    }
    let list = map.entry(word.to_string()).or_default();
    let dup = list.iter().rev().take_while(|p| p.contact == id).any(|p| p.slot == slot && p.via == via);
    if !dup {
        list.push(Posting { contact: id, slot, via });
    }
}

/// Records a hit.
fn push_hit(hits: &mut HashMap<u32, Vec<Hit>>, id: u32, hit: Hit) {
    hits.entry(id).or_default().push(hit);
}

/// Keeps the better whole-query match for a contact.
fn better(map: &mut HashMap<u32, (u32, MatchKind)>, id: u32, score: u32, kind: MatchKind) {
    let slot = map.entry(id).or_insert((score, kind));
    if score > slot.0 {
        *slot = (score, kind);
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap: a panic is a failed test.
mod tests {
    use super::*;

    fn person(uid: &str, given: &str, family: &str) -> Contact {
        Contact {
            uid: uid.into(),
            name: format!("{given} {family}").trim().to_string(),
            given: (!given.is_empty()).then(|| given.to_string()),
            family: (!family.is_empty()).then(|| family.to_string()),
            nicknames: vec![],
            emails: vec![],
            phones: vec![],
            organization: None,
        }
    }

    fn ask(index: &ContactIndex, query: &str) -> Resolution {
        index.resolve(&ResolveRequest { query: query.into(), limit: Some(50) }).unwrap()
    }

    /// "uid score matched_on" of the top candidate.
    fn top(index: &ContactIndex, query: &str) -> String {
        let res = ask(index, query);
        let c = res.candidates.first().expect("a candidate");
        format!("{} {} {}", c.uid, c.score, c.matched_on)
    }

    #[test]
    fn index_is_send_sync_and_owned() {
        fn check<T: Send + Sync + 'static>() {}
        check::<ContactIndex>();
        check::<Contact>();
        check::<Resolution>();
    }

    #[test]
    fn empty_index_gives_empty_resolution() {
        let index = ContactIndex::new(vec![]);
        assert!(index.is_empty());
        let res = ask(&index, "Alice");
        assert_eq!(res, Resolution { query: "Alice".into(), resolved: None, ambiguous: false, candidates: vec![] });
    }

    #[test]
    fn duplicate_uids_keep_the_first() {
        let index = ContactIndex::new(vec![
            person("a", "Alice", "Walker"),
            person("a", "Alice", "Walker"),
            person("b", "Bob", "Stone"),
        ]);
        assert_eq!(index.len(), 2);
        let res = ask(&index, "alice");
        assert_eq!(res.candidates.len(), 1);
        assert_eq!(res.resolved.as_ref().map(|c| c.uid.as_str()), Some("a"));
    }

    #[test]
    fn scores_follow_the_documented_tiers() {
        let mut bob = person("bob", "Robert", "Smith");
        bob.nicknames = vec!["Bobby".into()];
        bob.emails = vec!["rsmith@example.com".into()];
        let index =
            ContactIndex::new(vec![bob, person("mj", "Mary Jane", "Watson"), person("chris", "Christopher", "Lee")]);
        assert_eq!(top(&index, "Robert Smith"), "bob 1 name");
        assert_eq!(top(&index, "smith, robert"), "bob 0.97 name");
        assert_eq!(top(&index, "Bobby"), "bob 0.95 nickname");
        assert_eq!(top(&index, "Robert"), "bob 0.9 given_name");
        assert_eq!(top(&index, "Smith"), "bob 0.9 family_name");
        assert_eq!(top(&index, "rsmith"), "bob 0.9 email");
        assert_eq!(top(&index, "RSmith@Example.com"), "bob 1 email");
        assert_eq!(top(&index, "Jane"), "mj 0.9 given_name");
        assert_eq!(top(&index, "Bob"), "bob 0.75 nickname");
        // 600 + 140 * 5 / 11 = 663
        assert_eq!(top(&index, "Chri"), "chris 0.65 prefix");
        assert_eq!(top(&index, "Bob Smith"), "bob 0.825 nickname");
        assert_eq!(top(&index, "R Smith"), "bob 0.75 prefix");
    }

    #[test]
    fn fuzzy_scores_stay_below_prefix_scores() {
        let index = ContactIndex::new(vec![person("w", "William", "Turner")]);
        let fuzzy = ask(&index, "Wiliam");
        let fuzzy = fuzzy.candidates.first().unwrap();
        assert_eq!((fuzzy.uid.as_str(), fuzzy.matched_on.as_str()), ("w", "fuzzy"));
        assert!((0.4..0.6).contains(&fuzzy.score), "{}", fuzzy.score);
        let prefix = ask(&index, "Wi");
        let prefix = prefix.candidates.first().unwrap();
        assert_eq!(prefix.matched_on, "prefix");
        assert!(prefix.score > fuzzy.score);
    }

    #[test]
    fn umlauts_match_either_spelling_on_either_side() {
        let index = ContactIndex::new(vec![
            person("ue", "Jürgen", "Müller"),
            person("plain", "Karl", "Moeller"),
            person("sasha", "Alexandra", "Ivanova"),
            person("jl", "Jean-Luc", "Picard"),
        ]);
        assert_eq!(top(&index, "Juergen Mueller"), "ue 1 name");
        assert_eq!(top(&index, "mueller juergen"), "ue 0.97 name");
        assert_eq!(top(&index, "Möller"), "plain 0.9 family_name");
        assert_eq!(top(&index, "Dr. Jürgen Müller"), "ue 1 name");
        assert_eq!(top(&index, "Sasha"), "sasha 0.75 nickname");
        assert_eq!(top(&index, "Jean Luc Picard"), "jl 1 name");
        assert_eq!(top(&index, "Jean-Luc"), "jl 0.9 given_name");
    }

    #[test]
    fn many_namesakes_are_ambiguous_and_ordered_by_uid() {
        let contacts: Vec<Contact> = (0..5_000).map(|i| person(&format!("u{i:04}"), "John", "Smith")).collect();
        let index = ContactIndex::new(contacts);
        let res = index.resolve(&ResolveRequest { query: "john smith".into(), limit: None }).unwrap();
        assert!(res.ambiguous);
        assert_eq!(res.resolved, None);
        let got: Vec<(&str, f64)> = res.candidates.iter().map(|c| (c.uid.as_str(), c.score)).collect();
        assert_eq!(got, vec![("u0000", 1.0), ("u0001", 1.0), ("u0002", 1.0), ("u0003", 1.0), ("u0004", 1.0)]);
    }

    #[test]
    fn contacts_round_trip_through_json_for_caching() {
        let mut c = person("x", "Zoë", "Durand");
        c.emails = vec!["zoe@example.fr".into()];
        let json = serde_json::to_string(&c).unwrap();
        let back: Contact = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn long_queries_only_use_the_first_tokens() {
        let index = ContactIndex::new(vec![person("a", "Alice", "Walker")]);
        let query = format!("alice {}", "zz ".repeat(80));
        let res = ask(&index, &query);
        // 1 of 8 tokens matched: 900 / 8 = 112 < 250.
        assert_eq!(res.candidates, vec![]);
    }

    #[test]
    fn queries_of_only_punctuation_or_titles_match_nothing() {
        let index = ContactIndex::new(vec![person("a", "Alice", "Walker")]);
        for q in ["!!!", "Dr.", "@", "-"] {
            let res = ask(&index, q);
            assert_eq!((res.resolved, res.ambiguous, res.candidates.len()), (None, false, 0), "{q}");
        }
    }
}
