//! One calendar's VEVENTs → owned [`Event`]s: each property is read into [`Fields`], then the
//! event is checked, completed and anchored in its zone.

use std::collections::HashSet;
use std::sync::Arc;

use calcard::common::PartialDateTime;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarParameterName,
    ICalendarParameterValue, ICalendarPeriod, ICalendarProperty, ICalendarValue,
};
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};

use super::parse::{Dur, EndSpec, Event, RDate, Time, calendar_property, report};
use super::rule::{Rule, Until};
use super::rule_text;
use super::tz::{TzResolver, Zone, read_vtimezone};
use super::{Attendee, IcalError, Limits, Skipped};

/// What reading the calendars of one text gathers: events and reports, under its limits.
pub(super) struct Ctx<'a> {
    pub(super) limits: &'a Limits,
    pub(super) events: Vec<Event>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) warnings: Vec<Skipped>,
    unknown_tzids: HashSet<String>,
    too_many_reported: bool,
}

/// Where one VEVENT's date-times are read: its calendar's time zones and X-WR-TIMEZONE, and
/// its UID (for warnings).
pub(super) struct Scope<'s> {
    pub(super) tz: &'s mut TzResolver,
    pub(super) wr: Option<Zone>,
    pub(super) uid: Option<&'s str>,
}

/// One VEVENT's properties as read, before the event is checked and anchored.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) start: Option<Time>,
    /// DTSTART is there but cannot be read.
    pub(super) start_bad: bool,
    pub(super) dtend: Option<Time>,
    pub(super) duration: Option<Dur>,
    /// Each RRULE value, or why it cannot be used.
    pub(super) rules: Vec<Result<Rule, String>>,
    /// RRULE parts left out (reported with the rules).
    pub(super) rule_notes: Vec<String>,
    pub(super) rdates: Vec<RDate>,
    pub(super) exdates: Vec<Time>,
    pub(super) recurrence_id: Option<Time>,
    pub(super) this_and_future: bool,
    pub(super) summary: Option<Arc<str>>,
    pub(super) description: Option<Arc<str>>,
    pub(super) location: Option<Arc<str>>,
    pub(super) organizer: Option<Arc<Attendee>>,
    pub(super) attendees: Vec<Attendee>,
    pub(super) status: Option<Arc<str>>,
    pub(super) transparent: bool,
    pub(super) sequence: i64,
    pub(super) dtstamp: Option<Time>,
    pub(super) last_modified: Option<Time>,
    /// RDATE + EXDATE values seen, and whether some were left out for the limit.
    pub(super) values_seen: usize,
    pub(super) values_dropped: bool,
}

impl Fields {
    /// DTSTART; an override without one keeps its original time.
    fn start(&self) -> Result<Time, String> {
        match (self.start, self.recurrence_id) {
            (Some(s), _) => Ok(s),
            (None, Some(rid)) if !self.start_bad => Ok(rid),
            _ if self.start_bad => Err("DTSTART is not a valid date or date-time".into()),
            _ => Err("VEVENT without DTSTART".into()),
        }
    }

    /// DTEND (floating values anchored in DTSTART's zone), else DURATION.
    fn end(&self, start: &Time) -> EndSpec {
        match (self.dtend, self.duration) {
            (Some(t), _) => EndSpec::End(t.anchored(start)),
            (None, Some(d)) => EndSpec::Duration(d),
            (None, None) => EndSpec::None,
        }
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn new(limits: &'a Limits) -> Ctx<'a> {
        Ctx {
            limits,
            events: Vec::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            unknown_tzids: HashSet::new(),
            too_many_reported: false,
        }
    }

    /// Reads the VCALENDAR's direct VEVENT children (not nested oddities), in order; or the bare
    /// VEVENT itself.
    pub(super) fn read_calendar(&mut self, cal: &ICalendar) {
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
                self.report_too_many();
                return;
            }
            let order = self.events.len() + self.skipped.len();
            match self.read_event(comp, &mut tz, wr, order) {
                Ok(ev) => self.events.push(ev),
                Err((uid, err)) => report(&mut self.skipped, uid.as_deref(), err),
            }
        }
    }

