//! The left-to-right pass that reads people and the topic; both stop at time words.

use std::collections::HashSet;

use super::Role;
use super::token::{Kind, Token};
use super::who::{self, Names};
use super::words;

/// The left-to-right pass that collects people and the topic.
pub(super) struct Reader<'a> {
    q: &'a str,
    t: &'a [Token],
    names: Names<'a>,
    /// The question has no capitals, so capitalisation cannot tell names apart.
    pub(super) lenient: bool,
    pub(super) people: Vec<String>,
    seen: HashSet<String>,
    pub(super) topic: Option<String>,
    /// What each token was read as, where the pass decided it.
    pub(super) roles: Vec<Option<Role>>,
    pub(super) notes: Vec<String>,
}

impl<'a> Reader<'a> {
    /// A pass over `tokens` of `question`, where `timed` marks the tokens of time phrases.
    pub(super) fn new(question: &'a str, tokens: &'a [Token], timed: &'a [bool]) -> Self {
        Reader {
            q: question,
            t: tokens,
            names: Names { t: tokens, timed },
            lenient: !question.chars().any(char::is_uppercase),
            people: Vec::new(),
            seen: HashSet::new(),
            topic: None,
            roles: vec![None; tokens.len()],
            notes: Vec::new(),
        }
    }

    pub(super) fn read(&mut self) {
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
        match self.after_cue(i) {
            Some(next) => next,
            None => self.uncued(i),
        }
    }

    /// People introduced by the word at `i` ("with", "between", "works for", "talk to", an
    /// auxiliary, a verb of meeting, the asker and a separator); `None` when it introduces none.
    fn after_cue(&mut self, i: usize) -> Option<usize> {
        let caps = !self.lenient;
        let w = self.w(i);
        let before = i.checked_sub(1).map_or("", |p| self.w(p));
        let next = match w {
            "with" | "w/" => self.with_list(i),
            "between" => self.between(i),
            // "what works for Sarah and Bob", "is 3pm good for Tom".
            "for"
                if matches!(
                    before,
                    "works" | "work" | "good" | "best" | "ok" | "okay" | "fine" | "convenient" | "suits" | "suit"
                ) =>
            {
                self.list_at(i + 1, caps)
            }
            "talk" | "talking" | "speak" | "speaking" if self.w(i + 1) == "to" => self.list_at(i + 2, caps),
            "meeting" if matches!(before, "i" | "we" | "i'm" | "we're" | "am" | "are" | "is") => {
                self.list_at(i + 1, caps)
            }
            _ if words::is_auxiliary(w) => self.after_auxiliary(i),
            _ if words::is_person_verb(w) => self.list_at(i + 1, caps),
            _ if words::is_self(w) && self.names.is_sep(i + 1) => {
                let list = self.names.list(self.names.skip_seps(i + 1), caps);
                self.take(i, list)
            }
            _ => return None,
        };
        Some(next)
    }

    /// Takes the list of names that starts at token `from`; returns where it ended.
    fn list_at(&mut self, from: usize, caps: bool) -> usize {
        let list = self.names.list(from, caps);
        self.take(from, list)
    }

    /// "with A, B and C" at `i`. "with Alice tomorrow and Bob on Friday": the list goes on after
    /// a time phrase when a separator follows it. Each round takes at least one name.
    fn with_list(&mut self, i: usize) -> usize {
        let mut end = self.list_at(i + 1, false);
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

    /// "between me and Tom", "between Tom and me", "between Tom and Sarah" at `i`.
    fn between(&mut self, i: usize) -> usize {
        if words::is_self(self.w(i + 1)) && self.names.is_sep(i + 2) {
            let list = self.names.list(self.names.skip_seps(i + 2), false);
            return self.take(i + 1, list);
        }
        let end = self.list_at(i + 1, false);
        let after = self.names.followed_by_self(end).unwrap_or(end);
        if end > i + 1 {
            self.claim(end, after, Role::Person);
        }
        after
    }

    /// An auxiliary at `i`: "does Tom have…", "is Tom free…", "is Tom's meeting…", "can Alice,
    /// Bob and I meet…". The names count when a presence word follows or they are possessive.
    fn after_auxiliary(&mut self, i: usize) -> usize {
        let list = self.names.list(i + 1, !self.lenient);
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
        list.end
    }

    /// A name without a cue at `i` counts when it is possessive or next to the asker.
    fn uncued(&mut self, i: usize) -> usize {
        let list = self.names.list(i, !self.lenient);
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
