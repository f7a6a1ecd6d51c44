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

mod batch;
pub mod facets;
mod fragments;
pub mod query;
pub mod stop_words;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memchr::memmem;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Term, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DateTime, DocAddress, DocId, Index, Score, Searcher, SegmentReader, TantivyDocument,
};

pub use self::batch::Answer;
use self::facets::FacetCollector;
pub use self::facets::Facets;
use self::fragments::Fragment;
pub use self::query::{QueryBuilder, QueryOptions, TITLE_BOOST};
pub use self::stop_words::StopWords;
use crate::analyzer::{self, SiftTokenizer};
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
    /// Show every file of a story filed more than once, not just its best.
    pub all_copies: bool,
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
            all_copies: false,
        }
    }
}

/// A story on a page of hits: its best file's score and address, and the
/// addresses of its other files.
type Ranked = (Score, DocAddress, Vec<(Score, DocAddress)>);

/// A fragment of a document's body, with its matches marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The fragment, on one line.
    pub text: String,
    /// Byte ranges of `text` that matched the query, in order.
    pub highlights: Vec<(usize, usize)>,
}

/// What names and places a stored dispatch: shared by hits and `show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
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
}

impl Heading {
    /// The full date if known, else the dateline's own words.
    pub fn date_or_text(&self) -> Option<&str> {
        self.date.as_deref().or(self.date_text.as_deref())
    }
}

/// One ranked search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// 1-based rank, counting from the first hit of the whole result list.
    pub rank: usize,
    /// The BM25 score.
    pub score: f32,
    /// Path, title, category, place, date, agency.
    #[serde(flatten)]
    pub heading: Heading,
    /// The best fragment of the body.
    pub snippet: Snippet,
    /// Why the hit scored as it did, with `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<serde_json::Value>,
    /// Paths of the other files holding the same story (identical after
    /// normalization, or near-identical) that match the query, folded into
    /// this hit unless `all_copies`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<String>,
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
    /// Path, title, category, place, date, agency.
    #[serde(flatten)]
    pub heading: Heading,
    /// The de-duplicated paragraphs, boilerplate included, in order.
    pub paragraphs: Vec<String>,
    /// The positions in `paragraphs` (from 0) of boilerplate paragraphs:
    /// shown, not searched.
    pub boilerplate: Vec<usize>,
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
    /// Each segment's `dup_group` column, opened by the first request that
    /// groups copies: opening a column looks its name up in the segment's
    /// column directory, which for every request cost 1.5 % of a batch.
    groups: OnceLock<Vec<Option<Column<u64>>>>,
}

impl Engine {
    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<Engine> {
        let (index, fields, searcher) = schema::open_searcher(dir)?;
        Ok(Engine {
            searcher,
            index,
            fields,
            dir: dir.to_path_buf(),
            groups: OnceLock::new(),
        })
    }

    fn index_err(&self, err: tantivy::TantivyError) -> Error {
        Error::index(&self.dir, err)
    }

