//! Analytics recording: what each event tells the reports, written in the event's transaction (see
//! [`analytics::record`]), so a redelivered or duplicated webhook counts once.
//!
//! Webhooks map to [`reports::Event`]s as Chatwoot's own reporting listeners see them:
//! - `conversation_created` (or the first event of a conversation whose creation was missed) starts the tracker;
//! - `message_created`: incoming from a contact; outgoing from a user is a human agent, unless it is the
//!   pipeline's own message (its `source_id`), which is the bot, like an agent bot's; outgoing without a user or
//!   bot sender is an automation or campaign; an `input_csat` template is the CSAT survey;
//! - `message_updated` of an `input_csat` message with `submitted_values.csat_survey_response` is an answer;
//! - conversation events carry the status (pending → open is the bot handoff, decided against the stored state),
//!   the assignee and the team.
//!
//! Every inbox counts as having a bot: the pipeline is the tenant's bot, so a resolution no agent wrote in is a
//! bot resolution, as in Chatwoot with an agent bot connected.

use std::collections::HashMap;
use std::sync::Mutex;

use analytics::counters::{self, CounterInc};
use analytics::reports::{ConversationInfo, Event, Sender, Status, Timed};
use analytics::{Calendar, Observation};
use chatwoot::{SenderKind, Webhook};
use chrono::{DateTime, Utc};
use rules::RuleSet;

use crate::incoming::Incoming;
use crate::process::ProcessError;
use serde_json::Value;

/// What the batch's transaction recorded about one event, as [`inputs`] needs it.
pub struct Processed<'a> {
    pub envelope: &'a proto::EventEnvelope,
    pub incoming: &'a crate::incoming::Incoming,
    /// The triage (as stored) and the bot's new standing, when a customer message was decided on.
    pub decided: Option<(&'a Value, Option<rules::conversation::BotState>)>,
    /// The conversation's state before the event.
    pub before: Option<&'a rules::conversation::ConversationState>,
}

/// The observations and counters of a batch's events.
pub fn inputs<'a>(
    processed: impl Iterator<Item = Processed<'a>>,
) -> (Vec<Observation>, Vec<CounterInc>) {
    let mut observations = Vec::new();
    let mut increments = Vec::new();
    for p in processed {
        let tenant = p.envelope.tenant.as_str();
        let received =
            DateTime::from_timestamp_millis(p.envelope.received_at_ms).unwrap_or_else(Utc::now);
        match p.incoming {
            Incoming::Webhook(hook) => {
                let Some(observation) = observation(tenant, hook, received) else {
                    continue;
                };
                let at = observation.events.last().map_or(received, |e| e.at);
                let conversation = observation.conversation;
                let before: &[String] = p.before.map_or(&[], |b| b.labels.as_slice());
                increments.extend(added_labels(tenant, conversation, at, hook, before));
                if let Some((triage, bot_state)) = p.decided {
                    let handed_off = bot_state == Some(rules::conversation::BotState::HandedOff)
                        && p.before.map(|b| b.bot_state)
                            != Some(rules::conversation::BotState::HandedOff);
                    increments.extend(decision_counters(
                        tenant,
                        conversation,
                        at,
                        triage,
                        handed_off,
                    ));
                }
                observations.push(observation);
            }
            Incoming::SlaBreach(breach) => increments.push(CounterInc::one(
                tenant,
                breach.conversation_id,
                received,
                counters::SLA_BREACH,
                "",
            )),
            Incoming::Command(_) => {}
        }
    }
    (observations, increments)
}

/// Writes a batch's analytics in its transaction; the counters go out with the trackers' read, pipelined.
pub async fn write(
    client: &impl deadpool_postgres::GenericClient,
    calendars: &HashMap<String, Calendar>,
    observations: &[Observation],
    increments: &[CounterInc],
) -> Result<(), ProcessError> {
    futures::try_join!(
        analytics::record(client, calendars, observations),
        analytics::add_counters(client, calendars, increments),
    )
    .map_err(analytics_error)?;
    Ok(())
}

fn analytics_error(error: analytics::AnalyticsError) -> ProcessError {
    match error {
        analytics::AnalyticsError::Postgres(e) => ProcessError::from(e),
        // A tracker or bucket that no longer reads is not the event's fault; retrying will not help either.
        other => ProcessError::Permanent(other.to_string()),
    }
}

/// Each tenant's calendar, written to PostgreSQL when its rules change it (outside the event transaction, so
/// no event waits on the calendar row).
#[derive(Default)]
pub struct Calendars {
    written: Mutex<HashMap<String, Calendar>>,
}

impl Calendars {
    /// The current calendars of `tenants`, storing the ones that changed since this process last wrote them.
    pub async fn current(
        &self,
        client: &impl deadpool_postgres::GenericClient,
        rules: &rules::RuleBook,
        tenants: impl Iterator<Item = &str>,
    ) -> Result<HashMap<String, Calendar>, ProcessError> {
        let mut out = HashMap::new();
        for tenant in tenants {
            if out.contains_key(tenant) {
                continue;
            }
            let calendar = calendar(&rules.get(tenant));
            let known = self
                .written
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(tenant)
                == Some(&calendar);
            if !known {
                analytics::store_calendar(client, tenant, &calendar)
                    .await
                    .map_err(analytics_error)?;
                self.written
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(tenant.to_owned(), calendar.clone());
            }
            out.insert(tenant.to_owned(), calendar);
        }
        Ok(out)
    }
}

