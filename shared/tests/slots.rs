//! Slot finding (`kenny::domain::slots`): hand-made busy sets with known answers — overlaps,
//! back-to-back meetings, all-day events, DST days, window edges, buffers, the grid, working
//! days — and a differential test against a brute force over minute grids.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use kenny::domain::slots::{Found, Interval, Query, Slot, WorkHours, find, working_time};
use proptest::prelude::*;
use serde_json::json;

const NY: Tz = chrono_tz::America::New_York;

/// A local wall-clock time in `tz`: "2026-12-01 09:30".
fn at(tz: Tz, local: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    kenny::domain::time::local_to_utc(naive, tz)
}

fn iv(tz: Tz, a: &str, b: &str) -> Interval {
    Interval::new(at(tz, a), at(tz, b)).unwrap()
}

fn query(tz: Tz, start: &str, end: &str, duration: u32) -> Query {
    Query {
        window: iv(tz, start, end),
        tz,
        duration,
        hours: WorkHours::default(),
        buffer: 0,
        granularity: 15,
        max_results: 50,
    }
}

/// Slots as "MM-DD HH:MM-HH:MM (until HH:MM)" in `tz`.
fn show(found: &Found, tz: Tz) -> Vec<String> {
    found
        .slots
        .iter()
        .map(|s| {
            let f = |t: DateTime<Utc>, fmt: &str| t.with_timezone(&tz).format(fmt).to_string();
            format!("{}-{} (until {})", f(s.start, "%m-%d %H:%M"), f(s.end, "%H:%M"), f(s.free_until, "%H:%M"))
        })
        .collect()
}

#[test]
fn overlapping_and_back_to_back_meetings_of_several_people() {
    // Tuesday 1 December 2026, New York.
    let q = query(NY, "2026-12-01 00:00", "2026-12-02 00:00", 30);
    let busy = [
        // me: 09:30–10:00, then 10:00–11:00 back to back, then 13:00–14:00
        iv(NY, "2026-12-01 09:30", "2026-12-01 10:00"),
        iv(NY, "2026-12-01 10:00", "2026-12-01 11:00"),
        iv(NY, "2026-12-01 13:00", "2026-12-01 14:00"),
        // Alice: 10:30–11:45 overlaps my 10–11; 13:30–15:10 overlaps my 13–14
        iv(NY, "2026-12-01 10:30", "2026-12-01 11:45"),
        iv(NY, "2026-12-01 13:30", "2026-12-01 15:10"),
        // Bob: 12:00–12:20 leaves a 40-minute gap to 13:00; 16:40–18:00 runs past working hours
        iv(NY, "2026-12-01 12:00", "2026-12-01 12:20"),
        iv(NY, "2026-12-01 16:40", "2026-12-01 18:00"),
    ];
    let found = find(&q, &busy);
    // 11:45–12:00 is too short; 12:20 rounds up to 12:30 on the 15-minute grid; 15:10 to 15:15.
    assert_eq!(
        show(&found, NY),
        ["12-01 09:00-09:30 (until 09:30)", "12-01 12:30-13:00 (until 13:00)", "12-01 15:15-15:45 (until 16:40)"]
    );
    assert!(!found.truncated);
    // A 40-minute meeting no longer fits 12:20–13:00 once it is rounded to 12:30.
    let q40 = Query { duration: 40, ..q.clone() };
    assert_eq!(show(&find(&q40, &busy), NY), ["12-01 15:15-15:55 (until 16:40)"]);
    // On a 5-minute grid it does.
    let fine = Query { duration: 40, granularity: 5, ..q };
    assert_eq!(show(&find(&fine, &busy), NY), ["12-01 12:20-13:00 (until 13:00)", "12-01 15:10-15:50 (until 16:40)"]);
}

#[test]
fn buffers_keep_time_around_every_meeting() {
    let q = Query { buffer: 10, ..query(NY, "2026-12-01 00:00", "2026-12-02 00:00", 30) };
    let busy = [iv(NY, "2026-12-01 09:00", "2026-12-01 10:00"), iv(NY, "2026-12-01 11:00", "2026-12-01 16:00")];
    // 10:10 → 10:15 on the grid; the period ends 10 minutes before 11:00; 16:10 → 16:15.
    assert_eq!(show(&find(&q, &busy), NY), ["12-01 10:15-10:45 (until 10:50)", "12-01 16:15-16:45 (until 17:00)"]);
    // Without the buffer the meeting could start at 10:00.
    let q0 = Query { buffer: 0, ..q };
    assert_eq!(show(&find(&q0, &busy), NY)[0], "12-01 10:00-10:30 (until 11:00)");
}

