//! Reading the usual iCalendar text without calcard's tokenizer, and as calcard reads it.
//!
//! calcard's parse costs most of a large calendar's reading: its tokenizer goes byte by byte
//! and every property becomes owned strings and vectors, most of which Kenny never looks at. This
//! reader splits the text into content lines itself, finds the calendars, their VTIMEZONEs and
//! their VEVENTs, and reads an event's properties as follows:
//! - properties Kenny never uses are passed over unread;
//! - the common ones (DTSTART, DTEND, SUMMARY, ATTENDEE, …) written plainly — one physical line,
//!   simple parameters — are read here, with calcard's own date and keyword parsers and its
//!   unescaping rules;
//! - every other line is given to calcard alone, wrapped in a VEVENT of its own, and its entry
//!   read as before: a content line's reading does not depend on its neighbours.
//!
//! A VTIMEZONE is read (by calcard) only when a TZID needs it, i.e. is not an IANA name.
//!
//! Texts of an unusual shape are left to calcard whole, as before: no VCALENDAR, bare VEVENTs,
//! anything but blank lines between calendars, a BEGIN/END line that is not plain, a property
//! name with other characters than letters, digits and `-`, an unterminated or mismatched
//! component, a VTIMEZONE not directly in a VCALENDAR, a line that may be quoted-printable.
//! The tests check that both readings give the same result on the corpora and on mutated texts.

use std::borrow::Cow;

use calcard::common::IanaParse;
use calcard::icalendar::{ICalendar, ICalendarProperty};

use super::Limits;
use super::parse::{Parsed, calendar_property};
use super::rule_text;
use super::tz::{TzResolver, Zone};
use super::vevent::{Ctx, Fields, Scope};

#[path = "fast_plain.rs"]
mod plain;

use plain::{Plain, read_plain, unescape};

/// One content line: its physical lines (folds included) without the final line break.
#[derive(Debug, Clone, Copy)]
struct Line<'t> {
    text: &'t str,
    /// Where it starts in the whole text.
    start: usize,
    /// It continues on folded lines.
    folded: bool,
}

impl<'t> Line<'t> {
    /// The line without its carriage return.
    fn body(&self) -> &'t str {
        self.text.strip_suffix('\r').unwrap_or(self.text)
    }

    /// The property its first `name_len` bytes name, if calcard knows it.
    fn property(&self, name_len: usize) -> Option<ICalendarProperty> {
        ICalendarProperty::parse(&self.text.as_bytes()[..name_len])
    }

    /// The length of the property name (letters, digits and `-`).
    fn name_len(&self) -> usize {
        self.text.bytes().position(|c| !(c.is_ascii_alphanumeric() || c == b'-')).unwrap_or(self.text.len())
    }
}

/// The content lines of a text, as calcard splits them: at every line feed not followed by a
/// space or tab.
struct Lines<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Iterator for Lines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        if start >= bytes.len() {
            return None;
        }
        let mut from = start;
        let mut folded = false;
        loop {
            match bytes[from..].iter().position(|&b| b == b'\n') {
                None => {
                    self.pos = bytes.len();
                    return Some(Line { text: &self.text[start..], start, folded });
                }
                Some(i) if matches!(bytes.get(from + i + 1), Some(b' ' | b'\t')) => {
                    folded = true;
                    from += i + 2;
                }
                Some(i) => {
                    self.pos = from + i + 1;
                    return Some(Line { text: &self.text[start..from + i], start, folded });
                }
            }
        }
    }
}

