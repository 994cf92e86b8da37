//! The `calendar.freebusy` capability — a mode of `calendar.read`, served by the same function:
//! merged busy intervals per person for a window, the user ("me") from the configured
//! calendars, other people from calendars configured as theirs (`KENNY_PEOPLE_CALENDARS`).
//!
//! # What is busy
//! An occurrence is busy unless it is `TRANSP:TRANSPARENT`, `STATUS:CANCELLED`, or declined by
//! the calendar's owner (`PARTSTAT=DECLINED` on an ATTENDEE whose address is one of the
//! owner's: `KENNY_SELF_EMAILS` for the user, the addresses asked for a person). All-day events
//! are busy from local midnight to local midnight unless transparent (holidays usually are);
//! tentative events are busy. Zero-length events are not busy. Intervals are clipped to the
//! window and merged (overlapping and touching ones become one).
//!
//! # Other people
//! Each `attendees` entry is one person: an email, a name, or a list of either (a contact's
//! addresses). An entry naming one of the user's own addresses is the user. A person's calendars
//! are those of every `EMAIL=URL` entry of `KENNY_PEOPLE_CALENDARS` with one of their addresses,
//! plus, in every directory entry (`URL` alone), the calendars whose id or display name is one of
//! their addresses or names. For a CalDAV calendar Kenny first asks the server with a
//! `free-busy-query` REPORT (RFC 4791 §7.10; what counts as busy is then the server's reading —
//! Radicale, for one, honours TRANSP and STATUS but not PARTSTAT); a server without the report,
//! and every other kind of source, has the person's events read and the rules above applied.
//! **A person with no readable calendar is reported in `unknown`, never as free**; a person some
//! of whose calendars failed is listed with `complete: false` and the failures in `errors`.

use std::sync::Arc;

use chrono_tz::Tz;
use tokio::time::Instant;
use tracing::instrument;

use crate::calendar::{
    CalendarError, CalendarOut, CalendarService, Gathered, MAX_ATTENDEE_FILTERS, MAX_FILTER_CHARS, PersonFilter, Pick,
    SkippedOut, bounded, consulted,
};
use kenny_domain::error::ApiError;
use kenny_domain::ical::{ExpandOptions, Occurrence};
use kenny_domain::slots::{Interval, IntervalOut, merge};
use kenny_domain::text::fold;
use kenny_domain::time::{Window, WindowOut, format_instant, parse_zone};
use kenny_ports::sources::{CalendarInfo, CalendarSource};

/// Most busy intervals reported per person (after merging); more sets `truncated`.
pub const MAX_BUSY_PER_PERSON: usize = 50_000;
/// The user's name in `people`.
pub const ME: &str = "me";

pub use kenny_ports::contracts::{FreeBusyRequest, FreeBusyResponse, PersonBusyOut, PersonErrorOut};

/// Kept here for callers of `kenny::freebusy::PeopleSource`; the calendar service holds them.
pub use crate::calendar::PeopleSource;

/// A source holding calendars of a person, and which of its calendars are theirs (`None`: all).
type Theirs = (Arc<dyn CalendarSource>, Option<Vec<String>>);

/// Who is being asked about.
#[derive(Debug, Clone)]
struct Asked {
    label: String,
    /// Lowercase addresses.
    emails: Vec<String>,
    /// Every alternative as given, trimmed.
    alternatives: Vec<String>,
}

/// Whether `o` makes its owner busy, and when (clipped to `window`).
pub fn busy_interval(o: &Occurrence, owner: &[String], tz: Tz, window: &Window) -> Option<Interval> {
    if o.transparent || o.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")) {
        return None;
    }
    let declined = o.attendees.iter().any(|a| {
        a.partstat.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("DECLINED"))
            && owner.iter().any(|e| a.email.eq_ignore_ascii_case(e))
    });
    if declined {
        return None;
    }
    Interval::new(o.start.to_utc(tz).max(window.start), o.end.to_utc(tz).min(window.end))
}

/// A calendar's id as the response lists it: prefixed with its owner unless it is the owner.
fn owned(person: &str, id: &str) -> String {
    if id.eq_ignore_ascii_case(person) { id.to_string() } else { format!("{person}/{id}") }
}

/// What was learnt about one person.
#[derive(Debug, Default)]
struct Learnt {
    busy: Vec<Interval>,
    methods: Vec<&'static str>,
    calendars: Vec<CalendarOut>,
    skipped: Vec<SkippedOut>,
    errors: Vec<ApiError>,
    answered: usize,
    truncated: bool,
}

