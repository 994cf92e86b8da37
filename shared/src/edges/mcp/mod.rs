//! Kenny as an MCP server (Model Context Protocol): the tools an assistant calls, the same over
//! stdio (`kenny mcp`, [`stdio`]) and over stateless Streamable HTTP (`POST /mcp` on the
//! `coordinate` function, [`http`]).
//!
//! Every tool call is a `coordinate` request: a question (`ask`), an explicit plan (`run_plan`),
//! or a one- or two-step plan the tool builds (`read_calendar`, `resolve_contact`, `free_busy`,
//! `find_slots`). So a tool runs through the same plan executor, siblings, caches, timing records
//! and metrics as `POST /ask` and `POST /plan`, and its records carry `edge: "mcp"`.
//!
//! Input schemas are generated from the request types (`schemars`), so they cannot drift from
//! docs/contracts.md. A result is the capability's JSON as structured content plus a short
//! text rendering; every failure — a bad argument, an unknown tool, a failed step — is a tool
//! error (`isError: true`) carrying Kenny's `{"error": {"code", "message", "field"?}}`, never a
//! protocol error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::capabilities::calendar::ReadRequest;
use crate::capabilities::calendar::freebusy::FreeBusyRequest;
use crate::capabilities::coordinate::{CoordinateRequest, Coordinator, Edge, Handled};
use crate::domain::contacts::ResolveRequest;
use crate::domain::error::{ApiError, parse_request};
use crate::domain::plan::{Plan, Step};
use crate::domain::slots::SlotsRequest;

pub mod http;
mod render;
mod schema;
pub mod stdio;

/// Largest tool-call arguments accepted, as JSON text: the Lambda edge's body limit, so a call
/// that would be refused over `POST /plan` is refused over MCP too (`too_large`).
pub const MAX_ARGUMENTS_BYTES: usize = 256 * 1024;
/// Largest MCP message accepted: one JSON-RPC message per line over stdio (a longer line is
/// dropped by the SDK and logged), one per POST body over HTTP (413 `too_large`).
pub const MAX_MESSAGE_BYTES: usize = MAX_ARGUMENTS_BYTES + 16 * 1024;
/// Tool calls one stdio server runs at once; further calls wait for a place.
pub const MAX_CALLS_RUNNING: usize = 8;
/// Tool calls one stdio server holds at once, running or waiting; a call beyond them is the
/// tool error `throttled` at once, so a flood of calls costs bounded memory and time.
pub const MAX_CALLS_ADMITTED: usize = 64;

/// The server's name in `initialize`.
pub const SERVER_NAME: &str = "kenny";

/// What the server says about itself in `initialize`.
pub const INSTRUCTIONS: &str = "Kenny answers questions about the user's calendars and contacts; it reads, it never \
     changes a calendar. Use `ask` for a plain-English question. For exact requests: resolve a name \
     with `resolve_contact`, then pass the resolved emails as attendees to `read_calendar`, \
     `free_busy` or `find_slots`. Times are RFC 3339 with offset or dates (YYYY-MM-DD); windows \
     are half-open [start, end). Errors carry a stable `code` (invalid_request, window_too_large, \
     not_found, timeout, …).";

/// The tool names.
pub const ASK: &str = "ask";
/// `calendar.read`.
pub const READ_CALENDAR: &str = "read_calendar";
/// `contacts.resolve`.
pub const RESOLVE_CONTACT: &str = "resolve_contact";
/// `calendar.freebusy`.
pub const FREE_BUSY: &str = "free_busy";
/// `calendar.freebusy` feeding `slots.find`.
pub const FIND_SLOTS: &str = "find_slots";
/// An explicit plan.
pub const RUN_PLAN: &str = "run_plan";
/// Every tool, in the order `tools/list` gives them.
pub const TOOL_NAMES: [&str; 6] = [ASK, READ_CALENDAR, RESOLVE_CONTACT, FREE_BUSY, FIND_SLOTS, RUN_PLAN];

/// The step ids of the plans the tools build (they appear in the answer's `plan` and timings).
const STEP_READ: &str = "calendar";
const STEP_RESOLVE: &str = "contact";
const STEP_FREEBUSY: &str = "freebusy";
const STEP_SLOTS: &str = "slots";

