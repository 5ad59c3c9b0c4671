//! Knowledge-base answers as private-note drafts, approved or rejected by agents from inside Chatwoot.

use e2e::{ACCOUNT_ID, TENANT};
use serde_json::json;

use crate::ai_support::{AiPipeline, HANDOFF_EN};

const DRAFT_PREFIX: &str = "🤖 AI draft #";

/// The text a draft note proposes (between the header line and the provenance line).
fn proposed(note: &str) -> &str {
    let body = note.split_once("):\n\n").expect("draft header").1;
    body.rsplit_once("\n\n— ").expect("provenance").0
}

#[tokio::test]
async fn a_covered_question_gets_a_draft_that_is_sent_once_however_often_it_is_approved() {
    let p = AiPipeline::start(json!({})).await;
    p.customer(
        "Hi, I was charged twice for my May invoice. Can you help?",
        7001,
        3001,
    )
    .await;
    p.settle(1).await;

    assert!(
        p.public(3001).is_empty(),
        "a draft is not sent: {:?}",
        p.messages(3001)
    );
    let notes = p.notes(3001);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = &notes[0];
    assert!(note.starts_with(DRAFT_PREFIX), "{note}");
    assert!(
        note.contains("/approve <edited text> or /reject <reason>"),
        "{note}"
    );
    let draft = proposed(note);
    assert!(
        draft.starts_with("I was charged twice (duplicate charge on my invoice)\n\n"),
        "the draft quotes the billing article: {draft}"
    );
    assert!(
        draft.contains("We refund the duplicate charge in full"),
        "{draft}"
    );
    assert!(
        draft.ends_with("https://help.acme.example/articles/duplicate-charge"),
        "{draft}"
    );
    let rows = p.drafts(3001).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "pending");
    assert_eq!(rows[0].sources, ["billing-double-charge"]);
    assert_eq!(rows[0].responder, "knowledge_base");
    assert_eq!(rows[0].draft_text, draft);

    // The agent approves with grades; Chatwoot delivers that webhook twice.
    let approve = e2e::agent_note("/approve tone=5 accuracy=4 policy=5", 7002, 3001);
    assert!(!p.send(&approve, "d-1").await);
    assert!(p.send(&approve, "d-1").await, "the copy is a duplicate");
    p.settle(2).await;
    // And approves again with a second note.
    p.agent("/approve", 7003, 3001).await;
    p.settle(3).await;

    assert_eq!(p.public(3001), [draft], "sent exactly once");
    let notes = p.notes(3001);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[1].contains(&format!(
            "#{} was already approved by Jonas Berg",
            rows[0].id
        )),
        "{notes:?}"
    );
    let row = &p.drafts(3001).await[0];
    assert_eq!(row.status, "approved");
    assert_eq!(row.final_text.as_deref(), Some(draft));
    assert_eq!(row.decided_by_name.as_deref(), Some("Jonas Berg"));
    assert_eq!(row.grades, [Some(5), Some(4), Some(5)]);
    p.stop().await;
}

