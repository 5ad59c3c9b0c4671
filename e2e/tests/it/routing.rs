//! Triage and routing end to end: rules act in Chatwoot through the dispatcher; handoff is done right.

use std::time::Duration;

use e2e::{customer_message, eventually, Env, Service, ACCOUNT_ID, TENANT};

/// The default rules with settings fit for the simulator (team 2 exists there) and business hours chosen by
/// the test, so nothing depends on when the test runs.
pub(crate) fn default_rules(always_open: bool) -> String {
    let hours = if always_open {
        "business_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nbusiness_hours = \"00:00-23:59\""
    } else {
        "business_days = []\nbusiness_hours = \"09:00-17:00\""
    };
    worker::rules::DEFAULT_RULES
        .replace(
            "business_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nbusiness_hours = \"09:00-17:00\"",
            hours,
        )
        .replace("escalation_team = 1", "escalation_team = 2")
}

struct Pipeline {
    env: Env,
    services: Vec<Service>,
}

impl Pipeline {
    async fn start(rules: &str) -> (Self, Service) {
        let env = Env::new().await;
        env.write_rules(TENANT, rules);
        let ingress = env.start_ingress(&[]).await;
        let services = vec![env.start_worker(&[]).await, env.start_dispatcher(&[]).await];
        (Self { env, services }, ingress)
    }

    async fn stop(self, ingress: Service) {
        ingress.stop().await.unwrap();
        for service in self.services {
            service.stop().await.unwrap();
        }
        self.env.cleanup().await;
    }

    fn calls(&self, method: &str, suffix: &str) -> Vec<serde_json::Value> {
        self.env
            .sim
            .requests_matching(method, suffix)
            .iter()
            .filter(|r| r.status == Some(200))
            .filter_map(|r| r.body_json())
            .collect()
    }

    fn public_replies(&self, conversation: u64) -> Vec<String> {
        self.calls("POST", &format!("/conversations/{conversation}/messages"))
            .iter()
            .filter(|b| b["private"] == false)
            .map(|b| b["content"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    async fn processed(&self, n: i64) {
        let env = &self.env;
        assert!(
            eventually(Duration::from_secs(20), || async {
                env.count("SELECT count(*) FROM processed_events").await >= n
            })
            .await,
            "{n} events not processed"
        );
    }

    /// Waits until the dispatcher has nothing left to deliver.
    async fn settled(&self) {
        let env = &self.env;
        let actions = env.topology().actions_stream();
        assert!(
            eventually(Duration::from_secs(20), || async {
                let published = env.stream_len(&actions).await as i64;
                env.count("SELECT count(*) FROM dispatched_actions WHERE state = 'delivered'")
                    .await
                    == published
            })
            .await,
            "actions not delivered"
        );
    }
}

#[tokio::test]
async fn a_german_legal_threat_is_escalated_without_a_bot_reply() {
    let (p, ingress) = Pipeline::start(&default_rules(true)).await;
    let text =
        "Sie haben mir ein gebrauchtes Getriebe als neu verkauft. Mein Anwalt wird Sie verklagen, \
                wenn ich bis Freitag kein Geld zurückbekomme.";
    let (status, _) = p
        .env
        .send(
            &ingress,
            TENANT,
            &customer_message(text, 5001, 2001, &["kunde"]),
            "l1",
        )
        .await;
    assert_eq!(status, 202);
    p.processed(1).await;
    p.settled().await;

    let labels = p.calls("POST", "/conversations/2001/labels");
    assert_eq!(labels.len(), 1, "{labels:?}");
    let set: Vec<&str> = labels[0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for wanted in ["escalation", "legal"] {
        assert!(set.contains(&wanted), "{set:?}");
    }
    assert_eq!(
        p.calls("POST", "/conversations/2001/toggle_priority")[0]["priority"],
        "urgent"
    );
    assert_eq!(
        p.calls("POST", "/conversations/2001/assignments")[0]["team_id"],
        2
    );
    let notes: Vec<_> = p
        .calls("POST", "/conversations/2001/messages")
        .into_iter()
        .filter(|b| b["private"] == true)
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["content"].as_str().unwrap().contains("legal"),
        "{notes:?}"
    );
    assert!(
        p.public_replies(2001).is_empty(),
        "the bot must not answer: {:?}",
        p.public_replies(2001)
    );
    assert_eq!(p.env.sim.team(ACCOUNT_ID, 2001), Some(2));
    assert_eq!(
        p.env.sim.priority(ACCOUNT_ID, 2001).as_deref(),
        Some("urgent")
    );

    // The bot stays silent afterwards too.
    p.env
        .send(
            &ingress,
            TENANT,
            &customer_message("Hallo? Antwort bitte.", 5002, 2001, &[]),
            "l2",
        )
        .await;
    p.processed(2).await;
    p.settled().await;
    assert!(p.public_replies(2001).is_empty());
    p.stop(ingress).await;
}

#[tokio::test]
async fn asking_for_a_human_in_spanish_hands_off_once_and_silences_the_bot() {
    let (p, ingress) = Pipeline::start(&default_rules(true)).await;
    let send = |text: &'static str, id: u64| {
        let env = &p.env;
        let ingress = &ingress;
        async move {
            env.send(
                ingress,
                TENANT,
                &customer_message(text, id, 2002, &[]),
                &format!("h{id}"),
            )
            .await
        }
    };
    send("Hola, quiero hablar con una persona, por favor.", 6001).await;
    p.processed(1).await;
    p.settled().await;
    let replies = p.public_replies(2002);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].contains("te paso"),
        "a Spanish handoff message: {replies:?}"
    );
    assert_eq!(p.env.sim.status(ACCOUNT_ID, 2002).as_deref(), Some("open"));
    let labels = p.calls("POST", "/conversations/2002/labels");
    assert!(labels[0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "handoff"));

