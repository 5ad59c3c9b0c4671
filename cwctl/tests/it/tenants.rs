use cwctl::{CliError, Exit};
use infra::{SecretBox, TenantStore};

use crate::support::TestEnv;

fn store(env: &TestEnv) -> TenantStore {
    TenantStore::new(
        env.pool.clone(),
        SecretBox::from_base64(&env.key).expect("key"),
    )
}

#[tokio::test]
async fn tenants_are_added_listed_rotated_and_removed_without_showing_secrets() {
    let env = TestEnv::new().await;
    assert!(env.ok(&["tenants", "list"]).await.contains("no tenants"));

    let out = env
        .ok(&[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "https://chat.acme.test/",
            "--account-id",
            "7",
            "--api-token",
            "tok-secret-1",
            "--webhook-secret",
            "whsec-secret-1",
            "--settings",
            r#"{"reply_template":"Hello {name}!"}"#,
        ])
        .await;
    assert!(out.contains("tenant acme added"), "{out}");
    let out = env
        .ok(&[
            "tenants",
            "add",
            "globex",
            "--chatwoot-url",
            "http://globex.test",
            "--account-id",
            "2",
            "--api-token",
            "tok-globex",
        ])
        .await;
    assert!(
        out.contains("no webhook secret"),
        "a tenant that can receive nothing is pointed out: {out}"
    );

    // The services read what cwctl sealed.
    let acme = store(&env)
        .get("acme")
        .await
        .expect("get")
        .expect("acme exists");
    assert_eq!(acme.api_token.expose(), "tok-secret-1");
    assert_eq!(
        acme.webhook_secret.as_ref().map(|s| s.expose()),
        Some("whsec-secret-1")
    );
    assert_eq!(acme.chatwoot_base_url, "https://chat.acme.test");
    assert_eq!(acme.account_id, 7);
    assert_eq!(acme.settings["reply_template"], "Hello {name}!");

    // Listing needs no key and never prints a secret.
    let (result, table) = env.run_with_key(None, &["tenants", "list"]).await;
    assert_eq!(result.expect("list without key"), Exit::Success);
    for secret in ["tok-secret-1", "whsec-secret-1", "tok-globex"] {
        assert!(!table.contains(secret), "{table}");
    }
    let acme_line = table
        .lines()
        .find(|l| l.starts_with("acme"))
        .expect("acme listed");
    assert!(
        acme_line.contains("https://chat.acme.test") && acme_line.contains("set"),
        "{acme_line}"
    );
    let json = env.ok(&["tenants", "list", "--json"]).await;
    for secret in ["tok-secret-1", "whsec-secret-1", "tok-globex"] {
        assert!(!json.contains(secret), "{json}");
    }
    let listed: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], "acme");
    assert_eq!(listed[0]["api_token"], "set");
    assert_eq!(listed[0]["webhook_secret"], "set");
    assert_eq!(listed[1]["id"], "globex");
    assert_eq!(listed[1]["webhook_secret"], "unset");

    // Rotation changes the token only.
    let out = env
        .ok(&[
            "tenants",
            "set-token",
            "acme",
            "--api-token",
            "tok-secret-2",
        ])
        .await;
    assert!(out.contains("API token replaced"), "{out}");
    let acme = store(&env)
        .get("acme")
        .await
        .expect("get")
        .expect("acme exists");
    assert_eq!(acme.api_token.expose(), "tok-secret-2");
    assert_eq!(
        acme.webhook_secret.as_ref().map(|s| s.expose()),
        Some("whsec-secret-1")
    );
    let (result, _) = env
        .run(&["tenants", "set-token", "nobody", "--api-token", "x"])
        .await;
    let error = result.expect_err("unknown tenant");
    assert!(matches!(error, CliError::NotFound(_)), "{error}");
    assert_eq!(error.exit_code(), 3);

    // Re-adding replaces.
    let out = env
        .ok(&[
            "tenants",
            "add",
            "globex",
            "--chatwoot-url",
            "http://globex.test",
            "--account-id",
            "3",
            "--api-token",
            "tok-globex",
            "--allow-unsigned",
        ])
        .await;
    assert!(
        out.contains("tenant globex updated") && !out.contains("note:"),
        "{out}"
    );

    let out = env.ok(&["tenants", "remove", "globex"]).await;
    assert!(out.contains("tenant globex removed"), "{out}");
    assert!(store(&env).get("globex").await.expect("get").is_none());
    let (result, _) = env.run(&["tenants", "remove", "globex"]).await;
    assert!(matches!(result, Err(CliError::NotFound(_))));
}

