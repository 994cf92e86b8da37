//! Human-readable output: what `kenny` prints without `--json`.

use std::fmt::Write as _;

use chrono::DateTime;
use kenny::capabilities::coordinate::CoordinateResponse;
use kenny::capabilities::report::Report;
use kenny::domain::contacts::Resolution;
use kenny::ports::contracts::EventOut;
use kenny::ports::sibling::Output;

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

fn event_line(out: &mut String, e: &EventOut) {
    let (start, end) = (e.start.as_str(), e.end.as_str());
    let span = if e.all_day {
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
    let _ = write!(out, "  {span:<34} {}  [{}]", e.summary, e.calendar);
    if let Some(loc) = &e.location {
        let _ = write!(out, " @ {loc}");
    }
    let people: Vec<&str> = e.attendees.iter().map(|p| p.name.as_deref().unwrap_or(&p.email)).collect();
    if !people.is_empty() {
        let _ = write!(out, "\n  {:<34} with {}", "", people.join(", "));
    }
    out.push('\n');
}

fn events(out: &mut String, list: &[EventOut]) {
    let _ = writeln!(out, "Events ({}):", list.len());
    if list.is_empty() {
        out.push_str("  (none)\n");
    }
    for e in list {
        event_line(out, e);
    }
}

fn person(out: &mut String, r: &Resolution) {
    let query = &r.query;
    match &r.resolved {
        Some(c) => {
            let email = c.emails.first().map(String::as_str).unwrap_or("");
            let _ = writeln!(out, "  {query} → {} <{email}> (score {:.2}, {})", c.name, c.score, c.matched_on);
        }
        None if r.candidates.is_empty() => {
            let _ = writeln!(out, "  {query} → no match");
        }
        None => {
            let names: Vec<&str> = r.candidates.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(out, "  {query} → ambiguous: {}", names.join(", "));
        }
    }
}

/// "Mon 30 Nov 2026 09:00–09:30" for an interval on one day, else both ends in full.
fn span(start: &str, end: &str) -> String {
    match (DateTime::parse_from_rfc3339(start), DateTime::parse_from_rfc3339(end)) {
        (Ok(a), Ok(b)) if a.date_naive() == b.date_naive() => format!("{}–{}", when(start), b.format("%H:%M")),
        _ => format!("{} – {}", when(start), when(end)),
    }
}

/// The slots of a `slots.find` answer, and who they do not account for.
fn slots(out: &mut String, r: &kenny::domain::slots::SlotsResponse) {
    let _ = writeln!(
        out,
        "Free slots of {} minutes ({} on {}, {}{}) for {}:",
        r.duration_minutes,
        r.hours,
        r.days,
        r.timezone,
        if r.buffer_minutes > 0 { format!(", {} min buffer", r.buffer_minutes) } else { String::new() },
        if r.participants.is_empty() { "nobody".to_string() } else { r.participants.join(", ") }
    );
    if r.slots.is_empty() {
        out.push_str("  (none)\n");
    }
    for slot in &r.slots {
        let until = DateTime::parse_from_rfc3339(&slot.free_until).map(|d| d.format("%H:%M").to_string());
        let _ = writeln!(out, "  {:<34} free until {}", span(&slot.start, &slot.end), until.unwrap_or_default());
    }
    if r.truncated {
        out.push_str("  … more free slots exist\n");
    }
    if !r.unknown.is_empty() {
        let _ = writeln!(out, "Unknown (their busy time could not be read; not counted): {}", r.unknown.join(", "));
    }
}

/// A capability's response.
pub fn capability(output: &Output) -> String {
    let mut out = String::new();
    match output {
        Output::FreeBusy(r) => {
            let _ = writeln!(out, "Window: {} → {}", r.window.start, r.window.end);
            for p in &r.people {
                let partial = if p.complete { "" } else { ", incomplete" };
                let _ = writeln!(out, "{} busy ({}, {}{partial}):", p.person, p.busy.len(), p.source);
                if p.busy.is_empty() {
                    out.push_str("  (free the whole window)\n");
                }
                for i in &p.busy {
                    let _ = writeln!(out, "  {}", span(&i.start, &i.end));
                }
            }
            if !r.unknown.is_empty() {
                let _ = writeln!(out, "Unknown (no readable calendar): {}", r.unknown.join(", "));
            }
            for e in &r.errors {
                let _ = writeln!(out, "  {} [{}]: {}", e.person, e.code, e.message);
            }
        }
        Output::Slots(r) => slots(&mut out, r),
        Output::Read(r) => {
            let _ = writeln!(out, "Window: {} → {}", r.window.start, r.window.end);
            events(&mut out, &r.events);
            if r.truncated {
                out.push_str("  … more events exist; narrow the window or raise --limit\n");
            }
        }
        Output::Resolve(r) => {
            person(&mut out, &r.resolution);
            for c in &r.resolution.candidates {
                let _ = writeln!(out, "    {:.2}  {:<28} {}  ({})", c.score, c.name, c.emails.join(", "), c.matched_on);
            }
        }
    }
    out
}

/// A coordinate response: window, people, events, notes, errors, timings.
/// "Free at …": a yes/no per person and what is in the way.
fn free_at(out: &mut String, f: &kenny::capabilities::coordinate::FreeAtOut) {
    let verdict = if f.all_free { "yes" } else { "no" };
    let _ = writeln!(out, "Free {} → {}: {verdict}", when(&f.start), when(&f.end));
    for p in &f.people {
        let who = match (&p.name, p.person.as_str()) {
            (_, "me") => "you".to_string(),
            (Some(n), said) => format!("{n} ({said})"),
            (None, said) => said.to_string(),
        };
        let state = match p.free {
            Some(true) => "free",
            Some(false) => "busy",
            None => "unknown (busy time could not be read)",
        };
        let _ = writeln!(out, "  {who}: {state}");
        for b in &p.busy {
            let _ = writeln!(out, "    busy {}", span(&b.start, &b.end));
        }
        for e in &p.events {
            event_line(out, e);
        }
    }
}

pub fn coordinate(r: &CoordinateResponse) -> String {
    use kenny::domain::question::Intent;
    let mut out = String::new();
    let a = &r.answer;
    if let Some(u) = &a.understood {
        let _ = writeln!(out, "Understood: {u}");
    }
    // A search shows how far it looked rather than its first window.
    match (&a.searched, &a.window) {
        (Some(w), _) => {
            let _ = writeln!(out, "Searched: {} → {}", w.start, w.end);
        }
        (None, Some(w)) => {
            let _ = writeln!(out, "Window: {} → {}", w.start, w.end);
        }
        (None, None) => {}
    }
    if !a.people.is_empty() {
        out.push_str("People:\n");
        for p in &a.people {
            person(&mut out, &p.resolution);
        }
    }
    match (a.intent, &a.slots, &a.free_at, &a.count) {
        (Some(Intent::NotUnderstood), ..) => {}
        (Some(Intent::Unsupported), None, _, _) if a.window.is_none() => {}
        (_, Some(found), _, _) => slots(&mut out, found),
        (_, _, Some(f), _) => free_at(&mut out, f),
        (_, _, _, Some(c)) => {
            let (h, m) = (c.minutes / 60, c.minutes % 60);
            let all_day = if c.all_day > 0 { format!(" ({} all day)", c.all_day) } else { String::new() };
            let _ = writeln!(out, "Count: {} events{all_day}, {h} h {m:02} min", c.events);
            events(&mut out, &a.events);
        }
        (Some(i), ..) if i.picks_one() => match a.events.first() {
            Some(e) => {
                out.push_str("Event:\n");
                event_line(&mut out, e);
            }
            None => out.push_str("Event: (none)\n"),
        },
        _ => events(&mut out, &a.events),
    }
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
            st.cache.map_or("-", |t| t.name())
        );
    }
    out
}

