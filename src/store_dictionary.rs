//! The zstd dictionary of an index's document store.
//!
//! A hit is read back by decompressing its whole block of the store, so
//! small blocks make fast reads; alone, small blocks compress worse. A
//! dictionary trained on the corpus's own text gives each block the
//! phrases its neighbours would have: 4 KiB blocks with a 32 KiB
//! dictionary make a smaller store than 10 KiB blocks without one, and read
//! in about half the time (`bench/store_blocks.py`, bench/RESULTS.md).
//!
//! The dictionary is trained, for an index that has none, from the first
//! [`SAMPLE_DOCS`] documents a run gives it, or from those it holds if it
//! holds as many (its runs were each shorter), written beside the index as
//! [`FILE_NAME`] (durably,
//! before any block compressed with it can be committed), and never
//! changed afterwards: blocks written before it exist keep reading without
//! it. tantivy's store knows nothing of it: the vendored zstd holds it for
//! the process (`vendor/README.md`), so it is added before the store is
//! read or written, and a process writes one index at a time
//! ([`Writing`]). Every compressed block names the dictionary it needs; a
//! block whose dictionary is missing fails to read with that said.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{Error, Result};

/// The dictionary's file in the index folder.
pub const FILE_NAME: &str = "store.dict";

/// The dictionary's size: 32 KiB, against 10 KiB blocks without and 4 KiB
/// blocks with it (bench/RESULTS.md, session 12).
const DICTIONARY_BYTES: usize = 32 * 1024;

/// Documents trained on: 1,000 (~2.5 MB of text) trained in ~0.15 s and
/// made the store of 100,000 generated dispatches as small as 20,000 did
/// (bench/RESULTS.md, session 13).
pub const SAMPLE_DOCS: usize = 1_000;

/// And at least this much text: zstd advises ~100× the dictionary's size;
/// less makes a dictionary of the few phrases it saw.
const SAMPLE_BYTES: usize = 32 * DICTIONARY_BYTES;

/// fastCover's segment and fingerprint lengths: k = 200 made the smallest
/// store of 50, 100, 200, 300, 1,000 and 2,000 (session 13).
const SEGMENT_BYTES: u32 = 200;
const FINGERPRINT_BYTES: u32 = 8;

/// Lets this process read store blocks compressed with the index's
/// dictionary, if the index has one. Call it after the commit to be read is
/// chosen: the file exists before any commit that needs it.
pub fn add_for_reading(dir: &Path) -> Result<bool> {
    let path = dir.join(FILE_NAME);
    let Some(dictionary) = read(&path)? else {
        return Ok(false);
    };
    zstd::bulk::add_decompression_dictionary(&dictionary)
        .map_err(|source| Error::io(path, source))?;
    Ok(true)
}

/// Held while an index is written: how blocks are compressed is set for
/// the whole process, so a process writes one index at a time.
static WRITING: Mutex<()> = Mutex::new(());

/// The right to write an index in this process, until dropped.
pub struct Writing {
    _held: MutexGuard<'static, ()>,
}

/// For a run that writes the index: waits until no other index is being
/// written in this process, then has blocks compressed at `level` with the
/// index's dictionary, if it has one, and read with it. Returns whether it
/// has one, and the right to write, to be kept until the writer is done.
pub fn use_for_writing(dir: &Path, level: i32) -> Result<(bool, Writing)> {
    let held = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
    let path = dir.join(FILE_NAME);
    let dictionary = read(&path)?;
    use_dictionary(&path, dictionary.as_deref(), level)?;
    Ok((dictionary.is_some(), Writing { _held: held }))
}

/// Adds `dictionary` for reading, then has every later block compressed
/// with it (or with none).
fn use_dictionary(path: &Path, dictionary: Option<&[u8]>, level: i32) -> Result<()> {
    let err = |source| Error::io(path, source);
    if let Some(dictionary) = dictionary {
        zstd::bulk::add_decompression_dictionary(dictionary).map_err(err)?;
    }
    zstd::bulk::set_compression_dictionary(dictionary, level).map_err(err)?;
    Ok(())
}

fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::io(path, source)),
    }
}

/// Gathers a run's first documents as training samples, for an index
/// without a dictionary; the worker that completes them trains it.
pub struct Trainer {
    /// Whether samples are still wanted: read before taking the lock, so
    /// that documents after the first thousand cost one atomic load.
    wanted: AtomicBool,
    samples: Mutex<Samples>,
}

/// Training samples: documents' stored text, end to end.
#[derive(Default)]
pub struct Samples {
    text: Vec<u8>,
    sizes: Vec<usize>,
}

impl Trainer {
    /// A trainer that gathers samples if `wanted`.
    pub fn new(wanted: bool) -> Trainer {
        Trainer {
            wanted: AtomicBool::new(wanted),
            samples: Mutex::new(Samples::default()),
        }
    }

    /// Whether samples are still wanted.
    pub fn wants(&self) -> bool {
        self.wanted.load(Ordering::Relaxed)
    }

