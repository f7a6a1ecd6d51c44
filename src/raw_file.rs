//! [`RawFile`]: a file's bytes as crawl read them, before any decoding.
//!
//! It lives apart from both `crawl`, which makes it, and `normalize`, which
//! consumes it, so that neither stage depends on the other.

/// One file read from the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFile {
    /// Path relative to the corpus root, with `/` separators.
    pub rel_path: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
    /// Modification time, in nanoseconds since the Unix epoch (0 if unknown).
    pub mtime: u64,
    /// Size in bytes, as reported by the file system.
    pub size: u64,
}
