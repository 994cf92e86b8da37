//! Fault injection, built in and off unless `KENNY_FAULTS` names targets (template.yaml never sets
//! it). It exists so that what Kenny survives can be shown on the real paths — the local Lambda
//! path, a deployed stack — not only in unit tests.
//!
//! `KENNY_FAULTS` is a `;`-separated list of `TARGET=MODE`:
//! - targets: `calendar.read` or `contacts.resolve` (coordinate's call of that sibling, whatever
//!   the transport), or `source:NAME` (every calendar source and contact directory whose
//!   description contains `NAME`; `source:*` is all of them);
//! - modes: `latency:MS` (answer after MS more milliseconds), `error` (fail at once), `timeout`
//!   (never answer: the step or source timeout must cut it off), `malformed` (a reply that cannot
//!   be read, through the same parser a real one goes through), `throttle` (the target is
//!   throttled: a sibling's Invoke answers 429 on every attempt, a source answers HTTP 429).
//!
//! The first rule matching a target wins.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use kenny_domain::error::{ApiError, ErrorCode};
use kenny_domain::plan::Capability;
use kenny_domain::time::Window;
use kenny_ports::sibling::{Call, Output, Sibling};
use kenny_ports::sources::{
    CalendarInfo, CalendarSource, ContactDirectory, Earlier, Fetched, LoadedContacts, SourceError,
};

/// Longest injected latency: an hour is more than any deadline Kenny runs under.
pub const MAX_LATENCY_MS: u64 = 3_600_000;
/// Most rules one `KENNY_FAULTS` may hold.
pub const MAX_RULES: usize = 32;

/// How a target misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Answers, this much later.
    Latency(Duration),
    /// Fails at once.
    Error,
    /// Never answers.
    Timeout,
    /// Answers with something that cannot be read.
    Malformed,
    /// Is throttled.
    Throttle,
}

/// What a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Coordinate's call of a sibling capability.
    Sibling(Capability),
    /// Sources whose description contains this (`*`: all).
    Source(String),
}

/// The faults to inject; empty (the default) injects none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    rules: Vec<(Target, Mode)>,
}

/// Why `KENNY_FAULTS` could not be read.
#[derive(Debug, thiserror::Error)]
#[error("KENNY_FAULTS: {0}")]
pub struct FaultsError(String);

impl ErrorCode for FaultsError {
    fn code(&self) -> &'static str {
        "invalid_config"
    }
    fn status(&self) -> u16 {
        500
    }
}

