//! The per-platform rate limit (`PLATFORM_RATE_LIMIT_PER_MINUTE`) is one budget per platform and tenant,
//! shared by every dispatcher replica: two replicas answering ten Zendesk tickets together stay within the
//! token bucket the rate gives, measured on the simulator's arrival times.

use std::time::Duration;

use dispatcher::ratelimit::{Shape, HOLD};
use infra::Platform;
use serde_json::json;

use super::PlatformPipeline;

const SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
const RATE: u32 = 30;
const TICKETS: u64 = 10;

#[tokio::test]
async fn two_dispatchers_share_one_platform_budget_per_tenant() {
    let args: &[&str] = &["--platform-rate-limit-per-minute", "30"];
    let p = PlatformPipeline::start_with(
        Platform::Zendesk,
        "",
        SIGNING_SECRET,
        json!({ "email": "bot@acme.example" }),
        None,
        &[args, args],
    )
    .await;
    for ticket in 0..TICKETS {
        let body = serde_json::to_vec(&json!({
            "ticket_id": (500 + ticket).to_string(), "comment_id": format!("c{ticket}"),
            "message": "Where is my parcel?", "author_role": "end-user", "requester_id": "372",
            "requester_name": "Maya Lindqvist", "requester_email": "maya@example.com"
        }))
        .unwrap();
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let headers = [
            (
                "x-zendesk-webhook-signature",
                platforms::sign::zendesk(SIGNING_SECRET, &timestamp, &body),
            ),
            ("x-zendesk-webhook-signature-timestamp", timestamp),
        ];
        let (status, answer) = p.post(&body, &headers).await;
        assert_eq!(status, 202, "{answer}");
    }
    let calls = || {
        let mut at: Vec<_> = p
            .env
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/api/v2/tickets/"))
            .map(|r| r.received_at)
            .collect();
        at.sort();
        at
    };
    assert!(
        e2e::eventually(Duration::from_secs(90), || async {
            calls().len() as u64 >= TICKETS
        })
        .await,
        "only {} calls",
        calls().len()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let at = calls();
    assert_eq!(at.len() as u64, TICKETS, "one call per ticket");
    // Any k consecutive calls fit in the bucket: capacity + refill·(their span + HOLD), plus a little for the
    // two clocks (the database's refills, the simulator's arrivals).
    let shape = Shape::for_rate(RATE);
    for i in 0..at.len() {
        for j in i + 1..at.len() {
            let span = (at[j] - at[i]).to_std().unwrap_or_default() + HOLD;
            let allowed = shape.capacity + shape.refill * (span.as_secs_f64() + 0.5);
            assert!(
                (j - i + 1) as f64 <= allowed + 1e-9,
                "{} calls in {span:?} (at most {allowed:.1})",
                j - i + 1
            );
        }
    }
    // The limit did bind: ten calls at 30 a minute take well over the unthrottled second.
    let spread = (at[at.len() - 1] - at[0]).to_std().unwrap_or_default();
    assert!(spread > Duration::from_secs(12), "{spread:?}");
    p.stop().await;
}
