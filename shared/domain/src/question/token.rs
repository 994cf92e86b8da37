//! The tokenizer: one left-to-right pass over the question producing tokens with byte spans.
//!
//! Words keep inner apostrophes and hyphens ("O'Neil", "what's", "one-on-one"); a trailing
//! `'s` is split off as a possessive flag ("Tom's" → `Tom` + possessive) unless the word is a
//! contraction ("what's"). Trailing `.` and `:` become punctuation tokens ("Dec." → `Dec`, `.`).
//! Text in double quotes (straight, curly or guillemets) or single quotes at a word boundary
//! becomes one `Quote` token. Each quote search is done at most once per kind of quote after
//! a failure, so the whole pass stays linear.

use chrono::NaiveDate;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// Letters (possibly with digits, apostrophes, hyphens).
    Word,
    /// Plain digits; values that overflow are `u32::MAX`.
    Number(u32),
    /// Digits with st/nd/rd/th ("3rd").
    Ordinal(u32),
    /// An ISO date, `2026-12-03`.
    Date(NaiveDate),
    /// A clock time: `15:00`, `3pm`, `10:30am`.
    Clock,
    /// Something shaped like an email address.
    Email,
    /// Quoted text; `text` holds the inner text, trimmed.
    Quote,
    /// One punctuation character.
    Punct(char),
}

/// One token and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    /// What it is.
    pub kind: Kind,
    /// Byte offset of its first character in the question (quotes and `'s` included).
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
    /// Its text: possessive `'s` removed from words, quotes removed from quoted text.
    pub text: String,
    /// `text` lower-cased, with `’` folded to `'`.
    pub lower: String,
    /// True for "Tom's" / "James'".
    pub possessive: bool,
    /// True when the first character is upper-case.
    pub capitalized: bool,
}

impl Token {
    fn new(kind: Kind, start: usize, end: usize, text: &str, possessive: bool) -> Token {
        Token {
            kind,
            start,
            end,
            lower: text.to_lowercase().replace('’', "'"),
            capitalized: text.chars().next().is_some_and(char::is_uppercase),
            text: text.to_string(),
            possessive,
        }
    }
}

/// The lower-case word at token `i`, or "" for any other token or past the end.
pub(super) fn word(t: &[Token], i: usize) -> &str {
    match t.get(i) {
        Some(t) if t.kind == Kind::Word => &t.lower,
        _ => "",
    }
}

/// `s[from..to]`, or "" if that is not a char-boundary range (it always is here: every offset
/// comes from `char_indices` or `len_utf8`), so slicing can never panic.
fn sub(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or("")
}

/// Characters that always stand alone as punctuation.
fn is_split(c: char) -> bool {
    matches!(c, ',' | '?' | '!' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '…' | '¿' | '¡')
        || is_double_quote(c)
}

/// Double-quote characters; any of them may close any other (people type mixed quotes).
fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '‘' | '’')
}

/// Words ending in `'s` that are not possessives.
fn is_contraction(lower: &str) -> bool {
    matches!(
        lower,
        "what's"
            | "that's"
            | "it's"
            | "there's"
            | "here's"
            | "who's"
            | "where's"
            | "when's"
            | "how's"
            | "let's"
            | "he's"
            | "she's"
            | "one's"
    )
}

