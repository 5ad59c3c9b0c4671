//! Each kind of bad input gets its status code and a JSON reason, and nothing reaches the stream.

use e2e::{fixture, Env, TENANT, WEBHOOK_SECRET};

/// (name, tenant, body, headers, expected status, words the reason must contain)
type Case = (
    &'static str,
    String,
    Vec<u8>,
    Vec<(String, String)>,
    u16,
    &'static str,
);

fn signed_headers(body: &[u8], timestamp: i64, secret: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        ("x-chatwoot-delivery".into(), "d".into()),
        ("x-chatwoot-timestamp".into(), timestamp.to_string()),
        (
            "x-chatwoot-signature".into(),
            chatwoot::sign(secret.as_bytes(), timestamp, body),
        ),
    ]
}

async fn post(
    env: &Env,
    ingress: &e2e::Service,
    tenant: &str,
    body: &[u8],
    headers: &[(String, String)],
) -> (u16, serde_json::Value) {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.post(ingress, tenant, body.to_vec(), &headers).await
}

#[tokio::test]
async fn bad_input_is_rejected_with_a_clear_reason_and_nothing_is_published() {
    let env = Env::new().await;
    let ingress = env.start_ingress(&["--max-body-bytes", "4096"]).await;
    let body = fixture("message_created_incoming_contact.json");
    let now = chrono::Utc::now().timestamp();
    let good = signed_headers(&body, now, WEBHOOK_SECRET);
    let without = |name: &str| {
        good.iter()
            .filter(|(k, _)| k != name)
            .cloned()
            .collect::<Vec<_>>()
    };
    let with = |name: &str, value: &str| {
        let mut headers = without(name);
        headers.push((name.into(), value.into()));
        headers
    };
    let body_only_signature = body_only_hmac(&body);

    let cases: Vec<Case> = vec![
        (
            "wrong signature",
            TENANT.into(),
            body.clone(),
            with(
                "x-chatwoot-signature",
                &format!("sha256={}", "0".repeat(64)),
            ),
            401,
            "signature does not match",
        ),
        (
            "body-only signature",
            TENANT.into(),
            body.clone(),
            with("x-chatwoot-signature", &body_only_signature),
            401,
            "signature does not match",
        ),
        (
            "another secret",
            TENANT.into(),
            body.clone(),
            signed_headers(&body, now, "someone-elses-secret"),
            401,
            "signature does not match",
        ),
        (
            "missing signature",
            TENANT.into(),
            body.clone(),
            without("x-chatwoot-signature"),
            401,
            "missing X-Chatwoot-Signature",
        ),
        (
            "stale timestamp",
            TENANT.into(),
            body.clone(),
            signed_headers(&body, now - 3600, WEBHOOK_SECRET),
            401,
            "outside the accepted tolerance",
        ),
        (
            "unknown tenant",
            "nobody".into(),
            body.clone(),
            good.clone(),
            404,
            "unknown tenant",
        ),
        (
            "malformed JSON",
            TENANT.into(),
            b"{\"event\":".to_vec(),
            signed_headers(b"{\"event\":", now, WEBHOOK_SECRET),
            400,
            "invalid JSON",
        ),
        (
            "missing field",
            TENANT.into(),
            br#"{"event":"message_created","id":5}"#.to_vec(),
            signed_headers(
                br#"{"event":"message_created","id":5}"#,
                now,
                WEBHOOK_SECRET,
            ),
            400,
            "`conversation.id`",
        ),
        (
            "too large",
            TENANT.into(),
            vec![b' '; 5000],
            signed_headers(&[b' '; 5000], now, WEBHOOK_SECRET),
            413,
            "larger than 4096",
        ),
        (
            "wrong content type",
            TENANT.into(),
            body.clone(),
            with("content-type", "text/plain"),
            415,
            "application/json",
        ),
    ];
    for (name, tenant, body, headers, status, reason) in cases {
        let (got, json) = post(&env, &ingress, &tenant, &body, &headers).await;
        assert_eq!(got, status, "{name}: {json}");
        let message = json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{name}: `{message}` should mention `{reason}`"
        );
    }
    assert_eq!(env.stream_len(&env.topology().events_stream()).await, 0);

    // The same body, correctly signed, is accepted: the rejections above were about the input, not the setup.
    let (status, _) = post(&env, &ingress, TENANT, &body, &good).await;
    assert_eq!(status, 202);
    assert_eq!(env.stream_len(&env.topology().events_stream()).await, 1);
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

#[tokio::test]
async fn unsigned_webhooks_pass_only_for_tenants_that_accept_them() {
    let env = Env::new().await;
    env.add_tenant("legacy", None, true).await;
    env.add_tenant("strict", None, false).await;
    let ingress = env.start_ingress(&[]).await;
    let body = fixture("message_created_incoming_contact.json");
    let json_only = [("content-type".to_string(), "application/json".to_string())];
    assert_eq!(
        post(&env, &ingress, "legacy", &body, &json_only).await.0,
        202
    );
    assert_eq!(
        post(&env, &ingress, "strict", &body, &json_only).await.0,
        401
    );
    // A signed tenant does not fall back to unsigned.
    assert_eq!(post(&env, &ingress, TENANT, &body, &json_only).await.0, 401);
    ingress.stop().await.unwrap();
    env.cleanup().await;
}

/// HMAC over the body alone: the mistake many blog posts make about Chatwoot's signature.
fn body_only_hmac(body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
