//! Removal of repeated paragraphs within one dispatch.
//!
//! Wire files are often pasted twice (`corpus/000_e9f58710e6d47200.txt` holds
//! its whole body two times), sometimes with small edits between the copies.
//! A paragraph's identity is its [`key`]: its letters and digits,
//! lower-cased, with every run of anything else (white space, punctuation,
//! quotes of any style) folded to one space. The first occurrence wins and
//! order is kept.
//!
//! Exact repeats share a key. Near repeats (a changed word, a fixed typo, a
//! clause added at the end) are found by word-level similarity: the longest
//! common subsequence of the two keys' words over the length of the shorter
//! one, which is 1 when one paragraph holds the other whole and 0.95 for one
//! word changed in twenty. A dispatch has tens of paragraphs, so every pair
//! is compared exactly, no sketch needed: a bit signature of each
//! paragraph's words bounds the similarity from above first (O(w) per
//! pair), and the O(w²) subsequence runs only for pairs that pass.
//! Paragraphs under [`NEAR_MIN_WORDS`] words, or under half the other's
//! length, are only ever exact repeats: sharing a few common words never
//! removes a paragraph.

use std::collections::HashSet;
use std::ops::Range;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::story;

/// Paragraphs shorter than this (in words) are never near-duplicates.
pub const NEAR_MIN_WORDS: usize = 10;

/// The shorter paragraph of a near-duplicate pair has at least this share
/// of the longer one's words.
const NEAR_MIN_LENGTH_RATIO: f32 = 0.5;

/// A paragraph removed as a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Removal {
    /// Its position among the file's paragraphs.
    pub position: usize,
    /// The position of the kept paragraph it repeats.
    pub original: usize,
    /// Word similarity to that paragraph, for near-duplicates; `None` for an
    /// exact repeat.
    pub similarity: Option<f32>,
}

/// The outcome of de-duplicating one dispatch's paragraphs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Deduped {
    /// The paragraphs kept, in first-seen order.
    pub kept: Vec<String>,
    /// The stored identity of each kept paragraph ([`story::key_of_words`]).
    pub keys: Vec<u64>,
    /// The hashes of the kept paragraphs' words, in order, all paragraphs
    /// end to end: what the story sketch is made of.
    pub words: Vec<u64>,
    /// The paragraphs removed, in order.
    pub removed: Vec<Removal>,
}

impl Deduped {
    /// Every paragraph kept, with keys and words as [`dedup`] gives them.
    pub fn keep_all(paragraphs: Vec<String>) -> Deduped {
        let mut out = Deduped::default();
        for paragraph in paragraphs {
            let start = out.words.len();
            key_words(&paragraph, &mut out.words);
            out.keys.push(story::key_of_words(&out.words[start..]));
            out.kept.push(paragraph);
        }
        out
    }
}

/// Bits of a paragraph's word signature ([`Words::signature`]).
const SIGNATURE_BITS: usize = 512;

/// A kept paragraph, as near-duplicate detection compares it.
struct Words {
    position: usize,
    /// Hashes of the key's words, in order.
    sequence: Vec<u64>,
    /// One bit per word hash, chosen by its top bits: a word of another
    /// paragraph whose bit is clear is not in this one.
    signature: [u64; SIGNATURE_BITS / 64],
}

