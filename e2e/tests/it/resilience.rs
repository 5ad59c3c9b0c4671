//! Nothing lost, nothing doubled, under a flaky and rate-limiting Chatwoot, a token rotation, replays, hostile
//! input and a full stream; and no secret in any log or `Debug` output along the way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chatwoot_sim::{Fault, FaultBehaviour, Matcher, Method};
use clap::{CommandFactory, FromArgMatches};
use e2e::{customer_message, eventually, Env, Service, ACCOUNT_ID, TENANT, WEBHOOK_SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Successful `POST …/messages` per action id (the dispatcher's `source_id` is `cwp:{action id}`).
fn replies(env: &Env) -> HashMap<String, usize> {
    let mut by_action = HashMap::new();
    for request in env.sim.requests_matching("POST", "/messages") {
        if request.status != Some(200) {
            continue;
        }
        let source = request
            .body_json()
            .and_then(|b| b["source_id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let action = source.strip_prefix("cwp:").unwrap_or(&source).to_owned();
        *by_action.entry(action).or_default() += 1;
    }
    by_action
}

/// The action id of the reply to customer message `id` (`#replay:{r}` inserted for a reprocessing replay).
fn reply_id(id: u64, replay: Option<&str>) -> String {
    match replay {
        Some(r) => format!("{TENANT}:message_created:{id}#replay:{r}#0"),
        None => format!("{TENANT}:message_created:{id}#0"),
    }
}

/// Sends customer messages `ids` (conversation `1000 + id`); every one must be accepted.
async fn send_messages(env: &Env, ingress: &Service, ids: impl IntoIterator<Item = u64>) {
    for id in ids {
        let body = customer_message(&format!("question {id}"), id, 1000 + id, &[]);
        let (status, json) = env.send(ingress, TENANT, &body, &format!("d-{id}")).await;
        assert_eq!(status, 202, "message {id}: {json}");
    }
}

/// Every consumer of the environment has nothing pending and nothing unacknowledged.
async fn settled(env: &Env) -> bool {
    let js = env.jetstream().await;
    let topology = env.topology();
    let mut names: Vec<(String, String)> = (0..infra::topology::PARTITIONS)
        .map(|p| (topology.events_stream(), topology.worker_consumer(p)))
        .collect();
    names.push((topology.actions_stream(), topology.dispatcher_consumer()));
    for (stream, name) in names {
        let Ok(stream) = js.get_stream(&stream).await else {
            return false;
        };
        let Ok(mut consumer) = stream
            .get_consumer::<async_nats::jetstream::consumer::pull::Config>(&name)
            .await
        else {
            continue;
        };
        match consumer.info().await {
            Ok(info) if info.num_pending == 0 && info.num_ack_pending == 0 => {}
            _ => return false,
        }
    }
    true
}

async fn wait_settled(env: &Env) {
    assert!(
        eventually(Duration::from_secs(60), || settled(env)).await,
        "the pipeline did not settle"
    );
}

/// Runs `cwctl` in-process against this environment, as an operator holding the key would.
async fn cwctl(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["cwctl".to_owned()];
    all.extend(env.common_args());
    all.extend(args.iter().map(|s| (*s).to_owned()));
    let command = cwctl::Cli::command().mut_arg("secrets_key", |arg| arg.env(None::<&str>));
    let matches = command.try_get_matches_from(all).unwrap();
    let cli = cwctl::Cli::from_arg_matches(&matches).unwrap();
    let mut out = Vec::new();
    let exit = cwctl::run(cli, &mut out).await.unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(exit, cwctl::Exit::Success, "cwctl {args:?}: {out}");
    out
}

/// The most calls among `times` (sorted) within any interval of `window`.
fn busiest(times: &[chrono::DateTime<chrono::Utc>], window: Duration) -> u64 {
    let window = chrono::Duration::from_std(window).unwrap();
    let (mut most, mut start) = (0, 0);
    for end in 0..times.len() {
        while times[end] - times[start] > window {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most as u64
}

async fn stop(services: Vec<Service>) {
    for service in services {
        service.stop().await.unwrap();
    }
}

/// Half of the calls fail (503 or Chatwoot's 429) for a while, with two dispatchers sharing a tenant limited to
/// 120 calls a minute: every reply arrives once, and no interval ever sees more calls than the limit allows.
#[tokio::test]
async fn a_flaky_rate_limiting_chatwoot_gets_each_reply_once_within_the_shared_rate() {
    const RATE: u32 = 120;
    const MESSAGES: u64 = 40;
    let env = Env::new().await;
    env.tenants()
        .await
        .upsert(&infra::tenants::NewTenant {
            id: infra::TenantId::parse(TENANT).unwrap(),
            chatwoot_base_url: env.sim.base_url(),
            account_id: ACCOUNT_ID,
            api_token: e2e::API_TOKEN.into(),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            allow_unsigned: false,
            settings: Some(serde_json::json!({
                "responder": "template",
                "mode": "auto",
                "rate_limit_per_minute": RATE,
            })),
        })
        .await
        .unwrap();
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    // The dispatchers' own default (3000/min) is overridden by the tenant's setting.
    let dispatcher_args = ["--rate-limit-cooldown", "4s", "--max-attempts", "100"];
    let dispatchers = [
        env.start_dispatcher(&dispatcher_args).await,
        env.start_dispatcher(&dispatcher_args).await,
    ];
    // The first calls surely fail (one 429, one 503), then about half of them for a while.
    for status in [429, 503] {
        env.sim.inject(
            Fault::new(
                Matcher::path("/conversations/"),
                FaultBehaviour::Status(status),
            )
            .times(1),
        );
    }
    let faults = Duration::from_secs(8);
    for (status, p) in [(503, 0.3), (429, 0.3)] {
        env.sim.inject(
            Fault::new(
                Matcher::path("/conversations/"),
                FaultBehaviour::Status(status),
            )
            .with_probability(p)
            .for_duration(faults),
        );
    }
    send_messages(&env, &ingress, 1..=MESSAGES).await;
    let all_delivered = eventually(Duration::from_secs(150), || async {
        replies(&env).len() as u64 >= MESSAGES
    })
    .await;
    assert!(
        all_delivered,
        "delivered {} of {MESSAGES}",
        replies(&env).len()
    );
    wait_settled(&env).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let replies = replies(&env);
    for id in 1..=MESSAGES {
        assert_eq!(replies.get(&reply_id(id, None)), Some(&1), "message {id}");
    }
    let requests = env.sim.requests();
    let mut times: Vec<_> = requests.iter().map(|r| r.received_at).collect();
    times.sort();
    let statuses = |code| requests.iter().filter(|r| r.status == Some(code)).count();
    assert!(statuses(429) > 0 && statuses(503) > 0, "the faults fired");
    // A call reaches the simulator a moment after its token was spent.
    let latency = Duration::from_millis(100);
    for window in [1, 2, 5, 10, 20, 30, 60].map(Duration::from_secs) {
        let most = busiest(&times, window);
        let bound = dispatcher::ratelimit::max_calls_in(window + latency, RATE);
        assert!(
            most <= bound,
            "{most} calls within {window:?}; the limit allows {bound}"
        );
    }
    let mut metrics = String::new();
    for dispatcher in &dispatchers {
        metrics.push_str(&dispatcher.metrics().await);
    }
    assert!(
        metrics.contains("outcome=\"throttled\""),
        "the limit was never binding:\n{metrics}"
    );
    let cut: bool = env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT last_cut_at IS NOT NULL FROM rate_limits WHERE tenant = $1",
            &[&TENANT],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cut, "a 429 cut the shared rate");
    println!(
        "calls {}, 429s {}, 503s {}, first to last {:?}",
        requests.len(),
        statuses(429),
        statuses(503),
        (times[times.len() - 1] - times[0])
            .to_std()
            .unwrap_or_default()
    );
    let [first, second] = dispatchers;
    stop(vec![ingress, worker, first, second]).await;
    env.cleanup().await;
}

/// The API token is rotated in Chatwoot before the pipeline knows: every reply is refused (401) and
/// dead-lettered. Once the operator stores the new token, a redrive delivers each reply exactly once.
#[tokio::test]
async fn a_401_storm_after_a_token_rotation_is_redriven_into_one_reply_each() {
    const MESSAGES: u64 = 8;
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let rotated = "rotated-token-after-leak";
    assert!(env.sim.set_tokens(ACCOUNT_ID, vec![rotated.to_owned()]));
    send_messages(&env, &ingress, 1..=MESSAGES).await;
    let dlq = env.topology().dead_letter_stream();
    assert!(
        eventually(Duration::from_secs(30), || async {
            env.stream_len(&dlq).await == MESSAGES
        })
        .await,
        "dead letters: {}",
        env.stream_len(&dlq).await
    );
    assert!(replies(&env).is_empty());
    let listed = cwctl(&env, &["dlq", "list", "--json"]).await;
    let letters: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert!(
        letters
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == 401),
        "{listed}"
    );

    let tenant = infra::TenantId::parse(TENANT).unwrap();
    assert!(env
        .tenants()
        .await
        .set_api_token(&tenant, rotated)
        .await
        .unwrap());
    let out = cwctl(&env, &["dlq", "redrive", "--all"]).await;
    assert!(
        out.contains(&format!("redriven {MESSAGES}, already delivered 0")),
        "{out}"
    );
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() as u64 == MESSAGES
        })
        .await,
        "redriven replies: {:?}",
        replies(&env)
    );
    wait_settled(&env).await;
    // A second redrive finds nothing; nothing is sent twice.
    let again = cwctl(&env, &["dlq", "redrive", "--all"]).await;
    assert!(again.contains("no dead letters match"), "{again}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let replies = replies(&env);
    for id in 1..=MESSAGES {
        assert_eq!(replies.get(&reply_id(id, None)), Some(&1), "message {id}");
    }
    assert_eq!(env.stream_len(&dlq).await, 0);
    let redriven = env.sim.requests_matching("POST", "/messages");
    assert!(redriven
        .iter()
        .filter(|r| r.status == Some(200))
        .all(|r| r.header("api_access_token") == Some(rotated)));
    stop(vec![ingress, worker, dispatcher]).await;
    env.cleanup().await;
}

/// Replaying a time range re-runs the worker: trusting its ledger it sends nothing new; with `--reprocess` it
/// answers every message again, exactly once, and repeating that replay id changes nothing.
#[tokio::test]
async fn a_replay_respects_the_ledger_and_reprocessing_replies_again_exactly_once() {
    const MESSAGES: u64 = 5;
    let env = Env::new().await;
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    send_messages(&env, &ingress, 1..=MESSAGES).await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() as u64 == MESSAGES
        })
        .await
    );
    wait_settled(&env).await;

    let out = cwctl(
        &env,
        &[
            "replay",
            "--tenant",
            TENANT,
            "--since",
            "30m",
            "--replay-id",
            "ledger-1",
        ],
    )
    .await;
    assert!(
        out.contains(&format!("matched {MESSAGES}, published {MESSAGES}")),
        "{out}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    wait_settled(&env).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        replies(&env).len() as u64,
        MESSAGES,
        "the ledger was trusted"
    );

    let out = cwctl(
        &env,
        &[
            "replay",
            "--tenant",
            TENANT,
            "--since",
            "30m",
            "--reprocess",
            "--replay-id",
            "again-1",
        ],
    )
    .await;
    assert!(
        out.contains(&format!("matched {MESSAGES}, published {MESSAGES}")),
        "{out}"
    );
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() as u64 == 2 * MESSAGES
        })
        .await,
        "{:?}",
        replies(&env)
    );
    // The same replay id again: the stream drops every copy.
    let out = cwctl(
        &env,
        &[
            "replay",
            "--tenant",
            TENANT,
            "--since",
            "30m",
            "--reprocess",
            "--replay-id",
            "again-1",
        ],
    )
    .await;
    assert!(
        out.contains(&format!("already published {MESSAGES}")),
        "{out}"
    );
    wait_settled(&env).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let replies = replies(&env);
    assert_eq!(replies.len() as u64, 2 * MESSAGES, "{replies:?}");
    for id in 1..=MESSAGES {
        assert_eq!(replies.get(&reply_id(id, None)), Some(&1), "message {id}");
        assert_eq!(
            replies.get(&reply_id(id, Some("again-1"))),
            Some(&1),
            "message {id} reprocessed"
        );
    }
    stop(vec![ingress, worker, dispatcher]).await;
    env.cleanup().await;
}

