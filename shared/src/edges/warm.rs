//! Predictive warming (L3): the `warm` function, run on a schedule, reads the timing table's
//! recent request records — which hold the *kind* of window each question asked for and when,
//! never its words — picks the window kinds people are most likely to ask for in the coming hour,
//! and reads every calendar for those windows, so that the shared cache (L2) holds them before
//! anyone asks.
//!
//! The pick: request records of the last [`LOOKBACK_DAYS`] days whose window kind is a named one
//! (`next_week`, `tomorrow`, …; `other` is never warmed), scored by how many were made in the
//! same local hour of day as now or the next one (in `KENNY_TIMEZONE`); kinds with a score of at
//! least [`MIN_SCORE`] are kept, highest first (ties: more requests overall, then the name), at
//! most [`TOP`]. Each kind's window is computed exactly as a question of that kind asked now
//! would compute it (the same parser and planner), so the cache keys match.

use std::sync::Arc;

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde_json::Value;

use crate::capabilities::calendar::{CalendarService, ReadRequest};
use crate::capabilities::coordinate::READ_STEP;
use crate::domain::error::ApiError;
use crate::domain::plan::Capability;
use crate::ports::timing::{RecordKind, TimingRecord, TimingStore};
use crate::wiring::app::{AppError, calendar_service, network};
use crate::wiring::config::Config;

/// How far back request records are read.
pub const LOOKBACK_DAYS: i64 = 7;
/// Fewest matching requests for a kind to be warmed.
pub const MIN_SCORE: usize = 2;
/// Most window kinds warmed per run.
pub const TOP: usize = 3;

/// One window kind the warmer chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pick {
    /// The window kind (`next_week`, `tomorrow`, `default`, …).
    pub kind: String,
    /// Requests of this kind in this hour or the next, over the lookback.
    pub score: usize,
    /// Requests of this kind at any hour.
    pub total: usize,
}

/// Chooses what to warm from `records` as of `now` (see the module documentation).
pub fn pick(records: &[TimingRecord], now: DateTime<Tz>) -> Vec<Pick> {
    let since = now.with_timezone(&Utc) - Duration::days(LOOKBACK_DAYS);
    let hours = [now.hour(), (now.hour() + 1) % 24];
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = std::collections::BTreeMap::new();
    for r in records {
        let Some(kind) = r.window_kind.as_deref() else { continue };
        if r.kind != RecordKind::Request || kind == "other" || r.at < since || r.at > now.with_timezone(&Utc) {
            continue;
        }
        let entry = by_kind.entry(kind).or_default();
        entry.1 += 1;
        if hours.contains(&r.at.with_timezone(&now.timezone()).hour()) {
            entry.0 += 1;
        }
    }
    let mut picks: Vec<Pick> = by_kind
        .into_iter()
        .filter(|(_, (score, _))| *score >= MIN_SCORE)
        .map(|(kind, (score, total))| Pick { kind: kind.to_string(), score, total })
        .collect();
    picks.sort_by(|a, b| b.score.cmp(&a.score).then(b.total.cmp(&a.total)).then(a.kind.cmp(&b.kind)));
    picks.truncate(TOP);
    picks
}

/// The `calendar.read` params a question of window kind `kind` asked at `now` would use, without
/// its people or topic filters (the cache key does not depend on them).
pub fn read_params(kind: &str, now: DateTime<Tz>, tz: Tz) -> Option<ReadRequest> {
    let question = match kind {
        "default" => "meetings".to_string(),
        "other" => return None,
        k => format!("meetings {}", k.replace('_', " ")),
    };
    let parsed = crate::domain::question::parse(&question, now).ok()?;
    if crate::capabilities::coordinate::window_kind(&parsed) != kind {
        return None;
    }
    let plan = crate::capabilities::coordinate::question_plan(&parsed, now, tz);
    let step = plan.steps.into_iter().find(|s| s.id == READ_STEP)?;
    let mut req: ReadRequest = serde_json::from_value(step.params).ok()?;
    req.attendees.clear();
    req.text = None;
    Some(req)
}

/// What one warming run did.
#[derive(Debug, Clone, Serialize)]
pub struct WarmReport {
    /// The moment it warmed for.
    pub now: String,
    /// Request records read.
    pub records: usize,
    /// The kinds chosen, best first.
    pub picked: Vec<Pick>,
    /// Per kind: the window read and each calendar's cache tier (or the read's error).
    pub reads: Vec<Value>,
}

/// The warm function's state: the calendar capability (with the shared cache) and the timings.
/// Only the calendar's: nothing here reaches the contacts capability, so the function does not
/// link it.
#[derive(Debug)]
pub struct Warmer {
    calendar: CalendarService,
    timings: Arc<dyn TimingStore>,
    tz: Tz,
}

impl Warmer {
    /// From configuration (`KENNY_CALENDARS`, `KENNY_CACHE`, `KENNY_TIMINGS`, `KENNY_TIMEZONE`).
    pub async fn init(config: &Config) -> Result<Self, AppError> {
        let net = network(config, &[Capability::CalendarRead]).await?;
        let calendar = calendar_service(config, &net).await?;
        let timings = crate::adapters::timing::open_store(&config.timings).await?;
        Ok(Self::new(calendar, timings, config.timezone))
    }

