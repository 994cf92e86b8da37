//! Test harness: builds the `kenny` binary once per test process and runs it with a clean,
//! explicit environment, so tests never depend on the developer's own configuration.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Path of the built `kenny` binary (built by the first call).
pub fn kenny_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-q", "-p", "kenny-cli", "--message-format=json"])
            .current_dir(workspace())
            .output()
            .expect("cargo build -p kenny-cli could not start");
        assert!(out.status.success(), "building kenny failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["target"]["name"] == "kenny")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo did not report the kenny executable")
    })
}

/// The result of one `kenny` run.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON (panics with the output when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `kenny` in `dir` with only the given `KENNY_*` variables set (plus a private timings
/// file in `dir` unless one is given).
pub fn kenny(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(kenny_bin());
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("KENNY_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("KENNY_TIMINGS", format!("file://{}/timings.jsonl", dir.display()));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("kenny could not start").into()
}
