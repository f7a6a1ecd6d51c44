//! The command line: clap definitions and their conversion into the
//! library's option structs. No work is done here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use sift::crawl::CrawlOptions;
use sift::index::{DEFAULT_MEMORY_MB, IndexOptions};
use sift::normalize::NormalizeOptions;
use sift::search::{DEFAULT_SNIPPET_CHARS, SearchOptions};

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
    /// The query: words (all must match), "phrases", field:value, +must,
    /// -mustnot, AND, OR, parentheses.
    pub query: String,
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// At most this many hits (0: count only).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Hits to pass over first, for paging.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Match documents holding any of the words, not all of them.
    #[arg(long)]
    pub any: bool,
    /// Snippet length, in characters.
    #[arg(long, default_value_t = DEFAULT_SNIPPET_CHARS)]
    pub snippet_chars: usize,
    /// One JSON object per hit.
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

/// Arguments of `sift stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The index folder.
    #[arg(long, default_value = "index")]
    pub index: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses the command line, exiting with usage help on error.
pub fn parse() -> Cli {
    Cli::parse()
}

impl IndexArgs {
    /// The library options these arguments ask for.
    pub fn options(&self) -> IndexOptions {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        IndexOptions {
            corpus: self.corpus.clone(),
            index_dir: self.index.clone(),
            threads: self.threads.map_or(cores, usize::from),
            memory_mb: self.memory as usize,
            rebuild: self.rebuild,
            crawl: CrawlOptions {
                max_size: self.max_size,
            },
            normalize: NormalizeOptions { year: self.year },
        }
    }
}

impl SearchArgs {
    /// The library options these arguments ask for.
    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            index_dir: self.index.clone(),
            query: self.query.clone(),
            limit: self.limit,
            offset: self.offset,
            any: self.any,
            snippet_chars: self.snippet_chars,
        }
    }
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
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
