//! Indexing: the corpus folder to a committed tantivy index, incrementally.
//!
//! One run walks the corpus, compares every file's size and modification
//! time with what the index holds (read column-wise from fast fields), and
//! only reads, normalizes and (re)writes files that are new or changed;
//! documents whose files are gone are deleted. The stages overlap: a walker
//! thread feeds a bounded queue, worker threads read, normalize and hand
//! documents to tantivy's writer, and the calling thread collects outcomes
//! and reports them through [`Event`]s.
//!
//! Nothing is visible until a commit: every `commit_every` documents and at
//! the end, each recording the schema version and the run's [`Summary`] as
//! its payload. A run that fails or is killed leaves the last commit as it
//! was, and the next run resumes from it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use tantivy::schema::{Term, Value};
use tantivy::{DateTime, Index, Searcher, TantivyDocument};

use crate::boilerplate::{self, RunCounts};
use crate::crawl::{self, Candidate, CrawlOptions, Skip};
use crate::error::{Error, Result, WRITER_PID_FILE};
use crate::inflight::{Gauge, Queued};
use crate::known::{Known, Stamp};
use crate::merging::SmallSegmentsMerged;
use crate::normalize::{self, Dispatch, NORMALIZE_VERSION, NormalizeOptions};
use crate::schema::{self, Fields, SCHEMA_VERSION};
use crate::store_dictionary::{self, Samples, Trainer};
use crate::stories::Groups;

/// The default number of documents between intermediate commits: what a
/// killed run can lose, ~5 s of work on 2 cores. Each commit also closes
/// every indexing thread's segment and frees its arena, which is what
/// keeps memory bounded at scale: tantivy's merges run beside the indexing
/// threads and are not in `--memory`. At 200,000, 100,000 files made 2
/// segments instead of 4 (one query per process 3.80 instead of 4.48 ms),
/// but the arenas grew to the whole budget while merges ran: 1,000,000
/// files peaked at 400 MB anonymous at `--memory 256` and were killed
/// under a cgroup limit of budget + 96 MB (bench/RESULTS.md, session 8).
pub const DEFAULT_COMMIT_EVERY: usize = 50_000;

/// The default indexing memory budget, in MiB, shared by all threads.
pub const DEFAULT_MEMORY_MB: u32 = 256;

/// sift's side of tantivy's writer: documents carry a ticket for their bytes.
type IndexWriter = tantivy::IndexWriter<Queued>;

/// The share of the memory budget that documents waiting for tantivy's
/// indexing threads may take, within these bounds.
const QUEUED_SHARE: usize = 8;
const QUEUED_BYTES: std::ops::RangeInclusive<usize> = (4 << 20)..=(64 << 20);

/// tantivy refuses less than this per indexing thread.
const MIN_MEMORY_PER_THREAD: usize = 15_000_000;

/// Batches of files queued between the walker and the workers: enough to
/// keep workers busy, few enough that memory does not grow with the corpus.
const QUEUE_LEN: usize = 16;

/// Files per batch: a no-op run hands 10⁵–10⁶ files to the workers, and a
/// send per file (each waking a worker) cost more than their `stat`s.
const BATCH_LEN: usize = 32;

/// Files found, or found unchanged, are reported in counts of this many:
/// a no-op run is nothing but these.
const REPORT_EVERY: usize = 512;

/// What an indexing run is asked to do.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// The corpus folder.
    pub corpus: PathBuf,
    /// The index folder; created if missing.
    pub index_dir: PathBuf,
    /// Worker and tantivy indexing threads.
    pub threads: usize,
    /// The indexing memory budget in MiB.
    pub memory_mb: usize,
    /// Drop everything indexed before and index the whole corpus again.
    pub rebuild: bool,
    /// Commit after every this many documents written (0: only at the
    /// end), so that a killed run keeps most of its work.
    pub commit_every: usize,
    /// Stories a paragraph must stand in to be boilerplate (0: none is).
    pub boilerplate: u32,
    /// Similarity from which two files are one story (0: exact copies only).
    pub near_story: f32,
    /// Crawl settings.
    pub crawl: CrawlOptions,
    /// Normalization settings.
    pub normalize: NormalizeOptions,
}

