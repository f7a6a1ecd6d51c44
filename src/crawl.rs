//! Crawling: the corpus folder to the files sift will read.
//!
//! [`walk`] lists the candidate files under the root in a stable order (by
//! name, depth first) from the folders' listings alone; [`Stat::classify`]
//! then looks at one candidate's metadata (one `stat`, which the indexer
//! runs on its worker threads, in parallel), so that an unchanged file costs
//! nothing more. [`read`] then reads one candidate and checks that it is
//! text. Anything passed over becomes a [`Skip`] naming the file and the
//! reason; nothing here is fatal but a missing root. This module knows
//! nothing of decoding or normalization.
//!
//! Symbolic links: a link to a file inside the root is read under the link's
//! own name; a link to a folder is not followed (whatever it points to inside
//! the root is walked under its own name, and following it could loop); a link
//! that leads out of the root, or nowhere, is skipped.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use walkdir::WalkDir;

use crate::error::{Error, Result};
use crate::raw_file::RawFile;

/// The default size limit for one file: 16 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 16 * 1024 * 1024;

/// How many leading bytes are sniffed to tell text from binary.
const SNIFF_LEN: usize = 8192;

/// Settings for a crawl.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Files larger than this many bytes are skipped.
    pub max_size: u64,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// A file found by [`walk`], not yet read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the corpus root, `/`-separated (lossy for names that
    /// are not UTF-8).
    pub rel_path: String,
    /// The path to open.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if unknown).
    pub mtime: u64,
}

/// Why a file or folder was passed over.
#[derive(Debug)]
pub enum SkipReason {
    /// Its name starts with a dot.
    Hidden,
    /// It holds zero bytes.
    Empty,
    /// It is larger than the size limit.
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Its first bytes are not text.
    Binary,
    /// A symbolic link that leads out of the corpus root.
    LinkOutside,
    /// A symbolic link to a folder, not followed.
    LinkToFolder,
    /// A symbolic link that leads nowhere, or in a loop.
    BrokenLink(io::Error),
    /// It disappeared between the walk and the read.
    Vanished,
    /// It could not be read.
    Unreadable(io::Error),
    /// Neither a file, a folder nor a link (a socket, a FIFO, a device).
    NotAFile,
}

impl SkipReason {
    /// A short stable name for counting skips by reason.
    pub fn kind(&self) -> &'static str {
        match self {
            SkipReason::Hidden => "hidden",
            SkipReason::Empty => "empty",
            SkipReason::TooLarge { .. } => "too large",
            SkipReason::Binary => "binary",
            SkipReason::LinkOutside => "link outside corpus",
            SkipReason::LinkToFolder => "link to folder",
            SkipReason::BrokenLink(_) => "broken link",
            SkipReason::Vanished => "vanished",
            SkipReason::Unreadable(_) => "unreadable",
            SkipReason::NotAFile => "not a file",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Hidden => write!(f, "hidden, skipped"),
            SkipReason::Empty => write!(f, "empty file, skipped"),
            SkipReason::TooLarge { size, limit } => {
                write!(f, "{size} bytes is over the {limit}-byte limit, skipped")
            }
            SkipReason::Binary => write!(f, "binary file, skipped"),
            SkipReason::LinkOutside => write!(f, "symbolic link leads out of the corpus, skipped"),
            SkipReason::LinkToFolder => write!(f, "symbolic link to a folder, not followed"),
            SkipReason::BrokenLink(err) => {
                write!(f, "broken symbolic link or loop ({err}), skipped")
            }
            SkipReason::Vanished => write!(f, "file vanished before it could be read"),
            SkipReason::Unreadable(err) => write!(f, "cannot read: {err}"),
            SkipReason::NotAFile => write!(f, "not a regular file, skipped"),
        }
    }
}

