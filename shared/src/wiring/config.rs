//! Configuration (docs/contracts.md § Configuration): environment variables, with a `kenny.toml` in the working
//! directory for local use; the environment wins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use crate::adapters::secrets::Secret;
use crate::domain::error::ErrorCode;

/// The defaults of the source keys; they live with the sample data they name.
pub use crate::domain::sample::{SAMPLE_CALENDARS, SAMPLE_CONTACTS, SAMPLE_PEOPLE};
/// Default longest duration of one coordinate step, ms.
pub const DEFAULT_STEP_TIMEOUT_MS: u64 = 10_000;
/// The keys Kenny reads; anything else in `kenny.toml` is a mistake worth reporting.
pub const KEYS: [&str; 22] = [
    "KENNY_CALENDARS",
    "KENNY_CONTACTS",
    "KENNY_TIMEZONE",
    "KENNY_TIMINGS",
    "KENNY_CACHE",
    "KENNY_CALENDAR_READ_FUNCTION",
    "KENNY_CONTACTS_RESOLVE_FUNCTION",
    "KENNY_STEP_TIMEOUT_MS",
    "KENNY_SOURCE_TIMEOUT_MS",
    "KENNY_DAV_PASSWORD",
    "KENNY_DAV_TOKEN",
    "KENNY_DAV_SECRET_ARN",
    "KENNY_ALLOW_PRIVATE_SOURCES",
    "KENNY_CACHE_TTL_MS",
    "KENNY_CACHE_GRACE_MS",
    "KENNY_CACHE_L2_TTL_MS",
    "KENNY_FAULTS",
    "KENNY_SELF_EMAILS",
    "KENNY_PEOPLE_CALENDARS",
    "KENNY_WORK_HOURS",
    "KENNY_WORK_DAYS",
    "KENNY_MEETING_BUFFER_MINUTES",
];
/// Default longest time one network source (a calendar, an address book) may take per read.
pub const DEFAULT_SOURCE_TIMEOUT_MS: u64 = 8_000;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `kenny.toml` exists but could not be read or parsed.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// A key has a value Kenny cannot use.
    #[error("{key}: {message}")]
    Value { key: &'static str, message: String },
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        "invalid_config"
    }
    fn status(&self) -> u16 {
        500
    }
}

/// Kenny's whole configuration, resolved once per process.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Calendar source URLs.
    pub calendars: Vec<String>,
    /// Contact source URLs.
    pub contacts: Vec<String>,
    /// Zone for time words and for all-day and floating events.
    pub timezone: Tz,
    /// Where timing records go (`file:///…jsonl`, later `dynamodb://TABLE`).
    pub timings: String,
    /// The shared cache (`dynamodb://TABLE`), if any.
    pub cache: Option<String>,
    /// Function name of `calendar.read` for `coordinate`.
    pub calendar_read_function: String,
    /// Function name of `contacts.resolve` for `coordinate`.
    pub contacts_resolve_function: String,
    /// Longest one coordinate step may take (the invocation deadline may cut it shorter).
    pub step_timeout: std::time::Duration,
    /// Longest one network calendar or address book may take per read, retries included.
    pub source_timeout: std::time::Duration,
    /// DAV password (HTTP Basic with the URL's user name), for local use.
    pub dav_password: Option<Secret>,
    /// DAV bearer token, for local use.
    pub dav_token: Option<Secret>,
    /// Secrets Manager secret holding the DAV credentials (Lambda).
    pub dav_secret_arn: Option<String>,
    /// Allow sources on loopback, private and link-local addresses (local servers, tests).
    pub allow_private_sources: bool,
    /// Cache lifetimes (L1 TTL, grace period, L2 TTL).
    pub cache_policy: crate::capabilities::calendar::cache::CachePolicy,
    /// Faults to inject (`KENNY_FAULTS`; none unless set).
    pub faults: crate::adapters::faults::Faults,
    /// The user's own addresses (lowercase): an event the user declined is not busy.
    pub self_emails: Vec<String>,
    /// Where other people's calendars are read for free/busy.
    pub people_calendars: Vec<PeopleCalendar>,
    /// Working hours, days and the buffer between meetings for slot finding.
    pub slots: crate::domain::slots::SlotDefaults,
}

