//! Reading a set of calendars: every source's listing, then every wanted calendar through the
//! cache tiers, expanded in the window on a blocking thread, each bounded by the source timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

use super::{CalendarOut, CalendarService, READ_CONCURRENCY, SkippedOut, Versions, consulted};
use crate::calendar::cache::{CalendarCache, versions_by_locator};
use kenny_domain::error::ApiError;
use kenny_domain::ical::{ExpandOptions, Occurrence};
use kenny_domain::time::Window;
use kenny_ports::sources::{
    CacheTier, CalendarInfo, CalendarSource, Delta, Earlier, Fetched, SkippedItem, SourceError,
};

/// Runs `f` for at most `limit`, or until `deadline` if sooner; running out is a `timeout`
/// naming `what`.
pub(crate) async fn bounded<T>(
    what: impl FnOnce() -> String,
    limit: Duration,
    deadline: Option<Instant>,
    f: impl std::future::Future<Output = Result<T, SourceError>>,
) -> Result<T, SourceError> {
    let now = Instant::now();
    let until = deadline.map_or(now + limit, |d| d.min(now + limit));
    let millis = until.saturating_duration_since(now).as_millis();
    tokio::time::timeout_at(until, f).await.unwrap_or_else(|_| Err(SourceError::Timeout { source_id: what(), millis }))
}

/// Turns one occurrence of a calendar (given with the calendar's id, one allocation shared by
/// all its occurrences) into what a capability keeps of it (`None`: left out). Runs on a
/// blocking thread, once per occurrence in the window.
pub(crate) type Pick<T> = Arc<dyn Fn(Occurrence, &Arc<str>) -> Option<T> + Send + Sync>;

/// What reading a set of calendars produced, before a capability shapes it.
#[derive(Debug)]
pub(crate) struct Gathered<T> {
    /// What `pick` kept, in no particular order.
    pub items: Vec<T>,
    /// Every calendar read (or whose source failed), unsorted.
    pub calendars: Vec<CalendarOut>,
    /// A series hit the expansion cap.
    pub truncated: bool,
    /// Items that could not be parsed.
    pub skipped: Vec<SkippedOut>,
    /// The first failure, if any.
    pub first_error: Option<ApiError>,
    /// At least one calendar answered (or there were no sources).
    pub any_ok: bool,
}

/// The listings a serving process asked at start, by source identity: each a shared future, so
/// a first read can wait for the one in flight instead of asking again.
#[derive(Default)]
pub(crate) struct Priming(std::sync::Mutex<HashMap<String, Shared<BoxFuture<'static, ()>>>>);

impl std::fmt::Debug for Priming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Priming").field("sources", &self.lock().len()).finish()
    }
}

impl Priming {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared<BoxFuture<'static, ()>>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn of(&self, identity: &str) -> Option<Shared<BoxFuture<'static, ()>>> {
        self.lock().get(identity).cloned()
    }
}

