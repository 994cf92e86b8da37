//! Plans made from questions: which steps answer each intent, over which windows.
//!
//! - `list`, `count`, `first`, `last_in_window`: resolve the people, then one `calendar.read` of
//!   the window (the one said, a clock time placed on its day, or the default: today and the
//!   next [`DEFAULT_LOOKAHEAD_DAYS`] − 1 days; `first` without a window reads today).
//! - `next` / `last` without a window: a [`Search`] from now forward (back) over growing
//!   windows, [`SEARCH_DAYS`] days out in all, stopping at the first window with a match; with a
//!   window, that window from (up to) now.
//! - `free`: busy time of the user and each person, then `slots.find`.
//! - `free_at`: busy time of everyone over the clock time, and the user's own events there.
//! - `unsupported`: a booking request ("schedule a meeting with Tom") answers with free time; any
//!   other change ("cancel my 3pm") with what the rest of the question reads; nothing when the
//!   rest says nothing. `not_understood`: no steps.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::{CoordinateError, DEFAULT_LOOKAHEAD_DAYS, DEFAULT_MEETING_MINUTES, QUESTION_SLOTS};
use kenny_domain::plan::{Capability, Plan, Step, ValidPlan};
use kenny_domain::question::{Availability, Intent, Question};
use kenny_domain::slots::WorkHours;
use kenny_domain::time::{Window, format_instant, local_to_utc};

/// The id of a question plan's (first) `calendar.read` step.
pub const READ_STEP: &str = "calendar";

/// The id of the `calendar.read` that fetches a question's window while its people are being
/// resolved: unfiltered by them (and answering one event at most), it does the calendar I/O at
/// once and leaves the window in the caches, so that the filtered read after the resolves reads
/// memory. The answer does not use its events.
pub const FETCH_STEP: &str = "fetch";

/// How far `next` and `last` search from now, in days, and where each read of the search ends.
pub const SEARCH_DAYS: [i64; 4] = [7, 31, 92, 366];

/// A `next`/`last` search: the reads still to make after the plan's first one, in order.
#[derive(Debug, Clone)]
pub struct Search {
    /// Forward (`next`) or back (`last`).
    pub forward: bool,
    /// Where the search starts: now.
    pub now: DateTime<Utc>,
    /// The windows still to read, nearest first.
    pub segments: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The read's params; `start` and `end` are set per segment.
    pub template: Value,
    /// The zone the reads format their times in.
    pub tz: Tz,
    /// Where the whole search reaches (its far end).
    pub reach: DateTime<Utc>,
}

impl Search {
    /// The params of segment `k` (0-based among [`Search::segments`]).
    pub fn params(&self, k: usize) -> Option<Value> {
        let (start, end) = *self.segments.get(k)?;
        let mut p = self.template.clone();
        p["start"] = json!(format_instant(start, self.tz));
        p["end"] = json!(format_instant(end, self.tz));
        Some(p)
    }
}

/// A question's plan, with the rest of its search when it is a `next`/`last` question.
#[derive(Debug, Clone)]
pub struct QuestionPlan {
    /// The steps to run first (none for `not_understood`).
    pub plan: Plan,
    /// The reads that follow while nothing is found.
    pub search: Option<Search>,
}

/// Verbs of a booking request, answered with free time.
fn books(action: &str) -> bool {
    matches!(
        action,
        "schedule"
            | "book"
            | "set"
            | "arrange"
            | "organise"
            | "organize"
            | "plan"
            | "add"
            | "create"
            | "make"
            | "invite"
            | "block"
            | "pencil"
            | "reserve"
    )
}

