//! The two source ports — [`CalendarSource`] and [`ContactDirectory`] — and the adapters for
//! `file://` folders and files and for the bundled `sample:` data. Source URLs come only from
//! configuration (DESIGN.md §1), never from a request.

mod file;
mod sample;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use crate::contacts::Contact;
use crate::error::ErrorCode;
use crate::ical::ParsedCalendar;
use crate::time::Window;

pub use file::{FileCalendars, FileContacts};
pub use sample::{SampleCalendars, SampleContacts};

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
}

impl ErrorCode for SourceError {
    fn code(&self) -> &'static str {
        match self {
            SourceError::BadUrl { .. } => "invalid_config",
            SourceError::NotFound { .. } => "source_not_found",
            SourceError::Io { .. } => "source_unreachable",
        }
    }
    fn status(&self) -> u16 {
        match self {
            SourceError::BadUrl { .. } => 500,
            _ => 502,
        }
    }
}

/// Where a cached answer came from: the tier names of timing records and responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheTier {
    /// Read from the source.
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
}

/// An item that could not be used, reported in the response rather than failing it.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Parsed item files (shared so caches can hold them).
    pub items: Vec<Arc<ParsedCalendar>>,
    /// Items that could not be read or parsed.
    pub skipped: Vec<SkippedItem>,
    /// Which tier answered.
    pub cache: CacheTier,
}

/// A place calendars come from.
#[async_trait]
pub trait CalendarSource: Send + Sync + std::fmt::Debug {
    /// The calendars it holds.
    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError>;
    /// The items of one calendar that may overlap `window` (a source may return more).
    async fn fetch(&self, calendar: &CalendarInfo, window: &Window) -> Result<Fetched, SourceError>;
}

/// What an address book load produced.
#[derive(Debug, Clone, Default)]
pub struct LoadedContacts {
    /// Every usable contact.
    pub contacts: Vec<Contact>,
    /// Cards that could not be read or parsed.
    pub skipped: Vec<SkippedItem>,
}

/// A place contacts come from.
#[async_trait]
pub trait ContactDirectory: Send + Sync + std::fmt::Debug {
    /// Every contact it holds.
    async fn load(&self) -> Result<LoadedContacts, SourceError>;
}

/// The calendar source a configured URL names.
pub fn calendar_source(url: &str) -> Result<Arc<dyn CalendarSource>, SourceError> {
    match parse_url(url)? {
        Url::Sample(kind) if kind == "calendars" => Ok(Arc::new(SampleCalendars)),
        Url::File(path) => Ok(Arc::new(FileCalendars::new(path))),
        _ => Err(bad_url(url, "a calendar source is file:///path or sample:calendars")),
    }
}

/// The contact directory a configured URL names.
pub fn contact_directory(url: &str) -> Result<Arc<dyn ContactDirectory>, SourceError> {
    match parse_url(url)? {
        Url::Sample(kind) if kind == "contacts" => Ok(Arc::new(SampleContacts)),
        Url::File(path) => Ok(Arc::new(FileContacts::new(path))),
        _ => Err(bad_url(url, "a contact source is file:///path or sample:contacts")),
    }
}

enum Url {
    File(std::path::PathBuf),
    Sample(String),
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
    Err(bad_url(
        url,
        "unsupported scheme (file:// and sample: are read here; CalDAV, CardDAV and feeds arrive with issue 4)",
    ))
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

    #[test]
    fn redaction_drops_credentials() {
        assert_eq!(redact("caldav+https://me:secret@dav.example.com/cal/"), "caldav+https://dav.example.com/cal/");
        assert_eq!(redact("https://tok@x.org"), "https://x.org");
        assert_eq!(redact("file:///tmp/a"), "file:///tmp/a");
    }

    #[test]
    fn unknown_schemes_are_configuration_errors() {
        let err = calendar_source("ftp://me:pw@x/y").unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(!err.to_string().contains("pw"));
        assert!(calendar_source("file://relative").is_err());
        assert!(contact_directory("sample:calendars").is_err());
    }
}
