//! The index schema, defined once; the analyzers it names; opening an index
//! checked against both.
//!
//! Stages never look fields up by name: they take a [`Fields`] handle. Any
//! change to the fields or their options must bump [`SCHEMA_VERSION`], which
//! every commit records, so that an index written by another version is
//! refused with a clear message instead of misread.

use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use tantivy::error::DataCorruption;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Directory, Index, IndexSettings, ReloadPolicy, Searcher, TantivyError};

use crate::analyzer;
use crate::error::{Error, Result};
use crate::store_dictionary::{self, Writing};

/// The version of the schema below; recorded with every commit.
pub const SCHEMA_VERSION: u32 = 3;

/// The analyzer for exact-match fields: the whole value, lower-cased.
pub const KEYWORD: &str = "sift_keyword";

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Path relative to the corpus root: the document's key.
    pub path: Field,
    /// The title, searched and boosted.
    pub title: Field,
    /// The de-duplicated paragraphs that are not boilerplate, `\n`-joined.
    pub body: Field,
    /// The boilerplate paragraphs, one value each: stored, not searched.
    pub boilerplate: Field,
    /// Their positions among the kept paragraphs.
    pub boilerplate_at: Field,
    /// Hashes of every kept paragraph's key but the first's: counted across
    /// the corpus to find boilerplate. A column, not terms: nearly every
    /// paragraph is unique, and a term each cost 7 % of the index.
    pub paragraph_keys: Field,
    /// The subset of `paragraph_keys` this document was indexed treating as
    /// boilerplate: where it differs from the corpus's verdict, the document
    /// is rewritten.
    pub boilerplate_keys: Field,
    /// LSH bands of the story's words: near-identical story candidates. A
    /// column too, for the same reason.
    pub bands: Field,
    /// The category prefix, for exact filters.
    pub category: Field,
    /// The category analyzed as text, so that part of it can be searched.
    pub category_text: Field,
    /// The dateline's place.
    pub place: Field,
    /// The dateline's agency.
    pub agency: Field,
    /// The dateline's date, when its year is known.
    pub date: Field,
    /// The dateline's date as written (`Feb. 15`).
    pub date_text: Field,
    /// Hash of the normalized text.
    pub fingerprint: Field,
    /// Duplicate-story group.
    pub dup_group: Field,
    /// File modification time (ns since the epoch).
    pub mtime: Field,
    /// File size in bytes.
    pub size: Field,
    /// How many paragraphs were kept.
    pub paragraphs: Field,
    /// How many paragraphs were removed as duplicates.
    pub removed: Field,
    /// The encoding the file was decoded from.
    pub encoding: Field,
    /// How many characters could not be decoded.
    pub replacements: Field,
}

/// The level of zstd compression for stored documents, from
/// `bench/indexing.py` runs: see `bench/RESULTS.md`.
pub const STORE_ZSTD_LEVEL: i32 = 1;

/// The shortest match zstd may use in the store: 6 bytes instead of level
/// 1's 5 (for blocks this small). Fewer, longer matches leave fewer
/// sequences to decode: on the store of 100,000 generated dispatches a
/// block decompresses 6 % faster and compresses 9 % faster, for 0.5 %
/// more store (`bench/store_blocks.py`, bench/RESULTS.md, session 12).
/// 7 bytes: 7 % faster reads for 1.5 % more store, which the index's size
/// target has no room for.
const STORE_MIN_MATCH: u32 = 6;

/// Sets how zstd compresses the store's blocks for this process, beyond
/// the level the index settings carry (tantivy passes on only the level):
/// the minimum match, and the dictionary of the index in `dir`, if it has
/// one (returns whether). To be called before an index writer is made; the
/// [`Writing`] returned is to be kept until the writer is done.
pub fn configure_store_compression(dir: &Path) -> Result<(bool, Writing)> {
    zstd::bulk::set_min_match(STORE_MIN_MATCH);
    store_dictionary::use_for_writing(dir, STORE_ZSTD_LEVEL)
}

/// Bytes of documents per compressed block of the store. Reading a hit
/// back decompresses its whole block: on 100,000 generated dispatches
/// (~2.4 KB stored each), tantivy's 16 KiB made decompression half of a
/// query's instructions. Smaller blocks read faster and, alone, compress
/// worse: 10 KiB was the smallest the index's size target allowed
/// (bench/RESULTS.md, sessions 8 and 9). With the store's dictionary
/// (`store_dictionary`), 4 KiB blocks make a smaller store than 10 KiB
/// blocks without, and read a block in 0.6× the time (session 12). An
/// index keeps the block size it was made with.
const STORE_BLOCK_BYTES: usize = 4 * 1024;

