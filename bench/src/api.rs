//! The `api` phase: the API service against a database of `--api-conversations` conversations (1M) with 10
//! messages each (10M), seeded with `generate_series` in a few minutes (each conversation's search document as
//! the worker keeps it); conversation list latency through HTTP
//! without and with filters and full-text search; then `--api-subscribers` (1,000) server-sent-events
//! subscribers on one API instance, counting every activity record delivered to each, with the API's memory;
//! then subscribers that drop their connection mid-stream and resume with `Last-Event-ID`, checked to lose and
//! repeat nothing.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde::Serialize;

use crate::hist::{self, Latency};
use crate::options::Plan;
use crate::procfs;
use crate::report::Row;
use crate::services::Launch;

/// Issue 13's targets.
const TARGET_LIST_P99_MS: f64 = 50.0;
const TARGET_SSE_RSS_MIB: f64 = 100.0;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApiReport {
    pub conversations: u64,
    pub messages: u64,
    pub seed_seconds: f64,
    /// Conversation list latency per scenario (query string), sequential requests on `concurrency` clients.
    pub list: Vec<(String, Latency)>,
    pub concurrency: usize,
    pub subscribers: usize,
    pub events: usize,
    /// Records delivered to every subscriber (each should get all `events`).
    pub delivered_min: usize,
    pub delivered_total: usize,
    /// Publish to receipt, over every subscriber.
    pub delivery: Latency,
    pub rss_idle_mib: Option<f64>,
    pub rss_subscribed_mib: Option<f64>,
    pub resumers: usize,
    /// Records lost or repeated over every resumed subscriber (0 and 0 when resume is exact).
    pub resume_lost: usize,
    pub resume_repeated: usize,
}

/// The API under test: a child process (its memory read from `/proc`) or a task of this process.
enum Running {
    Process(tokio::process::Child),
    InProcess(e2e::Service),
}

struct ApiUnderTest {
    url: String,
    running: Running,
}

impl ApiUnderTest {
    async fn start(env: &e2e::Env, launch: &Launch) -> anyhow::Result<Self> {
        match launch {
            Launch::InProcess => {
                let service = env.start_api(&[]).await;
                Ok(Self {
                    url: service.url(),
                    running: Running::InProcess(service),
                })
            }
            Launch::Processes {
                bin_dir, log_dir, ..
            } => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")?
                    .local_addr()?
                    .port();
                let binary = bin_dir.join("api");
                if !binary.is_file() {
                    bail!(
                        "{} is missing: cargo build --release -p api",
                        binary.display()
                    );
                }
                let log = std::fs::File::create(log_dir.join("api.log"))?;
                let child = tokio::process::Command::new(binary)
                    .args(env.common_args())
                    .args([
                        "--api-listen-addr",
                        &format!("127.0.0.1:{port}"),
                        "--api-metrics-addr",
                        "127.0.0.1:0",
                    ])
                    .env("RUST_LOG", "warn")
                    .stdout(log.try_clone()?)
                    .stderr(log)
                    .kill_on_drop(true)
                    .spawn()
                    .context("starting the api binary")?;
                let url = format!("http://127.0.0.1:{port}");
                let client = reqwest::Client::new();
                let ready = e2e::eventually(Duration::from_secs(60), || {
                    let request = client.get(format!("{url}/readyz")).send();
                    async move { request.await.is_ok_and(|r| r.status().is_success()) }
                })
                .await;
                if !ready {
                    bail!(
                        "the api did not become ready (log in {})",
                        log_dir.display()
                    );
                }
                Ok(Self {
                    url,
                    running: Running::Process(child),
                })
            }
        }
    }

    fn rss_mib(&self) -> Option<f64> {
        match &self.running {
            Running::Process(child) => procfs::memory(child.id()?).map(|m| m.rss_mib),
            Running::InProcess(_) => None,
        }
    }

    async fn stop(self) {
        match self.running {
            Running::Process(mut child) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
            Running::InProcess(service) => {
                let _ = service.stop().await;
            }
        }
    }
}

