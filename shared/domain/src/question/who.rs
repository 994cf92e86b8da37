//! Lists of people: "Bob Smith, Zoë and Mary Ann O'Neil", "J. Smith & jgarcia@example.com".
//!
//! A name is one to [`MAX_NAME_WORDS`] name words. A name word is a word of letters (with inner
//! apostrophes or hyphens) that is not a sentence, time or calendar word (see
//! [`super::words::is_name_stop`]) and not part of a time phrase. When a name's first word is
//! capitalised, the rest must be too, except particles followed by a capitalised word ("Ludwig
//! van Beethoven"); a lower-case first word ("with sarah") lets the rest be lower-case.
//! A single letter followed by "." is an initial ("J. Smith"); "Dr."/"Mr."/… may lead a name.
//! A possessive word ("Tom's") ends the name and the list. An email address is a name by itself.
//! Names are separated by ",", "&", "+", "/", "and", "or", "and/or", "plus" (repeats allowed:
//! "Alice, Bob, and Carol").

use super::token::{Kind, Token};
use super::words;

/// The most words one name may have; the list stops there.
pub(super) const MAX_NAME_WORDS: usize = 5;

/// A list of names read from some token on.
#[derive(Debug, Default, PartialEq)]
pub(super) struct List {
    /// The names, as written (words joined by single spaces).
    pub names: Vec<String>,
    /// The token after the last name.
    pub end: usize,
    /// True when the list ended with a possessive ("Sarah and Tom's").
    pub possessive: bool,
}

/// Reads names over a token list, skipping tokens that belong to time phrases.
#[derive(Debug)]
pub(super) struct Names<'a> {
    /// The tokens.
    pub t: &'a [Token],
    /// `timed[i]` is true when token `i` is part of a time phrase.
    pub timed: &'a [bool],
}

