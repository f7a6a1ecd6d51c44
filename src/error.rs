//! The library's one error type.
//!
//! Every fallible library call returns [`Result`]. Variants carry the path or
//! the input they concern, so that `main` can report an error in one line
//! without adding context of its own. Per-file problems met while crawling are
//! not errors: they are [`crate::crawl::Skip`]s, reported and counted while the
//! run goes on.

use std::io;
use std::path::PathBuf;

/// What can go wrong in sift's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder that sift had to use could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying cause.
        source: io::Error,
    },
    /// The corpus root is missing or is not a folder.
    #[error("{}: corpus folder not found or not a folder", path.display())]
    NoCorpus {
        /// The root that was asked for.
        path: PathBuf,
    },
    /// No index exists where one was expected.
    #[error("{}: no index here; run `sift index` first", path.display())]
    NoIndex {
        /// The index folder that was asked for.
        path: PathBuf,
    },
    /// The index was written by a sift whose schema differs from this one.
    #[error(
        "{}: index was written with schema version {found}, this sift uses {expected}; run `sift index --rebuild`",
        path.display()
    )]
    SchemaVersion {
        /// The index folder.
        path: PathBuf,
        /// The version found in the index.
        found: String,
        /// The version this build writes.
        expected: u32,
    },
    /// Another process holds the index's writer lock.
    #[error(
        "{}: index is locked by another sift process{}",
        path.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// The index folder.
        path: PathBuf,
        /// The process that holds it, when it recorded itself.
        pid: Option<u32>,
    },
    /// The query could not be parsed.
    #[error("invalid query {query:?}: {reason}")]
    Query {
        /// The query as the user typed it.
        query: String,
        /// What the parser objected to.
        reason: String,
    },
    /// A date given on the command line could not be read.
    #[error("invalid date {0:?}: expected YYYY-MM-DD")]
    Date(String),
    /// A line of an input file is not in the expected format.
    #[error("{}:{line}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A file named on the command line could not be used.
    #[error("{0}")]
    Skipped(crate::crawl::Skip),
    /// No document is stored under this path.
    #[error("{0}: no such document in the index")]
    NotFound(String),
    /// A file of the index is damaged: truncated, or not what tantivy wrote.
    #[error(
        "{}: index is damaged ({damage}); run `sift index --rebuild`",
        path.display()
    )]
    Corrupt {
        /// The index folder.
        path: PathBuf,
        /// Which file, and what is wrong with it, in a few words.
        damage: String,
    },
    /// The disk holding the index is full. What was being written is
    /// dropped; the last commit is untouched.
    #[error(
        "{}: no space left on the device; this run was not committed, the index holds the last commit",
        path.display()
    )]
    DiskFull {
        /// The index folder.
        path: PathBuf,
    },
    /// tantivy failed on an index operation.
    #[error("{}: {source}", path.display())]
    Index {
        /// The index folder.
        path: PathBuf,
        /// tantivy's error.
        source: tantivy::TantivyError,
    },
}

/// The file in an index folder where the process holding tantivy's writer
/// lock records its pid, so that a second writer can say who holds it. The
/// lock itself is tantivy's, released by the kernel when its holder dies; a
/// pid file left by a killed run is simply overwritten by the next.
pub const WRITER_PID_FILE: &str = ".sift-writer.pid";

/// sift's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Wraps a tantivy error with the index folder it concerns.
    pub fn index(path: impl Into<PathBuf>, source: tantivy::TantivyError) -> Error {
        let path = path.into();
        match source {
            tantivy::TantivyError::LockFailure(..) => {
                let pid = std::fs::read_to_string(path.join(WRITER_PID_FILE))
                    .ok()
                    .and_then(|text| text.trim().parse().ok());
                Error::Locked { path, pid }
            }
            source if is_disk_full(&source) => Error::DiskFull { path },
            source => match damage(&source) {
                Some(damage) => Error::Corrupt { path, damage },
                None => Error::Index { path, source },
            },
        }
    }
}

/// The I/O error underneath a tantivy error, for the variants that carry one.
pub(crate) fn io_cause(err: &tantivy::TantivyError) -> Option<&io::Error> {
    use tantivy::TantivyError;
    use tantivy::directory::error::{OpenReadError, OpenWriteError};
    match err {
        TantivyError::IoError(io_error)
        | TantivyError::OpenReadError(OpenReadError::IoError { io_error, .. })
        | TantivyError::OpenWriteError(OpenWriteError::IoError { io_error, .. }) => Some(io_error),
        _ => None,
    }
}

/// Whether a tantivy error comes from a full disk. Some of tantivy's write
/// paths wrap the OS error in another (an error kind of `Other`, or a
/// message), so its text is checked too.
fn is_disk_full(err: &tantivy::TantivyError) -> bool {
    io_cause(err).is_some_and(|e| e.kind() == io::ErrorKind::StorageFull)
        || err.to_string().contains("No space left on device")
}

/// Which file is damaged and how, when a tantivy error says so.
fn damage(err: &tantivy::TantivyError) -> Option<String> {
    use tantivy::TantivyError;
    use tantivy::directory::error::OpenReadError;
    let is_damage = |err: &io::Error| {
        matches!(
            err.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
        ) || err.to_string().to_lowercase().contains("corrupt")
    };
    match err {
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath })
            if is_damage(io_error) =>
        {
            Some(format!(
                "{}: {}",
                filepath.display(),
                first_sentence(&io_error.to_string())
            ))
        }
        TantivyError::OpenReadError(OpenReadError::IncompatibleIndex(incompatibility)) => {
            Some(first_sentence(&format!("{incompatibility:?}")))
        }
        // Its fields are private; its Debug form names the file.
        TantivyError::DataCorruption(corruption) => {
            Some(first_sentence(&format!("{corruption:?}")))
        }
        TantivyError::IoError(io_error) if is_damage(io_error) => {
            Some(first_sentence(&io_error.to_string()))
        }
        _ => None,
    }
}

/// The first sentence of a message, without its full stop.
fn first_sentence(message: &str) -> String {
    let end = message.find(". ").unwrap_or(message.len());
    message[..end].trim_end_matches('.').to_string()
}
