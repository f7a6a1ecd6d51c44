//! Which segments of an index are merged: tantivy's log-size policy, and
//! the small segments left by a run merged into one.
//!
//! The settle pass's rewrites and an update's few files each leave
//! segments of a few documents (one per indexing thread), and every search
//! opens every segment's files; tantivy's policy waits for eight segments
//! of a size before merging them. Small means under [`SMALL_SEGMENT_DOCS`]
//! documents and under an eighth of the largest segment, so that a small
//! index does not merge half of itself at every run. The rule lives in the
//! policy, not in a merge asked for after the commit: tantivy hands a
//! policy only the segments no other merge is working on, while a merge
//! asked for by hand can race the policy's own merges for a segment.

use std::collections::HashSet;

use tantivy::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// Segments with fewer documents than this (and than an eighth of the
/// largest) are small.
pub const SMALL_SEGMENT_DOCS: u32 = 5_000;

/// tantivy's log-size merge policy, plus small segments merged together.
#[derive(Debug, Default)]
pub struct SmallSegmentsMerged {
    log: LogMergePolicy,
}

impl MergePolicy for SmallSegmentsMerged {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let mut candidates = self.log.compute_merge_candidates(segments);
        let taken: HashSet<_> = candidates
            .iter()
            .flat_map(|c| c.0.iter().copied())
            .collect();
        let largest = segments.iter().map(SegmentMeta::max_doc).max().unwrap_or(0);
        let small_docs = SMALL_SEGMENT_DOCS.min(largest / 8);
        let small: Vec<_> = segments
            .iter()
            .filter(|meta| meta.max_doc() < small_docs && !taken.contains(&meta.id()))
            .map(SegmentMeta::id)
            .collect();
        if small.len() >= 2 {
            candidates.push(MergeCandidate(small));
        }
        candidates
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Index;
    use tantivy::index::SegmentId;
    use tantivy::schema::{Schema, TEXT};

    use super::*;

    fn metas(sizes: &[u32]) -> Vec<SegmentMeta> {
        let mut schema = Schema::builder();
        schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        sizes
            .iter()
            .map(|&docs| index.new_segment_meta(SegmentId::generate_random(), docs))
            .collect()
    }

    fn merged_small(sizes: &[u32]) -> Vec<u32> {
        let segments = metas(sizes);
        let candidates = SmallSegmentsMerged::default().compute_merge_candidates(&segments);
        let log = LogMergePolicy::default().compute_merge_candidates(&segments);
        assert!(candidates.len() <= log.len() + 1);
        let Some(extra) = candidates.get(log.len()) else {
            return Vec::new();
        };
        let mut docs: Vec<u32> = segments
            .iter()
            .filter(|meta| extra.0.contains(&meta.id()))
            .map(SegmentMeta::max_doc)
            .collect();
        docs.sort_unstable();
        docs
    }

    #[test]
    fn a_runs_small_segments_merge_into_one() {
        assert_eq!(
            merged_small(&[25_000, 24_000, 26_000, 23_000, 18, 17]),
            vec![17, 18]
        );
        assert_eq!(
            merged_small(&[25_000, 24_000, 18]),
            Vec::<u32>::new(),
            "one alone"
        );
    }

    #[test]
    fn small_is_relative_to_the_largest() {
        // A 10,000-file index: its two halves are not small.
        assert_eq!(merged_small(&[5_037, 4_960, 60, 40]), vec![40, 60]);
        assert_eq!(merged_small(&[600, 500, 1]), Vec::<u32>::new());
        // Bounded in documents too.
        assert_eq!(merged_small(&[500_000, 6_000, 5_500]), Vec::<u32>::new());
    }
}
