//! Group commit for many producers: events arrive on a channel; the writer takes the first
//! and everything already queued behind it (at most `max_batch`), commits them with one
//! `fdatasync` and answers every producer. Batches form by themselves while the previous
//! sync is running, so an idle log commits a lone event at once (latency = one sync) and a
//! busy one commits up to `max_batch` per sync. An optional linger (`max_wait`) trades
//! latency for fewer syncs. The housekeeping that needs syncs of its own (anchoring,
//! segment rotation, renewing preallocated zeros: [`Log::maintain`]) runs after the
//! producers are answered, while the next batch gathers; the zeros only when no event is
//! waiting (under load the segment simply grows). The batching helper [`collect_batch`] is also what
//! `faxctl audit append` uses on its stdin lines.

use crate::error::LogError;
use crate::event::Event;
use crate::log::Log;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Waits for one item, takes everything already queued (up to `max` items), then, if
/// `max_wait` is not zero, keeps gathering until `max` items or `max_wait` has passed.
/// Returns an empty batch once the channel is closed and drained.
pub fn collect_batch<T>(rx: &Receiver<T>, max: usize, max_wait: Duration) -> Vec<T> {
    match rx.recv() {
        Ok(first) => collect_after(first, rx, max, max_wait),
        Err(_) => Vec::new(),
    }
}

/// [`collect_batch`] with its first item already received.
fn collect_after<T>(first: T, rx: &Receiver<T>, max: usize, max_wait: Duration) -> Vec<T> {
    let mut batch = vec![first];
    while batch.len() < max {
        match rx.try_recv() {
            Ok(x) => batch.push(x),
            Err(_) => break,
        }
    }
    let deadline = Instant::now() + max_wait;
    while batch.len() < max {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        match rx.recv_timeout(deadline - now) {
            Ok(x) => batch.push(x),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    batch
}

type Reply = Sender<Result<u64, String>>;

/// A handle to a group-commit writer thread.
#[derive(Debug)]
pub struct Writer {
    tx: Option<Sender<(Event, Reply)>>,
    thread: Option<JoinHandle<Result<(), LogError>>>,
    batches: Arc<AtomicU64>,
}

/// An event handed to the writer by [`Writer::submit`], not yet known to be durable.
#[derive(Debug)]
#[must_use = "an event is acknowledged only once `wait` returns its seq"]
pub struct Pending(Receiver<Result<u64, String>>);

impl Pending {
    /// Waits until the event is durable; returns its seq.
    ///
    /// # Errors
    /// As [`Writer::append`].
    pub fn wait(self) -> Result<u64, String> {
        self.0.recv().map_err(|_| "writer stopped".to_owned())?
    }
}

impl Writer {
    /// Moves `log` into a writer thread that commits at most `max_batch` events per
    /// `fdatasync`, lingering at most `max_wait` for a batch to fill (e.g. 256 and zero:
    /// the lowest latency; a linger of 1 ms saves syncs on a lightly loaded disk).
    pub fn spawn(mut log: Log, max_batch: usize, max_wait: Duration) -> Self {
        log.defer_maintenance();
        let (tx, rx) = mpsc::channel::<(Event, Reply)>();
        let batches = Arc::new(AtomicU64::new(0));
        let counter = batches.clone();
        let thread = std::thread::spawn(move || {
            let mut carry = None;
            loop {
                let batch = match carry.take() {
                    Some(first) => collect_after(first, &rx, max_batch.max(1), max_wait),
                    None => collect_batch(&rx, max_batch.max(1), max_wait),
                };
                if batch.is_empty() {
                    break;
                }
                counter.fetch_add(1, Ordering::Relaxed);
                let (events, replies): (Vec<Event>, Vec<Reply>) = batch.into_iter().unzip();
                match log.append_batch(events) {
                    Ok(seqs) => {
                        for (r, s) in replies.into_iter().zip(seqs) {
                            let _ = r.send(Ok(s));
                        }
                        // Off the commit path: anchoring and rotation run while the
                        // next batch gathers; preallocated zeros are renewed only when
                        // nobody is waiting (under load, writing every byte twice costs
                        // more than the size metadata it saves). An error poisons the
                        // log; the next batch reports it.
                        match rx.try_recv() {
                            Ok(next) => {
                                carry = Some(next);
                                let _ = log.maintain_busy();
                            }
                            Err(_) => {
                                let _ = log.maintain();
                            }
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for r in replies {
                            let _ = r.send(Err(msg.clone()));
                        }
                    }
                }
            }
            log.close()
        });
        Writer {
            tx: Some(tx),
            thread: Some(thread),
            batches,
        }
    }

    /// Records `event` and waits until it is durable; returns its seq.
    ///
    /// # Errors
    /// The commit's error as text ([`LogError::Poisoned`] semantics: after one failure every
    /// later call fails too).
    pub fn append(&self, event: Event) -> Result<u64, String> {
        self.submit(event)?.wait()
    }

    /// Hands `event` to the writer without waiting: a producer with many events in flight
    /// (a queue consumer, a bulk import) submits them all and waits on each [`Pending`]
    /// before acknowledging it upstream. Batches then grow with the offered load, up to
    /// `max_batch` per `fdatasync`.
    ///
    /// # Errors
    /// `writer closed` or `writer stopped`.
    pub fn submit(&self, event: Event) -> Result<Pending, String> {
        let (rtx, rrx) = mpsc::channel();
        self.tx
            .as_ref()
            .ok_or("writer closed")?
            .send((event, rtx))
            .map_err(|_| "writer stopped".to_owned())?;
        Ok(Pending(rrx))
    }

    /// Batches committed so far (one `fdatasync` each).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Stops the thread after the queued events and closes the log.
    ///
    /// # Errors
    /// The log's close error.
    pub fn close(mut self) -> Result<(), LogError> {
        self.tx.take();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            _ => Err(LogError::Poisoned),
        }
    }
}
