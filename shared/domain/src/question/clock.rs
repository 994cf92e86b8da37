//! Clock times: "at 3pm", "at 15:00", "at noon", "3:30 pm", "from 2 to 4pm", "between 1 and 3",
//! "2-4pm", "at 10 for an hour".
//!
//! A bare number is a clock time only after "at", "around", "from", "between", "until"/"till"/
//! "to" (inside a range), or before "o'clock". Without am/pm, 1–6 are afternoon hours (people
//! rarely meet at 4 in the morning), 7–11 morning, 12 noon; "15:00" and "09:00" are 24-hour. In a
//! range the start takes the end's am/pm when that keeps it before the end ("from 11 to 1pm" is
//! 11:00–13:00). Only the first clock phrase counts; a following "for N minutes/an hour" gives its
//! length. Each attempt looks a few tokens ahead, so the scan is linear.

use super::avail::duration_at;
use super::token::{Kind, Token, word};

/// A clock phrase: tokens `[first, end)`, its start and optional end in minutes after local
/// midnight (an end of 1440 is midnight at the end of the day), and a stated length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Clock {
    pub first: usize,
    pub end: usize,
    pub start_minutes: u32,
    pub end_minutes: Option<u32>,
    pub duration_minutes: Option<u32>,
}

/// One clock value as read: minutes, whether am/pm (or 24-hour form) fixed it, and the token after it.
#[derive(Debug, Clone, Copy)]
struct Value {
    hour: u32,
    minute: u32,
    /// `Some(true)` pm, `Some(false)` am, `None` not said.
    pm: Option<bool>,
    /// 24-hour form ("15:00", "09:30"), noon or midnight: no am/pm guess.
    fixed: bool,
    next: usize,
}

impl Value {
    fn minutes(self, pm: Option<bool>) -> u32 {
        let h = match (pm.or(self.pm), self.fixed) {
            (_, true) => self.hour,
            (Some(true), _) => self.hour % 12 + 12,
            (Some(false), _) => self.hour % 12,
            (None, _) if (1..=6).contains(&self.hour) => self.hour + 12,
            (None, _) => self.hour,
        };
        h * 60 + self.minute
    }
}

fn meridiem(w: &str) -> Option<bool> {
    match w {
        "pm" | "p.m" | "p" => Some(true),
        "am" | "a.m" | "a" => Some(false),
        _ => None,
    }
}

/// "3", "3:30", "15:00", "3pm", "3:30pm" as (hour, minute, pm, fixed).
fn parse_text(s: &str) -> Option<(u32, u32, Option<bool>, bool)> {
    let (core, pm) = ["pm", "p.m", "am", "a.m"]
        .iter()
        .find_map(|m| s.strip_suffix(m).map(|c| (c, meridiem(m))))
        .unwrap_or((s, None));
    let (h, m) = core.split_once(':').unwrap_or((core, "00"));
    let digits = |x: &str, max: usize| !x.is_empty() && x.len() <= max && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return None;
    }
    let (hour, minute): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let ok = match pm {
        Some(_) => (1..=12).contains(&hour),
        None => hour <= 24,
    } && minute < 60
        && !(hour == 24 && minute > 0);
    let fixed = pm.is_none() && (hour == 0 || hour >= 13 || h.starts_with('0'));
    ok.then_some((hour, minute, pm, fixed))
}

