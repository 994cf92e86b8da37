//! The outbound HTTP client every network source shares: one `reqwest` client per process
//! (rustls, HTTP/2 when the server offers it, a keep-alive pool sized to the read concurrency),
//! with the guards a function handed other people's URLs needs:
//!
//! - **SSRF:** only `http`/`https`; a host that is, or resolves to, a loopback, link-local
//!   (169.254/16, the metadata address), private (10/8, 172.16/12, 192.168/16), shared
//!   (100.64/10), unique-local or otherwise non-public address is refused unless private sources
//!   are allowed (`KENNY_ALLOW_PRIVATE_SOURCES=1`). Names are checked by the resolver, at connect
//!   time, so a name cannot resolve to one address when checked and another when used; literal
//!   addresses are checked before sending; both on every redirect, which may also not leave
//!   `https` for `http`.
//! - **Bounds:** a per-attempt timeout (never past the caller's deadline), a connect timeout, a
//!   response body cap enforced while streaming (the decompressed size counts), at most 5 redirects.
//! - **Retries:** 429 and 503 are retried honouring `Retry-After` (seconds or an HTTP date) when
//!   it fits the time left, else with full-jitter backoff; transport errors are retried with
//!   backoff; nothing is retried past the deadline.
//!
//! Errors carry a display URL chosen by the caller (credentials and secret paths removed).

pub use kenny_ports::sources::HttpError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use tokio::time::Instant;

use kenny_domain::retry::Backoff;

/// Largest response body read (after decompression), the same bound as one local item file.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Longest wait a `Retry-After` may ask for before Kenny gives up instead.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Redirects followed per request.
pub const MAX_REDIRECTS: usize = 5;
/// Idle keep-alive connections kept per host by default: as many as `calendar.read` reads
/// calendars at once, so each concurrent read of one account reuses a connection.
pub const POOL_PER_HOST: usize = 8;
// A calendar read keeps at most this many requests to one source in flight; the pool holds them.
const _: () = assert!(kenny_ports::sources::READ_CONCURRENCY <= POOL_PER_HOST);

/// How the client behaves; [`HttpOptions::default`] is production.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Allow loopback, private and link-local destinations (local development and tests).
    pub allow_private: bool,
    /// Longest one request may take, all retries included, unless the caller's deadline is sooner.
    pub timeout: Duration,
    /// Longest a TCP/TLS connect may take.
    pub connect_timeout: Duration,
    /// Response body cap.
    pub max_body: usize,
    /// Idle keep-alive connections kept per host (see [`POOL_PER_HOST`]).
    pub pool_per_host: usize,
    /// Retry policy for 429/503 and transport errors.
    pub backoff: Backoff,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            allow_private: false,
            timeout: Duration::from_secs(8),
            connect_timeout: Duration::from_secs(3),
            max_body: MAX_BODY_BYTES,
            pool_per_host: POOL_PER_HOST,
            backoff: Backoff { max_attempts: 3, base: Duration::from_millis(100), cap: Duration::from_secs(2) },
        }
    }
}

/// A request. `display` names the destination in errors and logs.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method (`PROPFIND` and `REPORT` included).
    pub method: Method,
    /// Where to send it.
    pub url: Url,
    /// Extra headers (`Depth`, `Content-Type`, `If-None-Match`, …).
    pub headers: HeaderMap,
    /// Body, if any.
    pub body: Option<String>,
    /// `Authorization` value, if any; never logged.
    pub auth: Option<HeaderValue>,
    /// The destination as errors may show it.
    pub display: String,
    /// The caller's deadline, if sooner than the client's own timeout.
    pub deadline: Option<Instant>,
}

impl Request {
    /// A request with no headers, body, auth or deadline.
    pub fn new(method: Method, url: Url, display: impl Into<String>) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            auth: None,
            display: display.into(),
            deadline: None,
        }
    }

    /// Adds a header (values that are not valid header text are dropped).
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(HeaderName::from_static(name), v);
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: String) -> Self {
        self.body = Some(body);
        self
    }
}

/// A complete reply.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body (at most the cap).
    pub body: Vec<u8>,
    /// The URL that answered, after redirects (relative hrefs resolve against it).
    pub url: Url,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The shared client.
#[derive(Debug)]
pub struct Http {
    client: reqwest::Client,
    opts: HttpOptions,
}

