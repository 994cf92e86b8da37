//! The `contacts.resolve` capability: one contact index over every configured directory, kept
//! fresh by the directories' versions, answering from the last good index when a check fails.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::warn;

use kenny_domain::contacts::{Contact, ContactIndex, Resolution, ResolveRequest};
use kenny_domain::error::{ApiError, ErrorCode};
use kenny_ports::sources::{CacheTier, ContactDirectory, SourceError};

/// One directory's part of the index.
#[derive(Debug, Clone)]
enum Part {
    /// Loaded at `version` (`None`: never changes).
    Loaded { version: Option<String>, contacts: Vec<Contact> },
    /// The last load failed; retried on the next request.
    Failed(ApiError),
}

/// The index and what it was built from.
#[derive(Debug)]
struct Snapshot {
    index: ContactIndex,
    parts: Vec<Part>,
}

/// The `contacts.resolve` capability: one index over every directory, built at start-up and
/// rebuilt when a directory's version moves (a CardDAV book's `sync-token`/`getctag`) or a
/// directory that failed comes back. Files and the sample are read once. When a version check
/// fails, the last good index keeps answering (and the failure is logged).
#[derive(Debug)]
pub struct ContactService {
    directories: Vec<Arc<dyn ContactDirectory>>,
    timeout: Duration,
    grace: Duration,
    checked: std::sync::Mutex<Instant>,
    snapshot: tokio::sync::RwLock<Arc<Snapshot>>,
    refresh: tokio::sync::Mutex<()>,
}

async fn load_part(dir: &Arc<dyn ContactDirectory>, timeout: Duration) -> Part {
    let loaded = match tokio::time::timeout(timeout, dir.load()).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::Timeout { source_id: dir.describe(), millis: timeout.as_millis() }),
    };
    match loaded {
        Ok(loaded) => {
            if !loaded.skipped.is_empty() {
                warn!(skipped = loaded.skipped.len(), "some contact cards could not be parsed");
            }
            Part::Loaded { version: loaded.version, contacts: loaded.contacts }
        }
        Err(e) => {
            warn!(code = e.code(), error = %e, "contact source failed");
            Part::Failed(ApiError::from_error(&e))
        }
    }
}

fn snapshot(parts: Vec<Part>) -> Snapshot {
    let contacts = parts
        .iter()
        .flat_map(|p| match p {
            Part::Loaded { contacts, .. } => contacts.as_slice(),
            Part::Failed(_) => &[],
        })
        .cloned()
        .collect();
    Snapshot { index: ContactIndex::new(contacts), parts }
}

impl ContactService {
    /// Loads every directory concurrently and builds the index; `timeout` bounds each load and
    /// check, and versions are not checked again within `grace` of the last check.
    pub async fn load(directories: Vec<Arc<dyn ContactDirectory>>, timeout: Duration, grace: Duration) -> Self {
        let parts = futures::future::join_all(directories.iter().map(|d| load_part(d, timeout))).await;
        ContactService {
            directories,
            timeout,
            grace,
            checked: std::sync::Mutex::new(Instant::now()),
            snapshot: tokio::sync::RwLock::new(Arc::new(snapshot(parts))),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The current index and the tier that answered: within the grace period after the last
    /// check, or with no versioned directory, the index in memory (`l1`); else versioned
    /// directories are checked (one cheap request each) — all unchanged is `validated`, and
    /// changed or failed ones are reloaded (`miss`).
    async fn current(&self) -> (Arc<Snapshot>, CacheTier) {
        let snap = self.snapshot.read().await.clone();
        let needs_check =
            snap.parts.iter().any(|p| matches!(p, Part::Failed(_) | Part::Loaded { version: Some(_), .. }));
        let last = *self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !needs_check || last.elapsed() < self.grace {
            return (snap, CacheTier::L1);
        }
        let _one_refresh = self.refresh.lock().await;
        let snap = self.snapshot.read().await.clone();
        let mark_checked = || *self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        // Per directory: its new part when it changed or came back, `None` when it stays as is.
        let checks = futures::future::join_all(
            self.directories.iter().zip(&snap.parts).map(|(dir, part)| self.check(dir, part)),
        )
        .await;
        if checks.iter().all(Option::is_none) {
            mark_checked();
            return (snap, CacheTier::Validated);
        }
        let parts = checks.into_iter().zip(&snap.parts).map(|(new, old)| new.unwrap_or_else(|| old.clone())).collect();
        let fresh = Arc::new(snapshot(parts));
        *self.snapshot.write().await = fresh.clone();
        mark_checked();
        (fresh, CacheTier::Miss)
    }

    /// One directory's check: its new part when it changed or came back, `None` when it stays
    /// as is (unchanged, unversioned, or its check failed and its last good contacts stay).
    async fn check(&self, dir: &Arc<dyn ContactDirectory>, part: &Part) -> Option<Part> {
        match part {
            Part::Failed(_) => Some(load_part(dir, self.timeout).await),
            Part::Loaded { version: None, .. } => None,
            Part::Loaded { version: Some(v), .. } => {
                match tokio::time::timeout(self.timeout, dir.reload_if_changed(v)).await {
                    Ok(Ok(reloaded)) => reloaded.map(|l| Part::Loaded { version: l.version, contacts: l.contacts }),
                    // The directory keeps its last good contacts.
                    Ok(Err(e)) => {
                        warn!(code = e.code(), error = %e, "contact source check failed; answering from the last index");
                        None
                    }
                    Err(_) => {
                        warn!("contact source check timed out; answering from the last index");
                        None
                    }
                }
            }
        }
    }

    /// Answers one request, with the cache tier that answered.
    pub async fn resolve(&self, req: &ResolveRequest) -> Result<(Resolution, CacheTier), ApiError> {
        let (snap, tier) = self.current().await;
        if let Some(Part::Failed(e)) =
            snap.parts.iter().find(|p| matches!(p, Part::Failed(_))).filter(|_| snap.index.is_empty())
        {
            return Err(e.clone());
        }
        snap.index.resolve(req).map(|r| (r, tier)).map_err(|e| ApiError::from_error(&e))
    }
}
