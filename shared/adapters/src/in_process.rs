//! The in-process sibling transport: each call runs the capability on its own task, so that
//! independent steps really run at the same time on the runtime's worker threads.

use std::sync::Arc;

use async_trait::async_trait;
use kenny_domain::error::ApiError;
use kenny_ports::sibling::{Call, LocalCapabilities, Output, Sibling};

/// Calls the capabilities in this process; each call is its own task so that independent
/// steps really run at the same time on the runtime's worker threads.
#[derive(Debug, Clone)]
pub struct InProcess {
    caps: Arc<dyn LocalCapabilities>,
}

impl InProcess {
    /// A transport over this process's capabilities.
    pub fn new(caps: Arc<dyn LocalCapabilities>) -> Self {
        InProcess { caps }
    }
}

#[async_trait]
impl Sibling for InProcess {
    async fn call(&self, call: Call) -> Result<Output, ApiError> {
        let caps = self.caps.clone();
        let capability = call.capability();
        tokio::spawn(async move { caps.call_local(call).await })
            .await
            .map_err(|e| ApiError::internal(format!("{capability} stopped unexpectedly: {e}")))?
    }

    fn transport(&self) -> &'static str {
        "in_process"
    }
}
