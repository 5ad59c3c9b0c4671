//! Reading Chatwoot's listing endpoints at a bounded rate, retrying what Chatwoot answers when it is busy.
//!
//! Chatwoot throttles per client IP and answers 429 without `Retry-After` (rack-attack's default); a proxy may
//! add one, and it is honoured. 429, 5xx, timeouts and connection errors are retried with a growing, jittered
//! backoff; any other answer (401, 404…) stops the run with Chatwoot's own message.

use std::num::NonZeroU32;
use std::time::Duration;

use chatwoot::{ApiError, ApiRequest, ChatwootClient};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use infra::Tenant;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::CliError;

/// Attempts per request before the run stops (its checkpoint keeps what was done).
pub const MAX_ATTEMPTS: u64 = 8;
const MIN_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct Fetcher {
    client: ChatwootClient,
    tenant: Tenant,
    limiter: DefaultDirectRateLimiter,
    cancel: CancellationToken,
    /// Requests retried (for the report).
    pub retries: u64,
    pub requests: u64,
}

impl Fetcher {
    pub fn new(
        tenant: Tenant,
        rate: NonZeroU32,
        timeout: Duration,
        cancel: CancellationToken,
    ) -> Result<Self, CliError> {
        let client = ChatwootClient::new(timeout)
            .map_err(|e| CliError::Invalid(format!("HTTP client: {e}")))?;
        Ok(Self {
            client,
            tenant,
            limiter: RateLimiter::direct(Quota::per_second(rate)),
            cancel,
            retries: 0,
            requests: 0,
        })
    }

    /// `GET …/conversations?status=all&sort_by=created_at_asc&page=N`: oldest first, so conversations created
    /// while the run goes on land on later pages instead of shifting the ones still to read.
    pub async fn conversations(&mut self, page: u32) -> Result<Vec<Value>, CliError> {
        let body = self
            .get(
                format!("/conversations?status=all&assignee_type=all&sort_by=created_at_asc&page={page}"),
                "/conversations",
            )
            .await?;
        Ok(body["data"]["payload"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Every message of a conversation, oldest first: `GET …/messages?after=<id>` pages forward 100 at a time
    /// (Chatwoot's `MessageFinder#messages_after`).
    pub async fn messages(&mut self, conversation: u64) -> Result<Vec<Value>, CliError> {
        let mut all: Vec<Value> = Vec::new();
        let mut after = 0u64;
        loop {
            let body = self
                .get(
                    format!("/conversations/{conversation}/messages?after={after}"),
                    "/conversations/{id}/messages",
                )
                .await?;
            let page = body["payload"].as_array().cloned().unwrap_or_default();
            let last = page.iter().filter_map(|m| m["id"].as_u64()).max();
            all.extend(page);
            match last {
                Some(last) if last > after => after = last,
                _ => break,
            }
        }
        all.sort_by_key(|m| m["id"].as_u64().unwrap_or_default());
        all.dedup_by_key(|m| m["id"].as_u64());
        Ok(all)
    }

    async fn get(&mut self, path: String, route: &'static str) -> Result<Value, CliError> {
        let request = ApiRequest {
            method: http::Method::GET,
            path,
            route,
            body: None,
        };
        let mut attempt = 0;
        loop {
            tokio::select! {
                () = self.limiter.until_ready() => {}
                () = self.cancel.cancelled() => return Err(CliError::Interrupted),
            }
            attempt += 1;
            self.requests += 1;
            let wait = match self.client.send(&self.tenant, &request).await {
                Ok(response) => {
                    return response.json().ok_or_else(|| {
                        CliError::Chatwoot(format!("GET {}: the answer is not JSON", request.path))
                    })
                }
                Err(error) if attempt < MAX_ATTEMPTS && retryable(&error) => match &error {
                    ApiError::Status {
                        retry_after: Some(wait),
                        ..
                    } => *wait,
                    _ => infra::retry::backoff_delay(attempt, MIN_BACKOFF, MAX_BACKOFF),
                },
                Err(error) => {
                    return Err(CliError::Chatwoot(format!(
                        "GET {} failed after {attempt} attempt(s): {error}",
                        request.path
                    )))
                }
            };
            self.retries += 1;
            tracing::info!(path = %request.path, ?wait, attempt, "Chatwoot busy; retrying");
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.cancel.cancelled() => return Err(CliError::Interrupted),
            }
        }
    }
}

fn retryable(error: &ApiError) -> bool {
    match error {
        ApiError::Timeout | ApiError::Connect(_) | ApiError::Transport(_) => true,
        ApiError::Status { status, .. } => *status == 429 || *status >= 500,
    }
}
