//! The wiring: configuration, and the process's capabilities built from it once (a CLI run or
//! a Lambda container) over the adapters it names.

pub mod app;
pub mod config;
