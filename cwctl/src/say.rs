//! `cwctl say`: talk to a running pipeline as Chatwoot would, without writing HMAC code. A line of text becomes a
//! signed `message_created` webhook from the customer (or, when it starts with `/`, such as `/approve` or
//! `/reject`, an agent's private note) posted to the ingress; the command then waits until the pipeline has
//! processed it and delivered what it decided, and prints the message's triage and what Chatwoot received.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use proto::{Action, ActionKind};

use crate::{CliError, Context, Exit};

#[derive(Debug, Args)]
pub struct SayArgs {
    /// The tenant whose webhook secret signs the message.
    #[arg(long, default_value = "demo")]
    pub tenant: String,
    /// Where the ingress listens.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub ingress: String,
    /// The conversation (its display id). Default: the tenant's most recent one, or a new one with --new.
    #[arg(long)]
    pub conversation: Option<u64>,
    /// Start a new conversation.
    #[arg(long, conflicts_with = "conversation")]
    pub new: bool,
    /// Send the text as the agent's private note even when it does not start with `/`.
    #[arg(long)]
    pub note: bool,
    /// How long to wait for the pipeline to finish with the message.
    #[arg(long, default_value = "20s", value_parser = infra::config::parse_duration)]
    pub wait: Duration,
    /// What the customer writes, or `/approve`, `/approve <edited text>`, `/reject <reason>`.
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
}

pub async fn run(args: SayArgs, ctx: &mut Context, out: &mut impl Write) -> Result<Exit, CliError> {
    let text = args.text.join(" ");
    let admin = ctx.admin().await?;
    let pool = ctx.pool().await?;
    let tenants = infra::TenantStore::new(pool.clone(), admin.secret_box().clone());
    let tenant = tenants
        .get(&args.tenant)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("no tenant `{}`", args.tenant)))?;
    let client = pool.get().await?;
    let conversation = match args.conversation {
        Some(id) => id,
        None => {
            let row = client
                .query_one(
                    "SELECT COALESCE(max(conversation_id), 1041)::bigint,
                            (SELECT conversation_id FROM conversations WHERE tenant = $1
                             ORDER BY last_event_at DESC NULLS LAST LIMIT 1)
                     FROM conversations WHERE tenant = $1",
                    &[&tenant.id.as_str()],
                )
                .await?;
            let (highest, latest): (i64, Option<i64>) = (row.get(0), row.get(1));
            let id = match latest {
                Some(latest) if !args.new => latest,
                _ => highest + 1,
            };
            u64::try_from(id).unwrap_or(1042)
        }
    };
    // Unique enough for a person typing: milliseconds since 2026 (Chatwoot ids are plain integers).
    let message_id = u64::try_from(chrono::Utc::now().timestamp_millis() - 1_767_225_600_000)
        .unwrap_or(1)
        .max(1);
    let agent = args.note || text.starts_with('/');
    let body = if agent {
        chatwoot::sample::agent_note(&text, message_id, conversation)
    } else {
        chatwoot::sample::customer_message(&text, message_id, conversation, &[])
    };
    let who = if agent {
        "agent's private note"
    } else {
        "customer"
    };
    writeln!(out, "{who} in conversation {conversation}: {text}")?;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::Invalid(format!("HTTP client: {e}")))?;
    let sim_url = format!("{}/__sim/requests", tenant.chatwoot_base_url);
    let sim_before = sim_requests(&http, &sim_url).await.map(|r| {
        r.iter()
            .filter_map(|r| r["seq"].as_u64())
            .max()
            .unwrap_or(0)
    });

    let timestamp = chrono::Utc::now().timestamp();
    let mut request = http
        .post(format!(
            "{}/webhooks/chatwoot/{}",
            args.ingress.trim_end_matches('/'),
            tenant.id
        ))
        .header("Content-Type", "application/json")
        .header("X-Chatwoot-Delivery", uuid::Uuid::new_v4().to_string())
        .body(body.clone());
    if let Some(secret) = &tenant.webhook_secret {
        request = request
            .header("X-Chatwoot-Timestamp", timestamp.to_string())
            .header(
                "X-Chatwoot-Signature",
                chatwoot::sign(secret.expose().as_bytes(), timestamp, &body),
            );
    }
    let response = request.send().await.map_err(|e| {
        CliError::Invalid(format!(
            "the ingress at {} does not answer: {e}",
            args.ingress
        ))
    })?;
    let status = response.status();
    let answer = response.text().await.unwrap_or_default();
    if !status.is_success() {
        writeln!(out, "the ingress refused it: {status} {answer}")?;
        return Ok(Exit::Incomplete);
    }

    let event_key = format!("{}:message_created:{message_id}", tenant.id);
    let settled = wait_until_settled(&client, &event_key, args.wait).await?;
    if let Some(triage) = client
        .query_opt(
            "SELECT triage FROM messages WHERE tenant = $1 AND message_id = $2",
            &[
                &tenant.id.as_str(),
                &i64::try_from(message_id).unwrap_or(i64::MAX),
            ],
        )
        .await?
        .and_then(|row| row.get::<_, Option<serde_json::Value>>(0))
    {
        writeln!(out, "triage: {}", describe_triage(&triage))?;
    }
    let actions = recorded_actions(&client, &event_key).await?;
    match sim_before {
        Some(before) => {
            let requests = sim_requests(&http, &sim_url).await.unwrap_or_default();
            let mine: Vec<&serde_json::Value> = requests
                .iter()
                .filter(|r| r["seq"].as_u64().is_some_and(|seq| seq > before))
                .filter(|r| {
                    r["path"]
                        .as_str()
                        .is_some_and(|p| p.contains(&format!("/conversations/{conversation}")))
                })
                .collect();
            writeln!(out, "the simulated Chatwoot received:")?;
            if mine.is_empty() {
                writeln!(out, "  nothing")?;
            }
            for request in mine {
                writeln!(out, "  {}", describe_request(request))?;
            }
        }
        None => {
            writeln!(out, "the pipeline sent Chatwoot:")?;
            if actions.is_empty() {
                writeln!(out, "  nothing")?;
            }
            for action in &actions {
                writeln!(out, "  {}", crate::rules_cmd::describe(action))?;
            }
        }
    }
    if !settled {
        writeln!(
            out,
            "(not finished within {:?}: see the services' logs)",
            args.wait
        )?;
        return Ok(Exit::Incomplete);
    }
    if actions
        .iter()
        .any(|a| matches!(a, ActionKind::PrivateNote { content } if content.contains("AI draft #")))
    {
        writeln!(
            out,
            "next: cwctl say /approve   (or /approve <edited text>, /reject <reason>)"
        )?;
    }
    Ok(Exit::Success)
}

