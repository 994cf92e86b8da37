//! What Kenny asks a real DAV server, counted: a counting proxy (`kenny_tests::proxy`) sits
//! between Kenny and Radicale or Xandikos, logs every request, and holds some back when a test
//! needs to prove an order (a request held while an answer came was not on its path; data changed
//! while a request is held is seen, or not, by it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;

use kenny::domain::plan::Capability;
use kenny::wiring::app::Capabilities;
use kenny::wiring::config::Config;
use kenny_tests::CollectionKind::AddressBook;
use kenny_tests::{DAV_PASSWORD, DAV_USER, Proxy, Seen, proxy, radicale, xandikos};
use serde_json::{Value, json};

fn env(proxy: &Proxy, grace_ms: u64, ttl_ms: u64) -> Vec<(String, String)> {
    let port = proxy.port();
    vec![
        ("KENNY_CALENDARS".into(), format!("caldav+http://{DAV_USER}@127.0.0.1:{port}/")),
        ("KENNY_CONTACTS".into(), format!("carddav+http://{DAV_USER}@127.0.0.1:{port}/")),
        ("KENNY_DAV_PASSWORD".into(), DAV_PASSWORD.into()),
        ("KENNY_ALLOW_PRIVATE_SOURCES".into(), "1".into()),
        ("KENNY_CACHE_GRACE_MS".into(), grace_ms.to_string()),
        ("KENNY_CACHE_TTL_MS".into(), ttl_ms.to_string()),
    ]
}

fn config(env: &[(String, String)]) -> Config {
    let vars: HashMap<String, String> = env.iter().cloned().collect();
    Config::from_parts(|k| vars.get(k).cloned(), None).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn contacts_only(rt: &tokio::runtime::Runtime, env: &[(String, String)]) -> Capabilities {
    rt.block_on(Capabilities::load(&config(env), &[Capability::ContactsResolve])).unwrap()
}

fn resolve(caps: &Capabilities, rt: &tokio::runtime::Runtime, q: &str) -> Value {
    rt.block_on(caps.invoke_json(Capability::ContactsResolve, json!({"query": q}), None))
        .unwrap_or_else(|e| panic!("resolve {q}: {e:?}"))
}

fn card(uid: &str, name: &str, email: &str) -> String {
    let (given, family) = name.split_once(' ').unwrap_or((name, ""));
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{family};{given};;;\r\nEMAIL:{email}\r\nEND:VCARD\r\n"
    )
}

fn reports(seen: &[Seen]) -> Vec<String> {
    seen.iter().filter(|s| s.method == "REPORT").map(Seen::kind).collect()
}

fn asks_tokens(s: &Seen) -> bool {
    s.asks_tokens()
}

/// Radicale: a cold contact index is one `sync-collection` report for the address book (cards
/// and token at once), after a listing that asks for no token; a changed book is read as a
/// delta from that token, its cards' data in the same report.
#[test]
fn radicale_builds_the_contact_index_in_one_report_and_reads_changes_as_a_delta() {
    let server = radicale();
    server.make_addressbook("people", "People");
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    server.put_item("people", "bob.vcf", &card("bob", "Bob Example", "bob@example.com"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    // Every check before the answer, so each request below belongs to the resolve that made it.
    let caps = contacts_only(&rt, &env(&proxy, 0, 0));

    let seen = proxy.seen();
    assert_eq!(reports(&seen), vec!["REPORT /kenny/people/ sync-collection"], "{seen:#?}");
    assert!(!seen.iter().any(asks_tokens), "the cold load asks for no listing token: {seen:#?}");
    assert!(seen.iter().all(|s| !s.body.contains("addressbook-multiget")), "{seen:#?}");

    // The token of that report is the one the listing shows: validated, not read again.
    proxy.clear();
    let ann = resolve(&caps, &rt, "Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann@example.com"]), "{ann}");
    assert_eq!(ann["cache"], "validated", "{ann}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "one listing: {seen:#?}");
    assert!(asks_tokens(&seen[0]), "{seen:#?}");

    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann.new@example.com"));
    server.put_item("people", "carol.vcf", &card("carol", "Carol Example", "carol@example.com"));
    server.delete_item("people", "bob.vcf");
    proxy.clear();
    let ann = resolve(&caps, &rt, "Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann.new@example.com"]), "{ann}");
    assert_eq!(ann["cache"], "miss", "{ann}");
    let seen = proxy.seen();
    assert_eq!(reports(&seen), vec!["REPORT /kenny/people/ sync-collection"], "one delta report: {seen:#?}");
    let delta = seen.iter().find(|s| s.method == "REPORT").unwrap();
    assert!(delta.body.contains("<d:sync-token>http"), "from the earlier token: {}", delta.body);
    assert_eq!(resolve(&caps, &rt, "Carol")["resolved"]["emails"], json!(["carol@example.com"]));
    assert!(resolve(&caps, &rt, "Bob")["resolved"].is_null(), "the removed card is gone");
}

