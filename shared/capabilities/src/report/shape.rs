//! The report's shape: what `kenny report --json` and `GET /report` return, and the rules each
//! report carries.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use kenny_ports::timing::TimingRecord;

use super::{AB_MARGIN, AB_MIN_PAIRS, MAX_RECORDS, MAX_SINCE_DAYS, TREND_MIN_COUNT, TREND_THRESHOLD};

/// The report: the `--json` form and the HTTP body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Start of the window the numbers describe.
    pub since: DateTime<Utc>,
    /// End of the window (exclusive).
    pub until: DateTime<Utc>,
    /// The start that was asked for; later than it only when `truncated`.
    pub requested_since: DateTime<Utc>,
    /// True when the window held more than [`MAX_RECORDS`] records and only the newest were read.
    pub truncated: bool,
    /// Records read.
    pub records: usize,
    /// Coordinate requests among them.
    pub requests: usize,
    /// The rules and thresholds the numbers follow.
    pub rules: Rules,
    /// Per capability: `coordinate` (request records), then each step capability (step records).
    pub capabilities: Vec<LatencyRow>,
    /// Per step kind: capability and transport of step records.
    pub step_kinds: Vec<LatencyRow>,
    /// Cache tiers of the steps that reported one.
    pub cache: CacheReport,
    /// Parallel speedup of concurrent requests.
    pub speedup: SpeedupReport,
    /// Sequential against concurrent runs of the same plan shape.
    pub ab: AbReport,
    /// Later half of the window against the earlier half, per capability.
    pub trends: Vec<Trend>,
    /// Question requests per intent (`list`, `next`, …, `not_understood`), most first; explicit
    /// plans carry no intent and are not counted here.
    #[serde(default)]
    pub intents: Vec<IntentCount>,
    /// Requests per edge they came in through: `mcp` (a tool call over MCP, stdio or
    /// `POST /mcp`) or `ask_or_plan` (`POST /ask`, `POST /plan`, a direct invoke, `kenny ask` or
    /// `kenny plan`), most first.
    #[serde(default)]
    pub edges: Vec<EdgeCount>,
}

/// How many question requests had one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentCount {
    /// The intent's wire name.
    pub intent: String,
    /// Requests with it.
    pub requests: usize,
    /// Their share of all question requests, in thousandths (rounded down).
    pub per_mille: u32,
}

/// How many requests came in through one edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeCount {
    /// `mcp` or `ask_or_plan`.
    pub edge: String,
    /// Requests through it.
    pub requests: usize,
    /// Their share of all requests, in thousandths (rounded down).
    pub per_mille: u32,
}

/// The edge of requests whose record names none: coordinate's own routes, direct invokes, the CLI.
pub const ASK_OR_PLAN: &str = "ask_or_plan";

/// `(key, count, share in thousandths)` of each key, most first (ties by key).
fn tally<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<(String, usize, u32)> {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys {
        *by.entry(k).or_default() += 1;
    }
    let total: usize = by.values().sum();
    let mut out: Vec<(String, usize, u32)> = by
        .into_iter()
        .map(|(k, n)| (k.to_string(), n, u32::try_from(n * 1000 / total.max(1)).unwrap_or(1000)))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Question requests counted per intent, most first (ties by name).
pub(super) fn intents(requests: &[&TimingRecord]) -> Vec<IntentCount> {
    tally(requests.iter().filter_map(|r| r.intent.as_deref()))
        .into_iter()
        .map(|(intent, requests, per_mille)| IntentCount { intent, requests, per_mille })
        .collect()
}

/// Requests counted per edge, most first.
pub(super) fn edges(requests: &[&TimingRecord]) -> Vec<EdgeCount> {
    tally(requests.iter().map(|r| r.edge.as_deref().unwrap_or(ASK_OR_PLAN)))
        .into_iter()
        .map(|(edge, requests, per_mille)| EdgeCount { edge, requests, per_mille })
        .collect()
}

/// The rules behind a report's numbers, stated in the report itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// How percentiles are taken.
    pub percentiles: String,
    /// What counts as a success.
    pub success_rate: String,
    /// Which steps the cache section counts.
    pub cache: String,
    /// What the speedup is and over which requests.
    pub speedup: String,
    /// How requests are paired for the A/B result.
    pub ab_pairing: String,
    /// A/B: pairs needed for a verdict.
    pub ab_min_pairs: usize,
    /// A/B: how far from 1 the ratio must be for a verdict.
    pub ab_margin: f64,
    /// How the trend compares.
    pub trend: String,
    /// Trend: the median change beyond which a capability improves or declines.
    pub trend_threshold: f64,
    /// Trend: timed records each half needs.
    pub trend_min_count: usize,
    /// Most records a report reads.
    pub max_records: usize,
    /// Longest window, days.
    pub max_since_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            percentiles: "nearest rank: the value at rank ceil(p/100 * n) of the n sorted durations; \
                          skipped steps have no duration"
                .into(),
            success_rate: "ok / (all - skipped); degraded requests are not successes; skipped steps \
                           (a dependency failed) count in neither"
                .into(),
            cache: "step records that report a tier; hit ratio = (l1 + l2 + validated) / all of them".into(),
            speedup: "sum of steps / total, over concurrent requests with both and a total above 0".into(),
            ab_pairing: "requests with the same plan_shape (capabilities per dependency level and the window \
                         kind; never ids, names or params) and status ok; per shape with both sides, median \
                         total of each and the ratio sequential / concurrent; overall, the geometric mean of \
                         the ratios weighted by pairs (the smaller side's count)"
                .into(),
            ab_min_pairs: AB_MIN_PAIRS,
            ab_margin: AB_MARGIN,
            trend: "the window split into two halves by time; the later half's median against the earlier \
                    half's; records of sequential requests left out"
                .into(),
            trend_threshold: TREND_THRESHOLD,
            trend_min_count: TREND_MIN_COUNT,
            max_records: MAX_RECORDS,
            max_since_days: MAX_SINCE_DAYS,
        }
    }
}

