#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use cwctl::{CliError, Exit};

use crate::support::TestEnv;

fn demo_kb() -> String {
    format!("{}/../demo/kb", env!("CARGO_MANIFEST_DIR"))
}

async fn add_tenant(env: &TestEnv, id: &str) {
    env.ok(&[
        "tenants",
        "add",
        id,
        "--chatwoot-url",
        "http://chat.test",
        "--account-id",
        "1",
        "--api-token",
        "tok",
    ])
    .await;
}

#[tokio::test]
async fn importing_twice_changes_nothing_and_prune_removes_what_the_source_dropped() {
    let env = TestEnv::new().await;
    add_tenant(&env, "acme").await;
    let demo = demo_kb();

    let out = env.ok(&["kb", "import", "--tenant", "acme", &demo]).await;
    assert!(
        out.contains("acme: 9 added, 0 updated, 0 unchanged, 0 removed"),
        "{out}"
    );
    assert!(out.contains("added   billing-double-charge"), "{out}");
    let out = env.ok(&["kb", "import", "--tenant", "acme", &demo]).await;
    assert_eq!(out, "acme: 0 added, 0 updated, 9 unchanged, 0 removed\n");

    // A JSON Lines source that changes one article, adds one and drops the rest.
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("kb.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"id":"opening-hours","title":"Opening hours","body":"Monday to Saturday, 8:00-20:00.","language":"en"}"#,
            "\n",
            r#"{"id":"gift-cards","title":"Gift cards","body":"Gift cards are valid for two years.","url":"https://help.acme.example/gift"}"#,
            "\n"
        ),
    )
    .unwrap();
    let path = jsonl.display().to_string();
    let out = env
        .ok(&[
            "kb",
            "import",
            "--tenant",
            "acme",
            &path,
            "--prune",
            "--dry-run",
        ])
        .await;
    assert!(out.starts_with("CHANGE"), "{out}");
    assert!(
        out.contains("dry run, nothing changed; acme: 1 added, 1 updated, 0 unchanged, 8 removed"),
        "{out}"
    );
    assert!(env
        .ok(&["kb", "list", "--tenant", "acme"])
        .await
        .contains("9 articles"));

    let out = env
        .ok(&[
            "kb", "import", "--tenant", "acme", &path, "--prune", "--json",
        ])
        .await;
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["added"], serde_json::json!(["gift-cards"]));
    assert_eq!(report["updated"], serde_json::json!(["opening-hours"]));
    assert_eq!(report["removed"].as_array().unwrap().len(), 8);
    let listed = env.ok(&["kb", "list", "--tenant", "acme", "--json"]).await;
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    let ids: Vec<&str> = listed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gift-cards", "opening-hours"]);
}

#[tokio::test]
async fn search_shows_scores_and_the_reply_in_the_questions_language() {
    let env = TestEnv::new().await;
    add_tenant(&env, "acme").await;
    env.ok(&["kb", "import", "--tenant", "acme", &demo_kb()])
        .await;

    let out = env
        .ok(&[
            "kb",
            "search",
            "--tenant",
            "acme",
            "I was charged twice for my invoice",
        ])
        .await;
    assert!(
        out.starts_with("language en, answering from a score of 0.50"),
        "{out}"
    );
    let first = out.lines().nth(2).unwrap();
    assert!(
        first.contains("yes") && first.contains("billing-double-charge"),
        "{out}"
    );
    assert!(
        out.contains("reply:\nI was charged twice (duplicate charge on my invoice)"),
        "{out}"
    );
    assert!(
        out.contains("https://help.acme.example/articles/duplicate-charge"),
        "{out}"
    );

    let out = env
        .ok(&[
            "kb",
            "search",
            "--tenant",
            "acme",
            "¿Dónde está mi pedido? No me llega",
            "--json",
        ])
        .await;
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["language"], "es");
    assert_eq!(json["hits"][0]["id"], "envios-seguimiento");
    assert!(json["hits"][0]["score"].as_f64().unwrap() >= 0.5, "{json}");

    let out = env
        .ok(&[
            "kb",
            "search",
            "--tenant",
            "acme",
            "Do you sell gift cards for my grandmother?",
        ])
        .await;
    assert!(out.contains("the worker would hand off"), "{out}");
}

#[tokio::test]
async fn import_refuses_bad_sources_unknown_tenants_and_missing_keys() {
    let env = TestEnv::new().await;
    add_tenant(&env, "acme").await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.md"),
        "---\ntitle: A\nlanguage: ??\n---\nbody",
    )
    .unwrap();
    let path = dir.path().display().to_string();
    let (result, _) = env.run(&["kb", "import", "--tenant", "acme", &path]).await;
    match result {
        Err(CliError::Invalid(message)) => {
            assert!(
                message.contains("a.md") && message.contains("not a language code"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    let demo = demo_kb();
    let (result, _) = env
        .run(&["kb", "import", "--tenant", "nobody", &demo])
        .await;
    assert!(matches!(result, Err(CliError::NotFound(_))), "{result:?}");
    let (result, _) = env
        .run_with_key(None, &["kb", "import", "--tenant", "acme", &demo])
        .await;
    assert!(
        matches!(result, Err(CliError::Unauthorized(_))),
        "{result:?}"
    );
    // Reading needs no key.
    let (result, _) = env
        .run_with_key(None, &["kb", "list", "--tenant", "acme"])
        .await;
    assert!(matches!(result, Ok(Exit::Success)), "{result:?}");
}

#[tokio::test]
async fn tenants_add_refuses_invalid_ai_settings_naming_the_key() {
    let env = TestEnv::new().await;
    let (result, _) = env
        .run(&[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "http://chat.test",
            "--account-id",
            "1",
            "--api-token",
            "tok",
            "--settings",
            r#"{"responder":"llm","llm":{"base_url":"http://llm.test/v1","model":"m","timeout_ms":5}}"#,
        ])
        .await;
    match result {
        Err(CliError::Invalid(message)) => assert_eq!(
            message,
            "--settings: settings.llm.timeout_ms: must be between 100 and 60000 (got 5)"
        ),
        other => panic!("{other:?}"),
    }
}
