//! Free-busy replies (CalDAV `free-busy-query`): the busy periods of a VFREEBUSY text.

use chrono::{DateTime, Duration, Utc};

/// Most FREEBUSY periods read from one reply.
pub const MAX_FREE_BUSY_PERIODS: usize = 100_000;

/// The busy periods of a VFREEBUSY text (RFC 5545 §3.8.2.6): every `FREEBUSY` property whose
/// `FBTYPE` is not `FREE`, each value `start/end` or `start/duration` in UTC. Folded lines are
/// unfolded; a reply without `BEGIN:VFREEBUSY` or with an unreadable period is an error.
pub fn parse_free_busy(text: &str) -> Result<Vec<kenny_ports::sources::Busy>, String> {
    if !text.contains("BEGIN:VFREEBUSY") {
        return Err("the free-busy reply holds no VFREEBUSY".into());
    }
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "");
    let mut out = Vec::new();
    for line in unfolded.lines() {
        let line = line.trim_end_matches('\r');
        let Some((head, value)) = line.split_once(':') else { continue };
        let mut parts = head.split(';');
        if !parts.next().is_some_and(|n| n.eq_ignore_ascii_case("FREEBUSY")) {
            continue;
        }
        let free = parts.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.eq_ignore_ascii_case("FBTYPE") && v.trim_matches('"').eq_ignore_ascii_case("FREE")
            })
        });
        for period in value.split(',').filter(|p| !p.trim().is_empty()) {
            if out.len() >= MAX_FREE_BUSY_PERIODS {
                return Err(format!("more than {MAX_FREE_BUSY_PERIODS} free-busy periods"));
            }
            let bad = || format!("unreadable free-busy period {:?}", period.chars().take(64).collect::<String>());
            let (a, b) = period.trim().split_once('/').ok_or_else(bad)?;
            let start = utc_time(a).ok_or_else(bad)?;
            let end = match utc_time(b) {
                Some(e) => e,
                None => start + iso_duration(b).ok_or_else(bad)?,
            };
            if !free && end > start {
                out.push((start, end));
            }
        }
    }
    Ok(out)
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc_time(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
}

/// A positive ISO 8601 / RFC 5545 duration: `P1W`, `P1DT2H`, `PT30M`, `PT45S`.
fn iso_duration(s: &str) -> Option<Duration> {
    let s = s.trim().strip_prefix('+').unwrap_or(s.trim());
    let rest = s.strip_prefix('P')?;
    let (mut total, mut number, mut in_time, mut any) = (0i64, None::<i64>, false, false);
    for c in rest.chars() {
        match c {
            '0'..='9' => {
                let d = i64::from(c.to_digit(10)?);
                number = Some(number.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
            }
            'T' if !in_time && number.is_none() => in_time = true,
            'W' | 'D' | 'H' | 'M' | 'S' => {
                let n = number.take()?;
                let unit = match (c, in_time) {
                    ('W', false) => 604_800,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
                any = true;
            }
            _ => return None,
        }
    }
    (any && number.is_none() && total <= 366 * 86_400).then(|| Duration::seconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_busy_replies_are_read() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nDTSTART:20261130T000000Z\r\n\
            FREEBUSY;FBTYPE=BUSY:20261130T143000Z/20261130T150000Z,20261201T090000Z/PT1H3\r\n 0M\r\n\
            FREEBUSY;FBTYPE=FREE:20261202T090000Z/20261202T100000Z\r\n\
            FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261203T090000Z/P1D\r\n\
            FREEBUSY:20261204T090000Z/PT15M\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n";
        let got = parse_free_busy(text).unwrap();
        let f = |(a, b): &(DateTime<Utc>, DateTime<Utc>)| format!("{}/{}", a.format("%d %H:%M"), b.format("%d %H:%M"));
        let got: Vec<String> = got.iter().map(f).collect();
        assert_eq!(got, ["30 14:30/30 15:00", "01 09:00/01 10:30", "03 09:00/04 09:00", "04 09:00/04 09:15"]);
        assert!(parse_free_busy("BEGIN:VCALENDAR\r\nEND:VCALENDAR").is_err());
        assert!(parse_free_busy("BEGIN:VFREEBUSY\r\nFREEBUSY:20261204T090000Z/PT\r\n").is_err());
        assert!(parse_free_busy("BEGIN:VFREEBUSY\r\nFREEBUSY:20261204T090000Z/P1H\r\n").is_err());
        assert_eq!(iso_duration("P1W"), Some(Duration::days(7)));
        assert_eq!(iso_duration("P1DT2H"), Some(Duration::hours(26)));
        assert_eq!(iso_duration("P"), None);
        assert_eq!(iso_duration("PT99999999999999999999S"), None);
    }
}
