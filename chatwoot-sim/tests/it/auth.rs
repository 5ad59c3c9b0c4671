//! Authentication errors, routing errors and request recording.

use serde_json::{json, Value};

use crate::{client, conv_url, fixture, fixture_text, post, sim, ACCOUNT, CONV, TOKEN};

async fn status_and_body(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn auth_errors_have_chatwoot_bodies() {
    let sim = sim().await;
    let url = conv_url(&sim, "/messages");
    let body = json!({"content": "hi"});

    let missing = status_and_body(client().post(&url).json(&body)).await;
    assert_eq!(
        missing,
        (401, fixture_text!("error_401_no_token.json").to_owned())
    );

    let wrong = status_and_body(
        client()
            .post(&url)
            .header("api_access_token", "nope")
            .json(&body),
    )
    .await;
    assert_eq!(
        wrong,
        (
            401,
            fixture_text!("error_401_invalid_token.json").to_owned()
        )
    );

    let other = status_and_body(
        client()
            .post(&url)
            .header("api_access_token", "other-account-token")
            .json(&body),
    )
    .await;
    assert_eq!(
        other,
        (
            401,
            fixture_text!("error_401_not_account_member.json").to_owned()
        )
    );

    let unknown_account = status_and_body(
        client()
            .post(format!(
                "{}/api/v1/accounts/77/conversations/1/messages",
                sim.base_url()
            ))
            .header("api_access_token", TOKEN)
            .json(&body),
    )
    .await;
    assert_eq!(
        unknown_account,
        (404, fixture_text!("error_404_not_found.json").to_owned())
    );

    assert!(sim.messages(ACCOUNT, CONV).is_empty());
    let statuses: Vec<_> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![Some(401), Some(401), Some(401), Some(404)]);
}

#[tokio::test]
async fn missing_conversation_and_unknown_routes_are_404() {
    let sim = sim().await;
    sim.mark_missing_conversation(ACCOUNT, CONV);
    let (status, body) = post(&sim, "/messages", TOKEN, json!({"content": "hi"})).await;
    assert_eq!((status, body), (404, fixture!("error_404_not_found.json")));

    let unknown = client()
        .get(format!("{}/api/v1/nothing/here", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.json::<Value>().await.unwrap().is_object());

    // A known path with a verb Chatwoot has no route for is also a 404.
    let wrong_verb = client()
        .delete(conv_url(&sim, "/toggle_status"))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_verb.status(), 404);
    assert_eq!(sim.requests().len(), 3);
}

#[tokio::test]
async fn token_rotation() {
    let sim = sim().await;
    assert!(sim.set_tokens(ACCOUNT, vec!["new-1".into(), "new-2".into()]));
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "a"}))
            .await
            .0,
        401
    );
    assert_eq!(
        post(&sim, "/messages", "new-1", json!({"content": "b"}))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&sim, "/messages", "new-2", json!({"content": "c"}))
            .await
            .0,
        200
    );
    assert!(!sim.set_tokens(12345, vec![]));
    sim.reset();
    assert_eq!(
        post(&sim, "/messages", TOKEN, json!({"content": "d"}))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn records_headers_query_and_body() {
    let sim = sim().await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    client()
        .post(conv_url(&sim, "/messages?x=1"))
        .header("api_access_token", TOKEN)
        .header("TraceParent", traceparent)
        .json(&json!({"content": "traced", "source_id": "s-1"}))
        .send()
        .await
        .unwrap();
    let recorded = sim.requests_matching("post", "/messages");
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        r.headers.get("traceparent").map(String::as_str),
        Some(traceparent)
    );
    assert_eq!(r.header("API_ACCESS_TOKEN"), Some(TOKEN));
    assert_eq!(r.query.as_deref(), Some("x=1"));
    assert_eq!(r.body_json().unwrap()["source_id"], "s-1");
    assert_eq!(r.status, Some(200));
    assert!(!r.fault);
    assert_eq!(
        r.path_template(),
        "/api/v1/accounts/{account_id}/conversations/{id}/messages"
    );
}
