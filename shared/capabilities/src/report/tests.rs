use super::*;
use kenny_ports::timing::MemoryStore;

const SHAPE: &str = "contacts.resolve*2>calendar.read@next_week";

fn base() -> DateTime<Utc> {
    "2026-11-27T00:00:00Z".parse().unwrap()
}

fn at(minute: i64) -> DateTime<Utc> {
    base() + Duration::minutes(minute)
}

/// A day-long window starting at `base()`.
fn day() -> (DateTime<Utc>, DateTime<Utc>) {
    (base(), base() + Duration::days(1))
}

fn request(id: &str, minute: i64, total: f64) -> TimingRecord {
    TimingRecord {
        request_id: id.into(),
        kind: RecordKind::Request,
        capability: "coordinate".into(),
        at: at(minute),
        duration_ms: total,
        status: "ok".into(),
        total_ms: Some(total),
        critical_path_ms: Some(total),
        sum_of_steps_ms: Some(total),
        max_in_flight: Some(1),
        sequential: Some(false),
        plan_shape: Some(SHAPE.into()),
        ..TimingRecord::default()
    }
}

fn step(id: &str, index: usize, minute: i64, capability: &str, ms: f64) -> TimingRecord {
    TimingRecord {
        request_id: id.into(),
        kind: RecordKind::Step,
        capability: capability.into(),
        step: Some(index),
        at: at(minute),
        duration_ms: ms,
        status: "ok".into(),
        transport: Some("in_process".into()),
        ..TimingRecord::default()
    }
}

fn sequential(mut r: TimingRecord) -> TimingRecord {
    r.sequential = Some(true);
    r
}

fn row<'a>(rows: &'a [LatencyRow], capability: &str) -> &'a LatencyRow {
    rows.iter().find(|r| r.capability == capability).unwrap()
}

#[test]
fn nearest_rank_percentiles() {
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&ten, 50), Some(5.0));
    assert_eq!(percentile(&ten, 90), Some(9.0));
    assert_eq!(percentile(&ten, 95), Some(10.0), "rank ceil(9.5) = 10");
    assert_eq!(percentile(&ten, 99), Some(10.0));
    let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
    assert_eq!(percentile(&twenty, 95), Some(19.0), "rank 19 exactly, no float rounding up");
    assert_eq!(percentile(&twenty, 50), Some(10.0));
    assert_eq!(percentile(&[7.5], 50), Some(7.5));
    assert_eq!(percentile(&[7.5], 99), Some(7.5));
    assert_eq!(percentile(&[], 50), None);
    // Ties: the value at the rank, whichever of the equal values it is.
    assert_eq!(percentile(&[2.0, 2.0, 2.0, 5.0], 50), Some(2.0));
    assert_eq!(percentile(&[2.0, 2.0, 2.0, 5.0], 95), Some(5.0));
}

#[test]
fn empty_input_gives_every_section_with_nothing_in_it() {
    let (since, until) = day();
    let r = build(&[], since, until);
    assert_eq!((r.records, r.requests, r.truncated), (0, 0, false));
    assert_eq!(r.capabilities.len(), 1, "coordinate is always listed");
    let c = &r.capabilities[0];
    assert_eq!((c.capability.as_str(), c.count, c.p50_ms, c.success_rate), ("coordinate", 0, None, None));
    assert!(r.step_kinds.is_empty());
    assert_eq!(r.cache.overall.steps, 0);
    assert_eq!(r.cache.overall.hit_ratio, None);
    let tiers: Vec<&str> = r.cache.overall.tiers.iter().map(|t| t.tier.as_str()).collect();
    assert_eq!(tiers, TIERS);
    assert_eq!((r.speedup.count, r.speedup.p50, r.speedup.max), (0, None, None));
    assert_eq!(r.speedup.histogram.len(), SPEEDUP_EDGES.len() + 1);
    assert!(r.speedup.histogram.iter().all(|b| b.count == 0));
    assert!(r.ab.pairs.is_empty());
    assert_eq!((r.ab.overall.ratio, r.ab.overall.verdict.as_str()), (None, "insufficient_data"));
    assert_eq!(r.trends.len(), 1);
    assert_eq!(r.trends[0].verdict, "insufficient_data");
    assert_eq!(r.rules.trend_threshold, TREND_THRESHOLD);
    assert_eq!(r.rules.trend_min_count, TREND_MIN_COUNT);
}

