//! Wiring: configuration → sources, the contact index, the timing store and the coordinator,
//! built once per process (a CLI run or a Lambda container) and shared by every request. The
//! capabilities it wires live in their own modules (`calendar`, `freebusy`, `contacts_service`,
//! `coordinate`).

use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use crate::adapters::http::{Http, HttpOptions};
use crate::adapters::in_process::InProcess;
use crate::adapters::secrets::Credentials;
use crate::adapters::sources::{Network, calendar_source, contact_directory};
use crate::capabilities::calendar::CalendarService;
use crate::capabilities::calendar::freebusy::PeopleSource;
use crate::capabilities::coordinate::Coordinator;
use crate::domain::contacts::ResolveRequest;
use crate::domain::error::{ApiError, ErrorCode};
use crate::domain::plan::Capability;
use crate::ports::contracts::ResolveResponse;
use crate::ports::sibling::{Call, LocalCapabilities, Output};
use crate::ports::sources::SourceError;
use crate::wiring::config::{Config, PeopleCalendar};

/// Why the process could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Configuration is unusable.
    #[error(transparent)]
    Config(#[from] crate::wiring::config::ConfigError),
    /// A configured source URL is unusable.
    #[error(transparent)]
    Source(#[from] crate::ports::sources::SourceError),
    /// The timing store is unusable.
    #[error(transparent)]
    Timing(#[from] crate::ports::timing::TimingError),
    /// DAV credentials could not be loaded.
    #[error(transparent)]
    Secret(#[from] crate::adapters::secrets::SecretError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Http(#[from] crate::adapters::http::HttpError),
    /// The shared cache is unusable.
    #[error(transparent)]
    Cache(#[from] crate::ports::cache::CacheError),
}

impl ErrorCode for AppError {
    fn code(&self) -> &'static str {
        match self {
            AppError::Config(e) => e.code(),
            AppError::Source(e) => e.code(),
            AppError::Timing(e) => e.code(),
            AppError::Secret(e) => e.code(),
            AppError::Http(e) => e.code(),
            AppError::Cache(e) => e.code(),
        }
    }
    fn status(&self) -> u16 {
        500
    }
}

/// Kept here for callers of `kenny::app::ContactService`; the capability lives in its own module.
pub use crate::capabilities::contacts::ContactService;

/// The data capabilities this process serves, called with their typed requests (or by name
/// with JSON, at an edge). A Lambda function loads only its own (the calendar function never
/// builds the contact index).
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

    /// Builds the listed capabilities from configuration, on one HTTP client and one load of
    /// the credentials; the contact index is built before it returns.
    pub async fn load(config: &Config, which: &[Capability]) -> Result<Self, AppError> {
        Self::load_with(config, which, IndexBuild::Now).await
    }

    /// [`load`](Self::load), building the contact index now or beside what comes next.
    pub async fn load_with(config: &Config, which: &[Capability], index: IndexBuild) -> Result<Self, AppError> {
        let net = network(config, which).await?;
        let calendar =
            if which.contains(&Capability::CalendarRead) { Some(calendar_service(config, &net).await?) } else { None };
        let contacts = if which.contains(&Capability::ContactsResolve) {
            Some(contact_service_with(config, &net, index).await?)
        } else {
            None
        };
        Ok(Capabilities { calendar, contacts })
    }

    /// Runs `call`: the same capability code for in-process calls, the CLI and Lambda.
    /// `deadline` (the invocation's) bounds every source read, so a slow source degrades the
    /// answer instead of losing it.
    pub async fn invoke(&self, call: Call, deadline: Option<Instant>) -> Result<Output, ApiError> {
        match call {
            Call::Read(_) | Call::FreeBusy(_) => {
                let service = self.calendar.as_ref().ok_or_else(|| not_served(call.capability()))?;
                call_calendar(service, call, deadline).await
            }
            Call::Resolve(req) => {
                let service = self.contacts.as_ref().ok_or_else(|| not_served(Capability::ContactsResolve))?;
                call_contacts(service, &req).await
            }
        }
    }

    /// [`invoke`](Self::invoke) on a capability's JSON request, answering its JSON response: for
    /// an edge (the CLI's direct capability commands). `slots.find` is the coordinator's own.
    pub async fn invoke_json(
        &self,
        capability: Capability,
        params: Value,
        deadline: Option<Instant>,
    ) -> Result<Value, ApiError> {
        if capability.is_local() {
            return Err(not_served(capability));
        }
        self.invoke(Call::from_params(capability, params)?, deadline).await?.to_json()
    }
}

/// `calendar.read` from configuration: the calendars, the shared cache, the people's calendars.
pub async fn calendar_service(config: &Config, net: &Network) -> Result<CalendarService, AppError> {
    let sources = config
        .calendars
        .iter()
        .map(|u| calendar_source(u, net).map(|s| config.faults.wrap_calendars(s)))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = match &config.cache {
        #[cfg(feature = "dynamodb")]
        Some(url) => Some(crate::adapters::aws::cache::open_shared(url).await?),
        #[cfg(not(feature = "dynamodb"))]
        Some(_) => return Err(crate::ports::cache::CacheError::WithoutAws.into()),
        None => None,
    };
    let people = config
        .people_calendars
        .iter()
        .map(|p| {
            let source = calendar_source(p.url(), net)?;
            Ok(match p {
                PeopleCalendar::Person { email, .. } => PeopleSource::Person { email: email.clone(), source },
                PeopleCalendar::Directory { .. } => PeopleSource::Directory(source),
            })
        })
        .collect::<Result<Vec<_>, SourceError>>()?;
    Ok(CalendarService::new(sources, config.timezone, config.source_timeout, config.cache_policy, shared)
        .with_people(people, config.self_emails.clone()))
}

/// When a process builds its contact index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexBuild {
    /// Before the service is returned (a Lambda function's init).
    Now,
    /// On a task of its own; the first resolve waits for it (a one-shot CLI run, whose
    /// question's calendar reads need not wait for the contacts).
    Beside,
}

/// `contacts.resolve` from configuration: the directories, indexed once, before it returns.
pub async fn contact_service(config: &Config, net: &Network) -> Result<ContactService, AppError> {
    contact_service_with(config, net, IndexBuild::Now).await
}

/// [`contact_service`], building the index as `index` says.
pub async fn contact_service_with(
    config: &Config,
    net: &Network,
    index: IndexBuild,
) -> Result<ContactService, AppError> {
    let directories = config
        .contacts
        .iter()
        .map(|u| contact_directory(u, net).map(|d| config.faults.wrap_contacts(d)))
        .collect::<Result<Vec<_>, _>>()?;
    let (timeout, policy) = (config.source_timeout, config.cache_policy);
    Ok(match index {
        IndexBuild::Now => ContactService::load(directories, timeout, policy.grace, policy.l1_ttl).await,
        IndexBuild::Beside => ContactService::start(directories, timeout, policy.grace, policy.l1_ttl),
    })
}

/// `calendar.read` or `calendar.freebusy` (the calendar function's edge and
/// [`Capabilities::invoke`]).
pub async fn call_calendar(
    service: &CalendarService,
    call: Call,
    deadline: Option<Instant>,
) -> Result<Output, ApiError> {
    match call {
        Call::Read(req) => service.read(&req, deadline).await.map(Output::Read).map_err(|e| ApiError::from_error(&e)),
        Call::FreeBusy(req) => {
            service.freebusy(&req, deadline).await.map(Output::FreeBusy).map_err(|e| ApiError::from_error(&e))
        }
        other => Err(not_served(other.capability())),
    }
}

/// `contacts.resolve`; the response names the cache tier that answered.
pub async fn call_contacts(service: &ContactService, req: &ResolveRequest) -> Result<Output, ApiError> {
    let (resolution, cache) = service.resolve(req).await?;
    Ok(Output::Resolve(ResolveResponse { resolution, cache }))
}

#[async_trait::async_trait]
impl LocalCapabilities for Capabilities {
    async fn call_local(&self, call: Call) -> Result<Output, ApiError> {
        self.invoke(call, None).await
    }
}

/// The HTTP client and credentials the configured sources of `which` need. Credentials (a
/// Secrets Manager call in Lambda) are loaded only when some source is on the network.
pub async fn network(config: &Config, which: &[Capability]) -> Result<Network, AppError> {
    let mut urls: Vec<&str> = Vec::new();
    if which.contains(&Capability::CalendarRead) {
        urls.extend(config.calendars.iter().map(String::as_str));
        urls.extend(config.people_calendars.iter().map(|p| p.url()));
    }
    if which.contains(&Capability::ContactsResolve) {
        urls.extend(config.contacts.iter().map(String::as_str));
    }
    let credentials = if urls.iter().any(|u| crate::adapters::sources::is_network(u)) {
        Credentials::load(config.dav_secret_arn.as_deref(), config.dav_password.as_ref(), config.dav_token.as_ref())
            .await?
    } else {
        Credentials::none()
    };
    let opts = HttpOptions {
        allow_private: config.allow_private_sources,
        timeout: config.source_timeout,
        ..HttpOptions::default()
    };
    Ok(Network::new(Http::shared(opts)?, Arc::new(credentials), config.cache_policy.grace))
}

fn not_served(capability: Capability) -> ApiError {
    ApiError::new("not_found", 404, format!("{capability} is not served by this process"))
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
    /// The contact index is built beside what comes first, so a question's calendar reads start
    /// while the contacts are indexed (`kenny mcp`, and [`App::one_shot`]).
    pub async fn from_config(config: Config) -> Result<Self, AppError> {
        Self::build(config, false).await
    }

    /// [`App::from_config`] for a process that answers once and exits (the CLI's `ask`, `plan`
    /// and capability commands): see [`CalendarService::one_shot`].
    pub async fn one_shot(config: Config) -> Result<Self, AppError> {
        Self::build(config, true).await
    }

    async fn build(config: Config, one_shot: bool) -> Result<Self, AppError> {
        let mut caps = Capabilities::load_with(&config, &Capability::ALL, IndexBuild::Beside).await?;
        if one_shot {
            caps.calendar = caps.calendar.map(CalendarService::one_shot);
        }
        let caps = Arc::new(caps);
        let timings = crate::adapters::timing::open_store(&config.timings).await?;
        let coordinator = Coordinator::new(
            config.faults.wrap_sibling(Arc::new(InProcess::new(caps.clone()))),
            timings,
            Arc::new(crate::ports::metrics::Discard),
            config.timezone,
            config.coordinate_limits(),
        )
        .with_slots(config.slots);
        Ok(App { config, caps, coordinator })
    }
}
