//! RRULE: an owned copy of calcard's parse, and bounded iteration with the `rrule` crate.
//!
//! Iteration happens in *wall-clock* space: the `rrule` crate is given DTSTART's local time as if
//! it were UTC, so it never sees a zone (no skipped instances in DST gaps, no UNTIL/zone
//! validation quirks); the caller turns each wall time into an instant with its zone and checks
//! UNTIL itself, as an instant.

use calcard::icalendar::{ICalendarFrequency, ICalendarRecurrenceRule, ICalendarWeekday};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc, Weekday};

/// The most instances one period of a rule may generate (the `rrule` crate buffers a whole
/// period at once: `FREQ=YEARLY` with every BYHOUR/BYMINUTE/BYSECOND would be 31 million).
pub(crate) const MAX_PERIOD_INSTANCES: u64 = 100_000;

/// FREQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Freq {
    Yearly,
    Monthly,
    Weekly,
    Daily,
    Hourly,
    Minutely,
    Secondly,
}

/// UNTIL as written; what it means depends on the series' DTSTART (see expand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Until {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Instant(DateTime<Utc>),
}

/// One RRULE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Rule {
    pub(crate) freq: Freq,
    pub(crate) interval: u16,
    pub(crate) count: Option<u32>,
    pub(crate) until: Option<Until>,
    pub(crate) bysecond: Vec<u8>,
    pub(crate) byminute: Vec<u8>,
    pub(crate) byhour: Vec<u8>,
    pub(crate) byday: Vec<(Option<i16>, Weekday)>,
    pub(crate) bymonthday: Vec<i8>,
    pub(crate) byyearday: Vec<i16>,
    pub(crate) byweekno: Vec<i8>,
    pub(crate) bymonth: Vec<u8>,
    pub(crate) bysetpos: Vec<i32>,
    pub(crate) wkst: Weekday,
}

fn weekday(w: ICalendarWeekday) -> Weekday {
    match w {
        ICalendarWeekday::Sunday => Weekday::Sun,
        ICalendarWeekday::Monday => Weekday::Mon,
        ICalendarWeekday::Tuesday => Weekday::Tue,
        ICalendarWeekday::Wednesday => Weekday::Wed,
        ICalendarWeekday::Thursday => Weekday::Thu,
        ICalendarWeekday::Friday => Weekday::Fri,
        ICalendarWeekday::Saturday => Weekday::Sat,
    }
}

