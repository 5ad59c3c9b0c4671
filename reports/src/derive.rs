//! Chatwoot's reporting events, derived from a history one event at a time.
//!
//! [`Tracker`] holds exactly the per-conversation state Chatwoot keeps for its reports (`waiting_since`,
//! `first_reply_created_at`, the reporting events already written), so the worker can keep one per conversation
//! and turn each webhook into [`Record`]s as it arrives; [`derive`] folds a whole history. The rules, from
//! upstream `Message#dispatch_create_events`, `Conversation` callbacks, `ReportingEventListener` and
//! `ReportingEventHelper`:
//! - `waiting_since` starts at creation; an incoming message sets it when blank; a resolve clears it; a bot's
//!   public reply clears it; a human's public reply clears it and, unless it is the first reply, writes
//!   `reply_time = reply − waiting_since`.
//! - The first public human reply writes `first_response = reply − last non-human activity` (the latest bot
//!   handoff or (re)open, else the latest bot resolution, else creation).
//! - Every change to resolved writes `conversation_resolved = resolved − created`, and
//!   `conversation_bot_resolved` too when the inbox has a bot and no agent ever wrote (a private note counts).
//! - Every change to open writes `conversation_opened` (time since the last resolution, else 0).
//! - The first bot handoff writes `conversation_bot_handoff = handoff − created`; later ones write nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::business_hours::BusinessHours;
use crate::history::{ConversationInfo, Event, History, Sender, Status, Timed};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HistoryError {
    #[error(
        "conversation {conversation}: event at {at} is earlier than the previous one at {previous}"
    )]
    OutOfOrder {
        conversation: u64,
        at: DateTime<Utc>,
        previous: DateTime<Utc>,
    },
    #[error("conversation {conversation}: CSAT rating {rating} is not 1-5")]
    Rating { conversation: u64, rating: u8 },
}

/// Chatwoot's `reporting_events.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventName {
    FirstResponse,
    ReplyTime,
    ConversationResolved,
    ConversationBotResolved,
    ConversationBotHandoff,
    ConversationOpened,
}

/// One row of Chatwoot's `reporting_events`. Values are whole seconds like Chatwoot's (`to_i − to_i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingEvent {
    pub name: EventName,
    pub value: i64,
    /// 0 when the tenant has no business hours, as Chatwoot does with working hours disabled.
    pub value_in_business_hours: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The group-by keys a record carries, as they were when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dims {
    pub conversation: u64,
    pub inbox: u64,
    pub channel: String,
    /// For first response and reply time the replying agent (Chatwoot's `user_id = message.sender_id`); for the
    /// rest the assignee; for CSAT the assignee when the survey was sent.
    pub agent: Option<u64>,
    pub team: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    ConversationCreated,
    /// Chatwoot's message counts have no private or sender filter: a private note is an outgoing message. The
    /// CSAT survey is a `template` message and is in neither count.
    IncomingMessage,
    OutgoingMessage,
    Event(ReportingEvent),
    CsatSurveySent,
    /// A first answer to a survey.
    CsatResponse {
        rating: u8,
    },
    /// A later answer to the same survey replaced the rating (Chatwoot upserts on `message_id`); the record keeps
    /// the first answer's time and dims, so a rollup moves the count within the bucket that holds it.
    CsatRatingChanged {
        from: u8,
        to: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: DateTime<Utc>,
    pub dims: Dims,
    pub fact: Fact,
}

/// One conversation's reporting state. It serializes without its business hours, which belong to the tenant:
/// give them back with [`Tracker::set_business_hours`] after loading one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tracker {
    info: ConversationInfo,
    #[serde(skip)]
    business_hours: Option<BusinessHours>,
    last_at: DateTime<Utc>,
    status: Status,
    assignee: Option<u64>,
    team: Option<u64>,
    waiting_since: Option<DateTime<Utc>>,
    first_reply_done: bool,
    agent_wrote: bool,
    handoff_done: bool,
    last_handoff_or_opened: Option<DateTime<Utc>>,
    last_bot_resolved: Option<DateTime<Utc>>,
    last_resolved: Option<DateTime<Utc>>,
    /// Survey message id → the assignee when it was sent.
    surveys: HashMap<u64, Option<u64>>,
    /// Survey message id → (first answer's time, its dims, current rating).
    answers: HashMap<u64, (DateTime<Utc>, Dims, u8)>,
}

