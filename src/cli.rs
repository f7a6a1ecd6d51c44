//! The command line: clap definitions and their conversion into the
//! library's option structs. No work is done here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use sift::crawl::CrawlOptions;
use sift::index::{DEFAULT_COMMIT_EVERY, DEFAULT_MEMORY_MB, IndexOptions};
use sift::normalize::Date;
use sift::normalize::NormalizeOptions;
use sift::search::{
    DEFAULT_SNIPPET_CHARS, Filters, QueryOptions, Request, SortBy, StopWords, TITLE_BOOST,
};

/// sift: a full-text search indexer for folders of news dispatches.
#[derive(Debug, Parser)]
#[command(name = "sift", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// sift's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index a folder of dispatches (new and changed files only).
    Index(IndexArgs),
    /// Search the index; exit 0 with hits, 1 without, 2 on error.
    Search(SearchArgs),
    /// Print one indexed dispatch, whole, by its path.
    Show(ShowArgs),
    /// Print what the index holds and what its last run did.
    Stats(StatsArgs),
    /// Show how one file normalizes, paragraph by paragraph (no index).
    Inspect(InspectArgs),
    /// Score ranking quality: nDCG@10, MAP, P@10 and Recall@100.
    Eval(EvalArgs),
}

/// Arguments of `sift index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// The corpus folder.
    #[arg(default_value = "corpus")]
    pub corpus: PathBuf,
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Threads for reading, normalizing and indexing [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Indexing memory budget, in MB, for all threads together.
    #[arg(long, default_value_t = DEFAULT_MEMORY_MB, value_parser = clap::value_parser!(u32).range(1..))]
    pub memory: u32,
    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, default_value = "16M", value_parser = parse_size)]
    pub max_size: u64,
    /// The year of datelines whose path holds no year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Commit after every N documents, so that an interrupted run keeps its
    /// work (0: commit only at the end).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_COMMIT_EVERY)]
    pub commit_every: usize,
    /// Keep paragraphs that repeat within a file (to measure what removing
    /// them changes; use with --rebuild).
    #[arg(long)]
    pub keep_duplicates: bool,
    /// Also remove paragraphs this similar (0–1, word subsequence over the
    /// shorter paragraph) to an earlier one of the same file; 0 turns
    /// near-duplicates off (use with --rebuild).
    #[arg(long, default_value_t = sift::normalize::DEFAULT_NEAR_DUP, value_parser = similarity)]
    pub near_dup: f32,
    /// A paragraph found in at least N stories of the corpus (copies of a
    /// story count once) is boilerplate: stored and shown, not searched;
    /// 0 turns boilerplate detection off.
    #[arg(long, value_name = "N", default_value_t = sift::boilerplate::DEFAULT_THRESHOLD)]
    pub boilerplate: u32,
    /// Files at least this similar (0–1, Jaccard similarity of word
    /// 5-shingles) are one story, shown once by `search`; 0 groups only
    /// files that normalize to the same text.
    #[arg(long, default_value_t = sift::stories::DEFAULT_NEAR_STORY, value_parser = similarity)]
    pub near_story: f32,
    /// Forget what is indexed and index the whole corpus again.
    #[arg(long)]
    pub rebuild: bool,
    /// No progress bar and no summary line (warnings are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `sift search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words (all must match), "phrases", "phrase"~N, field:value,
    /// +must, -mustnot, AND, OR, NOT, parentheses, prefix*, word~1, ^boost.
    #[arg(required_unless_present = "batch", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Run every query of a file (`id<TAB>query` per line) in one process.
    #[arg(long, value_name = "QUERIES.tsv", conflicts_with = "query")]
    pub batch: Option<PathBuf>,
    /// Output of --batch: JSON lines, or a TREC run (`qid Q0 path rank score sift`).
    #[arg(long, value_enum, default_value_t = BatchFormat::Json, requires = "batch")]
    pub format: BatchFormat,
    /// With --batch: print each query's search time to stderr
    /// (`sift: timing ID MICROSECONDS`), then the batch's wall time
    /// (`sift: batch took MICROSECONDS`), for benchmarks.
    #[arg(long, requires = "batch")]
    pub timings: bool,
    /// With --batch: threads running queries; answers keep the file's
    /// order [default: all cores].
    #[arg(long, requires = "batch", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    #[command(flatten)]
    pub reading: QueryArgs,
    /// At most this many hits.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Hits to pass over first, for paging.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Order hits by score, or by date (newest first).
    #[arg(long, value_enum, default_value_t = Sort::Score)]
    pub sort: Sort,
    /// Only dispatches dated on or after this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub since: Option<Date>,
    /// Only dispatches dated on or before this day (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub until: Option<Date>,
    /// Only dispatches from this place (case ignored).
    #[arg(long)]
    pub place: Option<String>,
    /// Only dispatches from this agency (case ignored).
    #[arg(long)]
    pub agency: Option<String>,
    /// Only dispatches of this category (case ignored).
    #[arg(long)]
    pub category: Option<String>,
    /// Print only the number of matching dispatches.
    #[arg(long, conflicts_with = "explain")]
    pub count: bool,
    /// Also print hit counts per category, place and agency.
    #[arg(long)]
    pub facets: bool,
    /// Show why each hit scored as it did.
    #[arg(long)]
    pub explain: bool,
    /// Show every file of a story filed more than once (by default a story
    /// shows once, at its best file, with "+N copies").
    #[arg(long)]
    pub all_copies: bool,
    /// Snippet length, in characters (0: none).
    #[arg(long, default_value_t = DEFAULT_SNIPPET_CHARS)]
    pub snippet_chars: usize,
    /// One JSON object per hit.
    #[arg(long)]
    pub json: bool,
}

