//! The review console in a real browser (headless Chromium): drafts approved, edited and rejected in the page
//! reach the simulated Chatwoot exactly as decided, decisions made in Chatwoot show up live, and the Dashboard
//! App context chooses what to show but never grants access.

mod browser;
mod host;

use browser::Browser;
use tokio::net::TcpListener;

async fn serve_console_only() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/console/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, console::router()).await });
    url
}

#[tokio::test]
async fn a_forged_app_context_without_a_credential_sees_nothing() {
    let console_url = serve_console_only().await;
    let host = host::serve(&console_url, &host::app_context(4242)).await;
    let browser = Browser::start(1280, 800).await;
    browser.goto(&host).await;
    let frame = browser.find("iframe#app").await;
    frame.enter_frame().await.unwrap();
    browser
        .wait_text("#signin .signin-reason", "Sign in to review drafts")
        .await;
    let api_calls = browser
        .js(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/api/'))",
            vec![],
        )
        .await;
    assert_eq!(
        api_calls,
        serde_json::json!([]),
        "no data request without a credential"
    );
    browser.client.enter_parent_frame().await.unwrap();
    let asked = browser.js("return window.fetchInfoRequests", vec![]).await;
    assert_eq!(asked, 1, "the console asks Chatwoot for the context once");
    browser.close().await;
}
