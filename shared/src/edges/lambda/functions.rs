//! What each function serves: its routes, its direct-invoke payloads and how it runs them —
//! `calendar-read` (`calendar.read`, `calendar.freebusy`), `contacts-resolve`
//! (`contacts.resolve`) and `coordinate` (questions, plans, the report, MCP) — behind one
//! [`Function`] trait, so that each function's binary links only what it serves.

use std::future::Future;

use tokio::time::Instant;

use serde_json::Value;

use super::{FunctionKind, not_served, timeout};
use crate::capabilities::calendar::CalendarService;
use crate::capabilities::contacts::ContactService;
use crate::capabilities::coordinate::{CoordinateRequest, Coordinator};
use crate::domain::contacts::ResolveRequest;
use crate::domain::error::{ApiError, parse_request};
use crate::domain::plan::Capability;
use crate::ports::sibling::{Call, FREEBUSY_KEY, Output};
use crate::ports::sources::CacheTier;
use crate::wiring::app::{call_calendar, call_contacts};

/// What one request asks for, after routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Capability(Capability),
    /// `coordinate` with a question (`POST /ask`), a plan (`POST /plan`), or either (direct).
    Coordinate {
        needs: Option<&'static str>,
    },
    /// The performance report of `coordinate`'s timing records (`GET /report`).
    Report,
    /// MCP over stateless Streamable HTTP (`POST /mcp`; GET and DELETE answer 405).
    Mcp {
        post: bool,
    },
}

/// What one function serves: its routes, its direct-invoke payloads, and how it runs them. Each
/// of the three holds only its own capability, so a function's binary links only what it serves.
#[async_trait::async_trait]
pub(super) trait Function: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> FunctionKind;
    /// The route of an HTTP request, `None` when this function does not serve it.
    fn route(&self, method: &str, path: &str) -> Option<Route>;
    /// The route of a direct invoke and the request it carries.
    fn direct_route(&self, payload: Value) -> Result<(Route, Value), ApiError>;
    async fn run(
        &self,
        route: Route,
        body: Value,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<Answered, ApiError>;
    /// Answers one MCP message of `POST /mcp` as `(status, body)`; `None` when this function
    /// does not serve MCP. (A method, not an accessor of the coordinator, so that only
    /// `coordinate`'s binary links the MCP server.)
    async fn mcp(&self, _: &[u8], _: Option<&str>, _: &str, _: Option<Instant>) -> Option<(u16, Value)> {
        None
    }
}

/// `calendar-read`: `calendar.read`, and `calendar.freebusy` (`POST /calendar/freebusy`, or
/// `{"freebusy": {...}}` alone by direct invoke).
#[derive(Debug)]
pub(super) struct CalendarRead(pub(super) CalendarService);

#[async_trait::async_trait]
impl Function for CalendarRead {
    fn kind(&self) -> FunctionKind {
        FunctionKind::CalendarRead
    }

    fn route(&self, method: &str, path: &str) -> Option<Route> {
        match (method, path) {
            ("POST", "/calendar/read") => Some(Route::Capability(Capability::CalendarRead)),
            ("POST", "/calendar/freebusy") => Some(Route::Capability(Capability::CalendarFreeBusy)),
            _ => None,
        }
    }

    fn direct_route(&self, payload: Value) -> Result<(Route, Value), ApiError> {
        let (mode, body) =
            alone(payload, FREEBUSY_KEY, "a free/busy request is {\"freebusy\": {...}} and nothing else")?;
        let capability = if mode { Capability::CalendarFreeBusy } else { Capability::CalendarRead };
        Ok((Route::Capability(capability), body))
    }

    async fn run(&self, route: Route, body: Value, _: &str, deadline: Option<Instant>) -> Result<Answered, ApiError> {
        let Route::Capability(cap) = route else { return Err(not_served("this route")) };
        let call = Call::from_params(cap, body)?;
        Answered::output(within(deadline, cap.name(), call_calendar(&self.0, call, deadline)).await??)
    }
}

/// `contacts-resolve`: `contacts.resolve`.
#[derive(Debug)]
pub(super) struct ContactsResolve(pub(super) ContactService);

#[async_trait::async_trait]
impl Function for ContactsResolve {
    fn kind(&self) -> FunctionKind {
        FunctionKind::ContactsResolve
    }

    fn route(&self, method: &str, path: &str) -> Option<Route> {
        (method == "POST" && path == "/contacts/resolve").then_some(Route::Capability(Capability::ContactsResolve))
    }

    fn direct_route(&self, payload: Value) -> Result<(Route, Value), ApiError> {
        Ok((Route::Capability(Capability::ContactsResolve), payload))
    }

    async fn run(&self, route: Route, body: Value, _: &str, deadline: Option<Instant>) -> Result<Answered, ApiError> {
        let Route::Capability(cap @ Capability::ContactsResolve) = route else { return Err(not_served("this route")) };
        let req: ResolveRequest = parse_request(body)?;
        Answered::output(within(deadline, cap.name(), call_contacts(&self.0, &req)).await??)
    }
}

