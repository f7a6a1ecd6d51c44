//! What identifies a story beyond its exact text: stable hashes of its
//! paragraphs (for corpus boilerplate) and a MinHash sketch of its words cut
//! into LSH bands (for near-identical stories).
//!
//! Both are stored in the index and compared across runs, so every hash here
//! is spelled out (a multiply-rotate hash of eight bytes at a time, and
//! splitmix64's finalizer) rather than taken from `std` or a crate whose
//! algorithm may change between versions. Words are hashed once: paragraph
//! keys and shingles are built from the word hashes.
//!
//! The sketch is one-permutation MinHash (Li, Owen and Zhang, 2012) over
//! word 5-shingles: each shingle's hash falls into one of [`BINS`] bins by
//! its top bits and each bin keeps its minimum, so a sketch costs one hash
//! per word, not one per word and bin (nor a sort: a minimum ignores
//! repeats). Two stories whose shingle sets have
//! Jaccard similarity `s` agree on a bin with probability about `s`; a band
//! of [`ROWS`] bins agrees with probability `s^ROWS`, so with [`BANDS`]
//! bands, pairs at `s = 0.8` share a band 98.5 % of the time, at 0.5 40 %,
//! at 0.2 1.3 %. Sharing a band only makes two stories candidates: the index
//! compares candidates' stored text exactly ([`similarity`]).

use std::ops::Range;

use crate::chunk;

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

/// An odd constant with well-spread bits (from the fractional digits of π).
const K: u64 = 0x243f_6a88_85a3_08d3;

/// A stable hash of bytes, eight at a time.
fn hash_bytes(bytes: &[u8]) -> u64 {
    hash_span(bytes, 0..bytes.len(), 0)
}

/// [`hash_bytes`] of `text[span]` with `bits` set in each byte (`bits`
/// repeats one byte). A last chunk short of 8 bytes is read as one 8-byte
/// load and masked where `text` holds 8 bytes from it (every word but those
/// near a paragraph's end); otherwise it is copied.
#[inline]
fn hash_span(text: &[u8], span: Range<usize>, bits: u64) -> u64 {
    let mut hash = K ^ span.len() as u64;
    let mut at = span.start;
    while at + 8 <= span.end {
        hash = (hash.rotate_left(23) ^ (chunk::load(&text[at..at + 8]) | bits)).wrapping_mul(K);
        at += 8;
    }
    let short = span.end - at;
    if short > 0 {
        // The low `short` bytes, little-endian; the padding stays zero.
        let keep = u64::MAX >> (8 * (8 - short));
        let chunk = chunk::padded(text, at, short);
        hash = (hash.rotate_left(23) ^ (chunk | (bits & keep))).wrapping_mul(K);
    }
    mix(hash)
}

/// splitmix64's finalizer: spreads a hash's bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The hashes of a dedup key's words (single-space separated), appended
/// to `words`.
pub fn words(key: &str, words: &mut Vec<u64>) {
    if key.is_empty() {
        return;
    }
    words.reserve(key.len() / 4 + 1);
    for word in key.as_bytes().split(|&b| b == b' ') {
        words.push(hash_bytes(word));
    }
}

/// The hashes of an ASCII paragraph's words, appended to `words`: what
/// [`words`] gives for its dedup key, read from the paragraph itself.
///
/// The key's words are the paragraph's runs of ASCII letters and digits,
/// lower-cased; for those bytes lower case is bit 5 set (digits have it),
/// so each run is hashed where it stands, with the bit set as it is read.
/// Building the key and splitting it again was a tenth of an indexing
/// run's instructions. The runs are found eight bytes at a time
/// (`alphanumeric`), a word's start and end by a bit each, rather than a
/// test and a branch per byte: 1.3 % of an indexing run's instructions.
pub fn ascii_words(paragraph: &[u8], words: &mut Vec<u64>) {
    words.reserve(paragraph.len() / 4 + 1);
    let mut open = None;
    // Bit 7 of byte 0 set when the byte before the chunk is in a word.
    let mut carry = 0;
    let mut at = 0;
    while at < paragraph.len() {
        let len = (paragraph.len() - at).min(8);
        let alnum = alphanumeric(chunk::padded(paragraph, at, len));
        let before = (alnum << 8) | carry;
        carry = (alnum >> 56) & 0x80;
        // Starts and ends alternate, beginning with a start unless a word
        // is open: each end closes the start before it.
        let mut starts = alnum & !before;
        let mut ends = !alnum & before & HIGH_BITS >> (8 * (8 - len));
        let byte = |bits: u64| at + bits.trailing_zeros() as usize / 8;
        if let Some(from) = open {
            if ends == 0 {
                at += len;
                continue;
            }
            words.push(hash_span(paragraph, from..byte(ends), chunk::LOWER_CASE));
            ends &= ends - 1;
            open = None;
        }
        while starts != 0 {
            let from = byte(starts);
            starts &= starts - 1;
            if ends == 0 {
                open = Some(from);
                break;
            }
            words.push(hash_span(paragraph, from..byte(ends), chunk::LOWER_CASE));
            ends &= ends - 1;
        }
        at += len;
    }
    if let Some(from) = open {
        words.push(hash_span(
            paragraph,
            from..paragraph.len(),
            chunk::LOWER_CASE,
        ));
    }
}