/// What a content line is, for the structure.
enum Kind<'t> {
    /// Nothing but whitespace: calcard skips it.
    Blank,
    Begin(&'t str),
    End(&'t str),
    Property,
}

/// The kind of a line; `None` when the line is not of the plain shape this reader keeps to.
fn kind<'t>(line: &Line<'t>) -> Option<Kind<'t>> {
    let body = line.body();
    if !line.folded && body.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Some(Kind::Blank);
    }
    let n = line.name_len();
    if n == 0 || !matches!(body.as_bytes().get(n), Some(b':' | b';')) {
        return None;
    }
    let name = &body[..n];
    let structural = name.eq_ignore_ascii_case("BEGIN") || name.eq_ignore_ascii_case("END");
    if !structural {
        // Quoted-printable values continue past a line ending in `=`.
        let may_continue = body.trim_end_matches('\r').ends_with('=');
        if may_continue && body.to_ascii_lowercase().contains("encoding") {
            return None;
        }
        return Some(Kind::Property);
    }
    let value = &body[n + 1..];
    let plain = !line.folded
        && body.as_bytes()[n] == b':'
        && !value.is_empty()
        && value.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
    if !plain {
        return None;
    }
    Some(if name.len() == 5 { Kind::Begin(value) } else { Kind::End(value) })
}

/// One VCALENDAR as found: the lines of its VEVENTs, its VTIMEZONE texts and the
/// `X-WR-CALNAME` / `X-WR-TIMEZONE` lines of its own.
#[derive(Default)]
struct Calendar<'t> {
    own: Vec<Line<'t>>,
    zones: Vec<&'t str>,
    /// Ranges of [`Found::lines`].
    events: Vec<std::ops::Range<usize>>,
}

/// The calendars of a text, and their events' own lines (not those of nested components).
struct Found<'t> {
    calendars: Vec<Calendar<'t>>,
    lines: Vec<Line<'t>>,
}

/// Finds the calendars of `text`; `None` when its shape is unusual (calcard then reads it whole).
fn find(text: &str) -> Option<Found<'_>> {
    let mut found = Found { calendars: Vec::new(), lines: Vec::with_capacity(text.len() / 40) };
    let mut lines = Lines { text, pos: 0 };
    while let Some(line) = lines.next() {
        match kind(&line)? {
            Kind::Blank => {}
            Kind::Begin(t) if t.eq_ignore_ascii_case("VCALENDAR") => {
                let cal = calendar(text, &mut lines, &mut found.lines)?;
                found.calendars.push(cal);
            }
            _ => return None,
        }
    }
    (!found.calendars.is_empty()).then_some(found)
}

fn calendar<'t>(text: &'t str, lines: &mut Lines<'t>, events: &mut Vec<Line<'t>>) -> Option<Calendar<'t>> {
    let mut cal = Calendar::default();
    loop {
        let line = lines.next()?;
        match kind(&line)? {
            Kind::Blank => {}
            Kind::Property => {
                let name = &line.text[..line.name_len()];
                if name.eq_ignore_ascii_case("X-WR-CALNAME") || name.eq_ignore_ascii_case("X-WR-TIMEZONE") {
                    cal.own.push(line);
                }
            }
            Kind::End(t) => return t.eq_ignore_ascii_case("VCALENDAR").then_some(cal),
            Kind::Begin(t) if t.eq_ignore_ascii_case("VEVENT") => {
                let first = events.len();
                event_lines(lines, events)?;
                cal.events.push(first..events.len());
            }
            Kind::Begin(t) if t.eq_ignore_ascii_case("VTIMEZONE") => {
                let end = skip(lines, t)?;
                cal.zones.push(&text[line.start..end]);
            }
            Kind::Begin(t) => {
                skip(lines, t)?;
            }
        }
    }
}

/// A VEVENT's own lines, up to its END.
fn event_lines<'t>(lines: &mut Lines<'t>, out: &mut Vec<Line<'t>>) -> Option<()> {
    loop {
        let line = lines.next()?;
        match kind(&line)? {
            Kind::Blank => {}
            Kind::Property => out.push(line),
            Kind::End(t) => return t.eq_ignore_ascii_case("VEVENT").then_some(()),
            Kind::Begin(t) if t.eq_ignore_ascii_case("VTIMEZONE") => return None,
            Kind::Begin(t) => {
                skip(lines, t)?;
            }
        }
    }
}

