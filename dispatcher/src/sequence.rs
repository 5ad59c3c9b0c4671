//! A conversation's calls reach Chatwoot in the order the worker produced its actions (`conversation_seq` 1, 2,
//! 3...), whatever crashes, retries and redeliveries happen, with any number of dispatchers: an action is called
//! only once the one before it is settled (delivered or dead-lettered). A failed action retried with backoff
//! therefore holds the later actions of its conversation, and only of its conversation.
//!
//! Within one dispatcher the predecessor is usually in flight here (an event's actions arrive together): the
//! action waits for it in-process and goes as soon as it settles. Otherwise the ledger says whether it was
//! settled (by another dispatcher, or before a restart); while it is not, the action is looked at again a few
//! times for a moment and then handed back to JetStream without counting as an attempt.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proto::Action;
use tokio::sync::Notify;

use crate::ledger::{Ledger, LedgerError};

/// How long an action polls the ledger for a predecessor delivered elsewhere before going back to JetStream.
const POLLS: [Duration; 5] = [
    Duration::from_millis(25),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(200),
    Duration::from_millis(400),
];

/// Conversations remembered once idle; beyond it, the idle ones are forgotten (their next action asks the
/// ledger once).
const REMEMBERED: usize = 10_000;

type ConversationKey = (String, u64);

#[derive(Default)]
struct Conversation {
    /// Sequence numbers of this conversation's actions being delivered by this dispatcher.
    in_flight: BTreeMap<u64, Arc<Notify>>,
    /// Every action up to this one is known to be settled.
    settled: u64,
}

/// What an action may do now.
pub enum Turn {
    /// Its predecessor is settled: call, then [`TurnGuard::finish`].
    Go(TurnGuard),
    /// Its predecessor is not settled yet: hand it back to JetStream.
    Hold,
}

#[derive(Clone)]
pub struct Sequencer {
    conversations: Arc<Mutex<HashMap<ConversationKey, Conversation>>>,
    ledger: Ledger,
}

impl Sequencer {
    pub fn new(ledger: Ledger) -> Self {
        Self {
            conversations: Arc::default(),
            ledger,
        }
    }

    /// Waits until the action's predecessor is settled, or says to hold it.
    pub async fn turn(&self, action: &Action) -> Result<Turn, LedgerError> {
        let seq = action.conversation_seq;
        let key = (action.tenant.clone(), action.conversation_id);
        if seq == 0 {
            return Ok(Turn::Go(TurnGuard::untracked()));
        }
        let mut polls = POLLS.iter();
        loop {
            let wait = {
                let mut conversations = self.lock();
                let conversation = conversations.entry(key.clone()).or_default();
                if conversation.settled + 1 >= seq {
                    conversation.in_flight.insert(seq, Arc::new(Notify::new()));
                    return Ok(Turn::Go(TurnGuard {
                        sequencer: Some(self.clone()),
                        key,
                        seq,
                    }));
                }
                // Created under the lock, so the predecessor's `finish` cannot slip in between unnoticed.
                conversation
                    .in_flight
                    .get(&(seq - 1))
                    .map(|n| n.clone().notified_owned())
            };
            if let Some(settled_here) = wait {
                settled_here.await;
                continue;
            }
            let predecessor_settled = self
                .ledger
                .is_settled(&action.tenant, action.conversation_id, seq - 1)
                .await?;
            if predecessor_settled {
                let mut conversations = self.lock();
                let conversation = conversations.entry(key.clone()).or_default();
                conversation.settled = conversation.settled.max(seq - 1);
                continue;
            }
            match polls.next() {
                Some(pause) => tokio::time::sleep(*pause).await,
                None => return Ok(Turn::Hold),
            }
        }
    }

    fn finish(&self, key: &ConversationKey, seq: u64, settled: bool) {
        let mut conversations = self.lock();
        if let Some(conversation) = conversations.get_mut(key) {
            if let Some(notify) = conversation.in_flight.remove(&seq) {
                notify.notify_waiters();
            }
            if settled {
                conversation.settled = conversation.settled.max(seq);
            }
        }
        if conversations.len() > REMEMBERED {
            conversations.retain(|_, c| !c.in_flight.is_empty());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationKey, Conversation>> {
        self.conversations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An action's turn; its successor waits until it is finished. Dropped unfinished (a panic, a cancelled
/// delivery), it counts as not settled.
pub struct TurnGuard {
    sequencer: Option<Sequencer>,
    key: ConversationKey,
    seq: u64,
}

impl TurnGuard {
    fn untracked() -> Self {
        Self {
            sequencer: None,
            key: (String::new(), 0),
            seq: 0,
        }
    }

    /// `settled`: delivered or dead-lettered, so the next action of the conversation may go.
    pub fn finish(mut self, settled: bool) {
        if let Some(sequencer) = self.sequencer.take() {
            sequencer.finish(&self.key, self.seq, settled);
        }
    }
}

impl Drop for TurnGuard {
    fn drop(&mut self) {
        if let Some(sequencer) = self.sequencer.take() {
            sequencer.finish(&self.key, self.seq, false);
        }
    }
}
