//! Windowed, bounded expansion of parsed series into occurrences.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use super::parse::{EndSpec, Event, Parsed, Series, Time};
use super::rule::{Rule, RuleIter, Until};
use super::span::{Inst, add_days, add_wall, end_of, max_len, shift_clamped, wall_in};
use super::tz::Zone;
use super::{ExpandOptions, Expansion, Limits, Occurrence, When};

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
    sort_occurrences(&mut out.occurrences, opts.floating_tz);
    out
}

/// Sorts by start, then UID, end and RECURRENCE-ID (stable), comparing instants in `ftz`: each
/// instant is computed once (a day's needs a time-zone lookup), the sort compares the starts as
/// integers and looks at the occurrences only on a tie, and the occurrences, which are large, are
/// moved once instead of at every step of the sort.
fn sort_occurrences(occurrences: &mut Vec<Occurrence>, ftz: chrono_tz::Tz) {
    let instants: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        occurrences.iter().map(|o| (o.start.to_utc(ftz), o.end.to_utc(ftz))).collect();
    let mut order: Vec<(i64, u32, usize)> = instants
        .iter()
        .enumerate()
        .map(|(i, (start, _))| (start.timestamp(), start.timestamp_subsec_nanos(), i))
        .collect();
    order.sort_by(|&(sa, na, a), &(sb, nb, b)| {
        (sa, na).cmp(&(sb, nb)).then_with(|| {
            let (x, y) = (&occurrences[a], &occurrences[b]);
            (&x.uid, instants[a].1, x.recurrence_id).cmp(&(&y.uid, instants[b].1, y.recurrence_id))
        })
    });
    let mut slots: Vec<Option<Occurrence>> = std::mem::take(occurrences).into_iter().map(Some).collect();
    *occurrences = order.iter().filter_map(|&(_, _, i)| slots[i].take()).collect();
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

/// How an EXDATE or RECURRENCE-ID names an instance: by its day (all-day series, DATE values)
/// or as an instant.
#[derive(Debug, Clone, Copy)]
enum Key {
    Date(NaiveDate),
    Instant(i64),
}

/// A set of instances named by [`Key`]s (the EXDATEs, or the instances overrides replace).
#[derive(Default)]
struct Keys {
    ts: HashSet<i64>,
    dates: HashSet<NaiveDate>,
}

impl Keys {
    fn insert(&mut self, key: Key) {
        match key {
            Key::Date(d) => self.dates.insert(d),
            Key::Instant(t) => self.ts.insert(t),
        };
    }

    fn contains(&self, key: Key) -> bool {
        match key {
            Key::Date(d) => self.dates.contains(&d),
            Key::Instant(t) => self.ts.contains(&t),
        }
    }

    /// True when the instance starting on `date` at instant `ts` is in the set.
    fn covers(&self, date: NaiveDate, ts: i64, date_series: bool) -> bool {
        self.dates.contains(&date) || (!date_series && self.ts.contains(&ts))
    }
}

/// The rule instances one series may still examine.
struct Steps {
    used: usize,
    max: usize,
}

/// How one series is read: the request, and the zone and kind of its master's DTSTART.
struct Frame<'a> {
    opts: &'a ExpandOptions,
    floating: Zone,
    /// The zone the series' wall clock runs in (the floating zone without a master).
    zone: Zone,
    /// The master is all-day.
    date_series: bool,
}

/// The overrides of a series: their own occurrences in the window, the instances they replace,
/// and the THISANDFUTURE ones that move later instances (sorted by `from`).
struct Overrides<'a> {
    found: Vec<Occurrence>,
    replaced: Keys,
    futures: Vec<Future<'a>>,
}

