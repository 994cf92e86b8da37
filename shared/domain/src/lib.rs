//! The domain: Kenny's vocabulary and rules, with no I/O. Everything here is a pure function
//! of its input (and, for `question` and `plan`, a reference time), bounded by its own limits.

pub mod contacts;
pub mod error;
pub mod ical;
pub mod plan;
pub mod question;
pub mod retry;
pub mod sample;
pub mod slots;
pub mod text;
pub mod time;