/// The plan for any question, by its intent; refuses windows longer than a read (or a slot
/// search) may be.
pub fn plan_for(q: &Question, now: DateTime<Tz>, tz: Tz, hours: &WorkHours) -> Result<QuestionPlan, CoordinateError> {
    if let Some(w) = &q.window {
        Window::new(w.start.with_timezone(&Utc), w.end.with_timezone(&Utc)).map_err(CoordinateError::QuestionWindow)?;
    }
    let plain = |plan| Ok(QuestionPlan { plan, search: None });
    let free = |a: &Availability| -> Result<QuestionPlan, CoordinateError> {
        if let Some(w) = &q.window {
            let span = w.end.with_timezone(&Utc) - w.start.with_timezone(&Utc);
            if span > chrono::Duration::days(kenny_domain::slots::MAX_WINDOW_DAYS) {
                return Err(CoordinateError::SlotWindow { days: span.num_days() });
            }
        }
        plain(availability_plan(q, a, now, tz, hours))
    };
    let now_utc = now.with_timezone(&Utc);
    match q.intent {
        Intent::NotUnderstood => plain(Plan { steps: Vec::new() }),
        Intent::Unsupported => {
            let booking = q.action.as_deref().is_some_and(books);
            if booking && (!q.people.is_empty() || q.availability.is_some()) {
                let a = q.availability.unwrap_or_default();
                return free(&a);
            }
            if q.window.is_none() && q.clock.is_none() && q.people.is_empty() && q.topic.is_none() {
                return plain(Plan { steps: Vec::new() });
            }
            let (start, end) = list_window(q, now, tz);
            plain(read_plan(q, start, end, tz))
        }
        Intent::Free => free(&q.availability.unwrap_or_default()),
        Intent::FreeAt => plain(free_at_plan(q, tz)),
        Intent::Next | Intent::Last if q.window.is_none() => {
            let forward = q.intent == Intent::Next;
            let mut segments = Vec::with_capacity(SEARCH_DAYS.len());
            let mut near = now_utc;
            for days in SEARCH_DAYS {
                let far = if forward { now_utc + TimeDelta::days(days) } else { now_utc - TimeDelta::days(days) };
                segments.push(if forward { (near, far) } else { (far, near) });
                near = far;
            }
            let (start, end) = segments.remove(0);
            let plan = read_plan(q, start, end, tz);
            let template = plan.steps.last().map(|s| s.params.clone()).unwrap_or_default();
            let search = Search { forward, now: now_utc, segments, template, tz, reach: near };
            Ok(QuestionPlan { plan, search: Some(search) })
        }
        Intent::Next => {
            let (start, end) = list_window(q, now, tz);
            plain(read_plan(q, start.max(now_utc).min(end), end, tz))
        }
        Intent::Last => {
            let (start, end) = list_window(q, now, tz);
            plain(read_plan(q, start, end.min(now_utc).max(start), tz))
        }
        Intent::List | Intent::Count | Intent::First | Intent::LastInWindow => {
            let (start, end) = list_window(q, now, tz);
            plain(read_plan(q, start, end, tz))
        }
    }
}

/// The window a listing reads: a clock time on its day (a range, a stated length, or the
/// instant: events overlapping that minute), else the question's window; `first` without a
/// window reads today.
fn list_window(q: &Question, now: DateTime<Tz>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    if let Some(c) = &q.clock {
        let start = c.start.with_timezone(&Utc);
        let end = match (c.end, c.duration_minutes) {
            (Some(e), _) => e.with_timezone(&Utc),
            (None, Some(m)) => start + TimeDelta::minutes(i64::from(m)),
            (None, None) => start + TimeDelta::minutes(1),
        };
        return (start, end);
    }
    if q.intent == Intent::First && q.window.is_none() {
        return day_window(now, tz, 1);
    }
    question_window(q, now, tz)
}

/// The clock interval a `free_at` question asks about: the range said, else the stated length,
/// else [`DEFAULT_MEETING_MINUTES`].
pub fn free_at_interval(q: &Question) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let c = q.clock.as_ref()?;
    let start = c.start.with_timezone(&Utc);
    let minutes =
        c.duration_minutes.or(q.availability.and_then(|a| a.duration_minutes)).unwrap_or(DEFAULT_MEETING_MINUTES);
    let end = c.end.map_or(start + TimeDelta::minutes(i64::from(minutes)), |e| e.with_timezone(&Utc));
    Some((start, end))
}

/// `free_at`: everyone's busy time over the clock interval (the user's, and each person's once
/// resolved), and the user's own events there, all at once.
fn free_at_plan(q: &Question, tz: Tz) -> Plan {
    let Some((start, end)) = free_at_interval(q) else { return Plan { steps: Vec::new() } };
    let window = json!({"start": format_instant(start, tz), "end": format_instant(end, tz), "timezone": tz.name()});
    let (mut steps, _) = busy_steps(q, &window);
    steps.push(Step {
        id: READ_STEP.into(),
        capability: Capability::CalendarRead.name().into(),
        params: window,
        depends_on: Vec::new(),
    });
    Plan { steps }
}

/// Today (from local midnight) and the following days, `days` in all.
fn day_window(now: DateTime<Tz>, tz: Tz, days: u64) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = local_to_utc(now.date_naive().and_time(chrono::NaiveTime::MIN), tz);
    let end = local_to_utc((now.date_naive() + chrono::Days::new(days)).and_time(chrono::NaiveTime::MIN), tz);
    (today, end)
}

