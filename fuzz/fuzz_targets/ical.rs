//! cargo-fuzz target: `kenny::edges::fuzzing::ical` (the invariants are documented there).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kenny::edges::fuzzing::ical(data));