/// Index settings: the document store is compressed with zstd, which keeps
/// the index well under the size of an lz4 store for about the same CPU,
/// in blocks of [`STORE_BLOCK_BYTES`]. (zstd is patched to reuse its
/// contexts across blocks: `vendor/README.md`.) They are written into the
/// index when it is made: an index keeps the block size it was made with.
/// Blocks are compressed on the indexing thread that fills them
/// ([`compress_store_inline`]).
pub fn settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: Compressor::Zstd(ZstdCompressor {
            compression_level: Some(STORE_ZSTD_LEVEL),
        }),
        docstore_blocksize: STORE_BLOCK_BYTES,
        docstore_compress_dedicated_thread: false,
        ..IndexSettings::default()
    }
}

/// Has the index's store blocks compressed by the indexing thread that
/// fills them, as [`settings`] does for a new index; an index made before
/// (whose settings say otherwise) is written so too. tantivy's default, a
/// thread per segment that compresses what the indexing thread hands it,
/// woke that thread for every block: on 100,000 dispatches, ~70,000
/// voluntary context switches and 3.3 s of system time against ~17,000 and
/// 1.7 s inline; every core is busy indexing anyway (bench/RESULTS.md,
/// session 14).
pub fn compress_store_inline(index: &mut Index) {
    index.settings_mut().docstore_compress_dedicated_thread = false;
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer::NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = whole_value(KEYWORD);
    let path = whole_value("raw");
    let fields = Fields {
        path: builder.add_text_field("path", path),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text.clone()),
        boilerplate: builder.add_text_field("boilerplate", STORED),
        boilerplate_at: builder.add_u64_field("boilerplate_at", STORED),
        paragraph_keys: builder.add_u64_field("paragraph_keys", FAST),
        boilerplate_keys: builder.add_u64_field("boilerplate_keys", INDEXED),
        bands: builder.add_u64_field("bands", FAST),
        category: builder.add_text_field("category", keyword.clone()),
        category_text: builder.add_text_field(
            "category_text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer::NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        place: builder.add_text_field("place", keyword.clone()),
        agency: builder.add_text_field("agency", keyword),
        date: builder.add_date_field(
            "date",
            DateOptions::from(INDEXED | STORED | FAST).set_precision(DateTimePrecision::Seconds),
        ),
        date_text: builder.add_text_field("date_text", STORED),
        fingerprint: builder.add_u64_field("fingerprint", FAST),
        dup_group: builder.add_u64_field("dup_group", FAST),
        // Read from their columns only: not stored twice.
        mtime: builder.add_u64_field("mtime", FAST),
        size: builder.add_u64_field("size", FAST),
        paragraphs: builder.add_u64_field("paragraphs", FAST),
        removed: builder.add_u64_field("removed", FAST),
        encoding: builder.add_text_field("encoding", STORED),
        replacements: builder.add_u64_field("replacements", STORED),
    };
    (builder.build(), fields)
}

/// A field indexed as one token by `tokenizer`, stored, with a column. One
/// token: its field norm would always be 1, which is what tantivy assumes
/// without norms.
fn whole_value(tokenizer: &str) -> TextOptions {
    TextOptions::default()
        .set_stored()
        .set_fast("raw")
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
}

/// Opens the index in `dir` for reading or writing: checks that it exists,
/// was written by this schema version, and registers the analyzers.
pub fn open(dir: &Path) -> Result<(Index, Fields)> {
    let missing = || Error::NoIndex {
        path: dir.to_path_buf(),
    };
    if !dir.join("meta.json").is_file() {
        return Err(missing());
    }
    let index = Index::open_in_dir(dir).map_err(|err| Error::index(dir, err))?;
    let (schema, fields) = build();
    let head = commit_head(&index).map_err(|err| Error::index(dir, err))?;
    let version = recorded_version(head.payload.as_deref());
    // An index created by a run killed before its first commit holds nothing.
    if version.is_none() && head.segments.is_empty() && index.schema() == schema {
        return Err(missing());
    }
    if index.schema() != schema || version != Some(SCHEMA_VERSION) {
        return Err(Error::SchemaVersion {
            path: dir.to_path_buf(),
            found: version.map_or_else(|| "unknown".to_string(), |v| v.to_string()),
            expected: SCHEMA_VERSION,
        });
    }
    register_analyzers(&index);
    Ok((index, fields))
}

