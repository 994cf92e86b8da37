//! Time words relative to today: "today", "tomorrow", "the day after tomorrow", "this/next/last
//! week", "past 3 days", weekdays ("Friday", "next Tuesday", "Friday next week"), "my week",
//! "rest of the week", "end of the month".

use chrono::{Datelike, NaiveDate, Weekday};

use super::calendar::{add_days, add_months, before, first_of_month, in_week, monday, on_or_after, weekend};
use super::{Grammar, Hit, Span, Unit};
use crate::question::token::Kind;
use crate::question::words::{self, Part};

impl Grammar<'_> {
    pub(super) fn core(&self, i: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
        let today = self.today;
        let w = self.w(i);
        match w {
            "the" => return self.after_the(i + 1, lead, anchor),
            "today" => return self.day_hit(today, i + 1),
            "tonight" => return self.part_hit(today, Part::Night, i + 1),
            "tomorrow" | "tmrw" | "tmr" | "tomorow" => {
                return self.day_hit(add_days(today, 1)?, i + 1);
            }
            "yesterday" => return self.day_hit(add_days(today, -1)?, i + 1),
            "day" => {
                return match (self.w(i + 1), self.w(i + 2)) {
                    ("after", "tomorrow") => self.day_hit(add_days(today, 2)?, i + 3),
                    ("before", "yesterday") => self.day_hit(add_days(today, -2)?, i + 3),
                    _ => None,
                };
            }
            "later" if self.w(i + 1) == "today" => {
                return Some(Hit {
                    span: Some(Span { start: self.now, end: self.at(today, 24)? }),
                    end: i + 2,
                    day: None,
                });
            }
            // "what does my week look like", "how's my day": the current one.
            "my" | "our" if Part::from_word(self.w(i + 1)).is_some() => {
                return self.part_hit(today, Part::from_word(self.w(i + 1))?, i + 2);
            }
            "my" | "our" if matches!(self.w(i + 1), "week" | "weekend" | "month" | "day") && self.w(i + 2) != "off" => {
                return match self.w(i + 1) {
                    "day" => self.day_hit(today, i + 2),
                    "weekend" => self.days(add_days(monday(today)?, 5)?, 2).map(|s| weekend(s, i + 2)),
                    "week" => self.week_hit(monday(today)?, i + 2),
                    _ => self.month_hit(first_of_month(today)?, i + 2),
                };
            }
            "rest" => return self.rest_of(i + 1),
            "end" => return self.end_of(i + 1),
            "week" if self.w(i + 1) == "of" => {
                // "the week of December 7": the ISO week holding that day. No nesting
                // ("week of the week of …"), so the lookahead stays bounded.
                if self.w(i + 2) == "week" || (self.w(i + 2) == "the" && self.w(i + 3) == "week") {
                    return None;
                }
                let h = self.expr(i + 2, true, anchor)?;
                let d = h.span?.start.date_naive();
                return self.week_hit(monday(d)?, h.end);
            }
            "week" if self.w(i + 1) == "after" && self.w(i + 2) == "next" => {
                return self.week_hit(add_days(monday(today)?, 14)?, i + 3);
            }
            "weekend" if lead => {
                return self.days(add_days(monday(today)?, 5)?, 2).map(|s| weekend(s, i + 1));
            }
            "this" | "next" | "last" | "past" | "previous" | "coming" | "upcoming" | "following" => {
                if let Some(h) = self.relative(i, w, anchor) {
                    return Some(h);
                }
            }
            _ => {}
        }
        if let Some((wd, abbr)) = words::weekday(w)
            && (!abbr || lead)
        {
            return self.weekday_expr(i, wd, anchor);
        }
        if let Some(h) = self.date(i, lead, anchor, false) {
            return Some(h);
        }
        let (n, unit, k) = self.count_unit(i)?;
        match (self.w(k), self.w(k + 1)) {
            ("ago", _) => self.point(-i64::from(n), unit, k + 1),
            ("from", "now" | "today") => self.point(i64::from(n), unit, k + 2),
            _ => None,
        }
    }

    /// After "the": "the 3rd", "the day after tomorrow", "the next 3 days", "the weekend"…
    pub(super) fn after_the(&self, j: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
        if self.w(j) == "the" {
            return None;
        }
        // "the first meeting", "the last one": an ordinal word before a noun is no date.
        let noun_follows = words::ordinal_word(self.w(j)).is_some()
            && matches!(self.kind(j + 1), Some(Kind::Word))
            && words::month(self.w(j + 1)).is_none()
            && self.w(j + 1) != "of";
        if !noun_follows && let Some(h) = self.date(j, lead, anchor, true) {
            return Some(h);
        }
        self.core(j, lead, anchor)
    }

    /// this/next/last/past/coming … week, weekend, month, year, weekday, N days.
    pub(super) fn relative(&self, i: usize, w: &str, anchor: NaiveDate) -> Option<Hit> {
        let today = self.today;
        let forward = matches!(w, "next" | "coming" | "upcoming" | "following");
        let back = matches!(w, "last" | "past" | "previous");
        if (forward || back)
            && let Some((n, unit, end)) = self.count_unit(i + 1)
        {
            return Some(Hit { span: Some(self.rolling(n, unit, forward)?), end, day: None });
        }
        let (j, w) = if w == "this" && self.w(i + 1) == "coming" { (i + 2, "coming") } else { (i + 1, w) };
        let offset: i64 = match w {
            "this" => 0,
            "next" | "coming" | "upcoming" | "following" => 1,
            _ => -1,
        };
        let this_monday = monday(today)?;
        match self.w(j) {
            "week" => {
                if w == "past" {
                    return Some(Hit { span: Some(self.rolling(7, Unit::Day, false)?), end: j + 1, day: None });
                }
                let m = add_days(this_monday, 7 * offset)?;
                let h = self.week_hit(m, j + 1)?;
                // "next week Friday", "next week on Friday"
                let k = if self.w(j + 1) == "on" { j + 2 } else { j + 1 };
                if let Some((wd, abbr)) = words::weekday(self.w(k))
                    && (!abbr || k == j + 2)
                {
                    return self.day_hit(in_week(m, wd)?, k + 1);
                }
                Some(h)
            }
            "weekend" => {
                let sat = add_days(this_monday, 7 * offset + 5)?;
                self.days(sat, 2).map(|s| weekend(s, j + 1))
            }
            "month" => {
                if w == "past" {
                    return Some(Hit { span: Some(self.rolling(1, Unit::Month, false)?), end: j + 1, day: None });
                }
                self.month_hit(add_months(first_of_month(today)?, offset)?, j + 1)
            }
            "year" => {
                if w == "past" {
                    return Some(Hit { span: Some(self.rolling(12, Unit::Month, false)?), end: j + 1, day: None });
                }
                self.year_hit(today.year().checked_add(i32::try_from(offset).ok()?)?, j + 1)
            }
            "morning" | "afternoon" | "evening" | "night" if w == "this" => {
                self.part_hit(today, Part::from_word(self.w(j))?, j + 1)
            }
            "night" if w == "last" => self.part_hit(add_days(today, -1)?, Part::Night, j + 1),
            other => {
                let (wd, _) = words::weekday(other)?;
                let d = match w {
                    "this" | "coming" | "upcoming" => on_or_after(anchor, wd)?,
                    "next" | "following" => in_week(add_days(this_monday, 7)?, wd)?,
                    _ => before(today, wd)?,
                };
                self.day_hit(d, j + 1)
            }
        }
    }

    /// "Friday" (next Friday, today included), "Friday next week", "Friday, December 4".
    pub(super) fn weekday_expr(&self, i: usize, wd: Weekday, anchor: NaiveDate) -> Option<Hit> {
        let k = if self.punct(i + 1, ',') { i + 2 } else { i + 1 };
        let date =
            if self.w(k) == "the" { self.date(k + 1, true, anchor, true) } else { self.date(k, false, anchor, false) };
        if let Some(h) = date {
            return Some(h);
        }
        let k = if self.w(i + 1) == "of" { i + 2 } else { i + 1 };
        let offset = match (self.w(k), self.w(k + 1)) {
            ("this", "week") => Some(0),
            ("next", "week") => Some(1),
            ("last", "week") => Some(-1),
            _ => None,
        };
        if let Some(off) = offset {
            let m = add_days(monday(self.today)?, 7 * off)?;
            return self.day_hit(in_week(m, wd)?, k + 2);
        }
        self.day_hit(on_or_after(anchor, wd)?, i + 1)
    }

    /// "rest of the day/week/month/year": from now to the end of it.
    pub(super) fn rest_of(&self, j: usize) -> Option<Hit> {
        if self.w(j) != "of" {
            return None;
        }
        let k = if matches!(self.w(j + 1), "the" | "this") { j + 2 } else { j + 1 };
        let today = self.today;
        let end = match self.w(k) {
            "day" | "today" => self.at(today, 24)?,
            "week" => self.at(add_days(monday(today)?, 7)?, 0)?,
            "month" => self.at(add_months(first_of_month(today)?, 1)?, 0)?,
            "year" => self.at(NaiveDate::from_ymd_opt(today.year().checked_add(1)?, 1, 1)?, 0)?,
            _ => return None,
        };
        Some(Hit { span: Some(Span { start: self.now, end }), end: k + 1, day: None })
    }

    /// "end of the day" (now to midnight), "end of the week/month/year" (its last day), so
    /// that "until the end of the week" ends at next Monday's midnight.
    pub(super) fn end_of(&self, j: usize) -> Option<Hit> {
        if self.w(j) != "of" {
            return None;
        }
        let k = if matches!(self.w(j + 1), "the" | "this") { j + 2 } else { j + 1 };
        let today = self.today;
        let last = match self.w(k) {
            "day" | "today" => {
                return Some(Hit {
                    span: Some(Span { start: self.now, end: self.at(today, 24)? }),
                    end: k + 1,
                    day: None,
                });
            }
            "week" => add_days(monday(today)?, 6)?,
            "month" => add_days(add_months(first_of_month(today)?, 1)?, -1)?,
            "year" => NaiveDate::from_ymd_opt(today.year(), 12, 31)?,
            _ => return None,
        };
        self.day_hit(last, k + 1)
    }
}
