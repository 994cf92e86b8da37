//! The built `kenny` binary on the bundled sample data and on files it writes: the JSON contract
//! of docs/contracts.md § Capabilities, its exit codes (§ The `kenny` CLI), configuration (§ Configuration)
//! and the timing records (§ Timing records).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use kenny_tests::kenny;
use serde_json::Value;

const NOW: &str = "2026-11-27T10:00:00-05:00";
const NY: &str = "America/New_York";
const SARAH: &str = "sarah.chen@northwind.example";
const TOM: &str = "tom.baker@northwind.example";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn emails(event: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        event["attendees"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap().to_string()).collect();
    if let Some(o) = event["organizer"]["email"].as_str() {
        out.push(o.to_string());
    }
    out
}

#[test]
fn ask_resolves_people_concurrently_and_reads_their_meetings() {
    let dir = tmp();
    let run = kenny(
        dir.path(),
        &["ask", "what meetings do I have with Sarah and Tom next week?", "--now", NOW, "--tz", NY, "--json"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    let answer = &r["answer"];
    assert_eq!(answer["window"]["start"], "2026-11-30T00:00:00-05:00");
    assert_eq!(answer["window"]["end"], "2026-12-07T00:00:00-05:00");
    let people = answer["people"].as_array().unwrap();
    assert_eq!(people.len(), 2);
    assert_eq!(people[0]["resolved"]["name"], "Sarah Chen");
    assert_eq!(people[1]["resolved"]["name"], "Thomas Baker");
    let events = answer["events"].as_array().unwrap();
    for e in events {
        let who = emails(e);
        assert!(who.contains(&SARAH.to_string()) && who.contains(&TOM.to_string()), "{e}");
    }
    let standups: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["uid"] == "standup")
        .map(|e| (e["start"].as_str().unwrap(), e["recurrence_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        standups,
        [
            ("2026-11-30T09:30:00-05:00", "2026-11-30T09:30:00-05:00"),
            ("2026-12-01T09:30:00-05:00", "2026-12-01T09:30:00-05:00"),
            // Moved to 10:00 by an override; the cancelled Friday is gone.
            ("2026-12-02T10:00:00-05:00", "2026-12-02T09:30:00-05:00"),
            ("2026-12-03T09:30:00-05:00", "2026-12-03T09:30:00-05:00"),
        ]
    );
    let starts: Vec<&str> = events.iter().map(|e| e["start"].as_str().unwrap()).collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "events are sorted by start");

    // The plan: both people resolved at once while the window is fetched, then the calendar read
    // that depends on them all.
    let steps = r["plan"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[2]["id"], "fetch");
    assert_eq!(steps[3]["depends_on"], serde_json::json!(["person_1", "person_2", "fetch"]));
    let t = &r["timings"];
    assert_eq!(t["max_in_flight"], 3);
    let s = t["steps"].as_array().unwrap();
    let span = |i: usize| {
        (s[i]["start_ms"].as_f64().unwrap(), s[i]["start_ms"].as_f64().unwrap() + s[i]["duration_ms"].as_f64().unwrap())
    };
    let ((a0, a1), (b0, b1)) = (span(0), span(1));
    assert!(a0 < b1 && b0 < a1, "the two contact steps overlap in time: {s:?}");
    let (f0, f1) = span(2);
    assert!(f0 < a1 && f0 < b1, "the fetch starts while the people are being resolved: {s:?}");
    assert!(span(3).0 >= a1.max(b1).max(f1), "the calendar step starts after both people and the fetch");
    assert!(t["total_ms"].as_f64().unwrap() >= t["critical_path_ms"].as_f64().unwrap());
    assert_eq!(r["degraded"], false);
    assert!(r["errors"].as_array().unwrap().is_empty());

    // One request record and one per step, with no personal data.
    let text = std::fs::read_to_string(dir.path().join("timings.jsonl")).unwrap();
    let records: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["kind"], "request");
    assert_eq!(records[0]["request_id"], t["request_id"]);
    assert_eq!(records[0]["max_in_flight"], 3);
    assert_eq!(records[0]["window_kind"], "next_week");
    for word in ["Sarah", "Tom", "sarah", "northwind", "meetings", "person_1"] {
        assert!(!text.contains(word), "timing records must hold no personal data ({word}): {text}");
    }
    let shown = kenny(dir.path(), &["timings", "show", "--since", "2h"], &[]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(
        shown.stdout.contains(t["request_id"].as_str().unwrap()) && shown.stdout.contains("in flight 3"),
        "{}",
        shown.stdout
    );
    let bad = kenny(dir.path(), &["timings", "show", "--since", "soon", "--json"], &[]);
    assert_eq!((bad.code, bad.json()["error"]["field"].as_str()), (2, Some("since")));
}

#[test]
fn sequential_runs_the_same_plan_one_step_at_a_time() {
    let dir = tmp();
    let args = ["ask", "meetings with Sarah and Tom next week", "--now", NOW, "--tz", NY, "--json"];
    let par = kenny(dir.path(), &args, &[]).json();
    let mut seq_args = args.to_vec();
    seq_args.push("--sequential");
    let seq = kenny(dir.path(), &seq_args, &[]).json();
    assert_eq!(seq["timings"]["max_in_flight"], 1);
    assert_eq!(seq["timings"]["sequential"], true);
    assert_eq!(par["answer"], seq["answer"], "the A/B runs answer identically");
}

#[test]
fn topic_and_tomorrow() {
    let dir = tmp();
    let run = kenny(
        dir.path(),
        &[
            "ask",
            "what's on my calendar tomorrow about the budget?",
            "--now",
            "2026-12-09T08:00:00-05:00",
            "--tz",
            NY,
            "--json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    let events = r["answer"]["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["uid"] == "budget-review" && e["start"] == "2026-12-10T11:00:00-05:00"),
        "{events:?}"
    );
    for e in events {
        // In the sample data every budget event says so in its summary.
        assert!(e["summary"].as_str().unwrap().to_lowercase().contains("budget"), "{e}");
    }
    assert!(r["answer"]["people"].as_array().unwrap().is_empty());
}

#[test]
fn unknown_and_ambiguous_people_do_not_abort() {
    let dir = tmp();
    let r = kenny(dir.path(), &["ask", "meetings with Alice and Xavier Quonk next week", "--now", NOW, "--json"], &[])
        .json();
    let people = r["answer"]["people"].as_array().unwrap();
    assert_eq!(people[0]["ambiguous"], true);
    assert!(people[0]["resolved"].is_null());
    assert!(people[1]["resolved"].is_null());
    assert_eq!(people[1]["candidates"].as_array().map(Vec::len), Some(0));
    let notes = r["answer"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[1].as_str().unwrap().contains("Xavier Quonk"));
    assert_eq!(r["degraded"], false);
}

#[test]
fn contacts_resolve_as_people_say_names() {
    let dir = tmp();
    let resolve = |q: &str| kenny(dir.path(), &["contacts", "resolve", q, "--json"], &[]).json();
    assert_eq!(resolve("Bob")["resolved"]["name"], "Robert Smith");
    assert_eq!(resolve("zoe muller")["resolved"]["name"], "Zoë Müller");
    assert_eq!(resolve("jgarcia")["resolved"]["name"], "José García");
    assert_eq!(resolve("Wiliam Tuner")["resolved"]["name"], "William Turner");
    assert_eq!(resolve("Peggy Lewis")["resolved"]["name"], "Margaret Lewis");
    let alice = resolve("Alice");
    assert_eq!(alice["ambiguous"], true);
    assert!(alice["resolved"].is_null());
    let names: Vec<&str> =
        alice["candidates"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Alice Johnson") && names.contains(&"Alice Nguyen"), "{names:?}");
    for c in alice["candidates"].as_array().unwrap() {
        let score = c["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&score));
        for key in ["uid", "name", "emails", "phones", "organization", "matched_on"] {
            assert!(c.get(key).is_some(), "candidate lacks {key}: {c}");
        }
    }
}

#[test]
fn calendar_read_contract_and_filters() {
    let dir = tmp();
    let run = kenny(
        dir.path(),
        &[
            "calendar",
            "read",
            "--start",
            "2026-11-30",
            "--end",
            "2026-12-07",
            "--tz",
            NY,
            "--attendee",
            "Zoë",
            "--json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    let events = r["events"].as_array().unwrap();
    let berlin: Vec<&Value> = events.iter().filter(|e| e["uid"] == "berlin-sync").collect();
    assert_eq!(berlin.len(), 1);
    // 09:30 in Berlin is 03:30 in New York in December.
    assert_eq!(berlin[0]["start"], "2026-12-02T03:30:00-05:00");
    for key in [
        "uid",
        "calendar",
        "summary",
        "start",
        "end",
        "all_day",
        "recurrence_id",
        "location",
        "organizer",
        "attendees",
        "status",
    ] {
        assert!(berlin[0].get(key).is_some(), "event lacks {key}");
    }
    let cals: Vec<&str> = r["calendars"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(cals, ["holidays", "personal", "team-berlin", "work"]);
    assert_eq!(r["truncated"], false);

    // All-day, multi-day and floating events, in the asked zone.
    let r = kenny(
        dir.path(),
        &[
            "calendar",
            "read",
            "--start",
            "2026-12-21",
            "--end",
            "2026-12-22",
            "--tz",
            NY,
            "--calendar",
            "personal",
            "--json",
        ],
        &[],
    )
    .json();
    let vac = r["events"].as_array().unwrap().iter().find(|e| e["uid"] == "vacation-lisbon").cloned().unwrap();
    assert_eq!(
        (vac["start"].as_str(), vac["end"].as_str(), vac["all_day"].as_bool()),
        (Some("2026-12-21"), Some("2026-12-28"), Some(true))
    );
    let gym = r["events"].as_array().unwrap().iter().find(|e| e["uid"] == "gym").cloned().unwrap();
    assert_eq!(gym["start"], "2026-12-21T07:00:00-05:00", "floating times are read in the asked zone");

    // limit truncates.
    let r = kenny(
        dir.path(),
        &["calendar", "read", "--start", "2026-11-01", "--end", "2026-12-01", "--limit", "3", "--json"],
        &[],
    )
    .json();
    assert_eq!(r["events"].as_array().unwrap().len(), 3);
    assert_eq!(r["truncated"], true);
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    let dir = tmp();
    let cases: &[(&[&str], &str, Option<&str>)] = &[
        (
            &["calendar", "read", "--start", "2026-12-07", "--end", "2026-11-30", "--json"],
            "invalid_request",
            Some("end"),
        ),
        (
            &["calendar", "read", "--start", "2026-01-01", "--end", "2027-06-01", "--json"],
            "window_too_large",
            Some("end"),
        ),
        (
            &["calendar", "read", "--start", "yesterday-ish", "--end", "2027-06-01", "--json"],
            "invalid_request",
            Some("start"),
        ),
        (
            &["calendar", "read", "--start", "2026-01-01", "--end", "2026-02-01", "--tz", "Mars/Base", "--json"],
            "invalid_request",
            Some("timezone"),
        ),
        (&["ask", "meetings tomorrow", "--tz", "Nowhere/City", "--json"], "invalid_request", Some("timezone")),
        (&["ask", "meetings tomorrow", "--now", "soon", "--json"], "invalid_request", Some("now")),
        (&["contacts", "resolve", "   ", "--json"], "invalid_request", Some("query")),
        (&["ask", "meetings in the next 400 days", "--json"], "window_too_large", Some("question")),
        (&["ask", "", "--json"], "invalid_request", Some("question")),
    ];
    for (args, code, field) in cases {
        let run = kenny(dir.path(), args, &[]);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        let e = run.json();
        assert_eq!(e["error"]["code"], *code, "{args:?}: {e}");
        assert_eq!(e["error"]["field"].as_str(), *field, "{args:?}: {e}");
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    // A plan with an unknown field, a cycle, and an unknown capability.
    for (plan, want) in [
        (r#"{"steps": [{"id": "a", "capability": "calendar.read", "params": {}, "extra": 1}]}"#, "unknown field"),
        (
            r#"{"steps": [{"id": "a", "capability": "calendar.read", "depends_on": ["b"]}, {"id": "b", "capability": "calendar.read", "depends_on": ["a"]}]}"#,
            "cycle",
        ),
        (r#"{"steps": [{"id": "a", "capability": "mail.send"}]}"#, "unknown capability"),
    ] {
        let f = dir.path().join("plan.json");
        std::fs::write(&f, plan).unwrap();
        let run = kenny(dir.path(), &["plan", "run", f.to_str().unwrap(), "--json"], &[]);
        assert_eq!(run.code, 2, "{plan}");
        assert!(run.json()["error"]["message"].as_str().unwrap().contains(want), "{}", run.stdout);
    }
    // Human output goes to stderr, not stdout.
    let run = kenny(dir.path(), &["calendar", "read", "--start", "2026-12-07", "--end", "2026-11-30"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("invalid_request") && run.stdout.is_empty());
}

#[test]
fn unreadable_sources_fail_with_exit_1_and_a_named_source() {
    let dir = tmp();
    let run = kenny(
        dir.path(),
        &["calendar", "read", "--start", "2026-12-01", "--end", "2026-12-02", "--json"],
        &[("KENNY_CALENDARS", "file:///nonexistent/kenny/calendars")],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    let e = run.json();
    assert_eq!(e["error"]["code"], "source_not_found");
    assert!(e["error"]["message"].as_str().unwrap().contains("/nonexistent/kenny/calendars"));
}

#[test]
fn written_sample_files_answer_like_the_bundled_data_and_bad_items_are_skipped() {
    let dir = tmp();
    let run = kenny(dir.path(), &["sample", "data"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = dir.path().join("data");
    let cal = format!("file://{}/calendars", root.display());
    let con = format!("file://{}/contacts", root.display());
    let args = ["ask", "meetings with Sarah and Tom next week", "--now", NOW, "--tz", NY, "--json"];
    let bundled = kenny(dir.path(), &args, &[]).json();
    let files = kenny(dir.path(), &args, &[("KENNY_CALENDARS", &cal), ("KENNY_CONTACTS", &con)]).json();
    assert_eq!(bundled["answer"], files["answer"]);
    assert!(!files["answer"]["events"].as_array().unwrap().is_empty());

    // A malformed item is skipped and reported; everything else still answers.
    std::fs::write(
        root.join("calendars/work/broken.ics"),
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART:tomorrow\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let read = ["calendar", "read", "--start", "2026-11-30", "--end", "2026-12-07", "--tz", NY, "--json"];
    let r = kenny(dir.path(), &read, &[("KENNY_CALENDARS", &cal)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = r.json();
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["calendar"], "work");
    assert!(skipped[0]["item"].as_str().unwrap().contains("broken.ics"));
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["uid"] == "standup"));
}

#[test]
fn kenny_toml_configures_and_the_environment_wins() {
    let dir = tmp();
    std::fs::write(dir.path().join("kenny.toml"), "KENNY_TIMEZONE = \"Europe/Berlin\"\n").unwrap();
    let read =
        ["calendar", "read", "--start", "2026-12-02", "--end", "2026-12-03", "--calendar", "team-berlin", "--json"];
    let r = kenny(dir.path(), &read, &[]).json();
    assert_eq!(r["events"][0]["start"], "2026-12-02T09:30:00+01:00");
    let r = kenny(dir.path(), &read, &[("KENNY_TIMEZONE", "UTC")]).json();
    assert_eq!(r["events"][0]["start"], "2026-12-02T08:30:00+00:00");
    std::fs::write(dir.path().join("kenny.toml"), "KENNY_TIMEZONE = 3\n").unwrap();
    let run = kenny(dir.path(), &read, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["error"]["code"], "invalid_config");
}

#[test]
fn plan_run_passes_outputs_between_steps() {
    let dir = tmp();
    let plan = serde_json::json!({"plan": {"steps": [
        {"id": "who", "capability": "contacts.resolve", "params": {"query": "Kate"}},
        {"id": "read", "capability": "calendar.read", "params": {
            "start": "2026-12-07", "end": "2026-12-14", "timezone": NY,
            "attendees": [{"$ref": "who/resolved/emails"}]}}
    ]}});
    let f = dir.path().join("plan.json");
    std::fs::write(&f, plan.to_string()).unwrap();
    let run = kenny(dir.path(), &["plan", "run", f.to_str().unwrap(), "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = run.json();
    assert_eq!(r["answer"]["people"][0]["resolved"]["name"], "Katherine O'Neil");
    let events = r["answer"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["uid"] == "budget-review"), "{events:?}");
    assert_eq!(r["answer"]["window"]["start"], "2026-12-07T00:00:00-05:00");
    // Human output of the same run.
    let run = kenny(dir.path(), &["plan", "run", f.to_str().unwrap()], &[]);
    assert!(run.stdout.contains("Budget review") && run.stdout.contains("Timings:"), "{}", run.stdout);
    // A plan file over the request-body cap is refused before it is parsed.
    let big = dir.path().join("big.json");
    std::fs::write(&big, format!("{{\"steps\": [], \"pad\": \"{}\"}}", "x".repeat(300 * 1024))).unwrap();
    let run = kenny(dir.path(), &["plan", "run", big.to_str().unwrap(), "--json"], &[]);
    assert_eq!((run.code, run.json()["error"]["code"].as_str()), (2, Some("too_large")), "{}", run.stdout);
}

/// `(start, end)` instants of `{"start", "end"}` objects.
fn spans(list: &Value) -> Vec<(chrono::DateTime<chrono::FixedOffset>, chrono::DateTime<chrono::FixedOffset>)> {
    let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    list.as_array().unwrap().iter().map(|i| (t(&i["start"]), t(&i["end"]))).collect()
}

#[test]
fn free_time_questions_list_slots_and_unknown_people() {
    let dir = tmp();
    let q = "when are Sarah and Bob free next week for 30 minutes?";
    let run = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for want in
        ["Free slots of 30 minutes", "for me, sarah.chen@northwind.example:", "Unknown", "bob.smith@northwind.example"]
    {
        assert!(run.stdout.contains(want), "{want}: {}", run.stdout);
    }
    let r = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY, "--json"], &[]).json();
    let slots = &r["answer"]["slots"];
    assert_eq!(slots["participants"], serde_json::json!(["me", SARAH]));
    assert_eq!(slots["unknown"], serde_json::json!(["bob.smith@northwind.example"]));
    assert_eq!(r["degraded"], false, "{r}");
    let found = spans(&slots["slots"]);
    assert_eq!(found.len(), 10, "next week has more than ten free periods");
    // No slot overlaps anyone's busy time (read again, through the capability), all are 30
    // minutes within 09:00–17:00 on weekdays, earliest first.
    let fb = ["calendar", "freebusy", "--start", "2026-11-30", "--end", "2026-12-07", "--tz", NY, "--json"];
    let fb = kenny(dir.path(), &[&fb[..], &["--attendee", SARAH]].concat(), &[]).json();
    let busy: Vec<_> = fb["people"].as_array().unwrap().iter().flat_map(|p| spans(&p["busy"])).collect();
    assert!(busy.len() > 10, "{fb}");
    for (s, e) in &found {
        assert_eq!((*e - *s).num_minutes(), 30);
        assert!(busy.iter().all(|(bs, be)| e <= bs || s >= be), "{s} overlaps a busy interval");
        use chrono::{Datelike, Timelike};
        assert!(s.hour() >= 9 && (e.hour() < 17 || (e.hour() == 17 && e.minute() == 0)), "{s}");
        assert!(s.weekday().num_days_from_monday() < 5);
    }
    assert!(found.windows(2).all(|w| w[0].0 < w[1].0));

    // Thursday afternoon with Zoë (busy 13:00–14:00 New York time, in Berlin's evening).
    let r = kenny(
        dir.path(),
        &["ask", "find an hour with Zoë on Thursday afternoon", "--now", NOW, "--tz", NY, "--json"],
        &[],
    )
    .json();
    let starts: Vec<&str> =
        r["answer"]["slots"]["slots"].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap()).collect();
    assert_eq!(starts, ["2026-12-03T12:00:00-05:00", "2026-12-03T14:00:00-05:00"]);
    // The first free slot: one.
    let r = kenny(
        dir.path(),
        &["ask", "first free slot tomorrow", "--now", "2026-11-30T10:00:00-05:00", "--tz", NY, "--json"],
        &[],
    )
    .json();
    assert_eq!(r["answer"]["slots"]["slots"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["answer"]["slots"]["slots"][0]["start"], "2026-12-01T09:00:00-05:00");

    // The same data written as files (people's calendars in people/) answers the same.
    assert_eq!(kenny(dir.path(), &["sample", "data"], &[]).code, 0);
    let root = dir.path().join("data");
    let files = [
        ("KENNY_CALENDARS", format!("file://{}/calendars", root.display())),
        ("KENNY_CONTACTS", format!("file://{}/contacts", root.display())),
        ("KENNY_PEOPLE_CALENDARS", format!("file://{}/people", root.display())),
    ];
    let env: Vec<(&str, &str)> = files.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let from_files = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY, "--json"], &env).json();
    let bundled = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY, "--json"], &[]).json();
    assert_eq!(from_files["answer"], bundled["answer"]);

    // An explicit plan: free/busy of Tom and me, then the slots.
    let plan = serde_json::json!({"plan": {"steps": [
        {"id": "busy", "capability": "calendar.freebusy", "params": {
            "start": "2026-12-03", "end": "2026-12-05", "timezone": NY, "attendees": [TOM]}},
        {"id": "free", "capability": "slots.find", "params": {
            "start": "2026-12-03", "end": "2026-12-05", "timezone": NY, "duration_minutes": 45,
            "busy": [{"$ref": "busy"}]}}
    ]}});
    let f = dir.path().join("plan.json");
    std::fs::write(&f, plan.to_string()).unwrap();
    let r = kenny(dir.path(), &["plan", "run", f.to_str().unwrap(), "--json"], &[]).json();
    // Tom is at a conference both days (all-day, opaque): no slot.
    assert_eq!(r["answer"]["slots"]["slots"], serde_json::json!([]), "{r}");
    assert_eq!(r["answer"]["slots"]["participants"], serde_json::json!(["me", TOM]));
    assert!(r["answer"]["notes"][0].as_str().unwrap().starts_with("No free slot of 45 minutes"), "{r}");
    assert_eq!(r["timings"]["steps"][1]["transport"], "local");
}

/// Each intent through the binary: the answer names it, the human output reads the question
/// back first, and a question Kenny does not understand (or a change it cannot make) is an
/// answer with exit code 0, not an error.
#[test]
fn every_intent_answers_through_the_cli() {
    let dir = tmp();
    let cases = [
        ("when is my next budget review?", "next"),
        ("when did I last meet Sarah?", "last"),
        ("what's my first meeting on Monday?", "first"),
        ("what's my last meeting on Friday?", "last_in_window"),
        ("how many meetings do I have next week?", "count"),
        ("when are Sarah and Bob free next week for 30 minutes?", "free"),
        ("am I free tomorrow at 3pm?", "free_at"),
        ("design critique next week", "list"),
        ("qwerty", "not_understood"),
        ("cancel my 3pm", "unsupported"),
    ];
    for (q, intent) in cases {
        let run = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY, "--json"], &[]);
        assert_eq!(run.code, 0, "{q}: {}", run.stderr);
        let r = run.json();
        assert_eq!(r["answer"]["intent"], intent, "{q}: {}", r["answer"]);
        assert!(r["answer"]["understood"].as_str().is_some_and(|u| !u.is_empty()), "{q}");
        let human = kenny(dir.path(), &["ask", q, "--now", NOW, "--tz", NY], &[]);
        assert_eq!(human.code, 0, "{q}: {}", human.stderr);
        let first = human.stdout.lines().next().unwrap_or_default();
        assert_eq!(first, format!("Understood: {}", r["answer"]["understood"].as_str().unwrap()), "{q}");
    }
    let next = kenny(dir.path(), &["ask", "when is my next budget review?", "--now", NOW, "--tz", NY], &[]);
    assert!(next.stdout.contains("Event:\n") && next.stdout.contains("Budget review"), "{}", next.stdout);
    let count = kenny(dir.path(), &["ask", "how many meetings do I have next week?", "--now", NOW, "--tz", NY], &[]);
    assert!(count.stdout.contains("Count: 14 events"), "{}", count.stdout);
    let free = kenny(dir.path(), &["ask", "am I free at 3pm?", "--now", NOW, "--tz", NY], &[]);
    assert!(free.stdout.contains(": no\n") && free.stdout.contains("you: busy"), "{}", free.stdout);
    assert!(free.stdout.contains("Sprint retro"), "{}", free.stdout);
    let nonsense = kenny(dir.path(), &["ask", "what's the capital of France?", "--now", NOW, "--tz", NY], &[]);
    assert!(
        nonsense.stdout.contains("did not understand") && !nonsense.stdout.contains("Events ("),
        "{}",
        nonsense.stdout
    );
}
