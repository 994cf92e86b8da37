//! The source ports — [`CalendarSource`] and [`ContactDirectory`] — with what every adapter
//! shares: the values they return, item parsing, [`SourceError`] and [`HttpError`], the limits on
//! what one source may hold, busy intervals as a server reports them, and URL redaction. The
//! adapters (`adapters::sources`, `adapters::dav`, `adapters::http`) build on this; nothing here
//! names an adapter.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use kenny_domain::contacts::Contact;
use kenny_domain::error::ErrorCode;
use kenny_domain::ical::ParsedCalendar;
use kenny_domain::time::Window;

/// Where a cached answer came from: the tier names of timing records and responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheTier {
    /// Read from the source.
    #[default]
    Miss,
    /// Served from this process's memory.
    L1,
    /// Served from the shared cache.
    L2,
    /// Served from a cache after the source confirmed it unchanged.
    Validated,
}

impl CacheTier {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            CacheTier::Miss => "miss",
            CacheTier::L1 => "l1",
            CacheTier::L2 => "l2",
            CacheTier::Validated => "validated",
        }
    }

    /// Which of two tiers cost more: a read's tier is the slowest any part of it needed
    /// (`miss`, then `validated`, `l2`, `l1`).
    pub fn slower(self, other: Self) -> Self {
        let rank = |t: Self| match t {
            CacheTier::Miss => 0,
            CacheTier::Validated => 1,
            CacheTier::L2 => 2,
            CacheTier::L1 => 3,
        };
        if rank(other) < rank(self) { other } else { self }
    }
}

/// One calendar a source holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarInfo {
    /// Stable id: the collection folder's or file's name.
    pub id: String,
    /// Display name (`displayname` file, X-WR-CALNAME, or the id).
    pub name: String,
    /// Where the source finds it again (a path, a sample key); never shown to users.
    pub locator: String,
    /// A token that changes whenever the calendar's content does (a DAV `sync-token`/`getctag`,
    /// a fingerprint of the item files' sizes and times); `None` when the source has none.
    pub version: Option<String>,
}

/// An item that could not be used, reported in the response rather than failing it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SkippedItem {
    /// The calendar or address book it belongs to.
    pub collection: String,
    /// The item's file name (or UID when the file held many).
    pub item: String,
    /// Stable code (`malformed_item`, `too_large`, `unreadable`).
    pub code: String,
    /// What was wrong.
    pub message: String,
}

/// What a calendar fetch produced.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// Parsed item files (shared so caches can hold them).
    pub items: Vec<Arc<ParsedCalendar>>,
    /// Items that could not be read or parsed.
    pub skipped: Vec<SkippedItem>,
    /// Which tier answered.
    pub cache: CacheTier,
    /// Every item's label and text as read, in `items` order, for the shared cache; empty when
    /// the source does not keep them (then nothing is shared).
    pub texts: Vec<(String, String)>,
    /// Set when the read fetched only what changed since an earlier read (CalDAV sync-collection).
    pub delta: Option<Delta>,
}

/// What a delta read fetched: items changed (or added) and items removed since the earlier read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Delta {
    /// Items fetched again because they changed or are new.
    pub changed: usize,
    /// Items the server reported as removed.
    pub removed: usize,
}

/// An earlier read of the same calendar and window, handed to [`CalendarSource::refetch`].
#[derive(Debug, Clone)]
pub struct Earlier {
    /// The calendar's version it was read at.
    pub version: Option<String>,
    /// What was read (items and skipped items).
    pub fetched: Fetched,
    /// Every item's label and text, in `fetched.items` order.
    pub texts: Arc<Vec<(String, String)>>,
}

