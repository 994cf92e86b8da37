//! The iCalendar corpus: each `tests/corpus/ical/NAME.ics` is parsed, expanded over the window
//! its `NAME.expected` names, and compared line by line with it.
//!
//! `NAME.expected` format (expected values are worked out by hand from RFC 5545):
//!
//! ```text
//! # comments and blank lines are ignored
//! window: 2026-03-01T00:00:00+01:00 2026-04-01T00:00:00+02:00   (or dates, read in `floating`)
//! floating: Europe/Berlin        zone for floating times and all-day dates
//! display: Europe/Berlin         zone the lines below are printed in (default: floating)
//! max: 10000                     max_per_event (default 10000)
//! truncated: true                (default false)
//! skipped: malformed_rule        one header per expected report, in order (default: none)
//! warning: unknown_timezone      the same for warnings (default: none)
//! name: Team                     X-WR-CALNAME (default: not checked)
//! series: 4                      event_count(), the number of UIDs (default: not checked)
//! ---
//! START END UID RECURRENCE-ID STATUS SUMMARY
//! ```
//!
//! One line per occurrence, in output order (start, then UID). START/END/RECURRENCE-ID are
//! `YYYY-MM-DD` for all-day values or `YYYY-MM-DDTHH:MM:SS+HH:MM` in the display zone; `-`
//! stands for no recurrence id or no status; SUMMARY is the rest of the line.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kenny::domain::ical::{ExpandOptions, When, parse};
use kenny::domain::time::Window;

struct Case {
    window: Window,
    floating: chrono_tz::Tz,
    display: chrono_tz::Tz,
    max: usize,
    truncated: bool,
    skipped: Vec<String>,
    warnings: Vec<String>,
    name: Option<String>,
    series: Option<usize>,
    lines: Vec<String>,
}

fn read_expected(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut window = None;
    let mut floating = None;
    let mut display = None;
    let mut max = 10_000;
    let mut truncated = false;
    let mut skipped = Vec::new();
    let mut warnings = Vec::new();
    let mut name = None;
    let mut series = None;
    let mut lines = Vec::new();
    let mut in_body = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if in_body {
            lines.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        if line == "---" {
            in_body = true;
            continue;
        }
        let (key, value) = line.split_once(':').ok_or_else(|| format!("bad header line {line:?}"))?;
        let value = value.trim();
        match key.trim() {
            "window" => window = Some(value.to_string()),
            "floating" => floating = Some(value.parse::<chrono_tz::Tz>().map_err(|e| format!("floating: {e}"))?),
            "display" => display = Some(value.parse::<chrono_tz::Tz>().map_err(|e| format!("display: {e}"))?),
            "max" => max = value.parse().map_err(|e| format!("max: {e}"))?,
            "truncated" => truncated = value == "true",
            "skipped" => skipped.push(value.to_string()),
            "warning" => warnings.push(value.to_string()),
            "name" => name = Some(value.to_string()),
            "series" => series = Some(value.parse().map_err(|e| format!("series: {e}"))?),
            other => return Err(format!("unknown header {other:?}")),
        }
    }
    let floating = floating.ok_or("no floating: header")?;
    let window = window.ok_or("no window: header")?;
    let (start, end) = window.split_once(' ').ok_or("window: needs START END")?;
    let window = Window::parse(start.trim(), end.trim(), floating).map_err(|e| format!("window: {e}"))?;
    if !in_body {
        return Err("no --- line".into());
    }
    Ok(Case {
        window,
        floating,
        display: display.unwrap_or(floating),
        max,
        truncated,
        skipped,
        warnings,
        name,
        series,
        lines,
    })
}

fn show(w: &When, tz: chrono_tz::Tz) -> String {
    match w {
        When::Date(d) => d.format("%Y-%m-%d").to_string(),
        When::DateTime(u) => u.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    }
}

fn run(ics: &Path, expected: &Path) -> Result<(), String> {
    let case = read_expected(expected)?;
    let text = std::fs::read_to_string(ics).map_err(|e| format!("{}: {e}", ics.display()))?;
    let cal = parse(&text);
    let exp = cal.expand(&ExpandOptions { window: case.window, floating_tz: case.floating, max_per_event: case.max });
    let got: Vec<String> = exp
        .occurrences
        .iter()
        .map(|o| {
            format!(
                "{} {} {} {} {} {}",
                show(&o.start, case.display),
                show(&o.end, case.display),
                o.uid,
                o.recurrence_id.as_ref().map_or("-".to_string(), |r| show(r, case.display)),
                o.status.as_deref().unwrap_or("-"),
                o.summary.as_deref().unwrap_or("(none)"),
            )
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect();
    let mut problems = String::new();
    if got != case.lines {
        let _ = writeln!(problems, "  occurrences differ (- expected, + got):");
        for line in diff(&case.lines, &got) {
            let _ = writeln!(problems, "    {line}");
        }
    }
    if exp.truncated != case.truncated {
        let _ = writeln!(problems, "  truncated: expected {}, got {}", case.truncated, exp.truncated);
    }
    let skipped: Vec<String> = cal.skipped.iter().map(|s| s.code.to_string()).collect();
    if skipped != case.skipped {
        let _ = writeln!(problems, "  skipped: expected {:?}, got {:?}", case.skipped, cal.skipped);
    }
    let warnings: Vec<String> = cal.warnings.iter().map(|s| s.code.to_string()).collect();
    if warnings != case.warnings {
        let _ = writeln!(problems, "  warnings: expected {:?}, got {:?}", case.warnings, cal.warnings);
    }
    if let Some(name) = &case.name
        && cal.name.as_ref() != Some(name)
    {
        let _ = writeln!(problems, "  name: expected {name:?}, got {:?}", cal.name);
    }
    if let Some(n) = case.series
        && cal.event_count() != n
    {
        let _ = writeln!(problems, "  series: expected {n}, got {}", cal.event_count());
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// A line diff (longest common subsequence), with unchanged lines as context.
fn diff(want: &[String], got: &[String]) -> Vec<String> {
    let (n, m) = (want.len(), got.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if want[i] == got[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            out.push(format!("  {}", want[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", got[j]));
            j += 1;
        } else {
            out.push(format!("- {}", want[i]));
            i += 1;
        }
    }
    out
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/ical")
}

#[test]
fn ical_corpus() {
    let dir = corpus_dir();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ics"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no cases in {}", dir.display());
    let only = std::env::var("ICAL_CASE").ok();
    let mut failures = String::new();
    let mut ran = 0;
    for ics in &names {
        let name = ics.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        let expected = ics.with_extension("expected");
        if let Err(problems) = run(ics, &expected) {
            let _ = writeln!(failures, "case {name}:\n{problems}");
        }
    }
    // Every .expected has its .ics.
    for e in std::fs::read_dir(&dir).expect("corpus directory").filter_map(|e| e.ok().map(|e| e.path())) {
        if e.extension().is_some_and(|x| x == "expected") && !e.with_extension("ics").exists() {
            let _ = writeln!(failures, "{} has no .ics", e.display());
        }
    }
    assert!(failures.is_empty(), "{ran} cases run, failures:\n{failures}");
    println!("{ran} iCalendar corpus cases passed");
}
