//! The `coordinate` capability: a question or an explicit plan becomes a DAG of steps, run
//! concurrently through a [`Sibling`] (each step starts as soon as its own dependencies finish),
//! measured, recorded in a [`TimingStore`], and folded into one answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use chrono::Utc;
use chrono_tz::Tz;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(test)]
use serde_json::json;
use tracing::{instrument, warn};

use crate::error::{ApiError, ErrorCode};
use crate::metrics::MetricsSink;
use crate::plan::{Capability, Plan, Step, ValidPlan, resolve_refs};
use crate::question;
use crate::sibling::Sibling;
use crate::slots::SlotDefaults;
use crate::time::{TimeArg, parse_zone};
use crate::timing::TimingStore;

mod answer;
mod plans;
mod records;

pub use crate::time::WindowOut;
pub use answer::{Answer, CountOut, FreeAtOut, PersonFreeOut};
pub use plans::{
    QuestionPlan, READ_STEP, SEARCH_DAYS, Search, availability_plan, plan_for, plan_shape, question_hours,
    question_plan, window_kind,
};

/// Days a question without time words looks ahead (from the start of today).
pub const DEFAULT_LOOKAHEAD_DAYS: i64 = 7;
/// A free-time question's meeting length when it names none, minutes.
pub const DEFAULT_MEETING_MINUTES: u32 = 30;
/// Slots a free-time question lists (one when it asks for the first).
pub const QUESTION_SLOTS: usize = 10;
/// The transport of steps `coordinate` computes itself.
pub const LOCAL: &str = "local";

/// A `coordinate` request (docs/contracts.md § Capabilities): exactly one of `question` and `plan`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinateRequest {
    /// A plain-English question.
    #[serde(default)]
    pub question: Option<String>,
    /// An explicit plan.
    #[serde(default)]
    pub plan: Option<Plan>,
    /// "Now" for time words; RFC 3339. Default: the current time.
    #[serde(default)]
    pub now: Option<String>,
    /// IANA zone for time words and all-day events. Default: the configured zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Run the plan one step at a time: the A/B baseline.
    #[serde(default)]
    pub sequential: bool,
}

/// Timings of one request, as the response shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// The request's id; the same id keys its timing records.
    pub request_id: String,
    /// Whole request, ms.
    pub total_ms: f64,
    /// Longest dependency chain of step durations, ms.
    pub critical_path_ms: f64,
    /// All step durations added up, ms.
    pub sum_of_steps_ms: f64,
    /// Most steps running at once.
    pub max_in_flight: usize,
    /// Whether the plan ran one step at a time.
    pub sequential: bool,
    /// One entry per step, in plan order.
    pub steps: Vec<StepTiming>,
}

/// One step's timing in the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// The step's id.
    pub id: String,
    /// The capability it called.
    pub capability: String,
    /// Offset of its start from the request's start, ms.
    pub start_ms: f64,
    /// How long it ran, ms.
    pub duration_ms: f64,
    /// `ok`, `error`, or `skipped` (a dependency failed).
    pub status: String,
    /// Cache tier that answered, if reported.
    pub cache: Option<String>,
    /// How it was called.
    pub transport: String,
}

/// A failed step in the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepErrorOut {
    /// The step's id.
    pub step: String,
    /// Stable error code.
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// The `coordinate` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoordinateResponse {
    /// The answer.
    pub answer: Answer,
    /// The plan that ran (for a question, the plan made from it).
    pub plan: Plan,
    /// How long everything took.
    pub timings: Timings,
    /// Steps that failed or were skipped.
    pub errors: Vec<StepErrorOut>,
    /// True when any step failed: the answer is partial.
    pub degraded: bool,
}

/// Why a coordinate request was refused before anything ran.
#[derive(Debug, thiserror::Error)]
pub enum CoordinateError {
    /// Neither or both of `question` and `plan`.
    #[error("send exactly one of \"question\" and \"plan\"")]
    QuestionOrPlan,
    /// The question could not be understood.
    #[error(transparent)]
    Question(#[from] question::QuestionError),
    /// The plan is not a valid DAG.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// `now` or `timezone` is malformed.
    #[error(transparent)]
    Time(#[from] crate::time::TimeError),
    /// The question asks for a window longer than a read may be.
    #[error("the question asks for {0}")]
    QuestionWindow(crate::time::TimeError),
    /// A free-time question asks for a window longer than slots are searched in.
    #[error(
        "the question asks for free time in {days} days; slots are searched in at most {} days",
        crate::slots::MAX_WINDOW_DAYS
    )]
    SlotWindow { days: i64 },
}

