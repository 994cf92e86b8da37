//! `file://` sources: a vdir storage root (one sub-folder per calendar or address book, one item
//! per file, optional `displayname` file), a single collection folder, or one `.ics`/`.vcf` file
//! holding many items.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::port::{
    CalendarInfo, CalendarSource, ContactDirectory, Fetched, LoadedContacts, MAX_COLLECTIONS, MAX_FILE_BYTES,
    MAX_ITEMS_PER_COLLECTION, SkippedItem, SourceError,
};
use crate::time::Window;

/// Calendars in a vdir root, a collection folder, or one `.ics` file.
#[derive(Debug)]
pub struct FileCalendars {
    root: PathBuf,
}

impl FileCalendars {
    /// A source reading `root`.
    pub fn new(root: PathBuf) -> Self {
        FileCalendars { root }
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

/// One collection: its id, display name and item files.
#[derive(Debug)]
struct Collection {
    id: String,
    name: String,
    path: PathBuf,
}

impl Collection {
    /// A fingerprint of the collection's item files (names, sizes, modification times): it
    /// changes when an item is added, removed or rewritten. Costs one `stat` per item.
    fn fingerprint(&self, ext: &str) -> String {
        use std::hash::{DefaultHasher, Hash as _, Hasher as _};
        let mut h = DefaultHasher::new();
        for file in item_files(&self.path, ext).unwrap_or_default() {
            file.hash(&mut h);
            if let Ok(meta) = std::fs::metadata(&file) {
                meta.len().hash(&mut h);
                meta.modified().ok().hash(&mut h);
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

/// Item files of one collection folder (or the file itself), sorted for stable output.
fn item_files(path: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)?.take(MAX_ITEMS_PER_COLLECTION * 2) {
        let p = entry?.path();
        if p.is_file() && has_ext(&p, ext) && visible(&p) {
            files.push(p);
            if files.len() >= MAX_ITEMS_PER_COLLECTION {
                break;
            }
        }
    }
    files.sort();
    Ok(files)
}

fn display_name(dir: &Path, id: &str) -> String {
    std::fs::read_to_string(dir.join("displayname"))
        .ok()
        .map(|s| s.trim().chars().take(200).collect::<String>())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.to_string())
}

fn name_of(path: &Path) -> String {
    let stem = if path.is_file() { path.file_stem() } else { path.file_name() };
    stem.map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "calendar".into())
}

/// The collections under `root`: the file itself, the folder if it holds items, and every
/// visible sub-folder that holds items.
fn collections(root: &Path, ext: &str) -> Result<Vec<Collection>, SourceError> {
    let meta = std::fs::metadata(root).map_err(|e| io(root, e))?;
    if meta.is_file() {
        let id = name_of(root);
        return Ok(vec![Collection { name: id.clone(), id, path: root.to_path_buf() }]);
    }
    let mut out = Vec::new();
    let mut subdirs = Vec::new();
    let mut direct_items = false;
    for entry in std::fs::read_dir(root).map_err(|e| io(root, e))?.take(MAX_ITEMS_PER_COLLECTION * 2) {
        let p = entry.map_err(|e| io(root, e))?.path();
        if !visible(&p) {
            continue;
        }
        if p.is_dir() {
            subdirs.push(p);
        } else if has_ext(&p, ext) {
            direct_items = true;
        }
    }
    if direct_items {
        let id = name_of(root);
        out.push(Collection { name: display_name(root, &id), id, path: root.to_path_buf() });
    }
    subdirs.sort();
    for dir in subdirs.into_iter().take(MAX_COLLECTIONS) {
        let holds_items = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).any(|e| has_ext(&e.path(), ext)))
            .unwrap_or(false);
        if holds_items {
            let id = name_of(&dir);
            out.push(Collection { name: display_name(&dir, &id), id, path: dir });
        }
    }
    Ok(out)
}

/// Reads one item file: size-capped, invalid UTF-8 replaced rather than refused.
fn read_item(path: &Path, collection: &str) -> Result<String, SkippedItem> {
    let skipped = |code: &str, message: String| SkippedItem {
        collection: collection.to_string(),
        item: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        code: code.into(),
        message,
    };
    let len = std::fs::metadata(path).map_err(|e| skipped("unreadable", e.to_string()))?.len();
    if len > MAX_FILE_BYTES {
        return Err(skipped("too_large", format!("{len} bytes; items over {MAX_FILE_BYTES} bytes are not read")));
    }
    let bytes = std::fs::read(path).map_err(|e| skipped("unreadable", e.to_string()))?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
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
        let cols = blocking(&self.root, move || collections(&root, "ics")).await?;
        Ok(cols
            .into_iter()
            .map(|c| CalendarInfo {
                version: Some(c.fingerprint("ics")),
                id: c.id,
                name: c.name,
                locator: c.path.display().to_string(),
            })
            .collect())
    }

    async fn fetch(&self, calendar: &CalendarInfo, _window: &Window) -> Result<Fetched, SourceError> {
        let path = PathBuf::from(&calendar.locator);
        let id = calendar.id.clone();
        let root = self.root.clone();
        blocking(&self.root, move || {
            let files = item_files(&path, "ics").map_err(|e| io(&root, e))?;
            let mut fetched = Fetched { items: Vec::with_capacity(files.len()), ..Fetched::default() };
            for file in files {
                match read_item(&file, &id) {
                    Ok(text) => {
                        let (parsed, skipped) = super::port::parse_calendar_item(&id, &file_label(&file), &text);
                        fetched.skipped.extend(skipped);
                        fetched.items.push(parsed);
                        fetched.texts.push((file_label(&file), text));
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
            for col in collections(&root, "vcf")? {
                for file in item_files(&col.path, "vcf").map_err(|e| io(&root, e))? {
                    match read_item(&file, &col.id) {
                        Ok(text) => super::port::parse_card_item(&col.id, &file_label(&file), &text, &mut loaded),
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
        let cols = collections(root, "ics").unwrap();
        let ids: Vec<_> = cols.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
        assert_eq!(ids, vec![("home", "Home & family"), ("work", "work")]);
        let single = collections(&root.join("work"), "ics").unwrap();
        assert_eq!(single.len(), 1);
        assert_eq!(single[0].id, "work");
        let file = collections(&root.join("work/a.ics"), "ics").unwrap();
        assert_eq!(file[0].id, "a");
        assert!(matches!(collections(&root.join("nope"), "ics"), Err(SourceError::NotFound { .. })));
    }

    #[test]
    fn oversized_items_are_skipped_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.ics");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_item(&p, "cal").unwrap_err();
        assert_eq!(err.code, "too_large");
        std::fs::write(&p, b"BEGIN:VCALENDAR\xff\r\n").unwrap();
        assert!(read_item(&p, "cal").unwrap().starts_with("BEGIN:VCALENDAR"));
    }
}
