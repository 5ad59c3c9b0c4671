//! Agents approve or reject AI drafts from inside Chatwoot, by writing `/approve` or `/reject` as a private note
//! (see [`super::command`]). The approved text goes to the customer as an ordinary `SendMessage` action through
//! the outbox, so a note delivered twice is deduplicated like any event, and a second `/approve` finds the draft
//! already approved and only says so.

use chatwoot::{SenderKind, Webhook};
use deadpool_postgres::GenericClient;
use proto::ActionKind;

use super::command::{self, Command, CommandError, Verb};
use super::drafts::{self, DraftDecision, DraftWrites, StoredDraft};

/// What an approval command leads to.
#[derive(Debug, Default)]
pub struct Approval {
    pub actions: Vec<ActionKind>,
    pub writes: DraftWrites,
}

/// The command in `hook`, if it is an agent's private note starting with `/approve` or `/reject`.
pub fn command_of(hook: &Webhook) -> Option<Result<Command, CommandError>> {
    let agent_note = hook.event == "message_created"
        && hook.private == Some(true)
        && hook.message_type.as_deref() == Some("outgoing")
        && hook.sender_kind() == SenderKind::User;
    if !agent_note {
        return None;
    }
    command::parse(hook.content.as_deref()?)
}

/// Decides what the note's command does, from the drafts as they are now; [`DraftWrites::apply`] re-checks the
/// draft's status in the event's transaction. A command that cannot be carried out is answered with a private
/// note saying why.
pub async fn plan(
    client: &impl GenericClient,
    tenant: &str,
    hook: &Webhook,
    command: Result<Command, CommandError>,
) -> Result<Approval, tokio_postgres::Error> {
    let Some(conversation) = hook.conversation_id() else {
        return Ok(Approval::default());
    };
    let command = match command {
        Ok(command) => command,
        Err(error) => return Ok(note(format!("🤖 {error}. Nothing was sent."))),
    };
    let sender = hook.sender.as_ref();
    let decider = Decider {
        id: sender.and_then(|s| s.id),
        name: sender.and_then(|s| s.name.clone()),
        message_id: hook.id,
    };
    Ok(
        match decide(client, tenant, conversation, &command, decider).await? {
            Ok(approval) => approval,
            Err(refusal) => note(format!("🤖 {refusal}")),
        },
    )
}

/// Who decides on a draft: an agent in Chatwoot (the note's sender and the note), or through the API.
#[derive(Debug, Clone, Default)]
pub struct Decider {
    pub id: Option<u64>,
    pub name: Option<String>,
    /// The private note that carried the decision, when it came from Chatwoot.
    pub message_id: Option<u64>,
}

/// The actions and writes of an approval or rejection, or why it cannot be carried out. Shared by the `/approve`
/// note and the API, so both decide the same way and a draft is decided once whichever comes first.
pub async fn decide(
    client: &impl GenericClient,
    tenant: &str,
    conversation: u64,
    command: &Command,
    decider: Decider,
) -> Result<Result<Approval, String>, tokio_postgres::Error> {
    let target = match command.draft_id {
        Some(id) => drafts::by_id(client, tenant, conversation, id).await?,
        None => drafts::newest(client, tenant, conversation, true).await?,
    };
    let Some(draft) = target else {
        return Ok(Err(match command.draft_id {
            Some(id) => format!("There is no AI draft #{id} in this conversation."),
            None => match drafts::newest(client, tenant, conversation, false).await? {
                Some(latest) if latest.status == "stale" => format!(
                    "No pending AI draft: draft #{id} is stale (the customer wrote again since). To send it \
                     anyway, write /approve #{id}",
                    id = latest.id
                ),
                Some(latest) if latest.status != "auto" => already(&latest),
                _ => "There is no pending AI draft in this conversation.".to_owned(),
            },
        }));
    };
    if !matches!(draft.status.as_str(), "pending" | "stale") {
        return Ok(Err(already(&draft)));
    }
    let text = (!command.text.is_empty()).then(|| command.text.clone());
    let approved = command.verb == Verb::Approve;
    let final_text = approved.then(|| text.clone().unwrap_or_else(|| draft.draft_text.clone()));
    Ok(Ok(Approval {
        actions: final_text
            .iter()
            .map(|content| ActionKind::SendMessage {
                content: content.clone(),
            })
            .collect(),
        writes: DraftWrites {
            decision: Some(DraftDecision {
                id: draft.id,
                expected_status: draft.status,
                approved,
                edited: approved && text.is_some(),
                final_text,
                reason: if approved { None } else { text },
                decided_by_id: decider.id,
                decided_by_name: decider.name,
                decision_message_id: decider.message_id,
                grades: command.grades,
            }),
            ..DraftWrites::default()
        },
    }))
}

fn already(draft: &StoredDraft) -> String {
    match draft.status.as_str() {
        "auto" => format!(
            "AI answer #{} was sent automatically; there is nothing to approve.",
            draft.id
        ),
        status => format!(
            "AI draft #{} was already {status}{}; nothing was sent.",
            draft.id,
            draft
                .decided_by_name
                .as_deref()
                .map(|name| format!(" by {name}"))
                .unwrap_or_default()
        ),
    }
}

fn note(content: String) -> Approval {
    Approval {
        actions: vec![ActionKind::PrivateNote { content }],
        writes: DraftWrites::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(private: bool, sender_type: Option<&str>, content: &str) -> Webhook {
        let mut value = serde_json::json!({
            "event": "message_created", "id": 9, "message_type": "outgoing", "private": private,
            "content": content, "conversation": { "id": 1042 },
            "sender": { "id": 17, "name": "Jonas Berg" }
        });
        if let Some(kind) = sender_type {
            value["sender"]["type"] = kind.into();
        }
        Webhook::parse(&serde_json::to_vec(&value).expect("json")).expect("parses")
    }

    #[test]
    fn only_an_agents_private_note_is_a_command() {
        assert!(command_of(&hook(true, Some("user"), "/approve")).is_some());
        assert!(command_of(&hook(false, Some("user"), "/approve")).is_none());
        assert!(command_of(&hook(true, Some("agent_bot"), "/approve")).is_none());
        assert!(command_of(&hook(true, None, "/approve")).is_none());
        assert!(command_of(&hook(true, Some("user"), "approve it")).is_none());
    }

    #[test]
    fn decided_drafts_are_reported_with_who_decided() {
        let draft = StoredDraft {
            id: 4,
            status: "approved".into(),
            draft_text: "x".into(),
            decided_by_name: Some("Jonas Berg".into()),
        };
        assert_eq!(
            already(&draft),
            "AI draft #4 was already approved by Jonas Berg; nothing was sent."
        );
    }
}