fn expand_series(
    s: &Series,
    opts: &ExpandOptions,
    floating: Zone,
    limits: &Limits,
    budget: &mut usize,
) -> (Vec<Occurrence>, bool) {
    let master = s.master.as_ref();
    let fr = Frame {
        opts,
        floating,
        zone: master.map_or(floating, |m| m.start.zone(floating)),
        date_series: master.is_some_and(|m| m.start.is_date()),
    };
    let mut exdates = Keys::default();
    for e in master.map(|m| m.exdates.as_slice()).unwrap_or_default() {
        exdates.insert(fr.key(e));
    }
    let mut steps = Steps { used: 0, max: limits.max_rule_steps.min(*budget) };
    let overrides = fr.overrides(s, &exdates, &mut steps);
    let mut found = overrides.found;
    let mut truncated = false;
    if let Some(m) = master {
        let mut set = Instances {
            fr: &fr,
            m,
            recurring: !m.rules.is_empty() || !m.rdates.is_empty(),
            exdates: &exdates,
            replaced: &overrides.replaced,
            futures: &overrides.futures,
            kept: BTreeMap::new(),
        };
        truncated = set.expand(&mut steps);
        found.extend(set.kept.into_values());
    }
    *budget = budget.saturating_sub(steps.used);
    finish(found, opts.max_per_event, truncated, opts)
}

impl Frame<'_> {
    /// How an EXDATE or RECURRENCE-ID names its instance: a DATE, or any value on an all-day
    /// series, by its own (written) day.
    fn key(&self, t: &Time) -> Key {
        match (self.date_series, t) {
            (true, t) | (_, t @ Time::Date(_)) => Key::Date(t.wall().date()),
            (false, t) => Key::Instant(t.instant(self.floating).timestamp()),
        }
    }

    fn overlaps(&self, start: When, end: When) -> bool {
        overlaps(self.opts, start, end)
    }

    /// Reads the overrides: each is emitted on its own, suppressing the instance it replaces.
    fn overrides<'s>(&self, s: &'s Series, exdates: &Keys, steps: &mut Steps) -> Overrides<'s> {
        let master = s.master.as_ref();
        let floating = self.floating;
        let mut out = Overrides { found: Vec::new(), replaced: Keys::default(), futures: Vec::new() };
        for o in &s.overrides {
            let Some(rid) = o.recurrence_id else { continue };
            let key = self.key(&rid);
            if let Some(m) = master
                && o.sequence < m.sequence
                && self.is_stale(m, &rid, key, exdates, steps)
            {
                continue;
            }
            out.replaced.insert(key);
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
            let rid_when = match key {
                Key::Date(d) => When::Date(d),
                Key::Instant(_) => When::DateTime(rid.instant(floating)),
            };
            if self.overlaps(start.when(), end) {
                out.found.push(occurrence(o, start.when(), end, Some(rid_when)));
            }
            if o.this_and_future && master.is_some() {
                let zone = o.start.zone(floating);
                out.futures.push(Future {
                    from: rid.instant(floating),
                    ev: o,
                    delta: wall_in(&o.start, zone, floating) - wall_in(&rid, zone, floating),
                });
            }
        }
        out.futures.sort_by_key(|f| f.from);
        out
    }

    /// An override older than its master is stale when the master (edited later) no longer has
    /// that instance: it was deleted (EXDATE) or the rule changed.
    fn is_stale(&self, m: &Event, rid: &Time, key: Key, exdates: &Keys, steps: &mut Steps) -> bool {
        let excluded = exdates.contains(key)
            || (!self.date_series && exdates.dates.contains(&self.zone.wall(rid.instant(self.floating)).date()));
        excluded || !self.is_instance(m, rid, steps)
    }

    /// True when the rule instance at `wall` is not past the rule's UNTIL (compared as an
    /// instant; a DATE UNTIL includes its whole day).
    fn within_until(&self, rule: &Rule, wall: NaiveDateTime) -> bool {
        match rule.until {
            None => true,
            Some(Until::Date(d)) => wall.date() <= d,
            Some(Until::Floating(n)) => wall <= n,
            Some(Until::Instant(u)) => {
                let inst = if self.date_series {
                    self.floating.to_utc(wall.date().and_time(chrono::NaiveTime::MIN))
                } else {
                    self.zone.to_utc(wall)
                };
                inst <= u
            }
        }
    }

    /// True when `rid` is an instance of the master's recurrence set (DTSTART, an RDATE, or an
    /// instance of one of its rules), compared as in matching overrides. Rule iteration counts
    /// against `steps`.
    fn is_instance(&self, m: &Event, rid: &Time, steps: &mut Steps) -> bool {
        let (frame, floating) = (self.zone, self.floating);
        // The target as a wall time in the series' frame, and how instances are compared with it.
        let by_date = self.date_series || rid.is_date();
        let target = if by_date {
            rid.wall().date().and_time(chrono::NaiveTime::MIN)
        } else {
            frame.wall(rid.instant(floating))
        };
        let same = |t: &Time| -> bool {
            if by_date {
                let day = if self.date_series || t.is_date() {
                    t.wall().date()
                } else {
                    frame.wall(t.instant(floating)).date()
                };
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
                steps.used += 1;
                if steps.used > steps.max || wall > to {
                    break;
                }
                if !self.within_until(rule, wall) {
                    continue;
                }
                let hit =
                    if by_date { wall.date() == target.date() } else { frame.to_utc(wall) == rid.instant(floating) };
                if hit {
                    return true;
                }
            }
        }
        false
    }
}