/// Bit 7 of each of eight bytes.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Bit 7 set in each byte of `eight` that is an ASCII letter or digit, and
/// nothing else. With bit 7 cleared every byte is below 0x80, so adding
/// up to 0x80 to each never carries into the next: `x + (0x80 - lo)` has
/// bit 7 set when `x >= lo`, `x + (0x7f - hi)` when `x > hi`.
fn alphanumeric(eight: u64) -> u64 {
    const fn each(byte: u8) -> u64 {
        0x0101_0101_0101_0101 * byte as u64
    }
    let low = eight & !HIGH_BITS;
    let digit = (low + each(0x80 - b'0')) & !(low + each(0x7f - b'9'));
    let folded = low | chunk::LOWER_CASE;
    let letter = (folded + each(0x80 - b'a')) & !(folded + each(0x7f - b'z'));
    (digit | letter) & !eight & HIGH_BITS
}

/// A paragraph's stored identity from its words' hashes; 0 for no words
/// (punctuation only), which is never boilerplate.
///
/// 48 bits: every document stores one per paragraph in a bit-packed column,
/// where 64 bits would cost a third more; two paragraphs of a
/// million-file corpus (~10⁷ of them) share a key with probability ~10⁻¹.
pub fn key_of_words(words: &[u64]) -> u64 {
    if words.is_empty() {
        return 0;
    }
    let folded = words.iter().fold(K, |hash, &word| {
        (hash.rotate_left(5) ^ word).wrapping_mul(K)
    });
    (mix(folded) >> 16).max(1)
}

/// The stored identity of a paragraph, from its dedup key (see
/// [`key_of_words`]).
pub fn key_hash(key: &str) -> u64 {
    let mut hashes = Vec::new();
    words(key, &mut hashes);
    key_of_words(&hashes)
}

/// The hash of each window of [`SHINGLE`] words.
fn windows(words: &[u64]) -> impl Iterator<Item = u64> + '_ {
    words.windows(SHINGLE).map(|w| {
        mix(w[0]
            ^ w[1].rotate_left(13)
            ^ w[2].rotate_left(26)
            ^ w[3].rotate_left(39)
            ^ w[4].rotate_left(52))
    })
}

/// Hashes of every window of [`SHINGLE`] words over the keys, in order,
/// sorted and de-duplicated: the story as a set, as [`similarity`] compares
/// it.
pub fn shingles<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let mut hashes = Vec::new();
    for key in keys {
        words(key, &mut hashes);
    }
    let mut out: Vec<u64> = windows(&hashes).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The LSH bands of a story's words (see the module doc); none when it has
/// fewer than [`MIN_SHINGLES`] shingles. Each value is the band's number
/// above a 32-bit hash of its rows ([`band_of`]), so equal values mean the
/// same band agrees. Two unrelated stories share a band value by chance
/// with probability 2⁻³² per band: a pair to compare, never a wrong group,
/// since candidates are compared exactly.
pub fn bands(words: &[u64]) -> Vec<u64> {
    if words.len() < MIN_SHINGLES + SHINGLE - 1 {
        return Vec::new();
    }
    let mut bins = [u64::MAX; BINS];
    let bits = BINS.trailing_zeros();
    for shingle in windows(words) {
        // The top bits pick the bin; the rest is the value it competes with.
        let bin = (shingle >> (64 - bits)) as usize;
        bins[bin] = bins[bin].min(shingle << bits);
    }
    bins.chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let hash = rows
                .iter()
                .fold(mix(band as u64 + 1), |hash, &row| mix(hash ^ row));
            ((band as u64) << 32) | (hash >> 32)
        })
        .collect()
}

/// The band number of a value of [`bands`].
pub fn band_of(value: u64) -> usize {
    (value >> 32) as usize
}

/// Jaccard similarity of two sorted, de-duplicated shingle sets.
pub fn similarity(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = sorted_overlap(a, b);
    shared as f32 / (a.len() + b.len() - shared) as f32
}