/// Latency, outcome and errors of one capability (or one capability over one transport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    /// `coordinate`, `calendar.read`, `contacts.resolve`.
    pub capability: String,
    /// Step kinds only: `in_process` or `lambda` (`unknown` when a record has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Records.
    pub count: usize,
    /// Records with a duration (all but skipped steps).
    pub timed: usize,
    /// Median duration, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Status `ok`.
    pub ok: usize,
    /// Status `error`.
    pub error: usize,
    /// Status `degraded` (requests).
    pub degraded: usize,
    /// Status `skipped` (steps).
    pub skipped: usize,
    /// `ok` / (`count` − `skipped`); `None` when nothing counts.
    pub success_rate: Option<f64>,
    /// Error code → records (for `coordinate`: degraded requests per step error code).
    pub errors_by_code: BTreeMap<String, usize>,
}

/// The cache section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheReport {
    /// Every step that reported a tier.
    pub overall: TierBreakdown,
    /// The same per step capability.
    pub by_capability: Vec<TierBreakdown>,
}

/// Tier counts and ratios of a set of steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierBreakdown {
    /// The capability, or `all`.
    pub capability: String,
    /// Steps that reported a tier.
    pub steps: usize,
    /// (`l1` + `l2` + `validated`) / `steps`; `None` without steps.
    pub hit_ratio: Option<f64>,
    /// Each tier: the four known ones always, then any other reported, by name.
    pub tiers: Vec<TierShare>,
}

/// One tier's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierShare {
    /// `l1`, `l2`, `validated`, `miss`, or another reported name.
    pub tier: String,
    /// Steps answered from it.
    pub count: usize,
    /// `count` / steps; `None` without steps.
    pub ratio: Option<f64>,
}

/// The speedup section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedupReport {
    /// Concurrent requests measured.
    pub count: usize,
    /// Sequential requests left out.
    pub sequential_excluded: usize,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Buckets `[from, to)`, the last without an upper edge.
    pub histogram: Vec<Bucket>,
}

/// One histogram bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Lower edge (inclusive).
    pub from: f64,
    /// Upper edge (exclusive); `None` for the last bucket.
    pub to: Option<f64>,
    /// Requests in it.
    pub count: usize,
}

/// The A/B section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbReport {
    /// Per plan shape with both sequential and concurrent requests, by shape.
    pub pairs: Vec<AbPair>,
    /// Requests (status ok, with a shape) whose shape has only one side.
    pub unpaired_requests: usize,
    /// All shapes together.
    pub overall: AbOverall,
}

/// One plan shape's A/B result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbPair {
    /// The plan shape both sides share.
    pub plan_shape: String,
    /// The `sequential: true` runs.
    pub sequential: AbSide,
    /// The concurrent runs.
    pub concurrent: AbSide,
    /// Sequential median ÷ concurrent median (above 1: concurrency helps).
    pub ratio: Option<f64>,
}

/// One side of an A/B pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbSide {
    /// Requests.
    pub count: usize,
    /// Nearest-rank median of their totals, ms.
    pub median_total_ms: Option<f64>,
}

/// The overall A/B result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbOverall {
    /// Plan shapes with both sides.
    pub shapes: usize,
    /// Σ over those shapes of the smaller side's count.
    pub pairs: usize,
    /// Pair-weighted geometric mean of the shapes' ratios.
    pub ratio: Option<f64>,
    /// `concurrent_faster`, `sequential_faster`, `no_difference` or `insufficient_data`.
    pub verdict: String,
}

/// One capability's trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The capability.
    pub capability: String,
    /// The earlier half of the window.
    pub earlier: Half,
    /// The later half.
    pub later: Half,
    /// (later median − earlier median) ÷ earlier median; `None` when either half has no median
    /// or the earlier one is 0.
    pub change: Option<f64>,
    /// `improving`, `declining`, `stable` or `insufficient_data`.
    pub verdict: String,
}

/// One half of the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Half {
    /// Its start.
    pub since: DateTime<Utc>,
    /// Timed records in it.
    pub count: usize,
    /// Their nearest-rank median, ms.
    pub p50_ms: Option<f64>,
}