/// One entry of `KENNY_PEOPLE_CALENDARS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeopleCalendar {
    /// `EMAIL=URL`: every calendar of the source at URL is that person's.
    Person {
        /// The person's address, lowercase.
        email: String,
        /// A calendar source URL.
        url: String,
    },
    /// `URL`: a directory of people's calendars, each named (id or display name) by its owner's
    /// email.
    Directory {
        /// A calendar source URL.
        url: String,
    },
}

impl PeopleCalendar {
    /// The source URL.
    pub fn url(&self) -> &str {
        match self {
            PeopleCalendar::Person { url, .. } | PeopleCalendar::Directory { url } => url,
        }
    }

    fn parse(entry: &str) -> Result<Self, ConfigError> {
        // `EMAIL=URL` when the part before the first `=` is an address (a URL has a scheme).
        if let Some((left, url)) = entry.split_once('=')
            && !left.contains(':')
            && !left.contains('/')
        {
            let email = left.trim().trim_start_matches("mailto:").to_lowercase();
            let valid = email.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
            if !valid || url.trim().is_empty() {
                return Err(ConfigError::Value {
                    key: "KENNY_PEOPLE_CALENDARS",
                    message: format!("{:?} is not EMAIL=URL or URL", crate::ports::sources::redact(entry)),
                });
            }
            return Ok(PeopleCalendar::Person { email, url: url.trim().to_string() });
        }
        Ok(PeopleCalendar::Directory { url: entry.trim().to_string() })
    }
}

impl Config {
    /// The coordinator's limits this configuration asks for.
    pub fn coordinate_limits(&self) -> crate::capabilities::coordinate::Limits {
        crate::capabilities::coordinate::Limits { step_timeout: self.step_timeout, ..Default::default() }
    }

    /// Reads `kenny.toml` from the working directory (if present) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = Path::new("kenny.toml");
        let toml = match std::fs::read_to_string(file) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(ConfigError::File { path: "kenny.toml".into(), message: e.to_string() });
            }
        };
        Self::from_parts(|k| std::env::var(k).ok(), toml.as_deref())
    }

    /// Builds the configuration from an environment lookup and an optional `kenny.toml` text.
    /// Settings are checked in a fixed order, so the first unusable one is the error.
    pub fn from_parts(env: impl Fn(&str) -> Option<String>, toml: Option<&str>) -> Result<Self, ConfigError> {
        let file = match toml {
            Some(text) => parse_toml(text)?,
            None => HashMap::new(),
        };
        let settings = Settings { env, file };
        let timezone = settings.timezone()?;
        let cache_policy = settings.cache_policy()?;
        let step_timeout = settings.millis("KENNY_STEP_TIMEOUT_MS", DEFAULT_STEP_TIMEOUT_MS)?;
        let source_timeout = settings.millis("KENNY_SOURCE_TIMEOUT_MS", DEFAULT_SOURCE_TIMEOUT_MS)?;
        let allow_private_sources = settings.allow_private_sources()?;
        let faults = settings.faults()?;
        let people_calendars = settings.people_calendars()?;
        let self_emails = settings.self_emails()?;
        let slots = settings.slots()?;
        let get = |key: &str| settings.get(key);
        Ok(Config {
            faults,
            self_emails,
            people_calendars,
            slots,
            step_timeout: std::time::Duration::from_millis(step_timeout),
            source_timeout: std::time::Duration::from_millis(source_timeout),
            dav_password: get("KENNY_DAV_PASSWORD").map(Secret::new),
            dav_token: get("KENNY_DAV_TOKEN").map(Secret::new),
            dav_secret_arn: get("KENNY_DAV_SECRET_ARN").map(|s| s.trim().to_string()),
            allow_private_sources,
            cache_policy,
            calendars: settings.list("KENNY_CALENDARS", SAMPLE_CALENDARS),
            contacts: settings.list("KENNY_CONTACTS", SAMPLE_CONTACTS),
            timezone,
            timings: get("KENNY_TIMINGS").unwrap_or_else(|| default_timings(&settings.env)),
            cache: get("KENNY_CACHE"),
            calendar_read_function: get("KENNY_CALENDAR_READ_FUNCTION").unwrap_or_else(|| "kenny-calendar-read".into()),
            contacts_resolve_function: get("KENNY_CONTACTS_RESOLVE_FUNCTION")
                .unwrap_or_else(|| "kenny-contacts-resolve".into()),
        })
    }
}

