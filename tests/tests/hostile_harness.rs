//! The misbehaving HTTP server itself: each mode does what it says, it records what it was sent,
//! survives clients that hang up, and stops when dropped. Client timeouts here are hang guards.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use kenny_tests::{
    Mode, Reply, billion_laughs_multistatus, deeply_nested_xml, hostile, malformed_multistatus, xxe_multistatus,
};
use reqwest::blocking::Client;

fn client(timeout: Duration) -> Client {
    Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn guard() -> Client {
    client(Duration::from_secs(30))
}

#[test]
fn status_always_answers_that_status_and_counts_requests() {
    for status in [500u16, 503, 401, 404] {
        let server = hostile(Mode::Status(status));
        for _ in 0..3 {
            let resp = guard().get(server.url() + "/feed.ics").send().unwrap();
            assert_eq!(resp.status().as_u16(), status);
            assert_eq!(resp.headers().contains_key("www-authenticate"), status == 401);
            assert_eq!(resp.text().unwrap(), "");
        }
        assert_eq!(server.requests(), 3);
    }
}

#[test]
fn status_then_ok_fails_the_first_requests_with_retry_after() {
    let server = hostile(Mode::StatusThenOk {
        status: 503,
        times: 2,
        retry_after: Some(7),
        body: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
        content_type: "text/calendar".into(),
    });
    for _ in 0..2 {
        let resp = guard().get(server.url()).send().unwrap();
        assert_eq!(resp.status().as_u16(), 503);
        assert_eq!(resp.headers()["retry-after"], "7");
    }
    for _ in 0..2 {
        let resp = guard().get(server.url()).send().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert!(!resp.headers().contains_key("retry-after"));
        assert_eq!(resp.headers()["content-type"], "text/calendar");
        assert_eq!(resp.text().unwrap(), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    }
    assert_eq!(server.requests(), 4);

    let no_retry_after = hostile(Mode::StatusThenOk {
        status: 429,
        times: 1,
        retry_after: None,
        body: String::new(),
        content_type: String::new(),
    });
    let resp = guard().get(no_retry_after.url()).send().unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(!resp.headers().contains_key("retry-after"));
}

#[test]
fn body_sends_the_fixed_reply_and_heads_record_the_request() {
    let server = hostile(Mode::Body {
        status: 207,
        content_type: "application/xml; charset=utf-8".into(),
        body: xxe_multistatus().into(),
        headers: vec![("ETag".into(), "\"v1\"".into()), ("DAV".into(), "1, 2, calendar-access".into())],
    });
    let resp = guard()
        .request(reqwest::Method::from_bytes(b"PROPFIND").unwrap(), server.url() + "/dav/")
        .basic_auth("kenny", Some("pw"))
        .header("Depth", "1")
        .header("If-None-Match", "\"v0\"")
        .body("<propfind xmlns=\"DAV:\"><allprop/></propfind>")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 207);
    assert_eq!(resp.headers()["etag"], "\"v1\"");
    assert_eq!(resp.headers()["dav"], "1, 2, calendar-access");
    assert_eq!(resp.text().unwrap(), xxe_multistatus());

    let heads = server.heads();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].starts_with("PROPFIND /dav/ HTTP/1.1\r\n"), "{}", heads[0]);
    assert!(server.header(0, "Authorization").unwrap().starts_with("Basic "), "{}", heads[0]);
    assert_eq!(server.header(0, "if-none-match").as_deref(), Some("\"v0\""));
    assert_eq!(server.header(0, "depth").as_deref(), Some("1"));
    assert_eq!(server.header(0, "x-absent"), None);
    assert_eq!(server.bodies(), [b"<propfind xmlns=\"DAV:\"><allprop/></propfind>".to_vec()]);
}

#[test]
fn huge_streams_every_byte_and_survives_a_client_hanging_up() {
    let bytes = 6 * 1024 * 1024 + 17;
    let server = hostile(Mode::Huge { content_type: "text/calendar".into(), bytes });
    let resp = guard().get(server.url()).send().unwrap();
    assert_eq!(resp.headers()["content-length"], bytes.to_string().as_str());
    let body = resp.bytes().unwrap();
    assert_eq!(body.len(), bytes);
    assert!(body.starts_with(b"X-FILLER:xxx"));

    // A client that reads a little and hangs up, twice, then one that reads it all.
    for _ in 0..2 {
        let mut resp = guard().get(server.url()).send().unwrap();
        let mut first = [0u8; 1024];
        resp.read_exact(&mut first).unwrap();
        drop(resp);
    }
    let mut raw = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    drop(raw);
    assert_eq!(guard().get(server.url()).send().unwrap().bytes().unwrap().len(), bytes);
}