impl ErrorCode for CoordinateError {
    fn code(&self) -> &'static str {
        match self {
            CoordinateError::QuestionOrPlan => "invalid_request",
            CoordinateError::Question(e) => e.code(),
            CoordinateError::Plan(e) => e.code(),
            CoordinateError::Time(e) | CoordinateError::QuestionWindow(e) => e.code(),
            CoordinateError::SlotWindow { .. } => "window_too_large",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            CoordinateError::QuestionOrPlan => Some("question"),
            CoordinateError::Question(e) => e.field(),
            CoordinateError::Plan(e) => e.field(),
            CoordinateError::Time(e) => e.field(),
            CoordinateError::QuestionWindow(_) | CoordinateError::SlotWindow { .. } => Some("question"),
        }
    }
}

/// Bounds on how a plan runs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most steps in flight at once.
    pub max_concurrency: usize,
    /// Longest a single step may take.
    pub step_timeout: Duration,
}

impl Limits {
    /// The limits configuration asks for.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Limits { step_timeout: config.step_timeout, ..Limits::default() }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_concurrency: 8, step_timeout: Duration::from_secs(10) }
    }
}

/// Runs coordinate requests; built once per process.
#[derive(Debug)]
pub struct Coordinator {
    sibling: Arc<dyn Sibling>,
    timings: Arc<dyn TimingStore>,
    metrics: Arc<dyn MetricsSink>,
    default_tz: Tz,
    limits: Limits,
    slots: SlotDefaults,
    cold: AtomicBool,
}

/// How one request's plan runs: one step at a time or concurrently, from when, and until when.
#[derive(Debug, Clone, Copy)]
struct Run {
    sequential: bool,
    started: Instant,
    deadline: Option<Instant>,
}

/// What running a plan produced, before it is shaped into a response.
#[derive(Debug)]
struct Execution {
    outputs: Vec<Option<Value>>,
    /// Outputs by step id, for `$ref`s.
    named: HashMap<String, Value>,
    steps: Vec<StepTiming>,
    errors: Vec<StepErrorOut>,
    error_codes: Vec<Option<String>>,
    max_in_flight: usize,
}

impl Coordinator {
    /// A coordinator calling capabilities through `sibling`, recording into `timings` and
    /// emitting CloudWatch metrics into `metrics`.
    pub fn new(
        sibling: Arc<dyn Sibling>,
        timings: Arc<dyn TimingStore>,
        metrics: Arc<dyn MetricsSink>,
        default_tz: Tz,
        limits: Limits,
    ) -> Self {
        Coordinator {
            sibling,
            timings,
            metrics,
            default_tz,
            limits,
            slots: SlotDefaults::default(),
            cold: AtomicBool::new(true),
        }
    }

    /// The same coordinator with these working hours, days and buffer for `slots.find` steps
    /// and free-time questions (default: 09:00–17:00, Monday to Friday, no buffer).
    pub fn with_slots(mut self, slots: SlotDefaults) -> Self {
        self.slots = slots;
        self
    }

    /// The store this coordinator records into; the report (`GET /report`) reads it back.
    pub fn timings(&self) -> &Arc<dyn TimingStore> {
        &self.timings
    }