/// Timing records, one line each, requests first in each group.
pub fn timings(records: &[kenny::ports::timing::TimingRecord]) -> String {
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

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_else(|| "-".into())
}

fn codes(map: &std::collections::BTreeMap<String, usize>) -> String {
    if map.is_empty() {
        return "-".into();
    }
    map.iter().map(|(c, n)| format!("{c}×{n}")).collect::<Vec<_>>().join(", ")
}

fn latency_rows(out: &mut String, rows: &[kenny::capabilities::report::LatencyRow], with_transport: bool) {
    let _ = writeln!(
        out,
        "  {:<18}{} {:>6} {:>10} {:>10} {:>10} {:>8}  errors",
        "capability",
        if with_transport { format!(" {:<11}", "transport") } else { String::new() },
        "count",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "success"
    );
    for r in rows {
        let transport =
            if with_transport { format!(" {:<11}", r.transport.as_deref().unwrap_or("-")) } else { String::new() };
        let _ = writeln!(
            out,
            "  {:<18}{transport} {:>6} {:>10} {:>10} {:>10} {:>8}  {}",
            r.capability,
            r.count,
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.p99_ms),
            pct(r.success_rate),
            codes(&r.errors_by_code)
        );
    }
}

/// The performance report as aligned tables, one section after another.
pub fn report(r: &Report) -> String {
    let mut out = String::new();
    report_header(&mut out, r);
    out.push_str("\nLatency and outcome per capability (nearest-rank percentiles; success = ok / (all − skipped), degraded is not a success)\n");
    latency_rows(&mut out, &r.capabilities, false);
    out.push_str("\nPer step kind (capability and transport)\n");
    if r.step_kinds.is_empty() {
        out.push_str("  (no steps)\n");
    }
    latency_rows(&mut out, &r.step_kinds, true);
    cache_tiers(&mut out, r);
    intents(&mut out, r);
    edges(&mut out, r);
    speedup(&mut out, r);
    ab_comparison(&mut out, r);
    trends(&mut out, r);
    out
}

