//! A content line written plainly — one physical line, simple parameters — read without
//! calcard's tokenizer: its parameters, its value unescaped, and the common properties Kenny
//! uses, with calcard's own date and keyword parsers.

use std::borrow::Cow;
use std::sync::Arc;

use calcard::common::{IanaParse, IanaString, PartialDateTime};
use calcard::icalendar::{
    ICalendarParameterName, ICalendarParticipationStatus, ICalendarProperty, ICalendarStatus, ICalendarTransparency,
    ICalendarValueType,
};

use super::Line;
use crate::ical::Attendee;
use crate::ical::vevent::{Ctx, Fields, Scope, attendee_from, sequence_from, status_from, transparent_from};

/// The parameters Kenny reads, from a plain parameter list.
#[derive(Default)]
pub(super) struct Params<'t> {
    pub(super) tzid: Option<&'t str>,
    pub(super) cn: Option<&'t str>,
    pub(super) partstat: Option<&'t str>,
    /// VALUE (the last one, as calcard keeps it).
    pub(super) value_type: Option<&'t str>,
    /// RANGE, ENCODING or BASE64, which change how the property reads: left to calcard.
    pub(super) special: bool,
    /// There are parameters.
    pub(super) any: bool,
}

/// A content line of one physical line with plain parameters (`;NAME=value` or
/// `;NAME="value"`, without backslashes or control characters) and its raw value.
pub(super) struct Plain<'t> {
    pub(super) params: Params<'t>,
    pub(super) value: &'t str,
}

impl<'t> Plain<'t> {
    pub(super) fn of(line: &Line<'t>, name_len: usize) -> Option<Plain<'t>> {
        if line.folded {
            return None;
        }
        let body = line.body();
        if body.contains('\r') {
            return None;
        }
        let b = body.as_bytes();
        let mut params = Params::default();
        let mut i = name_len;
        while b.get(i) == Some(&b';') {
            params.any = true;
            let name_start = i + 1;
            let name_end = name_start
                + b[name_start..].iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'-')).unwrap_or(0);
            if name_end == name_start || b.get(name_end) != Some(&b'=') {
                return None;
            }
            let (value, next) = if b.get(name_end + 1) == Some(&b'"') {
                let from = name_end + 2;
                let len = b[from..].iter().position(|&c| c == b'"')?;
                (&body[from..from + len], from + len + 1)
            } else {
                let from = name_end + 1;
                let len =
                    b[from..].iter().position(|&c| matches!(c, b';' | b':' | b',' | b'"')).unwrap_or(b.len() - from);
                (&body[from..from + len], from + len)
            };
            let clean = |c: u8| c >= 0x20 && c != 0x7f && c != b'\\';
            let edges = |s: &str| s.starts_with(' ') || s.ends_with(' ');
            if value.is_empty() || !value.bytes().all(clean) || (b[name_end + 1] != b'"' && edges(value)) {
                return None;
            }
            if !matches!(b.get(next), Some(b';' | b':')) {
                return None;
            }
            let name = &b[name_start..name_end];
            match ICalendarParameterName::try_parse(name) {
                Some(ICalendarParameterName::Tzid) => params.tzid = params.tzid.or(Some(value)),
                Some(ICalendarParameterName::Cn) => params.cn = params.cn.or(Some(value)),
                Some(ICalendarParameterName::Partstat) => params.partstat = params.partstat.or(Some(value)),
                Some(ICalendarParameterName::Value) => params.value_type = Some(value),
                Some(ICalendarParameterName::Range) => params.special = true,
                Some(_) => {}
                None => {
                    if name.eq_ignore_ascii_case(b"encoding") || name.eq_ignore_ascii_case(b"base64") {
                        params.special = true;
                    }
                }
            }
            i = next;
        }
        if b.get(i) != Some(&b':') || params.special {
            return None;
        }
        Some(Plain { params, value: &body[i + 1..] })
    }
}

/// A single value as calcard's tokenizer gives it: backslash escapes resolved (`\n`/`\N` a line
/// feed, `\r`/`\R` a carriage return, any other character itself); `None` for a backslash
/// before a tab or at the end, which calcard reads in ways of its own.
pub(super) fn unescape(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('\\') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(c) = bytes.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        out.push(match bytes.next()? {
            b'\t' => return None,
            b'n' | b'N' => b'\n',
            b'r' | b'R' => b'\r',
            other => other,
        });
    }
    Some(Cow::Owned(String::from_utf8(out).ok()?))
}

/// Reads a plain line of a property Kenny uses into `f`, as [`Ctx::read_property`] reads
/// calcard's entry; `false` when the value is of a kind left to calcard.
pub(super) fn read_plain(
    ctx: &mut Ctx<'_>,
    f: &mut Fields,
    p: &ICalendarProperty,
    line: &Plain<'_>,
    at: &mut Scope<'_>,
) -> bool {
    match p {
        ICalendarProperty::Dtstart
        | ICalendarProperty::Dtend
        | ICalendarProperty::Dtstamp
        | ICalendarProperty::LastModified
        | ICalendarProperty::RecurrenceId => read_time(ctx, f, p, line, at),
        ICalendarProperty::Exdate => read_exdates(ctx, f, line, at),
        ICalendarProperty::Summary | ICalendarProperty::Description | ICalendarProperty::Location => {
            read_text(f, p, line)
        }
        ICalendarProperty::Status | ICalendarProperty::Transp | ICalendarProperty::Sequence => read_token(f, p, line),
        ICalendarProperty::Organizer | ICalendarProperty::Attendee => read_person(ctx, f, p, line),
        _ => false,
    }
}