/// Where each setting is read: the environment first (a blank value counts as unset), then
/// `kenny.toml`.
struct Settings<E> {
    env: E,
    file: HashMap<String, String>,
}

impl<E: Fn(&str) -> Option<String>> Settings<E> {
    fn get(&self, key: &str) -> Option<String> {
        (self.env)(key).filter(|v| !v.trim().is_empty()).or_else(|| self.file.get(key).cloned())
    }

    /// A comma-separated list, blank entries left out.
    fn list(&self, key: &str, default: &str) -> Vec<String> {
        let v = self.get(key).unwrap_or_else(|| default.to_string());
        v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    /// A whole number from `min` to `max`.
    fn ranged(&self, key: &'static str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse::<u64>().ok().filter(|ms| (min..=max).contains(ms)).ok_or_else(|| {
                ConfigError::Value { key, message: format!("{v:?} is not a number from {min} to {max}") }
            }),
        }
    }

    /// A timeout in milliseconds.
    fn millis(&self, key: &'static str, default: u64) -> Result<u64, ConfigError> {
        self.ranged(key, default, 100, 900_000)
    }

    fn timezone(&self) -> Result<Tz, ConfigError> {
        match self.get("KENNY_TIMEZONE") {
            Some(z) => z.trim().parse::<Tz>().map_err(|_| ConfigError::Value {
                key: "KENNY_TIMEZONE",
                message: format!("{z:?} is not an IANA time zone name"),
            }),
            None => Ok(Tz::UTC),
        }
    }

    fn cache_policy(&self) -> Result<crate::capabilities::calendar::cache::CachePolicy, ConfigError> {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let defaults = crate::capabilities::calendar::cache::CachePolicy::default();
        let ranged_ms =
            |key, default, min, max| self.ranged(key, ms(default), min, max).map(std::time::Duration::from_millis);
        Ok(crate::capabilities::calendar::cache::CachePolicy {
            l1_ttl: ranged_ms("KENNY_CACHE_TTL_MS", defaults.l1_ttl, 0, 86_400_000)?,
            grace: ranged_ms("KENNY_CACHE_GRACE_MS", defaults.grace, 0, 3_600_000)?,
            l2_ttl: ranged_ms("KENNY_CACHE_L2_TTL_MS", defaults.l2_ttl, 1_000, 86_400_000)?,
            ..defaults
        })
    }

    fn allow_private_sources(&self) -> Result<bool, ConfigError> {
        match self.get("KENNY_ALLOW_PRIVATE_SOURCES").as_deref().map(str::trim) {
            None | Some("0" | "false" | "no") => Ok(false),
            Some("1" | "true" | "yes") => Ok(true),
            Some(other) => Err(ConfigError::Value {
                key: "KENNY_ALLOW_PRIVATE_SOURCES",
                message: format!("{other:?} is not 1 or 0"),
            }),
        }
    }

    fn faults(&self) -> Result<crate::adapters::faults::Faults, ConfigError> {
        crate::adapters::faults::Faults::parse(&self.get("KENNY_FAULTS").unwrap_or_default())
            .map_err(|e| ConfigError::Value { key: "KENNY_FAULTS", message: e.to_string() })
    }

    /// `KENNY_PEOPLE_CALENDARS`; the sample people's calendars when no calendar is configured.
    fn people_calendars(&self) -> Result<Vec<PeopleCalendar>, ConfigError> {
        let people_default = if self.get("KENNY_CALENDARS").is_none() { SAMPLE_PEOPLE } else { "" };
        self.list("KENNY_PEOPLE_CALENDARS", people_default).iter().map(|e| PeopleCalendar::parse(e)).collect()
    }

    /// `KENNY_SELF_EMAILS`, lowercase, without `mailto:`.
    fn self_emails(&self) -> Result<Vec<String>, ConfigError> {
        self.list("KENNY_SELF_EMAILS", "")
            .into_iter()
            .map(|e| e.trim_start_matches("mailto:").to_lowercase())
            .map(|e| {
                if e.contains('@') {
                    Ok(e)
                } else {
                    Err(ConfigError::Value {
                        key: "KENNY_SELF_EMAILS",
                        message: format!("{e:?} is not an email address"),
                    })
                }
            })
            .collect()
    }

    /// Working hours, days and the buffer between meetings.
    fn slots(&self) -> Result<crate::domain::slots::SlotDefaults, ConfigError> {
        let slot_value = |key: &'static str| {
            move |e: crate::domain::slots::SlotsError| ConfigError::Value { key, message: e.to_string() }
        };
        let mut slots = crate::domain::slots::SlotDefaults::default();
        let hours = self.get("KENNY_WORK_HOURS").unwrap_or_else(|| slots.hours.hours_text());
        let days = self.get("KENNY_WORK_DAYS").unwrap_or_else(|| slots.hours.days_text());
        slots.hours = crate::domain::slots::WorkHours::parse(&hours, "all").map_err(slot_value("KENNY_WORK_HOURS"))?;
        slots.hours.days =
            crate::domain::slots::WorkHours::parse("00:00-24:00", &days).map_err(slot_value("KENNY_WORK_DAYS"))?.days;
        slots.buffer = u32::try_from(self.ranged(
            "KENNY_MEETING_BUFFER_MINUTES",
            0,
            0,
            u64::from(crate::domain::slots::MAX_BUFFER_MINUTES),
        )?)
        .unwrap_or(0);
        Ok(slots)
    }
}

