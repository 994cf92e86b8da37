//! `file://` sources: a vdir storage root (one sub-folder per calendar or address book, one item
//! per file, optional `displayname` file), a single collection folder, or one `.ics`/`.vcf` file
//! holding many items.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use async_trait::async_trait;

use kenny_domain::time::Window;
use kenny_ports::sources::{
    CalendarInfo, CalendarSource, ContactDirectory, Fetched, LoadedContacts, MAX_COLLECTIONS, MAX_FILE_BYTES,
    MAX_ITEMS_PER_COLLECTION, SkippedItem, SourceError,
};

/// Calendars in a vdir root, a collection folder, or one `.ics` file.
#[derive(Debug)]
pub struct FileCalendars {
    root: PathBuf,
    /// The item files each collection had when [`CalendarSource::calendars`] last listed it,
    /// with the fingerprint made of them: a `fetch` of that version reads these files without
    /// listing the folder again.
    listed: Mutex<HashMap<PathBuf, (String, Vec<ItemFile>)>>,
}

impl FileCalendars {
    /// A source reading `root`.
    pub fn new(root: PathBuf) -> Self {
        FileCalendars { root, listed: Mutex::default() }
    }

    /// The item files of the collection at `path` as last listed, if that listing had
    /// `version` (taken: a listing serves one fetch).
    fn take_listed(&self, path: &Path, version: Option<&str>) -> Option<Vec<ItemFile>> {
        let (fingerprint, items) = self.listed.lock().ok()?.remove(path)?;
        (Some(fingerprint.as_str()) == version).then_some(items)
    }
}

/// Contacts in a vdir root, a collection folder, or one `.vcf` file.
#[derive(Debug)]
pub struct FileContacts {
    root: PathBuf,
}

impl FileContacts {
    /// A directory reading `root`.
    pub fn new(root: PathBuf) -> Self {
        FileContacts { root }
    }
}

/// One item file as its folder listed it, with what the fingerprint needs of it.
#[derive(Debug, Clone)]
struct ItemFile {
    path: PathBuf,
    /// Size and modification time; `None` when the file could not be examined.
    meta: Option<(u64, Option<SystemTime>)>,
}

impl ItemFile {
    fn new(path: PathBuf, meta: Option<&std::fs::Metadata>) -> ItemFile {
        ItemFile { path, meta: meta.map(|m| (m.len(), m.modified().ok())) }
    }
}

/// One collection: its id, display name and item files.
#[derive(Debug)]
struct Collection {
    id: String,
    name: String,
    path: PathBuf,
    items: Vec<ItemFile>,
}

impl Collection {
    /// A fingerprint of the collection's item files (names, sizes, modification times): it
    /// changes when an item is added, removed or rewritten.
    fn fingerprint(&self) -> String {
        use std::hash::{DefaultHasher, Hash as _, Hasher as _};
        let mut h = DefaultHasher::new();
        for file in &self.items {
            file.path.hash(&mut h);
            if let Some((len, modified)) = file.meta {
                len.hash(&mut h);
                modified.hash(&mut h);
            }
        }
        format!("{:016x}", h.finish())
    }
}

fn source_id(root: &Path) -> String {
    format!("file://{}", root.display())
}

fn io(root: &Path, error: std::io::Error) -> SourceError {
    if error.kind() == std::io::ErrorKind::NotFound {
        SourceError::NotFound { source_id: source_id(root) }
    } else {
        SourceError::Io { source_id: source_id(root), error }
    }
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn visible(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.'))
}

/// One folder, read with a single listing: its item files (visible files with the extension,
/// sorted, at most [`MAX_ITEMS_PER_COLLECTION`]), its visible sub-folders, and whether it holds
/// anything named like an item. The entry's type comes with the listing; a `stat` is spent per
/// item file only when [`Sizes::Wanted`] (for a fingerprint), and per symbolic link (to see what
/// it points to).
#[derive(Debug, Default)]
struct Listing {
    items: Vec<ItemFile>,
    subdirs: Vec<PathBuf>,
    /// A visible entry with the extension that is not a folder.
    direct_items: bool,
    /// Any entry with the extension (a sub-folder holding one is a collection).
    named_items: bool,
}

/// Whether a listing examines each item file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sizes {
    Wanted,
    NotWanted,
}

