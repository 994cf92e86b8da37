//! The Radicale harness itself: it starts, seeds a vdir over HTTP, and Radicale then serves what
//! Kenny's CalDAV/CardDAV sources will rely on (discovery, REPORTs, authentication, sync-tokens).
//! Kenny's own DAV tests live elsewhere; these pin down the harness and Radicale's behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::BTreeSet;

use kenny::domain::sample::{SampleSpec, generate, write_vdir};
use kenny_tests::{CollectionKind, DAV_PASSWORD, DAV_USER, Radicale, radicale, vdir_items, xml_text, xml_texts};

const PROPS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:resourcetype/><D:displayname/><C:supported-calendar-component-set/><D:getetag/></D:prop>
</D:propfind>"#;

/// Writes a generated data set as `kenny sample DIR` would.
fn sample_vdir(spec: &SampleSpec) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_vdir(&generate(spec, &mut |_| {}), dir.path()).unwrap();
    dir
}

/// Item names under a collection, from a PROPFIND Depth 1.
fn listed_items(dav: &Radicale, id: &str) -> BTreeSet<String> {
    let resp = dav.propfind(&dav.collection_url(id), "1", PROPS);
    assert_eq!(resp.status, 207, "{}", resp.body);
    let prefix = format!("/{DAV_USER}/{id}/");
    xml_texts(&resp.body, "href")
        .into_iter()
        .filter_map(|h| h.strip_prefix(&prefix).map(str::to_string))
        .filter(|h| !h.is_empty())
        .collect()
}

fn calendar_query(start: &str, end: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#
    )
}

