//! Xandikos (a second CalDAV and CardDAV server, from PyPI) started for a test beside Radicale and
//! seeded over HTTP only, so Kenny's DAV sources are checked against two independent servers.
//!
//! What Xandikos 0.4.10 does that a client meets (seen while writing this harness, and checked by
//! `tests/tests/xandikos.rs`):
//! - It has no authentication of its own on plain HTTP: `--htpasswd` requires `--autocert` (a
//!   self-signed HTTPS certificate), otherwise it is meant to sit behind a proxy that
//!   authenticates. The harness therefore serves plain HTTP without authentication; an
//!   `Authorization` header (Kenny sends Basic with [`crate::DAV_PASSWORD`]) is ignored.
//! - `/.well-known/caldav` and `/.well-known/carddav` answer `302 Found` with `Location: /`;
//!   `GET /` is an HTML page (200).
//! - `PROPFIND /` reports `current-user-principal` as the path given by
//!   `--current-user-principal` (here `/kenny/`). With `--autocreate` the principal is created
//!   with `calendar-home-set` `/kenny/calendars/` and `addressbook-home-set` `/kenny/contacts/`:
//!   two homes, unlike Radicale's one (`/kenny/` is both there).
//! - Every collection is a git repository (dulwich): each PUT and DELETE is a commit.
//!   `sync-token` and `CS:getctag` are both the commit's tree id (40 hex digits, unquoted); the
//!   homes themselves (plain collections) report them too.
//! - Items are stored as sent but served re-serialised (properties re-ordered, lines ending in
//!   LF): compare meaning, not bytes.
//! - Responses are HTTP/1.1 with keep-alive (aiohttp).
//! - MKCALENDAR and extended MKCOL answer `201` with a body; an item PUT answers `201`/`204` with a
//!   quoted `ETag`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::radicale::{
    DavResponse, http_client, http_send, off_runtime, put_each, segment, stopped_with_this_process, vdir_collection,
    vdir_tree, xml_escape, xml_headers, xml_text,
};
use crate::{CollectionKind, DAV_USER, Seeded, SeededCollection, Server, free_port, require};

/// A running Xandikos serving a fresh temporary folder, its principal `/kenny/`.
#[derive(Debug)]
pub struct Xandikos {
    /// The process (stopped when this is dropped) and its log.
    pub server: Server,
    client: reqwest::blocking::Client,
    // After `server`: the storage outlives the process using it.
    dir: tempfile::TempDir,
}

