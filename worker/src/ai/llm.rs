//! Any OpenAI-compatible Chat Completions endpoint (`POST {base_url}/chat/completions`). Each attempt has the
//! tenant's timeout; timeouts, connection errors, 429 and 5xx are tried again up to `max_attempts`, other
//! answers are final. The event's partition waits meanwhile, so both limits are small by default.

use std::time::Duration;

use assist::kb::Hit;
use assist::{LlmSettings, SettingsError};
use serde::Serialize;

/// One chat message as the API wants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &'static str, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error(transparent)]
    Key(#[from] SettingsError),
    #[error("timed out after {0} ms")]
    Timeout(u64),
    #[error("cannot reach the endpoint: {0}")]
    Connect(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("unexpected response: {0}")]
    Response(String),
}

impl LlmError {
    fn retryable(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Connect(_) => true,
            Self::Status(status) => *status == 429 || *status >= 500,
            Self::Key(_) | Self::Response(_) => false,
        }
    }
}

/// Longest article body sent as context; the model needs the facts, not the whole manual.
const MAX_ARTICLE_CHARS: usize = 3_000;

/// System prompt, the articles as context, the history, then the customer's message.
pub fn messages(
    llm: &LlmSettings,
    language: &str,
    articles: &[Hit],
    history: Vec<ChatMessage>,
    question: &str,
) -> Vec<ChatMessage> {
    let mut context = format!(
        "The customer writes in language `{language}`; answer in that language.\n\nKnowledge-base articles:"
    );
    if articles.is_empty() {
        context.push_str(" none matches this question.");
    }
    for article in articles {
        let body: String = article.body.chars().take(MAX_ARTICLE_CHARS).collect();
        context.push_str(&format!("\n\n[{}] {}\n{body}", article.id, article.title));
        if let Some(url) = &article.url {
            context.push_str(&format!("\n{url}"));
        }
    }
    let mut all = vec![
        ChatMessage::new("system", llm.system_prompt.clone()),
        ChatMessage::new("system", context),
    ];
    all.extend(history);
    all.push(ChatMessage::new("user", question));
    all
}

/// The assistant's reply text.
pub async fn complete(
    http: &reqwest::Client,
    llm: &LlmSettings,
    messages: &[ChatMessage],
) -> Result<String, LlmError> {
    let key = llm.api_key()?;
    let url = format!("{}/chat/completions", llm.base_url.trim_end_matches('/'));
    let body = serde_json::json!({
        "model": llm.model,
        "messages": messages,
        "max_tokens": llm.max_tokens,
        "temperature": llm.temperature,
    });
    let mut attempt = 1;
    loop {
        let mut request = http
            .post(&url)
            .timeout(Duration::from_millis(llm.timeout_ms))
            .json(&body);
        if let Some(key) = &key {
            request = request.bearer_auth(key.expose());
        }
        match once(request, llm.timeout_ms).await {
            Ok(text) => return Ok(text),
            Err(error) if error.retryable() && attempt < llm.max_attempts => {
                tracing::debug!(attempt, %error, "LLM attempt failed; trying again");
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

async fn once(request: reqwest::RequestBuilder, timeout_ms: u64) -> Result<String, LlmError> {
    // These messages end up in logs and in `drafts.fallback_reason`: reqwest's carry at most the URL, never
    // headers, so the API key cannot leak through them.
    let failed = |error: reqwest::Error| {
        if error.is_timeout() {
            LlmError::Timeout(timeout_ms)
        } else if error.is_connect() || error.is_request() {
            LlmError::Connect(error.to_string())
        } else {
            LlmError::Response(error.to_string())
        }
    };
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    if !status.is_success() {
        return Err(LlmError::Status(status.as_u16()));
    }
    let body: serde_json::Value = response.json().await.map_err(failed)?;
    body.pointer("/choices/0/message/content")
        .and_then(|c| c.as_str())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| LlmError::Response("no choices[0].message.content".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conversation_is_system_context_history_question() {
        let llm: LlmSettings = serde_json::from_value(serde_json::json!({
            "base_url": "http://x", "model": "m", "system_prompt": "Be brief."
        }))
        .expect("settings");
        let hit = Hit {
            id: "refunds".into(),
            title: "Refunds".into(),
            url: Some("https://x.example/r".into()),
            language: "en".into(),
            body: "Within 5 days.".into(),
            score: 0.8,
            passage: String::new(),
        };
        let all = messages(
            &llm,
            "en",
            &[hit],
            vec![
                ChatMessage::new("user", "hi"),
                ChatMessage::new("assistant", "hello"),
            ],
            "refund?",
        );
        let roles: Vec<&str> = all.iter().map(|m| m.role).collect();
        assert_eq!(roles, ["system", "system", "user", "assistant", "user"]);
        assert_eq!(all[0].content, "Be brief.");
        assert!(all[1]
            .content
            .contains("[refunds] Refunds\nWithin 5 days.\nhttps://x.example/r"));
        assert_eq!(all[4].content, "refund?");
        assert!(messages(&llm, "de", &[], Vec::new(), "?")[1]
            .content
            .contains("none matches"));
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(LlmError::Timeout(1).retryable());
        assert!(LlmError::Status(503).retryable());
        assert!(LlmError::Status(429).retryable());
        assert!(!LlmError::Status(401).retryable());
        assert!(!LlmError::Response("x".into()).retryable());
    }
}