/// Something that happened during a run, for the caller to report.
#[derive(Debug)]
pub enum Event<'a> {
    /// A file or folder was passed over.
    Skipped(&'a Skip),
    /// A file was indexed, but some of its bytes could not be decoded.
    Damaged {
        /// The file.
        path: &'a str,
        /// The encoding it was read as.
        encoding: &'a str,
        /// How many characters were replaced.
        replacements: usize,
    },
    /// Progress: files walked so far and files dealt with so far.
    Progress {
        /// Files found by the walk so far (skips included).
        found: usize,
        /// Files indexed, skipped or found unchanged so far.
        done: usize,
        /// Bytes read so far.
        bytes: u64,
    },
    /// All files are dealt with; the commit begins.
    Committing,
    /// Committed; boilerplate and story groups are being settled over the
    /// whole index.
    Settling,
}

/// What a run did; also stored with the commit for `sift stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Files and folders the walk met, skips included.
    pub seen: usize,
    /// Documents added for new files.
    pub added: usize,
    /// Documents rewritten for changed files.
    pub updated: usize,
    /// Files already indexed and unchanged.
    pub unchanged: usize,
    /// Documents deleted because their files are gone.
    pub deleted: usize,
    /// Skips, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Paragraphs removed as duplicates in the files indexed by this run.
    pub paragraphs_removed: usize,
    /// Files indexed with undecodable bytes replaced.
    pub damaged: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Wall time of the run, in seconds.
    pub elapsed_secs: f64,
    /// The previous run was interrupted after an intermediate commit; this
    /// run took up where it stopped (its files count as unchanged).
    #[serde(default)]
    pub resumed: bool,
    /// Documents written again because the corpus's boilerplate or story
    /// groups changed under them.
    #[serde(default)]
    pub rewritten: usize,
    /// Distinct boilerplate paragraphs in the corpus after this run.
    #[serde(default)]
    pub boilerplate: usize,
    /// Stories filed as near-identical (not byte-for-byte) copies.
    #[serde(default)]
    pub near_identical: usize,
}

impl Summary {
    /// Files (re)indexed by this run.
    pub fn indexed(&self) -> usize {
        self.added + self.updated
    }

    /// Files and folders skipped, all reasons together.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// The payload every commit records.
#[derive(Debug, Serialize, Deserialize)]
pub struct CommitPayload {
    /// The schema version the index was written with.
    pub schema_version: u32,
    /// The normalization rules the documents were made with.
    #[serde(default)]
    pub normalize_version: u32,
    /// The corpus folder, as given.
    pub corpus: String,
    /// The run that made this commit.
    pub last_run: Summary,
    /// False for an intermediate commit of a run still going on.
    #[serde(default = "complete_by_default")]
    pub complete: bool,
    /// The settings boilerplate and story groups were last settled with over
    /// the whole index; `None` while documents may disagree with them.
    #[serde(default)]
    pub settled: Option<Settled>,
}

/// The corpus-wide settings documents are written with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settled {
    /// Stories a paragraph stands in to be boilerplate.
    pub boilerplate: u32,
    /// Similarity from which two files are one story.
    pub near_story: f32,
}

fn complete_by_default() -> bool {
    true
}

/// What a worker or the walker reports to the collecting thread.
enum Outcome {
    /// Files walked and files found unchanged since the last such report;
    /// sent in batches, since a no-op run is nothing but these.
    Walked {
        found: usize,
        unchanged: usize,
    },
    Skipped(Skip),
    Indexed(Indexed),
    Failed(Error),
}

/// What the collecting thread needs to know of an indexed file: not its
/// text, so that outcomes waiting in the queue stay small.
struct Indexed {
    path: String,
    updated: bool,
    removed: usize,
    size: u64,
    encoding: &'static str,
    replacements: usize,
}

/// A file that must be read, and whether the index held it before.
struct Job {
    candidate: Candidate,
    /// The (mtime, size) the index holds for the file, if it holds it.
    known: Option<(u64, u64)>,
}