impl Tracker {
    /// A new conversation; returns its tracker and the `ConversationCreated` record.
    pub fn created(
        info: ConversationInfo,
        business_hours: Option<BusinessHours>,
    ) -> (Self, Record) {
        let tracker = Tracker {
            last_at: info.created_at,
            status: info.status,
            assignee: info.assignee,
            team: info.team,
            waiting_since: Some(info.created_at),
            first_reply_done: false,
            agent_wrote: false,
            handoff_done: false,
            last_handoff_or_opened: None,
            last_bot_resolved: None,
            last_resolved: None,
            surveys: HashMap::new(),
            answers: HashMap::new(),
            info,
            business_hours,
        };
        let record = Record {
            at: tracker.info.created_at,
            dims: tracker.dims(tracker.assignee),
            fact: Fact::ConversationCreated,
        };
        (tracker, record)
    }

    pub fn info(&self) -> &ConversationInfo {
        &self.info
    }

    /// The current status, e.g. to tell a bot handoff (pending → open) from a reopen.
    pub fn current_status(&self) -> Status {
        self.status
    }

    pub fn assignee(&self) -> Option<u64> {
        self.assignee
    }

    pub fn team(&self) -> Option<u64> {
        self.team
    }

    /// The time of the latest event applied: an earlier one is refused by [`Tracker::apply`].
    pub fn last_at(&self) -> DateTime<Utc> {
        self.last_at
    }

    /// The tenant's business hours for the values computed from now on (a deserialized tracker has none).
    pub fn set_business_hours(&mut self, business_hours: Option<BusinessHours>) {
        self.business_hours = business_hours;
    }

    fn dims(&self, agent: Option<u64>) -> Dims {
        Dims {
            conversation: self.info.id,
            inbox: self.info.inbox,
            channel: self.info.channel.clone(),
            agent,
            team: self.team,
        }
    }

    fn business(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.business_hours
            .as_ref()
            .map_or(0, |bh| bh.seconds_between(from, to))
    }

    fn event(
        &self,
        name: EventName,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        agent: Option<u64>,
    ) -> Record {
        Record {
            at: end,
            dims: self.dims(agent),
            fact: Fact::Event(ReportingEvent {
                name,
                value: end.timestamp() - start.timestamp(),
                value_in_business_hours: self.business(start, end),
                start,
                end,
            }),
        }
    }

    fn last_non_human_activity(&self) -> DateTime<Utc> {
        self.last_handoff_or_opened
            .or(self.last_bot_resolved)
            .unwrap_or(self.info.created_at)
    }

    /// Applies one event and returns the records it produces.
    pub fn apply(&mut self, timed: &Timed) -> Result<Vec<Record>, HistoryError> {
        let at = timed.at;
        if at < self.last_at {
            return Err(HistoryError::OutOfOrder {
                conversation: self.info.id,
                at,
                previous: self.last_at,
            });
        }
        self.last_at = at;
        let mut out = Vec::new();
        match &timed.event {
            Event::Message { sender, private } => self.message(at, *sender, *private, &mut out),
            Event::Status(status) => self.status(at, *status, &mut out),
            Event::BotHandoff => {
                // `bot_handoff!` is `open!` then the handoff event, so the reopen comes first.
                self.status(at, Status::Open, &mut out);
                if !self.handoff_done {
                    self.handoff_done = true;
                    out.push(self.event(
                        EventName::ConversationBotHandoff,
                        self.info.created_at,
                        at,
                        self.assignee,
                    ));
                }
                self.last_handoff_or_opened = Some(at);
            }
            Event::Assigned(agent) => self.assignee = *agent,
            Event::Team(team) => self.team = *team,
            Event::CsatSurveySent { message_id } => {
                self.surveys.insert(*message_id, self.assignee);
                out.push(Record {
                    at,
                    dims: self.dims(self.assignee),
                    fact: Fact::CsatSurveySent,
                });
            }
            Event::CsatResponse {
                message_id, rating, ..
            } => {
                if !(1..=5).contains(rating) {
                    return Err(HistoryError::Rating {
                        conversation: self.info.id,
                        rating: *rating,
                    });
                }
                self.csat(at, *message_id, *rating, &mut out);
            }
        }
        Ok(out)
    }

