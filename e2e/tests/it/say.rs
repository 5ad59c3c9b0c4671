//! `cwctl say`: a person talks to the running pipeline with a line of text, and reads the triage and what the
//! simulated Chatwoot received.

use serde_json::json;

use crate::ai_support::AiPipeline;

#[tokio::test]
async fn a_line_of_text_becomes_a_signed_webhook_and_the_draft_is_approved_with_a_second_line() {
    let p = AiPipeline::start(json!({ "responder": "knowledge_base", "mode": "draft" })).await;
    let ingress = p.ingress.url();
    let said = p
        .cwctl(&[
            "say",
            "--tenant",
            "acme",
            "--ingress",
            &ingress,
            "--new",
            "Hi, I was charged twice for my May invoice. Can you help?",
        ])
        .await;
    assert!(said.contains("customer in conversation 1042"), "{said}");
    assert!(
        said.contains("triage: language en, categories [billing]"),
        "{said}"
    );
    assert!(
        said.contains("/conversations/1042/messages -> 200 private note"),
        "{said}"
    );
    assert!(said.contains("AI draft #"), "{said}");
    assert!(said.contains("next: cwctl say /approve"), "{said}");

    // Without --conversation the most recent one is meant.
    let approved = p
        .cwctl(&[
            "say",
            "--tenant",
            "acme",
            "--ingress",
            &ingress,
            "/approve",
            "tone=5",
        ])
        .await;
    assert!(
        approved.contains("agent's private note in conversation 1042: /approve"),
        "{approved}"
    );
    assert!(approved.contains("-> 200 public message"), "{approved}");
    assert!(approved.contains("charged twice"), "{approved}");
    assert_eq!(p.public(1042).len(), 1);
    p.stop().await;
}
