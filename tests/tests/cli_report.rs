//! `kenny report` on the timing records of questions the built `kenny` binary answered: the
//! A/B pair of a sequential and a concurrent run, the tables, and the chart
//! (docs/operations.md § Report).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use kenny_tests::kenny;

const NOW: &str = "2026-11-27T10:00:00-05:00";
const NY: &str = "America/New_York";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

#[test]
fn report_summarises_recorded_questions_with_an_ab_pair_tables_and_a_chart() {
    let dir = tmp();
    let question = ["ask", "what meetings do I have with Sarah and Tom next week?", "--now", NOW, "--tz", NY];
    for sequential in [false, true, false, true, false] {
        let mut args = question.to_vec();
        if sequential {
            args.push("--sequential");
        }
        let run = kenny(dir.path(), &args, &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    // Another kind of question, never run sequentially: it has no pair.
    let budget = kenny(dir.path(), &["ask", "what's on my calendar tomorrow about the budget?", "--now", NOW], &[]);
    assert_eq!(budget.code, 0, "{}", budget.stderr);

    let run = kenny(dir.path(), &["report", "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!((r["requests"].as_u64(), r["records"].as_u64()), (Some(6), Some(6 + 5 * 4 + 1)));
    assert_eq!(r["truncated"], false);
    let row =
        |name: &str| r["capabilities"].as_array().unwrap().iter().find(|c| c["capability"] == name).cloned().unwrap();
    assert_eq!((row("coordinate")["count"].as_u64(), row("coordinate")["success_rate"].as_f64()), (Some(6), Some(1.0)));
    assert_eq!(row("contacts.resolve")["count"], 10);
    // Each of the five questions with people: the fetch and the filtered read; and the budget one.
    assert_eq!(row("calendar.read")["count"], 11);
    for c in r["capabilities"].as_array().unwrap() {
        let (p50, p99) = (c["p50_ms"].as_f64().unwrap(), c["p99_ms"].as_f64().unwrap());
        assert!(p50 <= c["p95_ms"].as_f64().unwrap() && c["p95_ms"].as_f64().unwrap() <= p99, "{c}");
    }
    assert!(r["step_kinds"].as_array().unwrap().iter().all(|k| k["transport"] == "in_process"));
    let cache = &r["cache"]["overall"];
    let tiers: Vec<&str> = cache["tiers"].as_array().unwrap().iter().map(|t| t["tier"].as_str().unwrap()).collect();
    assert_eq!(&tiers[..4], ["l1", "l2", "validated", "miss"]);
    let counted: u64 = cache["tiers"].as_array().unwrap().iter().map(|t| t["count"].as_u64().unwrap()).sum();
    assert!(counted > 0 && Some(counted) == cache["steps"].as_u64(), "{cache}");
    assert_eq!((r["speedup"]["count"].as_u64(), r["speedup"]["sequential_excluded"].as_u64()), (Some(4), Some(2)));
    // The A/B pair: the same question, sequential and concurrent, paired by its plan shape.
    let pairs = r["ab"]["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{}", r["ab"]);
    assert_eq!(pairs[0]["plan_shape"], "calendar.read+contacts.resolve*2>calendar.read@next_week");
    assert_eq!(
        (pairs[0]["sequential"]["count"].as_u64(), pairs[0]["concurrent"]["count"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(pairs[0]["ratio"].as_f64().unwrap() > 0.0);
    assert_eq!(r["ab"]["unpaired_requests"], 1);
    assert_eq!(
        (r["ab"]["overall"]["pairs"].as_u64(), r["ab"]["overall"]["verdict"].as_str()),
        (Some(2), Some("insufficient_data"))
    );
    assert!(r["trends"].as_array().unwrap().iter().all(|t| t["verdict"] == "insufficient_data"), "too few records");
    assert!(!dir.path().join("kenny-report.svg").exists(), "--json writes no chart unless --chart is given");
    // Questions per intent: all six are listings.
    assert_eq!(r["intents"], serde_json::json!([{"intent": "list", "requests": 6, "per_mille": 1000}]));

    // The human form: tables, and the chart written beside them.
    let human = kenny(dir.path(), &["report", "--since", "2h"], &[]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    for part in [
        "Latency and outcome per capability",
        "Per step kind",
        "Cache tiers",
        "Questions by intent",
        "Parallel speedup",
        "A/B",
        "Trend",
    ] {
        assert!(human.stdout.contains(part), "{part}:\n{}", human.stdout);
    }
    assert!(human.stdout.contains("calendar.read+contacts.resolve*2>calendar.read@next_week"), "{}", human.stdout);
    let chart = dir.path().join("kenny-report.svg");
    assert!(human.stdout.contains("Chart: ") && human.stdout.contains("kenny-report.svg"), "{}", human.stdout);
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..100.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    for series in ["requests (concurrent) (4)", "requests (sequential) (2)", "tier "] {
        assert!(svg.contains(series), "the chart shows {series}");
    }
    let explicit = kenny(dir.path(), &["report", "--json", "--chart", "custom.svg"], &[]);
    assert_eq!(explicit.json()["requests"], 6);
    assert!(std::fs::read_to_string(dir.path().join("custom.svg")).unwrap().starts_with("<svg"));

    // Bad windows are bad input.
    let long = kenny(dir.path(), &["report", "--since", "32d", "--json"], &[]);
    assert_eq!((long.code, long.json()["error"]["code"].as_str()), (2, Some("window_too_large")));
    let bad = kenny(dir.path(), &["report", "--since", "soon"], &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("since"), "{}", bad.stderr);
}
