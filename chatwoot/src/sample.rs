//! Chatwoot-shaped webhooks built from the repository's fixtures, for the demo (`cwctl say`), the tests and the
//! benchmark: a customer's message and an agent's private note, with the ids and text the caller chooses.

use serde_json::Value;

const CUSTOMER_MESSAGE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/chatwoot/message_created_incoming_contact.json"
));
const PRIVATE_NOTE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/chatwoot/message_created_private_note.json"
));

/// A `message_created` webhook from the contact (Maya Lindqvist, web widget): the fixture with another text,
/// message id and conversation, and the conversation's labels as Chatwoot would include them.
pub fn customer_message(
    content: &str,
    message_id: u64,
    conversation_id: u64,
    labels: &[&str],
) -> Vec<u8> {
    let mut hook = parse(CUSTOMER_MESSAGE);
    hook["content"] = content.into();
    hook["id"] = message_id.into();
    hook["conversation"]["id"] = conversation_id.into();
    hook["conversation"]["labels"] = labels.into();
    hook["conversation"]["messages"][0]["content"] = content.into();
    hook["conversation"]["messages"][0]["id"] = message_id.into();
    to_bytes(&hook)
}

/// A private note (`message_created`, `private: true`) from agent Jonas Berg (user 17), as an agent writes
/// `/approve` or `/reject` under an AI draft.
pub fn agent_note(content: &str, message_id: u64, conversation_id: u64) -> Vec<u8> {
    let mut hook = parse(PRIVATE_NOTE);
    hook["content"] = content.into();
    hook["id"] = message_id.into();
    hook["conversation"]["id"] = conversation_id.into();
    to_bytes(&hook)
}

fn parse(fixture: &[u8]) -> Value {
    serde_json::from_slice(fixture).unwrap_or(Value::Null)
}

fn to_bytes(hook: &Value) -> Vec<u8> {
    serde_json::to_vec(hook).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Webhook;

    #[test]
    fn samples_are_what_the_pipeline_answers_and_what_it_reads_as_a_command() {
        let customer = Webhook::parse(&customer_message("Where is my parcel?", 7, 8, &["vip"]))
            .expect("parses");
        assert!(customer.is_customer_message());
        assert_eq!(customer.customer_text(), "Where is my parcel?");
        assert_eq!(
            (customer.id, customer.conversation_id()),
            (Some(7), Some(8))
        );
        assert_eq!(
            customer.conversation.and_then(|c| c.labels),
            Some(vec!["vip".into()])
        );
        let note = Webhook::parse(&agent_note("/approve", 9, 8)).expect("parses");
        assert!(!note.is_customer_message());
        assert_eq!(note.private, Some(true));
        assert_eq!(note.content.as_deref(), Some("/approve"));
    }
}