/// A place calendars come from.
#[async_trait]
pub trait CalendarSource: Send + Sync + std::fmt::Debug {
    /// The source as errors and logs may name it (no credentials, no secret paths).
    fn describe(&self) -> String;
    /// The calendars it holds.
    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError>;
    /// The calendars it holds without their versions, when the source lists them much more
    /// cheaply so (a CalDAV server may hash every item for a token); `Ok(None)`: it cannot, and
    /// [`CalendarSource::calendars`] is the listing.
    async fn calendars_unversioned(&self) -> Result<Option<Vec<CalendarInfo>>, SourceError> {
        Ok(None)
    }
    /// The items of one calendar that may overlap `window` (a source may return more).
    async fn fetch(&self, calendar: &CalendarInfo, window: &Window) -> Result<Fetched, SourceError>;
    /// Whether `fetch` depends on the window (a DAV time-range query) rather than returning the
    /// whole calendar; caches key windowed reads by window.
    fn windowed(&self) -> bool {
        false
    }
    /// What identifies the source in cache keys (never shown; may hold a feed's secret path).
    fn identity(&self) -> String {
        self.describe()
    }
    /// Whether [`CalendarSource::refetch`] can use an earlier read (then caches keep the item
    /// texts beside the parsed items).
    fn incremental(&self) -> bool {
        false
    }
    /// The calendar again after its version changed, given an earlier read of the same window;
    /// a source that can ask for the changes alone (CalDAV `sync-collection`) overrides this.
    async fn refetch(
        &self,
        calendar: &CalendarInfo,
        window: &Window,
        earlier: &Earlier,
    ) -> Result<Fetched, SourceError> {
        let _ = earlier;
        self.fetch(calendar, window).await
    }
    /// The busy periods of one calendar in `window` as the server computes them (CalDAV
    /// `free-busy-query`); `Ok(None)` when the source cannot ask (files, feeds, a server without
    /// the report), and the caller reads the events instead.
    async fn free_busy(&self, calendar: &CalendarInfo, window: &Window) -> Result<Option<Vec<Busy>>, SourceError> {
        let _ = (calendar, window);
        Ok(None)
    }
}

/// What an address book load produced.
#[derive(Debug, Clone, Default)]
pub struct LoadedContacts {
    /// Every usable contact.
    pub contacts: Vec<Contact>,
    /// Cards that could not be read or parsed.
    pub skipped: Vec<SkippedItem>,
    /// The directory's version these contacts are at (`None`: it never changes), for
    /// [`ContactDirectory::reload_if_changed`].
    pub version: Option<String>,
}

/// A place contacts come from.
#[async_trait]
pub trait ContactDirectory: Send + Sync + std::fmt::Debug {
    /// The source as errors and logs may name it (no credentials, no secret paths).
    fn describe(&self) -> String;
    /// Every contact it holds.
    async fn load(&self) -> Result<LoadedContacts, SourceError>;

    /// The contacts again if they changed since `known` (the version an earlier load returned),
    /// else `None` — after one cheap check, and with the listing of that check reused for the
    /// reload. Directories whose loads carry no version (files, the sample: read once per
    /// process) are never asked.
    async fn reload_if_changed(&self, known: &str) -> Result<Option<LoadedContacts>, SourceError> {
        let _ = known;
        Ok(None)
    }
}

/// Parses one calendar item, reporting its malformed parts as skipped items labelled
/// `item (UID)` within `collection`.
pub fn parse_calendar_item(collection: &str, item: &str, text: &str) -> (Arc<ParsedCalendar>, Vec<SkippedItem>) {
    let parsed = kenny_domain::ical::parse(text);
    let skipped = parsed
        .skipped
        .iter()
        .map(|s| SkippedItem {
            collection: collection.to_string(),
            item: match (&s.uid, item.is_empty()) {
                (Some(uid), false) => format!("{item} ({uid})"),
                (Some(uid), true) => uid.clone(),
                (None, _) => item.to_string(),
            },
            code: s.code.to_string(),
            message: s.message.clone(),
        })
        .collect();
    (Arc::new(parsed), skipped)
}

