//! Building a [`ContactIndex`]: each contact's name words (slots), its whole-name keys, the
//! postings of its words and their nickname-table relations, its emails, and the sorted
//! vocabulary that prefix and near-miss search walk.

use std::collections::{HashMap, HashSet};

use super::{
    ContactIndex, EMAIL_SLOT_BASE, Entry, MAX_EMAILS_SEARCHED, MAX_NAME_SLOTS, MAX_QUERY_TOKENS, Posting, Slot,
    SlotKind, Via,
};
use crate::contacts::Contact;
use crate::contacts::fold::{self, Folded};
use crate::contacts::nicknames::NicknameTable;

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
            index.add(contact, table, &mut searchable);
        }
        index.sort_words();
        index
    }

    /// Indexes one contact under the next id; `searchable` holds the local parts already
    /// listed for substring search.
    fn add(&mut self, contact: Contact, table: &NicknameTable, searchable: &mut HashSet<String>) {
        let id = self.entries.len() as u32;
        let name_tokens = fold::tokens(&contact.name, MAX_NAME_SLOTS);
        let slots = build_slots(&contact, &name_tokens);
        self.add_whole_names(id, &contact, &name_tokens, &slots);
        self.add_words(id, &slots, table);
        self.add_emails(id, &contact, searchable);
        let sort_name = fold::join_primary(&name_tokens);
        self.entries.push(Entry { contact, sort_name, slots });
    }

    /// Whole-name keys: the full name in order, in any order, and each NICKNAME value.
    fn add_whole_names(&mut self, id: u32, contact: &Contact, name_tokens: &[Folded], slots: &[Slot]) {
        push_key(&mut self.full_names, fold::join_primary(name_tokens), id);
        if let Some(alt) = fold::join_alt(name_tokens) {
            push_key(&mut self.full_names, alt, id);
        }
        for key in any_order_keys(name_tokens, slots) {
            push_key(&mut self.any_order_names, key, id);
        }
        for nick in &contact.nicknames {
            let tokens = fold::tokens(nick, MAX_QUERY_TOKENS);
            push_key(&mut self.whole_nicknames, fold::join_primary(&tokens), id);
            if let Some(alt) = fold::join_alt(&tokens) {
                push_key(&mut self.whole_nicknames, alt, id);
            }
        }
    }

    /// Words and nickname expansions: every spelling of every slot, and the nickname table's
    /// relations of given names and nicknames.
    fn add_words(&mut self, id: u32, slots: &[Slot], table: &NicknameTable) {
        for (slot_no, slot) in slots.iter().enumerate() {
            let slot_no = slot_no as u16;
            for word in slot.word.variants() {
                push_posting(&mut self.vocab, word, id, slot_no, Via::Word(slot.kind));
            }
            if matches!(slot.kind, SlotKind::Given | SlotKind::Nickname) {
                for related in table.related(&slot.word.primary) {
                    push_posting(&mut self.vocab, related, id, slot_no, Via::Table);
                }
            }
        }
    }

    /// Emails: the full address and its local part; the local parts of the first
    /// [`MAX_EMAILS_SEARCHED`] are also searched for substrings.
    fn add_emails(&mut self, id: u32, contact: &Contact, searchable: &mut HashSet<String>) {
        for (i, email) in contact.emails.iter().enumerate() {
            let Ok(i) = u16::try_from(i) else { break };
            let slot = EMAIL_SLOT_BASE.saturating_add(i);
            let folded = fold::fold_email(email);
            let local = folded.split('@').next().unwrap_or("").to_string();
            push_pair(&mut self.emails, folded.clone(), id, slot);
            if !local.is_empty() {
                if usize::from(i) < MAX_EMAILS_SEARCHED && searchable.insert(local.clone()) {
                    self.searchable_locals.push(local.clone());
                }
                push_pair(&mut self.locals, local, id, slot);
            }
        }
    }

    /// Sorted own spellings for prefix search, bucketed by length for near-misses.
    fn sort_words(&mut self) {
        let mut words: Vec<String> = self
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
        self.words = words;
        self.words_by_len = by_len;
    }
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
