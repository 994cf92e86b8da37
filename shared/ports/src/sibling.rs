//! The `Sibling` port: how `coordinate` calls another capability. Its transports are adapters:
//! in one process (the CLI) a function call on its own task (`adapters::in_process`); in Lambda
//! a RequestResponse Invoke of the sibling function (`adapters::aws::lambda`).

use async_trait::async_trait;
use serde_json::Value;

use kenny_domain::error::{ApiError, ErrorBody};
use kenny_domain::plan::Capability;

use crate::sources::CacheTier;

/// The key of a direct invoke of the calendar-read function that asks for free/busy:
/// `{"freebusy": <calendar.freebusy request>}`.
pub const FREEBUSY_KEY: &str = "freebusy";

/// What a capability answered, with the cache tier it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The capability's JSON response.
    pub body: Value,
    /// Which cache tier answered, if the capability tells.
    pub cache: Option<CacheTier>,
}

impl Reply {
    /// A reply whose cache tier is read from the response itself, so that every transport
    /// reports it the same way: for `calendar.read`, the slowest tier any calendar needed; for
    /// `contacts.resolve`, the tier its response names (`l1` when it names none).
    pub fn new(capability: Capability, body: Value) -> Self {
        let cache = tier_of(capability, &body);
        Reply { body, cache }
    }
}

/// The cache tier a capability's response reports: for `calendar.read`, the slowest tier any
/// calendar needed; for `contacts.resolve`, the tier it names (`l1` when it names none).
pub fn tier_of(capability: Capability, body: &Value) -> Option<CacheTier> {
    match capability {
        Capability::CalendarRead | Capability::CalendarFreeBusy => body
            .get("calendars")
            .and_then(Value::as_array)?
            .iter()
            .filter_map(|c| c.get("cache").and_then(Value::as_str).and_then(CacheTier::from_name))
            .reduce(CacheTier::slower),
        Capability::ContactsResolve => {
            Some(body.get("cache").and_then(Value::as_str).and_then(CacheTier::from_name).unwrap_or(CacheTier::L1))
        }
        Capability::SlotsFind => None,
    }
}

/// Calls a capability by name with JSON params.
#[async_trait]
pub trait Sibling: Send + Sync + std::fmt::Debug {
    /// Runs `capability` on `params`; an `Err` is the capability's own error response.
    async fn call(&self, capability: Capability, params: Value) -> Result<Reply, ApiError>;
    /// The transport's name in timing records (`in_process`, `lambda`).
    fn transport(&self) -> &'static str;
}

/// The capabilities this process serves, as the in-process transport calls them (the wiring,
/// `app::Capabilities`, implements it), so this port names nothing above it.
#[async_trait]
pub trait LocalCapabilities: Send + Sync + std::fmt::Debug {
    /// Runs `capability` on JSON params, bounded by no invocation deadline.
    async fn call_local(&self, capability: Capability, params: Value) -> Result<Reply, ApiError>;
}

/// An error a sibling reported, with the status `coordinate` answers for it.
pub fn with_status(mut e: ApiError) -> ApiError {
    e.status = match e.code.as_str() {
        "invalid_request" | "window_too_large" => 400,
        "timeout" => 504,
        _ => 502,
    };
    e
}

/// A sibling reply that is not the capability's response shape.
pub fn bad_reply(capability: Capability, why: &str) -> ApiError {
    ApiError::new("sibling_bad_reply", 502, format!("{capability}: {why}"))
}

/// Reads a sibling's reply payload: its own error body becomes that error; anything but JSON
/// of the capability's response shape is `sibling_bad_reply` (never a silently empty answer).
pub fn parse_reply(capability: Capability, payload: &[u8]) -> Result<Value, ApiError> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| bad_reply(capability, &format!("the reply is not JSON: {e}")))?;
    if let Ok(err) = serde_json::from_value::<ErrorBody>(value.clone()) {
        return Err(with_status(err.error));
    }
    let list = match capability {
        Capability::CalendarRead => "events",
        Capability::CalendarFreeBusy => "people",
        Capability::ContactsResolve => "candidates",
        Capability::SlotsFind => return Ok(value), // computed in coordinate, never a sibling's reply
    };
    if !value.get(list).is_some_and(Value::is_array) {
        return Err(bad_reply(capability, &format!("the reply has no \"{list}\" list")));
    }
    Ok(value)
}
