//! The `Sibling` port: how `coordinate` calls another capability. In one process (the CLI) the
//! call is a function call; in Lambda (issue 3) it is an Invoke of the sibling function.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::app::Capabilities;
use crate::error::ApiError;
use crate::plan::Capability;

/// What a capability answered, with the cache tier it reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The capability's JSON response.
    pub body: Value,
    /// Which cache tier answered, if the capability tells.
    pub cache: Option<String>,
}

/// Calls a capability by name with JSON params.
#[async_trait]
pub trait Sibling: Send + Sync + std::fmt::Debug {
    /// Runs `capability` on `params`; an `Err` is the capability's own error response.
    async fn call(&self, capability: Capability, params: Value) -> Result<Reply, ApiError>;
    /// The transport's name in timing records (`in_process`, `lambda`).
    fn transport(&self) -> &'static str;
}

/// Calls the capabilities in this process; each call is its own task so that independent
/// steps really run at the same time on the runtime's worker threads.
#[derive(Debug, Clone)]
pub struct InProcess {
    caps: Arc<Capabilities>,
}

impl InProcess {
    /// A transport over this process's capabilities.
    pub fn new(caps: Arc<Capabilities>) -> Self {
        InProcess { caps }
    }
}

#[async_trait]
impl Sibling for InProcess {
    async fn call(&self, capability: Capability, params: Value) -> Result<Reply, ApiError> {
        let caps = self.caps.clone();
        tokio::spawn(async move { caps.invoke(capability, params).await })
            .await
            .map_err(|e| ApiError {
                code: "internal".into(),
                message: format!("{capability} stopped unexpectedly: {e}"),
                field: None,
                status: 500,
            })?
    }

    fn transport(&self) -> &'static str {
        "in_process"
    }
}