fn list_dir(path: &Path, ext: &str, sizes: Sizes) -> std::io::Result<Listing> {
    let mut out = Listing::default();
    for entry in std::fs::read_dir(path)?.take(MAX_ITEMS_PER_COLLECTION * 2) {
        let entry = entry?;
        let p = entry.path();
        let named = has_ext(&p, ext);
        out.named_items |= named;
        if !visible(&p) {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        // A link is what it points to (as `Path::is_file`/`is_dir` read it).
        let followed = if kind.is_symlink() { std::fs::metadata(&p).ok() } else { None };
        let is_dir = followed.as_ref().map_or(kind.is_dir(), |m| m.is_dir());
        if is_dir {
            out.subdirs.push(p);
            continue;
        }
        if !named {
            continue;
        }
        out.direct_items = true;
        let is_file = followed.as_ref().map_or(kind.is_file(), |m| m.is_file());
        if is_file && out.items.len() < MAX_ITEMS_PER_COLLECTION {
            let meta = match followed {
                Some(m) => Some(m),
                None if sizes == Sizes::Wanted => entry.metadata().ok(),
                None => None,
            };
            out.items.push(ItemFile::new(p, meta.as_ref()));
        }
    }
    out.items.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The item files of one collection folder (or the file itself), to be read (no sizes).
fn list_collection(path: &Path, ext: &str) -> std::io::Result<Vec<ItemFile>> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(vec![ItemFile::new(path.to_path_buf(), Some(&meta))]);
    }
    Ok(list_dir(path, ext, Sizes::NotWanted)?.items)
}

fn display_name(dir: &Path, id: &str) -> String {
    std::fs::read_to_string(dir.join("displayname"))
        .ok()
        .map(|s| s.trim().chars().take(200).collect::<String>())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.to_string())
}

fn name_of(path: &Path, is_file: bool) -> String {
    let stem = if is_file { path.file_stem() } else { path.file_name() };
    stem.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "calendar".into())
}

/// The collections under `root`: the file itself, the folder if it holds items, and every
/// visible sub-folder that holds items. Each folder is listed once.
fn collections(root: &Path, ext: &str, sizes: Sizes) -> Result<Vec<Collection>, SourceError> {
    let meta = std::fs::metadata(root).map_err(|e| io(root, e))?;
    if meta.is_file() {
        let id = name_of(root, true);
        let items = vec![ItemFile::new(root.to_path_buf(), Some(&meta))];
        return Ok(vec![Collection { name: id.clone(), id, path: root.to_path_buf(), items }]);
    }
    let mut out = Vec::new();
    let mut listing = list_dir(root, ext, sizes).map_err(|e| io(root, e))?;
    if listing.direct_items {
        let id = name_of(root, false);
        let items = std::mem::take(&mut listing.items);
        out.push(Collection { name: display_name(root, &id), id, path: root.to_path_buf(), items });
    }
    listing.subdirs.sort();
    for dir in listing.subdirs.into_iter().take(MAX_COLLECTIONS) {
        let Ok(sub) = list_dir(&dir, ext, sizes) else { continue };
        if sub.named_items {
            let id = name_of(&dir, false);
            out.push(Collection { name: display_name(&dir, &id), id, path: dir, items: sub.items });
        }
    }
    Ok(out)
}

