//! The short text beside each tool result's structured JSON: what an assistant (or a person
//! reading its log) needs at a glance. The JSON stays the contract; this text may change.

use std::fmt::Write as _;

use serde_json::Value;

/// Items listed before "… and N more".
const MAX_LINES: usize = 10;

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn event_line(e: &Value) -> String {
    let mut line = format!("{} – {}  {}", s(e, "start"), s(e, "end"), s(e, "summary"));
    if let Some(loc) = e.get("location").and_then(Value::as_str) {
        let _ = write!(line, " @ {loc}");
    }
    line
}

fn lines(out: &mut String, items: &[Value], line: impl Fn(&Value) -> String) {
    for item in items.iter().take(MAX_LINES) {
        let _ = writeln!(out, "  {}", line(item));
    }
    if items.len() > MAX_LINES {
        let _ = writeln!(out, "  … and {} more (see the structured result)", items.len() - MAX_LINES);
    }
}

fn window(v: &Value) -> String {
    match v.get("window") {
        Some(w) => format!("{} → {}", s(w, "start"), s(w, "end")),
        None => String::new(),
    }
}

/// A `calendar.read` response.
pub(super) fn events(v: &Value) -> String {
    let events = list(v, "events");
    let mut out = format!("{} events in {}\n", events.len(), window(v));
    lines(&mut out, events, event_line);
    if v.get("truncated").and_then(Value::as_bool) == Some(true) {
        out.push_str("(truncated: more events exist)\n");
    }
    for c in list(v, "calendars").iter().filter(|c| c.get("error").is_some()) {
        let _ = writeln!(out, "calendar {} could not be read: {}", s(c, "id"), c["error"]);
    }
    out.trim_end().to_string()
}

fn candidate(c: &Value) -> String {
    let emails: Vec<&str> = list(c, "emails").iter().filter_map(Value::as_str).collect();
    format!(
        "{} <{}> (score {:.2})",
        s(c, "name"),
        emails.join(", "),
        c.get("score").and_then(Value::as_f64).unwrap_or(0.0)
    )
}

/// A `contacts.resolve` response.
pub(super) fn resolution(v: &Value) -> String {
    let query = s(v, "query");
    let candidates = list(v, "candidates");
    let mut out = match v.get("resolved").filter(|r| !r.is_null()) {
        Some(r) => format!("{query:?} is {}\n", candidate(r)),
        None if candidates.is_empty() => format!("no contact matches {query:?}\n"),
        None if v.get("ambiguous").and_then(Value::as_bool) == Some(true) => {
            format!("{query:?} is ambiguous; candidates:\n")
        }
        None => format!("no clear match for {query:?}; candidates:\n"),
    };
    if v.get("resolved").is_none_or(Value::is_null) {
        lines(&mut out, candidates, candidate);
    }
    out.trim_end().to_string()
}

/// A `calendar.freebusy` response.
pub(super) fn freebusy(v: &Value) -> String {
    let mut out = format!("busy time in {}\n", window(v));
    for p in list(v, "people") {
        let busy = list(p, "busy");
        let _ = writeln!(
            out,
            "{}: {} busy intervals{}",
            s(p, "person"),
            busy.len(),
            match p.get("complete") {
                Some(Value::Bool(false)) => " (some calendars could not be read)",
                _ => "",
            }
        );
        lines(&mut out, busy, |i| format!("{} – {}", s(i, "start"), s(i, "end")));
    }
    unknown(&mut out, v);
    out.trim_end().to_string()
}

fn unknown(out: &mut String, v: &Value) {
    let unknown: Vec<&str> = list(v, "unknown").iter().filter_map(Value::as_str).collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "unknown (busy time could not be read; never counted as free): {}", unknown.join(", "));
    }
}

/// A `slots.find` response.
pub(super) fn slots(v: &Value) -> String {
    let slots = list(v, "slots");
    let participants: Vec<&str> = list(v, "participants").iter().filter_map(Value::as_str).collect();
    let mut out = format!(
        "{} free slots of {} minutes ({} on {}, {}) for {}\n",
        slots.len(),
        v.get("duration_minutes").and_then(Value::as_u64).unwrap_or(0),
        s(v, "hours"),
        s(v, "days"),
        s(v, "timezone"),
        participants.join(", "),
    );
    lines(&mut out, slots, |x| format!("{} – {} (free until {})", s(x, "start"), s(x, "end"), s(x, "free_until")));
    if v.get("truncated").and_then(Value::as_bool) == Some(true) {
        out.push_str("(more free slots exist)\n");
    }
    unknown(&mut out, v);
    out.trim_end().to_string()
}

/// A `coordinate` response (`ask`, `run_plan`).
pub(super) fn coordinate(v: &Value) -> String {
    let a = v.get("answer").unwrap_or(&Value::Null);
    let mut out = String::new();
    if let Some(u) = a.get("understood").and_then(Value::as_str) {
        let _ = writeln!(out, "Understood: {u}");
    }
    if let Some(w) = a.get("window").filter(|w| !w.is_null()) {
        let _ = writeln!(out, "Window: {} → {}", s(w, "start"), s(w, "end"));
    }
    for p in list(a, "people") {
        match p.get("resolved").filter(|r| !r.is_null()) {
            Some(r) => {
                let _ = writeln!(out, "{} → {}", s(p, "query"), candidate(r));
            }
            None => {
                let _ = writeln!(out, "{} → no single contact", s(p, "query"));
            }
        }
    }
    if let Some(c) = a.get("count").filter(|c| !c.is_null()) {
        let _ = writeln!(out, "Count: {} events, {} minutes", c["events"], c["minutes"]);
    }
    if let Some(f) = a.get("free_at").filter(|f| !f.is_null()) {
        let _ = writeln!(out, "Free {} – {}: {}", s(f, "start"), s(f, "end"), f["all_free"]);
        for p in list(f, "people") {
            let _ = writeln!(out, "  {}: free {}", s(p, "person"), p["free"]);
        }
    }
    let events = list(a, "events");
    if !events.is_empty() || a.get("slots").is_none_or(Value::is_null) {
        let _ = writeln!(out, "Events ({}):", events.len());
        lines(&mut out, events, event_line);
    }
    if let Some(sl) = a.get("slots").filter(|x| !x.is_null()) {
        out.push_str(&slots(sl));
        out.push('\n');
    }
    for n in list(a, "notes").iter().filter_map(Value::as_str) {
        let _ = writeln!(out, "Note: {n}");
    }
    for e in list(v, "errors") {
        let _ = writeln!(out, "Step {} failed: {}: {}", s(e, "step"), s(e, "code"), s(e, "message"));
    }
    if let Some(t) = v.get("timings") {
        let _ = writeln!(out, "Total {:.2} ms", t.get("total_ms").and_then(Value::as_f64).unwrap_or(0.0));
    }
    out.trim_end().to_string()
}
