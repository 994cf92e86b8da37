//! What a finished request leaves behind: its timing records and its CloudWatch metrics.

use chrono::{DateTime, Utc};

use super::{Execution, StepStatus, Timings};
use kenny_domain::question::Intent;
use kenny_ports::metrics::{self, MetricsSink};
use kenny_ports::timing::{RecordKind, TimingRecord};

/// What a finished request was, beyond its timings.
#[derive(Debug, Clone)]
pub(super) struct Facts {
    pub at: DateTime<Utc>,
    /// The first request of this process.
    pub cold_start: bool,
    /// Some step failed: the answer is partial.
    pub degraded: bool,
    /// The kind of window a question asked for (a fixed vocabulary).
    pub window_kind: Option<String>,
    /// The plan's shape, for A/B pairing.
    pub plan_shape: String,
    /// A question's intent.
    pub intent: Option<Intent>,
    /// The edge it came in through, when marked (`mcp`).
    pub edge: Option<&'static str>,
}

/// One EMF line per dimension set: the request, each step, each error.
pub(super) fn emit_metrics(sink: &dyn MetricsSink, t: &Timings, exec: &Execution, facts: &Facts, write_failed: bool) {
    let Facts { at, cold_start: cold, degraded, intent, .. } = *facts;
    let ts = at.timestamp_millis();
    let id = [("RequestId", t.request_id.as_str())];
    if let Some(intent) = intent {
        sink.emit(metrics::line(ts, &[(metrics::ANSWERS, 1.0)], &[("Intent", intent.as_str())], &id));
    }
    let mut request = vec![(metrics::LATENCY, t.total_ms), (metrics::REQUESTS, 1.0)];
    if cold {
        request.push((metrics::COLD_STARTS, 1.0));
    }
    sink.emit(metrics::line(ts, &request, &[("Capability", "coordinate")], &id));
    let speedup = if t.total_ms > 0.0 { t.sum_of_steps_ms / t.total_ms } else { 0.0 };
    let whole = [
        (metrics::PARALLEL_SPEEDUP, speedup),
        (metrics::MAX_IN_FLIGHT, t.max_in_flight as f64),
        (metrics::DEGRADED, if degraded { 1.0 } else { 0.0 }),
        (metrics::TIMING_WRITE_FAILURES, if write_failed { 1.0 } else { 0.0 }),
    ];
    sink.emit(metrics::line(ts, &whole, &[], &id));
    for s in t.steps.iter().filter(|s| s.status != StepStatus::Skipped) {
        sink.emit(metrics::line(ts, &[(metrics::STEP_LATENCY, s.duration_ms)], &[("Capability", &s.capability)], &id));
    }
    for (s, code) in t.steps.iter().zip(&exec.error_codes) {
        if let Some(code) = code {
            let dims = [("Capability", s.capability.as_str()), ("ErrorCode", code.as_str())];
            sink.emit(metrics::line(ts, &[(metrics::STEP_ERRORS, 1.0)], &dims, &id));
        }
    }
}

/// The request's record, then one per step: ids, timings, status and codes; never the
/// question's words, names or params.
pub(super) fn timing_records(t: &Timings, exec: &Execution, facts: &Facts) -> Vec<TimingRecord> {
    let Facts { at, cold_start, degraded, intent, .. } = *facts;
    let mut out = Vec::with_capacity(t.steps.len() + 1);
    out.push(TimingRecord {
        request_id: t.request_id.clone(),
        kind: RecordKind::Request,
        capability: "coordinate".into(),
        step: None,
        at,
        start_ms: 0.0,
        duration_ms: t.total_ms,
        status: if degraded { "degraded" } else { "ok" }.into(),
        error_code: None,
        cache: None,
        transport: None,
        cold_start,
        total_ms: Some(t.total_ms),
        critical_path_ms: Some(t.critical_path_ms),
        sum_of_steps_ms: Some(t.sum_of_steps_ms),
        max_in_flight: Some(t.max_in_flight),
        sequential: Some(t.sequential),
        window_kind: facts.window_kind.clone(),
        plan_shape: Some(facts.plan_shape.clone()),
        intent: intent.map(|i| i.as_str().to_string()),
        edge: facts.edge.map(str::to_string),
    });
    for (i, s) in t.steps.iter().enumerate() {
        out.push(TimingRecord {
            request_id: t.request_id.clone(),
            kind: RecordKind::Step,
            capability: s.capability.clone(),
            step: Some(i),
            at,
            start_ms: s.start_ms,
            duration_ms: s.duration_ms,
            status: s.status.as_str().to_string(),
            error_code: exec.error_codes[i].clone(),
            cache: s.cache.map(|t| t.name().to_string()),
            transport: Some(s.transport.clone()),
            cold_start,
            edge: facts.edge.map(str::to_string),
            ..TimingRecord::default()
        });
    }
    out
}
