//! The `calendar.read` capability (docs/contracts.md § Capabilities): every configured calendar read concurrently,
//! recurrences expanded in the window, filtered by attendee and text, merged and sorted.
//!
//! Filters: each `attendees` entry is one person — an email, a name, or a list of either (a
//! person's several addresses) — and an event matches when EVERY listed person is its organizer
//! or an attendee. An email matches an address exactly (case-insensitive); a name matches when
//! all its words start words of the attendee's CN or of the address's local part ("sarah" finds
//! "Sarah Chen" and "sarah.chen@…"). `text` matches when every word of it starts a word of the
//! summary, description or location, case and accents folded. Cancelled occurrences are left out.
//!
//! `gather.rs` reads a set of calendars through the cache tiers and expands them; this file holds
//! the request, the response, the filters and the answer.

use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use tokio::time::Instant;
use tracing::instrument;

pub mod cache;
pub mod freebusy;
mod gather;

pub(crate) use gather::{Gathered, Pick, bounded};

use crate::calendar::cache::{CachePolicy, CalendarCache};
use kenny_domain::error::{ApiError, ErrorCode};
use kenny_domain::ical::{Attendee, ExpandOptions, Occurrence, When};
use kenny_domain::text::{contains_words, fold};
use kenny_domain::time::{TimeError, Window, WindowOut, format_instant, parse_zone};
use kenny_ports::cache::SharedCache;
use kenny_ports::sources::{CacheTier, CalendarInfo, CalendarSource};

/// Most occurrences one series may expand to in a window.
pub const MAX_OCCURRENCES_PER_EVENT: usize = 10_000;
/// Default and largest `limit`.
pub const DEFAULT_LIMIT: usize = 1_000;
/// Largest `limit` a request may ask for.
pub const MAX_LIMIT: usize = 10_000;
/// Most people in `attendees`, and most alternatives per person.
pub const MAX_ATTENDEE_FILTERS: usize = 20;
/// Longest attendee or text filter, in characters.
pub const MAX_FILTER_CHARS: usize = 256;
pub use kenny_ports::sources::READ_CONCURRENCY;
/// Largest estimated JSON size of a response's events; events past it are cut (`truncated`).
/// Lambda refuses responses over 6 MB, and one event may carry up to 100,000 attendees.
pub const MAX_EVENTS_BYTES: usize = 5 * 1024 * 1024;

pub use kenny_ports::contracts::{
    CalendarOut, EventOut, PersonFilter, PersonOut, ReadRequest, ReadResponse, SkippedOut,
};

/// Why a read was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Bad window or zone.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// A filter or limit out of bounds.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// Every source failed.
    #[error("no calendar could be read: {0}")]
    AllFailed(ApiError),
}

impl ErrorCode for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            CalendarError::Time(e) => e.code(),
            CalendarError::Invalid { .. } => "invalid_request",
            CalendarError::AllFailed(e) => {
                const PASSED_ON: [&str; 6] = [
                    "source_not_found",
                    "source_auth_failed",
                    "source_bad_reply",
                    "source_refused",
                    "timeout",
                    "invalid_config",
                ];
                PASSED_ON.into_iter().find(|c| *c == e.code).unwrap_or("source_unreachable")
            }
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            CalendarError::Time(e) => e.field(),
            CalendarError::Invalid { field, .. } => Some(field),
            CalendarError::AllFailed(_) => None,
        }
    }
    fn status(&self) -> u16 {
        match self {
            CalendarError::AllFailed(e) if e.code == "timeout" => 504,
            CalendarError::AllFailed(e) if e.code == "invalid_config" => 500,
            CalendarError::AllFailed(_) => 502,
            _ => 400,
        }
    }
}

/// Filters in folded form, checked once per request.
#[derive(Debug)]
struct Filters {
    people: Vec<Vec<Needle>>,
    text: Option<String>,
}

#[derive(Debug)]
enum Needle {
    Email(String),
    Name(String),
}

impl Filters {
    fn new(req: &ReadRequest) -> Result<Self, CalendarError> {
        let invalid = |field, message: String| CalendarError::Invalid { field, message };
        if req.attendees.len() > MAX_ATTENDEE_FILTERS {
            return Err(invalid("attendees", format!("at most {MAX_ATTENDEE_FILTERS} people")));
        }
        let mut people = Vec::with_capacity(req.attendees.len());
        for p in &req.attendees {
            let alts: Vec<&String> = match p {
                PersonFilter::One(s) => vec![s],
                PersonFilter::AnyOf(v) => v.iter().collect(),
            };
            if alts.is_empty() || alts.len() > MAX_ATTENDEE_FILTERS {
                return Err(invalid(
                    "attendees",
                    format!("each person needs 1 to {MAX_ATTENDEE_FILTERS} emails or names"),
                ));
            }
            let mut needles = Vec::new();
            for a in alts {
                if a.chars().count() > MAX_FILTER_CHARS {
                    return Err(invalid("attendees", format!("an attendee is at most {MAX_FILTER_CHARS} characters")));
                }
                let a = a.trim();
                let a = a.strip_prefix("mailto:").unwrap_or(a);
                if a.contains('@') {
                    needles.push(Needle::Email(a.to_lowercase()));
                } else if !fold(a).is_empty() {
                    needles.push(Needle::Name(fold(a)));
                }
            }
            if needles.is_empty() {
                return Err(invalid("attendees", "an attendee filter is empty".into()));
            }
            people.push(needles);
        }
        let text = match &req.text {
            Some(t) if t.chars().count() > MAX_FILTER_CHARS => {
                return Err(invalid("text", format!("text is at most {MAX_FILTER_CHARS} characters")));
            }
            Some(t) => Some(fold(t)).filter(|t| !t.is_empty()),
            None => None,
        };
        Ok(Filters { people, text })
    }

