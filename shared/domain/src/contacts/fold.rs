//! Case and accent folding, so "Zoë", "ZOE" and "zoe" are one token and "Müller" is found by
//! "muller" and "mueller" alike. The index and the query fold with the same functions.

/// Longest token kept, in bytes of folded ASCII; longer words are cut (they cannot be names anyway).
pub const MAX_TOKEN_CHARS: usize = 64;

/// Titles and generational suffixes that people add or leave out at will, so they never count.
const HONORIFICS: &[&str] =
    &["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"];

/// One folded word: lowercase ASCII letters and digits, plus the German transliteration
/// (ä→ae, ö→oe, ü→ue) when the word had an umlaut, because both spellings are in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    /// The deunicoded spelling ("müller" → "muller").
    pub primary: String,
    /// The transliterated spelling when it differs ("müller" → "mueller").
    pub alt: Option<String>,
}

impl Folded {
    /// Both spellings, primary first, for lookups that should accept either.
    pub fn variants(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary.as_str()).chain(self.alt.as_deref())
    }
}

/// True for characters that join a word: letters, digits and combining accents (a decomposed
/// "e\u{308}" stays one word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{0300}'..='\u{036f}').contains(&c)
}

/// Apostrophes are dropped rather than split on, so "O'Brien" is one token, "obrien".
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02bc}' | '`')
}

/// Folds one word to ASCII tokens (deunicode may split a word, e.g. CJK syllables).
fn fold_ascii(word: &str, out: &mut Vec<String>, max: usize) {
    let ascii = deunicode::deunicode(word);
    for piece in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()) {
        if out.len() >= max {
            return;
        }
        let mut token = piece.to_ascii_lowercase();
        token.truncate(MAX_TOKEN_CHARS);
        out.push(token);
    }
}

/// The German spelling of a word with umlauts, or None when it has none.
fn german(word: &str) -> Option<String> {
    if !word.chars().any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'Ä' | 'Ö' | 'Ü')) {
        return None;
    }
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        match c {
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            other => out.push(other),
        }
    }
    Some(out)
}

/// Splits text into at most `max_tokens` folded tokens, dropping honorifics ("Dr.", "Jr.").
pub fn tokens(text: &str, max_tokens: usize) -> Vec<Folded> {
    let mut out: Vec<Folded> = Vec::new();
    let mut pieces: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !is_word_char(c) && !is_apostrophe(c)) {
        if out.len() >= max_tokens {
            break;
        }
        let word: String = raw.chars().filter(|c| !is_apostrophe(*c)).collect();
        if word.is_empty() {
            continue;
        }
        pieces.clear();
        fold_ascii(&word, &mut pieces, max_tokens);
        let alt = if pieces.len() == 1 {
            german(&word).and_then(|g| {
                let mut alt = Vec::new();
                fold_ascii(&g, &mut alt, 2);
                match alt.as_slice() {
                    [one] if pieces.first() != Some(one) => Some(one.clone()),
                    _ => None,
                }
            })
        } else {
            None
        };
        for (i, primary) in pieces.drain(..).enumerate() {
            if out.len() >= max_tokens {
                break;
            }
            if is_honorific(&primary) {
                continue;
            }
            out.push(Folded { primary, alt: if i == 0 { alt.clone() } else { None } });
        }
    }
    out
}

/// True for titles and suffixes that should not count as name tokens.
pub fn is_honorific(token: &str) -> bool {
    HONORIFICS.contains(&token)
}

/// The tokens' primary spellings joined by one space: the key for "same name, same order".
pub fn join_primary(tokens: &[Folded]) -> String {
    join(tokens.iter().map(|t| t.primary.as_str()))
}

/// Like [`join_primary`] but with every umlaut word in its German spelling; None when no token has one.
pub fn join_alt(tokens: &[Folded]) -> Option<String> {
    if tokens.iter().all(|t| t.alt.is_none()) {
        return None;
    }
    Some(join(tokens.iter().map(|t| t.alt.as_deref().unwrap_or(t.primary.as_str()))))
}

/// The words sorted and joined: the key for "same words, any order" ("Turner William").
pub fn sorted_key<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut words: Vec<&str> = words.collect();
    words.sort_unstable();
    join(words.into_iter())
}

/// Joins words with single spaces.
fn join<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Folds an email address (or its local part) for comparison: trimmed, lowercase, accents removed.
pub fn fold_email(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_ascii() { trimmed.to_ascii_lowercase() } else { deunicode::deunicode(trimmed).to_ascii_lowercase() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prim(text: &str) -> Vec<String> {
        tokens(text, 16).into_iter().map(|t| t.primary).collect()
    }

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(prim("Zoë"), vec!["zoe"]);
        assert_eq!(prim("ZOE"), vec!["zoe"]);
        assert_eq!(prim("Zoe\u{308} Ådne"), vec!["zoe", "adne"]);
        assert_eq!(prim("García Márquez"), vec!["garcia", "marquez"]);
        assert_eq!(prim("Weiß"), vec!["weiss"]);
        assert_eq!(prim("Søren Kierkegård"), vec!["soren", "kierkegard"]);
        assert_eq!(prim("Ægir Æsir"), vec!["aegir", "aesir"]);
        assert_eq!(prim("Łukasz"), vec!["lukasz"]);
    }

    #[test]
    fn umlauts_get_a_german_alternative() {
        let t = tokens("Jürgen Müller-Lüdenscheidt", 16);
        assert_eq!(
            t,
            vec![
                Folded { primary: "jurgen".into(), alt: Some("juergen".into()) },
                Folded { primary: "muller".into(), alt: Some("mueller".into()) },
                Folded { primary: "ludenscheidt".into(), alt: Some("luedenscheidt".into()) },
            ]
        );
        assert_eq!(join_primary(&t), "jurgen muller ludenscheidt");
        assert_eq!(join_alt(&t).as_deref(), Some("juergen mueller luedenscheidt"));
        assert_eq!(join_alt(&tokens("Anna Schmidt", 4)), None);
    }

    #[test]
    fn punctuation_apostrophes_and_honorifics() {
        assert_eq!(prim("Dr. Seán O'Brien, Jr."), vec!["sean", "obrien"]);
        assert_eq!(prim("  Mary-Jane   Watson "), vec!["mary", "jane", "watson"]);
        assert_eq!(prim("\"Bob\" (work)"), vec!["bob", "work"]);
        assert_eq!(prim("...  "), Vec::<String>::new());
    }

    #[test]
    fn token_count_and_length_are_capped() {
        assert_eq!(tokens(&"a ".repeat(1000), 8).len(), 8);
        let long = "x".repeat(500);
        assert_eq!(prim(&long), vec!["x".repeat(MAX_TOKEN_CHARS)]);
    }

    #[test]
    fn keys() {
        assert_eq!(sorted_key(["turner", "william"].into_iter()), "turner william");
        assert_eq!(sorted_key(["william", "turner"].into_iter()), "turner william");
        assert_eq!(fold_email("  J.Garcia@Example.COM "), "j.garcia@example.com");
    }
}
