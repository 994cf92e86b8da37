//! Radicale (a CalDAV and CardDAV server) started for a test and seeded over HTTP only, so Kenny's
//! DAV sources meet a real server: discovery, authentication, REPORTs, ETags and sync-tokens.
//!
//! What Radicale 3.9 does that a client meets (seen while writing this harness, and checked by
//! `tests/tests/radicale_harness.rs`):
//! - `/.well-known/caldav` and `/.well-known/carddav` answer `301 Moved Permanently` with the
//!   relative `Location: /`, without asking for credentials; every other `.well-known` path is 404.
//! - Everything else needs credentials: `PROPFIND /` without them is `401` with
//!   `WWW-Authenticate: Basic realm="Radicale - Password Required"`. With them, `current-user-principal`
//!   on `/` is `/kenny/`, and `/kenny/` is principal, `calendar-home-set` and `addressbook-home-set`
//!   at once (it is created on the user's first authenticated request). Another user's home is
//!   `403` even with valid credentials (`owner_only`).
//! - Collections carry `sync-token` (`http://radicale.org/ns/sync/<sha256>`, derived from the
//!   collection's content and history) and `CS:getctag` (equal to the collection's `getetag`, quoted);
//!   both change on every PUT and DELETE of an item. `sync-collection` REPORTs are supported.
//!   An item PUT answers `201` (new) or `204` (replaced) with a quoted `ETag`; DELETE answers `200`.
//! - `calendar-query` REPORTs honour `time-range` and expand recurrences for it (a weekly series
//!   whose first instance lies long before the range matches).
//! - A collection without a display name reports its path (`kenny/<id>`) as `displayname`; one
//!   without `supported-calendar-component-set` reports VTODO, VEVENT and VJOURNAL.
//! - Every stored item is re-serialised through Python's vobject: VTIMEZONEs are regenerated
//!   (other DTSTARTs, same rules), parameters are re-quoted, properties re-ordered. Compare meaning,
//!   not bytes, with what was PUT.
//! - Responses are HTTP/1.0 (`Connection: close`): no keep-alive.
//! - A PUT of one VCALENDAR (or a run of VCARDs) to a collection URL creates or replaces the whole
//!   collection: one item per UID (overrides stay with their series), named `<UID>.ics`/`<UID>.vcf`;
//!   `X-WR-CALNAME` becomes the display name, every other collection property is dropped, and the
//!   answer is `201` with an empty `ETag` header.
//! - By default Radicale sleeps 0.5–1.5 s before each 401/403 and 1 s before each 5xx; this
//!   harness sets both delays to 0.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

use crate::bundle::{calendar_bundle, vcard_bundle};
use crate::{Server, free_port, require};

/// The user the harness's Radicale knows (its collections live under `/kenny/`).
pub const DAV_USER: &str = "kenny";
/// [`DAV_USER`]'s password (htpasswd, plain).
pub const DAV_PASSWORD: &str = "kenny-secret-pw";

/// Longest one request to a test server may take: a hang guard, not an expectation (a
/// whole-collection PUT of 2,000 events takes Radicale about a minute on a busy two-core machine).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// Parallel PUTs when items cannot be bundled (Radicale's write lock serialises most of the
/// work; Xandikos commits each item to a git repository under a lock).
const PUT_THREADS: usize = 4;

/// A running Radicale with one user, [`DAV_USER`], and an empty storage folder of its own.
#[derive(Debug)]
pub struct Radicale {
    /// The process (stopped when this is dropped) and its log.
    pub server: Server,
    client: reqwest::blocking::Client,
    // After `server`: the storage outlives the process using it.
    dir: tempfile::TempDir,
}

/// Starts Radicale on a free loopback port: htpasswd authentication (plain), `owner_only`
/// rights, storage in a fresh temporary folder, its log in [`Server::log`], no TLS.
pub fn radicale() -> Radicale {
    let bin = require("radicale", "pip install radicale");
    let dir = tempfile::tempdir().expect("temporary folder for Radicale");
    let users = dir.path().join("users");
    std::fs::write(&users, format!("{DAV_USER}:{DAV_PASSWORD}\n")).expect("htpasswd file");
    let storage = dir.path().join("collections");
    let config = dir.path().join("config");
    // Radicale sleeps 0.5–1.5 s before a 401/403 and 1 s before a 5xx; tests that expect those
    // need not wait (the delays guard a public server against guessing, not clients).
    let text = format!(
        "[auth]\ntype = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\ndelay = 0\n\n\
         [rights]\ntype = owner_only\n\n\
         [server]\nssl = False\ndelay_on_error = 0\n\n\
         [logging]\nlevel = info\n",
        users.display()
    );
    std::fs::write(&config, text).expect("Radicale config file");
    let port = free_port();
    let mut cmd = stopped_with_this_process(&bin);
    cmd.env_remove("RADICALE_CONFIG")
        .arg("--config")
        .arg(&config)
        .arg("--hosts")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--storage-filesystem-folder")
        .arg(&storage);
    let server = Server::start(cmd, port, "radicale", Duration::from_secs(30));
    let client = http_client();
    Radicale { server, client, dir }
}

