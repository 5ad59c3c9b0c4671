//! AI replies with a human in the loop. [`AiResponder`] answers a customer message with the tenant's responder
//! (knowledge base, LLM or template, see [`assist::AiSettings`]) and its mode decides whether the answer is a
//! private-note draft or sent. Drafts are recorded with the event ([`drafts`]); agents approve or reject them with
//! private notes ([`approval`]).
//!
//! Never silent: when the knowledge base has nothing good enough, or the LLM fails and the knowledge base too, the
//! conversation is handed off to people.

pub mod approval;
pub mod command;
pub mod drafts;
pub mod llm;

use assist::kb::{self, Hit};
use assist::{AiSettings, Mode, ResponderKind};
use deadpool_postgres::{GenericClient, Pool};
use futures::future::BoxFuture;
use proto::ActionKind;

use crate::responder::{Answer, Reply, ReplyContext, Responder, ResponderError, TemplateResponder};
use crate::state::to_i64;

/// The responder `worker::run` uses: per tenant, from its settings.
pub struct AiResponder {
    template: TemplateResponder,
    /// Its own pool: the processor holds one connection per event while it calls the responder, so sharing
    /// the processor's pool could leave every connection waiting for a second one.
    pool: Pool,
    http: reqwest::Client,
}

impl AiResponder {
    pub fn new(template: TemplateResponder, pool: Pool) -> Self {
        Self {
            template,
            pool,
            http: reqwest::Client::new(),
        }
    }

    async fn answer(&self, ctx: &ReplyContext<'_>) -> Result<Reply, ResponderError> {
        let settings = AiSettings::from_tenant_settings(&ctx.tenant.settings).unwrap_or_else(|error| {
            // Drafts are private, so they are the safe way to keep answering until an operator fixes this.
            tracing::warn!(tenant = %ctx.tenant.id, %error, "invalid AI settings; drafting from the knowledge base");
            AiSettings::default()
        });
        if settings.mode == Mode::Off {
            return Ok(Reply::Actions(Vec::new()));
        }
        let language = ctx.triage.map_or("en", |t| t.language.as_str());
        let answer = match (settings.responder, &settings.llm) {
            (ResponderKind::Template, _) => {
                let actions = self.template.respond(ctx).await?;
                if settings.mode == Mode::Auto {
                    return Ok(Reply::Actions(actions));
                }
                Some(template_answer(actions))
            }
            (ResponderKind::Llm, Some(llm)) => self.llm(ctx, &settings, llm, language).await?,
            (ResponderKind::KnowledgeBase | ResponderKind::Llm, _) => {
                let db = self.db().await?;
                let hits = kb::search(&db, ctx.tenant.id.as_str(), language, ctx.content, 1)
                    .await
                    .map_err(transient)?;
                kb_answer(hits.first(), &settings)
            }
        };
        Ok(answer.map_or(Reply::Handoff, |answer| {
            let public = settings.mode == Mode::Auto
                && answer.confidence.unwrap_or(1.0) >= settings.auto_min_confidence;
            Reply::Answer(Answer { public, ..answer })
        }))
    }

    async fn llm(
        &self,
        ctx: &ReplyContext<'_>,
        settings: &AiSettings,
        llm: &assist::LlmSettings,
        language: &str,
    ) -> Result<Option<Answer>, ResponderError> {
        let tenant = ctx.tenant.id.as_str();
        let (hits, history) = {
            let db = self.db().await?;
            let hits = kb::search(
                &db,
                tenant,
                language,
                ctx.content,
                llm.context_articles.max(1),
            )
            .await
            .map_err(transient)?;
            let history = history(&db, ctx, llm.history_messages)
                .await
                .map_err(transient)?;
            (hits, history)
        };
        let context = &hits[..hits.len().min(llm.context_articles as usize)];
        let messages = llm::messages(llm, language, context, history, ctx.content);
        match llm::complete(&self.http, llm, &messages).await {
            Ok(text) => Ok(Some(Answer {
                text,
                sources: context.iter().map(|h| h.id.clone()).collect(),
                responder: ResponderKind::Llm.as_str(),
                model: Some(llm.model.clone()),
                // How well the knowledge base covers the question is the best available measure of grounding.
                confidence: Some(hits.first().map_or(0.0, |h| h.score)),
                fallback_reason: None,
                public: false,
            })),
            Err(error) => {
                tracing::warn!(tenant, conversation = ctx.conversation_id, %error, "LLM failed; falling back to the knowledge base");
                Ok(kb_answer(hits.first(), settings).map(|answer| Answer {
                    fallback_reason: Some(format!("LLM {error}")),
                    ..answer
                }))
            }
        }
    }

