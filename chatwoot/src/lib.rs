//! Chatwoot as the pipeline sees it: the webhook signature (`sha256=HMAC(secret, "<ts>.<body>")`), the webhook
//! payloads (parsed leniently: unknown keys are ignored, as upstream keeps adding fields) and the REST API.

pub mod client;
pub mod content;
pub mod sample;
pub mod signature;
pub mod webhook;

pub use client::{ApiError, ApiRequest, ApiResponse, ChatwootClient};
pub use content::ContentType;
pub use signature::{sign, SignatureError, SignedRequest};
pub use webhook::{own_source_id, SenderKind, Webhook, WebhookRoute, OWN_SOURCE_PREFIX};
