//! Corpus boilerplate: paragraphs that stand in many stories (agency
//! sign-offs, "Editor: …", copyright and subscription lines). They are kept
//! out of the searchable body, stored beside it, and shown marked.
//!
//! A paragraph is boilerplate when its key ([`dedup::key`]: letters and
//! digits, case and punctuation folded) stands in at least `threshold`
//! stories; the copies of one story (see [`crate::stories`]) count once.
//! The first paragraph of a file, which holds its dateline, never is, and
//! is not counted.
//!
//! Two counts work together. While a run reads files, [`RunCounts`] counts
//! their keys in bounded memory, so that boilerplate shared by thousands of
//! files is recognised after its first few: its counts are lower bounds, so
//! they never call a paragraph boilerplate too early, only sometimes too
//! late. Once the run has committed, [`corpus`] counts exactly over the
//! index, and [`stale`] names the documents written under another verdict,
//! for the indexer to write again: the few that came before a paragraph
//! crossed the threshold, and any whose paragraph no longer reaches it.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rustc_hash::{FxHashMap, FxHashSet};
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::index;
use crate::normalize::{Dispatch, dedup, story};
use crate::postings;
use crate::schema::{self, Fields};
use crate::stories::{Columns, Groups};

/// The default number of stories a paragraph must stand in to be boilerplate.
pub const DEFAULT_THRESHOLD: u32 = 5;

/// Keys a run counts at most before it forgets the rarest.
const RUN_CAPACITY: usize = 1 << 18;

/// A run's counts of the paragraph keys of the files it reads.
pub struct RunCounts {
    threshold: u32,
    /// Boilerplate the index already knew when the run began.
    known: FxHashSet<u64>,
    counts: Mutex<FxHashMap<u64, u32>>,
}

impl RunCounts {
    /// Counts from nothing, on top of the boilerplate `known` already.
    pub fn new(threshold: u32, known: FxHashSet<u64>) -> RunCounts {
        RunCounts {
            threshold,
            known,
            counts: Mutex::new(FxHashMap::default()),
        }
    }

