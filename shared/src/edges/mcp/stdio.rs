//! `kenny mcp`: the MCP server over stdio, built on the official Rust SDK (rmcp). One JSON-RPC
//! message a line on stdin and stdout; logs go to stderr.

use std::borrow::Cow;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult, PaginatedRequestParams, ProtocolVersion,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

use super::{Admission, INSTRUCTIONS, MAX_MESSAGE_BYTES, SERVER_NAME, tool_error};
use crate::wiring::app::App;

/// Why the stdio server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StdioError {
    /// The client never completed `initialize`, or stdio failed before it did.
    #[error("the MCP session did not start: {0}")]
    Start(String),
    /// The server task ended abnormally.
    #[error("the MCP server stopped abnormally: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// The protocol versions Kenny speaks: those negotiated with `initialize` (the same over stdio
/// and HTTP; the stateless `server/discover` era is not offered, and clients fall back).
pub fn protocol_versions() -> &'static [ProtocolVersion] {
    ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25)
}

/// What `initialize` answers.
pub fn server_config() -> ServerConfig {
    ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
        .with_server_info(Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
}

/// The MCP server of one process: the embedded application and its admission bound.
#[derive(Debug, Clone)]
pub struct KennyMcp {
    app: Arc<App>,
    admission: Arc<Admission>,
}

impl KennyMcp {
    /// A server answering from `app` (siblings in process, as in every CLI command).
    pub fn new(app: App) -> Self {
        KennyMcp { app: Arc::new(app), admission: Arc::new(Admission::default()) }
    }
}

impl ServerHandler for KennyMcp {
    fn get_info(&self) -> ServerConfig {
        server_config()
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(protocol_versions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(super::tools()))
    }

    // `get_tool` stays the SDK's default (none), so the SDK does not check arguments against
    // the schema: Kenny's own request types check them, and a bad one is a tool error naming
    // its field rather than a protocol error.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let _place = match self.admission.admit().await {
            Ok(place) => place,
            Err(e) => return Ok(tool_error(e).into()),
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let coordinator = &self.app.coordinator;
        Ok(super::call_tool(coordinator, &request.name, request.arguments, &request_id, None).await.into())
    }
}

/// Serves MCP on stdin/stdout until the client closes stdin. Each message is one line of at
/// most [`MAX_MESSAGE_BYTES`]; a longer line is dropped (and logged) by the SDK.
pub async fn serve(app: App) -> Result<(), StdioError> {
    let server = KennyMcp::new(app);
    let transport =
        AsyncRwTransport::new(tokio::io::stdin(), tokio::io::stdout()).with_max_line_length(MAX_MESSAGE_BYTES);
    let running = server.serve(transport).await.map_err(|e| StdioError::Start(e.to_string()))?;
    running.waiting().await?;
    Ok(())
}
