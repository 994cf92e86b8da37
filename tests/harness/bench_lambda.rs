//! `scripts/bench`'s end-to-end benchmark: the sample question through the local Lambda path —
//! `cargo lambda watch --only-lambda-apis` (its runtime and Invoke API) serving the prebuilt
//! release binaries (`target/release/{calendar-read,contacts-resolve,coordinate}`), `coordinate`
//! invoking its siblings through the Invoke API — concurrent plan vs the same requests with
//! `sequential: true`. Prints median and p95 of
//! the client-observed latency, Kenny's own total, and the coordinator's overhead (total minus
//! the critical path, i.e. minus the slowest branch).

use std::time::Instant;

use kenny_tests::{Functions, invoke, watch_with};
use serde_json::json;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let env = vec![("KENNY_TIMINGS", kenny_tests::bench_timings())];
    let w = watch_with(&env, 4, true);
    // Two contacts-resolve processes: the plan resolves two people at once.
    let _functions = Functions::start(&w, &[("coordinate", 1), ("calendar-read", 1), ("contacts-resolve", 2)], &env);
    let ask = |sequential: bool| {
        json!({"question": "what meetings do I have with Sarah and Tom next week?",
               "now": "2026-11-27T10:00:00-05:00", "timezone": "America/New_York", "sequential": sequential})
    };
    // Warm every function (first invocations start processes and fill the connection pool).
    for _ in 0..5 {
        for sequential in [false, true] {
            let (status, _, body) = invoke(&w, "coordinate", &ask(sequential));
            assert_eq!(status, 200, "{body}\n{}", w.output());
        }
    }
    println!(
        "| mode | runs | client p50 ms | client p95 ms | total p50 ms | total p95 ms | overhead p50 ms | overhead p95 ms | max in flight |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for sequential in [false, true] {
        let (mut client, mut total, mut overhead) = (Vec::new(), Vec::new(), Vec::new());
        let mut in_flight = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let (status, _, body) = invoke(&w, "coordinate", &ask(sequential));
            client.push(started.elapsed().as_secs_f64() * 1e3);
            assert_eq!((status, &body["degraded"]), (200, &json!(false)), "{body}");
            let t = &body["timings"];
            let tot = t["total_ms"].as_f64().unwrap_or(f64::NAN);
            total.push(tot);
            overhead.push(tot - t["critical_path_ms"].as_f64().unwrap_or(f64::NAN));
            in_flight = in_flight.max(t["max_in_flight"].as_u64().unwrap_or(0));
        }
        for v in [&mut client, &mut total, &mut overhead] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "| {} | {runs} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {in_flight} |",
            if sequential { "sequential" } else { "concurrent" },
            percentile(&client, 50.0),
            percentile(&client, 95.0),
            percentile(&total, 50.0),
            percentile(&total, 95.0),
            percentile(&overhead, 50.0),
            percentile(&overhead, 95.0),
        );
    }
}