    /// Answers one request. `request_id` is the Lambda request id (or a fresh UUID);
    /// `deadline`, when known, bounds every step. Durations are measured on tokio's clock, so
    /// tests can drive them with paused time.
    #[instrument(skip(self, request), fields(request_id = %request_id))]
    pub async fn handle(
        &self,
        request: CoordinateRequest,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<CoordinateResponse, CoordinateError> {
        let started = Instant::now();
        let at = Utc::now();
        let tz = match &request.timezone {
            Some(z) => parse_zone(z, "timezone")?,
            None => self.default_tz,
        };
        let now = match &request.now {
            Some(n) => match TimeArg::parse(n, "now")? {
                TimeArg::Instant(dt) => dt.with_timezone(&Utc),
                other => other.to_utc(tz),
            },
            None => at,
        }
        .with_timezone(&tz);

        let (mut plan, understood, window_kind, search) = match (&request.question, &request.plan) {
            (Some(q), None) => {
                let parsed = question::parse(q, now)?;
                let kind = window_kind(&parsed);
                let QuestionPlan { plan, search } = plan_for(&parsed, now, tz, &self.slots.hours)?;
                (plan, Some(parsed), Some(kind), search)
            }
            (None, Some(p)) => (p.clone(), None, None, None),
            _ => return Err(CoordinateError::QuestionOrPlan),
        };
        // A question Kenny does not understand (or a change with nothing to read) runs no step.
        let mut valid = if plan.steps.is_empty() && understood.is_some() {
            ValidPlan { steps: Vec::new(), dependents: Vec::new() }
        } else {
            plan.validate()?
        };
        let run = Run { sequential: request.sequential, started, deadline };
        let mut exec = self.execute(&valid, run, HashMap::new()).await;
        if let Some(search) = &search {
            valid = self.search(search, &mut plan, valid, &mut exec, run).await?;
        }
        let total_ms = ms(started.elapsed());

        let cx = answer::Context { now: now.with_timezone(&Utc), tz, search: search.as_ref() };
        let answer = answer::build_answer(&valid, &exec, understood.as_ref(), &cx);
        let intent = understood.as_ref().map(|q| q.intent);
        let critical_path_ms = critical_path(&valid, &exec.steps);
        let sum_of_steps_ms = exec.steps.iter().map(|s| s.duration_ms).fold(0.0, |a, b| a + b);
        let degraded = !exec.errors.is_empty();
        let timings = Timings {
            request_id: request_id.to_string(),
            total_ms,
            critical_path_ms,
            sum_of_steps_ms,
            max_in_flight: exec.max_in_flight,
            sequential: request.sequential,
            steps: exec.steps.clone(),
        };
        let facts = records::Facts {
            at,
            cold_start: self.cold.swap(false, Ordering::Relaxed),
            degraded,
            plan_shape: plan_shape(&valid, window_kind.as_deref()),
            window_kind,
            intent,
        };
        let records = records::timing_records(&timings, &exec, &facts);
        let write_failed = match self.timings.write(&records).await {
            Ok(()) => false,
            Err(e) => {
                // The user's answer does not depend on the record; the line below can be replayed.
                let line = serde_json::to_string(&records).unwrap_or_default();
                warn!(code = e.code(), error = %e, records = %line, "{}", crate::timing::replay::NOT_WRITTEN);
                true
            }
        };
        records::emit_metrics(self.metrics.as_ref(), &timings, &exec, &facts, write_failed);
        Ok(CoordinateResponse { answer, plan, timings, errors: exec.errors, degraded })
    }

    async fn execute(&self, plan: &ValidPlan, run: Run, seed: HashMap<String, Value>) -> Execution {
        let Run { sequential, started, deadline } = run;
        let n = plan.steps.len();
        let limit = if sequential { 1 } else { self.limits.max_concurrency.max(1) };
        let transport = self.sibling.transport().to_string();
        let (slot_defaults, default_tz) = (self.slots, self.default_tz);
        let mut pending: Vec<usize> = plan.steps.iter().map(|s| s.deps.len()).collect();
        let mut doomed = vec![false; n];
        let mut failed = vec![false; n];
        let mut ready: std::collections::VecDeque<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut named_outputs: HashMap<String, Value> = seed;
        let mut exec = Execution {
            outputs: vec![None; n],
            named: HashMap::new(),
            steps: plan
                .steps
                .iter()
                .map(|s| StepTiming {
                    id: s.id.clone(),
                    capability: s.capability.name().into(),
                    start_ms: 0.0,
                    duration_ms: 0.0,
                    status: "skipped".into(),
                    cache: None,
                    transport: if s.capability.is_local() { LOCAL.to_string() } else { transport.clone() },
                })
                .collect(),
            errors: Vec::new(),
            error_codes: vec![None; n],
            max_in_flight: 0,
        };
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < limit {
                let Some(i) = ready.pop_front() else { break };
                let step = &plan.steps[i];
                let defaults_cover = step
                    .deps
                    .iter()
                    .filter(|&&d| failed[d])
                    .all(|&d| crate::plan::runs_without(&step.params, &plan.steps[d].id));
                if doomed[i] && !defaults_cover {
                    exec.fail(i, "dependency_failed", "a step it depends on failed".into());
                    failed[i] = true;
                    finish(plan, i, false, &mut pending, &mut doomed, &mut ready);
                    continue;
                }
                let params = match resolve_refs(&step.id, &step.params, &named_outputs) {
                    Ok(p) => p,
                    Err(e) => {
                        exec.fail(i, e.code(), e.to_string());
                        exec.steps[i].status = "error".into();
                        exec.steps[i].start_ms = ms(started.elapsed());
                        failed[i] = true;
                        finish(plan, i, false, &mut pending, &mut doomed, &mut ready);
                        continue;
                    }
                };
                let sibling = self.sibling.clone();
                let capability = step.capability;
                let timeout = step_timeout(self.limits.step_timeout, deadline);
                let begun = Instant::now();
                exec.steps[i].start_ms = ms(begun - started);
                running.push(async move {
                    if capability.is_local() {
                        // A pure function of earlier outputs, bounded by its own limits.
                        let result = crate::slots::invoke(params, &slot_defaults, default_tz)
                            .map(|body| crate::sibling::Reply { body, cache: None });
                        return (i, begun.elapsed(), result);
                    }
                    let result = match tokio::time::timeout(timeout, sibling.call(capability, params)).await {
                        Ok(r) => r,
                        Err(_) => Err(ApiError {
                            code: "timeout".into(),
                            message: format!("{capability} did not answer within {} ms", timeout.as_millis()),
                            field: None,
                            status: 504,
                        }),
                    };
                    (i, begun.elapsed(), result)
                });
                exec.max_in_flight = exec.max_in_flight.max(running.len());
            }
            let Some((i, took, result)) = running.next().await else { break };
            exec.steps[i].duration_ms = ms(took);
            let ok = match result {
                Ok(reply) => {
                    exec.steps[i].status = "ok".into();
                    // A calendar that could not be read makes the answer partial, though the step answered.
                    for (code, message) in failed_parts(&reply.body) {
                        exec.error_codes[i].get_or_insert_with(|| code.clone());
                        exec.errors.push(StepErrorOut { step: plan.steps[i].id.clone(), code, message });
                    }
                    exec.steps[i].cache = reply.cache;
                    named_outputs.insert(plan.steps[i].id.clone(), reply.body.clone());
                    exec.outputs[i] = Some(reply.body);
                    true
                }
                Err(e) => {
                    exec.steps[i].status = "error".into();
                    exec.fail(i, &e.code, e.message);
                    failed[i] = true;
                    false
                }
            };
            finish(plan, i, ok, &mut pending, &mut doomed, &mut ready);
        }
        exec.named = named_outputs;
        exec
    }

