//! Finding a time that works for several people: a pure function of their busy intervals, the
//! window, the meeting's length and the working hours — the `slots.find` step capability, which
//! `coordinate` runs itself (no sibling, no I/O) on the outputs of `calendar.freebusy` steps.
//!
//! # Rules
//! - **Working time** is every local day of the window whose weekday is a working day, from the
//!   working hours' start to their end in local wall-clock time (default 09:00–17:00, Monday to
//!   Friday, in `KENNY_TIMEZONE`), so 09:00 stays 09:00 across DST changes; a working-hours
//!   bound in a DST gap moves forward, one in a repeated hour takes its first occurrence.
//!   Working time is clipped to the window; touching pieces are one piece.
//! - **Busy** is the union of every participant's busy intervals, each widened by the buffer
//!   on both sides (a meeting needs `buffer` minutes free before and after it).
//! - **Free periods** are working time minus busy. A slot is the earliest start in a free period
//!   that falls on the granularity grid (local wall-clock minutes of the day divisible by it:
//!   :00/:15/:30/:45 by default) and leaves the whole duration inside the period. Each free period
//!   gives at most one slot (so "next week" lists different times, not 09:00, 09:15, 09:30…), and
//!   says until when it stays free (`free_until`): the meeting may start anywhere in the period.
//! - Slots are ranked earliest first; at most `max_results` (`truncated` says more exist).
//! - Bounds: the window at most [`MAX_WINDOW_DAYS`] days, at most [`MAX_INTERVALS`] busy
//!   intervals and [`MAX_PARTICIPANTS`] busy sets, durations up to a day, results up to
//!   [`MAX_RESULTS`]. The work is `O(n log n)` in the busy intervals plus linear in the days.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::error::ErrorCode;
use crate::time::{TimeError, local_to_utc};

mod request;

pub use request::{
    BusyInput, FreeBusyInput, IntervalOut, PersonBusy, Prepared, SlotDefaults, SlotOut, SlotsRequest, SlotsResponse,
    invoke, prepare, respond,
};

/// Longest window searched for slots.
pub const MAX_WINDOW_DAYS: i64 = 62;
/// Most busy intervals over all participants.
pub const MAX_INTERVALS: usize = 200_000;
/// Most busy sets (people) in one request.
pub const MAX_PARTICIPANTS: usize = 50;
/// Most slots one answer lists.
pub const MAX_RESULTS: usize = 100;
/// Slots listed when the request does not say.
pub const DEFAULT_RESULTS: usize = 10;
/// Longest meeting, minutes.
pub const MAX_DURATION_MINUTES: u32 = 24 * 60;
/// Longest buffer, minutes.
pub const MAX_BUFFER_MINUTES: u32 = 240;
/// Grid of slot starts when the request does not say, minutes.
pub const DEFAULT_GRANULARITY_MINUTES: u32 = 15;

/// Why a slot search was refused.
#[derive(Debug, thiserror::Error)]
pub enum SlotsError {
    /// A field out of bounds or malformed.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// A bad window or zone.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// The window is longer than [`MAX_WINDOW_DAYS`].
    #[error("slots are searched in at most {MAX_WINDOW_DAYS} days at once; this window is {days} days")]
    WindowTooLarge { days: i64 },
    /// More busy intervals or people than the bounds allow.
    #[error("too many busy {what}: {count} (at most {limit})")]
    TooLarge { what: &'static str, count: usize, limit: usize },
}

impl ErrorCode for SlotsError {
    fn code(&self) -> &'static str {
        match self {
            SlotsError::Invalid { .. } => "invalid_request",
            SlotsError::Time(e) => e.code(),
            SlotsError::WindowTooLarge { .. } => "window_too_large",
            SlotsError::TooLarge { .. } => "too_large",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            SlotsError::Invalid { field, .. } => Some(field),
            SlotsError::Time(e) => e.field(),
            SlotsError::WindowTooLarge { .. } => Some("end"),
            SlotsError::TooLarge { .. } => Some("busy"),
        }
    }
    fn status(&self) -> u16 {
        match self {
            SlotsError::TooLarge { .. } => 413,
            _ => 400,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> SlotsError {
    SlotsError::Invalid { field, message: message.into() }
}

/// A half-open interval `[start, end)` of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// An interval; `None` when it is empty or reversed.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (end > start).then_some(Interval { start, end })
    }
}

/// Sorts and merges intervals; overlapping and touching ones become one.
pub fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.retain(|i| i.end > i.start);
    intervals.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for i in intervals {
        match out.last_mut() {
            Some(last) if i.start <= last.end => last.end = last.end.max(i.end),
            _ => out.push(i),
        }
    }
    out
}

/// Working hours: a local wall-clock span on working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkHours {
    /// Start, minutes after local midnight.
    pub start: u32,
    /// End, minutes after local midnight (1440 = the next midnight); after `start`.
    pub end: u32,
    /// Working days, Monday first.
    pub days: [bool; 7],
}