impl Rule {
    /// Copies calcard's parse, refusing what cannot be iterated correctly.
    pub(crate) fn from_calcard(r: &ICalendarRecurrenceRule) -> Result<Rule, String> {
        if let Some(scale) = &r.rscale
            && *scale != calcard::common::CalendarScale::Gregorian
        {
            return Err(format!("RSCALE={scale:?} is not supported"));
        }
        let interval = r.interval.unwrap_or(1);
        if interval == 0 {
            return Err("INTERVAL=0".into());
        }
        if r.count == Some(0) {
            return Err("COUNT=0".into());
        }
        let mut bymonth = Vec::with_capacity(r.bymonth.len());
        for m in &r.bymonth {
            if m.is_leap() || !(1..=12).contains(&m.month()) {
                return Err(format!("BYMONTH value {} is not a Gregorian month", m.month()));
            }
            bymonth.push(m.month());
        }
        let until = r.until.as_ref().map(|u| -> Result<Until, String> {
            let date = NaiveDate::from_ymd_opt(
                i32::from(u.year.ok_or("UNTIL without a year")?),
                u32::from(u.month.ok_or("UNTIL without a month")?),
                u32::from(u.day.ok_or("UNTIL without a day")?),
            )
            .ok_or("UNTIL is not a date")?;
            if !u.has_time() {
                return Ok(Until::Date(date));
            }
            let naive = date
                .and_hms_opt(
                    u32::from(u.hour.unwrap_or(0)),
                    u32::from(u.minute.unwrap_or(0)),
                    u32::from(u.second.unwrap_or(0).min(59)),
                )
                .ok_or("UNTIL has no valid time")?;
            match u.tz_hour {
                Some(h) => {
                    let secs = i32::from(h) * 3600 + i32::from(u.tz_minute.unwrap_or(0)) * 60;
                    let secs = if u.tz_minus { -secs } else { secs };
                    let off = FixedOffset::east_opt(secs).ok_or("UNTIL has an invalid offset")?;
                    let utc = naive.checked_sub_offset(off).ok_or("UNTIL out of range")?;
                    Ok(Until::Instant(Utc.from_utc_datetime(&utc)))
                }
                None => Ok(Until::Floating(naive)),
            }
        });
        let until = match until {
            Some(u) => Some(u?),
            None => None,
        };
        let rule = Rule {
            freq: match r.freq {
                ICalendarFrequency::Yearly => Freq::Yearly,
                ICalendarFrequency::Monthly => Freq::Monthly,
                ICalendarFrequency::Weekly => Freq::Weekly,
                ICalendarFrequency::Daily => Freq::Daily,
                ICalendarFrequency::Hourly => Freq::Hourly,
                ICalendarFrequency::Minutely => Freq::Minutely,
                ICalendarFrequency::Secondly => Freq::Secondly,
            },
            interval,
            count: r.count,
            until,
            bysecond: r.bysecond.clone(),
            byminute: r.byminute.clone(),
            byhour: r.byhour.clone(),
            byday: r.byday.iter().map(|d| (d.ordwk.filter(|n| *n != 0), weekday(d.weekday))).collect(),
            bymonthday: r.bymonthday.clone(),
            byyearday: r.byyearday.clone(),
            byweekno: r.byweekno.clone(),
            bymonth,
            bysetpos: r.bysetpos.clone(),
            wkst: r.wkst.map(weekday).unwrap_or(Weekday::Mon),
        };
        if let Some(why) = rule.misplaced_ordinal() {
            return Err(why);
        }
        if rule.never_matches() {
            return Err("BYMONTH/BYMONTHDAY name no existing day".into());
        }
        let per_period = rule.period_instances();
        if per_period > MAX_PERIOD_INSTANCES {
            return Err(format!(
                "the rule generates up to {per_period} instances per period (at most {MAX_PERIOD_INSTANCES} are expanded)"
            ));
        }
        Ok(rule)
    }

    /// BYDAY with an ordinal (`1TU`, `-1TH`) where RFC 5545 §3.3.10 forbids one: with a FREQ
    /// other than MONTHLY or YEARLY, or YEARLY with BYWEEKNO. The `rrule` crate would drop the
    /// day filter there and return every day.
    fn misplaced_ordinal(&self) -> Option<String> {
        let (n, w) = self.byday.iter().find_map(|(n, w)| n.map(|n| (n, *w)))?;
        let allowed = match self.freq {
            Freq::Monthly => true,
            Freq::Yearly => self.byweekno.is_empty(),
            _ => false,
        };
        if allowed {
            return None;
        }
        let day = format!("{w}").to_uppercase();
        let day = day.get(..2).unwrap_or(&day);
        let with = if self.freq == Freq::Yearly {
            "FREQ=YEARLY with BYWEEKNO".to_string()
        } else {
            format!("FREQ={:?}", self.freq).to_uppercase()
        };
        Some(format!("BYDAY={n}{day} has an ordinal, which RFC 5545 does not allow with {with}"))
    }

    /// True when BYMONTHDAY (with BYMONTH) names only days that do not exist, such as
    /// February 30th: the `rrule` crate would search for them until year 10000.
    fn never_matches(&self) -> bool {
        if self.bymonthday.is_empty()
            || !self.byday.is_empty()
            || !self.byyearday.is_empty()
            || !self.byweekno.is_empty()
        {
            return false;
        }
        let months: Vec<u32> = if self.bymonth.is_empty() {
            (1..=12).collect()
        } else {
            self.bymonth.iter().map(|m| u32::from(*m)).collect()
        };
        // 2024 is a leap year: February 29th exists.
        let days_in = |m: u32| -> i32 {
            let next =
                if m == 12 { NaiveDate::from_ymd_opt(2025, 1, 1) } else { NaiveDate::from_ymd_opt(2024, m + 1, 1) };
            next.and_then(|n| n.pred_opt()).map_or(31, |d| d.day() as i32)
        };
        !months.iter().any(|m| {
            let len = days_in(*m);
            self.bymonthday.iter().any(|d| {
                let d = i32::from(*d);
                (d > 0 && d <= len) || (d < 0 && -d <= len)
            })
        })
    }

