//! The Lambda sibling transport: a RequestResponse Invoke of the sibling function, retried with
//! full-jitter backoff on throttling, 5xx and transport failures.

use async_trait::async_trait;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use tracing::{debug, instrument};

use kenny_domain::error::{ApiError, ErrorBody};
use kenny_domain::plan::Capability;
use kenny_domain::retry::Backoff;
use kenny_ports::sibling::{Call, Output, Sibling, bad_reply, with_status};

/// Calls the sibling Lambda functions through the Invoke API (one client per container).
#[derive(Debug, Clone)]
pub struct LambdaInvoke {
    client: aws_sdk_lambda::Client,
    calendar_read: String,
    contacts_resolve: String,
    backoff: Backoff,
}

/// One attempt's failure, classified for the retry loop.
#[derive(Debug)]
enum Failure {
    /// Worth another attempt (throttling, 5xx, transport).
    Transient(ApiError),
    /// Final (the function's own error, 4xx).
    Final(ApiError),
}

impl LambdaInvoke {
    /// A transport calling the named functions. The SDK's own retries are switched off: one
    /// function error must not become three invocations, and our loop knows the deadline.
    pub fn new(sdk: &aws_config::SdkConfig, calendar_read: String, contacts_resolve: String, backoff: Backoff) -> Self {
        let conf =
            aws_sdk_lambda::config::Builder::from(sdk).retry_config(aws_config::retry::RetryConfig::disabled()).build();
        LambdaInvoke { client: aws_sdk_lambda::Client::from_conf(conf), calendar_read, contacts_resolve, backoff }
    }

    /// The function serving `capability`; `None` for steps `coordinate` computes itself.
    fn function(&self, capability: Capability) -> Option<&str> {
        match capability {
            Capability::CalendarRead | Capability::CalendarFreeBusy => Some(&self.calendar_read),
            Capability::ContactsResolve => Some(&self.contacts_resolve),
            Capability::SlotsFind => None,
        }
    }

    async fn attempt(&self, capability: Capability, function: &str, payload: &[u8]) -> Result<Output, Failure> {
        let sent = self
            .client
            .invoke()
            .function_name(function)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(payload))
            .send()
            .await;
        match sent {
            Ok(out) => {
                let body = out.payload().map(|b| b.as_ref()).unwrap_or_default();
                if out.function_error().is_some() {
                    // Real Lambda: 200 with X-Amz-Function-Error and {"errorType","errorMessage"}.
                    return Err(Failure::Final(function_error(capability, body)));
                }
                Output::from_reply(capability, body).map_err(Failure::Final)
            }
            Err(SdkError::ServiceError(e)) => {
                let status = e.raw().status().as_u16();
                let raw = e.raw().body().bytes().unwrap_or_default();
                let err = e.err();
                if let Some(fe) = parse_function_error(raw) {
                    // `cargo lambda watch` answers a function error with HTTP 500 and this body.
                    return Err(Failure::Final(fe));
                }
                let api = ApiError {
                    code: if status == 429 || err.is_too_many_requests_exception() {
                        "throttled"
                    } else {
                        "sibling_failed"
                    }
                    .into(),
                    message: format!(
                        "invoking {function}: HTTP {status}: {}",
                        aws_sdk_lambda::error::DisplayErrorContext(err)
                    ),
                    field: None,
                    status: 502,
                };
                if status == 429 || status >= 500 || err.is_too_many_requests_exception() {
                    Err(Failure::Transient(api))
                } else {
                    Err(Failure::Final(api))
                }
            }
            Err(other) => Err(Failure::Transient(ApiError {
                code: if matches!(other, SdkError::TimeoutError(_)) { "timeout" } else { "sibling_unreachable" }.into(),
                message: format!("invoking {function}: {}", aws_sdk_lambda::error::DisplayErrorContext(&other)),
                field: None,
                status: 502,
            })),
        }
    }
}

/// `{"errorType", "errorMessage"}`, whose message is our own error body when our handler
/// produced it (see `kenny::edges::lambda`).
fn parse_function_error(body: &[u8]) -> Option<ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct FunctionError {
        error_type: String,
        error_message: String,
    }
    let fe: FunctionError = serde_json::from_slice(body).ok()?;
    Some(match serde_json::from_str::<ErrorBody>(&fe.error_message) {
        Ok(b) => with_status(b.error),
        Err(_) => ApiError {
            code: fe.error_type.rsplit('.').next().unwrap_or("function_error").to_string(),
            message: fe.error_message.chars().take(1000).collect(),
            field: None,
            status: 502,
        },
    })
}

fn function_error(capability: Capability, body: &[u8]) -> ApiError {
    parse_function_error(body).unwrap_or_else(|| bad_reply(capability, "the function failed without an error body"))
}

#[async_trait]
impl Sibling for LambdaInvoke {
    #[instrument(skip(self, call), fields(function = self.function(call.capability())))]
    async fn call(&self, call: Call) -> Result<Output, ApiError> {
        let capability = call.capability();
        let function = self
            .function(capability)
            .ok_or_else(|| ApiError::internal(format!("{capability} is computed by coordinate, not invoked")))?
            .to_string();
        // The JSON a direct invoke of that function takes (free/busy in its `{"freebusy": …}` mode).
        let payload = call.payload()?;
        let mut retry = 0;
        loop {
            match self.attempt(capability, &function, &payload).await {
                Ok(output) => return Ok(output),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Transient(e)) if retry + 1 >= self.backoff.max_attempts => return Err(e),
                Err(Failure::Transient(e)) => {
                    let wait = self.backoff.delay(retry);
                    debug!(code = %e.code, retry, wait_ms = wait.as_millis() as u64, "retrying sibling invoke");
                    // The coordinator's per-step timeout (from the invocation deadline) cancels
                    // this loop, so it retries only while time remains.
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
            }
        }
    }

    fn transport(&self) -> &'static str {
        "lambda"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_ports::sources::CacheTier;

    #[test]
    fn function_errors_keep_our_code_or_fall_back_to_the_type() {
        let ours = br#"{"errorType":"Retryable.source_unreachable","errorMessage":"{\"error\":{\"code\":\"source_unreachable\",\"message\":\"down\"}}"}"#;
        let e = parse_function_error(ours).unwrap();
        assert_eq!((e.code.as_str(), e.message.as_str(), e.status), ("source_unreachable", "down", 502));
        let panic = br#"{"errorType":"&alloc::string::String","errorMessage":"boom"}"#;
        assert_eq!(parse_function_error(panic).unwrap().message, "boom");
        assert!(parse_function_error(b"not json").is_none());
    }

    #[test]
    fn cache_tier_is_read_from_the_reply() {
        let reply = |tiers: &[&str]| {
            let calendars: Vec<serde_json::Value> = tiers
                .iter()
                .enumerate()
                .map(|(i, t)| serde_json::json!({"id": format!("c{i}"), "name": "c", "events": 0, "cache": t}))
                .collect();
            let window = serde_json::json!({"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"});
            serde_json::json!({"events": [], "calendars": calendars, "truncated": false, "window": window}).to_string()
        };
        let tier = |body: String| Output::from_reply(Capability::CalendarRead, body.as_bytes()).unwrap().cache();
        assert_eq!(tier(reply(&["l1", "miss"])).map(CacheTier::name), Some("miss"));
        assert_eq!(tier(reply(&["l1"])).map(CacheTier::name), Some("l1"));
    }
}
