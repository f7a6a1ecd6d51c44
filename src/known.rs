//! The files an index holds, by path, looked up as the walk meets them.
//!
//! A run looks up every walked file's path among the indexed ones, and the
//! indexed paths it never met are the files gone. With 10⁵–10⁶ paths, a hash
//! map of strings made each lookup two cache misses. The walk goes through
//! folders in name order, so the paths are kept sorted in that same order
//! and a cursor follows the walk: a lookup is one comparison with the next
//! path, and a binary search only when the walk leaves that order (a new
//! file, a deleted one, or names the two orders see differently).

use std::cmp::Ordering;

use crate::chunk;

/// A file's modification time (ns since the epoch) and size, as indexed.
pub type Stamp = (u64, u64);

/// The indexed paths and their stamps, in walk order.
#[derive(Debug, Default)]
pub struct Known {
    entries: Vec<(String, Stamp)>,
    taken: Vec<bool>,
    /// Where the walk is expected next.
    cursor: usize,
}

impl Known {
    /// The indexed files, in any order (runs already sorted by bytes, as
    /// each segment's dictionary gives them, sort fastest). A path listed
    /// twice is kept once.
    pub fn new(mut entries: Vec<(String, Stamp)>) -> Known {
        entries.sort_by(|a, b| walk_order(&a.0, &b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Known {
            taken: vec![false; entries.len()],
            entries,
            cursor: 0,
        }
    }

    /// How many paths are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no path is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The stamp of `path` if it is indexed and not taken yet; takes it.
    pub fn take(&mut self, path: &str) -> Option<Stamp> {
        while self.taken.get(self.cursor) == Some(&true) {
            self.cursor += 1;
        }
        let at = match self.entries.get(self.cursor) {
            Some((next, _)) if next == path => self.cursor,
            _ => {
                let found = self.entries.binary_search_by(|(p, _)| walk_order(p, path));
                match found {
                    Ok(at) if !self.taken[at] => at,
                    _ => return None,
                }
            }
        };
        self.taken[at] = true;
        self.cursor = self.cursor.max(at + 1);
        Some(self.entries[at].1)
    }

    /// The paths never taken, sorted.
    pub fn into_untaken(self) -> Vec<String> {
        let mut left: Vec<String> = self
            .entries
            .into_iter()
            .zip(self.taken)
            .filter(|(_, taken)| !taken)
            .map(|((path, _), _)| path)
            .collect();
        left.sort();
        left
    }
}

/// The order a name-sorted, depth-first walk meets `/`-separated paths: a
/// folder's files come before a sibling whose name extends the folder's
/// (`a/z` before `a.b`), so `/` sorts below every other byte.
fn walk_order(a: &str, b: &str) -> Ordering {
    let key = |byte: u8| if byte == b'/' { 0 } else { byte };
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let common = common_prefix(a, b);
    match (a.get(common), b.get(common)) {
        (Some(&x), Some(&y)) => key(x).cmp(&key(y)),
        _ => a.len().cmp(&b.len()),
    }
}

/// How many bytes `a` and `b` share at their start, compared eight at a
/// time: sorting the indexed paths at the start of a run compares paths
/// that share most of their bytes (a folder's files), and byte by byte the
/// sort was 5 % of a no-op run.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    while let (Some(x), Some(y)) = (a.get(at..at + 8), b.get(at..at + 8)) {
        let (x, y) = (chunk::load(x), chunk::load(y));
        if x != y {
            // Little-endian: the lowest differing bit is in the first
            // differing byte.
            return at + (x ^ y).trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while at < len && a[at] == b[at] {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(paths: &[&str]) -> Known {
        let entries = paths.iter().enumerate();
        Known::new(
            entries
                .map(|(i, p)| (p.to_string(), (i as u64, 1)))
                .collect(),
        )
    }

    proptest::proptest! {
        #[test]
        fn common_prefixes_are_counted_as_byte_by_byte(
            a in proptest::collection::vec(0u8..4, 0..40),
            b in proptest::collection::vec(0u8..4, 0..40),
        ) {
            let bytewise = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            proptest::prop_assert_eq!(common_prefix(&a, &b), bytewise);
            let longer: Vec<u8> = a.iter().chain(&b).copied().collect();
            proptest::prop_assert_eq!(common_prefix(&a, &longer), a.len());
        }
    }

    #[test]
    fn folders_come_before_names_that_extend_them() {
        assert_eq!(walk_order("a/z", "a.b"), Ordering::Less);
        assert_eq!(walk_order("a.b", "a/z"), Ordering::Greater);
        assert_eq!(walk_order("a/b", "a/b"), Ordering::Equal);
        assert_eq!(walk_order("a/b", "a/bc"), Ordering::Less);
        assert_eq!(walk_order("a/b/c", "a/b"), Ordering::Greater);
    }

    #[test]
    fn each_path_is_taken_once_whatever_the_order() {
        let mut k = known(&["b/2.txt", "a.b", "a/1.txt", "c.txt"]);
        assert_eq!(k.len(), 4);
        assert_eq!(k.take("c.txt"), Some((3, 1)));
        assert_eq!(k.take("a/1.txt"), Some((2, 1)));
        assert_eq!(k.take("a/1.txt"), None, "taken already");
        assert_eq!(k.take("new.txt"), None);
        assert_eq!(k.take("a.b"), Some((1, 1)));
        assert_eq!(k.into_untaken(), vec!["b/2.txt".to_string()]);
    }

    #[test]
    fn a_walk_in_order_with_files_gone_and_new() {
        let paths: Vec<String> = (0..50)
            .map(|i| format!("d{}/f{i:03}.txt", i / 10))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let mut k = known(&refs);
        for (i, path) in paths.iter().enumerate() {
            if i % 7 == 3 {
                continue; // gone from the corpus
            }
            assert!(k.take(path).is_some(), "{path}");
            assert_eq!(k.take(&format!("{path}.new")), None);
        }
        let expected: Vec<String> = paths
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 7 == 3)
            .map(|(_, p)| p.clone())
            .collect();
        assert_eq!(k.into_untaken(), expected);
    }
}