/// Starts Xandikos on a free loopback port: storage in a fresh temporary folder, the principal
/// `/kenny/` created on start (`--autocreate`) with an empty calendar home and address-book home,
/// no authentication (see the module documentation), its log in [`Server::log`].
pub fn xandikos() -> Xandikos {
    let bin = require("xandikos", "pip install xandikos");
    let dir = tempfile::tempdir().expect("temporary folder for Xandikos");
    let port = free_port();
    let mut cmd = stopped_with_this_process(&bin);
    cmd.arg("serve")
        .arg("--directory")
        .arg(dir.path().join("collections"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args(["--current-user-principal", &format!("/{DAV_USER}/"), "--autocreate", "--no-detect-systemd"])
        .args(["--listen-address", "127.0.0.1", "--port", &port.to_string()]);
    let server = Server::start(cmd, port, "xandikos", Duration::from_secs(60));
    let client = http_client();
    Xandikos { server, client, dir }
}

impl Xandikos {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// The principal: `http://127.0.0.1:PORT/kenny/`.
    pub fn principal_url(&self) -> String {
        format!("{}/{DAV_USER}/", self.base_url())
    }

    /// The home of one kind of collection: `…/kenny/calendars/` or `…/kenny/contacts/`.
    pub fn home_url(&self, kind: CollectionKind) -> String {
        let home = match kind {
            CollectionKind::Calendar => "calendars",
            CollectionKind::AddressBook => "contacts",
        };
        format!("{}{home}/", self.principal_url())
    }

    /// A collection's URL: `…/kenny/calendars/<id>/` or `…/kenny/contacts/<id>/`.
    pub fn collection_url(&self, kind: CollectionKind, id: &str) -> String {
        format!("{}{}/", self.home_url(kind), segment(id))
    }

    /// The calendar source URL Kenny's configuration takes (discovery starts at the root).
    pub fn caldav_source(&self) -> String {
        format!("caldav+http://{DAV_USER}@127.0.0.1:{}/", self.server.port)
    }

    /// The contact source URL Kenny's configuration takes (discovery starts at the root).
    pub fn carddav_source(&self) -> String {
        format!("carddav+http://{DAV_USER}@127.0.0.1:{}/", self.server.port)
    }

    /// The storage folder: for inspection only, seeding never writes into it.
    pub fn storage(&self) -> std::path::PathBuf {
        self.dir.path().join("collections")
    }

    /// Sends `method` to `target` (a path such as `/kenny/calendars/work/` or a full URL). Safe to
    /// call from async tests (the exchange runs on a thread of its own).
    pub fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> DavResponse {
        off_runtime(|| self.send(method, target, headers, body.as_bytes().to_vec()))
    }

    /// PROPFIND with `Depth: depth` and the given `<propfind>` body.
    pub fn propfind(&self, target: &str, depth: &str, body: &str) -> DavResponse {
        self.request("PROPFIND", target, &xml_headers(depth), body)
    }

    /// REPORT with `Depth: depth` and the given body.
    pub fn report(&self, target: &str, depth: &str, body: &str) -> DavResponse {
        self.request("REPORT", target, &xml_headers(depth), body)
    }

    /// Creates the calendar `/kenny/calendars/<id>/` (MKCALENDAR) holding events only.
    pub fn make_calendar(&self, id: &str, displayname: &str) {
        off_runtime(|| self.make(CollectionKind::Calendar, id, Some(displayname)));
    }

    /// Creates the address book `/kenny/contacts/<id>/` (extended MKCOL).
    pub fn make_addressbook(&self, id: &str, displayname: &str) {
        off_runtime(|| self.make(CollectionKind::AddressBook, id, Some(displayname)));
    }

    /// PUTs one item into a collection of `kind`; returns the new ETag (quoted, as sent).
    pub fn put_item(&self, kind: CollectionKind, collection: &str, file_name: &str, text: &str) -> String {
        off_runtime(|| self.put(kind, collection, file_name, text))
    }

    /// Deletes one item of a collection of `kind`.
    pub fn delete_item(&self, kind: CollectionKind, collection: &str, file_name: &str) {
        let url = format!("{}{}", self.collection_url(kind, collection), segment(file_name));
        off_runtime(|| self.send("DELETE", &url, &[], Vec::new()).expect_status(&[200, 204], &format!("DELETE {url}")));
    }

    /// The collection's `sync-token` (PROPFIND Depth 0).
    pub fn sync_token(&self, kind: CollectionKind, collection: &str) -> String {
        self.collection_prop(kind, collection, "<D:sync-token/>", "sync-token")
    }

    /// The collection's `CS:getctag` (PROPFIND Depth 0).
    pub fn ctag(&self, kind: CollectionKind, collection: &str) -> String {
        self.collection_prop(kind, collection, "<CS:getctag/>", "getctag")
    }

    /// Creates every calendar and address book of a vdir tree as `kenny sample DIR` writes it
    /// (`calendars/<id>/*.ics`, `contacts/<id>/*.vcf`, optional `displayname` files) with the same
    /// ids and display names — calendars under the calendar home, address books under the
    /// address-book home — and PUTs every item, four at a time (Xandikos commits each one to the collection's git
    /// repository, under a lock: 4 in flight keep it busy without queueing long), over HTTP. Xandikos
    /// has no whole-collection PUT, so every collection is seeded item by item
    /// ([`SeededCollection::bundled`] is always false).
    pub fn seed_vdir(&self, root: &Path) -> Seeded {
        let start = Instant::now();
        let collections = vdir_tree(root)
            .into_iter()
            .map(|(kind, folder, id)| off_runtime(|| self.seed_collection(&folder, &id, kind)));
        Seeded { collections: collections.collect(), elapsed: start.elapsed() }
    }

    fn seed_collection(&self, folder: &Path, id: &str, kind: CollectionKind) -> SeededCollection {
        let (displayname, files) = vdir_collection(folder, kind);
        self.make(kind, id, displayname.as_deref());
        put_each(&files, |name, text| {
            self.put(kind, id, name, text);
        });
        SeededCollection { id: id.to_string(), kind, displayname, items: files.len(), bundled: false }
    }

    fn send(&self, method: &str, target: &str, headers: &[(&str, &str)], body: Vec<u8>) -> DavResponse {
        http_send(&self.client, &self.server, &self.base_url(), None, method, target, headers, body)
    }

    fn make(&self, kind: CollectionKind, id: &str, displayname: Option<&str>) {
        let name = displayname.map(|n| format!("<D:displayname>{}</D:displayname>", xml_escape(n))).unwrap_or_default();
        let (method, body) = match kind {
            CollectionKind::Calendar => (
                "MKCALENDAR",
                format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>{name}<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
                ),
            ),
            CollectionKind::AddressBook => (
                "MKCOL",
                format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>{name}</D:prop></D:set></D:mkcol>"#
                ),
            ),
        };
        let url = self.collection_url(kind, id);
        self.send(method, &url, &[("Content-Type", "application/xml; charset=utf-8")], body.into_bytes())
            .expect_status(&[201], &format!("{method} {url}"));
    }

    fn put(&self, kind: CollectionKind, collection: &str, file_name: &str, text: &str) -> String {
        let content_type = match kind {
            CollectionKind::Calendar => "text/calendar; charset=utf-8",
            CollectionKind::AddressBook => "text/vcard; charset=utf-8",
        };
        let url = format!("{}{}", self.collection_url(kind, collection), segment(file_name));
        let resp = self
            .send("PUT", &url, &[("Content-Type", content_type)], text.as_bytes().to_vec())
            .expect_status(&[201, 204], &format!("PUT {url}"));
        resp.header("etag").unwrap_or_else(|| panic!("PUT {url}: no ETag in the answer")).to_string()
    }

    fn collection_prop(&self, kind: CollectionKind, collection: &str, prop: &str, name: &str) -> String {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>{prop}</D:prop></D:propfind>"#
        );
        let url = self.collection_url(kind, collection);
        let resp = self.propfind(&url, "0", &body).expect_status(&[207], &format!("PROPFIND {url}"));
        xml_text(&resp.body, name).unwrap_or_else(|| panic!("PROPFIND {url}: no {name}:\n{}", resp.body))
    }
}
