//! The contact matcher over the vCard corpus in `tests/corpus/vcard/`: one test per behaviour,
//! each asserting the exact top candidate, resolved vs ambiguous, and the score order.
//!
//! Each `X.vcf` has an `X.expected.json` holding what `parse_vcards` must return for it
//! (`{"contacts": [...], "skipped": [...]}`). Regenerate with `KENNY_BLESS=1` after a deliberate
//! change, and review the diff.

#![allow(clippy::unwrap_used)] // Tests may unwrap: a panic is a failed test.

use std::path::PathBuf;
use std::sync::OnceLock;

use kenny::domain::contacts::{
    Contact, ContactIndex, ContactsError, Resolution, ResolveRequest, Skipped, parse_vcards,
};
use kenny::domain::error::{ApiError, ErrorCode};
use kenny::domain::sample::FAMILY;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/vcard")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vcf"))
        .collect();
    files.sort();
    files
}

fn parse_corpus() -> (Vec<Contact>, Vec<Skipped>) {
    let mut contacts = Vec::new();
    let mut skipped = Vec::new();
    for file in corpus_files() {
        let (c, s) = parse_vcards(&std::fs::read_to_string(&file).unwrap());
        contacts.extend(c);
        skipped.extend(s);
    }
    (contacts, skipped)
}

fn index() -> &'static ContactIndex {
    static INDEX: OnceLock<ContactIndex> = OnceLock::new();
    INDEX.get_or_init(|| ContactIndex::new(parse_corpus().0))
}

fn ask_with(query: &str, limit: Option<usize>) -> Resolution {
    index().resolve(&ResolveRequest { query: query.into(), limit }).unwrap()
}

fn ask(query: &str) -> Resolution {
    ask_with(query, Some(50))
}

/// "uid score matched_on" for every candidate, best first.
fn ranked(res: &Resolution) -> Vec<String> {
    res.candidates.iter().map(|c| format!("{} {} {}", c.uid, c.score, c.matched_on)).collect()
}

fn resolved_uid(res: &Resolution) -> Option<&str> {
    res.resolved.as_ref().map(|c| c.uid.as_str())
}

/// Asserts the query resolves to `uid` with exactly this score and kind.
fn assert_resolves(query: &str, uid: &str, score: f64, matched_on: &str) {
    let res = ask(query);
    assert_eq!(resolved_uid(&res), Some(uid), "{query}: {:?}", ranked(&res));
    assert!(!res.ambiguous, "{query}: {:?}", ranked(&res));
    let top = res.candidates.first().unwrap();
    assert_eq!((top.score, top.matched_on.as_str()), (score, matched_on), "{query}");
    assert_eq!(res.resolved.as_ref(), Some(top));
}

fn assert_strictly_decreasing(scores: &[f64]) {
    for pair in scores.windows(2) {
        assert!(pair[0] > pair[1], "{scores:?}");
    }
}

#[test]
fn corpus_files_parse_to_their_expected_output() {
    let bless = std::env::var_os("KENNY_BLESS").is_some();
    let files = corpus_files();
    assert_eq!(files.len(), 3);
    for file in files {
        let (contacts, skipped) = parse_vcards(&std::fs::read_to_string(&file).unwrap());
        let got = serde_json::json!({"contacts": contacts, "skipped": skipped});
        let expected_path = file.with_extension("expected.json");
        if bless {
            let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
            std::fs::write(&expected_path, text).unwrap();
        }
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        assert_eq!(got, expected, "{}", file.display());
    }
}

#[test]
fn malformed_cards_are_skipped_alone() {
    let (contacts, skipped) = parse_corpus();
    assert_eq!(contacts.len(), 22);
    let reports: Vec<(Option<&str>, &str)> = skipped.iter().map(|s| (s.uid.as_deref(), s.code)).collect();
    assert_eq!(
        reports,
        vec![(None, "stray_text"), (Some("broken-card"), "unterminated_card"), (Some("nameless"), "missing_name"),]
    );
    // The card right after the unterminated one survives.
    assert!(contacts.iter().any(|c| c.uid == "waylon-smithers"));
    assert!(!contacts.iter().any(|c| c.uid == "broken-card"));
    assert_eq!(index().len(), 22);
}

