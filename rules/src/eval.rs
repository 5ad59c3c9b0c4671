//! Evaluating a tenant's rules against one customer message.

use chrono::{DateTime, Datelike, Utc};
use proto::Priority;
use triage::Triage;

use super::compile::{Reply, Rule, RuleSet};

/// What the rules can look at.
#[derive(Debug)]
pub struct RuleInput<'a> {
    pub triage: &'a Triage,
    pub text: &'a str,
    pub inbox_id: Option<u64>,
    pub channel: Option<&'a str>,
    pub contact_attributes: Option<&'a serde_json::Value>,
    pub assigned: bool,
    pub now: DateTime<Utc>,
}

/// The combined effect of every rule that fired, in priority order.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub fired: Vec<String>,
    pub labels: Vec<String>,
    /// The highest-priority rule that sets a priority wins; likewise for assignment.
    pub priority: Option<Priority>,
    pub assign_agent: Option<u64>,
    pub assign_team: Option<u64>,
    /// (rule name, agents) of the first round-robin rule.
    pub round_robin: Option<(String, Vec<u64>)>,
    pub open: bool,
    pub notes: Vec<String>,
    /// (rule name, reply, at most once per conversation)
    pub replies: Vec<(String, String, bool)>,
    pub stop_bot: bool,
}

pub fn evaluate(rules: &RuleSet, input: &RuleInput<'_>) -> Evaluation {
    let mut out = Evaluation::default();
    let text = input.text.to_lowercase();
    for rule in &rules.rules {
        if !matches(rule, rules, input, &text) {
            continue;
        }
        out.fired.push(rule.name.clone());
        let a = &rule.actions;
        for label in &a.add_labels {
            let label = fill(label, input.triage);
            if !label.is_empty() && !out.labels.contains(&label) {
                out.labels.push(label);
            }
        }
        out.priority = out.priority.or(a.priority);
        if out.assign_agent.is_none() && out.round_robin.is_none() {
            out.assign_agent = a.assign_agent;
            if out.assign_agent.is_none() && !a.round_robin.is_empty() {
                out.round_robin = Some((rule.name.clone(), a.round_robin.clone()));
            }
        }
        out.assign_team = out.assign_team.or(a.assign_team);
        out.open |= a.open;
        out.stop_bot |= a.stop_bot;
        if let Some(note) = &a.private_note {
            out.notes.push(fill(note, input.triage));
        }
        if let Some(reply) = &a.reply {
            let text = match reply {
                Reply::Text(text) => Some(text.clone()),
                Reply::Message(name) => rules
                    .message(name, &input.triage.language)
                    .map(str::to_owned),
            };
            if let Some(text) = text {
                out.replies
                    .push((rule.name.clone(), text, a.once_per_conversation));
            }
        }
        if a.stop {
            break;
        }
    }
    out
}

fn matches(rule: &Rule, rules: &RuleSet, input: &RuleInput<'_>, text: &str) -> bool {
    let when = &rule.when;
    let triage = input.triage;
    let any = |wanted: &Option<Vec<String>>, have: &[&str]| {
        wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|v| have.contains(&v.as_str())))
    };
    let escalate = triage.escalate.as_ref().map(escalation_name);
    let categories: Vec<&str> = triage.categories.iter().map(String::as_str).collect();
    any(&when.escalate, escalate.as_slice())
        && when.urgent.is_none_or(|u| u == triage.urgent)
        && when.handoff.is_none_or(|h| h == triage.handoff)
        && any(&when.categories, &categories)
        && any(&when.language, &[triage.language.as_str()])
        && any(&when.sentiment, &[sentiment_name(&triage.sentiment)])
        && (rule.keywords.is_empty() || rule.keywords.iter().any(|k| contains_phrase(text, k)))
        && rule.regex.as_ref().is_none_or(|r| r.is_match(input.text))
        && when
            .inbox
            .as_ref()
            .is_none_or(|inboxes| input.inbox_id.is_some_and(|i| inboxes.contains(&i)))
        && when.channel.as_ref().is_none_or(|channels| {
            input
                .channel
                .is_some_and(|c| channels.iter().any(|w| w == c))
        })
        && when.contact.as_ref().is_none_or(|wanted| {
            wanted.iter().all(|(key, value)| {
                input
                    .contact_attributes
                    .and_then(|attrs| attrs.get(key))
                    .is_some_and(|have| same_value(value, have))
            })
        })
        && when
            .business_hours
            .is_none_or(|b| b == in_business_hours(rules, input.now))
        && when.unassigned.is_none_or(|u| u != input.assigned)
}

fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn same_value(wanted: &toml::Value, have: &serde_json::Value) -> bool {
    match (wanted, have) {
        (toml::Value::Boolean(w), serde_json::Value::Bool(h)) => w == h,
        (toml::Value::Integer(w), serde_json::Value::Number(h)) => h.as_i64() == Some(*w),
        (toml::Value::String(w), serde_json::Value::String(h)) => w.eq_ignore_ascii_case(h),
        // Chatwoot custom attributes are often strings ("true", "42"); compare as text.
        (w, serde_json::Value::String(h)) => {
            w.to_string().trim_matches('"').eq_ignore_ascii_case(h)
        }
        _ => false,
    }
}

/// Whether `now` falls in the tenant's business hours (an end before the start spans midnight).
pub fn in_business_hours(rules: &RuleSet, now: DateTime<Utc>) -> bool {
    let s = &rules.settings;
    let local = now.with_timezone(&s.timezone);
    let time = local.time();
    if !s.business_days.contains(&local.weekday()) {
        return false;
    }
    if s.opens <= s.closes {
        time >= s.opens && time < s.closes
    } else {
        time >= s.opens || time < s.closes
    }
}

fn fill(template: &str, triage: &Triage) -> String {
    template
        .replace(
            "{escalate}",
            triage.escalate.as_ref().map(escalation_name).unwrap_or(""),
        )
        .replace("{language}", &triage.language)
        .replace("{categories}", &triage.categories.join(", "))
}

pub fn escalation_name(escalation: &triage::Escalation) -> &'static str {
    match escalation {
        triage::Escalation::Legal => "legal",
        triage::Escalation::Fraud => "fraud",
    }
}

pub fn sentiment_name(sentiment: &triage::Sentiment) -> &'static str {
    match sentiment {
        triage::Sentiment::Positive => "positive",
        triage::Sentiment::Neutral => "neutral",
        triage::Sentiment::Negative => "negative",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn triage(escalate: Option<triage::Escalation>, urgent: bool) -> Triage {
        Triage {
            language: "de".into(),
            categories: vec!["returns".into()],
            urgent,
            escalate,
            handoff: false,
            sentiment: triage::Sentiment::Negative,
        }
    }

    fn input<'a>(t: &'a Triage, attrs: Option<&'a serde_json::Value>, hour: u32) -> RuleInput<'a> {
        RuleInput {
            triage: t,
            text: "Ich werde meinen Anwalt einschalten",
            inbox_id: Some(7),
            channel: Some("Channel::WebWidget"),
            contact_attributes: attrs,
            assigned: false,
            // A Wednesday.
            now: Utc
                .with_ymd_and_hms(2026, 11, 18, hour, 0, 0)
                .single()
                .expect("valid time"),
        }
    }

    #[test]
    fn legal_escalation_fires_the_escalation_and_after_hours_rules_in_order() {
        let rules = RuleSet::parse(super::super::DEFAULT_RULES).expect("valid");
        let t = triage(Some(triage::Escalation::Legal), false);
        let out = evaluate(&rules, &input(&t, None, 20));
        assert_eq!(out.fired, vec!["escalate-legal-and-fraud", "after-hours"]);
        assert_eq!(out.labels, vec!["escalation", "legal", "after-hours"]);
        assert_eq!(out.priority, Some(Priority::Urgent));
        assert_eq!(out.assign_team, Some(1));
        assert!(out.stop_bot);
        assert!(out.notes[0].contains("legal"));
        assert!(
            out.replies[0].1.contains("Geschäftszeiten"),
            "German after-hours text"
        );
    }

    #[test]
    fn vip_and_business_hours_conditions() {
        let rules = RuleSet::parse(super::super::DEFAULT_RULES).expect("valid");
        let t = triage(None, true);
        let vip = serde_json::json!({ "vip": true });
        let out = evaluate(&rules, &input(&t, Some(&vip), 10));
        assert_eq!(
            out.fired,
            vec![
                "prioritise-urgent",
                "prioritise-vip",
                "auto-assign-in-business-hours"
            ]
        );
        assert_eq!(
            out.priority,
            Some(Priority::Urgent),
            "the higher rule's priority wins"
        );
        let not_vip = serde_json::json!({ "vip": "false" });
        let out = evaluate(&rules, &input(&t, Some(&not_vip), 10));
        assert!(!out.fired.contains(&"prioritise-vip".to_owned()));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(contains_phrase("i want a refund now", "refund"));
        assert!(!contains_phrase("refunded already", "refund"));
    }
}
