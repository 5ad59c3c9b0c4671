//! The ledger's claims: whatever the order and concurrency of deliveries, at most one holds the lease, and each
//! claim follows from how the previous attempt ended.

use std::time::Duration;

use dispatcher::ledger::{self, Claim, SettledState};
use proto::{Action, ActionKind};

use crate::Db;

const LEASE: Duration = Duration::from_secs(30);

fn action(id: &str) -> Action {
    Action {
        action_id: id.into(),
        tenant: "acme".into(),
        conversation_id: 42,
        event_key: "acme:message_created:1".into(),
        created_at_ms: 0,
        conversation_seq: 0,
        kind: ActionKind::SendMessage {
            content: "hi".into(),
        },
    }
}

async fn claim(db: &Db, action: &Action, lease: Duration) -> Claim {
    db.ledger
        .claim(action, &action.encode_to_vec(), lease)
        .await
        .unwrap()
}

async fn settle(db: &Db, action: &Action, state: SettledState) {
    db.ledger.settle(action, state, None, None).await.unwrap();
}

/// `state:attempts:leased`.
async fn row(db: &Db, action: &Action) -> String {
    db.pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT state || ':' || attempts || ':' || coalesce((lease_until > now())::text, 'unleased')
             FROM dispatched_actions WHERE action_id = $1",
            &[&action.action_id],
        )
        .await
        .unwrap()
        .get(0)
}

/// Told to come back within the lease another delivery holds.
fn is_busy(claim: Claim) -> bool {
    matches!(claim, Claim::Busy(wait) if wait > Duration::ZERO && wait <= LEASE)
}

#[tokio::test]
async fn concurrent_deliveries_of_a_new_action_claim_it_once() {
    let db = Db::new().await;
    let a = action("acme:message_created:1#0");
    // Connections ready, so that the claims do race.
    drop(futures::future::join_all((0..4).map(|_| db.pool.get())).await);
    let claims = futures::future::join_all((0..8).map(|_| claim(&db, &a, LEASE))).await;
    let first = claims
        .iter()
        .filter(|c| **c == Claim::Go { attempt: 1 })
        .count();
    assert_eq!(first, 1, "{claims:?}");
    assert!(
        claims
            .iter()
            .filter(|c| **c != Claim::Go { attempt: 1 })
            .all(|c| is_busy(*c)),
        "{claims:?}"
    );
    assert_eq!(row(&db, &a).await, "sending:1:true");
    db.drop().await;
}

#[tokio::test]
async fn each_claim_follows_from_how_the_last_attempt_ended() {
    let db = Db::new().await;
    let a = action("acme:message_created:2#0");
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Go { attempt: 1 });
    settle(&db, &a, SettledState::Retrying).await;
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Go { attempt: 2 });
    assert_eq!(row(&db, &a).await, "sending:2:true");
    assert!(is_busy(claim(&db, &a, LEASE).await));
    settle(&db, &a, SettledState::Uncertain).await;
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Uncertain { attempt: 3 });
    // No token for the call: as if the attempt had not been made.
    db.ledger
        .release(&a.action_id, SettledState::Uncertain)
        .await
        .unwrap();
    assert_eq!(row(&db, &a).await, "uncertain:2:unleased");
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Uncertain { attempt: 3 });
    settle(&db, &a, SettledState::Delivered).await;
    assert_eq!(claim(&db, &a, LEASE).await, Claim::AlreadyDelivered);

    let b = action("acme:message_created:3#0");
    assert_eq!(claim(&db, &b, LEASE).await, Claim::Go { attempt: 1 });
    settle(&db, &b, SettledState::Dead).await;
    assert_eq!(claim(&db, &b, LEASE).await, Claim::AlreadyDead);

    // A dispatcher that died mid-call leaves its lease to run out: the call may have been made.
    let c = action("acme:message_created:4#0");
    let short = Duration::from_millis(50);
    assert_eq!(claim(&db, &c, short).await, Claim::Go { attempt: 1 });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(claim(&db, &c, LEASE).await, Claim::Uncertain { attempt: 2 });
    db.drop().await;
}

/// A redrive re-arms the row to zero attempts; its next delivery must hold a lease like any other, or a
/// dispatcher killed during that call would leave `retrying` behind and the next attempt would post again
/// without checking.
#[tokio::test]
async fn a_redriven_or_released_first_attempt_holds_the_lease_too() {
    let db = Db::new().await;
    let a = action("acme:message_created:5#0");
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Go { attempt: 1 });
    settle(&db, &a, SettledState::Dead).await;
    let client = db.pool.get().await.unwrap();
    assert_eq!(
        ledger::rearm(&client, std::slice::from_ref(&a.action_id))
            .await
            .unwrap(),
        1
    );
    drop(client);
    assert_eq!(claim(&db, &a, LEASE).await, Claim::Go { attempt: 1 });
    assert_eq!(row(&db, &a).await, "sending:1:true");
    assert!(is_busy(claim(&db, &a, LEASE).await));

    let b = action("acme:message_created:6#0");
    assert_eq!(claim(&db, &b, LEASE).await, Claim::Go { attempt: 1 });
    db.ledger
        .release(&b.action_id, SettledState::Retrying)
        .await
        .unwrap();
    assert_eq!(row(&db, &b).await, "retrying:0:unleased");
    assert_eq!(claim(&db, &b, LEASE).await, Claim::Go { attempt: 1 });
    assert_eq!(row(&db, &b).await, "sending:1:true");
    db.drop().await;
}

/// Concurrent claims and settles share group commits: new actions in one batch are each claimed once, whatever
/// copies of them and of known actions come along, and each settle lands on its own row.
#[tokio::test]
async fn claims_and_settles_committed_together_keep_their_own_outcomes() {
    let db = Db::new().await;
    let known = action("acme:message_created:7#0");
    assert_eq!(claim(&db, &known, LEASE).await, Claim::Go { attempt: 1 });
    settle(&db, &known, SettledState::Delivered).await;
    let new: Vec<Action> = (0..40)
        .map(|i| action(&format!("acme:message_created:8#{i}")))
        .collect();
    // Each new action twice, and the delivered one with them.
    let claims = futures::future::join_all(
        new.iter()
            .chain(&new)
            .chain(std::iter::once(&known))
            .map(|a| claim(&db, a, LEASE)),
    )
    .await;
    for (i, a) in new.iter().enumerate() {
        let pair = [claims[i], claims[i + new.len()]];
        assert_eq!(
            pair.iter()
                .filter(|c| **c == Claim::Go { attempt: 1 })
                .count(),
            1,
            "{}: {pair:?}",
            a.action_id
        );
        assert!(pair.iter().any(|c| is_busy(*c)), "{pair:?}");
    }
    assert_eq!(claims[2 * new.len()], Claim::AlreadyDelivered);
    futures::future::join_all(new.iter().enumerate().map(|(i, a)| {
        let state = if i % 2 == 0 {
            SettledState::Delivered
        } else {
            SettledState::Retrying
        };
        settle(&db, a, state)
    }))
    .await;
    for (i, a) in new.iter().enumerate() {
        let expected = if i % 2 == 0 {
            "delivered:1:unleased"
        } else {
            "retrying:1:unleased"
        };
        assert_eq!(row(&db, a).await, expected);
    }
    db.drop().await;
}
