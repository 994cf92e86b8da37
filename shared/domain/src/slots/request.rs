//! The `slots.find` request and response as JSON carries them, and turning a request into a
//! checked [`Query`](super::Query) with the configured defaults.

use crate::error::ApiError;
use crate::time::{TimeArg, TimeError, format_instant, parse_zone};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    DEFAULT_GRANULARITY_MINUTES, DEFAULT_RESULTS, Interval, MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES, MAX_INTERVALS,
    MAX_PARTICIPANTS, MAX_RESULTS, MAX_WINDOW_DAYS, Query, SlotsError, WorkHours, find, invalid, parse_days,
    parse_hours,
};

/// Defaults for what a request leaves out (from configuration): 09:00–17:00, Monday to Friday,
/// no buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotDefaults {
    /// Working hours and days.
    pub hours: WorkHours,
    /// Buffer between meetings, minutes.
    pub buffer: u32,
}

/// A `slots.find` request.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsRequest {
    /// Window start: a date or an RFC 3339 date-time.
    pub start: String,
    /// Window end (exclusive).
    pub end: String,
    /// IANA zone of the working hours, the grid and the output (default: the configured zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Meeting length, minutes.
    pub duration_minutes: u32,
    /// Busy sets: `calendar.freebusy` responses, `{"person", "busy"}` objects, or bare lists of
    /// `{"start", "end"}`.
    #[serde(default)]
    pub busy: Vec<BusyInput>,
    /// Working hours `HH:MM-HH:MM` (default: configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// Working days, e.g. `mon-fri` (default: configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<String>,
    /// Minutes kept free before and after every busy interval (default: configuration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer_minutes: Option<u32>,
    /// Slot starts fall on local minutes divisible by this: 1, 5, 10, 15, 20, 30 or 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity_minutes: Option<u32>,
    /// Most slots listed (1–100, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<usize>,
}

/// An interval as JSON carries it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
pub struct IntervalOut {
    /// RFC 3339.
    pub start: String,
    /// RFC 3339, exclusive.
    pub end: String,
}

/// One participant's busy intervals.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
pub struct PersonBusy {
    /// `me` for the user, else the address asked for.
    pub person: String,
    /// Busy intervals.
    pub busy: Vec<IntervalOut>,
}

/// A `calendar.freebusy` response as `slots.find` reads it (other fields are ignored).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
pub struct FreeBusyInput {
    /// Known people and their busy times.
    pub people: Vec<PersonBusy>,
    /// People whose calendars could not be read.
    #[serde(default)]
    pub unknown: Vec<String>,
}

/// One entry of `busy`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum BusyInput {
    /// A `calendar.freebusy` response.
    FreeBusy(FreeBusyInput),
    /// One person.
    Person(PersonBusy),
    /// Intervals of someone unnamed.
    Intervals(Vec<IntervalOut>),
}

/// A slot as the response shows it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SlotOut {
    /// Earliest start, RFC 3339 in the request's zone.
    pub start: String,
    /// Its end.
    pub end: String,
    /// The free period lasts until then.
    pub free_until: String,
}

/// The `slots.find` response.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SlotsResponse {
    /// Earliest first.
    pub slots: Vec<SlotOut>,
    /// More slots exist than were listed.
    pub truncated: bool,
    /// Meeting length, minutes.
    pub duration_minutes: u32,
    /// The window searched.
    pub window: IntervalOut,
    /// Zone of hours and output.
    pub timezone: String,
    /// Working hours used.
    pub hours: String,
    /// Working days used.
    pub days: String,
    /// Buffer used, minutes.
    pub buffer_minutes: u32,
    /// Whose busy times were taken into account, in input order.
    pub participants: Vec<String>,
    /// People whose calendars could not be read: the slots do not account for them.
    pub unknown: Vec<String>,
}

fn instant(value: &str, field: &'static str, tz: Tz) -> Result<DateTime<Utc>, SlotsError> {
    Ok(TimeArg::parse(value, field)?.to_utc(tz))
}