/// Removes paragraphs whose [`key`] was already seen and, when `near` is
/// above 0, paragraphs at least `near` similar to a kept one; keeps order.
pub fn dedup(paragraphs: Vec<String>, near: f32) -> Deduped {
    // A kept paragraph's stored key, to its position and its words in
    // `out.words`: the words' 64-bit hashes are compared on a hit, so that
    // two paragraphs merge only if every word's hash agrees, not by a
    // collision of the 48-bit key.
    // Sized for the paragraphs up front: growing these tables and lists
    // one doubling at a time was 1.5 % of an index run (perf).
    let count = paragraphs.len();
    let mut first_seen: FxHashMap<u64, (usize, Range<usize>)> =
        FxHashMap::with_capacity_and_hasher(count, Default::default());
    let mut kept_words: Vec<Words> = Vec::with_capacity(if near > 0.0 { count } else { 0 });
    let bytes: usize = paragraphs.iter().map(String::len).sum();
    let mut out = Deduped {
        kept: Vec::with_capacity(count),
        keys: Vec::with_capacity(count),
        // About one word in six bytes of English text.
        words: Vec::with_capacity(bytes / 6),
        removed: Vec::new(),
    };
    let mut sequence = Vec::with_capacity(bytes / 6);
    for (position, paragraph) in paragraphs.into_iter().enumerate() {
        sequence.clear();
        key_words(&paragraph, &mut sequence);
        let stored = story::key_of_words(&sequence);
        // A paragraph of punctuation only has an empty key; it is kept, not
        // matched against other such paragraphs.
        if sequence.is_empty() {
            out.kept.push(paragraph);
            out.keys.push(stored);
            continue;
        }
        let seen = first_seen
            .get(&stored)
            .filter(|(_, words)| out.words[words.clone()] == sequence[..]);
        if let Some(&(original, _)) = seen {
            out.removed.push(Removal {
                position,
                original,
                similarity: None,
            });
            continue;
        }
        if near > 0.0 {
            let words = Words::of(position, &sequence);
            if let Some((original, similarity)) = most_similar(&words, &kept_words, near) {
                out.removed.push(Removal {
                    position,
                    original,
                    similarity: Some(similarity),
                });
                continue;
            }
            if words.sequence.len() >= NEAR_MIN_WORDS {
                kept_words.push(words);
            }
        }
        let start = out.words.len();
        out.words.extend_from_slice(&sequence);
        first_seen
            .entry(stored)
            .or_insert((position, start..out.words.len()));
        out.keys.push(stored);
        out.kept.push(paragraph);
    }
    out
}

impl Words {
    fn of(position: usize, sequence: &[u64]) -> Words {
        let mut signature = [0; SIGNATURE_BITS / 64];
        for &word in sequence {
            let bit = signature_bit(word);
            signature[bit / 64] |= 1 << (bit % 64);
        }
        Words {
            position,
            sequence: sequence.to_vec(),
            signature,
        }
    }

    /// How many of `sequence`'s words may be in this paragraph: at least
    /// as many as are, so at least their longest common subsequence.
    fn may_hold(&self, sequence: &[u64]) -> usize {
        sequence
            .iter()
            .filter(|&&word| {
                let bit = signature_bit(word);
                self.signature[bit / 64] >> (bit % 64) & 1 == 1
            })
            .count()
    }
}

/// A word hash's bit in a signature: its top bits (word hashes are mixed).
fn signature_bit(word: u64) -> usize {
    (word >> (64 - SIGNATURE_BITS.trailing_zeros())) as usize
}

/// The kept paragraph most similar to `words`, if any reaches `near`.
fn most_similar(words: &Words, kept: &[Words], near: f32) -> Option<(usize, f32)> {
    if words.sequence.len() < NEAR_MIN_WORDS {
        return None;
    }
    let mut best: Option<(usize, f32)> = None;
    for other in kept {
        let (short, long) = if words.sequence.len() <= other.sequence.len() {
            (words, other)
        } else {
            (other, words)
        };
        let shorter = short.sequence.len() as f32;
        if shorter < NEAR_MIN_LENGTH_RATIO * long.sequence.len() as f32 {
            continue;
        }
        if (long.may_hold(&short.sequence) as f32) < near * shorter {
            continue;
        }
        let similarity = lcs_len(&short.sequence, &long.sequence) as f32 / shorter;
        if similarity >= near && best.is_none_or(|(_, s)| similarity > s) {
            best = Some((other.position, similarity));
        }
    }
    best
}

