//! The text analyzer shared by indexing, querying and snippets.
//!
//! One tokenizer does the whole job, so that every token keeps the byte
//! offsets of the original text (snippets highlight from them):
//! - words are runs of letters and digits (an apostrophe between letters
//!   stays inside: `don't`, `Macron's`), folded by NFKC (full-width `ＡＢＣ`
//!   is `abc`), stripped of diacritics (`Müller` is `muller`), lower-cased,
//!   then stemmed by the Snowball English stemmer;
//! - runs of CJK characters, written without spaces, become overlapping
//!   bigrams, each at the next position (`国际英语资讯` → `国际 际英 英语 语资
//!   资讯`), so `英语` is one term and a longer query word (`大熊猫` →
//!   `大熊 熊猫`) matches as a phrase. tantivy's n-gram tokenizer puts every
//!   gram at one position, which makes phrases of grams impossible. A lone
//!   CJK character is its own token. CJK text is never stemmed.
//!
//! Stemming is the costliest step per token, and news vocabulary repeats, so
//! stems are cached per thread.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::Arc;

use rust_stemmers::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::chunk;
use crate::normalize::dateline::is_cjk;

/// The name the analyzer is registered under in the index.
pub const NAME: &str = "sift";

/// Words longer than this many bytes are not indexed: they are not words
/// (a 10 MB line of base64 is one "word"), and tantivy caps a term's length.
const MAX_WORD_BYTES: usize = 100;

thread_local! {
    /// The thread's stem cache, lent to one token stream at a time: a
    /// stream holds it from its first stemmed word to its end, instead of
    /// reaching for a thread-local at every token.
    static STEMS: Cell<Option<StemCache>> = const { Cell::new(None) };
}

/// Words (and stems) up to this many bytes go to the table of short words:
/// a word and its stem as two `u64`s, zero-padded. Most of a text's words
/// are this short, and four such slots share a cache line.
const SHORT_LEN: usize = 8;

/// Buckets of the short-word table at its largest, two slots of 16 bytes
/// each: 2 MiB, 131,072 words. The frequent words' slots stay in a core's
/// cache whatever the table's size; the size decides how much of a
/// vocabulary's long tail stays stemmed, and stemming a word again costs
/// ~3,000 instructions against one load from memory. On 100,000 generated
/// dispatches (a 50,000-word vocabulary) a 512 KiB table stemmed 10.1 % of
/// the tokens again, this one 1.9 %. (Slots of 16 bytes, not 64: a 1 MiB
/// table of 64-byte slots held 16,384 words and waited on memory.)
const SHORT_SLOTS_LOG2: u32 = 16;

/// Buckets of the short-word table at first: 32 KiB. A query stems a few
/// hundred words, and each word in a fresh page of a large table costs a
/// page fault; once the table has stemmed as many words as it has slots,
/// it grows to `SHORT_SLOTS_LOG2` in one step.
const SHORT_SLOTS_LOG2_FIRST: u32 = 10;

/// Longer words (and stems) up to this many bytes are cached in the table
/// of long words; with the two length bytes a slot is 64 bytes, one cache
/// line.
const CACHED_LEN: usize = 31;

/// Slots of the long-word table: 256 KiB.
const LONG_SLOTS: usize = 1 << 12;

/// One cached long word and its stem, stored inline so that a lookup reads
/// one cache line and compares fixed-size arrays.
// No `repr(align)`: an over-aligned allocation is zeroed by hand, page by
// page, while a plain one comes zeroed from `calloc`'s fresh pages.
#[derive(Clone, Copy)]
struct Slot {
    word: [u8; CACHED_LEN],
    stem: [u8; CACHED_LEN],
    word_len: u8,
    stem_len: u8,
}

/// Caches of English stems: a word's bucket (two slots for short words,
/// one for long ones) is chosen by its hash; a new word replaces the older
/// one there.
struct StemCache {
    stemmer: Stemmer,
    /// (word, stem), each its bytes in a little-endian `u64`, zero-padded:
    /// no word holds a zero byte, so the padding gives the lengths back.
    short: ShortTable,
    /// The short table has `1 << short_log2` buckets.
    short_log2: u32,
    /// Short words stemmed since the short table was made.
    short_misses: usize,
    long: Box<[Slot]>,
}

impl StemCache {
    fn new() -> StemCache {
        // All-zero slots are empty (no word is empty), and zeroed memory
        // comes from the allocator untouched: a one-query process does not
        // pay for initializing the whole cache.
        let long = Box::<[Slot]>::new_zeroed_slice(LONG_SLOTS);
        // SAFETY: arrays of `u8` and `u8`s: every bit pattern, zero
        // included, is a valid slot.
        let long = unsafe { long.assume_init() };
        StemCache {
            stemmer: Stemmer::create(Algorithm::English),
            short: short_table(SHORT_SLOTS_LOG2_FIRST),
            short_log2: SHORT_SLOTS_LOG2_FIRST,
            short_misses: 0,
            long,
        }
    }

