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

/// Parses a JSON request strictly: unknown fields, missing fields and wrong types become
/// `invalid_request`; an unknown or missing field is named in `field` (see `failing_field`).
pub fn parse_request<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = failing_field(&e);
        ApiError::invalid(field.as_deref(), e.into_inner().to_string())
    })
}

/// The request field a parse error is about, by its own name (`"lmit"`, `"query"`, also when
/// it sits deeper, as `"extra"` in `plan.steps[0].extra`): the last key of the path serde went
/// down. Only unknown and missing fields name one.
///
/// *Fallback:* serde reports a missing field at the path of the object that lacks it, so the
/// path does not hold its name; for that one case the name is read from serde's message
/// ("missing field `query`").
fn failing_field(e: &serde_path_to_error::Error<serde_json::Error>) -> Option<String> {
    let text = e.inner().to_string();
    if let Some(rest) = text.strip_prefix("missing field `") {
        return rest.split('`').next().map(str::to_string);
    }
    if !text.starts_with("unknown field") {
        return None;
    }
    e.path().iter().rev().find_map(|segment| match segment {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        _ => None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        steps: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
    }

    fn field(value: serde_json::Value) -> Option<String> {
        let e = parse_request::<Outer>(value).unwrap_err();
        assert_eq!(e.code, "invalid_request");
        assert!(!e.message.is_empty());
        e.field
    }

    #[test]
    fn unknown_and_missing_fields_are_named_by_their_own_name() {
        assert_eq!(field(json!({"name": "a", "lmit": 3})).as_deref(), Some("lmit"));
        assert_eq!(field(json!({"limit": 3})).as_deref(), Some("name"));
        assert_eq!(field(json!({"name": "a", "steps": [{"id": "s", "extra": 1}]})).as_deref(), Some("extra"));
        assert_eq!(field(json!({"name": "a", "steps": [{}]})).as_deref(), Some("id"));
    }

    #[test]
    fn the_message_is_serdes_own() {
        for value in [
            json!({"name": "a", "lmit": 3}),
            json!({}),
            json!({"name": "a", "limit": "3"}),
            json!({"name": "a", "steps": [{"id": 5}]}),
            json!(null),
        ] {
            let e = parse_request::<Outer>(value.clone()).unwrap_err();
            assert_eq!(e.message, serde_json::from_value::<Outer>(value).unwrap_err().to_string());
        }
        let e = parse_request::<Outer>(json!({"name": "a", "lmit": 3})).unwrap_err();
        assert_eq!(e.message, "unknown field `lmit`, expected one of `name`, `limit`, `steps`");
    }

    #[test]
    fn other_errors_name_no_field() {
        assert_eq!(field(json!({"name": "a", "limit": "3"})), None);
        assert_eq!(field(json!(["not", "an", "object"])), None);
    }
}