    /// Runs one request.
    pub fn search(&self, request: &Request) -> Result<Hits> {
        let builder = QueryBuilder::new(&self.index, &self.fields, request.query_options);
        let query = self.filtered(builder.build(&request.query)?, &request.filters);
        let facets = if request.facets {
            let facets = self
                .searcher
                .search(&query, &FacetCollector)
                .map_err(|err| self.index_err(err))?;
            Some(facets)
        } else {
            None
        };
        let (total, top) = self.top(&query, request)?;
        if top.is_empty() {
            return Ok(Hits {
                total,
                hits: Vec::new(),
                facets,
            });
        }
        let snippets = Snippets::new(
            &self.searcher,
            &*query,
            self.fields.body,
            request.snippet_chars,
        )
        .map_err(|err| self.index_err(err))?;
        let hits = top
            .into_iter()
            .enumerate()
            .map(|(i, (score, address, copies))| {
                let (address, copies) = self.best_member(score, address, copies)?;
                let mut hit = self.hit(
                    request,
                    &*query,
                    &snippets,
                    request.offset + i + 1,
                    score,
                    address,
                )?;
                hit.copies = copies;
                Ok(hit)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Hits {
            total,
            hits,
            facets,
        })
    }

    /// The number of matching documents and the page the request asks for,
    /// in order: (score, address, the addresses of its copies).
    ///
    /// Unless `all_copies`, files of one story (one `dup_group`) show once,
    /// at the rank of their best. Exact copies score alike and rank
    /// together: the page is cut from the first `2 × (offset + limit) + 16`
    /// hits, fetched again four times as deep while copies could still lie
    /// past the cut. A near-identical copy that ranks below the cut is not
    /// listed among its story's copies, but never shows as a story of its
    /// own: any deeper page also holds its story's better file.
    fn top(&self, query: &dyn Query, request: &Request) -> Result<(usize, Vec<Ranked>)> {
        let want = request.offset + request.limit;
        if request.all_copies || request.limit == 0 {
            let (total, hits) =
                self.top_files(query, request.sort, request.limit, request.offset)?;
            let page = hits.into_iter().map(|(s, a)| (s, a, Vec::new())).collect();
            return Ok((total, page));
        }
        let mut depth = want * 2 + 16;
        loop {
            let (total, hits) = self.top_files(query, request.sort, depth, 0)?;
            let exhausted = hits.len() < depth;
            let last_score = hits.last().map(|&(score, _)| score);
            let stories = self.collapse(hits);
            // By date, copies filed under other years' paths may rank apart;
            // by score they tie, so a lower score past the cut settles it.
            let settled = stories.len() > want
                && (request.sort == SortBy::Date
                    || last_score.is_some_and(|last| last < stories[want - 1].0));
            if exhausted || settled {
                let page = stories.into_iter().skip(request.offset).take(request.limit);
                return Ok((total, page.collect()));
            }
            depth *= 4;
        }
    }

    /// Groups ranked files by story, keeping rank order of each story's
    /// best file.
    fn collapse(&self, hits: Vec<(Score, DocAddress)>) -> Vec<Ranked> {
        let groups = self.groups.get_or_init(|| {
            let segments = self.searcher.segment_readers();
            segments
                .iter()
                .map(|segment| segment.fast_fields().u64("dup_group").ok())
                .collect()
        });
        let mut stories: Vec<Ranked> = Vec::new();
        let mut story_of: rustc_hash::FxHashMap<u64, usize> = Default::default();
        for (score, address) in hits {
            let group = groups
                .get(address.segment_ord as usize)
                .and_then(Option::as_ref)
                .and_then(|column| column.first(address.doc_id));
            match group.and_then(|g| story_of.get(&g)) {
                Some(&story) => stories[story].2.push((score, address)),
                None => {
                    if let Some(group) = group {
                        story_of.insert(group, stories.len());
                    }
                    stories.push((score, address, Vec::new()));
                }
            }
        }
        stories
    }

    /// A story's file to show and its copies' paths, in path order. The
    /// best-ranked file shows; among files that score alike (exact copies),
    /// the first by path, so that the choice does not depend on index order.
    fn best_member(
        &self,
        best_score: Score,
        best: DocAddress,
        copies: Vec<(Score, DocAddress)>,
    ) -> Result<(DocAddress, Vec<String>)> {
        if copies.is_empty() {
            return Ok((best, Vec::new()));
        }
        let mut members = Vec::with_capacity(copies.len() + 1);
        for (score, address) in std::iter::once((best_score, best)).chain(copies) {
            let doc: TantivyDocument = self
                .searcher
                .doc(address)
                .map_err(|err| self.index_err(err))?;
            let path = text(&doc, self.fields.path).unwrap_or_default().to_string();
            let tied = score >= best_score;
            members.push((!tied, path, address));
        }
        members.sort();
        let shown = members.remove(0).2;
        let mut paths: Vec<String> = members.into_iter().map(|(_, path, _)| path).collect();
        paths.sort();
        Ok((shown, paths))
    }

    /// The number of matching documents and one page of them, files not
    /// grouped, from one pass over the matches.
    fn top_files(
        &self,
        query: &dyn Query,
        sort: SortBy,
        limit: usize,
        offset: usize,
    ) -> Result<(usize, Vec<(Score, DocAddress)>)> {
        if limit == 0 {
            let total = self.searcher.search(query, &Count);
            return total
                .map(|t| (t, Vec::new()))
                .map_err(|err| self.index_err(err));
        }
        let top = TopDocs::with_limit(limit).and_offset(offset);
        let found = match sort {
            SortBy::Score => self.searcher.search(query, &(Count, top.order_by_score())),
            SortBy::Date => self
                .searcher
                .search(query, &(Count, top.tweak_score(date_then_score)))
                .map(|(total, hits)| {
                    let hits = hits
                        .into_iter()
                        .map(|((_, score), address)| (score, address))
                        .collect();
                    (total, hits)
                }),
        };
        found.map_err(|err| self.index_err(err))
    }

    fn hit(
        &self,
        request: &Request,
        query: &dyn Query,
        snippets: &Snippets,
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
            snippets.of(text(&doc, fields.body).unwrap_or_default())
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
            heading: heading(&doc, fields),
            snippet,
            explanation,
            copies: Vec::new(),
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
        let fast = self
            .searcher
            .segment_reader(address.segment_ord)
            .fast_fields();
        let column = |name| {
            let column = fast.u64(name).ok();
            column.and_then(|c| c.first(address.doc_id)).unwrap_or(0)
        };
        let body: Vec<String> = text(&doc, fields.body)
            .filter(|body| !body.is_empty())
            .map(|body| body.split('\n').map(str::to_string).collect())
            .unwrap_or_default();
        let boilerplate: Vec<(usize, String)> = doc
            .get_all(fields.boilerplate_at)
            .filter_map(|v| v.as_u64())
            .zip(doc.get_all(fields.boilerplate).filter_map(|v| v.as_str()))
            .map(|(at, text)| (usize::try_from(at).unwrap_or(usize::MAX), text.to_string()))
            .collect();
        let (paragraphs, boilerplate) = interleave(body, boilerplate);
        Ok(StoredDispatch {
            heading: heading(&doc, fields),
            paragraphs,
            boilerplate,
            paragraphs_removed: column("removed"),
            encoding: text(&doc, fields.encoding).unwrap_or_default().to_string(),
            replacements: number(fields.replacements),
            size: column("size"),
        })
    }
}

/// Puts boilerplate paragraphs back among the searchable ones at their
/// positions; returns all paragraphs and where the boilerplate ones are.
fn interleave(body: Vec<String>, boilerplate: Vec<(usize, String)>) -> (Vec<String>, Vec<usize>) {
    let mut paragraphs = Vec::with_capacity(body.len() + boilerplate.len());
    let mut positions = Vec::with_capacity(boilerplate.len());
    let mut body = body.into_iter();
    for (at, text) in boilerplate {
        while paragraphs.len() < at {
            match body.next() {
                Some(paragraph) => paragraphs.push(paragraph),
                None => break,
            }
        }
        positions.push(paragraphs.len());
        paragraphs.push(text);
    }
    paragraphs.extend(body);
    (paragraphs, positions)
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

/// Snippet making for one query: the best fragment ([`fragments::best`],
/// tantivy's choice) of the places that can hold a match.
///
/// Finding the best fragment means analyzing the text, stemming included;
/// over whole bodies that was a third of a query's time. A word can only
/// stem to a query term if it begins as the term's words do
/// ([`analyzer::word_starts`]), so only the text around such beginnings is
/// analyzed: windows around the first few in an ASCII body, the paragraphs
/// holding one otherwise (lower-casing is not folding there). When those
/// hold no match, the whole body is analyzed, unless it is ASCII and no
/// word of it begins so: then no word of it can match (a hit that matched
/// in its title only; 80 % of the benchmark's hits).
struct Snippets {
    analyzer: TextAnalyzer,
    /// The query's body terms, analyzed, with their scores.
    terms: Vec<(String, Score)>,
    /// Searchers for how the terms' words begin, in lower-cased text.
    needles: Vec<memmem::Finder<'static>>,
    max_chars: usize,
}

impl Snippets {
    fn new(
        searcher: &Searcher,
        query: &dyn Query,
        body: Field,
        max_chars: usize,
    ) -> tantivy::Result<Snippets> {
        let mut terms: Vec<Term> = Vec::new();
        query.query_terms(&mut |term, _| {
            if term.field() == body && !terms.contains(term) {
                terms.push(term.clone());
            }
        });
        // Scored as tantivy's SnippetGenerator::create scores them: rarer
        // terms make better fragments.
        let mut scored = BTreeMap::new();
        for term in &terms {
            let value = term.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let doc_freq = searcher.doc_freq(term)?;
            if doc_freq > 0 {
                scored.insert(text.to_string(), 1.0 / (1.0 + doc_freq as Score));
            }
        }
        let needles = scored
            .keys()
            .flat_map(|term| analyzer::word_starts(term))
            .map(|start| memmem::Finder::new(start).into_owned())
            .collect();
        let tokenizer = SiftTokenizer::for_terms(scored.keys().map(String::as_str));
        let analyzer = TextAnalyzer::builder(tokenizer).build();
        Ok(Snippets {
            analyzer,
            terms: scored.into_iter().collect(),
            needles,
            max_chars,
        })
    }

    /// The paragraphs that may hold a match.
    fn paragraphs<'a>(&self, body: &'a str) -> Vec<&'a str> {
        body.split('\n')
            .filter(|paragraph| {
                let lower = paragraph.to_lowercase();
                self.needles
                    .iter()
                    .any(|needle| needle.find(lower.as_bytes()).is_some())
            })
            .collect()
    }