/// `find_slots` arguments that belong to the free/busy step alone.
const FREEBUSY_ONLY: [&str; 3] = ["attendees", "include_self", "calendars"];
/// `find_slots` arguments both steps take.
const SHARED: [&str; 3] = ["start", "end", "timezone"];

/// The tools, as `tools/list` answers them.
pub fn tools() -> Vec<Tool> {
    let read_only = || ToolAnnotations::default().read_only(true).destructive(false).idempotent(true);
    let tool = |name: &'static str, title: &str, description: &'static str, schema: JsonObject| {
        Tool::new(name, description, Arc::new(schema)).with_title(title).with_annotations(read_only())
    };
    vec![
        tool(
            ASK,
            "Ask about the calendar",
            "Answer a plain-English question about the user's calendar: meetings with people \
             (\"what meetings do I have with Sarah next week?\"), what is on a day, the next or last \
             event about a topic, how many meetings, whether someone is free at a time, or free \
             slots (\"when are Sarah and Bob free next week for 30 minutes?\"). Give `timezone` \
             (IANA) and, to pin the time words, `now`. Answers how the question was understood, \
             the window, the people, the events or slots, and the plan that ran with its timings.",
            schema::ask(),
        ),
        tool(
            READ_CALENDAR,
            "Read calendar events",
            "List the user's calendar events overlapping a window [start, end) of at most 366 \
             days (dates or RFC 3339 times), optionally only those where every listed attendee \
             (an email, a name, or a list of one person's addresses) takes part, whose text \
             contains `text`, or in the given calendars. Recurring events are expanded.",
            schema::input::<ReadRequest>(),
        ),
        tool(
            RESOLVE_CONTACT,
            "Resolve a contact",
            "Find which contact a name, nickname or email means (\"Bob\", \"sarah\", \
             \"tom.baker@…\"). Answers the best candidates with their emails, and `resolved` when \
             one clearly wins (`ambiguous` when two are too close); pass the resolved emails as \
             attendees to read_calendar, free_busy or find_slots.",
            schema::input::<ResolveRequest>(),
        ),
        tool(
            FREE_BUSY,
            "Get free/busy time",
            "Get the busy intervals of the user (\"me\", unless include_self is false) and of \
             each listed person (an email, a name, or a list of one person's addresses) in a \
             window [start, end). A person whose calendars cannot be read is listed in `unknown` \
             (never as free).",
            schema::input::<FreeBusyRequest>(),
        ),
        tool(
            FIND_SLOTS,
            "Find a meeting time",
            "Find common free times of `duration_minutes` for the user and the listed people in \
             a window [start, end) of at most 62 days, inside working hours (configured, or \
             `hours`/`days`): reads everyone's busy time, then lists one slot per free period, \
             earliest first, with `free_until`. People whose busy time is unknown are in \
             `unknown`, and the slots do not account for them.",
            schema::find_slots(),
        ),
        tool(
            RUN_PLAN,
            "Run a plan",
            "Run an explicit plan: up to 64 steps, each a capability (calendar.read, \
             contacts.resolve, calendar.freebusy, slots.find) with its request as params; a \
             param may take an earlier step's output with {\"$ref\": \"step_id/json/pointer\", \
             \"default\"?: value}. Independent steps run at once. Answers every step's result in \
             the answer, with timings and per-step errors.",
            schema::run_plan(),
        ),
    ]
}

/// Admits tool calls on a stdio server: at most [`MAX_CALLS_RUNNING`] run at once and at most
/// [`MAX_CALLS_ADMITTED`] are held, running or waiting.
#[derive(Debug)]
pub struct Admission {
    running: Arc<Semaphore>,
    held: Arc<AtomicUsize>,
    max_held: usize,
}

/// A call's place: running while it is held.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
    held: Arc<AtomicUsize>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(MAX_CALLS_RUNNING, MAX_CALLS_ADMITTED)
    }
}