    /// Reports, once, that the text has more VEVENTs than the limit.
    pub(super) fn report_too_many(&mut self) {
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
    }

    pub(super) fn warn_tz(&mut self, uid: Option<&str>, tzid: &str) {
        if self.unknown_tzids.len() < 100 && self.unknown_tzids.insert(tzid.to_string()) {
            report(&mut self.warnings, uid, IcalError::UnknownTimeZone { tzid: tzid.chars().take(100).collect() });
        }
    }

    /// A DATE / DATE-TIME value with the property's TZID.
    fn time(&mut self, pdt: &PartialDateTime, entry: &ICalendarEntry, at: &mut Scope<'_>) -> Option<Time> {
        self.time_in(pdt, entry.tz_id(), at)
    }

    /// A DATE / DATE-TIME value with a TZID parameter's text.
    pub(super) fn time_in(&mut self, pdt: &PartialDateTime, tzid: Option<&str>, at: &mut Scope<'_>) -> Option<Time> {
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
        let in_calendar_zone = at.wr.map_or(Time::Floating(naive), |z| Time::Zoned(naive, z));
        if let Some(tzid) = tzid.map(str::trim).filter(|s| !s.is_empty()) {
            return match at.tz.resolve(tzid) {
                Some(z) => Some(Time::Zoned(naive, z)),
                None => {
                    self.warn_tz(at.uid, tzid);
                    Some(in_calendar_zone)
                }
            };
        }
        Some(in_calendar_zone)
    }

    fn first_time(&mut self, entry: &ICalendarEntry, at: &mut Scope<'_>) -> Option<Time> {
        let pdt = entry.values.iter().find_map(|v| v.as_partial_date_time())?;
        self.time(pdt, entry, at)
    }