/// A command running `bin` under a small shell that stops it when this test process is gone, so
/// that a server kept in a `static` (never dropped) does not outlive the tests. Arguments added
/// to the command go to `bin`.
pub(crate) fn stopped_with_this_process(bin: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(
            r#""$0" "$@" & child=$!
trap 'kill $child 2>/dev/null' EXIT TERM INT
while kill -0 "$KENNY_TEST_PARENT" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done"#,
        )
        .arg(bin)
        .env("KENNY_TEST_PARENT", std::process::id().to_string());
    cmd
}

/// One HTTP exchange with Radicale.
#[derive(Debug, Clone)]
pub struct DavResponse {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Body as text (lossy).
    pub body: String,
}

impl DavResponse {
    /// A header's value, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics with the exchange unless the status is one of `ok`.
    pub(crate) fn expect_status(self, ok: &[u16], what: &str) -> Self {
        assert!(ok.contains(&self.status), "{what}: HTTP {} (expected {ok:?}):\n{}", self.status, self.body);
        self
    }
}

/// Which kind of collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    /// A CalDAV calendar (`calendars/<id>/*.ics` in a vdir).
    Calendar,
    /// A CardDAV address book (`contacts/<id>/*.vcf` in a vdir).
    AddressBook,
}

/// One collection [`Radicale::seed_vdir`] created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededCollection {
    /// Its id: the vdir folder name and the last segment of its URL.
    pub id: String,
    /// Calendar or address book.
    pub kind: CollectionKind,
    /// The vdir's `displayname`, if it had one.
    pub displayname: Option<String>,
    /// Item files PUT.
    pub items: usize,
    /// Whether it went up as one whole-collection PUT (else one PUT per item).
    pub bundled: bool,
}

/// What [`Radicale::seed_vdir`] did.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The collections, calendars first, each in name order.
    pub collections: Vec<SeededCollection>,
    /// How long seeding took (for the record, never for an assertion).
    pub elapsed: Duration,
}

impl Seeded {
    /// Items over all collections.
    pub fn items(&self) -> usize {
        self.collections.iter().map(|c| c.items).sum()
    }
}

impl Radicale {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// The user's principal and home: `http://127.0.0.1:PORT/kenny/`.
    pub fn home_url(&self) -> String {
        format!("{}/{DAV_USER}/", self.base_url())
    }

    /// A collection's URL: `http://127.0.0.1:PORT/kenny/<id>/`.
    pub fn collection_url(&self, id: &str) -> String {
        format!("{}{}/", self.home_url(), segment(id))
    }

    /// The calendar source URL Kenny's configuration takes (discovery starts at the root).
    pub fn caldav_source(&self) -> String {
        format!("caldav+http://{DAV_USER}@127.0.0.1:{}/", self.server.port)
    }

    /// The contact source URL Kenny's configuration takes (discovery starts at the root).
    pub fn carddav_source(&self) -> String {
        format!("carddav+http://{DAV_USER}@127.0.0.1:{}/", self.server.port)
    }

