//! The time grammar: finds every time phrase in the token list and resolves it to a half-open
//! window in the zone of `now`. Each attempt looks at most a dozen tokens ahead, so finding
//! all phrases is linear in the number of tokens.
//!
//! Every instant is a local wall-clock time turned into an instant with
//! [`crate::time::local_to_utc`] (DST gap → forward, fold → earlier), so day windows run from
//! local midnight to local midnight and are 23 or 25 hours long on DST days. All date
//! arithmetic is checked: a phrase whose dates overflow simply does not match.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveDateTime, TimeDelta, Weekday};
use chrono_tz::Tz;

use super::token::{Kind, Token};
use super::words::{self, Part};
use crate::time::local_to_utc;

/// A resolved window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Span {
    /// Inclusive start.
    pub start: DateTime<Tz>,
    /// Exclusive end.
    pub end: DateTime<Tz>,
}

/// One time phrase: tokens `[first, end)`, and its window when it sets one (clock times such
/// as "at 3pm" and open-ended phrases such as "after Friday" are recognised but set none).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Phrase {
    /// Index of its first token.
    pub first: usize,
    /// Index just past its last token.
    pub end: usize,
    /// The window it denotes, if any.
    pub span: Option<Span>,
}

/// Finds all time phrases, left to right, longest match first, without overlaps.
pub(super) fn find(tokens: &[Token], now: DateTime<Tz>) -> Vec<Phrase> {
    let g = Grammar { t: tokens, now, tz: now.timezone(), today: now.date_naive() };
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match g.phrase(i) {
            Some((end, span)) if end > i => {
                out.push(Phrase { first: i, end, span });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// A matched time expression: its window (none for clock times), the token after it, and the
/// day it names when it names exactly one (so "morning"/"afternoon" can narrow it).
#[derive(Debug, Clone, Copy)]
struct Hit {
    span: Option<Span>,
    end: usize,
    day: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Week,
    Fortnight,
    Month,
}

struct Grammar<'a> {
    t: &'a [Token],
    now: DateTime<Tz>,
    tz: Tz,
    today: NaiveDate,
}

/// The smallest window covering both (a range "between A and B" is inclusive of B).
fn hull(a: Option<Span>, b: Option<Span>) -> Option<Span> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Span { start: a.start.min(b.start), end: a.end.max(b.end) }),
        (a, None) => a,
        (None, b) => b,
    }
}

fn add_days(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    if k >= 0 {
        d.checked_add_days(Days::new(k.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(k.unsigned_abs()))
    }
}

fn add_months(d: NaiveDate, k: i64) -> Option<NaiveDate> {
    let m = Months::new(u32::try_from(k.unsigned_abs()).ok()?);
    if k >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) }
}

/// Monday of `d`'s ISO week.
fn monday(d: NaiveDate) -> Option<NaiveDate> {
    add_days(d, -i64::from(d.weekday().num_days_from_monday()))
}

/// The day of the week `wd` in the ISO week starting on `monday`.
fn in_week(monday: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    add_days(monday, i64::from(wd.num_days_from_monday()))
}