    /// One VEVENT: its properties read, then checked and completed.
    fn read_event(
        &mut self,
        comp: &ICalendarComponent,
        tz: &mut TzResolver,
        wr: Option<Zone>,
        order: usize,
    ) -> Result<Event, (Option<String>, IcalError)> {
        let uid = comp.uid().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string);
        let mut fields = Fields::default();
        let mut at = Scope { tz, wr, uid: uid.as_deref() };
        for entry in &comp.entries {
            self.read_property(&mut fields, entry, &mut at);
        }
        self.finish_event(fields, uid, order)
    }

    /// The event from the properties read: the limit reported, DTSTART required, the UID made
    /// up when missing.
    pub(super) fn finish_event(
        &mut self,
        fields: Fields,
        uid: Option<String>,
        order: usize,
    ) -> Result<Event, (Option<String>, IcalError)> {
        if fields.values_dropped {
            report(
                &mut self.skipped,
                uid.as_deref(),
                IcalError::TooLarge {
                    what: "RDATE/EXDATE values".into(),
                    limit: format!("{} per event (the rest were ignored)", self.limits.max_values_per_event),
                },
            );
        }
        let start = match fields.start() {
            Ok(s) => s,
            Err(reason) => return Err((uid, IcalError::MalformedItem { reason })),
        };
        let uid = self.uid_or_made_up(uid, order);
        Ok(self.complete(fields, start, uid, order))
    }

    /// Reads one property into `f`; properties Kenny does not use are passed over.
    pub(super) fn read_property(&mut self, f: &mut Fields, entry: &ICalendarEntry, at: &mut Scope<'_>) {
        match &entry.name {
            ICalendarProperty::Dtstart => {
                f.start = self.first_time(entry, at);
                f.start_bad = f.start.is_none();
            }
            ICalendarProperty::Dtend => {
                if let Some(t) = self.first_time(entry, at) {
                    f.dtend = Some(t);
                }
            }
            ICalendarProperty::Duration => {
                if let Some(ICalendarValue::Duration(d)) = entry.values.first() {
                    f.duration = Some(Dur::from_calcard(d));
                }
            }
            ICalendarProperty::Rrule => read_rrule(entry, &mut f.rules, &mut f.rule_notes),
            ICalendarProperty::Rdate | ICalendarProperty::Exdate => self.read_dates(f, entry, at),
            ICalendarProperty::RecurrenceId => {
                f.recurrence_id = self.first_time(entry, at);
                f.this_and_future = is_this_and_future(entry);
            }
            ICalendarProperty::Summary => f.summary = text_of(entry),
            ICalendarProperty::Description => f.description = text_of(entry),
            ICalendarProperty::Location => f.location = text_of(entry),
            ICalendarProperty::Organizer => f.organizer = attendee_of(entry).map(Arc::new),
            ICalendarProperty::Attendee => {
                if f.attendees.len() < self.limits.max_values_per_event
                    && let Some(a) = attendee_of(entry)
                {
                    f.attendees.push(a);
                }
            }
            ICalendarProperty::Status => f.status = status_of(entry),
            ICalendarProperty::Transp => f.transparent = is_transparent(entry),
            ICalendarProperty::Sequence => f.sequence = sequence_of(entry),
            ICalendarProperty::Dtstamp => f.dtstamp = self.first_time(entry, at),
            ICalendarProperty::LastModified => f.last_modified = self.first_time(entry, at),
            ICalendarProperty::Other(name) if name.eq_ignore_ascii_case(rule_text::REFUSED_RRULE) => {
                f.rules.extend(refused_rule(entry).map(Err));
            }
            _ => {}
        }
    }

    /// RDATE or EXDATE values, up to the per-event limit (shared by both).
    fn read_dates(&mut self, f: &mut Fields, entry: &ICalendarEntry, at: &mut Scope<'_>) {
        let is_rdate = entry.name == ICalendarProperty::Rdate;
        for v in &entry.values {
            f.values_seen += 1;
            if f.values_seen > self.limits.max_values_per_event {
                f.values_dropped = true;
                break;
            }
            match v {
                ICalendarValue::PartialDateTime(p) => {
                    if let Some(t) = self.time(p, entry, at) {
                        if is_rdate {
                            f.rdates.push(RDate { start: t, end: None });
                        } else {
                            f.exdates.push(t);
                        }
                    }
                }
                ICalendarValue::Period(p) if is_rdate => {
                    if let Some(r) = self.period(p, entry, at) {
                        f.rdates.push(r);
                    }
                }
                _ => {}
            }
        }
    }

    /// An RDATE PERIOD: its start and its own end.
    fn period(&mut self, p: &ICalendarPeriod, entry: &ICalendarEntry, at: &mut Scope<'_>) -> Option<RDate> {
        let (start, end) = match p {
            ICalendarPeriod::Range { start, end } => {
                (self.time(start, entry, at), self.time(end, entry, at).map(EndSpec::End))
            }
            ICalendarPeriod::Duration { start, duration } => {
                (self.time(start, entry, at), Some(EndSpec::Duration(Dur::from_calcard(duration))))
            }
        };
        Some(RDate { start: start?, end })
    }

    /// The UID, or a made-up one (reported as a warning) for a VEVENT without.
    fn uid_or_made_up(&mut self, uid: Option<String>, order: usize) -> String {
        uid.unwrap_or_else(|| {
            let synthetic = format!("no-uid-{order}");
            report(
                &mut self.warnings,
                Some(&synthetic),
                IcalError::MalformedItem { reason: "VEVENT without UID (kept under a made-up UID)".into() },
            );
            synthetic
        })
    }

    /// The event from its fields: end and recurrence values anchored in DTSTART's zone, a
    /// backwards single event swapped, and the rules checked (reporting the ones refused).
    fn complete(&mut self, f: Fields, start: Time, uid: String, order: usize) -> Event {
        let recurrence_id = f.recurrence_id.map(|r| r.anchored(&start));
        let single = f.rules.is_empty() && f.rdates.is_empty();
        let (start, end) = swap_if_backwards(start, f.end(&start), single);
        let rules = match recurrence_id {
            // An override's own rules are ignored (and not reported).
            Some(_) => Vec::new(),
            None => self.usable_rules(f.rule_notes, f.rules, start, &uid),
        };
        Event {
            uid: Arc::from(uid),
            summary: f.summary,
            description: f.description,
            location: f.location,
            start,
            end,
            rules,
            rdates: f.rdates.into_iter().map(|r| anchor_rdate(r, &start)).collect(),
            exdates: f.exdates.into_iter().map(|e| e.anchored(&start)).collect(),
            recurrence_id,
            this_and_future: f.this_and_future,
            organizer: f.organizer,
            attendees: Arc::from(f.attendees),
            status: f.status,
            transparent: f.transparent,
            sequence: f.sequence,
            stamp: f.last_modified.or(f.dtstamp).map(|t| t.instant(Zone::UTC)),
            order,
        }
    }

    /// The rules that can be iterated from `start` (a floating UNTIL of a zoned series read in
    /// its zone); the notes and every refused rule are reported as `malformed_rule`.
    fn usable_rules(
        &mut self,
        notes: Vec<String>,
        raw: Vec<Result<Rule, String>>,
        start: Time,
        uid: &str,
    ) -> Vec<Rule> {
        for note in notes {
            report(&mut self.skipped, Some(uid), IcalError::MalformedRule { reason: note });
        }
        let mut rules = Vec::new();
        for r in raw {
            match r.and_then(|r| r.validate(start.wall()).map(|()| r)) {
                Ok(mut r) => {
                    if let (Some(Until::Floating(n)), Time::Zoned(..) | Time::Utc(_)) = (r.until, start) {
                        r.until = Some(Until::Instant(start.zone(Zone::UTC).to_utc(n)));
                    }
                    rules.push(r);
                }
                Err(reason) => report(
                    &mut self.skipped,
                    Some(uid),
                    IcalError::MalformedRule { reason: format!("{reason}; the rule was ignored") },
                ),
            }
        }
        rules
    }
}

