//! How a batch is gathered, for the worker's event batches and the dispatcher's ledger group commits. Whatever
//! is waiting is taken at once; then, only while items have lately been arriving closer together than `linger`,
//! the gatherer waits until `linger` after the batch's first item for more. A lone item on a quiet service goes
//! at once, as before.
//!
//! Why wait at all: below the maximum, batches were small, and every event paid transactions, statement round
//! trips and commits of its own, and woke every process once for each publish, pull and acknowledgement.
//! Measured on the 2-core machine: 3.0 ms of machine CPU per event at 600 events/s against 1.8 ms at the
//! maximum. BENCHMARKS.md has the runs.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// An item and when it was handed over.
pub struct Arrival<T> {
    pub item: T,
    pub at: Instant,
}

impl<T> Arrival<T> {
    pub fn now(item: T) -> Self {
        Self {
            item,
            at: Instant::now(),
        }
    }
}

/// The receiving end of a batcher's queue, with what it has seen of the arrival rate.
pub struct Gatherer<T> {
    waiting: mpsc::Receiver<Arrival<T>>,
    linger: Duration,
    last_arrival: Option<Instant>,
    /// Moving average of the gaps between arrivals, each gap counted at most [`GAP_CAP`] lingers, so that the
    /// first few events after a quiet spell bring it back down quickly.
    mean_gap: Duration,
}

/// A gap longer than this many lingers counts as this many.
const GAP_CAP: u32 = 4;

impl<T> Gatherer<T> {
    pub fn new(waiting: mpsc::Receiver<Arrival<T>>, linger: Duration) -> Self {
        Self {
            waiting,
            linger,
            last_arrival: None,
            mean_gap: linger * GAP_CAP,
        }
    }

    /// The next batch of at most `max` items; `None` once every sender is gone and nothing is left.
    pub async fn next_batch(&mut self, max: usize) -> Option<Vec<T>> {
        let first = self.waiting.recv().await?;
        let deadline = first.at + self.linger;
        let mut batch = Vec::with_capacity(max.min(64));
        self.take(first, &mut batch);
        while batch.len() < max {
            match self.waiting.try_recv() {
                Ok(next) => self.take(next, &mut batch),
                Err(_) => break,
            }
        }
        if self.busy() {
            while batch.len() < max {
                match tokio::time::timeout_at(deadline, self.waiting.recv()).await {
                    Ok(Some(next)) => self.take(next, &mut batch),
                    Ok(None) | Err(_) => break,
                }
            }
        }
        Some(batch)
    }

    /// Whether more is likely to arrive within a linger.
    fn busy(&self) -> bool {
        !self.linger.is_zero() && self.mean_gap < self.linger
    }

    fn take(&mut self, arrival: Arrival<T>, batch: &mut Vec<T>) {
        if let Some(last) = self.last_arrival {
            let gap = arrival
                .at
                .saturating_duration_since(last)
                .min(self.linger * GAP_CAP);
            self.mean_gap = (self.mean_gap * 7 + gap) / 8;
        }
        self.last_arrival = Some(self.last_arrival.map_or(arrival.at, |l| l.max(arrival.at)));
        batch.push(arrival.item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_lone_event_on_a_quiet_pipeline_is_not_held() {
        let (send, receive) = mpsc::channel(8);
        let mut gatherer = Gatherer::new(receive, Duration::from_millis(5));
        send.send(Arrival::now(1)).await.expect("gatherer alive");
        let started = Instant::now();
        assert_eq!(gatherer.next_batch(8).await, Some(vec![1]));
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_pipeline_gathers_for_at_most_a_linger_after_the_first_event() {
        let linger = Duration::from_millis(5);
        let (send, receive) = mpsc::channel(64);
        let mut gatherer = Gatherer::new(receive, linger);
        // Events every millisecond: after a few batches the gatherer knows the pipeline is busy.
        let sender = tokio::spawn(async move {
            for n in 0..40u32 {
                send.send(Arrival::now(n)).await.expect("gatherer alive");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        while let Some(batch) = gatherer.next_batch(32).await {
            sizes.push(batch.len());
            seen.extend(batch);
        }
        sender.await.expect("sender finished");
        assert_eq!(seen, (0..40).collect::<Vec<_>>(), "every event, in order");
        assert!(sizes[..3].iter().all(|&s| s == 1), "{sizes:?}");
        assert!(
            sizes
                .iter()
                .rev()
                .skip(1)
                .take(3)
                .all(|&s| (5..=6).contains(&s)),
            "once busy, a batch holds a linger's worth: {sizes:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_size_is_kept_while_gathering() {
        let (send, receive) = mpsc::channel(64);
        let mut gatherer = Gatherer::new(receive, Duration::from_millis(5));
        for n in 0..10u32 {
            send.send(Arrival::now(n)).await.expect("gatherer alive");
        }
        assert_eq!(gatherer.next_batch(4).await, Some(vec![0, 1, 2, 3]));
        assert_eq!(gatherer.next_batch(4).await, Some(vec![4, 5, 6, 7]));
        drop(send);
        assert_eq!(gatherer.next_batch(4).await, Some(vec![8, 9]));
        assert_eq!(gatherer.next_batch(4).await, None);
    }
}
