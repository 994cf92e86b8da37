//! Scoring one query against the index: whole-query keys (full name, any order, NICKNAME value,
//! email), then each token's exact, prefix, near-miss and email-part hits, paired with a
//! contact's words and combined into its token score (the tiers are in the module docs).

use std::collections::{HashMap, HashSet};

use super::{
    ContactIndex, EMAIL_SLOT_BASE, FUZZY_MIN_JW, Hit, MAX_EMAILS_SEARCHED, MAX_PREFIX_WORDS, MAX_QUERY_TOKENS,
    MIN_CANDIDATE, MIN_FUZZY_LEN, MatchKind, S_ANY_ORDER, S_EMAIL, S_EMAIL_PART, S_EMAIL_PART_SPAN, S_FULL_NAME,
    S_FUZZY, S_FUZZY_SPAN, S_NICKNAME_WHOLE, S_OTHER_TOKEN, S_PREFIX, S_PREFIX_SPAN, S_TABLE, S_TOKEN, Slot, SlotKind,
    Via,
};
use crate::contacts::fold::{self, Folded};

impl ContactIndex {
    /// Every contact scoring at least [`MIN_CANDIDATE_SCORE`], unsorted.
    pub(super) fn rank(&self, query: &str) -> Vec<(u32, u32, MatchKind)> {
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
