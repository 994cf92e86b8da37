//! Human-readable output: what `kenny` prints without `--json`.

use std::fmt::Write as _;

use chrono::DateTime;
use kenny::coordinate::CoordinateResponse;
use kenny::plan::Capability;
use serde_json::Value;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// "Tue 01 Dec 14:00" for a date-time, "Tue 01 Dec (all day)" for a date.
fn when(v: &str) -> String {
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return dt.format("%a %d %b %Y %H:%M").to_string();
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d.format("%a %d %b %Y").to_string();
    }
    v.to_string()
}

fn event_line(out: &mut String, e: &Value) {
    let start = s(e, "start");
    let end = s(e, "end");
    let span = if e.get("all_day").and_then(Value::as_bool).unwrap_or(false) {
        let last = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.pred_opt())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        if last.is_empty() || last == start {
            format!("{} (all day)", when(start))
        } else {
            format!("{} – {} (all day)", when(start), when(&last))
        }
    } else {
        let end_time = DateTime::parse_from_rfc3339(end).map(|d| d.format("%H:%M").to_string()).unwrap_or_default();
        format!("{}–{end_time}", when(start))
    };
    let _ = write!(out, "  {span:<34} {}  [{}]", s(e, "summary"), s(e, "calendar"));
    if let Some(loc) = e.get("location").and_then(Value::as_str) {
        let _ = write!(out, " @ {loc}");
    }
    let people: Vec<String> = e
        .get("attendees")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|p| p.get("name").and_then(Value::as_str).unwrap_or(s(p, "email")).to_string()).collect())
        .unwrap_or_default();
    if !people.is_empty() {
        let _ = write!(out, "\n  {:<34} with {}", "", people.join(", "));
    }
    out.push('\n');
}

fn events(out: &mut String, list: &[Value]) {
    let _ = writeln!(out, "Events ({}):", list.len());
    if list.is_empty() {
        out.push_str("  (none)\n");
    }
    for e in list {
        event_line(out, e);
    }
}

fn person(out: &mut String, r: &Value) {
    let query = s(r, "query");
    match r.get("resolved").filter(|v| !v.is_null()) {
        Some(c) => {
            let emails =
                c.get("emails").and_then(Value::as_array).and_then(|a| a.first()).and_then(Value::as_str).unwrap_or("");
            let score = c.get("score").and_then(Value::as_f64).unwrap_or(0.0);
            let _ = writeln!(out, "  {query} → {} <{emails}> (score {score:.2}, {})", s(c, "name"), s(c, "matched_on"));
        }
        None => {
            let cands: Vec<&str> = r
                .get("candidates")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|c| s(c, "name")).collect())
                .unwrap_or_default();
            if cands.is_empty() {
                let _ = writeln!(out, "  {query} → no match");
            } else {
                let _ = writeln!(out, "  {query} → ambiguous: {}", cands.join(", "));
            }
        }
    }
}

/// A capability's response.
pub fn capability(cap: Capability, body: &Value) -> String {
    let mut out = String::new();
    match cap {
        Capability::CalendarRead => {
            if let Some(w) = body.get("window") {
                let _ = writeln!(out, "Window: {} → {}", s(w, "start"), s(w, "end"));
            }
            events(&mut out, body.get("events").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]));
            if body.get("truncated").and_then(Value::as_bool).unwrap_or(false) {
                out.push_str("  … more events exist; narrow the window or raise --limit\n");
            }
        }
        Capability::ContactsResolve => {
            person(&mut out, body);
            for c in body.get("candidates").and_then(Value::as_array).into_iter().flatten() {
                let emails: Vec<&str> = c
                    .get("emails")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let score = c.get("score").and_then(Value::as_f64).unwrap_or(0.0);
                let _ = writeln!(
                    out,
                    "    {score:.2}  {:<28} {}  ({})",
                    s(c, "name"),
                    emails.join(", "),
                    s(c, "matched_on")
                );
            }
        }
    }
    out
}

/// A coordinate response: window, people, events, notes, errors, timings.
pub fn coordinate(r: &CoordinateResponse) -> String {
    let mut out = String::new();
    if let Some(w) = &r.answer.window {
        let _ = writeln!(out, "Window: {} → {}", w.start, w.end);
    }
    if !r.answer.people.is_empty() {
        out.push_str("People:\n");
        for p in &r.answer.people {
            person(&mut out, p);
        }
    }
    events(&mut out, &r.answer.events);
    for n in &r.answer.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    for e in &r.errors {
        let _ = writeln!(out, "Step {} failed [{}]: {}", e.step, e.code, e.message);
    }
    let t = &r.timings;
    let _ = writeln!(
        out,
        "Timings: total {:.2} ms · critical path {:.2} ms · sum of steps {:.2} ms · max in flight {}{}",
        t.total_ms,
        t.critical_path_ms,
        t.sum_of_steps_ms,
        t.max_in_flight,
        if t.sequential { " · sequential" } else { "" }
    );
    for st in &t.steps {
        let _ = writeln!(
            out,
            "  {:<12} {:<17} +{:>8.3} ms {:>9.3} ms  {:<7} {}",
            st.id,
            st.capability,
            st.start_ms,
            st.duration_ms,
            st.status,
            st.cache.as_deref().unwrap_or("-")
        );
    }
    out
}

/// Timing records, one line each, requests first in each group.
pub fn timings(records: &[kenny::timing::TimingRecord]) -> String {
    let mut out = String::new();
    if records.is_empty() {
        out.push_str("no timing records in that window\n");
    }
    for r in records {
        let what = match r.step {
            None => format!(
                "request  total {:.2} ms, critical path {:.2} ms, steps {:.2} ms, in flight {}{}",
                r.duration_ms,
                r.critical_path_ms.unwrap_or_default(),
                r.sum_of_steps_ms.unwrap_or_default(),
                r.max_in_flight.unwrap_or_default(),
                if r.sequential == Some(true) { ", sequential" } else { "" }
            ),
            Some(i) => format!(
                "  step {i} {} +{:.2} ms {:.2} ms via {}",
                r.capability,
                r.start_ms,
                r.duration_ms,
                r.transport.as_deref().unwrap_or("-")
            ),
        };
        let _ = writeln!(out, "{} {} {:<8} {what}", r.at.format("%Y-%m-%d %H:%M:%S"), &r.request_id, r.status);
    }
    out
}