/// The plan for a question: resolve every person concurrently, then read the window filtered
/// by the people (their emails, or the name as said when no contact clearly matched) and topic.
pub fn question_plan(q: &Question, now: DateTime<Tz>, tz: Tz) -> Plan {
    let (start, end) = question_window(q, now, tz);
    read_plan(q, start, end, tz)
}

/// Resolve every person, then one `calendar.read` of `[start, end)` filtered by them and the topic.
/// With people, the window is also fetched at once ([`FETCH_STEP`]), beside the resolves, and the
/// filtered read waits for that fetch too: the calendar I/O does not wait for the people, only
/// the filtering does.
fn read_plan(q: &Question, start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Plan {
    let mut steps = resolve_steps(q);
    let mut read = read_params(q, start, end, tz);
    if !steps.is_empty() {
        let mut fetch = read.clone();
        if let Some(params) = fetch.as_object_mut() {
            params.remove("attendees");
            params.insert("limit".into(), json!(1));
        }
        steps.push(Step {
            id: FETCH_STEP.into(),
            capability: Capability::CalendarRead.name().into(),
            params: fetch,
            depends_on: Vec::new(),
        });
        // The window the fetch read (the same one), defaulting to itself: a failed fetch only
        // loses the head start, never the filtered read.
        for end in ["start", "end"] {
            let own = read[end].take();
            read[end] = json!({"$ref": format!("{FETCH_STEP}/window/{end}"), "default": own});
        }
    }
    let depends_on = steps.iter().map(|s| s.id.clone()).collect();
    steps.push(Step {
        id: READ_STEP.into(),
        capability: Capability::CalendarRead.name().into(),
        params: read,
        depends_on,
    });
    Plan { steps }
}

/// One `contacts.resolve` step per person, `person_1`, `person_2`, …
fn resolve_steps(q: &Question) -> Vec<Step> {
    q.people
        .iter()
        .enumerate()
        .map(|(k, person)| Step {
            id: format!("person_{}", k + 1),
            capability: Capability::ContactsResolve.name().into(),
            params: json!({"query": person}),
            depends_on: Vec::new(),
        })
        .collect()
}

/// `calendar.read` params for `[start, end)`: attendees as `$ref`s to the resolve steps (with the
/// name as said for a default), and the topic as `text`.
fn read_params(q: &Question, start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Value {
    let mut read = json!({
        "start": format_instant(start, tz),
        "end": format_instant(end, tz),
        "timezone": tz.name(),
    });
    let attendees: Vec<Value> = q
        .people
        .iter()
        .enumerate()
        .map(|(k, person)| json!({"$ref": format!("person_{}/resolved/emails", k + 1), "default": person}))
        .collect();
    if !attendees.is_empty() {
        read["attendees"] = Value::Array(attendees);
    }
    if let Some(topic) = &q.topic {
        read["text"] = Value::String(topic.clone());
    }
    read
}

/// The window a question reads: the one it names, else today (from its start) and the
/// following days, [`DEFAULT_LOOKAHEAD_DAYS`] in all.
fn question_window(q: &Question, now: DateTime<Tz>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    match &q.window {
        Some(w) => (w.start.with_timezone(&Utc), w.end.with_timezone(&Utc)),
        None => day_window(now, tz, DEFAULT_LOOKAHEAD_DAYS as u64),
    }
}

/// The working hours a free-time question searches: the configured ones; when its window has no
/// working time on working days (a weekend day asked for by name) the same hours on every day;
/// when it has none at all (an evening) the whole window.
pub fn question_hours(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz, hours: &WorkHours) -> WorkHours {
    let Some(window) = kenny_domain::slots::Interval::new(start, end) else { return *hours };
    if !kenny_domain::slots::working_time(window, tz, hours).is_empty() {
        return *hours;
    }
    let every_day = WorkHours { days: [true; 7], ..*hours };
    if !kenny_domain::slots::working_time(window, tz, &every_day).is_empty() {
        return every_day;
    }
    WorkHours::ALWAYS
}

/// The busy-time steps over `window`: the user's (`freebusy_me`) and, per person, a resolve
/// (`person_k`) and a read (`freebusy_k`) — all without explicit dependencies, so they start at
/// once and each read waits only for its own person. Also the `busy` `$ref`s for `slots.find`,
/// each defaulting to "unknown" so a failed read never makes anyone look free.
fn busy_steps(q: &Question, window: &Value) -> (Vec<Step>, Vec<Value>) {
    let mut steps = vec![Step {
        id: "freebusy_me".into(),
        capability: Capability::CalendarFreeBusy.name().into(),
        params: window.clone(),
        depends_on: Vec::new(),
    }];
    let unknown = |who: &str| json!({"people": [], "unknown": [who]});
    let mut busy = vec![json!({"$ref": "freebusy_me", "default": unknown(crate::calendar::freebusy::ME)})];
    for (resolve, (k, person)) in resolve_steps(q).into_iter().zip(q.people.iter().enumerate()) {
        let read = format!("freebusy_{}", k + 1);
        let mut params = window.clone();
        params["attendees"] = json!([{"$ref": format!("{}/resolved/emails", resolve.id), "default": person}]);
        params["include_self"] = json!(false);
        busy.push(json!({"$ref": read, "default": unknown(person)}));
        steps.push(resolve);
        steps.push(Step {
            id: read,
            capability: Capability::CalendarFreeBusy.name().into(),
            params,
            depends_on: Vec::new(),
        });
    }
    (steps, busy)
}

/// The plan for a free-time question: the user's busy time is read while every person is
/// resolved (all at once); each person's busy time is read as soon as they are resolved; then
/// `slots.find` runs on all of them. The window starts no earlier than now. Each busy-time
/// `$ref` has a default that reports its person as unknown, so a failed read never makes anyone
/// look free.
pub fn availability_plan(q: &Question, a: &Availability, now: DateTime<Tz>, tz: Tz, hours: &WorkHours) -> Plan {
    let (start, end) = question_window(q, now, tz);
    let now_utc = now.with_timezone(&Utc);
    let start = if now_utc < end { start.max(now_utc) } else { start };
    let hours = question_hours(start, end, tz, hours);
    let window = json!({"start": format_instant(start, tz), "end": format_instant(end, tz), "timezone": tz.name()});
    let (mut steps, busy) = busy_steps(q, &window);
    let mut params = window;
    params["duration_minutes"] = json!(a.duration_minutes.unwrap_or(DEFAULT_MEETING_MINUTES));
    params["busy"] = Value::Array(busy);
    params["hours"] = json!(hours.hours_text());
    params["days"] = json!(hours.days_text());
    params["max_results"] = json!(if a.first { 1 } else { QUESTION_SLOTS });
    steps.push(Step {
        id: "slots".into(),
        capability: Capability::SlotsFind.name().into(),
        params,
        depends_on: Vec::new(),
    });
    Plan { steps }
}

/// The plan's shape, the report's key for pairing sequential and concurrent runs of the same
/// kind of request: the steps grouped by dependency level (a step without dependencies is level
/// 0, any other one more than its deepest dependency), each level its capabilities in name order
/// with a count (`contacts.resolve*2`, joined by `+`), levels joined by `>`, then `@` and the
/// window kind when the request was a question. Made only of capability names, counts and the
/// fixed window-kind vocabulary: never step ids, names or params.
pub fn plan_shape(plan: &ValidPlan, window_kind: Option<&str>) -> String {
    let n = plan.steps.len();
    let mut level = vec![None::<usize>; n];
    // Validated acyclic: each pass settles at least one more step.
    for _ in 0..n {
        for i in 0..n {
            if level[i].is_none() {
                let deps: Option<Vec<usize>> = plan.steps[i].deps.iter().map(|&d| level[d]).collect();
                level[i] = deps.map(|d| d.into_iter().max().map_or(0, |m| m + 1));
            }
        }
    }
    let depth = level.iter().flatten().max().map_or(0, |m| m + 1);
    let mut levels = vec![std::collections::BTreeMap::<&str, usize>::new(); depth];
    for (i, step) in plan.steps.iter().enumerate() {
        if let Some(l) = level[i] {
            *levels[l].entry(step.capability.name()).or_default() += 1;
        }
    }
    let mut shape = levels
        .iter()
        .map(|caps| {
            caps.iter()
                .map(|(c, k)| if *k == 1 { (*c).to_string() } else { format!("{c}*{k}") })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect::<Vec<_>>()
        .join(">");
    if let Some(kind) = window_kind {
        shape.push('@');
        shape.push_str(kind);
    }
    shape
}

/// The kind of window a question asked for, for the timing record: a fixed vocabulary, never
/// the question's own words.
/// The kind of window a question asked for, as timing records keep it (never its words).
pub fn window_kind(q: &Question) -> String {
    const KINDS: [&str; 14] = [
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "this week",
        "next week",
        "last week",
        "this weekend",
        "next weekend",
        "this month",
        "next month",
        "last month",
        "this morning",
        "this afternoon",
    ];
    match &q.window {
        None => "default".into(),
        Some(w) => {
            let phrase = w.phrase.trim().to_lowercase();
            KINDS.iter().find(|k| phrase == **k).map(|k| k.replace(' ', "_")).unwrap_or_else(|| "other".into())
        }
    }
}