#[test]
fn one_request_is_its_own_percentiles() {
    let (since, until) = day();
    let mut req = request("a", 10, 8.0);
    req.sum_of_steps_ms = Some(10.0);
    let records = vec![
        req,
        step("a", 0, 10, "contacts.resolve", 2.0),
        step("a", 1, 10, "contacts.resolve", 3.0),
        step("a", 2, 10, "calendar.read", 5.0),
    ];
    let r = build(&records, since, until);
    assert_eq!((r.records, r.requests), (4, 1));
    let c = row(&r.capabilities, "coordinate");
    assert_eq!(
        (c.count, c.p50_ms, c.p95_ms, c.p99_ms, c.success_rate),
        (1, Some(8.0), Some(8.0), Some(8.0), Some(1.0))
    );
    let names: Vec<&str> = r.capabilities.iter().map(|c| c.capability.as_str()).collect();
    assert_eq!(names, ["coordinate", "calendar.read", "contacts.resolve"]);
    let contacts = row(&r.capabilities, "contacts.resolve");
    assert_eq!((contacts.count, contacts.p50_ms, contacts.p99_ms), (2, Some(2.0), Some(3.0)));
    assert_eq!((r.speedup.count, r.speedup.p50, r.speedup.max), (1, Some(1.25), Some(1.25)));
}

#[test]
fn success_rate_errors_and_step_kinds() {
    let (since, until) = day();
    let mut degraded = request("b", 20, 30.0);
    degraded.status = "degraded".into();
    let mut failed = step("b", 0, 20, "contacts.resolve", 10.0);
    failed.status = "error".into();
    failed.error_code = Some("timeout".into());
    let mut failed_too = step("b", 1, 20, "contacts.resolve", 10.0);
    failed_too.status = "error".into();
    failed_too.error_code = Some("timeout".into());
    let mut skipped = step("b", 2, 20, "calendar.read", 0.0);
    skipped.status = "skipped".into();
    skipped.error_code = Some("dependency_failed".into());
    let mut lambda = step("a", 0, 10, "contacts.resolve", 4.0);
    lambda.transport = Some("lambda".into());
    let records = vec![
        request("a", 10, 6.0),
        lambda,
        step("a", 1, 10, "calendar.read", 2.0),
        degraded,
        failed,
        failed_too,
        skipped,
    ];
    let r = build(&records, since, until);

    let c = row(&r.capabilities, "coordinate");
    assert_eq!((c.count, c.ok, c.degraded, c.success_rate), (2, 1, 1, Some(0.5)), "degraded is not a success");
    assert_eq!(c.errors_by_code, BTreeMap::from([("timeout".to_string(), 1)]), "one degraded request, one code");

    let contacts = row(&r.capabilities, "contacts.resolve");
    assert_eq!((contacts.count, contacts.ok, contacts.error), (3, 1, 2));
    assert_eq!(contacts.success_rate, Some(0.333333));
    assert_eq!(contacts.errors_by_code, BTreeMap::from([("timeout".to_string(), 2)]));

    let calendar = row(&r.capabilities, "calendar.read");
    assert_eq!((calendar.count, calendar.timed, calendar.skipped), (2, 1, 1));
    assert_eq!(calendar.success_rate, Some(1.0), "skipped counts in neither");
    assert_eq!(calendar.p99_ms, Some(2.0), "a skipped step has no duration");
    assert_eq!(calendar.errors_by_code, BTreeMap::from([("dependency_failed".to_string(), 1)]));

    let kinds: Vec<(&str, Option<&str>, usize)> =
        r.step_kinds.iter().map(|k| (k.capability.as_str(), k.transport.as_deref(), k.count)).collect();
    assert_eq!(
        kinds,
        [
            ("calendar.read", Some("in_process"), 2),
            ("contacts.resolve", Some("in_process"), 2),
            ("contacts.resolve", Some("lambda"), 1),
        ]
    );
}

