//! Running many requests on several threads, handing the answers back in
//! the order they were asked.
//!
//! Workers take the next request as they finish one, so a slow query holds
//! up one thread, not a share of the batch. The caller sees answers one at a
//! time, in order, on its own thread: output stays deterministic whatever
//! the thread count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = unbounded();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let sender = sender.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if sender.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Answers that came before their turn wait here; a worker is at
        // most a few requests ahead of the slowest one still running.
        let mut early = BTreeMap::new();
        let mut due = 0;
        for (i, result) in &receiver {
            early.insert(i, result);
            while let Some(result) = early.remove(&due) {
                if let Err(err) = emit(due, result) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(err);
                }
                due += 1;
            }
        }
        Ok(())
    })
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

    #[test]
    fn no_items_no_calls() {
        let done: Result<(), ()> = in_order(&[] as &[u8], 4, |_| unreachable!(), |_, ()| Err(()));
        assert_eq!(done, Ok(()));
    }
}