/// How query text is read; shared by `search` and `eval`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Match dispatches holding any of the words, not all of them.
    #[arg(long)]
    pub any: bool,
    /// Let every word of four letters or more match near misspellings.
    #[arg(long)]
    pub fuzzy: bool,
    /// Read the query as plain words: no operators, fields or quotes.
    #[arg(long)]
    pub plain: bool,
    /// Stop words dropped from the query's bare words (not from phrases).
    #[arg(long, value_enum, default_value_t = StopList::Smart)]
    pub stop_words: StopList,
    /// How much more a title match weighs than a body match.
    #[arg(long, default_value_t = TITLE_BOOST)]
    pub title_boost: f32,
}

/// Stop-word lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StopList {
    /// Keep every word.
    None,
    /// Lucene's 33 English words.
    Short,
    /// The SMART system's 405 English words.
    Smart,
}

/// Output formats of `search --batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// One JSON object per hit, with its query id.
    Json,
    /// A TREC run file.
    Trec,
}

/// Hit orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    /// Best score first.
    Score,
    /// Newest first.
    Date,
}

/// Arguments of `sift eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Queries, `id<TAB>query` per line.
    pub queries: PathBuf,
    /// Relevance judgements in TREC qrels format.
    pub qrels: PathBuf,
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    #[command(flatten)]
    pub reading: QueryArgs,
    /// Documents retrieved per query.
    #[arg(long, default_value_t = 1000)]
    pub depth: usize,
    /// Also print each query's figures.
    #[arg(long)]
    pub per_query: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sift show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The dispatch's path, relative to the corpus folder, as search prints it.
    pub path: String,
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sift inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The file.
    pub file: PathBuf,
    /// The year of a dateline whose path holds no year.
    #[arg(long)]
    pub year: Option<i32>,
    /// The near-duplicate similarity threshold, as for `sift index`.
    #[arg(long, default_value_t = sift::normalize::DEFAULT_NEAR_DUP, value_parser = similarity)]
    pub near_dup: f32,
    /// The index whose corpus says which paragraphs are boilerplate (read,
    /// never written; without one, boilerplate is not known).
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sift stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Also read every file of the index and check its checksum (reads the
    /// whole index; exits 2 naming the damaged files).
    #[arg(long)]
    pub verify: bool,
    /// List the stories filed more than once: one line of tab-separated
    /// paths per story (a JSON array of arrays with --json).
    #[arg(long)]
    pub duplicates: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A similarity threshold: a number from 0 to 1.
fn similarity(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// Parses the command line, exiting with usage help on error.
pub fn parse() -> Cli {
    Cli::parse()
}

impl IndexArgs {
    /// The library options these arguments ask for.
    pub fn options(&self) -> IndexOptions {
        IndexOptions {
            corpus: self.corpus.clone(),
            index_dir: self.index.clone(),
            threads: self.threads.map_or_else(cores, usize::from),
            memory_mb: self.memory as usize,
            rebuild: self.rebuild,
            commit_every: self.commit_every,
            boilerplate: self.boilerplate,
            near_story: self.near_story,
            crawl: CrawlOptions {
                max_size: self.max_size,
            },
            normalize: NormalizeOptions {
                year: self.year,
                dedup: !self.keep_duplicates,
                near_dup: self.near_dup,
            },
        }
    }
}

impl QueryArgs {
    /// The library options these arguments ask for.
    pub fn options(&self) -> QueryOptions {
        QueryOptions {
            any: self.any,
            fuzzy: self.fuzzy,
            plain: self.plain,
            stop_words: match self.stop_words {
                StopList::None => StopWords::None,
                StopList::Short => StopWords::Short,
                StopList::Smart => StopWords::Smart,
            },
            title_boost: self.title_boost,
        }
    }
}

impl SearchArgs {
    /// The request these arguments ask for, for a query.
    pub fn request(&self, query: &str) -> Request {
        Request {
            query: query.to_string(),
            query_options: self.reading.options(),
            filters: Filters {
                place: self.place.clone(),
                agency: self.agency.clone(),
                category: self.category.clone(),
                since: self.since,
                until: self.until,
            },
            limit: if self.count { 0 } else { self.limit },
            offset: self.offset,
            sort: match self.sort {
                Sort::Score => SortBy::Score,
                Sort::Date => SortBy::Date,
            },
            snippet_chars: self.snippet_chars,
            facets: self.facets,
            explain: self.explain,
            all_copies: self.all_copies,
        }
    }

    /// Threads for a batch of queries.
    pub fn threads(&self) -> usize {
        self.threads.map_or_else(cores, usize::from)
    }
}

/// The machine's cores, the default thread count.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl EvalArgs {
    /// Threads running the queries: all cores.
    pub fn threads(&self) -> usize {
        cores()
    }

    /// The request for one query of the evaluation.
    pub fn request(&self, query: &str) -> Request {
        Request {
            query_options: self.reading.options(),
            limit: self.depth,
            snippet_chars: 0,
            ..Request::new(query)
        }
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("{text:?} is not a date: expected YYYY-MM-DD"))
}

/// Parses `123`, `64K`, `16M`, `1G` (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let multiplier: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?}: use K, M or G")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{text:?} is not a size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64K"), Ok(65_536));
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2017-02-01"),
            Ok(Date::new(2017, 2, 1).expect("a valid date"))
        );
        assert!(parse_date("2017-02-30").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