    fn matches(&self, o: &Occurrence) -> bool {
        if let Some(t) = &self.text {
            let hay = fold(&format!(
                "{} {} {}",
                o.summary.as_deref().unwrap_or(""),
                o.description.as_deref().unwrap_or(""),
                o.location.as_deref().unwrap_or("")
            ));
            if !contains_words(&hay, t) {
                return false;
            }
        }
        self.people.iter().all(|alts| {
            o.organizer
                .as_deref()
                .into_iter()
                .chain(o.attendees.iter())
                .any(|a| alts.iter().any(|n| person_matches(n, a)))
        })
    }
}

fn person_matches(needle: &Needle, a: &Attendee) -> bool {
    match needle {
        Needle::Email(e) => a.email.eq_ignore_ascii_case(e),
        Needle::Name(n) => {
            let local = a.email.split('@').next().unwrap_or("");
            a.name.as_deref().is_some_and(|cn| contains_words(&fold(cn), n)) || contains_words(&fold(local), n)
        }
    }
}

/// Where other people's calendars come from (built from `KENNY_PEOPLE_CALENDARS`).
#[derive(Debug, Clone)]
pub enum PeopleSource {
    /// Every calendar of `source` belongs to the person with this (lowercase) address.
    Person {
        /// The owner's address.
        email: String,
        /// Their calendars.
        source: Arc<dyn CalendarSource>,
    },
    /// Each calendar of `source` belongs to the person its id or display name names.
    Directory(Arc<dyn CalendarSource>),
}

/// The `calendar.read` capability over a set of sources; built once per process.
#[derive(Debug)]
pub struct CalendarService {
    pub(crate) sources: Vec<Arc<dyn CalendarSource>>,
    pub(crate) default_tz: Tz,
    pub(crate) source_timeout: Duration,
    pub(crate) cache: CalendarCache,
    /// Other people's calendars, for `calendar.freebusy`.
    pub(crate) people: Vec<PeopleSource>,
    /// The user's own addresses (lowercase), for declines.
    pub(crate) self_emails: Vec<String>,
    /// What the versions of its reads are for: how a source is listed before a read.
    pub(crate) versions: Versions,
    /// Reads sent with no listing known, settling ([`CalendarService::settled`]).
    pub(crate) settling: gather::Settling,
}

/// What a calendar service's versions are for, which decides how a source is listed before its
/// calendars are read (docs/caching.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// A serving process (a Lambda function, `kenny mcp`): its reads are validated later and
    /// shared through L2. Reads of a new window go at once under an earlier listing's versions —
    /// this process's, or one another process stored in L2; with none known, at once without
    /// versions, and they settle after the answer (the versions listed, the window read again
    /// under them: [`CalendarService::settled`]).
    Serving,
    /// A process that answers once and exits ([`CalendarService::one_shot`]).
    OneShot,
    /// The warmer: what it stores in L2 is of use only at the version other processes will
    /// list, so it always reads at the version the source lists now.
    Current,
}

impl CalendarService {
    /// A service reading `sources`, with `default_tz` for requests that name no zone, giving each
    /// source at most `source_timeout` per read, caching as `cache` says.
    pub fn new(
        sources: Vec<Arc<dyn CalendarSource>>,
        default_tz: Tz,
        source_timeout: Duration,
        cache: CachePolicy,
        shared: Option<Arc<dyn SharedCache>>,
    ) -> Self {
        CalendarService {
            sources,
            default_tz,
            source_timeout,
            cache: CalendarCache::with_shared(cache, shared),
            people: Vec::new(),
            self_emails: Vec::new(),
            versions: Versions::Serving,
            settling: gather::Settling::default(),
        }
    }

    /// The same service in a process that answers once and exits (a one-shot CLI run). With no
    /// shared cache configured, no read of such a process can ever be validated or stored for
    /// another, so its versions would be computed for nothing: sources that list cheaply without
    /// them (CalDAV) are listed that way and every read is sent at once, kept unversioned (served
    /// from memory within the grace period, read again after it). With a shared cache the versions
    /// are needed (an L2 entry is used, and stored, only at the version the source lists now).
    pub fn one_shot(mut self) -> Self {
        self.versions = Versions::OneShot;
        self
    }

    /// The same service reading at the versions the source lists now ([`Versions::Current`]).
    pub fn current_versions(mut self) -> Self {
        self.versions = Versions::Current;
        self
    }

