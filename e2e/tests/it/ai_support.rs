//! A pipeline whose test tenant has AI settings and the demo knowledge base (imported with `cwctl kb import`),
//! and what the AI tests read back: Chatwoot's messages, the `drafts` table, `cwctl` output.

use std::time::Duration;

use clap::Parser;
use e2e::{eventually, Env, Service, ACCOUNT_ID, TENANT};

/// The handoff messages the rules give (nothing else, so no rule interferes with the AI).
pub const HANDOFF_RULES: &str = r#"
[messages.handoff]
en = "Thanks, I'm passing you to a member of our team now."
es = "Gracias, te paso ahora con una persona de nuestro equipo."
"#;
pub const HANDOFF_EN: &str = "Thanks, I'm passing you to a member of our team now.";

pub struct AiPipeline {
    pub env: Env,
    pub ingress: Service,
    services: Vec<Service>,
}

/// One row of `drafts`.
#[derive(Debug, Clone)]
pub struct DraftRow {
    pub id: i64,
    pub status: String,
    pub draft_text: String,
    pub final_text: Option<String>,
    pub sources: Vec<String>,
    pub responder: String,
    pub fallback_reason: Option<String>,
    pub reason: Option<String>,
    pub decided_by_name: Option<String>,
    pub grades: [Option<i16>; 3],
}

impl AiPipeline {
    pub async fn start(settings: serde_json::Value) -> Self {
        Self::start_with_rules(settings, HANDOFF_RULES).await
    }

    /// With the tenant's own rules file instead of the handoff messages alone.
    pub async fn start_with_rules(settings: serde_json::Value, rules: &str) -> Self {
        let env = Env::new().await;
        env.write_rules(TENANT, rules);
        env.pool()
            .await
            .get()
            .await
            .unwrap()
            .execute(
                "UPDATE tenants SET settings = $2 WHERE id = $1",
                &[&TENANT, &settings],
            )
            .await
            .unwrap();
        let kb = format!("{}/../demo/kb", env!("CARGO_MANIFEST_DIR"));
        let out = cwctl(&env, &["kb", "import", "--tenant", TENANT, &kb]).await;
        assert!(out.contains("9 added"), "{out}");
        let ingress = env.start_ingress(&[]).await;
        let services = vec![env.start_worker(&[]).await, env.start_dispatcher(&[]).await];
        Self {
            env,
            ingress,
            services,
        }
    }

    pub async fn stop(self) {
        self.ingress.stop().await.unwrap();
        for service in self.services {
            service.stop().await.unwrap();
        }
        self.env.cleanup().await;
    }

    /// Sends a signed webhook; returns the ingress's `duplicate` flag.
    pub async fn send(&self, body: &[u8], delivery: &str) -> bool {
        let (status, json) = self.env.send(&self.ingress, TENANT, body, delivery).await;
        assert_eq!(status, 202, "{json}");
        json["duplicate"] == true
    }

    pub async fn customer(&self, text: &str, message_id: u64, conversation: u64) {
        let body = e2e::customer_message(text, message_id, conversation, &[]);
        self.send(&body, &format!("c{message_id}")).await;
    }

    pub async fn agent(&self, text: &str, message_id: u64, conversation: u64) {
        let body = e2e::agent_note(text, message_id, conversation);
        self.send(&body, &format!("a{message_id}")).await;
    }

    /// Waits until `n` events are processed and every action they produced is delivered.
    pub async fn settle(&self, n: i64) {
        let env = &self.env;
        assert!(
            eventually(Duration::from_secs(30), || async {
                env.count("SELECT count(*) FROM processed_events").await >= n
            })
            .await,
            "{n} events not processed"
        );
        // Recorded actions, not the stream: they are committed with the ledger row, before the publish.
        assert!(
            eventually(Duration::from_secs(30), || async {
                env.count(
                    "SELECT count(*) FROM processed_events, unnest(action_ids) AS a(action_id)
                     WHERE NOT EXISTS (SELECT 1 FROM dispatched_actions d
                                       WHERE d.action_id = a.action_id AND d.state = 'delivered')",
                )
                .await
                    == 0
            })
            .await,
            "actions not delivered"
        );
    }

    /// (private, content) of the messages Chatwoot holds in the conversation, oldest first.
    pub fn messages(&self, conversation: u64) -> Vec<(bool, String)> {
        self.env
            .sim
            .messages(ACCOUNT_ID, conversation)
            .iter()
            .map(|m| {
                (
                    m["private"] == true,
                    m["content"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub fn public(&self, conversation: u64) -> Vec<String> {
        self.with_privacy(conversation, false)
    }

    pub fn notes(&self, conversation: u64) -> Vec<String> {
        self.with_privacy(conversation, true)
    }

    fn with_privacy(&self, conversation: u64, private: bool) -> Vec<String> {
        self.messages(conversation)
            .into_iter()
            .filter(|(p, _)| *p == private)
            .map(|(_, content)| content)
            .collect()
    }

    pub async fn drafts(&self, conversation: u64) -> Vec<DraftRow> {
        let pool = self.env.pool().await;
        let client = pool.get().await.unwrap();
        client
            .query(
                "SELECT id, status, draft_text, final_text, sources, responder, fallback_reason, reason,
                        decided_by_name, grade_tone, grade_accuracy, grade_policy
                 FROM drafts WHERE tenant = $1 AND conversation_id = $2 ORDER BY id",
                &[&TENANT, &(conversation as i64)],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| DraftRow {
                id: row.get(0),
                status: row.get(1),
                draft_text: row.get(2),
                final_text: row.get(3),
                sources: row.get(4),
                responder: row.get(5),
                fallback_reason: row.get(6),
                reason: row.get(7),
                decided_by_name: row.get(8),
                grades: [row.get(9), row.get(10), row.get(11)],
            })
            .collect()
    }

    pub async fn cwctl(&self, args: &[&str]) -> String {
        cwctl(&self.env, args).await
    }
}

/// Runs `cwctl` in-process against this environment; returns what it printed.
pub async fn cwctl(env: &Env, args: &[&str]) -> String {
    let mut all = vec![
        "cwctl",
        "--nats-url",
        &env.nats_url,
        "--nats-prefix",
        &env.prefix,
        "--database-url",
        &env.database_url,
        "--secrets-key",
        &env.secrets_key,
    ];
    all.extend_from_slice(args);
    let cli = cwctl::Cli::try_parse_from(all).expect("cwctl arguments");
    let mut out = Vec::new();
    let exit = cwctl::run(cli, &mut out).await;
    let out = String::from_utf8(out).unwrap();
    assert!(
        matches!(exit, Ok(cwctl::Exit::Success)),
        "cwctl {args:?}: {exit:?}\n{out}"
    );
    out
}