/// One raw HTTP/1.1 exchange, for requests a client library would not send.
async fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn signed(body: &[u8], timestamp: i64, secret: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("x-chatwoot-delivery".into(), "hostile".into()),
        ("x-chatwoot-timestamp".into(), timestamp.to_string()),
        (
            "x-chatwoot-signature".into(),
            chatwoot::sign(secret.as_bytes(), timestamp, body),
        ),
    ]
}

fn replace(headers: &[(String, String)], name: &str, value: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<_> = headers.iter().filter(|(k, _)| k != name).cloned().collect();
    if let Some(value) = value {
        out.push((name.into(), value.into()));
    }
    out
}

/// Every kind of hostile request is refused with its status and a reason naming the problem, and none of them
/// reaches the stream; a tenant's secret never opens another tenant's endpoint.
#[tokio::test]
async fn hostile_requests_are_refused_with_a_clear_reason_and_nothing_is_published() {
    const GLOBEX_SECRET: &str = "Gx9vT2kLm4Pq7Rs1Wz8Yb3Nc";
    let env = Env::new().await;
    env.add_tenant("globex", Some(GLOBEX_SECRET), false).await;
    let ingress = env.start_ingress(&[]).await;
    let body = customer_message("hello", 77, 1077, &[]);
    let now = chrono::Utc::now().timestamp();
    let good = signed(&body, now, WEBHOOK_SECRET);
    let deep = {
        let mut text = String::from_utf8(body.clone()).unwrap();
        text.pop();
        text.push_str(&format!(r#","x":{}{}}}"#, "[".repeat(100), "]".repeat(100)));
        text.into_bytes()
    };
    let mut invalid_utf8 = body.clone();
    let at = invalid_utf8.windows(5).position(|w| w == b"hello").unwrap();
    invalid_utf8[at] = 0xff;
    let not_json = b"event=message_created&id=77".to_vec();

    type Case = (
        &'static str,
        &'static str,
        Vec<u8>,
        Vec<(String, String)>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong signature",
            TENANT,
            body.clone(),
            replace(
                &good,
                "x-chatwoot-signature",
                Some(&format!("sha256={}", "ab".repeat(32))),
            ),
            401,
            "signature does not match",
        ),
        (
            "signature of another body",
            TENANT,
            body.clone(),
            signed(b"{}", now, WEBHOOK_SECRET)
                .into_iter()
                .filter(|(k, _)| k == "x-chatwoot-signature")
                .chain(replace(&good, "x-chatwoot-signature", None))
                .collect(),
            401,
            "signature does not match",
        ),
        (
            "malformed signature",
            TENANT,
            body.clone(),
            replace(&good, "x-chatwoot-signature", Some("sha1=deadbeef")),
            401,
            "sha256=",
        ),
        (
            "globex's secret on acme's endpoint",
            TENANT,
            body.clone(),
            signed(&body, now, GLOBEX_SECRET),
            401,
            "signature does not match",
        ),
        (
            "acme's secret on globex's endpoint",
            "globex",
            body.clone(),
            good.clone(),
            401,
            "signature does not match",
        ),
        (
            "replayed an hour later",
            TENANT,
            body.clone(),
            signed(&body, now - 3600, WEBHOOK_SECRET),
            401,
            "outside the accepted tolerance",
        ),
        (
            "timestamp from the future",
            TENANT,
            body.clone(),
            signed(&body, now + 3600, WEBHOOK_SECRET),
            401,
            "outside the accepted tolerance",
        ),
        (
            "missing signature",
            TENANT,
            body.clone(),
            replace(&good, "x-chatwoot-signature", None),
            401,
            "missing X-Chatwoot-Signature",
        ),
        (
            "missing timestamp",
            TENANT,
            body.clone(),
            replace(&good, "x-chatwoot-timestamp", None),
            401,
            "missing X-Chatwoot-Timestamp",
        ),
        (
            "timestamp not a number",
            TENANT,
            body.clone(),
            replace(&good, "x-chatwoot-timestamp", Some("yesterday")),
            401,
            "not a unix time",
        ),
        (
            "deep JSON",
            TENANT,
            deep.clone(),
            signed(&deep, now, WEBHOOK_SECRET),
            400,
            "nesting deeper than 64 levels",
        ),
        (
            "invalid UTF-8",
            TENANT,
            invalid_utf8.clone(),
            signed(&invalid_utf8, now, WEBHOOK_SECRET),
            400,
            "invalid JSON",
        ),
        (
            "not JSON",
            TENANT,
            not_json.clone(),
            signed(&not_json, now, WEBHOOK_SECRET),
            400,
            "invalid JSON",
        ),
        (
            "empty body",
            TENANT,
            Vec::new(),
            signed(b"", now, WEBHOOK_SECRET),
            400,
            "invalid JSON",
        ),
        (
            "form content type",
            TENANT,
            body.clone(),
            replace(
                &good,
                "content-type",
                Some("application/x-www-form-urlencoded"),
            ),
            415,
            "application/json",
        ),
        (
            "text content type",
            TENANT,
            body.clone(),
            replace(&good, "content-type", Some("text/plain")),
            415,
            "application/json",
        ),
        (
            "lookalike content type",
            TENANT,
            body.clone(),
            replace(&good, "content-type", Some("application/jsonp")),
            415,
            "application/json",
        ),
        (
            "no content type",
            TENANT,
            body.clone(),
            replace(&good, "content-type", None),
            415,
            "application/json",
        ),
        (
            "unknown tenant",
            "nobody",
            body.clone(),
            good.clone(),
            404,
            "unknown tenant",
        ),
        (
            "tenant id that is not one",
            "ACME",
            body.clone(),
            good.clone(),
            404,
            "unknown tenant",
        ),
    ];
    for (name, tenant, body, headers, status, reason) in cases {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (got, json) = env.post(&ingress, tenant, body, &headers).await;
        assert_eq!(got, status, "{name}: {json}");
        let message = json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason) && json["error"].is_string(),
            "{name}: {json} should name `{reason}`"
        );
    }

    // What a client library would not send: a body announced as 50 MB, and header floods.
    let path = format!("/webhooks/chatwoot/{TENANT}");
    let head = |extra: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n{extra}\r\n"
        )
    };
    let (status, reply) = raw(
        ingress.addr,
        head("content-length: 50000000\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "{reply}");
    assert!(reply.contains("larger than 1048576 bytes"), "{reply}");
    let many: String = (0..80).map(|i| format!("x-filler-{i}: {i}\r\n")).collect();
    let (status, reply) = raw(
        ingress.addr,
        head(&format!("{many}content-length: 0\r\n")).as_bytes(),
    )
    .await;
    assert_eq!(status, 431, "{reply}");
    assert!(
        reply.contains("headers_too_large") && reply.contains("64 fields"),
        "{reply}"
    );
    let big = format!("x-filler: {}\r\ncontent-length: 0\r\n", "a".repeat(40_000));
    let (status, reply) = raw(ingress.addr, head(&big).as_bytes()).await;
    assert_eq!(status, 431, "{reply}");
    assert!(reply.contains("16384 bytes"), "{reply}");
    // Beyond hyper's own limit (100 fields) the connection gets a bare 431.
    let flood: String = (0..150).map(|i| format!("x-flood-{i}: {i}\r\n")).collect();
    let (status, _) = raw(ingress.addr, head(&flood).as_bytes()).await;
    assert_eq!(status, 431);

    assert_eq!(env.stream_len(&env.topology().events_stream()).await, 0);
    // The refusals were about the requests: each tenant's own secret opens its own endpoint.
    let good_headers: Vec<(&str, &str)> =
        good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        env.post(&ingress, TENANT, body.clone(), &good_headers)
            .await
            .0,
        202
    );
    let globex = signed(&body, now, GLOBEX_SECRET);
    let globex: Vec<(&str, &str)> = globex
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env.post(&ingress, "globex", body.clone(), &globex).await.0,
        202
    );
    assert_eq!(env.stream_len(&env.topology().events_stream()).await, 2);
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Tenants, configurations and every log line (at TRACE) of a webhook's whole way, including a rejected one and
/// a dead letter, never show the API token, the webhook secret, the secrets key or a database password.
#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_in_the_logs() {
    const TOKEN: &str = "tok-7Qx2-never-print-me";
    let logs = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        // Spans too, with their fields, as they open and close: what an OpenTelemetry exporter would see.
        .with_span_events(
            tracing_subscriber::fmt::format::FmtSpan::NEW
                | tracing_subscriber::fmt::format::FmtSpan::CLOSE,
        )
        .with_writer(logs.clone())
        .finish();
    // The test runs on one thread (current-thread runtime), and so do the services it starts.
    let _guard = tracing::subscriber::set_default(subscriber);
    // With a single scoped dispatcher alive, tracing-core decides a callsite's interest from the default of the
    // thread that first reaches it: another test's thread, with no subscriber, would switch our services' spans
    // off for good. A second live dispatcher makes it ask every registered one.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    let env = Env::new().await;
    let tenant = infra::TenantId::parse(TENANT).unwrap();
    env.tenants()
        .await
        .set_api_token(&tenant, TOKEN)
        .await
        .unwrap();
    env.sim.set_tokens(ACCOUNT_ID, vec![TOKEN.to_owned()]);
    let ingress = env.start_ingress(&[]).await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    send_messages(&env, &ingress, [1]).await;
    env.sim.inject(
        Fault::new(
            Matcher::new(Method::POST, "/messages"),
            FaultBehaviour::Status(401),
        )
        .times(1),
    );
    send_messages(&env, &ingress, [2]).await;
    let body = customer_message("x", 3, 1003, &[]);
    let forged = signed(&body, chrono::Utc::now().timestamp(), "not-the-secret");
    let forged: Vec<(&str, &str)> = forged
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(env.post(&ingress, TENANT, body, &forged).await.0, 401);
    let dlq = env.topology().dead_letter_stream();
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() == 1 && env.stream_len(&dlq).await == 1
        })
        .await
    );
    stop(vec![ingress, worker, dispatcher]).await;

    let stored = env.tenants().await.get(TENANT).await.unwrap().unwrap();
    assert_eq!(
        stored.api_token.expose(),
        TOKEN,
        "the test checks the real token"
    );
    let password_url = "postgres://app:pg-pass-Zr8@db:5432/chatwoot_pipeline";
    let config = <ingress::Config as clap::Parser>::try_parse_from([
        "ingress",
        "--secrets-key",
        &env.secrets_key,
        "--database-url",
        password_url,
        "--nats-url",
        "nats://bus:nats-pass-Kq3@nats:4222",
        "--tenant-id",
        TENANT,
        "--chatwoot-base-url",
        "https://chat.acme.example",
        "--chatwoot-account-id",
        "3",
        "--chatwoot-api-token",
        TOKEN,
        "--chatwoot-webhook-secret",
        WEBHOOK_SECRET,
    ])
    .unwrap();
    let debug = [
        format!("{stored:?}"),
        format!("{:?}", env.tenants().await.list().await.unwrap()),
        format!("{config:?}"),
    ];
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for seen in [
        "POST /webhooks/chatwoot/{tenant}",
        "webhook rejected",
        "POST /conversations/{id}/messages",
        "action dead-lettered",
    ] {
        assert!(logs.contains(seen), "`{seen}` is not in the captured logs");
    }
    for (what, text) in debug.iter().map(|d| ("Debug", d)).chain([("logs", &logs)]) {
        for secret in [
            TOKEN,
            WEBHOOK_SECRET,
            env.secrets_key.as_str(),
            "pg-pass-Zr8",
            "nats-pass-Kq3",
        ] {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
    }
    env.cleanup().await;
}