impl Faults {
    /// Reads a `KENNY_FAULTS` value.
    pub fn parse(spec: &str) -> Result<Faults, FaultsError> {
        let mut rules = Vec::new();
        for rule in spec.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            if rules.len() >= MAX_RULES {
                return Err(FaultsError(format!("at most {MAX_RULES} rules")));
            }
            let (target, mode) =
                rule.split_once('=').ok_or_else(|| FaultsError(format!("{rule:?} is not TARGET=MODE")))?;
            let target = match target.trim() {
                t if t.starts_with("source:") && t.len() > "source:".len() => {
                    Target::Source(t["source:".len()..].into())
                }
                t => Target::Sibling(Capability::from_name(t).ok_or_else(|| {
                    FaultsError(format!("{t:?}: expected calendar.read, contacts.resolve or source:NAME"))
                })?),
            };
            let mode = match mode.trim() {
                "error" => Mode::Error,
                "timeout" => Mode::Timeout,
                "malformed" => Mode::Malformed,
                "throttle" => Mode::Throttle,
                m => match m.strip_prefix("latency:").and_then(|ms| ms.parse::<u64>().ok()) {
                    Some(ms) if ms <= MAX_LATENCY_MS => Mode::Latency(Duration::from_millis(ms)),
                    _ => {
                        return Err(FaultsError(format!(
                            "{m:?}: expected latency:MS (at most {MAX_LATENCY_MS}), error, timeout, malformed or throttle"
                        )));
                    }
                },
            };
            rules.push((target, mode));
        }
        Ok(Faults { rules })
    }

    /// Whether any fault is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The fault for coordinate's calls of `capability`.
    pub fn sibling(&self, capability: Capability) -> Option<Mode> {
        self.rules.iter().find(|(t, _)| *t == Target::Sibling(capability)).map(|(_, m)| *m)
    }

    /// The fault for the source described as `description`.
    pub fn source(&self, description: &str) -> Option<Mode> {
        self.rules
            .iter()
            .find(|(t, _)| matches!(t, Target::Source(name) if name == "*" || description.contains(name.as_str())))
            .map(|(_, m)| *m)
    }

    /// `sibling` with the configured sibling faults applied (itself when there are none).
    pub fn wrap_sibling(&self, sibling: Arc<dyn Sibling>) -> Arc<dyn Sibling> {
        if self.rules.iter().any(|(t, _)| matches!(t, Target::Sibling(_))) {
            Arc::new(FaultySibling { inner: sibling, faults: self.clone() })
        } else {
            sibling
        }
    }

    /// `source` with its configured fault applied (itself when none matches).
    pub fn wrap_calendars(&self, source: Arc<dyn CalendarSource>) -> Arc<dyn CalendarSource> {
        match self.source(&source.describe()) {
            Some(mode) => Arc::new(Faulty { inner: source, mode }),
            None => source,
        }
    }

    /// `directory` with its configured fault applied (itself when none matches).
    pub fn wrap_contacts(&self, directory: Arc<dyn ContactDirectory>) -> Arc<dyn ContactDirectory> {
        match self.source(&directory.describe()) {
            Some(mode) => Arc::new(Faulty { inner: directory, mode }),
            None => directory,
        }
    }
}

/// What an injected sibling fault answers (after any latency), or `None` to call the sibling.
async fn sibling_fault(mode: Mode, capability: Capability) -> Option<ApiError> {
    let injected = |code: &str, status: u16, what: &str| {
        ApiError::new(code, status, format!("{capability}: {what} (injected by KENNY_FAULTS)"))
    };
    match mode {
        Mode::Latency(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Mode::Error => Some(injected("sibling_failed", 502, "the function failed")),
        Mode::Timeout => std::future::pending().await,
        Mode::Malformed => {
            // A reply cut off mid-way, read by the parser every transport's reply goes through.
            let cut = br#"{"events": [{"uid": "#;
            Output::from_reply(capability, cut).err()
        }
        Mode::Throttle => Some(injected("throttled", 502, "Invoke answered HTTP 429 TooManyRequestsException")),
    }
}

#[derive(Debug)]
struct FaultySibling {
    inner: Arc<dyn Sibling>,
    faults: Faults,
}

#[async_trait]
impl Sibling for FaultySibling {
    async fn call(&self, call: Call) -> Result<Output, ApiError> {
        let capability = call.capability();
        if let Some(mode) = self.faults.sibling(capability)
            && let Some(e) = sibling_fault(mode, capability).await
        {
            return Err(e);
        }
        self.inner.call(call).await
    }

    fn transport(&self) -> &'static str {
        self.inner.transport()
    }
}

/// A source with a fault.
#[derive(Debug)]
struct Faulty<S: ?Sized> {
    inner: Arc<S>,
    mode: Mode,
}

/// Applies `mode` before a source request: `Ok` to go on with the real one.
async fn source_fault(mode: Mode, source_id: String) -> Result<(), SourceError> {
    let what = "injected by KENNY_FAULTS".to_string();
    match mode {
        Mode::Latency(d) => {
            tokio::time::sleep(d).await;
            Ok(())
        }
        Mode::Error => Err(SourceError::Status { source_id, status: 503, what }),
        Mode::Timeout => std::future::pending().await,
        Mode::Malformed => {
            // A multistatus cut off mid-way, read by the DAV client's own parser.
            let message = match crate::dav::xml::multistatus("<d:multistatus xmlns:d=\"DAV:\"><d:response>") {
                Ok(_) => "an unreadable reply".to_string(),
                Err(e) => format!("{e} ({what})"),
            };
            Err(SourceError::BadReply { source_id, message })
        }
        Mode::Throttle => Err(SourceError::Status { source_id, status: 429, what }),
    }
}

