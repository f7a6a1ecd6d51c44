//! The process's memory allocator, mimalloc, and how it is set for each
//! command.
//!
//! Indexing spends most of its time in hash tables far larger than the CPU's
//! caches (tantivy's term table, the stem cache) and in per-document buffers
//! freed and allocated again by the million. mimalloc reuses freed memory of
//! a size before asking the kernel for more, and backs its memory with 2 MiB
//! transparent huge pages, which spares those tables most of their TLB
//! misses; on 100,000 generated dispatches `sift index` ran ~10 % faster
//! than with glibc's malloc (`bench/RESULTS.md`, session 7).
//!
//! Huge pages cost ~30 MB more resident memory (a 2 MiB page is resident
//! whole), which a small `--memory` budget has no room for, and a one-shot
//! query process pays 2 MiB of zeroing per page it touches; both run
//! without them.

use std::ffi::c_long;

use libmimalloc_sys::mi_option_t;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (v3), which its Rust binding does not
/// name.
const PURGE_DELAY: mi_option_t = 15;

/// How long freed memory stays with mimalloc before it goes back to the
/// kernel, in ms. mimalloc 3's default, 1 s, held ~60 MB more than glibc at
/// `--memory 32`; 10 ms holds no more and indexes as fast.
const PURGE_DELAY_MS: c_long = 10;

/// The smallest indexing budget, in MB, with room for huge pages within
/// budget + 64 MB.
const HUGE_PAGES_FROM_MB: u32 = 256;

/// Sets the allocator up for a command that is not `index`; the first thing
/// `main` does, before arguments are parsed.
pub fn for_queries() {
    // SAFETY: sets one of mimalloc's options; no other thread runs yet.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
    huge_pages(false);
}

/// Sets the allocator up for `sift index --memory memory_mb`.
pub fn for_indexing(memory_mb: u32) {
    huge_pages(memory_mb >= HUGE_PAGES_FROM_MB);
}

/// Allows or forbids transparent huge pages for the rest of the process.
/// The kernel checks this at every page fault, whatever mimalloc asked of
/// the memory it maps.
fn huge_pages(allow: bool) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes a flag and changes no memory. On a
    // kernel without it the call fails, and pages stay as they were.
    unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            libc::c_ulong::from(!allow),
            0,
            0,
            0,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = allow;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc 3's default purge delay is 1,000 ms and no other option
        // defaults to it: a renumbered option would fail here.
        // SAFETY: reads an option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(delay, 1_000);
        }
    }
}