/// Writes the texts a document stores, as the store's dictionary is
/// trained on them.
fn write_stored_texts(dispatch: &Dispatch, sample: &mut Vec<u8>) {
    let dateline = dispatch.dateline.as_ref();
    let body = dispatch.body();
    let texts = [dispatch.path.as_str(), &dispatch.title, &body]
        .into_iter()
        .chain(dispatch.category.as_deref())
        .chain(dateline.map(|d| d.place.as_str()))
        .chain(dateline.and_then(|d| d.agency.as_deref()))
        .chain(dateline.and_then(|d| d.date_text.as_deref()))
        .chain(dispatch.boilerplate_paragraphs().map(|(_, p)| p));
    append_texts(texts, sample);
}

/// Appends `texts` to a training sample, end to end.
fn append_texts<'a>(texts: impl Iterator<Item = &'a str>, sample: &mut Vec<u8>) {
    for text in texts {
        sample.extend_from_slice(text.as_bytes());
    }
}

/// Offers `trainer`, if it wants samples, the stored text of the index's
/// documents until it has enough; returns the samples if they are then
/// complete. An index whose runs were each too short to train a dictionary
/// (or that was made before sift had one) gets one from the documents it
/// holds, at the start of the first run that finds enough of them: an index
/// of fewer is not read at every run.
fn offer_stored(trainer: &Trainer, searcher: &Searcher) -> tantivy::Result<Option<Samples>> {
    if searcher.num_docs() < store_dictionary::SAMPLE_DOCS as u64 {
        return Ok(None);
    }
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        for doc_id in segment.doc_ids_alive() {
            if !trainer.wants() {
                return Ok(None);
            }
            let address = tantivy::DocAddress::new(ord as u32, doc_id);
            let doc: TantivyDocument = searcher.doc(address)?;
            let texts = doc.field_values().filter_map(|(_, value)| value.as_str());
            let samples = trainer.offer(|sample| append_texts(texts, sample));
            if samples.is_some() {
                return Ok(samples);
            }
        }
    }
    Ok(None)
}

/// Trains the store's dictionary on the run's first documents and has the
/// rest compressed with it.
fn train(samples: &Samples, options: &IndexOptions) -> Result<()> {
    match samples.train(schema::STORE_ZSTD_LEVEL) {
        Some(dictionary) => {
            store_dictionary::keep(&options.index_dir, &dictionary, schema::STORE_ZSTD_LEVEL)
        }
        None => Ok(()),
    }
}

