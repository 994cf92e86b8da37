//! The `Sibling` port: how `coordinate` calls another capability. Its transports are adapters:
//! in one process (the CLI) a function call on its own task (`adapters::in_process`); in Lambda
//! a RequestResponse Invoke of the sibling function (`adapters::aws::lambda`).
//!
//! A call and its answer are Rust types ([`Call`], [`Output`], over [`crate::contracts`]); only
//! the Lambda transport turns them into JSON ([`Call::payload`], [`Output::from_reply`]), because
//! the Invoke API carries bytes.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use kenny_domain::error::{ApiError, ErrorBody, parse_request};
use kenny_domain::plan::Capability;
use kenny_domain::slots::SlotsResponse;

use crate::contracts::{FreeBusyRequest, FreeBusyResponse, ReadRequest, ReadResponse, ResolveRequest, ResolveResponse};
use crate::sources::CacheTier;

/// The key of a direct invoke of the calendar-read function that asks for free/busy:
/// `{"freebusy": <calendar.freebusy request>}`.
pub const FREEBUSY_KEY: &str = "freebusy";

/// A call of a data capability, with its request.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// `calendar.read`.
    Read(ReadRequest),
    /// `calendar.freebusy`.
    FreeBusy(FreeBusyRequest),
    /// `contacts.resolve`.
    Resolve(ResolveRequest),
}

impl Call {
    /// A plan step's call: its JSON params read as the capability's request (an
    /// `invalid_request` naming the field otherwise). `slots.find` is no sibling's: `not_found`.
    pub fn from_params(capability: Capability, params: Value) -> Result<Self, ApiError> {
        match capability {
            Capability::CalendarRead => parse_request(params).map(Call::Read),
            Capability::CalendarFreeBusy => parse_request(params).map(Call::FreeBusy),
            Capability::ContactsResolve => parse_request(params).map(Call::Resolve),
            Capability::SlotsFind => {
                Err(ApiError::new("not_found", 404, format!("{capability} is computed by coordinate, not called")))
            }
        }
    }

    /// The capability called.
    pub fn capability(&self) -> Capability {
        match self {
            Call::Read(_) => Capability::CalendarRead,
            Call::FreeBusy(_) => Capability::CalendarFreeBusy,
            Call::Resolve(_) => Capability::ContactsResolve,
        }
    }

    /// The direct-invoke payload of the function that serves it: the request itself, or
    /// `{"freebusy": request}` for the calendar function's free/busy mode.
    pub fn payload(&self) -> Result<Vec<u8>, ApiError> {
        let bytes = match self {
            Call::Read(r) => serde_json::to_vec(r),
            Call::FreeBusy(r) => serde_json::to_vec(&serde_json::json!({ FREEBUSY_KEY: r })),
            Call::Resolve(r) => serde_json::to_vec(r),
        };
        bytes.map_err(|e| ApiError::internal(format!("could not encode the {} request: {e}", self.capability())))
    }
}

/// What a capability answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A `calendar.read` response.
    Read(ReadResponse),
    /// A `calendar.freebusy` response.
    FreeBusy(FreeBusyResponse),
    /// A `contacts.resolve` response.
    Resolve(ResolveResponse),
    /// A `slots.find` answer (computed by `coordinate` itself).
    Slots(SlotsResponse),
}

impl Output {
    /// The cache tier the answer reports: for `calendar.read` and `calendar.freebusy`, the
    /// slowest tier any calendar needed (none when no calendar was read); for
    /// `contacts.resolve`, the tier it names; nothing for `slots.find`.
    pub fn cache(&self) -> Option<CacheTier> {
        match self {
            Output::Read(r) => r.calendars.iter().map(|c| c.cache).reduce(CacheTier::slower),
            Output::FreeBusy(r) => r.calendars.iter().map(|c| c.cache).reduce(CacheTier::slower),
            Output::Resolve(r) => Some(r.cache),
            Output::Slots(_) => None,
        }
    }

    /// The answer as the capability's JSON response (for the edges and for `$ref`s).
    pub fn to_json(&self) -> Result<Value, ApiError> {
        fn json<T: Serialize>(v: &T) -> Result<Value, ApiError> {
            serde_json::to_value(v).map_err(|e| ApiError::internal(format!("could not encode the response: {e}")))
        }
        match self {
            Output::Read(r) => json(r),
            Output::FreeBusy(r) => json(r),
            Output::Resolve(r) => json(r),
            Output::Slots(r) => json(r),
        }
    }

    /// Reads a sibling's reply payload to `capability`: its own error body becomes that error;
    /// anything but JSON of the capability's response type is `sibling_bad_reply` (never a
    /// silently empty answer).
    pub fn from_reply(capability: Capability, payload: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(payload)
            .map_err(|e| bad_reply(capability, &format!("the reply is not JSON: {e}")))?;
        if value.get("error").is_some()
            && let Ok(err) = serde_json::from_value::<ErrorBody>(value.clone())
        {
            return Err(with_status(err.error));
        }
        fn typed<T: serde::de::DeserializeOwned>(capability: Capability, value: Value) -> Result<T, ApiError> {
            serde_json::from_value(value)
                .map_err(|e| bad_reply(capability, &format!("the reply is not a {capability} response: {e}")))
        }
        match capability {
            Capability::CalendarRead => typed(capability, value).map(Output::Read),
            Capability::CalendarFreeBusy => typed(capability, value).map(Output::FreeBusy),
            Capability::ContactsResolve => typed(capability, value).map(Output::Resolve),
            Capability::SlotsFind => typed(capability, value).map(Output::Slots),
        }
    }
}

/// Calls a data capability.
#[async_trait]
pub trait Sibling: Send + Sync + std::fmt::Debug {
    /// Runs `call`; an `Err` is the capability's own error response.
    async fn call(&self, call: Call) -> Result<Output, ApiError>;
    /// The transport's name in timing records (`in_process`, `lambda`).
    fn transport(&self) -> &'static str;
}

/// The capabilities this process serves, as the in-process transport calls them (the wiring,
/// `app::Capabilities`, implements it), so this port names nothing above it.
#[async_trait]
pub trait LocalCapabilities: Send + Sync + std::fmt::Debug {
    /// Runs `call`, bounded by no invocation deadline.
    async fn call_local(&self, call: Call) -> Result<Output, ApiError>;
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
