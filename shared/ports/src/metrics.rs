//! CloudWatch metrics as Embedded Metric Format (EMF) lines: one JSON object per line on stdout,
//! which Lambda's log pipeline turns into metrics in the `Kenny` namespace without any API call.
//!
//! [`CATALOGUE`] is the one list of what the code emits; the dashboard and alarms in
//! `template.yaml` must use exactly these names (a test checks that they agree).

use std::sync::Mutex;

use serde_json::{Map, Value, json};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "Kenny";

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Milliseconds,
    /// A count.
    Count,
    /// A plain ratio.
    None,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Milliseconds => "Milliseconds",
            Unit::Count => "Count",
            Unit::None => "None",
        }
    }
}

/// One metric the code emits: its name, unit and dimension names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// Metric name.
    pub name: &'static str,
    /// Unit.
    pub unit: Unit,
    /// Dimension names (empty: the namespace-wide series).
    pub dimensions: &'static [&'static str],
}

/// Whole-request latency per capability (`coordinate`, `calendar.read`, `contacts.resolve`).
pub const LATENCY: MetricDef = MetricDef { name: "Latency", unit: Unit::Milliseconds, dimensions: &["Capability"] };
/// Latency of each coordinate step, by the capability it called.
pub const STEP_LATENCY: MetricDef =
    MetricDef { name: "StepLatency", unit: Unit::Milliseconds, dimensions: &["Capability"] };
/// Sum of step durations divided by the request's total: above 1 means steps overlapped.
pub const PARALLEL_SPEEDUP: MetricDef = MetricDef { name: "ParallelSpeedup", unit: Unit::None, dimensions: &[] };
/// Most steps in flight at once in one coordinate request.
pub const MAX_IN_FLIGHT: MetricDef = MetricDef { name: "MaxInFlight", unit: Unit::Count, dimensions: &[] };
/// Requests answered (the denominator of error rates).
pub const REQUESTS: MetricDef = MetricDef { name: "Requests", unit: Unit::Count, dimensions: &["Capability"] };
/// Failed requests, by capability and stable error code (each function counts its own).
pub const ERRORS: MetricDef = MetricDef { name: "Errors", unit: Unit::Count, dimensions: &["Capability", "ErrorCode"] };
/// Failed requests by capability alone (what the error-rate alarm divides by `Requests`).
pub const ERROR_COUNT: MetricDef = MetricDef { name: "ErrorCount", unit: Unit::Count, dimensions: &["Capability"] };
/// Failed coordinate steps as `coordinate` saw them (the sibling's own error, a timeout, a
/// throttle), by the step's capability and error code; kept apart from `Errors` so that a
/// sibling's failure is not counted twice.
pub const STEP_ERRORS: MetricDef =
    MetricDef { name: "StepErrors", unit: Unit::Count, dimensions: &["Capability", "ErrorCode"] };
/// Coordinate answers that were partial.
pub const DEGRADED: MetricDef = MetricDef { name: "DegradedAnswers", unit: Unit::Count, dimensions: &[] };
/// Timing records that could not be written (and were logged for replay instead).
pub const TIMING_WRITE_FAILURES: MetricDef =
    MetricDef { name: "TimingWriteFailures", unit: Unit::Count, dimensions: &[] };
/// First requests served by a fresh container.
pub const COLD_STARTS: MetricDef = MetricDef { name: "ColdStarts", unit: Unit::Count, dimensions: &["Capability"] };

/// Data-function answers by the cache tier that answered (`l1`, `l2`, `validated`, `miss`;
/// for `calendar.read` the slowest tier any calendar needed).
pub const CACHE_RESULTS: MetricDef =
    MetricDef { name: "CacheResults", unit: Unit::Count, dimensions: &["Capability", "Tier"] };

/// Question answers by intent (`list`, `next`, …, `not_understood`, `unsupported`): how often
/// questions are not understood shows on the dashboard.
pub const ANSWERS: MetricDef = MetricDef { name: "Answers", unit: Unit::Count, dimensions: &["Intent"] };

/// Every metric the code emits.
pub const CATALOGUE: &[MetricDef] = &[
    LATENCY,
    ANSWERS,
    CACHE_RESULTS,
    STEP_LATENCY,
    PARALLEL_SPEEDUP,
    MAX_IN_FLIGHT,
    REQUESTS,
    ERRORS,
    ERROR_COUNT,
    STEP_ERRORS,
    DEGRADED,
    TIMING_WRITE_FAILURES,
    COLD_STARTS,
];

/// Where EMF lines go: stdout in Lambda, nowhere for the CLI, memory in tests.
pub trait MetricsSink: Send + Sync + std::fmt::Debug {
    /// Takes one complete EMF line.
    fn emit(&self, line: String);
}

/// Writes each line to stdout (Lambda forwards stdout to CloudWatch Logs, which extracts EMF).
#[derive(Debug, Default)]
pub struct Stdout;

impl MetricsSink for Stdout {
    fn emit(&self, line: String) {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        // A metrics line that cannot be written is not worth failing a request for.
        let _ = writeln!(out, "{line}");
    }
}

/// Drops every line (the CLI, whose stdout is the answer).
#[derive(Debug, Default)]
pub struct Discard;

impl MetricsSink for Discard {
    fn emit(&self, _line: String) {}
}

/// Keeps lines in memory, for tests.
#[derive(Debug, Default)]
pub struct Memory {
    lines: Mutex<Vec<String>>,
}

impl Memory {
    /// Every line so far, parsed.
    pub fn lines(&self) -> Vec<Value> {
        self.lines.lock().map(|l| l.iter().filter_map(|s| serde_json::from_str(s).ok()).collect()).unwrap_or_default()
    }
}

impl MetricsSink for Memory {
    fn emit(&self, line: String) {
        if let Ok(mut l) = self.lines.lock() {
            l.push(line);
        }
    }
}

/// Builds one EMF line: `values` are `(metric, value)` pairs sharing the same `dimensions`
/// (name, value) set; `properties` are extra searchable fields (e.g. the request id).
pub fn line(
    timestamp_ms: i64,
    values: &[(MetricDef, f64)],
    dimensions: &[(&str, &str)],
    properties: &[(&str, &str)],
) -> String {
    let dim_names: Vec<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    let metrics: Vec<Value> = values.iter().map(|(m, _)| json!({"Name": m.name, "Unit": m.unit.name()})).collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [dim_names], "Metrics": metrics}],
        }),
    );
    for (k, v) in dimensions.iter().chain(properties) {
        root.insert((*k).into(), Value::String((*v).into()));
    }
    for (m, v) in values {
        root.insert(m.name.into(), json!(v));
    }
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_valid_emf() {
        let l = line(
            1_700_000_000_000,
            &[(LATENCY, 12.5), (REQUESTS, 1.0)],
            &[("Capability", "coordinate")],
            &[("RequestId", "r1")],
        );
        let v: Value = serde_json::from_str(&l).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "Kenny");
        assert_eq!(cw["Dimensions"], json!([["Capability"]]));
        assert_eq!(
            cw["Metrics"],
            json!([{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Requests", "Unit": "Count"}])
        );
        assert_eq!(v["Capability"], "coordinate");
        assert_eq!(v["Latency"], 12.5);
        assert_eq!(v["RequestId"], "r1");
        assert!(!l.contains('\n'));
    }

    #[test]
    fn every_emitted_metric_declares_its_dimensions() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len(), "metric names are unique");
    }
}
