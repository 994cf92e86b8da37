//! `dav-server radicale|xandikos [DIR]`: starts one of the test harness's DAV servers on a free
//! loopback port, seeds it over HTTP with the reference data set of the DAV benchmarks, prints
//! one JSON line — `{"server", "url", "user", "password", "calendars", "events", "cards",
//! "seconds"}` — and keeps serving until its standard input is closed. `scripts/bench plain`
//! runs `scripts/bench-dav-plain.py` against it.
//!
//! The reference data: the sample generator's 5 calendars × 1,000 events (10 % weekly
//! recurring; the hand-written sample series in the first four) and 2,000 contacts, plus three
//! people — Quentin Blackwood, Yasmin Oyelaran, Ottilie Brandt — with meetings in the week of
//! 30 November 2026 ("next week" for 27 November): 2,003 cards. With DIR the vdir is also kept
//! there (for the same data as files).

use std::io::Read as _;
use std::time::Instant;

use kenny::domain::sample::{SampleSpec, generate, write_vdir};
use kenny_tests::{DAV_PASSWORD, DAV_USER, radicale, xandikos};

/// The three people of the reference question and their addresses.
const PEOPLE: [(&str, &str, &str); 3] = [
    ("Quentin", "Blackwood", "quentin.blackwood@northwind.example"),
    ("Yasmin", "Oyelaran", "yasmin.oyelaran@contoso.example"),
    ("Ottilie", "Brandt", "ottilie.brandt@fabrikam.example"),
];

fn card(i: usize, (given, family, email): (&str, &str, &str)) -> (String, String) {
    let uid = format!("reference-{}", i + 1);
    let text = format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{given} {family}\r\nN:{family};{given};;;\r\nEMAIL;TYPE=work;PREF=1:{email}\r\nORG:Reference\r\nEND:VCARD\r\n"
    );
    (format!("{uid}.vcf"), text)
}

/// One event (UTC times) with the given reference people as attendees.
fn event(uid: &str, start: &str, minutes: u32, summary: &str, who: &[usize], rrule: Option<&str>) -> (String, String) {
    let attendees: String = who
        .iter()
        .map(|&k| format!("ATTENDEE;CN={} {};PARTSTAT=ACCEPTED:mailto:{}\r\n", PEOPLE[k].0, PEOPLE[k].1, PEOPLE[k].2))
        .collect();
    let rrule = rrule.map(|r| format!("RRULE:{r}\r\n")).unwrap_or_default();
    let text = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kenny//bench reference//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT{minutes}M\r\nSUMMARY:{summary}\r\nORGANIZER:mailto:{}\r\n{attendees}{rrule}END:VEVENT\r\nEND:VCALENDAR\r\n",
        PEOPLE[who[0]].2
    );
    (format!("{uid}.ics"), text)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("");
    let keep = args.get(1).map(std::path::PathBuf::from);
    let mut set = generate(&SampleSpec { events: 5_000, contacts: 2_000, calendars: 5, seed: 2026 }, &mut |_| {});
    set.contacts.extend(PEOPLE.iter().enumerate().map(|(i, p)| card(i, *p)));
    // Tuesday 1 December 15:00–16:00 New York with all three; Thursday with two; a weekly series
    // (from October) with Ottilie on Mondays; the week after, one more with all three.
    set.calendars[0].items.push(event("reference-all", "20261201T200000Z", 60, "Partnership review", &[0, 1, 2], None));
    set.calendars[4].items.push(event("reference-two", "20261203T160000Z", 45, "Hiring panel", &[0, 1], None));
    set.calendars[2].items.push(event(
        "reference-weekly",
        "20261005T210000Z",
        30,
        "Ops sync",
        &[2],
        Some("FREQ=WEEKLY;COUNT=20"),
    ));
    set.calendars[0].items.push(event(
        "reference-later",
        "20261208T150000Z",
        60,
        "Roadmap with partners",
        &[0, 1, 2],
        None,
    ));
    let temp = tempfile::tempdir().expect("temporary folder");
    let root = keep.unwrap_or_else(|| temp.path().to_path_buf());
    write_vdir(&set, &root).expect("writing the vdir");
    let calendars = set.calendars.len();
    let events: usize = set.calendars.iter().map(|c| c.items.len()).sum();
    let cards = set.contacts.len();
    let started = Instant::now();
    // Both servers kept in scope until stdin closes.
    let (url, _radicale, _xandikos) = match which {
        "radicale" => {
            let r = radicale();
            r.seed_vdir(&root);
            (r.base_url(), Some(r), None)
        }
        "xandikos" => {
            let x = xandikos();
            x.seed_vdir(&root);
            (x.base_url(), None, Some(x))
        }
        _ => {
            eprintln!("usage: dav-server radicale|xandikos [DIR]");
            std::process::exit(2);
        }
    };
    let line = serde_json::json!({
        "server": which,
        "url": url,
        "user": DAV_USER,
        "password": DAV_PASSWORD,
        "calendars": calendars,
        "events": events,
        "cards": cards,
        "seconds": started.elapsed().as_secs_f64().round(),
    });
    println!("{line}");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
