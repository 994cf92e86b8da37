//! The performance report (`kenny report`, `GET /report`): timing records of a window turned
//! into latency percentiles, success rates and errors per capability and per step kind, cache
//! tiers, the parallel speedup distribution, the sequential-vs-concurrent A/B result and a trend
//! per capability. [`build`] is a pure function of the records; [`read`] bounds the window and
//! the records read, and reads them through [`TimingStore::query_recent`] (in DynamoDB, Queries
//! only).
//!
//! Rules (also in docs/operations.md § Report and in every report's `rules`):
//! - **Percentiles** are nearest-rank: the value at rank ⌈p/100 × n⌉ of the n sorted durations.
//!   Durations are `duration_ms` (for a request, its total); skipped steps never ran and have no
//!   duration, so they are counted but not in the percentiles.
//! - **Success rate** = `ok` / (all − `skipped`). A `degraded` request (some step failed) is not a
//!   success; a `skipped` step (a dependency failed) is neither a success nor a failure of its
//!   own. **Errors by code** count every record carrying an error code (skipped steps appear as
//!   `dependency_failed`); for `coordinate`, each degraded request counts each distinct code of
//!   its failed steps once.
//! - **Cache**: over step records that report a tier; the hit ratio is (`l1` + `l2` +
//!   `validated`) / all of them.
//! - **Speedup** = sum of steps / total, over concurrent requests with both and a total above 0
//!   (sequential runs are the A/B baseline, ≤ 1 by construction); buckets [`SPEEDUP_EDGES`].
//! - **A/B**: requests are paired by `plan_shape`; per shape that has both sequential and
//!   concurrent requests (status `ok` only), the nearest-rank median total of each side and their
//!   ratio sequential ÷ concurrent (above 1: concurrency helps). Overall: the geometric mean of
//!   the shapes' ratios weighted by each shape's pairs (the smaller side's count); a verdict
//!   needs [`AB_MIN_PAIRS`] pairs and a ratio beyond ±[`AB_MARGIN`].
//! - **Trend**: the window split in two halves by time; per capability, the later half's median
//!   against the earlier one's: above +[`TREND_THRESHOLD`] declining, below − improving, else
//!   stable; `insufficient_data` when either half has fewer than [`TREND_MIN_COUNT`] timed
//!   records. Records of sequential requests are left out of trends (how many A/B runs fall in a
//!   half would otherwise move the median).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use kenny_domain::error::ErrorCode;
use kenny_ports::timing::{RecordKind, TimingError, TimingRecord, TimingStore};

pub use shape::{
    ASK_OR_PLAN, AbOverall, AbPair, AbReport, AbSide, Bucket, CacheReport, EdgeCount, Half, IntentCount, LatencyRow,
    Report, Rules, SpeedupReport, TierBreakdown, TierShare, Trend,
};
use shape::{edges, intents};

/// The window when none is asked for.
pub const DEFAULT_SINCE: &str = "24h";
/// Longest window a report reads (records expire after 30 days anyway).
pub const MAX_SINCE_DAYS: i64 = 31;
/// Most records one report reads: the newest ones of the window are kept, whole requests only.
pub const MAX_RECORDS: usize = 50_000;
/// A trend's median change beyond which a capability is improving or declining (a fraction).
pub const TREND_THRESHOLD: f64 = 0.10;
/// Timed records each half of the window needs before a trend is stated.
pub const TREND_MIN_COUNT: usize = 20;
/// Lower edges of the speedup histogram's buckets after the first (`< 1.0`); the last is open.
pub const SPEEDUP_EDGES: [f64; 5] = [1.0, 1.1, 1.25, 1.5, 2.0];
/// Pairs (over all plan shapes) the A/B verdict needs.
pub const AB_MIN_PAIRS: usize = 5;
/// How far from 1 the A/B ratio must be for a verdict other than `no_difference` (a fraction).
pub const AB_MARGIN: f64 = 0.05;
/// The cache tiers a step may report, in the order the report lists them.
pub const TIERS: [&str; 4] = ["l1", "l2", "validated", "miss"];
/// The tiers that are hits.
pub const HIT_TIERS: [&str; 3] = ["l1", "l2", "validated"];