/// A stream at its size limit refuses publishes (discard new): the ingress answers 503 at once with a JSON
/// reason and `Retry-After`, everything it accepted is in the stream, and once the limit is raised every
/// accepted message, and every refused one sent again, is answered exactly once.
#[tokio::test]
async fn a_full_stream_answers_503_quickly_and_loses_nothing_accepted() {
    const MESSAGES: u64 = 12;
    let env = Env::new().await;
    let ingress = env.start_ingress(&["--stream-max-bytes", "16384"]).await;
    let client = reqwest::Client::new();
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    for id in 1..=MESSAGES {
        let body = customer_message(&format!("question {id}"), id, 1000 + id, &[]);
        let timestamp = chrono::Utc::now().timestamp();
        let started = Instant::now();
        let response = client
            .post(format!("{}/webhooks/chatwoot/{TENANT}", ingress.url()))
            .header("content-type", "application/json")
            .header("x-chatwoot-delivery", format!("d-{id}"))
            .header("x-chatwoot-timestamp", timestamp.to_string())
            .header(
                "x-chatwoot-signature",
                chatwoot::sign(WEBHOOK_SECRET.as_bytes(), timestamp, &body),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let json: serde_json::Value = response.json().await.unwrap();
        match status {
            202 => accepted.push(id),
            503 => {
                assert_eq!(json["error"], "unavailable", "{json}");
                assert!(
                    json["message"].as_str().unwrap().contains("stream is full"),
                    "{json}"
                );
                assert_eq!(retry_after.as_deref(), Some("1"));
                assert!(
                    elapsed < Duration::from_secs(1),
                    "refused after {elapsed:?}"
                );
                refused.push(id);
            }
            other => panic!("message {id}: {other} {json}"),
        }
    }
    assert!(
        !accepted.is_empty() && !refused.is_empty(),
        "{accepted:?} {refused:?}"
    );
    assert_eq!(
        env.stream_len(&env.topology().events_stream()).await,
        accepted.len() as u64
    );

    // Services started with the default limit raise it (streams are updated at start).
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() == accepted.len()
        })
        .await
    );
    for id in &accepted {
        assert_eq!(
            replies(&env).get(&reply_id(*id, None)),
            Some(&1),
            "message {id}"
        );
    }
    // Chatwoot's retry of a refused webhook now goes through.
    send_messages(&env, &ingress, refused.iter().copied()).await;
    assert!(
        eventually(Duration::from_secs(30), || async {
            replies(&env).len() as u64 == MESSAGES
        })
        .await
    );
    wait_settled(&env).await;
    let replies = replies(&env);
    for id in 1..=MESSAGES {
        assert_eq!(replies.get(&reply_id(id, None)), Some(&1), "message {id}");
    }

    // Too many webhooks in flight is answered at once as well.
    let saturated = env.start_ingress(&["--max-in-flight", "0"]).await;
    let body = customer_message("busy", 99, 1099, &[]);
    let started = Instant::now();
    let (status, json) = env.send(&saturated, TENANT, &body, "d-99").await;
    assert_eq!(status, 503, "{json}");
    assert!(
        json["message"].as_str().unwrap().contains("in flight"),
        "{json}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    stop(vec![saturated, ingress, worker, dispatcher]).await;
    env.cleanup().await;
}

