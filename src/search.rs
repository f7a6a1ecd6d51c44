//! Searching: a query string to ranked [`Hit`]s, and stored dispatches by
//! path.
//!
//! Queries use tantivy's query language over the title (boosted), the body
//! and the category's words; ranking is BM25. Every hit carries its stored
//! fields and a snippet: the best fragment of the body, with the byte ranges
//! of the matched terms. This module reads the index only; rendering is
//! `output`'s job.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{Query, QueryParser, TermQuery};
use tantivy::schema::{IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::normalize::Date;
use crate::schema::{self, Fields};

/// How much more a match in the title weighs than one in the body.
pub const TITLE_BOOST: f32 = 2.0;

/// The default snippet length, in characters.
pub const DEFAULT_SNIPPET_CHARS: usize = 200;

/// What to search for and how many hits to return.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// The index folder.
    pub index_dir: PathBuf,
    /// The query, in sift's query language.
    pub query: String,
    /// At most this many hits.
    pub limit: usize,
    /// Hits to pass over first, for paging.
    pub offset: usize,
    /// Match documents holding any of the words, rather than all of them.
    pub any: bool,
    /// Snippet length in characters.
    pub snippet_chars: usize,
}

/// A fragment of a document's body, with its matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The fragment, on one line.
    pub text: String,
    /// Byte ranges of `text` that matched the query, in order.
    pub highlights: Vec<(usize, usize)>,
}

/// One ranked search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// 1-based rank, counting from the first hit of the whole result list.
    pub rank: usize,
    /// The BM25 score.
    pub score: f32,
    /// Path relative to the corpus root.
    pub path: String,
    /// The title.
    pub title: String,
    /// The category, if any.
    pub category: Option<String>,
    /// The dateline's place, if any.
    pub place: Option<String>,
    /// The date, when its year is known (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The date as the dateline writes it (`Feb. 15`).
    pub date_text: Option<String>,
    /// The dateline's agency, if any.
    pub agency: Option<String>,
    /// The best fragment of the body.
    pub snippet: Snippet,
}

/// A page of hits, with the number of documents that matched in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    /// Documents matching the query.
    pub total: usize,
    /// The hits of the requested page, best first.
    pub hits: Vec<Hit>,
}

/// A stored dispatch, whole, as `sift show` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDispatch {
    /// Path relative to the corpus root.
    pub path: String,
    /// The title.
    pub title: String,
    /// The category, if any.
    pub category: Option<String>,
    /// The dateline's place.
    pub place: Option<String>,
    /// The date, when its year is known (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The date as written.
    pub date_text: Option<String>,
    /// The dateline's agency.
    pub agency: Option<String>,
    /// The de-duplicated paragraphs.
    pub paragraphs: Vec<String>,
    /// How many paragraphs were removed as duplicates.
    pub paragraphs_removed: u64,
    /// The encoding the file was decoded from.
    pub encoding: String,
    /// Characters that could not be decoded.
    pub replacements: u64,
    /// File size in bytes.
    pub size: u64,
}