/// Splits a question into tokens. Linear in its length.
pub(super) fn tokenize(q: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = q.char_indices().collect();
    let byte = |k: usize| chars.get(k).map_or(q.len(), |&(b, _)| b);
    let ch = |k: usize| chars.get(k).map(|&(_, c)| c);
    let mut out = Vec::new();
    let mut no_double_closer = false;
    let mut no_single_closer = false;
    let mut k = 0;
    // Every branch advances `k` by at least one.
    while let Some(c) = ch(k) {
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if is_double_quote(c) {
            if !no_double_closer {
                let close = (k + 1..chars.len()).find(|&m| ch(m).is_some_and(is_double_quote));
                match close {
                    Some(m) => {
                        push_quote(q, &mut out, byte(k), byte(k + 1), byte(m), byte(m + 1));
                        k = m + 1;
                        continue;
                    }
                    None => no_double_closer = true,
                }
            }
            out.push(Token::new(Kind::Punct(c), byte(k), byte(k + 1), sub(q, byte(k), byte(k + 1)), false));
            k += 1;
            continue;
        }
        if is_split(c) {
            out.push(Token::new(Kind::Punct(c), byte(k), byte(k + 1), sub(q, byte(k), byte(k + 1)), false));
            k += 1;
            continue;
        }
        if is_single_quote(c) {
            // An opening single quote: at a word start, followed by a non-space.
            if !no_single_closer && ch(k + 1).is_some_and(|n| !n.is_whitespace()) {
                let close = (k + 2..chars.len()).find(|&m| {
                    ch(m).is_some_and(is_single_quote)
                        && ch(m - 1).is_some_and(|p| !p.is_whitespace())
                        && ch(m + 1).is_none_or(|n| n.is_whitespace() || is_split(n) || matches!(n, '.' | ':'))
                });
                match close {
                    Some(m) => {
                        push_quote(q, &mut out, byte(k), byte(k + 1), byte(m), byte(m + 1));
                        k = m + 1;
                        continue;
                    }
                    None => no_single_closer = true,
                }
            }
            k += 1;
            continue;
        }
        let mut m = k;
        while ch(m).is_some_and(|c| !c.is_whitespace() && !is_split(c)) {
            m += 1;
        }
        push_run(q, &mut out, byte(k), byte(m));
        k = m;
    }
    // Misspellings and short forms of the grammar's words read as the words ("tmrw", "mtgs").
    for t in &mut out {
        if t.kind == Kind::Word
            && let Some(fixed) = super::words::spelling(&t.lower)
        {
            t.lower = fixed.to_string();
        }
    }
    out
}

fn push_quote(q: &str, out: &mut Vec<Token>, start: usize, inner_start: usize, inner_end: usize, end: usize) {
    let inner = q.get(inner_start..inner_end).unwrap_or("").trim();
    let mut t = Token::new(Kind::Quote, start, end, inner, false);
    t.capitalized = false;
    out.push(t);
}

/// Classifies one whitespace-delimited run `q[start..end]`, splitting off trailing `.`/`:`.
fn push_run(q: &str, out: &mut Vec<Token>, start: usize, end: usize) {
    let run = q.get(start..end).unwrap_or("");
    if !run.chars().any(char::is_alphanumeric) {
        for (off, c) in run.char_indices() {
            let b = start + off;
            out.push(Token::new(Kind::Punct(c), b, b + c.len_utf8(), sub(run, off, off + c.len_utf8()), false));
        }
        return;
    }
    // Trailing punctuation, kept to be pushed after the body.
    let mut body = run;
    let mut trail = Vec::new();
    while let Some(c) = body.chars().next_back() {
        if !matches!(c, '.' | ':') {
            break;
        }
        let cut = body.len() - c.len_utf8();
        trail.push((start + cut, c));
        body = sub(body, 0, cut);
    }
    // A leading apostrophe without a closing one is dropped.
    let mut body_start = start;
    while let Some(c) = body.chars().next().filter(|c| is_single_quote(*c)) {
        body = sub(body, c.len_utf8(), body.len());
        body_start += c.len_utf8();
    }
    if !body.is_empty() {
        let body_end = body_start + body.len();
        out.push(classify(body, body_start, body_end));
    }
    for (b, c) in trail.into_iter().rev() {
        out.push(Token::new(Kind::Punct(c), b, b + c.len_utf8(), sub(q, b, b + c.len_utf8()), false));
    }
}

fn classify(body: &str, start: usize, end: usize) -> Token {
    let lower = body.to_lowercase();
    if is_email(body) {
        return Token::new(Kind::Email, start, end, body, false);
    }
    if let Some(d) = iso_date(body) {
        return Token::new(Kind::Date(d), start, end, body, false);
    }
    if body.bytes().all(|b| b.is_ascii_digit()) {
        return Token::new(Kind::Number(body.parse().unwrap_or(u32::MAX)), start, end, body, false);
    }
    if let Some(n) = ordinal(&lower) {
        return Token::new(Kind::Ordinal(n), start, end, body, false);
    }
    if is_clock(&lower) {
        return Token::new(Kind::Clock, start, end, body, false);
    }
    // Possessives: "Tom's", "Tom’s", "James'".
    let folded = lower.replace('’', "'");
    if !is_contraction(&folded) {
        let mut cs = body.char_indices().rev();
        match (cs.next(), cs.next()) {
            (Some((_, 's' | 'S')), Some((a, q))) if is_single_quote(q) && a > 0 => {
                return Token::new(Kind::Word, start, end, sub(body, 0, a), true);
            }
            (Some((a, q)), _) if is_single_quote(q) && a > 0 => {
                return Token::new(Kind::Word, start, end, sub(body, 0, a), true);
            }
            _ => {}
        }
    }
    Token::new(Kind::Word, start, end, body, false)
}

