//! Normalization: a [`RawFile`]'s bytes to a [`Dispatch`], by pure functions.
//!
//! The steps, each in its own module: [`decode`] (encoding, line ends, NFC),
//! [`paragraphs`] (title line and paragraphs from either layout),
//! [`dateline`] (category, title, place, date, agency) and [`dedup`]
//! (repeated paragraphs). Nothing here touches the file system or the index;
//! the same input always gives the same `Dispatch`.
//!
//! A file that does not look like a dispatch (no dateline, no category) is
//! still a `Dispatch`: its title is the first non-empty line and its body
//! the rest.

pub mod dateline;
pub mod decode;
pub mod dedup;
pub mod paragraphs;
pub mod story;

use rustc_hash::FxHashMap;
use serde::Serialize;

pub use self::dateline::{Date, Dateline};
use crate::raw_file::RawFile;

/// The version of the normalization rules. Bump it whenever a change could
/// normalize a file differently: the next `sift index` then re-reads every
/// file instead of trusting unchanged sizes and times.
pub const NORMALIZE_VERSION: u32 = 4;

/// Settings that change how files normalize.
#[derive(Debug, Clone)]
pub struct NormalizeOptions {
    /// The year of datelines whose path states none.
    pub year: Option<i32>,
    /// Remove repeated paragraphs (on by default; off only to measure what
    /// removing them does).
    pub dedup: bool,
    /// Also remove paragraphs at least this similar to an earlier one (see
    /// [`dedup`]); 0 removes exact repeats only.
    pub near_dup: f32,
}

/// The default near-duplicate similarity threshold.
pub const DEFAULT_NEAR_DUP: f32 = 0.9;

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions {
            year: None,
            dedup: true,
            near_dup: DEFAULT_NEAR_DUP,
        }
    }
}

/// A dispatch as sift understands it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dispatch {
    /// Path relative to the corpus root.
    pub path: String,
    /// The title, without category prefix.
    pub title: String,
    /// The category prefix of the title line, if any.
    pub category: Option<String>,
    /// The dateline of the first paragraph, if any.
    pub dateline: Option<Dateline>,
    /// The dateline's date with its year, when a year is known.
    pub date: Option<Date>,
    /// The de-duplicated paragraphs, in first-seen order; the dateline stays
    /// at the head of the first.
    pub paragraphs: Vec<String>,
    /// For each kept paragraph, whether it is corpus boilerplate: kept out
    /// of the searchable body. Normalizing one file cannot know; the
    /// indexer marks them ([`Dispatch::mark_boilerplate`]).
    pub boilerplate: Vec<bool>,
    /// The paragraphs removed as exact or near repeats.
    pub removed: Vec<dedup::Removal>,
    /// For each kept paragraph, its [`story::key_hash`].
    #[serde(skip)]
    pub keys: Vec<u64>,
    /// The LSH bands of the story's words ([`story::Sketch`]).
    #[serde(skip)]
    pub bands: Vec<u64>,
    /// The encoding the file was decoded from.
    pub encoding: &'static str,
    /// Characters that could not be decoded and were replaced.
    pub replacements: usize,
    /// A hash of the normalized title and paragraphs: equal for files that
    /// normalize to the same text.
    pub fingerprint: u64,
    /// The file's modification time, in nanoseconds since the Unix epoch.
    pub mtime: u64,
    /// The file's size in bytes.
    pub size: u64,
}

/// Normalizes one file.
pub fn normalize(file: &RawFile, options: &NormalizeOptions) -> Dispatch {
    let decoded = decode::decode(&file.bytes);
    let (title_line, paragraphs) = paragraphs::split(&decoded.text);
    let (category, title) = dateline::split_title(&title_line);
    let dateline = paragraphs.first().and_then(|p| dateline::parse_dateline(p));
    let year = dateline::year_from_path(&file.rel_path).or(options.year);
    let date = dateline
        .as_ref()
        .and_then(|d| d.month_day)
        .zip(year)
        .and_then(|((month, day), year)| Date::new(year, month, day));
    let deduped = if options.dedup {
        dedup::dedup(paragraphs, options.near_dup)
    } else {
        dedup::Deduped::keep_all(paragraphs)
    };
    let fingerprint = fingerprint(&title_line, &deduped.kept);
    // The sketch reads the title's words, then the kept paragraphs'.
    let mut words = Vec::with_capacity(deduped.words.len() + 16);
    dedup::key_words(&title, &mut words);
    words.extend_from_slice(&deduped.words);
    Dispatch {
        path: file.rel_path.clone(),
        title,
        category,
        dateline,
        date,
        boilerplate: vec![false; deduped.kept.len()],
        paragraphs: deduped.kept,
        removed: deduped.removed,
        keys: deduped.keys,
        bands: story::bands(&words),
        encoding: decoded.encoding,
        replacements: decoded.replacements,
        fingerprint,
        mtime: file.mtime,
        size: file.size,
    }
}

