//! The Lambda edge, shared by the three functions: each function's `main.rs` builds a
//! [`FunctionState`] once per container and hands every event to [`handle`].
//!
//! An event is either a direct-invoke payload (the capability's request, docs/contracts.md § Capabilities) or an API
//! Gateway HTTP API (payload v2) event. Direct invokes answer the capability's response, or its
//! `{"error": …}` body for bad input (4xx); failures on our side (sources down, timeouts — 5xx)
//! are Lambda function errors whose `errorType` is `Retryable.<code>` or `NonRetryable.<code>`
//! and whose `errorMessage` is the same `{"error": …}` body, so Lambda's own Errors metric,
//! retries and destinations see them. HTTP events always answer an HTTP response with the
//! error's status (400, 404, 413, 502, 504…) and a JSON body.
//!
//! `calendar-read` also serves `calendar.freebusy`: `POST /calendar/freebusy` over HTTP, or
//! `{"freebusy": {...}}` by direct invoke (that key alone).
//!
//! `coordinate` also serves the performance report: `GET /report?since=24h` over HTTP, or
//! `{"report": {"since": "24h"}}` by direct invoke (see [`crate::capabilities::report`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine as _;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::{Instrument, info_span, warn};

#[cfg(feature = "lambda")]
use crate::adapters::aws::lambda::LambdaInvoke;
use crate::capabilities::calendar::CalendarService;
use crate::capabilities::contacts::ContactService;
use crate::capabilities::coordinate::Coordinator;
use crate::domain::error::ApiError;
use crate::domain::plan::Capability;
#[cfg(feature = "lambda")]
use crate::domain::retry::Backoff;
use crate::ports::metrics::{self, MetricsSink};
use crate::ports::sources::CacheTier;
use crate::wiring::app::{AppError, calendar_service, contact_service, network};
use crate::wiring::config::Config;

mod functions;

use functions::{CalendarRead, ContactsResolve, Coordinate, Function, Outcome, Route};

/// Largest request body accepted (HTTP or direct); larger ones get 413 `too_large`.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Time kept back from the invocation deadline to answer and write timing records.
pub const DEADLINE_RESERVE: Duration = Duration::from_millis(750);

/// Error codes worth retrying the same request for (a passing fault, not a bad request or a
/// missing source).
pub const RETRYABLE: [&str; 5] =
    ["source_unreachable", "timeout", "throttled", "sibling_unreachable", "sibling_failed"];

/// Sets up the function's log subscriber from Lambda's logging settings, as the runtime's
/// `tracing::init_default_subscriber` does (whose regex-based `EnvFilter` Kenny does not link):
/// the level is `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` when it is a bare level, else INFO;
/// `RUST_LOG`'s `target=level` directives apply on top (span and field directives are not
/// supported); `AWS_LAMBDA_LOG_FORMAT=JSON` writes JSON lines, else text. No time (CloudWatch
/// has it), no target and no colours; each line carries the runtime's span with the request id.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let filter =
        log_filter(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(), std::env::var("RUST_LOG").ok().as_deref());
    let format = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        registry.with(format.json()).init();
    } else {
        registry.with(format).init();
    }
}

/// [`init_tracing`]'s filter from `AWS_LAMBDA_LOG_LEVEL` and `RUST_LOG`.
fn log_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> tracing_subscriber::filter::Targets {
    use std::str::FromStr;
    use tracing_subscriber::filter::{LevelFilter, Targets};

    // As the runtime's: unset is INFO, anything that is not a level is INFO (an empty one is ERROR).
    let level = LevelFilter::from_str(lambda_level.or(rust_log).unwrap_or("INFO")).unwrap_or(LevelFilter::INFO);
    let mut filter = Targets::new().with_default(level);
    for (target, level) in rust_log.unwrap_or_default().split(',').filter_map(|d| d.split_once('=')) {
        let plain = !target.trim().is_empty() && !target.contains(['[', '{']);
        if let (true, Ok(level)) = (plain, LevelFilter::from_str(level.trim())) {
            filter = filter.with_target(target.trim(), level);
        }
    }
    filter
}

