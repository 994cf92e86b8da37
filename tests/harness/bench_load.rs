//! `scripts/bench load`: 200 questions at once (or the number given), through the local Lambda
//! path — `cargo lambda watch --only-lambda-apis` serving prebuilt release binaries, one process
//! per invocation that can be in flight (N coordinate, N calendar-read, 2N contacts-resolve), as
//! Lambda scales and because watch stalls invocations that queue for a busy process — and in one
//! process; timing records go to moto. Prints throughput,
//! client p50/p99, errors and peak memory: the load figures of docs/benchmarks.md.

use std::sync::Arc;

use kenny_tests::load::{in_process, lambda_stack, own_peak_memory, peak_memory, sample_coordinator, through_lambda};
use kenny_tests::{LOCAL_AWS, invoke, moto};

const TABLE: &str = "kenny-load-bench";

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let moto = moto();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let sdk = rt.block_on(kenny_tests::aws_at(&moto.url()));
    let store = Arc::new(kenny::adapters::aws::timing::DynamoStore::new(&sdk, TABLE));
    rt.block_on(store.create_table()).expect("the timings table");
    let mut env: Vec<(&str, String)> = LOCAL_AWS.iter().map(|(k, v)| (*k, v.to_string())).collect();
    env.push(("AWS_ENDPOINT_URL_DYNAMODB", moto.url()));
    env.push(("KENNY_TIMINGS", format!("dynamodb://{TABLE}")));
    env.push(("RUST_LOG", "warn".into()));

    println!("| path | questions | errors | throughput | client p50 | client p99 |");
    println!("|---|---|---|---|---|---|");
    let memory = {
        let (w, _running) = lambda_stack(&env, n, &kenny_tests::workspace().join("target/release"));
        for _ in 0..16 {
            let (status, _, body) = invoke(&w, "coordinate", &kenny_tests::load::question(false));
            assert_eq!(status, 200, "{body}\n{}", w.output());
        }
        let run = through_lambda(&w, n);
        println!("{}", run.row(&format!("cargo lambda watch, release, {n}/{n}/{} processes", 2 * n)));
        peak_memory(&["coordinate", "calendar-read", "contacts-resolve"])
    };

    let process = rt.block_on(async {
        let coordinator = sample_coordinator(store).await;
        in_process(coordinator.clone(), 16).await; // warm
        in_process(coordinator, n).await
    });
    println!("{}", process.row("in process (release)"));
    let peak = memory.iter().map(|m| m.2).fold(0.0, f64::max);
    println!(
        "\nfunction processes: {}, highest peak RSS {peak:.0} MiB; in-process peak RSS {:.0} MiB",
        memory.len(),
        own_peak_memory()
    );
}
