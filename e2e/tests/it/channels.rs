//! What the bot answers, whatever the channel and the hour: e-mail customers are answered from the words they
//! wrote, content types without a question are recorded and not answered, and after hours a rule's notice and
//! the responder work together instead of cancelling each other.

use e2e::fixture;
use serde_json::json;

use crate::ai_support::{AiPipeline, HANDOFF_EN, HANDOFF_RULES};

/// An e-mail from the derived fixture, in another conversation, with another message id.
fn email(name: &str, message_id: u64, conversation: u64) -> Vec<u8> {
    let mut hook: serde_json::Value =
        serde_json::from_slice(&fixture(&format!("derived/{name}"))).expect("fixture is JSON");
    hook["id"] = message_id.into();
    hook["conversation"]["id"] = conversation.into();
    serde_json::to_vec(&hook).expect("serializable")
}

/// The contact's message with another content type (what an API inbox or a bot flow may send).
fn typed(content_type: &str, message_id: u64, conversation: u64) -> Vec<u8> {
    let mut hook: serde_json::Value = serde_json::from_slice(&e2e::customer_message(
        "I was charged twice for my May invoice",
        message_id,
        conversation,
        &[],
    ))
    .expect("JSON");
    hook["content_type"] = content_type.into();
    serde_json::to_vec(&hook).expect("serializable")
}

/// Rules that say it is always after hours, with the default after-hours rule and notice.
fn always_after_hours() -> String {
    format!(
        r#"{HANDOFF_RULES}
[settings]
business_days = []
business_hours = "09:00-17:00"

[messages.after_hours]
en = "Our team is offline right now and will answer during business hours."

[[rules]]
name = "after-hours"
priority = 40
when.business_hours = false
then.add_labels = ["after-hours"]
then.reply = "@after_hours"
then.once_per_conversation = true
"#
    )
}

const NOTICE: &str = "Our team is offline right now and will answer during business hours.";

#[tokio::test]
async fn an_email_is_drafted_from_the_customers_words_and_other_content_types_are_only_recorded() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    p.send(
        &email("message_created_incoming_email.json", 81_001, 8101),
        "e1",
    )
    .await;
    p.send(
        &email(
            "message_created_incoming_email_auto_reply.json",
            81_002,
            8102,
        ),
        "e2",
    )
    .await;
    let mut id = 81_100;
    for content_type in [
        "input_csat",
        "input_select",
        "cards",
        "form",
        "article",
        "input_email",
    ] {
        id += 1;
        p.send(&typed(content_type, id, 8103), &format!("t{id}"))
            .await;
    }
    p.settle(8).await;

    let notes = p.notes(8101);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("AI draft #"), "{}", notes[0]);
    let drafts = p.drafts(8101).await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].sources, vec!["billing-double-charge".to_owned()]);
    // The stored message (the LLM's history) holds what the customer wrote.
    let stored: String = p
        .env
        .pool()
        .await
        .get()
        .await
        .unwrap()
        .query_one("SELECT content FROM messages WHERE message_id = 81001", &[])
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("Hello,"), "{stored}");
    assert!(
        !stored.contains("wrote:") && !stored.contains("> "),
        "{stored}"
    );

    assert!(
        p.messages(8102).is_empty(),
        "an out-of-office mail is not answered"
    );
    assert!(
        p.messages(8103).is_empty(),
        "no content type but text and e-mail is answered"
    );
    assert_eq!(
        p.env
            .count("SELECT count(*) FROM messages WHERE conversation_id IN (8102, 8103)")
            .await,
        7,
        "every message is recorded"
    );
    p.stop().await;
}

#[tokio::test]
async fn after_hours_in_draft_mode_the_customer_gets_the_notice_and_the_agent_a_draft() {
    let p = AiPipeline::start_with_rules(
        json!({ "responder": "knowledge_base", "mode": "draft" }),
        &always_after_hours(),
    )
    .await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        82_001,
        8201,
    )
    .await;
    p.settle(1).await;
    assert_eq!(p.public(8201), vec![NOTICE.to_owned()]);
    let notes = p.notes(8201);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("AI draft #"), "{}", notes[0]);

    // The agent who arrives in the morning approves it: the customer gets the answer, once.
    p.agent("/approve", 82_002, 8201).await;
    p.settle(2).await;
    let public = p.public(8201);
    assert_eq!(public.len(), 2, "{public:?}");
    assert!(public[1].contains("charged twice"), "{}", public[1]);
    p.stop().await;
}

#[tokio::test]
async fn after_hours_in_auto_mode_a_confident_answer_goes_out_and_the_notice_only_without_one() {
    let p = AiPipeline::start_with_rules(
        json!({ "responder": "knowledge_base", "mode": "auto", "auto_min_confidence": 0.5 }),
        &always_after_hours(),
    )
    .await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        83_001,
        8301,
    )
    .await;
    p.customer("Do you sell gift vouchers for the spa?", 83_002, 8302)
        .await;
    p.settle(2).await;

    let answered = p.public(8301);
    assert_eq!(answered.len(), 1, "{answered:?}");
    assert!(answered[0].contains("charged twice"), "{}", answered[0]);
    assert!(p.notes(8301).is_empty());

    // Nothing good enough to say: the notice and the handoff.
    let mut said = p.public(8302);
    said.sort();
    assert_eq!(said, vec![NOTICE.to_owned(), HANDOFF_EN.to_owned()]);
    p.stop().await;
}
