//! calcard's parse → owned events grouped into series by UID.

use std::collections::HashMap;
use std::sync::Arc;

use calcard::icalendar::{ICalendar, ICalendarComponentType, ICalendarDuration, ICalendarProperty};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::rule::Rule;
use super::rule_text;
use super::tz::Zone;
use super::vevent::Ctx;
use super::{Attendee, IcalError, Limits, Skipped};

/// A DATE or DATE-TIME value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Time {
    /// A DATE.
    Date(NaiveDate),
    /// A floating DATE-TIME: read in the request's zone at expansion time.
    Floating(NaiveDateTime),
    /// A DATE-TIME in UTC (or with an explicit offset).
    Utc(DateTime<Utc>),
    /// A DATE-TIME with a TZID (or in the calendar's X-WR-TIMEZONE).
    Zoned(NaiveDateTime, Zone),
}

impl Time {
    pub(crate) fn is_date(&self) -> bool {
        matches!(self, Time::Date(_))
    }

    /// The zone this value's wall clock belongs to; `floating` for DATE and floating values.
    pub(crate) fn zone(&self, floating: Zone) -> Zone {
        match self {
            Time::Date(_) | Time::Floating(_) => floating,
            Time::Utc(_) => Zone::UTC,
            Time::Zoned(_, z) => *z,
        }
    }

    /// The wall-clock time in [`Time::zone`].
    pub(crate) fn wall(&self) -> NaiveDateTime {
        match self {
            Time::Date(d) => d.and_time(chrono::NaiveTime::MIN),
            Time::Floating(n) | Time::Zoned(n, _) => *n,
            Time::Utc(u) => u.naive_utc(),
        }
    }

    /// The instant; DATE values are midnight in `floating`.
    pub(crate) fn instant(&self, floating: Zone) -> DateTime<Utc> {
        match self {
            Time::Utc(u) => *u,
            other => other.zone(floating).to_utc(other.wall()),
        }
    }

    /// Reads a floating value of a zoned series in the series' zone (a floating UNTIL, EXDATE,
    /// RECURRENCE-ID… next to a zoned DTSTART is read in DTSTART's zone).
    pub(crate) fn anchored(self, master: &Time) -> Time {
        match (self, master) {
            (Time::Floating(n), Time::Zoned(_, z)) => Time::Zoned(n, *z),
            (Time::Floating(n), Time::Utc(_)) => Time::Utc(Utc.from_utc_datetime(&n)),
            (other, _) => other,
        }
    }
}

/// DURATION: nominal days (weeks and days) and exact seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur {
    pub(crate) days: i64,
    pub(crate) secs: i64,
}

impl Dur {
    pub(super) fn from_calcard(d: &ICalendarDuration) -> Dur {
        let sign = if d.neg { -1 } else { 1 };
        Dur {
            days: sign * (i64::from(d.weeks) * 7 + i64::from(d.days)),
            secs: sign * (i64::from(d.hours) * 3600 + i64::from(d.minutes) * 60 + i64::from(d.seconds)),
        }
    }
}

/// How an event's end is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndSpec {
    None,
    End(Time),
    Duration(Dur),
}

/// One RDATE value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RDate {
    pub(crate) start: Time,
    /// A PERIOD's own end.
    pub(crate) end: Option<EndSpec>,
}

/// One VEVENT, owned.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    /// Shared with every occurrence (as are the texts and people below): an occurrence costs
    /// a few pointers, however large the event.
    pub(crate) uid: Arc<str>,
    pub(crate) summary: Option<Arc<str>>,
    pub(crate) description: Option<Arc<str>>,
    pub(crate) location: Option<Arc<str>>,
    pub(crate) start: Time,
    pub(crate) end: EndSpec,
    pub(crate) rules: Vec<Rule>,
    pub(crate) rdates: Vec<RDate>,
    pub(crate) exdates: Vec<Time>,
    pub(crate) recurrence_id: Option<Time>,
    pub(crate) this_and_future: bool,
    pub(crate) organizer: Option<Arc<Attendee>>,
    pub(crate) attendees: Arc<[Attendee]>,
    pub(crate) status: Option<Arc<str>>,
    pub(crate) transparent: bool,
    pub(crate) sequence: i64,
    /// LAST-MODIFIED, else DTSTAMP: breaks SEQUENCE ties.
    pub(crate) stamp: Option<DateTime<Utc>>,
    /// Position in the text: the last one wins remaining ties.
    pub(crate) order: usize,
}

impl Event {
    /// True when `self` supersedes `other` (same UID and RECURRENCE-ID).
    fn supersedes(&self, other: &Event) -> bool {
        (self.sequence, self.stamp, self.order) > (other.sequence, other.stamp, other.order)
    }
}

/// All components of one UID.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) uid: String,
    pub(crate) master: Option<Event>,
    /// With RECURRENCE-ID; one per RECURRENCE-ID.
    pub(crate) overrides: Vec<Event>,
}

/// The owned result of parsing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parsed {
    pub(crate) name: Option<String>,
    pub(crate) series: Vec<Series>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) warnings: Vec<Skipped>,
}

pub(super) fn report(list: &mut Vec<Skipped>, uid: Option<&str>, err: IcalError) {
    list.push(Skipped { uid: uid.map(str::to_string), code: super::ErrorCode::code(&err), message: err.to_string() });
}