    /// For ASCII text (where lower-casing keeps byte offsets): the stretches
    /// of one snippet's length on either side of the first few words that
    /// begin as a term's words do, merged, in order.
    fn windows<'a>(&self, body: &'a str) -> Vec<&'a str> {
        const PLACES: usize = 3;
        let lower = body.to_ascii_lowercase();
        let lower = lower.as_bytes();
        let starts_word = |at: usize| at == 0 || !lower[at - 1].is_ascii_alphanumeric();
        let mut places: Vec<usize> = self
            .needles
            .iter()
            .flat_map(|needle| {
                needle
                    .find_iter(lower)
                    .filter(|&at| starts_word(at))
                    .take(PLACES)
            })
            .collect();
        places.sort_unstable();
        places.truncate(PLACES);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for at in places {
            let start = at.saturating_sub(self.max_chars);
            let end = (at + self.max_chars).min(body.len());
            match spans.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => spans.push((start, end)),
            }
        }
        // Cut at spaces, so that no word is split into a false match.
        spans
            .into_iter()
            .map(|(start, end)| {
                let start = if start == 0 {
                    0
                } else {
                    body[start..end].find(' ').map_or(start, |i| start + i + 1)
                };
                let end = if end == body.len() {
                    end
                } else {
                    body[start..end].rfind(' ').map_or(end, |i| start + i)
                };
                &body[start..end.max(start)]
            })
            .collect()
    }

    /// The snippet of a body: the best fragment, or the body's start when
    /// the body holds no match (the query matched the title only).
    fn of(&self, body: &str) -> Snippet {
        if self.max_chars == 0 {
            return Snippet {
                text: String::new(),
                highlights: Vec::new(),
            };
        }
        let (text, highlights) = match self.best(body) {
            Some((text, fragment)) => (
                text[fragment.start..fragment.end].to_string(),
                fragment.highlights,
            ),
            None => {
                let end = body
                    .char_indices()
                    .nth(self.max_chars)
                    .map_or(body.len(), |(i, _)| i);
                (body[..end].to_string(), Vec::new())
            }
        };
        // Paragraphs are `\n`-joined; one byte for another keeps the ranges valid.
        Snippet {
            text: text.replace('\n', " "),
            highlights,
        }
    }

    /// The best fragment, with the text its ranges are in: of the places
    /// that may hold a match, else of the whole body (see [`Snippets`]).
    fn best<'a>(&self, body: &'a str) -> Option<(Cow<'a, str>, Fragment)> {
        if self.needles.is_empty() {
            return None;
        }
        let ascii = body.is_ascii();
        let places = if ascii {
            self.windows(body)
        } else {
            self.paragraphs(body)
        };
        if !places.is_empty() {
            let joined = places.join("\n");
            if let Some(fragment) = self.best_in(&joined) {
                return Some((Cow::Owned(joined), fragment));
            }
        } else if ascii {
            return None;
        }
        self.best_in(body)
            .map(|fragment| (Cow::Borrowed(body), fragment))
    }

    fn best_in(&self, text: &str) -> Option<Fragment> {
        let mut analyzer = self.analyzer.clone();
        fragments::best(&mut analyzer, text, &self.terms, self.max_chars.max(1))
    }
}

