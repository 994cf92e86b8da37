//! RRULE text that calcard reads lossily or not at all.
//!
//! calcard keeps INTERVAL in a `u16` and wraps larger values without a word (65536 becomes "no
//! INTERVAL", i.e. 1; 90061 becomes 24525), and reads `INTERVAL=0` as no INTERVAL; the `rrule`
//! crate iterates `u16` intervals too. So before calcard sees a text, [`mark_bad_intervals`]
//! finds the RRULE content lines whose INTERVAL is not in 1..=65535 and renames them to
//! [`REFUSED_RRULE`]: calcard then keeps them as an unknown property with their text, and the
//! event reader refuses them as `malformed_rule` (the event keeps its other instances). Renaming
//! in place ties the refusal to exactly the line that carried it.
//!
//! [`salvage`] reads an RRULE calcard could not, part by part.

use std::borrow::Cow;

use calcard::icalendar::ICalendarRecurrenceRule;

/// The property name an RRULE line with an out-of-range INTERVAL is given before calcard reads
/// the text.
pub(crate) const REFUSED_RRULE: &str = "X-KENNY-REFUSED-RRULE";

/// Why an RRULE value's INTERVAL cannot be iterated: a part `INTERVAL=n` whose `n` is an integer
/// outside 1..=65535. `None` when every INTERVAL is in range, or not an integer at all (calcard
/// reports those itself).
pub(crate) fn interval_problem(value: &str) -> Option<String> {
    value.split(';').find_map(|part| {
        let (key, n) = part.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("INTERVAL") {
            return None;
        }
        let n = n.trim();
        let (negative, digits) = match n.as_bytes().first() {
            Some(b'-') => (true, &n[1..]),
            Some(b'+') => (false, &n[1..]),
            _ => (false, n),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Longer than u64: out of range all the same.
        let n = digits.parse::<u64>().unwrap_or(u64::MAX);
        (negative || n == 0 || n > u64::from(u16::MAX)).then(|| {
            let shown: String = part.trim().chars().take(40).collect();
            format!("{shown} is out of range (INTERVAL must be 1 to {})", u16::MAX)
        })
    })
}

/// `text` with every RRULE content line whose INTERVAL is out of range renamed to
/// [`REFUSED_RRULE`]; borrowed (no copy) when there is none.
pub(crate) fn mark_bad_intervals(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut marks = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let line_end = next_line_end(bytes, pos);
        let line = &bytes[pos..line_end];
        if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"RRULE") && matches!(line[5], b':' | b';') {
            // The content line: this physical line and its continuation lines.
            let mut end = line_end;
            while end + 1 < bytes.len() && matches!(bytes[end + 1], b' ' | b'\t') {
                end = next_line_end(bytes, end + 1);
            }
            if let Some(value) = value_of(&text[pos..end])
                && interval_problem(&value).is_some()
            {
                marks.push(pos);
            }
            pos = end + 1;
        } else {
            pos = line_end + 1;
        }
    }
    if marks.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + marks.len() * REFUSED_RRULE.len());
    let mut from = 0;
    for at in marks {
        out.push_str(&text[from..at]);
        out.push_str(REFUSED_RRULE);
        from = at + "RRULE".len();
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// The index of the `\n` ending the line that starts at `from` (or the text's length).
fn next_line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| from + i)
}

/// The unfolded value of one content line (after the first `:` outside quoted parameters).
fn value_of(line: &str) -> Option<String> {
    let unfolded: String = line.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "");
    let mut quoted = false;
    let colon = unfolded.char_indices().find_map(|(i, c)| match c {
        '"' => {
            quoted = !quoted;
            None
        }
        ':' if !quoted => Some(i),
        _ => None,
    })?;
    Some(unfolded[colon + 1..].trim_end_matches('\r').to_string())
}

/// calcard's parse of one RRULE value text.
fn parse_rule_text(text: &str) -> Option<ICalendarRecurrenceRule> {
    if text.contains(['\r', '\n']) {
        return None;
    }
    let ics = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:{text}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let cal = calcard::icalendar::ICalendar::parse(&ics).ok()?;
    cal.components.iter().flat_map(|c| &c.entries).find_map(|e| match e.values.first() {
        Some(calcard::icalendar::ICalendarValue::RecurrenceRule(r)) => Some((**r).clone()),
        _ => None,
    })
}

/// Reads an RRULE calcard could not, leaving out the parts it cannot read (`COUNT=-1`, unknown
/// names…); returns the rule and the parts left out. `None` without a readable FREQ.
pub(crate) fn salvage(text: &str) -> Option<(ICalendarRecurrenceRule, Vec<String>)> {
    let parts: Vec<&str> = text.split(';').map(str::trim).filter(|p| !p.is_empty()).take(32).collect();
    let freq = *parts.iter().find(|p| p.get(..5).is_some_and(|k| k.eq_ignore_ascii_case("FREQ=")))?;
    parse_rule_text(freq)?;
    let mut kept = vec![freq];
    let mut dropped = Vec::new();
    for part in parts {
        if part == freq {
            continue;
        }
        if parse_rule_text(&format!("{freq};{part}")).is_some() {
            kept.push(part);
        } else {
            dropped.push(part.chars().take(100).collect());
        }
    }
    parse_rule_text(&kept.join(";")).map(|r| (r, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_range() {
        for ok in ["FREQ=DAILY", "FREQ=DAILY;INTERVAL=1", "FREQ=SECONDLY;interval=65535;COUNT=3", "INTERVAL=x"] {
            assert_eq!(interval_problem(ok), None, "{ok}");
        }
        for bad in [
            "FREQ=SECONDLY;INTERVAL=90061;COUNT=3",
            "FREQ=DAILY;INTERVAL=65536",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;INTERVAL=-2",
            "FREQ=DAILY;INTERVAL=2;INTERVAL=70000",
            "FREQ=DAILY;INTERVAL=99999999999999999999999999999999999999999999",
            "FREQ=DAILY;INTERVAL=-99999999999999999999999999999999999999999999",
        ] {
            let why = interval_problem(bad).unwrap_or_default();
            assert!(why.contains("out of range"), "{bad}: {why:?}");
        }
    }

    #[test]
    fn marks_only_bad_rrule_lines() {
        let text = "BEGIN:VEVENT\r\nRRULE:FREQ=DAILY;INTERVAL=2\r\nEND:VEVENT\r\n\
                    BEGIN:VEVENT\r\nrrule;X-A=\"a:b\":FREQ=SECONDLY;INTER\r\n VAL=90061\r\nEND:VEVENT\r\n\
                    BEGIN:VEVENT\r\nDESCRIPTION:x\r\n RRULE:FREQ=DAILY;INTERVAL=0\r\nEXRULE:FREQ=DAILY;INTERVAL=0\r\nEND:VEVENT\r\n";
        let marked = mark_bad_intervals(text);
        let expected = text.replacen("rrule;X-A", &format!("{REFUSED_RRULE};X-A"), 1);
        assert_eq!(marked, expected);
        let clean = "BEGIN:VEVENT\nRRULE:FREQ=WEEKLY;INTERVAL=65535\nEND:VEVENT";
        assert!(matches!(mark_bad_intervals(clean), Cow::Borrowed(_)));
        assert!(matches!(mark_bad_intervals(""), Cow::Borrowed(_)));
        assert_eq!(mark_bad_intervals("RRULE:INTERVAL=0"), format!("{REFUSED_RRULE}:INTERVAL=0"));
    }
}