/// A report time, to the second.
fn utc_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The period, the counts, and whether the records were cut to the newest.
fn report_header(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "Kenny report {} → {}: {} requests, {} timing records",
        utc_time(&r.since),
        utc_time(&r.until),
        r.requests,
        r.records
    );
    if r.truncated {
        let _ = writeln!(
            out,
            "  (more than {} records since {}: only the newest were read, so this covers from {})",
            r.rules.max_records,
            utc_time(&r.requested_since),
            utc_time(&r.since)
        );
    }
}

/// Cache tiers overall and per capability, one column per tier seen.
fn cache_tiers(out: &mut String, r: &Report) {
    out.push_str("\nCache tiers (steps that reported one; hit = l1 + l2 + validated)\n");
    let tiers: Vec<&str> = r.cache.overall.tiers.iter().map(|t| t.tier.as_str()).collect();
    let _ = write!(out, "  {:<18} {:>6} {:>8}", "capability", "steps", "hit");
    for t in &tiers {
        let _ = write!(out, " {t:>15}");
    }
    out.push('\n');
    for b in std::iter::once(&r.cache.overall).chain(&r.cache.by_capability) {
        let _ = write!(out, "  {:<18} {:>6} {:>8}", b.capability, b.steps, pct(b.hit_ratio));
        for t in &tiers {
            let cell = b
                .tiers
                .iter()
                .find(|x| x.tier == *t)
                .map(|x| format!("{} ({})", x.count, pct(x.ratio)))
                .unwrap_or_else(|| "0 (-)".into());
            let _ = write!(out, " {cell:>15}");
        }
        out.push('\n');
    }
}

/// Questions by intent, when any was asked.
fn intents(out: &mut String, r: &Report) {
    let rows = r.intents.iter().map(|i| (i.intent.as_str(), i.requests, i.per_mille));
    shares(out, "Questions by intent (not_understood: questions Kenny could not read)", rows);
}

/// Requests per edge: MCP tool calls and coordinate's own routes.
fn edges(out: &mut String, r: &Report) {
    let rows = r.edges.iter().map(|e| (e.edge.as_str(), e.requests, e.per_mille));
    shares(out, "Requests by edge (mcp: tool calls over MCP; ask_or_plan: /ask, /plan, direct, the CLI)", rows);
}

