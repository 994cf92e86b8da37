//! The `contacts.resolve` capability: one contact index over every configured directory, kept
//! fresh by the directories' versions, answering from the last good index when a check fails.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};
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
///
/// How fresh an answer is: within `grace` of the last check nothing is asked; an index checked
/// less than `fresh_for` ago answers at once while the check runs beside it (a changed directory
/// is in effect for the requests that begin after that check ends); an older one is checked
/// before it answers. So an answer reflects every directory as it was when a check began, at
/// most `fresh_for` earlier.
pub struct ContactService {
    inner: Arc<Inner>,
    /// Done once the first index is built (at once for [`ContactService::load`]).
    built: Shared<BoxFuture<'static, ()>>,
}

impl std::fmt::Debug for ContactService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactService").field("inner", &self.inner).finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Inner {
    directories: Vec<Arc<dyn ContactDirectory>>,
    timeout: Duration,
    grace: Duration,
    fresh_for: Duration,
    /// When the last successful check began (or the index was built).
    checked: std::sync::Mutex<Instant>,
    snapshot: tokio::sync::RwLock<Arc<Snapshot>>,
    /// Held by the one check under way.
    refresh: Arc<tokio::sync::Mutex<()>>,
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
    /// check, versions are not checked again within `grace` of the last check, and an index
    /// checked less than `fresh_for` ago (the cache TTL) answers at once while the next check
    /// runs beside the request (`fresh_for` at or under `grace`: every check before the answer).
    pub async fn load(
        directories: Vec<Arc<dyn ContactDirectory>>,
        timeout: Duration,
        grace: Duration,
        fresh_for: Duration,
    ) -> Self {
        let service = Self::new(directories, timeout, grace, fresh_for);
        service.inner.build().await;
        service
    }

    /// [`load`](Self::load) on a task of its own: returns at once, and the first request waits
    /// for the index — so a fresh process can start a question's calendar reads while its
    /// contacts are still being read (the CLI). Must be called inside a tokio runtime.
    pub fn start(
        directories: Vec<Arc<dyn ContactDirectory>>,
        timeout: Duration,
        grace: Duration,
        fresh_for: Duration,
    ) -> Self {
        let mut service = Self::new(directories, timeout, grace, fresh_for);
        let inner = service.inner.clone();
        let task = tokio::spawn(async move { inner.build().await });
        let inner = service.inner.clone();
        service.built = async move {
            if let Err(e) = task.await {
                // The index could not be built: every directory answers that, never "no match".
                let failed = ApiError::internal(format!("the contact index could not be built: {e}"));
                let parts = inner.directories.iter().map(|_| Part::Failed(failed.clone())).collect();
                *inner.snapshot.write().await = Arc::new(snapshot(parts));
            }
        }
        .boxed()
        .shared();
        service
    }

    /// The service before its first index: nothing read yet.
    fn new(
        directories: Vec<Arc<dyn ContactDirectory>>,
        timeout: Duration,
        grace: Duration,
        fresh_for: Duration,
    ) -> Self {
        ContactService {
            inner: Arc::new(Inner {
                directories,
                timeout,
                grace,
                fresh_for,
                checked: std::sync::Mutex::new(Instant::now()),
                snapshot: tokio::sync::RwLock::new(Arc::new(snapshot(Vec::new()))),
                refresh: Arc::new(tokio::sync::Mutex::new(())),
            }),
            built: futures::future::ready(()).boxed().shared(),
        }
    }

    /// Waits for a check under way beside a request (tests, and a caller about to stop).
    pub async fn settle(&self) {
        let _done = self.inner.refresh.lock().await;
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

    /// The current index and the tier that answered: within the grace period after the last
    /// check, or with no versioned directory, the index in memory (`l1`); within `fresh_for`,
    /// the same while a check runs beside the request (`l1`); else versioned directories are
    /// checked first (one cheap request each) — all unchanged is `validated`, and changed or
    /// failed ones are reloaded (`miss`).
    async fn current(&self) -> (Arc<Snapshot>, CacheTier) {
        self.built.clone().await;
        let inner = &self.inner;
        let snap = inner.snapshot.read().await.clone();
        let needs_check =
            snap.parts.iter().any(|p| matches!(p, Part::Failed(_) | Part::Loaded { version: Some(_), .. }));
        let age = inner.last_check().elapsed();
        if !needs_check || age < inner.grace {
            return (snap, CacheTier::L1);
        }
        if age < inner.fresh_for {
            // One check at a time; when one is under way this request needs none of its own.
            if let Ok(guard) = inner.refresh.clone().try_lock_owned() {
                let beside = inner.clone();
                tokio::spawn(async move {
                    let _one_refresh = guard;
                    beside.refresh_now().await;
                });
            }
            return (snap, CacheTier::L1);
        }
        let _one_refresh = inner.refresh.lock().await;
        if inner.last_check().elapsed() < age {
            // Another request checked while this one waited.
            return (inner.snapshot.read().await.clone(), CacheTier::Validated);
        }
        inner.refresh_now().await
    }
}

impl Inner {
    /// Loads every directory concurrently and installs the first index.
    async fn build(&self) {
        let began = Instant::now();
        let parts = futures::future::join_all(self.directories.iter().map(|d| load_part(d, self.timeout))).await;
        *self.snapshot.write().await = Arc::new(snapshot(parts));
        *self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = began;
    }

    fn last_check(&self) -> Instant {
        *self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks every directory now (the caller holds `refresh`), installs a changed index, and
    /// says which tier that makes.
    async fn refresh_now(&self) -> (Arc<Snapshot>, CacheTier) {
        let began = Instant::now();
        let snap = self.snapshot.read().await.clone();
        let mark_checked = || *self.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = began;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory whose load waits until the test opens its gate, counting loads under way.
    #[derive(Debug, Default)]
    struct Gated {
        gate: tokio::sync::Notify,
        loading: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl ContactDirectory for Gated {
        fn describe(&self) -> String {
            "gated".into()
        }
        async fn load(&self) -> Result<kenny_ports::sources::LoadedContacts, SourceError> {
            self.loading.fetch_add(1, Ordering::SeqCst);
            self.gate.notified().await;
            let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:s\r\nFN:Sarah Chen\r\nEMAIL:sarah@x.org\r\nEND:VCARD\r\n";
            let (contacts, _) = kenny_domain::contacts::parse_vcards(card);
            Ok(kenny_ports::sources::LoadedContacts { contacts, skipped: Vec::new(), version: None })
        }
    }

    #[tokio::test]
    async fn a_started_index_builds_beside_the_caller_and_the_first_resolve_waits_for_it() {
        let dir = Arc::new(Gated::default());
        let second = Duration::from_secs(1);
        let service = ContactService::start(vec![dir.clone()], Duration::from_secs(30), second, second);
        // `start` returned while the directory's load is still under way.
        while dir.loading.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let req = ResolveRequest { query: "Sarah".into(), limit: None };
        let resolving = tokio::spawn(async move { service.resolve(&req).await });
        tokio::task::yield_now().await;
        assert!(!resolving.is_finished(), "the resolve waits for the index");
        dir.gate.notify_one();
        let (found, tier) = resolving.await.unwrap().unwrap();
        assert_eq!(found.resolved.map(|c| c.name).as_deref(), Some("Sarah Chen"));
        assert_eq!(tier, CacheTier::L1);
        assert_eq!(dir.loading.load(Ordering::SeqCst), 1, "one load, not one per request");
    }
}
