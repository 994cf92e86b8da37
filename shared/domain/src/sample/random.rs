//! The pseudo-random part of a generated set: a tiny deterministic generator and the generated
//! events (topics, rooms, times, attendees, some weekly series with an exception).

use chrono::{Datelike, Days, Weekday};

use super::ics::{Ev, d, dt_value};

/// splitmix64: a tiny, well-known deterministic generator (no need for a crate).
#[derive(Debug)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

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

/// Generated event number `k` (0-based), on a weekday in 2026–2027 between 08:00 and 17:00,
/// attended by up to four of the `n_people` contacts; one in ten recurs weekly.
pub(super) fn random_event(k: usize, rng: &mut Rng, n_people: usize) -> Ev {
    let first = d(2026, 1, 5);
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
    let mut attendees: Vec<usize> = (0..n_att).map(|_| rng.below(n_people)).collect();
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
    if k.is_multiple_of(10) {
        let weeks = 4 + rng.below(40);
        ev.rrule = Some(format!("FREQ=WEEKLY;COUNT={weeks}"));
        if weeks > 6 {
            ev.exdates.push(dt_value(day + Days::new(14), hour, minute));
        }
    }
    ev
}