impl Default for WorkHours {
    /// 09:00–17:00, Monday to Friday.
    fn default() -> Self {
        WorkHours { start: 9 * 60, end: 17 * 60, days: [true, true, true, true, true, false, false] }
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl WorkHours {
    /// Every hour of every day.
    pub const ALWAYS: WorkHours = WorkHours { start: 0, end: 24 * 60, days: [true; 7] };

    /// Parses `HH:MM-HH:MM` (end may be `24:00`) and a day list: `mon-fri`, `mon,wed,fri`,
    /// `sat-sun`, `all` (English three-letter names or full names, any case).
    pub fn parse(hours: &str, days: &str) -> Result<Self, SlotsError> {
        let (start, end) = parse_hours(hours)?;
        Ok(WorkHours { start, end, days: parse_days(days)? })
    }

    /// `HH:MM-HH:MM`.
    pub fn hours_text(&self) -> String {
        format!("{:02}:{:02}-{:02}:{:02}", self.start / 60, self.start % 60, self.end / 60, self.end % 60)
    }

    /// The working days as `mon,tue,…`.
    pub fn days_text(&self) -> String {
        DAY_NAMES.iter().zip(self.days).filter(|(_, on)| *on).map(|(d, _)| *d).collect::<Vec<_>>().join(",")
    }

    /// The same days with hours narrowed to `[start, end)` minutes (the intersection).
    pub fn narrowed(&self, start: u32, end: u32) -> Option<WorkHours> {
        let (s, e) = (self.start.max(start), self.end.min(end));
        (e > s).then_some(WorkHours { start: s, end: e, days: self.days })
    }
}

fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn parse_hours(hours: &str) -> Result<(u32, u32), SlotsError> {
    let bad = || invalid("hours", format!("{:?} is not working hours like 09:00-17:00", truncate(hours)));
    let (a, b) = hours.split_once('-').ok_or_else(bad)?;
    let (start, end) = (parse_clock(a).ok_or_else(bad)?, parse_clock(b).ok_or_else(bad)?);
    if end <= start {
        return Err(invalid("hours", format!("working hours {:?} must end after they start", truncate(hours))));
    }
    Ok((start, end))
}

fn day_index(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.get(..3).filter(|_| n.len() >= 3)?;
    let full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let i = DAY_NAMES.iter().position(|d| *d == n)?;
    let whole = name.trim().to_ascii_lowercase();
    (whole.len() == 3 || full[i].starts_with(&whole)).then_some(i)
}

fn parse_days(days: &str) -> Result<[bool; 7], SlotsError> {
    let bad = || invalid("days", format!("{:?} is not a list of days like mon-fri or mon,wed,fri", truncate(days)));
    let mut out = [false; 7];
    if days.trim().eq_ignore_ascii_case("all") {
        return Ok([true; 7]);
    }
    for part in days.split(',').filter(|p| !p.trim().is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a).ok_or_else(bad)?, day_index(b).ok_or_else(bad)?);
                // A range may wrap: fri-mon is Friday to Monday.
                let mut i = a;
                for _ in 0..7 {
                    out[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => out[day_index(part).ok_or_else(bad)?] = true,
        }
    }
    if !out.contains(&true) {
        return Err(bad());
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Everything a search needs, checked.
#[derive(Debug, Clone)]
pub struct Query {
    /// Where to look, `[start, end)`.
    pub window: Interval,
    /// Zone of the working hours and of the grid.
    pub tz: Tz,
    /// Meeting length, minutes.
    pub duration: u32,
    /// Working hours.
    pub hours: WorkHours,
    /// Free minutes kept before and after every busy interval.
    pub buffer: u32,
    /// Slot starts fall on local minutes of the day divisible by this.
    pub granularity: u32,
    /// Most slots returned.
    pub max_results: usize,
}

/// One slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Earliest start.
    pub start: DateTime<Utc>,
    /// `start` + duration.
    pub end: DateTime<Utc>,
    /// End of the free period the slot opens: the meeting may start up to `free_until` −
    /// duration.
    pub free_until: DateTime<Utc>,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Earliest first.
    pub slots: Vec<Slot>,
    /// More slots exist than `max_results`.
    pub truncated: bool,
}

/// Working time of `window`: each working day's hours in local wall time, clipped to the
/// window, touching pieces merged. At most [`MAX_WINDOW_DAYS`] + 2 days are visited.
pub fn working_time(window: Interval, tz: Tz, hours: &WorkHours) -> Vec<Interval> {
    let first = window.start.with_timezone(&tz).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
    let last = window.end.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    let mut day = first;
    for _ in 0..(MAX_WINDOW_DAYS + 4) {
        if day > last {
            break;
        }
        if hours.days[day.weekday().num_days_from_monday() as usize] {
            let at = |minutes: u32| {
                let (d, m) =
                    if minutes >= 1440 { (day.checked_add_days(Days::new(1)), 0) } else { (Some(day), minutes) };
                let t = NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap_or(NaiveTime::MIN);
                d.map(|d| local_to_utc(d.and_time(t), tz))
            };
            if let (Some(s), Some(e)) = (at(hours.start), at(hours.end))
                && let Some(i) = Interval::new(s.max(window.start), e.min(window.end))
            {
                out.push(i);
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    merge(out)
}

/// Minutes after local midnight at `t` in `tz`.
fn local_minute(t: DateTime<Utc>, tz: Tz) -> u32 {
    let l = t.with_timezone(&tz);
    l.hour() * 60 + l.minute()
}

/// The first instant at or after `t` on a whole local minute divisible by `granularity`.
pub fn align_up(t: DateTime<Utc>, granularity: u32, tz: Tz) -> DateTime<Utc> {
    let whole = t.with_second(0).and_then(|x| x.with_nanosecond(0)).unwrap_or(t);
    let t0 = if whole < t { whole + chrono::Duration::minutes(1) } else { whole };
    let g = granularity.max(1);
    if g == 1 {
        return t0;
    }
    let delta = (g - local_minute(t0, tz) % g) % g;
    let c = t0 + chrono::Duration::minutes(i64::from(delta));
    let offset = |x: DateTime<Utc>| tz.offset_from_utc_datetime(&x.naive_utc()).fix();
    if offset(c) == offset(t0) {
        return c;
    }
    // An offset change in between: walk the minutes (bounded) to the first one on the grid.
    (0..=i64::from(g) + 180)
        .map(|k| t0 + chrono::Duration::minutes(k))
        .find(|x| local_minute(*x, tz).is_multiple_of(g))
        .unwrap_or(c)
}

/// Finds the slots: see the module docs for the rules. `busy` may hold any number of
/// participants' intervals, in any order, overlapping.
pub fn find(q: &Query, busy: &[Interval]) -> Found {
    let pad = chrono::Duration::minutes(i64::from(q.buffer));
    let duration = chrono::Duration::minutes(i64::from(q.duration));
    let busy = merge(busy.iter().filter_map(|b| Interval::new(b.start - pad, b.end + pad)).collect());
    let mut slots = Vec::new();
    let mut truncated = false;
    let mut k = 0; // first busy interval that may still overlap the current working piece
    'pieces: for w in working_time(q.window, q.tz, &q.hours) {
        while k < busy.len() && busy[k].end <= w.start {
            k += 1;
        }
        let mut cursor = w.start;
        let mut j = k;
        loop {
            let (free_end, next) = match busy.get(j) {
                Some(b) if b.start < w.end => (b.start.min(w.end), Some(b.end)),
                _ => (w.end, None),
            };
            if free_end > cursor {
                let start = align_up(cursor, q.granularity, q.tz);
                if start + duration <= free_end {
                    if slots.len() == q.max_results {
                        truncated = true;
                        break 'pieces;
                    }
                    slots.push(Slot { start, end: start + duration, free_until: free_end });
                }
            }
            match next {
                Some(e) if e < w.end => {
                    cursor = cursor.max(e);
                    j += 1;
                }
                _ => break,
            }
        }
    }
    Found { slots, truncated }
}

// ---- the `slots.find` capability: JSON in, JSON out ------------------------------------------

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::time::format_instant;

    #[test]
    fn hours_and_days_parse() {
        let w = WorkHours::parse("08:30-24:00", "mon-wed,fri").unwrap();
        assert_eq!((w.start, w.end), (510, 1440));
        assert_eq!(w.days_text(), "mon,tue,wed,fri");
        assert_eq!(w.hours_text(), "08:30-24:00");
        assert_eq!(WorkHours::parse("09:00-17:00", "fri-mon").unwrap().days_text(), "mon,fri,sat,sun");
        assert_eq!(WorkHours::parse("09:00-17:00", "Saturday,sun").unwrap().days_text(), "sat,sun");
        assert_eq!(WorkHours::parse("09:00-17:00", "all").unwrap().days, [true; 7]);
        for (h, d) in [("17:00-09:00", "mon"), ("9-17", "mon"), ("09:00-25:00", "mon"), ("09:00-17:00", "funday")] {
            let e = WorkHours::parse(h, d).unwrap_err();
            assert_eq!(e.code(), "invalid_request", "{h} {d}");
        }
        assert_eq!(WorkHours::parse("09:00-17:00", ",").unwrap_err().field(), Some("days"));
    }

    #[test]
    fn align_up_is_on_the_local_grid() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        let t = DateTime::parse_from_rfc3339("2026-03-02T03:31:10Z").unwrap().with_timezone(&Utc);
        // 09:01:10 local → 09:15 local with a 15-minute grid, 10:00 with an hourly one.
        assert_eq!(format_instant(align_up(t, 15, tz), tz), "2026-03-02T09:15:00+05:30");
        assert_eq!(format_instant(align_up(t, 60, tz), tz), "2026-03-02T10:00:00+05:30");
        assert_eq!(format_instant(align_up(t, 1, tz), tz), "2026-03-02T09:02:00+05:30");
    }
}
