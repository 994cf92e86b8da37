//! What the data capabilities take and answer — `calendar.read`, `calendar.freebusy` and
//! `contacts.resolve` (docs/contracts.md § Capabilities) — as Rust types. They live on the ports
//! layer because both sides of a sibling call name them: the capabilities that serve them and
//! the transports that carry them ([`crate::sibling`]). JSON is only their form on the wire.

use serde::{Deserialize, Serialize};

use kenny_domain::contacts::Resolution;
use kenny_domain::error::ApiError;
use kenny_domain::slots::IntervalOut;
use kenny_domain::time::WindowOut;

use crate::sources::{CacheTier, Delta, SkippedItem};

pub use kenny_domain::contacts::ResolveRequest;

/// A `calendar.read` request.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// Window start: a date or an RFC 3339 date-time.
    pub start: String,
    /// Window end (exclusive).
    pub end: String,
    /// Only these calendar ids (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendars: Option<Vec<String>>,
    /// People who must all take part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<PersonFilter>,
    /// Words that must appear in summary, description or location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// IANA zone for dates, all-day and floating events, and the output offsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Most events to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// One person in the attendee filter: an email or name, or several (any of them matches).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PersonFilter {
    /// One email or name.
    One(String),
    /// Alternatives for the same person (e.g. all of a contact's addresses).
    AnyOf(Vec<String>),
}

/// A person on an event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonOut {
    /// Address without `mailto:`.
    pub email: String,
    /// CN, if given.
    pub name: Option<String>,
}

/// One event occurrence in the response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventOut {
    /// The series' UID.
    pub uid: String,
    /// The calendar's id.
    pub calendar: String,
    /// SUMMARY (empty when missing).
    pub summary: String,
    /// RFC 3339 in the request's zone, or `YYYY-MM-DD` for all-day events.
    pub start: String,
    /// Exclusive end, same form as start.
    pub end: String,
    /// Whether the event is all-day.
    pub all_day: bool,
    /// Original start of this instance, for recurring events.
    pub recurrence_id: Option<String>,
    /// LOCATION.
    pub location: Option<String>,
    /// ORGANIZER.
    pub organizer: Option<PersonOut>,
    /// ATTENDEEs.
    pub attendees: Vec<PersonOut>,
    /// STATUS, uppercase.
    pub status: Option<String>,
}

/// One calendar's part in the response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalendarOut {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Events it contributed to the answer.
    pub events: usize,
    /// Which cache tier answered.
    pub cache: CacheTier,
    /// Present when the calendar changed and only the changes were fetched (CalDAV sync-collection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<Delta>,
    /// Why this calendar could not be read; the others still answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// The `calendar.read` response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadResponse {
    /// Matching occurrences, sorted by start then uid.
    pub events: Vec<EventOut>,
    /// Every calendar read.
    pub calendars: Vec<CalendarOut>,
    /// True when `limit` or the per-event expansion cap cut the list.
    pub truncated: bool,
    /// The window read, in the request's zone.
    pub window: WindowOut,
    /// Items that could not be parsed, reported rather than failing the read.
    #[serde(default)]
    pub skipped: Vec<SkippedOut>,
}

/// A skipped item as the response reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedOut {
    /// Calendar id.
    pub calendar: String,
    /// File name and/or UID.
    pub item: String,
    /// Stable code.
    pub code: String,
    /// What was wrong.
    pub message: String,
}

impl From<SkippedItem> for SkippedOut {
    fn from(s: SkippedItem) -> Self {
        SkippedOut { calendar: s.collection, item: s.item, code: s.code, message: s.message }
    }
}

/// A `calendar.freebusy` request.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FreeBusyRequest {
    /// Window start: a date or an RFC 3339 date-time.
    pub start: String,
    /// Window end (exclusive).
    pub end: String,
    /// IANA zone for dates, all-day and floating events, and the output offsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Other people: each an email, a name, or a list of either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attendees: Vec<PersonFilter>,
    /// Include the user ("me"); default true.
    #[serde(default = "yes")]
    pub include_self: bool,
    /// Only these of the user's calendars (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendars: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// One person's busy time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonBusyOut {
    /// `me`, or the person as asked (their first address, else the name).
    pub person: String,
    /// The addresses their calendars were matched and declines read by.
    pub emails: Vec<String>,
    /// Merged busy intervals, sorted.
    pub busy: Vec<IntervalOut>,
    /// How it was learnt: `events`, `free_busy_query`, or both joined by `+`.
    pub source: String,
    /// False when some of their calendars could not be read (see `errors`).
    pub complete: bool,
}

/// Why a person is unknown or incomplete.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonErrorOut {
    /// The person as in `people` or `unknown`.
    pub person: String,
    /// Stable code (`no_calendar`, or a source error's).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The `calendar.freebusy` response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FreeBusyResponse {
    /// The window read, in the request's zone.
    pub window: WindowOut,
    /// Everyone whose busy time is known, the user first.
    pub people: Vec<PersonBusyOut>,
    /// People whose calendars could not be read: not free, unknown.
    pub unknown: Vec<String>,
    /// Why people are unknown or incomplete.
    pub errors: Vec<PersonErrorOut>,
    /// Every calendar consulted (people's prefixed with the person), with its cache tier.
    pub calendars: Vec<CalendarOut>,
    /// Items that could not be parsed.
    pub skipped: Vec<SkippedOut>,
    /// A bound cut the busy list of someone.
    pub truncated: bool,
}

/// The `contacts.resolve` response: the resolution and the cache tier that answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolveResponse {
    /// What the name resolved to.
    #[serde(flatten)]
    pub resolution: Resolution,
    /// Which cache tier answered (`l1` when the index in memory was current; a reply that
    /// names none is read as `l1`).
    #[serde(default = "index_in_memory")]
    pub cache: CacheTier,
}

fn index_in_memory() -> CacheTier {
    CacheTier::L1
}
