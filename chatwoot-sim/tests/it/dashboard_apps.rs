//! Dashboard apps: created and listed per account, with Chatwoot's checks on the content.

use serde_json::{json, Value};

use crate::{client, sim, ACCOUNT, BOT_TOKEN, TOKEN};

async fn call(url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let request = match body {
        Some(body) => client().post(url).json(&body),
        None => client().get(url),
    };
    let response = request
        .header("api_access_token", token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn dashboard_apps_are_stored_and_listed_per_account() {
    let sim = sim().await;
    let url = format!(
        "{}/api/v1/accounts/{ACCOUNT}/dashboard_apps",
        sim.base_url()
    );
    let app = json!({"dashboard_app": {"title": "Review console",
        "content": [{"type": "frame", "url": "https://api.example/console/#token=cwk_1_x"}]}});

    let (status, created) = call(&url, TOKEN, Some(app)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["id"], 1);
    assert_eq!(created["title"], "Review console");
    assert_eq!(
        created["content"][0]["url"],
        "https://api.example/console/#token=cwk_1_x"
    );
    assert_eq!(created["show_on_sidebar"], false);

    let (status, listed) = call(&url, TOKEN, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed, json!([created]));
    assert_eq!(sim.dashboard_apps(ACCOUNT), vec![created]);

    // Another account sees none of them; its token may not use this account.
    let other = format!("{}/api/v1/accounts/9/dashboard_apps", sim.base_url());
    assert_eq!(
        call(&other, "other-account-token", None).await,
        (200, json!([]))
    );
    assert_eq!(call(&url, "other-account-token", None).await.0, 401);
    assert_eq!(call(&url, BOT_TOKEN, None).await.0, 401);

    for bad in [
        json!({"dashboard_app": {"title": "", "content": [{"type": "frame", "url": "https://a.example"}]}}),
        json!({"dashboard_app": {"title": "x", "content": []}}),
        json!({"dashboard_app": {"title": "x", "content": [{"type": "frame", "url": "javascript:alert(1)"}]}}),
    ] {
        assert_eq!(call(&url, TOKEN, Some(bad)).await.0, 422);
    }
    assert_eq!(sim.dashboard_apps(ACCOUNT).len(), 1);
}