    fn message(&mut self, at: DateTime<Utc>, sender: Sender, private: bool, out: &mut Vec<Record>) {
        let agent = match sender {
            Sender::Agent(id) => Some(id),
            _ => None,
        };
        out.push(Record {
            at,
            dims: self.dims(agent.or(self.assignee)),
            fact: if sender == Sender::Contact {
                Fact::IncomingMessage
            } else {
                Fact::OutgoingMessage
            },
        });
        if agent.is_some() {
            self.agent_wrote = true;
        }
        let human = agent.is_some() && !private;
        if human && !self.first_reply_done {
            self.first_reply_done = true;
            out.push(self.event(
                EventName::FirstResponse,
                self.last_non_human_activity(),
                at,
                agent,
            ));
            self.waiting_since = None;
            return;
        }
        if let (Some(since), false) = (self.waiting_since, private) {
            match sender {
                Sender::Agent(_) => {
                    out.push(self.event(EventName::ReplyTime, since, at, agent));
                    self.waiting_since = None;
                }
                Sender::Bot => self.waiting_since = None,
                Sender::Contact | Sender::Automation => {}
            }
        }
        if sender == Sender::Contact && self.waiting_since.is_none() {
            self.waiting_since = Some(at);
        }
    }

    fn status(&mut self, at: DateTime<Utc>, status: Status, out: &mut Vec<Record>) {
        if status == self.status {
            return;
        }
        self.status = status;
        match status {
            Status::Resolved => {
                out.push(self.event(
                    EventName::ConversationResolved,
                    self.info.created_at,
                    at,
                    self.assignee,
                ));
                if self.info.inbox_has_bot && !self.agent_wrote {
                    out.push(self.event(
                        EventName::ConversationBotResolved,
                        self.info.created_at,
                        at,
                        self.assignee,
                    ));
                    self.last_bot_resolved = Some(at);
                }
                self.waiting_since = None;
                self.last_resolved = Some(at);
            }
            Status::Open => {
                let start = self.last_resolved.unwrap_or(at);
                out.push(self.event(EventName::ConversationOpened, start, at, self.assignee));
                self.last_handoff_or_opened = Some(at);
            }
            Status::Pending | Status::Snoozed => {}
        }
    }

    fn csat(&mut self, at: DateTime<Utc>, message_id: u64, rating: u8, out: &mut Vec<Record>) {
        if let Some((first_at, dims, current)) = self.answers.get_mut(&message_id) {
            if *current != rating {
                out.push(Record {
                    at: *first_at,
                    dims: dims.clone(),
                    fact: Fact::CsatRatingChanged {
                        from: *current,
                        to: rating,
                    },
                });
                *current = rating;
            }
            return;
        }
        // Chatwoot snapshots the assignee on the survey; without one seen, the current assignee.
        let agent = self
            .surveys
            .get(&message_id)
            .copied()
            .unwrap_or(self.assignee);
        let dims = self.dims(agent);
        self.answers.insert(message_id, (at, dims.clone(), rating));
        out.push(Record {
            at,
            dims,
            fact: Fact::CsatResponse { rating },
        });
    }
}

/// All records of a whole history, in order.
pub fn derive(
    history: &History,
    business_hours: Option<&BusinessHours>,
) -> Result<Vec<Record>, HistoryError> {
    let (mut tracker, created) = Tracker::created(history.info.clone(), business_hours.cloned());
    let mut out = vec![created];
    for timed in &history.events {
        out.extend(tracker.apply(timed)?);
    }
    Ok(out)
}

/// Only the Chatwoot reporting events of a record list, for comparing with Chatwoot's `reporting_events`.
pub fn reporting_events(records: &[Record]) -> Vec<&ReportingEvent> {
    records
        .iter()
        .filter_map(|r| match &r.fact {
            Fact::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}
