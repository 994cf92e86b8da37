//! A counting HTTP proxy put between Kenny and a real DAV server, for tests that count the
//! requests a read makes, how many were in flight at once, and prove an order by holding some
//! requests back: a held request reaches the server only when the test releases it, so the test
//! can change the server's data between two requests, or show that an answer came while a
//! request was still held (it was not on the answer's path).
//!
//! Plain `std::net` on `127.0.0.1:0`, a thread per connection, one request per connection: the
//! request (head and `Content-Length` body, as `hostile.rs` reads them) is sent to the server on
//! a connection of its own with `Connection: close`, the whole answer read back and passed on
//! with `Connection: close`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::hostile::read_request;

/// Socket timeouts on both sides: a hang guard, not an expectation.
const IO_TIMEOUT: Duration = Duration::from_secs(600);
/// Longest [`Proxy::wait_held`] waits: a hang guard.
const HOLD_WAIT: Duration = Duration::from_secs(120);
/// Largest answer passed on.
const MAX_ANSWER: usize = 256 * 1024 * 1024;

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `PROPFIND`, `REPORT`, …
    pub method: String,
    /// The request target (a path).
    pub path: String,
    /// The body, as text (lossy).
    pub body: String,
}

impl Seen {
    /// `METHOD path`, then the name of the body's root element (`REPORT /kenny/people/
    /// sync-collection`), for readable assertions.
    pub fn kind(&self) -> String {
        format!("{} {} {}", self.method, self.path, root_element(&self.body))
    }

    /// Whether it asked the server for a collection token (what Radicale computes by hashing
    /// every item): a PROPFIND for `sync-token` or `getctag`.
    pub fn asks_tokens(&self) -> bool {
        self.method == "PROPFIND" && (self.body.contains("sync-token") || self.body.contains("getctag"))
    }
}

/// The local name of an XML body's root element (`calendar-query`), or "" for none.
pub fn root_element(body: &str) -> String {
    let mut rest = body;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/').collect();
        return name.rsplit(':').next().unwrap_or("").to_string();
    }
    String::new()
}

/// Which requests are held back.
type Rule = Arc<dyn Fn(&Seen) -> bool + Send + Sync>;

struct Gate {
    rule: Option<Rule>,
    held: usize,
}

struct Shared {
    upstream: SocketAddr,
    stop: AtomicBool,
    log: Mutex<Vec<Seen>>,
    gate: Mutex<Gate>,
    changed: Condvar,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running proxy; stops accepting and releases held requests when dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).field("upstream", &self.shared.upstream).finish()
    }
}

/// Starts a proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:PORT`).
pub fn proxy(upstream: &str) -> Proxy {
    let hostport = upstream.trim_start_matches("http://").trim_end_matches('/');
    let upstream: SocketAddr = hostport.parse().expect("the upstream is http://IP:PORT");
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    let shared = Arc::new(Shared {
        upstream,
        stop: AtomicBool::new(false),
        log: Mutex::new(Vec::new()),
        gate: Mutex::new(Gate { rule: None, held: 0 }),
        changed: Condvar::new(),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
    });
    let accept = crate::accept_each(listener, "proxy", Arc::clone(&shared), |s| s.stop.load(Ordering::SeqCst), serve);
    Proxy { addr, shared, accept: Some(accept) }
}

impl Proxy {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets the requests seen and the highest number in flight.
    pub fn clear(&self) {
        self.shared.log.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.shared.max_in_flight.store(self.shared.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The most requests that were at the server (or held) at once since the last [`Proxy::clear`].
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Holds back every later request `rule` matches until [`Proxy::release`].
    pub fn hold(&self, rule: impl Fn(&Seen) -> bool + Send + Sync + 'static) {
        self.gate().rule = Some(Arc::new(rule));
        self.shared.changed.notify_all();
    }

    /// Lets every held request go on, and holds no more.
    pub fn release(&self) {
        self.gate().rule = None;
        self.shared.changed.notify_all();
    }

    /// Waits until at least `n` requests are held (panics after a long hang guard).
    pub fn wait_held(&self, n: usize) {
        let mut gate = self.gate();
        let deadline = std::time::Instant::now() + HOLD_WAIT;
        while gate.held < n {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "{} requests held, {n} awaited", gate.held);
            gate = self.shared.changed.wait_timeout(gate, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Requests held now.
    pub fn held(&self) -> usize {
        self.gate().held
    }

    fn gate(&self) -> std::sync::MutexGuard<'_, Gate> {
        self.shared.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.release();
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(mut client: TcpStream, shared: &Shared) {
    let _ = client.set_read_timeout(Some(IO_TIMEOUT));
    let _ = client.set_write_timeout(Some(IO_TIMEOUT));
    let _ = client.set_nodelay(true);
    let Some((head, body)) = read_request(&mut client) else { return };
    let mut words = head.split_whitespace();
    let seen = Seen {
        method: words.next().unwrap_or("").to_string(),
        path: words.next().unwrap_or("").to_string(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    shared.log.lock().unwrap_or_else(PoisonError::into_inner).push(seen.clone());
    wait_while_held(shared, &seen);
    let answer = forward(shared.upstream, &head, &body);
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    match answer {
        Some(bytes) => {
            let _ = client.write_all(&bytes);
        }
        None => {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    }
    let _ = client.flush();
}

fn wait_while_held(shared: &Shared, seen: &Seen) {
    let mut gate = shared.gate.lock().unwrap_or_else(PoisonError::into_inner);
    let held = |g: &Gate| !shared.stop.load(Ordering::SeqCst) && g.rule.as_ref().is_some_and(|r| r(seen));
    if !held(&gate) {
        return;
    }
    gate.held += 1;
    shared.changed.notify_all();
    while held(&gate) {
        gate = shared.changed.wait(gate).unwrap_or_else(PoisonError::into_inner);
    }
    gate.held -= 1;
    shared.changed.notify_all();
}

/// Sends one request upstream with `Connection: close` and returns the whole answer, its head
/// saying `Connection: close` too.
fn forward(upstream: SocketAddr, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect_timeout(&upstream, Duration::from_secs(10)).ok()?;
    let _ = server.set_read_timeout(Some(IO_TIMEOUT));
    let _ = server.set_write_timeout(Some(IO_TIMEOUT));
    let mut out = close_head(head);
    out.extend_from_slice(body);
    server.write_all(&out).ok()?;
    let mut answer = Vec::new();
    (&mut server).take(MAX_ANSWER as u64).read_to_end(&mut answer).ok()?;
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let mut reply = close_head(&String::from_utf8_lossy(&answer[..end]));
    reply.extend_from_slice(&answer[end + 4..]);
    Some(reply)
}

/// `head` (request or status line and headers, without the blank line) with any `Connection`
/// or `Keep-Alive` header replaced by `Connection: close`, and the blank line.
fn close_head(head: &str) -> Vec<u8> {
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split(':').next().unwrap_or("").trim();
        if i > 0 && (name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive")) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}
