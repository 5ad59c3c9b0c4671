//! Support platforms besides Chatwoot, on the pipeline Chatwoot uses.
//!
//! Inbound, an [`InboundAdapter`] per platform verifies a webhook on its raw bytes and reads the customer's
//! message out of it; [`chatwoot_shaped`] turns that message into the `message_created` webhook the worker
//! already understands, so triage, rules, AI drafts and approvals stay shared. Outbound, [`outbound_call`]
//! turns an action into the platform's HTTP call; the dispatcher makes it and settles the result in the one
//! place it settles Chatwoot's.

mod freshchat;
mod generic;
mod inbound;
mod intercom;
mod outbound;
mod reconcile;
pub mod standard_webhooks;
mod zendesk;

pub use inbound::{
    adapter, chatwoot_shaped, numeric_id, Inbound, InboundAdapter, InboundError, InboundMessage,
    VerifyContext,
};
pub use infra::Platform;
pub use outbound::{max_attempts, outbound_call, HttpCall, Outbound, OutboundError};
pub use reconcile::{lookup, Lookup, Undecidable};

/// Test helpers: sign bodies as each platform does (the simulators and the e2e tests use them).
pub mod sign {
    pub use crate::freshchat::sign as freshchat;
    pub use crate::intercom::sign as intercom;
    pub use crate::standard_webhooks::sign as standard_webhooks;
    pub use crate::zendesk::sign as zendesk;
}
