//! vCard text → [`Contact`]s. Cards are found by their BEGIN:VCARD / END:VCARD lines first, so a
//! broken card is skipped on its own instead of swallowing its neighbours, then each card is
//! parsed with calcard's vCard parser (3.0 and 4.0; folded lines, quoted-printable, escapes).
//!
//! Per-card caps keep hostile cards small: at most [`MAX_EMAILS`] emails, [`MAX_PHONES`] phones,
//! [`MAX_NICKNAMES`] nicknames, and text fields cut to [`MAX_TEXT_CHARS`] characters.

use calcard::Entry;
use calcard::vcard::{VCard, VCardEntry, VCardParameterName, VCardParameterValue, VCardProperty, VCardValue};

use super::{Contact, ContactsError, Skipped};

/// Most emails kept per contact (a card with 10,000 keeps the 50 most preferred).
pub const MAX_EMAILS: usize = 50;
/// Most phone numbers kept per contact.
pub const MAX_PHONES: usize = 50;
/// Most nicknames kept per contact.
pub const MAX_NICKNAMES: usize = 20;
/// Longest name, nickname or organisation kept, in characters; longer ones are cut.
pub const MAX_TEXT_CHARS: usize = 256;
/// Longest UID kept, in characters; longer ones are cut.
pub const MAX_UID_CHARS: usize = 512;
/// Longest email address kept (RFC 5321's limit); longer values are dropped.
const MAX_EMAIL_CHARS: usize = 254;
/// Longest phone value kept; longer values are dropped.
const MAX_PHONE_CHARS: usize = 64;
/// Preference rank of a value without PREF (PREF=1 is most preferred, 100 least).
const NO_PREF: u32 = 101;

/// Parse a text holding any number of vCards (3.0 and 4.0) with calcard's vCard parser
/// (calcard::vcard). Malformed cards are skipped and reported; never a panic.
///
/// Skipped: a card without END:VCARD (`unterminated_card`), a card with no FN, N, ORG or EMAIL
/// (`missing_name`), and each run of non-blank text outside cards (`stray_text`). Unknown
/// properties and lines without a colon inside a card are ignored, as calcard's lenient mode does.
/// A card without UID gets a stable synthetic one (see [`Contact::uid`]).
pub fn parse_vcards(text: &str) -> (Vec<Contact>, Vec<Skipped>) {
    let mut contacts = Vec::new();
    let mut skipped = Vec::new();
    // (byte offset, line number) of the current card's BEGIN line.
    let mut open: Option<(usize, usize)> = None;
    let mut in_stray_run = false;
    let mut offset = 0usize;

    for (index, raw_line) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_start_matches('\u{feff}').trim_end();

        if line.eq_ignore_ascii_case("BEGIN:VCARD") {
            in_stray_run = false;
            if let Some((start, begin_line)) = open.take() {
                let block = text.get(start..line_start).unwrap_or("");
                skipped.push(unterminated(block, begin_line));
            }
            open = Some((line_start, line_no));
        } else if line.eq_ignore_ascii_case("END:VCARD") {
            match open.take() {
                Some((start, begin_line)) => {
                    let block = text.get(start..offset).unwrap_or("");
                    match card_to_contact(block, begin_line) {
                        Ok(contact) => contacts.push(contact),
                        Err(skip) => skipped.push(skip),
                    }
                }
                None => stray(&mut skipped, &mut in_stray_run, line_no),
            }
        } else if open.is_none() && !line.is_empty() {
            stray(&mut skipped, &mut in_stray_run, line_no);
        } else if open.is_none() {
            in_stray_run = false;
        }
    }
    if let Some((start, begin_line)) = open {
        skipped.push(unterminated(text.get(start..).unwrap_or(""), begin_line));
    }
    (contacts, skipped)
}

/// Reports the first line of a run of stray text once.
fn stray(skipped: &mut Vec<Skipped>, in_run: &mut bool, line: usize) {
    if !*in_run {
        skipped.push(Skipped::from_error(None, &ContactsError::StrayText { line }));
        *in_run = true;
    }
}

/// The report for a card that never ends; its UID is read from what there is.
fn unterminated(block: &str, line: usize) -> Skipped {
    let uid = match calcard::Parser::new(block).entry() {
        Entry::VCard(card) => card.uid().map(|u| cut(u.trim(), MAX_UID_CHARS)),
        _ => None,
    }
    .filter(|u| !u.is_empty());
    Skipped::from_error(uid, &ContactsError::UnterminatedCard { line })
}

/// Parses one BEGIN…END block and turns it into a contact.
fn card_to_contact(block: &str, line: usize) -> Result<Contact, Skipped> {
    match calcard::Parser::new(block).entry() {
        Entry::VCard(card) => contact_from_card(&card, line),
        other => Err(Skipped::from_error(None, &ContactsError::InvalidCard { line, detail: describe(&other) })),
    }
}

