//! calcard's parse → owned events grouped into series by UID.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarDuration, ICalendarEntry, ICalendarParameterName,
    ICalendarParameterValue, ICalendarPeriod, ICalendarProperty, ICalendarValue,
};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::rule::{Rule, Until};
use super::rule_text;
use super::tz::{TzResolver, Zone, read_vtimezone};
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
    fn from_calcard(d: &ICalendarDuration) -> Dur {
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

fn report(list: &mut Vec<Skipped>, uid: Option<&str>, err: IcalError) {
    list.push(Skipped { uid: uid.map(str::to_string), code: super::ErrorCode::code(&err), message: err.to_string() });
}

/// Parses every VCALENDAR in `text`.
pub(crate) fn parse(text: &str, limits: &Limits) -> Parsed {
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
    let mut calendars = Vec::new();
    let mut parser = calcard::Parser::new(&text);
    let mut other_entries = 0usize;
    let mut bare_events = Vec::new();
    loop {
        match parser.entry() {
            calcard::Entry::Eof => break,
            calcard::Entry::ICalendar(cal) => {
                match cal.components.first().map(|c| &c.component_type) {
                    Some(ICalendarComponentType::VCalendar) => calendars.push(cal),
                    // A bare VEVENT (no VCALENDAR around it): read it all the same.
                    Some(ICalendarComponentType::VEvent) => bare_events.push(cal),
                    _ => other_entries += 1,
                }
            }
            calcard::Entry::TooManyComponents => {
                report(
                    &mut out.skipped,
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
    if calendars.is_empty() && bare_events.is_empty() {
        report(&mut out.skipped, None, IcalError::NotICalendar);
        return out;
    }
    calendars.extend(bare_events);
    let mut ctx = Ctx {
        limits,
        events: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
        unknown_tzids: HashSet::new(),
        too_many_reported: false,
    };
    for cal in &calendars {
        if out.name.is_none() {
            out.name = calendar_property(cal, "X-WR-CALNAME").map(str::to_string);
        }
        ctx.read_calendar(cal);
    }
    out.skipped = ctx.skipped;
    out.warnings = ctx.warnings;
    out.series = group(ctx.events);
    out
}

fn calendar_property<'a>(cal: &'a ICalendar, name: &str) -> Option<&'a str> {
    cal.components.first()?.entries.iter().find_map(|e| match &e.name {
        ICalendarProperty::Other(n) if n.eq_ignore_ascii_case(name) => {
            e.values.first().and_then(|v| v.as_text()).map(str::trim).filter(|s| !s.is_empty())
        }
        _ => None,
    })
}

struct Ctx<'a> {
    limits: &'a Limits,
    events: Vec<Event>,
    skipped: Vec<Skipped>,
    warnings: Vec<Skipped>,
    unknown_tzids: HashSet<String>,
    too_many_reported: bool,
}

impl Ctx<'_> {
    fn read_calendar(&mut self, cal: &ICalendar) {
        let mut tz = TzResolver::default();
        for comp in &cal.components {
            if comp.component_type == ICalendarComponentType::VTimezone
                && let Some(vtz) = read_vtimezone(comp, &cal.components)
            {
                tz.add_vtimezone(vtz);
            }
        }
        let wr = calendar_property(cal, "X-WR-TIMEZONE").and_then(|id| {
            let z = tz.resolve_plain(id);
            if z.is_none() {
                self.warn_tz(None, id);
            }
            z
        });
        // Only the VCALENDAR's direct VEVENT children (not nested oddities), in order; or the
        // bare VEVENT itself.
        let Some(root) = cal.components.first() else { return };
        let ids: &[u32] =
            if root.component_type == ICalendarComponentType::VEvent { &[0] } else { &root.component_ids };
        for &id in ids {
            let Some(comp) = cal.components.get(id as usize) else {
                continue;
            };
            if comp.component_type != ICalendarComponentType::VEvent {
                continue;
            }
            if self.events.len() >= self.limits.max_events {
                if !self.too_many_reported {
                    self.too_many_reported = true;
                    report(
                        &mut self.skipped,
                        None,
                        IcalError::TooLarge {
                            what: "events".into(),
                            limit: format!("{} VEVENTs per calendar", self.limits.max_events),
                        },
                    );
                }
                return;
            }
            let order = self.events.len() + self.skipped.len();
            match self.read_event(comp, &mut tz, wr, order) {
                Ok(ev) => self.events.push(ev),
                Err((uid, err)) => report(&mut self.skipped, uid.as_deref(), err),
            }
        }
    }

    fn warn_tz(&mut self, uid: Option<&str>, tzid: &str) {
        if self.unknown_tzids.len() < 100 && self.unknown_tzids.insert(tzid.to_string()) {
            report(&mut self.warnings, uid, IcalError::UnknownTimeZone { tzid: tzid.chars().take(100).collect() });
        }
    }

    /// A DATE / DATE-TIME value with the property's TZID.
    fn time(
        &mut self,
        pdt: &PartialDateTime,
        entry: &ICalendarEntry,
        tz: &mut TzResolver,
        wr: Option<Zone>,
        uid: Option<&str>,
    ) -> Option<Time> {
        let date = NaiveDate::from_ymd_opt(i32::from(pdt.year?), u32::from(pdt.month?), u32::from(pdt.day?))?;
        if !pdt.has_time() {
            return Some(Time::Date(date));
        }
        let naive =
            date.and_hms_opt(u32::from(pdt.hour?), u32::from(pdt.minute?), u32::from(pdt.second.unwrap_or(0).min(59)))?;
        if let Some(h) = pdt.tz_hour {
            let secs = i32::from(h) * 3600 + i32::from(pdt.tz_minute.unwrap_or(0)) * 60;
            let off = FixedOffset::east_opt(if pdt.tz_minus { -secs } else { secs })?;
            return Some(Time::Utc(Utc.from_utc_datetime(&naive.checked_sub_offset(off)?)));
        }
        if let Some(tzid) = entry.tz_id().map(str::trim).filter(|s| !s.is_empty()) {
            return match tz.resolve(tzid) {
                Some(z) => Some(Time::Zoned(naive, z)),
                None => {
                    self.warn_tz(uid, tzid);
                    Some(wr.map_or(Time::Floating(naive), |z| Time::Zoned(naive, z)))
                }
            };
        }
        Some(wr.map_or(Time::Floating(naive), |z| Time::Zoned(naive, z)))
    }

    fn first_time(
        &mut self,
        entry: &ICalendarEntry,
        tz: &mut TzResolver,
        wr: Option<Zone>,
        uid: Option<&str>,
    ) -> Option<Time> {
        let pdt = entry.values.iter().find_map(|v| v.as_partial_date_time())?;
        self.time(pdt, entry, tz, wr, uid)
    }

    fn read_event(
        &mut self,
        comp: &ICalendarComponent,
        tz: &mut TzResolver,
        wr: Option<Zone>,
        order: usize,
    ) -> Result<Event, (Option<String>, IcalError)> {
        let uid = comp.uid().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string);
        let uid_ref = uid.as_deref();
        let malformed = |reason: String| (uid.clone(), IcalError::MalformedItem { reason });
        let max_values = self.limits.max_values_per_event;
        let mut start = None;
        let mut start_bad = false;
        let mut end = EndSpec::None;
        let mut duration = None;
        let mut raw_rules = Vec::new();
        let mut rule_notes: Vec<String> = Vec::new();
        let mut rdates = Vec::new();
        let mut exdates = Vec::new();
        let mut recurrence_id = None;
        let mut this_and_future = false;
        let mut ev_summary = None;
        let mut description = None;
        let mut location = None;
        let mut organizer = None;
        let mut attendees = Vec::new();
        let mut status = None;
        let mut transparent = false;
        let mut sequence = 0i64;
        let mut dtstamp = None;
        let mut last_modified = None;
        let mut values_seen = 0usize;
        let mut values_dropped = false;
        for entry in &comp.entries {
            match &entry.name {
                ICalendarProperty::Dtstart => {
                    start = self.first_time(entry, tz, wr, uid_ref);
                    start_bad = start.is_none();
                }
                ICalendarProperty::Dtend => {
                    if let Some(t) = self.first_time(entry, tz, wr, uid_ref) {
                        end = EndSpec::End(t);
                    }
                }
                ICalendarProperty::Duration => {
                    if let Some(ICalendarValue::Duration(d)) = entry.values.first() {
                        duration = Some(Dur::from_calcard(d));
                    }
                }
                ICalendarProperty::Rrule => {
                    for v in &entry.values {
                        match v {
                            ICalendarValue::RecurrenceRule(r) => raw_rules.push(Rule::from_calcard(r)),
                            other => {
                                let text = other.as_text().unwrap_or("").trim();
                                if text.is_empty() {
                                    // "RRULE:" with nothing: no rule.
                                    continue;
                                }
                                if let Some(why) = rule_text::interval_problem(text) {
                                    raw_rules.push(Err(why));
                                    continue;
                                }
                                match rule_text::salvage(text) {
                                    Some((r, dropped)) => {
                                        rule_notes.push(format!(
                                            "RRULE part(s) {} could not be read and were ignored",
                                            dropped.join(";")
                                        ));
                                        raw_rules.push(Rule::from_calcard(&r));
                                    }
                                    None => raw_rules.push(Err(format!(
                                        "cannot read RRULE {:?}",
                                        text.chars().take(200).collect::<String>()
                                    ))),
                                }
                            }
                        }
                    }
                }
                ICalendarProperty::Rdate | ICalendarProperty::Exdate => {
                    let is_rdate = entry.name == ICalendarProperty::Rdate;
                    for v in &entry.values {
                        values_seen += 1;
                        if values_seen > max_values {
                            values_dropped = true;
                            break;
                        }
                        match v {
                            ICalendarValue::PartialDateTime(p) => {
                                if let Some(t) = self.time(p, entry, tz, wr, uid_ref) {
                                    if is_rdate {
                                        rdates.push(RDate { start: t, end: None });
                                    } else {
                                        exdates.push(t);
                                    }
                                }
                            }
                            ICalendarValue::Period(p) if is_rdate => {
                                let (s, e) = match p {
                                    ICalendarPeriod::Range { start, end } => (
                                        self.time(start, entry, tz, wr, uid_ref),
                                        self.time(end, entry, tz, wr, uid_ref).map(EndSpec::End),
                                    ),
                                    ICalendarPeriod::Duration { start, duration } => (
                                        self.time(start, entry, tz, wr, uid_ref),
                                        Some(EndSpec::Duration(Dur::from_calcard(duration))),
                                    ),
                                };
                                if let Some(s) = s {
                                    rdates.push(RDate { start: s, end: e });
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ICalendarProperty::RecurrenceId => {
                    recurrence_id = self.first_time(entry, tz, wr, uid_ref);
                    this_and_future = entry.params.iter().any(|p| {
                        p.name == ICalendarParameterName::Range
                            && match &p.value {
                                ICalendarParameterValue::Bool(b) => *b,
                                other => other.as_text().is_some_and(|t| t.eq_ignore_ascii_case("THISANDFUTURE")),
                            }
                    });
                }
                ICalendarProperty::Summary => ev_summary = text_of(entry),
                ICalendarProperty::Description => description = text_of(entry),
                ICalendarProperty::Location => location = text_of(entry),
                ICalendarProperty::Organizer => organizer = attendee_of(entry).map(Arc::new),
                ICalendarProperty::Attendee => {
                    if attendees.len() < max_values
                        && let Some(a) = attendee_of(entry)
                    {
                        attendees.push(a);
                    }
                }
                ICalendarProperty::Status => {
                    // The statuses RFC 5545 defines are short; a long value is no status.
                    status = entry
                        .values
                        .first()
                        .and_then(|v| v.as_text())
                        .map(str::trim)
                        .filter(|s| s.len() <= 64)
                        .map(|s| Arc::from(s.to_uppercase()))
                }
                ICalendarProperty::Transp => {
                    transparent = entry
                        .values
                        .first()
                        .and_then(|v| v.as_text())
                        .is_some_and(|s| s.trim().eq_ignore_ascii_case("TRANSPARENT"))
                }
                ICalendarProperty::Sequence => {
                    sequence = match entry.values.first() {
                        Some(ICalendarValue::Integer(i)) => *i,
                        Some(v) => v.as_text().and_then(|t| t.trim().parse().ok()).unwrap_or(0),
                        None => 0,
                    }
                }
                ICalendarProperty::Dtstamp => dtstamp = self.first_time(entry, tz, wr, uid_ref),
                ICalendarProperty::LastModified => last_modified = self.first_time(entry, tz, wr, uid_ref),
                ICalendarProperty::Other(name) if name.eq_ignore_ascii_case(rule_text::REFUSED_RRULE) => {
                    // An RRULE whose INTERVAL calcard would have wrapped (see rule_text); calcard
                    // splits an unknown property's text at its semicolons.
                    let text: Vec<&str> = entry.values.iter().filter_map(|v| v.as_text()).collect();
                    if let Some(why) = rule_text::interval_problem(&text.join(";")) {
                        raw_rules.push(Err(why));
                    }
                }
                _ => {}
            }
        }
        if values_dropped {
            report(
                &mut self.skipped,
                uid_ref,
                IcalError::TooLarge {
                    what: "RDATE/EXDATE values".into(),
                    limit: format!("{max_values} per event (the rest were ignored)"),
                },
            );
        }
        let start = match (start, recurrence_id) {
            (Some(s), _) => s,
            // An override without DTSTART keeps its original time.
            (None, Some(rid)) if !start_bad => rid,
            _ => {
                return Err(malformed(if start_bad {
                    "DTSTART is not a valid date or date-time".into()
                } else {
                    "VEVENT without DTSTART".into()
                }));
            }
        };
        let uid = match uid {
            Some(u) => u,
            None => {
                let synthetic = format!("no-uid-{order}");
                report(
                    &mut self.warnings,
                    Some(&synthetic),
                    IcalError::MalformedItem { reason: "VEVENT without UID (kept under a made-up UID)".into() },
                );
                synthetic
            }
        };
        if let (EndSpec::None, Some(d)) = (end, duration) {
            end = EndSpec::Duration(d);
        }
        // Anchor floating values of a zoned event in its zone.
        if let EndSpec::End(t) = end {
            end = EndSpec::End(t.anchored(&start));
        }
        let recurrence_id = recurrence_id.map(|r| r.anchored(&start));
        // DTEND before DTSTART on a single event: the two were swapped.
        let mut start = start;
        if let EndSpec::End(t) = end
            && raw_rules.is_empty()
            && rdates.is_empty()
            && t.is_date() == start.is_date()
            && t.instant(Zone::UTC) < start.instant(Zone::UTC)
        {
            end = EndSpec::End(start);
            start = t;
        }
        if recurrence_id.is_none() {
            for note in rule_notes {
                report(&mut self.skipped, Some(&uid), IcalError::MalformedRule { reason: note });
            }
        }
        let mut rules = Vec::new();
        if recurrence_id.is_none() {
            for r in raw_rules {
                match r.and_then(|r| r.validate(start.wall()).map(|()| r)) {
                    Ok(mut r) => {
                        if let (Some(Until::Floating(n)), Time::Zoned(..) | Time::Utc(_)) = (r.until, start) {
                            // A floating UNTIL with a zoned DTSTART is read in DTSTART's zone.
                            r.until = Some(Until::Instant(start.zone(Zone::UTC).to_utc(n)));
                        }
                        rules.push(r);
                    }
                    Err(reason) => report(
                        &mut self.skipped,
                        Some(&uid),
                        IcalError::MalformedRule { reason: format!("{reason}; the rule was ignored") },
                    ),
                }
            }
        }
        let rdates = rdates
            .into_iter()
            .map(|r| RDate {
                start: r.start.anchored(&start),
                end: r.end.map(|e| match e {
                    EndSpec::End(t) => EndSpec::End(t.anchored(&start)),
                    other => other,
                }),
            })
            .collect();
        let exdates = exdates.into_iter().map(|e| e.anchored(&start)).collect();
        let stamp = last_modified.or(dtstamp).map(|t| t.instant(Zone::UTC));
        Ok(Event {
            uid: Arc::from(uid),
            summary: ev_summary,
            description,
            location,
            start,
            end,
            rules,
            rdates,
            exdates,
            recurrence_id,
            this_and_future,
            organizer,
            attendees: Arc::from(attendees),
            status,
            transparent,
            sequence,
            stamp,
            order,
        })
    }
}

fn text_of(entry: &ICalendarEntry) -> Option<Arc<str>> {
    let parts: Vec<&str> = entry.values.iter().filter_map(|v| v.as_text()).collect();
    if parts.is_empty() {
        return None;
    }
    Some(Arc::from(parts.join(",")))
}

fn attendee_of(entry: &ICalendarEntry) -> Option<Attendee> {
    let raw = entry.values.iter().find_map(|v| v.as_text())?.trim();
    let email = if raw.len() >= 7 && raw.is_char_boundary(7) && raw[..7].eq_ignore_ascii_case("mailto:") {
        &raw[7..]
    } else {
        raw
    };
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return None;
    }
    let param = |name: ICalendarParameterName| {
        entry
            .params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_text())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    Some(Attendee {
        email,
        name: param(ICalendarParameterName::Cn).map(str::to_string),
        partstat: param(ICalendarParameterName::Partstat).map(str::to_uppercase),
    })
}

/// Groups events by UID: one master (highest SEQUENCE, then latest LAST-MODIFIED/DTSTAMP, then
/// the last one) and one override per RECURRENCE-ID (same rule), in order of first appearance.
fn group(events: Vec<Event>) -> Vec<Series> {
    let mut index: HashMap<Arc<str>, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    for ev in events {
        let i = *index.entry(ev.uid.clone()).or_insert_with(|| {
            series.push(Series { uid: ev.uid.to_string(), master: None, overrides: Vec::new() });
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
