//! Removal of repeated paragraphs within one dispatch.
//!
//! Wire files are often pasted twice (`corpus/000_e9f58710e6d47200.txt` holds
//! its whole body two times). A paragraph's identity is its [`key`]: its
//! letters and digits, lower-cased, with every run of anything else (white
//! space, punctuation, quotes of any style) folded to one space. The first
//! occurrence wins and order is kept.

use std::collections::HashSet;

use rustc_hash::FxHashMap;

/// The outcome of de-duplicating one dispatch's paragraphs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deduped {
    /// The paragraphs kept, in first-seen order.
    pub kept: Vec<String>,
    /// For each paragraph removed: its position in the input and the position
    /// (in the input) of the paragraph it repeats.
    pub removed: Vec<(usize, usize)>,
}

/// Removes paragraphs whose [`key`] was already seen, keeping order.
pub fn dedup(paragraphs: Vec<String>) -> Deduped {
    let mut first_seen: FxHashMap<String, usize> = FxHashMap::default();
    let mut out = Deduped::default();
    for (position, paragraph) in paragraphs.into_iter().enumerate() {
        let key = key(&paragraph);
        // A paragraph of punctuation only has an empty key; it is kept, not
        // matched against other such paragraphs.
        if key.is_empty() {
            out.kept.push(paragraph);
            continue;
        }
        match first_seen.get(&key) {
            Some(&first) => out.removed.push((position, first)),
            None => {
                first_seen.insert(key, position);
                out.kept.push(paragraph);
            }
        }
    }
    out
}

/// The identity of a paragraph: alphanumeric runs, lower-cased, joined by
/// single spaces.
pub fn key(paragraph: &str) -> String {
    let mut out = String::with_capacity(paragraph.len());
    if paragraph.is_ascii() {
        ascii_key(paragraph.as_bytes(), &mut out);
        return out;
    }
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
fn ascii_key(bytes: &[u8], out: &mut String) {
    let mut gap = false;
    for &b in bytes {
        if b.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            gap = true;
        }
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
        let out = dedup(strings(&["A b.", "C d.", "a B", "E", "c  d"]));
        assert_eq!(out.kept, strings(&["A b.", "C d.", "E"]));
        assert_eq!(out.removed, vec![(2, 0), (4, 1)]);
    }

    #[test]
    fn punctuation_only_paragraphs_are_kept() {
        let out = dedup(strings(&["***", "***"]));
        assert_eq!(out.kept.len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn keeps_every_paragraph_that_occurs_once_in_order(
            paragraphs in proptest::collection::vec("[a-cA-C .,]{0,6}", 0..12)
        ) {
            let out = dedup(paragraphs.clone());
            let once: Vec<&String> = paragraphs
                .iter()
                .filter(|p| paragraphs.iter().filter(|q| key(q) == key(p)).count() == 1)
                .collect();
            let kept_once: Vec<&String> = out.kept.iter().filter(|p| once.contains(p)).collect();
            prop_assert_eq!(kept_once, once);
            prop_assert_eq!(out.kept.len() + out.removed.len(), paragraphs.len());
            prop_assert!(is_unique(&out.kept));
            prop_assert_eq!(dedup(out.kept.clone()).kept, out.kept);
        }
    }
}
