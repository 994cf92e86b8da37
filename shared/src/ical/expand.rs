//! Windowed, bounded expansion of parsed series into occurrences.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use super::parse::{EndSpec, Event, Parsed, Series, Time};
use super::rule::{Rule, RuleIter, Until};
use super::tz::Zone;
use super::{ExpandOptions, Expansion, Limits, Occurrence, When};

/// The start of one instance: a day, or an instant with the zone its wall clock runs in.
#[derive(Debug, Clone, Copy)]
enum Inst {
    Date(NaiveDate),
    At(DateTime<Utc>, Zone),
}

impl Inst {
    fn when(self) -> When {
        match self {
            Inst::Date(d) => When::Date(d),
            Inst::At(u, _) => When::DateTime(u),
        }
    }
}

/// Expands every series; output sorted by start, then UID.
pub(crate) fn expand(parsed: &Parsed, opts: &ExpandOptions, limits: &Limits) -> Expansion {
    let floating = Zone::Iana(opts.floating_tz);
    let mut out = Expansion::default();
    let mut budget = limits.max_total_steps;
    for s in &parsed.series {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            expand_series(s, opts, floating, limits, &mut budget)
        }));
        match result {
            Ok((occ, truncated)) => {
                out.occurrences.extend(occ);
                out.truncated |= truncated;
            }
            Err(_) => {
                tracing::warn!(uid = %s.uid, "recurrence expansion panicked; series left out");
                out.truncated = true;
            }
        }
    }
    let ftz = opts.floating_tz;
    out.occurrences.sort_by(|a, b| {
        (a.start.to_utc(ftz), &a.uid, a.end.to_utc(ftz), a.recurrence_id).cmp(&(
            b.start.to_utc(ftz),
            &b.uid,
            b.end.to_utc(ftz),
            b.recurrence_id,
        ))
    });
    out
}

fn add_days(d: NaiveDate, days: i64) -> NaiveDate {
    TimeDelta::try_days(days).and_then(|t| d.checked_add_signed(t)).unwrap_or(d)
}

fn add_wall(w: NaiveDateTime, delta: TimeDelta) -> NaiveDateTime {
    w.checked_add_signed(delta).unwrap_or(w)
}

/// `u` moved by `secs`, clamped to chrono's range.
fn shift_clamped(u: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    // Year 1 to 9999: far enough for any calendar, and safe to convert to any zone.
    let min = DateTime::<Utc>::from_timestamp(-62_135_596_800, 0).unwrap_or(u);
    let max = DateTime::<Utc>::from_timestamp(253_402_214_400, 0).unwrap_or(u);
    let secs = secs.clamp(-400_000_000_000, 400_000_000_000);
    TimeDelta::try_seconds(secs)
        .and_then(|d| u.checked_add_signed(d))
        .unwrap_or(if secs < 0 { min } else { max })
        .clamp(min, max)
}

fn add_utc(u: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    u.checked_add_signed(delta).unwrap_or(u)
}

/// A value's wall-clock time in `zone` (DATE values: their midnight, unconverted).
fn wall_in(t: &Time, zone: Zone, floating: Zone) -> NaiveDateTime {
    match t {
        Time::Date(_) => t.wall(),
        other => zone.wall(other.instant(floating)),
    }
}

/// The end of an instance starting at `inst`, from an end given relative to `spec_start`
/// (the component's DTSTART, or an RDATE PERIOD's start). Zoned durations are kept in wall-clock
/// terms; DURATION's days are nominal and its time part exact (RFC 5545 §3.3.6).
fn end_of(spec: EndSpec, spec_start: &Time, inst: Inst, floating: Zone) -> When {
    match inst {
        Inst::Date(d) => {
            let days = match spec {
                EndSpec::None => 1,
                EndSpec::End(t) => {
                    let end = t.wall();
                    let begin = spec_start.wall();
                    let mut days = (end.date() - begin.date()).num_days();
                    if end.time() > begin.time() {
                        days += 1;
                    }
                    days
                }
                EndSpec::Duration(dur) => {
                    dur.days + dur.secs.div_euclid(86_400) + i64::from(dur.secs.rem_euclid(86_400) > 0)
                }
            };
            When::Date(add_days(d, days.max(1)))
        }
        Inst::At(u, zone) => {
            let end = match spec {
                EndSpec::None => u,
                EndSpec::End(t) => {
                    let same_zone =
                        t.is_date() || spec_start.is_date() || t.zone(floating) == spec_start.zone(floating);
                    if same_zone {
                        // Both written in one zone: the difference of the written wall times.
                        let delta = t.wall() - spec_start.wall();
                        zone.to_utc(add_wall(zone.wall(u), delta))
                    } else {
                        add_utc(u, t.instant(floating) - spec_start.instant(floating))
                    }
                }
                EndSpec::Duration(dur) => {
                    let w = add_wall(zone.wall(u), TimeDelta::try_days(dur.days).unwrap_or_default());
                    add_utc(zone.to_utc(w), TimeDelta::try_seconds(dur.secs).unwrap_or_default())
                }
            };
            When::DateTime(end.max(u))
        }
    }
}