/// Which of the three functions this container is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// `calendar.read`
    CalendarRead,
    /// `contacts.resolve`
    ContactsResolve,
    /// `coordinate`
    Coordinate,
}

impl FunctionKind {
    /// The capability name in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            FunctionKind::CalendarRead => "calendar.read",
            FunctionKind::ContactsResolve => "contacts.resolve",
            FunctionKind::Coordinate => "coordinate",
        }
    }
}

/// What a function builds once per container: the one capability it serves, and its metrics.
#[derive(Debug)]
pub struct FunctionState {
    function: Box<dyn Function>,
    metrics: Arc<dyn MetricsSink>,
    cold: AtomicBool,
}

impl FunctionState {
    /// The `calendar-read` function from the environment: its calendars, the shared cache, the
    /// credentials its network sources need.
    pub async fn calendar_read_from_env() -> Result<Self, AppError> {
        let config = Config::load()?;
        let net = network(&config, &[Capability::CalendarRead]).await?;
        Ok(Self::calendar(calendar_service(&config, &net).await?, stdout_metrics()))
    }

    /// The `contacts-resolve` function from the environment: its directories, indexed.
    pub async fn contacts_resolve_from_env() -> Result<Self, AppError> {
        let config = Config::load()?;
        let net = network(&config, &[Capability::ContactsResolve]).await?;
        Ok(Self::contacts(contact_service(&config, &net).await?, stdout_metrics()))
    }

    /// The `coordinate` function from the environment: its Lambda client for the siblings, its
    /// timing store and metrics.
    #[cfg(feature = "lambda")]
    pub async fn coordinate_from_env() -> Result<Self, AppError> {
        let config = Config::load()?;
        let metrics = stdout_metrics();
        let sdk = crate::adapters::aws::sdk_config().await;
        let sibling = LambdaInvoke::new(
            sdk,
            config.calendar_read_function.clone(),
            config.contacts_resolve_function.clone(),
            Backoff::default(),
        );
        let timings = crate::adapters::timing::open_store(&config.timings).await?;
        let coordinator = Coordinator::new(
            config.faults.wrap_sibling(Arc::new(sibling)),
            timings,
            metrics.clone(),
            config.timezone,
            config.coordinate_limits(),
        )
        .with_slots(config.slots);
        Ok(Self::coordinate(coordinator, metrics))
    }

    /// The `calendar-read` function's state from parts (tests build it with in-memory pieces).
    pub fn calendar(service: CalendarService, metrics: Arc<dyn MetricsSink>) -> Self {
        Self::of(Box::new(CalendarRead(service)), metrics)
    }

    /// The `contacts-resolve` function's state from parts.
    pub fn contacts(service: ContactService, metrics: Arc<dyn MetricsSink>) -> Self {
        Self::of(Box::new(ContactsResolve(service)), metrics)
    }

    /// The `coordinate` function's state from parts.
    pub fn coordinate(coordinator: Coordinator, metrics: Arc<dyn MetricsSink>) -> Self {
        Self::of(Box::new(Coordinate(coordinator)), metrics)
    }

    fn of(function: Box<dyn Function>, metrics: Arc<dyn MetricsSink>) -> Self {
        FunctionState { function, metrics, cold: AtomicBool::new(true) }
    }

    /// Which function this is.
    pub fn kind(&self) -> FunctionKind {
        self.function.kind()
    }

    fn route(&self, method: &str, path: &str) -> Option<Route> {
        self.function.route(method, path.trim_end_matches('/'))
    }

