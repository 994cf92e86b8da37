//! Calendar caching with server-validated freshness.
//!
//! - **L1**, per process (moka): what each calendar read fetched (parsed items), keyed by source,
//!   calendar and — for sources that fetch by window (CalDAV) — the window; bounded by the number
//!   of items held ([`CachePolicy::l1_max_items`]) and a TTL ([`CachePolicy::l1_ttl`], 30 s).
//!   Sources' listings are served for the grace period too, and kept a day ([`LISTING_TTL`]) as
//!   the earlier listing of reads sent at once.
//! - **L2**, shared across containers ([`SharedCache`], DynamoDB when `KENNY_CACHE` is set): the
//!   fetched item texts, compressed, with the version they were fetched at; a hit is re-parsed.
//! - **Freshness**: within the grace period ([`CachePolicy::grace`]) an L1 entry is served without
//!   any request (`l1`). After it, the source's listing is read again — for a DAV account one
//!   PROPFIND that returns every calendar's `sync-token`/`getctag`; for files the items'
//!   modification times; a feed revalidates itself with a conditional GET — and an entry whose
//!   version is unchanged is served (`validated`); a changed calendar, and only that one, is
//!   fetched again (`miss`). A read of a calendar not in L1 may be kept under an earlier
//!   listing's version ([`CalendarCache::get_or_fetch_at`]): never newer than its data.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use kenny_domain::error::ErrorCode as _;
use kenny_domain::time::Window;
use kenny_ports::cache::{SharedCache, SharedEntry};
use kenny_ports::sources::{CacheTier, CalendarInfo, Earlier, Fetched};

/// Default L1 time to live.
pub const DEFAULT_L1_TTL: Duration = Duration::from_secs(30);
/// Default grace period: how long an entry is served without asking the source.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(2);
/// Default L2 time to live.
pub const DEFAULT_L2_TTL: Duration = Duration::from_secs(300);
/// How long a listing with versions is kept, in this process (after its grace period) and in L2,
/// as the earlier listing reads of a new window are sent at once under
/// ([`CalendarCache::kept_listing`], [`CalendarCache::shared_versions`]). Any age is exact — such
/// a version is always older than the data kept under it — an older one only makes the next
/// validation a longer delta.
pub const LISTING_TTL: Duration = Duration::from_secs(24 * 3600);
/// Default bound of L1, in parsed items (events or series).
pub const DEFAULT_L1_MAX_ITEMS: u64 = 500_000;

/// How caching behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// L1 entries live at most this long; zero turns L1 off.
    pub l1_ttl: Duration,
    /// Entries younger than this are served without validation.
    pub grace: Duration,
    /// L2 entries live at most this long (DynamoDB TTL).
    pub l2_ttl: Duration,
    /// L1 holds at most this many parsed items.
    pub l1_max_items: u64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            l1_ttl: DEFAULT_L1_TTL,
            grace: DEFAULT_GRACE,
            l2_ttl: DEFAULT_L2_TTL,
            l1_max_items: DEFAULT_L1_MAX_ITEMS,
        }
    }
}

/// One cached calendar read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The source's version of the calendar when it was fetched (`None`: the source has none).
    pub version: Option<String>,
    /// What was fetched (without texts).
    pub fetched: Fetched,
    /// The item texts, for sources that read changes alone (else empty).
    pub texts: Arc<Vec<(String, String)>>,
    /// When it was last fetched or confirmed unchanged.
    pub checked: Instant,
}

/// A listing kept for the grace period.
#[derive(Debug, Clone)]
struct Listing {
    calendars: Arc<Vec<CalendarInfo>>,
    at: Instant,
}

/// The calendar cache: L1 in this process, and the shared L2 when one is configured.
#[derive(Debug, Clone)]
pub struct CalendarCache {
    policy: CachePolicy,
    entries: moka::future::Cache<String, Arc<Entry>>,
    listings: moka::future::Cache<String, Listing>,
    shared: Option<Arc<dyn SharedCache>>,
}