#[test]
fn two_alices_are_ambiguous_until_the_family_name_is_given() {
    let res = ask("Alice");
    assert!(res.ambiguous);
    assert_eq!(res.resolved, None);
    assert_eq!(ranked(&res), vec!["alice-chen 0.9 given_name", "alice-walker 0.9 given_name"]);

    let res = ask("alice walker");
    assert_eq!(ranked(&res), vec!["alice-walker 1 name", "alice-chen 0.45 given_name"]);
    assert_eq!(resolved_uid(&res), Some("alice-walker"));
    assert!(!res.ambiguous);
}

#[test]
fn case_and_accents_are_folded() {
    for q in ["Zoë", "zoe", "ZOË", "ZOE"] {
        assert_resolves(q, "zoe-durand", 0.9, "given_name");
    }
    assert_resolves("zoe durand", "zoe-durand", 1.0, "name");
    for q in ["Müller", "muller", "MUELLER", "mueller"] {
        assert_resolves(q, "hans-mueller", 0.9, "family_name");
    }
    assert_resolves("Hans Mueller", "hans-mueller", 1.0, "name");
    for q in ["García", "garcia", "GARCIA"] {
        assert_resolves(q, "juan-garcia", 0.9, "family_name");
    }
    assert_resolves("Soren Kjaer", "soren-kjaer", 1.0, "name");
    assert_resolves("kjaer", "soren-kjaer", 0.9, "family_name");
    assert_resolves("weiss", "dieter-weiss", 0.9, "family_name");
    assert_resolves("renee lefevre", "renee-lefevre", 1.0, "name");
    assert_resolves("O'Neil", "margaret-oneil", 0.9, "family_name");
    assert_resolves("oneil", "margaret-oneil", 0.9, "family_name");
}

#[test]
fn full_given_family_and_either_order() {
    assert_resolves("William Turner", "william-turner", 1.0, "name");
    assert_resolves("Turner William", "william-turner", 0.97, "name");
    assert_resolves("Turner, William", "william-turner", 0.97, "name");
    assert_resolves("William", "william-turner", 0.9, "given_name");
    assert_resolves("Turner", "william-turner", 0.9, "family_name");
}

#[test]
fn a_shared_family_name_is_ambiguous_and_ranks_exact_over_prefix_over_fuzzy() {
    let res = ask("Smith");
    assert!(res.ambiguous);
    assert_eq!(res.resolved, None);
    assert_eq!(
        ranked(&res),
        vec![
            "jane-smith 0.9 family_name",
            "robert-smith 0.9 family_name",
            "waylon-smithers 0.687 prefix",
            "sarah-smyth 0.484 fuzzy",
        ]
    );
    let distinct: Vec<f64> = res.candidates.iter().skip(1).map(|c| c.score).collect();
    assert_strictly_decreasing(&distinct);

    assert_resolves("Jane Smith", "jane-smith", 1.0, "name");
    let res = ask("Jane Smith");
    assert_eq!(ranked(&res).get(1).map(String::as_str), Some("robert-smith 0.45 family_name"));
}

#[test]
fn an_explicit_nickname_beats_the_nickname_table() {
    let res = ask("Bob");
    assert_eq!(ranked(&res), vec!["robert-smith 0.95 nickname", "robert-brown 0.75 nickname"]);
    assert_eq!(resolved_uid(&res), Some("robert-smith"));
    assert!(!res.ambiguous);

    assert_resolves("Bob Brown", "robert-brown", 0.825, "nickname");
    assert_resolves("Bob Smith", "robert-smith", 0.9, "nickname");
}