    /// Request-level metrics: the data functions' latency and count; every function's errors.
    /// (`coordinate` reports latency and count of answered requests itself.)
    fn emit(&self, request_id: &str, millis: f64, error: Option<&ApiError>, cache: Option<CacheTier>) {
        let kind = self.kind();
        let cold = self.cold.swap(false, Ordering::Relaxed);
        let ts = chrono::Utc::now().timestamp_millis();
        let cap = [("Capability", kind.name())];
        let id = [("RequestId", request_id)];
        let coordinate = kind == FunctionKind::Coordinate;
        if !coordinate || error.is_some() {
            let mut values = vec![(metrics::REQUESTS, 1.0)];
            if !coordinate {
                values.push((metrics::LATENCY, millis));
                if cold {
                    values.push((metrics::COLD_STARTS, 1.0));
                }
            }
            self.metrics.emit(metrics::line(ts, &values, &cap, &id));
        }
        if let Some(tier) = cache {
            let dims = [("Capability", kind.name()), ("Tier", tier.name())];
            self.metrics.emit(metrics::line(ts, &[(metrics::CACHE_RESULTS, 1.0)], &dims, &id));
        }
        if let Some(e) = error {
            let dims = [("Capability", kind.name()), ("ErrorCode", e.code.as_str())];
            self.metrics.emit(metrics::line(ts, &[(metrics::ERRORS, 1.0)], &dims, &id));
            self.metrics.emit(metrics::line(ts, &[(metrics::ERROR_COUNT, 1.0)], &cap, &id));
        }
    }
}

fn stdout_metrics() -> Arc<dyn MetricsSink> {
    Arc::new(metrics::Stdout)
}

fn not_served(what: &str) -> ApiError {
    ApiError::new("not_found", 404, format!("this function does not serve {what}"))
}

fn timeout(what: &str) -> ApiError {
    ApiError::new("timeout", 504, format!("{what} did not finish before the deadline"))
}

fn too_large(len: usize) -> ApiError {
    ApiError::new(
        "too_large",
        413,
        format!("the request body is at least {len} bytes; at most {MAX_BODY_BYTES} are accepted"),
    )
}

/// The deadline as tokio's clock sees it, less the reserve for answering. A deadline more than a
/// day in the past is not a deadline: `cargo lambda watch` sends the function timeout
/// (`600000`) instead of an epoch time; then only the step timeouts bound the request.
fn deadline(deadline_epoch_ms: u64) -> Option<tokio::time::Instant> {
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    if deadline_epoch_ms < now_ms.saturating_sub(86_400_000) {
        return None;
    }
    let left = Duration::from_millis(deadline_epoch_ms.saturating_sub(now_ms)).saturating_sub(DEADLINE_RESERVE);
    Some(tokio::time::Instant::now() + left)
}

