//! Duplicate stories across the corpus: which files hold the same story.
//!
//! Files that normalize to the same text share a fingerprint. Files that
//! are near-identical (a fixed typo, a changed word, an added paragraph) are
//! found through the LSH bands every document is indexed with
//! ([`crate::normalize::story`]): documents that share a band are
//! candidates, and a candidate pair is one story when the Jaccard similarity
//! of their stored texts' word 5-shingles reaches the threshold and their
//! datelines do not name two places or two days. Stories
//! chain: if A matches B and B matches C, all three are one group, named by
//! the smallest fingerprint among them so that the name does not depend on
//! the order files were indexed in.
//!
//! Cost stays near-linear: one merged pass over the band terms, and exact
//! comparisons only for documents that share a band. A band shared by very
//! many documents (a template) is compared against its first document only,
//! [`MAX_BUCKET`] at most.

use rustc_hash::{FxHashMap, FxHashSet};
use tantivy::columnar::Column;
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::normalize::{dedup, story};
use crate::schema::Fields;

/// The default similarity from which two files are one story.
pub const DEFAULT_NEAR_STORY: f32 = 0.8;

/// Documents of one band compared at most.
const MAX_BUCKET: usize = 1_000;

/// Files kept read at once while candidate pairs are compared.
const MAX_CACHED: usize = 4_096;

/// The story group of every fingerprint that has one besides its own.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Groups {
    of: FxHashMap<u64, u64>,
}

impl Groups {
    /// The group of a file with this fingerprint.
    pub fn group(&self, fingerprint: u64) -> u64 {
        self.of.get(&fingerprint).copied().unwrap_or(fingerprint)
    }

    /// The groups the index's documents were written with.
    pub fn recorded(searcher: &Searcher) -> tantivy::Result<Groups> {
        let columns = Columns::of(searcher)?;
        let mut of = FxHashMap::default();
        for address in alive(searcher) {
            let (fingerprint, group) = (columns.fingerprint(address), columns.group(address));
            if fingerprint != group {
                of.insert(fingerprint, group);
            }
        }
        Ok(Groups { of })
    }

    /// Finds near-identical stories among the index's documents: files at
    /// least `near` similar are one story (`near` 0: exact copies only).
    pub fn find(searcher: &Searcher, fields: &Fields, near: f32) -> tantivy::Result<Groups> {
        let mut groups = Groups::default();
        if near <= 0.0 {
            return Ok(groups);
        }
        let columns = Columns::of(searcher)?;
        // Candidate pairs of fingerprints, each with a document to read: one
        // band at a time, its values sorted so that equal ones meet.
        let mut pairs: FxHashSet<(u64, u64)> = FxHashSet::default();
        let mut example: FxHashMap<u64, DocAddress> = FxHashMap::default();
        for band in 0..story::BANDS {
            let mut entries: Vec<(u64, DocAddress)> = Vec::new();
            for address in alive(searcher) {
                let values = columns
                    .bands(address)
                    .filter(|&v| story::band_of(v) == band);
                entries.extend(values.map(|value| (value, address)));
            }
            entries.sort_unstable_by_key(|&(value, address)| {
                (value, address.segment_ord, address.doc_id)
            });
            for bucket in entries.chunk_by(|a, b| a.0 == b.0).filter(|b| b.len() > 1) {
                let first = columns.fingerprint(bucket[0].1);
                example.entry(first).or_insert(bucket[0].1);
                for &(_, address) in bucket.iter().skip(1).take(MAX_BUCKET) {
                    let fingerprint = columns.fingerprint(address);
                    if fingerprint != first {
                        example.entry(fingerprint).or_insert(address);
                        pairs.insert((first.min(fingerprint), first.max(fingerprint)));
                    }
                }
            }
        }
        let mut pairs: Vec<(u64, u64)> = pairs.into_iter().collect();
        pairs.sort_unstable();
        let mut parent: FxHashMap<u64, u64> = FxHashMap::default();
        let mut compared: FxHashMap<u64, Compared> = FxHashMap::default();
        for (a, b) in pairs {
            if root(&mut parent, a) == root(&mut parent, b) {
                continue;
            }
            // Bounded: a corpus of many near copies reads some twice.
            if compared.len() >= MAX_CACHED {
                compared.clear();
            }
            for fingerprint in [a, b] {
                if let (Some(&address), std::collections::hash_map::Entry::Vacant(slot)) =
                    (example.get(&fingerprint), compared.entry(fingerprint))
                {
                    slot.insert(Compared::read(searcher, fields, address)?);
                }
            }
            let (Some(ca), Some(cb)) = (compared.get(&a), compared.get(&b)) else {
                continue;
            };
            if ca.same_story(cb, near) {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                // The smaller fingerprint names the group.
                parent.insert(ra.max(rb), ra.min(rb));
            }
        }
        let members: Vec<u64> = parent.keys().copied().collect();
        for fingerprint in members {
            let group = root(&mut parent, fingerprint);
            if group != fingerprint {
                groups.of.insert(fingerprint, group);
            }
        }
        Ok(groups)
    }

