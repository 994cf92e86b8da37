//! Fuzz and property-test entry points: one function per input format Kenny reads from outside,
//! shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`), the corpus test
//! (`shared/tests/fuzz_corpus.rs`, every file under `fuzz/corpus/<target>/`) and the property
//! tests (`shared/tests/properties.rs`), so the three check one definition.
//!
//! Each function takes arbitrary bytes, reads them the way a source or a request hands them to
//! Kenny (invalid UTF-8 replaced, as the sources do), and **panics when an invariant breaks** —
//! a panic here is a bug found, including a panic that Kenny's own `catch_unwind` guards would
//! otherwise swallow (parsing and expansion never let one reach a user; these functions still
//! report it). Not for request paths.
//!
//! Invariants checked: no panic anywhere; recurrence expansion returns at most
//! `max_per_event` occurrences per series, each overlapping the half-open window (an event is in
//! `[start, end)` when it overlaps it; a zero-length one when it lies inside), sorted by start
//! then UID; vCard caps hold; XML depth and element caps hold; a question's window is non-empty
//! and its plan validates; a validated plan is a DAG within [`crate::domain::plan::MAX_STEPS`] whose
//! `$ref`s resolve or fail with `ref_unresolved`.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Once;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use crate::capabilities::calendar::MAX_OCCURRENCES_PER_EVENT;
use crate::domain::error::ErrorCode;
use crate::domain::ical::{ExpandOptions, Expansion, ParsedCalendar};
use crate::domain::question::{Intent, Role};
use crate::domain::time::Window;

/// A target's entry function: arbitrary bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target by name: the fuzz targets' and the corpus directories' names.
pub const TARGETS: [(&str, Target); 5] =
    [("ical", ical), ("vcard", vcard), ("multistatus", multistatus), ("question", question), ("plan", plan)];

/// The entry function of the target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