/// Fills the database: contacts, conversations and messages of the benchmark tenant, as the worker would
/// have, with the indexes built after the rows (far faster than row by row).
async fn seed(database_url: &str, conversations: u64, per_conversation: u64) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    let n = i64::try_from(conversations)?;
    let m = i64::try_from(per_conversation)?;
    client
        .batch_execute(
            "SET maintenance_work_mem = '512MB'; SET synchronous_commit = off;
             DROP INDEX messages_conversation, conversations_recent, conversations_labels,
                        conversations_categories, conversations_search;
             ALTER TABLE messages DROP CONSTRAINT messages_pkey;",
        )
        .await?;
    client
        .execute(
            "INSERT INTO contacts (tenant, contact_id, name, email)
             SELECT 'acme', i, 'Customer ' || i, 'c' || i || '@example.com'
             FROM generate_series(1, least($1::bigint, 100000)) i",
            &[&n],
        )
        .await?;
    eprintln!("bench: api: seeding {} messages", n * m);
    // Two words of a 5,000-word vocabulary per message (each in ~0.04% of messages), `order` in a third of
    // them and `chargeback` in 0.1%: rare and common search terms.
    client
        .execute(
            "INSERT INTO messages (tenant, message_id, conversation_id, message_type, private, sender_kind,
                                   sender_id, content, created_at, content_type, own)
             SELECT 'acme', (c - 1) * $2 + k, c,
                    CASE WHEN k % 2 = 1 THEN 'incoming' ELSE 'outgoing' END, false,
                    CASE WHEN k % 2 = 1 THEN 'contact' ELSE 'user' END, 1 + c % 100000,
                    'Hello, about my ' || CASE WHEN (c + k) % 3 = 0 THEN 'order' ELSE 'account' END
                      || ' w' || ((c * 7919 + k * 104729) % 5000) || ' and w' || ((c * 104729 + k * 7919) % 5000)
                      || CASE WHEN (c * 31 + k) % 1000 = 0 THEN ', a chargeback' ELSE '' END || '. Thanks!',
                    now() - make_interval(secs => ($1 - c) * 3 + ($2 - k)), 'text', false
             FROM generate_series(1, $1::bigint) c, generate_series(1, $2::bigint) k",
            &[&n, &m],
        )
        .await?;
    eprintln!("bench: api: seeding {n} conversations");
    client
        .execute(
            "INSERT INTO conversations (tenant, conversation_id, inbox_id, contact_id, assignee_id, team_id,
                                        status, priority, labels,
                                        categories, escalation, language, last_event_at, created_at, search)
             SELECT 'acme', i, 1 + i % 3, 1 + i % least($1::bigint, 100000),
                    CASE WHEN i % 5 > 0 THEN 1 + i % 50 END, CASE WHEN i % 2 = 0 THEN 1 + i % 5 END,
                    (ARRAY['open', 'pending', 'resolved', 'snoozed'])[1 + i % 4],
                    (ARRAY[NULL, 'low', 'medium', 'high', 'urgent'])[1 + i % 5],
                    CASE WHEN i % 100 = 0 THEN ARRAY['vip'] WHEN i % 10 = 0 THEN ARRAY['billing']
                         ELSE '{}'::text[] END,
                    ARRAY[(ARRAY['orders', 'returns', 'billing', 'account', 'technical', 'general'])[1 + i % 6]],
                    CASE WHEN i % 200 = 0 THEN 'fraud' WHEN i % 333 = 0 THEN 'legal' END,
                    'en',
                    now() - make_interval(secs => ($1 - i) * 3),
                    now() - make_interval(secs => ($1 - i) * 3 + 3600),
                    w.words
             FROM generate_series(1, $1::bigint) i
             JOIN (SELECT conversation_id, strip(to_tsvector('simple', string_agg(content, ' '))) AS words
                   FROM messages WHERE tenant = 'acme' GROUP BY conversation_id) w ON w.conversation_id = i",
            &[&n],
        )
        .await?;
    eprintln!("bench: api: building indexes");
    client
        .batch_execute(
            "ALTER TABLE messages ADD PRIMARY KEY (tenant, message_id);
             CREATE INDEX messages_conversation ON messages (tenant, conversation_id, created_at);
             CREATE INDEX conversations_recent ON conversations (tenant, last_event_at DESC, conversation_id DESC)
                 WHERE last_event_at IS NOT NULL;
             CREATE INDEX conversations_labels ON conversations USING GIN (labels);
             CREATE INDEX conversations_categories ON conversations USING GIN (categories);
             CREATE INDEX conversations_search ON conversations USING GIN (search);
             ANALYZE contacts; ANALYZE conversations; ANALYZE messages;",
        )
        .await?;
    drop(client);
    let _ = driver.await;
    Ok(())
}