#[test]
fn stall_never_answers_and_a_client_timeout_ends_the_wait() {
    let server = hostile(Mode::Stall);
    let err = client(Duration::from_secs(1)).get(server.url()).send().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.requests(), 1, "the request was read before stalling");
    drop(server); // closes the stalled connection and returns
}

#[test]
fn slow_drip_sends_headers_then_a_byte_at_a_time() {
    let server = hostile(Mode::SlowDrip);
    let mut resp = guard().get(server.url()).send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-length"], "3600");
    let mut two = [0u8; 2];
    resp.read_exact(&mut two).unwrap();
    assert_eq!(&two, b"xx");
    drop(resp);
    drop(server);
}

#[test]
fn redirect_points_elsewhere() {
    for (status, location) in [(301u16, "/"), (302, "http://127.0.0.1:9/elsewhere"), (308, "/dav/")] {
        let server = hostile(Mode::Redirect { status, location: location.into() });
        let resp = guard().get(server.url() + "/.well-known/caldav").send().unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["location"], location);
    }
}

#[test]
fn script_replies_in_order_and_repeats_the_last() {
    let server = hostile(Mode::Script(vec![
        Reply::new(301, "", "").header("Location", "/dav/"),
        Reply::new(401, "text/plain", "who are you?").header("WWW-Authenticate", "Basic realm=\"x\""),
        Reply::new(207, "application/xml", malformed_multistatus()),
    ]));
    let statuses: Vec<u16> = (0..5).map(|_| guard().get(server.url()).send().unwrap().status().as_u16()).collect();
    assert_eq!(statuses, [301, 401, 207, 207, 207]);
    assert_eq!(server.requests(), 5);
    assert_eq!(guard().get(server.url()).send().unwrap().text().unwrap(), malformed_multistatus());
}

#[test]
fn head_requests_get_no_body() {
    let server = hostile(Mode::Body {
        status: 200,
        content_type: "text/calendar".into(),
        body: b"BODY".to_vec(),
        headers: vec![],
    });
    let resp = guard().head(server.url()).send().unwrap();
    assert_eq!(resp.headers()["content-length"], "4");
    assert_eq!(resp.bytes().unwrap().len(), 0);
}

#[test]
fn clients_that_hang_up_early_do_not_stop_the_server() {
    let server = hostile(Mode::Status(200));
    // Connect and leave; send half a head and leave; send a head promising a body and leave.
    drop(TcpStream::connect(("127.0.0.1", server.port())).unwrap());
    let mut half = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    half.write_all(b"GET / HT").unwrap();
    drop(half);
    let mut promise = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    promise.write_all(b"PUT / HTTP/1.1\r\nContent-Length: 1000\r\n\r\nabc").unwrap();
    drop(promise);
    // Many at once.
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| assert_eq!(guard().get(server.url()).send().unwrap().status().as_u16(), 200));
        }
    });
    assert_eq!(guard().get(server.url()).send().unwrap().status().as_u16(), 200);
    assert!(server.requests() >= 17, "{}", server.requests());
}

#[test]
fn dropping_the_server_stops_it() {
    let server = hostile(Mode::Stall);
    let port = server.port();
    // A stalled connection is open while the server is dropped.
    let mut stalled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    while server.requests() == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(server);
    // The stalled connection ends (EOF, no answer) and no one listens any more.
    stalled.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut rest = Vec::new();
    assert_eq!(stalled.read_to_end(&mut rest).unwrap(), 0);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn ready_made_bodies_are_what_they_claim() {
    let bomb = billion_laughs_multistatus();
    assert!(bomb.contains("<!DOCTYPE multistatus ["), "{bomb}");
    assert_eq!(bomb.matches("<!ENTITY lol").count(), 10);
    assert!(bomb.contains(&"&lol8;".repeat(10)), "{bomb}");
    assert!(bomb.contains("<displayname>&lol9;</displayname>"), "{bomb}");
    assert!(bomb.len() < 2048, "small on the wire: {}", bomb.len());

    let xxe = xxe_multistatus();
    assert!(xxe.contains(r#"<!ENTITY xxe SYSTEM "file:///etc/passwd">"#), "{xxe}");
    assert!(xxe.contains("<displayname>&xxe;</displayname>"), "{xxe}");

    let bad = malformed_multistatus();
    assert!(bad.starts_with("<?xml") && bad.contains("<multistatus") && !bad.contains("</multistatus>"), "{bad}");

    let deep = deeply_nested_xml(10_000);
    assert_eq!(deep.matches("<x>").count(), 10_000);
    assert_eq!(deep.matches("</x>").count(), 10_000);
    assert!(deep.ends_with("</multistatus>"));
}