/// Xandikos gives no card data in a `sync-collection`: the cold index is that report (for the
/// token) and one `addressbook-query`, never a multiget per 200 cards; a delta multigets only
/// the changed cards.
#[test]
fn xandikos_builds_the_contact_index_with_one_query() {
    let server = xandikos();
    server.make_addressbook("people", "People");
    server.put_item(AddressBook, "people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    server.put_item(AddressBook, "people", "bob.vcf", &card("bob", "Bob Example", "bob@example.com"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    let caps = contacts_only(&rt, &env(&proxy, 0, 0));

    let seen = proxy.seen();
    assert_eq!(
        reports(&seen),
        vec!["REPORT /kenny/contacts/people/ sync-collection", "REPORT /kenny/contacts/people/ addressbook-query"],
        "{seen:#?}"
    );
    assert!(!seen.iter().any(asks_tokens), "{seen:#?}");
    let bob = resolve(&caps, &rt, "Bob");
    assert_eq!(bob["resolved"]["emails"], json!(["bob@example.com"]), "{bob}");
    assert_eq!(bob["cache"], "validated", "{bob}");

    server.put_item(AddressBook, "people", "bob.vcf", &card("bob", "Bob Example", "bob.new@example.com"));
    proxy.clear();
    let bob = resolve(&caps, &rt, "Bob");
    assert_eq!(bob["resolved"]["emails"], json!(["bob.new@example.com"]), "{bob}");
    assert_eq!(bob["cache"], "miss", "{bob}");
    let seen = proxy.seen();
    assert_eq!(
        reports(&seen),
        vec!["REPORT /kenny/contacts/people/ sync-collection", "REPORT /kenny/contacts/people/ addressbook-multiget"],
        "{seen:#?}"
    );
    let multiget = seen.iter().find(|s| s.body.contains("addressbook-multiget")).unwrap();
    assert_eq!(multiget.body.matches("<d:href>").count(), 1, "only the changed card: {}", multiget.body);
}

/// Within the cache TTL a resolve answers from the index at once, and the check that the book
/// changed runs beside it: the answer comes while the proxy still holds that check's request,
/// and the change is in effect once the check is done.
#[test]
fn a_resolve_within_the_ttl_answers_at_once_and_checks_beside() {
    let server = radicale();
    server.make_addressbook("people", "People");
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    let caps = contacts_only(&rt, &env(&proxy, 0, 600_000));
    let service = caps.contacts.as_ref().unwrap();

    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann.new@example.com"));
    proxy.clear();
    proxy.hold(|_| true);
    let ann = resolve(&caps, &rt, "Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann@example.com"]), "the index as it was: {ann}");
    assert_eq!(ann["cache"], "l1", "{ann}");
    // The check went out beside the answer and is still held: it was not on the answer's path.
    proxy.wait_held(1);
    let held = proxy.seen();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert!(asks_tokens(&held[0]), "{held:#?}");
    proxy.release();
    rt.block_on(service.settle());

    let ann = resolve(&caps, &rt, "Ann");
    assert_eq!(ann["resolved"]["emails"], json!(["ann.new@example.com"]), "the change is in effect: {ann}");
    assert_eq!(ann["cache"], "l1", "{ann}");
    rt.block_on(service.settle());
}