/// Waits until the event is processed and each of its actions delivered (or dead-lettered).
async fn wait_until_settled(
    client: &deadpool_postgres::Client,
    event_key: &str,
    wait: Duration,
) -> Result<bool, CliError> {
    let deadline = Instant::now() + wait;
    loop {
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM processed_events WHERE event_key = $1),
                        (SELECT count(*) FROM processed_events pe, unnest(pe.action_ids) AS a(action_id)
                         WHERE pe.event_key = $1
                           AND NOT EXISTS (SELECT 1 FROM dispatched_actions d
                                           WHERE d.action_id = a.action_id
                                             AND d.state IN ('delivered', 'dead')))",
                &[&event_key],
            )
            .await?;
        let (processed, undelivered): (bool, i64) = (row.get(0), row.get(1));
        if processed && undelivered == 0 {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn recorded_actions(
    client: &deadpool_postgres::Client,
    event_key: &str,
) -> Result<Vec<ActionKind>, CliError> {
    let rows = client
        .query(
            "SELECT actions FROM processed_events WHERE event_key = $1",
            &[&event_key],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.get::<_, Option<&[u8]>>(0))
        .flat_map(|encoded| infra::outbox::decode(encoded).unwrap_or_default())
        .filter_map(|payload| Action::decode(payload.as_slice()).ok())
        .map(|action| action.kind)
        .collect())
}

/// The simulator's recorded requests, or `None` when the tenant's Chatwoot is not the simulator.
async fn sim_requests(http: &reqwest::Client, url: &str) -> Option<Vec<serde_json::Value>> {
    let response = http.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

fn describe_request(request: &serde_json::Value) -> String {
    let method = request["method"].as_str().unwrap_or("?");
    let path = request["path"].as_str().unwrap_or("?");
    let status = request["status"]
        .as_u64()
        .map_or("no answer".to_owned(), |s| s.to_string());
    let body: serde_json::Value = request["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    let what = match (body["content"].as_str(), body["private"].as_bool()) {
        (Some(content), Some(true)) => format!("private note:\n    {}", indent(content)),
        (Some(content), _) => format!("public message:\n    {}", indent(content)),
        _ if body.is_null() => String::new(),
        _ => body.to_string(),
    };
    format!("{method} {path} -> {status} {what}")
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n    ")
}

fn describe_triage(triage: &serde_json::Value) -> String {
    let categories = triage["categories"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let escalate = triage["escalate"].as_str().unwrap_or("none");
    format!(
        "language {}, categories [{}], sentiment {}, urgent {}, escalate {}, handoff {}",
        triage["language"].as_str().unwrap_or("?"),
        categories,
        triage["sentiment"].as_str().unwrap_or("?"),
        triage["urgent"],
        escalate,
        triage["handoff"],
    )
}