/// An upper bound of how long an instance of `ev` can last, in seconds.
fn max_len(ev: &Event, floating: Zone) -> i64 {
    let base = match ev.end {
        EndSpec::None => 0,
        EndSpec::End(t) => (t.instant(floating) - ev.start.instant(floating)).num_seconds().abs(),
        EndSpec::Duration(d) => d.days.saturating_mul(90_000).abs().saturating_add(d.secs.abs()),
    };
    // Wall-clock lengths across DST changes; all-day rounding and zones for DATE events.
    let slack = if ev.start.is_date() { 2 * 86_400 } else { 3 * 3600 };
    base.saturating_add(slack)
}

fn occurrence(ev: &Event, start: When, end: When, recurrence_id: Option<When>) -> Occurrence {
    Occurrence {
        uid: ev.uid.clone(),
        summary: ev.summary.clone(),
        description: ev.description.clone(),
        location: ev.location.clone(),
        start,
        end,
        recurrence_id,
        organizer: ev.organizer.clone(),
        attendees: ev.attendees.clone(),
        status: ev.status.clone(),
        transparent: ev.transparent,
        sequence: ev.sequence,
    }
}

fn overlaps(opts: &ExpandOptions, start: When, end: When) -> bool {
    opts.window.overlaps(start.to_utc(opts.floating_tz), end.to_utc(opts.floating_tz))
}

/// A RANGE=THISANDFUTURE override: from `from` on, instances move by `delta` (wall-clock, in
/// the override's zone) and take the override's properties and duration.
struct Future<'a> {
    from: DateTime<Utc>,
    ev: &'a Event,
    delta: TimeDelta,
}

