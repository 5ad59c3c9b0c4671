#![allow(clippy::unwrap_used)] // a test: a panic is the failure report

use cwctl::CliError;

use crate::support::TestEnv;

#[tokio::test]
async fn digest_settings_are_validated_stored_sealed_and_shown_without_the_whole_url() {
    let env = TestEnv::new().await;
    env.add_acme().await;
    let (result, _) = env
        .run_with_key(
            None,
            &["digests", "settings", "--tenant", "acme", "--daily", "true"],
        )
        .await;
    assert!(
        matches!(result, Err(CliError::Unauthorized(_))),
        "{result:?}"
    );
    let (result, _) = env
        .run(&["digests", "settings", "--tenant", "globex"])
        .await;
    assert!(matches!(result, Err(CliError::NotFound(_))), "{result:?}");
    let (result, _) = env
        .run(&[
            "digests",
            "settings",
            "--tenant",
            "acme",
            "--email",
            "not an address",
        ])
        .await;
    assert!(
        matches!(&result, Err(CliError::Invalid(m)) if m.starts_with("--email")),
        "{result:?}"
    );

    let out = env
        .ok(&[
            "digests",
            "settings",
            "--tenant",
            "acme",
            "--daily",
            "true",
            "--send-hour",
            "7",
            "--email",
            "Lead <lead@example.com>,ops@example.com",
            "--webhook-url",
            "https://chat.example.com/hooks/T0/xyz",
        ])
        .await;
    assert!(
        out.contains("daily:      true") && out.contains("07:00"),
        "{out}"
    );
    assert!(
        out.contains("Lead <lead@example.com>, ops@example.com"),
        "{out}"
    );
    assert!(
        out.contains("https://chat.example.com/") && !out.contains("xyz"),
        "{out}"
    );
    // The URL is sealed at rest; other settings are kept by a later change.
    let sealed = env
        .query_one_string(
            "SELECT webhook_url_enc FROM digest_settings WHERE tenant = $1",
            "acme",
        )
        .await
        .unwrap();
    assert!(!sealed.contains("chat.example.com"));
    let out = env
        .ok(&[
            "digests",
            "settings",
            "--tenant",
            "acme",
            "--weekly",
            "true",
            "--no-webhook",
        ])
        .await;
    assert!(
        out.contains("weekly:     true") && out.contains("daily:      true"),
        "{out}"
    );
    assert!(
        out.contains("webhook:    -") && out.contains("ops@example.com"),
        "{out}"
    );

    let out = env.ok(&["digests", "list", "--tenant", "acme"]).await;
    assert!(out.contains("PERIOD START"), "{out}");
}