/// Parses every VCALENDAR in `text`.
pub(crate) fn parse(text: &str, limits: &Limits) -> Parsed {
    read(text, limits, true)
}

/// [`parse`] with calcard reading the whole text, whatever its shape (the tests compare).
#[cfg(test)]
pub(crate) fn parse_with_calcard(text: &str, limits: &Limits) -> Parsed {
    read(text, limits, false)
}

/// Reads `text`: with [`super::fast`] when `fast` and the text's shape allows, else with
/// calcard's parse of the whole text.
fn read(text: &str, limits: &Limits, fast: bool) -> Parsed {
    let mut out = Parsed::default();
    if text.len() > limits.max_bytes {
        report(
            &mut out.skipped,
            None,
            IcalError::TooLarge { what: "calendar text".into(), limit: format!("{} bytes", limits.max_bytes) },
        );
        return out;
    }
    let text = rule_text::mark_bad_intervals(text);
    if fast && super::fast::parse(&text, limits, &mut out) {
        return out;
    }
    let calendars = calendars_of(&text, &mut out.skipped);
    if calendars.is_empty() {
        report(&mut out.skipped, None, IcalError::NotICalendar);
        return out;
    }
    let mut ctx = Ctx::new(limits);
    for cal in &calendars {
        if out.name.is_none() {
            out.name = calendar_property(cal, "X-WR-CALNAME").map(str::to_string);
        }
        ctx.read_calendar(cal);
    }
    out.skipped.extend(ctx.skipped);
    out.warnings = ctx.warnings;
    out.series = group(ctx.events);
    out
}

/// The VCALENDARs of `text`, then its bare VEVENTs (read all the same); empty when it holds
/// neither.
fn calendars_of(text: &str, skipped: &mut Vec<Skipped>) -> Vec<ICalendar> {
    let mut calendars = Vec::new();
    let mut parser = calcard::Parser::new(text);
    let mut other_entries = 0usize;
    let mut bare_events = Vec::new();
    loop {
        match parser.entry() {
            calcard::Entry::Eof => break,
            calcard::Entry::ICalendar(cal) => match cal.components.first().map(|c| &c.component_type) {
                Some(ICalendarComponentType::VCalendar) => calendars.push(cal),
                Some(ICalendarComponentType::VEvent) => bare_events.push(cal),
                _ => other_entries += 1,
            },
            calcard::Entry::TooManyComponents => {
                report(
                    skipped,
                    None,
                    IcalError::TooLarge { what: "calendar".into(), limit: "too many components".into() },
                );
                break;
            }
            _ => other_entries += 1,
        }
        // Garbage between calendars must not make this loop long.
        if other_entries > 10_000 {
            break;
        }
    }
    calendars.extend(bare_events);
    calendars
}

pub(super) fn calendar_property<'a>(cal: &'a ICalendar, name: &str) -> Option<&'a str> {
    cal.components.first()?.entries.iter().find_map(|e| match &e.name {
        ICalendarProperty::Other(n) if n.eq_ignore_ascii_case(name) => {
            e.values.first().and_then(|v| v.as_text()).map(str::trim).filter(|s| !s.is_empty())
        }
        _ => None,
    })
}

/// Groups events by UID: one master (highest SEQUENCE, then latest LAST-MODIFIED/DTSTAMP, then
/// the last one) and one override per RECURRENCE-ID (same rule), in order of first appearance.
pub(super) fn group(events: Vec<Event>) -> Vec<Series> {
    let mut index: HashMap<Arc<str>, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    for ev in events {
        let i = *index.entry(ev.uid.clone()).or_insert_with(|| {
            series.push(Series { uid: String::from(&*ev.uid), master: None, overrides: Vec::new() });
            series.len() - 1
        });
        let s = &mut series[i];
        if ev.recurrence_id.is_some() {
            s.overrides.push(ev);
        } else {
            match &s.master {
                Some(m) if !ev.supersedes(m) => {}
                _ => s.master = Some(ev),
            }
        }
    }
    for s in &mut series {
        // Anchor overrides' floating RECURRENCE-IDs in the master's zone, then dedupe them.
        if let Some(m) = &s.master {
            for o in &mut s.overrides {
                o.recurrence_id = o.recurrence_id.map(|r| r.anchored(&m.start));
            }
        }
        let mut kept: Vec<Event> = Vec::with_capacity(s.overrides.len());
        let mut by_key: HashMap<RidKey, usize> = HashMap::new();
        for o in std::mem::take(&mut s.overrides) {
            let Some(key) = o.recurrence_id.map(RidKey::of) else {
                continue;
            };
            match by_key.get(&key) {
                Some(&k) => {
                    if o.supersedes(&kept[k]) {
                        kept[k] = o;
                    }
                }
                None => {
                    by_key.insert(key, kept.len());
                    kept.push(o);
                }
            }
        }
        s.overrides = kept;
    }
    series
}

/// Identity of a RECURRENCE-ID for deduplication at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RidKey {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Instant(i64),
}

impl RidKey {
    fn of(t: Time) -> RidKey {
        match t {
            Time::Date(d) => RidKey::Date(d),
            Time::Floating(n) => RidKey::Floating(n),
            other => RidKey::Instant(other.instant(Zone::UTC).timestamp()),
        }
    }
}