fn text(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

/// The heading fields of a stored document.
fn heading(doc: &TantivyDocument, fields: &Fields) -> Heading {
    Heading {
        path: text(doc, fields.path).unwrap_or_default().to_string(),
        title: text(doc, fields.title).unwrap_or_default().to_string(),
        category: owned(text(doc, fields.category)),
        place: owned(text(doc, fields.place)),
        date: date(doc, fields),
        date_text: owned(text(doc, fields.date_text)),
        agency: owned(text(doc, fields.agency)),
    }
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_string)
}

fn date(doc: &TantivyDocument, fields: &Fields) -> Option<String> {
    let value = doc.get_first(fields.date)?.as_datetime()?;
    let days = value.into_timestamp_secs().div_euclid(86_400);
    Some(Date::from_days_since_epoch(days).to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::crawl::CrawlOptions;
    use crate::index::{self, IndexOptions};
    use crate::normalize::NormalizeOptions;

    #[test]
    fn any_value_is_asked_only_of_fields_with_a_column() {
        let (_dir, engine) = sample_engine();
        for text in ["title:*", "body:*", "panda AND title:*"] {
            match engine.search(&Request::new(text)) {
                Err(Error::Query { reason, .. }) => {
                    assert!(
                        reason.contains("works only for category"),
                        "{text}: {reason}"
                    )
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let with_category = engine
            .search(&Request::new("category:*"))
            .expect("answered");
        assert!(with_category.total > 0);
        let all = engine.search(&Request::new("-zzzzqqq")).expect("answered");
        assert!(
            with_category.total < all.total,
            "some sample files have no category"
        );
    }

    #[test]
    fn boilerplate_goes_back_at_its_positions() {
        let body = ["a", "b", "c"].map(String::from).to_vec();
        let (all, at) = interleave(body.clone(), vec![(1, "x".into()), (4, "y".into())]);
        assert_eq!(all, ["a", "x", "b", "c", "y"]);
        assert_eq!(at, [1, 4]);
        let (all, at) = interleave(body.clone(), Vec::new());
        assert_eq!((all, at), (body, Vec::new()));
        // Positions past the end (a damaged document) land at the end.
        let (all, at) = interleave(vec!["a".into()], vec![(9, "x".into())]);
        assert_eq!((all, at), (vec!["a".to_string(), "x".into()], vec![1]));
    }

    /// The sample corpus, indexed into a temporary folder.
    fn sample_engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let options = IndexOptions {
            corpus: Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
            index_dir: dir.path().join("index"),
            threads: 1,
            memory_mb: 64,
            rebuild: false,
            commit_every: 0,
            boilerplate: crate::boilerplate::DEFAULT_THRESHOLD,
            near_story: crate::stories::DEFAULT_NEAR_STORY,
            crawl: CrawlOptions::default(),
            normalize: NormalizeOptions::default(),
        };
        index::index(&options, &mut |_| {}).expect("the sample corpus indexes");
        let engine = Engine::open(&options.index_dir).expect("the index opens");
        (dir, engine)
    }

    /// Pieces of query syntax, strung together at random.
    fn query_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("AND "),
            Just("OR "),
            Just("NOT "),
            Just("title:"),
            Just("date:"),
            Just("place:"),
            Just("nope:"),
            Just("\""),
            Just("("),
            Just(")"),
            Just("*"),
            Just("~"),
            Just("~2 "),
            Just("^"),
            Just("^2 "),
            Just("+"),
            Just("-"),
            Just("'"),
            Just("\\"),
            Just("["),
            Just("]"),
            Just(" TO "),
            Just("2017-02-15"),
            Just("panda "),
            Just("retaliatory "),
            Just("英语"),
            Just(" "),
        ];
        prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any query text, with any options, is answered or refused with a
        /// query error; never a panic, never another kind of error. (The
        /// fuzz target in fuzz/ does the same with libFuzzer's inputs.)
        #[test]
        fn any_query_is_answered_or_refused(
            text in query_text(),
            flags in 0u8..64,
        ) {
            thread_local! {
                static ENGINE: (tempfile::TempDir, Engine) = sample_engine();
            }
            let mut request = Request::new(text.clone());
            request.query_options.any = flags & 1 != 0;
            request.query_options.fuzzy = flags & 2 != 0;
            request.query_options.plain = flags & 4 != 0;
            request.facets = flags & 8 != 0;
            request.explain = flags & 16 != 0;
            if flags & 32 != 0 {
                request.sort = SortBy::Date;
            }
            ENGINE.with(|(_, engine)| match engine.search(&request) {
                Ok(_) | Err(Error::Query { .. } | Error::Date(_)) => Ok(()),
                Err(err) => Err(TestCaseError::fail(format!("{text:?}: {err}"))),
            })?;
        }
    }
}