/// Folds the shards of hours that ended over an hour ago, every `interval`, in transactions of a few thousand
/// rows (see [`analytics::compact`]): late events for those hours still land in shard rows, folded next time.
pub async fn compact_loop(
    pool: deadpool_postgres::Pool,
    interval: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        let before = Utc::now().timestamp() - 2 * 3600;
        for _ in 0..1000 {
            match compact_once(&pool, before).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "analytics compaction failed; trying again later");
                    break;
                }
            }
        }
    }
}

async fn compact_once(pool: &deadpool_postgres::Pool, before: i64) -> Result<u64, String> {
    let mut client = pool.get().await.map_err(|e| e.to_string())?;
    let txn = client.transaction().await.map_err(|e| e.to_string())?;
    let folded = analytics::compact(&txn, before, 2000)
        .await
        .map_err(|e| e.to_string())?;
    txn.commit().await.map_err(|e| e.to_string())?;
    Ok(folded)
}

/// The tenant's calendar from its rules' `[settings]`.
pub fn calendar(rules: &RuleSet) -> Calendar {
    let s = &rules.settings;
    let day = |d: &chrono::Weekday| d.to_string().to_lowercase();
    Calendar {
        timezone: s.timezone,
        business_days: s.business_days.iter().map(day).collect(),
        business_hours: format!("{}-{}", s.opens.format("%H:%M"), s.closes.format("%H:%M")),
    }
}

/// A Chatwoot time: unix seconds (conversations, possibly with a fraction) or an ISO-8601 string (messages).
/// Truncated to whole seconds, as Chatwoot's values are `to_i − to_i`: business-hours values then agree too.
pub fn time_of(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let seconds = match value? {
        Value::Number(n) => n.as_f64()?.floor() as i64,
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.timestamp(),
            Err(_) => s.parse::<f64>().ok()?.floor() as i64,
        },
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0)
}

fn status_of(s: Option<&str>) -> Option<Status> {
    Some(match s? {
        "open" => Status::Open,
        "resolved" => Status::Resolved,
        "pending" => Status::Pending,
        "snoozed" => Status::Snoozed,
        _ => return None,
    })
}

/// What `hook` tells the reports about its conversation; `None` for events without one.
pub fn observation(tenant: &str, hook: &Webhook, received: DateTime<Utc>) -> Option<Observation> {
    let conversation_id = hook.conversation_id()?;
    let conversation_event =
        hook.event.starts_with("conversation_") && !hook.event.starts_with("conversation_typing");
    let (inbox, channel, status, created) = if conversation_event {
        (
            hook.inbox_id,
            hook.channel.clone(),
            hook.status.as_deref(),
            time_of(hook.created_at.as_ref()),
        )
    } else {
        let c = hook.conversation.as_ref();
        (
            c.and_then(|c| c.inbox_id),
            c.and_then(|c| c.channel.clone()),
            c.and_then(|c| c.status.as_deref()),
            c.and_then(|c| time_of(c.created_at.as_ref())),
        )
    };
    let meta = hook.conversation_meta();
    let assignee = meta.map(|m| m.assignee.as_ref().and_then(|a| a.id));
    let team = meta.map(|m| m.team.as_ref().and_then(|t| t.id));
    let info = match (inbox, created) {
        (Some(inbox), Some(created_at)) => Some(ConversationInfo {
            id: conversation_id,
            inbox,
            channel: channel.unwrap_or_else(|| "unknown".into()),
            inbox_has_bot: true,
            created_at,
            status: status_of(status).unwrap_or(Status::Open),
            assignee: assignee.flatten(),
            team: team.flatten(),
        }),
        _ => None,
    };
    let mut events = Vec::new();
    let mut push = |at: DateTime<Utc>, event: Event| events.push(Timed { at, event });
    let at = if conversation_event {
        time_of(hook.updated_at.as_ref())
            .or_else(|| time_of(hook.created_at.as_ref()))
            .unwrap_or(received)
    } else {
        time_of(hook.created_at.as_ref()).unwrap_or(received)
    };
    if let Some(assignee) = assignee {
        push(at, Event::Assigned(assignee));
    }
    if let Some(team) = team {
        push(at, Event::Team(team));
    }
    match hook.event.as_str() {
        "message_created" => {
            if let Some(event) = message_event(hook) {
                push(at, event);
            }
        }
        "message_updated" => {
            if let Some(event) = csat_answer(hook) {
                // The answer's time: Chatwoot sends the message's `updated_at` when it has one.
                push(time_of(hook.updated_at.as_ref()).unwrap_or(received), event);
            }
        }
        "conversation_created" => {}
        _ if conversation_event => {
            if let Some(status) = status_of(hook.status.as_deref()) {
                push(at, Event::Status(status));
            }
        }
        _ => {}
    }
    Some(Observation {
        tenant: tenant.to_owned(),
        conversation: conversation_id,
        info,
        events,
    })
}