/// A report request (`GET /report?since=24h`, or `{"report": {"since": "24h"}}` by direct invoke).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// How far back from now: `90m`, `24h`, `7d` (default [`DEFAULT_SINCE`], at most
    /// [`MAX_SINCE_DAYS`] days).
    #[serde(default)]
    pub since: Option<String>,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `since` is not a duration.
    #[error("since: {0:?} is not a duration like 90m, 24h or 7d")]
    BadSince(String),
    /// `since` reaches further back than a report reads.
    #[error("since: {0:?} is longer than the {MAX_SINCE_DAYS} days a report reads")]
    SinceTooLong(String),
    /// The timing store failed.
    #[error(transparent)]
    Store(#[from] TimingError),
}

impl ErrorCode for ReportError {
    fn code(&self) -> &'static str {
        match self {
            ReportError::BadSince(_) => "invalid_request",
            ReportError::SinceTooLong(_) => "window_too_large",
            ReportError::Store(e) => e.code(),
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            ReportError::BadSince(_) | ReportError::SinceTooLong(_) => Some("since"),
            ReportError::Store(_) => None,
        }
    }
    fn status(&self) -> u16 {
        match self {
            ReportError::Store(e) => e.status(),
            _ => 400,
        }
    }
}

/// `90m`, `24h`, `7d` (also `min`) → a positive duration; anything else is `None`. Callers cap it.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let s = text.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok().filter(|n| *n >= 1 && *n <= 1_000_000)?;
    match unit {
        "m" | "min" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        _ => None,
    }
}

/// The window `[now − since, now)` a request asks for, checked against [`MAX_SINCE_DAYS`].
pub fn window(request: &ReportRequest, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), ReportError> {
    let text = request.since.as_deref().unwrap_or(DEFAULT_SINCE);
    let shown: String = text.chars().take(40).collect();
    let back = parse_duration(text).ok_or_else(|| ReportError::BadSince(shown.clone()))?;
    if back > Duration::days(MAX_SINCE_DAYS) {
        return Err(ReportError::SinceTooLong(shown));
    }
    Ok((now - back, now))
}

/// A report and the records it was made from (the CLI draws its chart from them).
#[derive(Debug)]
pub struct Reading {
    /// The report.
    pub report: Report,
    /// The records read, oldest first.
    pub records: Vec<TimingRecord>,
}

/// Reads the window a request asks for (at most [`MAX_RECORDS`] records, the newest) and builds
/// its report. When records were left out, the report covers only the time its records span and
/// says so (`truncated`, `requested_since`).
#[tracing::instrument(skip(store))]
pub async fn read(
    store: &dyn TimingStore,
    request: &ReportRequest,
    now: DateTime<Utc>,
) -> Result<Reading, ReportError> {
    let (since, until) = window(request, now)?;
    let (records, truncated) = store.query_recent(since, until, MAX_RECORDS).await?;
    let covered = if truncated { records.iter().map(|r| r.at).min().unwrap_or(since) } else { since };
    let mut report = build(&records, covered, until);
    report.requested_since = since;
    report.truncated = truncated;
    Ok(Reading { report, records })
}

/// Nearest-rank percentile `p` (1..=100) of ascending `sorted` values: the value at rank
/// ⌈p/100 × n⌉, in integers so ranks are exact.
pub fn percentile(sorted: &[f64], p: usize) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (p * n).div_ceil(100).clamp(1, n);
    Some(sorted[rank - 1])
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// Rounds a ratio for the output (6 decimals), so equal inputs compare equal at the thresholds.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round6(part as f64 / whole as f64))
}

fn timed(r: &TimingRecord) -> bool {
    r.status != "skipped"
}

fn total(r: &TimingRecord) -> f64 {
    r.total_ms.unwrap_or(r.duration_ms)
}

fn latency_row(capability: &str, transport: Option<&str>, records: &[&TimingRecord]) -> LatencyRow {
    let durations = sorted(records.iter().filter(|r| timed(r)).map(|r| r.duration_ms).collect());
    let status = |s: &str| records.iter().filter(|r| r.status == s).count();
    let (ok, skipped) = (status("ok"), status("skipped"));
    let mut errors_by_code = BTreeMap::new();
    for code in records.iter().filter_map(|r| r.error_code.as_deref()) {
        *errors_by_code.entry(code.to_string()).or_default() += 1;
    }
    LatencyRow {
        capability: capability.to_string(),
        transport: transport.map(str::to_string),
        count: records.len(),
        timed: durations.len(),
        p50_ms: percentile(&durations, 50),
        p95_ms: percentile(&durations, 95),
        p99_ms: percentile(&durations, 99),
        ok,
        error: status("error"),
        degraded: status("degraded"),
        skipped,
        success_rate: ratio(ok, records.len() - skipped),
        errors_by_code,
    }
}