/// A short description of a non-vCard parser result, without echoing card contents.
fn describe(entry: &Entry) -> String {
    match entry {
        Entry::VCard(_) => "a vCard".into(),
        Entry::ICalendar(_) => "an iCalendar component".into(),
        Entry::InvalidLine(_) => "an invalid line".into(),
        Entry::UnexpectedComponentEnd { .. } => "an unexpected END".into(),
        Entry::UnterminatedComponent(_) => "an unterminated component".into(),
        Entry::TooManyComponents => "too many components".into(),
        Entry::Eof => "end of input".into(),
        _ => "an unknown entry".into(),
    }
}

/// Builds a [`Contact`] from a parsed card, applying the caps.
fn contact_from_card(card: &VCard, line: usize) -> Result<Contact, Skipped> {
    let uid = card.uid().map(|u| cut(u.trim(), MAX_UID_CHARS)).filter(|u| !u.is_empty());

    let formatted = card
        .properties(&VCardProperty::Fn)
        .map(|e| joined_text(e, ""))
        .find(|s| !s.trim().is_empty())
        .map(|s| cut(s.trim(), MAX_TEXT_CHARS));

    let n = card.property(&VCardProperty::N);
    let family = n.and_then(|e| component(e, 0));
    let given = n.and_then(|e| component(e, 1));
    let additional = n.and_then(|e| component(e, 2));
    let from_n = {
        let parts: Vec<&str> = [&given, &additional, &family].into_iter().filter_map(|p| p.as_deref()).collect();
        (!parts.is_empty()).then(|| cut(&parts.join(" "), MAX_TEXT_CHARS))
    };

    let organization = card.properties(&VCardProperty::Org).filter_map(|e| component(e, 0)).next();

    let mut nicknames: Vec<String> = Vec::new();
    'nick: for entry in card.properties(&VCardProperty::Nickname) {
        for value in &entry.values {
            for text in value_texts(value) {
                if nicknames.len() >= MAX_NICKNAMES {
                    break 'nick;
                }
                let text = cut(text.trim(), MAX_TEXT_CHARS);
                if !text.is_empty() && !nicknames.contains(&text) {
                    nicknames.push(text);
                }
            }
        }
    }

    let emails = preferred_values(card, &VCardProperty::Email, MAX_EMAILS, |raw| {
        let value = strip_scheme(raw.trim(), "mailto:");
        let folded = value.trim().to_lowercase();
        (!folded.is_empty() && folded.chars().count() <= MAX_EMAIL_CHARS).then_some(folded)
    });
    let phones = preferred_values(card, &VCardProperty::Tel, MAX_PHONES, |raw| {
        let value = strip_scheme(raw.trim(), "tel:").trim().to_string();
        (!value.is_empty() && value.chars().count() <= MAX_PHONE_CHARS).then_some(value)
    });

    let Some(name) = formatted.or(from_n).or_else(|| organization.clone()).or_else(|| emails.first().cloned()) else {
        return Err(Skipped::from_error(uid, &ContactsError::MissingName { line }));
    };

    let uid = uid.unwrap_or_else(|| synthetic_uid(&name, &emails, &phones));
    Ok(Contact { uid, name, given, family, nicknames, emails, phones, organization })
}

/// Values of every `prop` entry, most preferred first (stable for equal preference), cleaned by
/// `clean`, de-duplicated and capped at `max`. Linear in the card's size: only the kept values
/// are copied.
fn preferred_values(
    card: &VCard,
    prop: &VCardProperty,
    max: usize,
    clean: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut ranked: Vec<(u32, &VCardEntry)> = card.properties(prop).map(|e| (pref_rank(e), e)).collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    let mut out: Vec<String> = Vec::new();
    for (_, entry) in ranked {
        if out.len() >= max {
            break;
        }
        let value = match entry.values.first() {
            Some(VCardValue::Text(s)) => clean(s),
            Some(VCardValue::Component(parts)) => parts.first().and_then(|s| clean(s)),
            _ => None,
        };
        if let Some(value) = value
            && !out.contains(&value)
        {
            out.push(value);
        }
    }
    out
}

/// PREF=n (4.0; 1 is most preferred), a bare PREF or TYPE=PREF (2.1/3.0) counting as 1.
fn pref_rank(entry: &VCardEntry) -> u32 {
    let mut rank = NO_PREF;
    for param in &entry.params {
        let this = match (&param.name, &param.value) {
            (VCardParameterName::Pref, VCardParameterValue::Integer(n)) => (*n).clamp(1, 100),
            (VCardParameterName::Pref, VCardParameterValue::Text(t)) => {
                t.trim().parse::<u32>().map_or(1, |n| n.clamp(1, 100))
            }
            (VCardParameterName::Pref, VCardParameterValue::Null) => 1,
            (VCardParameterName::Type, VCardParameterValue::Text(t)) if t.eq_ignore_ascii_case("pref") => 1,
            _ => NO_PREF,
        };
        rank = rank.min(this);
    }
    rank
}

