//! The answer: what the steps found, folded into one response, and what each intent makes of it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::plans::{Search, free_at_interval};
use super::{DEFAULT_LOOKAHEAD_DAYS, DEFAULT_MEETING_MINUTES, Execution, WindowOut};
use kenny_domain::plan::{Capability, ValidPlan};
use kenny_domain::question::{Intent, Question};
use kenny_domain::slots::IntervalOut;
use kenny_ports::contracts::{EventOut, ResolveResponse};
use kenny_ports::sibling::Output;

/// The answer part of the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// What the question asks for; absent for an explicit plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// The question read back in one sentence ("Events with Sarah Chen about "budget", next week
    /// (Mon 30 Nov – Sun 6 Dec)"); absent for an explicit plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub understood: Option<String>,
    /// The window read (from the first `calendar.read` step).
    pub window: Option<WindowOut>,
    /// For `next`/`last`: the whole span searched, from now forward or back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub searched: Option<WindowOut>,
    /// Every `contacts.resolve` response, in plan order.
    pub people: Vec<ResolveResponse>,
    /// The events of every `calendar.read` step, merged, sorted by start then uid; for `next`,
    /// `last`, `first` and `last_in_window` only the one picked.
    pub events: Vec<EventOut>,
    /// Plain sentences about what the answer could not do (an unknown person, an ambiguous name).
    #[serde(default)]
    pub notes: Vec<String>,
    /// For a free-time question or plan: the `slots.find` answer (slots, participants, unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<kenny_domain::slots::SlotsResponse>,
    /// For `count`: how many events and how long they take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<CountOut>,
    /// For `free_at`: whether each person is free at the time asked, and what is in the way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_at: Option<FreeAtOut>,
}

/// A `count` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountOut {
    /// Matching events (each occurrence of a series counts).
    pub events: usize,
    /// Of them, all-day events (counted, but adding no time).
    pub all_day: usize,
    /// Minutes the timed events take inside the window, overlaps counted once.
    pub minutes: i64,
}

/// A `free_at` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreeAtOut {
    /// Start of the time asked about, RFC 3339.
    pub start: String,
    /// Its end (the range said, the length said, or 30 minutes).
    pub end: String,
    /// True when everyone known is free and nobody is unknown.
    pub all_free: bool,
    /// The user first, then each person asked about.
    pub people: Vec<PersonFreeOut>,
}

/// One person's answer to "are they free then?".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonFreeOut {
    /// `me`, or the person as asked.
    pub person: String,
    /// Their name when a contact matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `true` free, `false` busy, `null` unknown (their busy time could not be read).
    pub free: Option<bool>,
    /// Their busy intervals overlapping the time.
    pub busy: Vec<IntervalOut>,
    /// For the user: their events overlapping the time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventOut>,
}

/// What building the answer needs beyond the steps' outputs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context<'a> {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub search: Option<&'a Search>,
}

/// Intents whose read falls back to the default window when none is said.
fn reads_default_window(intent: Intent) -> bool {
    matches!(intent, Intent::List | Intent::Count | Intent::Free | Intent::Unsupported)
}