fn tier_breakdown(capability: &str, steps: &[&TimingRecord]) -> TierBreakdown {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for tier in steps.iter().filter_map(|r| r.cache.as_deref()) {
        *counts.entry(tier).or_default() += 1;
    }
    let n: usize = counts.values().sum();
    let hits: usize = HIT_TIERS.iter().map(|t| counts.get(t).copied().unwrap_or(0)).sum();
    let mut tiers: Vec<TierShare> = TIERS
        .iter()
        .map(|t| {
            let count = counts.get(t).copied().unwrap_or(0);
            TierShare { tier: t.to_string(), count, ratio: ratio(count, n) }
        })
        .collect();
    for (t, count) in counts.iter().filter(|(t, _)| !TIERS.contains(t)) {
        tiers.push(TierShare { tier: t.to_string(), count: *count, ratio: ratio(*count, n) });
    }
    TierBreakdown { capability: capability.to_string(), steps: n, hit_ratio: ratio(hits, n), tiers }
}

fn speedup(requests: &[&TimingRecord]) -> SpeedupReport {
    let sequential_excluded = requests.iter().filter(|r| r.sequential == Some(true)).count();
    let values = sorted(
        requests
            .iter()
            .filter(|r| r.sequential != Some(true))
            .filter_map(|r| {
                let (sum, t) = (r.sum_of_steps_ms?, total(r));
                (t > 0.0).then(|| round6(sum / t))
            })
            .collect(),
    );
    let mut histogram: Vec<Bucket> = Vec::with_capacity(SPEEDUP_EDGES.len() + 1);
    let mut from = 0.0;
    for edge in SPEEDUP_EDGES.iter().copied().map(Some).chain([None]) {
        let count = values.iter().filter(|v| **v >= from && edge.is_none_or(|e| **v < e)).count();
        histogram.push(Bucket { from, to: edge, count });
        from = edge.unwrap_or(from);
    }
    SpeedupReport {
        count: values.len(),
        sequential_excluded,
        p50: percentile(&values, 50),
        p90: percentile(&values, 90),
        max: values.last().copied(),
        histogram,
    }
}

fn ab(requests: &[&TimingRecord]) -> AbReport {
    // shape → (sequential totals, concurrent totals)
    let mut by_shape: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for r in requests.iter().filter(|r| r.status == "ok") {
        let Some(shape) = r.plan_shape.as_deref() else { continue };
        let sides = by_shape.entry(shape).or_default();
        if r.sequential == Some(true) { sides.0.push(total(r)) } else { sides.1.push(total(r)) }
    }
    let mut pairs = Vec::new();
    let mut unpaired_requests = 0;
    let (mut weight, mut log_sum) = (0usize, 0.0f64);
    for (shape, (seq, conc)) in by_shape {
        if seq.is_empty() || conc.is_empty() {
            unpaired_requests += seq.len() + conc.len();
            continue;
        }
        let (seq, conc) = (sorted(seq), sorted(conc));
        let (s, c) = (percentile(&seq, 50), percentile(&conc, 50));
        let r = match (s, c) {
            (Some(s), Some(c)) if s > 0.0 && c > 0.0 => Some(round6(s / c)),
            _ => None,
        };
        if let Some(r) = r {
            let w = seq.len().min(conc.len());
            weight += w;
            log_sum += w as f64 * r.ln();
        }
        pairs.push(AbPair {
            plan_shape: shape.to_string(),
            sequential: AbSide { count: seq.len(), median_total_ms: s },
            concurrent: AbSide { count: conc.len(), median_total_ms: c },
            ratio: r,
        });
    }
    let overall_ratio = (weight > 0).then(|| round6((log_sum / weight as f64).exp()));
    let verdict = match overall_ratio {
        Some(r) if weight >= AB_MIN_PAIRS => {
            if r > 1.0 + AB_MARGIN {
                "concurrent_faster"
            } else if r < 1.0 - AB_MARGIN {
                "sequential_faster"
            } else {
                "no_difference"
            }
        }
        _ => "insufficient_data",
    };
    AbReport {
        overall: AbOverall { shapes: pairs.len(), pairs: weight, ratio: overall_ratio, verdict: verdict.into() },
        pairs,
        unpaired_requests,
    }
}

fn half(since: DateTime<Utc>, records: &[&TimingRecord]) -> Half {
    let d = sorted(records.iter().map(|r| r.duration_ms).collect());
    Half { since, count: d.len(), p50_ms: percentile(&d, 50) }
}