/// Checks a request and turns it into a [`Query`] and the busy intervals.
pub fn prepare(req: &SlotsRequest, defaults: &SlotDefaults, default_tz: Tz) -> Result<Prepared, SlotsError> {
    let tz = match &req.timezone {
        Some(z) => parse_zone(z, "timezone")?,
        None => default_tz,
    };
    let window = Interval::new(instant(&req.start, "start", tz)?, instant(&req.end, "end", tz)?)
        .ok_or(SlotsError::Time(TimeError::EndBeforeStart))?;
    if window.end - window.start > chrono::Duration::days(MAX_WINDOW_DAYS) {
        return Err(SlotsError::WindowTooLarge { days: (window.end - window.start).num_days() + 1 });
    }
    if req.duration_minutes == 0 || req.duration_minutes > MAX_DURATION_MINUTES {
        return Err(invalid("duration_minutes", format!("the duration must be 1 to {MAX_DURATION_MINUTES} minutes")));
    }
    let mut hours = defaults.hours;
    if let Some(h) = &req.hours {
        (hours.start, hours.end) = parse_hours(h)?;
    }
    if let Some(d) = &req.days {
        hours.days = parse_days(d)?;
    }
    let buffer = req.buffer_minutes.unwrap_or(defaults.buffer);
    if buffer > MAX_BUFFER_MINUTES {
        return Err(invalid("buffer_minutes", format!("the buffer is at most {MAX_BUFFER_MINUTES} minutes")));
    }
    let granularity = req.granularity_minutes.unwrap_or(DEFAULT_GRANULARITY_MINUTES);
    if ![1, 5, 10, 15, 20, 30, 60].contains(&granularity) {
        return Err(invalid("granularity_minutes", "granularity must be 1, 5, 10, 15, 20, 30 or 60 minutes"));
    }
    let max_results = req.max_results.unwrap_or(DEFAULT_RESULTS);
    if max_results == 0 || max_results > MAX_RESULTS {
        return Err(invalid("max_results", format!("max_results must be 1 to {MAX_RESULTS}")));
    }
    let mut sets: Vec<(Option<&str>, &[IntervalOut])> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for entry in &req.busy {
        match entry {
            BusyInput::FreeBusy(fb) => {
                sets.extend(fb.people.iter().map(|p| (Some(p.person.as_str()), p.busy.as_slice())));
                unknown.extend(fb.unknown.iter().cloned());
            }
            BusyInput::Person(p) => sets.push((Some(p.person.as_str()), p.busy.as_slice())),
            BusyInput::Intervals(list) => sets.push((None, list.as_slice())),
        }
        if sets.len() > MAX_PARTICIPANTS {
            return Err(SlotsError::TooLarge { what: "sets (people)", count: sets.len(), limit: MAX_PARTICIPANTS });
        }
    }
    let count: usize = sets.iter().map(|(_, l)| l.len()).sum();
    if count > MAX_INTERVALS {
        return Err(SlotsError::TooLarge { what: "intervals", count, limit: MAX_INTERVALS });
    }
    let mut busy = Vec::with_capacity(count);
    let mut participants: Vec<String> = Vec::new();
    for (who, list) in sets {
        if let Some(w) = who
            && !participants.iter().any(|p| p.eq_ignore_ascii_case(w))
        {
            participants.push(w.to_string());
        }
        for i in list {
            let (s, e) = (instant(&i.start, "busy", tz)?, instant(&i.end, "busy", tz)?);
            busy.extend(Interval::new(s, e));
        }
    }
    let mut seen = std::collections::HashSet::new();
    unknown.retain(|u| seen.insert(u.to_lowercase()));
    Ok(Prepared {
        query: Query { window, tz, duration: req.duration_minutes, hours, buffer, granularity, max_results },
        busy,
        participants,
        unknown,
    })
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The search.
    pub query: Query,
    /// Every participant's busy intervals.
    pub busy: Vec<Interval>,
    /// Who they belong to.
    pub participants: Vec<String>,
    /// Who could not be accounted for.
    pub unknown: Vec<String>,
}

/// Runs `slots.find` on JSON params (a plan step's, its `$ref`s resolved): the step capability
/// `coordinate` runs in process.
pub fn respond(params: Value, defaults: &SlotDefaults, default_tz: Tz) -> Result<SlotsResponse, ApiError> {
    let req: SlotsRequest = crate::error::parse_request(params)?;
    let p = prepare(&req, defaults, default_tz).map_err(|e| ApiError::from_error(&e))?;
    let found = find(&p.query, &p.busy);
    let tz = p.query.tz;
    let f = |t: DateTime<Utc>| format_instant(t, tz);
    let resp = SlotsResponse {
        slots: found
            .slots
            .iter()
            .map(|s| SlotOut { start: f(s.start), end: f(s.end), free_until: f(s.free_until) })
            .collect(),
        truncated: found.truncated,
        duration_minutes: p.query.duration,
        window: IntervalOut { start: f(p.query.window.start), end: f(p.query.window.end) },
        timezone: tz.name().to_string(),
        hours: p.query.hours.hours_text(),
        days: p.query.hours.days_text(),
        buffer_minutes: p.query.buffer,
        participants: p.participants,
        unknown: p.unknown,
    };
    Ok(resp)
}

/// [`respond`] answering JSON.
pub fn invoke(params: Value, defaults: &SlotDefaults, default_tz: Tz) -> Result<Value, ApiError> {
    let resp = respond(params, defaults, default_tz)?;
    serde_json::to_value(resp).map_err(|e| ApiError::internal(format!("could not encode the slots: {e}")))
}
