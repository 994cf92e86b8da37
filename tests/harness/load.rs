//! Load: many questions at once, through the local Lambda path or in one process, with the
//! figures a load test reports (throughput, client p50/p99) and the memory the processes reached.
//! The load test (`tests/tests/load.rs`) asserts on errors, memory and records; `scripts/bench
//! load` prints the figures for docs/benchmarks.md.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use serde_json::{Value, json};

use crate::{Functions, Server, invoke_url, watch_with};

/// The sample question, asked at a fixed time.
pub fn question(sequential: bool) -> Value {
    json!({"question": "what meetings do I have with Sarah and Tom next week?",
           "now": "2026-11-27T10:00:00-05:00", "timezone": "America/New_York", "sequential": sequential})
}

/// What one load run saw.
#[derive(Debug, Clone, Default)]
pub struct LoadRun {
    /// Questions asked.
    pub requests: usize,
    /// What went wrong, one line per failed or degraded answer.
    pub errors: Vec<String>,
    /// Request ids of the answers.
    pub request_ids: Vec<String>,
    /// Steps per answer, added up (each answer has one request record plus one per step).
    pub records_expected: usize,
    /// Client-observed latency of each question, ms, sorted.
    pub latencies_ms: Vec<f64>,
    /// First question sent to last answer received, s.
    pub wall_s: f64,
}

impl LoadRun {
    /// Answers per second.
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.wall_s.max(1e-9)
    }

    /// Nearest-rank percentile of the client latency, ms.
    pub fn percentile(&self, p: f64) -> f64 {
        let v = &self.latencies_ms;
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    /// One Markdown table row: `| what | requests | errors | throughput | p50 | p99 |`.
    pub fn row(&self, what: &str) -> String {
        format!(
            "| {what} | {} | {} | {:.1}/s | {:.0} ms | {:.0} ms |",
            self.requests,
            self.errors.len(),
            self.throughput(),
            self.percentile(50.0),
            self.percentile(99.0)
        )
    }

    fn add(&mut self, latency_ms: f64, answer: Result<Value, String>) {
        self.requests += 1;
        self.latencies_ms.push(latency_ms);
        match answer {
            Ok(body) if body["degraded"] == false => {
                self.request_ids.push(body["timings"]["request_id"].as_str().unwrap_or_default().to_string());
                self.records_expected += 1 + body["timings"]["steps"].as_array().map_or(0, Vec::len);
            }
            Ok(body) => self.errors.push(format!("degraded: {}", body["errors"])),
            Err(e) => self.errors.push(e),
        }
    }

    fn finish(mut self, started: Instant) -> Self {
        self.wall_s = started.elapsed().as_secs_f64();
        self.latencies_ms.sort_by(f64::total_cmp);
        self
    }
}

/// `n` questions at once through `watch`'s Invoke API: `n` client threads released together.
pub fn through_lambda(watch: &Server, n: usize) -> LoadRun {
    let barrier = Arc::new(Barrier::new(n + 1));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            let url = watch.url();
            std::thread::spawn(move || {
                barrier.wait();
                let started = Instant::now();
                let answer = match invoke_url(&url, "coordinate", &question(false)) {
                    Ok((200, None, body)) => Ok(body),
                    Ok((status, fe, body)) => Err(format!("{status} {fe:?}: {body}")),
                    Err(e) => Err(e),
                };
                let took = started.elapsed().as_secs_f64() * 1e3;
                (took, answer)
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let mut run = LoadRun::default();
    for t in threads {
        match t.join() {
            Ok((took, answer)) => run.add(took, answer),
            Err(_) => run.errors.push("a client thread panicked".into()),
        }
    }
    run.finish(started)
}

/// `n` questions at once in this process, through `coordinator` (its siblings in process).
pub async fn in_process(coordinator: Arc<kenny::capabilities::coordinate::Coordinator>, n: usize) -> LoadRun {
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let coordinator = coordinator.clone();
            tokio::spawn(async move {
                let request = serde_json::from_value(question(false)).map_err(|e| e.to_string())?;
                let begun = Instant::now();
                let answer = coordinator.handle(request, &format!("load-{i}"), None).await;
                let took = begun.elapsed().as_secs_f64() * 1e3;
                let body =
                    answer.map_err(|e| e.to_string()).and_then(|r| serde_json::to_value(r).map_err(|e| e.to_string()));
                Ok::<_, String>((took, body))
            })
        })
        .collect();
    let mut run = LoadRun::default();
    for t in tasks {
        match t.await {
            Ok(Ok((took, answer))) => run.add(took, answer),
            Ok(Err(e)) => run.errors.push(e),
            Err(e) => run.errors.push(format!("a task failed: {e}")),
        }
    }
    run.finish(started)
}

/// Peak resident memory (VmHWM, MiB) of every running process whose command name is one of
/// `names`, as `(name, pid, MiB)`.
pub fn peak_memory(names: &[&str]) -> Vec<(String, u32, f64)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
        let name = status_field(&status, "Name:").unwrap_or_default().to_string();
        // The kernel keeps 15 characters of a command name (`contacts-resolv`).
        if names.iter().any(|n| name == *n || (n.len() > 15 && n.starts_with(&name))) {
            out.push((name, pid, peak_mib(&status)));
        }
    }
    out
}

/// This process's own peak resident memory, MiB.
pub fn own_peak_memory() -> f64 {
    peak_mib(&std::fs::read_to_string("/proc/self/status").unwrap_or_default())
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(key)).map(str::trim)
}

/// `VmHWM` of a `/proc/<pid>/status` text, MiB (0 when absent).
fn peak_mib(status: &str) -> f64 {
    let kib: f64 =
        status_field(status, "VmHWM:").and_then(|v| v.trim_end_matches("kB").trim().parse().ok()).unwrap_or(0.0);
    kib / 1024.0
}

/// The coordinator of one process over the bundled sample data, its siblings in process,
/// recording into `timings`.
pub async fn sample_coordinator(
    timings: Arc<dyn kenny::ports::timing::TimingStore>,
) -> Arc<kenny::capabilities::coordinate::Coordinator> {
    let config = kenny::wiring::config::Config::from_parts(|_| None, None).expect("the default configuration");
    let caps = Arc::new(kenny::wiring::app::Capabilities::from_config(&config).await.expect("the sample data"));
    Arc::new(kenny::capabilities::coordinate::Coordinator::new(
        Arc::new(kenny::adapters::in_process::InProcess::new(caps)),
        timings,
        Arc::new(kenny::ports::metrics::Discard),
        config.timezone,
        config.coordinate_limits(),
    ))
}

/// The local Lambda path for `n` questions at once: `cargo lambda watch --only-lambda-apis`
/// (`--concurrency n`) and one function process per invocation that can be in flight — `n`
/// coordinate, `n` calendar-read, `2n` contacts-resolve (two people per question) — from the
/// binaries in `dir`. One process serves one invocation at a time, as in Lambda; and cargo
/// lambda watch 1.x stalls invocations that have to queue for a busy process (with 8 processes
/// per function, 8 of 200 questions were answered and the rest hung), so none is left to queue.
pub fn lambda_stack(env: &[(&str, String)], n: usize, dir: &Path) -> (Server, Functions) {
    let w = watch_with(env, n, true);
    let counts = [("coordinate", n), ("calendar-read", n), ("contacts-resolve", 2 * n)];
    let functions = Functions::start_in(&w, dir, &counts, env);
    (w, functions)
}