/// The local JSONL file: `$XDG_STATE_HOME/kenny/timings.jsonl`, else `~/.local/state/…`, else
/// the temporary folder (Lambda has only `/tmp` writable).
fn default_timings(env: &impl Fn(&str) -> Option<String>) -> String {
    let dir = env("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".local/state")))
        .filter(|_| env("AWS_LAMBDA_FUNCTION_NAME").is_none())
        .unwrap_or_else(std::env::temp_dir);
    format!("file://{}", dir.join("kenny/timings.jsonl").display())
}

fn parse_toml(text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let bad = |message: String| ConfigError::File { path: "kenny.toml".into(), message };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.to_string()))?;
    let mut out = HashMap::new();
    for (key, value) in table {
        if !KEYS.contains(&key.as_str()) {
            return Err(bad(format!("unknown key {key:?} (known: {})", KEYS.join(", "))));
        }
        let v = match value {
            toml::Value::String(s) => s,
            toml::Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    toml::Value::String(s) => Ok(s),
                    other => Err(bad(format!("{key}: list items must be strings, not {}", other.type_str()))),
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            other => return Err(bad(format!("{key}: expected a string, not {}", other.type_str()))),
        };
        out.insert(key, v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_sample_data() {
        let c = Config::from_parts(|_| None, None).unwrap();
        assert_eq!(c.calendars, vec![SAMPLE_CALENDARS]);
        assert_eq!(c.contacts, vec![SAMPLE_CONTACTS]);
        assert_eq!(c.timezone, Tz::UTC);
        assert!(c.timings.starts_with("file://") && c.timings.ends_with("kenny/timings.jsonl"));
    }

    #[test]
    fn environment_wins_over_the_file() {
        let toml = r#"
            KENNY_TIMEZONE = "Europe/Berlin"
            KENNY_CALENDARS = ["file:///a", "file:///b"]
            KENNY_CONTACTS = "file:///c.vcf"
        "#;
        let env = |k: &str| (k == "KENNY_TIMEZONE").then(|| "America/New_York".to_string());
        let c = Config::from_parts(env, Some(toml)).unwrap();
        assert_eq!(c.timezone, chrono_tz::America::New_York);
        assert_eq!(c.calendars, vec!["file:///a", "file:///b"]);
        assert_eq!(c.contacts, vec!["file:///c.vcf"]);
    }

    #[test]
    fn free_busy_and_slot_keys() {
        let c = Config::from_parts(|_| None, None).unwrap();
        assert_eq!(c.people_calendars, vec![PeopleCalendar::Directory { url: SAMPLE_PEOPLE.into() }]);
        assert!(c.self_emails.is_empty());
        assert_eq!(c.slots, crate::domain::slots::SlotDefaults::default());
        // Own calendars configured: no sample people unless asked for.
        let own = |k: &str| (k == "KENNY_CALENDARS").then(|| "file:///cal".to_string());
        assert!(Config::from_parts(own, None).unwrap().people_calendars.is_empty());
        let env = |k: &str| {
            Some(match k {
                "KENNY_PEOPLE_CALENDARS" => "Alice@X.org=caldav+https://me@dav.example/alice/, file:///people".into(),
                "KENNY_SELF_EMAILS" => "Me@x.org, mailto:me@y.org".into(),
                "KENNY_WORK_HOURS" => "08:30-18:00".into(),
                "KENNY_WORK_DAYS" => "mon-thu".into(),
                "KENNY_MEETING_BUFFER_MINUTES" => "10".into(),
                _ => return None,
            })
        };
        let c = Config::from_parts(env, None).unwrap();
        assert_eq!(
            c.people_calendars,
            vec![
                PeopleCalendar::Person {
                    email: "alice@x.org".into(),
                    url: "caldav+https://me@dav.example/alice/".into()
                },
                PeopleCalendar::Directory { url: "file:///people".into() },
            ]
        );
        assert_eq!(c.self_emails, ["me@x.org", "me@y.org"]);
        assert_eq!(
            (c.slots.hours.hours_text(), c.slots.hours.days_text()),
            ("08:30-18:00".into(), "mon,tue,wed,thu".into())
        );
        assert_eq!(c.slots.buffer, 10);
        for (key, value) in [
            ("KENNY_PEOPLE_CALENDARS", "alice=file:///x"),
            ("KENNY_SELF_EMAILS", "me"),
            ("KENNY_WORK_HOURS", "9-5"),
            ("KENNY_WORK_DAYS", "weekdays"),
            ("KENNY_MEETING_BUFFER_MINUTES", "500"),
        ] {
            let env = |k: &str| (k == key).then(|| value.to_string());
            let e = Config::from_parts(env, None).unwrap_err();
            assert!(e.to_string().starts_with(key), "{key}: {e}");
        }
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(
            Config::from_parts(|_| None, Some("KENNY_TIMEZON = \"UTC\""))
                .unwrap_err()
                .to_string()
                .contains("unknown key")
        );
        let env = |k: &str| (k == "KENNY_TIMEZONE").then(|| "Mars/Olympus".to_string());
        assert_eq!(Config::from_parts(env, None).unwrap_err().code(), "invalid_config");
        let env = |k: &str| (k == "KENNY_STEP_TIMEOUT_MS").then(|| "5".to_string());
        assert!(Config::from_parts(env, None).unwrap_err().to_string().contains("KENNY_STEP_TIMEOUT_MS"));
        let env = |k: &str| (k == "KENNY_STEP_TIMEOUT_MS").then(|| "1500".to_string());
        assert_eq!(Config::from_parts(env, None).unwrap().step_timeout, std::time::Duration::from_millis(1500));
    }
}