/// Indexes the corpus into the index folder and commits.
pub fn index(options: &IndexOptions, on_event: &mut dyn FnMut(Event<'_>)) -> Result<Summary> {
    let started = Instant::now();
    let walk = crawl::walk(&options.corpus, &options.crawl)?;
    let stat = walk.stat();
    let (index, fields) = open_or_create(&options.index_dir, options.rebuild)?;
    let dir = options.index_dir.as_path();
    let threads = options.threads.max(1);
    let memory = (options.memory_mb * 1024 * 1024).max(MIN_MEMORY_PER_THREAD * threads);
    // Until this returns: merges are waited for below.
    let (has_dictionary, _writing) = schema::configure_store_compression(dir)?;
    let trainer = Trainer::new(!has_dictionary);
    let writer: IndexWriter = index
        .writer_with_num_threads(threads, memory)
        .map_err(|err| Error::index(dir, err))?;
    writer.set_merge_policy(Box::new(SmallSegmentsMerged::default()));
    let gauge =
        Gauge::new((memory / QUEUED_SHARE).clamp(*QUEUED_BYTES.start(), *QUEUED_BYTES.end()));
    let pid_file = dir.join(WRITER_PID_FILE);
    fs::write(&pid_file, std::process::id().to_string())
        .map_err(|err| Error::io(&pid_file, err))?;
    let (known, corpus) = if options.rebuild {
        writer
            .delete_all_documents()
            .map_err(|err| Error::index(dir, err))?;
        (Known::default(), CorpusView::default())
    } else {
        let searcher = schema::searcher(&index).map_err(|err| Error::index(dir, err))?;
        let view = CorpusView::of(&searcher, &fields).map_err(|err| Error::index(dir, err))?;
        let known = known_files(&searcher).map_err(|err| Error::index(dir, err))?;
        let seeded = offer_stored(&trainer, &searcher).map_err(|err| Error::index(dir, err))?;
        if let Some(samples) = seeded {
            train(&samples, options)?;
        }
        (known, view)
    };
    let counts = RunCounts::new(options.boilerplate, corpus.boilerplate);
    // Files normalized by other rules are re-read even if unchanged.
    let previous = last_commit(&index).map_err(|err| Error::index(dir, err))?;
    let trust_stamps = previous
        .as_ref()
        .is_none_or(|p| p.normalize_version == NORMALIZE_VERSION);
    let context = Context {
        stat: &stat,
        trust_stamps,
        fields: &fields,
        gauge: &gauge,
        counts: &counts,
        groups: &corpus.groups,
        trainer: &trainer,
        options,
    };
    let resumed = !options.rebuild && previous.as_ref().is_some_and(|p| !p.complete);

    let mut summary = Summary {
        resumed,
        ..Summary::default()
    };
    let writer = RwLock::new(writer);
    let mut next_commit = options.commit_every;
    let mut commit_point = |summary: &Summary, on_event: &mut dyn FnMut(Event<'_>)| {
        if options.commit_every == 0 || summary.indexed() < next_commit {
            return None;
        }
        next_commit += options.commit_every;
        on_event(Event::Committing);
        let mut writer = writer.write().unwrap_or_else(PoisonError::into_inner);
        commit_to(&mut writer, options, summary, false, None)
            .err()
            .map(|err| Error::index(dir, err))
    };
    let (gone, failure) = std::thread::scope(|scope| {
        let (jobs_tx, jobs_rx) = bounded::<Vec<Job>>(QUEUE_LEN);
        let (outcomes_tx, outcomes_rx) = unbounded::<Outcome>();
        let walker_outcomes = outcomes_tx.clone();
        let walker = scope.spawn(move || feed(walk, known, &jobs_tx, &walker_outcomes));
        for _ in 0..threads {
            let (jobs, outcomes) = (jobs_rx.clone(), outcomes_tx.clone());
            let (writer, context) = (&writer, &context);
            scope.spawn(move || work(&jobs, &outcomes, writer, context));
        }
        drop((jobs_rx, outcomes_tx));
        let failure = collect(&outcomes_rx, &mut summary, on_event, &mut commit_point);
        let gone = walker.join().unwrap_or_default();
        (gone, failure)
    });
    if let Some(err) = failure {
        return Err(err);
    }
    let mut writer = writer.into_inner().unwrap_or_else(PoisonError::into_inner);
    for path in &gone {
        writer.delete_term(Term::from_field_text(fields.path, path));
    }
    summary.deleted = gone.len();
    on_event(Event::Committing);
    let settings = Settled {
        boilerplate: options.boilerplate,
        near_story: options.near_story,
    };
    let changed = summary.indexed() + summary.deleted > 0;
    let was_settled = previous.as_ref().and_then(|p| p.settled) == Some(settings);
    let needs_settling = changed || !was_settled || options.rebuild;
    if !needs_settling {
        summary.boilerplate = previous.as_ref().map_or(0, |p| p.last_run.boilerplate);
        summary.near_identical = previous.as_ref().map_or(0, |p| p.last_run.near_identical);
    }
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    let settled = (!needs_settling).then_some(settings);
    commit_to(&mut writer, options, &summary, true, settled)
        .map_err(|err| Error::index(dir, err))?;
    if needs_settling {
        on_event(Event::Settling);
        settle(&index, &writer, &context, &mut summary)?;
        summary.elapsed_secs = started.elapsed().as_secs_f64();
        commit_to(&mut writer, options, &summary, true, Some(settings))
            .map_err(|err| Error::index(dir, err))?;
    }
    writer
        .wait_merging_threads()
        .map_err(|err| Error::index(dir, err))?;
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// What the index says about the corpus as a whole when a run begins.
#[derive(Default)]
struct CorpusView {
    /// Paragraph keys treated as boilerplate.
    boilerplate: FxHashSet<u64>,
    /// Story groups of near-identical files.
    groups: Groups,
}

impl CorpusView {
    fn of(searcher: &Searcher, fields: &Fields) -> tantivy::Result<CorpusView> {
        Ok(CorpusView {
            boilerplate: boilerplate::known(searcher, fields)?,
            groups: Groups::recorded(searcher)?,
        })
    }
}

/// What every worker shares.
struct Context<'a> {
    stat: &'a crawl::Stat,
    /// Whether a file whose size and mtime match the index's is unchanged;
    /// not when the index was normalized by other rules.
    trust_stamps: bool,
    fields: &'a Fields,
    gauge: &'a std::sync::Arc<Gauge>,
    counts: &'a RunCounts,
    groups: &'a Groups,
    /// Gathers samples for the store's dictionary, if the index has none.
    trainer: &'a Trainer,
    options: &'a IndexOptions,
}

/// Brings the committed index in line with the corpus as a whole: finds
/// near-identical stories and boilerplate over every document, and writes
/// again the documents that were written otherwise (files read before a
/// paragraph crossed the boilerplate threshold, copies of a story filed
/// before its first). Their files are read again; one that cannot be read
/// now is left as it is, for the next run.
fn settle(
    index: &Index,
    writer: &IndexWriter,
    context: &Context<'_>,
    summary: &mut Summary,
) -> Result<()> {
    let (options, fields) = (context.options, context.fields);
    let dir = options.index_dir.as_path();
    let err = |err| Error::index(dir, err);
    let searcher = schema::searcher(index).map_err(err)?;
    let groups = Groups::find(&searcher, fields, options.near_story).map_err(err)?;
    let boilerplate = boilerplate::corpus(&searcher, &groups, options.boilerplate).map_err(err)?;
    let mut stale = boilerplate::stale(&searcher, fields, &boilerplate).map_err(err)?;
    stale.extend(groups.stale(&searcher).map_err(err)?);
    stale.sort_unstable_by_key(|a| (a.segment_ord, a.doc_id));
    stale.dedup();
    let mut paths = Vec::with_capacity(stale.len());
    for address in stale {
        let doc: TantivyDocument = searcher.doc(address).map_err(err)?;
        if let Some(path) = doc.get_first(fields.path).and_then(|v| v.as_str()) {
            paths.push(path.to_string());
        }
    }
    paths.sort();
    for path in paths {
        let Ok(entry) = crawl::entry_at(&options.corpus, &path) else {
            continue;
        };
        let Ok(file) = crawl::read(&entry, &options.crawl) else {
            continue;
        };
        let mut dispatch = normalize::normalize(&file, &options.normalize);
        dispatch.mark_boilerplate(|key| boilerplate.contains_key(&key));
        let group = groups.group(dispatch.fingerprint);
        writer.delete_term(Term::from_field_text(fields.path, &path));
        let doc = Queued::new(
            document(&dispatch, group, fields),
            dispatch.size as usize,
            context.gauge,
        );
        writer.add_document(doc).map_err(err)?;
        summary.rewritten += 1;
    }
    summary.boilerplate = boilerplate.len();
    summary.near_identical = groups.near_identical();
    Ok(())
}

/// Opens the index, or creates it when there is none (or, with `rebuild`,
/// when the one there cannot be used).
fn open_or_create(dir: &Path, rebuild: bool) -> Result<(Index, Fields)> {
    match schema::open(dir) {
        Ok((mut index, fields)) => {
            schema::compress_store_inline(&mut index);
            return Ok((index, fields));
        }
        Err(Error::NoIndex { .. }) => {}
        Err(Error::SchemaVersion { .. } | Error::Index { .. }) if rebuild => clear_index_dir(dir)?,
        Err(err) => return Err(err),
    }
    fs::create_dir_all(dir).map_err(|err| Error::io(dir, err))?;
    let (schema, fields) = schema::build();
    // A run killed before its first commit leaves a meta.json with no
    // segments; it is replaced.
    let meta = dir.join("meta.json");
    if meta.exists() {
        fs::remove_file(&meta).map_err(|err| Error::io(&meta, err))?;
    }
    let index = Index::builder()
        .schema(schema)
        .settings(schema::settings())
        .create_in_dir(dir)
        .map_err(|err| Error::index(dir, err))?;
    schema::register_analyzers(&index);
    Ok((index, fields))
}

/// Removes the files of an unusable index, and nothing else.
fn clear_index_dir(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|err| Error::io(dir, err))?;
    for entry in entries {
        let path = entry.map_err(|err| Error::io(dir, err))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_index_file = name == "meta.json"
            || name == ".managed.json"
            || name == store_dictionary::FILE_NAME
            || name.ends_with(".lock")
            || name.split('.').next().is_some_and(|stem| {
                stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
            });
        if is_index_file && path.is_file() {
            fs::remove_file(&path).map_err(|err| Error::io(&path, err))?;
        }
    }
    Ok(())
}

