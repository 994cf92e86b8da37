//! iCalendar parsing (calcard) and windowed, bounded recurrence expansion.
//!
//! [`parse`] reads one iCalendar text (a vdir item or a whole feed, any number of VCALENDARs)
//! into owned series grouped by UID; [`ParsedCalendar::expand`] returns the occurrences that
//! overlap a half-open window, recurrences expanded per RFC 5545.
//!
//! # Semantics worth knowing
//! - Parsing is lenient: a malformed VEVENT is left out and reported in
//!   [`ParsedCalendar::skipped`]; an invalid RRULE is ignored (the event keeps its other
//!   instances) and reported; VEVENTs without a VCALENDAR around them are read too; only a text
//!   with neither yields nothing (and one `not_icalendar` report). Nothing panics.
//! - TZIDs resolve via IANA, then the VTIMEZONE's calcard hints (X-LIC-LOCATION,
//!   X-MICROSOFT-CDO-TZID), then vendor prefixes and Windows names, then by matching a custom
//!   VTIMEZONE's rules against the IANA database (else its fixed STANDARD offset). A TZID nothing
//!   is known about is read as floating and reported in [`ParsedCalendar::warnings`].
//! - Floating times (and all-day dates) are read in [`ExpandOptions::floating_tz`] at expansion
//!   time, except that floating times of a calendar with `X-WR-TIMEZONE` are read in that zone,
//!   and a floating UNTIL/EXDATE/RDATE/RECURRENCE-ID of a zoned event in the event's zone.
//! - Recurrence: DTSTART is always the first instance; all RRULEs and RDATEs are united and
//!   deduplicated; EXDATE removes any instance (as instants; a DATE EXDATE removes the instance
//!   starting that local date); UNTIL is compared as an instant (a DATE UNTIL includes its day).
//! - Iteration runs in wall-clock time: an event at 09:30 Europe/Berlin stays at 09:30 across DST
//!   changes; a start in a DST gap moves forward, a repeated time takes the earlier instant. The
//!   DTEND−DTSTART length is kept in wall-clock terms when both are in the same zone (exact
//!   otherwise); DURATION's days are nominal and its hours exact.
//! - A component with RECURRENCE-ID replaces exactly the instance whose original start equals it
//!   (whatever its SEQUENCE; its own RRULE is ignored), and is returned if it overlaps the window
//!   wherever the original was. RANGE=THISANDFUTURE applies its time shift, length and
//!   properties to every later instance. An override without DTEND/DURATION keeps the series'
//!   length. Of several masters (or overrides of one instance) the highest SEQUENCE wins, then
//!   the latest LAST-MODIFIED/DTSTAMP, then the last one.
//! - An override with a lower SEQUENCE than its master predates the master's last edit: it is
//!   dropped when the master no longer has its instance (EXDATEd, or the rule changed);
//!   otherwise overrides win over EXDATE.
//! - DTSTART counts as an instance even when the RRULE would not produce it, but not when every
//!   RRULE's UNTIL is before it (how clients delete all instances).
//! - Lenient readings: an RRULE part calcard cannot read is left out (reported), an empty RRULE
//!   is none, DTEND before DTSTART on a single event is read as swapped, a date-time EXDATE or
//!   RECURRENCE-ID on an all-day series matches by its written day, and all-day events last at
//!   least one day.
//! - Bounds: expansion never goes past the window; open-ended rules (and COUNT rules without
//!   BYxxx parts) are fast-forwarded by whole periods; each series examines at most
//!   [`Limits::max_rule_steps`] rule instances (all series together [`Limits::max_total_steps`])
//!   and returns at most `max_per_event` occurrences ([`Expansion::truncated`] says when a bound
//!   cut). Rules that name no existing day (BYMONTH=2;BYMONTHDAY=30) or generate more than
//!   100,000 instances per period are refused as `malformed_rule`; so are an INTERVAL outside
//!   1..=65535 (never wrapped) and BYDAY ordinals where RFC 5545 forbids them (FREQ other than
//!   MONTHLY/YEARLY, or YEARLY with BYWEEKNO).
//!
//! # Files
//! - `parse.rs`: the owned model (times, events, series) and [`parse`]'s steps: calcard's
//!   calendars, their events, grouped by UID.
//! - `fast.rs`: the same reading of texts of the usual shape without calcard's tokenizer (lines
//!   split and plain properties read there, the others by calcard line by line; unused ones
//!   skipped); `fast_plain.rs` reads a plain line's parameters and value; `fast_tests.rs`
//!   compares both readings.
//! - `vevent.rs`: one VEVENT's properties into an event (checked, completed, anchored).
//! - `rule.rs`: one RRULE, copied from calcard and checked, and its bounded iteration;
//!   `rule_text.rs`: RRULE text calcard misreads (INTERVAL beyond a `u16`) or cannot read.
//! - `tz.rs`: zones and TZID resolution.
//! - `expand.rs`: windowed expansion of each series; `span.rs`: where instances end, and time
//!   steps clamped to chrono's range.