/// Longest a shared-cache read or write may take before it is given up (and logged).
pub const SHARED_TIMEOUT: Duration = Duration::from_millis(1_500);

/// What the cache says about one calendar before reading it.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// Serve this (tier `l1` or `validated`).
    Hit(Fetched),
    /// Fetch it (an entry that is absent, or unversioned past the grace period).
    Miss,
    /// The calendar changed since this entry was read: fetch it again, from this if the source can.
    Changed(Earlier),
}

impl CalendarCache {
    /// An empty cache with no L2.
    pub fn new(policy: CachePolicy) -> Self {
        Self::with_shared(policy, None)
    }

    /// An empty L1 over `shared` as L2.
    pub fn with_shared(policy: CachePolicy, shared: Option<Arc<dyn SharedCache>>) -> Self {
        let entries = moka::future::Cache::builder()
            .time_to_live(policy.l1_ttl)
            .max_capacity(policy.l1_max_items)
            .weigher(|_k: &String, e: &Arc<Entry>| u32::try_from(e.fetched.items.len() + 1).unwrap_or(u32::MAX))
            .build();
        let kept = if policy.l1_ttl.is_zero() { Duration::ZERO } else { LISTING_TTL };
        let listings = moka::future::Cache::builder().time_to_live(kept).max_capacity(1_000).build();
        CalendarCache { policy, entries, listings, shared }
    }

    /// One calendar's read through the tiers: L1 (with validation), then L2 (an entry fetched at
    /// the version the source lists now), then `fetch`, whose result is kept in both. `fetch` is
    /// handed the stale L1 entry of a calendar that changed, for sources that read changes alone;
    /// `keep_texts` keeps item texts in L1 for them.
    pub async fn get_or_fetch<F>(
        &self,
        key: &str,
        calendar: &CalendarInfo,
        listed_from_memory: bool,
        keep_texts: bool,
        fetch: impl FnOnce(Option<Earlier>) -> F,
    ) -> Result<Fetched, kenny_ports::sources::SourceError>
    where
        F: std::future::Future<Output = Result<Fetched, kenny_ports::sources::SourceError>>,
    {
        self.get_or_fetch_at(key, calendar, listed_from_memory, true, keep_texts, fetch).await
    }

    /// [`CalendarCache::get_or_fetch`], where `current: false` says the calendar's version is
    /// an earlier listing's (no newer than what is fetched now, but maybe older than the source's
    /// present version): L2 is then not read, since an entry at that version may be stale; what
    /// is fetched is still kept under it in both tiers, which is exact (a later check against a
    /// newer version fetches it again).
    pub async fn get_or_fetch_at<F>(
        &self,
        key: &str,
        calendar: &CalendarInfo,
        listed_from_memory: bool,
        current: bool,
        keep_texts: bool,
        fetch: impl FnOnce(Option<Earlier>) -> F,
    ) -> Result<Fetched, kenny_ports::sources::SourceError>
    where
        F: std::future::Future<Output = Result<Fetched, kenny_ports::sources::SourceError>>,
    {
        let earlier = match self.lookup(key, calendar, listed_from_memory).await {
            Lookup::Hit(f) => return Ok(f),
            Lookup::Changed(earlier) => Some(earlier),
            Lookup::Miss => None,
        };
        let shared = if current { self.shared_entry(key, calendar).await } else { None };
        if let Some((f, texts)) = shared {
            self.store(key, calendar, &f, if keep_texts { texts } else { Vec::new() }).await;
            return Ok(f);
        }
        let mut fetched = fetch(earlier.filter(|_| keep_texts)).await?;
        let texts = std::mem::take(&mut fetched.texts);
        self.share(key, calendar, &fetched, &texts).await;
        self.store(key, calendar, &fetched, if keep_texts { texts } else { Vec::new() }).await;
        Ok(fetched)
    }