    async fn db(&self) -> Result<deadpool_postgres::Client, ResponderError> {
        self.pool
            .get()
            .await
            .map_err(|e| ResponderError::Transient(format!("no database connection: {e}")))
    }
}

impl Responder for AiResponder {
    fn respond<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Vec<ActionKind>, ResponderError>> {
        Box::pin(async move {
            Ok(match self.answer(ctx).await? {
                Reply::Actions(actions) => actions,
                Reply::Answer(answer) if answer.public => vec![ActionKind::SendMessage {
                    content: answer.text,
                }],
                Reply::Answer(answer) => vec![ActionKind::PrivateNote {
                    content: answer.text,
                }],
                Reply::Handoff => Vec::new(),
            })
        })
    }

    fn reply<'a>(
        &'a self,
        ctx: &'a ReplyContext<'a>,
    ) -> BoxFuture<'a, Result<Reply, ResponderError>> {
        Box::pin(self.answer(ctx))
    }
}

/// The best article as an answer, if it scores at least the tenant's threshold.
fn kb_answer(best: Option<&Hit>, settings: &AiSettings) -> Option<Answer> {
    let hit = best.filter(|h| h.score >= settings.knowledge_base.min_score)?;
    Some(Answer {
        text: kb::answer_text(hit, settings.knowledge_base.max_passage_chars),
        sources: vec![hit.id.clone()],
        responder: ResponderKind::KnowledgeBase.as_str(),
        model: None,
        confidence: Some(hit.score),
        fallback_reason: None,
        public: false,
    })
}

fn template_answer(actions: Vec<ActionKind>) -> Answer {
    let text = actions
        .into_iter()
        .find_map(|action| match action {
            ActionKind::SendMessage { content } => Some(content),
            _ => None,
        })
        .unwrap_or_default();
    Answer {
        text,
        sources: Vec::new(),
        responder: ResponderKind::Template.as_str(),
        model: None,
        confidence: None,
        fallback_reason: None,
        public: false,
    }
}

/// The conversation's last `limit` public messages before this one, oldest first: the customer's as `user`,
/// ours and the agents' as `assistant`. Private notes (drafts included) are for agents only.
async fn history(
    db: &impl GenericClient,
    ctx: &ReplyContext<'_>,
    limit: u32,
) -> Result<Vec<llm::ChatMessage>, tokio_postgres::Error> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = db
        .query(
            "SELECT message_type, content FROM (
                 SELECT message_type, content, created_at, message_id FROM messages
                 WHERE tenant = $1 AND conversation_id = $2 AND message_id <> $3 AND NOT private
                   AND message_type IN ('incoming', 'outgoing', 'template') AND coalesce(content, '') <> ''
                 ORDER BY created_at DESC, message_id DESC LIMIT $4) recent
             ORDER BY created_at, message_id",
            &[
                &ctx.tenant.id.as_str(),
                &to_i64(ctx.conversation_id),
                &to_i64(ctx.message_id),
                &i64::from(limit),
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let role = if row.get::<_, &str>(0) == "incoming" {
                "user"
            } else {
                "assistant"
            };
            llm::ChatMessage::new(role, row.get::<_, String>(1))
        })
        .collect())
}

fn transient(error: tokio_postgres::Error) -> ResponderError {
    ResponderError::Transient(format!("knowledge base: {error}"))
}
