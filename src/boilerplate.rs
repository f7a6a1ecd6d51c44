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
//! index's paragraph-key column in bounded memory, and [`stale`] names the
//! documents written under another verdict, for the indexer to write again:
//! the few that came before a paragraph crossed the threshold, and any whose
//! paragraph no longer reaches it.

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
use crate::stories::{Columns, Groups, alive};

/// The default number of stories a paragraph must stand in to be boilerplate.
pub const DEFAULT_THRESHOLD: u32 = 5;

/// Keys a run counts at most before it forgets the rarest, per shard:
/// with the one counted before forgetting, a shard holds 14,336 keys, all
/// that fit a 16,384-bucket table (hashbrown fills 7/8 before it doubles).
/// One key more (`1 << 14` before) doubled every shard's table: 8.9 MB of
/// counts instead of 4.5 MB (heaptrack, a run at `--memory 64`).
const RUN_CAPACITY: usize = 14_335;

/// Shards of a run's counts, by key: workers seldom wait on each other.
const SHARDS: usize = 16;

/// A run's counts of the paragraph keys of the files it reads.
pub struct RunCounts {
    threshold: u32,
    /// Boilerplate the index already knew when the run began.
    known: FxHashSet<u64>,
    shards: Vec<Mutex<FxHashMap<u64, u32>>>,
}

impl RunCounts {
    /// Counts from nothing, on top of the boilerplate `known` already.
    pub fn new(threshold: u32, known: FxHashSet<u64>) -> RunCounts {
        RunCounts {
            threshold,
            known,
            shards: (0..SHARDS).map(|_| Mutex::new(new_shard())).collect(),
        }
    }

    /// Counts a dispatch's paragraphs and marks those that are boilerplate
    /// by what is known so far.
    pub fn mark(&self, dispatch: &mut Dispatch) {
        if self.threshold == 0 {
            return;
        }
        let mut counted = Vec::with_capacity(dispatch.keys.len());
        for (_, key) in dispatch.countable_keys() {
            let shard = &self.shards[(key % SHARDS as u64) as usize];
            let mut counts = shard.lock().unwrap_or_else(PoisonError::into_inner);
            counted.push((key, count(&mut counts, key)));
        }
        dispatch.mark_boilerplate(|key| {
            self.known.contains(&key)
                || counted
                    .iter()
                    .any(|&(k, count)| k == key && count >= self.threshold)
        });
    }
}

/// A shard's table, at the size it keeps.
fn new_shard() -> FxHashMap<u64, u32> {
    FxHashMap::with_capacity_and_hasher(RUN_CAPACITY + 1, Default::default())
}

/// Counts one more of `key` in a shard and returns its count, forgetting
/// the rarest keys once the shard is over capacity.
fn count(counts: &mut FxHashMap<u64, u32>, key: u64) -> u32 {
    let count = counts.entry(key).or_default();
    *count += 1;
    let count = *count;
    if counts.len() > RUN_CAPACITY {
        forget_rarest(counts);
    }
    count
}

/// Lossy counting: takes one from every count and drops those left at
/// zero, until half the capacity is free. Frequent keys survive with counts
/// that stay lower bounds; rare ones are forgotten.
///
/// The survivors move to a fresh table: the ones forgotten leave tombstones
/// that count as filled, and the next keys would have doubled the table.
fn forget_rarest(counts: &mut FxHashMap<u64, u32>) {
    while counts.len() > RUN_CAPACITY / 2 {
        counts.retain(|_, n| {
            *n -= 1;
            *n > 0
        });
    }
    let survivors = std::mem::replace(counts, new_shard());
    counts.extend(survivors);
}

/// The keys the index's documents were written treating as boilerplate.
pub fn known(searcher: &Searcher, fields: &Fields) -> tantivy::Result<FxHashSet<u64>> {
    postings::values(searcher, fields.boilerplate_keys)
}

/// (key, story) pairs sorted at most in one pass of [`corpus`]: 32 MB.
const PAIRS_PER_PASS: usize = 1 << 21;

