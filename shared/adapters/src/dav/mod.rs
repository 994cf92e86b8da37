//! A CalDAV/CardDAV account: discovery (RFC 4791, 6352, 6764 without DNS), collection listing,
//! and the reports that read items. The sources in [`kenny_ports::sources`] build on it.
//!
//! Discovery, once per container: `/.well-known/caldav` (or `carddav`) when the URL names the
//! server root, else the URL itself; PROPFIND `current-user-principal`, then the principal's
//! `calendar-home-set` / `addressbook-home-set`. A URL that is itself a calendar or address book
//! is read as that one collection; a server without principals has the URL used as the home (as
//! vdirsyncer does). The home's Depth 1 listing (display name, resource type, supported
//! components, and `getctag`, `sync-token` unless the caller needs no tokens) is fetched on every
//! read, so a calendar added on the server appears on the next read, and the tokens say what
//! changed. Address books are read whole in one report ([`Account::book`]) and then by deltas.

mod freebusy;
pub mod xml;

pub use freebusy::{MAX_FREE_BUSY_PERIODS, parse_free_busy};

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use reqwest::header::HeaderValue;
use reqwest::{Method, Url};

use crate::http::{Http, Request};
use kenny_ports::sources::SourceError;
use xml::{CALDAV, CARDDAV, CS, DAV, Multistatus, Response};

/// Most hrefs per multiget request.
pub const MULTIGET_BATCH: usize = 200;
/// Multiget requests in flight per collection.
pub const MULTIGET_CONCURRENCY: usize = 4;
/// How many times a truncated (507) calendar-query is split in halves before giving up.
pub const MAX_SPLITS: u32 = 4;
/// Slack added to both ends of a queried time range: the server may read floating and all-day
/// events in another zone than the request (UTC-12 to UTC+14), and Kenny filters exactly anyway.
pub const RANGE_SLACK_HOURS: i64 = 26;
/// Most changes a `sync-collection` delta is used for; more, and one time-range query is cheaper.
pub const MAX_DELTA: usize = 500;

/// Which protocol an account speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Calendars.
    CalDav,
    /// Address books.
    CardDav,
}

impl Protocol {
    fn well_known(self) -> &'static str {
        match self {
            Protocol::CalDav => "/.well-known/caldav",
            Protocol::CardDav => "/.well-known/carddav",
        }
    }

    fn namespace(self) -> &'static str {
        match self {
            Protocol::CalDav => CALDAV,
            Protocol::CardDav => CARDDAV,
        }
    }

    fn collection_type(self) -> &'static str {
        match self {
            Protocol::CalDav => "calendar",
            Protocol::CardDav => "addressbook",
        }
    }

    fn home_set(self) -> &'static str {
        match self {
            Protocol::CalDav => "calendar-home-set",
            Protocol::CardDav => "addressbook-home-set",
        }
    }

    fn other(self) -> Protocol {
        match self {
            Protocol::CalDav => Protocol::CardDav,
            Protocol::CardDav => Protocol::CalDav,
        }
    }

    fn data(self) -> &'static str {
        match self {
            Protocol::CalDav => "calendar-data",
            Protocol::CardDav => "address-data",
        }
    }
}

/// Where discovery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// A home set: its children are the collections.
    Set(Url),
    /// The URL is itself one collection.
    Collection(Url),
}

/// What the calendar and contact sources of one account (same start URL and credentials) share
/// in a process: discovery — one pass finds both home sets when the principal names them — and
/// the home listings, each reused for `grace` (one request when both ask at once).
#[derive(Default)]
pub struct Shared {
    grace: std::time::Duration,
    /// Held by the one discovery under way.
    discovering: tokio::sync::Mutex<()>,
    /// Homes found so far: calendars, address books.
    homes: std::sync::Mutex<[Option<Home>; 2]>,
    /// Listings by depth, URL and properties, with when they were answered.
    listings: tokio::sync::Mutex<HashMap<String, (tokio::time::Instant, Listed)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("grace", &self.grace).finish_non_exhaustive()
    }
}

/// A listing's multistatus and the URL that answered it.
type Listed = Arc<(Multistatus, Url)>;

fn slot(p: Protocol) -> usize {
    match p {
        Protocol::CalDav => 0,
        Protocol::CardDav => 1,
    }
}

