//! The `coordinate` capability: a question or an explicit plan becomes a DAG of steps, run
//! concurrently through a [`Sibling`] (each step starts as soon as its own dependencies finish),
//! measured, recorded in a [`TimingStore`], and folded into one answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{instrument, warn};

use crate::error::{ApiError, ErrorCode};
use crate::metrics::{self, MetricsSink};
use crate::plan::{Capability, Plan, Step, ValidPlan, resolve_refs};
use crate::question::{self, Availability, Question};
use crate::sibling::Sibling;
use crate::slots::{SlotDefaults, WorkHours};
use crate::time::{TimeArg, Window, format_instant, local_to_utc, parse_zone};
use crate::timing::{RecordKind, TimingRecord, TimingStore};

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

/// The answer part of the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The window read (from the first `calendar.read` step).
    pub window: Option<WindowOut>,
    /// Every `contacts.resolve` response, in plan order.
    pub people: Vec<Value>,
    /// The events of every `calendar.read` step, merged, sorted by start then uid.
    pub events: Vec<Value>,
    /// Plain sentences about what the answer could not do (an unknown person, an ambiguous name).
    #[serde(default)]
    pub notes: Vec<String>,
    /// For a free-time question or plan: the `slots.find` answer (slots, participants, unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<crate::slots::SlotsResponse>,
}

/// A window as the answer shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowOut {
    /// Inclusive start, RFC 3339.
    pub start: String,
    /// Exclusive end, RFC 3339.
    pub end: String,
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

/// What running a plan produced, before it is shaped into a response.
#[derive(Debug)]
struct Execution {
    outputs: Vec<Option<Value>>,
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

        let (plan, understood, window_kind) = match (&request.question, &request.plan) {
            (Some(q), None) => {
                let parsed = question::parse(q, now)?;
                if let Some(w) = &parsed.window {
                    Window::new(w.start.with_timezone(&Utc), w.end.with_timezone(&Utc))
                        .map_err(CoordinateError::QuestionWindow)?;
                }
                let kind = window_kind(&parsed);
                let plan = match &parsed.availability {
                    Some(a) => {
                        let plan = availability_plan(&parsed, a, now, tz, &self.slots.hours);
                        if let Some(w) = &parsed.window {
                            let span = w.end.with_timezone(&Utc) - w.start.with_timezone(&Utc);
                            if span > chrono::Duration::days(crate::slots::MAX_WINDOW_DAYS) {
                                return Err(CoordinateError::SlotWindow { days: span.num_days() });
                            }
                        }
                        plan
                    }
                    None => question_plan(&parsed, now, tz),
                };
                (plan, Some(parsed), Some(kind))
            }
            (None, Some(p)) => (p.clone(), None, None),
            _ => return Err(CoordinateError::QuestionOrPlan),
        };
        let valid = plan.validate()?;
        let exec = self.execute(&valid, request.sequential, started, deadline).await;
        let total_ms = ms(started.elapsed());