    fn stem(&mut self, word: &str, out: &mut String) {
        let bytes = word.as_bytes();
        if bytes.len() <= SHORT_LEN {
            self.stem_short(word, out);
        } else if bytes.len() <= CACHED_LEN {
            self.stem_long(word, out);
        } else {
            out.push_str(&self.stemmer.stem(word));
        }
    }

    /// The short-table bucket of a packed word.
    fn bucket_of(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.short_log2)) as usize
    }

    /// Asks the CPU to load the bucket of a short word that is coming next:
    /// a word of the vocabulary's long tail is in no cache, and its load
    /// then overlaps the indexing of the token before it instead of
    /// stalling its own lookup.
    fn prefetch_short(&self, key: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let bucket = &self.short[self.bucket_of(key) * 2];
            // SAFETY: a prefetch only hints the cache; it never faults, and
            // the address is inside the table anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(bucket).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = key;
    }

    fn stem_short(&mut self, word: &str, out: &mut String) {
        self.stem_key(pack(word.as_bytes()), out);
    }

    /// Writes the stem of the short word packed in `key` (folded, as
    /// `pack` makes it) into `out`.
    fn stem_key(&mut self, key: u64, out: &mut String) {
        let at = self.bucket_of(key);
        let bucket = &mut self.short[at * 2..at * 2 + 2];
        let stem = if bucket[0].0 == key {
            bucket[0].1
        } else if bucket[1].0 == key {
            bucket[1].1
        } else {
            self.short_misses += 1;
            if self.short_misses > 2 << self.short_log2 && self.short_log2 < SHORT_SLOTS_LOG2 {
                // Full: the large table, empty (the words come back as met).
                self.short_log2 = SHORT_SLOTS_LOG2;
                self.short = short_table(self.short_log2);
                self.short_misses = 0;
                return self.stem_key(key, out);
            }
            let bytes = key.to_le_bytes();
            let word = std::str::from_utf8(&bytes[..packed_len(key)]).unwrap_or_default();
            let stem = self.stemmer.stem(word);
            if stem.is_empty() || stem.len() > SHORT_LEN {
                out.push_str(&stem);
                return;
            }
            // The newest word goes first; the older one moves over.
            bucket[1] = bucket[0];
            bucket[0] = (key, pack(stem.as_bytes()));
            bucket[0].1
        };
        // SAFETY: the slot holds the bytes of a `&str` (a stem) zero-padded;
        // no byte of it is zero (stems are of letters and digits), so its
        // length is exact and the bytes are its valid UTF-8. (Checking
        // again cost more than the rest of a cached lookup.)
        unsafe { push_packed(out, stem) }
    }

    fn stem_long(&mut self, word: &str, out: &mut String) {
        let bytes = word.as_bytes();
        let mut key = [0u8; CACHED_LEN];
        key[..bytes.len()].copy_from_slice(bytes);
        let hash = rustc_hash::FxHasher::default();
        let slot = &mut self.long[slot_of(hash, &key)];
        if usize::from(slot.word_len) == bytes.len() && slot.word == key {
            // The slot holds a stem this cache wrote from valid UTF-8.
            let stem = &slot.stem[..usize::from(slot.stem_len)];
            out.push_str(std::str::from_utf8(stem).unwrap_or_default());
            return;
        }
        let stem = self.stemmer.stem(word);
        out.push_str(&stem);
        if stem.len() <= CACHED_LEN {
            slot.word = key;
            slot.word_len = bytes.len() as u8;
            slot.stem = [0; CACHED_LEN];
            slot.stem[..stem.len()].copy_from_slice(stem.as_bytes());
            slot.stem_len = stem.len() as u8;
        }
    }
}

/// An empty short-word table of `1 << log2` two-slot buckets.
fn short_table(log2: u32) -> ShortTable {
    ShortTable::zeroed(2 << log2)
}

/// Bytes in a huge page of x86_64 and of most aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// A zeroed slice of (word, stem) pairs. One of a huge page or more is
/// aligned to one and asks the kernel for huge pages: its lookups land
/// anywhere in it, and in 4 KiB pages nearly every one also missed the
/// TLB. With it the full index of 100,000 generated dispatches took 6 %
/// less CPU time (interleaved runs, bench/RESULTS.md). Where the kernel
/// gives no huge pages the advice is ignored and the table works as is.
struct ShortTable {
    pairs: NonNull<(u64, u64)>,
    len: usize,
}