/// A file or folder passed over, and why.
#[derive(Debug)]
pub struct Skip {
    /// The path, relative to the corpus root where possible.
    pub path: String,
    /// Why it was passed over.
    pub reason: SkipReason,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Lists the files under `root` in a stable order, with skips in line.
pub fn walk(root: &Path, options: &CrawlOptions) -> Result<Walk> {
    let canonical_root = root
        .canonicalize()
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| Error::NoCorpus {
            path: root.to_path_buf(),
        })?;
    Ok(Walk {
        inner: WalkDir::new(root)
            .follow_links(false)
            // Siblings' paths are their folder's path and their names: the
            // whole paths compare as the names do, in one memcmp (finding
            // each name first was 16 % of a no-op run's instructions).
            .sort_by(|a, b| path_bytes(a.path()).cmp(path_bytes(b.path())))
            .into_iter(),
        stat: Stat {
            root: root.to_path_buf(),
            canonical_root,
            max_size: options.max_size,
        },
        folder: None,
    })
}

/// The iterator [`walk`] returns.
pub struct Walk {
    inner: walkdir::IntoIter,
    stat: Stat,
    /// The folder of the last file found, open: its files are looked at
    /// through it.
    folder: Option<(PathBuf, Folder)>,
}

/// An open folder, shared by the candidates found in it.
type Folder = Option<std::sync::Arc<fs::File>>;

/// A file the walk found, before its metadata is read.
#[derive(Debug)]
pub struct Candidate {
    /// Path relative to the corpus root, as [`Entry::rel_path`].
    pub rel_path: String,
    path: PathBuf,
    is_symlink: bool,
    folder: Folder,
}

/// What one walked entry comes to, before its `stat`.
pub type Found = std::result::Result<Candidate, Skip>;

/// A path's bytes.
fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The bytes of a walked path's last name: what `Path::file_name` gives
/// for the paths the walk builds (a name joined to its folder), without
/// parsing every component.
fn file_name(path: &Path) -> &[u8] {
    let bytes = path.as_os_str().as_encoded_bytes();
    #[cfg(unix)]
    let name = bytes.rsplit(|&b| b == b'/').next().unwrap_or(bytes);
    #[cfg(not(unix))]
    let name = path
        .file_name()
        .map_or(bytes, |name| name.as_encoded_bytes());
    name
}

/// What one walked entry comes to.
pub type Walked = std::result::Result<Entry, Skip>;

/// What [`Stat::classify`] needs of the walk: shared by the threads that
/// classify candidates.
#[derive(Debug, Clone)]
pub struct Stat {
    root: PathBuf,
    canonical_root: PathBuf,
    max_size: u64,
}

impl Walk {
    /// The classifier of this walk's candidates.
    pub fn stat(&self) -> Stat {
        self.stat.clone()
    }
}

impl Iterator for Walk {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            let entry = match self.inner.next()? {
                Ok(entry) => entry,
                Err(err) => return Some(Err(self.stat.walk_error(err))),
            };
            let hidden = entry.depth() > 0 && file_name(entry.path()).starts_with(b".");
            if hidden {
                if entry.file_type().is_dir() {
                    self.inner.skip_current_dir();
                }
                return Some(Err(self.stat.skipped(entry.path(), SkipReason::Hidden)));
            }
            if entry.file_type().is_dir() {
                continue;
            }
            let is_symlink = entry.path_is_symlink();
            let path = entry.into_path();
            return Some(Ok(Candidate {
                rel_path: self.stat.rel_path(&path),
                folder: self.folder_of(&path),
                path,
                is_symlink,
            }));
        }
    }
}

impl Walk {
    /// The open folder holding `path`; `None` where it cannot be opened
    /// (the file is then looked at by its whole path).
    fn folder_of(&mut self, path: &Path) -> Folder {
        let parent = path.parent()?;
        match &self.folder {
            Some((open, folder)) if open == parent => folder.clone(),
            _ => {
                let folder = fs::File::open(parent).ok().map(std::sync::Arc::new);
                self.folder = Some((parent.to_path_buf(), folder.clone()));
                folder
            }
        }
    }
}

impl Stat {
    /// Turns a walked candidate into a file to read, or a skip.
    pub fn classify(&self, candidate: Candidate) -> Walked {
        let Candidate {
            rel_path,
            path,
            is_symlink,
            folder,
        } = candidate;
        let metadata = if is_symlink {
            Metadata::of(&self.follow_link(&path)?)
        } else {
            metadata(&path, folder.as_deref()).map_err(|err| self.skipped(&path, io_reason(err)))?
        };
        let skip = |reason| Skip {
            path: rel_path.clone(),
            reason,
        };
        if !metadata.is_file {
            return Err(skip(SkipReason::NotAFile));
        }
        let size = metadata.size;
        if size == 0 {
            return Err(skip(SkipReason::Empty));
        }
        if size > self.max_size {
            let limit = self.max_size;
            return Err(skip(SkipReason::TooLarge { size, limit }));
        }
        Ok(Entry {
            rel_path,
            path,
            size,
            mtime: metadata.mtime,
        })
    }

