//! Contacts: vCard parsing ([`parse_vcards`]), the name matcher ([`ContactIndex`]) and the
//! request/response types of the `contacts.resolve` capability (docs/contracts.md § Capabilities).
//!
//! # Layout
//! - [`vcard`]     — vCard 3.0/4.0 text → [`Contact`]s (calcard's parser), with per-card caps.
//! - [`fold`]      — case/accent folding and tokenising shared by the index and the query.
//! - [`nicknames`] — the built-in nickname table (`shared/data/nicknames.txt`), parsed once.
//! - [`matcher`]   — [`ContactIndex`]: precomputed tokens and postings (`matcher/index.rs`),
//!   scoring (`matcher/score.rs`) and ranking.
//!
//! Sources (folders of `.vcf` files, CardDAV) read text and call [`parse_vcards`]; the capability
//! builds one [`ContactIndex`] per process and calls [`ContactIndex::resolve`] per request.

pub mod fold;
pub mod matcher;
pub mod nicknames;
pub mod vcard;

pub use matcher::ContactIndex;
pub use vcard::parse_vcards;

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// Candidates returned when a request does not say how many it wants.
pub const DEFAULT_LIMIT: usize = 5;
/// The largest `limit` a request may ask for, so responses stay small.
pub const MAX_LIMIT: usize = 50;
/// The longest query accepted, in characters (Unicode scalar values), which bounds per-query work.
pub const MAX_QUERY_CHARS: usize = 256;

/// One person from an address book, reduced to what resolving a name needs. Deserialize is there
/// so parsed contacts can be cached outside the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The card's UID, or a stable `urn:kenny:contact:<hash>` when the card has none.
    pub uid: String,
    /// The display name: FN, or built from N ("given additional family").
    pub name: String,
    /// N's given-name component, when the card has N.
    pub given: Option<String>,
    /// N's family-name component, when the card has N.
    pub family: Option<String>,
    /// Every NICKNAME value (comma-separated values are split).
    pub nicknames: Vec<String>,
    /// Lowercased addresses, most preferred first (PREF=n in 4.0, TYPE=PREF in 3.0).
    pub emails: Vec<String>,
    /// Telephone numbers as written (a `tel:` URI prefix is removed), most preferred first.
    pub phones: Vec<String>,
    /// The organisation name (ORG's first component).
    pub organization: Option<String>,
}

/// A card (or stray text) that [`parse_vcards`] left out, so sources can log it instead of failing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    /// The card's UID when it could be read.
    pub uid: Option<String>,
    /// Stable snake_case reason: `unterminated_card`, `missing_name`, `invalid_card`, `stray_text`.
    pub code: &'static str,
    /// Human-readable detail, including the line the problem starts on.
    pub message: String,
}

impl Skipped {
    /// Builds a report from the module error that explains it, so codes stay in one place.
    pub fn from_error(uid: Option<String>, err: &ContactsError) -> Self {
        Skipped { uid, code: err.code(), message: err.to_string() }
    }
}

/// The `contacts.resolve` request: a name as people say it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What the user called the person: a name, part of one, a nickname or an email address.
    pub query: String,
    /// How many candidates to return (1..=50, default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// The `contacts.resolve` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The query as received.
    pub query: String,
    /// The one candidate that clearly wins (see [`matcher`] for the rule), if any.
    pub resolved: Option<Candidate>,
    /// True when two or more candidates are too close to pick one.
    pub ambiguous: bool,
    /// The best candidates, best first (score, then name, then uid).
    pub candidates: Vec<Candidate>,
}

/// One ranked contact in a [`Resolution`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The contact's UID.
    pub uid: String,
    /// The contact's display name.
    pub name: String,
    /// The contact's addresses, most preferred first.
    pub emails: Vec<String>,
    /// The contact's phone numbers, most preferred first.
    pub phones: Vec<String>,
    /// The contact's organisation.
    pub organization: Option<String>,
    /// How well the query matched, 0..1 (exact full name = 1).
    pub score: f64,
    /// Which kind of match produced the score: `name`, `given_name`, `family_name`, `nickname`,
    /// `email`, `prefix` or `fuzzy`.
    pub matched_on: String,
}

