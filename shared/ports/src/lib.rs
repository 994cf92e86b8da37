//! The ports: the traits through which capabilities reach the world — calendar sources and
//! contact directories, the shared cache, the timing store, the sibling capabilities and the
//! metrics sink — with the values and errors they carry, and the data capabilities' requests
//! and responses (`contracts`), which both a capability and a sibling transport name. A port
//! names no adapter.

pub mod cache;
pub mod contracts;
pub mod metrics;
pub mod sibling;
pub mod sources;
pub mod timing;