impl Shared {
    fn found(&self, p: Protocol) -> Option<Home> {
        self.homes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[slot(p)].clone()
    }

    fn record(&self, p: Protocol, home: Home) {
        self.homes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[slot(p)] = Some(home);
    }
}

/// The process's accounts, so that sources of one account share a [`Shared`]. Keys hold the
/// credentials' header value in memory only; `Debug` shows only how many there are.
#[derive(Default)]
pub struct Accounts {
    grace: std::time::Duration,
    by_key: std::sync::Mutex<HashMap<String, Arc<Shared>>>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.by_key.lock().map(|m| m.len()).unwrap_or(0);
        f.debug_struct("Accounts").field("grace", &self.grace).field("accounts", &n).finish()
    }
}

impl Accounts {
    /// No account yet; listings are reused for `grace` (the cache's grace period).
    pub fn new(grace: std::time::Duration) -> Self {
        Accounts { grace, by_key: std::sync::Mutex::new(HashMap::new()) }
    }

    /// What the account starting at `start` with `auth` shares (configured sources only: bounded).
    pub fn shared(&self, start: &Url, auth: Option<&HeaderValue>) -> Arc<Shared> {
        let key = format!(
            "{start}\n{}",
            auth.map(|a| String::from_utf8_lossy(a.as_bytes()).into_owned()).unwrap_or_default()
        );
        let mut map = self.by_key.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(key).or_insert_with(|| Arc::new(Shared { grace: self.grace, ..Shared::default() })).clone()
    }
}

/// One calendar or address book on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Absolute URL.
    pub url: Url,
    /// Stable id: the last path segment, decoded.
    pub id: String,
    /// `displayname`, else the id.
    pub name: String,
    /// `getctag`, when offered.
    pub ctag: Option<String>,
    /// `sync-token`, when offered.
    pub sync_token: Option<String>,
}

impl Collection {
    /// A token that changes whenever the collection's content does (`sync-token`, else `getctag`).
    pub fn version(&self) -> Option<&str> {
        self.sync_token.as_deref().or(self.ctag.as_deref())
    }
}

/// One item read from a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its href (absolute path).
    pub href: String,
    /// `getetag`, when given.
    pub etag: Option<String>,
    /// The iCalendar or vCard text.
    pub data: String,
}

/// What reading a collection produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    /// Items with their data.
    pub items: Vec<Item>,
    /// Items the server listed but would not give: (href, status).
    pub missing: Vec<(String, u16)>,
    /// The server cut the result short (507) even after splitting the range.
    pub truncated: bool,
}

/// What a `sync-collection` report said changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Changed or new items, with their data.
    pub items: Items,
    /// Hrefs (absolute paths) of removed items.
    pub removed: Vec<String>,
    /// The token the report ended at: the next delta starts there.
    pub token: Option<String>,
}

/// A whole address book, and the token its content is at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Book {
    /// Every card.
    pub items: Items,
    /// A `sync-token` no newer than the cards (`None`: the server offers none), for deltas.
    pub token: Option<String>,
}

/// A DAV account reached through the shared HTTP client.
#[derive(Debug)]
pub struct Account {
    http: Arc<Http>,
    protocol: Protocol,
    start: Url,
    auth: Option<HeaderValue>,
    display: String,
    home: tokio::sync::OnceCell<Home>,
    shared: Arc<Shared>,
    /// The server gives no `address-data` in a `sync-collection` (Xandikos): whole address books
    /// are read with one `addressbook-query` instead.
    query_books: std::sync::atomic::AtomicBool,
}

