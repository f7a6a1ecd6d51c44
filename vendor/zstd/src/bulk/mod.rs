//! Compress and decompress data in bulk.
//!
//! These methods process all the input data at once.
//! It is therefore best used with relatively small blocks
//! (like small network packets).

mod compressor;
mod decompressor;

#[cfg(test)]
mod tests;

pub use self::compressor::Compressor;
pub use self::decompressor::Decompressor;

use crate::map_error_code;
use std::cell::Cell;
use std::io;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{PoisonError, RwLock};
use zstd_safe::{CDict, DDict};

// Patched for sift (see vendor/README.md in sift): `compress_to_buffer` and
// `decompress_to_buffer` keep one context per thread instead of creating one
// per call. Creating a context costs more than compressing or decompressing
// a 16 KiB block: zstd allocates it and asks the CPU for its features
// (`cpuid`, which traps to the hypervisor on a virtual machine), and tantivy
// calls these functions once per block of its document store. Each call
// starts a new frame, so a reused context gives the same output as a fresh
// one.
thread_local! {
    static COMPRESSOR: Cell<Option<Compressor<'static>>> = const { Cell::new(None) };
    static DECOMPRESSOR: Cell<Option<Decompressor<'static>>> = const { Cell::new(None) };
}

// Patched for sift: the minimum match length `compress_to_buffer` asks of
// zstd, for every caller in the process; 0 leaves it to the level.
static MIN_MATCH: AtomicU32 = AtomicU32::new(0);

/// Patched for sift: sets the minimum match length (zstd's
/// `ZSTD_c_minMatch`, 3 to 7; 0 for the level's own) of every later
/// [`compress_to_buffer`] call in the process. Longer matches make fewer
/// sequences for the decoder to read.
pub fn set_min_match(length: u32) {
    MIN_MATCH.store(length, Ordering::Relaxed);
}

// Patched for sift: zstd dictionaries for `compress_to_buffer` and
// `decompress_to_buffer`, process-wide, because their callers (tantivy's
// document store, on threads of its own) pass none. A frame records the id
// of the dictionary it was compressed with; `decompress_to_buffer` reads it
// and uses the added dictionary of that id. Prepared dictionaries live as
// long as the process (a thread may hold one while another replaces it),
// each prepared once: a process uses one or two.
static DECOMPRESSION_DICTIONARIES: RwLock<Vec<&'static DDict<'static>>> =
    RwLock::new(Vec::new());
static COMPRESSION_DICTIONARY: RwLock<Option<(&'static CDict<'static>, i32)>> =
    RwLock::new(None);

/// Patched for sift: lets every later [`decompress_to_buffer`] call in the
/// process read frames compressed with `dictionary`, a zstd dictionary
/// (with its header, as `ZDICT_trainFromBuffer` makes them). Returns its id;
/// adding a dictionary of an id already added changes nothing.
pub fn add_decompression_dictionary(dictionary: &[u8]) -> io::Result<u32> {
    let id = dictionary_id(dictionary)?;
    let mut added = DECOMPRESSION_DICTIONARIES
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    if !added.iter().any(|ddict| ddict.get_dict_id() == NonZeroU32::new(id)) {
        let ddict = DDict::try_create(dictionary).ok_or_else(not_a_dictionary)?;
        added.push(Box::leak(Box::new(ddict)));
    }
    Ok(id)
}

/// Patched for sift: every later [`compress_to_buffer`] call in the process
/// compresses with `dictionary` (see [`add_decompression_dictionary`]),
/// prepared for `level`, or with none. Returns the dictionary's id.
pub fn set_compression_dictionary(
    dictionary: Option<&[u8]>,
    level: i32,
) -> io::Result<Option<u32>> {
    let prepared = match dictionary {
        None => None,
        Some(dictionary) => Some(prepared_cdict(dictionary, level)?),
    };
    *COMPRESSION_DICTIONARY
        .write()
        .unwrap_or_else(PoisonError::into_inner) =
        prepared.map(|(cdict, _)| (cdict, level));
    Ok(prepared.map(|(_, id)| id))
}

/// The dictionary prepared for compression at `level`, prepared once per
/// dictionary and level in the process (it is kept for good).
fn prepared_cdict(
    dictionary: &[u8],
    level: i32,
) -> io::Result<(&'static CDict<'static>, u32)> {
    static PREPARED: RwLock<Vec<(u32, i32, &'static CDict<'static>)>> =
        RwLock::new(Vec::new());
    let id = dictionary_id(dictionary)?;
    let mut prepared =
        PREPARED.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(&(_, _, cdict)) =
        prepared.iter().find(|(i, l, _)| (*i, *l) == (id, level))
    {
        return Ok((cdict, id));
    }
    let cdict = CDict::try_create(dictionary, level)
        .ok_or_else(not_a_dictionary)?;
    let cdict: &'static CDict<'static> = Box::leak(Box::new(cdict));
    prepared.push((id, level, cdict));
    Ok((cdict, id))
}