        let answer = build_answer(&valid, &exec, understood.as_ref());
        let critical_path_ms = critical_path(&valid, &exec.steps);
        let sum_of_steps_ms = exec.steps.iter().map(|s| s.duration_ms).sum();
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
        let cold_start = self.cold.swap(false, Ordering::Relaxed);
        let shape = plan_shape(&valid, window_kind.as_deref());
        let records = timing_records(&timings, &exec, at, cold_start, degraded, window_kind, shape);
        let write_failed = match self.timings.write(&records).await {
            Ok(()) => false,
            Err(e) => {
                // The user's answer does not depend on the record; the line below can be replayed.
                let line = serde_json::to_string(&records).unwrap_or_default();
                warn!(code = e.code(), error = %e, records = %line, "{}", crate::timing::replay::NOT_WRITTEN);
                true
            }
        };
        self.emit_metrics(&timings, &exec, at, cold_start, degraded, write_failed);
        Ok(CoordinateResponse { answer, plan, timings, errors: exec.errors, degraded })
    }

    /// One EMF line per dimension set: the request, each step, each error.
    fn emit_metrics(
        &self,
        t: &Timings,
        exec: &Execution,
        at: DateTime<Utc>,
        cold: bool,
        degraded: bool,
        write_failed: bool,
    ) {
        let ts = at.timestamp_millis();
        let id = [("RequestId", t.request_id.as_str())];
        let mut request = vec![(metrics::LATENCY, t.total_ms), (metrics::REQUESTS, 1.0)];
        if cold {
            request.push((metrics::COLD_STARTS, 1.0));
        }
        self.metrics.emit(metrics::line(ts, &request, &[("Capability", "coordinate")], &id));
        let speedup = if t.total_ms > 0.0 { t.sum_of_steps_ms / t.total_ms } else { 0.0 };
        let whole = [
            (metrics::PARALLEL_SPEEDUP, speedup),
            (metrics::MAX_IN_FLIGHT, t.max_in_flight as f64),
            (metrics::DEGRADED, if degraded { 1.0 } else { 0.0 }),
            (metrics::TIMING_WRITE_FAILURES, if write_failed { 1.0 } else { 0.0 }),
        ];
        self.metrics.emit(metrics::line(ts, &whole, &[], &id));
        for s in t.steps.iter().filter(|s| s.status != "skipped") {
            self.metrics.emit(metrics::line(
                ts,
                &[(metrics::STEP_LATENCY, s.duration_ms)],
                &[("Capability", &s.capability)],
                &id,
            ));
        }
        for (s, code) in t.steps.iter().zip(&exec.error_codes) {
            if let Some(code) = code {
                let dims = [("Capability", s.capability.as_str()), ("ErrorCode", code.as_str())];
                self.metrics.emit(metrics::line(ts, &[(metrics::STEP_ERRORS, 1.0)], &dims, &id));
            }
        }
    }

    async fn execute(
        &self,
        plan: &ValidPlan,
        sequential: bool,
        started: Instant,
        deadline: Option<Instant>,
    ) -> Execution {
        let n = plan.steps.len();
        let limit = if sequential { 1 } else { self.limits.max_concurrency.max(1) };
        let transport = self.sibling.transport().to_string();
        let (slot_defaults, default_tz) = (self.slots, self.default_tz);
        let mut pending: Vec<usize> = plan.steps.iter().map(|s| s.deps.len()).collect();
        let mut doomed = vec![false; n];
        let mut failed = vec![false; n];
        let mut ready: std::collections::VecDeque<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut named_outputs: HashMap<String, Value> = HashMap::new();
        let mut exec = Execution {
            outputs: vec![None; n],
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
        exec
    }
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

/// The plan for a question: resolve every person concurrently, then read the window filtered
/// by the people (their emails, or the name as said when no contact clearly matched) and topic.
pub fn question_plan(q: &Question, now: DateTime<Tz>, tz: Tz) -> Plan {
    let (start, end) = question_window(q, now, tz);
    let mut steps = Vec::new();
    let mut attendees = Vec::new();
    for (k, person) in q.people.iter().enumerate() {
        let id = format!("person_{}", k + 1);
        attendees.push(json!({"$ref": format!("{id}/resolved/emails"), "default": person}));
        steps.push(Step {
            id,
            capability: Capability::ContactsResolve.name().into(),
            params: json!({"query": person}),
            depends_on: Vec::new(),
        });
    }
    let mut read = json!({
        "start": format_instant(start, tz),
        "end": format_instant(end, tz),
        "timezone": tz.name(),
    });
    if !attendees.is_empty() {
        read["attendees"] = Value::Array(attendees);
    }
    if let Some(topic) = &q.topic {
        read["text"] = Value::String(topic.clone());
    }
    let depends_on = steps.iter().map(|s| s.id.clone()).collect();
    steps.push(Step {
        id: "calendar".into(),
        capability: Capability::CalendarRead.name().into(),
        params: read,
        depends_on,
    });
    Plan { steps }
}

/// The window a question reads: the one it names, else today (from its start) and the
/// following days, [`DEFAULT_LOOKAHEAD_DAYS`] in all.
fn question_window(q: &Question, now: DateTime<Tz>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    match &q.window {
        Some(w) => (w.start.with_timezone(&Utc), w.end.with_timezone(&Utc)),
        None => {
            let today = local_to_utc(now.date_naive().and_time(chrono::NaiveTime::MIN), tz);
            let end = local_to_utc(
                (now.date_naive() + chrono::Days::new(DEFAULT_LOOKAHEAD_DAYS as u64)).and_time(chrono::NaiveTime::MIN),
                tz,
            );
            (today, end)
        }
    }
}

/// The working hours a free-time question searches: the configured ones; when its window has no
/// working time on working days (a weekend day asked for by name) the same hours on every day;
/// when it has none at all (an evening) the whole window.
pub fn question_hours(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, hours: &WorkHours) -> WorkHours {
    let Some(window) = crate::slots::Interval::new(start, end) else { return *hours };
    if !crate::slots::working_time(window, tz, hours).is_empty() {
        return *hours;
    }
    let every_day = WorkHours { days: [true; 7], ..*hours };
    if !crate::slots::working_time(window, tz, &every_day).is_empty() {
        return every_day;
    }
    WorkHours::ALWAYS
}

/// The plan for a free-time question: the user's busy time is read while every person is
/// resolved (all at once); each person's busy time is read as soon as they are resolved; then
/// `slots.find` runs on all of them. The window starts no earlier than now. Each busy-time
/// `$ref` has a default that reports its person as unknown, so a failed read never makes anyone
/// look free.
pub fn availability_plan(q: &Question, a: &Availability, now: DateTime<Tz>, tz: Tz, hours: &WorkHours) -> Plan {
    let (start, end) = question_window(q, now, tz);
    let now_utc = now.with_timezone(&Utc);
    let start = if now_utc < end { start.max(now_utc) } else { start };
    let hours = question_hours(start, end, tz, hours);
    let window = json!({"start": format_instant(start, tz), "end": format_instant(end, tz), "timezone": tz.name()});
    let mut steps = vec![Step {
        id: "freebusy_me".into(),
        capability: Capability::CalendarFreeBusy.name().into(),
        params: window.clone(),
        depends_on: Vec::new(),
    }];
    let unknown = |who: &str| json!({"people": [], "unknown": [who]});
    let mut busy = vec![json!({"$ref": "freebusy_me", "default": unknown(crate::freebusy::ME)})];
    for (k, person) in q.people.iter().enumerate() {
        let (resolve, read) = (format!("person_{}", k + 1), format!("freebusy_{}", k + 1));
        let mut params = window.clone();
        params["attendees"] = json!([{"$ref": format!("{resolve}/resolved/emails"), "default": person}]);
        params["include_self"] = json!(false);
        busy.push(json!({"$ref": read, "default": unknown(person)}));
        steps.push(Step {
            id: resolve,
            capability: Capability::ContactsResolve.name().into(),
            params: json!({"query": person}),
            depends_on: Vec::new(),
        });
        steps.push(Step {
            id: read,
            capability: Capability::CalendarFreeBusy.name().into(),
            params,
            depends_on: Vec::new(),
        });
    }
    let mut params = window;
    params["duration_minutes"] = json!(a.duration_minutes.unwrap_or(DEFAULT_MEETING_MINUTES));
    params["busy"] = Value::Array(busy);
    params["hours"] = json!(hours.hours_text());
    params["days"] = json!(hours.days_text());
    params["max_results"] = json!(if a.first { 1 } else { QUESTION_SLOTS });
    steps.push(Step {
        id: "slots".into(),
        capability: Capability::SlotsFind.name().into(),
        params,
        depends_on: Vec::new(),
    });
    Plan { steps }
}

/// The plan's shape, the report's key for pairing sequential and concurrent runs of the same
/// kind of request: the steps grouped by dependency level (a step without dependencies is level
/// 0, any other one more than its deepest dependency), each level its capabilities in name order
/// with a count (`contacts.resolve*2`, joined by `+`), levels joined by `>`, then `@` and the
/// window kind when the request was a question. Made only of capability names, counts and the
/// fixed window-kind vocabulary: never step ids, names or params.
pub fn plan_shape(plan: &ValidPlan, window_kind: Option<&str>) -> String {
    let n = plan.steps.len();
    let mut level = vec![None::<usize>; n];
    // Validated acyclic: each pass settles at least one more step.
    for _ in 0..n {
        for i in 0..n {
            if level[i].is_none() {
                let deps: Option<Vec<usize>> = plan.steps[i].deps.iter().map(|&d| level[d]).collect();
                level[i] = deps.map(|d| d.into_iter().max().map_or(0, |m| m + 1));
            }
        }
    }
    let depth = level.iter().flatten().max().map_or(0, |m| m + 1);
    let mut levels = vec![std::collections::BTreeMap::<&str, usize>::new(); depth];
    for (i, step) in plan.steps.iter().enumerate() {
        if let Some(l) = level[i] {
            *levels[l].entry(step.capability.name()).or_default() += 1;
        }
    }
    let mut shape = levels
        .iter()
        .map(|caps| {
            caps.iter()
                .map(|(c, k)| if *k == 1 { (*c).to_string() } else { format!("{c}*{k}") })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(">");
    if let Some(kind) = window_kind {
        shape.push('@');
        shape.push_str(kind);
    }
    shape
}

/// The kind of window a question asked for, for the timing record: a fixed vocabulary, never
/// the question's own words.
/// The kind of window a question asked for, as timing records keep it (never its words).
pub fn window_kind(q: &Question) -> String {
    const KINDS: [&str; 14] = [
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "this week",
        "next week",
        "last week",
        "this weekend",
        "next weekend",
        "this month",
        "next month",
        "last month",
        "this morning",
        "this afternoon",
    ];
    match &q.window {
        None => "default".into(),
        Some(w) => {
            let phrase = w.phrase.trim().to_lowercase();
            KINDS.iter().find(|k| phrase == **k).map(|k| k.replace(' ', "_")).unwrap_or_else(|| "other".into())
        }
    }
}

fn build_answer(plan: &ValidPlan, exec: &Execution, q: Option<&Question>) -> Answer {
    let mut answer = Answer { window: None, people: Vec::new(), events: Vec::new(), notes: Vec::new(), slots: None };
    let free_time = plan.steps.iter().any(|s| s.capability == Capability::SlotsFind);
    let consequence =
        if free_time { "their busy time is unknown" } else { "events were matched on the name as written" };
    for (i, step) in plan.steps.iter().enumerate() {
        match (step.capability, &exec.outputs[i]) {
            (Capability::ContactsResolve, Some(out)) => {
                let query = out.get("query").and_then(Value::as_str).unwrap_or_default();
                if out.get("resolved").is_none_or(Value::is_null) {
                    let ambiguous = out.get("ambiguous").and_then(Value::as_bool).unwrap_or(false);
                    answer.notes.push(if ambiguous {
                        format!("\"{query}\" matches more than one contact; {consequence}.")
                    } else {
                        format!("No contact matches \"{query}\"; {consequence}.")
                    });
                }
                answer.people.push(out.clone());
            }
            (Capability::SlotsFind, Some(out)) if answer.slots.is_none() => {
                if let Ok(found) = serde_json::from_value::<crate::slots::SlotsResponse>(out.clone()) {
                    answer.window =
                        Some(WindowOut { start: found.window.start.clone(), end: found.window.end.clone() });
                    for who in &found.unknown {
                        answer.notes.push(if who == crate::freebusy::ME {
                            "Your own busy time could not be read; the slots do not account for it.".to_string()
                        } else {
                            format!("The busy time of {who} could not be read; the slots do not account for them.")
                        });
                    }
                    if found.slots.is_empty() {
                        answer.notes.push(format!(
                            "No free slot of {} minutes in the window ({} on {}).",
                            found.duration_minutes, found.hours, found.days
                        ));
                    }
                    answer.slots = Some(found);
                }
            }
            (Capability::CalendarFreeBusy, Some(out)) if answer.window.is_none() => {
                answer.window = out.get("window").and_then(|w| serde_json::from_value(w.clone()).ok());
            }
            (Capability::CalendarRead, Some(out)) => {
                if answer.window.is_none() {
                    answer.window = out.get("window").and_then(|w| serde_json::from_value(w.clone()).ok());
                }
                if let Some(events) = out.get("events").and_then(Value::as_array) {
                    answer.events.extend(events.iter().cloned());
                }
            }
            _ => {}
        }
    }
    if plan.steps.iter().filter(|s| s.capability == Capability::CalendarRead).count() > 1 {
        let key = |e: &Value| {
            (
                e.get("start").and_then(Value::as_str).unwrap_or_default().to_string(),
                e.get("uid").and_then(Value::as_str).unwrap_or_default().to_string(),
                e.get("calendar").and_then(Value::as_str).unwrap_or_default().to_string(),
                e.get("recurrence_id").map(Value::to_string).unwrap_or_default(),
            )
        };
        answer.events.sort_by_key(key);
        answer.events.dedup_by(|a, b| key(a) == key(b));
    }
    if let Some(a) = q.and_then(|q| q.availability.as_ref())
        && a.duration_minutes.is_none()
    {
        answer
            .notes
            .push(format!("The question names no meeting length; {DEFAULT_MEETING_MINUTES} minutes were assumed."));
    }
    if q.is_some_and(|q| q.window.is_none()) {
        answer
            .notes
            .push(format!("The question names no time; it was read as the next {DEFAULT_LOOKAHEAD_DAYS} days."));
    }
    answer
}

fn timing_records(
    t: &Timings,
    exec: &Execution,
    at: DateTime<Utc>,
    cold_start: bool,
    degraded: bool,
    window_kind: Option<String>,
    plan_shape: String,
) -> Vec<TimingRecord> {
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
        window_kind,
        plan_shape: Some(plan_shape),
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
            status: s.status.clone(),
            error_code: exec.error_codes[i].clone(),
            cache: s.cache.clone(),
            transport: Some(s.transport.clone()),
            cold_start,
            ..TimingRecord::default()
        });
    }
    out
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
