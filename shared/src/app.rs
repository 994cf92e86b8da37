//! Wiring: configuration → sources, the contact index, the timing store and the coordinator,
//! built once per process (a CLI run or a Lambda container) and shared by every request.

use std::sync::Arc;

use serde_json::Value;
use tracing::warn;

use crate::calendar::{CalendarService, ReadRequest};
use crate::config::Config;
use crate::contacts::{ContactIndex, ResolveRequest};
use crate::coordinate::{Coordinator, Limits};
use crate::error::{ApiError, ErrorCode, parse_request};
use crate::plan::Capability;
use crate::sibling::{InProcess, Reply};
use crate::sources::{ContactDirectory, calendar_source, contact_directory};

/// Why the process could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Configuration is unusable.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A configured source URL is unusable.
    #[error(transparent)]
    Source(#[from] crate::sources::SourceError),
    /// The timing store is unusable.
    #[error(transparent)]
    Timing(#[from] crate::timing::TimingError),
}

impl ErrorCode for AppError {
    fn code(&self) -> &'static str {
        match self {
            AppError::Config(e) => e.code(),
            AppError::Source(e) => e.code(),
            AppError::Timing(e) => e.code(),
        }
    }
    fn status(&self) -> u16 {
        500
    }
}

/// The AWS SDK configuration, loaded once per process on first use ("SDK config is expensive,
/// clients from it are cheap"). It honours `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`,
/// `AWS_ENDPOINT_URL_LAMBDA`, so one binary talks to AWS, `cargo lambda watch` or a local
/// DynamoDB-compatible server.
pub async fn sdk_config() -> &'static aws_config::SdkConfig {
    static SDK: tokio::sync::OnceCell<aws_config::SdkConfig> = tokio::sync::OnceCell::const_new();
    SDK.get_or_init(aws_config::load_from_env).await
}

/// The `contacts.resolve` capability: an index built once from every directory.
#[derive(Debug)]
pub struct ContactService {
    index: ContactIndex,
    load_errors: Vec<ApiError>,
}

impl ContactService {
    /// Loads every directory concurrently and builds the index; a failing directory is logged
    /// and left out, and reported by `resolve` only when nothing could be loaded at all.
    pub async fn load(directories: &[Arc<dyn ContactDirectory>]) -> Self {
        let results = futures::future::join_all(directories.iter().map(|d| d.load())).await;
        let mut contacts = Vec::new();
        let mut load_errors = Vec::new();
        for r in results {
            match r {
                Ok(loaded) => {
                    if !loaded.skipped.is_empty() {
                        warn!(skipped = loaded.skipped.len(), "some contact cards could not be parsed");
                    }
                    contacts.extend(loaded.contacts);
                }
                Err(e) => {
                    warn!(code = e.code(), error = %e, "contact source failed");
                    load_errors.push(ApiError::from_error(&e));
                }
            }
        }
        ContactService { index: ContactIndex::new(contacts), load_errors }
    }

    /// Answers one request.
    pub fn resolve(&self, req: &ResolveRequest) -> Result<crate::contacts::Resolution, ApiError> {
        if let Some(e) = self.load_errors.first().filter(|_| self.index.is_empty()) {
            return Err(e.clone());
        }
        self.index.resolve(req).map_err(|e| ApiError::from_error(&e))
    }
}

/// The data capabilities this process serves, callable by name with JSON. A Lambda function
/// loads only its own (the calendar function never builds the contact index).
#[derive(Debug)]
pub struct Capabilities {
    /// `calendar.read`, when served here.
    pub calendar: Option<CalendarService>,
    /// `contacts.resolve`, when served here.
    pub contacts: Option<ContactService>,
}

impl Capabilities {
    /// Builds both capabilities from configuration (the CLI: everything in one process).
    pub async fn from_config(config: &Config) -> Result<Self, AppError> {
        Self::load(config, &Capability::ALL).await
    }

    /// Builds the listed capabilities from configuration.
    pub async fn load(config: &Config, which: &[Capability]) -> Result<Self, AppError> {
        let calendar = if which.contains(&Capability::CalendarRead) {
            let sources = config.calendars.iter().map(|u| calendar_source(u)).collect::<Result<Vec<_>, _>>()?;
            Some(CalendarService::new(sources, config.timezone))
        } else {
            None
        };
        let contacts = if which.contains(&Capability::ContactsResolve) {
            let directories = config.contacts.iter().map(|u| contact_directory(u)).collect::<Result<Vec<_>, _>>()?;
            Some(ContactService::load(&directories).await)
        } else {
            None
        };
        Ok(Capabilities { calendar, contacts })
    }

    /// Runs `capability` on JSON params: the same contract for in-process calls, the CLI and Lambda.
    pub async fn invoke(&self, capability: Capability, params: Value) -> Result<Reply, ApiError> {
        match capability {
            Capability::CalendarRead => {
                let service = self.calendar.as_ref().ok_or_else(|| not_served(capability))?;
                let req: ReadRequest = parse_request(params)?;
                let resp = service.read(&req).await.map_err(|e| ApiError::from_error(&e))?;
                Ok(Reply::new(capability, to_json(&resp)?))
            }
            Capability::ContactsResolve => {
                let service = self.contacts.as_ref().ok_or_else(|| not_served(capability))?;
                let req: ResolveRequest = parse_request(params)?;
                let resp = service.resolve(&req)?;
                Ok(Reply::new(capability, to_json(&resp)?))
            }
        }
    }
}

fn not_served(capability: Capability) -> ApiError {
    ApiError::new("not_found", 404, format!("{capability} is not served by this process"))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(format!("could not encode the response: {e}")))
}

/// Everything one process needs: configuration, capabilities, and the coordinator calling
/// them in process (the embedded default).
#[derive(Debug)]
pub struct App {
    /// The configuration it was built from.
    pub config: Config,
    /// The data capabilities.
    pub caps: Arc<Capabilities>,
    /// `coordinate`, calling `caps` in process.
    pub coordinator: Coordinator,
}

impl App {
    /// Builds the whole embedded application (metrics are discarded: the CLI's stdout is the answer).
    pub async fn from_config(config: Config) -> Result<Self, AppError> {
        let caps = Arc::new(Capabilities::from_config(&config).await?);
        let timings = crate::timing::open_store(&config.timings).await?;
        let coordinator = Coordinator::new(
            Arc::new(InProcess::new(caps.clone())),
            timings,
            Arc::new(crate::metrics::Discard),
            config.timezone,
            Limits::from_config(&config),
        );
        Ok(App { config, caps, coordinator })
    }
}
