//! The time grammar: finds every time phrase in the token list and resolves it to a half-open
//! window in the zone of `now`. Each attempt looks at most a dozen tokens ahead, so finding
//! all phrases is linear in the number of tokens.
//!
//! Every instant is a local wall-clock time turned into an instant with
//! [`crate::time::local_to_utc`] (DST gap → forward, fold → earlier), so day windows run from
//! local midnight to local midnight and are 23 or 25 hours long on DST days. All date
//! arithmetic is checked: a phrase whose dates overflow simply does not match.
//!
//! # Layout
//! - this file: the types, `find`, token access, and the top of the grammar — a phrase with
//!   its preposition, ranges ("between A and B", "from A to B", "until X") and their endpoints,
//!   clock times (recognised, no window) and a part of the day after a day.
//! - `calendar`: date arithmetic and the windows of days, parts of days, weeks, months and
//!   years, rolling ("the next 3 days") and counted ("in 3 weeks").
//! - `relative`: words relative to today — today/tomorrow, this/next/last…, weekdays, "my
//!   week", "rest of"/"end of".
//! - `dates`: calendar dates ("December 3", "the 3rd", "May 2026").
//! - `numbers`: counts, units, day numbers and years.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use super::token::{Kind, Token};
use super::words::{self, Part};
use calendar::{add_days, before};

mod calendar;
mod dates;
mod numbers;
mod relative;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

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

/// The unit of a count ("3 days", "two weeks").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hour,
    Day,
    Week,
    Fortnight,
    Month,
}

/// The grammar over one question's tokens, relative to `now`; its rules are spread over this
/// module's files by concern (see the layout above).
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
}