/// The length of the longest common subsequence, in one row of memory.
fn lcs_len(a: &[u64], b: &[u64]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for &x in a {
        let mut diagonal = 0;
        for (j, &y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The identity of a paragraph: alphanumeric runs, lower-cased, joined by
/// single spaces.
pub fn key(paragraph: &str) -> String {
    if paragraph.is_ascii() {
        return ascii_key(paragraph.as_bytes());
    }
    let mut out = String::with_capacity(paragraph.len());
    let mut gap = false;
    for c in paragraph.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// [`key`] for ASCII text, byte by byte.
fn ascii_key(bytes: &[u8]) -> String {
    // Written without branches on the bytes, as text mixes letters and
    // separators unpredictably: every step writes a space and a letter and
    // advances past those it keeps. The key is never longer than the
    // paragraph: a space is kept only after a separator that wrote nothing.
    let mut key = vec![0u8; bytes.len()];
    let (mut len, mut gap) = (0, false);
    for &b in bytes {
        let lower = b.to_ascii_lowercase();
        let is_word = b.is_ascii_alphanumeric();
        key[len] = b' ';
        len += usize::from(is_word && gap && len > 0);
        key[len] = lower;
        len += usize::from(is_word);
        gap = !is_word;
    }
    key.truncate(len);
    // ASCII bytes in, ASCII bytes out.
    String::from_utf8(key).unwrap_or_default()
}

/// The hashes of a paragraph's [`key`]'s words ([`story::words`]),
/// appended to `words`; an ASCII paragraph is hashed where it stands.
pub fn key_words(paragraph: &str, words: &mut Vec<u64>) {
    if paragraph.is_ascii() {
        story::ascii_words(paragraph.as_bytes(), words);
    } else {
        story::words(&key(paragraph), words);
    }
}

/// True when no two paragraphs share a key: what [`dedup`] guarantees.
pub fn is_unique(paragraphs: &[String]) -> bool {
    let mut seen = HashSet::new();
    paragraphs
        .iter()
        .map(|p| key(p))
        .filter(|k| !k.is_empty())
        .all(|k| seen.insert(k))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    macro_rules! key_tests {
        ($($name:ident: $a:expr, $b:expr => $same:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(key($a) == key($b), $same, "{:?} vs {:?}", key($a), key($b));
            }
        )*};
    }

    key_tests! {
        case_folds: "Russia called it Absurd.", "russia called it absurd." => true;
        space_folds: "a  b\tc", "a b c" => true;
        punctuation_folds: "\"We will,\" he said.", "We will he said" => true;
        curly_quotes_fold: "\u{201c}absurd,\u{201d} he said", "\"absurd,\" he said" => true;
        words_differ: "Russia called it absurd", "Russia called it absurdly" => false;
        word_boundary_kept: "ab c", "a bc" => false;
        cjk: "国际英语资讯", "国际英语资讯。" => true;
    }

    #[test]
    fn removes_repeats_keeping_first_and_order() {
        let out = dedup(strings(&["A b.", "C d.", "a B", "E", "c  d"]), 0.9);
        assert_eq!(out.kept, strings(&["A b.", "C d.", "E"]));
        let pairs: Vec<_> = out
            .removed
            .iter()
            .map(|r| (r.position, r.original))
            .collect();
        assert_eq!(pairs, vec![(2, 0), (4, 1)]);
        assert!(out.removed.iter().all(|r| r.similarity.is_none()));
    }

    #[test]
    fn punctuation_only_paragraphs_are_kept() {
        let out = dedup(strings(&["***", "***"]), 0.9);
        assert_eq!(out.kept.len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn keeps_every_paragraph_that_occurs_once_in_order(
            paragraphs in proptest::collection::vec("[a-cA-C .,]{0,6}", 0..12)
        ) {
            let out = dedup(paragraphs.clone(), 0.0);
            let once: Vec<&String> = paragraphs
                .iter()
                .filter(|p| paragraphs.iter().filter(|q| key(q) == key(p)).count() == 1)
                .collect();
            let kept_once: Vec<&String> = out.kept.iter().filter(|p| once.contains(p)).collect();
            prop_assert_eq!(kept_once, once);
            prop_assert_eq!(out.kept.len() + out.removed.len(), paragraphs.len());
            prop_assert!(is_unique(&out.kept));
            prop_assert_eq!(dedup(out.kept.clone(), 0.0).kept, out.kept);
        }

        /// An ASCII paragraph hashed where it stands gives the words of
        /// its key: every byte, and words across the 8-byte chunks.
        #[test]
        fn key_words_are_the_words_of_the_key(
            paragraph in "[\\x00-\\x7f]{0,120}|([a-zA-Z0-9]{1,20}[ ,.'@`\\[{-]){0,12}",
        ) {
            let mut direct = Vec::new();
            key_words(&paragraph, &mut direct);
            let mut via_key = Vec::new();
            story::words(&key(&paragraph), &mut via_key);
            prop_assert_eq!(direct, via_key);
        }

        /// Near-duplicate removal only ever removes more, keeps order, and
        /// is idempotent.
        #[test]
        fn near_removal_is_a_subset_and_idempotent(
            paragraphs in proptest::collection::vec("(alpha|beta|gamma|delta|[a-z]{1,3})( (alpha|beta|gamma|delta|[a-z]{1,3})){0,14}", 0..10),
            near in 0.5f32..1.0,
        ) {
            let exact = dedup(paragraphs.clone(), 0.0);
            let out = dedup(paragraphs.clone(), near);
            prop_assert!(out.kept.iter().all(|p| exact.kept.contains(p)));
            prop_assert_eq!(out.kept.len() + out.removed.len(), paragraphs.len());
            prop_assert_eq!(&dedup(out.kept.clone(), near).kept, &out.kept);
            for removal in &out.removed {
                prop_assert!(removal.original < removal.position);
                prop_assert!(removal.similarity.is_none_or(|s| s >= near && s <= 1.0));
            }
        }
    }

    const BASE: &str = "The foreign ministry said on Wednesday that talks between the two \
        countries would resume next month in Geneva after a pause of two years.";

    fn near(a: &str, b: &str) -> Option<f32> {
        dedup(strings(&[a, b]), 0.9)
            .removed
            .first()
            .and_then(|r| r.similarity)
    }

    #[test]
    fn a_changed_word_a_typo_or_an_added_clause_is_a_near_duplicate() {
        let changed = BASE.replace("Wednesday", "Thursday");
        let typo = BASE.replace("ministry", "minsitry");
        let clause = BASE.replace("two years.", "two years, officials said.");
        for edited in [changed, typo, clause] {
            let similarity = near(BASE, &edited).expect("a near-duplicate");
            assert!(
                (0.9..1.0).contains(&similarity) || similarity == 1.0,
                "{similarity}"
            );
        }
        assert_eq!(
            near(
                BASE,
                &BASE.replace("two years.", "two years, officials said.")
            ),
            Some(1.0)
        );
    }

    #[test]
    fn unique_paragraphs_sharing_common_words_are_kept() {
        let other = "The foreign ministry said on Monday that the two countries had \
            signed a trade agreement covering steel, grain and fuel for next year.";
        assert_eq!(near(BASE, other), None);
        // Short paragraphs are only ever exact repeats.
        assert_eq!(
            near(
                "Talks resume in Geneva next month.",
                "Talks resume in Paris next month."
            ),
            None
        );
        // One paragraph holding a short one whole is not its repeat.
        assert_eq!(
            near("The ministry said the talks would resume next month.", BASE),
            None
        );
    }

    #[test]
    fn zero_turns_near_duplicates_off() {
        let changed = BASE.replace("Wednesday", "Thursday");
        assert!(dedup(strings(&[BASE, &changed]), 0.0).removed.is_empty());
    }

    #[test]
    fn lcs_and_bag_overlap() {
        assert_eq!(lcs_len(&[1, 2, 3, 4], &[1, 3, 4, 5]), 3);
        assert_eq!(lcs_len(&[], &[1]), 0);
        assert_eq!(story::sorted_overlap(&[1, 1, 2, 5], &[1, 2, 2, 5, 7]), 3);
    }

    proptest! {
        /// The signature's bound never cuts a pair the subsequence would
        /// keep. Few distinct hashes, so that words repeat and collide.
        #[test]
        fn signature_bounds_the_subsequence(
            a in proptest::collection::vec(0u64..40, 0..60),
            b in proptest::collection::vec(0u64..40, 0..60),
        ) {
            let spread = |v: &[u64]| -> Vec<u64> {
                v.iter().map(|&x| x.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect()
            };
            let (a, b) = (spread(&a), spread(&b));
            prop_assert!(Words::of(0, &b).may_hold(&a) >= lcs_len(&a, &b));
        }
    }
}
