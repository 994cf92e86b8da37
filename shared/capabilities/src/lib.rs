//! The capabilities: `calendar.read` (with its caches), `calendar.freebusy`, `contacts.resolve`,
//! `coordinate` (plans, the executor, the answer) and the performance report. Typed requests in,
//! typed responses out; they use the domain and the ports, never an adapter.

pub mod calendar;
pub mod contacts;
pub mod coordinate;
pub mod report;
