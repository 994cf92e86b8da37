//! CalDAV calendars and CardDAV address books (see [`crate::dav`] for discovery and reports).
//! Expansion is client-side, by the same code as the file source: servers' `<expand>` is
//! unreliable (Radicale lacks it), and one expansion means one set of answers.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;

use super::{Network, Target};
use crate::dav::{Account, Changes, Collection, Item, Items, Protocol};
use kenny_domain::contacts::Contact;
use kenny_domain::time::Window;
use kenny_ports::sources::{
    CalendarInfo, CalendarSource, ContactDirectory, Delta, Earlier, Fetched, LoadedContacts, SkippedItem, SourceError,
};

/// Every calendar of a CalDAV account.
#[derive(Debug)]
pub struct DavCalendars {
    account: Account,
}

impl DavCalendars {
    /// The account `target` names.
    pub fn new(net: &Network, target: Target) -> Self {
        DavCalendars { account: account(net, Protocol::CalDav, target) }
    }
}

/// The `protocol` side of the account `target` names, sharing discovery and listings with the
/// account's other sources on `net`.
fn account(net: &Network, protocol: Protocol, target: Target) -> Account {
    let auth = target.authorization(net);
    let shared = net.accounts.shared(&target.url, auth.as_ref());
    Account::new(net.http.clone(), protocol, target.url, auth, target.display, shared)
}

/// A calendar as listed: its version keeps the kind of token, since only a sync-token can ask
/// for a delta (`None` when the listing has no token).
fn calendar_info(c: Collection) -> CalendarInfo {
    let version = match (&c.sync_token, &c.ctag) {
        (Some(t), _) => Some(format!("{SYNC}{t}")),
        (None, Some(t)) => Some(format!("ctag {t}")),
        (None, None) => None,
    };
    CalendarInfo { version, id: c.id, name: c.name, locator: c.url.to_string() }
}

fn item_label(href: &str) -> String {
    href.rsplit('/').find(|s| !s.is_empty()).unwrap_or(href).to_string()
}

/// Items the server would not give or cut short, as skipped items.
fn unread(collection: &str, items: &Items) -> Vec<SkippedItem> {
    let mut out: Vec<SkippedItem> = items
        .missing
        .iter()
        .map(|(href, status)| SkippedItem {
            collection: collection.to_string(),
            item: item_label(href),
            code: "unreadable".into(),
            message: format!("the server answered HTTP {status} for this item"),
        })
        .collect();
    if items.truncated {
        out.push(SkippedItem {
            collection: collection.to_string(),
            item: String::new(),
            code: "truncated".into(),
            message: "the server limits how many items one query returns (507); some items may be missing".into(),
        });
    }
    out
}

#[async_trait]
impl CalendarSource for DavCalendars {
    fn windowed(&self) -> bool {
        true
    }

    fn describe(&self) -> String {
        self.account.display().to_string()
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
        Ok(self.account.collections().await?.into_iter().map(calendar_info).collect())
    }

    async fn calendars_unversioned(&self) -> Result<Option<Vec<CalendarInfo>>, SourceError> {
        let unversioned = |c| CalendarInfo { version: None, ..calendar_info(c) };
        Ok(Some(self.account.collections_untokened().await?.into_iter().map(unversioned).collect()))
    }

    async fn fetch(&self, calendar: &CalendarInfo, window: &Window) -> Result<Fetched, SourceError> {
        let collection = self.collection(calendar)?;
        let items = self.account.events(&collection, window.start, window.end).await?;
        let id = calendar.id.clone();
        self.parse(move || {
            let mut fetched = Fetched { skipped: unread(&id, &items), ..Fetched::default() };
            add_items(&mut fetched, &id, items.items);
            fetched
        })
        .await
    }

    fn incremental(&self) -> bool {
        true
    }

    async fn free_busy(
        &self,
        calendar: &CalendarInfo,
        window: &Window,
    ) -> Result<Option<Vec<kenny_ports::sources::Busy>>, SourceError> {
        let collection = self.collection(calendar)?;
        self.account.free_busy(&collection, window.start, window.end).await
    }

