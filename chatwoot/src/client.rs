//! Chatwoot's REST API, as used by the dispatcher and the `doctor` command. The client only reports what
//! happened; whether to retry is decided by the caller's retry policy.

use std::sync::Arc;
use std::time::Duration;

use infra::Tenant;
use serde_json::Value;
use tracing::Instrument;

/// One call, relative to the tenant's Chatwoot.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: http::Method,
    /// Path after `/api/v1/accounts/{account_id}`, or absolute when it starts with `/api/v1/profile` etc.
    pub path: String,
    /// Low-cardinality route for span names and metrics, e.g. `/conversations/{id}/messages`.
    pub route: &'static str,
    pub body: Option<Value>,
}

/// A call to another platform: an absolute URL and the platform's own headers (its authentication included).
#[derive(Debug, Clone)]
pub struct ExternalRequest {
    pub method: http::Method,
    pub url: String,
    /// Low-cardinality route for span names and metrics.
    pub route: &'static str,
    pub headers: Vec<(String, String)>,
    /// A JSON body, sent byte for byte (a signature may cover it).
    pub body: Option<Vec<u8>>,
    /// Overrides the client's timeout.
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: bytes::Bytes,
}

impl ApiResponse {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What went wrong, with enough detail for the retry policy and the dead-letter record.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("request timed out")]
    Timeout,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("transport error: {0}")]
    Transport(String),
    #[error("HTTP {status}: {body}")]
    Status {
        status: u16,
        /// Only proxies send it; Chatwoot's own 429 has none.
        retry_after: Option<Duration>,
        body: String,
    },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The HTTP client could not be set up (TLS backend missing, for instance).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct BuildError(#[from] reqwest::Error);

/// Told about every call: route template, HTTP status (`None` when no response came) and latency.
pub type Observer = Arc<dyn Fn(&'static str, Option<u16>, Duration) + Send + Sync>;

/// A shared HTTP client (one connection pool per process).
#[derive(Clone)]
pub struct ChatwootClient {
    http: reqwest::Client,
    observer: Option<Observer>,
}

impl std::fmt::Debug for ChatwootClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatwootClient").finish_non_exhaustive()
    }
}

impl ChatwootClient {
    pub fn new(timeout: Duration) -> Result<Self, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("chatwoot-pipeline/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            observer: None,
        })
    }

    /// Reports every call to `observer` (for latency metrics).
    pub fn with_observer(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The account-scoped URL of a request.
    pub fn url(tenant: &Tenant, request: &ApiRequest) -> String {
        let base = tenant.chatwoot_base_url.trim_end_matches('/');
        if request.path.starts_with("/api/") || request.path == "/health" {
            format!("{base}{}", request.path)
        } else {
            format!(
                "{base}/api/v1/accounts/{}{}",
                tenant.account_id, request.path
            )
        }
    }

    /// Sends one request in a client span that follows the OpenTelemetry HTTP conventions and carries the
    /// trace context to Chatwoot in `traceparent`.
    pub async fn send(
        &self,
        tenant: &Tenant,
        request: &ApiRequest,
    ) -> Result<ApiResponse, ApiError> {
        let url = Self::url(tenant, request);
        let span = tracing::info_span!(
            "chatwoot.request",
            otel.name = %format!("{} {}", request.method, request.route),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %request.method,
            url.template = request.route,
            server.address = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            tenant = %tenant.id,
        );
        if let Ok(parsed) = reqwest::Url::parse(&url) {
            span.record("server.address", parsed.host_str().unwrap_or_default());
        }
        let mut headers = http::HeaderMap::new();
        infra::telemetry::inject_http(&span, &mut headers);
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .headers(headers)
            .header("api_access_token", tenant.api_token.expose())
            .header("accept", "application/json");
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        self.execute(builder, request.route, span).await
    }

    /// Sends a request to another platform (Intercom, Zendesk, Freshchat, a generic webhook) through the same
    /// pool, span conventions, error classification and observer as Chatwoot's calls.
    pub async fn send_external(
        &self,
        tenant: &str,
        request: &ExternalRequest,
    ) -> Result<ApiResponse, ApiError> {
        let span = tracing::info_span!(
            "platform.request",
            otel.name = %format!("{} {}", request.method, request.route),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %request.method,
            url.template = request.route,
            server.address = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            tenant = %tenant,
        );
        if let Ok(parsed) = reqwest::Url::parse(&request.url) {
            span.record("server.address", parsed.host_str().unwrap_or_default());
        }
        let mut headers = http::HeaderMap::new();
        infra::telemetry::inject_http(&span, &mut headers);
        let mut builder = self
            .http
            .request(request.method.clone(), &request.url)
            .headers(headers);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(body.clone());
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        self.execute(builder, request.route, span).await
    }

    async fn execute(
        &self,
        builder: reqwest::RequestBuilder,
        route: &'static str,
        span: tracing::Span,
    ) -> Result<ApiResponse, ApiError> {
        let started = std::time::Instant::now();
        let result = async {
            let response = builder.send().await.map_err(classify_transport)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response.bytes().await.map_err(classify_transport)?;
            tracing::Span::current().record("http.response.status_code", status);
            if (200..300).contains(&status) {
                Ok(ApiResponse { status, body })
            } else {
                Err(ApiError::Status {
                    status,
                    retry_after,
                    body: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
                })
            }
        }
        .instrument(span.clone())
        .await;
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        if let Some(observer) = &self.observer {
            let status = match &result {
                Ok(response) => Some(response.status),
                Err(error) => error.status(),
            };
            observer(route, status, started.elapsed());
        }
        result
    }

    /// `GET /health` (no authentication): is Chatwoot up at all?
    pub async fn health(&self, tenant: &Tenant) -> Result<ApiResponse, ApiError> {
        self.send(
            tenant,
            &ApiRequest {
                method: http::Method::GET,
                path: "/health".into(),
                route: "/health",
                body: None,
            },
        )
        .await
    }
}