    /// An upper bound of the instances one FREQ period can generate.
    fn period_instances(&self) -> u64 {
        let n = |v: usize| v.max(1) as u64;
        let days = match self.freq {
            Freq::Yearly => 366,
            Freq::Monthly => 31,
            Freq::Weekly => 7,
            _ => 1,
        };
        let times = match self.freq {
            Freq::Yearly | Freq::Monthly | Freq::Weekly | Freq::Daily => {
                n(self.byhour.len()) * n(self.byminute.len()) * n(self.bysecond.len())
            }
            Freq::Hourly => n(self.byminute.len()) * n(self.bysecond.len()),
            Freq::Minutely => n(self.bysecond.len()),
            Freq::Secondly => 1,
        };
        days * times
    }

    /// True when the rule has no BYxxx part: instance `i` is DTSTART + i·INTERVAL·unit.
    fn is_simple(&self) -> bool {
        self.bysecond.is_empty()
            && self.byminute.is_empty()
            && self.byhour.is_empty()
            && self.byday.is_empty()
            && self.bymonthday.is_empty()
            && self.byyearday.is_empty()
            && self.byweekno.is_empty()
            && self.bymonth.is_empty()
            && self.bysetpos.is_empty()
    }

    /// The step of a fixed-length FREQ, in seconds of wall-clock time.
    fn fixed_step(&self) -> Option<i64> {
        let unit = match self.freq {
            Freq::Secondly => 1,
            Freq::Minutely => 60,
            Freq::Hourly => 3600,
            Freq::Daily => 86_400,
            Freq::Weekly => 7 * 86_400,
            Freq::Monthly | Freq::Yearly => return None,
        };
        Some(unit * i64::from(self.interval))
    }

    /// UNTIL as an instant for a VTIMEZONE observance (local times there are in TZOFFSETFROM).
    pub(crate) fn until_instant_for_observance(&self, offset_from: FixedOffset) -> Option<DateTime<Utc>> {
        let local = match self.until? {
            Until::Instant(u) => return Some(u),
            Until::Floating(n) => n,
            Until::Date(d) => d.and_hms_opt(23, 59, 59)?,
        };
        Some(Utc.from_utc_datetime(&local.checked_sub_offset(offset_from)?))
    }

    /// Checks the rule against the `rrule` crate's validation for this DTSTART.
    pub(crate) fn validate(&self, dtstart: NaiveDateTime) -> Result<(), String> {
        self.to_rrule(dtstart, dtstart, self.count, false).map(|_| ())
    }

