//! Running many requests on several threads, handing the answers back in
//! the order they were asked.
//!
//! Workers take the next request as they finish one, so a slow query holds
//! up one thread, not a share of the batch. The caller sees answers one at a
//! time, in order, on its own thread: output stays deterministic whatever
//! the thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crossbeam_channel::unbounded;

use super::{Engine, Hits, Request};
use crate::error::Result;

/// One request's answer, with the time the search took.
pub struct Answer {
    /// The hits, or why the request failed.
    pub hits: Result<Hits>,
    /// Wall time of the search on its worker.
    pub took: Duration,
}

impl Engine {
    /// Runs `requests` on up to `threads` threads and calls `emit` with each
    /// answer in request order. An error from `emit` stops the batch (the
    /// requests still running finish, no new ones start) and is returned.
    pub fn search_batch<E>(
        &self,
        requests: &[Request],
        threads: usize,
        emit: impl FnMut(usize, Answer) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        in_order(requests, threads, |request| self.answer(request), emit)
    }

    fn answer(&self, request: &Request) -> Answer {
        let started = Instant::now();
        let hits = self.search(request);
        Answer {
            hits,
            took: started.elapsed(),
        }
    }
}

/// How far ahead of the answer due next, per thread, a worker may start a
/// request: the answers waiting for an earlier one stay few however long
/// that one takes.
const AHEAD_PER_THREAD: usize = 16;

/// Maps `work` over `items` on up to `threads` threads; `emit` receives the
/// results in item order.
fn in_order<T: Sync, R: Send, E>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    mut emit: impl FnMut(usize, R) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        // No thread to start, nothing to reorder.
        return items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| emit(i, work(item)));
    }
    let ahead = threads * AHEAD_PER_THREAD;
    let next = AtomicUsize::new(0);
    // The index of the answer due next, or `usize::MAX` once the batch stops.
    let due: Due = (Mutex::new(0), Condvar::new());
    let (sender, receiver) = unbounded();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let (next, due, work) = (&next, &due, &work);
            scope.spawn(move || {
                // A worker that panics must not leave the others waiting for
                // its answer: the batch stops, and the scope passes the panic on.
                let _stop_on_panic = OnPanic(|| stop(due));
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    // The worker holding the item due never waits here.
                    let guard = due.0.lock().unwrap_or_else(PoisonError::into_inner);
                    let guard = due
                        .1
                        .wait_while(guard, |due| *due != usize::MAX && i >= *due + ahead)
                        .unwrap_or_else(PoisonError::into_inner);
                    if *guard == usize::MAX {
                        break;
                    }
                    drop(guard);
                    if sender.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut early = BTreeMap::new();
        let mut expected = 0;
        for (i, result) in &receiver {
            early.insert(i, result);
            while let Some(result) = early.remove(&expected) {
                if let Err(err) = emit(expected, result) {
                    stop(&due);
                    return Err(err);
                }
                expected += 1;
                set(&due, expected);
            }
        }
        Ok(())
    })
}

/// The answer due next, and the workers waiting for it to move on.
type Due = (Mutex<usize>, Condvar);

fn set(due: &Due, value: usize) {
    *due.0.lock().unwrap_or_else(PoisonError::into_inner) = value;
    due.1.notify_all();
}

/// Stops the batch: no worker starts another request.
fn stop(due: &Due) {
    set(due, usize::MAX);
}

/// Runs its function when dropped during a panic.
struct OnPanic<F: Fn()>(F);

impl<F: Fn()> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_order;

    /// Items that take longer the earlier they come still come out in order,
    /// each once, whatever the thread count.
    #[test]
    fn results_come_in_item_order() {
        let items: Vec<u64> = (0..200).collect();
        for threads in [1, 2, 3, 8, 500] {
            let mut seen = Vec::new();
            let done: Result<(), ()> = in_order(
                &items,
                threads,
                |&i| {
                    if i % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(300 - i));
                    }
                    i * 10
                },
                |at, value| {
                    seen.push((at, value));
                    Ok(())
                },
            );
            assert_eq!(done, Ok(()));
            let expected: Vec<_> = items.iter().map(|&i| (i as usize, i * 10)).collect();
            assert_eq!(seen, expected, "{threads} threads");
        }
    }

    #[test]
    fn an_emit_error_stops_the_batch() {
        let items: Vec<u32> = (0..10_000).collect();
        let worked = std::sync::atomic::AtomicUsize::new(0);
        let mut emitted = 0;
        let done = in_order(
            &items,
            2,
            |&i| {
                worked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_micros(50));
                i
            },
            |at, _| {
                emitted += 1;
                if at == 5 { Err("closed") } else { Ok(()) }
            },
        );
        assert_eq!(done, Err("closed"));
        assert_eq!(emitted, 6);
        assert!(
            worked.into_inner() < 1_000,
            "workers went on after the error"
        );
    }

    /// While the first item runs long, the others do not run on without
    /// bound: their answers would pile up waiting for it.
    #[test]
    fn workers_wait_for_a_slow_first_item() {
        let items: Vec<usize> = (0..1_000).collect();
        let first_done = std::sync::atomic::AtomicBool::new(false);
        let started_before = std::sync::atomic::AtomicUsize::new(0);
        let done: Result<(), ()> = in_order(
            &items,
            2,
            |&i| {
                if i == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    first_done.store(true, std::sync::atomic::Ordering::SeqCst);
                } else if !first_done.load(std::sync::atomic::Ordering::SeqCst) {
                    started_before.fetch_max(i, std::sync::atomic::Ordering::SeqCst);
                }
            },
            |_, ()| Ok(()),
        );
        assert_eq!(done, Ok(()));
        let furthest = started_before.into_inner();
        assert!(
            furthest < 2 * super::AHEAD_PER_THREAD,
            "item {furthest} ran"
        );
        assert!(furthest > 0, "the other worker waited for nothing");
    }

    #[test]
    fn a_panicking_worker_does_not_hang_the_batch() {
        let (sender, receiver) = std::sync::mpsc::channel();
        // On its own thread, so that a hang fails the test instead of
        // hanging it.
        std::thread::spawn(move || {
            let items: Vec<usize> = (0..1_000).collect();
            let result = std::panic::catch_unwind(|| {
                in_order(
                    &items,
                    2,
                    |&i| assert!(i != 3, "item 3 fails"),
                    |_, ()| Ok::<(), ()>(()),
                )
            });
            let _ = sender.send(result.is_err());
        });
        let panicked = receiver.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(panicked, Ok(true));
    }

    #[test]
    fn no_items_no_calls() {
        let done: Result<(), ()> = in_order(&[] as &[u8], 4, |_| unreachable!(), |_, ()| Err(()));
        assert_eq!(done, Ok(()));
    }
}
