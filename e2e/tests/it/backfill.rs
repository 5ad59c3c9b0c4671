//! `cwctl backfill`: a tenant's Chatwoot history (seeded into the simulator) is read page by page, published as
//! historical events and recorded by the worker once, with no action taken, whatever is retried, resumed, run
//! twice or also received live.

use std::time::Duration;

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method, SeedConversation, SeedMessage};
use cwctl::backfill::{backfill, BackfillArgs, Report};
use e2e::{eventually, fixture, Env, TENANT};
use tokio_util::sync::CancellationToken;

/// 30 conversations (two pages of 25), ten days ago, one hour apart.
const CONVERSATIONS: u64 = 30;
const FIRST: u64 = 2001;
/// The fixture's conversation and message (`message_created_incoming_contact.json`), seeded too, so its live
/// webhook and its history are the same message.
const FIXTURE_CONVERSATION: u64 = 1042;
const FIXTURE_MESSAGE: u64 = 918_273;
const FIXTURE_AT: i64 = 1_778_577_267;

fn message(id: u64, kind: u8, at: i64, content: &str, sender: Option<(&str, u64)>) -> SeedMessage {
    SeedMessage {
        id: Some(id),
        message_type: kind,
        content: content.into(),
        created_at: at,
        private: false,
        content_type: "text".into(),
        content_attributes: None,
        sender_type: sender.map(|(kind, _)| kind.to_owned()),
        sender_id: sender.map(|(_, id)| id),
    }
}

/// Every conversation: the customer asks, agent 17 answers, it is resolved. The first is reopened and
/// resolved again; the last stays open with the customer's question unanswered (an old breach of the SLA that
/// must not be flagged now).
fn history(now: i64) -> Vec<SeedConversation> {
    let start = now - 10 * 86_400;
    let mut conversations = Vec::new();
    let mut id = 100_000;
    let mut next = || {
        id += 1;
        id
    };
    for n in 0..CONVERSATIONS {
        let at = start + i64::try_from(n).unwrap() * 3_600;
        let last = n + 1 == CONVERSATIONS;
        let mut messages = vec![message(
            next(),
            0,
            at + 10,
            "Where is my order?",
            Some(("contact", 0)),
        )];
        if !last {
            messages.push(message(
                next(),
                1,
                at + 600,
                "It ships today.",
                Some(("user", 17)),
            ));
            messages.push(message(
                next(),
                2,
                at + 900,
                "Conversation was marked resolved by Jonas Berg",
                None,
            ));
        }
        if n == 0 {
            messages.push(message(
                next(),
                0,
                at + 2_000,
                "It did not arrive.",
                Some(("contact", 0)),
            ));
            messages.push(message(
                next(),
                2,
                at + 2_001,
                "System reopened the conversation due to a new incoming message.",
                None,
            ));
            messages.push(message(
                next(),
                1,
                at + 2_400,
                "Sent again.",
                Some(("user", 17)),
            ));
            messages.push(message(
                next(),
                2,
                at + 2_500,
                "Conversation was marked resolved by Jonas Berg",
                None,
            ));
        }
        conversations.push(SeedConversation {
            id: FIRST + n,
            created_at: at,
            status: if last { "open" } else { "resolved" }.into(),
            assignee_id: Some(17),
            team_id: None,
            labels: vec!["orders".into()],
            priority: None,
            messages,
        });
    }
    conversations.push(SeedConversation {
        id: FIXTURE_CONVERSATION,
        created_at: FIXTURE_AT - 30,
        status: "open".into(),
        assignee_id: None,
        team_id: None,
        labels: vec![],
        priority: None,
        messages: vec![message(
            FIXTURE_MESSAGE,
            0,
            FIXTURE_AT,
            "Hi, I was charged twice for my May invoice. Can you help?",
            Some(("contact", 0)),
        )],
    });
    conversations
}

fn args(max_pages: Option<u32>) -> BackfillArgs {
    BackfillArgs {
        tenant: TENANT.into(),
        since: None,
        rate: std::num::NonZeroU32::new(200).unwrap(),
        settle: Duration::from_secs(600),
        max_pages,
        restart: false,
        timeout: Duration::from_secs(5),
    }
}