    /// Asks for the changes since the earlier read's sync-token, fetches the changed items and
    /// drops the removed ones; any other case (a ctag, a refused token, too many changes, an
    /// earlier read cut short) reads the window whole.
    async fn refetch(
        &self,
        calendar: &CalendarInfo,
        window: &Window,
        earlier: &Earlier,
    ) -> Result<Fetched, SourceError> {
        let token = earlier.version.as_deref().and_then(|v| v.strip_prefix(SYNC));
        let usable = earlier.texts.len() == earlier.fetched.items.len()
            && !earlier.fetched.skipped.iter().any(|s| s.code == "truncated");
        let (Some(token), true) = (token, usable) else {
            return self.fetch(calendar, window).await;
        };
        let collection = self.collection(calendar)?;
        let Some(changes) = self.account.changes_since(&collection, token).await? else {
            tracing::debug!(calendar = %calendar.id, "no sync-collection delta; reading the window whole");
            return self.fetch(calendar, window).await;
        };
        let id = calendar.id.clone();
        let earlier = earlier.clone();
        self.parse(move || {
            let mut gone: std::collections::HashSet<String> = changes.removed.iter().map(|h| item_label(h)).collect();
            gone.extend(changes.items.items.iter().map(|i| item_label(&i.href)));
            gone.extend(changes.items.missing.iter().map(|(h, _)| item_label(h)));
            let delta = Delta { changed: changes.items.items.len(), removed: changes.removed.len() };
            let mut fetched = Fetched { delta: Some(delta), ..Fetched::default() };
            for (item, (label, text)) in earlier.fetched.items.iter().zip(earlier.texts.iter()) {
                if !gone.contains(label) {
                    fetched.items.push(item.clone());
                    fetched.texts.push((label.clone(), text.clone()));
                }
            }
            fetched.skipped = earlier
                .fetched
                .skipped
                .iter()
                .filter(|s| !gone.iter().any(|g| s.item == *g || s.item.starts_with(&format!("{g} ("))))
                .cloned()
                .collect();
            fetched.skipped.extend(unread(&id, &changes.items));
            add_items(&mut fetched, &id, changes.items.items);
            fetched
        })
        .await
    }
}

/// The prefix of a version that is a `sync-token` (rather than a `getctag`).
const SYNC: &str = "sync ";

impl DavCalendars {
    fn collection(&self, calendar: &CalendarInfo) -> Result<Collection, SourceError> {
        let url = reqwest::Url::parse(&calendar.locator).map_err(|e| SourceError::BadReply {
            source_id: self.account.display().to_string(),
            message: format!("collection URL: {e}"),
        })?;
        Ok(Collection { url, id: calendar.id.clone(), name: calendar.name.clone(), ctag: None, sync_token: None })
    }

    /// Runs a parse off the async threads.
    async fn parse(&self, work: impl FnOnce() -> Fetched + Send + 'static) -> Result<Fetched, SourceError> {
        tokio::task::spawn_blocking(work).await.map_err(|e| SourceError::BadReply {
            source_id: self.account.display().to_string(),
            message: format!("parsing failed: {e}"),
        })
    }
}

/// Parses `items` into `fetched`, keeping each one's label and text.
fn add_items(fetched: &mut Fetched, collection: &str, items: Vec<Item>) {
    for item in items {
        let label = item_label(&item.href);
        let (parsed, skipped) = kenny_ports::sources::parse_calendar_item(collection, &label, &item.data);
        fetched.items.push(parsed);
        fetched.skipped.extend(skipped);
        fetched.texts.push((label, item.data));
    }
}

/// What one card gave: its contacts, and what of it could not be used.
#[derive(Debug, Clone, Default)]
struct Card {
    contacts: Vec<Contact>,
    skipped: Vec<SkippedItem>,
}

/// One address book's cards, kept with the version they were read at.
#[derive(Debug)]
struct Book {
    /// What the account's listing is compared with: a token no newer than the cards.
    version: String,
    /// The `sync-token` the next delta starts from (`None`: a change reads the book whole).
    token: Option<String>,
    /// Every card by href, so a delta replaces or drops single cards.
    cards: BTreeMap<String, Card>,
}

impl Book {
    /// A book read whole.
    fn read(collection: &Collection, book: crate::dav::Book) -> Book {
        let version = book.token.clone().unwrap_or_else(|| book_version(collection));
        let mut cards = BTreeMap::new();
        add_cards(&mut cards, &collection.id, &book.items);
        Book { version, token: book.token, cards }
    }

    /// This book with `changes` applied, at the version `collection` (just listed) has.
    fn apply(&mut self, collection: &Collection, changes: &Changes) {
        for href in &changes.removed {
            self.cards.remove(href);
        }
        add_cards(&mut self.cards, &collection.id, &changes.items);
        self.token = changes.token.clone();
        self.version = changes.token.clone().unwrap_or_else(|| book_version(collection));
    }
}

/// Parses `items` into `cards` (replacing earlier cards of the same href); items the server
/// would not give become cards with only a skipped entry.
fn add_cards(cards: &mut BTreeMap<String, Card>, book: &str, items: &Items) {
    for item in &items.items {
        let mut loaded = LoadedContacts::default();
        kenny_ports::sources::parse_card_item(book, &item_label(&item.href), &item.data, &mut loaded);
        cards.insert(item.href.clone(), Card { contacts: loaded.contacts, skipped: loaded.skipped });
    }
    let unread = unread(book, &Items { missing: items.missing.clone(), ..Items::default() });
    for ((href, _), skipped) in items.missing.iter().zip(unread) {
        cards.insert(href.clone(), Card { contacts: Vec::new(), skipped: vec![skipped] });
    }
}

