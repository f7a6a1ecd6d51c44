//! The `sift` binary: arguments in, library call, rendered output, exit code.
//! This is the only place that prints errors or exits.

mod cli;

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sift::crawl::{self, CrawlOptions};
use sift::index::{self, Event};
use sift::normalize::{self, NormalizeOptions};
use sift::output::{self, Style};
use sift::search::Engine;
use sift::{boilerplate, eval, stats};

use crate::cli::{BatchFormat, Cli, Command, EvalArgs, IndexArgs, SearchArgs};

/// mimalloc for `sift index` (at the default budget or more), the system's
/// malloc for every other command.
#[global_allocator]
static ALLOCATOR: sift::allocator::ByCommand = sift::allocator::ByCommand;

/// grep's exit statuses: 0 found, 1 found nothing, 2 trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Found = 0,
    NothingFound = 1,
    Trouble = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

fn main() -> ExitCode {
    tune_malloc();
    let cli = cli::parse();
    std::panic::set_hook(Box::new(report_panic));
    let outcome = std::panic::catch_unwind(|| run(cli));
    let Ok(outcome) = outcome else {
        return Status::Trouble.into();
    };
    match outcome {
        Ok(status) => status.into(),
        Err(err) if is_broken_pipe(&err) => Status::Found.into(),
        Err(err) => {
            // Library errors name their cause in their own message: no chain.
            eprintln!("sift: {err}");
            Status::Trouble.into()
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<Status> {
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // Buffered, flushed once at the end: a line-buffered stdout made a
    // write call per hit.
    let mut out = io::BufWriter::new(stdout.lock());
    let status = match cli.command {
        Command::Index(args) => run_index(&args, &mut out)?,
        Command::Search(args) => run_search(&args, &mut out, color)?,
        Command::Show(args) => {
            let dispatch = Engine::open(&args.index)?.show(&args.path)?;
            output::dispatch(
                &mut out,
                &dispatch,
                Style {
                    json: args.json,
                    color,
                },
            )?;
            Status::Found
        }
        Command::Eval(args) => run_eval(&args, &mut out, color)?,
        Command::Inspect(args) => {
            let file = crawl::read_file(&args.file, &CrawlOptions::default())
                .map_err(sift::Error::Skipped)?;
            let options = NormalizeOptions {
                year: args.year,
                near_dup: args.near_dup,
                ..NormalizeOptions::default()
            };
            let mut inspection = normalize::inspect(&file, &options);
            if let Some(seen) = boilerplate::seen_in(&args.index, &inspection.dispatch.keys)? {
                inspection.mark_boilerplate(&seen.stories, seen.threshold);
            }
            output::inspection(
                &mut out,
                &inspection,
                Style {
                    json: args.json,
                    color,
                },
            )?;
            Status::Found
        }
        Command::Stats(args) => {
            if args.verify {
                stats::verify(&args.index)?;
            }
            if args.duplicates {
                let groups = stats::duplicate_groups(&args.index)?;
                output::duplicate_groups(&mut out, &groups, args.json)?;
                out.flush()?;
                return Ok(Status::Found);
            }
            let stats = stats::stats(&args.index)?;
            output::stats(
                &mut out,
                &stats,
                Style {
                    json: args.json,
                    color,
                },
            )?;
            Status::Found
        }
    };
    out.flush()?;
    Ok(status)
}

fn run_search(args: &SearchArgs, out: &mut dyn Write, color: bool) -> anyhow::Result<Status> {
    let engine = Engine::open(&args.index)?;
    let style = Style {
        json: args.json,
        color,
    };
    if let Some(batch) = &args.batch {
        return run_batch(&engine, args, batch, out);
    }
    let query = args.query.as_deref().unwrap_or_default();
    let hits = engine.search(&args.request(query))?;
    // The process ends here: its ~40 mapped index files go with it in one
    // teardown, not one munmap each.
    std::mem::forget(engine);
    if args.count {
        output::count(out, hits.total, style)?;
        if let Some(facets) = &hits.facets {
            output::facets(out, facets, hits.total, style)?;
        }
    } else {
        output::hits(out, &hits, style)?;
    }
    Ok(if hits.total > 0 {
        Status::Found
    } else {
        Status::NothingFound
    })
}

/// Runs every query of a file; a query that fails is reported and the
/// batch goes on, ending with status 2.
fn run_batch(
    engine: &Engine,
    args: &SearchArgs,
    batch: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<Status> {
    let queries = eval::read_queries(batch)?;
    let requests: Vec<_> = queries
        .iter()
        .map(|(_, query)| args.request(query))
        .collect();
    let trec = args.format == BatchFormat::Trec;
    let (mut found, mut failed) = (false, false);
    let started = std::time::Instant::now();
    engine.search_batch(&requests, args.threads(), |i, answer| {
        let id = &queries[i].0;
        if args.timings {
            eprintln!("sift: timing {id} {}", answer.took.as_micros());
        }
        match answer.hits {
            Ok(hits) => {
                found |= hits.total > 0;
                output::batch_hits(out, id, &hits, trec)?;
            }
            Err(err) => {
                eprintln!("sift: {}: query {id}: {err}", batch.display());
                failed = true;
            }
        }
        Ok::<_, std::io::Error>(())
    })?;
    if args.timings {
        eprintln!("sift: batch took {}", started.elapsed().as_micros());
    }
    Ok(match (failed, found) {
        (true, _) => Status::Trouble,
        (false, true) => Status::Found,
        (false, false) => Status::NothingFound,
    })
}

fn run_eval(args: &EvalArgs, out: &mut dyn Write, color: bool) -> anyhow::Result<Status> {
    let engine = Engine::open(&args.index)?;
    let queries = eval::read_queries(&args.queries)?;
    let qrels = eval::read_qrels(&args.qrels)?;
    let requests: Vec<_> = queries
        .iter()
        .map(|(_, query)| args.request(query))
        .collect();
    let mut run = HashMap::new();
    engine.search_batch(&requests, args.threads(), |i, answer| {
        let ranking = answer
            .hits?
            .hits
            .into_iter()
            .map(|hit| (hit.heading.path, f64::from(hit.score)))
            .collect();
        run.insert(queries[i].0.clone(), ranking);
        Ok::<_, sift::Error>(())
    })?;
    let evaluation = eval::evaluate(&run, &qrels);
    output::evaluation(
        out,
        &evaluation,
        args.per_query,
        Style {
            json: args.json,
            color,
        },
    )?;
    Ok(Status::Found)
}

fn run_index(args: &IndexArgs, out: &mut dyn Write) -> anyhow::Result<Status> {
    let options = args.options();
    let bar = progress_bar(args.quiet);
    let mut on_event = |event: Event<'_>| {
        match event {
        Event::Skipped(skip) => bar.suspend(|| eprintln!("sift: {skip}")),
        Event::Damaged { path, encoding, replacements } => bar.suspend(|| {
            eprintln!("sift: {path}: {replacements} bytes could not be decoded as {encoding}, replaced and indexed")
        }),
        Event::Progress { found, done, bytes } => {
            bar.set_length(found.max(done) as u64);
            bar.set_position(done as u64);
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{}, {:.1} MB/s", output::human_bytes(bytes), bytes as f64 / 1e6 / secs));
        }
        Event::Committing => bar.set_message("committing"),
        Event::Settling => bar.set_message("settling boilerplate and duplicate stories"),
    }
    };
    let summary = index::index(&options, &mut on_event)?;
    bar.finish_and_clear();
    if !args.quiet {
        writeln!(out, "{}", output::summary_line(&summary))?;
    }
    if summary.indexed() + summary.unchanged == 0 && summary.skipped_total() > 0 {
        eprintln!(
            "sift: {}: no file could be indexed",
            options.corpus.display()
        );
        return Ok(Status::Trouble);
    }
    Ok(Status::Found)
}

/// A progress bar on stderr when it is a terminal; hidden otherwise.
fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{bar:30} {pos}/{len} files  {per_sec}  {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// glibc's malloc, tuned for memory; must run before any thread starts.
/// (`sift index` at the default budget or more allocates with mimalloc, see
/// `sift::allocator`; this tuning, made for indexing, now holds for smaller
/// budgets and the other commands.)
///
/// Each thread gets its own arena and keeps freed memory in it: with
/// indexing, merge and worker threads that was ~40 MB resident beyond the
/// heap's peak on a 250,000-file run (heaptrack's peak heap vs RssAnon).
/// Two arenas keep it near the heap.
///
/// glibc also raises its mmap threshold each time a mapped block is freed,
/// so after the first freed 1 MiB page of a tantivy arena, later pages and
/// segment buffers came from the arenas and fragmented them: at `--memory
/// 64`, 121–176 MB anonymous on 250,000 files, 89–94 MB with the threshold
/// fixed at glibc's initial 128 KiB (large blocks are mapped and unmapped
/// again), no slower (bench/RESULTS.md, session 11).
fn tune_malloc() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only sets allocator parameters; no thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// A panic is a bug, or (inside tantivy) an index file damaged in a way its
/// checks missed: one line, with the way out, instead of a backtrace.
fn report_panic(info: &std::panic::PanicHookInfo<'_>) {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_default();
    // A worker's panic is reported already; its scope re-raises it.
    if message == "a scoped thread panicked" {
        return;
    }
    let location = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    eprintln!(
        "sift: internal error: {message}{location}; if the index is damaged (`sift stats --verify` checks), `sift index --rebuild` recreates it"
    );
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
