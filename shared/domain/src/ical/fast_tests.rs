//! The fast reader against calcard's reading of the whole text: on the iCalendar corpora, the
//! sample data, hand-written odd lines, and thousands of mutations of them, every text the fast
//! reader takes must give exactly what calcard's reading gives.

use std::path::Path;

use super::both;
use crate::ical::Limits;

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for dir in [root.join("../tests/corpus/ical"), root.join("../../fuzz/corpus/ical")] {
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_none_or(|e| e != "expected"))
            .collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).unwrap_or_default();
            texts.push((p.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    for cal in &crate::sample::bundled().calendars {
        for (name, text) in &cal.items {
            texts.push((format!("sample {name}"), text.clone()));
        }
        texts.push((format!("sample {} as one file", cal.id), crate::sample::single_file(cal)));
    }
    texts.push(("odd lines".into(), odd_lines()));
    texts
}

/// Lines at the edges of what the fast reader takes itself.
fn odd_lines() -> String {
    let lines = [
        "UID:odd",
        "DTSTART;TZID=\"Europe/Berlin\":20260310T100000",
        "DTEND;TZID=Custom Zone:20260310T110000",
        "SUMMARY;LANGUAGE=en:Caf\\u00e9\\, \\;\\\\ \\N done\\",
        "DESCRIPTION:line one\\nline two\r\n  folded",
        "DESCRIPTION:one\\ntwo\\Nthree\\,four\\;five\\\\six\\:seven",
        "LOCATION;ALTREP=\"cid:x\":Room: 1",
        "LOCATION:",
        "ATTENDEE;CN=\"Doe, John\";PARTSTAT=accepted:MAILTO:John.Doe@Example.org",
        "ATTENDEE;CN=Jane Roe;PARTSTAT=X-CUSTOM;RSVP=TRUE:mailto:jane@example.org",
        "ATTENDEE;CN= padded ;PARTSTAT=DECLINED:mailto:pad@example.org",
        "ATTENDEE;CN=a,b:mailto:comma@example.org",
        "ATTENDEE:data:text/plain,hello",
        "ATTENDEE;VALUE=CAL-ADDRESS:mailto:typed@example.org",
        "ORGANIZER;SENT-BY=\"mailto:b@example.org\":mailto:boss@example.org",
        "STATUS:tentative",
        "STATUS: cancelled ",
        "TRANSP:transparent",
        "SEQUENCE: 7",
        "SEQUENCE:x",
        "EXDATE:20260317T100000,20260324",
        "EXDATE;VALUE=DATE:20260331,20260407T100000",
        "EXDATE;TZID=America/New_York:20260414T100000, 20260421T100000",
        "EXDATE:",
        "RDATE;VALUE=PERIOD:20260501T100000Z/PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=10",
        "RECURRENCE-ID;RANGE=THISANDFUTURE:20260310T100000",
        "DTSTAMP:20260101T000000Z",
        "LAST-MODIFIED:2026-01-01",
        "X-UNUSED;X-P=\"a;b:c\":whatever",
        "DESCRIPTION;ENCODING=BASE64:aGVsbG8=",
        "SUMMARY;VALUE=TEXT:typed",
        "DTSTART;VALUE=DATE:20260310",
        "DTSTART;VALUE=PERIOD:20260310",
        "DTEND:2026\\0310",
    ];
    let zone = "BEGIN:VTIMEZONE\r\nTZID:Custom Zone\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    let mut text = String::from("BEGIN:VCALENDAR\r\nX-WR-CALNAME:Odd\r\nX-WR-TIMEZONE:Europe/Paris\r\n");
    text.push_str(zone);
    text.push_str("BEGIN:VEVENT\r\n");
    for l in lines {
        text.push_str(l);
        text.push_str("\r\n");
    }
    text.push_str("BEGIN:VALARM\r\nDESCRIPTION:alarm\r\nDURATION:PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n");
    // Each line alone too, so a later line cannot hide an earlier one's reading.
    for (i, l) in lines.iter().enumerate() {
        text.push_str(&format!("BEGIN:VEVENT\r\nUID:line-{i}\r\nDTSTART:20260310T100000Z\r\n{l}\r\nEND:VEVENT\r\n"));
    }
    text.push_str("END:VCALENDAR\r\n");
    // The same with LF line endings.
    let lf = text.replace("\r\n", "\n");
    text.push_str(&lf);
    text
}

/// Compares both readings; returns whether the fast reader took the text.
fn check(name: &str, text: &str, limits: &Limits) -> bool {
    let (fast, calcard) = both(text, limits);
    let Some(fast) = fast else { return false };
    let (f, c) = (format!("{fast:#?}"), format!("{calcard:#?}"));
    if f != c {
        let at = f.lines().zip(c.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let show = |s: &str| s.lines().skip(at.saturating_sub(8)).take(16).collect::<Vec<_>>().join("\n");
        panic!("{name}: the readings differ at line {at}\nfast:\n{}\ncalcard:\n{}", show(&f), show(&c));
    }
    true
}

#[test]
fn the_fast_reader_reads_as_calcard_does() {
    let small = Limits { max_events: 3, max_values_per_event: 2, ..Limits::default() };
    let mut taken = 0;
    let texts = corpus();
    for (name, text) in &texts {
        taken += usize::from(check(name, text, &Limits::default()));
        check(name, text, &small);
    }
    println!("the fast reader took {taken} of {} texts", texts.len());
    // Most texts are of the usual shape; the test means nothing if the fast reader took none.
    assert!(taken * 2 > texts.len(), "the fast reader took {taken} of {} texts", texts.len());
}

/// Pieces mutations insert: the characters and lines the fast reader must be careful with.
const PIECES: &[&str] = &[
    ";",
    ":",
    ",",
    "\"",
    "\\",
    "\r",
    "\n",
    "\r\n",
    "\r\n ",
    "\t",
    " ",
    "=",
    "BEGIN:VALARM\r\n",
    "END:VALARM\r\n",
    "END:VEVENT\r\n",
    "BEGIN:VEVENT\r\n",
    "BEGIN:VTIMEZONE\r\n",
    "END:VCALENDAR\r\n",
    "\r\nSUMMARY:x",
    "\r\nUID:",
    ";TZID=Europe/Berlin",
    ";VALUE=DATE",
    ";RANGE=THISANDFUTURE",
    ";ENCODING=QUOTED-PRINTABLE",
    "=\r\n",
    ";CN=\"a:b\"",
    "\u{feff}",
    "é",
    "Z",
    "T",
    "0",
    "\\n",
    "\\,",
    "mailto:",
    "\r\nX-WR-TIMEZONE:Europe/Berlin",
    "\r\nEXDATE:20260317T100000",
    "\r\nRRULE:FREQ=DAILY;COUNT=3",
    "begin:vevent\r\n",
    "\r\nDTSTART:20260301",
];

fn mutate(text: &str, rng: &mut fastrand::Rng) -> String {
    let mut s = text.to_string();
    for _ in 0..rng.usize(1..4) {
        let mut at = rng.usize(0..=s.len());
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.u8(0..4) {
            0 | 1 => s.insert_str(at, PIECES[rng.usize(0..PIECES.len())]),
            2 => {
                let mut end = (at + rng.usize(1..12)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + rng.usize(1..40)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                let lower = s[at..end].to_lowercase();
                s.replace_range(at..end, &lower);
            }
        }
    }
    s
}

#[test]
fn mutated_texts_read_alike() {
    let texts: Vec<(String, String)> = corpus().into_iter().filter(|(_, t)| t.len() < 20_000).collect();
    let mut rng = fastrand::Rng::with_seed(14);
    let (mut tried, mut taken) = (0, 0);
    for round in 0..40 {
        for (name, text) in &texts {
            let m = mutate(text, &mut rng);
            tried += 1;
            taken += usize::from(check(&format!("{name}, mutation {round}: {m:?}"), &m, &Limits::default()));
        }
    }
    println!("the fast reader took {taken} of {tried} mutated texts");
    assert!(taken * 4 > tried, "the fast reader took {taken} of {tried} mutated texts");
}