/// The size of the (multiset) intersection of two sorted lists.
pub fn sorted_overlap(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
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
    shared
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::normalize::dedup::key;

    fn sketched(text: &str) -> (Vec<u64>, Vec<u64>) {
        let keys: Vec<String> = text.split('\n').map(key).collect();
        let mut hashes = Vec::new();
        for key in &keys {
            words(key, &mut hashes);
        }
        (shingles(keys.iter().map(String::as_str)), bands(&hashes))
    }

    const STORY: &str = "Ministers met on Tuesday to agree the budget for the coming year.\n\
        The talks ran late into the night, officials said, and ended with a deal on farm spending.\n\
        Opposition leaders called the agreement a missed chance to cut the deficit faster.\n\
        A vote in parliament is expected next week after the committee reports.";

    #[test]
    fn hashes_are_stable_across_builds() {
        // Stored in indexes: a change here must bump the schema version.
        assert_eq!(key_hash("editor zhang wei"), 0x4ba8_fbad_66bf);
        assert_eq!(key_hash(""), 0);
        assert_eq!(hash_bytes(b"zhang"), 0x279c_d0bb_6eec_daf0);
        assert_eq!(mix(1), 0x5692_161d_100b_05e5);
        let mut hashes = Vec::new();
        // Read with an 8-byte load past the word, and copied at the end.
        ascii_words(b"-- ZHANG, said Zhang", &mut hashes);
        assert_eq!(hashes[0], 0x279c_d0bb_6eec_daf0);
        assert_eq!(hashes[2], 0x279c_d0bb_6eec_daf0);
    }

    #[test]
    fn a_key_is_its_words() {
        assert_eq!(key_hash("a b"), key_hash(&key(" A,  b ")));
        assert_ne!(key_hash("a b"), key_hash("b a"));
        assert_ne!(key_hash("ab"), key_hash("a b"));
        assert!(key_hash("a") < 1 << 48);
    }

    #[test]
    fn a_retyped_copy_shares_a_band() {
        let (a, bands_a) = sketched(STORY);
        let (b, bands_b) = sketched(&STORY.replace("late into", "long into"));
        assert!(similarity(&a, &b) > 0.7, "{}", similarity(&a, &b));
        assert!(bands_a.iter().zip(&bands_b).any(|(x, y)| x == y));
        assert_eq!(bands_a.len(), BANDS);
        let numbers: Vec<usize> = bands_a.iter().map(|&v| band_of(v)).collect();
        assert_eq!(numbers, (0..BANDS).collect::<Vec<_>>());
    }

    #[test]
    fn a_different_story_shares_no_band() {
        let (a, bands_a) = sketched(STORY);
        let (b, bands_b) = sketched(
            "Floods forced thousands from their homes in the north on Sunday.\n\
             Rescue teams used boats to reach villages cut off by the rising river.\n\
             The weather service said more rain was expected later in the week.",
        );
        assert!(similarity(&a, &b) < 0.05);
        assert!(bands_a.iter().zip(&bands_b).all(|(x, y)| x != y));
    }

    #[test]
    fn short_stories_get_no_bands() {
        assert!(sketched("Terms were not disclosed.").1.is_empty());
        assert!(sketched("").1.is_empty());
    }

    /// [`ascii_words`] a byte at a time, as it was written first.
    fn ascii_words_bytewise(paragraph: &[u8]) -> Vec<u64> {
        let mut words = Vec::new();
        let mut start = None;
        for (at, byte) in paragraph.iter().enumerate() {
            match (byte.is_ascii_alphanumeric(), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    words.push(hash_span(paragraph, from..at, chunk::LOWER_CASE));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(from) = start {
            words.push(hash_span(
                paragraph,
                from..paragraph.len(),
                chunk::LOWER_CASE,
            ));
        }
        words
    }

    #[test]
    fn every_byte_is_classed_as_it_is_alone() {
        for byte in 0..=u8::MAX {
            for lane in 0..8 {
                let eight =
                    (u64::from(byte) << (8 * lane)) | 0x2020_2020_2020_2020 & !(0xff << (8 * lane));
                let expected = if byte.is_ascii_alphanumeric() {
                    0x80 << (8 * lane)
                } else {
                    0
                };
                assert_eq!(
                    alphanumeric(eight),
                    expected,
                    "byte {byte:#x} in lane {lane}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn words_are_found_eight_bytes_at_a_time_as_one_at_a_time(
            text in "([A-Za-z0-9]{1,12}|[ ,.;'@`{\\[-]{1,9}|[\\x00-\\x7f]{1,3}){0,40}",
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            for paragraph in [text.as_bytes(), &bytes] {
                let mut words = Vec::new();
                ascii_words(paragraph, &mut words);
                prop_assert_eq!(words, ascii_words_bytewise(paragraph));
            }
        }

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
