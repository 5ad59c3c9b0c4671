//! Nothing lost, nothing doubled, with the services as real processes (two replicas of each) on a private NATS
//! and PostgreSQL, under a few thousand webhooks while replicas are SIGKILLed and SIGTERMed and NATS and
//! PostgreSQL are restarted.
//!
//! Every webhook answered 2xx must produce exactly one `POST …/messages`; a webhook answered otherwise (Chatwoot
//! would send it again) may produce one or none, never two. The webhooks go to 200 conversations, each
//! conversation's messages sent one after the other, and the replies of a conversation must reach Chatwoot in
//! the order of its messages. The figures are written to stderr directly, so
//! they show without `--nocapture`. `FAULTS_MESSAGES` changes the load (default 3000), `FAULTS_LOG` the
//! services' log filter (their logs are in the temporary directory, tails printed on failure).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method, SimConfig};
use faults::{Node, Postgres, Role};

type Nodes = Arc<tokio::sync::Mutex<Vec<Node>>>;

const TENANT: &str = "acme";
const ACCOUNT_ID: u64 = 3;
const TOKEN: &str = "demo-token";
const SECRET: &str = "Hs7kQ2vN9xPzR4mWb8cTf3Ld";
const CONVERSATION_BASE: u64 = 100_000;
/// The messages go round-robin to this many conversations (15 messages each at the default load).
const CONVERSATIONS: u64 = 200;
/// Concurrent senders; each owns the conversations `c` with `c % SENDERS` its number, so a conversation's
/// messages are sent in order, each once the one before is answered (or given up on).
const SENDERS: u64 = 16;

fn conversation_of(id: u64) -> u64 {
    CONVERSATION_BASE + (id - 1) % CONVERSATIONS
}

