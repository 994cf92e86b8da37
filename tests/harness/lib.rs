//! Test harness: builds the `kenny` binary once per test process and runs it with a clean,
//! explicit environment, so tests never depend on the developer's own configuration.
//!
//! # Layout
//! - this file: building and running `kenny`, [`Server`] (a process on a free port), moto, `cargo lambda watch`
//! - `radicale.rs`: a CalDAV/CardDAV server seeded over HTTP ([`radicale()`], [`Radicale`]);
//!   `bundle.rs` joins a vdir collection into one PUT body for it
//! - `hostile.rs`: an HTTP server that misbehaves on purpose ([`hostile()`], [`Mode`])
//! - `proxy.rs`: a counting proxy in front of a DAV server that can hold requests back ([`proxy()`])
//! - `reference.rs`: the reference data set of the DAV benchmarks
//! - `xandikos.rs`: a second CalDAV/CardDAV server seeded over HTTP ([`xandikos()`], [`Xandikos`])
//! - `differential.rs`: the same questions on two source configurations give the same answers

mod bundle;
pub mod differential;
pub mod hostile;
pub mod load;
pub mod proxy;
pub mod radicale;
pub mod reference;
pub mod xandikos;

pub use hostile::{
    Hostile, Mode, Reply, Responder, billion_laughs_multistatus, deeply_nested_xml, hostile, malformed_multistatus,
    xxe_multistatus,
};
pub use proxy::{Proxy, Seen, proxy};
pub use radicale::{
    CollectionKind, DAV_PASSWORD, DAV_USER, DavResponse, Radicale, Seeded, SeededCollection, radicale, xml_escape,
    xml_text, xml_texts,
};
pub use xandikos::{Xandikos, xandikos};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Accepts connections on `listener` until `stopped`, each served by `serve` on a thread of its
/// own (a thread that cannot start only loses that connection); the accept thread's handle.
pub(crate) fn accept_each<S: Send + Sync + 'static>(
    listener: std::net::TcpListener,
    name: &str,
    shared: std::sync::Arc<S>,
    stopped: fn(&S) -> bool,
    serve: fn(std::net::TcpStream, &S),
) -> std::thread::JoinHandle<()> {
    let conn = format!("{name}-conn");
    std::thread::Builder::new()
        .name(format!("{name}-accept"))
        .spawn(move || {
            for stream in listener.incoming() {
                if stopped(&shared) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = std::sync::Arc::clone(&shared);
                let _ = std::thread::Builder::new().name(conn.clone()).spawn(move || serve(stream, &shared));
            }
        })
        .expect("the accept thread")
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// How the binaries are built before tests: the functions together (identical dependencies)
/// and the CLI on its own, as `scripts/test` and `scripts/dev` build them. `cargo lambda watch`
/// runs `cargo run --bin <function>` on a function's first invoke and may still compile a
/// variant of its own then (seen in release builds), so invokes allow minutes, not seconds.
pub const BUILDS: [&[&str]; 2] =
    [&["--bin", "kenny"], &["--bin", "calendar-read", "--bin", "contacts-resolve", "--bin", "coordinate"]];

/// Builds every binary once per test process, as [`BUILDS`] says. Returns `(name, path)` pairs.
pub fn binaries() -> &'static [(String, PathBuf)] {
    static BINS: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    BINS.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut found = Vec::new();
        for targets in BUILDS {
            let out = Command::new(&cargo)
                .args(["build", "-q", "--message-format=json"])
                .args(targets)
                .current_dir(workspace())
                .output()
                .expect("cargo build could not start");
            assert!(out.status.success(), "building {targets:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
            found.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .filter_map(|m| {
                        Some((m["target"]["name"].as_str()?.to_string(), PathBuf::from(m["executable"].as_str()?)))
                    }),
            );
        }
        found
    })
}

/// Path of the built `kenny` binary.
pub fn kenny_bin() -> &'static Path {
    binaries()
        .iter()
        .find(|(name, _)| name == "kenny")
        .map(|(_, p)| p.as_path())
        .expect("cargo did not report the kenny executable")
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

/// A free TCP port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// The path of a required command; a missing one FAILS the test with how to install it
/// (`scripts/test` installs them all), it never skips.
pub fn require(command: &str, install: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(command))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("`{command}` is not on PATH: install it with `{install}` (scripts/test does)"))
}

