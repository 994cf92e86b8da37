//! A tiny HTTP server that misbehaves on purpose, for tests that point Kenny's DAV and feed
//! clients at a server that fails, lies, stalls or floods. Plain `std::net` on `127.0.0.1:0`, a
//! thread per connection, one request per connection (`Connection: close`), serving until dropped.
//!
//! HTTP/1.1 parsing is minimal: the request head up to 64 KiB, then a body by `Content-Length`
//! (at most 16 MiB is read; chunked request bodies are not understood). A client that hangs up at
//! any point only ends its connection's thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Socket read/write timeouts: a client that neither sends nor reads cannot pin a thread forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a stalled or dripping connection checks whether the server was dropped.
const TICK: Duration = Duration::from_millis(20);

/// One fixed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// `Content-Type` (none when empty).
    pub content_type: String,
    /// Body (sent with its `Content-Length`).
    pub body: Vec<u8>,
    /// Further headers.
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// A reply with a body and no further headers.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply { status, content_type: content_type.to_string(), body: body.into(), headers: Vec::new() }
    }

    /// The same reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// How the server misbehaves.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Always this status with an empty body (a 401 carries `WWW-Authenticate: Basic`).
    Status(u16),
    /// The first `times` requests get `status` (with `Retry-After` when given), later ones 200 with `body`.
    StatusThenOk {
        /// Status of the first answers.
        status: u16,
        /// How many requests get it.
        times: usize,
        /// `Retry-After` seconds on those answers.
        retry_after: Option<u32>,
        /// Body of the 200s.
        body: String,
        /// Content type of the 200s.
        content_type: String,
    },
    /// A fixed reply to every request: bad XML, entity bombs, a valid multistatus, a feed with an ETag …
    Body {
        /// Status code.
        status: u16,
        /// `Content-Type`.
        content_type: String,
        /// Body.
        body: Vec<u8>,
        /// Further headers.
        headers: Vec<(String, String)>,
    },
    /// 200 with `bytes` bytes of filler lines (announced by `Content-Length`), written in 64 KiB chunks.
    Huge {
        /// `Content-Type`.
        content_type: String,
        /// Body size.
        bytes: usize,
    },
    /// Reads the request, then sends nothing and keeps the connection open until dropped.
    Stall,
    /// 200 with a `Content-Length` of 3600, then one byte (`x`) per second.
    SlowDrip,
    /// A redirect (301, 302, 307, 308 …) to `location`, as given (relative or absolute).
    Redirect {
        /// Status code.
        status: u16,
        /// `Location` header.
        location: String,
    },
    /// Request N gets reply N; the last reply answers every later request. For discovery flows.
    Script(Vec<Reply>),
    /// Each reply computed from the request: for protocols whose answer echoes the request (a
    /// DynamoDB BatchWriteItem's UnprocessedItems).
    Respond(Responder),
}

/// `(request number, head, body) → reply`.
pub type Respond = dyn Fn(usize, &str, &[u8]) -> Reply + Send + Sync;

/// A [`Respond`] function, shareable across connections.
#[derive(Clone)]
pub struct Responder(pub Arc<Respond>);

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Responder(..)")
    }
}

/// A running misbehaving server; stops accepting and closes stalled connections when dropped.
#[derive(Debug)]
pub struct Hostile {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    mode: Mode,
    stop: AtomicBool,
    /// `(head, body)` of every request, in arrival order.
    log: Mutex<Vec<(String, Vec<u8>)>>,
}

/// Starts a server misbehaving as `mode` on a free loopback port.
pub fn hostile(mode: Mode) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    let shared = Arc::new(Shared { mode, stop: AtomicBool::new(false), log: Mutex::new(Vec::new()) });
    let accept = crate::accept_each(listener, "hostile", Arc::clone(&shared), |s| s.stop.load(Ordering::SeqCst), serve);
    Hostile { addr, shared, accept: Some(accept) }
}

impl Hostile {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Requests received so far (complete heads; the reply may still be under way).
    pub fn requests(&self) -> usize {
        self.log().len()
    }

    /// Every request head so far (request line and headers, without the blank line), in order.
    pub fn heads(&self) -> Vec<String> {
        self.log().iter().map(|(h, _)| h.clone()).collect()
    }