    /// The live documents written with another group than these groups give
    /// them.
    pub fn stale(&self, searcher: &Searcher) -> tantivy::Result<Vec<DocAddress>> {
        let columns = Columns::of(searcher)?;
        Ok(alive(searcher)
            .filter(|&address| columns.group(address) != self.group(columns.fingerprint(address)))
            .collect())
    }

    /// How many groups have more than one fingerprint.
    pub fn near_identical(&self) -> usize {
        self.of.values().collect::<FxHashSet<_>>().len()
    }
}

/// Union-find's root, with path halving.
fn root(parent: &mut FxHashMap<u64, u64>, mut node: u64) -> u64 {
    while let Some(&up) = parent.get(&node) {
        if up == node {
            break;
        }
        let grand = parent.get(&up).copied().unwrap_or(up);
        parent.insert(node, grand);
        node = up;
    }
    node
}

/// Every live document of the searcher.
pub fn alive(searcher: &Searcher) -> impl Iterator<Item = DocAddress> + '_ {
    searcher
        .segment_readers()
        .iter()
        .enumerate()
        .flat_map(|(ord, segment)| {
            segment
                .doc_ids_alive()
                .map(move |doc| DocAddress::new(ord as u32, doc))
        })
}

/// The columns that tell stories apart, of every segment: fingerprint and
/// group, paragraph keys and LSH bands.
pub struct Columns {
    fingerprint: Vec<Column<u64>>,
    group: Vec<Column<u64>>,
    keys: Vec<Column<u64>>,
    bands: Vec<Column<u64>>,
}

impl Columns {
    /// Opens the columns of every segment of the searcher.
    pub fn of(searcher: &Searcher) -> tantivy::Result<Columns> {
        let mut columns = Columns {
            fingerprint: Vec::new(),
            group: Vec::new(),
            keys: Vec::new(),
            bands: Vec::new(),
        };
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            columns.fingerprint.push(fast.u64("fingerprint")?);
            columns.group.push(fast.u64("dup_group")?);
            columns.keys.push(fast.u64("paragraph_keys")?);
            columns.bands.push(fast.u64("bands")?);
        }
        Ok(columns)
    }

    /// The keys of a document's paragraphs, the first excepted.
    pub fn keys(&self, address: DocAddress) -> impl Iterator<Item = u64> + '_ {
        self.keys[address.segment_ord as usize].values_for_doc(address.doc_id)
    }

    /// How many paragraph keys the documents hold in all, deleted ones
    /// included.
    pub fn key_count(&self) -> usize {
        self.keys.iter().map(|c| c.values.num_vals() as usize).sum()
    }

    /// A document's LSH bands.
    fn bands(&self, address: DocAddress) -> impl Iterator<Item = u64> + '_ {
        self.bands[address.segment_ord as usize].values_for_doc(address.doc_id)
    }

    /// A document's fingerprint.
    pub fn fingerprint(&self, address: DocAddress) -> u64 {
        self.fingerprint[address.segment_ord as usize]
            .first(address.doc_id)
            .unwrap_or(0)
    }

    /// The story group a document was written with.
    pub fn group(&self, address: DocAddress) -> u64 {
        self.group[address.segment_ord as usize]
            .first(address.doc_id)
            .unwrap_or(0)
    }
}

/// What two candidate files are compared on, read from the store.
struct Compared {
    /// Shingles of the title, searchable and boilerplate paragraphs.
    shingles: Vec<u64>,
    /// The dateline's place and date as written.
    place: Option<String>,
    date: Option<String>,
}

impl Compared {
    fn read(
        searcher: &Searcher,
        fields: &Fields,
        address: DocAddress,
    ) -> tantivy::Result<Compared> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let texts = |field| {
            doc.get_all(field)
                .filter_map(|value| value.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let mut keys: Vec<String> = texts(fields.title).iter().map(|t| dedup::key(t)).collect();
        for body in texts(fields.body) {
            keys.extend(body.split('\n').map(dedup::key));
        }
        keys.extend(texts(fields.boilerplate).iter().map(|t| dedup::key(t)));
        let first = |field| texts(field).into_iter().next();
        Ok(Compared {
            shingles: story::shingles(keys.iter().map(String::as_str)),
            place: first(fields.place),
            date: first(fields.date_text),
        })
    }

    /// One story: similar enough, and not filed from two places or on two
    /// days. Templated dispatches (a market close, a weather report) are
    /// near-identical from one day to the next; their datelines tell them
    /// apart.
    fn same_story(&self, other: &Compared, near: f32) -> bool {
        let differ = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b));
        !differ(&self.place, &other.place)
            && !differ(&self.date, &other.date)
            && story::similarity(&self.shingles, &other.shingles) >= near
    }
}