#[test]
fn seeds_the_sample_vdir_and_serves_it_back() {
    let vdir = sample_vdir(&SampleSpec::default());
    let dav = radicale();
    let seeded = dav.seed_vdir(vdir.path());
    eprintln!("seeded {} items in {} collections in {:?}", seeded.items(), seeded.collections.len(), seeded.elapsed);

    let ids: Vec<(&str, CollectionKind, bool)> =
        seeded.collections.iter().map(|c| (c.id.as_str(), c.kind, c.bundled)).collect();
    assert_eq!(
        ids,
        [
            ("holidays", CollectionKind::Calendar, true),
            ("personal", CollectionKind::Calendar, true),
            ("team-berlin", CollectionKind::Calendar, true),
            ("work", CollectionKind::Calendar, true),
            ("people", CollectionKind::AddressBook, true),
        ]
    );
    assert_eq!(seeded.items(), 215 + 200);

    // The home lists every collection with its kind and display name.
    let home = dav.propfind(&dav.home_url(), "1", PROPS);
    assert_eq!(home.status, 207, "{}", home.body);
    let responses: Vec<&str> = home.body.split("<response>").skip(1).collect();
    for c in &seeded.collections {
        let href = format!("<href>/{DAV_USER}/{}/</href>", c.id);
        let r = responses.iter().find(|r| r.contains(&href)).unwrap_or_else(|| panic!("{href} in {}", home.body));
        assert_eq!(xml_text(r, "displayname"), c.displayname, "{r}");
        match c.kind {
            CollectionKind::Calendar => {
                assert!(r.contains("<C:calendar />"), "{r}");
                assert!(r.contains(r#"<C:comp name="VEVENT" /></C:supported-calendar-component-set>"#), "{r}");
                assert!(!r.contains("VTODO"), "{r}");
            }
            CollectionKind::AddressBook => assert!(r.contains("<CR:addressbook />"), "{r}"),
        }
    }

    // Every item is there under its vdir file name.
    for c in &seeded.collections {
        let (sub, ext) = match c.kind {
            CollectionKind::Calendar => ("calendars", ".ics"),
            CollectionKind::AddressBook => ("contacts", ".vcf"),
        };
        let want = vdir_items(&vdir.path().join(sub).join(&c.id), ext);
        assert_eq!(want.len(), c.items);
        assert_eq!(listed_items(&dav, &c.id), want, "{}", c.id);
    }

    // A series keeps its UID and its overrides in one item.
    let standup = dav.request("GET", &format!("{}standup.ics", dav.collection_url("work")), &[], "");
    assert_eq!(standup.status, 200);
    assert_eq!(standup.body.matches("BEGIN:VEVENT").count(), 3, "{}", standup.body);
    assert_eq!(standup.body.matches("UID:standup\r\n").count(), 3, "{}", standup.body);
    assert_eq!(standup.body.matches("RECURRENCE-ID").count(), 2, "{}", standup.body);
    assert!(standup.body.contains("BEGIN:VTIMEZONE"), "{}", standup.body);

    // A time-range calendar-query finds the week's events, recurring series included.
    let week = dav.report(&dav.collection_url("work"), "1", &calendar_query("20261130T050000Z", "20261207T050000Z"));
    assert_eq!(week.status, 207, "{}", week.body);
    let hrefs = xml_texts(&week.body, "href");
    for item in ["standup.ics", "all-hands.ics"] {
        assert!(hrefs.contains(&format!("/{DAV_USER}/work/{item}")), "{item} in {hrefs:?}");
    }
    assert!(hrefs.len() < 20, "a week, not the whole calendar: {hrefs:?}");
    assert!(xml_texts(&week.body, "calendar-data").iter().all(|d| d.starts_with("BEGIN:VCALENDAR")));

    // A CardDAV query by e-mail finds the card.
    let sarah = dav.report(
        &dav.collection_url("people"),
        "1",
        r#"<?xml version="1.0" encoding="utf-8"?>
<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><CR:address-data/></D:prop>
  <CR:filter><CR:prop-filter name="EMAIL"><CR:text-match collation="i;unicode-casemap" match-type="equals">sarah.chen@northwind.example</CR:text-match></CR:prop-filter></CR:filter>
</CR:addressbook-query>"#,
    );
    assert_eq!(sarah.status, 207, "{}", sarah.body);
    assert_eq!(xml_texts(&sarah.body, "href"), [format!("/{DAV_USER}/people/contact-00001.vcf")], "{}", sarah.body);
    assert!(xml_text(&sarah.body, "address-data").unwrap().contains("FN:Sarah Chen"), "{}", sarah.body);
}

#[test]
fn discovery_and_credentials() {
    let dav = radicale();
    assert_eq!(dav.caldav_source(), format!("caldav+http://kenny@127.0.0.1:{}/", dav.server.port));
    assert_eq!(dav.carddav_source(), format!("carddav+http://kenny@127.0.0.1:{}/", dav.server.port));

    // Well-known URLs redirect to the root, relatively and without asking for credentials.
    for path in ["/.well-known/caldav", "/.well-known/carddav"] {
        let r = dav.request_as(None, "PROPFIND", path, &[("Depth", "0")], "");
        assert_eq!((r.status, r.header("location")), (301, Some("/")), "{path}");
    }

    let principal = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:current-user-principal/><C:calendar-home-set/><CR:addressbook-home-set/></D:prop>
</D:propfind>"#;
    let headers = [("Depth", "0"), ("Content-Type", "application/xml")];
    for credentials in [None, Some((DAV_USER, "wrong-password")), Some(("mallory", DAV_PASSWORD))] {
        let r = dav.request_as(credentials, "PROPFIND", "/", &headers, principal);
        assert_eq!(r.status, 401, "{credentials:?}: {}", r.body);
        assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with("Basic")), "{credentials:?}");
    }

    // The principal is the home of calendars and address books alike.
    let r = dav.request("PROPFIND", "/", &headers, principal);
    assert_eq!(r.status, 207, "{}", r.body);
    let home = format!("/{DAV_USER}/");
    assert_eq!(xml_texts(&r.body, "href"), ["/", home.as_str()], "{}", r.body);
    let r = dav.request("PROPFIND", &home, &headers, principal);
    assert_eq!(xml_texts(&r.body, "href"), [home.as_str(); 4], "{}", r.body);

    // Another user's home is out of bounds even with valid credentials (owner_only).
    let r = dav.request("PROPFIND", "/someone-else/", &headers, principal);
    assert_eq!(r.status, 403, "{}", r.body);
}