/// What became of one paragraph of a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The paragraph as split from the file (white space collapsed).
    pub text: String,
    /// 1-based number of the paragraph it repeats, if it was removed.
    pub duplicate_of: Option<usize>,
    /// Its similarity to that paragraph, when it was removed as a near
    /// (not exact) repeat.
    pub similarity: Option<f32>,
    /// The number of stories of the index it stands in, when that makes it
    /// boilerplate.
    pub boilerplate_in: Option<u32>,
}

/// How one file normalizes, paragraph by paragraph: what `sift inspect`
/// shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    /// The dispatch the file becomes.
    pub dispatch: Dispatch,
    /// Every paragraph of the file, in order, kept or not.
    pub paragraphs: Vec<Verdict>,
}

/// Normalizes one file and says what happened to each of its paragraphs.
pub fn inspect(file: &RawFile, options: &NormalizeOptions) -> Inspection {
    let dispatch = normalize(file, options);
    // The file's paragraphs before de-duplication, split the same way.
    let decoded = decode::decode(&file.bytes);
    let (_, all) = paragraphs::split(&decoded.text);
    let removed: std::collections::HashMap<usize, dedup::Removal> =
        dispatch.removed.iter().map(|r| (r.position, *r)).collect();
    let paragraphs = all
        .into_iter()
        .enumerate()
        .map(|(i, text)| Verdict {
            text,
            duplicate_of: removed.get(&i).map(|r| r.original + 1),
            similarity: removed.get(&i).and_then(|r| r.similarity),
            boilerplate_in: None,
        })
        .collect();
    Inspection {
        dispatch,
        paragraphs,
    }
}

impl Inspection {
    /// Marks boilerplate from corpus counts: `stories[i]` is the number of
    /// stories the `i`th kept paragraph stands in; `threshold` makes one
    /// boilerplate.
    pub fn mark_boilerplate(&mut self, stories: &[u32], threshold: u32) {
        let is_boilerplate = |n: u32| threshold > 0 && n >= threshold;
        let by_key: FxHashMap<u64, u32> = self
            .dispatch
            .keys
            .iter()
            .copied()
            .zip(stories.iter().copied())
            .collect();
        self.dispatch
            .mark_boilerplate(|key| by_key.get(&key).is_some_and(|&n| is_boilerplate(n)));
        let kept = self
            .paragraphs
            .iter_mut()
            .filter(|v| v.duplicate_of.is_none());
        for ((verdict, &n), &marked) in kept.zip(stories).zip(&self.dispatch.boilerplate) {
            verdict.boilerplate_in = marked.then_some(n);
        }
    }
}