#[tokio::test]
async fn edited_approvals_send_the_edit_rejections_send_nothing_and_the_report_sums_up() {
    let p = AiPipeline::start(json!({ "mode": "draft" })).await;
    p.customer("How do I reset my password?", 7101, 3101).await;
    p.customer("Where is my order? I need the tracking number", 7102, 3102)
        .await;
    p.customer("Can I return my shoes and get a refund?", 7103, 3103)
        .await;
    p.settle(3).await;
    for conversation in [3101, 3102, 3103] {
        assert_eq!(p.drafts(conversation).await.len(), 1, "{conversation}");
    }

    let edited = "Hi Maya! Click \"Forgot password?\" on the login page and we email you a link.";
    p.agent(
        &format!("/approve tone=3 {edited} accuracy=4 policy=4"),
        7111,
        3101,
    )
    .await;
    p.agent(
        "/reject accuracy=1 we ship from the new warehouse now",
        7112,
        3102,
    )
    .await;
    p.agent("/approve tone=5 accuracy=5 policy=4", 7113, 3103)
        .await;
    p.settle(6).await;

    assert_eq!(p.public(3101), [edited]);
    assert!(p.public(3102).is_empty(), "a rejected draft is not sent");
    let rejected = &p.drafts(3102).await[0];
    assert_eq!(rejected.status, "rejected");
    assert_eq!(
        rejected.reason.as_deref(),
        Some("we ship from the new warehouse now")
    );
    assert_eq!(rejected.grades, [None, Some(1), None]);
    assert_eq!(p.public(3103), [p.drafts(3103).await[0].draft_text.clone()]);

    let json: serde_json::Value =
        serde_json::from_str(&p.cwctl(&["report", "--tenant", TENANT, "--json"]).await).unwrap();
    let acme = &json["tenants"][0];
    assert_eq!(acme["tenant"], TENANT);
    assert_eq!(acme["drafts"], 3);
    assert_eq!(acme["approved"], 2);
    assert_eq!(acme["rejected"], 1);
    assert_eq!(acme["edited"], 1);
    let close = |key: &str, want: f64| {
        let got = acme[key].as_f64().unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-6, "{key}: {got} != {want}");
    };
    close("approval_rate", 2.0 / 3.0);
    close("mean_tone", 4.0);
    close("mean_accuracy", 10.0 / 3.0);
    close("mean_policy", 4.0);
    let distance = acme["mean_edit_distance"].as_f64().unwrap();
    assert!(
        distance > 0.2 && distance < 0.5,
        "one of two rewritten: {distance}"
    );

    let text = p.cwctl(&["report", "--since", "1h"]).await;
    let line = text.lines().find(|l| l.starts_with(TENANT)).unwrap();
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        &cells[1..10],
        ["3", "2", "1", "0", "0", "66.7%", "4.00", "3.33", "4.00"],
        "{text}"
    );
    let empty = p.cwctl(&["report", "--until", "1h"]).await;
    assert!(empty.contains("no drafts in this period"), "{empty}");
    p.stop().await;
}

#[tokio::test]
async fn a_newer_customer_message_makes_the_draft_stale_and_it_is_approved_by_number() {
    let p = AiPipeline::start(json!({})).await;
    p.customer("Where is my order? I need the tracking number", 7201, 3201)
        .await;
    p.settle(1).await;
    p.customer("And how do I reset my password?", 7202, 3201)
        .await;
    p.settle(2).await;
    let rows = p.drafts(3201).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].status.as_str(), rows[1].status.as_str()),
        ("stale", "pending")
    );
    assert_eq!(rows[0].sources, ["shipping-tracking"]);
    assert_eq!(rows[1].sources, ["password-reset"]);

    // `/approve` takes the newest pending draft; the stale one needs its number.
    p.agent("/approve", 7203, 3201).await;
    p.settle(3).await;
    p.agent("/approve", 7204, 3201).await;
    p.settle(4).await;
    assert_eq!(p.public(3201), [rows[1].draft_text.clone()]);
    let hint = p.notes(3201).last().cloned().unwrap();
    assert!(
        hint.contains("already approved"),
        "the newest draft is approved; {hint}"
    );
    p.agent(&format!("/approve #{}", rows[0].id), 7205, 3201)
        .await;
    p.settle(5).await;
    assert_eq!(
        p.public(3201),
        [rows[1].draft_text.clone(), rows[0].draft_text.clone()]
    );
    let rows = p.drafts(3201).await;
    assert!(rows.iter().all(|r| r.status == "approved"), "{rows:?}");

    // A customer message after the approvals leaves them approved.
    p.customer("Thanks!", 7206, 3201).await;
    p.settle(6).await;
    assert!(p
        .drafts(3201)
        .await
        .iter()
        .take(2)
        .all(|r| r.status == "approved"));
    p.stop().await;
}

#[tokio::test]
async fn a_question_the_knowledge_base_does_not_cover_is_handed_off() {
    let p = AiPipeline::start(json!({})).await;
    p.customer("Do you sell gift cards for my grandmother?", 7301, 3301)
        .await;
    p.settle(1).await;
    assert_eq!(p.messages(3301), [(false, HANDOFF_EN.to_owned())]);
    assert_eq!(p.env.sim.labels(ACCOUNT_ID, 3301), ["handoff"]);
    assert_eq!(p.env.sim.status(ACCOUNT_ID, 3301).as_deref(), Some("open"));
    assert!(p.drafts(3301).await.is_empty());

    // Handed off: even a question the base covers now waits for a person.
    p.customer("How do I reset my password?", 7302, 3301).await;
    p.settle(2).await;
    assert_eq!(p.messages(3301).len(), 1, "{:?}", p.messages(3301));
    p.stop().await;
}
