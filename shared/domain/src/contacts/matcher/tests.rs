//! The matcher on small hand-made address books: the documented score tiers, umlauts, namesakes.

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
