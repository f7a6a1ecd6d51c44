//! Index statistics: what the index holds and what its last run did.
//!
//! Counts come from fast fields (no stored document is read); the last
//! run's summary, skips by reason included, comes from the commit payload
//! that `index` records.

use std::fs;
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use tantivy::{Searcher, TantivyDocument};

use crate::boilerplate;
use crate::error::{Error, Result};
use crate::index::{self, Summary};
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::stories::Groups;

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
    /// Of the duplicate files, those near-identical (not the same text
    /// after normalization) to another file of their story.
    pub near_identical_files: u64,
    /// Distinct boilerplate paragraphs in the corpus.
    pub boilerplate_paragraphs: usize,
    /// The most frequent boilerplate paragraphs, most frequent first.
    pub top_boilerplate: Vec<Boilerplate>,
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

/// A boilerplate paragraph and the number of stories it stands in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Boilerplate {
    /// Stories (copies counted once) that hold it.
    pub stories: u32,
    /// The paragraph as one of them has it.
    pub text: String,
}

/// How many boilerplate paragraphs `stats` lists.
pub const TOP_BOILERPLATE: usize = 10;

/// Computes the statistics of the index in `index_dir`.
pub fn stats(index_dir: &Path) -> Result<Stats> {
    let (index, fields, searcher) = schema::open_searcher(index_dir)?;
    let index_err = |err| Error::index(index_dir, err);
    let (mut paragraphs_kept, mut paragraphs_removed) = (0, 0);
    let mut group_sizes: FxHashMap<u64, u64> = FxHashMap::default();
    let mut group_texts: FxHashMap<u64, FxHashSet<u64>> = FxHashMap::default();
    for segment in searcher.segment_readers() {
        let fast = segment.fast_fields();
        let kept = fast.u64("paragraphs").map_err(index_err)?;
        let removed = fast.u64("removed").map_err(index_err)?;
        let groups = fast.u64("dup_group").map_err(index_err)?;
        let fingerprints = fast.u64("fingerprint").map_err(index_err)?;
        for doc in segment.doc_ids_alive() {
            paragraphs_kept += kept.first(doc).unwrap_or(0);
            paragraphs_removed += removed.first(doc).unwrap_or(0);
            let (Some(group), Some(fingerprint)) = (groups.first(doc), fingerprints.first(doc))
            else {
                continue;
            };
            *group_sizes.entry(group).or_default() += 1;
            if group != fingerprint {
                group_texts.entry(group).or_default().insert(fingerprint);
            }
        }
    }
    let repeated = group_sizes.values().filter(|&&n| n > 1);
    let duplicate_groups = repeated.clone().count() as u64;
    let duplicate_files = repeated.map(|n| n - 1).sum();
    // A group's own fingerprint is one text; each other one is a near copy.
    let near_identical_files = group_texts.values().map(|texts| texts.len() as u64).sum();
    let payload = index::last_commit(&index).map_err(index_err)?;
    let mut top_boilerplate = boilerplate_counts(&searcher, &fields).map_err(index_err)?;
    let boilerplate_paragraphs = top_boilerplate.len();
    top_boilerplate.truncate(TOP_BOILERPLATE);
    Ok(Stats {
        documents: searcher.num_docs(),
        paragraphs_kept,
        paragraphs_removed,
        duplicate_files,
        duplicate_groups,
        near_identical_files,
        boilerplate_paragraphs,
        top_boilerplate,
        segments: searcher.segment_readers().len(),
        index_bytes: folder_size(index_dir).map_err(|err| Error::io(index_dir, err))?,
        schema_version: SCHEMA_VERSION,
        corpus: payload.as_ref().map(|p| p.corpus.clone()),
        last_run: payload.map(|p| p.last_run),
    })
}

/// Every boilerplate paragraph the index's documents were written with and
/// the stories it stands in, most frequent first; only the listed ones'
/// texts are read.
fn boilerplate_counts(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Vec<Boilerplate>> {
    let groups = Groups::recorded(searcher)?;
    let known = boilerplate::known(searcher, fields)?;
    let mut counts: Vec<(u32, u64)> = boilerplate::stories_of(searcher, &groups, &known)?
        .into_iter()
        .map(|(key, stories)| (stories, key))
        .collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let mut listed = Vec::with_capacity(counts.len());
    for (i, (stories, key)) in counts.into_iter().enumerate() {
        let text = if i < TOP_BOILERPLATE {
            boilerplate::text(searcher, fields, key)?.unwrap_or_default()
        } else {
            String::new()
        };
        listed.push(Boilerplate { stories, text });
    }
    Ok(listed)
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
/// notice (a flipped bit inside a posting list) is found here. Then reads
/// back every stored document, which needs the store's dictionary.
pub fn verify(index_dir: &Path) -> Result<()> {
    let (index, _, searcher) = schema::open_searcher(index_dir)?;
    let damaged = index
        .validate_checksum()
        .map_err(|err| Error::index(index_dir, err))?;
    if damaged.is_empty() {
        return read_every_document(index_dir, &searcher);
    }
    let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
    names.sort();
    Err(Error::Corrupt {
        path: index_dir.to_path_buf(),
        damage: format!("checksum mismatch in {}", names.join(", ")),
    })
}

/// Decompresses every block of every segment's store and decodes its
/// documents.
fn read_every_document(index_dir: &Path, searcher: &Searcher) -> Result<()> {
    for segment in searcher.segment_readers() {
        let unreadable = |err: &dyn std::fmt::Display| Error::Corrupt {
            path: index_dir.to_path_buf(),
            damage: format!(
                "stored documents of segment {}: {err}",
                segment.segment_id()
            ),
        };
        let store = segment
            .get_store_reader(1)
            .map_err(|err| unreadable(&err))?;
        // Document by document rather than `iter`, whose errors drop their cause.
        for doc in 0..segment.max_doc() {
            store
                .get::<TantivyDocument>(doc)
                .map_err(|err| unreadable(&err))?;
        }
    }
    Ok(())
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
