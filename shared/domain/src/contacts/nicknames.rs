//! The built-in table of English given-name nicknames (`shared/data/nicknames.txt`), so "Bob"
//! finds Robert and "Robert" finds a contact saved as Bob. Parsed once per process.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The table's text, shipped inside the binary so no file has to be deployed beside it.
const TABLE_TEXT: &str = include_str!("../../../data/nicknames.txt");

/// Most names related to one name that are kept; bounds index size for any table.
const MAX_RELATED: usize = 32;

/// Name → related names (its nicknames, or the formal names it is a nickname of), both directions.
#[derive(Debug, Default)]
pub struct NicknameTable {
    related: HashMap<String, Vec<String>>,
}

static TABLE: LazyLock<NicknameTable> = LazyLock::new(|| NicknameTable::parse(TABLE_TEXT));

impl NicknameTable {
    /// The built-in table, parsed on first use.
    pub fn builtin() -> &'static NicknameTable {
        &TABLE
    }

    /// Parses `formal: nick, nick` lines ('#' comments, blank lines ignored); malformed lines
    /// (no colon) are ignored. Names are folded like query tokens.
    pub fn parse(text: &str) -> Self {
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((formal, nicks)) = line.split_once(':') else {
                continue;
            };
            let Some(formal) = fold_name(formal) else {
                continue;
            };
            for nick in nicks.split(',').filter_map(fold_name) {
                if nick == formal {
                    continue;
                }
                add(&mut related, &formal, &nick);
                add(&mut related, &nick, &formal);
            }
        }
        NicknameTable { related }
    }

    /// Names related to `name` (already folded), empty when it is not in the table.
    pub fn related(&self, name: &str) -> &[String] {
        self.related.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when `a` and `b` (folded) are directly related in the table.
    pub fn are_related(&self, a: &str, b: &str) -> bool {
        self.related(a).iter().any(|r| r == b)
    }

    /// How many distinct names the table knows.
    pub fn len(&self) -> usize {
        self.related.len()
    }

    /// True when the table holds no names.
    pub fn is_empty(&self) -> bool {
        self.related.is_empty()
    }
}

/// Folds one table entry to a single token; entries that fold to nothing or to several words are dropped.
fn fold_name(raw: &str) -> Option<String> {
    let mut tokens = super::fold::tokens(raw, 2);
    match (tokens.pop(), tokens.is_empty()) {
        (Some(t), true) => Some(t.primary),
        _ => None,
    }
}

/// Records `to` as related to `from`, once, up to [`MAX_RELATED`].
fn add(map: &mut HashMap<String, Vec<String>>, from: &str, to: &str) {
    let list = map.entry(from.to_string()).or_default();
    if list.len() < MAX_RELATED && !list.iter().any(|x| x == to) {
        list.push(to.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_the_required_pairs_in_both_directions() {
        let t = NicknameTable::builtin();
        assert!(t.len() >= 150, "only {} names", t.len());
        let pairs = [
            ("bob", "robert"),
            ("rob", "robert"),
            ("robbie", "robert"),
            ("bill", "william"),
            ("will", "william"),
            ("billy", "william"),
            ("liam", "william"),
            ("kathy", "katherine"),
            ("kate", "katherine"),
            ("katie", "katherine"),
            ("cathy", "katherine"),
            ("kathy", "catherine"),
            ("peggy", "margaret"),
            ("maggie", "margaret"),
            ("meg", "margaret"),
            ("liz", "elizabeth"),
            ("beth", "elizabeth"),
            ("betty", "elizabeth"),
            ("eliza", "elizabeth"),
            ("jim", "james"),
            ("jimmy", "james"),
            ("dick", "richard"),
            ("rick", "richard"),
            ("tom", "thomas"),
            ("tony", "anthony"),
            ("sasha", "alexander"),
            ("sasha", "alexandra"),
        ];
        for (nick, formal) in pairs {
            assert!(t.are_related(nick, formal), "{nick} -> {formal}");
            assert!(t.are_related(formal, nick), "{formal} -> {nick}");
        }
        // Nicknames of one formal name are not related to each other.
        assert!(!t.are_related("al", "fred"));
        assert!(!t.are_related("bob", "bill"));
    }

    #[test]
    fn parse_ignores_comments_and_bad_lines() {
        let t = NicknameTable::parse("# c\n\nno colon here\nRobert: Bob, bob , Róbbie # x\n: x\n");
        assert_eq!(t.related("robert"), ["bob", "robbie"]);
        assert_eq!(t.related("bob"), ["robert"]);
        assert_eq!(t.related("x"), [] as [String; 0]);
        assert_eq!(t.len(), 3);
    }
}
