//! What reading any source shares, below the source adapters (`sources/`) and the CalDAV/CardDAV
//! client (`dav/`) that both use it: [`SourceError`], the limits on what one source may hold, and
//! busy intervals as a server reports them.

use crate::error::ErrorCode;

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
    Http { error: crate::http::HttpError },
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
