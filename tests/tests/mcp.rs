//! Kenny's MCP face driven by a client nobody here wrote: the official MCP Python SDK
//! (`tests/mcp/client.py`, `mcp` pinned in scripts/requirements-test.txt) as a client of
//! `kenny mcp` over stdio and of `POST /mcp` through `cargo lambda watch` (a function URL, so
//! the function sees an API Gateway v2 event). It initializes, lists the tools, calls each on
//! the sample data, then sends a bad argument and an unknown tool. The tool calls' timing
//! records are read back: `edge: "mcp"`, with the usual transport. A missing Python package is
//! a failure, never a skip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

use kenny::ports::timing::RecordKind;
use kenny::ports::timing::TimingRecord;
use kenny_tests::{kenny_bin, require, warm_up, watch, workspace};
use serde_json::{Value, json};

/// Every check the client makes, in order.
const CHECKS: [&str; 11] = [
    "sdk",
    "initialize",
    "list_tools",
    "ask",
    "read_calendar",
    "resolve_contact",
    "free_busy",
    "find_slots",
    "run_plan",
    "bad_argument",
    "unknown_tool",
];

/// The tool calls that run a plan (the bad argument and the unknown tool are refused first).
const PLANNED_CALLS: usize = 6;

/// Runs the Python client; panics with its whole output unless every check passed.
fn python_client(mode: &str, target: &str, env: &[(&str, String)]) {
    let python = require("python3", "a Python 3 with `pip install -r scripts/requirements-test.txt`");
    let mut cmd = Command::new(python);
    cmd.arg(workspace().join("tests/mcp/client.py")).args([mode, target]);
    for (k, _) in std::env::vars() {
        if k.starts_with("KENNY_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 could not start");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let whole = format!("exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code());
    let lines: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let names: Vec<&str> = lines.iter().filter_map(|l| l["check"].as_str()).collect();
    assert_eq!(names, CHECKS, "every check ran, in order\n{whole}");
    for line in &lines {
        assert_eq!(line["ok"], true, "check {} failed: {}\n{whole}", line["check"], line["detail"]);
    }
    assert!(out.status.success(), "{whole}");
    let sdk = lines[0]["detail"].as_str().unwrap_or_default();
    assert!(sdk.starts_with("mcp 2."), "the pinned SDK: {sdk}");
}

fn records(path: &Path) -> Vec<TimingRecord> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).expect("a timing record")).collect()
}

/// One request record per planned call, every record marked `mcp`, steps with `transport`.
fn assert_mcp_records(records: &[TimingRecord], transport: &str) {
    let requests: Vec<&TimingRecord> = records.iter().filter(|r| r.kind == RecordKind::Request).collect();
    assert_eq!(requests.len(), PLANNED_CALLS, "{records:#?}");
    assert!(records.iter().all(|r| r.edge.as_deref() == Some("mcp")), "{records:#?}");
    let steps: Vec<&TimingRecord> = records.iter().filter(|r| r.kind == RecordKind::Step).collect();
    let remote = steps.iter().filter(|s| s.capability != "slots.find");
    assert!(remote.clone().count() >= PLANNED_CALLS, "{steps:#?}");
    assert!(remote.into_iter().all(|s| s.transport.as_deref() == Some(transport)), "{steps:#?}");
    assert!(steps.iter().filter(|s| s.capability == "slots.find").all(|s| s.transport.as_deref() == Some("local")));
    // The report counts them as requests through the MCP edge.
    let since = records.iter().map(|r| r.at).min().unwrap() - chrono::Duration::minutes(1);
    let until = records.iter().map(|r| r.at).max().unwrap() + chrono::Duration::minutes(1);
    let report = kenny::capabilities::report::build(records, since, until);
    let edges: Vec<(&str, usize)> = report.edges.iter().map(|e| (e.edge.as_str(), e.requests)).collect();
    assert_eq!(edges, [("mcp", PLANNED_CALLS)], "{:?}", report.edges);
}

#[test]
fn the_python_sdk_drives_kenny_mcp_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let timings = dir.path().join("timings.jsonl");
    let env = [("KENNY_TIMINGS", format!("file://{}", timings.display()))];
    python_client("stdio", &kenny_bin().display().to_string(), &env);
    assert_mcp_records(&records(&timings), "in_process");
}

#[test]
fn the_python_sdk_drives_post_mcp_through_cargo_lambda_watch() {
    let dir = tempfile::tempdir().unwrap();
    let timings = dir.path().join("timings.jsonl");
    let w = watch(&[("KENNY_TIMINGS", format!("file://{}", timings.display()))], 2);
    warm_up(&w);
    let url = format!("{}/lambda-url/coordinate/mcp", w.url());
    python_client("http", &url, &[]);
    assert_mcp_records(&records(&timings), "lambda");

    // The stateless edge's own answers, through the same function URL.
    let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(300)).build().unwrap();
    let post = |body: String| {
        let r = client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let session = r.headers().get("mcp-session-id").is_some();
        let text = r.text().unwrap();
        (status, session, text)
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let (status, session, text) = post(init.to_string());
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((status, session), (200, false), "no session is issued: {text}");
    assert_eq!(v["result"]["protocolVersion"], "2025-06-18", "a version Kenny speaks is agreed: {text}");
    let (status, _, text) = post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string());
    assert_eq!((status, text.as_str()), (202, ""), "a notification is accepted with no body");
    let (status, _, text) = post(json!([init, init]).to_string());
    assert_eq!(status, 400, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["code"], -32600, "a batch is refused: {text}");
    let (status, _, text) = post("{\"jsonrpc\": \"2.0\", ".into());
    assert_eq!((status, serde_json::from_str::<Value>(&text).unwrap()["error"]["code"].clone()), (400, json!(-32700)));
    let huge = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "ask", "arguments": {"question": "x".repeat(kenny::edges::lambda::MAX_BODY_BYTES)}}});
    let (status, _, text) = post(huge.to_string());
    assert_eq!(status, 413, "the body limit of every route: {text}");
    let get = client.get(&url).header("accept", "text/event-stream").send().unwrap();
    assert_eq!(get.status().as_u16(), 405, "no server stream and no session to resume");
    // None of the refused messages ran a plan.
    assert_eq!(records(&timings).iter().filter(|r| r.kind == RecordKind::Request).count(), PLANNED_CALLS);
}
