//! The hand-written series of the bundled set — the calendars the README's questions are about —
//! and other people's calendars for free/busy. People are indices into [`NAMED`].

use chrono::{Days, NaiveDate};

use super::ics::{BERLIN, Ev, NY, Zone, d, date_value, dt_value, item};
use super::people::{NAMED, Person, people};
use super::random::Rng;
use super::{SampleCalendar, SampleSpec};

/// Where the recurring series end: the end of 2027.
const UNTIL: &str = "UNTIL=20271231T235959Z";

/// The hand-written series of the bundled set, per calendar: work, team Berlin, personal,
/// holidays.
pub(super) fn curated(people: &[Person]) -> [Vec<(String, String)>; 4] {
    [work(people), team_berlin(people), personal(people), holidays(people)]
}

/// An event from `start` to `end`, nothing else said.
fn base(uid: &str, summary: &str, start: String, end: String) -> Ev {
    Ev { uid: uid.into(), summary: summary.into(), start, end: Some(end), ..Ev::default() }
}

/// The work calendar (New York): the team standup with a moved and a cancelled occurrence, a
/// weekly 1:1, the fortnightly budget review, the monthly all hands and sprint retro.
fn work(people: &[Person]) -> Vec<(String, String)> {
    let team: Vec<usize> = [0, 1, 2, 4, 8, 12].into_iter().filter(|&i| i < people.len()).collect();
    let [standup, moved, cancelled] = standup(&team);

    let mut one_on_one =
        base("one-on-one-sarah", "1:1 Sarah / me", dt_value(d(2026, 1, 6), 14, 0), dt_value(d(2026, 1, 6), 14, 30));
    one_on_one.rrule = Some(format!("FREQ=WEEKLY;BYDAY=TU;{UNTIL}"));
    one_on_one.organizer = Some(0);
    one_on_one.attendees = vec![0];

    let mut budget =
        base("budget-review", "Budget review", dt_value(d(2026, 1, 8), 11, 0), dt_value(d(2026, 1, 8), 12, 0));
    budget.rrule = Some(format!("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;{UNTIL}"));
    budget.description = Some("Fortnightly budget check-in: spend vs plan, open purchase orders.".into());
    budget.organizer = Some(1);
    budget.attendees = vec![0, 1, 6];
    budget.location = Some("Board room".into());

    let mut all_hands = base("all-hands", "All hands", dt_value(d(2026, 1, 7), 16, 0), dt_value(d(2026, 1, 7), 17, 0));
    all_hands.rrule = Some(format!("FREQ=MONTHLY;BYDAY=1WE;{UNTIL}"));
    all_hands.organizer = Some(13.min(people.len().saturating_sub(1)));

    let mut retro = base("sprint-retro", "Sprint retro", dt_value(d(2026, 1, 30), 15, 0), String::new());
    retro.end = None;
    retro.duration = Some("PT1H");
    retro.rrule = Some(format!("FREQ=MONTHLY;BYDAY=-1FR;{UNTIL}"));
    retro.attendees = team;

    vec![
        item(&[standup, moved, cancelled], NY, people),
        item(&[one_on_one], NY, people),
        item(&[budget], NY, people),
        item(&[all_hands], NY, people),
        item(&[retro], NY, people),
    ]
}

/// The team standup on weekdays (three holidays excepted), its occurrence of 2 December moved
/// to 10:00, and its occurrence of 4 December cancelled.
fn standup(team: &[usize]) -> [Ev; 3] {
    let mut standup = base("standup", "Team standup", dt_value(d(2026, 1, 5), 9, 30), dt_value(d(2026, 1, 5), 9, 45));
    standup.rrule = Some(format!("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;{UNTIL}"));
    standup.exdates = [d(2026, 11, 26), d(2026, 12, 25), d(2027, 1, 1)].iter().map(|x| dt_value(*x, 9, 30)).collect();
    standup.organizer = Some(0);
    standup.attendees = team.to_vec();
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
    [standup, moved, cancelled]
}

/// The team Berlin calendar (Europe/Berlin): a weekly sync and a quarterly planning.
fn team_berlin(people: &[Person]) -> Vec<(String, String)> {
    let mut berlin = base("berlin-sync", "Berlin sync", dt_value(d(2026, 1, 7), 9, 30), dt_value(d(2026, 1, 7), 10, 0));
    berlin.rrule = Some(format!("FREQ=WEEKLY;BYDAY=WE;{UNTIL}"));
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
    vec![item(&[berlin], BERLIN, people), item(&[berlin_q], BERLIN, people)]
}

/// The personal calendar (floating times and all-day events): gym, a week's vacation, a
/// yearly birthday, the dentist.
fn personal(people: &[Person]) -> Vec<(String, String)> {
    let mut gym = base("gym", "Gym", dt_value(d(2026, 1, 5), 7, 0), dt_value(d(2026, 1, 5), 8, 0));
    gym.rrule = Some(format!("FREQ=WEEKLY;BYDAY=MO,WE;{UNTIL}"));
    gym.transparent = true;
    let mut vacation =
        base("vacation-lisbon", "Vacation in Lisbon", date_value(d(2026, 12, 21)), date_value(d(2026, 12, 28)));
    vacation.location = Some("Lisbon".into());
    let mut birthday = base("birthday-zoe", "Zoë's birthday", date_value(d(2026, 3, 14)), date_value(d(2026, 3, 15)));
    birthday.rrule = Some("FREQ=YEARLY".into());
    birthday.transparent = true;
    let mut dentist = base("dentist", "Dentist", dt_value(d(2026, 12, 3), 8, 0), dt_value(d(2026, 12, 3), 8, 45));
    dentist.location = Some("Dr. Gómez, 5th Ave".into());
    vec![
        item(&[gym], Zone::Floating, people),
        item(&[vacation], Zone::Floating, people),
        item(&[birthday], Zone::Floating, people),
        item(&[dentist], Zone::Floating, people),
    ]
}

/// The holidays calendar: yearly, all-day, transparent.
fn holidays(people: &[Person]) -> Vec<(String, String)> {
    let hol = |uid: &str, summary: &str, start: NaiveDate, rule: &str| {
        let mut e = base(uid, summary, date_value(start), date_value(start + Days::new(1)));
        e.rrule = Some(rule.into());
        e.transparent = true;
        e
    };
    vec![
        item(&[hol("new-year", "New Year's Day", d(2026, 1, 1), "FREQ=YEARLY")], NY, people),
        item(&[hol("independence-day", "Independence Day", d(2026, 7, 4), "FREQ=YEARLY")], NY, people),
        item(&[hol("thanksgiving", "Thanksgiving", d(2026, 11, 26), "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH")], NY, people),
        item(&[hol("christmas", "Christmas Day", d(2026, 12, 25), "FREQ=YEARLY")], NY, people),
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
pub(super) fn people_calendars() -> Vec<SampleCalendar> {
    let people = people(&SampleSpec { contacts: NAMED.len(), ..SampleSpec::default() }, &mut Rng(0));
    let weekly =
        |uid: &str, summary: &str, first: NaiveDate, (h, m): (u32, u32), (eh, em): (u32, u32), days: &str| Ev {
            uid: uid.into(),
            summary: summary.into(),
            start: dt_value(first, h, m),
            end: Some(dt_value(first, eh, em)),
            rrule: Some(format!("FREQ=WEEKLY;BYDAY={days};{UNTIL}")),
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
    budget.rrule = Some(format!("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;{UNTIL}"));
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