#[test]
fn all_day_events_block_whole_days_and_working_days_are_respected() {
    // Thursday 3 to Monday 7 December: Thursday is taken by an all-day event (local midnight to
    // midnight, as calendar.freebusy reports it); the weekend is not working time.
    let q = query(NY, "2026-12-03 00:00", "2026-12-08 00:00", 60);
    let busy = [iv(NY, "2026-12-03 00:00", "2026-12-04 00:00")];
    assert_eq!(show(&find(&q, &busy), NY), ["12-04 09:00-10:00 (until 17:00)", "12-07 09:00-10:00 (until 17:00)"]);
    // With Saturday as a working day, Saturday appears.
    let sat = Query { hours: WorkHours::parse("09:00-17:00", "mon-sat").unwrap(), ..q };
    assert_eq!(show(&find(&sat, &busy), NY)[1], "12-05 09:00-10:00 (until 17:00)");
}

#[test]
fn window_edges_cut_working_time() {
    // The window starts at 10:07 and ends at 15:00: the first slot is on the grid after 10:07,
    // and nothing reaches past 15:00.
    let q = query(NY, "2026-12-01 10:07", "2026-12-01 15:00", 60);
    let busy = [iv(NY, "2026-12-01 11:00", "2026-12-01 14:10")];
    // 10:15–11:00 is only 45 minutes; 14:15–15:00 likewise.
    assert!(find(&q, &busy).slots.is_empty());
    let q45 = Query { duration: 45, ..q.clone() };
    assert_eq!(show(&find(&q45, &busy), NY), ["12-01 10:15-11:00 (until 11:00)", "12-01 14:15-15:00 (until 15:00)"]);
    // A busy interval reaching over both window ends leaves nothing.
    let all = [iv(NY, "2026-11-30 00:00", "2026-12-05 00:00")];
    assert!(find(&q45, &all).slots.is_empty());
    // A slot may end exactly at the end of the working day.
    let end = query(NY, "2026-12-01 16:00", "2026-12-02 00:00", 60);
    assert_eq!(show(&find(&end, &[]), NY), ["12-01 16:00-17:00 (until 17:00)"]);
}

#[test]
fn dst_days_keep_working_hours_in_wall_clock_time() {
    // Sunday 8 March 2026 (US clocks spring forward) to Tuesday: every day 09:00–17:00 local.
    let q = Query {
        hours: WorkHours::parse("09:00-17:00", "all").unwrap(),
        max_results: 10,
        ..query(NY, "2026-03-07 00:00", "2026-03-10 00:00", 60)
    };
    let found = find(&q, &[]);
    assert_eq!(
        show(&found, NY),
        ["03-07 09:00-10:00 (until 17:00)", "03-08 09:00-10:00 (until 17:00)", "03-09 09:00-10:00 (until 17:00)"]
    );
    // The offsets differ across the change: 09:00 EST is 14:00 UTC, 09:00 EDT is 13:00 UTC.
    assert_eq!(found.slots[0].start.hour(), 14);
    assert_eq!(found.slots[2].start.hour(), 13);
    // A whole-day search on the 23-hour day: free from local midnight to local midnight.
    let day = Query { hours: WorkHours::ALWAYS, ..query(NY, "2026-03-08 00:00", "2026-03-09 00:00", 60) };
    let s = find(&day, &[iv(NY, "2026-03-08 01:00", "2026-03-08 04:00")]).slots;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].free_until - s[0].start, Duration::hours(1));
    // 04:00 EDT → midnight: 20 hours, not 21.
    assert_eq!(s[1].free_until - s[1].start, Duration::hours(20));
    // Fall back (1 November 2026): the 25-hour day.
    let fall = Query { hours: WorkHours::ALWAYS, ..query(NY, "2026-11-01 00:00", "2026-11-02 00:00", 60) };
    let s = find(&fall, &[]).slots;
    assert_eq!(s[0].free_until - s[0].start, Duration::hours(25));
}

