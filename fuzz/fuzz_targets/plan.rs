//! cargo-fuzz target: `kenny::fuzzing::plan` (the invariants are documented there).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kenny::fuzzing::plan(data));
