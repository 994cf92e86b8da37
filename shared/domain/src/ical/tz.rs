//! Time zones: the [`Zone`] a date-time is read in, and TZID resolution (IANA names, calcard's
//! VTIMEZONE hints, vendor prefixes, Windows names, and matching a custom VTIMEZONE's rules
//! against the IANA database).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use calcard::icalendar::{ICalendarComponent, ICalendarComponentType, ICalendarProperty, ICalendarValue};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

use super::rule::{Rule, RuleIter};

/// A zone wall-clock times are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// An IANA zone (also UTC, and the request's floating zone at expansion time).
    Iana(chrono_tz::Tz),
    /// A fixed offset (a `+01:00` TZID, or a custom VTIMEZONE no IANA zone matches).
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC.
    pub(crate) const UTC: Zone = Zone::Iana(chrono_tz::UTC);

    /// The instant a wall-clock time denotes: times in a DST gap are read with the offset before
    /// the gap, repeated times resolve to the earlier instant (RFC 5545 §3.3.5).
    pub(crate) fn to_utc(self, wall: NaiveDateTime) -> DateTime<Utc> {
        match self {
            Zone::Iana(tz) => local_to_utc(wall, tz),
            Zone::Fixed(off) => {
                DateTime::<Utc>::from_naive_utc_and_offset(wall.checked_sub_offset(off).unwrap_or(wall), Utc)
            }
        }
    }

    /// The wall-clock time at an instant.
    pub(crate) fn wall(self, t: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Iana(tz) => t.with_timezone(&tz).naive_local(),
            Zone::Fixed(off) => t.naive_utc().checked_add_offset(off).unwrap_or(t.naive_utc()),
        }
    }
}

/// [`crate::time::local_to_utc`] without its panicking edge: wall times near chrono's range limits.
fn local_to_utc(wall: NaiveDateTime, tz: chrono_tz::Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&wall) {
        chrono::LocalResult::Single(dt) => dt.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let probe = wall.checked_sub_signed(chrono::TimeDelta::hours(3)).unwrap_or(wall);
            let before = tz.offset_from_utc_datetime(&probe).fix();
            DateTime::<Utc>::from_naive_utc_and_offset(wall.checked_sub_offset(before).unwrap_or(wall), Utc)
        }
    }
}

/// One STANDARD or DAYLIGHT observance of a VTIMEZONE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Observance {
    pub(crate) daylight: bool,
    pub(crate) start: NaiveDateTime,
    pub(crate) offset_from: i32,
    pub(crate) offset_to: i32,
    pub(crate) rules: Vec<Rule>,
    pub(crate) rdates: Vec<NaiveDateTime>,
}

/// What a VTIMEZONE says about itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct VTimezone {
    pub(crate) tzid: String,
    /// calcard's reading of TZID / X-LIC-LOCATION / X-MICROSOFT-CDO-TZID.
    pub(crate) hint: Option<Zone>,
    pub(crate) observances: Vec<Observance>,
    pub(crate) names: Vec<String>,
}

/// Reads one VTIMEZONE component (with its STANDARD/DAYLIGHT children).
pub(crate) fn read_vtimezone(comp: &ICalendarComponent, all: &[ICalendarComponent]) -> Option<VTimezone> {
    let mut vtz = VTimezone::default();
    let mut lic = None;
    let mut cdo = None;
    for entry in &comp.entries {
        let text = entry.values.first().and_then(|v| v.as_text());
        match (&entry.name, text) {
            (ICalendarProperty::Tzid, Some(id)) => vtz.tzid = id.trim().to_string(),
            (ICalendarProperty::Other(name), Some(id)) if name.eq_ignore_ascii_case("X-LIC-LOCATION") => {
                let id = id.trim();
                lic = calcard_zone(id.strip_prefix("SystemV/").unwrap_or(id));
            }
            (ICalendarProperty::Other(name), Some(id)) if name.eq_ignore_ascii_case("X-MICROSOFT-CDO-TZID") => {
                cdo = calcard::common::timezone::Tz::from_ms_cdo_zone_id(id.trim()).and_then(from_calcard);
            }
            _ => {}
        }
    }
    if vtz.tzid.is_empty() {
        return None;
    }
    // calcard's own mapping (TZID itself, then X-LIC-LOCATION, then the CDO id).
    vtz.hint = calcard_zone(&vtz.tzid).or(lic).or(cdo);
    for &child in &comp.component_ids {
        let Some(sub) = all.get(child as usize) else { continue };
        let daylight = match sub.component_type {
            ICalendarComponentType::Standard => false,
            ICalendarComponentType::Daylight => true,
            _ => continue,
        };
        let mut start = None;
        let mut from = None;
        let mut to = None;
        let mut rules = Vec::new();
        let mut rdates = Vec::new();
        for entry in &sub.entries {
            match &entry.name {
                ICalendarProperty::Dtstart => {
                    start = entry.values.iter().find_map(|v| v.as_partial_date_time()).and_then(naive_of)
                }
                ICalendarProperty::Tzoffsetfrom => from = entry.values.first().and_then(offset_of),
                ICalendarProperty::Tzoffsetto => to = entry.values.first().and_then(offset_of),
                ICalendarProperty::Tzname => {
                    if let Some(n) = entry.values.first().and_then(|v| v.as_text()) {
                        vtz.names.push(n.to_string());
                    }
                }
                ICalendarProperty::Rrule => {
                    for v in &entry.values {
                        if let ICalendarValue::RecurrenceRule(r) = v
                            && let Ok(rule) = Rule::from_calcard(r)
                        {
                            rules.push(rule);
                        }
                    }
                }
                ICalendarProperty::Rdate => {
                    for v in &entry.values {
                        if let Some(n) = v.as_partial_date_time().and_then(naive_of) {
                            rdates.push(n);
                        }
                    }
                }
                _ => {}
            }
        }
        let (Some(start), Some(to)) = (start, to) else { continue };
        vtz.observances.push(Observance {
            daylight,
            start,
            offset_from: from.unwrap_or(to),
            offset_to: to,
            rules,
            rdates,
        });
    }
    Some(vtz)
}