/// Why a destination was refused, carried through reqwest's error chain from the resolver and
/// the redirect policy.
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Resolves names and drops non-public addresses unless they are allowed.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                addrs.iter().copied().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() && !addrs.is_empty() {
                let reason = format!(
                    "{host} resolves to a non-public address ({}); set KENNY_ALLOW_PRIVATE_SOURCES=1 for local servers",
                    addrs[0].ip()
                );
                return Err(Box::new(Refusal(reason)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

impl Http {
    /// A client with `opts`.
    pub fn new(opts: HttpOptions) -> Result<Self, HttpError> {
        let allow_private = opts.allow_private;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(Refusal(format!("more than {MAX_REDIRECTS} redirects")));
            }
            let downgrade =
                attempt.previous().last().is_some_and(|p| p.scheme() == "https") && attempt.url().scheme() != "https";
            if downgrade {
                return attempt.error(Refusal("a redirect from https to http".into()));
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(reason) => attempt.error(Refusal(format!("redirect refused: {reason}"))),
            }
        });
        // reqwest is built without a crypto provider of its own (`rustls-no-provider`) and takes
        // the process's default: ring, which the AWS SDK's client uses too (one TLS crypto
        // library per binary). Installing fails only when a provider is already installed; that
        // one is then used.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("kenny/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.connect_timeout)
            .pool_max_idle_per_host(opts.pool_per_host)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_keepalive(Duration::from_secs(30))
            .redirect(policy)
            .dns_resolver(GuardedResolver { allow_private })
            .build()
            .map_err(|e| HttpError::Unreachable { url: "(client)".into(), message: e.to_string() })?;
        Ok(Http { client, opts })
    }

    /// The process's client for these options: built on first use, then shared (a process
    /// normally has one configuration, so one client; tests build several).
    pub fn shared(opts: HttpOptions) -> Result<Arc<Http>, HttpError> {
        type Clients = std::sync::Mutex<Vec<((bool, Duration), Arc<Http>)>>;
        static SHARED: OnceLock<Clients> = OnceLock::new();
        let key = (opts.allow_private, opts.timeout);
        let mut clients =
            SHARED.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, h)) = clients.iter().find(|(k, _)| *k == key) {
            return Ok(h.clone());
        }
        let http = Arc::new(Http::new(opts)?);
        clients.push((key, http.clone()));
        Ok(http)
    }

    /// The options it was built with.
    pub fn options(&self) -> &HttpOptions {
        &self.opts
    }

    /// Sends `req`, retrying as the module documentation says, and reads the whole body.
    pub async fn send(&self, req: &Request) -> Result<Reply, HttpError> {
        let display = || req.display.clone();
        check_url(&req.url, self.opts.allow_private).map_err(|reason| HttpError::Refused { url: display(), reason })?;
        let started = Instant::now();
        let own = started + self.opts.timeout;
        let deadline = req.deadline.map_or(own, |d| d.min(own));
        let budget = deadline.saturating_duration_since(started);
        let timed_out = || HttpError::Timeout { url: display(), millis: budget.as_millis() };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = tokio::time::timeout_at(deadline, self.attempt(req)).await.map_err(|_| timed_out())?;
            let (wait, last_error) = match result {
                Ok(reply) if reply.status == 429 || reply.status == 503 => {
                    let wait = retry_after(&reply).map(|w| w.min(MAX_RETRY_AFTER));
                    let error = HttpError::Throttled { url: display(), status: reply.status, attempts: attempt };
                    (wait, error)
                }
                Ok(reply) => return Ok(reply),
                Err(AttemptError::Transport(message)) => (None, HttpError::Unreachable { url: display(), message }),
                Err(AttemptError::Refused(reason)) => return Err(HttpError::Refused { url: display(), reason }),
                Err(AttemptError::TooLarge) => {
                    return Err(HttpError::TooLarge { url: display(), limit: self.opts.max_body });
                }
                Err(AttemptError::Timeout) => return Err(timed_out()),
            };
            if attempt >= self.opts.backoff.max_attempts {
                return Err(last_error);
            }
            let wait = wait.unwrap_or_else(|| self.opts.backoff.delay(attempt - 1));
            if Instant::now() + wait >= deadline {
                return Err(last_error);
            }
            tracing::debug!(url = %req.display, attempt, wait_ms = wait.as_millis() as u64, "retrying a source request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, req: &Request) -> Result<Reply, AttemptError> {
        let mut builder = self.client.request(req.method.clone(), req.url.clone()).headers(req.headers.clone());
        if let Some(auth) = &req.auth {
            let mut auth = auth.clone();
            auth.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, auth);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let mut resp = builder.send().await.map_err(AttemptError::from_reqwest)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let url = resp.url().clone();
        // A redirect reqwest would not follow (e.g. to file://) is a refusal, not a reply.
        if let (300..=399, Some(location)) = (status, headers.get("location").and_then(|v| v.to_str().ok())) {
            let reason = match url.join(location) {
                Ok(next) => check_url(&next, self.opts.allow_private)
                    .err()
                    .unwrap_or_else(|| format!("a redirect to {} was not followed", next.scheme())),
                Err(_) => "a redirect to an invalid URL".to_string(),
            };
            return Err(AttemptError::Refused(format!("redirect refused: {reason}")));
        }
        if resp.content_length().is_some_and(|n| n > self.opts.max_body as u64) {
            return Err(AttemptError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(AttemptError::from_reqwest)? {
            if body.len() + chunk.len() > self.opts.max_body {
                return Err(AttemptError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply { status, headers, body, url })
    }
}

enum AttemptError {
    Transport(String),
    Refused(String),
    TooLarge,
    Timeout,
}

impl AttemptError {
    fn from_reqwest(e: reqwest::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<Refusal>() {
                return AttemptError::Refused(r.0.clone());
            }
            source = s.source();
        }
        if e.is_timeout() {
            return AttemptError::Timeout;
        }
        // reqwest's Display includes the URL, which may hold a secret path: keep only the kind
        // and the innermost cause.
        let mut cause = String::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        let kind = if e.is_connect() {
            "connection failed"
        } else if e.is_body() || e.is_decode() {
            "reply cut short"
        } else {
            "request failed"
        };
        AttemptError::Transport(if cause.is_empty() { kind.to_string() } else { format!("{kind}: {cause}") })
    }
}

/// `Retry-After` as a wait: delta-seconds or an HTTP date.
fn retry_after(reply: &Reply) -> Option<Duration> {
    let v = reply.header("retry-after")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default())
}

/// Whether Kenny may send a request to `url`: `http`/`https` only, and, unless private
/// destinations are allowed, no literal non-public address and no `localhost` name.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the {} scheme is not fetched (only http and https)", url.scheme()));
    }
    if allow_private {
        return Ok(());
    }
    let Some(host) = url.host_str() else {
        return Err("the URL has no host".into());
    };
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = literal.parse::<IpAddr>() else {
        let d = host.trim_end_matches('.').to_ascii_lowercase();
        if d == "localhost" || d.ends_with(".localhost") {
            return Err(format!("{d} is a loopback name; set KENNY_ALLOW_PRIVATE_SOURCES=1 for local servers"));
        }
        return Ok(());
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(format!("{ip} is not a public address; set KENNY_ALLOW_PRIVATE_SOURCES=1 for local servers"))
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// unique-local, multicast, documentation or reserved; IPv4 inside IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = embedded_v4(a) {
                return is_public_v4(v4);
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240) // reserved
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible, NAT64
/// (`64:ff9b::/96`) or 6to4 (`2002::/16`) IPv6 address.
fn embedded_v4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = a.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = a.segments();
    let tail = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(tail(s[1], s[2]));
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && !a.is_loopback() && !a.is_unspecified() {
        return Some(tail(s[6], s[7]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn private_and_special_destinations_are_refused() {
        for u in [
            "http://127.0.0.1/x",
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://100.127.255.255/",
            "http://0.0.0.0/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "file:///etc/passwd",
            "ftp://example.com/",
            "gopher://example.com/",
        ] {
            assert!(check_url(&url(u), false).is_err(), "{u} must be refused");
        }
        for u in
            ["https://dav.example.com/", "http://93.184.216.34/", "https://[2606:4700::1111]/", "http://172.32.0.1/"]
        {
            assert!(check_url(&url(u), false).is_ok(), "{u} is public");
        }
        assert!(check_url(&url("http://127.0.0.1/"), true).is_ok());
        assert!(check_url(&url("file:///etc/passwd"), true).is_err(), "only http(s), even when private is allowed");
    }

    #[tokio::test]
    async fn names_that_resolve_to_private_addresses_are_refused_at_connect_time() {
        use reqwest::dns::Resolve as _;
        let guarded = GuardedResolver { allow_private: false };
        let err = guarded.resolve("localhost".parse().unwrap()).await.err().unwrap();
        assert!(err.to_string().contains("non-public"), "{err}");
        let open = GuardedResolver { allow_private: true };
        assert!(open.resolve("localhost".parse().unwrap()).await.is_ok());
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let mut reply = Reply { status: 429, headers: HeaderMap::new(), body: vec![], url: url("http://x/") };
        reply.headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&reply), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        reply.headers.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&reply).unwrap();
        assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_secs(25), "{wait:?}");
        reply.headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&reply), None);
    }
}
