//! The DAG executor: runs a validated plan's steps through the [`Sibling`](kenny_ports::sibling::Sibling)
//! port as their dependencies finish, skips the steps a failure dooms, and continues a
//! `next`/`last` search one window at a time.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde_json::Value;
use tokio::time::Instant;

use super::plans::{FETCH_STEP, READ_STEP, Search};
use super::{CoordinateError, Coordinator, LOCAL, StepErrorOut, StepStatus, StepTiming};
use kenny_domain::error::{ApiError, ErrorCode};
use kenny_domain::plan::{Capability, Plan, Step, ValidPlan, resolve_refs};
use kenny_ports::sibling::{Call, Output};

/// How one request's plan runs: one step at a time or concurrently, from when, and until when.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    pub(super) sequential: bool,
    pub(super) started: Instant,
    pub(super) deadline: Option<Instant>,
    /// The plan is a question's (built by `plans`), whose [`FETCH_STEP`] is a head start; in an
    /// explicit plan a step of that id is a step like any other.
    pub(super) question: bool,
}

/// What running a plan produced, before it is shaped into a response.
#[derive(Debug)]
pub(super) struct Execution {
    /// Each step's output, in plan order (`None` where it failed or was skipped).
    pub(super) outputs: Vec<Option<Output>>,
    /// As JSON by step id, the outputs that later steps' `$ref`s may name (those of steps with
    /// dependents): a plan's params are JSON, so its references are resolved in JSON.
    pub(super) named: HashMap<String, Value>,
    pub(super) steps: Vec<StepTiming>,
    pub(super) errors: Vec<StepErrorOut>,
    pub(super) error_codes: Vec<Option<String>>,
    pub(super) max_in_flight: usize,
    /// The index of a question plan's window fetch, if it has one: only a head start, so its
    /// events are not the answer's and its failures are reported by the filtered read.
    pub(super) head_start: Option<usize>,
}

impl Coordinator {
    /// Runs `plan`: each step starts as soon as its dependencies are done (at most
    /// `max_concurrency` at once, or one at a time when `sequential`); `seed` holds earlier
    /// steps' outputs its `$ref`s may name.
    pub(super) async fn execute(&self, plan: &ValidPlan, run: Run, seed: HashMap<String, Value>) -> Execution {
        let limit = if run.sequential { 1 } else { self.limits.max_concurrency.max(1) };
        let mut exec = Execution::new(plan, self.sibling.transport(), seed);
        if run.question {
            exec.head_start = plan.steps.iter().position(|s| s.id == FETCH_STEP);
        }
        let mut schedule = Schedule::new(plan);
        let mut running = FuturesUnordered::new();
        loop {
            while running.len() < limit {
                let Some(i) = schedule.ready.pop_front() else { break };
                let Some(params) = admit(plan, i, &mut schedule, &mut exec, run.started) else { continue };
                let timeout = step_timeout(self.limits.step_timeout, run.deadline);
                let begun = Instant::now();
                exec.steps[i].start_ms = ms(begun - run.started);
                running.push(self.call_step(i, plan.steps[i].capability, params, timeout, begun));
                exec.max_in_flight = exec.max_in_flight.max(running.len());
            }
            let Some((i, took, result)) = running.next().await else { break };
            let ok = exec.settle(plan, i, took, result);
            schedule.finish(plan, i, ok);
        }
        exec
    }