/// The length of `value` as JSON text, counted without writing the text (a 100 MB payload is
/// not copied to be measured); counting stops once it passes `limit`.
pub(crate) fn json_len(value: &Value, limit: usize) -> usize {
    struct Counter {
        bytes: usize,
        limit: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes = self.bytes.saturating_add(buf.len());
            if self.bytes > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter { bytes: 0, limit };
    // An error only means the count passed the limit.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.bytes
}

/// True for an API Gateway HTTP API (v2) event.
fn is_http(payload: &Value) -> bool {
    payload.get("version").and_then(Value::as_str) == Some("2.0")
        && payload.get("requestContext").and_then(|c| c.get("http")).is_some()
}

fn json_body(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

fn http_response(status: u16, body: &Value) -> Value {
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(status);
    r.headers.insert(
        aws_lambda_events::http::header::CONTENT_TYPE,
        aws_lambda_events::http::HeaderValue::from_static("application/json"),
    );
    // Null is no body (MCP's 202 Accepted); no capability answers a bare null.
    r.body = (!body.is_null()).then(|| Body::Text(json_body(body)));
    serde_json::to_value(&r).unwrap_or(Value::Null)
}

fn error_value(e: ApiError) -> Value {
    serde_json::to_value(e.into_body()).unwrap_or(Value::Null)
}

/// Handles one invocation of any of the three functions.
pub async fn handle(state: &FunctionState, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let (payload, ctx) = event.into_parts();
    let span = info_span!("invoke", request_id = %ctx.request_id, function = state.kind().name());
    let deadline = deadline(ctx.deadline);
    async move {
        let started = tokio::time::Instant::now();
        if is_http(&payload) {
            let (status, body, outcome) = http(state, payload, &ctx.request_id, deadline).await;
            let cache = outcome.as_ref().ok().copied().flatten();
            state.emit(&ctx.request_id, started.elapsed().as_secs_f64() * 1e3, outcome.as_ref().err(), cache);
            return Ok(http_response(status, &body));
        }
        let size = json_len(&payload, MAX_BODY_BYTES);
        let result = if size > MAX_BODY_BYTES {
            Err(too_large(size))
        } else {
            match state.function.direct_route(payload) {
                Ok((route, body)) => state.function.run(route, body, &ctx.request_id, deadline).await,
                Err(e) => Err(e),
            }
        };
        let cache = result.as_ref().ok().and_then(|a| a.cache);
        state.emit(&ctx.request_id, started.elapsed().as_secs_f64() * 1e3, result.as_ref().err(), cache);
        match result {
            Ok(a) => Ok(a.body),
            Err(e) if e.status < 500 => Ok(error_value(e)),
            Err(e) => {
                warn!(code = %e.code, "request failed");
                let kind = if RETRYABLE.contains(&e.code.as_str()) { "Retryable" } else { "NonRetryable" };
                Err(Diagnostic { error_type: format!("{kind}.{}", e.code), error_message: json_body(&error_value(e)) })
            }
        }
    }
    .instrument(span)
    .await
}

/// A GET route's query string as a JSON request object of strings; a parameter given twice
/// is `invalid_request` (unknown ones are refused when the object is parsed).
fn query_request(query: &aws_lambda_events::query_map::QueryMap) -> Result<Value, ApiError> {
    let mut out = serde_json::Map::new();
    for (key, value) in query.iter() {
        if out.insert(key.to_string(), Value::String(value.to_string())).is_some() {
            return Err(ApiError::invalid(Some(key), format!("the query parameter {key:?} is given more than once")));
        }
    }
    Ok(Value::Object(out))
}

/// Answers an HTTP API event: `(status, body, outcome)`, the outcome being the cache tier a
/// data capability reported, or the error answered.
async fn http(
    state: &FunctionState,
    payload: Value,
    request_id: &str,
    deadline: Option<tokio::time::Instant>,
) -> (u16, Value, Outcome) {
    let fail = |e: ApiError| (e.status, error_value(e.clone()), Err(e));
    let req: ApiGatewayV2httpRequest = match serde_json::from_value(payload) {
        Ok(r) => r,
        Err(e) => return fail(ApiError::invalid(None, format!("not an API Gateway HTTP API event: {e}"))),
    };
    let method = req.request_context.http.method.as_str().to_string();
    let path = req.raw_path.clone().or(req.request_context.http.path.clone()).unwrap_or_default();
    let route = match req.route_key.as_deref().filter(|k| *k != "$default").and_then(|k| k.split_once(' ')) {
        Some((m, p)) => state.route(m, p),
        None => state.route(&method, &path),
    };
    let Some(route) = route else {
        let e = ApiError::new(
            "not_found",
            404,
            format!("no route {method} {}", path.chars().take(200).collect::<String>()),
        );
        return fail(e);
    };
    if route == Route::Report {
        // A GET: the request is the query string; a body is ignored.
        return match query_request(&req.query_string_parameters) {
            Ok(body) => match state.function.run(route, body, request_id, deadline).await {
                Ok(a) => (200, a.body, Ok(a.cache)),
                Err(e) => fail(e),
            },
            Err(e) => fail(e),
        };
    }
    let raw = req.body.unwrap_or_default();
    if raw.len() > MAX_BODY_BYTES * 4 / 3 + 4 {
        return fail(too_large(raw.len()));
    }
    let bytes = if req.is_base64_encoded {
        match base64::engine::general_purpose::STANDARD.decode(raw.as_bytes()) {
            Ok(b) => b,
            Err(e) => return fail(ApiError::invalid(None, format!("the body is not valid base64: {e}"))),
        }
    } else {
        raw.into_bytes()
    };
    if bytes.len() > MAX_BODY_BYTES {
        return fail(too_large(bytes.len()));
    }
    if let Route::Mcp { post } = route {
        return mcp(state, post, &req.headers, &bytes, request_id, deadline).await;
    }
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return fail(ApiError::invalid(None, format!("the body is not JSON: {e}"))),
    };
    match state.function.run(route, body, request_id, deadline).await {
        Ok(a) => (200, a.body, Ok(a.cache)),
        Err(e) => fail(e),
    }
}

/// `/mcp` (docs/contracts.md § MCP): a POST is one JSON-RPC message, answered statelessly by
/// [`crate::edges::mcp::http`]; GET (a server stream) and DELETE (a session) are 405, as Kenny keeps
/// no session.
async fn mcp(
    state: &FunctionState,
    post: bool,
    headers: &aws_lambda_events::http::HeaderMap,
    body: &[u8],
    request_id: &str,
    deadline: Option<tokio::time::Instant>,
) -> (u16, Value, Outcome) {
    if !post {
        let e = ApiError::new("method_not_allowed", 405, "/mcp takes POST only: Kenny keeps no MCP session or stream");
        return (405, error_value(e.clone()), Err(e));
    }
    let version = headers.get("mcp-protocol-version").and_then(|v| v.to_str().ok());
    match state.function.mcp(body, version, request_id, deadline).await {
        Some((status, body)) => (status, body, Ok(None)),
        None => {
            let e = not_served("mcp");
            (e.status, error_value(e.clone()), Err(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_filter_reads_lambda_level_then_rust_log() {
        use tracing::Level;
        let on = |f: &tracing_subscriber::filter::Targets, target: &str, level: Level| f.would_enable(target, &level);

        let f = log_filter(None, None);
        assert!(on(&f, "kenny", Level::INFO) && !on(&f, "kenny", Level::DEBUG));
        let f = log_filter(Some("WARN"), Some("debug"));
        assert!(on(&f, "kenny", Level::WARN) && !on(&f, "kenny", Level::INFO));
        let f = log_filter(None, Some("debug"));
        assert!(on(&f, "hyper", Level::DEBUG) && !on(&f, "hyper", Level::TRACE));
        let f = log_filter(
            Some("ERROR"),
            Some("kenny::adapters=trace, aws_smithy_runtime=debug,h2[conn]=trace,x=nonsense"),
        );
        assert!(on(&f, "kenny::adapters::http", Level::TRACE));
        assert!(on(&f, "aws_smithy_runtime", Level::DEBUG) && !on(&f, "kenny::edges", Level::WARN));
        assert!(!on(&f, "h2", Level::WARN) && !on(&f, "x", Level::WARN));
        let f = log_filter(Some("not-a-level"), None);
        assert!(on(&f, "kenny", Level::INFO) && !on(&f, "kenny", Level::DEBUG));
    }

    #[test]
    fn json_len_counts_without_writing_and_stops_past_the_limit() {
        let v = serde_json::json!({"a": "b\n", "n": [1, 2]});
        assert_eq!(json_len(&v, 1000), json_body(&v).len());
        let big = serde_json::json!({"text": "x".repeat(10_000)});
        let n = json_len(&big, 100);
        assert!(n > 100 && n <= json_body(&big).len(), "{n}");
    }

    #[test]
    fn deadlines_in_the_distant_past_are_no_deadline() {
        assert!(deadline(600_000).is_none(), "cargo lambda watch's relative value");
        assert!(deadline(0).is_none());
        let soon = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 10_000;
        let left = deadline(soon).unwrap() - tokio::time::Instant::now();
        assert!(left <= Duration::from_secs(10) - DEADLINE_RESERVE + Duration::from_millis(50));
        assert!(left >= Duration::from_secs(8));
        // Already past but recent: no time left at all.
        let past = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() - 5_000;
        assert!(deadline(past).unwrap() <= tokio::time::Instant::now());
    }
}