/// A table of counts and their shares (in thousandths) under `heading`; nothing when empty.
fn shares<'a>(out: &mut String, heading: &str, rows: impl Iterator<Item = (&'a str, usize, u32)>) {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return;
    }
    let _ = writeln!(out, "\n{heading}");
    for (name, requests, per_mille) in rows {
        let _ = writeln!(out, "  {name:<16} {requests:>6}  {:>5.1} %", f64::from(per_mille) / 10.0);
    }
}

/// The parallel speedup percentiles and their histogram.
fn speedup(out: &mut String, r: &Report) {
    let s = &r.speedup;
    let _ = writeln!(
        out,
        "\nParallel speedup (sum of steps / total) over {} concurrent requests ({} sequential left out): p50 {} · p90 {} · max {}",
        s.count,
        s.sequential_excluded,
        s.p50.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into()),
        s.p90.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into()),
        s.max.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into()),
    );
    let widest = s.histogram.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    for b in &s.histogram {
        let range = match b.to {
            Some(to) => format!("{:.2} – {to:.2}", b.from),
            None => format!("≥ {:.2}", b.from),
        };
        let bar = "█".repeat((b.count * 40).div_ceil(widest));
        let _ = writeln!(out, "  {range:<13} {:>6}  {bar}", b.count);
    }
}

/// Sequential against concurrent runs of the same plan shape.
fn ab_comparison(out: &mut String, r: &Report) {
    use kenny::capabilities::report::{AB_MARGIN, AB_MIN_PAIRS};
    let _ = writeln!(
        out,
        "\nA/B: sequential vs concurrent runs of the same plan shape (status ok; median totals; ratio = sequential / concurrent)"
    );
    if r.ab.pairs.is_empty() {
        out.push_str("  (no plan shape has both sequential and concurrent requests; run some with --sequential)\n");
    } else {
        let _ = writeln!(
            out,
            "  {:<48} {:>5} {:>10} {:>5} {:>10} {:>7}",
            "plan shape", "seq n", "seq ms", "con n", "con ms", "ratio"
        );
        for p in &r.ab.pairs {
            let _ = writeln!(
                out,
                "  {:<48} {:>5} {:>10} {:>5} {:>10} {:>7}",
                p.plan_shape,
                p.sequential.count,
                ms(p.sequential.median_total_ms),
                p.concurrent.count,
                ms(p.concurrent.median_total_ms),
                p.ratio.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into())
            );
        }
    }
    let o = &r.ab.overall;
    let _ = writeln!(
        out,
        "  overall: {} over {} pairs in {} shapes → {} (a verdict needs ≥ {AB_MIN_PAIRS} pairs and a ratio beyond 1 ± {AB_MARGIN}){}",
        o.ratio.map(|v| format!("ratio {v:.3}")).unwrap_or_else(|| "no ratio".into()),
        o.pairs,
        o.shapes,
        o.verdict,
        if r.ab.unpaired_requests > 0 {
            format!("; unpaired requests: {}", r.ab.unpaired_requests)
        } else {
            String::new()
        }
    );
}

/// The later half of the window against the earlier half, per capability.
fn trends(out: &mut String, r: &Report) {
    use kenny::capabilities::report::{TREND_MIN_COUNT, TREND_THRESHOLD};
    let _ = writeln!(
        out,
        "\nTrend: later half of the window vs the earlier half (median; > +{:.0} % declining, < −{:.0} % improving; fewer than {TREND_MIN_COUNT} records in a half: insufficient data; sequential runs left out)",
        TREND_THRESHOLD * 100.0,
        TREND_THRESHOLD * 100.0
    );
    let _ = writeln!(
        out,
        "  {:<18} {:>9} {:>10} {:>9} {:>10} {:>8}  verdict",
        "capability", "earlier n", "p50 ms", "later n", "p50 ms", "change"
    );
    for t in &r.trends {
        let change = t.change.map(|c| format!("{:+.1}%", c * 100.0)).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:<18} {:>9} {:>10} {:>9} {:>10} {:>8}  {}",
            t.capability,
            t.earlier.count,
            ms(t.earlier.p50_ms),
            t.later.count,
            ms(t.later.p50_ms),
            change,
            t.verdict
        );
    }
}