impl Learnt {
    /// Adds one read of calendars; their ids are prefixed with `person` when given.
    fn absorb(&mut self, g: Gathered<Interval>, person: Option<&str>) {
        let ok = g.calendars.iter().filter(|c| c.error.is_none()).count();
        if ok > 0 {
            self.methods.push("events");
        }
        self.answered += ok;
        self.busy.extend(g.items);
        self.truncated |= g.truncated;
        self.skipped.extend(g.skipped);
        self.errors.extend(g.calendars.iter().filter_map(|c| c.error.clone()));
        self.calendars.extend(g.calendars.into_iter().map(|mut c| {
            if let Some(p) = person {
                c.id = owned(p, &c.id);
            }
            c
        }));
    }
}

/// The calendar ids of `listing` that belong to `who` (id or display name is one of its
/// alternatives).
fn matching(listing: &[CalendarInfo], who: &Asked) -> Vec<String> {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b) || (!fold(a).is_empty() && fold(a) == fold(b));
    listing
        .iter()
        .filter(|c| who.alternatives.iter().any(|alt| same(&c.id, alt) || same(&c.name, alt)))
        .map(|c| c.id.clone())
        .collect()
}

impl CalendarService {
    /// Answers one `calendar.freebusy` request: the user's calendars and every person's are
    /// read concurrently, each listing and read bounded by the source timeout and `deadline`.
    #[instrument(skip_all, fields(start = %req.start, end = %req.end, people = req.attendees.len()))]
    pub async fn freebusy(
        &self,
        req: &FreeBusyRequest,
        deadline: Option<Instant>,
    ) -> Result<FreeBusyResponse, CalendarError> {
        let tz = match &req.timezone {
            Some(z) => parse_zone(z, "timezone")?,
            None => self.default_tz,
        };
        let window = Window::parse(&req.start, &req.end, tz)?;
        let (asked, self_asked) = self.asked(req)?;
        let opts = ExpandOptions { window, floating_tz: tz, max_per_event: crate::calendar::MAX_OCCURRENCES_PER_EVENT };

        let me = async {
            if !(req.include_self || self_asked) {
                return None;
            }
            let wanted =
                |info: &CalendarInfo| req.calendars.as_ref().is_none_or(|ids| ids.iter().any(|i| i == &info.id));
            let g = self
                .gather(&self.sources, &wanted, &opts, deadline, self.busy_pick(self.self_emails.clone(), tz, window))
                .await;
            let mut learnt = Learnt::default();
            learnt.absorb(g, None);
            Some(learnt)
        };
        let others = futures::future::join_all(asked.iter().map(|who| self.person(who, &opts, tz, deadline)));
        let (me, others) = futures::join!(me, others);

        let mut resp = FreeBusyResponse {
            window: WindowOut { start: format_instant(window.start, tz), end: format_instant(window.end, tz) },
            people: Vec::new(),
            unknown: Vec::new(),
            errors: Vec::new(),
            calendars: Vec::new(),
            skipped: Vec::new(),
            truncated: false,
        };
        let mine = me.map(|l| (ME.to_string(), self.self_emails.clone(), l));
        let theirs = asked.into_iter().zip(others).map(|(who, l)| (who.label, who.emails, l));
        for (person, emails, mut l) in mine.into_iter().chain(theirs) {
            resp.calendars.append(&mut l.calendars);
            resp.skipped.append(&mut l.skipped);
            let failed = l.errors.len();
            for e in l.errors.drain(..) {
                resp.errors.push(PersonErrorOut { person: person.clone(), code: e.code, message: e.message });
            }
            if l.answered == 0 {
                if failed == 0 {
                    resp.errors.push(PersonErrorOut {
                        person: person.clone(),
                        code: "no_calendar".into(),
                        message: format!("no readable calendar is configured for {person}"),
                    });
                }
                resp.unknown.push(person);
                continue;
            }
            let mut busy = merge(l.busy);
            if busy.len() > MAX_BUSY_PER_PERSON {
                busy.truncate(MAX_BUSY_PER_PERSON);
                l.truncated = true;
            }
            resp.truncated |= l.truncated;
            l.methods.dedup();
            resp.people.push(PersonBusyOut {
                person,
                emails,
                busy: busy
                    .iter()
                    .map(|i| IntervalOut { start: format_instant(i.start, tz), end: format_instant(i.end, tz) })
                    .collect(),
                source: l.methods.join("+"),
                complete: failed == 0,
            });
        }
        Ok(resp)
    }

