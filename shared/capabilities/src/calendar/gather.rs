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

/// What a serving process's reads sent with no listing known left to do, by source identity: the
/// token listing and the reads of those windows again under it ([`CalendarService::settled`]),
/// each a shared future, so a read that must validate waits for the one in flight instead of
/// asking again, and the next settling of the same source follows it.
#[derive(Default)]
pub(crate) struct Settling(std::sync::Mutex<HashMap<String, Shared<BoxFuture<'static, ()>>>>);

impl std::fmt::Debug for Settling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settling").field("sources", &self.lock().len()).finish()
    }
}

impl Settling {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared<BoxFuture<'static, ()>>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn of(&self, identity: &str) -> Option<Shared<BoxFuture<'static, ()>>> {
        self.lock().get(identity).cloned()
    }
}

impl CalendarService {
    /// Waits until every read sent with no listing known has settled: its source's versions
    /// listed and its window read again under them (each step bounded by the source timeout). For
    /// benchmarks, tests and an orderly stop; a read never needs to call it.
    pub async fn settled(&self) {
        let tasks: Vec<_> = self.settling.lock().values().cloned().collect();
        futures::future::join_all(tasks).await;
    }

    /// Lists every source's calendars concurrently, then reads every wanted calendar
    /// concurrently (at most [`READ_CONCURRENCY`] at once) through the cache tiers, expands it
    /// in the window and keeps what `pick` returns; cancelled occurrences never reach `pick`.
    /// Each listing and read gets the source timeout, cut short by `deadline`. A source read
    /// under a kept listing older than the L1 TTL has its calendars listed beside the reads; when
    /// they are not the kept listing's (a calendar added, removed or renamed since), the reads are
    /// made again from a listing made now.
    pub(crate) async fn gather<T: Send + 'static>(
        &self,
        sources: &[Arc<dyn CalendarSource>],
        wanted: &(dyn Fn(&CalendarInfo) -> bool + Sync),
        opts: &ExpandOptions,
        deadline: Option<Instant>,
        pick: Pick<T>,
    ) -> Gathered<T> {
        // A second pass only after a check (so at most two): it reads nothing under a kept listing.
        let mut from_kept = true;
        loop {
            let listings = self.list_all(sources, &opts.window, deadline, from_kept).await;
            let checks = |when: Check| -> Vec<Taken> {
                let taken = listings.iter().map(|l| l.as_ref().ok().filter(|l| l.check == when));
                sources.iter().zip(taken).filter_map(|(s, l)| l.map(|l| (s.clone(), l.calendars.clone()))).collect()
            };
            let (beside, after) = (checks(Check::Beside), checks(Check::After));
            let Listed { jobs, failed, first_error } = wanted_calendars(sources, listings, wanted);
            let unsettled: Vec<(Arc<dyn CalendarSource>, CalendarInfo)> =
                jobs.iter().filter(|j| j.settle).map(|j| (j.source.clone(), j.info.clone())).collect();
            let reads: Vec<_> =
                jobs.into_iter().map(|job| self.read_calendar(job, opts.clone(), deadline, pick.clone())).collect();
            let changed = futures::future::join_all(beside.iter().map(|(s, kept)| async move {
                match bounded(|| s.describe(), self.source_timeout, deadline, s.calendars_unversioned()).await {
                    Ok(Some(now)) => !same_calendars(kept, &now),
                    Ok(None) => true, // cannot be checked: read again from a listing made now
                    Err(e) => {
                        // The reads meet the same failure, and report it.
                        tracing::debug!(source = %s.describe(), error = %e, "listing the calendars beside the reads failed");
                        false
                    }
                }
            }));
            let (results, changed): (Vec<_>, Vec<bool>) =
                tokio::join!(futures::stream::iter(reads).buffer_unordered(READ_CONCURRENCY).collect(), changed);
            if changed.contains(&true) {
                tracing::debug!("an account's calendars changed since its kept listing; reading again");
                from_kept = false;
                continue;
            }
            self.settle(unsettled, &opts.window);
            self.check_after(after);
            let gathered = Gathered {
                items: Vec::new(),
                calendars: failed,
                truncated: false,
                skipped: Vec::new(),
                first_error,
                any_ok: sources.is_empty(),
            };
            return tally(results, gathered);
        }
    }

    /// Every source's calendar listing, concurrently, each through the listing cache.
    async fn list_all(
        &self,
        sources: &[Arc<dyn CalendarSource>],
        window: &Window,
        deadline: Option<Instant>,
        from_kept: bool,
    ) -> Vec<Listing> {
        futures::future::join_all(sources.iter().map(|s| async move {
            bounded(|| s.describe(), self.source_timeout, deadline, self.list_one(s, window, from_kept)).await
        }))
        .await
    }

    /// One source's listing. In a one-shot process without a shared cache, the listing without
    /// versions where the source has one (see [`CalendarService::one_shot`]). Otherwise the kept
    /// one within the grace period; else, except for the warmer ([`Versions::Current`]), the
    /// listing for reads sent at once where it applies ([`CalendarService::at_once`]); else the
    /// listing with versions, which is kept (and stored in L2) — after the settling of earlier
    /// reads of the source in flight, whose versions it may then reuse.
    async fn list_one(&self, s: &Arc<dyn CalendarSource>, window: &Window, from_kept: bool) -> Listing {
        if self.versions == Versions::OneShot
            && !self.cache.has_shared()
            && let Some(light) = s.calendars_unversioned().await?
        {
            return Ok(SourceListing {
                calendars: Arc::new(light),
                from_memory: false,
                current: false,
                settle: false,
                check: Check::No,
            });
        }
        let identity = s.identity();
        let kept = self.cache.kept_listing(&identity).await;
        let young = kept.as_ref().is_some_and(|(_, at)| at.elapsed() < self.cache.policy().grace);
        if !young
            && self.versions != Versions::Current
            && let Some(listing) = self.at_once(s, &identity, window, kept, from_kept).await?
        {
            return Ok(listing);
        }
        if let Some(settling) = self.settling.of(&identity) {
            settling.await; // done at once unless reads sent with no listing known are settling
        }
        let (calendars, from_memory) = self.cache.listing(&identity, s.calendars()).await?;
        Ok(SourceListing { calendars, from_memory, current: true, settle: false, check: Check::No })
    }

    /// The listing for reads sent at once, with no token computed on their path, for a source
    /// read by window that lists cheaply without versions (CalDAV). With this process's kept
    /// listing (`kept`, any age, and when it was listed) and `from_kept`: that listing itself, its
    /// calendars with their versions, and no request before the reads: within the L1 TTL of the
    /// listing the cheap listing goes after the answer ([`CalendarService::check_after`]: a
    /// calendar added, removed or renamed is in effect for the next request); older, beside the
    /// reads, and [`CalendarService::gather`] reads again if the calendars differ. Else, when an earlier
    /// listing with versions is known — `kept`, or one another process stored in L2 — the cheap
    /// listing with the earlier listing's versions. Either way those versions were answered before
    /// any read of this request is sent, so they are no newer than what the reads fetch: exact (a
    /// change made since shows as a newer version at the next check, which reads the calendar
    /// again). When none is known, in a serving process ([`Versions::Serving`]), the cheap
    /// listing without versions: the reads are kept unversioned and settle after the answer
    /// ([`CalendarService::settle`]). Not when some calendar of the source has a read of this
    /// window in L1 (it must be validated), nor, without `kept`, when L2 holds this window for a
    /// calendar the cheap listing names (it is served at the version the source lists now; asked
    /// once that listing is in, beside the get of the stored listing). A calendar the earlier
    /// listing lacks has no version: its read is kept unversioned and read again after the grace
    /// period.
    async fn at_once(
        &self,
        s: &Arc<dyn CalendarSource>,
        identity: &str,
        window: &Window,
        kept: Option<(Arc<Vec<CalendarInfo>>, Instant)>,
        from_kept: bool,
    ) -> Result<Option<SourceListing>, SourceError> {
        let windowed = s.windowed().then_some(window);
        // Whether L1 holds this window for one of `calendars` (then it must be validated).
        let in_l1 = |calendars: &[CalendarInfo]| {
            calendars.iter().any(|c| self.cache.holds(&CalendarCache::key(identity, c, windowed)))
        };
        let (earlier, settle, light, in_l2) = match kept {
            Some((k, at)) if from_kept && s.windowed() => {
                if in_l1(&k) {
                    return Ok(None);
                }
                // Its calendars as kept, with their versions. Within the L1 TTL of that listing
                // they are taken as listed and checked after the answer, as the contact index
                // is; older, they are listed again beside the reads.
                let check = if at.elapsed() < self.cache.policy().l1_ttl { Check::After } else { Check::Beside };
                return Ok(Some(SourceListing {
                    calendars: k,
                    from_memory: false,
                    current: false,
                    settle: false,
                    check,
                }));
            }
            Some((k, _)) => {
                let light = s.calendars_unversioned().await?;
                (versions_by_locator(&k).collect(), false, light, false)
            }
            None => {
                // The listing L2 holds, asked beside the calendars listed without versions and
                // then whether L2 holds this window for one of them.
                let listed = async {
                    let light = s.calendars_unversioned().await?;
                    let held = match &light {
                        Some(l) if self.cache.has_shared() => {
                            let keys: Vec<String> =
                                l.iter().map(|c| CalendarCache::key(identity, c, windowed)).collect();
                            self.cache.shared_holds_any(&keys).await
                        }
                        _ => false,
                    };
                    Ok::<_, SourceError>((light, held))
                };
                let (stored, listed) = tokio::join!(self.cache.shared_versions(identity), listed);
                let (light, held) = listed?;
                match stored {
                    Some(v) => (v, false, light, held),
                    None if self.versions == Versions::Serving => (HashMap::new(), true, light, held),
                    None => return Ok(None),
                }
            }
        };
        let Some(light) = light else { return Ok(None) };
        if in_l2 || in_l1(&light) {
            return Ok(None);
        }
        let calendars =
            light.into_iter().map(|c| CalendarInfo { version: earlier.get(&c.locator).cloned(), ..c }).collect();
        Ok(Some(SourceListing {
            calendars: Arc::new(calendars),
            from_memory: false,
            current: false,
            settle,
            check: Check::No,
        }))
    }

    /// Settles reads a serving process sent with no listing known (`unsettled`, of `window`), on
    /// a task of its own after the answer: once the source's settling in flight is done, its
    /// versions — the listing kept since, else the token listing, kept and stored in L2 — then
    /// each calendar's window read again under them, through the tiers (an entry at that version
    /// in L2 serves). Exact: the versions are answered before the data read under them. The
    /// repeat of such a read then validates instead of reading the window whole. A failure is
    /// logged; the read then stays unversioned (read again after the grace period).
    fn settle(&self, unsettled: Vec<(Arc<dyn CalendarSource>, CalendarInfo)>, window: &Window) {
        if self.cache.policy().l1_ttl.is_zero() && !self.cache.has_shared() {
            return; // nothing would keep what settling reads
        }
        let mut by_source: HashMap<String, (Arc<dyn CalendarSource>, Vec<CalendarInfo>)> = HashMap::new();
        for (source, info) in unsettled {
            by_source.entry(source.identity()).or_insert_with(|| (source, Vec::new())).1.push(info);
        }
        for (identity, (source, calendars)) in by_source {
            let (cache, limit, window) = (self.cache.clone(), self.source_timeout, *window);
            let id = identity.clone();
            self.settle_with(identity, async move {
                let versions = match cache.kept_listing(&id).await {
                    Some((kept, _)) => kept,
                    None => {
                        match bounded(|| source.describe(), limit, None, cache.listing(&id, source.calendars())).await {
                            Ok((listed, _)) => listed,
                            Err(e) => {
                                tracing::warn!(source = %source.describe(), error = %e, "listing the versions after a first read failed");
                                return;
                            }
                        }
                    }
                };
                let versions: HashMap<String, String> = versions_by_locator(&versions).collect();
                let again = calendars.into_iter().filter_map(|info| {
                    let version = versions.get(&info.locator).cloned()?;
                    let info = CalendarInfo { version: Some(version), ..info };
                    let (cache, source, window, id) = (&cache, &source, &window, &id);
                    Some(async move {
                        let key = CalendarCache::key(id, &info, source.windowed().then_some(window));
                        let fetch = |earlier| read_source(source, &info, window, earlier, limit, None);
                        if let Err(e) = cache.get_or_fetch_at(&key, &info, false, true, source.incremental(), fetch).await {
                            tracing::debug!(calendar = %info.id, error = %e, "reading a first read's window again failed");
                        }
                    })
                });
                futures::stream::iter(again).buffer_unordered(READ_CONCURRENCY).collect::<Vec<()>>().await;
            });
        }
    }

    /// Runs `work` on a task of its own once the source's settling in flight is done, as that
    /// source's settling: what [`CalendarService::settled`], and a read that must validate, wait
    /// for. Waiters wait for the task, not poll its work: a panic in it is logged, not theirs.
    fn settle_with(&self, identity: String, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let before = self.settling.of(&identity);
        let task = tokio::spawn(async move {
            if let Some(before) = before {
                before.await;
            }
            work.await;
        });
        let done = async move {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "settling a read failed");
            }
        };
        self.settling.lock().insert(identity, done.boxed().shared());
    }

    /// Lists again, after the answer and on a task of its own, the calendars of each source read
    /// under its kept listing within the L1 TTL (`taken`), and drops that kept listing when they
    /// differ (a calendar added, removed or renamed), so the next request lists them itself. In
    /// [`CalendarService::settled`]'s set, after the source's settling in flight.
    fn check_after(&self, taken: Vec<Taken>) {
        for (source, kept) in taken {
            let (cache, limit, identity) = (self.cache.clone(), self.source_timeout, source.identity());
            let id = identity.clone();
            self.settle_with(identity, async move {
                match bounded(|| source.describe(), limit, None, source.calendars_unversioned()).await {
                    Ok(Some(now)) if same_calendars(&kept, &now) => {}
                    Ok(_) => {
                        tracing::debug!(source = %source.describe(), "the calendars changed since the kept listing");
                        cache.forget_listing(&id).await;
                    }
                    Err(e) => tracing::debug!(source = %source.describe(), error = %e, "listing the calendars after the answer failed"),
                }
            });
        }
    }

    /// Reads one calendar through the cache tiers, then expands it on a blocking thread.
    async fn read_calendar<T: Send + 'static>(
        &self,
        job: Job,
        opts: ExpandOptions,
        deadline: Option<Instant>,
        pick: Pick<T>,
    ) -> (CalendarInfo, Result<CalendarRead<T>, ApiError>) {
        let Job { source, info, from_memory, current, settle: _ } = job;
        let key = CalendarCache::key(&source.identity(), &info, source.windowed().then_some(&opts.window));
        let fetch = |earlier| read_source(&source, &info, &opts.window, earlier, self.source_timeout, deadline);
        let fetched = self.cache.get_or_fetch_at(&key, &info, from_memory, current, source.incremental(), fetch).await;
        let expanded = match fetched {
            Ok(f) => expand_calendar(f, opts, Arc::from(info.id.as_str()), pick).await,
            Err(e) => Err(ApiError::from_error(&e)),
        };
        (info, expanded)
    }
}