#[test]
fn ranked_earliest_first_and_truncated() {
    let q = Query { max_results: 3, ..query(NY, "2026-11-30 00:00", "2026-12-05 00:00", 30) };
    let busy = [iv(NY, "2026-11-30 12:00", "2026-11-30 13:00"), iv(NY, "2026-12-01 12:00", "2026-12-01 13:00")];
    let found = find(&q, &busy);
    assert_eq!(
        show(&found, NY),
        ["11-30 09:00-09:30 (until 12:00)", "11-30 13:00-13:30 (until 17:00)", "12-01 09:00-09:30 (until 12:00)"]
    );
    assert!(found.truncated);
    let starts: Vec<_> = found.slots.iter().map(|s| s.start).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn working_time_is_per_local_day_and_merged() {
    let w = iv(NY, "2026-12-04 12:00", "2026-12-08 00:00");
    let pieces = working_time(w, NY, &WorkHours::default());
    // Friday afternoon (from the window start), Monday.
    assert_eq!(pieces.len(), 2);
    assert_eq!(pieces[0].start, at(NY, "2026-12-04 12:00"));
    assert_eq!(pieces[1].end, at(NY, "2026-12-07 17:00"));
    // Whole days touch at midnight: one piece.
    assert_eq!(working_time(w, NY, &WorkHours::ALWAYS), vec![w]);
}

#[test]
fn the_capability_reads_freebusy_responses_and_reports_unknown_people() {
    let freebusy = json!({
        "window": {"start": "x", "end": "y"},
        "people": [
            {"person": "me", "emails": [], "busy": [{"start": "2026-12-01T09:00:00-05:00", "end": "2026-12-01T12:00:00-05:00"}], "source": "events", "complete": true}
        ],
        "unknown": [],
        "calendars": [{"id": "work", "cache": "miss"}]
    });
    let alice = json!({"people": [{"person": "alice@x.org", "busy": [{"start": "2026-12-01T12:00:00-05:00", "end": "2026-12-01T16:00:00-05:00"}]}], "unknown": ["bob@x.org"]});
    let params = json!({
        "start": "2026-12-01T00:00:00-05:00", "end": "2026-12-02T00:00:00-05:00", "timezone": "America/New_York",
        "duration_minutes": 30, "busy": [freebusy, alice, [{"start": "2026-12-01T16:00:00-05:00", "end": "2026-12-01T16:30:00-05:00"}]]
    });
    let out = kenny::domain::slots::invoke(params.clone(), &Default::default(), NY).unwrap();
    assert_eq!(
        out["slots"],
        json!([{"start": "2026-12-01T16:30:00-05:00", "end": "2026-12-01T17:00:00-05:00", "free_until": "2026-12-01T17:00:00-05:00"}])
    );
    assert_eq!(out["participants"], json!(["me", "alice@x.org"]));
    assert_eq!(out["unknown"], json!(["bob@x.org"]));
    assert_eq!((out["hours"].as_str(), out["days"].as_str()), (Some("09:00-17:00"), Some("mon,tue,wed,thu,fri")));

    let bad = |patch: serde_json::Value| {
        let mut p = params.clone();
        for (k, v) in patch.as_object().unwrap() {
            p[k] = v.clone();
        }
        let e = kenny::domain::slots::invoke(p, &Default::default(), NY).unwrap_err();
        (e.code, e.field)
    };
    assert_eq!(bad(json!({"duration_minutes": 0})), ("invalid_request".into(), Some("duration_minutes".into())));
    assert_eq!(bad(json!({"end": "2027-03-01"})), ("window_too_large".into(), Some("end".into())));
    assert_eq!(bad(json!({"hours": "18:00-09:00"})), ("invalid_request".into(), Some("hours".into())));
    assert_eq!(bad(json!({"granularity_minutes": 7})), ("invalid_request".into(), Some("granularity_minutes".into())));
    assert_eq!(bad(json!({"max_results": 1000})), ("invalid_request".into(), Some("max_results".into())));
    assert_eq!(bad(json!({"colour": "red"})), ("invalid_request".into(), Some("colour".into())));
    assert_eq!(bad(json!({"busy": [[{"start": "soon", "end": "later"}]]})).0, "invalid_request");
    let many: Vec<_> = (0..60).map(|_| json!([])).collect();
    assert_eq!(bad(json!({"busy": many})).0, "too_large");
}

// ---- differential: the same answer as a brute force over every minute -------------------------

/// Minutes after local midnight.
fn local_minute(t: DateTime<Utc>, tz: Tz) -> u32 {
    let l = t.with_timezone(&tz);
    l.hour() * 60 + l.minute()
}

/// The rules, minute by minute: a minute is free when it is working time (its local weekday and
/// wall-clock minute) and no busy interval, widened by the buffer, holds it. Free runs are the
/// free periods; a slot starts at the first minute of a run on the local grid.
fn brute(q: &Query, busy: &[Interval]) -> Found {
    use chrono::Datelike;
    let minute = Duration::minutes(1);
    let pad = Duration::minutes(i64::from(q.buffer));
    let n = (q.window.end - q.window.start).num_minutes();
    let free: Vec<bool> = (0..n)
        .map(|k| {
            let t = q.window.start + Duration::minutes(k);
            let l = t.with_timezone(&q.tz);
            let m = local_minute(t, q.tz);
            let working =
                q.hours.days[l.weekday().num_days_from_monday() as usize] && m >= q.hours.start && m < q.hours.end;
            working && !busy.iter().any(|b| t + minute > b.start - pad && t < b.end + pad)
        })
        .collect();
    let mut slots = Vec::new();
    let mut truncated = false;
    let mut k = 0;
    while k < n {
        if !free[k as usize] {
            k += 1;
            continue;
        }
        let a = k;
        while k < n && free[k as usize] {
            k += 1;
        }
        let run_end = q.window.start + Duration::minutes(k);
        let first = (a..k)
            .map(|m| q.window.start + Duration::minutes(m))
            .find(|t| local_minute(*t, q.tz).is_multiple_of(q.granularity));
        if let Some(s) = first {
            let e = s + Duration::minutes(i64::from(q.duration));
            if e <= run_end {
                if slots.len() == q.max_results {
                    truncated = true;
                    break;
                }
                slots.push(Slot { start: s, end: e, free_until: run_end });
            }
        }
    }
    Found { slots, truncated }
}

/// Zones with DST changes at 02:00/03:00 (US, EU), a half-hour change (Lord Howe), a half-hour
/// offset without DST (Kolkata) and UTC; windows near their changes.
fn zone_and_base() -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
    let cases: Vec<(Tz, (i32, u32, u32))> = vec![
        (NY, (2026, 3, 6)),
        (NY, (2026, 10, 30)),
        (chrono_tz::Europe::Berlin, (2026, 3, 27)),
        (chrono_tz::Europe::Berlin, (2026, 10, 23)),
        (chrono_tz::Australia::Lord_Howe, (2026, 4, 3)),
        (chrono_tz::Asia::Kolkata, (2026, 6, 1)),
        (chrono_tz::UTC, (2026, 12, 24)),
    ];
    proptest::sample::select(cases).prop_map(|(tz, (y, m, d))| {
        let day = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(0, 0, 0).unwrap();
        (tz, tz.from_local_datetime(&day).earliest().unwrap().with_timezone(&Utc))
    })
}