/// Writes past the test harness's capture.
macro_rules! report {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// What became of one webhook at the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// 2xx at this attempt (1 = first); `duplicate` when the ingress said JetStream already had it (an earlier
    /// attempt that timed out or failed at the sender had got through).
    Accepted { attempt: usize, duplicate: bool },
    /// Every attempt got a non-2xx answer or none.
    Refused,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_doubled_under_crashes_restarts_and_load() {
    let messages: u64 = std::env::var("FAULTS_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let root = tempfile::Builder::new()
        .prefix("faults-")
        .tempdir()
        .unwrap();
    // PostgreSQL runs as `postgres` when the suite runs as root, and must reach its directory.
    std::fs::set_permissions(
        root.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut logs = LogsOnFailure(vec![]);
    let mut nats = faults::NatsServer::start(&root.path().join("nats"))
        .await
        .unwrap();
    logs.0.push(nats.log().to_owned());
    let pg = Postgres::start(&root.path().join("pg")).await.unwrap();
    logs.0.push(pg.log().to_owned());
    let database_url = pg.url("faults");

    let sim = chatwoot_sim::spawn(SimConfig::single(ACCOUNT_ID, TOKEN)).await;
    // A Chatwoot with its own troubles besides ours: errors, dropped connections and hangs (answered after the
    // dispatchers' 2 s timeout), on which the dispatcher cannot know whether the reply arrived.
    for (behaviour, p) in [
        (FaultBehaviour::Status(503), 0.02),
        (FaultBehaviour::CloseConnection, 0.01),
        (FaultBehaviour::Timeout(Duration::from_secs(3)), 0.005),
    ] {
        sim.inject(
            Fault::new(Matcher::new(Method::POST, "/messages"), behaviour).with_probability(p),
        );
    }

    let secrets_key = infra::SecretBox::generate_key();
    let pool = infra::db::connect_and_migrate(&database_url, 2)
        .await
        .unwrap();
    infra::TenantStore::new(
        pool.clone(),
        infra::SecretBox::from_base64(&secrets_key).unwrap(),
    )
    .upsert(&infra::tenants::NewTenant {
        id: infra::TenantId::parse(TENANT).unwrap(),
        chatwoot_base_url: sim.base_url(),
        account_id: ACCOUNT_ID,
        api_token: TOKEN.into(),
        webhook_secret: Some(SECRET.into()),
        allow_unsigned: false,
        settings: Some(serde_json::json!({ "responder": "template", "mode": "auto" })),
    })
    .await
    .unwrap();
    drop(pool);
    let rules = root.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    // No rules: every customer message gets exactly one template reply.
    std::fs::write(rules.join(format!("{TENANT}.toml")), "").unwrap();

    let common = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "--nats-url",
            &nats.url(),
            "--nats-prefix",
            "faults",
            "--database-url",
            &database_url,
            "--database-pool-size",
            "6",
            "--secrets-key",
            &secrets_key,
            "--tenant-cache-ttl",
            "2s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let rules_dir = rules.display().to_string();
    let worker_args = common(&[
        "--ack-wait",
        "3s",
        "--fetch-expires",
        "500ms",
        "--retry-min-delay",
        "100ms",
        "--retry-max-delay",
        "2s",
        "--drain-timeout",
        "10s",
        "--rules-dir",
        &rules_dir,
        "--rules-recheck",
        "0s",
    ]);
    let dispatcher_args = common(&[
        "--ack-wait",
        "3s",
        "--fetch-expires",
        "500ms",
        "--retry-min-delay",
        "100ms",
        "--retry-max-delay",
        "2s",
        "--http-timeout",
        "2s",
        "--max-attempts",
        "100",
        "--drain-timeout",
        "10s",
        // High enough not to slow the suite, and the shared limiter's table is in the loop.
        "--rate-limit-per-minute",
        "100000",
    ]);
    let ingress_args = common(&["--publish-timeout", "2s", "--drain-timeout", "5s"]);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_pipeline-node"));
    let dir = root.path();
    let mut all = Vec::new();
    for (name, role, args) in [
        ("worker-1", Role::Worker, &worker_args),
        ("worker-2", Role::Worker, &worker_args),
        ("dispatcher-1", Role::Dispatcher, &dispatcher_args),
        ("dispatcher-2", Role::Dispatcher, &dispatcher_args),
        ("ingress-1", Role::Ingress, &ingress_args),
        ("ingress-2", Role::Ingress, &ingress_args),
    ] {
        let mut node = Node::new(&binary, name, role, args.clone(), dir).unwrap();
        logs.0.push(node.log().to_owned());
        node.start().await.unwrap();
        all.push(node);
    }
    let ingress_urls: Vec<String> = all[4..].iter().map(Node::url).collect();
    let nodes: Nodes = Arc::new(tokio::sync::Mutex::new(all));

    // Load and chaos at once.
    let started = Instant::now();
    let sender = tokio::spawn(send_all(messages, ingress_urls));
    let chaos_log = run_chaos(&nodes, &mut nats, &pg, started).await;
    let outcomes = sender.await.unwrap();
    let load_secs = started.elapsed().as_secs_f64();

    // Quiescence: every accepted webhook answered, nothing pending anywhere, then a while longer (beyond the
    // ack wait and the retry delays) so a late duplicate would show.
    let accepted: HashSet<u64> = outcomes
        .iter()
        .filter(|(_, s)| matches!(s, Sent::Accepted { .. }))
        .map(|(id, _)| *id)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let delivered = replies(&sim).0;
        if accepted.iter().all(|id| delivered.contains_key(id)) && settled(&nats.url()).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(8)).await;
    let settled_at_end = settled(&nats.url()).await;

    // Graceful stop of everything, as on a deployment's SIGTERM.
    let mut clean_exits = 0;
    for node in nodes.lock().await.iter_mut() {
        match node.terminate(Duration::from_secs(30)).await {
            Ok(status) if status.success() => clean_exits += 1,
            other => report!("{} did not stop cleanly: {other:?}", node.name),
        }
    }

    let (delivered, order_violations) = replies(&sim);
    let refused: Vec<u64> = outcomes
        .iter()
        .filter(|(_, s)| **s == Sent::Refused)
        .map(|(id, _)| *id)
        .collect();
    let lost: Vec<u64> = accepted
        .iter()
        .filter(|id| !delivered.contains_key(id))
        .copied()
        .collect();
    let duplicates: BTreeMap<u64, usize> = delivered
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| (*id, *n))
        .collect();
    let refused_delivered = refused
        .iter()
        .filter(|id| delivered.contains_key(id))
        .count();
    let retried = outcomes
        .values()
        .filter(|s| matches!(s, Sent::Accepted { attempt, .. } if *attempt > 1))
        .count();
    let recognised = outcomes
        .values()
        .filter(|s| {
            matches!(
                s,
                Sent::Accepted {
                    duplicate: true,
                    ..
                }
            )
        })
        .count();
    let stats = sim.stats();
    report!("fault suite: chaos (seconds after the load started)");
    for line in &chaos_log {
        report!("  {line}");
    }
    report!(
        "fault suite: sent {messages}, accepted {}, refused {} (of which delivered anyway {refused_delivered}), \
         delivered {}, duplicates {}, lost {}, order violations {} | accepted on a resend {retried} (of which \
         JetStream already had {recognised}), {CONVERSATIONS} conversations, load {load_secs:.1} s, Chatwoot \
         calls {} ({} injected faults), clean exits {clean_exits}/6, settled {settled_at_end}",
        accepted.len(),
        refused.len(),
        delivered.len(),
        duplicates.len(),
        lost.len(),
        order_violations.len(),
        stats.total,
        stats.faults,
    );
    assert!(
        lost.is_empty(),
        "accepted but never answered: {:?}",
        &lost[..lost.len().min(20)]
    );
    assert!(
        duplicates.is_empty(),
        "answered more than once: {duplicates:?}"
    );
    assert!(
        order_violations.is_empty(),
        "replies that reached Chatwoot after the reply to a later message of their conversation: \
         {order_violations:?}"
    );
    assert!(
        accepted.len() as u64 >= messages * 8 / 10,
        "too few webhooks accepted for the run to mean much"
    );
    assert!(settled_at_end, "work still pending at the end");
    assert_eq!(clean_exits, 6, "every replica stops cleanly on SIGTERM");
    logs.0.clear();
}

/// Sends `messages` signed webhooks, paced over about 50 s, round-robin over the ingresses. A webhook that
/// gets no 2xx is sent again to the other ingress up to twice (same body and delivery id, fresh signature),
/// which is how an agent bot's retries look and exercises the duplicate detection when an earlier attempt did
/// get through. A conversation's messages are sent one after the other by the same sender.
async fn send_all(messages: u64, ingresses: Vec<String>) -> HashMap<u64, Sent> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let outcomes = Arc::new(Mutex::new(HashMap::new()));
    let ingresses = Arc::new(ingresses);
    let mut queues = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(messages as usize);
        queues.push(tx);
        let (client, outcomes, ingresses) = (client.clone(), outcomes.clone(), ingresses.clone());
        senders.push(tokio::spawn(async move {
            while let Some(id) = rx.recv().await {
                let body =
                    e2e::customer_message(&format!("question {id}"), id, conversation_of(id), &[]);
                let mut outcome = Sent::Refused;
                for attempt in 0..3 {
                    let url = &ingresses[(id as usize + attempt) % ingresses.len()];
                    if let Some(duplicate) = post(&client, url, &body, id).await {
                        outcome = Sent::Accepted {
                            attempt: attempt + 1,
                            duplicate,
                        };
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                outcomes.lock().unwrap().insert(id, outcome);
            }
        }));
    }
    let pace = Duration::from_secs_f64(50.0 / messages as f64);
    let mut ticker = tokio::time::interval(pace);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for id in 1..=messages {
        ticker.tick().await;
        let sender = (conversation_of(id) % SENDERS) as usize;
        queues[sender].send(id).await.unwrap();
    }
    drop(queues);
    for sender in senders {
        sender.await.unwrap();
    }
    let outcomes = outcomes.lock().unwrap().clone();
    outcomes
}

/// `Some(duplicate)` on a 2xx.
async fn post(client: &reqwest::Client, ingress: &str, body: &[u8], id: u64) -> Option<bool> {
    let timestamp = chrono_now();
    let response = client
        .post(format!("{ingress}/webhooks/chatwoot/{TENANT}"))
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", format!("delivery-{id}"))
        .header("x-chatwoot-timestamp", timestamp.to_string())
        .header(
            "x-chatwoot-signature",
            chatwoot::sign(SECRET.as_bytes(), timestamp, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .ok()
        .filter(|r| r.status().is_success())?;
    let json: serde_json::Value = response.json().await.unwrap_or_default();
    Some(json["duplicate"] == true)
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The schedule of disasters, while the load runs; returns what was done when.
async fn run_chaos(
    nodes: &Nodes,
    nats: &mut faults::NatsServer,
    pg: &Postgres,
    started: Instant,
) -> Vec<String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let note = |what: String| {
        log.lock()
            .unwrap()
            .push(format!("{:5.1} {what}", started.elapsed().as_secs_f64()));
    };
    let at = |secs: f64| async move {
        let when = started + Duration::from_secs_f64(secs);
        tokio::time::sleep_until(when.into()).await;
    };
    let kill = |name: &'static str| {
        let nodes = nodes.clone();
        async move {
            let mut nodes = nodes.lock().await;
            let node = nodes.iter_mut().find(|n| n.name == name).unwrap();
            node.kill().await.unwrap();
        }
    };
    let start = |name: &'static str| {
        let nodes = nodes.clone();
        async move {
            let mut nodes = nodes.lock().await;
            let node = nodes.iter_mut().find(|n| n.name == name).unwrap();
            node.start().await.unwrap();
        }
    };
    let terminate = |name: &'static str| {
        let nodes = nodes.clone();
        async move {
            let mut nodes = nodes.lock().await;
            let node = nodes.iter_mut().find(|n| n.name == name).unwrap();
            let asked = Instant::now();
            let status = node.terminate(Duration::from_secs(30)).await.unwrap();
            assert!(status.success(), "{name} exited with {status} on SIGTERM");
            asked.elapsed()
        }
    };

    at(4.0).await;
    kill("worker-1").await;
    note("SIGKILL worker-1".into());
    at(6.0).await;
    start("worker-1").await;
    note("worker-1 restarted".into());

    at(9.0).await;
    kill("dispatcher-1").await;
    note("SIGKILL dispatcher-1".into());
    at(11.0).await;
    start("dispatcher-1").await;
    note("dispatcher-1 restarted".into());

    at(14.0).await;
    kill("ingress-1").await;
    note("SIGKILL ingress-1".into());
    at(16.0).await;
    start("ingress-1").await;
    note("ingress-1 restarted".into());

    at(19.0).await;
    nats.kill().await.unwrap();
    note("SIGKILL nats-server".into());
    at(21.0).await;
    nats.restart().await.unwrap();
    note("nats-server restarted (same port and store)".into());

    at(26.0).await;
    pg.stop("fast").await.unwrap();
    note("PostgreSQL stopped (pg_ctl stop -m fast)".into());
    at(29.0).await;
    pg.start_again().await.unwrap();
    note("PostgreSQL started again".into());

    at(33.0).await;
    let took = terminate("dispatcher-2").await;
    note(format!(
        "SIGTERM dispatcher-2: drained, exit 0 after {took:.1?}"
    ));
    let took = terminate("worker-2").await;
    note(format!(
        "SIGTERM worker-2: drained, exit 0 after {took:.1?}"
    ));
    start("dispatcher-2").await;
    start("worker-2").await;
    note("dispatcher-2 and worker-2 restarted".into());

    at(38.0).await;
    let took = terminate("ingress-2").await;
    note(format!(
        "SIGTERM ingress-2: drained, exit 0 after {took:.1?}"
    ));
    start("ingress-2").await;
    note("ingress-2 restarted".into());

    at(42.0).await;
    pg.stop("immediate").await.unwrap();
    note("PostgreSQL crashed (pg_ctl stop -m immediate)".into());
    at(44.0).await;
    pg.start_again().await.unwrap();
    note("PostgreSQL recovered and started again".into());

    at(47.0).await;
    kill("worker-2").await;
    kill("dispatcher-2").await;
    note("SIGKILL worker-2 and dispatcher-2".into());
    at(49.0).await;
    start("worker-2").await;
    start("dispatcher-2").await;
    note("worker-2 and dispatcher-2 restarted".into());

    let log = log.lock().unwrap().clone();
    log
}