fn event(uid: &str, start: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

fn read(caps: &Capabilities, rt: &tokio::runtime::Runtime, start: &str, end: &str) -> Value {
    let params = json!({"start": start, "end": end, "timezone": "America/New_York"});
    rt.block_on(caps.invoke_json(Capability::CalendarRead, params, None))
        .unwrap_or_else(|e| panic!("read {start}: {e:?}"))
}

fn summaries(read: &Value) -> Vec<String> {
    read["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap().to_string()).collect()
}

/// An uncached window read in a process that listed the account before (within the L1 TTL)
/// sends every calendar's `calendar-query` at once, the calendars taken from that listing, and
/// nothing else (both REPORTs are held at the proxy together, and no PROPFIND came before them);
/// it keeps each read under the token of that earlier listing, answered before the REPORTs were
/// sent. A change made on the server
/// while a REPORT is held — after the token, before the data — is in the answer, and the next
/// read sees a newer token and reads that calendar again: the cache never holds data under a
/// version newer than the data.
#[test]
fn uncached_reads_send_their_reports_at_once_and_stay_exact() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup"));
    server.put_item("work", "review.ics", &event("review", "20261202T140000Z", "Review"));
    server.put_item("home", "dinner.ics", &event("dinner", "20261202T230000Z", "Dinner"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    let caps = rt.block_on(Capabilities::load(&config(&env(&proxy, 0, 600_000)), &[Capability::CalendarRead])).unwrap();
    let tiers = |r: &Value| kenny_tests::calendar_tiers(r);
    let pair = |a: &str, b: &str| vec![("home".to_string(), a.to_string()), ("work".to_string(), b.to_string())];

    // The first read of a process (no earlier listing) settles after its answer: the tokens
    // are listed then.
    let first = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(tiers(&first), pair("miss", "miss"), "{first}");
    rt.block_on(caps.calendar.as_ref().unwrap().settled());
    assert!(proxy.seen().iter().any(asks_tokens));

    proxy.clear();
    proxy.hold(|s| kenny_tests::proxy::root_element(&s.body) == "calendar-query");
    let second = std::thread::scope(|scope| {
        let reading = scope.spawn(|| read(&caps, &rt, "2026-12-02", "2026-12-03"));
        // Both calendars' REPORTs are out together, and nothing else: the calendars come from
        // the listing kept since the first read, younger than the L1 TTL.
        proxy.wait_held(2);
        let seen = proxy.seen();
        assert!(!seen.iter().any(asks_tokens), "no token on the data's path: {seen:#?}");
        assert_eq!(seen.iter().filter(|s| s.method == "PROPFIND").count(), 0, "{seen:#?}");
        // Changed after the token the read will be kept under, before the data is read.
        server.put_item("work", "review.ics", &event("review", "20261202T140000Z", "Review (moved)"));
        proxy.release();
        reading.join().unwrap()
    });
    assert_eq!(tiers(&second), pair("miss", "miss"), "{second}");
    assert_eq!(summaries(&second), vec!["Review (moved)", "Dinner"], "{second}");
    assert!(proxy.max_in_flight() >= 2);

    // The next read validates: home is unchanged, work's token is newer than the one its read
    // was kept under, so it is read again (a delta from that token) — never served as cached.
    proxy.clear();
    let third = read(&caps, &rt, "2026-12-02", "2026-12-03");
    assert_eq!(tiers(&third), pair("validated", "miss"), "{third}");
    assert_eq!(summaries(&third), vec!["Review (moved)", "Dinner"]);
    assert_eq!(third["calendars"][1]["delta"], json!({"changed": 1, "removed": 0}), "{third}");
    let fourth = read(&caps, &rt, "2026-12-02", "2026-12-03");
    assert_eq!(tiers(&fourth), pair("validated", "validated"), "{fourth}");
}

/// A calendar made after the listing a process kept is found, once that listing is older than
/// the L1 TTL, by the listing that goes beside the reads of a new window: the answer has it (the
/// reads made again from the tokens listed now).
#[test]
fn a_calendar_made_since_the_kept_listing_is_in_the_next_answer() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.put_item("work", "standup.ics", &event("standup", "20261208T140000Z", "Standup"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    let caps = rt.block_on(Capabilities::load(&config(&env(&proxy, 0, 500)), &[Capability::CalendarRead])).unwrap();
    read(&caps, &rt, "2026-12-01", "2026-12-02");
    rt.block_on(caps.calendar.as_ref().unwrap().settled());
    std::thread::sleep(std::time::Duration::from_millis(600));
    server.make_calendar("home", "Home");
    server.put_item("home", "dinner.ics", &event("dinner", "20261209T230000Z", "Dinner"));
    let next = read(&caps, &rt, "2026-12-08", "2026-12-10");
    assert_eq!(summaries(&next), vec!["Standup", "Dinner"], "{next}");
}

/// Whether a request is a discovery step (it asks for the principal).
fn discovers(s: &Seen) -> bool {
    s.method == "PROPFIND" && s.body.contains("current-user-principal")
}

/// The calendar and contact sources of one account (same start URL and credentials) share one
/// discovery and, within the grace period, each home listing: the contact index's discovery
/// serves the calendars too, and a listing one source made is not made again by the other.
#[test]
fn calendars_and_contacts_of_one_account_share_discovery_and_the_listing() {
    use kenny::adapters::secrets::Credentials;
    use kenny::adapters::sources::{Network, calendar_source, contact_directory};
    use std::sync::Arc;

    let server = radicale();
    server.make_calendar("work", "Work");
    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup"));
    server.make_addressbook("people", "People");
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();

    // The adapters, on one network whose grace period outlasts the test.
    let http = kenny::adapters::http::Http::shared(kenny::adapters::http::HttpOptions {
        allow_private: true,
        ..Default::default()
    })
    .unwrap();
    let credentials = Arc::new(Credentials::from_secret_string(DAV_PASSWORD).unwrap());
    let net = Network::new(http, credentials, std::time::Duration::from_secs(600));
    let port = proxy.port();
    let calendars = calendar_source(&format!("caldav+http://{DAV_USER}@127.0.0.1:{port}/"), &net).unwrap();
    let contacts = contact_directory(&format!("carddav+http://{DAV_USER}@127.0.0.1:{port}/"), &net).unwrap();

    let loaded = rt.block_on(contacts.load()).unwrap();
    assert_eq!(loaded.contacts.len(), 1);
    let seen = proxy.seen();
    assert!(seen.iter().any(discovers), "{seen:#?}");
    let listings = |seen: &[Seen]| seen.iter().filter(|s| s.method == "PROPFIND" && !discovers(s)).count();
    assert_eq!(listings(&seen), 1, "{seen:#?}");

    // The calendars: no discovery of their own, and the listing without tokens is the one the
    // contacts made.
    proxy.clear();
    let light = rt.block_on(calendars.calendars_unversioned()).unwrap().unwrap();
    assert_eq!(light.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["work"]);
    assert_eq!(proxy.seen(), Vec::new(), "discovery and the listing were shared");

    // The token listing: asked once by the calendars, reused by the contacts' check.
    let listed = rt.block_on(calendars.calendars()).unwrap();
    assert!(listed[0].version.is_some());
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:#?}");
    assert!(asks_tokens(&seen[0]), "{seen:#?}");
    proxy.clear();
    let unchanged = rt.block_on(contacts.reload_if_changed(loaded.version.as_deref().unwrap())).unwrap();
    assert!(unchanged.is_none(), "the book's token is the one its report gave");
    assert_eq!(proxy.seen(), Vec::new(), "one token listing for both sources within the grace period");

    // Through the capabilities: the contact index loads at start (discovery), the first
    // calendar read discovers nothing again.
    proxy.clear();
    let caps = rt.block_on(Capabilities::from_config(&config(&env(&proxy, 600_000, 0)))).unwrap();
    assert!(proxy.seen().iter().any(discovers), "the contact index discovers the account");
    proxy.clear();
    let first = read(&caps, &rt, "2026-12-01", "2026-12-02");
    assert_eq!(summaries(&first), vec!["Standup"]);
    let seen = proxy.seen();
    assert!(!seen.iter().any(discovers), "{seen:#?}");
}

/// A one-shot process (the CLI's `kenny ask`, no shared cache) never asks for a token — its
/// reads could never be validated or shared, so the versions would be computed for nothing — and
/// a question's I/O starts at once: both calendars' window REPORTs and the address book's report
/// are held at the proxy together, after listings that ask for no token. A serving process's
/// first read, by contrast, lists the tokens after its answer
/// (`a_serving_process_answers_its_first_read_before_any_token_and_settles_after`).
#[test]
fn a_one_shot_question_asks_for_no_token_and_sends_its_reads_at_once() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    let meeting = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:sync\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T150000Z\r\nDURATION:PT1H\r\nSUMMARY:Roadmap sync\r\nORGANIZER:mailto:me@example.com\r\nATTENDEE;CN=Ann Example:mailto:ann@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    server.put_item("work", "sync.ics", meeting);
    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup"));
    server.put_item("home", "dinner.ics", &event("dinner", "20261202T230000Z", "Dinner"));
    server.make_addressbook("people", "People");
    server.put_item("people", "ann.vcf", &card("ann", "Ann Example", "ann@example.com"));
    server.put_item("people", "bob.vcf", &card("bob", "Bob Example", "bob@example.com"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    proxy.hold(|s| s.method == "REPORT");
    let app = rt.block_on(kenny::wiring::app::App::one_shot(config(&env(&proxy, 2_000, 30_000)))).unwrap();
    let request: kenny::capabilities::coordinate::CoordinateRequest = serde_json::from_value(json!({
        "question": "what meetings do I have with Ann Example next week?",
        "now": "2026-11-27T10:00:00-05:00",
        "timezone": "America/New_York",
    }))
    .unwrap();
    let answer = std::thread::scope(|scope| {
        let asking = scope.spawn(|| rt.block_on(app.coordinator.handle(request, "one-shot", None)).unwrap());
        // Two window REPORTs and the address book's report, out together.
        proxy.wait_held(3);
        let seen = proxy.seen();
        assert!(!seen.iter().any(asks_tokens), "no token asked: {seen:#?}");
        let mut out = reports(&seen);
        out.sort();
        assert_eq!(
            out,
            vec![
                "REPORT /kenny/home/ calendar-query",
                "REPORT /kenny/people/ sync-collection",
                "REPORT /kenny/work/ calendar-query",
            ],
            "{seen:#?}"
        );
        proxy.release();
        asking.join().unwrap()
    });
    let answer = serde_json::to_value(&answer).unwrap();
    let events: Vec<&str> =
        answer["answer"]["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert_eq!(events, vec!["Roadmap sync"], "{answer}");
    assert!(!proxy.seen().iter().any(asks_tokens), "{:#?}", proxy.seen());
    assert!(proxy.max_in_flight() >= 3);
}

/// A serving process (`kenny mcp`: `App::from_config`) with no listing known answers its first
/// read before any token is asked — the token listing is held at the proxy all along — then
/// settles: the tokens listed, the window read again under them. A change made after the first
/// read's data and before the token listing is in that second read, so the repeat validates and
/// shows it; a change made after the token listing and before the second read's data is in the
/// data, kept under the older token, so the next check reads that calendar again.
#[test]
fn a_serving_process_answers_its_first_read_before_any_token_and_settles_after() {
    let server = radicale();
    server.make_calendar("work", "Work");
    server.make_calendar("home", "Home");
    server.put_item("work", "standup.ics", &event("standup", "20261201T140000Z", "Standup"));
    server.put_item("home", "dinner.ics", &event("dinner", "20261202T230000Z", "Dinner"));
    let proxy = proxy(&server.base_url());
    let rt = runtime();
    let tiers = |r: &Value| kenny_tests::calendar_tiers(r);
    let pair = |a: &str, b: &str| vec![("home".to_string(), a.to_string()), ("work".to_string(), b.to_string())];
    let is_query = |s: &Seen| kenny_tests::proxy::root_element(&s.body) == "calendar-query";
    let queries = |seen: &[Seen]| seen.iter().filter(|s| is_query(s)).count();

    // Changed between the first read's data and the token listing.
    proxy.hold(asks_tokens);
    let app = rt.block_on(kenny::wiring::app::App::from_config(config(&env(&proxy, 0, 30_000)))).unwrap();
    let calendar = app.caps.calendar.as_ref().unwrap();
    let first = read(&app.caps, &rt, "2026-12-01", "2026-12-03");
    assert_eq!(tiers(&first), pair("miss", "miss"), "{first}");
    assert_eq!(summaries(&first), vec!["Standup", "Dinner"], "{first}");
    proxy.wait_held(1);
    assert_eq!(queries(&proxy.seen()), 2, "{:#?}", proxy.seen());
    server.put_item("work", "standup.ics", &event("standup", "20261201T150000Z", "Standup (moved)"));
    proxy.release();
    rt.block_on(calendar.settled());
    let seen = proxy.seen();
    let token_at = seen.iter().position(asks_tokens).unwrap();
    assert_eq!(queries(&seen[token_at..]), 2, "both windows read again after the tokens: {seen:#?}");
    let again = read(&app.caps, &rt, "2026-12-01", "2026-12-03");
    assert_eq!(tiers(&again), pair("validated", "validated"), "{again}");
    assert_eq!(summaries(&again), vec!["Standup (moved)", "Dinner"], "{again}");

    // Changed between the token listing and the second read's data.
    proxy.hold(asks_tokens);
    let app = rt.block_on(kenny::wiring::app::App::from_config(config(&env(&proxy, 0, 30_000)))).unwrap();
    let calendar = app.caps.calendar.as_ref().unwrap();
    let first = read(&app.caps, &rt, "2026-12-08", "2026-12-10");
    assert_eq!(tiers(&first), pair("miss", "miss"), "{first}");
    proxy.wait_held(1);
    proxy.clear();
    proxy.hold(is_query); // the token listing goes on; the reads after it are held
    std::thread::scope(|scope| {
        let settling = scope.spawn(|| rt.block_on(calendar.settled()));
        proxy.wait_held(2);
        assert!(!proxy.seen().iter().any(asks_tokens), "the token listing was out before: {:#?}", proxy.seen());
        server.put_item("work", "later.ics", &event("later", "20261209T140000Z", "Later"));
        proxy.release();
        settling.join().unwrap();
    });
    let next = read(&app.caps, &rt, "2026-12-08", "2026-12-10");
    assert_eq!(tiers(&next), pair("validated", "miss"), "{next}");
    assert_eq!(summaries(&next), vec!["Later"], "{next}");
}