/// Every indexed path with its file's modification time and size, read from
/// fast fields without loading stored documents.
fn known_files(searcher: &Searcher) -> tantivy::Result<Known> {
    // A thread per segment: this runs before the walk starts, on one core
    // otherwise (~20 % of a no-op run's instructions).
    let runs = std::thread::scope(|scope| {
        let threads: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|segment| scope.spawn(|| known_in(segment)))
            .collect();
        threads
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<tantivy::Result<Vec<_>>>()
    })?;
    Ok(Known::new(runs.into_iter().flatten().collect()))
}

/// One segment's files and their stamps, in its dictionary's order: one
/// sorted run of [`Known::new`]'s input.
fn known_in(segment: &tantivy::SegmentReader) -> tantivy::Result<Vec<(String, Stamp)>> {
    let fast = segment.fast_fields();
    let (mtime, size) = (fast.u64("mtime")?, fast.u64("size")?);
    let Some(paths) = fast.str("path")? else {
        return Ok(Vec::new());
    };
    let mut by_ord = Vec::with_capacity(paths.num_terms());
    let mut stream = paths.dictionary().stream()?;
    while stream.advance() {
        by_ord.push((String::from_utf8_lossy(stream.key()).into_owned(), None));
    }
    for doc in segment.doc_ids_alive() {
        let Some(ord) = paths.term_ords(doc).next() else {
            continue;
        };
        if let Some((_, stamp)) = usize::try_from(ord).ok().and_then(|o| by_ord.get_mut(o)) {
            *stamp = Some((mtime.first(doc).unwrap_or(0), size.first(doc).unwrap_or(0)));
        }
    }
    Ok(by_ord
        .into_iter()
        .filter_map(|(path, stamp)| Some((path, stamp?)))
        .collect())
}

