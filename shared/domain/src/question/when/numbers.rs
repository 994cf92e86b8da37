//! Numbers in time phrases: counts ("3", "three", "a couple of"), counts with a unit ("two
//! weeks"), days of the month ("3rd", "third") and years.

use super::{Grammar, Unit};
use crate::question::token::Kind;
use crate::question::words;

impl Grammar<'_> {
    /// A count: digits, "one".."thirty", "a"/"an" (1), "a couple (of)" (2), "a few" (3).
    pub(super) fn count(&self, i: usize) -> Option<(u32, usize)> {
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
    pub(super) fn count_unit(&self, i: usize) -> Option<(u32, Unit, usize)> {
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
    pub(super) fn day_number(&self, i: usize) -> Option<(u32, bool)> {
        let (n, ordinal) = match self.kind(i)? {
            Kind::Number(n) => (*n, false),
            Kind::Ordinal(n) => (*n, true),
            Kind::Word => (words::ordinal_word(self.w(i))?, true),
            _ => return None,
        };
        (1..=31).contains(&n).then_some((n, ordinal))
    }

    /// An optional year after a date: " 2026" or ", 2026".
    pub(super) fn year_at(&self, i: usize) -> (Option<i32>, usize) {
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
}
