//! ICS feeds (`https://…`, `webcal://…`): one calendar per URL, fetched with a conditional GET
//! (`If-None-Match` / `If-Modified-Since` from the last reply), gzip accepted, the body capped by
//! the HTTP client. An unchanged feed (304) is served from the copy parsed before, reported as
//! `validated`. Concurrent reads of one feed in a container wait for one fetch.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::HeaderValue;

use super::{Network, Target};
use crate::http::{Http, Request};
use kenny_domain::ical::ParsedCalendar;
use kenny_domain::time::Window;
use kenny_ports::sources::{CacheTier, CalendarInfo, CalendarSource, Fetched, SkippedItem, SourceError};

/// The last good copy of a feed and its validators.
#[derive(Debug)]
struct Copy {
    etag: Option<String>,
    last_modified: Option<String>,
    parsed: Arc<ParsedCalendar>,
    skipped: Vec<SkippedItem>,
}

/// One ICS feed.
#[derive(Debug)]
pub struct FeedCalendar {
    http: Arc<Http>,
    target: Target,
    auth: Option<HeaderValue>,
    id: String,
    copy: tokio::sync::Mutex<Option<Copy>>,
}

impl FeedCalendar {
    /// The feed `target` names. Its id is the file name without `.ics` (or the host).
    pub fn new(net: &Network, target: Target) -> Self {
        let last = target.url.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
        let stem = last.strip_suffix(".ics").unwrap_or(last);
        let id = if stem.is_empty() { target.url.host_str().unwrap_or("feed").to_string() } else { stem.to_string() };
        FeedCalendar { http: net.http.clone(), auth: target.authorization(net), target, id, copy: Default::default() }
    }

    fn error(&self, status: u16) -> SourceError {
        SourceError::Status { source_id: self.target.display.clone(), status, what: "the feed".into() }
    }
}

#[async_trait]
impl CalendarSource for FeedCalendar {
    fn identity(&self) -> String {
        self.target.url.to_string()
    }

    fn describe(&self) -> String {
        self.target.display.clone()
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
        Ok(vec![CalendarInfo {
            id: self.id.clone(),
            name: self.id.clone(),
            locator: self.target.display.clone(),
            version: None,
        }])
    }

    async fn fetch(&self, calendar: &CalendarInfo, _window: &Window) -> Result<Fetched, SourceError> {
        let mut copy = self.copy.lock().await;
        let mut req = Request::new(Method::GET, self.target.url.clone(), self.target.display.clone())
            .header("accept", "text/calendar, */*;q=0.5");
        req.auth = self.auth.clone();
        if let Some(c) = copy.as_ref() {
            if let Some(etag) = &c.etag {
                req = req.header("if-none-match", etag);
            }
            if let Some(lm) = &c.last_modified {
                req = req.header("if-modified-since", lm);
            }
        }
        let reply = self.http.send(&req).await.map_err(|error| SourceError::Http { error })?;
        match (reply.status, copy.as_ref()) {
            (304, Some(c)) => {
                return Ok(Fetched {
                    items: vec![c.parsed.clone()],
                    skipped: c.skipped.clone(),
                    cache: CacheTier::Validated,
                    ..Fetched::default()
                });
            }
            (200..=299, _) => {}
            (status, _) => return Err(self.error(status)),
        }
        let id = calendar.id.clone();
        let text = reply.text();
        let kept = text.clone();
        let (parsed, skipped) =
            tokio::task::spawn_blocking(move || kenny_ports::sources::parse_calendar_item(&id, "", &text))
                .await
                .map_err(|e| SourceError::BadReply {
                    source_id: self.target.display.clone(),
                    message: format!("parsing failed: {e}"),
                })?;
        let validator = |name: &str| reply.header(name).map(str::to_string);
        *copy = Some(Copy {
            etag: validator("etag"),
            last_modified: validator("last-modified"),
            parsed: parsed.clone(),
            skipped: skipped.clone(),
        });
        Ok(Fetched {
            items: vec![parsed],
            skipped,
            cache: CacheTier::Miss,
            texts: vec![(String::new(), kept)],
            delta: None,
        })
    }
}