/// Every address book of a CardDAV account. A cold book is read in one report
/// ([`Account::book`]); a book whose `sync-token` (or `getctag`) moved is read again as a delta
/// (`sync-collection` from the token it was read at) where the server offers one, else whole;
/// books without either token are re-read at most once a minute.
#[derive(Debug)]
pub struct DavContacts {
    account: Account,
    books: tokio::sync::Mutex<HashMap<String, Book>>,
}

impl DavContacts {
    /// The account `target` names.
    pub fn new(net: &Network, target: Target) -> Self {
        DavContacts { account: account(net, Protocol::CardDav, target), books: tokio::sync::Mutex::new(HashMap::new()) }
    }
}

/// A collection's change token; without one, a token that changes every minute.
fn book_version(c: &Collection) -> String {
    match c.version() {
        Some(v) => v.to_string(),
        None => format!("minute-{}", chrono::Utc::now().timestamp() / 60),
    }
}

/// The account's version: every book's URL and token (a book added or removed changes it too).
fn account_version<'a>(books: impl Iterator<Item = (&'a Collection, String)>) -> String {
    books.map(|(c, v)| format!("{}={v}", c.url)).collect::<Vec<_>>().join("\n")
}

#[async_trait]
impl ContactDirectory for DavContacts {
    fn describe(&self) -> String {
        self.account.display().to_string()
    }

    /// The books are found by a listing without tokens (cheap on every server), then each is
    /// read in one report that also gives its token.
    async fn load(&self) -> Result<LoadedContacts, SourceError> {
        self.load_from(self.account.collections_untokened().await?, false).await
    }

    async fn reload_if_changed(&self, known: &str) -> Result<Option<LoadedContacts>, SourceError> {
        let collections = self.account.collections().await?;
        if account_version(collections.iter().map(|c| (c, book_version(c)))) == known {
            return Ok(None);
        }
        self.load_from(collections, true).await.map(Some)
    }
}

impl DavContacts {
    /// The contacts of `collections` (just listed, `tokened`: with their tokens): books not yet
    /// read, or whose listed token moved, are read again — as a delta when the book has a
    /// sync-token —, the others come from memory.
    async fn load_from(&self, collections: Vec<Collection>, tokened: bool) -> Result<LoadedContacts, SourceError> {
        let mut books = self.books.lock().await;
        books.retain(|url, _| collections.iter().any(|c| c.url.as_str() == url));
        // A listing without tokens (a load) says nothing about the books already read.
        let stale: Vec<&Collection> = collections
            .iter()
            .filter(|c| books.get(c.url.as_str()).is_none_or(|b| tokened && b.version != book_version(c)))
            .collect();
        let reads = futures::future::join_all(stale.iter().map(|c| {
            let token = books.get(c.url.as_str()).and_then(|b| b.token.clone());
            self.read_book(c, token)
        }))
        .await;
        for (c, read) in stale.into_iter().zip(reads) {
            match read? {
                Read::Whole(book) => {
                    books.insert(c.url.to_string(), Book::read(c, book));
                }
                Read::Delta(changes) => {
                    if let Some(b) = books.get_mut(c.url.as_str()) {
                        b.apply(c, &changes);
                    }
                }
            }
            tracing::debug!(book = %c.id, "address book read");
        }
        let mut out = LoadedContacts::default();
        let mut versions = Vec::new();
        for c in &collections {
            if let Some(b) = books.get(c.url.as_str()) {
                for card in b.cards.values() {
                    out.contacts.extend(card.contacts.iter().cloned());
                    out.skipped.extend(card.skipped.iter().cloned());
                }
                versions.push((c, b.version.clone()));
            }
        }
        out.version = Some(account_version(versions.into_iter()));
        Ok(out)
    }

    /// One book: the changes since `token` when there is one and the server gives them, else
    /// the whole book.
    async fn read_book(&self, c: &Collection, token: Option<String>) -> Result<Read, SourceError> {
        if let Some(token) = token {
            if let Some(changes) = self.account.changes_since(c, &token).await? {
                return Ok(Read::Delta(changes));
            }
            tracing::debug!(book = %c.id, "no sync-collection delta; reading the address book whole");
        }
        self.account.book(c).await.map(Read::Whole)
    }
}

/// How a book was read again.
enum Read {
    /// Whole.
    Whole(crate::dav::Book),
    /// The changes since its token.
    Delta(Changes),
}