/// The walker: queues every file found with the stamp the index holds for
/// it (the workers `stat` it and pass over the unchanged), reports skips,
/// and returns the indexed paths it did not meet (their files are gone).
fn feed(
    walk: crawl::Walk,
    mut known: Known,
    jobs: &Sender<Vec<Job>>,
    outcomes: &Sender<Outcome>,
) -> Vec<String> {
    let mut found = 0;
    let mut batch = Vec::with_capacity(BATCH_LEN);
    for walked in walk {
        found += 1;
        if found == REPORT_EVERY {
            let _ = outcomes.send(Outcome::Walked {
                found,
                unchanged: 0,
            });
            found = 0;
        }
        let candidate = match walked {
            Ok(candidate) => candidate,
            Err(skip) => {
                let _ = outcomes.send(Outcome::Skipped(skip));
                continue;
            }
        };
        let known = known.take(&candidate.rel_path);
        batch.push(Job { candidate, known });
        if batch.len() == BATCH_LEN {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_LEN));
            // The workers stopped: the run fails, and deletes nothing.
            if jobs.send(full).is_err() {
                return Vec::new();
            }
        }
    }
    if !batch.is_empty() && jobs.send(batch).is_err() {
        return Vec::new();
    }
    let _ = outcomes.send(Outcome::Walked {
        found,
        unchanged: 0,
    });
    known.into_untaken()
}