    /// Runs the rest of a `next`/`last` search: while nothing matching was found and the
    /// reads so far answered, one more `calendar.read` of the next window, its attendees taken
    /// from the people already resolved. Each read is appended to `plan` (depending on the one
    /// before) and to `exec`; returns the whole plan validated.
    async fn search(
        &self,
        search: &Search,
        plan: &mut Plan,
        mut valid: ValidPlan,
        exec: &mut Execution,
        run: Run,
    ) -> Result<ValidPlan, CoordinateError> {
        let mut previous = READ_STEP.to_string();
        for k in 0..search.segments.len() {
            let read_failed = exec.errors.iter().any(|e| e.step == previous);
            if read_failed || found(search, exec.named.get(&previous)) {
                break;
            }
            let Some(params) = search.params(k) else { break };
            let id = format!("{READ_STEP}_{}", k + 2);
            let params = resolve_refs(&id, &params, &exec.named)?;
            let step = Step {
                id: id.clone(),
                capability: Capability::CalendarRead.name().into(),
                params,
                depends_on: Vec::new(),
            };
            let alone = Plan { steps: vec![step.clone()] }.validate()?;
            let more = self.execute(&alone, run, std::mem::take(&mut exec.named)).await;
            exec.append(more);
            plan.steps.push(Step { depends_on: vec![previous], ..step });
            valid = plan.validate()?;
            previous = id;
        }
        Ok(valid)
    }
}

/// Whether a search's read found a match: an event starting at or after now (forward), or
/// before now (back).
fn found(search: &Search, read: Option<&Value>) -> bool {
    let Some(events) = read.and_then(|r| r.get("events")).and_then(Value::as_array) else { return false };
    events.iter().any(|e| {
        let start = e.get("start").and_then(Value::as_str).and_then(|s| {
            chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc)).or_else(|| {
                let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                Some(crate::time::local_to_utc(d.and_time(chrono::NaiveTime::MIN), search.tz))
            })
        });
        start.is_some_and(|s| if search.forward { s >= search.now } else { s < search.now })
    })
}