/// A clock value at `i`; a bare number only when `bare` allows it.
fn value(t: &[Token], i: usize, bare: bool) -> Option<Value> {
    let after = |k: usize| -> (Option<bool>, usize) {
        match meridiem(word(t, k)) {
            Some(pm) => {
                let k = k + 1;
                // "p.m." leaves a trailing "." token.
                let k = if t.get(k).is_some_and(|x| x.kind == Kind::Punct('.')) { k + 1 } else { k };
                (Some(pm), k)
            }
            None => (None, k),
        }
    };
    let tok = t.get(i)?;
    let v = |(hour, minute, pm, fixed): (u32, u32, Option<bool>, bool), next: usize| Value {
        hour,
        minute,
        pm,
        fixed,
        next,
    };
    match &tok.kind {
        Kind::Clock => {
            let parsed = parse_text(&tok.lower)?;
            if parsed.2.is_some() {
                return Some(v(parsed, i + 1));
            }
            let (pm, next) = after(i + 1);
            Some(v((parsed.0, parsed.1, pm, parsed.3 && pm.is_none()), next))
        }
        Kind::Number(n) if *n <= 24 => {
            let (pm, next) = after(i + 1);
            if let Some(pm) = pm {
                return (1..=12).contains(n).then_some(v((*n, 0, Some(pm), false), next));
            }
            if word(t, i + 1) == "o'clock" {
                return (1..=12).contains(n).then_some(v((*n, 0, None, false), i + 2));
            }
            bare.then_some(v((*n, 0, None, *n == 0 || *n >= 13), i + 1))
        }
        Kind::Word => match tok.lower.as_str() {
            "noon" | "midday" => Some(v((12, 0, None, true), i + 1)),
            "midnight" => Some(v((0, 0, None, true), i + 1)),
            _ => None,
        },
        _ => None,
    }
}

fn range_word(t: &[Token], i: usize) -> bool {
    matches!(word(t, i), "to" | "until" | "till" | "til" | "through" | "thru")
        || t.get(i).is_some_and(|x| matches!(x.kind, Kind::Punct('-' | '–' | '—')))
}

/// "2-4pm", "10-11:30", "9:30-10:30am" written as one word.
fn compact_range(t: &[Token], i: usize) -> Option<Clock> {
    let tok = t.get(i).filter(|x| x.kind == Kind::Word)?;
    let (a, b) = tok.lower.split_once('-')?;
    let (bh, bm, bpm, bfixed) = parse_text(b)?;
    let (ah, am, apm, afixed) = parse_text(a)?;
    let b = Value { hour: bh, minute: bm, pm: bpm, fixed: bfixed, next: i + 1 };
    let a = Value { hour: ah, minute: am, pm: apm, fixed: afixed, next: i + 1 };
    let (start, end) = span(a, b);
    Some(Clock { first: i, end: i + 1, start_minutes: start, end_minutes: Some(end), duration_minutes: None })
}

/// Minutes of a range's ends: the start takes the end's am/pm when that keeps it earlier.
fn span(a: Value, b: Value) -> (u32, u32) {
    let mut end = b.minutes(None);
    if end == 0 {
        end = 24 * 60;
    }
    let start = if a.pm.is_none() && !a.fixed && b.pm.is_some() {
        let same = a.minutes(b.pm);
        if same < end { same } else { a.minutes(Some(false)) }
    } else {
        a.minutes(None)
    };
    (start, end)
}

/// A clock phrase starting at `i`, without its trailing length.
fn phrase_at(t: &[Token], i: usize) -> Option<Clock> {
    let w = word(t, i);
    let point = |first: usize, v: Value| Clock {
        first,
        end: v.next,
        start_minutes: v.minutes(None),
        end_minutes: None,
        duration_minutes: None,
    };
    let range = |first: usize, a: Value, lead_bare: bool| -> Option<Clock> {
        let sep = a.next;
        let joins = range_word(t, sep) || (lead_bare && word(t, sep) == "and");
        if !joins {
            return None;
        }
        let b = value(t, sep + 1, true)?;
        let (start, end) = span(a, b);
        (end > start).then_some(Clock {
            first,
            end: b.next,
            start_minutes: start,
            end_minutes: Some(end),
            duration_minutes: None,
        })
    };
    match w {
        "from" | "between" => {
            let a = value(t, i + 1, true)?;
            // "between 2 and 4", "from 2 to 4pm"; a lone start is a point.
            return range(i, a, w == "between").or_else(|| (w == "from").then(|| point(i, a)));
        }
        "at" | "@" | "around" | "about" | "by" => {
            if let Some(c) = compact_range(t, i + 1) {
                return Some(Clock { first: i, ..c });
            }
            let a = value(t, i + 1, w != "about")?;
            return range(i, a, false).or_else(|| Some(point(i, a)));
        }
        _ => {}
    }
    if let Some(c) = compact_range(t, i) {
        return Some(c);
    }
    let a = value(t, i, false)?;
    range(i, a, false).or_else(|| Some(point(i, a)))
}

