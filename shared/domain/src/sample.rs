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

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate, Weekday};

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

/// splitmix64: a tiny, well-known deterministic generator (no need for a crate).
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
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

/// A person in the sample address book.
#[derive(Debug, Clone)]
struct Person {
    uid: String,
    given: String,
    family: String,
    nickname: Option<String>,
    emails: Vec<String>,
    org: &'static str,
    phone: String,
}

impl Person {
    fn full(&self) -> String {
        format!("{} {}", self.given, self.family)
    }
}

/// The named people the hand-written series use; questions in the README refer to them.
const NAMED: &[(&str, &str, Option<&str>, &str)] = &[
    ("Sarah", "Chen", None, "sarah.chen@northwind.example"),
    ("Thomas", "Baker", Some("Tom"), "tom.baker@northwind.example"),
    ("Robert", "Smith", Some("Bob"), "bob.smith@northwind.example"),
    ("Zoë", "Müller", None, "zoe.mueller@northwind.example"),
    ("José", "García", None, "jgarcia@northwind.example"),
    ("William", "Turner", None, "william.turner@contoso.example"),
    ("Katherine", "O'Neil", Some("Kate"), "katherine.oneil@northwind.example"),
    ("Margaret", "Lewis", Some("Peggy"), "margaret.lewis@contoso.example"),
    ("Alice", "Johnson", None, "alice.johnson@northwind.example"),
    ("Alice", "Nguyen", None, "alice.nguyen@contoso.example"),
    ("Jürgen", "Weiß", None, "juergen.weiss@northwind.example"),
    ("Søren", "Åberg", None, "soren.aberg@northwind.example"),
    ("Priya", "Raman", None, "priya.raman@northwind.example"),
    ("Elizabeth", "Carter", Some("Liz"), "liz.carter@fabrikam.example"),
];

const GIVEN: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Linda",
    "Richard",
    "Barbara",
    "Joseph",
    "Susan",
    "Charles",
    "Jessica",
    "Christopher",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Donna",
    "Kenneth",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "Timothy",
    "Melissa",
    "Ronald",
    "Deborah",
    "Léa",
    "Chloé",
    "Mateo",
    "Lucía",
    "Björn",
    "Ingrid",
    "Hiroshi",
    "Yuki",
    "Olumide",
    "Ngozi",
    "Rafael",
    "Inês",
    "Dmitri",
    "Anastasia",
    "Mei",
    "Wei",
];
/// Common family names the generated contacts draw from; the named people's own (Smith,
/// Johnson, García, …) are left out so that they stay unique. Tests that build large
/// directories draw from it too.
pub const FAMILY: &[&str] = &[
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Dubois",
    "Lefèvre",
    "Schröder",
    "Fernández",
    "Kowalski",
    "Novák",
    "Tanaka",
    "Okafor",
    "Costa",
    "Ivanova",
];
const ORGS: &[&str] = &["Northwind", "Contoso", "Fabrikam", "Tailspin Toys", "Adventure Works"];
const TOPICS: &[&str] = &[
    "Q3 budget planning",
    "Budget review",
    "Hiring sync",
    "Roadmap review",
    "Customer call: Acme",
    "Design critique",
    "Incident postmortem",
    "Quarterly business review",
    "Vendor negotiation",
    "Onboarding: new engineers",
    "Security review",
    "Pricing workshop",
    "Board deck prep",
    "Marketing launch plan",
    "Data platform deep dive",
    "Offsite planning",
    "Performance calibration",
    "Partner intro: Globex",
    "Lunch",
    "Coffee chat",
];
const ROOMS: &[&str] = &["Room 4.01 \"Hudson\"", "Room 2.12", "Zoom", "Café Müller, Torstraße 1", "Board room"];

fn slug(s: &str) -> String {
    crate::text::fold(s).replace(' ', ".")
}