/// Opens the index in `dir` and a searcher on its last commit.
///
/// A writer in another process may commit while this runs and delete the
/// segment files of the commit being opened; that shows as a file that
/// vanished, and the open starts again on the newer commit.
pub fn open_searcher(dir: &Path) -> Result<(Index, Fields, Searcher)> {
    let mut attempts = 0;
    loop {
        let opened = open(dir).and_then(|(index, fields)| {
            let searcher = searcher(&index).map_err(|err| Error::index(dir, err))?;
            // After the commit is chosen: its dictionary was written before it.
            store_dictionary::add_for_reading(dir)?;
            Ok((index, fields, searcher))
        });
        match opened {
            Err(err) if attempts < 20 && is_vanished_file(&err) => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(10 * attempts));
            }
            result => return result,
        }
    }
}

/// A searcher on the index's last commit. The reader is not reloaded:
/// tantivy's default would start a thread watching meta.json.
pub fn searcher(index: &Index) -> tantivy::Result<Searcher> {
    let reader: tantivy::IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(reader.searcher())
}

/// Whether an error says that a file of the index disappeared.
fn is_vanished_file(err: &Error) -> bool {
    use tantivy::directory::error::OpenReadError;
    let Error::Index { source, .. } = err else {
        return false;
    };
    matches!(
        source,
        TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(_))
    ) || crate::error::io_cause(source).is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// What sift reads of the last commit besides what tantivy keeps: whether
/// it holds segments, and its payload.
#[derive(Debug, Deserialize)]
pub struct CommitHead {
    segments: Vec<IgnoredAny>,
    /// The payload sift recorded with the commit, if any.
    pub payload: Option<String>,
}

/// Reads the last commit's head from `meta.json`, skipping the rest:
/// tantivy's own reading builds the whole schema again (~200,000
/// instructions, ~8 % of a one-word search in its own process), and
/// opening an index and a reader already reads it twice.
pub fn commit_head(index: &Index) -> tantivy::Result<CommitHead> {
    let meta = Path::new("meta.json");
    let bytes = index.directory().atomic_read(meta)?;
    serde_json::from_slice(&bytes).map_err(|err| {
        DataCorruption::new(meta.to_path_buf(), format!("meta.json is not valid: {err}")).into()
    })
}

/// The schema version the last commit recorded in its payload, if any.
fn recorded_version(payload: Option<&str>) -> Option<u32> {
    serde_json::from_str::<serde_json::Value>(payload?)
        .ok()?
        .get("schema_version")?
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
}

/// Registers sift's analyzers on an index. Tokenizers are not stored in the
/// index, so this follows every `Index::open` and `Index::create`.
pub fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(analyzer::NAME, analyzer::analyzer());
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

#[cfg(test)]
mod tests {
    use super::{
        STORE_MIN_MATCH, STORE_ZSTD_LEVEL, build, commit_head, configure_store_compression,
        register_analyzers,
    };

    #[test]
    fn the_commit_head_is_what_tantivy_reads() -> tantivy::Result<()> {
        let index = tantivy::Index::create_in_ram(build().0);
        register_analyzers(&index);
        let head = commit_head(&index)?;
        assert!(head.segments.is_empty());
        assert_eq!(head.payload, None);
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        writer.add_document(tantivy::TantivyDocument::new())?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload("{\"schema_version\": 3}");
        prepared.commit()?;
        let (head, metas) = (commit_head(&index)?, index.load_metas()?);
        assert_eq!(head.segments.len(), metas.segments.len());
        assert_eq!(head.segments.len(), 1);
        assert_eq!(head.payload, metas.payload);
        Ok(())
    }