/// `local@domain.tld` with ordinary address characters.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || "._%+-'".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

/// `YYYY-MM-DD`, exactly, and a real date.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// `3rd`, `21st`, `12th`.
fn ordinal(lower: &str) -> Option<u32> {
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = sub(lower, digits.len(), lower.len());
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !matches!(suffix, "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok()
}

/// `15:00`, `9:30am`, `3pm`.
fn is_clock(lower: &str) -> bool {
    let rest = lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("pm"))
        .or_else(|| lower.strip_suffix("a.m"))
        .or_else(|| lower.strip_suffix("p.m"));
    let (core, meridiem) = match rest {
        Some(r) => (r, true),
        None => (lower, false),
    };
    let digits = |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    match core.split_once(':') {
        Some((h, m)) => digits(h, 2) && m.len() == 2 && digits(m, 2),
        None => meridiem && digits(core, 2),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<(Kind, String)> {
        tokenize(q).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    fn w(s: &str) -> (Kind, String) {
        (Kind::Word, s.to_string())
    }

    #[test]
    fn words_punctuation_and_possessives() {
        assert_eq!(
            kinds("With Bob Smith, Zoë & Mary-Ann O'Neil's team?"),
            vec![
                w("With"),
                w("Bob"),
                w("Smith"),
                (Kind::Punct(','), ",".into()),
                w("Zoë"),
                (Kind::Punct('&'), "&".into()),
                w("Mary-Ann"),
                w("O'Neil"),
                w("team"),
                (Kind::Punct('?'), "?".into()),
            ]
        );
        let t = tokenize("Tom’s and James' what's");
        assert_eq!(t.len(), 4);
        assert!(t[0].possessive && t[0].text == "Tom" && t[0].lower == "tom");
        assert_eq!((t[0].start, t[0].end), (0, 7));
        assert!(t[2].possessive && t[2].text == "James");
        assert!(!t[3].possessive && t[3].lower == "what's");
    }

    #[test]
    fn numbers_dates_clocks_emails() {
        assert_eq!(
            kinds("on 2026-12-03 at 15:00, Dec. 3rd 3pm 42 jgarcia@example.com. 2026-02-30"),
            vec![
                w("on"),
                (Kind::Date(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()), "2026-12-03".into()),
                w("at"),
                (Kind::Clock, "15:00".into()),
                (Kind::Punct(','), ",".into()),
                w("Dec"),
                (Kind::Punct('.'), ".".into()),
                (Kind::Ordinal(3), "3rd".into()),
                (Kind::Clock, "3pm".into()),
                (Kind::Number(42), "42".into()),
                (Kind::Email, "jgarcia@example.com".into()),
                (Kind::Punct('.'), ".".into()),
                w("2026-02-30"),
            ]
        );
        assert_eq!(kinds("99999999999")[0].0, Kind::Number(u32::MAX));
        assert_eq!(kinds("re: x")[1].0, Kind::Punct(':'));
    }

    #[test]
    fn quotes() {
        let t = tokenize(r#"meeting called "Q3 planning" and ‘budget review’ or 'x' 'unclosed"#);
        let quotes: Vec<&str> = t.iter().filter(|t| t.kind == Kind::Quote).map(|t| t.text.as_str()).collect();
        assert_eq!(quotes, vec!["Q3 planning", "budget review", "x"]);
        let q = t.iter().find(|t| t.kind == Kind::Quote).unwrap();
        assert_eq!(q.start, 15);
        assert_eq!(q.end, 28);
        // An unclosed double quote is punctuation; the rest is tokenized normally.
        assert_eq!(kinds("\"abc def"), vec![(Kind::Punct('"'), "\"".into()), w("abc"), w("def")]);
    }

    #[test]
    fn spans_are_byte_offsets() {
        let q = "Zoë’s café";
        for t in tokenize(q) {
            assert!(q.get(t.start..t.end).is_some());
        }
        assert_eq!(tokenize(q)[1].start, "Zoë’s ".len());
    }

    #[test]
    fn pathological_input_is_linear() {
        // Unclosed single quotes are dropped; 300 double quotes make 150 (empty) quotes.
        let q = "'a ".repeat(700) + &"\" ".repeat(300);
        assert_eq!(tokenize(&q).len(), 700 + 150);
    }
}
