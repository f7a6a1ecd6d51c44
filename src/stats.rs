//! Index statistics: what the index holds and what its last run did.
//!
//! Counts come from fast fields (no stored document is read); the last
//! run's summary, skips by reason included, comes from the commit payload
//! that `index` records.

use std::fs;
use std::path::Path;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::index::{self, Summary};
use crate::schema::{self, SCHEMA_VERSION};

/// What `sift stats` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Documents in the index.
    pub documents: u64,
    /// Paragraphs kept, over all documents.
    pub paragraphs_kept: u64,
    /// Paragraphs removed as duplicates, over all documents.
    pub paragraphs_removed: u64,
    /// Files that repeat another file's story (identical after
    /// normalization): what search folds into "+N copies".
    pub duplicate_files: u64,
    /// Stories filed more than once.
    pub duplicate_groups: u64,
    /// Segments in the last commit.
    pub segments: usize,
    /// Bytes the index folder takes on disk.
    pub index_bytes: u64,
    /// The schema version of the index.
    pub schema_version: u32,
    /// The corpus folder the last run indexed.
    pub corpus: Option<String>,
    /// What the last run did.
    pub last_run: Option<Summary>,
}

/// Computes the statistics of the index in `index_dir`.
pub fn stats(index_dir: &Path) -> Result<Stats> {
    let (index, _, searcher) = schema::open_searcher(index_dir)?;
    let index_err = |err| Error::index(index_dir, err);
    let (mut paragraphs_kept, mut paragraphs_removed) = (0, 0);
    let mut group_sizes: FxHashMap<u64, u64> = FxHashMap::default();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let kept = fast.u64("paragraphs").map_err(index_err)?;
        let removed = fast.u64("removed").map_err(index_err)?;
        let groups = fast.u64("dup_group").map_err(index_err)?;
        for doc in segment.doc_ids_alive() {
            paragraphs_kept += kept.first(doc).unwrap_or(0);
            paragraphs_removed += removed.first(doc).unwrap_or(0);
            if let Some(group) = groups.first(doc) {
                *group_sizes.entry(group).or_default() += 1;
            }
        }
    }
    let repeated = group_sizes.values().filter(|&&n| n > 1);
    let duplicate_groups = repeated.clone().count() as u64;
    let duplicate_files = repeated.map(|n| n - 1).sum();
    let payload = index::last_commit(&index).map_err(index_err)?;
    Ok(Stats {
        documents: searcher.num_docs(),
        paragraphs_kept,
        paragraphs_removed,
        duplicate_files,
        duplicate_groups,
        segments: searcher.segment_readers().len(),
        index_bytes: folder_size(index_dir).map_err(|err| Error::io(index_dir, err))?,
        schema_version: SCHEMA_VERSION,
        corpus: payload.as_ref().map(|p| p.corpus.clone()),
        last_run: payload.map(|p| p.last_run),
    })
}

/// Every story filed more than once: the paths of its files, sorted; the
/// groups sorted by their first path.
pub fn duplicate_groups(index_dir: &Path) -> Result<Vec<Vec<String>>> {
    let (_, _, searcher) = schema::open_searcher(index_dir)?;
    let index_err = |err| Error::index(index_dir, err);
    let mut groups: FxHashMap<u64, Vec<String>> = FxHashMap::default();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let dup_group = fast.u64("dup_group").map_err(index_err)?;
        let Some(paths) = fast.str("path").map_err(index_err)? else {
            continue;
        };
        for doc in segment.doc_ids_alive() {
            let (Some(group), Some(ord)) = (dup_group.first(doc), paths.term_ords(doc).next())
            else {
                continue;
            };
            let mut path = String::new();
            paths
                .ord_to_str(ord, &mut path)
                .map_err(|err| Error::io(index_dir, err))?;
            groups.entry(group).or_default().push(path);
        }
    }
    let mut repeated: Vec<Vec<String>> = groups
        .into_values()
        .filter(|paths| paths.len() > 1)
        .map(|mut paths| {
            paths.sort();
            paths
        })
        .collect();
    repeated.sort();
    Ok(repeated)
}

/// Reads every file of the last commit and checks it against the checksum
/// tantivy wrote in its footer: damage that opening and searching may not
/// notice (a flipped bit inside a posting list) is found here.
pub fn verify(index_dir: &Path) -> Result<()> {
    let (index, _) = schema::open(index_dir)?;
    let damaged = index
        .validate_checksum()
        .map_err(|err| Error::index(index_dir, err))?;
    if damaged.is_empty() {
        return Ok(());
    }
    let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
    names.sort();
    Err(Error::Corrupt {
        path: index_dir.to_path_buf(),
        damage: format!("checksum mismatch in {}", names.join(", ")),
    })
}

/// The bytes of the files in `dir`. A writer in another process may delete
/// files while they are counted; those count as gone.
fn folder_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        match entry.and_then(|entry| entry.metadata()) {
            Ok(metadata) if metadata.is_file() => total += metadata.len(),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
    }
    Ok(total)
}
