//! Text read eight bytes at a time, as little-endian `u64`s: the word-sized
//! reads that paragraph hashing, the stem cache's keys and path comparison
//! share.

/// Bit 0x20 in each of eight bytes: OR'd into ASCII letters, digits and
/// apostrophes it lower-cases them (the others already have it), which is
/// how paragraph hashing and the stem cache's keys fold a word in place.
pub const LOWER_CASE: u64 = 0x2020_2020_2020_2020;

/// Eight bytes (exactly eight) as a little-endian `u64`.
pub fn load(eight: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(eight);
    u64::from_le_bytes(word)
}

/// The `len` bytes (1 to 8) of `text` from `at`, little-endian, zero-padded:
/// one 8-byte load, masked, where `text` goes on that far; a copy near its
/// end.
pub fn padded(text: &[u8], at: usize, len: usize) -> u64 {
    match text.get(at..at + 8) {
        Some(eight) => load(eight) & (u64::MAX >> (8 * (8 - len))),
        None => {
            let mut word = [0u8; 8];
            word[..len].copy_from_slice(&text[at..at + len]);
            u64::from_le_bytes(word)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_reads_the_same_near_the_end_and_inside() {
        let text = b"abcdefghijk";
        for at in 0..text.len() {
            for len in 1..=(text.len() - at).min(8) {
                let mut expected = [0u8; 8];
                expected[..len].copy_from_slice(&text[at..at + len]);
                assert_eq!(
                    padded(text, at, len),
                    u64::from_le_bytes(expected),
                    "{at} {len}"
                );
            }
        }
    }
}