    /// Resolves a symbolic link, keeping only links to files in the root.
    fn follow_link(&self, path: &Path) -> std::result::Result<fs::Metadata, Skip> {
        let target = path
            .canonicalize()
            .map_err(|err| self.skipped(path, SkipReason::BrokenLink(err)))?;
        if !target.starts_with(&self.canonical_root) {
            return Err(self.skipped(path, SkipReason::LinkOutside));
        }
        let metadata = fs::metadata(&target).map_err(|err| self.skipped(path, io_reason(err)))?;
        if metadata.is_dir() {
            return Err(self.skipped(path, SkipReason::LinkToFolder));
        }
        Ok(metadata)
    }

    fn walk_error(&self, err: walkdir::Error) -> Skip {
        let path = err.path().unwrap_or(&self.root).to_path_buf();
        let reason = if err.loop_ancestor().is_some() {
            SkipReason::BrokenLink(io::Error::other("symbolic link loop"))
        } else {
            // The bare cause: the warning names the path itself.
            let cause = err
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("walk failed"));
            io_reason(cause)
        };
        self.skipped(&path, reason)
    }

    fn skipped(&self, path: &Path, reason: SkipReason) -> Skip {
        Skip {
            path: self.rel_path(path),
            reason,
        }
    }

    fn rel_path(&self, path: &Path) -> String {
        rel_path(&self.root, path)
    }
}

/// `path` relative to `root`, `/`-separated. Bytes of a name that are not
/// UTF-8 are written `\xNN`, so that two such names never share a key.
fn rel_path(root: &Path, path: &Path) -> String {
    // The walk joins names to the root as given, so the root's bytes lead
    // the path: cutting them off is cheaper than comparing components (a
    // tenth of a no-op run). Anything unusual takes the general way below.
    #[cfg(unix)]
    if let Some(text) = rel_by_bytes(root, path) {
        return text.to_string();
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    // The common case: UTF-8, and `/` is already the separator.
    #[cfg(unix)]
    if let Some(text) = rel.to_str().filter(|t| !t.is_empty()) {
        return text.to_string();
    }
    let parts: Vec<String> = rel
        .components()
        .map(|c| escape_name(c.as_os_str().as_encoded_bytes()))
        .collect();
    if parts.is_empty() {
        escape_name(path.as_os_str().as_encoded_bytes())
    } else {
        parts.join("/")
    }
}

/// `path` past `root` and its separator, when that is plain UTF-8 names.
#[cfg(unix)]
fn rel_by_bytes<'a>(root: &Path, path: &'a Path) -> Option<&'a str> {
    let root = root.as_os_str().as_encoded_bytes();
    let rest = path.as_os_str().as_encoded_bytes().strip_prefix(root)?;
    let rest = if root.ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix(b"/")?
    };
    let text = std::str::from_utf8(rest).ok()?;
    let plain = text
        .split('/')
        .all(|name| !name.is_empty() && name != "." && name != "..");
    plain.then_some(text)
}

/// A file name with its bytes that are not UTF-8 written `\xNN`.
fn escape_name(bytes: &[u8]) -> String {
    let mut name = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        name.push_str(chunk.valid());
        for byte in chunk.invalid() {
            name.push_str(&format!("\\x{byte:02X}"));
        }
    }
    name
}

fn io_reason(err: io::Error) -> SkipReason {
    match err.kind() {
        io::ErrorKind::NotFound => SkipReason::Vanished,
        _ => SkipReason::Unreadable(err),
    }
}

/// What the walk needs of a file's metadata.
struct Metadata {
    is_file: bool,
    size: u64,
    /// As [`mtime_nanos`] gives it.
    mtime: u64,
}

impl Metadata {
    fn of(metadata: &fs::Metadata) -> Metadata {
        Metadata {
            is_file: metadata.is_file(),
            size: metadata.len(),
            mtime: mtime_nanos(metadata),
        }
    }
}

