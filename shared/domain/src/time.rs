//! Dates, date-times, zones and the half-open request window `[start, end)`.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::ErrorCode;

/// The longest window a request may ask for.
pub const MAX_WINDOW_DAYS: i64 = 366;

/// Why a time, zone or window in a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum TimeError {
    /// Not a known IANA zone name.
    #[error("unknown time zone {value:?} (expected an IANA name such as Europe/Berlin)")]
    UnknownZone { field: String, value: String },
    /// Neither `YYYY-MM-DD` nor RFC 3339.
    #[error("{value:?} is not a date (YYYY-MM-DD) or an RFC 3339 date-time")]
    BadTime { field: String, value: String },
    /// `end` is not after `start`.
    #[error("end must be after start")]
    EndBeforeStart,
    /// Longer than [`MAX_WINDOW_DAYS`].
    #[error("the window is {days} days long; at most {MAX_WINDOW_DAYS} days may be read at once")]
    TooLarge { days: i64 },
}

impl ErrorCode for TimeError {
    fn code(&self) -> &'static str {
        match self {
            TimeError::TooLarge { .. } => "window_too_large",
            _ => "invalid_request",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            TimeError::UnknownZone { field, .. } | TimeError::BadTime { field, .. } => Some(field),
            TimeError::EndBeforeStart | TimeError::TooLarge { .. } => Some("end"),
        }
    }
}

/// Parses an IANA zone name; `field` names the request field for the error.
pub fn parse_zone(value: &str, field: &str) -> Result<Tz, TimeError> {
    value.trim().parse::<Tz>().map_err(|_| TimeError::UnknownZone { field: field.into(), value: value.into() })
}

/// A point in time as a request states it: a whole day or an exact instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeArg {
    /// `YYYY-MM-DD`: midnight at the start of that day in the request's zone.
    Date(NaiveDate),
    /// RFC 3339 with an offset.
    Instant(DateTime<FixedOffset>),
    /// A date-time without offset, read in the request's zone.
    Local(NaiveDateTime),
}

impl TimeArg {
    /// Parses `YYYY-MM-DD`, RFC 3339, or a zone-less `YYYY-MM-DDTHH:MM[:SS]`.
    pub fn parse(value: &str, field: &str) -> Result<Self, TimeError> {
        let v = value.trim();
        if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            return Ok(TimeArg::Date(d));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
            return Ok(TimeArg::Instant(dt));
        }
        for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(v, fmt) {
                return Ok(TimeArg::Local(dt));
            }
        }
        Err(TimeError::BadTime { field: field.into(), value: value.chars().take(64).collect() })
    }

    /// The instant this denotes when read in `tz`.
    pub fn to_utc(self, tz: Tz) -> DateTime<Utc> {
        match self {
            TimeArg::Instant(dt) => dt.with_timezone(&Utc),
            TimeArg::Date(d) => local_to_utc(d.and_time(chrono::NaiveTime::MIN), tz),
            TimeArg::Local(dt) => local_to_utc(dt, tz),
        }
    }
}

/// Converts a wall-clock time in `tz` to UTC, resolving DST gaps forward and folds to the
/// earlier instant (RFC 5545 §3.3.5's rule for nonexistent and repeated local times).
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(dt) => dt.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: the time is read with the offset in force before the gap.
            let before = tz.offset_from_utc_datetime(&(local - chrono::Duration::hours(3)));
            let offset = chrono::Offset::fix(&before);
            DateTime::<Utc>::from_naive_utc_and_offset(local - offset, Utc)
        }
    }
}

/// The half-open window `[start, end)` of a request, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    /// Inclusive start.
    pub start: DateTime<Utc>,
    /// Exclusive end.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Builds and checks a window: end after start, at most [`MAX_WINDOW_DAYS`] long.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, TimeError> {
        if end <= start {
            return Err(TimeError::EndBeforeStart);
        }
        let days = (end - start).num_seconds().div_euclid(86_400);
        if end - start > chrono::Duration::days(MAX_WINDOW_DAYS) {
            return Err(TimeError::TooLarge { days: days + 1 });
        }
        Ok(Window { start, end })
    }

    /// Parses the request's `start`/`end` strings in `tz`.
    pub fn parse(start: &str, end: &str, tz: Tz) -> Result<Self, TimeError> {
        let s = TimeArg::parse(start, "start")?.to_utc(tz);
        let e = TimeArg::parse(end, "end")?.to_utc(tz);
        Window::new(s, e)
    }

    /// True when `[start, end)` overlaps this window. A zero-length event overlaps when it
    /// lies inside the window (RFC 4791 §9.9's rule).
    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        if end <= start { start >= self.start && start < self.end } else { start < self.end && end > self.start }
    }
}

/// A window as responses show it (`calendar.read`, `calendar.freebusy`, the coordinator's answer):
/// both ends in RFC 3339 with the offset of the request's zone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowOut {
    /// Inclusive start, RFC 3339.
    pub start: String,
    /// Exclusive end, RFC 3339.
    pub end: String,
}

/// Formats an instant as RFC 3339 with the offset `tz` has at that instant.
pub fn format_instant(dt: DateTime<Utc>, tz: Tz) -> String {
    dt.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rules() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let w = Window::parse("2026-03-01", "2026-03-08", tz).unwrap();
        assert_eq!(format_instant(w.start, tz), "2026-03-01T00:00:00+01:00");
        assert!(matches!(Window::parse("2026-03-08", "2026-03-01", tz), Err(TimeError::EndBeforeStart)));
        assert!(matches!(Window::parse("2026-01-01", "2027-01-03", tz), Err(TimeError::TooLarge { .. })));
        assert!(Window::parse("2026-01-01", "2027-01-02", Tz::UTC).is_ok());
        assert!(matches!(TimeArg::parse("tomorrow", "start"), Err(TimeError::BadTime { .. })));
        // An event that started before the window and ends inside it is in.
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(w.overlaps(t("2026-02-28T23:00:00Z"), t("2026-03-01T10:00:00Z")));
        assert!(!w.overlaps(t("2026-02-28T10:00:00Z"), t("2026-02-28T23:00:00Z")));
        assert!(!w.overlaps(t("2026-03-07T23:00:00Z"), t("2026-03-08T01:00:00Z")));
        assert!(w.overlaps(t("2026-03-02T10:00:00Z"), t("2026-03-02T10:00:00Z")));
    }

    #[test]
    fn dst_gap_moves_forward() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let local = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap().and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(format_instant(local_to_utc(local, tz), tz), "2026-03-29T03:30:00+02:00");
    }
}
