//! The whole pipeline, webhook to the simulator receiving the reply: which accepted webhooks got exactly one reply,
//! and how long after they were sent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::hist::{self, Latency};
use crate::load::Sample;
use crate::payload::message_of_source_id;

/// Replies matched against accepted webhooks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    /// Webhooks the ingress accepted (202).
    pub accepted: u64,
    /// Accepted webhooks with exactly one reply.
    pub replied_once: u64,
    /// Accepted webhooks without a reply when the drain timed out.
    pub missing: u64,
    /// Extra replies to an accepted webhook (a reply sent twice).
    pub duplicates: u64,
    /// Replies to webhooks the ingress did not accept (a publish that landed after its 503): allowed (Chatwoot
    /// would have retried), but counted.
    pub replies_to_rejected: u64,
    /// Calls other than a successful post of one of our replies.
    pub unexpected: u64,
    /// Replies that reached the simulator before the reply to an earlier message of their conversation (one the
    /// ingress had answered before this one was sent, so it was first on the stream).
    pub order_violations: u64,
    /// Webhook sent (scheduled, in open loop) to the simulator's `received_at` of its reply.
    pub e2e: Latency,
    /// First send to last reply.
    pub span_seconds: f64,
    /// From the end of sending until every reply had arrived (or the drain timed out).
    pub drain_seconds: f64,
}

impl Delivery {
    /// Nothing lost, nothing doubled.
    pub fn exact(&self) -> bool {
        self.missing == 0 && self.duplicates == 0 && self.unexpected == 0
    }
}

/// Keeps `replies` equal to the number of requests the simulator has recorded, polled every 2 ms (cheap: the
/// predicate only reads the length under the simulator's lock).
pub fn spawn_reply_counter(
    sim: e2e::chatwoot_sim::SimState,
    replies: Arc<AtomicU64>,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            let counter = replies.clone();
            sim.wait_for(
                move |requests| {
                    counter.store(requests.len() as u64, Ordering::Relaxed);
                    true
                },
                Duration::ZERO,
            )
            .await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
}

/// Waits until the simulator has answered as many calls as webhooks were accepted (or replies stop coming for
/// `timeout.0`, or `timeout.1` has passed), lets stragglers (duplicates) arrive for a moment, then matches every
/// reply to the webhook it answers.
pub async fn drain_and_match(
    sim: &e2e::chatwoot_sim::SimState,
    samples: &[Sample],
    timeout: (Duration, Duration),
    conversation_of: &dyn Fn(u64) -> u64,
) -> Delivery {
    let accepted: Vec<&Sample> = samples.iter().filter(|s| s.status == 202).collect();
    let expected = accepted.len();
    let drain_started = Instant::now();
    // A backlog drains slowly on a loaded machine: keep waiting while replies still arrive, and call the rest
    // missing only once nothing has arrived for `stall` (or after `cap` in all).
    let (stall, cap) = timeout;
    let mut last = (0usize, Instant::now());
    loop {
        let answered = std::sync::atomic::AtomicUsize::new(0);
        sim.wait_for(
            |requests| {
                answered.store(
                    requests.iter().filter(|r| r.status.is_some()).count(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                true
            },
            Duration::ZERO,
        )
        .await;
        let answered = answered.into_inner();
        if answered >= expected {
            break;
        }
        if answered > last.0 {
            last = (answered, Instant::now());
        }
        if last.1.elapsed() >= stall || drain_started.elapsed() >= cap {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drain_seconds = drain_started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut replies: HashMap<u64, Vec<i64>> = HashMap::with_capacity(expected);
    let mut unexpected = 0u64;
    for request in sim.requests() {
        let source = request.body_json().and_then(|b| {
            b.get("source_id")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        });
        let message = source.as_deref().and_then(message_of_source_id);
        match (request.method.as_str(), request.status, message) {
            ("POST", Some(200), Some(id)) if request.path.ends_with("/messages") => replies
                .entry(id)
                .or_default()
                .push(request.received_at.timestamp_micros()),
            _ => unexpected += 1,
        }
    }
    let mut delivery = Delivery {
        accepted: expected as u64,
        drain_seconds,
        ..Delivery::default()
    };
    delivery.order_violations = order_violations(&accepted, &replies, conversation_of);
    let mut histogram = hist::new_histogram();
    let mut first_sent = i64::MAX;
    let mut last_reply = i64::MIN;
    for sample in &accepted {
        first_sent = first_sent.min(sample.sent_wall_us);
        match replies.remove(&sample.message_id) {
            None => delivery.missing += 1,
            Some(times) => {
                delivery.replied_once += u64::from(times.len() == 1);
                delivery.duplicates += times.len() as u64 - 1;
                let first = times.iter().copied().min().unwrap_or(sample.sent_wall_us);
                last_reply = last_reply.max(first);
                let micros = u64::try_from(first - sample.sent_wall_us).unwrap_or(0);
                hist::record(&mut histogram, Duration::from_micros(micros));
            }
        }
    }
    let sent: std::collections::HashSet<u64> = samples.iter().map(|s| s.message_id).collect();
    for (id, times) in &replies {
        if sent.contains(id) {
            delivery.replies_to_rejected += times.len() as u64;
        } else {
            unexpected += times.len() as u64;
        }
    }
    delivery.unexpected = unexpected;
    delivery.e2e = Latency::of(&histogram);
    if last_reply > first_sent {
        delivery.span_seconds = (last_reply - first_sent) as f64 / 1e6;
    }
    delivery
}

/// Counts replies that arrived before the reply to an earlier message of the same conversation. "Earlier" only
/// where the order is certain: the earlier webhook was answered 202 before the later one was sent.
fn order_violations(
    accepted: &[&Sample],
    replies: &HashMap<u64, Vec<i64>>,
    conversation_of: &dyn Fn(u64) -> u64,
) -> u64 {
    let mut by_conversation: HashMap<u64, Vec<(&Sample, i64)>> = HashMap::new();
    for sample in accepted {
        if let Some(first_reply) = replies.get(&sample.message_id).and_then(|t| t.iter().min()) {
            by_conversation
                .entry(conversation_of(sample.message_id))
                .or_default()
                .push((sample, *first_reply));
        }
    }
    let mut violations = 0;
    for messages in by_conversation.values() {
        for (later, later_reply) in messages {
            let overtaken = messages.iter().any(|(earlier, earlier_reply)| {
                earlier.answered_wall_us < later.sent_wall_us && earlier_reply > later_reply
            });
            violations += u64::from(overtaken);
        }
    }
    violations
}