/// The metadata of `path`, not following a link; through its open folder
/// where there is one, which spares the kernel walking the whole path
/// again for each of a folder's files.
fn metadata(path: &Path, folder: Option<&fs::File>) -> io::Result<Metadata> {
    #[cfg(target_os = "linux")]
    if let Some(folder) = folder {
        return metadata_at(folder, file_name(path));
    }
    let _ = folder;
    fs::symlink_metadata(path).map(|metadata| Metadata::of(&metadata))
}

/// `fstatat` of `name` in `folder`, not following a link.
#[cfg(target_os = "linux")]
fn metadata_at(folder: &fs::File, name: &[u8]) -> io::Result<Metadata> {
    use std::os::fd::AsRawFd;
    let name = std::ffi::CString::new(name)
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidFilename))?;
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: the folder is open for the whole call, `name` is a
    // NUL-terminated string that outlives it, and `stat` has room for the
    // answer, which the call fills whole when it returns 0.
    let stat = unsafe {
        let found = libc::fstatat(
            folder.as_raw_fd(),
            name.as_ptr(),
            stat.as_mut_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        );
        if found != 0 {
            return Err(io::Error::last_os_error());
        }
        stat.assume_init()
    };
    // As `mtime_nanos` reads it: 0 before the epoch, saturating after.
    let mtime = match (
        u64::try_from(stat.st_mtime),
        u64::try_from(stat.st_mtime_nsec),
    ) {
        (Ok(secs), Ok(nanos)) => secs
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(nanos))
            .unwrap_or(u64::MAX),
        _ => 0,
    };
    Ok(Metadata {
        is_file: stat.st_mode & libc::S_IFMT == libc::S_IFREG,
        size: u64::try_from(stat.st_size).unwrap_or(0),
        mtime,
    })
}

fn mtime_nanos(metadata: &fs::Metadata) -> u64 {
    metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Reads one file named on the command line, as the walk would: the same
/// checks, with its name as given for the path.
pub fn read_file(path: &Path, options: &CrawlOptions) -> std::result::Result<RawFile, Skip> {
    let rel_path = path.to_string_lossy().into_owned();
    let skip = |reason| Skip {
        path: rel_path.clone(),
        reason,
    };
    let metadata = fs::metadata(path).map_err(|err| skip(SkipReason::Unreadable(err)))?;
    if !metadata.is_file() {
        return Err(skip(SkipReason::NotAFile));
    }
    let entry = Entry {
        rel_path: rel_path.clone(),
        path: path.to_path_buf(),
        size: metadata.len(),
        mtime: mtime_nanos(&metadata),
    };
    read(&entry, options)
}

/// The entry of an indexed file, found again by its path relative to the
/// corpus root (as [`rel_path`] wrote it), with its current size and time.
pub fn entry_at(root: &Path, rel_path: &str) -> std::result::Result<Entry, Skip> {
    let skip = |reason| Skip {
        path: rel_path.to_string(),
        reason,
    };
    let mut path = root.join(rel_path);
    if !path.exists()
        && let Some(unescaped) = unescape_name(rel_path)
    {
        path = root.join(unescaped);
    }
    let metadata = fs::metadata(&path).map_err(|err| skip(io_reason(err)))?;
    if !metadata.is_file() {
        return Err(skip(SkipReason::NotAFile));
    }
    Ok(Entry {
        rel_path: rel_path.to_string(),
        path,
        size: metadata.len(),
        mtime: mtime_nanos(&metadata),
    })
}

/// Undoes [`escape_name`]: the name's bytes, if it holds any `\xNN`.
#[cfg(unix)]
fn unescape_name(name: &str) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    if !name.contains("\\x") {
        return None;
    }
    let (bytes, mut out) = (name.as_bytes(), Vec::with_capacity(name.len()));
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) if bytes[i..].starts_with(b"\\x") => {
                out.push(byte);
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

#[cfg(not(unix))]
fn unescape_name(_: &str) -> Option<PathBuf> {
    None
}

/// Reads one walked file and checks that it is text.
pub fn read(entry: &Entry, options: &CrawlOptions) -> std::result::Result<RawFile, Skip> {
    let skip = |reason| Skip {
        path: entry.rel_path.clone(),
        reason,
    };
    let bytes = read_limited(&entry.path, entry.size, options.max_size)
        .map_err(|err| skip(io_reason(err)))?;
    let size = bytes.len() as u64;
    if size > options.max_size {
        let limit = options.max_size;
        return Err(skip(SkipReason::TooLarge { size, limit }));
    }
    if bytes.is_empty() {
        return Err(skip(SkipReason::Empty));
    }
    if is_binary(&bytes) {
        return Err(skip(SkipReason::Binary));
    }
    Ok(RawFile {
        rel_path: entry.rel_path.clone(),
        bytes,
        mtime: entry.mtime,
        size,
    })
}

/// Reads at most `limit + 1` bytes, so a file that grew past the limit after
/// the walk is caught without reading all of it. `size`, from the walk's
/// stat, sizes the buffer: no second stat (`File`'s own `read_to_end`
/// makes one); a file that changed size since is still read whole.
fn read_limited(path: &Path, size: u64, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let file = fs::File::open(path)?;
    let hint = size.min(limit).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Tells binary from text by the first bytes, as `file` and ripgrep do,
/// but tolerating the odd stray control byte in real text.
///
/// UTF-16 text is full of NULs, so a UTF-16 byte-order mark, or NULs that
/// all fall on one side of each byte pair, mean text. Otherwise the sample
/// is binary when more than 1 % of it is control bytes other than white
/// space (random or compressed data has about 11 %).
pub fn is_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(SNIFF_LEN)];
    if sample.starts_with(b"\xFF\xFE") || sample.starts_with(b"\xFE\xFF") {
        return false;
    }
    // Control bytes are counted without branches, in blocks whose count
    // fits a byte, so that the loop is vectorized: it reads every byte of
    // every file. Text holds no NUL, so the NUL census is rarely needed.
    let controls: usize = sample
        .chunks(u8::MAX as usize)
        .map(|block| {
            let count = block
                .iter()
                .fold(0u8, |n, &b| n + u8::from(is_control_byte(b)));
            usize::from(count)
        })
        .sum();
    let (mut even, mut odd) = (0, 0);
    if sample.contains(&0) {
        for (i, _) in sample.iter().enumerate().filter(|&(_, &b)| b == 0) {
            if i % 2 == 0 {
                even += 1;
            } else {
                odd += 1;
            }
        }
    }
    let pairs = sample.len() / 2;
    if (even == 0) != (odd == 0) && (even + odd) * 2 >= pairs.max(1) {
        return false;
    }
    controls * 100 > sample.len()
}