/// The master's instances in the window, keyed by original start (which deduplicates RRULE,
/// RDATE and DTSTART instances).
struct Instances<'a> {
    fr: &'a Frame<'a>,
    m: &'a Event,
    recurring: bool,
    exdates: &'a Keys,
    replaced: &'a Keys,
    futures: &'a [Future<'a>],
    kept: BTreeMap<i64, Occurrence>,
}

impl Instances<'_> {
    /// Gathers the instances; returns true when a step bound cut the rules short.
    fn expand(&mut self, steps: &mut Steps) -> bool {
        let m = self.m;
        if !self.recurring {
            self.consider(m.start.wall(), None);
            return false;
        }
        // RDATEs first: a PERIOD's own end wins over the same instance from the rule.
        for r in &m.rdates {
            let wall = match (self.fr.date_series, r.start) {
                (true, Time::Date(d)) => d.and_time(chrono::NaiveTime::MIN),
                (true, t) => t.wall().date().and_time(chrono::NaiveTime::MIN),
                (false, Time::Date(d)) => d.and_time(m.start.wall().time()),
                (false, t) => self.fr.zone.wall(t.instant(self.fr.floating)),
            };
            self.consider(wall, r.end.map(|e| (e, r.start)));
        }
        // DTSTART is the first instance, unless every RRULE ended before it (what clients write
        // when "this and all following" is deleted from the first instance).
        let all_rules_end_before =
            !m.rules.is_empty() && m.rules.iter().all(|r| !self.fr.within_until(r, m.start.wall()));
        if !all_rules_end_before {
            self.consider(m.start.wall(), None);
        }
        let (lo, hi) = self.search_bounds();
        for rule in &m.rules {
            if steps.used >= steps.max || self.add_rule_instances(rule, lo, hi, steps) {
                return true;
            }
        }
        false
    }

    /// The wall-clock span rule instances are looked for in: how far before the window an
    /// instance may start and still reach into it, and how far after it an instance may start
    /// and be moved into it.
    fn search_bounds(&self) -> (NaiveDateTime, NaiveDateTime) {
        let floating = self.fr.floating;
        let mut lookback = max_len(self.m, floating);
        let slack: i64 = if self.fr.date_series { 2 * 86_400 } else { 3 * 3600 };
        let mut lookahead = slack;
        for f in self.futures {
            lookback = lookback.max(max_len(f.ev, floating).saturating_add(f.delta.num_seconds().max(0)));
            lookahead = lookahead.max(slack.saturating_add(f.delta.num_seconds().saturating_neg().max(0)));
        }
        let window = &self.fr.opts.window;
        let lo = self.fr.zone.wall(shift_clamped(window.start, lookback.saturating_neg()));
        let hi = self.fr.zone.wall(shift_clamped(window.end, lookahead));
        (lo, hi)
    }

    /// Considers the instances of one rule between `lo` and `hi` (and its UNTIL); returns true
    /// when the step bound was hit.
    fn add_rule_instances(&mut self, rule: &Rule, lo: NaiveDateTime, hi: NaiveDateTime, steps: &mut Steps) -> bool {
        let Some(iter) = RuleIter::new(rule, self.m.start.wall(), lo) else {
            return false;
        };
        let stop = match rule.until {
            None => hi,
            Some(Until::Date(d)) => hi.min(add_days(d, 1).and_time(chrono::NaiveTime::MIN)),
            Some(Until::Floating(n)) => hi.min(n),
            Some(Until::Instant(u)) => hi.min(add_wall(self.fr.zone.wall(u), TimeDelta::days(1))),
        };
        let mut kept = 0usize;
        for wall in iter {
            steps.used += 1;
            if steps.used > steps.max {
                return true;
            }
            if wall > stop {
                break;
            }
            // Instants grow with wall time except across a DST fold: past UNTIL, check a few more.
            if wall < lo || !self.fr.within_until(rule, wall) {
                continue;
            }
            if self.consider(wall, None) {
                kept += 1;
                if kept > self.fr.opts.max_per_event {
                    // Enough from this rule: the union cannot need more of it.
                    break;
                }
            }
        }
        false
    }

    /// Considers one instance by its original wall-clock start (`explicit`: an RDATE PERIOD's
    /// own end); returns true when it is kept.
    fn consider(&mut self, wall: NaiveDateTime, explicit: Option<(EndSpec, Time)>) -> bool {
        let (fr, m) = (self.fr, self.m);
        let floating = fr.floating;
        let (orig, orig_utc, date) = if fr.date_series {
            let d = wall.date();
            (Inst::Date(d), floating.to_utc(d.and_time(chrono::NaiveTime::MIN)), d)
        } else {
            let u = fr.zone.to_utc(wall);
            (Inst::At(u, fr.zone), u, wall.date())
        };
        let key = orig_utc.timestamp();
        if self.kept.contains_key(&key) {
            return true;
        }
        if self.exdates.covers(date, key, fr.date_series) || self.replaced.covers(date, key, fr.date_series) {
            return false;
        }
        let future = match self.futures.partition_point(|f| f.from <= orig_utc) {
            0 => None,
            n => Some(&self.futures[n - 1]),
        };
        let (ev, start, end) = match future {
            Some(f) => {
                let start = moved_start(f, orig_utc, date, fr.date_series, floating);
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
                    Some((spec, spec_start)) if !fr.date_series => end_of(spec, &spec_start, orig, floating),
                    _ => end_of(m.end, &m.start, orig, floating),
                };
                (m, orig, end)
            }
        };
        if !fr.overlaps(start.when(), end) {
            return false;
        }
        let rid = self.recurring.then_some(orig.when());
        self.kept.insert(key, occurrence(ev, start.when(), end, rid));
        true
    }
}

/// Where a THISANDFUTURE override moves the instance originally at `orig_utc` (on `date`).
fn moved_start(f: &Future<'_>, orig_utc: DateTime<Utc>, date: NaiveDate, date_series: bool, floating: Zone) -> Inst {
    let zone = f.ev.start.zone(floating);
    if f.ev.start.is_date() {
        Inst::Date(add_wall(wall_in(&Time::Utc(orig_utc), zone, floating), f.delta).date())
    } else if date_series {
        let shifted = add_wall(date.and_time(chrono::NaiveTime::MIN), f.delta);
        Inst::At(zone.to_utc(shifted), zone)
    } else {
        Inst::At(zone.to_utc(add_wall(zone.wall(orig_utc), f.delta)), zone)
    }
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
