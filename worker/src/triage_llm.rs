//! The LLM second opinion on triage, for tenants whose settings enable `triage_llm` (see
//! `assist::triage_llm`): the embedded triage decides alone unless it is unsure, and any failure of the model
//! leaves it standing. In the worker rather than the `rules` crate, which makes no network calls.

use assist::triage_llm::{LlmTriage, Source};
use assist::AiSettings;

use crate::decide::{Brain, Decision, MessageContext};

/// The brain with the tenants' LLMs as a second opinion (and their cache).
pub struct TriageWithLlm {
    brain: std::sync::Arc<Brain>,
    llm_triage: LlmTriage,
}

impl TriageWithLlm {
    pub fn new(brain: std::sync::Arc<Brain>) -> Self {
        Self {
            brain,
            llm_triage: LlmTriage::new(),
        }
    }

    /// [`Brain::decide`], with the tenant's LLM asked about an unsure triage when `settings` (the tenant's
    /// settings object) enable it. Invalid AI settings are the responder's to report; here they mean no LLM.
    pub async fn decide(&self, ctx: &MessageContext<'_>, settings: &serde_json::Value) -> Decision {
        let brain = &self.brain;
        let ai = AiSettings::from_tenant_settings(settings).ok();
        let enabled = ai.as_ref().and_then(|ai| {
            let triage = ai.triage_llm.as_ref().filter(|t| t.enabled)?;
            Some((triage, ai.llm.as_ref()?))
        });
        let Some((triage_settings, llm)) = enabled else {
            return brain.decide(ctx);
        };
        let rules = brain.rules().get(ctx.tenant);
        let triager = rules.triager.as_ref().unwrap_or(brain.triager());
        let analysis = triager.analyze(ctx.text);
        let refined = self
            .llm_triage
            .refine(
                llm,
                triage_settings,
                &triager.categories(),
                ctx.text,
                &analysis,
            )
            .await;
        match &refined.source {
            Source::Embedded => {}
            Source::Fallback(reason) => tracing::warn!(
                tenant = ctx.tenant, unsure = ?refined.unsure, %reason, "LLM triage failed; the embedded triage stands"
            ),
            source => {
                tracing::debug!(tenant = ctx.tenant, unsure = ?refined.unsure, ?source, "LLM triage")
            }
        }
        brain.decide_triaged(ctx, &rules, refined.triage)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::routing::post;
    use axum::{Json, Router};
    use serde_json::{json, Value};

    use super::*;
    use crate::rules::RuleBook;
    use crate::state::ConversationState;
    use std::sync::Arc as SharedBrain;

    /// A local OpenAI-compatible endpoint that asks for a person, counting its calls.
    async fn endpoint() -> (String, Arc<Mutex<usize>>) {
        let calls = Arc::new(Mutex::new(0));
        let counter = calls.clone();
        let app = Router::new().route(
            "/v1/chat/completions",
            post(move |Json(_): Json<Value>| {
                let counter = counter.clone();
                async move {
                    *counter.lock().unwrap() += 1;
                    let content = "{\"categories\":[\"general\"],\"urgent\":false,\"escalate\":null,\
                                   \"handoff\":true,\"sentiment\":\"neutral\"}";
                    Json(json!({ "choices": [{ "message": { "role": "assistant", "content": content } }] }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, calls)
    }

    fn settings(url: &str, margin: f64) -> Value {
        json!({
            "llm": { "base_url": url, "model": "m" },
            "triage_llm": { "enabled": true, "unsure_margin": margin, "timeout_ms": 500 }
        })
    }

    #[tokio::test]
    async fn an_unsure_message_gets_the_llms_handoff_and_a_sure_one_does_not_ask() {
        let (url, calls) = endpoint().await;
        let brain = TriageWithLlm::new(SharedBrain::new(Brain::new(
            triage::Triager::default(),
            RuleBook::new(None, Duration::from_secs(60)),
        )));
        let conversation = ConversationState::default();
        let ctx = |text| MessageContext {
            tenant: "acme",
            text,
            inbox_id: None,
            channel: None,
            contact_attributes: None,
            assigned: false,
            conversation: &conversation,
            now: chrono::Utc::now(),
        };
        // The model reads a request for a person here below its threshold (0.44 of 0.6 after triage round 3):
        // unsure at a 0.5 margin.
        let text = "Does anyone on your team know vintage Volvos?";
        let plain = brain.brain.decide(&ctx(text));
        assert!(!plain.triage.handoff);
        let asked = brain.decide(&ctx(text), &settings(&url, 0.5)).await;
        assert!(asked.triage.handoff, "{:?}", asked.triage);
        assert!(!asked.respond, "a handoff, not a bot answer");
        assert_eq!(*calls.lock().unwrap(), 1);

        let sure = brain.decide(&ctx(text), &settings(&url, 0.0)).await;
        assert_eq!(sure.triage, plain.triage);
        assert_eq!(*calls.lock().unwrap(), 1, "a sure triage asks nobody");
        let off = brain.decide(&ctx(text), &json!({})).await;
        assert_eq!(off.triage, plain.triage);
        let down = brain
            .decide(&ctx(text), &settings("http://127.0.0.1:9/v1", 0.5))
            .await;
        assert_eq!(
            down.triage, plain.triage,
            "an unreachable model changes nothing"
        );
    }
}