#[tokio::test]
async fn changing_tenants_needs_the_deployments_key() {
    let env = TestEnv::new().await;
    let add = [
        "tenants",
        "add",
        "acme",
        "--chatwoot-url",
        "https://chat.acme.test",
        "--account-id",
        "7",
        "--api-token",
        "tok",
    ];
    let (result, _) = env.run_with_key(None, &add).await;
    let error = result.expect_err("no key");
    assert!(matches!(error, CliError::Unauthorized(_)), "{error}");
    assert_eq!(error.exit_code(), 77);

    // On an empty registry any valid key is accepted; it becomes the deployment's key.
    env.ok(&add).await;

    let other_key = SecretBox::generate_key();
    for args in [
        &add[..],
        &["tenants", "remove", "acme"][..],
        &["tenants", "set-token", "acme", "--api-token", "x"][..],
    ] {
        let (result, _) = env.run_with_key(Some(&other_key), args).await;
        let error = result.expect_err("another deployment's key");
        assert!(
            error.to_string().contains("not this deployment's key"),
            "{error}"
        );
        let (result, _) = env.run_with_key(None, args).await;
        assert!(matches!(result, Err(CliError::Unauthorized(_))));
    }
    let (result, _) = env.run_with_key(Some("bm90IGEga2V5"), &add).await;
    assert!(matches!(result, Err(CliError::Unauthorized(_))));
    let acme = store(&env)
        .get("acme")
        .await
        .expect("get")
        .expect("still there");
    assert_eq!(acme.api_token.expose(), "tok");
}

#[tokio::test]
async fn bad_tenant_input_is_refused_before_anything_changes() {
    let env = TestEnv::new().await;
    let cases: [&[&str]; 4] = [
        &[
            "tenants",
            "add",
            "Acme!",
            "--chatwoot-url",
            "https://x.test",
            "--account-id",
            "1",
            "--api-token",
            "t",
        ],
        &[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "x.test",
            "--account-id",
            "1",
            "--api-token",
            "t",
        ],
        &[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "https://x.test",
            "--account-id",
            "1",
            "--api-token",
            "t",
            "--settings",
            "[1]",
        ],
        &[
            "tenants",
            "add",
            "acme",
            "--chatwoot-url",
            "https://x.test",
            "--account-id",
            "1",
            "--api-token",
            " ",
        ],
    ];
    for args in cases {
        let (result, _) = env.run(args).await;
        let error = result.expect_err("invalid input");
        assert!(matches!(error, CliError::Invalid(_)), "{args:?}: {error}");
        assert_eq!(error.exit_code(), 2);
    }
    let dir = std::env::temp_dir().join(format!("cwctl-settings-{}", env.prefix));
    std::fs::write(&dir, r#"{"rules": []}"#).expect("write settings");
    let path = dir.display().to_string();
    env.ok(&[
        "tenants",
        "add",
        "acme",
        "--chatwoot-url",
        "https://x.test",
        "--account-id",
        "1",
        "--api-token",
        "t",
        "--settings-file",
        &path,
    ])
    .await;
    let _ = std::fs::remove_file(&dir);
    let acme = store(&env).get("acme").await.expect("get").expect("added");
    assert_eq!(acme.settings, serde_json::json!({"rules": []}));
}