impl Account {
    /// An account starting at `start` (no credentials in it), authenticating with `auth`, named
    /// `display` in errors, sharing discovery and listings through `shared`.
    pub fn new(
        http: Arc<Http>,
        protocol: Protocol,
        start: Url,
        auth: Option<HeaderValue>,
        display: String,
        shared: Arc<Shared>,
    ) -> Self {
        Account {
            http,
            protocol,
            start,
            auth,
            display,
            home: tokio::sync::OnceCell::new(),
            shared,
            query_books: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The name errors use for it (no credentials).
    pub fn display(&self) -> &str {
        &self.display
    }

    fn request(&self, method: &[u8], url: Url, depth: Option<&str>, body: String) -> Request {
        let method = Method::from_bytes(method).unwrap_or(Method::GET);
        let mut req = Request::new(method, url, self.display.clone())
            .header("content-type", "application/xml; charset=utf-8")
            .body(body);
        if let Some(d) = depth {
            req = req.header("depth", d);
        }
        req.auth = self.auth.clone();
        req
    }

    fn status_error(&self, status: u16, what: &str) -> SourceError {
        SourceError::Status { source_id: self.display.clone(), status, what: what.to_string() }
    }

    /// Sends a PROPFIND or REPORT and reads the 207 reply; the URL that answered comes back too.
    async fn multistatus(&self, req: Request, what: &str) -> Result<(Multistatus, Url), SourceError> {
        let reply = self.http.send(&req).await.map_err(|error| SourceError::Http { error })?;
        if reply.status != 207 {
            return Err(self.status_error(reply.status, what));
        }
        let ms = xml::multistatus(&reply.text())
            .map_err(|e| SourceError::BadReply { source_id: self.display.clone(), message: format!("{what}: {e}") })?;
        Ok((ms, reply.url))
    }

    async fn propfind(
        &self,
        url: Url,
        depth: &str,
        props: &str,
        what: &str,
    ) -> Result<(Multistatus, Url), SourceError> {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="{CALDAV}" xmlns:card="{CARDDAV}" xmlns:cs="{CS}"><d:prop>{props}</d:prop></d:propfind>"#
        );
        self.multistatus(self.request(b"PROPFIND", url, Some(depth), body), what).await
    }

    /// The home set or collection, discovered once per container (a failure is retried next
    /// time); a home the account's other protocol found on the way is taken as it is.
    async fn home(&self) -> Result<&Home, SourceError> {
        self.home
            .get_or_try_init(|| async {
                let _one = self.shared.discovering.lock().await;
                if let Some(home) = self.shared.found(self.protocol) {
                    return Ok(home);
                }
                let (mine, other) = self.discover().await?;
                self.shared.record(self.protocol, mine.clone());
                if let Some(other) = other {
                    self.shared.record(self.protocol.other(), other);
                }
                Ok(mine)
            })
            .await
    }

    /// This protocol's home, and the other protocol's home set when the same answers name it.
    async fn discover(&self) -> Result<(Home, Option<Home>), SourceError> {
        let p = self.protocol;
        let o = p.other();
        let props = "<d:current-user-principal/><d:resourcetype/><c:calendar-home-set/><card:addressbook-home-set/>";
        let other_home = |r: &Response, at: &Url| r.prop_href(o.namespace(), o.home_set()).and_then(|h| join(at, h));
        let mut candidates = Vec::new();
        if let (true, Ok(u)) = (self.start.path() == "/", self.start.join(p.well_known())) {
            candidates.push((u, true));
        }
        candidates.push((self.start.clone(), false));
        let mut last_error = None;
        for (url, well_known) in candidates {
            let (ms, answered) = match self.propfind(url, "0", props, "discovery").await {
                Ok(found) => found,
                // A server without the well-known URL: fall back to the URL as given.
                Err(e @ SourceError::Status { status, .. }) if well_known && !matches!(status, 401 | 403) => {
                    last_error = Some(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let Some(resp) = ms.responses.first() else {
                last_error = Some(SourceError::BadReply {
                    source_id: self.display.clone(),
                    message: "discovery: an empty multistatus".into(),
                });
                continue;
            };
            let here = join(&answered, &resp.href).unwrap_or_else(|| answered.clone());
            if resp.has_type(p.namespace(), p.collection_type()) {
                return Ok((Home::Collection(here), None));
            }
            if let Some(home) = resp.prop_href(p.namespace(), p.home_set()).and_then(|h| join(&answered, h)) {
                return Ok((Home::Set(home), other_home(resp, &answered).map(Home::Set)));
            }
            if let Some(principal) = resp.prop_href(DAV, "current-user-principal").and_then(|h| join(&answered, h)) {
                let (pms, at) = self.propfind(principal.clone(), "0", props, "principal").await?;
                let first = pms.responses.first();
                let home = first.and_then(|r| r.prop_href(p.namespace(), p.home_set())).and_then(|h| join(&at, h));
                let other = first.and_then(|r| other_home(r, &at)).map(Home::Set);
                return Ok((Home::Set(home.unwrap_or(principal)), other));
            }
            // No principal support: the URL is the home.
            return Ok((Home::Set(here), None));
        }
        Err(last_error.unwrap_or_else(|| self.status_error(404, "discovery")))
    }

    /// The collections of the account with their tokens, listed now (one PROPFIND on the home
    /// set).
    pub async fn collections(&self) -> Result<Vec<Collection>, SourceError> {
        self.list("<d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><c:supported-calendar-component-set/>")
            .await
    }

    /// The collections of the account without their tokens (`ctag` and `sync_token` are `None`):
    /// one PROPFIND the server answers without computing a token (Radicale hashes every item
    /// for one), to find what to read.
    pub async fn collections_untokened(&self) -> Result<Vec<Collection>, SourceError> {
        self.list("<d:resourcetype/><d:displayname/><c:supported-calendar-component-set/>").await
    }

    async fn list(&self, props: &str) -> Result<Vec<Collection>, SourceError> {
        let p = self.protocol;
        let home = self.home().await?.clone();
        let (url, depth) = match &home {
            Home::Set(u) => (u.clone(), "1"),
            Home::Collection(u) => (u.clone(), "0"),
        };
        let listed = self.listing(url, depth, props).await?;
        let (ms, answered) = (&listed.0, &listed.1);
        let mut out = Vec::new();
        for r in &ms.responses {
            if !r.has_type(p.namespace(), p.collection_type()) || !holds_events(p, r) {
                continue;
            }
            let Some(url) = join(answered, &r.href) else { continue };
            let id = last_segment(&url);
            let name = r.prop_text(DAV, "displayname").map(str::to_string).unwrap_or_else(|| id.clone());
            out.push(Collection {
                id,
                name,
                url,
                ctag: r.prop_text(CS, "getctag").map(str::to_string),
                sync_token: r.prop_text(DAV, "sync-token").map(str::to_string),
            });
            if out.len() >= kenny_ports::sources::MAX_COLLECTIONS {
                break;
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// A home listing: the one this account's sources got within the grace period, else asked
    /// now (when both sources ask at once, the second waits for the first's answer).
    async fn listing(&self, url: Url, depth: &str, props: &str) -> Result<Listed, SourceError> {
        let key = format!("{depth} {url} {props}");
        let mut listings = self.shared.listings.lock().await;
        if let Some((at, listed)) = listings.get(&key)
            && at.elapsed() < self.shared.grace
        {
            return Ok(listed.clone());
        }
        let asked = tokio::time::Instant::now();
        let listed = Arc::new(self.propfind(url, depth, props, "listing").await?);
        listings.insert(key, (asked, listed.clone()));
        Ok(listed)
    }

    /// The events of `collection` that may overlap `[start, end)`: one `calendar-query` with a
    /// time range (widened by [`RANGE_SLACK_HOURS`]); items returned without data are fetched
    /// with `calendar-multiget`; a 507 (the server's result limit) splits the range in halves.
    pub async fn events(
        &self,
        collection: &Collection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Items, SourceError> {
        let start = start - Duration::hours(RANGE_SLACK_HOURS);
        let end = end + Duration::hours(RANGE_SLACK_HOURS);
        let mut items = Items::default();
        let mut ranges = vec![(start, end, 0u32)];
        let mut seen = std::collections::HashSet::new();
        while let Some((s, e, splits)) = ranges.pop() {
            match self.query_range(collection, s, e).await? {
                Some(found) => {
                    for item in found.items {
                        if seen.insert(item.href.clone()) {
                            items.items.push(item);
                        }
                    }
                    items.missing.extend(found.missing);
                }
                None if splits < MAX_SPLITS && e - s > Duration::hours(2) => {
                    let mid = s + (e - s) / 2;
                    ranges.push((mid, e, splits + 1));
                    ranges.push((s, mid, splits + 1));
                }
                None => items.truncated = true,
            }
        }
        items.items.sort_by(|a, b| a.href.cmp(&b.href));
        Ok(items)
    }

    /// One calendar-query; `None` when the server says the result was truncated (507).
    async fn query_range(
        &self,
        collection: &Collection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<Items>, SourceError> {
        let fmt = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="{CALDAV}"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{}" end="{}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
            fmt(start),
            fmt(end)
        );
        let req = self.request(b"REPORT", collection.url.clone(), Some("1"), body);
        let (ms, answered) = match self.multistatus(req, "calendar-query").await {
            Ok(found) => found,
            Err(SourceError::Status { status: 507, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let truncated = ms
            .responses
            .iter()
            .any(|r| r.status == Some(507) && join(&answered, &r.href).is_some_and(|u| same_path(&u, &collection.url)));
        if truncated {
            return Ok(None);
        }
        self.complete(collection, &answered, ms.responses).await.map(Some)
    }

    /// The busy periods of `collection` in `[start, end)` as the server computes them: one
    /// `free-busy-query` REPORT (RFC 4791 §7.10), answered with a VFREEBUSY. Periods typed
    /// `FBTYPE=FREE` are left out; BUSY, BUSY-TENTATIVE and BUSY-UNAVAILABLE are busy. `None`
    /// when the server does not offer the report (400, 403, 405, 415, 501), so the caller reads
    /// the events instead.
    pub async fn free_busy(
        &self,
        collection: &Collection,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Option<Vec<kenny_ports::sources::Busy>>, SourceError> {
        let fmt = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><c:free-busy-query xmlns:c="{CALDAV}"><c:time-range start="{}" end="{}"/></c:free-busy-query>"#,
            fmt(start),
            fmt(end)
        );
        let req = self.request(b"REPORT", collection.url.clone(), Some("1"), body);
        let reply = self.http.send(&req).await.map_err(|error| SourceError::Http { error })?;
        match reply.status {
            200 => parse_free_busy(&reply.text())
                .map(Some)
                .map_err(|message| SourceError::BadReply { source_id: self.display.clone(), message }),
            400 | 403 | 405 | 415 | 501 => Ok(None),
            status => Err(self.status_error(status, "free-busy-query")),
        }
    }

    /// What changed in `collection` since `token` (RFC 6578 `sync-collection`, sync-level 1):
    /// changed or new items with their data (multiget), and the hrefs of removed ones. `None`
    /// when a delta is not to be had — the server refuses the token (expired, or not its own),
    /// truncates the report (507), or reports more than [`MAX_DELTA`] changes — and the caller
    /// reads the collection whole instead.
    ///
    /// For address books the cards' data is asked for in the report itself (Radicale gives it;
    /// members that come without it are multigot); for calendars the report lists etags only.
    pub async fn changes_since(&self, collection: &Collection, token: &str) -> Result<Option<Changes>, SourceError> {
        let req = self.sync_request(collection, Some(token));
        let (ms, answered) = match self.multistatus(req, "sync-collection").await {
            Ok(found) => found,
            // No delta to be had here: the caller reads it whole.
            Err(e) if refuses_sync(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if cut_short(&ms, &answered, collection) || ms.responses.len() > MAX_DELTA {
            return Ok(None);
        }
        let token = ms.sync_token;
        let (removed, changed): (Vec<Response>, Vec<Response>) =
            ms.responses.into_iter().partition(|r| matches!(r.status, Some(404 | 410)));
        let removed = removed
            .iter()
            .filter_map(|r| join(&answered, &r.href))
            .filter(|u| !same_path(u, &collection.url))
            .map(|u| u.path().to_string())
            .collect();
        // Members the report gives without data are multigot by `complete`.
        let items = self.complete(collection, &answered, changed).await?;
        Ok(Some(Changes { items, removed, token }))
    }

    /// A `sync-collection` REPORT from `token` (`None`: from the start, every member).
    fn sync_request(&self, collection: &Collection, token: Option<&str>) -> Request {
        let data = match self.protocol {
            Protocol::CardDav => "<card:address-data/>",
            Protocol::CalDav => "",
        };
        let token = token.map_or_else(
            || "<d:sync-token/>".to_string(),
            |t| format!("<d:sync-token>{}</d:sync-token>", xml::escape(t)),
        );
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:" xmlns:card="{CARDDAV}">{token}<d:sync-level>1</d:sync-level><d:prop><d:getetag/>{data}</d:prop></d:sync-collection>"#
        );
        // RFC 6578 §3.2: Depth 0; the sync-level says how deep.
        self.request(b"REPORT", collection.url.clone(), Some("0"), body)
    }

    /// A whole address book in as few round trips as the server allows: one `sync-collection`
    /// from no token asking for the cards' data (Radicale answers every card and the token at
    /// once); when the server gives members without data (Xandikos), one `addressbook-query`
    /// instead — then and from then on for this account, with the token of that first report,
    /// which the server answered before the query was sent. A server without `sync-collection`
    /// gets a token PROPFIND (Depth 0), then the query.
    pub async fn book(&self, collection: &Collection) -> Result<Book, SourceError> {
        use std::sync::atomic::Ordering;
        if !self.query_books.load(Ordering::Relaxed) {
            let req = self.sync_request(collection, None);
            match self.multistatus(req, "sync-collection").await {
                Ok((ms, answered)) => {
                    let cut = cut_short(&ms, &answered, collection);
                    let members: Vec<Response> = ms
                        .responses
                        .into_iter()
                        .filter(|r| join(&answered, &r.href).is_some_and(|u| !same_path(&u, &collection.url)))
                        .filter(|r| !matches!(r.status, Some(404 | 410)))
                        .collect();
                    let without_data = members.iter().filter(|r| r.prop(CARDDAV, "address-data").is_none()).count();
                    if !cut && (without_data == 0 || without_data < members.len()) {
                        let mut items = self.complete(collection, &answered, members).await?;
                        items.items.sort_by(|a, b| a.href.cmp(&b.href));
                        return Ok(Book { items, token: ms.sync_token });
                    }
                    if !cut {
                        // Every member came without its data: this server reads books by query.
                        self.query_books.store(true, Ordering::Relaxed);
                    }
                    let items = self.addressbook_query(collection).await?;
                    return Ok(Book { items, token: ms.sync_token.filter(|_| !cut) });
                }
                // No support (or refused): a token first, then the query.
                Err(e) if refuses_sync(&e) => {
                    self.query_books.store(true, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        let (ms, _) = self.propfind(collection.url.clone(), "0", "<d:sync-token/>", "token").await?;
        let token = ms.responses.first().and_then(|r| r.prop_text(DAV, "sync-token")).map(str::to_string);
        let items = self.addressbook_query(collection).await?;
        Ok(Book { items, token })
    }

    /// Every card of an address book with its data: one `addressbook-query` whose filter matches
    /// any card with an `FN`, `N` or `UID` (RFC 6352 §10.5: `anyof`; every vCard has an `FN`).
    async fn addressbook_query(&self, collection: &Collection) -> Result<Items, SourceError> {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><card:addressbook-query xmlns:d="DAV:" xmlns:card="{CARDDAV}"><d:prop><d:getetag/><card:address-data/></d:prop><card:filter test="anyof"><card:prop-filter name="FN"/><card:prop-filter name="N"/><card:prop-filter name="UID"/></card:filter></card:addressbook-query>"#
        );
        let req = self.request(b"REPORT", collection.url.clone(), Some("1"), body);
        let (ms, answered) = self.multistatus(req, "addressbook-query").await?;
        let members = ms
            .responses
            .into_iter()
            .filter(|r| join(&answered, &r.href).is_some_and(|u| !same_path(&u, &collection.url)))
            .collect();
        let mut items = self.complete(collection, &answered, members).await?;
        items.items.sort_by(|a, b| a.href.cmp(&b.href));
        Ok(items)
    }

    /// Keeps responses that carry data, multigets the ones that do not, and records the ones the
    /// server refused per item.
    async fn complete(
        &self,
        collection: &Collection,
        base: &Url,
        responses: Vec<Response>,
    ) -> Result<Items, SourceError> {
        let p = self.protocol;
        let mut items = Items::default();
        let mut wanted = Vec::new();
        for r in responses.into_iter().take(kenny_ports::sources::MAX_ITEMS_PER_COLLECTION) {
            let Some(url) = join(base, &r.href) else { continue };
            if same_path(&url, &collection.url) {
                continue;
            }
            match (r.prop_text(p.namespace(), p.data()), r.status) {
                (Some(data), _) => items.items.push(Item {
                    href: url.path().to_string(),
                    etag: r.prop_text(DAV, "getetag").map(str::to_string),
                    data: data.to_string(),
                }),
                (None, Some(status)) if !(200..300).contains(&status) => {
                    items.missing.push((url.path().to_string(), status));
                }
                (None, _) => wanted.push(url.path().to_string()),
            }
        }
        let batches: Vec<Vec<String>> = wanted.chunks(MULTIGET_BATCH).map(<[String]>::to_vec).collect();
        let results: Vec<Result<Items, SourceError>> = futures::stream::iter(batches)
            .map(|hrefs| self.multiget(collection, hrefs))
            .buffer_unordered(MULTIGET_CONCURRENCY)
            .collect()
            .await;
        for r in results {
            let got = r?;
            items.items.extend(got.items);
            items.missing.extend(got.missing);
        }
        Ok(items)
    }

    async fn multiget(&self, collection: &Collection, hrefs: Vec<String>) -> Result<Items, SourceError> {
        let p = self.protocol;
        let (report, prefix) = match p {
            Protocol::CalDav => ("calendar-multiget", "c"),
            Protocol::CardDav => ("addressbook-multiget", "card"),
        };
        let refs: String = hrefs.iter().map(|h| format!("<d:href>{}</d:href>", xml::escape(h))).collect();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><{prefix}:{report} xmlns:d="DAV:" xmlns:{prefix}="{ns}"><d:prop><d:getetag/><{prefix}:{data}/></d:prop>{refs}</{prefix}:{report}>"#,
            ns = p.namespace(),
            data = p.data(),
        );
        let req = self.request(b"REPORT", collection.url.clone(), Some("1"), body);
        let (ms, answered) = self.multistatus(req, report).await?;
        let mut items = Items::default();
        for r in ms.responses {
            let Some(url) = join(&answered, &r.href) else { continue };
            match r.prop_text(p.namespace(), p.data()) {
                Some(data) => items.items.push(Item {
                    href: url.path().to_string(),
                    etag: r.prop_text(DAV, "getetag").map(str::to_string),
                    data: data.to_string(),
                }),
                None => items.missing.push((url.path().to_string(), r.status.unwrap_or(404))),
            }
        }
        Ok(items)
    }
}

/// Whether a calendar collection may hold VEVENTs (no component set means any).
fn holds_events(p: Protocol, r: &Response) -> bool {
    if p != Protocol::CalDav {
        return true;
    }
    match r.prop(CALDAV, "supported-calendar-component-set") {
        Some(set) if set.children.iter().any(|c| c.is(CALDAV, "comp")) => {
            comp_names(set).iter().any(|n| n.eq_ignore_ascii_case("VEVENT"))
        }
        _ => true,
    }
}

/// The `name` attributes of a component set's `comp` children.
fn comp_names(set: &xml::Element) -> Vec<String> {
    set.children_named(CALDAV, "comp").filter_map(|c| c.attr("name").map(str::to_string)).collect()
}

/// Resolves an href against the URL that answered.
fn join(base: &Url, href: &str) -> Option<Url> {
    base.join(href.trim()).ok()
}

/// Whether a `sync-collection` report `answered` for `collection` says the server cut it short
/// (a 507 on the collection itself).
fn cut_short(ms: &Multistatus, answered: &Url, collection: &Collection) -> bool {
    ms.responses
        .iter()
        .any(|r| r.status == Some(507) && join(answered, &r.href).is_some_and(|u| same_path(&u, &collection.url)))
}

/// Whether a `sync-collection` failed in a way that means "no delta here" rather than an error:
/// 403/409 (the token is refused), 400/415/501 (no support), 507 (truncated).
fn refuses_sync(e: &SourceError) -> bool {
    matches!(e, SourceError::Status { status: 400 | 403 | 409 | 415 | 501 | 507, .. })
}

/// Whether two URLs name the same collection (trailing slash ignored).
fn same_path(a: &Url, b: &Url) -> bool {
    a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
}

/// The last non-empty path segment, percent-decoded: a collection's id.
fn last_segment(url: &Url) -> String {
    let seg = url.path().trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let decoded = percent_decode(seg);
    if decoded.is_empty() { url.host_str().unwrap_or("dav").to_string() } else { decoded }
}

/// Decodes `%XX` escapes (invalid UTF-8 replaced); anything else is kept as is.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_last_segment() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(last_segment(&u("https://x.org/kenny/work/")), "work");
        assert_eq!(last_segment(&u("https://x.org/cal/Team%20%C3%A9t%C3%A9")), "Team été");
        assert_eq!(last_segment(&u("https://x.org/")), "x.org");
        assert!(same_path(&u("https://x.org/a/b/"), &u("https://x.org/a/b")));
    }
}