#[test]
fn the_nickname_table_works_in_both_directions() {
    assert_resolves("Bill", "william-turner", 0.75, "nickname");
    assert_resolves("Liam Turner", "william-turner", 0.825, "nickname");
    for q in ["Kathy", "Katie", "Cathy"] {
        assert_resolves(q, "katherine-johnson", 0.75, "nickname");
    }
    // "Kate" is also the local part of one of her addresses, which is the stronger evidence.
    assert_resolves("Kate", "katherine-johnson", 0.9, "email");
    for q in ["Peggy", "Maggie", "Meg"] {
        assert_resolves(q, "margaret-oneil", 0.75, "nickname");
    }
    for q in ["Liz", "Beth", "Eliza", "Betty"] {
        assert_resolves(q, "elizabeth-bennet", 0.75, "nickname");
    }
    let res = ask("Jimmy");
    assert_eq!(res.resolved.as_ref().map(|c| c.name.as_str()), Some("James Holden"));
    assert_eq!(res.candidates.first().map(|c| c.score), Some(0.75));

    // Two Roberts and no one called Rob: both are equally likely.
    let res = ask("Rob");
    assert!(res.ambiguous);
    assert_eq!(ranked(&res), vec!["robert-brown 0.75 nickname", "robert-smith 0.75 nickname"]);
}

#[test]
fn prefixes_match_the_start_of_a_name() {
    assert_resolves("Zo", "zoe-durand", 0.693, "prefix");
    assert_resolves("Kather", "katherine-johnson", 0.693, "prefix");
    assert_resolves("Alice W", "alice-walker", 0.75, "prefix");

    let res = ask("Christ");
    assert!(res.ambiguous);
    assert_eq!(res.resolved, None);
    assert_eq!(ranked(&res), vec!["christina-park 0.693 prefix", "christopher-lee 0.676 prefix"]);
    // "Chris" is also a nickname of both in the table, which outranks a bare prefix.
    let res = ask("Chris");
    assert!(res.ambiguous);
    assert_eq!(ranked(&res), vec!["christina-park 0.75 nickname", "christopher-lee 0.75 nickname"]);
}

#[test]
fn typos_are_tolerated_per_token() {
    let res = ask("Wiliam Tuner");
    assert_eq!(resolved_uid(&res), Some("william-turner"));
    assert!(!res.ambiguous);
    let top = res.candidates.first().unwrap();
    assert_eq!(top.matched_on, "fuzzy");
    assert!(top.score >= 0.5 && top.score < 0.6, "{}", top.score);

    let res = ask("Kahterine");
    assert_eq!(ranked(&res).first().map(String::as_str), Some("katherine-johnson 0.553 fuzzy"));
    assert_eq!(resolved_uid(&res), Some("katherine-johnson"));

    let res = ask("Margret");
    assert_eq!(resolved_uid(&res), Some("margaret-oneil"));
    assert_eq!(res.candidates.first().map(|c| c.matched_on.as_str()), Some("fuzzy"));
}

#[test]
fn emails_match_whole_by_local_part_or_by_part_of_it() {
    assert_resolves("jgarcia@example.com", "juan-garcia", 1.0, "email");
    assert_resolves("JGarcia@EXAMPLE.com", "juan-garcia", 1.0, "email");
    assert_resolves("jgarcia", "juan-garcia", 0.9, "email");
    // Same mailbox at a domain the card does not list.
    assert_resolves("jgarcia@oldjob.example", "juan-garcia", 0.9, "email");
    assert_resolves("pk.frontdesk", "pat-kowalski", 0.9, "email");
    // Only the email mentions "frontdesk": 400 + 190 * 9 / 12.
    assert_resolves("frontdesk", "pat-kowalski", 0.542, "email");
    // A card with nothing but an email.
    assert_resolves("reception@grandhotel.example", "reception", 1.0, "email");
    assert_resolves("lizzy", "elizabeth-bennet", 0.9, "email");
    // An address nobody has.
    let res = ask("nobody@nowhere.example");
    assert_eq!((res.resolved, res.ambiguous, res.candidates.len()), (None, false, 0));
}

#[test]
fn candidates_carry_the_contact_details() {
    let res = ask_with("Alice Walker", Some(1));
    assert_eq!(
        serde_json::to_value(&res).unwrap(),
        serde_json::json!({
            "query": "Alice Walker",
            "resolved": {
                "uid": "alice-walker",
                "name": "Alice Walker",
                "emails": ["alice.walker@example.com", "alice@home.example"],
                "phones": ["+1-555-0101"],
                "organization": "Example Corp",
                "score": 1.0,
                "matched_on": "name"
            },
            "ambiguous": false,
            "candidates": [{
                "uid": "alice-walker",
                "name": "Alice Walker",
                "emails": ["alice.walker@example.com", "alice@home.example"],
                "phones": ["+1-555-0101"],
                "organization": "Example Corp",
                "score": 1.0,
                "matched_on": "name"
            }]
        })
    );
}