/// Folds the steps' outputs into the answer: people, the merged events, slots, notes; then, for a
/// question, what its intent asks of them and the sentence that reads the question back.
pub(super) fn build_answer(plan: &ValidPlan, exec: &Execution, q: Option<&Question>, cx: &Context<'_>) -> Answer {
    let mut answer = Answer::default();
    let free_time = plan.steps.iter().any(|s| s.capability == Capability::SlotsFind);
    let consequence =
        if free_time { "their busy time is unknown" } else { "events were matched on the name as written" };
    for (i, step) in plan.steps.iter().enumerate() {
        match (step.capability, &exec.outputs[i]) {
            (Capability::ContactsResolve, Some(Output::Resolve(out))) => {
                let found = &out.resolution;
                if found.resolved.is_none() {
                    let query = &found.query;
                    answer.notes.push(if found.ambiguous {
                        format!("\"{query}\" matches more than one contact; {consequence}.")
                    } else {
                        format!("No contact matches \"{query}\"; {consequence}.")
                    });
                }
                answer.people.push(out.clone());
            }
            (Capability::SlotsFind, Some(Output::Slots(found))) if answer.slots.is_none() => {
                answer.window = Some(WindowOut { start: found.window.start.clone(), end: found.window.end.clone() });
                for who in &found.unknown {
                    answer.notes.push(if who == crate::calendar::freebusy::ME {
                        "Your own busy time could not be read; the slots do not account for it.".to_string()
                    } else {
                        format!("The busy time of {who} could not be read; the slots do not account for them.")
                    });
                }
                if found.slots.is_empty() {
                    answer.notes.push(format!(
                        "No free slot of {} minutes in the window ({} on {}).",
                        found.duration_minutes, found.hours, found.days
                    ));
                }
                answer.slots = Some(found.clone());
            }
            (Capability::CalendarFreeBusy, Some(Output::FreeBusy(out))) if answer.window.is_none() => {
                answer.window = Some(out.window.clone());
            }
            // The window fetched beside the resolves: its reading is the filtered read's.
            (Capability::CalendarRead, Some(_)) if exec.head_start == Some(i) => {}
            (Capability::CalendarRead, Some(Output::Read(out))) => {
                if answer.window.is_none() {
                    answer.window = Some(out.window.clone());
                }
                answer.events.extend(out.events.iter().cloned());
            }
            _ => {}
        }
    }
    let reads = plan.steps.iter().enumerate().filter(|(_, s)| s.capability == Capability::CalendarRead);
    if reads.filter(|(i, _)| exec.head_start != Some(*i)).count() > 1 {
        let key = |e: &EventOut| (e.start.clone(), e.uid.clone(), e.calendar.clone(), e.recurrence_id.clone());
        answer.events.sort_by_key(key);
        answer.events.dedup_by(|a, b| key(a) == key(b));
    }
    if let Some(a) = q.and_then(|q| q.availability.as_ref())
        && a.duration_minutes.is_none()
    {
        answer
            .notes
            .push(format!("The question names no meeting length; {DEFAULT_MEETING_MINUTES} minutes were assumed."));
    }
    if q.is_some_and(|q| q.window.is_none() && q.clock.is_none() && reads_default_window(q.intent)) {
        answer
            .notes
            .push(format!("The question names no time; it was read as the next {DEFAULT_LOOKAHEAD_DAYS} days."));
    }
    if let Some(q) = q {
        apply_intent(&mut answer, plan, exec, q, cx);
    }
    answer
}