impl ShortTable {
    fn zeroed(len: usize) -> ShortTable {
        let layout = ShortTable::layout(len);
        // SAFETY: the layout's size is not zero (`len` is at least 2).
        let bytes = unsafe {
            if layout.align() < HUGE_PAGE {
                alloc::alloc_zeroed(layout)
            } else {
                // Advised before it is touched, so that the zeroing faults
                // in huge pages; `alloc_zeroed` would zero it (over-aligned)
                // before the advice.
                let bytes = alloc::alloc(layout);
                if !bytes.is_null() {
                    advise_huge_pages(bytes, layout.size());
                    bytes.write_bytes(0, layout.size());
                }
                bytes
            }
        };
        match NonNull::new(bytes.cast()) {
            Some(pairs) => ShortTable { pairs, len },
            None => alloc::handle_alloc_error(layout),
        }
    }

    fn layout(len: usize) -> Layout {
        let size = len * std::mem::size_of::<(u64, u64)>();
        let align = if size >= HUGE_PAGE {
            HUGE_PAGE
        } else {
            std::mem::align_of::<(u64, u64)>()
        };
        Layout::from_size_align(size, align).expect("a table of at most 2 MiB has a layout")
    }
}

impl std::ops::Deref for ShortTable {
    type Target = [(u64, u64)];

