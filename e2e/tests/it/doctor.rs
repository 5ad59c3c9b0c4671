//! `cwctl doctor` returns each documented exit code in its case.

use clap::Parser;
use e2e::{Env, ACCOUNT_ID, API_TOKEN, WEBHOOK_SECRET};

async fn doctor(env: &Env, nats_url: &str, with_key: bool) -> (u8, serde_json::Value) {
    let mut args = vec![
        "cwctl".to_owned(),
        "--nats-url".into(),
        nats_url.into(),
        "--nats-prefix".into(),
        env.prefix.clone(),
        "--database-url".into(),
        env.database_url.clone(),
    ];
    if with_key {
        args.extend(["--secrets-key".into(), env.secrets_key.clone()]);
    }
    args.extend([
        "doctor".into(),
        "--json".into(),
        "--timeout".into(),
        "2s".into(),
    ]);
    let cli = cwctl::Cli::try_parse_from(args).unwrap();
    let mut out = Vec::new();
    let code = match cwctl::run(cli, &mut out).await {
        Ok(exit) => exit.code(),
        Err(error) => panic!("doctor failed to run: {error}"),
    };
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["exit_code"], code);
    (code, report)
}

#[tokio::test]
async fn doctor_exit_codes_follow_what_is_broken() {
    let env = Env::new().await;
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;

    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 0, "healthy: {report:#}");
    let checks = report["checks"].as_array().unwrap();
    assert!(checks
        .iter()
        .any(|c| c["http_status"] == 200 && c["duration_ms"].is_number()));

    let (code, report) = doctor(&env, &env.nats_url, false).await;
    assert_eq!(code, 1, "no SECRETS_KEY: {report:#}");

    env.sim.set_tokens(ACCOUNT_ID, vec!["rotated-token".into()]);
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 3, "bad token: {report:#}");
    env.sim.set_tokens(ACCOUNT_ID, vec![API_TOKEN.into()]);

    // A second tenant whose Chatwoot is down.
    let tenants = env.tenants().await;
    tenants
        .upsert(&infra::tenants::NewTenant {
            id: infra::TenantId::parse("down").unwrap(),
            chatwoot_base_url: "http://127.0.0.1:9".into(),
            account_id: ACCOUNT_ID,
            api_token: API_TOKEN.into(),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            allow_unsigned: false,
            settings: None,
        })
        .await
        .unwrap();
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 2, "Chatwoot down: {report:#}");
    env.sim.set_tokens(ACCOUNT_ID, vec!["rotated-token".into()]);
    let (code, _) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 4, "down and bad token");
    env.sim.set_tokens(ACCOUNT_ID, vec![API_TOKEN.into()]);
    tenants.delete("down").await.unwrap();

    let (code, report) = doctor(&env, "nats://127.0.0.1:9", true).await;
    assert_eq!(code, 5, "NATS down: {report:#}");
    assert!(report["checks"][0]["detail"].is_string());

    worker.stop().await.unwrap();
    dispatcher.stop().await.unwrap();
    env.cleanup().await;
}

/// Tenants on other platforms: their settings, then an authenticated read of each platform's API; a generic
/// webhook's receiver only has to answer.
#[tokio::test]
async fn doctor_checks_each_platforms_settings_and_credentials() {
    use infra::{Platform, PlatformSettings, TenantId};
    use serde_json::json;
    let env = Env::new().await;
    // The streams and consumers the doctor checks first.
    let worker = env.start_worker(&[]).await;
    let dispatcher = env.start_dispatcher(&[]).await;
    let tenants = env.tenants().await;
    let base = env.sim.base_url();
    for (id, platform, url, config) in [
        (
            "ic",
            Platform::Intercom,
            base.clone(),
            json!({ "admin_id": "814860" }),
        ),
        (
            "zd",
            Platform::Zendesk,
            base.clone(),
            json!({ "email": "bot@acme.example" }),
        ),
        (
            "fc",
            Platform::Freshchat,
            base.clone(),
            json!({ "agent_id": "a-1" }),
        ),
        (
            "gw",
            Platform::Generic,
            format!("{base}/hooks/replies"),
            json!({}),
        ),
    ] {
        tenants
            .upsert(&infra::tenants::NewTenant {
                id: TenantId::parse(id).unwrap(),
                chatwoot_base_url: url,
                account_id: 0,
                api_token: API_TOKEN.into(),
                webhook_secret: Some(WEBHOOK_SECRET.into()),
                allow_unsigned: false,
                settings: None,
            })
            .await
            .unwrap();
        tenants
            .set_platform(
                &TenantId::parse(id).unwrap(),
                &PlatformSettings {
                    platform,
                    config,
                    signing_secret: None,
                },
            )
            .await
            .unwrap();
    }
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 0, "healthy: {report:#}");
    let names: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    for wanted in [
        "tenant ic: intercom API at",
        "tenant zd: zendesk API at",
        "tenant fc: freshchat API at",
        "tenant gw: generic API at",
        "tenant fc: freshchat settings",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(wanted)),
            "{wanted}: {names:?}"
        );
    }
    assert!(
        !env.sim
            .requests()
            .iter()
            .any(|r| r.method == http::Method::POST),
        "the doctor posted something"
    );

    // A rotated token fails the platforms' authentication (3).
    env.sim.set_tokens(ACCOUNT_ID, vec!["rotated-token".into()]);
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 3, "bad token: {report:#}");
    env.sim.set_tokens(ACCOUNT_ID, vec![API_TOKEN.into()]);

    // Settings that cannot make a reply (1), and a receiver that is not there (2).
    tenants
        .set_platform(
            &TenantId::parse("fc").unwrap(),
            &PlatformSettings {
                platform: Platform::Freshchat,
                config: json!({}),
                signing_secret: None,
            },
        )
        .await
        .unwrap();
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 1, "no agent_id: {report:#}");
    tenants.delete("fc").await.unwrap();
    env.pool()
        .await
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE tenants SET chatwoot_base_url = 'http://127.0.0.1:9/hooks' WHERE id = 'gw'",
            &[],
        )
        .await
        .unwrap();
    let (code, report) = doctor(&env, &env.nats_url, true).await;
    assert_eq!(code, 2, "receiver down: {report:#}");
    worker.stop().await.unwrap();
    dispatcher.stop().await.unwrap();
    env.cleanup().await;
}