impl Admission {
    /// At most `running` calls at once, `held` running or waiting.
    pub fn new(running: usize, held: usize) -> Self {
        Admission {
            running: Arc::new(Semaphore::new(running.max(1))),
            held: Arc::new(AtomicUsize::new(0)),
            max_held: held.max(running.max(1)),
        }
    }

    /// Waits for a place to run, or refuses at once (`throttled`) when too many calls are held.
    pub async fn admit(&self) -> Result<Admitted, ApiError> {
        let before = self.held.fetch_add(1, Ordering::AcqRel);
        if before >= self.max_held {
            self.held.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                "throttled",
                429,
                format!("{} tool calls are already running or waiting; try again shortly", self.max_held),
            ));
        }
        match self.running.clone().acquire_owned().await {
            Ok(permit) => Ok(Admitted { _permit: permit, held: self.held.clone() }),
            Err(_) => {
                self.held.fetch_sub(1, Ordering::AcqRel);
                Err(ApiError::internal("the server is shutting down"))
            }
        }
    }
}

/// Calls one tool: `request_id` keys its timing records, `deadline` (the invocation's) bounds
/// every step. Always a tool result: failures are `isError` results with Kenny's error body.
pub async fn call_tool(
    coordinator: &Coordinator,
    name: &str,
    arguments: Option<JsonObject>,
    request_id: &str,
    deadline: Option<Instant>,
) -> CallToolResult {
    match run(coordinator, name, arguments, request_id, deadline).await {
        Ok((structured, text)) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            result
        }
        Err(e) => tool_error(e),
    }
}

/// The tool error for `e`: its body as structured content, `code: message` as text.
pub fn tool_error(e: ApiError) -> CallToolResult {
    let text = match &e.field {
        Some(field) => format!("{}: {} (field {field})", e.code, e.message),
        None => format!("{}: {}", e.code, e.message),
    };
    let body = serde_json::to_value(e.into_body()).unwrap_or(Value::Null);
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(body);
    result
}

/// What a tool answers: the structured JSON and its text rendering.
async fn run(
    coordinator: &Coordinator,
    name: &str,
    arguments: Option<JsonObject>,
    request_id: &str,
    deadline: Option<Instant>,
) -> Result<(Value, String), ApiError> {
    let args = Value::Object(arguments.unwrap_or_default());
    let size = crate::edges::lambda::json_len(&args, MAX_ARGUMENTS_BYTES);
    if size > MAX_ARGUMENTS_BYTES {
        return Err(ApiError::new(
            "too_large",
            413,
            format!("the arguments are at least {size} bytes of JSON; at most {MAX_ARGUMENTS_BYTES} are accepted"),
        ));
    }
    let handle = |request: CoordinateRequest| async move {
        coordinator
            .handle_from(request, request_id, deadline, Some(Edge::Mcp))
            .await
            .map_err(|e| ApiError::from_error(&e))
    };
    match name {
        ASK => {
            let request: CoordinateRequest = parse_request(args)?;
            if request.question.is_none() || request.plan.is_some() {
                return Err(ApiError::invalid(
                    Some("question"),
                    "ask takes {\"question\": …}; run plans with run_plan",
                ));
            }
            let handled = handle(request).await?;
            answer(&handled)
        }
        RUN_PLAN => {
            let request: CoordinateRequest = parse_request(args)?;
            if request.plan.is_none() || request.question.is_some() {
                return Err(ApiError::invalid(Some("plan"), "run_plan takes {\"plan\": …}; ask questions with ask"));
            }
            let handled = handle(request).await?;
            answer(&handled)
        }
        READ_CALENDAR => {
            parse_request::<ReadRequest>(args.clone())?;
            let handled = handle(one_step(STEP_READ, "calendar.read", args)).await?;
            let out = output(&handled, STEP_READ)?;
            let text = render::events(&out);
            Ok((out, text))
        }
        RESOLVE_CONTACT => {
            parse_request::<ResolveRequest>(args.clone())?;
            let handled = handle(one_step(STEP_RESOLVE, "contacts.resolve", args)).await?;
            let out = output(&handled, STEP_RESOLVE)?;
            let text = render::resolution(&out);
            Ok((out, text))
        }
        FREE_BUSY => {
            parse_request::<FreeBusyRequest>(args.clone())?;
            let handled = handle(one_step(STEP_FREEBUSY, "calendar.freebusy", args)).await?;
            let out = output(&handled, STEP_FREEBUSY)?;
            let text = render::freebusy(&out);
            Ok((out, text))
        }
        FIND_SLOTS => {
            let plan = slots_plan(args)?;
            let handled = handle(CoordinateRequest { plan: Some(plan), ..plan_request() }).await?;
            let out = output(&handled, STEP_SLOTS)?;
            let text = render::slots(&out);
            Ok((out, text))
        }
        other => Err(ApiError::new(
            "not_found",
            404,
            format!(
                "there is no tool {:?}; the tools are {}",
                other.chars().take(100).collect::<String>(),
                TOOL_NAMES.join(", ")
            ),
        )),
    }
}