/// Runs a query and returns one page of ranked hits.
pub fn search(options: &SearchOptions) -> Result<Hits> {
    let (index, fields) = schema::open(&options.index_dir)?;
    let searcher = searcher(&index, &options.index_dir)?;
    let query = parse(&index, &fields, &options.query, options.any)?;
    let index_err = |err| Error::index(&options.index_dir, err);
    if options.limit == 0 {
        let total = searcher.search(&query, &Count).map_err(index_err)?;
        return Ok(Hits {
            total,
            hits: Vec::new(),
        });
    }
    let top = TopDocs::with_limit(options.limit)
        .and_offset(options.offset)
        .order_by_score();
    let (top, total) = searcher.search(&query, &(top, Count)).map_err(index_err)?;
    let mut snippets =
        SnippetGenerator::create(&searcher, &*query, fields.body).map_err(index_err)?;
    snippets.set_max_num_chars(options.snippet_chars);
    let hits = top
        .into_iter()
        .enumerate()
        .map(|(i, (score, address))| {
            let doc: TantivyDocument = searcher.doc(address).map_err(index_err)?;
            let snippet = snippet(
                &snippets,
                text(&doc, fields.body).unwrap_or_default(),
                options.snippet_chars,
            );
            Ok(Hit {
                rank: options.offset + i + 1,
                score,
                path: text(&doc, fields.path).unwrap_or_default().to_string(),
                title: text(&doc, fields.title).unwrap_or_default().to_string(),
                category: owned(text(&doc, fields.category)),
                place: owned(text(&doc, fields.place)),
                date: date(&doc, &fields),
                date_text: owned(text(&doc, fields.date_text)),
                agency: owned(text(&doc, fields.agency)),
                snippet,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Hits { total, hits })
}

/// Parses a query over the title, body and category words.
fn parse(index: &tantivy::Index, fields: &Fields, text: &str, any: bool) -> Result<Box<dyn Query>> {
    let invalid = |reason: String| Error::Query {
        query: text.to_string(),
        reason,
    };
    if text.trim().is_empty() {
        return Err(invalid("the query is empty".to_string()));
    }
    let mut parser =
        QueryParser::for_index(index, vec![fields.title, fields.body, fields.category_text]);
    parser.set_field_boost(fields.title, TITLE_BOOST);
    if !any {
        parser.set_conjunction_by_default();
    }
    parser
        .parse_query(text)
        .map_err(|err| invalid(err.to_string()))
}

/// The snippet of a body: the best fragment, or the body's start when the
/// body holds no match (the query matched the title only).
fn snippet(generator: &SnippetGenerator, body: &str, max_chars: usize) -> Snippet {
    let found = generator.snippet(body);
    let (text, highlights) = if found.fragment().is_empty() {
        let end = body
            .char_indices()
            .nth(max_chars)
            .map_or(body.len(), |(i, _)| i);
        (body[..end].to_string(), Vec::new())
    } else {
        let ranges = found
            .highlighted()
            .iter()
            .map(|r| (r.start, r.end))
            .collect();
        (found.fragment().to_string(), ranges)
    };
    // Paragraphs are `\n`-joined; one byte for another keeps the ranges valid.
    Snippet {
        text: text.replace('\n', " "),
        highlights,
    }
}

/// Reads the stored dispatch at `path`.
pub fn show(index_dir: &Path, path: &str) -> Result<StoredDispatch> {
    let (index, fields) = schema::open(index_dir)?;
    let searcher = searcher(&index, index_dir)?;
    let query = TermQuery::new(
        Term::from_field_text(fields.path, path),
        IndexRecordOption::Basic,
    );
    let top = TopDocs::with_limit(1).order_by_score();
    let index_err = |err| Error::index(index_dir, err);
    let found: Vec<(f32, DocAddress)> = searcher.search(&query, &top).map_err(index_err)?;
    let (_, address) = found
        .first()
        .ok_or_else(|| Error::NotFound(path.to_string()))?;
    let doc: TantivyDocument = searcher.doc(*address).map_err(index_err)?;
    let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
    Ok(StoredDispatch {
        path: path.to_string(),
        title: text(&doc, fields.title).unwrap_or_default().to_string(),
        category: owned(text(&doc, fields.category)),
        place: owned(text(&doc, fields.place)),
        date: date(&doc, &fields),
        date_text: owned(text(&doc, fields.date_text)),
        agency: owned(text(&doc, fields.agency)),
        paragraphs: text(&doc, fields.body)
            .filter(|body| !body.is_empty())
            .map(|body| body.split('\n').map(str::to_string).collect())
            .unwrap_or_default(),
        paragraphs_removed: number(fields.removed),
        encoding: text(&doc, fields.encoding).unwrap_or_default().to_string(),
        replacements: number(fields.replacements),
        size: number(fields.size),
    })
}

fn searcher(index: &tantivy::Index, dir: &Path) -> Result<Searcher> {
    let reader = index.reader().map_err(|err| Error::index(dir, err))?;
    Ok(reader.searcher())
}

fn text(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_string)
}

fn date(doc: &TantivyDocument, fields: &Fields) -> Option<String> {
    let value = doc.get_first(fields.date)?.as_datetime()?;
    let days = value.into_timestamp_secs().div_euclid(86_400);
    Some(Date::from_days_since_epoch(days).to_string())
}
