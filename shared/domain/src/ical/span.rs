//! Instance arithmetic for expansion: where an instance starts (a day or an instant in its
//! zone), where it ends, and wall-clock / instant steps clamped to chrono's range.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use super::When;
use super::parse::{EndSpec, Event, Time};
use super::tz::Zone;

/// The start of one instance: a day, or an instant with the zone its wall clock runs in.
#[derive(Debug, Clone, Copy)]
pub(super) enum Inst {
    Date(NaiveDate),
    At(DateTime<Utc>, Zone),
}

impl Inst {
    pub(super) fn when(self) -> When {
        match self {
            Inst::Date(d) => When::Date(d),
            Inst::At(u, _) => When::DateTime(u),
        }
    }
}

pub(super) fn add_days(d: NaiveDate, days: i64) -> NaiveDate {
    TimeDelta::try_days(days).and_then(|t| d.checked_add_signed(t)).unwrap_or(d)
}

pub(super) fn add_wall(w: NaiveDateTime, delta: TimeDelta) -> NaiveDateTime {
    w.checked_add_signed(delta).unwrap_or(w)
}

/// `u` moved by `secs`, clamped to chrono's range.
pub(super) fn shift_clamped(u: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    // Year 1 to 9999: far enough for any calendar, and safe to convert to any zone.
    let min = DateTime::<Utc>::from_timestamp(-62_135_596_800, 0).unwrap_or(u);
    let max = DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or(u);
    let secs = secs.clamp(-400_000_000_000, 400_000_000_000);
    TimeDelta::try_seconds(secs)
        .and_then(|d| u.checked_add_signed(d))
        .unwrap_or(if secs < 0 { min } else { max })
        .clamp(min, max)
}

pub(super) fn add_utc(u: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    u.checked_add_signed(delta).unwrap_or(u)
}

/// A value's wall-clock time in `zone` (DATE values: their midnight, unconverted).
pub(super) fn wall_in(t: &Time, zone: Zone, floating: Zone) -> NaiveDateTime {
    match t {
        Time::Date(_) => t.wall(),
        other => zone.wall(other.instant(floating)),
    }
}

/// The end of an instance starting at `inst`, from an end given relative to `spec_start`
/// (the component's DTSTART, or an RDATE PERIOD's start). Zoned durations are kept in wall-clock
/// terms; DURATION's days are nominal and its time part exact (RFC 5545 §3.3.6).
pub(super) fn end_of(spec: EndSpec, spec_start: &Time, inst: Inst, floating: Zone) -> When {
    match inst {
        Inst::Date(d) => {
            let days = match spec {
                EndSpec::None => 1,
                EndSpec::End(t) => {
                    let end = t.wall();
                    let begin = spec_start.wall();
                    let mut days = (end.date() - begin.date()).num_days();
                    if end.time() > begin.time() {
                        days += 1;
                    }
                    days
                }
                EndSpec::Duration(dur) => {
                    dur.days + dur.secs.div_euclid(86_400) + i64::from(dur.secs.rem_euclid(86_400) > 0)
                }
            };
            When::Date(add_days(d, days.max(1)))
        }
        Inst::At(u, zone) => {
            let end = match spec {
                EndSpec::None => u,
                EndSpec::End(t) => {
                    let same_zone =
                        t.is_date() || spec_start.is_date() || t.zone(floating) == spec_start.zone(floating);
                    if same_zone {
                        // Both written in one zone: the difference of the written wall times.
                        let delta = t.wall() - spec_start.wall();
                        zone.to_utc(add_wall(zone.wall(u), delta))
                    } else {
                        add_utc(u, t.instant(floating) - spec_start.instant(floating))
                    }
                }
                EndSpec::Duration(dur) => {
                    let w = add_wall(zone.wall(u), TimeDelta::try_days(dur.days).unwrap_or_default());
                    add_utc(zone.to_utc(w), TimeDelta::try_seconds(dur.secs).unwrap_or_default())
                }
            };
            When::DateTime(end.max(u))
        }
    }
}

/// An upper bound of how long an instance of `ev` can last, in seconds.
pub(super) fn max_len(ev: &Event, floating: Zone) -> i64 {
    let base = match ev.end {
        EndSpec::None => 0,
        EndSpec::End(t) => (t.instant(floating) - ev.start.instant(floating)).num_seconds().abs(),
        EndSpec::Duration(d) => d.days.saturating_mul(90_000).abs().saturating_add(d.secs.abs()),
    };
    // Wall-clock lengths across DST changes; all-day rounding and zones for DATE events.
    let slack = if ev.start.is_date() { 2 * 86_400 } else { 3 * 3600 };
    base.saturating_add(slack)
}
