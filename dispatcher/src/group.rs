//! Group commit for the ledger's writes. Every delivery claims its action before the Chatwoot call and settles
//! it after; as single autocommitted statements each was a transaction of its own (with its own commit and WAL
//! flush), and under load PostgreSQL's CPU per action was the main cost of the whole pipeline. A committer is a
//! task that gathers the waiting requests (up to `max_batch`, see [`infra::gather`]: a lone request on a quiet
//! dispatcher runs at once, a busy one waits up to a linger for company), runs one statement for all of them and
//! answers each; while one batch runs the next one gathers.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use infra::gather::{Arrival, Gatherer};
use tokio::sync::{mpsc, oneshot};

type Request<Req, Resp> = Arrival<(Req, oneshot::Sender<Resp>)>;

/// A handle on a committer task; the task ends when the last handle is dropped.
pub struct GroupCommitter<Req, Resp> {
    requests: mpsc::Sender<Request<Req, Resp>>,
}

impl<Req, Resp> Clone for GroupCommitter<Req, Resp> {
    fn clone(&self) -> Self {
        Self {
            requests: self.requests.clone(),
        }
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> GroupCommitter<Req, Resp> {
    /// Spawns the task. `commit` runs one batch and answers one result per request, in the batch's order.
    pub fn spawn<F, Fut>(max_batch: usize, linger: Duration, mut commit: F) -> Self
    where
        F: FnMut(Vec<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send,
    {
        let max_batch = max_batch.max(1);
        let (requests, waiting) = mpsc::channel::<Request<Req, Resp>>(max_batch);
        let mut waiting = Gatherer::new(waiting, linger);
        tokio::spawn(async move {
            while let Some(batch) = waiting.next_batch(max_batch).await {
                let (requests, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
                // A commit that panics answers nobody (each caller sees the task's answer missing and takes
                // its path for an unreachable ledger); the committer itself carries on with the next batch.
                let Ok(results) = AssertUnwindSafe(commit(requests)).catch_unwind().await else {
                    tracing::error!("a ledger group commit panicked");
                    continue;
                };
                for (reply, result) in replies.into_iter().zip(results) {
                    // The caller may have gone (its delivery was dropped at shutdown); the write stands anyway.
                    let _ = reply.send(result);
                }
            }
        });
        Self { requests }
    }

    /// Queues `request` and waits for its answer; `None` if the task is gone.
    pub async fn submit(&self, request: Req) -> Option<Resp> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Arrival::now((request, reply)))
            .await
            .ok()?;
        answer.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn waiting_requests_share_a_batch_and_each_gets_its_answer() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let committer = GroupCommitter::spawn(4, Duration::ZERO, move |batch: Vec<u32>| {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(batch.len());
            async move {
                tokio::task::yield_now().await;
                batch.into_iter().map(|n| n * 10).collect::<Vec<_>>()
            }
        });
        // A lone request is answered without waiting for company.
        assert_eq!(committer.submit(1).await, Some(10));
        let answers = futures::future::join_all((0..10).map(|n| committer.submit(n))).await;
        assert_eq!(
            answers,
            (0..10).map(|n| Some(n * 10)).collect::<Vec<_>>(),
            "answers go back to their own requests"
        );
        let sizes = sizes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(sizes.iter().sum::<usize>(), 11);
        assert!(sizes.iter().all(|&s| s <= 4), "{sizes:?}");
        assert!(
            sizes.len() < 11,
            "concurrent requests were batched: {sizes:?}"
        );
    }
}