/// One calendar's window from its source — its changes since `earlier` where the source can —
/// bounded by `limit` and `deadline`.
async fn read_source(
    source: &Arc<dyn CalendarSource>,
    calendar: &CalendarInfo,
    window: &Window,
    earlier: Option<Earlier>,
    limit: Duration,
    deadline: Option<Instant>,
) -> Result<Fetched, SourceError> {
    let what = || format!("{} calendar {}", source.describe(), calendar.id);
    let read = async {
        match &earlier {
            Some(e) => source.refetch(calendar, window, e).await,
            None => source.fetch(calendar, window).await,
        }
    };
    bounded(what, limit, deadline, read).await
}

/// A source read under its kept listing, and that listing's calendars.
type Taken = (Arc<dyn CalendarSource>, Arc<Vec<CalendarInfo>>);

/// When the calendars of a listing taken from the kept one are listed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Not taken from the kept listing: nothing to check.
    No,
    /// Beside the reads; a difference makes them again from a listing made now.
    Beside,
    /// After the answer; a difference drops the kept listing, for the next request.
    After,
}

/// One source's calendars.
struct SourceListing {
    calendars: Arc<Vec<CalendarInfo>>,
    /// The listing came from memory (the cache may then answer without asking the server).
    from_memory: bool,
    /// The versions are the source's present ones (else an earlier listing's: see `list_one`).
    current: bool,
    /// Listed with no versions known: the reads settle after the answer.
    settle: bool,
    /// Taken from the kept listing: when its calendars are listed again.
    check: Check,
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
    /// Read with no versions known: it settles after the answer.
    settle: bool,
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
            Ok(SourceListing { calendars, from_memory, current, settle, check: _ }) => {
                for mut info in calendars.iter().cloned() {
                    let base = info.id.clone();
                    let mut k = 1;
                    while !seen_ids.insert(info.id.clone()) {
                        k += 1;
                        info.id = format!("{base}-{k}");
                    }
                    if wanted(&info) {
                        listed.jobs.push(Job { source: source.clone(), info, from_memory, current, settle });
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

/// Whether two listings name the same calendars (locator, id and name; versions aside).
fn same_calendars(a: &[CalendarInfo], b: &[CalendarInfo]) -> bool {
    let key = |l: &[CalendarInfo]| {
        let mut k: Vec<(String, String, String)> =
            l.iter().map(|c| (c.locator.clone(), c.id.clone(), c.name.clone())).collect();
        k.sort();
        k
    };
    key(a) == key(b)
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
    use super::*;
    use crate::calendar::ReadRequest;
    use crate::calendar::cache::CachePolicy;
    use kenny_ports::cache::{MemoryShared, SharedCache};

    /// A windowed source that lists cheaply without versions (as CalDAV does), recording in order
    /// its listings with versions (`list`: the token listings) and its reads (`fetch`).
    #[derive(Debug, Default)]
    struct Tokens {
        log: std::sync::Mutex<Vec<&'static str>>,
        /// A second calendar, `home`, is listed.
        home: std::sync::atomic::AtomicBool,
    }

    impl Tokens {
        /// The token listings and reads, in order (the listings without versions left out).
        fn log(&self) -> Vec<&'static str> {
            self.log.lock().unwrap().iter().copied().filter(|e| *e != "light").collect()
        }
        fn listed(&self) -> usize {
            self.log().iter().filter(|e| **e == "list").count()
        }
        fn calendars(&self, version: Option<&str>) -> Vec<CalendarInfo> {
            let mut out = vec![calendar(version)];
            if self.home.load(std::sync::atomic::Ordering::SeqCst) {
                out.push(CalendarInfo {
                    id: "home".into(),
                    name: "Home".into(),
                    locator: "dav:/home/".into(),
                    ..calendar(version)
                });
            }
            out
        }
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
            self.log.lock().unwrap().push("list");
            Ok(Tokens::calendars(self, Some("sync 1")))
        }
        async fn calendars_unversioned(&self) -> Result<Option<Vec<CalendarInfo>>, SourceError> {
            self.log.lock().unwrap().push("light");
            Ok(Some(Tokens::calendars(self, None)))
        }
        async fn fetch(&self, _: &CalendarInfo, _: &Window) -> Result<Fetched, SourceError> {
            self.log.lock().unwrap().push("fetch");
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

    /// The tier that answered a read of day `day` of December 2026.
    async fn read(service: &CalendarService, day: u32) -> CacheTier {
        let req: ReadRequest = serde_json::from_value(serde_json::json!({
            "start": format!("2026-12-{day:02}"), "end": format!("2026-12-{:02}", day + 1)
        }))
        .unwrap();
        service.read(&req, None).await.unwrap().calendars[0].cache
    }

    /// Who lists the tokens, and when: a serving process with nothing known after its first read
    /// (then its listing goes to L2), not one that finds the listing in L2, never a one-shot
    /// process without L2, and before the read a one-shot process with L2 that finds nothing
    /// there, a read of a window L2 holds, and the warmer.
    #[tokio::test]
    async fn who_lists_the_tokens_and_when() {
        let source = Arc::new(Tokens::default());
        let shared: Arc<dyn SharedCache> = Arc::new(MemoryShared::default());
        let listed = || source.listed();

        let once = service(&source, None).one_shot();
        read(&once, 1).await;
        once.settled().await;
        assert_eq!(listed(), 0, "a one-shot process without L2");

        let serving = service(&source, Some(shared.clone()));
        read(&serving, 1).await;
        serving.settled().await;
        assert_eq!(
            source.log()[1..],
            ["fetch", "list", "fetch"],
            "a serving process with nothing known: after the read"
        );
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

        let empty: Arc<dyn SharedCache> = Arc::new(MemoryShared::default());
        let before = source.log().len();
        read(&service(&source, Some(empty)).one_shot(), 5).await;
        assert_eq!(source.log()[before..], ["list", "fetch"], "a one-shot process with L2 and nothing there");
    }

    /// A serving process's first read with nothing known goes at once and is answered before any
    /// token is asked; it then settles — the tokens listed, the window read again under them — so
    /// its repeat validates (one token listing, no read), and a new window goes at once under
    /// that listing.
    #[tokio::test]
    async fn a_first_read_settles_after_its_answer() {
        let source = Arc::new(Tokens::default());
        let serving = service(&source, None);
        assert_eq!(read(&serving, 1).await, CacheTier::Miss);
        assert_eq!(source.log(), ["fetch"], "answered before any token");
        serving.settled().await;
        assert_eq!(source.log(), ["fetch", "list", "fetch"]);
        assert_eq!(read(&serving, 1).await, CacheTier::Validated);
        assert_eq!(source.log()[3..], ["list"]);
        assert_eq!(read(&serving, 2).await, CacheTier::Miss);
        serving.settled().await;
        assert_eq!(source.log()[4..], ["fetch"], "a new window at once under the kept listing, nothing to settle");
    }

    /// A new window read under this process's kept listing asks nothing before its reads. Within
    /// the L1 TTL of that listing the calendars are listed (without versions) after the answer: a
    /// calendar added since is missing from that answer, and in the next one. After the L1 TTL
    /// they are listed beside the reads, and a difference (a calendar removed) makes the reads
    /// again from the tokens listed now, in the same answer.
    #[tokio::test]
    async fn a_new_window_is_read_under_the_kept_listing_and_its_calendars_checked() {
        let source = Arc::new(Tokens::default());
        let policy =
            CachePolicy { grace: Duration::ZERO, l1_ttl: Duration::from_millis(300), ..CachePolicy::default() };
        let sources: Vec<Arc<dyn CalendarSource>> = vec![source.clone()];
        let serving = CalendarService::new(sources, chrono_tz::UTC, Duration::from_secs(5), policy, None);
        let logged = || source.log.lock().unwrap().len();
        let since = |before: usize| source.log.lock().unwrap()[before..].to_vec();
        let ids = |day: u32| {
            let serving = &serving;
            async move {
                let req: ReadRequest = serde_json::from_value(serde_json::json!({
                    "start": format!("2026-12-{day:02}"), "end": format!("2026-12-{:02}", day + 1)
                }))
                .unwrap();
                let answer = serving.read(&req, None).await.unwrap();
                serving.settled().await;
                let mut ids: Vec<String> = answer.calendars.into_iter().map(|c| c.id).collect();
                ids.sort_unstable();
                ids
            }
        };
        ids(1).await;

        let before = logged();
        assert_eq!(ids(2).await, ["work"]);
        assert_eq!(since(before), ["fetch", "light"], "within the L1 TTL: the read, then the calendars");
        source.home.store(true, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(ids(3).await, ["work"], "taken as listed");
        assert_eq!(ids(4).await, ["home", "work"], "the next answer has the new calendar");

        tokio::time::sleep(Duration::from_millis(400)).await;
        let before = logged();
        assert_eq!(ids(5).await, ["home", "work"]);
        let mut beside = since(before);
        beside.sort_unstable();
        assert_eq!(beside, ["fetch", "fetch", "light"], "after the L1 TTL: the calendars listed beside, no token");

        tokio::time::sleep(Duration::from_millis(400)).await;
        source.home.store(false, std::sync::atomic::Ordering::SeqCst);
        let listed = source.listed();
        assert_eq!(ids(6).await, ["work"], "a removed calendar is gone from the same answer");
        assert_eq!(source.listed(), listed + 1, "the second pass listed the tokens");
    }

    /// A repeat that comes while the first read is settling waits for it rather than listing
    /// the tokens beside it, and validates.
    #[tokio::test]
    async fn a_repeat_waits_for_the_settling_in_flight() {
        let source = Arc::new(Tokens::default());
        let serving = service(&source, None);
        read(&serving, 1).await;
        assert_eq!(read(&serving, 1).await, CacheTier::Validated);
        assert_eq!(source.log(), ["fetch", "list", "fetch", "list"]);
    }

    /// The listing a first read settled with outlives the reads in L1: a serving process idle for
    /// longer than the L1 TTL still reads a new window at once under it.
    #[tokio::test]
    async fn an_idle_serving_process_still_reads_a_new_window_at_once() {
        let source = Arc::new(Tokens::default());
        let policy = CachePolicy { grace: Duration::ZERO, l1_ttl: Duration::from_millis(50), ..CachePolicy::default() };
        let sources: Vec<Arc<dyn CalendarSource>> = vec![source.clone()];
        let service = CalendarService::new(sources, chrono_tz::UTC, Duration::from_secs(5), policy, None);
        read(&service, 1).await;
        service.settled().await;
        assert_eq!(source.listed(), 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        read(&service, 2).await;
        service.settled().await;
        assert_eq!(source.listed(), 1, "no token listing for the new window's read");
    }
}