/// Every paragraph key that stands in at least `threshold` stories of the
/// index, with the number of stories; nothing when `threshold` is 0.
///
/// The keys are read from a column as (key, story) pairs, sorted and
/// counted; a large corpus takes several passes over the column, each
/// taking the keys of one residue class, so memory stays bounded.
pub fn corpus(
    searcher: &Searcher,
    groups: &Groups,
    threshold: u32,
) -> tantivy::Result<FxHashMap<u64, u32>> {
    let mut found = FxHashMap::default();
    if threshold == 0 {
        return Ok(found);
    }
    let columns = Columns::of(searcher)?;
    let passes = (columns.key_count() / PAIRS_PER_PASS + 1) as u64;
    for pass in 0..passes {
        let mut pairs: Vec<(u64, u64)> = Vec::new();
        for address in alive(searcher) {
            let story = groups.group(columns.fingerprint(address));
            let keys = columns.keys(address).filter(|key| key % passes == pass);
            pairs.extend(keys.map(|key| (key, story)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            let stories = u32::try_from(run.len()).unwrap_or(u32::MAX);
            if stories >= threshold {
                found.insert(run[0].0, stories);
            }
        }
    }
    Ok(found)
}

/// In how many stories of the index each of `keys` stands.
pub fn stories_of(
    searcher: &Searcher,
    groups: &Groups,
    keys: &FxHashSet<u64>,
) -> tantivy::Result<FxHashMap<u64, u32>> {
    let columns = Columns::of(searcher)?;
    let mut stories: FxHashMap<u64, FxHashSet<u64>> = FxHashMap::default();
    for address in alive(searcher) {
        for key in columns.keys(address).filter(|key| keys.contains(key)) {
            let story = groups.group(columns.fingerprint(address));
            stories.entry(key).or_default().insert(story);
        }
    }
    Ok(stories
        .into_iter()
        .map(|(key, set)| (key, u32::try_from(set.len()).unwrap_or(u32::MAX)))
        .collect())
}

/// The live documents written with another verdict on some paragraph than
/// `boilerplate` gives: a boilerplate paragraph left searchable, or one
/// kept out that is no longer boilerplate.
pub fn stale(
    searcher: &Searcher,
    fields: &Fields,
    boilerplate: &FxHashMap<u64, u32>,
) -> tantivy::Result<Vec<DocAddress>> {
    let mut marked: FxHashMap<DocAddress, Vec<u64>> = FxHashMap::default();
    for key in known(searcher, fields)? {
        for address in postings::docs_with(searcher, fields.boilerplate_keys, key)? {
            marked.entry(address).or_default().push(key);
        }
    }
    let columns = Columns::of(searcher)?;
    let mut stale = Vec::new();
    for address in alive(searcher) {
        let mut expected: Vec<u64> = columns
            .keys(address)
            .filter(|key| boilerplate.contains_key(key))
            .collect();
        let mut written = marked.remove(&address).unwrap_or_default();
        for keys in [&mut expected, &mut written] {
            keys.sort_unstable();
            keys.dedup();
        }
        if expected != written {
            stale.push(address);
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
    let (index, _, searcher) = match schema::open_searcher(index_dir) {
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
    let counts = stories_of(&searcher, &groups, &keys.iter().copied().collect()).map_err(err)?;
    let stories = keys
        .iter()
        .map(|key| counts.get(key).copied().unwrap_or(0))
        .collect();
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
        // One shard's worth.
        let mut counts: FxHashMap<u64, u32> =
            (0..RUN_CAPACITY as u64 + 1).map(|k| (k, 1)).collect();
        counts.insert(u64::MAX, 50);
        forget_rarest(&mut counts);
        assert_eq!(counts.get(&u64::MAX), Some(&49));
        assert!(counts.len() <= RUN_CAPACITY / 2);
    }

    #[test]
    fn a_shard_never_outgrows_its_table() {
        let mut counts = new_shard();
        let capacity = counts.capacity();
        // The table is the smallest that holds a full shard.
        assert_eq!(capacity, RUN_CAPACITY + 1);
        for key in 0..20 * RUN_CAPACITY as u64 {
            // New keys, and one that keeps coming back.
            count(&mut counts, key);
            count(&mut counts, u64::MAX);
        }
        assert_eq!(counts.capacity(), capacity);
    }
}
