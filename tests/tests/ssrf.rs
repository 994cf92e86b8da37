//! The SSRF guard, end to end through the `kenny` binary: configured sources pointing at
//! loopback, link-local, private and shared addresses in every spelling, a name that resolves to
//! one, and redirects to a private address or to `file://` are all refused (`source_refused`)
//! before anything is read from them — unless private sources are explicitly allowed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::net::ToSocketAddrs as _;

use kenny_tests::{Mode, Reply, hostile, kenny};
use serde_json::Value;

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kenny tests//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T150000Z\r\nDURATION:PT1H\r\nSUMMARY:Budget review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// `kenny calendar read` over one source, private sources allowed or not, with extra `env`.
fn read(source: &str, allow_private: bool, env: &[(&str, &str)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut all =
        vec![("KENNY_CALENDARS", source), ("KENNY_ALLOW_PRIVATE_SOURCES", if allow_private { "1" } else { "0" })];
    all.extend_from_slice(env);
    let args = ["calendar", "read", "--start", "2026-11-30", "--end", "2026-12-07", "--json"];
    let out = kenny(dir.path(), &args, &all);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{source}: {e}: {}{}", out.stdout, out.stderr))
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("(answered)")
}

/// This machine's own host name, which resolves (through /etc/hosts) to a loopback or private
/// address — a name, not a literal, so only the connect-time check can refuse it.
fn local_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let addrs: Vec<_> = (name.as_str(), 80).to_socket_addrs().expect("the host name resolves").collect();
    assert!(
        addrs.iter().all(|a| a.ip().is_loopback() || matches!(a.ip(), std::net::IpAddr::V4(v) if v.is_private())),
        "{name} resolves to {addrs:?}"
    );
    name
}

#[test]
fn private_destinations_in_every_spelling_are_refused_unless_allowed() {
    let server = hostile(Mode::Script(vec![Reply::new(200, "text/calendar", ICS)]));
    let port = server.port();
    let name = local_name();
    let refused = [
        format!("http://127.0.0.1:{port}/cal.ics"),
        format!("http://localhost:{port}/cal.ics"),
        format!("http://[::1]:{port}/cal.ics"),
        format!("http://[::ffff:127.0.0.1]:{port}/cal.ics"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.8/cal.ics".to_string(),
        "http://172.16.5.4/cal.ics".to_string(),
        "http://172.31.255.254/cal.ics".to_string(),
        "http://192.168.1.10/cal.ics".to_string(),
        "http://100.64.0.1/cal.ics".to_string(),
        "webcal://10.1.2.3/cal.ics".to_string(),
        format!("caldav+http://kenny@[::ffff:127.0.0.1]:{port}/cal/"),
        // A name: passes the literal check, refused when it resolves at connect time.
        format!("http://{name}:{port}/cal.ics"),
    ];
    for url in &refused {
        let r = read(url, false, &[]);
        assert_eq!(code(&r), "source_refused", "{url}: {r}");
        assert!(r["error"]["message"].as_str().unwrap().contains("refused"), "{url}: {r}");
    }
    assert_eq!(server.requests(), 0, "nothing reached the server");

    // Explicitly allowed, the loopback server and the name answer.
    for url in [format!("http://127.0.0.1:{port}/cal.ics"), format!("http://{name}:{port}/cal.ics")] {
        let r = read(&url, true, &[]);
        assert_eq!(r["events"].as_array().map(Vec::len), Some(1), "{url}: {r}");
    }
}

#[test]
fn redirects_to_private_addresses_or_other_schemes_are_refused_at_the_redirect() {
    // The source's host is a public name; the hop to it goes through an HTTP proxy (this test's
    // server, on loopback), which answers with the redirect — as a compromised or hostile public
    // server would. The guard checks the redirect's target before following it.
    for location in ["http://192.168.1.10/cal.ics", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"] {
        let proxy = hostile(Mode::Redirect { status: 302, location: location.into() });
        let proxy_url = proxy.url();
        let env = [("HTTP_PROXY", proxy_url.as_str()), ("http_proxy", proxy_url.as_str())];
        let r = read("http://calendar.example.com/cal.ics", false, &env);
        assert_eq!(code(&r), "source_refused", "{location}: {r}");
        assert_eq!(proxy.requests(), 1, "the first hop was made, the redirect was not followed: {location}");
    }
}
