//! The two source ports — [`CalendarSource`] and [`ContactDirectory`] — and their adapters:
//! `file://` folders and files, the bundled `sample:` data, CalDAV/CardDAV accounts
//! (`caldav+https://user@host/path/`, `carddav+https://…`, `+http` for local servers) and ICS
//! feeds (`https://…`, `webcal://…`). Source URLs come only from configuration (docs/contracts.md § Sources),
//! never from a request; credentials never come from a URL.

mod dav;
mod feed;
mod file;
mod sample;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::contacts::Contact;
use crate::ical::ParsedCalendar;
use crate::time::Window;

pub use dav::{DavCalendars, DavContacts};
pub use feed::FeedCalendar;
pub use file::{FileCalendars, FileContacts};
pub use sample::{SampleCalendars, SampleContacts};
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
    /// The [`ContactDirectory::version`] these contacts are.
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

/// The calendar source a configured URL names.
pub fn calendar_source(url: &str, net: &Network) -> Result<Arc<dyn CalendarSource>, SourceError> {
    match parse_url(url)? {
        Url::Sample(kind) if kind == "calendars" => Ok(Arc::new(SampleCalendars { people: false })),
        Url::Sample(kind) if kind == "people" => Ok(Arc::new(SampleCalendars { people: true })),
        Url::File(path) => Ok(Arc::new(FileCalendars::new(path))),
        Url::Dav(crate::dav::Protocol::CalDav, target) => Ok(Arc::new(DavCalendars::new(net, target))),
        Url::Feed(target) => Ok(Arc::new(FeedCalendar::new(net, target))),
        _ => Err(bad_url(
            url,
            "a calendar source is caldav+https://user@host/path/, an https:// or webcal:// feed, file:///path, sample:calendars or sample:people",
        )),
    }
}

/// The contact directory a configured URL names.
pub fn contact_directory(url: &str, net: &Network) -> Result<Arc<dyn ContactDirectory>, SourceError> {
    match parse_url(url)? {
        Url::Sample(kind) if kind == "contacts" => Ok(Arc::new(SampleContacts)),
        Url::File(path) => Ok(Arc::new(FileContacts::new(path))),
        Url::Dav(crate::dav::Protocol::CardDav, target) => Ok(Arc::new(DavContacts::new(net, target))),
        _ => Err(bad_url(url, "a contact source is carddav+https://user@host/path/, file:///path or sample:contacts")),
    }
}

/// Whether a configured URL is read over the network (so credentials may be needed).
pub fn is_network(url: &str) -> bool {
    matches!(parse_url(url), Ok(Url::Dav(..) | Url::Feed(_)))
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

enum Url {
    File(std::path::PathBuf),
    Sample(String),
    Dav(crate::dav::Protocol, Target),
    Feed(Target),
}

fn parse_url(url: &str) -> Result<Url, SourceError> {
    if let Some(path) = url.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(bad_url(url, "file URLs need an absolute path: file:///home/me/calendars"));
        }
        return Ok(Url::File(path.into()));
    }
    if let Some(kind) = url.strip_prefix("sample:") {
        return Ok(Url::Sample(kind.to_string()));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad_url(url, "not a URL"))?;
    let (kind, http_scheme) = match scheme.to_ascii_lowercase().as_str() {
        "caldav+https" => (Some(crate::dav::Protocol::CalDav), "https"),
        "caldav+http" => (Some(crate::dav::Protocol::CalDav), "http"),
        "carddav+https" => (Some(crate::dav::Protocol::CardDav), "https"),
        "carddav+http" => (Some(crate::dav::Protocol::CardDav), "http"),
        "https" | "webcal" | "webcals" => (None, "https"),
        "http" => (None, "http"),
        _ => return Err(bad_url(url, "unsupported scheme")),
    };
    let mut parsed =
        reqwest::Url::parse(&format!("{http_scheme}://{rest}")).map_err(|e| bad_url(url, &e.to_string()))?;
    if parsed.password().is_some() {
        return Err(bad_url(
            url,
            "passwords never go in a source URL: set KENNY_DAV_PASSWORD (or KENNY_DAV_SECRET_ARN in Lambda)",
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad_url(url, "the URL has no host"));
    }
    // The URL parser percent-encodes an `@` inside the user name (me@example.com@host).
    let user = Some(crate::dav::percent_decode(parsed.username())).filter(|u| !u.is_empty());
    let _ = parsed.set_username("");
    match kind {
        Some(protocol) => {
            let display = redact(url);
            Ok(Url::Dav(protocol, Target { url: parsed, user, display }))
        }
        None => {
            let display = redact_feed(&parsed);
            Ok(Url::Feed(Target { url: parsed, user, display }))
        }
    }
}