impl CalendarService {
    /// For a serving process that starts before its first question (`kenny mcp`): lists the
    /// versions of every source read by window (CalDAV) on a task of its own, unless L2 holds
    /// its listing already, and keeps that listing (and stores it in L2) as a read would. The
    /// first read of a window then goes at once under it — or, while it is in flight, waits for
    /// it rather than asking the server again. Each is bounded by the source timeout; a failure
    /// is logged and leaves the first read to list for itself. Not for a one-shot process or
    /// the warmer.
    pub fn prime(&self) {
        if self.versions != Versions::Serving {
            return;
        }
        for s in self.sources.iter().filter(|s| s.windowed()) {
            let (s, cache, timeout, identity) = (s.clone(), self.cache.clone(), self.source_timeout, s.identity());
            let key = identity.clone();
            let listing = tokio::spawn(async move {
                if cache.shared_versions(&identity).await.is_some() {
                    return;
                }
                match tokio::time::timeout(timeout, cache.listing(&identity, s.calendars())).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(source = %s.describe(), error = %e, "listing the versions at start failed")
                    }
                    Err(_) => tracing::warn!(source = %s.describe(), "listing the versions at start timed out"),
                }
            });
            // Waiters wait for the task, not poll its work: a panic in it is logged, not theirs.
            let done = async move {
                if let Err(e) = listing.await {
                    tracing::warn!(error = %e, "listing the versions at start failed");
                }
            };
            self.priming.lock().insert(key, done.boxed().shared());
        }
    }

    /// Waits for the listings [`CalendarService::prime`] asked (each bounded by the source
    /// timeout).
    pub async fn primed(&self) {
        let tasks: Vec<_> = self.priming.lock().values().cloned().collect();
        futures::future::join_all(tasks).await;
    }

    /// Lists every source's calendars concurrently, then reads every wanted calendar
    /// concurrently (at most [`READ_CONCURRENCY`] at once) through the cache tiers, expands it
    /// in the window and keeps what `pick` returns; cancelled occurrences never reach `pick`.
    /// Each listing and read gets the source timeout, cut short by `deadline`.
    pub(crate) async fn gather<T: Send + 'static>(
        &self,
        sources: &[Arc<dyn CalendarSource>],
        wanted: &(dyn Fn(&CalendarInfo) -> bool + Sync),
        opts: &ExpandOptions,
        deadline: Option<Instant>,
        pick: Pick<T>,
    ) -> Gathered<T> {
        let listings = self.list_all(sources, &opts.window, deadline).await;
        let Listed { jobs, failed, first_error } = wanted_calendars(sources, listings, wanted);
        let reads: Vec<_> =
            jobs.into_iter().map(|job| self.read_calendar(job, opts.clone(), deadline, pick.clone())).collect();
        let results: Vec<_> = futures::stream::iter(reads).buffer_unordered(READ_CONCURRENCY).collect().await;
        let gathered = Gathered {
            items: Vec::new(),
            calendars: failed,
            truncated: false,
            skipped: Vec::new(),
            first_error,
            any_ok: sources.is_empty(),
        };
        tally(results, gathered)
    }

    /// Every source's calendar listing, concurrently, each through the listing cache.
    async fn list_all(
        &self,
        sources: &[Arc<dyn CalendarSource>],
        window: &Window,
        deadline: Option<Instant>,
    ) -> Vec<Listing> {
        futures::future::join_all(sources.iter().map(|s| async move {
            bounded(|| s.describe(), self.source_timeout, deadline, self.list_one(s, window)).await
        }))
        .await
    }

    /// One source's listing. In a one-shot process without a shared cache, the listing without
    /// versions where the source has one (see [`CalendarService::one_shot`]). Otherwise the kept
    /// one within the grace period; else, except for the warmer ([`Versions::Current`]), the
    /// listing for reads sent at once where it applies ([`CalendarService::at_once`]); else the
    /// listing with versions, which is kept (and stored in L2).
    async fn list_one(&self, s: &Arc<dyn CalendarSource>, window: &Window) -> Listing {
        if self.versions == Versions::OneShot
            && !self.cache.has_shared()
            && let Some(light) = s.calendars_unversioned().await?
        {
            return Ok(SourceListing { calendars: Arc::new(light), from_memory: false, current: false });
        }
        let identity = s.identity();
        if let Some(priming) = self.priming.of(&identity) {
            priming.await; // done at once unless the listing asked at start is still in flight
        }
        let kept = self.cache.kept_listing(&identity).await;
        let young = kept.as_ref().is_some_and(|(_, at)| at.elapsed() < self.cache.policy().grace);
        if !young
            && self.versions != Versions::Current
            && let Some(listing) = self.at_once(s, &identity, window, kept.map(|(k, _)| k)).await?
        {
            return Ok(listing);
        }
        let (calendars, from_memory) = self.cache.listing(&identity, s.calendars()).await?;
        Ok(SourceListing { calendars, from_memory, current: true })
    }

    /// The listing for reads sent at once, with no token computed on their path: for a source
    /// that lists cheaply without versions (CalDAV), when an earlier listing with versions is
    /// known — this process's (`kept`), else one another process stored in L2 — the cheap
    /// listing with the earlier listing's versions. Those were answered before any read of this
    /// request is sent, so they are no newer than what the reads fetch: exact (a change made
    /// since shows as a newer version at the next check, which reads the calendar again). Not
    /// when some calendar of the source has a read of this window in L1 (it must be validated),
    /// nor, for versions from L2, when L2 holds this window for a calendar that listing names (it
    /// is served at the version the source lists now; asked beside the cheap listing). A
    /// calendar the earlier listing lacks has no version: its read is kept unversioned and read
    /// again after the grace period.
    async fn at_once(
        &self,
        s: &Arc<dyn CalendarSource>,
        identity: &str,
        window: &Window,
        kept: Option<Arc<Vec<CalendarInfo>>>,
    ) -> Result<Option<SourceListing>, SourceError> {
        let (earlier, from_l2): (HashMap<String, String>, bool) = match kept {
            Some(k) => (versions_by_locator(&k).collect(), false),
            None => match self.cache.shared_versions(identity).await {
                Some(v) => (v, true),
                None => return Ok(None),
            },
        };
        let windowed = s.windowed().then_some(window);
        // Whether L2 holds this window for a calendar the stored listing names: asked beside the
        // cheap listing.
        let in_l2 = async {
            if !from_l2 {
                return false;
            }
            let keys: Vec<String> =
                earlier.keys().map(|locator| CalendarCache::key_at(identity, locator, windowed)).collect();
            futures::future::join_all(keys.iter().map(|k| self.cache.shared_holds(k))).await.contains(&true)
        };
        let (light, in_l2) = tokio::join!(s.calendars_unversioned(), in_l2);
        let Some(light) = light? else { return Ok(None) };
        if in_l2 || light.iter().any(|c| self.cache.holds(&CalendarCache::key(identity, c, windowed))) {
            return Ok(None);
        }
        let calendars =
            light.into_iter().map(|c| CalendarInfo { version: earlier.get(&c.locator).cloned(), ..c }).collect();
        Ok(Some(SourceListing { calendars: Arc::new(calendars), from_memory: false, current: false }))
    }

    /// Reads one calendar through the cache tiers, then expands it on a blocking thread.
    async fn read_calendar<T: Send + 'static>(
        &self,
        job: Job,
        opts: ExpandOptions,
        deadline: Option<Instant>,
        pick: Pick<T>,
    ) -> (CalendarInfo, Result<CalendarRead<T>, ApiError>) {
        let Job { source, info, from_memory, current } = job;
        let key = CalendarCache::key(&source.identity(), &info, source.windowed().then_some(&opts.window));
        let what = || format!("{} calendar {}", source.describe(), info.id);
        let (src, cal, window, per_source) = (&source, &info, &opts.window, self.source_timeout);
        let fetch = move |earlier: Option<Earlier>| async move {
            let read = async {
                match &earlier {
                    Some(e) => src.refetch(cal, window, e).await,
                    None => src.fetch(cal, window).await,
                }
            };
            bounded(what, per_source, deadline, read).await
        };
        let fetched = self.cache.get_or_fetch_at(&key, &info, from_memory, current, source.incremental(), fetch).await;
        let expanded = match fetched {
            Ok(f) => expand_calendar(f, opts, Arc::from(info.id.as_str()), pick).await,
            Err(e) => Err(ApiError::from_error(&e)),
        };
        (info, expanded)
    }
}