/// FNV-1a over the title line and paragraphs: stable across builds and
/// platforms, unlike `std`'s hasher, since fingerprints are stored.
fn fingerprint(title_line: &str, paragraphs: &[String]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in std::iter::once(title_line).chain(paragraphs.iter().map(String::as_str)) {
        for &byte in part.as_bytes().iter().chain(b"\n") {
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }
    hash
}

impl Dispatch {
    /// The body as searched and stored: the kept paragraphs that are not
    /// boilerplate, joined by `\n`.
    pub fn body(&self) -> String {
        let bytes: usize = self.searchable().map(|p| p.len() + 1).sum();
        let mut body = String::with_capacity(bytes);
        for (i, paragraph) in self.searchable().enumerate() {
            if i > 0 {
                body.push('\n');
            }
            body.push_str(paragraph);
        }
        body
    }

    /// The kept paragraphs that are not boilerplate.
    pub fn searchable(&self) -> impl Iterator<Item = &str> {
        self.paragraphs
            .iter()
            .zip(&self.boilerplate)
            .filter(|(_, boilerplate)| !**boilerplate)
            .map(|(p, _)| p.as_str())
    }

    /// The boilerplate paragraphs with their positions among the kept ones.
    pub fn boilerplate_paragraphs(&self) -> impl Iterator<Item = (usize, &str)> {
        self.paragraphs
            .iter()
            .zip(&self.boilerplate)
            .enumerate()
            .filter(|(_, (_, boilerplate))| **boilerplate)
            .map(|(i, (p, _))| (i, p.as_str()))
    }

    /// The kept paragraphs that may be boilerplate, as (position, key):
    /// all but the first, which holds the dateline, and those of
    /// punctuation only (key 0). Only these are counted across the corpus.
    pub fn countable_keys(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.keys
            .iter()
            .copied()
            .enumerate()
            .skip(1)
            .filter(|&(_, key)| key != 0)
    }

    /// Marks the kept paragraphs whose key `is_boilerplate` says is
    /// boilerplate, among the [countable](Dispatch::countable_keys) ones.
    pub fn mark_boilerplate(&mut self, is_boilerplate: impl Fn(u64) -> bool) {
        let mut marks = vec![false; self.keys.len()];
        for (position, key) in self.countable_keys() {
            marks[position] = is_boilerplate(key);
        }
        self.boilerplate = marks;
    }

    /// Renders the dispatch back as text, category prefix included, with
    /// blank lines between paragraphs. Normalizing this text again gives the
    /// same dispatch.
    pub fn to_text(&self) -> String {
        let mut text = match &self.category {
            Some(category) => format!("{category}:{}", self.title),
            None => self.title.clone(),
        };
        for paragraph in &self.paragraphs {
            text.push_str("\n\n");
            text.push_str(paragraph);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const REFERENCE: &str = include_str!("../../corpus/000_e9f58710e6d47200.txt");

    fn raw(path: &str, text: &str) -> RawFile {
        RawFile {
            rel_path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
            mtime: 0,
            size: text.len() as u64,
        }
    }

    #[test]
    fn reference_dispatch() {
        let d = normalize(&raw("000.txt", REFERENCE), &NormalizeOptions::default());
        assert_eq!(d.category.as_deref(), Some("国际英语资讯"));
        assert_eq!(
            d.title,
            "France not to accept any foreign meddling in presidential election: FM"
        );
        assert_eq!(d.paragraphs.len(), 8);
        assert_eq!(d.removed.len(), 8);
        assert_eq!((d.removed[0].position, d.removed[0].original), (8, 0));
        let dateline = d.dateline.expect("the reference dispatch has a dateline");
        assert_eq!(dateline.place, "PARIS");
        assert_eq!(dateline.agency.as_deref(), Some("Xinhua"));
        assert_eq!(d.date, None);
    }

    #[test]
    fn inspection_numbers_every_paragraph() {
        let inspection = inspect(
            &raw("a.txt", "T\nOne.\nTwo.\nONE"),
            &NormalizeOptions::default(),
        );
        let verdicts: Vec<(&str, Option<usize>)> = inspection
            .paragraphs
            .iter()
            .map(|v| (v.text.as_str(), v.duplicate_of))
            .collect();
        assert_eq!(verdicts, [("One.", None), ("Two.", None), ("ONE", Some(1))]);
        assert_eq!(inspection.dispatch.paragraphs, ["One.", "Two."]);
    }

    #[test]
    fn boilerplate_is_shown_not_searched() {
        let mut inspection = inspect(
            &raw("a.txt", "T\nLead.\nBody.\nLead.\nEditor: Zhang Wei"),
            &NormalizeOptions::default(),
        );
        inspection.mark_boilerplate(&[9, 1, 7], 5);
        let seen: Vec<Option<u32>> = inspection
            .paragraphs
            .iter()
            .map(|v| v.boilerplate_in)
            .collect();
        // The first paragraph never is; the repeat is a repeat.
        assert_eq!(seen, [None, None, None, Some(7)]);
        let d = &inspection.dispatch;
        assert_eq!(d.boilerplate, [false, false, true]);
        assert_eq!(d.body(), "Lead.\nBody.");
        assert!(d.to_text().ends_with("Editor: Zhang Wei"));
        assert_eq!(
            d.boilerplate_paragraphs().collect::<Vec<_>>(),
            [(2, "Editor: Zhang Wei")]
        );
    }

    #[test]
    fn year_from_path_or_option() {
        let text = "T\nPARIS, Feb. 15 (Xinhua) -- x";
        let d = normalize(&raw("2017/02/a.txt", text), &NormalizeOptions::default());
        assert_eq!(d.date, Date::new(2017, 2, 15));
        let d = normalize(
            &raw("a.txt", text),
            &NormalizeOptions {
                year: Some(2016),
                ..NormalizeOptions::default()
            },
        );
        assert_eq!(d.date, Date::new(2016, 2, 15));
        let d = normalize(
            &raw("2017/a.txt", "T\nPARIS, Feb. 30 (Xinhua) -- x"),
            &NormalizeOptions::default(),
        );
        assert_eq!(d.date, None);
    }

    #[test]
    fn not_a_dispatch() {
        let d = normalize(
            &raw("notes.txt", "\n\nShopping list\neggs\nmilk"),
            &NormalizeOptions::default(),
        );
        assert_eq!(d.title, "Shopping list");
        assert_eq!(d.paragraphs, vec!["eggs milk".to_string()]);
        assert_eq!(d.dateline, None);
        assert_eq!(d.category, None);
    }

    #[test]
    fn same_text_same_fingerprint() {
        let options = NormalizeOptions::default();
        let a = normalize(&raw("a.txt", "T\n\nOne.\n\nTwo."), &options);
        let b = normalize(&raw("b.txt", "T\r\n\r\nOne.\r\n\r\nTwo.\r\n"), &options);
        let c = normalize(&raw("c.txt", "T\n\nOne.\n\nThree."), &options);
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn normalizing_is_idempotent(text in "[a-zA-Z国际英语:：,.() \n\r-]{0,200}") {
            let options = NormalizeOptions::default();
            let once = normalize(&raw("a.txt", &text), &options);
            let twice = normalize(&raw("a.txt", &once.to_text()), &options);
            prop_assert_eq!(&twice.title, &once.title);
            prop_assert_eq!(&twice.category, &once.category);
            prop_assert_eq!(&twice.paragraphs, &once.paragraphs);
            prop_assert_eq!(&twice.dateline, &once.dateline);
            prop_assert!(twice.removed.is_empty());
        }

        #[test]
        fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let file = RawFile { rel_path: "x".into(), bytes, mtime: 0, size: 0 };
            let _ = normalize(&file, &NormalizeOptions::default());
        }
    }
}