    /// Radicale's storage folder: for inspection only, seeding never writes into it.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("collections")
    }

    /// Sends `method` to `target` (a path such as `/kenny/work/` or a full URL) as [`DAV_USER`].
    /// Safe to call from async tests (the exchange runs on a thread of its own).
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> DavResponse {
        self.request_as(Some((DAV_USER, DAV_PASSWORD)), method, target, headers, body)
    }

    /// [`Radicale::request`] with other credentials, or none.
    pub fn request_as(
        &self,
        credentials: Option<(&str, &str)>,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> DavResponse {
        off_runtime(|| self.send(credentials, method, target, headers, body.as_bytes().to_vec()))
    }

    /// PROPFIND with `Depth: depth` and the given `<propfind>` body.
    pub fn propfind(&self, target: &str, depth: &str, body: &str) -> DavResponse {
        self.request("PROPFIND", target, &xml_headers(depth), body)
    }

    /// REPORT with `Depth: depth` and the given body (calendar-query, addressbook-query, sync-collection …).
    pub fn report(&self, target: &str, depth: &str, body: &str) -> DavResponse {
        self.request("REPORT", target, &xml_headers(depth), body)
    }

    /// Creates the calendar `/kenny/<id>/` (MKCALENDAR) holding events only.
    pub fn make_calendar(&self, id: &str, displayname: &str) {
        off_runtime(|| self.mkcalendar(id, Some(displayname)));
    }

    /// Creates the address book `/kenny/<id>/` (extended MKCOL).
    pub fn make_addressbook(&self, id: &str, displayname: &str) {
        off_runtime(|| self.mkaddressbook(id, Some(displayname)));
    }

    /// PUTs one item (`text/vcard` when `text` is a vCard, else `text/calendar`) as
    /// `/kenny/<collection>/<file_name>`; returns the new ETag (quoted, as sent).
    pub fn put_item(&self, collection: &str, file_name: &str, text: &str) -> String {
        off_runtime(|| self.put(collection, file_name, text))
    }

    /// Deletes `/kenny/<collection>/<file_name>`.
    pub fn delete_item(&self, collection: &str, file_name: &str) {
        let url = format!("{}{}", self.collection_url(collection), segment(file_name));
        off_runtime(|| self.request("DELETE", &url, &[], "").expect_status(&[200, 204], &format!("DELETE {url}")));
    }

    /// The collection's `sync-token` (PROPFIND Depth 0).
    pub fn sync_token(&self, collection: &str) -> String {
        self.collection_prop(collection, "<D:sync-token/>", "sync-token")
    }

    /// The collection's `CS:getctag` (PROPFIND Depth 0).
    pub fn ctag(&self, collection: &str) -> String {
        self.collection_prop(collection, "<CS:getctag/>", "getctag")
    }

    /// Creates every calendar and address book of a vdir tree as `kenny sample DIR` writes it
    /// (`calendars/<id>/*.ics` and `contacts/<id>/*.vcf`, each folder with an optional
    /// `displayname` file), with the same ids and display names, and PUTs every item — over HTTP.
    ///
    /// How: a collection whose files are each one VCALENDAR (or VCARD) of one UID, named
    /// `<UID>.ics` (`<UID>.vcf`), with no calendar properties beyond VERSION/PRODID/CALSCALE and
    /// one VTIMEZONE text per TZID, goes up as **one whole-collection PUT** (one VCALENDAR holding
    /// the VTIMEZONEs once and every component, or the vCards one after another), followed by a
    /// PROPPATCH of its display name and component set. Radicale stores one item per UID named
    /// `<UID>.ics` — the same hrefs the vdir has. Any other collection is created with
    /// MKCALENDAR/MKCOL and filled by item PUTs, 4 at a time. A whole-collection PUT replaces a
    /// collection of the same id that already exists.
    ///
    /// Why: Radicale's cost is per item (vobject re-serialises each one, regenerating its
    /// VTIMEZONE: about 20 ms of CPU per event, either way), but an item PUT also reads every item
    /// already in the collection to check the new UID is unique, under the write lock, so item
    /// PUTs slow down as a collection fills (measured: 250 PUTs took 5 s into an empty calendar
    /// and 19 s into one holding 1,000 — a 2,000-event calendar would take minutes on its own).
    /// Four parallel PUTs gained 5 %, a second Radicale process on the same storage nothing (the
    /// work is CPU in one Python process per request). The whole-collection PUT stays linear.
    ///
    /// Measured (debug harness, Radicale 3.9.0, 2 cores shared with another build): the bundled
    /// sample (4 calendars, 215 events; 200 contacts) seeds in 7–9 s; the benchmark size (5
    /// calendars, 10,015 events; 2,000 contacts) in 249 s (~25 ms per event, ~1 ms per contact).
    pub fn seed_vdir(&self, root: &Path) -> Seeded {
        let start = Instant::now();
        let mut collections = Vec::new();
        for (kind, folder, id) in vdir_tree(root) {
            assert!(
                !collections.iter().any(|c: &SeededCollection| c.id == id),
                "{}: a calendar and an address book cannot share the id {id:?} on one server",
                folder.display()
            );
            collections.push(off_runtime(|| self.seed_collection(&folder, &id, kind)));
        }
        Seeded { collections, elapsed: start.elapsed() }
    }

    fn seed_collection(&self, folder: &Path, id: &str, kind: CollectionKind) -> SeededCollection {
        let (displayname, files) = vdir_collection(folder, kind);
        let bundle = match kind {
            _ if files.is_empty() => None,
            CollectionKind::Calendar => calendar_bundle(&files),
            CollectionKind::AddressBook => vcard_bundle(&files),
        };
        let bundled = bundle.is_some();
        match bundle {
            Some(body) => {
                let content_type = match kind {
                    CollectionKind::Calendar => "text/calendar; charset=utf-8",
                    CollectionKind::AddressBook => "text/vcard; charset=utf-8",
                };
                let url = self.collection_url(id);
                self.send(Some((DAV_USER, DAV_PASSWORD)), "PUT", &url, &[("Content-Type", content_type)], body.into())
                    .expect_status(&[201, 204], &format!("whole-collection PUT {url}"));
                self.proppatch(id, kind, displayname.as_deref());
            }
            None => {
                match kind {
                    CollectionKind::Calendar => self.mkcalendar(id, displayname.as_deref()),
                    CollectionKind::AddressBook => self.mkaddressbook(id, displayname.as_deref()),
                }
                put_each(&files, |name, text| {
                    self.put(id, name, text);
                });
            }
        }
        SeededCollection { id: id.to_string(), kind, displayname, items: files.len(), bundled }
    }

    fn send(
        &self,
        credentials: Option<(&str, &str)>,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> DavResponse {
        http_send(&self.client, &self.server, &self.base_url(), credentials, method, target, headers, body)
    }

    fn auth_send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: String) -> DavResponse {
        self.send(Some((DAV_USER, DAV_PASSWORD)), method, target, headers, body.into_bytes())
    }

    fn mkcalendar(&self, id: &str, displayname: Option<&str>) {
        let name = displayname.map(|n| format!("<D:displayname>{}</D:displayname>", xml_escape(n))).unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>{name}<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
        );
        let url = self.collection_url(id);
        self.auth_send("MKCALENDAR", &url, &[("Content-Type", "application/xml; charset=utf-8")], body)
            .expect_status(&[201], &format!("MKCALENDAR {url}"));
    }

    fn mkaddressbook(&self, id: &str, displayname: Option<&str>) {
        let name = displayname.map(|n| format!("<D:displayname>{}</D:displayname>", xml_escape(n))).unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>{name}</D:prop></D:set></D:mkcol>"#
        );
        let url = self.collection_url(id);
        self.auth_send("MKCOL", &url, &[("Content-Type", "application/xml; charset=utf-8")], body)
            .expect_status(&[201], &format!("MKCOL {url}"));
    }

    /// After a whole-collection PUT: the properties MKCALENDAR/MKCOL would have set.
    fn proppatch(&self, id: &str, kind: CollectionKind, displayname: Option<&str>) {
        let mut props =
            displayname.map(|n| format!("<D:displayname>{}</D:displayname>", xml_escape(n))).unwrap_or_default();
        if kind == CollectionKind::Calendar {
            props.push_str(
                r#"<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>"#,
            );
        }
        if props.is_empty() {
            return;
        }
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#
        );
        let url = self.collection_url(id);
        let resp = self
            .auth_send("PROPPATCH", &url, &[("Content-Type", "application/xml; charset=utf-8")], body)
            .expect_status(&[207], &format!("PROPPATCH {url}"));
        let statuses = xml_texts(&resp.body, "status");
        assert!(statuses.iter().all(|s| s.contains(" 200 ")), "PROPPATCH {url} refused a property:\n{}", resp.body);
    }

    fn put(&self, collection: &str, file_name: &str, text: &str) -> String {
        let content_type = if text.trim_start().get(..11).is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCARD")) {
            "text/vcard; charset=utf-8"
        } else {
            "text/calendar; charset=utf-8"
        };
        let url = format!("{}{}", self.collection_url(collection), segment(file_name));
        let resp = self
            .auth_send("PUT", &url, &[("Content-Type", content_type)], text.to_string())
            .expect_status(&[201, 204], &format!("PUT {url}"));
        resp.header("etag").unwrap_or_else(|| panic!("PUT {url}: no ETag in the answer")).to_string()
    }

    fn collection_prop(&self, collection: &str, prop: &str, name: &str) -> String {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>{prop}</D:prop></D:propfind>"#
        );
        let url = self.collection_url(collection);
        let resp = self.propfind(&url, "0", &body).expect_status(&[207], &format!("PROPFIND {url}"));
        xml_text(&resp.body, name).unwrap_or_else(|| panic!("PROPFIND {url}: no {name}:\n{}", resp.body))
    }
}