/// `coordinate`: questions and plans (`POST /ask`, `POST /plan`), the performance report
/// (`GET /report`, or `{"report": {...}}` alone by direct invoke) and MCP (`POST /mcp`).
#[derive(Debug)]
pub(super) struct Coordinate(pub(super) Coordinator);

#[async_trait::async_trait]
impl Function for Coordinate {
    fn kind(&self) -> FunctionKind {
        FunctionKind::Coordinate
    }

    fn route(&self, method: &str, path: &str) -> Option<Route> {
        match (method, path) {
            ("POST", "/ask") => Some(Route::Coordinate { needs: Some("question") }),
            ("POST", "/plan") => Some(Route::Coordinate { needs: Some("plan") }),
            ("GET", "/report") => Some(Route::Report),
            (m, "/mcp") => Some(Route::Mcp { post: m == "POST" }),
            _ => None,
        }
    }

    fn direct_route(&self, payload: Value) -> Result<(Route, Value), ApiError> {
        let (report, body) =
            alone(payload, "report", "a report request is {\"report\": {\"since\"?: DURATION}} and nothing else")?;
        Ok((if report { Route::Report } else { Route::Coordinate { needs: None } }, body))
    }

    async fn run(
        &self,
        route: Route,
        body: Value,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Result<Answered, ApiError> {
        match route {
            Route::Coordinate { needs } => {
                let req: CoordinateRequest = parse_request(body)?;
                match needs {
                    Some("question") if req.question.is_none() || req.plan.is_some() => {
                        return Err(ApiError::invalid(
                            Some("question"),
                            "POST /ask takes {\"question\": …}; send plans to POST /plan",
                        ));
                    }
                    Some("plan") if req.plan.is_none() || req.question.is_some() => {
                        return Err(ApiError::invalid(
                            Some("plan"),
                            "POST /plan takes {\"plan\": …}; send questions to POST /ask",
                        ));
                    }
                    _ => {}
                }
                let resp = self.0.handle(req, request_id, deadline).await.map_err(|e| ApiError::from_error(&e))?;
                Answered::json(&resp)
            }
            Route::Mcp { .. } => Err(ApiError::invalid(None, "MCP is served over HTTP only (POST /mcp)")),
            Route::Report => {
                let req: crate::capabilities::report::ReportRequest = parse_request(body)?;
                let read = crate::capabilities::report::read(self.0.timings().as_ref(), &req, chrono::Utc::now());
                let reading = within(deadline, "report", read).await?.map_err(|e| ApiError::from_error(&e))?;
                Answered::json(&reading.report)
            }
            Route::Capability(cap) => Err(not_served(cap.name())),
        }
    }

    async fn mcp(
        &self,
        body: &[u8],
        version: Option<&str>,
        request_id: &str,
        deadline: Option<Instant>,
    ) -> Option<(u16, Value)> {
        let reply = crate::edges::mcp::http::post(&self.0, body, version, request_id, deadline).await;
        Some((reply.status, reply.body.unwrap_or(Value::Null)))
    }
}

/// Splits a direct payload that may be `{key: {...}}` alone (a function's second mode):
/// `(true, inner)` for that form, `(false, payload)` otherwise; `key` beside other fields is
/// refused with `message`.
pub(super) fn alone(payload: Value, key: &str, message: &str) -> Result<(bool, Value), ApiError> {
    match payload {
        Value::Object(mut fields) if fields.contains_key(key) => {
            if let Some(other) = fields.keys().find(|k| *k != key) {
                return Err(ApiError::invalid(Some(other.as_str()), message));
            }
            Ok((true, fields.remove(key).unwrap_or_default()))
        }
        other => Ok((false, other)),
    }
}

/// `work`, bounded by the invocation's deadline (a `timeout` error naming `what` past it).
pub(super) async fn within<T>(
    deadline: Option<Instant>,
    what: &str,
    work: impl Future<Output = T>,
) -> Result<T, ApiError> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, work).await.map_err(|_| timeout(what)),
        None => Ok(work.await),
    }
}

/// What a function answered: its JSON response, and the cache tier a data capability reported.
#[derive(Debug)]
pub(super) struct Answered {
    pub(super) body: Value,
    pub(super) cache: Option<CacheTier>,
}

impl Answered {
    /// A data capability's answer.
    fn output(out: Output) -> Result<Self, ApiError> {
        Ok(Answered { cache: out.cache(), body: out.to_json()? })
    }

    /// Any other answer.
    fn json<T: serde::Serialize>(v: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(Answered { body, cache: None })
    }
}

/// How an HTTP request ended: the cache tier a data capability reported, or the error answered.
pub(super) type Outcome = Result<Option<CacheTier>, ApiError>;
