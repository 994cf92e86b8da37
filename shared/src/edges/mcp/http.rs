//! `POST /mcp`: MCP over Streamable HTTP, stateless, answered by the `coordinate` function.
//!
//! Every POST carries one JSON-RPC message and stands alone: no session id is issued and
//! nothing is kept in the container between requests, so any container can answer any request
//! and `initialize` is only the version negotiation. A request is answered with one JSON body
//! (`application/json`, never an SSE stream); a notification or a client's response is
//! acknowledged with 202 and no body. The messages are rmcp's model types, so the wire is the
//! SDK's; tool calls go through [`super::call_tool`] exactly as over stdio.
//!
//! Bounds: one message per POST (a JSON-RPC batch is refused with `-32600`, HTTP 400), the
//! body limit of every route (checked by the Lambda edge before this module sees the bytes),
//! JSON nested at most 128 levels (serde_json), and one tool call per invocation, so a flood
//! of calls is as many invocations, bounded by the function's concurrency and the API's
//! throttling like every other route.

use rmcp::model::{
    CallToolRequestParams, ErrorCode, ErrorData, InitializeRequestParams, JsonRpcError, JsonRpcResponse,
    JsonRpcVersion2_0, ListToolsResult, ProtocolVersion, RequestId,
};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::stdio::{protocol_versions, server_config};
use crate::capabilities::coordinate::Coordinator;

/// The HTTP answer to one POST: a status and, unless it is 202, a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The JSON-RPC response or error; `None` for 202 Accepted.
    pub body: Option<Value>,
}

impl Reply {
    fn accepted() -> Self {
        Reply { status: 202, body: None }
    }

    fn ok(id: RequestId, result: Value) -> Self {
        Reply {
            status: 200,
            body: serde_json::to_value(JsonRpcResponse { jsonrpc: JsonRpcVersion2_0, id, result }).ok(),
        }
    }

    fn error(status: u16, id: Option<RequestId>, error: ErrorData) -> Self {
        Reply { status, body: serde_json::to_value(JsonRpcError::new(id, error)).ok() }
    }
}

/// Answers one POST body. `protocol_version` is the `MCP-Protocol-Version` header, when sent;
/// `request_id` keys the timing records of a tool call and `deadline` bounds it.
pub async fn post(
    coordinator: &Coordinator,
    body: &[u8],
    protocol_version: Option<&str>,
    request_id: &str,
    deadline: Option<Instant>,
) -> Reply {
    let message: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Reply::error(400, None, ErrorData::new(ErrorCode::PARSE_ERROR, format!("not JSON: {e}"), None));
        }
    };
    let mut fields = match message {
        Value::Object(fields) => fields,
        Value::Array(_) => {
            return Reply::error(
                400,
                None,
                ErrorData::invalid_request("a JSON-RPC batch is not accepted: send one message per POST", None),
            );
        }
        _ => return Reply::error(400, None, ErrorData::invalid_request("a JSON-RPC message is an object", None)),
    };
    let id = match fields.remove("id") {
        None => None,
        Some(raw) => match serde_json::from_value::<RequestId>(raw) {
            Ok(id) => Some(id),
            Err(_) => {
                return Reply::error(
                    400,
                    None,
                    ErrorData::invalid_request("the id must be a string or an integer", None),
                );
            }
        },
    };
    if fields.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Reply::error(400, id, ErrorData::invalid_request("jsonrpc must be \"2.0\"", None));
    }
    let method = fields.get("method").and_then(Value::as_str).map(str::to_string);
    let (Some(method), Some(id)) = (method, id) else {
        // A notification (`notifications/initialized`, `notifications/cancelled`, …) or a
        // client's response: nothing to answer, and no session to change.
        return Reply::accepted();
    };
    if method != "initialize"
        && let Some(version) = protocol_version
        && !protocol_versions().iter().any(|v| v.as_str() == version)
    {
        return Reply::error(400, Some(id), unsupported(version));
    }
    let params = fields.remove("params").unwrap_or_else(|| json!({}));
    match method.as_str() {
        "initialize" => match serde_json::from_value::<InitializeRequestParams>(params) {
            Ok(p) => {
                let agreed = protocol_versions()
                    .iter()
                    .find(|v| **v == p.protocol_version)
                    .cloned()
                    .unwrap_or(ProtocolVersion::V_2025_11_25);
                to_result(id, &server_config().with_protocol_version(agreed))
            }
            Err(e) => Reply::error(200, Some(id), ErrorData::invalid_params(format!("initialize: {e}"), None)),
        },
        "ping" => Reply::ok(id, json!({})),
        "tools/list" => to_result(id, &ListToolsResult::with_all_items(super::tools())),
        "tools/call" => match serde_json::from_value::<CallToolRequestParams>(params) {
            Ok(p) => {
                let result = super::call_tool(coordinator, &p.name, p.arguments, request_id, deadline).await;
                to_result(id, &result)
            }
            Err(e) => Reply::error(200, Some(id), ErrorData::invalid_params(format!("tools/call: {e}"), None)),
        },
        other => Reply::error(
            200,
            Some(id),
            ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("method {:?} is not served here", other.chars().take(100).collect::<String>()),
                None,
            ),
        ),
    }
}

fn to_result<T: serde::Serialize>(id: RequestId, result: &T) -> Reply {
    match serde_json::to_value(result) {
        Ok(v) => Reply::ok(id, v),
        Err(e) => {
            Reply::error(200, Some(id), ErrorData::internal_error(format!("could not encode the result: {e}"), None))
        }
    }
}

/// `-32022`: the version asked for is not one Kenny speaks; `supported` lists those it does, so
/// a client probing a newer era falls back to `initialize`.
fn unsupported(requested: &str) -> ErrorData {
    let supported: Vec<&str> = protocol_versions().iter().map(ProtocolVersion::as_str).collect();
    ErrorData::new(
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
        format!("protocol version {:?} is not supported", requested.chars().take(40).collect::<String>()),
        Some(json!({"supported": supported, "requested": requested.chars().take(40).collect::<String>()})),
    )
}