fn people(spec: &SampleSpec, rng: &mut Rng) -> Vec<Person> {
    let mut out: Vec<Person> = NAMED
        .iter()
        .enumerate()
        .map(|(i, (g, f, nick, email))| Person {
            uid: format!("contact-{:05}", i + 1),
            given: (*g).into(),
            family: (*f).into(),
            nickname: nick.map(str::to_string),
            emails: vec![(*email).into()],
            org: if email.contains("contoso") {
                "Contoso"
            } else if email.contains("fabrikam") {
                "Fabrikam"
            } else {
                "Northwind"
            },
            phone: format!("+1 212 555 {:04}", 100 + i),
        })
        .collect();
    out.truncate(spec.contacts);
    while out.len() < spec.contacts {
        let i = out.len();
        let given = rng.pick(GIVEN).to_string();
        let family = rng.pick(FAMILY).to_string();
        let org = *rng.pick(ORGS);
        let domain = crate::text::fold(org).replace(' ', "");
        let mut emails = vec![format!("{}.{}{}@{domain}.example", slug(&given), slug(&family), i)];
        if rng.below(4) == 0 {
            emails.push(format!("{}{}@mail.example", slug(&given), i));
        }
        out.push(Person {
            uid: format!("contact-{:05}", i + 1),
            given,
            family,
            nickname: None,
            emails,
            org,
            phone: format!("+1 646 555 {:04}", i % 10_000),
        });
    }
    out
}

fn vcard(p: &Person) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{}\r\nFN:{}\r\nN:{};{};;;\r\n",
        p.uid,
        p.full(),
        p.family,
        p.given
    );
    if let Some(n) = &p.nickname {
        let _ = write!(s, "NICKNAME:{n}\r\n");
    }
    for (k, e) in p.emails.iter().enumerate() {
        let kind = if k == 0 { "work" } else { "home" };
        let _ = write!(s, "EMAIL;TYPE={kind}{}:{e}\r\n", if k == 0 { ";PREF=1" } else { "" });
    }
    let _ = write!(s, "TEL;TYPE=work:{}\r\nORG:{}\r\nEND:VCARD\r\n", p.phone, p.org);
    s
}

const VTZ_NEW_YORK: &str = "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
const VTZ_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// How an event's times are written.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Tzid(&'static str),
    Floating,
}

/// One VEVENT to write.
#[derive(Debug, Clone, Default)]
struct Ev {
    uid: String,
    summary: String,
    description: Option<String>,
    location: Option<String>,
    /// `YYYYMMDDTHHMMSS` or `YYYYMMDD` (all-day).
    start: String,
    /// DTEND (same form as start).
    end: Option<String>,
    duration: Option<&'static str>,
    rrule: Option<String>,
    exdates: Vec<String>,
    recurrence_id: Option<String>,
    status: Option<&'static str>,
    transparent: bool,
    organizer: Option<usize>,
    attendees: Vec<usize>,
    /// Attendees (indices also in `attendees`) who declined.
    declined: Vec<usize>,
    sequence: u32,
}

