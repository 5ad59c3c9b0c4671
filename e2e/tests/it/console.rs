//! The review console in a real browser (headless Chromium): drafts approved, edited and rejected in the page
//! reach the simulated Chatwoot exactly as decided, decisions made in Chatwoot show up live, and the Dashboard
//! App context chooses what to show but never grants access.

mod browser;
mod host;
mod report_controls;
mod report_digests;
mod reports;
mod screenshots;

use std::time::{Duration, Instant};

use e2e::{eventually, Service, ACCOUNT_ID, AGENT_TOKEN, TENANT};
use infra::api_keys::Scope;
use serde_json::{json, Value};

use crate::ai_support::{cwctl, AiPipeline};
use browser::Browser;

const BILLING: &str = "Hi, I was charged twice for my May invoice. Can you help?";
const PARCEL: &str = "Where is my order? I need the tracking number";

/// The pipeline in draft mode, the API (which serves the console) and a write key.
pub struct Console {
    pub p: AiPipeline,
    pub api: Service,
    pub key: String,
}

impl Console {
    pub async fn start() -> Self {
        let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
        let api = p.env.start_api(&[]).await;
        let key = p.env.api_key(TENANT, Scope::Write).await;
        Self { p, api, key }
    }

    /// The console's URL as a Dashboard App carries it (`#token=`), optionally opening a conversation.
    pub fn url(&self, conversation: Option<u64>) -> String {
        let mut url = format!("{}/console/#token={}", self.api.url(), self.key);
        if let Some(id) = conversation {
            url.push_str(&format!("&conversation={id}"));
        }
        url
    }

    /// A customer's message and the pending draft the pipeline writes for it; returns the draft's id.
    pub async fn draft(&self, text: &str, message_id: u64, conversation: u64) -> i64 {
        self.p.customer(text, message_id, conversation).await;
        let found = eventually(Duration::from_secs(30), || async {
            !self.p.drafts(conversation).await.is_empty()
        })
        .await;
        assert!(found, "no draft in conversation {conversation}");
        self.p.drafts(conversation).await[0].id
    }

    pub async fn stop(self) {
        self.api.stop().await.unwrap();
        self.p.stop().await;
    }
}

fn card(draft: i64) -> String {
    format!(".draft[data-draft-id=\"{draft}\"]")
}

