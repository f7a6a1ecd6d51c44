//! A bound on the bytes of documents waiting in tantivy's indexing queue.
//!
//! tantivy's `IndexWriter` queues up to 10,000 documents between
//! `add_document` and its indexing threads, whatever their size. Workers
//! normalize faster than tantivy indexes, so that queue fills: 40 MB of
//! 3 kB dispatches, gigabytes of large ones, outside the `--memory` budget.
//! Here each document carries a [`Ticket`] for its bytes while it waits;
//! tantivy drops the document once indexed, which returns the ticket, and
//! workers wait while the gauge is full.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tantivy::TantivyDocument;
use tantivy::schema::document::Document;

/// Bytes of documents handed to tantivy and not yet indexed.
#[derive(Debug)]
pub struct Gauge {
    state: Mutex<State>,
    room: Condvar,
    limit: usize,
}

/// What the gauge's lock guards.
#[derive(Debug, Default)]
struct State {
    /// Bytes counted.
    bytes: usize,
    /// Workers waiting for room. A `Condvar` notification is a system call
    /// even when no thread waits: one per indexed document, they were half
    /// of a full index's `futex` calls.
    waiters: usize,
}

impl Gauge {
    /// A gauge that lets at most `limit` bytes wait (and always one
    /// document, however large).
    pub fn new(limit: usize) -> Arc<Gauge> {
        Arc::new(Gauge {
            state: Mutex::new(State::default()),
            room: Condvar::new(),
            limit,
        })
    }

    /// Waits until `bytes` more fit, then counts them until the ticket is
    /// dropped.
    pub fn ticket(self: &Arc<Gauge>, bytes: usize) -> Ticket {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.bytes > 0 && state.bytes + bytes > self.limit {
            state.waiters += 1;
            state = self
                .room
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiters -= 1;
        }
        state.bytes += bytes;
        Ticket {
            gauge: Arc::clone(self),
            bytes,
        }
    }

    /// The bytes counted now.
    pub fn bytes(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }
}

/// Bytes counted in a [`Gauge`] until dropped.
#[derive(Debug)]
pub struct Ticket {
    gauge: Arc<Gauge>,
    bytes: usize,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self
            .gauge
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.bytes -= self.bytes;
        let waiters = state.waiters > 0;
        drop(state);
        if waiters {
            self.gauge.room.notify_all();
        }
    }
}

/// A document with its ticket: what sift hands to tantivy's writer.
pub struct Queued {
    doc: TantivyDocument,
    _ticket: Ticket,
}

impl Queued {
    /// Waits for room in the gauge for a document of `bytes` bytes.
    pub fn new(doc: TantivyDocument, bytes: usize, gauge: &Arc<Gauge>) -> Queued {
        Queued {
            doc,
            _ticket: gauge.ticket(bytes),
        }
    }
}

impl Document for Queued {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn tickets_count_until_dropped() {
        let gauge = Gauge::new(100);
        let a = gauge.ticket(60);
        let b = gauge.ticket(40);
        assert_eq!(gauge.bytes(), 100);
        drop(a);
        assert_eq!(gauge.bytes(), 40);
        drop(b);
        assert_eq!(gauge.bytes(), 0);
    }

    #[test]
    fn one_document_larger_than_the_limit_still_passes() {
        let gauge = Gauge::new(10);
        let big = gauge.ticket(1_000);
        assert_eq!(gauge.bytes(), 1_000);
        drop(big);
    }

    #[test]
    fn a_full_gauge_waits_for_room() {
        let gauge = Gauge::new(100);
        let held = gauge.ticket(90);
        let waiter = {
            let gauge = Arc::clone(&gauge);
            std::thread::spawn(move || {
                let _ticket = gauge.ticket(20);
                gauge.bytes()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(gauge.bytes(), 90, "the second ticket must wait");
        drop(held);
        assert_eq!(waiter.join().expect("the waiter finishes"), 20);
    }

    #[test]
    fn every_waiter_is_woken() {
        let gauge = Gauge::new(100);
        let held = gauge.ticket(100);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let gauge = Arc::clone(&gauge);
                std::thread::spawn(move || drop(gauge.ticket(30)))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        for waiter in waiters {
            waiter.join().expect("each waiter finishes");
        }
        assert_eq!(gauge.bytes(), 0);
    }
}
