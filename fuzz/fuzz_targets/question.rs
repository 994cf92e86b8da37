//! cargo-fuzz target: `kenny::edges::fuzzing::question` (the invariants are documented there).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kenny::edges::fuzzing::question(data));
