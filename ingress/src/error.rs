//! The ingress's one error type. Client errors are answered with a JSON reason and logged at debug; server
//! errors are logged and answered without internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("unknown tenant `{0}`")]
    UnknownTenant(String),
    #[error("unknown platform `{0}` (expected generic, intercom, zendesk or freshchat; Chatwoot has /webhooks/chatwoot/{{tenant}})")]
    UnknownPlatform(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("request headers exceed {max_count} fields or {max_bytes} bytes")]
    HeadersTooLarge { max_count: usize, max_bytes: usize },
    #[error("{0}")]
    Timeout(infra::http::BodyTimeout),
    #[error("{0}")]
    Unavailable(&'static str),
    #[error("internal error")]
    Internal(String),
}

impl WebhookError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownTenant(_) | Self::UnknownPlatform(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn outcome(&self) -> crate::metrics::WebhookOutcome {
        use crate::metrics::WebhookOutcome as O;
        match self {
            Self::UnknownTenant(_) | Self::UnknownPlatform(_) => O::unknown_tenant,
            Self::Unauthorized(_) => O::unauthorized,
            Self::BadRequest(_) => O::bad_request,
            Self::TooLarge { .. } => O::too_large,
            Self::UnsupportedMediaType => O::unsupported_media_type,
            Self::HeadersTooLarge { .. } => O::headers_too_large,
            Self::Timeout(_) => O::timeout,
            Self::Unavailable(_) => O::unavailable,
            Self::Internal(_) => O::internal,
        }
    }

    /// A closed set for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownTenant(_) => "unknown_tenant",
            Self::UnknownPlatform(_) => "unknown_platform",
            Self::Unauthorized(_) => "unauthorized",
            Self::BadRequest(_) => "bad_request",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::HeadersTooLarge { .. } => "headers_too_large",
            Self::Timeout(_) => "timeout",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "webhook not accepted");
        } else {
            tracing::debug!(error = %self, "webhook rejected");
        }
        let message = match &self {
            Self::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut response = (
            status,
            Json(json!({ "error": self.reason(), "message": message })),
        )
            .into_response();
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of a late body is not read: the connection cannot carry another request.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}