#[tokio::test]
async fn drafts_approved_with_an_edit_or_rejected_in_the_queue_reach_chatwoot_as_decided() {
    let c = Console::start().await;
    let billing = c.draft(BILLING, 97_001, 9701).await;
    let parcel = c.draft(PARCEL, 97_002, 9702).await;
    let browser = Browser::start(1280, 900).await;
    browser.goto(&c.url(None)).await;
    browser.find(&card(billing)).await;
    browser.find(&card(parcel)).await;
    assert!(
        !browser
            .client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("token="),
        "the token leaves the address bar"
    );

    // Newest first: the parcel draft is selected. j moves to the billing draft; grade it, edit it, approve
    // the edit with Ctrl+Enter.
    browser
        .wait_text("#queue-list .draft.selected", PARCEL)
        .await;
    browser.key('j').await;
    browser
        .wait_text("#queue-list .draft.selected", BILLING)
        .await;
    for key in ['5', '4', '5'] {
        browser.key(key).await;
    }
    browser.key('e').await;
    let editor = browser
        .find(&format!("{} textarea.draft-edit", card(billing)))
        .await;
    editor.clear().await.unwrap();
    let edited = "Hi Maya, we have refunded the second May charge; it shows within 5 days.";
    editor.send_keys(edited).await.unwrap();
    editor.send_keys("\u{E009}\u{E007}\u{E000}").await.unwrap();
    browser
        .wait_text(
            &format!("{} .note", card(billing)),
            "Approved by API key e2e (edited)",
        )
        .await;

    // k back to the parcel draft; r, a reason, Enter rejects it.
    browser.key('k').await;
    browser
        .wait_text("#queue-list .draft.selected", PARCEL)
        .await;
    browser.key('r').await;
    let reason = browser
        .find(&format!("{} input.reason", card(parcel)))
        .await;
    reason
        .send_keys("we ship from the new warehouse now\u{E007}")
        .await
        .unwrap();
    browser
        .wait_text(
            &format!("{} .note", card(parcel)),
            "Rejected by API key e2e",
        )
        .await;

    c.p.settle(4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        c.p.public(9701),
        [edited],
        "exactly one public reply, the edit"
    );
    assert!(
        c.p.public(9702).is_empty(),
        "a rejected draft sends nothing"
    );
    let approved = &c.p.drafts(9701).await[0];
    assert_eq!(approved.status, "approved");
    assert_eq!(approved.grades, [Some(5), Some(4), Some(5)]);
    let rejected = &c.p.drafts(9702).await[0];
    assert_eq!(rejected.status, "rejected");
    assert_eq!(
        rejected.reason.as_deref(),
        Some("we ship from the new warehouse now")
    );
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn a_draft_approved_in_chatwoot_shows_as_decided_in_the_open_page() {
    let c = Console::start().await;
    let draft = c.draft(BILLING, 97_101, 9711).await;
    let browser = Browser::start(1100, 800).await;
    browser.goto(&c.url(Some(9711))).await;
    browser
        .wait_text("#conversation-drafts .draft", "Approve")
        .await;
    browser.wait_text("#live", "live").await;

    // Jonas approves with a private note in Chatwoot.
    c.p.agent("/approve", 97_102, 9711).await;
    let decided_at = eventually(Duration::from_secs(30), || async {
        c.p.drafts(9711).await[0].status == "approved"
    })
    .await
    .then(Instant::now);
    assert!(decided_at.is_some(), "the note was not carried out");
    browser
        .wait_text(
            &format!("{} .note", card(draft)),
            "Approved by Jonas Berg in Chatwoot",
        )
        .await;
    let shown_after = decided_at.map(|t| t.elapsed()).unwrap_or_default();
    eprintln!("decision in Chatwoot shown in the page {shown_after:?} after its commit");
    // Well within a second on an idle machine; the bound leaves room for the whole suite running at once on
    // two cores.
    assert!(
        shown_after < Duration::from_secs(5),
        "shown after {shown_after:?}"
    );
    let buttons = browser
        .js(
            &format!(
                "return document.querySelectorAll('{} button.approve').length",
                card(draft)
            ),
            vec![],
        )
        .await;
    assert_eq!(buttons, 0, "a decided draft offers no decision");
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn with_the_live_stream_down_the_page_says_so_and_a_late_decision_is_refused_with_who_decided(
) {
    let c = Console::start().await;
    let draft = c.draft(BILLING, 97_401, 9741).await;
    let browser = Browser::start(1100, 800).await;
    // The event stream cannot connect: the page says it is reconnecting.
    browser.block(&["*/api/v1/activity*"]).await;
    browser.goto(&c.url(None)).await;
    browser.find(&card(draft)).await;
    browser.wait_text("#banners", "Reconnecting").await;

    // Jonas approves in Chatwoot; the page cannot know and the agent approves too.
    c.p.agent("/approve", 97_402, 9741).await;
    let decided = eventually(Duration::from_secs(30), || async {
        c.p.drafts(9741).await[0].status == "approved"
    })
    .await;
    assert!(decided);
    browser.key('a').await;
    browser
        .wait_text(
            &format!("{} .note", card(draft)),
            "Already approved by Jonas Berg",
        )
        .await;

    // The stream comes back: the banner goes, the indicator says live.
    browser.block(&[]).await;
    browser.wait_text("#live", "live").await;
    let banner = browser
        .js(
            "return document.querySelector('#banners').innerText",
            vec![],
        )
        .await;
    assert_eq!(banner, "", "the banner is gone");
    c.p.settle(3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        c.p.public(9741).len(),
        1,
        "sent once: {:?}",
        c.p.public(9741)
    );
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn a_revoked_token_signs_the_page_out_and_an_agent_signs_in_with_their_chatwoot_token() {
    let c = Console::start().await;
    let draft = c.draft(BILLING, 97_501, 9751).await;
    let browser = Browser::start(1100, 800).await;
    browser.goto(&c.url(None)).await;
    browser.find(&card(draft)).await;

    let id = c
        .key
        .strip_prefix("cwk_")
        .unwrap()
        .split('_')
        .next()
        .unwrap();
    assert!(infra::api_keys::revoke(&c.p.env.pool().await, id)
        .await
        .unwrap());
    browser.key('g').await;
    browser.key('i').await;
    browser
        .wait_text("#signin .signin-reason", "expired or was revoked")
        .await;

    // A new console token plus Ana's own Chatwoot access token: her decisions carry her name.
    let key = c.p.env.api_key(TENANT, Scope::Write).await;
    browser
        .find("#signin-key")
        .await
        .send_keys(&key)
        .await
        .unwrap();
    browser
        .find("#signin-chatwoot")
        .await
        .send_keys(&format!("{AGENT_TOKEN}\u{E007}"))
        .await
        .unwrap();
    browser.wait_text("#who", "Ana Lima").await;
    // Back where the token ran out (the inbox); g q goes to the queue.
    browser.find("#inbox-list").await;
    browser.key('g').await;
    browser.key('q').await;
    browser.find(&card(draft)).await;
    browser.key('a').await;
    browser
        .wait_text(&format!("{} .note", card(draft)), "Approved by Ana Lima")
        .await;
    assert_eq!(
        c.p.drafts(9751).await[0].decided_by_name.as_deref(),
        Some("Ana Lima")
    );
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn the_inbox_searches_and_a_conversation_takes_a_private_note_and_a_resolve() {
    let c = Console::start().await;
    c.draft(BILLING, 97_601, 9761).await;
    c.draft(PARCEL, 97_602, 9762).await;
    let browser = Browser::start(1100, 800).await;
    browser
        .goto(&format!("{}/console/#token={}", c.api.url(), c.key))
        .await;
    // Shown once the page has signed in; the shortcuts do nothing before (the markup has it from the start).
    browser.find("#nav:not([hidden])").await;
    browser.key('g').await;
    browser.key('i').await;
    browser
        .find("li.conversation[data-conversation-id=\"9761\"]")
        .await;
    browser
        .find("li.conversation[data-conversation-id=\"9762\"]")
        .await;
    browser
        .find("input[name=q]")
        .await
        .send_keys("tracking\u{E007}")
        .await
        .unwrap();
    browser.wait_text("#inbox-list", "#9762").await;
    // Each conversation shows the platform it lives on.
    browser
        .wait_text("#inbox-list li.conversation .badge.platform", "chatwoot")
        .await;
    let rows = browser
        .js("return [...document.querySelectorAll('#inbox-list li.conversation')].map(r => r.dataset.conversationId)", vec![])
        .await;
    assert_eq!(
        rows,
        json!(["9762"]),
        "the search keeps the parcel question only"
    );

    browser
        .find("li.conversation a.row")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_text("section.conversation h1", "#9762").await;
    browser
        .wait_text("section.conversation .badge.platform", "chatwoot")
        .await;
    browser.find("#reply-private").await.click().await.unwrap();
    let note = "Checked with the carrier: it is in the depot.";
    browser
        .find("#reply-text")
        .await
        .send_keys(note)
        .await
        .unwrap();
    browser
        .find("form.reply button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_text("#thread li.local", "sent").await;
    browser.find("#resolve").await.click().await.unwrap();
    browser
        .wait_text(".side-body .note", "Resolve: applied")
        .await;
    c.p.settle(4).await;
    assert_eq!(c.p.notes(9762).last().map(String::as_str), Some(note));
    assert!(c.p.public(9762).is_empty(), "a private note is not a reply");
    assert_eq!(
        c.p.env.sim.status(ACCOUNT_ID, 9762).as_deref(),
        Some("resolved")
    );
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn the_dashboard_app_opens_the_conversation_chatwoot_shows() {
    let c = Console::start().await;
    let billing = c.draft(BILLING, 97_201, 9721).await;
    let parcel = c.draft(PARCEL, 97_202, 9722).await;
    let host = host::serve(&c.url(None), &host::app_context(9721)).await;
    let browser = Browser::start(1280, 800).await;
    browser.goto(&host).await;
    browser
        .find("iframe#app")
        .await
        .enter_frame()
        .await
        .unwrap();
    browser.wait_text("section.conversation h1", "#9721").await;
    browser.find(&card(billing)).await;
    browser.wait_text(&card(billing), "refund").await;
    let other = browser
        .js(
            &format!(
                "return document.querySelectorAll('{}').length",
                card(parcel)
            ),
            vec![],
        )
        .await;
    assert_eq!(other, 0, "only the conversation Chatwoot shows");
    // Narrow: the tab is 420 px wide and the page has no horizontal scroll.
    let widths = browser
        .js(
            "return [innerWidth, document.documentElement.scrollWidth]",
            vec![],
        )
        .await;
    assert!(widths[0].as_u64().unwrap() <= 420, "{widths}");
    assert_eq!(widths[0], widths[1], "no horizontal scroll: {widths}");
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn a_forged_app_context_without_a_credential_sees_nothing() {
    let c = Console::start().await;
    c.draft(BILLING, 97_301, 9731).await;
    let browser = Browser::start(1280, 800).await;
    for (url, message) in [
        (
            format!("{}/console/", c.api.url()),
            "Sign in to review drafts",
        ),
        (
            format!("{}/console/#token=cwk_forged_token", c.api.url()),
            "expired or was revoked",
        ),
    ] {
        let host = host::serve(&url, &host::app_context(9731)).await;
        browser.goto(&host).await;
        browser
            .find("iframe#app")
            .await
            .enter_frame()
            .await
            .unwrap();
        browser.wait_text("#signin .signin-reason", message).await;
        let requests = browser
            .js(
                "return performance.getEntriesByType('resource')
                   .filter(e => e.name.includes('/api/')).map(e => [e.name, e.responseStatus])",
                vec![],
            )
            .await;
        let succeeded: Vec<&Value> = requests
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r[1] != 401)
            .collect();
        assert!(succeeded.is_empty(), "{url}: {requests}");
        let text = browser.js("return document.body.innerText", vec![]).await;
        assert!(!text.as_str().unwrap().contains("charged twice"), "{text}");
        browser.client.enter_parent_frame().await.unwrap();
    }
    browser.close().await;
    c.stop().await;
}

#[tokio::test]
async fn cwctl_registers_the_console_as_a_dashboard_app() {
    let env = e2e::Env::new().await;
    let url = "https://api.acme.example/console/#token=cwk_abc_secret";
    let out = cwctl(
        &env,
        &[
            "dashboard-app",
            "register",
            "--tenant",
            TENANT,
            "--url",
            url,
        ],
    )
    .await;
    assert!(out.contains("registered dashboard app #1"), "{out}");
    assert!(!out.contains("secret"), "the token is not printed: {out}");
    let apps = env.sim.dashboard_apps(ACCOUNT_ID);
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["title"], "Review console");
    assert_eq!(apps[0]["content"], json!([{ "type": "frame", "url": url }]));
    env.cleanup().await;
}