#[test]
fn cache_ratios_per_tier_over_steps_that_report_one() {
    let (since, until) = day();
    let tiered = |i: usize, cap: &str, tier: Option<&str>| {
        let mut s = step("a", i, 1, cap, 1.0);
        s.cache = tier.map(str::to_string);
        s
    };
    let records = vec![
        request("a", 1, 5.0),
        tiered(0, "contacts.resolve", Some("l1")),
        tiered(1, "contacts.resolve", Some("l1")),
        tiered(2, "calendar.read", Some("miss")),
        tiered(3, "calendar.read", Some("validated")),
        tiered(4, "calendar.read", Some("l3")),
        tiered(5, "calendar.read", None),
    ];
    let r = build(&records, since, until);
    let all = &r.cache.overall;
    assert_eq!((all.capability.as_str(), all.steps), ("all", 5), "the step without a tier is left out");
    assert_eq!(all.hit_ratio, Some(0.6));
    let shares: Vec<(&str, usize, Option<f64>)> =
        all.tiers.iter().map(|t| (t.tier.as_str(), t.count, t.ratio)).collect();
    assert_eq!(
        shares,
        [
            ("l1", 2, Some(0.4)),
            ("l2", 0, Some(0.0)),
            ("validated", 1, Some(0.2)),
            ("miss", 1, Some(0.2)),
            ("l3", 1, Some(0.2)),
        ]
    );
    let calendar = r.cache.by_capability.iter().find(|b| b.capability == "calendar.read").unwrap();
    assert_eq!((calendar.steps, calendar.hit_ratio), (3, Some(0.333333)));
    let contacts = r.cache.by_capability.iter().find(|b| b.capability == "contacts.resolve").unwrap();
    assert_eq!((contacts.steps, contacts.hit_ratio), (2, Some(1.0)));
}

#[test]
fn speedup_distribution_and_bucket_edges() {
    let (since, until) = day();
    let with_speedup = |id: &str, s: f64| {
        let mut r = request(id, 1, 10.0);
        r.sum_of_steps_ms = Some(10.0 * s);
        r
    };
    let mut zero = request("zero", 1, 0.0);
    zero.sum_of_steps_ms = Some(0.0);
    let records = vec![
        with_speedup("a", 0.99),
        with_speedup("b", 1.0),
        with_speedup("c", 1.1),
        with_speedup("d", 1.3),
        with_speedup("e", 2.0),
        with_speedup("f", 2.5),
        sequential(with_speedup("g", 0.5)),
        zero,
    ];
    let r = build(&records, since, until);
    let s = &r.speedup;
    assert_eq!((s.count, s.sequential_excluded), (6, 1), "sequential and zero-total requests are left out");
    assert_eq!((s.p50, s.p90, s.max), (Some(1.1), Some(2.5), Some(2.5)));
    let buckets: Vec<(f64, Option<f64>, usize)> = s.histogram.iter().map(|b| (b.from, b.to, b.count)).collect();
    assert_eq!(
        buckets,
        [
            (0.0, Some(1.0), 1),
            (1.0, Some(1.1), 1),
            (1.1, Some(1.25), 1),
            (1.25, Some(1.5), 1),
            (1.5, Some(2.0), 0),
            (2.0, None, 2),
        ],
        "lower edges are inclusive"
    );
}

#[test]
fn ab_pairs_by_plan_shape() {
    let (since, until) = day();
    let other = |mut r: TimingRecord| {
        r.plan_shape = Some("calendar.read@tomorrow".into());
        r
    };
    let mut degraded = sequential(request("x", 1, 1000.0));
    degraded.status = "degraded".into();
    let mut old = request("old", 1, 1.0);
    old.plan_shape = None;
    let records = vec![
        sequential(request("s1", 1, 12.0)),
        sequential(request("s2", 2, 10.0)),
        sequential(request("s3", 3, 14.0)),
        request("c1", 4, 8.0),
        request("c2", 5, 10.0),
        degraded,
        other(request("t1", 6, 3.0)),
        old,
    ];
    let r = build(&records, since, until);
    assert_eq!(r.ab.pairs.len(), 1);
    let p = &r.ab.pairs[0];
    assert_eq!(p.plan_shape, SHAPE);
    assert_eq!((p.sequential.count, p.sequential.median_total_ms), (3, Some(12.0)), "the degraded one is left out");
    assert_eq!((p.concurrent.count, p.concurrent.median_total_ms), (2, Some(8.0)));
    assert_eq!(p.ratio, Some(1.5));
    assert_eq!(r.ab.unpaired_requests, 1, "the tomorrow shape has no sequential side; no shape is no pair");
    assert_eq!((r.ab.overall.shapes, r.ab.overall.pairs, r.ab.overall.ratio), (1, 2, Some(1.5)));
    assert_eq!(r.ab.overall.verdict, "insufficient_data", "2 pairs < {AB_MIN_PAIRS}");
}

