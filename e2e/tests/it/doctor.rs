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
