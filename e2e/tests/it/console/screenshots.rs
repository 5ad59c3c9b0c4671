//! Screenshots for the README: the approvals queue, a conversation, and the console as a Dashboard App tab
//! inside a Chatwoot-like page. Every run takes them (so they cannot silently break); with
//! `UPDATE_SCREENSHOTS=1` they replace `docs/screenshots/*.png`.

use std::path::PathBuf;

use super::{browser::Browser, host, Console, BILLING, PARCEL};

pub(super) fn target_dir() -> PathBuf {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/screenshots"))
    } else {
        std::env::temp_dir().join(format!("console-screenshots-{}", std::process::id()))
    }
}

pub(super) fn save(dir: &std::path::Path, name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

#[tokio::test]
async fn screenshots_of_the_queue_a_conversation_and_the_dashboard_app() {
    let c = Console::start().await;
    // A conversation with history: a draft approved in Chatwoot, then a new question with a pending draft.
    c.draft(BILLING, 98_001, 9801).await;
    c.p.agent("/approve tone=5 accuracy=5 policy=5", 98_002, 9801)
        .await;
    c.p.settle(2).await;
    c.p.customer("Thanks! Also, how do I reset my password?", 98_003, 9801)
        .await;
    c.draft(PARCEL, 98_004, 9802).await;
    c.draft("Can I return my shoes and get a refund?", 98_005, 9803)
        .await;
    c.p.settle(5).await;
    let dir = target_dir();

    let browser = Browser::start(1280, 860).await;
    browser.goto(&c.url(None)).await;
    browser.wait_text("#queue-total", "(3)").await;
    browser.wait_text("#live", "live").await;
    save(&dir, "queue.png", &browser.screenshot().await);
    // Chatwoot does not tell a Dashboard App its appearance: the page follows the system, or `#theme=`.
    browser.goto(&format!("{}&theme=dark", c.url(None))).await;
    browser.wait_text("#queue-total", "(3)").await;
    let dark = browser
        .js("return document.documentElement.dataset.theme", vec![])
        .await;
    assert_eq!(dark, "dark");
    save(&dir, "queue-dark.png", &browser.screenshot().await);

    browser.close().await;

    // Tall enough for the drafts, the thread and the reply box.
    let browser = Browser::start(1280, 1500).await;
    browser.goto(&c.url(Some(9801))).await;
    browser.wait_text("#thread", "Maya").await;
    browser.wait_text("#conversation-drafts", "Approve").await;
    save(&dir, "conversation.png", &browser.screenshot().await);
    browser.close().await;

    let host = host::serve(&c.url(None), &host::app_context(9801)).await;
    let browser = Browser::start(1280, 800).await;
    browser.goto(&host).await;
    browser
        .find("iframe#app")
        .await
        .enter_frame()
        .await
        .unwrap();
    browser.wait_text("#conversation-drafts", "Approve").await;
    browser.client.enter_parent_frame().await.unwrap();
    save(&dir, "dashboard-app.png", &browser.screenshot().await);
    browser.close().await;
    if std::env::var_os("UPDATE_SCREENSHOTS").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    c.stop().await;
}