/// A server process started for a test, stopped (with its children) when dropped.
#[derive(Debug)]
pub struct Server {
    child: std::process::Child,
    /// The port it listens on.
    pub port: u16,
    /// Its combined output, kept outside the workspace (cargo lambda watch would rebuild on it).
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts `cmd` (stdout and stderr to a log file) and waits until `port` accepts connections.
    pub fn start(mut cmd: Command, port: u16, name: &str, wait: std::time::Duration) -> Server {
        let dir = tempfile::tempdir().expect("temporary folder");
        let log = dir.path().join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            cmd.process_group(0);
        }
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} could not start: {e}"));
        let mut server = Server { child, port, log, _dir: dir };
        let deadline = std::time::Instant::now() + wait;
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{name} exited ({status}) before listening:\n{}", server.output());
            }
            if std::time::Instant::now() > deadline {
                panic!("{name} did not listen on port {port} within {wait:?}:\n{}", server.output());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole process group: cargo lambda watch starts the functions as children. The `--`
        // matters: procps-ng 4.0.2's `kill -TERM -PGID` signals pid -1, i.e. every process the
        // user may signal (seen under strace), not the group.
        let pid = self.child.id();
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{pid}")]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credentials and region for local AWS-compatible servers (nothing here talks to AWS).
pub const LOCAL_AWS: [(&str, &str); 5] = [
    ("AWS_REGION", "us-east-1"),
    ("AWS_ACCESS_KEY_ID", "kenny-local"),
    ("AWS_SECRET_ACCESS_KEY", "kenny-local"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_SESSION_TOKEN", "kenny-local"),
];

/// Starts moto's server (a DynamoDB-compatible endpoint) on a free loopback port.
pub fn moto() -> Server {
    let bin = require("moto_server", "pip install 'moto[server]'");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    Server::start(cmd, port, "moto", std::time::Duration::from_secs(30))
}

/// Starts `cargo lambda watch` on a free loopback port with `env` for the functions (plus the
/// local AWS settings and the Lambda endpoint pointing back at this watch), up to `concurrency`
/// instances per function.
pub fn watch(env: &[(&str, String)], concurrency: usize) -> Server {
    binaries();
    watch_with(env, concurrency, false)
}

/// [`watch`], optionally building and running the functions in release mode (benchmarks).
pub fn watch_with(env: &[(&str, String)], concurrency: usize, release: bool) -> Server {
    require("cargo-lambda", "pip install cargo-lambda");
    let port = free_port();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace()).args([
        "lambda",
        "watch",
        "--ignore-changes",
        "--quiet",
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        &port.to_string(),
        "--concurrency",
        &concurrency.to_string(),
    ]);
    if release {
        // Benchmarks: watch serves only the runtime and Invoke APIs; the caller runs prebuilt
        // release binaries against it (see `run_function`), so nothing compiles on an invoke.
        cmd.arg("--only-lambda-apis");
    }
    let mut vars: Vec<(String, String)> = LOCAL_AWS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    vars.push(("AWS_ENDPOINT_URL_LAMBDA".into(), format!("http://127.0.0.1:{port}")));
    vars.push(("KENNY_CALENDAR_READ_FUNCTION".into(), "calendar-read".into()));
    vars.push(("KENNY_CONTACTS_RESOLVE_FUNCTION".into(), "contacts-resolve".into()));
    vars.push(("RUST_LOG".into(), "info".into()));
    for (k, v) in env {
        vars.retain(|(name, _)| name != k);
        vars.push((k.to_string(), v.clone()));
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("KENNY_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    // An env file rather than `--env-var`, which splits values at commas (source lists).
    let dir = workspace().join("target/watch-env");
    std::fs::create_dir_all(&dir).expect("target/watch-env");
    let file = dir.join(format!("{port}.env"));
    let mut text = String::new();
    for (k, v) in &vars {
        assert!(!v.contains('\'') && !v.contains('\n'), "{k}: the env file quotes values in '…'");
        cmd.env(k, v);
        text.push_str(&format!("{k}='{v}'\n"));
    }
    std::fs::write(&file, text).expect("the watch env file");
    cmd.arg("--env-file").arg(&file);
    Server::start(cmd, port, "cargo-lambda-watch", std::time::Duration::from_secs(120))
}

/// Runs a prebuilt function binary against a `watch_with(.., release = true)` server's runtime
/// API, as Lambda runs `bootstrap`: one process serves one invocation at a time.
pub fn run_function(watch: &Server, binary: &Path, function: &str, env: &[(&str, String)]) -> std::process::Child {
    let mut cmd = Command::new(binary);
    for (k, _) in std::env::vars() {
        if k.starts_with("KENNY_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_LAMBDA_RUNTIME_API", format!("{}/.rt/{function}", watch.url()))
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "local")
        .env("AWS_ENDPOINT_URL_LAMBDA", watch.url())
        .env("KENNY_CALENDAR_READ_FUNCTION", "calendar-read")
        .env("KENNY_CONTACTS_RESOLVE_FUNCTION", "contacts-resolve");
    for (k, v) in LOCAL_AWS {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    cmd.spawn().unwrap_or_else(|e| panic!("{} could not start: {e}", binary.display()))
}

/// Invokes `function` through the Lambda Invoke API of `watch` (RequestResponse), as any SDK
/// would: `(HTTP status, X-Amz-Function-Error header, body as JSON — or as a string if it is not)`.
pub fn invoke(watch: &Server, function: &str, payload: &serde_json::Value) -> (u16, Option<String>, serde_json::Value) {
    invoke_url(&watch.url(), function, payload)
        .unwrap_or_else(|e| panic!("invoking {function}: {e}\n{}", watch.output()))
}

/// [`invoke`] at a watch's base URL, from any thread; `Err` when no HTTP answer came.
pub fn invoke_url(
    base: &str,
    function: &str,
    payload: &serde_json::Value,
) -> Result<(u16, Option<String>, serde_json::Value), String> {
    let url = format!("{base}/2015-03-31/functions/{function}/invocations");
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        // Generous: should watch still compile a function on its first invoke, that is not a failure.
        reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .expect("an HTTP client")
    });
    let resp = client.post(&url).json(payload).send().map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let function_error = resp.headers().get("x-amz-function-error").and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = resp.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    Ok((status, function_error, body))
}

/// The `Authorization: Basic …` value for `user` and `password`, to check logs never hold it.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Creates a Secrets Manager secret in a local AWS-compatible server (moto) and returns its ARN.
/// Moto speaks the service's JSON protocol without checking signatures, so one plain POST does.
pub fn create_secret(server: &Server, name: &str, value: &str) -> String {
    let body = serde_json::json!({"Name": name, "SecretString": value}).to_string();
    let url = server.url();
    let reply = std::thread::scope(|s| {
        s.spawn(|| {
            reqwest::blocking::Client::new()
                .post(&url)
                .header("X-Amz-Target", "secretsmanager.CreateSecret")
                .header("Content-Type", "application/x-amz-json-1.1")
                .header(
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=kenny-local/20261127/us-east-1/secretsmanager/aws4_request, \
                     SignedHeaders=host, Signature=0",
                )
                .body(body)
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json::<serde_json::Value>())
        })
        .join()
    });
    let reply = match reply {
        Ok(r) => r.unwrap_or_else(|e| panic!("creating the secret {name} in moto: {e}")),
        Err(panic) => std::panic::resume_unwind(panic),
    };
    reply["ARN"].as_str().unwrap_or_else(|| panic!("moto's CreateSecret reply has no ARN: {reply}")).to_string()
}

/// Invokes each function of `watch` once (results ignored), so that any compile `cargo lambda
/// watch` still does on a function's first invoke happens here, under the harness's generous
/// invoke timeout, and not inside a coordinate step's timeout. Each payload is answered without
/// reading a source or writing a timing record.
pub fn warm_up(watch: &Server) {
    for (function, payload) in [
        ("calendar-read", serde_json::json!({"warm_up": true})),
        ("contacts-resolve", serde_json::json!({"warm_up": true})),
        // Refused as invalid before any plan runs: no timing record is written.
        ("coordinate", serde_json::json!({"warm_up": true})),
    ] {
        let _ = invoke(watch, function, &payload);
    }
}

/// Where the benchmark drivers append their timing records (`target/bench/timings.jsonl`), so
/// that `scripts/bench` can run `kenny report` on them afterwards.
pub fn bench_timings() -> String {
    let dir = workspace().join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    format!("file://{}/timings.jsonl", dir.display())
}

/// The AWS SDK configuration of a local test endpoint (moto, or a misbehaving server): fixed
/// region and test credentials.
pub async fn aws_at(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .test_credentials()
        .load()
        .await
}

/// Prebuilt release function processes serving a `watch_with(.., release = true)` server, stopped
/// when dropped: `count` processes of each named function (one process serves one invocation at a
/// time, as in Lambda).
#[derive(Debug)]
pub struct Functions(Vec<std::process::Child>);

impl Functions {
    /// Starts `count` processes of each function in `counts` from `target/release`.
    pub fn start(watch: &Server, counts: &[(&str, usize)], env: &[(&str, String)]) -> Functions {
        Self::start_in(watch, &workspace().join("target/release"), counts, env)
    }

    /// [`Functions::start`] with the binaries in `dir` (e.g. the debug ones [`binaries`] built).
    pub fn start_in(watch: &Server, dir: &Path, counts: &[(&str, usize)], env: &[(&str, String)]) -> Functions {
        let mut children = Vec::new();
        for (function, count) in counts {
            for _ in 0..*count {
                children.push(run_function(watch, &dir.join(function), function, env));
            }
        }
        Functions(children)
    }
}

impl Drop for Functions {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `(calendar id, cache tier)` of every calendar in a `calendar.read` response.
pub fn calendar_tiers(read: &serde_json::Value) -> Vec<(String, String)> {
    read["calendars"]
        .as_array()
        .expect("calendars")
        .iter()
        .map(|c| (c["id"].as_str().expect("id").to_string(), c["cache"].as_str().expect("cache").to_string()))
        .collect()
}

/// The calendars of a `calendar.read` response whose read was a delta, with it.
pub fn deltas(read: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    read["calendars"]
        .as_array()
        .expect("calendars")
        .iter()
        .filter(|c| c.get("delta").is_some())
        .map(|c| (c["id"].as_str().expect("id").to_string(), c["delta"].clone()))
        .collect()
}

/// Item file names with extension `ext` in a vdir collection folder.
pub fn vdir_items(folder: &Path, ext: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(folder)
        .expect("the collection folder")
        .map(|e| e.expect("a folder entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect()
}

/// The bundled sample data written to disk by `kenny sample` once per test process.
pub fn sample_dir() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let run = kenny(dir.path(), &["sample", "data"], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let root = dir.path().join("data");
        (dir, root)
    })
    .1
}