/// The first clock phrase among tokens that no window-setting time phrase holds (`blocked`),
/// with its length when "for …" follows it.
pub(super) fn find(t: &[Token], blocked: &[bool]) -> Option<Clock> {
    let free = |i: usize| !blocked.get(i).copied().unwrap_or(true);
    (0..t.len()).filter(|&i| free(i)).find_map(|i| {
        let mut c = phrase_at(t, i)?;
        if !(c.first..c.end).all(free) {
            return None;
        }
        if word(t, c.end) == "for"
            && let Some((minutes, end)) = duration_at(t, c.end + 1)
            && (1..=24 * 60).contains(&minutes)
        {
            c.duration_minutes = Some(minutes);
            c.end = end;
        }
        Some(c)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::question::token::tokenize;

    fn clock(q: &str) -> Option<(u32, Option<u32>, Option<u32>)> {
        let t = tokenize(q);
        find(&t, &vec![false; t.len()]).map(|c| (c.start_minutes, c.end_minutes, c.duration_minutes))
    }

    #[test]
    fn clock_forms() {
        let h = |h: u32, m: u32| h * 60 + m;
        assert_eq!(clock("am I free at 3pm"), Some((h(15, 0), None, None)));
        assert_eq!(clock("am I free at 3 pm"), Some((h(15, 0), None, None)));
        assert_eq!(clock("anything at 15:00"), Some((h(15, 0), None, None)));
        assert_eq!(clock("anything at 3"), Some((h(15, 0), None, None)));
        assert_eq!(clock("at 10 for an hour"), Some((h(10, 0), None, Some(60))));
        assert_eq!(clock("at 9:30am"), Some((h(9, 30), None, None)));
        assert_eq!(clock("at 09:00"), Some((h(9, 0), None, None)));
        assert_eq!(clock("at noon"), Some((h(12, 0), None, None)));
        assert_eq!(clock("lunch at midday"), Some((h(12, 0), None, None)));
        assert_eq!(clock("from 2 to 4pm"), Some((h(14, 0), Some(h(16, 0)), None)));
        assert_eq!(clock("from 11 to 1pm"), Some((h(11, 0), Some(h(13, 0)), None)));
        assert_eq!(clock("between 1 and 3"), Some((h(13, 0), Some(h(15, 0)), None)));
        assert_eq!(clock("2-4pm tomorrow"), Some((h(14, 0), Some(h(16, 0)), None)));
        assert_eq!(clock("3pm - 4:30pm"), Some((h(15, 0), Some(h(16, 30)), None)));
        assert_eq!(clock("at 7 o'clock"), Some((h(7, 0), None, None)));
        assert_eq!(clock("is 4pm ok for 30 minutes"), Some((h(16, 0), None, None)));
        assert_eq!(clock("at 3pm for 45 minutes"), Some((h(15, 0), None, Some(45))));
        assert_eq!(clock("at 12am"), Some((0, None, None)));
        assert_eq!(clock("at 12pm"), Some((h(12, 0), None, None)));
        // Not clock times.
        assert_eq!(clock("meetings in the next 3 days"), None);
        assert_eq!(clock("with 3 people"), None);
        assert_eq!(clock("at 25"), None);
        assert_eq!(clock("at 13pm"), None);
        assert_eq!(clock("1:1 with Sarah"), None);
    }
}