mod expand;
mod fast;
mod parse;
mod rule;
mod rule_text;
mod span;
mod tz;
mod vevent;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::ErrorCode;

/// Why an item (or the whole text) was not read, or was read only in part.
#[derive(Debug, thiserror::Error)]
pub enum IcalError {
    /// The text holds no VCALENDAR.
    #[error("not an iCalendar text (no BEGIN:VCALENDAR)")]
    NotICalendar,
    /// A component that cannot be used (no DTSTART, unreadable DTSTART, …).
    #[error("malformed event: {reason}")]
    MalformedItem { reason: String },
    /// An RRULE that cannot be read or iterated.
    #[error("malformed recurrence rule: {reason}")]
    MalformedRule { reason: String },
    /// A bound of [`Limits`] was hit.
    #[error("too large: {what} (limit: {limit})")]
    TooLarge { what: String, limit: String },
    /// A TZID nothing is known about; its times were read as floating.
    #[error("unknown time zone {tzid:?}; its times were read as floating")]
    UnknownTimeZone { tzid: String },
}

impl ErrorCode for IcalError {
    fn code(&self) -> &'static str {
        match self {
            IcalError::NotICalendar => "not_icalendar",
            IcalError::MalformedItem { .. } => "malformed_item",
            IcalError::MalformedRule { .. } => "malformed_rule",
            IcalError::TooLarge { .. } => "too_large",
            IcalError::UnknownTimeZone { .. } => "unknown_timezone",
        }
    }
    fn status(&self) -> u16 {
        422
    }
}

/// A malformed item, reported to the user.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Skipped {
    /// The item's UID, when it has one.
    pub uid: Option<String>,
    /// An [`IcalError`] code.
    pub code: &'static str,
    /// What was wrong.
    pub message: String,
}

/// Bounds on what parsing and expansion will do with one calendar text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longer texts are refused whole (`too_large`).
    pub max_bytes: usize,
    /// VEVENTs read per text; the rest are reported once and left out.
    pub max_events: usize,
    /// RDATE + EXDATE values (and ATTENDEEs) read per event.
    pub max_values_per_event: usize,
    /// Recurrence instances examined per series per expansion (sets `truncated` when hit).
    pub max_rule_steps: usize,
    /// Recurrence instances examined per expansion over all series; once spent, series get no
    /// more rule instances (sets `truncated`).
    pub max_total_steps: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_events: 200_000,
            max_values_per_event: 100_000,
            max_rule_steps: 200_000,
            max_total_steps: 5_000_000,
        }
    }
}

/// A parsed iCalendar text: its series grouped by UID, owned.
#[derive(Debug, Clone)]
pub struct ParsedCalendar {
    /// `X-WR-CALNAME`.
    pub name: Option<String>,
    /// Malformed items, reported to the user.
    pub skipped: Vec<Skipped>,
    /// Things read with a guess (unknown TZID, missing UID), worth showing but not errors.
    pub warnings: Vec<Skipped>,
    parsed: parse::Parsed,
    limits: Limits,
}