    /// The L2 entry under `key`, if present; a failing or slow L2 is logged and counts as absent.
    async fn shared_get(&self, key: &str) -> Option<SharedEntry> {
        let shared = self.shared.as_ref()?;
        bounded_shared("read", shared.get(key)).await.flatten()
    }

    async fn shared_entry(&self, key: &str, calendar: &CalendarInfo) -> Option<(Fetched, Vec<(String, String)>)> {
        let entry = self.shared_get(key).await?;
        let age_ms = chrono::Utc::now().timestamp_millis().saturating_sub(entry.stored_at_ms);
        let young = u128::try_from(age_ms).unwrap_or(u128::MAX) < self.policy.grace.as_millis();
        let usable = match &calendar.version {
            Some(v) => entry.version.as_ref() == Some(v),
            None => young,
        };
        if !usable {
            return None;
        }
        let id = calendar.id.clone();
        let parsed = tokio::task::spawn_blocking(move || {
            let items = entry
                .items
                .iter()
                .map(|(label, text)| kenny_ports::sources::parse_calendar_item(&id, label, text).0)
                .collect();
            (Fetched { items, skipped: entry.skipped, cache: CacheTier::L2, ..Fetched::default() }, entry.items)
        })
        .await;
        parsed.ok()
    }

    async fn share(&self, key: &str, calendar: &CalendarInfo, fetched: &Fetched, texts: &[(String, String)]) {
        let Some(shared) = &self.shared else { return };
        if texts.len() != fetched.items.len() {
            return; // the source keeps no texts (the bundled sample): nothing to share
        }
        let entry = SharedEntry {
            version: calendar.version.clone(),
            stored_at_ms: chrono::Utc::now().timestamp_millis(),
            items: texts.to_vec(),
            skipped: fetched.skipped.clone(),
        };
        put_bounded(shared.as_ref(), key, &entry, self.policy.l2_ttl).await;
    }

    /// The L2 key of a source's listing: a data key has a locator after its first line, never
    /// an empty line.
    fn listing_key(source: &str) -> String {
        format!("{source}\n\nlisting")
    }

    /// The versions of `source`'s calendars, by locator, as a process last listed them with
    /// their tokens and stored them in L2 (`None`: no L2, nothing stored, or L2 failed). Each was
    /// answered by the source before it was stored, so before anything is fetched after this.
    pub async fn shared_versions(&self, source: &str) -> Option<std::collections::HashMap<String, String>> {
        Some(self.shared_get(&Self::listing_key(source)).await?.items.into_iter().collect())
    }

    /// Stores a listing `source` has just answered with versions in L2, for other processes'
    /// [`CalendarCache::shared_versions`]; on a task of its own, so it never delays a read.
    fn share_listing(&self, source: &str, calendars: &[CalendarInfo]) {
        let Some(shared) = self.shared.clone() else { return };
        let items: Vec<(String, String)> = versions_by_locator(calendars).collect();
        if items.is_empty() {
            return;
        }
        let entry = SharedEntry {
            version: None,
            stored_at_ms: chrono::Utc::now().timestamp_millis(),
            items,
            skipped: Vec::new(),
        };
        let (key, ttl) = (Self::listing_key(source), LISTING_TTL);
        tokio::spawn(async move { put_bounded(shared.as_ref(), &key, &entry, ttl).await });
    }

    /// Whether L2 holds a read under any of `keys`, at any version (asked at once, the entries
    /// not read); a failing or slow L2 is logged and counts as holding none.
    pub async fn shared_holds_any(&self, keys: &[String]) -> bool {
        let Some(shared) = &self.shared else { return false };
        bounded_shared("check", shared.holds(keys)).await.is_some_and(|held| held.contains(&true))
    }