async fn run(env: &Env, max_pages: Option<u32>) -> Report {
    let tenant = env.tenants().await.get(TENANT).await.unwrap().unwrap();
    backfill(
        &args(max_pages),
        tenant,
        &env.pool().await,
        &env.jetstream().await,
        &env.topology(),
        CancellationToken::new(),
    )
    .await
    .expect("backfill runs")
}

fn writes(env: &Env) -> Vec<String> {
    env.sim
        .requests()
        .iter()
        .filter(|r| r.method != Method::GET)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn history_is_recorded_once_and_acted_on_never_across_faults_resumes_reruns_and_live_webhooks(
) {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let now = chrono::Utc::now().timestamp();
    env.sim.seed_history(e2e::ACCOUNT_ID, history(now)).unwrap();
    // Chatwoot busy mid-way: rack-attack's 429 (no Retry-After) twice on the list, a 503 and a timeout on
    // messages.
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::GET, "/conversations"),
            FaultBehaviour::Status(429),
        )
        .times(2),
    );
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::GET, "/messages"),
            FaultBehaviour::Status(503),
        )
        .times(1),
    );
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::GET, "/messages"),
            FaultBehaviour::Timeout(Duration::from_secs(8)),
        )
        .times(1),
    );

    // Interrupted after the first page; its checkpoint says where the next run starts.
    let first = run(&env, Some(1)).await;
    assert!(!first.finished, "{first:?}");
    assert_eq!(first.conversations, 25, "{first:?}");
    assert!(
        first.retries >= 4,
        "429 ×2, 503 and the timeout were retried: {first:?}"
    );
    let pool = env.pool().await;
    let row = pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT page, finished_at IS NULL FROM backfill_checkpoints WHERE tenant = $1",
            &[&TENANT],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, bool>(1)), (2, true));

    let second = run(&env, None).await;
    assert!(second.resumed && second.finished, "{second:?}");
    assert_eq!(second.run_id, first.run_id);
    assert_eq!(
        second.conversations, 6,
        "the 5 left and the fixture's: {second:?}"
    );
    // Each conversation's messages were read once: the resumed run did not go over the first page again.
    for id in FIRST..FIRST + CONVERSATIONS {
        // Read from the start (`after=0`) once; the second page, empty, ends it.
        let reads = env
            .sim
            .requests_matching("GET", &format!("/conversations/{id}/messages"))
            .iter()
            .filter(|r| r.status == Some(200) && r.query.as_deref() == Some("after=0"))
            .count();
        assert_eq!(reads, 1, "conversation {id}");
    }

    // 30 + 1 conversations; 2 messages each, +2 in the first, -1 in the last, +1 of the fixture's.
    let expected_messages = i64::try_from(CONVERSATIONS * 2 + 2 - 1 + 1).unwrap();
    let recorded = eventually(Duration::from_secs(30), || async {
        env.count("SELECT count(*) FROM messages").await == expected_messages
            && env.count("SELECT count(*) FROM conversations").await == 31
    })
    .await;
    assert!(
        recorded,
        "history not recorded: {} messages",
        env.count("SELECT count(*) FROM messages").await
    );
    assert_eq!(
        env.count("SELECT count(*) FROM conversations WHERE status = 'resolved'")
            .await,
        29,
        "every resolution read from the activity messages"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM conversations WHERE live_since IS NOT NULL")
            .await,
        0
    );
    // Messages keep their Chatwoot times, not the time of the backfill.
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM messages WHERE created_at = to_timestamp({FIXTURE_AT}) AND message_id = {FIXTURE_MESSAGE}"
        ))
        .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM processed_events WHERE outcome <> 'historical'")
            .await,
        0
    );

    // The reports count the history like live traffic, at Chatwoot's times.
    let client = pool.get().await.unwrap();
    let (since, until) = (
        chrono::Utc::now() - chrono::Duration::days(11),
        chrono::Utc::now() + chrono::Duration::hours(1),
    );
    let rollup = analytics::load_rollup(&client, TENANT, since, until, &[])
        .await
        .unwrap();
    let figures = reports::summary(&rollup, &reports::Group::Account, since, until).current;
    assert_eq!(
        figures.conversations_count, 30,
        "the fixture's conversation is from May"
    );
    // Every conversation's question, the first's second one.
    assert_eq!(figures.incoming_messages_count, 31);
    assert_eq!(figures.outgoing_messages_count, 30);
    // 29 resolved once, the first twice (reopened in between).
    assert_eq!(figures.resolutions_count, 30);
    assert_eq!(figures.first_response.count, 29);
    // Agent 17 answered 600 s after the conversation was created (first response counts from creation).
    assert_eq!(figures.first_response.wall.p50, Some(600.0));
    drop(client);

    // The fixture's message arrives live after the backfill recorded it: one event, no reply.
    let (status, json) = env
        .send(
            &ingress,
            TENANT,
            &fixture("message_created_incoming_contact.json"),
            "live-after-backfill",
        )
        .await;
    assert_eq!(
        (status, json["duplicate"].as_bool()),
        (202, Some(true)),
        "{json}"
    );

    // A second full run publishes only what JetStream already holds.
    let third = run(&env, None).await;
    assert!(!third.resumed && third.finished, "{third:?}");
    assert_eq!(
        third.duplicates,
        third.messages + third.status_changes + third.conversations,
        "{third:?}"
    );

    // The SLA watch (every 200 ms here) and the responder had every chance to act.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        writes(&env),
        Vec::<String>::new(),
        "history must never call Chatwoot"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages").await,
        expected_messages
    );
    assert_eq!(
        env.count(&format!("SELECT count(*) FROM processed_events WHERE event_key = '{TENANT}:message_created:{FIXTURE_MESSAGE}'")).await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM processed_events, unnest(action_ids)")
            .await,
        0
    );

    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}