    fn deref(&self) -> &[(u64, u64)] {
        // SAFETY: `len` initialized pairs, owned by the table.
        unsafe { std::slice::from_raw_parts(self.pairs.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for ShortTable {
    fn deref_mut(&mut self) -> &mut [(u64, u64)] {
        // SAFETY: as in `deref`, and borrowed uniquely through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.pairs.as_ptr(), self.len) }
    }
}

impl Drop for ShortTable {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this very layout.
        unsafe { alloc::dealloc(self.pairs.as_ptr().cast(), ShortTable::layout(self.len)) }
    }
}

/// `madvise(MADV_HUGEPAGE)`; its result is ignored, as the advice is only
/// advice.
fn advise_huge_pages(bytes: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: the range is one allocation of ours; the advice changes how
    // it is backed, never its contents.
    unsafe {
        libc::madvise(bytes.cast(), len, libc::MADV_HUGEPAGE);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (bytes, len);
}

/// The length of a packed word: its bytes up to the zero padding.
fn packed_len(packed: u64) -> usize {
    SHORT_LEN - (packed.leading_zeros() / 8) as usize
}

/// Appends a packed word to `out`, all eight bytes stored at once (a
/// `push_str` of a few bytes was a `memcpy` call, 2.5 % of an index run).
///
/// # Safety
///
/// The packed bytes, up to the zero padding, must be valid UTF-8.
unsafe fn push_packed(out: &mut String, packed: u64) {
    out.reserve(SHORT_LEN);
    // SAFETY: `reserve` made room for eight bytes past the end, so the
    // store stays inside the allocation; the length grows only over the
    // word's own bytes, valid UTF-8 as the caller promises.
    unsafe {
        let bytes = out.as_mut_vec();
        let end = bytes.len();
        std::ptr::write_unaligned(bytes.as_mut_ptr().add(end).cast::<u64>(), packed.to_le());
        bytes.set_len(end + packed_len(packed));
    }
}

/// The folded, packed key of the ASCII word `text[start..end]` (letters,
/// digits and apostrophes, at most `SHORT_LEN` bytes): what `pack` makes
/// of what `fold` makes of it. Lower-casing these bytes sets bit 0x20,
/// which the others already have; the word is read with one 8-byte load
/// where the text goes on that far.
fn ascii_key(text: &[u8], start: usize, end: usize) -> u64 {
    let len = end - start;
    chunk::padded(text, start, len) | (chunk::LOWER_CASE >> (8 * (SHORT_LEN - len)))
}

/// Up to eight bytes as a little-endian `u64`, zero-padded.
fn pack(bytes: &[u8]) -> u64 {
    // In registers: copying into a zeroed array and loading it back made
    // the CPU wait on the copy's stores.
    bytes
        .iter()
        .rev()
        .fold(0, |word, &b| (word << 8) | u64::from(b))
}

fn slot_of(mut hasher: rustc_hash::FxHasher, key: &[u8; CACHED_LEN]) -> usize {
    use std::hash::Hasher;
    for chunk in key.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hasher.write_u64(u64::from_le_bytes(word));
    }
    (hasher.finish() >> 16) as usize & (LONG_SLOTS - 1)
}

/// sift's tokenizer; see the module documentation.
#[derive(Clone, Default)]
pub struct SiftTokenizer {
    token: Token,
    /// When set, only words whose first two bytes (folded) are listed here
    /// are stemmed; others are emitted unstemmed: folded, or with empty
    /// text when they are ASCII (folding them is most of a token's cost).
    /// For snippets: stemming keeps a word's first letters, so a word whose
    /// first letters no query term shares cannot match, and only its
    /// offsets are needed.
    stem_only: Option<Arc<Vec<[u8; 2]>>>,
}

impl SiftTokenizer {
    /// A tokenizer for highlighting `terms`: words that cannot stem to one
    /// of them are not stemmed, and may have no text (see `stem_only`).
    pub fn for_terms<'a>(terms: impl IntoIterator<Item = &'a str>) -> SiftTokenizer {
        let mut prefixes: Vec<[u8; 2]> = terms
            .into_iter()
            .flat_map(word_starts)
            .map(|start| prefix_of(start.as_bytes()))
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        SiftTokenizer {
            token: Token::default(),
            stem_only: Some(Arc::new(prefixes)),
        }
    }
}

/// The English stemmer's exceptions whose stem does not begin the word.
const IRREGULAR: [(&str, &str); 4] = [
    ("die", "dying"),
    ("lie", "lying"),
    ("sky", "skies"),
    ("tie", "tying"),
];

/// How the words that stem to `stem` begin, folded: the stem, less a last
/// letter stemming may have changed (a `y` made `i` in `happi`, an `e`
/// added in `hope` from "hoping", `capabl` from "capability"), and the
/// words of [`IRREGULAR`]. Each of the 69,789 words of the shared test
/// corpora (bbc-news, reuters21578, cacm, cranfield) begins so, checked
/// with rust-stemmers; a snippet looks for these beginnings before it
/// analyzes any text.
pub fn word_starts(stem: &str) -> Vec<&str> {
    let changed = stem.ends_with(['i', 'e']) || stem.ends_with("bl");
    let start = match stem.get(..stem.len().saturating_sub(1)) {
        Some(shorter) if changed && shorter.len() >= 2 => shorter,
        _ => stem,
    };
    let mut starts = vec![start];
    starts.extend(
        IRREGULAR
            .iter()
            .filter(|(irregular, _)| *irregular == stem)
            .map(|(_, word)| *word),
    );
    starts
}

/// The first two bytes of a word, ASCII lower-cased, zero-padded.
fn prefix_of(word: &[u8]) -> [u8; 2] {
    let byte = |i: usize| word.get(i).map_or(0, u8::to_ascii_lowercase);
    [byte(0), byte(1)]
}

impl Tokenizer for SiftTokenizer {
    type TokenStream<'a> = SiftTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SiftTokenStream<'a> {
        self.token.reset();
        SiftTokenStream {
            text,
            cursor: 0,
            cjk: Vec::new(),
            cjk_next: 0,
            scratch: String::new(),
            stems: None,
            token: &mut self.token,
            stem_only: self.stem_only.as_deref().map(Vec::as_slice),
            next_short: None,
        }
    }
}

/// The tokens of one text.
pub struct SiftTokenStream<'a> {
    text: &'a str,
    /// Byte offset where scanning resumes.
    cursor: usize,
    /// Start offsets of the characters of the CJK run being emitted, plus the
    /// end offset of the run.
    cjk: Vec<usize>,
    /// Index in `cjk` of the next gram's first character.
    cjk_next: usize,
    scratch: String,
    /// The thread's stem cache, once a word was stemmed.
    stems: Option<StemCache>,
    token: &'a mut Token,
    stem_only: Option<&'a [[u8; 2]]>,
    /// The next word, when the last one looked ahead and found it short
    /// and ASCII: the next call emits it without scanning it again.
    next_short: Option<ShortWord>,
}

/// A short ASCII word of a text: where it is and its stem cache key.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ShortWord {
    start: usize,
    end: usize,
    key: u64,
}

