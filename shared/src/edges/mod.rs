//! The edges: where JSON meets the outside — the Lambda handler (direct invokes and API Gateway
//! events), the MCP server (stdio and `POST /mcp`), the scheduled warmer, and the fuzz/property-test entry points. The CLI and the
//! function binaries are thin crates on top of these.

pub mod fuzzing;
pub mod lambda;
pub mod mcp;
pub mod warm;