/// Everything that can go wrong in this module: bad requests and cards that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactsError {
    /// The query is empty or only whitespace.
    #[error("query must not be empty")]
    EmptyQuery,
    /// The query is longer than [`MAX_QUERY_CHARS`].
    #[error("query is {chars} characters long; the maximum is {MAX_QUERY_CHARS}")]
    QueryTooLong {
        /// The query's length in characters.
        chars: usize,
    },
    /// `limit` is outside 1..=[`MAX_LIMIT`].
    #[error("limit must be between 1 and {MAX_LIMIT}, got {limit}")]
    LimitOutOfRange {
        /// The limit asked for.
        limit: usize,
    },
    /// A card starts with BEGIN:VCARD but never reaches END:VCARD.
    #[error("card starting at line {line} has no END:VCARD")]
    UnterminatedCard {
        /// 1-based line of the card's BEGIN.
        line: usize,
    },
    /// A card has none of FN, N, ORG or EMAIL, so there is nothing to call it by.
    #[error("card starting at line {line} has no FN, N, ORG or EMAIL to name it by")]
    MissingName {
        /// 1-based line of the card's BEGIN.
        line: usize,
    },
    /// calcard did not return a vCard for a BEGIN:VCARD … END:VCARD block.
    #[error("card starting at line {line} could not be parsed: {detail}")]
    InvalidCard {
        /// 1-based line of the card's BEGIN.
        line: usize,
        /// What the parser returned instead.
        detail: String,
    },
    /// Non-blank text outside any BEGIN:VCARD … END:VCARD block.
    #[error("text outside any vCard at line {line}")]
    StrayText {
        /// 1-based line of the first stray line in the run.
        line: usize,
    },
}

impl ErrorCode for ContactsError {
    fn code(&self) -> &'static str {
        match self {
            ContactsError::EmptyQuery | ContactsError::QueryTooLong { .. } | ContactsError::LimitOutOfRange { .. } => {
                "invalid_request"
            }
            ContactsError::UnterminatedCard { .. } => "unterminated_card",
            ContactsError::MissingName { .. } => "missing_name",
            ContactsError::InvalidCard { .. } => "invalid_card",
            ContactsError::StrayText { .. } => "stray_text",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ContactsError::EmptyQuery | ContactsError::QueryTooLong { .. } => Some("query"),
            ContactsError::LimitOutOfRange { .. } => Some("limit"),
            _ => None,
        }
    }

    fn status(&self) -> u16 {
        match self {
            ContactsError::EmptyQuery | ContactsError::QueryTooLong { .. } | ContactsError::LimitOutOfRange { .. } => {
                400
            }
            // Card problems come from a source's data, not from the request.
            _ => 500,
        }
    }
}

impl ResolveRequest {
    /// Checks the request and returns the effective limit, so `resolve` never sees bad input.
    pub fn validate(&self) -> Result<usize, ContactsError> {
        let chars = self.query.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(ContactsError::QueryTooLong { chars });
        }
        if self.query.trim().is_empty() {
            return Err(ContactsError::EmptyQuery);
        }
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(limit) => Err(ContactsError::LimitOutOfRange { limit }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may unwrap: a panic is a failed test.
mod tests {
    use super::*;
    use crate::error::{ApiError, parse_request};

    #[test]
    fn request_errors_map_to_invalid_request_with_field() {
        let blank = ResolveRequest { query: "  \t ".into(), limit: None };
        let err = blank.validate().unwrap_err();
        assert_eq!(err, ContactsError::EmptyQuery);
        let api = ApiError::from_error(&err);
        assert_eq!(api.code, "invalid_request");
        assert_eq!(api.field.as_deref(), Some("query"));
        assert_eq!(api.status, 400);

        let long = ResolveRequest { query: "é".repeat(257), limit: None };
        assert_eq!(long.validate().unwrap_err(), ContactsError::QueryTooLong { chars: 257 });
        let ok = ResolveRequest { query: "é".repeat(256), limit: None };
        assert_eq!(ok.validate().unwrap(), DEFAULT_LIMIT);

        for limit in [0, 51, usize::MAX] {
            let req = ResolveRequest { query: "alice".into(), limit: Some(limit) };
            let err = req.validate().unwrap_err();
            assert_eq!(err, ContactsError::LimitOutOfRange { limit });
            assert_eq!(err.field(), Some("limit"));
            assert_eq!(err.code(), "invalid_request");
        }
        for limit in [1, 50] {
            let req = ResolveRequest { query: "alice".into(), limit: Some(limit) };
            assert_eq!(req.validate().unwrap(), limit);
        }
    }

    #[test]
    fn request_json_is_strict() {
        let req: ResolveRequest = parse_request(serde_json::json!({"query": "Bob", "limit": 3})).unwrap();
        assert_eq!(req.query, "Bob");
        assert_eq!(req.limit, Some(3));
        let err = parse_request::<ResolveRequest>(serde_json::json!({"query": "Bob", "lmit": 3})).unwrap_err();
        assert_eq!(err.code, "invalid_request");
        assert_eq!(err.field.as_deref(), Some("lmit"));
        let err = parse_request::<ResolveRequest>(serde_json::json!({"limit": 3})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("query"));
    }

    #[test]
    fn card_errors_have_their_own_codes() {
        let s = Skipped::from_error(Some("u1".into()), &ContactsError::UnterminatedCard { line: 7 });
        assert_eq!(s.code, "unterminated_card");
        assert_eq!(s.message, "card starting at line 7 has no END:VCARD");
        assert_eq!(ContactsError::MissingName { line: 1 }.code(), "missing_name");
        assert_eq!(ContactsError::StrayText { line: 1 }.code(), "stray_text");
        assert_eq!(ContactsError::StrayText { line: 1 }.field(), None);
    }
}