fn classify_transport(error: reqwest::Error) -> ApiError {
    if error.is_timeout() {
        ApiError::Timeout
    } else if error.is_connect() {
        ApiError::Connect(error.to_string())
    } else {
        ApiError::Transport(error.to_string())
    }
}

/// Builders for the calls the pipeline makes; paths and bodies as documented in the fixtures README.
pub mod calls {
    use serde_json::json;

    use super::ApiRequest;

    pub fn create_message(
        conversation: u64,
        content: &str,
        private: bool,
        source_id: &str,
    ) -> ApiRequest {
        ApiRequest {
            method: http::Method::POST,
            path: format!("/conversations/{conversation}/messages"),
            route: "/conversations/{id}/messages",
            body: Some(json!({
                "content": content,
                "message_type": "outgoing",
                "private": private,
                "source_id": source_id,
                "echo_id": source_id,
            })),
        }
    }

    pub fn list_messages(conversation: u64) -> ApiRequest {
        ApiRequest {
            method: http::Method::GET,
            path: format!("/conversations/{conversation}/messages"),
            route: "/conversations/{id}/messages",
            body: None,
        }
    }

    pub fn list_labels(conversation: u64) -> ApiRequest {
        ApiRequest {
            method: http::Method::GET,
            path: format!("/conversations/{conversation}/labels"),
            route: "/conversations/{id}/labels",
            body: None,
        }
    }

    /// Replaces the label set: pass the union when adding.
    pub fn set_labels(conversation: u64, labels: &[String]) -> ApiRequest {
        ApiRequest {
            method: http::Method::POST,
            path: format!("/conversations/{conversation}/labels"),
            route: "/conversations/{id}/labels",
            body: Some(json!({ "labels": labels })),
        }
    }

    pub fn assign_agent(conversation: u64, agent_id: u64) -> ApiRequest {
        assignment(conversation, json!({ "assignee_id": agent_id }))
    }

    pub fn assign_team(conversation: u64, team_id: u64) -> ApiRequest {
        assignment(conversation, json!({ "team_id": team_id }))
    }

    fn assignment(conversation: u64, body: serde_json::Value) -> ApiRequest {
        ApiRequest {
            method: http::Method::POST,
            path: format!("/conversations/{conversation}/assignments"),
            route: "/conversations/{id}/assignments",
            body: Some(body),
        }
    }

    pub fn toggle_status(
        conversation: u64,
        status: &str,
        snoozed_until: Option<i64>,
    ) -> ApiRequest {
        let mut body = json!({ "status": status });
        if let Some(until) = snoozed_until {
            body["snoozed_until"] = json!(until);
        }
        ApiRequest {
            method: http::Method::POST,
            path: format!("/conversations/{conversation}/toggle_status"),
            route: "/conversations/{id}/toggle_status",
            body: Some(body),
        }
    }

    /// `None` clears the priority.
    pub fn toggle_priority(conversation: u64, priority: Option<&str>) -> ApiRequest {
        ApiRequest {
            method: http::Method::POST,
            path: format!("/conversations/{conversation}/toggle_priority"),
            route: "/conversations/{id}/toggle_priority",
            body: Some(json!({ "priority": priority })),
        }
    }

    pub fn profile() -> ApiRequest {
        ApiRequest {
            method: http::Method::GET,
            path: "/api/v1/profile".into(),
            route: "/api/v1/profile",
            body: None,
        }
    }

    pub fn get_conversation(conversation: u64) -> ApiRequest {
        ApiRequest {
            method: http::Method::GET,
            path: format!("/conversations/{conversation}"),
            route: "/conversations/{id}",
            body: None,
        }
    }
}