/// A `coordinate` request with no question and no plan yet.
fn plan_request() -> CoordinateRequest {
    CoordinateRequest { question: None, plan: None, now: None, timezone: None, sequential: false }
}

/// A plan of one step calling `capability` with `params`.
fn one_step(id: &str, capability: &str, params: Value) -> CoordinateRequest {
    let step = Step { id: id.into(), capability: capability.into(), params, depends_on: Vec::new() };
    CoordinateRequest { plan: Some(Plan { steps: vec![step] }), ..plan_request() }
}

/// `find_slots`: a free/busy step over the window and the people, feeding a `slots.find` step
/// with the rest. Both halves are checked against their request types first, so a bad argument
/// names its field before anything runs.
fn slots_plan(args: Value) -> Result<Plan, ApiError> {
    let Value::Object(fields) = args else {
        return Err(ApiError::invalid(None, "the arguments must be an object"));
    };
    if fields.contains_key("busy") {
        return Err(ApiError::invalid(
            Some("busy"),
            "find_slots reads busy time itself; to pass busy sets, run a slots.find step with run_plan",
        ));
    }
    let mut freebusy = serde_json::Map::new();
    let mut slots = serde_json::Map::new();
    for (key, value) in fields {
        if SHARED.contains(&key.as_str()) {
            freebusy.insert(key.clone(), value.clone());
            slots.insert(key, value);
        } else if FREEBUSY_ONLY.contains(&key.as_str()) {
            freebusy.insert(key, value);
        } else {
            slots.insert(key, value);
        }
    }
    parse_request::<SlotsRequest>(Value::Object(slots.clone()))?;
    parse_request::<FreeBusyRequest>(Value::Object(freebusy.clone()))?;
    slots.insert("busy".into(), json!([{ "$ref": STEP_FREEBUSY }]));
    let step = |id: &str, capability: &str, params| Step {
        id: id.into(),
        capability: capability.into(),
        params: Value::Object(params),
        depends_on: Vec::new(),
    };
    Ok(Plan { steps: vec![step(STEP_FREEBUSY, "calendar.freebusy", freebusy), step(STEP_SLOTS, "slots.find", slots)] })
}

/// The output of `step`, or the error that kept it from one: the first failure that is not
/// only a consequence of another (`dependency_failed`), with its code and message.
fn output(handled: &Handled, step: &str) -> Result<Value, ApiError> {
    if let Some(out) = handled.outputs.get(step) {
        return out.to_json();
    }
    let errors = &handled.response.errors;
    let cause = errors.iter().find(|e| e.code != "dependency_failed").or_else(|| errors.first());
    Err(match cause {
        Some(e) => ApiError { code: e.code.clone(), message: e.message.clone(), field: None, status: 400 },
        None => ApiError::internal(format!("step {step} produced no output")),
    })
}

/// A `coordinate` answer: the whole response, and its rendering.
fn answer(handled: &Handled) -> Result<(Value, String), ApiError> {
    let value = serde_json::to_value(&handled.response)
        .map_err(|e| ApiError::internal(format!("could not encode the response: {e}")))?;
    let text = render::coordinate(&value);
    Ok((value, text))
}

#[cfg(test)]
mod tests;