    /// A source's calendars (the listing cached for the grace period), bounded by the source
    /// timeout and `deadline`.
    async fn list(
        &self,
        source: &Arc<dyn CalendarSource>,
        deadline: Option<Instant>,
    ) -> Result<Arc<Vec<CalendarInfo>>, ApiError> {
        let identity = source.identity();
        let listing = self.cache.listing(&identity, source.calendars());
        bounded(|| source.describe(), self.source_timeout, deadline, listing)
            .await
            .map(|(cals, _)| cals)
            .map_err(|e| ApiError::from_error(&e))
    }

    /// The pick that turns occurrences into busy intervals for an owner.
    fn busy_pick(&self, owner: Vec<String>, tz: Tz, window: Window) -> Pick<Interval> {
        Arc::new(move |o: Occurrence, _: &Arc<str>| busy_interval(&o, &owner, tz, &window))
    }

    /// The people asked about (the user's own addresses taken out), and whether the user was
    /// among them.
    fn asked(&self, req: &FreeBusyRequest) -> Result<(Vec<Asked>, bool), CalendarError> {
        let invalid = |message: String| CalendarError::Invalid { field: "attendees", message };
        if req.attendees.len() > MAX_ATTENDEE_FILTERS {
            return Err(invalid(format!("at most {MAX_ATTENDEE_FILTERS} people")));
        }
        let mut out: Vec<Asked> = Vec::new();
        let mut self_asked = false;
        for p in &req.attendees {
            let alts: Vec<&String> = match p {
                PersonFilter::One(s) => vec![s],
                PersonFilter::AnyOf(v) => v.iter().collect(),
            };
            if alts.is_empty() || alts.len() > MAX_ATTENDEE_FILTERS {
                return Err(invalid(format!("each person needs 1 to {MAX_ATTENDEE_FILTERS} emails or names")));
            }
            if alts.iter().any(|a| a.chars().count() > MAX_FILTER_CHARS) {
                return Err(invalid(format!("an attendee is at most {MAX_FILTER_CHARS} characters")));
            }
            let alternatives: Vec<String> = alts
                .iter()
                .map(|a| a.trim().trim_start_matches("mailto:").to_string())
                .filter(|a| !fold(a).is_empty())
                .collect();
            if alternatives.is_empty() {
                return Err(invalid("an attendee is empty".into()));
            }
            let emails: Vec<String> =
                alternatives.iter().filter(|a| a.contains('@')).map(|a| a.to_lowercase()).collect();
            if emails.iter().any(|e| self.self_emails.contains(e)) {
                self_asked = true;
                continue;
            }
            let label = emails.first().cloned().unwrap_or_else(|| alternatives[0].clone());
            if out.iter().any(|o| o.label == label || emails.iter().any(|e| o.emails.contains(e))) {
                continue;
            }
            out.push(Asked { label, emails, alternatives });
        }
        Ok((out, self_asked))
    }