/// DTSTART, DTEND, DTSTAMP, LAST-MODIFIED or RECURRENCE-ID: one date or date-time.
fn read_time(ctx: &mut Ctx<'_>, f: &mut Fields, p: &ICalendarProperty, line: &Plain<'_>, at: &mut Scope<'_>) -> bool {
    let (value, params) = (line.value, &line.params);
    let Some(date_only) = date_only(params.value_type) else { return false };
    if value.contains('\\') {
        return false;
    }
    // An empty value is no value; one calcard cannot read is text, not a time.
    let t = if value.is_empty() {
        None
    } else {
        timestamp(value, date_only).and_then(|pdt| ctx.time_in(&pdt, params.tzid, at))
    };
    match p {
        ICalendarProperty::Dtstart => {
            f.start = t;
            f.start_bad = t.is_none();
        }
        ICalendarProperty::Dtend => {
            if t.is_some() {
                f.dtend = t;
            }
        }
        ICalendarProperty::Dtstamp => f.dtstamp = t,
        ICalendarProperty::LastModified => f.last_modified = t,
        _ => {
            f.recurrence_id = t;
            f.this_and_future = false;
        }
    }
    true
}

/// EXDATE: plain values (no spaces, escapes or empty ones), split at commas as calcard splits
/// them, at most the per-event limit of values.
fn read_exdates(ctx: &mut Ctx<'_>, f: &mut Fields, line: &Plain<'_>, at: &mut Scope<'_>) -> bool {
    let (value, params) = (line.value, &line.params);
    let Some(mut date_only) = date_only(params.value_type) else { return false };
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric());
    if !value.split(',').all(plain) {
        return false;
    }
    for v in value.split(',') {
        f.values_seen += 1;
        if f.values_seen > ctx.limits.max_values_per_event {
            f.values_dropped = true;
            break;
        }
        let Some(pdt) = timestamp(v, date_only) else { continue };
        // calcard reads the values after a DATE as DATEs.
        date_only |= !pdt.has_time();
        if let Some(t) = ctx.time_in(&pdt, params.tzid, at) {
            f.exdates.push(t);
        }
    }
    true
}

/// SUMMARY, DESCRIPTION or LOCATION: text, unescaped.
fn read_text(f: &mut Fields, p: &ICalendarProperty, line: &Plain<'_>) -> bool {
    if line.params.value_type.is_some() {
        return false;
    }
    let text = if line.value.is_empty() {
        None
    } else {
        match unescape(line.value) {
            Some(t) => Some(Arc::<str>::from(t.as_ref())),
            None => return false,
        }
    };
    match p {
        ICalendarProperty::Summary => f.summary = text,
        ICalendarProperty::Description => f.description = text,
        _ => f.location = text,
    }
    true
}

/// STATUS, TRANSP or SEQUENCE: one keyword or number (none when empty).
fn read_token(f: &mut Fields, p: &ICalendarProperty, line: &Plain<'_>) -> bool {
    if line.params.value_type.is_some() {
        return false;
    }
    let Some(token) = (!line.value.is_empty()).then(|| unescape(line.value)) else {
        // No value.
        match p {
            ICalendarProperty::Status => f.status = None,
            ICalendarProperty::Transp => f.transparent = false,
            _ => f.sequence = 0,
        }
        return true;
    };
    let Some(token) = token else { return false };
    let token = token.as_ref();
    match p {
        ICalendarProperty::Status => {
            f.status = status_from(Some(ICalendarStatus::parse(token.as_bytes()).map_or(token, |s| s.as_str())))
        }
        ICalendarProperty::Transp => {
            f.transparent =
                transparent_from(Some(ICalendarTransparency::parse(token.as_bytes()).map_or(token, |t| t.as_str())))
        }
        _ => f.sequence = token.parse::<i64>().unwrap_or_else(|_| sequence_from(Some(token))),
    }
    true
}

/// ORGANIZER or ATTENDEE: an address with its CN and PARTSTAT; attendees up to the per-event limit.
fn read_person(ctx: &Ctx<'_>, f: &mut Fields, p: &ICalendarProperty, line: &Plain<'_>) -> bool {
    let (value, params) = (line.value, &line.params);
    if params.value_type.is_some() || value.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) {
        return false;
    }
    let Some(address) = (if value.is_empty() { Some(None) } else { unescape(value).map(Some) }) else {
        return false;
    };
    let partstat = params.partstat.map(|s| ICalendarParticipationStatus::parse(s.as_bytes()).map_or(s, |p| p.as_str()));
    let person: Option<Attendee> = address.and_then(|a| attendee_from(&a, params.cn, partstat));
    if *p == ICalendarProperty::Organizer {
        f.organizer = person.map(Arc::new);
    } else if f.attendees.len() < ctx.limits.max_values_per_event
        && let Some(a) = person
    {
        f.attendees.push(a);
    }
    true
}

/// Whether a VALUE parameter makes a date-time property's values DATEs; `None` for a type left
/// to calcard.
pub(super) fn date_only(value_type: Option<&str>) -> Option<bool> {
    match value_type.map(|v| ICalendarValueType::parse(v.as_bytes())) {
        None | Some(Some(ICalendarValueType::DateTime)) => Some(false),
        Some(Some(ICalendarValueType::Date)) => Some(true),
        Some(_) => None,
    }
}

/// A DATE or DATE-TIME value as calcard reads it; `None` when calcard keeps it as text.
pub(super) fn timestamp(value: &str, date_only: bool) -> Option<PartialDateTime> {
    let mut pdt = PartialDateTime::default();
    let ok = if date_only {
        pdt.parse_ical_date(&mut value.as_bytes().iter().peekable())
    } else {
        pdt.parse_timestamp(&mut value.as_bytes().iter().peekable(), false)
    };
    ok.then_some(pdt)
}