/// DTEND before DTSTART on a single event: the two were swapped.
fn swap_if_backwards(start: Time, end: EndSpec, single: bool) -> (Time, EndSpec) {
    match end {
        EndSpec::End(t)
            if single && t.is_date() == start.is_date() && t.instant(Zone::UTC) < start.instant(Zone::UTC) =>
        {
            (t, EndSpec::End(start))
        }
        _ => (start, end),
    }
}

fn anchor_rdate(r: RDate, start: &Time) -> RDate {
    RDate {
        start: r.start.anchored(start),
        end: r.end.map(|e| match e {
            EndSpec::End(t) => EndSpec::End(t.anchored(start)),
            other => other,
        }),
    }
}

/// An RRULE property's rules: calcard's parse, or what can be salvaged of a text it could not
/// read ("RRULE:" with nothing is no rule).
fn read_rrule(entry: &ICalendarEntry, rules: &mut Vec<Result<Rule, String>>, notes: &mut Vec<String>) {
    for v in &entry.values {
        match v {
            ICalendarValue::RecurrenceRule(r) => rules.push(Rule::from_calcard(r)),
            other => {
                let text = other.as_text().unwrap_or("").trim();
                if !text.is_empty() {
                    rules.push(unreadable_rule(text, notes));
                }
            }
        }
    }
}

/// A rule calcard could not read: refused for an out-of-range INTERVAL, else salvaged part by
/// part (the parts left out go to `notes`).
fn unreadable_rule(text: &str, notes: &mut Vec<String>) -> Result<Rule, String> {
    if let Some(why) = rule_text::interval_problem(text) {
        return Err(why);
    }
    match rule_text::salvage(text) {
        Some((r, dropped)) => {
            notes.push(format!("RRULE part(s) {} could not be read and were ignored", dropped.join(";")));
            Rule::from_calcard(&r)
        }
        None => Err(format!("cannot read RRULE {:?}", text.chars().take(200).collect::<String>())),
    }
}

/// Why an RRULE renamed by [`rule_text::mark_bad_intervals`] is refused; calcard splits an
/// unknown property's text at its semicolons.
fn refused_rule(entry: &ICalendarEntry) -> Option<String> {
    let text: Vec<&str> = entry.values.iter().filter_map(|v| v.as_text()).collect();
    rule_text::interval_problem(&text.join(";"))
}