/// An event's start or end (RFC 3339, or a date) as an instant; all-day dates are local
/// midnight in `tz`.
pub(super) fn instant(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(kenny_domain::time::local_to_utc(d.and_time(chrono::NaiveTime::MIN), tz))
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// Applies the question's intent to the folded answer and reads the question back.
fn apply_intent(answer: &mut Answer, plan: &ValidPlan, exec: &Execution, q: &Question, cx: &Context<'_>) {
    answer.intent = Some(q.intent);
    answer.notes.splice(0..0, q.notes.iter().cloned());
    let tz = cx.tz;
    let start = |e: &EventOut| instant(&e.start, tz);
    match q.intent {
        Intent::Next | Intent::Last => {
            let picked = if q.intent == Intent::Next {
                answer.events.iter().filter(|e| start(e).is_some_and(|s| s >= cx.now)).min_by_key(|e| start(e)).cloned()
            } else {
                answer.events.iter().filter(|e| start(e).is_some_and(|s| s < cx.now)).max_by_key(|e| start(e)).cloned()
            };
            if let Some(search) = cx.search {
                let (a, b) = if search.forward {
                    (cx.now, search_end(exec, search))
                } else {
                    (search_end(exec, search), cx.now)
                };
                answer.searched = Some(WindowOut {
                    start: kenny_domain::time::format_instant(a, tz),
                    end: kenny_domain::time::format_instant(b, tz),
                });
            }
            if picked.is_none() {
                let what = description(q, answer);
                let span = match (cx.search, &q.window) {
                    (Some(s), _) => {
                        let days = (s.reach - cx.now).num_days().abs();
                        let months = if days >= 360 { "12 months".to_string() } else { format!("{days} days") };
                        if s.forward { format!("in the next {months}") } else { format!("in the past {months}") }
                    }
                    (None, Some(w)) if q.intent == Intent::Next => format!("{} from now on", w.phrase),
                    (None, Some(w)) => format!("{} up to now", w.phrase),
                    (None, None) => String::new(),
                };
                answer.notes.push(format!("No {what} {span}.").replace("  ", " ").replace(" .", "."));
            }
            answer.events = picked.into_iter().collect();
        }
        Intent::First | Intent::LastInWindow => {
            let picked = if q.intent == Intent::First {
                answer.events.iter().min_by_key(|e| start(e)).cloned()
            } else {
                answer.events.iter().max_by_key(|e| start(e)).cloned()
            };
            if picked.is_none() {
                answer.notes.push(format!("No {} in the window.", description(q, answer)));
            }
            answer.events = picked.into_iter().collect();
        }
        Intent::Count => answer.count = Some(count(answer, tz)),
        Intent::FreeAt => {
            answer.free_at = free_at(plan, exec, q, answer, tz);
            let said = q.clock.as_ref().is_some_and(|c| c.end.is_some() || c.duration_minutes.is_some())
                || q.availability.is_some_and(|a| a.duration_minutes.is_some());
            let note = format!("The question names no meeting length; {DEFAULT_MEETING_MINUTES} minutes were assumed.");
            if !said && !answer.notes.contains(&note) {
                answer.notes.push(note);
            }
        }
        Intent::NotUnderstood => answer.notes.push(
            "Kenny answers questions about your calendar: events in a time window, with people or about a \
             topic, the next or last one, how many there are, and free time. Try \"what meetings do I have \
             with Sarah next week?\" or \"when is my next budget review?\""
                .to_string(),
        ),
        Intent::Unsupported => {
            let verb = q.action.as_deref().unwrap_or("change");
            let rest = if plan.steps.is_empty() {
                String::new()
            } else if answer.slots.is_some() {
                " Here is when everyone is free instead.".to_string()
            } else {
                " Here is what it found for the rest of the question.".to_string()
            };
            answer
                .notes
                .push(format!("Kenny reads calendars; it does not change them, so it cannot {verb} anything.{rest}"));
        }
        Intent::List | Intent::Free => {}
    }
    answer.understood = Some(understood(q, answer, cx));
}

/// The far end of what a search read: the end (start) of its last read.
fn search_end(exec: &Execution, search: &Search) -> DateTime<Utc> {
    let reads = exec.outputs.iter().filter_map(|out| match out {
        Some(Output::Read(r)) => Some(&r.window),
        _ => None,
    });
    reads
        .filter_map(|w| parse_instant(if search.forward { &w.end } else { &w.start }))
        .reduce(|a, b| if search.forward { a.max(b) } else { a.min(b) })
        .unwrap_or(search.now)
}

/// How many events and the minutes their union takes inside the answer's window.
fn count(answer: &Answer, tz: Tz) -> CountOut {
    let window = answer.window.as_ref().and_then(|w| Some((parse_instant(&w.start)?, parse_instant(&w.end)?)));
    let all_day = answer.events.iter().filter(|e| e.all_day).count();
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = answer
        .events
        .iter()
        .filter(|e| !e.all_day)
        .filter_map(|e| {
            let (mut s, mut t) = (instant(&e.start, tz)?, instant(&e.end, tz)?);
            if let Some((a, b)) = window {
                (s, t) = (s.max(a), t.min(b));
            }
            (t > s).then_some((s, t))
        })
        .collect();
    spans.sort();
    let mut minutes = TimeDelta::zero();
    let mut open: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (s, t) in spans {
        open = match open {
            Some((a, b)) if s <= b => Some((a, b.max(t))),
            Some((a, b)) => {
                minutes += b - a;
                Some((s, t))
            }
            None => Some((s, t)),
        };
    }
    if let Some((a, b)) = open {
        minutes += b - a;
    }
    CountOut { events: answer.events.len(), all_day, minutes: minutes.num_minutes() }
}

/// Everyone's answer to "free then?", from the busy-time steps and the user's events.
fn free_at(plan: &ValidPlan, exec: &Execution, q: &Question, answer: &Answer, tz: Tz) -> Option<FreeAtOut> {
    let (start, end) = free_at_interval(q)?;
    let overlaps =
        |i: &IntervalOut| parse_instant(&i.start).zip(parse_instant(&i.end)).is_some_and(|(s, t)| s < end && t > start);
    let mut people = Vec::new();
    let mut asked_about = q.people.iter().enumerate();
    for (step, out) in plan.steps.iter().zip(&exec.outputs) {
        if step.capability != Capability::CalendarFreeBusy {
            continue;
        }
        let (asked, name) = if step.id == "freebusy_me" {
            (crate::calendar::freebusy::ME.to_string(), None)
        } else {
            let Some((k, said)) = asked_about.next() else { continue };
            (said.clone(), resolved_name(answer, k))
        };
        let reply = match out {
            Some(Output::FreeBusy(r)) => Some(r),
            _ => None,
        };
        let known = reply.as_ref().and_then(|r| r.people.first());
        let busy: Vec<IntervalOut> =
            known.map(|p| p.busy.iter().filter(|i| overlaps(i)).cloned().collect()).unwrap_or_default();
        let complete = known.is_some_and(|p| p.complete) && reply.as_ref().is_some_and(|r| r.unknown.is_empty());
        let free = if !busy.is_empty() {
            Some(false)
        } else if complete {
            Some(true)
        } else {
            None
        };
        let events = if asked == crate::calendar::freebusy::ME { answer.events.clone() } else { Vec::new() };
        people.push(PersonFreeOut { person: asked, name, free, busy, events });
    }
    let all_free = people.iter().all(|p| p.free == Some(true));
    Some(FreeAtOut {
        start: kenny_domain::time::format_instant(start, tz),
        end: kenny_domain::time::format_instant(end, tz),
        all_free,
        people,
    })
}

/// The name of the contact the `k`-th person resolved to, if one clearly matched.
fn resolved_name(answer: &Answer, k: usize) -> Option<String> {
    answer.people.get(k)?.resolution.resolved.as_ref().map(|c| c.name.clone())
}

/// The people as the answer knows them: a matched contact's name, else the name as said.
fn people_names(q: &Question, answer: &Answer) -> Vec<String> {
    q.people.iter().enumerate().map(|(k, said)| resolved_name(answer, k).unwrap_or_else(|| said.clone())).collect()
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "event with Sarah Chen about "budget"": what the question looks for, for notes.
fn description(q: &Question, answer: &Answer) -> String {
    let mut out = "event".to_string();
    let names = people_names(q, answer);
    if !names.is_empty() {
        out.push_str(&format!(" with {}", and_list(&names)));
    }
    if let Some(t) = &q.topic {
        out.push_str(&format!(" about \"{t}\""));
    }
    out
}

fn day(d: DateTime<Tz>) -> String {
    d.format("%a %-d %b").to_string()
}

/// "next week (Mon 30 Nov – Sun 6 Dec)", "tomorrow at 3pm (Sat 28 Nov 15:00–15:30)".
fn when_text(q: &Question, answer: &Answer, cx: &Context<'_>) -> String {
    let tz = cx.tz;
    if let Some(c) = q.clock.as_ref().filter(|_| answer.slots.is_none()) {
        let (start, end) = match q.intent {
            Intent::FreeAt => free_at_interval(q).unwrap_or((c.start.with_timezone(&Utc), c.start.with_timezone(&Utc))),
            _ => answer
                .window
                .as_ref()
                .and_then(|w| Some((parse_instant(&w.start)?, parse_instant(&w.end)?)))
                .unwrap_or((c.start.with_timezone(&Utc), c.start.with_timezone(&Utc))),
        };
        let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
        let phrase = match &q.window {
            Some(w) => format!("{} {}", w.phrase, c.phrase),
            None => c.phrase.clone(),
        };
        let span = if e - s <= TimeDelta::minutes(1) {
            s.format("%H:%M").to_string()
        } else {
            format!("{}–{}", s.format("%H:%M"), e.format("%H:%M"))
        };
        return format!("{phrase} ({} {span})", day(s));
    }
    if let Some(search) = cx.search {
        return if search.forward { "from now on".to_string() } else { "before now".to_string() };
    }
    let (phrase, window) = match &q.window {
        Some(w) => (w.phrase.clone(), Some((w.start, w.end))),
        None => {
            let shown = answer.window.as_ref().and_then(|w| {
                Some((parse_instant(&w.start)?.with_timezone(&tz), parse_instant(&w.end)?.with_timezone(&tz)))
            });
            let phrase = if q.intent == Intent::First {
                "today".to_string()
            } else {
                format!("the next {DEFAULT_LOOKAHEAD_DAYS} days")
            };
            (phrase, shown)
        }
    };
    let Some((s, e)) = window else { return phrase };
    let last = e - TimeDelta::seconds(1);
    if s.date_naive() == last.date_naive() {
        format!("{phrase} ({})", day(s))
    } else {
        format!("{phrase} ({} – {})", day(s), day(last))
    }
}

/// The question read back in one sentence.
fn understood(q: &Question, answer: &Answer, cx: &Context<'_>) -> String {
    let names = people_names(q, answer);
    let mut filters = String::new();
    if !names.is_empty() {
        filters.push_str(&format!(" with {}", and_list(&names)));
    }
    if let Some(t) = &q.topic {
        filters.push_str(&format!(" about \"{t}\""));
    }
    let when = when_text(q, answer, cx);
    let everyone = {
        let mut all = vec!["you".to_string()];
        all.extend(names.iter().cloned());
        and_list(&all)
    };
    match q.intent {
        Intent::List => format!("Events{filters}, {when}"),
        Intent::Next => format!("The next event{filters}, {when}"),
        Intent::Last => format!("The most recent event{filters}, {when}"),
        Intent::First => format!("The first event{filters}, {when}"),
        Intent::LastInWindow => format!("The last event{filters}, {when}"),
        Intent::Count => format!("How many events{filters} there are and how long they take, {when}"),
        Intent::Free => {
            let minutes = answer.slots.as_ref().map_or(DEFAULT_MEETING_MINUTES, |s| s.duration_minutes);
            let first = if q.availability.is_some_and(|a| a.first) { "The first free slot" } else { "Free slots" };
            format!("{first} of {minutes} minutes for {everyone}, {when}")
        }
        Intent::FreeAt => {
            let verb = if names.is_empty() { "are" } else { "are all" };
            format!("Whether {everyone} {verb} free {when}")
        }
        Intent::NotUnderstood => "Not a question about your calendar that Kenny understands".to_string(),
        Intent::Unsupported => {
            let verb = q.action.as_deref().unwrap_or("change");
            if answer.slots.is_some() {
                format!("A request to {verb} (Kenny only reads calendars); free slots for {everyone}, {when}")
            } else if answer.window.is_some() {
                format!("A request to {verb} (Kenny only reads calendars); events{filters}, {when}")
            } else {
                format!("A request to {verb} (Kenny only reads calendars)")
            }
        }
    }
}