    /// Whether a shared cache (L2) is configured.
    pub fn has_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The policy.
    pub fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    /// A source's listing: the kept one within the grace period (`true`: it came from memory),
    /// else `list()`'s, which is kept (and stored in L2 when it has versions).
    pub async fn listing<E>(
        &self,
        source: &str,
        list: impl std::future::Future<Output = Result<Vec<CalendarInfo>, E>>,
    ) -> Result<(Arc<Vec<CalendarInfo>>, bool), E> {
        if let Some(l) = self.listings.get(source).await.filter(|l| l.at.elapsed() < self.policy.grace) {
            return Ok((l.calendars, true));
        }
        let calendars = Arc::new(list.await?);
        self.share_listing(source, &calendars);
        self.listings.insert(source.to_string(), Listing { calendars: calendars.clone(), at: Instant::now() }).await;
        Ok((calendars, false))
    }

    /// A source's kept listing whatever its age ([`LISTING_TTL`] bounds it), and when it was
    /// listed.
    pub async fn kept_listing(&self, source: &str) -> Option<(Arc<Vec<CalendarInfo>>, Instant)> {
        self.listings.get(source).await.map(|l| (l.calendars, l.at))
    }

    /// Forgets a source's kept listing (its calendars changed since): the next read lists them.
    pub async fn forget_listing(&self, source: &str) {
        self.listings.invalidate(source).await;
    }

    /// Whether L1 holds a read under `key` (of any age or version).
    pub fn holds(&self, key: &str) -> bool {
        !self.policy.l1_ttl.is_zero() && self.entries.contains_key(key)
    }

    /// The key of one calendar's read: source, calendar, and the window for windowed sources.
    pub fn key(source: &str, calendar: &CalendarInfo, window: Option<&Window>) -> String {
        let locator = &calendar.locator;
        match window {
            Some(w) => format!("{source}\n{locator}\n{}/{}", w.start.to_rfc3339(), w.end.to_rfc3339()),
            None => format!("{source}\n{locator}"),
        }
    }

    /// Looks `key` up for `calendar` as just listed (`listed_from_memory`: the listing itself
    /// came from the grace-period copy, so no source request confirmed anything).
    pub async fn lookup(&self, key: &str, calendar: &CalendarInfo, listed_from_memory: bool) -> Lookup {
        if self.policy.l1_ttl.is_zero() {
            return Lookup::Miss; // L1 off
        }
        let Some(entry) = self.entries.get(key).await else {
            return Lookup::Miss;
        };
        let young = entry.checked.elapsed() < self.policy.grace;
        let unversioned = calendar.version.is_none();
        let same = !unversioned && entry.version == calendar.version;
        let tier = match (same, listed_from_memory) {
            (true, true) => CacheTier::L1,
            (true, false) => CacheTier::Validated,
            // A source without versions (a feed) validates itself when fetched.
            (false, _) if unversioned && young => CacheTier::L1,
            (false, _) if unversioned => return Lookup::Miss,
            (false, _) => {
                return Lookup::Changed(Earlier {
                    version: entry.version.clone(),
                    fetched: entry.fetched.clone(),
                    texts: entry.texts.clone(),
                });
            }
        };
        if tier == CacheTier::Validated {
            let refreshed = Entry { checked: Instant::now(), ..(*entry).clone() };
            self.entries.insert(key.to_string(), Arc::new(refreshed)).await;
        }
        Lookup::Hit(Fetched { cache: tier, ..entry.fetched.clone() })
    }

    /// Keeps what was fetched for `calendar` at its listed version, with `texts` (empty unless the
    /// source reads changes alone).
    pub async fn store(&self, key: &str, calendar: &CalendarInfo, fetched: &Fetched, texts: Vec<(String, String)>) {
        if self.policy.l1_ttl.is_zero() {
            return;
        }
        let fetched = Fetched { texts: Vec::new(), ..fetched.clone() };
        let entry =
            Entry { version: calendar.version.clone(), fetched, texts: Arc::new(texts), checked: Instant::now() };
        self.entries.insert(key.to_string(), Arc::new(entry)).await;
    }
}

/// The versions of a listing's calendars that have one, as `(locator, version)`.
pub fn versions_by_locator(calendars: &[CalendarInfo]) -> impl Iterator<Item = (String, String)> + '_ {
    calendars.iter().filter_map(|c| c.version.clone().map(|v| (c.locator.clone(), v)))
}

