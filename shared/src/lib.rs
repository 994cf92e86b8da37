//! # Layout
//! - [`error`]      — the API's error shape and the [`error::ErrorCode`] trait every module's error enum implements.
//! - [`config`]     — configuration from the environment and `kenny.toml` (docs/contracts.md § Configuration).
//! - [`time`]       — dates, date-times, zones and the half-open request window.
//! - [`ical`]       — iCalendar parsing (calcard) and windowed, bounded recurrence expansion.
//! - [`calendar`]   — the `calendar.read` capability: request, concurrent reads, filters, merge, sort.
//! - [`freebusy`]   — the `calendar.freebusy` mode of `calendar.read`: busy intervals per person, unknown people.
//! - [`slots`]      — the `slots.find` step: common free time of several people in working hours (a pure function).
//! - [`contacts`]   — vCard parsing, the name matcher and the `contacts.resolve` request and response types.
//! - [`contacts_service`] — the `contacts.resolve` capability: one index over every directory, refreshed by version.
//! - [`question`]   — plain English → the facts a plan needs (people, window, topic).
//! - [`plan`]       — plans as DAGs: validation, `$ref` resolution, the plan for a question.
//! - [`retry`]      — full-jitter exponential backoff shared by every retry loop.
//! - [`faults`]     — fault injection (`KENNY_FAULTS`, off by default) for siblings and sources.
//! - [`sibling`]    — the `Sibling` port (how `coordinate` calls a capability) and its in-process transport.
//! - [`coordinate`] — runs a plan concurrently, measures it, and builds the answer.
//! - [`lambda`]     — the Lambda edge: direct invokes and API Gateway v2 events, statuses, function errors.
//! - [`mcp`]        — Kenny as an MCP server: the tools, over stdio (`kenny mcp`) and stateless HTTP (`POST /mcp`).
//! - [`metrics`]    — CloudWatch Embedded Metric Format lines and the catalogue of metric names.
//! - [`timing`]     — timing records and the `TimingStore` port with its JSONL and in-memory stores.
//! - [`report`]     — the performance report: percentiles, errors, cache tiers, speedup, A/B and trends from timing records.
//! - [`sources`]    — the `CalendarSource` and `ContactDirectory` ports and their file, sample, DAV and feed adapters.
//! - [`cache`]      — L1 (per process) and L2 (shared) calendar caches with server-validated freshness.
//! - [`dav`]        — CalDAV/CardDAV: discovery, listing, reports, and bounded multistatus XML.
//! - [`reading`]    — what reading any source shares below `sources` and `dav`: `SourceError`, per-source limits, busy intervals.
//! - [`http`]       — the one outbound HTTP client: SSRF guard, body caps, timeouts, retries.
//! - [`aws`]        — the AWS SDK configuration (once per process) and the DynamoDB table shape both stores share.
//! - [`secrets`]    — DAV credentials from the environment or Secrets Manager, never shown.
//! - [`text`]       — case and accent folding shared by the matchers.
//! - [`sample`]     — the deterministic sample data set (the embedded default) and its generator.
//! - [`warm`]       — predictive warming: which windows people will ask for, read into the shared cache.
//! - [`app`]        — wires configuration to sources, indexes and stores once per process.
//! - [`fuzzing`]    — fuzz/property-test entry points per input format, asserting Kenny's invariants.

pub mod app;
pub mod aws;
pub mod cache;
pub mod calendar;
pub mod config;
pub mod contacts;
pub mod contacts_service;
pub mod coordinate;
pub mod dav;
pub mod error;
pub mod faults;
pub mod freebusy;
pub mod fuzzing;
pub mod http;
pub mod ical;
pub mod lambda;
pub mod mcp;
pub mod metrics;
pub mod plan;
pub mod question;
pub mod reading;
pub mod report;
pub mod retry;
pub mod sample;
pub mod secrets;
pub mod sibling;
pub mod slots;
pub mod sources;
pub mod text;
pub mod time;
pub mod timing;
pub mod warm;