/// Passes over a component (its BEGIN read) and the ones nested in it; returns where its END
/// line ends. calcard's reader takes every VTIMEZONE, however deep: one nested is unusual.
fn skip(lines: &mut Lines<'_>, component: &str) -> Option<usize> {
    let mut open = vec![component];
    for line in lines.by_ref() {
        match kind(&line)? {
            Kind::Begin(t) if t.eq_ignore_ascii_case("VTIMEZONE") => return None,
            Kind::Begin(t) => open.push(t),
            Kind::End(t) => {
                if !open.pop().is_some_and(|o| o.eq_ignore_ascii_case(t)) {
                    return None;
                }
                if open.is_empty() {
                    return Some(line.start + line.text.len());
                }
            }
            Kind::Blank | Kind::Property => {}
        }
    }
    None
}

/// Reads `text` (RRULE intervals already marked) into `out`; `false` when its shape is unusual
/// and calcard must read it whole (`out` untouched).
pub(super) fn parse(text: &str, limits: &Limits, out: &mut Parsed) -> bool {
    let Some(found) = find(text) else { return false };
    let mut ctx = Ctx::new(limits);
    for cal in &found.calendars {
        let own = (!cal.own.is_empty()).then(|| alone("VCALENDAR", cal.own.iter().map(|l| l.text))).flatten();
        if out.name.is_none() {
            out.name = own.as_ref().and_then(|c| calendar_property(c, "X-WR-CALNAME")).map(str::to_string);
        }
        read_calendar(&mut ctx, cal, own.as_ref(), &found.lines);
    }
    out.skipped.extend(ctx.skipped);
    out.warnings = ctx.warnings;
    out.series = super::parse::group(ctx.events);
    true
}

/// calcard's reading of some content lines, in a component of their own. Each line keeps its
/// own ending (a line's carriage return is part of its text): a value ending in a backslash
/// reads differently before CRLF and before LF.
fn alone<'l>(component: &str, lines: impl Iterator<Item = &'l str>) -> Option<ICalendar> {
    let mut text = format!("BEGIN:{component}\r\n");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("END:");
    text.push_str(component);
    text.push_str("\r\n");
    match calcard::Parser::new(&text).entry() {
        calcard::Entry::ICalendar(cal) => Some(cal),
        _ => None,
    }
}

