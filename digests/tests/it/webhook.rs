//! Chat webhook delivery against a local receiver: a failure, a retry after the backoff, then nothing more.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::{busy_day, enable, quiet_day, utc, Db, FixedSource};

#[derive(Clone, Default)]
struct Shared {
    bodies: Arc<Mutex<Vec<String>>>,
    failures_left: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

/// A Slack-like incoming webhook on port 0: answers 500 `fail_first` times, then stores each `text`.
pub struct Receiver {
    addr: std::net::SocketAddr,
    shared: Shared,
}

async fn hook(State(shared): State<Shared>, Json(body): Json<serde_json::Value>) -> StatusCode {
    shared.calls.fetch_add(1, Ordering::SeqCst);
    let fail = shared
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    shared.bodies.lock().expect("lock").push(text);
    StatusCode::OK
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Self {
        let shared = Shared::default();
        shared.failures_left.store(fail_first, Ordering::SeqCst);
        let app = axum::Router::new()
            .route("/hooks/secret-token", axum::routing::post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks/secret-token", self.addr)
    }

    pub fn bodies(&self) -> Vec<String> {
        self.shared.bodies.lock().expect("lock").clone()
    }

    pub fn calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_failed_webhook_is_retried_after_the_backoff_then_never_again() {
    let db = Db::new().await;
    let receiver = Receiver::start(1).await;
    let day = digests::Period::containing(
        digests::Kind::Daily,
        chrono_tz::Europe::Berlin,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 3).expect("date"),
    );
    let source = FixedSource {
        by_start: Arc::new(
            [
                (day.start(), busy_day()),
                (day.previous().start(), quiet_day()),
            ]
            .into(),
        ),
        ..FixedSource::default()
    };
    let digests = db.replica(source, None).await;
    enable(&digests, &[], Some(receiver.url())).await;

    let first = digests
        .tick(utc("2026-03-04T08:00:00Z"))
        .await
        .expect("tick");
    assert_eq!(first.generated.len(), 1);
    assert_eq!((first.delivered.sent, first.delivered.retrying), (0, 1));
    let (status, attempts, error): (String, i32, Option<String>) = {
        let client = db.pool.get().await.expect("connection");
        let row = client
            .query_one(
                "SELECT status, attempts, last_error FROM digest_deliveries",
                &[],
            )
            .await
            .expect("delivery");
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert_eq!(
        error.as_deref(),
        Some("chat webhook answered 500 Internal Server Error")
    );

    // Thirty seconds later the retry is not due yet (one minute after the first failure).
    let early = digests
        .tick(utc("2026-03-04T08:00:30Z"))
        .await
        .expect("tick");
    assert_eq!(early.delivered, digests::Delivered::default());
    assert_eq!(receiver.calls(), 1);

    let retry = digests
        .tick(utc("2026-03-04T08:01:01Z"))
        .await
        .expect("tick");
    assert_eq!(retry.delivered.sent, 1);
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].starts_with("# Daily report for acme: Tue 3 Mar 2026"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[0].contains("| New conversations | 42 | 30 | +40% |"),
        "{}",
        bodies[0]
    );
    assert!(
        bodies[0].contains("\"billing\" (14 from 7) at least doubled"),
        "{}",
        bodies[0]
    );
    assert_eq!(
        db.count("SELECT count(*) FROM digest_deliveries WHERE status = 'sent' AND attempts = 2 AND last_error IS NULL")
            .await,
        1
    );

    // Hours later, and the next morning for the next day only: the sent delivery is never repeated.
    digests
        .tick(utc("2026-03-04T20:00:00Z"))
        .await
        .expect("tick");
    let next_day = digests
        .tick(utc("2026-03-05T07:30:00Z"))
        .await
        .expect("tick");
    assert_eq!(next_day.generated.len(), 1);
    assert_eq!(receiver.calls(), 3);
    assert_eq!(db.count("SELECT count(*) FROM digests").await, 2);
    db.drop_database().await;
}

#[tokio::test]
async fn a_refused_webhook_is_given_up_at_once() {
    let db = Db::new().await;
    let digests = db.replica(FixedSource::default(), None).await;
    // Nothing listens on this route: a 404 will not heal by retrying.
    let receiver = Receiver::start(0).await;
    let url = receiver.url().replace("secret-token", "revoked");
    enable(&digests, &[], Some(url)).await;
    let tick = digests
        .tick(utc("2026-03-04T08:00:00Z"))
        .await
        .expect("tick");
    assert_eq!(tick.delivered.failed, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM digest_deliveries WHERE status = 'failed' AND last_error LIKE '%404%'")
            .await,
        1
    );
    db.drop_database().await;
}