/// The list scenarios: no filter, filters of several selectivities, rare and common search terms.
const SCENARIOS: [&str; 13] = [
    "",
    "status=open",
    "priority=urgent",
    "label=vip",
    "category=billing",
    "escalation=fraud",
    "assignee_id=7",
    "assignee_id=7&status=open",
    "inbox_id=2&team_id=3",
    "q=chargeback",
    "q=w4242",
    "q=order",
    "q=order&status=pending",
];

async fn list_latency(
    url: &str,
    key: &str,
    query: &str,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<Latency> {
    let client = reqwest::Client::new();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key) = (client.clone(), url.to_owned(), key.to_owned());
        let query = query.to_owned();
        let each = requests.div_ceil(concurrency);
        workers.push(tokio::spawn(async move {
            let mut histogram = hist::new_histogram();
            let mut cursor: Option<String> = None;
            for _ in 0..each {
                // Walks the pages (keyset cursors), starting over at the end.
                let mut target = format!("{url}/api/v1/conversations?limit=50&{query}");
                if let Some(c) = &cursor {
                    target.push_str(&format!("&cursor={c}"));
                }
                let started = Instant::now();
                let response = client.get(&target).bearer_auth(&key).send().await?;
                let status = response.status();
                let page: serde_json::Value = response.json().await?;
                hist::record(&mut histogram, started.elapsed());
                if !status.is_success() {
                    bail!("{target}: {status} {page}");
                }
                cursor = page["next_cursor"].as_str().map(str::to_owned);
            }
            anyhow::Ok(histogram)
        }));
    }
    let mut total = hist::new_histogram();
    for worker in workers {
        total.add(worker.await??)?;
    }
    Ok(Latency::of(&total))
}

/// One SSE subscriber: reads events until it has `want` or `deadline` passes, optionally dropping the
/// connection after `drop_after` events and resuming with `Last-Event-ID`. Returns the ids received (every
/// copy) and the delivery latencies.
async fn subscribe(
    url: String,
    key: String,
    after: u64,
    want: usize,
    drop_after: Option<usize>,
    deadline: Instant,
) -> anyhow::Result<(Vec<u64>, Vec<Duration>)> {
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(want);
    let mut latencies = Vec::with_capacity(want);
    let mut resume_from: Option<u64> = None;
    let mut dropped = false;
    'connect: loop {
        let mut request = client
            .get(format!("{url}/api/v1/activity?after={after}"))
            .header("accept", "text/event-stream")
            .bearer_auth(&key);
        if let Some(id) = resume_from {
            request = request.header("last-event-id", id.to_string());
        }
        let mut response = request.send().await?;
        if !response.status().is_success() {
            bail!("SSE: {}", response.status());
        }
        let mut buffer = String::new();
        loop {
            if ids.len() >= want {
                return Ok((ids, latencies));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = match tokio::time::timeout(left, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) | Ok(Err(_)) => continue 'connect,
                Err(_) => return Ok((ids, latencies)),
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let id = block
                    .lines()
                    .find_map(|l| l.strip_prefix("id:"))
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let Some(id) = id else { continue };
                ids.push(id);
                resume_from = Some(id);
                if let Some(sent) = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data:"))
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d.trim()).ok())
                    .and_then(|d| d["data"]["sent_us"].as_i64())
                {
                    let now = chrono::Utc::now().timestamp_micros();
                    latencies.push(Duration::from_micros(
                        u64::try_from(now - sent).unwrap_or(0),
                    ));
                }
                if !dropped && drop_after.is_some_and(|n| ids.len() >= n) {
                    dropped = true;
                    drop(response);
                    continue 'connect;
                }
            }
        }
    }
}

