//! The bundled sample data — the embedded default a newcomer runs first — and the generator
//! that makes it. Deterministic: the same spec always gives the same bytes. The same generator
//! writes large sets for benchmarks (`kenny sample DIR --events N --contacts N`).
//!
//! The bundled set has four calendars (work in America/New_York, a Berlin team calendar,
//! personal with floating and all-day events, holidays), weekly/monthly recurrences with
//! exceptions (EXDATE), a moved and a cancelled occurrence, multi-day all-day events, and about
//! two hundred contacts with nicknames, accents, and two people called Alice. Recurring series
//! start in January 2026 and run to the end of 2027, so questions about "next week" have answers
//! throughout that time.
//!
//! # Layout
//! - this file: what to generate ([`SampleSpec`]), the set ([`SampleSet`]), [`generate`],
//!   [`bundled`], and writing a set out ([`single_file`], [`write_vdir`]).
//! - `people`: the address book — the named people the README's questions use, the name
//!   tables, vCards.
//! - `series`: the hand-written series of the bundled calendars and other people's calendars.
//! - `random`: the deterministic generator and the generated events.
//! - `ics`: writing events as iCalendar text.

use std::path::Path;
use std::sync::OnceLock;

mod ics;
mod people;
mod random;
mod series;

#[cfg(test)]
mod tests;

use ics::{BERLIN, NY, VTZ_BERLIN, VTZ_NEW_YORK, item};
pub use people::FAMILY;
use people::{people, vcard};
use random::{Rng, random_event};
use series::{curated, people_calendars};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSpec {
    /// One-off and recurring events in total, beyond the hand-written series.
    pub events: usize,
    /// Contacts in total, the named sample people included.
    pub contacts: usize,
    /// Calendars the generated events are spread over (at least 1).
    pub calendars: usize,
    /// Seed of the pseudo-random choices.
    pub seed: u64,
}

impl Default for SampleSpec {
    /// The bundled set.
    fn default() -> Self {
        SampleSpec { events: 200, contacts: 200, calendars: 4, seed: 2026 }
    }
}

/// One generated calendar: a vdir collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCalendar {
    /// Collection folder name.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `(file name, iCalendar text)`, one series per file.
    pub items: Vec<(String, String)>,
}

/// A generated data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSet {
    /// The calendars.
    pub calendars: Vec<SampleCalendar>,
    /// `(file name, vCard text)`, one card per file.
    pub contacts: Vec<(String, String)>,
    /// Other people's calendars (free/busy), each named by its owner's email.
    pub people: Vec<SampleCalendar>,
}

/// Calendar sources used when `KENNY_CALENDARS` is unset: the bundled sample data.
pub const SAMPLE_CALENDARS: &str = "sample:calendars";
/// Contact sources used when `KENNY_CONTACTS` is unset: the bundled sample data.
pub const SAMPLE_CONTACTS: &str = "sample:contacts";
/// Other people's calendars used when neither `KENNY_PEOPLE_CALENDARS` nor `KENNY_CALENDARS` is
/// set: the bundled sample's.
pub const SAMPLE_PEOPLE: &str = "sample:people";

/// The bundled set, generated once per process.
pub fn bundled() -> &'static SampleSet {
    static SET: OnceLock<SampleSet> = OnceLock::new();
    SET.get_or_init(|| generate(&SampleSpec::default(), &mut |_| {}))
}

/// `len` characters of printable ASCII that compress poorly, from a fixed xorshift sequence:
/// 90 symbols from `#` on, about 6.5 bits each, so gzip keeps ~80 % of the size. Tests of size
/// limits (the shared cache's chunking) use it to make entries of a known compressed size.
pub fn noise(len: usize, mut seed: u64) -> String {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from(b'#' + (seed % 90) as u8)
        })
        .collect()
}

/// Generates a data set; `progress` is told how many events and contacts are done so far.
pub fn generate(spec: &SampleSpec, progress: &mut dyn FnMut(usize)) -> SampleSet {
    let mut rng = Rng(spec.seed);
    let people = people(spec, &mut rng);
    let contacts = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 1000 == 999 {
                progress(i + 1);
            }
            (format!("{}.vcf", p.uid), vcard(p))
        })
        .collect();
    progress(people.len());
    let names = [("work", "Work"), ("team-berlin", "Team Berlin"), ("personal", "Personal"), ("holidays", "Holidays")];
    let n_cal = spec.calendars.max(1);
    let mut calendars: Vec<SampleCalendar> = (0..n_cal)
        .map(|i| match names.get(i) {
            Some((id, name)) => SampleCalendar { id: (*id).into(), name: (*name).into(), items: Vec::new() },
            None => SampleCalendar {
                id: format!("calendar-{}", i + 1),
                name: format!("Calendar {}", i + 1),
                items: Vec::new(),
            },
        })
        .collect();
    if spec == &SampleSpec::default() || n_cal >= 4 {
        for (cal, items) in calendars.iter_mut().zip(curated(&people)) {
            cal.items = items;
        }
    }
    for k in 0..spec.events {
        let cal = if n_cal == 4 { rng.below(2) } else { rng.below(n_cal) };
        let zone = if cal == 1 { BERLIN } else { NY };
        let ev = random_event(k, &mut rng, people.len());
        if let Some(c) = calendars.get_mut(cal) {
            c.items.push(item(&[ev], zone, &people));
        }
        if k % 1000 == 999 {
            progress(people.len() + k + 1);
        }
    }
    progress(people.len() + spec.events);
    SampleSet { calendars, contacts, people: people_calendars() }
}

/// One calendar as a single `.ics` text holding every item (time zones written once): the
/// "one file, many items" form of feeds and exports.
pub fn single_file(cal: &SampleCalendar) -> String {
    let mut zones = Vec::new();
    let mut events = String::new();
    for (_, text) in &cal.items {
        for block in [VTZ_NEW_YORK, VTZ_BERLIN] {
            if text.contains(block) && !zones.contains(&block) {
                zones.push(block);
            }
        }
        let mut rest = text.as_str();
        while let Some(start) = rest.find("BEGIN:VEVENT\r\n") {
            let Some(len) = rest[start..].find("END:VEVENT\r\n") else { break };
            let end = start + len + "END:VEVENT\r\n".len();
            events.push_str(&rest[start..end]);
            rest = &rest[end..];
        }
    }
    let mut s =
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kenny//Sample data//EN\r\nX-WR-CALNAME:{}\r\n", cal.name);
    zones.iter().for_each(|z| s.push_str(z));
    s.push_str(&events);
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// Writes a set as a vdir tree: `DIR/calendars/<id>/<uid>.ics` (+ `displayname`),
/// `DIR/people/<email>/<uid>.ics` (other people's calendars) and `DIR/contacts/people/<uid>.vcf`.
pub fn write_vdir(set: &SampleSet, dir: &Path) -> std::io::Result<()> {
    let calendars = set.calendars.iter().map(|c| ("calendars", c)).chain(set.people.iter().map(|c| ("people", c)));
    for (root, cal) in calendars {
        write_collection(&dir.join(root).join(&cal.id), &cal.name, &cal.items)?;
    }
    write_collection(&dir.join("contacts").join("people"), "People", &set.contacts)
}

/// One vdir collection: a folder with its `displayname` and one file per item.
fn write_collection(folder: &Path, name: &str, items: &[(String, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    std::fs::write(folder.join("displayname"), name)?;
    for (file, text) in items {
        std::fs::write(folder.join(file), text)?;
    }
    Ok(())
}