fn dictionary_id(dictionary: &[u8]) -> io::Result<u32> {
    zstd_safe::get_dict_id_from_dict(dictionary)
        .map(NonZeroU32::get)
        .ok_or_else(not_a_dictionary)
}

fn not_a_dictionary() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "not a zstd dictionary")
}

/// Compresses a single block of data to the given destination buffer.
///
/// Returns the number of bytes written, or an error if something happened
/// (for instance if the destination buffer was too small).
///
/// [`crate::compress_bound()`] says how large the destination might need to
/// be. Passing a `Vec` instead of a slice works too, and then it is the
/// `Vec`'s *capacity* that bounds the output - so `reserve` what you need
/// rather than `resize`, since the bytes do not have to be initialized.
///
/// A level of `0` uses zstd's default (currently `3`).
pub fn compress_to_buffer(
    source: &[u8],
    destination: &mut [u8],
    level: i32,
) -> io::Result<usize> {
    // Patched for sift (see the note at the top of this file).
    let mut compressor = match COMPRESSOR.try_with(Cell::take).ok().flatten() {
        Some(mut compressor) => {
            compressor.set_compression_level(level)?;
            compressor
        }
        None => Compressor::new(level)?,
    };
    compressor.set_parameter(zstd_safe::CParameter::MinMatch(
        MIN_MATCH.load(Ordering::Relaxed),
    ))?;
    let dictionary = *COMPRESSION_DICTIONARY
        .read()
        .unwrap_or_else(PoisonError::into_inner);
    // Only a dictionary prepared for this level; setting the level above
    // dropped the one the context referred to.
    if let Some((cdict, _)) = dictionary.filter(|(_, at)| *at == level) {
        compressor
            .context_mut()
            .ref_cdict(cdict)
            .map_err(map_error_code)?;
    }
    let written = compressor.compress_to_buffer(source, destination);
    let _ = COMPRESSOR.try_with(|cell| cell.set(Some(compressor)));
    written
}

fn decompression_dictionary(id: NonZeroU32) -> Option<&'static DDict<'static>> {
    DECOMPRESSION_DICTIONARIES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|ddict| ddict.get_dict_id() == Some(id))
        .copied()
}

/// Compresses a block of data and returns the compressed result.
///
/// A level of `0` uses zstd's default (currently `3`).
pub fn compress(data: &[u8], level: i32) -> io::Result<Vec<u8>> {
    Compressor::new(level)?.compress(data)
}

/// Decompress a single block of data to the given destination buffer.
///
/// Returns the number of bytes written, or an error if something happened
/// (for instance if the destination buffer was too small).
///
/// [`crate::decompressed_size()`] says how big the result will be, when the
/// frame records it - there is no need to store the size alongside the data
/// yourself.
///
/// Only as many bytes as returned at the start of `destination` are
/// meaningful: zstd may overwrite the rest, even if it was zero-filled
/// beforehand. This function only takes a slice; to decompress into a `Vec`
/// and have its length set to the output size, use
/// [`Decompressor::decompress_to_buffer`].
pub fn decompress_to_buffer(
    source: &[u8],
    destination: &mut [u8],
) -> io::Result<usize> {
    // Patched for sift (see the note at the top of this file).
    let mut decompressor = match DECOMPRESSOR.try_with(Cell::take).ok().flatten() {
        Some(decompressor) => decompressor,
        None => Decompressor::new()?,
    };
    let written = match zstd_safe::get_dict_id_from_frame(source) {
        None => decompressor.decompress_to_buffer(source, destination),
        Some(id) => match decompression_dictionary(id) {
            Some(ddict) => decompressor
                .context_mut()
                .decompress_using_ddict(destination, source, ddict)
                .map_err(map_error_code),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "compressed with zstd dictionary {id}, which was not added"
                ),
            )),
        },
    };
    let _ = DECOMPRESSOR.try_with(|cell| cell.set(Some(decompressor)));
    written
}

/// Decompresses a block of data and returns the decompressed result.
///
/// The decompressed data should be at most `capacity` bytes, or an error will
/// be returned - so `capacity` is the most you are willing to allocate for
/// this, not a guess that has to be right.
///
/// The output buffer is allocated once, before decompressing, so that zstd
/// can decompress straight into it. Its size is:
///
/// * the decompressed size, when every frame records it - however large a
///   `capacity` you allow;
/// * otherwise, with the `experimental` feature, zstd's upper bound for the
///   data, when it is smaller than `capacity`;
/// * otherwise, `capacity` itself, even if the data then turns out to be
///   invalid. So only pass a `capacity` you can afford to allocate.
///
/// [`crate::decompressed_size()`] gives you the size up front, if you would
/// rather decide for yourself.
pub fn decompress(data: &[u8], capacity: usize) -> io::Result<Vec<u8>> {
    Decompressor::new()?.decompress(data, capacity)
}