/// Working-hour bounds away from the DST changes' hours (01:00–03:00), where a repeated local
/// hour makes "the first occurrence" (the fast rule) and "every minute" (the brute force) differ.
const BOUNDS: [u32; 7] = [0, 6 * 60, 8 * 60 + 30, 9 * 60, 12 * 60, 17 * 60, 24 * 60];

fn case() -> impl Strategy<Value = (Query, Vec<Interval>)> {
    (
        zone_and_base(),
        0i64..2 * 1440,
        60i64..5 * 1440,
        proptest::collection::vec((-600i64..8000, 1i64..600, proptest::bool::ANY), 0..40),
        (
            1u32..=240,
            proptest::sample::select(vec![0u32, 5, 10, 15, 30]),
            proptest::sample::select(vec![1u32, 5, 15, 30, 60]),
        ),
        (0usize..BOUNDS.len(), 0usize..BOUNDS.len(), 1u8..128, 1usize..=20),
    )
        .prop_map(
            |((tz, base), offset, len, raw, (duration, buffer, granularity), (h1, h2, mask, max_results))| {
                let start = base + Duration::minutes(offset);
                let window = Interval::new(start, start + Duration::minutes(len)).unwrap();
                let (a, b) = (BOUNDS[h1.min(h2)], BOUNDS[h1.max(h2)]);
                let (a, b) = if a == b { (0, 1440) } else { (a, b) };
                let days = std::array::from_fn(|i| mask & (1 << i) != 0);
                let busy = raw
                    .into_iter()
                    .filter_map(|(s, l, whole_day)| {
                        let s = start + Duration::minutes(s);
                        if whole_day {
                            // An all-day event: local midnight to local midnight.
                            let d = s.with_timezone(&tz).date_naive();
                            let m =
                                |d: NaiveDate| kenny::domain::time::local_to_utc(d.and_hms_opt(0, 0, 0).unwrap(), tz);
                            Interval::new(m(d), m(d.succ_opt().unwrap()))
                        } else {
                            Interval::new(s, s + Duration::minutes(l))
                        }
                    })
                    .collect();
                let q = Query {
                    window,
                    tz,
                    duration,
                    hours: WorkHours { start: a, end: b, days },
                    buffer,
                    granularity,
                    max_results,
                };
                (q, busy)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_same_slots_as_a_brute_force_over_minutes((q, busy) in case()) {
        let fast = find(&q, &busy);
        let slow = brute(&q, &busy);
        prop_assert_eq!(fast, slow, "query {:?}", q);
    }
}
