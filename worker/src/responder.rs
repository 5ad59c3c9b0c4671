//! The seam where replies are decided. The worker calls a [`Responder`] for each message the bot may answer;
//! triage, rules and AI responders plug in here without touching delivery guarantees, because whatever they
//! return is recorded with the event and published as actions.

use futures::future::BoxFuture;
use infra::Tenant;
use proto::ActionKind;

use crate::state::ConversationState;

/// What a responder knows about the message it answers.
#[derive(Debug)]
pub struct ReplyContext<'a> {
    pub tenant: &'a Tenant,
    pub conversation_id: u64,
    pub message_id: u64,
    pub content: &'a str,
    pub contact_name: Option<&'a str>,
    pub conversation: &'a ConversationState,
    /// The message's triage (language, categories...), when it was triaged.
    pub triage: Option<&'a triage::Triage>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResponderError {
    /// Worth retrying the event later (a model server timing out, say).
    #[error("responder temporarily unavailable: {0}")]
    Transient(String),
}

/// Decides the actions for one customer message.
pub trait Responder: Send + Sync {
    fn respond<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Vec<ActionKind>, ResponderError>>;

    /// The answer with what the processor must record or do beyond plain actions (a draft to store, a
    /// handoff). The processor calls this; responders that only produce actions keep the default.
    fn reply<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Reply, ResponderError>> {
        Box::pin(async move { self.respond(ctx).await.map(Reply::Actions) })
    }
}

/// What a responder proposes for one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Actions taken as they are.
    Actions(Vec<ActionKind>),
    /// An answer recorded in `drafts` with its provenance: a private-note draft for an agent to approve, or
    /// sent at once (auto mode).
    Answer(Answer),
    /// Nothing good enough to say: the conversation is handed to people exactly as when the customer asks
    /// for a person (see `Decision::hand_off`).
    Handoff,
}

/// An answer and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    /// External ids of the knowledge-base articles it is based on.
    pub sources: Vec<String>,
    /// `knowledge_base`, `llm` or `template`.
    pub responder: &'static str,
    pub model: Option<String>,
    /// 0-1; `None` when the responder has no notion of it (the template).
    pub confidence: Option<f64>,
    /// Why the configured responder did not answer itself (the LLM failed and the knowledge base did).
    pub fallback_reason: Option<String>,
    /// Sent to the customer (auto mode) rather than drafted.
    pub public: bool,
}

/// Acknowledges every message with the tenant's `reply_template` setting (or the configured default).
#[derive(Debug, Clone)]
pub struct TemplateResponder {
    default_template: String,
}

impl TemplateResponder {
    pub fn new(default_template: impl Into<String>) -> Self {
        Self {
            default_template: default_template.into(),
        }
    }

    fn render(&self, ctx: &ReplyContext<'_>) -> String {
        let template = ctx
            .tenant
            .settings
            .get("reply_template")
            .and_then(|v| v.as_str())
            .unwrap_or(&self.default_template);
        let name = ctx
            .contact_name
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("there");
        template.replace("{name}", name)
    }
}

impl Responder for TemplateResponder {
    fn respond<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Vec<ActionKind>, ResponderError>> {
        let content = self.render(ctx);
        Box::pin(async move { Ok(vec![ActionKind::SendMessage { content }]) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_greets_the_contact_by_first_name() {
        let tenant = Tenant {
            id: infra::TenantId::parse("acme").expect("valid"),
            chatwoot_base_url: "http://x".into(),
            account_id: 3,
            api_token: infra::Secret::new("t"),
            webhook_secret: None,
            allow_unsigned: false,
            settings: serde_json::json!({ "reply_template": "Hello {name}!" }),
            platform: infra::Platform::Chatwoot,
            platform_config: serde_json::json!({}),
            signing_secret: None,
        };
        let conversation = ConversationState::default();
        let ctx = ReplyContext {
            tenant: &tenant,
            conversation_id: 1,
            message_id: 2,
            content: "hi",
            contact_name: Some("Maya Lindqvist"),
            conversation: &conversation,
            triage: None,
        };
        assert_eq!(TemplateResponder::new("unused").render(&ctx), "Hello Maya!");
    }
}