/// Reads one item file with one `open` and its `read`s: size-capped (by the listing's size,
/// and while reading, should the file have grown), invalid UTF-8 replaced rather than refused.
fn read_item(file: &ItemFile, collection: &str) -> Result<String, SkippedItem> {
    let skipped = |code: &str, message: String| SkippedItem {
        collection: collection.to_string(),
        item: file_label(&file.path),
        code: code.into(),
        message,
    };
    let too_large =
        |len: u64| skipped("too_large", format!("{len} bytes; items over {MAX_FILE_BYTES} bytes are not read"));
    if let Some((len, _)) = file.meta
        && len > MAX_FILE_BYTES
    {
        return Err(too_large(len));
    }
    let bytes =
        read_capped(&file.path, file.meta.map(|(len, _)| len)).map_err(|e| skipped("unreadable", e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// A file's bytes, at most [`MAX_FILE_BYTES`] + 1 of them (so that a longer file shows as too
/// long). With the size the listing saw, one `read` of that size plus one byte: when it returns
/// exactly that size the file is whole (had it grown, the spare byte would be filled), so no
/// second read is spent finding its end. Otherwise, or without a size, reads on to the end
/// (for one of unknown size into 16 KiB first; the spare room is given back after).
fn read_capped(path: &Path, listed_len: Option<u64>) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    if let Some(len) = listed_len.and_then(|l| usize::try_from(l).ok()) {
        bytes.resize(len.saturating_add(1), 0);
        let n = f.read(&mut bytes)?;
        bytes.truncate(n);
        if n == len {
            return Ok(bytes);
        }
    } else {
        bytes.reserve(16 * 1024);
    }
    let rest = (MAX_FILE_BYTES + 1).saturating_sub(bytes.len() as u64);
    f.take(rest).read_to_end(&mut bytes)?;
    if listed_len.is_none() {
        bytes.shrink_to_fit();
    }
    Ok(bytes)
}

fn file_label(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

async fn blocking<T: Send + 'static>(
    root: &Path,
    f: impl FnOnce() -> Result<T, SourceError> + Send + 'static,
) -> Result<T, SourceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SourceError::Io { source_id: source_id(root), error: std::io::Error::other(e.to_string()) })?
}

#[async_trait]
impl CalendarSource for FileCalendars {
    fn describe(&self) -> String {
        source_id(&self.root)
    }

    async fn calendars(&self) -> Result<Vec<CalendarInfo>, SourceError> {
        let root = self.root.clone();
        let cols = blocking(&self.root, move || collections(&root, "ics", Sizes::Wanted)).await?;
        let mut listed = HashMap::with_capacity(cols.len());
        let infos = cols
            .into_iter()
            .map(|c| {
                let version = c.fingerprint();
                let info = CalendarInfo {
                    version: Some(version.clone()),
                    id: c.id,
                    name: c.name,
                    locator: c.path.display().to_string(),
                };
                listed.insert(c.path, (version, c.items));
                info
            })
            .collect();
        if let Ok(mut m) = self.listed.lock() {
            *m = listed;
        }
        Ok(infos)
    }

    async fn fetch(&self, calendar: &CalendarInfo, _window: &Window) -> Result<Fetched, SourceError> {
        let path = PathBuf::from(&calendar.locator);
        let id = calendar.id.clone();
        let root = self.root.clone();
        let listed = self.take_listed(&path, calendar.version.as_deref());
        blocking(&self.root, move || {
            let files = match listed {
                Some(files) => files,
                None => list_collection(&path, "ics").map_err(|e| io(&root, e))?,
            };
            let mut fetched = Fetched { items: Vec::with_capacity(files.len()), ..Fetched::default() };
            for file in files {
                match read_item(&file, &id) {
                    Ok(text) => {
                        let label = file_label(&file.path);
                        let (parsed, skipped) = kenny_ports::sources::parse_calendar_item(&id, &label, &text);
                        fetched.skipped.extend(skipped);
                        fetched.items.push(parsed);
                        fetched.texts.push((label, text));
                    }
                    Err(skip) => fetched.skipped.push(skip),
                }
            }
            Ok(fetched)
        })
        .await
    }
}

#[async_trait]
impl ContactDirectory for FileContacts {
    fn describe(&self) -> String {
        source_id(&self.root)
    }

