//! What identifies a story beyond its exact text: stable hashes of its
//! paragraphs (for corpus boilerplate) and a MinHash sketch of its words cut
//! into LSH bands (for near-identical stories).
//!
//! Both are stored in the index and compared across runs, so every hash here
//! is spelled out (FNV-1a, splitmix64) rather than taken from `std` or a
//! crate whose algorithm may change between versions.
//!
//! The sketch is one-permutation MinHash (Li, Owen and Zhang, 2012) over
//! word 5-shingles: each shingle's hash falls into one of [`BINS`] bins by
//! its top bits and each bin keeps its minimum, so a sketch costs one hash
//! per word, not one per word and bin. Two stories whose shingle sets have
//! Jaccard similarity `s` agree on a bin with probability about `s`; a band
//! of [`ROWS`] bins agrees with probability `s^ROWS`, so with [`BANDS`]
//! bands, pairs at `s = 0.8` share a band 98.5 % of the time, at 0.5 40 %,
//! at 0.2 1.3 %. Sharing a band only makes two stories candidates: the index
//! compares candidates' stored text exactly ([`similarity`]).

/// Words per shingle.
pub const SHINGLE: usize = 5;
/// Bands of the LSH index.
pub const BANDS: usize = 8;
/// MinHash bins per band.
pub const ROWS: usize = 4;
/// MinHash bins in all.
pub const BINS: usize = BANDS * ROWS;
/// Stories with fewer shingles than this get no bands: too short to tell a
/// retyped copy from a different story that shares a stock phrase.
pub const MIN_SHINGLES: usize = 8;

/// FNV-1a over bytes.
fn fnv(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}

/// splitmix64's finalizer: spreads a hash's bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The stored identity of a paragraph, from its dedup key; 0 for an empty
/// key (punctuation only), which is never boilerplate.
pub fn key_hash(key: &str) -> u64 {
    if key.is_empty() {
        0
    } else {
        fnv(key.as_bytes()).max(1)
    }
}

/// Hashes of every window of [`SHINGLE`] words over the keys, in order,
/// sorted and de-duplicated: the story as a set.
pub fn shingles<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let words: Vec<u64> = keys
        .into_iter()
        .flat_map(|key| key.split(' '))
        .filter(|word| !word.is_empty())
        .map(|word| fnv(word.as_bytes()))
        .collect();
    let mut out: Vec<u64> = words
        .windows(SHINGLE)
        .map(|window| {
            window
                .iter()
                .fold(0u64, |hash, &word| mix(hash.rotate_left(17) ^ word))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The LSH band hashes of a story's shingles (see the module doc); none when
/// it has fewer than [`MIN_SHINGLES`]. Each band's hash also encodes the
/// band's number, so equal values mean the same band agrees.
pub fn bands(shingles: &[u64]) -> Vec<u64> {
    if shingles.len() < MIN_SHINGLES {
        return Vec::new();
    }
    let mut bins = [u64::MAX; BINS];
    for &shingle in shingles {
        let hashed = mix(shingle);
        // The top bits pick the bin; the rest is the value it competes with.
        let bin = (hashed >> (64 - BINS.trailing_zeros())) as usize;
        let value = hashed << BINS.trailing_zeros();
        bins[bin] = bins[bin].min(value);
    }
    bins.chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            rows.iter()
                .fold(mix(band as u64 + 1), |hash, &row| mix(hash ^ row))
        })
        .collect()
}

/// Jaccard similarity of two sorted, de-duplicated shingle sets.
pub fn similarity(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f32 / (a.len() + b.len() - shared) as f32
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::normalize::dedup::key;

    fn sketch(text: &str) -> (Vec<u64>, Vec<u64>) {
        let keys: Vec<String> = text.split('\n').map(key).collect();
        let shingles = shingles(keys.iter().map(String::as_str));
        let bands = bands(&shingles);
        (shingles, bands)
    }

    const STORY: &str = "Ministers met on Tuesday to agree the budget for the coming year.\n\
        The talks ran late into the night, officials said, and ended with a deal on farm spending.\n\
        Opposition leaders called the agreement a missed chance to cut the deficit faster.\n\
        A vote in parliament is expected next week after the committee reports.";

    #[test]
    fn hashes_are_stable_across_builds() {
        // Stored in indexes: a change here must bump the schema version.
        assert_eq!(key_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(key_hash(""), 0);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(mix(1), 0x5692_161d_100b_05e5);
    }

    #[test]
    fn a_retyped_copy_shares_a_band() {
        let (a, bands_a) = sketch(STORY);
        let (b, bands_b) = sketch(&STORY.replace("late into", "long into"));
        assert!(similarity(&a, &b) > 0.7, "{}", similarity(&a, &b));
        assert!(bands_a.iter().zip(&bands_b).any(|(x, y)| x == y));
        assert_eq!(bands_a.len(), BANDS);
    }

    #[test]
    fn a_different_story_shares_no_band() {
        let (a, bands_a) = sketch(STORY);
        let (b, bands_b) = sketch(
            "Floods forced thousands from their homes in the north on Sunday.\n\
             Rescue teams used boats to reach villages cut off by the rising river.\n\
             The weather service said more rain was expected later in the week.",
        );
        assert!(similarity(&a, &b) < 0.05);
        assert!(bands_a.iter().zip(&bands_b).all(|(x, y)| x != y));
    }

    #[test]
    fn short_stories_get_no_bands() {
        assert!(sketch("Terms were not disclosed.").1.is_empty());
        assert!(sketch("").1.is_empty());
    }

    proptest! {
        #[test]
        fn similarity_is_a_share(a in proptest::collection::btree_set(0u64..50, 0..30),
                                 b in proptest::collection::btree_set(0u64..50, 0..30)) {
            let (a, b): (Vec<u64>, Vec<u64>) = (a.into_iter().collect(), b.into_iter().collect());
            let s = similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert_eq!(s, similarity(&b, &a));
            prop_assert_eq!(similarity(&a, &a), 1.0);
        }
    }
}