/// Successful replies per customer message id, read from the `source_id` the dispatcher sets
/// (`cwp:{tenant}:message_created:{id}#0`; any other action of the same message counts as a reply too), and the
/// replies that reached Chatwoot after the reply to a later message of their conversation (message ids increase
/// with the order a conversation's messages were sent in).
fn replies(sim: &chatwoot_sim::Simulator) -> (HashMap<u64, usize>, Vec<(u64, u64)>) {
    let prefix = format!("cwp:{TENANT}:message_created:");
    let mut by_message = HashMap::new();
    let mut latest_per_conversation: HashMap<u64, u64> = HashMap::new();
    let mut violations = Vec::new();
    // In the order Chatwoot received them.
    for request in sim.requests_matching("POST", "/messages") {
        if request.status != Some(200) {
            continue;
        }
        let Some(source) = request
            .body_json()
            .and_then(|b| b["source_id"].as_str().map(str::to_owned))
        else {
            continue;
        };
        let id = source
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('#').next())
            .and_then(|id| id.parse::<u64>().ok());
        if let Some(id) = id {
            *by_message.entry(id).or_default() += 1;
            let latest = latest_per_conversation
                .entry(conversation_of(id))
                .or_default();
            if id < *latest {
                violations.push((id, *latest));
            }
            *latest = (*latest).max(id);
        }
    }
    (by_message, violations)
}