fn naive_of(p: &calcard::common::PartialDateTime) -> Option<NaiveDateTime> {
    let date = NaiveDate::from_ymd_opt(i32::from(p.year?), u32::from(p.month?), u32::from(p.day?))?;
    date.and_hms_opt(
        u32::from(p.hour.unwrap_or(0)),
        u32::from(p.minute.unwrap_or(0)),
        u32::from(p.second.unwrap_or(0).min(59)),
    )
}

fn offset_of(v: &ICalendarValue) -> Option<i32> {
    let p = v.as_partial_date_time()?;
    let secs = i32::from(p.tz_hour?) * 3600 + i32::from(p.tz_minute.unwrap_or(0)) * 60;
    let secs = if p.tz_minus { -secs } else { secs };
    (secs.abs() < 86_400).then_some(secs)
}

fn from_calcard(tz: calcard::common::timezone::Tz) -> Option<Zone> {
    match tz {
        calcard::common::timezone::Tz::Tz(tz) => Some(Zone::Iana(tz)),
        calcard::common::timezone::Tz::Fixed(off) => Some(Zone::Fixed(off)),
        calcard::common::timezone::Tz::Floating => None,
    }
}

/// calcard's guesser: IANA ids, `/vendor/version/Region/City` prefixes, Windows names,
/// `(UTC+01:00) …` labels.
fn calcard_zone(id: &str) -> Option<Zone> {
    calcard::common::timezone::Tz::from_str(id).ok().and_then(from_calcard)
}

/// An exact IANA name, also with surrounding quotes or whitespace.
fn iana(id: &str) -> Option<Zone> {
    let id = id.trim().trim_matches('"').trim();
    chrono_tz::Tz::from_str(id).ok().map(Zone::Iana)
}

/// Strips vendor prefixes calcard does not know: tries each `/`-separated suffix as an IANA
/// name (`/freeassociation.sourceforge.net/Europe/Berlin`, `/citadel.org/20190914_1/Europe/Paris`).
fn strip_prefixes(id: &str) -> Option<Zone> {
    let id = id.trim().trim_matches('"');
    let mut rest = id;
    while let Some(pos) = rest.find('/') {
        rest = &rest[pos + 1..];
        let candidate = rest.strip_prefix("SystemV/").unwrap_or(rest);
        // Only names with a region part: "Berlin" alone is not a zone.
        if candidate.contains('/')
            && let Some(z) = iana(candidate)
        {
            return Some(z);
        }
    }
    None
}

/// Resolves TZIDs of one calendar text, caching per TZID.
#[derive(Debug, Default)]
pub(crate) struct TzResolver {
    vtimezones: HashMap<String, VTimezone>,
    /// VTIMEZONE texts not read yet, by TZID: calcard reads one only when its TZID is not an IANA
    /// name (which wins over any VTIMEZONE), so the usual ones are never read.
    unread: HashMap<String, String>,
    cache: HashMap<String, Option<Zone>>,
}

impl TzResolver {
    pub(crate) fn add_vtimezone(&mut self, vtz: VTimezone) {
        self.cache.remove(&vtz.tzid);
        self.unread.remove(&vtz.tzid);
        self.vtimezones.insert(vtz.tzid.clone(), vtz);
    }

