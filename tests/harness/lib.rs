//! Test harness: locating and running the built binaries.