    /// One step's call, with its index and how long it took since `begun`: `slots.find` is
    /// computed here, every other capability is called through the sibling within `timeout`.
    /// The params are read as the capability's request here, once: a step whose params are not
    /// one fails with the capability's own `invalid_request` and calls nothing.
    fn call_step(
        &self,
        i: usize,
        capability: Capability,
        params: Value,
        timeout: Duration,
        begun: Instant,
    ) -> impl Future<Output = StepDone> + Send + 'static {
        let sibling = self.sibling.clone();
        let (slot_defaults, default_tz) = (self.slots, self.default_tz);
        async move {
            if capability.is_local() {
                // A pure function of earlier outputs, bounded by its own limits.
                let result = kenny_domain::slots::respond(params, &slot_defaults, default_tz).map(Output::Slots);
                return (i, begun.elapsed(), result);
            }
            let call = match Call::from_params(capability, params) {
                Ok(call) => call,
                Err(e) => return (i, begun.elapsed(), Err(e)),
            };
            let result = match tokio::time::timeout(timeout, sibling.call(call)).await {
                Ok(r) => r,
                Err(_) => Err(ApiError {
                    code: "timeout".into(),
                    message: format!("{capability} did not answer within {} ms", timeout.as_millis()),
                    field: None,
                    status: 504,
                }),
            };
            (i, begun.elapsed(), result)
        }
    }

    /// Runs the rest of a `next`/`last` search: while nothing matching was found and the
    /// reads so far answered, one more `calendar.read` of the next window, its attendees taken
    /// from the people already resolved. Each read is appended to `plan` (depending on the one
    /// before) and to `exec`; returns the whole plan validated.
    pub(super) async fn search(
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
            if read_failed || found(search, exec.output(&previous)) {
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
fn found(search: &Search, read: Option<&Output>) -> bool {
    let Some(Output::Read(read)) = read else { return false };
    read.events.iter().any(|e| {
        let start = super::answer::instant(&e.start, search.tz);
        start.is_some_and(|s| if search.forward { s >= search.now } else { s < search.now })
    })
}

/// The parts of a step's reply that failed: each calendar of a `calendar.read` or
/// `calendar.freebusy` reply that carries an error, as (code, message).
fn failed_parts(output: &Output) -> Vec<(String, String)> {
    let calendars = match output {
        Output::Read(r) => &r.calendars,
        Output::FreeBusy(r) => &r.calendars,
        Output::Resolve(_) | Output::Slots(_) => return Vec::new(),
    };
    calendars
        .iter()
        .filter_map(|c| {
            let e = c.error.as_ref()?;
            Some((e.code.clone(), format!("calendar {}: {}", c.id, e.message)))
        })
        .collect()
}

impl Execution {
    /// Every step of `plan` not yet run (`skipped` until it is), with `named` the outputs its
    /// `$ref`s may already name; remote steps go over `transport`.
    fn new(plan: &ValidPlan, transport: &str, named: HashMap<String, Value>) -> Self {
        let n = plan.steps.len();
        Execution {
            outputs: vec![None; n],
            named,
            steps: plan
                .steps
                .iter()
                .map(|s| StepTiming {
                    id: s.id.clone(),
                    capability: s.capability.name().into(),
                    start_ms: 0.0,
                    duration_ms: 0.0,
                    status: StepStatus::Skipped,
                    cache: None,
                    transport: if s.capability.is_local() { LOCAL.to_string() } else { transport.to_string() },
                })
                .collect(),
            errors: Vec::new(),
            error_codes: vec![None; n],
            max_in_flight: 0,
            head_start: None,
        }
    }

    /// Records step `i`'s reply; whether it answered. A calendar that could not be read makes
    /// the answer partial, though the step answered.
    fn settle(&mut self, plan: &ValidPlan, i: usize, took: Duration, result: Result<Output, ApiError>) -> bool {
        self.steps[i].duration_ms = ms(took);
        match result {
            Ok(output) => {
                self.steps[i].status = StepStatus::Ok;
                // A calendar the fetch could not read is read again, and reported, by the
                // filtered read that follows it.
                let parts = if self.head_start == Some(i) { Vec::new() } else { failed_parts(&output) };
                for (code, message) in parts {
                    self.error_codes[i].get_or_insert_with(|| code.clone());
                    self.errors.push(StepErrorOut { step: plan.steps[i].id.clone(), code, message });
                }
                self.steps[i].cache = output.cache();
                if !plan.dependents[i].is_empty() {
                    // Unencodable output (never seen) leaves the `$ref`s to it unresolved.
                    if let Ok(json) = output.to_json() {
                        self.named.insert(plan.steps[i].id.clone(), json);
                    }
                }
                self.outputs[i] = Some(output);
                true
            }
            Err(e) if self.head_start == Some(i) => {
                // Only a head start failed: the filtered read runs on its own (its `$ref`s to the
                // fetch have defaults) and answers, or reports, for itself.
                self.steps[i].status = StepStatus::Error;
                self.error_codes[i] = Some(e.code);
                false
            }
            Err(e) => {
                self.steps[i].status = StepStatus::Error;
                self.fail(i, &e.code, e.message);
                false
            }
        }
    }

    /// The output of the step with this id, if it answered.
    pub(super) fn output(&self, id: &str) -> Option<&Output> {
        let i = self.steps.iter().position(|s| s.id == id)?;
        self.outputs.get(i)?.as_ref()
    }

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

/// A finished step: its index, how long it took, and its reply.
type StepDone = (usize, Duration, Result<Output, ApiError>);

/// Which steps may start, and what the others still wait for.
struct Schedule {
    /// Per step, how many of its dependencies have not finished.
    pending: Vec<usize>,
    /// A dependency failed: the step is skipped unless its defaults cover every failed one.
    doomed: Vec<bool>,
    /// The step failed or was skipped.
    failed: Vec<bool>,
    /// Steps whose dependencies are all done, in the order they start.
    ready: VecDeque<usize>,
}

impl Schedule {
    fn new(plan: &ValidPlan) -> Self {
        let n = plan.steps.len();
        let pending: Vec<usize> = plan.steps.iter().map(|s| s.deps.len()).collect();
        let ready = (0..n).filter(|&i| pending[i] == 0).collect();
        Schedule { pending, doomed: vec![false; n], failed: vec![false; n], ready }
    }

    /// Marks step `i` finished and frees its dependents; those of a failed one are doomed to be skipped.
    fn finish(&mut self, plan: &ValidPlan, i: usize, ok: bool) {
        self.failed[i] |= !ok;
        for &j in &plan.dependents[i] {
            self.doomed[j] |= !ok;
            self.pending[j] -= 1;
            if self.pending[j] == 0 {
                // Doomed steps go first: skipping them costs nothing and frees their dependents.
                if self.doomed[j] { self.ready.push_front(j) } else { self.ready.push_back(j) }
            }
        }
    }
}

/// Step `i`'s params with its `$ref`s resolved, when it may run. A step with a failed
/// dependency its defaults do not cover is skipped (`dependency_failed`), and one whose `$ref`s
/// do not resolve fails; either is finished at once and gets `None`.
fn admit(plan: &ValidPlan, i: usize, schedule: &mut Schedule, exec: &mut Execution, started: Instant) -> Option<Value> {
    let step = &plan.steps[i];
    let defaults_cover = step
        .deps
        .iter()
        .filter(|&&d| schedule.failed[d])
        .all(|&d| kenny_domain::plan::runs_without(&step.params, &plan.steps[d].id));
    if schedule.doomed[i] && !defaults_cover {
        exec.fail(i, "dependency_failed", "a step it depends on failed".into());
        schedule.finish(plan, i, false);
        return None;
    }
    match resolve_refs(&step.id, &step.params, &exec.named) {
        Ok(params) => Some(params),
        Err(e) => {
            exec.fail(i, e.code(), e.to_string());
            exec.steps[i].status = StepStatus::Error;
            exec.steps[i].start_ms = ms(started.elapsed());
            schedule.finish(plan, i, false);
            None
        }
    }
}

fn step_timeout(limit: Duration, deadline: Option<Instant>) -> Duration {
    match deadline {
        Some(d) => limit.min(d.saturating_duration_since(Instant::now())),
        None => limit,
    }
}

pub(super) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}