/// Runs inside an async runtime, as Kenny's DAV tests do: the harness must not panic there.
#[tokio::test]
async fn changes_move_the_sync_token_and_ctag() {
    let dav = radicale();
    dav.make_calendar("cal", "Cal & Co <test>");
    dav.make_addressbook("book", "Book");
    let event = |summary: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20261201T100000Z\r\nDTEND:20261201T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let empty_token = dav.sync_token("cal");
    let empty_ctag = dav.ctag("cal");
    assert!(empty_token.starts_with("http://radicale.org/ns/sync/"), "{empty_token}");

    let etag = dav.put_item("cal", "e1.ics", &event("First"));
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let (token, ctag) = (dav.sync_token("cal"), dav.ctag("cal"));
    assert_ne!(token, empty_token);
    assert_ne!(ctag, empty_ctag);

    let changed = dav.put_item("cal", "e1.ics", &event("Second"));
    assert_ne!(changed, etag);
    assert_ne!(dav.sync_token("cal"), token);
    assert_ne!(dav.ctag("cal"), ctag);

    // A sync-collection REPORT from the first token lists the changed item.
    let sync = dav.report(
        &dav.collection_url("cal"),
        "1",
        &format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
        ),
    );
    assert_eq!(sync.status, 207, "{}", sync.body);
    assert_eq!(xml_texts(&sync.body, "href"), ["/kenny/cal/e1.ics"], "{}", sync.body);
    assert_eq!(xml_text(&sync.body, "getetag").as_deref(), Some(changed.as_str()), "{}", sync.body);

    let before_delete = dav.sync_token("cal");
    dav.delete_item("cal", "e1.ics");
    assert_ne!(dav.sync_token("cal"), before_delete);
    assert_eq!(dav.request("GET", &format!("{}e1.ics", dav.collection_url("cal")), &[], "").status, 404);

    let book_token = dav.sync_token("book");
    let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:Cee One\r\nEMAIL:c1@example.org\r\nEND:VCARD\r\n";
    dav.put_item("book", "c1.vcf", card);
    assert_ne!(dav.sync_token("book"), book_token);

    // Display names survive XML escaping; a calendar holds events only.
    let props = dav.propfind(&dav.collection_url("cal"), "0", PROPS);
    assert_eq!(xml_text(&props.body, "displayname").as_deref(), Some("Cal & Co <test>"), "{}", props.body);
    assert!(props.body.contains(r#"<C:comp name="VEVENT" /></C:supported-calendar-component-set>"#), "{}", props.body);
}

#[test]
fn items_that_cannot_be_bundled_are_put_one_by_one_under_their_own_names() {
    let vdir = tempfile::tempdir().unwrap();
    let cal = vdir.path().join("calendars/misc");
    std::fs::create_dir_all(&cal).unwrap();
    let event = |uid: &str, extra: &str| {
        format!(
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{extra}BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20260101T000000Z\n\
             DTSTART:20261201T100000Z\nSUMMARY:{uid}\nEND:VEVENT\nEND:VCALENDAR\n"
        )
    };
    std::fs::write(cal.join("meeting one.ics"), event("uid-1", "")).unwrap();
    std::fs::write(cal.join("uid-2.ics"), event("uid-2", "METHOD:PUBLISH\n")).unwrap();
    std::fs::write(cal.join("notes.txt"), "not an item").unwrap();
    let book = vdir.path().join("contacts/friends");
    std::fs::create_dir_all(&book).unwrap();
    std::fs::write(book.join("displayname"), "Friends\n").unwrap();
    std::fs::write(book.join("ann.vcf"), "BEGIN:VCARD\nVERSION:3.0\nUID:ann\nFN:Ann\nN:;Ann;;;\nEND:VCARD\n").unwrap();

    let dav = radicale();
    let seeded = dav.seed_vdir(vdir.path());
    let summary: Vec<(&str, Option<&str>, usize, bool)> =
        seeded.collections.iter().map(|c| (c.id.as_str(), c.displayname.as_deref(), c.items, c.bundled)).collect();
    assert_eq!(summary, [("misc", None, 2, false), ("friends", Some("Friends"), 1, true)]);
    assert_eq!(listed_items(&dav, "misc"), BTreeSet::from(["meeting%20one.ics".to_string(), "uid-2.ics".to_string()]));
    assert_eq!(listed_items(&dav, "friends"), BTreeSet::from(["ann.vcf".to_string()]));
    let one = dav.request("GET", &format!("{}meeting%20one.ics", dav.collection_url("misc")), &[], "");
    assert!(one.body.contains("UID:uid-1"), "{}", one.body);
}

/// The benchmarks' data size: 5 calendars of ~2,000 events and 2,000 contacts. Minutes, so not
/// part of the normal run: `cargo test -p kenny-tests --test radicale_harness -- --ignored --nocapture`.
#[test]
#[ignore = "takes minutes; run by hand to measure seeding"]
fn seeds_the_benchmark_size() {
    let vdir = sample_vdir(&SampleSpec { events: 10_000, contacts: 2_000, calendars: 5, seed: 2026 });
    let dav = radicale();
    let seeded = dav.seed_vdir(vdir.path());
    for c in &seeded.collections {
        eprintln!("{:>12} {:>5} items bundled={}", c.id, c.items, c.bundled);
    }
    eprintln!("seeded {} items in {:?}", seeded.items(), seeded.elapsed);
    assert_eq!(seeded.items(), 10_015 + 2_000);
    assert!(seeded.collections.iter().all(|c| c.bundled));
    assert_eq!(listed_items(&dav, "work").len(), seeded.collections.iter().find(|c| c.id == "work").unwrap().items);
}