/// One source's calendars.
struct SourceListing {
    calendars: Arc<Vec<CalendarInfo>>,
    /// The listing came from memory (the cache may then answer without asking the server).
    from_memory: bool,
    /// The versions are the source's present ones (else an earlier listing's: see `list_one`).
    current: bool,
}

/// One source's listing, or why it failed.
type Listing = Result<SourceListing, SourceError>;

/// One calendar to read.
struct Job {
    source: Arc<dyn CalendarSource>,
    /// Its listing entry, with an id unique across sources.
    info: CalendarInfo,
    /// The listing came from memory (the cache may then answer without asking the server).
    from_memory: bool,
    /// Its version is the source's present one (else L2 is not read for it).
    current: bool,
}

/// The calendars to read, and an entry for each source whose listing failed.
struct Listed {
    jobs: Vec<Job>,
    failed: Vec<CalendarOut>,
    first_error: Option<ApiError>,
}

/// What one calendar's read kept.
struct CalendarRead<T> {
    kept: Vec<T>,
    truncated: bool,
    skipped: Vec<SkippedItem>,
    cache: CacheTier,
    delta: Option<Delta>,
}

/// The wanted calendars of every listing, ids made unique across sources (a repeated id gets
/// `-2`, `-3`, … in listing order); a failed listing becomes its source's entry with the error.
fn wanted_calendars(
    sources: &[Arc<dyn CalendarSource>],
    listings: Vec<Listing>,
    wanted: &(dyn Fn(&CalendarInfo) -> bool + Sync),
) -> Listed {
    let mut listed = Listed { jobs: Vec::new(), failed: Vec::new(), first_error: None };
    let mut seen_ids = std::collections::HashSet::new();
    for (source, result) in sources.iter().zip(listings) {
        match result {
            Ok(SourceListing { calendars, from_memory, current }) => {
                for mut info in calendars.iter().cloned() {
                    let base = info.id.clone();
                    let mut k = 1;
                    while !seen_ids.insert(info.id.clone()) {
                        k += 1;
                        info.id = format!("{base}-{k}");
                    }
                    if wanted(&info) {
                        listed.jobs.push(Job { source: source.clone(), info, from_memory, current });
                    }
                }
            }
            Err(e) => {
                let err = ApiError::from_error(&e);
                listed.first_error.get_or_insert(err.clone());
                listed.failed.push(consulted(source.describe(), source.describe(), Some(err)));
            }
        }
    }
    listed
}