#[test]
fn ab_overall_is_a_pair_weighted_geometric_mean_with_a_verdict() {
    let (since, until) = day();
    let shaped = |r: TimingRecord, shape: &str| TimingRecord { plan_shape: Some(shape.into()), ..r };
    let mut records = Vec::new();
    // Shape A: 4 pairs, ratio 2.0. Shape B: 1 pair, ratio 0.5.
    for i in 0..4 {
        records.push(shaped(sequential(request(&format!("as{i}"), i, 20.0)), "a"));
        records.push(shaped(request(&format!("ac{i}"), i, 10.0), "a"));
    }
    records.push(shaped(sequential(request("bs", 9, 5.0)), "b"));
    records.push(shaped(request("bc", 9, 10.0), "b"));
    let r = build(&records, since, until);
    assert_eq!((r.ab.overall.shapes, r.ab.overall.pairs), (2, 5));
    // exp((4 ln 2 + ln 0.5) / 5) = 2^(3/5)
    assert_eq!(r.ab.overall.ratio, Some(round6(2f64.powf(0.6))));
    assert_eq!(r.ab.overall.verdict, "concurrent_faster");

    let even: Vec<TimingRecord> = (0..5)
        .flat_map(|i| [sequential(request(&format!("s{i}"), i, 10.4)), request(&format!("c{i}"), i, 10.0)])
        .collect();
    assert_eq!(build(&even, since, until).ab.overall.verdict, "no_difference", "within ±{AB_MARGIN}");
    let slower: Vec<TimingRecord> = (0..5)
        .flat_map(|i| [sequential(request(&format!("s{i}"), i, 8.0)), request(&format!("c{i}"), i, 10.0)])
        .collect();
    assert_eq!(build(&slower, since, until).ab.overall.verdict, "sequential_faster");
}

/// `n` concurrent requests of `ms` each, spread over the first or the second half of the day.
fn half_of(prefix: &str, n: usize, later: bool, ms: f64) -> Vec<TimingRecord> {
    (0..n)
        .flat_map(|i| {
            let id = format!("{prefix}{i}");
            let minute = i as i64 + if later { 720 } else { 0 };
            [request(&id, minute, ms), step(&id, 0, minute, "calendar.read", ms / 2.0)]
        })
        .collect()
}

fn verdict(r: &Report, capability: &str) -> (String, Option<f64>) {
    let t = r.trends.iter().find(|t| t.capability == capability).unwrap();
    (t.verdict.clone(), t.change)
}

#[test]
fn trends_compare_the_halves_with_stated_thresholds() {
    let (since, until) = day();
    let run = |early: f64, late: f64| {
        let mut records = half_of("e", 20, false, early);
        records.extend(half_of("l", 20, true, late));
        build(&records, since, until)
    };
    assert_eq!(verdict(&run(10.0, 12.0), "coordinate"), ("declining".into(), Some(0.2)));
    assert_eq!(verdict(&run(10.0, 8.0), "coordinate"), ("improving".into(), Some(-0.2)));
    assert_eq!(verdict(&run(10.0, 10.5), "calendar.read"), ("stable".into(), Some(0.05)));
    // Exactly at the threshold is stable, both ways.
    assert_eq!(verdict(&run(100.0, 110.0), "coordinate"), ("stable".into(), Some(0.1)));
    assert_eq!(verdict(&run(100.0, 90.0), "coordinate"), ("stable".into(), Some(-0.1)));

    let r = run(10.0, 12.0);
    let t = &r.trends[0];
    assert_eq!((t.earlier.since, t.later.since), (since, since + Duration::hours(12)));
    assert_eq!((t.earlier.count, t.later.count), (20, 20));
}

