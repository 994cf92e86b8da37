//! The adapters of the two source ports — [`CalendarSource`] and [`ContactDirectory`]:
//! `file://` folders and files, the bundled `sample:` data, CalDAV/CardDAV accounts
//! (`caldav+https://user@host/path/`, `carddav+https://…`, `+http` for local servers) and ICS
//! feeds (`https://…`, `webcal://…`). Source URLs come only from configuration (docs/contracts.md § Sources),
//! never from a request; credentials never come from a URL.
//!
//! The ports live in `ports::sources`; this module builds an adapter from a configured URL.

mod dav;
mod feed;
mod file;
mod sample;

use std::sync::Arc;

use kenny_ports::sources::{CalendarSource, ContactDirectory, SourceError, redact};

pub use dav::{DavCalendars, DavContacts};
pub use feed::FeedCalendar;
pub use file::{FileCalendars, FileContacts};
pub use sample::{SampleCalendars, SampleContacts};

/// What network sources share: the process's HTTP client and credentials, and per DAV account
/// its discovery and home listings.
#[derive(Debug, Clone)]
pub struct Network {
    /// The shared client.
    pub http: Arc<crate::http::Http>,
    /// DAV and feed credentials.
    pub credentials: Arc<crate::secrets::Credentials>,
    /// The DAV accounts' shared discovery and listings.
    pub accounts: Arc<crate::dav::Accounts>,
}

impl Network {
    /// Sources over `http` with `credentials`; a DAV account's home listing is reused by its
    /// calendar and contact sources for `grace` (the cache's grace period).
    pub fn new(
        http: Arc<crate::http::Http>,
        credentials: Arc<crate::secrets::Credentials>,
        grace: std::time::Duration,
    ) -> Self {
        Network { http, credentials, accounts: Arc::new(crate::dav::Accounts::new(grace)) }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use kenny_domain::error::ErrorCode as _;

    #[test]
    fn redaction_drops_credentials() {
        assert_eq!(redact("caldav+https://me:secret@dav.example.com/cal/"), "caldav+https://dav.example.com/cal/");
        assert_eq!(redact("https://tok@x.org"), "https://x.org");
        assert_eq!(redact("file:///tmp/a"), "file:///tmp/a");
    }

    fn net() -> Network {
        Network::new(
            Arc::new(crate::http::Http::new(crate::http::HttpOptions::default()).unwrap()),
            Arc::new(crate::secrets::Credentials::none()),
            std::time::Duration::ZERO,
        )
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