    /// One person's busy time: their configured calendars, found, then asked by free-busy query
    /// where the server offers it and read as events elsewhere.
    async fn person(&self, who: &Asked, opts: &ExpandOptions, tz: Tz, deadline: Option<Instant>) -> Learnt {
        let per_source = self.source_timeout;
        let window = opts.window;
        let mut learnt = Learnt::default();
        let mut found: Vec<Theirs> = Vec::new();
        for p in &self.people {
            match p {
                PeopleSource::Person { email, source } if who.emails.contains(email) => {
                    found.push((source.clone(), None))
                }
                PeopleSource::Person { .. } => {}
                PeopleSource::Directory(source) => match self.list(source, deadline).await {
                    Ok(cals) => {
                        let ids = matching(&cals, who);
                        if !ids.is_empty() {
                            found.push((source.clone(), Some(ids)));
                        }
                    }
                    Err(e) => learnt.errors.push(e),
                },
            }
        }
        let reads = found.into_iter().map(|(source, ids)| {
            let owner = who.emails.clone();
            let label = who.label.clone();
            async move {
                let mut part = Learnt::default();
                let cals = match self.list(&source, deadline).await {
                    Ok(cals) => cals,
                    Err(e) => {
                        part.errors.push(e);
                        return part;
                    }
                };
                let theirs: Vec<&CalendarInfo> =
                    cals.iter().filter(|c| ids.as_ref().is_none_or(|ids| ids.contains(&c.id))).collect();
                // Ask the server first; calendars it cannot answer for are read as events.
                let asks = futures::future::join_all(theirs.iter().map(|c| {
                    let what = || format!("{} calendar {}", source.describe(), c.id);
                    bounded(what, per_source, deadline, source.free_busy(c, &window))
                }))
                .await;
                let mut as_events = Vec::new();
                for (c, answer) in theirs.iter().zip(asks) {
                    match answer {
                        Ok(Some(periods)) => {
                            part.answered += 1;
                            part.methods.push("free_busy_query");
                            part.busy.extend(
                                periods
                                    .into_iter()
                                    .filter_map(|(s, e)| Interval::new(s.max(window.start), e.min(window.end))),
                            );
                            part.calendars.push(consulted(owned(&label, &c.id), c.name.clone(), None));
                        }
                        Ok(None) => as_events.push(c.id.clone()),
                        Err(e) => {
                            let err = ApiError::from_error(&e);
                            part.errors.push(err.clone());
                            part.calendars.push(consulted(owned(&label, &c.id), c.name.clone(), Some(err)));
                        }
                    }
                }
                if !as_events.is_empty() {
                    let wanted = |info: &CalendarInfo| as_events.contains(&info.id);
                    let g = self
                        .gather(
                            std::slice::from_ref(&source),
                            &wanted,
                            opts,
                            deadline,
                            self.busy_pick(owner, tz, window),
                        )
                        .await;
                    part.absorb(g, Some(&label));
                }
                part
            }
        });
        for part in futures::future::join_all(reads).await {
            learnt.busy.extend(part.busy);
            learnt.methods.extend(part.methods);
            learnt.calendars.extend(part.calendars);
            learnt.skipped.extend(part.skipped);
            learnt.errors.extend(part.errors);
            learnt.answered += part.answered;
            learnt.truncated |= part.truncated;
        }
        learnt.methods.sort_unstable();
        learnt
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use kenny_domain::ical::{Attendee, When};

    fn occ(start: &str, end: &str) -> Occurrence {
        let p = |s: &str| When::DateTime(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
        Occurrence {
            uid: "u".into(),
            summary: None,
            description: None,
            location: None,
            start: p(start),
            end: p(end),
            recurrence_id: None,
            organizer: None,
            attendees: vec![Attendee { email: "me@x.org".into(), name: None, partstat: Some("ACCEPTED".into()) }]
                .into(),
            status: None,
            transparent: false,
            sequence: 0,
        }
    }

    #[test]
    fn what_is_busy() {
        let tz = chrono_tz::UTC;
        let w = Window::parse("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", tz).unwrap();
        let owner = vec!["me@x.org".to_string()];
        let o = occ("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z");
        assert!(busy_interval(&o, &owner, tz, &w).is_some());
        let mut t = o.clone();
        t.transparent = true;
        assert!(busy_interval(&t, &owner, tz, &w).is_none());
        let mut c = o.clone();
        c.status = Some("CANCELLED".into());
        assert!(busy_interval(&c, &owner, tz, &w).is_none());
        let mut tentative = o.clone();
        tentative.status = Some("TENTATIVE".into());
        assert!(busy_interval(&tentative, &owner, tz, &w).is_some());
        let mut d = o.clone();
        d.attendees = vec![Attendee { email: "me@x.org".into(), name: None, partstat: Some("DECLINED".into()) }].into();
        assert!(busy_interval(&d, &owner, tz, &w).is_none());
        // Someone else declining does not free the owner.
        assert!(busy_interval(&d, &["other@x.org".to_string()], tz, &w).is_some());
        // Clipped to the window; zero-length is not busy.
        let long = occ("2026-11-30T09:00:00Z", "2026-12-01T10:00:00Z");
        assert_eq!(busy_interval(&long, &owner, tz, &w).unwrap().start, w.start);
        assert!(busy_interval(&occ("2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"), &owner, tz, &w).is_none());
        // An all-day event is busy from local midnight to local midnight.
        let mut all_day = o.clone();
        all_day.start = When::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        all_day.end = When::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let ny = chrono_tz::America::New_York;
        let wide = Window::parse("2026-11-30", "2026-12-03", ny).unwrap();
        let b = busy_interval(&all_day, &owner, ny, &wide).unwrap();
        assert_eq!(format_instant(b.start, ny), "2026-12-01T00:00:00-05:00");
        assert_eq!(format_instant(b.end, ny), "2026-12-02T00:00:00-05:00");
    }
}
