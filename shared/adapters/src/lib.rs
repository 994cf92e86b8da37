//! The adapters: what implements a port against the world — files, the bundled sample, CalDAV
//! and CardDAV, ICS feeds, the one HTTP client, the timing stores, the in-process and Lambda
//! sibling transports, fault injection, credentials, and AWS (DynamoDB, Lambda, Secrets Manager).

#[cfg(any(feature = "dynamodb", feature = "lambda", feature = "secrets"))]
pub mod aws;
pub mod dav;
pub mod faults;
pub mod http;
pub mod in_process;
pub mod secrets;
pub mod sources;
pub mod timing;