fn date_value(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn dt_value(d: NaiveDate, h: u32, m: u32) -> String {
    format!("{}T{h:02}{m:02}00", date_value(d))
}

fn write_event(s: &mut String, ev: &Ev, zone: Zone, people: &[Person]) {
    let all_day = !ev.start.contains('T');
    let prop = |name: &str, v: &str| -> String {
        if all_day {
            format!("{name};VALUE=DATE:{v}\r\n")
        } else {
            match zone {
                Zone::Tzid(tz) => format!("{name};TZID={tz}:{v}\r\n"),
                Zone::Floating => format!("{name}:{v}\r\n"),
            }
        }
    };
    let _ = write!(s, "BEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{}\r\n", ev.uid, ev.sequence);
    if let Some(r) = &ev.recurrence_id {
        s.push_str(&prop("RECURRENCE-ID", r));
    }
    s.push_str(&prop("DTSTART", &ev.start));
    if let Some(e) = &ev.end {
        s.push_str(&prop("DTEND", e));
    }
    if let Some(d) = ev.duration {
        let _ = write!(s, "DURATION:{d}\r\n");
    }
    if let Some(r) = &ev.rrule {
        let _ = write!(s, "RRULE:{r}\r\n");
    }
    for x in &ev.exdates {
        s.push_str(&prop("EXDATE", x));
    }
    let _ = write!(s, "SUMMARY:{}\r\n", escape(&ev.summary));
    if let Some(d) = &ev.description {
        let _ = write!(s, "DESCRIPTION:{}\r\n", escape(d));
    }
    if let Some(l) = &ev.location {
        let _ = write!(s, "LOCATION:{}\r\n", escape(l));
    }
    if let Some(st) = ev.status {
        let _ = write!(s, "STATUS:{st}\r\n");
    }
    if ev.transparent {
        s.push_str("TRANSP:TRANSPARENT\r\n");
    }
    if let Some(o) = ev.organizer.and_then(|i| people.get(i)) {
        let _ = write!(s, "ORGANIZER;CN=\"{}\":mailto:{}\r\n", o.full(), o.emails[0]);
    }
    for (i, p) in ev.attendees.iter().filter_map(|&i| people.get(i).map(|p| (i, p))) {
        let partstat = if ev.declined.contains(&i) { "DECLINED" } else { "ACCEPTED" };
        let _ = write!(s, "ATTENDEE;CN=\"{}\";PARTSTAT={partstat}:mailto:{}\r\n", p.full(), p.emails[0]);
    }
    s.push_str("END:VEVENT\r\n");
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace(',', "\\,").replace(';', "\\;").replace('\n', "\\n")
}

/// One series (master and its overrides) as a vdir item file.
fn item(events: &[Ev], zone: Zone, people: &[Person]) -> (String, String) {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Kenny//Sample data//EN\r\n");
    if let Zone::Tzid(tz) = zone {
        s.push_str(if tz == "Europe/Berlin" { VTZ_BERLIN } else { VTZ_NEW_YORK });
    }
    for ev in events {
        write_event(&mut s, ev, zone, people);
    }
    s.push_str("END:VCALENDAR\r\n");
    let uid = events.first().map(|e| e.uid.clone()).unwrap_or_default();
    (format!("{uid}.ics"), s)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

const NY: Zone = Zone::Tzid("America/New_York");
const BERLIN: Zone = Zone::Tzid("Europe/Berlin");

/// The hand-written series of the bundled set (people are indices into [`NAMED`]).
fn curated(people: &[Person]) -> [Vec<(String, String)>; 4] {
    let until = "UNTIL=20271231T235959Z";
    let team: Vec<usize> = [0, 1, 2, 4, 8, 12].into_iter().filter(|&i| i < people.len()).collect();
    let base = |uid: &str, summary: &str, start: String, end: String| Ev {
        uid: uid.into(),
        summary: summary.into(),
        start,
        end: Some(end),
        ..Ev::default()
    };
    let mut standup = base("standup", "Team standup", dt_value(d(2026, 1, 5), 9, 30), dt_value(d(2026, 1, 5), 9, 45));
    standup.rrule = Some(format!("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;{until}"));
    standup.exdates = [d(2026, 11, 26), d(2026, 12, 25), d(2027, 1, 1)].iter().map(|x| dt_value(*x, 9, 30)).collect();
    standup.organizer = Some(0);
    standup.attendees = team.clone();
    standup.location = Some("Zoom".into());
    let mut moved = standup.clone();
    moved.rrule = None;
    moved.exdates.clear();
    moved.recurrence_id = Some(dt_value(d(2026, 12, 2), 9, 30));
    moved.start = dt_value(d(2026, 12, 2), 10, 0);
    moved.end = Some(dt_value(d(2026, 12, 2), 10, 15));
    moved.summary = "Team standup (moved: all-hands prep)".into();
    moved.sequence = 1;
    let mut cancelled = moved.clone();
    cancelled.recurrence_id = Some(dt_value(d(2026, 12, 4), 9, 30));
    cancelled.start = dt_value(d(2026, 12, 4), 9, 30);
    cancelled.end = Some(dt_value(d(2026, 12, 4), 9, 45));
    cancelled.summary = "Team standup".into();
    cancelled.status = Some("CANCELLED");

    let mut one_on_one =
        base("one-on-one-sarah", "1:1 Sarah / me", dt_value(d(2026, 1, 6), 14, 0), dt_value(d(2026, 1, 6), 14, 30));
    one_on_one.rrule = Some(format!("FREQ=WEEKLY;BYDAY=TU;{until}"));
    one_on_one.organizer = Some(0);
    one_on_one.attendees = vec![0];

    let mut budget =
        base("budget-review", "Budget review", dt_value(d(2026, 1, 8), 11, 0), dt_value(d(2026, 1, 8), 12, 0));
    budget.rrule = Some(format!("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;{until}"));
    budget.description = Some("Fortnightly budget check-in: spend vs plan, open purchase orders.".into());
    budget.organizer = Some(1);
    budget.attendees = vec![0, 1, 6];
    budget.location = Some("Board room".into());

    let mut all_hands = base("all-hands", "All hands", dt_value(d(2026, 1, 7), 16, 0), dt_value(d(2026, 1, 7), 17, 0));
    all_hands.rrule = Some(format!("FREQ=MONTHLY;BYDAY=1WE;{until}"));
    all_hands.organizer = Some(13.min(people.len().saturating_sub(1)));

    let mut retro = base("sprint-retro", "Sprint retro", dt_value(d(2026, 1, 30), 15, 0), String::new());
    retro.end = None;
    retro.duration = Some("PT1H");
    retro.rrule = Some(format!("FREQ=MONTHLY;BYDAY=-1FR;{until}"));
    retro.attendees = team.clone();

    let mut berlin = base("berlin-sync", "Berlin sync", dt_value(d(2026, 1, 7), 9, 30), dt_value(d(2026, 1, 7), 10, 0));
    berlin.rrule = Some(format!("FREQ=WEEKLY;BYDAY=WE;{until}"));
    berlin.organizer = Some(3);
    berlin.attendees = vec![3, 10, 11, 4];
    berlin.location = Some("Café Müller, Torstraße 1".into());
    let mut berlin_q = base(
        "berlin-quarterly",
        "Quarterly planning (Berlin)",
        dt_value(d(2026, 1, 15), 13, 0),
        dt_value(d(2026, 1, 15), 17, 0),
    );
    berlin_q.rrule = Some("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15;COUNT=8".into());
    berlin_q.attendees = vec![3, 10, 0];

    let mut gym = base("gym", "Gym", dt_value(d(2026, 1, 5), 7, 0), dt_value(d(2026, 1, 5), 8, 0));
    gym.rrule = Some(format!("FREQ=WEEKLY;BYDAY=MO,WE;{until}"));
    gym.transparent = true;
    let mut vacation =
        base("vacation-lisbon", "Vacation in Lisbon", date_value(d(2026, 12, 21)), date_value(d(2026, 12, 28)));
    vacation.location = Some("Lisbon".into());
    let mut birthday = base("birthday-zoe", "Zoë's birthday", date_value(d(2026, 3, 14)), date_value(d(2026, 3, 15)));
    birthday.rrule = Some("FREQ=YEARLY".into());
    birthday.transparent = true;
    let mut dentist = base("dentist", "Dentist", dt_value(d(2026, 12, 3), 8, 0), dt_value(d(2026, 12, 3), 8, 45));
    dentist.location = Some("Dr. Gómez, 5th Ave".into());

    let hol = |uid: &str, summary: &str, start: NaiveDate, rule: &str| {
        let mut e = base(uid, summary, date_value(start), date_value(start + Days::new(1)));
        e.rrule = Some(rule.into());
        e.transparent = true;
        e
    };
    let holidays = vec![
        item(&[hol("new-year", "New Year's Day", d(2026, 1, 1), "FREQ=YEARLY")], NY, people),
        item(&[hol("independence-day", "Independence Day", d(2026, 7, 4), "FREQ=YEARLY")], NY, people),
        item(&[hol("thanksgiving", "Thanksgiving", d(2026, 11, 26), "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH")], NY, people),
        item(&[hol("christmas", "Christmas Day", d(2026, 12, 25), "FREQ=YEARLY")], NY, people),
    ];
    [
        vec![
            item(&[standup, moved, cancelled], NY, people),
            item(&[one_on_one], NY, people),
            item(&[budget], NY, people),
            item(&[all_hands], NY, people),
            item(&[retro], NY, people),
        ],
        vec![item(&[berlin], BERLIN, people), item(&[berlin_q], BERLIN, people)],
        vec![
            item(&[gym], Zone::Floating, people),
            item(&[vacation], Zone::Floating, people),
            item(&[birthday], Zone::Floating, people),
            item(&[dentist], Zone::Floating, people),
        ],
        holidays,
    ]
}

/// The people whose own calendars the bundled set includes (indices into [`NAMED`]): Sarah
/// Chen, Thomas Baker, Zoë Müller (in Berlin) and Alice Johnson. Everyone else has no readable
/// calendar, so free/busy reports them as unknown.
const WITH_CALENDARS: [usize; 4] = [0, 1, 3, 8];

/// Other people's calendars, for free/busy: one calendar per person, its id the person's email
/// (a `sample:people` or vdir `people/` directory names each calendar after its owner). Weekly
/// series from January 2026 to the end of 2027, with a transparent, a declined and a cancelled
/// series, overlapping meetings, and a two-day all-day event.
fn people_calendars() -> Vec<SampleCalendar> {
    let people = people(&SampleSpec { contacts: NAMED.len(), ..SampleSpec::default() }, &mut Rng(0));
    let until = "UNTIL=20271231T235959Z";
    let weekly =
        |uid: &str, summary: &str, first: NaiveDate, (h, m): (u32, u32), (eh, em): (u32, u32), days: &str| Ev {
            uid: uid.into(),
            summary: summary.into(),
            start: dt_value(first, h, m),
            end: Some(dt_value(first, eh, em)),
            rrule: Some(format!("FREQ=WEEKLY;BYDAY={days};{until}")),
            ..Ev::default()
        };
    let mon = d(2026, 1, 5);
    let (tue, wed, thu, fri) = (d(2026, 1, 6), d(2026, 1, 7), d(2026, 1, 8), d(2026, 1, 9));
    let standup = |who: &str, idx: usize| {
        let mut e = weekly(&format!("{who}-standup"), "Team standup", mon, (9, 30), (9, 45), "MO,TU,WE,TH,FR");
        e.attendees = vec![idx];
        e
    };
    let mut sarah = vec![
        standup("sarah", 0),
        weekly("sarah-customers", "Customer calls", tue, (13, 0), (15, 0), "TU,TH"),
        weekly("sarah-one-on-one", "1:1 Sarah / me", tue, (14, 0), (14, 30), "TU"),
    ];
    let mut focus = weekly("sarah-focus", "Focus time", wed, (10, 0), (12, 0), "WE");
    focus.transparent = true;
    let mut critique = weekly("sarah-critique", "Design critique", mon, (15, 0), (16, 0), "MO");
    critique.organizer = Some(2);
    critique.attendees = vec![0, 2];
    critique.declined = vec![0];
    let mut vendor = weekly("sarah-vendor", "Vendor sync", fri, (11, 0), (12, 0), "FR");
    vendor.status = Some("CANCELLED");
    sarah.extend([focus, critique, vendor]);

    let mut budget = weekly("tom-budget", "Budget review", thu, (11, 0), (12, 0), "TH");
    budget.rrule = Some(format!("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;{until}"));
    let conference = Ev {
        uid: "tom-conference".into(),
        summary: "Conference (Chicago)".into(),
        start: date_value(d(2026, 12, 3)),
        end: Some(date_value(d(2026, 12, 5))),
        ..Ev::default()
    };
    let tom = vec![
        standup("tom", 1),
        weekly("tom-pipeline", "Sales pipeline", mon, (13, 0), (14, 30), "MO"),
        budget,
        conference,
    ];
    let zoe = vec![
        weekly("zoe-berlin-sync", "Berlin sync", wed, (9, 30), (10, 0), "WE"),
        weekly("zoe-lunch", "Team lunch", thu, (12, 0), (13, 0), "TH"),
        weekly("zoe-review", "Late review with New York", thu, (19, 0), (20, 0), "TH"),
    ];
    let alice = vec![
        standup("alice", 8),
        weekly("alice-interviews", "Interviews", thu, (13, 0), (16, 0), "TH"),
        weekly("alice-lunch-learn", "Lunch & learn", wed, (12, 0), (13, 0), "WE"),
    ];
    let zones = [NY, NY, BERLIN, NY];
    [sarah, tom, zoe, alice]
        .into_iter()
        .zip(WITH_CALENDARS)
        .zip(zones)
        .map(|((events, who), zone)| {
            let p = &people[who];
            SampleCalendar {
                id: p.emails[0].clone(),
                name: p.full(),
                items: events.iter().map(|e| item(std::slice::from_ref(e), zone, &people)).collect(),
            }
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
    let first = d(2026, 1, 5);
    for k in 0..spec.events {
        let cal = if n_cal == 4 { rng.below(2) } else { rng.below(n_cal) };
        let zone = if cal == 1 { BERLIN } else { NY };
        let mut day = first + Days::new(rng.below(728) as u64);
        if day.weekday() == Weekday::Sat || day.weekday() == Weekday::Sun {
            day = day + Days::new(2);
        }
        let hour = 8 + rng.below(9) as u32;
        let minute = [0, 15, 30, 45][rng.below(4)];
        let len = [30, 45, 60, 90][rng.below(4)];
        let end_min = hour * 60 + minute + len;
        let topic = *rng.pick(TOPICS);
        let n_att = 1 + rng.below(4);
        let mut attendees: Vec<usize> = (0..n_att).map(|_| rng.below(people.len())).collect();
        attendees.sort_unstable();
        attendees.dedup();
        let mut ev = Ev {
            uid: format!("gen-{:06}", k + 1),
            summary: topic.into(),
            start: dt_value(day, hour, minute),
            end: Some(dt_value(day, end_min / 60, end_min % 60)),
            organizer: attendees.first().copied(),
            attendees,
            location: (rng.below(3) == 0).then(|| (*rng.pick(ROOMS)).to_string()),
            description: (rng.below(4) == 0)
                .then(|| format!("Agenda: {} — notes in the shared doc.", topic.to_lowercase())),
            ..Ev::default()
        };
        // One event in ten recurs: weekly on its weekday for a while, some with an exception.
        if k % 10 == 0 {
            let weeks = 4 + rng.below(40);
            ev.rrule = Some(format!("FREQ=WEEKLY;COUNT={weeks}"));
            if weeks > 6 {
                ev.exdates.push(dt_value(day + Days::new(14), hour, minute));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let a = generate(&SampleSpec::default(), &mut |_| {});
        let b = generate(&SampleSpec::default(), &mut |_| {});
        assert_eq!(a, b);
        assert_eq!(a.contacts.len(), 200);
        assert_eq!(a.calendars.len(), 4);
        let items: usize = a.calendars.iter().map(|c| c.items.len()).sum();
        assert_eq!(items, 200 + 15);
        let big = generate(&SampleSpec { events: 5000, contacts: 10, calendars: 1, seed: 1 }, &mut |_| {});
        assert_eq!(big.calendars[0].items.len(), 5000);
        let two_alices = a.contacts.iter().filter(|(_, v)| v.contains("FN:Alice ")).count();
        assert!(two_alices >= 2);
    }

    #[test]
    fn single_file_holds_every_event_once() {
        let set = generate(&SampleSpec { events: 50, contacts: 20, calendars: 4, seed: 5 }, &mut |_| {});
        let work = single_file(&set.calendars[0]);
        let in_items: usize = set.calendars[0].items.iter().map(|(_, t)| t.matches("BEGIN:VEVENT").count()).sum();
        assert_eq!(work.matches("BEGIN:VEVENT").count(), in_items);
        assert_eq!(work.matches("BEGIN:VTIMEZONE").count(), 1);
    }

    #[test]
    fn progress_is_reported_to_the_end() {
        let mut last = 0;
        generate(&SampleSpec { events: 2500, contacts: 1500, calendars: 2, seed: 3 }, &mut |n| last = n);
        assert_eq!(last, 4000);
    }
}