fn expand_series(
    s: &Series,
    opts: &ExpandOptions,
    floating: Zone,
    limits: &Limits,
    budget: &mut usize,
) -> (Vec<Occurrence>, bool) {
    let cap = opts.max_per_event;
    let mut truncated = false;
    let mut found: Vec<Occurrence> = Vec::new();
    let master = s.master.as_ref();
    let date_series = master.is_some_and(|m| m.start.is_date());
    let frame = master.map_or(floating, |m| m.start.zone(floating));

    // EXDATEs of the master.
    let mut ex_ts: HashSet<i64> = HashSet::new();
    let mut ex_dates: HashSet<NaiveDate> = HashSet::new();
    for e in master.map(|m| m.exdates.as_slice()).unwrap_or_default() {
        match (date_series, e) {
            // A DATE, or any value on an all-day series: its own (written) day.
            (true, t) | (_, t @ Time::Date(_)) => {
                ex_dates.insert(t.wall().date());
            }
            (false, t) => {
                ex_ts.insert(t.instant(floating).timestamp());
            }
        }
    }
    let max_steps = limits.max_rule_steps.min(*budget);
    let mut steps = 0usize;

    // Overrides: emitted on their own, suppressing the instance they replace.
    let mut by_ts: HashSet<i64> = HashSet::new();
    let mut by_date: HashSet<NaiveDate> = HashSet::new();
    let mut futures: Vec<Future<'_>> = Vec::new();
    for o in &s.overrides {
        let Some(rid) = o.recurrence_id else { continue };
        let (rid_date, rid_ts) = match (date_series, rid) {
            (true, t) | (_, t @ Time::Date(_)) => (Some(t.wall().date()), None),
            (false, t) => (None, Some(t.instant(floating).timestamp())),
        };
        if let Some(m) = master
            && o.sequence < m.sequence
        {
            // An override older than its master is stale when the master (edited later) no
            // longer has that instance: it was deleted (EXDATE) or the rule changed.
            let excluded = rid_date.is_some_and(|d| ex_dates.contains(&d))
                || rid_ts.is_some_and(|t| ex_ts.contains(&t))
                || (!date_series && ex_dates.contains(&frame.wall(rid.instant(floating)).date()));
            if excluded || !is_instance(m, &rid, date_series, frame, floating, &mut steps, max_steps) {
                continue;
            }
        }
        if let Some(d) = rid_date {
            by_date.insert(d);
        }
        if let Some(t) = rid_ts {
            by_ts.insert(t);
        }
        let start = if o.start.is_date() {
            Inst::Date(o.start.wall().date())
        } else {
            Inst::At(o.start.instant(floating), o.start.zone(floating))
        };
        let end = match (o.end, master) {
            // An override without DTEND/DURATION keeps the series' length.
            (EndSpec::None, Some(m)) if m.start.is_date() == o.start.is_date() => {
                end_of(m.end, &m.start, start, floating)
            }
            _ => end_of(o.end, &o.start, start, floating),
        };
        // The id of the instance replaced: a day for all-day series and DATE values.
        let rid_when = match rid_date {
            Some(d) => When::Date(d),
            None => When::DateTime(rid.instant(floating)),
        };
        if overlaps(opts, start.when(), end) {
            found.push(occurrence(o, start.when(), end, Some(rid_when)));
        }
        if o.this_and_future && master.is_some() {
            let zone = o.start.zone(floating);
            futures.push(Future {
                from: rid.instant(floating),
                ev: o,
                delta: wall_in(&o.start, zone, floating) - wall_in(&rid, zone, floating),
            });
        }
    }
    futures.sort_by_key(|f| f.from);

    let Some(m) = master else {
        return finish(found, cap, truncated, opts);
    };

    let recurring = !m.rules.is_empty() || !m.rdates.is_empty();
    // Master instances in the window, keyed by original start (deduplicates RRULE/RDATE/DTSTART).
    let mut instances: BTreeMap<i64, Occurrence> = BTreeMap::new();
    // Considers one instance by its original wall-clock start; returns true when it is kept.
    let consider =
        |wall: NaiveDateTime, explicit: Option<(EndSpec, Time)>, instances: &mut BTreeMap<i64, Occurrence>| -> bool {
            let (orig, orig_utc, date) = if date_series {
                let d = wall.date();
                (Inst::Date(d), floating.to_utc(d.and_time(chrono::NaiveTime::MIN)), d)
            } else {
                let u = frame.to_utc(wall);
                (Inst::At(u, frame), u, wall.date())
            };
            let key = orig_utc.timestamp();
            if instances.contains_key(&key) {
                return true;
            }
            let excluded = ex_dates.contains(&date) || (!date_series && ex_ts.contains(&key));
            let overridden = by_date.contains(&date) || (!date_series && by_ts.contains(&key));
            if excluded || overridden {
                return false;
            }
            let future = match futures.partition_point(|f| f.from <= orig_utc) {
                0 => None,
                n => Some(&futures[n - 1]),
            };
            let (ev, start, end) = match future {
                Some(f) => {
                    let zone = f.ev.start.zone(floating);
                    let start = if f.ev.start.is_date() {
                        Inst::Date(add_wall(wall_in(&Time::Utc(orig_utc), zone, floating), f.delta).date())
                    } else if date_series {
                        let shifted = add_wall(date.and_time(chrono::NaiveTime::MIN), f.delta);
                        Inst::At(zone.to_utc(shifted), zone)
                    } else {
                        Inst::At(zone.to_utc(add_wall(zone.wall(orig_utc), f.delta)), zone)
                    };
                    let end = match f.ev.end {
                        EndSpec::None if f.ev.start.is_date() == m.start.is_date() => {
                            end_of(m.end, &m.start, start, floating)
                        }
                        spec => end_of(spec, &f.ev.start, start, floating),
                    };
                    (f.ev, start, end)
                }
                None => {
                    let end = match explicit {
                        Some((spec, spec_start)) if !date_series => end_of(spec, &spec_start, orig, floating),
                        _ => end_of(m.end, &m.start, orig, floating),
                    };
                    (m, orig, end)
                }
            };
            if !overlaps(opts, start.when(), end) {
                return false;
            }
            let rid = recurring.then_some(orig.when());
            instances.insert(key, occurrence(ev, start.when(), end, rid));
            true
        };

    if !recurring {
        consider(m.start.wall(), None, &mut instances);
    } else {
        // RDATEs first: a PERIOD's own end wins over the same instance from the rule.
        for r in &m.rdates {
            let wall = match (date_series, r.start) {
                (true, Time::Date(d)) => d.and_time(chrono::NaiveTime::MIN),
                (true, t) => t.wall().date().and_time(chrono::NaiveTime::MIN),
                (false, Time::Date(d)) => d.and_time(m.start.wall().time()),
                (false, t) => frame.wall(t.instant(floating)),
            };
            consider(wall, r.end.map(|e| (e, r.start)), &mut instances);
        }
        // DTSTART is the first instance, unless every RRULE ended before it (what clients write
        // when "this and all following" is deleted from the first instance).
        let all_rules_end_before = !m.rules.is_empty()
            && m.rules.iter().all(|r| !within_until(r, m.start.wall(), date_series, frame, floating));
        if !all_rules_end_before {
            consider(m.start.wall(), None, &mut instances);
        }

        // How far before the window an instance may start and still reach into it, and how far
        // after it an instance may start and be moved into it.
        let mut lookback = max_len(m, floating);
        let slack: i64 = if date_series { 2 * 86_400 } else { 3 * 3600 };
        let mut lookahead = slack;
        for f in &futures {
            lookback = lookback.max(max_len(f.ev, floating).saturating_add(f.delta.num_seconds().max(0)));
            lookahead = lookahead.max(slack.saturating_add(f.delta.num_seconds().saturating_neg().max(0)));
        }
        let lo = frame.wall(shift_clamped(opts.window.start, lookback.saturating_neg()));
        let hi = frame.wall(shift_clamped(opts.window.end, lookahead));
        let dtstart = m.start.wall();
        for rule in &m.rules {
            if steps >= max_steps {
                truncated = true;
                break;
            }
            let Some(iter) = RuleIter::new(rule, dtstart, lo) else {
                continue;
            };
            let stop = match rule.until {
                None => hi,
                Some(Until::Date(d)) => hi.min(add_days(d, 1).and_time(chrono::NaiveTime::MIN)),
                Some(Until::Floating(n)) => hi.min(n),
                Some(Until::Instant(u)) => hi.min(add_wall(frame.wall(u), TimeDelta::days(1))),
            };
            let mut kept = 0usize;
            for wall in iter {
                steps += 1;
                if steps > max_steps {
                    truncated = true;
                    break;
                }
                if wall > stop {
                    break;
                }
                if wall < lo {
                    continue;
                }
                let within_until = within_until(rule, wall, date_series, frame, floating);
                if !within_until {
                    // Instants grow with wall time except across a DST fold: check a few more.
                    continue;
                }
                if consider(wall, None, &mut instances) {
                    kept += 1;
                    if kept > cap {
                        // Enough from this rule: the union cannot need more of it.
                        break;
                    }
                }
            }
            if truncated {
                break;
            }
        }
    }
    *budget = budget.saturating_sub(steps);
    found.extend(instances.into_values());
    finish(found, cap, truncated, opts)
}

