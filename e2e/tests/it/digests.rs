//! The reports' endpoints: `/api/v1/reports/digests` lists a tenant's reports newest period first, by kind and
//! page; `/api/v1/reports/digests/{id}` gives one as JSON with its deliveries, or as Markdown.

use e2e::{Env, TENANT};
use infra::api_keys::Scope;
use reqwest::StatusCode;
use serde_json::Value;

async fn insert(env: &Env, tenant: &str, kind: &str, start: &str, markdown: &str) -> String {
    let id = uuid::Uuid::new_v4();
    let client = env.pool().await.get().await.unwrap();
    client
        .execute(
            "INSERT INTO digests (id, tenant, kind, period_start, period_end, timezone, markdown, figures)
             VALUES ($1, $2, $3, $4::text::timestamptz, $4::text::timestamptz + interval '1 day', 'Europe/Berlin',
                     $5, '{\"current\": {}, \"previous\": {}}')",
            &[&id, &tenant, &kind, &start, &markdown],
        )
        .await
        .unwrap();
    id.to_string()
}

#[tokio::test]
async fn reports_are_listed_paged_shown_as_json_or_markdown_and_confined_to_the_tenant() {
    let env = Env::new().await;
    env.add_tenant("globex", None, true).await;
    let march3 = insert(
        &env,
        TENANT,
        "daily",
        "2026-03-02T23:00:00Z",
        "# Daily report for acme\n",
    )
    .await;
    let march4 = insert(&env, TENANT, "daily", "2026-03-03T23:00:00Z", "# Daily 4\n").await;
    let week = insert(&env, TENANT, "weekly", "2026-02-22T23:00:00Z", "# Weekly\n").await;
    let theirs = insert(
        &env,
        "globex",
        "daily",
        "2026-03-03T23:00:00Z",
        "# Not yours\n",
    )
    .await;
    {
        let client = env.pool().await.get().await.unwrap();
        client
            .execute(
                "INSERT INTO digest_deliveries (digest_id, channel, status, attempts, next_attempt_at, delivered_at)
                 VALUES ($1::text::uuid, 'email', 'sent', 2, now(), now())",
                &[&march3],
            )
            .await
            .unwrap();
    }
    let api = env.start_api(&[]).await;
    let key = env.api_key(TENANT, Scope::Read).await;
    let http = reqwest::Client::new();
    let get = |path: String, accept: &'static str| {
        let request = http
            .get(format!("{}{path}", api.url()))
            .bearer_auth(&key)
            .header("accept", accept);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (status, kind, response.text().await.unwrap())
        }
    };
    let json = |text: &str| serde_json::from_str::<Value>(text).unwrap();
    let ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, _, body) = get("/api/v1/reports/digests".into(), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ids(&json(&body)),
        [march4.clone(), march3.clone(), week.clone()]
    );

    let (_, _, body) = get(
        "/api/v1/reports/digests?kind=daily&limit=1".into(),
        "application/json",
    )
    .await;
    let first = json(&body);
    assert_eq!(ids(&first), [march4.as_str()]);
    assert_eq!(first["data"][0]["kind"], "daily");
    assert_eq!(first["data"][0]["period_start"], "2026-03-03T23:00:00Z");
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, _, body) = get(
        format!("/api/v1/reports/digests?kind=daily&limit=1&cursor={cursor}"),
        "application/json",
    )
    .await;
    let second = json(&body);
    assert_eq!(ids(&second), [march3.as_str()]);
    assert_eq!(second["next_cursor"], Value::Null);

    let (status, _, body) = get(
        format!("/api/v1/reports/digests/{march3}"),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let one = json(&body);
    assert_eq!(one["markdown"], "# Daily report for acme\n");
    assert_eq!(one["timezone"], "Europe/Berlin");
    assert_eq!(one["deliveries"][0]["channel"], "email");
    assert_eq!(one["deliveries"][0]["status"], "sent");
    assert_eq!(one["deliveries"][0]["attempts"], 2);

    let (status, kind, body) =
        get(format!("/api/v1/reports/digests/{march3}"), "text/markdown").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/markdown"), "{kind}");
    assert_eq!(body, "# Daily report for acme\n");

    // Another tenant's report does not exist for this key; bad input names the parameter.
    let (status, _, _) = get(
        format!("/api/v1/reports/digests/{theirs}"),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = get("/api/v1/reports/digests/42".into(), "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["error"]["field"], "id");
    let (status, _, body) = get(
        "/api/v1/reports/digests?kind=monthly".into(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["error"]["field"], "kind");
    let (status, _, body) = get(
        "/api/v1/reports/digests?cursor=zzz".into(),
        "application/json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["error"]["field"], "cursor");

    api.stop().await.unwrap();
    env.cleanup().await;
}

/// Two real workers with reports enabled tick every 100 ms: yesterday's report (for the tenant's send hour 0) is
/// generated once and posted to the chat webhook once.
#[tokio::test]
async fn two_workers_post_yesterdays_report_once() {
    use std::sync::{Arc, Mutex};

    let env = Env::new().await;
    let posts: Arc<Mutex<Vec<String>>> = Arc::default();
    let receiver = {
        let posts = posts.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
                let posts = posts.clone();
                async move {
                    posts
                        .lock()
                        .unwrap()
                        .push(body["text"].as_str().unwrap_or_default().to_owned());
                    "ok"
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let secrets = infra::SecretBox::from_base64(&env.secrets_key).unwrap();
    digests::SettingsStore::new(env.pool().await, secrets)
        .put(
            TENANT,
            &digests::DigestSettings {
                daily: true,
                send_hour: 0,
                webhook_url: Some(infra::Secret::new(hook)),
                ..digests::DigestSettings::default()
            },
        )
        .await
        .unwrap();
    let args = ["--digests-enabled", "true", "--digests-tick", "100ms"];
    let (a, b) = (env.start_worker(&args).await, env.start_worker(&args).await);
    assert!(
        e2e::eventually(std::time::Duration::from_secs(20), || async {
            !posts.lock().unwrap().is_empty()
        })
        .await,
        "no report posted"
    );
    // Many more ticks of both workers.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].starts_with(&format!("# Daily report for {TENANT}:")),
        "{}",
        posts[0]
    );
    assert_eq!(env.count("SELECT count(*) FROM digests").await, 1);
    a.stop().await.unwrap();
    b.stop().await.unwrap();
    env.cleanup().await;
}
