//! The differential check the DAV tests share: the same questions, whole-window reads and contact
//! lookups through the `kenny` CLI on two source configurations (files vs Radicale, Radicale vs
//! Xandikos, …) must give identical answers.

use std::path::Path;

use serde_json::Value;

use crate::kenny;

/// "Now" the questions are asked at.
pub const NOW: &str = "2026-11-27T10:00:00-05:00";
/// The zone they are asked in.
pub const NY: &str = "America/New_York";

/// Questions on the bundled sample data (people, topics, windows, accents).
pub const QUESTIONS: [&str; 6] = [
    "what meetings do I have with Sarah and Tom next week?",
    "what's on my calendar tomorrow about the budget?",
    "meetings with Bob this week",
    "what's on my calendar next month?",
    "meetings with Zoë Müller in the next 30 days",
    "what do I have on Monday?",
];

/// Whole-window reads: recurrences, overrides, a year.
pub const WINDOWS: [(&str, &str); 3] =
    [("2026-11-01", "2026-12-01"), ("2026-12-20", "2027-01-10"), ("2026-01-01", "2027-01-01")];

/// Contact lookups: nickname, accents, local part, typo, two Alices, an email.
pub const NAMES: [&str; 6] = ["Bob", "zoe muller", "jgarcia", "Wiliam Tuner", "Alice", "sarah.chen"];

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Runs every [`QUESTIONS`] ask, [`WINDOWS`] read and [`NAMES`] resolve through the CLI in `dir`
/// with configuration `a` and with `b` (labelled in failures) and asserts identical answers:
/// the asks' `answer` (neither degraded), the reads' events, per-calendar ids, names and counts
/// and truncation (each window non-empty), and the whole resolve responses.
pub fn assert_same_answers(
    dir: &Path,
    (a_label, a): (&str, &[(String, String)]),
    (b_label, b): (&str, &[(String, String)]),
) {
    let (a_env, b_env) = (refs(a), refs(b));
    let both = |args: &[&str]| {
        let (x, y) = (kenny(dir, args, &a_env), kenny(dir, args, &b_env));
        assert_eq!(x.code, 0, "{args:?} on {a_label}: {}", x.stderr);
        assert_eq!(y.code, 0, "{args:?} on {b_label}: {}", y.stderr);
        (x.json(), y.json())
    };
    for q in QUESTIONS {
        let (x, y) = both(&["ask", q, "--now", NOW, "--tz", NY, "--json"]);
        assert_eq!(x["answer"], y["answer"], "{q}: {a_label} vs {b_label}");
        assert_eq!(x["degraded"], false, "{q} on {a_label}: {x}");
        assert_eq!(y["degraded"], false, "{q} on {b_label}: {y}");
    }
    let counts = |v: &Value| {
        v["calendars"]
            .as_array()
            .map(|cals| {
                cals.iter().map(|c| (c["id"].clone(), c["name"].clone(), c["events"].clone())).collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    for (start, end) in WINDOWS {
        let (x, y) = both(&["calendar", "read", "--start", start, "--end", end, "--tz", NY, "--json"]);
        assert!(x["events"].as_array().is_some_and(|e| !e.is_empty()), "{start}..{end} on {a_label}: {x}");
        assert_eq!(x["events"], y["events"], "{start}..{end}: {a_label} vs {b_label}");
        assert_eq!(counts(&x), counts(&y), "{start}..{end}: {a_label} vs {b_label}");
        assert!(!counts(&x).is_empty(), "{start}..{end}: no calendars on {a_label}");
        assert_eq!(x["truncated"], y["truncated"], "{start}..{end}");
    }
    for name in NAMES {
        let (x, y) = both(&["contacts", "resolve", name, "--json"]);
        assert!(!x["resolved"].is_null() || x["candidates"].as_array().is_some_and(|c| !c.is_empty()), "{name}: {x}");
        assert_eq!(x, y, "{name}: {a_label} vs {b_label}");
    }
}