    /// Takes one more sample, which `write` appends to the samples' text,
    /// if samples are still wanted; returns the samples to the caller whose
    /// sample completes them, once.
    pub fn offer(&self, write: impl FnOnce(&mut Vec<u8>)) -> Option<Samples> {
        if !self.wants() {
            return None;
        }
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.wanted.load(Ordering::Relaxed) {
            return None;
        }
        let start = samples.text.len();
        write(&mut samples.text);
        let size = samples.text.len() - start;
        samples.sizes.push(size);
        if samples.sizes.len() < SAMPLE_DOCS || samples.text.len() < SAMPLE_BYTES {
            return None;
        }
        self.wanted.store(false, Ordering::Relaxed);
        Some(std::mem::take(&mut samples))
    }
}

impl Samples {
    /// Trains a dictionary on the samples for compression at `level`.
    /// `None` when zstd declines them: too few or too short to learn from;
    /// the store then goes on without.
    pub fn train(&self, level: i32) -> Option<Vec<u8>> {
        zstd::dict::from_continuous_fast_cover(
            &self.text,
            &self.sizes,
            DICTIONARY_BYTES,
            SEGMENT_BYTES,
            FINGERPRINT_BYTES,
            level,
        )
        .ok()
    }
}

/// Writes `dictionary` into the index folder `dir`, then has every later
/// block compressed at `level` with it.
pub fn keep(dir: &Path, dictionary: &[u8], level: i32) -> Result<()> {
    let path = dir.join(FILE_NAME);
    write_durably(dir, &path, dictionary).map_err(|source| Error::io(&path, source))?;
    use_dictionary(&path, Some(dictionary), level)
}

/// Writes `bytes` to `path` so that a crash leaves either no file or the
/// whole of it, on disk before this returns: a temporary file, synced,
/// renamed into place, and the folder synced.
fn write_durably(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = path.with_extension("dict.partial");
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str) -> impl FnOnce(&mut Vec<u8>) + '_ {
        move |sample: &mut Vec<u8>| sample.extend_from_slice(text.as_bytes())
    }

    fn words(seed: usize) -> String {
        let vocabulary = [
            "the",
            "minister",
            "said",
            "on",
            "Tuesday",
            "that",
            "talks",
            "would",
            "resume",
            "officials",
            "reported",
            "markets",
            "closed",
            "higher",
            "after",
            "agency",
        ];
        (0..400)
            .map(|i| vocabulary[(i * 7 + seed * 13 + i / 5) % vocabulary.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn samples_are_handed_over_once_when_complete() {
        let trainer = Trainer::new(true);
        for i in 0..SAMPLE_DOCS - 1 {
            assert!(trainer.offer(sample(&words(i))).is_none());
        }
        let samples = trainer
            .offer(sample("last"))
            .expect("the last sample completes them");
        assert_eq!(samples.sizes.len(), SAMPLE_DOCS);
        assert_eq!(samples.sizes.iter().sum::<usize>(), samples.text.len());
        assert!(trainer.offer(sample("more")).is_none());
        assert!(Trainer::new(false).offer(sample("unwanted")).is_none());
    }

    #[test]
    fn a_trained_dictionary_is_written_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let trainer = Trainer::new(true);
        let samples = (0..SAMPLE_DOCS)
            .find_map(|i| trainer.offer(sample(&words(i))))
            .unwrap();
        let dictionary = samples.train(1).expect("enough text to learn from");
        assert!(dictionary.len() <= DICTIONARY_BYTES);
        let path = dir.path().join(FILE_NAME);
        write_durably(dir.path(), &path, &dictionary).unwrap();
        assert_eq!(fs::read(&path).unwrap(), dictionary);
        assert!(!dir.path().join("store.dict.partial").exists());
        assert!(add_for_reading(dir.path()).unwrap());
    }

    #[test]
    fn short_documents_are_gathered_until_there_is_enough_text() {
        let trainer = Trainer::new(true);
        let word = "the minister said ";
        let needed = SAMPLE_BYTES.div_ceil(word.len());
        assert!(needed > SAMPLE_DOCS);
        for _ in 0..needed - 1 {
            assert!(trainer.offer(sample(word)).is_none());
        }
        let samples = trainer.offer(sample(word)).expect("enough text now");
        assert_eq!(samples.sizes.len(), needed);
    }

    #[test]
    fn one_index_is_written_at_a_time() {
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let writing = use_for_writing(first.path(), 1).unwrap();
        let started = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| {
                let _writing = use_for_writing(second.path(), 1).unwrap();
                started.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert!(
                !started.load(Ordering::SeqCst),
                "two indexes written at once"
            );
            drop(writing);
            other.join().unwrap();
        });
        assert!(started.load(Ordering::SeqCst));
    }

    #[test]
    fn a_file_that_is_not_a_dictionary_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), b"not a dictionary").unwrap();
        let err = add_for_reading(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(FILE_NAME) && err.contains("not a zstd dictionary"),
            "{err}"
        );
        assert!(!add_for_reading(&dir.path().join("none")).unwrap());
    }
}
