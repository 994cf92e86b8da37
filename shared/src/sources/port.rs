//! The source ports — [`CalendarSource`] and [`ContactDirectory`] — with what every adapter
//! shares: the values they return, item parsing, the network client and credentials, a network
//! source's address, and URL redaction. Adapters (`sources/*.rs`) build on this; nothing here
//! names an adapter.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::contacts::Contact;
use crate::ical::ParsedCalendar;
use crate::time::Window;

// Below both the adapters here and the DAV client they use; re-exported where callers look.
pub use crate::reading::{Busy, MAX_COLLECTIONS, MAX_FILE_BYTES, MAX_ITEMS_PER_COLLECTION, SourceError};

/// Where a cached answer came from: the tier names of timing records and responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
    let parsed = crate::ical::parse(text);
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
    let (contacts, skipped) = crate::contacts::parse_vcards(text);
    loaded.contacts.extend(contacts);
    loaded.skipped.extend(skipped.into_iter().map(|s| SkippedItem {
        collection: collection.to_string(),
        item: item.to_string(),
        code: s.code.to_string(),
        message: s.message,
    }));
}

/// What network sources share: the process's HTTP client and credentials.
#[derive(Debug, Clone)]
pub struct Network {
    /// The shared client.
    pub http: Arc<crate::http::Http>,
    /// DAV and feed credentials.
    pub credentials: Arc<crate::secrets::Credentials>,
}

/// A network source's address: the URL to fetch (no user-info), the user name for Basic
/// authentication, and the form errors show.
#[derive(Debug, Clone)]
pub struct Target {
    /// What is fetched.
    pub url: reqwest::Url,
    /// The URL's user name, if any.
    pub user: Option<String>,
    /// The redacted form for errors and logs.
    pub display: String,
}

impl Target {
    /// The `Authorization` header for it, if credentials are held.
    pub fn authorization(&self, net: &Network) -> Option<reqwest::header::HeaderValue> {
        net.credentials.authorization(self.url.host_str().unwrap_or(""), self.user.as_deref().unwrap_or(""))
    }
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
