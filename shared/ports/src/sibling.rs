//! The `Sibling` port: how `coordinate` calls another capability. Its transports are adapters:
//! in one process (the CLI) a function call on its own task (`adapters::in_process`); in Lambda
//! a RequestResponse Invoke of the sibling function (`adapters::aws::lambda`).

use async_trait::async_trait;
use serde_json::Value;

use kenny_domain::error::ApiError;
use kenny_domain::plan::Capability;

/// The key of a direct invoke of the calendar-read function that asks for free/busy:
/// `{"freebusy": <calendar.freebusy request>}`.
pub const FREEBUSY_KEY: &str = "freebusy";

/// What a capability answered, with the cache tier it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The capability's JSON response.
    pub body: Value,
    /// Which cache tier answered, if the capability tells.
    pub cache: Option<String>,
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
pub fn tier_of(capability: Capability, body: &Value) -> Option<String> {
    match capability {
        Capability::CalendarRead | Capability::CalendarFreeBusy => {
            let tiers: Vec<&str> = body
                .get("calendars")
                .and_then(Value::as_array)
                .map(|cals| cals.iter().filter_map(|c| c.get("cache").and_then(Value::as_str)).collect())
                .unwrap_or_default();
            ["miss", "validated", "l2", "l1"].into_iter().find(|t| tiers.contains(t)).map(str::to_string)
        }
        Capability::ContactsResolve => Some(body.get("cache").and_then(Value::as_str).unwrap_or("l1").to_string()),
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
