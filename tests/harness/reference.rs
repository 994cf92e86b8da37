//! The reference data set of the DAV benchmarks (`dav-server`, `bench-floor`): the sample
//! generator's 5 calendars × 1,000 events (`bench-floor` also uses other sizes) (10 % weekly recurring; the hand-written sample series
//! in the first four) and 2,000 contacts, plus three people — Quentin Blackwood, Yasmin Oyelaran,
//! Ottilie Brandt — with meetings in the week of 30 November 2026 ("next week" for 27 November):
//! 2,003 cards.

use kenny::domain::sample::{SampleSet, SampleSpec, generate};

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

/// The reference data set.
pub fn reference_set() -> SampleSet {
    reference_set_of(1_000)
}

/// The reference data set with `per_calendar` generated events in each of its 5 calendars (the
/// reference people, their cards and meetings are the same at every size).
pub fn reference_set_of(per_calendar: usize) -> SampleSet {
    let spec = SampleSpec { events: 5 * per_calendar, contacts: 2_000, calendars: 5, seed: 2026 };
    let mut set = generate(&spec, &mut |_| {});
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
    set
}
