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
use serde::{Deserialize, Serialize};
#[cfg(test)]
use serde_json::json;
use tracing::{instrument, warn};

use kenny_domain::error::ErrorCode;
#[cfg(test)]
use kenny_domain::plan::Step;
use kenny_domain::plan::{Plan, ValidPlan};
use kenny_domain::question;
use kenny_domain::slots::SlotDefaults;
use kenny_domain::time::{TimeArg, parse_zone};
use kenny_ports::metrics::MetricsSink;
use kenny_ports::sibling::{Output, Sibling};
use kenny_ports::sources::CacheTier;
use kenny_ports::timing::TimingStore;

mod answer;
mod dag;
mod plans;
mod records;

use dag::{Execution, Run, ms};

pub use answer::{Answer, CountOut, FreeAtOut, PersonFreeOut};
pub use kenny_domain::time::WindowOut;
pub use plans::{
    FETCH_STEP, QuestionPlan, READ_STEP, SEARCH_DAYS, Search, availability_plan, plan_for, plan_shape, question_hours,
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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
    pub status: StepStatus,
    /// Cache tier that answered, if reported.
    pub cache: Option<CacheTier>,
    /// How it was called.
    pub transport: String,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// It answered.
    Ok,
    /// It failed (its error is in the response's `errors`).
    Error,
    /// It did not run: a dependency failed, or the request ran out of time first.
    Skipped,
}

impl StepStatus {
    /// The wire name (also the timing record's `status`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Ok => "ok",
            StepStatus::Error => "error",
            StepStatus::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl PartialEq<&str> for StepStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    Plan(#[from] kenny_domain::plan::PlanError),
    /// `now` or `timezone` is malformed.
    #[error(transparent)]
    Time(#[from] kenny_domain::time::TimeError),
    /// The question asks for a window longer than a read may be.
    #[error("the question asks for {0}")]
    QuestionWindow(kenny_domain::time::TimeError),
    /// A free-time question asks for a window longer than slots are searched in.
    #[error(
        "the question asks for free time in {days} days; slots are searched in at most {} days",
        kenny_domain::slots::MAX_WINDOW_DAYS
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
    pub async fn handle(
        &self,
        request: CoordinateRequest,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<CoordinateResponse, CoordinateError> {
        self.handle_from(request, request_id, deadline, None).await.map(|h| h.response)
    }

    /// [`handle`](Self::handle) for an edge that marks its records (`edge`: `mcp`) and answers
    /// a step's own output (an MCP tool that is one capability answers that capability's JSON).
    #[instrument(skip(self, request), fields(request_id = %request_id))]
    pub async fn handle_from(
        &self,
        request: CoordinateRequest,
        request_id: &str,
        deadline: Option<Instant>,
        edge: Option<Edge>,
    ) -> Result<Handled, CoordinateError> {
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
        let run = Run { sequential: request.sequential, started, deadline, question: understood.is_some() };
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
            edge: edge.map(Edge::as_str),
        };
        let records = records::timing_records(&timings, &exec, &facts);
        let write_failed = match self.timings.write(&records).await {
            Ok(()) => false,
            Err(e) => {
                // The user's answer does not depend on the record; the line below can be replayed.
                let line = serde_json::to_string(&records).unwrap_or_default();
                warn!(code = e.code(), error = %e, records = %line, "{}", kenny_ports::timing::NOT_WRITTEN);
                true
            }
        };
        records::emit_metrics(self.metrics.as_ref(), &timings, &exec, &facts, write_failed);
        let outputs = valid.steps.iter().zip(exec.outputs).filter_map(|(s, o)| Some((s.id.clone(), o?))).collect();
        let response = CoordinateResponse { answer, plan, timings, errors: exec.errors, degraded };
        Ok(Handled { response, outputs })
    }
}

/// An edge that marks the timing records of the requests it sends (see [`Coordinator::handle_from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// A tool call over MCP (`kenny mcp`, `POST /mcp`).
    Mcp,
}

impl Edge {
    /// The record's `edge` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Mcp => "mcp",
        }
    }
}

/// A handled request: the response, and every step's output by step id.
#[derive(Debug, Clone)]
pub struct Handled {
    /// What `coordinate` answers.
    pub response: CoordinateResponse,
    /// The outputs of the steps that succeeded, by id.
    pub outputs: HashMap<String, Output>,
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