/// Parses one iCalendar text (a VCALENDAR with any number of VEVENTs; a vdir item file or a
/// whole .ics feed). Lenient: malformed components are skipped and reported, never a panic, never
/// a whole-file failure unless there is no VCALENDAR at all.
pub fn parse(text: &str) -> ParsedCalendar {
    parse_with_limits(text, &Limits::default())
}

/// [`parse`] with explicit [`Limits`] (kept for [`ParsedCalendar::expand`]).
pub fn parse_with_limits(text: &str, limits: &Limits) -> ParsedCalendar {
    let parsed = std::panic::catch_unwind(|| parse::parse(text, limits)).unwrap_or_else(|_| {
        tracing::warn!("iCalendar parsing panicked");
        parse::Parsed {
            skipped: vec![Skipped {
                uid: None,
                code: "malformed_item",
                message: "the calendar could not be read".into(),
            }],
            ..Default::default()
        }
    });
    ParsedCalendar {
        name: parsed.name.clone(),
        skipped: parsed.skipped.clone(),
        warnings: parsed.warnings.clone(),
        parsed,
        limits: limits.clone(),
    }
}

/// What to expand.
#[derive(Debug, Clone)]
pub struct ExpandOptions {
    /// Half-open, UTC.
    pub window: crate::time::Window,
    /// Zone for floating times and all-day dates.
    pub floating_tz: chrono_tz::Tz,
    /// Cap per series; callers pass 10_000.
    pub max_per_event: usize,
}

/// The occurrences overlapping a window.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// Sorted by start, then UID.
    pub occurrences: Vec<Occurrence>,
    /// True when a series hit `max_per_event` or a step bound of [`Limits`].
    pub truncated: bool,
}

impl ParsedCalendar {
    /// The occurrences overlapping `opts.window`, sorted by start then UID. CANCELLED ones are
    /// included (with their status).
    pub fn expand(&self, opts: &ExpandOptions) -> Expansion {
        expand::expand(&self.parsed, opts, &self.limits)
    }

    /// Number of series (UIDs).
    pub fn event_count(&self) -> usize {
        self.parsed.series.len()
    }
}

/// One occurrence of an event. Its texts and people are shared with the event (and its other
/// occurrences), so expanding a large event thousands of times does not copy it.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub uid: Arc<str>,
    pub summary: Option<Arc<str>>,
    pub description: Option<Arc<str>>,
    pub location: Option<Arc<str>>,
    pub start: When,
    /// Exclusive; for all-day, the day after the last day.
    pub end: When,
    /// The ORIGINAL start of this instance; `None` for non-recurring events.
    pub recurrence_id: Option<When>,
    pub organizer: Option<Arc<Attendee>>,
    pub attendees: Arc<[Attendee]>,
    /// Uppercase: CONFIRMED / TENTATIVE / CANCELLED.
    pub status: Option<Arc<str>>,
    /// TRANSP:TRANSPARENT.
    pub transparent: bool,
    pub sequence: i64,
}

/// A day (all-day events) or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum When {
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

impl When {
    /// The instant; a day starts at its midnight in `floating_tz`.
    pub fn to_utc(&self, floating_tz: chrono_tz::Tz) -> DateTime<Utc> {
        match self {
            When::Date(d) => tz::Zone::Iana(floating_tz).to_utc(d.and_time(chrono::NaiveTime::MIN)),
            When::DateTime(u) => *u,
        }
    }
}

/// An organizer or attendee.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    /// `mailto:` stripped, lowercased.
    pub email: String,
    /// CN.
    pub name: Option<String>,
    /// PARTSTAT, uppercase.
    pub partstat: Option<String>,
}

#[cfg(test)]
mod tests;