    /// The patched zstd (`vendor/zstd`) reuses one context per thread for
    /// the store's blocks: it must write what a fresh context with the
    /// store's settings writes, at any level, after a failed call too, and
    /// read it all back.
    #[test]
    fn reused_zstd_contexts_write_what_fresh_ones_write() {
        let no_dictionary = tempfile::tempdir().unwrap();
        let (has_dictionary, _writing) = configure_store_compression(no_dictionary.path()).unwrap();
        assert!(!has_dictionary);
        // Text of made-up words, varied enough that the levels differ.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut syllable = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ["ka", "ro", "mi", "te", "su", "na", "vo", "li", " ", ". "][(state % 10) as usize]
        };
        let blocks: Vec<Vec<u8>> = (0..40u32)
            .map(|n| {
                (0..n * 400)
                    .map(|_| syllable())
                    .collect::<String>()
                    .into_bytes()
            })
            .collect();
        for (n, block) in blocks.iter().enumerate() {
            let level = [STORE_ZSTD_LEVEL, 3, 19][n % 3];
            if n % 5 == 0 {
                // Too small a destination: the call fails mid-frame.
                let mut tiny = [0u8; 4];
                let _ = zstd::bulk::compress_to_buffer(&blocks[39], &mut tiny, level);
            }
            let mut reused = vec![0u8; zstd::zstd_safe::compress_bound(block.len())];
            let written = zstd::bulk::compress_to_buffer(block, &mut reused, level).unwrap();
            reused.truncate(written);
            let mut fresh = zstd::bulk::Compressor::new(level).unwrap();
            fresh
                .set_parameter(zstd::zstd_safe::CParameter::MinMatch(STORE_MIN_MATCH))
                .unwrap();
            let fresh = fresh.compress(block).unwrap();
            assert!(reused == fresh, "block {n} at level {level}: other bytes");

            let mut back = vec![0u8; block.len()];
            if n % 7 == 0 {
                // Damaged input: the call fails mid-frame.
                let mut damaged = reused.clone();
                damaged.truncate(reused.len() / 2);
                assert!(zstd::bulk::decompress_to_buffer(&damaged, &mut back).is_err());
            }
            let read = zstd::bulk::decompress_to_buffer(&reused, &mut back).unwrap();
            assert_eq!(&back[..read], &block[..], "block {n}");
        }
    }

    /// The patched tantivy (`vendor/tantivy`) subscribes each token of a
    /// text a few tokens after reading it: every token must still be in the
    /// postings, at its position, in texts shorter and longer than that
    /// look-ahead and its ring of pending tokens, and in a field's second
    /// value.
    #[test]
    fn postings_hold_every_token_at_its_position() -> tantivy::Result<()> {
        use std::collections::BTreeMap;

        use tantivy::postings::Postings;
        use tantivy::schema::IndexRecordOption;
        use tantivy::{DocSet, TERMINATED, TantivyDocument, Term};

        let (schema, fields) = build();
        let index = tantivy::Index::create_in_ram(schema);
        register_analyzers(&index);
        let words = "Sift reads the wire; the wire reads sift. Paris, Feb. 15 (Xinhua) -- \
                     growth slowed, growth rose, and the wire said sift twice: sift."
            .split(' ')
            .collect::<Vec<_>>();
        // Each document: one value of every length, then the whole text
        // twice as two values.
        let mut docs: Vec<Vec<String>> = (0..=words.len())
            .map(|n| vec![words[..n].join(" ")])
            .collect();
        docs.push(vec![words.join(" "), words.join(" ")]);
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        for values in &docs {
            let mut doc = TantivyDocument::new();
            for value in values {
                doc.add_text(fields.body, value);
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;

        // term -> doc -> positions, as tantivy numbers them.
        let mut expected: BTreeMap<String, BTreeMap<u32, Vec<u32>>> = BTreeMap::new();
        let mut analyzer = index.tokenizer_for_field(fields.body)?;
        for (doc, values) in docs.iter().enumerate() {
            let mut offset = 0;
            for value in values {
                let mut end = offset;
                let mut stream = analyzer.token_stream(value);
                while let Some(token) = stream.next() {
                    let position = offset + token.position as u32;
                    end = end.max(position + token.position_length as u32);
                    let at = expected.entry(token.text.clone()).or_default();
                    at.entry(doc as u32).or_default().push(position);
                }
                offset = end + 1;
            }
        }
        assert!(expected.len() > 10, "{expected:?}");

        let searcher = index.reader()?.searcher();
        let inverted = searcher.segment_reader(0).inverted_index(fields.body)?;
        assert_eq!(inverted.terms().num_terms(), expected.len());
        for (text, at) in &expected {
            let term = Term::from_field_text(fields.body, text);
            let mut postings = inverted
                .read_postings(&term, IndexRecordOption::WithFreqsAndPositions)?
                .unwrap_or_else(|| panic!("{text:?} is not indexed"));
            let mut found = BTreeMap::new();
            while postings.doc() != TERMINATED {
                let mut positions = Vec::new();
                postings.positions(&mut positions);
                found.insert(postings.doc(), positions);
                postings.advance();
            }
            assert_eq!(&found, at, "{text:?}");
        }
        Ok(())
    }
}