impl TokenStream for SiftTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some(word) = self.next_short.take() {
            self.cursor = word.end;
            self.emit_short(word);
            return true;
        }
        loop {
            if self.next_cjk_gram() {
                return true;
            }
            // ASCII separators are skipped byte by byte; the rest by char.
            let bytes = self.text.as_bytes();
            while self.cursor < bytes.len()
                && bytes[self.cursor] < 0x80
                && !bytes[self.cursor].is_ascii_alphanumeric()
            {
                self.cursor += 1;
            }
            // A word starting with an ASCII letter or digit is not CJK.
            let ascii_start = bytes
                .get(self.cursor)
                .is_some_and(u8::is_ascii_alphanumeric);
            let start = if ascii_start {
                self.cursor
            } else {
                let rest = &self.text[self.cursor..];
                let Some((skip, first)) = rest.char_indices().find(|(_, c)| c.is_alphanumeric())
                else {
                    self.cursor = self.text.len();
                    return false;
                };
                if is_cjk(first) {
                    self.start_cjk_run(self.cursor + skip);
                    continue;
                }
                self.cursor + skip
            };
            let end = word_end(self.text, start);
            self.cursor = end;
            if end - start > MAX_WORD_BYTES {
                continue;
            }
            if self.stem_only.is_none() && ascii_start && self.short_ascii(start, end) {
                return true;
            }
            if self.cannot_match(&bytes[start..end]) {
                self.emit(start, end);
                self.token.text.clear();
                return true;
            }
            self.scratch.clear();
            fold(&self.text[start..end], &mut self.scratch);
            if self.scratch.is_empty() {
                continue;
            }
            self.emit(start, end);
            match self.stem_only {
                Some(prefixes)
                    if prefixes
                        .binary_search(&prefix_of(self.scratch.as_bytes()))
                        .is_err() =>
                {
                    self.token.text.clear();
                    self.token.text.push_str(&self.scratch);
                }
                _ => stem(
                    lend(&mut self.stems),
                    &self.scratch,
                    &mut self.token.text,
                    short_word_after(bytes, end).map(|next| next.key),
                ),
            }
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

impl SiftTokenStream<'_> {
    /// Emits the short ASCII word at `start..end`, stemmed by its packed
    /// key without folding it into `scratch` first (most of a text's
    /// words); false, emitting nothing, for a word that is not one.
    fn short_ascii(&mut self, start: usize, end: usize) -> bool {
        let bytes = self.text.as_bytes();
        let word = &bytes[start..end];
        if word.len() > SHORT_LEN || !word.is_ascii() {
            return false;
        }
        let key = ascii_key(bytes, start, end);
        if word.iter().all(u8::is_ascii_digit) {
            self.emit(start, end);
            self.token.text.clear();
            // SAFETY: ASCII digits, which the key keeps as they are.
            unsafe { push_packed(&mut self.token.text, key) };
            return true;
        }
        self.emit_short(ShortWord { start, end, key });
        true
    }

    /// Emits a short ASCII word that is not a number, and looks ahead:
    /// when the next word is short too, its bucket is prefetched and the
    /// word kept for the next call.
    fn emit_short(&mut self, word: ShortWord) {
        self.emit(word.start, word.end);
        self.token.text.clear();
        let stems = lend(&mut self.stems);
        stems.stem_key(word.key, &mut self.token.text);
        self.next_short = short_word_after(self.text.as_bytes(), word.end);
        if let Some(next) = self.next_short {
            stems.prefetch_short(next.key);
        }
    }

    /// Records the CJK run that starts at `start` and moves past it.
    fn start_cjk_run(&mut self, start: usize) {
        self.cjk.clear();
        self.cjk_next = 0;
        let mut end = start;
        for (offset, c) in self.text[start..].char_indices() {
            if !is_cjk(c) {
                break;
            }
            self.cjk.push(start + offset);
            end = start + offset + c.len_utf8();
        }
        self.cjk.push(end);
        self.cursor = end;
    }

    /// Emits the next bigram (or the unigram of a one-character run).
    fn next_cjk_gram(&mut self) -> bool {
        let chars = self.cjk.len().saturating_sub(1);
        let i = self.cjk_next;
        let last = if chars == 1 {
            1
        } else {
            chars.saturating_sub(1)
        };
        if i >= last {
            self.cjk.clear();
            self.cjk_next = 0;
            return false;
        }
        let (start, end) = (self.cjk[i], self.cjk[(i + 2).min(chars)]);
        self.cjk_next += 1;
        self.emit(start, end);
        self.token.text.clear();
        self.token.text.extend(self.text[start..end].nfkc());
        true
    }

    /// True for an ASCII word that `stem_only` says cannot match: its
    /// prefix (folding ASCII is lower-casing) is not listed.
    fn cannot_match(&self, word: &[u8]) -> bool {
        self.stem_only.is_some_and(|prefixes| {
            word.is_ascii() && prefixes.binary_search(&prefix_of(word)).is_err()
        })
    }

    fn emit(&mut self, start: usize, end: usize) {
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        self.token.position_length = 1;
    }
}