/// RECURRENCE-ID;RANGE=THISANDFUTURE.
fn is_this_and_future(entry: &ICalendarEntry) -> bool {
    entry.params.iter().any(|p| {
        p.name == ICalendarParameterName::Range
            && match &p.value {
                ICalendarParameterValue::Bool(b) => *b,
                other => other.as_text().is_some_and(|t| t.eq_ignore_ascii_case("THISANDFUTURE")),
            }
    })
}

/// STATUS, uppercase; the statuses RFC 5545 defines are short, so a long value is no status.
fn status_of(entry: &ICalendarEntry) -> Option<Arc<str>> {
    status_from(entry.values.first().and_then(|v| v.as_text()))
}

/// STATUS from its first value's text.
pub(super) fn status_from(text: Option<&str>) -> Option<Arc<str>> {
    text.map(str::trim).filter(|s| s.len() <= 64).map(|s| Arc::from(uppercase(s)))
}

fn is_transparent(entry: &ICalendarEntry) -> bool {
    transparent_from(entry.values.first().and_then(|v| v.as_text()))
}

/// TRANSP from its first value's text.
pub(super) fn transparent_from(text: Option<&str>) -> bool {
    text.is_some_and(|s| s.trim().eq_ignore_ascii_case("TRANSPARENT"))
}

/// SEQUENCE; unreadable is 0.
fn sequence_of(entry: &ICalendarEntry) -> i64 {
    match entry.values.first() {
        Some(ICalendarValue::Integer(i)) => *i,
        Some(v) => sequence_from(v.as_text()),
        None => 0,
    }
}

/// SEQUENCE from a value calcard kept as text; unreadable is 0.
pub(super) fn sequence_from(text: Option<&str>) -> i64 {
    text.and_then(|t| t.trim().parse().ok()).unwrap_or(0)
}

/// A text property's values, joined by commas (one value: shared without a copy in between).
fn text_of(entry: &ICalendarEntry) -> Option<Arc<str>> {
    let mut texts = entry.values.iter().filter_map(|v| v.as_text());
    let first = texts.next()?;
    let Some(second) = texts.next() else {
        return Some(Arc::from(first));
    };
    let mut joined = format!("{first},{second}");
    for t in texts {
        joined.push(',');
        joined.push_str(t);
    }
    Some(Arc::from(joined))
}

/// `s` in lowercase; ASCII (nearly every address) without the Unicode tables.
fn lowercase(s: &str) -> String {
    if s.is_ascii() { s.to_ascii_lowercase() } else { s.to_lowercase() }
}

/// `s` in uppercase; ASCII (every PARTSTAT RFC 5545 defines) without the Unicode tables.
fn uppercase(s: &str) -> String {
    if s.is_ascii() { s.to_ascii_uppercase() } else { s.to_uppercase() }
}

fn attendee_of(entry: &ICalendarEntry) -> Option<Attendee> {
    let param =
        |name: ICalendarParameterName| entry.params.iter().find(|p| p.name == name).and_then(|p| p.value.as_text());
    attendee_from(
        entry.values.iter().find_map(|v| v.as_text())?,
        param(ICalendarParameterName::Cn),
        param(ICalendarParameterName::Partstat),
    )
}

/// An organizer or attendee from its address and its CN and PARTSTAT parameters' texts.
pub(super) fn attendee_from(raw: &str, cn: Option<&str>, partstat: Option<&str>) -> Option<Attendee> {
    let raw = raw.trim();
    let email = if raw.len() >= 7 && raw.is_char_boundary(7) && raw[..7].eq_ignore_ascii_case("mailto:") {
        &raw[7..]
    } else {
        raw
    };
    let email = lowercase(email.trim());
    if email.is_empty() {
        return None;
    }
    Some(Attendee { email, name: nonempty(cn).map(str::to_string), partstat: nonempty(partstat).map(uppercase) })
}

/// A parameter's text, trimmed, unless empty.
fn nonempty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|s| !s.is_empty())
}