    async fn load(&self) -> Result<LoadedContacts, SourceError> {
        let root = self.root.clone();
        blocking(&self.root, move || {
            let mut loaded = LoadedContacts::default();
            for col in collections(&root, "vcf", Sizes::NotWanted)? {
                for file in &col.items {
                    match read_item(file, &col.id) {
                        Ok(text) => {
                            kenny_ports::sources::parse_card_item(&col.id, &file_label(&file.path), &text, &mut loaded)
                        }
                        Err(skip) => loaded.skipped.push(skip),
                    }
                }
            }
            Ok(loaded)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vdir_root_collection_folder_and_single_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("work")).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("work/a.ics"), "x").unwrap();
        std::fs::write(root.join("home/b.ICS"), "x").unwrap();
        std::fs::write(root.join(".hidden/c.ics"), "x").unwrap();
        std::fs::write(root.join("home/displayname"), "Home & family\n").unwrap();
        let cols = collections(root, "ics", Sizes::Wanted).unwrap();
        let ids: Vec<_> = cols.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
        assert_eq!(ids, vec![("home", "Home & family"), ("work", "work")]);
        let single = collections(&root.join("work"), "ics", Sizes::Wanted).unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].id, "work");
        let file = collections(&root.join("work/a.ics"), "ics", Sizes::Wanted).unwrap();
        assert_eq!(file[0].id, "a");
        assert!(matches!(collections(&root.join("nope"), "ics", Sizes::Wanted), Err(SourceError::NotFound { .. })));
    }

    #[test]
    fn oversized_items_are_skipped_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.ics");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_item(&listed(&p), "cal").unwrap_err();
        assert_eq!(err.code, "too_large");
        std::fs::write(&p, b"BEGIN:VCALENDAR\xff\r\n").unwrap();
        assert!(read_item(&listed(&p), "cal").unwrap().starts_with("BEGIN:VCALENDAR"));
    }

    fn listed(p: &Path) -> ItemFile {
        ItemFile::new(p.to_path_buf(), std::fs::metadata(p).ok().as_ref())
    }

    #[test]
    fn an_item_grown_since_its_listing_is_still_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("grew.ics");
        std::fs::write(&p, "small").unwrap();
        let item = listed(&p);
        std::fs::File::options().write(true).open(&p).unwrap().set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_item(&item, "cal").unwrap_err();
        assert_eq!(err.code, "too_large");
    }

    fn event(uid: &str) -> String {
        format!(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:20260310T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    }

    #[tokio::test]
    async fn versions_follow_the_items_and_fetch_reads_the_listed_version() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("work")).unwrap();
        std::fs::write(root.join("work/a.ics"), event("a")).unwrap();
        std::fs::write(root.join("work/notes.txt"), "not an item").unwrap();
        let source = FileCalendars::new(root.to_path_buf());
        let window = Window::parse("2026-03-01", "2026-04-01", chrono_tz::UTC).unwrap();
        let uids = |f: &Fetched| -> Vec<String> {
            let mut u: Vec<String> = f.texts.iter().map(|(name, _)| name.clone()).collect();
            u.sort();
            u
        };

        let first = source.calendars().await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(uids(&source.fetch(&first[0], &window).await.unwrap()), ["a.ics"]);
        // Unchanged items: the same version.
        let again = source.calendars().await.unwrap();
        assert_eq!(again[0].version, first[0].version);

        // An added item and a rewritten one (another size) change the version, and a fetch of
        // the new version reads them.
        std::fs::write(root.join("work/b.ics"), event("b")).unwrap();
        let added = source.calendars().await.unwrap();
        assert_ne!(added[0].version, first[0].version);
        std::fs::write(root.join("work/a.ics"), event("a-longer")).unwrap();
        let rewritten = source.calendars().await.unwrap();
        assert_ne!(rewritten[0].version, added[0].version);
        let fetched = source.fetch(&rewritten[0], &window).await.unwrap();
        assert_eq!(uids(&fetched), ["a.ics", "b.ics"]);
        assert!(fetched.texts.iter().any(|(_, t)| t.contains("UID:a-longer")));

        // A fetch of a version other than the last listing's lists the folder itself.
        std::fs::write(root.join("work/c.ics"), event("c")).unwrap();
        assert_eq!(uids(&source.fetch(&first[0], &window).await.unwrap()), ["a.ics", "b.ics", "c.ics"]);
    }
}