    /// A VTIMEZONE component's text (`BEGIN:VTIMEZONE` to `END:VTIMEZONE`) whose TZID is
    /// `tzid`, read when first needed; like [`TzResolver::add_vtimezone`], a later one with the
    /// same TZID replaces an earlier one.
    pub(crate) fn add_unread(&mut self, tzid: String, text: &str) {
        self.cache.remove(&tzid);
        self.vtimezones.remove(&tzid);
        self.unread.insert(tzid, text.to_string());
    }

    /// The VTIMEZONE of `tzid`, read now if it was added unread.
    fn vtimezone(&mut self, tzid: &str) -> Option<&VTimezone> {
        if let Some(text) = self.unread.remove(tzid)
            && let calcard::Entry::ICalendar(cal) = calcard::Parser::new(&text).entry()
            && let Some(vtz) = cal.components.first().and_then(|c| read_vtimezone(c, &cal.components))
        {
            self.vtimezones.insert(vtz.tzid.clone(), vtz);
        }
        self.vtimezones.get(tzid)
    }

    /// The zone a TZID names, or `None` when nothing is known about it (no IANA/Windows/vendor
    /// reading and no VTIMEZONE).
    pub(crate) fn resolve(&mut self, tzid: &str) -> Option<Zone> {
        let key = tzid.trim();
        if let Some(hit) = self.cache.get(key) {
            return *hit;
        }
        let zone = match iana(key) {
            Some(z) => Some(z),
            None => {
                let vtz = self.vtimezone(key);
                vtz.and_then(|v| v.hint)
                    .or_else(|| calcard_zone(key))
                    .or_else(|| strip_prefixes(key))
                    .or_else(|| vtz.and_then(match_vtimezone))
            }
        };
        self.cache.insert(key.to_string(), zone);
        zone
    }

    /// A zone for an `X-WR-TIMEZONE` value.
    pub(crate) fn resolve_plain(&mut self, id: &str) -> Option<Zone> {
        self.resolve(id)
    }
}

/// Process-wide cache of custom-VTIMEZONE matches, keyed by the observances.
fn match_cache() -> &'static Mutex<HashMap<Vec<Observance>, Option<Zone>>> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<Observance>, Option<Zone>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A custom VTIMEZONE: the IANA zone whose offsets agree with its rules at sample instants,
/// else its fixed STANDARD offset.
pub(crate) fn match_vtimezone(vtz: &VTimezone) -> Option<Zone> {
    if vtz.observances.is_empty() {
        return None;
    }
    if let Ok(cache) = match_cache().lock()
        && let Some(hit) = cache.get(&vtz.observances)
    {
        return *hit;
    }
    let zone = match_uncached(vtz);
    if let Ok(mut cache) = match_cache().lock() {
        if cache.len() > 512 {
            cache.clear();
        }
        cache.insert(vtz.observances.clone(), zone);
    }
    zone
}

/// Zones preferred when several match (the main zone of each common rule set), before any other
/// name under a continent or ocean, before everything else.
const PREFERRED: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Helsinki",
    "Europe/Lisbon",
    "Europe/Moscow",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Halifax",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Santiago",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Singapore",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Lagos",
    "UTC",
];

const REGIONS: &[&str] =
    &["Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/"];

