//! Text folding shared by every matcher: case, accents and ligatures folded so that "Zoë" finds
//! "zoe" and "Müller" finds "muller".

/// Folds `s` to lowercase ASCII words separated by single spaces (punctuation becomes a space).
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s);
    let mut out = String::with_capacity(ascii.len());
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// True when every word of `needle` (already folded) appears as a word prefix in `haystack`
/// (already folded): "budget" finds "Budget review", "q3 plan" finds "Q3 planning".
pub fn contains_words(haystack: &str, needle: &str) -> bool {
    needle.split(' ').filter(|w| !w.is_empty()).all(|w| haystack.split(' ').any(|h| h.starts_with(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("Zoë  Müller-García!"), "zoe muller garcia");
        assert_eq!(fold("Straße Ørsted"), "strasse orsted");
        assert!(contains_words(&fold("Q3 Budget planning (draft)"), &fold("budget PLAN")));
        assert!(!contains_words(&fold("Budgeting"), &fold("get")));
    }
}
