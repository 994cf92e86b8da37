//! Date arithmetic (all checked: an overflow is `None`, so the phrase does not match) and the
//! windows the grammar builds: days, parts of days, weeks, months, years, rolling and counted.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use chrono_tz::Tz;

use super::{Grammar, Hit, Span, Unit};
use crate::question::words::Part;
use crate::time::local_to_utc;

pub(super) fn add_days(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    if k >= 0 {
        d.checked_add_days(Days::new(k.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(k.unsigned_abs()))
    }
}

pub(super) fn add_months(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    let m = Months::new(u32::try_from(k.unsigned_abs()).ok()?);
    if k >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) }
}

/// Monday of `d`'s ISO week.
pub(super) fn monday(d: NaiveDate) -> Option<NaiveDate> {
    add_days(d, -i64::from(d.weekday().num_days_from_monday()))
}

/// The day of the week `wd` in the ISO week starting on `monday`.
pub(super) fn in_week(monday: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    add_days(monday, i64::from(wd.num_days_from_monday()))
}

/// The first `wd` on or after `from`.
pub(super) fn on_or_after(from: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    let diff = (7 + wd.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    add_days(from, i64::from(diff))
}

/// The last `wd` strictly before `from`.
pub(super) fn before(from: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    let diff = (7 + from.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    add_days(from, -i64::from(if diff == 0 { 7 } else { diff }))
}

pub(super) fn first_of_month(d: NaiveDate) -> Option<NaiveDate> {
    d.with_day(1)
}

pub(super) fn weekend(span: Span, end: usize) -> Hit {
    Hit { span: Some(span), end, day: None }
}

impl Grammar<'_> {
    /// A local wall-clock time as an instant in the zone (gap → forward, fold → earlier).
    pub(super) fn local(&self, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
        // Keep far from chrono's limits so the conversion cannot overflow.
        if !(-9_000..=9_000).contains(&naive.year()) {
            return None;
        }
        Some(local_to_utc(naive, self.tz).with_timezone(&self.tz))
    }

    /// Local hour `h` (0..=24, 24 = next midnight) of day `d`.
    pub(super) fn at(&self, d: NaiveDate, h: u32) -> Option<DateTime<Tz>> {
        if h >= 24 {
            return self.local(add_days(d, 1)?.and_hms_opt(0, 0, 0)?);
        }
        self.local(d.and_hms_opt(h, 0, 0)?)
    }

    /// `n` whole local days from `from`.
    pub(super) fn days(&self, from: NaiveDate, n: i64) -> Option<Span> {
        Some(Span { start: self.at(from, 0)?, end: self.at(add_days(from, n)?, 0)? })
    }

    pub(super) fn day_hit(&self, d: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.days(d, 1)?), end, day: Some(d) })
    }

    pub(super) fn part_span(&self, d: NaiveDate, part: Part) -> Option<Span> {
        let (from, to) = part.hours();
        Some(Span { start: self.at(d, from)?, end: self.at(d, to)? })
    }

    pub(super) fn part_hit(&self, d: NaiveDate, part: Part, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.part_span(d, part)?), end, day: None })
    }

    pub(super) fn week_hit(&self, monday: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.days(monday, 7)?), end, day: None })
    }

    pub(super) fn month_hit(&self, first: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit {
            span: Some(Span { start: self.at(first, 0)?, end: self.at(add_months(first, 1)?, 0)? }),
            end,
            day: None,
        })
    }

    pub(super) fn year_hit(&self, year: i32, end: usize) -> Option<Hit> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
        Some(Hit {
            span: Some(Span { start: self.at(first, 0)?, end: self.at(add_months(first, 12)?, 0)? }),
            end,
            day: None,
        })
    }

    /// `[now, now + n units)` or `[now - n units, now)`; days, weeks and months keep the
    /// local wall-clock time, hours are exact.
    pub(super) fn rolling(&self, n: u32, unit: Unit, forward: bool) -> Option<Span> {
        let sign = if forward { 1 } else { -1 };
        let naive = self.now.naive_local();
        let other = match unit {
            Unit::Hour => self.now.checked_add_signed(TimeDelta::try_hours(sign * i64::from(n))?)?,
            Unit::Day => self.local(naive.checked_add_signed(TimeDelta::try_days(sign * i64::from(n))?)?)?,
            Unit::Week => self.local(naive.checked_add_signed(TimeDelta::try_days(sign * 7 * i64::from(n))?)?)?,
            Unit::Fortnight => self.local(naive.checked_add_signed(TimeDelta::try_days(sign * 14 * i64::from(n))?)?)?,
            Unit::Month => {
                let m = Months::new(n);
                self.local(if forward { naive.checked_add_months(m)? } else { naive.checked_sub_months(m)? })?
            }
        };
        Some(if forward { Span { start: self.now, end: other } } else { Span { start: other, end: self.now } })
    }

    /// The whole day, ISO week or month `k` units from today ("in 3 days", "2 weeks ago").
    pub(super) fn point(&self, k: i64, unit: Unit, end: usize) -> Option<Hit> {
        match unit {
            Unit::Hour => Some(Hit { span: None, end, day: None }),
            Unit::Day => self.day_hit(add_days(self.today, k)?, end),
            Unit::Week => self.week_hit(monday(add_days(self.today, k.checked_mul(7)?)?)?, end),
            Unit::Fortnight => self.week_hit(monday(add_days(self.today, k.checked_mul(14)?)?)?, end),
            Unit::Month => self.month_hit(first_of_month(add_months(self.today, k)?)?, end),
        }
    }
}