fn message_event(hook: &Webhook) -> Option<Event> {
    let private = hook.private.unwrap_or(false);
    match hook.message_type.as_deref()? {
        "incoming" => Some(Event::Message {
            sender: Sender::Contact,
            private,
        }),
        "outgoing" => {
            let sender = if hook.is_own_message() {
                Sender::Bot
            } else {
                match hook.sender_kind() {
                    SenderKind::User => hook
                        .sender
                        .as_ref()
                        .and_then(|s| s.id)
                        .map_or(Sender::Automation, Sender::Agent),
                    SenderKind::AgentBot => Sender::Bot,
                    SenderKind::Contact | SenderKind::Unknown => Sender::Automation,
                }
            };
            Some(Event::Message { sender, private })
        }
        "template" if hook.content_type.as_deref() == Some("input_csat") => {
            Some(Event::CsatSurveySent {
                message_id: hook.id?,
            })
        }
        _ => None,
    }
}

fn csat_answer(hook: &Webhook) -> Option<Event> {
    if hook.content_type.as_deref() != Some("input_csat") {
        return None;
    }
    let response = hook
        .content_attributes
        .as_ref()?
        .pointer("/submitted_values/csat_survey_response")?;
    let rating = u8::try_from(response.get("rating")?.as_u64()?).ok()?;
    Some(Event::CsatResponse {
        message_id: hook.id?,
        rating,
        feedback: response
            .get("feedback_message")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Labels `hook` adds to a conversation that had `before`.
pub fn added_labels(
    tenant: &str,
    conversation: u64,
    at: DateTime<Utc>,
    hook: &Webhook,
    before: &[String],
) -> Vec<CounterInc> {
    let labels = if hook.is_message_event() {
        hook.conversation.as_ref().and_then(|c| c.labels.as_ref())
    } else {
        hook.labels.as_ref()
    };
    labels
        .into_iter()
        .flatten()
        .filter(|l| !before.contains(l))
        .map(|l| CounterInc::one(tenant, conversation, at, counters::LABEL, l))
        .collect()
}

/// What deciding about a customer message counts: its triage categories and escalation, and a handoff.
pub fn decision_counters(
    tenant: &str,
    conversation: u64,
    at: DateTime<Utc>,
    triage: &Value,
    handed_off: bool,
) -> Vec<CounterInc> {
    let mut out: Vec<CounterInc> = triage["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|c| CounterInc::one(tenant, conversation, at, counters::TRIAGE_CATEGORY, c))
        .collect();
    if let Some(reason) = triage["escalate"].as_str() {
        out.push(CounterInc::one(
            tenant,
            conversation,
            at,
            counters::ESCALATION,
            reason,
        ));
    }
    if handed_off {
        out.push(CounterInc::one(
            tenant,
            conversation,
            at,
            counters::HANDOFF,
            "",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(json: &str) -> Webhook {
        Webhook::parse(json.as_bytes()).expect("webhook")
    }

    #[test]
    fn times_in_both_of_chatwoots_formats() {
        let iso = time_of(Some(&Value::from("2026-05-12T09:21:05.349Z"))).expect("ISO time");
        let unix = time_of(Some(&serde_json::json!(1778577665.349))).expect("unix time");
        assert_eq!(iso, unix);
    }

    #[test]
    fn own_messages_are_the_bot_and_users_are_agents() {
        let own = hook(
            r#"{"event":"message_created","id":5,"message_type":"outgoing","source_id":"cwp:x#0",
                "sender":{"id":17,"type":"user"},"conversation":{"id":9}}"#,
        );
        assert_eq!(
            message_event(&own),
            Some(Event::Message {
                sender: Sender::Bot,
                private: false
            })
        );
        let agent = hook(
            r#"{"event":"message_created","id":6,"message_type":"outgoing","private":true,
                "sender":{"id":17,"type":"user"},"conversation":{"id":9}}"#,
        );
        assert_eq!(
            message_event(&agent),
            Some(Event::Message {
                sender: Sender::Agent(17),
                private: true
            })
        );
        let automation = hook(
            r#"{"event":"message_created","id":7,"message_type":"outgoing","conversation":{"id":9}}"#,
        );
        assert_eq!(
            message_event(&automation),
            Some(Event::Message {
                sender: Sender::Automation,
                private: false
            })
        );
    }

    #[test]
    fn a_csat_answer_is_read_from_the_updated_survey() {
        let answer = hook(
            r#"{"event":"message_updated","id":77,"message_type":"template","content_type":"input_csat",
                "content_attributes":{"submitted_values":{"csat_survey_response":{"rating":4,
                "feedback_message":"quick"}}},"conversation":{"id":9}}"#,
        );
        assert_eq!(
            csat_answer(&answer),
            Some(Event::CsatResponse {
                message_id: 77,
                rating: 4,
                feedback: Some("quick".into())
            })
        );
    }
}
