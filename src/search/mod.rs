//! Searching: a query to ranked [`Hit`]s, and stored dispatches by path.
//!
//! An [`Engine`] opens the index once and answers any number of
//! [`Request`]s (one query each, or a batch). Queries use the language of
//! [`query`] over the title (boosted), the body and the category's words;
//! ranking is BM25, or date with score as tie-break. Every hit carries its
//! stored fields and a snippet: the best fragment of the body, with the byte
//! ranges of the matched terms. Filters (place, agency, category, dates)
//! restrict hits without changing scores; [`facets`] counts hits per value.
//! This module reads the index only; rendering is `output`'s job.

pub mod facets;
pub mod query;
pub mod stop_words;

use std::ops::Bound;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DateTime, DocAddress, DocId, Index, Score, Searcher, SegmentReader, TantivyDocument,
};

use self::facets::FacetCollector;
pub use self::facets::Facets;
pub use self::query::{QueryBuilder, QueryOptions, TITLE_BOOST};
pub use self::stop_words::StopWords;
use crate::error::{Error, Result};
use crate::normalize::Date;
use crate::schema::{self, Fields};

/// The default snippet length, in characters.
pub const DEFAULT_SNIPPET_CHARS: usize = 200;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Best BM25 score first.
    #[default]
    Score,
    /// Newest date first; undated documents last; score breaks ties.
    Date,
}

/// Restrictions on hits that do not change their scores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only this place (case ignored).
    pub place: Option<String>,
    /// Only this agency (case ignored).
    pub agency: Option<String>,
    /// Only this category (case ignored).
    pub category: Option<String>,
    /// Only dates on or after this day.
    pub since: Option<Date>,
    /// Only dates on or before this day.
    pub until: Option<Date>,
}

/// One search to run.
#[derive(Debug, Clone)]
pub struct Request {
    /// The query, in sift's query language.
    pub query: String,
    /// How the query text is read.
    pub query_options: QueryOptions,
    /// Restrictions on hits.
    pub filters: Filters,
    /// At most this many hits (0: count only).
    pub limit: usize,
    /// Hits to pass over first, for paging.
    pub offset: usize,
    /// Hit order.
    pub sort: SortBy,
    /// Snippet length in characters (0: no snippet).
    pub snippet_chars: usize,
    /// Count hits per category, place and agency.
    pub facets: bool,
    /// Explain each hit's score.
    pub explain: bool,
}

impl Request {
    /// A request for a query, with the defaults of the command line.
    pub fn new(query: impl Into<String>) -> Request {
        Request {
            query: query.into(),
            query_options: QueryOptions::default(),
            filters: Filters::default(),
            limit: 10,
            offset: 0,
            sort: SortBy::Score,
            snippet_chars: DEFAULT_SNIPPET_CHARS,
            facets: false,
            explain: false,
        }
    }
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
    /// Why the hit scored as it did, with `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<serde_json::Value>,
}

/// A page of hits, with the number of documents that matched in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    /// Documents matching the query.
    pub total: usize,
    /// The hits of the requested page, best first.
    pub hits: Vec<Hit>,
    /// Hit counts per value, with `facets`.
    pub facets: Option<Facets>,
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

/// An open index, ready for searches.
pub struct Engine {
    index: Index,
    fields: Fields,
    searcher: Searcher,
    dir: PathBuf,
}

impl Engine {
    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<Engine> {
        let (index, fields) = schema::open(dir)?;
        let reader = index.reader().map_err(|err| Error::index(dir, err))?;
        Ok(Engine {
            searcher: reader.searcher(),
            index,
            fields,
            dir: dir.to_path_buf(),
        })
    }

    fn index_err(&self, err: tantivy::TantivyError) -> Error {
        Error::index(&self.dir, err)
    }