/// Runs `f` on a thread of its own: reqwest's blocking client panics when called on a thread
/// that runs an async runtime, and Kenny's DAV tests are async.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

pub(crate) fn sub_folders(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out
}

/// A vdir collection folder's `displayname` (if any) and its item files of `kind`
/// (`(file name, text)`, in name order).
pub(crate) fn vdir_collection(folder: &Path, kind: CollectionKind) -> (Option<String>, Vec<(String, String)>) {
    let displayname =
        std::fs::read_to_string(folder.join("displayname")).ok().map(|s| s.trim_end_matches(['\r', '\n']).to_string());
    let ext = match kind {
        CollectionKind::Calendar => "ics",
        CollectionKind::AddressBook => "vcf",
    };
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .unwrap_or_else(|e| panic!("reading {}: {e}", folder.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext)))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), text)
        })
        .collect();
    files.sort();
    (displayname, files)
}

/// `s` as one percent-encoded URL path segment.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The blocking HTTP client both test servers are driven with: no redirects, a hang guard.
pub(crate) fn http_client() -> reqwest::blocking::Client {
    off_runtime(|| {
        reqwest::blocking::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client")
    })
}

/// Sends one request to `server` at `base` (a `target` path is relative to it, a full URL is
/// taken as is), with Basic `credentials` if any; panics with the server's log when the exchange
/// itself fails.
#[allow(clippy::too_many_arguments)] // one request's parts, as callers spell them
pub(crate) fn http_send(
    client: &reqwest::blocking::Client,
    server: &Server,
    base: &str,
    credentials: Option<(&str, &str)>,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> DavResponse {
    let url = if target.starts_with("http://") || target.starts_with("https://") {
        target.to_string()
    } else {
        format!("{base}{target}")
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("method {method}: {e}"));
    let mut req = client.request(method.clone(), &url).body(body);
    if let Some((user, password)) = credentials {
        req = req.basic_auth(user, Some(password));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().unwrap_or_else(|e| panic!("{method} {url}: {e}\n{}", server.output()));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"));
    DavResponse { status, headers, body }
}

/// Every collection of a vdir tree as `kenny sample DIR` writes it: `(kind, folder, id)` of each
/// `calendars/<id>/` and `contacts/<id>/`.
pub(crate) fn vdir_tree(root: &Path) -> Vec<(CollectionKind, PathBuf, String)> {
    let mut out = Vec::new();
    for (kind, sub) in [(CollectionKind::Calendar, "calendars"), (CollectionKind::AddressBook, "contacts")] {
        for folder in sub_folders(&root.join(sub)) {
            let id = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.push((kind, folder, id));
        }
    }
    out
}

/// Calls `put(name, text)` for every file, [`PUT_THREADS`] at a time.
pub(crate) fn put_each(files: &[(String, String)], put: impl Fn(&str, &str) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..PUT_THREADS.min(files.len()) {
            s.spawn(|| {
                while let Some((name, text)) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    put(name, text);
                }
            });
        }
    });
}

