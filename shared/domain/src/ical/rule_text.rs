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
    for pos in lines_starting_with_r(bytes) {
        let line_end = next_line_end(text, pos);
        let line = &bytes[pos..line_end];
        if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"RRULE") && matches!(line[5], b':' | b';') {
            // The content line: this physical line and its continuation lines.
            let mut end = line_end;
            while end + 1 < bytes.len() && matches!(bytes[end + 1], b' ' | b'\t') {
                end = next_line_end(text, end + 1);
            }
            if let Some(value) = value_of(&text[pos..end])
                && interval_problem(&value).is_some()
            {
                marks.push(pos);
            }
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

/// Where the lines that begin with `R` or `r` start, ascending. Looks for line feeds eight bytes
/// at a time (a parse reads every byte of a large text once more here, so this stays cheap).
fn lines_starting_with_r(bytes: &[u8]) -> Vec<usize> {
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let is_r = |i: usize| matches!(bytes.get(i), Some(b'R' | b'r'));
    let mut out = Vec::new();
    if is_r(0) {
        out.push(0);
    }
    let mut chunks = bytes.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else { continue };
        let x = u64::from_le_bytes(word) ^ LF;
        // A high bit for every zero byte of `x` (a line feed), and perhaps for a byte just above
        // one: each is checked.
        let mut found = x.wrapping_sub(ONES) & !x & HIGH;
        while found != 0 {
            let i = k * 8 + (found.trailing_zeros() / 8) as usize;
            found &= found - 1;
            if bytes[i] == b'\n' && is_r(i + 1) {
                out.push(i + 1);
            }
        }
    }
    let tail = bytes.len() - chunks.remainder().len();
    for (i, &b) in bytes.iter().enumerate().skip(tail) {
        if b == b'\n' && is_r(i + 1) {
            out.push(i + 1);
        }
    }
    out
}

/// The index of the `\n` ending the line that starts at `from` (or the text's length); `from`
/// follows a `\n` or is an ASCII blank, so it is a character boundary. (`str::find` of a byte
/// runs word-at-a-time, which keeps this scan a small part of parsing.)
fn next_line_end(text: &str, from: usize) -> usize {
    text.get(from..).and_then(|t| t.find('\n')).map_or(text.len(), |i| from + i)
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

    #[test]
    fn finds_every_line_starting_with_r() {
        // Line feeds at every offset within and across the eight-byte words, in short texts and
        // in long ones (the tail after the last whole word too); a vertical tab (0x0B, one
        // above a line feed) must not confuse the word-wise search.
        for len in 0..40 {
            for lf in 0..len {
                let mut text = vec![b'x'; len];
                text[lf] = b'\n';
                if lf + 1 < len {
                    text[lf + 1] = if lf % 2 == 0 { b'R' } else { b'r' };
                }
                if lf + 2 < len {
                    text[lf + 2] = 0x0B;
                }
                let want: Vec<usize> =
                    (0..len).filter(|&i| (i == 0 || text[i - 1] == b'\n') && matches!(text[i], b'R' | b'r')).collect();
                assert_eq!(lines_starting_with_r(&text), want, "len {len}, line feed at {lf}");
            }
        }
        let text = "RRULE:A\nx\nrrule:B\r\nR\n\nR";
        assert_eq!(lines_starting_with_r(text.as_bytes()), [0, 10, 19, 22]);
    }
}