    /// The `rrule` crate's rule; `defaults_from` is the real DTSTART (BYxxx defaults come from
    /// it), `start` the DTSTART iteration begins at.
    fn to_rrule(
        &self,
        defaults_from: NaiveDateTime,
        start: NaiveDateTime,
        count: Option<u32>,
        explicit_defaults: bool,
    ) -> Result<rrule::RRuleSet, String> {
        let freq = match self.freq {
            Freq::Yearly => rrule::Frequency::Yearly,
            Freq::Monthly => rrule::Frequency::Monthly,
            Freq::Weekly => rrule::Frequency::Weekly,
            Freq::Daily => rrule::Frequency::Daily,
            Freq::Hourly => rrule::Frequency::Hourly,
            Freq::Minutely => rrule::Frequency::Minutely,
            Freq::Secondly => rrule::Frequency::Secondly,
        };
        let mut bymonth = self.bymonth.clone();
        let mut bymonthday = self.bymonthday.clone();
        let mut byhour = self.byhour.clone();
        let mut byminute = self.byminute.clone();
        let mut bysecond = self.bysecond.clone();
        if explicit_defaults {
            // What the rrule crate (and RFC 5545) would take from DTSTART, made explicit so that
            // iteration may begin at another DTSTART.
            let no_day = self.byweekno.is_empty()
                && self.byyearday.is_empty()
                && self.bymonthday.is_empty()
                && self.byday.is_empty();
            if no_day {
                match self.freq {
                    Freq::Yearly => {
                        if bymonth.is_empty() {
                            bymonth.push(defaults_from.month() as u8);
                        }
                        bymonthday.push(defaults_from.day() as i8);
                    }
                    Freq::Monthly => bymonthday.push(defaults_from.day() as i8),
                    _ => {}
                }
            }
            if byhour.is_empty() && self.freq < Freq::Hourly {
                byhour.push(defaults_from.hour() as u8);
            }
            if byminute.is_empty() && self.freq < Freq::Minutely {
                byminute.push(defaults_from.minute() as u8);
            }
            if bysecond.is_empty() && self.freq < Freq::Secondly {
                bysecond.push(defaults_from.second() as u8);
            }
        }
        let months = bymonth
            .iter()
            .map(|m| chrono::Month::try_from(*m).map_err(|_| format!("BYMONTH={m}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut r = rrule::RRule::new(freq)
            .interval(self.interval)
            .week_start(self.wkst)
            .by_set_pos(self.bysetpos.clone())
            .by_month(&months)
            .by_month_day(bymonthday)
            .by_year_day(self.byyearday.clone())
            .by_week_no(self.byweekno.clone())
            .by_weekday(
                self.byday
                    .iter()
                    .map(|(n, w)| match n {
                        Some(n) => rrule::NWeekday::Nth(*n, *w),
                        None => rrule::NWeekday::Every(*w),
                    })
                    .collect(),
            )
            .by_hour(byhour)
            .by_minute(byminute)
            .by_second(bysecond);
        if let Some(c) = count {
            r = r.count(c);
        }
        let dt = rrule::Tz::UTC.from_utc_datetime(&start);
        let rule = r.validate(dt).map_err(|e| e.to_string())?;
        Ok(rrule::RRuleSet::new(dt).rrule(rule).limit())
    }
}

/// The wall-clock instances of one rule from about `lo` on, ascending. Never ends by itself for
/// an open-ended rule: the caller stops at its window (and counts steps).
pub(crate) struct RuleIter {
    inner: rrule::RRuleSetIter,
}

impl RuleIter {
    /// Starts iteration of `rule` for a series beginning at `dtstart`, skipping ahead to shortly
    /// before `lo` by whole periods when that cannot change the result (no COUNT, or COUNT on a
    /// rule without BYxxx parts). `None` when the rule yields nothing from `lo` on or cannot be
    /// built.
    pub(crate) fn new(rule: &Rule, dtstart: NaiveDateTime, lo: NaiveDateTime) -> Option<RuleIter> {
        let mut start = dtstart;
        let mut count = rule.count;
        let mut explicit = false;
        if lo > dtstart {
            if let Some(step) = rule.fixed_step() {
                let gap = (lo - dtstart).num_seconds();
                let periods = gap / step - 2;
                if periods > 0 {
                    match count {
                        None => {
                            start = dtstart.checked_add_signed(TimeDelta::try_seconds(periods.checked_mul(step)?)?)?
                        }
                        Some(c) if rule.is_simple() => {
                            if periods >= i64::from(c) {
                                return None;
                            }
                            count = Some(c - periods as u32);
                            start = dtstart.checked_add_signed(TimeDelta::try_seconds(periods.checked_mul(step)?)?)?;
                        }
                        Some(_) => {}
                    }
                }
            } else if count.is_none() {
                let interval = i64::from(rule.interval);
                let (periods, unit_months) = match rule.freq {
                    Freq::Monthly => {
                        let gap = i64::from(lo.year() - dtstart.year()) * 12 + i64::from(lo.month())
                            - i64::from(dtstart.month());
                        (gap / interval - 2, 1)
                    }
                    _ => (i64::from(lo.year() - dtstart.year()) / interval - 2, 12),
                };
                if periods > 0 {
                    let month0 =
                        i64::from(dtstart.year()) * 12 + i64::from(dtstart.month0()) + periods * interval * unit_months;
                    let year = i32::try_from(month0.div_euclid(12)).ok()?;
                    let month = month0.rem_euclid(12) as u32 + 1;
                    start = NaiveDate::from_ymd_opt(year, month, 1)?.and_time(dtstart.time());
                    explicit = true;
                }
            }
        }
        let set = rule.to_rrule(dtstart, start, count, explicit).ok()?;
        Some(RuleIter { inner: (&set).into_iter() })
    }
}

impl Iterator for RuleIter {
    type Item = NaiveDateTime;

    fn next(&mut self) -> Option<NaiveDateTime> {
        self.inner.next().map(|d| d.naive_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Rule {
        read(text).expect("valid")
    }

    fn read(text: &str) -> Result<Rule, String> {
        let ics = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:{text}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        let cal = calcard::icalendar::ICalendar::parse(&ics).expect("parses");
        let r = cal.components[1]
            .entries
            .iter()
            .find_map(|e| match e.values.first() {
                Some(calcard::icalendar::ICalendarValue::RecurrenceRule(r)) => Some(r.clone()),
                _ => None,
            })
            .expect("a rule");
        Rule::from_calcard(&r)
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").expect("date-time")
    }

    /// Fast-forwarding must give the same instances as iterating from DTSTART.
    #[test]
    fn fast_forward_is_exact() {
        let cases = [
            ("FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,30", "2019-01-03T07:15:00"),
            ("FREQ=DAILY;INTERVAL=3;BYHOUR=8,18", "2019-01-03T18:00:00"),
            ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU", "2019-01-01T09:00:00"),
            ("FREQ=MONTHLY;INTERVAL=5", "2019-01-31T09:00:00"),
            ("FREQ=MONTHLY;BYDAY=-1FR", "2019-01-31T09:00:00"),
            ("FREQ=YEARLY;INTERVAL=2", "2016-03-31T10:00:00"),
            ("FREQ=YEARLY;BYMONTH=3,9", "2016-02-29T10:00:00"),
            ("FREQ=MINUTELY;INTERVAL=7;COUNT=900000", "2025-01-01T00:00:01"),
            ("FREQ=SECONDLY;INTERVAL=11", "2025-12-01T00:00:01"),
        ];
        let lo = at("2026-01-01T00:00:00");
        let hi = at("2027-01-01T00:00:00");
        for (text, start) in cases {
            let r = rule(text);
            let dtstart = at(start);
            let fast: Vec<_> = RuleIter::new(&r, dtstart, lo)
                .expect("iterates")
                .skip_while(|n| *n < lo)
                .take_while(|n| *n < hi)
                .take(2000)
                .collect();
            let slow: Vec<_> = RuleIter::new(&r, dtstart, dtstart)
                .expect("iterates")
                .skip_while(|n| *n < lo)
                .take_while(|n| *n < hi)
                .take(2000)
                .collect();
            assert!(!fast.is_empty(), "{text}");
            assert_eq!(fast, slow, "{text}");
        }
    }

    #[test]
    fn count_exhausted_before_window() {
        let r = rule("FREQ=DAILY;COUNT=3");
        assert!(RuleIter::new(&r, at("2020-01-01T09:00:00"), at("2026-01-01T00:00:00")).is_none());
    }

    #[test]
    fn refuses_explosive_periods() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nRRULE:FREQ=YEARLY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = calcard::icalendar::ICalendar::parse(ics).expect("parses");
        let Some(calcard::icalendar::ICalendarValue::RecurrenceRule(r)) = cal.components[1].entries[0].values.first()
        else {
            panic!("no rule")
        };
        assert!(Rule::from_calcard(r).is_err());
    }

    #[test]
    fn byday_ordinals_only_where_rfc_5545_allows_them() {
        for text in ["FREQ=WEEKLY;BYDAY=1TU,-1TH", "FREQ=DAILY;COUNT=3;BYDAY=TU,-1TH", "FREQ=HOURLY;BYDAY=2MO"] {
            let why = read(text).err().unwrap_or_default();
            assert!(why.contains("has an ordinal"), "{text}: {why:?}");
        }
        let why = read("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO").err().unwrap_or_default();
        assert!(why.contains("BYDAY=1MO") && why.contains("BYWEEKNO"), "{why:?}");
        assert_eq!(
            read("FREQ=WEEKLY;BYDAY=1TU").err().unwrap_or_default(),
            "BYDAY=1TU has an ordinal, which RFC 5545 does not allow with FREQ=WEEKLY"
        );
        for text in [
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "FREQ=DAILY;BYDAY=MO",
            "FREQ=MONTHLY;BYDAY=1TU,-1TH",
            "FREQ=YEARLY;BYDAY=20MO",
            "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        ] {
            assert!(read(text).is_ok(), "{text}");
        }
    }
}