/// The headers of a PROPFIND or REPORT: its `Depth` and an XML body.
pub(crate) fn xml_headers(depth: &str) -> [(&str, &str); 2] {
    [("Depth", depth), ("Content-Type", "application/xml; charset=utf-8")]
}

/// Text escaped for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// The text of every element named `local_name` (any namespace prefix), unescaped, in document
/// order — enough to read Radicale's multistatus answers in tests; not a general XML parser.
pub fn xml_texts(xml: &str, local_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let end = rest.find(['>', ' ', '\t', '\r', '\n', '/']).unwrap_or(rest.len());
        let name = &rest[..end];
        let local = name.rsplit(':').next().unwrap_or(name);
        let Some(close) = rest.find('>') else { break };
        let self_closing = rest[..close].ends_with('/');
        if local == local_name && !name.starts_with(['/', '?', '!']) && !self_closing {
            let content = &rest[close + 1..];
            let text = &content[..content.find('<').unwrap_or(content.len())];
            out.push(
                text.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            );
        }
        rest = &rest[close + 1..];
    }
    out
}

/// The first of [`xml_texts`].
pub fn xml_text(xml: &str, local_name: &str) -> Option<String> {
    xml_texts(xml, local_name).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_prefixed_and_plain_elements() {
        let xml = r#"<multistatus xmlns="DAV:"><sync-token>http://x/1</sync-token><CS:getctag>"a&amp;b"</CS:getctag><C:comp name="VEVENT" /></multistatus>"#;
        assert_eq!(xml_text(xml, "sync-token").as_deref(), Some("http://x/1"));
        assert_eq!(xml_text(xml, "getctag").as_deref(), Some("\"a&b\""));
        assert_eq!(xml_text(xml, "comp"), None);
    }
}