/// The end of the word starting at `start`: letters and digits, with single
/// apostrophes between them; CJK characters end a word.
fn word_end(text: &str, start: usize) -> usize {
    // ASCII letters and digits, and apostrophes between them, byte by byte;
    // the first non-ASCII byte hands over to the general loop below.
    let bytes = text.as_bytes();
    let mut end = start;
    while let Some(&b) = bytes.get(end) {
        let inner_apostrophe =
            b == b'\'' && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric);
        let apostrophe_before_non_ascii =
            b == b'\'' && bytes.get(end + 1).is_some_and(|&n| n >= 0x80);
        if b.is_ascii_alphanumeric() || inner_apostrophe {
            end += 1;
        } else if b >= 0x80 || apostrophe_before_non_ascii {
            break;
        } else {
            return end;
        }
    }
    let start = end;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        let is_word = c.is_alphanumeric() && !is_cjk(c) || is_combining_mark(c);
        let is_inner_apostrophe = matches!(c, '\'' | '’')
            && chars
                .peek()
                .is_some_and(|&(_, next)| next.is_alphanumeric() && !is_cjk(next));
        if !(is_word || is_inner_apostrophe) {
            break;
        }
        end = start + offset + c.len_utf8();
    }
    end
}

/// Width-folds, strips diacritics and lower-cases a word into `out`.
pub fn fold(word: &str, out: &mut String) {
    if word.is_ascii() {
        let start = out.len();
        out.push_str(word);
        out[start..].make_ascii_lowercase();
        return;
    }
    for c in word.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            '’' => out.push('\''),
            c => out.extend(c.to_lowercase()),
        }
    }
}

impl Drop for SiftTokenStream<'_> {
    fn drop(&mut self) {
        if let Some(stems) = self.stems.take() {
            // A thread that is ending has no cache to keep.
            let _ = STEMS.try_with(|cell| cell.set(Some(stems)));
        }
    }
}

/// The stem cache in `slot`, borrowed from the thread's first. (A second
/// stream alive on the same thread gets a cache of its own.)
fn lend(slot: &mut Option<StemCache>) -> &mut StemCache {
    slot.get_or_insert_with(|| {
        STEMS
            .try_with(Cell::take)
            .ok()
            .flatten()
            .unwrap_or_else(StemCache::new)
    })
}

/// Writes the English stem of a folded word into `out`; `next` is the cache
/// key of the word that follows, when it is short, to prefetch.
fn stem(stems: &mut StemCache, word: &str, out: &mut String, next: Option<u64>) {
    out.clear();
    if word.bytes().all(|b| b.is_ascii_digit()) {
        out.push_str(word);
        return;
    }
    stems.stem(word, out);
    if let Some(key) = next {
        stems.prefetch_short(key);
    }
}

/// The word after the word ending at `end`, when it is a short ASCII word
/// that starts with a letter and is not far off, keyed as `fold` and `pack`
/// would make it: exactly the word `advance` would find next. `None` tells
/// nothing about that word.
// Inlined: returned through memory, the word was stored and loaded right
// back (perf put 6 % of an index run's samples on that load; inlined, the
// wait shows up further on instead, but the instructions are fewer).
#[inline(always)]
fn short_word_after(bytes: &[u8], end: usize) -> Option<ShortWord> {
    const LOOK_AHEAD: usize = 8;
    let rest = bytes.get(end..)?;
    let start = rest
        .iter()
        .take(LOOK_AHEAD)
        .position(|b| b.is_ascii_alphanumeric() || !b.is_ascii())?;
    let rest = &rest[start..];
    if !rest[0].is_ascii_alphabetic() {
        return None;
    }
    let len = rest
        .iter()
        .take(SHORT_LEN + 1)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    // A longer word, or one that goes on with an apostrophe or a non-ASCII
    // letter, has another key.
    if len > SHORT_LEN || rest.get(len).is_some_and(|&b| b == b'\'' || !b.is_ascii()) {
        return None;
    }
    Some(ShortWord {
        start: end + start,
        end: end + start + len,
        key: ascii_key(rest, 0, len),
    })
}

