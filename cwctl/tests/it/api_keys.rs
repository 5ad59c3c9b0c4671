#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use cwctl::CliError;

use crate::support::TestEnv;

#[tokio::test]
async fn api_keys_are_shown_once_stored_hashed_listed_and_revoked() {
    let env = TestEnv::new().await;
    env.add_acme().await;

    // Creating needs the deployment's key, and a tenant that exists.
    let (result, _) = env
        .run_with_key(
            None,
            &["api-keys", "create", "--tenant", "acme", "--name", "ci"],
        )
        .await;
    assert!(
        matches!(result, Err(CliError::Unauthorized(_))),
        "{result:?}"
    );
    let (result, _) = env
        .run(&["api-keys", "create", "--tenant", "globex", "--name", "ci"])
        .await;
    assert!(matches!(result, Err(CliError::NotFound(_))), "{result:?}");

    let out = env
        .ok(&[
            "api-keys", "create", "--tenant", "acme", "--name", "ci", "--scope", "write",
        ])
        .await;
    let token = out
        .split_whitespace()
        .find(|w| w.starts_with("cwk_"))
        .expect("the key is printed")
        .to_owned();
    let (id, _) = infra::api_keys::parse_token(&token).expect("the key's shape");
    let client = env.pool.get().await.unwrap();
    let stored = infra::api_keys::verify(&client, &token)
        .await
        .unwrap()
        .expect("verifies");
    assert_eq!(
        (stored.tenant.as_str(), stored.scope),
        ("acme", infra::api_keys::Scope::Write)
    );
    // Only the hash is kept.
    let hash: Vec<u8> = client
        .query_one("SELECT secret_hash FROM api_keys WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(hash.len(), 32);
    assert!(!String::from_utf8_lossy(&hash).contains(&token[21..]));

    let listed = env.ok(&["api-keys", "list"]).await;
    assert!(
        listed.contains(id) && listed.contains("write") && !listed.contains(&token),
        "{listed}"
    );
    let json = env
        .ok(&["api-keys", "list", "--tenant", "acme", "--json"])
        .await;
    let keys: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(keys[0]["name"], "ci");

    env.ok(&["api-keys", "revoke", id]).await;
    assert!(infra::api_keys::verify(&client, &token)
        .await
        .unwrap()
        .is_none());
    let (result, _) = env.run(&["api-keys", "revoke", id]).await;
    assert!(matches!(result, Err(CliError::NotFound(_))), "{result:?}");
}