/// Expands a fetched calendar's items in the window on a blocking thread, keeping what `pick`
/// returns of each occurrence that is not cancelled.
async fn expand_calendar<T: Send + 'static>(
    f: Fetched,
    opts: ExpandOptions,
    calendar: Arc<str>,
    pick: Pick<T>,
) -> Result<CalendarRead<T>, ApiError> {
    tokio::task::spawn_blocking(move || {
        let mut kept = Vec::new();
        let mut truncated = false;
        for item in &f.items {
            let e = item.expand(&opts);
            truncated |= e.truncated;
            kept.extend(e.occurrences.into_iter().filter(|o| !is_cancelled(o)).filter_map(|o| pick(o, &calendar)));
        }
        CalendarRead { kept, truncated, skipped: f.skipped, cache: f.cache, delta: f.delta }
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// Adds every calendar's read to `gathered`: its items, skipped items and entry, or its error.
fn tally<T>(results: Vec<(CalendarInfo, Result<CalendarRead<T>, ApiError>)>, mut gathered: Gathered<T>) -> Gathered<T> {
    for (info, result) in results {
        match result {
            Ok(read) => {
                gathered.any_ok = true;
                gathered.truncated |= read.truncated;
                gathered.skipped.extend(read.skipped.into_iter().map(SkippedOut::from));
                gathered.calendars.push(CalendarOut {
                    id: info.id.clone(),
                    name: info.name.clone(),
                    events: read.kept.len(),
                    cache: read.cache,
                    delta: read.delta,
                    error: None,
                });
                gathered.items.extend(read.kept);
            }
            Err(err) => {
                gathered.first_error.get_or_insert(err.clone());
                gathered.calendars.push(consulted(info.id, info.name, Some(err)));
            }
        }
    }
    gathered
}

/// STATUS:CANCELLED (on the series or the instance).
fn is_cancelled(o: &Occurrence) -> bool {
    o.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::calendar::ReadRequest;
    use crate::calendar::cache::CachePolicy;
    use kenny_ports::cache::{MemoryShared, SharedCache};

    /// A windowed source that lists cheaply without versions (as CalDAV does), counting its
    /// listings with versions (the token listings).
    #[derive(Debug, Default)]
    struct Tokens {
        listed: AtomicUsize,
    }

    fn calendar(version: Option<&str>) -> CalendarInfo {
        CalendarInfo {
            id: "work".into(),
            name: "Work".into(),
            locator: "dav:/work/".into(),
            version: version.map(Into::into),
        }
    }

    #[async_trait::async_trait]
    impl CalendarSource for Tokens {
        fn describe(&self) -> String {
            "dav:".into()
        }
        async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
            self.listed.fetch_add(1, Ordering::SeqCst);
            Ok(vec![calendar(Some("sync 1"))])
        }
        async fn calendars_unversioned(&self) -> Result<Option<Vec<CalendarInfo>>, SourceError> {
            Ok(Some(vec![calendar(None)]))
        }
        async fn fetch(&self, _: &CalendarInfo, _: &Window) -> Result<Fetched, SourceError> {
            Ok(Fetched::default())
        }
        fn windowed(&self) -> bool {
            true
        }
    }

    fn service(source: &Arc<Tokens>, shared: Option<Arc<dyn SharedCache>>) -> CalendarService {
        let policy = CachePolicy { grace: Duration::ZERO, ..CachePolicy::default() };
        let sources: Vec<Arc<dyn CalendarSource>> = vec![source.clone()];
        CalendarService::new(sources, chrono_tz::UTC, Duration::from_secs(5), policy, shared)
    }

    /// The listing stored in `shared` for the test source, once it is there (it is written on a
    /// task of its own; waits at most half a second).
    async fn stored_listing(shared: &Arc<dyn SharedCache>) -> HashMap<String, String> {
        let probe = CalendarCache::with_shared(CachePolicy::default(), Some(shared.clone()));
        for _ in 0..100 {
            if let Some(stored) = probe.shared_versions("dav:").await {
                return stored;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("no listing reached L2")
    }

    async fn read(service: &CalendarService, day: u32) {
        let req: ReadRequest = serde_json::from_value(serde_json::json!({
            "start": format!("2026-12-{day:02}"), "end": format!("2026-12-{:02}", day + 1)
        }))
        .unwrap();
        service.read(&req, None).await.unwrap();
    }

    /// Who lists the tokens before a first read: a serving process with nothing known (then its
    /// listing goes to L2), not one that finds the listing in L2, never a one-shot process without
    /// L2, always the warmer.
    #[tokio::test]
    async fn who_lists_the_tokens_before_a_first_read() {
        let source = Arc::new(Tokens::default());
        let shared: Arc<dyn SharedCache> = Arc::new(MemoryShared::default());
        let listed = || source.listed.load(Ordering::SeqCst);

        read(&service(&source, None).one_shot(), 1).await;
        assert_eq!(listed(), 0, "a one-shot process without L2");
        read(&service(&source, Some(shared.clone())), 1).await;
        assert_eq!(listed(), 1, "a serving process with nothing known");
        let stored = stored_listing(&shared).await;
        assert_eq!(stored.get("dav:/work/").map(String::as_str), Some("sync 1"));

        read(&service(&source, Some(shared.clone())), 2).await;
        assert_eq!(listed(), 1, "a fresh serving process, the listing in L2, a window L2 lacks");
        read(&service(&source, Some(shared.clone())).one_shot(), 3).await;
        assert_eq!(listed(), 1, "a one-shot process with L2 reads as a serving one");
        read(&service(&source, Some(shared.clone())), 1).await;
        assert_eq!(listed(), 2, "a window L2 holds: the tokens first, so L2 can answer");
        read(&service(&source, Some(shared.clone())).current_versions(), 4).await;
        assert_eq!(listed(), 3, "the warmer");
    }

    /// The listing a first read made outlives the reads in L1: a serving process idle for longer
    /// than the L1 TTL still reads a new window at once under it.
    #[tokio::test]
    async fn an_idle_serving_process_still_reads_a_new_window_at_once() {
        let source = Arc::new(Tokens::default());
        let policy = CachePolicy { grace: Duration::ZERO, l1_ttl: Duration::from_millis(50), ..CachePolicy::default() };
        let sources: Vec<Arc<dyn CalendarSource>> = vec![source.clone()];
        let service = CalendarService::new(sources, chrono_tz::UTC, Duration::from_secs(5), policy, None);
        read(&service, 1).await;
        assert_eq!(source.listed.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        read(&service, 2).await;
        assert_eq!(source.listed.load(Ordering::SeqCst), 1, "no token listing before the new window's read");
    }

    /// A serving process's listing at start: asked once for each source read by window, then
    /// used by the first read (no token listing of its own); not asked when L2 holds a listing,
    /// nor by a one-shot process or the warmer.
    #[tokio::test]
    async fn a_serving_process_lists_the_versions_at_start() {
        let source = Arc::new(Tokens::default());
        let listed = || source.listed.load(Ordering::SeqCst);
        let serving = service(&source, None);
        serving.prime();
        serving.primed().await;
        assert_eq!(listed(), 1, "listed at start");
        read(&serving, 1).await;
        assert_eq!(listed(), 1, "the first read used it");

        for other in [service(&source, None).one_shot(), service(&source, None).current_versions()] {
            other.prime();
            other.primed().await;
        }
        assert_eq!(listed(), 1, "neither a one-shot process nor the warmer");

        let shared: Arc<dyn SharedCache> = Arc::new(MemoryShared::default());
        read(&service(&source, Some(shared.clone())), 1).await;
        stored_listing(&shared).await;
        let before = listed();
        let with_l2 = service(&source, Some(shared));
        with_l2.prime();
        with_l2.primed().await;
        assert_eq!(listed(), before, "not when L2 holds the listing");
    }
}