/// What `ask` of L2 (a `what`: read, check or write) answers within [`SHARED_TIMEOUT`]; a failure
/// or running out is logged, and `None` (a read or check then reads the source instead).
async fn bounded_shared<T>(
    what: &str,
    ask: impl std::future::Future<Output = Result<T, kenny_ports::cache::CacheError>>,
) -> Option<T> {
    match tokio::time::timeout(SHARED_TIMEOUT, ask).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(e)) => {
            tracing::warn!(code = e.code(), error = %e, "shared cache {what} failed");
            None
        }
        Err(_) => {
            tracing::warn!("shared cache {what} timed out");
            None
        }
    }
}

/// Writes `entry` to `shared` under `key`, bounded by [`SHARED_TIMEOUT`]; a failure is logged.
async fn put_bounded(shared: &dyn SharedCache, key: &str, entry: &SharedEntry, ttl: Duration) {
    bounded_shared("write", shared.put(key, entry, ttl)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(version: Option<&str>) -> CalendarInfo {
        CalendarInfo {
            id: "work".into(),
            name: "Work".into(),
            locator: "/cal/work/".into(),
            version: version.map(Into::into),
        }
    }

    fn fetched() -> Fetched {
        Fetched::default()
    }

    fn tier(l: Lookup) -> Option<CacheTier> {
        match l {
            Lookup::Hit(f) => Some(f.cache),
            Lookup::Miss | Lookup::Changed(_) => None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn grace_validation_and_changes() {
        let cache = CalendarCache::new(CachePolicy { grace: Duration::from_secs(2), ..CachePolicy::default() });
        let v1 = info(Some("v1"));
        assert_eq!(tier(cache.lookup("k", &v1, false).await), None, "empty");
        cache.store("k", &v1, &fetched(), Vec::new()).await;
        // Listed from the grace-period copy: memory only.
        assert_eq!(tier(cache.lookup("k", &v1, true).await), Some(CacheTier::L1));
        // Listed afresh, same version: validated.
        assert_eq!(tier(cache.lookup("k", &v1, false).await), Some(CacheTier::Validated));
        // Listed afresh, another version: fetch again, handed what was read at v1.
        match cache.lookup("k", &info(Some("v2")), false).await {
            Lookup::Changed(earlier) => assert_eq!(earlier.version.as_deref(), Some("v1")),
            other => panic!("expected Changed, got {other:?}"),
        }
        // Unversioned (a feed): memory within the grace period, then the source revalidates.
        let feed = info(None);
        cache.store("f", &feed, &fetched(), Vec::new()).await;
        assert_eq!(tier(cache.lookup("f", &feed, false).await), Some(CacheTier::L1));
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(tier(cache.lookup("f", &feed, false).await), None);
    }

    #[tokio::test(start_paused = true)]
    async fn listings_are_kept_for_the_grace_period_only() {
        let cache = CalendarCache::new(CachePolicy { grace: Duration::from_secs(2), ..CachePolicy::default() });
        let list = || async { Ok::<_, ()>(vec![info(Some("v1"))]) };
        assert!(!cache.listing("s", list()).await.unwrap().1);
        assert!(cache.listing("s", list()).await.unwrap().1);
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(!cache.listing("s", list()).await.unwrap().1);
    }

    #[test]
    fn windowed_keys_differ_by_window_and_whole_keys_do_not() {
        let tz = chrono_tz::UTC;
        let a = Window::parse("2026-12-01", "2026-12-08", tz).unwrap();
        let b = Window::parse("2026-12-08", "2026-12-15", tz).unwrap();
        let i = info(None);
        assert_ne!(CalendarCache::key("s", &i, Some(&a)), CalendarCache::key("s", &i, Some(&b)));
        assert_eq!(CalendarCache::key("s", &i, None), CalendarCache::key("s", &i, None));
        assert_ne!(CalendarCache::key("s1", &i, None), CalendarCache::key("s2", &i, None));
    }
}