#[test]
fn trends_need_enough_records_in_each_half_and_leave_sequential_runs_out() {
    let (since, until) = day();
    let mut records = half_of("e", TREND_MIN_COUNT - 1, false, 10.0);
    records.extend(half_of("l", 40, true, 20.0));
    let r = build(&records, since, until);
    let (v, change) = verdict(&r, "coordinate");
    assert_eq!(v, "insufficient_data");
    assert_eq!(change, Some(1.0), "the change is still shown");

    // Sequential requests (and their steps) do not fill a half.
    let mut records = half_of("e", 20, false, 10.0);
    records.extend(half_of("l", 20, true, 10.0));
    assert_eq!((records[0].kind, records[1].request_id.as_str()), (RecordKind::Request, "e0"));
    records[0].sequential = Some(true);
    let r = build(&records, since, until);
    let t = &r.trends[0];
    assert_eq!((t.earlier.count, t.verdict.as_str()), (19, "insufficient_data"));
    let cal = r.trends.iter().find(|t| t.capability == "calendar.read").unwrap();
    assert_eq!(cal.earlier.count, 19, "the sequential request's step is left out too");
}

#[test]
fn records_outside_the_window_are_ignored_and_the_report_round_trips() {
    let (since, until) = day();
    let records = vec![
        request("before", -1, 1.0),
        request("in", 0, 2.0),
        request("after", 24 * 60, 3.0),
        request("last", 1439, 4.0),
    ];
    let r = build(&records, since, until);
    assert_eq!(r.requests, 2, "since is inclusive, until exclusive");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["since"], "2026-11-27T00:00:00Z");
    assert_eq!(json["rules"]["trend_threshold"], TREND_THRESHOLD);
    assert!(json["capabilities"][0].get("transport").is_none());
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn durations_and_windows() {
    assert_eq!(parse_duration("90m"), Some(Duration::minutes(90)));
    assert_eq!(parse_duration("24h"), Some(Duration::hours(24)));
    assert_eq!(parse_duration(" 7d "), Some(Duration::days(7)));
    assert_eq!(parse_duration("15min"), Some(Duration::minutes(15)));
    for bad in ["", "h", "0h", "-1h", "1.5h", "24", "24 h", "1w", "99999999999d"] {
        assert_eq!(parse_duration(bad), None, "{bad:?}");
    }
    let now = base();
    let default = window(&ReportRequest::default(), now).unwrap();
    assert_eq!(default, (now - Duration::hours(24), now));
    let ask = |s: &str| window(&ReportRequest { since: Some(s.into()) }, now);
    assert_eq!(ask("31d").unwrap().0, now - Duration::days(31));
    let long = ask("32d").unwrap_err();
    assert_eq!((long.code(), long.field(), long.status()), ("window_too_large", Some("since"), 400));
    let bad = ask("soon").unwrap_err();
    assert_eq!((bad.code(), bad.field(), bad.status()), ("invalid_request", Some("since"), 400));
}

#[tokio::test]
async fn read_takes_the_window_from_the_store() {
    let store = MemoryStore::default();
    let now = Utc::now();
    let mut old = request("old", 0, 1.0);
    old.at = now - Duration::hours(3);
    let mut new = request("new", 0, 2.0);
    new.at = now - Duration::minutes(5);
    store.write(&[old]).await.unwrap();
    store.write(&[new.clone()]).await.unwrap();
    let reading = read(&store, &ReportRequest { since: Some("1h".into()) }, now).await.unwrap();
    assert_eq!(reading.records, vec![new]);
    assert_eq!((reading.report.requests, reading.report.truncated), (1, false));
    assert_eq!(reading.report.requested_since, reading.report.since);
    assert_eq!(reading.report.since, now - Duration::hours(1));
}

#[test]
fn requests_are_counted_per_edge() {
    let mut records = Vec::new();
    for (i, edge) in [Some("mcp"), None, Some("mcp"), Some("mcp")].into_iter().enumerate() {
        let mut r = request(&format!("r{i}"), i as i64, 10.0);
        r.edge = edge.map(str::to_string);
        records.push(r);
    }
    let (since, until) = day();
    let edges = build(&records, since, until).edges;
    let got: Vec<(&str, usize, u32)> = edges.iter().map(|e| (e.edge.as_str(), e.requests, e.per_mille)).collect();
    assert_eq!(got, [("mcp", 3, 750), (ASK_OR_PLAN, 1, 250)]);
}