    /// Runs one request.
    pub fn search(&self, request: &Request) -> Result<Hits> {
        let builder = QueryBuilder::new(&self.index, &self.fields, request.query_options);
        let query = self.filtered(builder.build(&request.query)?, &request.filters);
        let searcher = &self.searcher;
        let (total, facets) = if request.facets {
            let (total, facets) = searcher
                .search(&query, &(Count, FacetCollector))
                .map_err(|err| self.index_err(err))?;
            (total, Some(facets))
        } else {
            (
                searcher
                    .search(&query, &Count)
                    .map_err(|err| self.index_err(err))?,
                None,
            )
        };
        if request.limit == 0 || total <= request.offset {
            return Ok(Hits {
                total,
                hits: Vec::new(),
                facets,
            });
        }
        let top = self.top(&query, request)?;
        let mut snippets = SnippetGenerator::create(searcher, &*query, self.fields.body)
            .map_err(|err| self.index_err(err))?;
        snippets.set_max_num_chars(request.snippet_chars.max(1));
        let hits = top
            .into_iter()
            .enumerate()
            .map(|(i, (score, address))| {
                self.hit(
                    request,
                    &*query,
                    &snippets,
                    request.offset + i + 1,
                    score,
                    address,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Hits {
            total,
            hits,
            facets,
        })
    }

    /// The page of (score, address) pairs the request asks for, in order.
    fn top(&self, query: &dyn Query, request: &Request) -> Result<Vec<(Score, DocAddress)>> {
        let top = TopDocs::with_limit(request.limit).and_offset(request.offset);
        let found = match request.sort {
            SortBy::Score => self.searcher.search(query, &top.order_by_score()),
            SortBy::Date => self
                .searcher
                .search(query, &top.tweak_score(date_then_score))
                .map(|hits| {
                    hits.into_iter()
                        .map(|((_, score), address)| (score, address))
                        .collect()
                }),
        };
        found.map_err(|err| self.index_err(err))
    }

    fn hit(
        &self,
        request: &Request,
        query: &dyn Query,
        snippets: &SnippetGenerator,
        rank: usize,
        score: Score,
        address: DocAddress,
    ) -> Result<Hit> {
        let fields = &self.fields;
        let doc: TantivyDocument = self
            .searcher
            .doc(address)
            .map_err(|err| self.index_err(err))?;
        let snippet = if request.snippet_chars == 0 {
            Snippet {
                text: String::new(),
                highlights: Vec::new(),
            }
        } else {
            snippet(
                snippets,
                text(&doc, fields.body).unwrap_or_default(),
                request.snippet_chars,
            )
        };
        let explanation = if request.explain {
            let explanation = query
                .explain(&self.searcher, address)
                .map_err(|err| self.index_err(err))?;
            serde_json::from_str(&explanation.to_pretty_json()).ok()
        } else {
            None
        };
        Ok(Hit {
            rank,
            score,
            path: text(&doc, fields.path).unwrap_or_default().to_string(),
            title: text(&doc, fields.title).unwrap_or_default().to_string(),
            category: owned(text(&doc, fields.category)),
            place: owned(text(&doc, fields.place)),
            date: date(&doc, fields),
            date_text: owned(text(&doc, fields.date_text)),
            agency: owned(text(&doc, fields.agency)),
            snippet,
            explanation,
        })
    }

    /// The query restricted by the filters; filters add nothing to scores.
    fn filtered(&self, query: Box<dyn Query>, filters: &Filters) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let keyword = |field: Field, value: &Option<String>| {
            value.as_ref().map(|value| {
                let term = Term::from_field_text(field, &value.to_lowercase());
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>
            })
        };
        let dates = (filters.since.is_some() || filters.until.is_some()).then(|| {
            let day = |d: Option<Date>| d.map_or(Bound::Unbounded, Bound::Included);
            query::date_range(fields.date, day(filters.since), day(filters.until))
        });
        let restrictions = [
            keyword(fields.place, &filters.place),
            keyword(fields.agency, &filters.agency),
            keyword(fields.category, &filters.category),
            dates,
        ];
        for restriction in restrictions.into_iter().flatten() {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(restriction, 0.0)),
            ));
        }
        if clauses.is_empty() {
            return query;
        }
        clauses.push((Occur::Must, query));
        Box::new(BooleanQuery::new(clauses))
    }

    /// Reads the stored dispatch at `path`.
    pub fn show(&self, path: &str) -> Result<StoredDispatch> {
        let fields = &self.fields;
        let query = TermQuery::new(
            Term::from_field_text(fields.path, path),
            IndexRecordOption::Basic,
        );
        let top = TopDocs::with_limit(1).order_by_score();
        let found: Vec<(f32, DocAddress)> = self
            .searcher
            .search(&query, &top)
            .map_err(|err| self.index_err(err))?;
        let (_, address) = found
            .first()
            .ok_or_else(|| Error::NotFound(path.to_string()))?;
        let doc: TantivyDocument = self
            .searcher
            .doc(*address)
            .map_err(|err| self.index_err(err))?;
        let number = |field| doc.get_first(field).and_then(|v| v.as_u64()).unwrap_or(0);
        Ok(StoredDispatch {
            path: path.to_string(),
            title: text(&doc, fields.title).unwrap_or_default().to_string(),
            category: owned(text(&doc, fields.category)),
            place: owned(text(&doc, fields.place)),
            date: date(&doc, fields),
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
}

/// The sort key of `--sort date`: the date (undated last), then the score.
fn date_then_score(segment: &SegmentReader) -> impl Fn(DocId, Score) -> (i64, Score) + use<> {
    let dates = segment.fast_fields().date("date").ok();
    move |doc, score| {
        let date = dates
            .as_ref()
            .and_then(|column| column.first(doc))
            .map_or(i64::MIN, DateTime::into_timestamp_secs);
        (date, score)
    }
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