/// Builds the analyzer to register in an index.
pub fn analyzer() -> tantivy::tokenizer::TextAnalyzer {
    tantivy::tokenizer::TextAnalyzer::builder(SiftTokenizer::default()).build()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tokens(text: &str) -> Vec<(String, usize, std::ops::Range<usize>)> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((
                token.text.clone(),
                token.position,
                token.offset_from..token.offset_to,
            ));
        }
        out
    }

    fn texts(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|(t, _, _)| t).collect()
    }

    macro_rules! token_tests {
        ($($name:ident: $text:expr => [$($token:expr),* $(,)?];)*) => {$(
            #[test]
            fn $name() {
                let expected: Vec<&str> = vec![$($token),*];
                assert_eq!(texts($text), expected);
            }
        )*};
    }

    token_tests! {
        stems_and_lowercases: "Retaliatory Measures, elections!" => ["retaliatori", "measur", "elect"];
        diacritics: "Müller BOGOTÁ café" => ["muller", "bogota", "cafe"];
        full_width: "ＡＢＣ　Ｎｅｗｓ" => ["abc", "news"];
        apostrophes: "Macron's party don't 'quoted'" => ["macron", "parti", "don't", "quot"];
        apostrophe_before_accent: "l'état d'Ivoire" => ["l'etat", "d'ivoir"];
        hyphens_split: "Jean-Marc" => ["jean", "marc"];
        numbers_kept: "Nov. 8 45th 2017" => ["nov", "8", "45th", "2017"];
        cjk_bigrams: "国际英语资讯" => ["国际", "际英", "英语", "语资", "资讯"];
        cjk_single: "中 x" => ["中", "x"];
        mixed: "国际英语资讯:France" => ["国际", "际英", "英语", "语资", "资讯", "franc"];
        cjk_punctuation_splits: "大熊猫，中国" => ["大熊", "熊猫", "中国"];
        empty: "" => [];
        punctuation_only: " -- ... " => [];
    }

    #[test]
    fn positions_and_offsets() {
        let got = tokens("PARIS 国际英 x");
        assert_eq!(
            got,
            vec![
                ("pari".to_string(), 0, 0..5),
                ("国际".to_string(), 1, 6..12),
                ("际英".to_string(), 2, 9..15),
                ("x".to_string(), 3, 16..17),
            ]
        );
    }

    #[test]
    fn cached_stems_equal_uncached_ones() {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut cache = StemCache::new();
        let words = [
            "measures",
            "retaliatory",
            "elections",
            "a",
            "internationalization",
            "x".repeat(30).leak(),
        ];
        for round in 0..2 {
            for word in words {
                let mut out = String::new();
                cache.stem(word, &mut out);
                assert_eq!(out, stemmer.stem(word), "{word}, round {round}");
            }
        }
    }

    #[test]
    fn the_short_table_grows_and_stays_right() {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut cache = StemCache::new();
        assert_eq!(cache.short_log2, SHORT_SLOTS_LOG2_FIRST);
        // 60,000 made-up words of 8 letters ("kelinged"...), stemmed twice:
        // enough new words to grow the table to its largest.
        let syllables = [
            "ba", "ke", "li", "mo", "nu", "ra", "si", "to", "ve", "zu", "es", "ed", "in", "ly",
            "at", "io", "ss", "er", "al", "ng",
        ];
        let words: Vec<String> = (0..60_000usize)
            .map(|n| {
                [n % 20, n / 20 % 20, n / 400 % 20, n / 8000]
                    .map(|i| syllables[i])
                    .concat()
            })
            .collect();
        for round in 0..2 {
            for word in &words {
                let mut out = String::new();
                cache.stem(word, &mut out);
                assert_eq!(out, stemmer.stem(word), "{word}, round {round}");
            }
        }
        assert_eq!(cache.short_log2, SHORT_SLOTS_LOG2);
        let start = cache.short.as_ptr() as usize;
        assert_eq!(start % HUGE_PAGE, 0, "the large table starts a huge page");
    }

    #[test]
    fn the_word_after_is_keyed_as_its_lookup_will_be() {
        let key = |text: &str, end: usize| short_word_after(text.as_bytes(), end).map(|w| w.key);
        assert_eq!(key("Retaliatory MEASURES", 11), Some(pack(b"measures")));
        assert_eq!(key("x, Ab3.", 1), Some(pack(b"ab3")));
        for no_key in [
            "x Longwords",
            "x don't",
            "x cafe\u{301}",
            "x café",
            "x 45th",
            "x          far",
            "x",
        ] {
            assert_eq!(key(no_key, 1), None, "{no_key}");
        }
        // Wherever a key is given, it is the next word's, folded.
        let text = "The IMF's chief, Kristalina Georgieva, said on Tuesday: 'Growth \
                    is SLOWING in 2019' — café owners in São Paulo agreed. x1 Y2k";
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut ends = Vec::new();
        while let Some(token) = stream.next() {
            ends.push(token.offset_to);
        }
        let mut keyed = 0;
        for pair in ends.windows(2) {
            if let Some(k) = key(text, pair[0]) {
                let next = &text[pair[0]..];
                let start = next.find(|c: char| c.is_alphanumeric()).unwrap_or(0);
                let word: String = next[start..]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                let mut folded = String::new();
                fold(&word, &mut folded);
                assert_eq!(k, pack(folded.as_bytes()), "after {}", pair[0]);
                keyed += 1;
            }
        }
        // All but the words after "The", "chief", "Kristalina", "in" (2019),
        // "2019" (a dash), "in" (São): fourteen.
        assert_eq!(keyed, 14);
    }

    #[test]
    fn snippet_tokenizer_stems_only_what_can_match() {
        let mut tokenizer = SiftTokenizer::for_terms(["measur"]);
        let mut texts = |text| {
            let mut stream = tokenizer.token_stream(text);
            let mut texts = Vec::new();
            while let Some(token) = stream.next() {
                texts.push(token.text.clone());
            }
            texts
        };
        assert_eq!(texts("Measures others elections"), ["measur", "", ""]);
        // Not ASCII: folded to find the prefix, then stemmed if it is listed.
        assert_eq!(texts("Éclat MÉASURES"), ["eclat", "measur"]);
    }

    #[test]
    fn every_word_begins_as_its_stem_says() {
        // One word or more for each way stemming changes a word's end.
        let words = [
            "measures",
            "happy",
            "happily",
            "hoping",
            "hope",
            "hopping",
            "capability",
            "possibility",
            "relational",
            "valency",
            "agreed",
            "generalization",
            "dying",
            "lying",
            "skies",
            "tying",
            "ugly",
            "early",
            "only",
            "gently",
            "sky",
            "cries",
            "ties",
            "being",
            "be",
            "news",
            "luxuriating",
            "macron's",
            "45th",
            "a",
            "x",
        ];
        let stemmer = Stemmer::create(Algorithm::English);
        for word in words {
            let stem = stemmer.stem(word);
            let starts = word_starts(&stem);
            assert!(
                starts.iter().any(|start| word.starts_with(start)),
                "{word} stems to {stem}, begins as none of {starts:?}"
            );
        }
        assert_eq!(word_starts("hope"), ["hop"]);
        assert_eq!(word_starts("happi"), ["happ"]);
        assert_eq!(word_starts("capabl"), ["capab"]);
        assert_eq!(word_starts("measur"), ["measur"]);
        assert_eq!(word_starts("die"), ["di", "dying"]);
        assert_eq!(word_starts("be"), ["be"], "never shorter than two bytes");
    }

    #[test]
    fn the_snippet_tokenizer_stems_irregular_words() {
        let mut tokenizer = SiftTokenizer::for_terms(["die"]);
        let mut stream = tokenizer.token_stream("Dying dies");
        let mut texts = Vec::new();
        while let Some(token) = stream.next() {
            texts.push(token.text.clone());
        }
        assert_eq!(texts, ["die", "die"]);
    }

    #[test]
    fn overlong_words_are_dropped() {
        let text = format!("a {} b", "x".repeat(MAX_WORD_BYTES + 1));
        assert_eq!(texts(&text), vec!["a", "b"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn offsets_are_char_boundaries_in_order(text in "\\PC{0,60}") {
            let mut last = 0;
            for (_, position, range) in tokens(&text) {
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
                prop_assert!(range.start < range.end);
                prop_assert!(position >= last);
                last = position;
            }
        }

        #[test]
        fn tokens_are_the_stems_of_the_folded_words(
            text in "([A-Za-z0-9']{1,12}|[ ,.;-]{1,3}|é|ß|ＡＢ){0,40}"
        ) {
            // Short ASCII words take a path of their own (`short_ascii`);
            // every word must come out as the plain steps would make it.
            let stemmer = Stemmer::create(Algorithm::English);
            for (token, _, range) in tokens(&text) {
                let mut folded = String::new();
                fold(&text[range], &mut folded);
                let expected = if folded.bytes().all(|b| b.is_ascii_digit()) {
                    folded.clone()
                } else {
                    stemmer.stem(&folded).into_owned()
                };
                prop_assert_eq!(token, expected, "{:?}", folded);
            }
        }

        #[test]
        fn ascii_words_are_found_where_they_are(text in "([A-Za-z0-9']{1,12}|[ ,.;'-]{1,9}){0,40}") {
            // Letters and digits, with apostrophes between them; words
            // found ahead (`short_word_after`) must land on the same spans.
            let words = regex::Regex::new("[A-Za-z0-9]+('[A-Za-z0-9]+)*").expect("a valid pattern");
            let expected: Vec<_> = words
                .find_iter(&text)
                .map(|m| m.range())
                .filter(|range| range.len() <= MAX_WORD_BYTES)
                .collect();
            let found: Vec<_> = tokens(&text).into_iter().map(|(_, _, range)| range).collect();
            prop_assert_eq!(found, expected);
        }
    }
}
