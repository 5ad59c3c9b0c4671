//! What arrives on the events stream: a Chatwoot webhook as the ingress accepted it, or a command an agent or an
//! integrator sent through the API. Both are processed the same way, in their conversation's order.

use chatwoot::Webhook;
use proto::{Command, EventEnvelope, COMMAND_EVENT};

use crate::process::ProcessError;
use crate::sla::{SlaBreach, SLA_EVENT};

#[derive(Debug)]
pub enum Incoming {
    // Boxed: the variants' sizes differ by two orders of magnitude.
    Webhook(Box<Webhook>),
    Command(Box<Command>),
    /// The SLA watch claimed a breach of the conversation's first-reply SLA.
    SlaBreach(SlaBreach),
}

impl Incoming {
    /// Reads the envelope's body; what cannot be read never will be (a permanent error: dead-lettered).
    pub fn parse(envelope: &EventEnvelope) -> Result<Self, ProcessError> {
        if envelope.event == COMMAND_EVENT {
            let command = Command::decode(&envelope.body)
                .map_err(|e| ProcessError::Permanent(format!("undecodable command: {e}")))?;
            if command.tenant != envelope.tenant {
                return Err(ProcessError::Permanent(format!(
                    "command of tenant {} published for tenant {}",
                    command.tenant, envelope.tenant
                )));
            }
            return Ok(Self::Command(Box::new(command)));
        }
        if envelope.event == SLA_EVENT {
            return serde_json::from_slice(&envelope.body)
                .map(Self::SlaBreach)
                .map_err(|e| ProcessError::Permanent(format!("unreadable SLA breach: {e}")));
        }
        Webhook::parse(&envelope.body)
            .map(|hook| Self::Webhook(Box::new(hook)))
            .map_err(|e| ProcessError::Permanent(format!("unparseable webhook: {e}")))
    }

    /// The ledger's name for it: the webhook's `event`, or `api_command`.
    pub fn event(&self) -> &str {
        match self {
            Self::Webhook(hook) => &hook.event,
            Self::Command(_) => COMMAND_EVENT,
            Self::SlaBreach(_) => SLA_EVENT,
        }
    }

    pub fn conversation_id(&self) -> Option<u64> {
        match self {
            Self::Webhook(hook) => hook.conversation_id(),
            Self::Command(command) => Some(command.conversation_id),
            Self::SlaBreach(breach) => Some(breach.conversation_id),
        }
    }
}