/// A control byte that text does not hold: 0x00-0x08, 0x0E-0x1A, 0x1C-0x1F
/// and DEL (tab, line breaks, form feed and escape are text).
fn is_control_byte(b: u8) -> bool {
    b <= 0x08
        || b.wrapping_sub(0x0E) <= 0x1A - 0x0E
        || b.wrapping_sub(0x1C) <= 0x1F - 0x1C
        || b == 0x7F
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_lists_in_name_order() {
        // The walk sorts siblings by whole path: the same as by name.
        let dir = tempfile::tempdir().unwrap();
        let names = ["b", "a.b", "a-b", "a", "a b", "ab", "A", "a~", "0"];
        for name in names {
            fs::write(dir.path().join(name), "Title\nBody.").unwrap();
        }
        fs::create_dir(dir.path().join("a.c")).unwrap();
        fs::write(dir.path().join("a.c").join("z"), "Title\nBody.").unwrap();
        let walk = walk(dir.path(), &CrawlOptions::default()).unwrap();
        let found: Vec<String> = walk.filter_map(|f| f.ok()).map(|c| c.rel_path).collect();
        let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        expected.push("a.c/z".to_string());
        // Name order, a folder's files where its name falls.
        expected.sort_by(|a, b| a.split('/').next().cmp(&b.split('/').next()));
        assert_eq!(found, expected);
    }

    #[cfg(unix)]
    #[test]
    fn escaped_names_are_found_again() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"caf\xE9.txt");
        fs::write(dir.path().join(name), "Title\nBody.").unwrap();
        let rel = rel_path(dir.path(), &dir.path().join(name));
        assert_eq!(rel, "caf\\xE9.txt");
        let entry = entry_at(dir.path(), &rel).expect("found by its escaped name");
        assert_eq!(entry.size, 11);
        assert!(matches!(
            entry_at(dir.path(), "gone.txt"),
            Err(Skip {
                reason: SkipReason::Vanished,
                ..
            })
        ));
        assert_eq!(unescape_name("plain.txt"), None);
        assert_eq!(
            unescape_name("a\\x4"),
            Some(PathBuf::from("a\\x4")),
            "a cut escape stays as written"
        );
    }

    #[test]
    fn text_is_not_binary() {
        assert!(!is_binary(
            b"PARIS, Feb. 15 (Xinhua) -- text\n\tindented\x0c"
        ));
        assert!(!is_binary("国际英语资讯".as_bytes()));
        assert!(!is_binary(b"\xFF\xFEH\x00i\x00"));
        assert!(!is_binary(
            b"H\x00e\x00l\x00l\x00o\x00 \x00w\x00o\x00r\x00l\x00d\x00"
        ));
        let mut long = b"a long text ".repeat(100);
        long[500] = 0;
        assert!(!is_binary(&long), "one stray NUL in a long text");
    }

    #[test]
    fn metadata_through_the_folder_is_the_paths() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join("a.txt");
        fs::write(&file, "A title\nA body.").expect("write");
        fs::create_dir(dir.path().join("sub")).expect("mkdir");
        let folder = fs::File::open(dir.path()).expect("open the folder");
        for name in ["a.txt", "sub"] {
            let path = dir.path().join(name);
            let direct = metadata(&path, None).expect("by path");
            let through = metadata(&path, Some(&folder)).expect("through the folder");
            assert_eq!(
                (direct.is_file, direct.size, direct.mtime),
                (through.is_file, through.size, through.mtime),
                "{name}"
            );
        }
        let through = metadata(&file, Some(&folder)).expect("a file");
        assert!(through.is_file && through.size == 15 && through.mtime > 0);
        let gone = metadata(&dir.path().join("gone.txt"), Some(&folder));
        assert_eq!(gone.err().map(|e| e.kind()), Some(io::ErrorKind::NotFound));
    }

    #[test]
    fn control_bytes_are_the_listed_ranges() {
        for b in 0..=u8::MAX {
            let listed = matches!(b, 0x00..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F | 0x7F);
            assert_eq!(is_control_byte(b), listed, "byte {b:#04x}");
        }
    }

    #[test]
    fn binary_is_binary() {
        assert!(is_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"));
        assert!(is_binary(b"\x00\x01\x02\x03\x04\x05"));
        let noise: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(is_binary(&noise));
    }

    #[test]
    #[cfg(unix)]
    fn names_that_are_not_utf8_are_escaped_apart() {
        use std::os::unix::ffi::OsStrExt;
        let name = |bytes: &[u8]| {
            let path = Path::new("/c/d").join(std::ffi::OsStr::from_bytes(bytes));
            rel_path(Path::new("/c"), &path)
        };
        assert_eq!(name(b"caf\xe9.txt"), "d/caf\\xE9.txt");
        assert_ne!(name(b"\xff.txt"), name(b"\xfe.txt"));
    }

    #[test]
    fn a_file_gone_after_the_walk_is_skipped_as_vanished() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("a.txt"), "A title\nA body.").expect("write");
        let mut walk = walk(dir.path(), &CrawlOptions::default()).expect("walk");
        let candidate = walk.next().expect("one entry").expect("a file");
        let entry = walk.stat().classify(candidate).expect("a file");
        std::fs::remove_file(&entry.path).expect("remove");
        let skip = read(&entry, &CrawlOptions::default()).expect_err("gone");
        assert_eq!(skip.reason.kind(), "vanished");
        assert_eq!(
            skip.to_string(),
            "a.txt: file vanished before it could be read"
        );
    }

    #[test]
    fn rel_paths_use_slashes() {
        assert_eq!(
            rel_path(Path::new("/c"), Path::new("/c/a/b.txt")),
            "a/b.txt"
        );
        assert_eq!(rel_path(Path::new("c/"), Path::new("c/a/b.txt")), "a/b.txt");
        assert_eq!(rel_path(Path::new("c"), Path::new("c/./a.txt")), "a.txt");
        assert_eq!(rel_path(Path::new("c"), Path::new("cd/a.txt")), "cd/a.txt");
    }
}