    /// From parts (tests). The warmer reads at the versions the source lists now
    /// ([`CalendarService::current_versions`]): what it stores is of use only at those.
    pub fn new(calendar: CalendarService, timings: Arc<dyn TimingStore>, tz: Tz) -> Self {
        Warmer { calendar: calendar.current_versions(), timings, tz }
    }

    /// Picks and reads the windows to warm as of `now`.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<WarmReport, ApiError> {
        let local = now.with_timezone(&self.tz);
        let records = self
            .timings
            .query(now - Duration::days(LOOKBACK_DAYS), now + Duration::minutes(1))
            .await
            .map_err(|e| ApiError::from_error(&e))?;
        let picked = pick(&records, local);
        let mut reads = Vec::new();
        for p in &picked {
            let Some(req) = read_params(&p.kind, local, self.tz) else { continue };
            let window = serde_json::json!({"start": req.start, "end": req.end});
            let read = match self.calendar.read(&req, None).await {
                Ok(resp) => {
                    let tiers: Vec<Value> = resp
                        .calendars
                        .iter()
                        .map(|c| serde_json::json!({"calendar": c.id, "cache": c.cache, "error": c.error}))
                        .collect();
                    serde_json::json!({"kind": p.kind, "window": window, "calendars": tiers})
                }
                Err(e) => serde_json::json!({"kind": p.kind, "window": window, "error": ApiError::from_error(&e)}),
            };
            reads.push(read);
        }
        tracing::info!(records = records.len(), picked = picked.len(), "warming run");
        Ok(WarmReport { now: now.to_rfc3339(), records: records.len(), picked, reads })
    }
}

/// Handles one invocation: an EventBridge scheduled event (its `time` is the moment warmed for),
/// or a direct invoke `{"now": RFC 3339}`; anything else warms for the current time.
pub async fn handle(warmer: &Warmer, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let (payload, ctx) = event.into_parts();
    let span = tracing::info_span!("invoke", request_id = %ctx.request_id, function = "warm");
    let _enter = span.enter();
    let now = ["now", "time"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    match warmer.run(now).await {
        Ok(report) => Ok(serde_json::to_value(report).unwrap_or(Value::Null)),
        Err(e) => Err(Diagnostic { error_type: format!("NonRetryable.{}", e.code), error_message: e.message }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(at: &str, kind: &str) -> TimingRecord {
        TimingRecord {
            kind: RecordKind::Request,
            capability: "coordinate".into(),
            at: DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc),
            window_kind: Some(kind.into()),
            ..TimingRecord::default()
        }
    }

    #[test]
    fn picks_the_kinds_asked_at_this_hour_over_the_last_week() {
        let ny = chrono_tz::America::New_York;
        let now = DateTime::parse_from_rfc3339("2026-11-27T08:55:00-05:00").unwrap().with_timezone(&ny);
        let mut records = Vec::new();
        // Every weekday morning at 8–9 someone asks about today; at 9 about next week.
        for day in 20..=26 {
            records.push(request(&format!("2026-11-{day}T08:10:00-05:00"), "today"));
            records.push(request(&format!("2026-11-{day}T09:20:00-05:00"), "next_week"));
            // Evenings: tomorrow (not this hour).
            records.push(request(&format!("2026-11-{day}T20:00:00-05:00"), "tomorrow"));
            records.push(request(&format!("2026-11-{day}T20:05:00-05:00"), "tomorrow"));
        }
        records.push(request("2026-11-26T08:30:00-05:00", "other"));
        records.push(request("2026-11-26T08:31:00-05:00", "other"));
        records.push(request("2026-11-10T08:30:00-05:00", "this_month")); // older than the lookback
        records.push(request("2026-11-26T08:40:00-05:00", "this_weekend")); // once: below the minimum
        let picked = pick(&records, now);
        let kinds: Vec<(&str, usize)> = picked.iter().map(|p| (p.kind.as_str(), p.score)).collect();
        // The 20th's 08:10 request is just older than seven days.
        assert_eq!(kinds, vec![("next_week", 7), ("today", 6)]);
        assert!(pick(&[], now).is_empty());
    }

    #[test]
    fn windows_are_the_ones_questions_of_that_kind_use() {
        let ny = chrono_tz::America::New_York;
        let now = DateTime::parse_from_rfc3339("2026-11-27T10:00:00-05:00").unwrap().with_timezone(&ny);
        let p = serde_json::to_value(read_params("next_week", now, ny).unwrap()).unwrap();
        assert_eq!(
            (p["start"].as_str().unwrap(), p["end"].as_str().unwrap()),
            ("2026-11-30T00:00:00-05:00", "2026-12-07T00:00:00-05:00")
        );
        assert!(p.get("attendees").is_none());
        assert!(read_params("tomorrow", now, ny).is_some());
        assert!(read_params("default", now, ny).is_some());
        assert!(read_params("other", now, ny).is_none());
        assert!(read_params("no_such_kind", now, ny).is_none());
    }
}