/// One calendar's events, as [`Ctx::read_calendar`] reads them.
fn read_calendar(ctx: &mut Ctx<'_>, cal: &Calendar<'_>, own: Option<&ICalendar>, lines: &[Line<'_>]) {
    let mut tz = TzResolver::default();
    for zone in &cal.zones {
        match zone_id(zone) {
            Some(Some(tzid)) => tz.add_unread(tzid, zone),
            Some(None) => {}
            None => {
                if let calcard::Entry::ICalendar(c) = calcard::Parser::new(zone).entry()
                    && let Some(vtz) = c.components.first().and_then(|v| super::tz::read_vtimezone(v, &c.components))
                {
                    tz.add_vtimezone(vtz);
                }
            }
        }
    }
    let wr = own.and_then(|c| calendar_property(c, "X-WR-TIMEZONE")).and_then(|id| {
        let z = tz.resolve_plain(id);
        if z.is_none() {
            ctx.warn_tz(None, id);
        }
        z
    });
    for range in &cal.events {
        if ctx.events.len() >= ctx.limits.max_events {
            ctx.report_too_many();
            return;
        }
        let order = ctx.events.len() + ctx.skipped.len();
        match read_event(ctx, &lines[range.clone()], &mut tz, wr, order) {
            Ok(ev) => ctx.events.push(ev),
            Err((uid, err)) => super::parse::report(&mut ctx.skipped, uid.as_deref(), err),
        }
    }
}

/// A VTIMEZONE's TZID as calcard would read it (the last TZID line's text, trimmed):
/// `Some(None)` when it has none, `None` when a TZID line is not plain.
fn zone_id(zone: &str) -> Option<Option<String>> {
    let mut depth = 0usize;
    let mut tzid = None;
    for line in (Lines { text: zone, pos: 0 }) {
        match kind(&line)? {
            Kind::Begin(_) => depth += 1,
            Kind::End(_) => depth = depth.saturating_sub(1),
            Kind::Blank => {}
            Kind::Property if depth == 1 => {
                let n = line.name_len();
                if line.property(n) == Some(ICalendarProperty::Tzid) {
                    let plain = Plain::of(&line, n)?;
                    if plain.params.any {
                        return None;
                    }
                    if !plain.value.is_empty() {
                        tzid = Some(unescape(plain.value)?.trim().to_string());
                    }
                }
            }
            Kind::Property => {}
        }
    }
    Some(tzid.filter(|t| !t.is_empty()))
}

fn read_event(
    ctx: &mut Ctx<'_>,
    lines: &[Line<'_>],
    tz: &mut TzResolver,
    wr: Option<Zone>,
    order: usize,
) -> Result<super::parse::Event, (Option<String>, super::IcalError)> {
    let uid = uid_of(lines);
    let mut fields = Fields::default();
    let mut at = Scope { tz, wr, uid: uid.as_deref() };
    for line in lines {
        read_line(ctx, &mut fields, line, &mut at);
    }
    ctx.finish_event(fields, uid, order)
}

/// The UID as calcard's `uid()` reads it (the first UID property's first value), trimmed.
fn uid_of(lines: &[Line<'_>]) -> Option<String> {
    for line in lines {
        let n = line.name_len();
        if line.property(n) != Some(ICalendarProperty::Uid) {
            continue;
        }
        let text: Option<Cow<'_, str>> = match Plain::of(line, n) {
            Some(p) if p.params.value_type.is_none() => {
                if p.value.is_empty() {
                    None
                } else {
                    match unescape(p.value) {
                        Some(v) => Some(v),
                        None => return uid_alone(line),
                    }
                }
            }
            _ => return uid_alone(line),
        };
        return text.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string);
    }
    None
}

fn uid_alone(line: &Line<'_>) -> Option<String> {
    let cal = alone("VEVENT", std::iter::once(line.text))?;
    cal.components.first()?.uid().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string)
}

/// Reads one of an event's lines into `f`: here when plain, else by calcard alone.
fn read_line(ctx: &mut Ctx<'_>, f: &mut Fields, line: &Line<'_>, at: &mut Scope<'_>) {
    let n = line.name_len();
    let read_here = match line.property(n) {
        Some(
            p @ (ICalendarProperty::Dtstart
            | ICalendarProperty::Dtend
            | ICalendarProperty::Dtstamp
            | ICalendarProperty::LastModified
            | ICalendarProperty::RecurrenceId
            | ICalendarProperty::Exdate
            | ICalendarProperty::Summary
            | ICalendarProperty::Description
            | ICalendarProperty::Location
            | ICalendarProperty::Status
            | ICalendarProperty::Transp
            | ICalendarProperty::Sequence
            | ICalendarProperty::Organizer
            | ICalendarProperty::Attendee),
        ) => Plain::of(line, n).is_some_and(|plain| read_plain(ctx, f, &p, &plain, at)),
        Some(ICalendarProperty::Duration | ICalendarProperty::Rrule | ICalendarProperty::Rdate) => false,
        None if line.text[..n].eq_ignore_ascii_case(rule_text::REFUSED_RRULE) => false,
        // Not used by Kenny.
        _ => return,
    };
    if !read_here && let Some(cal) = alone("VEVENT", std::iter::once(line.text)) {
        for entry in cal.components.iter().take(1).flat_map(|c| &c.entries) {
            ctx.read_property(f, entry, at);
        }
    }
}

/// Both readings of a text, for the tests: this one (when it takes the text) and calcard's.
#[cfg(test)]
pub(super) fn both(text: &str, limits: &Limits) -> (Option<Parsed>, Parsed) {
    let marked = rule_text::mark_bad_intervals(text);
    let mut fast = Parsed::default();
    let took = parse(&marked, limits, &mut fast);
    (took.then_some(fast), super::parse::parse_with_calcard(text, limits))
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
