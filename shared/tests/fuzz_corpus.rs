//! The fuzz corpus in normal `cargo test`: every file under `fuzz/corpus/<target>/` goes through
//! its target's entry function in `kenny::edges::fuzzing` (the same body the cargo-fuzz target runs),
//! so seeds and every crash once found and fixed stay regression tests without libFuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn every_fuzz_corpus_file_passes_its_target() {
    let root = corpus_root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fuzz/corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let names: Vec<String> = dirs.iter().map(|d| d.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let mut expected: Vec<&str> = kenny::edges::fuzzing::TARGETS.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "fuzz/corpus/ must hold one directory per target");
    let mut ran = 0;
    for (dir, name) in dirs.iter().zip(&names) {
        let run = kenny::edges::fuzzing::target(name).unwrap();
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
        assert!(!files.is_empty(), "{} has no seeds", dir.display());
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name}: {} breaks an invariant (see the panic above)", file.display());
            ran += 1;
        }
    }
    println!("{ran} fuzz corpus files passed");
}