/// A dispatcher died mid-call, so its reply may or may not have reached Chatwoot, and the conversation has moved
/// on by more than a page of messages since. The check pages back, finds the reply, and posts nothing.
#[tokio::test]
async fn an_uncertain_reply_that_arrived_is_found_beyond_the_first_page_and_not_posted_again() {
    let env = Env::new().await;
    let conversation = 2042;
    let action = proto::Action {
        action_id: format!("{TENANT}:message_created:555#0"),
        tenant: TENANT.into(),
        conversation_id: conversation,
        event_key: format!("{TENANT}:message_created:555"),
        created_at_ms: chrono::Utc::now().timestamp_millis(),
        conversation_seq: 0,
        kind: proto::ActionKind::SendMessage {
            content: "Hi Maya, thanks for your message!".into(),
        },
    };
    let source_id = dispatcher::deliver::source_id(&action.action_id);
    // What the earlier attempt did reach Chatwoot with, then 25 newer messages.
    let posted = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/accounts/{ACCOUNT_ID}/conversations/{conversation}/messages",
            env.sim.base_url()
        ))
        .header("api_access_token", e2e::API_TOKEN)
        .json(&serde_json::json!({ "content": "Hi Maya", "source_id": source_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    for i in 0..25 {
        env.sim
            .add_incoming_message(ACCOUNT_ID, conversation, &format!("and another thing {i}"));
    }
    // The ledger as the killed dispatcher left it: the attempt may have arrived.
    let payload = action.encode_to_vec();
    env.pool()
        .await
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO dispatched_actions (action_id, tenant, conversation_id, kind, state, attempts, payload)
             VALUES ($1, $2, $3, 'send_message', 'uncertain', 1, $4)",
            &[&action.action_id, &TENANT, &(conversation as i64), &payload],
        )
        .await
        .unwrap();
    let dispatcher = env.start_dispatcher(&[]).await;
    let js = env.jetstream().await;
    js.publish(env.topology().action_subject(TENANT), payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(20), || async {
            env.count("SELECT count(*) FROM dispatched_actions WHERE state = 'delivered'")
                .await
                == 1
        })
        .await,
        "the uncertain delivery was not settled"
    );
    let looked = env.sim.requests_matching("GET", "/messages");
    assert!(
        looked
            .iter()
            .any(|r| r.query.as_deref().is_some_and(|q| q.contains("before="))),
        "the second page was read: {looked:?}"
    );
    let posts: Vec<_> = env
        .sim
        .requests_matching("POST", "/messages")
        .into_iter()
        .filter(|r| {
            r.header("user-agent")
                .is_some_and(|ua| ua.starts_with("chatwoot-pipeline"))
        })
        .collect();
    assert!(posts.is_empty(), "posted again: {posts:?}");
    dispatcher.stop().await.unwrap();
    env.cleanup().await;
}
