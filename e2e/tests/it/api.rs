//! The API service end to end: lists, filters, search and pagination; tenant confinement; bad input; scopes;
//! writes as commands (once per idempotency key, a draft approved in the API and in Chatwoot at once sent
//! once); console sessions; the activity stream over SSE with exact resume; the webhook audit trail.

use std::time::Duration;

use e2e::{eventually, Service, AGENT_TOKEN, TENANT};
use infra::api_keys::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::ai_support::{cwctl, AiPipeline};

struct Api {
    service: Service,
    http: reqwest::Client,
}

impl Api {
    async fn start(p: &AiPipeline) -> Self {
        Self {
            service: p.env.start_api(&[]).await,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.url())
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn write(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        key: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, token: &str, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.write(reqwest::Method::POST, token, path, Some(key), body)
            .await
    }

    /// Waits for a command's outcome.
    async fn outcome(&self, token: &str, key: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(token, &format!("/api/v1/commands/{key}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if body["status"] != "pending" {
                return body;
            }
            assert!(std::time::Instant::now() < deadline, "{key} still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn ids(page: &Value) -> Vec<u64> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn conversations_are_listed_filtered_searched_paged_and_confined_to_the_tenant() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        94_001,
        9401,
    )
    .await;
    p.customer(
        "Where is my parcel? It should have arrived on Monday.",
        94_002,
        9402,
    )
    .await;
    p.customer("Hello, how do I reset my password?", 94_003, 9403)
        .await;
    p.settle(3).await;
    let api = Api::start(&p).await;
    let write = cwctl(
        &p.env,
        &[
            "api-keys", "create", "--tenant", TENANT, "--name", "ops", "--scope", "write",
            "--quiet",
        ],
    )
    .await
    .trim()
    .to_owned();
    let read = p.env.api_key(TENANT, Scope::Read).await;

    // Newest activity first (conversations are processed concurrently: the order is the database's), with
    // contact, last message, triage categories and pending drafts.
    let newest_first: Vec<u64> = p
        .env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query(
            "SELECT conversation_id FROM conversations ORDER BY last_event_at DESC, conversation_id DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<_, i64>(0) as u64)
        .collect();
    let (status, page) = api.get(&read, "/api/v1/conversations").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), newest_first);
    assert_eq!(page["next_cursor"], Value::Null);
    let billing = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == 9401)
        .unwrap();
    assert_eq!(billing["categories"], json!(["billing"]));
    assert_eq!(billing["pending_drafts"], 1);
    assert!(billing["contact"]["id"].is_u64(), "{billing}");
    assert_eq!(
        billing["last_message"]["content"],
        "Hi, I was charged twice for my May invoice. Can you help?"
    );

    // Filters and full-text search.
    for (query, expected) in [
        ("category=billing", vec![9401]),
        ("q=parcel", vec![9402]),
        ("q=charged%20twice", vec![9401]),
        ("q=nothing-like-this", vec![]),
        ("status=resolved", vec![]),
        ("label=vip", vec![]),
        ("escalation=any", vec![]),
    ] {
        let (status, page) = api
            .get(&read, &format!("/api/v1/conversations?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(ids(&page), expected, "{query}");
    }

    // Keyset pagination: every conversation once, in order.
    let (_, first) = api.get(&read, "/api/v1/conversations?limit=2").await;
    assert_eq!(ids(&first), newest_first[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = api
        .get(
            &read,
            &format!("/api/v1/conversations?limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(ids(&second), newest_first[2..]);
    assert_eq!(second["next_cursor"], Value::Null);

    // One conversation, with its triage; its messages.
    let (status, one) = api.get(&read, "/api/v1/conversations/9401").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["triage"]["categories"], json!(["billing"]));
    let (_, messages) = api.get(&read, "/api/v1/conversations/9401/messages").await;
    assert_eq!(messages["data"][0]["message_type"], "incoming");
    assert_eq!(messages["data"][0]["sender"]["kind"], "contact");
    assert_eq!(messages["data"][0]["own"], false);

    // Another tenant's conversation and draft are not found with this tenant's key, and the other way round.
    p.env.add_tenant("globex", None, true).await;
    p.env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .batch_execute(
            "INSERT INTO conversations (tenant, conversation_id, last_event_at) VALUES ('globex', 9499, now())",
        )
        .await
        .unwrap();
    let globex = p.env.api_key("globex", Scope::Write).await;
    assert_eq!(
        api.get(&read, "/api/v1/conversations/9499").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&globex, "/api/v1/conversations/9499").await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&globex, "/api/v1/conversations/9401").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ids(&api.get(&globex, "/api/v1/conversations").await.1),
        vec![9499]
    );
    let draft = p.drafts(9401).await[0].id;
    assert_eq!(
        api.get(&globex, &format!("/api/v1/approvals/{draft}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = api
        .post(
            &globex,
            &format!("/api/v1/approvals/{draft}/decision"),
            "x-1",
            json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .post(
            &globex,
            "/api/v1/conversations/9401/messages",
            "x-2",
            json!({ "content": "hi" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad input: 400 naming the field, nothing published.
    for (path, expected) in [
        ("/api/v1/conversations?status=closed", "status"),
        ("/api/v1/conversations?limit=0", "limit"),
        ("/api/v1/conversations?cursor=garbage!", "cursor"),
        ("/api/v1/conversations?assignee_id=-3", "assignee_id"),
        ("/api/v1/conversations/abc", "id"),
        ("/api/v1/approvals?status=maybe", "status"),
        ("/api/v1/activity?kind=nonsense", "kind"),
        ("/api/v1/webhooks?since=yesterday", "since"),
    ] {
        let (status, body) = api.get(&read, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(field(&body), expected, "{path}: {body}");
    }
    let cases = [
        (
            reqwest::Method::POST,
            "/api/v1/conversations/9401/messages",
            None,
            json!({ "content": "hi" }),
            "Idempotency-Key",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/conversations/9401/messages",
            Some("b-1"),
            json!({ "content": "  " }),
            "content",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/conversations/9401/messages",
            Some("b-2"),
            json!({ "content": "x", "private": "yes" }),
            "private",
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/conversations/9401",
            Some("b-3"),
            json!({ "priority": "asap" }),
            "priority",
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/conversations/9401",
            Some("b-4"),
            json!({ "labels": ["ok", "not ok"] }),
            "labels[1]",
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/conversations/9401",
            Some("b-5"),
            json!({}),
            "body",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/conversations/9401/escalate",
            Some("b-6"),
            json!({}),
            "reason",
        ),
        (
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{draft}/decision"),
            Some("b-7"),
            json!({ "decision": "maybe" }),
            "decision",
        ),
        (
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{draft}/decision"),
            Some("b-8"),
            json!({ "decision": "approve", "grades": { "tone": 9 } }),
            "grades.tone",
        ),
        (
            reqwest::Method::POST,
            &format!("/api/v1/approvals/{draft}/decision"),
            Some("b-9"),
            json!({ "decision": "reject", "text": "x" }),
            "text",
        ),
    ];
    for (method, path, key, body, expected) in cases {
        let (status, answer) = api.write(method, &write, path, key, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {answer}");
        assert_eq!(field(&answer), expected, "{path} {body}: {answer}");
    }
    assert_eq!(
        p.env.count("SELECT count(*) FROM api_requests").await,
        0,
        "nothing refused was claimed"
    );

    // Scopes and keys: a read-only key cannot write; no key, a wrong key or a revoked key is 401.
    let (status, body) = api
        .post(
            &read,
            "/api/v1/conversations/9401/messages",
            "r-1",
            json!({ "content": "hi" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let response = api
        .http
        .get(api.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // The last character swapped for another one: appending a fixed "0" left the key intact whenever it
    // already ended in "0" (one run in sixteen).
    let (kept, last) = read.split_at(read.len() - 1);
    let wrong = format!("{kept}{}", if last == "0" { "1" } else { "0" });
    assert_eq!(
        api.get(&wrong, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, me) = api.get(&write, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["tenant"], TENANT);
    assert_eq!(me["scope"], "write");
    assert_eq!(me["actor"]["kind"], "api_key");
    let listed = cwctl(&p.env, &["api-keys", "list", "--tenant", TENANT]).await;
    assert!(
        listed.contains("ops") && !listed.contains(&write),
        "{listed}"
    );
    let key_id = me["actor"]["id"].as_str().unwrap().to_owned();
    cwctl(&p.env, &["api-keys", "revoke", &key_id]).await;
    assert_eq!(
        api.get(&write, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    // The webhook audit trail, with what became of each webhook.
    assert!(
        eventually(Duration::from_secs(20), || async {
            let (_, page) = api.get(&read, "/api/v1/webhooks?status=202").await;
            page["data"]
                .as_array()
                .is_some_and(|rows| rows.len() == 3 && rows.iter().all(|r| r["outcome"] == "acted"))
        })
        .await
    );
    let (_, dupes) = api.get(&read, "/api/v1/webhooks?duplicate=true").await;
    assert_eq!(dupes["data"], json!([]));

    // The OpenAPI document is served as checked in.
    let served = api.http.get(api.url("/openapi.json")).send().await.unwrap();
    assert_eq!(served.text().await.unwrap(), ::api::openapi::document());
    api.service.stop().await.unwrap();
    p.stop().await;
}

#[tokio::test]
async fn a_draft_approved_through_the_api_and_a_chatwoot_note_at_once_is_sent_once() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        95_001,
        9501,
    )
    .await;
    p.settle(1).await;
    let api = Api::start(&p).await;
    let key = p.env.api_key(TENANT, Scope::Write).await;
    let draft = p.drafts(9501).await[0].id;

    let (status, pending) = api.get(&key, "/api/v1/approvals?status=pending").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pending["data"][0]["id"], draft);
    assert_eq!(
        pending["data"][0]["customer_message"],
        "Hi, I was charged twice for my May invoice. Can you help?"
    );
    assert!(
        pending["data"][0]["sources"][0]["title"].is_string(),
        "{pending}"
    );

    // An agent opens a console session with their own Chatwoot token; a bad token names the field.
    let (status, refused) = api
        .post(
            &key,
            "/api/v1/session",
            "-",
            json!({ "chatwoot_token": "nope" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert_eq!(field(&refused), "chatwoot_token");
    let (status, session) = api
        .post(
            &key,
            "/api/v1/session",
            "-",
            json!({ "chatwoot_token": AGENT_TOKEN }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["agent"]["name"], "Ana Lima");
    let agent = session["token"].as_str().unwrap().to_owned();
    let (_, me) = api.get(&agent, "/api/v1/me").await;
    assert_eq!(
        me["actor"],
        json!({ "kind": "agent", "id": "21", "name": "Ana Lima" })
    );

    // The agent approves (edited) in the console while another approves with /approve in Chatwoot.
    let path = format!("/api/v1/approvals/{draft}/decision");
    let decision = json!({ "decision": "approve", "text": "We refunded the second charge.", "grades": { "tone": 5 } });
    let ((status, accepted), ()) = tokio::join!(
        api.post(&agent, &path, "approve-9501", decision.clone()),
        p.agent("/approve", 95_002, 9501)
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["command"], "approve_draft");
    assert_eq!(
        accepted["event_key"],
        format!("{TENANT}:command:approve-9501")
    );
    assert_eq!(accepted["follow"], "/api/v1/commands/approve-9501");

    // The same request again: the same answer, nothing more happens. Another request under the key: 409.
    let (status, again) = api
        .post(&agent, &path, "approve-9501", decision.clone())
        .await;
    assert_eq!((status, &again), (StatusCode::ACCEPTED, &accepted));
    let (status, conflict) = api
        .post(
            &agent,
            &path,
            "approve-9501",
            json!({ "decision": "reject" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");

    let outcome = api.outcome(&key, "approve-9501").await;
    p.settle(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(p.public(9501).len(), 1, "one reply: {:?}", p.public(9501));
    match outcome["status"].as_str().unwrap() {
        "applied" => {
            assert_eq!(
                p.public(9501),
                vec!["We refunded the second charge.".to_owned()]
            );
            assert_eq!(outcome["actor"]["kind"], "agent");
            let (_, decided) = api.get(&key, &format!("/api/v1/approvals/{draft}")).await;
            assert_eq!(
                decided["decided_by"],
                json!({ "id": "21", "name": "Ana Lima" })
            );
            assert_eq!(decided["edited"], true);
            assert_eq!(decided["grades"]["tone"], 5);
        }
        "refused" => assert!(
            outcome["detail"]
                .as_str()
                .unwrap()
                .contains("already approved"),
            "{outcome}"
        ),
        other => panic!("unexpected status {other}"),
    }
    assert_eq!(
        p.env
            .count("SELECT count(*) FROM commands WHERE idempotency_key = 'approve-9501'")
            .await,
        1
    );

    // The draft's history comes from the activity stream.
    let (_, detail) = api.get(&key, &format!("/api/v1/approvals/{draft}")).await;
    assert_eq!(detail["status"], "approved");
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["draft_created", "draft_decided"]);

    // Writes through the API reach Chatwoot through the worker: a private note, a change, an escalation.
    let (status, _) = api
        .post(
            &key,
            "/api/v1/conversations/9501/messages",
            "note-1",
            json!({ "content": "Checked with billing.", "private": true }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = api
        .write(
            reqwest::Method::PATCH,
            &key,
            "/api/v1/conversations/9501",
            Some("patch-1"),
            json!({ "priority": "high", "labels": ["billing", "refund"] }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for k in ["note-1", "patch-1"] {
        assert_eq!(api.outcome(&key, k).await["status"], "applied", "{k}");
    }
    p.settle(2).await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            p.notes(9501).iter().any(|n| n == "Checked with billing.")
                && p.env.sim.priority(e2e::ACCOUNT_ID, 9501).as_deref() == Some("high")
        })
        .await
    );
    api.service.stop().await.unwrap();
    p.stop().await;
}

/// One server-sent event, or a comment.
#[derive(Debug, Clone, PartialEq)]
enum Sse {
    Event { id: u64, kind: String, data: Value },
    Comment(String),
}

/// Reads events from an SSE response body.
struct SseReader {
    response: reqwest::Response,
    buffer: String,
}

impl SseReader {
    async fn open(api: &Api, path: &str, token: &str, last_event_id: Option<u64>) -> Self {
        let mut request = api
            .http
            .get(api.url(path))
            .header("accept", "text/event-stream")
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event or comment, or `None` after `wait` without one.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        return Some(Sse::Comment(comment.trim().to_owned()));
                    }
                    match line.split_once(':') {
                        Some(("id", v)) => id = v.trim().parse().ok(),
                        Some(("event", v)) => kind = v.trim().to_owned(),
                        Some(("data", v)) => data.push_str(v.trim_start()),
                        _ => {}
                    }
                }
                return Some(Sse::Event {
                    id: id.unwrap(),
                    kind,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            match tokio::time::timeout(wait, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }

    /// Events until none came for `quiet` (heartbeats do not count).
    async fn drain(&mut self, quiet: Duration) -> Vec<(u64, String)> {
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut last = std::time::Instant::now();
        while std::time::Instant::now() < deadline {
            match self.next(Duration::from_millis(200)).await {
                Some(Sse::Event { id, kind, .. }) => {
                    events.push((id, kind));
                    last = std::time::Instant::now();
                }
                Some(Sse::Comment(_)) | None => {
                    if last.elapsed() >= quiet {
                        break;
                    }
                }
            }
        }
        events
    }
}

#[tokio::test]
async fn activity_streams_live_and_resumes_exactly_after_the_last_event_seen() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    let api = Api::start(&p).await;
    let key = p.env.api_key(TENANT, Scope::Read).await;

    // A subscriber from the start of the stream sees the records of a customer message as they happen.
    let mut sse = SseReader::open(&api, "/api/v1/activity?after=0", &key, None).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        96_001,
        9601,
    )
    .await;
    p.settle(1).await;
    let seen = sse.drain(Duration::from_millis(1500)).await;
    let kinds: Vec<&str> = seen.iter().map(|(_, k)| k.as_str()).collect();
    for expected in [
        "webhook_received",
        "message_recorded",
        "triaged",
        "draft_created",
        "action_sent",
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected} missing from {kinds:?}"
        );
    }
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "in stream order: {seen:?}"
    );
    // Idle: a heartbeat comment (1 s in the tests).
    let mut heartbeat = false;
    for _ in 0..10 {
        if let Some(Sse::Comment(text)) = sse.next(Duration::from_secs(3)).await {
            heartbeat = text == "heartbeat";
            break;
        }
    }
    assert!(heartbeat, "no heartbeat comment");
    let last = seen.last().unwrap().0;
    drop(sse);

    // While disconnected, more happens; the reconnect with Last-Event-ID gets exactly that, once.
    p.agent("/approve", 96_002, 9601).await;
    p.customer("Thanks! And how do I reset my password?", 96_003, 9601)
        .await;
    p.settle(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, missed) = api
        .get(&key, &format!("/api/v1/activity?after={last}&limit=200"))
        .await;
    let missed: Vec<(u64, String)> = missed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["seq"].as_u64().unwrap(),
                r["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!missed.is_empty());
    let mut resumed = SseReader::open(&api, "/api/v1/activity", &key, Some(last)).await;
    let replayed = resumed.drain(Duration::from_millis(1500)).await;
    assert_eq!(
        replayed, missed,
        "exactly the missed records, in order, no repeats"
    );
    drop(resumed);

    // Filters: one conversation, some kinds; EventSource's query parameters instead of headers.
    let response = api
        .http
        .get(api.url(&format!(
            "/api/v1/activity?stream=1&after=0&conversation_id=9601&kind=draft_created,draft_decided&access_token={key}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut filtered = SseReader {
        response,
        buffer: String::new(),
    };
    let kinds: Vec<String> = filtered
        .drain(Duration::from_millis(1000))
        .await
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    assert_eq!(
        kinds,
        vec!["draft_created", "draft_decided", "draft_created"]
    );
    // A token in the query string is for SSE only.
    let response = api
        .http
        .get(api.url(&format!("/api/v1/activity?access_token={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Paging the same records.
    let (_, page) = api
        .get(&key, "/api/v1/activity?after=0&limit=3&kind=triaged")
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    let (_, page) = api.get(&key, "/api/v1/activity?after=0&limit=2").await;
    let next = page["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(next, page["data"][1]["seq"].as_u64().unwrap().to_string());
    api.service.stop().await.unwrap();
    p.stop().await;
}

#[tokio::test]
async fn a_subscriber_too_slow_to_read_is_disconnected_instead_of_buffered_without_bound() {
    let env = e2e::Env::new().await;
    let api = env
        .start_api(&["--sse-buffer", "2", "--sse-slow-timeout", "300ms"])
        .await;
    let key = env.api_key(TENANT, Scope::Read).await;
    // A subscriber that never reads what it asked for.
    let stalled = reqwest::Client::new()
        .get(format!("{}/api/v1/activity?after=0", api.url()))
        .header("accept", "text/event-stream")
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(stalled.status(), StatusCode::OK);
    // 40 MB of records: more than the socket buffers on both sides hold.
    let js = env.jetstream().await;
    let padding = "x".repeat(100_000);
    let records: Vec<_> = (0..400)
        .map(|i| {
            infra::activity::Activity::new(
                format!("slow-{i}"),
                infra::activity::ActivityKind::Triaged,
                TENANT,
                7,
                json!({ "padding": padding }),
            )
        })
        .collect();
    for chunk in records.chunks(50) {
        infra::activity::publish(&js, &env.topology(), chunk)
            .await
            .unwrap();
    }
    assert!(
        eventually(Duration::from_secs(20), || async {
            api.metrics()
                .await
                .contains("api_sse_ended_total{reason=\"Slow\"} 1")
        })
        .await,
        "{}",
        api.metrics().await
    );
    drop(stalled);
    api.stop().await.unwrap();
    env.cleanup().await;
}
