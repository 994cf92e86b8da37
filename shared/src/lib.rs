//! Kenny's library: every piece of logic the functions and the CLI run.
//!
//! # Layout
//! Six layers; each imports only the layers above it in this list (docs/architecture.md).
//!
//! - [`domain`] — no I/O. [`domain::error`] (the API's error shape and the `ErrorCode` trait),
//!   [`domain::time`] (dates, zones, the half-open window), [`domain::ical`] (iCalendar parsing
//!   and bounded recurrence expansion), [`domain::question`] (plain English → intent, people,
//!   window, topic), [`domain::contacts`] (vCards and the name matcher), [`domain::plan`] (plans
//!   as DAGs, `$ref`s), [`domain::slots`] (common free time), [`domain::text`] (folding),
//!   [`domain::retry`] (full-jitter backoff), [`domain::sample`] (the bundled data set).
//! - [`ports`] — traits and what they carry: [`ports::contracts`] (the data capabilities'
//!   requests and responses as types), [`ports::sources`] (`CalendarSource`,
//!   `ContactDirectory`, `SourceError`, limits), [`ports::cache`] (the shared cache, L2),
//!   [`ports::timing`] (timing records and the `TimingStore`), [`ports::sibling`] (how
//!   `coordinate` calls a capability: a typed `Call`, a typed `Output`), [`ports::metrics`] (the metric catalogue and sink).
//! - [`capabilities`] — [`capabilities::calendar`] (`calendar.read`, with its L1 cache and the
//!   freshness rules), [`capabilities::calendar::freebusy`], [`capabilities::contacts`]
//!   (`contacts.resolve`), [`capabilities::coordinate`] (plans from questions, the executor, the
//!   answer, timing records) and [`capabilities::report`] (the performance report).
//! - [`adapters`] — [`adapters::sources`] (file, sample, DAV and feed sources),
//!   [`adapters::dav`], [`adapters::http`] (the one outbound client, SSRF guard),
//!   [`adapters::timing`] (JSONL and memory stores, replay), [`adapters::in_process`] (the
//!   in-process sibling), [`adapters::faults`] (fault injection), [`adapters::secrets`]
//!   (credentials), [`adapters::aws`] (DynamoDB cache and timing store, the Lambda sibling,
//!   Secrets Manager).
//! - [`wiring`] — [`wiring::config`] (environment and `kenny.toml`) and [`wiring::app`] (the
//!   process's capabilities, built once).
//! - [`edges`] — [`edges::lambda`] (direct invokes and API Gateway events), [`edges::warm`]
//!   (the scheduled warmer), [`edges::mcp`] (Kenny as an MCP server: the tools over stdio and
//!   stateless `POST /mcp`), [`edges::fuzzing`] (fuzz and property-test entry points).

pub use kenny_adapters as adapters;
pub use kenny_capabilities as capabilities;
pub use kenny_domain as domain;
pub use kenny_ports as ports;

pub mod edges;
pub mod wiring;