/// A feed URL as errors and logs may show it. Feed URLs often carry a secret in the path or
/// query (`…/private-0123abcd/basic.ics`, `?token=…`): only the host and last segment are kept.
fn redact_feed(url: &reqwest::Url) -> String {
    let last = url.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    let middle = if url.path().trim_matches('/').contains('/') { "…/" } else { "" };
    format!("{}://{}/{middle}{last}", url.scheme(), url.host_str().unwrap_or(""))
}

fn bad_url(url: &str, reason: &str) -> SourceError {
    SourceError::BadUrl { url: redact(url), reason: reason.into() }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode as _;

    #[test]
    fn redaction_drops_credentials() {
        assert_eq!(redact("caldav+https://me:secret@dav.example.com/cal/"), "caldav+https://dav.example.com/cal/");
        assert_eq!(redact("https://tok@x.org"), "https://x.org");
        assert_eq!(redact("file:///tmp/a"), "file:///tmp/a");
    }

    fn net() -> Network {
        Network {
            http: Arc::new(crate::http::Http::new(crate::http::HttpOptions::default()).unwrap()),
            credentials: Arc::new(crate::secrets::Credentials::none()),
        }
    }

    #[test]
    fn unknown_schemes_and_passwords_in_urls_are_configuration_errors() {
        let net = net();
        let err = calendar_source("ftp://me:pw@x/y", &net).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(!err.to_string().contains("pw"));
        let err = calendar_source("caldav+https://me:hunter2@dav.example.com/", &net).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(calendar_source("file://relative", &net).is_err());
        assert!(contact_directory("sample:calendars", &net).is_err());
        assert!(contact_directory("https://x.org/a.ics", &net).is_err(), "feeds hold calendars");
        assert!(calendar_source("carddav+https://x.org/", &net).is_err());
    }

    #[test]
    fn network_urls_map_to_http_and_keep_the_user_apart() {
        let Ok(Url::Dav(crate::dav::Protocol::CalDav, t)) = parse_url("caldav+https://me@dav.example.com/cal/") else {
            panic!("a CalDAV URL")
        };
        assert_eq!(t.url.as_str(), "https://dav.example.com/cal/");
        assert_eq!(t.user.as_deref(), Some("me"));
        assert_eq!(t.display, "caldav+https://dav.example.com/cal/");
        let Ok(Url::Feed(t)) = parse_url("webcal://calendar.example.com/ical/private-0123abcd/basic.ics?token=s3")
        else {
            panic!("a feed")
        };
        assert_eq!(t.url.scheme(), "https");
        assert_eq!(t.display, "https://calendar.example.com/…/basic.ics");
        assert!(is_network("carddav+http://127.0.0.1:5232/") && !is_network("file:///x"));
        let Ok(Url::Dav(_, t)) = parse_url("caldav+https://me@example.com@caldav.example.com/") else {
            panic!("a user name with @")
        };
        assert_eq!((t.user.as_deref(), t.url.host_str()), (Some("me@example.com"), Some("caldav.example.com")));
    }
}