/// A worker: reads, normalizes and writes queued files.
fn work(
    jobs: &Receiver<Vec<Job>>,
    outcomes: &Sender<Outcome>,
    writer: &RwLock<IndexWriter>,
    context: &Context<'_>,
) {
    let Context {
        fields,
        gauge,
        options,
        ..
    } = *context;
    let mut unchanged = 0;
    for Job { candidate, known } in jobs.iter().flatten() {
        let existed = known.is_some();
        let entry = context.stat.classify(candidate);
        if let Ok(entry) = &entry
            && context.trust_stamps
            && known == Some((entry.mtime, entry.size))
        {
            unchanged += 1;
            if unchanged == REPORT_EVERY {
                let _ = outcomes.send(Outcome::Walked {
                    found: 0,
                    unchanged,
                });
                unchanged = 0;
            }
            continue;
        }
        // Shared while writing a document; taken whole only to commit.
        let writer = writer.read().unwrap_or_else(PoisonError::into_inner);
        let path = match &entry {
            Ok(entry) => &entry.rel_path,
            Err(skip) => &skip.path,
        };
        let path_term = Term::from_field_text(fields.path, path);
        let mut samples = None;
        let outcome = match entry.and_then(|entry| crawl::read(&entry, &options.crawl)) {
            Err(skip) => {
                if existed {
                    writer.delete_term(path_term);
                }
                Outcome::Skipped(skip)
            }
            Ok(file) => {
                let mut dispatch = normalize::normalize(&file, &options.normalize);
                context.counts.mark(&mut dispatch);
                let group = context.groups.group(dispatch.fingerprint);
                samples = context
                    .trainer
                    .offer(|sample| write_stored_texts(&dispatch, sample));
                if existed {
                    writer.delete_term(path_term);
                }
                let doc = Queued::new(
                    document(&dispatch, group, fields),
                    dispatch.size as usize,
                    gauge,
                );
                match writer.add_document(doc) {
                    Ok(_) => Outcome::Indexed(Indexed {
                        updated: existed,
                        removed: dispatch.removed.len(),
                        size: dispatch.size,
                        encoding: dispatch.encoding,
                        replacements: dispatch.replacements,
                        path: dispatch.path,
                    }),
                    Err(err) => Outcome::Failed(Error::index(&options.index_dir, err)),
                }
            }
        };
        drop(writer);
        let trained = samples.and_then(|samples| train(&samples, options).err());
        if outcomes.send(outcome).is_err() {
            break;
        }
        if let Some(err) = trained
            && outcomes.send(Outcome::Failed(err)).is_err()
        {
            break;
        }
    }
    let _ = outcomes.send(Outcome::Walked {
        found: 0,
        unchanged,
    });
}

/// Tallies outcomes and reports them; returns the first fatal error.
/// Called after each indexed file with the tally so far; commits when one is
/// due and returns its error, if any.
type CommitPoint<'a> = dyn FnMut(&Summary, &mut dyn FnMut(Event<'_>)) -> Option<Error> + 'a;

