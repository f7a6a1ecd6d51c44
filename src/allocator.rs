//! The process's memory allocator, chosen by the command it runs: mimalloc
//! for `sift index` at the default `--memory` budget or more, the system's
//! (glibc's) malloc for everything else.
//!
//! Indexing allocates a document's text on one thread and frees it on
//! another (a worker normalizes it, one of tantivy's threads indexes and
//! drops it), from up to seven threads at once. glibc's malloc serializes
//! that on its arenas' locks, and with fewer arenas (`tune_malloc` in the
//! binary keeps two, to hold memory near the heap's size) threads wait on
//! them; mimalloc gives each thread its own heap and takes frees from
//! other threads without a lock: a full index of 100,000 generated
//! dispatches took 17 % less CPU time (interleaved runs, bench/RESULTS.md,
//! session 15). A short process pays for it instead: mimalloc reserves and
//! maps its first segments at the first allocation, and one `sift search`
//! in its own process was 0.5–1.9 ms slower with it (session 7), so every
//! other command keeps the system's, and so do small budgets
//! ([`MIMALLOC_FROM_MB`]).
//!
//! The choice must be made before the first allocation, which the Rust
//! runtime makes before `main`: the allocator makes it itself, at its
//! first call, from the process's command line as the kernel holds it
//! (read without allocating), and keeps it for the life of the process,
//! so that every block is freed by the allocator that gave it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use mimalloc::MiMalloc;

/// A global allocator that sends every call to mimalloc or to the system's
/// allocator, by the process's command (see the module's doc).
pub struct ByCommand;

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

static CHOSEN: AtomicU8 = AtomicU8::new(UNDECIDED);

/// Whether this process allocates with mimalloc; decided at the first call.
fn mimalloc_chosen() -> bool {
    let mut chosen = CHOSEN.load(Ordering::Relaxed);
    if chosen == UNDECIDED {
        // The first call comes before `main`, on the only thread; were two
        // to race, both would read the same command line and agree.
        chosen = if chooses_mimalloc() { MIMALLOC } else { SYSTEM };
        CHOSEN.store(chosen, Ordering::Relaxed);
    }
    chosen == MIMALLOC
}

/// The smallest `--memory` budget, in MB, indexed with mimalloc: the
/// default. mimalloc keeps ~50 MB more of freed memory at hand than glibc's
/// malloc as tuned (a 50,000-file run at `--memory 32` held 106–109 MB
/// anonymous against 41–45), which small budgets cannot spare; at 256 a
/// 100,000-file run peaked at 240 MB resident, within budget + 64 MB.
pub const MIMALLOC_FROM_MB: u64 = 256;

/// Whether the command line, NUL-separated as `/proc/self/cmdline` gives
/// it, runs `sift index` with a budget of at least [`MIMALLOC_FROM_MB`]:
/// the program's first argument is `index`, and `--memory`, if given, is at
/// least that. (`index` takes `--memory` nowhere else; a value clap would
/// refuse keeps the system's allocator.)
pub fn indexes_with_mimalloc(cmdline: &[u8]) -> bool {
    let mut args = cmdline.split(|&b| b == 0).skip(1);
    if args.next() != Some(b"index".as_slice()) {
        return false;
    }
    let mut budget_mb = crate::index::DEFAULT_MEMORY_MB.into();
    while let Some(arg) = args.next() {
        let value = match arg.strip_prefix(b"--memory") {
            Some(b"") => args.next(),
            Some(rest) => rest.strip_prefix(b"="),
            None => continue,
        };
        let parsed = value
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok());
        match parsed {
            Some(mb) => budget_mb = mb,
            None => return false,
        }
    }
    budget_mb >= MIMALLOC_FROM_MB
}

/// Whether this process indexes with mimalloc, from `/proc/self/cmdline`;
/// on systems without it, never (the system's allocator is kept).
#[cfg(target_os = "linux")]
fn chooses_mimalloc() -> bool {
    let mut cmdline = [0u8; 4096];
    let mut len = 0;
    // SAFETY: a NUL-terminated path; each `read` writes at most the rest of
    // `cmdline`; the descriptor is closed once, by this function.
    unsafe {
        let fd = libc::open(
            c"/proc/self/cmdline".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if fd < 0 {
            return false;
        }
        while len < cmdline.len() {
            let rest = &mut cmdline[len..];
            let Ok(read @ 1..) =
                usize::try_from(libc::read(fd, rest.as_mut_ptr().cast(), rest.len()))
            else {
                break;
            };
            len += read;
        }
        libc::close(fd);
    }
    // A command line that fills the buffer may go on past it (a `--memory`
    // unseen): the system's allocator, which fits every budget.
    len < cmdline.len() && indexes_with_mimalloc(&cmdline[..len])
}

#[cfg(not(target_os = "linux"))]
fn chooses_mimalloc() -> bool {
    false
}

// SAFETY: every call goes to one of two allocators, the same one for the
// life of the process (`CHOSEN` never changes once set), so each block is
// resized and freed by the allocator that gave it; both uphold
// `GlobalAlloc`'s contract themselves.
unsafe impl GlobalAlloc for ByCommand {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            if mimalloc_chosen() {
                MiMalloc.alloc(layout)
            } else {
                System.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            if mimalloc_chosen() {
                MiMalloc.alloc_zeroed(layout)
            } else {
                System.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's guarantees, passed on, to the allocator that
        // gave `ptr`.
        unsafe {
            if mimalloc_chosen() {
                MiMalloc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's guarantees, passed on, to the allocator that
        // gave `ptr`.
        unsafe {
            if mimalloc_chosen() {
                MiMalloc.realloc(ptr, layout, new_size)
            } else {
                System.realloc(ptr, layout, new_size)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command line as `/proc/self/cmdline` holds it.
    fn cmdline(args: &[&str]) -> Vec<u8> {
        args.iter().flat_map(|a| a.bytes().chain([0])).collect()
    }

    fn takes_mimalloc(args: &[&str]) -> bool {
        indexes_with_mimalloc(&cmdline(args))
    }

    #[test]
    fn only_the_index_command_at_large_budgets_takes_mimalloc() {
        assert!(takes_mimalloc(&["sift", "index", "corpus", "--quiet"]));
        assert!(takes_mimalloc(&["/usr/bin/sift", "index"]));
        assert!(indexes_with_mimalloc(b"sift\0index"));
        assert!(takes_mimalloc(&["sift", "index", "--memory", "256"]));
        assert!(takes_mimalloc(&["sift", "index", "c", "--memory=1024"]));
        assert!(!takes_mimalloc(&["sift", "index", "--memory", "255"]));
        assert!(!takes_mimalloc(&["sift", "index", "--memory=32", "c"]));
        assert!(!takes_mimalloc(&["sift", "index", "--memory", "lots"]));
        assert!(!takes_mimalloc(&["sift", "index", "--memory"]));
        assert!(!takes_mimalloc(&["sift", "search", "index"]));
        assert!(!takes_mimalloc(&["sift", "indexes"]));
        assert!(!takes_mimalloc(&["sift"]));
        assert!(!indexes_with_mimalloc(b""));
    }
}