/// The first `wd` on or after `from`.
fn on_or_after(from: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    let diff = (7 + wd.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    add_days(from, i64::from(diff))
}

/// The last `wd` strictly before `from`.
fn before(from: NaiveDate, wd: Weekday) -> Option<NaiveDate> {
    let diff = (7 + from.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    add_days(from, -i64::from(if diff == 0 { 7 } else { diff }))
}

fn first_of_month(d: NaiveDate) -> Option<NaiveDate> {
    d.with_day(1)
}

impl Grammar<'_> {
    // ---- token access -------------------------------------------------------------------

    /// The lower-case text of word `i`, or "" for anything else (so matches simply fail).
    fn w(&self, i: usize) -> &str {
        match self.t.get(i) {
            Some(t) if t.kind == Kind::Word => &t.lower,
            _ => "",
        }
    }

    fn kind(&self, i: usize) -> Option<&Kind> {
        self.t.get(i).map(|t| &t.kind)
    }

    fn punct(&self, i: usize, c: char) -> bool {
        self.kind(i) == Some(&Kind::Punct(c))
    }

    fn is_dash(&self, i: usize) -> bool {
        self.punct(i, '-') || self.punct(i, '–') || self.punct(i, '—')
    }

    // ---- instants -----------------------------------------------------------------------

    /// A local wall-clock time as an instant in the zone (gap → forward, fold → earlier).
    fn local(&self, naive: NaiveDateTime) -> Option<DateTime<Tz>> {
        // Keep far from chrono's limits so the conversion cannot overflow.
        if !(-9_000..=9_000).contains(&naive.year()) {
            return None;
        }
        Some(local_to_utc(naive, self.tz).with_timezone(&self.tz))
    }

    /// Local hour `h` (0..=24, 24 = next midnight) of day `d`.
    fn at(&self, d: NaiveDate, h: u32) -> Option<DateTime<Tz>> {
        if h >= 24 {
            return self.local(add_days(d, 1)?.and_hms_opt(0, 0, 0)?);
        }
        self.local(d.and_hms_opt(h, 0, 0)?)
    }

    /// `n` whole local days from `from`.
    fn days(&self, from: NaiveDate, n: i64) -> Option<Span> {
        Some(Span { start: self.at(from, 0)?, end: self.at(add_days(from, n)?, 0)? })
    }

    fn day_hit(&self, d: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.days(d, 1)?), end, day: Some(d) })
    }

    fn part_span(&self, d: NaiveDate, part: Part) -> Option<Span> {
        let (from, to) = part.hours();
        Some(Span { start: self.at(d, from)?, end: self.at(d, to)? })
    }

    fn part_hit(&self, d: NaiveDate, part: Part, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.part_span(d, part)?), end, day: None })
    }

    fn week_hit(&self, monday: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit { span: Some(self.days(monday, 7)?), end, day: None })
    }

    fn month_hit(&self, first: NaiveDate, end: usize) -> Option<Hit> {
        Some(Hit {
            span: Some(Span { start: self.at(first, 0)?, end: self.at(add_months(first, 1)?, 0)? }),
            end,
            day: None,
        })
    }

    fn year_hit(&self, year: i32, end: usize) -> Option<Hit> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
        Some(Hit {
            span: Some(Span { start: self.at(first, 0)?, end: self.at(add_months(first, 12)?, 0)? }),
            end,
            day: None,
        })
    }

    /// `[now, now + n units)` or `[now - n units, now)`; days, weeks and months keep the
    /// local wall-clock time, hours are exact.
    fn rolling(&self, n: u32, unit: Unit, forward: bool) -> Option<Span> {
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
    fn point(&self, k: i64, unit: Unit, end: usize) -> Option<Hit> {
        match unit {
            Unit::Hour => Some(Hit { span: None, end, day: None }),
            Unit::Day => self.day_hit(add_days(self.today, k)?, end),
            Unit::Week => self.week_hit(monday(add_days(self.today, k.checked_mul(7)?)?)?, end),
            Unit::Fortnight => self.week_hit(monday(add_days(self.today, k.checked_mul(14)?)?)?, end),
            Unit::Month => self.month_hit(first_of_month(add_months(self.today, k)?)?, end),
        }
    }

    // ---- numbers ------------------------------------------------------------------------

    /// A count: digits, "one".."thirty", "a"/"an" (1), "a couple (of)" (2), "a few" (3).
    fn count(&self, i: usize) -> Option<(u32, usize)> {
        if let Some(Kind::Number(n)) = self.kind(i) {
            return Some((*n, i + 1));
        }
        let skip_of = |k: usize| if self.w(k) == "of" { k + 1 } else { k };
        match self.w(i) {
            "a" | "an" => match self.w(i + 1) {
                "couple" => Some((2, skip_of(i + 2))),
                "few" => Some((3, i + 2)),
                _ => Some((1, i + 1)),
            },
            "couple" => Some((2, skip_of(i + 1))),
            "few" => Some((3, i + 1)),
            "twenty" => match words::number_word(self.w(i + 1)).filter(|u| *u < 10) {
                Some(u) => Some((20 + u, i + 2)),
                None => Some((20, i + 1)),
            },
            w => words::number_word(w).map(|n| (n, i + 1)),
        }
    }

    /// A count followed by a unit ("3 days", "two weeks", "a fortnight"); 1..=10 000.
    fn count_unit(&self, i: usize) -> Option<(u32, Unit, usize)> {
        let (n, k) = self.count(i)?;
        let unit = match self.w(k) {
            "hour" | "hours" => Unit::Hour,
            "day" | "days" => Unit::Day,
            "week" | "weeks" => Unit::Week,
            "fortnight" | "fortnights" => Unit::Fortnight,
            "month" | "months" => Unit::Month,
            _ => return None,
        };
        (1..=10_000).contains(&n).then_some((n, unit, k + 1))
    }

    /// A day of the month: `3`, `3rd`, `third` (1..=31).
    fn day_number(&self, i: usize) -> Option<(u32, bool)> {
        let (n, ordinal) = match self.kind(i)? {
            Kind::Number(n) => (*n, false),
            Kind::Ordinal(n) => (*n, true),
            Kind::Word => (words::ordinal_word(self.w(i))?, true),
            _ => return None,
        };
        (1..=31).contains(&n).then_some((n, ordinal))
    }

    /// An optional year after a date: " 2026" or ", 2026".
    fn year_at(&self, i: usize) -> (Option<i32>, usize) {
        let year = |k: usize| match self.kind(k) {
            Some(Kind::Number(y)) if (1000..=9999).contains(y) => i32::try_from(*y).ok(),
            _ => None,
        };
        if let Some(y) = year(i) {
            return (Some(y), i + 1);
        }
        if self.punct(i, ',')
            && let Some(y) = year(i + 1)
        {
            return (Some(y), i + 2);
        }
        (None, i)
    }

    // ---- phrases ------------------------------------------------------------------------

    /// A time phrase starting at token `i`: its end and window.
    fn phrase(&self, i: usize) -> Option<(usize, Option<Span>)> {
        let today = self.today;
        let w = self.w(i);
        if matches!(w, "between" | "from") && self.w(i + 1) == "now" {
            // "between now and Friday", "from now until Friday": now to the end of B.
            let sep = self.w(i + 2);
            let ok = match w {
                "between" => sep == "and" || self.punct(i + 2, '&'),
                _ => matches!(sep, "to" | "until" | "till" | "through" | "thru") || self.is_dash(i + 2),
            };
            let b = self.endpoint(i + 3, true, today).filter(|_| ok)?;
            let now = self.now;
            let span = b.span.map(|s| if s.end > now { Span { start: now, end: s.end } } else { s });
            return Some((b.end, span));
        }
        match w {
            "between" => {
                let a = self.endpoint(i + 1, true, today)?;
                if (self.w(a.end) == "and" || self.punct(a.end, '&') || self.is_dash(a.end))
                    && let Some(b) = self.endpoint(a.end + 1, true, self.anchor_after(&a))
                {
                    return Some((b.end, hull(a.span, b.span)));
                }
                return Some((a.end, a.span));
            }
            "from" => {
                let a = self.endpoint(i + 1, true, today)?;
                return Some(self.range_tail(a));
            }
            "until" | "till" | "til" | "through" | "thru" | "by" | "before" | "since" | "after" | "up" => {
                let (k, word) = match w {
                    "up" if matches!(self.w(i + 1), "to" | "until" | "till") => (i + 2, "until"),
                    "up" => return None,
                    _ => (i + 1, w),
                };
                let x = self.endpoint(k, true, today)?;
                let now = self.now;
                let span = x.span.and_then(|s| match word {
                    "before" => (s.start > now).then_some(Span { start: now, end: s.start }),
                    "since" => {
                        // "since Monday" means the Monday before, not the next one.
                        let start = match words::weekday(self.w(k)) {
                            Some((wd, _)) if s.start > now => self.at(before(add_days(today, 1)?, wd)?, 0)?,
                            _ => s.start,
                        };
                        (start < now).then_some(Span { start, end: now })
                    }
                    "after" => None,
                    _ if s.end > now => Some(Span { start: now, end: s.end }),
                    _ => Some(s),
                });
                return Some((x.end, span));
            }
            "in" => {
                if let Some((n, unit, end)) = self.count_unit(i + 1) {
                    let h = self.point(i64::from(n), unit, end)?;
                    return Some((h.end, h.span));
                }
            }
            "within" => {
                if let Some((n, unit, end)) = self.count_unit(i + 1) {
                    return Some((end, self.rolling(n, unit, true)));
                }
            }
            "at" => {
                if let Some(Kind::Number(n)) = self.kind(i + 1)
                    && *n <= 24
                {
                    let end = self.filler(i + 1).map_or(i + 2, |h| h.end);
                    return Some((end, None));
                }
            }
            _ => {}
        }
        if matches!(w, "on" | "in" | "for" | "during" | "over" | "throughout" | "within" | "at" | "of") {
            let h = self.endpoint(i + 1, true, today)?;
            return Some(self.range_tail(h));
        }
        let h = self.endpoint(i, false, today)?;
        Some(self.range_tail(h))
    }

    /// After a first endpoint: "… to/until/through/– B" makes a range inclusive of B.
    fn range_tail(&self, a: Hit) -> (usize, Option<Span>) {
        if (matches!(self.w(a.end), "to" | "until" | "till" | "through" | "thru") || self.is_dash(a.end))
            && let Some(b) = self.endpoint(a.end + 1, true, self.anchor_after(&a))
        {
            return (b.end, hull(a.span, b.span));
        }
        (a.end, a.span)
    }

    /// Where the second endpoint of a range looks from: "between Wednesday and Monday"
    /// means the Monday after that Wednesday.
    fn anchor_after(&self, a: &Hit) -> NaiveDate {
        a.span.map(|s| s.start.date_naive()).filter(|d| *d > self.today).unwrap_or(self.today)
    }

    /// A time expression or a clock time.
    fn endpoint(&self, i: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
        self.expr(i, lead, anchor).or_else(|| self.filler(i))
    }

    /// Clock times are recognised (so they are not read as names or topic) but set no window.
    fn filler(&self, i: usize) -> Option<Hit> {
        let meridiem = |k: usize| matches!(self.w(k), "am" | "pm" | "a.m" | "p.m" | "o'clock");
        let end = match self.kind(i)? {
            Kind::Clock => {
                if meridiem(i + 1) {
                    i + 2
                } else {
                    i + 1
                }
            }
            Kind::Number(n) if *n <= 24 && meridiem(i + 1) => i + 2,
            Kind::Word if matches!(self.w(i), "noon" | "midday" | "midnight") => i + 1,
            _ => return None,
        };
        let end = if self.punct(end, '.') && matches!(self.w(end - 1), "a.m" | "p.m") { end + 1 } else { end };
        Some(Hit { span: None, end, day: None })
    }

    /// A time expression, narrowed by a following part of the day when it names one day.
    fn expr(&self, i: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
        let h = self.core(i, lead, anchor)?;
        let Some(d) = h.day else { return Some(h) };
        let k = h.end;
        let (part, end) = if let Some(p) = Part::from_word(self.w(k)) {
            (p, k + 1)
        } else if self.w(k) == "in" && self.w(k + 1) == "the" && Part::from_word(self.w(k + 2)).is_some() {
            (Part::from_word(self.w(k + 2))?, k + 3)
        } else if self.w(k) == "at" && self.w(k + 1) == "night" {
            (Part::Night, k + 2)
        } else {
            return Some(h);
        };
        Some(self.part_hit(d, part, end).unwrap_or(h))
    }

    fn core(&self, i: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
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
    fn after_the(&self, j: usize, lead: bool, anchor: NaiveDate) -> Option<Hit> {
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
    fn relative(&self, i: usize, w: &str, anchor: NaiveDate) -> Option<Hit> {
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
    fn weekday_expr(&self, i: usize, wd: Weekday, anchor: NaiveDate) -> Option<Hit> {
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

    /// Calendar dates: `2026-12-03`, "December 3(rd)(, 2026)", "3(rd) (of) December",
    /// "December 2026", "(in) December"; with `ordinal_alone`, "3rd"/"third" = the next such
    /// day of a month.
    fn date(&self, i: usize, lead: bool, anchor: NaiveDate, ordinal_alone: bool) -> Option<Hit> {
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
    fn next_month_day(&self, month: u32, day: u32, from: NaiveDate) -> Option<NaiveDate> {
        (0..=8).filter_map(|k| NaiveDate::from_ymd_opt(from.year().checked_add(k)?, month, day)).find(|d| *d >= from)
    }

    /// The next day numbered `day` on or after `from`.
    fn next_day_of_month(&self, day: u32, from: NaiveDate) -> Option<NaiveDate> {
        let first = first_of_month(from)?;
        (0..13).filter_map(|k| add_months(first, k)?.with_day(day)).find(|d| *d >= from)
    }

    /// "rest of the day/week/month/year": from now to the end of it.
    fn rest_of(&self, j: usize) -> Option<Hit> {
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
    fn end_of(&self, j: usize) -> Option<Hit> {
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

fn weekend(span: Span, end: usize) -> Hit {
    Hit { span: Some(span), end, day: None }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::question::token::tokenize;
    use chrono::TimeZone;

    /// Friday 2026-11-27 10:00 in Berlin.
    fn now() -> DateTime<Tz> {
        chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap()
    }

    /// The single window the phrase sets, as "start/end" in RFC 3339, plus the phrase tokens.
    fn win_at(q: &str, now: DateTime<Tz>) -> String {
        let toks = tokenize(q);
        let found = find(&toks, now);
        let Some(p) = found.iter().find(|p| p.span.is_some()) else {
            return "none".into();
        };
        let s = p.span.unwrap();
        let phrase = &q[toks[p.first].start..toks[p.end - 1].end];
        format!("{} {}/{}", phrase, s.start.to_rfc3339(), s.end.to_rfc3339())
    }

    fn win(q: &str) -> String {
        win_at(q, now())
    }

    #[test]
    fn days() {
        assert_eq!(win("today"), "today 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(win("tomorrow"), "tomorrow 2026-11-28T00:00:00+01:00/2026-11-29T00:00:00+01:00");
        assert_eq!(win("yesterday"), "yesterday 2026-11-26T00:00:00+01:00/2026-11-27T00:00:00+01:00");
        assert_eq!(win("tonight"), "tonight 2026-11-27T18:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(
            win("the day after tomorrow"),
            "the day after tomorrow 2026-11-29T00:00:00+01:00/2026-11-30T00:00:00+01:00"
        );
        assert_eq!(win("Today's"), "Today's 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
    }

    #[test]
    fn parts_of_day() {
        assert_eq!(win("this morning"), "this morning 2026-11-27T09:00:00+01:00/2026-11-27T12:00:00+01:00");
        assert_eq!(win("this afternoon"), "this afternoon 2026-11-27T12:00:00+01:00/2026-11-27T17:00:00+01:00");
        assert_eq!(win("this evening"), "this evening 2026-11-27T17:00:00+01:00/2026-11-27T21:00:00+01:00");
        assert_eq!(win("tomorrow morning"), "tomorrow morning 2026-11-28T09:00:00+01:00/2026-11-28T12:00:00+01:00");
        assert_eq!(win("last night"), "last night 2026-11-26T18:00:00+01:00/2026-11-27T00:00:00+01:00");
        assert_eq!(
            win("on Monday afternoon"),
            "on Monday afternoon 2026-11-30T12:00:00+01:00/2026-11-30T17:00:00+01:00"
        );
        assert_eq!(
            win("tomorrow in the evening"),
            "tomorrow in the evening 2026-11-28T17:00:00+01:00/2026-11-28T21:00:00+01:00"
        );
    }

    #[test]
    fn weeks_and_weekends() {
        assert_eq!(win("this week"), "this week 2026-11-23T00:00:00+01:00/2026-11-30T00:00:00+01:00");
        assert_eq!(win("next week"), "next week 2026-11-30T00:00:00+01:00/2026-12-07T00:00:00+01:00");
        assert_eq!(win("last week"), "last week 2026-11-16T00:00:00+01:00/2026-11-23T00:00:00+01:00");
        assert_eq!(win("this weekend"), "this weekend 2026-11-28T00:00:00+01:00/2026-11-30T00:00:00+01:00");
        assert_eq!(win("next weekend"), "next weekend 2026-12-05T00:00:00+01:00/2026-12-07T00:00:00+01:00");
        assert_eq!(win("over the weekend"), "over the weekend 2026-11-28T00:00:00+01:00/2026-11-30T00:00:00+01:00");
        assert_eq!(
            win("the week after next"),
            "the week after next 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00"
        );
        assert_eq!(win("rest of the week"), "rest of the week 2026-11-27T10:00:00+01:00/2026-11-30T00:00:00+01:00");
    }

    #[test]
    fn months_and_years() {
        assert_eq!(win("this month"), "this month 2026-11-01T00:00:00+01:00/2026-12-01T00:00:00+01:00");
        assert_eq!(win("next month"), "next month 2026-12-01T00:00:00+01:00/2027-01-01T00:00:00+01:00");
        assert_eq!(win("last month"), "last month 2026-10-01T00:00:00+02:00/2026-11-01T00:00:00+01:00");
        assert_eq!(win("in December"), "in December 2026-12-01T00:00:00+01:00/2027-01-01T00:00:00+01:00");
        assert_eq!(win("in March"), "in March 2027-03-01T00:00:00+01:00/2027-04-01T00:00:00+02:00");
        assert_eq!(win("May 2026"), "May 2026 2026-05-01T00:00:00+02:00/2026-06-01T00:00:00+02:00");
        assert_eq!(win("next year"), "next year 2027-01-01T00:00:00+01:00/2028-01-01T00:00:00+01:00");
        // A bare month name without "in" is not a time word ("May I …").
        assert_eq!(win("May I see"), "none");
    }

    #[test]
    fn weekdays() {
        // Today is Friday: "Friday" is today; "next Friday" is in next week.
        assert_eq!(win("Friday"), "Friday 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(win("on friday"), "on friday 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(win("next Friday"), "next Friday 2026-12-04T00:00:00+01:00/2026-12-05T00:00:00+01:00");
        assert_eq!(win("Thursday"), "Thursday 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(win("next Tuesday"), "next Tuesday 2026-12-01T00:00:00+01:00/2026-12-02T00:00:00+01:00");
        assert_eq!(win("last Monday"), "last Monday 2026-11-23T00:00:00+01:00/2026-11-24T00:00:00+01:00");
        assert_eq!(win("last Friday"), "last Friday 2026-11-20T00:00:00+01:00/2026-11-21T00:00:00+01:00");
        assert_eq!(win("Friday next week"), "Friday next week 2026-12-04T00:00:00+01:00/2026-12-05T00:00:00+01:00");
        assert_eq!(
            win("next week on Wednesday"),
            "next week on Wednesday 2026-12-02T00:00:00+01:00/2026-12-03T00:00:00+01:00"
        );
        assert_eq!(win("on Tue"), "on Tue 2026-12-01T00:00:00+01:00/2026-12-02T00:00:00+01:00");
        // An abbreviation alone is not a time word ("I sat with Tom").
        assert_eq!(win("sat"), "none");
    }

    #[test]
    fn counts() {
        assert_eq!(win("in the next 3 days"), "in the next 3 days 2026-11-27T10:00:00+01:00/2026-11-30T10:00:00+01:00");
        assert_eq!(win("next five days"), "next five days 2026-11-27T10:00:00+01:00/2026-12-02T10:00:00+01:00");
        assert_eq!(
            win("the coming twenty-one days"),
            "the coming twenty-one days 2026-11-27T10:00:00+01:00/2026-12-18T10:00:00+01:00"
        );
        assert_eq!(
            win("over the next two weeks"),
            "over the next two weeks 2026-11-27T10:00:00+01:00/2026-12-11T10:00:00+01:00"
        );
        assert_eq!(win("in 2 weeks"), "in 2 weeks 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00");
        assert_eq!(win("in three days"), "in three days 2026-11-30T00:00:00+01:00/2026-12-01T00:00:00+01:00");
        assert_eq!(win("2 days ago"), "2 days ago 2026-11-25T00:00:00+01:00/2026-11-26T00:00:00+01:00");
        assert_eq!(win("the past 2 days"), "the past 2 days 2026-11-25T10:00:00+01:00/2026-11-27T10:00:00+01:00");
        assert_eq!(win("next 0 days"), "none");
        assert_eq!(win("next 99999999999 days"), "none");
    }

    #[test]
    fn dates() {
        assert_eq!(win("2026-12-03"), "2026-12-03 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(win("December 3"), "December 3 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(win("on Dec 3rd"), "on Dec 3rd 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(win("3 December"), "3 December 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(
            win("the third of December"),
            "the third of December 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00"
        );
        // Passed this year → next year; today counts as not passed.
        assert_eq!(win("March 3"), "March 3 2027-03-03T00:00:00+01:00/2027-03-04T00:00:00+01:00");
        assert_eq!(win("Nov 27"), "Nov 27 2026-11-27T00:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(win("December 3, 2027"), "December 3, 2027 2027-12-03T00:00:00+01:00/2027-12-04T00:00:00+01:00");
        assert_eq!(win("Feb 29"), "Feb 29 2028-02-29T00:00:00+01:00/2028-03-01T00:00:00+01:00");
        assert_eq!(win("February 30"), "none");
        assert_eq!(win("on the 3rd"), "on the 3rd 2026-12-03T00:00:00+01:00/2026-12-04T00:00:00+01:00");
        assert_eq!(
            win("Thursday, December 10"),
            "Thursday, December 10 2026-12-10T00:00:00+01:00/2026-12-11T00:00:00+01:00"
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(
            win("between Dec 3 and Dec 5"),
            "between Dec 3 and Dec 5 2026-12-03T00:00:00+01:00/2026-12-06T00:00:00+01:00"
        );
        assert_eq!(
            win("from Monday to Wednesday"),
            "from Monday to Wednesday 2026-11-30T00:00:00+01:00/2026-12-03T00:00:00+01:00"
        );
        // The second endpoint is looked up from the first: Wednesday, then the Monday after.
        assert_eq!(
            win("between Wednesday and Monday"),
            "between Wednesday and Monday 2026-12-02T00:00:00+01:00/2026-12-08T00:00:00+01:00"
        );
        assert_eq!(win("until Friday"), "until Friday 2026-11-27T10:00:00+01:00/2026-11-28T00:00:00+01:00");
        assert_eq!(win("until next Tuesday"), "until next Tuesday 2026-11-27T10:00:00+01:00/2026-12-02T00:00:00+01:00");
        assert_eq!(win("since Monday"), "since Monday 2026-11-23T00:00:00+01:00/2026-11-27T10:00:00+01:00");
        assert_eq!(
            win("by the end of the month"),
            "by the end of the month 2026-11-27T10:00:00+01:00/2026-12-01T00:00:00+01:00"
        );
        assert_eq!(win("after Friday"), "none");
        assert_eq!(
            win("between now and Tuesday"),
            "between now and Tuesday 2026-11-27T10:00:00+01:00/2026-12-02T00:00:00+01:00"
        );
        assert_eq!(
            win("the week of December 9"),
            "the week of December 9 2026-12-07T00:00:00+01:00/2026-12-14T00:00:00+01:00"
        );
    }

    #[test]
    fn clock_times_are_recognised_but_set_no_window() {
        let toks = tokenize("at 3pm at 15:00 at 3 p.m. at noon");
        let found = find(&toks, now());
        assert_eq!(found.len(), 4);
        assert!(found.iter().all(|p| p.span.is_none()));
        assert_eq!(found.last().unwrap().end, toks.len());
        assert_eq!(win("tomorrow at 3pm"), "tomorrow 2026-11-28T00:00:00+01:00/2026-11-29T00:00:00+01:00");
    }

    #[test]
    fn dst_days_are_local_midnight_to_local_midnight() {
        let berlin = chrono_tz::Europe::Berlin;
        let before_spring = berlin.with_ymd_and_hms(2026, 3, 28, 10, 0, 0).unwrap();
        assert_eq!(win_at("tomorrow", before_spring), "tomorrow 2026-03-29T00:00:00+01:00/2026-03-30T00:00:00+02:00");
        let before_autumn = berlin.with_ymd_and_hms(2026, 10, 24, 10, 0, 0).unwrap();
        assert_eq!(win_at("tomorrow", before_autumn), "tomorrow 2026-10-25T00:00:00+02:00/2026-10-26T00:00:00+01:00");
        assert_eq!(
            win_at("next 2 days", before_autumn),
            "next 2 days 2026-10-24T10:00:00+02:00/2026-10-26T10:00:00+01:00"
        );
        // Where midnight itself is skipped (São Paulo, 2018), the day starts at 01:00.
        let sp = chrono_tz::America::Sao_Paulo.with_ymd_and_hms(2018, 11, 3, 12, 0, 0).unwrap();
        assert_eq!(win_at("tomorrow", sp), "tomorrow 2018-11-04T01:00:00-02:00/2018-11-05T00:00:00-02:00");
    }

    #[test]
    fn sunday_belongs_to_the_week_that_started_on_monday() {
        let sunday = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        assert_eq!(win_at("this week", sunday), "this week 2026-11-23T00:00:00-05:00/2026-11-30T00:00:00-05:00");
        assert_eq!(win_at("this weekend", sunday), "this weekend 2026-11-28T00:00:00-05:00/2026-11-30T00:00:00-05:00");
        assert_eq!(win_at("Sunday", sunday), "Sunday 2026-11-29T00:00:00-05:00/2026-11-30T00:00:00-05:00");
    }
}