    /// The same service that also knows other people's calendars and the user's own addresses
    /// (for `calendar.freebusy`).
    pub fn with_people(mut self, people: Vec<PeopleSource>, self_emails: Vec<String>) -> Self {
        self.people = people;
        self.self_emails = self_emails.into_iter().map(|e| e.to_lowercase()).collect();
        self
    }

    /// Answers one request. Each source's listing and each calendar's read gets the source
    /// timeout, cut short by `deadline`; a calendar that runs out is reported with a `timeout`
    /// error and the others still answer.
    #[instrument(skip_all, fields(start = %req.start, end = %req.end))]
    pub async fn read(&self, req: &ReadRequest, deadline: Option<Instant>) -> Result<ReadResponse, CalendarError> {
        let tz = match &req.timezone {
            Some(z) => parse_zone(z, "timezone")?,
            None => self.default_tz,
        };
        let window = Window::parse(&req.start, &req.end, tz)?;
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(CalendarError::Invalid { field: "limit", message: format!("limit must be 1 to {MAX_LIMIT}") });
        }
        let filters = Arc::new(Filters::new(req)?);
        let opts = ExpandOptions { window, floating_tz: tz, max_per_event: MAX_OCCURRENCES_PER_EVENT };
        let wanted = |info: &CalendarInfo| req.calendars.as_ref().is_none_or(|ids| ids.iter().any(|i| i == &info.id));
        // Occurrences share their event's data until the cut: only returned events are copied.
        let pick: Pick<(i64, Arc<str>, Occurrence)> = Arc::new(move |o: Occurrence, calendar: &Arc<str>| {
            filters.matches(&o).then(|| (o.start.to_utc(tz).timestamp(), calendar.clone(), o))
        });
        let Gathered { items: mut events, calendars: mut out_calendars, mut truncated, skipped, first_error, any_ok } =
            self.gather(&self.sources, &wanted, &opts, deadline, pick).await;
        if let Some(err) = first_error.filter(|_| !any_ok) {
            return Err(CalendarError::AllFailed(err));
        }
        events.sort_by(|a, b| (a.0, &a.2.uid, &a.1).cmp(&(b.0, &b.2.uid, &b.1)));
        out_calendars.sort_by(|a, b| a.id.cmp(&b.id));
        let total = events.len();
        let mut out = Vec::with_capacity(total.min(limit));
        let mut bytes = 0usize;
        for (_, calendar, o) in events.into_iter().take(limit) {
            let e = event_out(o, &calendar, tz);
            bytes = bytes.saturating_add(json_size(&e));
            if bytes > MAX_EVENTS_BYTES {
                break;
            }
            out.push(e);
        }
        if out.len() < total {
            truncated = true;
            for c in &mut out_calendars {
                c.events = out.iter().filter(|e| e.calendar == c.id).count();
            }
        }
        Ok(ReadResponse {
            events: out,
            calendars: out_calendars,
            truncated,
            window: WindowOut { start: format_instant(window.start, tz), end: format_instant(window.end, tz) },
            skipped,
        })
    }
}

/// A calendar's entry when nothing was read from its cache: it failed (`error`), or a server
/// answered for it without its events (a free-busy query).
pub(crate) fn consulted(id: String, name: String, error: Option<ApiError>) -> CalendarOut {
    CalendarOut { id, name, events: 0, cache: CacheTier::Miss, delta: None, error }
}

fn when_out(w: When, tz: Tz) -> String {
    match w {
        When::Date(d) => d.format("%Y-%m-%d").to_string(),
        When::DateTime(dt) => format_instant(dt, tz),
    }
}

fn person_out(a: &Attendee) -> PersonOut {
    PersonOut { email: a.email.clone(), name: a.name.clone() }
}

fn event_out(o: Occurrence, calendar: &str, tz: Tz) -> EventOut {
    EventOut {
        uid: o.uid.to_string(),
        calendar: calendar.to_string(),
        summary: o.summary.as_deref().unwrap_or_default().to_string(),
        all_day: matches!(o.start, When::Date(_)),
        start: when_out(o.start, tz),
        end: when_out(o.end, tz),
        recurrence_id: o.recurrence_id.map(|r| when_out(r, tz)),
        location: o.location.as_deref().map(str::to_string),
        organizer: o.organizer.as_deref().map(person_out),
        attendees: o.attendees.iter().map(person_out).collect(),
        status: o.status.as_deref().map(str::to_string),
    }
}

/// About how many bytes `e` takes as JSON (its texts plus a fixed cost per field), for
/// [`MAX_EVENTS_BYTES`]; escapes are not counted.
fn json_size(e: &EventOut) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(4, |s| s.len() + 2);
    let person = |p: &PersonOut| p.email.len() + text(&p.name) + 24;
    e.uid.len()
        + e.calendar.len()
        + e.summary.len()
        + e.start.len()
        + e.end.len()
        + text(&e.recurrence_id)
        + text(&e.location)
        + text(&e.status)
        + e.organizer.as_ref().map_or(4, person)
        + e.attendees.iter().map(person).sum::<usize>()
        + 160
}