    /// Every request body so far, in order.
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.log().iter().map(|(_, b)| b.clone()).collect()
    }

    /// The value of header `name` (any case) in request `n` (0-based), if it was sent.
    pub fn header(&self, n: usize, name: &str) -> Option<String> {
        self.log().get(n).and_then(|(head, _)| header_value(head, name))
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<(String, Vec<u8>)>> {
        self.shared.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_nodelay(true);
    let Some((head, body)) = read_request(&mut stream) else { return };
    let head_only = head.starts_with("HEAD ");
    let n = {
        let mut log = shared.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.push((head, body));
        log.len() - 1
    };
    // Write errors mean the client hung up: nothing to do but end.
    let _ = answer(&mut stream, shared, n, head_only);
}

fn answer(stream: &mut TcpStream, shared: &Shared, n: usize, head_only: bool) -> std::io::Result<()> {
    let reply = match &shared.mode {
        Mode::Status(status) => {
            let reply = Reply::new(*status, "", Vec::new());
            if *status == 401 { reply.header("WWW-Authenticate", r#"Basic realm="hostile""#) } else { reply }
        }
        Mode::StatusThenOk { status, times, retry_after, body, content_type } => {
            if n < *times {
                let reply = Reply::new(*status, "", Vec::new());
                match retry_after {
                    Some(secs) => reply.header("Retry-After", &secs.to_string()),
                    None => reply,
                }
            } else {
                Reply::new(200, content_type, body.as_bytes())
            }
        }
        Mode::Body { status, content_type, body, headers } => {
            Reply { status: *status, content_type: content_type.clone(), body: body.clone(), headers: headers.clone() }
        }
        Mode::Redirect { status, location } => Reply::new(*status, "", Vec::new()).header("Location", location),
        Mode::Script(replies) => match replies.get(n).or(replies.last()) {
            Some(reply) => reply.clone(),
            None => Reply::new(500, "text/plain", "empty script"),
        },
        Mode::Respond(Responder(respond)) => {
            let (head, body) = shared.log.lock().unwrap_or_else(PoisonError::into_inner)[n].clone();
            respond(n, &head, &body)
        }
        Mode::Huge { content_type, bytes } => return huge(stream, shared, content_type, *bytes, head_only),
        Mode::Stall => {
            while !shared.stop.load(Ordering::SeqCst) {
                std::thread::sleep(TICK);
            }
            return Ok(());
        }
        Mode::SlowDrip => return drip(stream, shared, head_only),
    };
    let mut headers: Vec<(&str, &str)> = reply.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if !reply.content_type.is_empty() {
        headers.push(("Content-Type", &reply.content_type));
    }
    let len = reply.body.len().to_string();
    headers.push(("Content-Length", &len));
    stream.write_all(response_head(reply.status, &headers).as_bytes())?;
    if !head_only {
        stream.write_all(&reply.body)?;
    }
    stream.flush()
}

fn huge(
    stream: &mut TcpStream,
    shared: &Shared,
    content_type: &str,
    bytes: usize,
    head_only: bool,
) -> std::io::Result<()> {
    let len = bytes.to_string();
    stream.write_all(response_head(200, &[("Content-Type", content_type), ("Content-Length", &len)]).as_bytes())?;
    if head_only {
        return stream.flush();
    }
    let line = format!("X-FILLER:{}\r\n", "x".repeat(52));
    let chunk: Vec<u8> = line.as_bytes().iter().copied().cycle().take(64 * 1024).collect();
    let mut left = bytes;
    while left > 0 && !shared.stop.load(Ordering::SeqCst) {
        let n = left.min(chunk.len());
        stream.write_all(&chunk[..n])?;
        left -= n;
    }
    stream.flush()
}

fn drip(stream: &mut TcpStream, shared: &Shared, head_only: bool) -> std::io::Result<()> {
    stream.write_all(response_head(200, &[("Content-Type", "text/plain"), ("Content-Length", "3600")]).as_bytes())?;
    stream.flush()?;
    if head_only {
        return Ok(());
    }
    for _ in 0..3600 {
        stream.write_all(b"x")?;
        stream.flush()?;
        for _ in 0..(1000 / TICK.as_millis()) {
            if shared.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            std::thread::sleep(TICK);
        }
    }
    Ok(())
}

fn response_head(status: u16, headers: &[(&str, &str)]) -> String {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    head
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Hostile",
    }
}

/// The request head (without the blank line) and its body; None when the client hung up or the
/// head is too long.
pub(crate) fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len = header_value(&head, "content-length").and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
    let len = len.min(MAX_BODY);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(len);
    Some((head, body))
}

pub(crate) fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
}

/// A multistatus whose display name expands to 10⁹ `lol`s (about 3 GB) through nested internal
/// entities: a client must refuse DTDs or cap expansion.
pub fn billion_laughs_multistatus() -> String {
    let mut dtd = String::from("  <!ENTITY lol0 \"lol\">\n");
    for i in 1..=9 {
        dtd.push_str(&format!("  <!ENTITY lol{i} \"{}\">\n", format!("&lol{};", i - 1).repeat(10)));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE multistatus [\n{dtd}]>\n{}",
        calendar_multistatus("&lol9;")
    )
}

/// A multistatus whose display name is an external entity reading `file:///etc/passwd` (XXE): a
/// client must never resolve it.
pub fn xxe_multistatus() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE multistatus [\n  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n{}",
        calendar_multistatus("&xxe;")
    )
}

/// A multistatus cut off mid-document: unclosed `prop`, `propstat`, `response`, `multistatus`.
pub fn malformed_multistatus() -> String {
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<multistatus xmlns=\"DAV:\"><response><href>/kenny/work/</href>\
     <propstat><prop><displayname>Work</displayname><resourcetype><collection/>"
        .to_string()
}

/// A well-formed multistatus with `depth` nested elements inside one `prop`: for parsers that
/// recurse per level.
pub fn deeply_nested_xml(depth: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<multistatus xmlns=\"DAV:\"><response><href>/kenny/work/</href>\
         <propstat><prop>{}{}</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    )
}

/// One calendar collection `/kenny/work/` whose display name is `displayname` (raw XML).
fn calendar_multistatus(displayname: &str) -> String {
    format!(
        "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><response><href>/kenny/work/</href>\
         <propstat><prop><displayname>{displayname}</displayname><resourcetype><collection/><C:calendar/></resourcetype>\
         </prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
    )
}