    /// Counts a dispatch's paragraphs and marks those that are boilerplate
    /// by what is known so far.
    pub fn mark(&self, dispatch: &mut Dispatch) {
        if self.threshold == 0 {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for &key in dispatch.keys.iter().skip(1).filter(|&&key| key != 0) {
            *counts.entry(key).or_default() += 1;
        }
        if counts.len() > RUN_CAPACITY {
            forget_rarest(&mut counts);
        }
        dispatch.mark_boilerplate(|key| {
            self.known.contains(&key) || counts.get(&key).is_some_and(|&n| n >= self.threshold)
        });
    }
}

/// Lossy counting: takes one from every count and drops those left at
/// zero, until half the capacity is free. Frequent keys survive with counts
/// that stay lower bounds; rare ones are forgotten.
fn forget_rarest(counts: &mut FxHashMap<u64, u32>) {
    while counts.len() > RUN_CAPACITY / 2 {
        counts.retain(|_, n| {
            *n -= 1;
            *n > 0
        });
    }
}

/// The keys the index's documents were written treating as boilerplate.
pub fn known(searcher: &Searcher, fields: &Fields) -> tantivy::Result<FxHashSet<u64>> {
    let mut known = FxHashSet::default();
    postings::for_each_term(searcher, fields.boilerplate_keys, |key, _| {
        known.insert(key);
        Ok(())
    })?;
    Ok(known)
}

/// Every paragraph key that stands in at least `threshold` stories of the
/// index, with the number of stories; nothing when `threshold` is 0.
pub fn corpus(
    searcher: &Searcher,
    fields: &Fields,
    groups: &Groups,
    threshold: u32,
) -> tantivy::Result<FxHashMap<u64, u32>> {
    let mut found = FxHashMap::default();
    if threshold == 0 {
        return Ok(found);
    }
    let columns = Columns::of(searcher)?;
    postings::for_each_term(searcher, fields.paragraph_keys, |key, doc_freq| {
        // The document count bounds the story count from above.
        if doc_freq < threshold {
            return Ok(());
        }
        let stories = stories_with(searcher, fields, &columns, groups, key)?;
        if stories >= threshold {
            found.insert(key, stories);
        }
        Ok(())
    })?;
    Ok(found)
}

/// In how many stories of the index the paragraph with this key stands.
pub fn stories_with(
    searcher: &Searcher,
    fields: &Fields,
    columns: &Columns,
    groups: &Groups,
    key: u64,
) -> tantivy::Result<u32> {
    let docs = postings::docs_with(searcher, fields.paragraph_keys, key)?;
    let stories: FxHashSet<u64> = docs
        .into_iter()
        .map(|address| groups.group(columns.fingerprint(address)))
        .collect();
    Ok(u32::try_from(stories.len()).unwrap_or(u32::MAX))
}

/// The live documents written with another verdict on some paragraph than
/// `boilerplate` gives: a boilerplate paragraph left searchable, or one
/// kept out that is no longer boilerplate.
pub fn stale(
    searcher: &Searcher,
    fields: &Fields,
    boilerplate: &FxHashMap<u64, u32>,
) -> tantivy::Result<FxHashSet<DocAddress>> {
    let mut stale = FxHashSet::default();
    for &key in boilerplate.keys() {
        let marked: FxHashSet<DocAddress> =
            postings::docs_with(searcher, fields.boilerplate_keys, key)?
                .into_iter()
                .collect();
        for address in postings::docs_with(searcher, fields.paragraph_keys, key)? {
            if !marked.contains(&address) {
                stale.insert(address);
            }
        }
    }
    for key in known(searcher, fields)? {
        if !boilerplate.contains_key(&key) {
            stale.extend(postings::docs_with(searcher, fields.boilerplate_keys, key)?);
        }
    }
    Ok(stale)
}

/// The boilerplate threshold an index was settled with, and the number of
/// its stories each of `keys` stands in.
pub struct Seen {
    /// Stories a paragraph stands in to be boilerplate.
    pub threshold: u32,
    /// For each key, its number of stories.
    pub stories: Vec<u32>,
}

/// Counts, in the index in `index_dir`, the stories each paragraph key
/// stands in; `None` when there is no index.
pub fn seen_in(index_dir: &Path, keys: &[u64]) -> Result<Option<Seen>> {
    let (index, fields, searcher) = match schema::open_searcher(index_dir) {
        Ok(opened) => opened,
        Err(Error::NoIndex { .. }) => return Ok(None),
        Err(err) => return Err(err),
    };
    let err = |err| Error::index(index_dir, err);
    let threshold = index::last_commit(&index)
        .map_err(err)?
        .and_then(|payload| payload.settled)
        .map_or(DEFAULT_THRESHOLD, |settled| settled.boilerplate);
    let groups = Groups::recorded(&searcher).map_err(err)?;
    let columns = Columns::of(&searcher).map_err(err)?;
    let stories = keys
        .iter()
        .map(|&key| stories_with(&searcher, &fields, &columns, &groups, key))
        .collect::<tantivy::Result<Vec<u32>>>()
        .map_err(err)?;
    Ok(Some(Seen { threshold, stories }))
}

/// The text of a boilerplate paragraph, read from a document that stores it.
pub fn text(searcher: &Searcher, fields: &Fields, key: u64) -> tantivy::Result<Option<String>> {
    for address in postings::docs_with(searcher, fields.boilerplate_keys, key)? {
        let doc: TantivyDocument = searcher.doc(address)?;
        let found = doc
            .get_all(fields.boilerplate)
            .filter_map(|value| value.as_str())
            .find(|text| story::key_hash(&dedup::key(text)) == key);
        if let Some(text) = found {
            return Ok(Some(text.to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RawFile;
    use crate::normalize::{NormalizeOptions, normalize};

    fn dispatch(text: &str) -> Dispatch {
        let file = RawFile {
            rel_path: "a.txt".into(),
            bytes: text.into(),
            mtime: 0,
            size: 0,
        };
        normalize(&file, &NormalizeOptions::default())
    }

    fn signed(i: usize) -> String {
        format!("Title {i}\nLead number {i}.\nBody number {i}.\nEditor: Zhang Wei")
    }

    #[test]
    fn a_paragraph_is_boilerplate_from_its_threshold_on() {
        let counts = RunCounts::new(3, FxHashSet::default());
        let marks: Vec<Vec<bool>> = (0..4)
            .map(|i| {
                let mut d = dispatch(&signed(i));
                counts.mark(&mut d);
                assert_eq!(d.body().contains("Zhang"), !d.boilerplate[2]);
                d.boilerplate
            })
            .collect();
        assert_eq!(marks[0], [false, false, false]);
        assert_eq!(marks[1], [false, false, false]);
        assert_eq!(marks[2], [false, false, true]);
        assert_eq!(marks[3], [false, false, true]);
    }

    #[test]
    fn known_boilerplate_is_marked_at_once_but_never_first() {
        let sign_off = dispatch(&signed(0)).keys[2];
        let counts = RunCounts::new(3, [sign_off].into_iter().collect());
        let mut d = dispatch(&signed(1));
        counts.mark(&mut d);
        assert_eq!(d.boilerplate, [false, false, true]);
        let mut d = dispatch("Title\n\nEditor: Zhang Wei\n\nBody.");
        counts.mark(&mut d);
        assert_eq!(d.boilerplate, [false, false]);
    }

    #[test]
    fn threshold_zero_marks_nothing() {
        let sign_off = dispatch(&signed(0)).keys[2];
        let counts = RunCounts::new(0, [sign_off].into_iter().collect());
        for i in 0..5 {
            let mut d = dispatch(&signed(i));
            counts.mark(&mut d);
            assert!(d.boilerplate.iter().all(|&b| !b));
        }
    }

    #[test]
    fn forgetting_keeps_frequent_keys_as_lower_bounds() {
        let mut counts: FxHashMap<u64, u32> =
            (0..RUN_CAPACITY as u64 + 1).map(|k| (k, 1)).collect();
        counts.insert(u64::MAX, 50);
        forget_rarest(&mut counts);
        assert_eq!(counts.get(&u64::MAX), Some(&49));
        assert!(counts.len() <= RUN_CAPACITY / 2);
    }
}