/// The texts in one value: one for plain text, each part for a comma list.
fn value_texts(value: &VCardValue) -> Vec<String> {
    match value {
        VCardValue::Text(s) => vec![s.clone()],
        VCardValue::Component(parts) => parts.clone(),
        _ => Vec::new(),
    }
}

/// All of an entry's text values joined by `sep`.
fn joined_text(entry: &VCardEntry, sep: &str) -> String {
    entry.values.iter().flat_map(value_texts).collect::<Vec<_>>().join(sep)
}

/// One component of a structured value (N, ORG), its comma-separated parts joined by spaces;
/// None when blank.
fn component(entry: &VCardEntry, index: usize) -> Option<String> {
    let parts = value_texts(entry.values.get(index)?);
    let text = parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| cut(&text, MAX_TEXT_CHARS))
}

/// Removes a URI scheme such as `mailto:` (any case).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> &'a str {
    match value.get(..scheme.len()) {
        Some(head) if head.eq_ignore_ascii_case(scheme) => value.get(scheme.len()..).unwrap_or(""),
        _ => value,
    }
}

/// The first `max` characters of `text`.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text.get(..end).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

/// A UID for a card without one, stable across runs and machines (FNV-1a over name, emails,
/// phones) so caches and answers keep referring to the same person.
fn synthetic_uid(name: &str, emails: &[String], phones: &[String]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(name.as_bytes());
    for value in emails.iter().chain(phones) {
        feed(b"\x1f");
        feed(value.as_bytes());
    }
    format!("urn:kenny:contact:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Contact {
        let (mut contacts, skipped) = parse_vcards(text);
        assert_eq!(skipped, vec![], "unexpected skips");
        assert_eq!(contacts.len(), 1);
        contacts.remove(0)
    }

    #[test]
    fn vcard4_with_pref_and_structured_name() {
        let c = one(concat!(
            "BEGIN:VCARD\r\n",
            "VERSION:4.0\r\n",
            "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n",
            "FN:Robert \"Bob\" Smith\r\n",
            "N:Smith;Robert;James,Paul;Dr.;Jr.\r\n",
            "NICKNAME:Bob,Bobby\r\n",
            "EMAIL;TYPE=home:Bob@Home.Example\r\n",
            "EMAIL;PREF=1:robert.smith@Work.Example\r\n",
            "EMAIL;PREF=2:mailto:r.smith@example.org\r\n",
            "TEL;VALUE=uri;TYPE=cell:tel:+1-555-555-0100\r\n",
            "TEL;PREF=1:+44 20 7946 0000\r\n",
            "ORG:Acme\\, Inc.;Sales\r\n",
            "END:VCARD\r\n",
        ));
        assert_eq!(
            c,
            Contact {
                uid: "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1".into(),
                name: "Robert \"Bob\" Smith".into(),
                given: Some("Robert".into()),
                family: Some("Smith".into()),
                nicknames: vec!["Bob".into(), "Bobby".into()],
                emails: vec![
                    "robert.smith@work.example".into(),
                    "r.smith@example.org".into(),
                    "bob@home.example".into()
                ],
                phones: vec!["+44 20 7946 0000".into(), "+1-555-555-0100".into()],
                organization: Some("Acme, Inc.".into()),
            }
        );
    }

    #[test]
    fn vcard3_folded_lines_type_pref_and_escapes() {
        let c = one(concat!(
            "BEGIN:VCARD\n",
            "VERSION:3.0\n",
            "FN:Zoë\n",
            "  Durand\n",
            "N:Durand;Zoë;;;\n",
            "EMAIL;TYPE=INTERNET:zoe@old.example\n",
            "EMAIL;TYPE=INTERNET,PREF:Zoe.Durand@example.fr\n",
            "NOTE:semi\\;colon\\, comma\\nnew line\n",
            "END:VCARD\n",
        ));
        assert_eq!(c.name, "Zoë Durand");
        assert_eq!(c.given.as_deref(), Some("Zoë"));
        assert_eq!(c.family.as_deref(), Some("Durand"));
        assert_eq!(c.emails, vec!["zoe.durand@example.fr", "zoe@old.example"]);
        assert!(c.uid.starts_with("urn:kenny:contact:"), "{}", c.uid);
        // The synthetic UID is stable.
        assert_eq!(
            c.uid,
            one("BEGIN:VCARD\nFN:Zoë Durand\nEMAIL;PREF=1:Zoe.Durand@example.fr\nEMAIL:zoe@old.example\nEND:VCARD\n")
                .uid
        );
    }

    #[test]
    fn vcard21_quoted_printable_and_bare_pref() {
        let c = one(concat!(
            "BEGIN:VCARD\r\n",
            "VERSION:2.1\r\n",
            "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n",
            "EMAIL;INTERNET:j@example.de\r\n",
            "EMAIL;PREF;INTERNET:juergen@example.de\r\n",
            "END:VCARD\r\n",
        ));
        assert_eq!(c.name, "Jürgen Müller");
        assert_eq!(c.emails, vec!["juergen@example.de", "j@example.de"]);
    }

    #[test]
    fn name_falls_back_to_n_then_org_then_email() {
        assert_eq!(one("BEGIN:VCARD\nN:Turner;William;;;\nEND:VCARD\n").name, "William Turner");
        assert_eq!(one("BEGIN:VCARD\nORG:Globex\nEND:VCARD\n").name, "Globex");
        assert_eq!(one("BEGIN:VCARD\nEMAIL:Desk@Example.com\nEND:VCARD\n").name, "desk@example.com");
    }

    #[test]
    fn malformed_cards_are_skipped_and_neighbours_kept() {
        let text = concat!(
            "junk before\n",
            "more junk\n",
            "\n",
            "BEGIN:VCARD\nVERSION:4.0\nUID:a\nFN:Alpha\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:4.0\nUID:broken\nFN:Never Ends\n",
            "BEGIN:VCARD\nVERSION:4.0\nUID:nameless\nNOTE:no name\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:4.0\nUID:b\nFN:Beta\nthis line has no colon\nEND:VCARD\n",
            "END:VCARD\n",
            "BEGIN:VCARD\nUID:tail\nFN:Tail",
        );
        let (contacts, skipped) = parse_vcards(text);
        let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["Alpha", "Beta"]);
        let got: Vec<(Option<&str>, &str, &str)> =
            skipped.iter().map(|s| (s.uid.as_deref(), s.code, s.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (None, "stray_text", "text outside any vCard at line 1"),
                (Some("broken"), "unterminated_card", "card starting at line 9 has no END:VCARD"),
                (Some("nameless"), "missing_name", "card starting at line 13 has no FN, N, ORG or EMAIL to name it by"),
                (None, "stray_text", "text outside any vCard at line 24"),
                (Some("tail"), "unterminated_card", "card starting at line 25 has no END:VCARD"),
            ]
        );
    }

    #[test]
    fn empty_and_garbage_input_never_panic() {
        assert_eq!(parse_vcards(""), (vec![], vec![]));
        assert_eq!(parse_vcards("\n\n  \n"), (vec![], vec![]));
        for text in [
            "BEGIN:VCARD",
            "BEGIN:VCARD\nEND:VCARD",
            "BEGIN:VCARD\n:\n;\n=\nFN;;;:\nEND:VCARD\n",
            "BEGIN:VCARD\nN:;;;;\nFN: \nEND:VCARD\n",
            "\u{feff}BEGIN:VCARD\nFN:\u{0}\u{1}x\nEND:VCARD\n",
            "BEGIN:VCARD\nEMAIL;PREF=abc:x@y\nTEL;PREF=99999999999:1\nFN:P\nEND:VCARD\n",
        ] {
            let (contacts, skipped) = parse_vcards(text);
            assert!(contacts.len() + skipped.len() >= 1, "{text:?}");
        }
    }

    #[test]
    fn huge_cards_are_capped() {
        let mut text = String::from("BEGIN:VCARD\nVERSION:4.0\nUID:big\nFN:Big\n");
        for i in 0..10_000 {
            text.push_str(&format!("EMAIL:user{i}@example.com\nTEL:+1 555 {i:06}\nNICKNAME:n{i}\n"));
        }
        text.push_str("EMAIL;PREF=1:Main@Example.com\n");
        text.push_str(&format!("NOTE:{}\nFN:{}\n", "x".repeat(100_000), "y".repeat(100_000)));
        text.push_str("END:VCARD\n");
        let c = one(&text);
        assert_eq!(c.emails.len(), MAX_EMAILS);
        assert_eq!(c.emails[0], "main@example.com");
        assert_eq!(c.emails[1], "user0@example.com");
        assert_eq!(c.phones.len(), MAX_PHONES);
        assert_eq!(c.nicknames.len(), MAX_NICKNAMES);
        assert_eq!(c.name, "Big");

        let long_name = format!("BEGIN:VCARD\nFN:{}\nEND:VCARD\n", "é".repeat(1000));
        assert_eq!(one(&long_name).name.chars().count(), MAX_TEXT_CHARS);
    }
}