    send("¿Hola? ¿Hay alguien?", 6002).await;
    send("Necesito ayuda con mi pedido", 6003).await;
    p.processed(3).await;
    p.settled().await;
    assert_eq!(
        p.public_replies(2002).len(),
        1,
        "no bot replies after the handoff"
    );
    p.stop(ingress).await;
}

#[tokio::test]
async fn after_hours_gets_exactly_one_after_hours_reply() {
    let (p, ingress) = Pipeline::start(&default_rules(false)).await;
    for (i, text) in [
        "Hi, where is my order?",
        "Hello??",
        "Anyone there? I need the tracking number.",
    ]
    .iter()
    .enumerate()
    {
        let id = 7001 + i as u64;
        p.env
            .send(
                &ingress,
                TENANT,
                &customer_message(text, id, 2003, &[]),
                &format!("a{id}"),
            )
            .await;
        p.processed(i as i64 + 1).await;
    }
    p.settled().await;
    let after_hours: Vec<String> = p
        .public_replies(2003)
        .into_iter()
        .filter(|r| r.contains("offline right now"))
        .collect();
    assert_eq!(after_hours.len(), 1, "{:?}", p.public_replies(2003));
    let labels = p.calls("POST", "/conversations/2003/labels");
    assert!(labels.iter().all(|b| b["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "after-hours")));
    p.stop(ingress).await;
}

#[tokio::test]
async fn a_labels_rule_keeps_the_labels_the_conversation_had() {
    let rules = r#"
[[rules]]
name = "tag-billing"
priority = 10
when.keywords = ["invoice"]
then.add_labels = ["billing-question"]
"#;
    let (p, ingress) = Pipeline::start(rules).await;
    // An agent labelled the conversation in Chatwoot before.
    let preset = p
        .env
        .http
        .post(format!(
            "{}/api/v1/accounts/{ACCOUNT_ID}/conversations/2004/labels",
            p.env.sim.base_url()
        ))
        .header("api_access_token", e2e::API_TOKEN)
        .json(&serde_json::json!({ "labels": ["vip-customer"] }))
        .send()
        .await
        .unwrap();
    assert!(preset.status().is_success());
    p.env
        .send(
            &ingress,
            TENANT,
            &customer_message(
                "Where is my invoice for May?",
                8001,
                2004,
                &["vip-customer"],
            ),
            "b1",
        )
        .await;
    p.processed(1).await;
    p.settled().await;
    assert_eq!(
        p.env.sim.labels(ACCOUNT_ID, 2004),
        vec!["vip-customer", "billing-question"]
    );
    p.stop(ingress).await;
}

#[tokio::test]
async fn a_malformed_rules_file_is_refused_and_the_previous_rules_stay_active() {
    let good = "[[rules]]\nname = \"tag\"\npriority = 1\nwhen.keywords = [\"refund\"]\nthen.add_labels = [\"refund\"]\n";
    let (p, ingress) = Pipeline::start(good).await;
    p.env
        .send(
            &ingress,
            TENANT,
            &customer_message("I want a refund", 9001, 2005, &[]),
            "r1",
        )
        .await;
    p.processed(1).await;
    p.settled().await;
    p.env
        .write_rules(TENANT, "[[rules]]\nname = \"tag\"\npriority = \"high\"\n");
    let book =
        worker::rules::RuleBook::new(Some(p.env.rules_dir.path().to_owned()), Duration::ZERO);
    let error = book.error(TENANT).expect("refused").to_string();
    assert!(
        error.contains("rule `tag`") && error.contains("priority"),
        "{error}"
    );

    p.env
        .send(
            &ingress,
            TENANT,
            &customer_message("refund please", 9002, 2006, &[]),
            "r2",
        )
        .await;
    p.processed(2).await;
    p.settled().await;
    assert_eq!(
        p.env.sim.labels(ACCOUNT_ID, 2006),
        vec!["refund"],
        "previous rules still active"
    );
    p.stop(ingress).await;
}

#[tokio::test]
async fn a_breached_first_reply_sla_is_flagged_once_with_many_workers() {
    let rules =
        default_rules(true).replace("first_reply_sla = \"30m\"", "first_reply_sla = \"1s\"");
    let (mut p, ingress) = Pipeline::start(&rules).await;
    p.services.push(p.env.start_worker(&[]).await);
    p.env
        .send(
            &ingress,
            TENANT,
            &customer_message("Where is my parcel?", 9101, 2007, &[]),
            "s1",
        )
        .await;
    let env = &p.env;
    assert!(
        eventually(Duration::from_secs(20), || async {
            env.sim
                .labels(ACCOUNT_ID, 2007)
                .iter()
                .any(|l| l == "sla-breached")
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let notes: Vec<_> = p
        .calls("POST", "/conversations/2007/messages")
        .into_iter()
        .filter(|b| {
            b["private"] == true && b["content"].as_str().unwrap_or_default().contains("SLA")
        })
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    p.stop(ingress).await;
}
