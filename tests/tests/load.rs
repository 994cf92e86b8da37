//! 200 questions at once — through `cargo lambda watch` (its runtime and Invoke APIs, with
//! `--concurrency 200`, and one function process per invocation that can be in flight, as Lambda
//! scales) and, separately, in one process: no errors, no degraded answer,
//! memory within what the functions are deployed with, and every timing record written to the
//! DynamoDB-compatible table. The figures (throughput, p50/p99) are printed; docs/benchmarks.md's come
//! from `scripts/bench load` on release builds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use kenny::ports::timing::TimingStore as _;
use kenny_tests::load::{
    LoadRun, in_process, lambda_stack, own_peak_memory, peak_memory, sample_coordinator, through_lambda,
};
use kenny_tests::{LOCAL_AWS, Server, kenny, moto};

const QUESTIONS: usize = 200;
/// The smallest memory size template.yaml deploys a function with, MiB.
const DEPLOYED_MIB: f64 = 512.0;
const FUNCTIONS: [&str; 3] = ["coordinate", "calendar-read", "contacts-resolve"];

fn create_table(moto: &Server, table: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(&str, String)> = LOCAL_AWS.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", moto.url()));
    env.push(("KENNY_TIMINGS", format!("dynamodb://{table}")));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = kenny(dir.path(), &["timings", "create-table"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Every record of `run`'s answers is in `table`.
async fn assert_all_recorded(moto: &Server, table: &str, run: &LoadRun) {
    let store = kenny::adapters::aws::timing::DynamoStore::new(&kenny_tests::aws_at(&moto.url()).await, table);
    let now = chrono::Utc::now();
    let stored = store.query(now - chrono::Duration::minutes(30), now + chrono::Duration::minutes(1)).await.unwrap();
    let ids: std::collections::HashSet<&str> = run.request_ids.iter().map(String::as_str).collect();
    assert_eq!(ids.len(), QUESTIONS, "one request id per answer");
    let ours = stored.iter().filter(|r| ids.contains(r.request_id.as_str())).count();
    assert_eq!(ours, run.records_expected, "every timing record was written, once");
}

#[test]
fn two_hundred_concurrent_questions_through_cargo_lambda_watch() {
    let moto = moto();
    let table = "kenny-load-lambda";
    create_table(&moto, table);
    let mut env: Vec<(&str, String)> = LOCAL_AWS.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", moto.url()));
    env.push(("KENNY_TIMINGS", format!("dynamodb://{table}")));
    env.push(("RUST_LOG", "warn".into()));
    // Steps may take long on 2 loaded cores: a roomy step timeout.
    env.push(("KENNY_STEP_TIMEOUT_MS", "120000".into()));
    let debug = kenny_tests::kenny_bin().parent().unwrap().to_path_buf();
    let (w, _functions) = lambda_stack(&env, QUESTIONS, &debug);
    kenny_tests::warm_up(&w);
    let run = through_lambda(&w, QUESTIONS);
    println!("{}", run.row("cargo lambda watch, 200/200/400 function processes (debug build)"));
    assert!(
        run.errors.is_empty(),
        "{} of {QUESTIONS} failed: {:?}",
        run.errors.len(),
        &run.errors[..run.errors.len().min(3)]
    );
    let memory = peak_memory(&FUNCTIONS);
    println!("function processes: {}, peak {:.0} MiB", memory.len(), memory.iter().map(|m| m.2).fold(0.0, f64::max));
    assert!(memory.len() >= 3, "the function processes were found: {memory:?}");
    for (name, pid, mib) in &memory {
        assert!(*mib < DEPLOYED_MIB, "{name} ({pid}) reached {mib:.0} MiB");
    }
    tokio::runtime::Runtime::new().unwrap().block_on(assert_all_recorded(&moto, table, &run));
}

#[test]
fn two_hundred_concurrent_questions_in_one_process() {
    let moto = moto();
    let table = "kenny-load-process";
    create_table(&moto, table);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let sdk = kenny_tests::aws_at(&moto.url()).await;
        let coordinator =
            sample_coordinator(Arc::new(kenny::adapters::aws::timing::DynamoStore::new(&sdk, table))).await;
        let before = own_peak_memory();
        let run = in_process(coordinator, QUESTIONS).await;
        let peak = own_peak_memory();
        println!("{}", run.row("in process (debug build)"));
        println!("process peak {peak:.0} MiB (before the load: {before:.0} MiB)");
        assert!(
            run.errors.is_empty(),
            "{} of {QUESTIONS} failed: {:?}",
            run.errors.len(),
            &run.errors[..run.errors.len().min(3)]
        );
        assert!(peak < DEPLOYED_MIB, "the process reached {peak:.0} MiB");
        assert_all_recorded(&moto, table, &run).await;
    });
}