/// `commit_point` is called after each indexed file and commits when due.
fn collect(
    outcomes: &Receiver<Outcome>,
    summary: &mut Summary,
    on_event: &mut dyn FnMut(Event<'_>),
    commit_point: &mut CommitPoint<'_>,
) -> Option<Error> {
    let mut failure = None;
    let (mut found, mut done) = (0, 0);
    for outcome in outcomes {
        match outcome {
            Outcome::Walked {
                found: walked,
                unchanged,
            } => {
                found += walked;
                summary.unchanged += unchanged;
                done += unchanged;
            }
            Outcome::Skipped(skip) => {
                on_event(Event::Skipped(&skip));
                *summary
                    .skipped
                    .entry(skip.reason.kind().to_string())
                    .or_default() += 1;
                done += 1;
            }
            Outcome::Indexed(indexed) => {
                if indexed.updated {
                    summary.updated += 1;
                } else {
                    summary.added += 1;
                }
                summary.paragraphs_removed += indexed.removed;
                summary.bytes += indexed.size;
                if indexed.replacements > 0 {
                    summary.damaged += 1;
                    on_event(Event::Damaged {
                        path: &indexed.path,
                        encoding: indexed.encoding,
                        replacements: indexed.replacements,
                    });
                }
                done += 1;
                if failure.is_none() {
                    failure = commit_point(summary, on_event);
                }
            }
            Outcome::Failed(err) => {
                failure.get_or_insert(err);
            }
        }
        on_event(Event::Progress {
            found,
            done,
            bytes: summary.bytes,
        });
    }
    summary.seen = found;
    failure
}

/// The tantivy document for a dispatch.
pub fn document(dispatch: &Dispatch, group: u64, fields: &Fields) -> TantivyDocument {
    let body = dispatch.body();
    // Room for the encoded document, about: its long texts, with slack for
    // the short ones and the numbers. (Its buffer grew from 1 KiB by
    // doubling, copying the body on the way.)
    let boilerplate: usize = dispatch
        .boilerplate_paragraphs()
        .map(|(_, p)| p.len())
        .sum();
    let texts = dispatch.path.len() + dispatch.title.len() + body.len() + boilerplate;
    let numbers = 16 * (dispatch.keys.len() + dispatch.bands.len() + 16);
    let mut doc = TantivyDocument::with_capacity(texts + numbers + 256);
    doc.add_text(fields.path, &dispatch.path);
    doc.add_text(fields.title, &dispatch.title);
    doc.add_text(fields.body, body);
    if let Some(category) = &dispatch.category {
        doc.add_text(fields.category, category);
        doc.add_text(fields.category_text, category);
    }
    if let Some(dateline) = &dispatch.dateline {
        doc.add_text(fields.place, &dateline.place);
        if let Some(agency) = &dateline.agency {
            doc.add_text(fields.agency, agency);
        }
        if let Some(date_text) = &dateline.date_text {
            doc.add_text(fields.date_text, date_text);
        }
    }
    if let Some(date) = dispatch.date {
        doc.add_date(
            fields.date,
            DateTime::from_timestamp_secs(date.days_since_epoch() * 86_400),
        );
    }
    for (position, paragraph) in dispatch.boilerplate_paragraphs() {
        doc.add_text(fields.boilerplate, paragraph);
        doc.add_u64(fields.boilerplate_at, position as u64);
        doc.add_u64(fields.boilerplate_keys, dispatch.keys[position]);
    }
    for (_, key) in dispatch.countable_keys() {
        doc.add_u64(fields.paragraph_keys, key);
    }
    for &band in &dispatch.bands {
        doc.add_u64(fields.bands, band);
    }
    doc.add_u64(fields.fingerprint, dispatch.fingerprint);
    doc.add_u64(fields.dup_group, group);
    doc.add_u64(fields.mtime, dispatch.mtime);
    doc.add_u64(fields.size, dispatch.size);
    doc.add_u64(fields.paragraphs, dispatch.paragraphs.len() as u64);
    doc.add_u64(fields.removed, dispatch.removed.len() as u64);
    doc.add_text(fields.encoding, dispatch.encoding);
    doc.add_u64(fields.replacements, dispatch.replacements as u64);
    doc
}

/// Commits everything written so far, recording the run's summary and
/// whether the run is complete.
fn commit_to(
    writer: &mut IndexWriter,
    options: &IndexOptions,
    summary: &Summary,
    complete: bool,
    settled: Option<Settled>,
) -> tantivy::Result<()> {
    let payload = CommitPayload {
        schema_version: SCHEMA_VERSION,
        normalize_version: NORMALIZE_VERSION,
        corpus: options.corpus.display().to_string(),
        last_run: summary.clone(),
        complete,
        settled,
    };
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
    prepared.commit()?;
    Ok(())
}

/// The payload of the index's last commit, if it has one sift can read.
pub fn last_commit(index: &Index) -> tantivy::Result<Option<CommitPayload>> {
    let payload = schema::commit_head(index)?.payload;
    Ok(payload.and_then(|p| serde_json::from_str(&p).ok()))
}
