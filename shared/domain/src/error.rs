//! The API's error shape, `{"error": {"code", "message", "field"?}}`, and the one place module
//! errors are mapped to it.

use serde::{Deserialize, Serialize};

/// Implemented by every module's error enum so that the API mapping lives in one place.
pub trait ErrorCode: std::error::Error {
    /// A stable snake_case word clients can match on (`invalid_request`, `window_too_large`, …).
    fn code(&self) -> &'static str;
    /// The request field at fault, when there is one.
    fn field(&self) -> Option<&str> {
        None
    }
    /// The HTTP status this error should have behind API Gateway.
    fn status(&self) -> u16 {
        400
    }
}

/// The error object of every capability's error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// Stable snake_case code.
    pub code: String,
    /// Human-readable explanation, including the chain of causes.
    pub message: String,
    /// The request field at fault, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// HTTP status for API Gateway; not part of the JSON body.
    #[serde(skip)]
    pub status: u16,
}

/// The `{"error": {...}}` envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ApiError,
}

impl ApiError {
    /// Maps any module error to the API shape, keeping its whole cause chain in the message.
    pub fn from_error<E: ErrorCode + ?Sized>(err: &E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        ApiError { code: err.code().to_string(), message, field: err.field().map(str::to_string), status: err.status() }
    }

    /// An error that is not about a request field: a failure with its code and HTTP status.
    pub fn new(code: &str, status: u16, message: impl Into<String>) -> Self {
        ApiError { code: code.into(), message: message.into(), field: None, status }
    }

    /// An `internal` error (500): something on Kenny's side that should not happen.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new("internal", 500, message)
    }

    /// An `invalid_request` error about one field.
    pub fn invalid(field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            code: "invalid_request".into(),
            message: message.into(),
            field: field.map(str::to_string),
            status: 400,
        }
    }

    /// Wraps the error in its envelope for serialisation.
    pub fn into_body(self) -> ErrorBody {
        ErrorBody { error: self }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Parses a JSON request strictly: unknown fields and wrong types become `invalid_request`
/// naming the field serde points at.
pub fn parse_request<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|_| text.starts_with("unknown field") || text.starts_with("missing field"))
            .map(str::to_string);
        ApiError::invalid(field.as_deref(), text)
    })
}