/// The parts of a step's reply that failed: each calendar of a `calendar.read` reply that carries
/// an error, as (code, message).
fn failed_parts(body: &Value) -> Vec<(String, String)> {
    let Some(calendars) = body.get("calendars").and_then(Value::as_array) else { return Vec::new() };
    calendars
        .iter()
        .filter_map(|c| {
            let e = c.get("error")?;
            let code = e.get("code").and_then(Value::as_str).unwrap_or("source_failed").to_string();
            let id = c.get("id").and_then(Value::as_str).unwrap_or("?");
            let message = e.get("message").and_then(Value::as_str).unwrap_or("");
            Some((code, format!("calendar {id}: {message}")))
        })
        .collect()
}

impl Execution {
    /// Adds a later execution's steps (run after this one's) to this one.
    fn append(&mut self, more: Execution) {
        self.outputs.extend(more.outputs);
        self.named = more.named;
        self.steps.extend(more.steps);
        self.errors.extend(more.errors);
        self.error_codes.extend(more.error_codes);
        self.max_in_flight = self.max_in_flight.max(more.max_in_flight);
    }

    fn fail(&mut self, i: usize, code: &str, message: String) {
        self.error_codes[i] = Some(code.to_string());
        self.errors.push(StepErrorOut { step: self.steps[i].id.clone(), code: code.to_string(), message });
    }
}

/// Frees the dependents of a finished step; those of a failed one are doomed to be skipped.
fn finish(
    plan: &ValidPlan,
    i: usize,
    ok: bool,
    pending: &mut [usize],
    doomed: &mut [bool],
    ready: &mut std::collections::VecDeque<usize>,
) {
    for &j in &plan.dependents[i] {
        doomed[j] |= !ok;
        pending[j] -= 1;
        if pending[j] == 0 {
            // Doomed steps go first: skipping them costs nothing and frees their dependents.
            if doomed[j] { ready.push_front(j) } else { ready.push_back(j) }
        }
    }
}

fn step_timeout(limit: Duration, deadline: Option<Instant>) -> Duration {
    match deadline {
        Some(d) => limit.min(d.saturating_duration_since(Instant::now())),
        None => limit,
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// Longest chain of step durations along dependency edges.
fn critical_path(plan: &ValidPlan, steps: &[StepTiming]) -> f64 {
    // Steps are validated acyclic; visit them in dependency order.
    let n = plan.steps.len();
    let mut best = vec![None::<f64>; n];
    let mut remaining = n;
    while remaining > 0 {
        let before = remaining;
        for i in 0..n {
            if best[i].is_some() {
                continue;
            }
            let deps: Option<Vec<f64>> = plan.steps[i].deps.iter().map(|&d| best[d]).collect();
            if let Some(deps) = deps {
                best[i] = Some(steps[i].duration_ms + deps.into_iter().fold(0.0, f64::max));
                remaining -= 1;
            }
        }
        if remaining == before {
            break;
        }
    }
    best.into_iter().flatten().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(steps: &[(&str, &str, &[&str])]) -> ValidPlan {
        Plan {
            steps: steps
                .iter()
                .map(|(id, cap, deps)| Step {
                    id: id.to_string(),
                    capability: cap.to_string(),
                    params: json!({}),
                    depends_on: deps.iter().map(|d| d.to_string()).collect(),
                })
                .collect(),
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn plan_shapes_are_capabilities_by_level_and_the_window_kind_only() {
        let question = plan(&[
            ("sarah", "contacts.resolve", &[]),
            ("tom", "contacts.resolve", &[]),
            ("calendar", "calendar.read", &["sarah", "tom"]),
        ]);
        assert_eq!(plan_shape(&question, Some("next_week")), "contacts.resolve*2>calendar.read@next_week");
        assert_eq!(plan_shape(&question, None), "contacts.resolve*2>calendar.read");
        // The same shape whatever the ids, the order, and which step waits for which.
        let renamed = plan(&[
            ("read", "calendar.read", &["b", "a"]),
            ("a", "contacts.resolve", &[]),
            ("b", "contacts.resolve", &[]),
        ]);
        assert_eq!(plan_shape(&renamed, Some("next_week")), plan_shape(&question, Some("next_week")));
        assert_eq!(plan_shape(&plan(&[("c", "calendar.read", &[])]), Some("tomorrow")), "calendar.read@tomorrow");
        // A chain and a mixed level.
        let chain = plan(&[
            ("p", "contacts.resolve", &[]),
            ("q", "calendar.read", &[]),
            ("r", "calendar.read", &["p"]),
            ("s", "contacts.resolve", &["r"]),
        ]);
        assert_eq!(plan_shape(&chain, None), "calendar.read+contacts.resolve>calendar.read>contacts.resolve");
    }
}