thread_local! {
    static PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` and panics if anything panicked on this thread meanwhile, even if it was caught.
fn no_swallowed_panics<T>(what: &str, f: impl FnOnce() -> T) -> T {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.with(|p| p.set(true));
            previous(info);
        }));
    });
    PANICKED.with(|p| p.set(false));
    let out = f();
    assert!(!PANICKED.with(Cell::get), "{what} panicked (the panic was caught inside Kenny)");
    out
}

/// Input bytes as the sources read them: invalid UTF-8 replaced.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// FNV-1a: a stable, cheap hash so each input picks its own window deterministically.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

const ZONES: [Tz; 6] = [
    chrono_tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::Pacific::Kiritimati,
];

/// iCalendar: parse, then expand over the whole of 2026 in UTC and over a window (1–62 days,
/// between 2019 and 2032, in one of a few zones with odd offsets or DST) chosen by the input's
/// hash; see [`check_expansion`].
pub fn ical(data: &[u8]) {
    let text = text(data);
    let cal = no_swallowed_panics("iCalendar parsing", || crate::domain::ical::parse(&text));
    let year = Window::new(utc(2026, 1, 1), utc(2027, 1, 1)).unwrap_or_else(|e| panic!("fixed window: {e}"));
    check_expansion(&cal, year, chrono_tz::UTC, MAX_OCCURRENCES_PER_EVENT);
    let h = fnv(data);
    let start = utc(2019, 1, 1) + chrono::Duration::hours((h % (13 * 366 * 24)) as i64);
    let days = 1 + (h >> 20) % 62;
    let window =
        Window::new(start, start + chrono::Duration::days(days as i64)).unwrap_or_else(|e| panic!("window: {e}"));
    let zone = ZONES[((h >> 40) % ZONES.len() as u64) as usize];
    let max = [1, 3, MAX_OCCURRENCES_PER_EVENT][((h >> 50) % 3) as usize];
    check_expansion(&cal, window, zone, max);
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().unwrap_or_default()
}

/// Expands `cal` and checks the result: at most `max_per_event` occurrences per series (UID),
/// every occurrence overlapping the half-open `window` (zero-length ones inside it) with its end
/// not before its start, sorted by start then UID. Returns the expansion for further checks.
pub fn check_expansion(cal: &ParsedCalendar, window: Window, floating_tz: Tz, max_per_event: usize) -> Expansion {
    let opts = ExpandOptions { window, floating_tz, max_per_event };
    let e = no_swallowed_panics("recurrence expansion", || cal.expand(&opts));
    let mut per_series: HashMap<&str, usize> = HashMap::new();
    for o in &e.occurrences {
        let n = per_series.entry(&*o.uid).or_default();
        *n += 1;
        assert!(*n <= max_per_event, "series {:?} expanded past max_per_event = {max_per_event}", o.uid);
        let (start, end) = (o.start.to_utc(floating_tz), o.end.to_utc(floating_tz));
        assert!(end >= start, "occurrence of {:?} ends ({end}) before it starts ({start})", o.uid);
        let inside = if end == start {
            start >= window.start && start < window.end
        } else {
            start < window.end && end > window.start
        };
        assert!(inside, "occurrence of {:?} [{start}, {end}) is outside the window {window:?}", o.uid);
    }
    for pair in e.occurrences.windows(2) {
        let key = |o: &crate::domain::ical::Occurrence| (o.start.to_utc(floating_tz), o.uid.clone());
        assert!(key(&pair[0]) <= key(&pair[1]), "occurrences are not sorted by start then UID");
    }
    e
}

/// vCard: parse, check the per-card caps, index the contacts and resolve two queries taken from
/// the input (its first contact's name and its first line).
pub fn vcard(data: &[u8]) {
    use crate::domain::contacts::vcard::{MAX_EMAILS, MAX_NICKNAMES, MAX_PHONES, MAX_TEXT_CHARS, MAX_UID_CHARS};
    let text = text(data);
    let (contacts, _skipped) = no_swallowed_panics("vCard parsing", || crate::domain::contacts::parse_vcards(&text));
    for c in &contacts {
        assert!(c.emails.len() <= MAX_EMAILS && c.phones.len() <= MAX_PHONES && c.nicknames.len() <= MAX_NICKNAMES);
        assert!(!c.name.trim().is_empty(), "a contact without a name");
        // A name may fall back to an email address (at most 254 characters).
        assert!(c.name.chars().count() <= MAX_TEXT_CHARS.max(254), "name longer than the cap");
        assert!(c.uid.chars().count() <= MAX_UID_CHARS, "UID longer than the cap");
    }
    let first_name = contacts.first().map(|c| c.name.clone());
    let index = no_swallowed_panics("indexing contacts", || crate::domain::contacts::ContactIndex::new(contacts));
    let first_line: String =
        text.lines().next().unwrap_or("").chars().take(crate::domain::contacts::MAX_QUERY_CHARS).collect();
    for query in first_name.into_iter().chain([first_line]) {
        let req = crate::domain::contacts::ResolveRequest { query, limit: Some(3) };
        let Ok(limit) = req.validate() else { continue };
        match no_swallowed_panics("resolving a contact", || index.resolve(&req)) {
            Ok(r) => {
                assert!(r.candidates.len() <= limit, "more candidates than the limit");
                assert!(r.candidates.iter().all(|c| (0.0..=1.0).contains(&c.score)), "a score outside 0..1");
                assert!(r.candidates.windows(2).all(|p| p[0].score >= p[1].score), "candidates not best first");
                if let Some(best) = &r.resolved {
                    assert_eq!(Some(&best.uid), r.candidates.first().map(|c| &c.uid), "resolved is not the best");
                }
            }
            Err(e) => assert!(!e.code().is_empty()),
        }
    }
}

/// Multistatus XML: the element tree respects the depth and element caps; reading it as a
/// multistatus is an answer or a named error.
pub fn multistatus(data: &[u8]) {
    use crate::adapters::dav::xml;
    let text = text(data);
    if let Ok(root) = xml::parse(&text) {
        let mut stack = vec![(&root, 1usize)];
        let mut count = 0usize;
        while let Some((el, depth)) = stack.pop() {
            count += 1;
            assert!(depth <= xml::MAX_DEPTH, "an element deeper than MAX_DEPTH");
            assert!(el.attrs.len() <= xml::MAX_ATTRIBUTES, "more attributes than MAX_ATTRIBUTES");
            stack.extend(el.children.iter().map(|c| (c, depth + 1)));
        }
        assert!(count <= xml::MAX_ELEMENTS, "more elements than MAX_ELEMENTS");
    }
    if let Ok(ms) = xml::multistatus(&text) {
        assert!(ms.responses.iter().all(|r| !r.href.trim().is_empty()), "a response without an href");
    }
}

/// A plain-English question at two moments (an ordinary day in New York; the hour before
/// Berlin's spring-forward): refused only as `invalid_request` on `question`; otherwise a
/// non-empty window whose phrase is part of the question, trimmed non-empty names, and a plan
/// that validates.
pub fn question(data: &[u8]) {
    let text = text(data);
    let moments = [
        chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 27, 10, 0, 0),
        chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 3, 29, 1, 30, 0),
    ];
    for now in moments.into_iter().filter_map(|m| m.single()) {
        match no_swallowed_panics("question parsing", || crate::domain::question::parse(&text, now)) {
            Err(e) => assert_eq!((e.code(), e.field()), ("invalid_request", Some("question"))),
            Ok(q) => {
                if let Some(w) = &q.window {
                    assert!(w.start < w.end, "empty or reversed window {} → {} for {:?}", w.start, w.end, w.phrase);
                    assert!(text.contains(w.phrase.as_str()), "the window's phrase is not in the question");
                }
                for p in &q.people {
                    assert!(!p.is_empty() && p.trim() == p, "a name that is empty or not trimmed: {p:?}");
                }
                if let Some(t) = &q.topic {
                    assert!(!t.trim().is_empty(), "an empty topic");
                }
                if let Some(c) = &q.clock
                    && let Some(end) = c.end
                {
                    assert!(c.start < end, "an empty or reversed clock range for {:?}", c.phrase);
                }
                // No word is dropped silently: what is read as nothing is named in a note.
                for w in q.words.iter().filter(|w| matches!(w.role, Role::Ignored | Role::Unknown)) {
                    assert!(
                        q.notes.iter().any(|n| n.contains(&w.text)),
                        "{:?} is {:?} but no note names it",
                        w.text,
                        w.role
                    );
                }
                let plan = crate::capabilities::coordinate::question_plan(&q, now, now.timezone());
                if let Err(e) = plan.validate() {
                    panic!("the plan for a question does not validate: {e}");
                }
                // Every intent's plan is valid, or a refusal of a window that is too long.
                match crate::capabilities::coordinate::plan_for(
                    &q,
                    now,
                    now.timezone(),
                    &crate::domain::slots::WorkHours::default(),
                ) {
                    Ok(p) if p.plan.steps.is_empty() => assert!(
                        matches!(q.intent, Intent::NotUnderstood | Intent::Unsupported),
                        "a {:?} question made no steps",
                        q.intent
                    ),
                    Ok(p) => {
                        if let Err(e) = p.plan.validate() {
                            panic!("the {:?} plan does not validate: {e}", q.intent);
                        }
                        if let Some(search) = &p.search {
                            assert!(search.segments.len() < crate::capabilities::coordinate::SEARCH_DAYS.len());
                            assert!(
                                (search.reach - search.now).num_days().abs() <= crate::domain::time::MAX_WINDOW_DAYS
                            );
                            for k in 0..search.segments.len() {
                                let params = search.params(k).unwrap_or_default();
                                assert!(params.get("start").is_some(), "a search read without a window");
                            }
                        }
                    }
                    Err(e) => assert!(
                        matches!(e.code(), "window_too_large" | "invalid_request"),
                        "a {:?} question refused with {}: {e}",
                        q.intent,
                        e.code()
                    ),
                }
            }
        }
    }
}

/// A plan as JSON (the `plan` of a coordinate request): refused with `invalid_request`, or a
/// DAG within the limits whose steps, run in dependency order on stand-in outputs, resolve
/// their `$ref`s or fail with `ref_unresolved`.
pub fn plan(data: &[u8]) {
    let Ok(plan) = serde_json::from_slice::<crate::domain::plan::Plan>(data) else { return };
    let valid = match no_swallowed_panics("plan validation", || plan.validate()) {
        Ok(v) => v,
        Err(e) => {
            assert_eq!(e.code(), "invalid_request");
            return;
        }
    };
    let n = valid.steps.len();
    assert!((1..=crate::domain::plan::MAX_STEPS).contains(&n), "a valid plan with {n} steps");
    // Run in dependency order: every step must become ready (no cycle slipped through).
    let mut done = vec![false; n];
    let mut outputs: HashMap<String, Value> = HashMap::new();
    for _round in 0..n {
        for (i, step) in valid.steps.iter().enumerate() {
            if done[i] || !step.deps.iter().all(|&d| d < n && d != i && done[d]) {
                continue;
            }
            done[i] = true;
            for &d in &step.deps {
                let _ = crate::domain::plan::runs_without(&step.params, &valid.steps[d].id);
            }
            let output = match crate::domain::plan::resolve_refs(&step.id, &step.params, &outputs) {
                Ok(params) => params,
                Err(e) => {
                    assert_eq!(e.code(), "ref_unresolved");
                    Value::Null
                }
            };
            outputs.insert(step.id.clone(), output);
        }
    }
    assert!(done.iter().all(|d| *d), "a validated plan has steps that never become ready (a cycle)");
    let _ = crate::capabilities::coordinate::plan_shape(&valid, None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_caught_inside_is_still_reported() {
        let caught = std::panic::catch_unwind(|| {
            no_swallowed_panics("a guarded step", || {
                let _ = std::panic::catch_unwind(|| panic!("swallowed on purpose"));
            })
        });
        assert!(caught.is_err(), "a swallowed panic went unnoticed");
        no_swallowed_panics("a clean step", || ());
    }

    #[test]
    fn every_target_takes_empty_and_odd_input() {
        for (_, run) in TARGETS {
            for data in [&b""[..], b"\xff\xfe\x00", b"BEGIN:VCALENDAR", b"{\"steps\": []}"] {
                run(data);
            }
        }
    }
}