/// Every worker partition and the dispatcher have nothing pending or unacknowledged.
async fn settled(nats_url: &str) -> bool {
    let Ok(client) = async_nats::connect(nats_url).await else {
        return false;
    };
    let js = async_nats::jetstream::new(client);
    let topology = infra::Topology::new("faults");
    let mut consumers: Vec<(String, String)> = (0..infra::topology::PARTITIONS)
        .map(|p| (topology.events_stream(), topology.worker_consumer(p)))
        .collect();
    consumers.push((topology.actions_stream(), topology.dispatcher_consumer()));
    for (stream, name) in consumers {
        let Ok(stream) = js.get_stream(&stream).await else {
            return false;
        };
        let Ok(mut consumer) = stream
            .get_consumer::<async_nats::jetstream::consumer::pull::Config>(&name)
            .await
        else {
            return false;
        };
        match consumer.info().await {
            Ok(info) if info.num_pending == 0 && info.num_ack_pending == 0 => {}
            _ => return false,
        }
    }
    true
}

/// Prints the tail of every log when the suite fails (cleared when it passes).
struct LogsOnFailure(Vec<PathBuf>);

impl Drop for LogsOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        for path in &self.0 {
            report!("==== {} (last 40 lines)", path.display());
            report!("{}", faults::tail(Path::new(path), 40));
        }
    }
}