/// Parses one vCard file or resource into `loaded`, reporting unusable cards as skipped items.
pub fn parse_card_item(collection: &str, item: &str, text: &str, loaded: &mut LoadedContacts) {
    let (contacts, skipped) = kenny_domain::contacts::parse_vcards(text);
    loaded.contacts.extend(contacts);
    loaded.skipped.extend(skipped.into_iter().map(|s| SkippedItem {
        collection: collection.to_string(),
        item: item.to_string(),
        code: s.code.to_string(),
        message: s.message,
    }));
}

/// A URL as it may appear in errors and logs: any user-info (credentials) removed.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.chars().take(200).collect();
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let sep = if rest.contains('/') { "/" } else { "" };
    format!("{scheme}://{host}{sep}{path}").chars().take(200).collect()
}

/// Largest item file read from a folder; bigger files are skipped and reported.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most item files read from one collection.
pub const MAX_ITEMS_PER_COLLECTION: usize = 100_000;
/// Most collections one source may hold.
pub const MAX_COLLECTIONS: usize = 500;

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The URL's scheme or form is not one Kenny reads.
    #[error("source {url}: {reason}")]
    BadUrl { url: String, reason: String },
    /// The folder or file does not exist.
    #[error("source {source_id}: not found")]
    NotFound { source_id: String },
    /// Reading failed.
    #[error("source {source_id}: {error}")]
    Io { source_id: String, error: std::io::Error },
    /// The HTTP exchange failed (refused destination, no connection, timeout, body too large).
    #[error("source {error}")]
    Http { error: HttpError },
    /// The server answered with an unexpected status.
    #[error("source {source_id}: {what} answered HTTP {status}")]
    Status { source_id: String, status: u16, what: String },
    /// The server's reply could not be read.
    #[error("source {source_id}: {message}")]
    BadReply { source_id: String, message: String },
    /// The source took longer than the time allowed.
    #[error("source {source_id}: no answer within {millis} ms")]
    Timeout { source_id: String, millis: u128 },
}

impl ErrorCode for SourceError {
    fn code(&self) -> &'static str {
        match self {
            SourceError::BadUrl { .. } => "invalid_config",
            SourceError::NotFound { .. } => "source_not_found",
            SourceError::Io { .. } => "source_unreachable",
            SourceError::Http { error } => error.code(),
            SourceError::Status { status: 401 | 403, .. } => "source_auth_failed",
            SourceError::Status { status: 404 | 410, .. } => "source_not_found",
            SourceError::Status { status: 429, .. } => "source_throttled",
            SourceError::Status { status: 500.., .. } => "source_unreachable",
            SourceError::Status { .. } | SourceError::BadReply { .. } => "source_bad_reply",
            SourceError::Timeout { .. } => "timeout",
        }
    }
    fn status(&self) -> u16 {
        match self.code() {
            "invalid_config" => 500,
            "timeout" => 504,
            _ => 502,
        }
    }
}

/// A busy period `[start, end)` as a server reports it.
pub type Busy = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// Why a request failed. `url` is always the caller's display form.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The destination is not allowed (scheme, private address, downgrade, too many redirects).
    #[error("{url}: refused: {reason}")]
    Refused { url: String, reason: String },
    /// No connection or no complete reply.
    #[error("{url}: unreachable: {message}")]
    Unreachable { url: String, message: String },
    /// The time allowed ran out.
    #[error("{url}: no reply within {millis} ms")]
    Timeout { url: String, millis: u128 },
    /// The body was larger than the cap.
    #[error("{url}: reply larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// The server kept throttling (429/503) past the time allowed.
    #[error("{url}: HTTP {status} (throttled or unavailable) after {attempts} attempts")]
    Throttled { url: String, status: u16, attempts: u32 },
}

impl HttpError {
    /// The stable code sources report for it.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::Refused { .. } => "source_refused",
            HttpError::Unreachable { .. } | HttpError::Throttled { .. } => "source_unreachable",
            HttpError::Timeout { .. } => "timeout",
            HttpError::TooLarge { .. } => "source_bad_reply",
        }
    }
}

/// Calendars read at once.
pub const READ_CONCURRENCY: usize = 8;