/// Publishes `count` activity records of the benchmark tenant at `rate` per second; returns their sequences.
async fn publish(env: &e2e::Env, tag: &str, count: usize, rate: f64) -> anyhow::Result<()> {
    let js = env.jetstream().await;
    let topology = env.topology();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let started = Instant::now();
    for i in 0..count {
        let due = started + interval * u32::try_from(i)?;
        tokio::time::sleep_until(due.into()).await;
        let record = infra::activity::Activity::new(
            format!("bench:{tag}:{i}"),
            infra::activity::ActivityKind::Triaged,
            e2e::TENANT,
            1 + (i as u64 % 1000),
            serde_json::json!({ "sent_us": chrono::Utc::now().timestamp_micros() }),
        );
        infra::activity::publish(&js, &topology, &[record])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

async fn last_activity_seq(env: &e2e::Env) -> anyhow::Result<u64> {
    let mut stream = env
        .jetstream()
        .await
        .get_stream(env.topology().activity_stream())
        .await?;
    Ok(stream.info().await?.state.last_sequence)
}

pub async fn run(plan: &Plan, env: &e2e::Env, launch: &Launch) -> anyhow::Result<ApiReport> {
    let mut report = ApiReport {
        conversations: plan.api_conversations,
        messages: plan.api_conversations * 10,
        concurrency: 4,
        subscribers: plan.api_subscribers,
        events: plan.api_events,
        resumers: plan.api_resumers,
        ..ApiReport::default()
    };
    env.pool().await;
    let started = Instant::now();
    seed(&env.database_url, plan.api_conversations, 10).await?;
    report.seed_seconds = started.elapsed().as_secs_f64();
    let api = ApiUnderTest::start(env, launch).await?;
    let key = env.api_key(e2e::TENANT, infra::api_keys::Scope::Read).await;

    for query in SCENARIOS {
        // Warm the pool's prepared statements and the caches, then measure.
        list_latency(&api.url, &key, query, 8, 4).await?;
        let latency = list_latency(&api.url, &key, query, plan.api_requests, 4).await?;
        eprintln!("bench: api: list ?{query}: {}", latency.short());
        report.list.push((format!("?{query}"), latency));
    }

    // SSE: every subscriber from the same point; every record published afterwards must reach each.
    report.rss_idle_mib = api.rss_mib();
    let after = last_activity_seq(env).await?;
    let deadline = Instant::now() + Duration::from_secs(60) + plan.api_publish_time();
    let subscribers: Vec<_> = (0..plan.api_subscribers)
        .map(|_| {
            tokio::spawn(subscribe(
                api.url.clone(),
                key.clone(),
                after,
                plan.api_events,
                None,
                deadline,
            ))
        })
        .collect();
    // Let the subscribers connect first, so the delivery latency is not their connection time (the records
    // would reach them anyway: they start from `after`).
    tokio::time::sleep(Duration::from_secs(if plan.quick { 1 } else { 10 })).await;
    eprintln!(
        "bench: api: {} subscribers, publishing {} records",
        plan.api_subscribers, plan.api_events
    );
    let peak = std::sync::Mutex::new(None::<f64>);
    let publishing = publish(env, "sse", plan.api_events, plan.api_event_rate);
    let sampling = async {
        while !subscribers.iter().all(|s| s.is_finished()) && Instant::now() < deadline {
            if let Some(rss) = api.rss_mib() {
                let mut peak = peak
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *peak = Some(peak.map_or(rss, |p: f64| p.max(rss)));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (published, ()) = tokio::join!(publishing, sampling);
    published?;
    report.rss_subscribed_mib = *peak
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut latencies = hist::new_histogram();
    let mut min = usize::MAX;
    for subscriber in subscribers {
        let (ids, lat) = subscriber.await??;
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        min = min.min(unique.len());
        report.delivered_total += ids.len();
        for l in lat {
            hist::record(&mut latencies, l);
        }
    }
    report.delivered_min = if min == usize::MAX { 0 } else { min };
    report.delivery = Latency::of(&latencies);
    eprintln!(
        "bench: api: SSE delivered {} (min per subscriber {} of {}), latency {}, RSS {:?} MiB",
        report.delivered_total,
        report.delivered_min,
        plan.api_events,
        report.delivery.short(),
        report.rss_subscribed_mib
    );

    // Resume: subscribers drop their connection halfway and resume with Last-Event-ID.
    let after = last_activity_seq(env).await?;
    let want = plan.api_events;
    let deadline = Instant::now() + Duration::from_secs(60) + plan.api_publish_time();
    let resumers: Vec<_> = (0..plan.api_resumers)
        .map(|_| {
            tokio::spawn(subscribe(
                api.url.clone(),
                key.clone(),
                after,
                want,
                Some(want / 2),
                deadline,
            ))
        })
        .collect();
    publish(env, "resume", want, plan.api_event_rate).await?;
    let expected: BTreeSet<u64> = (after + 1..=after + want as u64).collect();
    for resumer in resumers {
        let (ids, _) = resumer.await??;
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        report.resume_repeated += ids.len() - unique.len();
        report.resume_lost += expected.difference(&unique).count();
    }
    eprintln!(
        "bench: api: resume: {} lost, {} repeated over {} subscribers",
        report.resume_lost, report.resume_repeated, plan.api_resumers
    );
    api.stop().await;
    Ok(report)
}

impl Plan {
    /// Time spent publishing the SSE records at the planned rate.
    pub fn api_publish_time(&self) -> Duration {
        Duration::from_secs_f64(self.api_events as f64 / self.api_event_rate.max(1.0))
    }
}

/// The phase's rows of the report table.
pub fn rows(api: &ApiReport) -> Vec<Row> {
    let mut rows = vec![Row::new(
        "API: database seeded",
        format!(
            "{} conversations, {} messages",
            api.conversations, api.messages
        ),
    )
    .note(format!("{:.0} s with generate_series", api.seed_seconds))];
    for (query, latency) in &api.list {
        rows.push(
            Row::new(
                format!("API: conversation list `{query}` p50/p90/p99/p99.9"),
                latency.short(),
            )
            .against(
                format!(
                    "target p99 < {TARGET_LIST_P99_MS} ms, {} clients",
                    api.concurrency
                ),
                latency.p99_ms / TARGET_LIST_P99_MS,
            ),
        );
    }
    rows.push(
        Row::new(
            "API: SSE records delivered, least per subscriber",
            format!(
                "{} of {} ({} subscribers, {} in all)",
                api.delivered_min, api.events, api.subscribers, api.delivered_total
            ),
        )
        .note("every record to every subscriber"),
    );
    rows.push(
        Row::new(
            "API: SSE delivery latency p50/p90/p99/p99.9",
            api.delivery.short(),
        )
        .note("publish to receipt"),
    );
    if let Some(rss) = api.rss_subscribed_mib {
        rows.push(
            Row::new("API: RSS with the SSE subscribers", format!("{rss:.1} MiB")).against(
                format!(
                    "target < {TARGET_SSE_RSS_MIB} MiB; idle {}",
                    api.rss_idle_mib
                        .map_or("-".into(), |r| format!("{r:.1} MiB"))
                ),
                rss / TARGET_SSE_RSS_MIB,
            ),
        );
    }
    rows.push(
        Row::new(
            "API: SSE resume with Last-Event-ID",
            format!("{} lost, {} repeated", api.resume_lost, api.resume_repeated),
        )
        .note(format!("{} subscribers dropped halfway", api.resumers)),
    );
    rows
}