/// True when the rule instance at `wall` is not past the rule's UNTIL (compared as an instant; a
/// DATE UNTIL includes its whole day).
fn within_until(rule: &Rule, wall: NaiveDateTime, date_series: bool, frame: Zone, floating: Zone) -> bool {
    match rule.until {
        None => true,
        Some(Until::Date(d)) => wall.date() <= d,
        Some(Until::Floating(n)) => wall <= n,
        Some(Until::Instant(u)) => {
            let inst = if date_series {
                floating.to_utc(wall.date().and_time(chrono::NaiveTime::MIN))
            } else {
                frame.to_utc(wall)
            };
            inst <= u
        }
    }
}

/// True when `rid` is an instance of the master's recurrence set (DTSTART, an RDATE, or an
/// instance of one of its rules), compared as in matching overrides. Rule iteration counts
/// against `steps`.
fn is_instance(
    m: &Event,
    rid: &Time,
    date_series: bool,
    frame: Zone,
    floating: Zone,
    steps: &mut usize,
    max_steps: usize,
) -> bool {
    // The target as a wall time in the series' frame, and how instances are compared with it.
    let by_date = date_series || rid.is_date();
    let target =
        if by_date { rid.wall().date().and_time(chrono::NaiveTime::MIN) } else { frame.wall(rid.instant(floating)) };
    let same = |t: &Time| -> bool {
        if by_date {
            let day = if date_series || t.is_date() { t.wall().date() } else { frame.wall(t.instant(floating)).date() };
            day == target.date()
        } else {
            !t.is_date() && t.instant(floating) == rid.instant(floating)
        }
    };
    if same(&m.start) || m.rdates.iter().any(|r| same(&r.start)) {
        return true;
    }
    let dtstart = m.start.wall();
    let from = add_wall(target, TimeDelta::days(-1));
    let to = add_wall(target, TimeDelta::days(if by_date { 2 } else { 1 }));
    for rule in &m.rules {
        let Some(iter) = RuleIter::new(rule, dtstart, from) else { continue };
        for wall in iter {
            *steps += 1;
            if *steps > max_steps || wall > to {
                break;
            }
            if !within_until(rule, wall, date_series, frame, floating) {
                continue;
            }
            let hit = if by_date { wall.date() == target.date() } else { frame.to_utc(wall) == rid.instant(floating) };
            if hit {
                return true;
            }
        }
    }
    false
}

/// Sorts one series' occurrences and applies the cap.
fn finish(
    mut found: Vec<Occurrence>,
    cap: usize,
    mut truncated: bool,
    opts: &ExpandOptions,
) -> (Vec<Occurrence>, bool) {
    if found.len() > cap {
        let ftz = opts.floating_tz;
        found.sort_by_key(|o| o.start.to_utc(ftz));
        found.truncate(cap);
        truncated = true;
    }
    (found, truncated)
}