#[test]
fn nothing_matched_is_an_empty_answer_not_an_error() {
    for q in ["Xavier Quux", "zzzz", "12345", "!!"] {
        let res = ask(q);
        assert_eq!(res, Resolution { query: q.into(), resolved: None, ambiguous: false, candidates: vec![] });
    }
}

#[test]
fn limit_truncates_but_ambiguity_still_counts_everyone() {
    let res = ask_with("Smith", Some(1));
    assert_eq!(ranked(&res), vec!["jane-smith 0.9 family_name"]);
    assert!(res.ambiguous);
    assert_eq!(res.resolved, None);
    assert_eq!(ask_with("Smith", None).candidates.len(), 4);
}

#[test]
fn invalid_requests_are_invalid_request_errors() {
    let cases = [
        ("", None, "query"),
        ("   ", None, "query"),
        (&*"a".repeat(257), None, "query"),
        ("Alice", Some(0), "limit"),
        ("Alice", Some(51), "limit"),
    ];
    for (query, limit, field) in cases {
        let err: ContactsError = index().resolve(&ResolveRequest { query: query.into(), limit }).unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_request", Some(field)));
        let api = ApiError::from_error(&err);
        assert_eq!(api.status, 400);
    }
}

#[test]
fn ten_thousand_contacts_resolve_the_needle_with_bounded_work() {
    let given = [
        "James",
        "Mary",
        "John",
        "Patricia",
        "Robert",
        "Jennifer",
        "Michael",
        "Linda",
        "David",
        "Elizabeth",
        "William",
        "Barbara",
        "Richard",
        "Susan",
        "Joseph",
        "Jessica",
        "Thomas",
        "Sarah",
        "Charles",
        "Karen",
    ];
    // The sample generator's first 17 family names and three it keeps for its named people.
    let family: Vec<&str> = ["Smith", "Johnson", "Garcia"].into_iter().chain(FAMILY[..17].iter().copied()).collect();
    let mut contacts = Vec::with_capacity(10_001);
    for i in 0..10_000usize {
        let g = given[i % given.len()];
        let f = family[(i / given.len()) % family.len()];
        contacts.push(Contact {
            uid: format!("c{i}"),
            name: format!("{g} {f}{}", i / 400),
            given: Some(g.to_string()),
            family: Some(format!("{f}{}", i / 400)),
            nicknames: vec![],
            emails: vec![format!("{}.{}{}@example.com", g, f, i).to_lowercase()],
            phones: vec![],
            organization: None,
        });
    }
    contacts.push(Contact {
        uid: "needle".into(),
        name: "Zoë Quillfeather".into(),
        given: Some("Zoë".into()),
        family: Some("Quillfeather".into()),
        nicknames: vec![],
        emails: vec!["zq@example.com".into()],
        phones: vec![],
        organization: None,
    });
    let index = ContactIndex::new(contacts);
    assert_eq!(index.len(), 10_001);

    let queries = [
        "zoe quillfeather",
        "Quilfeather",
        "zq@example.com",
        "Jo",
        "Smith",
        "Bob",
        "Wiliam Tuner",
        "a b c d e f g h i j k",
        &"x".repeat(256),
    ];
    let mut results = Vec::new();
    for q in queries {
        results.push(index.resolve(&ResolveRequest { query: q.into(), limit: None }).unwrap());
    }
    assert_eq!(resolved_uid(&results[0]), Some("needle"));
    assert_eq!(
        results[1].candidates.first().map(|c| (c.uid.as_str(), c.matched_on.as_str())),
        Some(("needle", "fuzzy"))
    );
    assert_eq!(resolved_uid(&results[2]), Some("needle"));
    assert!(results[3].ambiguous && results[3].candidates.len() == 5);
    assert!(results[4].ambiguous);
    assert!(results[5].ambiguous);
    // Speed is measured by `cargo bench` (contacts/resolve among 10000), not asserted here.
}