impl<'a> Names<'a> {
    fn tok(&self, i: usize) -> Option<&'a Token> {
        if self.timed.get(i).copied().unwrap_or(true) {
            return None;
        }
        self.t.get(i)
    }

    fn punct(&self, i: usize, c: char) -> bool {
        self.tok(i).is_some_and(|t| t.kind == Kind::Punct(c))
    }

    /// True when token `i` is punctuation touching the token before it ("J.").
    fn attached(&self, i: usize) -> bool {
        match (i.checked_sub(1).and_then(|p| self.t.get(p)), self.t.get(i)) {
            (Some(p), Some(t)) => p.end == t.start,
            _ => false,
        }
    }

    /// A word that can be (part of) a name.
    fn name_word(&self, i: usize) -> Option<&'a Token> {
        let t = self.tok(i)?;
        let shaped = t.kind == Kind::Word
            && t.text.chars().next().is_some_and(char::is_alphabetic)
            && t.text.chars().all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
            && t.text.chars().count() <= 40;
        (shaped && !words::is_name_stop(&t.lower)).then_some(t)
    }

    fn is_email(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| t.kind == Kind::Email)
    }

    /// A list separator that is not part of a time phrase.
    pub(super) fn is_sep(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| match t.kind {
            Kind::Punct(c) => matches!(c, ',' | '&' | '+' | '/'),
            Kind::Word => words::is_list_word(&t.lower),
            _ => false,
        })
    }

    /// Skips separators from `i`.
    pub(super) fn skip_seps(&self, i: usize) -> usize {
        let mut k = i;
        while self.is_sep(k) {
            k += 1;
        }
        k
    }

    /// After a list: "… and me", "… & I" → the token after the self word.
    pub(super) fn followed_by_self(&self, end: usize) -> Option<usize> {
        let k = self.skip_seps(end);
        let me = k > end && self.tok(k).is_some_and(|t| t.kind == Kind::Word && words::is_self(&t.lower));
        me.then_some(k + 1)
    }

    /// One name (or email) at `i`: its text, the token after it, and whether it was possessive.
    fn item(&self, i: usize, require_caps: bool) -> Option<(String, usize, bool)> {
        if self.is_email(i) {
            return Some((self.tok(i)?.text.clone(), i + 1, false));
        }
        let mut text = String::new();
        let mut j = i;
        // "Dr. Smith", "Mr Jones"
        if let Some(t) = self.tok(i).filter(|t| t.kind == Kind::Word && words::is_title(&t.lower)) {
            let dot = self.punct(i + 1, '.') && self.attached(i + 1);
            let k = if dot { i + 2 } else { i + 1 };
            if (t.capitalized || !require_caps) && self.name_word(k).is_some() {
                text.push_str(&t.text);
                if dot {
                    text.push('.');
                }
                j = k;
            }
        }
        // "Will" is a sentence word, but "Will Smith" is a name.
        let soft = || {
            self.tok(j)
                .filter(|t| t.kind == Kind::Word && t.capitalized && words::is_soft_stop(&t.lower))
                .filter(|_| self.name_word(j + 1).is_some_and(|n| n.capitalized))
        };
        let first = self.name_word(j).or_else(soft)?;
        if (require_caps && !first.capitalized) || (text.is_empty() && words::is_title(&first.lower)) {
            return None;
        }
        let caps = first.capitalized;
        fn add(text: &mut String, t: &Token) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&t.text);
        }
        add(&mut text, first);
        let mut last = first;
        let mut count = 1;
        j += 1;
        while !last.possessive && count < MAX_NAME_WORDS {
            // An initial: "J. Smith".
            if last.text.chars().count() == 1
                && self.punct(j, '.')
                && self.attached(j)
                && self.name_word(j + 1).is_some()
                && !text.ends_with('.')
            {
                text.push('.');
                j += 1;
                continue;
            }
            let Some(t) = self.name_word(j) else { break };
            if caps && !t.capitalized {
                // Lower-case particles are kept only before a capitalised word: "van Beethoven".
                let mut k = j;
                while k < j + 3 && self.name_word(k).is_some_and(|p| !p.capitalized && words::is_particle(&p.lower)) {
                    k += 1;
                }
                match self.name_word(k) {
                    Some(end) if k > j && end.capitalized && count + (k - j) < MAX_NAME_WORDS => {
                        for p in j..=k {
                            if let Some(w) = self.name_word(p) {
                                add(&mut text, w);
                            }
                        }
                        count += k - j + 1;
                        last = end;
                        j = k + 1;
                        continue;
                    }
                    _ => break,
                }
            }
            add(&mut text, t);
            last = t;
            count += 1;
            j += 1;
        }
        Some((text, j, last.possessive))
    }

    /// A list of names from `i`; empty (with `end == i`) when there is no name at `i`.
    /// With `require_caps`, every name must start with a capital letter.
    pub(super) fn list(&self, i: usize, require_caps: bool) -> List {
        let mut out = List { names: Vec::new(), end: i, possessive: false };
        let Some((name, end, possessive)) = self.item(i, require_caps) else {
            return out;
        };
        let mut prev_email = self.is_email(i);
        out.names.push(name);
        out.end = end;
        out.possessive = possessive;
        // Each round consumes at least one token.
        while !out.possessive {
            let k = self.skip_seps(out.end);
            // Emails may simply follow each other: "a@x.com b@y.com".
            if k == out.end && !(prev_email && self.is_email(k)) {
                break;
            }
            let Some((name, end, possessive)) = self.item(k, require_caps) else {
                break;
            };
            prev_email = self.is_email(k);
            out.names.push(name);
            out.end = end;
            out.possessive = possessive;
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::question::token::tokenize;

    fn list(q: &str, caps: bool) -> (Vec<String>, usize, bool) {
        let t = tokenize(q);
        let timed = vec![false; t.len()];
        let l = Names { t: &t, timed: &timed }.list(0, caps);
        (l.names, l.end, l.possessive)
    }

    fn names(q: &str) -> Vec<String> {
        list(q, false).0
    }

    #[test]
    fn multi_word_names_and_separators() {
        assert_eq!(names("Bob Smith and Zoë"), vec!["Bob Smith", "Zoë"]);
        assert_eq!(names("Alice, Bob, and Carol"), vec!["Alice", "Bob", "Carol"]);
        assert_eq!(names("Mary Ann O'Neil & José García or Li"), vec!["Mary Ann O'Neil", "José García", "Li"]);
        assert_eq!(names("Ludwig van Beethoven"), vec!["Ludwig van Beethoven"]);
        assert_eq!(names("J. Smith"), vec!["J. Smith"]);
        assert_eq!(names("Dr. Jane Doe"), vec!["Dr. Jane Doe"]);
        assert_eq!(names("Dr. Who"), Vec::<String>::new());
        assert_eq!(names("Will Smith and Will"), vec!["Will Smith"]);
        assert_eq!(names("jgarcia@example.com and bob@example.org"), vec!["jgarcia@example.com", "bob@example.org"]);
    }

    #[test]
    fn lists_stop_where_names_stop() {
        assert_eq!(list("Tom about the budget", false), (vec!["Tom".to_string()], 1, false));
        assert_eq!(list("Tom and me", false), (vec!["Tom".to_string()], 1, false));
        assert_eq!(list("Sarah on Friday", false), (vec!["Sarah".to_string()], 1, false));
        assert_eq!(names("Bob Smith recently"), vec!["Bob Smith"]);
        assert_eq!(names("sarah smith tomorrow"), vec!["sarah smith"]);
        assert_eq!(names("the team"), Vec::<String>::new());
        assert_eq!(names("Monday"), Vec::<String>::new());
        assert_eq!(names("Tom."), vec!["Tom"]);
        assert_eq!(names("Aa Bb Cc Dd Ee Ff"), vec!["Aa Bb Cc Dd Ee"]);
    }

    #[test]
    fn possessives_end_the_list() {
        assert_eq!(list("Sarah and Tom's meetings", true), (vec!["Sarah".to_string(), "Tom".to_string()], 3, true));
        assert_eq!(list("sarah and tom", true), (vec![], 0, false));
    }
}