#[async_trait]
impl CalendarSource for Faulty<dyn CalendarSource> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
        source_fault(self.mode, self.describe()).await?;
        self.inner.calendars().await
    }
    async fn fetch(&self, calendar: &CalendarInfo, window: &Window) -> Result<Fetched, SourceError> {
        source_fault(self.mode, self.describe()).await?;
        self.inner.fetch(calendar, window).await
    }
    fn windowed(&self) -> bool {
        self.inner.windowed()
    }
    fn identity(&self) -> String {
        self.inner.identity()
    }
    fn incremental(&self) -> bool {
        self.inner.incremental()
    }
    async fn refetch(
        &self,
        calendar: &CalendarInfo,
        window: &Window,
        earlier: &Earlier,
    ) -> Result<Fetched, SourceError> {
        source_fault(self.mode, self.describe()).await?;
        self.inner.refetch(calendar, window, earlier).await
    }
}

#[async_trait]
impl ContactDirectory for Faulty<dyn ContactDirectory> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn load(&self) -> Result<LoadedContacts, SourceError> {
        source_fault(self.mode, self.describe()).await?;
        self.inner.load().await
    }
    async fn reload_if_changed(&self, known: &str) -> Result<Option<LoadedContacts>, SourceError> {
        source_fault(self.mode, self.describe()).await?;
        self.inner.reload_if_changed(known).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_match_the_first_target() {
        let f = Faults::parse("contacts.resolve=latency:250; source:work=error;source:*=timeout").unwrap();
        assert_eq!(f.sibling(Capability::ContactsResolve), Some(Mode::Latency(Duration::from_millis(250))));
        assert_eq!(f.sibling(Capability::CalendarRead), None);
        assert_eq!(f.source("/data/work"), Some(Mode::Error));
        assert_eq!(f.source("/data/home"), Some(Mode::Timeout));
        assert!(Faults::parse("").unwrap().is_empty());
        for bad in ["nope", "calendar.write=error", "source:=error", "calendar.read=slow", "calendar.read=latency:-1"] {
            assert_eq!(Faults::parse(bad).unwrap_err().code(), "invalid_config", "{bad}");
        }
        assert!(Faults::parse(&"source:a=error;".repeat(MAX_RULES + 1)).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn sibling_faults_answer_as_the_real_failures_do() {
        let cap = Capability::ContactsResolve;
        assert_eq!(sibling_fault(Mode::Error, cap).await.unwrap().code, "sibling_failed");
        assert_eq!(sibling_fault(Mode::Throttle, cap).await.unwrap().code, "throttled");
        assert_eq!(sibling_fault(Mode::Malformed, cap).await.unwrap().code, "sibling_bad_reply");
        assert!(sibling_fault(Mode::Latency(Duration::from_secs(5)), cap).await.is_none());
        let never = tokio::time::timeout(Duration::from_secs(3600), sibling_fault(Mode::Timeout, cap)).await;
        assert!(never.is_err(), "a timeout fault never answers");
    }

    #[tokio::test]
    async fn source_faults_carry_the_codes_of_real_failures() {
        let code = |m| async move { source_fault(m, "s".into()).await.unwrap_err().code() };
        assert_eq!(code(Mode::Error).await, "source_unreachable");
        assert_eq!(code(Mode::Throttle).await, "source_throttled");
        assert_eq!(code(Mode::Malformed).await, "source_bad_reply");
    }
}
