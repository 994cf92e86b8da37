//! Credentials for DAV servers and feeds: `KENNY_DAV_PASSWORD` or `KENNY_DAV_TOKEN` locally, or
//! a Secrets Manager secret named by `KENNY_DAV_SECRET_ARN` (fetched once per container). They
//! never come from a source URL and never appear in logs, errors or timing records: [`Secret`]'s
//! `Debug` prints nothing of the value, and error messages here never echo input.
//!
//! A secret's value is either the password itself, or JSON:
//! `{"password": "…"}`, `{"token": "…"}` (sent as `Bearer`), and optionally per-host entries
//! `{"hosts": {"caldav.fastmail.com": {"password": "…"}, "dav.example.org": {"token": "…"}}}`
//! for accounts on several servers; a host entry wins over the top-level one.

use std::collections::HashMap;

use base64::Engine as _;
use reqwest::header::HeaderValue;
use serde::Deserialize;

use kenny_domain::error::ErrorCode;

/// A secret string. Its `Debug` form hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for building an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One way to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// HTTP Basic with the URL's user name.
    Password(Secret),
    /// `Authorization: Bearer …`.
    Token(Secret),
}

/// Why credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Secrets Manager did not give the secret.
    #[error("the secret named by KENNY_DAV_SECRET_ARN could not be read: {0}")]
    Fetch(String),
    /// The secret's value has a shape Kenny does not read.
    #[error("the DAV secret is not usable: {0}")]
    Shape(&'static str),
    /// `KENNY_DAV_SECRET_ARN` was set for a build without AWS support.
    #[error(
        "KENNY_DAV_SECRET_ARN is set, but this build has no Secrets Manager client (build with the `secrets` or `aws` feature)"
    )]
    WithoutAws,
}

impl ErrorCode for SecretError {
    fn code(&self) -> &'static str {
        match self {
            SecretError::Fetch(_) => "secret_unavailable",
            SecretError::Shape(_) | SecretError::WithoutAws => "invalid_config",
        }
    }
    fn status(&self) -> u16 {
        500
    }
}

/// Every credential Kenny holds, by host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    default: Option<Credential>,
    hosts: HashMap<String, Credential>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    password: Option<String>,
    token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    password: Option<String>,
    token: Option<String>,
    #[serde(default)]
    hosts: HashMap<String, Entry>,
}

fn credential(password: Option<String>, token: Option<String>) -> Result<Option<Credential>, SecretError> {
    match (password, token) {
        (Some(_), Some(_)) => Err(SecretError::Shape("an entry has both a password and a token")),
        (Some(p), None) => Ok(Some(Credential::Password(Secret(p)))),
        (None, Some(t)) => Ok(Some(Credential::Token(Secret(t)))),
        (None, None) => Ok(None),
    }
}

impl Credentials {
    /// No credentials.
    pub fn none() -> Self {
        Credentials::default()
    }

    /// The local form: `KENNY_DAV_PASSWORD` or `KENNY_DAV_TOKEN`.
    pub fn from_local(password: Option<&Secret>, token: Option<&Secret>) -> Result<Self, SecretError> {
        let default = credential(password.map(|s| s.expose().to_string()), token.map(|s| s.expose().to_string()))
            .map_err(|_| SecretError::Shape("set KENNY_DAV_PASSWORD or KENNY_DAV_TOKEN, not both"))?;
        Ok(Credentials { default, hosts: HashMap::new() })
    }

    /// Reads a secret's value (see the module documentation for its forms).
    pub fn from_secret_string(value: &str) -> Result<Self, SecretError> {
        let trimmed = value.trim();
        if !trimmed.starts_with('{') {
            if trimmed.is_empty() {
                return Err(SecretError::Shape("the secret is empty"));
            }
            return Ok(Credentials {
                default: Some(Credential::Password(Secret(trimmed.to_string()))),
                hosts: HashMap::new(),
            });
        }
        // serde's messages can quote the input; this one never does.
        let doc: Document = serde_json::from_str(trimmed)
            .map_err(|_| SecretError::Shape("JSON secrets hold \"password\", \"token\" and/or \"hosts\""))?;
        let mut hosts = HashMap::new();
        for (host, entry) in doc.hosts {
            let c = credential(entry.password, entry.token)?
                .ok_or(SecretError::Shape("a host entry needs a password or a token"))?;
            hosts.insert(host.to_ascii_lowercase(), c);
        }
        Ok(Credentials { default: credential(doc.password, doc.token)?, hosts })
    }

    /// The credentials for this process: from the Secrets Manager secret `secret_arn`
    /// (`KENNY_DAV_SECRET_ARN`) when set, else from the local variables.
    pub async fn load(
        secret_arn: Option<&str>,
        password: Option<&Secret>,
        token: Option<&Secret>,
    ) -> Result<Self, SecretError> {
        let Some(arn) = secret_arn else {
            return Self::from_local(password, token);
        };
        #[cfg(not(feature = "secrets"))]
        {
            let _ = arn;
            Err(SecretError::WithoutAws)
        }
        #[cfg(feature = "secrets")]
        {
            let sdk = crate::aws::sdk_config().await;
            let client = aws_sdk_secretsmanager::Client::new(sdk);
            let out = client.get_secret_value().secret_id(arn).send().await.map_err(|e| {
                use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;
                let code = e.code().unwrap_or("no reply").to_string();
                SecretError::Fetch(code)
            })?;
            let value = out.secret_string().ok_or(SecretError::Shape("the secret has no string value"))?;
            Self::from_secret_string(value)
        }
    }

    /// Whether any credential is held.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.hosts.is_empty()
    }

    /// The `Authorization` header for `host`, with `user` for Basic (marked sensitive).
    pub fn authorization(&self, host: &str, user: &str) -> Option<HeaderValue> {
        let value = match self.hosts.get(&host.to_ascii_lowercase()).or(self.default.as_ref())? {
            Credential::Password(p) => {
                let raw = format!("{user}:{}", p.expose());
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
            }
            Credential::Token(t) => format!("Bearer {}", t.expose()),
        };
        let mut header = HeaderValue::from_str(&value).ok()?;
        header.set_sensitive(true);
        Some(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_forms_and_host_entries() {
        let plain = Credentials::from_secret_string("  hunter2\n").unwrap();
        assert_eq!(plain.authorization("x.org", "me").unwrap().to_str().unwrap(), "Basic bWU6aHVudGVyMg==");
        let json =
            Credentials::from_secret_string(r#"{"token": "tok", "hosts": {"DAV.example.org": {"password": "pw"}}}"#)
                .unwrap();
        assert_eq!(json.authorization("other.org", "me").unwrap().to_str().unwrap(), "Bearer tok");
        assert!(json.authorization("dav.example.org", "me").unwrap().to_str().unwrap().starts_with("Basic "));
        assert!(json.authorization("dav.example.org", "me").unwrap().is_sensitive());
        assert!(Credentials::none().authorization("x", "y").is_none());
    }

    #[test]
    fn errors_and_debug_never_show_the_value() {
        for bad in [
            r#"{"password": "s3cr3t", "token": "s3cr3t"}"#,
            r#"{"pasword": "s3cr3t"}"#,
            r#"{"password": 5, "x": "s3cr3t"#,
        ] {
            let err = Credentials::from_secret_string(bad).unwrap_err();
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
        let c = Credentials::from_secret_string(r#"{"password": "s3cr3t"}"#).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
