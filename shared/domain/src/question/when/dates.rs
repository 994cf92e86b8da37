//! Calendar dates: `2026-12-03`, "December 3(rd)(, 2026)", "3(rd) (of) December", "December
//! 2026", "(in) December", "the 3rd".

use chrono::{Datelike, NaiveDate};

use super::calendar::{add_months, first_of_month};
use super::{Grammar, Hit};
use crate::question::token::Kind;
use crate::question::words;

impl Grammar<'_> {
    /// Calendar dates: `2026-12-03`, "December 3(rd)(, 2026)", "3(rd) (of) December",
    /// "December 2026", "(in) December"; with `ordinal_alone`, "3rd"/"third" = the next such
    /// day of a month.
    pub(super) fn date(&self, i: usize, lead: bool, anchor: NaiveDate, ordinal_alone: bool) -> Option<Hit> {
        if let Some(Kind::Date(d)) = self.kind(i) {
            return self.day_hit(*d, i + 1);
        }
        let on = |m: u32, d: u32, year: Option<i32>| match year {
            Some(y) => NaiveDate::from_ymd_opt(y, m, d),
            None => self.next_month_day(m, d, anchor),
        };
        if let Some((m, _)) = words::month(self.w(i)) {
            let k = if self.punct(i + 1, '.') { i + 2 } else { i + 1 };
            let kd = if self.w(k) == "the" { k + 1 } else { k };
            if let Some((d, _)) = self.day_number(kd) {
                let (year, end) = self.year_at(kd + 1);
                return self.day_hit(on(m, d, year)?, end);
            }
            if let (Some(y), end) = self.year_at(k) {
                return self.month_hit(NaiveDate::from_ymd_opt(y, m, 1)?, end);
            }
            if lead {
                let y = if m >= anchor.month() { anchor.year() } else { anchor.year().checked_add(1)? };
                return self.month_hit(NaiveDate::from_ymd_opt(y, m, 1)?, k);
            }
            return None;
        }
        let (d, ordinal) = self.day_number(i)?;
        let k = if self.w(i + 1) == "of" { i + 2 } else { i + 1 };
        if let Some((m, _)) = words::month(self.w(k)) {
            let e = if self.punct(k + 1, '.') { k + 2 } else { k + 1 };
            let (year, end) = self.year_at(e);
            return self.day_hit(on(m, d, year)?, end);
        }
        if ordinal_alone && ordinal {
            return self.day_hit(self.next_day_of_month(d, anchor)?, i + 1);
        }
        None
    }

    /// The next `month`-`day` on or after `from` (this year unless passed; Feb 29 looks
    /// up to eight years ahead).
    pub(super) fn next_month_day(&self, month: u32, day: u32, from: NaiveDate) -> Option<NaiveDate> {
        (0..=8).filter_map(|k| NaiveDate::from_ymd_opt(from.year().checked_add(k)?, month, day)).find(|d| *d >= from)
    }

    /// The next day numbered `day` on or after `from`.
    pub(super) fn next_day_of_month(&self, day: u32, from: NaiveDate) -> Option<NaiveDate> {
        let first = first_of_month(from)?;
        (0..13).filter_map(|k| add_months(first, k)?.with_day(day)).find(|d| *d >= from)
    }
}