fn trend(capability: &str, records: &[&TimingRecord], since: DateTime<Utc>, mid: DateTime<Utc>) -> Trend {
    let (early, late): (Vec<&TimingRecord>, Vec<&TimingRecord>) = records.iter().partition(|r| r.at < mid);
    let (earlier, later) = (half(since, &early), half(mid, &late));
    let change = match (earlier.p50_ms, later.p50_ms) {
        (Some(a), Some(b)) if a > 0.0 => Some(round6((b - a) / a)),
        _ => None,
    };
    let verdict = if earlier.count < TREND_MIN_COUNT || later.count < TREND_MIN_COUNT {
        "insufficient_data"
    } else {
        match change {
            Some(c) if c > TREND_THRESHOLD => "declining",
            Some(c) if c < -TREND_THRESHOLD => "improving",
            Some(_) => "stable",
            // Earlier median 0: any later time is slower.
            None if later.p50_ms.is_some_and(|b| b > 0.0) => "declining",
            None => "stable",
        }
    };
    Trend { capability: capability.to_string(), earlier, later, change, verdict: verdict.into() }
}

/// The records a trend compares: timed ones not belonging to a sequential request.
fn trend_population<'a>(records: &[&'a TimingRecord], sequential: &HashSet<&str>) -> Vec<&'a TimingRecord> {
    records.iter().copied().filter(|r| timed(r) && !sequential.contains(r.request_id.as_str())).collect()
}

/// The report over `records` for the window `[since, until)`. Records outside the window are
/// ignored.
pub fn build(records: &[TimingRecord], since: DateTime<Utc>, until: DateTime<Utc>) -> Report {
    let records: Vec<&TimingRecord> = records.iter().filter(|r| r.at >= since && r.at < until).collect();
    let requests: Vec<&TimingRecord> = records.iter().copied().filter(|r| r.kind == RecordKind::Request).collect();
    let steps: Vec<&TimingRecord> = records.iter().copied().filter(|r| r.kind == RecordKind::Step).collect();

    // Per capability: coordinate from the requests, each step capability from its steps.
    let mut coordinate = latency_row("coordinate", None, &requests);
    let mut step_codes: HashMap<&str, HashSet<&str>> = HashMap::new();
    for s in &steps {
        if let Some(code) = s.error_code.as_deref().filter(|_| s.status == "error") {
            step_codes.entry(s.request_id.as_str()).or_default().insert(code);
        }
    }
    for r in requests.iter().filter(|r| r.status == "degraded") {
        for code in step_codes.get(r.request_id.as_str()).into_iter().flatten() {
            *coordinate.errors_by_code.entry(code.to_string()).or_default() += 1;
        }
    }
    let mut by_capability: BTreeMap<&str, Vec<&TimingRecord>> = BTreeMap::new();
    let mut by_kind: BTreeMap<(&str, &str), Vec<&TimingRecord>> = BTreeMap::new();
    for s in &steps {
        by_capability.entry(s.capability.as_str()).or_default().push(s);
        by_kind.entry((s.capability.as_str(), s.transport.as_deref().unwrap_or("unknown"))).or_default().push(s);
    }
    let mut capabilities = vec![coordinate];
    capabilities.extend(by_capability.iter().map(|(c, rs)| latency_row(c, None, rs)));
    let step_kinds = by_kind.iter().map(|((c, t), rs)| latency_row(c, Some(t), rs)).collect();

    let cache = CacheReport {
        overall: tier_breakdown("all", &steps),
        by_capability: by_capability.iter().map(|(c, rs)| tier_breakdown(c, rs)).collect(),
    };

    // Trends: two halves of the window, without the records of sequential requests.
    let sequential: HashSet<&str> =
        requests.iter().filter(|r| r.sequential == Some(true)).map(|r| r.request_id.as_str()).collect();
    let mid = since + (until - since) / 2;
    let mut trends = vec![trend("coordinate", &trend_population(&requests, &sequential), since, mid)];
    trends.extend(by_capability.iter().map(|(c, rs)| trend(c, &trend_population(rs, &sequential), since, mid)));

    Report {
        since,
        until,
        requested_since: since,
        truncated: false,
        records: records.len(),
        requests: requests.len(),
        rules: Rules::default(),
        capabilities,
        step_kinds,
        cache,
        speedup: speedup(&requests),
        ab: ab(&requests),
        trends,
        intents: intents(&requests),
        edges: edges(&requests),
    }
}

mod shape;
#[cfg(test)]
mod tests;
