//! `cwctl rules`: check a rules file, and show which rules fire for a message and what they would do.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use proto::ActionKind;
use rules::conversation::ConversationState;
use rules::decision::{Brain, MessageContext};
use rules::{RuleBook, RuleSet};

use crate::{CliError, Exit};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate a rules file; errors name the rule and the field.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
    /// Print the default rule set (a starting point for a tenant's file).
    Defaults,
    /// Show the triage, the rules that fire for a message, and the actions they would produce. Sends nothing.
    DryRun(DryRunArgs),
}

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// The customer's message.
    #[arg(long)]
    pub text: String,
    /// Tenant whose rules to use (from --rules-dir, else the defaults).
    #[arg(long, default_value = "demo")]
    pub tenant: String,
    /// The workers' RULES_DIR.
    #[arg(long, env = "RULES_DIR")]
    pub rules_dir: Option<PathBuf>,
    /// Evaluate at this time (RFC 3339) instead of now, e.g. to try business hours.
    #[arg(long)]
    pub at: Option<String>,
    /// Contact custom attribute, `key=value` (repeatable); values `true`, `false` and numbers are typed.
    #[arg(long = "contact", value_name = "KEY=VALUE")]
    pub contact: Vec<String>,
    #[arg(long)]
    pub inbox: Option<u64>,
    #[arg(long)]
    pub channel: Option<String>,
    /// The conversation already has an assignee.
    #[arg(long)]
    pub assigned: bool,
    /// Labels the conversation already has (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
}

pub fn run(command: RulesCommand, out: &mut impl Write) -> Result<Exit, CliError> {
    match command {
        RulesCommand::Check { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Invalid(format!("cannot read {}: {e}", file.display())))?;
            let rules = RuleSet::parse(&text)
                .map_err(|e| CliError::Invalid(format!("{}: {e}", file.display())))?;
            writeln!(
                out,
                "{}: {} rules, valid",
                file.display(),
                rules.rules.len()
            )?;
            for rule in &rules.rules {
                writeln!(out, "  {:>4}  {}", rule.priority, rule.name)?;
            }
            Ok(Exit::Success)
        }
        RulesCommand::Defaults => {
            write!(out, "{}", rules::DEFAULT_RULES)?;
            Ok(Exit::Success)
        }
        RulesCommand::DryRun(args) => dry_run(args, out),
    }
}

fn dry_run(args: DryRunArgs, out: &mut impl Write) -> Result<Exit, CliError> {
    let book = RuleBook::new(args.rules_dir.clone(), Duration::ZERO);
    if let Some(error) = book.error(&args.tenant) {
        return Err(CliError::Invalid(error.to_string()));
    }
    let now = match &args.at {
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .map_err(|e| CliError::Invalid(format!("--at: {e}")))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let mut attributes = serde_json::Map::new();
    for pair in &args.contact {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Invalid(format!("--contact `{pair}` is not key=value")))?;
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
        attributes.insert(key.to_owned(), value);
    }
    let attributes = serde_json::Value::Object(attributes);
    let conversation = ConversationState {
        labels: args.labels.clone(),
        ..ConversationState::default()
    };
    let brain = Brain::new(triage::Triager::default(), book);
    let decision = brain.decide(&MessageContext {
        tenant: &args.tenant,
        text: &args.text,
        inbox_id: args.inbox,
        channel: args.channel.as_deref(),
        contact_attributes: Some(&attributes),
        assigned: args.assigned,
        conversation: &conversation,
        now,
    });
    writeln!(
        out,
        "triage: {}",
        serde_json::to_string(&decision.triage).unwrap_or_default()
    )?;
    if decision.fired.is_empty() {
        writeln!(out, "rules fired: none")?;
    } else {
        writeln!(out, "rules fired: {}", decision.fired.join(", "))?;
    }
    writeln!(out, "actions:")?;
    for action in &decision.actions {
        writeln!(out, "  - {}", describe(action))?;
    }
    if let Some((rule, agents)) = &decision.round_robin {
        writeln!(
            out,
            "  - assign the next agent of {agents:?} (round robin of rule {rule})"
        )?;
    }
    for reply in &decision.rule_replies {
        writeln!(
            out,
            "  - reply: {} (unless a confident answer goes out in auto mode)",
            reply.text
        )?;
    }
    if decision.respond {
        writeln!(out, "  - the tenant's responder answers the message")?;
    }
    if let Some(state) = decision.bot_state {
        writeln!(
            out,
            "bot: {} in this conversation from now on",
            state.as_str()
        )?;
    }
    Ok(Exit::Success)
}

/// One line for an action, as `rules dry-run` and `say` print it.
pub fn describe(action: &ActionKind) -> String {
    match action {
        ActionKind::SendMessage { content } => format!("reply: {content}"),
        ActionKind::PrivateNote { content } => format!("private note: {content}"),
        ActionKind::AddLabels { labels, .. } => format!("add labels: {}", labels.join(", ")),
        ActionKind::SetLabels { labels } => format!("set labels: {}", labels.join(", ")),
        ActionKind::Assign(proto::AssignTarget::Agent(id)) => format!("assign agent {id}"),
        ActionKind::Assign(proto::AssignTarget::Team(id)) => format!("assign team {id}"),
        ActionKind::SetStatus { status, .. } => format!("set status {}", status.as_str()),
        ActionKind::SetPriority(priority) => {
            format!("set priority {}", priority.as_str().unwrap_or("none"))
        }
    }
}