fn match_uncached(vtz: &VTimezone) -> Option<Zone> {
    let standard = vtz
        .observances
        .iter()
        .filter(|o| !o.daylight)
        .max_by_key(|o| o.start)
        .or_else(|| vtz.observances.iter().max_by_key(|o| o.start))
        .map(|o| o.offset_to)?;
    let fixed = FixedOffset::east_opt(standard).map(Zone::Fixed);
    let latest_year = vtz.observances.iter().map(|o| o.start.year()).max().unwrap_or(2024);
    // Recent years first (rules as in force now), then the years the VTIMEZONE itself was
    // written for (an outdated VTIMEZONE still describes a real zone of its time).
    let mut eras = vec![latest_year.max(2024)];
    if (1971..2024).contains(&latest_year) {
        eras.push(latest_year + 1);
    }
    for year in eras {
        let transitions = transitions(vtz, year - 1, year + 1);
        if transitions.is_empty() {
            continue;
        }
        let offset_at = |t: DateTime<Utc>| -> i32 {
            match transitions.partition_point(|(at, _)| *at <= t) {
                0 => vtz.observances.iter().min_by_key(|o| o.start).map_or(standard, |o| o.offset_from),
                n => transitions[n - 1].1,
            }
        };
        let mut samples = Vec::new();
        let mut t = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single()?;
        let end = Utc.with_ymd_and_hms(year + 1, 12, 31, 0, 0, 0).single()?;
        while t < end {
            samples.push(t);
            t += chrono::TimeDelta::days(5);
        }
        for (at, _) in &transitions {
            if at.year() >= year && at.year() <= year + 1 {
                samples.push(*at - chrono::TimeDelta::minutes(30));
                samples.push(*at + chrono::TimeDelta::minutes(30));
            }
        }
        let expected: Vec<i32> = samples.iter().map(|t| offset_at(*t)).collect();
        if expected.iter().all(|o| *o == expected[0]) {
            // No DST in force: the offset itself is the honest answer.
            return FixedOffset::east_opt(expected[0]).map(Zone::Fixed).or(fixed);
        }
        let matches = |tz: &chrono_tz::Tz| {
            samples
                .iter()
                .zip(&expected)
                .all(|(t, o)| tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc() == *o)
        };
        let mut found: Vec<chrono_tz::Tz> = chrono_tz::TZ_VARIANTS.iter().copied().filter(|tz| matches(tz)).collect();
        if found.is_empty() {
            continue;
        }
        let label = format!("{} {}", vtz.tzid, vtz.names.join(" ")).to_lowercase();
        found.sort_by_key(|tz| {
            let name = tz.name();
            let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ").to_lowercase();
            let named = city.len() > 2 && label.contains(&city);
            let preferred = PREFERRED.iter().position(|p| *p == name).unwrap_or(usize::MAX);
            let regional = REGIONS.iter().any(|r| name.starts_with(r));
            (!named, preferred, !regional, name)
        });
        return Some(Zone::Iana(found[0]));
    }
    fixed
}

/// The VTIMEZONE's transitions (instant, new offset) from `from_year` to `to_year`, sorted.
fn transitions(vtz: &VTimezone, from_year: i32, to_year: i32) -> Vec<(DateTime<Utc>, i32)> {
    let lo = NaiveDate::from_ymd_opt(from_year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let hi = NaiveDate::from_ymd_opt(to_year, 12, 31).and_then(|d| d.and_hms_opt(23, 59, 59));
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for o in &vtz.observances {
        let off = FixedOffset::east_opt(o.offset_from).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        let to_utc =
            |n: NaiveDateTime| DateTime::<Utc>::from_naive_utc_and_offset(n.checked_sub_offset(off).unwrap_or(n), Utc);
        let mut onsets = vec![o.start];
        onsets.extend(o.rdates.iter().copied());
        for rule in &o.rules {
            let mut steps = 0usize;
            let until = rule.until_instant_for_observance(off);
            let Some(iter) = RuleIter::new(rule, o.start, lo) else {
                continue;
            };
            for n in iter {
                steps += 1;
                if n > hi || steps > 10_000 {
                    break;
                }
                if let Some(u) = until
                    && to_utc(n) > u
                {
                    break;
                }
                onsets.push(n);
            }
        }
        for n in onsets {
            if n <= hi {
                out.push((to_utc(n), o.offset_to));
            }
        }
    }
    out.sort();
    // Only the latest transition before the range matters.
    let first_in = out.partition_point(|(at, _)| at.naive_utc() < lo);
    if first_in > 1 {
        out.drain(..first_in - 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_windows_names() {
        let mut r = TzResolver::default();
        assert_eq!(r.resolve("/mozilla.org/20070129_1/Europe/Berlin"), Some(Zone::Iana(chrono_tz::Europe::Berlin)));
        assert_eq!(r.resolve("/citadel.org/20190914_1/Europe/Paris"), Some(Zone::Iana(chrono_tz::Europe::Paris)));
        assert_eq!(
            r.resolve("/freeassociation.sourceforge.net/Europe/Berlin"),
            Some(Zone::Iana(chrono_tz::Europe::Berlin))
        );
        assert!(matches!(r.resolve("W. Europe Standard Time"), Some(Zone::Iana(_))));
        assert_eq!(r.resolve("America/New_York"), Some(Zone::Iana(chrono_tz::America::New_York)));
        assert_eq!(r.resolve("Nowhere/Special"), None);
    }

    #[test]
    fn gap_and_fold() {
        let z = Zone::Iana(chrono_tz::Europe::Berlin);
        let gap = NaiveDate::from_ymd_opt(2026, 3, 29).and_then(|d| d.and_hms_opt(2, 30, 0)).expect("date-time");
        assert_eq!(z.to_utc(gap).to_rfc3339(), "2026-03-29T01:30:00+00:00");
        let fold = NaiveDate::from_ymd_opt(2026, 10, 25).and_then(|d| d.and_hms_opt(2, 30, 0)).expect("date-time");
        assert_eq!(z.to_utc(fold).to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }
}