#[tokio::test]
async fn a_message_first_seen_live_keeps_its_one_reply_when_the_backfill_meets_it() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let now = chrono::Utc::now().timestamp();
    env.sim.seed_history(e2e::ACCOUNT_ID, history(now)).unwrap();
    // Live first: the customer's message gets the template reply.
    let (status, _) = env
        .send(
            &ingress,
            TENANT,
            &fixture("message_created_incoming_contact.json"),
            "live-first",
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        env.sim
            .wait_for_requests(
                "POST",
                "/conversations/1042/messages",
                1,
                Duration::from_secs(20)
            )
            .await
    );

    let report = run(&env, None).await;
    assert!(report.finished, "{report:?}");
    let recorded = eventually(Duration::from_secs(30), || async {
        env.count("SELECT count(*) FROM conversations").await == 31
            && env
                .count("SELECT count(*) FROM messages WHERE conversation_id <> 1042")
                .await
                == i64::try_from(CONVERSATIONS * 2 + 2 - 1).unwrap()
    })
    .await;
    assert!(
        recorded,
        "{} conversations, {} messages",
        env.count("SELECT count(*) FROM conversations").await,
        env.count("SELECT count(*) FROM messages WHERE conversation_id <> 1042")
            .await
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Still the one live reply; the conversation the pipeline saw live is marked so.
    assert_eq!(
        writes(&env),
        vec!["POST /api/v1/accounts/3/conversations/1042/messages".to_owned()]
    );
    assert_eq!(
        env.count("SELECT count(*) FROM conversations WHERE live_since IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        env.count(&format!("SELECT count(*) FROM processed_events WHERE event_key = '{TENANT}:message_created:{FIXTURE_MESSAGE}' AND outcome <> 'historical'")).await,
        1
    );

    // Cancelled runs stop with their checkpoint.
    let tenant = env.tenants().await.get(TENANT).await.unwrap().unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let mut args = args(None);
    args.restart = true;
    let stopped = backfill(
        &args,
        tenant,
        &env.pool().await,
        &env.jetstream().await,
        &env.topology(),
        cancel,
    )
    .await;
    assert!(
        matches!(stopped, Err(cwctl::CliError::Interrupted)),
        "{stopped:?}"
    );

    for service in [ingress, worker, dispatcher] {
        service.stop().await.unwrap();
    }
    env.cleanup().await;
}
